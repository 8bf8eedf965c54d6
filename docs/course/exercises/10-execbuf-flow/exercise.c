/* SPDX-License-Identifier: MIT */
/*
 * Exercise 10: an execbuf on the simulated GPU, step by step.
 *
 * This version locks the buffers and queues the job, but the job waits for
 * nobody and nobody will wait for it: a reader runs before the writer it
 * needs, a writer overwrites what a reader has not read yet. Read
 * docs/course/10-simulated-gpu.md, then fill in the two TODOs.
 */
#include <errno.h>

#include "task.h"

int course_execbuf(const struct course_submit *s, struct dma_fence **fence_out)
{
	struct dma_fence *fence;
	struct sim_job *job;
	struct drm_exec exec;
	int ret;

	/* Allocate first: a failure here has changed nothing. */
	ret = sim_job_create(s->engine, s->ctx, s->pt, s->batch_va, s->batch_len, &job);
	if (ret)
		return ret;

	drm_exec_init(&exec, 0, s->n);
	drm_exec_until_all_locked(&exec) {
		for (unsigned int i = 0; i < s->n; i++) {
			ret = drm_exec_prepare_obj(&exec, &s->bufs[i].bo->base, 1);
			drm_exec_retry_on_contention(&exec);
			if (ret)
				break;
		}
	}
	if (ret)
		goto err;

	/*
	 * TODO 1: implicit dependencies. For each buffer,
	 * sim_job_add_implicit_dependencies(job, obj, write) (it may fail:
	 * -ENOMEM, before anything was published).
	 */

	fence = sim_job_arm(job);	/* from here on, nothing may fail */

	/*
	 * TODO 2: publish the job's fence on every buffer, with the usage
	 * that says how the job uses it (DMA_RESV_USAGE_WRITE or _READ), so
	 * that later jobs and the CPU find it.
	 */

	*fence_out = dma_fence_get(fence);
	sim_job_push(job);
	drm_exec_fini(&exec);
	return 0;

err:
	drm_exec_fini(&exec);
	sim_job_free(job);
	return ret;
}
