/* SPDX-License-Identifier: MIT */
/*
 * Execbuf, the parts that read client memory: the checks of softpinned
 * ranges and relocation entries (before anything is locked, so that bad
 * input changes nothing), writing relocations under the locks, i915's
 * relocation slow path, and the optional batch parse.
 *
 * The relocation slow path. i915 reads the relocation arrays under its
 * locks with page faults disabled (a fault there could need locks it
 * holds); when that copy faults it drops every lock, copies the arrays
 * into kernel memory where faulting is allowed, relocks everything and
 * applies the copy. The simulated client's arrays never fault by
 * themselves: SIM_EXECBUF_RELOC_FAULT stands for "not resident". The
 * retry goes through the whole lock-validate-bind sequence again (objects
 * may have moved while nothing was locked), and uses the copy from then
 * on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sim/batch.h>

#include "execbuf-internal.h"

/* ---- softpin overlaps ------------------------------------------------------------- */

struct eb_range {
	uint64_t start, end;
};

static int cmp_range(const void *a, const void *b)
{
	const struct eb_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int eb_check_softpin(struct eb *eb)
{
	struct eb_range inline_ranges[EB_INLINE], *ranges = inline_ranges;
	unsigned int n = 0;
	int ret = 0;

	/*
	 * The common case costs no sort: every softpinned object is bound
	 * at its address already (eb_lookup() looked, without the BOs'
	 * locks). Bindings of one page table never overlap, so neither do
	 * the ranges. A concurrent rebind is caught by eb_bind().
	 */
	if (eb->npinned < 2 || eb->softpin_in_place)
		return 0;
	if (eb->npinned > EB_INLINE) {
		ranges = resv_malloc(eb->npinned * sizeof(*ranges));
		if (!ranges)
			return -ENOMEM;
	}
	for (unsigned int i = 0; i < eb->count; i++) {
		struct eb_obj *o = &eb->objs[i];

		if (o->flags & SIM_EXEC_OBJECT_PINNED)
			ranges[n++] = (struct eb_range){ o->uobj->offset,
							 o->uobj->offset + o->fo->size };
	}
	qsort(ranges, n, sizeof(*ranges), cmp_range);
	for (unsigned int i = 1; i < n; i++)
		if (ranges[i].start < ranges[i - 1].end)
			ret = -EINVAL;
	if (ranges != inline_ranges)
		resv_free(ranges, eb->npinned * sizeof(*ranges));
	return ret;
}

/* ---- relocation entries ------------------------------------------------------------ */

static int cmp_handle(const void *a, const void *b)
{
	const struct eb_handle_idx *x = a, *y = b;

	return x->handle < y->handle ? -1 : x->handle > y->handle;
}

/* The execbuf index of @handle, or -1. */
static int eb_target(struct eb *eb, uint32_t handle)
{
	size_t lo = 0, hi = eb->count;

	if (!eb->handle_map) {
		for (unsigned int i = 0; i < eb->count; i++)
			if (eb->objs[i].fo->handle == handle)
				return (int)i;
		return -1;
	}
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (eb->handle_map[mid].handle == handle)
			return (int)eb->handle_map[mid].index;
		if (eb->handle_map[mid].handle < handle)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* One entry: 0, -ENOENT (target not in the execbuf) or -EINVAL. */
static int eb_check_reloc(struct eb *eb, const struct eb_obj *o, const struct sim_reloc *r,
			  int *target)
{
	if (r->pad)
		return -EINVAL;
	*target = eb_target(eb, r->target_handle);
	if (*target < 0)
		return -ENOENT;
	if (r->offset % 4 || o->fo->size < 8 || r->offset > o->fo->size - 8)
		return -EINVAL;
	return 0;
}

int eb_check_relocs(struct eb *eb)
{
	if (!eb->handle_map && eb->count > EB_INLINE) {
		/* Many objects: a sorted map instead of a scan per entry. */
		eb->handle_map = resv_malloc(eb->count * sizeof(*eb->handle_map));
		if (!eb->handle_map)
			return -ENOMEM;
		for (unsigned int i = 0; i < eb->count; i++)
			eb->handle_map[i] = (struct eb_handle_idx){ eb->objs[i].fo->handle, i };
		qsort(eb->handle_map, eb->count, sizeof(*eb->handle_map), cmp_handle);
	}
	for (unsigned int i = 0; i < eb->count; i++) {
		const struct eb_obj *o = &eb->objs[i];

		for (uint32_t j = 0; j < o->nrelocs; j++) {
			int target, ret = eb_check_reloc(eb, o, &o->relocs[j], &target);

			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Wait until nothing on the GPU touches the BO (moves included). */
static int eb_wait_idle(struct sim_bo *bo)
{
	long left = dma_resv_wait_timeout(bo->base.resv, DMA_RESV_USAGE_BOOKKEEP, true,
					  MAX_SCHEDULE_TIMEOUT);

	return left < 0 ? (int)sim__wait_result(left) : 0;
}

static int eb_relocate_obj(struct eb *eb, struct eb_obj *o)
{
	bool idle = false;

	for (uint32_t j = 0; j < o->nrelocs; j++) {
		/* One read of the entry: the client may change its array. */
		struct sim_reloc r = o->relocs[j];
		uint64_t addr, value;
		uint32_t dw[2];
		int target, ret;

		ret = eb_check_reloc(eb, o, &r, &target);
		if (ret)
			return ret;
		addr = eb->objs[target].va;
		if (addr == r.presumed_offset)
			continue;	/* the client guessed right: already there */
		if (!idle) {
			ret = eb_wait_idle(o->bo);
			if (ret)
				return ret;
			idle = true;
		}
		/* Little-endian, low dword first, as commands take addresses. */
		value = addr + r.delta;
		dw[0] = (uint32_t)value;
		dw[1] = (uint32_t)(value >> 32);
		memcpy(o->bo->backing->cpu + r.offset, dw, sizeof(dw));
		eb->stats.relocations++;
	}
	return 0;
}

int eb_relocate(struct eb *eb)
{
	if (!eb->has_relocs)
		return 0;
	/* The fast path reads the client's arrays under the locks. */
	if (!eb->reloc_copy && (eb->args->flags & SIM_EXECBUF_RELOC_FAULT))
		return EB_RELOC_SLOW;
	for (unsigned int i = 0; i < eb->count; i++) {
		struct eb_obj *o = &eb->objs[i];
		int ret;

		if (!o->nrelocs)
			continue;
		ret = eb_relocate_obj(eb, o);
		if (ret)
			return ret;
	}
	return 0;
}

int eb_copy_relocs(struct eb *eb)
{
	struct sim_reloc *dst;

	/* Nothing is locked: where i915 may fault the pages in. */
	eb->reloc_buf = resv_malloc(eb->reloc_total * sizeof(*eb->reloc_buf));
	if (!eb->reloc_buf)
		return -ENOMEM;
	dst = eb->reloc_buf;
	for (unsigned int i = 0; i < eb->count; i++) {
		struct eb_obj *o = &eb->objs[i];

		if (!o->nrelocs)
			continue;
		memcpy(dst, o->relocs, o->nrelocs * sizeof(*dst));
		o->relocs = dst;
		dst += o->nrelocs;
	}
	eb->reloc_copy = true;
	/* The copy cannot change any more: check it once more. */
	return eb_check_relocs(eb);
}

void eb_relocs_fini(struct eb *eb)
{
	resv_free(eb->reloc_buf, eb->reloc_buf ? eb->reloc_total * sizeof(*eb->reloc_buf) : 0);
	eb->reloc_buf = NULL;
	resv_free(eb->handle_map, eb->handle_map ? eb->count * sizeof(*eb->handle_map) : 0);
	eb->handle_map = NULL;
}

/* ---- the batch parse ------------------------------------------------------------------ */

int eb_parse_batch(struct eb *eb)
{
	struct eb_obj *b = &eb->objs[eb->batch];
	long left;
	int ret;

	/* Its writers (and its move) first, as the engine would see it. */
	left = dma_resv_wait_timeout(b->bo->base.resv, DMA_RESV_USAGE_WRITE, true,
				     MAX_SCHEDULE_TIMEOUT);
	if (left < 0)
		return (int)sim__wait_result(left);
	ret = sim_pt_read(eb->file->pt, b->va + eb->args->batch_start_offset, eb->batch_copy,
			  eb->batch_len);
	if (ret)
		return ret;
	return sim_batch_validate(eb->batch_copy, eb->batch_len / 4) < 0 ? -EINVAL : 0;
}
