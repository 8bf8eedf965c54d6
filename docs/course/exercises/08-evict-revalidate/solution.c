/* SPDX-License-Identifier: MIT */
/* Exercise 08, solved: revalidate evicted buffers after locking the VM. */
#include <errno.h>

#include "task.h"

int course_vm_bo_validate(struct drm_gpuvm_bo *vm_bo, struct drm_exec *exec)
{
	struct course_bo *bo = caa_container_of(vm_bo->obj, struct course_bo, base);
	int ret;

	(void)exec;
	/*
	 * Spinlock mode: a buffer mapped after our extobj walk (a map needs
	 * only its own resv) and evicted since is on the evict list without
	 * being locked by us. Touching it would race with its owner; the
	 * next exec locks it and brings it back.
	 */
	if (!dma_resv_held(vm_bo->obj->resv))
		return 0;
	ret = course_bo_move_to_vram(bo);
	if (ret)
		return ret;	/* still evicted: a later exec tries again */
	/* Valid again: off the evict list (RESV_PROTECTED: after the walk). */
	drm_gpuvm_bo_evict(vm_bo, false);
	return 0;
}

int course_exec_lock(struct drm_gpuvm_exec *vm_exec)
{
	int ret = drm_gpuvm_exec_lock(vm_exec);

	if (ret)
		return ret;	/* nothing is locked */
	/*
	 * Everything an eviction could have touched is locked now, so the
	 * evict list is complete for what we hold (RESV_PROTECTED: the
	 * evicted flags were moved onto it while prepare_objects locked each
	 * object) and nobody can evict again until we unlock.
	 */
	ret = drm_gpuvm_exec_validate(vm_exec);
	if (ret)
		drm_gpuvm_exec_unlock(vm_exec);
	return ret;
}
