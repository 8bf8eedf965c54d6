/* SPDX-License-Identifier: MIT */
/* Exercise 08 (docs/course/08-drm-gpuvm.md): revalidate what was evicted. */
#ifndef COURSE_08_TASK_H
#define COURSE_08_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include <resv/resv.h>

#define BO_WORDS 16
/* What "VRAM" holds while a buffer is not resident there. */
#define BO_POISON 0xdeadbeefu

/*
 * struct course_bo - a buffer object of the checker's toy driver
 * @base: the GEM object; its resv guards everything below
 * @va: its one mapping in the VM
 * @resident: the contents are in @vram (false after an eviction)
 * @vram: what the GPU reads and writes; BO_POISON while evicted
 * @sys: where an eviction saved the contents
 */
struct course_bo {
	struct drm_gem_object base;
	struct drm_gpuva va;
	bool resident;
	uint32_t vram[BO_WORDS];
	uint32_t sys[BO_WORDS];
};

/*
 * course_bo_move_to_vram() - provided by the checker: bring @bo back
 * @bo: an evicted (or resident: nothing to do) buffer
 *
 * Copies @sys back to @vram and sets @resident. Does not touch the vm_bo.
 *
 * Context: @bo's resv held by the calling thread.
 * Return: 0; -ENOSPC when VRAM is full (injected by the checker: @bo stays
 * evicted); -EPERM when the caller does not hold @bo's resv (nothing done).
 */
int course_bo_move_to_vram(struct course_bo *bo);

/*
 * course_vm_bo_validate() - the VM's &drm_gpuvm_ops.vm_bo_validate
 * @vm_bo: a vm_bo on the VM's evict list
 * @exec: the exec that locked the VM
 *
 * Called by drm_gpuvm_validate() for each evicted vm_bo. Make the buffer
 * valid again and tell the VM so. In spinlock mode the evict list may hold
 * a buffer this exec did not lock (mapped and evicted after the exec's
 * extobj walk): leave it evicted, for the next exec.
 *
 * Return: 0, or course_bo_move_to_vram()'s error.
 */
int course_vm_bo_validate(struct drm_gpuvm_bo *vm_bo, struct drm_exec *exec);

/*
 * course_exec_lock() - lock a VM for an exec and revalidate it
 * @vm_exec: vm, flags and num_fences (and possibly extra) set by the caller
 *
 * Return: 0 with the VM's resv and every external object locked and every
 * buffer this exec locked resident and not marked evicted; or a negative
 * errno (-ENOMEM, -ENOSPC, ...) with nothing locked.
 */
int course_exec_lock(struct drm_gpuvm_exec *vm_exec);

#endif
