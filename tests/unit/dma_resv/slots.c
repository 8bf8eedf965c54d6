/* SPDX-License-Identifier: MIT */
/*
 * Usage slots: which usages a query returns, the non-cumulative reserve,
 * reports for adds without a reserve or with a container, the replacement
 * rule, and replace_fences.
 */
#include "resv_test.h"

void test_dma_resv_usage_query_semantics(void **state)
{
	uint64_t ctx = dma_fence_context_alloc(4);
	struct dma_resv obj;
	struct dma_fence *f[4];

	assert_int_equal(dma_resv_usage_rw(true), DMA_RESV_USAGE_READ);
	assert_int_equal(dma_resv_usage_rw(false), DMA_RESV_USAGE_WRITE);
	assert_true(DMA_RESV_USAGE_KERNEL < DMA_RESV_USAGE_WRITE &&
		    DMA_RESV_USAGE_WRITE < DMA_RESV_USAGE_READ &&
		    DMA_RESV_USAGE_READ < DMA_RESV_USAGE_BOOKKEEP);

	dma_resv_init(&obj);
	lock_obj(&obj);
	assert_int_equal(dma_resv_reserve_fences(&obj, 4), 0);
	/* Added in reverse usage order so the list order is not the usage order. */
	for (int u = 3; u >= 0; u--) {
		f[u] = fence_new(ctx + u, 1);
		dma_resv_add_fence(&obj, f[u], (enum dma_resv_usage)u);
	}

	for (int q = 0; q < 4; q++) {
		struct dma_resv_iter cursor;
		struct dma_fence *fence, **got;
		unsigned int seen = 0, n;

		/* Locked walk: exactly the fences with usage <= q. */
		dma_resv_for_each_fence(&cursor, &obj, (enum dma_resv_usage)q, fence) {
			int u = (int)dma_resv_iter_usage(&cursor);

			assert_true(u <= q);
			assert_ptr_equal(fence, f[u]);
			seen |= 1u << u;
		}
		assert_int_equal(seen, (1u << (q + 1)) - 1);

		/* Unlocked walk, same answer. */
		seen = 0;
		dma_resv_iter_begin(&cursor, &obj, (enum dma_resv_usage)q);
		dma_resv_for_each_fence_unlocked(&cursor, fence) {
			int u = (int)dma_resv_iter_usage(&cursor);

			assert_true(u <= q);
			assert_ptr_equal(fence, f[u]);
			seen |= 1u << u;
		}
		dma_resv_iter_end(&cursor);
		assert_int_equal(seen, (1u << (q + 1)) - 1);

		assert_int_equal(dma_resv_get_fences(&obj, (enum dma_resv_usage)q, &n, &got), 0);
		assert_int_equal(n, q + 1);
		fences_free(got, n);
		assert_false(dma_resv_test_signaled(&obj, (enum dma_resv_usage)q));
	}

	/* Signal usage by usage: test_signaled(U) flips exactly when all <= U did. */
	for (int u = 0; u < 4; u++) {
		dma_fence_signal(f[u]);
		for (int q = 0; q < 4; q++)
			assert_int_equal(dma_resv_test_signaled(&obj, (enum dma_resv_usage)q), q <= u);
	}
	dma_resv_unlock(&obj);
	dma_resv_fini(&obj);
	for (int u = 0; u < 4; u++)
		dma_fence_put(f[u]);
}

void test_dma_resv_reserve_not_cumulative(void **state)
{
	uint64_t ctx = dma_fence_context_alloc(8);
	unsigned int num, max;
	struct dma_fence *f[5];
	struct dma_resv obj;
	uint64_t allocs;

	dma_resv_init(&obj);
	lock_obj(&obj);
	assert_int_equal(dma_resv_reserve_fences(&obj, 0), -EINVAL);
	assert_int_equal(misuse_reports, resv_report_checks_enabled() ? 1 : 0);

	assert_int_equal(dma_resv_reserve_fences(&obj, 1), 0);
	slots(&obj, &num, &max);
	assert_int_equal(num, 0);
	assert_int_equal(max, 4);	/* at least 4 */
	allocs = allocations();
	assert_int_equal(dma_resv_reserve_fences(&obj, 1), 0);
	assert_int_equal(dma_resv_reserve_fences(&obj, 4), 0);
	assert_int_equal(allocations(), allocs);	/* 0 + 4 <= 4: nothing to do */
	slots(&obj, &num, &max);
	assert_int_equal(max, 4);

	for (int i = 0; i < 3; i++) {
		f[i] = fence_new(ctx + i, 1);
		dma_resv_add_fence(&obj, f[i], DMA_RESV_USAGE_READ);
	}
	/* 3 used + 1 <= 4: reserving 1 again (not 1 more than before) is free. */
	allocs = allocations();
	assert_int_equal(dma_resv_reserve_fences(&obj, 1), 0);
	assert_int_equal(allocations(), allocs);
	/* 3 + 2 > 4: grow to max(5, 2 * 4). */
	assert_int_equal(dma_resv_reserve_fences(&obj, 2), 0);
	slots(&obj, &num, &max);
	assert_int_equal(num, 3);
	assert_int_equal(max, 8);
	for (int i = 3; i < 5; i++) {
		f[i] = fence_new(ctx + i, 1);
		dma_resv_add_fence(&obj, f[i], DMA_RESV_USAGE_READ);
	}
	/* Growing drops signaled fences from the new list. */
	dma_fence_signal(f[0]);
	dma_fence_signal(f[1]);
	assert_int_equal(dma_resv_reserve_fences(&obj, 20), 0);
	slots(&obj, &num, &max);
	assert_int_equal(num, 3);
	assert_int_equal(max, 25);	/* max(3 + 20, 2 * 8) */
	assert_int_equal(refs(f[0]), 1);
	assert_int_equal(refs(f[1]), 1);
	assert_false(has_entry(&obj, f[0], DMA_RESV_USAGE_READ));
	assert_true(has_entry(&obj, f[4], DMA_RESV_USAGE_READ));
	dma_resv_unlock(&obj);
	assert_int_equal(misuse_reports, resv_report_checks_enabled() ? 1 : 0);

	dma_resv_fini(&obj);
	for (int i = 0; i < 5; i++)
		dma_fence_put(f[i]);
}

void test_dma_resv_add_without_reserve_reported(void **state)
{
	uint64_t ctx = dma_fence_context_alloc(3);
	bool checks = resv_report_checks_enabled();
	struct dma_fence *a = fence_new(ctx, 1), *b = fence_new(ctx + 1, 1);
	struct dma_fence *c = fence_new(ctx + 2, 1);
	unsigned int num, max;
	struct dma_resv obj;

	dma_resv_init(&obj);
	lock_obj(&obj);
	/* No list at all: reported in every build, and the fence is still added. */
	dma_resv_add_fence(&obj, a, DMA_RESV_USAGE_WRITE);
	assert_int_equal(misuse_reports, 1);
	assert_true(has_entry(&obj, a, DMA_RESV_USAGE_WRITE));
	assert_int_equal(dma_resv_reserve_fences(&obj, 1), 0);
	dma_resv_add_fence(&obj, b, DMA_RESV_USAGE_WRITE);
	assert_int_equal(misuse_reports, 1);
	dma_resv_unlock(&obj);

	/* The reservation ended at unlock: in debug builds it is forgotten. */
	lock_obj(&obj);
	slots(&obj, &num, &max);
	assert_int_equal(num, 2);
	assert_int_equal(max, checks ? 2 : 4);
	dma_resv_add_fence(&obj, c, DMA_RESV_USAGE_READ);
	assert_int_equal(misuse_reports, checks ? 2 : 1);
	assert_true(has_entry(&obj, c, DMA_RESV_USAGE_READ));
	/* Re-reserving re-arms it without reallocating. */
	assert_int_equal(dma_resv_reserve_fences(&obj, 1), 0);
	slots(&obj, &num, &max);
	assert_int_equal(num, 3);
	assert_int_equal(max, 4);
	dma_resv_unlock(&obj);

	dma_resv_fini(&obj);
	dma_fence_put(a);
	dma_fence_put(b);
	dma_fence_put(c);
}

void test_dma_resv_add_container_reported(void **state)
{
	uint64_t ctx = dma_fence_context_alloc(2);
	struct dma_fence *a = fence_new(ctx, 1), *b = fence_new(ctx + 1, 1), *array = NULL;
	struct dma_resv src, obj;

	dma_resv_init(&src);
	dma_resv_init(&obj);
	add_one(&src, a, DMA_RESV_USAGE_WRITE);
	add_one(&src, b, DMA_RESV_USAGE_WRITE);
	assert_int_equal(dma_resv_get_singleton(&src, DMA_RESV_USAGE_WRITE, &array), 0);
	assert_true(dma_fence_is_container(array));

	/* The kernel WARNs and adds it anyway; so do we, with a report. */
	add_one(&obj, array, DMA_RESV_USAGE_READ);
	assert_int_equal(misuse_reports, resv_report_checks_enabled() ? 1 : 0);
	assert_int_equal(count_unlocked(&obj, DMA_RESV_USAGE_READ), 1);
	add_one(&obj, a, DMA_RESV_USAGE_READ);	/* a plain fence: silent */
	assert_int_equal(misuse_reports, resv_report_checks_enabled() ? 1 : 0);

	dma_resv_fini(&obj);
	dma_resv_fini(&src);
	dma_fence_put(array);
	dma_fence_put(a);
	dma_fence_put(b);
}

void test_dma_resv_add_replacement_rule(void **state)
{
	uint64_t x = dma_fence_context_alloc(1), y = dma_fence_context_alloc(1);
	uint64_t z = dma_fence_context_alloc(1);
	struct dma_fence *x1 = fence_new(x, 1), *x2 = fence_new(x, 2), *y1 = fence_new(y, 1);
	struct dma_fence *z1 = fence_new(z, 1), *z5 = fence_new(z, 5), *z3 = fence_new(z, 3);
	struct dma_fence *y2 = fence_new(y, 2);
	struct dma_resv obj;

	dma_resv_init(&obj);
	lock_obj(&obj);
	assert_int_equal(dma_resv_reserve_fences(&obj, 8), 0);

	/* Same context, later fence, same usage: replaced in place. */
	dma_resv_add_fence(&obj, x1, DMA_RESV_USAGE_WRITE);
	dma_resv_add_fence(&obj, x2, DMA_RESV_USAGE_WRITE);
	assert_int_equal(num_entries(&obj), 1);
	assert_true(has_entry(&obj, x2, DMA_RESV_USAGE_WRITE));
	assert_int_equal(refs(x1), 1);
	assert_int_equal(refs(x2), 2);

	/* Different context: appended. */
	dma_resv_add_fence(&obj, y1, DMA_RESV_USAGE_WRITE);
	assert_int_equal(num_entries(&obj), 2);

	/* Same context, older seqno: never replaces the newer one. */
	dma_resv_add_fence(&obj, z5, DMA_RESV_USAGE_READ);
	dma_resv_add_fence(&obj, z3, DMA_RESV_USAGE_READ);
	assert_int_equal(num_entries(&obj), 4);
	assert_true(has_entry(&obj, z5, DMA_RESV_USAGE_READ));
	assert_true(has_entry(&obj, z3, DMA_RESV_USAGE_READ));

	/* Same fence again with a lower usage: promoted in place. */
	dma_resv_add_fence(&obj, z5, DMA_RESV_USAGE_KERNEL);
	assert_int_equal(num_entries(&obj), 4);
	assert_true(has_entry(&obj, z5, DMA_RESV_USAGE_KERNEL));
	assert_false(has_entry(&obj, z5, DMA_RESV_USAGE_READ));
	assert_int_equal(refs(z5), 2);

	/* Same fence with a higher usage: never degraded, added again. */
	dma_resv_add_fence(&obj, x2, DMA_RESV_USAGE_BOOKKEEP);
	assert_int_equal(num_entries(&obj), 5);
	assert_true(has_entry(&obj, x2, DMA_RESV_USAGE_WRITE));
	assert_true(has_entry(&obj, x2, DMA_RESV_USAGE_BOOKKEEP));
	assert_int_equal(count_locked(&obj, DMA_RESV_USAGE_WRITE), 3);	/* x2, y1, z5 */

	/* A signaled fence's slot is recycled, whatever its context. */
	dma_fence_signal(y1);
	dma_resv_add_fence(&obj, z1, DMA_RESV_USAGE_BOOKKEEP);
	assert_int_equal(num_entries(&obj), 5);
	assert_false(has_entry(&obj, y1, DMA_RESV_USAGE_WRITE));
	assert_true(has_entry(&obj, z1, DMA_RESV_USAGE_BOOKKEEP));
	assert_int_equal(refs(y1), 1);

	/* Later fence of a context but weaker usage than the entry: appended. */
	dma_resv_add_fence(&obj, y2, DMA_RESV_USAGE_READ);
	assert_int_equal(num_entries(&obj), 6);
	dma_resv_unlock(&obj);

	dma_resv_fini(&obj);
	dma_fence_put(x1);
	dma_fence_put(x2);
	dma_fence_put(y1);
	dma_fence_put(y2);
	dma_fence_put(z1);
	dma_fence_put(z3);
	dma_fence_put(z5);
}

void test_dma_resv_replace_fences(void **state)
{
	uint64_t x = dma_fence_context_alloc(1), y = dma_fence_context_alloc(1);
	uint64_t r = dma_fence_context_alloc(1);
	struct dma_fence *x1 = fence_new(x, 1), *x0 = fence_new(x, 0), *y1 = fence_new(y, 1);
	struct dma_fence *repl = fence_new(r, 1);
	struct dma_resv obj;

	dma_resv_init(&obj);
	lock_obj(&obj);
	assert_int_equal(dma_resv_reserve_fences(&obj, 3), 0);
	dma_resv_add_fence(&obj, x1, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_add_fence(&obj, x0, DMA_RESV_USAGE_BOOKKEEP);	/* older: appended */
	dma_resv_add_fence(&obj, y1, DMA_RESV_USAGE_READ);
	assert_int_equal(num_entries(&obj), 3);

	dma_resv_replace_fences(&obj, x, repl, DMA_RESV_USAGE_KERNEL);
	assert_int_equal(num_entries(&obj), 3);
	assert_int_equal(refs(x1), 1);
	assert_int_equal(refs(x0), 1);
	assert_int_equal(refs(repl), 3);
	assert_true(has_entry(&obj, repl, DMA_RESV_USAGE_KERNEL));
	assert_true(has_entry(&obj, y1, DMA_RESV_USAGE_READ));
	assert_int_equal(count_locked(&obj, DMA_RESV_USAGE_KERNEL), 2);
	/* A context with no entries: nothing happens. */
	dma_resv_replace_fences(&obj, x, y1, DMA_RESV_USAGE_KERNEL);
	assert_int_equal(refs(y1), 2);
	dma_resv_unlock(&obj);

	dma_resv_fini(&obj);
	assert_int_equal(refs(repl), 1);
	dma_fence_put(x1);
	dma_fence_put(x0);
	dma_fence_put(y1);
	dma_fence_put(repl);
}
