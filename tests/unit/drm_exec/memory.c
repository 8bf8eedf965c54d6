/* SPDX-License-Identifier: MIT */
/*
 * Memory: the deferred table allocation of drm_exec_init(), allocation
 * failure at every allocation site (table growth in drm_exec_lock_obj(), in
 * the slow-lock path, and the fence reservation of drm_exec_prepare_obj()),
 * and 100 000 objects in one loop.
 */
#include "exec_test.h"

static uint64_t injected_failures(void)
{
	struct resv_alloc_stats st;

	resv_alloc_get_stats(&st);
	return st.injected_failures;
}

void test_drm_exec_init_alloc_deferred(void **state)
{
	uint64_t before = et_live_bytes(), failures = injected_failures();
	struct et_bos set;
	struct drm_exec exec;
	int ret;

	et_bos_init(&set, RESV_EXEC_INLINE_OBJECTS + 4, NULL);

	/* A large hint is allocated at init. */
	drm_exec_init(&exec, 0, 1000);
	assert_ptr_not_equal(exec.objects, exec.inline_objects);
	assert_int_equal(exec.max_objects, 1000);
	drm_exec_fini(&exec);

	resv_alloc_fail_nth(1);
	drm_exec_init(&exec, 0, 1000); /* cannot fail: the inline table stands in */
	resv_alloc_fail_nth(0);
	assert_int_equal(injected_failures(), failures + 1);
	assert_ptr_equal(exec.objects, exec.inline_objects);
	assert_int_equal(exec.max_objects, RESV_EXEC_INLINE_OBJECTS);
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_prepare_array(&exec, set.obj, set.n, 1);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
	}
	et_assert_table(&exec, set.obj, set.n);
	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
	assert_int_equal(et_live_bytes(), before);
}

#define GROW_OBJS 1200 /* from the inline table: many growths */

/*
 * Fail the n-th allocation for n = 1, 2, ... until a loop runs without the
 * injection firing. Every failure is -ENOMEM from the lock that needed the
 * table to grow: the objects before it stay locked and tracked in order, it
 * is neither locked nor referenced, and fini leaves nothing behind. With a
 * hint above the inline size, the first allocation is init's, whose failure
 * is silent.
 */
static void alloc_fail_sweep(struct et_bos *set, unsigned int hint)
{
	unsigned int n, i, enomem = 0, deferred = 0, locked;
	uint64_t before = et_live_bytes(), failures;
	struct drm_exec exec;
	int ret;

	for (n = 1;; n++) {
		failures = injected_failures();
		resv_alloc_fail_nth(n);
		drm_exec_init(&exec, 0, hint);
		ret = 0;
		locked = 0;
		while (resv_exec_begin(&exec)) {
			for (i = 0; i < set->n; i++) {
				ret = drm_exec_lock_obj(&exec, et_obj(set, i));
				if (resv_exec_restart_on(&exec, ret))
					break;
				if (ret)
					goto out;
				locked++;
			}
		}
out:
		resv_alloc_fail_nth(0);
		if (injected_failures() == failures) {
			/* n is past the last allocation: a clean run. */
			assert_int_equal(ret, 0);
			et_assert_table(&exec, set->obj, set->n);
			drm_exec_fini(&exec);
			break;
		}
		if (ret == 0) {
			/* Only drm_exec_init()'s allocation may fail silently. */
			assert_int_equal(n, 1);
			assert_true(hint > RESV_EXEC_INLINE_OBJECTS);
			deferred++;
			et_assert_table(&exec, set->obj, set->n);
		} else {
			assert_int_equal(ret, -ENOMEM);
			enomem++;
			/* The failed lock changed nothing. */
			et_assert_table(&exec, set->obj, locked);
			assert_false(dma_resv_is_locked(et_obj(set, locked)->resv));
			assert_int_equal(drm_gem_object_refcount(et_obj(set, locked)), 1);
			assert_int_equal(exec.ticket.acquired, locked);
			assert_false(drm_exec_is_contended(&exec));
		}
		drm_exec_fini(&exec);
		et_assert_baseline(set);
		assert_int_equal(et_live_bytes(), before);
	}
	assert_int_equal(deferred, hint > RESV_EXEC_INLINE_OBJECTS ? 1 : 0);
	/* One failure per doubling of the initial table up to set->n. */
	for (i = hint > RESV_EXEC_INLINE_OBJECTS ? hint : RESV_EXEC_INLINE_OBJECTS, n = 0;
	     i < set->n; i *= 2)
		n++;
	assert_int_equal(enomem, n);
}

void test_drm_exec_alloc_fail_every_site(void **state)
{
	struct et_bos set;

	et_bos_init(&set, GROW_OBJS, NULL);
	alloc_fail_sweep(&set, 0);
	alloc_fail_sweep(&set, 100);
	et_bos_fini(&set);
}

/*
 * The growth inside the slow-lock path. A correct loop reaches it with an
 * empty table after a restart, which the inline table always fits, so only
 * a body that ignores -EDEADLK and locks on (a misuse the debug checks
 * report) gets there with a full table. The contended object is locked,
 * cannot be tracked, and is unlocked again with its reference dropped; the
 * pending restart still happens.
 */
void test_drm_exec_alloc_fail_contended(void **state)
{
	struct et_bos set;
	struct drm_exec exec;
	struct drm_gem_object *victim;
	unsigned int i;
	int ret, runs = 0, result = 1;

	et_bos_init(&set, RESV_EXEC_INLINE_OBJECTS + 2, NULL);
	victim = et_obj(&set, RESV_EXEC_INLINE_OBJECTS);
	/* The 16th eligible acquire is the 17th lock: the table is full then. */
	et_inject(RESV_WW_INJECT_NTH, RESV_EXEC_INLINE_OBJECTS, 0, 0, 0);
	drm_exec_init(&exec, 0, 0);
	while (resv_exec_begin(&exec)) {
		runs++;
		for (i = 0; i < set.n; i++) {
			if (runs == 1 && i == RESV_EXEC_INLINE_OBJECTS + 1)
				resv_alloc_fail_nth(1);
			ret = drm_exec_lock_obj(&exec, et_obj(&set, i));
			resv_alloc_fail_nth(0);
			if (runs == 1 && i == RESV_EXEC_INLINE_OBJECTS) {
				assert_int_equal(ret, -EDEADLK);
				continue; /* the misuse: lock on after -EDEADLK */
			}
			if (runs == 1 && i == RESV_EXEC_INLINE_OBJECTS + 1) {
				result = ret;
				assert_int_equal(exec.num_objects, RESV_EXEC_INLINE_OBJECTS);
				assert_false(dma_resv_is_locked(victim->resv));
				assert_int_equal(drm_gem_object_refcount(victim), 1);
				assert_null(exec.contended);
				assert_int_equal(exec.ticket.acquired, RESV_EXEC_INLINE_OBJECTS);
			}
			if (resv_exec_restart_on(&exec, ret))
				break;
			assert_int_equal(ret, 0);
		}
	}
	assert_int_equal(result, -ENOMEM);
	assert_int_equal(runs, 2);
	et_assert_table(&exec, set.obj, set.n);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_INJECTED), 1);
	drm_exec_fini(&exec);
	/* The slow lock with locks held is reported in debug builds. */
	if (resv_report_checks_enabled())
		assert_true(et_reports_take(RESV_REPORT_SLOW_WITH_LOCKS) >= 1);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

/* The fence reservation fails on object k: it is unlocked, the others stay. */
void test_drm_exec_alloc_fail_prepare(void **state)
{
	unsigned int n, k;
	uint64_t failures;
	struct et_bos set;
	struct drm_exec exec;
	int ret;

	for (n = 1;; n++) {
		/* Fresh objects: a reservation that succeeded leaves a list behind. */
		et_bos_init(&set, 3, NULL);
		drm_exec_init(&exec, 0, 0);
		failures = injected_failures();
		ret = 0;
		while (resv_exec_begin(&exec)) {
			resv_alloc_fail_nth(n);
			ret = drm_exec_prepare_array(&exec, set.obj, set.n, 2);
			resv_alloc_fail_nth(0);
			if (resv_exec_restart_on(&exec, ret))
				continue;
			break;
		}
		if (injected_failures() == failures) {
			assert_int_equal(ret, 0);
			et_assert_table(&exec, set.obj, set.n);
			drm_exec_fini(&exec);
			et_assert_baseline(&set);
			et_bos_fini(&set);
			break;
		}
		assert_int_equal(ret, -ENOMEM);
		k = n - 1; /* one list allocation per fresh object */
		assert_true(k < set.n);
		et_assert_table(&exec, set.obj, k);
		assert_false(dma_resv_is_locked(et_obj(&set, k)->resv));
		assert_int_equal(drm_gem_object_refcount(et_obj(&set, k)), 1);
		drm_exec_fini(&exec);
		et_assert_baseline(&set);
		et_bos_fini(&set);
	}
	assert_int_equal(n, 4);
}

#define MANY_OBJS 100000u

void test_drm_exec_100000_objects(void **state)
{
	struct et_bos set;
	struct drm_exec exec;
	unsigned int i;
	int ret = 0;

	et_bos_init(&set, MANY_OBJS, NULL);
	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
	while (resv_exec_begin(&exec)) {
		for (i = 0; i < set.n; i++) {
			ret = drm_exec_lock_obj(&exec, et_obj(&set, i));
			if (resv_exec_restart_on(&exec, ret))
				break;
			if (ret)
				goto out;
		}
	}
out:
	assert_int_equal(ret, 0);
	assert_int_equal(exec.ticket.acquired, MANY_OBJS);
	et_assert_table(&exec, set.obj, MANY_OBJS);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_NONE), 0);
	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}
