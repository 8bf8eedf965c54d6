/* SPDX-License-Identifier: MIT */
/*
 * RESV_EXEC_CALLER_HOLDS_REFS: the table takes no references in release
 * builds (refcounts stay at the caller's 1 while locked), the contended
 * object keeps its own, growth failure changes nothing, and debug builds
 * still take them and report a caller that dropped its reference early.
 */
#include "internal/compiler.h"

#include "exec_test.h"

#define CR_FLAGS (DRM_EXEC_INTERRUPTIBLE_WAIT | RESV_EXEC_CALLER_HOLDS_REFS)
/* What a locked object's refcount is with the flag: the caller's, plus the
 * table's in debug builds (which take it to check the promise). */
#define CR_LOCKED_REFS (RESV_DEBUG_BUILD ? 2 : 1)

/* et_assert_table() without its "the table holds a reference" check. */
static void assert_table(struct drm_exec *exec, struct drm_gem_object *const *objs,
			 unsigned int n)
{
	struct drm_gem_object *obj;
	unsigned long index;

	assert_int_equal(exec->num_objects, n);
	drm_exec_for_each_locked_object(exec, index, obj) {
		assert_true(index < n);
		assert_ptr_equal(obj, objs[index]);
		assert_true(dma_resv_held(obj->resv));
		assert_ptr_equal(dma_resv_locking_ctx(obj->resv), &exec->ticket);
	}
	assert_null(drm_exec_obj(exec, n));
}

static void assert_refs(struct et_bos *set, long refs)
{
	for (unsigned int i = 0; i < set->n; i++)
		assert_int_equal(drm_gem_object_refcount(et_obj(set, i)), refs);
}

void test_drm_exec_caller_refs(void **state)
{
	uint64_t before = et_live_bytes();
	struct et_bos set;
	struct drm_exec exec;
	int ret, runs = 0;

	et_bos_init(&set, RESV_EXEC_INLINE_OBJECTS + 8, NULL);	/* grows once */
	drm_exec_init(&exec, CR_FLAGS, 0);
	drm_exec_until_all_locked(&exec) {
		runs++;
		ret = drm_exec_prepare_array(&exec, set.obj, set.n, 2);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
	}
	assert_int_equal(runs, 1);
	assert_table(&exec, set.obj, set.n);
	assert_refs(&set, CR_LOCKED_REFS);

	/* Unlocking one drops only what the table took. */
	drm_exec_unlock_obj(&exec, et_obj(&set, 3));
	assert_false(dma_resv_is_locked(et_obj(&set, 3)->resv));
	assert_int_equal(drm_gem_object_refcount(et_obj(&set, 3)), 1);
	assert_int_equal(exec.num_objects, set.n - 1);

	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
	assert_int_equal(et_live_bytes(), before);
}

/* An injected back-off: the contended object is referenced by drm_exec
 * from the -EDEADLK to its slow lock, flag or not, and let go after. */
void test_drm_exec_caller_refs_contended(void **state)
{
	struct drm_gem_object *expect[4];
	struct et_bos set;
	struct drm_exec exec;
	unsigned int i;
	int ret, runs = 0, deadlk = 0;

	et_bos_init(&set, 4, NULL);
	et_inject(RESV_WW_INJECT_NTH, 1, 0, 0, 0);
	drm_exec_init(&exec, CR_FLAGS, 0);
	while (resv_exec_begin(&exec)) {
		runs++;
		for (i = 0; i < set.n; i++) {
			ret = drm_exec_prepare_obj(&exec, et_obj(&set, i), 1);
			if (ret == -EDEADLK) {
				deadlk++;
				/* Object 1 is pending, with drm_exec's reference;
				 * object 0 is still locked, with none (release). */
				assert_ptr_equal(exec.contended, et_obj(&set, 1));
				assert_int_equal(drm_gem_object_refcount(et_obj(&set, 1)), 2);
				assert_int_equal(drm_gem_object_refcount(et_obj(&set, 0)),
						 CR_LOCKED_REFS);
			}
			if (resv_exec_restart_on(&exec, ret))
				break;
			assert_int_equal(ret, 0);
		}
	}
	assert_int_equal(runs, 2);
	assert_int_equal(deadlk, 1);
	expect[0] = et_obj(&set, 1);
	expect[1] = et_obj(&set, 0);
	expect[2] = et_obj(&set, 2);
	expect[3] = et_obj(&set, 3);
	assert_table(&exec, expect, 4);
	assert_null(exec.prelocked);
	assert_refs(&set, CR_LOCKED_REFS);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_INJECTED), 1);
	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

/* Every allocation of a growing table fails in turn: -ENOMEM, nothing
 * locked, no reference taken or lost, nothing leaked. */
void test_drm_exec_caller_refs_alloc_fail(void **state)
{
	uint64_t before = et_live_bytes();
	struct et_bos set;
	struct drm_exec exec;
	unsigned int nth;
	int ret = 0;

	et_bos_init(&set, 4 * RESV_EXEC_INLINE_OBJECTS + 1, NULL);	/* 2 growths */
	for (nth = 1;; nth++) {
		drm_exec_init(&exec, CR_FLAGS, 0);
		resv_alloc_fail_nth(nth);
		drm_exec_until_all_locked(&exec) {
			ret = drm_exec_prepare_array(&exec, set.obj, set.n, 1);
			drm_exec_retry_on_contention(&exec);
		}
		resv_alloc_fail_nth(0);
		if (!ret) {
			assert_table(&exec, set.obj, set.n);
			drm_exec_fini(&exec);
			break;
		}
		assert_int_equal(ret, -ENOMEM);
		/* The objects locked before the failure stay in the table
		 * until fini, as without the flag; no other is referenced. */
		for (unsigned int i = 0; i < set.n; i++)
			assert_int_equal(drm_gem_object_refcount(et_obj(&set, i)),
					 i < exec.num_objects ? CR_LOCKED_REFS : 1);
		drm_exec_fini(&exec);
		et_assert_baseline(&set);
		/* (Fence lists the reservations allocated stay with the
		 * objects: live bytes are compared once they are gone.) */
	}
	assert_true(nth > 2);	/* both growths failed once */
	et_assert_baseline(&set);
	et_bos_fini(&set);
	assert_int_equal(et_live_bytes(), before);
}

/*
 * The broken promise: the caller drops its reference while the object is
 * locked. Debug builds hold theirs, report at unlock and free the object
 * then; release builds cannot tell (it would be a use after free there).
 */
void test_drm_exec_caller_refs_misuse(void **state)
{
	struct et_bos set;
	struct drm_exec exec;
	int ret;

	if (!RESV_DEBUG_BUILD)
		skip();
	et_bos_init(&set, 2, NULL);
	drm_exec_init(&exec, CR_FLAGS, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_lock_obj(&exec, et_obj(&set, 0));
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
		ret = drm_exec_lock_obj(&exec, et_obj(&set, 1));
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
	}
	drm_gem_object_put(et_obj(&set, 1));	/* the caller's, too early */
	assert_int_equal(set.bo[1].freed, 0);
	drm_exec_fini(&exec);
	assert_int_equal(et_reports_take(RESV_REPORT_EXEC_MISUSE), 1);
	assert_int_equal(set.bo[1].freed, 1);	/* by drm_exec's put */
	assert_int_equal(set.bo[0].freed, 0);
	assert_false(dma_resv_is_locked(et_obj(&set, 0)->resv));
	assert_int_equal(drm_gem_object_refcount(et_obj(&set, 0)), 1);
	/* et_bos_fini() without object 1, freed already. */
	drm_gem_object_put(et_obj(&set, 0));
	assert_int_equal(set.bo[0].freed, 1);
	free(set.bo);
	free(set.obj);
}
