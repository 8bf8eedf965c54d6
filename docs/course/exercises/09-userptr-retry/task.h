/* SPDX-License-Identifier: MIT */
/* Exercise 09 (docs/course/09-userptr.md): the userptr submission loop. */
#ifndef COURSE_09_TASK_H
#define COURSE_09_TASK_H

#include <resv/resv.h>

#define UP_PAGES 4
#define UP_ADDR (64ul * RESV_MM_PAGE_SIZE)

/*
 * struct course_dev - the checker's toy driver: one userptr buffer object
 * @mm: the process whose memory the GPU reads
 * @notifier_lock: the driver's notifier lock (the invalidate callback takes
 *	it for writing)
 * @bo_resv: the buffer object's reservation; the invalidate callback waits
 *	for every fence on it before the process's pages may be freed
 * @up: the validator of [UP_ADDR, UP_ADDR + UP_PAGES pages)
 */
struct course_dev {
	struct resv_mm *mm;
	struct resv_notifier_lock notifier_lock;
	struct dma_resv bo_resv;
	struct resv_userptr up;
};

/*
 * struct course_job - one GPU job reading the userptr's pages
 * @fence: initialised by the caller; signalled by the GPU when it is done
 * @pages: set by course_submit(): the UP_PAGES pages the GPU will read
 */
struct course_job {
	struct dma_fence *fence;
	void **pages;
};

/*
 * course_bo_lock() - provided by the checker: lock @dev->bo_resv and
 * reserve one fence slot on it
 * @dev: the device
 *
 * Slow on purpose: the process may change its memory meanwhile.
 *
 * Context: may sleep; no dma_resv lock and no notifier lock held.
 * Return: 0 with the resv locked; -ENOMEM (injected) with nothing held.
 */
int course_bo_lock(struct course_dev *dev);

/*
 * course_submit() - give a job the current pages of the userptr, safely
 * @dev: the device
 * @job: @job->fence set up by the caller, not published anywhere
 *
 * On success the pages in @job->pages are the process's memory at that
 * range, and stay so until @job->fence signals: @job->fence has been
 * added to @dev->bo_resv (DMA_RESV_USAGE_BOOKKEEP) in the same notifier
 * lock hold as the check that found the pages current.
 *
 * Context: may sleep; holding nothing.
 * Return: 0, with nothing locked; -EFAULT when the range is not (fully)
 * mapped; -ENOMEM from course_bo_lock(). On error nothing is held and the
 * fence was not published.
 */
int course_submit(struct course_dev *dev, struct course_job *job);

#endif
