/* SPDX-License-Identifier: MIT */
/*
 * The exec helpers in both list modes: what prepare_vm / prepare_objects /
 * prepare_range and exec_lock[_array|_range] lock and reserve, validate and
 * the evicted-object folding of RESV_PROTECTED, resv_add_fence usages on
 * private and external objects, the sm_*_exec_lock walks, error paths that
 * leave nothing locked, a second concurrent list walk (-EBUSY) and
 * allocation failure.
 */
#include "gpuvm_test.h"

#include "internal/dma-resv.h"

#define NLOC 3
#define NEXT 4

struct fix {
	struct gt_vm *vm;
	struct drm_gpuvm *g;
	struct gt_bo *loc[NLOC], *ext[NEXT];
	struct drm_gpuvm_bo *lb[NLOC], *eb[NEXT];
	struct drm_gpuvm_ops ops;
};

static int fail_id = -1;	/* validate fails for this object */
static unsigned int validate_calls;
static unsigned int validate_unlocked;	/* calls without the object's resv */

static int validate_cb(struct drm_gpuvm_bo *vm_bo, struct drm_exec *exec)
{
	struct gt_bo *bo = caa_container_of(vm_bo->obj, struct gt_bo, base);

	(void)exec;
	validate_calls++;
	if (!dma_resv_held(vm_bo->obj->resv))
		validate_unlocked++;
	if ((int)bo->id == fail_id)
		return -EIO;
	bo->resident = true;
	bo->validations++;
	drm_gpuvm_bo_evict(vm_bo, false);
	return 0;
}

/* Lock the VM and one object with a context (protected-mode list changes). */
static void lock_vm_and(struct drm_exec *exec, struct drm_gpuvm *g, struct drm_gem_object *obj)
{
	int ret = 0;

	drm_exec_init(exec, DRM_EXEC_IGNORE_DUPLICATES, 0);
	drm_exec_until_all_locked(exec) {
		ret = drm_gpuvm_prepare_vm(g, exec, 0);
		drm_exec_retry_on_contention(exec);
		assert_int_equal(ret, 0);
		ret = drm_exec_lock_obj(exec, obj);
		drm_exec_retry_on_contention(exec);
		assert_int_equal(ret, 0);
	}
}

static void fix_init(struct fix *f, enum drm_gpuvm_flags mode)
{
	struct drm_exec exec;

	memset(f, 0, sizeof(*f));
	f->ops = gt_vm_ops;
	f->ops.vm_bo_validate = validate_cb;
	f->vm = gt_vm_new(mode, 0, 1000, 0, 0, &f->ops);
	f->g = &f->vm->base;
	fail_id = -1;
	validate_calls = validate_unlocked = 0;
	for (int i = 0; i < NLOC + NEXT; i++) {
		bool local = i < NLOC;
		struct gt_bo *bo = gt_bo_new((unsigned int)i, local ? drm_gpuvm_resv(f->g) : NULL);
		struct drm_gpuvm_bo *vm_bo;

		lock_vm_and(&exec, f->g, gt_obj(bo));
		vm_bo = drm_gpuvm_bo_obtain(f->g, gt_obj(bo));
		assert_false(resv_is_err(vm_bo));
		drm_gpuvm_bo_extobj_add(vm_bo);
		drm_exec_fini(&exec);
		if (local) {
			f->loc[i] = bo;
			f->lb[i] = vm_bo;
		} else {
			f->ext[i - NLOC] = bo;
			f->eb[i - NLOC] = vm_bo;
		}
	}
	assert_int_equal(resv__gpuvm_list_count(&f->g->extobj), NEXT);
}

static void assert_nothing_locked(struct fix *f)
{
	assert_false(dma_resv_is_locked(drm_gpuvm_resv(f->g)));
	for (int i = 0; i < NEXT; i++)
		assert_false(dma_resv_is_locked(f->ext[i]->base.resv));
}

static void fix_fini(struct fix *f)
{
	struct drm_exec exec;

	assert_nothing_locked(f);
	for (int i = 0; i < NLOC + NEXT; i++) {
		struct gt_bo *bo = i < NLOC ? f->loc[i] : f->ext[i - NLOC];
		struct drm_gpuvm_bo *vm_bo = i < NLOC ? f->lb[i] : f->eb[i - NLOC];

		lock_vm_and(&exec, f->g, gt_obj(bo));
		assert_true(drm_gpuvm_bo_put(vm_bo));
		drm_exec_fini(&exec);
		assert_int_equal(drm_gem_object_refcount(gt_obj(bo)), 1);
		drm_gem_object_put(gt_obj(bo));
	}
	assert_int_equal(resv__gpuvm_list_count(&f->g->extobj), 0);
	assert_int_equal(resv__gpuvm_list_count(&f->g->evict), 0);
	gt_vm_put_last(f->vm);
}

static unsigned int free_slots(struct dma_resv *obj)
{
	unsigned int num, max, cap;

	resv__dma_resv_slots(obj, &num, &max, &cap);
	return max - num;
}

static void exec_lock_locks_all(enum drm_gpuvm_flags mode)
{
	struct drm_gpuvm_exec vm_exec = { .flags = DRM_EXEC_INTERRUPTIBLE_WAIT, .num_fences = 2 };
	struct fix f;

	fix_init(&f, mode);
	vm_exec.vm = f.g;
	assert_int_equal(drm_gpuvm_exec_lock(&vm_exec), 0);
	/* The VM resv (which the local objects share) and each extobj once. */
	assert_int_equal(vm_exec.exec.num_objects, 1 + NEXT);
	assert_ptr_equal(drm_exec_obj(&vm_exec.exec, 0), f.g->r_obj);
	assert_true(drm_gpuvm_resv_held(f.g));
	assert_true(free_slots(drm_gpuvm_resv(f.g)) >= 2);
	for (int i = 0; i < NLOC; i++)
		assert_true(dma_resv_held(f.loc[i]->base.resv));
	for (int i = 0; i < NEXT; i++) {
		assert_true(dma_resv_held(f.ext[i]->base.resv));
		assert_true(free_slots(f.ext[i]->base.resv) >= 2);
	}
	/* The walk put the list back as it was. */
	assert_int_equal(resv__gpuvm_list_count(&f.g->extobj), NEXT);
	assert_null(f.g->extobj.local_list);
	drm_gpuvm_exec_unlock(&vm_exec);
	assert_nothing_locked(&f);

	/* num_fences 0: lock only (reserve_fences(0) would be an error). */
	vm_exec.num_fences = 0;
	assert_int_equal(drm_gpuvm_exec_lock(&vm_exec), 0);
	assert_int_equal(vm_exec.exec.num_objects, 1 + NEXT);
	drm_gpuvm_exec_unlock(&vm_exec);
	fix_fini(&f);
}

void test_gpuvm_exec_lock_spinlock_mode(void **state)
{
	(void)state;
	exec_lock_locks_all(0);
}

void test_gpuvm_exec_lock_resv_protected(void **state)
{
	(void)state;
	exec_lock_locks_all(DRM_GPUVM_RESV_PROTECTED);
}

void test_gpuvm_exec_lock_array_and_errors(void **state)
{
	struct drm_gpuvm_exec vm_exec = { .num_fences = 1 };
	struct gt_bo *x = gt_bo_new(100, NULL), *y = gt_bo_new(101, NULL);
	struct drm_gem_object *objs[3];
	struct fix f;

	(void)state;
	fix_init(&f, 0);
	vm_exec.vm = f.g;
	objs[0] = gt_obj(x);
	objs[1] = gt_obj(y);
	assert_int_equal(drm_gpuvm_exec_lock_array(&vm_exec, objs, 2), 0);
	assert_int_equal(vm_exec.exec.num_objects, 1 + NEXT + 2);
	assert_true(dma_resv_held(x->base.resv) && dma_resv_held(y->base.resv));
	assert_null(vm_exec.extra.fn);		/* no dangling hook */
	drm_gpuvm_exec_unlock(&vm_exec);

	/* An extobj again in the array: -EALREADY without IGNORE_DUPLICATES,
	 * and the exec is finalised, nothing left locked. */
	objs[2] = gt_obj(f.ext[0]);
	assert_int_equal(drm_gpuvm_exec_lock_array(&vm_exec, objs, 3), -EALREADY);
	assert_nothing_locked(&f);
	assert_false(dma_resv_is_locked(x->base.resv));
	vm_exec.flags = DRM_EXEC_IGNORE_DUPLICATES;
	assert_int_equal(drm_gpuvm_exec_lock_array(&vm_exec, objs, 3), 0);
	assert_int_equal(vm_exec.exec.num_objects, 1 + NEXT + 2);
	drm_gpuvm_exec_unlock(&vm_exec);

	assert_int_equal(drm_gpuvm_exec_lock_array(NULL, objs, 1), -EINVAL);
	assert_int_equal(drm_gpuvm_exec_lock_array(&vm_exec, NULL, 1), -EINVAL);
	assert_int_equal(drm_gpuvm_exec_lock(NULL), -EINVAL);
	assert_int_equal(drm_gpuvm_exec_lock_range(NULL, 0, 1), -EINVAL);
	assert_int_equal(drm_gpuvm_prepare_vm(NULL, &vm_exec.exec, 0), -EINVAL);
	assert_int_equal(drm_gpuvm_prepare_objects(f.g, NULL, 0), -EINVAL);
	assert_int_equal(drm_gpuvm_prepare_range(f.g, NULL, 0, 1, 0), -EINVAL);
	assert_int_equal(drm_gpuvm_validate(NULL, &vm_exec.exec), -EINVAL);
	drm_gem_object_put(gt_obj(x));
	drm_gem_object_put(gt_obj(y));
	fix_fini(&f);
}

static int extra_fails(struct drm_gpuvm_exec *vm_exec)
{
	int *calls = vm_exec->extra.priv;

	(*calls)++;
	return -EIO;
}

void test_gpuvm_exec_lock_extra_error(void **state)
{
	struct drm_gpuvm_exec vm_exec = { .num_fences = 1 };
	int calls = 0;
	struct fix f;

	(void)state;
	fix_init(&f, DRM_GPUVM_RESV_PROTECTED);
	vm_exec.vm = f.g;
	vm_exec.extra.fn = extra_fails;
	vm_exec.extra.priv = &calls;
	assert_int_equal(drm_gpuvm_exec_lock(&vm_exec), -EIO);
	assert_int_equal(calls, 1);
	assert_nothing_locked(&f);
	fix_fini(&f);
}

void test_gpuvm_exec_lock_range(void **state)
{
	struct drm_gpuvm_exec vm_exec = { .num_fences = 1 };
	struct drm_gpuva va[4];
	struct fix f;

	(void)state;
	fix_init(&f, 0);
	vm_exec.vm = f.g;
	memset(va, 0, sizeof(va));
	drm_gpuva_init(&va[0], 0, 10, gt_obj(f.ext[0]), 0);
	drm_gpuva_init(&va[1], 10, 10, NULL, 0);		/* sparse: skipped */
	drm_gpuva_init(&va[2], 20, 10, gt_obj(f.loc[0]), 0);
	drm_gpuva_init(&va[3], 40, 10, gt_obj(f.ext[1]), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(drm_gpuva_insert(f.g, &va[i]), 0);

	assert_int_equal(drm_gpuvm_exec_lock_range(&vm_exec, 5, 30), 0);
	assert_int_equal(vm_exec.exec.num_objects, 2);	/* ext[0], the VM resv */
	assert_true(dma_resv_held(f.ext[0]->base.resv));
	assert_true(drm_gpuvm_resv_held(f.g));
	assert_false(dma_resv_is_locked(f.ext[1]->base.resv));
	drm_gpuvm_exec_unlock(&vm_exec);

	assert_int_equal(drm_gpuvm_exec_lock_range(&vm_exec, 30, 10), 0);	/* a hole */
	assert_int_equal(vm_exec.exec.num_objects, 0);
	drm_gpuvm_exec_unlock(&vm_exec);
	for (int i = 0; i < 4; i++)
		assert_int_equal(drm_gpuva_remove(&va[i]), 0);
	fix_fini(&f);
}

/* ---- validate ------------------------------------------------------------------ */

static void evict(struct fix *f, struct gt_bo *bo, struct drm_gpuvm_bo *vm_bo)
{
	gt_lock(gt_obj(bo));
	bo->resident = false;
	drm_gpuvm_bo_evict(vm_bo, true);
	gt_unlock(gt_obj(bo));
	(void)f;
}

static void validate_mode(enum drm_gpuvm_flags mode)
{
	struct drm_gpuvm_exec vm_exec = { .num_fences = 1 };
	bool protected = mode & DRM_GPUVM_RESV_PROTECTED;
	struct fix f;

	fix_init(&f, mode);
	vm_exec.vm = f.g;
	evict(&f, f.loc[1], f.lb[1]);
	evict(&f, f.ext[0], f.eb[0]);
	evict(&f, f.ext[2], f.eb[2]);
	/* RESV_PROTECTED lists only the local one now: the evicting thread
	 * held the extobjs' resvs, not the VM's. */
	assert_int_equal(resv__gpuvm_list_count(&f.g->evict), protected ? 1 : 3);

	assert_int_equal(drm_gpuvm_exec_lock(&vm_exec), 0);
	/* prepare_objects folded the flagged extobjs into the list. */
	assert_int_equal(resv__gpuvm_list_count(&f.g->evict), 3);
	assert_int_equal(drm_gpuvm_exec_validate(&vm_exec), 0);
	assert_int_equal(validate_calls, 3);
	assert_int_equal(validate_unlocked, 0);
	assert_int_equal(resv__gpuvm_list_count(&f.g->evict), 0);
	for (int i = 0; i < NLOC; i++)
		assert_true(f.loc[i]->resident && !f.lb[i]->evicted);
	for (int i = 0; i < NEXT; i++)
		assert_true(f.ext[i]->resident && !f.eb[i]->evicted);
	assert_int_equal(f.loc[1]->validations + f.ext[0]->validations + f.ext[2]->validations, 3);
	drm_gpuvm_exec_unlock(&vm_exec);

	/* A failing callback stops the walk; the rest stays listed. */
	evict(&f, f.ext[1], f.eb[1]);
	evict(&f, f.ext[3], f.eb[3]);
	assert_int_equal(drm_gpuvm_exec_lock(&vm_exec), 0);
	fail_id = (int)f.ext[1]->id;
	validate_calls = 0;
	assert_int_equal(drm_gpuvm_validate(f.g, &vm_exec.exec), -EIO);
	assert_int_equal(validate_calls, 1);		/* ext[1] was listed first */
	assert_int_equal(resv__gpuvm_list_count(&f.g->evict), 2);
	assert_ptr_equal(f.g->evict.list.next, &f.eb[1]->list.entry.evict);
	assert_null(f.g->evict.local_list);
	fail_id = -1;
	assert_int_equal(drm_gpuvm_validate(f.g, &vm_exec.exec), 0);
	assert_int_equal(resv__gpuvm_list_count(&f.g->evict), 0);
	drm_gpuvm_exec_unlock(&vm_exec);

	/* No callback: -EOPNOTSUPP. */
	f.ops.vm_bo_validate = NULL;
	assert_int_equal(drm_gpuvm_exec_lock(&vm_exec), 0);
	assert_int_equal(drm_gpuvm_exec_validate(&vm_exec), -EOPNOTSUPP);
	drm_gpuvm_exec_unlock(&vm_exec);
	fix_fini(&f);
}

void test_gpuvm_validate_spinlock_mode(void **state)
{
	(void)state;
	validate_mode(0);
}

void test_gpuvm_validate_resv_protected(void **state)
{
	(void)state;
	validate_mode(DRM_GPUVM_RESV_PROTECTED);
}

/* Spinlock mode: a second walk while one runs is refused, not corrupting. */
void test_gpuvm_concurrent_walk_refused(void **state)
{
	struct drm_gpuvm_exec vm_exec = { .num_fences = 1 };
	struct cds_list_head other;
	struct drm_exec exec;
	struct fix f;
	int ret = 0;

	(void)state;
	fix_init(&f, 0);
	vm_exec.vm = f.g;
	evict(&f, f.ext[0], f.eb[0]);
	CDS_INIT_LIST_HEAD(&other);
	f.g->extobj.local_list = &other;	/* as if another walk were running */
	assert_int_equal(drm_gpuvm_exec_lock(&vm_exec), -EBUSY);
	assert_int_equal(gt_reports_take(RESV_REPORT_GPUVM_MISUSE),
			 resv_report_checks_enabled() ? 1 : 0);
	assert_ptr_equal(f.g->extobj.local_list, &other);
	assert_int_equal(resv__gpuvm_list_count(&f.g->extobj), NEXT);
	assert_nothing_locked(&f);
	f.g->extobj.local_list = NULL;

	drm_exec_init(&exec, 0, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_gpuvm_prepare_vm(f.g, &exec, 1);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
		ret = drm_gpuvm_prepare_objects(f.g, &exec, 1);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
	}
	f.g->evict.local_list = &other;
	assert_int_equal(drm_gpuvm_validate(f.g, &exec), -EBUSY);
	assert_int_equal(gt_reports_take(RESV_REPORT_GPUVM_MISUSE),
			 resv_report_checks_enabled() ? 1 : 0);
	assert_int_equal(validate_calls, 0);
	f.g->evict.local_list = NULL;
	assert_int_equal(drm_gpuvm_validate(f.g, &exec), 0);
	assert_int_equal(validate_calls, 1);
	drm_exec_fini(&exec);
	fix_fini(&f);
}

/* ---- fences ----------------------------------------------------------------------- */

static const char *fence_name(struct dma_fence *f)
{
	(void)f;
	return "gpuvm-test";
}

static const struct dma_fence_ops fence_ops = {
	.get_driver_name = fence_name,
	.get_timeline_name = fence_name,
};

static struct resv_spinlock fence_lock = RESV_SPINLOCK_INITIALIZER;

/* Fences of @obj, which the caller holds, by usage. */
static void count_usages(struct dma_resv *obj, struct dma_fence *want, unsigned int *by_usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;

	memset(by_usage, 0, 4 * sizeof(*by_usage));
	dma_resv_for_each_fence(&cursor, obj, DMA_RESV_USAGE_BOOKKEEP, fence) {
		assert_ptr_equal(fence, want);
		by_usage[dma_resv_iter_usage(&cursor)]++;
	}
}

void test_gpuvm_resv_add_fence_usages(void **state)
{
	struct drm_gpuvm_exec vm_exec = { .num_fences = 1 };
	struct gt_bo *x = gt_bo_new(100, NULL);
	struct drm_gem_object *objs[1] = { gt_obj(x) };
	struct dma_fence *fence = resv_dma_fence_alloc(sizeof(*fence));
	unsigned int u[4];
	struct fix f;

	(void)state;
	fix_init(&f, DRM_GPUVM_RESV_PROTECTED);
	vm_exec.vm = f.g;
	assert_non_null(fence);
	dma_fence_init(fence, &fence_ops, &fence_lock, dma_fence_context_alloc(1), 1);

	assert_int_equal(drm_gpuvm_exec_lock_array(&vm_exec, objs, 1), 0);
	drm_gpuvm_exec_resv_add_fence(&vm_exec, fence, DMA_RESV_USAGE_BOOKKEEP,
				      DMA_RESV_USAGE_READ);
	/* The VM resv, shared by the local objects, gets it once, private. */
	count_usages(drm_gpuvm_resv(f.g), fence, u);
	assert_int_equal(u[DMA_RESV_USAGE_BOOKKEEP], 1);
	assert_int_equal(u[DMA_RESV_USAGE_READ] + u[DMA_RESV_USAGE_WRITE] +
			 u[DMA_RESV_USAGE_KERNEL], 0);
	/* Every external object, and the extra one (not the VM's resv). */
	for (int i = 0; i <= NEXT; i++) {
		count_usages(i < NEXT ? f.ext[i]->base.resv : x->base.resv, fence, u);
		assert_int_equal(u[DMA_RESV_USAGE_READ], 1);
		assert_int_equal(u[DMA_RESV_USAGE_BOOKKEEP], 0);
	}
	drm_gpuvm_exec_unlock(&vm_exec);

	dma_fence_signal(fence);
	dma_fence_put(fence);
	drm_gem_object_put(gt_obj(x));
	fix_fini(&f);
}

/* ---- sm exec lock ------------------------------------------------------------------- */

void test_gpuvm_sm_exec_lock(void **state)
{
	struct drm_gpuvm_map_req req = { 0 };
	struct drm_gpuva va[3];
	struct drm_exec exec;
	struct fix f;
	int ret = 0;

	(void)state;
	fix_init(&f, 0);
	memset(va, 0, sizeof(va));
	drm_gpuva_init(&va[0], 0, 10, gt_obj(f.ext[0]), 0);
	drm_gpuva_init(&va[1], 10, 10, gt_obj(f.ext[1]), 0);
	drm_gpuva_init(&va[2], 30, 10, gt_obj(f.ext[2]), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(drm_gpuva_insert(f.g, &va[i]), 0);

	/* Map [5, 15) of ext[3]: prepares ext[3], locks ext[0] (split) and
	 * ext[1] (split); ext[2] is not touched. */
	req.map.va.addr = 5;
	req.map.va.range = 10;
	req.map.gem.obj = gt_obj(f.ext[3]);
	drm_exec_init(&exec, DRM_EXEC_IGNORE_DUPLICATES, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_gpuvm_sm_map_exec_lock(f.g, &exec, 1, &req);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
		ret = drm_gpuvm_sm_unmap_exec_lock(f.g, &exec, 0, 40);	/* overlaps: dups */
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
	}
	assert_int_equal(exec.num_objects, 4);
	assert_ptr_equal(drm_exec_obj(&exec, 0), gt_obj(f.ext[3]));
	assert_ptr_equal(drm_exec_obj(&exec, 1), gt_obj(f.ext[0]));
	assert_ptr_equal(drm_exec_obj(&exec, 2), gt_obj(f.ext[1]));
	assert_ptr_equal(drm_exec_obj(&exec, 3), gt_obj(f.ext[2]));
	assert_true(free_slots(f.ext[3]->base.resv) >= 1);
	drm_exec_fini(&exec);

	for (int i = 0; i < 3; i++)
		assert_int_equal(drm_gpuva_remove(&va[i]), 0);
	fix_fini(&f);
}

/* ---- allocation failure ------------------------------------------------------------ */

void test_gpuvm_exec_lock_enomem(void **state)
{
	struct drm_gpuvm_exec vm_exec = { .num_fences = 3 };
	unsigned long n, failures = 0;
	struct fix f;
	int ret;

	(void)state;
	fix_init(&f, DRM_GPUVM_RESV_PROTECTED);
	vm_exec.vm = f.g;
	evict(&f, f.ext[1], f.eb[1]);
	for (n = 1;; n++) {
		resv_alloc_fail_nth(n);
		ret = drm_gpuvm_exec_lock(&vm_exec);
		resv_alloc_fail_nth(0);
		if (ret == 0)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_nothing_locked(&f);
		for (int i = 0; i < NEXT; i++)
			assert_int_equal(drm_gem_object_refcount(gt_obj(f.ext[i])), 2);
		assert_int_equal(resv__gpuvm_list_count(&f.g->extobj), NEXT);
		assert_int_equal(drm_gpuvm_refcount(f.g), 1 + NLOC + NEXT);
		failures++;
	}
	/* At least the table and the reservations of the objects failed once. */
	assert_true(failures >= 1);
	assert_int_equal(vm_exec.exec.num_objects, 1 + NEXT);
	assert_int_equal(drm_gpuvm_exec_validate(&vm_exec), 0);
	assert_true(f.ext[1]->resident);
	drm_gpuvm_exec_unlock(&vm_exec);
	fix_fini(&f);
}
