// SPDX-License-Identifier: MIT
/*
 * Syncobjs without waiting: the object, the handle table, reset, signal,
 * timeline signal, query, find_fence and their errnos, checked against the
 * kernel's drm_syncobj.c. Waits: test_syncobj_wait.c; transfer and
 * allocation failures: test_syncobj_transfer.c.
 */
#include "test_syncobj.h"

static uint64_t query1(struct so_fixture *f, uint32_t h, uint32_t flags)
{
	uint64_t point = ~0ull;

	assert_int_equal(sim_syncobj_table_query(&f->table, &h, &point, 1, flags), 0);
	return point;
}

/* ---- the object ---------------------------------------------------------------------- */

static void test_syncobj_create_flags(void **state)
{
	struct sim_syncobj *s = NULL;
	struct dma_fence *fence;

	(void)state;
	assert_int_equal(sim_syncobj_create(0, &s), 0);
	assert_null(sim_syncobj_fence_get(s));
	sim_syncobj_put(s);

	assert_int_equal(sim_syncobj_create(SIM_SYNCOBJ_CREATE_SIGNALED, &s), 0);
	fence = sim_syncobj_fence_get(s);
	assert_non_null(fence);
	assert_true(dma_fence_is_signaled(fence));
	assert_int_equal(dma_fence_get_status(fence), 1);
	dma_fence_put(fence);
	sim_syncobj_put(s);

	s = NULL;
	assert_int_equal(sim_syncobj_create(1u << 1, &s), -EINVAL);
	assert_int_equal(sim_syncobj_create(~0u, &s), -EINVAL);
	assert_null(s);
	assert_int_equal(sim_syncobj_create(0, NULL), -EINVAL);
}

static void test_syncobj_replace_fence_refs(void **state)
{
	struct so_fixture *f = *state;
	struct dma_fence *a = st_fence_new(), *b = st_fence_new(), *got;
	struct sim_syncobj *s;

	assert_int_equal(sim_syncobj_create(0, &s), 0);
	sim_syncobj_replace_fence(s, a);
	got = sim_syncobj_fence_get(s);
	assert_ptr_equal(got, a);
	dma_fence_put(got);
	sim_syncobj_replace_fence(s, b);
	assert_ptr_equal(so_peek(s), b);
	sim_syncobj_replace_fence(s, NULL);
	assert_null(sim_syncobj_fence_get(s));
	/* Get/put balance: a second reference keeps the object. */
	sim_syncobj_replace_fence(sim_syncobj_get(s), a);
	sim_syncobj_put(s);
	assert_ptr_equal(so_peek(s), a);
	sim_syncobj_put(s);
	dma_fence_signal(a);
	dma_fence_signal(b);
	dma_fence_put(a);
	dma_fence_put(b);
	(void)f;
}

/* ---- the table ----------------------------------------------------------------------- */

static void test_syncobj_table_handles_lowest_free(void **state)
{
	struct so_fixture *f = *state;
	uint32_t h[40], i, next;

	for (i = 0; i < 40; i++) {
		h[i] = so_new_handle(f, 0);
		assert_int_equal(h[i], i + 1);	/* from 1, dense: grows past 16 and 32 */
	}
	assert_int_equal(sim_syncobj_table_count(&f->table), 40);
	assert_int_equal(sim_syncobj_table_destroy(&f->table, 7), 0);
	assert_int_equal(sim_syncobj_table_destroy(&f->table, 3), 0);
	assert_int_equal(sim_syncobj_table_count(&f->table), 38);
	assert_null(sim_syncobj_table_lookup(&f->table, 3));
	assert_int_equal(so_new_handle(f, 0), 3);	/* lowest free first, as idr_alloc */
	assert_int_equal(so_new_handle(f, 0), 7);
	assert_int_equal(so_new_handle(f, 0), 41);

	/* Iteration visits every handle once, in order. */
	assert_int_equal(sim_syncobj_table_destroy(&f->table, 20), 0);
	i = 0;
	for (next = sim_syncobj_table_next(&f->table, 0); next;
	     next = sim_syncobj_table_next(&f->table, next)) {
		i++;
		assert_true(next != 20);
	}
	assert_int_equal(i, 40);
	assert_int_equal(sim_syncobj_table_next(&f->table, 41), 0);
	assert_int_equal(sim_syncobj_table_next(&f->table, 19), 21);
}

static void test_syncobj_table_destroy_unknown_einval(void **state)
{
	struct so_fixture *f = *state;
	uint32_t h = so_new_handle(f, 0);

	/* drm_syncobj_destroy(): -EINVAL, not -ENOENT. */
	assert_int_equal(sim_syncobj_table_destroy(&f->table, 0), -EINVAL);
	assert_int_equal(sim_syncobj_table_destroy(&f->table, h + 1), -EINVAL);
	assert_int_equal(sim_syncobj_table_destroy(&f->table, 1u << 30), -EINVAL);
	assert_int_equal(sim_syncobj_table_destroy(&f->table, UINT32_MAX), -EINVAL);
	assert_int_equal(sim_syncobj_table_count(&f->table), 1);
	assert_int_equal(sim_syncobj_table_destroy(&f->table, h), 0);
	assert_int_equal(sim_syncobj_table_destroy(&f->table, h), -EINVAL);
	assert_int_equal(sim_syncobj_table_count(&f->table), 0);
	assert_null(sim_syncobj_table_lookup(&f->table, 0));
	assert_null(sim_syncobj_table_lookup(&f->table, h));
}

static void test_syncobj_table_create_errors(void **state)
{
	struct so_fixture *f = *state;
	uint32_t h = 1234;

	assert_int_equal(sim_syncobj_table_create(&f->table, 2, &h), -EINVAL);
	assert_int_equal(h, 1234);
	assert_int_equal(sim_syncobj_table_create(&f->table, 0, NULL), -EINVAL);
	assert_int_equal(sim_syncobj_table_count(&f->table), 0);
	h = so_new_handle(f, SIM_SYNCOBJ_CREATE_SIGNALED);
	assert_true(dma_fence_is_signaled(so_peek_handle(f, h)));
}

static void test_syncobj_table_install_shares(void **state)
{
	struct so_fixture *f = *state;
	struct sim_syncobj_table other;
	struct sim_syncobj *s, *s2;
	struct dma_fence *fence = st_fence_new();
	uint32_t h = so_new_handle(f, 0), h2 = 0, h3 = 0;

	sim_syncobj_table_init(&other);
	s = sim_syncobj_table_lookup(&f->table, h);
	assert_int_equal(sim_syncobj_table_install(&other, NULL, &h2), -EINVAL);
	assert_int_equal(sim_syncobj_table_install(&other, s, NULL), -EINVAL);
	assert_int_equal(sim_syncobj_table_install(&other, s, &h2), 0);
	assert_int_equal(h2, 1);
	/* A second import makes a second handle (syncobjs are not deduplicated). */
	assert_int_equal(sim_syncobj_table_install(&f->table, s, &h3), 0);
	assert_int_equal(h3, 2);
	sim_syncobj_put(s);

	/* All handles name one object: a fence installed through one shows in all. */
	s2 = sim_syncobj_table_lookup(&other, h2);
	sim_syncobj_replace_fence(s2, fence);
	sim_syncobj_put(s2);
	assert_ptr_equal(so_peek_handle(f, h), fence);
	assert_ptr_equal(so_peek_handle(f, h3), fence);

	/* Destroying the original handle keeps the object alive elsewhere. */
	assert_int_equal(sim_syncobj_table_destroy(&f->table, h), 0);
	s2 = sim_syncobj_table_lookup(&other, h2);
	assert_ptr_equal(so_peek(s2), fence);
	sim_syncobj_put(s2);
	sim_syncobj_table_fini(&other);
	dma_fence_signal(fence);
	dma_fence_put(fence);
}

/* ---- reset and signal ---------------------------------------------------------------- */

static void test_syncobj_reset_and_signal(void **state)
{
	struct so_fixture *f = *state;
	uint32_t h[2] = { so_new_handle(f, 0), so_new_handle(f, 0) };
	uint32_t bad[2] = { h[0], 99 };
	struct dma_fence *fence = st_fence_new(), *s0, *s1;
	struct sim_syncobj *s = sim_syncobj_table_lookup(&f->table, h[0]);

	sim_syncobj_replace_fence(s, fence);
	/* Errnos in the kernel's order; nothing changes on error. */
	assert_int_equal(sim_syncobj_table_reset(&f->table, h, 0), -EINVAL);
	assert_int_equal(sim_syncobj_table_reset(&f->table, NULL, 0), -EINVAL);
	assert_int_equal(sim_syncobj_table_reset(&f->table, NULL, 1), -EFAULT);
	assert_int_equal(sim_syncobj_table_reset(&f->table, bad, 2), -ENOENT);
	assert_ptr_equal(so_peek(s), fence);
	assert_int_equal(sim_syncobj_table_signal(&f->table, h, 0), -EINVAL);
	assert_int_equal(sim_syncobj_table_signal(&f->table, NULL, 2), -EFAULT);
	assert_int_equal(sim_syncobj_table_signal(&f->table, bad, 2), -ENOENT);
	assert_ptr_equal(so_peek(s), fence);

	assert_int_equal(sim_syncobj_table_reset(&f->table, h, 2), 0);
	assert_null(so_peek(s));
	assert_null(so_peek_handle(f, h[1]));

	assert_int_equal(sim_syncobj_table_signal(&f->table, h, 2), 0);
	s0 = so_peek_handle(f, h[0]);
	s1 = so_peek_handle(f, h[1]);
	assert_non_null(s0);
	assert_non_null(s1);
	assert_ptr_not_equal(s0, s1);	/* a private stub each */
	assert_true(dma_fence_is_signaled(s0) && dma_fence_is_signaled(s1));
	assert_true(dma_fence_timestamp(s0) > 0 && dma_fence_timestamp(s0) <= so_now());
	/* Signal replaces a timeline wholesale (binary semantics). */
	assert_int_equal(sim_syncobj_add_point(s, fence, 5), 0);
	assert_int_equal(query1(f, h[0], SIM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 5);
	assert_int_equal(sim_syncobj_table_signal(&f->table, h, 1), 0);
	assert_false(dma_fence_is_chain(so_peek(s)));
	assert_int_equal(query1(f, h[0], SIM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 0);

	sim_syncobj_put(s);
	dma_fence_signal(fence);
	dma_fence_put(fence);
}

/* ---- timelines ----------------------------------------------------------------------- */

static void test_syncobj_timeline_points_and_query(void **state)
{
	struct so_fixture *f = *state;
	uint32_t h = so_new_handle(f, 0);
	struct sim_syncobj *s = sim_syncobj_table_lookup(&f->table, h);
	struct dma_fence *fence[4];
	unsigned int i;

	assert_int_equal(query1(f, h, 0), 0);	/* empty */
	assert_int_equal(query1(f, h, SIM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 0);
	for (i = 0; i < 4; i++) {
		fence[i] = st_fence_new();
		assert_int_equal(sim_syncobj_add_point(s, fence[i], 2 * (i + 1)), 0);
	}
	assert_true(dma_fence_is_chain(so_peek(s)));
	assert_int_equal(so_peek(s)->seqno, 8);
	assert_int_equal(query1(f, h, SIM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 8);
	assert_int_equal(query1(f, h, 0), 0);
	/* Out of order: point 6 signaling alone signals nothing of the timeline. */
	dma_fence_signal(fence[2]);
	assert_int_equal(query1(f, h, 0), 0);
	dma_fence_signal(fence[0]);
	assert_int_equal(query1(f, h, 0), 2);
	dma_fence_signal(fence[1]);
	assert_int_equal(query1(f, h, 0), 6);	/* 2, 4 and 6 now all signaled */
	dma_fence_signal(fence[3]);
	assert_int_equal(query1(f, h, 0), 8);
	for (i = 0; i < 4; i++)
		dma_fence_put(fence[i]);
	sim_syncobj_put(s);
}

static void test_syncobj_timeline_lower_point_still_added(void **state)
{
	struct so_fixture *f = *state;
	uint32_t h = so_new_handle(f, 0);
	struct sim_syncobj *s = sim_syncobj_table_lookup(&f->table, h);
	struct dma_fence *a = st_fence_new(), *b = st_fence_new(), *c = st_fence_new();
	struct dma_fence *head5, *head;

	assert_int_equal(sim_syncobj_add_point(s, a, 1), 0);
	assert_int_equal(sim_syncobj_add_point(s, b, 5), 0);
	head5 = so_peek(s);
	/* The kernel logs "unorder point" and adds it anyway, numbered 5. */
	assert_int_equal(sim_syncobj_add_point(s, c, 3), 0);
	head = so_peek(s);
	assert_ptr_not_equal(head, head5);
	assert_int_equal(head->seqno, 5);
	assert_true(head->context != head5->context);
	assert_ptr_equal(dma_fence_chain_contained(head), c);
	assert_int_equal(query1(f, h, SIM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 5);
	/* The kernel's query reads 0 here: the new context has no signaled part. */
	dma_fence_signal(a);
	assert_int_equal(query1(f, h, 0), 0);
	dma_fence_signal(b);
	dma_fence_signal(c);
	assert_int_equal(query1(f, h, 0), 5);
	/* Points never decrease, whatever is added. */
	assert_int_equal(sim_syncobj_add_point(s, a, 0), 0);
	assert_int_equal(query1(f, h, SIM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 5);
	dma_fence_put(a);
	dma_fence_put(b);
	dma_fence_put(c);
	sim_syncobj_put(s);
}

static void test_syncobj_add_point_errors(void **state)
{
	struct so_fixture *f = *state;
	struct dma_fence *fence = st_fence_new();
	struct sim_syncobj *s;

	assert_int_equal(sim_syncobj_create(0, &s), 0);
	assert_int_equal(sim_syncobj_add_point(s, NULL, 1), -EINVAL);
	assert_int_equal(sim_syncobj_add_point(NULL, fence, 1), -EINVAL);
	assert_null(sim_syncobj_fence_get(s));
	/* On a binary fence: the fence becomes the chain's predecessor. */
	sim_syncobj_replace_fence(s, fence);
	assert_int_equal(sim_syncobj_add_point(s, fence, 2), 0);
	assert_true(dma_fence_is_chain(so_peek(s)));
	assert_ptr_equal(to_dma_fence_chain(so_peek(s))->prev, fence);
	sim_syncobj_put(s);
	dma_fence_signal(fence);
	dma_fence_put(fence);
	(void)f;
}

static void test_syncobj_timeline_signal(void **state)
{
	struct so_fixture *f = *state;
	uint32_t h[2] = { so_new_handle(f, 0), so_new_handle(f, 0) };
	uint32_t bad[2] = { h[0], 77 };
	uint64_t points[2] = { 3, 9 }, out[2] = { 42, 42 };

	assert_int_equal(sim_syncobj_table_timeline_signal(&f->table, h, points, 2, 1), -EINVAL);
	assert_int_equal(sim_syncobj_table_timeline_signal(&f->table, h, points, 0, 0), -EINVAL);
	assert_int_equal(sim_syncobj_table_timeline_signal(&f->table, NULL, points, 2, 0), -EFAULT);
	assert_int_equal(sim_syncobj_table_timeline_signal(&f->table, bad, points, 2, 0), -ENOENT);
	assert_null(so_peek_handle(f, h[0]));

	assert_int_equal(sim_syncobj_table_timeline_signal(&f->table, h, points, 2, 0), 0);
	assert_int_equal(sim_syncobj_table_query(&f->table, h, out, 2, 0), 0);
	assert_int_equal(out[0], 3);
	assert_int_equal(out[1], 9);
	points[0] = 4;
	points[1] = 2;	/* lower: added as 9 */
	assert_int_equal(sim_syncobj_table_timeline_signal(&f->table, h, points, 2, 0), 0);
	assert_int_equal(sim_syncobj_table_query(&f->table, h, out, 2,
						 SIM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 0);
	assert_int_equal(out[0], 4);
	assert_int_equal(out[1], 9);
	/* Point 0 (and NULL points) is passed on: a node numbered as the last. */
	assert_int_equal(sim_syncobj_table_timeline_signal(&f->table, h, NULL, 2, 0), 0);
	assert_int_equal(sim_syncobj_table_query(&f->table, h, out, 2,
						 SIM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 0);
	assert_int_equal(out[0], 4);
	assert_int_equal(out[1], 9);
	assert_true(dma_fence_is_chain(so_peek_handle(f, h[0])));
	assert_true(dma_fence_is_signaled(so_peek_handle(f, h[0])));
}

static void test_syncobj_timeline_signal_point0_empty(void **state)
{
	struct so_fixture *f = *state;
	uint32_t h = so_new_handle(f, 0);
	uint64_t zero = 0;

	/* On an empty syncobj point 0 makes a chain node with seqno 0. */
	assert_int_equal(sim_syncobj_table_timeline_signal(&f->table, &h, &zero, 1, 0), 0);
	assert_true(dma_fence_is_chain(so_peek_handle(f, h)));
	assert_int_equal(so_peek_handle(f, h)->seqno, 0);
	assert_int_equal(query1(f, h, 0), 0);
	assert_int_equal(query1(f, h, SIM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 0);
}

static void test_syncobj_query_errors(void **state)
{
	struct so_fixture *f = *state;
	uint32_t h[2] = { so_new_handle(f, SIM_SYNCOBJ_CREATE_SIGNALED), so_new_handle(f, 0) };
	uint32_t bad[2] = { h[0], 1000 };
	uint64_t out[2] = { 42, 42 };

	assert_int_equal(sim_syncobj_table_query(&f->table, h, out, 2, 2), -EINVAL);
	assert_int_equal(sim_syncobj_table_query(&f->table, h, out, 0, 0), -EINVAL);
	assert_int_equal(sim_syncobj_table_query(&f->table, NULL, out, 2, 0), -EFAULT);
	assert_int_equal(sim_syncobj_table_query(&f->table, h, NULL, 2, 0), -EFAULT);
	assert_int_equal(sim_syncobj_table_query(&f->table, bad, out, 2, 0), -ENOENT);
	assert_int_equal(out[0], 42);
	assert_int_equal(out[1], 42);
	/* A binary (signaled) syncobj and an empty one both read 0. */
	assert_int_equal(sim_syncobj_table_query(&f->table, h, out, 2, 0), 0);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 0);
}

/* ---- find_fence ---------------------------------------------------------------------- */

static void test_syncobj_find_fence(void **state)
{
	struct so_fixture *f = *state;
	struct dma_fence *a = st_fence_new(), *b = st_fence_new(), *got = (void *)1;
	struct sim_syncobj *s;

	assert_int_equal(sim_syncobj_create(0, &s), 0);
	/* Empty: nothing to find. */
	assert_int_equal(sim_syncobj_find_fence(s, 0, 0, &got), -EINVAL);
	assert_null(got);
	assert_int_equal(sim_syncobj_find_fence(s, 0, 1u << 0, &got), -EINVAL);
	assert_int_equal(sim_syncobj_find_fence(s, 0, 0, NULL), -EINVAL);
	assert_int_equal(sim_syncobj_find_fence_timeout(s, 0, 0, -1, &got), -EINVAL);
	assert_int_equal(sim_syncobj_find_fence_timeout(s, 0,
				SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, 0, &got), -ETIME);
	assert_null(got);

	/* Binary: point 0 is the fence, any other point is missing. */
	sim_syncobj_replace_fence(s, a);
	assert_int_equal(sim_syncobj_find_fence(s, 0, 0, &got), 0);
	assert_ptr_equal(got, a);
	dma_fence_put(got);
	assert_int_equal(sim_syncobj_find_fence(s, 1, 0, &got), -EINVAL);

	/* Timeline 1 (a), 2 (b): point 1 is node 1, point 3 is missing. */
	sim_syncobj_replace_fence(s, NULL);
	assert_int_equal(sim_syncobj_add_point(s, a, 1), 0);
	assert_int_equal(sim_syncobj_add_point(s, b, 2), 0);
	assert_int_equal(sim_syncobj_find_fence(s, 1, 0, &got), 0);
	assert_true(dma_fence_is_chain(got));
	assert_int_equal(got->seqno, 1);
	assert_ptr_equal(dma_fence_chain_contained(got), a);
	dma_fence_put(got);
	assert_int_equal(sim_syncobj_find_fence(s, 0, 0, &got), 0);
	assert_int_equal(got->seqno, 2);	/* point 0: the head as it is */
	dma_fence_put(got);
	assert_int_equal(sim_syncobj_find_fence(s, 3, 0, &got), -EINVAL);
	assert_int_equal(sim_syncobj_find_fence_timeout(s, 3,
				SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, 20 * MS, &got), -ETIME);
	/* A signaled point gives a signaled stub (never NULL). */
	dma_fence_signal(a);
	assert_int_equal(sim_syncobj_find_fence(s, 1, 0, &got), 0);
	assert_non_null(got);
	assert_true(dma_fence_is_signaled(got));
	dma_fence_put(got);
	dma_fence_signal(b);
	dma_fence_put(a);
	dma_fence_put(b);
	sim_syncobj_put(s);
	(void)f;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_syncobj_create_flags, so_setup, so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_replace_fence_refs, so_setup, so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_table_handles_lowest_free, so_setup,
						so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_table_destroy_unknown_einval, so_setup,
						so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_table_create_errors, so_setup, so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_table_install_shares, so_setup, so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_reset_and_signal, so_setup, so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_timeline_points_and_query, so_setup,
						so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_timeline_lower_point_still_added, so_setup,
						so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_add_point_errors, so_setup, so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_timeline_signal, so_setup, so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_timeline_signal_point0_empty, so_setup,
						so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_query_errors, so_setup, so_teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_find_fence, so_setup, so_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
