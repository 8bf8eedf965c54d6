/* SPDX-License-Identifier: MIT */
/* Interrupts: the interruptible lock and slow paths, and the uninterruptible ones. */
#include "ww_test.h"

/* ------------------------------------------------------------------------
 * Interrupts
 */

struct intr {
	struct ww_class *cls;
	struct ww_mutex lock, free_lock;
	bool use_ctx;
	struct resv_thread *self;
	struct event ready, phase2;
	atomic_bool released;
	int ret_wait, ret_again, ret_free, ret_after;
	bool held_after_eintr, locked_after_eintr, pending_after_eintr;
	bool cleared, cleared_again, pending_after_clear, saw_released;
	unsigned int acquired_after_eintr;
	struct resv_ww_stats stats;
};

static void *intr_worker(void *arg)
{
	struct intr *s = arg;
	struct ww_acquire_ctx ctx, *c = s->use_ctx ? &ctx : NULL;

	s->self = resv_thread_self();
	if (c)
		ww_acquire_init(c, s->cls); /* after the main thread's */
	wwt_event_fire(&s->ready);

	s->ret_wait = ww_mutex_lock_interruptible(&s->lock, c);
	s->held_after_eintr = resv_ww_mutex_held_by_self(&s->lock);
	s->locked_after_eintr = ww_mutex_is_locked(&s->lock);
	s->pending_after_eintr = resv_thread_interrupt_pending();
	s->acquired_after_eintr = c ? c->acquired : 0;
	if (s->ret_wait == 0)
		ww_mutex_unlock(&s->lock);
	/* Still pending: a lock that has to wait fails at once ... */
	s->ret_again = ww_mutex_lock_interruptible(&s->lock, c);
	if (s->ret_again == 0)
		ww_mutex_unlock(&s->lock);
	/* ... but a free lock is taken. */
	s->ret_free = ww_mutex_lock_interruptible(&s->free_lock, c);
	if (s->ret_free == 0)
		ww_mutex_unlock(&s->free_lock);
	s->cleared = resv_thread_clear_interrupt();
	s->cleared_again = resv_thread_clear_interrupt();
	s->pending_after_clear = resv_thread_interrupt_pending();
	wwt_event_fire(&s->phase2);

	s->ret_after = ww_mutex_lock(&s->lock, c);
	s->saw_released = atomic_load(&s->released);
	if (s->ret_after == 0)
		ww_mutex_unlock(&s->lock);
	if (c) {
		ww_acquire_fini(c);
		s->stats = c->stats;
	}
	return NULL;
}

void test_ww_mutex_lock_interruptible_eintr(void **state)
{
	struct fixture *f = *state;
	int v;

	for (v = 0; v < 2; v++) {
		struct intr s = { .cls = f->cls, .use_ctx = v };
		struct ww_acquire_ctx ctx, *c = s.use_ctx ? &ctx : NULL;
		struct resv_ww_stats cs;
		pthread_t t;

		resv_ww_class_reset_stats(f->cls);
		ww_mutex_init(&s.lock, f->cls);
		ww_mutex_init(&s.free_lock, f->cls);
		wwt_event_init(&s.ready);
		wwt_event_init(&s.phase2);
		atomic_init(&s.released, false);
		if (c)
			ww_acquire_init(c, f->cls);
		assert_int_equal(ww_mutex_lock(&s.lock, c), 0);

		t = wwt_spawn(intr_worker, &s);
		wwt_event_expect(&s.ready, "interruptible worker start");
		wwt_msleep(SETTLE_MS); /* it blocks in ww_mutex_lock_interruptible() */
		resv_thread_interrupt(s.self);
		wwt_event_expect(&s.phase2, "interrupted worker");
		wwt_msleep(SETTLE_MS); /* it blocks in ww_mutex_lock() */
		atomic_store(&s.released, true);
		ww_mutex_unlock(&s.lock);
		wwt_join(t, "interruptible worker");
		if (c)
			ww_acquire_fini(c);

		assert_int_equal(s.ret_wait, -EINTR);
		assert_false(s.held_after_eintr);
		assert_true(s.locked_after_eintr); /* still ours */
		assert_true(s.pending_after_eintr);
		assert_int_equal(s.acquired_after_eintr, 0);
		assert_int_equal(s.ret_again, -EINTR);
		assert_int_equal(s.ret_free, 0);
		assert_true(s.cleared);
		assert_false(s.cleared_again);
		assert_false(s.pending_after_clear);
		assert_int_equal(s.ret_after, 0);
		assert_true(s.saw_released);
		assert_false(ww_mutex_is_locked(&s.lock));
		if (c) {
			assert_int_equal(s.stats.interrupted, 2);
			assert_int_equal(s.stats.acquires, 2);
			assert_int_equal(s.stats.deadlocks, 0);
			resv_ww_class_get_stats(f->cls, &cs);
			assert_int_equal(cs.interrupted, 2);
			assert_int_equal(cs.transactions, 2);
		}
		wwt_event_destroy(&s.ready);
		wwt_event_destroy(&s.phase2);
		ww_mutex_destroy(&s.lock);
		ww_mutex_destroy(&s.free_lock);
	}
}

struct ignore {
	struct ww_class *cls;
	struct ww_mutex lock, lock2;
	bool use_ctx;
	struct resv_thread *self;
	struct event ready, ready2;
	atomic_bool released, released2;
	int ret, ret2;
	bool saw_released, saw_released2, pending, pending2, cleared;
};

static void *ignore_worker(void *arg)
{
	struct ignore *s = arg;
	struct ww_acquire_ctx ctx, *c = s->use_ctx ? &ctx : NULL;

	s->self = resv_thread_self();
	if (c)
		ww_acquire_init(c, s->cls);
	wwt_event_fire(&s->ready);
	/* Interrupted while it sleeps: keeps sleeping. */
	s->ret = ww_mutex_lock(&s->lock, c);
	s->saw_released = atomic_load(&s->released);
	s->pending = resv_thread_interrupt_pending();
	if (s->ret == 0)
		ww_mutex_unlock(&s->lock);
	wwt_event_fire(&s->ready2);
	/* Interrupt already pending when the wait starts: waits all the same. */
	s->ret2 = ww_mutex_lock(&s->lock2, c);
	s->saw_released2 = atomic_load(&s->released2);
	s->pending2 = resv_thread_interrupt_pending();
	if (s->ret2 == 0)
		ww_mutex_unlock(&s->lock2);
	s->cleared = resv_thread_clear_interrupt();
	if (c)
		ww_acquire_fini(c);
	return NULL;
}

void test_ww_mutex_lock_ignores_interrupt(void **state)
{
	struct fixture *f = *state;
	int v;

	for (v = 0; v < 2; v++) {
		struct ignore s = { .cls = f->cls, .use_ctx = v };
		struct ww_acquire_ctx ctx, *c = s.use_ctx ? &ctx : NULL;
		pthread_t t;

		ww_mutex_init(&s.lock, f->cls);
		/* Two context-less locks of one class would nest unannotated. */
		ww_mutex_init(&s.lock2, c ? f->cls : &wwt_aside_class);
		wwt_event_init(&s.ready);
		wwt_event_init(&s.ready2);
		atomic_init(&s.released, false);
		atomic_init(&s.released2, false);
		if (c)
			ww_acquire_init(c, f->cls);
		assert_int_equal(ww_mutex_lock(&s.lock, c), 0);
		assert_int_equal(ww_mutex_lock(&s.lock2, c), 0);
		t = wwt_spawn(ignore_worker, &s);
		wwt_event_expect(&s.ready, "uninterruptible worker start");
		wwt_msleep(SETTLE_MS);
		resv_thread_interrupt(s.self);
		wwt_msleep(SETTLE_MS); /* an interrupt must not end the wait */
		atomic_store(&s.released, true);
		ww_mutex_unlock(&s.lock);
		wwt_event_expect(&s.ready2, "uninterruptible worker, second lock");
		wwt_msleep(SETTLE_MS); /* it blocks on lock2, interrupt pending */
		atomic_store(&s.released2, true);
		ww_mutex_unlock(&s.lock2);
		wwt_join(t, "uninterruptible worker");
		if (c)
			ww_acquire_fini(c);

		assert_int_equal(s.ret, 0);
		assert_true(s.saw_released);
		assert_true(s.pending);
		assert_int_equal(s.ret2, 0);
		assert_true(s.saw_released2);
		assert_true(s.pending2);
		assert_true(s.cleared);
		wwt_event_destroy(&s.ready);
		wwt_event_destroy(&s.ready2);
		ww_mutex_destroy(&s.lock);
		ww_mutex_destroy(&s.lock2);
	}
}

struct slowintr {
	struct ww_class *cls;
	struct ww_mutex m, f;
	struct resv_thread *self;
	struct event backed_off, f_held, phase2;
	atomic_bool released;
	int ret_m, ret_inject, ret_slow;
	bool f_locked_after_inject, held_after_eintr, pending_after_eintr;
	unsigned int acquired_after_eintr;
	bool saw_released, held_after_slow, pending_after_slow, cleared;
	struct resv_ww_stats stats;
};

static void *slowintr_worker(void *arg)
{
	struct slowintr *s = arg;
	struct ww_acquire_ctx ctx;

	s->self = resv_thread_self();
	ww_acquire_init(&ctx, s->cls);
	s->ret_m = ww_mutex_lock(&s->m, &ctx);
	/* NTH 1: the first eligible acquire is turned into -EDEADLK. */
	s->ret_inject = ww_mutex_lock(&s->f, &ctx);
	s->f_locked_after_inject = ww_mutex_is_locked(&s->f);
	if (s->ret_inject == 0)
		ww_mutex_unlock(&s->f);
	if (s->ret_m == 0)
		ww_mutex_unlock(&s->m);
	wwt_event_fire(&s->backed_off);
	(void)wwt_event_wait(&s->f_held);

	s->ret_slow = ww_mutex_lock_slow_interruptible(&s->f, &ctx);
	s->held_after_eintr = resv_ww_mutex_held_by_self(&s->f);
	s->acquired_after_eintr = ctx.acquired;
	s->pending_after_eintr = resv_thread_interrupt_pending();
	if (s->ret_slow == 0)
		ww_mutex_unlock(&s->f);
	wwt_event_fire(&s->phase2);

	/* The uninterruptible slow path ignores the pending interrupt. */
	ww_mutex_lock_slow(&s->f, &ctx);
	s->saw_released = atomic_load(&s->released);
	s->held_after_slow = resv_ww_mutex_held_by_self(&s->f);
	s->pending_after_slow = resv_thread_interrupt_pending();
	ww_mutex_unlock(&s->f);
	s->cleared = resv_thread_clear_interrupt();
	ww_acquire_fini(&ctx);
	s->stats = ctx.stats;
	return NULL;
}

void test_ww_mutex_lock_slow_interruptible_eintr(void **state)
{
	struct fixture *f = *state;
	struct slowintr s = { .cls = f->cls };
	pthread_t t;

	wwt_set_inject(f->cls, RESV_WW_INJECT_NTH, 1, 0, 0, 0);
	ww_mutex_init(&s.m, f->cls);
	ww_mutex_init(&s.f, f->cls);
	wwt_event_init(&s.backed_off);
	wwt_event_init(&s.f_held);
	wwt_event_init(&s.phase2);
	atomic_init(&s.released, false);

	t = wwt_spawn(slowintr_worker, &s);
	wwt_event_expect(&s.backed_off, "injected back-off");
	assert_int_equal(ww_mutex_lock(&s.f, NULL), 0);
	wwt_event_fire(&s.f_held);
	wwt_msleep(SETTLE_MS); /* it blocks in ww_mutex_lock_slow_interruptible() */
	resv_thread_interrupt(s.self);
	wwt_event_expect(&s.phase2, "interrupted slow path");
	wwt_msleep(SETTLE_MS); /* it blocks in ww_mutex_lock_slow() */
	atomic_store(&s.released, true);
	ww_mutex_unlock(&s.f);
	wwt_join(t, "slow-path worker");

	assert_int_equal(s.ret_m, 0);
	assert_int_equal(s.ret_inject, -EDEADLK);
	assert_false(s.f_locked_after_inject);
	assert_int_equal(s.ret_slow, -EINTR);
	assert_false(s.held_after_eintr);
	assert_int_equal(s.acquired_after_eintr, 0);
	assert_true(s.pending_after_eintr);
	assert_true(s.saw_released);
	assert_true(s.held_after_slow);
	assert_true(s.pending_after_slow);
	assert_true(s.cleared);
	assert_int_equal(s.stats.interrupted, 1);
	assert_int_equal(s.stats.injected, 1);
	assert_int_equal(s.stats.deadlocks, 0);

	wwt_event_destroy(&s.backed_off);
	wwt_event_destroy(&s.f_held);
	wwt_event_destroy(&s.phase2);
	ww_mutex_destroy(&s.m);
	ww_mutex_destroy(&s.f);
}

/* An interrupted waiter leaves the wait list: the next unlock goes to the
 * waiter behind it, not to the one that gave up. */
struct removed {
	struct ww_class *cls;
	struct ww_mutex lock;
	bool use_ctx;
	struct turn turn;
	struct resv_thread *w1_self;
	struct event w1_ready, w1_done, w2_ready, w2_got;
	atomic_bool released, w2_released;
	int w1_ret, w1_ret2, w2_ret;
	bool w1_held, w2_saw_released, w1_saw_w2_released;
};

static void *removed_w1(void *arg)
{
	struct removed *s = arg;
	struct ww_acquire_ctx ctx, *c = s->use_ctx ? &ctx : NULL;

	s->w1_self = resv_thread_self();
	if (c)
		wwt_acquire_init_in_turn(&s->turn, 1, c, s->cls);
	wwt_event_fire(&s->w1_ready);
	s->w1_ret = ww_mutex_lock_interruptible(&s->lock, c);
	s->w1_held = resv_ww_mutex_held_by_self(&s->lock);
	if (s->w1_ret == 0)
		ww_mutex_unlock(&s->lock);
	(void)resv_thread_clear_interrupt();
	wwt_event_fire(&s->w1_done);
	/* Come back once W2 got the lock that W1 gave up waiting for. */
	(void)wwt_event_wait(&s->w2_got);
	s->w1_ret2 = ww_mutex_lock(&s->lock, c);
	s->w1_saw_w2_released = atomic_load(&s->w2_released);
	if (s->w1_ret2 == 0)
		ww_mutex_unlock(&s->lock);
	if (c)
		ww_acquire_fini(c);
	return NULL;
}

static void *removed_w2(void *arg)
{
	struct removed *s = arg;
	struct ww_acquire_ctx ctx, *c = s->use_ctx ? &ctx : NULL;

	if (c)
		wwt_acquire_init_in_turn(&s->turn, 2, c, s->cls);
	wwt_event_fire(&s->w2_ready);
	s->w2_ret = ww_mutex_lock(&s->lock, c);
	s->w2_saw_released = atomic_load(&s->released);
	wwt_event_fire(&s->w2_got);
	wwt_msleep(SETTLE_MS); /* W1 queues again behind us */
	atomic_store(&s->w2_released, true);
	if (s->w2_ret == 0)
		ww_mutex_unlock(&s->lock);
	if (c)
		ww_acquire_fini(c);
	return NULL;
}

void test_ww_mutex_interrupted_waiter_removed(void **state)
{
	struct fixture *f = *state;
	int v;

	for (v = 0; v < 2; v++) {
		struct removed s = { .cls = f->cls, .use_ctx = v };
		struct ww_acquire_ctx ctx, *c = s.use_ctx ? &ctx : NULL;
		pthread_t t1, t2;

		ww_mutex_init(&s.lock, f->cls);
		wwt_turn_init(&s.turn);
		wwt_event_init(&s.w1_ready);
		wwt_event_init(&s.w1_done);
		wwt_event_init(&s.w2_ready);
		wwt_event_init(&s.w2_got);
		atomic_init(&s.released, false);
		atomic_init(&s.w2_released, false);
		if (c)
			wwt_acquire_init_in_turn(&s.turn, 0, c, f->cls);
		else
			wwt_turn_pass(&s.turn);
		assert_int_equal(ww_mutex_lock(&s.lock, c), 0);

		t1 = wwt_spawn(removed_w1, &s);
		wwt_event_expect(&s.w1_ready, "first waiter start");
		wwt_msleep(SETTLE_MS); /* W1 queues */
		t2 = wwt_spawn(removed_w2, &s);
		wwt_event_expect(&s.w2_ready, "second waiter start");
		wwt_msleep(SETTLE_MS); /* W2 queues behind it */
		resv_thread_interrupt(s.w1_self);
		wwt_event_expect(&s.w1_done, "interrupted waiter");
		atomic_store(&s.released, true);
		ww_mutex_unlock(&s.lock);
		wwt_join(t2, "second waiter (lost wake-up?)");
		wwt_join(t1, "first waiter");
		if (c)
			ww_acquire_fini(c);

		assert_int_equal(s.w1_ret, -EINTR);
		assert_false(s.w1_held);
		assert_int_equal(s.w2_ret, 0);
		assert_true(s.w2_saw_released);
		assert_int_equal(s.w1_ret2, 0);
		assert_true(s.w1_saw_w2_released);
		assert_false(ww_mutex_is_locked(&s.lock));

		wwt_event_destroy(&s.w1_ready);
		wwt_event_destroy(&s.w1_done);
		wwt_event_destroy(&s.w2_ready);
		wwt_event_destroy(&s.w2_got);
		wwt_turn_destroy(&s.turn);
		ww_mutex_destroy(&s.lock);
	}
}
