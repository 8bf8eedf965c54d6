/* SPDX-License-Identifier: MIT */
/*
 * sim_execbuf() end to end: batches that store, copy and fill into BOs with
 * the results read back; addresses chosen by the kernel; implicit and
 * explicit synchronisation; eviction under VRAM pressure; rebinding after
 * a move; softpin moves and objects pushed out of the way; hangs. The
 * relocation tests are in test_execbuf_reloc.c.
 */
#include "test_execbuf.h"

#define DATA_PAGES 4

static struct tx *tx_of(void **state)
{
	return *state;
}

static int setup(void **state)
{
	struct tx *t = calloc(1, sizeof(*t));

	tx_init(t, 0, 0);
	*state = t;
	return 0;
}

static int setup_short_timeout(void **state)
{
	struct tx *t = calloc(1, sizeof(*t));

	tx_init(t, 0, 100 * MS);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	tx_fini(*state);
	free(*state);
	return 0;
}

/* STORE_DW, FILL and COPY into a softpinned BO; every byte checked. */
static void test_execbuf_store_fill_copy(void **state)
{
	struct tx *t = tx_of(state);
	uint32_t words[64], page[PAGE / 4];
	struct sim_execbuf_stats st;
	struct sim_batch b;
	uint32_t data, batch;

	data = tx_bo(t, DATA_PAGES * PAGE, SIM_PL_MASK_ALL);
	sim_batch_init(&b, words, 64);
	sim_batch_store_dw(&b, TX_DATA_VA + 8, 0xdeadbeef);
	sim_batch_fill(&b, TX_DATA_VA + PAGE, 0x11223344, PAGE);
	sim_batch_copy(&b, TX_DATA_VA + 2 * PAGE, TX_DATA_VA + PAGE, PAGE);
	sim_batch_end(&b);
	batch = tx_batch_bo(t, &b, 1);

	struct sim_execbuf_object objs[] = {
		tx_obj(data, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED, TX_DATA_VA),
		tx_obj(batch, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA),
	};
	assert_int_equal(tx_run(t, objs, 2, 0), 1);
	assert_int_equal(objs[0].offset, TX_DATA_VA);
	assert_int_equal(objs[1].offset, TX_BATCH_VA);

	assert_int_equal(tx_read_dw(t, data, 8), 0xdeadbeef);
	assert_int_equal(tx_read_dw(t, data, 4), 0);
	for (int p = 1; p <= 2; p++) {
		tx_read(t, data, (uint64_t)p * PAGE, page, PAGE);
		for (unsigned int i = 0; i < PAGE / 4; i++)
			assert_int_equal(page[i], 0x11223344);
	}
	tx_read(t, data, 3 * PAGE, page, PAGE);
	for (unsigned int i = 0; i < PAGE / 4; i++)
		assert_int_equal(page[i], 0);

	/* The job's fence went in with the right usages. */
	assert_int_equal(tx_fence_count(t, data, DMA_RESV_USAGE_WRITE), 1);
	assert_int_equal(tx_fence_count(t, batch, DMA_RESV_USAGE_WRITE), 0);
	assert_int_equal(tx_fence_count(t, batch, DMA_RESV_USAGE_READ), 1);
	sim_execbuf_file_stats(t->file, &st);
	assert_int_equal(st.submissions, 1);
	assert_int_equal(st.failures, 0);
	assert_int_equal(st.binds, 2);
	assert_int_equal(st.backoffs[RESV_EXEC_RESTART_CONTENDED], 0);
	uint32_t handles[] = { data, batch };
	tx_assert_unlocked(t, handles, 2);
	/* The file's reference and the page table mapping's. */
	assert_int_equal(tx_bo_refs(t, data), 2);
}

/* Objects without softpin get addresses from the kernel's half, keep them,
 * and report them back. */
static void test_execbuf_kernel_addresses(void **state)
{
	struct tx *t = tx_of(state);
	uint32_t words[16];
	struct sim_batch b;
	uint32_t data, batch;
	uint64_t data_va, batch_va;

	data = tx_bo(t, 2 * PAGE, SIM_PL_MASK_ALL);
	sim_batch_init(&b, words, 16);
	sim_batch_end(&b);
	batch = tx_batch_bo(t, &b, 1);

	struct sim_execbuf_object objs[] = { tx_obj(data, 0, 0), tx_obj(batch, 0, 0) };
	assert_int_equal(tx_run(t, objs, 2, 0), 1);
	data_va = objs[0].offset;
	batch_va = objs[1].offset;
	assert_true(data_va >= SIM_EXEC_KERNEL_VA);
	assert_true(batch_va >= SIM_EXEC_KERNEL_VA);
	assert_true(data_va + 2 * PAGE <= batch_va || batch_va + PAGE <= data_va);

	/* Now use the reported address; the input offset is ignored. */
	sim_batch_init(&b, words, 16);
	sim_batch_store_dw(&b, data_va + PAGE, 77);
	sim_batch_end(&b);
	tx_write(t, batch, 0, words, sim_batch_bytes(&b));
	objs[0] = tx_obj(data, SIM_EXEC_OBJECT_WRITE, 0x1234000);
	objs[1] = tx_obj(batch, 0, 0);
	assert_int_equal(tx_run(t, objs, 2, 0), 1);
	assert_int_equal(objs[0].offset, data_va);
	assert_int_equal(objs[1].offset, batch_va);
	assert_int_equal(tx_read_dw(t, data, PAGE), 77);
}

/* A reader waits for a writer's delayed store (implicit sync); an async
 * reader on another engine does not, and its fence is BOOKKEEP. */
static void test_execbuf_implicit_sync(void **state)
{
	struct tx *t = tx_of(state);
	struct dma_fence *w = NULL, *r = NULL, *a = NULL;
	uint32_t words[32];
	struct sim_batch b;
	uint32_t x, y, z, wb, rb, ab;

	x = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
	y = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
	z = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
	sim_batch_init(&b, words, 32);
	sim_batch_delay(&b, 150 * 1000);
	sim_batch_store_dw(&b, TX_DATA_VA, 5);
	sim_batch_end(&b);
	wb = tx_batch_bo(t, &b, 1);
	sim_batch_init(&b, words, 32);
	sim_batch_copy(&b, TX_DATA_VA + PAGE, TX_DATA_VA, 4);
	sim_batch_end(&b);
	rb = tx_batch_bo(t, &b, 1);
	/* The async reader reads next to the store: no GPU data race. */
	sim_batch_init(&b, words, 32);
	sim_batch_copy(&b, TX_DATA_VA + 2 * PAGE, TX_DATA_VA + 64, 4);
	sim_batch_end(&b);
	ab = tx_batch_bo(t, &b, 1);

	struct sim_execbuf_object wo[] = {
		tx_obj(x, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED, TX_DATA_VA),
		tx_obj(wb, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA),
	};
	struct sim_execbuf_object ro[] = {
		tx_obj(x, SIM_EXEC_OBJECT_PINNED, TX_DATA_VA),
		tx_obj(y, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED, TX_DATA_VA + PAGE),
		tx_obj(rb, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA + PAGE),
	};
	struct sim_execbuf_object ao[] = {
		tx_obj(x, SIM_EXEC_OBJECT_PINNED | SIM_EXEC_OBJECT_ASYNC, TX_DATA_VA),
		tx_obj(z, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED, TX_DATA_VA + 2 * PAGE),
		tx_obj(ab, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA + 2 * PAGE),
	};
	struct sim_execbuf aargs = {
		.objects = ao, .count = 3, .batch_index = 2, .engine = 1,
		.flags = SIM_EXECBUF_FENCE_OUT,
	};

	assert_int_equal(tx_exec(t, wo, 2, 0, &w), 0);
	assert_int_equal(tx_exec(t, ro, 3, 0, &r), 0);
	assert_int_equal(sim_execbuf(t->file, &aargs, &a), 0);
	assert_int_equal(st_wait(a), 1);
	assert_false(dma_fence_is_signaled(w));	/* it did not wait for the writer */
	assert_int_equal(st_wait(r), 1);
	assert_true(dma_fence_is_signaled(w));
	assert_int_equal(tx_read_dw(t, y, 0), 5);	/* it did */
	assert_int_equal(tx_read_dw(t, z, 0), 0);
	/* x: the writer (WRITE), the reader (READ), the async reader (BOOKKEEP). */
	assert_int_equal(tx_fence_count(t, x, DMA_RESV_USAGE_WRITE), 1);
	assert_int_equal(tx_fence_count(t, x, DMA_RESV_USAGE_READ), 2);
	assert_int_equal(tx_fence_count(t, x, DMA_RESV_USAGE_BOOKKEEP), 3);
	dma_fence_put(w);
	dma_fence_put(r);
	dma_fence_put(a);
}

/* An explicit in-fence holds the job back; its error fails the job. */
static void test_execbuf_in_fence(void **state)
{
	struct tx *t = tx_of(state);
	struct dma_fence *in = st_fence_new(), *out = NULL;
	uint32_t words[16];
	struct sim_batch b;
	uint32_t x, batch;

	x = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
	sim_batch_init(&b, words, 16);
	sim_batch_store_dw(&b, TX_DATA_VA, 9);
	sim_batch_end(&b);
	batch = tx_batch_bo(t, &b, 1);
	struct sim_execbuf_object objs[] = {
		tx_obj(x, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED, TX_DATA_VA),
		tx_obj(batch, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA),
	};
	struct sim_execbuf args = {
		.objects = objs, .count = 2, .batch_index = 1, .in_fence = in,
		.flags = SIM_EXECBUF_FENCE_OUT,
	};

	assert_int_equal(sim_execbuf(t->file, &args, &out), 0);
	usleep(20000);
	assert_false(dma_fence_is_signaled(out));
	st_fence_signal(in, 0);
	assert_int_equal(st_wait(out), 1);
	assert_int_equal(tx_read_dw(t, x, 0), 9);
	dma_fence_put(in);
	dma_fence_put(out);

	in = st_fence_new();
	args.in_fence = in;
	assert_int_equal(sim_execbuf(t->file, &args, &out), 0);
	st_fence_signal(in, -EIO);
	assert_int_equal(st_wait(out), -EIO);
	dma_fence_put(in);
	dma_fence_put(out);
}

/* More VRAM than there is: each execbuf evicts the BO used before it, and
 * every BO still holds what its batch wrote. */
static void test_execbuf_vram_pressure(void **state)
{
	struct tx *t = tx_of(state);
	enum { N = 6, PAGES = 1024 };	/* 6 x 4 MiB in 16 MiB of VRAM */
	uint32_t bo[N], words[32], batch;
	struct sim_execbuf_stats st;
	struct sim_batch b;

	for (int i = 0; i < N; i++)
		bo[i] = tx_bo(t, PAGES * PAGE, SIM_PL_MASK_ALL);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < N; i++) {
			uint64_t va = TX_DATA_VA + (uint64_t)i * PAGES * PAGE;

			sim_batch_init(&b, words, 32);
			sim_batch_fill(&b, va + (uint64_t)round * PAGE, 0x100 * i + round, PAGE);
			sim_batch_atomic_add(&b, va + (PAGES - 1) * PAGE, 1);
			sim_batch_end(&b);
			batch = tx_batch_bo(t, &b, 1);
			struct sim_execbuf_object objs[] = {
				tx_obj(bo[i], SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED |
					      SIM_EXEC_OBJECT_NEEDS_VRAM, va),
				tx_obj(batch, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA),
			};
			assert_int_equal(tx_run(t, objs, 2, 0), 1);
			assert_int_equal(sim_gem_close(t->file, batch), 0);
		}
	}
	for (int i = 0; i < N; i++) {
		for (int round = 0; round < 2; round++)
			for (unsigned int off = 0; off < PAGE; off += 1020)
				assert_int_equal(tx_read_dw(t, bo[i], (uint64_t)round * PAGE + off),
						 0x100 * i + round);
		assert_int_equal(tx_read_dw(t, bo[i], (PAGES - 1) * PAGE), 2);
	}
	sim_execbuf_file_stats(t->file, &st);
	/* Only 4 fit: from the 5th execbuf on, each evicted one. */
	assert_int_equal(st.evictions, 2 * N - 4);
	assert_int_equal(st.rebinds, N);	/* every BO came back to VRAM once */
	assert_int_equal(st.binds, N + 2 * N);	/* and each batch BO was new */
	assert_int_equal(st.unbinds, 0);
	assert_int_equal(st.submissions, 2 * N);
}

/* The shrinker moves a BO behind the file's back: the next execbuf must
 * rebind it to its new storage, or the batch would fault. */
static void test_execbuf_rebind_after_move(void **state)
{
	struct tx *t = tx_of(state);
	struct sim_execbuf_stats st;
	struct sim_pt_entry e;
	uint32_t words[32], x, batch;
	struct sim_batch b;

	x = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
	sim_batch_init(&b, words, 32);
	sim_batch_atomic_add(&b, TX_DATA_VA, 1);
	sim_batch_end(&b);
	batch = tx_batch_bo(t, &b, 1);
	struct sim_execbuf_object objs[] = {
		tx_obj(x, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED |
			  SIM_EXEC_OBJECT_NEEDS_VRAM, TX_DATA_VA),
		tx_obj(batch, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA),
	};
	assert_int_equal(tx_run(t, objs, 2, 0), 1);
	assert_true(sim_shrink(t->dev, 16u << 20) >= PAGE);
	assert_int_equal(sim_pt_lookup(sim_file_pt(t->file), TX_DATA_VA, &e), 0);
	assert_false(e.resident);	/* stale: a job through it would fault */

	assert_int_equal(tx_run(t, objs, 2, 0), 1);
	assert_int_equal(sim_pt_lookup(sim_file_pt(t->file), TX_DATA_VA, &e), 0);
	assert_true(e.current);
	assert_int_equal(e.bound, SIM_PL_VRAM);
	assert_int_equal(tx_read_dw(t, x, 0), 2);
	sim_execbuf_file_stats(t->file, &st);
	assert_int_equal(st.rebinds, 1);
}

/* Softpinning an object somewhere else moves its binding; softpinning
 * another object over it pushes it out (it is waited for and unbound) and
 * it comes back at an address of the kernel's choosing. */
static void test_execbuf_softpin_moves(void **state)
{
	struct tx *t = tx_of(state);
	struct sim_pt *pt = sim_file_pt(t->file);
	struct sim_execbuf_stats st;
	struct sim_pt_entry e;
	uint32_t words[32], x, y, batch;
	struct sim_batch b;
	const uint64_t A = TX_DATA_VA, B = TX_DATA_VA + 0x100000;

	x = tx_bo(t, 2 * PAGE, SIM_PL_MASK_ALL);
	y = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
	sim_batch_init(&b, words, 32);
	sim_batch_end(&b);
	batch = tx_batch_bo(t, &b, 1);

	struct sim_execbuf_object objs[] = {
		tx_obj(x, SIM_EXEC_OBJECT_PINNED, A),
		tx_obj(batch, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA),
	};
	assert_int_equal(tx_run(t, objs, 2, 0), 1);
	objs[0].offset = B;
	assert_int_equal(tx_run(t, objs, 2, 0), 1);
	assert_int_equal(sim_pt_lookup(pt, A, &e), -ENOENT);
	assert_int_equal(sim_pt_lookup(pt, B + PAGE, &e), 0);
	assert_int_equal(e.bo_offset, PAGE);

	/* y over the second page of x: x must go. */
	objs[0] = tx_obj(y, SIM_EXEC_OBJECT_PINNED | SIM_EXEC_OBJECT_WRITE, B + PAGE);
	sim_batch_init(&b, words, 32);
	sim_batch_store_dw(&b, B + PAGE, 3);
	sim_batch_end(&b);
	tx_write(t, batch, 0, words, sim_batch_bytes(&b));
	assert_int_equal(tx_run(t, objs, 2, 0), 1);
	assert_int_equal(tx_read_dw(t, y, 0), 3);
	assert_int_equal(sim_pt_lookup(pt, B, &e), -ENOENT);
	sim_execbuf_file_stats(t->file, &st);
	assert_int_equal(st.unbinds, 1);

	/* x, no longer bound, gets a kernel address. */
	sim_batch_init(&b, words, 32);
	sim_batch_end(&b);
	tx_write(t, batch, 0, words, sim_batch_bytes(&b));
	objs[0] = tx_obj(x, 0, 0);
	assert_int_equal(tx_run(t, objs, 2, 0), 1);
	assert_true(objs[0].offset >= SIM_EXEC_KERNEL_VA);
}

/* A batch that hangs: -ETIMEDOUT on its fence and on its dependant's; the
 * engine goes on; an explicitly synchronised job clears the object. */
static void test_execbuf_hang(void **state)
{
	struct tx *t = tx_of(state);
	struct dma_fence *hang = NULL, *dep = NULL;
	uint32_t words[32], x, y, hb, cb, ok;
	struct sim_batch b;

	x = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
	y = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
	sim_batch_init(&b, words, 32);
	sim_batch_store_dw(&b, TX_DATA_VA, 1);
	sim_batch_hang(&b);
	sim_batch_end(&b);
	hb = tx_batch_bo(t, &b, 1);
	sim_batch_init(&b, words, 32);
	sim_batch_copy(&b, TX_DATA_VA + PAGE, TX_DATA_VA, 4);
	sim_batch_end(&b);
	cb = tx_batch_bo(t, &b, 1);

	struct sim_execbuf_object ho[] = {
		tx_obj(x, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED, TX_DATA_VA),
		tx_obj(hb, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA),
	};
	struct sim_execbuf_object co[] = {
		tx_obj(x, SIM_EXEC_OBJECT_PINNED, TX_DATA_VA),
		tx_obj(y, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED, TX_DATA_VA + PAGE),
		tx_obj(cb, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA + PAGE),
	};
	assert_int_equal(tx_exec(t, ho, 2, 0, &hang), 0);
	assert_int_equal(tx_exec(t, co, 3, 0, &dep), 0);
	assert_int_equal(st_wait(hang), -ETIMEDOUT);
	assert_int_equal(st_wait(dep), -ETIMEDOUT);
	assert_int_equal(tx_read_dw(t, y, 0), 0);	/* it never ran */
	assert_int_equal(sim_engine_resets(sim_device_engine(t->dev, 0)), 1);
	dma_fence_put(hang);
	dma_fence_put(dep);

	/* The engine works: a job on a fresh object succeeds. */
	sim_batch_init(&b, words, 32);
	sim_batch_store_dw(&b, TX_DATA_VA + 2 * PAGE, 8);
	sim_batch_end(&b);
	ok = tx_batch_bo(t, &b, 1);
	uint32_t z = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
	struct sim_execbuf_object oo[] = {
		tx_obj(z, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED, TX_DATA_VA + 2 * PAGE),
		tx_obj(ok, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA + 2 * PAGE),
	};
	assert_int_equal(tx_run(t, oo, 2, 0), 1);
	assert_int_equal(tx_read_dw(t, z, 0), 8);

	/* x still carries the failed write: an implicit reader inherits the
	 * error, an explicitly synchronised one does not. */
	assert_int_equal(tx_run(t, co, 3, 0), -ETIMEDOUT);
	co[0].flags |= SIM_EXEC_OBJECT_ASYNC;
	co[1].handle = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
	assert_int_equal(tx_run(t, co, 3, 0), 1);
	assert_int_equal(tx_read_dw(t, co[1].handle, 0), 1);	/* the store before the hang landed */
}

/* SIM_EXECBUF_CHECK_BATCH refuses a batch without END at submission;
 * without it the job's fence says -EINVAL. */
static void test_execbuf_check_batch(void **state)
{
	struct tx *t = tx_of(state);
	uint32_t words[8] = { SIM_CMD_HEADER(SIM_CMD_NOOP, 1), SIM_CMD_HEADER(SIM_CMD_NOOP, 1) };
	struct dma_fence *f = NULL;
	struct sim_batch b;
	uint32_t batch;

	batch = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
	tx_write(t, batch, 0, words, sizeof(words));
	struct sim_execbuf_object objs[] = { tx_obj(batch, 0, 0) };
	struct sim_execbuf args = {
		.objects = objs, .count = 1, .batch_len = 8,
		.flags = SIM_EXECBUF_FENCE_OUT | SIM_EXECBUF_CHECK_BATCH,
	};

	assert_int_equal(sim_execbuf(t->file, &args, &f), -EINVAL);
	assert_null(f);
	assert_int_equal(tx_fence_count(t, batch, DMA_RESV_USAGE_BOOKKEEP), 0);
	args.flags &= ~SIM_EXECBUF_CHECK_BATCH;
	assert_int_equal(sim_execbuf(t->file, &args, &f), 0);
	assert_int_equal(st_wait(f), -EINVAL);
	dma_fence_put(f);

	sim_batch_init(&b, words, 8);
	sim_batch_noop(&b);
	sim_batch_end(&b);
	tx_write(t, batch, 0, words, sim_batch_bytes(&b));
	args.flags |= SIM_EXECBUF_CHECK_BATCH;
	assert_int_equal(sim_execbuf(t->file, &args, &f), 0);
	assert_int_equal(st_wait(f), 1);
	dma_fence_put(f);
}

/* A batch in the middle of a BO, with a length: start and length count. */
static void test_execbuf_batch_start(void **state)
{
	struct tx *t = tx_of(state);
	uint32_t words[16];
	struct sim_batch b;
	uint32_t x, batch;

	x = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
	batch = tx_bo(t, 2 * PAGE, SIM_PL_MASK_ALL);
	sim_batch_init(&b, words, 16);
	sim_batch_store_dw(&b, TX_DATA_VA + 4, 6);
	sim_batch_end(&b);
	tx_write(t, batch, PAGE + 64, words, sim_batch_bytes(&b));
	struct sim_execbuf_object objs[] = {
		tx_obj(x, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED, TX_DATA_VA),
		tx_obj(batch, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA),
	};
	struct sim_execbuf args = {
		.objects = objs, .count = 2, .batch_index = 1,
		.batch_start_offset = PAGE + 64, .batch_len = (uint32_t)sim_batch_bytes(&b),
		.flags = SIM_EXECBUF_FENCE_OUT | SIM_EXECBUF_CHECK_BATCH,
	};
	struct dma_fence *f = NULL;

	assert_int_equal(sim_execbuf(t->file, &args, &f), 0);
	assert_int_equal(st_wait(f), 1);
	dma_fence_put(f);
	assert_int_equal(tx_read_dw(t, x, 4), 6);
}

/* Deadlock injection: the loop restarts, counted as injected, and the
 * submission still happens once. */
static void test_execbuf_injected_backoff(void **state)
{
	struct tx *t = tx_of(state);
	struct resv_ww_inject inj = { .mode = RESV_WW_INJECT_NTH, .nth = 2 };
	struct resv_ww_inject off = { .mode = RESV_WW_INJECT_OFF };
	struct sim_execbuf_object objs[5];
	struct sim_execbuf_stats st;
	uint32_t words[32], bo[4], batch;
	struct sim_batch b;

	sim_batch_init(&b, words, 32);
	for (int i = 0; i < 4; i++) {
		bo[i] = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
		objs[i] = tx_obj(bo[i], SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED,
				 TX_DATA_VA + (uint64_t)i * PAGE);
		sim_batch_atomic_add(&b, TX_DATA_VA + (uint64_t)i * PAGE, 1);
	}
	sim_batch_end(&b);
	batch = tx_batch_bo(t, &b, 1);
	objs[4] = tx_obj(batch, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA);

	assert_int_equal(resv_ww_class_set_inject(&reservation_ww_class, &inj), 0);
	assert_int_equal(tx_run(t, objs, 5, 0), 1);
	assert_int_equal(resv_ww_class_set_inject(&reservation_ww_class, &off), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(tx_read_dw(t, bo[i], 0), 1);
	sim_execbuf_file_stats(t->file, &st);
	assert_true(st.backoffs[RESV_EXEC_RESTART_INJECTED] >= 1);
	assert_int_equal(st.backoffs[RESV_EXEC_RESTART_CONTENDED], 0);
	assert_int_equal(st.submissions, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_execbuf_store_fill_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execbuf_kernel_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execbuf_implicit_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execbuf_in_fence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execbuf_vram_pressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execbuf_rebind_after_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execbuf_softpin_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execbuf_hang, setup_short_timeout, teardown),
		cmocka_unit_test_setup_teardown(test_execbuf_check_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execbuf_batch_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execbuf_injected_backoff, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
