/* SPDX-License-Identifier: MIT */
/*
 * GPU page tables: a four-level radix table of 512-entry directories over
 * 36-bit page numbers. Leaves point at mapping records — one per contiguous
 * range of a BO — which say which storage generation of the BO they are
 * bound to. Everything here is protected by the device's GPU memory lock:
 * written under the write side, translated by engines under the read side.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define PT_LEVELS 4
#define PT_BITS 9
#define PT_ENTRIES (1u << PT_BITS)
#define PAGE_SHIFT 12
#define VA_LIMIT (1ull << SIM_VA_BITS)

_Static_assert(PT_LEVELS * PT_BITS + PAGE_SHIFT == SIM_VA_BITS, "levels cover the VA");
_Static_assert((1u << PAGE_SHIFT) == SIM_PAGE_SIZE, "page shift");

struct pt_dir {
	void *slot[PT_ENTRIES];
};

struct sim_pt_mapping {
	struct cds_list_head pt_link;	/* pt->mappings */
	struct cds_list_head bo_link;	/* bo->mappings */
	struct sim_pt *pt;
	struct sim_bo *bo;		/* reference */
	uint64_t va;
	uint64_t size;
	uint64_t bo_offset;
	uint64_t gen;			/* bound storage generation; 0: none */
	enum sim_placement bound;	/* its placement, for sim_pt_lookup() */
	uint32_t flags;
};

struct sim_pt {
	long ref;			/* atomic */
	struct sim_device *dev;
	struct pt_dir *root;
	struct cds_list_head mappings;
};

static unsigned int pt_index(uint64_t pfn, int level)
{
	return (unsigned int)(pfn >> (PT_BITS * level)) & (PT_ENTRIES - 1);
}

/* The leaf slot of @pfn. Missing directories are taken from *@pool (a
 * list linked through slot[0]) when it is given, else NULL is returned. */
static struct sim_pt_mapping **leaf_slot(struct sim_pt *pt, uint64_t pfn,
					 struct pt_dir **pool)
{
	struct pt_dir *dir = pt->root;

	for (int level = PT_LEVELS - 1; level > 0; level--) {
		void **slot = &dir->slot[pt_index(pfn, level)];

		if (!*slot) {
			if (!pool || !*pool)
				return NULL;
			*slot = *pool;
			*pool = (*pool)->slot[0];
			((struct pt_dir *)*slot)->slot[0] = NULL;
		}
		dir = *slot;
	}
	return (struct sim_pt_mapping **)&dir->slot[pt_index(pfn, 0)];
}

/* How many directories below @dir (NULL: missing) mapping [@pfn, @end)
 * would need, @dir covering pages from @base at @level. */
static uint64_t count_missing(struct pt_dir *dir, int level, uint64_t base, uint64_t pfn,
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
		n += !child + count_missing(child, level - 1, slot_base,
					    pfn > slot_base ? pfn : slot_base, end);
	}
	return n;
}

static void free_pool(struct pt_dir *pool)
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

static uint64_t next_mapped(struct sim_pt *pt, uint64_t pfn, uint64_t end)
{
	return pfn < end ? find_mapped(pt->root, PT_LEVELS - 1, 0, pfn, end) : end;
}

static void set_slots(struct sim_pt *pt, uint64_t from, uint64_t to, struct sim_pt_mapping *m)
{
	for (uint64_t pfn = from; pfn < to; pfn++)
		*leaf_slot(pt, pfn, NULL) = m;
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

static void bind_current(struct sim_pt_mapping *m)
{
	struct sim_backing *b = m->bo->backing;

	m->gen = b ? b->gen : 0;
	m->bound = b ? b->placement : SIM_PL_NONE;
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

static void put_mappings(struct cds_list_head *list)
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
	put_mappings(&doomed);
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

/* ---- map, unmap, rebind ---------------------------------------------------- */

static bool range_ok(uint64_t va, uint64_t size)
{
	return size && !(va % SIM_PAGE_SIZE) && !(size % SIM_PAGE_SIZE) && va < VA_LIMIT &&
	       size <= VA_LIMIT - va;
}

int sim_pt_map(struct sim_pt *pt, uint64_t va, uint64_t size, struct sim_bo *bo,
	       uint64_t bo_offset, uint32_t flags)
{
	struct pt_dir *pool = NULL;
	uint64_t first, end, need, have = 0;
	struct sim_pt_mapping *m;
	struct sim_device *dev;

	if (!pt || !bo || bo->dev != pt->dev || !range_ok(va, size) ||
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
		if (next_mapped(pt, first, end) < end) {
			sim__mem_unlock(dev);
			free_pool(pool);
			resv_free(m, sizeof(*m));
			return -EEXIST;
		}
		need = count_missing(pt->root, PT_LEVELS - 1, 0, first, end);
		if (need <= have)
			break;
		sim__mem_unlock(dev);
		while (have < need) {
			struct pt_dir *dir = resv_zalloc(sizeof(*dir));

			if (!dir) {
				free_pool(pool);
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
		leaf_slot(pt, pfn, &pool);
	m->pt = pt;
	m->bo = sim_bo_get(bo);
	m->va = va;
	m->size = size;
	m->bo_offset = bo_offset;
	m->flags = flags;
	bind_current(m);
	cds_list_add_tail(&m->pt_link, &pt->mappings);
	cds_list_add_tail(&m->bo_link, &bo->mappings);
	set_slots(pt, first, end, m);
	sim__mem_unlock(dev);
	free_pool(pool);
	return 0;
}

/* Would unmapping [@first, @end) split a mapping in two? Only one that
 * starts before the range and ends after it. */
static bool needs_split(struct sim_pt *pt, uint64_t first, uint64_t end)
{
	struct sim_pt_mapping **slot = leaf_slot(pt, first, NULL);
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

	for (p = next_mapped(pt, first, end); p < end; p = next_mapped(pt, p, end)) {
		struct sim_pt_mapping *m = *leaf_slot(pt, p, NULL);
		uint64_t mfirst = m->va >> PAGE_SHIFT;
		uint64_t mend = mfirst + (m->size >> PAGE_SHIFT);
		uint64_t a = p, b = mend < end ? mend : end;

		set_slots(pt, a, b, NULL);
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
			set_slots(pt, b, mend, tail);
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

	if (!pt || !range_ok(va, size))
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
	put_mappings(&doomed);
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

	if (!upd || !pt || !range_ok(va, size) || (flags & ~SIM_PT_READ_ONLY))
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
		need = count_missing(pt->root, PT_LEVELS - 1, 0, first,
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
	free_pool(pool);
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
			leaf_slot(pt, pfn, &pool);
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
		set_slots(pt, first, end, m);
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
	free_pool(upd->dirs);
	resv_free(upd->mapping, upd->mapping ? sizeof(struct sim_pt_mapping) : 0);
	resv_free(upd->spare, upd->spare ? sizeof(struct sim_pt_mapping) : 0);
	put_mappings(&upd->doomed);
	sim_bo_put(upd->bo);
	sim_pt_put(upd->pt);
	memset(upd, 0, sizeof(*upd));
}

/* ---- translation ------------------------------------------------------------ */

static struct sim_pt_mapping *mapping_of(struct sim_pt *pt, uint64_t va)
{
	struct sim_pt_mapping **slot;

	if (va >= VA_LIMIT)
		return NULL;
	slot = leaf_slot(pt, va >> PAGE_SHIFT, NULL);
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
	p = next_mapped(pt, first, end);
	if (p < end) {
		struct sim_pt_mapping *m = *leaf_slot(pt, p, NULL);

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
