/* SPDX-License-Identifier: MIT */
/* The measuring half of bench_execbuf and bench_vm_bind (see submit_driver.h). */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "harness.h"
#include "submit_driver.h"

unsigned int sd_failures;

#define FAIL(...)                                                       \
	do {                                                            \
		fprintf(stderr, "submit_driver: FAIL: " __VA_ARGS__);   \
		fputc('\n', stderr);                                    \
		__atomic_add_fetch(&sd_failures, 1, __ATOMIC_RELAXED);  \
	} while (0)

static int retire(struct dma_fence *fence)
{
	long left = dma_fence_wait_timeout(fence, false, 10ll * 1000 * 1000 * 1000);
	int status = dma_fence_get_status(fence);

	dma_fence_put(fence);
	if (left <= 0 || status != 1) {
		FAIL("a no-op job ended with %d (wait %ld)", status, left);
		return -1;
	}
	return 0;
}

/* CPU time of the calling thread: what a submission costs the submitter,
 * whatever else the (shared) machine runs. */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Submit until told to stop, at most SD_INFLIGHT queued. */
static void client_worker(struct bench_worker *w)
{
	const struct sd_run *run = w->arg;
	void *client = (char *)run->clients + (size_t)w->tid * run->client_size;
	struct dma_fence *ring[SD_INFLIGHT] = { 0 };
	uint64_t n = 0, cpu0 = thread_cpu_ns();

	while (!bench_worker_should_stop(w)) {
		struct dma_fence **slot = &ring[n % SD_INFLIGHT];
		int ret;

		if (*slot && retire(*slot))
			break;
		*slot = NULL;
		ret = run->submit(client, slot);
		if (ret) {
			FAIL("submission failed: %d", ret);
			break;
		}
		n++;
	}
	w->aux[0] = thread_cpu_ns() - cpu0;
	for (unsigned int i = 0; i < SD_INFLIGHT; i++)
		if (ring[i])
			retire(ring[i]);
	w->ops = n;
}

double sd_run_clients(const struct sd_run *run, double *cpu_ns)
{
	struct bench_worker workers[BENCH_MAX_THREADS];
	struct bench_threads_result res;
	double cpu = 0;

	*cpu_ns = 0;
	if (run->nclients > BENCH_MAX_THREADS) {
		FAIL("%u clients", run->nclients);
		return 0;
	}
	/* Warm-up: allocator, fence lists, engine threads. */
	if (bench_run_threads(run->nclients, run->ms / 5 + 1, client_worker, (void *)run,
			      run->salt, workers, &res) ||
	    bench_run_threads(run->nclients, run->ms, client_worker, (void *)run, run->salt + 100,
			      workers, &res)) {
		FAIL("threads");
		return 0;
	}
	if (!res.total_ops || res.seconds <= 0)
		return 0;
	for (unsigned int i = 0; i < run->nclients; i++)
		cpu += (double)workers[i].aux[0];
	*cpu_ns = cpu / (double)res.total_ops;
	return (double)res.total_ops / res.seconds;
}

void sd_report(const char *path, const char *lists, unsigned int clients, unsigned int bos,
	       double rate, double ns_one)
{
	struct bench_summary s;
	double ns = rate > 0 ? 1e9 / rate : 0;

	bench_summary_begin(&s, "execbuf");
	bench_summary_str(&s, "path", path);
	bench_summary_str(&s, "lists", lists);
	bench_summary_u64(&s, "clients", clients);
	bench_summary_u64(&s, "bos", bos);
	bench_summary_double(&s, "submits_per_s", rate, 0);
	bench_summary_double(&s, "ns_per_submit", ns, 1);
	bench_summary_double(&s, "ns_per_extra_bo", bos > 1 ? (ns - ns_one) / (bos - 1) : 0, 2);
	if (bench_summary_end(&s))
		sd_failures++;
}
