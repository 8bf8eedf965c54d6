/* SPDX-License-Identifier: MIT */
/*
 * Exercise 08: revalidate evicted buffers after locking the VM.
 *
 * This version locks the VM and its external objects and stops there:
 * buffers evicted since the last exec stay in system memory, and the
 * checker's GPU job reads poison. Read docs/course/08-drm-gpuvm.md, then
 * fill in the two TODOs.
 */
#include <errno.h>

#include "task.h"

int course_vm_bo_validate(struct drm_gpuvm_bo *vm_bo, struct drm_exec *exec)
{
	(void)vm_bo;
	(void)exec;
	/*
	 * TODO: find the course_bo (caa_container_of on vm_bo->obj); skip it
	 * (return 0) unless this thread holds its resv; move it back to VRAM
	 * (course_bo_move_to_vram(), which may fail); then tell the VM it is
	 * valid again: drm_gpuvm_bo_evict(vm_bo, false).
	 */
	return 0;
}

int course_exec_lock(struct drm_gpuvm_exec *vm_exec)
{
	int ret = drm_gpuvm_exec_lock(vm_exec);

	if (ret)
		return ret;	/* nothing is locked */
	/*
	 * TODO: walk the evict list (drm_gpuvm_exec_validate() calls
	 * course_vm_bo_validate() for each entry). If that fails, unlock
	 * everything before returning the error.
	 */
	return 0;
}
