/* SPDX-License-Identifier: MIT */
/*
 * drm_gpuvm: the VM's life cycle, the (VM, GEM object) vm_bo and its place
 * on the object's list and on the VM's extobj / evict lists, and the
 * linking of mappings to vm_bos.
 *
 * Reference graph (who keeps whom alive):
 *	inserted drm_gpuva  -> VM
 *	linked drm_gpuva    -> vm_bo -> VM, GEM object
 *	VM                  -> r_obj
 * so a VM with mappings or vm_bos never reaches zero: tear those down in a
 * driver close path first.
 */
#include <errno.h>
#include <pthread.h>

#include "internal/alloc.h"
#include "internal/drm_gpuvm.h"

/* ---- the VM --------------------------------------------------------------------- */

static bool add_overflows(uint64_t a, uint64_t b)
{
	uint64_t end;

	/* As the kernel's check_add_overflow(): a + b == 2^64 overflows too. */
	return __builtin_add_overflow(a, b, &end);
}

static void gpuvm_list_init(struct resv_gpuvm_list *l)
{
	CDS_INIT_LIST_HEAD(&l->list);
	l->local_list = NULL;
	resv_spin_lock_init(&l->lock);
}

int drm_gpuvm_init(struct drm_gpuvm *gpuvm, const char *name, enum drm_gpuvm_flags flags,
		   struct drm_device *drm, struct drm_gem_object *r_obj,
		   uint64_t start_offset, uint64_t range,
		   uint64_t reserve_offset, uint64_t reserve_range,
		   const struct drm_gpuvm_ops *ops)
{
	if (!gpuvm || !r_obj || !ops)
		return -EINVAL;
	if (!ops->vm_free) {
		/* The kernel WARNs when the VM is freed; refuse it up front. */
		gpuvm_warn(gpuvm, "drm_gpuvm_init: ops->vm_free is mandatory");
		return -EINVAL;
	}
	if (add_overflows(start_offset, range) ||
	    (reserve_range && add_overflows(reserve_offset, reserve_range))) {
		gpuvm_warn(gpuvm, "drm_gpuvm_init: GPUVA address limited to 64 bits");
		return -EINVAL;
	}

	gpuvm->rb.tree = NULL;
	CDS_INIT_LIST_HEAD(&gpuvm->rb.list);
	gpuvm_list_init(&gpuvm->extobj);
	gpuvm_list_init(&gpuvm->evict);
	gpuvm->bo_defer.first = NULL;
	resv__ref_init(&gpuvm->kref);

	gpuvm->name = name ? name : "unknown";
	gpuvm->flags = flags;
	gpuvm->ops = ops;
	gpuvm->drm = drm;
	gpuvm->r_obj = r_obj;
	drm_gem_object_get(r_obj);

	gpuvm->mm_start = start_offset;
	gpuvm->mm_range = range;

	gpuvm->kernel_alloc_node = (struct drm_gpuva){ 0 };
	CDS_INIT_LIST_HEAD(&gpuvm->kernel_alloc_node.rb.entry);
	if (reserve_range) {
		drm_gpuva_init(&gpuvm->kernel_alloc_node, reserve_offset, reserve_range, NULL, 0);
		/* The tree is empty: this cannot overlap anything. */
		(void)resv__gpuva_tree_insert(gpuvm, &gpuvm->kernel_alloc_node);
	}
	return 0;
}

struct drm_gpuvm *drm_gpuvm_get(struct drm_gpuvm *gpuvm)
{
	resv__ref_get(&gpuvm->kref);
	return gpuvm;
}

static void drm_gpuvm_free(struct urcu_ref *ref)
{
	struct drm_gpuvm *gpuvm = caa_container_of(ref, struct drm_gpuvm, kref);

	if (gpuvm->kernel_alloc_node.va.range)
		resv__gpuva_tree_remove(&gpuvm->kernel_alloc_node);

	/* The kernel WARNs and frees anyway; so do we. */
	if (gpuvm->rb.tree)
		gpuvm_warn(gpuvm, "VM %s freed: GPUVA tree is not empty, potentially leaking memory",
			   gpuvm->name);
	if (!cds_list_empty(&gpuvm->extobj.list))
		gpuvm_warn(gpuvm, "VM %s freed: extobj list should be empty", gpuvm->name);
	if (!cds_list_empty(&gpuvm->evict.list))
		gpuvm_warn(gpuvm, "VM %s freed: evict list should be empty", gpuvm->name);
	if (resv_load_acquire(&gpuvm->bo_defer.first))
		gpuvm_warn(gpuvm, "VM %s freed: VM BO cleanup list should be empty", gpuvm->name);

	gpuvm->name = NULL;
	drm_gem_object_put(gpuvm->r_obj);
	gpuvm->ops->vm_free(gpuvm);
}

void drm_gpuvm_put(struct drm_gpuvm *gpuvm)
{
	if (gpuvm)
		resv__ref_put(&gpuvm->kref, drm_gpuvm_free);
}

long drm_gpuvm_refcount(const struct drm_gpuvm *gpuvm)
{
	return resv__ref_read(&gpuvm->kref);
}

bool drm_gpuvm_range_valid(struct drm_gpuvm *gpuvm, uint64_t addr, uint64_t range)
{
	uint64_t end = addr + range, kstart, kend;

	if (!gpuvm || !range || add_overflows(addr, range))
		return false;
	if (addr < gpuvm->mm_start || end > gpuvm->mm_start + gpuvm->mm_range)
		return false;
	kstart = gpuvm->kernel_alloc_node.va.addr;
	kend = kstart + gpuvm->kernel_alloc_node.va.range;
	return !(gpuvm->kernel_alloc_node.va.range && addr < kend && kstart < end);
}

static void resv_object_free(struct drm_gem_object *obj)
{
	drm_gem_object_release(obj);
	resv__free(obj, sizeof(*obj));
}

static const struct drm_gem_object_funcs resv_object_funcs = {
	.free = resv_object_free,
};

struct drm_gem_object *drm_gpuvm_resv_object_alloc(struct drm_device *drm)
{
	struct drm_gem_object *obj = resv__zalloc(sizeof(*obj));

	(void)drm;
	if (!obj)
		return NULL;
	if (drm_gem_object_init(obj, &resv_object_funcs, 0)) {
		resv__free(obj, sizeof(*obj));	/* cannot happen: funcs are valid */
		return NULL;
	}
	return obj;
}

/* ---- the gpuva lock ------------------------------------------------------------ */

void drm_gem_gpuva_assert_lock_held(struct drm_gpuvm *gpuvm, struct drm_gem_object *obj)
{
	if (!RESV_DEBUG_BUILD || !gpuvm || !obj)
		return;
	if (drm_gpuvm_immediate_mode(gpuvm)) {
		/* A pthread mutex hides its owner: catch at least "nobody holds it". */
		if (pthread_mutex_trylock(&obj->gpuva.lock) == 0) {
			pthread_mutex_unlock(&obj->gpuva.lock);
			resv__report(RESV_REPORT_GPUVM_MISUSE, gpuvm, NULL,
				     "VM %s: gpuva mutex of GEM %p not held", gpuvm->name,
				     (void *)obj);
		}
	} else {
		dma_resv_assert_held(obj->resv);
	}
}

/* ---- vm_bo -------------------------------------------------------------------- */

/* refcount_dec_not_one(): drop a reference unless it is the last one. */
static bool ref_dec_not_one(struct urcu_ref *ref)
{
	long old = resv_load_relaxed(&ref->refcount);

	do {
		if (old == 1)
			return false;
	} while (!__atomic_compare_exchange_n(&ref->refcount, &old, old - 1, true,
					      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	return true;
}

struct drm_gpuvm_bo *drm_gpuvm_bo_create(struct drm_gpuvm *gpuvm, struct drm_gem_object *obj)
{
	const struct drm_gpuvm_ops *ops;
	struct drm_gpuvm_bo *vm_bo;

	if (!gpuvm || !obj)
		return NULL;
	ops = gpuvm->ops;
	vm_bo = ops->vm_bo_alloc ? ops->vm_bo_alloc() : resv__zalloc(sizeof(*vm_bo));
	if (!vm_bo)
		return NULL;

	vm_bo->vm = drm_gpuvm_get(gpuvm);
	vm_bo->obj = obj;
	drm_gem_object_get(obj);
	vm_bo->evicted = false;
	resv__ref_init(&vm_bo->kref);
	CDS_INIT_LIST_HEAD(&vm_bo->list.gpuva);
	CDS_INIT_LIST_HEAD(&vm_bo->list.entry.gem);
	CDS_INIT_LIST_HEAD(&vm_bo->list.entry.extobj);
	CDS_INIT_LIST_HEAD(&vm_bo->list.entry.evict);
	vm_bo->list.entry.bo_defer.next = NULL;
	return vm_bo;
}

/* Free a vm_bo that is on no list any more and drop what it holds. */
static void vm_bo_destroy_not_in_lists(struct drm_gpuvm_bo *vm_bo)
{
	struct drm_gpuvm *gpuvm = vm_bo->vm;
	struct drm_gem_object *obj = vm_bo->obj;

	if (gpuvm->ops->vm_bo_free)
		gpuvm->ops->vm_bo_free(vm_bo);
	else
		resv__free(vm_bo, sizeof(*vm_bo));
	drm_gpuvm_put(gpuvm);
	drm_gem_object_put(obj);
}

static void vm_bo_destroy_not_in_lists_ref(struct urcu_ref *ref)
{
	vm_bo_destroy_not_in_lists(caa_container_of(ref, struct drm_gpuvm_bo, kref));
}

static void vm_bo_destroy(struct urcu_ref *ref)
{
	struct drm_gpuvm_bo *vm_bo = caa_container_of(ref, struct drm_gpuvm_bo, kref);
	struct drm_gpuvm *gpuvm = vm_bo->vm;
	bool lock = !drm_gpuvm_resv_protected(gpuvm);

	if (!lock)
		drm_gpuvm_resv_assert_held(gpuvm);
	resv__gpuvm_list_del(&gpuvm->extobj, &vm_bo->list.entry.extobj, lock);
	resv__gpuvm_list_del(&gpuvm->evict, &vm_bo->list.entry.evict, lock);

	drm_gem_gpuva_assert_lock_held(gpuvm, vm_bo->obj);
	cds_list_del(&vm_bo->list.entry.gem);
	vm_bo_destroy_not_in_lists(vm_bo);
}

bool drm_gpuvm_bo_put(struct drm_gpuvm_bo *vm_bo)
{
	return vm_bo ? resv__ref_put(&vm_bo->kref, vm_bo_destroy) : false;
}

long drm_gpuvm_bo_refcount(const struct drm_gpuvm_bo *vm_bo)
{
	return resv__ref_read(&vm_bo->kref);
}

/*
 * The zombie protocol of deferred puts. into_zombie() runs with the gpuva
 * mutex held when the count reached zero: the vm_bo leaves the object's list
 * (so obtain can no longer find it) and, in spinlock mode, the VM's lists.
 * With RESV_PROTECTED it stays on them (their lock is the VM resv, which the
 * signalling path cannot take) and iterators skip it. It goes on bo_defer
 * only after the mutex is released: from then on a concurrent cleanup may
 * free the object, mutex included.
 */
static void vm_bo_into_zombie(struct drm_gpuvm_bo *vm_bo)
{
	struct drm_gpuvm *gpuvm = vm_bo->vm;

	if (!drm_gpuvm_resv_protected(gpuvm)) {
		resv__gpuvm_list_del(&gpuvm->extobj, &vm_bo->list.entry.extobj, true);
		resv__gpuvm_list_del(&gpuvm->evict, &vm_bo->list.entry.evict, true);
	}
	cds_list_del_init(&vm_bo->list.entry.gem);
}

static void vm_bo_defer_zombie(struct drm_gpuvm_bo *vm_bo)
{
	struct resv_llist_head *head = &vm_bo->vm->bo_defer;
	struct resv_llist_node *node = &vm_bo->list.entry.bo_defer;
	struct resv_llist_node *first = resv_load_relaxed(&head->first);

	do {
		node->next = first;
	} while (!__atomic_compare_exchange_n(&head->first, &first, node, true,
					      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

bool drm_gpuvm_bo_put_deferred(struct drm_gpuvm_bo *vm_bo)
{
	pthread_mutex_t *lock;

	if (!vm_bo)
		return false;
	if (!drm_gpuvm_immediate_mode(vm_bo->vm)) {
		gpuvm_warn(vm_bo->vm, "drm_gpuvm_bo_put_deferred: VM %s not in immediate mode",
			   vm_bo->vm->name);
		return false;
	}
	/* kref_put_mutex(): only the last reference takes the mutex. */
	if (ref_dec_not_one(&vm_bo->kref))
		return false;
	lock = &vm_bo->obj->gpuva.lock;
	pthread_mutex_lock(lock);
	if (__atomic_sub_fetch(&vm_bo->kref.refcount, 1, __ATOMIC_ACQ_REL) != 0) {
		pthread_mutex_unlock(lock);	/* obtained again meanwhile */
		return false;
	}
	vm_bo_into_zombie(vm_bo);
	pthread_mutex_unlock(lock);
	vm_bo_defer_zombie(vm_bo);
	return true;
}

void drm_gpuvm_bo_deferred_cleanup(struct drm_gpuvm *gpuvm)
{
	struct resv_llist_node *node, *next;
	struct drm_gpuvm_bo *vm_bo;

	node = __atomic_exchange_n(&gpuvm->bo_defer.first, NULL, __ATOMIC_ACQUIRE);
	if (!node)
		return;

	if (drm_gpuvm_resv_protected(gpuvm)) {
		/* No context: a plain lock cannot return -EDEADLK/-EALREADY. */
		int ret = dma_resv_lock(drm_gpuvm_resv(gpuvm), NULL);

		if (ret) {
			gpuvm_warn(gpuvm, "deferred cleanup: locking the VM resv failed (%d)", ret);
			return;	/* the zombies leak rather than corrupt the lists */
		}
		for (next = node; next; next = next->next) {
			vm_bo = caa_container_of(next, struct drm_gpuvm_bo, list.entry.bo_defer);
			resv__gpuvm_list_del(&gpuvm->extobj, &vm_bo->list.entry.extobj, false);
			resv__gpuvm_list_del(&gpuvm->evict, &vm_bo->list.entry.evict, false);
		}
		dma_resv_unlock(drm_gpuvm_resv(gpuvm));
	}

	for (; node; node = next) {
		next = node->next;
		vm_bo = caa_container_of(node, struct drm_gpuvm_bo, list.entry.bo_defer);
		vm_bo_destroy_not_in_lists(vm_bo);
	}
}

static struct drm_gpuvm_bo *vm_bo_find(struct drm_gpuvm *gpuvm, struct drm_gem_object *obj)
{
	struct drm_gpuvm_bo *vm_bo;

	drm_gem_gpuva_assert_lock_held(gpuvm, obj);
	drm_gem_for_each_gpuvm_bo(vm_bo, obj)
		if (vm_bo->vm == gpuvm)
			return vm_bo;
	return NULL;
}

struct drm_gpuvm_bo *drm_gpuvm_bo_find(struct drm_gpuvm *gpuvm, struct drm_gem_object *obj)
{
	struct drm_gpuvm_bo *vm_bo;

	if (!gpuvm || !obj)
		return NULL;
	vm_bo = vm_bo_find(gpuvm, obj);
	return vm_bo ? drm_gpuvm_bo_get(vm_bo) : NULL;
}

struct drm_gpuvm_bo *drm_gpuvm_bo_obtain(struct drm_gpuvm *gpuvm, struct drm_gem_object *obj)
{
	struct drm_gpuvm_bo *vm_bo;

	if (!gpuvm || !obj)
		return resv_err_ptr(-EINVAL);
	vm_bo = drm_gpuvm_bo_find(gpuvm, obj);
	if (vm_bo)
		return vm_bo;
	vm_bo = drm_gpuvm_bo_create(gpuvm, obj);
	if (!vm_bo)
		return resv_err_ptr(-ENOMEM);
	cds_list_add_tail(&vm_bo->list.entry.gem, &obj->gpuva.list);
	return vm_bo;
}

struct drm_gpuvm_bo *drm_gpuvm_bo_obtain_prealloc(struct drm_gpuvm_bo *pre)
{
	struct drm_gpuvm_bo *vm_bo;
	struct drm_gem_object *obj;

	if (!pre)
		return resv_err_ptr(-EINVAL);
	if (!drm_gpuvm_immediate_mode(pre->vm)) {
		gpuvm_warn(pre->vm, "drm_gpuvm_bo_obtain_prealloc: VM %s not in immediate mode",
			   pre->vm->name);
		return resv_err_ptr(-EINVAL);
	}
	obj = pre->obj;
	pthread_mutex_lock(&obj->gpuva.lock);
	vm_bo = drm_gpuvm_bo_find(pre->vm, obj);
	if (vm_bo) {
		pthread_mutex_unlock(&obj->gpuva.lock);
		/* pre is on no list; freeing it needs no lock (and must not
		 * run under the mutex: vm_bo_free may do anything). */
		resv__ref_put(&pre->kref, vm_bo_destroy_not_in_lists_ref);
		return vm_bo;
	}
	cds_list_add_tail(&pre->list.entry.gem, &obj->gpuva.list);
	pthread_mutex_unlock(&obj->gpuva.lock);
	return pre;
}

void drm_gpuvm_bo_extobj_add(struct drm_gpuvm_bo *vm_bo)
{
	struct drm_gpuvm *gpuvm = vm_bo->vm;
	bool lock = !drm_gpuvm_resv_protected(gpuvm);

	if (!lock)
		drm_gpuvm_resv_assert_held(gpuvm);
	if (drm_gpuvm_is_extobj(gpuvm, vm_bo->obj))
		resv__gpuvm_list_add(&gpuvm->extobj, &vm_bo->list.entry.extobj, lock);
}

void drm_gpuvm_bo_evict(struct drm_gpuvm_bo *vm_bo, bool evict)
{
	struct drm_gpuvm *gpuvm = vm_bo->vm;
	struct drm_gem_object *obj = vm_bo->obj;
	bool lock = !drm_gpuvm_resv_protected(gpuvm);

	dma_resv_assert_held(obj->resv);
	vm_bo->evicted = evict;

	/* RESV_PROTECTED: the evict list is the VM resv's, which the evicting
	 * thread does not hold for an external object; prepare_objects folds
	 * the flag into the list once it holds both. */
	if (drm_gpuvm_is_extobj(gpuvm, obj) && !lock)
		return;
	if (evict)
		resv__gpuvm_list_add(&gpuvm->evict, &vm_bo->list.entry.evict, lock);
	else
		resv__gpuvm_list_del(&gpuvm->evict, &vm_bo->list.entry.evict, lock);
}

void drm_gpuvm_bo_gem_evict(struct drm_gem_object *obj, bool evict)
{
	struct drm_gpuvm_bo *vm_bo;

	drm_gem_for_each_gpuvm_bo(vm_bo, obj) {
		drm_gem_gpuva_assert_lock_held(vm_bo->vm, obj);
		drm_gpuvm_bo_evict(vm_bo, evict);
	}
}

/* ---- linking mappings ----------------------------------------------------------- */

int drm_gpuva_link(struct drm_gpuva *va, struct drm_gpuvm_bo *vm_bo)
{
	struct drm_gem_object *obj;

	if (!va || !vm_bo)
		return -EINVAL;
	obj = va->gem.obj;
	if (!obj)
		return 0;
	if (obj != vm_bo->obj) {
		gpuvm_warn(vm_bo->vm, "drm_gpuva_link: mapping of GEM %p linked to the vm_bo of GEM %p",
			   (void *)obj, (void *)vm_bo->obj);
		return -EINVAL;
	}
	drm_gem_gpuva_assert_lock_held(vm_bo->vm, obj);
	va->vm_bo = drm_gpuvm_bo_get(vm_bo);
	cds_list_add_tail(&va->gem.entry, &vm_bo->list.gpuva);
	return 0;
}

void drm_gpuva_unlink(struct drm_gpuva *va)
{
	struct drm_gpuvm_bo *vm_bo;

	if (!va || !va->gem.obj || !va->vm_bo)
		return;
	vm_bo = va->vm_bo;
	drm_gem_gpuva_assert_lock_held(vm_bo->vm, va->gem.obj);
	cds_list_del_init(&va->gem.entry);
	va->vm_bo = NULL;
	drm_gpuvm_bo_put(vm_bo);
}

static void vm_bo_into_zombie_ref(struct urcu_ref *ref)
{
	vm_bo_into_zombie(caa_container_of(ref, struct drm_gpuvm_bo, kref));
}

int drm_gpuva_unlink_defer(struct drm_gpuva *va)
{
	struct drm_gem_object *obj;
	struct drm_gpuvm_bo *vm_bo;
	bool zombie;

	if (!va)
		return -EINVAL;
	obj = va->gem.obj;
	if (!obj)
		return 0;
	vm_bo = va->vm_bo;
	if (!vm_bo)
		return -EINVAL;
	if (!drm_gpuvm_immediate_mode(vm_bo->vm)) {
		gpuvm_warn(vm_bo->vm, "drm_gpuva_unlink_defer: VM %s not in immediate mode",
			   vm_bo->vm->name);
		return -EINVAL;
	}
	pthread_mutex_lock(&obj->gpuva.lock);
	cds_list_del_init(&va->gem.entry);
	zombie = resv__ref_put(&vm_bo->kref, vm_bo_into_zombie_ref);
	pthread_mutex_unlock(&obj->gpuva.lock);
	if (zombie)
		vm_bo_defer_zombie(vm_bo);
	va->vm_bo = NULL;
	return 0;
}
