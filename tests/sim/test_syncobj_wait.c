// SPDX-License-Identifier: MIT
/*
 * Syncobj waits: errnos, polling, absolute timeouts, wait any/all over
 * fences signalled from another thread, WAIT_FOR_SUBMIT woken by a fence
 * installed later, WAIT_AVAILABLE, fences with errors, and transfer with
 * WAIT_FOR_SUBMIT.
 */
#include "test_syncobj.h"

struct fixture {
	uint64_t live;
	struct sim_syncobj_table table;
	uint32_t h[3];
	struct sim_syncobj *s[3];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	unsigned int i;

	f->live = st_live_bytes();
	sim_syncobj_table_init(&f->table);
	for (i = 0; i < 3; i++) {
		assert_int_equal(sim_syncobj_table_create(&f->table, 0, &f->h[i]), 0);
		f->s[i] = sim_syncobj_table_lookup(&f->table, f->h[i]);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unsigned int i;

	for (i = 0; i < 3; i++)
		sim_syncobj_put(f->s[i]);
	sim_syncobj_table_fini(&f->table);
	assert_int_equal(st_live_bytes(), f->live);
	free(f);
	return 0;
}

#define WFS SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT
#define ALL SIM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL
#define AVAILABLE SIM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE
#define SEC (1000L * MS)

/* ---- errnos -------------------------------------------------------------------------- */

static void test_syncobj_wait_errnos(void **state)
{
	struct fixture *f = *state;
	uint32_t bad[2] = { f->h[0], 500 }, first = 77;
	uint64_t points[2] = { 0, 0 };
	struct dma_fence *a = st_fence_new();

	sim_syncobj_replace_fence(f->s[0], a);
	/* Flags first (WAIT_AVAILABLE is for timeline waits only), even with count 0. */
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 0, 0, 1u << 3, &first), -EINVAL);
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 1, 0, AVAILABLE, &first), -EINVAL);
	assert_int_equal(sim_syncobj_table_timeline_wait(&f->table, f->h, points, 1, 0, 1u << 3,
							 &first), -EINVAL);
	/* Count 0: nothing to wait for, success, first_signaled untouched. */
	assert_int_equal(sim_syncobj_table_wait(&f->table, NULL, 0, 0, 0, &first), 0);
	assert_int_equal(sim_syncobj_table_timeline_wait(&f->table, NULL, NULL, 0, 0, 0, &first),
			 0);
	assert_int_equal(first, 77);
	assert_int_equal(sim_syncobj_table_wait(&f->table, NULL, 1, 0, 0, &first), -EFAULT);
	assert_int_equal(sim_syncobj_table_wait(&f->table, bad, 2, 0, 0, &first), -ENOENT);
	assert_int_equal(sim_syncobj_table_wait(&f->table, bad, 2, 0, WFS, &first), -ENOENT);
	/* A syncobj without a fence: -EINVAL, even if another one signaled. */
	dma_fence_signal(a);
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 2, 0, 0, &first), -EINVAL);
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 2, INT64_MAX, ALL, &first),
			 -EINVAL);
	/* A timeline point not added yet: -EINVAL too. */
	points[0] = 1;
	assert_int_equal(sim_syncobj_table_timeline_wait(&f->table, f->h, points, 1, 0, 0,
							 &first), -EINVAL);
	assert_int_equal(first, 77);
	dma_fence_put(a);
}

/* ---- polling and timeouts ------------------------------------------------------------ */

static void test_syncobj_wait_poll_and_timeout(void **state)
{
	struct fixture *f = *state;
	struct dma_fence *a = st_fence_new(), *b = st_fence_new();
	uint32_t first = 77;
	int64_t start, took;

	sim_syncobj_replace_fence(f->s[0], a);
	sim_syncobj_replace_fence(f->s[1], b);
	/* 0 and past deadlines poll. */
	start = so_now();
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 2, 0, 0, &first), -ETIME);
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 2, -5, ALL, &first), -ETIME);
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 2, so_now() - SEC, 0, &first),
			 -ETIME);
	assert_true(so_now() - start < SEC);
	assert_int_equal(first, 77);

	/* An absolute deadline 60 ms ahead: -ETIME after it, not before. */
	start = so_now();
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 2, start + 60 * MS, 0, &first),
			 -ETIME);
	took = so_now() - start;
	assert_true(took >= 60 * MS);
	assert_true(took < 5 * SEC);

	dma_fence_signal(b);
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 2, 0, 0, &first), 0);
	assert_int_equal(first, 1);
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 2, 0, ALL, &first), -ETIME);
	dma_fence_signal(a);
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 2, 0, ALL, &first), 0);
	assert_int_equal(first, 0);	/* all signaled up front: the first of them */
	dma_fence_put(a);
	dma_fence_put(b);
}

/* ---- wait any / all with a signalling thread ----------------------------------------- */

static void test_syncobj_wait_any_woken(void **state)
{
	struct fixture *f = *state;
	struct dma_fence *fence[3] = { st_fence_new(), st_fence_new(), st_fence_new() };
	struct so_script script = { 0 };
	uint32_t first = 77;
	unsigned int i;

	for (i = 0; i < 3; i++)
		sim_syncobj_replace_fence(f->s[i], fence[i]);
	so_step(&script, SO_SIGNAL, 40, NULL, fence[2], 0, 0);
	so_script_start(&script);
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 3, so_now() + 10 * SEC, 0, &first),
			 0);
	assert_int_equal(first, 2);
	assert_true(dma_fence_is_signaled(fence[2]));
	assert_false(dma_fence_is_signaled(fence[0]));
	so_script_join(&script);
	for (i = 0; i < 3; i++) {
		dma_fence_signal(fence[i]);
		dma_fence_put(fence[i]);
	}
}

static void test_syncobj_wait_all_mixed(void **state)
{
	struct fixture *f = *state;
	struct dma_fence *fence[3] = { st_fence_new(), st_fence_new(), st_fence_new() };
	struct so_script script = { 0 };
	uint32_t first = 77;
	unsigned int i;

	for (i = 0; i < 3; i++)
		sim_syncobj_replace_fence(f->s[i], fence[i]);
	dma_fence_signal(fence[1]);	/* one signaled before the wait */
	so_step(&script, SO_SIGNAL, 20, NULL, fence[2], 0, 0);
	so_step(&script, SO_SIGNAL, 20, NULL, fence[0], 0, 0);
	so_script_start(&script);
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 3, so_now() + 10 * SEC, ALL,
						&first), 0);
	for (i = 0; i < 3; i++)
		assert_true(dma_fence_is_signaled(fence[i]));
	/* The kernel reports the first fence found signaled before sleeping. */
	assert_int_equal(first, 1);
	so_script_join(&script);

	/* None signaled before sleeping: first_signaled stays ~0. */
	for (i = 0; i < 3; i++) {
		dma_fence_put(fence[i]);
		fence[i] = st_fence_new();
		sim_syncobj_replace_fence(f->s[i], fence[i]);
	}
	memset(&script, 0, sizeof(script));
	for (i = 0; i < 3; i++)
		so_step(&script, SO_SIGNAL, 10, NULL, fence[i], 0, 0);
	so_script_start(&script);
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 3, so_now() + 10 * SEC, ALL,
						&first), 0);
	assert_int_equal(first, UINT32_MAX);
	so_script_join(&script);

	/* One never signals: -ETIME. */
	dma_fence_put(fence[0]);
	fence[0] = st_fence_new();
	sim_syncobj_replace_fence(f->s[0], fence[0]);
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 3, so_now() + 30 * MS, ALL,
						&first), -ETIME);
	for (i = 0; i < 3; i++) {
		dma_fence_signal(fence[i]);
		dma_fence_put(fence[i]);
	}
}

static void test_syncobj_wait_error_fence_counts_as_signaled(void **state)
{
	struct fixture *f = *state;
	struct dma_fence *a = st_fence_new();
	struct so_script script = { 0 };
	uint32_t first = 77;

	sim_syncobj_replace_fence(f->s[0], a);
	so_step(&script, SO_SIGNAL, 20, NULL, a, 0, -EIO);
	so_script_start(&script);
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 1, so_now() + 10 * SEC, ALL,
						&first), 0);
	assert_int_equal(dma_fence_get_status(a), -EIO);
	so_script_join(&script);
	dma_fence_put(a);
}

static void test_syncobj_wait_keeps_fence_across_reset(void **state)
{
	struct fixture *f = *state;
	struct dma_fence *a = st_fence_new();
	struct so_script script = { 0 };

	sim_syncobj_replace_fence(f->s[0], a);
	/* The wait took its fence at the start: a reset does not end it. */
	so_step(&script, SO_RESET, 10, f->s[0], NULL, 0, 0);
	so_step(&script, SO_SIGNAL, 30, NULL, a, 0, 0);
	so_script_start(&script);
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 1, so_now() + 10 * SEC, 0, NULL),
			 0);
	assert_true(dma_fence_is_signaled(a));
	so_script_join(&script);
	assert_null(so_peek(f->s[0]));
	dma_fence_put(a);
}

/* ---- waiting for submission ---------------------------------------------------------- */

static void test_syncobj_wait_for_submit_woken(void **state)
{
	struct fixture *f = *state;
	struct dma_fence *a = st_fence_new();
	struct so_script script = { 0 };
	uint32_t first = 77;

	/* Empty with WAIT_FOR_SUBMIT and a poll: -ETIME, not -EINVAL. */
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 1, 0, WFS, &first), -ETIME);
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 1, so_now() + 20 * MS, WFS,
						&first), -ETIME);

	so_step(&script, SO_REPLACE, 30, f->s[0], a, 0, 0);
	so_step(&script, SO_SIGNAL, 30, NULL, a, 0, 0);
	so_script_start(&script);
	assert_int_equal(sim_syncobj_table_wait(&f->table, f->h, 1, so_now() + 10 * SEC, WFS,
						&first), 0);
	assert_int_equal(first, 0);
	/* Submitted is not enough: the wait also waited for the signal. */
	assert_true(dma_fence_is_signaled(a));
	so_script_join(&script);
	dma_fence_put(a);
}

static void test_syncobj_wait_for_submit_timeline_point(void **state)
{
	struct fixture *f = *state;
	struct dma_fence *fence[3] = { st_fence_new(), st_fence_new(), st_fence_new() };
	struct so_script script = { 0 };
	uint64_t point = 3;
	unsigned int i;

	/* Points 1 and 2 wake the waiter for 3 without satisfying it. */
	for (i = 0; i < 3; i++)
		dma_fence_signal(fence[i]);
	so_step(&script, SO_ADD_POINT, 10, f->s[0], fence[0], 1, 0);
	so_step(&script, SO_ADD_POINT, 10, f->s[0], fence[1], 2, 0);
	so_step(&script, SO_ADD_POINT, 30, f->s[0], fence[2], 3, 0);
	so_script_start(&script);
	assert_int_equal(sim_syncobj_table_timeline_wait(&f->table, f->h, &point, 1,
							 so_now() + 10 * SEC, ALL | WFS, NULL), 0);
	assert_int_equal(so_peek(f->s[0])->seqno, 3);
	so_script_join(&script);
	for (i = 0; i < 3; i++)
		dma_fence_put(fence[i]);
}

static void test_syncobj_wait_available(void **state)
{
	struct fixture *f = *state;
	struct dma_fence *a = st_fence_new(), *b = st_fence_new();
	struct so_script script = { 0 };
	uint64_t points[2] = { 1, 2 };
	uint32_t first = 77;

	/* An existing, unsignaled point is available at once, even polling. */
	assert_int_equal(sim_syncobj_add_point(f->s[0], a, 1), 0);
	assert_int_equal(sim_syncobj_table_timeline_wait(&f->table, f->h, points, 1, 0, AVAILABLE,
							 &first), 0);
	assert_int_equal(first, 0);
	assert_int_equal(sim_syncobj_table_timeline_wait(&f->table, f->h, points, 1, 0, 0, &first),
			 -ETIME);

	/* Point 2 of the second syncobj arrives later: AVAILABLE wakes on it. */
	so_step(&script, SO_ADD_POINT, 30, f->s[1], b, 2, 0);
	so_script_start(&script);
	assert_int_equal(sim_syncobj_table_timeline_wait(&f->table, f->h, points, 2,
							 so_now() + 10 * SEC, ALL | AVAILABLE,
							 &first), 0);
	assert_int_equal(first, 0);
	so_script_join(&script);
	assert_false(dma_fence_is_signaled(b));
	/* A missing point without WFS/AVAILABLE: -EINVAL; with AVAILABLE: -ETIME. */
	points[1] = 3;
	assert_int_equal(sim_syncobj_table_timeline_wait(&f->table, f->h, points, 2, 0, ALL,
							 &first), -EINVAL);
	assert_int_equal(sim_syncobj_table_timeline_wait(&f->table, f->h, points, 2,
							 so_now() + 20 * MS, ALL | AVAILABLE,
							 &first), -ETIME);
	dma_fence_signal(a);
	dma_fence_signal(b);
	dma_fence_put(a);
	dma_fence_put(b);
}

static void test_syncobj_find_fence_wait_for_submit(void **state)
{
	struct fixture *f = *state;
	struct dma_fence *a = st_fence_new(), *got = NULL;
	struct so_script script = { 0 };

	so_step(&script, SO_ADD_POINT, 30, f->s[0], a, 4, 0);
	so_script_start(&script);
	assert_int_equal(sim_syncobj_find_fence(f->s[0], 4, WFS, &got), 0);
	so_script_join(&script);
	assert_non_null(got);
	assert_int_equal(got->seqno, 4);
	assert_ptr_equal(dma_fence_chain_contained(got), a);
	dma_fence_put(got);
	dma_fence_signal(a);
	dma_fence_put(a);
}

static void test_syncobj_transfer_wait_for_submit(void **state)
{
	struct fixture *f = *state;
	struct dma_fence *a = st_fence_new();
	struct so_script script = { 0 };
	int64_t start;

	/* The source's fence arrives later: WAIT_FOR_SUBMIT waits for it. */
	so_step(&script, SO_REPLACE, 30, f->s[0], a, 0, 0);
	so_script_start(&script);
	assert_int_equal(sim_syncobj_table_transfer(&f->table, f->h[0], 0, f->h[1], 6, WFS), 0);
	so_script_join(&script);
	assert_int_equal(so_peek(f->s[1])->seqno, 6);
	assert_ptr_equal(dma_fence_chain_contained(so_peek(f->s[1])), a);

	/* Never: the kernel's 5 s submit timeout, then -ETIME; dst unchanged. */
	start = so_now();
	assert_int_equal(sim_syncobj_table_transfer(&f->table, f->h[2], 0, f->h[1], 0, WFS),
			 -ETIME);
	assert_true(so_now() - start >= SIM_SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT_NS);
	assert_int_equal(so_peek(f->s[1])->seqno, 6);
	dma_fence_signal(a);
	dma_fence_put(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_syncobj_wait_errnos, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_wait_poll_and_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_wait_any_woken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_wait_all_mixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_wait_error_fence_counts_as_signaled,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_wait_keeps_fence_across_reset, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_wait_for_submit_woken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_wait_for_submit_timeline_point, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_wait_available, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_find_fence_wait_for_submit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_transfer_wait_for_submit, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
