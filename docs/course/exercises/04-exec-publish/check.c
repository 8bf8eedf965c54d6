/* SPDX-License-Identifier: MIT */
/*
 * The checker of exercise 04, in two parts.
 *
 * Contention: three threads publish jobs over eight shared objects, each
 * job 1-6 entries picked at random (duplicates included) with random
 * read/write, while deadlock injection (one lock in ten, seeded) makes
 * every loop back off often. Each publish_job() must return 0, hold
 * nothing afterwards, and leave the job's fence on exactly its objects with
 * the right usage (WRITE if any entry writes, else READ).
 *
 * Allocation failures: one thread, 20 fresh objects (more than drm_exec's
 * inline table, so its table grows too); the Nth library allocation fails,
 * for N = 1, 2, ... until a publish needs fewer. A failed publish must
 * return -ENOMEM with the fence on no object and nothing held; the others
 * must publish everywhere. Zero validator reports throughout.
 *
 * Seeded: RESV_SEED (default 1), printed on failure. Exit 0 when all holds.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <resv/alloc.h>
#include <resv/rcu.h>
#include <resv/report.h>
#include <resv/spinlock.h>

#include "task.h"

#define THREADS 3
#define SHARED 8
#define JOBS 400
#define MAX_ENTRIES 6
#define FRESH 20

static struct drm_gem_object shared[SHARED];
static atomic_int reports;
static struct resv_spinlock fence_lock = RESV_SPINLOCK_INITIALIZER;

static const char *fence_name(struct dma_fence *f)
{
	(void)f;
	return "course04";
}

static const struct dma_fence_ops fence_ops = {
	.get_driver_name = fence_name,
	.get_timeline_name = fence_name,
};

static void obj_free(struct drm_gem_object *obj)
{
	drm_gem_object_release(obj);	/* static storage: nothing to free */
}

static const struct drm_gem_object_funcs obj_funcs = { .free = obj_free };

static void count_report(const struct resv_report *r, void *arg)
{
	(void)arg;
	if (atomic_fetch_add(&reports, 1) == 0)
		printf("report: %s: %s\n", resv_report_kind_name(r->kind), r->message);
}

static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * The strongest usage @fence has on @obj, or -1 when it is not there. A
 * fence may have two entries (a WRITE add can take the place of a
 * signaled fence of another timeline instead of promoting its READ entry):
 * queries see the strongest, and so does this.
 */
static int usage_on(struct drm_gem_object *obj, struct dma_fence *fence)
{
	struct dma_resv_iter cursor;
	struct dma_fence *f;
	int usage = -1;

	dma_resv_iter_begin(&cursor, obj->resv, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_for_each_fence_unlocked(&cursor, f) {
		if (dma_resv_iter_is_restarted(&cursor))
			usage = -1;
		if (f == fence && (usage == -1 || (int)dma_resv_iter_usage(&cursor) < usage))
			usage = (int)dma_resv_iter_usage(&cursor);
	}
	dma_resv_iter_end(&cursor);
	return usage;
}

/* How many entries @fence has on @obj. */
static int entries_of(struct drm_gem_object *obj, struct dma_fence *fence)
{
	struct dma_resv_iter cursor;
	struct dma_fence *f;
	int n = 0;

	dma_resv_iter_begin(&cursor, obj->resv, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_for_each_fence_unlocked(&cursor, f) {
		if (dma_resv_iter_is_restarted(&cursor))
			n = 0;
		n += f == fence;
	}
	dma_resv_iter_end(&cursor);
	return n;
}

/* Is @obj in the job, and must the fence be a write on it? */
static int expected_usage(struct drm_gem_object *obj, struct drm_gem_object **objs,
			  const bool *writes, unsigned int n)
{
	int usage = -1;

	for (unsigned int i = 0; i < n; i++) {
		if (objs[i] != obj)
			continue;
		if (writes[i])
			usage = DMA_RESV_USAGE_WRITE;
		else if (usage < 0)
			usage = DMA_RESV_USAGE_READ;
	}
	return usage;
}

static struct dma_fence *new_fence(uint64_t context, uint64_t seqno)
{
	struct dma_fence *f = resv_dma_fence_alloc(sizeof(*f));

	if (f)
		dma_fence_init(f, &fence_ops, &fence_lock, context, seqno);
	return f;
}

struct worker {
	int id;
	uint64_t rng;
	unsigned long failures, first_ret, wrong_fences, held_after;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t context = dma_fence_context_alloc(1);

	for (int t = 0; t < JOBS; t++) {
		struct drm_gem_object *objs[MAX_ENTRIES];
		bool writes[MAX_ENTRIES];
		unsigned int n = 1 + next(&w->rng) % MAX_ENTRIES;
		struct dma_fence *fence = new_fence(context, (uint64_t)t + 1);
		int ret;

		if (!fence) {
			w->failures++;
			break;
		}
		for (unsigned int i = 0; i < n; i++) {
			objs[i] = &shared[next(&w->rng) % SHARED];
			writes[i] = next(&w->rng) % 2;
		}
		ret = publish_job(objs, writes, n, fence);
		if (ret && !w->failures++)
			w->first_ret = (unsigned long)-ret;
		for (int o = 0; o < SHARED; o++) {
			if (dma_resv_held(shared[o].resv))
				w->held_after++;
			/* Before signaling: unlocked walks skip signaled fences. */
			if (!ret && usage_on(&shared[o], fence) !=
				    expected_usage(&shared[o], objs, writes, n))
				w->wrong_fences++;
		}
		dma_fence_signal(fence);
		dma_fence_put(fence);
		if (w->failures + w->wrong_fences + w->held_after > 10)
			break;	/* the verdict is in */
	}
	return NULL;
}

static int contention(uint64_t seed)
{
	struct resv_ww_inject inject = { .mode = RESV_WW_INJECT_RANDOM, .per_million = 100000,
					 .seed = seed };
	struct resv_ww_inject off = { .mode = RESV_WW_INJECT_OFF };
	struct worker w[THREADS];
	pthread_t th[THREADS];
	struct resv_ww_stats st;
	int bad = 0;

	resv_ww_class_reset_stats(&reservation_ww_class);
	if (resv_ww_class_set_inject(&reservation_ww_class, &inject))
		return 1;
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .id = i, .rng = seed * 1000 + (uint64_t)i };
		if (pthread_create(&th[i], NULL, work, &w[i]))
			return 1;
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	if (resv_ww_class_set_inject(&reservation_ww_class, &off))
		return 1;
	resv_ww_class_get_stats(&reservation_ww_class, &st);
	for (int i = 0; i < THREADS; i++) {
		if (w[i].failures) {
			printf("thread %d: %lu job(s) failed (first: -%lu)\n", i, w[i].failures,
			       w[i].first_ret);
			bad = 1;
		}
		if (w[i].wrong_fences) {
			printf("thread %d: %lu time(s) an object had the fence where it does not belong, "
			       "not where it does, or with the wrong usage\n", i,
			       w[i].wrong_fences);
			bad = 1;
		}
		if (w[i].held_after) {
			printf("thread %d: %lu object(s) still locked after publish_job()\n", i,
			       w[i].held_after);
			bad = 1;
		}
	}
	for (int o = 0; o < SHARED; o++)
		if (dma_resv_is_locked(shared[o].resv)) {
			printf("object %d left locked\n", o);
			bad = 1;
		}
	if (!bad && st.injected == 0) {
		printf("no back-off was exercised\n");
		bad = 1;
	}
	if (!bad)
		printf("contention: %d jobs, %llu back-offs (%llu injected), every fence where it "
		       "belongs\n", THREADS * JOBS, (unsigned long long)(st.deadlocks + st.injected),
		       (unsigned long long)st.injected);
	return bad;
}

static int alloc_failures(uint64_t seed)
{
	uint64_t context = dma_fence_context_alloc(1), rng = seed;
	unsigned long enomem = 0, nth;
	int bad = 0;

	for (nth = 1; nth < 1000 && !bad; nth++) {
		struct drm_gem_object objs[FRESH], *list[FRESH + 2];
		bool writes[FRESH + 2];
		struct resv_alloc_stats before, after;
		struct dma_fence *fence = new_fence(context, nth);
		int ret;

		if (!fence)
			return 1;
		memset(objs, 0, sizeof(objs));	/* drm_gem_object_init() wants zeroed objects */
		for (int i = 0; i < FRESH; i++) {
			if (drm_gem_object_init(&objs[i], &obj_funcs, 4096))
				return 1;
			list[i] = &objs[i];
			writes[i] = next(&rng) % 2;
		}
		/*
		 * Duplicates, as userspace sends them: a read then a write of
		 * object 3, a write then a read of object 7 (a READ added after
		 * the WRITE of the same fence needs a slot of its own, which one
		 * reservation per object does not give: debug builds report it).
		 */
		writes[3] = false;
		list[FRESH] = &objs[3];
		writes[FRESH] = true;
		writes[7] = true;
		list[FRESH + 1] = &objs[7];
		writes[FRESH + 1] = false;

		resv_alloc_get_stats(&before);
		resv_alloc_fail_nth(nth);
		ret = publish_job(list, writes, FRESH + 2, fence);
		resv_alloc_fail_nth(0);
		resv_alloc_get_stats(&after);

		for (int i = 0; i < FRESH; i++) {
			int want = ret ? -1 : expected_usage(&objs[i], list, writes, FRESH + 2);

			if (usage_on(&objs[i], fence) != want) {
				printf("allocation %lu failed, publish_job() returned %d: object %d "
				       "has usage %d, want %d (-1: absent)\n", nth, ret, i,
				       usage_on(&objs[i], fence), want);
				bad = 1;
				break;
			}
			/*
			 * Fresh objects hold no other fence, so nothing but the
			 * job's own entry can be replaced: one entry, whose slot
			 * was reserved. Two would need a second slot.
			 */
			if (!ret && entries_of(&objs[i], fence) != 1) {
				printf("object %d has the fence %d times: one slot was reserved; add "
				       "the weaker usage first, or once per object\n", i,
				       entries_of(&objs[i], fence));
				bad = 1;
				break;
			}
			if (dma_resv_held(objs[i].resv)) {
				printf("allocation %lu failed: object %d still locked\n", nth, i);
				bad = 1;
				break;
			}
		}
		if (ret && ret != -ENOMEM) {
			printf("allocation %lu failed: publish_job() returned %d, want -ENOMEM\n", nth,
			       ret);
			bad = 1;
		}
		if (ret == -ENOMEM)
			enomem++;
		dma_fence_signal(fence);
		dma_fence_put(fence);
		for (int i = 0; i < FRESH; i++)
			drm_gem_object_put(&objs[i]);
		resv_rcu_barrier();	/* the next round reuses this stack memory */
		if (after.injected_failures == before.injected_failures) {
			if (ret)
				bad = 1;	/* printed above, or an error without cause */
			break;		/* the publish needs fewer than nth allocations */
		}
	}
	if (!bad && !enomem) {
		printf("no allocation of publish_job() could be failed\n");
		bad = 1;
	}
	if (!bad)
		printf("allocation failures: %lu of %lu allocation sites failed cleanly, fence "
		       "on no object each time\n", enomem, nth - 1);
	return bad;
}

int main(void)
{
	const char *env = getenv("RESV_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 1;
	int bad = 0;

	resv_report_set_hook(count_report, NULL);
	for (int o = 0; o < SHARED; o++)
		if (drm_gem_object_init(&shared[o], &obj_funcs, 4096))
			return 1;
	bad = contention(seed);
	if (!bad)
		bad = alloc_failures(seed);
	if (!bad && atomic_load(&reports)) {
		printf("%d validator report(s)\n", atomic_load(&reports));
		bad = 1;
	}
	for (int o = 0; o < SHARED; o++)
		drm_gem_object_put(&shared[o]);
	resv_rcu_barrier();
	if (bad)
		printf("FAILED (RESV_SEED=%llu)\n", (unsigned long long)seed);
	return bad;
}
