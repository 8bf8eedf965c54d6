/* SPDX-License-Identifier: MIT */
/* The ww_mutex suite's test table: every test on the class(es) it is about. */
#include "ww_test.h"

/* Shared behaviour runs on both classes, the fixture passed as initial state. */
#define BOTH(fn)                                                                 \
	{ #fn "/wound-wait", fn, wwt_setup, wwt_teardown, &wwt_wound_fixture },  \
	{ #fn "/wait-die", fn, wwt_setup, wwt_teardown, &wwt_die_fixture }
#define WOUND_WAIT(fn) { #fn "/wound-wait", fn, wwt_setup, wwt_teardown, &wwt_wound_fixture }
#define WAIT_DIE(fn) { #fn "/wait-die", fn, wwt_setup, wwt_teardown, &wwt_die_fixture }

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_ww_mutex_mutual_exclusion),
		BOTH(test_ww_mutex_aa),
		BOTH(test_ww_mutex_abba_unresolved),
		BOTH(test_ww_mutex_abba_resolved),
		BOTH(test_ww_mutex_abba_trylock_unresolved),
		BOTH(test_ww_mutex_abba_trylock_resolved),
		BOTH(test_ww_mutex_cycle),
		BOTH(test_ww_mutex_no_locks_never_deadlk),
		BOTH(test_ww_mutex_no_locks_queued_behind_older),
		BOTH(test_ww_mutex_younger_blocked_by_older),
		BOTH(test_ww_mutex_older_blocked_by_younger),
		WAIT_DIE(test_ww_mutex_wait_die_queued_older_kills),
		WOUND_WAIT(test_ww_mutex_wound_wait_wounded_dies_on_block),
		BOTH(test_ww_acquire_ctx_acquired),
		BOTH(test_ww_acquire_ctx_stamp_wrap),
		BOTH(test_ww_mutex_lock_interruptible_eintr),
		BOTH(test_ww_mutex_lock_ignores_interrupt),
		BOTH(test_ww_mutex_lock_slow_interruptible_eintr),
		BOTH(test_ww_mutex_interrupted_waiter_removed),
		BOTH(test_ww_mutex_inject_nth),
		BOTH(test_ww_mutex_inject_nth_period),
		BOTH(test_ww_mutex_inject_never_first_or_trylock),
		BOTH(test_ww_mutex_inject_random_replay),
		BOTH(test_ww_mutex_inject_slowpath),
		BOTH(test_ww_mutex_inject_ctx_override),
		BOTH(test_ww_mutex_inject_invalid),
		BOTH(test_ww_mutex_inject_default),
		BOTH(test_ww_mutex_stats),
		BOTH(test_ww_mutex_stats_injected_not_acquired),
		BOTH(test_ww_mutex_ctx_and_held_by_self),
		BOTH(test_ww_mutex_held_by_self_many_contexts),
		BOTH(test_ww_mutex_static_initializer),
		BOTH(test_ww_class_init_runtime),
		BOTH(test_ww_class_set_algorithm),
		BOTH(test_ww_mutex_event_hook),
		BOTH(test_report_ww_fini_held),
		BOTH(test_report_ww_fini_twice),
		BOTH(test_report_ww_lock_after_done),
		BOTH(test_report_ww_wrong_relock),
		BOTH(test_report_ww_slow_with_locks),
		BOTH(test_report_unlock_not_held),
		BOTH(test_report_destroy_locked),
		BOTH(test_report_ww_class_mismatch),
		WOUND_WAIT(test_report_kind_name),
	};

	return cmocka_run_group_tests_name("ww_mutex", tests, wwt_group_setup, NULL);
}
