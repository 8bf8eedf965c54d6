/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * Engines and their scheduler, in the role of the kernel's drm_sched. Each
 * engine has its own fence context (timeline) and a worker thread that runs
 * its jobs one at a time, in submission order, so fences signal in seqno
 * order. A job names a batch (its GPU virtual address and length in a page
 * table, <sim/pt.h>), the context that submits it, and the fences it must
 * wait for; its out-fence is a &struct dma_fence of the engine's timeline.
 *
 * The life of a job, as a driver's submission path writes it::
 *
 *	struct sim_job *job;
 *	struct dma_fence *fence;
 *	int ret;
 *
 *	ret = sim_job_create(engine, ctx, pt, batch_va, batch_len, &job);
 *	if (ret)                        // -EINVAL, -EIO (banned), -ENOMEM
 *		return ret;
 *	// with the BOs' reservation locks held:
 *	ret = sim_job_add_implicit_dependencies(job, &bo->base, true);
 *	if (!ret)
 *		ret = sim_job_add_dependency(job, in_fence);
 *	if (ret) {
 *		sim_job_free(job);      // before arm: everything undone
 *		return ret;
 *	}
 *	fence = dma_fence_get(sim_job_arm(job));   // cannot fail
 *	dma_resv_add_fence(bo->base.resv, fence, DMA_RESV_USAGE_WRITE);
 *	sim_job_push(job);              // the engine owns the job now
 *	// unlock the BOs; later: dma_fence_wait(fence, false) ...
 *	dma_fence_put(fence);
 *
 * Dependencies: a job runs once every dependency signalled. If one of them
 * signalled with an error, the job does not run and its fence carries that
 * error (the first failing dependency in the order they were added).
 *
 * Errors a job's fence can carry: -EFAULT (an access to an unmapped or
 * non-resident address), -EINVAL (an unknown opcode, a malformed command,
 * or a batch without END inside its length), -ETIMEDOUT (the job ran longer
 * than the device's job timeout: a HANG, an unsatisfied WAIT_VALUE, a long
 * DELAY; the engine is reset and goes on with the next job), -EIO (the
 * submitting context was banned before the job ran), -ECANCELED (the device
 * was destroyed first), or a dependency's error.
 *
 * Timeouts use -ETIMEDOUT, not the -ETIME that some kernel drivers put on
 * fences: libresv's errors are POSIX codes. Banning follows i915: once a
 * context is guilty of &sim_device_config.ban_threshold timeouts it is
 * banned; sim_job_create() refuses it with -EIO, and its jobs still queued
 * fail with -EIO instead of running.
 *
 * Arming assigns the seqno and puts the job in the engine's queue at once,
 * so concurrent submitters need no lock of their own to keep seqno order;
 * in exchange an armed job must be pushed promptly (as with drm_sched): the
 * engine does not pass it until then. Workers run jobs and signal their
 * fences inside dma_fence_begin_signalling() sections: they never take a
 * reservation lock, wait for a fence or allocate there.
 */
#ifndef SIM_SCHED_H
#define SIM_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include <resv/dma-fence.h>
#include <resv/dma-resv.h>
#include <resv/drm_gem.h>

#include <sim/device.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sim_context;
struct sim_job;
struct sim_pt;

/* ---- engines ------------------------------------------------------------- */

/**
 * sim_engine_name() - the engine's name, also its fences' timeline name
 * @engine: the engine
 *
 * Context: any.
 * Return: "rcs0", "rcs1", ... for user engines, "migrate" for the
 * migration engine (static strings).
 */
const char *sim_engine_name(struct sim_engine *engine);

/**
 * sim_engine_fence_context() - the engine's fence context
 * @engine: the engine
 *
 * Context: any.
 * Return: the &dma_fence.context of every job fence of @engine.
 */
uint64_t sim_engine_fence_context(struct sim_engine *engine);

/**
 * sim_engine_resets() - how often the engine was reset
 * @engine: the engine
 *
 * Context: any.
 * Return: the number of job timeouts on @engine so far.
 */
uint64_t sim_engine_resets(struct sim_engine *engine);

/* ---- contexts ------------------------------------------------------------- */

/**
 * sim_context_create() - a submission context (a client's GPU context)
 * @dev: the device
 * @out: set to the context (one reference)
 *
 * Jobs name the context that submitted them; timeouts make it guilty and
 * enough of them ban it.
 *
 * Context: any; allocates.
 * Return: 0; -EINVAL when @dev or @out is NULL; -ENOMEM.
 */
int sim_context_create(struct sim_device *dev, struct sim_context **out);

/**
 * sim_context_get() - take a reference
 * @ctx: the context
 *
 * Context: any; the caller already holds a reference.
 * Return: @ctx.
 */
struct sim_context *sim_context_get(struct sim_context *ctx);

/**
 * sim_context_put() - drop a reference
 * @ctx: the context, or NULL
 *
 * Queued jobs hold their own references.
 *
 * Context: any.
 */
void sim_context_put(struct sim_context *ctx);

/**
 * sim_context_id() - the context's id
 * @ctx: the context
 *
 * Context: any.
 * Return: a device-unique number, starting at 1.
 */
uint32_t sim_context_id(struct sim_context *ctx);

/**
 * sim_context_hangs() - how many of the context's jobs timed out
 * @ctx: the context
 *
 * Context: any.
 * Return: the count; the context is banned when it reaches the device's
 * ban threshold.
 */
uint32_t sim_context_hangs(struct sim_context *ctx);

/**
 * sim_context_is_banned() - is the context banned
 * @ctx: the context
 *
 * Context: any.
 * Return: true once banned (for good).
 */
bool sim_context_is_banned(struct sim_context *ctx);

/* ---- jobs --------------------------------------------------------------------- */

/**
 * sim_job_create() - prepare a batch job
 * @engine: a user engine (not the migration engine)
 * @ctx: the submitting context, of the same device
 * @pt: the page table the batch runs in, of the same device; the job takes
 *	a reference
 * @batch_va: GPU virtual address of the first command, 4-byte aligned
 * @batch_len: bytes the batch may span: a multiple of 4, 1 ..
 *	&sim_device_config.max_batch_bytes; the batch must END inside it
 * @out: set to the job
 *
 * Context: any; allocates.
 * Return: 0; -EINVAL for a NULL or foreign argument, the migration engine,
 * or a bad @batch_va / @batch_len; -EIO when @ctx is banned; -ENOMEM.
 * Nothing is allocated on error.
 */
int sim_job_create(struct sim_engine *engine, struct sim_context *ctx, struct sim_pt *pt,
		   uint64_t batch_va, uint32_t batch_len, struct sim_job **out);

/**
 * sim_job_add_dependency() - make the job wait for a fence
 * @job: an unarmed job
 * @fence: the fence (the job takes its own reference), or NULL (nothing
 *	done)
 *
 * A fence already signalled without error is not recorded. Of two fences
 * of one context only the later is kept, as drm_sched does.
 *
 * Context: any; may allocate.
 * Return: 0; -EINVAL when @job is armed; -ENOMEM (@job unchanged).
 */
int sim_job_add_dependency(struct sim_job *job, struct dma_fence *fence);

/**
 * sim_job_add_resv_dependencies() - wait for the fences of a reservation
 * @job: an unarmed job
 * @resv: the reservation object, locked by the caller
 * @usage: wait for every fence with usage <= @usage
 *
 * Context: @resv locked; may allocate.
 * Return: 0; -EINVAL when @job is armed; -ENOMEM (the fences added before
 * the failure stay added: drop the job).
 */
int sim_job_add_resv_dependencies(struct sim_job *job, struct dma_resv *resv,
				  enum dma_resv_usage usage);

/**
 * sim_job_add_implicit_dependencies() - implicit synchronisation with a BO
 * @job: an unarmed job
 * @obj: the GEM object the job accesses; its resv locked by the caller
 * @write: the job writes @obj
 *
 * sim_job_add_resv_dependencies() with dma_resv_usage_rw(@write): a write
 * waits for every reader and writer, a read for the writers (and kernel
 * moves, always).
 *
 * Context: @obj->resv locked; may allocate.
 * Return: as sim_job_add_resv_dependencies().
 */
int sim_job_add_implicit_dependencies(struct sim_job *job, struct drm_gem_object *obj,
				      bool write);

/**
 * sim_job_arm() - give the job its fence and its place in the queue
 * @job: an unarmed job
 *
 * Assigns the next seqno of the engine's timeline and initialises the
 * job's fence. The job must then be pushed with sim_job_push(); it can no
 * longer be freed, nor get dependencies.
 *
 * Context: any; does not sleep, cannot fail.
 * Return: the job's fence. The queue owns its reference: take your own with
 * dma_fence_get() to use it after sim_job_push().
 */
struct dma_fence *sim_job_arm(struct sim_job *job);

/**
 * sim_job_fence() - the job's fence
 * @job: an armed job
 *
 * Context: the job's submitter, before sim_job_push().
 * Return: the fence (no new reference), or NULL when @job is not armed.
 */
struct dma_fence *sim_job_fence(struct sim_job *job);

/**
 * sim_job_push() - hand an armed job to its engine
 * @job: an armed job; the caller must not touch it afterwards (only the
 *	fence, through its own reference)
 *
 * Registers callbacks on the dependencies; the job runs once all of them
 * signalled and every earlier job of the engine finished.
 *
 * Context: any; does not sleep (fence locks only).
 */
void sim_job_push(struct sim_job *job);

/**
 * sim_job_submit() - arm and push in one step
 * @job: an unarmed job
 *
 * Context: any.
 * Return: a new reference to the job's fence (the caller puts it).
 */
struct dma_fence *sim_job_submit(struct sim_job *job);

/**
 * sim_job_free() - drop a job that was not armed
 * @job: an unarmed job, or NULL
 *
 * Drops its dependencies and references; nothing else happened.
 *
 * Context: any.
 */
void sim_job_free(struct sim_job *job);

#ifdef __cplusplus
}
#endif

#endif /* SIM_SCHED_H */
