/* SPDX-License-Identifier: MIT */
/*
 * VM_BIND: map and unmap requests turned into drm_gpuvm's split/merge
 * steps, applied to the VA tree at once and to the page table at once
 * (synchronous) or from the VM's bind engine once the in-fences signalled
 * (asynchronous).
 *
 * A bind runs in two phases, as xe's: everything that can fail first —
 * arguments, locks, the op list, the new mappings, the vm_bo, the
 * page-table update's memory, the bind job — then the commit, which cannot
 * fail. So an error leaves the VM as it was, and an asynchronous commit
 * runs inside a fence signalling section without allocating.
 */
#include <errno.h>
#include <string.h>

#include <sim/file.h>

#include "vm-internal.h"

/* At most: one MAP, plus the two pieces of the REMAPs at the ends. */
#define BIND_MAX_NEW_VMAS 3

struct bind_prep {
	struct sim_bo *bo;		/* MAP: a reference */
	struct drm_gpuvm_bo *vm_bo;	/* MAP: from obtain, a reference */
	struct drm_gpuva_ops *ops;
	struct sim_vma *vmas[BIND_MAX_NEW_VMAS];
	unsigned int num_vmas, next_vma;
	struct sim_vm_bind_item *item;	/* queued: the update lives here */
	struct sim_pt_update upd;	/* inline: here */
	struct sim_job *job;		/* queued */
	bool queued;
};

/* ---- the bind engine --------------------------------------------------------- */

/* The engine runs its jobs one at a time in seqno order, and binds and
 * rebinds queue their items in the same order (queue and arm under the VM
 * resv): the head item is the running job's. */
static struct sim_vm_bind_item *bind_queue_head(struct sim_vm *vm, bool pop)
{
	struct sim_vm_bind_item *item;

	pthread_mutex_lock(&vm->bind_lock);
	item = cds_list_first_entry(&vm->bind_queue, struct sim_vm_bind_item, link);
	if (pop)
		cds_list_del(&item->link);
	pthread_mutex_unlock(&vm->bind_lock);
	return item;
}

/* In the signalling section: no allocation, no wait. */
static int bind_job_run(struct sim_job *job, int64_t deadline)
{
	struct sim_vm *vm = caa_container_of(job->engine, struct sim_vm, bind_engine);
	struct sim_vm_bind_item *item = bind_queue_head(vm, false);

	for (unsigned int i = 0; i < item->num_upd; i++)
		sim_pt_update_commit(&item->upd[i]);
	return 0;
}

static size_t item_size(unsigned int num_upd)
{
	return sizeof(struct sim_vm_bind_item) + num_upd * sizeof(struct sim_pt_update);
}

static void item_free(struct sim_vm_bind_item *item)
{
	if (!item)
		return;
	for (unsigned int i = 0; i < item->num_upd; i++)
		sim_pt_update_fini(&item->upd[i]);
	resv_free(item, item_size(item->num_upd));
}

/* After the fence, also for a cancelled job (then nothing was applied). */
static void bind_job_release(struct sim_job *job)
{
	struct sim_vm *vm = caa_container_of(job->engine, struct sim_vm, bind_engine);

	item_free(bind_queue_head(vm, true));
}

/*
 * The VA tree was updated when the bind was submitted, so the page table
 * must follow whatever happened to the in-fences: a failed in-fence does
 * not stop the update (and the out-fence carries no error).
 */
static const struct sim_job_ops bind_job_ops = {
	.ignore_dep_errors = true,
	.run = bind_job_run,
	.release = bind_job_release,
};

int sim__vm_bind_job_create(struct sim_vm *vm, unsigned int num_upd,
			    struct sim_vm_bind_item **item, struct sim_job **job)
{
	int ret;

	*item = NULL;
	*job = NULL;
	if (!vm->bind_engine_started) {
		ret = sim__engine_start(&vm->bind_engine);
		if (ret)
			return ret;
		vm->bind_engine_started = true;
	}
	*item = resv_zalloc(item_size(num_upd));
	if (!*item)
		return -ENOMEM;
	(*item)->num_upd = num_upd;
	ret = sim__job_create_kernel(&vm->bind_engine, &bind_job_ops, job);
	if (ret) {
		item_free(*item);
		*item = NULL;
	}
	return ret;
}

void sim__vm_bind_job_abort(struct sim_vm_bind_item *item, struct sim_job *job)
{
	sim_job_free(job);
	item_free(item);
}

struct dma_fence *sim__vm_bind_job_arm(struct sim_vm *vm, struct sim_vm_bind_item *item,
				       struct sim_job *job)
{
	pthread_mutex_lock(&vm->bind_lock);
	cds_list_add_tail(&item->link, &vm->bind_queue);
	pthread_mutex_unlock(&vm->bind_lock);
	return sim_job_arm(job);
}

void sim__vm_bind_engine_stop(struct sim_vm *vm)
{
	if (!vm->bind_engine_started)
		return;
	sim__engine_stop(&vm->bind_engine);
	sim__engine_cancel_queue(&vm->bind_engine);
	vm->bind_engine_started = false;
}

/* ---- arguments ------------------------------------------------------------------ */

static bool bind_range_ok(struct sim_vm *vm, uint64_t va, uint64_t range)
{
	return !(va % SIM_PAGE_SIZE) && !(range % SIM_PAGE_SIZE) &&
	       drm_gpuvm_range_valid(&vm->gpuvm, va, range);
}

static int bind_check_args(struct sim_vm *vm, const struct sim_vm_bind *args)
{
	if (args->flags & ~(SIM_VM_BIND_FLAG_READONLY | SIM_VM_BIND_FLAG_ASYNC))
		return -EINVAL;
	if (args->op != SIM_VM_BIND_OP_MAP && args->op != SIM_VM_BIND_OP_UNMAP &&
	    args->op != SIM_VM_BIND_OP_MAP_USERPTR)
		return -EINVAL;
	if (args->num_in_fences && !args->in_fences)
		return -EINVAL;
	for (unsigned int i = 0; i < args->num_in_fences; i++)
		if (!args->in_fences[i])
			return -EINVAL;
	if (!bind_range_ok(vm, args->va, args->range))
		return -EINVAL;
	if (args->op == SIM_VM_BIND_OP_MAP_USERPTR && (!args->mm || args->userptr % SIM_PAGE_SIZE))
		return -EINVAL;
	return 0;
}

/*
 * The BO a MAP names — the one place handles are looked up — or the
 * userptr BO standing for a MAP_USERPTR's pages. Returns a reference.
 */
static int bind_get_bo(struct sim_vm *vm, const struct sim_vm_bind *args, struct sim_bo **out)
{
	struct sim_bo *bo;
	int ret;

	*out = NULL;
	if (args->op == SIM_VM_BIND_OP_UNMAP)
		return 0;
	if (args->op == SIM_VM_BIND_OP_MAP_USERPTR) {
		/* Its own resv (an external object of the VM, as i915's and
		 * amdgpu's userptr BOs); the VM's notifier lock. */
		ret = sim_bo_create_userptr(vm->dev, args->mm, args->userptr, args->range,
					    vm->notifier_lock, out);
		return ret;
	}
	if (args->handle) {
		if (!vm->file)
			return -EINVAL;
		bo = sim_file_lookup_bo(vm->file, args->handle);
		if (!bo)
			return -ENOENT;
	} else {
		if (!args->bo)
			return -EINVAL;
		bo = sim_bo_get(args->bo);
	}
	if (bo->dev != vm->dev || args->bo_offset % SIM_PAGE_SIZE ||
	    args->bo_offset > bo->base.size || args->range > bo->base.size - args->bo_offset ||
	    (bo->userptr && bo->userptr->lock != vm->notifier_lock)) {
		sim_bo_put(bo);
		return -EINVAL;
	}
	*out = bo;
	return 0;
}

/* ---- prepare: everything that may fail ------------------------------------------- */

static int prep_alloc_vma(struct bind_prep *p)
{
	struct sim_vma *vma;

	if (p->num_vmas == BIND_MAX_NEW_VMAS)
		return -EINVAL;	/* drm_gpuvm never asks for more */
	vma = resv_zalloc(sizeof(*vma));
	if (!vma)
		return -ENOMEM;
	p->vmas[p->num_vmas++] = vma;
	return 0;
}

static int prep_vmas(struct bind_prep *p)
{
	struct drm_gpuva_op *op;
	int ret = 0;

	drm_gpuva_for_each_op(op, p->ops) {
		switch (op->op) {
		case DRM_GPUVA_OP_MAP:
			ret = prep_alloc_vma(p);
			break;
		case DRM_GPUVA_OP_REMAP:
			if (op->remap.prev)
				ret = prep_alloc_vma(p);
			if (!ret && op->remap.next)
				ret = prep_alloc_vma(p);
			break;
		default:
			break;
		}
		if (ret)
			return ret;
	}
	return 0;
}

static int prep_queue(struct sim_vm *vm, const struct sim_vm_bind *args, struct bind_prep *p)
{
	int ret;

	ret = sim__vm_bind_job_create(vm, 1, &p->item, &p->job);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < args->num_in_fences; i++) {
		ret = sim_job_add_dependency(p->job, args->in_fences[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* Must the page-table update wait on the bind engine? */
static bool bind_must_queue(struct sim_vm *vm, const struct sim_vm_bind *args)
{
	bool busy;

	if (args->flags & SIM_VM_BIND_FLAG_ASYNC)
		return true;
	for (unsigned int i = 0; i < args->num_in_fences; i++)
		if (!dma_fence_is_signaled(args->in_fences[i]))
			return true;
	/* Binds apply in order: behind queued ones, queue too. */
	pthread_mutex_lock(&vm->bind_lock);
	busy = !cds_list_empty(&vm->bind_queue);
	pthread_mutex_unlock(&vm->bind_lock);
	return busy;
}

static int bind_prepare(struct sim_vm *vm, const struct sim_vm_bind *args, struct bind_prep *p)
{
	struct sim_pt_update *upd;
	int ret;

	if (p->bo) {
		struct drm_gpuvm_map_req req = {
			.map = {
				.va = { .addr = args->va, .range = args->range },
				.gem = { .offset = args->bo_offset, .obj = &p->bo->base },
			},
		};

		p->ops = drm_gpuvm_sm_map_ops_create(&vm->gpuvm, &req);
	} else {
		p->ops = drm_gpuvm_sm_unmap_ops_create(&vm->gpuvm, args->va, args->range);
	}
	if (resv_is_err(p->ops)) {
		ret = (int)resv_ptr_err(p->ops);
		p->ops = NULL;
		return ret;
	}
	ret = prep_vmas(p);
	if (ret)
		return ret;
	if (p->bo) {
		/* The gpuva lock is the BO's resv, locked above. */
		p->vm_bo = drm_gpuvm_bo_obtain(&vm->gpuvm, &p->bo->base);
		if (resv_is_err(p->vm_bo)) {
			ret = (int)resv_ptr_err(p->vm_bo);
			p->vm_bo = NULL;
			return ret;
		}
	}
	p->queued = bind_must_queue(vm, args);
	if (p->queued) {
		ret = prep_queue(vm, args, p);
		if (ret)
			return ret;
		upd = &p->item->upd[0];
	} else {
		upd = &p->upd;
	}
	/* One page-table update covers the request: whatever the steps, the
	 * range ends up mapping the request (MAP) or nothing (unmap), and
	 * the pieces outside it stay (sim_pt trims or splits them). */
	return sim_pt_update_prepare(upd, vm->pt, args->va, args->range, p->bo, args->bo_offset,
				     (args->flags & SIM_VM_BIND_FLAG_READONLY) ? SIM_PT_READ_ONLY : 0);
}

/* Undo bind_prepare(): the VM is as before. VM resv and BO locks held. */
static void bind_unprepare(struct sim_vm *vm, struct bind_prep *p)
{
	if (p->queued) {
		sim__vm_bind_job_abort(p->item, p->job);
		p->item = NULL;
		p->job = NULL;
	}
	/* An inline update is finished by the caller, after unlocking. */
	/* A vm_bo obtain created has only this reference: the put destroys
	 * it (gpuva lock and VM resv held). */
	drm_gpuvm_bo_put(p->vm_bo);
	for (unsigned int i = 0; i < p->num_vmas; i++)
		resv_free(p->vmas[i], sizeof(struct sim_vma));
	drm_gpuva_ops_free(&vm->gpuvm, p->ops);
}

/* ---- commit: cannot fail ------------------------------------------------------------ */

static struct sim_vma *next_vma(struct bind_prep *p)
{
	return p->vmas[p->next_vma++];
}

static void report_broken(struct sim_vm *vm, const char *what, int ret)
{
	/* The steps come from the tree they are applied to: a failure here
	 * is a bug in drm_gpuvm or in this file. */
	fprintf(stderr, "sim: VM_BIND: %s failed (%d): VA tree inconsistent\n", what, ret);
}

static void commit_remap(struct sim_vm *vm, struct bind_prep *p, struct drm_gpuva_op *op)
{
	struct drm_gpuva *old = op->remap.unmap->va;
	struct drm_gpuvm_bo *vm_bo = old->vm_bo;
	struct sim_vma *prev = op->remap.prev ? next_vma(p) : NULL;
	struct sim_vma *next = op->remap.next ? next_vma(p) : NULL;
	int ret;

	ret = drm_gpuva_remap(prev ? &prev->base : NULL, next ? &next->base : NULL, &op->remap);
	if (ret)
		report_broken(vm, "remap", ret);
	/* The pieces keep the old mapping's flags; link them before the old
	 * one lets go of the vm_bo, so it is not destroyed in between. */
	if (prev) {
		prev->pt_flags = to_sim_vma(old)->pt_flags;
		if (vm_bo)
			(void)drm_gpuva_link(&prev->base, vm_bo);
	}
	if (next) {
		next->pt_flags = to_sim_vma(old)->pt_flags;
		if (vm_bo)
			(void)drm_gpuva_link(&next->base, vm_bo);
	}
	drm_gpuva_unlink(old);
	resv_free(to_sim_vma(old), sizeof(struct sim_vma));
	SIM_VM_STAT_INC(vm, remap_ops);
}

static void commit_unmap(struct sim_vm *vm, struct drm_gpuva_op *op)
{
	struct drm_gpuva *old = op->unmap.va;
	int ret = drm_gpuva_unmap(&op->unmap);

	if (ret)
		report_broken(vm, "unmap", ret);
	drm_gpuva_unlink(old);	/* the last one destroys the vm_bo */
	resv_free(to_sim_vma(old), sizeof(struct sim_vma));
	SIM_VM_STAT_INC(vm, unmap_ops);
}

static void commit_map(struct sim_vm *vm, struct bind_prep *p, struct drm_gpuva_op *op,
		       uint32_t pt_flags)
{
	struct sim_vma *vma = next_vma(p);
	int ret;

	vma->pt_flags = pt_flags;
	ret = drm_gpuva_map(&vm->gpuvm, &vma->base, &op->map);
	if (ret)
		report_broken(vm, "map", ret);
	ret = drm_gpuva_link(&vma->base, p->vm_bo);
	if (ret)
		report_broken(vm, "link", ret);
	SIM_VM_STAT_INC(vm, map_ops);
}

/* The MAP's vm_bo: on the VM's lists as needed. */
static void commit_vm_bo(struct sim_vm *vm, struct bind_prep *p)
{
	struct sim_vm_bo *vm_bo = to_sim_vm_bo(p->vm_bo);

	drm_gpuvm_bo_extobj_add(p->vm_bo);
	/* Never populated: the next exec must give it storage (validate)
	 * and bind its mappings to it, as after an eviction. */
	if (p->bo->placement == SIM_PL_NONE)
		drm_gpuvm_bo_evict(p->vm_bo, true);
	if (p->bo->userptr && !vm_bo->on_userptr_list) {
		cds_list_add_tail(&vm_bo->userptr_link, &vm->userptrs);
		vm_bo->on_userptr_list = true;
	}
	drm_gpuvm_bo_put(p->vm_bo);	/* the mappings hold their own */
	p->vm_bo = NULL;
}

static void commit_tree(struct sim_vm *vm, struct bind_prep *p, uint32_t pt_flags)
{
	struct drm_gpuva_op *op;

	drm_gpuva_for_each_op(op, p->ops) {
		switch (op->op) {
		case DRM_GPUVA_OP_MAP:
			commit_map(vm, p, op, pt_flags);
			break;
		case DRM_GPUVA_OP_REMAP:
			commit_remap(vm, p, op);
			break;
		case DRM_GPUVA_OP_UNMAP:
			commit_unmap(vm, op);
			break;
		default:
			break;
		}
	}
	if (p->vm_bo)
		commit_vm_bo(vm, p);
	drm_gpuva_ops_free(&vm->gpuvm, p->ops);
	p->ops = NULL;
}

/* Queue the page-table update on the bind engine; returns its fence (a
 * reference). Fence slots were reserved on the VM resv and on the BO. */
static struct dma_fence *commit_queue(struct sim_vm *vm, struct bind_prep *p)
{
	struct dma_fence *fence = dma_fence_get(sim__vm_bind_job_arm(vm, p->item, p->job));

	/* Moves and evictions wait for the update (BOOKKEEP: nobody's
	 * implicit sync), as xe publishes its bind fences. */
	dma_resv_add_fence(sim_vm_resv(vm), fence, DMA_RESV_USAGE_BOOKKEEP);
	if (p->bo && drm_gpuvm_is_extobj(&vm->gpuvm, &p->bo->base))
		dma_resv_add_fence(p->bo->base.resv, fence, DMA_RESV_USAGE_BOOKKEEP);
	sim_job_push(p->job);
	p->job = NULL;
	p->item = NULL;
	return fence;
}

/* ---- the request ------------------------------------------------------------------------ */

static int bind_lock(struct sim_vm *vm, const struct sim_vm_bind *args, struct sim_bo *bo,
		     struct drm_exec *exec)
{
	int ret = 0;

	drm_exec_until_all_locked(exec) {
		/* One slot: the VM resv gets an asynchronous bind's fence. */
		ret = drm_gpuvm_prepare_vm(&vm->gpuvm, exec, 1);
		drm_exec_retry_on_contention(exec);
		if (ret)
			break;
		if (bo) {
			struct drm_gpuvm_map_req req = {
				.map = {
					.va = { .addr = args->va, .range = args->range },
					.gem = { .offset = args->bo_offset, .obj = &bo->base },
				},
			};

			/* @bo with one slot, and the objects of every
			 * mapping the request replaces. */
			ret = drm_gpuvm_sm_map_exec_lock(&vm->gpuvm, exec, 1, &req);
		} else {
			ret = drm_gpuvm_sm_unmap_exec_lock(&vm->gpuvm, exec, args->va, args->range);
		}
		drm_exec_retry_on_contention(exec);
		if (ret)
			break;
	}
	sim__vm_count_backoffs(vm, exec);
	return ret;
}

int sim_vm_bind(struct sim_vm *vm, const struct sim_vm_bind *args, struct dma_fence **out_fence)
{
	struct bind_prep p = { 0 };
	struct dma_fence *fence = NULL;
	struct drm_exec exec;
	bool wait;
	int ret;

	if (out_fence)
		*out_fence = NULL;
	if (!vm || !args)
		return -EINVAL;
	ret = bind_check_args(vm, args);
	if (ret)
		return ret;
	/* Before any lock: the userptr BO's creation may sleep. */
	ret = bind_get_bo(vm, args, &p.bo);
	if (ret)
		return ret;

	sim__vm_write_lock(vm);
	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT | DRM_EXEC_IGNORE_DUPLICATES, 0);
	ret = bind_lock(vm, args, p.bo, &exec);
	if (ret)
		goto out_unlock;
	ret = bind_prepare(vm, args, &p);
	if (ret) {
		bind_unprepare(vm, &p);
		goto out_unlock;
	}

	/* Nothing can fail from here on. */
	commit_tree(vm, &p, (args->flags & SIM_VM_BIND_FLAG_READONLY) ? SIM_PT_READ_ONLY : 0);
	if (p.queued) {
		fence = commit_queue(vm, &p);
		SIM_VM_STAT_INC(vm, async_binds);
	} else {
		sim_pt_update_commit(&p.upd);
	}
	if (args->op == SIM_VM_BIND_OP_UNMAP)
		SIM_VM_STAT_INC(vm, unbinds);
	else
		SIM_VM_STAT_INC(vm, binds);

out_unlock:
	drm_exec_fini(&exec);
	sim__vm_unlock(vm);
	/* Outside every lock: the update's leftovers may hold the last
	 * references of BOs that were unmapped. */
	sim_pt_update_fini(&p.upd);
	sim_bo_put(p.bo);
	if (ret)
		return ret;

	/* A synchronous bind that had to queue (in-fences, or binds ahead of
	 * it) completes before returning. Not interruptible: the VA tree
	 * already shows it, so it can no longer fail. */
	wait = fence && !(args->flags & SIM_VM_BIND_FLAG_ASYNC);
	if (wait)
		dma_fence_wait(fence, false);
	if (out_fence)
		*out_fence = fence ? fence : dma_fence_get_stub();
	else
		dma_fence_put(fence);
	return 0;
}
