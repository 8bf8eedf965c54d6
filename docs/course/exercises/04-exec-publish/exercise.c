/* SPDX-License-Identifier: MIT */
/*
 * Exercise 04: lock everything with drm_exec, then publish.
 *
 * This version gives up on the first error (so -EDEADLK, which only means
 * "back off and retry", fails the job), is confused by an object listed
 * twice, and adds the fence while it is still locking, so a later
 * failure leaves the fence on some objects and not others. Read
 * docs/course/04-drm-exec.md, then fix the TODOs.
 */
#include <errno.h>

#include "task.h"

int publish_job(struct drm_gem_object **objs, const bool *writes, unsigned int n,
		struct dma_fence *fence)
{
	struct drm_exec exec;
	int ret = 0;

	/* TODO: may an object appear twice? Then say so with a flag. */
	drm_exec_init(&exec, 0, n);
	while (resv_exec_begin(&exec)) {
		for (unsigned int i = 0; i < n; i++) {
			ret = drm_exec_prepare_obj(&exec, objs[i], 1);
			/* TODO: -EDEADLK must restart the loop body (resv_exec_restart_on()). */
			if (ret)
				break;
			/* TODO: not here: a later object may still fail. */
			dma_resv_add_fence(objs[i]->resv, fence,
					   writes[i] ? DMA_RESV_USAGE_WRITE : DMA_RESV_USAGE_READ);
		}
		if (ret)
			break;
	}
	drm_exec_fini(&exec);
	return ret;
}
