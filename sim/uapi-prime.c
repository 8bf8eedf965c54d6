/* SPDX-License-Identifier: MIT */
/*
 * PRIME: dma-buf fds holding a BO (DRM_IOCTL_PRIME_HANDLE_TO_FD and
 * FD_TO_HANDLE).
 *
 * A dma-buf object holds one BO reference; the BO lives as long as any
 * handle or any dma-buf fd names it, as in the kernel. Importing into a
 * file that has a handle for the BO gives that handle back (the kernel's
 * per-file prime lookup); into another DRM file of the same device, a new
 * handle for the same BO (sim_gem_import()): the files share its data and
 * bind it each in their own address space.
 */
#include <errno.h>
#include <fcntl.h>

#include <drm.h>

#include <resv/alloc.h>

#include "uapi-internal.h"

struct uapi_dmabuf {
	struct uapi_obj obj;
	struct sim_bo *bo;	/* reference */
};

static void dmabuf_release(struct uapi_obj *obj)
{
	struct uapi_dmabuf *buf = (struct uapi_dmabuf *)obj;

	sim_bo_put(buf->bo);
	resv_free(buf, sizeof(*buf));
}

int uapi_ioctl_prime_handle_to_fd(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_prime_handle *args = data;
	struct uapi_dmabuf *buf;
	struct sim_bo *bo;
	int fd;

	(void)cmd;
	if (args->flags & ~(uint32_t)(DRM_CLOEXEC | DRM_RDWR))
		return -EINVAL;
	bo = sim_file_lookup_bo(uf->file, args->handle);
	if (!bo)
		return -ENOENT;
	if (bo->userptr) {
		/* i915: "Exporting userptr no longer allowed" */
		sim_bo_put(bo);
		return -EINVAL;
	}
	buf = resv_zalloc(sizeof(*buf));
	if (!buf) {
		sim_bo_put(bo);
		return -ENOMEM;
	}
	uapi_obj_init(&buf->obj, SIM_DRM_FD_DMABUF, uf->obj.dev, dmabuf_release);
	buf->bo = bo;	/* the lookup's reference moves here */
	fd = uapi_obj_install(&buf->obj, args->flags & DRM_CLOEXEC);
	if (fd < 0) {
		dmabuf_release(&buf->obj);
		return fd;
	}
	args->fd = fd;
	return 0;
}

int uapi_ioctl_prime_fd_to_handle(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_prime_handle *args = data;
	struct uapi_obj *obj;
	struct sim_bo *bo;
	uint32_t handle;
	int ret = 0;

	(void)cmd;
	obj = uapi_obj_lookup(args->fd, SIM_DRM_FD_NONE);
	if (!obj)
		return -EBADF;	/* dma_buf_get(): not an open file of ours */
	if (obj->kind != SIM_DRM_FD_DMABUF) {
		uapi_obj_put(obj);
		return -EINVAL;	/* dma_buf_get(): a file, but not a dma-buf */
	}
	bo = ((struct uapi_dmabuf *)obj)->bo;
	if (obj->dev != uf->obj.dev) {
		ret = -EINVAL;	/* a foreign device's buffer: no attachments here */
		goto out;
	}
	ret = sim_gem_import(uf->file, bo, &handle);
	if (!ret)
		args->handle = handle;
out:
	uapi_obj_put(obj);
	return ret;
}
