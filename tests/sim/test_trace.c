/* SPDX-License-Identifier: MIT */
/*
 * The trace recorder (<sim/trace.h>): off means nothing recorded and
 * nothing allocated; the output is strict JSON of the Chrome/Perfetto shape
 * with exactly the events recorded; threads get their own tracks; the limit
 * and allocation failures drop events without leaking; the device puts its
 * engine spans, fence lifetimes and evictions in.
 *
 * `test_sim_trace --check FILE` checks a trace written by resv-sim instead
 * (used by the resv-sim ctest).
 */
#include <pthread.h>

#include <sim/trace.h>

#include "sim_test.h"
#include "trace_json.h"

/* Stop the trace into memory and parse it (strictly). */
static void stop_and_parse(struct tj_val *root, struct sim_trace_stats *stats)
{
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	assert_int_equal(sim_trace_stop(out, stats), 0);
	assert_int_equal(fclose(out), 0);
	if (tj_parse(buf, len, root, err, sizeof(err))) {
		fprintf(stderr, "trace is not JSON: %s\n", err);
		fail();
	}
	if (tj_check_trace(root, err, sizeof(err))) {
		fprintf(stderr, "trace shape: %s\n", err);
		fail();
	}
	free(buf);
}

static const struct tj_val *events_of(const struct tj_val *root)
{
	return tj_get(root, "traceEvents");
}

/* Number of events with this ph (and name, if not NULL). */
static size_t count(const struct tj_val *root, char ph, const char *name)
{
	const struct tj_val *evs = events_of(root);
	size_t n = 0;

	for (size_t i = 0; i < evs->n; i++) {
		const char *p = tj_str(&evs->items[i], "ph"), *nm = tj_str(&evs->items[i], "name");

		if (p[0] == ph && (!name || !strcmp(nm, name)))
			n++;
	}
	return n;
}

static const struct tj_val *find(const struct tj_val *root, char ph, const char *name, size_t nth)
{
	const struct tj_val *evs = events_of(root);

	for (size_t i = 0; i < evs->n; i++) {
		const char *p = tj_str(&evs->items[i], "ph"), *nm = tj_str(&evs->items[i], "name");

		if (p[0] == ph && !strcmp(nm, name) && nth-- == 0)
			return &evs->items[i];
	}
	return NULL;
}

static double num(const struct tj_val *obj, const char *key)
{
	double v = -1;

	assert_true(tj_num(obj, key, &v));
	return v;
}

/* A JSON timestamp (microseconds, three decimals) in nanoseconds. */
static long long ns_of(double us)
{
	return (long long)(us * 1000.0 + 0.5);
}

/* The name a metadata event gives track (pid, tid), or NULL. */
static const char *track_name(const struct tj_val *root, double pid, double tid)
{
	const struct tj_val *evs = events_of(root);

	for (size_t i = 0; i < evs->n; i++) {
		const struct tj_val *ev = &evs->items[i];

		if (!strcmp(tj_str(ev, "ph"), "M") && !strcmp(tj_str(ev, "name"), "thread_name") &&
		    num(ev, "pid") == pid && num(ev, "tid") == tid)
			return tj_str(tj_get(ev, "args"), "name");
	}
	return NULL;
}

/* ---- the checker itself must refuse what is not JSON ---------------------------- */

static void test_trace_json_checker_is_strict(void **state)
{
	static const char *const bad[] = {
		"", "[1,]", "{\"a\":1,}", "[01]", "[1.]", "[.5]", "[1e]", "\"a\tb\"", "\"\\x\"",
		"\"abc", "[1] x", "{a:1}", "[tru]", "[\"\\ud800\"]", "{\"a\" 1}", "[1 2]", "-",
	};
	static const char good[] =
		" {\"a\":[1,-0.5e+3,true,false,null,\"\\u00e9\\ud83d\\ude00\\n\"],\"b\":{}} ";
	struct tj_val v;
	char err[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tj_parse(bad[i], strlen(bad[i]), &v, err, sizeof(err)) == 0) {
			fprintf(stderr, "accepted: %s\n", bad[i]);
			fail();
		}
	}
	assert_int_equal(tj_parse(good, strlen(good), &v, err, sizeof(err)), 0);
	assert_int_equal(tj_get(&v, "a")->n, 6);
	assert_true(tj_get(&v, "a")->items[1].num == -500.0);
	assert_string_equal(tj_get(&v, "a")->items[5].str, "\xc3\xa9\xf0\x9f\x98\x80\n");
	tj_free(&v);
}

/* ---- off --------------------------------------------------------------------------- */

static void test_trace_off_records_nothing(void **state)
{
	struct sim_trace_arg arg = { "x", 1 };
	struct sim_trace_stats st;

	/* An armed allocation failure survives everything below: nothing
	 * allocated while off. */
	sim_trace_fail_alloc_nth(1);

	assert_false(sim_trace_enabled());
	assert_int_equal(sim_trace_session(), 0);
	sim_trace_thread_name("nobody");
	sim_trace_track_name((struct sim_trace_track){ 2, 7 }, "nothing");
	sim_trace_complete(SIM_TRACE_SELF, "c", "n", 1, 2, &arg, 1);
	sim_trace_instant(SIM_TRACE_SELF, "c", "n", NULL, 0);
	sim_trace_async_begin(3, "c", "n", 1, 1, NULL, 0);
	sim_trace_async_end(3, "c", "n", 1, 2, NULL, 0);
	sim_trace_counter(1, "n", 5);
	sim_trace_exec_begin();
	assert_int_equal(sim_trace_stop(NULL, NULL), -EINVAL);
	assert_int_equal(sim_trace_stop_file("/dev/null", NULL), -EINVAL);

	assert_int_equal(sim_trace_start(0), 0);
	sim_trace_instant(SIM_TRACE_SELF, "t", "dropped", NULL, 0);	/* the armed failure */
	sim_trace_instant(SIM_TRACE_SELF, "t", "kept", NULL, 0);
	assert_int_equal(sim_trace_stop(NULL, &st), 0);
	assert_int_equal(st.dropped, 1);
}

static void test_trace_start_twice_is_busy(void **state)
{
	uint64_t s1;

	assert_int_equal(sim_trace_start(0), 0);
	s1 = sim_trace_session();
	assert_true(s1 != 0);
	assert_int_equal(sim_trace_start(0), -EBUSY);
	assert_int_equal(sim_trace_session(), s1);
	assert_int_equal(sim_trace_stop(NULL, NULL), 0);
	assert_int_equal(sim_trace_session(), 0);
	assert_int_equal(sim_trace_start(0), 0);
	assert_true(sim_trace_session() != s1);
	assert_int_equal(sim_trace_stop(NULL, NULL), 0);
}

/* ---- exact content ----------------------------------------------------------------- */

static void test_trace_events_exact(void **state)
{
	static const char tricky[] = "cl\"ient\\ 0\n";
	struct sim_trace_arg args[4] = { { "a", 1 }, { "b", -2 }, { "c", INT64_MAX }, { "d", 4 } };
	const struct tj_val *ev, *b, *e;
	struct sim_trace_stats st;
	struct tj_val root;
	int64_t t;

	assert_int_equal(sim_trace_start(0), 0);
	sim_trace_thread_name("%s", tricky);
	sim_trace_track_name((struct sim_trace_track){ SIM_TRACE_PID_GPU, 42 }, "rcs9");
	sim_trace_track_name((struct sim_trace_track){ SIM_TRACE_PID_GPU, 42 }, "renamed");
	t = sim_trace_now();
	sim_trace_complete(SIM_TRACE_SELF, "lock", "locked", t, t + 1500, args, 4);
	sim_trace_complete((struct sim_trace_track){ SIM_TRACE_PID_GPU, 42 }, "batch", "batch",
			   t + 10, t + 5, NULL, 0);
	sim_trace_instant(SIM_TRACE_SELF, "exec", "backoff", args, 1);
	sim_trace_async_begin(SIM_TRACE_PID_FENCES, "fence", "rcs9", 0xabcdef, t, NULL, 0);
	sim_trace_async_end(SIM_TRACE_PID_FENCES, "fence", "rcs9", 0xabcdef, t + 2000, args + 1, 1);
	sim_trace_counter(SIM_TRACE_PID_CPU, "vram_used", 12345);
	stop_and_parse(&root, &st);

	/* 3 process names, 1 thread name, 1 track name, 6 events */
	assert_int_equal(st.events, 11);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.threads, 1);
	assert_int_equal(events_of(&root)->n, 11);
	assert_int_equal(count(&root, 'M', "process_name"), 3);
	assert_int_equal(count(&root, 'X', NULL), 2);
	assert_int_equal(count(&root, 'i', "backoff"), 1);
	assert_int_equal(count(&root, 'C', "vram_used"), 1);
	assert_string_equal(track_name(&root, SIM_TRACE_PID_GPU, 42), "renamed");

	ev = find(&root, 'X', "locked", 0);
	assert_non_null(ev);
	assert_string_equal(tj_str(ev, "cat"), "lock");
	assert_true(num(ev, "pid") == SIM_TRACE_PID_CPU);
	assert_string_equal(track_name(&root, SIM_TRACE_PID_CPU, num(ev, "tid")), tricky);
	assert_true(num(ev, "dur") == 1.5);	/* microseconds */
	assert_true(num(tj_get(ev, "args"), "a") == 1);
	assert_true(num(tj_get(ev, "args"), "b") == -2);
	assert_true(num(tj_get(ev, "args"), "c") == (double)INT64_MAX);
	assert_null(tj_get(tj_get(ev, "args"), "d"));	/* SIM_TRACE_MAX_ARGS */

	ev = find(&root, 'X', "batch", 0);
	assert_true(num(ev, "dur") == 0);	/* an end before the start is clamped */
	assert_true(num(ev, "tid") == 42);
	assert_null(tj_get(ev, "args"));

	b = find(&root, 'b', "rcs9", 0);
	e = find(&root, 'e', "rcs9", 0);
	assert_non_null(b);
	assert_non_null(e);
	assert_string_equal(tj_str(b, "id"), "0xabcdef");
	assert_string_equal(tj_str(e, "id"), "0xabcdef");
	/* microseconds with three decimals: compare in nanoseconds */
	assert_int_equal(ns_of(num(e, "ts")) - ns_of(num(b, "ts")), 2000);
	assert_true(num(tj_get(e, "args"), "b") == -2);
	assert_true(num(tj_get(find(&root, 'C', "vram_used", 0), "args"), "value") == 12345);
	tj_free(&root);
}

/* ---- threads ------------------------------------------------------------------------- */

#define TT_THREADS 4
#define TT_EVENTS 2500	/* more than one chunk each */

static void *trace_thread_main(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg;

	sim_trace_thread_name("worker %u", id);
	for (int i = 0; i < TT_EVENTS; i++) {
		struct sim_trace_arg args[2] = { { "thread", id }, { "i", i } };

		sim_trace_instant(SIM_TRACE_SELF, "t", "tick", args, 2);
	}
	return NULL;
}

static void test_trace_threads_get_own_tracks(void **state)
{
	pthread_t t[TT_THREADS];
	double tid_of[TT_THREADS], next_i[TT_THREADS] = { 0 };
	const struct tj_val *evs;
	struct sim_trace_stats st;
	struct tj_val root;

	assert_int_equal(sim_trace_start(0), 0);
	for (uintptr_t i = 0; i < TT_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, trace_thread_main, (void *)i), 0);
	for (int i = 0; i < TT_THREADS; i++)
		pthread_join(t[i], NULL);
	stop_and_parse(&root, &st);
	assert_int_equal(st.threads, TT_THREADS);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(count(&root, 'i', "tick"), TT_THREADS * TT_EVENTS);
	for (int i = 0; i < TT_THREADS; i++)
		tid_of[i] = -1;
	/* Each thread's events are on one track, named after it, in order. */
	evs = events_of(&root);
	for (size_t k = 0; k < evs->n; k++) {
		const struct tj_val *ev = &evs->items[k];
		int id;
		char want[32];

		if (strcmp(tj_str(ev, "ph"), "i"))
			continue;
		id = (int)num(tj_get(ev, "args"), "thread");
		assert_true(id >= 0 && id < TT_THREADS);
		if (tid_of[id] < 0) {
			tid_of[id] = num(ev, "tid");
			snprintf(want, sizeof(want), "worker %d", id);
			assert_string_equal(track_name(&root, SIM_TRACE_PID_CPU, tid_of[id]), want);
		}
		assert_true(num(ev, "tid") == tid_of[id]);
		assert_true(num(tj_get(ev, "args"), "i") == next_i[id]);
		next_i[id]++;
	}
	for (int i = 0; i < TT_THREADS; i++)
		for (int j = i + 1; j < TT_THREADS; j++)
			assert_true(tid_of[i] != tid_of[j]);
	tj_free(&root);
}

/* ---- limits and allocation failure ------------------------------------------------- */

static void test_trace_limit_drops_and_counts(void **state)
{
	struct sim_trace_stats st;
	struct tj_val root;
	double dropped = -1;

	assert_int_equal(sim_trace_start(10), 0);
	for (int i = 0; i < 25; i++)
		sim_trace_instant(SIM_TRACE_SELF, "t", "tick", NULL, 0);
	stop_and_parse(&root, &st);
	assert_int_equal(count(&root, 'i', "tick"), 10);
	assert_int_equal(st.dropped, 15);
	assert_true(tj_num(tj_get(&root, "otherData"), "dropped_events", &dropped));
	assert_true(dropped == 15);
	tj_free(&root);
}

/* Fail the registration, then the first chunk, then the track name: each
 * drops exactly the event that needed it, nothing leaks (ASan), and the
 * library's allocator saw nothing. */
static void test_trace_alloc_failure_drops(void **state)
{
	for (unsigned long nth = 1; nth <= 3; nth++) {
		struct sim_trace_stats st;
		struct tj_val root;

		assert_int_equal(sim_trace_start(0), 0);
		sim_trace_fail_alloc_nth(nth);
		sim_trace_instant(SIM_TRACE_SELF, "t", "first", NULL, 0);	/* thread + chunk */
		sim_trace_track_name((struct sim_trace_track){ 2, 1 }, "named");	/* 1 alloc */
		sim_trace_fail_alloc_nth(0);
		sim_trace_instant(SIM_TRACE_SELF, "t", "second", NULL, 0);
		stop_and_parse(&root, &st);
		assert_int_equal(st.dropped, 1);
		assert_int_equal(count(&root, 'i', "second"), 1);
		assert_int_equal(count(&root, 'i', "first"), nth <= 2 ? 0 : 1);
		if (nth == 3)
			assert_null(track_name(&root, 2, 1));
		else
			assert_string_equal(track_name(&root, 2, 1), "named");
		tj_free(&root);
	}
}

static void test_trace_stop_file_bad_path(void **state)
{
	struct sim_trace_stats st;

	assert_int_equal(sim_trace_start(0), 0);
	sim_trace_instant(SIM_TRACE_SELF, "t", "tick", NULL, 0);
	assert_int_equal(sim_trace_stop_file("/nonexistent-dir/trace.json", &st), -ENOENT);
	assert_false(sim_trace_enabled());
	assert_int_equal(st.events, 0);		/* discarded, not written */
	assert_int_equal(st.threads, 1);
	assert_int_equal(sim_trace_stop(NULL, NULL), -EINVAL);
}

/* ---- the device's events -------------------------------------------------------------- */

static void test_trace_device_engines_fences_evictions(void **state)
{
	struct sim_device *dev;
	struct sim_bo *bo;
	struct st_gpu g;
	struct sim_batch b;
	uint32_t words[16];
	const struct tj_val *ev, *begin, *end;
	struct tj_val root;
	double rcs0 = -1, migrate = -1;
	uint32_t ctx_id;

	assert_int_equal(sim_trace_start(0), 0);
	sim_trace_thread_name("test");
	dev = st_device(16 * PAGE, 0, 0);
	st_gpu_init(&g, dev);
	bo = st_bo(dev, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	st_validate(bo, SIM_PL_MASK_VRAM);		/* a move */
	st_gpu_map(&g, bo, ST_DATA_VA);
	sim_batch_init(&b, words, 16);
	sim_batch_store_dw(&b, ST_DATA_VA, 7);
	sim_batch_end(&b);
	assert_int_equal(st_gpu_run(&g, &b), 1);
	sim_batch_init(&b, words, 16);
	sim_batch_store_dw(&b, 0x7000000000ull, 7);	/* unmapped: -EFAULT */
	sim_batch_end(&b);
	assert_int_equal(st_gpu_run(&g, &b), -EFAULT);
	st_wait_bo_idle(bo);
	assert_true(sim_shrink(dev, 4 * PAGE) > 0);	/* an eviction */
	ctx_id = sim_context_id(g.ctx);
	st_gpu_fini(&g);
	sim_bo_put(bo);
	sim_device_destroy(dev);
	stop_and_parse(&root, NULL);

	/* the engines' tracks are named */
	for (size_t i = 0; i < events_of(&root)->n; i++) {
		ev = &events_of(&root)->items[i];
		if (strcmp(tj_str(ev, "ph"), "M") || num(ev, "pid") != SIM_TRACE_PID_GPU)
			continue;
		if (!strcmp(tj_str(tj_get(ev, "args"), "name"), "rcs0"))
			rcs0 = num(ev, "tid");
		if (!strcmp(tj_str(tj_get(ev, "args"), "name"), "migrate"))
			migrate = num(ev, "tid");
	}
	assert_true(rcs0 >= 0 && migrate >= 0);
	/* the engine workers recorded, but only on the engines' tracks: the
	 * test thread is the one CPU track */
	{
		size_t cpu_tracks = 0;

		for (size_t i = 0; i < events_of(&root)->n; i++) {
			ev = &events_of(&root)->items[i];
			if (!strcmp(tj_str(ev, "ph"), "M") && !strcmp(tj_str(ev, "name"), "thread_name") &&
			    num(ev, "pid") == SIM_TRACE_PID_CPU)
				cpu_tracks++;
		}
		assert_int_equal(cpu_tracks, 1);
	}

	ev = find(&root, 'X', "batch", 0);
	assert_non_null(ev);
	assert_true(num(ev, "pid") == SIM_TRACE_PID_GPU && num(ev, "tid") == rcs0);
	assert_true(num(tj_get(ev, "args"), "seqno") == 1);
	assert_true(num(tj_get(ev, "args"), "ctx") == ctx_id);
	assert_true(num(tj_get(ev, "args"), "error") == 0);
	ev = find(&root, 'X', "batch (failed)", 0);
	assert_non_null(ev);
	assert_true(num(tj_get(ev, "args"), "seqno") == 2);
	assert_true(num(tj_get(ev, "args"), "error") == -EFAULT);

	/* the move to VRAM and the eviction back, on the migration engine */
	assert_int_equal(count(&root, 'X', "move"), 2);
	ev = find(&root, 'X', "move", 0);
	assert_true(num(ev, "tid") == migrate);
	assert_true(num(tj_get(ev, "args"), "bytes") == 4 * PAGE);
	assert_int_equal(count(&root, 'i', "evict"), 1);
	ev = find(&root, 'i', "evict", 0);
	assert_true(num(tj_get(ev, "args"), "move_seqno") == 2);
	assert_string_equal(track_name(&root, SIM_TRACE_PID_CPU, num(ev, "tid")), "test");

	/* each fence's lifetime: created, then signalled with its status */
	assert_int_equal(count(&root, 'b', "rcs0"), 2);
	assert_int_equal(count(&root, 'e', "rcs0"), 2);
	assert_int_equal(count(&root, 'b', "migrate"), 2);
	begin = find(&root, 'b', "rcs0", 1);
	end = find(&root, 'e', "rcs0", 1);
	assert_string_equal(tj_str(begin, "id"), tj_str(end, "id"));
	assert_true(num(end, "ts") >= num(begin, "ts"));
	assert_true(num(tj_get(end, "args"), "error") == -EFAULT);
	tj_free(&root);
}

/* ---- drm_exec transactions --------------------------------------------------------------- */

static void test_trace_exec_span_and_backoffs(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	struct sim_bo *a = st_bo(dev, PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct sim_bo *b = st_bo(dev, PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	const struct tj_val *span, *inst;
	struct drm_exec exec;
	struct tj_val root;
	bool stale = true;
	unsigned long stamp;
	int ret;

	/* without a trace, and without a begin in this trace: nothing */
	drm_exec_init(&exec, 0, 0);
	sim_trace_exec_begin();
	sim_trace_exec_end("locked", &exec);
	drm_exec_fini(&exec);

	assert_int_equal(sim_trace_start(0), 0);
	drm_exec_init(&exec, 0, 0);
	sim_trace_exec_end("never begun", &exec);
	sim_trace_exec_begin();
	while (resv_exec_begin(&exec)) {
		ret = drm_exec_lock_obj(&exec, &a->base);
		if (resv_exec_restart_on(&exec, ret))
			continue;
		assert_int_equal(ret, 0);
		ret = drm_exec_lock_obj(&exec, &b->base);
		if (resv_exec_restart_on(&exec, ret))
			continue;
		assert_int_equal(ret, 0);
		if (stale) {	/* one userptr-stale restart */
			stale = false;
			assert_int_equal(resv_exec_restart(&exec, RESV_EXEC_RESTART_USERPTR_STALE), 0);
			continue;
		}
	}
	sim_trace_exec_end("locked", &exec);
	stamp = exec.ticket.stamp;
	drm_exec_fini(&exec);
	/* a restart outside the loop (a stale userptr found at the end) */
	sim_trace_exec_restart(RESV_EXEC_RESTART_USERPTR_STALE);
	sim_trace_exec_restart(RESV_EXEC_RESTART_NONE);		/* ignored */
	sim_trace_exec_restart(RESV_EXEC_RESTART_NR);		/* ignored */
	sim_bo_put(a);
	sim_bo_put(b);
	sim_device_destroy(dev);
	stop_and_parse(&root, NULL);

	assert_int_equal(count(&root, 'X', "never begun"), 0);
	assert_int_equal(count(&root, 'X', "locked"), 1);
	span = find(&root, 'X', "locked", 0);
	assert_string_equal(tj_str(span, "cat"), "lock");
	assert_true(num(tj_get(span, "args"), "objects") == 2);
	assert_true(num(tj_get(span, "args"), "restarts") == 1);
	assert_true(stamp > 0);
	assert_true(num(tj_get(span, "args"), "stamp") == (double)stamp);
	assert_int_equal(count(&root, 'i', "backoff: userptr_stale"), 2);
	assert_int_equal(count(&root, 'i', NULL), 2);
	inst = find(&root, 'i', "backoff: userptr_stale", 0);
	assert_true(num(tj_get(inst, "args"), "count") == 1);
	/* the loop's instant carries the ticket; the one from outside has none */
	{
		const struct tj_val *i0 = find(&root, 'i', "backoff: userptr_stale", 0);
		const struct tj_val *i1 = find(&root, 'i', "backoff: userptr_stale", 1);
		double v;

		assert_true(tj_num(tj_get(i0, "args"), "stamp", &v) !=
			    tj_num(tj_get(i1, "args"), "stamp", &v));
	}
	/* inside the span, on the same track */
	assert_true(num(inst, "tid") == num(span, "tid"));
	assert_true(num(inst, "ts") >= num(span, "ts"));
	assert_true(num(inst, "ts") <= num(span, "ts") + num(span, "dur"));
	tj_free(&root);
}

/* ---- ww_mutex contention events ------------------------------------------------------- */

static DEFINE_WD_CLASS(trace_wd_class);

struct ww_scene {
	struct ww_mutex l1, l2;
	pthread_barrier_t held;
	int first, died;
};

/*
 * The younger context: holds l2, asks for l1 (held by the older main
 * thread) and dies at once (Wait-Die), backs off, and slow-locks l1.
 */
static void *ww_younger(void *arg)
{
	struct ww_scene *sc = arg;
	struct ww_acquire_ctx ctx;

	pthread_barrier_wait(&sc->held);	/* main's context is older */
	ww_acquire_init(&ctx, &trace_wd_class);
	sc->first = ww_mutex_lock(&sc->l2, &ctx);
	sc->died = ww_mutex_lock(&sc->l1, &ctx);
	if (sc->first == 0)
		ww_mutex_unlock(&sc->l2);
	pthread_barrier_wait(&sc->held);	/* main may let l1 go */
	if (sc->died == -EDEADLK)
		ww_mutex_lock_slow(&sc->l1, &ctx);
	ww_mutex_unlock(&sc->l1);
	ww_acquire_fini(&ctx);
	return NULL;
}

static void test_trace_ww_events(void **state)
{
	struct ww_scene sc = { 0 };
	struct ww_acquire_ctx ctx;
	const struct tj_val *die, *slow;
	struct tj_val root;
	unsigned long older;
	pthread_t t;

	(void)state;
	assert_int_equal(sim_trace_label_lock(NULL, 1), -EINVAL);
	assert_int_equal(sim_trace_label_lock(&sc.l1, -1), -EINVAL);
	ww_mutex_init(&sc.l1, &trace_wd_class);
	ww_mutex_init(&sc.l2, &trace_wd_class);
	assert_int_equal(sim_trace_label_lock(&sc.l1, 5), 0);
	assert_int_equal(sim_trace_label_lock(&sc.l1, 7), 0);	/* relabelled */
	pthread_barrier_init(&sc.held, NULL, 2);

	assert_int_equal(sim_trace_start(0), 0);
	ww_acquire_init(&ctx, &trace_wd_class);
	older = ctx.stamp;
	assert_int_equal(ww_mutex_lock(&sc.l1, &ctx), 0);
	assert_int_equal(pthread_create(&t, NULL, ww_younger, &sc), 0);
	pthread_barrier_wait(&sc.held);
	pthread_barrier_wait(&sc.held);
	ww_mutex_unlock(&sc.l1);
	ww_acquire_fini(&ctx);
	pthread_join(t, NULL);
	stop_and_parse(&root, NULL);
	pthread_barrier_destroy(&sc.held);
	ww_mutex_destroy(&sc.l1);
	ww_mutex_destroy(&sc.l2);

	assert_int_equal(sc.first, 0);
	assert_int_equal(sc.died, -EDEADLK);
	assert_int_equal(count(&root, 'i', "ww: -EDEADLK (die)"), 1);
	assert_int_equal(count(&root, 'i', "ww: -EDEADLK (wounded)"), 0);
	assert_int_equal(count(&root, 'i', "ww: wound"), 0);
	assert_int_equal(count(&root, 'i', "ww: slow lock acquired"), 1);
	die = find(&root, 'i', "ww: -EDEADLK (die)", 0);
	assert_string_equal(tj_str(die, "cat"), "ww");
	assert_true(num(tj_get(die, "args"), "stamp") == (double)(older + 1));
	assert_true(num(tj_get(die, "args"), "other") == (double)older);
	assert_true(num(tj_get(die, "args"), "obj") == 7);
	slow = find(&root, 'i', "ww: slow lock acquired", 0);
	assert_true(num(tj_get(slow, "args"), "stamp") == (double)(older + 1));
	assert_true(num(tj_get(slow, "args"), "obj") == 7);
	/* both on the younger thread's track, the death first */
	assert_true(num(die, "tid") == num(slow, "tid"));
	assert_true(num(die, "ts") <= num(slow, "ts"));
	tj_free(&root);

}

/* ---- checking resv-sim's trace ---------------------------------------------------------- */

/* A trace from resv-sim: strict JSON of the right shape, named engine
 * tracks, batch spans, fence lifetimes, client tracks with submissions. */
/*
 * resv-sim's ww events: every one carries stamp, other and obj (stamp 0: a
 * context-less locker waiting, e.g. the shrinker's or set-up locks); a death
 * names an older context (Wait-Die) and a wound a younger one; with
 * @ww_class given, the deaths are of that algorithm's kind only, and a run
 * that backed off for contention shows them.
 */
static int check_ww_events(const char *path, const struct tj_val *root, const char *ww_class)
{
	const struct tj_val *evs = events_of(root);
	size_t die = 0, wounded = 0;

	for (size_t i = 0; i < evs->n; i++) {
		const struct tj_val *ev = &evs->items[i], *args = tj_get(ev, "args");
		const char *cat = tj_str(ev, "cat"), *name = tj_str(ev, "name");
		double stamp, other, obj;

		if (!cat || strcmp(cat, "ww"))
			continue;
		if (!tj_num(args, "stamp", &stamp) || !tj_num(args, "other", &other) ||
		    !tj_num(args, "obj", &obj) || stamp < 0 || obj < -1 ||
		    (stamp == 0 && strcmp(name, "ww: wait") &&
		     strcmp(name, "ww: acquired after wait"))) {
			fprintf(stderr, "%s: ww event %zu (%s) without stamp/other/obj\n", path, i,
				name);
			return 1;
		}
		if (!strcmp(name, "ww: -EDEADLK (die)")) {
			die++;
			if (!(other >= 1 && other < stamp)) {
				fprintf(stderr, "%s: event %zu: stamp %.0f died for %.0f, not older\n",
					path, i, stamp, other);
				return 1;
			}
		} else if (!strcmp(name, "ww: -EDEADLK (wounded)")) {
			wounded++;
		} else if (!strcmp(name, "ww: wound") && !(other > stamp)) {
			fprintf(stderr, "%s: event %zu: stamp %.0f wounded %.0f, not younger\n", path,
				i, stamp, other);
			return 1;
		}
	}
	if (!ww_class)
		return 0;
	if (!strcmp(ww_class, "wait-die") ? wounded || (count(root, 'i', "backoff: contended") && !die)
					 : die || (count(root, 'i', "backoff: contended") && !wounded)) {
		fprintf(stderr, "%s: %zu deaths and %zu wounded back-offs do not fit %s\n", path,
			die, wounded, ww_class);
		return 1;
	}
	return 0;
}

static int check_file(const char *path, const char *ww_class)
{
	size_t len = 0;
	char *text = tj_read_file(path, &len), err[256];
	struct tj_val root;
	int ret = 0;

	if (!text) {
		fprintf(stderr, "%s: cannot read\n", path);
		return 1;
	}
	if (tj_parse(text, len, &root, err, sizeof(err))) {
		fprintf(stderr, "%s: not JSON: %s\n", path, err);
		free(text);
		return 1;
	}
	free(text);
	if (tj_check_trace(&root, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", path, err);
		ret = 1;
	}
	if (!ret && (count(&root, 'X', "batch") == 0 || count(&root, 'b', "rcs0") == 0 ||
		     count(&root, 'X', "execbuf") + count(&root, 'X', "vm_exec") == 0 ||
		     count(&root, 'X', "execbuf locked") + count(&root, 'X', "vm_exec locked") == 0)) {
		fprintf(stderr, "%s: no batch spans, fence lifetimes, submission spans or "
			"locked sections\n", path);
		ret = 1;
	}
	if (!ret)
		ret = check_ww_events(path, &root, ww_class);
	if (!ret)
		printf("%s: %zu events, valid\n", path, events_of(&root)->n);
	tj_free(&root);
	return ret;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_json_checker_is_strict),
		cmocka_unit_test(test_trace_off_records_nothing),
		cmocka_unit_test(test_trace_start_twice_is_busy),
		cmocka_unit_test(test_trace_events_exact),
		cmocka_unit_test(test_trace_threads_get_own_tracks),
		cmocka_unit_test(test_trace_limit_drops_and_counts),
		cmocka_unit_test(test_trace_alloc_failure_drops),
		cmocka_unit_test(test_trace_stop_file_bad_path),
		cmocka_unit_test(test_trace_device_engines_fences_evictions),
		cmocka_unit_test(test_trace_exec_span_and_backoffs),
		cmocka_unit_test(test_trace_ww_events),
	};

	if (argc == 3 && !strcmp(argv[1], "--check"))
		return check_file(argv[2], NULL);
	if (argc == 5 && !strcmp(argv[1], "--check") && !strcmp(argv[3], "--ww-class"))
		return check_file(argv[2], argv[4]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
