/* SPDX-License-Identifier: MIT */
/*
 * dma_resv internals for the tests: the slot counters of the current list,
 * which the public API does not show (the kernel's tests read
 * obj->fences->max_fences directly).
 */
#ifndef RESV_INTERNAL_DMA_RESV_H
#define RESV_INTERNAL_DMA_RESV_H

#include <resv/dma-resv.h>

#include "internal/compiler.h"

/*
 * Entries used, slots reserved (max_fences) and slots allocated in @obj's
 * current list; all 0 without a list. Caller holds the lock.
 */
RESV_INTERNAL void resv__dma_resv_slots(struct dma_resv *obj, unsigned int *num,
					unsigned int *max, unsigned int *capacity);

#endif /* RESV_INTERNAL_DMA_RESV_H */
