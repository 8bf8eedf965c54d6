/* SPDX-License-Identifier: MIT */
/*
 * drm_gpuvm's exec helpers: walking the extobj and evict lists in both
 * protection modes, locking the VM and its objects through drm_exec,
 * revalidating evicted objects and publishing a job's fence.
 *
 * Spinlock mode walks a list without holding its spinlock while the
 * callback runs (it takes sleeping resv locks): under the spinlock, pop the
 * first entry whose reference can still be taken, move it to a list local
 * to the walk, drop the spinlock, process, repeat; at the end splice the
 * local list back to the head. Inserting and removing entries concurrently
 * stays safe because the local list is guarded by the same spinlock; two
 * walks of one list at once are not (the VM's resv or an outer lock must
 * serialise them), and the second is refused with -EBUSY.
 *
 * RESV_PROTECTED mode walks under the VM's resv, which the caller holds:
 * plain list iteration, no atomics. An evicted external object is only
 * flagged by the evicting thread (it holds that object's resv, not the
 * VM's), so prepare_objects moves every flagged one onto the evict list
 * right after locking it: whoever locked the VM and its objects, then
 * validates, sees every eviction that happened before those locks.
 */
#include <errno.h>

#include "internal/drm_gpuvm.h"

#define vm_bo_at(entry, off) ((struct drm_gpuvm_bo *)((char *)(entry) - (off)))

/*
 * Zombies (deferred puts, immediate mode only) wait on resv-protected lists
 * for their cleanup. Outside immediate mode there are none: the test, which
 * the compiler hoists out of the walks, spares a load per item.
 */
static inline bool vm_bo_is_zombie(struct drm_gpuvm *gpuvm, struct drm_gpuvm_bo *vm_bo)
{
	return drm_gpuvm_immediate_mode(gpuvm) && resv__ref_read(&vm_bo->kref) == 0;
}

/*
 * One step of a spinlock-mode walk: drop the previous entry's reference,
 * move the next live entry to @local with a new reference. Returns NULL at
 * the end, or with *@err = -EBUSY when another walk owns the list.
 */
static struct drm_gpuvm_bo *next_vm_bo(struct drm_gpuvm *gpuvm, struct resv_gpuvm_list *l,
				       size_t off, struct cds_list_head *local,
				       struct drm_gpuvm_bo *prev, int *err)
{
	struct drm_gpuvm_bo *vm_bo = NULL;

	drm_gpuvm_bo_put(prev);

	resv_spin_lock(&l->lock);
	if (!l->local_list) {
		l->local_list = local;
	} else if (l->local_list != local) {
		resv_spin_unlock(&l->lock);
		gpuvm_warn(gpuvm, "VM %s: concurrent walks of one list (serialise them)",
			   gpuvm->name);
		*err = -EBUSY;
		return NULL;
	}
	while (!cds_list_empty(&l->list)) {
		struct cds_list_head *entry = l->list.next;

		vm_bo = vm_bo_at(entry, off);
		cds_list_del(entry);
		if (resv__ref_get_unless_zero(&vm_bo->kref)) {
			cds_list_add_tail(entry, local);
			break;
		}
		/* Being destroyed: its destroy deletes the entry again. */
		CDS_INIT_LIST_HEAD(entry);
		vm_bo = NULL;
	}
	resv_spin_unlock(&l->lock);
	return vm_bo;
}

/* End of a walk: put the visited entries back in front, in their order. */
static void restore_vm_bo_list(struct resv_gpuvm_list *l, struct cds_list_head *local)
{
	resv_spin_lock(&l->lock);
	if (l->local_list == local) {
		cds_list_splice(local, &l->list);
		l->local_list = NULL;
	}
	resv_spin_unlock(&l->lock);
}

static int exec_prepare_obj(struct drm_exec *exec, struct drm_gem_object *obj,
			    unsigned int num_fences)
{
	/* reserve_fences(0) is an error: lock only. */
	return num_fences ? drm_exec_prepare_obj(exec, obj, num_fences) :
			    drm_exec_lock_obj(exec, obj);
}

int drm_gpuvm_prepare_vm(struct drm_gpuvm *gpuvm, struct drm_exec *exec,
			 unsigned int num_fences)
{
	if (!gpuvm || !exec)
		return -EINVAL;
	return exec_prepare_obj(exec, gpuvm->r_obj, num_fences);
}

static int prepare_objects_spinlock(struct drm_gpuvm *gpuvm, struct drm_exec *exec,
				    unsigned int num_fences)
{
	const size_t off = offsetof(struct drm_gpuvm_bo, list.entry.extobj);
	struct cds_list_head local;
	struct drm_gpuvm_bo *vm_bo;
	int ret = 0, err = 0;

	CDS_INIT_LIST_HEAD(&local);
	for (vm_bo = next_vm_bo(gpuvm, &gpuvm->extobj, off, &local, NULL, &err); vm_bo;
	     vm_bo = next_vm_bo(gpuvm, &gpuvm->extobj, off, &local, vm_bo, &err)) {
		ret = exec_prepare_obj(exec, vm_bo->obj, num_fences);
		if (ret)
			break;
	}
	/* The reference of the entry we stopped at. */
	drm_gpuvm_bo_put(vm_bo);
	restore_vm_bo_list(&gpuvm->extobj, &local);
	return ret ? ret : err;
}

static int prepare_objects_locked(struct drm_gpuvm *gpuvm, struct drm_exec *exec,
				  unsigned int num_fences)
{
	struct drm_gpuvm_bo *vm_bo;
	int ret = 0;

	drm_gpuvm_resv_assert_held(gpuvm);
	cds_list_for_each_entry(vm_bo, &gpuvm->extobj.list, list.entry.extobj) {
		if (vm_bo_is_zombie(gpuvm, vm_bo))
			continue;
		ret = exec_prepare_obj(exec, vm_bo->obj, num_fences);
		if (ret)
			break;
		/* Both resvs held now: fold the eviction flag into the list. */
		if (vm_bo->evicted)
			resv__gpuvm_list_add(&gpuvm->evict, &vm_bo->list.entry.evict, false);
	}
	return ret;
}

int drm_gpuvm_prepare_objects(struct drm_gpuvm *gpuvm, struct drm_exec *exec,
			      unsigned int num_fences)
{
	if (!gpuvm || !exec)
		return -EINVAL;
	if (drm_gpuvm_resv_protected(gpuvm))
		return prepare_objects_locked(gpuvm, exec, num_fences);
	return prepare_objects_spinlock(gpuvm, exec, num_fences);
}

int drm_gpuvm_prepare_range(struct drm_gpuvm *gpuvm, struct drm_exec *exec, uint64_t addr,
			    uint64_t range, unsigned int num_fences)
{
	uint64_t end = addr + range;
	struct drm_gpuva *va;
	int ret;

	if (!gpuvm || !exec)
		return -EINVAL;
	drm_gpuvm_for_each_va_range(va, gpuvm, addr, end) {
		if (!va->gem.obj)
			continue;	/* sparse, or the kernel node */
		ret = exec_prepare_obj(exec, va->gem.obj, num_fences);
		if (ret)
			return ret;
	}
	return 0;
}

int drm_gpuvm_exec_lock(struct drm_gpuvm_exec *vm_exec)
{
	struct drm_gpuvm *gpuvm;
	struct drm_exec *exec;
	unsigned int num_fences;
	int ret = 0;

	if (!vm_exec || !vm_exec->vm)
		return -EINVAL;
	gpuvm = vm_exec->vm;
	exec = &vm_exec->exec;
	num_fences = vm_exec->num_fences;

	drm_exec_init(exec, vm_exec->flags, 0);
	drm_exec_until_all_locked(exec) {
		ret = drm_gpuvm_prepare_vm(gpuvm, exec, num_fences);
		drm_exec_retry_on_contention(exec);
		if (ret)
			goto err;

		ret = drm_gpuvm_prepare_objects(gpuvm, exec, num_fences);
		drm_exec_retry_on_contention(exec);
		if (ret)
			goto err;

		if (vm_exec->extra.fn) {
			ret = vm_exec->extra.fn(vm_exec);
			drm_exec_retry_on_contention(exec);
			if (ret)
				goto err;
		}
	}
	return 0;

err:
	drm_exec_fini(exec);
	return ret;
}

struct lock_array_args {
	struct drm_gem_object **objs;
	unsigned int num_objs;
};

static int fn_lock_array(struct drm_gpuvm_exec *vm_exec)
{
	struct lock_array_args *args = vm_exec->extra.priv;

	return drm_exec_prepare_array(&vm_exec->exec, args->objs, args->num_objs,
				      vm_exec->num_fences);
}

int drm_gpuvm_exec_lock_array(struct drm_gpuvm_exec *vm_exec, struct drm_gem_object **objs,
			      unsigned int num_objs)
{
	struct lock_array_args args = { .objs = objs, .num_objs = num_objs };
	int ret;

	if (!vm_exec || (!objs && num_objs))
		return -EINVAL;
	vm_exec->extra.fn = fn_lock_array;
	vm_exec->extra.priv = &args;
	ret = drm_gpuvm_exec_lock(vm_exec);
	/* args dies with this frame: leave no dangling hook behind. */
	vm_exec->extra.fn = NULL;
	vm_exec->extra.priv = NULL;
	return ret;
}

int drm_gpuvm_exec_lock_range(struct drm_gpuvm_exec *vm_exec, uint64_t addr, uint64_t range)
{
	struct drm_exec *exec;
	int ret = 0;

	if (!vm_exec || !vm_exec->vm)
		return -EINVAL;
	exec = &vm_exec->exec;
	drm_exec_init(exec, vm_exec->flags, 0);
	drm_exec_until_all_locked(exec) {
		ret = drm_gpuvm_prepare_range(vm_exec->vm, exec, addr, range,
					      vm_exec->num_fences);
		drm_exec_retry_on_contention(exec);
		if (ret)
			goto err;
	}
	return 0;

err:
	drm_exec_fini(exec);
	return ret;
}

static int validate_spinlock(struct drm_gpuvm *gpuvm, struct drm_exec *exec)
{
	const size_t off = offsetof(struct drm_gpuvm_bo, list.entry.evict);
	const struct drm_gpuvm_ops *ops = gpuvm->ops;
	struct cds_list_head local;
	struct drm_gpuvm_bo *vm_bo;
	int ret = 0, err = 0;

	CDS_INIT_LIST_HEAD(&local);
	for (vm_bo = next_vm_bo(gpuvm, &gpuvm->evict, off, &local, NULL, &err); vm_bo;
	     vm_bo = next_vm_bo(gpuvm, &gpuvm->evict, off, &local, vm_bo, &err)) {
		/* The callback's drm_gpuvm_bo_evict(false) takes it off the
		 * local list under the spinlock. */
		ret = ops->vm_bo_validate(vm_bo, exec);
		if (ret)
			break;
	}
	drm_gpuvm_bo_put(vm_bo);
	restore_vm_bo_list(&gpuvm->evict, &local);
	return ret ? ret : err;
}

/*
 * The RESV_PROTECTED evict walk: the whole cost of the mode is here, so it
 * is written for few live values across the callback (list head, cursor,
 * next, callback, exec: no spills) and instantiated twice, with and
 * without the zombie test (zombies only exist in immediate mode).
 */
static inline __attribute__((always_inline)) int
validate_walk(struct cds_list_head *head, struct drm_exec *exec,
	      int (*validate)(struct drm_gpuvm_bo *vm_bo, struct drm_exec *exec), bool zombies)
{
	struct drm_gpuvm_bo *vm_bo, *next;
	int ret;

	cds_list_for_each_entry_safe(vm_bo, next, head, list.entry.evict) {
		if (zombies && resv__ref_read(&vm_bo->kref) == 0)
			continue;
		ret = validate(vm_bo, exec);
		if (ret)
			return ret;
		/* Debug only: an exported call per item would double the walk. */
		if (RESV_DEBUG_BUILD)
			dma_resv_assert_held(vm_bo->obj->resv);
		if (!vm_bo->evicted)
			cds_list_del_init(&vm_bo->list.entry.evict);
	}
	return 0;
}

static int validate_locked(struct drm_gpuvm *gpuvm, struct drm_exec *exec)
{
	/* Loaded once: a driver does not swap its ops during a walk. */
	int (*validate)(struct drm_gpuvm_bo *, struct drm_exec *) = gpuvm->ops->vm_bo_validate;

	drm_gpuvm_resv_assert_held(gpuvm);
	if (drm_gpuvm_immediate_mode(gpuvm))
		return validate_walk(&gpuvm->evict.list, exec, validate, true);
	return validate_walk(&gpuvm->evict.list, exec, validate, false);
}

int drm_gpuvm_validate(struct drm_gpuvm *gpuvm, struct drm_exec *exec)
{
	if (!gpuvm || !exec)
		return -EINVAL;
	if (!gpuvm->ops->vm_bo_validate)
		return -EOPNOTSUPP;
	if (drm_gpuvm_resv_protected(gpuvm))
		return validate_locked(gpuvm, exec);
	return validate_spinlock(gpuvm, exec);
}

void drm_gpuvm_resv_add_fence(struct drm_gpuvm *gpuvm, struct drm_exec *exec,
			      struct dma_fence *fence, enum dma_resv_usage private_usage,
			      enum dma_resv_usage extobj_usage)
{
	struct drm_gem_object *obj;
	unsigned long index;

	drm_exec_for_each_locked_object(exec, index, obj) {
		dma_resv_assert_held(obj->resv);
		dma_resv_add_fence(obj->resv, fence,
				   drm_gpuvm_is_extobj(gpuvm, obj) ? extobj_usage : private_usage);
	}
}

unsigned long resv__gpuvm_list_count(struct resv_gpuvm_list *l)
{
	unsigned long n = 0;
	struct cds_list_head *pos;

	cds_list_for_each(pos, &l->list)
		n++;
	return n;
}
