/* SPDX-License-Identifier: MIT */
/*
 * resv-sim's output: the live progress line (stderr, a TTY only, rewritten
 * in place) and the final summary table (stdout). Both add up the same
 * counters: the clients', the device's, execbuf's and every VM's; trace
 * counter tracks are sampled here too.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <sim/trace.h>

#include "resv-sim.h"

struct rs_totals {
	uint64_t submitted, submitted_vm, hangs, hang_ctx_recreated, again_retries;
	uint64_t lanes_checked, bytes_checked;
	uint64_t backoffs[RESV_EXEC_RESTART_NR];
	uint64_t userptr_retries, userptr_repins, revalidations, reloc_slow_paths;
	struct sim_device_stats dev;
};

static uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void gather(struct rs_world *w, struct rs_totals *t)
{
	struct sim_execbuf_stats eb;

	memset(t, 0, sizeof(*t));
	for (unsigned int i = 0; i < w->opt.clients; i++) {
		struct rs_client *c = &w->clients[i];

		t->submitted += load(&c->submitted);
		t->submitted_vm += load(&c->submitted_vm);
		t->hangs += load(&c->hangs_injected);
		t->hang_ctx_recreated += load(&c->hang_ctx_recreated);
		t->again_retries += load(&c->again_retries);
		t->lanes_checked += load(&c->lanes_checked);
		t->bytes_checked += load(&c->bytes_checked);
		if (c->vm) {
			struct sim_vm_stats vs;

			sim_vm_get_stats(c->vm, &vs);
			for (int r = 0; r < RESV_EXEC_RESTART_NR; r++)
				t->backoffs[r] += vs.backoffs[r];
			t->revalidations += vs.revalidations;
			t->userptr_retries += vs.userptr_retries;
			t->userptr_repins += vs.userptr_repins;
		}
	}
	sim_execbuf_device_stats(w->dev, &eb);
	for (int r = 0; r < RESV_EXEC_RESTART_NR; r++)
		t->backoffs[r] += eb.backoffs[r];
	t->userptr_retries += eb.userptr_retries;
	t->reloc_slow_paths += eb.reloc_slow_paths;
	sim_device_get_stats(w->dev, &t->dev);
}

static uint64_t backoffs_total(const struct rs_totals *t)
{
	uint64_t n = 0;

	for (int r = 1; r < RESV_EXEC_RESTART_NR; r++)
		n += t->backoffs[r];
	return n;
}

void rs_progress(struct rs_world *w, double elapsed, bool final)
{
	static uint64_t last_subs, last_evictions;
	static double last_t;
	struct rs_totals t;
	double rate;

	gather(w, &t);
	rate = elapsed > last_t ? (double)(t.submitted - last_subs) / (elapsed - last_t) : 0;
	if (sim_trace_enabled()) {
		sim_trace_counter(SIM_TRACE_PID_CPU, "submissions/s", (int64_t)rate);
		sim_trace_counter(SIM_TRACE_PID_CPU, "VRAM used (KiB)",
				  (int64_t)(t.dev.vram_used / 1024));
		sim_trace_counter(SIM_TRACE_PID_CPU, "evictions", (int64_t)t.dev.evictions);
		sim_trace_counter(SIM_TRACE_PID_CPU, "backoffs", (int64_t)backoffs_total(&t));
	}
	if (w->opt.progress) {
		struct winsize ws;
		size_t width = 80;
		char line[256];

		if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
			width = ws.ws_col;
		snprintf(line, sizeof(line),
			 "[%5.1fs] %" PRIu64 " batches %.0f/s | backoffs: contended %" PRIu64
			 " userptr %" PRIu64 " other %" PRIu64 " | evictions %" PRIu64
			 " %.0f/s | userptr retries %" PRIu64 " | hangs %" PRIu64 " resets %" PRIu64
			 " | %s",
			 elapsed, t.submitted, rate, t.backoffs[RESV_EXEC_RESTART_CONTENDED],
			 t.backoffs[RESV_EXEC_RESTART_USERPTR_STALE],
			 t.backoffs[RESV_EXEC_RESTART_INJECTED] +
				 t.backoffs[RESV_EXEC_RESTART_ENOMEM_RETRY],
			 t.dev.evictions,
			 elapsed > last_t ? (double)(t.dev.evictions - last_evictions) /
						    (elapsed - last_t) : 0,
			 t.userptr_retries, t.hangs, t.dev.resets,
			 load(&w->failures) ? "FAILED" : "ok");
		/* one terminal line, or \r does not go back far enough */
		if (strlen(line) > width - 1)
			line[width - 1] = 0;
		fprintf(stderr, "\r\033[K%s", final ? "" : line);
		fflush(stderr);
	}
	last_subs = t.submitted;
	last_evictions = t.dev.evictions;
	last_t = elapsed;
}

void rs_summary(struct rs_world *w, double elapsed, bool ok)
{
	const struct rs_options *o = &w->opt;
	uint64_t shared_bytes = 0;
	struct rs_totals t;

	gather(w, &t);
	for (unsigned int k = 0; k < w->nshared; k++)
		shared_bytes += w->shared[k].size;
	printf("resv-sim: %u clients, %u shared objects (%.1f MiB) in %" PRIu64
	       " MiB of VRAM, %u engines, path %s, seed %" PRIu64 "\n",
	       o->clients, w->nshared, shared_bytes / 1048576.0, o->vram_mib, o->engines,
	       rs_path_name(o->path), o->seed);
	printf("  %-22s %.2f s\n", "ran", elapsed);
	printf("  %-22s %" PRIu64 " (%.0f/s): execbuf %" PRIu64 ", vm_bind %" PRIu64 "\n",
	       "batches", t.submitted, elapsed > 0 ? t.submitted / elapsed : 0,
	       t.submitted - t.submitted_vm, t.submitted_vm);
	printf("  %-22s %" PRIu64 ": contended %" PRIu64 ", injected %" PRIu64
	       ", enomem_retry %" PRIu64 ", userptr_stale %" PRIu64 "\n",
	       "backoffs (drm_exec)", backoffs_total(&t), t.backoffs[RESV_EXEC_RESTART_CONTENDED],
	       t.backoffs[RESV_EXEC_RESTART_INJECTED], t.backoffs[RESV_EXEC_RESTART_ENOMEM_RETRY],
	       t.backoffs[RESV_EXEC_RESTART_USERPTR_STALE]);
	printf("  %-22s %" PRIu64 " (by the shrinker %" PRIu64 ", %" PRIu64
	       " shrinker calls); migrations %" PRIu64 "\n",
	       "evictions", t.dev.evictions, t.dev.shrinker_evictions, load(&w->shrinks),
	       t.dev.migrations);
	printf("  %-22s %" PRIu64 " evicted objects validated and rebound by VM_BIND execs\n",
	       "revalidations", t.revalidations);
	printf("  %-22s invalidations %" PRIu64 ", retries %" PRIu64 " (VM repins %" PRIu64
	       ", resubmits after -EAGAIN %" PRIu64 ")\n",
	       "userptr", load(&w->invalidations), t.userptr_retries, t.userptr_repins,
	       t.again_retries);
	printf("  %-22s injected %" PRIu64 ", engine resets %" PRIu64 ", contexts banned %" PRIu64
	       " (re-created %" PRIu64 ")\n",
	       "hangs", t.hangs, t.dev.resets, t.dev.bans, t.hang_ctx_recreated);
	printf("  %-22s %" PRIu64 " run, %" PRIu64 " failed (hangs and their dependants), %" PRIu64
	       " faults\n",
	       "GPU jobs", t.dev.jobs_completed + t.dev.jobs_failed, t.dev.jobs_failed,
	       t.dev.faults);
	printf("  %-22s %s: %" PRIu64 " lane checks, %.1f MiB compared during the run, then every "
	       "object whole\n",
	       "verification", ok ? "OK" : "FAILED", t.lanes_checked,
	       t.bytes_checked / 1048576.0);
	if (!ok)
		printf("  %-22s %" PRIu64 " (see the messages above)\n", "failures",
		       load(&w->failures));
}
