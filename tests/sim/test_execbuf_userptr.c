/* SPDX-License-Identifier: MIT */
/*
 * Userptr objects in execbuf: the GPU reads and writes the process's
 * pages; an invalidation between the snapshot and the final check makes
 * the execbuf drop everything and retry (counted) with the new pages; a
 * stream of migrations against a stream of submissions never loses a GPU
 * write; unmap and remap.
 */
#include <pthread.h>

#include "test_execbuf.h"

#define UADDR 0x40000000ul
#define UPAGES 4

struct up {
	struct tx t;
	struct resv_mm *mm;
	uint32_t uptr;
};

static int setup(void **state)
{
	struct up *u = calloc(1, sizeof(*u));
	uint32_t init[UPAGES * PAGE / 4];

	tx_init(&u->t, 0, 0);
	assert_int_equal(resv_mm_create(&u->mm), 0);
	u->t.mm = u->mm;
	for (unsigned int i = 0; i < UPAGES * PAGE / 4; i++)
		init[i] = 0x1000000 + i;
	assert_int_equal(resv_mm_map_data(u->mm, UADDR, UPAGES * PAGE, init), 0);
	assert_int_equal(sim_gem_userptr(u->t.file, u->mm, UADDR, UPAGES * PAGE, &u->uptr), 0);
	*state = u;
	return 0;
}

static int teardown(void **state)
{
	struct up *u = *state;

	tx_fini(&u->t);	/* closes the userptr, then destroys the mm */
	free(u);
	return 0;
}

static uint32_t mm_dw(struct up *u, unsigned long off)
{
	uint32_t v;

	assert_int_equal(resv_mm_read(u->mm, UADDR + off, &v, 4), 0);
	return v;
}

/* The GPU copies out of and stores into the process's memory. */
static void test_userptr_read_write(void **state)
{
	struct up *u = *state;
	uint32_t words[32], x, batch, page[PAGE / 4];
	struct resv_userptr_stats us;
	struct sim_batch b;
	struct sim_bo *bo;

	x = tx_bo(&u->t, PAGE, SIM_PL_MASK_ALL);
	sim_batch_init(&b, words, 32);
	sim_batch_copy(&b, TX_DATA_VA, TX_DATA_VA + 0x10000 + 2 * PAGE, PAGE);
	sim_batch_store_dw(&b, TX_DATA_VA + 0x10000 + 3 * PAGE + 12, 0xfeed);
	sim_batch_atomic_add(&b, TX_DATA_VA + 0x10000, 5);
	sim_batch_end(&b);
	batch = tx_batch_bo(&u->t, &b, 1);
	struct sim_execbuf_object objs[] = {
		tx_obj(x, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED, TX_DATA_VA),
		tx_obj(u->uptr, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED, TX_DATA_VA + 0x10000),
		tx_obj(batch, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA),
	};

	assert_int_equal(tx_run(&u->t, objs, 3, 0), 1);
	tx_read(&u->t, x, 0, page, PAGE);
	for (unsigned int i = 0; i < PAGE / 4; i++)
		assert_int_equal(page[i], 0x1000000 + 2 * PAGE / 4 + i);
	assert_int_equal(mm_dw(u, 3 * PAGE + 12), 0xfeed);
	assert_int_equal(mm_dw(u, 0), 0x1000000 + 5);
	assert_int_equal(mm_dw(u, 4), 0x1000001);

	bo = sim_file_lookup_bo(u->t.file, u->uptr);
	resv_userptr_get_stats(bo->userptr, &us);
	assert_int_equal(us.snapshots, 1);
	assert_int_equal(us.retries, 0);
	sim_bo_put(bo);
	/* The fence went to the userptr's own resv: invalidations wait for it. */
	assert_int_equal(tx_fence_count(&u->t, u->uptr, DMA_RESV_USAGE_WRITE), 1);
}

/* Invalidation between the snapshot and the check: the execbuf blocks on
 * a busy relocated object, a migration moves the pages meanwhile, the
 * check fails, the execbuf retries once with the new pages. */
struct migrate_arg {
	struct up *u;
	int ret;
};

static void *migrate_later(void *p)
{
	struct migrate_arg *a = p;

	usleep(30 * 1000);	/* the execbuf is waiting for the busy object by now */
	a->ret = resv_mm_migrate(a->u->mm, UADDR, UPAGES * PAGE);
	return NULL;
}

static void test_userptr_invalidated_before_check(void **state)
{
	struct up *u = *state;
	struct migrate_arg ma = { .u = u, .ret = 1 };
	uint32_t words[32], bb, batch;
	struct sim_execbuf_stats st;
	struct resv_userptr_stats us;
	struct dma_fence *f = NULL;
	struct sim_reloc r = { .offset = 4, .delta = 64 };
	struct sim_batch b;
	struct sim_bo *bo;
	void *before[UPAGES], *after[UPAGES];
	pthread_t th;

	/* Something to wait for: a job that keeps the batch BO busy. */
	sim_batch_init(&b, words, 32);
	sim_batch_delay(&b, 200 * 1000);
	sim_batch_end(&b);
	bb = tx_batch_bo(&u->t, &b, 1);
	sim_batch_init(&b, words, 32);
	sim_batch_store_dw(&b, 0, 0xabc);
	sim_batch_end(&b);
	batch = tx_batch_bo(&u->t, &b, 1);
	struct sim_execbuf_object busy_objs[] = {
		tx_obj(batch, SIM_EXEC_OBJECT_WRITE, 0),	/* busy until the delay is over */
		tx_obj(bb, 0, 0),
	};
	assert_int_equal(tx_exec(&u->t, busy_objs, 2, 0, &f), 0);

	assert_int_equal(resv_mm_get_pages(u->mm, UADDR, UPAGES, before), 0);
	r.target_handle = u->uptr;
	struct sim_execbuf_object objs[] = {
		tx_obj(u->uptr, SIM_EXEC_OBJECT_WRITE, 0),
		{ .handle = batch, .relocation_count = 1, .relocs = &r },
	};
	assert_int_equal(pthread_create(&th, NULL, migrate_later, &ma), 0);
	assert_int_equal(tx_run(&u->t, objs, 2, 0), 1);
	pthread_join(th, NULL);
	assert_int_equal(ma.ret, 0);
	assert_int_equal(st_wait(f), 1);
	dma_fence_put(f);

	assert_int_equal(resv_mm_get_pages(u->mm, UADDR, UPAGES, after), 0);
	assert_ptr_not_equal(before[0], after[0]);
	assert_int_equal(mm_dw(u, 64), 0xabc);		/* in the current pages */
	assert_int_equal(*(uint32_t *)after[0], 0x1000000);	/* the rest copied over */
	sim_execbuf_file_stats(u->t.file, &st);
	assert_int_equal(st.userptr_retries, 1);
	bo = sim_file_lookup_bo(u->t.file, u->uptr);
	resv_userptr_get_stats(bo->userptr, &us);
	assert_int_equal(us.retries, 1);
	assert_int_equal(us.snapshots, 2);
	assert_int_equal(us.invalidations, 1);
	sim_bo_put(bo);
}

/* Unmapped: -EFAULT; mapped again (fresh zero pages): works on those. */
static void test_userptr_unmap_remap(void **state)
{
	struct up *u = *state;
	uint32_t words[16], batch;
	struct dma_fence *f = NULL;
	struct sim_batch b;

	sim_batch_init(&b, words, 16);
	sim_batch_atomic_add(&b, TX_DATA_VA + 8, 1);
	sim_batch_end(&b);
	batch = tx_batch_bo(&u->t, &b, 1);
	struct sim_execbuf_object objs[] = {
		tx_obj(u->uptr, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED, TX_DATA_VA),
		tx_obj(batch, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA),
	};

	assert_int_equal(tx_run(&u->t, objs, 2, 0), 1);
	assert_int_equal(mm_dw(u, 8), 0x1000002 + 1);
	assert_int_equal(resv_mm_unmap(u->mm, UADDR + PAGE, PAGE), 0);
	assert_int_equal(tx_exec(&u->t, objs, 2, 0, &f), -EFAULT);
	assert_null(f);
	assert_int_equal(resv_mm_map(u->mm, UADDR + PAGE, PAGE), 0);
	assert_int_equal(tx_run(&u->t, objs, 2, 0), 1);
	assert_int_equal(mm_dw(u, 8), 0x1000002 + 2);
	assert_int_equal(mm_dw(u, PAGE), 0);	/* the new page */
}

/*
 * One thread submits batches that add 1 to a word of the userptr and
 * store the submission's number next to it; another migrates the range
 * again and again. No add may be lost and the last number must be there:
 * every job used the pages current when it ran.
 */
struct churn {
	struct up *u;
	int stop;	/* atomic */
	unsigned long migrations;
	int error;
};

static void *migrator(void *p)
{
	struct churn *c = p;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		int ret = resv_mm_migrate(c->u->mm, UADDR, UPAGES * PAGE);

		if (ret) {
			c->error = ret;
			break;
		}
		c->migrations++;
		usleep(200);
	}
	return NULL;
}

static void test_userptr_concurrent_migrations(void **state)
{
	struct up *u = *state;
	struct churn c = { .u = u };
	uint32_t words[16], batch[8];
	struct sim_execbuf_stats st;
	struct dma_fence *last = NULL;
	uint64_t seed = st_seed(), rng = seed;
	int64_t end = 0;
	unsigned int n = 0;
	pthread_t th;
	struct timespec ts;

	for (int i = 0; i < 8; i++) {
		struct sim_batch b;

		sim_batch_init(&b, words, 16);
		sim_batch_atomic_add(&b, TX_DATA_VA + 2 * PAGE, 1);
		sim_batch_store_dw(&b, TX_DATA_VA + 2 * PAGE + 4 + 4 * i, i);
		sim_batch_end(&b);
		batch[i] = tx_batch_bo(&u->t, &b, 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = ts.tv_sec * 1000000000ll + ts.tv_nsec + 1000 * MS;
	assert_int_equal(pthread_create(&th, NULL, migrator, &c), 0);
	for (;;) {
		unsigned int k = st_rand(&rng) % 8;
		struct sim_execbuf_object objs[] = {
			tx_obj(u->uptr, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED, TX_DATA_VA),
			tx_obj(batch[k], SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA + k * PAGE),
		};
		struct dma_fence *f = NULL;
		int ret = tx_exec(&u->t, objs, 2, 0, &f);

		if (ret == -EAGAIN)
			continue;	/* invalidated SIM_EXECBUF_USERPTR_TRIES times */
		if (ret)
			fail_msg("execbuf %u: %d (seed %" PRIu64 ")", n, ret, seed);
		dma_fence_put(last);
		last = f;
		n++;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec * 1000000000ll + ts.tv_nsec > end)
			break;
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	assert_int_equal(c.error, 0);
	assert_int_equal(st_wait(last), 1);
	dma_fence_put(last);
	assert_int_equal(mm_dw(u, 2 * PAGE), 0x1000000 + 2 * PAGE / 4 + n);
	sim_execbuf_file_stats(u->t.file, &st);
	print_message("%u submissions, %lu migrations, %" PRIu64 " userptr retries\n", n,
		      c.migrations, st.userptr_retries);
	assert_true(c.migrations > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_userptr_read_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_userptr_invalidated_before_check, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_userptr_unmap_remap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_userptr_concurrent_migrations, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
