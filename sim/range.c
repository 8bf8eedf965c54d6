/* SPDX-License-Identifier: MIT */
/*
 * The VRAM range allocator: best fit over size-binned free lists, with
 * boundary tags at both ends of every free block so that free() merges
 * neighbours in O(1). See <sim/range.h> for the picture.
 */
#include <errno.h>
#include <string.h>

#include <resv/alloc.h>

#include <sim/range.h>

#define NIL UINT32_MAX
#define MAX_PAGES (1ULL << 31)

static unsigned int bin_of(uint64_t len)
{
	return 63 - (unsigned int)__builtin_clzll(len);
}

static void bin_insert(struct sim_range_mgr *mgr, uint32_t start, uint32_t len)
{
	unsigned int b = bin_of(len);
	uint32_t first = mgr->bin[b];

	mgr->head_len[start] = len;
	mgr->tail_head[start + len - 1] = start + 1;
	mgr->prev[start] = NIL;
	mgr->next[start] = first;
	if (first != NIL)
		mgr->prev[first] = start;
	mgr->bin[b] = start;
	mgr->free_pages += len;
	mgr->free_blocks++;
}

static void bin_remove(struct sim_range_mgr *mgr, uint32_t start)
{
	uint32_t len = mgr->head_len[start];
	uint32_t prev = mgr->prev[start], next = mgr->next[start];

	if (prev != NIL)
		mgr->next[prev] = next;
	else
		mgr->bin[bin_of(len)] = next;
	if (next != NIL)
		mgr->prev[next] = prev;
	mgr->head_len[start] = 0;
	mgr->tail_head[start + len - 1] = 0;
	mgr->free_pages -= len;
	mgr->free_blocks--;
}

int sim_range_mgr_init(struct sim_range_mgr *mgr, uint64_t num_pages)
{
	size_t bytes = (size_t)num_pages * sizeof(uint32_t);

	if (!mgr || num_pages == 0 || num_pages > MAX_PAGES)
		return -EINVAL;
	memset(mgr, 0, sizeof(*mgr));
	mgr->num_pages = num_pages;	/* before allocating: fini sizes the frees by it */
	mgr->head_len = resv_zalloc(bytes);
	mgr->tail_head = resv_zalloc(bytes);
	mgr->next = resv_malloc(bytes);
	mgr->prev = resv_malloc(bytes);
	if (!mgr->head_len || !mgr->tail_head || !mgr->next || !mgr->prev) {
		sim_range_mgr_fini(mgr);
		return -ENOMEM;
	}
	for (unsigned int b = 0; b < SIM_RANGE_BINS; b++)
		mgr->bin[b] = NIL;
	bin_insert(mgr, 0, (uint32_t)num_pages);
	return 0;
}

void sim_range_mgr_fini(struct sim_range_mgr *mgr)
{
	size_t bytes = (size_t)mgr->num_pages * sizeof(uint32_t);

	resv_free(mgr->head_len, bytes);
	resv_free(mgr->tail_head, bytes);
	resv_free(mgr->next, bytes);
	resv_free(mgr->prev, bytes);
	memset(mgr, 0, sizeof(*mgr));
}

/* The smallest block of bin @b that holds @npages (lowest start on ties). */
static uint32_t best_in_bin(const struct sim_range_mgr *mgr, unsigned int b, uint64_t npages)
{
	uint32_t best = NIL;

	for (uint32_t p = mgr->bin[b]; p != NIL; p = mgr->next[p]) {
		uint32_t len = mgr->head_len[p];

		if (len < npages)
			continue;
		if (best == NIL || len < mgr->head_len[best] ||
		    (len == mgr->head_len[best] && p < best))
			best = p;
	}
	return best;
}

int sim_range_alloc(struct sim_range_mgr *mgr, uint64_t npages, struct sim_range *out)
{
	uint32_t start = NIL, len;

	if (npages == 0)
		return -EINVAL;
	if (npages > mgr->free_pages)
		return -ENOSPC;
	/* The bin of npages may hold blocks both shorter and longer; every
	 * block of a higher bin fits, so the first non-empty one has the best. */
	for (unsigned int b = bin_of(npages); b < SIM_RANGE_BINS && start == NIL; b++)
		if (mgr->bin[b] != NIL)
			start = best_in_bin(mgr, b, npages);
	if (start == NIL)
		return -ENOSPC;

	len = mgr->head_len[start];
	bin_remove(mgr, start);
	if (len > npages)
		bin_insert(mgr, start + (uint32_t)npages, len - (uint32_t)npages);
	out->start = start;
	out->npages = npages;
	return 0;
}

int sim_range_free(struct sim_range_mgr *mgr, const struct sim_range *range)
{
	uint64_t start = range->start, end = range->start + range->npages;

	if (range->npages == 0 || end > mgr->num_pages || end < start)
		return -EINVAL;
	/* A double free is caught when either end of the range lies on an end
	 * of a free block (the common cases: the same range freed twice, or an
	 * overlapping one). */
	if (mgr->head_len[start] || mgr->tail_head[start] || mgr->head_len[end - 1] ||
	    mgr->tail_head[end - 1])
		return -EINVAL;

	if (start > 0 && mgr->tail_head[start - 1]) {
		uint32_t left = mgr->tail_head[start - 1] - 1;

		bin_remove(mgr, left);
		start = left;
	}
	if (end < mgr->num_pages && mgr->head_len[end]) {
		uint32_t right_len = mgr->head_len[end];

		bin_remove(mgr, (uint32_t)end);
		end += right_len;
	}
	bin_insert(mgr, (uint32_t)start, (uint32_t)(end - start));
	return 0;
}

uint64_t sim_range_largest_free(const struct sim_range_mgr *mgr)
{
	for (int b = SIM_RANGE_BINS - 1; b >= 0; b--) {
		uint64_t best = 0;

		for (uint32_t p = mgr->bin[b]; p != NIL; p = mgr->next[p])
			if (mgr->head_len[p] > best)
				best = mgr->head_len[p];
		if (best)
			return best;
	}
	return 0;
}
