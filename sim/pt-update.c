/* SPDX-License-Identifier: MIT */
/*
 * Changing GPU page tables: map, unmap and rebind under the GPU memory
 * lock, and the prepared updates (prepare allocates, commit cannot fail,
 * fini frees) that asynchronous binds apply from a fence signalling
 * section. Layout and locking: pt-internal.h.
 */
#include <errno.h>
#include <string.h>

#include "pt-internal.h"

/* Bind @m to the storage its BO has now (none: it faults). */
static void bind_current(struct sim_pt_mapping *m)
{
	struct sim_backing *b = m->bo->backing;

	m->gen = b ? b->gen : 0;
	m->bound = b ? b->placement : SIM_PL_NONE;
}

/* ---- map, unmap, rebind ---------------------------------------------------- */

int sim_pt_map(struct sim_pt *pt, uint64_t va, uint64_t size, struct sim_bo *bo,
	       uint64_t bo_offset, uint32_t flags)
{
	struct pt_dir *pool = NULL;
	uint64_t first, end, need, have = 0;
	struct sim_pt_mapping *m;
	struct sim_device *dev;

	if (!pt || !bo || bo->dev != pt->dev || !sim__pt_range_ok(va, size) ||
	    bo_offset % SIM_PAGE_SIZE || bo_offset > bo->base.size ||
	    size > bo->base.size - bo_offset || (flags & ~SIM_PT_READ_ONLY))
		return -EINVAL;
	dma_resv_assert_held(bo->base.resv);
	dev = pt->dev;
	first = va >> PAGE_SHIFT;
	end = first + (size >> PAGE_SHIFT);
	m = resv_zalloc(sizeof(*m));
	if (!m)
		return -ENOMEM;

	/*
	 * Nothing is allocated under the GPU memory lock: shrinkers take it
	 * (to move BOs), so an allocation under it could need the shrinker.
	 * Count the directories the range lacks, allocate them, attach them
	 * under the lock. Directories are only freed with the table, so the
	 * count can only shrink meanwhile; a concurrent map may make us
	 * come back for more.
	 */
	sim__mem_write_lock(dev);
	for (;;) {
		if (sim__pt_next_mapped(pt, first, end) < end) {
			sim__mem_unlock(dev);
			sim__pt_free_pool(pool);
			resv_free(m, sizeof(*m));
			return -EEXIST;
		}
		need = sim__pt_count_missing(pt->root, PT_LEVELS - 1, 0, first, end);
		if (need <= have)
			break;
		sim__mem_unlock(dev);
		while (have < need) {
			struct pt_dir *dir = resv_zalloc(sizeof(*dir));

			if (!dir) {
				sim__pt_free_pool(pool);
				resv_free(m, sizeof(*m));
				return -ENOMEM;
			}
			dir->slot[0] = pool;
			pool = dir;
			have++;
		}
		sim__mem_write_lock(dev);
	}
	for (uint64_t pfn = first; pfn < end; pfn++)
		sim__pt_leaf_slot(pt, pfn, &pool);
	m->pt = pt;
	m->bo = sim_bo_get(bo);
	m->va = va;
	m->size = size;
	m->bo_offset = bo_offset;
	m->flags = flags;
	bind_current(m);
	cds_list_add_tail(&m->pt_link, &pt->mappings);
	cds_list_add_tail(&m->bo_link, &bo->mappings);
	sim__pt_set_slots(pt, first, end, m);
	sim__mem_unlock(dev);
	sim__pt_free_pool(pool);
	return 0;
}

/* Would unmapping [@first, @end) split a mapping in two? Only one that
 * starts before the range and ends after it. */
static bool needs_split(struct sim_pt *pt, uint64_t first, uint64_t end)
{
	struct sim_pt_mapping **slot = sim__pt_leaf_slot(pt, first, NULL);
	struct sim_pt_mapping *m = slot ? *slot : NULL;

	return m && (m->va >> PAGE_SHIFT) < first &&
	       ((m->va + m->size) >> PAGE_SHIFT) > end;
}

/*
 * Remove the mappings of pages [@first, @end): trim those that straddle an
 * end, split one that contains the range using *@spare (which must be
 * there when needs_split() says so), move removed ones to @doomed (their
 * BO references are the caller's to drop, outside the lock). GPU memory
 * lock held for writing.
 */
static void unmap_locked(struct sim_pt *pt, uint64_t first, uint64_t end,
			 struct sim_pt_mapping **spare, struct cds_list_head *doomed)
{
	uint64_t p;

	for (p = sim__pt_next_mapped(pt, first, end); p < end;
	     p = sim__pt_next_mapped(pt, p, end)) {
		struct sim_pt_mapping *m = *sim__pt_leaf_slot(pt, p, NULL);
		uint64_t mfirst = m->va >> PAGE_SHIFT;
		uint64_t mend = mfirst + (m->size >> PAGE_SHIFT);
		uint64_t a = p, b = mend < end ? mend : end;

		sim__pt_set_slots(pt, a, b, NULL);
		if (a == mfirst && b == mend) {
			cds_list_del(&m->pt_link);
			cds_list_del(&m->bo_link);
			cds_list_add_tail(&m->pt_link, doomed);
		} else if (a == mfirst) {
			m->va += (b - a) << PAGE_SHIFT;
			m->bo_offset += (b - a) << PAGE_SHIFT;
			m->size -= (b - a) << PAGE_SHIFT;
		} else if (b == mend) {
			m->size -= (b - a) << PAGE_SHIFT;
		} else {
			struct sim_pt_mapping *tail = *spare;

			*spare = NULL;
			*tail = *m;
			tail->va = b << PAGE_SHIFT;
			tail->bo_offset = m->bo_offset + ((b - mfirst) << PAGE_SHIFT);
			tail->size = (mend - b) << PAGE_SHIFT;
			m->size = (a - mfirst) << PAGE_SHIFT;
			sim_bo_get(tail->bo);
			cds_list_add(&tail->pt_link, &m->pt_link);
			cds_list_add(&tail->bo_link, &m->bo_link);
			sim__pt_set_slots(pt, b, mend, tail);
		}
		p = b;
	}
}

int sim_pt_unmap(struct sim_pt *pt, uint64_t va, uint64_t size)
{
	struct sim_pt_mapping *spare = NULL;
	struct cds_list_head doomed;
	struct sim_device *dev;
	uint64_t first, end;

	if (!pt || !sim__pt_range_ok(va, size))
		return -EINVAL;
	dev = pt->dev;
	first = va >> PAGE_SHIFT;
	end = first + (size >> PAGE_SHIFT);
	CDS_INIT_LIST_HEAD(&doomed);

	sim__mem_write_lock(dev);
	while (needs_split(pt, first, end) && !spare) {
		/* Allocate outside the lock, then look again. */
		sim__mem_unlock(dev);
		spare = resv_zalloc(sizeof(*spare));
		if (!spare)
			return -ENOMEM;
		sim__mem_write_lock(dev);
	}
	unmap_locked(pt, first, end, &spare, &doomed);
	sim__mem_unlock(dev);

	resv_free(spare, spare ? sizeof(*spare) : 0);
	sim__pt_put_mappings(&doomed);
	return 0;
}

int sim_pt_rebind(struct sim_pt *pt, struct sim_bo *bo)
{
	struct sim_pt_mapping *m;
	int n = 0;

	dma_resv_assert_held(bo->base.resv);
	sim__mem_write_lock(pt->dev);
	cds_list_for_each_entry(m, &bo->mappings, bo_link) {
		if (m->pt != pt)
			continue;
		bind_current(m);
		n++;
	}
	sim__mem_unlock(pt->dev);
	return n;
}

/* ---- prepared updates ------------------------------------------------------- */

/*
 * Everything a change of [va, va + size) can need is allocated here, so
 * that the commit, which may run in a fence signalling section (an
 * asynchronous VM_BIND), neither fails nor allocates: the mapping record,
 * one spare record for a split (at most one mapping can contain the
 * range), and the directories the range lacks now (directories are only
 * freed with the table, so by the commit fewer can be missing, not more).
 */
int sim_pt_update_prepare(struct sim_pt_update *upd, struct sim_pt *pt, uint64_t va,
			  uint64_t size, struct sim_bo *bo, uint64_t bo_offset, uint32_t flags)
{
	struct pt_dir *pool = NULL;
	uint64_t first, need;

	if (!upd || !pt || !sim__pt_range_ok(va, size) || (flags & ~SIM_PT_READ_ONLY))
		return -EINVAL;
	if (bo && (bo->dev != pt->dev || bo_offset % SIM_PAGE_SIZE ||
		   bo_offset > bo->base.size || size > bo->base.size - bo_offset))
		return -EINVAL;
	memset(upd, 0, sizeof(*upd));
	CDS_INIT_LIST_HEAD(&upd->doomed);
	first = va >> PAGE_SHIFT;
	upd->spare = resv_zalloc(sizeof(struct sim_pt_mapping));
	if (!upd->spare)
		return -ENOMEM;
	if (bo) {
		upd->mapping = resv_zalloc(sizeof(struct sim_pt_mapping));
		if (!upd->mapping)
			goto err;
		sim__mem_read_lock(pt->dev);
		need = sim__pt_count_missing(pt->root, PT_LEVELS - 1, 0, first,
					     first + (size >> PAGE_SHIFT));
		sim__mem_unlock(pt->dev);
		while (need--) {
			struct pt_dir *dir = resv_zalloc(sizeof(*dir));

			if (!dir)
				goto err;
			dir->slot[0] = pool;
			pool = dir;
		}
		/* Bound to the storage of now: a later move marks the BO's
		 * mappings stale (the caller rebinds), it does not retarget a
		 * pending update to storage that is still being filled. */
		dma_resv_assert_held(bo->base.resv);
		upd->gen = bo->backing ? bo->backing->gen : 0;
		upd->bound = bo->backing ? bo->backing->placement : SIM_PL_NONE;
		upd->bo = sim_bo_get(bo);
	}
	upd->dirs = pool;
	upd->pt = sim_pt_get(pt);
	upd->va = va;
	upd->size = size;
	upd->bo_offset = bo_offset;
	upd->flags = flags;
	return 0;

err:
	sim__pt_free_pool(pool);
	resv_free(upd->mapping, upd->mapping ? sizeof(struct sim_pt_mapping) : 0);
	resv_free(upd->spare, sizeof(struct sim_pt_mapping));
	upd->mapping = upd->spare = NULL;
	return -ENOMEM;
}

void sim_pt_update_commit(struct sim_pt_update *upd)
{
	struct sim_pt *pt = upd->pt;
	struct sim_pt_mapping *m = upd->mapping, *spare = upd->spare;
	struct pt_dir *pool = upd->dirs;
	uint64_t first = upd->va >> PAGE_SHIFT;
	uint64_t end = first + (upd->size >> PAGE_SHIFT);

	if (!pt || upd->committed)
		return;
	sim__mem_write_lock(pt->dev);
	unmap_locked(pt, first, end, &spare, &upd->doomed);
	if (m) {
		for (uint64_t pfn = first; pfn < end; pfn++)
			sim__pt_leaf_slot(pt, pfn, &pool);
		m->pt = pt;
		m->bo = upd->bo;	/* the update's reference moves to the mapping */
		m->va = upd->va;
		m->size = upd->size;
		m->bo_offset = upd->bo_offset;
		m->flags = upd->flags;
		m->gen = upd->gen;
		m->bound = upd->bound;
		cds_list_add_tail(&m->pt_link, &pt->mappings);
		cds_list_add_tail(&m->bo_link, &m->bo->mappings);
		sim__pt_set_slots(pt, first, end, m);
		upd->mapping = NULL;
		upd->bo = NULL;
	}
	sim__mem_unlock(pt->dev);
	upd->spare = spare;
	upd->dirs = pool;
	upd->committed = true;
}

void sim_pt_update_fini(struct sim_pt_update *upd)
{
	if (!upd || !upd->pt)
		return;
	sim__pt_free_pool(upd->dirs);
	resv_free(upd->mapping, upd->mapping ? sizeof(struct sim_pt_mapping) : 0);
	resv_free(upd->spare, upd->spare ? sizeof(struct sim_pt_mapping) : 0);
	sim__pt_put_mappings(&upd->doomed);
	sim_bo_put(upd->bo);
	sim_pt_put(upd->pt);
	memset(upd, 0, sizeof(*upd));
}
