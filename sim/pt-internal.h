/* SPDX-License-Identifier: MIT */
/*
 * The layout of a GPU page table and what pt.c (the table, its life,
 * translation and lookup) and pt-update.c (map, unmap, rebind and the
 * prepared update transactions) share. Everything here is protected by the
 * device's GPU memory lock: written under the write side, translated by
 * engines under the read side.
 */
#ifndef SIM_PT_INTERNAL_H
#define SIM_PT_INTERNAL_H

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

static inline unsigned int pt_index(uint64_t pfn, int level)
{
	return (unsigned int)(pfn >> (PT_BITS * level)) & (PT_ENTRIES - 1);
}

/* The leaf slot of @pfn. Missing directories are taken from *@pool (a
 * list linked through slot[0]) when it is given, else NULL is returned. */
static inline struct sim_pt_mapping **sim__pt_leaf_slot(struct sim_pt *pt, uint64_t pfn,
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

static inline bool sim__pt_range_ok(uint64_t va, uint64_t size)
{
	return size && !(va % SIM_PAGE_SIZE) && !(size % SIM_PAGE_SIZE) && va < VA_LIMIT &&
	       size <= VA_LIMIT - va;
}

/* How many directories mapping [@pfn, @end) would need below @dir (NULL:
 * missing), @dir covering pages from @base at @level. */
uint64_t sim__pt_count_missing(struct pt_dir *dir, int level, uint64_t base, uint64_t pfn,
			       uint64_t end);
/* Free a directory pool (a list linked through slot[0]). */
void sim__pt_free_pool(struct pt_dir *pool);
/* The first mapped page in [@pfn, @end), or @end. */
uint64_t sim__pt_next_mapped(struct sim_pt *pt, uint64_t pfn, uint64_t end);
/* Point the leaves of pages [@from, @to) (directories present) at @m. */
void sim__pt_set_slots(struct sim_pt *pt, uint64_t from, uint64_t to, struct sim_pt_mapping *m);
/* Drop the BO references of, and free, the mappings on @list (pt_link);
 * outside the GPU memory lock. */
void sim__pt_put_mappings(struct cds_list_head *list);

#endif
