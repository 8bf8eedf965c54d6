/* SPDX-License-Identifier: MIT */
/*
 * GPU page tables: a four-level radix table of 512-entry directories over
 * 36-bit page numbers. Leaves point at mapping records — one per contiguous
 * range of a BO — which say which storage generation of the BO they are
 * bound to. This file: the table walks, its life, translation and lookup;
 * pt-update.c changes it. Layout and locking: pt-internal.h.
 */
#include <errno.h>
#include <string.h>

#include "pt-internal.h"

/* How many directories below @dir (NULL: missing) mapping [@pfn, @end)
 * would need, @dir covering pages from @base at @level. */
uint64_t sim__pt_count_missing(struct pt_dir *dir, int level, uint64_t base, uint64_t pfn,
			       uint64_t end)
{
	uint64_t span = 1ull << (PT_BITS * level), n = 0;

	if (level == 0)
		return 0;
	for (unsigned int i = pt_index(pfn, level); i < PT_ENTRIES; i++) {
		uint64_t slot_base = base + i * span;
		struct pt_dir *child = dir ? dir->slot[i] : NULL;

		if (slot_base >= end)
			break;
		n += !child + sim__pt_count_missing(child, level - 1, slot_base,
						    pfn > slot_base ? pfn : slot_base, end);
	}
	return n;
}

void sim__pt_free_pool(struct pt_dir *pool)
{
	while (pool) {
		struct pt_dir *next = pool->slot[0];

		resv_free(pool, sizeof(*pool));
		pool = next;
	}
}

/* The first mapped page in [@pfn, @end) below @dir (covering pages from
 * @base at @level), or @end; empty directories are skipped whole. */
static uint64_t find_mapped(struct pt_dir *dir, int level, uint64_t base, uint64_t pfn,
			    uint64_t end)
{
	uint64_t span = 1ull << (PT_BITS * level);

	for (unsigned int i = pt_index(pfn, level); i < PT_ENTRIES; i++) {
		uint64_t slot_base = base + i * span;
		uint64_t found;

		if (slot_base >= end)
			return end;
		if (!dir->slot[i])
			continue;
		if (level == 0)
			return slot_base;
		found = find_mapped(dir->slot[i], level - 1, slot_base,
				    pfn > slot_base ? pfn : slot_base, end);
		if (found < end)
			return found;
	}
	return end;
}

uint64_t sim__pt_next_mapped(struct sim_pt *pt, uint64_t pfn, uint64_t end)
{
	return pfn < end ? find_mapped(pt->root, PT_LEVELS - 1, 0, pfn, end) : end;
}

void sim__pt_set_slots(struct sim_pt *pt, uint64_t from, uint64_t to, struct sim_pt_mapping *m)
{
	for (uint64_t pfn = from; pfn < to; pfn++)
		*sim__pt_leaf_slot(pt, pfn, NULL) = m;
}

static void free_dirs(struct pt_dir *dir, int level)
{
	if (level > 0)
		for (unsigned int i = 0; i < PT_ENTRIES; i++)
			if (dir->slot[i])
				free_dirs(dir->slot[i], level - 1);
	resv_free(dir, sizeof(*dir));
}

static struct sim_backing *find_backing(struct sim_bo *bo, uint64_t gen)
{
	struct sim_backing *b;

	if (!gen)
		return NULL;
	cds_list_for_each_entry(b, &bo->backings, link)
		if (b->gen == gen)
			return b;
	return NULL;
}

/* ---- life ------------------------------------------------------------------ */

int sim_pt_create(struct sim_device *dev, struct sim_pt **out)
{
	struct sim_pt *pt;

	if (!dev || !out)
		return -EINVAL;
	pt = resv_zalloc(sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	pt->root = resv_zalloc(sizeof(*pt->root));
	if (!pt->root) {
		resv_free(pt, sizeof(*pt));
		return -ENOMEM;
	}
	pt->ref = 1;
	pt->dev = dev;
	CDS_INIT_LIST_HEAD(&pt->mappings);
	__atomic_add_fetch(&dev->live_pts, 1, __ATOMIC_RELAXED);
	*out = pt;
	return 0;
}

struct sim_pt *sim_pt_get(struct sim_pt *pt)
{
	__atomic_add_fetch(&pt->ref, 1, __ATOMIC_RELAXED);
	return pt;
}

void sim__pt_put_mappings(struct cds_list_head *list)
{
	struct sim_pt_mapping *m, *tmp;

	cds_list_for_each_entry_safe(m, tmp, list, pt_link) {
		sim_bo_put(m->bo);
		resv_free(m, sizeof(*m));
	}
}

static void pt_release(struct sim_pt *pt)
{
	struct sim_device *dev = pt->dev;
	struct sim_pt_mapping *m;
	struct cds_list_head doomed;

	CDS_INIT_LIST_HEAD(&doomed);
	sim__mem_write_lock(dev);
	cds_list_for_each_entry(m, &pt->mappings, pt_link)
		cds_list_del(&m->bo_link);
	cds_list_splice(&pt->mappings, &doomed);
	sim__mem_unlock(dev);

	/* BO references last, outside the lock: a BO's free takes others. */
	free_dirs(pt->root, PT_LEVELS - 1);
	sim__pt_put_mappings(&doomed);
	__atomic_sub_fetch(&dev->live_pts, 1, __ATOMIC_RELAXED);
	resv_free(pt, sizeof(*pt));
}

void sim_pt_put(struct sim_pt *pt)
{
	if (pt && !__atomic_sub_fetch(&pt->ref, 1, __ATOMIC_ACQ_REL))
		pt_release(pt);
}

struct sim_device *sim__pt_device(struct sim_pt *pt)
{
	return pt->dev;
}

/* ---- translation ------------------------------------------------------------ */

static struct sim_pt_mapping *mapping_of(struct sim_pt *pt, uint64_t va)
{
	struct sim_pt_mapping **slot;

	if (va >= VA_LIMIT)
		return NULL;
	slot = sim__pt_leaf_slot(pt, va >> PAGE_SHIFT, NULL);
	return slot ? *slot : NULL;
}

int sim__pt_translate(struct sim_pt *pt, uint64_t va, bool write, uint8_t **host,
		      size_t *avail)
{
	struct sim_pt_mapping *m = mapping_of(pt, va);
	struct sim_backing *b;
	uint64_t off;

	if (!m || (write && (m->flags & SIM_PT_READ_ONLY)))
		return -EFAULT;
	b = find_backing(m->bo, m->gen);
	if (!b)
		return -EFAULT;	/* bound to storage that is gone: not resident */
	off = m->bo_offset + (va - m->va);
	if (b->pages) {
		/* A userptr: the page its snapshot collected, if any yet. */
		uint8_t *page = b->pages[off / SIM_PAGE_SIZE];

		if (!page)
			return -EFAULT;
		*host = page + off % SIM_PAGE_SIZE;
	} else {
		*host = b->cpu + off;
	}
	*avail = SIM_PAGE_SIZE - va % SIM_PAGE_SIZE;
	return 0;
}

int sim__pt_find_mapping(struct sim_pt *pt, uint64_t va, uint64_t size, struct sim_bo **bo,
			 uint64_t *map_va, uint64_t *map_size)
{
	uint64_t first = va >> PAGE_SHIFT, end = first + (size >> PAGE_SHIFT), p;
	int ret = -ENOENT;

	sim__mem_read_lock(pt->dev);
	p = sim__pt_next_mapped(pt, first, end);
	if (p < end) {
		struct sim_pt_mapping *m = *sim__pt_leaf_slot(pt, p, NULL);

		/* The mapping's reference keeps the BO while we hold the lock. */
		*bo = sim_bo_get(m->bo);
		*map_va = m->va;
		*map_size = m->size;
		ret = 0;
	}
	sim__mem_unlock(pt->dev);
	return ret;
}

int sim_pt_lookup(struct sim_pt *pt, uint64_t va, struct sim_pt_entry *entry)
{
	struct sim_pt_mapping *m;
	int ret = -ENOENT;

	sim__mem_read_lock(pt->dev);
	m = mapping_of(pt, va);
	if (m) {
		entry->bo = m->bo;
		entry->bo_offset = m->bo_offset + (va - m->va);
		entry->flags = m->flags;
		entry->bound = m->bound;
		entry->resident = find_backing(m->bo, m->gen) != NULL;
		entry->current = m->bo->backing && m->bo->backing->gen == m->gen;
		ret = 0;
	}
	sim__mem_unlock(pt->dev);
	return ret;
}

static int pt_access(struct sim_pt *pt, uint64_t va, uint8_t *buf, size_t len, bool write)
{
	while (len) {
		uint8_t *host;
		size_t avail;
		int ret;

		sim__mem_read_lock(pt->dev);
		ret = sim__pt_translate(pt, va, write, &host, &avail);
		if (!ret) {
			if (avail > len)
				avail = len;
			if (write)
				memcpy(host, buf, avail);
			else
				memcpy(buf, host, avail);
		}
		sim__mem_unlock(pt->dev);
		if (ret)
			return ret;
		va += avail;
		buf += avail;
		len -= avail;
	}
	return 0;
}

int sim_pt_read(struct sim_pt *pt, uint64_t va, void *dst, size_t len)
{
	return pt_access(pt, va, dst, len, false);
}

int sim_pt_write(struct sim_pt *pt, uint64_t va, const void *src, size_t len)
{
	return pt_access(pt, va, (uint8_t *)src, len, true);
}
