/* SPDX-License-Identifier: MIT */
/* The fence containers suite: the test table. */
#include "containers_test.h"

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dma_fence_array_signal_all_waits_for_every_member),
		cmocka_unit_test(test_dma_fence_array_signal_any_and_late_callbacks),
		cmocka_unit_test(test_dma_fence_array_first_error_propagates),
		cmocka_unit_test(test_dma_fence_array_signals_after_member_lock_released),
		cmocka_unit_test(test_dma_fence_array_for_each_and_match_context),
		cmocka_unit_test(test_dma_fence_array_alloc_init_and_pointer_helpers),
		cmocka_unit_test(test_dma_fence_chain_init_context_rules),
		cmocka_unit_test(test_dma_fence_chain_signals_after_all_previous),
		cmocka_unit_test(test_dma_fence_chain_walk_garbage_collects),
		cmocka_unit_test(test_dma_fence_chain_find_seqno),
		cmocka_unit_test(test_dma_fence_chain_4096_out_of_order),
		cmocka_unit_test(test_dma_fence_chain_concurrent_signal_and_walk),
		cmocka_unit_test(test_dma_fence_unwrap_deep_chain_of_arrays),
		cmocka_unit_test(test_dma_fence_unwrap_merge_none_one_many),
		cmocka_unit_test(test_dma_fence_dedup_array_keeps_latest_per_context),
		cmocka_unit_test(test_dma_fence_container_predicates_and_nesting_reports),
		cmocka_unit_test(test_dma_fence_containers_alloc_failure_every_site),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
