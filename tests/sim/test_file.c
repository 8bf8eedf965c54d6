/* SPDX-License-Identifier: MIT */
/*
 * Client files: handles (numbering, reuse, growth, close), userptr BOs,
 * CPU access and waits by handle, closing while the GPU uses an object,
 * allocation failure, counters, and handle churn from several threads.
 */
#include <pthread.h>

#include "test_execbuf.h"

static int setup(void **state)
{
	struct tx *t = calloc(1, sizeof(*t));

	tx_init(t, 0, 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	tx_fini(*state);
	free(*state);
	return 0;
}

static void test_file_handles(void **state)
{
	struct tx *t = *state;
	uint32_t a, b, c, d = 0;
	struct sim_bo *bo;

	a = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
	b = tx_bo(t, 2 * PAGE, SIM_PL_MASK_VRAM);
	c = tx_bo(t, PAGE, SIM_PL_MASK_SYSTEM);
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	assert_int_equal(c, 3);

	bo = sim_file_lookup_bo(t->file, b);
	assert_non_null(bo);
	assert_int_equal(bo->base.size, 2 * PAGE);
	assert_int_equal(bo->allowed, SIM_PL_MASK_VRAM);
	assert_int_equal(sim_bo_placement(bo), SIM_PL_NONE);	/* no system storage allowed */
	assert_int_equal(drm_gem_object_refcount(&bo->base), 2);
	sim_bo_put(bo);
	bo = sim_file_lookup_bo(t->file, a);
	assert_int_equal(sim_bo_placement(bo), SIM_PL_SYSTEM);
	sim_bo_put(bo);

	assert_null(sim_file_lookup_bo(t->file, 0));
	assert_null(sim_file_lookup_bo(t->file, 4));
	assert_null(sim_file_lookup_bo(t->file, 1u << 30));
	assert_int_equal(sim_gem_close(t->file, b), 0);
	assert_null(sim_file_lookup_bo(t->file, b));
	assert_int_equal(sim_gem_close(t->file, b), -ENOENT);
	assert_int_equal(sim_gem_close(t->file, 0), -ENOENT);
	assert_int_equal(sim_gem_close(NULL, a), -EINVAL);
	/* The freed number comes back first. */
	assert_int_equal(sim_gem_create(t->file, PAGE, SIM_PL_MASK_ALL, &d), 0);
	assert_int_equal(d, b);

	assert_int_equal(sim_gem_create(NULL, PAGE, SIM_PL_MASK_ALL, &d), -EINVAL);
	assert_int_equal(sim_gem_create(t->file, PAGE, SIM_PL_MASK_ALL, NULL), -EINVAL);
	assert_int_equal(sim_gem_create(t->file, 100, SIM_PL_MASK_ALL, &d), -EINVAL);
	assert_int_equal(sim_gem_create(t->file, PAGE, 0, &d), -EINVAL);
	assert_int_equal(sim_gem_create(t->file, PAGE, SIM_PL_MASK_USERPTR, &d), -EINVAL);
	assert_int_equal(d, b);	/* untouched on error */
	assert_int_equal(sim_file_create(NULL, &t->file), -EINVAL);
	assert_int_equal(sim_file_create(t->dev, NULL), -EINVAL);
}

/* Past the first table: grows, closes, numbers stay unique. */
static void test_file_many_handles(void **state)
{
	struct tx *t = *state;
	enum { N = 300 };
	uint32_t h[N];
	struct sim_device_stats st;

	for (int i = 0; i < N; i++) {
		h[i] = tx_bo(t, PAGE, SIM_PL_MASK_SYSTEM);
		assert_int_equal(h[i], i + 1);
	}
	for (int i = 0; i < N; i += 2)
		assert_int_equal(sim_gem_close(t->file, h[i]), 0);
	sim_device_get_stats(t->dev, &st);
	assert_int_equal(st.bo_count, N / 2);
	for (int i = 0; i < N; i += 2) {
		uint32_t again = tx_bo(t, PAGE, SIM_PL_MASK_SYSTEM);

		assert_true(again <= N && again % 2 == 1);	/* a freed (odd) number */
	}
	sim_device_get_stats(t->dev, &st);
	assert_int_equal(st.bo_count, N);
	/* tx_fini destroys the file with all of them open. */
}

static void test_file_pwrite_pread(void **state)
{
	struct tx *t = *state;
	uint8_t in[300], out[300];
	uint32_t a, v;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	a = tx_bo(t, 2 * PAGE, SIM_PL_MASK_ALL);
	tx_write(t, a, PAGE - 100, in, sizeof(in));
	tx_read(t, a, PAGE - 100, out, sizeof(out));
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(sim_gem_pwrite(t->file, a, 2 * PAGE - 4, in, 8), -EINVAL);
	assert_int_equal(sim_gem_pread(t->file, a, 2 * PAGE + 1, out, 0), -EINVAL);
	assert_int_equal(sim_gem_pwrite(t->file, 77, 0, in, 8), -ENOENT);
	assert_int_equal(sim_gem_pwrite(t->file, a, 0, NULL, 8), -EINVAL);
	assert_int_equal(sim_gem_pread(NULL, a, 0, out, 8), -EINVAL);

	/* A VRAM-only BO without storage reads as zeroes; a write gives it
	 * storage in VRAM. */
	a = tx_bo(t, PAGE, SIM_PL_MASK_VRAM);
	v = 1;
	tx_read(t, a, 8, &v, 4);
	assert_int_equal(v, 0);
	v = 0xabcd;
	tx_write(t, a, 8, &v, 4);
	assert_int_equal(tx_read_dw(t, a, 8), 0xabcd);
	assert_int_equal(tx_read_dw(t, a, 4), 0);
	struct sim_bo *bo = sim_file_lookup_bo(t->file, a);
	assert_int_equal(sim_bo_placement(bo), SIM_PL_VRAM);
	sim_bo_put(bo);
}

/* Userptr BOs: creation checks, the USERPTR placement, what refuses them. */
static void test_file_userptr(void **state)
{
	struct tx *t = *state;
	const unsigned long addr = 0x40000000;
	struct sim_op_ctx op = { 0 };
	struct resv_mm *mm = NULL;
	struct sim_bo *bo;
	uint32_t h = 0, v;

	assert_int_equal(resv_mm_create(&mm), 0);
	assert_int_equal(sim_gem_userptr(t->file, mm, addr + 1, PAGE, &h), -EINVAL);
	assert_int_equal(sim_gem_userptr(t->file, mm, addr, PAGE + 1, &h), -EINVAL);
	assert_int_equal(sim_gem_userptr(t->file, mm, addr, 0, &h), -EINVAL);
	assert_int_equal(sim_gem_userptr(t->file, NULL, addr, PAGE, &h), -EINVAL);
	assert_int_equal(sim_gem_userptr(t->file, mm, ~0ul & ~(PAGE - 1ul), 2 * PAGE, &h),
			 -EOVERFLOW);
	assert_int_equal(h, 0);
	/* The range need not be mapped yet. */
	assert_int_equal(sim_gem_userptr(t->file, mm, addr, 4 * PAGE, &h), 0);
	bo = sim_file_lookup_bo(t->file, h);
	assert_non_null(bo->userptr);
	assert_int_equal(sim_bo_placement(bo), SIM_PL_USERPTR);
	assert_int_equal(bo->allowed, SIM_PL_MASK_USERPTR);
	assert_ptr_equal(bo->userptr->lock, sim_file_notifier_lock(t->file));
	st_lock(bo);
	assert_int_equal(sim_bo_validate(bo, SIM_PL_MASK_USERPTR, &op), 0);
	assert_int_equal(sim_bo_validate(bo, SIM_PL_MASK_ALL, &op), -EINVAL);
	assert_int_equal(sim_bo_move(bo, SIM_PL_SYSTEM, &op), -EINVAL);
	assert_int_equal(sim_bo_move(bo, SIM_PL_NONE, &op), -EINVAL);
	assert_int_equal(sim_bo_read(bo, 0, &v, 4), -EINVAL);
	assert_int_equal(sim_bo_write(bo, 0, &v, 4), -EINVAL);
	st_unlock(bo);
	sim_op_ctx_fini(&op);
	assert_int_equal(sim_gem_pread(t->file, h, 0, &v, 4), -EINVAL);
	assert_int_equal(sim_gem_pwrite(t->file, h, 0, &v, 4), -EINVAL);
	sim_bo_put(bo);
	assert_int_equal(sim_gem_close(t->file, h), 0);
	resv_mm_destroy(mm);
}

/* gem_wait and close while a batch uses the object: close waits for it and
 * the address is free afterwards. */
static void test_file_wait_and_close_busy(void **state)
{
	struct tx *t = *state;
	struct dma_fence *f = NULL;
	struct sim_pt_entry e;
	uint32_t words[16], x, batch;
	struct sim_batch b;

	x = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
	sim_batch_init(&b, words, 16);
	sim_batch_delay(&b, 100 * 1000);
	sim_batch_store_dw(&b, TX_DATA_VA, 1);
	sim_batch_end(&b);
	batch = tx_batch_bo(t, &b, 1);
	struct sim_execbuf_object objs[] = {
		tx_obj(x, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED, TX_DATA_VA),
		tx_obj(batch, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA),
	};

	assert_int_equal(tx_exec(t, objs, 2, 0, &f), 0);
	assert_int_equal(sim_gem_wait(t->file, x, 0), -ETIMEDOUT);
	assert_int_equal(sim_gem_wait(t->file, x, MS), -ETIMEDOUT);
	assert_int_equal(sim_gem_wait(t->file, x, -1), -EINVAL);
	assert_int_equal(sim_gem_wait(t->file, 99, 0), -ENOENT);
	assert_int_equal(sim_gem_close(t->file, x), 0);
	assert_true(dma_fence_is_signaled(f));
	assert_int_equal(dma_fence_get_status(f), 1);	/* it ran to the end, mapped */
	assert_int_equal(sim_pt_lookup(sim_file_pt(t->file), TX_DATA_VA, &e), -ENOENT);
	assert_int_equal(sim_gem_wait(t->file, batch, MAX_SCHEDULE_TIMEOUT), 0);
	assert_int_equal(sim_gem_wait(t->file, batch, 0), 0);
	dma_fence_put(f);
	/* The closed handle fails an execbuf. */
	assert_int_equal(tx_exec(t, objs, 2, 0, &f), -ENOENT);
}

/* Every allocation of file, BO and userptr creation fails cleanly. */
static void test_file_enomem(void **state)
{
	struct tx *t = *state;
	struct resv_mm *mm = NULL;
	struct sim_file *file;
	uint64_t before, mm_bytes;
	unsigned long n;
	uint32_t h;
	int ret;

	before = st_live_bytes();
	assert_int_equal(resv_mm_create(&mm), 0);
	mm_bytes = st_live_bytes() - before;
	for (n = 1;; n++) {
		file = NULL;
		resv_alloc_fail_nth(n);
		ret = sim_file_create(t->dev, &file);
		resv_alloc_fail_nth(0);
		if (!ret)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_null(file);
		if (st_live_bytes() != before + mm_bytes)
			fail_msg("n=%lu: %" PRIu64 " bytes left", n,
				 st_live_bytes() - before - mm_bytes);
	}
	assert_true(n > 3);	/* file, page table (2), context */
	for (n = 1;; n++) {
		h = 0;
		resv_alloc_fail_nth(n);
		ret = sim_gem_create(file, PAGE, SIM_PL_MASK_ALL, &h);
		resv_alloc_fail_nth(0);
		if (!ret)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(h, 0);
	}
	assert_int_equal(sim_gem_close(file, h), 0);
	for (n = 1;; n++) {
		h = 0;
		resv_alloc_fail_nth(n);
		ret = sim_gem_userptr(file, mm, 0x10000, 3 * PAGE, &h);
		resv_alloc_fail_nth(0);
		if (!ret)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(h, 0);
	}
	assert_true(n > 3);
	sim_file_destroy(file);
	resv_mm_destroy(mm);	/* with the notifier state its first insert made */
	assert_int_equal(st_live_bytes(), before);
}

/* Device counters: every file's, and those of files gone. */
static void test_file_device_stats(void **state)
{
	struct tx *t = *state;
	struct sim_execbuf_stats fs, ds;
	struct dma_fence *f = NULL;
	struct sim_file *other;
	uint32_t words[8], batch;
	struct sim_batch b;

	sim_batch_init(&b, words, 8);
	sim_batch_end(&b);
	batch = tx_batch_bo(t, &b, 1);
	struct sim_execbuf_object objs[] = { tx_obj(batch, 0, 0) };
	assert_int_equal(tx_run(t, objs, 1, 0), 1);
	objs[0].handle = 99;
	assert_int_equal(tx_exec(t, objs, 1, 0, &f), -ENOENT);

	assert_int_equal(sim_file_create(t->dev, &other), 0);
	assert_int_equal(sim_gem_create(other, PAGE, SIM_PL_MASK_ALL, &batch), 0);
	assert_int_equal(sim_gem_pwrite(other, batch, 0, words, 4), 0);
	struct sim_execbuf args = { .objects = objs, .count = 1 };
	objs[0].handle = batch;
	assert_int_equal(sim_execbuf(other, &args, NULL), 0);
	assert_int_equal(sim_execbuf(other, &args, NULL), 0);
	sim_execbuf_file_stats(other, &fs);
	assert_int_equal(fs.submissions, 2);
	assert_int_equal(fs.failures, 0);
	sim_execbuf_device_stats(t->dev, &ds);
	assert_int_equal(ds.submissions, 3);
	assert_int_equal(ds.failures, 1);
	assert_int_equal(ds.binds, 2);
	sim_file_destroy(other);
	sim_execbuf_device_stats(t->dev, &ds);
	assert_int_equal(ds.submissions, 3);
	assert_int_equal(ds.failures, 1);
}

/* Threads create, look up and close handles of one file at once; every
 * handle a thread holds stays its own (TSan checks the table). */
struct churn {
	struct tx *t;
	uint64_t seed;
	int errors;
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	uint32_t mine[16] = { 0 };
	uint64_t rng = c->seed;

	for (int i = 0; i < 2000; i++) {
		unsigned int k = st_rand(&rng) % 16;
		struct sim_bo *bo;

		if (!mine[k]) {
			if (sim_gem_create(c->t->file, PAGE, SIM_PL_MASK_SYSTEM, &mine[k]))
				c->errors++;
			continue;
		}
		bo = sim_file_lookup_bo(c->t->file, mine[k]);
		if (!bo || bo->base.size != PAGE)
			c->errors++;
		sim_bo_put(bo);
		if (st_rand(&rng) % 2) {
			if (sim_gem_close(c->t->file, mine[k]))
				c->errors++;
			mine[k] = 0;
		}
	}
	return NULL;
}

static void test_file_handle_churn(void **state)
{
	struct tx *t = *state;
	uint64_t seed = st_seed();
	struct churn c[4];
	pthread_t th[4];

	for (int i = 0; i < 4; i++) {
		c[i] = (struct churn){ .t = t, .seed = seed + i };
		assert_int_equal(pthread_create(&th[i], NULL, churn_thread, &c[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		if (c[i].errors)
			fail_msg("thread %d: %d errors (seed %" PRIu64 ")", i, c[i].errors, seed);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_many_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_pwrite_pread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_userptr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_wait_and_close_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_enomem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_device_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_handle_churn, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
