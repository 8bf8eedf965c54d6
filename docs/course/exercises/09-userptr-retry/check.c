/* SPDX-License-Identifier: MIT */
/*
 * The checker of exercise 09: a toy driver with one userptr buffer object
 * over 4 pages of a process (a &struct resv_mm). The main thread submits
 * jobs with course_submit() until 400 succeed; a "GPU" thread runs each
 * job: it reads every word of every page twice, then signals the job's
 * fence. Every
 * page's words say which version of the process's memory it belongs to
 * and which page it is (version << 8 | page).
 *
 * Meanwhile an invalidator thread keeps changing the process's memory:
 * munmap + mmap with a new version (a window in which the range is not
 * mapped: -EFAULT), or migration to new pages. And, deterministically, on
 * every fifth job the checker's course_bo_lock() migrates the range and
 * writes a new version into it *between* your snapshot and your check,
 * with the invalidator paused: a submission that does not re-check hands
 * the GPU the old pages, which hold the old version (or, in debug builds,
 * the poison of freed pages). Some course_bo_lock() calls fail with
 * -ENOMEM.
 *
 * Checks: every job reads one consistent version, in the right page
 * order, at least as new as the newest complete mapping when the job was
 * submitted, and the same data twice; a failed submission holds nothing
 * and published nothing; the -EAGAIN path ran; no validator report.
 *
 * Seeded: RESV_SEED (default 1), printed on failure. Exit 0 when all holds.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "task.h"

#define JOBS 400
#define PG RESV_MM_PAGE_SIZE
#define WORDS (PG / sizeof(uint32_t))
#define LEN (UP_PAGES * PG)

static struct course_dev dev;
static pthread_mutex_t remap_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t version;		/* the last version written; remap_lock */
static atomic_uint current_version;	/* complete in the process's memory */
static uint32_t inval_buf[UP_PAGES * WORDS];	/* invalidator's; main's under remap_lock */
static atomic_bool stop;
static atomic_uint reports;
static uint64_t inval_rng;

/* Main thread only. */
static struct {
	unsigned int lock_calls;	/* in the current submission */
	bool interpose, nomem, holding_remap;
	unsigned long interposed, nomem_hits, faults, ok, bad_fail, held_after;
} M;

struct gpu_job {
	struct course_job job;
	uint32_t floor;
	uint32_t seen;
	char why[160];
};

static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void count_report(const struct resv_report *r, void *arg)
{
	(void)arg;
	fprintf(stderr, "report: %s\n", r->detail ? r->detail : "?");
	atomic_fetch_add(&reports, 1);
}

static void fill(uint32_t *buf, uint32_t v)
{
	for (unsigned long j = 0; j < UP_PAGES; j++)
		for (unsigned long w = 0; w < WORDS; w++)
			buf[j * WORDS + w] = v << 8 | (uint32_t)j;
}

/* ---- the GPU ------------------------------------------------------------------------ */

static const char *drv_name(struct dma_fence *f) { (void)f; return "course-09"; }
static const char *tl_name(struct dma_fence *f) { (void)f; return "gpu"; }
static const struct dma_fence_ops gpu_fence_ops = {
	.get_driver_name = drv_name,
	.get_timeline_name = tl_name,
};
static struct resv_spinlock gpu_lock = RESV_SPINLOCK_INITIALIZER;
static uint64_t gpu_ctx, gpu_seqno;

static void *gpu_run(void *arg)
{
	struct gpu_job *g = arg;
	const uint32_t *first = g->job.pages[0];
	uint32_t v = first[0] >> 8;

	g->seen = v;
	for (int pass = 0; pass < 2 && !g->why[0]; pass++) {
		for (unsigned long j = 0; j < UP_PAGES && !g->why[0]; j++) {
			const uint32_t *p = g->job.pages[j];

			for (unsigned long w = 0; w < WORDS; w++) {
				if (p[w] != (v << 8 | (uint32_t)j)) {
					snprintf(g->why, sizeof(g->why),
						 "page %lu word %lu reads 0x%08x, expected 0x%08x "
						 "(torn, freed or reordered pages)", j, w, p[w],
						 v << 8 | (uint32_t)j);
					break;
				}
			}
		}
		sched_yield();	/* an invalidation now must wait for our fence */
	}
	if (!g->why[0] && v < g->floor)
		snprintf(g->why, sizeof(g->why),
			 "read version %u, but version %u was mapped before the job was "
			 "submitted: stale pages", v, g->floor);
	dma_fence_signal(g->job.fence);
	return NULL;
}

/* ---- the process ------------------------------------------------------------------- */

static void *invalidator(void *arg)
{
	struct timespec pause = { 0, 300000 };

	(void)arg;
	while (!atomic_load(&stop)) {
		pthread_mutex_lock(&remap_lock);
		if (next(&inval_rng) % 4 == 0) {
			/* munmap + mmap: new memory, new contents. */
			fill(inval_buf, ++version);
			if (resv_mm_unmap(dev.mm, UP_ADDR, LEN) ||
			    resv_mm_map_data(dev.mm, UP_ADDR, LEN, inval_buf))
				fprintf(stderr, "invalidator: remap failed\n");
			atomic_store(&current_version, version);
		} else if (resv_mm_migrate(dev.mm, UP_ADDR, LEN)) {
			fprintf(stderr, "invalidator: migrate failed\n");
		}
		pthread_mutex_unlock(&remap_lock);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

/* ---- the driver's part -------------------------------------------------------------- */

int course_bo_lock(struct course_dev *d)
{
	struct timespec slow = { 0, 20000 };
	int ret;

	if (++M.lock_calls == 1 && M.interpose) {
		/*
		 * Between the snapshot and the check: new pages with new
		 * contents. The invalidator stays out until the job is done, so
		 * that nobody reuses the old pages in the meantime.
		 */
		pthread_mutex_lock(&remap_lock);
		M.holding_remap = true;
		fill(inval_buf, ++version);
		if (resv_mm_migrate(d->mm, UP_ADDR, LEN) ||
		    resv_mm_write(d->mm, UP_ADDR, inval_buf, LEN))
			fprintf(stderr, "course_bo_lock: migrate failed\n");
		atomic_store(&current_version, version);
		M.interposed++;
	}
	if (M.lock_calls == 1 && M.nomem) {
		M.nomem_hits++;
		return -ENOMEM;
	}
	ret = dma_resv_lock(&d->bo_resv, NULL);
	if (ret)
		return ret;
	ret = dma_resv_reserve_fences(&d->bo_resv, 1);
	if (ret) {
		dma_resv_unlock(&d->bo_resv);
		return ret;
	}
	nanosleep(&slow, NULL);	/* a window for the invalidator */
	return 0;
}

/* ---- the test ------------------------------------------------------------------------ */

static int setup(void)
{
	static uint32_t buf[UP_PAGES * WORDS];

	if (resv_mm_create(&dev.mm))
		return -1;
	resv_notifier_lock_init(&dev.notifier_lock);
	dma_resv_init(&dev.bo_resv);
	version = 1;
	fill(buf, version);
	atomic_store(&current_version, version);
	if (resv_mm_map_data(dev.mm, UP_ADDR, LEN, buf))
		return -1;
	if (resv_userptr_init(&dev.up, dev.mm, UP_ADDR, LEN, &dev.notifier_lock, &dev.bo_resv,
			      NULL))
		return -1;
	gpu_ctx = dma_fence_context_alloc(1);
	return 0;
}

static void teardown(void)
{
	resv_userptr_fini(&dev.up);
	dma_resv_fini(&dev.bo_resv);
	resv_notifier_lock_fini(&dev.notifier_lock);
	resv_mm_destroy(dev.mm);
}

/* One submission; returns false when the run cannot go on. */
static bool one_job(unsigned int k, char *first, size_t first_len)
{
	struct gpu_job g = { 0 };
	pthread_t th;
	int ret;

	M.lock_calls = 0;
	M.interpose = k % 5 == 2;
	M.nomem = k % 17 == 9;
	g.job.fence = resv_dma_fence_alloc(sizeof(*g.job.fence));
	if (!g.job.fence)
		return false;
	dma_fence_init(g.job.fence, &gpu_fence_ops, &gpu_lock, gpu_ctx, ++gpu_seqno);
	ret = course_submit(&dev, &g.job);
	if (dma_resv_held(&dev.bo_resv)) {
		snprintf(first, first_len, "job %u: the buffer's resv is still held (ret %d)", k,
			 ret);
		return false;
	}
	if (!ret) {
		g.floor = atomic_load(&current_version);
		M.ok++;
		if (pthread_create(&th, NULL, gpu_run, &g)) {
			dma_fence_signal(g.job.fence);
			return false;
		}
		pthread_join(th, NULL);
		if (g.why[0] && !first[0])
			snprintf(first, first_len, "job %u: %s", k, g.why);
	} else {
		bool injected = M.nomem && M.nomem_hits && M.lock_calls == 1;

		if (ret == -EFAULT) {
			M.faults++;
			sched_yield();	/* let the process finish its mmap */
		}
		else if (!(ret == -ENOMEM && injected) && !first[0])
			snprintf(first, first_len, "job %u: course_submit() returned %d", k, ret);
		/* Not published: no unsignaled fence may be on the resv. */
		if (!dma_resv_test_signaled(&dev.bo_resv, DMA_RESV_USAGE_BOOKKEEP) && !first[0])
			snprintf(first, first_len, "job %u: failed with %d but left its fence "
				 "on the resv", k, ret);
		dma_fence_signal(g.job.fence);
	}
	dma_fence_put(g.job.fence);
	if (M.holding_remap) {
		M.holding_remap = false;
		pthread_mutex_unlock(&remap_lock);
	}
	return true;
}

int main(void)
{
	const char *env = getenv("RESV_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 1;
	struct resv_userptr_stats st;
	char first[256] = "";
	pthread_t th;
	int bad = 0;

	resv_report_set_hook(count_report, NULL);
	inval_rng = seed;
	if (setup() || pthread_create(&th, NULL, invalidator, NULL)) {
		printf("setup failed\n");
		return 1;
	}
	/* Count successful jobs: a submission in an unmapped window is cheap. */
	for (unsigned int k = 0; M.ok < JOBS && k < 100 * JOBS; k++) {
		if (!one_job(k, first, sizeof(first))) {
			bad = 1;
			break;
		}
		if (first[0])
			break;	/* the verdict is in */
	}
	atomic_store(&stop, true);
	if (!bad)
		pthread_join(th, NULL);
	resv_userptr_get_stats(&dev.up, &st);
	if (first[0]) {
		printf("%s\n", first);
		bad = 1;
	}
	if (!bad && M.ok < JOBS) {
		printf("only %lu of %d jobs could be submitted\n", M.ok, JOBS);
		bad = 1;
	}
	if (!bad && st.retries < M.interposed / 2) {
		printf("only %llu check retries for %lu invalidations between snapshot and "
		       "check\n", (unsigned long long)st.retries, M.interposed);
		bad = 1;
	}
	if (!bad && atomic_load(&reports)) {
		printf("%u validator report(s)\n", atomic_load(&reports));
		bad = 1;
	}
	if (bad) {
		printf("FAILED (RESV_SEED=%llu)\n", (unsigned long long)seed);
		return 1;	/* threads may still run: do not tear down */
	}
	teardown();
	printf("%lu jobs ran on current pages; %lu -EFAULT (range unmapped), %lu -ENOMEM "
	       "handled; %lu invalidations between snapshot and check, %llu check "
	       "retries, %llu snapshots, %llu invalidations waited for a job\n", M.ok,
	       M.faults, M.nomem_hits, M.interposed, (unsigned long long)st.retries,
	       (unsigned long long)st.snapshots, (unsigned long long)st.waits);
	return 0;
}
