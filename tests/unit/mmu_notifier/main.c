/* SPDX-License-Identifier: MIT */
/*
 * test_mmu_notifier: <resv/mmu_notifier.h> (the address space, interval
 * notifiers, the sequence protocol) and <resv/userptr.h> (the validator).
 * The harness is described in mn_test.h.
 */
#include "mn_test.h"

#define T(fn) cmocka_unit_test_setup_teardown(fn, mnt_setup, mnt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mmu_interval_seq_starts_even_insert_gets_odd),
		T(test_mmu_interval_insert_bad_ranges),
		T(test_mmu_interval_read_retry_iff_set_seq),
		T(test_mmu_interval_check_retry_never_false_negative),
		T(test_mmu_interval_invalidate_exact_overlaps),
		T(test_mmu_interval_concurrent_ranges_share_odd_seq),
		T(test_mmu_interval_insert_during_invalidation_deferred),
		T(test_mmu_interval_insert_during_nonoverlapping_invalidation),
		T(test_mmu_interval_remove_during_invalidation_of_deferred_insert),
		T(test_mmu_interval_nonblock_false_is_eagain_no_side_effects),
		T(test_mmu_interval_blockable_false_reported_and_ignored),
		T(test_mmu_interval_insert_locked_needs_mmap_lock),
		T(test_mmu_interval_read_begin_blocks_during_invalidation),
		T(test_mmu_interval_read_begin_not_blocked_by_disjoint),
		T(test_mmu_interval_read_begin_waits_after_insert_during_invalidation),
		T(test_mmu_interval_remove_waits_for_invalidation),
		T(test_mmu_interval_no_callback_after_remove),
		T(test_mmu_interval_misuse_from_callback_does_not_deadlock),
		T(test_resv_mm_map_errors),
		T(test_resv_mm_read_write_across_pages),
		T(test_resv_mm_get_pages),
		T(test_resv_mm_unmap_invalidates_exact_overlaps),
		T(test_resv_mm_unmap_splits_and_holes),
		T(test_resv_mm_migrate_moves_pages),
		T(test_resv_mm_stale_pages_poisoned),
		T(test_resv_mm_invalidate_range_errors),
		T(test_userptr_init_errors),
		T(test_userptr_snapshot_and_check),
		T(test_userptr_invalidation_between_snapshot_and_check),
		T(test_userptr_invalidate_waits_for_bookkeep_fence),
		T(test_userptr_nonblock_busy_refuses),
		T(test_userptr_snapshot_faults_and_retries),
		T(test_userptr_check_without_lock_reported),
		T(test_userptr_shared_lock_and_ops),
		T(test_mm_alloc_failure_every_site),
		T(test_userptr_alloc_failure_every_site),
	};

	return cmocka_run_group_tests(tests, mnt_group_setup, mnt_group_teardown);
}
