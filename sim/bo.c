/* SPDX-License-Identifier: MIT */
/*
 * Buffer objects: creation and destruction, storage, pins, the LRU and CPU
 * access. Moves live in move.c, eviction in evict.c.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

/* ---- storage and the LRU ----------------------------------------------------- */

void sim__vram_free(struct sim_device *dev, const struct sim_range *range)
{
	int ret;

	sim__vram_lock(dev);
	ret = sim_range_free(&dev->vram_mgr, range);
	sim__vram_unlock(dev);
	if (ret)
		fprintf(stderr, "sim: VRAM range %llu+%llu freed twice\n",
			(unsigned long long)range->start, (unsigned long long)range->npages);
	else
		SIM_STAT_ADD(dev, vram_used, -(range->npages * SIM_PAGE_SIZE));
}

void sim__backing_free(struct sim_device *dev, struct sim_backing *backing)
{
	if (backing->placement == SIM_PL_VRAM)
		sim__vram_free(dev, &backing->range);
	else if (backing->placement == SIM_PL_SYSTEM)
		resv_free(backing->cpu, backing->size);
	/* USERPTR: the pages are the address space's, the array the userptr's. */
	resv_free(backing, sizeof(*backing));
}

void sim__lru_place(struct sim_bo *bo, enum sim_placement placement)
{
	struct sim_device *dev = bo->dev;

	sim__lru_lock(dev);
	if (bo->lru_placement != SIM_PL_NONE)
		cds_list_del_init(&bo->lru);
	if (placement != SIM_PL_NONE)
		cds_list_add_tail(&bo->lru, &dev->lru[placement]);
	bo->lru_placement = placement;
	sim__lru_unlock(dev);
}

void sim_bo_lru_touch(struct sim_bo *bo)
{
	struct sim_device *dev = bo->dev;

	sim__lru_lock(dev);
	if (bo->lru_placement != SIM_PL_NONE) {
		/* Not cds_list_move() to head.prev: wrong when already last. */
		cds_list_del(&bo->lru);
		cds_list_add_tail(&bo->lru, &dev->lru[bo->lru_placement]);
	}
	sim__lru_unlock(dev);
}

/* ---- life ------------------------------------------------------------------------ */

static void bo_free(struct drm_gem_object *obj)
{
	struct sim_bo *bo = caa_container_of(obj, struct sim_bo, base);
	struct sim_device *dev = bo->dev;

	/* Off the LRU first: an eviction scan that sees the BO under the LRU
	 * lock may still trylock its resv, so that must stay intact until
	 * then. Mappings and pending moves hold references: none is left. */
	sim__lru_place(bo, SIM_PL_NONE);
	if (bo->backing) {
		sim__mem_write_lock(dev);
		cds_list_del(&bo->backing->link);
		sim__mem_unlock(dev);
		sim__backing_free(dev, bo->backing);
	}
	drm_gem_object_release(obj);
	SIM_STAT_ADD(dev, bo_count, -1);
	resv_free(bo, sizeof(*bo));
}

static const struct drm_gem_object_funcs sim_bo_funcs = {
	.free = bo_free,
};

/* A userptr BO and its validator, one allocation. */
struct sim_userptr_bo {
	struct sim_bo bo;
	struct resv_userptr up;
};

static void userptr_bo_free(struct drm_gem_object *obj)
{
	struct sim_userptr_bo *ubo = caa_container_of(obj, struct sim_userptr_bo, bo.base);
	struct sim_device *dev = ubo->bo.dev;

	/* Mappings hold references, so no GPU access can come any more:
	 * stop watching the range, then drop the storage record. */
	resv_userptr_fini(&ubo->up);
	sim__mem_write_lock(dev);
	cds_list_del(&ubo->bo.backing->link);
	sim__mem_unlock(dev);
	sim__backing_free(dev, ubo->bo.backing);
	drm_gem_object_release(obj);
	SIM_STAT_ADD(dev, bo_count, -1);
	resv_free(ubo, sizeof(*ubo));
}

static const struct drm_gem_object_funcs sim_userptr_bo_funcs = {
	.free = userptr_bo_free,
};

struct sim_backing *sim__system_backing_alloc(struct sim_device *dev, uint64_t size, bool zero)
{
	struct sim_backing *b = resv_zalloc(sizeof(*b));

	if (!b)
		return NULL;
	b->cpu = zero ? resv_zalloc(size) : resv_malloc(size);
	if (!b->cpu) {
		resv_free(b, sizeof(*b));
		return NULL;
	}
	b->placement = SIM_PL_SYSTEM;
	b->size = size;
	return b;
}

int sim_bo_create(struct sim_device *dev, uint64_t size, uint32_t allowed,
		  enum sim_placement initial, struct dma_resv *resv, struct sim_bo **out)
{
	struct sim_backing *backing = NULL;
	struct sim_bo *bo;
	int ret;

	if (!dev || !out || !size || size % SIM_PAGE_SIZE || size > SIZE_MAX / 2 || !allowed ||
	    (allowed & ~SIM_PL_MASK_ALL))
		return -EINVAL;
	if (initial != SIM_PL_NONE &&
	    (initial != SIM_PL_SYSTEM || !(allowed & SIM_PL_MASK_SYSTEM)))
		return -EINVAL;

	bo = resv_zalloc(sizeof(*bo));
	if (!bo)
		return -ENOMEM;
	if (initial == SIM_PL_SYSTEM) {
		backing = sim__system_backing_alloc(dev, size, true);
		if (!backing) {
			resv_free(bo, sizeof(*bo));
			return -ENOMEM;
		}
		backing->gen = sim__next_gen(dev);
	}
	bo->base.resv = resv;
	ret = drm_gem_object_init(&bo->base, &sim_bo_funcs, size);
	if (ret) {	/* cannot happen: the funcs are ours */
		if (backing)
			sim__backing_free(dev, backing);
		resv_free(bo, sizeof(*bo));
		return ret;
	}
	bo->dev = dev;
	bo->allowed = allowed;
	bo->placement = initial;
	bo->backing = backing;
	CDS_INIT_LIST_HEAD(&bo->backings);
	CDS_INIT_LIST_HEAD(&bo->mappings);
	CDS_INIT_LIST_HEAD(&bo->lru);
	bo->lru_placement = SIM_PL_NONE;
	if (backing)
		cds_list_add(&backing->link, &bo->backings);
	SIM_STAT_INC(dev, bo_count);
	sim__lru_place(bo, initial);
	*out = bo;
	return 0;
}

int sim_bo_create_userptr(struct sim_device *dev, struct resv_mm *mm, unsigned long addr,
			  uint64_t size, struct resv_notifier_lock *lock, struct sim_bo **out)
{
	struct sim_userptr_bo *ubo;
	struct sim_backing *backing;
	struct sim_bo *bo;
	int ret;

	if (!dev || !mm || !out || !size || size % SIM_PAGE_SIZE || size > SIZE_MAX / 2 ||
	    addr % SIM_PAGE_SIZE)
		return -EINVAL;
	_Static_assert(RESV_MM_PAGE_SIZE == SIM_PAGE_SIZE, "one host page per GPU page");

	ubo = resv_zalloc(sizeof(*ubo));
	if (!ubo)
		return -ENOMEM;
	backing = resv_zalloc(sizeof(*backing));
	if (!backing) {
		ret = -ENOMEM;
		goto err_free;
	}
	bo = &ubo->bo;
	ret = drm_gem_object_init(&bo->base, &sim_userptr_bo_funcs, size);
	if (ret)	/* cannot happen: the funcs are ours */
		goto err_free;
	/* Invalidations wait for every fence of the BO's own resv. */
	ret = resv_userptr_init(&ubo->up, mm, addr, size, lock, bo->base.resv, NULL);
	if (ret) {
		drm_gem_object_release(&bo->base);
		goto err_free;
	}
	backing->placement = SIM_PL_USERPTR;
	backing->pages = resv_userptr_pages(&ubo->up);
	backing->size = size;
	backing->gen = sim__next_gen(dev);
	bo->dev = dev;
	bo->allowed = SIM_PL_MASK_USERPTR;
	bo->placement = SIM_PL_USERPTR;
	bo->backing = backing;
	bo->userptr = &ubo->up;
	CDS_INIT_LIST_HEAD(&bo->backings);
	CDS_INIT_LIST_HEAD(&bo->mappings);
	CDS_INIT_LIST_HEAD(&bo->lru);
	bo->lru_placement = SIM_PL_NONE;	/* never on an LRU: nothing to evict */
	cds_list_add(&backing->link, &bo->backings);
	SIM_STAT_INC(dev, bo_count);
	*out = bo;
	return 0;

err_free:
	resv_free(backing, backing ? sizeof(*backing) : 0);
	resv_free(ubo, sizeof(*ubo));
	return ret;
}

struct sim_bo *sim_bo_get(struct sim_bo *bo)
{
	drm_gem_object_get(&bo->base);
	return bo;
}

void sim_bo_put(struct sim_bo *bo)
{
	if (!bo)
		return;
	drm_gem_object_put(&bo->base);
}

void sim_op_ctx_fini(struct sim_op_ctx *ctx)
{
	sim_bo_put(ctx->contended);
	ctx->contended = NULL;
}

/* ---- state ------------------------------------------------------------------------ */

enum sim_placement sim_bo_placement(struct sim_bo *bo)
{
	return __atomic_load_n(&bo->placement, __ATOMIC_ACQUIRE);
}

uint64_t sim_bo_vram_offset(struct sim_bo *bo)
{
	dma_resv_assert_held(bo->base.resv);
	if (!bo->backing || bo->backing->placement != SIM_PL_VRAM)
		return UINT64_MAX;
	return bo->backing->range.start * SIM_PAGE_SIZE;
}

int sim_bo_pin(struct sim_bo *bo)
{
	dma_resv_assert_held(bo->base.resv);
	if (!bo->backing)
		return -EINVAL;
	__atomic_add_fetch(&bo->pin_count, 1, __ATOMIC_RELEASE);
	return 0;
}

int sim_bo_unpin(struct sim_bo *bo)
{
	dma_resv_assert_held(bo->base.resv);
	if (!bo->pin_count)
		return -EINVAL;
	__atomic_sub_fetch(&bo->pin_count, 1, __ATOMIC_RELEASE);
	return 0;
}

/* ---- CPU access ---------------------------------------------------------------- */

static int cpu_access(struct sim_bo *bo, uint64_t offset, size_t len, enum dma_resv_usage wait)
{
	long left;

	dma_resv_assert_held(bo->base.resv);
	if (offset > bo->base.size || len > bo->base.size - offset || bo->userptr)
		return -EINVAL;
	left = dma_resv_wait_timeout(bo->base.resv, wait, false, MAX_SCHEDULE_TIMEOUT);
	(void)left;	/* uninterruptible and unbounded: always > 0 */
	return bo->backing ? 0 : -EFAULT;
}

int sim_bo_write(struct sim_bo *bo, uint64_t offset, const void *src, size_t len)
{
	int ret = cpu_access(bo, offset, len, DMA_RESV_USAGE_READ);

	if (!ret)
		memcpy(bo->backing->cpu + offset, src, len);
	return ret;
}

int sim_bo_read(struct sim_bo *bo, uint64_t offset, void *dst, size_t len)
{
	int ret = cpu_access(bo, offset, len, DMA_RESV_USAGE_WRITE);

	if (!ret)
		memcpy(dst, bo->backing->cpu + offset, len);
	return ret;
}
