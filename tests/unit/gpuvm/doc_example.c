/* SPDX-License-Identifier: MIT */
/*
 * The example of docs/gpuvm.md, compiled and run here so the document
 * cannot rot: a tiny driver VM with a bind (sm_map through step callbacks)
 * and an exec (lock, revalidate, publish). Keep the two in sync.
 */
#include "gpuvm_test.h"

/* ---- docs/gpuvm.md: example begins ---- */
struct my_vm {
	struct drm_gpuvm base;
	pthread_mutex_t lock;		/* the driver's VM lock: guards the VA tree */
};

struct my_va {
	struct drm_gpuva base;
};

/* What one bind needs, allocated before the walk (no allocation inside). */
struct my_bind {
	struct drm_gpuvm *vm;
	struct drm_gpuvm_bo *vm_bo;	/* of the object being mapped */
	struct my_va *new_va, *prev, *next;
	struct my_va *freed[8];		/* old mappings, freed after the walk */
	unsigned int nfreed;
};

static int my_step_map(struct drm_gpuva_op *op, void *priv)
{
	struct my_bind *b = priv;
	int ret = drm_gpuva_map(b->vm, &b->new_va->base, &op->map);

	if (ret)
		return ret;
	ret = drm_gpuva_link(&b->new_va->base, b->vm_bo);	/* +1 vm_bo ref */
	b->new_va = NULL;
	return ret;
}

static int my_step_remap(struct drm_gpuva_op *op, void *priv)
{
	struct my_bind *b = priv;
	struct drm_gpuva *old = op->remap.unmap->va;
	int ret = drm_gpuva_remap(b->prev ? &b->prev->base : NULL,
				  b->next ? &b->next->base : NULL, &op->remap);

	if (ret)
		return ret;
	/* The pieces keep the old mapping's vm_bo alive before it lets go. */
	if (op->remap.prev) {
		drm_gpuva_link(&b->prev->base, old->vm_bo);
		b->prev = NULL;
	}
	if (op->remap.next) {
		drm_gpuva_link(&b->next->base, old->vm_bo);
		b->next = NULL;
	}
	drm_gpuva_unlink(old);
	b->freed[b->nfreed++] = caa_container_of(old, struct my_va, base);
	return 0;
}

static int my_step_unmap(struct drm_gpuva_op *op, void *priv)
{
	struct my_bind *b = priv;
	struct drm_gpuva *old = op->unmap.va;

	drm_gpuva_unlink(old);
	drm_gpuva_unmap(&op->unmap);
	b->freed[b->nfreed++] = caa_container_of(old, struct my_va, base);
	return 0;
}

/* Evicted objects come back here; the driver would move them to VRAM. */
static int my_vm_bo_validate(struct drm_gpuvm_bo *vm_bo, struct drm_exec *exec)
{
	(void)exec;
	drm_gpuvm_bo_evict(vm_bo, false);
	return 0;
}

static void my_vm_free(struct drm_gpuvm *gpuvm)
{
	struct my_vm *vm = caa_container_of(gpuvm, struct my_vm, base);

	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

static const struct drm_gpuvm_ops my_vm_ops = {
	.vm_free = my_vm_free,
	.vm_bo_validate = my_vm_bo_validate,
	.sm_step_map = my_step_map,
	.sm_step_remap = my_step_remap,
	.sm_step_unmap = my_step_unmap,
};

/* Map [addr, addr + range) of @obj at @offset (VM_BIND's map). */
static int my_bind_map(struct my_vm *vm, struct drm_gem_object *obj, uint64_t addr,
		       uint64_t range, uint64_t offset)
{
	struct drm_gpuvm_map_req req = {
		.map = { .va = { addr, range }, .gem = { offset, obj } },
	};
	struct my_bind b = {
		.vm = &vm->base,
		.new_va = calloc(1, sizeof(struct my_va)),
		.prev = calloc(1, sizeof(struct my_va)),
		.next = calloc(1, sizeof(struct my_va)),
	};
	struct drm_exec exec;
	int ret = 0;

	if (!b.new_va || !b.prev || !b.next) {
		ret = -ENOMEM;
		goto out;
	}
	pthread_mutex_lock(&vm->lock);
	/* Lock what the walk touches: the VM resv (vm_bo destruction in
	 * RESV_PROTECTED mode, extobj list), the new object, the old ones. */
	drm_exec_init(&exec, DRM_EXEC_IGNORE_DUPLICATES, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_gpuvm_prepare_vm(&vm->base, &exec, 1);
		drm_exec_retry_on_contention(&exec);
		if (ret)
			break;
		ret = drm_gpuvm_sm_map_exec_lock(&vm->base, &exec, 1, &req);
		drm_exec_retry_on_contention(&exec);
		if (ret)
			break;
	}
	if (!ret) {
		b.vm_bo = drm_gpuvm_bo_obtain(&vm->base, obj);
		if (resv_is_err(b.vm_bo)) {
			ret = (int)resv_ptr_err(b.vm_bo);
		} else {
			drm_gpuvm_bo_extobj_add(b.vm_bo);
			ret = drm_gpuvm_sm_map(&vm->base, &b, &req);
			drm_gpuvm_bo_put(b.vm_bo);	/* the link holds it now */
		}
	}
	drm_exec_fini(&exec);
	pthread_mutex_unlock(&vm->lock);
out:
	for (unsigned int i = 0; i < b.nfreed; i++)
		free(b.freed[i]);
	free(b.new_va);
	free(b.prev);
	free(b.next);
	return ret;
}

/* An exec: lock the VM and its external objects, revalidate, publish. */
static int my_exec(struct my_vm *vm, struct dma_fence *job_fence)
{
	struct drm_gpuvm_exec vm_exec = {
		.vm = &vm->base,
		.flags = DRM_EXEC_INTERRUPTIBLE_WAIT,
		.num_fences = 1,
	};
	int ret = drm_gpuvm_exec_lock(&vm_exec);

	if (ret)
		return ret;			/* nothing is locked */
	ret = drm_gpuvm_exec_validate(&vm_exec);
	if (!ret)
		drm_gpuvm_exec_resv_add_fence(&vm_exec, job_fence,
					      DMA_RESV_USAGE_BOOKKEEP,
					      DMA_RESV_USAGE_BOOKKEEP);
	drm_gpuvm_exec_unlock(&vm_exec);
	return ret;
}

/* Close: every mapping goes (mappings hold VM references), then the VM. */
static void my_vm_close(struct my_vm *vm)
{
	struct drm_gpuvm_exec vm_exec = { .vm = &vm->base };
	struct drm_gpuva *va, *next;

	pthread_mutex_lock(&vm->lock);
	/* All gpuva locks at once: the VM resv (local objects) and the
	 * external objects; RESV_PROTECTED vm_bo destruction needs the first. */
	while (drm_gpuvm_exec_lock(&vm_exec))
		;				/* -EINTR: try again */
	drm_gpuvm_for_each_va_safe(va, next, &vm->base) {
		if (va == &vm->base.kernel_alloc_node)
			continue;
		drm_gpuva_unlink(va);
		drm_gpuva_remove(va);
		free(caa_container_of(va, struct my_va, base));
	}
	drm_gpuvm_exec_unlock(&vm_exec);
	pthread_mutex_unlock(&vm->lock);
	drm_gpuvm_put(&vm->base);		/* last reference: my_vm_free() */
}

static struct my_vm *my_vm_create(void)
{
	struct drm_gem_object *r_obj = drm_gpuvm_resv_object_alloc(NULL);
	struct my_vm *vm = calloc(1, sizeof(*vm));

	if (!r_obj || !vm)
		goto err;
	pthread_mutex_init(&vm->lock, NULL);
	if (drm_gpuvm_init(&vm->base, "my-vm", DRM_GPUVM_RESV_PROTECTED, NULL, r_obj,
			   0, 1ull << 32, 0, 1ull << 16, &my_vm_ops))
		goto err;
	drm_gem_object_put(r_obj);		/* the VM holds its own */
	return vm;
err:
	free(vm);
	drm_gem_object_put(r_obj);
	return NULL;
}
/* ---- docs/gpuvm.md: example ends ---- */

static const char *doc_fence_name(struct dma_fence *f)
{
	(void)f;
	return "doc";
}

static const struct dma_fence_ops doc_fence_ops = {
	.get_driver_name = doc_fence_name,
	.get_timeline_name = doc_fence_name,
};

static struct resv_spinlock doc_fence_lock = RESV_SPINLOCK_INITIALIZER;

void test_gpuvm_doc_example(void **state)
{
	struct my_vm *vm = my_vm_create();
	struct gt_bo *shared = gt_bo_new(0, NULL);
	struct gt_bo *local;
	struct dma_fence *fence = resv_dma_fence_alloc(sizeof(*fence));
	struct gt_model model;
	long freed;

	(void)state;
	assert_non_null(vm);
	assert_non_null(fence);
	local = gt_bo_new(1, drm_gpuvm_resv(&vm->base));
	dma_fence_init(fence, &doc_fence_ops, &doc_fence_lock, dma_fence_context_alloc(1), 1);
	gt_model_init(&model, 1 << 20);

	assert_int_equal(my_bind_map(vm, gt_obj(shared), 0x10000, 0x100, 0), 0);
	assert_int_equal(my_bind_map(vm, gt_obj(local), 0x10100, 0x100, 0x1000), 0);
	/* Over both: splits the first, replaces part of the second. */
	assert_int_equal(my_bind_map(vm, gt_obj(local), 0x10080, 0x100, 0), 0);
	assert_int_equal(my_bind_map(vm, gt_obj(local), 0x8000, 0x10, 0), -EINVAL); /* kernel */
	gt_model_paint(&model, 0x10000, 0x100, gt_obj(shared), 0);
	gt_model_paint(&model, 0x10100, 0x100, gt_obj(local), 0x1000);
	gt_model_paint(&model, 0x10080, 0x100, gt_obj(local), 0);
	gt_model_check(&model, &vm->base);
	assert_int_equal(resv__gpuvm_list_count(&vm->base.extobj), 1);

	/* The shared object is evicted meanwhile (its resv only). */
	gt_lock(gt_obj(shared));
	drm_gpuvm_bo_gem_evict(gt_obj(shared), true);
	gt_unlock(gt_obj(shared));
	assert_int_equal(my_exec(vm, fence), 0);
	assert_int_equal(resv__gpuvm_list_count(&vm->base.evict), 0);
	assert_true(dma_resv_test_signaled(gt_obj(shared)->resv, DMA_RESV_USAGE_BOOKKEEP) ==
		    false);
	dma_fence_signal(fence);
	dma_fence_put(fence);

	gt_model_fini(&model);
	assert_int_equal(drm_gpuvm_refcount(&vm->base), 1 + 3 + 2);	/* + mappings, vm_bos */
	freed = gt_vms_freed;
	my_vm_close(vm);
	assert_int_equal(drm_gem_object_refcount(gt_obj(shared)), 1);
	assert_int_equal(drm_gem_object_refcount(gt_obj(local)), 1);
	drm_gem_object_put(gt_obj(shared));
	drm_gem_object_put(gt_obj(local));
	assert_int_equal(gt_vms_freed, freed);	/* my_vm_free, not the harness's */
}
