/* SPDX-License-Identifier: MIT */
/* Exercise 10, solved: an execbuf on the simulated GPU, step by step. */
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

	/* Every buffer locked, with a fence slot reserved: publishing below
	 * must not fail once the job is armed. */
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
	 * Under the locks the resvs hold exactly the jobs before us: a
	 * writer waits for readers and writers (WAR, WAW), a reader for
	 * writers (RAW); both for the kernel's moves.
	 */
	for (unsigned int i = 0; i < s->n; i++) {
		ret = sim_job_add_implicit_dependencies(job, &s->bufs[i].bo->base,
							s->bufs[i].write);
		if (ret)
			goto err;
	}

	fence = sim_job_arm(job);	/* from here on, nothing may fail */
	/*
	 * Still under the same locks: no later submission can miss us. The
	 * usage is what later jobs' dependencies select on.
	 */
	for (unsigned int i = 0; i < s->n; i++)
		dma_resv_add_fence(s->bufs[i].bo->base.resv, fence,
				   s->bufs[i].write ? DMA_RESV_USAGE_WRITE : DMA_RESV_USAGE_READ);
	*fence_out = dma_fence_get(fence);
	sim_job_push(job);
	drm_exec_fini(&exec);
	return 0;

err:
	drm_exec_fini(&exec);
	sim_job_free(job);	/* never armed: nothing was published */
	return ret;
}
