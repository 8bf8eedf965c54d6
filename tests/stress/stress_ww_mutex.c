/* SPDX-License-Identifier: MIT */
/*
 * Seeded, time-bounded stress of <resv/ww_mutex.h>, in the style of
 * Concurrency Kit's validate tests and the kernel's test-ww_mutex.c stress().
 *
 * NOBJS objects each carry a ww_mutex protecting two counters that are equal
 * whenever the lock is free: a transaction increments both, with a possible
 * yield in between, and checks them equal first. Any overlap of two critical
 * sections shows up as a mismatch (a "violation") or as lost increments in the
 * final totals. Worker roles:
 *
 *   inorder  lock a random k-of-NOBJS set in list order with the canonical
 *            -EDEADLK retry loop (ww_mutex_lock_slow() on the contended
 *            lock, then relock the rest, skipping it);
 *   reorder  the same, but the contended object moves to the front of the
 *            list (ww-mutex-design.rst method 2, the kernel's
 *            stress_reorder_work);
 *   solo     one lock at a time without a context (plain mutex use), on a
 *            separate set of objects of the same class.
 *
 * Scenarios, each run for both classes: (a) inorder, (b) reorder, (c) all
 * three roles at once, (d) inorder with deadlock injection on, first
 * RESV_WW_INJECT_RANDOM seeded with the run's seed, then
 * RESV_WW_INJECT_SLOWPATH. Lock calls may only return 0 or -EDEADLK
 * (context-less ones only 0); anything else fails the scenario.
 *
 * After each scenario the counters must add up to the committed increments,
 * and the class statistics must equal the sums of the per-context ones.
 *
 * Environment:
 *   RESV_SEED            seed (default: time-based); printed as seed=<n>
 *                        at the start and with every failure
 *   RESV_STRESS_SECONDS  seconds per scenario (default 2; 8 scenarios)
 *
 * Workers never call cmocka asserts (they longjmp on the wrong thread): they
 * record the first problem and stop, and the main thread asserts.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_timedjoin_np() */
#endif

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <resv/ww_mutex.h>

#define NTHREADS 6
#define NOBJS 12
#define NSOLO 4
#define KMIN 2
#define KMAX 6
/* A transaction still retrying this long after the deadline is livelocked. */
#define LIVELOCK_GRACE_S 20
/* A worker not back this long after the deadline is deadlocked. */
#define HANG_GRACE_S 40

static DEFINE_WW_CLASS(stress_wound_class);
static DEFINE_WD_CLASS(stress_die_class);

struct fixture {
	struct ww_class *cls;
	const char *name;
	bool wait_die;
};

static struct fixture wound_fixture = { &stress_wound_class, "wound-wait", false };
static struct fixture die_fixture = { &stress_die_class, "wait-die", true };

static uint64_t g_seed;
static double g_seconds = 2.0;

/* ------------------------------------------------------------------------
 * Random numbers: splitmix64 to derive seeds, xorshift64* per worker.
 */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t hash_str(const char *str, uint64_t h)
{
	while (*str)
		h = (h ^ (unsigned char)*str++) * 0x100000001b3ULL;
	return h;
}

/* ------------------------------------------------------------------------
 * Shared state
 */

struct obj {
	struct ww_mutex lock;
	uint64_t a, b; /* equal whenever the lock is free */
};

enum role { ROLE_INORDER, ROLE_REORDER, ROLE_SOLO };

static const char *const role_names[] = { "inorder", "reorder", "solo" };

struct run {
	struct ww_class *cls;
	struct timespec deadline;
	atomic_bool stop; /* a worker failed: everyone winds down */
	struct obj objs[NOBJS];
	struct obj solo[NSOLO];
};

struct worker {
	struct run *r;
	int id;
	enum role role;
	uint64_t rng;
	/* results, read by the main thread after join */
	uint64_t transactions, increments, solo_ops, backoffs, violations;
	struct resv_ww_stats sum; /* sum of this worker's per-context stats */
	char what[200];		  /* the first failure, empty if none */
};

static bool time_after(const struct timespec *now, const struct timespec *t, long grace_s)
{
	return now->tv_sec > t->tv_sec + grace_s ||
	       (now->tv_sec == t->tv_sec + grace_s && now->tv_nsec >= t->tv_nsec);
}

static bool expired(struct run *r, long grace_s)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return time_after(&now, &r->deadline, grace_s);
}

static bool failf(struct worker *w, const char *fmt, ...) RESV_PRINTF(2, 3);

static bool failf(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->what[0]) {
		va_start(ap, fmt);
		vsnprintf(w->what, sizeof(w->what), fmt, ap);
		va_end(ap);
	}
	atomic_store(&w->r->stop, true);
	return false;
}

static void add_stats(struct resv_ww_stats *sum, const struct resv_ww_stats *s)
{
	sum->acquires += s->acquires;
	sum->contended += s->contended;
	sum->deadlocks += s->deadlocks;
	sum->wounds += s->wounds;
	sum->wounded += s->wounded;
	sum->injected += s->injected;
	sum->already += s->already;
	sum->interrupted += s->interrupted;
}

/* k distinct random objects in random order. */
static int pick_set(struct worker *w, struct obj **list)
{
	int idx[NOBJS], i, j, tmp;
	int k = KMIN + (int)(rnd(&w->rng) % (KMAX - KMIN + 1));

	for (i = 0; i < NOBJS; i++)
		idx[i] = i;
	for (i = 0; i < k; i++) {
		j = i + (int)(rnd(&w->rng) % (uint64_t)(NOBJS - i));
		tmp = idx[i];
		idx[i] = idx[j];
		idx[j] = tmp;
		list[i] = &w->r->objs[idx[i]];
	}
	return k;
}

/* Both blocking variants; nobody interrupts, so they behave alike. */
static int lock_one(struct worker *w, struct ww_mutex *lock, struct ww_acquire_ctx *ctx)
{
	if (rnd(&w->rng) & 1)
		return ww_mutex_lock_interruptible(lock, ctx);
	return ww_mutex_lock(lock, ctx);
}

/* The critical section: check, then increment both counters. */
static void touch(struct worker *w, struct obj *o)
{
	if (o->a != o->b)
		w->violations++;
	o->a++;
	if ((rnd(&w->rng) & 7) == 0)
		sched_yield(); /* widen the window an overlap would need */
	o->b++;
}

/* Fails after releasing what this thread holds, so the others can finish. */
static bool abandon(struct worker *w, struct obj **list, int k, struct ww_acquire_ctx *ctx,
		    const char *fmt, ...) RESV_PRINTF(5, 6);

static bool abandon(struct worker *w, struct obj **list, int k, struct ww_acquire_ctx *ctx,
		    const char *fmt, ...)
{
	va_list ap;
	int i;

	if (!w->what[0]) {
		va_start(ap, fmt);
		vsnprintf(w->what, sizeof(w->what), fmt, ap);
		va_end(ap);
	}
	for (i = 0; i < k; i++)
		if (resv_ww_mutex_held_by_self(&list[i]->lock))
			ww_mutex_unlock(&list[i]->lock);
	ww_acquire_fini(ctx);
	return failf(w, "%s", w->what);
}

/*
 * All k locks are held: verify what the API says about them, do the work,
 * release, and check the context's statistics against what the loop saw.
 * @got counts lock calls that returned 0 plus slow-path locks.
 */
static bool commit(struct worker *w, struct obj **list, int k, struct ww_acquire_ctx *ctx,
		   uint64_t got, uint64_t backoffs)
{
	const struct resv_ww_stats *s = &ctx->stats;
	int i;

	ww_acquire_done(ctx);
	if (ctx->acquired != (unsigned int)k)
		return abandon(w, list, k, ctx, "acquired %u with %d locks held", ctx->acquired, k);
	for (i = 0; i < k; i++)
		if (!resv_ww_mutex_held_by_self(&list[i]->lock) ||
		    resv_ww_mutex_ctx(&list[i]->lock) != ctx)
			return abandon(w, list, k, ctx, "lock %d of %d not held by the context", i, k);
	for (i = 0; i < k; i++)
		touch(w, list[i]);
	w->increments += (uint64_t)k;
	for (i = k - 1; i >= 0; i--)
		ww_mutex_unlock(&list[i]->lock);
	if (ctx->acquired != 0)
		return failf(w, "acquired %u after unlocking everything", ctx->acquired);
	ww_acquire_fini(ctx);
	w->transactions++;
	add_stats(&w->sum, s);

	/* Every -EDEADLK the loop saw is either real or injected. */
	if (s->deadlocks + s->injected != backoffs)
		return failf(w, "deadlocks %" PRIu64 " + injected %" PRIu64 " != back-offs %" PRIu64,
			     s->deadlocks, s->injected, backoffs);
	/*
	 * Acquires: at least the successful calls. Whether the acquire an
	 * injected -EDEADLK undoes is counted too is pinned down by the unit
	 * test test_ww_mutex_stats_injected_not_acquired; allow either here.
	 */
	if (s->acquires < got || s->acquires > got + s->injected)
		return failf(w, "acquires %" PRIu64 ", successful lock calls %" PRIu64
			     ", injected %" PRIu64, s->acquires, got, s->injected);
	if (s->already || s->interrupted)
		return failf(w, "already %" PRIu64 " interrupted %" PRIu64 " (none expected)",
			     s->already, s->interrupted);
	return true;
}

static bool backoff_ok(struct worker *w, int ret, struct ww_acquire_ctx *ctx)
{
	if (ret != -EDEADLK) {
		ww_acquire_fini(ctx);
		return failf(w, "lock returned %d (only -EDEADLK is allowed)", ret);
	}
	if (expired(w->r, LIVELOCK_GRACE_S)) {
		ww_acquire_fini(ctx);
		return failf(w, "transaction still retrying %d s after the deadline (livelock)",
			     LIVELOCK_GRACE_S);
	}
	return true;
}

/* (a) the canonical loop of ww_mutex.h */
static bool inorder_txn(struct worker *w)
{
	struct obj *list[KMAX], *contended = NULL;
	struct ww_acquire_ctx ctx;
	uint64_t got = 0, backoffs = 0;
	int k = pick_set(w, list);
	int i, j, ret;

	ww_acquire_init(&ctx, w->r->cls);
retry:
	for (i = 0; i < k; i++) {
		if (list[i] == contended) {
			contended = NULL; /* already locked by the slow path */
			continue;
		}
		ret = lock_one(w, &list[i]->lock, &ctx);
		if (!ret) {
			got++;
			continue;
		}
		for (j = 0; j < i; j++)
			ww_mutex_unlock(&list[j]->lock);
		if (contended)
			ww_mutex_unlock(&contended->lock);
		if (!backoff_ok(w, ret, &ctx))
			return false;
		backoffs++;
		w->backoffs++;
		contended = list[i];
		ww_mutex_lock_slow(&contended->lock, &ctx);
		got++;
		goto retry;
	}
	return commit(w, list, k, &ctx, got, backoffs);
}

/* (b) method 2: the contended object moves to the front of the list */
static bool reorder_txn(struct worker *w)
{
	struct obj *list[KMAX], *contended;
	struct ww_acquire_ctx ctx;
	uint64_t got = 0, backoffs = 0;
	int k = pick_set(w, list);
	int i, j, ret;

	ww_acquire_init(&ctx, w->r->cls);
	for (i = 0; i < k; i++) {
		ret = lock_one(w, &list[i]->lock, &ctx);
		if (!ret) {
			got++;
			continue;
		}
		for (j = i - 1; j >= 0; j--)
			ww_mutex_unlock(&list[j]->lock);
		if (!backoff_ok(w, ret, &ctx))
			return false;
		backoffs++;
		w->backoffs++;
		contended = list[i];
		ww_mutex_lock_slow(&contended->lock, &ctx);
		got++;
		memmove(&list[1], &list[0], (size_t)i * sizeof(list[0]));
		list[0] = contended;
		i = 0; /* list[0] is held: go on with list[1] */
	}
	return commit(w, list, k, &ctx, got, backoffs);
}

/* (c) plain mutex use of one lock, no context */
static bool solo_op(struct worker *w)
{
	struct obj *o = &w->r->solo[rnd(&w->rng) % NSOLO];
	uint64_t how = rnd(&w->rng) % 4;
	int ret;

	if (how == 0) {
		if (!ww_mutex_trylock(&o->lock, NULL))
			return true;
	} else {
		ret = how == 1 ? ww_mutex_lock_interruptible(&o->lock, NULL)
			       : ww_mutex_lock(&o->lock, NULL);
		if (ret)
			return failf(w, "context-less lock returned %d", ret);
	}
	if (!resv_ww_mutex_held_by_self(&o->lock) || resv_ww_mutex_ctx(&o->lock))
		return failf(w, "context-less lock not held as such");
	touch(w, o);
	w->solo_ops++;
	ww_mutex_unlock(&o->lock);
	return true;
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	bool ok = true;

	while (ok && !atomic_load(&w->r->stop) && !expired(w->r, 0)) {
		switch (w->role) {
		case ROLE_INORDER:
			ok = inorder_txn(w);
			break;
		case ROLE_REORDER:
			ok = reorder_txn(w);
			break;
		case ROLE_SOLO:
			ok = solo_op(w);
			break;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------------
 * Scenario driver
 */

#define stress_check(cond, ...)                                                  \
	do {                                                                     \
		if (!(cond)) {                                                   \
			print_error("seed=%" PRIu64 " %s/%s: ", g_seed, scen, f->name); \
			print_error(__VA_ARGS__);                                \
			print_error("\n");                                       \
			fail();                                                  \
		}                                                                \
	} while (0)

static void run_scenario(struct fixture *f, const char *scen, const enum role *roles,
			 const struct resv_ww_inject *inject, double seconds)
{
	static struct run r; /* static: a hung worker must not point into a dead stack */
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	struct resv_ww_inject off = { .mode = RESV_WW_INJECT_OFF };
	struct resv_ww_stats cs, sum = { 0 };
	uint64_t seed = hash_str(scen, hash_str(f->name, g_seed));
	uint64_t increments = 0, solo_ops = 0, backoffs = 0, violations = 0, transactions = 0;
	uint64_t total_a = 0, total_solo = 0;
	struct timespec join_by;
	long ns;
	int i;

	memset(&r, 0, sizeof(r));
	r.cls = f->cls;
	atomic_init(&r.stop, false);
	for (i = 0; i < NOBJS; i++)
		ww_mutex_init(&r.objs[i].lock, f->cls);
	for (i = 0; i < NSOLO; i++)
		ww_mutex_init(&r.solo[i].lock, f->cls);
	assert_int_equal(resv_ww_class_set_inject(f->cls, inject ? inject : &off), 0);
	resv_ww_class_reset_stats(f->cls);

	clock_gettime(CLOCK_MONOTONIC, &r.deadline);
	ns = r.deadline.tv_nsec + (long)((seconds - (double)(long)seconds) * 1e9);
	r.deadline.tv_sec += (time_t)seconds + ns / 1000000000L;
	r.deadline.tv_nsec = ns % 1000000000L;

	for (i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].r = &r;
		w[i].id = i;
		w[i].role = roles[i];
		w[i].rng = splitmix64(&seed) | 1; /* xorshift state must not be 0 */
		assert_int_equal(pthread_create(&th[i], NULL, worker_fn, &w[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		clock_gettime(CLOCK_REALTIME, &join_by);
		join_by.tv_sec += (time_t)seconds + HANG_GRACE_S;
		if (pthread_timedjoin_np(th[i], NULL, &join_by)) {
			/* Stuck inside libresv: nothing sane is left to check. */
			fprintf(stderr, "FATAL seed=%" PRIu64 " %s/%s: worker %d (%s) hangs\n",
				g_seed, scen, f->name, i, role_names[roles[i]]);
			fflush(NULL);
			abort();
		}
	}
	assert_int_equal(resv_ww_class_set_inject(f->cls, &off), 0);

	for (i = 0; i < NTHREADS; i++) {
		stress_check(!w[i].what[0], "worker %d (%s): %s", i, role_names[w[i].role],
			     w[i].what);
		increments += w[i].increments;
		solo_ops += w[i].solo_ops;
		backoffs += w[i].backoffs;
		violations += w[i].violations;
		transactions += w[i].transactions;
		add_stats(&sum, &w[i].sum);
	}
	stress_check(violations == 0, "%" PRIu64 " critical sections overlapped", violations);

	/* Every committed increment is there, none twice, none torn. */
	for (i = 0; i < NOBJS; i++) {
		stress_check(!ww_mutex_is_locked(&r.objs[i].lock), "object %d still locked", i);
		stress_check(r.objs[i].a == r.objs[i].b, "object %d: a %" PRIu64 " != b %" PRIu64,
			     i, r.objs[i].a, r.objs[i].b);
		total_a += r.objs[i].a;
		ww_mutex_destroy(&r.objs[i].lock);
	}
	for (i = 0; i < NSOLO; i++) {
		stress_check(!ww_mutex_is_locked(&r.solo[i].lock), "solo %d still locked", i);
		stress_check(r.solo[i].a == r.solo[i].b, "solo %d torn", i);
		total_solo += r.solo[i].a;
		ww_mutex_destroy(&r.solo[i].lock);
	}
	stress_check(total_a == increments, "objects count %" PRIu64 ", committed %" PRIu64,
		     total_a, increments);
	stress_check(total_solo == solo_ops, "solo objects count %" PRIu64 ", committed %" PRIu64,
		     total_solo, solo_ops);

	/* The class sums are exactly the per-context statistics. */
	resv_ww_class_get_stats(f->cls, &cs);
	stress_check(cs.transactions == transactions, "class transactions %" PRIu64 " != %" PRIu64,
		     cs.transactions, transactions);
	stress_check(cs.acquires == sum.acquires, "class acquires %" PRIu64 " != %" PRIu64,
		     cs.acquires, sum.acquires);
	stress_check(cs.contended == sum.contended, "class contended %" PRIu64 " != %" PRIu64,
		     cs.contended, sum.contended);
	stress_check(cs.deadlocks == sum.deadlocks, "class deadlocks %" PRIu64 " != %" PRIu64,
		     cs.deadlocks, sum.deadlocks);
	stress_check(cs.wounds == sum.wounds, "class wounds %" PRIu64 " != %" PRIu64,
		     cs.wounds, sum.wounds);
	stress_check(cs.wounded == sum.wounded, "class wounded %" PRIu64 " != %" PRIu64,
		     cs.wounded, sum.wounded);
	stress_check(cs.injected == sum.injected, "class injected %" PRIu64 " != %" PRIu64,
		     cs.injected, sum.injected);
	stress_check(cs.already == 0 && cs.interrupted == 0, "already/interrupted counted");
	stress_check(backoffs == sum.deadlocks + sum.injected,
		     "back-offs %" PRIu64 " != deadlocks + injected %" PRIu64, backoffs,
		     sum.deadlocks + sum.injected);
	if (f->wait_die) {
		stress_check(sum.wounds == 0 && sum.wounded == 0, "wounds in a Wait-Die class");
	} else {
		/* Wound-Wait only ever kills a wounded context. */
		stress_check(sum.deadlocks == sum.wounded, "deadlocks %" PRIu64 " != wounded %" PRIu64,
			     sum.deadlocks, sum.wounded);
		stress_check(sum.wounds >= sum.wounded, "wounded %" PRIu64 " > wounds %" PRIu64,
			     sum.wounded, sum.wounds);
	}
	if (inject)
		stress_check(sum.injected > 0, "injection on, but nothing injected");
	else
		stress_check(sum.injected == 0, "injection off, but %" PRIu64 " injected",
			     sum.injected);
	stress_check(transactions + solo_ops > 0, "no progress at all");

	printf("  %s/%s: %.1fs transactions=%" PRIu64 " increments=%" PRIu64
	       " solo=%" PRIu64 " backoffs=%" PRIu64 " deadlocks=%" PRIu64 " wounds=%" PRIu64
	       " injected=%" PRIu64 " contended=%" PRIu64 "\n",
	       scen, f->name, seconds, transactions, increments, solo_ops, backoffs,
	       sum.deadlocks, sum.wounds, sum.injected, sum.contended);
	fflush(stdout);
}

/* ------------------------------------------------------------------------ */

static const enum role all_inorder[NTHREADS] = {
	ROLE_INORDER, ROLE_INORDER, ROLE_INORDER, ROLE_INORDER, ROLE_INORDER, ROLE_INORDER,
};
static const enum role all_reorder[NTHREADS] = {
	ROLE_REORDER, ROLE_REORDER, ROLE_REORDER, ROLE_REORDER, ROLE_REORDER, ROLE_REORDER,
};
static const enum role mixed[NTHREADS] = {
	ROLE_INORDER, ROLE_REORDER, ROLE_SOLO, ROLE_INORDER, ROLE_REORDER, ROLE_SOLO,
};

static void test_ww_mutex_stress_inorder(void **state)
{
	run_scenario(*state, "inorder", all_inorder, NULL, g_seconds);
}

static void test_ww_mutex_stress_reorder(void **state)
{
	run_scenario(*state, "reorder", all_reorder, NULL, g_seconds);
}

static void test_ww_mutex_stress_mixed(void **state)
{
	run_scenario(*state, "mixed", mixed, NULL, g_seconds);
}

static void test_ww_mutex_stress_inject(void **state)
{
	const struct resv_ww_inject inj_random = {
		.mode = RESV_WW_INJECT_RANDOM, .per_million = 50000, .seed = g_seed,
	};
	const struct resv_ww_inject slowpath = { .mode = RESV_WW_INJECT_SLOWPATH };

	run_scenario(*state, "inject-random", all_inorder, &inj_random, g_seconds / 2);
	run_scenario(*state, "inject-slowpath", all_inorder, &slowpath, g_seconds / 2);
}

static int group_setup(void **state)
{
	const char *env;
	char *end;
	double secs;

	(void)state;
	env = getenv("RESV_SEED");
	if (env && *env) {
		g_seed = strtoull(env, &end, 0);
		if (*end) {
			fprintf(stderr, "RESV_SEED=%s is not a number\n", env);
			return -1;
		}
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		g_seed = ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec) ^
			 ((uint64_t)getpid() << 32);
	}
	env = getenv("RESV_STRESS_SECONDS");
	if (env && *env) {
		secs = strtod(env, &end);
		if (*end || !(secs > 0) || secs > 3600) {
			fprintf(stderr, "RESV_STRESS_SECONDS=%s: want a number of seconds\n", env);
			return -1;
		}
		g_seconds = secs;
	}
	printf("seed=%" PRIu64 " seconds/scenario=%.2f threads=%d objects=%d\n", g_seed,
	       g_seconds, NTHREADS, NOBJS);
	fflush(stdout);
	return 0;
}

#define BOTH(fn)                                              \
	{ #fn "/wound-wait", fn, NULL, NULL, &wound_fixture }, \
	{ #fn "/wait-die", fn, NULL, NULL, &die_fixture }

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_ww_mutex_stress_inorder),
		BOTH(test_ww_mutex_stress_reorder),
		BOTH(test_ww_mutex_stress_mixed),
		BOTH(test_ww_mutex_stress_inject),
	};

	return cmocka_run_group_tests_name("ww_mutex stress", tests, group_setup, NULL);
}
