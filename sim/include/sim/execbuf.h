/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * The i915-style submission path: a client names the buffer objects a
 * batch uses by handle (<sim/file.h>), with flags saying how (written,
 * softpinned at a GPU address, needing VRAM), and sim_execbuf() makes them
 * resident, binds them, patches relocations, runs the batch on an engine
 * and returns its fence. It is written the way a kernel driver writes it,
 * on libresv's public API (docs/execbuf.md has the sequence diagram):
 *
 * 1. check the arguments and look the handles up, with nothing locked;
 * 2. snapshot the pages of userptr objects (resv_userptr_snapshot()), with
 *    no reservation held;
 * 3. lock every object with drm_exec (one fence slot each), validate each
 *    into an allowed placement, evicting other BOs with the exec's ww
 *    ticket, and bind each at its GPU address in the file's page table;
 *    an eviction victim that answers -EDEADLK becomes drm_exec's contended
 *    object, so drm_exec drops every lock and slow-locks it first;
 * 4. write relocations; when they "cannot be read under the locks"
 *    (SIM_EXECBUF_RELOC_FAULT models i915's faulting copy_from_user), drop
 *    every lock, copy them into a kernel buffer, and start over from 2;
 * 5. build the job: implicit dependencies from each object's resv (a
 *    writer waits for readers and writers, a reader for writers; moves
 *    always), the explicit in-fence;
 * 6. under the file's notifier lock (read), check every userptr snapshot;
 *    a stale one drops everything and retries from 2 (bounded);
 * 7. publish the job's fence in every object's resv (WRITE for written
 *    objects, READ otherwise, BOOKKEEP for SIM_EXEC_OBJECT_ASYNC ones),
 *    push the job, release the notifier lock, unlock everything.
 *
 * Submitting one batch that writes a value into a BO::
 *
 *	struct sim_execbuf_object objs[2] = {
 *		{ .handle = data, .flags = SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED,
 *		  .offset = 0x200000 },
 *		{ .handle = batch, .flags = SIM_EXEC_OBJECT_PINNED, .offset = 0x100000 },
 *	};
 *	struct sim_execbuf args = {
 *		.objects = objs, .count = 2, .batch_index = 1,
 *		.flags = SIM_EXECBUF_FENCE_OUT,
 *	};
 *	struct dma_fence *fence;
 *
 *	// the batch BO holds: STORE_DW 0x200000, 42; END
 *	ret = sim_execbuf(file, &args, &fence);
 *	if (!ret) {
 *		dma_fence_wait(fence, false);
 *		dma_fence_put(fence);
 *	}
 *
 * Errors and what is left behind. Bad arguments are refused before
 * anything is locked or changed. Errors found later (an allocation that
 * fails, -ENOSPC, -EINTR, a userptr that stays stale) unwind everything:
 * nothing stays locked, no reference is left over, no job was created
 * and no fence was published; only what memory management did on the way
 * stays done, as in TTM and i915 — BOs moved or evicted, objects bound at
 * their new GPU addresses — and relocations already written (they are
 * idempotent).
 */
#ifndef SIM_EXECBUF_H
#define SIM_EXECBUF_H

#include <stdint.h>

#include <resv/dma-fence.h>
#include <resv/drm_exec.h>

#include <sim/device.h>
#include <sim/file.h>
#include <sim/sched.h>

#ifdef __cplusplus
extern "C" {
#endif

/** SIM_EXEC_OBJECT_WRITE - the batch writes the object (implicit sync as a writer) */
#define SIM_EXEC_OBJECT_WRITE (1u << 0)
/**
 * SIM_EXEC_OBJECT_PINNED - softpin: bind the object at exactly
 * &sim_execbuf_object.offset (i915's EXEC_OBJECT_PINNED); without it the
 * object keeps its current GPU address, or gets one chosen by the kernel
 */
#define SIM_EXEC_OBJECT_PINNED (1u << 1)
/** SIM_EXEC_OBJECT_NEEDS_VRAM - the object must be in VRAM, not system memory */
#define SIM_EXEC_OBJECT_NEEDS_VRAM (1u << 2)
/**
 * SIM_EXEC_OBJECT_ASYNC - explicit synchronisation only (i915's
 * EXEC_OBJECT_ASYNC): the job waits for no implicit fence of the object
 * but its moves, and its fence goes in as DMA_RESV_USAGE_BOOKKEEP, so
 * implicit sync ignores it too while eviction and userptr invalidation
 * still wait for it
 */
#define SIM_EXEC_OBJECT_ASYNC (1u << 3)
/** SIM_EXEC_OBJECT_FLAGS - every valid object flag */
#define SIM_EXEC_OBJECT_FLAGS                                                 \
	(SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED | SIM_EXEC_OBJECT_NEEDS_VRAM | \
	 SIM_EXEC_OBJECT_ASYNC)

/** SIM_EXECBUF_FENCE_OUT - return the job's fence (i915's I915_EXEC_FENCE_OUT) */
#define SIM_EXECBUF_FENCE_OUT (1u << 0)
/**
 * SIM_EXECBUF_RELOC_FAULT - the relocation arrays cannot be read while
 * objects are locked (i915's copy_from_user under pagefault_disable()
 * failing because the pages are not resident): forces the relocation slow
 * path when relocations must be written
 */
#define SIM_EXECBUF_RELOC_FAULT (1u << 1)
/**
 * SIM_EXECBUF_CHECK_BATCH - parse the batch at submission (i915's command
 * parser): an invalid batch, or one without END inside its length, fails
 * the execbuf with -EINVAL instead of failing the job's fence
 */
#define SIM_EXECBUF_CHECK_BATCH (1u << 2)
/** SIM_EXECBUF_FLAGS - every valid execbuf flag */
#define SIM_EXECBUF_FLAGS \
	(SIM_EXECBUF_FENCE_OUT | SIM_EXECBUF_RELOC_FAULT | SIM_EXECBUF_CHECK_BATCH)

/** SIM_EXECBUF_MAX_OBJECTS - the most objects one execbuf may name */
#define SIM_EXECBUF_MAX_OBJECTS 65536u
/** SIM_EXECBUF_MAX_RELOCS - the most relocations one object may carry */
#define SIM_EXECBUF_MAX_RELOCS (1u << 20)
/**
 * SIM_EXECBUF_USERPTR_TRIES - how often one execbuf snapshots its userptrs
 * and locks everything before it gives up with -EAGAIN because an
 * invalidation came in every time
 */
#define SIM_EXECBUF_USERPTR_TRIES 16u
/**
 * SIM_EXEC_KERNEL_VA - GPU addresses from here up (the upper half of the
 * 48-bit space) are the kernel's to choose for objects that are not
 * softpinned; softpinned ranges must lie below it
 */
#define SIM_EXEC_KERNEL_VA (1ull << 47)

/**
 * struct sim_reloc - one relocation (i915's drm_i915_gem_relocation_entry)
 * @offset: byte in the object carrying the relocation where the address
 *	goes: 8 bytes, little-endian (low dword first, as batch commands take
 *	addresses); 4-byte aligned
 * @target_handle: the object whose GPU address is written; it must be in
 *	the same execbuf
 * @pad: zero (alignment)
 * @delta: added to the target's address
 * @presumed_offset: the target address the client assumed when it wrote
 *	the object; when it is right, the entry is skipped (the value is
 *	already there)
 */
struct sim_reloc {
	uint64_t offset;
	uint32_t target_handle;
	uint32_t pad;
	uint64_t delta;
	uint64_t presumed_offset;
};

/**
 * struct sim_execbuf_object - one object of an execbuf
 * @handle: its handle in the file
 * @flags: SIM_EXEC_OBJECT_*
 * @offset: in, with SIM_EXEC_OBJECT_PINNED: the GPU address to bind it at
 *	(page aligned, the whole object below SIM_EXEC_KERNEL_VA); out, on
 *	success: where it is bound
 * @relocation_count: entries at @relocs (not for userptr objects)
 * @relocs: the relocations to write into this object, in client memory
 */
struct sim_execbuf_object {
	uint32_t handle;
	uint32_t flags;
	uint64_t offset;
	uint32_t relocation_count;
	const struct sim_reloc *relocs;
};

/**
 * struct sim_execbuf - what to run (i915's drm_i915_gem_execbuffer2)
 * @objects: the objects, each handle at most once
 * @count: how many, 1 .. SIM_EXECBUF_MAX_OBJECTS
 * @batch_index: which object holds the batch
 * @batch_start_offset: where in it the batch starts, 4-byte aligned
 * @batch_len: bytes the batch may span, a multiple of 4 inside the object;
 *	0: to the end of the object, at most &sim_device_config.max_batch_bytes
 * @engine: user engine index, below sim_device_num_engines()
 * @ctx: the submitting context (its hangs count, it may be banned), or
 *	NULL for the file's default one
 * @in_fence: a fence the batch must also wait for, or NULL
 * @flags: SIM_EXECBUF_*
 */
struct sim_execbuf {
	struct sim_execbuf_object *objects;
	uint32_t count;
	uint32_t batch_index;
	uint32_t batch_start_offset;
	uint32_t batch_len;
	uint32_t engine;
	struct sim_context *ctx;
	struct dma_fence *in_fence;
	uint32_t flags;
};

/**
 * struct sim_execbuf_stats - what execbuf did, per file or per device
 * @submissions: execbufs that submitted a job
 * @failures: execbufs that returned an error
 * @backoffs: drm_exec restarts by &enum resv_exec_restart_reason
 *	(index RESV_EXEC_RESTART_NONE stays 0): contended locks (the
 *	objects' own, and eviction victims fed to drm_exec), injected ww
 *	back-offs
 * @evictions: BOs evicted from VRAM to make room for execbuf objects
 * @userptr_retries: times an execbuf dropped everything and snapshotted
 *	its userptrs again because an invalidation made them stale
 * @reloc_slow_paths: times relocations were copied with every lock dropped
 * @relocations: relocation entries written
 * @binds: objects bound (or rebound at a new address) in a file's page
 *	table
 * @rebinds: bindings refreshed after their object moved
 * @unbinds: bindings removed because a softpinned object needed the range
 */
struct sim_execbuf_stats {
	uint64_t submissions;
	uint64_t failures;
	uint64_t backoffs[RESV_EXEC_RESTART_NR];
	uint64_t evictions;
	uint64_t userptr_retries;
	uint64_t reloc_slow_paths;
	uint64_t relocations;
	uint64_t binds;
	uint64_t rebinds;
	uint64_t unbinds;
};

/**
 * sim_execbuf() - submit a batch with its objects
 * @file: the client's file
 * @args: the batch and its objects; each object's @offset is written back
 *	on success
 * @out_fence: with SIM_EXECBUF_FENCE_OUT, set on success to a new
 *	reference to the job's fence; ignored otherwise (may be NULL)
 *
 * See the overview for the steps. The job's fence signals when the batch
 * ran, with an error when it failed (see <sim/sched.h>: -EFAULT, -EINVAL,
 * -ETIMEDOUT, -EIO, a dependency's error).
 *
 * Context: may sleep (locks, eviction, relocation writes and waits for
 * moves, userptr snapshots), interruptibly; holds no reservation and no
 * notifier lock; allocates.
 * Return: 0; -EINVAL for bad arguments: NULL pointers, unknown flags, no
 * or too many objects (SIM_EXECBUF_MAX_OBJECTS), a handle named twice, a
 * bad batch index, start or length (outside the object, unaligned, beyond
 * max_batch_bytes), an engine out of range, a context of another device,
 * a softpin offset unaligned or reaching SIM_EXEC_KERNEL_VA, softpinned
 * ranges that overlap, too many relocations (SIM_EXECBUF_MAX_RELOCS), a
 * relocation outside its object or unaligned or with a non-zero pad,
 * relocations or NEEDS_VRAM on a userptr object, FENCE_OUT without
 * @out_fence, an invalid batch with
 * SIM_EXECBUF_CHECK_BATCH; -EFAULT for a NULL relocation array with a
 * non-zero count, or a userptr range that is not mapped; -ENOENT for a
 * handle (or relocation target) that is not open in @file or not in the
 * execbuf; -EIO when the context is banned; -ENOSPC when the objects
 * that need VRAM do not fit even after evicting everything else; -EAGAIN
 * when userptr pages were invalidated SIM_EXECBUF_USERPTR_TRIES times in a
 * row; -EINTR when interrupted (resv_thread_interrupt()); -ENOMEM.
 */
int sim_execbuf(struct sim_file *file, struct sim_execbuf *args, struct dma_fence **out_fence);

/**
 * sim_execbuf_file_stats() - the execbuf counters of a file
 * @file: the file
 * @stats: filled in (each counter read atomically; not a snapshot)
 *
 * Context: any.
 */
void sim_execbuf_file_stats(struct sim_file *file, struct sim_execbuf_stats *stats);

/**
 * sim_execbuf_device_stats() - the execbuf counters of every file of a
 * device, summed
 * @dev: the device
 * @stats: filled in (each counter read atomically; not a snapshot)
 *
 * Context: any.
 */
void sim_execbuf_device_stats(struct sim_device *dev, struct sim_execbuf_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* SIM_EXECBUF_H */
