/* SPDX-License-Identifier: MIT */
/* Basics on both classes: mutual exclusion, AA, ABBA and N-thread cycles. */
#include "ww_test.h"

/* ------------------------------------------------------------------------
 * Mutual exclusion (test_mutex)
 */

struct mx {
	struct ww_class *cls;
	struct ww_mutex lock;
	bool use_ctx;
	struct event tried;
	atomic_bool released; /* set by the holder just before it unlocks */
	int try_null, try_ctx, ret;
	bool saw_released, held;
	unsigned int acquired;
};

static void *mx_worker(void *arg)
{
	struct mx *m = arg;
	struct ww_acquire_ctx ctx, *c = m->use_ctx ? &ctx : NULL;

	if (c)
		ww_acquire_init(c, m->cls);
	m->try_null = ww_mutex_trylock(&m->lock, NULL);
	m->try_ctx = c ? ww_mutex_trylock(&m->lock, c) : 0;
	wwt_event_fire(&m->tried);
	if (m->try_null == 1 || m->try_ctx == 1) {
		/* Exclusion already broken; do not self-deadlock on top of it. */
		ww_mutex_unlock(&m->lock);
	} else {
		m->ret = ww_mutex_lock(&m->lock, c);
		m->saw_released = atomic_load(&m->released);
		m->held = resv_ww_mutex_held_by_self(&m->lock);
		m->acquired = c ? c->acquired : 1;
		if (m->ret == 0)
			ww_mutex_unlock(&m->lock);
	}
	if (c)
		ww_acquire_fini(c);
	return NULL;
}

void test_ww_mutex_mutual_exclusion(void **state)
{
	struct fixture *f = *state;
	int v;

	/* bit 0: with contexts; bit 1: the holder took the lock with trylock */
	for (v = 0; v < 4; v++) {
		struct mx m = { .cls = f->cls, .use_ctx = v & 1 };
		struct ww_acquire_ctx ctx, *c = m.use_ctx ? &ctx : NULL;
		pthread_t t;

		ww_mutex_init(&m.lock, f->cls);
		wwt_event_init(&m.tried);
		atomic_init(&m.released, false);
		if (c)
			ww_acquire_init(c, f->cls);
		if (v & 2)
			assert_int_equal(ww_mutex_trylock(&m.lock, c), 1);
		else
			assert_int_equal(ww_mutex_lock(&m.lock, c), 0);

		t = wwt_spawn(mx_worker, &m);
		wwt_event_expect(&m.tried, "worker trylock");
		wwt_msleep(SETTLE_MS); /* let the worker block in ww_mutex_lock() */
		atomic_store(&m.released, true);
		ww_mutex_unlock(&m.lock);
		wwt_join(t, "mutual exclusion worker");
		if (c)
			ww_acquire_fini(c);

		assert_int_equal(m.try_null, 0);
		assert_int_equal(m.try_ctx, 0);
		assert_int_equal(m.ret, 0);
		/* The worker got the lock only after the holder let go. */
		assert_true(m.saw_released);
		assert_true(m.held);
		assert_int_equal(m.acquired, 1);
		assert_false(ww_mutex_is_locked(&m.lock));
		wwt_event_destroy(&m.tried);
		ww_mutex_destroy(&m.lock);
	}
}

/* ------------------------------------------------------------------------
 * AA (test_aa)
 */

void test_ww_mutex_aa(void **state)
{
	struct fixture *f = *state;
	struct ww_acquire_ctx ctx;
	struct ww_mutex m;

	ww_mutex_init(&m, f->cls);
	ww_acquire_init(&ctx, f->cls);

	assert_int_equal(ww_mutex_lock(&m, &ctx), 0);
	assert_int_equal(ctx.acquired, 1);
	assert_int_equal(ww_mutex_lock(&m, &ctx), -EALREADY);
	assert_int_equal(ww_mutex_lock_interruptible(&m, &ctx), -EALREADY);
	/* Still held, by this context, and counted once. */
	assert_true(ww_mutex_is_locked(&m));
	assert_ptr_equal(resv_ww_mutex_ctx(&m), &ctx);
	assert_true(resv_ww_mutex_held_by_self(&m));
	assert_int_equal(ctx.acquired, 1);
	/* trylock never reports -EALREADY: a held lock is simply not taken. */
	assert_int_equal(ww_mutex_trylock(&m, NULL), 0);
	assert_int_equal(ww_mutex_trylock(&m, &ctx), 0);
	assert_int_equal(ctx.acquired, 1);
	assert_true(ww_mutex_is_locked(&m));
	ww_mutex_unlock(&m);
	assert_int_equal(ctx.acquired, 0);
	assert_false(ww_mutex_is_locked(&m));

	/* A lock taken with trylock belongs to the context just the same. */
	assert_int_equal(ww_mutex_trylock(&m, &ctx), 1);
	assert_int_equal(ctx.acquired, 1);
	assert_int_equal(ww_mutex_lock(&m, &ctx), -EALREADY);
	assert_int_equal(ww_mutex_trylock(&m, NULL), 0);
	assert_int_equal(ww_mutex_trylock(&m, &ctx), 0);
	assert_int_equal(ctx.acquired, 1);
	ww_mutex_unlock(&m);

	ww_acquire_fini(&ctx);
	assert_int_equal(ctx.acquired, 0);
	assert_int_equal(ctx.stats.already, 3);
	assert_int_equal(ctx.stats.acquires, 2);
	assert_int_equal(ctx.stats.deadlocks, 0);
	ww_mutex_destroy(&m);
}

/* ------------------------------------------------------------------------
 * ABBA (test_abba); the scenario itself is wwt_run_abba()
 */

void test_ww_mutex_abba_unresolved(void **state)
{
	struct fixture *f = *state;

	wwt_run_abba(f->cls, f->wait_die, false, false, false);
}

void test_ww_mutex_abba_resolved(void **state)
{
	struct fixture *f = *state;

	wwt_run_abba(f->cls, f->wait_die, false, true, false);
}

void test_ww_mutex_abba_trylock_unresolved(void **state)
{
	struct fixture *f = *state;

	wwt_run_abba(f->cls, f->wait_die, true, false, false);
}

void test_ww_mutex_abba_trylock_resolved(void **state)
{
	struct fixture *f = *state;

	wwt_run_abba(f->cls, f->wait_die, true, true, false);
}

/* ------------------------------------------------------------------------
 * N-thread cycle (test_cycle)
 */

#define CYCLE_MAX 8

struct cycle {
	struct ww_class *cls;
	int n;
	struct ww_mutex locks[CYCLE_MAX];
	pthread_barrier_t bar;
	struct turn turn;
};

struct cycle_worker {
	struct cycle *c;
	int idx;
	int ret_own, ret;
	unsigned int backoffs, acquired;
	struct resv_ww_stats stats;
};

static void *cycle_fn(void *arg)
{
	struct cycle_worker *w = arg;
	struct cycle *c = w->c;
	struct ww_mutex *held = &c->locks[w->idx];
	struct ww_mutex *want = &c->locks[(w->idx + 1) % c->n];
	struct ww_mutex *tmp;
	struct ww_acquire_ctx ctx;
	int ret;

	wwt_acquire_init_in_turn(&c->turn, w->idx, &ctx, c->cls); /* worker 0 is oldest */
	w->ret_own = ret = ww_mutex_lock(held, &ctx);
	/* Everyone holds its own lock before asking for the next: a closed cycle. */
	pthread_barrier_wait(&c->bar);
	while (ret == 0) {
		ret = ww_mutex_lock(want, &ctx);
		if (ret != -EDEADLK)
			break;
		if (++w->backoffs > MAX_BACKOFFS)
			break;
		ww_mutex_unlock(held);
		ww_mutex_lock_slow(want, &ctx);
		tmp = held;
		held = want;
		want = tmp;
		ret = 0;
	}
	w->ret = ret;
	w->acquired = ctx.acquired;
	if (resv_ww_mutex_held_by_self(held))
		ww_mutex_unlock(held);
	if (resv_ww_mutex_held_by_self(want))
		ww_mutex_unlock(want);
	ww_acquire_fini(&ctx);
	w->stats = ctx.stats;
	return NULL;
}

void test_ww_mutex_cycle(void **state)
{
	struct fixture *f = *state;
	int n, rep, i;

	for (n = 2; n <= CYCLE_MAX; n++) {
		for (rep = 0; rep < 4; rep++) {
			struct cycle c = { .cls = f->cls, .n = n };
			struct cycle_worker w[CYCLE_MAX];
			pthread_t th[CYCLE_MAX];
			unsigned int backoffs = 0, wounds = 0, wounded = 0;
			struct resv_ww_stats cs;

			resv_ww_class_reset_stats(f->cls);
			wwt_turn_init(&c.turn);
			pthread_barrier_init(&c.bar, NULL, (unsigned int)n);
			for (i = 0; i < n; i++)
				ww_mutex_init(&c.locks[i], f->cls);
			for (i = 0; i < n; i++) {
				w[i] = (struct cycle_worker){ .c = &c, .idx = i };
				th[i] = wwt_spawn(cycle_fn, &w[i]);
			}
			for (i = 0; i < n; i++)
				wwt_join(th[i], "cycle worker");

			for (i = 0; i < n; i++) {
				assert_int_equal(w[i].ret_own, 0);
				assert_int_equal(w[i].ret, 0);
				assert_int_equal(w[i].acquired, 2);
				assert_int_equal(w[i].stats.deadlocks, w[i].backoffs);
				if (f->wait_die)
					assert_int_equal(w[i].stats.wounds + w[i].stats.wounded, 0);
				else /* every Wound-Wait death is a wound */
					assert_int_equal(w[i].stats.wounded, w[i].backoffs);
				backoffs += w[i].backoffs;
				wounds += (unsigned int)w[i].stats.wounds;
				wounded += (unsigned int)w[i].stats.wounded;
			}
			/* A closed cycle cannot resolve without a back-off ... */
			assert_true(backoffs >= 1);
			/* ... and the oldest context never backs off. */
			assert_int_equal(w[0].backoffs, 0);
			/* Each Wound-Wait back-off consumed at least one wound. */
			assert_true(wounds >= wounded);

			resv_ww_class_get_stats(f->cls, &cs);
			assert_int_equal(cs.transactions, n);
			assert_int_equal(cs.deadlocks, backoffs);
			for (i = 0; i < n; i++) {
				assert_false(ww_mutex_is_locked(&c.locks[i]));
				ww_mutex_destroy(&c.locks[i]);
			}
			pthread_barrier_destroy(&c.bar);
			wwt_turn_destroy(&c.turn);
		}
	}
}
