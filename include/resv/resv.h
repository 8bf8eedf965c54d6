/* SPDX-License-Identifier: MIT */
/**
 * DOC: umbrella header — everything libresv offers
 */
#ifndef RESV_RESV_H
#define RESV_RESV_H

#include <resv/alloc.h>
#include <resv/dma-fence.h>
#include <resv/dma-fence-array.h>
#include <resv/dma-fence-chain.h>
#include <resv/dma-fence-unwrap.h>
#include <resv/dma-resv.h>
#include <resv/drm_exec.h>
#include <resv/drm_gem.h>
#include <resv/drm_gpuvm.h>
#include <resv/lockdep.h>
#include <resv/mmu_notifier.h>
#include <resv/rcu.h>
#include <resv/report.h>
#include <resv/spinlock.h>
#include <resv/thread.h>
#include <resv/userptr.h>
#include <resv/ww_mutex.h>

#endif /* RESV_RESV_H */
