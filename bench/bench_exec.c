/* SPDX-License-Identifier: MIT */
/*
 * bench_exec: the cost per object of locking N GEM objects through one
 * drm_exec loop, uncontended, one thread (DESIGN.md §7 hygiene: idle thread
 * first, warm-up, interleaved runs, medians, baseline in the same run).
 *
 *  exec_lock          for N = 1, 16, 256, 4096, 100 000: drm_exec_init(),
 *                     drm_exec_until_all_locked() with drm_exec_lock_obj() on
 *                     each object, drm_exec_fini(); ns_per_obj is the median
 *                     time of the whole cycle divided by N. Baseline: what
 *                     the loop does underneath, written by hand — an acquire
 *                     context, dma_resv_lock() of the same N objects,
 *                     ww_acquire_done(), unlock all, ww_acquire_fini()
 *                     (ratio = exec / baseline; the difference is the table,
 *                     the references and the state machine). Target: <= 30
 *                     ns per object, linear in N (ns_per_obj flat across N).
 *  exec_lock_lockdep  the same loop with the lock validator on and off
 *                     (overhead_ratio = on / off), when the library was
 *                     built with it; otherwise one line saying compiled_in=0.
 *
 * The objects live in one array (a driver allocates them one by one; an
 * array is the kinder case for the caches, the same for both variants).
 * Every loop must lock exactly N objects and leave each unlocked with its
 * reference count back at 1; anything else fails the benchmark (exit 1).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <resv/alloc.h>
#include <resv/dma-resv.h>
#include <resv/drm_exec.h>
#include <resv/drm_gem.h>
#include <resv/rcu.h>
#if __has_include(<resv/lockdep.h>)
#include <resv/lockdep.h>
#define HAVE_LOCKDEP_H 1
#endif

#include "harness.h"

#define MAX_N 100000u

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BENCH_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(BENCH_TSAN)
/* TSan's deadlock detector aborts beyond 64 held locks; we hold 100 000. */
__attribute__((visibility("default"))) const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "detect_deadlocks=0";
}
#endif

static const unsigned int sizes[] = { 1, 16, 256, 4096, MAX_N };

static unsigned int g_failures;

#define FAIL(...)                                                  \
	do {                                                       \
		fprintf(stderr, "bench_exec: FAIL: " __VA_ARGS__); \
		fputc('\n', stderr);                               \
		g_failures++;                                      \
	} while (0)

static unsigned int g_freed;

/* The objects belong to the array: release only. */
static void bo_free(struct drm_gem_object *obj)
{
	drm_gem_object_release(obj);
	g_freed++;
}

static const struct drm_gem_object_funcs bo_funcs = { .free = bo_free };

static struct drm_gem_object *g_objs;

/* ---- the two loops ---------------------------------------------------------------- */

struct loop_arg {
	unsigned int n;
	int lockdep;	/* -1: leave alone; 0/1: switch the validator first */
};

static void set_lockdep(int on)
{
#ifdef HAVE_LOCKDEP_H
	if (on >= 0)
		resv_lockdep_set_enabled(on != 0);
#else
	(void)on;
#endif
}

/* @iters objects, i.e. iters / n drm_exec cycles. */
static int exec_loop(void *arg, uint64_t iters)
{
	const struct loop_arg *a = arg;
	struct drm_exec exec;
	uint64_t cycles = iters / a->n;
	unsigned int i;
	int ret = 0;

	set_lockdep(a->lockdep);
	while (cycles--) {
		drm_exec_init(&exec, 0, 0);
		drm_exec_until_all_locked(&exec) {
			for (i = 0; i < a->n; i++) {
				ret = drm_exec_lock_obj(&exec, &g_objs[i]);
				drm_exec_retry_on_contention(&exec);
				if (ret)
					break;
			}
		}
		if (ret || exec.num_objects != a->n) {
			drm_exec_fini(&exec);
			return 1;
		}
		drm_exec_fini(&exec);
	}
	return 0;
}

/* The baseline: the same locks under one acquire context, by hand. */
static int ww_loop(void *arg, uint64_t iters)
{
	const struct loop_arg *a = arg;
	struct ww_acquire_ctx ctx;
	uint64_t cycles = iters / a->n;
	unsigned int i;

	set_lockdep(a->lockdep);
	while (cycles--) {
		ww_acquire_init(&ctx, &reservation_ww_class);
		for (i = 0; i < a->n; i++) {
			if (dma_resv_lock(g_objs[i].resv, &ctx)) {
				while (i--)
					dma_resv_unlock(g_objs[i].resv);
				ww_acquire_fini(&ctx);
				return 1;
			}
		}
		ww_acquire_done(&ctx);
		for (i = a->n; i--;)
			dma_resv_unlock(g_objs[i].resv);
		ww_acquire_fini(&ctx);
	}
	return 0;
}

/* Objects per timed run: whole cycles, at least one. */
static uint64_t run_iters(unsigned int n, uint64_t target)
{
	uint64_t cycles = target / n;

	return (cycles ? cycles : 1) * n;
}

static void check_objects(const char *phase)
{
	unsigned int i;

	for (i = 0; i < MAX_N; i++) {
		if (dma_resv_is_locked(g_objs[i].resv) || drm_gem_object_refcount(&g_objs[i]) != 1) {
			FAIL("%s: object %u left locked=%d refcount=%ld", phase, i,
			     dma_resv_is_locked(g_objs[i].resv), drm_gem_object_refcount(&g_objs[i]));
			return;
		}
	}
}

static void bench_exec_lock(const struct bench_opts *o)
{
	uint64_t target = o->quick ? 100000 : 2000000;
	unsigned int runs = o->quick ? 3 : 9;
	struct bench_summary s;
	size_t k;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct loop_arg arg = { .n = sizes[k], .lockdep = -1 };
		uint64_t iters = run_iters(sizes[k], target);
		struct bench_variant v[2] = {
			{ .name = "drm_exec", .fn = exec_loop, .arg = &arg, .iters = iters },
			{ .name = "ww_ctx", .fn = ww_loop, .arg = &arg, .iters = iters },
		};

		bench_set_phase("exec_lock");
		if (bench_ns_per_op_interleaved(v, 2, 1, runs))
			FAIL("exec_lock n=%u: a loop did not lock every object", sizes[k]);
		check_objects("exec_lock");

		bench_summary_begin(&s, "exec_lock");
		bench_summary_u64(&s, "n", sizes[k]);
		bench_summary_double(&s, "ns_per_obj", v[0].median_ns, 2);
		bench_summary_double(&s, "baseline_ns_per_obj", v[1].median_ns, 2);
		bench_summary_double(&s, "ratio", v[0].median_ns / v[1].median_ns, 2);
		bench_summary_double(&s, "min_ns_per_obj", v[0].min_ns, 2);
		bench_summary_u64(&s, "objs_per_run", iters);
		if (bench_summary_end(&s))
			g_failures++;
	}
}

static void bench_exec_lock_lockdep(const struct bench_opts *o)
{
	struct bench_summary s;

#ifdef HAVE_LOCKDEP_H
	if (resv_lockdep_compiled_in()) {
		uint64_t target = o->quick ? 20000 : 500000;
		unsigned int runs = o->quick ? 3 : 7;
		bool was_on = resv_lockdep_enabled();
		size_t k;

		for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			struct loop_arg on = { .n = sizes[k], .lockdep = 1 };
			struct loop_arg off = { .n = sizes[k], .lockdep = 0 };
			uint64_t iters = run_iters(sizes[k], target);
			struct bench_variant v[2] = {
				{ .name = "lockdep_on", .fn = exec_loop, .arg = &on, .iters = iters },
				{ .name = "lockdep_off", .fn = exec_loop, .arg = &off, .iters = iters },
			};

			bench_set_phase("exec_lock_lockdep");
			if (bench_ns_per_op_interleaved(v, 2, 1, runs))
				FAIL("exec_lock_lockdep n=%u: a loop failed", sizes[k]);
			check_objects("exec_lock_lockdep");

			bench_summary_begin(&s, "exec_lock_lockdep");
			bench_summary_u64(&s, "compiled_in", 1);
			bench_summary_u64(&s, "n", sizes[k]);
			bench_summary_double(&s, "on_ns_per_obj", v[0].median_ns, 2);
			bench_summary_double(&s, "off_ns_per_obj", v[1].median_ns, 2);
			bench_summary_double(&s, "overhead_ratio", v[0].median_ns / v[1].median_ns, 2);
			if (bench_summary_end(&s))
				g_failures++;
		}
		resv_lockdep_set_enabled(was_on);
		return;
	}
#endif
	(void)o;
	bench_summary_begin(&s, "exec_lock_lockdep");
	bench_summary_u64(&s, "compiled_in", 0);
	if (bench_summary_end(&s))
		g_failures++;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct resv_alloc_stats before, after;
	unsigned int i;

	bench_parse_args(argc, argv, &o);
	bench_watchdog_arm(o.quick ? 120 : 900);
	bench_idle_thread_start();

	printf("# bench_exec: quick=%d online_cpus=%ld sizeof(struct drm_gem_object)=%zu "
	       "sizeof(struct drm_exec)=%zu\n",
	       o.quick, sysconf(_SC_NPROCESSORS_ONLN), sizeof(struct drm_gem_object),
	       sizeof(struct drm_exec));
	fflush(stdout);

	g_objs = calloc(MAX_N, sizeof(*g_objs));
	if (!g_objs) {
		fprintf(stderr, "bench_exec: out of memory\n");
		return 2;
	}
	for (i = 0; i < MAX_N; i++) {
		if (drm_gem_object_init(&g_objs[i], &bo_funcs, 4096)) {
			fprintf(stderr, "bench_exec: drm_gem_object_init failed\n");
			return 2;
		}
	}
	resv_rcu_barrier();
	resv_alloc_get_stats(&before);

	bench_exec_lock(&o);
	bench_exec_lock_lockdep(&o);

	resv_rcu_barrier();
	resv_alloc_get_stats(&after);
	if (after.live_bytes != before.live_bytes)
		FAIL("leak: live_bytes %" PRIu64 " -> %" PRIu64, before.live_bytes,
		     after.live_bytes);
	for (i = 0; i < MAX_N; i++)
		drm_gem_object_put(&g_objs[i]);
	if (g_freed != MAX_N)
		FAIL("%u of %u objects freed", g_freed, MAX_N);
	free(g_objs);

	bench_watchdog_arm(0);
	bench_idle_thread_stop();
	if (g_failures) {
		fprintf(stderr, "bench_exec: %u check(s) failed\n", g_failures);
		return 1;
	}
	return 0;
}
