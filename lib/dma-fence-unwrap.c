/* SPDX-License-Identifier: MIT */
/*
 * Looking inside fence containers, after the kernel's
 * drivers/dma-buf/dma-fence-unwrap.c (semantics), written for userspace.
 *
 * The unwrap cursor nests the two container iterators: the outer level is
 * dma_fence_chain_walk() over chain nodes (a plain fence is a one-node
 * "chain"), the inner level dma_fence_array_first()/next() over the fence
 * each node contains (a plain fence is a one-member "array").
 *
 * Merging walks the inputs twice: once to count the pending fences (so
 * the common results, "nothing pending" and "one fence pending", need no
 * allocation beyond the stub), and once to collect them. Fences only ever
 * go from pending to signaled and containers never gain members, so the
 * second pass finds at most as many as the first.
 */
#include <stdlib.h>

#include <resv/dma-fence-array.h>
#include <resv/dma-fence-chain.h>
#include <resv/dma-fence-unwrap.h>

#include "internal/compiler.h"

bool dma_fence_is_container(struct dma_fence *fence)
{
	return dma_fence_is_array(fence) || dma_fence_is_chain(fence);
}

/* Enter the fence contained in the cursor's current chain node. */
static struct dma_fence *unwrap_enter_node(struct dma_fence_unwrap *cursor)
{
	cursor->array = dma_fence_chain_contained(cursor->chain);
	cursor->index = 0;
	return dma_fence_array_first(cursor->array);
}

struct dma_fence *dma_fence_unwrap_first(struct dma_fence *head, struct dma_fence_unwrap *cursor)
{
	cursor->chain = dma_fence_get(head);
	return unwrap_enter_node(cursor);
}

struct dma_fence *dma_fence_unwrap_next(struct dma_fence_unwrap *cursor)
{
	struct dma_fence *next = dma_fence_array_next(cursor->array, ++cursor->index);

	if (next)
		return next;
	cursor->chain = dma_fence_chain_walk(cursor->chain);
	return unwrap_enter_node(cursor);
}

/* Context ascending; within a context, latest first. */
static int fence_cmp(const void *pa, const void *pb)
{
	struct dma_fence *a = *(struct dma_fence *const *)pa;
	struct dma_fence *b = *(struct dma_fence *const *)pb;

	if (a->context != b->context)
		return a->context < b->context ? -1 : 1;
	if (dma_fence_is_later(b, a))
		return 1;
	if (dma_fence_is_later(a, b))
		return -1;
	return 0;
}

int dma_fence_dedup_array(struct dma_fence **fences, int num_fences)
{
	int kept = 0;

	if (num_fences <= 0)
		return 0;
	qsort(fences, (size_t)num_fences, sizeof(*fences), fence_cmp);
	for (int i = 1; i < num_fences; i++) {
		if (fences[i]->context == fences[kept]->context)
			dma_fence_put(fences[i]);	/* older than fences[kept] */
		else
			fences[++kept] = fences[i];
	}
	return kept + 1;
}

static void merge_note_timestamp(struct dma_fence *fence, int64_t *latest)
{
	int64_t t = dma_fence_timestamp(fence);

	if (t > *latest)
		*latest = t;
}

struct dma_fence *__dma_fence_unwrap_merge(unsigned int num_fences, struct dma_fence **fences,
					   struct dma_fence_unwrap *cursors)
{
	struct dma_fence *f, *only = NULL, **pending;
	struct dma_fence_array *result;
	unsigned int i, count = 0, n = 0;
	int64_t timestamp = 0;
	int kept;

	for (i = 0; i < num_fences; i++) {
		dma_fence_unwrap_for_each(f, &cursors[i], fences[i]) {
			if (dma_fence_is_signaled(f)) {
				merge_note_timestamp(f, &timestamp);
			} else {
				dma_fence_put(only);
				only = dma_fence_get(f);
				count++;
			}
		}
	}
	if (count == 0)
		return dma_fence_allocate_private_stub(timestamp);
	if (count == 1)
		return only;	/* the common case: no allocation */
	dma_fence_put(only);

	pending = resv_dma_fence_array_alloc_fences(count);
	if (!pending)
		return NULL;
	for (i = 0; i < num_fences; i++) {
		dma_fence_unwrap_for_each(f, &cursors[i], fences[i]) {
			if (dma_fence_is_signaled(f))
				merge_note_timestamp(f, &timestamp);
			else if (n < count)
				pending[n++] = dma_fence_get(f);
		}
	}

	/* Some may have signaled since the count. */
	if (n == 0) {
		resv_dma_fence_array_free_fences(pending);
		return dma_fence_allocate_private_stub(timestamp);
	}
	kept = dma_fence_dedup_array(pending, (int)n);
	if (kept == 1) {
		f = pending[0];
		resv_dma_fence_array_free_fences(pending);
		return f;
	}
	result = dma_fence_array_create(kept, pending, dma_fence_context_alloc(1), 1, false);
	if (!result) {
		for (int j = 0; j < kept; j++)
			dma_fence_put(pending[j]);
		resv_dma_fence_array_free_fences(pending);
		return NULL;
	}
	return &result->base;
}
