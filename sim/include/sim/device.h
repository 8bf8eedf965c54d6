/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * &struct sim_device is the simulated GPU: a VRAM region of real bytes with
 * a range allocator (<sim/range.h>), buffer objects that live in VRAM or
 * system memory and migrate between them (<sim/bo.h>), GPU page tables
 * (<sim/pt.h>), engines that execute batches of a small command set
 * (<sim/batch.h>) under a scheduler with fence timelines, timeouts, resets
 * and banning (<sim/sched.h>). It is a client of libresv's public API only:
 * its buffer objects embed &struct drm_gem_object, its jobs are
 * &struct dma_fence, its eviction takes &struct dma_resv locks with the
 * caller's ww ticket.
 *
 * A device and one job::
 *
 *	struct sim_device_config cfg = { .vram_size = 16 << 20 };
 *	struct sim_device *dev;
 *
 *	if (sim_device_create(&cfg, &dev))
 *		return;
 *	// ... create BOs, a page table, a context; build a batch; submit a
 *	// job on sim_device_engine(dev, 0); wait for its fence ...
 *	sim_device_destroy(dev);        // cancels what is still queued
 *
 * Locking inside the device, outermost first: a BO's reservation lock →
 * the GPU memory lock (page tables and BO backing storage; held for read by
 * engines while they touch memory) → the LRU lock and the VRAM allocator
 * lock. Fence callbacks take an engine's queue lock; nothing is ever waited
 * for or allocated under the GPU memory lock, the LRU lock or a queue lock.
 */
#ifndef SIM_DEVICE_H
#define SIM_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sim_device;
struct sim_engine;

/** SIM_PAGE_SIZE - the GPU page size: BO sizes and GPU mappings are multiples */
#define SIM_PAGE_SIZE 4096u

/** SIM_MAX_ENGINES - the most user engines a device can have */
#define SIM_MAX_ENGINES 16u

/** SIM_BAN_NEVER - &sim_device_config.ban_threshold that never bans */
#define SIM_BAN_NEVER UINT32_MAX

/**
 * struct sim_device_config - how to build a device; zero fields take the
 * default
 * @vram_size: VRAM bytes, a multiple of SIM_PAGE_SIZE (default 64 MiB;
 *	at most 8 TiB)
 * @num_engines: user engines, 1 .. SIM_MAX_ENGINES (default 2); a separate
 *	migration engine is always added
 * @job_timeout_ns: a job running longer is killed with -ETIMEDOUT and its
 *	engine reset (default 500 ms)
 * @ban_threshold: a context is banned once this many of its jobs timed out
 *	(default 3; SIM_BAN_NEVER never bans)
 * @max_batch_bytes: the largest batch a job may name, a multiple of 4
 *	(default 64 KiB)
 */
struct sim_device_config {
	uint64_t vram_size;
	unsigned int num_engines;
	int64_t job_timeout_ns;
	uint32_t ban_threshold;
	uint32_t max_batch_bytes;
};

/**
 * struct sim_device_stats - counters of a device, read with
 * sim_device_get_stats()
 * @migrations: BO moves started (every placement change, evictions included)
 * @evictions: BOs moved out of VRAM to make room (by sim_evict_for(),
 *	validation or the shrinker)
 * @shrinker_evictions: the part of @evictions done by sim_shrink()
 * @faults: jobs that failed with -EFAULT (unmapped or non-resident address)
 * @resets: engine resets after a job timeout
 * @bans: contexts banned
 * @jobs: jobs pushed to engines (user and migration jobs)
 * @jobs_completed: jobs whose fence signalled without error
 * @jobs_failed: jobs whose fence signalled with an error (faults, timeouts,
 *	invalid batches, propagated dependency errors, bans, cancellation)
 * @vram_size: VRAM bytes
 * @vram_used: VRAM bytes allocated to BOs (including ranges that wait for a
 *	move to finish before they are freed)
 * @bo_count: live BOs
 */
struct sim_device_stats {
	uint64_t migrations;
	uint64_t evictions;
	uint64_t shrinker_evictions;
	uint64_t faults;
	uint64_t resets;
	uint64_t bans;
	uint64_t jobs;
	uint64_t jobs_completed;
	uint64_t jobs_failed;
	uint64_t vram_size;
	uint64_t vram_used;
	uint64_t bo_count;
};

/**
 * sim_device_create() - build a device and start its engines
 * @cfg: the configuration, or NULL for every default
 * @out: set to the device on success
 *
 * Allocates the VRAM (zero-filled) and one worker thread per engine plus
 * the migration engine.
 *
 * Context: any thread; allocates.
 * Return: 0; -EINVAL when a field of @cfg is out of range (@out NULL,
 * @vram_size not a page multiple or too large, @num_engines above
 * SIM_MAX_ENGINES, a negative timeout, @max_batch_bytes not a multiple of
 * 4); -ENOMEM; -EAGAIN when a worker thread could not be started. On error
 * nothing is left allocated.
 */
int sim_device_create(const struct sim_device_config *cfg, struct sim_device **out);

/**
 * sim_device_destroy() - stop the engines and free the device
 * @dev: the device, or NULL
 *
 * Cancels everything still on the engines: a running job stops at its next
 * command (a HANG, DELAY or WAIT_VALUE at once), and every job not finished
 * gets -ECANCELED on its fence, in seqno order per engine. Fences stay
 * valid for whoever holds references. Every BO, page table and context
 * must have been released before: if some are still alive, they are
 * reported on stderr and the device stays allocated (stopped: no job runs
 * any more) so they remain valid; calling sim_device_destroy() again once
 * they are released frees it.
 *
 * Context: may sleep; not from an engine's fence callback.
 */
void sim_device_destroy(struct sim_device *dev);

/**
 * sim_device_get_stats() - read the device counters
 * @dev: the device
 * @stats: filled in (each counter read atomically; the set is not a
 *	snapshot)
 *
 * Context: any.
 */
void sim_device_get_stats(struct sim_device *dev, struct sim_device_stats *stats);

/**
 * sim_device_config_get() - the configuration in effect
 * @dev: the device
 * @cfg: filled in, defaults resolved
 *
 * Context: any.
 */
void sim_device_config_get(struct sim_device *dev, struct sim_device_config *cfg);

/**
 * sim_device_num_engines() - number of user engines
 * @dev: the device
 *
 * Context: any.
 * Return: &sim_device_config.num_engines as resolved.
 */
unsigned int sim_device_num_engines(struct sim_device *dev);

/**
 * sim_device_engine() - a user engine
 * @dev: the device
 * @idx: 0 .. sim_device_num_engines() - 1
 *
 * Context: any.
 * Return: the engine, or NULL when @idx is out of range.
 */
struct sim_engine *sim_device_engine(struct sim_device *dev, unsigned int idx);

/**
 * sim_device_migrate_engine() - the engine that runs BO moves
 * @dev: the device
 *
 * Its fences are the move fences BOs carry as DMA_RESV_USAGE_KERNEL. User
 * batches cannot be submitted to it.
 *
 * Context: any.
 * Return: the engine.
 */
struct sim_engine *sim_device_migrate_engine(struct sim_device *dev);

/**
 * sim_device_vram() - the host memory behind VRAM
 * @dev: the device
 * @size: if not NULL, set to the VRAM size in bytes
 *
 * A BO in VRAM keeps its bytes at this address plus its VRAM offset
 * (sim_bo_vram_offset()). For tests and debugging: the device itself only
 * touches it through BOs.
 *
 * Context: any.
 * Return: the base address.
 */
const void *sim_device_vram(struct sim_device *dev, uint64_t *size);

#ifdef __cplusplus
}
#endif

#endif /* SIM_DEVICE_H */
