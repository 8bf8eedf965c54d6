/* SPDX-License-Identifier: MIT */
/*
 * The batch command set: the builder's encoding, the checker, and every
 * command executed by an engine with its data verified; invalid batches
 * change nothing, faults keep earlier effects, batches crossing pages, a
 * residency bug (a move without rebind) turning into -EFAULT.
 */
#include <time.h>

#include "sim_test.h"

#define DATA ST_DATA_VA
#define RO_VA (ST_DATA_VA + 64 * PAGE)

struct fixture {
	struct sim_device *dev;
	struct st_gpu g;
	struct sim_bo *data;	/* 8 pages at DATA, SYSTEM */
	struct sim_bo *ro;	/* 1 page at RO_VA, read-only */
	uint32_t words[1024];
	struct sim_batch b;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->dev = st_device(64 * PAGE, 200 * MS, SIM_BAN_NEVER);
	st_gpu_init(&f->g, f->dev);
	f->data = st_bo(f->dev, 8 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	st_gpu_map(&f->g, f->data, DATA);
	f->ro = st_bo(f->dev, PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	st_lock(f->ro);
	assert_int_equal(sim_pt_map(f->g.pt, RO_VA, PAGE, f->ro, 0, SIM_PT_READ_ONLY), 0);
	st_unlock(f->ro);
	sim_batch_init(&f->b, f->words, 1024);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sim_bo_put(f->data);
	sim_bo_put(f->ro);
	st_gpu_fini(&f->g);
	sim_device_destroy(f->dev);
	free(f);
	return 0;
}

static uint32_t peek(struct fixture *f, uint64_t va)
{
	uint32_t w;

	assert_int_equal(sim_pt_read(f->g.pt, va, &w, 4), 0);
	return w;
}

static void poke(struct fixture *f, uint64_t va, uint32_t w)
{
	assert_int_equal(sim_pt_write(f->g.pt, va, &w, 4), 0);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- encoding and checking ---------------------------------------------------- */

static void test_batch_builder(void **state)
{
	uint32_t buf[8];
	struct sim_batch b;
	static const uint32_t expect[] = {
		SIM_CMD_HEADER(SIM_CMD_STORE_DW, 4), 0x5678, 0x1234, 42,
		SIM_CMD_HEADER(SIM_CMD_DELAY, 2), 7,
		SIM_CMD_HEADER(SIM_CMD_END, 1),
	};

	sim_batch_init(&b, buf, 8);
	sim_batch_store_dw(&b, 0x123400005678ull, 42);
	sim_batch_delay(&b, 7);
	sim_batch_end(&b);
	assert_int_equal(sim_batch_error(&b), 0);
	assert_int_equal(sim_batch_bytes(&b), sizeof(expect));
	assert_memory_equal(buf, expect, sizeof(expect));
	assert_int_equal(expect[0], 0x02000004u);
	/* Does not fit (6 words with 1 left): dropped whole, error sticky. */
	sim_batch_copy(&b, 0, 0, 4);
	assert_int_equal(sim_batch_error(&b), -ENOSPC);
	assert_int_equal(b.len, 7);
	sim_batch_noop(&b);	/* would fit, but the error is sticky */
	assert_int_equal(b.len, 7);

	assert_int_equal(sim_cmd_length(SIM_CMD_HEADER(SIM_CMD_NOOP, 1)), 1);
	assert_int_equal(sim_cmd_length(SIM_CMD_HEADER(SIM_CMD_STORE_DW, 4)), 4);
	assert_int_equal(sim_cmd_length(SIM_CMD_HEADER(SIM_CMD_COPY, 6)), 6);
	assert_int_equal(sim_cmd_length(SIM_CMD_HEADER(SIM_CMD_FILL, 5)), 5);
	assert_int_equal(sim_cmd_length(SIM_CMD_HEADER(SIM_CMD_ATOMIC_ADD, 4)), 4);
	assert_int_equal(sim_cmd_length(SIM_CMD_HEADER(SIM_CMD_WAIT_VALUE, 5)), 5);
	assert_int_equal(sim_cmd_length(SIM_CMD_HEADER(SIM_CMD_DELAY, 2)), 2);
	assert_int_equal(sim_cmd_length(SIM_CMD_HEADER(SIM_CMD_HANG, 1)), 1);
	assert_int_equal(sim_cmd_length(SIM_CMD_HEADER(SIM_CMD_END, 1)), 1);
	assert_int_equal(sim_cmd_length(0), -EINVAL);
	assert_int_equal(sim_cmd_length(SIM_CMD_HEADER(SIM_CMD_END + 1, 1)), -EINVAL);
	assert_int_equal(sim_cmd_length(SIM_CMD_HEADER(SIM_CMD_STORE_DW, 3)), -EINVAL);
	assert_int_equal(sim_cmd_length(SIM_CMD_HEADER(SIM_CMD_NOOP, 1) | 0x100), -EINVAL);
}

static void test_batch_validate(void **state)
{
	uint32_t w[16];
	struct sim_batch b;

#define CHECK(expect, build)						\
	do {								\
		sim_batch_init(&b, w, 16);				\
		build;							\
		assert_int_equal(sim_batch_validate(w, b.len), expect);	\
	} while (0)

	CHECK(6, (sim_batch_noop(&b), sim_batch_store_dw(&b, 8, 1), sim_batch_end(&b)));
	/* Words after END are never looked at. */
	CHECK(1, (sim_batch_end(&b), sim_batch_emit(&b, (uint32_t[]){ 0xffffffff }, 1)));
	CHECK(-EINVAL, (sim_batch_noop(&b)));				/* no END */
	CHECK(-EINVAL, (sim_batch_emit(&b, (uint32_t[]){ 0 }, 1), sim_batch_end(&b)));
	CHECK(-EINVAL, (sim_batch_store_dw(&b, 6, 1), sim_batch_end(&b)));	/* misaligned */
	CHECK(-EINVAL, (sim_batch_atomic_add(&b, 2, 1), sim_batch_end(&b)));
	CHECK(-EINVAL, (sim_batch_fill(&b, 4, 0, 6), sim_batch_end(&b)));	/* bytes % 4 */
	CHECK(-EINVAL, (sim_batch_fill(&b, 5, 0, 8), sim_batch_end(&b)));
	CHECK(-EINVAL, (sim_batch_wait_value(&b, 8, 0, (enum sim_wait_op)6), sim_batch_end(&b)));
	CHECK(-EINVAL, (sim_batch_wait_value(&b, 9, 0, SIM_WAIT_EQ), sim_batch_end(&b)));
	CHECK(9, (sim_batch_copy(&b, 3, 5, 7), sim_batch_delay(&b, 1), sim_batch_end(&b)));
	/* A command cut off by the end of the batch. */
	CHECK(-EINVAL, (sim_batch_emit(&b, (uint32_t[]){ SIM_CMD_HEADER(SIM_CMD_STORE_DW, 4),
							 8, 0 }, 3)));
#undef CHECK
}

/* ---- every command ------------------------------------------------------------- */

static void test_cmd_store_dw(void **state)
{
	struct fixture *f = *state;
	struct sim_bo *vram = st_bo(f->dev, PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);

	st_validate(vram, SIM_PL_MASK_VRAM);
	/* This job syncs with nothing: without this wait the move's clear of
	 * the new storage could land after the store (a real bug, shown as
	 * wrong data). */
	st_wait_bo_idle(vram);
	st_gpu_map(&f->g, vram, DATA + 32 * PAGE);
	sim_batch_store_dw(&f->b, DATA, 0x11111111);
	sim_batch_store_dw(&f->b, DATA + 5 * PAGE + 12, 0x22222222);
	sim_batch_store_dw(&f->b, DATA + 32 * PAGE + 4, 0x33333333);
	sim_batch_end(&f->b);
	assert_int_equal(st_gpu_run(&f->g, &f->b), 1);
	assert_int_equal(peek(f, DATA), 0x11111111);
	assert_int_equal(peek(f, DATA + 4), 0);
	assert_int_equal(peek(f, DATA + 5 * PAGE + 12), 0x22222222);
	assert_int_equal(peek(f, DATA + 32 * PAGE + 4), 0x33333333);
	sim_bo_put(vram);
}

static void test_cmd_copy(void **state)
{
	struct fixture *f = *state;
	uint8_t src[PAGE + 100], dst[PAGE + 100 + 8];

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	/* Source straddles pages 0/1, destination 3/4, odd length. */
	assert_int_equal(sim_pt_write(f->g.pt, DATA + PAGE - 50, src, sizeof(src)), 0);
	sim_batch_copy(&f->b, DATA + 4 * PAGE - 13, DATA + PAGE - 50, PAGE + 99);
	sim_batch_copy(&f->b, DATA + 6 * PAGE, DATA, 0);	/* no-op */
	sim_batch_end(&f->b);
	assert_int_equal(st_gpu_run(&f->g, &f->b), 1);
	assert_int_equal(sim_pt_read(f->g.pt, DATA + 4 * PAGE - 17, dst, sizeof(dst)), 0);
	assert_memory_equal(dst + 4, src, PAGE + 99);
	for (int i = 0; i < 4; i++)
		assert_int_equal(dst[i], 0);			/* before: untouched */
	assert_int_equal(dst[4 + PAGE + 99], 0);		/* after: untouched */
}

static void test_cmd_fill(void **state)
{
	struct fixture *f = *state;
	uint32_t w[3 * PAGE / 4 + 2];

	sim_batch_fill(&f->b, DATA + PAGE / 2, 0xabcd0123, 3 * PAGE);
	sim_batch_fill(&f->b, DATA + 7 * PAGE, 0x55, 0);
	sim_batch_end(&f->b);
	assert_int_equal(st_gpu_run(&f->g, &f->b), 1);
	assert_int_equal(sim_pt_read(f->g.pt, DATA + PAGE / 2 - 4, w, sizeof(w)), 0);
	assert_int_equal(w[0], 0);
	for (size_t i = 1; i <= 3 * PAGE / 4; i++)
		assert_int_equal(w[i], 0xabcd0123);
	assert_int_equal(w[3 * PAGE / 4 + 1], 0);
	assert_int_equal(peek(f, DATA + 7 * PAGE), 0);
}

static void test_cmd_atomic_add(void **state)
{
	struct fixture *f = *state;
	struct dma_fence *a, *b;

	poke(f, DATA, 0xffffffff);
	sim_batch_atomic_add(&f->b, DATA, 2);		/* wraps to 1 */
	sim_batch_atomic_add(&f->b, DATA + 4, 5);
	sim_batch_atomic_add(&f->b, DATA + 4, 6);
	sim_batch_end(&f->b);
	assert_int_equal(st_gpu_run(&f->g, &f->b), 1);
	assert_int_equal(peek(f, DATA), 1);
	assert_int_equal(peek(f, DATA + 4), 11);

	/* Two engines adding to one word at the same time lose nothing. */
	sim_batch_init(&f->b, f->words, 1024);
	for (int i = 0; i < 250; i++)
		sim_batch_atomic_add(&f->b, DATA + 8, 1);
	sim_batch_end(&f->b);
	a = st_gpu_submit(&f->g, 0, NULL, &f->b, NULL, 0);
	b = st_gpu_submit(&f->g, 1, NULL, &f->b, NULL, 0);
	assert_int_equal(st_wait(a), 1);
	assert_int_equal(st_wait(b), 1);
	assert_int_equal(peek(f, DATA + 8), 500);
	dma_fence_put(a);
	dma_fence_put(b);
}

static void test_cmd_wait_value(void **state)
{
	struct fixture *f = *state;
	static const struct { enum sim_wait_op op; uint32_t value; bool holds; } cases[] = {
		{ SIM_WAIT_EQ, 10, true },   { SIM_WAIT_EQ, 11, false },
		{ SIM_WAIT_NE, 11, true },   { SIM_WAIT_NE, 10, false },
		{ SIM_WAIT_GT, 9, true },    { SIM_WAIT_GT, 10, false },
		{ SIM_WAIT_GTE, 10, true },  { SIM_WAIT_GTE, 11, false },
		{ SIM_WAIT_LT, 11, true },   { SIM_WAIT_LT, 10, false },
		{ SIM_WAIT_LTE, 10, true },  { SIM_WAIT_LTE, 9, false },
	};
	struct dma_fence *waiter, *writer;
	uint32_t w[16];
	struct sim_batch b2;
	int64_t start;

	poke(f, DATA, 10);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sim_batch_init(&f->b, f->words, 1024);
		sim_batch_wait_value(&f->b, DATA, cases[i].value, cases[i].op);
		sim_batch_end(&f->b);
		/* A comparison that never holds is a hang: -ETIMEDOUT. */
		assert_int_equal(st_gpu_run(&f->g, &f->b), cases[i].holds ? 1 : -ETIMEDOUT);
	}

	/* One engine waits for a value another engine writes later. */
	sim_batch_init(&f->b, f->words, 1024);
	sim_batch_wait_value(&f->b, DATA + 4, 5, SIM_WAIT_EQ);
	sim_batch_store_dw(&f->b, DATA + 8, 1);
	sim_batch_end(&f->b);
	start = now_ns();
	waiter = st_gpu_submit(&f->g, 1, NULL, &f->b, NULL, 0);
	sim_batch_init(&b2, w, 16);
	sim_batch_delay(&b2, 20000);
	sim_batch_store_dw(&b2, DATA + 4, 5);
	sim_batch_end(&b2);
	writer = st_gpu_submit(&f->g, 0, NULL, &b2, NULL, 0);
	assert_int_equal(st_wait(waiter), 1);
	assert_int_equal(st_wait(writer), 1);
	/* The value appears only after the writer's 20 ms delay. */
	assert_true(dma_fence_timestamp(waiter) - start >= 20 * MS);
	assert_int_equal(peek(f, DATA + 8), 1);
	dma_fence_put(waiter);
	dma_fence_put(writer);
}

static void test_cmd_delay_noop_end(void **state)
{
	struct fixture *f = *state;
	int64_t start = now_ns();

	sim_batch_noop(&f->b);
	sim_batch_delay(&f->b, 30000);
	sim_batch_noop(&f->b);
	sim_batch_end(&f->b);
	sim_batch_store_dw(&f->b, DATA, 99);	/* after END: never runs */
	sim_batch_end(&f->b);
	assert_int_equal(st_gpu_run(&f->g, &f->b), 1);
	assert_true(now_ns() - start >= 30 * MS);
	assert_int_equal(peek(f, DATA), 0);

	/* A delay longer than the job timeout is a timeout. */
	sim_batch_init(&f->b, f->words, 1024);
	sim_batch_delay(&f->b, 1000000);
	sim_batch_end(&f->b);
	start = now_ns();
	assert_int_equal(st_gpu_run(&f->g, &f->b), -ETIMEDOUT);
	assert_true(now_ns() - start >= 200 * MS);
	assert_true(now_ns() - start < 900 * MS);
}

/* ---- invalid batches and faults ----------------------------------------------- */

static void test_batch_invalid_changes_nothing(void **state)
{
	struct fixture *f = *state;
	struct sim_device_stats st;

	sim_batch_store_dw(&f->b, DATA, 1);
	sim_batch_emit(&f->b, (uint32_t[]){ SIM_CMD_HEADER(0x7f, 1) }, 1);
	sim_batch_end(&f->b);
	assert_int_equal(st_gpu_run(&f->g, &f->b), -EINVAL);
	assert_int_equal(peek(f, DATA), 0);	/* checked before anything ran */

	/* A page of NOOPs without END runs off the batch. */
	sim_batch_init(&f->b, f->words, 1024);
	sim_batch_store_dw(&f->b, DATA, 2);
	while (f->b.len < 1024)
		sim_batch_noop(&f->b);
	assert_int_equal(st_gpu_run(&f->g, &f->b), -EINVAL);
	assert_int_equal(peek(f, DATA), 0);
	sim_device_get_stats(f->dev, &st);
	assert_int_equal(st.jobs_failed, 2);
	assert_int_equal(st.faults, 0);
}

static void test_batch_fault_keeps_earlier_effects(void **state)
{
	struct fixture *f = *state;
	struct sim_device_stats st;

	sim_batch_store_dw(&f->b, DATA, 1);
	sim_batch_store_dw(&f->b, DATA + 100 * PAGE, 2);	/* unmapped */
	sim_batch_store_dw(&f->b, DATA + 4, 3);
	sim_batch_end(&f->b);
	assert_int_equal(st_gpu_run(&f->g, &f->b), -EFAULT);
	assert_int_equal(peek(f, DATA), 1);
	assert_int_equal(peek(f, DATA + 4), 0);

	sim_batch_init(&f->b, f->words, 1024);
	sim_batch_store_dw(&f->b, RO_VA, 1);			/* read-only */
	sim_batch_end(&f->b);
	assert_int_equal(st_gpu_run(&f->g, &f->b), -EFAULT);
	sim_batch_init(&f->b, f->words, 1024);
	sim_batch_copy(&f->b, DATA + 8, RO_VA, 4);		/* reading it is fine */
	sim_batch_copy(&f->b, DATA + 8 * PAGE - 2, DATA, 4);	/* runs off the BO */
	sim_batch_end(&f->b);
	assert_int_equal(st_gpu_run(&f->g, &f->b), -EFAULT);
	sim_device_get_stats(f->dev, &st);
	assert_int_equal(st.faults, 3);
}

/* The driver moved the BO but did not rebind: the job faults. */
static void test_batch_fault_after_move_without_rebind(void **state)
{
	struct fixture *f = *state;

	poke(f, DATA + 16, 1234);
	st_validate(f->data, SIM_PL_MASK_VRAM);
	sim_batch_atomic_add(&f->b, DATA + 16, 1);
	sim_batch_end(&f->b);
	/* Even after waiting for the move: the old storage is gone. */
	st_wait_bo_idle(f->data);
	assert_int_equal(st_gpu_run(&f->g, &f->b), -EFAULT);
	st_lock(f->data);
	assert_int_equal(sim_pt_rebind(f->g.pt, f->data), 1);
	st_unlock(f->data);
	assert_int_equal(st_gpu_run(&f->g, &f->b), 1);
	assert_int_equal(peek(f, DATA + 16), 1235);	/* the data moved along */
}

static struct dma_fence *submit_at(struct fixture *f, uint64_t va, uint32_t len)
{
	struct sim_job *job;

	assert_int_equal(sim_job_create(sim_device_engine(f->dev, 0), f->g.ctx, f->g.pt, va, len,
					&job), 0);
	return sim_job_submit(job);
}

static void test_batch_across_pages(void **state)
{
	struct fixture *f = *state;
	uint64_t last = ST_BATCH_VA + (ST_BATCH_SLOTS - 1) * PAGE;
	struct dma_fence *fence;

	/* 12 words starting 8 bytes before a page boundary. */
	sim_batch_store_dw(&f->b, DATA, 7);
	sim_batch_store_dw(&f->b, DATA + 4, 8);
	sim_batch_store_dw(&f->b, DATA + 8, 9);
	sim_batch_end(&f->b);
	assert_int_equal(sim_pt_write(f->g.pt, ST_BATCH_VA + 2 * PAGE - 8, f->words,
				      sim_batch_bytes(&f->b)), 0);
	fence = submit_at(f, ST_BATCH_VA + 2 * PAGE - 8, 64);
	assert_int_equal(st_wait(fence), 1);
	dma_fence_put(fence);
	assert_int_equal(peek(f, DATA + 8), 9);

	/* In the last mapped page, with a length reaching past the mapping:
	 * fine as long as END comes first (the fetch stops there). */
	sim_batch_init(&f->b, f->words, 1024);
	sim_batch_store_dw(&f->b, DATA + 12, 10);
	sim_batch_end(&f->b);
	assert_int_equal(sim_pt_write(f->g.pt, last + PAGE - 20, f->words,
				      sim_batch_bytes(&f->b)), 0);
	fence = submit_at(f, last + PAGE - 20, 2 * PAGE);
	assert_int_equal(st_wait(fence), 1);
	dma_fence_put(fence);
	assert_int_equal(peek(f, DATA + 12), 10);

	/* Without END before the unmapped page: the fetch faults. */
	sim_batch_init(&f->b, f->words, 1024);
	sim_batch_noop(&f->b);
	sim_batch_noop(&f->b);
	assert_int_equal(sim_pt_write(f->g.pt, last + PAGE - 8, f->words, 8), 0);
	fence = submit_at(f, last + PAGE - 8, 2 * PAGE);
	assert_int_equal(st_wait(fence), -EFAULT);
	dma_fence_put(fence);
	/* And a batch whose first page is not mapped at all. */
	fence = submit_at(f, 0x4000, PAGE);
	assert_int_equal(st_wait(fence), -EFAULT);
	dma_fence_put(fence);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_builder),
		cmocka_unit_test(test_batch_validate),
		T(test_cmd_store_dw),
		T(test_cmd_copy),
		T(test_cmd_fill),
		T(test_cmd_atomic_add),
		T(test_cmd_wait_value),
		T(test_cmd_delay_noop_end),
		T(test_batch_invalid_changes_nothing),
		T(test_batch_fault_keeps_earlier_effects),
		T(test_batch_fault_after_move_without_rebind),
		T(test_batch_across_pages),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
