/* SPDX-License-Identifier: MIT */
/*
 * bench_vm_bind: no-op batch submissions through the Xe-style VM_BIND +
 * exec path (sim_vm_exec()), from one client with 1, 16 and 256 BOs bound,
 * and from T clients each with its own VM and engine.
 *
 *  path=vm_bind        the BOs are external (own resv): every exec locks
 *                      each of them and publishes its fence to each
 *  path=vm_bind_local  the BOs are local (share the VM's resv): one lock
 *                      and one fence whatever their number
 *  path=raw            baseline: sim_job_create() + submit of the same
 *                      batch in the same address space, no locking at all
 *
 * The batch is END only; every BO is resident, nothing is evicted. A
 * client keeps at most SD_INFLIGHT jobs queued (it waits for the oldest), so
 * submissions/s is what the whole path sustains, engine included.
 * ns_per_extra_bo = (t(bos) - t(1)) / (bos - 1), t = ns per submission.
 * Both list modes are measured (lists=spinlock|resv). Each figure is the
 * median of RUNS runs (one with --quick). Every fence must signal without
 * error, or the benchmark fails (exit 1).
 *
 * For profiling, BENCH_VM_BIND_ONLY=<path>/<lists> (e.g. vm_bind/resv)
 * runs only that path and list mode.
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
#include <sim/pt.h>
#include <sim/sched.h>
#include <sim/vm.h>

#include "harness.h"
#include "submit_driver.h"

#define PAGE SIM_PAGE_SIZE
#define BATCH_VA 0x100000ull
#define DATA_VA 0x10000000ull
#define MAX_CLIENTS 4u

enum path { PATH_RAW, PATH_EXTERNAL, PATH_LOCAL };

static const char *const path_names[] = { "raw", "vm_bind", "vm_bind_local" };

struct client {
	struct sim_device *dev;
	struct sim_vm *vm;
	struct sim_context *ctx;
	struct sim_engine *engine;
	struct sim_bo *batch;
	struct sim_bo **bos;
	unsigned int nbos;
	enum path path;
};

static unsigned int g_failures;

#define FAIL(...)                                                      \
	do {                                                           \
		fprintf(stderr, "bench_vm_bind: FAIL: " __VA_ARGS__); \
		fputc('\n', stderr);                                   \
		__atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);  \
	} while (0)

static int client_init(struct client *c, struct sim_device *dev, unsigned int idx,
		       enum path path, unsigned int nbos, uint32_t vm_flags)
{
	uint32_t words[4];
	struct sim_batch b;
	int ret;

	memset(c, 0, sizeof(*c));
	c->dev = dev;
	c->path = path;
	c->nbos = nbos;
	c->engine = sim_device_engine(dev, idx % sim_device_num_engines(dev));
	ret = sim_vm_create(dev, NULL, vm_flags, &c->vm);
	if (!ret)
		ret = sim_context_create(dev, &c->ctx);
	if (!ret)
		ret = sim_vm_bo_create(c->vm, PAGE, SIM_PL_MASK_SYSTEM, SIM_PL_SYSTEM, &c->batch);
	if (ret)
		return ret;
	struct sim_vm_bind map = {
		.op = SIM_VM_BIND_OP_MAP, .va = BATCH_VA, .range = PAGE, .bo = c->batch,
	};
	ret = sim_vm_bind(c->vm, &map, NULL);
	if (ret)
		return ret;
	sim_batch_init(&b, words, 4);
	sim_batch_end(&b);
	ret = sim_pt_write(sim_vm_pt(c->vm), BATCH_VA, words, sim_batch_bytes(&b));
	if (ret)
		return ret;

	c->bos = calloc(nbos, sizeof(*c->bos));
	if (!c->bos)
		return -ENOMEM;
	for (unsigned int i = 0; i < nbos && path != PATH_RAW; i++) {
		struct sim_op_ctx op = { 0 };

		ret = path == PATH_LOCAL ?
			sim_vm_bo_create(c->vm, PAGE, SIM_PL_MASK_ALL, SIM_PL_NONE, &c->bos[i]) :
			sim_bo_create(dev, PAGE, SIM_PL_MASK_ALL, SIM_PL_NONE, NULL, &c->bos[i]);
		if (ret)
			return ret;
		/* Resident in VRAM before it is bound: nothing to revalidate. */
		ret = dma_resv_lock(c->bos[i]->base.resv, NULL);
		if (ret)
			return ret;
		ret = sim_bo_validate(c->bos[i], SIM_PL_MASK_VRAM, &op);
		dma_resv_unlock(c->bos[i]->base.resv);
		sim_op_ctx_fini(&op);
		if (ret)
			return ret;
		map.va = DATA_VA + (uint64_t)i * PAGE;
		map.bo = c->bos[i];
		ret = sim_vm_bind(c->vm, &map, NULL);
		if (ret)
			return ret;
	}
	return 0;
}

static void client_fini(struct client *c)
{
	/* Local BOs go before their VM (sim_vm_destroy() waits for jobs). */
	for (unsigned int i = 0; i < c->nbos && c->bos; i++)
		sim_bo_put(c->bos[i]);
	free(c->bos);
	sim_bo_put(c->batch);
	sim_vm_destroy(c->vm);
	sim_context_put(c->ctx);
}

static int submit(void *client, struct dma_fence **fence)
{
	struct client *c = client;
	struct sim_vm_exec args = {
		.engine = c->engine, .ctx = c->ctx, .batch_va = BATCH_VA, .batch_len = PAGE,
	};
	struct sim_job *job;
	int ret;

	if (c->path != PATH_RAW)
		return sim_vm_exec(c->vm, &args, fence);
	ret = sim_job_create(c->engine, c->ctx, sim_vm_pt(c->vm), BATCH_VA, PAGE, &job);
	if (!ret)
		*fence = sim_job_submit(job);
	return ret;
}

/* One scenario: submissions per second, all clients together. */
static double run_scenario(enum path path, unsigned int clients, unsigned int nbos,
			   uint32_t vm_flags, unsigned int ms)
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
	struct sim_device *dev;
	double rate = 0, cpu_ns;
	int ret;

	bench_set_phase(path_names[path]);
	memset(cl, 0, sizeof(cl));
	if (sim_device_create(&cfg, &dev)) {
		FAIL("device");
		return 0;
	}
	for (unsigned int i = 0; i < clients; i++) {
		ret = client_init(&cl[i], dev, i, path, nbos, vm_flags);
		if (ret) {
			FAIL("client set-up: %d", ret);
			goto out;
		}
	}
	rate = sd_run_clients(&run, &cpu_ns);
out:
	for (unsigned int i = 0; i < clients; i++)
		if (cl[i].vm)
			client_fini(&cl[i]);
	sim_device_destroy(dev);
	return rate;
}

static void report(enum path path, const char *lists, unsigned int clients, unsigned int bos,
		   double rate, double ns_one)
{
	sd_report(path_names[path], lists, clients, bos, rate, ns_one);
}

#define RUNS 5

/* Median of RUNS runs of a scenario (the machine is shared: one run can be
 * off by a factor). */
static double measure(enum path path, unsigned int clients, unsigned int nbos,
		      uint32_t vm_flags, unsigned int ms, unsigned int runs)
{
	double rates[RUNS];

	for (unsigned int r = 0; r < runs; r++)
		rates[r] = run_scenario(path, clients, nbos, vm_flags, ms);
	return bench_median(rates, runs);
}

static bool selected(enum path path, const char *lists)
{
	const char *only = getenv("BENCH_VM_BIND_ONLY");
	char name[64];

	if (!only || !*only)
		return true;
	snprintf(name, sizeof(name), "%s/%s", path_names[path], lists);
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

	if (selected(PATH_RAW, "none"))
		report(PATH_RAW, "none", 1, 1, measure(PATH_RAW, 1, 1, 0, ms, runs), 0);
	for (uint32_t mode = 0; mode <= SIM_VM_RESV_PROTECTED; mode++) {
		const char *lists = mode ? "resv" : "spinlock";

		for (enum path path = PATH_EXTERNAL; path <= PATH_LOCAL; path++) {
			double ns_one = 0;

			if (!selected(path, lists))
				continue;
			for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
				double rate = measure(path, 1, sizes[i], mode, ms, runs);

				if (i == 0)
					ns_one = rate > 0 ? 1e9 / rate : 0;
				report(path, lists, 1, sizes[i], rate, ns_one);
			}
			for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++)
				report(path, lists, threads[i], 1,
				       measure(path, threads[i], 1, mode, ms, runs), 0);
		}
	}
	bench_watchdog_arm(0);
	bench_idle_thread_stop();
	return g_failures || sd_failures ? 1 : 0;
}
