/* SPDX-License-Identifier: MIT */
/*
 * Life and locking: the header's overview loop, init/fini, lock/trylock with and
 * without a context, and the exact assert_held.
 */
#include "resv_test.h"

/* The DOC: Overview loop of <resv/dma-resv.h>, verbatim: it must compile and work. */
int publish_write(struct dma_resv *obj, struct dma_fence *job_fence);
long wait_for_writers(struct dma_resv *obj);

// Publish @job_fence as a write of the buffer guarded by @obj.
int publish_write(struct dma_resv *obj, struct dma_fence *job_fence)
{
	struct ww_acquire_ctx ctx;
	int ret;

	ww_acquire_init(&ctx, &reservation_ww_class);
	ret = dma_resv_lock(obj, &ctx);        // 0, -EDEADLK, -EALREADY
	if (ret)
		goto out_fini;
	ret = dma_resv_reserve_fences(obj, 1); // 0 or -ENOMEM
	if (!ret)                              // cannot fail now
		dma_resv_add_fence(obj, job_fence, DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(obj);
out_fini:
	ww_acquire_fini(&ctx);
	return ret;
}

// Wait, without the lock, until nobody writes the buffer any more.
long wait_for_writers(struct dma_resv *obj)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	unsigned int pending = 0;

	dma_resv_iter_begin(&cursor, obj, DMA_RESV_USAGE_WRITE);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		if (dma_resv_iter_is_restarted(&cursor))
			pending = 0;            // the list changed: recount
		pending++;
	}
	dma_resv_iter_end(&cursor);
	if (!pending)
		return 1;
	// 1 s; > 0 done, 0 timed out, -RESV_ERESTARTSYS interrupted
	return dma_resv_wait_timeout(obj, DMA_RESV_USAGE_WRITE, true,
				     1000000000L);
}

void test_dma_resv_overview_loop(void **state)
{
	uint64_t before = live_bytes();
	struct dma_resv obj;
	struct dma_fence *f = fence_new(dma_fence_context_alloc(1), 1);

	dma_resv_init(&obj);
	assert_int_equal(wait_for_writers(&obj), 1);
	assert_int_equal(publish_write(&obj, f), 0);
	assert_int_equal(refs(f), 2);
	dma_fence_signal(f);
	assert_true(wait_for_writers(&obj) > 0);
	dma_fence_put(f);
	dma_resv_fini(&obj);
	assert_int_equal(live_bytes(), before);
}

void test_dma_resv_init_fini_puts_fences(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(3);
	struct dma_fence *f[3];
	struct dma_resv obj;

	dma_resv_init(&obj);
	assert_false(dma_resv_is_locked(&obj));
	assert_true(dma_resv_test_signaled(&obj, DMA_RESV_USAGE_BOOKKEEP));
	lock_obj(&obj);
	assert_int_equal(dma_resv_reserve_fences(&obj, 3), 0);
	for (int i = 0; i < 3; i++) {
		f[i] = fence_new(ctx + i, 1);
		dma_resv_add_fence(&obj, f[i], (enum dma_resv_usage)i);
		assert_int_equal(refs(f[i]), 2);
	}
	dma_resv_unlock(&obj);
	dma_resv_fini(&obj);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(refs(f[i]), 1);
		dma_fence_put(f[i]);
	}
	assert_int_equal(live_bytes(), before);
}

void test_dma_resv_lock_unlock_trylock_ctx(void **state)
{
	struct dma_resv obj, other;
	struct ww_acquire_ctx ctx;

	assert_int_equal(reservation_ww_class.is_wait_die, 1);
	dma_resv_init(&obj);
	dma_resv_init(&other);

	lock_obj(&obj);
	assert_true(dma_resv_is_locked(&obj));
	assert_true(dma_resv_held(&obj));
	assert_false(dma_resv_held(&other));
	assert_null(dma_resv_locking_ctx(&obj));
	assert_false(dma_resv_trylock(&obj));	/* held, by us too */
	dma_resv_unlock(&obj);
	assert_false(dma_resv_is_locked(&obj));
	assert_false(dma_resv_held(&obj));

	assert_true(dma_resv_trylock(&obj));
	assert_true(dma_resv_held(&obj));
	assert_null(dma_resv_locking_ctx(&obj));
	dma_resv_unlock(&obj);

	ww_acquire_init(&ctx, &reservation_ww_class);
	assert_int_equal(dma_resv_lock(&obj, &ctx), 0);
	assert_ptr_equal(dma_resv_locking_ctx(&obj), &ctx);
	assert_int_equal(dma_resv_lock(&obj, &ctx), -EALREADY);
	assert_int_equal(dma_resv_lock_interruptible(&other, &ctx), 0);
	assert_ptr_equal(dma_resv_locking_ctx(&other), &ctx);
	assert_true(dma_resv_held(&obj));
	assert_true(dma_resv_held(&other));
	assert_int_equal(ctx.acquired, 2);
	dma_resv_unlock(&other);
	dma_resv_unlock(&obj);
	assert_int_equal(ctx.acquired, 0);
	dma_resv_lock_slow(&obj, &ctx);
	assert_ptr_equal(dma_resv_locking_ctx(&obj), &ctx);
	dma_resv_unlock(&obj);
	assert_int_equal(dma_resv_lock_slow_interruptible(&obj, &ctx), 0);
	dma_resv_unlock(&obj);
	ww_acquire_fini(&ctx);
	assert_null(dma_resv_locking_ctx(&obj));

	dma_resv_fini(&other);
	dma_resv_fini(&obj);
}

/* Another thread holds the object until told to let go. */
struct holder {
	pthread_t thread;
	struct dma_resv *obj;
	struct ww_acquire_ctx ctx;
	bool use_ctx;
	int locked;	/* atomic */
	int release;	/* atomic */
	bool held_by_holder;
};

static void *holder_main(void *arg)
{
	struct holder *h = arg;

	if (h->use_ctx) {
		ww_acquire_init(&h->ctx, &reservation_ww_class);
		if (dma_resv_lock(h->obj, &h->ctx))
			return NULL;
	} else if (dma_resv_lock(h->obj, NULL)) {
		return NULL;
	}
	h->held_by_holder = dma_resv_held(h->obj);
	__atomic_store_n(&h->locked, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&h->release, __ATOMIC_ACQUIRE))
		sleep_ms(1);
	dma_resv_unlock(h->obj);
	if (h->use_ctx)
		ww_acquire_fini(&h->ctx);
	return NULL;
}

void test_dma_resv_assert_held_exact(void **state)
{
	bool checks = resv_report_checks_enabled();
	struct dma_resv obj, other;
	struct holder h;

	dma_resv_init(&obj);
	dma_resv_init(&other);

	/* Unlocked: not held, reported. */
	dma_resv_assert_held(&obj);
	assert_int_equal(not_held_reports, checks ? 1 : 0);

	/* Held by me: silent. */
	lock_obj(&obj);
	dma_resv_assert_held(&obj);
	assert_int_equal(not_held_reports, checks ? 1 : 0);
	/* Another object of the same class held: still not this one. */
	dma_resv_assert_held(&other);
	assert_int_equal(not_held_reports, checks ? 2 : 0);
	dma_resv_unlock(&obj);

	/* Another thread holds it, with and without a context. */
	for (int use_ctx = 0; use_ctx < 2; use_ctx++) {
		int before = not_held_reports;

		memset(&h, 0, sizeof(h));
		h.obj = &obj;
		h.use_ctx = use_ctx;
		assert_int_equal(pthread_create(&h.thread, NULL, holder_main, &h), 0);
		while (!__atomic_load_n(&h.locked, __ATOMIC_ACQUIRE))
			sleep_ms(1);
		assert_true(dma_resv_is_locked(&obj));
		assert_false(dma_resv_held(&obj));
		if (use_ctx)
			assert_ptr_equal(dma_resv_locking_ctx(&obj), &h.ctx);
		assert_false(dma_resv_trylock(&obj));
		dma_resv_assert_held(&obj);
		/* A locked-only function called without the lock reports too. */
		dma_resv_replace_fences(&obj, 12345, NULL, DMA_RESV_USAGE_KERNEL);
		assert_int_equal(not_held_reports, before + (checks ? 2 : 0));
		__atomic_store_n(&h.release, 1, __ATOMIC_RELEASE);
		pthread_join(h.thread, NULL);
		assert_true(h.held_by_holder);
	}
	assert_false(dma_resv_is_locked(&obj));

	dma_resv_fini(&other);
	dma_resv_fini(&obj);
}
