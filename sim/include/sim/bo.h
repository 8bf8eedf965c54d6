/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * Buffer objects of the simulated GPU, in the role of TTM's: a
 * &struct sim_bo embeds the &struct drm_gem_object that drm_exec and
 * drm_gpuvm work on, and has real bytes in one placement at a time — VRAM
 * (a range of the device's VRAM buffer), SYSTEM (host memory) or NONE (no
 * storage yet) — plus a pin count and a position on its placement's LRU.
 *
 * Moving a BO (sim_bo_move(), sim_bo_validate()) needs its reservation
 * lock. It allocates the destination (evicting other BOs from VRAM if
 * needed), then queues a copy job on the migration engine that first waits
 * for every fence of the BO (DMA_RESV_USAGE_BOOKKEEP: all users), and adds
 * that job's fence to the BO as DMA_RESV_USAGE_KERNEL, so everyone who
 * syncs implicitly waits for the move. From that moment the BO's storage
 * is the new one; the old storage stays readable by GPU mappings still
 * bound to it until the copy is done, and is freed just before the move
 * fence signals. A GPU access through a page-table entry bound to freed
 * storage faults (-EFAULT): the driver must rebind (sim_pt_rebind()) after
 * a move.
 *
 * Eviction takes victims from the VRAM LRU (least recently used first),
 * pinned BOs excepted. It prefers BOs it can trylock; only when every
 * candidate is locked by someone else does it block, with the caller's ww
 * ticket (&sim_op_ctx.ticket), on the first one: -EDEADLK then comes back
 * to the caller, as in TTM, who must back off (drop every lock of the
 * ticket, then take &sim_op_ctx.contended with dma_resv_lock_slow()).
 * BOs the caller holds with its ticket are its working set and never
 * evicted; BOs it holds without a ticket are skipped too, as long as no
 * ticket is given (mixing both would make eviction wait for the caller
 * itself). Evicted BOs move to SYSTEM. The shrinker (sim_shrink()) only
 * trylocks.
 *
 * Validating into VRAM with eviction, inside a ww transaction::
 *
 *	struct sim_op_ctx op = { .ticket = &ticket };
 *
 *	ret = sim_bo_validate(bo, SIM_PL_MASK_VRAM | SIM_PL_MASK_SYSTEM, &op);
 *	if (ret == -EDEADLK) {
 *		// unlock everything locked with &ticket, then
 *		dma_resv_lock_slow(op.contended->base.resv, &ticket);
 *		sim_op_ctx_fini(&op);   // drops the reference on op.contended
 *		// ... relock the rest and retry
 *	}
 */
#ifndef SIM_BO_H
#define SIM_BO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <urcu/list.h>

#include <resv/drm_gem.h>
#include <resv/dma-resv.h>
#include <resv/mmu_notifier.h>
#include <resv/userptr.h>
#include <resv/ww_mutex.h>

#include <sim/device.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sim_backing;
struct sim_file_obj;

/**
 * enum sim_placement - where a BO's bytes are
 * @SIM_PL_NONE: nowhere (not yet populated, or purged)
 * @SIM_PL_SYSTEM: host memory
 * @SIM_PL_VRAM: the device's VRAM
 * @SIM_PL_USERPTR: pages of a process's address space (&struct resv_mm),
 *	as collected by the BO's userptr snapshot (sim_bo_create_userptr());
 *	only userptr BOs are there, and they never leave it
 */
enum sim_placement {
	SIM_PL_NONE,
	SIM_PL_SYSTEM,
	SIM_PL_VRAM,
	SIM_PL_USERPTR,
};

/** SIM_PL_MASK_SYSTEM - placement mask bit of SIM_PL_SYSTEM */
#define SIM_PL_MASK_SYSTEM (1u << SIM_PL_SYSTEM)
/** SIM_PL_MASK_VRAM - placement mask bit of SIM_PL_VRAM */
#define SIM_PL_MASK_VRAM (1u << SIM_PL_VRAM)
/** SIM_PL_MASK_USERPTR - placement mask bit of SIM_PL_USERPTR */
#define SIM_PL_MASK_USERPTR (1u << SIM_PL_USERPTR)
/** SIM_PL_MASK_ALL - every placement an ordinary BO can have storage in */
#define SIM_PL_MASK_ALL (SIM_PL_MASK_SYSTEM | SIM_PL_MASK_VRAM)

/**
 * struct sim_bo - a buffer object of the simulated GPU
 * @base: the GEM object (reference count, size, resv); embed-compatible
 *	with drm_exec and drm_gpuvm
 * @dev: the device
 * @allowed: placements sim_bo_validate() may choose (SIM_PL_MASK_*); fixed
 * @placement: the current placement; protected by the resv
 * @pin_count: pins (sim_bo_pin()); changed under the resv, read atomically
 *	by eviction scans
 * @backing: the current storage, NULL for SIM_PL_NONE; changed under the
 *	resv and the device's GPU memory lock; private
 * @backings: the current storage and older ones whose move has not finished
 *	(GPU mappings may still be bound to them); GPU memory lock; private
 * @mappings: the page-table mappings of the BO; GPU memory lock; private
 * @lru: entry on the device's LRU list of @placement; LRU lock; private
 * @lru_placement: the list @lru is on (SIM_PL_NONE: none); LRU lock;
 *	private
 * @userptr: for a userptr BO (sim_bo_create_userptr()), the validator of
 *	its address range (<resv/userptr.h>); NULL for every other BO
 * @file_obj: the handle record of the client file that created the BO
 *	(<sim/file.h>), NULL for others and once the handle is closed; the
 *	resv; private
 */
struct sim_bo {
	struct drm_gem_object base;
	/* What every submission reads, packed together. */
	uint32_t allowed;
	enum sim_placement placement;
	enum sim_placement lru_placement;
	unsigned int pin_count;
	struct sim_backing *backing;
	struct resv_userptr *userptr;
	struct cds_list_head lru;
	struct sim_device *dev;
	struct sim_file_obj *file_obj;
	struct cds_list_head backings;
	struct cds_list_head mappings;
};

/**
 * struct sim_op_ctx - how a memory operation may proceed, as TTM's
 * ttm_operation_ctx; zero-initialise, set the inputs, call sim_op_ctx_fini()
 * when done
 * @ticket: input: the caller's acquire context (of reservation_ww_class),
 *	used to lock eviction victims that are locked by others; NULL makes
 *	eviction trylock only. With a ticket, every reservation the caller
 *	holds must be held through it.
 * @interruptible: input: lock and wait interruptibly (resv_thread_interrupt()
 *	makes the operation return -EINTR)
 * @no_evict: input: never evict; a VRAM placement that does not fit fails
 *	with -ENOSPC
 * @contended: output: after -EDEADLK, the BO whose lock the caller must
 *	take with dma_resv_lock_slow() after backing off (a reference, dropped
 *	by sim_op_ctx_fini())
 * @evictions: output: BOs this context evicted so far
 */
struct sim_op_ctx {
	struct ww_acquire_ctx *ticket;
	bool interruptible;
	bool no_evict;
	struct sim_bo *contended;
	unsigned int evictions;
};

/**
 * sim_op_ctx_fini() - drop what an operation context holds
 * @ctx: the context; @ctx->contended is put and cleared
 *
 * Context: any.
 */
void sim_op_ctx_fini(struct sim_op_ctx *ctx);

/**
 * sim_bo_create() - create a buffer object
 * @dev: the device
 * @size: bytes, a non-zero multiple of SIM_PAGE_SIZE
 * @allowed: placements it may live in, a non-empty subset of
 *	SIM_PL_MASK_ALL
 * @initial: SIM_PL_NONE (no storage until validated), or SIM_PL_SYSTEM
 *	(zero-filled host memory now; must be in @allowed)
 * @resv: a reservation object to share (e.g. a VM's, for VM-local BOs), or
 *	NULL for the BO's own; a shared one must outlive the BO
 * @out: set to the BO (one reference)
 *
 * Context: any; allocates.
 * Return: 0; -EINVAL for a bad argument; -ENOMEM (nothing allocated).
 */
int sim_bo_create(struct sim_device *dev, uint64_t size, uint32_t allowed,
		  enum sim_placement initial, struct dma_resv *resv, struct sim_bo **out);

/**
 * sim_bo_create_userptr() - create a BO whose storage is process memory
 * @dev: the device
 * @mm: the address space the memory belongs to; it must outlive the BO
 * @addr: first byte of the range, page aligned
 * @size: bytes, a non-zero multiple of SIM_PAGE_SIZE
 * @lock: the driver's notifier lock shared by the userptrs it checks
 *	together (&struct resv_notifier_lock), or NULL for one private to
 *	the BO
 * @out: set to the BO (one reference)
 *
 * The BO is in SIM_PL_USERPTR for good: it is never moved, evicted or put
 * on an LRU list. Its &sim_bo.userptr validator (resv_userptr_init() on
 * the BO's own resv) watches [@addr, @addr + @size): GPU accesses through
 * a mapping of the BO go to the pages of its last snapshot, so before a
 * job may use them the submitter takes a snapshot
 * (resv_userptr_snapshot(), no reservation held), and checks it under the
 * notifier lock while publishing the job's fence (resv_userptr_check()).
 * Until the first snapshot every GPU access faults (-EFAULT). The range
 * need not be mapped yet: the snapshot fails with -EFAULT until it is.
 *
 * CPU access goes through the address space (resv_mm_read() and
 * resv_mm_write()); sim_bo_read() and sim_bo_write() refuse userptr BOs.
 *
 * Context: may sleep; no notifier lock, no mmap lock, no reservation
 * held; allocates.
 * Return: 0; -EINVAL for a NULL or unaligned argument or a zero size;
 * -EOVERFLOW when the range wraps around the address space; -ENOMEM
 * (nothing allocated).
 */
int sim_bo_create_userptr(struct sim_device *dev, struct resv_mm *mm, unsigned long addr,
			  uint64_t size, struct resv_notifier_lock *lock, struct sim_bo **out);

/**
 * sim_bo_get() - take a reference
 * @bo: the BO
 *
 * Context: any; the caller already holds a reference.
 * Return: @bo.
 */
struct sim_bo *sim_bo_get(struct sim_bo *bo);

/**
 * sim_bo_put() - drop a reference
 * @bo: the BO, or NULL
 *
 * The last one frees the BO and its storage. Page-table mappings and
 * pending moves hold references of their own.
 *
 * Context: any; not holding the BO's resv when it may be the last.
 */
void sim_bo_put(struct sim_bo *bo);

/**
 * sim_bo_placement() - where the BO is
 * @bo: the BO
 *
 * Context: stable while the caller holds the resv.
 * Return: the placement.
 */
enum sim_placement sim_bo_placement(struct sim_bo *bo);

/**
 * sim_bo_vram_offset() - where in VRAM the BO's bytes are
 * @bo: the BO, locked by the caller
 *
 * Context: the BO's resv held.
 * Return: the byte offset in sim_device_vram(), or -1 (as uint64_t) when
 * the BO is not in VRAM.
 */
uint64_t sim_bo_vram_offset(struct sim_bo *bo);

/**
 * sim_bo_pin() - forbid moving and evicting the BO
 * @bo: the BO, locked by the caller, with storage
 *
 * Context: the BO's resv held.
 * Return: 0; -EINVAL when the BO has no storage (SIM_PL_NONE).
 */
int sim_bo_pin(struct sim_bo *bo);

/**
 * sim_bo_unpin() - undo one sim_bo_pin()
 * @bo: the BO, locked by the caller
 *
 * Context: the BO's resv held.
 * Return: 0; -EINVAL when the BO is not pinned.
 */
int sim_bo_unpin(struct sim_bo *bo);

/**
 * sim_bo_move() - move the BO to a placement
 * @bo: the BO, locked by the caller
 * @to: the destination: one of @bo->allowed, or SIM_PL_NONE to drop the
 *	storage (after the BO's users are done)
 * @ctx: eviction policy and outputs (see &struct sim_op_ctx)
 *
 * Nothing to do when the BO is already there. Otherwise allocates the
 * destination (into VRAM: evicting if needed and allowed), queues the move
 * job on the migration engine (it waits for every fence of the BO, then
 * copies, or zero-fills a BO that had no storage) and adds its fence to
 * the BO as DMA_RESV_USAGE_KERNEL. The BO's LRU position moves to the
 * destination's list, most recently used.
 *
 * Context: the BO's resv held; may sleep (eviction waits); allocates.
 * Return: 0; -EINVAL when @to is not allowed, the BO is pinned or is a
 * userptr BO; -ENOSPC
 * when VRAM has no room and nothing can be evicted; -EDEADLK when an
 * eviction victim's lock says the caller must back off (see
 * &sim_op_ctx.contended); -EINTR when interrupted (@ctx->interruptible);
 * -ENOMEM. On error the BO is unchanged (evictions already done stay done).
 */
int sim_bo_move(struct sim_bo *bo, enum sim_placement to, struct sim_op_ctx *ctx);

/**
 * sim_bo_validate() - make sure the BO is in one of some placements
 * @bo: the BO, locked by the caller
 * @placements: acceptable placements (SIM_PL_MASK_*), intersected with
 *	@bo->allowed; VRAM is preferred over SYSTEM
 * @ctx: eviction policy and outputs
 *
 * Nothing to do when the BO already is in one of them. Otherwise tries
 * VRAM (evicting as needed), and SYSTEM when VRAM has no room (-ENOSPC) and
 * SYSTEM is acceptable.
 *
 * Context: the BO's resv held; may sleep; allocates.
 * Return: 0; -EINVAL when no acceptable placement is allowed, or the BO
 * must move but is pinned; otherwise as sim_bo_move().
 */
int sim_bo_validate(struct sim_bo *bo, uint32_t placements, struct sim_op_ctx *ctx);

/**
 * sim_evict_for() - make room in VRAM
 * @dev: the device
 * @size: bytes that must fit in one free VRAM range
 * @ctx: eviction policy and outputs; @ctx->ticket locks contended victims
 *
 * Evicts BOs from the VRAM LRU to SYSTEM, one at a time, waiting for each
 * move to finish, until a range of @size bytes is free. Skips pinned BOs
 * and BOs the caller holds (with @ctx->ticket, see &sim_op_ctx). The room
 * is not reserved: a concurrent allocation may take it (sim_bo_move()
 * loops).
 *
 * Context: may sleep; may hold reservation locks of @ctx->ticket.
 * Return: 0; -EINVAL when an argument is NULL, or @size is 0 or larger
 * than VRAM; -ENOSPC when
 * nothing more can be evicted (or @ctx->no_evict); -EDEADLK (back off, see
 * &sim_op_ctx.contended); -EINTR; -ENOMEM.
 */
int sim_evict_for(struct sim_device *dev, uint64_t size, struct sim_op_ctx *ctx);

/**
 * sim_shrink() - memory pressure from outside: evict without blocking
 * @dev: the device
 * @target: VRAM bytes to free
 *
 * Walks the VRAM LRU and evicts BOs to SYSTEM, taking their locks only with
 * dma_resv_trylock(): locked and pinned BOs are skipped. Waits for the
 * moves it started (fence waits are allowed in reclaim; blocking on a
 * reservation lock is not).
 *
 * Context: may sleep; must not hold reservation locks.
 * Return: bytes of VRAM freed (may be less than @target, or 0); -ENOMEM
 * when an eviction failed before anything was freed.
 */
long sim_shrink(struct sim_device *dev, uint64_t target);

/**
 * sim_bo_lru_touch() - mark the BO most recently used
 * @bo: the BO
 *
 * Submission paths call it for every BO a job uses, so eviction prefers
 * idle ones.
 *
 * Context: any; takes the LRU lock.
 */
void sim_bo_lru_touch(struct sim_bo *bo);

/**
 * sim_bo_write() - write bytes into the BO from the CPU
 * @bo: the BO, locked by the caller
 * @offset: byte offset in the BO
 * @src: the bytes
 * @len: how many
 *
 * First waits (uninterruptibly) for every implicit user of the BO
 * (DMA_RESV_USAGE_READ: kernel moves, writers and readers).
 *
 * Context: the BO's resv held; may sleep.
 * Return: 0; -EINVAL when the range is outside the BO, or for a userptr BO
 * (write through its &struct resv_mm); -EFAULT when the BO has no storage
 * (SIM_PL_NONE).
 */
int sim_bo_write(struct sim_bo *bo, uint64_t offset, const void *src, size_t len);

/**
 * sim_bo_read() - read bytes of the BO from the CPU
 * @bo: the BO, locked by the caller
 * @offset: byte offset in the BO
 * @dst: where to put them
 * @len: how many
 *
 * First waits (uninterruptibly) for the kernel moves and writers
 * (DMA_RESV_USAGE_WRITE).
 *
 * Context: the BO's resv held; may sleep.
 * Return: 0; -EINVAL when the range is outside the BO, or for a userptr BO
 * (read through its &struct resv_mm); -EFAULT when the BO has no storage.
 */
int sim_bo_read(struct sim_bo *bo, uint64_t offset, void *dst, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SIM_BO_H */
