/* SPDX-License-Identifier: MIT */
/*
 * sync_files: an fd holding one fence (execbuf's FENCE_OUT, syncobj
 * EXPORT_SYNC_FILE), readable (POLLIN) once the fence has signalled.
 *
 * Readiness comes from a fence callback that writes one byte into the
 * registry's end of the socket pair. The release removes the callback
 * before the registry closes that end: callbacks run under the fence's
 * lock, which dma_fence_remove_callback() takes, so none is running or
 * will run once it returns.
 */
#include <errno.h>

#include <urcu/compiler.h>

#include <resv/alloc.h>

#include "uapi-internal.h"

struct uapi_sync_file {
	struct uapi_obj obj;
	struct dma_fence *fence;	/* reference */
	struct dma_fence_cb cb;
	bool cb_added;			/* remove_callback() only if added */
};

static void sync_file_signalled(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct uapi_sync_file *sf = caa_container_of(cb, struct uapi_sync_file, cb);

	(void)fence;
	uapi_obj_signal_readable(&sf->obj);
}

static void sync_file_release(struct uapi_obj *obj)
{
	struct uapi_sync_file *sf = (struct uapi_sync_file *)obj;

	if (sf->cb_added)
		dma_fence_remove_callback(sf->fence, &sf->cb);
	if (sf->fence)
		dma_fence_put(sf->fence);
	resv_free(sf, sizeof(*sf));
}

int uapi_sync_file_reserve(struct sim_device *dev, struct uapi_sync_file **out)
{
	struct uapi_sync_file *sf = resv_zalloc(sizeof(*sf));
	int fd;

	if (!sf)
		return -ENOMEM;
	uapi_obj_init(&sf->obj, SIM_DRM_FD_SYNC_FILE, dev, sync_file_release);
	CDS_INIT_LIST_HEAD(&sf->cb.node);
	/* Our own reference until the fence is set: a close() of the new
	 * fd by another thread may not release it under our feet. */
	uapi_obj_get(&sf->obj);
	fd = uapi_obj_install(&sf->obj, true);
	if (fd < 0) {
		resv_free(sf, sizeof(*sf));
		return fd;
	}
	*out = sf;
	return fd;
}

void uapi_sync_file_set_fence(struct uapi_sync_file *sf, struct dma_fence *fence)
{
	__atomic_store_n(&sf->fence, dma_fence_get(fence), __ATOMIC_RELEASE);
	/* The callback writes into the registry's end, installed already. */
	if (dma_fence_add_callback(fence, &sf->cb, sync_file_signalled))
		uapi_obj_signal_readable(&sf->obj);	/* already signalled */
	else
		sf->cb_added = true;
	uapi_obj_put(&sf->obj);
}

void uapi_sync_file_unreserve(struct uapi_sync_file *sf, int fd)
{
	uapi_obj_uninstall(&sf->obj, fd);
	uapi_obj_put(&sf->obj);
}

int uapi_sync_file_export(struct sim_device *dev, struct dma_fence *fence)
{
	struct uapi_sync_file *sf;
	int fd = uapi_sync_file_reserve(dev, &sf);

	if (fd >= 0)
		uapi_sync_file_set_fence(sf, fence);
	return fd;
}

int uapi_sync_file_fence(int fd, struct dma_fence **fence)
{
	struct uapi_obj *obj = uapi_obj_lookup(fd, SIM_DRM_FD_SYNC_FILE);
	struct dma_fence *f;

	if (!obj)
		return -EINVAL;
	/* NULL while an execbuf that reserved it has not submitted yet. */
	f = __atomic_load_n(&((struct uapi_sync_file *)obj)->fence, __ATOMIC_ACQUIRE);
	if (f)
		*fence = dma_fence_get(f);
	uapi_obj_put(obj);
	return f ? 0 : -EINVAL;
}

int sim_drm_sync_file_create(struct sim_device *dev, struct dma_fence *fence)
{
	if (!dev || !fence)
		return -EINVAL;
	uapi_maybe_sweep();	/* an entry point: nothing held */
	return uapi_sync_file_export(dev, fence);
}
