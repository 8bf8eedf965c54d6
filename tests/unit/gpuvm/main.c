/* SPDX-License-Identifier: MIT */
/*
 * The drm_gpuvm suite's test table. Tests live in one file per topic:
 * tree.c (VM life cycle, VA tree), vm_bo.c (vm_bo, links, lists, immediate
 * mode), sm_cases.c and sm_random.c (split/merge), exec.c (exec helpers),
 * doc_example.c (the example of docs/gpuvm.md).
 */
#include <inttypes.h>
#include <time.h>

#include "gpuvm_test.h"

#define T(fn) cmocka_unit_test_setup_teardown(fn, gt_setup, gt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_gpuvm_init_bad_args),
		T(test_gpuvm_init_and_free),
		T(test_gpuvm_get_put_refcount),
		T(test_gpuvm_range_valid),
		T(test_gpuva_insert_remove),
		T(test_gpuva_find),
		T(test_gpuva_iterators),
		T(test_gpuva_tree_random),
		T(test_gpuva_tree_balanced),
		T(test_gpuvm_resv_object_alloc),
		T(test_gpuvm_bo_obtain_unique),
		T(test_gpuvm_bo_obtain_enomem),
		T(test_gpuvm_bo_driver_alloc),
		T(test_gpuva_link_unlink),
		T(test_gpuvm_bo_lock_assertions),
		T(test_gpuvm_extobj_detection),
		T(test_gpuvm_bo_evict_spinlock_mode),
		T(test_gpuvm_bo_gem_evict_all_vms),
		T(test_gpuvm_bo_obtain_prealloc),
		T(test_gpuvm_immediate_mode_lock_assertion),
		T(test_gpuvm_bo_put_deferred_spinlock_mode),
		T(test_gpuvm_bo_put_deferred_resv_protected),
		T(test_gpuvm_bo_put_deferred_misuse),
		T(test_gpuvm_free_reports_leftovers),
		T(test_gpuvm_sm_map_cases),
		T(test_gpuvm_sm_unmap_cases),
		T(test_gpuvm_sm_bad_args),
		T(test_gpuvm_madvise_ops),
		T(test_gpuvm_prefetch_and_bo_unmap_ops),
		T(test_gpuvm_ops_create_enomem),
		T(test_gpuvm_ops_driver_alloc),
		T(test_gpuvm_sm_random),
		T(test_gpuvm_sm_random_second_stream),
		T(test_gpuvm_exec_lock_spinlock_mode),
		T(test_gpuvm_exec_lock_resv_protected),
		T(test_gpuvm_exec_lock_array_and_errors),
		T(test_gpuvm_exec_lock_extra_error),
		T(test_gpuvm_exec_lock_range),
		T(test_gpuvm_validate_spinlock_mode),
		T(test_gpuvm_validate_resv_protected),
		T(test_gpuvm_concurrent_walk_refused),
		T(test_gpuvm_resv_add_fence_usages),
		T(test_gpuvm_sm_exec_lock),
		T(test_gpuvm_exec_lock_enomem),
		T(test_gpuvm_doc_example),
	};
	const char *env = getenv("RESV_SEED");
	int failed;

	gt_seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	printf("test_drm_gpuvm: RESV_SEED=%" PRIu64 "\n", gt_seed);
	failed = cmocka_run_group_tests_name("drm_gpuvm", tests, NULL, NULL);
	if (failed)
		printf("test_drm_gpuvm: %d failed; rerun with RESV_SEED=%" PRIu64 "\n", failed,
		       gt_seed);
	return failed;
}
