/* SPDX-License-Identifier: MIT */
/* Exercise 04, solved: lock everything with drm_exec, then publish. */
#include <errno.h>

#include "task.h"

int publish_job(struct drm_gem_object **objs, const bool *writes, unsigned int n,
		struct dma_fence *fence)
{
	struct drm_exec exec;
	int ret = 0;

	/* Userspace may list an object twice: that is not an error. */
	drm_exec_init(&exec, DRM_EXEC_IGNORE_DUPLICATES, n);
	while (resv_exec_begin(&exec)) {
		ret = drm_exec_prepare_array(&exec, objs, n, 1);
		/*
		 * -EDEADLK: the next resv_exec_begin() unlocks everything,
		 * slow-locks the contended object and runs the body again.
		 * Nothing was published yet, so a restart undoes nothing.
		 */
		if (resv_exec_restart_on(&exec, ret))
			continue;
		if (ret)
			goto out;	/* -ENOMEM: nothing published, fini unlocks */
	}
	/*
	 * Everything is locked and every slot reserved: from here nothing can
	 * fail, so the fence goes on all objects or (above) on none.
	 *
	 * Duplicates: one slot per object was reserved. Re-adding a fence with
	 * an equal or stronger (lower) usage replaces its entry in place, but
	 * a READ after a WRITE would be a second entry needing a second slot.
	 * So READ everywhere first, then promote the written objects to WRITE.
	 */
	for (unsigned int i = 0; i < n; i++)
		dma_resv_add_fence(objs[i]->resv, fence, DMA_RESV_USAGE_READ);
	for (unsigned int i = 0; i < n; i++)
		if (writes[i])
			dma_resv_add_fence(objs[i]->resv, fence, DMA_RESV_USAGE_WRITE);
out:
	drm_exec_fini(&exec);
	return ret;
}
