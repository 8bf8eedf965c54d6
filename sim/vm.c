/* SPDX-License-Identifier: MIT */
/*
 * A VM's life: a drm_gpuvm with the VM's shared resv object, a page table,
 * the VM lock, the userptr notifier lock and the bind engine; the close
 * path that removes every mapping; counters.
 */
#include <errno.h>
#include <string.h>

#include <sim/file.h>

#include "vm-internal.h"

/* One class for every VM's lock: VMs are never nested. */
static struct resv_lockdep_class_key vm_lock_key = RESV_LOCKDEP_CLASS_KEY_INIT("sim vm->lock");

static void sim_vm_free(struct drm_gpuvm *gpuvm)
{
	struct sim_vm *vm = to_sim_vm(gpuvm);

	resv_free(vm, sizeof(*vm));
}

static struct drm_gpuvm_bo *sim_vm_bo_alloc(void)
{
	struct sim_vm_bo *vm_bo = resv_zalloc(sizeof(*vm_bo));

	return vm_bo ? &vm_bo->base : NULL;
}

/* The vm_bo's last reference is gone: binds and the close path drop it,
 * holding the VM lock for writing, which guards the userptr list. */
static void sim_vm_bo_free(struct drm_gpuvm_bo *base)
{
	struct sim_vm_bo *vm_bo = to_sim_vm_bo(base);

	if (vm_bo->on_userptr_list)
		cds_list_del(&vm_bo->userptr_link);
	resv_free(vm_bo, sizeof(*vm_bo));
}

static const struct drm_gpuvm_ops sim_vm_ops = {
	.vm_free = sim_vm_free,
	.vm_bo_alloc = sim_vm_bo_alloc,
	.vm_bo_free = sim_vm_bo_free,
	.vm_bo_validate = sim__vm_bo_validate,
};

int sim_vm_create(struct sim_device *dev, struct sim_file *file, uint32_t flags,
		  struct sim_vm **out)
{
	struct drm_gem_object *r_obj;
	struct sim_vm *vm;
	int ret;

	if (!dev || !out || (flags & ~SIM_VM_RESV_PROTECTED) ||
	    (file && sim_file_device(file) != dev))
		return -EINVAL;
	vm = resv_zalloc(sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	ret = sim_pt_create(dev, &vm->pt);
	if (ret)
		goto err_vm;
	r_obj = drm_gpuvm_resv_object_alloc(NULL);
	if (!r_obj) {
		ret = -ENOMEM;
		goto err_pt;
	}
	/* The kernel node keeps [0, SIM_VM_KERNEL_SIZE) unbindable. */
	ret = drm_gpuvm_init(&vm->gpuvm, "sim-vm",
			     (flags & SIM_VM_RESV_PROTECTED) ? DRM_GPUVM_RESV_PROTECTED : 0,
			     NULL, r_obj, 0, SIM_VM_VA_END, 0, SIM_VM_KERNEL_SIZE, &sim_vm_ops);
	drm_gem_object_put(r_obj);	/* the VM holds its own reference */
	if (ret)
		goto err_pt;
	ret = sim__engine_init(&vm->bind_engine, dev, 0, true);
	if (ret) {
		sim_pt_put(vm->pt);
		drm_gpuvm_put(&vm->gpuvm);	/* frees vm */
		return ret;
	}
	vm->bind_engine.name = "bind";
	vm->dev = dev;
	vm->file = file;
	pthread_rwlock_init(&vm->lock, NULL);
	resv_lockdep_map_init(&vm->lock_dep, "sim vm->lock", &vm_lock_key);
	resv_notifier_lock_init(&vm->own_notifier_lock);
	vm->notifier_lock = file ? sim_file_notifier_lock(file) : &vm->own_notifier_lock;
	CDS_INIT_LIST_HEAD(&vm->userptrs);
	pthread_mutex_init(&vm->bind_lock, NULL);
	CDS_INIT_LIST_HEAD(&vm->bind_queue);
	*out = vm;
	return 0;

err_pt:
	sim_pt_put(vm->pt);
err_vm:
	resv_free(vm, sizeof(*vm));
	return ret;
}

/* The first mapping that is not the kernel node, or NULL. */
static struct drm_gpuva *first_user_va(struct sim_vm *vm)
{
	struct drm_gpuva *va;

	drm_gpuvm_for_each_va(va, &vm->gpuvm)
		if (va != &vm->gpuvm.kernel_alloc_node)
			return va;
	return NULL;
}

/*
 * Remove every mapping of one object (or one sparse mapping), holding the
 * VM resv and the object's resv: unlinking needs the object's gpuva lock,
 * and the last unlink destroys the vm_bo, which takes it off the VM's
 * lists (the VM resv guards those in RESV_PROTECTED mode). One object per
 * transaction keeps drm_exec inside its inline table: closing allocates
 * nothing and cannot fail.
 */
static bool close_one_object(struct sim_vm *vm)
{
	struct drm_gpuvm_bo *vm_bo = NULL;
	struct drm_gpuva *va, *next;
	struct drm_exec exec;
	int ret = 0;

	/* Local objects share the VM resv: duplicates. */
	drm_exec_init(&exec, DRM_EXEC_IGNORE_DUPLICATES, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_gpuvm_prepare_vm(&vm->gpuvm, &exec, 0);
		drm_exec_retry_on_contention(&exec);
		if (ret)
			break;
		va = first_user_va(vm);
		if (va && va->gem.obj) {
			ret = drm_exec_lock_obj(&exec, va->gem.obj);
			drm_exec_retry_on_contention(&exec);
			if (ret)
				break;
		}
	}
	va = first_user_va(vm);
	if (ret || !va) {
		/* Without interruptible waits only contention can fail a lock,
		 * and the loop handles it. */
		fprintf(stderr, "sim: closing a VM: locking failed (%d)\n", ret);
		drm_exec_fini(&exec);
		return false;
	}
	/* drm_exec holds a reference on every locked object: none of the puts
	 * below (page-table mappings, the vm_bo's) can free one under its lock. */
	if (!va->vm_bo) {
		drm_gpuva_remove(va);
		resv_free(to_sim_vma(va), sizeof(struct sim_vma));
	} else {
		vm_bo = drm_gpuvm_bo_get(va->vm_bo);
		drm_gpuvm_bo_for_each_va_safe(va, next, vm_bo) {
			/* The exact range of a mapping: never a split, so
			 * this neither allocates nor fails. */
			(void)sim_pt_unmap(vm->pt, va->va.addr, va->va.range);
			drm_gpuva_remove(va);
			drm_gpuva_unlink(va);
			resv_free(to_sim_vma(va), sizeof(struct sim_vma));
		}
		drm_gpuvm_bo_put(vm_bo);	/* destroys it: both locks held */
	}
	drm_exec_fini(&exec);
	return true;
}

void sim_vm_destroy(struct sim_vm *vm)
{
	long left;

	if (!vm)
		return;
	/* Pending binds first (cancelled: their in-fences may never come),
	 * then the jobs, whose fences are all in the VM's resv. No timeout,
	 * not interruptible: it returns once they are done. */
	sim__vm_bind_engine_stop(vm);
	left = dma_resv_wait_timeout(sim_vm_resv(vm), DMA_RESV_USAGE_BOOKKEEP, false,
				     MAX_SCHEDULE_TIMEOUT);
	(void)left;

	sim__vm_write_lock(vm);
	while (first_user_va(vm) && close_one_object(vm))
		;
	sim__vm_unlock(vm);

	/* Mappings of the page table go with it (jobs may still hold it). */
	sim_pt_put(vm->pt);
	vm->pt = NULL;
	sim__engine_fini(&vm->bind_engine);
	pthread_mutex_destroy(&vm->bind_lock);
	resv_notifier_lock_fini(&vm->own_notifier_lock);
	pthread_rwlock_destroy(&vm->lock);
	drm_gpuvm_put(&vm->gpuvm);	/* the last reference: frees vm */
}

struct dma_resv *sim_vm_resv(struct sim_vm *vm)
{
	return drm_gpuvm_resv(&vm->gpuvm);
}

int sim_vm_bo_create(struct sim_vm *vm, uint64_t size, uint32_t allowed,
		     enum sim_placement initial, struct sim_bo **out)
{
	if (!vm)
		return -EINVAL;
	return sim_bo_create(vm->dev, size, allowed, initial, sim_vm_resv(vm), out);
}

struct sim_pt *sim_vm_pt(struct sim_vm *vm)
{
	return vm->pt;
}

struct drm_gpuvm *sim_vm_gpuvm(struct sim_vm *vm)
{
	return &vm->gpuvm;
}

void sim_vm_get_stats(struct sim_vm *vm, struct sim_vm_stats *stats)
{
	const uint64_t *src = (const uint64_t *)&vm->stats;
	uint64_t *dst = (uint64_t *)stats;

	/* Every member is a uint64_t counter. */
	for (size_t i = 0; i < sizeof(*stats) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void sim__vm_count_backoffs(struct sim_vm *vm, const struct drm_exec *exec)
{
	for (int r = RESV_EXEC_RESTART_NONE + 1; r < RESV_EXEC_RESTART_NR; r++) {
		uint64_t n = resv_exec_restart_count(exec, (enum resv_exec_restart_reason)r);

		if (n)
			SIM_VM_STAT_ADD(vm, backoffs[r], n);
	}
}
