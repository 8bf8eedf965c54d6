/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the sim suites: a small device, BOs, hand-signalled
 * fences, a "GPU client" (page table + context + a batch BO with slots) that
 * submits batches, waits with a bound, and leak accounting.
 */
#ifndef SIM_TEST_H
#define SIM_TEST_H

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <resv/resv.h>

#include <sim/batch.h>
#include <sim/bo.h>
#include <sim/device.h>
#include <sim/pt.h>
#include <sim/range.h>
#include <sim/sched.h>

#define MS (1000L * 1000L)
#define PAGE SIM_PAGE_SIZE

/* GPU addresses the client uses */
#define ST_BATCH_VA 0x100000ull		/* ST_BATCH_SLOTS pages of batches */
#define ST_BATCH_SLOTS 64u
#define ST_DATA_VA 0x10000000ull	/* tests map their data BOs from here */

/* Bytes allocated through libresv's wrapper, after pending RCU frees. */
uint64_t st_live_bytes(void);

/* A device: @vram bytes, 2 engines, @timeout_ns job timeout, @ban threshold
 * (0: defaults). */
struct sim_device *st_device(uint64_t vram, int64_t timeout_ns, uint32_t ban);

struct sim_bo *st_bo(struct sim_device *dev, uint64_t size, uint32_t allowed,
		     enum sim_placement initial);
void st_lock(struct sim_bo *bo);
void st_unlock(struct sim_bo *bo);
/* Lock, validate into @placements (must succeed), unlock. */
void st_validate(struct sim_bo *bo, uint32_t placements);
/* Lock, wait for the BO's fences, read/write, unlock. */
void st_bo_fill_pattern(struct sim_bo *bo, uint32_t seed);
bool st_bo_check_pattern(struct sim_bo *bo, uint32_t seed);

/* Wait (bounded: 10 s, then the test fails) and return the status: 1 or
 * the error. */
int st_wait(struct dma_fence *fence);
/* Wait for every fence of a BO (BOOKKEEP), bounded. */
void st_wait_bo_idle(struct sim_bo *bo);

/* A fence signalled by hand; context shared by all of them. */
struct dma_fence *st_fence_new(void);
void st_fence_signal(struct dma_fence *fence, int error);

/* A client: page table, context, batch BO mapped at ST_BATCH_VA. */
struct st_gpu {
	struct sim_device *dev;
	struct sim_pt *pt;
	struct sim_context *ctx;
	struct sim_bo *batch_bo;
	unsigned int next_slot;
};

void st_gpu_init(struct st_gpu *g, struct sim_device *dev);
void st_gpu_fini(struct st_gpu *g);
/* Map @bo whole at @va (locks it). */
void st_gpu_map(struct st_gpu *g, struct sim_bo *bo, uint64_t va);
/* Write @b into the next batch slot; return its GPU address. */
uint64_t st_gpu_place(struct st_gpu *g, const struct sim_batch *b);
/* Create a job for @b on engine @engine_idx with @ctx (NULL: g->ctx),
 * dependencies @deps[0..@ndeps), submit it; returns its fence (a reference).
 * Any error fails the test. */
struct dma_fence *st_gpu_submit(struct st_gpu *g, unsigned int engine_idx,
				struct sim_context *ctx, const struct sim_batch *b,
				struct dma_fence **deps, unsigned int ndeps);
/* Submit and wait; returns the fence status. */
int st_gpu_run(struct st_gpu *g, const struct sim_batch *b);

/* Seeds for the concurrency tests: RESV_SEED or time-based; printed. */
uint64_t st_seed(void);
uint64_t st_rand(uint64_t *state);

/* evict_stress.c: the seeded multi-threaded eviction workload */
void test_evict_stress(void **state);

#endif /* SIM_TEST_H */
