/* SPDX-License-Identifier: MIT */
/*
 * Execbuf, with every object locked: validation into an allowed placement
 * (evicting with the exec's ww ticket), the eviction victim that answered
 * -EDEADLK, binding each object at its GPU address in the file's page
 * table, and the LRU bump after submission.
 *
 * Eviction contention. Eviction blocks, with our ticket, on a victim that
 * someone else holds; Wait-Die then says -EDEADLK and sim_bo_validate()
 * hands the victim back in &sim_op_ctx.contended. The back-off is exactly
 * drm_exec's own: drop every lock, sleep on the contended lock without
 * holding any (dma_resv_lock_slow()), then relock the rest.
 * resv_exec_contended() hands the victim to drm_exec, which slow-locks it
 * first thing in the next run of the loop body, counted as
 * RESV_EXEC_RESTART_CONTENDED. On the next run the
 * victim is locked and tracked (it stays locked until drm_exec_fini(), as
 * every object drm_exec locked). Since our own ticket now holds it,
 * eviction would skip it as our working set: we evict it ourselves, which
 * is what the blocked eviction was about to do.
 */
#include <errno.h>

#include "execbuf-internal.h"

/* ---- eviction contention ------------------------------------------------------- */

/* sim_bo_validate() said -EDEADLK: make drm_exec back off on the victim. */
static int eb_feed_contended(struct eb *eb, struct sim_op_ctx *op)
{
	struct drm_exec *exec = &eb->exec;
	int ret;

	/* All our lock calls succeeded, so drm_exec has nothing pending. */
	if (!op->contended)
		return -EDEADLK;	/* cannot be; let it fail rather than spin */
	ret = resv_exec_contended(exec, &op->contended->base, false);
	if (ret != -EDEADLK)
		return ret;
	sim_bo_put(eb->victim);
	eb->victim = op->contended;	/* op's reference moves */
	op->contended = NULL;
	return -EDEADLK;
}

int eb_evict_victim(struct eb *eb)
{
	struct sim_bo *victim = eb->victim;
	struct sim_op_ctx op = { .ticket = &eb->exec.ticket, .interruptible = true };
	int ret = 0;

	if (!victim)
		return 0;
	eb->victim = NULL;
	/* Slow-locked by the first lock call of this run, unless that run was
	 * cut short; it may have moved or been pinned while we waited. */
	if (dma_resv_locking_ctx(victim->base.resv) == &eb->exec.ticket &&
	    sim_bo_placement(victim) == SIM_PL_VRAM &&
	    !__atomic_load_n(&victim->pin_count, __ATOMIC_ACQUIRE)) {
		ret = sim__bo_move_locked(victim, SIM_PL_SYSTEM, &op, true, NULL);
		if (!ret)
			eb->stats.evictions++;
	}
	sim_op_ctx_fini(&op);
	sim_bo_put(victim);	/* drm_exec holds its own references */
	return ret;
}

/* ---- validation ------------------------------------------------------------------- */

int eb_validate(struct eb *eb)
{
	struct sim_op_ctx op = { .ticket = &eb->exec.ticket, .interruptible = true };
	int ret = 0;

	for (unsigned int i = 0; i < eb->count; i++) {
		struct sim_bo *bo = eb->objs[i].bo;
		uint32_t mask = eb_placements(&eb->objs[i]);
		struct sim_backing *before = bo->backing;

		/* Resident where it may be: the common case, no call. */
		if (bo->placement != SIM_PL_NONE && (mask & (1u << bo->placement)))
			continue;
		ret = sim_bo_validate(bo, mask, &op);
		if (ret == -EDEADLK) {
			ret = eb_feed_contended(eb, &op);
			break;
		}
		if (ret)
			break;
		/* The move's KERNEL fence may have taken our reserved slot. */
		if (bo->backing != before) {
			ret = dma_resv_reserve_fences(bo->base.resv, 1);
			if (ret)
				break;
		}
	}
	eb->stats.evictions += op.evictions;
	sim_op_ctx_fini(&op);
	return ret;
}

/* ---- binding ----------------------------------------------------------------------- */

/* A fresh address in the kernel's half, never reused. */
static int eb_alloc_va(struct eb *eb, uint64_t size, uint64_t *va)
{
	uint64_t start = __atomic_fetch_add(&eb->file->next_kernel_va, size, __ATOMIC_RELAXED);

	if (start >= (1ull << SIM_VA_BITS) || size > (1ull << SIM_VA_BITS) - start)
		return -ENOSPC;
	*va = start;
	return 0;
}

/*
 * Make [@va, @va + @size) free: every BO of the file bound there is
 * locked into the exec (-EDEADLK restarts as any lock does), waited for
 * and unbound, as i915 evicts the vmas in the way of a softpinned one.
 */
static int eb_clear_range(struct eb *eb, uint64_t va, uint64_t size)
{
	struct sim_pt *pt = eb->file->pt;
	uint64_t map_va, map_size;
	struct sim_bo *other;

	for (unsigned int tries = 0; !sim__pt_find_mapping(pt, va, size, &other, &map_va,
							      &map_size); tries++) {
		struct sim_file_obj *fo;
		int ret;

		if (tries > 1000) {	/* a mapping nobody tracks: a bug */
			sim_bo_put(other);
			return -EBUSY;
		}
		ret = drm_exec_lock_obj(&eb->exec, &other->base);
		if (ret == -EALREADY)
			ret = 0;	/* one of ours, in its old place */
		if (ret) {
			sim_bo_put(other);
			return ret;
		}
		/* Under its lock the record is stable; it may have been
		 * closed or moved since we found it: then look again. */
		fo = sim__file_obj_bound_at(eb->file, other, map_va);
		if (fo) {
			ret = sim__file_obj_unbind(fo, true);
			if (!ret)
				eb->stats.unbinds++;
		}
		sim_bo_put(other);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Wait for the jobs that use the BO (every fence but its moves). Page-table
 * updates are immediate, not pipelined: a job already queued with the old
 * binding would otherwise find the new storage, which the move's copy
 * overwrites later (the move waits for that job, the job does not wait for
 * the move), and its writes would be lost. i915 waits for a vma to idle
 * before unbinding it for the same reason.
 */
static int eb_wait_users(struct sim_bo *bo)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;

	dma_resv_for_each_fence(&cursor, bo->base.resv, DMA_RESV_USAGE_BOOKKEEP, fence) {
		long ret;

		if (dma_resv_iter_usage(&cursor) == DMA_RESV_USAGE_KERNEL)
			continue;
		/* The resv lock keeps the fence in the list, and alive. */
		ret = sim__wait_result(dma_fence_wait(fence, true));
		if (ret < 0)
			return (int)ret;
	}
	return 0;
}

static int eb_bind_one(struct eb *eb, struct eb_obj *o, bool pinned)
{
	struct sim_file_obj *fo = o->fo;
	struct sim_bo *bo = o->bo;
	uint64_t gen = bo->backing->gen, size = bo->base.size, va;
	int ret;

	va = pinned ? o->uobj->offset : fo->va;
	if (fo->bound && fo->va == va) {
		if (fo->gen != gen) {
			/* It moved: point the mapping at the new storage, once
			 * no queued job relies on the old one. */
			ret = eb_wait_users(bo);
			if (ret)
				return ret;
			sim_pt_rebind(eb->file->pt, bo);
			fo->gen = gen;
			eb->stats.rebinds++;
		}
		o->va = va;
		return 0;
	}
	if (fo->bound) {
		/* Softpinned somewhere else now: leave the old place first. */
		ret = sim__file_obj_unbind(fo, true);
		if (ret)
			return ret;
	}
	if (!pinned) {
		ret = eb_alloc_va(eb, size, &va);
		if (ret)
			return ret;
	}
	for (;;) {
		ret = sim_pt_map(eb->file->pt, va, size, bo, 0, 0);
		if (ret != -EEXIST)
			break;
		ret = eb_clear_range(eb, va, size);
		if (ret)
			return ret;
	}
	if (ret)
		return ret;
	fo->gen = gen;
	__atomic_store_n(&fo->va, va, __ATOMIC_RELAXED);
	__atomic_store_n(&fo->bound, true, __ATOMIC_RELAXED);
	eb->stats.binds++;
	o->va = va;
	return 0;
}

int eb_bind(struct eb *eb)
{
	bool moved = false;
	int ret;

	/* Softpinned objects first: they may push others out of the way,
	 * which then get an address of the kernel's choosing. */
	for (unsigned int i = 0; i < eb->count; i++) {
		struct eb_obj *o = &eb->objs[i];

		if (!(o->flags & SIM_EXEC_OBJECT_PINNED))
			continue;
		moved |= !o->fo->bound || o->fo->va != o->uobj->offset;
		ret = eb_bind_one(eb, o, true);
		if (ret)
			return ret;
	}
	for (unsigned int i = 0; i < eb->count; i++) {
		struct eb_obj *o = &eb->objs[i];

		if (o->flags & SIM_EXEC_OBJECT_PINNED)
			continue;
		ret = eb_bind_one(eb, o, false);
		if (ret)
			return ret;
	}
	/*
	 * When something was (re)bound, a softpinned range may have pushed
	 * out another object of this execbuf bound before it: two of its
	 * softpinned ranges overlap (the argument check catches that unless
	 * another thread was rebinding meanwhile).
	 */
	if (moved)
		for (unsigned int i = 0; i < eb->count; i++)
			if (!eb->objs[i].fo->bound || eb->objs[i].fo->va != eb->objs[i].va)
				return -EINVAL;
	return 0;
}

/* ---- after submission -------------------------------------------------------------- */

/*
 * Are the objects in VRAM already the most recently used ones, in their
 * order? Then bumping them changes nothing: a client that submits the same
 * set again and again finds them so (TTM's bulk move gets the same effect
 * with per-VM bookkeeping). LRU lock held.
 */
static bool eb_lru_in_order(struct eb *eb)
{
	struct cds_list_head *last = NULL;

	for (unsigned int i = 0; i < eb->count; i++) {
		struct sim_bo *bo = eb->objs[i].bo;

		if (bo->lru_placement != SIM_PL_VRAM)
			continue;
		if (last && bo->lru.prev != last)
			return false;
		last = &bo->lru;
	}
	return !last || last->next == &eb->dev->lru[SIM_PL_VRAM];
}

/*
 * Make the objects in VRAM the most recently used, under one LRU lock hold
 * (TTM's bulk move). Only the VRAM list orders anything (eviction and the
 * shrinker take victims from it): objects elsewhere are left where they
 * are, and an execbuf without VRAM objects takes no lock. Placements are
 * stable: every object is locked.
 */
void eb_lru_touch(struct eb *eb)
{
	struct sim_device *dev = eb->dev;
	bool any = false;

	for (unsigned int i = 0; i < eb->count && !any; i++)
		any = eb->objs[i].bo->placement == SIM_PL_VRAM;
	if (!any)
		return;
	sim__lru_lock(dev);
	if (!eb_lru_in_order(eb)) {
		for (unsigned int i = 0; i < eb->count; i++) {
			struct sim_bo *bo = eb->objs[i].bo;

			if (bo->lru_placement != SIM_PL_VRAM)
				continue;
			cds_list_del(&bo->lru);
			cds_list_add_tail(&bo->lru, &dev->lru[SIM_PL_VRAM]);
		}
	}
	sim__lru_unlock(dev);
}
