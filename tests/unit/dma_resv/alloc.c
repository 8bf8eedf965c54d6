/* SPDX-License-Identifier: MIT */
/*
 * Allocation failure at every allocation site: -ENOMEM, nothing leaked,
 * nothing held, state unchanged.
 */
#include "resv_test.h"

void test_dma_resv_alloc_failure_every_site(void **state)
{
	uint64_t ctx = dma_fence_context_alloc(6);
	struct dma_fence *f[6], **got, *single;
	struct dma_resv obj, dst;
	unsigned int num, max, num0, max0, n;
	uint64_t before;
	int ret = -1;

	dma_resv_init(&obj);
	dma_resv_init(&dst);
	for (int i = 0; i < 4; i++) {
		f[i] = fence_new(ctx + i, 1);
		add_one(&obj, f[i], (enum dma_resv_usage)i);
	}
	f[4] = fence_new(ctx + 4, 1);
	f[5] = fence_new(ctx + 5, 1);
	add_one(&dst, f[5], DMA_RESV_USAGE_WRITE);
	before = live_bytes();

	/* reserve_fences: grow 4 -> 8. */
	for (unsigned long nth = 1; ret; nth++) {
		lock_obj(&obj);
		slots(&obj, &num0, &max0);
		resv_alloc_fail_nth(nth);
		ret = dma_resv_reserve_fences(&obj, 2);
		resv_alloc_fail_nth(0);
		slots(&obj, &num, &max);
		dma_resv_unlock(&obj);
		assert_false(dma_resv_is_locked(&obj));
		if (ret) {
			assert_int_equal(ret, -ENOMEM);
			assert_int_equal(num, num0);
			assert_int_equal(max, max0);
			assert_int_equal(live_bytes(), before);
		}
		assert_true(nth < 10);
	}
	assert_int_equal(num, 4);
	assert_int_equal(max, 8);
	for (int i = 0; i < 4; i++)
		assert_int_equal(refs(f[i]), 2);
	before = live_bytes();

	/* copy_fences. */
	ret = -1;
	for (unsigned long nth = 1; ret; nth++) {
		lock_obj(&dst);
		resv_alloc_fail_nth(nth);
		ret = dma_resv_copy_fences(&dst, &obj);
		resv_alloc_fail_nth(0);
		num = num_entries(&dst);
		if (ret) {
			assert_int_equal(ret, -ENOMEM);
			assert_int_equal(num, 1);
			assert_true(has_entry(&dst, f[5], DMA_RESV_USAGE_WRITE));
			assert_int_equal(refs(f[0]), 2);
		}
		dma_resv_unlock(&dst);
		assert_false(dma_resv_is_locked(&dst));
		if (ret)
			assert_int_equal(live_bytes(), before);
		assert_true(nth < 10);
	}
	assert_int_equal(num, 4);
	assert_int_equal(refs(f[5]), 1);
	assert_int_equal(refs(f[0]), 3);

	/* get_fences. */
	before = live_bytes();
	ret = -1;
	for (unsigned long nth = 1; ret; nth++) {
		resv_alloc_fail_nth(nth);
		ret = dma_resv_get_fences(&obj, DMA_RESV_USAGE_BOOKKEEP, &n, &got);
		resv_alloc_fail_nth(0);
		if (ret) {
			assert_int_equal(ret, -ENOMEM);
			assert_int_equal(n, 0);
			assert_null(got);
			assert_int_equal(refs(f[0]), 3);
			assert_int_equal(live_bytes(), before);
		}
		assert_true(nth < 10);
	}
	assert_int_equal(n, 4);
	fences_free(got, n);

	/* get_singleton, every path. */
	before = live_bytes();
	ret = -1;
	for (unsigned long nth = 1; ret; nth++) {
		single = NULL;
		resv_alloc_fail_nth(nth);
		ret = dma_resv_get_singleton(&obj, DMA_RESV_USAGE_BOOKKEEP, &single);
		resv_alloc_fail_nth(0);
		if (ret) {
			assert_int_equal(ret, -ENOMEM);
			assert_null(single);
			assert_int_equal(refs(f[0]), 3);
			assert_int_equal(live_bytes(), before);
		}
		assert_true(nth < 10);
	}
	assert_true(dma_fence_is_array(single));
	dma_fence_put(single);
	assert_int_equal(refs(f[0]), 3);

	dma_resv_fini(&dst);
	dma_resv_fini(&obj);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(refs(f[i]), 1);
		dma_fence_put(f[i]);
	}
}
