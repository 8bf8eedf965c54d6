/* SPDX-License-Identifier: MIT */
/*
 * Moving a BO between placements: allocate the destination, queue a copy
 * job on the migration engine behind every user of the BO, publish its
 * fence as a KERNEL fence, switch the BO to the new storage at once and
 * free the old storage when the copy is done (before the fence signals, so
 * that whoever waits for the fence finds the room).
 */
#include <errno.h>
#include <string.h>

#include <resv/drm_gpuvm.h>

#include "internal.h"

#include <sim/trace.h>

static int move_run(struct sim_job *job, int64_t deadline)
{
	struct sim_backing *src = job->move_src, *dst = job->move_dst;

	if (dst && src)
		memcpy(dst->cpu, src->cpu, dst->size);
	else if (dst)
		memset(dst->cpu, 0, dst->size);	/* fresh storage is cleared */
	return 0;
}

/* Always, also when cancelled: the old storage goes away, and mappings
 * still bound to it fault from now on. */
static void move_retire(struct sim_job *job)
{
	struct sim_backing *src = job->move_src;
	struct sim_device *dev = job->move_bo->dev;

	if (!src)
		return;
	sim__mem_write_lock(dev);
	cds_list_del(&src->link);
	sim__mem_unlock(dev);
	sim__backing_free(dev, src);
	job->move_src = NULL;
}

static void move_release(struct sim_job *job)
{
	sim_bo_put(job->move_bo);
	job->move_bo = NULL;
}

static const struct sim_job_ops move_job_ops = {
	.ignore_dep_errors = true,
	.run = move_run,
	.retire = move_retire,
	.release = move_release,
};

static struct sim_backing *vram_backing_alloc(struct sim_device *dev, uint64_t size,
					      struct sim_op_ctx *ctx, int *err)
{
	struct sim_backing *b = resv_zalloc(sizeof(*b));

	if (!b) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = sim__vram_alloc(dev, size / SIM_PAGE_SIZE, ctx, &b->range);
	if (*err) {
		resv_free(b, sizeof(*b));
		return NULL;
	}
	b->placement = SIM_PL_VRAM;
	b->cpu = dev->vram + b->range.start * SIM_PAGE_SIZE;
	b->size = size;
	return b;
}

/* Remember the newest move out of VRAM: an allocator that finds nothing
 * to evict waits for it, since the range it frees is still taken. */
static void note_vram_release(struct sim_device *dev, struct dma_fence *fence)
{
	struct dma_fence *old;

	sim__vram_lock(dev);
	old = dev->vram_release;
	dev->vram_release = dma_fence_get(fence);
	sim__vram_unlock(dev);
	dma_fence_put(old);
}

int sim__bo_move_locked(struct sim_bo *bo, enum sim_placement to, struct sim_op_ctx *ctx,
			bool evict, struct dma_fence **fence_out)
{
	struct sim_device *dev = bo->dev;
	struct dma_resv *resv = bo->base.resv;
	struct sim_backing *src = bo->backing, *dst = NULL;
	struct dma_fence *fence;
	struct sim_job *job;
	int ret;

	dma_resv_assert_held(resv);
	if (fence_out)
		*fence_out = NULL;
	if (bo->placement == to)
		return 0;
	if (__atomic_load_n(&bo->pin_count, __ATOMIC_ACQUIRE) || bo->userptr)
		return -EINVAL;	/* userptr storage is the process's: it never moves */
	if (to != SIM_PL_NONE && !evict && !(bo->allowed & (1u << to)))
		return -EINVAL;

	ret = dma_resv_reserve_fences(resv, 1);
	if (ret)
		return ret;
	ret = sim__job_create_kernel(sim_device_migrate_engine(dev), &move_job_ops, &job);
	if (ret)
		return ret;
	/* The copy waits for every user of the BO, implicit or not. */
	ret = sim_job_add_resv_dependencies(job, resv, DMA_RESV_USAGE_BOOKKEEP);
	if (ret)
		goto err_job;
	if (to == SIM_PL_SYSTEM) {
		dst = sim__system_backing_alloc(dev, bo->base.size, false);
		if (!dst)
			ret = -ENOMEM;
	} else if (to == SIM_PL_VRAM) {
		dst = vram_backing_alloc(dev, bo->base.size, ctx, &ret);
	}
	if (ret)
		goto err_job;

	/* Nothing can fail from here on. */
	job->move_bo = sim_bo_get(bo);
	job->move_src = src;
	job->move_dst = dst;
	if (dst)
		dst->gen = sim__next_gen(dev);
	fence = sim_job_arm(job);
	sim__mem_write_lock(dev);
	if (dst)
		cds_list_add(&dst->link, &bo->backings);
	bo->backing = dst;
	sim__mem_unlock(dev);
	__atomic_store_n(&bo->placement, to, __ATOMIC_RELEASE);
	sim__lru_place(bo, to);
	/* As xe's move_notify: the BO's GPU mappings in every VM are now
	 * bound to the old storage, so its vm_bos must be revalidated by the
	 * next exec (local BOs go on the evict list, external ones are marked
	 * evicted). Under the resv, which is the vm_bos' gpuva lock. */
	if (!cds_list_empty(&bo->base.gpuva.list))
		drm_gpuvm_bo_gem_evict(&bo->base, true);
	dma_resv_add_fence(resv, fence, DMA_RESV_USAGE_KERNEL);
	if (src && src->placement == SIM_PL_VRAM)
		note_vram_release(dev, fence);
	SIM_STAT_INC(dev, migrations);
	if (evict) {
		SIM_STAT_INC(dev, evictions);
		if (sim_trace_enabled()) {	/* resv-sim's trace: who evicted what */
			struct sim_trace_arg args[2] = {
				{ "bytes", (int64_t)bo->base.size },
				{ "move_seqno", (int64_t)fence->seqno },
			};

			sim_trace_instant(SIM_TRACE_SELF, "mem", "evict", args, 2);
		}
	}
	if (fence_out)
		*fence_out = dma_fence_get(fence);
	sim_job_push(job);
	return 0;

err_job:
	sim_job_free(job);
	return ret;
}

int sim_bo_move(struct sim_bo *bo, enum sim_placement to, struct sim_op_ctx *ctx)
{
	if (!bo || !ctx || (to != SIM_PL_NONE && to != SIM_PL_SYSTEM && to != SIM_PL_VRAM))
		return -EINVAL;
	return sim__bo_move_locked(bo, to, ctx, false, NULL);
}

int sim_bo_validate(struct sim_bo *bo, uint32_t placements, struct sim_op_ctx *ctx)
{
	uint32_t mask;
	int ret;

	if (!bo || !ctx)
		return -EINVAL;
	dma_resv_assert_held(bo->base.resv);
	mask = placements & bo->allowed;
	if (!mask)
		return -EINVAL;
	if (bo->placement != SIM_PL_NONE && (mask & (1u << bo->placement)))
		return 0;
	if (mask & SIM_PL_MASK_VRAM) {
		ret = sim__bo_move_locked(bo, SIM_PL_VRAM, ctx, false, NULL);
		if (ret != -ENOSPC || !(mask & SIM_PL_MASK_SYSTEM))
			return ret;
	}
	return sim__bo_move_locked(bo, SIM_PL_SYSTEM, ctx, false, NULL);
}
