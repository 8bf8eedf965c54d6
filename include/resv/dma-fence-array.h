/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * A &struct dma_fence_array is a fence that stands for several others: it
 * signals when all of them have signaled (or, with @signal_on_any, when
 * the first one has). Semantics follow the kernel's
 * ``include/linux/dma-fence-array.h`` and ``drivers/dma-buf/dma-fence-array.c``.
 *
 * The array takes over the caller's references to the member fences *and*
 * the ``fences`` pointer array itself, which it frees at release, as the
 * kernel does with kfree(). Because libresv's allocator needs the size to
 * free, that pointer array must come from resv_dma_fence_array_alloc_fences()
 * (the kernel's kmalloc_array()) or resv_dma_fence_array_realloc_fences()
 * (krealloc_array()); give it back with resv_dma_fence_array_free_fences()
 * (kfree()) when dma_fence_array_create() fails::
 *
 *	#include <errno.h>
 *	#include <resv/dma-fence-array.h>
 *
 *	// Wait for both @a and @b with one fence. Consumes no references.
 *	int wait_both(struct dma_fence *a, struct dma_fence *b)
 *	{
 *		struct dma_fence **fences = resv_dma_fence_array_alloc_fences(2);
 *		struct dma_fence_array *array;
 *		struct dma_fence *f;
 *		unsigned int i;
 *		int ret;
 *
 *		if (!fences)
 *			return -ENOMEM;
 *		fences[0] = dma_fence_get(a);
 *		fences[1] = dma_fence_get(b);
 *		array = dma_fence_array_create(2, fences, dma_fence_context_alloc(1),
 *					       1, false);
 *		if (!array) {               // we still own fences[] and the refs
 *			dma_fence_put(fences[0]);
 *			dma_fence_put(fences[1]);
 *			resv_dma_fence_array_free_fences(fences);
 *			return -ENOMEM;
 *		}
 *		dma_fence_array_for_each(f, i, &array->base)
 *			;                   // visits a, then b
 *		dma_fence_wait(&array->base, false);
 *		ret = dma_fence_get_status(&array->base); // 1, or the first error
 *		dma_fence_put(&array->base);  // puts a, b and frees fences[]
 *		return ret;
 *	}
 *
 * Signalling: the array registers a callback on each member when someone
 * first needs it to signal (a callback, a wait, dma_fence_enable_sw_signaling());
 * until then dma_fence_is_signaled() polls the members. The array signals
 * from deferred work (&struct resv_irq_work) that runs once the thread that
 * signalled the last needed member has dropped its spinlocks, so member and
 * array locks are never nested in the order member -> array.
 *
 * Errors: the first member error seen (by a callback, or while polling)
 * becomes the array's error; an array whose members all succeeded reports
 * status 1.
 *
 * Differences from the kernel, on purpose:
 *
 * - the ``fences`` pointer array must come from the helpers above (the
 *   kernel's comes from kmalloc); debug builds abort on a foreign pointer.
 * - an array of zero fences is signaled as soon as anyone looks, in both
 *   modes (the kernel WARNs, and its signal-on-any array of zero fences
 *   never signals).
 * - polling (dma_fence_is_signaled() before signalling was enabled) also
 *   propagates the first member error; the kernel's polling path reports
 *   success.
 * - arrays must not contain containers (arrays or chains): debug builds
 *   report RESV_REPORT_FENCE_MISUSE, as the kernel WARNs.
 */
#ifndef RESV_DMA_FENCE_ARRAY_H
#define RESV_DMA_FENCE_ARRAY_H

#include <stdbool.h>
#include <stdint.h>

#include <resv/compiler.h>
#include <resv/dma-fence.h>
#include <resv/spinlock.h>

#ifdef __cplusplus
extern "C" {
#endif

struct dma_fence_array;

/**
 * struct dma_fence_array_cb - a callback on one member fence
 * @cb: the callback node on the member
 * @array: the array it counts down
 */
struct dma_fence_array_cb {
	struct dma_fence_cb cb;
	struct dma_fence_array *array;
};

/**
 * struct dma_fence_array - a fence signaled by a set of fences
 * @base: the fence itself
 * @lock: @base's lock
 * @num_fences: number of entries in @fences
 * @num_pending: atomic; members still needed before the array signals
 *	(all of them, or 1 for signal-on-any); private
 * @fences: the member fences; the array owns the pointer array and one
 *	reference to each member
 * @work: deferred signalling; private
 * @callbacks: one per member, used once signalling is enabled; private
 */
struct dma_fence_array {
	struct dma_fence base;
	struct resv_spinlock lock;
	unsigned int num_fences;
	int num_pending;
	struct dma_fence **fences;
	struct resv_irq_work work;
	struct dma_fence_array_cb callbacks[];
};

/**
 * to_dma_fence_array() - cast a fence to its array
 * @fence: a fence, or NULL
 *
 * Context: any.
 * Return: the &struct dma_fence_array that embeds @fence, or NULL when
 * @fence is NULL or not an array.
 */
RESV_EXPORT struct dma_fence_array *to_dma_fence_array(struct dma_fence *fence);

/**
 * dma_fence_array_for_each() - iterate over the members of an array
 * @fence: the current member (no reference taken)
 * @index: unsigned int, the index of @fence
 * @head: an array, or any other fence (visited alone, once), or NULL
 *	(nothing is visited)
 *
 * The caller keeps a reference to @head for the duration.
 */
#define dma_fence_array_for_each(fence, index, head)			\
	for ((index) = 0, (fence) = dma_fence_array_first(head); (fence);	\
	     ++(index), (fence) = dma_fence_array_next((head), (index)))

/**
 * resv_dma_fence_array_alloc_fences() - allocate a pointer array for an array fence
 * @num_fences: number of entries, > 0
 *
 * The counterpart of the kernel's kmalloc_array() for the @fences argument
 * of dma_fence_array_create() and dma_fence_array_init(): memory from the
 * library's allocator that remembers its size, so the array can free it.
 * Zero-filled.
 *
 * Context: any.
 * Return: the pointer array, or NULL when allocation failed or
 * @num_fences is 0.
 */
RESV_EXPORT RESV_MUST_CHECK struct dma_fence **resv_dma_fence_array_alloc_fences(unsigned int num_fences);

/**
 * resv_dma_fence_array_realloc_fences() - resize a pointer array
 * @fences: from resv_dma_fence_array_alloc_fences() or this function, or
 *	NULL (then this allocates)
 * @num_fences: new number of entries, > 0
 *
 * The counterpart of krealloc_array(): the first min(old, new) entries are
 * kept, new entries are NULL. On failure @fences is left untouched and
 * still owned by the caller.
 *
 * Context: any.
 * Return: the resized pointer array (possibly moved), or NULL when
 * allocation failed or @num_fences is 0.
 */
RESV_EXPORT RESV_MUST_CHECK struct dma_fence **
resv_dma_fence_array_realloc_fences(struct dma_fence **fences, unsigned int num_fences);

/**
 * resv_dma_fence_array_free_fences() - free a pointer array
 * @fences: from resv_dma_fence_array_alloc_fences() or
 *	resv_dma_fence_array_realloc_fences(), not handed to an array; NULL
 *	is ignored
 *
 * The counterpart of kfree(): frees the pointer array only, the fences in
 * it are not put.
 *
 * Context: any.
 */
RESV_EXPORT void resv_dma_fence_array_free_fences(struct dma_fence **fences);

/**
 * dma_fence_array_alloc() - allocate an array fence, to initialise later
 * @num_fences: the number of members it will have, >= 0
 *
 * For callers that must not fail at the point where they know the
 * members: allocate first, then dma_fence_array_init(). Before that, free
 * it with resv_dma_fence_free_unused(&array->base) (the kernel's kfree()).
 *
 * Context: any.
 * Return: the uninitialised array with room for @num_fences callbacks, or
 * NULL when allocation failed or @num_fences < 0.
 */
RESV_EXPORT RESV_MUST_CHECK struct dma_fence_array *dma_fence_array_alloc(int num_fences);

/**
 * dma_fence_array_init() - initialise an array fence
 * @array: from dma_fence_array_alloc(@num_fences)
 * @num_fences: number of entries in @fences, >= 0
 * @fences: the members, from resv_dma_fence_array_alloc_fences(); the
 *	array takes over this pointer array and one reference to each member
 *	(dma_fence_put() on each and the pointer array freed at release).
 *	May be NULL only when @num_fences is 0.
 * @context: the array's fence context (dma_fence_context_alloc())
 * @seqno: the array's seqno on @context
 * @signal_on_any: signal when any member signals, instead of all
 *
 * Members should not be containers (debug builds report
 * RESV_REPORT_FENCE_MISUSE).
 *
 * Context: any; @array not yet visible to others.
 */
RESV_EXPORT void dma_fence_array_init(struct dma_fence_array *array, int num_fences,
				      struct dma_fence **fences, uint64_t context,
				      unsigned int seqno, bool signal_on_any);

/**
 * dma_fence_array_create() - allocate and initialise an array fence
 * @num_fences: number of entries in @fences, >= 0
 * @fences: as dma_fence_array_init(); taken over only on success
 * @context: the array's fence context (dma_fence_context_alloc())
 * @seqno: the array's seqno on @context
 * @signal_on_any: signal when any member signals, instead of all
 *
 * dma_fence_array_alloc() + dma_fence_array_init(). On failure nothing is
 * taken over: the caller still owns @fences and the member references.
 *
 * Context: any.
 * Return: the array with one reference, or NULL when allocation failed
 * (the kernel's -ENOMEM) or @num_fences < 0.
 */
RESV_EXPORT RESV_MUST_CHECK struct dma_fence_array *
dma_fence_array_create(int num_fences, struct dma_fence **fences, uint64_t context,
		       unsigned int seqno, bool signal_on_any);

/**
 * dma_fence_match_context() - are all fences of one context
 * @fence: a fence or an array
 * @context: the context to compare with
 *
 * Context: any; the caller holds a reference to @fence.
 * Return: for an array, true when every member has @context (also for an
 * empty array); for any other fence, @fence->context == @context.
 */
RESV_EXPORT bool dma_fence_match_context(struct dma_fence *fence, uint64_t context);

/**
 * dma_fence_array_first() - first member, for dma_fence_array_for_each()
 * @head: an array, another fence, or NULL
 *
 * Context: any; the caller holds a reference to @head.
 * Return: the array's first member (NULL for an empty array); @head itself
 * when it is not an array; NULL when @head is NULL. No reference is taken.
 */
RESV_EXPORT struct dma_fence *dma_fence_array_first(struct dma_fence *head);

/**
 * dma_fence_array_next() - member at an index, for dma_fence_array_for_each()
 * @head: an array, another fence, or NULL
 * @index: the member index
 *
 * Context: any; the caller holds a reference to @head.
 * Return: member @index of the array, or NULL when @index is past the end
 * or @head is not an array. No reference is taken.
 */
RESV_EXPORT struct dma_fence *dma_fence_array_next(struct dma_fence *head, unsigned int index);

#ifdef __cplusplus
}
#endif

#endif /* RESV_DMA_FENCE_ARRAY_H */
