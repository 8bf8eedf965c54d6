/* SPDX-License-Identifier: MIT */
/*
 * bench_ww: ww_mutex performance, three scenario groups (DESIGN.md §7,
 * peers.md §2.2-2.4).
 *
 *  ww_uncontended  single thread, one lock, lock+unlock per op: ww_mutex
 *                  with and without a context against pthread_mutex and
 *                  pthread_spinlock. The target is ww/pthread <= 1.0: a
 *                  context-locked ww_mutex must cost no more than the plain
 *                  mutex every user would otherwise reach for.
 *  ww_contended    T threads lock random k-of-n object sets for a fixed
 *                  time, five strategies: wound-wait, wait-die, ordered
 *                  pthread locking, trylock-and-back-off, one global lock.
 *  ww_hellstrom    the 2018 kernel measurement (Thomas Hellström, "locking:
 *                  Implement an algorithm choice for Wound-Wait mutexes"):
 *                  each transaction locks 800 random distinct mutexes out of
 *                  100 000, both classes, rollbacks counted.
 *
 * Every transaction increments a counter in each object it locked; the sums
 * are checked against the committed transactions at the end of each run, so
 * a lock that lets two owners in shows up as a failure, not as a fast
 * number. The class statistics of libresv (resv_ww_class_get_stats()) are
 * cross-checked against the benchmark's own -EDEADLK count.
 *
 * Exit status: 0 when every check passed, 1 otherwise (2/3: usage error,
 * watchdog).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <resv/ww_mutex.h>

#include "harness.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/*
 * Wait-Die is what dma_resv uses (reservation_ww_class), so the
 * uncontended numbers are taken on a Wait-Die class; the fast path does not
 * depend on the algorithm.
 */
static DEFINE_WD_CLASS(bench_wd_class);
static DEFINE_WW_CLASS(bench_ww_class);

static unsigned int g_failures;

#define FAIL(...)                                               \
	do {                                                    \
		fprintf(stderr, "bench_ww: FAIL: " __VA_ARGS__); \
		fputc('\n', stderr);                            \
		g_failures++;                                   \
	} while (0)

/* ======================================================================== */
/* a. uncontended                                                           */
/* ======================================================================== */

struct unc_arg {
	struct ww_mutex *ww;
	struct ww_class *cls;
	pthread_mutex_t *pm;
	pthread_spinlock_t *spin;
};

/*
 * ww_ns: one ww_acquire_init()/ww_acquire_fini() around the whole batch,
 * so the per-op figure is the lock+unlock fast path alone -- the cost
 * drm_exec pays per object, with the context set-up amortised over the
 * objects of a transaction. The full one-lock transaction is measured
 * separately (loop_ww_tx1).
 */
static int loop_ww_ctx(void *p, uint64_t iters)
{
	struct unc_arg *a = p;
	struct ww_acquire_ctx ctx;
	uint64_t i;
	int ret = 0;

	ww_acquire_init(&ctx, a->cls);
	for (i = 0; i < iters; i++) {
		ret = ww_mutex_lock(a->ww, &ctx);
		if (unlikely(ret))
			break;
		ww_mutex_unlock(a->ww);
	}
	ww_acquire_fini(&ctx);
	return ret;
}

static int loop_ww_noctx(void *p, uint64_t iters)
{
	struct unc_arg *a = p;
	uint64_t i;
	int ret;

	for (i = 0; i < iters; i++) {
		ret = ww_mutex_lock(a->ww, NULL);
		if (unlikely(ret))
			return ret;
		ww_mutex_unlock(a->ww);
	}
	return 0;
}

/* init + lock + unlock + fini: a whole transaction on one object. */
static int loop_ww_tx1(void *p, uint64_t iters)
{
	struct unc_arg *a = p;
	struct ww_acquire_ctx ctx;
	uint64_t i;
	int ret;

	for (i = 0; i < iters; i++) {
		ww_acquire_init(&ctx, a->cls);
		ret = ww_mutex_lock(a->ww, &ctx);
		if (likely(!ret))
			ww_mutex_unlock(a->ww);
		ww_acquire_fini(&ctx);
		if (unlikely(ret))
			return ret;
	}
	return 0;
}

static int loop_pthread(void *p, uint64_t iters)
{
	struct unc_arg *a = p;
	uint64_t i;
	int ret;

	for (i = 0; i < iters; i++) {
		ret = pthread_mutex_lock(a->pm);
		if (unlikely(ret))
			return ret;
		pthread_mutex_unlock(a->pm);
	}
	return 0;
}

static int loop_spin(void *p, uint64_t iters)
{
	struct unc_arg *a = p;
	uint64_t i;
	int ret;

	for (i = 0; i < iters; i++) {
		ret = pthread_spin_lock(a->spin);
		if (unlikely(ret))
			return ret;
		pthread_spin_unlock(a->spin);
	}
	return 0;
}

static void bench_uncontended(const struct bench_opts *o)
{
	/* Each lock on its own cache line, as in a real object. */
	static struct ww_mutex ww __attribute__((aligned(64)));
	static pthread_mutex_t pm __attribute__((aligned(64))) = PTHREAD_MUTEX_INITIALIZER;
	static pthread_spinlock_t spin __attribute__((aligned(64)));
	struct unc_arg a = { .ww = &ww, .cls = &bench_wd_class, .pm = &pm, .spin = &spin };
	uint64_t iters = o->quick ? 200000 : 2000000;
	enum { V_WW, V_NOCTX, V_PTHREAD, V_SPIN, V_TX1, V_COUNT };
	struct bench_variant v[V_COUNT] = {
		[V_WW] = { "ww", loop_ww_ctx, &a, iters, 0, 0 },
		[V_NOCTX] = { "ww_noctx", loop_ww_noctx, &a, iters, 0, 0 },
		[V_PTHREAD] = { "pthread", loop_pthread, &a, iters, 0, 0 },
		[V_SPIN] = { "spin", loop_spin, &a, iters, 0, 0 },
		/* ~3-5x dearer per op: fewer iterations keep the run short. */
		[V_TX1] = { "ww_tx1", loop_ww_tx1, &a, iters / 4, 0, 0 },
	};
	struct resv_ww_stats st;
	struct bench_summary s;
	int ret;

	bench_set_phase("ww_uncontended");
	ww_mutex_init(&ww, &bench_wd_class);
	pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
	resv_ww_class_reset_stats(&bench_wd_class);

	ret = bench_ns_per_op_interleaved(v, V_COUNT, 1, o->quick ? 5 : 9);
	if (ret) {
		FAIL("ww_uncontended: a lock call failed: %d (%s)", ret, strerror(ret < 0 ? -ret : ret));
		goto out;
	}
	resv_ww_class_get_stats(&bench_wd_class, &st);
	if (st.deadlocks || st.injected || st.contended)
		FAIL("ww_uncontended: single thread saw deadlocks=%" PRIu64 " injected=%" PRIu64
		     " contended=%" PRIu64, st.deadlocks, st.injected, st.contended);
	if (ww_mutex_is_locked(&ww))
		FAIL("ww_uncontended: mutex still locked after the loops");

	bench_summary_begin(&s, "ww_uncontended");
	bench_summary_double(&s, "ww_ns", v[V_WW].median_ns, 2);
	bench_summary_double(&s, "ww_noctx_ns", v[V_NOCTX].median_ns, 2);
	bench_summary_double(&s, "pthread_ns", v[V_PTHREAD].median_ns, 2);
	bench_summary_double(&s, "spin_ns", v[V_SPIN].median_ns, 2);
	bench_summary_double(&s, "ratio", v[V_WW].median_ns / v[V_PTHREAD].median_ns, 3);
	/* Fastest-run ratio: less sensitive to the other users of the machine. */
	bench_summary_double(&s, "ratio_min", v[V_WW].min_ns / v[V_PTHREAD].min_ns, 3);
	bench_summary_double(&s, "noctx_ratio", v[V_NOCTX].median_ns / v[V_PTHREAD].median_ns, 3);
	bench_summary_double(&s, "ww_tx1_ns", v[V_TX1].median_ns, 2);
	bench_summary_u64(&s, "iters", iters);
	if (bench_summary_end(&s))
		g_failures++;
out:
	ww_mutex_destroy(&ww);
	pthread_spin_destroy(&spin);
}

/* ======================================================================== */
/* b./c. transactions on random object sets                                 */
/* ======================================================================== */

enum strategy {
	ST_WOUND_WAIT,
	ST_WAIT_DIE,
	ST_ORDERED,
	ST_TRYLOCK,
	ST_GLOBAL,
	ST_COUNT
};

static const char *const strategy_name[ST_COUNT] = {
	[ST_WOUND_WAIT] = "wound-wait",
	[ST_WAIT_DIE] = "wait-die",
	[ST_ORDERED] = "ordered",
	[ST_TRYLOCK] = "trylock-backoff",
	[ST_GLOBAL] = "global-lock",
};

/*
 * Padded to two cache lines so that neighbouring objects do not falsely
 * share: the contention measured is the one the strategy causes.
 */
struct obj {
	struct ww_mutex ww;
	pthread_mutex_t pm;
	uint64_t counter;
} __attribute__((aligned(64)));

struct tx_cfg {
	enum strategy st;
	unsigned int k;
	unsigned int n;
	struct obj *objs;
	struct ww_class *cls;		/* ST_WOUND_WAIT / ST_WAIT_DIE */
	pthread_mutex_t *global;	/* ST_GLOBAL */
	uint64_t tx_per_thread;		/* 0: run until the harness says stop */
};

enum { AUX_ROLLBACKS, AUX_FAILED, AUX_ERR };

static struct obj *objs_create(unsigned int n, struct ww_class *cls)
{
	struct obj *objs;
	unsigned int i;

	objs = aligned_alloc(64, (size_t)n * sizeof(*objs));
	if (!objs)
		return NULL;
	for (i = 0; i < n; i++) {
		ww_mutex_init(&objs[i].ww, cls);
		pthread_mutex_init(&objs[i].pm, NULL);
		objs[i].counter = 0;
	}
	return objs;
}

static void objs_destroy(struct obj *objs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		ww_mutex_destroy(&objs[i].ww);
		pthread_mutex_destroy(&objs[i].pm);
	}
	free(objs);
}

/*
 * k distinct objects, uniformly: draw with a per-thread generation mark per
 * object instead of a set structure, O(k) per pick even for k = 800.
 */
struct picker {
	uint32_t *mark;
	uint32_t gen;
	unsigned int n;
};

static void pick_set(struct picker *pk, struct bench_rng *rng, struct obj *objs, unsigned int k,
		     struct obj **set)
{
	unsigned int i = 0;

	if (unlikely(++pk->gen == 0)) {
		memset(pk->mark, 0, (size_t)pk->n * sizeof(*pk->mark));
		pk->gen = 1;
	}
	while (i < k) {
		uint32_t idx = (uint32_t)bench_rng_below(rng, pk->n);

		if (pk->mark[idx] == pk->gen)
			continue;
		pk->mark[idx] = pk->gen;
		set[i++] = &objs[idx];
	}
}

/* The "work" of a transaction; the sums are verified afterwards. */
static void touch(struct obj **set, unsigned int k)
{
	unsigned int i;

	for (i = 0; i < k; i++)
		set[i]->counter++;
}

/*
 * The canonical acquire loop of <resv/ww_mutex.h>: on -EDEADLK drop
 * everything, sleep on the contended lock with ww_mutex_lock_slow(), start
 * over (skipping the lock already held). Returns with all k held, or with
 * none held and an error.
 */
static int ww_lock_all(struct obj **set, unsigned int k, struct ww_acquire_ctx *ctx,
		       uint64_t *rollbacks)
{
	struct obj *contended = NULL;
	unsigned int i, j;
	int ret;

retry:
	for (i = 0; i < k; i++) {
		if (set[i] == contended) {
			contended = NULL;
			continue;
		}
		ret = ww_mutex_lock(&set[i]->ww, ctx);
		if (unlikely(ret)) {
			for (j = 0; j < i; j++)
				ww_mutex_unlock(&set[j]->ww);
			if (contended)
				ww_mutex_unlock(&contended->ww);
			if (ret == -EDEADLK) {
				(*rollbacks)++;
				contended = set[i];
				ww_mutex_lock_slow(&contended->ww, ctx);
				goto retry;
			}
			return ret;
		}
	}
	ww_acquire_done(ctx);
	return 0;
}

static int tx_ww(const struct tx_cfg *c, struct obj **set, uint64_t *rollbacks)
{
	struct ww_acquire_ctx ctx;
	unsigned int i;
	int ret;

	ww_acquire_init(&ctx, c->cls);
	ret = ww_lock_all(set, c->k, &ctx, rollbacks);
	if (likely(!ret)) {
		touch(set, c->k);
		for (i = 0; i < c->k; i++)
			ww_mutex_unlock(&set[i]->ww);
	}
	ww_acquire_fini(&ctx);
	return ret;
}

static int cmp_obj_addr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(struct obj *const *)a;
	uintptr_t y = (uintptr_t)*(struct obj *const *)b;

	return (x > y) - (x < y);
}

/* The classic deadlock avoidance: one global order (address), no rollbacks. */
static int tx_ordered(const struct tx_cfg *c, struct obj **set, struct obj **sorted)
{
	unsigned int i, k = c->k;
	int ret;

	memcpy(sorted, set, k * sizeof(*sorted));
	qsort(sorted, k, sizeof(*sorted), cmp_obj_addr);
	for (i = 0; i < k; i++) {
		ret = pthread_mutex_lock(&sorted[i]->pm);
		if (unlikely(ret)) {
			while (i > 0)
				pthread_mutex_unlock(&sorted[--i]->pm);
			return -ret;
		}
	}
	touch(sorted, k);
	for (i = k; i > 0; i--)
		pthread_mutex_unlock(&sorted[i - 1]->pm);
	return 0;
}

/* Never blocks, so never deadlocks; pays in retries and yields instead. */
static int tx_trylock(const struct tx_cfg *c, struct obj **set, uint64_t *rollbacks)
{
	unsigned int i, k = c->k;
	int ret;

	for (;;) {
		ret = 0;
		for (i = 0; i < k; i++) {
			ret = pthread_mutex_trylock(&set[i]->pm);
			if (ret)
				break;
		}
		if (likely(i == k))
			break;
		while (i > 0)
			pthread_mutex_unlock(&set[--i]->pm);
		if (unlikely(ret != EBUSY))
			return -ret;
		(*rollbacks)++;
		sched_yield();
	}
	touch(set, k);
	for (i = 0; i < k; i++)
		pthread_mutex_unlock(&set[i]->pm);
	return 0;
}

static int tx_global(const struct tx_cfg *c, struct obj **set)
{
	int ret = pthread_mutex_lock(c->global);

	if (unlikely(ret))
		return -ret;
	touch(set, c->k);
	pthread_mutex_unlock(c->global);
	return 0;
}

static void tx_worker(struct bench_worker *w)
{
	const struct tx_cfg *c = w->arg;
	struct bench_rng rng;
	struct picker pk = { .n = c->n };
	struct obj **set, **sorted;
	uint64_t tx = 0, rollbacks = 0;
	int ret = 0;

	bench_rng_seed(&rng, w->seed);
	set = malloc(c->k * sizeof(*set));
	sorted = malloc(c->k * sizeof(*sorted));
	pk.mark = calloc(c->n, sizeof(*pk.mark));
	if (!set || !sorted || !pk.mark) {
		ret = -ENOMEM;
		goto out;
	}

	for (;;) {
		if (c->tx_per_thread ? tx >= c->tx_per_thread : bench_worker_should_stop(w))
			break;
		pick_set(&pk, &rng, c->objs, c->k, set);
		switch (c->st) {
		case ST_WOUND_WAIT:
		case ST_WAIT_DIE:
			ret = tx_ww(c, set, &rollbacks);
			break;
		case ST_ORDERED:
			ret = tx_ordered(c, set, sorted);
			break;
		case ST_TRYLOCK:
			ret = tx_trylock(c, set, &rollbacks);
			break;
		case ST_GLOBAL:
			ret = tx_global(c, set);
			break;
		default:
			ret = -EINVAL;
			break;
		}
		if (unlikely(ret))
			break;
		tx++;
	}
out:
	if (ret) {
		w->aux[AUX_FAILED] = 1;
		w->aux[AUX_ERR] = (uint64_t)(int64_t)ret;
	}
	w->ops = tx;
	w->aux[AUX_ROLLBACKS] = rollbacks;
	free(set);
	free(sorted);
	free(pk.mark);
}

/* Outcome of one run_tx() call, for the SUMMARY line. */
struct tx_result {
	struct bench_threads_result r;
	uint64_t rollbacks;
	struct resv_ww_stats stats;	/* zero for the pthread strategies */
	bool ok;
};

/*
 * Run one configuration on fresh objects and verify it: counters sum to
 * committed transactions * k, no worker failed, and for the ww strategies
 * the class statistics agree with what the workers saw.
 */
static bool run_tx(const char *what, enum strategy st, unsigned int threads, unsigned int k,
		   unsigned int n, unsigned int duration_ms, uint64_t tx_per_thread,
		   struct tx_result *out)
{
	struct bench_worker workers[BENCH_MAX_THREADS];
	pthread_mutex_t global = PTHREAD_MUTEX_INITIALIZER;
	struct tx_cfg cfg = {
		.st = st, .k = k, .n = n, .global = &global, .tx_per_thread = tx_per_thread,
		.cls = st == ST_WAIT_DIE ? &bench_wd_class : &bench_ww_class,
	};
	bool is_ww = st == ST_WOUND_WAIT || st == ST_WAIT_DIE;
	uint64_t sum = 0, failed = 0;
	unsigned int i;
	int ret;

	memset(out, 0, sizeof(*out));
	cfg.objs = objs_create(n, cfg.cls);
	if (!cfg.objs) {
		FAIL("%s: cannot allocate %u objects", what, n);
		return false;
	}
	if (is_ww)
		resv_ww_class_reset_stats(cfg.cls);

	/*
	 * The salt does not depend on the strategy: every strategy's thread i
	 * draws the same sequence of object sets, so they are compared on the
	 * same workload.
	 */
	ret = bench_run_threads(threads, duration_ms, tx_worker, &cfg,
				((uint64_t)threads << 48) ^ ((uint64_t)k << 24) ^ n, workers,
				&out->r);
	if (ret) {
		FAIL("%s: cannot run threads: %s", what, strerror(-ret));
		objs_destroy(cfg.objs, n);
		return false;
	}

	for (i = 0; i < threads; i++) {
		out->rollbacks += workers[i].aux[AUX_ROLLBACKS];
		if (workers[i].aux[AUX_FAILED]) {
			int err = (int)(int64_t)workers[i].aux[AUX_ERR];

			FAIL("%s: thread %u: lock call failed with %d (%s)", what, i, err,
			     strerror(err < 0 ? -err : err));
			failed++;
		}
	}
	for (i = 0; i < n; i++) {
		sum += cfg.objs[i].counter;
		if (ww_mutex_is_locked(&cfg.objs[i].ww)) {
			FAIL("%s: object %u still locked after the run", what, i);
			failed++;
			break;
		}
	}
	if (sum != out->r.total_ops * k) {
		FAIL("%s: counter sum %" PRIu64 " != committed tx %" PRIu64 " * k %u = %" PRIu64
		     " (lost update: two owners at once?)",
		     what, sum, out->r.total_ops, k, out->r.total_ops * k);
		failed++;
	}
	if (is_ww) {
		resv_ww_class_get_stats(cfg.cls, &out->stats);
		/* ww_acquire_fini() runs once per transaction, failed ones too. */
		if (!failed && out->stats.transactions != out->r.total_ops) {
			FAIL("%s: class stats transactions=%" PRIu64 " but %" PRIu64
			     " transactions finished", what, out->stats.transactions,
			     out->r.total_ops);
			failed++;
		}
		if (out->stats.deadlocks + out->stats.injected != out->rollbacks) {
			FAIL("%s: class stats deadlocks=%" PRIu64 " + injected=%" PRIu64
			     " but the workers saw %" PRIu64 " -EDEADLK", what,
			     out->stats.deadlocks, out->stats.injected, out->rollbacks);
			failed++;
		}
		if (st == ST_WAIT_DIE && (out->stats.wounds || out->stats.wounded)) {
			FAIL("%s: Wait-Die class reports wounds=%" PRIu64 " wounded=%" PRIu64, what,
			     out->stats.wounds, out->stats.wounded);
			failed++;
		}
	}
	objs_destroy(cfg.objs, n);
	pthread_mutex_destroy(&global);
	out->ok = failed == 0;
	return out->ok;
}

static void add_ww_stats(struct bench_summary *s, const struct resv_ww_stats *st)
{
	bench_summary_u64(s, "deadlocks", st->deadlocks);
	bench_summary_u64(s, "wounds", st->wounds);
	bench_summary_u64(s, "wounded", st->wounded);
	bench_summary_u64(s, "contended", st->contended);
}

static void bench_contended(const struct bench_opts *o)
{
	static const struct { unsigned int k, n; } combos[] = { { 4, 64 }, { 16, 1024 } };
	static const unsigned int thread_counts[] = { 2, 4 };
	unsigned int duration_ms = o->quick ? 60 : 1000;
	size_t ci, ti;
	int st;

	for (ci = 0; ci < sizeof(combos) / sizeof(combos[0]); ci++) {
		for (ti = 0; ti < sizeof(thread_counts) / sizeof(thread_counts[0]); ti++) {
			for (st = 0; st < ST_COUNT; st++) {
				unsigned int k = combos[ci].k, n = combos[ci].n;
				unsigned int threads = thread_counts[ti];
				static char phase[128];
				struct tx_result res;
				struct bench_summary s;

				snprintf(phase, sizeof(phase), "ww_contended strategy=%s threads=%u k=%u n=%u",
					 strategy_name[st], threads, k, n);
				bench_set_phase(phase);
				/* A run that failed verification prints no numbers, only FAIL. */
				if (!run_tx(phase, (enum strategy)st, threads, k, n, duration_ms, 0, &res))
					continue;

				bench_summary_begin(&s, "ww_contended");
				bench_summary_str(&s, "strategy", strategy_name[st]);
				bench_summary_u64(&s, "threads", threads);
				bench_summary_u64(&s, "k", k);
				bench_summary_u64(&s, "n", n);
				bench_summary_double(&s, "tx_per_s",
						     (double)res.r.total_ops / res.r.seconds, 0);
				bench_summary_double(&s, "rollbacks_per_tx",
						     res.r.total_ops ? (double)res.rollbacks /
								       (double)res.r.total_ops : 0.0,
						     4);
				bench_summary_u64(&s, "tx", res.r.total_ops);
				bench_summary_u64(&s, "rollbacks", res.rollbacks);
				/* min/max transactions per thread: 1.0 is perfectly fair. */
				bench_summary_double(&s, "fairness",
						     res.r.max_ops ? (double)res.r.min_ops /
								     (double)res.r.max_ops : 0.0,
						     3);
				if (st == ST_WOUND_WAIT || st == ST_WAIT_DIE)
					add_ww_stats(&s, &res.stats);
				if (bench_summary_end(&s))
					g_failures++;
			}
		}
	}
}

/*
 * Hellström 2018: 100 000 batches per thread on 4 cores took ~17 s; here a
 * fixed number of transactions per thread, scaled to a 2-vCPU machine
 * shared with others. Rollbacks are comparable as a ratio per transaction.
 */
static void bench_hellstrom(const struct bench_opts *o)
{
	static const unsigned int thread_counts[] = { 2, 4 };
	const unsigned int k = 800, n = 100000;
	uint64_t per_thread = o->quick ? 100 : 10000;
	size_t ti;
	int st;

	for (ti = 0; ti < sizeof(thread_counts) / sizeof(thread_counts[0]); ti++) {
		for (st = ST_WOUND_WAIT; st <= ST_WAIT_DIE; st++) {
			unsigned int threads = thread_counts[ti];
			static char phase[128];
			struct tx_result res;
			struct bench_summary s;

			snprintf(phase, sizeof(phase), "ww_hellstrom class=%s threads=%u",
				 strategy_name[st], threads);
			bench_set_phase(phase);
			if (!run_tx(phase, (enum strategy)st, threads, k, n, 0, per_thread, &res))
				continue;

			bench_summary_begin(&s, "ww_hellstrom");
			bench_summary_str(&s, "class", strategy_name[st]);
			bench_summary_u64(&s, "threads", threads);
			bench_summary_u64(&s, "tx", res.r.total_ops);
			bench_summary_u64(&s, "rollbacks", res.rollbacks);
			bench_summary_double(&s, "seconds", res.r.seconds, 3);
			bench_summary_double(&s, "tx_per_s", (double)res.r.total_ops / res.r.seconds, 0);
			bench_summary_double(&s, "rollbacks_per_tx",
					     res.r.total_ops ? (double)res.rollbacks /
							       (double)res.r.total_ops : 0.0,
					     4);
			bench_summary_u64(&s, "k", k);
			bench_summary_u64(&s, "n", n);
			add_ww_stats(&s, &res.stats);
			if (bench_summary_end(&s))
				g_failures++;
		}
	}
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct resv_ww_inject off = { .mode = RESV_WW_INJECT_OFF };

	bench_parse_args(argc, argv, &o);
	/* A lost wake-up in the library would otherwise hang until ctest kills us. */
	bench_watchdog_arm(o.quick ? 120 : 600);
	/* Before anything is timed: glibc's single-thread mutex shortcut. */
	bench_idle_thread_start();

	/*
	 * Measure the algorithm, not the test aid: RESV_WW_INJECT in the
	 * environment must not add spurious back-offs to these numbers.
	 */
	if (resv_ww_class_set_inject(&bench_ww_class, &off) ||
	    resv_ww_class_set_inject(&bench_wd_class, &off)) {
		FAIL("cannot switch deadlock injection off");
		return 1;
	}

	printf("# bench_ww: seed=0x%" PRIx64 " quick=%d online_cpus=%ld\n", o.seed, o.quick,
	       sysconf(_SC_NPROCESSORS_ONLN));
	fflush(stdout);

	bench_uncontended(&o);
	bench_contended(&o);
	bench_hellstrom(&o);

	bench_watchdog_arm(0);
	bench_idle_thread_stop();
	if (g_failures) {
		fprintf(stderr, "bench_ww: %u check(s) failed\n", g_failures);
		return 1;
	}
	return 0;
}
