/* SPDX-License-Identifier: MIT */
/*
 * VM_BIND: map, unmap and remap against the page table and the VA tree,
 * bad input, GEM handles, allocation failure (asynchronous binds are in
 * test_vm_bind_async.c).
 */
#include "test_vm.h"

#define A VT_DATA_VA

/* ---- life --------------------------------------------------------------------- */

static void test_vm_create_destroy(void **state)
{
	uint64_t live = st_live_bytes();
	struct sim_device *dev = st_device(1 << 20, 0, 0), *other = st_device(1 << 20, 0, 0);
	struct sim_file *file = NULL;
	struct sim_vm *vm = NULL;

	assert_int_equal(sim_vm_create(NULL, NULL, 0, &vm), -EINVAL);
	assert_int_equal(sim_vm_create(dev, NULL, 0, NULL), -EINVAL);
	assert_int_equal(sim_vm_create(dev, NULL, 1u << 7, &vm), -EINVAL);
	assert_int_equal(sim_file_create(other, &file), 0);
	assert_int_equal(sim_vm_create(dev, file, 0, &vm), -EINVAL);
	assert_null(vm);
	sim_file_destroy(file);

	for (uint32_t flags = 0; flags <= SIM_VM_RESV_PROTECTED; flags++) {
		assert_int_equal(sim_vm_create(dev, NULL, flags, &vm), 0);
		assert_int_equal(drm_gpuvm_resv_protected(sim_vm_gpuvm(vm)), flags != 0);
		assert_int_equal(drm_gpuvm_refcount(sim_vm_gpuvm(vm)), 1);
		sim_vm_destroy(vm);
	}
	sim_vm_destroy(NULL);
	sim_device_destroy(other);
	sim_device_destroy(dev);
	assert_int_equal(st_live_bytes(), live);
}

/* ---- map, unmap, remap ---------------------------------------------------------- */

static void test_vm_bind_map_unmap(void **state)
{
	uint64_t live = st_live_bytes();
	struct vt t;
	struct sim_bo *bo;
	struct sim_vm_stats st;
	long refs;

	vt_init(&t, 0, 0);
	bo = st_bo(t.dev, 8 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	refs = drm_gem_object_refcount(&bo->base);
	vt_map(&t, bo, A, 4 * PAGE, 2 * PAGE, 0);

	assert_int_equal(vt_num_vas(&t), 2);	/* with the batch BO */
	vt_expect_va(&t, A, 4 * PAGE, bo, 2 * PAGE);
	vt_expect_pages(&t, A, 4, bo, 2 * PAGE);
	assert_true(vt_pt_maps(&t, A - PAGE, NULL, 0));
	assert_true(vt_pt_maps(&t, A + 4 * PAGE, NULL, 0));
	/* An external BO: on the extobj list, with a vm_bo and references. */
	assert_false(cds_list_empty(&sim_vm_gpuvm(t.vm)->extobj.list));
	assert_false(cds_list_empty(&bo->base.gpuva.list));
	assert_true(drm_gem_object_refcount(&bo->base) > refs);

	vt_unmap(&t, A, 4 * PAGE);
	assert_int_equal(vt_num_vas(&t), 1);
	vt_expect_pages(&t, A, 4, NULL, 0);
	assert_true(cds_list_empty(&bo->base.gpuva.list));	/* vm_bo gone */
	assert_true(cds_list_empty(&sim_vm_gpuvm(t.vm)->extobj.list));
	assert_int_equal(drm_gem_object_refcount(&bo->base), refs);

	sim_vm_get_stats(t.vm, &st);
	assert_int_equal(st.binds, 2);
	assert_int_equal(st.unbinds, 1);
	assert_int_equal(st.map_ops, 2);
	assert_int_equal(st.unmap_ops, 1);
	assert_int_equal(st.remap_ops, 0);
	assert_int_equal(st.async_binds, 0);

	sim_bo_put(bo);
	vt_fini(&t, true);
	assert_int_equal(st_live_bytes(), live);
}

/*
 * Map B inside A: A is split (REMAP with prev and next), B mapped in the
 * hole. Then unmap a range across A's left piece and B: both are trimmed.
 * Then map C over everything: the pieces go (UNMAPs and REMAPs).
 */
static void test_vm_bind_remap_split_trim(void **state)
{
	struct vt t;
	struct sim_bo *a, *b, *c;
	struct sim_vm_stats st;

	for (uint32_t mode = 0; mode <= SIM_VM_RESV_PROTECTED; mode++) {
		vt_init(&t, 0, mode);
		a = st_bo(t.dev, 16 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
		assert_int_equal(sim_vm_bo_create(t.vm, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM,
						  &b), 0);
		c = st_bo(t.dev, 32 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);

		vt_map(&t, a, A, 16 * PAGE, 0, 0);
		vt_map(&t, b, A + 4 * PAGE, 4 * PAGE, 0, 0);
		assert_int_equal(vt_num_vas(&t), 4);
		vt_expect_va(&t, A, 4 * PAGE, a, 0);
		vt_expect_va(&t, A + 4 * PAGE, 4 * PAGE, b, 0);
		vt_expect_va(&t, A + 8 * PAGE, 8 * PAGE, a, 8 * PAGE);
		vt_expect_pages(&t, A, 4, a, 0);
		vt_expect_pages(&t, A + 4 * PAGE, 4, b, 0);
		vt_expect_pages(&t, A + 8 * PAGE, 8, a, 8 * PAGE);
		/* Both pieces of A share its one vm_bo. */
		assert_ptr_equal(vt_find(&t, A, 4 * PAGE)->vm_bo,
				 vt_find(&t, A + 8 * PAGE, 8 * PAGE)->vm_bo);
		sim_vm_get_stats(t.vm, &st);
		assert_int_equal(st.remap_ops, 1);

		/* [2, 6): A's left piece keeps [0, 2), B keeps [6, 8). */
		vt_unmap(&t, A + 2 * PAGE, 4 * PAGE);
		vt_expect_va(&t, A, 2 * PAGE, a, 0);
		vt_expect_va(&t, A + 6 * PAGE, 2 * PAGE, b, 2 * PAGE);
		vt_expect_pages(&t, A, 2, a, 0);
		vt_expect_pages(&t, A + 2 * PAGE, 4, NULL, 0);
		vt_expect_pages(&t, A + 6 * PAGE, 2, b, 2 * PAGE);
		vt_expect_pages(&t, A + 8 * PAGE, 8, a, 8 * PAGE);
		sim_vm_get_stats(t.vm, &st);
		assert_int_equal(st.remap_ops, 3);

		/* C over [1, 20): REMAP(A's [0,2) -> [0,1)), UNMAP(B), UNMAP(A's
		 * right piece), MAP. */
		vt_map(&t, c, A + PAGE, 19 * PAGE, 3 * PAGE, 0);
		assert_int_equal(vt_num_vas(&t), 3);
		vt_expect_va(&t, A, PAGE, a, 0);
		vt_expect_va(&t, A + PAGE, 19 * PAGE, c, 3 * PAGE);
		vt_expect_pages(&t, A, 1, a, 0);
		vt_expect_pages(&t, A + PAGE, 19, c, 3 * PAGE);
		assert_true(cds_list_empty(&b->base.gpuva.list));
		sim_vm_get_stats(t.vm, &st);
		assert_int_equal(st.remap_ops, 4);
		assert_int_equal(st.unmap_ops, 2);
		assert_int_equal(st.map_ops, 4);	/* the batch BO, a, b, c */

		sim_bo_put(a);
		sim_bo_put(b);
		sim_bo_put(c);
		vt_fini(&t, true);
	}
}

/* drm_gpuvm emits UNMAP(keep) + MAP for an identical request. */
static void test_vm_bind_identical(void **state)
{
	struct vt t;
	struct sim_bo *bo;
	struct sim_vm_stats st;

	vt_init(&t, 0, 0);
	bo = st_bo(t.dev, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	vt_map(&t, bo, A, 4 * PAGE, 0, 0);
	vt_map(&t, bo, A, 4 * PAGE, 0, 0);
	assert_int_equal(vt_num_vas(&t), 2);
	vt_expect_pages(&t, A, 4, bo, 0);
	sim_vm_get_stats(t.vm, &st);
	assert_int_equal(st.unmap_ops, 1);
	assert_int_equal(st.map_ops, 3);
	sim_bo_put(bo);
	vt_fini(&t, true);
}

/* ---- bad input --------------------------------------------------------------------- */

static void test_vm_bind_bad_input(void **state)
{
	struct vt t;
	struct sim_bo *bo, *foreign;
	struct sim_device *other = st_device(1 << 20, 0, 0);
	struct dma_fence *nul[1] = { NULL };
	struct sim_vm_stats before, after;
	struct dma_fence *out = (struct dma_fence *)&out;
	uint64_t live;

	vt_init(&t, 0, 0);
	bo = st_bo(t.dev, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	foreign = st_bo(other, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	vt_map(&t, bo, A + 64 * PAGE, PAGE, 0, 0);	/* something to keep */

	struct {
		struct sim_vm_bind args;
		int err;
	} cases[] = {
		{ vt_map_req(bo, A + 1, PAGE, 0), -EINVAL },		/* unaligned va */
		{ vt_map_req(bo, A, PAGE + 8, 0), -EINVAL },		/* unaligned range */
		{ vt_map_req(bo, A, 0, 0), -EINVAL },			/* empty */
		{ vt_map_req(bo, ~0ull & ~(uint64_t)(PAGE - 1), 2 * PAGE, 0), -EINVAL }, /* wraps */
		{ vt_map_req(bo, SIM_VM_VA_END - PAGE, 2 * PAGE, 0), -EINVAL }, /* leaves the VA */
		{ vt_map_req(bo, SIM_VM_VA_END, PAGE, 0), -EINVAL },
		{ vt_map_req(bo, 0, PAGE, 0), -EINVAL },			/* kernel range */
		{ vt_map_req(bo, SIM_VM_KERNEL_SIZE - PAGE, 2 * PAGE, 0), -EINVAL },
		{ vt_unmap_req(0, PAGE), -EINVAL },
		{ vt_map_req(NULL, A, PAGE, 0), -EINVAL },		/* no BO */
		{ vt_map_req(foreign, A, PAGE, 0), -EINVAL },		/* other device */
		{ vt_map_req(bo, A, PAGE, 100), -EINVAL },		/* unaligned offset */
		{ vt_map_req(bo, A, 4 * PAGE, PAGE), -EINVAL },		/* beyond the BO */
		{ vt_map_req(bo, A, PAGE, 8 * PAGE), -EINVAL },
		{ vt_map_req(bo, A, PAGE, ~0ull & ~(uint64_t)(PAGE - 1)), -EINVAL },
		{ { .op = 0, .va = A, .range = PAGE, .bo = bo }, -EINVAL },
		{ { .op = 77, .va = A, .range = PAGE, .bo = bo }, -EINVAL },
		{ { .op = SIM_VM_BIND_OP_MAP, .flags = 1u << 9, .va = A, .range = PAGE, .bo = bo },
		  -EINVAL },
		{ { .op = SIM_VM_BIND_OP_MAP, .va = A, .range = PAGE, .bo = bo,
		    .in_fences = nul, .num_in_fences = 1 }, -EINVAL },
		{ { .op = SIM_VM_BIND_OP_MAP, .va = A, .range = PAGE, .bo = bo,
		    .num_in_fences = 1 }, -EINVAL },
		{ { .op = SIM_VM_BIND_OP_MAP, .va = A, .range = PAGE, .handle = 1 }, -EINVAL },
		{ { .op = SIM_VM_BIND_OP_MAP_USERPTR, .va = A, .range = PAGE }, -EINVAL },
	};

	sim_vm_get_stats(t.vm, &before);
	live = st_live_bytes();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = (struct dma_fence *)&out;
		assert_int_equal(sim_vm_bind(t.vm, &cases[i].args, &out), cases[i].err);
		assert_null(out);
	}
	assert_int_equal(sim_vm_bind(NULL, &cases[0].args, NULL), -EINVAL);
	assert_int_equal(sim_vm_bind(t.vm, NULL, NULL), -EINVAL);

	/* Nothing changed, nothing held, nothing leaked. */
	sim_vm_get_stats(t.vm, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(vt_num_vas(&t), 2);
	vt_expect_pages(&t, A, 4, NULL, 0);
	assert_true(vt_pt_maps(&t, A + 64 * PAGE, bo, 0));
	assert_true(vt_resv_unlocked(sim_vm_resv(t.vm)));
	assert_true(vt_resv_unlocked(bo->base.resv));
	assert_int_equal(vt_count_fences(sim_vm_resv(t.vm), DMA_RESV_USAGE_BOOKKEEP), 0);
	assert_int_equal(st_live_bytes(), live);

	sim_bo_put(foreign);
	sim_bo_put(bo);
	vt_fini(&t, true);
	sim_device_destroy(other);
}

/* GEM handles of the VM's file: found, or -ENOENT. */
static void test_vm_bind_handles(void **state)
{
	struct sim_device *dev = st_device(1 << 20, 0, 0);
	struct sim_file *file;
	struct sim_vm *vm;
	struct sim_bo *bo;
	uint32_t handle;
	struct sim_pt_entry e;
	struct sim_vm_bind args = {
		.op = SIM_VM_BIND_OP_MAP, .va = A, .range = 2 * PAGE,
	};

	assert_int_equal(sim_file_create(dev, &file), 0);
	assert_int_equal(sim_vm_create(dev, file, 0, &vm), 0);
	assert_int_equal(sim_gem_create(file, 2 * PAGE, SIM_PL_MASK_ALL, &handle), 0);

	args.handle = handle + 1;
	assert_int_equal(sim_vm_bind(vm, &args, NULL), -ENOENT);
	assert_int_equal(sim_pt_lookup(sim_vm_pt(vm), A, &e), -ENOENT);
	args.handle = handle;
	assert_int_equal(sim_vm_bind(vm, &args, NULL), 0);
	bo = sim_file_lookup_bo(file, handle);
	assert_int_equal(sim_pt_lookup(sim_vm_pt(vm), A + PAGE, &e), 0);
	assert_ptr_equal(e.bo, bo);
	assert_int_equal(e.bo_offset, PAGE);
	sim_bo_put(bo);

	/* A userptr BO of the file uses the file's notifier lock: fine for
	 * the file's VM, refused by a VM that checks another lock. */
	struct resv_mm *mm;
	struct sim_vm *other;
	uint32_t uhandle;

	assert_int_equal(resv_mm_create(&mm), 0);
	assert_int_equal(sim_gem_userptr(file, mm, 0x7f0000000000ul, PAGE, &uhandle), 0);
	args.handle = uhandle;
	args.va = A + 16 * PAGE;
	args.range = PAGE;
	assert_int_equal(sim_vm_bind(vm, &args, NULL), 0);
	assert_int_equal(sim_vm_create(dev, NULL, 0, &other), 0);
	args.handle = 0;
	args.bo = sim_file_lookup_bo(file, uhandle);
	assert_int_equal(sim_vm_bind(other, &args, NULL), -EINVAL);
	sim_bo_put(args.bo);
	sim_vm_destroy(other);

	sim_vm_destroy(vm);
	sim_file_destroy(file);
	resv_mm_destroy(mm);
	sim_device_destroy(dev);
}

/* ---- allocation failure ----------------------------------------------------------------- */

struct bind_snapshot {
	unsigned int vas;
	struct sim_vm_stats stats;
	unsigned int fences;
	bool mapped[24];
};

static void take_snapshot(struct vt *t, struct sim_bo *bo, struct bind_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->vas = vt_num_vas(t);
	sim_vm_get_stats(t->vm, &s->stats);
	/* Restarts of the locking loop are counted even when the bind then
	 * fails (deadlock injection makes some). */
	memset(s->stats.backoffs, 0, sizeof(s->stats.backoffs));
	s->fences = vt_count_fences(sim_vm_resv(t->vm), DMA_RESV_USAGE_BOOKKEEP);
	for (unsigned int i = 0; i < 24; i++) {
		struct sim_pt_entry e;

		s->mapped[i] = sim_pt_lookup(sim_vm_pt(t->vm), A + i * PAGE, &e) == 0;
	}
}

/* Fail each allocation of a bind in turn: -ENOMEM, nothing changed, no
 * lock held, nothing leaked; then the bind succeeds. */
static void bind_enomem(struct vt *t, struct sim_bo *bo, struct sim_vm_bind *args)
{
	struct bind_snapshot before, after;
	struct dma_fence *out = NULL;
	unsigned long n;
	int ret;

	/* Reserved fence slots stay allocated after a failed bind, as in the
	 * kernel: reserve them once beforehand so the count of live bytes
	 * compares. */
	vt_prereserve(sim_vm_resv(t->vm));
	vt_prereserve(bo->base.resv);
	take_snapshot(t, bo, &before);
	for (n = 1;; n++) {
		uint64_t live = st_live_bytes();

		resv_alloc_fail_nth(n);
		ret = sim_vm_bind(t->vm, args, &out);
		resv_alloc_fail_nth(0);
		if (ret == 0)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_null(out);
		take_snapshot(t, bo, &after);
		assert_memory_equal(&before, &after, sizeof(before));
		assert_true(vt_resv_unlocked(sim_vm_resv(t->vm)));
		assert_true(vt_resv_unlocked(bo->base.resv));
		assert_int_equal(st_live_bytes(), live);
	}
	assert_true(n > 2);
	assert_int_equal(st_wait(out), 1);
	dma_fence_put(out);
}

static void test_vm_bind_enomem(void **state)
{
	struct vt t;
	struct sim_bo *bo;
	struct sim_vm_bind args;

	for (uint32_t mode = 0; mode <= SIM_VM_RESV_PROTECTED; mode++) {
		vt_init(&t, 0, mode);
		bo = st_bo(t.dev, 16 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);

		args = vt_map_req(bo, A + 4 * PAGE, 8 * PAGE, 0);	/* a new vm_bo */
		bind_enomem(&t, bo, &args);
		vt_expect_pages(&t, A + 4 * PAGE, 8, bo, 0);
		args = vt_map_req(bo, A + 6 * PAGE, 2 * PAGE, 8 * PAGE);	/* split */
		bind_enomem(&t, bo, &args);
		vt_expect_pages(&t, A + 4 * PAGE, 2, bo, 0);
		vt_expect_pages(&t, A + 6 * PAGE, 2, bo, 8 * PAGE);
		vt_expect_pages(&t, A + 8 * PAGE, 4, bo, 4 * PAGE);
		args = vt_unmap_req(A + 9 * PAGE, PAGE);	/* split in the tree and the table */
		bind_enomem(&t, bo, &args);
		vt_expect_pages(&t, A + 9 * PAGE, 1, NULL, 0);
		vt_expect_pages(&t, A + 10 * PAGE, 2, bo, 6 * PAGE);
		args = vt_map_req(bo, A + 16 * PAGE, 4 * PAGE, 0);	/* asynchronous */
		args.flags = SIM_VM_BIND_FLAG_ASYNC;
		bind_enomem(&t, bo, &args);
		vt_expect_pages(&t, A + 16 * PAGE, 4, bo, 0);
		args = vt_unmap_req(A, 24 * PAGE);	/* everything */
		bind_enomem(&t, bo, &args);
		vt_expect_pages(&t, A, 24, NULL, 0);
		assert_true(cds_list_empty(&bo->base.gpuva.list));

		sim_bo_put(bo);
		vt_fini(&t, true);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vm_create_destroy),
		cmocka_unit_test(test_vm_bind_map_unmap),
		cmocka_unit_test(test_vm_bind_remap_split_trim),
		cmocka_unit_test(test_vm_bind_identical),
		cmocka_unit_test(test_vm_bind_bad_input),
		cmocka_unit_test(test_vm_bind_handles),
		cmocka_unit_test(test_vm_bind_enomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
