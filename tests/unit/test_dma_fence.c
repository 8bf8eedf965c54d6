/* SPDX-License-Identifier: MIT */
/*
 * dma_fence: the invariants of reference/kernel-api.md §2.6 items 1-8, with
 * exact return values, plus the spinlock it uses, RCU freeing, allocation
 * failure at every allocation site and a signal-vs-add_callback race.
 * Worker threads only record; the main thread asserts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <resv/resv.h>

#include "internal/dma-fence.h"

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

/* ---- a test fence in caller-owned memory ------------------------------------ */

struct test_fence {
	struct dma_fence base;
	int released;
	int enable_calls;
	bool enable_ret;
	bool signaled_ret;
	int deadline_calls;
	int64_t deadline;
	struct dma_fence *get_rcu_in_release;	/* result of get_rcu while dying */
};

static struct test_fence *to_tf(struct dma_fence *f)
{
	return caa_container_of(f, struct test_fence, base);
}

static const char *tf_driver(struct dma_fence *f) { return "test"; }
static const char *tf_timeline(struct dma_fence *f) { return "tl"; }

static void tf_release(struct dma_fence *f)
{
	struct test_fence *tf = to_tf(f);

	tf->get_rcu_in_release = dma_fence_get_rcu(f);
	tf->released++;
}

static bool tf_enable(struct dma_fence *f)
{
	to_tf(f)->enable_calls++;
	return to_tf(f)->enable_ret;
}

static bool tf_signaled(struct dma_fence *f)
{
	return to_tf(f)->signaled_ret;
}

static void tf_set_deadline(struct dma_fence *f, int64_t deadline)
{
	to_tf(f)->deadline_calls++;
	to_tf(f)->deadline = deadline;
}

static const struct dma_fence_ops tf_ops = {
	.get_driver_name = tf_driver,
	.get_timeline_name = tf_timeline,
	.release = tf_release,
};

static const struct dma_fence_ops tf_ops_full = {
	.get_driver_name = tf_driver,
	.get_timeline_name = tf_timeline,
	.enable_signaling = tf_enable,
	.signaled = tf_signaled,
	.release = tf_release,
	.set_deadline = tf_set_deadline,
};

/* No release: memory from resv_dma_fence_alloc(), freed after RCU. */
static const struct dma_fence_ops heap_ops = {
	.get_driver_name = tf_driver,
	.get_timeline_name = tf_timeline,
};

static struct resv_spinlock test_lock = RESV_SPINLOCK_INITIALIZER;

static void tf_init(struct test_fence *tf, const struct dma_fence_ops *ops, uint64_t ctx,
		    uint64_t seqno)
{
	memset(tf, 0, sizeof(*tf));
	tf->enable_ret = true;
	dma_fence_init(&tf->base, ops, &test_lock, ctx, seqno);
}

/* Drop the last reference of a caller-owned test fence, prove it released. */
static void tf_fini(struct test_fence *tf)
{
	dma_fence_put(&tf->base);
	assert_int_equal(tf->released, 1);
	assert_null(tf->get_rcu_in_release);
}

static uint64_t live_bytes(void)
{
	struct resv_alloc_stats st;

	resv_rcu_barrier();
	resv_alloc_get_stats(&st);
	return st.live_bytes;
}

/* ---- a recording callback ---------------------------------------------------- */

static int cb_sequence;

struct rec_cb {
	struct dma_fence_cb cb;
	int runs;
	int order;
	bool saw_signaled, saw_timestamp, saw_lock_held;
	int error_seen;
};

static void rec_func(struct dma_fence *f, struct dma_fence_cb *cb)
{
	struct rec_cb *r = caa_container_of(cb, struct rec_cb, cb);

	r->runs++;
	r->order = cb_sequence++;
	r->saw_signaled = f->flags & (1UL << DMA_FENCE_FLAG_SIGNALED_BIT);
	r->saw_timestamp = f->flags & (1UL << DMA_FENCE_FLAG_TIMESTAMP_BIT);
	r->saw_lock_held = resv_spin_held_by_self(f->lock);
	r->error_seen = f->error;
}

/* ---- report hook --------------------------------------------------------------- */

static int wait_reports;
static int misuse_reports;

static void count_reports(const struct resv_report *r, void *arg)
{
	if (r->kind == RESV_REPORT_FENCE_WAIT_IN_SIGNALLING)
		wait_reports++;
	if (r->kind == RESV_REPORT_FENCE_MISUSE)
		misuse_reports++;
}

/* ================================================================================ */

static void test_spinlock_trylock_and_ownership(void **state)
{
	struct resv_spinlock l;

	resv_spin_lock_init(&l);
	assert_false(resv_spin_is_locked(&l));
	assert_true(resv_spin_trylock(&l));
	assert_true(resv_spin_is_locked(&l));
	assert_true(resv_spin_held_by_self(&l));
	assert_false(resv_spin_trylock(&l));
	resv_spin_unlock(&l);
	assert_false(resv_spin_held_by_self(&l));
	resv_spin_lock(&l);
	assert_true(resv_spin_held_by_self(&l));
	resv_spin_unlock(&l);
}

static void test_dma_fence_context_alloc_consecutive_nonzero(void **state)
{
	uint64_t a = dma_fence_context_alloc(1);
	uint64_t b = dma_fence_context_alloc(3);
	uint64_t c = dma_fence_context_alloc(1);

	assert_true(a >= 1);
	assert_int_equal(b, a + 1);
	assert_int_equal(c, b + 3);
}

static void test_dma_fence_init_state(void **state)
{
	struct test_fence tf;

	assert_null(dma_fence_get(NULL));
	dma_fence_put(NULL);

	tf_init(&tf, &tf_ops, 7, 9);
	assert_int_equal(tf.base.refcount.refcount, 1);
	assert_int_equal(tf.base.error, 0);
	assert_int_equal(tf.base.flags, 0);
	assert_int_equal(tf.base.context, 7);
	assert_int_equal(tf.base.seqno, 9);
	assert_false(dma_fence_is_signaled(&tf.base));
	assert_int_equal(dma_fence_get_status(&tf.base), 0);
	assert_ptr_equal(dma_fence_get(&tf.base), &tf.base);
	assert_int_equal(tf.base.refcount.refcount, 2);
	dma_fence_put(&tf.base);
	assert_int_equal(tf.released, 0);
	assert_string_equal(dma_fence_driver_name(&tf.base), "test");
	tf_fini(&tf);

	dma_fence_init64(&tf.base, &tf_ops, &test_lock, 7, 9);
	assert_true(tf.base.flags & (1UL << DMA_FENCE_FLAG_SEQNO64_BIT));
	tf.released = 0;
	tf_fini(&tf);
}

/* §2.6.1 */
static void test_dma_fence_signal_idempotent_callbacks_once_in_order(void **state)
{
	struct test_fence tf;
	struct rec_cb r[3];
	int64_t ts;

	memset(r, 0, sizeof(r));
	tf_init(&tf, &tf_ops, 1, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(dma_fence_add_callback(&tf.base, &r[i].cb, rec_func), 0);
	cb_sequence = 0;
	dma_fence_signal(&tf.base);
	assert_true(dma_fence_test_signaled_flag(&tf.base));
	ts = dma_fence_timestamp(&tf.base);
	dma_fence_signal(&tf.base);
	resv_spin_lock(tf.base.lock);
	dma_fence_signal_locked(&tf.base);
	assert_true(dma_fence_check_and_signal_locked(&tf.base));
	resv_spin_unlock(tf.base.lock);
	dma_fence_signal_timestamp(&tf.base, 1);

	for (int i = 0; i < 3; i++) {
		assert_int_equal(r[i].runs, 1);
		assert_int_equal(r[i].order, i);
		assert_true(r[i].saw_signaled);
		assert_true(r[i].saw_timestamp);
		assert_true(r[i].saw_lock_held);
		assert_false(dma_fence_remove_callback(&tf.base, &r[i].cb));
	}
	assert_int_equal(dma_fence_timestamp(&tf.base), ts);
	assert_int_equal(dma_fence_get_status(&tf.base), 1);
	tf_fini(&tf);
}

static void test_dma_fence_signal_timestamp_and_check_and_signal(void **state)
{
	struct test_fence tf;
	unsigned long warns;

	tf_init(&tf, &tf_ops, 1, 1);
	warns = resv__dma_fence_warn_count();
	(void)dma_fence_timestamp(&tf.base);	/* unsignaled: warned */
	assert_int_equal(resv__dma_fence_warn_count(), warns + 1);
	dma_fence_signal_timestamp(&tf.base, 12345);
	assert_int_equal(dma_fence_timestamp(&tf.base), 12345);
	assert_string_equal(dma_fence_driver_name(&tf.base), "detached-driver");
	assert_string_equal(dma_fence_timeline_name(&tf.base), "signaled-timeline");
	tf_fini(&tf);

	tf_init(&tf, &tf_ops, 1, 1);
	assert_false(dma_fence_check_and_signal(&tf.base));
	assert_true(dma_fence_check_and_signal(&tf.base));
	tf_fini(&tf);
}

/* §2.6.2 */
static void test_dma_fence_add_callback_signaled_enoent_not_run(void **state)
{
	struct test_fence tf;
	struct rec_cb r = { 0 };
	unsigned long warns = resv__dma_fence_warn_count();

	tf_init(&tf, &tf_ops, 1, 1);
	dma_fence_signal(&tf.base);
	assert_int_equal(dma_fence_add_callback(&tf.base, &r.cb, rec_func), -ENOENT);
	assert_int_equal(r.runs, 0);
	assert_false(dma_fence_remove_callback(&tf.base, &r.cb));

	assert_int_equal(dma_fence_add_callback(NULL, &r.cb, rec_func), -EINVAL);
	assert_int_equal(dma_fence_add_callback(&tf.base, &r.cb, NULL), -EINVAL);
	assert_int_equal(resv__dma_fence_warn_count(), warns + 2);
	assert_int_equal(r.runs, 0);
	tf_fini(&tf);
}

static void test_dma_fence_remove_callback_pending_then_ran(void **state)
{
	struct test_fence tf;
	struct rec_cb a = { 0 }, b = { 0 };

	tf_init(&tf, &tf_ops, 1, 1);
	assert_int_equal(dma_fence_add_callback(&tf.base, &a.cb, rec_func), 0);
	assert_int_equal(dma_fence_add_callback(&tf.base, &b.cb, rec_func), 0);
	assert_true(dma_fence_remove_callback(&tf.base, &a.cb));
	assert_false(dma_fence_remove_callback(&tf.base, &a.cb));
	dma_fence_signal(&tf.base);
	assert_int_equal(a.runs, 0);
	assert_int_equal(b.runs, 1);
	assert_false(dma_fence_remove_callback(&tf.base, &b.cb));
	tf_fini(&tf);
}

/* §2.6.3 */
static void test_dma_fence_enable_signaling_at_most_once(void **state)
{
	struct test_fence tf;
	struct rec_cb r = { 0 };

	tf_init(&tf, &tf_ops_full, 1, 1);
	assert_int_equal(tf.enable_calls, 0);
	dma_fence_enable_sw_signaling(&tf.base);
	dma_fence_enable_sw_signaling(&tf.base);
	assert_int_equal(dma_fence_add_callback(&tf.base, &r.cb, rec_func), 0);
	assert_int_equal(dma_fence_wait_timeout(&tf.base, false, 0), 0);
	assert_int_equal(tf.enable_calls, 1);
	assert_true(tf.base.flags & (1UL << DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT));
	assert_false(dma_fence_test_signaled_flag(&tf.base));
	dma_fence_signal(&tf.base);
	assert_int_equal(r.runs, 1);
	tf_fini(&tf);
}

static void test_dma_fence_enable_signaling_false_signals(void **state)
{
	struct test_fence tf;
	struct rec_cb r = { 0 };

	tf_init(&tf, &tf_ops_full, 1, 1);
	tf.enable_ret = false;
	assert_int_equal(dma_fence_add_callback(&tf.base, &r.cb, rec_func), -ENOENT);
	assert_int_equal(r.runs, 0);
	assert_int_equal(tf.enable_calls, 1);
	assert_true(dma_fence_test_signaled_flag(&tf.base));
	assert_int_equal(dma_fence_get_status(&tf.base), 1);
	dma_fence_enable_sw_signaling(&tf.base);
	assert_int_equal(tf.enable_calls, 1);
	tf_fini(&tf);

	tf_init(&tf, &tf_ops_full, 1, 1);
	tf.enable_ret = false;
	dma_fence_enable_sw_signaling(&tf.base);
	assert_true(dma_fence_test_signaled_flag(&tf.base));
	tf_fini(&tf);
}

static void test_dma_fence_is_signaled_consults_ops(void **state)
{
	struct test_fence tf;
	struct rec_cb r = { 0 };

	tf_init(&tf, &tf_ops_full, 1, 1);
	assert_int_equal(dma_fence_add_callback(&tf.base, &r.cb, rec_func), 0);
	assert_false(dma_fence_is_signaled(&tf.base));
	tf.signaled_ret = true;
	assert_false(dma_fence_test_signaled_flag(&tf.base));	/* pure test */
	assert_true(dma_fence_is_signaled(&tf.base));
	assert_true(dma_fence_test_signaled_flag(&tf.base));
	assert_int_equal(r.runs, 1);
	tf_fini(&tf);

	tf_init(&tf, &tf_ops_full, 1, 1);
	tf.signaled_ret = true;
	resv_spin_lock(tf.base.lock);
	assert_int_equal(dma_fence_get_status_locked(&tf.base), 1);
	assert_true(dma_fence_is_signaled_locked(&tf.base));
	resv_spin_unlock(tf.base.lock);
	tf_fini(&tf);
}

/* §2.6.4 */
static void test_dma_fence_set_error_rules_and_status(void **state)
{
	struct test_fence tf;
	struct rec_cb r = { 0 };
	unsigned long warns;

	tf_init(&tf, &tf_ops, 1, 1);
	warns = resv__dma_fence_warn_count();
	misuse_reports = 0;
	resv_report_set_hook(count_reports, NULL);
	dma_fence_set_error(&tf.base, 0);
	dma_fence_set_error(&tf.base, 5);
	dma_fence_set_error(&tf.base, -5000);
	assert_int_equal(tf.base.error, 0);
	assert_int_equal(resv__dma_fence_warn_count(), warns + 3);
	assert_int_equal(dma_fence_get_status(&tf.base), 0);

	dma_fence_set_error(&tf.base, -ECANCELED);
	assert_int_equal(dma_fence_get_status(&tf.base), 0);	/* pending */
	assert_int_equal(dma_fence_add_callback(&tf.base, &r.cb, rec_func), 0);
	dma_fence_signal(&tf.base);
	assert_int_equal(r.runs, 1);
	assert_int_equal(r.error_seen, -ECANCELED);
	assert_int_equal(dma_fence_get_status(&tf.base), -ECANCELED);

	dma_fence_set_error(&tf.base, -EIO);	/* after signal: rejected */
	assert_int_equal(tf.base.error, -ECANCELED);
	assert_int_equal(resv__dma_fence_warn_count(), warns + 4);
	resv_report_set_hook(NULL, NULL);
	/* Debug builds deliver each rejection to the report hook. */
	assert_int_equal(misuse_reports, resv_report_checks_enabled() ? 4 : 0);
	tf_fini(&tf);
}

/* §2.6.5 */
static void test_dma_fence_wait_timeout_zero_polls(void **state)
{
	struct test_fence tf;
	int64_t t0;

	tf_init(&tf, &tf_ops, 1, 1);
	t0 = now_ns();
	assert_int_equal(dma_fence_wait_timeout(&tf.base, false, 0), 0);
	assert_int_equal(dma_fence_wait_timeout(&tf.base, true, 0), 0);
	assert_true(now_ns() - t0 < 500 * MS);
	dma_fence_signal(&tf.base);
	assert_int_equal(dma_fence_wait_timeout(&tf.base, false, 0), 1);
	assert_int_equal(dma_fence_wait_timeout(&tf.base, true, 0), 1);
	assert_int_equal(dma_fence_wait_timeout(&tf.base, false, 5 * MS), 5 * MS);
	assert_true(dma_fence_wait_timeout(&tf.base, false, MAX_SCHEDULE_TIMEOUT) ==
		    MAX_SCHEDULE_TIMEOUT);
	assert_int_equal(dma_fence_wait(&tf.base, true), 0);
	tf_fini(&tf);
}

static void test_dma_fence_wait_negative_timeout_einval(void **state)
{
	struct test_fence tf;
	struct dma_fence *fs[1];

	tf_init(&tf, &tf_ops, 1, 1);
	fs[0] = &tf.base;
	assert_int_equal(dma_fence_wait_timeout(&tf.base, false, -1), -EINVAL);
	assert_int_equal(dma_fence_default_wait(&tf.base, false, -1), -EINVAL);
	assert_int_equal(dma_fence_wait_any_timeout(fs, 1, false, -1, NULL), -EINVAL);
	assert_int_equal(dma_fence_wait_any_timeout(NULL, 1, false, 0, NULL), -EINVAL);
	assert_int_equal(dma_fence_wait_any_timeout(fs, 0, false, 0, NULL), -EINVAL);
	dma_fence_signal(&tf.base);
	tf_fini(&tf);
}

static void test_dma_fence_wait_times_out(void **state)
{
	struct test_fence tf;
	int64_t t0, dt;

	tf_init(&tf, &tf_ops, 1, 1);
	t0 = now_ns();
	assert_int_equal(dma_fence_wait_timeout(&tf.base, false, 20 * MS), 0);
	dt = now_ns() - t0;
	assert_true(dt >= 20 * MS);
	assert_true(dt < 2000 * MS);
	assert_int_equal(dma_fence_wait_timeout(&tf.base, true, 5 * MS), 0);
	assert_true(cds_list_empty(&tf.base.cb_list));	/* waiter unlinked itself */
	dma_fence_signal(&tf.base);
	tf_fini(&tf);
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

static void start_signaller(struct signaller *s, struct dma_fence *f, long delay_ms)
{
	s->fence = f;
	s->delay_ms = delay_ms;
	assert_int_equal(pthread_create(&s->thread, NULL, signaller_main, s), 0);
}

static void test_dma_fence_wait_signaled_by_other_thread(void **state)
{
	struct test_fence tf;
	struct signaller s;
	signed long ret;

	tf_init(&tf, &tf_ops, 1, 1);
	start_signaller(&s, &tf.base, 10);
	ret = dma_fence_wait_timeout(&tf.base, true, 5000 * MS);
	pthread_join(s.thread, NULL);
	assert_true(ret > 0);
	assert_true(ret <= 5000 * MS);
	assert_true(dma_fence_test_signaled_flag(&tf.base));
	tf_fini(&tf);

	tf_init(&tf, &tf_ops, 1, 1);
	start_signaller(&s, &tf.base, 5);
	assert_int_equal(dma_fence_wait(&tf.base, false), 0);
	pthread_join(s.thread, NULL);
	tf_fini(&tf);
}

struct intr_waiter {
	pthread_t thread;
	struct dma_fence *fence;
	struct resv_thread *self;	/* published */
	signed long ret;
	bool was_pending;
};

static void *intr_waiter_main(void *arg)
{
	struct intr_waiter *w = arg;

	__atomic_store_n(&w->self, resv_thread_self(), __ATOMIC_RELEASE);
	w->ret = dma_fence_wait_timeout(w->fence, true, MAX_SCHEDULE_TIMEOUT);
	w->was_pending = resv_thread_clear_interrupt();
	return NULL;
}

static void test_dma_fence_wait_interruptible_erestartsys(void **state)
{
	struct test_fence tf;
	struct intr_waiter w = { 0 };

	tf_init(&tf, &tf_ops, 1, 1);

	/* Pending interrupt: interruptible waits end, uninterruptible ones don't. */
	resv_thread_interrupt(resv_thread_self());
	assert_int_equal(dma_fence_wait_timeout(&tf.base, true, 1000 * MS), -RESV_ERESTARTSYS);
	assert_int_equal(dma_fence_wait(&tf.base, true), -RESV_ERESTARTSYS);
	assert_int_equal(dma_fence_wait_timeout(&tf.base, false, 5 * MS), 0);
	assert_true(resv_thread_clear_interrupt());

	/* An interrupt while asleep. */
	w.fence = &tf.base;
	assert_int_equal(pthread_create(&w.thread, NULL, intr_waiter_main, &w), 0);
	while (!__atomic_load_n(&w.self, __ATOMIC_ACQUIRE))
		sleep_ms(1);
	sleep_ms(20);
	resv_thread_interrupt(w.self);
	pthread_join(w.thread, NULL);
	assert_int_equal(w.ret, -RESV_ERESTARTSYS);
	assert_true(w.was_pending);
	assert_false(dma_fence_test_signaled_flag(&tf.base));

	/* Signaled wins over a pending interrupt. */
	dma_fence_signal(&tf.base);
	resv_thread_interrupt(resv_thread_self());
	assert_int_equal(dma_fence_wait(&tf.base, true), 0);
	assert_true(resv_thread_clear_interrupt());
	tf_fini(&tf);
}

/* §2.6.6 */
static void test_dma_fence_is_later_32bit_wrap_vs_64bit(void **state)
{
	struct test_fence a, b;

	tf_init(&a, &tf_ops, 3, 0xffffffffULL);
	tf_init(&b, &tf_ops, 3, 1);
	assert_true(dma_fence_is_later(&b.base, &a.base));	/* 1 follows 0xffffffff */
	assert_false(dma_fence_is_later(&a.base, &b.base));
	assert_false(dma_fence_is_later(&a.base, &a.base));
	assert_true(dma_fence_is_later_or_same(&a.base, &a.base));
	assert_true(dma_fence_is_later_or_same(&b.base, &a.base));
	assert_false(dma_fence_is_later_or_same(&a.base, &b.base));
	assert_ptr_equal(dma_fence_later(&a.base, &b.base), &b.base);
	dma_fence_signal(&b.base);
	assert_null(dma_fence_later(&a.base, &b.base));	/* later one signaled */
	dma_fence_signal(&a.base);
	tf_fini(&a);
	tf_fini(&b);

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	dma_fence_init64(&a.base, &tf_ops, &test_lock, 3, 0xffffffffULL);
	dma_fence_init64(&b.base, &tf_ops, &test_lock, 3, 1);
	assert_true(dma_fence_is_later(&a.base, &b.base));	/* plain 64-bit order */
	assert_false(dma_fence_is_later(&b.base, &a.base));
	assert_true(__dma_fence_is_later(&a.base, 0x100000000ULL, 0xffffffffULL));
	assert_ptr_equal(dma_fence_later(&a.base, &b.base), &a.base);
	tf_fini(&a);
	tf_fini(&b);
}

static void test_dma_fence_is_later_cross_context_false(void **state)
{
	struct test_fence a, b;
	unsigned long warns = resv__dma_fence_warn_count();

	tf_init(&a, &tf_ops, 3, 5);
	tf_init(&b, &tf_ops, 4, 1);
	assert_false(dma_fence_is_later(&a.base, &b.base));
	assert_false(dma_fence_is_later(&b.base, &a.base));
	assert_null(dma_fence_later(&a.base, &b.base));
	assert_int_equal(resv__dma_fence_warn_count(), warns + 3);
	tf_fini(&a);
	tf_fini(&b);
}

static void test_dma_fence_stub_global_and_private(void **state)
{
	struct dma_fence *s1 = dma_fence_get_stub();
	struct dma_fence *s2 = dma_fence_get_stub();
	struct dma_fence *p;
	uint64_t before = live_bytes();

	assert_ptr_equal(s1, s2);
	assert_int_equal(s1->context, 0);
	assert_int_equal(s1->seqno, 0);
	assert_true(dma_fence_is_signaled(s1));
	assert_int_equal(dma_fence_get_status(s1), 1);
	assert_int_equal(dma_fence_wait_timeout(s1, false, 0), 1);
	dma_fence_put(s1);
	dma_fence_put(s2);

	p = dma_fence_allocate_private_stub(4242);
	assert_non_null(p);
	assert_ptr_not_equal(p, s1);
	assert_int_equal(p->context, 0);
	assert_true(dma_fence_test_signaled_flag(p));
	assert_int_equal(dma_fence_timestamp(p), 4242);
	dma_fence_put(p);
	assert_int_equal(live_bytes(), before);
}

/* §2.6.7 */
static void test_dma_fence_release_unsignaled_with_callbacks_edeadlk(void **state)
{
	struct test_fence tf;
	struct rec_cb r = { 0 };
	unsigned long warns = resv__dma_fence_warn_count();

	tf_init(&tf, &tf_ops, 1, 1);
	assert_int_equal(dma_fence_add_callback(&tf.base, &r.cb, rec_func), 0);
	tf_fini(&tf);
	assert_int_equal(r.runs, 1);
	assert_int_equal(r.error_seen, -EDEADLK);
	assert_true(dma_fence_test_signaled_flag(&tf.base));
	assert_int_equal(tf.base.error, -EDEADLK);
	assert_int_equal(resv__dma_fence_warn_count(), warns + 1);

	/* Without callbacks nobody waits: released as is. */
	tf_init(&tf, &tf_ops, 1, 1);
	tf_fini(&tf);
	assert_false(dma_fence_test_signaled_flag(&tf.base));
	assert_int_equal(tf.base.error, 0);
}

static void test_dma_fence_default_release_frees_after_rcu(void **state)
{
	uint64_t before = live_bytes();
	struct dma_fence *f = resv_dma_fence_alloc(sizeof(*f) + 40);

	assert_non_null(f);
	assert_null(resv_dma_fence_alloc(sizeof(*f) - 1));
	dma_fence_init(f, &heap_ops, &test_lock, 1, 1);
	assert_true(live_bytes() > before);
	dma_fence_signal(f);
	dma_fence_put(f);
	assert_int_equal(live_bytes(), before);

	f = resv_dma_fence_alloc(sizeof(*f));
	assert_non_null(f);
	resv_dma_fence_free_unused(f);
	resv_dma_fence_free_unused(NULL);
	assert_int_equal(live_bytes(), before);
}

static void test_dma_fence_get_rcu_on_dying_fence_null(void **state)
{
	struct test_fence tf;
	struct dma_fence *ptr, *got;

	tf_init(&tf, &tf_ops, 1, 1);
	ptr = &tf.base;
	resv_rcu_read_lock();
	got = dma_fence_get_rcu_safe(&ptr);
	assert_ptr_equal(got, &tf.base);
	assert_int_equal(tf.base.refcount.refcount, 2);
	dma_fence_put(got);
	got = dma_fence_get_rcu(&tf.base);
	assert_ptr_equal(got, &tf.base);
	dma_fence_put(got);
	ptr = NULL;
	assert_null(dma_fence_get_rcu_safe(&ptr));
	resv_rcu_read_unlock();

	dma_fence_put(&tf.base);	/* the last one: release runs get_rcu */
	assert_int_equal(tf.released, 1);
	assert_null(tf.get_rcu_in_release);
	assert_null(dma_fence_get_rcu(&tf.base));
	assert_int_equal(tf.base.refcount.refcount, 0);
}

static void test_dma_fence_set_deadline_forwarded_until_signaled(void **state)
{
	struct test_fence tf;

	tf_init(&tf, &tf_ops_full, 1, 1);
	dma_fence_set_deadline(&tf.base, 1000);
	dma_fence_set_deadline(&tf.base, 500);
	assert_int_equal(tf.deadline_calls, 2);
	assert_int_equal(tf.deadline, 500);
	dma_fence_signal(&tf.base);
	dma_fence_set_deadline(&tf.base, 100);
	assert_int_equal(tf.deadline_calls, 2);
	tf_fini(&tf);

	tf_init(&tf, &tf_ops, 1, 1);	/* no op: nothing happens */
	dma_fence_set_deadline(&tf.base, 100);
	dma_fence_signal(&tf.base);
	tf_fini(&tf);
}

/* §2.6.8 */
static void waiting_cb(struct dma_fence *f, struct dma_fence_cb *cb)
{
	/* Runs inside dma_fence_signal()'s section, with f->lock held: wait on another fence. */
	struct dma_fence *stub = dma_fence_get_stub();
	signed long ret = dma_fence_wait_timeout(stub, false, 0);

	caa_container_of(cb, struct rec_cb, cb)->error_seen = (int)ret;
	dma_fence_put(stub);
}

static void test_dma_fence_wait_in_signalling_section_reported(void **state)
{
	struct test_fence tf;
	struct rec_cb r = { 0 };
	bool cookie;

	if (!resv_report_checks_enabled()) {
		skip();
		return;
	}
	tf_init(&tf, &tf_ops, 1, 1);
	wait_reports = 0;
	resv_report_set_hook(count_reports, NULL);

	cookie = dma_fence_begin_signalling();
	assert_false(cookie);
	assert_int_equal(dma_fence_wait_timeout(&tf.base, false, 0), 0);
	assert_int_equal(wait_reports, 1);
	dma_fence_end_signalling(cookie);

	/* A callback runs inside dma_fence_signal()'s section. */
	assert_int_equal(dma_fence_add_callback(&tf.base, &r.cb, waiting_cb), 0);
	dma_fence_signal(&tf.base);
	assert_int_equal(wait_reports, 2);

	/* Outside any section: silent. */
	assert_int_equal(dma_fence_wait_timeout(&tf.base, false, 0), 1);
	assert_int_equal(wait_reports, 2);
	resv_report_set_hook(NULL, NULL);
	tf_fini(&tf);
}

static void test_dma_fence_signalling_sections_nest(void **state)
{
	struct test_fence tf;
	bool outer, inner;

	tf_init(&tf, &tf_ops, 1, 1);
	dma_fence_signal(&tf.base);
	wait_reports = 0;
	resv_report_set_hook(count_reports, NULL);

	assert_false(resv__dma_fence_in_signalling());
	outer = dma_fence_begin_signalling();
	inner = dma_fence_begin_signalling();
	assert_false(outer);
	assert_true(inner);
	assert_true(resv__dma_fence_in_signalling());
	dma_fence_signal(&tf.base);	/* nests a third level */
	dma_fence_end_signalling(inner);
	assert_true(resv__dma_fence_in_signalling());
	dma_fence_end_signalling(outer);
	assert_false(resv__dma_fence_in_signalling());
	assert_int_equal(dma_fence_wait(&tf.base, false), 0);
	assert_int_equal(wait_reports, 0);
	resv_report_set_hook(NULL, NULL);
	tf_fini(&tf);
}

static void test_dma_fence_wait_any(void **state)
{
	struct test_fence tf[3];
	struct dma_fence *fs[3];
	struct signaller s;
	uint32_t idx = 99;
	signed long ret;
	int64_t t0;

	for (int i = 0; i < 3; i++) {
		tf_init(&tf[i], &tf_ops, 1, (uint64_t)i + 1);
		fs[i] = &tf[i].base;
	}
	assert_int_equal(dma_fence_wait_any_timeout(fs, 3, false, 0, &idx), 0);
	assert_int_equal(idx, 99);

	t0 = now_ns();
	assert_int_equal(dma_fence_wait_any_timeout(fs, 3, false, 15 * MS, &idx), 0);
	assert_true(now_ns() - t0 >= 15 * MS);

	resv_thread_interrupt(resv_thread_self());
	assert_int_equal(dma_fence_wait_any_timeout(fs, 3, true, 1000 * MS, &idx),
			 -RESV_ERESTARTSYS);
	assert_true(resv_thread_clear_interrupt());

	start_signaller(&s, fs[2], 10);
	ret = dma_fence_wait_any_timeout(fs, 3, true, 5000 * MS, &idx);
	pthread_join(s.thread, NULL);
	assert_true(ret > 0 && ret <= 5000 * MS);
	assert_int_equal(idx, 2);

	idx = 99;
	assert_int_equal(dma_fence_wait_any_timeout(fs, 3, false, 0, &idx), 1);
	assert_int_equal(idx, 2);
	/* Found signaled while adding callbacks: the whole timeout is left. */
	assert_int_equal(dma_fence_wait_any_timeout(fs, 3, false, 7 * MS, &idx), 7 * MS);
	assert_int_equal(idx, 2);
	assert_true(dma_fence_wait_any_timeout(fs, 3, false, MAX_SCHEDULE_TIMEOUT, NULL) ==
		    MAX_SCHEDULE_TIMEOUT);

	/* Every waiter callback was removed: the lists are empty again. */
	for (int i = 0; i < 2; i++)
		assert_true(cds_list_empty(&tf[i].base.cb_list));
	for (int i = 0; i < 3; i++) {
		dma_fence_signal(fs[i]);
		tf_fini(&tf[i]);
	}
}

/* Every allocation site: -ENOMEM / NULL, nothing leaked, then success. */
static void test_dma_fence_alloc_failure_every_site(void **state)
{
	uint64_t before = live_bytes();
	struct test_fence pending;
	struct dma_fence *fs[2], *f;
	unsigned long n;
	signed long ret;
	uint32_t idx;

	/* resv_dma_fence_alloc */
	for (n = 1;; n++) {
		resv_alloc_fail_nth(n);
		f = resv_dma_fence_alloc(sizeof(*f));
		resv_alloc_fail_nth(0);
		if (f)
			break;
		assert_int_equal(live_bytes(), before);
	}
	assert_int_equal(n, 2);
	dma_fence_init(f, &heap_ops, &test_lock, 1, 1);
	dma_fence_put(f);
	assert_int_equal(live_bytes(), before);

	/* dma_fence_allocate_private_stub */
	for (n = 1;; n++) {
		resv_alloc_fail_nth(n);
		f = dma_fence_allocate_private_stub(1);
		resv_alloc_fail_nth(0);
		if (f)
			break;
		assert_int_equal(live_bytes(), before);
	}
	assert_int_equal(n, 2);
	dma_fence_put(f);
	assert_int_equal(live_bytes(), before);

	/* dma_fence_wait_any_timeout's callback array */
	tf_init(&pending, &tf_ops, 1, 1);
	fs[0] = &pending.base;
	fs[1] = dma_fence_get_stub();
	for (n = 1;; n++) {
		resv_alloc_fail_nth(n);
		ret = dma_fence_wait_any_timeout(fs, 2, false, 1000 * MS, &idx);
		resv_alloc_fail_nth(0);
		if (ret != -ENOMEM)
			break;
		assert_int_equal(live_bytes(), before);
		assert_true(cds_list_empty(&pending.base.cb_list));
	}
	assert_int_equal(n, 2);
	assert_int_equal(ret, 1000 * MS);
	assert_int_equal(idx, 1);
	assert_true(cds_list_empty(&pending.base.cb_list));
	dma_fence_put(fs[1]);
	tf_fini(&pending);
	assert_int_equal(live_bytes(), before);
}

/* Concurrent signal vs add_callback: each accepted callback runs once. */
#define RACE_THREADS 4
#define RACE_CBS 64
#define RACE_ROUNDS 40

struct race_cb {
	struct dma_fence_cb cb;
	int add_ret;
	int runs;		/* atomic */
	int saw_unsignaled;	/* atomic */
};

struct race_worker {
	pthread_t thread;
	struct dma_fence *fence;
	struct race_cb cbs[RACE_CBS];
	int *go;
};

static void race_func(struct dma_fence *f, struct dma_fence_cb *cb)
{
	struct race_cb *r = caa_container_of(cb, struct race_cb, cb);

	__atomic_add_fetch(&r->runs, 1, __ATOMIC_RELAXED);
	if (!dma_fence_test_signaled_flag(f) ||
	    !(__atomic_load_n(&f->flags, __ATOMIC_ACQUIRE) & (1UL << DMA_FENCE_FLAG_TIMESTAMP_BIT)))
		__atomic_add_fetch(&r->saw_unsignaled, 1, __ATOMIC_RELAXED);
}

static void *race_worker_main(void *arg)
{
	struct race_worker *w = arg;

	while (!__atomic_load_n(w->go, __ATOMIC_ACQUIRE))
		;
	for (int i = 0; i < RACE_CBS; i++)
		w->cbs[i].add_ret = dma_fence_add_callback(w->fence, &w->cbs[i].cb, race_func);
	return NULL;
}

static void test_dma_fence_concurrent_signal_vs_add_callback(void **state)
{
	static struct race_worker w[RACE_THREADS];
	unsigned long accepted = 0, refused = 0;

	for (int round = 0; round < RACE_ROUNDS; round++) {
		struct test_fence tf;
		int go = 0;

		tf_init(&tf, &tf_ops, 1, 1);
		for (int t = 0; t < RACE_THREADS; t++) {
			memset(w[t].cbs, 0, sizeof(w[t].cbs));
			w[t].fence = &tf.base;
			w[t].go = &go;
			assert_int_equal(pthread_create(&w[t].thread, NULL, race_worker_main, &w[t]), 0);
		}
		__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
		for (int spin = 0; spin < round * 50; spin++)
			__asm__ __volatile__("" ::: "memory");
		dma_fence_signal(&tf.base);
		for (int t = 0; t < RACE_THREADS; t++)
			pthread_join(w[t].thread, NULL);

		for (int t = 0; t < RACE_THREADS; t++) {
			for (int i = 0; i < RACE_CBS; i++) {
				struct race_cb *r = &w[t].cbs[i];

				if (r->add_ret == 0) {
					assert_int_equal(r->runs, 1);
					accepted++;
				} else {
					assert_int_equal(r->add_ret, -ENOENT);
					assert_int_equal(r->runs, 0);
					refused++;
				}
				assert_int_equal(r->saw_unsignaled, 0);
			}
		}
		tf_fini(&tf);
	}
	assert_int_equal(accepted + refused, RACE_ROUNDS * RACE_THREADS * RACE_CBS);
	print_message("race: %lu callbacks accepted, %lu refused\n", accepted, refused);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spinlock_trylock_and_ownership),
		cmocka_unit_test(test_dma_fence_context_alloc_consecutive_nonzero),
		cmocka_unit_test(test_dma_fence_init_state),
		cmocka_unit_test(test_dma_fence_signal_idempotent_callbacks_once_in_order),
		cmocka_unit_test(test_dma_fence_signal_timestamp_and_check_and_signal),
		cmocka_unit_test(test_dma_fence_add_callback_signaled_enoent_not_run),
		cmocka_unit_test(test_dma_fence_remove_callback_pending_then_ran),
		cmocka_unit_test(test_dma_fence_enable_signaling_at_most_once),
		cmocka_unit_test(test_dma_fence_enable_signaling_false_signals),
		cmocka_unit_test(test_dma_fence_is_signaled_consults_ops),
		cmocka_unit_test(test_dma_fence_set_error_rules_and_status),
		cmocka_unit_test(test_dma_fence_wait_timeout_zero_polls),
		cmocka_unit_test(test_dma_fence_wait_negative_timeout_einval),
		cmocka_unit_test(test_dma_fence_wait_times_out),
		cmocka_unit_test(test_dma_fence_wait_signaled_by_other_thread),
		cmocka_unit_test(test_dma_fence_wait_interruptible_erestartsys),
		cmocka_unit_test(test_dma_fence_is_later_32bit_wrap_vs_64bit),
		cmocka_unit_test(test_dma_fence_is_later_cross_context_false),
		cmocka_unit_test(test_dma_fence_stub_global_and_private),
		cmocka_unit_test(test_dma_fence_release_unsignaled_with_callbacks_edeadlk),
		cmocka_unit_test(test_dma_fence_default_release_frees_after_rcu),
		cmocka_unit_test(test_dma_fence_get_rcu_on_dying_fence_null),
		cmocka_unit_test(test_dma_fence_set_deadline_forwarded_until_signaled),
		cmocka_unit_test(test_dma_fence_wait_in_signalling_section_reported),
		cmocka_unit_test(test_dma_fence_signalling_sections_nest),
		cmocka_unit_test(test_dma_fence_wait_any),
		cmocka_unit_test(test_dma_fence_alloc_failure_every_site),
		cmocka_unit_test(test_dma_fence_concurrent_signal_vs_add_callback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
