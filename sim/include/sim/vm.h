/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * Xe-style VM_BIND and exec: a &struct sim_vm is one GPU address space of a
 * client, tracked by a &struct drm_gpuvm (<resv/drm_gpuvm.h>) and backed by
 * a &struct sim_pt page table. Buffer objects are bound into it at GPU
 * virtual addresses with sim_vm_bind(); batches run in it with
 * sim_vm_exec(), which needs no object list: the VM knows every object it
 * maps.
 *
 * Two kinds of objects:
 *
 * - *local* BOs share the VM's reservation object (create them with
 *   sim_vm_bo_create(), or with sim_bo_create() passing sim_vm_resv()):
 *   locking the VM locks them all, so an exec costs one lock whatever their
 *   number. They must be released before the VM is destroyed (they use its
 *   reservation object);
 * - *external* BOs (any other) have their own resv; the VM keeps them on
 *   its extobj list and an exec locks each of them.
 *
 * A bind and an exec::
 *
 *	struct sim_vm *vm;
 *	struct sim_bo *bo;
 *	struct dma_fence *fence;
 *
 *	sim_vm_create(dev, NULL, 0, &vm);
 *	sim_vm_bo_create(vm, 4 * SIM_PAGE_SIZE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM, &bo);
 *	struct sim_vm_bind map = {
 *		.op = SIM_VM_BIND_OP_MAP, .va = 0x100000,
 *		.range = 4 * SIM_PAGE_SIZE, .bo = bo,
 *	};
 *	sim_vm_bind(vm, &map, NULL);            // synchronous: mapped on return
 *	// ... write a batch into bo (sim_pt_write(sim_vm_pt(vm), ...)) ...
 *	struct sim_vm_exec exec = {
 *		.engine = sim_device_engine(dev, 0), .ctx = ctx,
 *		.batch_va = 0x100000, .batch_len = SIM_PAGE_SIZE,
 *	};
 *	sim_vm_exec(vm, &exec, &fence);         // revalidates what was evicted
 *	dma_fence_wait(fence, false);
 *	dma_fence_put(fence);
 *
 * Binds follow drm_gpuvm's split/merge semantics: mapping over existing
 * mappings replaces the overlapped parts (the mappings sticking out are
 * split, REMAP; those inside are removed, UNMAP); unmapping a range that
 * cuts a mapping keeps its outer parts. Adjacent mappings are never merged.
 * An asynchronous bind (%SIM_VM_BIND_FLAG_ASYNC) updates the VA tree at
 * once but the page tables only once its in-fences signalled, on the VM's
 * bind engine (in submission order, one timeline per VM); its out-fence
 * signals when the page tables are updated. Execs do not wait for binds by
 * themselves (as in xe): pass the bind's out-fence as an in-fence.
 *
 * Eviction: when a BO of the VM moves (another client's VRAM pressure,
 * sim_shrink()), the device marks its vm_bos evicted
 * (drm_gpuvm_bo_gem_evict()): local ones go on the VM's evict list, and in
 * %SIM_VM_RESV_PROTECTED mode external ones are only flagged and join the
 * list when the next exec locks them. The next exec validates each of them
 * (VRAM preferred, with eviction through its ww ticket), rebinds their page
 * table entries, and only then runs the batch.
 *
 * Userptr mappings (%SIM_VM_BIND_OP_MAP_USERPTR) map pages of a
 * &struct resv_mm: an exec snapshots their pages before it locks anything,
 * checks under the VM's notifier lock that no invalidation came in since,
 * and restarts when one did (-EAGAIN inside; counted in
 * &sim_vm_stats.userptr_retries).
 *
 * Locks, outermost first: the VM lock (an rwlock, as xe's vm->lock: write
 * for binds and userptr repins, read for execs) → userptr snapshots → the
 * ww ticket: VM resv → external BOs' resvs → the VM's notifier lock (read:
 * the exec's final userptr check and the fence publication) → drm_gpuvm's
 * list spinlocks → the device's GPU memory lock. docs/vm_bind.md has the
 * whole flow.
 */
#ifndef SIM_VM_H
#define SIM_VM_H

#include <stdbool.h>
#include <stdint.h>

#include <resv/dma-fence.h>
#include <resv/dma-resv.h>
#include <resv/drm_exec.h>
#include <resv/drm_gpuvm.h>
#include <resv/mmu_notifier.h>

#include <sim/bo.h>
#include <sim/device.h>
#include <sim/pt.h>
#include <sim/sched.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sim_file;
struct sim_vm;

/**
 * SIM_VM_RESV_PROTECTED - sim_vm_create() flag: the VM's extobj and evict
 * lists are protected by its reservation object (%DRM_GPUVM_RESV_PROTECTED,
 * xe's choice) instead of drm_gpuvm's internal spinlocks (the default)
 */
#define SIM_VM_RESV_PROTECTED (1u << 0)

/** SIM_VM_VA_END - end of the VA space: the page table's 48-bit range */
#define SIM_VM_VA_END (1ull << SIM_VA_BITS)

/**
 * SIM_VM_KERNEL_SIZE - bytes at GPU address 0 reserved for the kernel
 * (drm_gpuvm's kernel node): binds touching them get -EINVAL, and a null
 * GPU pointer always faults
 */
#define SIM_VM_KERNEL_SIZE (64ull * 1024)

/* ---- the VM ---------------------------------------------------------------- */

/**
 * sim_vm_create() - create a GPU address space
 * @dev: the device
 * @file: the client file whose GEM handles binds may name, or NULL (binds
 *	then pass BO pointers); it must outlive the VM. Userptr mappings of
 *	the VM use its notifier lock, so that userptr BOs of the file can be
 *	bound too.
 * @flags: 0 or %SIM_VM_RESV_PROTECTED
 * @out: set to the VM
 *
 * Context: any; allocates.
 * Return: 0; -EINVAL when @dev or @out is NULL, @file belongs to another
 * device or @flags has unknown bits; -ENOMEM (nothing allocated).
 */
int sim_vm_create(struct sim_device *dev, struct sim_file *file, uint32_t flags,
		  struct sim_vm **out);

/**
 * sim_vm_destroy() - close the VM and free it
 * @vm: the VM, or NULL
 *
 * Stops the bind engine (an asynchronous bind still waiting for its
 * in-fences is cancelled: its out-fence gets -ECANCELED), removes every
 * mapping, then frees the VM. Jobs already submitted keep their own
 * reference on the page table and finish normally.
 *
 * Context: may sleep; no bind or exec of @vm may run or start; every local
 * BO must have been released.
 */
void sim_vm_destroy(struct sim_vm *vm);

/**
 * sim_vm_resv() - the VM's reservation object
 * @vm: the VM
 *
 * Pass it to sim_bo_create() to make a local BO.
 *
 * Context: any.
 * Return: the reservation object.
 */
struct dma_resv *sim_vm_resv(struct sim_vm *vm);

/**
 * sim_vm_bo_create() - create a BO local to the VM
 * @vm: the VM
 * @size: as sim_bo_create()
 * @allowed: as sim_bo_create()
 * @initial: as sim_bo_create()
 * @out: set to the BO (one reference)
 *
 * sim_bo_create() sharing sim_vm_resv(@vm). The BO must be released before
 * the VM is destroyed.
 *
 * Context: any; allocates.
 * Return: as sim_bo_create().
 */
int sim_vm_bo_create(struct sim_vm *vm, uint64_t size, uint32_t allowed,
		     enum sim_placement initial, struct sim_bo **out);

/**
 * sim_vm_pt() - the VM's page table
 * @vm: the VM
 *
 * For tests and debugging (sim_pt_lookup(), sim_pt_read()); binds and execs
 * keep it up to date.
 *
 * Context: any.
 * Return: the page table (no new reference).
 */
struct sim_pt *sim_vm_pt(struct sim_vm *vm);

/**
 * sim_vm_gpuvm() - the VM's &struct drm_gpuvm
 * @vm: the VM
 *
 * For tests and debugging: the VA tree and the extobj and evict lists.
 * Read it under the rules of <resv/drm_gpuvm.h> (the VM's resv held).
 *
 * Context: any.
 * Return: the drm_gpuvm (no new reference).
 */
struct drm_gpuvm *sim_vm_gpuvm(struct sim_vm *vm);

/**
 * struct sim_vm_stats - counters of a VM
 * @binds: map requests applied
 * @unbinds: unmap requests applied
 * @async_binds: of @binds and @unbinds, those queued on the bind engine
 * @map_ops: drm_gpuvm MAP steps applied
 * @remap_ops: REMAP steps applied (a mapping split or trimmed)
 * @unmap_ops: UNMAP steps applied (a mapping removed whole)
 * @execs: batches submitted
 * @revalidations: evicted objects an exec validated and rebound
 * @userptr_repins: userptr page snapshots an exec took again
 * @userptr_retries: execs restarted because a userptr was invalidated
 *	after its snapshot (also counted in @backoffs[RESV_EXEC_RESTART_USERPTR_STALE])
 * @backoffs: restarts of the locking loops of execs and binds, by
 *	&enum resv_exec_restart_reason
 */
struct sim_vm_stats {
	uint64_t binds;
	uint64_t unbinds;
	uint64_t async_binds;
	uint64_t map_ops;
	uint64_t remap_ops;
	uint64_t unmap_ops;
	uint64_t execs;
	uint64_t revalidations;
	uint64_t userptr_repins;
	uint64_t userptr_retries;
	uint64_t backoffs[RESV_EXEC_RESTART_NR];
};

/**
 * sim_vm_get_stats() - read the VM's counters
 * @vm: the VM
 * @stats: filled in (each counter read atomically, not as a snapshot)
 *
 * Context: any.
 */
void sim_vm_get_stats(struct sim_vm *vm, struct sim_vm_stats *stats);

/* ---- VM_BIND ------------------------------------------------------------------ */

/**
 * enum sim_vm_bind_op - what a &struct sim_vm_bind does
 * @SIM_VM_BIND_OP_MAP: map [@va, @va + @range) to @bo at @bo_offset
 * @SIM_VM_BIND_OP_UNMAP: unmap [@va, @va + @range)
 * @SIM_VM_BIND_OP_MAP_USERPTR: map [@va, @va + @range) to the user pages
 *	at @userptr of @mm
 */
enum sim_vm_bind_op {
	SIM_VM_BIND_OP_MAP = 1,
	SIM_VM_BIND_OP_UNMAP,
	SIM_VM_BIND_OP_MAP_USERPTR,
};

/** SIM_VM_BIND_FLAG_READONLY - map read-only: GPU writes fault */
#define SIM_VM_BIND_FLAG_READONLY (1u << 0)
/**
 * SIM_VM_BIND_FLAG_ASYNC - return at once; update the page tables once the
 * in-fences signalled, on the VM's bind engine
 */
#define SIM_VM_BIND_FLAG_ASYNC (1u << 1)

/**
 * struct sim_vm_bind - one VM_BIND request
 * @op: &enum sim_vm_bind_op
 * @flags: SIM_VM_BIND_FLAG_*
 * @va: GPU virtual address, page aligned
 * @range: bytes, a non-zero page multiple
 * @handle: %SIM_VM_BIND_OP_MAP: a GEM handle of the VM's file, or 0 to
 *	pass @bo instead
 * @bo: %SIM_VM_BIND_OP_MAP without @handle: the BO, of the VM's device
 * @bo_offset: %SIM_VM_BIND_OP_MAP: first byte of @bo, page aligned
 * @mm: %SIM_VM_BIND_OP_MAP_USERPTR: the address space
 * @userptr: %SIM_VM_BIND_OP_MAP_USERPTR: first byte, page aligned
 * @in_fences: fences the page-table update must wait for (NULL entries
 *	are refused)
 * @num_in_fences: how many
 */
struct sim_vm_bind {
	uint32_t op;
	uint32_t flags;
	uint64_t va;
	uint64_t range;
	uint32_t handle;
	struct sim_bo *bo;
	uint64_t bo_offset;
	struct resv_mm *mm;
	uint64_t userptr;
	struct dma_fence **in_fences;
	unsigned int num_in_fences;
};

/**
 * sim_vm_bind() - map or unmap a range of the VM
 * @vm: the VM
 * @args: the request
 * @out_fence: if not NULL, set to a fence (a reference) that signals once
 *	the page tables show the change (already signalled for a synchronous
 *	bind)
 *
 * Locks the VM (write) and, in one drm_exec transaction, its resv, @bo and
 * the objects of the mappings the request replaces; computes drm_gpuvm's
 * split/merge steps; allocates everything they need; then applies them to
 * the VA tree and (at once, or from the bind engine) to the page table. A
 * synchronous bind behind pending asynchronous ones waits for them (binds
 * of a VM apply in order); it waits for its in-fences too. An asynchronous
 * bind's fence is added to the VM's resv (and an external @bo's) as
 * DMA_RESV_USAGE_BOOKKEEP, so moves and evictions wait for it.
 *
 * Context: may sleep; allocates; no lock of the VM held by the caller.
 * Return: 0; -EINVAL for a bad argument: unknown @op or @flags, a NULL
 * in-fence, @va or @range unaligned, @range 0, the range overflowing or
 * leaving the VA space, touching the kernel's reserved range, @bo NULL or
 * of another device, @bo_offset unaligned or @bo_offset + @range beyond
 * @bo, a @handle on a VM without file, a userptr BO with another notifier
 * lock than the VM's, a NULL @mm or an unaligned @userptr; -ENOENT when
 * @handle is not open in the VM's file; -EOVERFLOW when a userptr range
 * wraps around; -EINTR when
 * interrupted (resv_thread_interrupt()) while locking or waiting; -ENOMEM;
 * -EAGAIN when the bind engine's thread could not be started. On error
 * nothing changed: no mapping, no fence, no lock held.
 */
int sim_vm_bind(struct sim_vm *vm, const struct sim_vm_bind *args, struct dma_fence **out_fence);

/* ---- exec ------------------------------------------------------------------------ */

/**
 * SIM_VM_EXEC_SKIP_REVALIDATE - sim_vm_exec() flag, for tests: do not
 * revalidate evicted objects, as a buggy driver would (their batch faults)
 */
#define SIM_VM_EXEC_SKIP_REVALIDATE (1u << 0)

/** SIM_VM_EXEC_MAX_RETRIES - userptr restarts before sim_vm_exec() gives up */
#define SIM_VM_EXEC_MAX_RETRIES 64

/**
 * struct sim_vm_exec - one exec request
 * @engine: a user engine of the VM's device
 * @ctx: the submitting context
 * @batch_va: GPU address of the batch in the VM
 * @batch_len: bytes the batch may span (see sim_job_create())
 * @in_fences: explicit dependencies (e.g. bind out-fences); NULL entries
 *	are refused
 * @num_in_fences: how many
 * @flags: 0 or %SIM_VM_EXEC_SKIP_REVALIDATE
 * @after_snapshot: if not NULL, called on every try once the userptrs are
 *	snapshotted, before anything is locked but the VM lock (read): for
 *	tests and demos that bring an invalidation in at that point on purpose
 * @after_snapshot_priv: passed to @after_snapshot
 */
struct sim_vm_exec {
	struct sim_engine *engine;
	struct sim_context *ctx;
	uint64_t batch_va;
	uint32_t batch_len;
	struct dma_fence **in_fences;
	unsigned int num_in_fences;
	uint32_t flags;
	void (*after_snapshot)(struct sim_vm *vm, void *priv);
	void *after_snapshot_priv;
};

/**
 * sim_vm_exec() - run a batch in the VM
 * @vm: the VM
 * @args: the request
 * @out_fence: if not NULL, set to the job's fence (a reference)
 *
 * The xe flow: VM lock (read; write while userptrs are repinned); userptr
 * snapshots; drm_gpuvm_exec_lock() of the VM resv and every external BO
 * with one fence slot, whose extra step revalidates evicted BOs (with the
 * exec's ticket: eviction contention restarts the transaction) and rebinds
 * them (a rebind job waits for the jobs still using the old storage); the
 * job waits for the KERNEL fences of the VM's resv (moves of local BOs,
 * rebinds) and for @in_fences; under the notifier lock (read) the userptr check,
 * then arm, drm_gpuvm_resv_add_fence() as DMA_RESV_USAGE_BOOKKEEP on the
 * VM resv and every external BO, push; unlock all.
 *
 * Context: may sleep; allocates; no lock of the VM held by the caller.
 * Return: 0; -EINVAL for a bad argument (NULL @args, a NULL in-fence, a
 * bad engine, context or batch as sim_job_create()); -EIO when @ctx is
 * banned; -EINTR when interrupted while locking; -ENOMEM; -ENOSPC when an
 * evicted BO fits nowhere; -EFAULT when a userptr range is no longer
 * mapped; -EAGAIN after %SIM_VM_EXEC_MAX_RETRIES userptr restarts. On
 * error no job was submitted, no fence published, no lock is held
 * (revalidations already done stay done).
 */
int sim_vm_exec(struct sim_vm *vm, const struct sim_vm_exec *args, struct dma_fence **out_fence);

#ifdef __cplusplus
}
#endif

#endif /* SIM_VM_H */
