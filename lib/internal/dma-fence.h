/* SPDX-License-Identifier: MIT */
/*
 * dma_fence internals other lib/ files and the tests use: the signalling
 * section query (for the lock validator: no blocking resv lock, no
 * allocation inside a section) and the count of kernel-style WARNs.
 */
#ifndef RESV_INTERNAL_DMA_FENCE_H
#define RESV_INTERNAL_DMA_FENCE_H

#include <stdbool.h>

#include <resv/dma-fence.h>

#include "internal/compiler.h"

/* True while the calling thread is inside dma_fence_begin/end_signalling(). */
RESV_INTERNAL bool resv__dma_fence_in_signalling(void);

/*
 * Number of WARN-class misuses detected so far (set_error after signal,
 * cross-context compare, timestamp of an unsignaled fence, release with
 * pending callbacks, NULL arguments), in every build; lets tests prove the
 * check fired.
 */
RESV_INTERNAL unsigned long resv__dma_fence_warn_count(void);

#endif /* RESV_INTERNAL_DMA_FENCE_H */
