/* SPDX-License-Identifier: MIT */
/*
 * The syncobj ioctls on the native syncobjs and handle table of
 * <sim/syncobj.h>, syncobj fds (HANDLE_TO_FD without EXPORT_SYNC_FILE),
 * and the syncobj side of execbuf's fence array and timeline extension.
 *
 * The native table already checks counts, handles and flags in the
 * kernel's order; here are the uAPI's own checks (pads, the flags of the
 * fd ioctls) and the fd objects.
 */
#include <errno.h>

#include <drm.h>

#include <resv/alloc.h>
#include <resv/dma-fence-chain.h>

#include "uapi-internal.h"

struct uapi_syncobj_fd {
	struct uapi_obj obj;
	struct sim_syncobj *syncobj;	/* reference */
};

struct uapi_syncobj_signal {
	struct sim_syncobj *syncobj;	/* reference */
	struct dma_fence_chain *chain;	/* for a timeline point */
	uint64_t point;
};

void uapi_syncobj_table_fini(struct uapi_file *uf)
{
	sim_syncobj_table_fini(&uf->syncobjs);
}

void uapi_syncobj_digest(struct uapi_file *uf, uint64_t *h)
{
	for (uint32_t handle = sim_syncobj_table_next(&uf->syncobjs, 0); handle;
	     handle = sim_syncobj_table_next(&uf->syncobjs, handle)) {
		struct sim_syncobj *syncobj = sim_syncobj_table_lookup(&uf->syncobjs, handle);
		struct dma_fence *fence;
		uint64_t seqno = 0;

		if (!syncobj)
			continue;
		fence = sim_syncobj_fence_get(syncobj);
		if (fence)
			seqno = fence->seqno;
		uapi_hash(h, &handle, sizeof(handle));
		uapi_hash(h, &syncobj, sizeof(syncobj));
		uapi_hash(h, &fence, sizeof(fence));
		uapi_hash(h, &seqno, sizeof(seqno));
		if (fence)
			dma_fence_put(fence);
		sim_syncobj_put(syncobj);
	}
}

/* ---- execbuf's side ------------------------------------------------------------ */

int uapi_syncobj_wait_fence(struct uapi_file *uf, uint32_t handle, uint64_t point,
			    struct dma_fence **fence)
{
	struct sim_syncobj *syncobj = sim_syncobj_table_lookup(&uf->syncobjs, handle);
	int ret;

	*fence = NULL;
	if (!syncobj)
		return -ENOENT;
	ret = sim_syncobj_find_fence(syncobj, point, 0, fence);
	sim_syncobj_put(syncobj);
	return ret;
}

int uapi_syncobj_signal_prepare(struct uapi_file *uf, uint32_t handle, uint64_t point,
				struct uapi_syncobj_signal **out)
{
	struct uapi_syncobj_signal *sig;

	*out = NULL;
	sig = resv_zalloc(sizeof(*sig));
	if (!sig)
		return -ENOMEM;
	sig->syncobj = sim_syncobj_table_lookup(&uf->syncobjs, handle);
	if (!sig->syncobj) {
		resv_free(sig, sizeof(*sig));
		return -ENOENT;
	}
	sig->point = point;
	if (point) {
		sig->chain = dma_fence_chain_alloc();
		if (!sig->chain) {
			uapi_syncobj_signal_abort(sig);
			return -ENOMEM;
		}
	}
	*out = sig;
	return 0;
}

void uapi_syncobj_signal_commit(struct uapi_syncobj_signal *sig, struct dma_fence *fence)
{
	if (sig->chain)
		sim_syncobj_add_point_chain(sig->syncobj, sig->chain, fence, sig->point);
	else
		sim_syncobj_replace_fence(sig->syncobj, fence);
	sim_syncobj_put(sig->syncobj);
	resv_free(sig, sizeof(*sig));
}

void uapi_syncobj_signal_abort(struct uapi_syncobj_signal *sig)
{
	if (sig->chain)
		dma_fence_chain_free(sig->chain);
	sim_syncobj_put(sig->syncobj);
	resv_free(sig, sizeof(*sig));
}

/* ---- the ioctls ------------------------------------------------------------------ */

int uapi_ioctl_syncobj_create(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_syncobj_create *args = data;
	uint32_t handle;
	int ret;

	(void)cmd;
	if (args->flags & ~(uint32_t)DRM_SYNCOBJ_CREATE_SIGNALED)
		return -EINVAL;
	ret = sim_syncobj_table_create(&uf->syncobjs,
				       args->flags ? SIM_SYNCOBJ_CREATE_SIGNALED : 0, &handle);
	if (!ret)
		args->handle = handle;
	return ret;
}

int uapi_ioctl_syncobj_destroy(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_syncobj_destroy *args = data;

	(void)cmd;
	if (args->pad)
		return -EINVAL;
	return sim_syncobj_table_destroy(&uf->syncobjs, args->handle);
}

static void syncobj_fd_release(struct uapi_obj *obj)
{
	struct uapi_syncobj_fd *sfd = (struct uapi_syncobj_fd *)obj;

	sim_syncobj_put(sfd->syncobj);
	resv_free(sfd, sizeof(*sfd));
}

int uapi_ioctl_syncobj_handle_to_fd(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_syncobj_handle *args = data;
	struct uapi_syncobj_fd *sfd;
	struct sim_syncobj *syncobj;
	int fd;

	(void)cmd;
	if (args->pad)
		return -EINVAL;
	if (args->flags & ~(uint32_t)DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE)
		return -EINVAL;
	if (args->flags) {
		struct dma_fence *fence;
		int ret = uapi_syncobj_wait_fence(uf, args->handle, 0, &fence);

		if (ret)
			return ret;	/* -ENOENT, or -EINVAL: no fence */
		fd = uapi_sync_file_export(uf->obj.dev, fence);
		dma_fence_put(fence);
		if (fd < 0)
			return fd;
		args->fd = fd;
		return 0;
	}
	syncobj = sim_syncobj_table_lookup(&uf->syncobjs, args->handle);
	if (!syncobj)
		return -EINVAL;	/* drm_syncobj_handle_to_fd() */
	sfd = resv_zalloc(sizeof(*sfd));
	if (!sfd) {
		sim_syncobj_put(syncobj);
		return -ENOMEM;
	}
	uapi_obj_init(&sfd->obj, SIM_DRM_FD_SYNCOBJ, uf->obj.dev, syncobj_fd_release);
	sfd->syncobj = syncobj;
	fd = uapi_obj_install(&sfd->obj, true);
	if (fd < 0) {
		syncobj_fd_release(&sfd->obj);
		return fd;
	}
	args->fd = fd;
	return 0;
}

int uapi_ioctl_syncobj_fd_to_handle(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_syncobj_handle *args = data;
	struct uapi_obj *obj;
	uint32_t handle;
	int ret;

	(void)cmd;
	if (args->pad)
		return -EINVAL;
	if (args->flags & ~(uint32_t)DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE)
		return -EINVAL;
	if (args->flags) {
		struct sim_syncobj *syncobj;
		struct dma_fence *fence;

		ret = uapi_sync_file_fence(args->fd, &fence);
		if (ret)
			return ret;	/* -EINVAL: not a sync_file */
		syncobj = sim_syncobj_table_lookup(&uf->syncobjs, args->handle);
		if (!syncobj) {
			dma_fence_put(fence);
			return -ENOENT;
		}
		sim_syncobj_replace_fence(syncobj, fence);
		sim_syncobj_put(syncobj);
		dma_fence_put(fence);
		return 0;
	}
	obj = uapi_obj_lookup(args->fd, SIM_DRM_FD_SYNCOBJ);
	if (!obj)
		return -EINVAL;	/* not a file, or not a syncobj's */
	if (obj->dev != uf->obj.dev) {
		uapi_obj_put(obj);
		return -EINVAL;
	}
	ret = sim_syncobj_table_install(&uf->syncobjs, ((struct uapi_syncobj_fd *)obj)->syncobj,
					&handle);
	uapi_obj_put(obj);
	if (!ret)
		args->handle = handle;
	return ret;
}

int uapi_ioctl_syncobj_wait(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_syncobj_wait *args = data;
	uint32_t first = args->first_signaled;
	int ret;

	(void)cmd;
	ret = sim_syncobj_table_wait(&uf->syncobjs, (const uint32_t *)(uintptr_t)args->handles,
				     args->count_handles, args->timeout_nsec, args->flags, &first);
	if (!ret)
		args->first_signaled = first;
	return ret;
}

int uapi_ioctl_syncobj_timeline_wait(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_syncobj_timeline_wait *args = data;
	uint32_t first = args->first_signaled;
	int ret;

	(void)cmd;
	ret = sim_syncobj_table_timeline_wait(&uf->syncobjs,
					      (const uint32_t *)(uintptr_t)args->handles,
					      (const uint64_t *)(uintptr_t)args->points,
					      args->count_handles, args->timeout_nsec, args->flags,
					      &first);
	if (!ret)
		args->first_signaled = first;
	return ret;
}

int uapi_ioctl_syncobj_reset(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_syncobj_array *args = data;

	(void)cmd;
	if (args->pad)
		return -EINVAL;
	return sim_syncobj_table_reset(&uf->syncobjs, (const uint32_t *)(uintptr_t)args->handles,
				       args->count_handles);
}

int uapi_ioctl_syncobj_signal(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_syncobj_array *args = data;

	(void)cmd;
	if (args->pad)
		return -EINVAL;
	return sim_syncobj_table_signal(&uf->syncobjs, (const uint32_t *)(uintptr_t)args->handles,
					args->count_handles);
}

int uapi_ioctl_syncobj_timeline_signal(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_syncobj_timeline_array *args = data;

	(void)cmd;
	return sim_syncobj_table_timeline_signal(&uf->syncobjs,
						 (const uint32_t *)(uintptr_t)args->handles,
						 (const uint64_t *)(uintptr_t)args->points,
						 args->count_handles, args->flags);
}

int uapi_ioctl_syncobj_query(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_syncobj_timeline_array *args = data;

	(void)cmd;
	return sim_syncobj_table_query(&uf->syncobjs, (const uint32_t *)(uintptr_t)args->handles,
				       (uint64_t *)(uintptr_t)args->points, args->count_handles,
				       args->flags);
}

int uapi_ioctl_syncobj_transfer(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_syncobj_transfer *args = data;

	(void)cmd;
	if (args->pad)
		return -EINVAL;
	return sim_syncobj_table_transfer(&uf->syncobjs, args->src_handle, args->src_point,
					  args->dst_handle, args->dst_point, args->flags);
}
