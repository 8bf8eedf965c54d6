/* SPDX-License-Identifier: MIT */
/*
 * sim_gem_import(): a second file's handle for a BO the first created
 * (PRIME import). One handle per BO per file, shared data, separate
 * bindings (closing one file's handle leaves the other's binding), the
 * conflict unbinding of eb_clear_range() finding an imported record,
 * table growth with imported records, allocation failure and concurrent
 * imports of one BO.
 */
#include <pthread.h>

#include "test_execbuf.h"

/* Where file B binds the shared BO when it is not at A's address */
#define B_DATA_VA (TX_DATA_VA + 64 * PAGE)

struct ti {
	struct tx tx;
	struct sim_file *b;	/* the importing file */
};

static int setup(void **state)
{
	struct ti *t = calloc(1, sizeof(*t));

	tx_init(&t->tx, 0, 0);
	assert_int_equal(sim_file_create(t->tx.dev, &t->b), 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct ti *t = *state;

	sim_file_destroy(t->b);
	tx_fini(&t->tx);
	free(t);
	return 0;
}

static struct sim_bo *bo_of(struct sim_file *file, uint32_t handle)
{
	struct sim_bo *bo = sim_file_lookup_bo(file, handle);

	assert_non_null(bo);
	sim_bo_put(bo);	/* the handle keeps it */
	return bo;
}

static uint32_t import(struct sim_file *file, struct sim_bo *bo)
{
	uint32_t h = 0;

	assert_int_equal(sim_gem_import(file, bo, &h), 0);
	assert_int_not_equal(h, 0);
	return h;
}

/* A batch in @file storing @value at @va, run with @data softpinned at
 * @data_va (written), waited for; returns the fence status (1: done). */
static int store_in(struct sim_file *file, uint32_t data, uint64_t data_va, uint64_t va,
		    uint32_t value)
{
	struct sim_execbuf_object objs[2];
	struct sim_execbuf args = { .objects = objs, .count = 2, .batch_index = 1,
				    .flags = SIM_EXECBUF_FENCE_OUT };
	struct dma_fence *fence = NULL;
	uint32_t words[16], batch = 0;
	struct sim_batch b;
	int status;

	sim_batch_init(&b, words, 16);
	sim_batch_store_dw(&b, va, value);
	sim_batch_end(&b);
	assert_int_equal(sim_gem_create(file, PAGE, SIM_PL_MASK_ALL, &batch), 0);
	assert_int_equal(sim_gem_pwrite(file, batch, 0, words, sim_batch_bytes(&b)), 0);
	objs[0] = tx_obj(data, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED, data_va);
	objs[1] = tx_obj(batch, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA);
	assert_int_equal(sim_execbuf(file, &args, &fence), 0);
	status = st_wait(fence);
	dma_fence_put(fence);
	assert_int_equal(sim_gem_close(file, batch), 0);
	return status;
}

static void test_import_basic(void **state)
{
	struct ti *t = *state;
	struct tx *tx = &t->tx;
	uint32_t a = tx_bo(tx, 2 * PAGE, SIM_PL_MASK_ALL), h = 77, hb, again, value = 0x1a2b;
	struct sim_bo *bo = bo_of(tx->file, a), *foreign;
	struct sim_device *dev2 = st_device(1u << 20, 0, SIM_BAN_NEVER);
	long refs = drm_gem_object_refcount(&bo->base);

	/* bad arguments: nothing changes, *handle untouched */
	assert_int_equal(sim_gem_import(NULL, bo, &h), -EINVAL);
	assert_int_equal(sim_gem_import(t->b, NULL, &h), -EINVAL);
	assert_int_equal(sim_gem_import(t->b, bo, NULL), -EINVAL);
	foreign = st_bo(dev2, PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	assert_int_equal(sim_gem_import(t->b, foreign, &h), -EINVAL);
	sim_bo_put(foreign);
	sim_device_destroy(dev2);
	assert_int_equal(h, 77);
	assert_int_equal(drm_gem_object_refcount(&bo->base), refs);
	assert_null(sim_file_lookup_bo(t->b, 1));

	/* into its creator: the same handle, no new reference */
	assert_int_equal(import(tx->file, bo), a);
	assert_int_equal(drm_gem_object_refcount(&bo->base), refs);
	/* into another file: a new handle holding a reference, once */
	hb = import(t->b, bo);
	assert_int_equal(hb, 1);
	assert_int_equal(drm_gem_object_refcount(&bo->base), refs + 1);
	again = import(t->b, bo);
	assert_int_equal(again, hb);
	assert_int_equal(drm_gem_object_refcount(&bo->base), refs + 1);
	assert_ptr_equal(bo_of(t->b, hb), bo);

	/* shared data, both ways */
	tx_write(tx, a, PAGE + 8, &value, 4);
	value = 0;
	assert_int_equal(sim_gem_pread(t->b, hb, PAGE + 8, &value, 4), 0);
	assert_int_equal(value, 0x1a2b);
	value = 0x3c4d;
	assert_int_equal(sim_gem_pwrite(t->b, hb, 0, &value, 4), 0);
	assert_int_equal(tx_read_dw(tx, a, 0), 0x3c4d);

	/* the creator closes: the importer keeps the BO */
	assert_int_equal(sim_gem_close(tx->file, a), 0);
	assert_int_equal(drm_gem_object_refcount(&bo->base), refs);
	value = 0;
	assert_int_equal(sim_gem_pread(t->b, hb, 0, &value, 4), 0);
	assert_int_equal(value, 0x3c4d);
	/* and the creator, having no handle now, gets a new one by import */
	sim_bo_get(bo);
	h = import(tx->file, bo);
	assert_int_equal(h, a);	/* the freed number comes back first */
	assert_int_equal(tx_read_dw(tx, h, 0), 0x3c4d);
	assert_int_equal(sim_gem_close(t->b, hb), 0);
	assert_int_equal(sim_gem_close(t->b, hb), -ENOENT);
	assert_int_equal(drm_gem_object_refcount(&bo->base), refs + 1);
	sim_bo_put(bo);
	assert_int_equal(drm_gem_object_refcount(&bo->base), refs);
}

/* A userptr BO cannot be imported elsewhere; its creator gets its handle. */
static void test_import_userptr(void **state)
{
	struct ti *t = *state;
	struct tx *tx = &t->tx;
	uint32_t h = 0, u;
	struct sim_bo *bo;

	assert_int_equal(resv_mm_create(&tx->mm), 0);
	assert_int_equal(sim_gem_userptr(tx->file, tx->mm, 0x10000, PAGE, &u), 0);
	bo = bo_of(tx->file, u);
	assert_int_equal(sim_gem_import(t->b, bo, &h), -EINVAL);
	assert_int_equal(h, 0);
	assert_null(sim_file_lookup_bo(t->b, 1));
	assert_int_equal(import(tx->file, bo), u);
}

/* Each file binds the BO in its own address space; closing B's handle
 * unbinds it from B only. */
static void test_import_bindings(void **state)
{
	struct ti *t = *state;
	struct tx *tx = &t->tx;
	uint32_t a = tx_bo(tx, PAGE, SIM_PL_MASK_ALL), hb, got = 0;
	struct sim_execbuf_stats before, after;

	hb = import(t->b, bo_of(tx->file, a));
	assert_int_equal(store_in(tx->file, a, TX_DATA_VA, TX_DATA_VA + 4, 0xaaaa), 1);
	assert_int_equal(store_in(t->b, hb, B_DATA_VA, B_DATA_VA + 8, 0xbbbb), 1);
	/* one BO: both stores landed in it */
	assert_int_equal(tx_read_dw(tx, a, 4), 0xaaaa);
	assert_int_equal(tx_read_dw(tx, a, 8), 0xbbbb);
	/* each file sees it at its own address only */
	assert_int_equal(sim_pt_read(sim_file_pt(t->b), B_DATA_VA + 4, &got, 4), 0);
	assert_int_equal(got, 0xaaaa);
	assert_int_equal(sim_pt_read(sim_file_pt(t->b), TX_DATA_VA, &got, 4), -EFAULT);
	assert_int_equal(sim_pt_read(sim_file_pt(tx->file), B_DATA_VA, &got, 4), -EFAULT);

	assert_int_equal(sim_gem_close(t->b, hb), 0);
	assert_int_equal(sim_pt_read(sim_file_pt(t->b), B_DATA_VA, &got, 4), -EFAULT);
	got = 0;
	assert_int_equal(sim_pt_read(sim_file_pt(tx->file), TX_DATA_VA + 8, &got, 4), 0);
	assert_int_equal(got, 0xbbbb);
	/* A's binding is intact: its next execbuf binds nothing */
	sim_execbuf_file_stats(tx->file, &before);
	assert_int_equal(store_in(tx->file, a, TX_DATA_VA, TX_DATA_VA + 12, 0xcccc), 1);
	sim_execbuf_file_stats(tx->file, &after);
	assert_int_equal(after.binds - before.binds, 1);	/* the new batch BO only */
	assert_int_equal(after.unbinds, before.unbinds);
	assert_int_equal(tx_read_dw(tx, a, 12), 0xcccc);
}

/*
 * B's softpinned BO needs the range where B bound the imported one: the
 * conflict finds B's record of it (not the creator's, bound at the same
 * address in A) and unbinds it from B only.
 */
static void test_import_softpin_conflict(void **state)
{
	struct ti *t = *state;
	struct tx *tx = &t->tx;
	uint32_t a = tx_bo(tx, PAGE, SIM_PL_MASK_ALL), hb, own = 0, got = 0;
	struct sim_execbuf_stats before, after;

	hb = import(t->b, bo_of(tx->file, a));
	assert_int_equal(store_in(tx->file, a, TX_DATA_VA, TX_DATA_VA, 0x1111), 1);
	assert_int_equal(store_in(t->b, hb, TX_DATA_VA, TX_DATA_VA + 4, 0x2222), 1);
	assert_int_equal(sim_gem_create(t->b, PAGE, SIM_PL_MASK_ALL, &own), 0);
	sim_execbuf_file_stats(t->b, &before);
	assert_int_equal(store_in(t->b, own, TX_DATA_VA, TX_DATA_VA, 0x3333), 1);
	sim_execbuf_file_stats(t->b, &after);
	assert_int_equal(after.unbinds - before.unbinds, 1);
	assert_int_equal(sim_gem_pread(t->b, own, 0, &got, 4), 0);
	assert_int_equal(got, 0x3333);
	assert_int_equal(tx_read_dw(tx, a, 0), 0x1111);	/* not B's new store */
	/* A's binding of the shared BO is where it was */
	assert_int_equal(sim_pt_read(sim_file_pt(tx->file), TX_DATA_VA + 4, &got, 4), 0);
	assert_int_equal(got, 0x2222);
	/* and B binds the shared BO again elsewhere when it needs it */
	assert_int_equal(store_in(t->b, hb, B_DATA_VA, B_DATA_VA + 8, 0x4444), 1);
	assert_int_equal(tx_read_dw(tx, a, 8), 0x4444);
}

/* More imported records than the first table holds: the hash grows with
 * it; re-imports find the right handle, closed ones get new handles. */
static void test_import_many(void **state)
{
	struct ti *t = *state;
	struct tx *tx = &t->tx;
	enum { N = 200 };
	struct sim_bo *bos[N];
	uint32_t hb[N];

	for (int i = 0; i < N; i++) {
		bos[i] = bo_of(tx->file, tx_bo(tx, PAGE, SIM_PL_MASK_SYSTEM));
		hb[i] = import(t->b, bos[i]);
		assert_int_equal(hb[i], i + 1);
	}
	for (int i = 0; i < N; i++) {
		assert_int_equal(import(t->b, bos[i]), hb[i]);
		assert_ptr_equal(bo_of(t->b, hb[i]), bos[i]);
	}
	for (int i = 0; i < N; i += 2)
		assert_int_equal(sim_gem_close(t->b, hb[i]), 0);
	for (int i = 0; i < N; i++) {
		uint32_t h = import(t->b, bos[i]);

		if (i % 2)
			assert_int_equal(h, hb[i]);
		else
			assert_ptr_equal(bo_of(t->b, h), bos[i]);
	}
}

/* Fail each allocation of an import in turn, also when it grows the table. */
static void test_import_enomem(void **state)
{
	struct ti *t = *state;
	struct tx *tx = &t->tx;
	struct sim_bo *bo = bo_of(tx->file, tx_bo(tx, PAGE, SIM_PL_MASK_ALL));
	long refs = drm_gem_object_refcount(&bo->base);
	unsigned long n, sites[2];
	uint32_t h, own;

	for (int round = 0; round < 2; round++) {
		/* round 1: B's table (64 slots, handle 0 unused) is full */
		if (round == 1) {
			assert_int_equal(sim_gem_close(t->b, h), 0);
			for (int i = 0; i < 63; i++)
				assert_int_equal(sim_gem_create(t->b, PAGE, SIM_PL_MASK_SYSTEM,
								&own), 0);
			assert_int_equal(own, 63);
		}
		for (n = 1;; n++) {
			uint64_t live = st_live_bytes();
			int ret;

			h = 0;
			resv_alloc_fail_nth(n);
			ret = sim_gem_import(t->b, bo, &h);
			resv_alloc_fail_nth(0);
			if (!ret)
				break;
			assert_int_equal(ret, -ENOMEM);
			assert_int_equal(h, 0);
			assert_int_equal(drm_gem_object_refcount(&bo->base), refs);
			assert_int_equal(st_live_bytes(), live);
			assert_null(sim_file_lookup_bo(t->b, round ? 64 : 1));
		}
		sites[round] = n - 1;
		assert_int_equal(h, round ? 64 : 1);
		assert_int_equal(drm_gem_object_refcount(&bo->base), refs + 1);
	}
	assert_int_equal(sites[0], 2);	/* the record, the first table */
	assert_int_equal(sites[1], 2);	/* the record, the doubled table */
	/* a re-import allocates nothing */
	resv_alloc_fail_nth(1);
	assert_int_equal(sim_gem_import(t->b, bo, &h), 0);
	resv_alloc_fail_nth(0);
	assert_int_equal(h, 64);
}

struct racer {
	struct sim_file *file;
	struct sim_bo **bos;
	unsigned int nbos;
	unsigned int id;
	uint32_t *handles;	/* out: per BO */
	int errors;
};

static void *import_thread(void *arg)
{
	struct racer *r = arg;

	/* each thread walks the BOs from its own start */
	for (unsigned int k = 0; k < r->nbos; k++) {
		unsigned int i = (k + r->id * 7) % r->nbos;

		if (sim_gem_import(r->file, r->bos[i], &r->handles[i]))
			r->errors++;
	}
	return NULL;
}

/* Threads importing the same BOs into one file agree on every handle, and
 * each BO gets one handle (one reference). */
static void test_import_race(void **state)
{
	struct ti *t = *state;
	struct tx *tx = &t->tx;
	enum { NB = 40, NT = 4 };
	struct sim_bo *bos[NB];
	uint32_t handles[NT][NB];
	struct racer r[NT];
	pthread_t th[NT];
	long refs[NB];

	for (int i = 0; i < NB; i++) {
		bos[i] = bo_of(tx->file, tx_bo(tx, PAGE, SIM_PL_MASK_SYSTEM));
		refs[i] = drm_gem_object_refcount(&bos[i]->base);
	}
	for (unsigned int i = 0; i < NT; i++) {
		r[i] = (struct racer){ .file = t->b, .bos = bos, .nbos = NB, .id = i,
				       .handles = handles[i] };
		assert_int_equal(pthread_create(&th[i], NULL, import_thread, &r[i]), 0);
	}
	for (unsigned int i = 0; i < NT; i++)
		pthread_join(th[i], NULL);
	for (unsigned int i = 0; i < NT; i++) {
		assert_int_equal(r[i].errors, 0);
		for (int k = 0; k < NB; k++)
			assert_int_equal(handles[i][k], handles[0][k]);
	}
	for (int k = 0; k < NB; k++) {
		assert_true(handles[0][k] >= 1 && handles[0][k] <= NB);
		assert_ptr_equal(bo_of(t->b, handles[0][k]), bos[k]);
		assert_int_equal(drm_gem_object_refcount(&bos[k]->base), refs[k] + 1);
	}
	assert_null(sim_file_lookup_bo(t->b, NB + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_import_basic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_userptr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_bindings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_softpin_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_enomem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_race, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
