/* SPDX-License-Identifier: MIT */
/*
 * Eviction: LRU victims moved to SYSTEM with their data, pinned BOs and the
 * caller's own BOs skipped, -ENOSPC when nothing can go, -EDEADLK from an
 * older ticket holding a victim (and waiting behind a younger one), the
 * shrinker's trylock-only walk, waiting for a range that a move is still
 * copying out of, interruption, allocation failure mid-eviction, and a
 * seeded multi-threaded workload with a concurrent shrinker.
 */
#include <pthread.h>
#include <time.h>

#include "sim_test.h"

#define BO_PAGES 4

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * MS };

	while (nanosleep(&ts, &ts))
		;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct sim_device_stats stats(struct sim_device *dev)
{
	struct sim_device_stats st;

	sim_device_get_stats(dev, &st);
	return st;
}

/* @n BOs of @pages pages, pattern i, moved into VRAM in order (so the VRAM
 * LRU lists them in that order) and idle. */
static void vram_bos(struct sim_device *dev, struct sim_bo **bos, int n, uint64_t pages)
{
	for (int i = 0; i < n; i++) {
		bos[i] = st_bo(dev, pages * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
		st_bo_fill_pattern(bos[i], (uint32_t)i);
		st_validate(bos[i], SIM_PL_MASK_VRAM);
		st_wait_bo_idle(bos[i]);
	}
}

static void put_bos(struct sim_bo **bos, int n)
{
	for (int i = 0; i < n; i++)
		sim_bo_put(bos[i]);
}

static void expect_placements(struct sim_bo **bos, const enum sim_placement *want, int n)
{
	for (int i = 0; i < n; i++) {
		st_wait_bo_idle(bos[i]);
		if (sim_bo_placement(bos[i]) != want[i])
			fail_msg("BO %d is in %d, expected %d", i, sim_bo_placement(bos[i]), want[i]);
		if (!st_bo_check_pattern(bos[i], (uint32_t)i))
			fail_msg("BO %d lost its data", i);
	}
}

static void test_evict_lru_victim_with_ticket(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	static const enum sim_placement want[5] = {
		SIM_PL_VRAM, SIM_PL_SYSTEM, SIM_PL_VRAM, SIM_PL_VRAM, SIM_PL_VRAM,
	};
	struct sim_bo *bos[5];
	struct ww_acquire_ctx ticket;
	struct sim_op_ctx op = { .ticket = &ticket };

	vram_bos(dev, bos, 4, BO_PAGES);
	sim_bo_lru_touch(bos[3]);	/* already the most recent: stays so */
	sim_bo_lru_touch(bos[0]);	/* A used recently: B is the oldest now */
	bos[4] = st_bo(dev, BO_PAGES * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	st_bo_fill_pattern(bos[4], 4);

	ww_acquire_init(&ticket, &reservation_ww_class);
	assert_int_equal(dma_resv_lock(bos[4]->base.resv, &ticket), 0);
	assert_int_equal(sim_bo_validate(bos[4], SIM_PL_MASK_VRAM, &op), 0);
	dma_resv_unlock(bos[4]->base.resv);
	ww_acquire_fini(&ticket);
	assert_null(op.contended);
	assert_int_equal(op.evictions, 1);
	expect_placements(bos, want, 5);
	assert_int_equal(stats(dev).evictions, 1);
	assert_int_equal(stats(dev).vram_used, 16 * PAGE);
	put_bos(bos, 5);
	sim_device_destroy(dev);
}

static void test_evict_skips_pinned_and_own(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	static const enum sim_placement want[6] = {
		SIM_PL_VRAM, SIM_PL_VRAM, SIM_PL_VRAM, SIM_PL_SYSTEM, SIM_PL_VRAM, SIM_PL_SYSTEM,
	};
	struct sim_bo *bos[6];
	struct ww_acquire_ctx ticket;
	struct sim_op_ctx op = { .ticket = &ticket };

	vram_bos(dev, bos, 4, BO_PAGES);
	for (int i = 0; i < 2; i++) {
		st_lock(bos[i]);
		assert_int_equal(sim_bo_pin(bos[i]), 0);
		st_unlock(bos[i]);
	}
	for (int i = 4; i < 6; i++) {
		bos[i] = st_bo(dev, BO_PAGES * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
		st_bo_fill_pattern(bos[i], (uint32_t)i);
	}
	ww_acquire_init(&ticket, &reservation_ww_class);
	/* C is in the caller's working set: never a victim. */
	assert_int_equal(dma_resv_lock(bos[2]->base.resv, &ticket), 0);
	assert_int_equal(dma_resv_lock(bos[4]->base.resv, &ticket), 0);
	assert_int_equal(dma_resv_lock(bos[5]->base.resv, &ticket), 0);
	assert_int_equal(sim_bo_validate(bos[4], SIM_PL_MASK_VRAM, &op), 0);	/* evicts D */
	assert_int_equal(sim_bo_validate(bos[5], SIM_PL_MASK_VRAM, &op), -ENOSPC);
	assert_int_equal(sim_bo_placement(bos[5]), SIM_PL_SYSTEM);
	/* Falling back to SYSTEM is allowed when asked for. */
	assert_int_equal(sim_bo_validate(bos[5], SIM_PL_MASK_ALL, &op), 0);
	dma_resv_unlock(bos[5]->base.resv);
	dma_resv_unlock(bos[4]->base.resv);
	dma_resv_unlock(bos[2]->base.resv);
	ww_acquire_fini(&ticket);
	assert_int_equal(op.evictions, 1);
	expect_placements(bos, want, 6);
	for (int i = 0; i < 2; i++) {
		st_lock(bos[i]);
		assert_int_equal(sim_bo_unpin(bos[i]), 0);
		st_unlock(bos[i]);
	}
	put_bos(bos, 6);
	sim_device_destroy(dev);
}

static void test_evict_enospc_when_all_pinned(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	static const enum sim_placement want[4] = {
		SIM_PL_VRAM, SIM_PL_VRAM, SIM_PL_VRAM, SIM_PL_VRAM,
	};
	struct sim_op_ctx op = { 0 };
	struct sim_bo *bos[4], *extra;

	vram_bos(dev, bos, 4, BO_PAGES);
	for (int i = 0; i < 4; i++) {
		st_lock(bos[i]);
		assert_int_equal(sim_bo_pin(bos[i]), 0);
		st_unlock(bos[i]);
	}
	extra = st_bo(dev, PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	assert_int_equal(sim_evict_for(dev, PAGE, &op), -ENOSPC);
	assert_int_equal(sim_evict_for(dev, 0, &op), -EINVAL);
	assert_int_equal(sim_evict_for(dev, 17 * PAGE, &op), -EINVAL);
	st_lock(extra);
	assert_int_equal(sim_bo_validate(extra, SIM_PL_MASK_VRAM, &op), -ENOSPC);
	st_unlock(extra);
	assert_int_equal(sim_shrink(dev, 16 * PAGE), 0);
	expect_placements(bos, want, 4);
	assert_int_equal(stats(dev).evictions, 0);
	assert_int_equal(sim_bo_placement(extra), SIM_PL_SYSTEM);
	for (int i = 0; i < 4; i++) {
		st_lock(bos[i]);
		assert_int_equal(sim_bo_unpin(bos[i]), 0);
		st_unlock(bos[i]);
	}
	/* no_evict: fail rather than evict */
	op.no_evict = true;
	st_lock(extra);
	assert_int_equal(sim_bo_validate(extra, SIM_PL_MASK_VRAM, &op), -ENOSPC);
	st_unlock(extra);
	sim_bo_put(extra);
	put_bos(bos, 4);
	sim_device_destroy(dev);
}

/* Fragmented VRAM: evict in LRU order until one range is large enough. */
static void test_evict_for_fragmented(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	static const enum sim_placement want[8] = {
		SIM_PL_SYSTEM, SIM_PL_SYSTEM, SIM_PL_SYSTEM, SIM_PL_SYSTEM,
		SIM_PL_VRAM, SIM_PL_VRAM, SIM_PL_VRAM, SIM_PL_VRAM,
	};
	struct sim_op_ctx op = { 0 };
	struct sim_bo *bos[8];

	vram_bos(dev, bos, 8, 2);
	assert_int_equal(sim_evict_for(dev, 8 * PAGE, &op), 0);
	assert_int_equal(op.evictions, 4);
	expect_placements(bos, want, 8);
	/* Enough room already: nothing more. */
	assert_int_equal(sim_evict_for(dev, 5 * PAGE, &op), 0);
	assert_int_equal(op.evictions, 4);
	put_bos(bos, 8);
	sim_device_destroy(dev);
}

/* A helper thread that holds a BO's lock under its own ticket. */
struct holder {
	struct sim_bo *bo;
	long hold_ms;		/* after being released to go, hold this long */
	bool ticket;		/* lock with an acquire context */
	int go, locked;		/* atomic handshakes */
};

static void *holder_main(void *arg)
{
	struct holder *h = arg;
	struct ww_acquire_ctx ctx;

	if (h->ticket)
		ww_acquire_init(&ctx, &reservation_ww_class);
	if (dma_resv_lock(h->bo->base.resv, h->ticket ? &ctx : NULL))
		abort();	/* holding nothing else: cannot fail */
	__atomic_store_n(&h->locked, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&h->go, __ATOMIC_ACQUIRE))
		sleep_ms(1);
	sleep_ms(h->hold_ms);
	dma_resv_unlock(h->bo->base.resv);
	if (h->ticket)
		ww_acquire_fini(&ctx);
	return NULL;
}

static void holder_start(struct holder *h, pthread_t *t)
{
	assert_int_equal(pthread_create(t, NULL, holder_main, h), 0);
	while (!__atomic_load_n(&h->locked, __ATOMIC_ACQUIRE))
		sleep_ms(1);
}

/* The only victim is held by an older ticket: the caller, younger and
 * holding its own BO, must back off: -EDEADLK with nothing done. */
static void test_evict_edeadlk_from_older_holder(void **state)
{
	struct sim_device *dev = st_device(4 * PAGE, 0, 0);
	struct sim_bo *victim[1], *mine = st_bo(dev, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct holder h = { .hold_ms = 20, .ticket = true };
	struct ww_acquire_ctx ticket;
	struct sim_op_ctx op = { .ticket = &ticket };
	pthread_t t;

	vram_bos(dev, victim, 1, 4);
	st_bo_fill_pattern(mine, 1);
	h.bo = victim[0];
	holder_start(&h, &t);			/* its ticket is the older */
	ww_acquire_init(&ticket, &reservation_ww_class);
	assert_int_equal(dma_resv_lock(mine->base.resv, &ticket), 0);
	assert_int_equal(sim_bo_validate(mine, SIM_PL_MASK_VRAM, &op), -EDEADLK);
	assert_ptr_equal(op.contended, victim[0]);
	/* Nothing half-done. */
	assert_int_equal(sim_bo_placement(mine), SIM_PL_SYSTEM);
	assert_int_equal(sim_bo_placement(victim[0]), SIM_PL_VRAM);
	assert_int_equal(stats(dev).migrations, 1);
	assert_int_equal(stats(dev).vram_used, 4 * PAGE);

	/* Back off as a driver would: drop everything, wait for the
	 * contended lock, let it go, relock and retry. */
	dma_resv_unlock(mine->base.resv);
	__atomic_store_n(&h.go, 1, __ATOMIC_RELEASE);
	dma_resv_lock_slow(op.contended->base.resv, &ticket);
	dma_resv_unlock(op.contended->base.resv);
	sim_op_ctx_fini(&op);
	assert_null(op.contended);
	assert_int_equal(dma_resv_lock(mine->base.resv, &ticket), 0);
	assert_int_equal(sim_bo_validate(mine, SIM_PL_MASK_VRAM, &op), 0);
	dma_resv_unlock(mine->base.resv);
	ww_acquire_fini(&ticket);
	pthread_join(t, NULL);
	st_wait_bo_idle(mine);
	assert_int_equal(sim_bo_placement(mine), SIM_PL_VRAM);
	assert_int_equal(sim_bo_placement(victim[0]), SIM_PL_SYSTEM);
	assert_true(st_bo_check_pattern(mine, 1));
	assert_true(st_bo_check_pattern(victim[0], 0));
	sim_bo_put(mine);
	put_bos(victim, 1);
	sim_device_destroy(dev);
}

/* Held by a younger ticket (or none): the older caller waits its turn,
 * then evicts. */
static void test_evict_waits_for_younger_holder(void **state)
{
	struct sim_device *dev = st_device(4 * PAGE, 0, 0);
	struct sim_bo *victim[1], *mine = st_bo(dev, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct holder h = { .hold_ms = 50, .ticket = true };
	struct ww_acquire_ctx ticket;
	struct sim_op_ctx op = { .ticket = &ticket };
	int64_t start;
	pthread_t t;

	vram_bos(dev, victim, 1, 4);
	h.bo = victim[0];
	ww_acquire_init(&ticket, &reservation_ww_class);	/* ours is the older */
	assert_int_equal(dma_resv_lock(mine->base.resv, &ticket), 0);
	holder_start(&h, &t);
	start = now_ns();	/* before go: the hold cannot end earlier */
	__atomic_store_n(&h.go, 1, __ATOMIC_RELEASE);
	assert_int_equal(sim_bo_validate(mine, SIM_PL_MASK_VRAM, &op), 0);
	assert_true(now_ns() - start >= 40 * MS);
	dma_resv_unlock(mine->base.resv);
	ww_acquire_fini(&ticket);
	pthread_join(t, NULL);
	assert_int_equal(op.evictions, 1);
	st_wait_bo_idle(victim[0]);
	assert_int_equal(sim_bo_placement(victim[0]), SIM_PL_SYSTEM);
	assert_true(st_bo_check_pattern(victim[0], 0));
	sim_bo_put(mine);
	put_bos(victim, 1);
	sim_device_destroy(dev);
}

struct interrupter {
	struct resv_thread *target;
	long after_ms;
};

static void *interrupter_main(void *arg)
{
	struct interrupter *i = arg;

	sleep_ms(i->after_ms);
	resv_thread_interrupt(i->target);
	return NULL;
}

static void test_evict_interruptible(void **state)
{
	struct sim_device *dev = st_device(4 * PAGE, 0, 0);
	struct sim_bo *victim[1], *mine = st_bo(dev, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct holder h = { .hold_ms = 100, .ticket = true };
	struct interrupter in = { .target = resv_thread_self(), .after_ms = 20 };
	struct ww_acquire_ctx ticket;
	struct sim_op_ctx op = { .ticket = &ticket, .interruptible = true };
	pthread_t t, ti;

	vram_bos(dev, victim, 1, 4);
	h.bo = victim[0];
	ww_acquire_init(&ticket, &reservation_ww_class);
	assert_int_equal(dma_resv_lock(mine->base.resv, &ticket), 0);
	holder_start(&h, &t);
	assert_int_equal(pthread_create(&ti, NULL, interrupter_main, &in), 0);
	assert_int_equal(sim_bo_validate(mine, SIM_PL_MASK_VRAM, &op), -EINTR);
	assert_int_equal(sim_bo_placement(mine), SIM_PL_SYSTEM);
	pthread_join(ti, NULL);
	assert_true(resv_thread_clear_interrupt());
	dma_resv_unlock(mine->base.resv);
	ww_acquire_fini(&ticket);
	__atomic_store_n(&h.go, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_int_equal(sim_bo_placement(victim[0]), SIM_PL_VRAM);
	sim_bo_put(mine);
	put_bos(victim, 1);
	sim_device_destroy(dev);
}

static void test_shrink_skips_locked(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	static const enum sim_placement want[4] = {
		SIM_PL_SYSTEM, SIM_PL_VRAM, SIM_PL_SYSTEM, SIM_PL_SYSTEM,
	};
	struct holder h = { .hold_ms = 0 };
	struct sim_bo *bos[4];
	pthread_t t;

	vram_bos(dev, bos, 4, BO_PAGES);
	h.bo = bos[1];
	holder_start(&h, &t);	/* B locked by someone else: skipped, not waited for */
	assert_int_equal(sim_shrink(dev, 16 * PAGE), 12 * PAGE);
	__atomic_store_n(&h.go, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	expect_placements(bos, want, 4);
	assert_int_equal(stats(dev).shrinker_evictions, 3);
	assert_int_equal(stats(dev).evictions, 3);
	assert_int_equal(stats(dev).vram_used, 4 * PAGE);
	put_bos(bos, 4);
	sim_device_destroy(dev);
}

static void test_shrink_target(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	static const enum sim_placement want[4] = {
		SIM_PL_VRAM, SIM_PL_VRAM, SIM_PL_SYSTEM, SIM_PL_VRAM,
	};
	struct sim_bo *bos[4];

	vram_bos(dev, bos, 4, BO_PAGES);
	st_lock(bos[0]);
	assert_int_equal(sim_bo_pin(bos[0]), 0);
	st_unlock(bos[0]);
	sim_bo_lru_touch(bos[1]);
	/* A pinned, B touched: C is the least recently used candidate. */
	assert_int_equal(sim_shrink(dev, 1), BO_PAGES * PAGE);
	expect_placements(bos, want, 4);
	assert_int_equal(sim_shrink(dev, 0), 0);
	st_lock(bos[0]);
	assert_int_equal(sim_bo_unpin(bos[0]), 0);
	st_unlock(bos[0]);
	put_bos(bos, 4);
	sim_device_destroy(dev);
}

struct signaller {
	struct dma_fence *fence;
	long after_ms;
};

static void *signaller_main(void *arg)
{
	struct signaller *s = arg;

	sleep_ms(s->after_ms);
	st_fence_signal(s->fence, 0);
	return NULL;
}

/* The room is taken by a range whose move is still copying: nothing is on
 * the VRAM LRU, so the allocator waits for that move. */
static void test_evict_waits_for_pending_release(void **state)
{
	struct sim_device *dev = st_device(8 * PAGE, 0, 0);
	struct sim_bo *a[1], *b = st_bo(dev, 8 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct signaller s = { .fence = st_fence_new(), .after_ms = 50 };
	struct sim_op_ctx op = { 0 };
	int64_t start;
	pthread_t t;

	vram_bos(dev, a, 1, 8);
	st_lock(a[0]);
	assert_int_equal(dma_resv_reserve_fences(a[0]->base.resv, 1), 0);
	dma_resv_add_fence(a[0]->base.resv, s.fence, DMA_RESV_USAGE_BOOKKEEP);
	assert_int_equal(sim_bo_move(a[0], SIM_PL_SYSTEM, &op), 0);
	st_unlock(a[0]);
	assert_int_equal(stats(dev).vram_used, 8 * PAGE);

	start = now_ns();	/* before the signaller can start its clock */
	assert_int_equal(pthread_create(&t, NULL, signaller_main, &s), 0);
	st_lock(b);
	assert_int_equal(sim_bo_validate(b, SIM_PL_MASK_VRAM, &op), 0);
	st_unlock(b);
	assert_true(now_ns() - start >= 40 * MS);
	assert_int_equal(op.evictions, 0);
	pthread_join(t, NULL);
	st_wait_bo_idle(b);
	assert_true(st_bo_check_pattern(a[0], 0));
	dma_fence_put(s.fence);
	sim_bo_put(b);
	put_bos(a, 1);
	sim_device_destroy(dev);
}

/* Allocation fails at every point of a validate that must evict: -ENOMEM,
 * the BO unchanged; a victim is either untouched or fully evicted; data
 * and VRAM accounting stay consistent. */
static void test_evict_enomem(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	struct sim_bo *bos[5];
	unsigned long n;
	int ret;

	vram_bos(dev, bos, 4, BO_PAGES);
	bos[4] = st_bo(dev, BO_PAGES * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	st_bo_fill_pattern(bos[4], 4);
	for (n = 1;; n++) {
		struct sim_op_ctx op = { 0 };
		uint64_t in_vram = 0;

		st_lock(bos[4]);
		resv_alloc_fail_nth(n);
		ret = sim_bo_validate(bos[4], SIM_PL_MASK_VRAM, &op);
		resv_alloc_fail_nth(0);
		st_unlock(bos[4]);
		for (int i = 0; i < 5; i++) {
			st_wait_bo_idle(bos[i]);
			if (sim_bo_placement(bos[i]) == SIM_PL_VRAM)
				in_vram += bos[i]->base.size;
			assert_true(st_bo_check_pattern(bos[i], (uint32_t)i));
		}
		assert_int_equal(stats(dev).vram_used, in_vram);
		if (!ret)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(sim_bo_placement(bos[4]), SIM_PL_SYSTEM);
	}
	assert_true(n > 3);
	assert_int_equal(sim_bo_placement(bos[4]), SIM_PL_VRAM);
	put_bos(bos, 5);
	sim_device_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evict_lru_victim_with_ticket),
		cmocka_unit_test(test_evict_skips_pinned_and_own),
		cmocka_unit_test(test_evict_enospc_when_all_pinned),
		cmocka_unit_test(test_evict_for_fragmented),
		cmocka_unit_test(test_evict_edeadlk_from_older_holder),
		cmocka_unit_test(test_evict_waits_for_younger_holder),
		cmocka_unit_test(test_evict_interruptible),
		cmocka_unit_test(test_shrink_skips_locked),
		cmocka_unit_test(test_shrink_target),
		cmocka_unit_test(test_evict_waits_for_pending_release),
		cmocka_unit_test(test_evict_enomem),
		cmocka_unit_test(test_evict_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
