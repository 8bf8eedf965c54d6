/* SPDX-License-Identifier: MIT */
/*
 * Client files, CPU side: pwrite, pread and gem_wait by handle (i915's
 * CPU-access ioctls). Each holds a reference on the handle's record for
 * the call: a close meanwhile removes the handle but not the BO under it.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "internal.h"

/* Look up an ordinary BO for CPU access and lock it (interruptibly). */
static int cpu_begin(struct sim_file *file, uint32_t handle, uint64_t offset, size_t len,
		     const void *buf, struct sim_file_obj **out)
{
	struct sim_file_obj *fo;
	struct sim_bo *bo;
	int ret;

	if (!file || !buf)
		return -EINVAL;
	fo = sim__file_lookup(file, handle);
	if (!fo)
		return -ENOENT;
	bo = fo->bo;
	if (bo->userptr || offset > bo->base.size || len > bo->base.size - offset) {
		sim__file_obj_put(fo);
		return -EINVAL;
	}
	ret = dma_resv_lock_interruptible(bo->base.resv, NULL);
	if (ret) {
		sim__file_obj_put(fo);
		return ret;
	}
	*out = fo;
	return 0;
}

static void cpu_end(struct sim_file_obj *fo)
{
	dma_resv_unlock(fo->bo->base.resv);
	sim__file_obj_put(fo);
}

static int wait_usage(struct sim_bo *bo, enum dma_resv_usage usage)
{
	long left = dma_resv_wait_timeout(bo->base.resv, usage, true, MAX_SCHEDULE_TIMEOUT);

	return left < 0 ? (int)sim__wait_result(left) : 0;
}

int sim_gem_pwrite(struct sim_file *file, uint32_t handle, uint64_t offset, const void *data,
		   size_t len)
{
	struct sim_file_obj *fo;
	struct sim_bo *bo;
	int ret;

	ret = cpu_begin(file, handle, offset, len, data, &fo);
	if (ret)
		return ret;
	bo = fo->bo;
	if (sim_bo_placement(bo) == SIM_PL_NONE) {
		/* First storage: no ticket, so eviction only trylocks. */
		struct sim_op_ctx op = { .interruptible = true };

		ret = sim_bo_validate(bo, bo->allowed, &op);
		sim_op_ctx_fini(&op);
	}
	if (!ret)
		ret = wait_usage(bo, DMA_RESV_USAGE_READ);
	if (!ret)
		ret = sim_bo_write(bo, offset, data, len);
	cpu_end(fo);
	return ret;
}

int sim_gem_pread(struct sim_file *file, uint32_t handle, uint64_t offset, void *data,
		  size_t len)
{
	struct sim_file_obj *fo;
	struct sim_bo *bo;
	int ret;

	ret = cpu_begin(file, handle, offset, len, data, &fo);
	if (ret)
		return ret;
	bo = fo->bo;
	if (sim_bo_placement(bo) == SIM_PL_NONE) {
		memset(data, 0, len);	/* never written: what its first storage will hold */
	} else {
		ret = wait_usage(bo, DMA_RESV_USAGE_WRITE);
		if (!ret)
			ret = sim_bo_read(bo, offset, data, len);
	}
	cpu_end(fo);
	return ret;
}

int sim_gem_wait(struct sim_file *file, uint32_t handle, int64_t timeout_ns)
{
	struct sim_file_obj *fo;
	long left;

	if (!file || timeout_ns < 0)
		return -EINVAL;
	fo = sim__file_lookup(file, handle);
	if (!fo)
		return -ENOENT;
	if (!timeout_ns)
		left = dma_resv_test_signaled(fo->bo->base.resv, DMA_RESV_USAGE_BOOKKEEP);
	else
		left = dma_resv_wait_timeout(fo->bo->base.resv, DMA_RESV_USAGE_BOOKKEEP, true,
					     timeout_ns > LONG_MAX ? LONG_MAX : (long)timeout_ns);
	sim__file_obj_put(fo);
	if (left < 0)
		return (int)sim__wait_result(left);
	return left ? 0 : -ETIMEDOUT;
}
