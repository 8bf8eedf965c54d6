/* SPDX-License-Identifier: MIT */
/*
 * The checker of exercise 03: a fixed list of jobs on one buffer (moves,
 * implicit writes and reads, explicitly synchronised jobs) is submitted
 * the way a driver does it: lock the buffer's dma_resv, collect the fences
 * the new job must wait for (your job_wait_usage()), reserve a slot, add
 * the job's fence (your job_publish_usage()), unlock.
 *
 * Nothing runs during submission, so every fence is still pending and the
 * dependencies each job collected are exact: they must be the set the
 * job needs (checked first, deterministic). Then every job runs on its
 * own thread after its dependencies signal, writing and reading the
 * buffer's data; every read must see the last implicit write before it,
 * and the buffer must end with the last writes of both regions. Zero
 * validator reports (resv_report_set_hook) are required.
 *
 * Deterministic (no randomness; RESV_SEED only offsets the job ids, and is
 * printed on failure). Exit 0 when all holds.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <resv/dma-fence-array.h>
#include <resv/dma-fence.h>
#include <resv/rcu.h>
#include <resv/report.h>
#include <resv/spinlock.h>

#include "task.h"

#define WORDS 64
#define IMPLICIT_WORDS 48	/* [0, 48): implicit jobs; [48, 64): explicit jobs */
#define MAX_JOBS 32

/* M move, W write, R read, E explicit. */
static const char schedule[] = "WRRERWMRREWRRMEWRWE";

struct job {
	int idx;
	enum job_kind kind;
	long value;			/* what a write stores */
	struct dma_fence *fence;
	struct dma_fence **deps;	/* collected from the resv */
	unsigned int num_deps;
	struct dma_fence *explicit_dep;	/* an explicit job's own ordering (a syncobj) */
	long seen;			/* a read: the value found, or -1 when torn */
	int wait_timeouts;
};

static struct job jobs[MAX_JOBS];
static int njobs;
static long copy_a[WORDS], copy_b[WORDS];
static long *_Atomic cur = copy_a;	/* where the buffer lives now */
static struct dma_resv resv;
static atomic_int reports;
static struct resv_spinlock fence_lock = RESV_SPINLOCK_INITIALIZER;

static const char *fence_name(struct dma_fence *f)
{
	(void)f;
	return "course03";
}

static const struct dma_fence_ops fence_ops = {
	.get_driver_name = fence_name,
	.get_timeline_name = fence_name,
};

static void count_report(const struct resv_report *r, void *arg)
{
	(void)arg;
	if (atomic_fetch_add(&reports, 1) == 0)
		printf("report: %s: %s\n", resv_report_kind_name(r->kind), r->message);
}

static const char *kind_name(enum job_kind k)
{
	static const char *const names[] = { "move", "write", "read", "explicit" };

	return names[k];
}

/* The model: must job @j run after the earlier job @i? */
static bool needs(const struct job *j, const struct job *i)
{
	switch (j->kind) {
	case JOB_MOVE:
		return true;				/* nobody may use the old copy */
	case JOB_WRITE:
		return i->kind != JOB_EXPLICIT;		/* after every implicit access */
	case JOB_READ:
		return i->kind == JOB_MOVE || i->kind == JOB_WRITE;
	case JOB_EXPLICIT:
	default:
		return i->kind == JOB_MOVE;		/* the rest is userspace's */
	}
}

static int submit(struct job *j)
{
	struct ww_acquire_ctx ctx;
	int ret;

	ww_acquire_init(&ctx, &reservation_ww_class);
	ret = dma_resv_lock(&resv, &ctx);
	if (ret)
		goto out;
	ret = dma_resv_get_fences(&resv, job_wait_usage(j->kind), &j->num_deps, &j->deps);
	if (!ret)
		ret = dma_resv_reserve_fences(&resv, 1);
	if (!ret)
		dma_resv_add_fence(&resv, j->fence, job_publish_usage(j->kind));
	dma_resv_unlock(&resv);
out:
	ww_acquire_fini(&ctx);
	return ret;
}

/* Exactly the needed dependencies? Returns the number of mistakes. */
static int check_deps(const struct job *j)
{
	static int printed;
	int bad = 0;

	for (int i = 0; i < j->idx; i++) {
		bool got = false;

		for (unsigned int d = 0; d < j->num_deps; d++)
			got |= j->deps[d] == jobs[i].fence;
		if (needs(j, &jobs[i]) == got)
			continue;
		bad++;
		if (++printed > 8)
			continue;	/* the first few tell the story */
		if (!got)
			printf("job %d (%s) does not wait for job %d (%s): it could run first\n",
			       j->idx, kind_name(j->kind), i, kind_name(jobs[i].kind));
		else
			printf("job %d (%s) waits for job %d (%s), which it need not\n",
			       j->idx, kind_name(j->kind), i, kind_name(jobs[i].kind));
	}
	return bad;
}

static void wait_for(struct job *j, struct dma_fence *f)
{
	/* 5 s: only a dependency that can never signal takes that long. */
	if (dma_fence_wait_timeout(f, false, 5000000000L) == 0) {
		j->wait_timeouts++;
		(void)dma_fence_wait(f, false);
	}
}

static void *run_job(void *arg)
{
	struct job *j = arg;
	long *mem;

	for (unsigned int d = 0; d < j->num_deps; d++)
		wait_for(j, j->deps[d]);
	if (j->explicit_dep)
		wait_for(j, j->explicit_dep);
	mem = atomic_load(&cur);
	switch (j->kind) {
	case JOB_MOVE: {
		long *to = mem == copy_a ? copy_b : copy_a;

		for (int w = 0; w < WORDS; w++) {
			to[w] = mem[w];
			if (w % 16 == 0)
				sched_yield();
		}
		atomic_store(&cur, to);
		for (int w = 0; w < WORDS; w++)
			mem[w] = -999;		/* the old copy is gone */
		break;
	}
	case JOB_WRITE:
		for (int w = 0; w < IMPLICIT_WORDS; w++) {
			mem[w] = j->value;
			if (w % 8 == 0)
				sched_yield();
		}
		break;
	case JOB_READ:
		j->seen = mem[0];
		for (int w = 0; w < IMPLICIT_WORDS; w++) {
			if (mem[w] != j->seen)
				j->seen = -1;		/* torn: a writer was running */
			if (w % 8 == 0)
				sched_yield();
		}
		break;
	case JOB_EXPLICIT:
		for (int w = IMPLICIT_WORDS; w < WORDS; w++)
			mem[w] = j->value;
		break;
	}
	dma_fence_signal(j->fence);
	return NULL;
}

int main(void)
{
	const char *env = getenv("RESV_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 1;
	pthread_t th[MAX_JOBS];
	long last_write = 0, last_explicit = 0;
	struct dma_fence *prev_explicit = NULL;
	int bad = 0, deps_bad = 0;

	resv_report_set_hook(count_report, NULL);
	dma_resv_init(&resv);
	njobs = (int)strlen(schedule);
	for (int i = 0; i < njobs; i++) {
		struct job *j = &jobs[i];

		j->idx = i;
		j->kind = schedule[i] == 'M' ? JOB_MOVE : schedule[i] == 'W' ? JOB_WRITE :
			  schedule[i] == 'R' ? JOB_READ : JOB_EXPLICIT;
		j->value = (long)(seed % 1000) * 100 + i + 1;
		j->fence = resv_dma_fence_alloc(sizeof(*j->fence));
		if (!j->fence)
			return 1;
		dma_fence_init(j->fence, &fence_ops, &fence_lock, dma_fence_context_alloc(1), 1);
		if (j->kind == JOB_EXPLICIT) {
			j->explicit_dep = prev_explicit;
			prev_explicit = j->fence;
		}
		if (submit(j)) {
			printf("job %d: submission failed\n", i);
			return 1;
		}
	}
	for (int i = 0; i < njobs; i++)
		deps_bad += check_deps(&jobs[i]);
	if (deps_bad)
		printf("%d wrong dependencies in all\n", deps_bad);
	bad += deps_bad;

	/* Run them, whatever the verdict: data tells the rest of the story. */
	for (int i = 0; i < njobs; i++)
		if (pthread_create(&th[i], NULL, run_job, &jobs[i]))
			return 1;
	for (int i = 0; i < njobs; i++)
		pthread_join(th[i], NULL);

	for (int i = 0; i < njobs; i++) {
		struct job *j = &jobs[i];

		if (j->kind == JOB_WRITE)
			last_write = j->value;
		if (j->kind == JOB_EXPLICIT)
			last_explicit = j->value;
		if (j->kind == JOB_READ && j->seen != last_write) {
			printf("read job %d saw %ld, want %ld (the last write before it)\n", i,
			       j->seen, last_write);
			bad++;
		}
		if (j->wait_timeouts) {
			printf("job %d waited 5 s for a dependency\n", i);
			bad++;
		}
	}
	for (int w = 0; w < WORDS; w++) {
		long want = w < IMPLICIT_WORDS ? last_write : last_explicit;

		if (atomic_load(&cur)[w] != want) {
			printf("buffer word %d is %ld, want %ld\n", w, atomic_load(&cur)[w], want);
			bad++;
			break;
		}
	}
	if (!dma_resv_test_signaled(&resv, DMA_RESV_USAGE_BOOKKEEP)) {
		printf("fences still pending on the buffer after every job ran\n");
		bad++;
	}
	if (atomic_load(&reports)) {
		printf("%d validator report(s)\n", atomic_load(&reports));
		bad++;
	}

	for (int i = 0; i < njobs; i++) {
		for (unsigned int d = 0; d < jobs[i].num_deps; d++)
			dma_fence_put(jobs[i].deps[d]);
		resv_dma_fence_array_free_fences(jobs[i].deps);
		dma_fence_put(jobs[i].fence);
	}
	dma_resv_fini(&resv);
	resv_rcu_barrier();
	if (bad) {
		printf("FAILED (RESV_SEED=%llu)\n", (unsigned long long)seed);
		return 1;
	}
	printf("%d jobs: every job waited for exactly what it needs; reads saw the last "
	       "write; the buffer ends right\n", njobs);
	return 0;
}
