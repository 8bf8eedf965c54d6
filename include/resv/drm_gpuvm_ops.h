/* SPDX-License-Identifier: MIT */
/**
 * DOC: drm_gpuvm split/merge operations and driver callbacks
 *
 * The second half of <resv/drm_gpuvm.h>, which includes this header (and
 * vice versa, so either may be included first): how a map or unmap request
 * is split into steps against the existing mappings — exactly one MAP,
 * last; at most two REMAPs; UNMAPs — delivered to &struct drm_gpuvm_ops
 * callbacks (drm_gpuvm_sm_map(), drm_gpuvm_sm_unmap()) or built as a list
 * (drm_gpuvm_sm_map_ops_create() and friends). See docs/gpuvm.md for a
 * picture of each case.
 */
#ifndef RESV_DRM_GPUVM_OPS_H
#define RESV_DRM_GPUVM_OPS_H

#include <resv/drm_gpuvm.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * enum drm_gpuva_op_type - kind of a &struct drm_gpuva_op
 * @DRM_GPUVA_OP_MAP: map a new range
 * @DRM_GPUVA_OP_REMAP: replace a mapping by up to two remaining pieces
 * @DRM_GPUVA_OP_UNMAP: remove a mapping
 * @DRM_GPUVA_OP_PREFETCH: prefetch a mapping
 * @DRM_GPUVA_OP_DRIVER: for driver-defined ops
 */
enum drm_gpuva_op_type {
	DRM_GPUVA_OP_MAP,
	DRM_GPUVA_OP_REMAP,
	DRM_GPUVA_OP_UNMAP,
	DRM_GPUVA_OP_PREFETCH,
	DRM_GPUVA_OP_DRIVER,
};

/**
 * struct drm_gpuva_op_map - a mapping to create
 * @va: range
 * @va.addr: start
 * @va.range: length
 * @gem: backing
 * @gem.offset: offset into @gem.obj
 * @gem.obj: object or NULL
 */
struct drm_gpuva_op_map {
	struct {
		uint64_t addr;
		uint64_t range;
	} va;
	struct {
		uint64_t offset;
		struct drm_gem_object *obj;
	} gem;
};

/**
 * struct drm_gpuva_op_unmap - a mapping to remove
 * @va: the mapping
 * @keep: the mapping is physically contiguous with the map request, so its
 *	page table entries may be kept
 */
struct drm_gpuva_op_unmap {
	struct drm_gpuva *va;
	bool keep;
};

/**
 * struct drm_gpuva_op_remap - split a mapping
 * @prev: the piece before the request, or NULL
 * @next: the piece after the request, or NULL
 * @unmap: the mapping being split
 */
struct drm_gpuva_op_remap {
	struct drm_gpuva_op_map *prev;
	struct drm_gpuva_op_map *next;
	struct drm_gpuva_op_unmap *unmap;
};

/**
 * struct drm_gpuva_op_prefetch - a mapping to prefetch
 * @va: the mapping
 */
struct drm_gpuva_op_prefetch {
	struct drm_gpuva *va;
};

/**
 * struct drm_gpuva_op - one step
 * @entry: link in &drm_gpuva_ops.list
 * @op: which member of the union is valid
 * @map: %DRM_GPUVA_OP_MAP
 * @remap: %DRM_GPUVA_OP_REMAP
 * @unmap: %DRM_GPUVA_OP_UNMAP
 * @prefetch: %DRM_GPUVA_OP_PREFETCH
 */
struct drm_gpuva_op {
	struct cds_list_head entry;
	enum drm_gpuva_op_type op;
	union {
		struct drm_gpuva_op_map map;
		struct drm_gpuva_op_remap remap;
		struct drm_gpuva_op_unmap unmap;
		struct drm_gpuva_op_prefetch prefetch;
	};
};

/**
 * struct drm_gpuva_ops - a list of &struct drm_gpuva_op, in order
 * @list: the ops (entry: entry)
 */
struct drm_gpuva_ops {
	struct cds_list_head list;
};

/** drm_gpuva_for_each_op() - iterate ops in order */
#define drm_gpuva_for_each_op(op, ops) cds_list_for_each_entry(op, &(ops)->list, entry)
/** drm_gpuva_for_each_op_safe() - iterate ops, safe against removal */
#define drm_gpuva_for_each_op_safe(op, next, ops) \
	cds_list_for_each_entry_safe(op, next, &(ops)->list, entry)
/** drm_gpuva_for_each_op_reverse() - iterate ops last to first */
#define drm_gpuva_for_each_op_reverse(op, ops) \
	cds_list_for_each_entry_reverse(op, &(ops)->list, entry)
/** drm_gpuva_for_each_op_from_reverse() - iterate from @op back to the first */
#define drm_gpuva_for_each_op_from_reverse(op, ops)					\
	for (; &(op)->entry != &(ops)->list;						\
	     op = cds_list_entry((op)->entry.prev, __typeof__(*(op)), entry))
/** drm_gpuva_first_op() - the first op (the list must not be empty) */
#define drm_gpuva_first_op(ops) cds_list_first_entry(&(ops)->list, struct drm_gpuva_op, entry)
/** drm_gpuva_last_op() - the last op (the list must not be empty) */
#define drm_gpuva_last_op(ops) cds_list_entry((ops)->list.prev, struct drm_gpuva_op, entry)
/** drm_gpuva_prev_op() - the op before @op */
#define drm_gpuva_prev_op(op) cds_list_entry((op)->entry.prev, struct drm_gpuva_op, entry)
/** drm_gpuva_next_op() - the op after @op */
#define drm_gpuva_next_op(op) cds_list_entry((op)->entry.next, struct drm_gpuva_op, entry)

/**
 * struct drm_gpuvm_map_req - a map request
 * @map: range and backing to map
 */
struct drm_gpuvm_map_req {
	struct drm_gpuva_op_map map;
};

/**
 * struct drm_gpuvm_ops - driver callbacks
 * @vm_free: frees the VM after its last reference (mandatory)
 * @op_alloc: allocates a zeroed &struct drm_gpuva_op (optional)
 * @op_free: frees what @op_alloc returned (optional)
 * @vm_bo_alloc: allocates a zeroed &struct drm_gpuvm_bo (optional)
 * @vm_bo_free: frees what @vm_bo_alloc returned (optional)
 * @vm_bo_validate: makes an evicted object valid (drm_gpuvm_validate())
 * @sm_step_map: the MAP step of drm_gpuvm_sm_map()
 * @sm_step_remap: a REMAP step of drm_gpuvm_sm_map() / _sm_unmap()
 * @sm_step_unmap: an UNMAP step of drm_gpuvm_sm_map() / _sm_unmap()
 *
 * The step callbacks get a &struct drm_gpuva_op that lives only for the
 * call and the @priv given to sm_map/sm_unmap; a non-zero return aborts
 * the walk and is returned.
 */
struct drm_gpuvm_ops {
	void (*vm_free)(struct drm_gpuvm *gpuvm);
	struct drm_gpuva_op *(*op_alloc)(void);
	void (*op_free)(struct drm_gpuva_op *op);
	struct drm_gpuvm_bo *(*vm_bo_alloc)(void);
	void (*vm_bo_free)(struct drm_gpuvm_bo *vm_bo);
	int (*vm_bo_validate)(struct drm_gpuvm_bo *vm_bo, struct drm_exec *exec);
	int (*sm_step_map)(struct drm_gpuva_op *op, void *priv);
	int (*sm_step_remap)(struct drm_gpuva_op *op, void *priv);
	int (*sm_step_unmap)(struct drm_gpuva_op *op, void *priv);
};

/**
 * drm_gpuvm_sm_map() - walk the steps that map a request
 * @gpuvm: the VM
 * @priv: passed to the step callbacks
 * @req: the request
 *
 * For every mapping overlapping the request, in address order, one UNMAP
 * (mapping inside the request) or REMAP (mapping sticking out at the
 * start and/or end; at most two), then always one MAP of the request.
 * UNMAP/REMAP carry the keep hint. Mappings are never coalesced: an
 * identical request gives UNMAP(keep) + MAP. The callbacks may update the
 * tree as they go (the walk is removal-safe).
 *
 * Context: the driver's VM lock.
 * Return: 0; -EINVAL when an argument is NULL, a step callback is missing
 * or the range is not valid (no callback made); a callback's error.
 */
RESV_EXPORT RESV_MUST_CHECK int drm_gpuvm_sm_map(struct drm_gpuvm *gpuvm, void *priv,
						 const struct drm_gpuvm_map_req *req);

/**
 * drm_gpuvm_sm_unmap() - walk the steps that unmap a range
 * @gpuvm: the VM
 * @priv: passed to the step callbacks
 * @addr: start
 * @range: length
 *
 * UNMAP for mappings inside the range, REMAP (keep false) for those
 * sticking out; no MAP.
 *
 * Context: the driver's VM lock.
 * Return: 0; -EINVAL when @gpuvm is NULL, @ops->sm_step_remap or
 * _unmap is missing or the range is not valid; a callback's error.
 */
RESV_EXPORT RESV_MUST_CHECK int drm_gpuvm_sm_unmap(struct drm_gpuvm *gpuvm, void *priv,
						   uint64_t addr, uint64_t range);

/**
 * drm_gpuvm_sm_map_exec_lock() - lock what a drm_gpuvm_sm_map() would touch
 * @gpuvm: the VM
 * @exec: inside drm_exec_until_all_locked(), with DRM_EXEC_IGNORE_DUPLICATES
 * @num_fences: slots to reserve on the request's object
 * @req: the request
 *
 * Prepares the request's object (if any), then locks the object of every
 * mapping the request would unmap or split.
 *
 * Context: the driver's VM lock; in a drm_exec loop.
 * Return: 0; -EINVAL (bad request, as drm_gpuvm_sm_map()); a locking errno.
 */
RESV_EXPORT RESV_MUST_CHECK int drm_gpuvm_sm_map_exec_lock(struct drm_gpuvm *gpuvm,
							   struct drm_exec *exec,
							   unsigned int num_fences,
							   struct drm_gpuvm_map_req *req);

/**
 * drm_gpuvm_sm_unmap_exec_lock() - lock what a drm_gpuvm_sm_unmap() would touch
 * @gpuvm: the VM
 * @exec: inside drm_exec_until_all_locked()
 * @addr: start
 * @range: length
 *
 * Context: the driver's VM lock; in a drm_exec loop.
 * Return: 0; -EINVAL (bad range); a locking errno.
 */
RESV_EXPORT RESV_MUST_CHECK int drm_gpuvm_sm_unmap_exec_lock(struct drm_gpuvm *gpuvm,
							     struct drm_exec *exec,
							     uint64_t addr, uint64_t range);

/**
 * drm_gpuvm_sm_map_ops_create() - the steps of drm_gpuvm_sm_map() as a list
 * @gpuvm: the VM
 * @req: the request
 *
 * The ops are copies (REMAP pieces included), so the list can be walked
 * twice: prepare outside, commit inside the signalling path. Apply or drop
 * them before asking for the next request's ops. Free with
 * drm_gpuva_ops_free().
 *
 * Context: the driver's VM lock; allocates.
 * Return: the list; resv_err_ptr(-EINVAL) for a bad request,
 * resv_err_ptr(-ENOMEM) when out of memory (nothing leaked).
 */
RESV_EXPORT RESV_MUST_CHECK struct drm_gpuva_ops *
drm_gpuvm_sm_map_ops_create(struct drm_gpuvm *gpuvm, const struct drm_gpuvm_map_req *req);

/**
 * drm_gpuvm_sm_unmap_ops_create() - the steps of drm_gpuvm_sm_unmap() as a list
 * @gpuvm: the VM
 * @addr: start
 * @range: length
 *
 * Context: the driver's VM lock; allocates.
 * Return: the list, resv_err_ptr(-EINVAL) or resv_err_ptr(-ENOMEM).
 */
RESV_EXPORT RESV_MUST_CHECK struct drm_gpuva_ops *
drm_gpuvm_sm_unmap_ops_create(struct drm_gpuvm *gpuvm, uint64_t addr, uint64_t range);

/**
 * drm_gpuvm_madvise_ops_create() - split mappings without backing at a
 * request's boundaries
 * @gpuvm: the VM
 * @req: the range; its gem fields only go into a MAP of the whole request
 *
 * Mappings with a GEM object are left alone; mappings without one that
 * straddle a boundary get a REMAP plus a MAP of their part inside the
 * request (or of the whole request when the mapping covers it). Never
 * UNMAP; at most two REMAPs and two MAPs.
 *
 * Context: the driver's VM lock; allocates.
 * Return: the list (maybe empty), resv_err_ptr(-EINVAL) or
 * resv_err_ptr(-ENOMEM).
 */
RESV_EXPORT RESV_MUST_CHECK struct drm_gpuva_ops *
drm_gpuvm_madvise_ops_create(struct drm_gpuvm *gpuvm, const struct drm_gpuvm_map_req *req);

/**
 * drm_gpuvm_prefetch_ops_create() - one PREFETCH per mapping in a range
 * @gpuvm: the VM
 * @addr: start
 * @range: length
 *
 * Context: the driver's VM lock; allocates.
 * Return: the list, resv_err_ptr(-EINVAL) (NULL @gpuvm) or
 * resv_err_ptr(-ENOMEM).
 */
RESV_EXPORT RESV_MUST_CHECK struct drm_gpuva_ops *
drm_gpuvm_prefetch_ops_create(struct drm_gpuvm *gpuvm, uint64_t addr, uint64_t range);

/**
 * drm_gpuvm_bo_unmap_ops_create() - one UNMAP per mapping of a vm_bo
 * @vm_bo: the vm_bo
 *
 * Context: the object's gpuva lock; allocates.
 * Return: the list, resv_err_ptr(-EINVAL) (NULL @vm_bo) or
 * resv_err_ptr(-ENOMEM).
 */
RESV_EXPORT RESV_MUST_CHECK struct drm_gpuva_ops *
drm_gpuvm_bo_unmap_ops_create(struct drm_gpuvm_bo *vm_bo);

/**
 * drm_gpuva_ops_free() - free an op list
 * @gpuvm: the VM the list was made for
 * @ops: the list, or NULL / an error pointer (nothing done)
 *
 * Context: any; frees through @ops->op_free when set.
 */
RESV_EXPORT void drm_gpuva_ops_free(struct drm_gpuvm *gpuvm, struct drm_gpuva_ops *ops);

/**
 * drm_gpuva_init_from_op() - initialise a mapping from a MAP op
 * @va: the mapping
 * @op: the op
 *
 * Context: any; @va not inserted.
 */
static inline void drm_gpuva_init_from_op(struct drm_gpuva *va, const struct drm_gpuva_op_map *op)
{
	drm_gpuva_init(va, op->va.addr, op->va.range, op->gem.obj, op->gem.offset);
}

/**
 * drm_gpuva_map() - apply a MAP op: init @va from @op and insert it
 * @gpuvm: the VM
 * @va: the new mapping
 * @op: the op
 *
 * Context: the driver's VM lock.
 * Return: drm_gpuva_insert()'s result (void in the kernel).
 */
RESV_EXPORT int drm_gpuva_map(struct drm_gpuvm *gpuvm, struct drm_gpuva *va,
			      const struct drm_gpuva_op_map *op);

/**
 * drm_gpuva_remap() - apply a REMAP op
 * @prev: new mapping for @op->prev (unused when that is NULL)
 * @next: new mapping for @op->next (unused when that is NULL)
 * @op: the op
 *
 * Removes @op->unmap->va and inserts the pieces. Unlinking the old mapping
 * and linking the new ones is the caller's job.
 *
 * Context: the driver's VM lock.
 * Return: 0; -EINVAL when an argument the op needs is NULL (nothing
 * changed); an insert error (the old mapping is gone then).
 */
RESV_EXPORT int drm_gpuva_remap(struct drm_gpuva *prev, struct drm_gpuva *next,
				const struct drm_gpuva_op_remap *op);

/**
 * drm_gpuva_unmap() - apply an UNMAP op: remove @op->va
 * @op: the op
 *
 * Context: the driver's VM lock.
 * Return: drm_gpuva_remove()'s result.
 */
RESV_EXPORT int drm_gpuva_unmap(const struct drm_gpuva_op_unmap *op);

/**
 * drm_gpuva_op_remap_to_unmap_range() - the hole a REMAP leaves
 * @op: the REMAP op
 * @start_addr: out: start of the range no longer mapped
 * @range: out: its length
 *
 * Context: any; @op from a walk or list of the current VA state.
 */
static inline void drm_gpuva_op_remap_to_unmap_range(const struct drm_gpuva_op_remap *op,
						     uint64_t *start_addr, uint64_t *range)
{
	const uint64_t va_start = op->prev ? op->prev->va.addr + op->prev->va.range :
					     op->unmap->va->va.addr;
	const uint64_t va_end = op->next ? op->next->va.addr :
					   op->unmap->va->va.addr + op->unmap->va->va.range;

	*start_addr = va_start;
	*range = va_end - va_start;
}

#ifdef __cplusplus
}
#endif

#endif /* RESV_DRM_GPUVM_OPS_H */
