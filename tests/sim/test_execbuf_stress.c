/* SPDX-License-Identifier: MIT */
/*
 * Execbuf under contention: an eviction victim held by an older
 * transaction makes the execbuf back off through drm_exec and slow-lock
 * the victim (deterministic); clients in several threads, with more BOs
 * than VRAM, evict each other's BOs while every write is verified
 * (seeded, time-bounded); two threads submitting through one file.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "test_execbuf.h"

/* ---- the contended victim ---------------------------------------------------- */

struct holder {
	struct sim_bo *victim;
	struct ww_acquire_ctx ctx;
	atomic_int locked, release;
};

/* An older transaction holding the only evictable BO for a while. */
static void *hold_victim(void *p)
{
	struct holder *h = p;

	/* Initialised before the execbuf starts: the older stamp. */
	ww_acquire_init(&h->ctx, &reservation_ww_class);
	if (dma_resv_lock(h->victim->base.resv, &h->ctx))
		return NULL;
	atomic_store(&h->locked, 1);
	while (!atomic_load(&h->release))
		usleep(1000);
	usleep(50 * 1000);	/* the execbuf is blocked on it by now */
	dma_resv_unlock(h->victim->base.resv);
	ww_acquire_fini(&h->ctx);
	return NULL;
}

static void test_execbuf_evict_contended(void **state)
{
	struct tx t;
	struct holder h = { 0 };
	struct sim_execbuf_stats st;
	uint32_t words[16], v, x, batch;
	struct sim_batch b;
	pthread_t th;

	(void)state;
	tx_init(&t, 8 * PAGE, 0);
	/* v fills VRAM; x needs it. */
	v = tx_bo(&t, 8 * PAGE, SIM_PL_MASK_ALL);
	x = tx_bo(&t, 4 * PAGE, SIM_PL_MASK_ALL);
	sim_batch_init(&b, words, 16);
	sim_batch_store_dw(&b, TX_DATA_VA, 0x77);
	sim_batch_end(&b);
	batch = tx_batch_bo(&t, &b, 1);
	h.victim = sim_file_lookup_bo(t.file, v);
	st_validate(h.victim, SIM_PL_MASK_VRAM);

	/* Its stamp is older than the execbuf's: Wait-Die makes us die. */
	assert_int_equal(pthread_create(&th, NULL, hold_victim, &h), 0);
	while (!atomic_load(&h.locked))
		usleep(1000);
	atomic_store(&h.release, 1);
	struct sim_execbuf_object objs[] = {
		tx_obj(x, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED |
			  SIM_EXEC_OBJECT_NEEDS_VRAM, TX_DATA_VA),
		tx_obj(batch, SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA),
	};
	assert_int_equal(tx_run(&t, objs, 2, 0), 1);
	pthread_join(th, NULL);

	assert_int_equal(tx_read_dw(&t, x, 0), 0x77);
	assert_int_equal(sim_bo_placement(h.victim), SIM_PL_SYSTEM);
	sim_execbuf_file_stats(t.file, &st);
	assert_int_equal(st.backoffs[RESV_EXEC_RESTART_CONTENDED], 1);
	assert_int_equal(st.evictions, 1);	/* by us, once we held it */
	assert_int_equal(st.submissions, 1);
	uint32_t all[] = { v, x, batch };
	tx_assert_unlocked(&t, all, 3);
	sim_bo_put(h.victim);
	tx_fini(&t);
}

/* ---- clients under VRAM pressure ---------------------------------------------- */

#define CLIENTS 3
#define CBOS 4
#define CBO_PAGES 64		/* 256 KiB: 3 x 4 x 256 KiB in 2 MiB of VRAM */
#define SLOTS 16		/* words each batch may write, per BO page */

struct client {
	struct sim_device *dev;
	struct sim_file *file;
	unsigned int id;
	uint64_t seed;
	int64_t deadline;
	uint32_t bo[CBOS], batch[8];
	uint32_t model[CBOS][CBO_PAGES];	/* the value of word 0 of each page */
	uint32_t adds[CBOS];			/* ATOMIC_ADDs on the last word */
	unsigned long submissions;
	int error;
	char msg[160];
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void client_fail(struct client *c, const char *what, int ret)
{
	if (!c->error) {
		c->error = ret ? ret : -1;
		snprintf(c->msg, sizeof(c->msg), "client %u: %s: %d", c->id, what, ret);
	}
}

static uint64_t bo_va(unsigned int i)
{
	return TX_DATA_VA + (uint64_t)i * CBO_PAGES * PAGE;
}

static void *client_thread(void *p)
{
	struct client *c = p;
	uint64_t rng = c->seed;
	unsigned int k = 0;
	struct dma_fence *last = NULL;

	while (!c->error && now_ns() < c->deadline) {
		struct sim_execbuf_object objs[3];
		uint32_t words[64];
		struct sim_batch b;
		struct dma_fence *f = NULL;
		unsigned int a = st_rand(&rng) % CBOS, z = (a + 1 + st_rand(&rng) % (CBOS - 1)) % CBOS;
		unsigned int pa = st_rand(&rng) % (CBO_PAGES - 1), pz = st_rand(&rng) % (CBO_PAGES - 1);
		uint32_t val = (c->id << 24) | (uint32_t)(c->submissions & 0xffffff);
		int ret;

		sim_batch_init(&b, words, 64);
		sim_batch_store_dw(&b, bo_va(a) + (uint64_t)pa * PAGE, val);
		sim_batch_fill(&b, bo_va(z) + (uint64_t)pz * PAGE, val ^ 0xffff, 64);
		sim_batch_atomic_add(&b, bo_va(a) + (CBO_PAGES - 1) * PAGE, 1);
		sim_batch_end(&b);
		/* Batch BOs rotate; a BO is rewritten only once idle. */
		k = (k + 1) % 8;
		ret = sim_gem_pwrite(c->file, c->batch[k], 0, words, sim_batch_bytes(&b));
		if (ret) {
			client_fail(c, "pwrite", ret);
			break;
		}
		objs[0] = tx_obj(c->bo[a], SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED |
					   SIM_EXEC_OBJECT_NEEDS_VRAM, bo_va(a));
		objs[1] = tx_obj(c->bo[z], SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED |
					   SIM_EXEC_OBJECT_NEEDS_VRAM, bo_va(z));
		objs[2] = tx_obj(c->batch[k], SIM_EXEC_OBJECT_PINNED, TX_BATCH_VA + k * PAGE);
		struct sim_execbuf args = { .objects = objs, .count = 3, .batch_index = 2,
					    .engine = c->id % 2, .flags = SIM_EXECBUF_FENCE_OUT };
		ret = sim_execbuf(c->file, &args, &f);
		if (ret) {
			client_fail(c, "execbuf", ret);
			break;
		}
		c->model[a][pa] = val;
		c->model[z][pz] = val ^ 0xffff;
		c->adds[a]++;
		c->submissions++;
		dma_fence_put(last);
		last = f;
	}
	if (last) {
		if (dma_fence_wait_timeout(last, false, 10000 * MS) <= 0)
			client_fail(c, "wait", -ETIMEDOUT);
		else if (dma_fence_get_status(last) != 1)
			client_fail(c, "fence", dma_fence_get_status(last));
		dma_fence_put(last);
	}
	return NULL;
}

static void test_execbuf_clients_vram_pressure(void **state)
{
	struct client c[CLIENTS];
	struct sim_execbuf_stats ds;
	uint64_t seed = st_seed(), live = st_live_bytes();
	struct sim_device *dev = st_device(2u << 20, 0, SIM_BAN_NEVER);
	pthread_t th[CLIENTS];

	(void)state;
	for (unsigned int i = 0; i < CLIENTS; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].dev = dev;
		c[i].id = i;
		c[i].seed = seed * 31 + i;
		c[i].deadline = now_ns() + 1500 * MS;
		assert_int_equal(sim_file_create(dev, &c[i].file), 0);
		for (int j = 0; j < CBOS; j++)
			assert_int_equal(sim_gem_create(c[i].file, CBO_PAGES * PAGE,
							SIM_PL_MASK_ALL, &c[i].bo[j]), 0);
		for (int j = 0; j < 8; j++)
			assert_int_equal(sim_gem_create(c[i].file, PAGE, SIM_PL_MASK_SYSTEM,
							&c[i].batch[j]), 0);
	}
	for (unsigned int i = 0; i < CLIENTS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, client_thread, &c[i]), 0);
	for (unsigned int i = 0; i < CLIENTS; i++)
		pthread_join(th[i], NULL);
	for (unsigned int i = 0; i < CLIENTS; i++)
		if (c[i].error)
			fail_msg("%s (seed %" PRIu64 ")", c[i].msg, seed);

	/* Every page's word 0 and every BO's count, read back. */
	for (unsigned int i = 0; i < CLIENTS; i++) {
		for (int j = 0; j < CBOS; j++) {
			for (int p = 0; p < CBO_PAGES - 1; p++) {
				uint32_t v;

				assert_int_equal(sim_gem_pread(c[i].file, c[i].bo[j],
							       (uint64_t)p * PAGE, &v, 4), 0);
				if (v != c[i].model[j][p])
					fail_msg("client %u bo %d page %d: %#x, expected %#x "
						 "(seed %" PRIu64 ")", i, j, p, v, c[i].model[j][p],
						 seed);
			}
			uint32_t n;

			assert_int_equal(sim_gem_pread(c[i].file, c[i].bo[j],
						       (CBO_PAGES - 1) * PAGE, &n, 4), 0);
			assert_int_equal(n, c[i].adds[j]);
		}
	}
	sim_execbuf_device_stats(dev, &ds);
	print_message("submissions %" PRIu64 ", evictions %" PRIu64 ", backoffs: contended %"
		      PRIu64 " injected %" PRIu64 "\n", ds.submissions, ds.evictions,
		      ds.backoffs[RESV_EXEC_RESTART_CONTENDED],
		      ds.backoffs[RESV_EXEC_RESTART_INJECTED]);
	assert_true(ds.evictions > 0);
	assert_int_equal(ds.failures, 0);
	for (unsigned int i = 0; i < CLIENTS; i++)
		sim_file_destroy(c[i].file);
	sim_device_destroy(dev);
	assert_int_equal(st_live_bytes(), live);
}

/* ---- two threads, one file ----------------------------------------------------- */

struct sharer {
	struct tx *t;
	uint32_t bo, batch;
	uint64_t va;
	unsigned int n;
	int error;
};

static void *share_thread(void *p)
{
	struct sharer *s = p;

	for (unsigned int i = 0; i < s->n && !s->error; i++) {
		struct dma_fence *f = NULL;
		/* Alternate between two addresses: rebinding every time. */
		uint64_t va = s->va + (i % 2) * 0x100000;
		struct sim_execbuf_object objs[] = {
			tx_obj(s->bo, SIM_EXEC_OBJECT_WRITE, 0),
			tx_obj(s->batch, SIM_EXEC_OBJECT_PINNED, va),
		};
		struct sim_execbuf args = { .objects = objs, .count = 2, .batch_index = 1,
					    .flags = SIM_EXECBUF_FENCE_OUT };

		s->error = sim_execbuf(s->t->file, &args, &f);
		if (!s->error) {
			if (dma_fence_wait_timeout(f, false, 10000 * MS) <= 0 ||
			    dma_fence_get_status(f) != 1)
				s->error = -EIO;
			dma_fence_put(f);
		}
	}
	return NULL;
}

static void test_execbuf_shared_file(void **state)
{
	struct tx t;
	struct sharer s[2];
	pthread_t th[2];

	(void)state;
	tx_init(&t, 0, 0);
	for (int i = 0; i < 2; i++) {
		s[i] = (struct sharer){ .t = &t, .n = 300, .va = TX_BATCH_VA + i * 0x10000 };
		s[i].bo = tx_bo(&t, PAGE, SIM_PL_MASK_ALL);
		s[i].batch = tx_bo(&t, PAGE, SIM_PL_MASK_ALL);
	}
	/* The batches add 1 to their BO, whose kernel address they learn
	 * from a first execbuf. */
	for (int i = 0; i < 2; i++) {
		uint32_t words[16];
		struct sim_batch b;

		sim_batch_init(&b, words, 16);
		sim_batch_end(&b);
		tx_write(&t, s[i].batch, 0, words, sim_batch_bytes(&b));
		struct sim_execbuf_object objs[] = {
			tx_obj(s[i].bo, 0, 0), tx_obj(s[i].batch, SIM_EXEC_OBJECT_PINNED, s[i].va),
		};
		assert_int_equal(tx_run(&t, objs, 2, 0), 1);
		sim_batch_init(&b, words, 16);
		sim_batch_atomic_add(&b, objs[0].offset, 1);
		sim_batch_end(&b);
		tx_write(&t, s[i].batch, 0, words, sim_batch_bytes(&b));
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, share_thread, &s[i]), 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(s[i].error, 0);
		assert_int_equal(tx_read_dw(&t, s[i].bo, 0), s[i].n);
	}
	tx_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_execbuf_evict_contended),
		cmocka_unit_test(test_execbuf_clients_vram_pressure),
		cmocka_unit_test(test_execbuf_shared_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
