/* SPDX-License-Identifier: MIT */
/*
 * bench_resv: cost of dma_resv writers and scalability of its lock-free
 * readers (DESIGN.md §7 hygiene: idle thread, warm-up, interleaved runs,
 * medians, baseline in the same run).
 *
 *  resv_add      dma_resv_reserve_fences(1) + dma_resv_add_fence() with the
 *                lock held, round-robin over 4 fences of 4 contexts, so each
 *                add scans the list and replaces its context's entry in
 *                place (the steady state of a busy buffer). Also reported:
 *                the same with dma_resv_lock() + dma_resv_unlock() around
 *                each add.
 *  resv_readers  R reader threads call dma_resv_test_signaled(WRITE) ("is
 *                anybody writing?") on one object in a loop (R = online
 *                CPUs - 1, at least 1, so that the writer has a CPU of its
 *                own), without and with one writer thread that keeps
 *                re-adding its BOOKKEEP fences (lock, reserve, add, unlock).
 *                The writer is paced at WRITER_HZ adds per second — far
 *                above real submission rates, but not a writer that does
 *                nothing else: a flat-out writer stores into the readers'
 *                cache lines tens of millions of times per second, which no
 *                shared-memory design survives; its ratio is reported too
 *                (flatout_writer_ratio). with_writer_ratio = reader
 *                throughput with the paced writer / without (target >=
 *                0.9). Baseline: the same fence table behind a
 *                pthread_rwlock_t (read lock per query, write lock per
 *                update) with the same paced writer; rwlock_ratio = resv
 *                reader throughput / rwlock reader throughput, both with
 *                the writer.
 *
 * The object holds two unsignaled READ fences and two unsignaled BOOKKEEP
 * fences (the writer's), so every query must answer true and every re-add
 * replaces its own entry; a false answer, a changed entry count or a leak
 * fails the benchmark (exit 1).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <resv/alloc.h>
#include <resv/dma-fence.h>
#include <resv/dma-resv.h>
#include <resv/rcu.h>

#include "harness.h"

#define NUM_FENCES 4
#define WRITER_HZ 200000

static unsigned int g_failures;

#define FAIL(...)                                                \
	do {                                                     \
		fprintf(stderr, "bench_resv: FAIL: " __VA_ARGS__); \
		fputc('\n', stderr);                             \
		g_failures++;                                    \
	} while (0)

static const char *bench_name(struct dma_fence *f) { return "bench"; }

static const struct dma_fence_ops heap_ops = {
	.get_driver_name = bench_name,
	.get_timeline_name = bench_name,
};

static struct resv_spinlock timeline_lock = RESV_SPINLOCK_INITIALIZER;

static struct dma_fence *fence_new(uint64_t ctx, uint64_t seqno)
{
	struct dma_fence *f = resv_dma_fence_alloc(sizeof(*f));

	if (!f) {
		fprintf(stderr, "bench_resv: out of memory\n");
		exit(2);
	}
	dma_fence_init(f, &heap_ops, &timeline_lock, ctx, seqno);
	return f;
}

/* ---- resv_add ------------------------------------------------------------------ */

struct add_arg {
	struct dma_resv obj;
	struct dma_fence *fences[NUM_FENCES];
	bool relock;
};

static int add_loop(void *arg, uint64_t iters)
{
	struct add_arg *a = arg;

	if (!a->relock && dma_resv_lock(&a->obj, NULL))
		return 1;
	for (uint64_t i = 0; i < iters; i++) {
		if (a->relock && dma_resv_lock(&a->obj, NULL))
			return 1;
		if (dma_resv_reserve_fences(&a->obj, 1))
			return 1;
		dma_resv_add_fence(&a->obj, a->fences[i % NUM_FENCES], DMA_RESV_USAGE_WRITE);
		if (a->relock)
			dma_resv_unlock(&a->obj);
	}
	if (!a->relock)
		dma_resv_unlock(&a->obj);
	return 0;
}

static unsigned int count_entries(struct dma_resv *obj)
{
	struct dma_resv_iter cursor;
	struct dma_fence *f;
	unsigned int n = 0;

	if (dma_resv_lock(obj, NULL))
		return 0;
	dma_resv_for_each_fence(&cursor, obj, DMA_RESV_USAGE_BOOKKEEP, f)
		n++;
	dma_resv_unlock(obj);
	return n;
}

static void bench_add(const struct bench_opts *o)
{
	uint64_t iters = o->quick ? 100000 : 1000000;
	uint64_t ctx = dma_fence_context_alloc(NUM_FENCES);
	struct add_arg held = { .relock = false }, relock = { .relock = true };
	struct bench_variant v[2] = {
		{ .name = "reserve+add", .fn = add_loop, .arg = &held, .iters = iters },
		{ .name = "lock+reserve+add+unlock", .fn = add_loop, .arg = &relock,
		  .iters = iters },
	};
	struct bench_summary s;

	bench_set_phase("resv_add");
	dma_resv_init(&held.obj);
	dma_resv_init(&relock.obj);
	for (int i = 0; i < NUM_FENCES; i++) {
		held.fences[i] = fence_new(ctx + i, 1);
		relock.fences[i] = dma_fence_get(held.fences[i]);
	}
	if (bench_ns_per_op_interleaved(v, 2, 1, o->quick ? 5 : 9))
		FAIL("a lock or reserve call failed");
	if (count_entries(&held.obj) != NUM_FENCES || count_entries(&relock.obj) != NUM_FENCES)
		FAIL("resv_add: the list does not hold exactly one entry per context");
	dma_resv_fini(&held.obj);
	dma_resv_fini(&relock.obj);
	for (int i = 0; i < NUM_FENCES; i++) {
		dma_fence_put(held.fences[i]);
		dma_fence_put(relock.fences[i]);
	}

	bench_summary_begin(&s, "resv_add");
	bench_summary_double(&s, "ns_per_add", v[0].median_ns, 1);
	bench_summary_double(&s, "lock_add_unlock_ns", v[1].median_ns, 1);
	bench_summary_u64(&s, "fences", NUM_FENCES);
	bench_summary_u64(&s, "iters", iters);
	if (bench_summary_end(&s))
		g_failures++;
}

/* ---- resv_readers ---------------------------------------------------------------- */

/* The rwlock baseline: the same table, behind a reader-writer lock. */
struct rw_table {
	pthread_rwlock_t lock;
	struct dma_fence *fences[NUM_FENCES];
	enum dma_resv_usage usage[NUM_FENCES];
};

static bool rw_test_signaled(struct rw_table *t, enum dma_resv_usage usage)
{
	bool ret = true;

	pthread_rwlock_rdlock(&t->lock);
	for (int i = 0; i < NUM_FENCES; i++) {
		if (t->usage[i] <= usage && !dma_fence_is_signaled(t->fences[i])) {
			ret = false;
			break;
		}
	}
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

struct readers_run {
	bool use_rwlock;
	bool writer;
	bool paced;
	unsigned int readers;
	struct dma_resv *obj;
	struct rw_table *rw;
	struct dma_fence *bookkeep[2];	/* the writer re-adds these */
	uint64_t wrong;			/* atomic: queries that answered false */
};

static void writer_body(struct bench_worker *w, struct readers_run *r)
{
	uint64_t period = 1000000000ULL / WRITER_HZ, next = bench_now_ns();
	uint64_t n = 0;

	while (!bench_worker_should_stop(w)) {
		struct dma_fence *f = r->bookkeep[n & 1];

		if (r->paced) {
			/* Spin, not sleep: the writer has its own CPU. */
			while (bench_now_ns() < next && !bench_worker_should_stop(w))
				;
			next += period;
		}

		if (r->use_rwlock) {
			pthread_rwlock_wrlock(&r->rw->lock);
			r->rw->fences[2 + (n & 1)] = f;
			pthread_rwlock_unlock(&r->rw->lock);
		} else {
			if (dma_resv_lock(r->obj, NULL) || dma_resv_reserve_fences(r->obj, 1)) {
				__atomic_add_fetch(&r->wrong, 1, __ATOMIC_RELAXED);
				break;
			}
			dma_resv_add_fence(r->obj, f, DMA_RESV_USAGE_BOOKKEEP);
			dma_resv_unlock(r->obj);
		}
		n++;
	}
	w->aux[0] = n;
	w->ops = 0;
}

static void readers_worker(struct bench_worker *w)
{
	struct readers_run *r = w->arg;
	uint64_t ops = 0, wrong = 0;

	if (w->tid == r->readers) {
		writer_body(w, r);
		return;
	}
	while (!bench_worker_should_stop(w)) {
		bool ok;

		if (r->use_rwlock)
			ok = rw_test_signaled(r->rw, DMA_RESV_USAGE_WRITE);
		else
			ok = dma_resv_test_signaled(r->obj, DMA_RESV_USAGE_WRITE);
		wrong += !ok;
		ops++;
	}
	if (wrong)
		__atomic_add_fetch(&r->wrong, wrong, __ATOMIC_RELAXED);
	w->ops = ops;
}

/* Reader queries per second of one run. */
static double readers_once(struct readers_run *r, unsigned int duration_ms, uint64_t salt,
			   uint64_t *writer_ops)
{
	static struct bench_worker workers[BENCH_MAX_THREADS];
	struct bench_threads_result res;
	unsigned int nthreads = r->readers + (r->writer ? 1 : 0);

	if (bench_run_threads(nthreads, duration_ms, readers_worker, r, salt, workers, &res)) {
		FAIL("bench_run_threads failed");
		return 0;
	}
	if (writer_ops)
		*writer_ops = r->writer ? workers[r->readers].aux[0] : 0;
	return res.seconds > 0 ? (double)res.total_ops / res.seconds : 0;
}

static void bench_readers(const struct bench_opts *o)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int readers = cpus > 2 ? (unsigned int)(cpus - 1) : 1;
	unsigned int runs = o->quick ? 3 : 7, duration_ms = o->quick ? 100 : 300;
	uint64_t ctx = dma_fence_context_alloc(NUM_FENCES), writer_ops = 0, wops = 0;
	double q[5][16];	/* resv alone, paced, flat-out; rwlock alone, paced */
	struct dma_fence *fences[NUM_FENCES];
	struct readers_run r = { .readers = readers };
	struct rw_table rw;
	struct dma_resv obj;
	struct bench_summary s;
	double med[5];

	if (readers > BENCH_MAX_THREADS - 1)
		readers = r.readers = BENCH_MAX_THREADS - 1;
	bench_set_phase("resv_readers");

	/* Two READ fences, then the writer's two BOOKKEEP fences; four contexts. */
	dma_resv_init(&obj);
	pthread_rwlock_init(&rw.lock, NULL);
	for (int i = 0; i < NUM_FENCES; i++) {
		enum dma_resv_usage usage = i < 2 ? DMA_RESV_USAGE_READ : DMA_RESV_USAGE_BOOKKEEP;

		fences[i] = fence_new(ctx + i, 1);
		if (dma_resv_lock(&obj, NULL) || dma_resv_reserve_fences(&obj, 1)) {
			FAIL("set-up lock/reserve failed");
			return;
		}
		dma_resv_add_fence(&obj, fences[i], usage);
		dma_resv_unlock(&obj);
		rw.fences[i] = fences[i];
		rw.usage[i] = usage;
	}
	if (count_entries(&obj) != NUM_FENCES)
		FAIL("resv_readers: set-up produced %u entries", count_entries(&obj));
	r.obj = &obj;
	r.rw = &rw;
	r.bookkeep[0] = fences[2];
	r.bookkeep[1] = fences[3];

	for (unsigned int run = 0; run < runs + 1; run++) {
		for (int variant = 0; variant < 5; variant++) {
			double qps;

			r.use_rwlock = variant >= 3;
			r.writer = variant != 0 && variant != 3;
			r.paced = variant != 2;
			qps = readers_once(&r, duration_ms, run * 5 + variant, &wops);
			if (run == 0)
				continue;	/* warm-up */
			q[variant][run - 1] = qps;
			if (variant == 1)
				writer_ops += wops;
		}
	}
	if (r.wrong)
		FAIL("resv_readers: %" PRIu64 " queries answered 'not signaled'", r.wrong);
	if (count_entries(&obj) != NUM_FENCES)
		FAIL("resv_readers: the writer changed the number of entries");

	for (int v = 0; v < 5; v++)
		med[v] = bench_median(q[v], runs);

	dma_resv_fini(&obj);
	pthread_rwlock_destroy(&rw.lock);
	for (int i = 0; i < NUM_FENCES; i++)
		dma_fence_put(fences[i]);

	bench_summary_begin(&s, "resv_readers");
	bench_summary_u64(&s, "readers", readers);
	bench_summary_double(&s, "with_writer_ratio", med[0] > 0 ? med[1] / med[0] : 0, 3);
	bench_summary_double(&s, "rwlock_ratio", med[4] > 0 ? med[1] / med[4] : 0, 3);
	bench_summary_double(&s, "flatout_writer_ratio", med[0] > 0 ? med[2] / med[0] : 0, 3);
	bench_summary_double(&s, "resv_mqps", med[0] / 1e6, 2);
	bench_summary_double(&s, "resv_writer_mqps", med[1] / 1e6, 2);
	bench_summary_double(&s, "rwlock_mqps", med[3] / 1e6, 2);
	bench_summary_double(&s, "rwlock_writer_mqps", med[4] / 1e6, 2);
	bench_summary_u64(&s, "writer_adds_per_s",
			  (uint64_t)((double)writer_ops / runs / (duration_ms / 1000.0)));
	if (bench_summary_end(&s))
		g_failures++;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct resv_alloc_stats before, after;

	bench_parse_args(argc, argv, &o);
	bench_watchdog_arm(o.quick ? 60 : 600);
	bench_idle_thread_start();

	printf("# bench_resv: quick=%d online_cpus=%ld sizeof(struct dma_resv)=%zu\n", o.quick,
	       sysconf(_SC_NPROCESSORS_ONLN), sizeof(struct dma_resv));
	fflush(stdout);

	resv_rcu_barrier();
	resv_alloc_get_stats(&before);
	bench_add(&o);
	bench_readers(&o);
	resv_rcu_barrier();
	resv_alloc_get_stats(&after);
	if (after.live_bytes != before.live_bytes)
		FAIL("leak: live_bytes %" PRIu64 " -> %" PRIu64, before.live_bytes,
		     after.live_bytes);

	bench_watchdog_arm(0);
	bench_idle_thread_stop();
	if (g_failures) {
		fprintf(stderr, "bench_resv: %u check(s) failed\n", g_failures);
		return 1;
	}
	return 0;
}
