/* SPDX-License-Identifier: MIT */
/* The drm_exec suite's test table. */
#include "exec_test.h"

#define T(fn) cmocka_unit_test_setup_teardown(fn, et_setup, et_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* basics.c */
		T(test_drm_exec_sanitycheck),
		T(test_drm_exec_lock),
		T(test_drm_exec_lock_unlock),
		T(test_drm_exec_duplicates_ignored),
		T(test_drm_exec_duplicates_ealready),
		T(test_drm_exec_shared_resv),
		T(test_drm_exec_prepare),
		T(test_drm_exec_prepare_zero_fences),
		T(test_drm_exec_prepare_array),
		T(test_drm_exec_multiple_loops),
		T(test_drm_exec_portable_loop),
		T(test_drm_exec_iterators),
		T(test_drm_exec_unlock_obj_order),
		T(test_drm_exec_einval),
		T(test_drm_exec_fini_twice_and_unused),
		/* restart.c */
		T(test_drm_exec_restart_userptr_stale),
		T(test_drm_exec_restart_gnu_form),
		T(test_drm_exec_restart_einval),
		T(test_drm_exec_contended_from_outside),
		T(test_drm_exec_restart_reason_names),
		T(test_drm_exec_inject_nth_counted),
		T(test_drm_exec_inject_every_loop_terminates),
		/* contention.c */
		T(test_drm_exec_abba_slow_lock_order),
		T(test_drm_exec_opposite_orders_seeded),
		T(test_drm_exec_interrupt_slow_lock),
		T(test_drm_exec_interrupt_lock),
		/* memory.c */
		T(test_drm_exec_init_alloc_deferred),
		T(test_drm_exec_alloc_fail_every_site),
		T(test_drm_exec_alloc_fail_contended),
		T(test_drm_exec_alloc_fail_prepare),
		T(test_drm_exec_100000_objects),
		/* exclusive.c */
		T(test_drm_exec_exclusive_api),
		T(test_drm_exec_exclusive_retry_alloc_fail),
		T(test_drm_exec_exclusive_second_enomem),
		T(test_drm_exec_exclusive_without_binding),
		T(test_drm_exec_exclusive_readers_share),
		T(test_drm_exec_exclusive_excludes),
		T(test_drm_exec_exclusive_lockdep),
		/* caller_refs.c */
		T(test_drm_exec_caller_refs),
		T(test_drm_exec_caller_refs_contended),
		T(test_drm_exec_caller_refs_alloc_fail),
		T(test_drm_exec_caller_refs_misuse),
	};

	return cmocka_run_group_tests_name("drm_exec", tests, et_group_setup, NULL);
}
