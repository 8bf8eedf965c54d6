/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * GPU page tables: the MMU of the simulated GPU. A &struct sim_pt is one GPU
 * address space (48-bit virtual addresses, SIM_PAGE_SIZE pages, a
 * four-level radix table). Mappings are page-granular ranges of a BO:
 * sim_pt_map() binds @size bytes at GPU address @va to the BO at
 * @bo_offset. Engines resolve every access of a batch through the page
 * table of its job; the submission paths fill them (an execbuf from its
 * object list, VM_BIND from drm_gpuvm's split/merge operations).
 *
 * A mapping is bound to the BO's storage *as it was* when it was made or
 * last rebound. When the BO moves (sim_bo_move()), existing mappings stay
 * bound to the old storage, which GPU work still running may use until
 * the move's copy is done; then the old storage is freed and every access
 * through a mapping still bound to it faults. After validating a BO, the
 * driver calls sim_pt_rebind() for each page table the BO is mapped in —
 * forgetting it turns into -EFAULT on the job's fence, a residency bug made
 * visible. A GPU job that does not wait for the move fence (KERNEL usage)
 * may read stale data or lose its writes: wrong data, the other visible
 * symptom.
 *
 *	dma_resv_lock(bo->base.resv, NULL);
 *	ret = sim_pt_map(pt, 0x100000, bo->base.size, bo, 0, 0);
 *	...
 *	ret = sim_bo_validate(bo, SIM_PL_MASK_VRAM, &op);   // may move it
 *	if (!ret)
 *		sim_pt_rebind(pt, bo);
 *	dma_resv_unlock(bo->base.resv);
 *
 * Mappings hold a reference on their BO. Unmapping GPU addresses that a job
 * still uses is the driver's bug: the job then faults.
 */
#ifndef SIM_PT_H
#define SIM_PT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <urcu/list.h>

#include <sim/bo.h>
#include <sim/device.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sim_pt;

/** SIM_VA_BITS - width of GPU virtual addresses */
#define SIM_VA_BITS 48

/** SIM_PT_READ_ONLY - sim_pt_map() flag: GPU writes through the mapping fault */
#define SIM_PT_READ_ONLY (1u << 0)

/**
 * struct sim_pt_entry - what sim_pt_lookup() found
 * @bo: the mapped BO (no new reference: valid while the mapping exists)
 * @bo_offset: the byte of @bo the looked-up address maps to
 * @flags: the mapping's SIM_PT_* flags
 * @bound: the placement the mapping is bound to (SIM_PL_NONE when it was
 *	bound while the BO had no storage)
 * @resident: the storage it is bound to still exists: accesses succeed
 * @current: it is bound to the BO's current storage (no rebind needed)
 */
struct sim_pt_entry {
	struct sim_bo *bo;
	uint64_t bo_offset;
	uint32_t flags;
	enum sim_placement bound;
	bool resident;
	bool current;
};

/**
 * sim_pt_create() - create an empty GPU address space
 * @dev: the device
 * @out: set to the page table (one reference)
 *
 * Context: any; allocates.
 * Return: 0; -EINVAL when @dev or @out is NULL; -ENOMEM.
 */
int sim_pt_create(struct sim_device *dev, struct sim_pt **out);

/**
 * sim_pt_get() - take a reference
 * @pt: the page table
 *
 * Context: any; the caller already holds a reference.
 * Return: @pt.
 */
struct sim_pt *sim_pt_get(struct sim_pt *pt);

/**
 * sim_pt_put() - drop a reference
 * @pt: the page table, or NULL
 *
 * The last one removes every mapping (dropping their BO references) and
 * frees the tables. Jobs hold references on their page table.
 *
 * Context: any; must not hold a reservation lock of a mapped BO if this
 * may drop the BO's last reference.
 */
void sim_pt_put(struct sim_pt *pt);

/**
 * sim_pt_map() - map a range of a BO
 * @pt: the page table
 * @va: GPU virtual address, page aligned
 * @size: bytes, a non-zero page multiple; [@va, @va + @size) inside the
 *	48-bit address space
 * @bo: the BO, locked by the caller; the mapping takes a reference
 * @bo_offset: first byte of @bo, page aligned; the range must lie in @bo
 * @flags: 0 or SIM_PT_READ_ONLY
 *
 * The mapping is bound to the BO's current storage.
 *
 * Context: @bo's resv held; allocates.
 * Return: 0; -EINVAL for a misaligned or out-of-range argument or unknown
 * @flags; -EEXIST when a page of the range is already mapped (nothing
 * changed: unmap first); -ENOMEM (nothing mapped).
 */
int sim_pt_map(struct sim_pt *pt, uint64_t va, uint64_t size, struct sim_bo *bo,
	       uint64_t bo_offset, uint32_t flags);

/**
 * sim_pt_unmap() - remove the mappings of a range
 * @pt: the page table
 * @va: GPU virtual address, page aligned
 * @size: bytes, a non-zero page multiple
 *
 * Pages of the range that are not mapped are ignored; mappings that
 * straddle an end of the range are trimmed, one that contains the range is
 * split in two. BO references of removed mappings are dropped.
 *
 * Context: any; may allocate (a split).
 * Return: 0; -EINVAL for a misaligned or out-of-range argument; -ENOMEM
 * (only when a split was needed; nothing changed).
 */
int sim_pt_unmap(struct sim_pt *pt, uint64_t va, uint64_t size);

/**
 * sim_pt_rebind() - bind the BO's mappings to its current storage
 * @pt: the page table
 * @bo: the BO, locked by the caller
 *
 * Takes effect at once, for every job that has not run yet too: a job
 * queued before the BO moved, and not yet run, would then use the new
 * storage, which the move's copy (waiting for that job) overwrites later,
 * losing the job's writes. Wait for the BO's jobs first (its fences other
 * than DMA_RESV_USAGE_KERNEL moves), as execbuf does.
 *
 * Context: @bo's resv held.
 * Return: the number of mappings of @bo in @pt (all now current).
 */
int sim_pt_rebind(struct sim_pt *pt, struct sim_bo *bo);

/**
 * struct sim_pt_update - a page-table change prepared in advance
 * @pt: the page table (a reference); private
 * @va: start of the range; private
 * @size: bytes; private
 * @bo: what the range will map (a reference), or NULL to unmap; private
 * @bo_offset: first byte of @bo; private
 * @flags: SIM_PT_* flags of the new mapping; private
 * @gen: the storage generation of @bo at the prepare; private
 * @bound: its placement; private
 * @mapping: the preallocated mapping record; private
 * @spare: a preallocated record for a split; private
 * @dirs: preallocated table directories; private
 * @doomed: mappings the commit removed, freed by sim_pt_update_fini();
 *	private
 * @committed: sim_pt_update_commit() ran; private
 *
 * For changes that must not fail or allocate when they are applied: an
 * asynchronous bind prepares at submission, and commits from a job once its
 * in-fences signalled, inside a fence signalling section. Lives where the
 * caller put it (it must not be copied after the prepare).
 */
struct sim_pt_update {
	struct sim_pt *pt;
	uint64_t va;
	uint64_t size;
	struct sim_bo *bo;
	uint64_t bo_offset;
	uint32_t flags;
	uint64_t gen;
	enum sim_placement bound;
	void *mapping;
	void *spare;
	void *dirs;
	struct cds_list_head doomed;
	bool committed;
};

/**
 * sim_pt_update_prepare() - allocate what replacing a range's mappings needs
 * @upd: the update to fill in
 * @pt: the page table
 * @va: GPU virtual address, page aligned
 * @size: bytes, a non-zero page multiple, inside the 48-bit address space
 * @bo: the BO the range will map, locked by the caller, or NULL: the
 *	update only unmaps
 * @bo_offset: first byte of @bo, page aligned, the range inside @bo
 * @flags: 0 or SIM_PT_READ_ONLY
 *
 * Nothing changes in @pt yet. The commit will remove whatever is mapped in
 * the range (trimming or splitting mappings that stick out, as
 * sim_pt_unmap()) and then map @bo there, bound to @bo's storage as it is
 * at the prepare: if @bo moves before the commit, the new mapping is stale
 * as any other mapping of @bo is after a move (the driver rebinds).
 *
 * Context: @bo's resv held; allocates; takes references on @pt and @bo.
 * Return: 0 (finish with sim_pt_update_fini()); -EINVAL for a bad argument
 * (as sim_pt_map()); -ENOMEM (nothing allocated, nothing to finish).
 */
int sim_pt_update_prepare(struct sim_pt_update *upd, struct sim_pt *pt, uint64_t va,
			  uint64_t size, struct sim_bo *bo, uint64_t bo_offset, uint32_t flags);

/**
 * sim_pt_update_commit() - apply a prepared update
 * @upd: a prepared update (a second commit does nothing)
 *
 * Replaces the range's mappings at once for the GPU (under the GPU memory
 * lock): an engine sees the old or the new state of the range, never a mix.
 *
 * Context: any, also a fence signalling section; does not allocate, sleep
 * or fail.
 */
void sim_pt_update_commit(struct sim_pt_update *upd);

/**
 * sim_pt_update_fini() - release an update, committed or not
 * @upd: a prepared update, or one already finished / zeroed (nothing done)
 *
 * Frees what the commit did not use (everything, for an update that was
 * never committed: an abort) and drops the references of removed mappings.
 *
 * Context: not in a fence signalling section (it frees, and may drop the
 * last reference of a BO); no reservation lock of a BO that may be freed.
 */
void sim_pt_update_fini(struct sim_pt_update *upd);

/**
 * sim_pt_lookup() - translate one GPU address, for tests and debugging
 * @pt: the page table
 * @va: any GPU virtual address
 * @entry: filled in when mapped
 *
 * Context: any.
 * Return: 0; -ENOENT when @va is not mapped (or outside the address space).
 */
int sim_pt_lookup(struct sim_pt *pt, uint64_t va, struct sim_pt_entry *entry);

/**
 * sim_pt_read() - read GPU memory as an engine would
 * @pt: the page table
 * @va: GPU virtual address
 * @dst: where to put the bytes
 * @len: how many
 *
 * Translates page by page, with the same checks as an engine.
 *
 * Context: any; takes the GPU memory lock for reading.
 * Return: 0; -EFAULT when a page is unmapped or its mapping is bound to
 * storage that no longer exists (bytes before it were copied).
 */
int sim_pt_read(struct sim_pt *pt, uint64_t va, void *dst, size_t len);

/**
 * sim_pt_write() - write GPU memory as an engine would
 * @pt: the page table
 * @va: GPU virtual address
 * @src: the bytes
 * @len: how many
 *
 * Context: any; takes the GPU memory lock for reading.
 * Return: 0; -EFAULT as sim_pt_read(), and for a read-only mapping (bytes
 * before the faulting page were written).
 */
int sim_pt_write(struct sim_pt *pt, uint64_t va, const void *src, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SIM_PT_H */
