/* SPDX-License-Identifier: MIT */
/*
 * dma_resv: the invariants of reference/kernel-api.md §3.5 with exact return
 * values — locking and exact held-ness, usage queries, the non-cumulative
 * reserve, the replacement rule, replace/copy/get/singleton, waits, the
 * unlocked iterator's restart, readers racing a writer, and allocation
 * failure at every allocation site. Worker threads only record; the main
 * thread asserts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <resv/resv.h>

#include "internal/dma-resv.h"

#include <resv/dma-fence-array.h>

#define MS (1000L * 1000L)

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * MS };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* ---- fences ------------------------------------------------------------------ */

static const char *tf_driver(struct dma_fence *f) { return "test"; }
static const char *tf_timeline(struct dma_fence *f) { return "tl"; }

static int deadline_calls;
static int64_t last_deadline;

static void tf_set_deadline(struct dma_fence *f, int64_t deadline)
{
	__atomic_add_fetch(&deadline_calls, 1, __ATOMIC_RELAXED);
	last_deadline = deadline;
}

/* No release: allocated with resv_dma_fence_alloc(), freed after RCU. */
static const struct dma_fence_ops heap_ops = {
	.get_driver_name = tf_driver,
	.get_timeline_name = tf_timeline,
	.set_deadline = tf_set_deadline,
};

static struct resv_spinlock test_lock = RESV_SPINLOCK_INITIALIZER;

static struct dma_fence *fence_new(uint64_t ctx, uint64_t seqno)
{
	struct dma_fence *f = resv_dma_fence_alloc(sizeof(*f));

	assert_non_null(f);
	dma_fence_init(f, &heap_ops, &test_lock, ctx, seqno);
	return f;
}

static long refs(struct dma_fence *f)
{
	return __atomic_load_n(&f->refcount.refcount, __ATOMIC_RELAXED);
}

static uint64_t live_bytes(void)
{
	struct resv_alloc_stats st;

	resv_rcu_barrier();
	resv_alloc_get_stats(&st);
	return st.live_bytes;
}

static uint64_t allocations(void)
{
	struct resv_alloc_stats st;

	resv_alloc_get_stats(&st);
	return st.allocations;
}

/* What a dma_resv_get_fences() caller does with the result. */
static void fences_free(struct dma_fence **fences, unsigned int num)
{
	for (unsigned int i = 0; i < num; i++)
		dma_fence_put(fences[i]);
	resv_dma_fence_array_free_fences(fences);
}

static void slots(struct dma_resv *obj, unsigned int *num, unsigned int *max)
{
	unsigned int cap;

	resv__dma_resv_slots(obj, num, max, &cap);
}

static unsigned int num_entries(struct dma_resv *obj)
{
	unsigned int num, max;

	slots(obj, &num, &max);
	return num;
}

/* Locked walk: how many entries with usage <= @usage, and is @f among them. */
static unsigned int count_locked(struct dma_resv *obj, enum dma_resv_usage usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *f;
	unsigned int n = 0;

	dma_resv_for_each_fence(&cursor, obj, usage, f)
		n++;
	return n;
}

static bool has_entry(struct dma_resv *obj, struct dma_fence *fence, enum dma_resv_usage usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *f;

	dma_resv_for_each_fence(&cursor, obj, DMA_RESV_USAGE_BOOKKEEP, f)
		if (f == fence && dma_resv_iter_usage(&cursor) == usage)
			return true;
	return false;
}

static unsigned int count_unlocked(struct dma_resv *obj, enum dma_resv_usage usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *f;
	unsigned int n = 0;

	dma_resv_iter_begin(&cursor, obj, usage);
	dma_resv_for_each_fence_unlocked(&cursor, f) {
		if (dma_resv_iter_is_restarted(&cursor))
			n = 0;
		n++;
	}
	dma_resv_iter_end(&cursor);
	return n;
}

static void lock_obj(struct dma_resv *obj)
{
	assert_int_equal(dma_resv_lock(obj, NULL), 0);
}

/* Lock, reserve one slot, add, unlock. */
static void add_one(struct dma_resv *obj, struct dma_fence *f, enum dma_resv_usage usage)
{
	lock_obj(obj);
	assert_int_equal(dma_resv_reserve_fences(obj, 1), 0);
	dma_resv_add_fence(obj, f, usage);
	dma_resv_unlock(obj);
}

/* ---- report hook ------------------------------------------------------------------ */

static int not_held_reports, misuse_reports;

static void count_reports(const struct resv_report *r, void *arg)
{
	if (r->kind == RESV_REPORT_RESV_NOT_HELD)
		__atomic_add_fetch(&not_held_reports, 1, __ATOMIC_RELAXED);
	else if (r->kind == RESV_REPORT_FENCE_MISUSE)
		__atomic_add_fetch(&misuse_reports, 1, __ATOMIC_RELAXED);
}

static int setup_reports(void **state)
{
	not_held_reports = 0;
	misuse_reports = 0;
	resv_report_set_hook(count_reports, NULL);
	return 0;
}

static int teardown_reports(void **state)
{
	resv_report_set_hook(NULL, NULL);
	return 0;
}

/* ================================================================================ */

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

static void test_dma_resv_overview_loop(void **state)
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

static void test_dma_resv_init_fini_puts_fences(void **state)
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

static void test_dma_resv_lock_unlock_trylock_ctx(void **state)
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

static void test_dma_resv_assert_held_exact(void **state)
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

static void test_dma_resv_usage_query_semantics(void **state)
{
	uint64_t ctx = dma_fence_context_alloc(4);
	struct dma_resv obj;
	struct dma_fence *f[4];

	assert_int_equal(dma_resv_usage_rw(true), DMA_RESV_USAGE_READ);
	assert_int_equal(dma_resv_usage_rw(false), DMA_RESV_USAGE_WRITE);
	assert_true(DMA_RESV_USAGE_KERNEL < DMA_RESV_USAGE_WRITE &&
		    DMA_RESV_USAGE_WRITE < DMA_RESV_USAGE_READ &&
		    DMA_RESV_USAGE_READ < DMA_RESV_USAGE_BOOKKEEP);

	dma_resv_init(&obj);
	lock_obj(&obj);
	assert_int_equal(dma_resv_reserve_fences(&obj, 4), 0);
	/* Added in reverse usage order so the list order is not the usage order. */
	for (int u = 3; u >= 0; u--) {
		f[u] = fence_new(ctx + u, 1);
		dma_resv_add_fence(&obj, f[u], (enum dma_resv_usage)u);
	}

	for (int q = 0; q < 4; q++) {
		struct dma_resv_iter cursor;
		struct dma_fence *fence, **got;
		unsigned int seen = 0, n;

		/* Locked walk: exactly the fences with usage <= q. */
		dma_resv_for_each_fence(&cursor, &obj, (enum dma_resv_usage)q, fence) {
			int u = (int)dma_resv_iter_usage(&cursor);

			assert_true(u <= q);
			assert_ptr_equal(fence, f[u]);
			seen |= 1u << u;
		}
		assert_int_equal(seen, (1u << (q + 1)) - 1);

		/* Unlocked walk, same answer. */
		seen = 0;
		dma_resv_iter_begin(&cursor, &obj, (enum dma_resv_usage)q);
		dma_resv_for_each_fence_unlocked(&cursor, fence) {
			int u = (int)dma_resv_iter_usage(&cursor);

			assert_true(u <= q);
			assert_ptr_equal(fence, f[u]);
			seen |= 1u << u;
		}
		dma_resv_iter_end(&cursor);
		assert_int_equal(seen, (1u << (q + 1)) - 1);

		assert_int_equal(dma_resv_get_fences(&obj, (enum dma_resv_usage)q, &n, &got), 0);
		assert_int_equal(n, q + 1);
		fences_free(got, n);
		assert_false(dma_resv_test_signaled(&obj, (enum dma_resv_usage)q));
	}

	/* Signal usage by usage: test_signaled(U) flips exactly when all <= U did. */
	for (int u = 0; u < 4; u++) {
		dma_fence_signal(f[u]);
		for (int q = 0; q < 4; q++)
			assert_int_equal(dma_resv_test_signaled(&obj, (enum dma_resv_usage)q), q <= u);
	}
	dma_resv_unlock(&obj);
	dma_resv_fini(&obj);
	for (int u = 0; u < 4; u++)
		dma_fence_put(f[u]);
}

static void test_dma_resv_reserve_not_cumulative(void **state)
{
	uint64_t ctx = dma_fence_context_alloc(8);
	unsigned int num, max;
	struct dma_fence *f[5];
	struct dma_resv obj;
	uint64_t allocs;

	dma_resv_init(&obj);
	lock_obj(&obj);
	assert_int_equal(dma_resv_reserve_fences(&obj, 0), -EINVAL);
	assert_int_equal(misuse_reports, resv_report_checks_enabled() ? 1 : 0);

	assert_int_equal(dma_resv_reserve_fences(&obj, 1), 0);
	slots(&obj, &num, &max);
	assert_int_equal(num, 0);
	assert_int_equal(max, 4);	/* at least 4 */
	allocs = allocations();
	assert_int_equal(dma_resv_reserve_fences(&obj, 1), 0);
	assert_int_equal(dma_resv_reserve_fences(&obj, 4), 0);
	assert_int_equal(allocations(), allocs);	/* 0 + 4 <= 4: nothing to do */
	slots(&obj, &num, &max);
	assert_int_equal(max, 4);

	for (int i = 0; i < 3; i++) {
		f[i] = fence_new(ctx + i, 1);
		dma_resv_add_fence(&obj, f[i], DMA_RESV_USAGE_READ);
	}
	/* 3 used + 1 <= 4: reserving 1 again (not 1 more than before) is free. */
	allocs = allocations();
	assert_int_equal(dma_resv_reserve_fences(&obj, 1), 0);
	assert_int_equal(allocations(), allocs);
	/* 3 + 2 > 4: grow to max(5, 2 * 4). */
	assert_int_equal(dma_resv_reserve_fences(&obj, 2), 0);
	slots(&obj, &num, &max);
	assert_int_equal(num, 3);
	assert_int_equal(max, 8);
	for (int i = 3; i < 5; i++) {
		f[i] = fence_new(ctx + i, 1);
		dma_resv_add_fence(&obj, f[i], DMA_RESV_USAGE_READ);
	}
	/* Growing drops signaled fences from the new list. */
	dma_fence_signal(f[0]);
	dma_fence_signal(f[1]);
	assert_int_equal(dma_resv_reserve_fences(&obj, 20), 0);
	slots(&obj, &num, &max);
	assert_int_equal(num, 3);
	assert_int_equal(max, 25);	/* max(3 + 20, 2 * 8) */
	assert_int_equal(refs(f[0]), 1);
	assert_int_equal(refs(f[1]), 1);
	assert_false(has_entry(&obj, f[0], DMA_RESV_USAGE_READ));
	assert_true(has_entry(&obj, f[4], DMA_RESV_USAGE_READ));
	dma_resv_unlock(&obj);
	assert_int_equal(misuse_reports, resv_report_checks_enabled() ? 1 : 0);

	dma_resv_fini(&obj);
	for (int i = 0; i < 5; i++)
		dma_fence_put(f[i]);
}

static void test_dma_resv_add_without_reserve_reported(void **state)
{
	uint64_t ctx = dma_fence_context_alloc(3);
	bool checks = resv_report_checks_enabled();
	struct dma_fence *a = fence_new(ctx, 1), *b = fence_new(ctx + 1, 1);
	struct dma_fence *c = fence_new(ctx + 2, 1);
	unsigned int num, max;
	struct dma_resv obj;

	dma_resv_init(&obj);
	lock_obj(&obj);
	/* No list at all: reported in every build, and the fence is still added. */
	dma_resv_add_fence(&obj, a, DMA_RESV_USAGE_WRITE);
	assert_int_equal(misuse_reports, 1);
	assert_true(has_entry(&obj, a, DMA_RESV_USAGE_WRITE));
	assert_int_equal(dma_resv_reserve_fences(&obj, 1), 0);
	dma_resv_add_fence(&obj, b, DMA_RESV_USAGE_WRITE);
	assert_int_equal(misuse_reports, 1);
	dma_resv_unlock(&obj);

	/* The reservation ended at unlock: in debug builds it is forgotten. */
	lock_obj(&obj);
	slots(&obj, &num, &max);
	assert_int_equal(num, 2);
	assert_int_equal(max, checks ? 2 : 4);
	dma_resv_add_fence(&obj, c, DMA_RESV_USAGE_READ);
	assert_int_equal(misuse_reports, checks ? 2 : 1);
	assert_true(has_entry(&obj, c, DMA_RESV_USAGE_READ));
	/* Re-reserving re-arms it without reallocating. */
	assert_int_equal(dma_resv_reserve_fences(&obj, 1), 0);
	slots(&obj, &num, &max);
	assert_int_equal(num, 3);
	assert_int_equal(max, 4);
	dma_resv_unlock(&obj);

	dma_resv_fini(&obj);
	dma_fence_put(a);
	dma_fence_put(b);
	dma_fence_put(c);
}

static void test_dma_resv_add_container_reported(void **state)
{
	uint64_t ctx = dma_fence_context_alloc(2);
	struct dma_fence *a = fence_new(ctx, 1), *b = fence_new(ctx + 1, 1), *array = NULL;
	struct dma_resv src, obj;

	dma_resv_init(&src);
	dma_resv_init(&obj);
	add_one(&src, a, DMA_RESV_USAGE_WRITE);
	add_one(&src, b, DMA_RESV_USAGE_WRITE);
	assert_int_equal(dma_resv_get_singleton(&src, DMA_RESV_USAGE_WRITE, &array), 0);
	assert_true(dma_fence_is_container(array));

	/* The kernel WARNs and adds it anyway; so do we, with a report. */
	add_one(&obj, array, DMA_RESV_USAGE_READ);
	assert_int_equal(misuse_reports, resv_report_checks_enabled() ? 1 : 0);
	assert_int_equal(count_unlocked(&obj, DMA_RESV_USAGE_READ), 1);
	add_one(&obj, a, DMA_RESV_USAGE_READ);	/* a plain fence: silent */
	assert_int_equal(misuse_reports, resv_report_checks_enabled() ? 1 : 0);

	dma_resv_fini(&obj);
	dma_resv_fini(&src);
	dma_fence_put(array);
	dma_fence_put(a);
	dma_fence_put(b);
}

static void test_dma_resv_add_replacement_rule(void **state)
{
	uint64_t x = dma_fence_context_alloc(1), y = dma_fence_context_alloc(1);
	uint64_t z = dma_fence_context_alloc(1);
	struct dma_fence *x1 = fence_new(x, 1), *x2 = fence_new(x, 2), *y1 = fence_new(y, 1);
	struct dma_fence *z1 = fence_new(z, 1), *z5 = fence_new(z, 5), *z3 = fence_new(z, 3);
	struct dma_fence *y2 = fence_new(y, 2);
	struct dma_resv obj;

	dma_resv_init(&obj);
	lock_obj(&obj);
	assert_int_equal(dma_resv_reserve_fences(&obj, 8), 0);

	/* Same context, later fence, same usage: replaced in place. */
	dma_resv_add_fence(&obj, x1, DMA_RESV_USAGE_WRITE);
	dma_resv_add_fence(&obj, x2, DMA_RESV_USAGE_WRITE);
	assert_int_equal(num_entries(&obj), 1);
	assert_true(has_entry(&obj, x2, DMA_RESV_USAGE_WRITE));
	assert_int_equal(refs(x1), 1);
	assert_int_equal(refs(x2), 2);

	/* Different context: appended. */
	dma_resv_add_fence(&obj, y1, DMA_RESV_USAGE_WRITE);
	assert_int_equal(num_entries(&obj), 2);

	/* Same context, older seqno: never replaces the newer one. */
	dma_resv_add_fence(&obj, z5, DMA_RESV_USAGE_READ);
	dma_resv_add_fence(&obj, z3, DMA_RESV_USAGE_READ);
	assert_int_equal(num_entries(&obj), 4);
	assert_true(has_entry(&obj, z5, DMA_RESV_USAGE_READ));
	assert_true(has_entry(&obj, z3, DMA_RESV_USAGE_READ));

	/* Same fence again with a lower usage: promoted in place. */
	dma_resv_add_fence(&obj, z5, DMA_RESV_USAGE_KERNEL);
	assert_int_equal(num_entries(&obj), 4);
	assert_true(has_entry(&obj, z5, DMA_RESV_USAGE_KERNEL));
	assert_false(has_entry(&obj, z5, DMA_RESV_USAGE_READ));
	assert_int_equal(refs(z5), 2);

	/* Same fence with a higher usage: never degraded, added again. */
	dma_resv_add_fence(&obj, x2, DMA_RESV_USAGE_BOOKKEEP);
	assert_int_equal(num_entries(&obj), 5);
	assert_true(has_entry(&obj, x2, DMA_RESV_USAGE_WRITE));
	assert_true(has_entry(&obj, x2, DMA_RESV_USAGE_BOOKKEEP));
	assert_int_equal(count_locked(&obj, DMA_RESV_USAGE_WRITE), 3);	/* x2, y1, z5 */

	/* A signaled fence's slot is recycled, whatever its context. */
	dma_fence_signal(y1);
	dma_resv_add_fence(&obj, z1, DMA_RESV_USAGE_BOOKKEEP);
	assert_int_equal(num_entries(&obj), 5);
	assert_false(has_entry(&obj, y1, DMA_RESV_USAGE_WRITE));
	assert_true(has_entry(&obj, z1, DMA_RESV_USAGE_BOOKKEEP));
	assert_int_equal(refs(y1), 1);

	/* Later fence of a context but weaker usage than the entry: appended. */
	dma_resv_add_fence(&obj, y2, DMA_RESV_USAGE_READ);
	assert_int_equal(num_entries(&obj), 6);
	dma_resv_unlock(&obj);

	dma_resv_fini(&obj);
	dma_fence_put(x1);
	dma_fence_put(x2);
	dma_fence_put(y1);
	dma_fence_put(y2);
	dma_fence_put(z1);
	dma_fence_put(z3);
	dma_fence_put(z5);
}

static void test_dma_resv_replace_fences(void **state)
{
	uint64_t x = dma_fence_context_alloc(1), y = dma_fence_context_alloc(1);
	uint64_t r = dma_fence_context_alloc(1);
	struct dma_fence *x1 = fence_new(x, 1), *x0 = fence_new(x, 0), *y1 = fence_new(y, 1);
	struct dma_fence *repl = fence_new(r, 1);
	struct dma_resv obj;

	dma_resv_init(&obj);
	lock_obj(&obj);
	assert_int_equal(dma_resv_reserve_fences(&obj, 3), 0);
	dma_resv_add_fence(&obj, x1, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_add_fence(&obj, x0, DMA_RESV_USAGE_BOOKKEEP);	/* older: appended */
	dma_resv_add_fence(&obj, y1, DMA_RESV_USAGE_READ);
	assert_int_equal(num_entries(&obj), 3);

	dma_resv_replace_fences(&obj, x, repl, DMA_RESV_USAGE_KERNEL);
	assert_int_equal(num_entries(&obj), 3);
	assert_int_equal(refs(x1), 1);
	assert_int_equal(refs(x0), 1);
	assert_int_equal(refs(repl), 3);
	assert_true(has_entry(&obj, repl, DMA_RESV_USAGE_KERNEL));
	assert_true(has_entry(&obj, y1, DMA_RESV_USAGE_READ));
	assert_int_equal(count_locked(&obj, DMA_RESV_USAGE_KERNEL), 2);
	/* A context with no entries: nothing happens. */
	dma_resv_replace_fences(&obj, x, y1, DMA_RESV_USAGE_KERNEL);
	assert_int_equal(refs(y1), 2);
	dma_resv_unlock(&obj);

	dma_resv_fini(&obj);
	assert_int_equal(refs(repl), 1);
	dma_fence_put(x1);
	dma_fence_put(x0);
	dma_fence_put(y1);
	dma_fence_put(repl);
}

static void test_dma_resv_locked_iter_includes_signaled(void **state)
{
	uint64_t ctx = dma_fence_context_alloc(2);
	struct dma_fence *a = fence_new(ctx, 1), *b = fence_new(ctx + 1, 1);
	struct dma_resv_iter cursor;
	struct dma_fence *f;
	struct dma_resv obj;
	int n = 0;

	dma_resv_init(&obj);
	add_one(&obj, a, DMA_RESV_USAGE_WRITE);
	add_one(&obj, b, DMA_RESV_USAGE_WRITE);
	dma_fence_signal(a);
	lock_obj(&obj);
	dma_resv_for_each_fence(&cursor, &obj, DMA_RESV_USAGE_WRITE, f) {
		assert_int_equal(dma_resv_iter_is_restarted(&cursor), n == 0);
		n++;
	}
	assert_int_equal(n, 2);
	dma_resv_unlock(&obj);
	assert_int_equal(count_unlocked(&obj, DMA_RESV_USAGE_BOOKKEEP), 1);
	dma_resv_fini(&obj);
	dma_fence_put(a);
	dma_fence_put(b);
}

static void test_dma_resv_get_fences_and_singleton(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(3);
	struct dma_fence *f[3], **got, *single = (struct dma_fence *)&ctx;
	unsigned int n = 99;
	struct dma_resv obj;

	dma_resv_init(&obj);
	assert_int_equal(dma_resv_get_fences(&obj, DMA_RESV_USAGE_BOOKKEEP, &n, &got), 0);
	assert_int_equal(n, 0);
	assert_null(got);
	assert_int_equal(dma_resv_get_singleton(&obj, DMA_RESV_USAGE_BOOKKEEP, &single), 0);
	assert_null(single);

	f[0] = fence_new(ctx, 1);
	add_one(&obj, f[0], DMA_RESV_USAGE_READ);
	assert_int_equal(dma_resv_get_singleton(&obj, DMA_RESV_USAGE_WRITE, &single), 0);
	assert_null(single);	/* READ is not <= WRITE */
	assert_int_equal(dma_resv_get_singleton(&obj, DMA_RESV_USAGE_READ, &single), 0);
	assert_ptr_equal(single, f[0]);
	assert_int_equal(refs(f[0]), 3);
	dma_fence_put(single);

	for (int i = 1; i < 3; i++) {
		f[i] = fence_new(ctx + i, 1);
		add_one(&obj, f[i], DMA_RESV_USAGE_WRITE);
	}
	assert_int_equal(dma_resv_get_fences(&obj, DMA_RESV_USAGE_BOOKKEEP, &n, &got), 0);
	assert_int_equal(n, 3);
	for (unsigned int i = 0; i < n; i++) {
		assert_ptr_equal(got[i], f[i]);
		assert_int_equal(refs(f[i]), 3);
	}
	fences_free(got, n);
	assert_int_equal(refs(f[1]), 2);

	assert_int_equal(dma_resv_get_singleton(&obj, DMA_RESV_USAGE_BOOKKEEP, &single), 0);
	assert_non_null(single);
	assert_true(dma_fence_is_array(single));
	assert_int_equal(to_dma_fence_array(single)->num_fences, 3);
	assert_true(single->context > ctx + 2);	/* a new context */
	assert_int_equal(single->seqno, 1);
	assert_int_equal(refs(f[1]), 3);
	/* Only the WRITE fences: still an array, of two. */
	{
		struct dma_fence *w = NULL;

		assert_int_equal(dma_resv_get_singleton(&obj, DMA_RESV_USAGE_WRITE, &w), 0);
		assert_true(dma_fence_is_array(w));
		assert_int_equal(to_dma_fence_array(w)->num_fences, 2);
		dma_fence_put(w);
	}
	dma_fence_signal(f[0]);
	dma_fence_signal(f[1]);
	assert_false(dma_fence_is_signaled(single));
	dma_fence_signal(f[2]);
	assert_true(dma_fence_is_signaled(single));
	dma_fence_put(single);
	assert_int_equal(dma_resv_get_fences(&obj, DMA_RESV_USAGE_BOOKKEEP, &n, &got), 0);
	assert_int_equal(n, 0);
	assert_null(got);
	dma_resv_fini(&obj);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(refs(f[i]), 1);
		dma_fence_put(f[i]);
	}
	assert_int_equal(live_bytes(), before);
}

static void test_dma_resv_copy_fences(void **state)
{
	uint64_t ctx = dma_fence_context_alloc(5);
	struct dma_fence *s[4], *old = fence_new(ctx + 4, 1);
	struct dma_resv src, dst, empty;

	dma_resv_init(&src);
	dma_resv_init(&dst);
	dma_resv_init(&empty);
	for (int i = 0; i < 4; i++) {
		s[i] = fence_new(ctx + i, 1);
		add_one(&src, s[i], (enum dma_resv_usage)i);
	}
	dma_fence_signal(s[2]);	/* signaled: not copied */
	add_one(&dst, old, DMA_RESV_USAGE_KERNEL);

	lock_obj(&dst);
	assert_int_equal(dma_resv_copy_fences(&dst, &src), 0);
	assert_int_equal(num_entries(&dst), 3);
	assert_true(has_entry(&dst, s[0], DMA_RESV_USAGE_KERNEL));
	assert_true(has_entry(&dst, s[1], DMA_RESV_USAGE_WRITE));
	assert_true(has_entry(&dst, s[3], DMA_RESV_USAGE_BOOKKEEP));
	assert_int_equal(refs(old), 1);	/* dst's old list dropped */
	assert_int_equal(refs(s[0]), 3);
	assert_int_equal(refs(s[2]), 2);
	/* The copy has no free slot: adding needs a reserve as usual. */
	assert_int_equal(dma_resv_reserve_fences(&dst, 1), 0);
	dma_resv_add_fence(&dst, old, DMA_RESV_USAGE_READ);
	assert_int_equal(num_entries(&dst), 4);

	/* Copying an empty object empties dst. */
	assert_int_equal(dma_resv_copy_fences(&dst, &empty), 0);
	assert_int_equal(num_entries(&dst), 0);
	assert_true(dma_resv_test_signaled(&dst, DMA_RESV_USAGE_BOOKKEEP));
	assert_int_equal(refs(s[0]), 2);
	dma_resv_unlock(&dst);

	dma_resv_fini(&empty);
	dma_resv_fini(&dst);
	dma_resv_fini(&src);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(refs(s[i]), 1);
		dma_fence_put(s[i]);
	}
	dma_fence_put(old);
}

struct signaller {
	pthread_t thread;
	struct dma_fence *fence;
	long delay_ms;
};

static void *signaller_main(void *arg)
{
	struct signaller *s = arg;

	sleep_ms(s->delay_ms);
	dma_fence_signal(s->fence);
	return NULL;
}

struct waiter {
	pthread_t thread;
	struct dma_resv *obj;
	struct resv_thread *self;	/* atomic */
	long ret;
	bool interrupted_after;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	__atomic_store_n(&w->self, resv_thread_self(), __ATOMIC_RELEASE);
	w->ret = dma_resv_wait_timeout(w->obj, DMA_RESV_USAGE_BOOKKEEP, true,
				       MAX_SCHEDULE_TIMEOUT);
	w->interrupted_after = resv_thread_clear_interrupt();
	return NULL;
}

static void test_dma_resv_wait_timeout(void **state)
{
	uint64_t ctx = dma_fence_context_alloc(2);
	struct dma_fence *w = fence_new(ctx, 1), *b = fence_new(ctx + 1, 1);
	struct signaller sig = { .fence = w, .delay_ms = 20 };
	struct waiter wt;
	struct dma_resv obj;
	int64_t t0;
	long ret;

	dma_resv_init(&obj);
	assert_int_equal(dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_BOOKKEEP, false, 0), 1);
	assert_int_equal(dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_BOOKKEEP, false, 5 * MS),
			 5 * MS);
	add_one(&obj, w, DMA_RESV_USAGE_WRITE);
	add_one(&obj, b, DMA_RESV_USAGE_BOOKKEEP);

	/* Poll. */
	assert_int_equal(dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_WRITE, false, 0), 0);
	assert_int_equal(dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_KERNEL, false, 0), 1);
	assert_int_equal(dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_WRITE, false, -1), -EINVAL);

	/* Time out. */
	t0 = now_ns();
	assert_int_equal(dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_WRITE, false, 20 * MS), 0);
	assert_true(now_ns() - t0 >= 20 * MS);

	/* Another thread signals; the BOOKKEEP fence does not matter for WRITE. */
	assert_int_equal(pthread_create(&sig.thread, NULL, signaller_main, &sig), 0);
	ret = dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_WRITE, false, 2000 * MS);
	pthread_join(sig.thread, NULL);
	assert_true(ret > 0 && ret < 2000 * MS);
	assert_true(dma_fence_is_signaled(w));
	assert_true(dma_resv_test_signaled(&obj, DMA_RESV_USAGE_READ));
	assert_false(dma_resv_test_signaled(&obj, DMA_RESV_USAGE_BOOKKEEP));
	assert_int_equal(dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_READ, true,
					       MAX_SCHEDULE_TIMEOUT), MAX_SCHEDULE_TIMEOUT);

	/* Interrupted: -RESV_ERESTARTSYS. */
	memset(&wt, 0, sizeof(wt));
	wt.obj = &obj;
	assert_int_equal(pthread_create(&wt.thread, NULL, waiter_main, &wt), 0);
	while (!__atomic_load_n(&wt.self, __ATOMIC_ACQUIRE))
		sleep_ms(1);
	sleep_ms(10);
	resv_thread_interrupt(__atomic_load_n(&wt.self, __ATOMIC_ACQUIRE));
	pthread_join(wt.thread, NULL);
	assert_int_equal(wt.ret, -RESV_ERESTARTSYS);
	assert_true(wt.interrupted_after);
	assert_false(dma_fence_is_signaled(b));

	dma_fence_signal(b);
	assert_int_equal(dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_BOOKKEEP, false, 0), 1);
	dma_resv_fini(&obj);
	dma_fence_put(w);
	dma_fence_put(b);
}

static void test_dma_resv_set_deadline_and_describe(void **state)
{
	uint64_t ctx = dma_fence_context_alloc(2);
	struct dma_fence *a = fence_new(ctx, 7), *b = fence_new(ctx + 1, 8);
	struct dma_resv obj;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	dma_resv_init(&obj);
	add_one(&obj, a, DMA_RESV_USAGE_WRITE);
	add_one(&obj, b, DMA_RESV_USAGE_BOOKKEEP);
	deadline_calls = 0;
	dma_resv_set_deadline(&obj, DMA_RESV_USAGE_WRITE, 12345);
	assert_int_equal(deadline_calls, 1);
	assert_int_equal(last_deadline, 12345);
	dma_resv_set_deadline(&obj, DMA_RESV_USAGE_BOOKKEEP, 777);
	assert_int_equal(deadline_calls, 3);

	dma_fence_signal(a);
	out = open_memstream(&text, &len);
	assert_non_null(out);
	lock_obj(&obj);
	dma_resv_describe(&obj, out);
	dma_resv_unlock(&obj);
	fclose(out);
	assert_string_equal(text, "\twrite fence: detached-driver signaled-timeline seq 7 signalled\n"
				  "\tbookkeep fence: test tl seq 8 unsignalled\n");
	free(text);

	dma_resv_fini(&obj);
	dma_fence_put(a);
	dma_fence_put(b);
}

/* A writer replacing the list mid-walk makes the walk restart; no duplicates after. */
/* A fence whose driver reports completion through ops->signaled. */
static bool hw_done;
static bool tf_signaled(struct dma_fence *f) { return hw_done; }
static const struct dma_fence_ops polled_ops = {
	.get_driver_name = tf_driver,
	.get_timeline_name = tf_timeline,
	.signaled = tf_signaled,
};

/*
 * test_signaled answers from the signaled bits without references, but a
 * fence with ops->signaled must still be asked, and signalled when it says
 * so, as dma_fence_is_signaled() does; references end where they started.
 */
static void test_dma_resv_test_signaled_asks_the_driver(void **state)
{
	struct dma_resv obj;
	struct dma_fence *plain = fence_new(dma_fence_context_alloc(1), 1);
	struct dma_fence *polled = resv_dma_fence_alloc(sizeof(*polled));

	assert_non_null(polled);
	dma_fence_init(polled, &polled_ops, &test_lock, dma_fence_context_alloc(1), 1);
	hw_done = false;
	dma_resv_init(&obj);
	assert_int_equal(dma_resv_lock(&obj, NULL), 0);
	assert_int_equal(dma_resv_reserve_fences(&obj, 2), 0);
	dma_resv_add_fence(&obj, plain, DMA_RESV_USAGE_READ);
	dma_resv_add_fence(&obj, polled, DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(&obj);

	assert_false(dma_resv_test_signaled(&obj, DMA_RESV_USAGE_WRITE));
	assert_false(dma_fence_test_signaled_flag(polled));
	hw_done = true;
	assert_true(dma_resv_test_signaled(&obj, DMA_RESV_USAGE_WRITE));
	assert_true(dma_fence_test_signaled_flag(polled));	/* signalled on the way */
	assert_false(dma_resv_test_signaled(&obj, DMA_RESV_USAGE_READ));	/* plain pending */
	assert_int_equal(refs(plain), 2);
	assert_int_equal(refs(polled), 2);
	dma_fence_signal(plain);
	assert_true(dma_resv_test_signaled(&obj, DMA_RESV_USAGE_BOOKKEEP));

	dma_resv_fini(&obj);
	dma_fence_put(plain);
	dma_fence_put(polled);
}

static void test_dma_resv_unlocked_iter_restart(void **state)
{
	uint64_t ctx = dma_fence_context_alloc(3);
	struct dma_fence *f[3], *seen[8], *fence;
	struct dma_resv_iter cursor;
	unsigned int num, max, n = 0, restarts = 0, steps = 0;
	struct dma_resv obj;

	dma_resv_init(&obj);
	for (int i = 0; i < 3; i++) {
		f[i] = fence_new(ctx + i, 1);
		add_one(&obj, f[i], DMA_RESV_USAGE_READ);
	}

	dma_resv_iter_begin(&cursor, &obj, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		if (dma_resv_iter_is_restarted(&cursor)) {
			restarts++;
			n = 0;
		}
		assert_true(n < 8);
		seen[n++] = fence;
		if (++steps == 2) {
			/* Force a new list: reserve beyond the capacity. */
			lock_obj(&obj);
			slots(&obj, &num, &max);
			assert_int_equal(dma_resv_reserve_fences(&obj, max), 0);
			dma_resv_unlock(&obj);
		}
		assert_true(steps < 20);
	}
	dma_resv_iter_end(&cursor);
	assert_int_equal(restarts, 2);	/* the first walk, then the restart */
	assert_int_equal(n, 3);
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = i + 1; j < n; j++)
			assert_ptr_not_equal(seen[i], seen[j]);
	for (int i = 0; i < 3; i++)
		assert_int_equal(refs(f[i]), 2);	/* the cursor dropped its references */

	/* In-place changes (a slot recycled) do not restart. */
	restarts = 0;
	steps = 0;
	dma_resv_iter_begin(&cursor, &obj, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		restarts += dma_resv_iter_is_restarted(&cursor);
		if (++steps == 1)
			add_one(&obj, f[0], DMA_RESV_USAGE_KERNEL);	/* promote in place */
	}
	dma_resv_iter_end(&cursor);
	assert_int_equal(restarts, 1);
	assert_int_equal(steps, 3);

	dma_resv_fini(&obj);
	for (int i = 0; i < 3; i++)
		dma_fence_put(f[i]);
}

/* ---- readers racing a writer -------------------------------------------------------- */

#define RACE_READERS 3
#define RACE_MS 300
#define RACE_MAX_SEEN 64

struct race {
	struct dma_resv obj;
	uint64_t ctx_base;
	unsigned int num_ctx;
	int stop;	/* atomic */
};

struct race_reader {
	pthread_t thread;
	struct race *race;
	unsigned long walks, restarts, fences;
	unsigned long errors;
	char first_error[128];
};

static void reader_error(struct race_reader *r, const char *what)
{
	if (!r->errors++)
		snprintf(r->first_error, sizeof(r->first_error), "%s", what);
}

static void *race_reader_main(void *arg)
{
	struct race_reader *r = arg;
	struct race *race = r->race;
	struct dma_fence *seen[RACE_MAX_SEEN], *fence;
	struct dma_resv_iter cursor;

	while (!__atomic_load_n(&race->stop, __ATOMIC_ACQUIRE)) {
		unsigned int n = 0;
		bool first = true;

		dma_resv_iter_begin(&cursor, &race->obj, DMA_RESV_USAGE_BOOKKEEP);
		dma_resv_for_each_fence_unlocked(&cursor, fence) {
			if (dma_resv_iter_is_restarted(&cursor)) {
				r->restarts += !first;
				n = 0;
			} else if (first) {
				reader_error(r, "first fence of a walk not marked restarted");
			}
			first = false;
			if (fence->context < race->ctx_base ||
			    fence->context >= race->ctx_base + race->num_ctx)
				reader_error(r, "fence of a foreign context (freed memory?)");
			if (refs(fence) < 1)
				reader_error(r, "cursor fence without a reference");
			for (unsigned int i = 0; i < n; i++)
				if (seen[i] == fence)
					reader_error(r, "fence visited twice in one walk");
			if (n == RACE_MAX_SEEN)
				reader_error(r, "walk longer than any list");
			else
				seen[n++] = fence;
			r->fences++;
		}
		dma_resv_iter_end(&cursor);
		(void)dma_resv_test_signaled(&race->obj, DMA_RESV_USAGE_WRITE);
		r->walks++;
	}
	return NULL;
}

static void test_dma_resv_readers_race_writer(void **state)
{
	static struct race_reader readers[RACE_READERS];
	struct dma_fence *live[16] = { NULL };
	uint64_t seed = 0x5eed1234, rng = seed;
	unsigned long writes = 0, restarts = 0, walks = 0;
	struct race race;
	int64_t end;

	print_message("race seed %#llx\n", (unsigned long long)seed);
	race.num_ctx = 16;
	race.ctx_base = dma_fence_context_alloc(race.num_ctx);
	race.stop = 0;
	dma_resv_init(&race.obj);
	for (int i = 0; i < RACE_READERS; i++) {
		memset(&readers[i], 0, sizeof(readers[i]));
		readers[i].race = &race;
		assert_int_equal(pthread_create(&readers[i].thread, NULL, race_reader_main,
						&readers[i]), 0);
	}

	end = now_ns() + RACE_MS * MS;
	while (now_ns() < end) {
		unsigned int slot, n;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		slot = (unsigned int)(rng >> 33) % 16;
		n = 1 + (unsigned int)(rng >> 40) % 6;
		lock_obj(&race.obj);
		/* Sometimes reserve many: forces new lists (restarts). */
		assert_int_equal(dma_resv_reserve_fences(&race.obj, n), 0);
		if (live[slot])
			dma_fence_signal(live[slot]);	/* its slot becomes reusable */
		dma_fence_put(live[slot]);
		live[slot] = fence_new(race.ctx_base + slot, writes + 1);
		dma_resv_add_fence(&race.obj, live[slot],
				   (enum dma_resv_usage)((rng >> 50) & 3));
		/* Compact into a new list now and then: readers must restart. */
		if ((rng >> 20) % 8 == 0)
			assert_int_equal(dma_resv_copy_fences(&race.obj, &race.obj), 0);
		dma_resv_unlock(&race.obj);
		writes++;
	}
	__atomic_store_n(&race.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < RACE_READERS; i++) {
		pthread_join(readers[i].thread, NULL);
		if (readers[i].errors)
			print_message("reader %d: %lu errors, first: %s\n", i, readers[i].errors,
				      readers[i].first_error);
		assert_int_equal(readers[i].errors, 0);
		assert_true(readers[i].walks > 0);
		restarts += readers[i].restarts;
		walks += readers[i].walks;
	}
	print_message("race: %lu writes, %lu walks, %lu restarts\n", writes, walks, restarts);
	assert_true(writes > 0);

	dma_resv_fini(&race.obj);
	for (int i = 0; i < 16; i++)
		dma_fence_put(live[i]);
}

/* ---- allocation failure at every site -------------------------------------------------- */

static void test_dma_resv_alloc_failure_every_site(void **state)
{
	uint64_t ctx = dma_fence_context_alloc(6);
	struct dma_fence *f[6], **got, *single;
	struct dma_resv obj, dst;
	unsigned int num, max, num0, max0, n;
	uint64_t before;
	int ret = -1;

	dma_resv_init(&obj);
	dma_resv_init(&dst);
	for (int i = 0; i < 4; i++) {
		f[i] = fence_new(ctx + i, 1);
		add_one(&obj, f[i], (enum dma_resv_usage)i);
	}
	f[4] = fence_new(ctx + 4, 1);
	f[5] = fence_new(ctx + 5, 1);
	add_one(&dst, f[5], DMA_RESV_USAGE_WRITE);
	before = live_bytes();

	/* reserve_fences: grow 4 -> 8. */
	for (unsigned long nth = 1; ret; nth++) {
		lock_obj(&obj);
		slots(&obj, &num0, &max0);
		resv_alloc_fail_nth(nth);
		ret = dma_resv_reserve_fences(&obj, 2);
		resv_alloc_fail_nth(0);
		slots(&obj, &num, &max);
		dma_resv_unlock(&obj);
		assert_false(dma_resv_is_locked(&obj));
		if (ret) {
			assert_int_equal(ret, -ENOMEM);
			assert_int_equal(num, num0);
			assert_int_equal(max, max0);
			assert_int_equal(live_bytes(), before);
		}
		assert_true(nth < 10);
	}
	assert_int_equal(num, 4);
	assert_int_equal(max, 8);
	for (int i = 0; i < 4; i++)
		assert_int_equal(refs(f[i]), 2);
	before = live_bytes();

	/* copy_fences. */
	ret = -1;
	for (unsigned long nth = 1; ret; nth++) {
		lock_obj(&dst);
		resv_alloc_fail_nth(nth);
		ret = dma_resv_copy_fences(&dst, &obj);
		resv_alloc_fail_nth(0);
		num = num_entries(&dst);
		if (ret) {
			assert_int_equal(ret, -ENOMEM);
			assert_int_equal(num, 1);
			assert_true(has_entry(&dst, f[5], DMA_RESV_USAGE_WRITE));
			assert_int_equal(refs(f[0]), 2);
		}
		dma_resv_unlock(&dst);
		assert_false(dma_resv_is_locked(&dst));
		if (ret)
			assert_int_equal(live_bytes(), before);
		assert_true(nth < 10);
	}
	assert_int_equal(num, 4);
	assert_int_equal(refs(f[5]), 1);
	assert_int_equal(refs(f[0]), 3);

	/* get_fences. */
	before = live_bytes();
	ret = -1;
	for (unsigned long nth = 1; ret; nth++) {
		resv_alloc_fail_nth(nth);
		ret = dma_resv_get_fences(&obj, DMA_RESV_USAGE_BOOKKEEP, &n, &got);
		resv_alloc_fail_nth(0);
		if (ret) {
			assert_int_equal(ret, -ENOMEM);
			assert_int_equal(n, 0);
			assert_null(got);
			assert_int_equal(refs(f[0]), 3);
			assert_int_equal(live_bytes(), before);
		}
		assert_true(nth < 10);
	}
	assert_int_equal(n, 4);
	fences_free(got, n);

	/* get_singleton, every path. */
	before = live_bytes();
	ret = -1;
	for (unsigned long nth = 1; ret; nth++) {
		single = NULL;
		resv_alloc_fail_nth(nth);
		ret = dma_resv_get_singleton(&obj, DMA_RESV_USAGE_BOOKKEEP, &single);
		resv_alloc_fail_nth(0);
		if (ret) {
			assert_int_equal(ret, -ENOMEM);
			assert_null(single);
			assert_int_equal(refs(f[0]), 3);
			assert_int_equal(live_bytes(), before);
		}
		assert_true(nth < 10);
	}
	assert_true(dma_fence_is_array(single));
	dma_fence_put(single);
	assert_int_equal(refs(f[0]), 3);

	dma_resv_fini(&dst);
	dma_resv_fini(&obj);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(refs(f[i]), 1);
		dma_fence_put(f[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dma_resv_overview_loop),
		cmocka_unit_test(test_dma_resv_init_fini_puts_fences),
		cmocka_unit_test(test_dma_resv_lock_unlock_trylock_ctx),
		cmocka_unit_test_setup_teardown(test_dma_resv_assert_held_exact, setup_reports,
						teardown_reports),
		cmocka_unit_test(test_dma_resv_usage_query_semantics),
		cmocka_unit_test_setup_teardown(test_dma_resv_reserve_not_cumulative,
						setup_reports, teardown_reports),
		cmocka_unit_test_setup_teardown(test_dma_resv_add_without_reserve_reported,
						setup_reports, teardown_reports),
		cmocka_unit_test_setup_teardown(test_dma_resv_add_container_reported,
						setup_reports, teardown_reports),
		cmocka_unit_test(test_dma_resv_add_replacement_rule),
		cmocka_unit_test(test_dma_resv_replace_fences),
		cmocka_unit_test(test_dma_resv_locked_iter_includes_signaled),
		cmocka_unit_test(test_dma_resv_get_fences_and_singleton),
		cmocka_unit_test(test_dma_resv_copy_fences),
		cmocka_unit_test(test_dma_resv_wait_timeout),
		cmocka_unit_test(test_dma_resv_set_deadline_and_describe),
		cmocka_unit_test(test_dma_resv_test_signaled_asks_the_driver),
		cmocka_unit_test(test_dma_resv_unlocked_iter_restart),
		cmocka_unit_test(test_dma_resv_readers_race_writer),
		cmocka_unit_test(test_dma_resv_alloc_failure_every_site),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
