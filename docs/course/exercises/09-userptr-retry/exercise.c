/* SPDX-License-Identifier: MIT */
/*
 * Exercise 09: the userptr submission loop.
 *
 * This version takes the pages of the snapshot and publishes the job
 * without checking that no invalidation happened since the snapshot was
 * taken: when the process migrates or unmaps the range in that window, the
 * GPU reads pages that are no longer the process's memory. Read
 * docs/course/09-userptr.md, then fix the TODO block.
 */
#include <errno.h>

#include "task.h"

int course_submit(struct course_dev *dev, struct course_job *job)
{
	int ret;

	/* 1. Pages first, holding nothing: this may sleep on an invalidation. */
	do {
		ret = resv_userptr_snapshot(&dev->up);
	} while (ret == -EAGAIN);
	if (ret)
		return ret;	/* -EFAULT: not mapped */

	/* 2. The buffer object's lock and a fence slot. */
	ret = course_bo_lock(dev);
	if (ret)
		return ret;

	/*
	 * 3. TODO: the snapshot may be stale by now. Under the notifier lock
	 * (resv_notifier_read_lock(&dev->notifier_lock)), ask
	 * resv_userptr_check(); on -EAGAIN drop every lock and go back to
	 * step 1. Only when it says 0: take the pages and publish the fence
	 * before releasing the notifier lock.
	 */
	job->pages = resv_userptr_pages(&dev->up);
	dma_resv_add_fence(&dev->bo_resv, job->fence, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_unlock(&dev->bo_resv);
	return 0;
}
