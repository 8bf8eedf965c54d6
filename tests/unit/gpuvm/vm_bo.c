/* SPDX-License-Identifier: MIT */
/*
 * vm_bo: uniqueness per (VM, object), the references it holds and is held
 * by, linking mappings, extobj detection and the extobj list, eviction in
 * both list modes, immediate mode (prealloc, deferred puts, zombies), the
 * lock assertions, misuse reports and allocation failure.
 */
#include "gpuvm_test.h"

static unsigned int expected(unsigned int n)
{
	return resv_report_checks_enabled() ? n : 0;
}

static struct drm_gpuvm_bo *obtain_locked(struct drm_gpuvm *g, struct drm_gem_object *obj)
{
	struct drm_gpuvm_bo *vm_bo;

	gt_lock(obj);
	vm_bo = drm_gpuvm_bo_obtain(g, obj);
	gt_unlock(obj);
	assert_false(resv_is_err(vm_bo));
	return vm_bo;
}

static bool put_locked(struct drm_gpuvm_bo *vm_bo)
{
	struct drm_gem_object *obj = vm_bo->obj;
	bool destroyed;

	drm_gem_object_get(obj);	/* the vm_bo's reference may go */
	gt_lock(obj);
	destroyed = drm_gpuvm_bo_put(vm_bo);
	gt_unlock(obj);
	drm_gem_object_put(obj);
	return destroyed;
}

static unsigned int gem_vm_bos(struct drm_gem_object *obj)
{
	struct drm_gpuvm_bo *vm_bo;
	unsigned int n = 0;

	drm_gem_for_each_gpuvm_bo(vm_bo, obj)
		n++;
	return n;
}

void test_gpuvm_resv_object_alloc(void **state)
{
	struct drm_gem_object *obj;

	(void)state;
	obj = drm_gpuvm_resv_object_alloc(NULL);
	assert_non_null(obj);
	assert_int_equal(obj->size, 0);
	assert_ptr_equal(obj->resv, &obj->_resv);
	assert_int_equal(drm_gem_object_refcount(obj), 1);
	drm_gem_object_put(obj);

	resv_alloc_fail_nth(1);
	obj = drm_gpuvm_resv_object_alloc(NULL);
	resv_alloc_fail_nth(0);
	assert_null(obj);
}

void test_gpuvm_bo_obtain_unique(void **state)
{
	struct gt_vm *vm1 = gt_vm_new(0, 0, 100, 0, 0, NULL);
	struct gt_vm *vm2 = gt_vm_new(0, 0, 100, 0, 0, NULL);
	struct gt_bo *bo = gt_bo_new(0, NULL);
	struct drm_gem_object *obj = gt_obj(bo);
	struct drm_gpuvm_bo *a, *b, *c;

	(void)state;
	a = obtain_locked(&vm1->base, obj);
	assert_ptr_equal(a->vm, &vm1->base);
	assert_ptr_equal(a->obj, obj);
	assert_false(a->evicted);
	assert_int_equal(drm_gpuvm_bo_refcount(a), 1);
	assert_int_equal(drm_gpuvm_refcount(&vm1->base), 2);	/* + vm_bo */
	assert_int_equal(drm_gem_object_refcount(obj), 2);	/* + vm_bo */

	b = obtain_locked(&vm1->base, obj);			/* the same one */
	assert_ptr_equal(b, a);
	assert_int_equal(drm_gpuvm_bo_refcount(a), 2);
	assert_int_equal(drm_gpuvm_refcount(&vm1->base), 2);
	assert_int_equal(drm_gem_object_refcount(obj), 2);

	c = obtain_locked(&vm2->base, obj);			/* another VM: another */
	assert_ptr_not_equal(c, a);
	assert_int_equal(gem_vm_bos(obj), 2);
	gt_lock(obj);
	assert_ptr_equal(drm_gpuvm_bo_find(&vm2->base, obj), c);
	assert_int_equal(drm_gpuvm_bo_refcount(c), 2);
	assert_ptr_equal(drm_gpuvm_bo_get(c), c);
	assert_false(drm_gpuvm_bo_put(c));
	assert_false(drm_gpuvm_bo_put(c));
	assert_null(drm_gpuvm_bo_find(NULL, obj));
	assert_ptr_equal(drm_gpuvm_bo_obtain(NULL, obj), resv_err_ptr(-EINVAL));
	assert_ptr_equal(drm_gpuvm_bo_obtain(&vm1->base, NULL), resv_err_ptr(-EINVAL));
	assert_null(drm_gpuvm_bo_create(NULL, obj));
	gt_unlock(obj);

	assert_false(put_locked(b));
	assert_true(put_locked(a));				/* destroyed */
	assert_int_equal(drm_gpuvm_refcount(&vm1->base), 1);
	assert_int_equal(gem_vm_bos(obj), 1);
	assert_true(put_locked(c));
	assert_int_equal(gem_vm_bos(obj), 0);
	assert_int_equal(drm_gem_object_refcount(obj), 1);
	assert_false(drm_gpuvm_bo_put(NULL));

	drm_gem_object_put(obj);
	gt_vm_put_last(vm1);
	gt_vm_put_last(vm2);
}

void test_gpuvm_bo_obtain_enomem(void **state)
{
	struct gt_vm *vm = gt_vm_new(0, 0, 100, 0, 0, NULL);
	struct gt_bo *bo = gt_bo_new(0, NULL);
	struct drm_gem_object *obj = gt_obj(bo);
	struct drm_gpuvm_bo *vm_bo;

	(void)state;
	gt_lock(obj);
	resv_alloc_fail_nth(1);
	vm_bo = drm_gpuvm_bo_obtain(&vm->base, obj);
	resv_alloc_fail_nth(0);
	assert_ptr_equal(vm_bo, resv_err_ptr(-ENOMEM));
	assert_int_equal(gem_vm_bos(obj), 0);
	assert_int_equal(drm_gpuvm_refcount(&vm->base), 1);
	assert_int_equal(drm_gem_object_refcount(obj), 1);

	resv_alloc_fail_nth(1);
	assert_null(drm_gpuvm_bo_create(&vm->base, obj));
	resv_alloc_fail_nth(0);
	assert_int_equal(drm_gpuvm_refcount(&vm->base), 1);
	gt_unlock(obj);

	drm_gem_object_put(obj);
	gt_vm_put_last(vm);
}

/* The driver's vm_bo_alloc / vm_bo_free are used, and NULL means -ENOMEM. */
static long drv_vm_bos;
static bool drv_fail;

static struct drm_gpuvm_bo *drv_vm_bo_alloc(void)
{
	if (drv_fail)
		return NULL;
	drv_vm_bos++;
	return calloc(1, sizeof(struct drm_gpuvm_bo));
}

static void drv_vm_bo_free(struct drm_gpuvm_bo *vm_bo)
{
	drv_vm_bos--;
	free(vm_bo);
}

void test_gpuvm_bo_driver_alloc(void **state)
{
	struct drm_gpuvm_ops ops = gt_vm_ops;
	struct gt_vm *vm;
	struct gt_bo *bo = gt_bo_new(0, NULL);
	struct drm_gpuvm_bo *vm_bo;

	(void)state;
	ops.vm_bo_alloc = drv_vm_bo_alloc;
	ops.vm_bo_free = drv_vm_bo_free;
	vm = gt_vm_new(0, 0, 100, 0, 0, &ops);
	drv_fail = true;
	gt_lock(gt_obj(bo));
	assert_ptr_equal(drm_gpuvm_bo_obtain(&vm->base, gt_obj(bo)), resv_err_ptr(-ENOMEM));
	gt_unlock(gt_obj(bo));
	drv_fail = false;
	vm_bo = obtain_locked(&vm->base, gt_obj(bo));
	assert_int_equal(drv_vm_bos, 1);
	assert_true(put_locked(vm_bo));
	assert_int_equal(drv_vm_bos, 0);
	drm_gem_object_put(gt_obj(bo));
	gt_vm_put_last(vm);
}

void test_gpuva_link_unlink(void **state)
{
	struct gt_vm *vm = gt_vm_new(0, 0, 100, 0, 0, NULL);
	struct gt_bo *bo = gt_bo_new(0, NULL), *other = gt_bo_new(1, NULL);
	struct drm_gpuva va1 = { 0 }, va2 = { 0 }, sparse = { 0 };
	struct drm_gpuvm_bo *vm_bo, *vm_bo_other;
	struct drm_gpuva *it;
	int n = 0;

	(void)state;
	drm_gpuva_init(&va1, 0, 10, gt_obj(bo), 0);
	drm_gpuva_init(&va2, 10, 10, gt_obj(bo), 10);
	drm_gpuva_init(&sparse, 20, 10, NULL, 0);
	assert_int_equal(drm_gpuva_insert(&vm->base, &va1), 0);
	assert_int_equal(drm_gpuva_insert(&vm->base, &va2), 0);
	assert_int_equal(drm_gpuva_insert(&vm->base, &sparse), 0);

	vm_bo = obtain_locked(&vm->base, gt_obj(bo));
	vm_bo_other = obtain_locked(&vm->base, gt_obj(other));
	gt_lock(gt_obj(bo));
	assert_int_equal(drm_gpuva_link(&va1, vm_bo), 0);
	assert_int_equal(drm_gpuva_link(&va2, vm_bo), 0);
	assert_ptr_equal(va1.vm_bo, vm_bo);
	assert_int_equal(drm_gpuvm_bo_refcount(vm_bo), 3);
	drm_gpuvm_bo_for_each_va(it, vm_bo)
		assert_ptr_equal(it, n++ ? &va2 : &va1);
	assert_int_equal(n, 2);
	/* Without an object: nothing to link. */
	assert_int_equal(drm_gpuva_link(&sparse, vm_bo), 0);
	assert_null(sparse.vm_bo);
	assert_int_equal(drm_gpuva_link(NULL, vm_bo), -EINVAL);
	assert_int_equal(drm_gpuva_link(&va1, NULL), -EINVAL);
	gt_unlock(gt_obj(bo));

	/* Another object's vm_bo: refused with a report (the kernel WARNs). */
	gt_lock(gt_obj(other));
	assert_int_equal(drm_gpuva_link(&va1, vm_bo_other), -EINVAL);
	assert_int_equal(gt_reports_take(RESV_REPORT_GPUVM_MISUSE), expected(1));
	assert_int_equal(drm_gpuvm_bo_refcount(vm_bo_other), 1);
	assert_true(drm_gpuvm_bo_put(vm_bo_other));
	gt_unlock(gt_obj(other));

	/* The link references keep the vm_bo when the obtain reference goes. */
	assert_false(put_locked(vm_bo));
	gt_lock(gt_obj(bo));
	drm_gpuva_unlink(&va1);
	assert_null(va1.vm_bo);
	assert_int_equal(drm_gpuvm_bo_refcount(vm_bo), 1);
	drm_gpuva_unlink(&va1);		/* not linked: nothing */
	drm_gpuva_unlink(&sparse);
	drm_gpuva_unlink(NULL);
	drm_gpuva_unlink(&va2);		/* the last link: vm_bo destroyed */
	assert_int_equal(gem_vm_bos(gt_obj(bo)), 0);
	gt_unlock(gt_obj(bo));
	assert_int_equal(drm_gem_object_refcount(gt_obj(bo)), 1);

	assert_int_equal(drm_gpuva_remove(&va1), 0);
	assert_int_equal(drm_gpuva_remove(&va2), 0);
	assert_int_equal(drm_gpuva_remove(&sparse), 0);
	drm_gem_object_put(gt_obj(bo));
	drm_gem_object_put(gt_obj(other));
	gt_vm_put_last(vm);
}

/* Debug builds report gpuva-lock misuse through the resv's own check. */
void test_gpuvm_bo_lock_assertions(void **state)
{
	struct gt_vm *vm = gt_vm_new(DRM_GPUVM_RESV_PROTECTED, 0, 100, 0, 0, NULL);
	struct gt_bo *bo = gt_bo_new(0, NULL);
	struct drm_gpuvm_bo *vm_bo;

	(void)state;
	vm_bo = drm_gpuvm_bo_obtain(&vm->base, gt_obj(bo));	/* resv not held */
	assert_false(resv_is_err(vm_bo));
	assert_int_equal(gt_reports_take(RESV_REPORT_RESV_NOT_HELD), expected(1));
	gt_lock(gt_obj(bo));
	drm_gpuvm_bo_extobj_add(vm_bo);				/* VM resv not held */
	assert_int_equal(gt_reports_take(RESV_REPORT_RESV_NOT_HELD), expected(1));
	gt_unlock(gt_obj(bo));
	drm_gpuvm_bo_evict(vm_bo, true);			/* object resv not held */
	assert_int_equal(gt_reports_take(RESV_REPORT_RESV_NOT_HELD), expected(1));
	vm_bo->evicted = false;

	/* The destroy of a RESV_PROTECTED vm_bo needs the VM resv too. */
	gt_lock(gt_obj(bo));
	assert_true(drm_gpuvm_bo_put(vm_bo));
	assert_int_equal(gt_reports_take(RESV_REPORT_RESV_NOT_HELD), expected(1));
	gt_unlock(gt_obj(bo));
	drm_gem_object_put(gt_obj(bo));
	gt_vm_put_last(vm);
}

void test_gpuvm_extobj_detection(void **state)
{
	struct gt_vm *vm = gt_vm_new(0, 0, 100, 0, 0, NULL);
	struct drm_gpuvm *g = &vm->base;
	struct gt_bo *local = gt_bo_new(0, drm_gpuvm_resv(g)), *ext = gt_bo_new(1, NULL);
	struct drm_gpuvm_bo *lb, *eb;

	(void)state;
	assert_false(drm_gpuvm_is_extobj(g, gt_obj(local)));
	assert_true(drm_gpuvm_is_extobj(g, gt_obj(ext)));
	assert_false(drm_gpuvm_is_extobj(g, NULL));
	assert_false(drm_gpuvm_is_extobj(g, g->r_obj));

	lb = obtain_locked(g, gt_obj(local));
	eb = obtain_locked(g, gt_obj(ext));
	drm_gpuvm_bo_extobj_add(lb);		/* local: not listed */
	drm_gpuvm_bo_extobj_add(eb);
	drm_gpuvm_bo_extobj_add(eb);		/* once only */
	assert_int_equal(resv__gpuvm_list_count(&g->extobj), 1);
	assert_ptr_equal(g->extobj.list.next, &eb->list.entry.extobj);
	assert_true(cds_list_empty(&lb->list.entry.extobj));

	assert_true(put_locked(eb));		/* destroy leaves the list */
	assert_int_equal(resv__gpuvm_list_count(&g->extobj), 0);
	assert_true(put_locked(lb));
	drm_gem_object_put(gt_obj(local));
	drm_gem_object_put(gt_obj(ext));
	gt_vm_put_last(vm);
}

void test_gpuvm_bo_evict_spinlock_mode(void **state)
{
	struct gt_vm *vm = gt_vm_new(0, 0, 100, 0, 0, NULL);
	struct drm_gpuvm *g = &vm->base;
	struct gt_bo *local = gt_bo_new(0, drm_gpuvm_resv(g)), *ext = gt_bo_new(1, NULL);
	struct drm_gpuvm_bo *lb = obtain_locked(g, gt_obj(local));
	struct drm_gpuvm_bo *eb = obtain_locked(g, gt_obj(ext));

	(void)state;
	/* Any vm_bo goes on the list at once; only its own resv is needed. */
	gt_lock(gt_obj(ext));
	drm_gpuvm_bo_evict(eb, true);
	drm_gpuvm_bo_evict(eb, true);
	gt_unlock(gt_obj(ext));
	gt_lock(gt_obj(local));
	drm_gpuvm_bo_evict(lb, true);
	gt_unlock(gt_obj(local));
	assert_true(eb->evicted);
	assert_true(lb->evicted);
	assert_int_equal(resv__gpuvm_list_count(&g->evict), 2);

	gt_lock(gt_obj(ext));
	drm_gpuvm_bo_evict(eb, false);
	gt_unlock(gt_obj(ext));
	assert_false(eb->evicted);
	assert_int_equal(resv__gpuvm_list_count(&g->evict), 1);

	/* Destroy takes an evicted vm_bo off the list. */
	assert_true(put_locked(lb));
	assert_int_equal(resv__gpuvm_list_count(&g->evict), 0);
	assert_true(put_locked(eb));
	drm_gem_object_put(gt_obj(local));
	drm_gem_object_put(gt_obj(ext));
	gt_vm_put_last(vm);
}

void test_gpuvm_bo_gem_evict_all_vms(void **state)
{
	struct gt_vm *vm1 = gt_vm_new(0, 0, 100, 0, 0, NULL);
	struct gt_vm *vm2 = gt_vm_new(DRM_GPUVM_RESV_PROTECTED, 0, 100, 0, 0, NULL);
	struct gt_bo *bo = gt_bo_new(0, NULL);
	struct drm_gpuvm_bo *b1 = obtain_locked(&vm1->base, gt_obj(bo));
	struct drm_gpuvm_bo *b2 = obtain_locked(&vm2->base, gt_obj(bo));

	(void)state;
	gt_lock(gt_obj(bo));
	drm_gpuvm_bo_gem_evict(gt_obj(bo), true);
	assert_true(b1->evicted && b2->evicted);
	/* Spinlock mode lists it; RESV_PROTECTED only marks an extobj. */
	assert_int_equal(resv__gpuvm_list_count(&vm1->base.evict), 1);
	assert_int_equal(resv__gpuvm_list_count(&vm2->base.evict), 0);
	drm_gpuvm_bo_gem_evict(gt_obj(bo), false);
	assert_false(b1->evicted || b2->evicted);
	assert_int_equal(resv__gpuvm_list_count(&vm1->base.evict), 0);
	assert_true(drm_gpuvm_bo_put(b1));
	gt_unlock(gt_obj(bo));

	/* RESV_PROTECTED destroy: VM resv and object resv. */
	{
		struct drm_exec exec;
		int ret = 0;

		drm_exec_init(&exec, 0, 0);
		drm_exec_until_all_locked(&exec) {
			ret = drm_gpuvm_prepare_vm(&vm2->base, &exec, 0);
			drm_exec_retry_on_contention(&exec);
			assert_int_equal(ret, 0);
			ret = drm_exec_lock_obj(&exec, gt_obj(bo));
			drm_exec_retry_on_contention(&exec);
			assert_int_equal(ret, 0);
		}
		assert_true(drm_gpuvm_bo_put(b2));
		drm_exec_fini(&exec);
	}
	drm_gem_object_put(gt_obj(bo));
	gt_vm_put_last(vm1);
	gt_vm_put_last(vm2);
}

/* ---- immediate mode ------------------------------------------------------------ */

void test_gpuvm_bo_obtain_prealloc(void **state)
{
	struct gt_vm *vm = gt_vm_new(DRM_GPUVM_IMMEDIATE_MODE, 0, 100, 0, 0, NULL);
	struct gt_vm *plain = gt_vm_new(0, 0, 100, 0, 0, NULL);
	struct gt_bo *bo = gt_bo_new(0, NULL);
	struct drm_gpuvm_bo *pre, *got, *again;

	(void)state;
	pre = drm_gpuvm_bo_create(&vm->base, gt_obj(bo));
	assert_non_null(pre);
	assert_int_equal(gem_vm_bos(gt_obj(bo)), 0);	/* created, not linked */
	got = drm_gpuvm_bo_obtain_prealloc(pre);	/* takes the mutex itself */
	assert_ptr_equal(got, pre);
	assert_int_equal(gem_vm_bos(gt_obj(bo)), 1);

	pre = drm_gpuvm_bo_create(&vm->base, gt_obj(bo));
	assert_int_equal(drm_gpuvm_refcount(&vm->base), 3);
	again = drm_gpuvm_bo_obtain_prealloc(pre);	/* pre is dropped */
	assert_ptr_equal(again, got);
	assert_int_equal(drm_gpuvm_bo_refcount(got), 2);
	assert_int_equal(drm_gpuvm_refcount(&vm->base), 2);
	assert_int_equal(drm_gem_object_refcount(gt_obj(bo)), 2);
	assert_int_equal(gem_vm_bos(gt_obj(bo)), 1);

	/* Not in immediate mode: refused, the preallocated vm_bo untouched. */
	pre = drm_gpuvm_bo_create(&plain->base, gt_obj(bo));
	assert_ptr_equal(drm_gpuvm_bo_obtain_prealloc(pre), resv_err_ptr(-EINVAL));
	assert_int_equal(gt_reports_take(RESV_REPORT_GPUVM_MISUSE), expected(1));
	assert_int_equal(drm_gpuvm_bo_refcount(pre), 1);
	assert_true(put_locked(pre));	/* put's rule: the gpuva lock, listed or not */
	assert_ptr_equal(drm_gpuvm_bo_obtain_prealloc(NULL), resv_err_ptr(-EINVAL));

	pthread_mutex_lock(&gt_obj(bo)->gpuva.lock);
	assert_false(drm_gpuvm_bo_put(again));
	assert_true(drm_gpuvm_bo_put(got));
	pthread_mutex_unlock(&gt_obj(bo)->gpuva.lock);
	assert_int_equal(gem_vm_bos(gt_obj(bo)), 0);
	drm_gem_object_put(gt_obj(bo));
	gt_vm_put_last(vm);
	gt_vm_put_last(plain);
}

/* In immediate mode the gpuva lock is the object's mutex. */
void test_gpuvm_immediate_mode_lock_assertion(void **state)
{
	struct gt_vm *vm = gt_vm_new(DRM_GPUVM_IMMEDIATE_MODE, 0, 100, 0, 0, NULL);
	struct gt_bo *bo = gt_bo_new(0, NULL);
	struct drm_gpuvm_bo *vm_bo;

	(void)state;
	gt_lock(gt_obj(bo));		/* the resv is not the gpuva lock here */
	vm_bo = drm_gpuvm_bo_obtain(&vm->base, gt_obj(bo));
	gt_unlock(gt_obj(bo));
	assert_false(resv_is_err(vm_bo));
	assert_int_equal(gt_reports_take(RESV_REPORT_GPUVM_MISUSE), expected(1));

	pthread_mutex_lock(&gt_obj(bo)->gpuva.lock);
	drm_gem_gpuva_assert_lock_held(&vm->base, gt_obj(bo));
	assert_int_equal(gt_reports_take(RESV_REPORT_GPUVM_MISUSE), 0);
	assert_true(drm_gpuvm_bo_put(vm_bo));
	pthread_mutex_unlock(&gt_obj(bo)->gpuva.lock);
	drm_gem_object_put(gt_obj(bo));
	gt_vm_put_last(vm);
}

static void deferred_put(enum drm_gpuvm_flags mode)
{
	struct gt_vm *vm = gt_vm_new(DRM_GPUVM_IMMEDIATE_MODE | mode, 0, 100, 0, 0, NULL);
	struct drm_gpuvm *g = &vm->base;
	struct gt_bo *bo = gt_bo_new(0, NULL);
	struct drm_gpuva va = { 0 };
	struct drm_gpuvm_bo *vm_bo;
	struct drm_exec exec;
	int ret = 0;

	vm_bo = drm_gpuvm_bo_obtain_prealloc(drm_gpuvm_bo_create(g, gt_obj(bo)));
	assert_false(resv_is_err(vm_bo));
	drm_gpuva_init(&va, 0, 10, gt_obj(bo), 0);
	assert_int_equal(drm_gpuva_insert(g, &va), 0);
	pthread_mutex_lock(&gt_obj(bo)->gpuva.lock);
	assert_int_equal(drm_gpuva_link(&va, vm_bo), 0);
	pthread_mutex_unlock(&gt_obj(bo)->gpuva.lock);

	/* Listed as extobj and evicted, under the VM's and the object's resv. */
	drm_exec_init(&exec, 0, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_gpuvm_prepare_vm(g, &exec, 0);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
		ret = drm_exec_lock_obj(&exec, gt_obj(bo));
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
	}
	drm_gpuvm_bo_extobj_add(vm_bo);
	drm_gpuvm_bo_evict(vm_bo, true);
	drm_exec_fini(&exec);
	assert_int_equal(resv__gpuvm_list_count(&g->extobj), 1);
	assert_int_equal(resv__gpuvm_list_count(&g->evict), mode ? 0 : 1);

	/* Not the last reference: just dropped. */
	assert_false(drm_gpuvm_bo_put_deferred(vm_bo));
	assert_int_equal(drm_gpuvm_bo_refcount(vm_bo), 1);
	assert_int_equal(drm_gpuvm_refcount(g), 3);	/* + va, + vm_bo */

	/* The last one goes with the link: a zombie, off the object's list;
	 * in spinlock mode off the VM's lists too, with RESV_PROTECTED still
	 * on them (their lock is the VM resv, not taken here). */
	assert_int_equal(drm_gpuva_unlink_defer(&va), 0);
	assert_null(va.vm_bo);
	assert_int_equal(gem_vm_bos(gt_obj(bo)), 0);
	assert_int_equal(resv__gpuvm_list_count(&g->extobj), mode ? 1 : 0);
	assert_int_equal(resv__gpuvm_list_count(&g->evict), 0);
	assert_non_null(g->bo_defer.first);
	assert_int_equal(drm_gpuvm_refcount(g), 3);	/* the zombie still holds one */
	assert_int_equal(drm_gem_object_refcount(gt_obj(bo)), 2);

	/* Iterators skip the zombie: only the VM resv gets locked. */
	drm_exec_init(&exec, 0, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_gpuvm_prepare_vm(g, &exec, 0);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
		ret = drm_gpuvm_prepare_objects(g, &exec, 0);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
	}
	assert_int_equal(exec.num_objects, 1);
	assert_int_equal(resv__gpuvm_list_count(&g->evict), 0);
	drm_exec_fini(&exec);

	drm_gpuvm_bo_deferred_cleanup(g);
	assert_null(g->bo_defer.first);
	assert_int_equal(resv__gpuvm_list_count(&g->extobj), 0);
	assert_int_equal(drm_gpuvm_refcount(g), 2);
	assert_int_equal(drm_gem_object_refcount(gt_obj(bo)), 1);
	drm_gpuvm_bo_deferred_cleanup(g);		/* nothing left: no-op */

	assert_false(drm_gpuvm_bo_put_deferred(NULL));
	assert_int_equal(drm_gpuva_unlink_defer(NULL), -EINVAL);
	assert_int_equal(drm_gpuva_unlink_defer(&va), -EINVAL);	/* not linked */
	assert_int_equal(drm_gpuva_remove(&va), 0);
	drm_gem_object_put(gt_obj(bo));
	gt_vm_put_last(vm);
}

void test_gpuvm_bo_put_deferred_spinlock_mode(void **state)
{
	(void)state;
	deferred_put(0);
}

void test_gpuvm_bo_put_deferred_resv_protected(void **state)
{
	(void)state;
	deferred_put(DRM_GPUVM_RESV_PROTECTED);
}

/* Deferred puts outside immediate mode: refused, nothing dropped. */
void test_gpuvm_bo_put_deferred_misuse(void **state)
{
	struct gt_vm *vm = gt_vm_new(0, 0, 100, 0, 0, NULL);
	struct gt_bo *bo = gt_bo_new(0, NULL);
	struct drm_gpuvm_bo *vm_bo = obtain_locked(&vm->base, gt_obj(bo));
	struct drm_gpuva va = { 0 };

	(void)state;
	assert_false(drm_gpuvm_bo_put_deferred(vm_bo));
	assert_int_equal(gt_reports_take(RESV_REPORT_GPUVM_MISUSE), expected(1));
	assert_int_equal(drm_gpuvm_bo_refcount(vm_bo), 1);

	drm_gpuva_init(&va, 0, 10, gt_obj(bo), 0);
	assert_int_equal(drm_gpuva_insert(&vm->base, &va), 0);
	gt_lock(gt_obj(bo));
	assert_int_equal(drm_gpuva_link(&va, vm_bo), 0);
	gt_unlock(gt_obj(bo));
	assert_int_equal(drm_gpuva_unlink_defer(&va), -EINVAL);
	assert_int_equal(gt_reports_take(RESV_REPORT_GPUVM_MISUSE), expected(1));
	assert_ptr_equal(va.vm_bo, vm_bo);
	assert_int_equal(drm_gpuvm_bo_refcount(vm_bo), 2);

	gt_lock(gt_obj(bo));
	drm_gpuva_unlink(&va);
	assert_true(drm_gpuvm_bo_put(vm_bo));
	gt_unlock(gt_obj(bo));
	assert_int_equal(drm_gpuva_remove(&va), 0);
	drm_gem_object_put(gt_obj(bo));
	gt_vm_put_last(vm);
}

/* A VM whose references were dropped too early reports what it still holds. */
void test_gpuvm_free_reports_leftovers(void **state)
{
	struct gt_vm *vm = gt_vm_new(0, 0, 100, 0, 0, NULL);
	struct drm_gpuva *va = calloc(1, sizeof(*va));

	(void)state;
	assert_non_null(va);
	drm_gpuva_init(va, 0, 10, NULL, 0);
	assert_int_equal(drm_gpuva_insert(&vm->base, va), 0);
	drm_gpuvm_put(&vm->base);	/* the driver's bug: the mapping's reference */
	gt_vm_put_last(vm);		/* freed with the mapping in the tree */
	assert_int_equal(gt_reports_take(RESV_REPORT_GPUVM_MISUSE), expected(1));
	free(va);
}
