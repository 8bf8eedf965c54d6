// SPDX-License-Identifier: MIT
/*
 * Syncobj transfer in its four directions (binary/timeline to
 * binary/timeline), its errnos, and allocation failure at every
 * allocation site of the syncobj API: -ENOMEM, nothing leaked, the table
 * and the syncobjs unchanged.
 */
#include "test_syncobj.h"

static void add_point(struct so_fixture *f, uint32_t h, struct dma_fence *fence, uint64_t point)
{
	struct sim_syncobj *s = sim_syncobj_table_lookup(&f->table, h);

	assert_int_equal(sim_syncobj_add_point(s, fence, point), 0);
	sim_syncobj_put(s);
}

static void replace(struct so_fixture *f, uint32_t h, struct dma_fence *fence)
{
	struct sim_syncobj *s = sim_syncobj_table_lookup(&f->table, h);

	sim_syncobj_replace_fence(s, fence);
	sim_syncobj_put(s);
}

/* ---- the four directions ------------------------------------------------------------- */

static void test_syncobj_transfer_binary_to_binary(void **state)
{
	struct so_fixture *f = *state;
	uint32_t src = so_new_handle(f, 0), dst = so_new_handle(f, SIM_SYNCOBJ_CREATE_SIGNALED);
	struct dma_fence *a = st_fence_new();

	replace(f, src, a);
	assert_int_equal(sim_syncobj_table_transfer(&f->table, src, 0, dst, 0, 0), 0);
	assert_ptr_equal(so_peek_handle(f, dst), a);	/* the very fence, not a copy */
	assert_ptr_equal(so_peek_handle(f, src), a);
	st_fence_signal(a, 0);
	dma_fence_put(a);
}

static void test_syncobj_transfer_binary_to_timeline(void **state)
{
	struct so_fixture *f = *state;
	uint32_t src = so_new_handle(f, 0), dst = so_new_handle(f, 0);
	struct dma_fence *a = st_fence_new(), *b = st_fence_new(), *head;
	uint64_t point = 0;

	add_point(f, dst, b, 1);
	replace(f, src, a);
	assert_int_equal(sim_syncobj_table_transfer(&f->table, src, 0, dst, 3, 0), 0);
	head = so_peek_handle(f, dst);
	assert_true(dma_fence_is_chain(head));
	assert_int_equal(head->seqno, 3);
	assert_ptr_equal(dma_fence_chain_contained(head), a);
	assert_int_equal(to_dma_fence_chain(head)->prev_seqno, 1);
	assert_int_equal(sim_syncobj_table_query(&f->table, &dst, &point, 1,
						 SIM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 0);
	assert_int_equal(point, 3);
	st_fence_signal(a, 0);
	st_fence_signal(b, 0);
	assert_int_equal(sim_syncobj_table_query(&f->table, &dst, &point, 1, 0), 0);
	assert_int_equal(point, 3);
	dma_fence_put(a);
	dma_fence_put(b);
}

static void test_syncobj_transfer_timeline_to_binary(void **state)
{
	struct so_fixture *f = *state;
	uint32_t src = so_new_handle(f, 0), dst = so_new_handle(f, 0);
	struct dma_fence *a = st_fence_new(), *b = st_fence_new(), *got;

	add_point(f, src, a, 1);
	add_point(f, src, b, 2);
	assert_int_equal(sim_syncobj_table_transfer(&f->table, src, 1, dst, 0, 0), 0);
	got = so_peek_handle(f, dst);
	/* The binary syncobj now holds the node of point 1 (as the kernel). */
	assert_true(dma_fence_is_chain(got));
	assert_int_equal(got->seqno, 1);
	assert_ptr_equal(dma_fence_chain_contained(got), a);
	/* Point 0 of the source: its head. */
	assert_int_equal(sim_syncobj_table_transfer(&f->table, src, 0, dst, 0, 0), 0);
	assert_ptr_equal(so_peek_handle(f, dst), so_peek_handle(f, src));
	/* A signaled point transfers as a signaled stub. */
	st_fence_signal(a, 0);
	assert_int_equal(sim_syncobj_table_transfer(&f->table, src, 1, dst, 0, 0), 0);
	got = so_peek_handle(f, dst);
	assert_false(dma_fence_is_chain(got));
	assert_true(dma_fence_is_signaled(got));
	st_fence_signal(b, 0);
	dma_fence_put(a);
	dma_fence_put(b);
}

static void test_syncobj_transfer_timeline_to_timeline(void **state)
{
	struct so_fixture *f = *state;
	uint32_t src = so_new_handle(f, 0), dst = so_new_handle(f, 0);
	struct dma_fence *a = st_fence_new(), *b = st_fence_new(), *c = st_fence_new();
	struct dma_fence *head, *inner;

	add_point(f, src, a, 1);
	add_point(f, src, b, 2);
	/* Point 2 waits for a and b: flattened into one array, not a nested chain. */
	assert_int_equal(sim_syncobj_table_transfer(&f->table, src, 2, dst, 7, 0), 0);
	head = so_peek_handle(f, dst);
	assert_int_equal(head->seqno, 7);
	inner = dma_fence_chain_contained(head);
	assert_false(dma_fence_is_chain(inner));
	assert_true(dma_fence_is_array(inner));
	assert_int_equal(to_dma_fence_array(inner)->num_fences, 2);
	st_fence_signal(a, 0);
	assert_false(dma_fence_is_signaled(head));
	st_fence_signal(b, 0);
	assert_true(dma_fence_is_signaled(head));

	/* With only one unsignaled fence left, that fence itself is added. */
	add_point(f, src, c, 3);
	assert_int_equal(sim_syncobj_table_transfer(&f->table, src, 3, dst, 8, 0), 0);
	head = so_peek_handle(f, dst);
	assert_int_equal(head->seqno, 8);
	assert_ptr_equal(dma_fence_chain_contained(head), c);
	st_fence_signal(c, 0);
	dma_fence_put(a);
	dma_fence_put(b);
	dma_fence_put(c);
}

static void test_syncobj_transfer_errors(void **state)
{
	struct so_fixture *f = *state;
	uint32_t src = so_new_handle(f, 0), dst = so_new_handle(f, 0), empty = so_new_handle(f, 0);
	struct dma_fence *a = st_fence_new(), *before;

	replace(f, src, a);
	add_point(f, dst, a, 4);
	before = so_peek_handle(f, dst);
	/* Destination first, then flags, then source: the kernel's order. */
	assert_int_equal(sim_syncobj_table_transfer(&f->table, src, 0, 99, 0, 1u << 2), -ENOENT);
	assert_int_equal(sim_syncobj_table_transfer(&f->table, 99, 0, dst, 0, 1u << 2), -EINVAL);
	assert_int_equal(sim_syncobj_table_transfer(&f->table, 99, 0, dst, 5, 1u << 0), -EINVAL);
	assert_int_equal(sim_syncobj_table_transfer(&f->table, 99, 0, dst, 0, 0), -ENOENT);
	assert_int_equal(sim_syncobj_table_transfer(&f->table, 99, 0, dst, 5, 0), -ENOENT);
	/* No fence at the source point, and no WAIT_FOR_SUBMIT. */
	assert_int_equal(sim_syncobj_table_transfer(&f->table, empty, 0, dst, 0, 0), -EINVAL);
	assert_int_equal(sim_syncobj_table_transfer(&f->table, empty, 0, dst, 5, 0), -EINVAL);
	assert_int_equal(sim_syncobj_table_transfer(&f->table, src, 1, dst, 0, 0), -EINVAL);
	assert_int_equal(sim_syncobj_table_transfer(&f->table, dst, 5, src, 0, 0), -EINVAL);
	assert_ptr_equal(so_peek_handle(f, dst), before);
	assert_ptr_equal(so_peek_handle(f, src), a);
	st_fence_signal(a, 0);
	dma_fence_put(a);
}

/* ---- allocation failure -------------------------------------------------------------- */

/*
 * Run @op with the n-th allocation failing, n = 1, 2, ... until it
 * succeeds; after each -ENOMEM, @check verifies that nothing changed and
 * the live bytes are as before. Returns the number of allocations @op made.
 */
#define FAIL_EACH(f, op, check)							\
	({									\
		unsigned long n_;						\
		uint64_t live_ = st_live_bytes();				\
		int ret_;							\
		for (n_ = 1;; n_++) {						\
			resv_alloc_fail_nth(n_);				\
			ret_ = (op);						\
			resv_alloc_fail_nth(0);					\
			if (!ret_)						\
				break;						\
			assert_int_equal(ret_, -ENOMEM);			\
			if (st_live_bytes() != live_)				\
				fail_msg("n=%lu: %lld bytes leaked", n_,	\
					 (long long)(st_live_bytes() - live_));	\
			check;							\
		}								\
		n_ - 1;								\
	})

static void test_syncobj_enomem_create_and_install(void **state)
{
	struct so_fixture *f = *state;
	struct sim_syncobj *s = NULL;
	uint32_t h = 0, i;
	unsigned long n;

	n = FAIL_EACH(f, sim_syncobj_create(SIM_SYNCOBJ_CREATE_SIGNALED, &s), assert_null(s));
	assert_int_equal(n, 2);	/* the syncobj, its stub fence */
	sim_syncobj_put(s);

	n = FAIL_EACH(f, sim_syncobj_table_create(&f->table, SIM_SYNCOBJ_CREATE_SIGNALED, &h), ({
		assert_int_equal(h, 0);
		assert_int_equal(sim_syncobj_table_count(&f->table), 0);
	}));
	assert_int_equal(n, 3);	/* syncobj, stub, the table's first slots */
	assert_int_equal(h, 1);

	/* Fill the 16 slots, then the 17th handle grows the table. */
	for (i = 2; i <= 16; i++)
		assert_int_equal(so_new_handle(f, 0), i);
	h = 0;
	n = FAIL_EACH(f, sim_syncobj_table_create(&f->table, 0, &h), ({
		assert_int_equal(h, 0);
		assert_int_equal(sim_syncobj_table_count(&f->table), 16);
		assert_int_equal(sim_syncobj_table_next(&f->table, 16), 0);
	}));
	assert_int_equal(n, 2);
	assert_int_equal(h, 17);
	assert_true(dma_fence_is_signaled(so_peek_handle(f, 1)));
}

static void test_syncobj_enomem_signal(void **state)
{
	struct so_fixture *f = *state;
	uint32_t h[3] = { so_new_handle(f, 0), so_new_handle(f, 0), so_new_handle(f, 0) };
	unsigned long n;

	/* The handle array, then one stub per syncobj. */
	for (n = 1; n <= 2; n++) {
		uint64_t live = st_live_bytes();

		resv_alloc_fail_nth(n);
		assert_int_equal(sim_syncobj_table_signal(&f->table, h, 3), -ENOMEM);
		resv_alloc_fail_nth(0);
		assert_int_equal(st_live_bytes(), live);
		assert_null(so_peek_handle(f, h[0]));
		assert_null(so_peek_handle(f, h[1]));
	}
	/* As the kernel: a later failure leaves the earlier syncobjs signaled. */
	resv_alloc_fail_nth(3);
	assert_int_equal(sim_syncobj_table_signal(&f->table, h, 3), -ENOMEM);
	resv_alloc_fail_nth(0);
	assert_true(dma_fence_is_signaled(so_peek_handle(f, h[0])));
	assert_null(so_peek_handle(f, h[1]));
	assert_null(so_peek_handle(f, h[2]));
	assert_int_equal(sim_syncobj_table_signal(&f->table, h, 3), 0);
	assert_true(dma_fence_is_signaled(so_peek_handle(f, h[2])));
}

static void test_syncobj_enomem_timeline_signal_and_points(void **state)
{
	struct so_fixture *f = *state;
	uint32_t h[3] = { so_new_handle(f, 0), so_new_handle(f, 0), so_new_handle(f, 0) };
	uint64_t points[3] = { 1, 2, 3 }, out[3];
	struct dma_fence *a = st_fence_new();
	struct sim_syncobj *s = sim_syncobj_table_lookup(&f->table, h[0]);
	unsigned long n;

	n = FAIL_EACH(f, sim_syncobj_table_timeline_signal(&f->table, h, points, 3, 0), ({
		assert_null(so_peek_handle(f, h[0]));
		assert_null(so_peek_handle(f, h[2]));
	}));
	assert_int_equal(n, 5);	/* handles, chain array, three nodes */
	assert_int_equal(sim_syncobj_table_query(&f->table, h, out, 3, 0), 0);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[2], 3);

	n = FAIL_EACH(f, sim_syncobj_add_point(s, a, 9), ({
		assert_int_equal(so_peek(s)->seqno, 1);
	}));
	assert_int_equal(n, 1);
	assert_int_equal(so_peek(s)->seqno, 9);

	n = FAIL_EACH(f, sim_syncobj_table_query(&f->table, h, out, 3, 0), (void)0);
	assert_int_equal(n, 1);
	n = FAIL_EACH(f, sim_syncobj_table_reset(&f->table, h, 1), ({
		assert_int_equal(so_peek(s)->seqno, 9);
	}));
	assert_int_equal(n, 1);
	assert_null(so_peek(s));
	sim_syncobj_put(s);
	st_fence_signal(a, 0);
	dma_fence_put(a);
}

static void test_syncobj_enomem_wait_and_transfer(void **state)
{
	struct so_fixture *f = *state;
	uint32_t h[2] = { so_new_handle(f, SIM_SYNCOBJ_CREATE_SIGNALED), so_new_handle(f, 0) };
	struct dma_fence *a = st_fence_new(), *b = st_fence_new(), *before;
	uint64_t points[2] = { 0, 2 };
	uint32_t first = 7;
	unsigned long n;

	n = FAIL_EACH(f, sim_syncobj_table_wait(&f->table, h, 1, 0, 0, &first),
		      assert_int_equal(first, 7));
	assert_int_equal(n, 2);	/* handles, wait entries */
	assert_int_equal(first, 0);

	add_point(f, h[1], a, 1);
	add_point(f, h[1], b, 2);
	n = FAIL_EACH(f, sim_syncobj_table_timeline_wait(&f->table, h, points, 2, 0,
				SIM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE, NULL), (void)0);
	assert_int_equal(n, 2);

	/* To a timeline: flattening point 2 (an array of a and b), the node. */
	before = so_peek_handle(f, h[0]);
	n = FAIL_EACH(f, sim_syncobj_table_transfer(&f->table, h[1], 2, h[0], 5, 0),
		      assert_ptr_equal(so_peek_handle(f, h[0]), before));
	assert_true(n >= 2);
	assert_int_equal(so_peek_handle(f, h[0])->seqno, 5);
	/* To a binary syncobj nothing is allocated. */
	n = FAIL_EACH(f, sim_syncobj_table_transfer(&f->table, h[1], 2, h[0], 0, 0), (void)0);
	assert_int_equal(n, 0);
	st_fence_signal(a, 0);
	st_fence_signal(b, 0);
	dma_fence_put(a);
	dma_fence_put(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_syncobj_transfer_binary_to_binary, so_setup,
						so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_transfer_binary_to_timeline, so_setup,
						so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_transfer_timeline_to_binary, so_setup,
						so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_transfer_timeline_to_timeline, so_setup,
						so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_transfer_errors, so_setup, so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_enomem_create_and_install, so_setup,
						so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_enomem_signal, so_setup, so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_enomem_timeline_signal_and_points, so_setup,
						so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_enomem_wait_and_transfer, so_setup,
						so_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
