/* SPDX-License-Identifier: MIT */
/* The helpers of test_vm.h. */
#include "test_vm.h"

void vt_init_on(struct vt *t, struct sim_device *dev, uint32_t vm_flags)
{
	memset(t, 0, sizeof(*t));
	t->dev = dev;
	assert_int_equal(sim_vm_create(dev, NULL, vm_flags, &t->vm), 0);
	assert_int_equal(sim_context_create(dev, &t->ctx), 0);
	assert_int_equal(sim_vm_bo_create(t->vm, VT_BATCH_SLOTS * PAGE, SIM_PL_MASK_SYSTEM,
					  SIM_PL_SYSTEM, &t->batch_bo), 0);
	vt_map(t, t->batch_bo, VT_BATCH_VA, VT_BATCH_SLOTS * PAGE, 0, 0);
}

void vt_init(struct vt *t, uint64_t vram, uint32_t vm_flags)
{
	vt_init_on(t, st_device(vram ? vram : 16ull << 20, 0, 0), vm_flags);
}

void vt_fini(struct vt *t, bool destroy_dev)
{
	/* Local BOs go before their VM; the mapping keeps it until then. */
	sim_bo_put(t->batch_bo);
	sim_vm_destroy(t->vm);
	sim_context_put(t->ctx);
	if (destroy_dev)
		sim_device_destroy(t->dev);
	memset(t, 0, sizeof(*t));
}

void vt_map(struct vt *t, struct sim_bo *bo, uint64_t va, uint64_t range, uint64_t offset,
	    uint32_t flags)
{
	struct sim_vm_bind args = {
		.op = SIM_VM_BIND_OP_MAP,
		.flags = flags,
		.va = va,
		.range = range,
		.bo = bo,
		.bo_offset = offset,
	};

	assert_int_equal(sim_vm_bind(t->vm, &args, NULL), 0);
}

void vt_unmap(struct vt *t, uint64_t va, uint64_t range)
{
	struct sim_vm_bind args = {
		.op = SIM_VM_BIND_OP_UNMAP,
		.va = va,
		.range = range,
	};

	assert_int_equal(sim_vm_bind(t->vm, &args, NULL), 0);
}

uint64_t vt_place(struct vt *t, const struct sim_batch *b)
{
	uint64_t va = VT_BATCH_VA + (uint64_t)(t->next_slot++ % VT_BATCH_SLOTS) * PAGE;

	assert_int_equal(sim_batch_error(b), 0);
	assert_true(sim_batch_bytes(b) <= PAGE);
	/* Through the GPU view: 64 slots, never reused while queued. */
	assert_int_equal(sim_pt_write(sim_vm_pt(t->vm), va, b->dw, sim_batch_bytes(b)), 0);
	return va;
}

int vt_exec(struct vt *t, const struct sim_batch *b, uint32_t flags, struct dma_fence **fence)
{
	struct sim_vm_exec args = {
		.engine = sim_device_engine(t->dev, 0),
		.ctx = t->ctx,
		.batch_va = vt_place(t, b),
		.batch_len = PAGE,
		.flags = flags,
	};

	return sim_vm_exec(t->vm, &args, fence);
}

int vt_run(struct vt *t, const struct sim_batch *b)
{
	struct dma_fence *fence = NULL;
	int status;

	assert_int_equal(vt_exec(t, b, 0, &fence), 0);
	status = st_wait(fence);
	dma_fence_put(fence);
	return status;
}

bool vt_pt_maps(struct vt *t, uint64_t va, struct sim_bo *bo, uint64_t bo_offset)
{
	struct sim_pt_entry e;
	int ret = sim_pt_lookup(sim_vm_pt(t->vm), va, &e);

	if (!bo)
		return ret == -ENOENT;
	return ret == 0 && e.bo == bo && e.bo_offset == bo_offset;
}

unsigned int vt_num_vas(struct vt *t)
{
	struct drm_gpuvm *gpuvm = sim_vm_gpuvm(t->vm);
	struct drm_gpuva *va;
	unsigned int n = 0;

	drm_gpuvm_for_each_va(va, gpuvm)
		n += va != &gpuvm->kernel_alloc_node;
	return n;
}

struct drm_gpuva *vt_find(struct vt *t, uint64_t va, uint64_t range)
{
	return drm_gpuva_find(sim_vm_gpuvm(t->vm), va, range);
}

unsigned int vt_count_fences(struct dma_resv *resv, enum dma_resv_usage usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	unsigned int n = 0;

	assert_int_equal(dma_resv_lock(resv, NULL), 0);
	dma_resv_for_each_fence(&cursor, resv, usage, fence)
		n++;
	dma_resv_unlock(resv);
	return n;
}

void vt_prereserve(struct dma_resv *resv)
{
	assert_int_equal(dma_resv_lock(resv, NULL), 0);
	assert_int_equal(dma_resv_reserve_fences(resv, 2), 0);
	dma_resv_unlock(resv);
}

bool vt_resv_unlocked(struct dma_resv *resv)
{
	if (!dma_resv_trylock(resv))
		return false;
	dma_resv_unlock(resv);
	return true;
}

uint32_t vt_read32(struct sim_bo *bo, uint64_t offset)
{
	uint32_t v = 0;

	st_lock(bo);
	assert_int_equal(sim_bo_read(bo, offset, &v, sizeof(v)), 0);
	st_unlock(bo);
	return v;
}

void vt_write32(struct sim_bo *bo, uint64_t offset, uint32_t value)
{
	st_lock(bo);
	assert_int_equal(sim_bo_write(bo, offset, &value, sizeof(value)), 0);
	st_unlock(bo);
}

struct sim_vm_bind vt_map_req(struct sim_bo *bo, uint64_t va, uint64_t range, uint64_t offset)
{
	return (struct sim_vm_bind){
		.op = SIM_VM_BIND_OP_MAP, .va = va, .range = range, .bo = bo, .bo_offset = offset,
	};
}

struct sim_vm_bind vt_unmap_req(uint64_t va, uint64_t range)
{
	return (struct sim_vm_bind){ .op = SIM_VM_BIND_OP_UNMAP, .va = va, .range = range };
}

void vt_expect_pages(struct vt *t, uint64_t va, unsigned int pages, struct sim_bo *bo,
		     uint64_t offset)
{
	for (unsigned int i = 0; i < pages; i++)
		assert_true(vt_pt_maps(t, va + i * PAGE, bo, bo ? offset + i * PAGE : 0));
}

void vt_expect_va(struct vt *t, uint64_t va, uint64_t range, struct sim_bo *bo,
		  uint64_t offset)
{
	struct drm_gpuva *gva = vt_find(t, va, range);

	assert_non_null(gva);
	assert_ptr_equal(gva->gem.obj, &bo->base);
	assert_int_equal(gva->gem.offset, offset);
	assert_non_null(gva->vm_bo);
}
