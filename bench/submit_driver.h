/* SPDX-License-Identifier: MIT */
/*
 * The measuring half of the simulator's submission benchmarks (bench_execbuf,
 * bench_vm_bind): client threads that keep up to SD_INFLIGHT no-op batches
 * queued, retiring the oldest before each submission; a warm-up then a
 * measured run; the shared `SUMMARY bench=execbuf path=...` line. Each
 * benchmark supplies its clients and its submit call.
 */
#ifndef RESV_BENCH_SUBMIT_DRIVER_H
#define RESV_BENCH_SUBMIT_DRIVER_H

#include <stddef.h>

#include <resv/dma-fence.h>

/* Submissions a client keeps queued. */
#define SD_INFLIGHT 256u

/* Submit one batch; on success *fence is its out-fence (a reference). */
typedef int (*sd_submit_fn)(void *client, struct dma_fence **fence);

/**
 * struct sd_run - one scenario
 * @clients: client structs, @client_size bytes apart, one per thread
 * @client_size: sizeof() the benchmark's client struct
 * @nclients: threads, one per client
 * @submit: the benchmark's submission call
 * @ms: length of the measured run (the warm-up is a fifth of it)
 * @salt: distinguishes the scenario's seeds
 */
struct sd_run {
	void *clients;
	size_t client_size;
	unsigned int nclients;
	sd_submit_fn submit;
	unsigned int ms;
	unsigned int salt;
};

/*
 * Warm-up, then the measured run. Returns submissions per second of all
 * clients together (0 on failure, counted in sd_failures); *cpu_ns gets the
 * submitting threads' CPU time per submission, steadier than wall time on a
 * shared machine.
 */
double sd_run_clients(const struct sd_run *run, double *cpu_ns);

/*
 * The SUMMARY line both benchmarks print: ns_per_extra_bo relative to
 * @ns_one, the time per submission with one BO (0 for a single-BO line).
 */
void sd_report(const char *path, const char *lists, unsigned int clients, unsigned int bos,
	       double rate, double ns_one);

/* Failed checks (a job that did not signal cleanly, a submission error). */
extern unsigned int sd_failures;

#endif /* RESV_BENCH_SUBMIT_DRIVER_H */
