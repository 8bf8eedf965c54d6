/* SPDX-License-Identifier: MIT */
/*
 * The checker of exercise 08: a toy driver with one VM of 8 buffers (3
 * local, sharing the VM's resv; 5 external), each mapped once. Between
 * execs the main thread evicts 1-2 buffers (seeded), and an evictor thread
 * evicts more whenever it gets a buffer's lock: an eviction copies "VRAM"
 * to "system memory", poisons VRAM and marks the vm_bo evicted, holding
 * only that buffer's resv. Each exec calls course_exec_lock(), then a "GPU
 * job" reads every buffer it holds through the VM's mappings, checks the
 * data the previous job wrote, and writes new data.
 *
 * Both list modes (DRM_GPUVM_RESV_PROTECTED, then spinlocks). Injected: ww
 * deadlocks (drm_exec must retry), "VRAM full" (-ENOSPC from one move:
 * the exec must fail with nothing locked), allocation failures (-ENOMEM,
 * nothing locked), and, in spinlock mode, one buffer mapped and evicted by
 * another thread after the exec's extobj walk: it is on the evict list but
 * not locked by this exec, so it must be left alone, and the next exec
 * must bring it back.
 *
 * Checks: every buffer the job reads is resident, not marked evicted and
 * holds the last data written; the RESV_PROTECTED evict list is empty
 * after an exec; a failed exec holds nothing; no buffer is moved without
 * its lock; no validator report; no library memory leaked.
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

#define NBO 8
#define NLOCAL 3
#define LATE NBO	/* index of the buffer mapped late (spinlock mode) */
#define EXECS 300
#define LATE_EXEC 50
#define PAGE 0x1000ull

struct run {
	const char *name;
	struct drm_gpuvm vm;
	struct course_bo *bo[NBO + 1];
	struct drm_gpuvm_bo *vm_bo[NBO + 1];	/* held by the mapping's link */
	bool mapped[NBO + 1];			/* guarded by the buffer's resv */
	uint32_t truth[NBO + 1][BO_WORDS];	/* guarded by the buffer's resv */
	atomic_bool stop;
	uint64_t evictor_rng;
	unsigned long evictor_evictions;	/* evictor thread only */
	/* Main thread only: */
	bool late_pending;
	unsigned long moves, unlocked_moves, nospc_armed, nospc_hits;
	unsigned long stale, still_evicted, list_not_empty, held_after, late_unheld;
	unsigned long enomem, bad_ret, execs_ok, evictions;
	unsigned long bos_freed;
	bool vm_freed;
	char first[160];
};

static struct run R;
static atomic_uint reports;

static void fail(const char *fmt, unsigned long a, unsigned long b)
{
	if (!R.first[0])
		snprintf(R.first, sizeof(R.first), fmt, a, b);
}

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

/* ---- the toy driver ------------------------------------------------------------- */

int course_bo_move_to_vram(struct course_bo *bo)
{
	if (!dma_resv_held(bo->base.resv)) {
		R.unlocked_moves++;
		return -EPERM;
	}
	if (bo->resident)
		return 0;
	if (R.nospc_armed) {	/* one-shot "VRAM full" */
		R.nospc_armed = 0;
		R.nospc_hits++;
		return -ENOSPC;
	}
	memcpy(bo->vram, bo->sys, sizeof(bo->vram));
	bo->resident = true;
	R.moves++;
	return 0;
}

/* Holding @bo's resv (its gpuva lock too: the VM is not in immediate mode). */
static bool evict(struct course_bo *bo)
{
	if (!bo->resident)
		return false;
	memcpy(bo->sys, bo->vram, sizeof(bo->sys));
	for (int w = 0; w < BO_WORDS; w++)
		bo->vram[w] = BO_POISON;
	bo->resident = false;
	drm_gpuvm_bo_gem_evict(&bo->base, true);
	return true;
}

static void bo_free(struct drm_gem_object *obj)
{
	drm_gem_object_release(obj);
	free(caa_container_of(obj, struct course_bo, base));
	R.bos_freed++;
}

static const struct drm_gem_object_funcs bo_funcs = { .free = bo_free };

static void vm_free(struct drm_gpuvm *vm)
{
	(void)vm;	/* static: nothing to free */
	R.vm_freed = true;
}

static const struct drm_gpuvm_ops vm_ops = {
	.vm_free = vm_free,
	.vm_bo_validate = course_vm_bo_validate,
};

static struct course_bo *bo_create(int i, bool local)
{
	struct course_bo *bo = calloc(1, sizeof(*bo));

	if (!bo)
		return NULL;
	if (local)
		bo->base.resv = drm_gpuvm_resv(&R.vm);
	if (drm_gem_object_init(&bo->base, &bo_funcs, PAGE)) {
		free(bo);
		return NULL;
	}
	bo->resident = true;
	for (int w = 0; w < BO_WORDS; w++)
		bo->vram[w] = R.truth[i][w] = (uint32_t)(i << 16 | w);
	return bo;
}

/* Map buffer @i at i * PAGE. Holding its resv (and the VM's, RESV_PROTECTED). */
static int map_bo(int i)
{
	struct course_bo *bo = R.bo[i];
	struct drm_gpuvm_bo *vm_bo;
	int ret;

	drm_gpuva_init(&bo->va, (uint64_t)i * PAGE, PAGE, &bo->base, 0);
	ret = drm_gpuva_insert(&R.vm, &bo->va);
	if (ret)
		return ret;
	vm_bo = drm_gpuvm_bo_obtain(&R.vm, &bo->base);
	if (resv_is_err(vm_bo))
		return (int)resv_ptr_err(vm_bo);
	ret = drm_gpuva_link(&bo->va, vm_bo);
	drm_gpuvm_bo_extobj_add(vm_bo);
	drm_gpuvm_bo_put(vm_bo);	/* the link holds it */
	R.vm_bo[i] = vm_bo;
	R.mapped[i] = true;
	return ret;
}

static void set_inject(const struct resv_ww_inject *inject)
{
	if (resv_ww_class_set_inject(&reservation_ww_class, inject))
		fail("cannot set deadlock injection (%lu, %lu)", 0, 0);
}

static int lock_one(struct course_bo *bo)
{
	return dma_resv_lock(bo->base.resv, NULL);
}

/* ---- threads ------------------------------------------------------------------- */

static void *evictor(void *arg)
{
	struct timespec pause = { 0, 5000 };

	(void)arg;
	while (!atomic_load(&R.stop)) {
		int i = (int)(next(&R.evictor_rng) % (NBO + 1));
		struct course_bo *bo = R.bo[i];

		if (lock_one(bo))
			continue;
		if (R.mapped[i] && evict(bo))
			R.evictor_evictions++;
		dma_resv_unlock(bo->base.resv);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

/* Another thread maps and evicts the late buffer, holding only its resv. */
static void *late_mapper(void *arg)
{
	struct course_bo *bo = R.bo[LATE];

	(void)arg;
	if (lock_one(bo))
		return NULL;
	if (!map_bo(LATE))
		evict(bo);
	dma_resv_unlock(bo->base.resv);
	return NULL;
}

/* vm_exec.extra.fn: runs after prepare_vm and prepare_objects. */
static int extra_fn(struct drm_gpuvm_exec *vm_exec)
{
	pthread_t th;

	(void)vm_exec;
	if (!R.late_pending)
		return 0;
	R.late_pending = false;
	if (pthread_create(&th, NULL, late_mapper, NULL))
		return -EAGAIN;
	pthread_join(th, NULL);
	return 0;
}

/* ---- one exec -------------------------------------------------------------------- */

static bool holds_any(void)
{
	for (int i = 0; i <= NBO; i++)
		if (R.bo[i] && dma_resv_held(R.bo[i]->base.resv))
			return true;
	return dma_resv_held(drm_gpuvm_resv(&R.vm));
}

/* The GPU job: read what the last job wrote to every buffer we hold, write anew. */
static void gpu_job(unsigned int gen)
{
	struct drm_gpuva *va;

	drm_gpuvm_for_each_va(va, &R.vm) {
		int i = (int)(va->va.addr / PAGE);
		struct course_bo *bo = caa_container_of(va->gem.obj, struct course_bo, base);

		if (!dma_resv_held(bo->base.resv)) {
			if (i == LATE)
				R.late_unheld++;
			else
				R.stale++, fail("exec %lu: buffer %lu not locked by the exec", gen,
						     (unsigned long)i);
			continue;
		}
		if (R.vm_bo[i]->evicted) {
			R.still_evicted++;
			fail("exec %lu: buffer %lu still marked evicted", gen, i);
		}
		if (!bo->resident || memcmp(bo->vram, R.truth[i], sizeof(bo->vram))) {
			R.stale++;
			fail("exec %lu: buffer %lu: the GPU read stale data (evicted, not revalidated)",
			     gen, i);
		}
		for (int w = 0; w < BO_WORDS; w++)
			bo->vram[w] = R.truth[i][w] = gen * 1000 + (uint32_t)(i << 16 | w);
	}
}

static void one_exec(unsigned int k, uint64_t *rng, bool protected)
{
	bool want_nospc = k % 10 == 7, want_nomem = k % 25 == 13;
	/* Many slots: the fence tables must grow, so the injection bites. */
	struct drm_gpuvm_exec vm_exec = {
		.vm = &R.vm, .num_fences = want_nomem ? 64 : 1, .extra.fn = extra_fn,
	};
	unsigned long hits0 = R.nospc_hits;
	struct resv_alloc_stats before, after;
	int ret;

	/* Seeded evictions: revalidation is needed whatever the timing. */
	for (unsigned int n = 1 + next(rng) % 2; n; n--) {
		int i = (int)(next(rng) % NBO);

		if (!lock_one(R.bo[i])) {
			R.evictions += evict(R.bo[i]);
			dma_resv_unlock(R.bo[i]->base.resv);
		}
	}
	R.nospc_armed = want_nospc;
	resv_alloc_get_stats(&before);
	if (want_nomem)
		resv_alloc_fail_nth(1);
	ret = course_exec_lock(&vm_exec);
	resv_alloc_fail_nth(0);
	resv_alloc_get_stats(&after);
	if (after.injected_failures != before.injected_failures) {
		if (ret != -ENOMEM) {
			R.bad_ret++;
			fail("exec %lu: allocation failed, returned -%lu, not -ENOMEM", k,
			     (unsigned long)-ret);
		}
		R.enomem++;
	} else if (R.nospc_hits != hits0) {
		if (ret != -ENOSPC) {
			R.bad_ret++;
			fail("exec %lu: a move failed with -ENOSPC, returned -%lu", k,
			     (unsigned long)-ret);
		}
	} else if (ret) {
		R.bad_ret++;
		fail("exec %lu: course_exec_lock() returned -%lu", k, (unsigned long)-ret);
	}
	R.nospc_armed = 0;
	if (!ret) {
		R.execs_ok++;
		gpu_job(k + 1);
		if (protected && !cds_list_empty(&R.vm.evict.list)) {
			R.list_not_empty++;
			fail("exec %lu: evict list not empty after validation (%lu)", k, 0ul);
		}
		drm_gpuvm_exec_unlock(&vm_exec);
	}
	if (holds_any()) {
		R.held_after++;
		/* Cannot go on: the remaining execs would deadlock. */
		printf("%s: exec %u: a lock is still held after course_exec_lock() returned %d\n"
		       "FAILED\n", R.name, k, ret);
		exit(1);
	}
}

/* ---- a run in one list mode --------------------------------------------------------- */

static void close_vm(void)
{
	struct drm_gpuvm_exec vm_exec = { .vm = &R.vm };
	struct drm_gpuva *va, *n;

	if (drm_gpuvm_exec_lock(&vm_exec)) {
		fail("teardown: cannot lock the VM (%lu, %lu)", 0, 0);
		return;
	}
	drm_gpuvm_for_each_va_safe(va, n, &R.vm) {
		drm_gpuva_unlink(va);
		if (drm_gpuva_remove(va))
			fail("teardown: cannot remove mapping %lu (%lu)", (unsigned long)(va->va.addr / PAGE), 0);
	}
	drm_gpuvm_exec_unlock(&vm_exec);
}

static int run(bool protected, uint64_t seed)
{
	struct resv_ww_inject inject = { .mode = RESV_WW_INJECT_RANDOM, .per_million = 50000,
					 .seed = seed };
	struct resv_ww_inject off = { .mode = RESV_WW_INJECT_OFF };
	struct drm_gem_object *r_obj;
	struct drm_exec exec;
	uint64_t rng = seed * 7919 + protected;
	pthread_t th;
	int ret = 0, bad = 0;

	memset(&R, 0, sizeof(R));
	R.name = protected ? "RESV_PROTECTED" : "spinlocks";
	R.evictor_rng = seed * 104729 + 1;
	r_obj = drm_gpuvm_resv_object_alloc(NULL);
	if (!r_obj || drm_gpuvm_init(&R.vm, "course-08", protected ? DRM_GPUVM_RESV_PROTECTED : 0,
				     NULL, r_obj, 0, 1ull << 32, 0, 0, &vm_ops))
		return 1;
	drm_gem_object_put(r_obj);
	for (int i = 0; i <= NBO; i++) {
		R.bo[i] = bo_create(i, i < NLOCAL);
		if (!R.bo[i])
			return 1;
	}
	/* Map everything but the late buffer, holding every resv. */
	drm_exec_init(&exec, DRM_EXEC_IGNORE_DUPLICATES, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_lock_obj(&exec, R.vm.r_obj);
		drm_exec_retry_on_contention(&exec);
		for (int i = 0; !ret && i < NBO; i++) {
			ret = drm_exec_lock_obj(&exec, &R.bo[i]->base);
			drm_exec_retry_on_contention(&exec);
		}
	}
	for (int i = 0; !ret && i < NBO; i++)
		ret = map_bo(i);
	drm_exec_fini(&exec);
	if (ret)
		return 1;

	R.late_pending = false;
	set_inject(&inject);
	if (pthread_create(&th, NULL, evictor, NULL))
		return 1;
	for (unsigned int k = 0; k < EXECS; k++) {
		bool late = !protected && k == LATE_EXEC;
		struct timespec gap = { 0, 30000 };

		nanosleep(&gap, NULL);	/* let the evictor in */
		if (late) {
			/* No injected retry: the late buffer must stay unlocked. */
			set_inject(&off);
			R.late_pending = true;
		}
		one_exec(k, &rng, protected);
		if (late) {
			set_inject(&inject);
			if (R.late_unheld != 1)
				fail("exec %lu: the late buffer was locked by the exec it raced "
				     "(seen unlocked %lu times)", k, R.late_unheld);
			if (!lock_one(R.bo[LATE])) {
				/* Left alone: still evicted, and the VM still knows. */
				if (R.bo[LATE]->resident || !R.vm_bo[LATE]->evicted) {
					R.stale++;
					fail("exec %lu: the late buffer, not locked by the exec, "
					     "was revalidated anyway (%lu)", k, 0);
				}
				dma_resv_unlock(R.bo[LATE]->base.resv);
			}
		}
	}
	atomic_store(&R.stop, true);
	pthread_join(th, NULL);
	set_inject(&off);

	/* One more exec with no eviction pending from us: everything comes back. */
	one_exec(EXECS, &rng, protected);
	close_vm();
	for (int i = 0; i <= NBO; i++)
		drm_gem_object_put(&R.bo[i]->base);
	drm_gpuvm_put(&R.vm);

	if (R.first[0]) {
		printf("%s: %s\n", R.name, R.first);
		bad = 1;
	}
	if (R.unlocked_moves) {
		printf("%s: %lu buffer move(s) without holding the buffer's resv\n", R.name,
		       R.unlocked_moves);
		bad = 1;
	}
	if (R.stale || R.still_evicted || R.list_not_empty || R.bad_ret) {
		printf("%s: %lu stale read(s), %lu still marked evicted, %lu non-empty evict "
		       "list(s), %lu wrong return(s)\n", R.name, R.stale, R.still_evicted,
		       R.list_not_empty, R.bad_ret);
		bad = 1;
	}
	if (!bad && (R.moves == 0 || R.nospc_hits == 0 || R.enomem == 0)) {
		printf("%s: nothing was revalidated, or an injection did not bite\n", R.name);
		bad = 1;
	}
	if (R.bos_freed != NBO + 1 || !R.vm_freed) {
		printf("%s: teardown freed %lu of %d buffers, VM %s\n", R.name, R.bos_freed,
		       NBO + 1, R.vm_freed ? "freed" : "NOT freed");
		bad = 1;
	}
	if (!bad)
		printf("%s: %lu execs ok, %lu evictions (%lu by the evictor thread), %lu moves "
		       "back, %lu -ENOSPC and %lu -ENOMEM handled, late buffer left alone "
		       "%lu time(s); every job read the data the last one wrote\n", R.name,
		       R.execs_ok, R.evictions + R.evictor_evictions, R.evictor_evictions,
		       R.moves, R.nospc_hits, R.enomem, R.late_unheld);
	return bad;
}

int main(void)
{
	const char *env = getenv("RESV_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 1;
	int bad;

	resv_report_set_hook(count_report, NULL);
	bad = run(true, seed);
	if (!bad)
		bad = run(false, seed);
	if (!bad && atomic_load(&reports)) {
		printf("%u validator report(s)\n", atomic_load(&reports));
		bad = 1;
	}
	if (bad)
		printf("FAILED (RESV_SEED=%llu)\n", (unsigned long long)seed);
	return bad;
}
