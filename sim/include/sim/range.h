/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * The VRAM range allocator of the simulated GPU: it hands out page ranges
 * of a fixed-size region, best fit, and coalesces neighbours on free.
 * &struct sim_device uses one for its VRAM; it is public so tests (and
 * curious readers) can drive it on its own::
 *
 *	struct sim_range_mgr mgr;
 *	struct sim_range r;
 *
 *	if (sim_range_mgr_init(&mgr, 1024))     // 1024 pages
 *		return -ENOMEM;
 *	if (sim_range_alloc(&mgr, 16, &r) == 0) {
 *		// pages [r.start, r.start + r.npages) are ours
 *		sim_range_free(&mgr, &r);
 *	}
 *	sim_range_mgr_fini(&mgr);
 *
 * How it works: every free block is described at its two ends — its first
 * page records its length and links it into one of 32 size bins (by the
 * log2 of the length), its last page records where it starts — so freeing
 * finds both neighbours in O(1) and merges them, and all bookkeeping lives
 * in per-page arrays allocated once at init: allocating and freeing never
 * allocate memory. An allocation takes the smallest free block that fits
 * (the lowest one among equals), searching the first bin that can hold it.
 *
 * The manager has no lock: the caller serialises (the device does, with its
 * VRAM lock).
 */
#ifndef SIM_RANGE_H
#define SIM_RANGE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** SIM_RANGE_BINS - number of size bins (log2 of a block's length in pages) */
#define SIM_RANGE_BINS 32

/**
 * struct sim_range - a range of pages
 * @start: first page
 * @npages: number of pages; 0 for "no range"
 */
struct sim_range {
	uint64_t start;
	uint64_t npages;
};

/**
 * struct sim_range_mgr - a best-fit page range allocator
 * @num_pages: pages managed
 * @free_pages: pages currently free
 * @free_blocks: number of free blocks (1 when fully coalesced and empty)
 * @head_len: per page: the length of the free block starting here, 0 when
 *	no free block starts here; private
 * @tail_head: per page: 1 + the first page of the free block ending here,
 *	0 when no free block ends here; private
 * @next: per page: the next free block in the same bin (UINT32_MAX: none);
 *	private
 * @prev: per page: the previous free block in the same bin; private
 * @bin: first free block of each size bin (UINT32_MAX: empty); private
 */
struct sim_range_mgr {
	uint64_t num_pages;
	uint64_t free_pages;
	uint64_t free_blocks;
	uint32_t *head_len;
	uint32_t *tail_head;
	uint32_t *next;
	uint32_t *prev;
	uint32_t bin[SIM_RANGE_BINS];
};

/**
 * sim_range_mgr_init() - set up an allocator with every page free
 * @mgr: the allocator
 * @num_pages: pages to manage, 1 .. 2^31
 *
 * Context: any; allocates the per-page arrays (16 bytes per page).
 * Return: 0; -EINVAL when @num_pages is out of range; -ENOMEM (nothing
 * allocated).
 */
int sim_range_mgr_init(struct sim_range_mgr *mgr, uint64_t num_pages);

/**
 * sim_range_mgr_fini() - free the allocator's arrays
 * @mgr: an allocator from sim_range_mgr_init(); outstanding ranges are
 *	simply forgotten
 *
 * Context: any.
 */
void sim_range_mgr_fini(struct sim_range_mgr *mgr);

/**
 * sim_range_alloc() - allocate a range of pages, best fit
 * @mgr: the allocator
 * @npages: pages wanted, > 0
 * @out: set to the range on success; untouched on failure
 *
 * Takes the smallest free block of at least @npages pages (the lowest of
 * equal candidates) and returns its first @npages pages; the rest stays
 * free.
 *
 * Context: the caller serialises calls on @mgr; never allocates memory.
 * Return: 0; -EINVAL when @npages is 0; -ENOSPC when no free block is
 * large enough (even if enough pages are free in total: fragmentation).
 */
int sim_range_alloc(struct sim_range_mgr *mgr, uint64_t npages, struct sim_range *out);

/**
 * sim_range_free() - give a range back
 * @mgr: the allocator
 * @range: a range sim_range_alloc() returned and not yet freed
 *
 * The range is merged with free neighbours on both sides.
 *
 * Context: the caller serialises calls on @mgr; never allocates memory.
 * Return: 0; -EINVAL when @range is empty, lies outside the managed pages,
 * or one of its end pages is an end page of a free block (which catches
 * freeing the same range twice): nothing changed.
 */
int sim_range_free(struct sim_range_mgr *mgr, const struct sim_range *range);

/**
 * sim_range_largest_free() - the largest free block
 * @mgr: the allocator
 *
 * Context: the caller serialises calls on @mgr.
 * Return: its length in pages (0 when everything is allocated); an
 * allocation of that many pages would succeed.
 */
uint64_t sim_range_largest_free(const struct sim_range_mgr *mgr);

#ifdef __cplusplus
}
#endif

#endif /* SIM_RANGE_H */
