/* SPDX-License-Identifier: MIT */
/*
 * Queries: the locked iterator, get_fences/singleton, copy, waits,
 * deadlines and describe, and test_signaled.
 */
#include "resv_test.h"

void test_dma_resv_locked_iter_includes_signaled(void **state)
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

void test_dma_resv_get_fences_and_singleton(void **state)
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

void test_dma_resv_copy_fences(void **state)
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

void test_dma_resv_wait_timeout(void **state)
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

void test_dma_resv_set_deadline_and_describe(void **state)
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
void test_dma_resv_test_signaled_asks_the_driver(void **state)
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
