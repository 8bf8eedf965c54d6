/* SPDX-License-Identifier: MIT */
/*
 * bench_fence: cost of the dma_fence core (DESIGN.md §7 hygiene: idle
 * thread, warm-up, interleaved runs, medians, baseline in the same run).
 *
 *  fence_lifecycle  one fence per op: resv_dma_fence_alloc() + init +
 *                   signal + last put (the memory is freed by liburcu's
 *                   call_rcu thread after a grace period, off the timed
 *                   thread). Baseline: malloc + free of the same size.
 *                   Also reported: the same lifecycle for a fence embedded
 *                   in caller memory (no allocation, ops->release no-op).
 *  fence_callback   an embedded fence with 16 callbacks per op: init, 16 x
 *                   add_callback, signal (runs them), put. ns_per_cb is the
 *                   cost per callback above the bare embedded lifecycle.
 *
 * Every callback increments a counter that is checked afterwards, so a
 * lost or doubled callback fails the benchmark (exit 1) instead of making
 * it faster.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <resv/alloc.h>
#include <resv/dma-fence.h>
#include <resv/rcu.h>

#include "harness.h"

#define CBS_PER_FENCE 16

static unsigned int g_failures;

#define FAIL(...)                                                 \
	do {                                                      \
		fprintf(stderr, "bench_fence: FAIL: " __VA_ARGS__); \
		fputc('\n', stderr);                              \
		g_failures++;                                     \
	} while (0)

static const char *bench_name(struct dma_fence *f) { return "bench"; }
static void noop_release(struct dma_fence *f) { }

static const struct dma_fence_ops heap_ops = {
	.get_driver_name = bench_name,
	.get_timeline_name = bench_name,
};

static const struct dma_fence_ops embedded_ops = {
	.get_driver_name = bench_name,
	.get_timeline_name = bench_name,
	.release = noop_release,
};

static struct resv_spinlock timeline_lock = RESV_SPINLOCK_INITIALIZER;
static uint64_t timeline_ctx;
static uint64_t callbacks_run;

/* ---- fence_lifecycle --------------------------------------------------------- */

static int loop_fence_heap(void *arg, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		struct dma_fence *f = resv_dma_fence_alloc(sizeof(*f));

		if (!f)
			return -1;
		dma_fence_init(f, &heap_ops, &timeline_lock, timeline_ctx, i);
		dma_fence_signal(f);
		dma_fence_put(f);
	}
	return 0;
}

static int loop_fence_embedded(void *arg, uint64_t iters)
{
	struct dma_fence f;

	for (uint64_t i = 0; i < iters; i++) {
		dma_fence_init(&f, &embedded_ops, &timeline_lock, timeline_ctx, i);
		dma_fence_signal(&f);
		dma_fence_put(&f);
	}
	return 0;
}

/* The same bytes resv_dma_fence_alloc() asks for (fence + 16-byte header). */
static int loop_malloc_free(void *arg, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		void *volatile p = malloc(sizeof(struct dma_fence) + 16);

		if (!p)
			return -1;
		*(volatile char *)p = 1;
		free(p);
	}
	return 0;
}

static void bench_lifecycle(const struct bench_opts *o)
{
	uint64_t iters = o->quick ? 100000 : 1000000;
	struct bench_variant v[] = {
		{ .name = "fence_heap", .fn = loop_fence_heap, .iters = iters },
		{ .name = "fence_embedded", .fn = loop_fence_embedded, .iters = iters },
		{ .name = "malloc_free", .fn = loop_malloc_free, .iters = iters },
	};
	struct bench_summary s;

	bench_set_phase("fence_lifecycle");
	if (bench_ns_per_op_interleaved(v, 3, 1, o->quick ? 5 : 9)) {
		FAIL("fence_lifecycle: an allocation failed");
		return;
	}
	resv_rcu_barrier();	/* the deferred frees of the timed runs */

	bench_summary_begin(&s, "fence_lifecycle");
	bench_summary_double(&s, "ns_per_fence", v[0].median_ns, 1);
	bench_summary_double(&s, "malloc_free_ns", v[2].median_ns, 1);
	bench_summary_double(&s, "ratio_vs_malloc", v[0].median_ns / v[2].median_ns, 2);
	bench_summary_double(&s, "embedded_ns_per_fence", v[1].median_ns, 1);
	bench_summary_u64(&s, "iters", iters);
	if (bench_summary_end(&s))
		g_failures++;
}

/* ---- fence_callback ------------------------------------------------------------ */

static void count_cb(struct dma_fence *f, struct dma_fence_cb *cb)
{
	callbacks_run++;	/* runs on this thread, under the fence lock */
}

static int loop_fence_callbacks(void *arg, uint64_t iters)
{
	struct dma_fence_cb cbs[CBS_PER_FENCE];
	struct dma_fence f;

	for (uint64_t i = 0; i < iters; i++) {
		dma_fence_init(&f, &embedded_ops, &timeline_lock, timeline_ctx, i);
		for (int c = 0; c < CBS_PER_FENCE; c++)
			if (dma_fence_add_callback(&f, &cbs[c], count_cb))
				return -1;
		dma_fence_signal(&f);
		dma_fence_put(&f);
	}
	return 0;
}

static void bench_callback(const struct bench_opts *o)
{
	uint64_t iters = o->quick ? 20000 : 200000;
	unsigned int runs = o->quick ? 5 : 9;
	struct bench_variant v[] = {
		{ .name = "fence_16cb", .fn = loop_fence_callbacks, .iters = iters },
		{ .name = "fence_embedded", .fn = loop_fence_embedded, .iters = iters },
	};
	uint64_t expected = (uint64_t)(1 + runs) * iters * CBS_PER_FENCE;
	struct bench_summary s;
	double per_cb;

	bench_set_phase("fence_callback");
	callbacks_run = 0;
	if (bench_ns_per_op_interleaved(v, 2, 1, runs)) {
		FAIL("fence_callback: add_callback failed on an unsignaled fence");
		return;
	}
	if (callbacks_run != expected)
		FAIL("fence_callback: %" PRIu64 " callbacks ran, expected %" PRIu64,
		     callbacks_run, expected);

	per_cb = (v[0].median_ns - v[1].median_ns) / CBS_PER_FENCE;
	bench_summary_begin(&s, "fence_callback");
	bench_summary_double(&s, "ns_per_cb", per_cb, 2);
	bench_summary_double(&s, "ns_per_fence_with_cbs", v[0].median_ns, 1);
	bench_summary_double(&s, "bare_fence_ns", v[1].median_ns, 1);
	bench_summary_u64(&s, "cbs_per_fence", CBS_PER_FENCE);
	bench_summary_u64(&s, "iters", iters);
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
	timeline_ctx = dma_fence_context_alloc(1);

	printf("# bench_fence: quick=%d online_cpus=%ld sizeof(struct dma_fence)=%zu\n", o.quick,
	       sysconf(_SC_NPROCESSORS_ONLN), sizeof(struct dma_fence));
	fflush(stdout);

	resv_rcu_barrier();
	resv_alloc_get_stats(&before);
	bench_lifecycle(&o);
	bench_callback(&o);
	resv_rcu_barrier();
	resv_alloc_get_stats(&after);
	if (after.live_bytes != before.live_bytes)
		FAIL("leak: live_bytes %" PRIu64 " -> %" PRIu64, before.live_bytes,
		     after.live_bytes);

	bench_watchdog_arm(0);
	bench_idle_thread_stop();
	if (g_failures) {
		fprintf(stderr, "bench_fence: %u check(s) failed\n", g_failures);
		return 1;
	}
	return 0;
}
