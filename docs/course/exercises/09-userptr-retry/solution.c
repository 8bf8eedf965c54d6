/* SPDX-License-Identifier: MIT */
/* Exercise 09, solved: the userptr submission loop. */
#include <errno.h>

#include "task.h"

int course_submit(struct course_dev *dev, struct course_job *job)
{
	int ret;

retry:
	/*
	 * Pages first, holding nothing: collecting them takes the mmap lock
	 * and may sleep until an invalidation of the range ends, and the
	 * invalidation's callback waits for fences that our resv lock could
	 * hold back. -EAGAIN: invalidated while collecting, try again.
	 */
	ret = resv_userptr_snapshot(&dev->up);
	if (ret == -EAGAIN)
		goto retry;
	if (ret)
		return ret;	/* -EFAULT: not mapped; nothing held */

	ret = course_bo_lock(dev);
	if (ret)
		return ret;	/* nothing held */

	/*
	 * The snapshot may be stale by now: an invalidation may have run
	 * between it and here. Under the notifier lock the answer cannot
	 * change (the callback needs the lock for writing to move the
	 * sequence), so check and publish in one hold: every invalidation
	 * either ran before the check (-EAGAIN) or finds our fence and waits.
	 */
	resv_notifier_read_lock(&dev->notifier_lock);
	if (resv_userptr_check(&dev->up) == -EAGAIN) {
		resv_notifier_read_unlock(&dev->notifier_lock);
		dma_resv_unlock(&dev->bo_resv);
		goto retry;	/* holding nothing, as the snapshot requires */
	}
	job->pages = resv_userptr_pages(&dev->up);
	dma_resv_add_fence(&dev->bo_resv, job->fence, DMA_RESV_USAGE_BOOKKEEP);
	resv_notifier_read_unlock(&dev->notifier_lock);
	dma_resv_unlock(&dev->bo_resv);
	return 0;
}
