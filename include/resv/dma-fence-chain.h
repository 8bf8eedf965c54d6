/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * A &struct dma_fence_chain node adds one point to a timeline (the kernel's
 * timeline syncobj): it holds a fence and a reference to the previous node,
 * and it signals once its fence *and* every earlier point have signaled.
 * Its seqno is the timeline point. Semantics follow the kernel's
 * ``include/linux/dma-fence-chain.h`` and ``drivers/dma-buf/dma-fence-chain.c``.
 *
 * Adding points and waiting for one::
 *
 *	#include <errno.h>
 *	#include <resv/dma-fence-chain.h>
 *
 *	// Append @fence as point @point after *@timeline; takes @fence's ref.
 *	int timeline_add(struct dma_fence **timeline, struct dma_fence *fence,
 *			 uint64_t point)
 *	{
 *		struct dma_fence_chain *chain = dma_fence_chain_alloc();
 *
 *		if (!chain) {
 *			dma_fence_put(fence);
 *			return -ENOMEM;
 *		}
 *		// takes over the references to *timeline (may be NULL) and @fence
 *		dma_fence_chain_init(chain, *timeline, fence, point);
 *		*timeline = &chain->base;
 *		return 0;
 *	}
 *
 *	// Wait until @point of the timeline has signaled.
 *	int timeline_wait(struct dma_fence *timeline, uint64_t point)
 *	{
 *		struct dma_fence *f = dma_fence_get(timeline);
 *		int ret = dma_fence_chain_find_seqno(&f, point);
 *
 *		if (ret) {                      // -EINVAL: point not added yet
 *			dma_fence_put(f);
 *			return ret;
 *		}
 *		if (f)                          // NULL: already signaled
 *			dma_fence_wait(f, false);
 *		dma_fence_put(f);
 *		return 0;
 *	}
 *
 * Walking: dma_fence_chain_for_each() visits a node and then its
 * predecessors, newest first, holding a reference to the current node, and
 * unlinks ("garbage-collects") predecessors whose fences have signaled, so
 * a long-lived timeline does not keep completed points alive::
 *
 *	struct dma_fence *iter;
 *
 *	dma_fence_chain_for_each(iter, timeline) {
 *		struct dma_fence *f = dma_fence_chain_contained(iter);
 *
 *		if (dma_fence_is_signaled(f)) {
 *			dma_fence_put(iter);    // reference held by the loop
 *			break;
 *		}
 *	}
 *
 * Signalling works by one callback at a time on the oldest unsignaled
 * fence; when it fires, deferred work (&struct resv_irq_work) moves it to
 * the next one, or signals the node. Releasing a long chain unlinks the
 * predecessors only this node kept alive in a loop, so a chain of any
 * length is freed without deep recursion.
 *
 * Differences from the kernel, on purpose:
 *
 * - chain nodes must come from dma_fence_chain_alloc() (the kernel's
 *   kmalloc()): their release frees them through the library allocator.
 * - a contained fence that is itself a chain is a misuse (flatten with
 *   dma_fence_unwrap_merge()); debug builds report
 *   RESV_REPORT_FENCE_MISUSE where the kernel WARNs.
 */
#ifndef RESV_DMA_FENCE_CHAIN_H
#define RESV_DMA_FENCE_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include <resv/compiler.h>
#include <resv/dma-fence.h>
#include <resv/spinlock.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct dma_fence_chain - one point of a fence timeline
 * @base: the fence itself; its seqno is the point
 * @prev: RCU-protected, atomic: the previous node (or a plain fence), with
 *	a reference, or NULL; dma_fence_chain_walk() replaces it
 * @prev_seqno: the previous node's seqno when the context was reused, else
 *	0; dma_fence_chain_find_seqno() uses it
 * @fence: the contained fence, with a reference
 * @cb: callback on the fence currently waited for; private
 * @work: deferred re-arming and signalling; private
 * @lock: @base's lock
 */
struct dma_fence_chain {
	struct dma_fence base;
	struct dma_fence *prev;
	uint64_t prev_seqno;
	struct dma_fence *fence;
	struct dma_fence_cb cb;
	struct resv_irq_work work;
	struct resv_spinlock lock;
};

/**
 * to_dma_fence_chain() - cast a fence to its chain node
 * @fence: a fence, or NULL
 *
 * Context: any.
 * Return: the &struct dma_fence_chain that embeds @fence, or NULL when
 * @fence is NULL or not a chain node.
 */
RESV_EXPORT struct dma_fence_chain *to_dma_fence_chain(struct dma_fence *fence);

/**
 * dma_fence_chain_contained() - the fence inside a chain node
 * @fence: a chain node, another fence, or NULL
 *
 * Context: any; the caller holds a reference to @fence.
 * Return: the node's contained fence when @fence is a chain node, else
 * @fence itself (NULL for NULL). No reference is taken.
 */
RESV_EXPORT struct dma_fence *dma_fence_chain_contained(struct dma_fence *fence);

/**
 * dma_fence_chain_for_each() - iterate over a chain, newest node first
 * @iter: the current node, with a reference the loop owns
 * @head: the node to start from (the loop takes its own reference; a
 *	plain fence is visited alone)
 *
 * Each step is dma_fence_chain_walk(), so predecessors whose fences have
 * signaled are unlinked and skipped. When leaving the loop early, put
 * @iter.
 */
#define dma_fence_chain_for_each(iter, head)				\
	for ((iter) = dma_fence_get(head); (iter);			\
	     (iter) = dma_fence_chain_walk(iter))

/**
 * dma_fence_chain_alloc() - allocate a chain node
 *
 * Context: any.
 * Return: an uninitialised node for dma_fence_chain_init(), or NULL when
 * allocation failed (the kernel's -ENOMEM).
 */
RESV_EXPORT RESV_MUST_CHECK struct dma_fence_chain *dma_fence_chain_alloc(void);

/**
 * dma_fence_chain_free() - free a chain node that was never initialised
 * @chain: from dma_fence_chain_alloc(), or NULL
 *
 * Initialised nodes are freed by their last dma_fence_put() instead.
 *
 * Context: any.
 */
RESV_EXPORT void dma_fence_chain_free(struct dma_fence_chain *chain);

/**
 * dma_fence_chain_init() - initialise a chain node
 * @chain: from dma_fence_chain_alloc()
 * @prev: the previous point (a chain node, another fence, or NULL); the
 *	node takes over the caller's reference
 * @fence: the fence of this point, not a chain; the node takes over the
 *	caller's reference
 * @seqno: the point
 *
 * When @prev is a chain node and @seqno is later than @prev's seqno, the
 * node continues @prev's context and records @prev's seqno as
 * @chain->prev_seqno. Otherwise it gets a new context, and its seqno is
 * the larger of @seqno and @prev's seqno when @prev is a chain node.
 * Chain seqnos compare as 64-bit numbers (dma_fence_init64()).
 *
 * Context: any; @chain not yet visible to others.
 */
RESV_EXPORT void dma_fence_chain_init(struct dma_fence_chain *chain, struct dma_fence *prev,
				      struct dma_fence *fence, uint64_t seqno);

/**
 * dma_fence_chain_walk() - step to the previous unsignaled node
 * @fence: the current node; its reference is consumed
 *
 * Replaces @fence's predecessors whose contained fences have signaled by
 * their own predecessors (compare-and-swap on @prev, so concurrent walkers
 * are safe), dropping the references that kept them.
 *
 * Context: any; no fence lock of the chain held.
 * Return: the first predecessor whose fence has not signaled, with a new
 * reference; NULL at the end of the chain, or when @fence is not a chain
 * node (a plain fence has no predecessor).
 */
RESV_EXPORT RESV_MUST_CHECK struct dma_fence *dma_fence_chain_walk(struct dma_fence *fence);

/**
 * dma_fence_chain_find_seqno() - find the node that signals a point
 * @pfence: in: a chain node the caller holds a reference to; out: the
 *	node whose signalling means @seqno has signaled, with a reference,
 *	or NULL when @seqno has already signaled (the input reference is
 *	consumed either way on success)
 * @seqno: the point to look for; 0 asks for nothing
 *
 * Context: any; no fence lock of the chain held.
 * Return: 0 on success, also for @seqno 0 (then *@pfence is unchanged);
 * -EINVAL when *@pfence is not a chain node or its seqno is below @seqno
 * (that point was not added yet), *@pfence and its reference unchanged.
 */
RESV_EXPORT RESV_MUST_CHECK int dma_fence_chain_find_seqno(struct dma_fence **pfence,
							   uint64_t seqno);

#ifdef __cplusplus
}
#endif

#endif /* RESV_DMA_FENCE_CHAIN_H */
