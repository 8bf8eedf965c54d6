/* SPDX-License-Identifier: MIT */
/* dma_fence_unwrap: deep iteration, merge (0 / 1 / many) and dedup. */
#include "containers_test.h"

/* ==== dma_fence_unwrap ================================================================ */

void test_dma_fence_unwrap_deep_chain_of_arrays(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(3);
	struct dma_fence *f[5], *a1, *a2, *c1, *c2, *c3, *it;
	struct dma_fence_unwrap cursor;
	unsigned int n;

	f[0] = mk_fence(ctx, 1);	/* in a1 */
	f[1] = mk_fence(ctx + 1, 1);	/* in a1 */
	f[2] = mk_fence(ctx, 2);	/* in a2 */
	f[3] = mk_fence(ctx + 2, 1);	/* in a2 */
	f[4] = mk_fence(ctx + 1, 2);	/* plain, in c3 */
	a1 = &mk_array(2, &f[0], false)->base;
	a2 = &mk_array(2, &f[2], false)->base;
	c1 = mk_chain(NULL, a1, 1);
	c2 = mk_chain(c1, a2, 2);
	c3 = mk_chain(c2, dma_fence_get(f[4]), 3);	/* c3 holds the only chain refs */

	{
		struct dma_fence *expect[5] = { f[4], f[2], f[3], f[0], f[1] };

		n = 0;
		dma_fence_unwrap_for_each(it, &cursor, c3) {
			assert_true(n < 5);
			assert_ptr_equal(it, expect[n]);
			n++;
		}
		assert_int_equal(n, 5);
		assert_null(cursor.chain);
		assert_int_equal(refs(c3), 1);
	}

	/* Leaving early: the cursor holds the current node. */
	it = dma_fence_unwrap_first(c3, &cursor);
	assert_ptr_equal(it, f[4]);
	it = dma_fence_unwrap_next(&cursor);
	assert_ptr_equal(it, f[2]);
	assert_ptr_equal(cursor.chain, c2);
	assert_ptr_equal(cursor.array, a2);
	assert_int_equal(cursor.index, 0);
	assert_int_equal(refs(c2), 2);
	dma_fence_put(cursor.chain);
	assert_int_equal(refs(c2), 1);

	/* a2's members signaled: c2 is unlinked and skipped. */
	dma_fence_signal(f[2]);
	dma_fence_signal(f[3]);
	{
		struct dma_fence *expect[3] = { f[4], f[0], f[1] };

		n = 0;
		dma_fence_unwrap_for_each(it, &cursor, c3) {
			assert_true(n < 3);
			assert_ptr_equal(it, expect[n]);
			n++;
		}
		assert_int_equal(n, 3);
	}

	/* A plain fence is itself, an array its members, NULL nothing. */
	n = 0;
	dma_fence_unwrap_for_each(it, &cursor, f[0]) {
		assert_ptr_equal(it, f[0]);
		n++;
	}
	assert_int_equal(n, 1);
	n = 0;
	dma_fence_unwrap_for_each(it, &cursor, a1)
		assert_ptr_equal(it, f[n++]);
	assert_int_equal(n, 2);
	assert_null(dma_fence_unwrap_first(NULL, &cursor));

	dma_fence_put(c3);
	for (int i = 0; i < 5; i++)
		assert_int_equal(refs(f[i]), 1);
	put_all(f, 5);
	assert_int_equal(live_bytes(), before);
}

void test_dma_fence_unwrap_merge_none_one_many(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(3);
	struct dma_fence *s1, *s2, *a1, *a2, *b1, *c1, *arr, *m;
	struct dma_fence_array *result;

	/* None pending: a private stub with the latest timestamp. */
	s1 = mk_fence(ctx, 1);
	s2 = mk_fence(ctx + 1, 1);
	dma_fence_signal_timestamp(s1, 2000);
	dma_fence_signal_timestamp(s2, 1000);
	m = dma_fence_unwrap_merge(s1, s2);
	assert_non_null(m);
	assert_true(m != s1 && m != s2);
	assert_true(signaled(m));
	assert_int_equal(m->context, 0);
	assert_int_equal(dma_fence_timestamp(m), 2000);
	assert_int_equal(refs(s1), 1);
	assert_int_equal(refs(s2), 1);
	dma_fence_put(m);

	/* Exactly one pending: that fence, with a new reference. */
	a1 = mk_fence(ctx, 2);
	m = dma_fence_unwrap_merge(s1, a1, s2);
	assert_ptr_equal(m, a1);
	assert_int_equal(refs(a1), 2);
	dma_fence_put(m);
	m = dma_fence_unwrap_merge(a1, a1);	/* counted twice, deduplicated */
	assert_ptr_equal(m, a1);
	assert_int_equal(refs(a1), 2);
	dma_fence_put(m);

	/* Two pending of one context: the later one, no array. */
	a2 = mk_fence(ctx, 3);
	m = dma_fence_unwrap_merge(a2, a1);
	assert_ptr_equal(m, a2);
	assert_int_equal(refs(a1), 1);
	assert_int_equal(refs(a2), 2);
	dma_fence_put(m);

	/* Many: a flat signal-all array of the latest per context. */
	b1 = mk_fence(ctx + 1, 2);
	c1 = mk_fence(ctx + 2, 1);
	{
		struct dma_fence *members[3] = { a2, c1, s1 };

		arr = &mk_array(3, members, false)->base;
	}
	m = dma_fence_unwrap_merge(a1, b1, arr);
	assert_non_null(m);
	result = to_dma_fence_array(m);
	assert_non_null(result);
	assert_int_equal(result->num_fences, 3);
	assert_ptr_equal(result->fences[0], a2);	/* contexts ascending */
	assert_ptr_equal(result->fences[1], b1);
	assert_ptr_equal(result->fences[2], c1);
	assert_int_equal(m->seqno, 1);
	assert_true(m->context > ctx + 2 && m->context != arr->context);
	assert_int_equal(refs(a1), 1);		/* dropped by the deduplication */
	assert_int_equal(refs(a2), 3);		/* ours, arr's, the merge's */
	assert_int_equal(refs(b1), 2);
	dma_fence_signal(b1);
	dma_fence_signal(c1);
	assert_false(dma_fence_is_signaled(m));	/* signal-all; a1 does not count */
	dma_fence_signal(a1);
	assert_false(dma_fence_is_signaled(m));
	dma_fence_signal(a2);
	assert_true(dma_fence_is_signaled(m));
	dma_fence_put(m);
	assert_int_equal(refs(b1), 1);

	dma_fence_put(arr);
	dma_fence_put(s1);
	dma_fence_put(s2);
	dma_fence_put(a1);
	dma_fence_put(a2);
	dma_fence_put(b1);
	dma_fence_put(c1);
	assert_int_equal(live_bytes(), before);
}

void test_dma_fence_dedup_array_keeps_latest_per_context(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(4);
	struct dma_fence *a1, *a2, *a3, *b1, *b2, *c5, *w1, *wmax;
	struct dma_fence *arr[8];

	a1 = mk_fence(ctx, 1);
	a2 = mk_fence(ctx, 2);
	a3 = mk_fence(ctx, 3);
	b1 = mk_fence(ctx + 1, 1);
	b2 = mk_fence(ctx + 1, 2);
	c5 = mk_fence(ctx + 2, 5);
	{
		struct dma_fence *in[6] = { a1, b2, a3, b1, c5, a2 };

		for (int i = 0; i < 6; i++)
			arr[i] = dma_fence_get(in[i]);
	}
	assert_int_equal(dma_fence_dedup_array(arr, 6), 3);
	assert_ptr_equal(arr[0], a3);
	assert_ptr_equal(arr[1], b2);
	assert_ptr_equal(arr[2], c5);
	assert_int_equal(refs(a1), 1);
	assert_int_equal(refs(a2), 1);
	assert_int_equal(refs(b1), 1);
	assert_int_equal(refs(a3), 2);
	assert_int_equal(refs(b2), 2);
	assert_int_equal(refs(c5), 2);
	put_all(arr, 3);

	assert_int_equal(dma_fence_dedup_array(arr, 0), 0);
	arr[0] = dma_fence_get(a1);
	assert_int_equal(dma_fence_dedup_array(arr, 1), 1);
	assert_ptr_equal(arr[0], a1);
	dma_fence_put(arr[0]);

	/* 32-bit timelines wrap: seqno 1 is later than 0xffffffff. */
	w1 = mk_fence(ctx + 3, 1);
	wmax = mk_fence(ctx + 3, 0xffffffffULL);
	arr[0] = dma_fence_get(w1);
	arr[1] = dma_fence_get(wmax);
	assert_int_equal(dma_fence_dedup_array(arr, 2), 1);
	assert_ptr_equal(arr[0], w1);
	assert_int_equal(refs(wmax), 1);
	dma_fence_put(arr[0]);

	dma_fence_put(a1);
	dma_fence_put(a2);
	dma_fence_put(a3);
	dma_fence_put(b1);
	dma_fence_put(b2);
	dma_fence_put(c5);
	dma_fence_put(w1);
	dma_fence_put(wmax);
	assert_int_equal(live_bytes(), before);
}
