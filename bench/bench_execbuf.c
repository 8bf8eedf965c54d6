/* SPDX-License-Identifier: MIT */
/*
 * bench_execbuf: no-op batch submissions through the i915-style execbuf
 * (sim_execbuf()), from one client with 1, 16 and 256 BOs, and from T
 * clients (2 and 4) with 1 BO, each client a file of its own on an engine
 * of its own.
 *
 *  path=execbuf   handles looked up, every object locked with drm_exec,
 *                 validated (resident: nothing moves), checked bound,
 *                 implicit dependencies collected, the job's fence
 *                 published to each, LRU bumped, everything unlocked
 *  path=raw_job   baseline: sim_job_create() + submit of the same batch in
 *                 the same address space, no lookup and no locking at all
 *
 * The batch is END only, softpinned; the other BOs are softpinned, read
 * and need VRAM, where they all fit. A client keeps at most SD_INFLIGHT jobs
 * queued (it waits for the oldest), so submissions/s is what the whole
 * path sustains, engine included. ns_per_extra_bo = (t(bos) - t(1)) /
 * (bos - 1), t = ns per submission. The SUMMARY lines have the keys of
 * bench_vm_bind's (lists=none here). Each figure is the median of RUNS
 * runs (one with --quick). Every fence must signal without error, or the
 * benchmark fails (exit 1).
 *
 * For profiling, BENCH_EXECBUF_ONLY=<path>/<clients>/<bos> (e.g.
 * execbuf/1/256) runs only that scenario.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <resv/resv.h>

#include <sim/batch.h>
#include <sim/bo.h>
#include <sim/device.h>
#include <sim/execbuf.h>
#include <sim/file.h>
#include <sim/pt.h>
#include <sim/sched.h>

#include "harness.h"
#include "submit_driver.h"

#define PAGE SIM_PAGE_SIZE
#define BATCH_VA 0x100000ull
#define DATA_VA 0x10000000ull
#define BATCH_LEN 4u	/* END: the exact length, as Mesa passes it */
#define MAX_CLIENTS 4u
#define RUNS 5

enum path { PATH_RAW, PATH_EXECBUF };

static const char *const path_names[] = { "raw_job", "execbuf" };

struct client {
	struct sim_device *dev;
	struct sim_file *file;
	struct sim_engine *engine;
	unsigned int engine_idx;
	struct sim_execbuf_object *objs;	/* data BOs, then the batch */
	unsigned int nobjs;
	enum path path;
};

static unsigned int g_failures;
static double g_cpu_ns;	/* submitter CPU ns per submission, last scenario */

#define FAIL(...)                                                      \
	do {                                                           \
		fprintf(stderr, "bench_execbuf: FAIL: " __VA_ARGS__);  \
		fputc('\n', stderr);                                   \
		__atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);  \
	} while (0)

static int execbuf(struct client *c, struct dma_fence **fence)
{
	struct sim_execbuf args = {
		.objects = c->objs,
		.count = c->nobjs,
		.batch_index = c->nobjs - 1,
		.batch_len = BATCH_LEN,
		.engine = c->engine_idx,
		.flags = SIM_EXECBUF_FENCE_OUT,
	};

	return sim_execbuf(c->file, &args, fence);
}

static int client_init(struct client *c, struct sim_device *dev, unsigned int idx,
		       enum path path, unsigned int nbos)
{
	struct dma_fence *fence = NULL;
	uint32_t words[4], handle;
	struct sim_batch b;
	int ret;

	memset(c, 0, sizeof(*c));
	c->dev = dev;
	c->path = path;
	c->nobjs = nbos;
	c->engine_idx = idx % sim_device_num_engines(dev);
	c->engine = sim_device_engine(dev, c->engine_idx);
	ret = sim_file_create(dev, &c->file);
	if (ret)
		return ret;
	c->objs = calloc(nbos, sizeof(*c->objs));
	if (!c->objs)
		return -ENOMEM;
	for (unsigned int i = 0; i + 1 < nbos; i++) {
		ret = sim_gem_create(c->file, PAGE, SIM_PL_MASK_ALL, &handle);
		if (ret)
			return ret;
		c->objs[i] = (struct sim_execbuf_object){
			.handle = handle,
			.flags = SIM_EXEC_OBJECT_PINNED | SIM_EXEC_OBJECT_NEEDS_VRAM,
			.offset = DATA_VA + (uint64_t)i * PAGE,
		};
	}
	ret = sim_gem_create(c->file, PAGE, SIM_PL_MASK_SYSTEM, &handle);
	if (ret)
		return ret;
	sim_batch_init(&b, words, 4);
	sim_batch_end(&b);
	ret = sim_gem_pwrite(c->file, handle, 0, words, sim_batch_bytes(&b));
	if (ret)
		return ret;
	c->objs[nbos - 1] = (struct sim_execbuf_object){
		.handle = handle, .flags = SIM_EXEC_OBJECT_PINNED, .offset = BATCH_VA,
	};
	/* One execbuf moves the BOs into VRAM and binds everything. */
	ret = execbuf(c, &fence);
	if (ret)
		return ret;
	if (dma_fence_wait(fence, false) < 0 || dma_fence_get_status(fence) != 1)
		ret = -EIO;
	dma_fence_put(fence);
	return ret;
}

static void client_fini(struct client *c)
{
	sim_file_destroy(c->file);
	free(c->objs);
}

static int submit(void *client, struct dma_fence **fence)
{
	struct client *c = client;
	struct sim_job *job;
	int ret;

	if (c->path == PATH_EXECBUF)
		return execbuf(c, fence);
	ret = sim_job_create(c->engine, sim_file_context(c->file), sim_file_pt(c->file),
			     BATCH_VA, BATCH_LEN, &job);
	if (!ret)
		*fence = sim_job_submit(job);
	return ret;
}

/* One scenario: submissions per second, all clients together. */
static double run_scenario(enum path path, unsigned int clients, unsigned int nbos,
			   unsigned int ms)
{
	struct sim_device_config cfg = {
		.vram_size = (uint64_t)(clients * nbos + 64) * PAGE,
		.num_engines = clients,
	};
	struct client cl[MAX_CLIENTS];
	struct sd_run run = {
		.clients = cl, .client_size = sizeof(cl[0]), .nclients = clients,
		.submit = submit, .ms = ms, .salt = path,
	};
	struct sim_execbuf_stats st;
	struct sim_device *dev;
	double rate = 0;
	int ret;

	bench_set_phase(path_names[path]);
	memset(cl, 0, sizeof(cl));
	if (sim_device_create(&cfg, &dev)) {
		FAIL("device");
		return 0;
	}
	for (unsigned int i = 0; i < clients; i++) {
		ret = client_init(&cl[i], dev, i, path, nbos);
		if (ret) {
			FAIL("client set-up: %d", ret);
			goto out;
		}
	}
	rate = sd_run_clients(&run, &g_cpu_ns);
	/* "Nothing to evict": a scenario that moved anything is mislabelled. */
	sim_execbuf_device_stats(dev, &st);
	if (st.evictions || st.rebinds || st.failures)
		FAIL("%s: %" PRIu64 " evictions, %" PRIu64 " rebinds, %" PRIu64 " failures",
		     path_names[path], st.evictions, st.rebinds, st.failures);
out:
	for (unsigned int i = 0; i < clients; i++)
		if (cl[i].file)
			client_fini(&cl[i]);
	sim_device_destroy(dev);
	return rate;
}

static void report(enum path path, unsigned int clients, unsigned int bos, double rate,
		   double ns_one)
{
	sd_report(path_names[path], "none", clients, bos, rate, ns_one);
	/* Not a SUMMARY key (the format is shared with bench_vm_bind): the
	 * submitters' CPU time per submission, robust on a busy machine. */
	printf("detail bench=execbuf path=%s clients=%u bos=%u submitter_cpu_ns_per_submit=%.0f\n",
	       path_names[path], clients, bos, g_cpu_ns);
}

/* Median of the runs of a scenario (the machine is shared: one run can be
 * off by a factor). */
static double measure(enum path path, unsigned int clients, unsigned int nbos, unsigned int ms,
		      unsigned int runs)
{
	double rates[RUNS], cpu[RUNS];

	for (unsigned int r = 0; r < runs; r++) {
		rates[r] = run_scenario(path, clients, nbos, ms);
		cpu[r] = g_cpu_ns;
	}
	g_cpu_ns = bench_median(cpu, runs);
	return bench_median(rates, runs);
}

static bool selected(enum path path, unsigned int clients, unsigned int bos)
{
	const char *only = getenv("BENCH_EXECBUF_ONLY");
	char name[64];

	if (!only || !*only)
		return true;
	snprintf(name, sizeof(name), "%s/%u/%u", path_names[path], clients, bos);
	return !strcmp(name, only);
}

int main(int argc, char **argv)
{
	static const unsigned int sizes[] = { 1, 16, 256 };
	static const unsigned int threads[] = { 2, 4 };
	struct bench_opts o;
	unsigned int ms, runs;

	bench_parse_args(argc, argv, &o);
	bench_watchdog_arm(o.quick ? 120 : 900);
	bench_idle_thread_start();
	ms = o.quick ? 150 : 400;
	runs = o.quick ? 1 : RUNS;

	for (enum path path = PATH_RAW; path <= PATH_EXECBUF; path++) {
		double ns_one = 0;

		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			double rate;

			/* The baseline submits the batch alone, whatever the BOs. */
			if (path == PATH_RAW && i > 0)
				break;
			if (!selected(path, 1, sizes[i]))
				continue;	/* profiling one: ns_per_extra_bo is moot */
			rate = measure(path, 1, sizes[i], ms, runs);
			if (i == 0)
				ns_one = rate > 0 ? 1e9 / rate : 0;
			report(path, 1, sizes[i], rate, ns_one);
		}
		for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++)
			if (selected(path, threads[i], 1))
				report(path, threads[i], 1, measure(path, threads[i], 1, ms, runs), 0);
	}
	bench_watchdog_arm(0);
	bench_idle_thread_stop();
	return g_failures || sd_failures ? 1 : 0;
}
