/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the file and execbuf suites (test_file.c, test_execbuf*.c):
 * a client file on a small device, BOs by handle, batches written with
 * pwrite, one-call submissions, and the "nothing left behind" checks.
 */
#ifndef TEST_EXECBUF_H
#define TEST_EXECBUF_H

#include <unistd.h>

#include <sim/execbuf.h>
#include <sim/file.h>

#include "sim_test.h"

/* GPU addresses the suites softpin at */
#define TX_BATCH_VA 0x100000ull
#define TX_DATA_VA 0x1000000ull

struct tx {
	struct sim_device *dev;
	struct sim_file *file;
	struct resv_mm *mm;	/* optional: destroyed after the file */
	uint64_t live_before;	/* st_live_bytes() before the device existed */
};

/* A device with @vram bytes (0: 16 MiB), @timeout_ns job timeout (0:
 * default), bans never; one file. */
void tx_init(struct tx *t, uint64_t vram, int64_t timeout_ns);
/* Destroy the file and the device; fail on leaked library memory. */
void tx_fini(struct tx *t);

/* sim_gem_create() that must succeed. */
uint32_t tx_bo(struct tx *t, uint64_t size, uint32_t placements);
/* A batch BO of @pages pages holding @b at offset 0. */
uint32_t tx_batch_bo(struct tx *t, const struct sim_batch *b, unsigned int pages);
/* pwrite / pread that must succeed. */
void tx_write(struct tx *t, uint32_t handle, uint64_t offset, const void *data, size_t len);
void tx_read(struct tx *t, uint32_t handle, uint64_t offset, void *data, size_t len);
uint32_t tx_read_dw(struct tx *t, uint32_t handle, uint64_t offset);

/* An object entry. */
struct sim_execbuf_object tx_obj(uint32_t handle, uint32_t flags, uint64_t offset);

/* sim_execbuf() with the last object as the batch, engine 0 and FENCE_OUT
 * added; returns its errno, *@fence set on success. */
int tx_exec(struct tx *t, struct sim_execbuf_object *objs, unsigned int count, uint32_t flags,
	    struct dma_fence **fence);
/* tx_exec() that must succeed; waits and returns the fence status. */
int tx_run(struct tx *t, struct sim_execbuf_object *objs, unsigned int count, uint32_t flags);

/* Every handle's reservation is free (trylock succeeds). */
void tx_assert_unlocked(struct tx *t, const uint32_t *handles, unsigned int n);
/* Fences of the BO's resv with usage <= @usage (locks it). */
unsigned int tx_fence_count(struct tx *t, uint32_t handle, enum dma_resv_usage usage);
/* References held on the BO behind @handle, excluding this lookup's. */
long tx_bo_refs(struct tx *t, uint32_t handle);

#endif /* TEST_EXECBUF_H */
