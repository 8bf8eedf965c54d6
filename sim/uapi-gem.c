/* SPDX-License-Identifier: MIT */
/*
 * The i915 GEM ioctls other than execbuf: GETPARAM, GEM_CREATE,
 * GEM_USERPTR, GEM_PWRITE / GEM_PREAD, GEM_WAIT, GEM_CONTEXT_CREATE /
 * DESTROY. Each checks its arguments in the kernel's order (so the same
 * bad call gets the same errno) before it calls the native API.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>

#include <drm.h>
#include <i915_drm.h>

#include <resv/dma-fence.h>
#include <resv/mmu_notifier.h>

#include "uapi-internal.h"

/* The largest BO a client may create: beyond, -E2BIG (i915's
 * i915_gem_object_size_2big(), scaled to a simulator's memory). */
#define UAPI_MAX_BO_SIZE (1ull << 30)

int uapi_ioctl_i915_getparam(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_i915_getparam *gp = data;
	int value;

	(void)cmd;
	switch (gp->param) {
	case I915_PARAM_NUM_FENCES_AVAIL:
		value = 0;
		break;
	case I915_PARAM_HAS_EXECBUF2:
	case I915_PARAM_HAS_WAIT_TIMEOUT:
	case I915_PARAM_HAS_EXEC_NO_RELOC:
	case I915_PARAM_HAS_EXEC_HANDLE_LUT:
	case I915_PARAM_HAS_EXEC_SOFTPIN:
	case I915_PARAM_HAS_EXEC_ASYNC:
	case I915_PARAM_HAS_EXEC_FENCE:
	case I915_PARAM_HAS_EXEC_CAPTURE:
	case I915_PARAM_HAS_EXEC_BATCH_FIRST:
	case I915_PARAM_HAS_EXEC_FENCE_ARRAY:
	case I915_PARAM_HAS_EXEC_TIMELINE_FENCES:
	case I915_PARAM_HAS_USERPTR_PROBE:
		value = 1;
		break;
	case I915_PARAM_HAS_ALIASING_PPGTT:
		value = I915_GEM_PPGTT_FULL;	/* one address space per file */
		break;
	case I915_PARAM_CHIPSET_ID:
		value = 0;
		break;
	default:
		return -EINVAL;
	}
	(void)uf;
	if (!gp->value)
		return -EFAULT;	/* put_user() */
	*gp->value = value;
	return 0;
}

int uapi_ioctl_i915_gem_create(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_i915_gem_create *args = data;
	uint32_t handle;
	uint64_t size;
	int ret;

	(void)cmd;
	if (args->size > UAPI_MAX_BO_SIZE)
		return -E2BIG;
	size = (args->size + SIM_PAGE_SIZE - 1) & ~(uint64_t)(SIM_PAGE_SIZE - 1);
	if (!size)
		return -EINVAL;
	ret = sim_gem_create(uf->file, size, SIM_PL_MASK_ALL, &handle);
	if (ret)
		return ret;
	args->size = size;
	args->handle = handle;
	return 0;
}

/* I915_USERPTR_PROBE: every page of the range is mapped now. */
static int probe_range(struct resv_mm *mm, uint64_t addr, uint64_t size)
{
	unsigned char byte;

	for (uint64_t off = 0; off < size; off += SIM_PAGE_SIZE)
		if (resv_mm_read(mm, (unsigned long)(addr + off), &byte, 1))
			return -EFAULT;
	return 0;
}

int uapi_ioctl_i915_gem_userptr(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_i915_gem_userptr *args = data;
	uint32_t handle;
	int ret;

	(void)cmd;
	if (args->flags & ~(uint32_t)(I915_USERPTR_READ_ONLY | I915_USERPTR_UNSYNCHRONIZED |
				      I915_USERPTR_PROBE))
		return -EINVAL;
	if (args->user_size > UAPI_MAX_BO_SIZE)
		return -E2BIG;
	if (!args->user_size)
		return -EINVAL;
	if ((args->user_ptr | args->user_size) & (SIM_PAGE_SIZE - 1))
		return -EINVAL;
	if (args->user_ptr + args->user_size < args->user_ptr ||
	    args->user_ptr + args->user_size > (uint64_t)ULONG_MAX)
		return -EFAULT;	/* access_ok() */
	if (args->flags & I915_USERPTR_UNSYNCHRONIZED)
		return -ENODEV;
	/* The simulated GPU has no read-only PTEs (older i915 hardware). */
	if (args->flags & I915_USERPTR_READ_ONLY)
		return -ENODEV;
	if (args->flags & I915_USERPTR_PROBE) {
		ret = probe_range(uf->mm, args->user_ptr, args->user_size);
		if (ret)
			return ret;
	}
	ret = sim_gem_userptr(uf->file, uf->mm, (unsigned long)args->user_ptr, args->user_size,
			      &handle);
	if (ret)
		return ret;
	args->handle = handle;
	return 0;
}

/* The checks pwrite and pread share, before the handle is looked up. */
static int rw_check(const struct drm_i915_gem_pwrite *args)
{
	if (!args->data_ptr)
		return -EFAULT;	/* the copy would fault */
	if (args->data_ptr + args->size < args->data_ptr)
		return -EFAULT;	/* access_ok() */
	if (args->offset + args->size < args->offset || args->size > SIZE_MAX)
		return -EINVAL;	/* range_overflows() */
	return 0;
}

int uapi_ioctl_i915_gem_pwrite(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_i915_gem_pwrite *args = data;
	int ret;

	(void)cmd;
	if (!args->size)
		return 0;
	ret = rw_check(args);
	if (ret)
		return ret;
	return sim_gem_pwrite(uf->file, args->handle, args->offset,
			      (const void *)(uintptr_t)args->data_ptr, (size_t)args->size);
}

int uapi_ioctl_i915_gem_pread(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_i915_gem_pread *args = data;
	int ret;

	(void)cmd;
	if (!args->size)
		return 0;
	/* Same layout as pwrite's. */
	ret = rw_check((const struct drm_i915_gem_pwrite *)args);
	if (ret)
		return ret;
	return sim_gem_pread(uf->file, args->handle, args->offset,
			     (void *)(uintptr_t)args->data_ptr, (size_t)args->size);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int uapi_ioctl_i915_gem_wait(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_i915_gem_wait *args = data;
	int64_t start, timeout;
	int ret;

	(void)cmd;
	if (args->flags)
		return -EINVAL;
	/* Negative: wait without bound; 0: poll (i915's to_wait_timeout()). */
	timeout = args->timeout_ns < 0 ? (int64_t)MAX_SCHEDULE_TIMEOUT : args->timeout_ns;
	start = now_ns();
	ret = sim_gem_wait(uf->file, args->bo_handle, timeout);
	if (ret == -ETIMEDOUT)
		ret = -ETIME;
	if (ret == -ENOENT)
		return ret;
	if (args->timeout_ns > 0) {
		args->timeout_ns -= now_ns() - start;
		if (args->timeout_ns < 0)
			args->timeout_ns = 0;
		/* As i915: time left over after a timeout means the wait
		 * was cut short, not that it timed out. */
		if (ret == -ETIME && args->timeout_ns)
			ret = -EAGAIN;
	}
	return ret;
}

int uapi_ioctl_i915_context_create(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_i915_gem_context_create_ext *args = data;
	struct sim_context *ctx;
	uint32_t id;
	int ret;

	(void)cmd;
	if (args->flags & I915_CONTEXT_CREATE_FLAGS_UNKNOWN)
		return -EINVAL;
	/* No context extension is supported: any named one is unknown. */
	if ((args->flags & I915_CONTEXT_CREATE_FLAGS_USE_EXTENSIONS) && args->extensions)
		return -EINVAL;
	ret = sim_context_create(sim_file_device(uf->file), &ctx);
	if (ret)
		return ret;
	pthread_mutex_lock(&uf->lock);
	for (id = 1; id < UAPI_MAX_CONTEXTS && uf->contexts[id]; id++)
		;
	if (id < UAPI_MAX_CONTEXTS)
		uf->contexts[id] = ctx;
	pthread_mutex_unlock(&uf->lock);
	if (id == UAPI_MAX_CONTEXTS) {
		sim_context_put(ctx);
		return -ENOSPC;
	}
	args->ctx_id = id;
	return 0;
}

int uapi_ioctl_i915_context_destroy(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_i915_gem_context_destroy *args = data;
	struct sim_context *ctx = NULL;

	(void)cmd;
	if (args->pad)
		return -EINVAL;
	if (!args->ctx_id)
		return -ENOENT;
	pthread_mutex_lock(&uf->lock);
	if (args->ctx_id < UAPI_MAX_CONTEXTS) {
		ctx = uf->contexts[args->ctx_id];
		uf->contexts[args->ctx_id] = NULL;
	}
	pthread_mutex_unlock(&uf->lock);
	if (!ctx)
		return -ENOENT;
	sim_context_put(ctx);	/* jobs queued keep their own references */
	return 0;
}
