/* SPDX-License-Identifier: MIT */
/*
 * Seeded, time-bounded stress of drm_gpuvm's extobj and evict lists, in
 * both protection modes (internal spinlocks; DRM_GPUVM_RESV_PROTECTED).
 *
 * One VM, NLOC local objects (sharing the VM's resv) and NEXT external
 * ones. Each object has a "resident" flag guarded by its resv. Roles:
 *
 *   exec     drm_gpuvm_exec_lock() (VM resv + every extobj), then
 *            drm_gpuvm_validate(), whose callback makes the object
 *            resident and calls drm_gpuvm_bo_evict(false) (spinlock mode:
 *            an object mapped and evicted after this exec's extobj walk is
 *            on the evict list but not locked; the callback leaves it for
 *            the next exec, and counts it); then the
 *            oracle: every object this exec holds locked, and every local
 *            object mapped in the VM, must be resident. Two such threads.
 *   evictor  locks one object's resv (alone, as TTM's eviction would),
 *            marks it non-resident and calls drm_gpuvm_bo_gem_evict(true).
 *            In RESV_PROTECTED mode that only flags an external object's
 *            vm_bo: prepare_objects must fold it into the evict list, or
 *            validate misses it and the oracle fires.
 *   binder   maps and unmaps objects at random slots (VM_BIND): obtain +
 *            link + extobj_add / unlink, which inserts vm_bos into the
 *            lists and destroys them while the exec threads walk. In
 *            spinlock mode a map holds only the object's resv (a truly
 *            concurrent insertion); unmaps, which may destroy a vm_bo, hold
 *            the VM resv too (the rule of drm_gpuvm.h: the last reference
 *            must not be dropped under a running walk).
 *
 * So the oracle is "every evicted object is validated before the next exec
 * that uses it completes": eviction needs the object's resv, which the exec
 * holds from before validate until after the check. "Uses" means locked
 * and mapped: after a contention drm_exec keeps the contended object
 * locked even if the binder unmapped it meanwhile (counted, not checked).
 *
 * Environment:
 *   RESV_SEED            seed (default: time-based); printed at the start
 *                        and with every failure
 *   RESV_STRESS_SECONDS  seconds per mode (default 2)
 *
 * Workers never call cmocka asserts: they record, the main thread asserts.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <resv/drm_exec.h>
#include <resv/drm_gpuvm.h>
#include <resv/rcu.h>
#include <resv/report.h>

#define NLOC 4
#define NEXT 24
#define NOBJ (NLOC + NEXT)
#define SLOTS 64
#define SLOT_SIZE 16
#define NEXEC 2

static uint64_t seed;
static unsigned int seconds = 2;

struct sbo {
	struct drm_gem_object base;
	unsigned int id;
	bool resident;			/* guarded by base.resv */
	unsigned long evictions;	/* guarded by base.resv */
};

struct slot {
	struct drm_gpuva va;
	bool used;
};

struct stress {
	struct drm_gpuvm vm;
	enum drm_gpuvm_flags mode;
	pthread_mutex_t vm_lock;	/* the driver's VM lock: tree and slots */
	struct sbo *bo[NOBJ];
	struct slot slot[SLOTS];
	int stop;
	/* results (atomics) */
	unsigned long execs, validations, evictions, maps, unmaps, contended;
	unsigned long unlocked_skipped;	/* validate calls for objects not locked */
	unsigned long locked_unmapped;	/* objects locked, no longer mapped */
	unsigned long violations, errors;
	char first_error[160];
};

static void record_error(struct stress *s, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED) == 0)
		memcpy(s->first_error, msg, sizeof(msg));
}

static uint64_t rng_next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool stopped(struct stress *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_RELAXED);
}

static struct sbo *to_sbo(struct drm_gem_object *obj)
{
	return caa_container_of(obj, struct sbo, base);
}

/* ---- driver callbacks ------------------------------------------------------------ */

/*
 * Is @obj locked by @exec? Asked of the exec's table rather than with
 * dma_resv_held(): that one reads the owner's acquire context, which for an
 * object another thread holds lives on that thread's stack.
 */
static bool exec_holds(struct drm_exec *exec, struct drm_gem_object *obj)
{
	struct drm_gem_object *locked;
	unsigned long index;

	drm_exec_for_each_locked_object(exec, index, locked)
		if (locked->resv == obj->resv)
			return true;
	return false;
}

static int stress_validate(struct drm_gpuvm_bo *vm_bo, struct drm_exec *exec)
{
	struct stress *s = caa_container_of(vm_bo->vm, struct stress, vm);
	struct sbo *bo = to_sbo(vm_bo->obj);

	if (!exec_holds(exec, &bo->base)) {
		/*
		 * Spinlock mode only: the binder mapped this object, holding
		 * just its resv, after our prepare_objects walked the extobj
		 * list, and it was evicted since. This exec does not use it;
		 * leave it listed for the next one. Under RESV_PROTECTED the
		 * evict list only ever holds objects the exec has locked.
		 */
		if (s->mode & DRM_GPUVM_RESV_PROTECTED)
			record_error(s, "validate of object %u without its resv", bo->id);
		__atomic_add_fetch(&s->unlocked_skipped, 1, __ATOMIC_RELAXED);
		return 0;
	}
	bo->resident = true;
	drm_gpuvm_bo_evict(vm_bo, false);
	__atomic_add_fetch(&s->validations, 1, __ATOMIC_RELAXED);
	return 0;
}

static void stress_vm_free(struct drm_gpuvm *gpuvm)
{
	(void)gpuvm;	/* embedded in struct stress */
}

static const struct drm_gpuvm_ops stress_ops = {
	.vm_free = stress_vm_free,
	.vm_bo_validate = stress_validate,
};

static void sbo_free(struct drm_gem_object *obj)
{
	drm_gem_object_release(obj);
	free(to_sbo(obj));
}

static const struct drm_gem_object_funcs sbo_funcs = { .free = sbo_free };

/* ---- exec ----------------------------------------------------------------------------- */

static void exec_once(struct stress *s)
{
	struct drm_gpuvm_exec vm_exec = { .vm = &s->vm, .num_fences = 1 };
	struct drm_gem_object *obj;
	unsigned long index;
	int ret;

	ret = drm_gpuvm_exec_lock(&vm_exec);
	if (ret) {
		record_error(s, "exec_lock: %d", ret);
		return;
	}
	if (resv_exec_restart_count(&vm_exec.exec, RESV_EXEC_RESTART_CONTENDED))
		__atomic_add_fetch(&s->contended, 1, __ATOMIC_RELAXED);
	ret = drm_gpuvm_exec_validate(&vm_exec);
	if (ret)
		record_error(s, "validate: %d", ret);

	/*
	 * The oracle, over the objects the exec uses: locked and mapped. An
	 * object can be locked without being mapped any more: after a
	 * contention drm_exec slow-locks the contended object first, and the
	 * binder may have unmapped it meanwhile; nothing revalidates it then,
	 * as nothing uses it.
	 */
	drm_exec_for_each_locked_object(&vm_exec.exec, index, obj) {
		struct drm_gpuvm_bo *vm_bo;

		if (obj == s->vm.r_obj)
			continue;
		vm_bo = drm_gpuvm_bo_find(&s->vm, obj);
		if (!vm_bo) {
			__atomic_add_fetch(&s->locked_unmapped, 1, __ATOMIC_RELAXED);
			continue;
		}
		drm_gpuvm_bo_put(vm_bo);	/* the mappings hold it: not the last */
		if (!to_sbo(obj)->resident) {
			__atomic_add_fetch(&s->violations, 1, __ATOMIC_RELAXED);
			record_error(s, "external object %u locked but not resident after validate",
				     to_sbo(obj)->id);
		}
	}
	for (int i = 0; i < NLOC; i++) {
		struct drm_gpuvm_bo *vm_bo = drm_gpuvm_bo_find(&s->vm, &s->bo[i]->base);

		if (!vm_bo)
			continue;	/* not mapped */
		if (!s->bo[i]->resident) {
			__atomic_add_fetch(&s->violations, 1, __ATOMIC_RELAXED);
			record_error(s, "local object %u mapped but not resident after validate", i);
		}
		drm_gpuvm_bo_put(vm_bo);	/* the mappings hold it: not the last */
	}
	drm_gpuvm_exec_unlock(&vm_exec);
	__atomic_add_fetch(&s->execs, 1, __ATOMIC_RELAXED);
}

static void *exec_thread(void *arg)
{
	struct stress *s = arg;

	while (!stopped(s))
		exec_once(s);
	return NULL;
}

/* ---- evictor -------------------------------------------------------------------------- */

static void *evict_thread(void *arg)
{
	struct stress *s = arg;
	uint64_t rng = seed ^ 0xe71c7;

	while (!stopped(s)) {
		struct sbo *bo = s->bo[rng_next(&rng) % NOBJ];

		/* Mostly a trylock, as a shrinker would; sometimes a blocking
		 * lock, as an eviction for another allocation would. */
		if (rng_next(&rng) % 4) {
			if (!dma_resv_trylock(bo->base.resv)) {
				sched_yield();
				continue;
			}
		} else if (dma_resv_lock(bo->base.resv, NULL)) {
			record_error(s, "evictor: lock failed");
			continue;
		}
		bo->resident = false;
		bo->evictions++;
		drm_gpuvm_bo_gem_evict(&bo->base, true);
		dma_resv_unlock(bo->base.resv);
		__atomic_add_fetch(&s->evictions, 1, __ATOMIC_RELAXED);
		if (rng_next(&rng) % 8 == 0)
			sched_yield();
	}
	return NULL;
}

/* ---- binder ------------------------------------------------------------------------- */

/* Lock the object (and the VM resv when @with_vm) in one ww transaction. */
static int bind_lock(struct stress *s, struct drm_exec *exec, struct drm_gem_object *obj,
		     bool with_vm)
{
	int ret = 0;

	drm_exec_init(exec, DRM_EXEC_IGNORE_DUPLICATES, 0);
	drm_exec_until_all_locked(exec) {
		if (with_vm) {
			ret = drm_gpuvm_prepare_vm(&s->vm, exec, 0);
			drm_exec_retry_on_contention(exec);
			if (ret)
				break;
		}
		ret = drm_exec_lock_obj(exec, obj);
		drm_exec_retry_on_contention(exec);
		if (ret)
			break;
	}
	if (ret)
		drm_exec_fini(exec);
	return ret;
}

static void map_slot(struct stress *s, struct slot *sl, unsigned int idx, struct sbo *bo)
{
	bool protected = s->mode & DRM_GPUVM_RESV_PROTECTED;
	struct drm_gpuvm_bo *vm_bo;
	struct drm_exec exec;

	if (bind_lock(s, &exec, &bo->base, protected)) {
		record_error(s, "binder: lock for map failed");
		return;
	}
	vm_bo = drm_gpuvm_bo_obtain(&s->vm, &bo->base);
	if (resv_is_err(vm_bo)) {
		record_error(s, "binder: obtain %ld", resv_ptr_err(vm_bo));
		drm_exec_fini(&exec);
		return;
	}
	memset(&sl->va, 0, sizeof(sl->va));
	drm_gpuva_init(&sl->va, (uint64_t)idx * SLOT_SIZE, SLOT_SIZE, &bo->base, 0);
	if (drm_gpuva_insert(&s->vm, &sl->va))
		record_error(s, "binder: insert failed");
	drm_gpuva_link(&sl->va, vm_bo);
	drm_gpuvm_bo_extobj_add(vm_bo);
	/* A new vm_bo of an evicted object must be revalidated too. */
	if (!bo->resident)
		drm_gpuvm_bo_evict(vm_bo, true);
	drm_gpuvm_bo_put(vm_bo);	/* the link holds it */
	drm_exec_fini(&exec);
	sl->used = true;
	__atomic_add_fetch(&s->maps, 1, __ATOMIC_RELAXED);
}

static void unmap_slot(struct stress *s, struct slot *sl)
{
	struct drm_gem_object *obj = sl->va.gem.obj;
	struct drm_exec exec;

	if (bind_lock(s, &exec, obj, true)) {
		record_error(s, "binder: lock for unmap failed");
		return;
	}
	drm_gpuva_unlink(&sl->va);	/* may destroy the vm_bo */
	drm_gpuva_remove(&sl->va);
	drm_exec_fini(&exec);
	sl->used = false;
	__atomic_add_fetch(&s->unmaps, 1, __ATOMIC_RELAXED);
}

static void *bind_thread(void *arg)
{
	struct stress *s = arg;
	uint64_t rng = seed ^ 0xb1d;

	while (!stopped(s)) {
		unsigned int idx = (unsigned int)(rng_next(&rng) % SLOTS);
		struct slot *sl = &s->slot[idx];

		pthread_mutex_lock(&s->vm_lock);
		if (sl->used)
			unmap_slot(s, sl);
		else
			map_slot(s, sl, idx, s->bo[rng_next(&rng) % NOBJ]);
		pthread_mutex_unlock(&s->vm_lock);
	}
	return NULL;
}

/* ---- one mode ------------------------------------------------------------------------ */

static void run_mode(enum drm_gpuvm_flags mode)
{
	struct stress *s = calloc(1, sizeof(*s));
	struct drm_gem_object *r_obj = drm_gpuvm_resv_object_alloc(NULL);
	pthread_t exec[NEXEC], evictor, binder;
	struct timespec until;
	unsigned long extobjs = 0, evictions = 0;

	assert_non_null(s);
	assert_non_null(r_obj);
	s->mode = mode;
	pthread_mutex_init(&s->vm_lock, NULL);
	assert_int_equal(drm_gpuvm_init(&s->vm, "stress", mode, NULL, r_obj, 0,
					(uint64_t)SLOTS * SLOT_SIZE, 0, 0, &stress_ops),
			 0);
	drm_gem_object_put(r_obj);
	for (int i = 0; i < NOBJ; i++) {
		struct sbo *bo = calloc(1, sizeof(*bo));

		assert_non_null(bo);
		bo->id = (unsigned int)i;
		bo->resident = true;
		bo->base.resv = i < NLOC ? drm_gpuvm_resv(&s->vm) : NULL;
		assert_int_equal(drm_gem_object_init(&bo->base, &sbo_funcs, 4096), 0);
		s->bo[i] = bo;
	}

	for (int i = 0; i < NEXEC; i++)
		assert_int_equal(pthread_create(&exec[i], NULL, exec_thread, s), 0);
	assert_int_equal(pthread_create(&evictor, NULL, evict_thread, s), 0);
	assert_int_equal(pthread_create(&binder, NULL, bind_thread, s), 0);
	until.tv_sec = seconds;
	until.tv_nsec = 0;
	while (nanosleep(&until, &until))
		;
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < NEXEC; i++)
		pthread_join(exec[i], NULL);
	pthread_join(evictor, NULL);
	pthread_join(binder, NULL);

	print_message("mode %s: %lu execs (%lu contended), %lu evictions, %lu validations "
		      "(%lu of unlocked objects skipped), %lu maps, %lu unmaps, "
		      "%lu locked objects found unmapped\n",
		      mode ? "resv-protected" : "spinlock", s->execs, s->contended, s->evictions,
		      s->validations, s->unlocked_skipped, s->maps, s->unmaps, s->locked_unmapped);
	if (s->errors)
		print_error("seed=%" PRIu64 ": %lu error(s), first: %s\n", seed, s->errors,
			    s->first_error);
	assert_int_equal(s->errors, 0);
	assert_int_equal(s->violations, 0);
	assert_true(s->execs > 0 && s->evictions > 0 && s->validations > 0 && s->maps > 0);

	/* The walks left the lists whole: the extobj list holds exactly the
	 * external objects that are still mapped. */
	for (int i = NLOC; i < NOBJ; i++) {
		assert_int_equal(dma_resv_lock(s->bo[i]->base.resv, NULL), 0);
		if (!cds_list_empty(&s->bo[i]->base.gpuva.list))
			extobjs++;
		evictions += s->bo[i]->evictions;
		dma_resv_unlock(s->bo[i]->base.resv);
	}
	{
		struct cds_list_head *pos;
		unsigned long listed = 0;

		cds_list_for_each(pos, &s->vm.extobj.list)
			listed++;
		assert_int_equal(listed, extobjs);
		assert_null(s->vm.extobj.local_list);
		assert_null(s->vm.evict.local_list);
	}
	assert_true(evictions <= s->evictions);

	/* Teardown: every reference back. */
	for (int i = 0; i < SLOTS; i++)
		if (s->slot[i].used)
			unmap_slot(s, &s->slot[i]);
	assert_true(cds_list_empty(&s->vm.extobj.list));
	assert_true(cds_list_empty(&s->vm.evict.list));
	assert_int_equal(drm_gpuvm_refcount(&s->vm), 1);
	for (int i = 0; i < NOBJ; i++) {
		assert_true(cds_list_empty(&s->bo[i]->base.gpuva.list));
		assert_int_equal(drm_gem_object_refcount(&s->bo[i]->base), 1);
		drm_gem_object_put(&s->bo[i]->base);
	}
	drm_gpuvm_put(&s->vm);
	pthread_mutex_destroy(&s->vm_lock);
	free(s);
}

static unsigned int misuse_reports;

static void count_reports(const struct resv_report *r, void *arg)
{
	(void)arg;
	__atomic_add_fetch(&misuse_reports, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "report %s: %s (seed=%" PRIu64 ")\n", resv_report_kind_name(r->kind),
		r->message, seed);
}

static void test_gpuvm_lists_spinlock_mode(void **state)
{
	(void)state;
	run_mode(0);
}

static void test_gpuvm_lists_resv_protected(void **state)
{
	(void)state;
	run_mode(DRM_GPUVM_RESV_PROTECTED);
}

static int setup(void **state)
{
	(void)state;
	misuse_reports = 0;
	resv_report_set_hook(count_reports, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	resv_report_set_hook(NULL, NULL);
	resv_rcu_barrier();
	assert_int_equal(misuse_reports, 0);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gpuvm_lists_spinlock_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpuvm_lists_resv_protected, setup, teardown),
	};
	const char *env = getenv("RESV_SEED");

	seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	env = getenv("RESV_STRESS_SECONDS");
	if (env && atoi(env) > 0)
		seconds = (unsigned int)atoi(env);
	printf("stress_gpuvm_lists: seed=%" PRIu64 " seconds=%u per mode\n", seed, seconds);
	return cmocka_run_group_tests_name("stress_gpuvm_lists", tests, NULL, NULL);
}
