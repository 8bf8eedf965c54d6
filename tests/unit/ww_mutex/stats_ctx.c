/* SPDX-License-Identifier: MIT */
/* Statistics, ctx->acquired bookkeeping, ownership queries and initialisers. */
#include "ww_test.h"

/* ------------------------------------------------------------------------
 * ctx->acquired bookkeeping
 */

void test_ww_acquire_ctx_acquired(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex a, b, c, d, e;
	struct ww_acquire_ctx ctx;
	struct resv_ww_stats cs;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	ww_mutex_init(&c, f->cls);
	ww_mutex_init(&d, f->cls);
	ww_mutex_init(&e, &wwt_aside_class);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ctx.acquired, 0);
	assert_int_equal(ctx.is_wait_die, f->wait_die);

	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ctx.acquired, 1);
	assert_int_equal(ww_mutex_lock(&b, &ctx), 0);
	assert_int_equal(ctx.acquired, 2);
	assert_int_equal(ww_mutex_trylock(&c, &ctx), 1);
	assert_int_equal(ctx.acquired, 3);
	assert_int_equal(ww_mutex_lock(&a, &ctx), -EALREADY);
	assert_int_equal(ww_mutex_trylock(&a, &ctx), 0);
	assert_int_equal(ctx.acquired, 3);
	assert_int_equal(ww_mutex_lock_interruptible(&d, &ctx), 0);
	assert_int_equal(ctx.acquired, 4);
	ww_mutex_unlock(&b);
	assert_int_equal(ctx.acquired, 3);
	ww_mutex_unlock(&a);
	assert_int_equal(ctx.acquired, 2);
	/* A lock taken without a context is not the context's (another class:
	 * mixing both kinds of locking of one class is a validator report). */
	assert_int_equal(ww_mutex_lock(&e, NULL), 0);
	assert_int_equal(ctx.acquired, 2);
	ww_mutex_unlock(&e);
	assert_int_equal(ctx.acquired, 2);
	ww_mutex_unlock(&c);
	assert_int_equal(ctx.acquired, 1);
	ww_mutex_unlock(&d);
	assert_int_equal(ctx.acquired, 0);
	ww_acquire_done(&ctx);
	ww_acquire_fini(&ctx);
	assert_int_equal(ctx.acquired, 0);

	assert_int_equal(ctx.stats.acquires, 4);
	assert_int_equal(ctx.stats.already, 1);
	resv_ww_class_get_stats(f->cls, &cs);
	assert_int_equal(cs.transactions, 1);
	assert_int_equal(cs.acquires, 4);
	assert_int_equal(cs.already, 1);

	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
	ww_mutex_destroy(&c);
	ww_mutex_destroy(&d);
	ww_mutex_destroy(&e);
}

/* ------------------------------------------------------------------------
 * Statistics
 */

static void assert_stats_zero(const struct resv_ww_stats *s)
{
	assert_int_equal(s->transactions, 0);
	assert_int_equal(s->acquires, 0);
	assert_int_equal(s->contended, 0);
	assert_int_equal(s->deadlocks, 0);
	assert_int_equal(s->wounds, 0);
	assert_int_equal(s->wounded, 0);
	assert_int_equal(s->injected, 0);
	assert_int_equal(s->already, 0);
	assert_int_equal(s->interrupted, 0);
}

void test_ww_mutex_stats(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex a, b, c, d, x;
	struct ww_acquire_ctx ctx;
	struct resv_ww_stats cs;
	struct holder h;
	pthread_t ht;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	ww_mutex_init(&c, f->cls);
	ww_mutex_init(&d, f->cls);
	ww_mutex_init(&x, f->cls);
	ht = wwt_holder_start(&h, &x);

	/* Injection, wounds and deaths are counted by the tests that cause them. */
	ww_acquire_init(&ctx, f->cls);
	assert_stats_zero(&ctx.stats);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);		/* acquires 1 */
	assert_int_equal(ww_mutex_trylock(&b, &ctx), 1);	/* acquires 2 */
	assert_int_equal(ww_mutex_trylock(&x, &ctx), 0);	/* not counted */
	assert_int_equal(ww_mutex_lock(&a, &ctx), -EALREADY);	/* already 1 */
	assert_int_equal(ww_mutex_lock(&c, &ctx), 0);		/* acquires 3 */
	assert_int_equal(ww_mutex_lock_interruptible(&d, &ctx), 0); /* acquires 4 */
	ww_mutex_unlock(&a);
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&c);
	/* An interrupt pending before a wait that must happen: -EINTR, no sleep. */
	resv_thread_interrupt(resv_thread_self());
	assert_int_equal(ww_mutex_lock_interruptible(&x, &ctx), -EINTR); /* interrupted 1 */
	assert_true(resv_thread_clear_interrupt());
	ww_mutex_unlock(&d);

	/* The class only sums finished contexts. */
	resv_ww_class_get_stats(f->cls, &cs);
	assert_stats_zero(&cs);
	ww_acquire_fini(&ctx);
	wwt_holder_stop(&h, ht);

	assert_int_equal(ctx.stats.acquires, 4);
	assert_int_equal(ctx.stats.contended, 0);
	assert_int_equal(ctx.stats.deadlocks, 0);
	assert_int_equal(ctx.stats.wounds, 0);
	assert_int_equal(ctx.stats.wounded, 0);
	assert_int_equal(ctx.stats.injected, 0);
	assert_int_equal(ctx.stats.already, 1);
	assert_int_equal(ctx.stats.interrupted, 1);

	resv_ww_class_get_stats(f->cls, &cs);
	assert_int_equal(cs.transactions, 1);
	assert_int_equal(cs.acquires, 4);
	assert_int_equal(cs.contended, 0);
	assert_int_equal(cs.deadlocks, 0);
	assert_int_equal(cs.wounds, 0);
	assert_int_equal(cs.wounded, 0);
	assert_int_equal(cs.injected, 0);
	assert_int_equal(cs.already, 1);
	assert_int_equal(cs.interrupted, 1);

	/* A second transaction adds up. */
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	resv_ww_class_get_stats(f->cls, &cs);
	assert_int_equal(cs.transactions, 2);
	assert_int_equal(cs.acquires, 5);

	resv_ww_class_reset_stats(f->cls);
	resv_ww_class_get_stats(f->cls, &cs);
	assert_stats_zero(&cs);

	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
	ww_mutex_destroy(&c);
	ww_mutex_destroy(&d);
	ww_mutex_destroy(&x);
}

/*
 * An injected -EDEADLK is a back-off like any other: the header says the
 * lock "was not acquired", so it counts in injected, not in acquires
 * ("locks acquired"), and not in deadlocks (real ones only).
 */
void test_ww_mutex_stats_injected_not_acquired(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex a, b;
	struct ww_acquire_ctx ctx;
	struct resv_ww_stats cs;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	wwt_set_inject(f->cls, RESV_WW_INJECT_NTH, 1, 0, 0, 0);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);		/* acquires 1 */
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);	/* injected 1 */
	assert_int_equal(ctx.acquired, 1);
	assert_int_equal(ctx.stats.injected, 1);
	assert_int_equal(ctx.stats.deadlocks, 0);
	assert_int_equal(ctx.stats.acquires, 1);
	ww_mutex_unlock(&a);
	ww_mutex_lock_slow(&b, &ctx);				/* acquires 2 */
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);		/* acquires 3 */
	ww_mutex_unlock(&a);
	ww_mutex_unlock(&b);
	ww_acquire_fini(&ctx);
	assert_int_equal(ctx.stats.acquires, 3);
	resv_ww_class_get_stats(f->cls, &cs);
	assert_int_equal(cs.acquires, 3);
	assert_int_equal(cs.injected, 1);
	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
}

/* ------------------------------------------------------------------------
 * Lock ownership queries
 */

void test_ww_mutex_ctx_and_held_by_self(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex a, b;
	struct ww_acquire_ctx ctx;
	struct owner o = { .cls = f->cls, .a = &a, .b = &b };
	const struct ww_acquire_ctx *a_ctx, *b_ctx;
	bool a_held, b_held, a_locked, b_locked;
	pthread_t t;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, &wwt_aside_class);	/* only ever locked without a context */
	assert_null(resv_ww_mutex_ctx(&a));
	assert_false(resv_ww_mutex_held_by_self(&a));

	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_ptr_equal(resv_ww_mutex_ctx(&a), &ctx);
	assert_true(resv_ww_mutex_held_by_self(&a));
	assert_false(resv_ww_mutex_held_by_self(&b)); /* exact: this very mutex */
	assert_int_equal(ww_mutex_trylock(&b, NULL), 1);
	assert_null(resv_ww_mutex_ctx(&b));
	assert_true(resv_ww_mutex_held_by_self(&b));
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&a);
	assert_null(resv_ww_mutex_ctx(&a));
	assert_false(resv_ww_mutex_held_by_self(&a));
	assert_false(resv_ww_mutex_held_by_self(&b));
	assert_int_equal(ww_mutex_trylock(&a, &ctx), 1);
	assert_ptr_equal(resv_ww_mutex_ctx(&a), &ctx);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);

	/* Another thread's locks, with and without a context. */
	wwt_event_init(&o.held);
	wwt_event_init(&o.release);
	t = wwt_spawn(wwt_owner_fn, &o);
	wwt_event_expect(&o.held, "owner thread");
	a_ctx = resv_ww_mutex_ctx(&a);
	b_ctx = resv_ww_mutex_ctx(&b);
	a_held = resv_ww_mutex_held_by_self(&a);
	b_held = resv_ww_mutex_held_by_self(&b);
	a_locked = ww_mutex_is_locked(&a);
	b_locked = ww_mutex_is_locked(&b);
	wwt_event_fire(&o.release);
	wwt_join(t, "owner thread");

	assert_int_equal(o.ret_a, 0);
	assert_int_equal(o.ret_b, 0);
	assert_ptr_equal(a_ctx, o.ctx);
	assert_null(b_ctx);
	assert_false(a_held);
	assert_false(b_held);
	assert_true(a_locked);
	assert_true(b_locked);
	assert_false(ww_mutex_is_locked(&a));
	assert_false(ww_mutex_is_locked(&b));
	wwt_event_destroy(&o.held);
	wwt_event_destroy(&o.release);
	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
}

/*
 * A thread remembers its live contexts to answer "mine?" without reading
 * other threads' contexts; more nested contexts than it remembers (each of
 * its own class) must still be answered exactly, and a context finished
 * with a lock held (a misuse) must still unlock it.
 */
#define NESTED 11
void test_ww_mutex_held_by_self_many_contexts(void **state)
{
	struct fixture *f = *state;
	static struct ww_class classes[NESTED];
	struct ww_acquire_ctx ctx[NESTED];
	struct ww_mutex lock[NESTED];

	for (int i = 0; i < NESTED; i++) {
		resv_ww_class_init(&classes[i], "nested_class", f->wait_die);
		ww_mutex_init(&lock[i], &classes[i]);
		ww_acquire_init(&ctx[i], &classes[i]);
		assert_int_equal(ww_mutex_lock(&lock[i], &ctx[i]), 0);
	}
	for (int i = 0; i < NESTED; i++)
		assert_true(resv_ww_mutex_held_by_self(&lock[i]));
	for (int i = NESTED - 1; i >= 0; i--) {
		ww_mutex_unlock(&lock[i]);
		assert_false(resv_ww_mutex_held_by_self(&lock[i]));
		ww_acquire_fini(&ctx[i]);
		ww_mutex_destroy(&lock[i]);
	}
	assert_int_equal(wwt_reports_total(), 0);
}

/* ------------------------------------------------------------------------
 * Initialisers
 */

void test_ww_mutex_static_initializer(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex *l = f->static_lock;
	struct ww_acquire_ctx ctx;

	assert_int_equal(f->cls->is_wait_die, f->wait_die);
	assert_false(ww_mutex_is_locked(l));
	assert_null(resv_ww_mutex_ctx(l));
	assert_false(resv_ww_mutex_held_by_self(l));

	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ctx.is_wait_die, f->wait_die);
	assert_int_equal(ww_mutex_lock(l, &ctx), 0);
	assert_ptr_equal(resv_ww_mutex_ctx(l), &ctx);
	assert_int_equal(ww_mutex_lock(l, &ctx), -EALREADY);
	wwt_assert_other_thread_cannot_trylock(l, f->cls);
	ww_mutex_unlock(l);
	assert_int_equal(ww_mutex_trylock(l, NULL), 1);
	assert_true(resv_ww_mutex_held_by_self(l));
	wwt_assert_other_thread_cannot_trylock(l, f->cls);
	ww_mutex_unlock(l);
	assert_false(ww_mutex_is_locked(l));
	ww_acquire_fini(&ctx);
}

static struct ww_class runtime_class;

void test_ww_class_init_runtime(void **state)
{
	struct fixture *f = *state;
	struct ww_acquire_ctx ctx;
	struct resv_ww_stats cs;
	struct ww_mutex l;

	resv_ww_class_init(&runtime_class, f->wait_die ? "runtime_wd" : "runtime_ww", f->wait_die);
	assert_int_equal(runtime_class.is_wait_die, f->wait_die);
	resv_ww_class_get_stats(&runtime_class, &cs);
	assert_stats_zero(&cs);
	assert_int_equal(wwt_set_inject_mode(&runtime_class, RESV_WW_INJECT_OFF), 0);

	/* Stamps start like a DEFINE_W*_CLASS: the first context gets 1. */
	ww_mutex_init(&l, &runtime_class);
	ww_acquire_init(&ctx, &runtime_class);
	assert_true(ctx.stamp == 1);
	assert_int_equal(ctx.is_wait_die, f->wait_die);
	ww_acquire_fini(&ctx);
	ww_acquire_init(&ctx, &runtime_class);
	assert_true(ctx.stamp == 2);
	assert_int_equal(ww_mutex_lock(&l, &ctx), 0);
	wwt_assert_other_thread_cannot_trylock(&l, &runtime_class);
	ww_mutex_unlock(&l);
	ww_acquire_fini(&ctx);
	ww_mutex_destroy(&l);

	/* And the algorithm is the one asked for. */
	wwt_run_abba(&runtime_class, f->wait_die, false, false, false);
	wwt_run_abba(&runtime_class, f->wait_die, false, true, false);
}

/*
 * resv_ww_class_set_algorithm(): the next contexts run the other algorithm
 * (the ABBA outcome flips), and nothing else of the class changes.
 */
void test_ww_class_set_algorithm(void **state)
{
	struct fixture *f = *state;
	struct ww_acquire_ctx ctx;
	struct resv_ww_stats before, after;
	unsigned long stamp;

	resv_ww_class_init(&runtime_class, "runtime_switch", f->wait_die);
	assert_int_equal(wwt_set_inject_mode(&runtime_class, RESV_WW_INJECT_OFF), 0);
	wwt_run_abba(&runtime_class, f->wait_die, false, true, false);

	resv_ww_class_get_stats(&runtime_class, &before);
	stamp = runtime_class.stamp;
	assert_int_equal(resv_ww_class_set_algorithm(&runtime_class, !f->wait_die), 0);
	assert_int_equal(runtime_class.is_wait_die, !f->wait_die);
	assert_true(runtime_class.stamp == stamp);
	assert_int_equal(runtime_class.inject.mode, RESV_WW_INJECT_OFF);
	resv_ww_class_get_stats(&runtime_class, &after);
	assert_memory_equal(&before, &after, sizeof(before));

	ww_acquire_init(&ctx, &runtime_class);
	assert_int_equal(ctx.is_wait_die, !f->wait_die);
	assert_true(ctx.stamp == stamp + 1);
	ww_acquire_fini(&ctx);
	wwt_run_abba(&runtime_class, !f->wait_die, false, false, false);
	wwt_run_abba(&runtime_class, !f->wait_die, false, true, false);

	/* Setting the current algorithm again changes nothing; back again works. */
	assert_int_equal(resv_ww_class_set_algorithm(&runtime_class, !f->wait_die), 0);
	assert_int_equal(runtime_class.is_wait_die, !f->wait_die);
	assert_int_equal(resv_ww_class_set_algorithm(&runtime_class, f->wait_die), 0);
	assert_int_equal(runtime_class.is_wait_die, f->wait_die);
	wwt_run_abba(&runtime_class, f->wait_die, false, true, false);

	/* Bad input: -EINVAL, and the fixture's class is untouched. */
	assert_int_equal(resv_ww_class_set_algorithm(NULL, true), -EINVAL);
	assert_int_equal(resv_ww_class_set_algorithm(NULL, false), -EINVAL);
	assert_int_equal(f->cls->is_wait_die, f->wait_die);
	assert_int_equal(wwt_reports_total(), 0);
}
