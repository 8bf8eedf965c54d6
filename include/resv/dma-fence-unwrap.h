/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * Helpers that look inside fence containers: iterate over every fence in
 * a chain of arrays (dma_fence_unwrap_for_each()), and merge several
 * fences or containers into one flat fence (dma_fence_unwrap_merge()).
 * Semantics follow the kernel's ``include/linux/dma-fence-unwrap.h`` and
 * ``drivers/dma-buf/dma-fence-unwrap.c``.
 *
 * Merging a sync-file style set of fences::
 *
 *	#include <resv/dma-fence-unwrap.h>
 *
 *	// One fence that signals when @a, @b and everything in them has,
 *	// or NULL when @a alone has nothing pending. Takes no references
 *	// from the caller; NULL also on -ENOMEM.
 *	struct dma_fence *merge_two(struct dma_fence *a, struct dma_fence *b)
 *	{
 *		struct dma_fence_unwrap iter;
 *		struct dma_fence *f;
 *		unsigned int pending = 0;
 *
 *		dma_fence_unwrap_for_each(f, &iter, a)  // a may be a chain of arrays
 *			pending += !dma_fence_is_signaled(f);
 *		if (!pending)
 *			return NULL;
 *
 *		// a private signaled stub, one fence with a new reference,
 *		// or a new dma_fence_array of the latest pending fence per context
 *		return dma_fence_unwrap_merge(a, b);
 *	}
 *
 * The iteration holds a reference to the chain node it is in (in
 * @cursor->chain), none to the fence it yields: the caller keeps a
 * reference to @head. When leaving dma_fence_unwrap_for_each() early, put
 * @cursor->chain. Chain nodes whose fences have signaled are skipped (and
 * unlinked) as with dma_fence_chain_walk().
 *
 * Differences from the kernel, on purpose:
 *
 * - dma_fence_unwrap_merge() is a macro over compound literals instead of
 *   a statement expression, so it also works in ISO C.
 * - dma_fence_dedup_array() of zero fences returns 0 (the kernel returns 1).
 */
#ifndef RESV_DMA_FENCE_UNWRAP_H
#define RESV_DMA_FENCE_UNWRAP_H

#include <resv/compiler.h>
#include <resv/dma-fence.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct dma_fence_unwrap - cursor of dma_fence_unwrap_for_each()
 * @chain: the current chain node (or the plain head fence), with a
 *	reference
 * @array: the fence contained in @chain: an array, or any other fence
 * @index: index of the last fence returned from @array
 */
struct dma_fence_unwrap {
	struct dma_fence *chain;
	struct dma_fence *array;
	unsigned int index;
};

/**
 * dma_fence_unwrap_first() - start iterating over the fences in containers
 * @head: a chain, an array, any other fence, or NULL
 * @cursor: the cursor to set up; takes a reference to @head
 *
 * Context: any; the caller holds a reference to @head.
 * Return: the first fence (no reference taken), or NULL when there is none
 * (@cursor then holds no reference).
 */
RESV_EXPORT struct dma_fence *dma_fence_unwrap_first(struct dma_fence *head,
						     struct dma_fence_unwrap *cursor);

/**
 * dma_fence_unwrap_next() - continue iterating
 * @cursor: set up by dma_fence_unwrap_first()
 *
 * Context: any; no fence lock of the containers held.
 * Return: the next fence (no reference taken), or NULL at the end (the
 * cursor's reference is then dropped).
 */
RESV_EXPORT struct dma_fence *dma_fence_unwrap_next(struct dma_fence_unwrap *cursor);

/**
 * dma_fence_unwrap_for_each() - iterate over every fence inside containers
 * @fence: the current fence (no reference)
 * @cursor: a &struct dma_fence_unwrap pointer
 * @head: a chain of arrays, a chain, an array, or a plain fence (visited
 *	alone)
 *
 * Chains are walked newest first (skipping signaled nodes, see
 * dma_fence_chain_walk()); the array in each node is visited member by
 * member. When leaving the loop early, dma_fence_put(@cursor->chain).
 */
#define dma_fence_unwrap_for_each(fence, cursor, head)			\
	for ((fence) = dma_fence_unwrap_first((head), (cursor)); (fence);	\
	     (fence) = dma_fence_unwrap_next(cursor))

/**
 * __dma_fence_unwrap_merge() - implementation of dma_fence_unwrap_merge()
 * @num_fences: number of entries in @fences
 * @fences: the fences or containers to merge; no references are taken
 *	over. The entries are left unchanged.
 * @cursors: @num_fences cursors of scratch space
 *
 * Use dma_fence_unwrap_merge().
 *
 * Context: any; may allocate.
 * Return: as dma_fence_unwrap_merge().
 */
RESV_EXPORT RESV_MUST_CHECK struct dma_fence *
__dma_fence_unwrap_merge(unsigned int num_fences, struct dma_fence **fences,
			 struct dma_fence_unwrap *cursors);

/**
 * RESV_DMA_FENCE_COUNT() - number of fence pointers in a macro argument list
 * @...: fence pointers
 */
#define RESV_DMA_FENCE_COUNT(...)					\
	(sizeof((struct dma_fence *[]){ __VA_ARGS__ }) / sizeof(struct dma_fence *))

/**
 * dma_fence_unwrap_merge() - merge fences and containers into one fence
 * @...: one or more fences, arrays or chains (the caller keeps its
 *	references)
 *
 * Unwraps every argument and collects the fences that have not signaled:
 *
 * - none: a new private stub fence (dma_fence_allocate_private_stub()),
 *   signaled, with the latest timestamp of the signaled fences (0 when
 *   there were none);
 * - exactly one: that fence, with a new reference;
 * - several: of each context only the latest (dma_fence_dedup_array());
 *   if one is left, it with a new reference, else a new signal-all
 *   &struct dma_fence_array of them, on a new context with seqno 1.
 *
 * Context: any; may allocate.
 * Return: the merged fence with a reference, or NULL when an allocation
 * failed (the kernel's -ENOMEM; no reference changed hands).
 */
#define dma_fence_unwrap_merge(...)					\
	__dma_fence_unwrap_merge(RESV_DMA_FENCE_COUNT(__VA_ARGS__),		\
				 (struct dma_fence *[]){ __VA_ARGS__ },		\
				 (struct dma_fence_unwrap[RESV_DMA_FENCE_COUNT(__VA_ARGS__)]){ { 0, 0, 0 } })

/**
 * dma_fence_dedup_array() - keep only the latest fence of each context
 * @fences: fences with a reference each; reordered in place
 * @num_fences: number of entries, >= 0
 *
 * Sorts @fences by context (ascending) and, within a context, latest
 * first (dma_fence_is_later()), then keeps the first, latest, fence of
 * each context at the front and puts the others.
 *
 * Context: any; no fence lock held (may release fences).
 * Return: the number of fences left at the front of @fences (0 for an
 * empty array).
 */
RESV_EXPORT int dma_fence_dedup_array(struct dma_fence **fences, int num_fences);

#ifdef __cplusplus
}
#endif

#endif /* RESV_DMA_FENCE_UNWRAP_H */
