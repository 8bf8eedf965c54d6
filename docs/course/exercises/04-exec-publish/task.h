/* SPDX-License-Identifier: MIT */
/* Exercise 04 (docs/course/04-drm-exec.md): lock everything, then publish. */
#ifndef COURSE_04_TASK_H
#define COURSE_04_TASK_H

#include <stdbool.h>

#include <resv/dma-fence.h>
#include <resv/dma-resv.h>
#include <resv/drm_exec.h>
#include <resv/drm_gem.h>

/*
 * publish_job() - make a job's fence the latest access of all its objects
 * @objs: the job's objects, in userspace's order; an object may appear
 *	more than once
 * @writes: writes[i] is true when the job writes objs[i], else it reads it
 * @n: entries in @objs and @writes, at least 1
 * @fence: the job's fence, not signaled; the caller keeps its reference
 *
 * The execbuf step: lock every object with drm_exec (the portable loop,
 * resv_exec_begin()), reserve one fence slot on each, and only then add
 * @fence to each: DMA_RESV_USAGE_WRITE on an object the job writes (through
 * any of its entries), DMA_RESV_USAGE_READ on the others. Other threads
 * lock the same objects in other orders, and lock calls may answer
 * -EDEADLK at any time (the checker injects it): the loop must back off
 * and retry, never fail.
 *
 * Reserve one slot per object and use no more: an object listed twice
 * must still end up with a single entry of @fence.
 *
 * All or nothing: return 0 with @fence on every object, or -ENOMEM (an
 * allocation failed) with @fence on none. Either way nothing is locked on
 * return.
 */
int publish_job(struct drm_gem_object **objs, const bool *writes, unsigned int n,
		struct dma_fence *fence);

#endif
