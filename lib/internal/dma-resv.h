/* SPDX-License-Identifier: MIT */
/*
 * dma_resv internals: the fence list layout (dma-resv.c owns it; drm_exec's
 * reservation fast path reads it), and for the tests the slot counters of
 * the current list, which the public API does not show (the kernel's tests
 * read obj->fences->max_fences directly).
 */
#ifndef RESV_INTERNAL_DMA_RESV_H
#define RESV_INTERNAL_DMA_RESV_H

#include <stdint.h>

#include <resv/dma-resv.h>
#include <resv/rcu.h>

#include "internal/compiler.h"

#define DMA_RESV_LIST_MASK 0x3UL

/* The fence list; dma-resv.c's header comment describes the protocol. */
struct dma_resv_list {
	struct resv_rcu_head rcu;
	uint64_t generation;	/* written before publication */
	uint32_t num_fences;	/* atomic: readers load with acquire */
	uint32_t max_fences;	/* writer only */
	uint32_t capacity;	/* writer only: entries allocated */
	uintptr_t table[];	/* atomic: fence | usage */
};

/*
 * dma_resv_reserve_fences(@obj, @num_fences) when it has nothing to do:
 * release builds, lock held, @num_fences > 0, and the current list already
 * has the room (max_fences equals capacity outside debug builds). False
 * means "call dma_resv_reserve_fences()", which also does the checks.
 */
static inline bool resv__dma_resv_reserve_fast(struct dma_resv *obj, unsigned int num_fences)
{
	struct dma_resv_list *list = obj->fences;

	return !RESV_DEBUG_BUILD && num_fences && list &&
	       (uint64_t)list->num_fences + num_fences <= list->capacity;
}

/*
 * Entries used, slots reserved (max_fences) and slots allocated in @obj's
 * current list; all 0 without a list. Caller holds the lock.
 */
RESV_INTERNAL void resv__dma_resv_slots(struct dma_resv *obj, unsigned int *num,
					unsigned int *max, unsigned int *capacity);

#endif /* RESV_INTERNAL_DMA_RESV_H */
