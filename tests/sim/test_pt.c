/* SPDX-License-Identifier: MIT */
/*
 * GPU page tables: argument checks, translation and faults, staleness after
 * a move and rebind, read-only mappings, unmap trimming and splitting,
 * mapping references on BOs, sparse use of the 48-bit space, and allocation
 * failure in map and in a splitting unmap.
 */
#include "sim_test.h"

#define VA ST_DATA_VA

struct fixture {
	struct sim_device *dev;
	struct sim_pt *pt;
	uint64_t live_before;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->live_before = st_live_bytes();
	f->dev = st_device(64 * PAGE, 0, 0);
	assert_int_equal(sim_pt_create(f->dev, &f->pt), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sim_pt_put(f->pt);
	sim_device_destroy(f->dev);
	assert_int_equal(st_live_bytes(), f->live_before);
	free(f);
	return 0;
}

static void map(struct fixture *f, uint64_t va, uint64_t size, struct sim_bo *bo,
		uint64_t off, uint32_t flags, int expect)
{
	st_lock(bo);
	assert_int_equal(sim_pt_map(f->pt, va, size, bo, off, flags), expect);
	st_unlock(bo);
}

static void test_pt_map_args(void **state)
{
	struct fixture *f = *state;
	struct sim_bo *bo = st_bo(f->dev, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct sim_device *other = st_device(16 * PAGE, 0, 0);
	struct sim_bo *foreign = st_bo(other, PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct sim_pt_entry e;

	map(f, VA + 1, PAGE, bo, 0, 0, -EINVAL);
	map(f, VA, 0, bo, 0, 0, -EINVAL);
	map(f, VA, PAGE + 4, bo, 0, 0, -EINVAL);
	map(f, VA, PAGE, bo, 4, 0, -EINVAL);
	map(f, VA, 5 * PAGE, bo, 0, 0, -EINVAL);		/* past the BO */
	map(f, VA, 2 * PAGE, bo, 3 * PAGE, 0, -EINVAL);	/* past the BO */
	map(f, VA, PAGE, bo, 0, 1u << 7, -EINVAL);
	map(f, (1ull << 48) - PAGE, 2 * PAGE, bo, 0, 0, -EINVAL);
	map(f, 1ull << 48, PAGE, bo, 0, 0, -EINVAL);
	map(f, VA, PAGE, foreign, 0, 0, -EINVAL);
	assert_int_equal(sim_pt_lookup(f->pt, VA, &e), -ENOENT);

	map(f, VA, 4 * PAGE, bo, 0, 0, 0);
	map(f, VA + 3 * PAGE, PAGE, bo, 0, 0, -EEXIST);	/* overlaps the last page */
	map(f, VA - PAGE, 2 * PAGE, bo, 0, 0, -EEXIST);
	map(f, VA - PAGE, PAGE, bo, 0, 0, 0);		/* adjacent is fine */
	assert_int_equal(drm_gem_object_refcount(&bo->base), 3);
	assert_int_equal(sim_pt_unmap(f->pt, VA + 1, PAGE), -EINVAL);
	assert_int_equal(sim_pt_unmap(f->pt, VA, 0), -EINVAL);
	assert_int_equal(sim_pt_unmap(f->pt, (1ull << 48) - PAGE, 2 * PAGE), -EINVAL);

	sim_bo_put(foreign);
	sim_device_destroy(other);
	sim_bo_put(bo);
}

static void test_pt_translate(void **state)
{
	struct fixture *f = *state;
	struct sim_bo *bo = st_bo(f->dev, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	uint32_t words[2 * PAGE / 4], expect[2 * PAGE / 4];
	struct sim_pt_entry e;

	st_bo_fill_pattern(bo, 1);
	/* BO pages 1..2 at VA, read-write; BO page 3 at VA + 8 pages, read-only */
	map(f, VA, 2 * PAGE, bo, PAGE, 0, 0);
	map(f, VA + 8 * PAGE, PAGE, bo, 3 * PAGE, SIM_PT_READ_ONLY, 0);

	assert_int_equal(sim_pt_read(f->pt, VA, words, sizeof(words)), 0);
	st_lock(bo);
	assert_int_equal(sim_bo_read(bo, PAGE, expect, sizeof(expect)), 0);
	st_unlock(bo);
	assert_memory_equal(words, expect, sizeof(words));

	assert_int_equal(sim_pt_lookup(f->pt, VA + PAGE + 12, &e), 0);
	assert_ptr_equal(e.bo, bo);
	assert_int_equal(e.bo_offset, 2 * PAGE + 12);
	assert_int_equal(e.bound, SIM_PL_SYSTEM);
	assert_true(e.resident);
	assert_true(e.current);
	assert_int_equal(e.flags, 0);

	/* Unmapped: before, after, between, and beyond the address space. */
	assert_int_equal(sim_pt_read(f->pt, VA - 4, words, 4), -EFAULT);
	assert_int_equal(sim_pt_read(f->pt, VA + 2 * PAGE, words, 4), -EFAULT);
	assert_int_equal(sim_pt_read(f->pt, 1ull << 48, words, 4), -EFAULT);
	assert_int_equal(sim_pt_lookup(f->pt, VA + 2 * PAGE, &e), -ENOENT);
	assert_int_equal(sim_pt_lookup(f->pt, UINT64_MAX, &e), -ENOENT);
	/* A read that runs into an unmapped page faults there. */
	assert_int_equal(sim_pt_read(f->pt, VA + PAGE, words, 2 * PAGE), -EFAULT);

	/* Writes reach the BO; read-only mappings refuse them. */
	words[0] = 0xdeadbeef;
	assert_int_equal(sim_pt_write(f->pt, VA + PAGE - 2, words, 4), 0);	/* straddles */
	st_lock(bo);
	assert_int_equal(sim_bo_read(bo, 2 * PAGE - 2, expect, 4), 0);
	st_unlock(bo);
	assert_memory_equal(words, expect, 4);
	assert_int_equal(sim_pt_write(f->pt, VA + 8 * PAGE, words, 4), -EFAULT);
	assert_int_equal(sim_pt_read(f->pt, VA + 8 * PAGE, words, 4), 0);
	assert_int_equal(sim_pt_lookup(f->pt, VA + 8 * PAGE, &e), 0);
	assert_int_equal(e.flags, SIM_PT_READ_ONLY);
	sim_bo_put(bo);
}

/* After a move the mappings are bound to storage that is gone: faults;
 * after sim_pt_rebind() they are current again, with the same data. */
static void test_pt_stale_after_move(void **state)
{
	struct fixture *f = *state;
	struct sim_bo *bo = st_bo(f->dev, 2 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct sim_pt *pt2;
	struct sim_pt_entry e;
	uint32_t w, expect;

	assert_int_equal(sim_pt_create(f->dev, &pt2), 0);
	st_bo_fill_pattern(bo, 2);
	map(f, VA, 2 * PAGE, bo, 0, 0, 0);
	st_lock(bo);
	assert_int_equal(sim_pt_map(pt2, VA, 2 * PAGE, bo, 0, 0), 0);
	st_unlock(bo);

	st_validate(bo, SIM_PL_MASK_VRAM);
	st_wait_bo_idle(bo);
	assert_int_equal(sim_pt_lookup(f->pt, VA, &e), 0);
	assert_int_equal(e.bound, SIM_PL_SYSTEM);
	assert_false(e.resident);
	assert_false(e.current);
	assert_int_equal(sim_pt_read(f->pt, VA, &w, 4), -EFAULT);
	assert_int_equal(sim_pt_write(f->pt, VA, &w, 4), -EFAULT);

	st_lock(bo);
	assert_int_equal(sim_pt_rebind(f->pt, bo), 1);
	assert_int_equal(sim_bo_read(bo, PAGE, &expect, 4), 0);
	st_unlock(bo);
	assert_int_equal(sim_pt_lookup(f->pt, VA, &e), 0);
	assert_int_equal(e.bound, SIM_PL_VRAM);
	assert_true(e.resident);
	assert_true(e.current);
	assert_int_equal(sim_pt_read(f->pt, VA + PAGE, &w, 4), 0);
	assert_int_equal(w, expect);
	/* The other page table was not rebound. */
	assert_int_equal(sim_pt_read(pt2, VA + PAGE, &w, 4), -EFAULT);
	sim_pt_put(pt2);
	sim_bo_put(bo);
}

/* While the move waits for users, mappings bound to the old storage still
 * work (the users may be running): only the copy's end retires it. */
static void test_pt_old_storage_until_move_done(void **state)
{
	struct fixture *f = *state;
	struct sim_bo *bo = st_bo(f->dev, PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct dma_fence *user = st_fence_new();
	struct sim_op_ctx op = { 0 };
	struct sim_pt_entry e;
	uint32_t w;

	st_bo_fill_pattern(bo, 4);
	map(f, VA, PAGE, bo, 0, 0, 0);
	st_lock(bo);
	assert_int_equal(dma_resv_reserve_fences(bo->base.resv, 1), 0);
	dma_resv_add_fence(bo->base.resv, user, DMA_RESV_USAGE_BOOKKEEP);
	assert_int_equal(sim_bo_move(bo, SIM_PL_VRAM, &op), 0);
	st_unlock(bo);

	assert_int_equal(sim_pt_lookup(f->pt, VA, &e), 0);
	assert_true(e.resident);
	assert_false(e.current);
	assert_int_equal(sim_pt_read(f->pt, VA, &w, 4), 0);
	st_fence_signal(user, 0);
	st_wait_bo_idle(bo);
	assert_int_equal(sim_pt_lookup(f->pt, VA, &e), 0);
	assert_false(e.resident);
	assert_int_equal(sim_pt_read(f->pt, VA, &w, 4), -EFAULT);
	dma_fence_put(user);
	sim_bo_put(bo);
}

static void expect_page(struct fixture *f, uint64_t page, struct sim_bo *bo, int64_t bo_page)
{
	struct sim_pt_entry e;
	int ret = sim_pt_lookup(f->pt, VA + page * PAGE, &e);

	if (bo_page < 0) {
		assert_int_equal(ret, -ENOENT);
		return;
	}
	assert_int_equal(ret, 0);
	assert_ptr_equal(e.bo, bo);
	assert_int_equal(e.bo_offset, (uint64_t)bo_page * PAGE);
}

static void test_pt_unmap_trim_and_split(void **state)
{
	struct fixture *f = *state;
	struct sim_bo *bo = st_bo(f->dev, 8 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	static const int64_t after_split[8] = { 0, 1, 2, -1, -1, 5, 6, 7 };
	static const int64_t after_trim[8] = { -1, 1, 2, -1, -1, 5, 6, -1 };
	static const int64_t after_hole[8] = { -1, 1, -1, -1, -1, -1, 6, -1 };
	uint32_t w;

	map(f, VA, 8 * PAGE, bo, 0, 0, 0);
	assert_int_equal(drm_gem_object_refcount(&bo->base), 2);
	assert_int_equal(sim_pt_unmap(f->pt, VA + 3 * PAGE, 2 * PAGE), 0);
	for (int p = 0; p < 8; p++)
		expect_page(f, p, bo, after_split[p]);
	assert_int_equal(drm_gem_object_refcount(&bo->base), 3);	/* two mappings */

	assert_int_equal(sim_pt_unmap(f->pt, VA, PAGE), 0);		/* head of the first */
	assert_int_equal(sim_pt_unmap(f->pt, VA + 7 * PAGE, PAGE), 0);	/* tail of the second */
	for (int p = 0; p < 8; p++)
		expect_page(f, p, bo, after_trim[p]);
	/* Straddling a hole: tail of one, head of the other. */
	assert_int_equal(sim_pt_unmap(f->pt, VA + 2 * PAGE, 4 * PAGE), 0);
	for (int p = 0; p < 8; p++)
		expect_page(f, p, bo, after_hole[p]);
	assert_int_equal(drm_gem_object_refcount(&bo->base), 3);
	assert_int_equal(sim_pt_read(f->pt, VA + 6 * PAGE, &w, 4), 0);

	/* Unmapping nothing is fine; unmapping everything drops both. */
	assert_int_equal(sim_pt_unmap(f->pt, VA + 100 * PAGE, PAGE), 0);
	assert_int_equal(sim_pt_unmap(f->pt, 0, 1ull << 48), 0);
	for (int p = 0; p < 8; p++)
		expect_page(f, p, bo, -1);
	assert_int_equal(drm_gem_object_refcount(&bo->base), 1);
	sim_bo_put(bo);
}

static void test_pt_mapping_holds_bo(void **state)
{
	struct fixture *f = *state;
	struct sim_bo *bo = st_bo(f->dev, PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct sim_device_stats st;
	struct sim_pt *pt2;
	uint32_t w = 77, r = 0;

	assert_int_equal(sim_pt_create(f->dev, &pt2), 0);
	st_lock(bo);
	assert_int_equal(sim_pt_map(pt2, (1ull << 48) - PAGE, PAGE, bo, 0, 0), 0);
	st_unlock(bo);
	sim_bo_put(bo);		/* the mapping keeps it */
	sim_device_get_stats(f->dev, &st);
	assert_int_equal(st.bo_count, 1);
	assert_int_equal(sim_pt_write(pt2, (1ull << 48) - 4, &w, 4), 0);
	assert_int_equal(sim_pt_read(pt2, (1ull << 48) - 4, &r, 4), 0);
	assert_int_equal(r, 77);
	sim_pt_put(pt2);	/* last mapping gone: the BO too */
	sim_device_get_stats(f->dev, &st);
	assert_int_equal(st.bo_count, 0);
}

static void test_pt_map_enomem(void **state)
{
	struct fixture *f = *state;
	struct sim_bo *bo = st_bo(f->dev, 2 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	uint64_t before = st_live_bytes();
	unsigned long n;
	int ret;

	for (n = 1;; n++) {
		struct sim_pt_entry e;

		st_lock(bo);
		resv_alloc_fail_nth(n);
		ret = sim_pt_map(f->pt, 0x7f0000000000ull - PAGE, 2 * PAGE, bo, 0, 0);
		resv_alloc_fail_nth(0);
		st_unlock(bo);
		if (!ret)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(sim_pt_lookup(f->pt, 0x7f0000000000ull - PAGE, &e), -ENOENT);
		assert_int_equal(sim_pt_lookup(f->pt, 0x7f0000000000ull, &e), -ENOENT);
		assert_int_equal(drm_gem_object_refcount(&bo->base), 1);
		assert_int_equal(st_live_bytes(), before);	/* no directory left behind */
	}
	/* The record, then three directories below the root for each of the
	 * two pages, which lie in different top-level subtrees: 7. */
	assert_int_equal(n, 8);
	assert_int_equal(drm_gem_object_refcount(&bo->base), 2);
	sim_bo_put(bo);
}

static void test_pt_unmap_split_enomem(void **state)
{
	struct fixture *f = *state;
	struct sim_bo *bo = st_bo(f->dev, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	uint64_t before;

	map(f, VA, 4 * PAGE, bo, 0, 0, 0);
	before = st_live_bytes();
	resv_alloc_fail_nth(1);
	assert_int_equal(sim_pt_unmap(f->pt, VA + PAGE, PAGE), -ENOMEM);
	resv_alloc_fail_nth(0);
	assert_int_equal(st_live_bytes(), before);
	for (int p = 0; p < 4; p++)
		expect_page(f, p, bo, p);
	assert_int_equal(drm_gem_object_refcount(&bo->base), 2);
	/* Trimming needs no allocation: it cannot fail. */
	resv_alloc_fail_nth(1);
	assert_int_equal(sim_pt_unmap(f->pt, VA, PAGE), 0);
	resv_alloc_fail_nth(0);
	expect_page(f, 0, bo, -1);
	expect_page(f, 1, bo, 1);
	sim_bo_put(bo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pt_map_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pt_translate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pt_stale_after_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pt_old_storage_until_move_done, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pt_unmap_trim_and_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pt_mapping_holds_bo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pt_map_enomem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pt_unmap_split_enomem, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
