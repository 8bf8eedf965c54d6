/* SPDX-License-Identifier: MIT */
/*
 * resv-sim, the main job of the simulated GPU (issue 6): client threads
 * submit random batches through execbuf and VM_BIND over shared buffer
 * objects that do not all fit in VRAM, while userptr ranges are migrated
 * and the shrinker reclaims VRAM, and some batches hang; every write is
 * verified against a model of what memory must hold. docs/resv-sim.md
 * explains the output and the trace.
 *
 * Exit status: 0 when everything verified, 1 on a verification failure,
 * 2 on a usage or setup error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <resv/dma-resv.h>
#include <resv/lockdep.h>
#include <resv/ww_mutex.h>

#include <sim/trace.h>

#include "resv-sim.h"

#define RS_TICK_NS 100000000	/* progress and trace counters every 100 ms */

static double seconds_since(int64_t start)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - start) / 1e9;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleep one tick at a time until the run is over. */
static double run(struct rs_world *w)
{
	const struct timespec tick = { 0, RS_TICK_NS };
	unsigned int ticks = 0;
	double elapsed = 0;

	while (!rs_stopping(w) && __atomic_load_n(&w->running, __ATOMIC_ACQUIRE)) {
		nanosleep(&tick, NULL);
		elapsed = seconds_since(w->start_ns);
		if (w->opt.seconds && elapsed >= w->opt.seconds)
			break;
		/* the line four times a second, trace counters every tick */
		if (++ticks % 3 == 0 || sim_trace_enabled())
			rs_progress(w, elapsed, false);
	}
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	return seconds_since(w->start_ns);
}

static int start_clients(struct rs_world *w)
{
	for (unsigned int i = 0; i < w->opt.clients; i++) {
		__atomic_add_fetch(&w->running, 1, __ATOMIC_RELAXED);
		if (pthread_create(&w->clients[i].thread, NULL, rs_client_main, &w->clients[i])) {
			__atomic_sub_fetch(&w->running, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
			for (unsigned int j = 0; j < i; j++)
				pthread_join(w->clients[j].thread, NULL);
			return -EAGAIN;
		}
	}
	return 0;
}

/* The validator's graph of the whole run, every thread done. */
static int write_lock_graph(const char *path)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f) {
		fprintf(stderr, "resv-sim: cannot write %s: %s\n", path, strerror(errno));
		return -errno;
	}
	ret = resv_lockdep_write_graph(f, RESV_LOCKDEP_GRAPH_DOT);
	if (fclose(f) && !ret)
		ret = -EIO;
	if (ret)
		fprintf(stderr, "resv-sim: writing the lock graph to %s failed: %s\n", path,
			strerror(-ret));
	else
		printf("  %-22s %s (Graphviz: dot -Tsvg)\n", "lock graph", path);
	return ret;
}

static void finish_trace(const char *path)
{
	struct sim_trace_stats st;
	int ret = sim_trace_stop_file(path, &st);

	if (ret)
		fprintf(stderr, "resv-sim: writing the trace to %s failed: %s\n", path,
			strerror(-ret));
	else
		printf("  %-22s %s: %" PRIu64 " events from %" PRIu64 " threads%s (open it in "
		       "ui.perfetto.dev)\n", "trace", path, st.events, st.threads,
		       st.dropped ? ", some dropped: raise --trace-limit" : "");
}

int main(int argc, char **argv)
{
	static struct rs_world w;
	struct rs_pressure *pressure = NULL;
	struct rs_options opt;
	unsigned int setup = 0;
	double elapsed;
	bool ok;
	int ret;

	ret = rs_parse_options(argc, argv, &opt);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (opt.lock_graph && !resv_lockdep_enabled()) {
		fprintf(stderr, "resv-sim: --lock-graph needs the lock validator, which is %s "
			"(build with CMAKE_BUILD_TYPE=Debug or -DRESV_LOCKDEP=ON)\n",
			resv_lockdep_compiled_in() ? "switched off (RESV_LOCKDEP=0)" :
			"compiled out of this build");
		return 2;
	}
	/* Before any context of the class exists (the world's set-up locks). */
	if (opt.ww_class != RS_WW_DEFAULT &&
	    resv_ww_class_set_algorithm(&reservation_ww_class, opt.ww_class == RS_WW_WAIT_DIE)) {
		fprintf(stderr, "resv-sim: cannot set the ww class\n");
		return 2;
	}
	if (opt.trace && sim_trace_start(opt.trace_limit)) {
		fprintf(stderr, "resv-sim: cannot start the trace\n");
		return 2;
	}
	sim_trace_thread_name("main: progress and counters");
	ret = rs_world_create(&w, &opt);
	for (; !ret && setup < opt.clients; setup++)
		ret = rs_client_setup(&w.clients[setup]);
	if (ret) {
		fprintf(stderr, "resv-sim: setting up the device and its clients failed: %s\n",
			strerror(-ret));
		goto out_teardown;
	}
	if (!opt.quiet)
		fprintf(stderr, "resv-sim: %u clients, path %s, %s, %.1f s%s, seed %" PRIu64
			" (--seed to replay the workload)\n", opt.clients, rs_path_name(opt.path),
			rs_ww_class_name(opt.ww_class), opt.seconds,
			opt.submissions ? " at most" : "", opt.seed);
	w.start_ns = now_ns();
	ret = rs_pressure_start(&w, &pressure);
	if (!ret)
		ret = start_clients(&w);
	if (ret) {
		fprintf(stderr, "resv-sim: starting threads failed: %s\n", strerror(-ret));
		__atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
		rs_pressure_stop(pressure);
		goto out_teardown;
	}
	elapsed = run(&w);
	rs_pressure_stop(pressure);
	for (unsigned int i = 0; i < opt.clients; i++)
		pthread_join(w.clients[i].thread, NULL);
	rs_progress(&w, elapsed, true);
	/* Everybody stopped: check every object whole, unless a failure
	 * already showed the model and memory apart. */
	ok = !__atomic_load_n(&w.failures, __ATOMIC_RELAXED) && rs_model_check_world(&w);
	rs_summary(&w, elapsed, ok);
	for (unsigned int i = 0; i < setup; i++)
		rs_client_teardown(&w.clients[i]);
	rs_world_destroy(&w);		/* the device: every engine stopped */
	if (opt.trace)
		finish_trace(opt.trace);
	if (opt.lock_graph && write_lock_graph(opt.lock_graph))
		return 2;
	return ok ? 0 : 1;

out_teardown:
	for (unsigned int i = 0; i < setup; i++)
		rs_client_teardown(&w.clients[i]);
	rs_world_destroy(&w);
	if (opt.trace)
		sim_trace_stop(NULL, NULL);
	return 2;
}
