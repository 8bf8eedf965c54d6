/* SPDX-License-Identifier: MIT */
/*
 * Eviction: VRAM allocation that makes room, sim_evict_for() and the
 * shrinker. Victims come off the VRAM LRU, least recently used first. A
 * scan trylocks candidates under the LRU lock; only when every candidate
 * is locked by someone else does it block, with the caller's ww ticket, on
 * the first of them, so -EDEADLK reaches the caller as in TTM.
 */
#include <errno.h>

#include "internal.h"

enum evict_mode {
	EVICT_TICKET,	/* trylock, then the caller's ticket; wait for pending frees */
	EVICT_SHRINK,	/* trylock only, never wait for others' moves */
};

/* Wait for a move fence: eviction and shrinking may wait (under
 * reservation locks, or in reclaim), never inside a signalling section. */
static int wait_move(struct dma_fence *fence, bool intr)
{
	signed long ret = dma_fence_wait(fence, intr);

	dma_fence_put(fence);
	return ret < 0 ? -EINTR : 0;
}

/*
 * Nothing left to evict. If a move out of VRAM is still copying, the
 * range it will free is the room we are missing: wait for it (moves run in
 * order on the migration engine, so the newest one covers the others).
 */
static int wait_pending_release(struct sim_device *dev, struct sim_op_ctx *ctx)
{
	struct dma_fence *fence;

	sim__vram_lock(dev);
	fence = dma_fence_get(dev->vram_release);
	sim__vram_unlock(dev);
	if (!fence)
		return -ENOSPC;
	if (dma_fence_is_signaled(fence)) {
		dma_fence_put(fence);
		return -ENOSPC;
	}
	return wait_move(fence, ctx->interruptible);
}

/*
 * Find and lock one victim. Returns it with a reference and its resv held,
 * or NULL; *@contended gets (with a reference) the first candidate held by
 * someone else, for the ticket path.
 */
static struct sim_bo *scan_lru(struct sim_device *dev, struct ww_acquire_ctx *ticket,
			       struct sim_bo **contended)
{
	struct sim_bo *bo, *victim = NULL;

	*contended = NULL;
	sim__lru_lock(dev);
	cds_list_for_each_entry(bo, &dev->lru[SIM_PL_VRAM], lru) {
		struct dma_resv *resv = bo->base.resv;

		if (__atomic_load_n(&bo->pin_count, __ATOMIC_ACQUIRE))
			continue;
		/* Held with the caller's ticket: its working set (what the
		 * ticket lock would answer with -EALREADY). Comparing the
		 * owner is safe for locks of others too; dma_resv_held()
		 * would look into their acquire context. */
		if (ticket && dma_resv_locking_ctx(resv) == ticket)
			continue;
		if (dma_resv_trylock(resv)) {
			/* A BO whose last reference is gone waits for the LRU
			 * lock to unlink itself: leave it alone. */
			if (resv_gem_object_get_unless_zero(&bo->base)) {
				victim = bo;
				break;
			}
			dma_resv_unlock(resv);
			continue;
		}
		if (ticket && !*contended && resv_gem_object_get_unless_zero(&bo->base))
			*contended = bo;
	}
	sim__lru_unlock(dev);
	return victim;
}

/*
 * Evict one BO from VRAM and wait until its range is free. 0: something
 * changed (retry the allocation); -ENOSPC: nothing evictable; -EDEADLK,
 * -EINTR, -ENOMEM. *@freed: VRAM bytes freed.
 */
static int evict_one(struct sim_device *dev, struct sim_op_ctx *ctx, enum evict_mode mode,
		     uint64_t *freed)
{
	struct ww_acquire_ctx *ticket = mode == EVICT_TICKET ? ctx->ticket : NULL;
	struct sim_bo *victim, *contended;
	struct dma_fence *fence = NULL;
	int ret = 0;

	*freed = 0;
	victim = scan_lru(dev, ticket, &contended);
	if (victim) {
		sim_bo_put(contended);
	} else if (contended) {
		victim = contended;
		ret = ctx->interruptible ?
			dma_resv_lock_interruptible(victim->base.resv, ctx->ticket) :
			dma_resv_lock(victim->base.resv, ctx->ticket);
		if (ret == -EDEADLK) {
			/* Nothing done: the caller backs off, then slow-locks it. */
			sim_bo_put(ctx->contended);
			ctx->contended = victim;
			return -EDEADLK;
		}
		if (ret) {	/* -EINTR; -EALREADY cannot be: held BOs were skipped */
			sim_bo_put(victim);
			return ret == -EALREADY ? -ENOSPC : ret;
		}
	} else {
		return mode == EVICT_TICKET ? wait_pending_release(dev, ctx) : -ENOSPC;
	}

	/* Locked. While we slept on the lock it may have moved or been
	 * pinned; then there is nothing to do but look again. */
	if (sim_bo_placement(victim) == SIM_PL_VRAM &&
	    !__atomic_load_n(&victim->pin_count, __ATOMIC_ACQUIRE)) {
		ret = sim__bo_move_locked(victim, SIM_PL_SYSTEM, ctx, true, &fence);
		if (!ret) {
			ctx->evictions++;
			*freed = victim->base.size;
			if (mode == EVICT_SHRINK)
				SIM_STAT_INC(dev, shrinker_evictions);
		}
	}
	dma_resv_unlock(victim->base.resv);
	sim_bo_put(victim);
	if (fence) {
		int wret = wait_move(fence, ctx->interruptible);

		if (!ret)
			ret = wret;
	}
	return ret;
}

int sim__vram_alloc(struct sim_device *dev, uint64_t npages, struct sim_op_ctx *ctx,
		    struct sim_range *out)
{
	uint64_t freed;
	int ret;

	if (npages > dev->vram_mgr.num_pages)
		return -ENOSPC;
	for (;;) {
		sim__vram_lock(dev);
		ret = sim_range_alloc(&dev->vram_mgr, npages, out);
		sim__vram_unlock(dev);
		if (!ret) {
			SIM_STAT_ADD(dev, vram_used, npages * SIM_PAGE_SIZE);
			return 0;
		}
		if (ctx->no_evict)
			return -ENOSPC;
		ret = evict_one(dev, ctx, EVICT_TICKET, &freed);
		if (ret)
			return ret;
	}
}

int sim_evict_for(struct sim_device *dev, uint64_t size, struct sim_op_ctx *ctx)
{
	uint64_t npages, largest, freed;
	int ret;

	if (!dev || !ctx || !size || size > dev->cfg.vram_size)
		return -EINVAL;
	npages = (size + SIM_PAGE_SIZE - 1) / SIM_PAGE_SIZE;
	for (;;) {
		sim__vram_lock(dev);
		largest = sim_range_largest_free(&dev->vram_mgr);
		sim__vram_unlock(dev);
		if (largest >= npages)
			return 0;
		if (ctx->no_evict)
			return -ENOSPC;
		ret = evict_one(dev, ctx, EVICT_TICKET, &freed);
		if (ret)
			return ret;
	}
}

long sim_shrink(struct sim_device *dev, uint64_t target)
{
	struct sim_op_ctx ctx = { 0 };	/* no ticket: trylock only */
	uint64_t freed = 0, n;
	int ret = 0;

	/* For the lock validator this is reclaim: locks taken blocking in
	 * here must never be held across an allocation elsewhere. */
	resv_lockdep_reclaim_begin();
	while (freed < target) {
		ret = evict_one(dev, &ctx, EVICT_SHRINK, &n);
		if (ret)
			break;
		freed += n;
	}
	resv_lockdep_reclaim_end();
	if (ret && ret != -ENOSPC && !freed)
		return ret;
	return (long)freed;
}
