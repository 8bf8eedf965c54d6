/* SPDX-License-Identifier: MIT */
/* The dma_resv suite: every test, in the order they build on each other. */
#include "resv_test.h"

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dma_resv_overview_loop),
		cmocka_unit_test(test_dma_resv_init_fini_puts_fences),
		cmocka_unit_test(test_dma_resv_lock_unlock_trylock_ctx),
		cmocka_unit_test_setup_teardown(test_dma_resv_assert_held_exact, setup_reports,
						teardown_reports),
		cmocka_unit_test(test_dma_resv_usage_query_semantics),
		cmocka_unit_test_setup_teardown(test_dma_resv_reserve_not_cumulative,
						setup_reports, teardown_reports),
		cmocka_unit_test_setup_teardown(test_dma_resv_add_without_reserve_reported,
						setup_reports, teardown_reports),
		cmocka_unit_test_setup_teardown(test_dma_resv_add_container_reported,
						setup_reports, teardown_reports),
		cmocka_unit_test(test_dma_resv_add_replacement_rule),
		cmocka_unit_test(test_dma_resv_replace_fences),
		cmocka_unit_test(test_dma_resv_locked_iter_includes_signaled),
		cmocka_unit_test(test_dma_resv_get_fences_and_singleton),
		cmocka_unit_test(test_dma_resv_copy_fences),
		cmocka_unit_test(test_dma_resv_wait_timeout),
		cmocka_unit_test(test_dma_resv_set_deadline_and_describe),
		cmocka_unit_test(test_dma_resv_test_signaled_asks_the_driver),
		cmocka_unit_test(test_dma_resv_unlocked_iter_restart),
		cmocka_unit_test(test_dma_resv_readers_race_writer),
		cmocka_unit_test(test_dma_resv_alloc_failure_every_site),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
