/* SPDX-License-Identifier: MIT */
/* drm_gpuvm suite harness: seed, reports, setup/teardown, test objects and VMs. */
#include <inttypes.h>
#include <time.h>

#include "gpuvm_test.h"

uint64_t gt_seed;
long gt_bos_live;
long gt_vms_freed;

void gt_rng_init(struct gt_rng *r, uint64_t salt)
{
	r->s = gt_seed ^ (salt * 0x9e3779b97f4a7c15ull);
	(void)gt_rng_next(r);
}

/* ---- reports --------------------------------------------------------------------- */

static unsigned int reports_by_kind[64];
static unsigned int reports_total;

static void count_report(const struct resv_report *r, void *arg)
{
	(void)arg;
	__atomic_add_fetch(&reports_by_kind[(unsigned int)r->kind & 63], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&reports_total, 1, __ATOMIC_RELAXED);
	if (getenv("GT_VERBOSE"))
		fprintf(stderr, "report %s: %s\n", resv_report_kind_name(r->kind), r->message);
}

unsigned int gt_reports_take(enum resv_report_kind kind)
{
	return __atomic_exchange_n(&reports_by_kind[(unsigned int)kind & 63], 0, __ATOMIC_RELAXED);
}

unsigned int gt_reports_seen(void)
{
	return __atomic_load_n(&reports_total, __ATOMIC_RELAXED);
}

/* ---- setup / teardown ---------------------------------------------------------- */

static uint64_t live_at_start;
static long bos_at_start;

uint64_t gt_live_bytes(void)
{
	struct resv_alloc_stats st;

	resv_rcu_barrier();
	resv_alloc_get_stats(&st);
	return st.live_bytes;
}

int gt_setup(void **state)
{
	(void)state;
	memset(reports_by_kind, 0, sizeof(reports_by_kind));
	resv_report_set_hook(count_report, NULL);
	resv_alloc_fail_nth(0);
	live_at_start = gt_live_bytes();
	bos_at_start = __atomic_load_n(&gt_bos_live, __ATOMIC_RELAXED);
	return 0;
}

int gt_teardown(void **state)
{
	unsigned int k, left = 0;

	(void)state;
	resv_alloc_fail_nth(0);
	for (k = 0; k < 64; k++) {
		if (reports_by_kind[k]) {
			fprintf(stderr, "unexpected %u report(s) of kind %s (seed %" PRIu64 ")\n",
				reports_by_kind[k], resv_report_kind_name((enum resv_report_kind)k),
				gt_seed);
			left += reports_by_kind[k];
		}
	}
	resv_report_set_hook(NULL, NULL);
	assert_int_equal(left, 0);
	assert_int_equal(__atomic_load_n(&gt_bos_live, __ATOMIC_RELAXED), bos_at_start);
	assert_int_equal(gt_live_bytes(), live_at_start);
	return 0;
}

/* ---- GEM objects --------------------------------------------------------------- */

static void gt_bo_free(struct drm_gem_object *obj)
{
	struct gt_bo *bo = caa_container_of(obj, struct gt_bo, base);

	drm_gem_object_release(obj);
	free(bo);
	__atomic_sub_fetch(&gt_bos_live, 1, __ATOMIC_RELAXED);
}

static const struct drm_gem_object_funcs gt_bo_funcs = { .free = gt_bo_free };

struct gt_bo *gt_bo_new(unsigned int id, struct dma_resv *shared)
{
	struct gt_bo *bo = calloc(1, sizeof(*bo));

	assert_non_null(bo);
	bo->id = id;
	bo->resident = true;
	bo->base.resv = shared;
	assert_int_equal(drm_gem_object_init(&bo->base, &gt_bo_funcs, 4096), 0);
	__atomic_add_fetch(&gt_bos_live, 1, __ATOMIC_RELAXED);
	return bo;
}

void gt_lock(struct drm_gem_object *obj)
{
	assert_int_equal(dma_resv_lock(obj->resv, NULL), 0);
}

void gt_unlock(struct drm_gem_object *obj)
{
	dma_resv_unlock(obj->resv);
}

/* ---- VMs ------------------------------------------------------------------------- */

static void gt_vm_free(struct drm_gpuvm *gpuvm)
{
	free(caa_container_of(gpuvm, struct gt_vm, base));
	__atomic_add_fetch(&gt_vms_freed, 1, __ATOMIC_RELAXED);
}

const struct drm_gpuvm_ops gt_vm_ops = { .vm_free = gt_vm_free };

struct gt_vm *gt_vm_new(enum drm_gpuvm_flags flags, uint64_t start, uint64_t range,
			uint64_t kstart, uint64_t krange, const struct drm_gpuvm_ops *ops)
{
	struct gt_vm *vm = calloc(1, sizeof(*vm));
	struct drm_gem_object *r_obj = drm_gpuvm_resv_object_alloc(NULL);

	assert_non_null(vm);
	assert_non_null(r_obj);
	assert_int_equal(drm_gpuvm_init(&vm->base, "test", flags, NULL, r_obj, start, range,
					kstart, krange, ops ? ops : &gt_vm_ops),
			 0);
	assert_int_equal(drm_gem_object_refcount(r_obj), 2);
	drm_gem_object_put(r_obj);	/* the VM keeps its own */
	vm->r_obj = r_obj;
	return vm;
}

void gt_vm_put_last(struct gt_vm *vm)
{
	long before = __atomic_load_n(&gt_vms_freed, __ATOMIC_RELAXED);

	assert_int_equal(drm_gpuvm_refcount(&vm->base), 1);
	drm_gpuvm_put(&vm->base);
	assert_int_equal(__atomic_load_n(&gt_vms_freed, __ATOMIC_RELAXED), before + 1);
}

/* ---- mappings ---------------------------------------------------------------------- */

struct gt_va *gt_va_new(void)
{
	struct gt_va *va = calloc(1, sizeof(*va));

	assert_non_null(va);
	va->magic = GT_VA_MAGIC;
	return va;
}

void gt_va_free(struct gt_va *va)
{
	assert_int_equal(va->magic, GT_VA_MAGIC);
	va->magic = 0;
	free(va);
}

/* ---- applying steps ------------------------------------------------------------- */

static void maybe_lock(struct drm_gem_object *obj, bool lock)
{
	if (obj && lock)
		gt_lock(obj);
}

static void maybe_unlock(struct drm_gem_object *obj, bool lock)
{
	if (obj && lock)
		gt_unlock(obj);
}

void gt_apply_op(struct drm_gpuvm *gpuvm, struct drm_gpuva_op *op, bool lock)
{
	struct drm_gpuva *old;
	struct gt_va *va, *prev, *next;
	struct drm_gpuvm_bo *vm_bo;
	struct drm_gem_object *obj;

	switch (op->op) {
	case DRM_GPUVA_OP_MAP:
		va = gt_va_new();
		assert_int_equal(drm_gpuva_map(gpuvm, &va->base, &op->map), 0);
		obj = op->map.gem.obj;
		if (!obj)
			break;
		maybe_lock(obj, lock);
		vm_bo = drm_gpuvm_bo_obtain(gpuvm, obj);
		assert_false(resv_is_err(vm_bo));
		assert_int_equal(drm_gpuva_link(&va->base, vm_bo), 0);
		drm_gpuvm_bo_extobj_add(vm_bo);
		assert_false(drm_gpuvm_bo_put(vm_bo));	/* the link holds it */
		maybe_unlock(obj, lock);
		break;
	case DRM_GPUVA_OP_REMAP:
		old = op->remap.unmap->va;
		obj = old->gem.obj;
		prev = op->remap.prev ? gt_va_new() : NULL;
		next = op->remap.next ? gt_va_new() : NULL;
		assert_int_equal(drm_gpuva_remap(prev ? &prev->base : NULL,
						 next ? &next->base : NULL, &op->remap), 0);
		maybe_lock(obj, lock);
		if (obj) {
			if (prev)
				assert_int_equal(drm_gpuva_link(&prev->base, old->vm_bo), 0);
			if (next)
				assert_int_equal(drm_gpuva_link(&next->base, old->vm_bo), 0);
		}
		drm_gpuva_unlink(old);
		maybe_unlock(obj, lock);
		gt_va_free(gt_va_of(old));
		break;
	case DRM_GPUVA_OP_UNMAP:
		old = op->unmap.va;
		obj = old->gem.obj;
		maybe_lock(obj, lock);
		drm_gpuva_unlink(old);
		maybe_unlock(obj, lock);
		assert_int_equal(drm_gpuva_unmap(&op->unmap), 0);
		gt_va_free(gt_va_of(old));
		break;
	default:
		fail_msg("unexpected op %d", op->op);
	}
}

int gt_step_apply(struct drm_gpuva_op *op, void *priv)
{
	struct gt_apply *a = priv;

	a->steps++;
	gt_apply_op(a->vm, op, a->lock);
	return 0;
}

void gt_unmap_all(struct drm_gpuvm *gpuvm, bool lock)
{
	struct drm_gpuva *va, *next;

	drm_gpuvm_for_each_va_safe(va, next, gpuvm) {
		struct drm_gpuva_op op = { .op = DRM_GPUVA_OP_UNMAP };

		if (va == &gpuvm->kernel_alloc_node)
			continue;
		op.unmap.va = va;
		gt_apply_op(gpuvm, &op, lock);
	}
}

/* ---- the model -------------------------------------------------------------------- */

void gt_model_init(struct gt_model *m, uint64_t size)
{
	m->size = size;
	m->mapped = calloc(size, sizeof(*m->mapped));
	m->obj = calloc(size, sizeof(*m->obj));
	m->off = calloc(size, sizeof(*m->off));
	assert_non_null(m->mapped);
	assert_non_null(m->obj);
	assert_non_null(m->off);
}

void gt_model_fini(struct gt_model *m)
{
	free(m->mapped);
	free(m->obj);
	free(m->off);
}

void gt_model_paint(struct gt_model *m, uint64_t addr, uint64_t range,
		    struct drm_gem_object *obj, uint64_t off)
{
	for (uint64_t i = 0; i < range; i++) {
		m->mapped[addr + i] = true;
		m->obj[addr + i] = obj;
		m->off[addr + i] = off + i;
	}
}

void gt_model_clear(struct gt_model *m, uint64_t addr, uint64_t range)
{
	for (uint64_t i = 0; i < range; i++)
		m->mapped[addr + i] = false;
}

void gt_model_check(const struct gt_model *m, struct drm_gpuvm *gpuvm)
{
	uint64_t covered = 0, expect = 0;
	long mappings = 0, vm_bos = 0;
	struct drm_gpuva *va;

	assert_true(resv__gpuvm_tree_check(gpuvm) >= 0);
	drm_gpuvm_for_each_va(va, gpuvm) {
		if (va == &gpuvm->kernel_alloc_node)
			continue;
		mappings++;
		for (uint64_t i = 0; i < va->va.range; i++) {
			uint64_t p = va->va.addr + i;

			assert_true(p < m->size);
			assert_true(m->mapped[p]);
			assert_ptr_equal(m->obj[p], va->gem.obj);
			assert_int_equal(m->off[p], va->gem.offset + i);
		}
		covered += va->va.range;
		if (va->gem.obj) {
			struct drm_gpuvm_bo *vm_bo;
			unsigned int found = 0;
			long linked = 0;
			struct drm_gpuva *l;

			assert_non_null(va->vm_bo);
			assert_ptr_equal(va->vm_bo->obj, va->gem.obj);
			assert_ptr_equal(va->vm_bo->vm, gpuvm);
			drm_gem_for_each_gpuvm_bo(vm_bo, va->gem.obj)
				found += vm_bo->vm == gpuvm;
			assert_int_equal(found, 1);
			drm_gpuvm_bo_for_each_va(l, va->vm_bo)
				linked++;
			assert_int_equal(drm_gpuvm_bo_refcount(va->vm_bo), linked);
		} else {
			assert_null(va->vm_bo);
		}
	}
	for (uint64_t p = 0; p < m->size; p++)
		expect += m->mapped[p];
	assert_int_equal(covered, expect);

	/* Count vm_bos through the mappings' objects, each vm_bo once. */
	drm_gpuvm_for_each_va(va, gpuvm) {
		struct drm_gpuva *first;

		if (!va->vm_bo)
			continue;
		first = cds_list_first_entry(&va->vm_bo->list.gpuva, struct drm_gpuva, gem.entry);
		vm_bos += first == va;
	}
	assert_int_equal(drm_gpuvm_refcount(gpuvm), 1 + mappings + vm_bos);
}
