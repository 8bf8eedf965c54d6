/* SPDX-License-Identifier: MIT */
/* test_lockdep: the lock validator's suite (see lockdep_test.h). */
#include "lockdep_test.h"

#define T(fn) cmocka_unit_test_setup_teardown(fn, ldt_setup, ldt_teardown)

#if defined(__SANITIZE_THREAD__)
/*
 * The negative tests build real lock-order inversions on purpose, which
 * TSan's own deadlock detector (it sees libresv's locks as mutexes) would
 * report too; test_lockdep_tsan_sees_ww_mutexes checks that detector in a
 * child process instead.
 */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "detect_deadlocks=0";
}
#endif

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		/* cycles.c */
		T(test_lockdep_abba_ww_threads),
		T(test_lockdep_abba_maps),
		T(test_lockdep_three_lock_cycle),
		T(test_lockdep_abba_keyed_spinlocks),
		T(test_lockdep_cycle_reported_once),
		T(test_lockdep_trylock_adds_no_dependency),
		T(test_lockdep_unregister_key_forgets),
		/* ww.c */
		T(test_lockdep_ww_two_contexts_nested),
		T(test_lockdep_ww_ctxless_under_ctx),
		T(test_lockdep_ww_ctx_under_ctxless),
		T(test_lockdep_ww_ctxless_recursive),
		T(test_lockdep_ww_acquire_orders_like_a_lock),
		T(test_lockdep_ww_backoff_loops_silent),
		T(test_lockdep_ww_injected_backoff_silent),
		T(test_lockdep_ww_10000_resvs_one_entry),
		T(test_lockdep_ww_trylock_under_ctx_silent),
		T(test_lockdep_ww_out_of_order_unlock),
		/* sections.c */
		T(test_lockdep_signalling_resv_lock),
		T(test_lockdep_signalling_fence_wait),
		T(test_lockdep_signalling_alloc),
		T(test_lockdep_signalling_trylock_silent),
		T(test_lockdep_signalling_nested_silent),
		T(test_lockdep_reclaim_alloc_under_tainted),
		T(test_lockdep_reclaim_taint_after_alloc),
		T(test_lockdep_reclaim_alloc_inside_silent),
		T(test_lockdep_reclaim_trylock_no_taint),
		T(test_lockdep_reclaim_end_unbalanced),
		/* misc.c */
		T(test_lockdep_resv_assert_held_other_thread),
		T(test_lockdep_thread_exit_with_lock),
		T(test_lockdep_map_assert_and_release_not_held),
		T(test_lockdep_map_recursive_and_nested),
		T(test_lockdep_spinlock_inside_resv_silent),
		T(test_lockdep_disabled_reports_nothing),
		T(test_lockdep_default_hook_prints_detail),
		T(test_lockdep_tsan_ww_mutex_protects_data),
		T(test_lockdep_tsan_spinlock_protects_data),
		T(test_lockdep_tsan_sees_ww_mutexes),
		/* graph.c */
		T(test_lockdep_graph_dot),
		T(test_lockdep_graph_ww_acquire_edge),
		T(test_lockdep_graph_bad_args),
		T(test_lockdep_graph_alloc_failure),
	};

	if (argc == 2 && strncmp(argv[1], "--child=", 8) == 0)
		return ldt_tsan_child(argv[1] + 8);
	return cmocka_run_group_tests_name("lockdep", tests, NULL, NULL);
}
