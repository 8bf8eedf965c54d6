/* SPDX-License-Identifier: MIT */
/*
 * Eviction under contention, seeded and time-bounded: worker threads lock
 * random sets of BOs with a ww ticket (the canonical back-off loop, also
 * for -EDEADLK coming out of eviction), validate them into a VRAM too small
 * for all, check each BO's data against the pattern last written and write
 * a new one; a shrinker thread evicts at the same time. Workers record, the
 * main thread asserts; the seed is printed.
 */
#include <pthread.h>
#include <time.h>

#include "sim_test.h"

#define STRESS_BOS 12
#define STRESS_WORKERS 3
#define STRESS_MS 600

struct stress {
	struct sim_device *dev;
	struct sim_bo *bos[STRESS_BOS];
	uint32_t seeds[STRESS_BOS];	/* each under its BO's lock */
	int stop;			/* atomic */
};

struct worker {
	struct stress *s;
	uint64_t rng;
	long rounds, backoffs, enospc;
	int failures;
	char msg[160];
};

static uint32_t word_of(uint32_t seed, size_t i)
{
	uint32_t x = seed * 2246822519u ^ (uint32_t)i * 3266489917u;

	return x ^ (x >> 15);
}

static void record_failure(struct worker *w, const char *what, int ret)
{
	if (!w->failures++)
		snprintf(w->msg, sizeof(w->msg), "%s: %d", what, ret);
}

/* With the BO locked: its data must be the pattern of its seed; then
 * write the pattern of a new seed. */
static void check_and_rewrite(struct worker *w, unsigned int idx)
{
	struct sim_bo *bo = w->s->bos[idx];
	size_t n = bo->base.size / 4;
	uint32_t buf[4 * SIM_PAGE_SIZE / 4];
	uint32_t seed = w->s->seeds[idx], next = (uint32_t)st_rand(&w->rng);
	int ret;

	ret = sim_bo_read(bo, 0, buf, bo->base.size);
	if (ret) {
		record_failure(w, "read", ret);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (buf[i] != word_of(seed, i)) {
			record_failure(w, "data lost", (int)idx);
			return;
		}
		buf[i] = word_of(next, i);
	}
	ret = sim_bo_write(bo, 0, buf, bo->base.size);
	if (ret) {
		record_failure(w, "write", ret);
		return;
	}
	w->s->seeds[idx] = next;
}

static void unlock_all(struct stress *s, const unsigned int *set, int k, unsigned int *held)
{
	for (int i = 0; i < k; i++)
		if (*held & (1u << set[i]))
			dma_resv_unlock(s->bos[set[i]]->base.resv);
	*held = 0;
}

static void one_round(struct worker *w)
{
	struct stress *s = w->s;
	unsigned int set[3], held = 0;
	struct ww_acquire_ctx ticket;
	int k = 1 + (int)(st_rand(&w->rng) % 3);

	for (int i = 0; i < k; i++) {
		bool dup;

		do {
			set[i] = (unsigned int)(st_rand(&w->rng) % STRESS_BOS);
			dup = false;
			for (int j = 0; j < i; j++)
				dup |= set[j] == set[i];
		} while (dup);
	}
	ww_acquire_init(&ticket, &reservation_ww_class);
retry:
	for (int i = 0; i < k; i++) {
		struct dma_resv *resv = s->bos[set[i]]->base.resv;
		int ret;

		if (held & (1u << set[i]))
			continue;
		ret = dma_resv_lock(resv, &ticket);
		if (ret == -EDEADLK) {
			unlock_all(s, set, k, &held);
			dma_resv_lock_slow(resv, &ticket);
			held |= 1u << set[i];
			w->backoffs++;
			goto retry;
		}
		if (ret) {
			record_failure(w, "lock", ret);
			goto out;
		}
		held |= 1u << set[i];
	}
	for (int i = 0; i < k; i++) {
		struct sim_op_ctx op = { .ticket = &ticket };
		uint32_t mask = st_rand(&w->rng) % 2 ? SIM_PL_MASK_VRAM : SIM_PL_MASK_ALL;
		int ret = sim_bo_validate(s->bos[set[i]], mask, &op);

		if (ret == -EDEADLK) {
			/* A victim's older holder: back off, wait for it, retry. */
			unlock_all(s, set, k, &held);
			dma_resv_lock_slow(op.contended->base.resv, &ticket);
			dma_resv_unlock(op.contended->base.resv);
			sim_op_ctx_fini(&op);
			w->backoffs++;
			goto retry;
		}
		sim_op_ctx_fini(&op);
		if (ret == -ENOSPC && mask == SIM_PL_MASK_VRAM) {
			w->enospc++;	/* everything else in VRAM is held right now */
			continue;
		}
		if (ret) {
			record_failure(w, "validate", ret);
			goto out;
		}
		sim_bo_lru_touch(s->bos[set[i]]);
	}
	for (int i = 0; i < k; i++)
		check_and_rewrite(w, set[i]);
	w->rounds++;
out:
	unlock_all(s, set, k, &held);
	ww_acquire_fini(&ticket);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	while (!__atomic_load_n(&w->s->stop, __ATOMIC_ACQUIRE) && !w->failures)
		one_round(w);
	return NULL;
}

static void *shrinker_main(void *arg)
{
	struct worker *w = arg;
	struct timespec ms = { .tv_nsec = 1000000 };

	while (!__atomic_load_n(&w->s->stop, __ATOMIC_ACQUIRE)) {
		long ret = sim_shrink(w->s->dev, 4 * SIM_PAGE_SIZE);

		if (ret < 0)
			record_failure(w, "shrink", (int)ret);
		w->rounds += ret > 0;
		nanosleep(&ms, NULL);
	}
	return NULL;
}

void test_evict_stress(void **state)
{
	struct stress s = { .dev = st_device(16 * SIM_PAGE_SIZE, 0, 0) };
	struct worker w[STRESS_WORKERS + 1];
	pthread_t t[STRESS_WORKERS + 1];
	uint64_t seed = st_seed(), rng = seed, in_vram = 0;
	struct sim_device_stats st;
	struct timespec run = { .tv_sec = STRESS_MS / 1000, .tv_nsec = STRESS_MS % 1000 * MS };

	for (int i = 0; i < STRESS_BOS; i++) {
		struct sim_bo *bo = st_bo(s.dev, (2 + st_rand(&rng) % 3) * SIM_PAGE_SIZE,
					  SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
		uint32_t buf[4 * SIM_PAGE_SIZE / 4];

		s.seeds[i] = (uint32_t)st_rand(&rng);
		for (size_t j = 0; j < bo->base.size / 4; j++)
			buf[j] = word_of(s.seeds[i], j);
		st_lock(bo);
		assert_int_equal(sim_bo_write(bo, 0, buf, bo->base.size), 0);
		st_unlock(bo);
		s.bos[i] = bo;
	}
	for (int i = 0; i <= STRESS_WORKERS; i++) {
		w[i] = (struct worker){ .s = &s, .rng = seed ^ (0x9e3779b97f4a7c15ull * (i + 1)) };
		assert_int_equal(pthread_create(&t[i], NULL,
						i < STRESS_WORKERS ? worker_main : shrinker_main,
						&w[i]), 0);
	}
	nanosleep(&run, NULL);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i <= STRESS_WORKERS; i++)
		pthread_join(t[i], NULL);

	for (int i = 0; i <= STRESS_WORKERS; i++)
		if (w[i].failures)
			fail_msg("seed=%" PRIu64 " %s %d: %s", seed,
				 i < STRESS_WORKERS ? "worker" : "shrinker", i, w[i].msg);
	for (int i = 0; i < STRESS_BOS; i++) {
		struct worker check = { .s = &s, .rng = 1 };

		st_lock(s.bos[i]);
		check_and_rewrite(&check, (unsigned int)i);
		st_unlock(s.bos[i]);
		if (check.failures)
			fail_msg("seed=%" PRIu64 " BO %d at the end: %s", seed, i, check.msg);
		st_wait_bo_idle(s.bos[i]);
		if (sim_bo_placement(s.bos[i]) == SIM_PL_VRAM)
			in_vram += s.bos[i]->base.size;
	}
	sim_device_get_stats(s.dev, &st);
	printf("rounds %ld/%ld/%ld, backoffs %ld, enospc %ld, evictions %" PRIu64
	       " (shrinker %" PRIu64 "), migrations %" PRIu64 "\n",
	       w[0].rounds, w[1].rounds, w[2].rounds, w[0].backoffs + w[1].backoffs + w[2].backoffs,
	       w[0].enospc + w[1].enospc + w[2].enospc, st.evictions, st.shrinker_evictions,
	       st.migrations);
	assert_int_equal(st.vram_used, in_vram);
	assert_true(w[0].rounds + w[1].rounds + w[2].rounds > 0);
	assert_true(st.evictions > 0);
	for (int i = 0; i < STRESS_BOS; i++)
		sim_bo_put(s.bos[i]);
	sim_device_destroy(s.dev);
}
