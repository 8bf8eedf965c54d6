/* SPDX-License-Identifier: MIT */
/* Deadlock injection: NTH, RANDOM, SLOWPATH, per-context overrides, defaults. */
#include "ww_test.h"

/* ------------------------------------------------------------------------
 * Canonical acquire loop (ww_mutex.h DOC), with a trace of every
 * ww_mutex_lock() result: '0' acquired, 'D' -EDEADLK, 'E' anything else.
 */

struct trace {
	char buf[8192];
	size_t len;
	bool overflow;
};

static void trace_put(struct trace *t, char c)
{
	if (!t)
		return;
	if (t->len + 1 >= sizeof(t->buf)) {
		t->overflow = true;
		return;
	}
	t->buf[t->len++] = c;
	t->buf[t->len] = '\0';
}

static void trace_ret(struct trace *t, int ret)
{
	trace_put(t, ret == 0 ? '0' : ret == -EDEADLK ? 'D' : 'E');
}

/* Returns 0 with all @n locks held, or an error with none held. */
static int lock_all(struct ww_mutex **locks, int n, struct ww_acquire_ctx *ctx,
		    struct trace *t, unsigned int *backoffs)
{
	struct ww_mutex *contended = NULL;
	int i, j, ret;

retry:
	for (i = 0; i < n; i++) {
		if (locks[i] == contended) {
			contended = NULL; /* already locked by the slow path */
			continue;
		}
		ret = ww_mutex_lock(locks[i], ctx);
		trace_ret(t, ret);
		if (!ret)
			continue;
		for (j = 0; j < i; j++)
			ww_mutex_unlock(locks[j]);
		if (contended)
			ww_mutex_unlock(contended);
		if (ret != -EDEADLK)
			return ret;
		if (++*backoffs > MAX_BACKOFFS)
			return -ELOOP;
		contended = locks[i];
		ww_mutex_lock_slow(contended, ctx);
		goto retry;
	}
	return 0;
}

static void unlock_all(struct ww_mutex **locks, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--)
		ww_mutex_unlock(locks[i]);
}

/* After an -EDEADLK on @contended with @held held: the documented back-off. */
static void back_off(struct ww_mutex *held, struct ww_mutex *contended, struct ww_acquire_ctx *ctx)
{
	if (held)
		ww_mutex_unlock(held);
	ww_mutex_lock_slow(contended, ctx);
	ww_mutex_unlock(contended);
}

/* ------------------------------------------------------------------------
 * Deadlock injection
 */

void test_ww_mutex_inject_nth(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex a, b, c, t;
	struct ww_acquire_ctx ctx;
	struct resv_ww_stats cs;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	ww_mutex_init(&c, f->cls);
	ww_mutex_init(&t, f->cls);
	wwt_set_inject(f->cls, RESV_WW_INJECT_NTH, 2, 0, 0, 0);
	ww_acquire_init(&ctx, f->cls);

	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);   /* first lock: never */
	assert_int_equal(ww_mutex_trylock(&t, &ctx), 1); /* trylock: never */
	assert_int_equal(ww_mutex_lock(&b, &ctx), 0);   /* eligible #1 */
	assert_int_equal(ww_mutex_lock(&c, &ctx), -EDEADLK); /* eligible #2 */
	/* Well-formed: the lock is not held, nothing else changed. */
	assert_false(ww_mutex_is_locked(&c));
	assert_false(resv_ww_mutex_held_by_self(&c));
	assert_null(resv_ww_mutex_ctx(&c));
	assert_int_equal(ctx.acquired, 3);
	assert_int_equal(ctx.stats.injected, 1);
	assert_int_equal(ctx.stats.deadlocks, 0);

	ww_mutex_unlock(&a);
	ww_mutex_unlock(&t);
	ww_mutex_unlock(&b);
	assert_int_equal(ctx.acquired, 0);
	ww_mutex_lock_slow(&c, &ctx); /* slow path: never */
	assert_true(resv_ww_mutex_held_by_self(&c));
	assert_int_equal(ctx.acquired, 1);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0); /* #3: period 0, no more */
	assert_int_equal(ww_mutex_lock(&b, &ctx), 0); /* #4 */
	assert_int_equal(ww_mutex_trylock(&t, &ctx), 1);
	assert_int_equal(ctx.acquired, 4);
	assert_int_equal(ctx.stats.injected, 1);
	ww_mutex_unlock(&a);
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&c);
	ww_mutex_unlock(&t);
	ww_acquire_fini(&ctx);

	resv_ww_class_get_stats(f->cls, &cs);
	assert_int_equal(cs.injected, 1);
	assert_int_equal(cs.deadlocks, 0);
	assert_int_equal(cs.transactions, 1);
	assert_int_equal(cs.acquires, ctx.stats.acquires);

	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
	ww_mutex_destroy(&c);
	ww_mutex_destroy(&t);
}

void test_ww_mutex_inject_nth_period(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex a, b;
	struct ww_acquire_ctx ctx;
	char pattern[8] = "";
	int k, ret;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	/* Eligible acquires #1, #3, #5, #7, ... fail. */
	wwt_set_inject(f->cls, RESV_WW_INJECT_NTH, 1, 2, 0, 0);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	for (k = 0; k < 6; k++) {
		ret = ww_mutex_lock(&b, &ctx); /* eligible: a is held */
		pattern[k] = ret == 0 ? '0' : ret == -EDEADLK ? 'D' : 'E';
		if (ret == 0) {
			ww_mutex_unlock(&b);
		} else if (ret == -EDEADLK) {
			back_off(&a, &b, &ctx);
			/* First lock again (nothing held): not eligible. */
			assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
		}
	}
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	assert_string_equal(pattern, "D0D0D0");
	assert_int_equal(ctx.stats.injected, 3);

	/* The count belongs to the class: a new context continues at #7. */
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	back_off(&a, &b, &ctx);
	ww_acquire_fini(&ctx);

	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
}

void test_ww_mutex_inject_never_first_or_trylock(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex a, b, c, d;
	struct ww_acquire_ctx ctx;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	ww_mutex_init(&c, f->cls);
	ww_mutex_init(&d, f->cls);
	wwt_set_inject(f->cls, RESV_WW_INJECT_NTH, 1, 1, 0, 0); /* every eligible one */
	ww_acquire_init(&ctx, f->cls);

	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_trylock(&b, &ctx), 1);
	assert_int_equal(ww_mutex_trylock(&c, &ctx), 1);
	/* The interruptible variant is eligible too. */
	assert_int_equal(ww_mutex_lock_interruptible(&d, &ctx), -EDEADLK);
	assert_false(ww_mutex_is_locked(&d));
	ww_mutex_unlock(&a);
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&c);
	ww_mutex_lock_slow(&d, &ctx);
	assert_int_equal(ww_mutex_trylock(&a, &ctx), 1);
	assert_int_equal(ctx.acquired, 2);
	ww_mutex_unlock(&a);
	ww_mutex_unlock(&d);

	assert_int_equal(ww_mutex_lock(&a, &ctx), 0); /* first again */
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	back_off(&a, &b, &ctx);
	ww_acquire_fini(&ctx);
	assert_int_equal(ctx.stats.injected, 2);

	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
	ww_mutex_destroy(&c);
	ww_mutex_destroy(&d);
}

#define REPLAY_LOCKS 8
#define REPLAY_TRANSACTIONS 16

static struct ww_class replay_class;

/* One single-threaded run; a fresh class restarts the stamps as a new process would. */
static void replay_run(bool wait_die, uint64_t seed, struct trace *t, uint64_t *injected)
{
	struct ww_mutex locks[REPLAY_LOCKS], *ptrs[REPLAY_LOCKS];
	struct ww_acquire_ctx ctx;
	struct resv_ww_stats cs;
	unsigned int backoffs = 0;
	int i, n, ret;

	resv_ww_class_init(&replay_class, "replay", wait_die);
	wwt_set_inject(&replay_class, RESV_WW_INJECT_RANDOM, 0, 0, 200000, seed);
	for (i = 0; i < REPLAY_LOCKS; i++) {
		ww_mutex_init(&locks[i], &replay_class);
		ptrs[i] = &locks[i];
	}
	for (n = 0; n < REPLAY_TRANSACTIONS; n++) {
		ww_acquire_init(&ctx, &replay_class);
		ret = lock_all(ptrs, REPLAY_LOCKS, &ctx, t, &backoffs);
		trace_put(t, ret ? 'E' : ctx.acquired == REPLAY_LOCKS ? '|' : '?');
		if (!ret)
			unlock_all(ptrs, REPLAY_LOCKS);
		ww_acquire_fini(&ctx);
	}
	resv_ww_class_get_stats(&replay_class, &cs);
	*injected = cs.injected;
	for (i = 0; i < REPLAY_LOCKS; i++)
		ww_mutex_destroy(&locks[i]);
}

void test_ww_mutex_inject_random_replay(void **state)
{
	struct fixture *f = *state;
	static struct trace t1, t2;
	uint64_t inj1 = 0, inj2 = 0;
	size_t i, deaths = 0, commits = 0;

	memset(&t1, 0, sizeof(t1));
	memset(&t2, 0, sizeof(t2));
	replay_run(f->wait_die, 0x5eedULL, &t1, &inj1);
	replay_run(f->wait_die, 0x5eedULL, &t2, &inj2);
	assert_false(t1.overflow);
	assert_false(t2.overflow);
	for (i = 0; i < t1.len; i++) {
		deaths += t1.buf[i] == 'D';
		commits += t1.buf[i] == '|';
		assert_true(t1.buf[i] == '0' || t1.buf[i] == 'D' || t1.buf[i] == '|');
	}
	/* Every transaction completed, injections happened, and they replay. */
	assert_int_equal(commits, REPLAY_TRANSACTIONS);
	assert_true(inj1 > 0);
	assert_int_equal(deaths, inj1); /* single-threaded: every -EDEADLK is injected */
	assert_string_equal(t1.buf, t2.buf);
	assert_int_equal(inj1, inj2);
}

#define SLOWPATH_LOCKS 16

void test_ww_mutex_inject_slowpath(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex locks[SLOWPATH_LOCKS], *ptrs[SLOWPATH_LOCKS];
	static struct trace t;
	struct ww_acquire_ctx ctx;
	uint64_t injected = 0;
	unsigned int backoffs;
	int i, n, first_death, expected;
	char *d;

	for (i = 0; i < SLOWPATH_LOCKS; i++) {
		ww_mutex_init(&locks[i], f->cls);
		ptrs[i] = &locks[i];
	}
	wwt_set_inject(f->cls, RESV_WW_INJECT_SLOWPATH, 0, 0, 0, 0);
	for (n = 0; n < 10; n++) {
		memset(&t, 0, sizeof(t));
		backoffs = 0;
		ww_acquire_init(&ctx, f->cls);
		assert_int_equal(lock_all(ptrs, SLOWPATH_LOCKS, &ctx, &t, &backoffs), 0);
		assert_int_equal(ctx.acquired, SLOWPATH_LOCKS);
		ww_acquire_done(&ctx);
		unlock_all(ptrs, SLOWPATH_LOCKS);
		ww_acquire_fini(&ctx);
		assert_int_equal(ctx.stats.injected, backoffs);
		injected += ctx.stats.injected;

		/*
		 * The kernel's countdown starts at stamp & 0xf and is tested
		 * with countdown-- == 0 after each successful eligible
		 * acquire: the first pass (15 eligible acquires, list index
		 * i is eligible #i) fails at index (stamp & 0xf) + 1.
		 */
		d = memchr(t.buf, 'D', t.len);
		first_death = d ? (int)(d - t.buf) : -1;
		expected = (ctx.stamp & 0xf) + 1 < SLOWPATH_LOCKS ? (int)(ctx.stamp & 0xf) + 1 : -1;
		assert_int_equal(first_death, expected);
	}
	/* At most one stamp in 16 has countdown 15: injection happened. */
	assert_true(injected > 0);
	for (i = 0; i < SLOWPATH_LOCKS; i++)
		ww_mutex_destroy(&locks[i]);
}

void test_ww_mutex_inject_ctx_override(void **state)
{
	struct fixture *f = *state;
	struct resv_ww_inject always = { .mode = RESV_WW_INJECT_RANDOM, .per_million = 1000000,
					 .seed = 1 };
	struct ww_mutex a, b, c;
	struct ww_acquire_ctx ctx;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	ww_mutex_init(&c, f->cls);
	wwt_set_inject(f->cls, RESV_WW_INJECT_NTH, 1, 1, 0, 0); /* every eligible one */

	/* NULL switches injection off for this context only. */
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(resv_ww_acquire_set_inject(&ctx, NULL), 0);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&c, &ctx), 0);
	ww_mutex_unlock(&a);
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&c);
	ww_acquire_fini(&ctx);
	assert_int_equal(ctx.stats.injected, 0);

	/* The next context follows the class again. */
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	back_off(&a, &b, &ctx);
	ww_acquire_fini(&ctx);
	assert_int_equal(ctx.stats.injected, 1);

	/* And a context may switch injection on in a class without it. */
	wwt_set_inject(f->cls, RESV_WW_INJECT_OFF, 0, 0, 0, 0);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(resv_ww_acquire_set_inject(&ctx, &always), 0);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	back_off(&a, &b, &ctx);
	ww_acquire_fini(&ctx);
	assert_int_equal(ctx.stats.injected, 1);

	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
	ww_mutex_destroy(&c);
}

void test_ww_mutex_inject_invalid(void **state)
{
	struct fixture *f = *state;
	const struct resv_ww_inject bad[] = {
		{ .mode = RESV_WW_INJECT_NTH, .nth = 0, .period = 1 },
		{ .mode = RESV_WW_INJECT_RANDOM, .per_million = 1000001, .seed = 1 },
		{ .mode = (enum resv_ww_inject_mode)42, .nth = 1, .per_million = 1 },
	};
	const struct resv_ww_inject always = { .mode = RESV_WW_INJECT_RANDOM,
					       .per_million = 1000000, .seed = 3 };
	struct ww_mutex a, b;
	struct ww_acquire_ctx ctx;
	size_t i;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);

	/* Class: NTH 2, and eligible acquire #1 is used up. */
	wwt_set_inject(f->cls, RESV_WW_INJECT_NTH, 2, 0, 0, 0);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), 0);
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(resv_ww_class_set_inject(f->cls, &bad[i]), -EINVAL);
		assert_int_equal(resv_ww_set_default_inject(&bad[i]), -EINVAL);
	}
	/* Neither the settings nor the NTH count changed: this is #2. */
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	back_off(&a, &b, &ctx);
	ww_acquire_fini(&ctx);

	/* 10^6 ppm is the valid upper bound: always inject. */
	assert_int_equal(resv_ww_class_set_inject(f->cls, &always), 0);
	ww_acquire_init(&ctx, f->cls);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(resv_ww_acquire_set_inject(&ctx, &bad[i]), -EINVAL);
	/* The context kept the class's snapshot. */
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	back_off(&a, &b, &ctx);
	ww_acquire_fini(&ctx);

	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
}

void test_ww_mutex_inject_default(void **state)
{
	struct fixture *f = *state;
	const struct resv_ww_inject always = { .mode = RESV_WW_INJECT_RANDOM,
					       .per_million = 1000000, .seed = 7 };
	const struct resv_ww_inject dflt = { .mode = RESV_WW_INJECT_DEFAULT };
	struct ww_mutex a, b;
	struct ww_acquire_ctx ctx;
	int v;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	assert_int_equal(resv_ww_class_set_inject(f->cls, NULL), 0); /* follow the default */

	assert_int_equal(resv_ww_set_default_inject(&always), 0);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	back_off(&a, &b, &ctx);
	ww_acquire_fini(&ctx);

	/* NULL and mode DEFAULT both mean off. */
	for (v = 0; v < 2; v++) {
		assert_int_equal(resv_ww_set_default_inject(v ? &dflt : NULL), 0);
		ww_acquire_init(&ctx, f->cls);
		assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
		assert_int_equal(ww_mutex_lock(&b, &ctx), 0);
		ww_mutex_unlock(&b);
		ww_mutex_unlock(&a);
		ww_acquire_fini(&ctx);
		assert_int_equal(ctx.stats.injected, 0);
	}
	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
}
