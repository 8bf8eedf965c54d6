/* SPDX-License-Identifier: MIT */
/*
 * drm_gpuvm's split/merge model: turning a map or unmap request into the
 * ordered MAP / REMAP / UNMAP steps that paint it over the existing
 * mappings, as callbacks or as a list of ops, plus the helpers that apply
 * steps to the tree.
 *
 * The case table follows the kernel's __drm_gpuvm_sm_map() code, not its
 * DOC comment: an identical request is UNMAP(keep) + MAP, never "no op",
 * and neighbours are never coalesced; "merge" is only the keep hint. See
 * docs/gpuvm.md for a picture of every case.
 */
#include <errno.h>
#include <string.h>

#include "internal/alloc.h"
#include "internal/drm_gpuvm.h"

/* ---- one step each ------------------------------------------------------------- */

static int step_map(const struct drm_gpuvm_ops *fn, void *priv, uint64_t addr, uint64_t range,
		    struct drm_gem_object *obj, uint64_t offset)
{
	struct drm_gpuva_op op = { .op = DRM_GPUVA_OP_MAP };

	op.map.va.addr = addr;
	op.map.va.range = range;
	op.map.gem.obj = obj;
	op.map.gem.offset = offset;
	return fn->sm_step_map(&op, priv);
}

static int step_remap(const struct drm_gpuvm_ops *fn, void *priv, struct drm_gpuva_op_map *prev,
		      struct drm_gpuva_op_map *next, struct drm_gpuva_op_unmap *unmap)
{
	struct drm_gpuva_op op = { .op = DRM_GPUVA_OP_REMAP };

	op.remap.prev = prev;
	op.remap.next = next;
	op.remap.unmap = unmap;
	return fn->sm_step_remap(&op, priv);
}

static int step_unmap(const struct drm_gpuvm_ops *fn, void *priv, struct drm_gpuva *va, bool keep)
{
	struct drm_gpuva_op op = { .op = DRM_GPUVA_OP_UNMAP };

	op.unmap.va = va;
	op.unmap.keep = keep;
	return fn->sm_step_unmap(&op, priv);
}

/* ---- the walks -------------------------------------------------------------------- */

/*
 * The map walk. For each mapping [a, e) overlapping the request [A, E),
 * with the mapping's object o and offset off (request: R, roff):
 *
 *	           e == E              e < E               e > E
 *	a == A   UNMAP, stop         UNMAP, go on        REMAP(-, next), stop
 *	a <  A   REMAP(prev), stop   REMAP(prev), go on  REMAP(prev, next), stop
 *	a >  A   UNMAP, stop         UNMAP, go on        REMAP(-, next), stop
 *
 * keep = o && o == R && the mapping's offset at A (or at a, when a > A)
 * equals the request's offset there. Then one MAP of the request.
 *
 * madvise: mappings with an object are skipped and UNMAPs dropped. A REMAP
 * of a mapping without object that starts before the request and ends inside
 * it is followed by a MAP (no object) of its part inside the request; one
 * that starts inside and ends after it, by a MAP of [its start, request
 * end), which ends the walk; any other REMAP by the MAP of the whole request
 * (with the request's object and offset, as the kernel passes it on).
 */
static int sm_map_walk(struct drm_gpuvm *gpuvm, const struct drm_gpuvm_ops *fn, void *priv,
		       const struct drm_gpuvm_map_req *req, bool madvise)
{
	struct drm_gem_object *req_obj = req->map.gem.obj;
	const uint64_t req_addr = req->map.va.addr, req_range = req->map.va.range;
	const uint64_t req_offset = req->map.gem.offset, req_end = req_addr + req_range;
	bool map_req = !madvise;
	struct drm_gpuva *va, *next;
	int ret;

	if (!drm_gpuvm_range_valid(gpuvm, req_addr, req_range))
		return -EINVAL;

	drm_gpuvm_for_each_va_range_safe(va, next, gpuvm, req_addr, req_end) {
		struct drm_gem_object *obj = va->gem.obj;
		const uint64_t offset = va->gem.offset, addr = va->va.addr;
		const uint64_t end = addr + va->va.range;
		struct drm_gpuva_op_map p = { 0 }, n = { 0 };
		struct drm_gpuva_op_unmap u = { .va = va };

		if (madvise && obj)
			continue;

		/* The part sticking out after the request, if any. */
		n.va.addr = req_end;
		n.va.range = end > req_end ? end - req_end : 0;
		n.gem.obj = obj;
		n.gem.offset = offset + (req_end - addr);

		if (addr < req_addr) {
			p.va.addr = addr;
			p.va.range = req_addr - addr;
			p.gem.obj = obj;
			p.gem.offset = offset;
			u.keep = obj && obj == req_obj && offset + (req_addr - addr) == req_offset;

			ret = step_remap(fn, priv, &p, end > req_end ? &n : NULL, &u);
			if (ret)
				return ret;
			if (madvise && end < req_end) {
				/* The part of the split mapping inside the range. */
				ret = step_map(fn, priv, req_addr, end - req_addr, NULL, 0);
				if (ret)
					return ret;
			} else if (madvise) {
				map_req = true;
			}
			if (end >= req_end)
				break;
			continue;
		}

		/* addr >= req_addr */
		u.keep = obj && obj == req_obj && offset == req_offset + (addr - req_addr);
		if (end <= req_end) {
			if (!madvise) {
				ret = step_unmap(fn, priv, va, u.keep);
				if (ret)
					return ret;
			}
			if (end == req_end)
				break;
			continue;
		}

		/* end > req_end: the mapping sticks out after the request. */
		ret = step_remap(fn, priv, NULL, &n, &u);
		if (ret)
			return ret;
		if (madvise) {
			if (addr == req_addr)
				map_req = true;
			else
				return step_map(fn, priv, addr, req_end - addr, NULL, 0);
		}
		break;
	}
	if (!map_req)
		return 0;
	return step_map(fn, priv, req_addr, req_range, req_obj, req_offset);
}

static int sm_unmap_walk(struct drm_gpuvm *gpuvm, const struct drm_gpuvm_ops *fn, void *priv,
			 uint64_t req_addr, uint64_t req_range)
{
	const uint64_t req_end = req_addr + req_range;
	struct drm_gpuva *va, *next;
	int ret;

	if (!drm_gpuvm_range_valid(gpuvm, req_addr, req_range))
		return -EINVAL;

	drm_gpuvm_for_each_va_range_safe(va, next, gpuvm, req_addr, req_end) {
		const uint64_t addr = va->va.addr, end = addr + va->va.range;
		struct drm_gpuva_op_map p = {
			.va = { .addr = addr, .range = req_addr - addr },
			.gem = { .offset = va->gem.offset, .obj = va->gem.obj },
		};
		struct drm_gpuva_op_map n = {
			.va = { .addr = req_end, .range = end - req_end },
			.gem = { .offset = va->gem.offset + (req_end - addr), .obj = va->gem.obj },
		};
		struct drm_gpuva_op_unmap u = { .va = va, .keep = false };

		if (addr < req_addr || end > req_end)
			ret = step_remap(fn, priv, addr < req_addr ? &p : NULL,
					 end > req_end ? &n : NULL, &u);
		else
			ret = step_unmap(fn, priv, va, false);
		if (ret)
			return ret;
	}
	return 0;
}

int drm_gpuvm_sm_map(struct drm_gpuvm *gpuvm, void *priv, const struct drm_gpuvm_map_req *req)
{
	const struct drm_gpuvm_ops *ops;

	if (!gpuvm || !req)
		return -EINVAL;
	ops = gpuvm->ops;
	if (!ops->sm_step_map || !ops->sm_step_remap || !ops->sm_step_unmap)
		return -EINVAL;
	return sm_map_walk(gpuvm, ops, priv, req, false);
}

int drm_gpuvm_sm_unmap(struct drm_gpuvm *gpuvm, void *priv, uint64_t addr, uint64_t range)
{
	const struct drm_gpuvm_ops *ops;

	if (!gpuvm)
		return -EINVAL;
	ops = gpuvm->ops;
	if (!ops->sm_step_remap || !ops->sm_step_unmap)
		return -EINVAL;
	return sm_unmap_walk(gpuvm, ops, priv, addr, range);
}

/* ---- locking what a walk touches ------------------------------------------------- */

static int step_lock(struct drm_gpuva_op *op, void *priv)
{
	struct drm_exec *exec = priv;
	struct drm_gpuva *va;

	switch (op->op) {
	case DRM_GPUVA_OP_REMAP:
		va = op->remap.unmap->va;
		break;
	case DRM_GPUVA_OP_UNMAP:
		va = op->unmap.va;
		break;
	default:
		return 0;
	}
	return va->gem.obj ? drm_exec_lock_obj(exec, va->gem.obj) : 0;
}

static const struct drm_gpuvm_ops lock_ops = {
	.sm_step_map = step_lock,
	.sm_step_remap = step_lock,
	.sm_step_unmap = step_lock,
};

int drm_gpuvm_sm_map_exec_lock(struct drm_gpuvm *gpuvm, struct drm_exec *exec,
			       unsigned int num_fences, struct drm_gpuvm_map_req *req)
{
	int ret;

	if (!gpuvm || !exec || !req)
		return -EINVAL;
	if (!drm_gpuvm_range_valid(gpuvm, req->map.va.addr, req->map.va.range))
		return -EINVAL;	/* before locking anything */
	if (req->map.gem.obj) {
		ret = drm_exec_prepare_obj(exec, req->map.gem.obj, num_fences);
		if (ret)
			return ret;
	}
	return sm_map_walk(gpuvm, &lock_ops, exec, req, false);
}

int drm_gpuvm_sm_unmap_exec_lock(struct drm_gpuvm *gpuvm, struct drm_exec *exec, uint64_t addr,
				 uint64_t range)
{
	if (!gpuvm || !exec)
		return -EINVAL;
	return sm_unmap_walk(gpuvm, &lock_ops, exec, addr, range);
}

/* ---- op lists ------------------------------------------------------------------------ */

static struct drm_gpuva_op *op_alloc(struct drm_gpuvm *gpuvm)
{
	const struct drm_gpuvm_ops *fn = gpuvm->ops;

	return fn->op_alloc ? fn->op_alloc() : resv__zalloc(sizeof(struct drm_gpuva_op));
}

static void op_free(struct drm_gpuvm *gpuvm, struct drm_gpuva_op *op)
{
	const struct drm_gpuvm_ops *fn = gpuvm->ops;

	if (fn->op_free)
		fn->op_free(op);
	else
		resv__free(op, sizeof(*op));
}

static void *memdup(const void *src, size_t size)
{
	void *p = resv__malloc(size);

	if (p)
		memcpy(p, src, size);
	return p;
}

struct ops_args {
	struct drm_gpuvm *vm;
	struct drm_gpuva_ops *ops;
};

/* A step callback that records a copy of the step on a list. */
static int step_record(struct drm_gpuva_op *step, void *priv)
{
	struct ops_args *args = priv;
	struct drm_gpuva_op *op = op_alloc(args->vm);

	if (!op)
		return -ENOMEM;
	op->op = step->op;
	switch (step->op) {
	case DRM_GPUVA_OP_REMAP:
		/* The step's pieces live on the walker's stack: copy them. */
		op->remap.unmap = memdup(step->remap.unmap, sizeof(*step->remap.unmap));
		op->remap.prev = step->remap.prev ?
				 memdup(step->remap.prev, sizeof(*step->remap.prev)) : NULL;
		op->remap.next = step->remap.next ?
				 memdup(step->remap.next, sizeof(*step->remap.next)) : NULL;
		if (!op->remap.unmap || (step->remap.prev && !op->remap.prev) ||
		    (step->remap.next && !op->remap.next)) {
			resv__free(op->remap.unmap, sizeof(*op->remap.unmap));
			resv__free(op->remap.prev, sizeof(*op->remap.prev));
			resv__free(op->remap.next, sizeof(*op->remap.next));
			op_free(args->vm, op);
			return -ENOMEM;
		}
		break;
	case DRM_GPUVA_OP_MAP:
		op->map = step->map;
		break;
	case DRM_GPUVA_OP_UNMAP:
		op->unmap = step->unmap;
		break;
	default:
		op->prefetch = step->prefetch;
		break;
	}
	cds_list_add_tail(&op->entry, &args->ops->list);
	return 0;
}

static const struct drm_gpuvm_ops record_ops = {
	.sm_step_map = step_record,
	.sm_step_remap = step_record,
	.sm_step_unmap = step_record,
};

static struct drm_gpuva_ops *ops_new(void)
{
	struct drm_gpuva_ops *ops = resv__malloc(sizeof(*ops));

	if (ops)
		CDS_INIT_LIST_HEAD(&ops->list);
	return ops;
}

static struct drm_gpuva_ops *map_ops_create(struct drm_gpuvm *gpuvm,
					    const struct drm_gpuvm_map_req *req, bool madvise)
{
	struct ops_args args = { .vm = gpuvm };
	int ret;

	if (!gpuvm || !req)
		return resv_err_ptr(-EINVAL);
	if (!drm_gpuvm_range_valid(gpuvm, req->map.va.addr, req->map.va.range))
		return resv_err_ptr(-EINVAL);
	args.ops = ops_new();
	if (!args.ops)
		return resv_err_ptr(-ENOMEM);
	ret = sm_map_walk(gpuvm, &record_ops, &args, req, madvise);
	if (ret) {
		drm_gpuva_ops_free(gpuvm, args.ops);
		return resv_err_ptr(ret);
	}
	return args.ops;
}

struct drm_gpuva_ops *drm_gpuvm_sm_map_ops_create(struct drm_gpuvm *gpuvm,
						  const struct drm_gpuvm_map_req *req)
{
	return map_ops_create(gpuvm, req, false);
}

struct drm_gpuva_ops *drm_gpuvm_madvise_ops_create(struct drm_gpuvm *gpuvm,
						   const struct drm_gpuvm_map_req *req)
{
	return map_ops_create(gpuvm, req, true);
}

struct drm_gpuva_ops *drm_gpuvm_sm_unmap_ops_create(struct drm_gpuvm *gpuvm, uint64_t addr,
						    uint64_t range)
{
	struct ops_args args = { .vm = gpuvm };
	int ret;

	if (!gpuvm || !drm_gpuvm_range_valid(gpuvm, addr, range))
		return resv_err_ptr(-EINVAL);
	args.ops = ops_new();
	if (!args.ops)
		return resv_err_ptr(-ENOMEM);
	ret = sm_unmap_walk(gpuvm, &record_ops, &args, addr, range);
	if (ret) {
		drm_gpuva_ops_free(gpuvm, args.ops);
		return resv_err_ptr(ret);
	}
	return args.ops;
}

/* Append one PREFETCH or UNMAP op for @va; on failure free the list. */
static struct drm_gpuva_ops *ops_append(struct drm_gpuvm *gpuvm, struct drm_gpuva_ops *ops,
					enum drm_gpuva_op_type type, struct drm_gpuva *va)
{
	struct drm_gpuva_op *op = op_alloc(gpuvm);

	if (!op) {
		drm_gpuva_ops_free(gpuvm, ops);
		return resv_err_ptr(-ENOMEM);
	}
	op->op = type;
	if (type == DRM_GPUVA_OP_PREFETCH) {
		op->prefetch.va = va;
	} else {
		op->unmap.va = va;
		op->unmap.keep = false;
	}
	cds_list_add_tail(&op->entry, &ops->list);
	return ops;
}

struct drm_gpuva_ops *drm_gpuvm_prefetch_ops_create(struct drm_gpuvm *gpuvm, uint64_t addr,
						    uint64_t range)
{
	struct drm_gpuva_ops *ops;
	struct drm_gpuva *va;
	uint64_t end = addr + range;

	if (!gpuvm)
		return resv_err_ptr(-EINVAL);
	ops = ops_new();
	if (!ops)
		return resv_err_ptr(-ENOMEM);
	drm_gpuvm_for_each_va_range(va, gpuvm, addr, end) {
		ops = ops_append(gpuvm, ops, DRM_GPUVA_OP_PREFETCH, va);
		if (resv_is_err(ops))
			return ops;
	}
	return ops;
}

struct drm_gpuva_ops *drm_gpuvm_bo_unmap_ops_create(struct drm_gpuvm_bo *vm_bo)
{
	struct drm_gpuva_ops *ops;
	struct drm_gpuva *va;

	if (!vm_bo)
		return resv_err_ptr(-EINVAL);
	drm_gem_gpuva_assert_lock_held(vm_bo->vm, vm_bo->obj);
	ops = ops_new();
	if (!ops)
		return resv_err_ptr(-ENOMEM);
	drm_gpuvm_bo_for_each_va(va, vm_bo) {
		ops = ops_append(vm_bo->vm, ops, DRM_GPUVA_OP_UNMAP, va);
		if (resv_is_err(ops))
			return ops;
	}
	return ops;
}

void drm_gpuva_ops_free(struct drm_gpuvm *gpuvm, struct drm_gpuva_ops *ops)
{
	struct drm_gpuva_op *op, *next;

	if (!ops || resv_is_err(ops))
		return;
	drm_gpuva_for_each_op_safe(op, next, ops) {
		cds_list_del(&op->entry);
		if (op->op == DRM_GPUVA_OP_REMAP) {
			resv__free(op->remap.prev, sizeof(*op->remap.prev));
			resv__free(op->remap.next, sizeof(*op->remap.next));
			resv__free(op->remap.unmap, sizeof(*op->remap.unmap));
		}
		op_free(gpuvm, op);
	}
	resv__free(ops, sizeof(*ops));
}

/* ---- applying steps to the tree ------------------------------------------------------- */

int drm_gpuva_map(struct drm_gpuvm *gpuvm, struct drm_gpuva *va, const struct drm_gpuva_op_map *op)
{
	if (!gpuvm || !va || !op)
		return -EINVAL;
	drm_gpuva_init_from_op(va, op);
	return drm_gpuva_insert(gpuvm, va);
}

int drm_gpuva_remap(struct drm_gpuva *prev, struct drm_gpuva *next,
		    const struct drm_gpuva_op_remap *op)
{
	struct drm_gpuvm *gpuvm;
	int ret;

	if (!op || !op->unmap || !op->unmap->va || !op->unmap->va->vm ||
	    (op->prev && !prev) || (op->next && !next))
		return -EINVAL;
	gpuvm = op->unmap->va->vm;

	/* The pieces hold VM references before the old mapping drops its own,
	 * so the VM cannot go away half way. */
	drm_gpuvm_get(gpuvm);
	ret = drm_gpuva_remove(op->unmap->va);
	if (!ret && op->prev) {
		drm_gpuva_init_from_op(prev, op->prev);
		ret = drm_gpuva_insert(gpuvm, prev);
	}
	if (!ret && op->next) {
		drm_gpuva_init_from_op(next, op->next);
		ret = drm_gpuva_insert(gpuvm, next);
	}
	drm_gpuvm_put(gpuvm);
	return ret;
}

int drm_gpuva_unmap(const struct drm_gpuva_op_unmap *op)
{
	if (!op)
		return -EINVAL;
	return drm_gpuva_remove(op->va);
}
