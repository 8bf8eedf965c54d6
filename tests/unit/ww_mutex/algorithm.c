/* SPDX-License-Identifier: MIT */
/* Algorithm-specific outcomes: Wait-Die, Wound-Wait, lock-less contexts, stamp wrap. */
#include "ww_test.h"

/* ------------------------------------------------------------------------
 * A context holding no lock is never told -EDEADLK, older or younger.
 */

struct nolocks {
	struct ww_class *cls;
	struct ww_mutex l, m;
	bool waiter_older;
	struct turn turn;
	struct event h_locked, go_h;
	atomic_bool released;
	int h_ret_l, h_ret_m, w_ret;
	bool w_saw_released;
	struct resv_ww_stats h_stats, w_stats;
};

/* Holds l, then blocks on m (held by the main thread) while holding l. */
static void *nolocks_holder(void *arg)
{
	struct nolocks *s = arg;
	struct ww_acquire_ctx ctx;

	wwt_acquire_init_in_turn(&s->turn, s->waiter_older ? 1 : 0, &ctx, s->cls);
	s->h_ret_l = ww_mutex_lock(&s->l, &ctx);
	wwt_event_fire(&s->h_locked);
	(void)wwt_event_wait(&s->go_h);
	/* A waiter holding nothing must not have wounded us: this blocks, not dies. */
	s->h_ret_m = ww_mutex_lock(&s->m, &ctx);
	atomic_store(&s->released, true);
	if (s->h_ret_m == 0)
		ww_mutex_unlock(&s->m);
	if (s->h_ret_l == 0)
		ww_mutex_unlock(&s->l);
	ww_acquire_fini(&ctx);
	s->h_stats = ctx.stats;
	return NULL;
}

/* Holds nothing and waits for l. */
static void *nolocks_waiter(void *arg)
{
	struct nolocks *s = arg;
	struct ww_acquire_ctx ctx;

	wwt_acquire_init_in_turn(&s->turn, s->waiter_older ? 0 : 1, &ctx, s->cls);
	(void)wwt_event_wait(&s->h_locked);
	s->w_ret = ww_mutex_lock(&s->l, &ctx);
	s->w_saw_released = atomic_load(&s->released);
	if (s->w_ret == 0)
		ww_mutex_unlock(&s->l);
	ww_acquire_fini(&ctx);
	s->w_stats = ctx.stats;
	return NULL;
}

void test_ww_mutex_no_locks_never_deadlk(void **state)
{
	struct fixture *f = *state;
	int v;

	for (v = 0; v < 2; v++) {
		struct nolocks s = { .cls = f->cls, .waiter_older = v };
		pthread_t th, tw;

		ww_mutex_init(&s.l, f->cls);
		ww_mutex_init(&s.m, f->cls);
		wwt_turn_init(&s.turn);
		wwt_event_init(&s.h_locked);
		wwt_event_init(&s.go_h);
		atomic_init(&s.released, false);
		assert_int_equal(ww_mutex_lock(&s.m, NULL), 0);

		th = wwt_spawn(nolocks_holder, &s);
		tw = wwt_spawn(nolocks_waiter, &s);
		wwt_event_expect(&s.h_locked, "holder lock");
		wwt_msleep(SETTLE_MS); /* the waiter queues on l */
		wwt_event_fire(&s.go_h);
		wwt_msleep(SETTLE_MS); /* the holder blocks on m, holding l */
		ww_mutex_unlock(&s.m);
		wwt_join(th, "holder");
		wwt_join(tw, "waiter");

		assert_int_equal(s.h_ret_l, 0);
		assert_int_equal(s.h_ret_m, 0);
		assert_int_equal(s.w_ret, 0);
		assert_true(s.w_saw_released);
		assert_int_equal(s.h_stats.deadlocks + s.w_stats.deadlocks, 0);
		/* Only a waiter that holds locks wounds. */
		assert_int_equal(s.w_stats.wounds + s.h_stats.wounds, 0);
		assert_int_equal(s.h_stats.wounded + s.w_stats.wounded, 0);

		wwt_event_destroy(&s.h_locked);
		wwt_event_destroy(&s.go_h);
		wwt_turn_destroy(&s.turn);
		ww_mutex_destroy(&s.l);
		ww_mutex_destroy(&s.m);
	}
}

/*
 * The same when the context holding nothing queues behind an older waiter
 * (in Wait-Die that alone kills a context that holds locks). Stamps: O, W,
 * then the main thread, which holds l.
 */
struct behind {
	struct ww_class *cls;
	struct ww_mutex l, mo;
	struct turn turn;
	struct event l_held, o_asking, w_asking;
	atomic_bool released;
	int o_ret, w_ret;
	bool o_saw_released, w_saw_released;
	struct resv_ww_stats o_stats, w_stats;
};

static void *behind_o(void *arg)
{
	struct behind *s = arg;
	struct ww_acquire_ctx ctx;
	int ret_mo;

	wwt_acquire_init_in_turn(&s->turn, 0, &ctx, s->cls);
	(void)wwt_event_wait(&s->l_held);
	ret_mo = ww_mutex_lock(&s->mo, &ctx);
	wwt_event_fire(&s->o_asking);
	s->o_ret = ret_mo ? ret_mo : ww_mutex_lock(&s->l, &ctx);
	s->o_saw_released = atomic_load(&s->released);
	if (resv_ww_mutex_held_by_self(&s->l))
		ww_mutex_unlock(&s->l);
	if (ret_mo == 0)
		ww_mutex_unlock(&s->mo);
	ww_acquire_fini(&ctx);
	s->o_stats = ctx.stats;
	return NULL;
}

static void *behind_w(void *arg)
{
	struct behind *s = arg;
	struct ww_acquire_ctx ctx;

	wwt_acquire_init_in_turn(&s->turn, 1, &ctx, s->cls);
	(void)wwt_event_wait(&s->o_asking);
	wwt_msleep(SETTLE_MS); /* O queues first */
	wwt_event_fire(&s->w_asking);
	s->w_ret = ww_mutex_lock(&s->l, &ctx);
	s->w_saw_released = atomic_load(&s->released);
	if (s->w_ret == 0)
		ww_mutex_unlock(&s->l);
	ww_acquire_fini(&ctx);
	s->w_stats = ctx.stats;
	return NULL;
}

void test_ww_mutex_no_locks_queued_behind_older(void **state)
{
	struct fixture *f = *state;
	struct behind s = { .cls = f->cls };
	struct ww_acquire_ctx ctx;
	pthread_t to, tw;

	ww_mutex_init(&s.l, f->cls);
	ww_mutex_init(&s.mo, f->cls);
	wwt_turn_init(&s.turn);
	wwt_event_init(&s.l_held);
	wwt_event_init(&s.o_asking);
	wwt_event_init(&s.w_asking);
	atomic_init(&s.released, false);

	to = wwt_spawn(behind_o, &s);
	tw = wwt_spawn(behind_w, &s);
	wwt_acquire_init_in_turn(&s.turn, 2, &ctx, f->cls); /* youngest */
	assert_int_equal(ww_mutex_lock(&s.l, &ctx), 0);
	wwt_event_fire(&s.l_held);
	wwt_event_expect(&s.o_asking, "older waiter");
	wwt_event_expect(&s.w_asking, "waiter holding nothing");
	wwt_msleep(SETTLE_MS); /* O, then W, queue on l */
	atomic_store(&s.released, true);
	ww_mutex_unlock(&s.l);
	wwt_join(to, "older waiter");
	wwt_join(tw, "waiter holding nothing");
	ww_acquire_fini(&ctx);

	assert_int_equal(s.o_ret, 0);
	assert_true(s.o_saw_released);
	assert_int_equal(s.w_ret, 0);
	assert_true(s.w_saw_released);
	assert_int_equal(s.o_stats.deadlocks, 0);
	assert_int_equal(s.w_stats.deadlocks, 0);
	assert_int_equal(s.w_stats.wounds, 0);
	assert_int_equal(ctx.stats.deadlocks, 0);

	wwt_event_destroy(&s.l_held);
	wwt_event_destroy(&s.o_asking);
	wwt_event_destroy(&s.w_asking);
	wwt_turn_destroy(&s.turn);
	ww_mutex_destroy(&s.l);
	ww_mutex_destroy(&s.mo);
}

/* ------------------------------------------------------------------------
 * Younger context holding a lock meets an older holder.
 * Wait-Die: dies at once, without blocking. Wound-Wait: waits (the older
 * holder is not waiting, so nobody is wounded).
 */

struct younger {
	struct ww_class *cls;
	struct ww_mutex l, m;
	struct event y_ready, y_done;
	atomic_bool released;
	int ret_m, ret_l;
	const struct ww_acquire_ctx *l_ctx_at_return;
	const struct ww_acquire_ctx *y_ctx;
	bool saw_released;
	unsigned int acquired_at_return;
	struct resv_ww_stats stats;
};

static void *younger_fn(void *arg)
{
	struct younger *s = arg;
	struct ww_acquire_ctx ctx;

	ww_acquire_init(&ctx, s->cls); /* after the main thread's: younger */
	s->y_ctx = &ctx;
	s->ret_m = ww_mutex_lock(&s->m, &ctx);
	wwt_event_fire(&s->y_ready);
	s->ret_l = ww_mutex_lock(&s->l, &ctx);
	s->saw_released = atomic_load(&s->released);
	s->l_ctx_at_return = resv_ww_mutex_ctx(&s->l);
	s->acquired_at_return = ctx.acquired;
	wwt_event_fire(&s->y_done);
	if (resv_ww_mutex_held_by_self(&s->l))
		ww_mutex_unlock(&s->l);
	if (resv_ww_mutex_held_by_self(&s->m))
		ww_mutex_unlock(&s->m);
	ww_acquire_fini(&ctx);
	s->stats = ctx.stats;
	return NULL;
}

void test_ww_mutex_younger_blocked_by_older(void **state)
{
	struct fixture *f = *state;
	struct younger s = { .cls = f->cls };
	struct ww_acquire_ctx ctx;
	bool done_before_release;
	pthread_t t;

	ww_mutex_init(&s.l, f->cls);
	ww_mutex_init(&s.m, f->cls);
	wwt_event_init(&s.y_ready);
	wwt_event_init(&s.y_done);
	atomic_init(&s.released, false);

	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&s.l, &ctx), 0);
	t = wwt_spawn(younger_fn, &s);
	if (f->wait_die) {
		/* It must come back while we still hold l: it may not wait. */
		done_before_release = wwt_event_wait(&s.y_done);
	} else {
		wwt_event_expect(&s.y_ready, "younger context first lock");
		wwt_msleep(SETTLE_MS); /* it blocks on l */
		done_before_release = wwt_event_fired(&s.y_done);
	}
	atomic_store(&s.released, true);
	ww_mutex_unlock(&s.l);
	wwt_join(t, "younger context");
	ww_acquire_fini(&ctx);

	assert_int_equal(s.ret_m, 0);
	assert_int_equal(ctx.stats.wounds, 0); /* the older one never waited */
	if (f->wait_die) {
		assert_true(done_before_release);
		assert_int_equal(s.ret_l, -EDEADLK);
		assert_false(s.saw_released);
		assert_ptr_equal(s.l_ctx_at_return, &ctx);
		assert_int_equal(s.acquired_at_return, 1);
		assert_int_equal(s.stats.deadlocks, 1);
		assert_int_equal(s.stats.contended, 0);
	} else {
		assert_false(done_before_release);
		assert_int_equal(s.ret_l, 0);
		assert_true(s.saw_released);
		assert_ptr_equal(s.l_ctx_at_return, s.y_ctx);
		assert_int_equal(s.acquired_at_return, 2);
		assert_int_equal(s.stats.deadlocks, 0);
		assert_int_equal(s.stats.wounded, 0);
	}
	wwt_event_destroy(&s.y_ready);
	wwt_event_destroy(&s.y_done);
	ww_mutex_destroy(&s.l);
	ww_mutex_destroy(&s.m);
}

/* ------------------------------------------------------------------------
 * Older context holding a lock meets a younger holder: it waits in both
 * algorithms and never gets -EDEADLK. In Wound-Wait it wounds the holder,
 * which still acquires free locks and completes normally since it never
 * has to block again.
 */

struct older {
	struct ww_class *cls;
	struct ww_mutex l, m, f;
	struct event o_ready, go;
	atomic_bool released;
	int ret_m, ret_l;
	bool saw_released;
	struct resv_ww_stats stats;
};

static void *older_fn(void *arg)
{
	struct older *s = arg;
	struct ww_acquire_ctx ctx;

	ww_acquire_init(&ctx, s->cls); /* before the main thread's: older */
	s->ret_m = ww_mutex_lock(&s->m, &ctx);
	wwt_event_fire(&s->o_ready);
	(void)wwt_event_wait(&s->go);
	s->ret_l = ww_mutex_lock(&s->l, &ctx);
	s->saw_released = atomic_load(&s->released);
	if (resv_ww_mutex_held_by_self(&s->l))
		ww_mutex_unlock(&s->l);
	if (resv_ww_mutex_held_by_self(&s->m))
		ww_mutex_unlock(&s->m);
	ww_acquire_fini(&ctx);
	s->stats = ctx.stats;
	return NULL;
}

void test_ww_mutex_older_blocked_by_younger(void **state)
{
	struct fixture *f = *state;
	struct older s = { .cls = f->cls };
	struct ww_acquire_ctx ctx;
	bool wounded = false;
	int ret_f;
	pthread_t t;

	ww_mutex_init(&s.l, f->cls);
	ww_mutex_init(&s.m, f->cls);
	ww_mutex_init(&s.f, f->cls);
	wwt_event_init(&s.o_ready);
	wwt_event_init(&s.go);
	atomic_init(&s.released, false);

	t = wwt_spawn(older_fn, &s);
	wwt_event_expect(&s.o_ready, "older context first lock");
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&s.l, &ctx), 0);
	wwt_event_fire(&s.go);
	if (f->wait_die)
		wwt_msleep(SETTLE_MS); /* the older one blocks on l */
	else
		wounded = wwt_wait_wounded(&ctx); /* the older one is queued on l */
	/* A free lock is acquired even by a wounded context. */
	ret_f = ww_mutex_lock(&s.f, &ctx);
	atomic_store(&s.released, true);
	if (ret_f == 0)
		ww_mutex_unlock(&s.f);
	ww_mutex_unlock(&s.l);
	wwt_join(t, "older context");
	ww_acquire_fini(&ctx);

	assert_int_equal(s.ret_m, 0);
	assert_int_equal(s.ret_l, 0);
	assert_true(s.saw_released);
	assert_int_equal(s.stats.deadlocks, 0);
	assert_int_equal(ret_f, 0);
	assert_int_equal(ctx.stats.deadlocks, 0);
	assert_int_equal(ctx.stats.wounded, 0); /* wounded, but never backed off */
	assert_int_equal(ctx.stats.acquires, 2);
	if (f->wait_die) {
		assert_int_equal(s.stats.wounds, 0);
	} else {
		assert_true(wounded);
		assert_int_equal(s.stats.wounds, 1);
		assert_int_equal(s.stats.contended, 1);
	}
	wwt_event_destroy(&s.o_ready);
	wwt_event_destroy(&s.go);
	ww_mutex_destroy(&s.l);
	ww_mutex_destroy(&s.m);
	ww_mutex_destroy(&s.f);
}

/* ------------------------------------------------------------------------
 * Wait-Die: a younger context holding locks dies as soon as an older
 * context is queued ahead of it, even when the holder is younger still.
 * Parties (oldest first): O, Y, the main thread Z holding l. Run with O
 * asking first (Y dies on enqueue) and with Y asking first (O's enqueue must
 * wake Y so that it dies); the sleeps only make each order likely, and
 * either order has the same outcome.
 */

struct queued {
	struct ww_class *cls;
	struct ww_mutex l, mo, my;
	bool y_first;
	struct turn turn;
	struct event l_held, o_asking, y_asking, y_done;
	atomic_bool released;
	int o_ret, y_ret;
	bool o_saw_released;
	const struct ww_acquire_ctx *l_ctx_at_y_return;
	struct resv_ww_stats o_stats, y_stats;
};

static void *queued_o(void *arg)
{
	struct queued *s = arg;
	struct ww_acquire_ctx ctx;

	wwt_acquire_init_in_turn(&s->turn, 0, &ctx, s->cls);
	(void)wwt_event_wait(&s->l_held);
	if (ww_mutex_lock(&s->mo, &ctx) == 0) {
		if (s->y_first) {
			(void)wwt_event_wait(&s->y_asking);
			wwt_msleep(SETTLE_MS); /* Y queues first */
		}
		wwt_event_fire(&s->o_asking);
		s->o_ret = ww_mutex_lock(&s->l, &ctx); /* holder younger: waits */
		s->o_saw_released = atomic_load(&s->released);
		if (s->o_ret == 0)
			ww_mutex_unlock(&s->l);
		ww_mutex_unlock(&s->mo);
	} else {
		s->o_ret = -ENOLCK;
		wwt_event_fire(&s->o_asking);
	}
	ww_acquire_fini(&ctx);
	s->o_stats = ctx.stats;
	return NULL;
}

static void *queued_y(void *arg)
{
	struct queued *s = arg;
	struct ww_acquire_ctx ctx;

	wwt_acquire_init_in_turn(&s->turn, 1, &ctx, s->cls);
	(void)wwt_event_wait(&s->l_held);
	if (ww_mutex_lock(&s->my, &ctx) == 0) {
		if (!s->y_first) {
			(void)wwt_event_wait(&s->o_asking);
			wwt_msleep(SETTLE_MS); /* O queues first */
		}
		wwt_event_fire(&s->y_asking);
		/* The holder is younger, but O is (or will be) queued ahead: die. */
		s->y_ret = ww_mutex_lock(&s->l, &ctx);
		s->l_ctx_at_y_return = resv_ww_mutex_ctx(&s->l);
		wwt_event_fire(&s->y_done);
		if (s->y_ret == 0)
			ww_mutex_unlock(&s->l);
		ww_mutex_unlock(&s->my);
	} else {
		s->y_ret = -ENOLCK;
		wwt_event_fire(&s->y_asking);
		wwt_event_fire(&s->y_done);
	}
	ww_acquire_fini(&ctx);
	s->y_stats = ctx.stats;
	return NULL;
}

void test_ww_mutex_wait_die_queued_older_kills(void **state)
{
	struct fixture *f = *state;
	int v;

	for (v = 0; v < 2; v++) {
		struct queued s = { .cls = f->cls, .y_first = v };
		struct ww_acquire_ctx ctx;
		pthread_t to, ty;
		bool y_died_in_time;

		ww_mutex_init(&s.l, f->cls);
		ww_mutex_init(&s.mo, f->cls);
		ww_mutex_init(&s.my, f->cls);
		wwt_turn_init(&s.turn);
		wwt_event_init(&s.l_held);
		wwt_event_init(&s.o_asking);
		wwt_event_init(&s.y_asking);
		wwt_event_init(&s.y_done);
		atomic_init(&s.released, false);

		to = wwt_spawn(queued_o, &s);
		ty = wwt_spawn(queued_y, &s);
		wwt_acquire_init_in_turn(&s.turn, 2, &ctx, f->cls); /* youngest */
		assert_int_equal(ww_mutex_lock(&s.l, &ctx), 0);
		wwt_event_fire(&s.l_held);
		y_died_in_time = wwt_event_wait(&s.y_done); /* l stays held until Y returns */
		atomic_store(&s.released, true);
		ww_mutex_unlock(&s.l);
		wwt_join(to, "older waiter");
		wwt_join(ty, "younger waiter");
		ww_acquire_fini(&ctx);

		assert_true(y_died_in_time);
		assert_int_equal(s.y_ret, -EDEADLK);
		assert_ptr_equal(s.l_ctx_at_y_return, &ctx);
		assert_int_equal(s.y_stats.deadlocks, 1);
		assert_int_equal(s.o_ret, 0);
		assert_true(s.o_saw_released);
		assert_int_equal(s.o_stats.deadlocks, 0);
		/* Y's death proves O was queued on l while it was held. */
		assert_int_equal(s.o_stats.contended, 1);

		wwt_event_destroy(&s.l_held);
		wwt_event_destroy(&s.o_asking);
		wwt_event_destroy(&s.y_asking);
		wwt_event_destroy(&s.y_done);
		wwt_turn_destroy(&s.turn);
		ww_mutex_destroy(&s.l);
		ww_mutex_destroy(&s.mo);
		ww_mutex_destroy(&s.my);
	}
}

/* ------------------------------------------------------------------------
 * Wound-Wait: an older waiter wounds the younger holder, which gets
 * -EDEADLK on its next *blocking* acquire while holding locks, and not
 * before. Parties (oldest first): the main thread holding b, O, Y.
 */

struct wound {
	struct ww_class *cls;
	struct ww_mutex b, l, f1, f2, m;
	struct turn turn;
	struct event b_held, y_has_l, y_backed_off;
	atomic_bool released;
	/* Y */
	bool y_saw_wounded;
	int y_ret_l, y_ret_f1, y_ret_f2, y_ret_try, y_ret_b;
	unsigned int y_acquired_before_b, y_acquired_slow;
	bool y_saw_released;
	struct resv_ww_stats y_stats;
	/* O */
	int o_ret_m, o_ret_l;
	struct resv_ww_stats o_stats;
};

static void *wound_y(void *arg)
{
	struct wound *s = arg;
	struct ww_acquire_ctx ctx;

	wwt_acquire_init_in_turn(&s->turn, 2, &ctx, s->cls);
	(void)wwt_event_wait(&s->b_held);
	s->y_ret_l = ww_mutex_lock(&s->l, &ctx);
	s->y_ret_f1 = ww_mutex_lock(&s->f1, &ctx);
	wwt_event_fire(&s->y_has_l);
	s->y_saw_wounded = wwt_wait_wounded(&ctx);
	/* Wounded, but a free lock does not block: still acquired. */
	s->y_ret_f2 = ww_mutex_lock(&s->f2, &ctx);
	/* trylock never dies either. */
	s->y_ret_try = ww_mutex_trylock(&s->b, &ctx);
	s->y_acquired_before_b = ctx.acquired;
	/* b is held by the oldest context: blocking while wounded -> -EDEADLK. */
	s->y_ret_b = ww_mutex_lock(&s->b, &ctx);
	if (resv_ww_mutex_held_by_self(&s->b))
		ww_mutex_unlock(&s->b);
	if (resv_ww_mutex_held_by_self(&s->f2))
		ww_mutex_unlock(&s->f2);
	if (resv_ww_mutex_held_by_self(&s->f1))
		ww_mutex_unlock(&s->f1);
	if (resv_ww_mutex_held_by_self(&s->l))
		ww_mutex_unlock(&s->l);
	wwt_event_fire(&s->y_backed_off);
	if (s->y_ret_b == -EDEADLK) {
		ww_mutex_lock_slow(&s->b, &ctx);
		s->y_saw_released = atomic_load(&s->released);
		s->y_acquired_slow = ctx.acquired;
		ww_mutex_unlock(&s->b);
	}
	ww_acquire_fini(&ctx);
	s->y_stats = ctx.stats;
	return NULL;
}

static void *wound_o(void *arg)
{
	struct wound *s = arg;
	struct ww_acquire_ctx ctx;

	wwt_acquire_init_in_turn(&s->turn, 1, &ctx, s->cls);
	(void)wwt_event_wait(&s->y_has_l);
	s->o_ret_m = ww_mutex_lock(&s->m, &ctx);
	s->o_ret_l = ww_mutex_lock(&s->l, &ctx); /* wounds Y, waits */
	if (s->o_ret_l == 0)
		ww_mutex_unlock(&s->l);
	if (s->o_ret_m == 0)
		ww_mutex_unlock(&s->m);
	ww_acquire_fini(&ctx);
	s->o_stats = ctx.stats;
	return NULL;
}

void test_ww_mutex_wound_wait_wounded_dies_on_block(void **state)
{
	struct fixture *f = *state;
	struct wound s = { .cls = f->cls };
	struct ww_acquire_ctx ctx;
	bool backed_off;
	pthread_t to, ty;

	ww_mutex_init(&s.b, f->cls);
	ww_mutex_init(&s.l, f->cls);
	ww_mutex_init(&s.f1, f->cls);
	ww_mutex_init(&s.f2, f->cls);
	ww_mutex_init(&s.m, f->cls);
	wwt_turn_init(&s.turn);
	wwt_event_init(&s.b_held);
	wwt_event_init(&s.y_has_l);
	wwt_event_init(&s.y_backed_off);
	atomic_init(&s.released, false);

	to = wwt_spawn(wound_o, &s);
	ty = wwt_spawn(wound_y, &s);
	wwt_acquire_init_in_turn(&s.turn, 0, &ctx, f->cls); /* oldest */
	assert_int_equal(ww_mutex_lock(&s.b, &ctx), 0);
	wwt_event_fire(&s.b_held);
	backed_off = wwt_event_wait(&s.y_backed_off);
	atomic_store(&s.released, true);
	ww_mutex_unlock(&s.b);
	wwt_join(to, "older waiter");
	wwt_join(ty, "wounded holder");
	ww_acquire_fini(&ctx);

	assert_true(backed_off);
	assert_int_equal(s.y_ret_l, 0);
	assert_int_equal(s.y_ret_f1, 0);
	assert_true(s.y_saw_wounded);
	assert_int_equal(s.y_ret_f2, 0);
	assert_int_equal(s.y_ret_try, 0);
	assert_int_equal(s.y_acquired_before_b, 3);
	assert_int_equal(s.y_ret_b, -EDEADLK);
	assert_true(s.y_saw_released);
	assert_int_equal(s.y_acquired_slow, 1);
	assert_int_equal(s.y_stats.deadlocks, 1);
	assert_int_equal(s.y_stats.wounded, 1);
	assert_int_equal(s.y_stats.wounds, 0);
	assert_int_equal(s.y_stats.acquires, 4);

	/* Older contexts never die. */
	assert_int_equal(s.o_ret_m, 0);
	assert_int_equal(s.o_ret_l, 0);
	assert_int_equal(s.o_stats.deadlocks, 0);
	assert_int_equal(s.o_stats.wounds, 1);
	assert_int_equal(s.o_stats.contended, 1);
	assert_int_equal(ctx.stats.deadlocks + ctx.stats.wounds + ctx.stats.wounded, 0);

	wwt_event_destroy(&s.b_held);
	wwt_event_destroy(&s.y_has_l);
	wwt_event_destroy(&s.y_backed_off);
	wwt_turn_destroy(&s.turn);
	ww_mutex_destroy(&s.b);
	ww_mutex_destroy(&s.l);
	ww_mutex_destroy(&s.f1);
	ww_mutex_destroy(&s.f2);
	ww_mutex_destroy(&s.m);
}

/* ------------------------------------------------------------------------
 * Stamp wrap, on the ABBA scenario
 */

/* Stamps compare wrap-safely: ULONG_MAX is older than the 0 after it. */
void test_ww_acquire_ctx_stamp_wrap(void **state)
{
	struct fixture *f = *state;

	wwt_run_abba(f->cls, f->wait_die, false, false, true);
	wwt_run_abba(f->cls, f->wait_die, false, true, true);
}
