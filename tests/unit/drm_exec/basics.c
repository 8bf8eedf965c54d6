/* SPDX-License-Identifier: MIT */
/*
 * The kernel's KUnit drm_exec_test scenarios (sanitycheck, lock,
 * lock/unlock/relock, duplicates, prepare, prepare_array, multiple loops),
 * in the GNU form as the kernel writes them, plus the portable form, the
 * iterators, drm_exec_unlock_obj() and bad input.
 */
#include <resv/dma-fence.h>
#include <resv/rcu.h>
#include <resv/spinlock.h>

#include "internal/dma-resv.h"

#include "exec_test.h"

void test_drm_exec_sanitycheck(void **state)
{
	uint64_t before = et_live_bytes();
	struct drm_exec exec;

	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
	assert_int_equal(exec.num_objects, 0);
	assert_null(drm_exec_obj(&exec, 0));
	drm_exec_fini(&exec);
	assert_int_equal(et_live_bytes(), before);
}

void test_drm_exec_lock(void **state)
{
	struct et_bos set;
	struct drm_exec exec;
	int ret, runs = 0;

	et_bos_init(&set, 1, NULL);
	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
	drm_exec_until_all_locked(&exec) {
		runs++;
		ret = drm_exec_lock_obj(&exec, et_obj(&set, 0));
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
	}
	assert_int_equal(runs, 1);
	et_assert_table(&exec, set.obj, 1);
	assert_int_equal(drm_gem_object_refcount(et_obj(&set, 0)), 2);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_NONE), 0);
	assert_int_equal(resv_exec_last_restart(&exec), RESV_EXEC_RESTART_NONE);
	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

void test_drm_exec_lock_unlock(void **state)
{
	struct et_bos set;
	struct drm_exec exec;
	struct drm_gem_object *obj;
	int ret;

	et_bos_init(&set, 1, NULL);
	obj = et_obj(&set, 0);
	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_lock_obj(&exec, obj);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);

		drm_exec_unlock_obj(&exec, obj);
		assert_int_equal(exec.num_objects, 0);
		assert_false(dma_resv_is_locked(obj->resv));
		assert_int_equal(drm_gem_object_refcount(obj), 1);

		ret = drm_exec_lock_obj(&exec, obj);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
	}
	et_assert_table(&exec, set.obj, 1);
	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

void test_drm_exec_duplicates_ignored(void **state)
{
	struct et_bos set;
	struct drm_exec exec;
	struct drm_gem_object *obj;
	int ret;

	et_bos_init(&set, 1, NULL);
	obj = et_obj(&set, 0);
	drm_exec_init(&exec, DRM_EXEC_IGNORE_DUPLICATES, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_lock_obj(&exec, obj);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);

		ret = drm_exec_lock_obj(&exec, obj);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
	}
	/* Tracked once, one reference. */
	et_assert_table(&exec, set.obj, 1);
	assert_int_equal(drm_gem_object_refcount(obj), 2);
	assert_int_equal(exec.ticket.stats.already, 1);
	/* As the kernel's test: unlock after the loop, then fini. */
	drm_exec_unlock_obj(&exec, obj);
	assert_false(dma_resv_is_locked(obj->resv));
	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

void test_drm_exec_duplicates_ealready(void **state)
{
	struct et_bos set;
	struct drm_exec exec;
	int ret, second = 0;

	et_bos_init(&set, 1, NULL);
	drm_exec_init(&exec, 0, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_lock_obj(&exec, et_obj(&set, 0));
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);

		second = drm_exec_lock_obj(&exec, et_obj(&set, 0));
		drm_exec_retry_on_contention(&exec);
	}
	assert_int_equal(second, -EALREADY);
	/* Still locked, still tracked exactly once. */
	et_assert_table(&exec, set.obj, 1);
	assert_int_equal(drm_gem_object_refcount(et_obj(&set, 0)), 2);
	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

/* VM-local objects share the VM's resv: the second is a duplicate of the first. */
void test_drm_exec_shared_resv(void **state)
{
	struct dma_resv vm_resv;
	struct et_bos set;
	struct drm_exec exec;
	int r0 = 1, r1 = 1, pass;

	dma_resv_init(&vm_resv);
	et_bos_init(&set, 2, &vm_resv);
	assert_ptr_equal(et_obj(&set, 0)->resv, &vm_resv);
	assert_ptr_equal(et_obj(&set, 1)->resv, &vm_resv);

	for (pass = 0; pass < 2; pass++) {
		drm_exec_init(&exec, pass ? DRM_EXEC_IGNORE_DUPLICATES : 0, 0);
		drm_exec_until_all_locked(&exec) {
			r0 = drm_exec_lock_obj(&exec, et_obj(&set, 0));
			drm_exec_retry_on_contention(&exec);
			r1 = drm_exec_lock_obj(&exec, et_obj(&set, 1));
			drm_exec_retry_on_contention(&exec);
		}
		assert_int_equal(r0, 0);
		assert_int_equal(r1, pass ? 0 : -EALREADY);
		/* Only the first is tracked; the second took no reference. */
		et_assert_table(&exec, set.obj, 1);
		assert_int_equal(drm_gem_object_refcount(et_obj(&set, 1)), 1);
		assert_true(dma_resv_held(&vm_resv));
		drm_exec_fini(&exec);
		et_assert_baseline(&set);
	}
	et_bos_fini(&set);
	dma_resv_fini(&vm_resv);
}

/* ---- prepare: fence slots --------------------------------------------------------- */

static const char *tf_name(struct dma_fence *f) { return "exec-test"; }
static const struct dma_fence_ops tf_ops = {
	.get_driver_name = tf_name,
	.get_timeline_name = tf_name,
};
static struct resv_spinlock tf_lock = RESV_SPINLOCK_INITIALIZER;

static unsigned int free_slots(struct dma_resv *resv, unsigned int *num)
{
	unsigned int max, cap;

	resv__dma_resv_slots(resv, num, &max, &cap);
	return max - *num;
}

void test_drm_exec_prepare(void **state)
{
	struct dma_fence *fences[3];
	struct et_bos set;
	struct drm_exec exec;
	struct drm_gem_object *obj;
	unsigned int i, num;
	int ret;

	et_bos_init(&set, 1, NULL);
	obj = et_obj(&set, 0);
	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_prepare_obj(&exec, obj, 3);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
	}
	et_assert_table(&exec, set.obj, 1);
	assert_true(free_slots(obj->resv, &num) >= 3);
	assert_int_equal(num, 0);

	/* The reservation is real: three adds draw no "not reserved" report. */
	for (i = 0; i < 3; i++) {
		fences[i] = resv_dma_fence_alloc(sizeof(*fences[i]));
		assert_non_null(fences[i]);
		dma_fence_init(fences[i], &tf_ops, &tf_lock, dma_fence_context_alloc(1), 1);
		dma_resv_add_fence(obj->resv, fences[i], DMA_RESV_USAGE_WRITE);
	}
	(void)free_slots(obj->resv, &num);
	assert_int_equal(num, 3);
	drm_exec_fini(&exec);
	et_assert_baseline(&set);

	for (i = 0; i < 3; i++) {
		dma_fence_signal(fences[i]);
		dma_fence_put(fences[i]);
	}
	et_bos_fini(&set);
	resv_rcu_barrier();
}

/* num_fences 0 is the reservation's -EINVAL: the object is unlocked again. */
void test_drm_exec_prepare_zero_fences(void **state)
{
	struct et_bos set;
	struct drm_exec exec;
	int ret = 1;

	et_bos_init(&set, 1, NULL);
	drm_exec_init(&exec, 0, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_prepare_obj(&exec, et_obj(&set, 0), 0);
		drm_exec_retry_on_contention(&exec);
	}
	assert_int_equal(ret, -EINVAL);
	assert_int_equal(exec.num_objects, 0);
	assert_false(dma_resv_is_locked(et_obj(&set, 0)->resv));
	assert_int_equal(drm_gem_object_refcount(et_obj(&set, 0)), 1);
	drm_exec_fini(&exec);
	/* dma_resv reports the 0 as a fence misuse in debug builds. */
	assert_int_equal(et_reports_take(RESV_REPORT_FENCE_MISUSE),
			 resv_report_checks_enabled() ? 1 : 0);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

void test_drm_exec_prepare_array(void **state)
{
	struct et_bos set;
	struct drm_exec exec;
	unsigned int i, num;
	int ret;

	et_bos_init(&set, 2, NULL);
	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_prepare_array(&exec, NULL, 0, 1);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
		assert_int_equal(exec.num_objects, 0);
		assert_int_equal(drm_exec_prepare_array(&exec, NULL, 2, 1), -EINVAL);
		assert_int_equal(exec.num_objects, 0);

		ret = drm_exec_prepare_array(&exec, set.obj, set.n, 2);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
	}
	et_assert_table(&exec, set.obj, 2);
	for (i = 0; i < 2; i++)
		assert_true(free_slots(et_obj(&set, i)->resv, &num) >= 2);
	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

void test_drm_exec_multiple_loops(void **state)
{
	struct drm_gem_object *reversed[2];
	struct et_bos set;
	struct drm_exec exec;
	int ret;

	/* The kernel's test: two loops left with break, each with init/fini. */
	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
	drm_exec_until_all_locked(&exec) {
		break;
	}
	drm_exec_fini(&exec);

	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
	drm_exec_until_all_locked(&exec) {
		break;
	}
	drm_exec_fini(&exec);

	/* And two that lock the same objects in opposite orders. */
	et_bos_init(&set, 2, NULL);
	drm_exec_init(&exec, 0, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_lock_obj(&exec, et_obj(&set, 0));
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
		ret = drm_exec_lock_obj(&exec, et_obj(&set, 1));
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
	}
	et_assert_table(&exec, set.obj, 2);
	drm_exec_fini(&exec);
	et_assert_baseline(&set);

	reversed[0] = et_obj(&set, 1);
	reversed[1] = et_obj(&set, 0);
	drm_exec_init(&exec, 0, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_prepare_array(&exec, reversed, 2, 1);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
	}
	et_assert_table(&exec, reversed, 2);
	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

void test_drm_exec_portable_loop(void **state)
{
	struct et_bos set;
	struct drm_exec exec;
	unsigned int i;
	int ret = 0, runs = 0;

	et_bos_init(&set, 4, NULL);
	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
	while (resv_exec_begin(&exec)) {
		runs++;
		for (i = 0; i < set.n; i++) {
			ret = drm_exec_prepare_obj(&exec, et_obj(&set, i), 1);
			if (resv_exec_restart_on(&exec, ret))
				break;
			if (ret)
				goto out;
		}
	}
	assert_int_equal(runs, 1);
	et_assert_table(&exec, set.obj, set.n);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_NONE), 0);
out:
	assert_int_equal(ret, 0);
	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

void test_drm_exec_iterators(void **state)
{
	struct drm_gem_object *obj;
	struct et_bos set;
	struct drm_exec exec;
	unsigned long index, visits = 0;
	unsigned int i;
	int ret;

	et_bos_init(&set, 5, NULL);
	drm_exec_init(&exec, 0, 0);
	drm_exec_until_all_locked(&exec) {
		/* Nothing locked yet: both iterators visit nothing. */
		drm_exec_for_each_locked_object(&exec, index, obj)
			visits++;
		drm_exec_for_each_locked_object_reverse(&exec, index, obj)
			visits++;
		for (i = 0; i < set.n; i++) {
			ret = drm_exec_lock_obj(&exec, et_obj(&set, i));
			drm_exec_retry_on_contention(&exec);
			assert_int_equal(ret, 0);
		}
	}
	assert_int_equal(visits, 0);

	i = 0;
	drm_exec_for_each_locked_object(&exec, index, obj) {
		assert_int_equal(index, i);
		assert_ptr_equal(obj, et_obj(&set, i));
		i++;
	}
	assert_int_equal(i, 5);
	drm_exec_for_each_locked_object_reverse(&exec, index, obj) {
		i--;
		assert_int_equal(index, i);
		assert_ptr_equal(obj, et_obj(&set, i));
	}
	assert_int_equal(i, 0);
	assert_ptr_equal(drm_exec_obj(&exec, 4), et_obj(&set, 4));
	assert_null(drm_exec_obj(&exec, 5));
	assert_null(drm_exec_obj(&exec, (unsigned long)-1));
	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

void test_drm_exec_unlock_obj_order(void **state)
{
	struct drm_gem_object *expect[5];
	struct et_bos set;
	struct drm_exec exec;
	unsigned int i;
	int ret;

	et_bos_init(&set, 5, NULL);
	drm_exec_init(&exec, 0, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_prepare_array(&exec, set.obj, set.n, 1);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
	}
	drm_exec_unlock_obj(&exec, et_obj(&set, 2));  /* middle */
	drm_exec_unlock_obj(&exec, et_obj(&set, 0));  /* first */
	drm_exec_unlock_obj(&exec, et_obj(&set, 4));  /* last */
	drm_exec_unlock_obj(&exec, et_obj(&set, 2));  /* not tracked: nothing */
	expect[0] = et_obj(&set, 1);
	expect[1] = et_obj(&set, 3);
	et_assert_table(&exec, expect, 2);
	for (i = 0; i < 5; i += 2) {
		assert_false(dma_resv_is_locked(et_obj(&set, i)->resv));
		assert_int_equal(drm_gem_object_refcount(et_obj(&set, i)), 1);
	}
	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

void test_drm_exec_einval(void **state)
{
	struct drm_gem_object bare;
	struct et_bos set;
	struct drm_exec exec;
	int ret;

	memset(&bare, 0, sizeof(bare)); /* never initialised: no resv */
	et_bos_init(&set, 1, NULL);
	drm_exec_init(&exec, 0, 0);
	/* Outside the loop there is no ticket to lock with. */
	assert_int_equal(drm_exec_lock_obj(&exec, et_obj(&set, 0)), -EINVAL);
	assert_int_equal(drm_exec_prepare_array(&exec, set.obj, 1, 1), -EINVAL);
	assert_int_equal(exec.num_objects, 0);
	assert_false(dma_resv_is_locked(et_obj(&set, 0)->resv));
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_lock_obj(&exec, et_obj(&set, 0));
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);

		assert_int_equal(drm_exec_lock_obj(&exec, NULL), -EINVAL);
		assert_int_equal(drm_exec_lock_obj(&exec, &bare), -EINVAL);
		assert_int_equal(drm_exec_prepare_obj(&exec, NULL, 1), -EINVAL);
		assert_false(drm_exec_is_contended(&exec));
		drm_exec_unlock_obj(&exec, NULL); /* not tracked: nothing */
	}
	et_assert_table(&exec, set.obj, 1);
	assert_int_equal(resv_exec_set_exclusive(NULL, NULL), -EINVAL);
	assert_int_equal(resv_exec_exclusive_init(NULL), -EINVAL);
	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

/* fini is idempotent and works without a loop; the inline table grows. */
void test_drm_exec_fini_twice_and_unused(void **state)
{
	uint64_t before = et_live_bytes();
	struct et_bos set;
	struct drm_exec exec;
	int ret;

	drm_exec_init(&exec, 0, 0);
	drm_exec_fini(&exec);
	drm_exec_fini(&exec);
	assert_int_equal(et_live_bytes(), before);

	et_bos_init(&set, RESV_EXEC_INLINE_OBJECTS + 4, NULL);
	drm_exec_init(&exec, 0, 1);
	/* A small hint: the table inside the drm_exec, nothing allocated. */
	assert_ptr_equal(exec.objects, exec.inline_objects);
	assert_int_equal(exec.max_objects, RESV_EXEC_INLINE_OBJECTS);
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_prepare_array(&exec, set.obj, set.n, 1);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
	}
	et_assert_table(&exec, set.obj, set.n);
	assert_ptr_not_equal(exec.objects, exec.inline_objects);
	assert_true(exec.max_objects >= set.n);
	drm_exec_fini(&exec);
	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
	assert_int_equal(et_live_bytes(), before);
}
