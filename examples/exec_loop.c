/* SPDX-License-Identifier: MIT */
/*
 * exec_loop - two submitters lock overlapping sets of GEM objects with
 * drm_exec, in both loop forms, and count why their loops restarted.
 *
 * Each submission picks K of the objects at random (duplicates allowed, so
 * DRM_EXEC_IGNORE_DUPLICATES is set), locks them and reserves a fence slot
 * on each with drm_exec_prepare_obj(), then "validates" them. Validation
 * sometimes finds the user pages stale (restart: userptr_stale) and
 * sometimes runs out of memory (the loop retries once under the device-wide
 * exclusive lock: enomem_retry). Holding everything, the submitter publishes
 * a fence on every object and bumps its write counter. Thread 0 writes the
 * kernel's GNU-C loop, thread 1 the portable C11 loop.
 *
 * Checks: nobody else's mark is on an object we hold, and the write
 * counters add up to the writes the submitters made. Exit 1 if not.
 *
 * Usage: exec_loop [--submits N] [--seed S]
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <resv/dma-fence.h>
#include <resv/dma-resv.h>
#include <resv/drm_exec.h>
#include <resv/drm_gem.h>
#include <resv/rcu.h>
#include <resv/spinlock.h>

#define NUM_OBJS 8
#define K 4

struct bo {
	struct drm_gem_object base;
	uint64_t writes;	/* guarded by base.resv */
	unsigned int holder;	/* guarded by base.resv: 0, or submitter id + 1 */
};

static struct bo bos[NUM_OBJS];
static struct resv_exec_exclusive device_lock;
static unsigned int submits = 2000;
static uint64_t seed = 1;

static void bo_free(struct drm_gem_object *obj)
{
	drm_gem_object_release(obj); /* static storage: nothing to free */
}

static const struct drm_gem_object_funcs bo_funcs = { .free = bo_free };

static const char *fence_name(struct dma_fence *f) { return "exec_loop"; }
static const struct dma_fence_ops fence_ops = {
	.get_driver_name = fence_name,
	.get_timeline_name = fence_name,
};
static struct resv_spinlock fence_lock = RESV_SPINLOCK_INITIALIZER;

struct submitter {
	unsigned int id;
	uint64_t rng;
	uint64_t fence_ctx;
	/* results */
	uint64_t writes, errors;
	uint64_t restarts[RESV_EXEC_RESTART_NR];
};

static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The driver's validation: 1 in 64 stale userptr, 1 in 64 out of memory. */
static int validate(struct submitter *s, struct drm_exec *exec)
{
	uint64_t r = next_rand(&s->rng) % 64;

	if (r == 0)
		return -EAGAIN;		/* user pages invalidated */
	if (r == 1 && !resv_exec_is_exclusive(exec))
		return -ENOMEM;		/* would succeed alone */
	return 0;
}

/* Publish, check and count, with every object locked. */
static void commit(struct submitter *s, struct drm_exec *exec, uint64_t seqno)
{
	struct dma_fence *fence = resv_dma_fence_alloc(sizeof(*fence));
	struct drm_gem_object *obj;
	unsigned long index;

	if (!fence) {
		s->errors++;
		return;
	}
	dma_fence_init(fence, &fence_ops, &fence_lock, s->fence_ctx, seqno);
	drm_exec_for_each_locked_object(exec, index, obj) {
		struct bo *bo = caa_container_of(obj, struct bo, base);

		if (bo->holder != 0)
			s->errors++;		/* someone else is inside */
		bo->holder = s->id + 1;
		bo->writes++;
		s->writes++;
		dma_resv_add_fence(obj->resv, fence, DMA_RESV_USAGE_WRITE);
	}
	sched_yield();			/* "work" with the locks held: invites contention */
	drm_exec_for_each_locked_object(exec, index, obj)
		caa_container_of(obj, struct bo, base)->holder = 0;
	dma_fence_signal(fence);	/* the "GPU" is instantaneous */
	dma_fence_put(fence);
}

static void pick(struct submitter *s, struct drm_gem_object **objs)
{
	for (unsigned int i = 0; i < K; i++)
		objs[i] = &bos[next_rand(&s->rng) % NUM_OBJS].base;
}

static void finish(struct submitter *s, struct drm_exec *exec, int ret, uint64_t seqno)
{
	if (ret)
		s->errors++;
	else
		commit(s, exec, seqno);
	for (int r = 0; r < RESV_EXEC_RESTART_NR; r++)
		s->restarts[r] += resv_exec_restart_count(exec, (enum resv_exec_restart_reason)r);
	drm_exec_fini(exec);
}

/* The kernel's form: a label, a computed goto. */
static void submit_gnu(struct submitter *s, uint64_t seqno)
{
	struct drm_gem_object *objs[K];
	struct drm_exec exec;
	int ret = 0;

	pick(s, objs);
	drm_exec_init(&exec, DRM_EXEC_IGNORE_DUPLICATES | DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
	if (resv_exec_set_exclusive(&exec, &device_lock))
		s->errors++;
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_prepare_array(&exec, objs, K, 1);
		drm_exec_retry_on_contention(&exec);
		if (ret)
			break;
		ret = validate(s, &exec);
		if (ret == -EAGAIN)
			ret = resv_exec_restart(&exec, RESV_EXEC_RESTART_USERPTR_STALE);
		(void)resv_exec_restart_on(&exec, ret);	/* -ENOMEM: exclusive retry */
		drm_exec_retry_on_contention(&exec);
		if (ret)
			break;
	}
	finish(s, &exec, ret, seqno);
}

/* The portable C11 form. */
static void submit_portable(struct submitter *s, uint64_t seqno)
{
	struct drm_gem_object *objs[K];
	struct drm_exec exec;
	int ret = 0;

	pick(s, objs);
	drm_exec_init(&exec, DRM_EXEC_IGNORE_DUPLICATES | DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
	if (resv_exec_set_exclusive(&exec, &device_lock))
		s->errors++;
	while (resv_exec_begin(&exec)) {
		ret = drm_exec_prepare_array(&exec, objs, K, 1);
		if (resv_exec_restart_on(&exec, ret))
			continue;
		if (ret)
			break;
		ret = validate(s, &exec);
		if (ret == -EAGAIN) {
			ret = resv_exec_restart(&exec, RESV_EXEC_RESTART_USERPTR_STALE);
			if (!ret)
				continue;
		}
		if (resv_exec_restart_on(&exec, ret))
			continue;
		if (ret)
			break;
	}
	finish(s, &exec, ret, seqno);
}

static void *submitter_fn(void *arg)
{
	struct submitter *s = arg;

	for (unsigned int i = 0; i < submits; i++) {
		if (s->id == 0)
			submit_gnu(s, i + 1);
		else
			submit_portable(s, i + 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct submitter subs[2];
	struct resv_exec_exclusive_stats st;
	pthread_t threads[2];
	uint64_t total_writes = 0, counted = 0, errors = 0;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--submits") && i + 1 < argc)
			submits = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: %s [--submits N] [--seed S]\n", argv[0]);
			return 2;
		}
	}
	if (resv_exec_exclusive_init(&device_lock))
		return 2;
	for (i = 0; i < NUM_OBJS; i++)
		if (drm_gem_object_init(&bos[i].base, &bo_funcs, 4096))
			return 2;

	for (i = 0; i < 2; i++) {
		memset(&subs[i], 0, sizeof(subs[i]));
		subs[i].id = (unsigned int)i;
		subs[i].rng = seed * 2 + (uint64_t)i;
		subs[i].fence_ctx = dma_fence_context_alloc(1);
		if (pthread_create(&threads[i], NULL, submitter_fn, &subs[i]))
			return 2;
	}
	for (i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);

	for (i = 0; i < NUM_OBJS; i++)
		counted += bos[i].writes;
	printf("exec_loop: %u submissions per thread, seed %" PRIu64 "\n", submits, seed);
	for (i = 0; i < 2; i++) {
		total_writes += subs[i].writes;
		errors += subs[i].errors;
		printf("  thread %d (%s form): %" PRIu64 " object writes, restarts:", i,
		       i == 0 ? "GNU" : "portable", subs[i].writes);
		for (r = RESV_EXEC_RESTART_CONTENDED; r < RESV_EXEC_RESTART_NR; r++)
			printf(" %s=%" PRIu64, resv_exec_restart_reason_name(r), subs[i].restarts[r]);
		printf("\n");
	}
	resv_exec_exclusive_get_stats(&device_lock, &st);
	printf("  exclusive retries: %" PRIu64 " (failed again: %" PRIu64 ")\n",
	       st.exclusive_runs, st.failures);

	for (i = 0; i < NUM_OBJS; i++)
		drm_gem_object_put(&bos[i].base);
	resv_exec_exclusive_fini(&device_lock);
	resv_rcu_barrier();

	if (errors || counted != total_writes) {
		fprintf(stderr, "exec_loop: FAILED: %" PRIu64 " errors, %" PRIu64
			" writes counted on objects vs %" PRIu64 " made (seed %" PRIu64 ")\n",
			errors, counted, total_writes, seed);
		return 1;
	}
	printf("exec_loop: OK\n");
	return 0;
}
