/* SPDX-License-Identifier: MIT */
/*
 * exec on a VM, as xe_exec.c: no object list — the VM's resv covers its
 * local BOs and its extobj list names the others. Userptrs are snapshotted
 * before any reservation is taken, evicted BOs are revalidated and rebound
 * inside the locking loop (their eviction contention restarts it), and the
 * userptr check and the fence publication happen under the notifier lock,
 * atomic with respect to invalidations.
 */
#include <errno.h>

#include "vm-internal.h"

#include <sim/trace.h>

/* What the exec's drm_gpuvm_exec extra step needs. */
struct vm_exec_state {
	struct sim_vm *vm;
	struct sim_bo *contended;	/* after a validation's -EDEADLK; a reference */
	struct sim_bo *victim;		/* fed to drm_exec as contended; a reference */
	bool skip_validate;
};

/* ---- revalidation ------------------------------------------------------------ */

/* VRAM when allowed and there is room (evicting others with the exec's
 * ticket), else system memory if allowed: where an evicted BO goes back. */
static int vm_bo_place(struct sim_bo *bo, struct sim_op_ctx *op)
{
	int ret;

	if (bo->allowed & SIM_PL_MASK_VRAM) {
		ret = sim_bo_validate(bo, SIM_PL_MASK_VRAM, op);
		/* -EINVAL: pinned where it is, which is fine if allowed. */
		if ((ret != -ENOSPC && ret != -EINVAL) || !(bo->allowed & SIM_PL_MASK_SYSTEM))
			return ret;
	}
	return sim_bo_validate(bo, SIM_PL_MASK_SYSTEM, op);
}

/*
 * Bind the BO's mappings in this VM to its current storage — but not
 * before the jobs submitted earlier are done: they share the page table,
 * and one that still has to run was submitted against the old storage
 * (the eviction's copy waits for it, and would overwrite what it wrote
 * through a rebound mapping). Those jobs are behind the BO's KERNEL fences
 * (its moves wait for every user), so a rebind job on the bind engine
 * waits for those. Its fence goes into the VM's resv as KERNEL, as xe's
 * rebind fences: every later job of the VM waits for it. When nothing is
 * pending the rebind is done at once.
 */
static int vm_bo_rebind(struct sim_vm *vm, struct drm_gpuvm_bo *vm_bo)
{
	struct sim_bo *bo = to_sim_bo(vm_bo->obj);
	struct sim_vm_bind_item *item;
	struct dma_fence *fence;
	struct drm_gpuva *va;
	struct sim_job *job;
	unsigned int n = 0;
	int ret;

	if (dma_resv_test_signaled(bo->base.resv, DMA_RESV_USAGE_BOOKKEEP)) {
		sim_pt_rebind(vm->pt, bo);
		return 0;
	}
	drm_gpuvm_bo_for_each_va(va, vm_bo)
		n++;
	ret = dma_resv_reserve_fences(sim_vm_resv(vm), 2);	/* this and the job's */
	if (ret)
		return ret;
	ret = sim__vm_bind_job_create(vm, n, &item, &job);
	if (ret)
		return ret;
	n = 0;
	drm_gpuvm_bo_for_each_va(va, vm_bo) {
		ret = sim_pt_update_prepare(&item->upd[n++], vm->pt, va->va.addr, va->va.range, bo,
					    va->gem.offset, to_sim_vma(va)->pt_flags);
		if (ret)
			goto err;
	}
	ret = sim_job_add_resv_dependencies(job, bo->base.resv, DMA_RESV_USAGE_KERNEL);
	if (ret)
		goto err;
	fence = sim__vm_bind_job_arm(vm, item, job);
	dma_resv_add_fence(sim_vm_resv(vm), fence, DMA_RESV_USAGE_KERNEL);
	sim_job_push(job);
	return 0;

err:
	sim__vm_bind_job_abort(item, job);
	return ret;
}

int sim__vm_bo_validate(struct drm_gpuvm_bo *vm_bo, struct drm_exec *exec)
{
	struct drm_gpuvm_exec *vm_exec = caa_container_of(exec, struct drm_gpuvm_exec, exec);
	struct vm_exec_state *st = vm_exec->extra.priv;
	struct sim_bo *bo = to_sim_bo(vm_bo->obj);
	struct sim_op_ctx op = { .ticket = &exec->ticket, .interruptible = true };
	int ret;

	/* Spinlock mode: an object listed after this exec locked the extobjs
	 * is not ours to touch; the next exec validates it. (Binds take the
	 * VM lock for writing, so with this driver it does not happen.) */
	if (dma_resv_locking_ctx(bo->base.resv) != &exec->ticket)
		return 0;
	ret = vm_bo_place(bo, &op);
	if (ret == -EDEADLK) {
		st->contended = op.contended;	/* the reference moves */
		op.contended = NULL;
	}
	sim_op_ctx_fini(&op);
	if (ret)
		return ret;
	/* Its mappings in this VM still point at the storage it had when it
	 * was evicted: bind them to the current one. */
	ret = vm_bo_rebind(st->vm, vm_bo);
	if (ret)
		return ret;
	drm_gpuvm_bo_evict(vm_bo, false);
	SIM_VM_STAT_INC(st->vm, revalidations);
	return 0;
}

/*
 * Eviction met a lock held by an older transaction: Wait-Die says -EDEADLK
 * and sim_bo_validate() hands the victim back in &sim_op_ctx.contended.
 * The ww rules then want exactly drm_exec's own back-off: drop every lock,
 * sleep on the contended one holding none (dma_resv_lock_slow()), relock
 * the rest: resv_exec_contended() hands the victim to drm_exec, which
 * slow-locks it first thing in the next run of the loop body, counted as
 * RESV_EXEC_RESTART_CONTENDED — the same solution as execbuf's.
 */
static int feed_contended(struct drm_exec *exec, struct vm_exec_state *st)
{
	struct sim_bo *victim = st->contended;
	int ret;

	st->contended = NULL;
	/* Every lock call of this run succeeded: nothing can be pending. */
	if (!victim)
		return -EDEADLK;
	ret = resv_exec_contended(exec, &victim->base, false);
	if (ret != -EDEADLK) {
		sim_bo_put(victim);
		return ret;
	}
	st->victim = victim;	/* our reference moves; drm_exec took its own */
	return -EDEADLK;
}

/*
 * The victim of the previous run was slow-locked by this run's first lock
 * call. It is not the job's (drm_gpuvm_resv_add_fence() would publish to
 * it): having waited for its holder is all we wanted; let it go, so that
 * validation finds it on the LRU like any other.
 */
static void release_victim(struct drm_exec *exec, struct vm_exec_state *st)
{
	struct sim_bo *victim = st->victim;

	st->victim = NULL;
	if (dma_resv_locking_ctx(victim->base.resv) == &exec->ticket)
		drm_exec_unlock_obj(exec, &victim->base);
	sim_bo_put(victim);	/* after the unlock: never the last under it */
}

/* drm_gpuvm_exec_lock()'s extra step: revalidate inside the locking loop. */
static int vm_exec_extra(struct drm_gpuvm_exec *vm_exec)
{
	struct vm_exec_state *st = vm_exec->extra.priv;
	int ret;

	if (st->victim)
		release_victim(&vm_exec->exec, st);
	if (st->skip_validate)
		return 0;
	ret = drm_gpuvm_validate(vm_exec->vm, &vm_exec->exec);
	if (ret == -EDEADLK)
		ret = feed_contended(&vm_exec->exec, st);
	return ret;
}

/* ---- userptrs -------------------------------------------------------------------- */

static bool userptrs_need_repin(struct sim_vm *vm)
{
	struct sim_vm_bo *vm_bo;

	cds_list_for_each_entry(vm_bo, &vm->userptrs, userptr_link)
		if (resv_userptr_needs_repin(to_sim_bo(vm_bo->base.obj)->userptr))
			return true;
	return false;
}

/* Snapshot what was invalidated; no resv held (pages are never collected
 * under a reservation). VM lock held for writing, as xe repins. */
static int userptrs_repin(struct sim_vm *vm)
{
	struct sim_vm_bo *vm_bo;
	int ret;

	cds_list_for_each_entry(vm_bo, &vm->userptrs, userptr_link) {
		struct resv_userptr *up = to_sim_bo(vm_bo->base.obj)->userptr;

		if (!resv_userptr_needs_repin(up))
			continue;
		ret = resv_userptr_snapshot(up);
		if (ret)
			return ret;
		SIM_VM_STAT_INC(vm, userptr_repins);
	}
	return 0;
}

/*
 * Take the VM lock for the exec: for reading, after repinning (for
 * writing) whatever userptr was invalidated. An invalidation may come
 * right after: the final check catches it.
 */
static int vm_exec_lock_vm(struct sim_vm *vm)
{
	int ret;

	sim__vm_read_lock(vm);
	if (cds_list_empty(&vm->userptrs) || !userptrs_need_repin(vm))
		return 0;
	sim__vm_unlock(vm);

	sim__vm_write_lock(vm);
	ret = userptrs_repin(vm);
	sim__vm_unlock(vm);
	if (ret)
		return ret;
	sim__vm_read_lock(vm);
	return 0;
}

/* Under the notifier lock: is every snapshot still current? */
static bool userptrs_stale(struct sim_vm *vm)
{
	struct sim_vm_bo *vm_bo;

	cds_list_for_each_entry(vm_bo, &vm->userptrs, userptr_link)
		if (resv_userptr_check(to_sim_bo(vm_bo->base.obj)->userptr))
			return true;
	return false;
}

/* ---- exec ---------------------------------------------------------------------------- */

static int vm_exec_check_args(const struct sim_vm_exec *args)
{
	if (args->flags & ~SIM_VM_EXEC_SKIP_REVALIDATE)
		return -EINVAL;
	if (args->num_in_fences && !args->in_fences)
		return -EINVAL;
	for (unsigned int i = 0; i < args->num_in_fences; i++)
		if (!args->in_fences[i])
			return -EINVAL;
	return 0;
}

/*
 * The job waits for the KERNEL fences of the VM's resv only, as xe's exec:
 * moves of local BOs, and the rebinds. An external BO that moved was
 * marked evicted and revalidated, and its rebind waits for the move; one
 * that did not move has nothing pending for this VM. So the cost of an
 * exec does not grow with its external BOs here.
 */
static int vm_exec_add_deps(struct sim_vm *vm, struct sim_job *job)
{
	return sim_job_add_resv_dependencies(job, sim_vm_resv(vm), DMA_RESV_USAGE_KERNEL);
}

/*
 * One try with the VM lock held: lock, revalidate, add dependencies; then
 * under the notifier lock check the userptrs and publish. Returns 0 with
 * the job pushed (*@fence: a reference to its fence), -EAGAIN when a userptr went stale,
 * or an error. Every lock but the VM lock is dropped on return.
 */
static int vm_exec_try(struct sim_vm *vm, const struct sim_vm_exec *args, struct sim_job *job,
		       struct dma_fence **fence)
{
	struct vm_exec_state st = {
		.vm = vm,
		.skip_validate = args->flags & SIM_VM_EXEC_SKIP_REVALIDATE,
	};
	struct drm_gpuvm_exec vm_exec = {
		.vm = &vm->gpuvm,
		.flags = DRM_EXEC_INTERRUPTIBLE_WAIT,
		.num_fences = 1,
		.extra = { .fn = vm_exec_extra, .priv = &st },
	};
	bool userptrs = !cds_list_empty(&vm->userptrs);
	int ret;

	sim_trace_exec_begin();		/* resv-sim's trace: the locked section */
	ret = drm_gpuvm_exec_lock(&vm_exec);
	sim__vm_count_backoffs(vm, &vm_exec.exec);
	/* Left over when the loop ended on an error (all unlocked then). */
	sim_bo_put(st.contended);
	sim_bo_put(st.victim);
	if (ret)
		return ret;	/* already unlocked */
	ret = vm_exec_add_deps(vm, job);
	if (ret)
		goto out;

	/* No allocation from here to the unlock: invalidations may come
	 * from reclaim and wait for this lock. */
	if (userptrs) {
		resv_notifier_read_lock(vm->notifier_lock);
		if (userptrs_stale(vm)) {
			resv_notifier_read_unlock(vm->notifier_lock);
			ret = -EAGAIN;
			sim_trace_exec_restart(RESV_EXEC_RESTART_USERPTR_STALE);
			goto out;
		}
	}
	/* Our own reference before the push: the job may be done at once. */
	*fence = dma_fence_get(sim_job_arm(job));
	/* BOOKKEEP on both, as xe: VM jobs do not take part in implicit sync;
	 * moves, evictions and userptr invalidations still wait for them. */
	drm_gpuvm_resv_add_fence(&vm->gpuvm, &vm_exec.exec, *fence, DMA_RESV_USAGE_BOOKKEEP,
				 DMA_RESV_USAGE_BOOKKEEP);
	sim_job_push(job);
	if (userptrs)
		resv_notifier_read_unlock(vm->notifier_lock);
out:
	sim_trace_exec_end("vm_exec locked", &vm_exec.exec);
	drm_gpuvm_exec_unlock(&vm_exec);
	return ret;
}

int sim_vm_exec(struct sim_vm *vm, const struct sim_vm_exec *args, struct dma_fence **out_fence)
{
	struct dma_fence *fence = NULL;
	struct sim_job *job = NULL;
	unsigned int tries = 0;
	int ret;

	if (out_fence)
		*out_fence = NULL;
	if (!vm || !args)
		return -EINVAL;
	ret = vm_exec_check_args(args);
	if (ret)
		return ret;
	/* Before any lock, so bad input and a banned context cost nothing. */
	ret = sim_job_create(args->engine, args->ctx, vm->pt, args->batch_va, args->batch_len,
			     &job);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < args->num_in_fences; i++) {
		ret = sim_job_add_dependency(job, args->in_fences[i]);
		if (ret)
			goto err_job;
	}

	for (;;) {
		ret = vm_exec_lock_vm(vm);
		if (ret)
			goto err_job;
		if (args->after_snapshot)
			args->after_snapshot(vm, args->after_snapshot_priv);
		ret = vm_exec_try(vm, args, job, &fence);
		sim__vm_unlock(vm);
		if (ret != -EAGAIN)
			break;
		/* A userptr was invalidated between its snapshot and the
		 * check: everything was dropped; snapshot again. */
		SIM_VM_STAT_INC(vm, userptr_retries);
		SIM_VM_STAT_INC(vm, backoffs[RESV_EXEC_RESTART_USERPTR_STALE]);
		if (++tries >= SIM_VM_EXEC_MAX_RETRIES)
			break;
	}
	if (ret)
		goto err_job;
	SIM_VM_STAT_INC(vm, execs);
	if (out_fence)
		*out_fence = fence;
	else
		dma_fence_put(fence);
	return 0;

err_job:
	sim_job_free(job);
	return ret;
}
