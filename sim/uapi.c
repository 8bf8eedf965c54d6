/* SPDX-License-Identifier: MIT */
/*
 * DRM files and ioctl dispatch: sim_drm_open(), sim_drm_ioctl() with the
 * kernel's drm_ioctl() argument handling, the DRM core ioctls (version,
 * get_cap, gem_close, PRIME), and the state digest.
 *
 * Argument copies follow drm_ioctl(): the handler works on a buffer of the
 * driver's size; the caller's size (from the request) decides how much is
 * copied in (the rest zero-filled) and out, and only in the directions
 * both the caller's request and the driver's definition have. A failed
 * handler's buffer is copied back too, as the kernel does; handlers change
 * their argument only on success.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <drm.h>
#include <i915_drm.h>

#include <resv/alloc.h>
#include <resv/mmu_notifier.h>

#include "internal.h"
#include "uapi-internal.h"

/* ---- DRM files ------------------------------------------------------------------ */

static void uapi_file_release(struct uapi_obj *obj)
{
	struct uapi_file *uf = to_uapi_file(obj);

	uapi_syncobj_table_fini(uf);
	for (unsigned int i = 1; i < UAPI_MAX_CONTEXTS; i++)
		sim_context_put(uf->contexts[i]);
	/* Closes the handles, userptr BOs included, before their mm goes. */
	sim_file_destroy(uf->file);
	resv_mm_destroy(uf->mm);
	pthread_mutex_destroy(&uf->lock);
	resv_free(uf, sizeof(*uf));
}

int sim_drm_open(struct sim_device *dev, unsigned int flags)
{
	struct uapi_file *uf;
	int ret;

	if (!dev || (flags & ~(unsigned int)O_CLOEXEC))
		return -EINVAL;
	uapi_maybe_sweep();
	uf = resv_zalloc(sizeof(*uf));
	if (!uf)
		return -ENOMEM;
	uapi_obj_init(&uf->obj, SIM_DRM_FD_DEVICE, dev, uapi_file_release);
	pthread_mutex_init(&uf->lock, NULL);
	sim_syncobj_table_init(&uf->syncobjs);
	ret = resv_mm_create(&uf->mm);
	if (ret)
		goto err_free;
	ret = sim_file_create(dev, &uf->file);
	if (ret)
		goto err_mm;
	ret = uapi_obj_install(&uf->obj, flags & O_CLOEXEC);
	if (ret < 0)
		goto err_file;
	return ret;

err_file:
	sim_file_destroy(uf->file);
err_mm:
	resv_mm_destroy(uf->mm);
err_free:
	sim_syncobj_table_fini(&uf->syncobjs);
	pthread_mutex_destroy(&uf->lock);
	resv_free(uf, sizeof(*uf));
	return ret;
}

struct resv_mm *sim_drm_mm(int fd)
{
	struct uapi_obj *obj = uapi_obj_lookup(fd, SIM_DRM_FD_DEVICE);
	struct resv_mm *mm;

	if (!obj)
		return NULL;
	mm = to_uapi_file(obj)->mm;
	uapi_obj_put(obj);
	return mm;
}

struct sim_file *sim_drm_file(int fd)
{
	struct uapi_obj *obj = uapi_obj_lookup(fd, SIM_DRM_FD_DEVICE);
	struct sim_file *file;

	if (!obj)
		return NULL;
	file = to_uapi_file(obj)->file;
	uapi_obj_put(obj);
	return file;
}

struct sim_context *uapi_context_lookup(struct uapi_file *uf, uint32_t id)
{
	struct sim_context *ctx = NULL;

	if (id == 0)
		return sim_context_get(sim_file_context(uf->file));
	if (id >= UAPI_MAX_CONTEXTS)
		return NULL;
	pthread_mutex_lock(&uf->lock);
	if (uf->contexts[id])
		ctx = sim_context_get(uf->contexts[id]);
	pthread_mutex_unlock(&uf->lock);
	return ctx;
}

/* ---- dispatch --------------------------------------------------------------------- */

struct uapi_ioctl_desc {
	unsigned long cmd;	/* the driver's definition: direction and size */
	uapi_ioctl_fn func;
};

#define CORE(name, fn) [_IOC_NR(DRM_IOCTL_##name)] = { DRM_IOCTL_##name, fn }
#define I915(name, fn) \
	[_IOC_NR(DRM_IOCTL_I915_##name) - DRM_COMMAND_BASE] = { DRM_IOCTL_I915_##name, fn }

static const struct uapi_ioctl_desc core_ioctls[DRM_COMMAND_BASE] = {
	CORE(VERSION, uapi_ioctl_version),
	CORE(GET_CAP, uapi_ioctl_get_cap),
	CORE(GEM_CLOSE, uapi_ioctl_gem_close),
	CORE(PRIME_HANDLE_TO_FD, uapi_ioctl_prime_handle_to_fd),
	CORE(PRIME_FD_TO_HANDLE, uapi_ioctl_prime_fd_to_handle),
};

/* Core ioctls numbered from DRM_COMMAND_END (the syncobj ones). */
static const struct uapi_ioctl_desc core_high_ioctls[0x100 - DRM_COMMAND_END] = {
#define HIGH(name, fn) \
	[_IOC_NR(DRM_IOCTL_##name) - DRM_COMMAND_END] = { DRM_IOCTL_##name, fn }
	HIGH(SYNCOBJ_CREATE, uapi_ioctl_syncobj_create),
	HIGH(SYNCOBJ_DESTROY, uapi_ioctl_syncobj_destroy),
	HIGH(SYNCOBJ_HANDLE_TO_FD, uapi_ioctl_syncobj_handle_to_fd),
	HIGH(SYNCOBJ_FD_TO_HANDLE, uapi_ioctl_syncobj_fd_to_handle),
	HIGH(SYNCOBJ_WAIT, uapi_ioctl_syncobj_wait),
	HIGH(SYNCOBJ_TIMELINE_WAIT, uapi_ioctl_syncobj_timeline_wait),
	HIGH(SYNCOBJ_RESET, uapi_ioctl_syncobj_reset),
	HIGH(SYNCOBJ_SIGNAL, uapi_ioctl_syncobj_signal),
	HIGH(SYNCOBJ_TIMELINE_SIGNAL, uapi_ioctl_syncobj_timeline_signal),
	HIGH(SYNCOBJ_QUERY, uapi_ioctl_syncobj_query),
	HIGH(SYNCOBJ_TRANSFER, uapi_ioctl_syncobj_transfer),
#undef HIGH
};

static const struct uapi_ioctl_desc i915_ioctls[DRM_COMMAND_END - DRM_COMMAND_BASE] = {
	I915(GETPARAM, uapi_ioctl_i915_getparam),
	I915(GEM_CREATE, uapi_ioctl_i915_gem_create),
	I915(GEM_USERPTR, uapi_ioctl_i915_gem_userptr),
	I915(GEM_PWRITE, uapi_ioctl_i915_gem_pwrite),
	I915(GEM_PREAD, uapi_ioctl_i915_gem_pread),
	I915(GEM_WAIT, uapi_ioctl_i915_gem_wait),
	/* the kernel defines it with the _EXT struct: the short one is zero-filled */
	I915(GEM_CONTEXT_CREATE_EXT, uapi_ioctl_i915_context_create),
	I915(GEM_CONTEXT_DESTROY, uapi_ioctl_i915_context_destroy),
	/* One entry for both: _WR is the same number with IOC_OUT added. */
	I915(GEM_EXECBUFFER2_WR, uapi_ioctl_i915_execbuffer2),
};

static const struct uapi_ioctl_desc *find_ioctl(unsigned long cmd)
{
	unsigned int nr = _IOC_NR(cmd);

	if (nr >= DRM_COMMAND_BASE && nr < DRM_COMMAND_END)
		return &i915_ioctls[nr - DRM_COMMAND_BASE];
	if (nr < DRM_COMMAND_BASE)
		return &core_ioctls[nr];
	return &core_high_ioctls[nr - DRM_COMMAND_END];
}

/* The largest argument struct the simulator knows (execbuffer2 is 64). */
#define KDATA_MAX 128u

static int dispatch(struct uapi_file *uf, unsigned long cmd, void *arg)
{
	const struct uapi_ioctl_desc *desc;
	unsigned char kdata[KDATA_MAX];
	size_t in_size, out_size, drv_size;
	int ret;

	if (_IOC_TYPE(cmd) != DRM_IOCTL_BASE)
		return -ENOTTY;
	desc = find_ioctl(cmd);
	if (!desc->func)
		return -EINVAL;	/* drm_ioctl(): no such ioctl, "no function" */
	drv_size = _IOC_SIZE(desc->cmd);
	if (drv_size > KDATA_MAX)
		return -EINVAL;	/* cannot be: every struct we know is smaller */
	in_size = out_size = _IOC_SIZE(cmd);
	if (!(cmd & desc->cmd & IOC_IN))
		in_size = 0;
	if (!(cmd & desc->cmd & IOC_OUT))
		out_size = 0;
	if ((in_size || out_size) && !arg)
		return -EFAULT;
	/* Bytes past the driver's struct are the caller's own: they are
	 * neither read nor written back (the kernel copies them back
	 * unchanged). */
	if (in_size > drv_size)
		in_size = drv_size;
	if (out_size > drv_size)
		out_size = drv_size;
	memset(kdata, 0, drv_size);
	memcpy(kdata, arg, in_size);
	ret = desc->func(uf, kdata, cmd);
	if (out_size)
		memcpy(arg, kdata, out_size);
	return ret;
}

int sim_drm_ioctl(int fd, unsigned long request, void *arg)
{
	int saved_errno = errno;
	struct uapi_obj *obj;
	int ret;

	obj = uapi_obj_lookup(fd, SIM_DRM_FD_NONE);
	if (!obj) {
		ret = -EBADF;
	} else if (obj->kind != SIM_DRM_FD_DEVICE) {
		ret = -ENOTTY;	/* a dma-buf, sync_file or syncobj fd */
	} else {
		ret = dispatch(to_uapi_file(obj), request, arg);
	}
	uapi_obj_put(obj);
	uapi_maybe_sweep();
	errno = saved_errno;
	return ret;
}

/* ---- core ioctls ------------------------------------------------------------------ */

/* drm_copy_field(): report the full length, copy what fits. */
static void copy_field(char *buf, __kernel_size_t *len, const char *value)
{
	size_t n = strlen(value);

	if (buf && *len)
		memcpy(buf, value, n < *len ? n : *len);
	*len = n;
}

int uapi_ioctl_version(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_version *v = data;

	(void)uf;
	(void)cmd;
	v->version_major = 1;
	v->version_minor = 0;
	v->version_patchlevel = 0;
	copy_field(v->name, &v->name_len, SIM_DRM_DRIVER_NAME);
	copy_field(v->date, &v->date_len, "0");
	copy_field(v->desc, &v->desc_len, "libresv simulated GPU");
	return 0;
}

int uapi_ioctl_get_cap(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_get_cap *cap = data;

	(void)uf;
	(void)cmd;
	switch (cap->capability) {
	case DRM_CAP_TIMESTAMP_MONOTONIC:
	case DRM_CAP_SYNCOBJ:
	case DRM_CAP_SYNCOBJ_TIMELINE:
		cap->value = 1;
		return 0;
	case DRM_CAP_PRIME:
		cap->value = DRM_PRIME_CAP_IMPORT | DRM_PRIME_CAP_EXPORT;
		return 0;
	default:
		return -EINVAL;
	}
}

int uapi_ioctl_gem_close(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_gem_close *args = data;
	int ret;

	(void)cmd;
	ret = sim_gem_close(uf->file, args->handle);
	return ret == -ENOENT ? -EINVAL : ret;	/* drm_gem_handle_delete() */
}

/* ---- state digest ---------------------------------------------------------------- */

/* Handles, object identities and sizes, and the contents of ordinary BOs. */
static int digest_handles(struct uapi_file *uf, uint64_t *h)
{
	struct sim_file *file = uf->file;
	unsigned char buf[4096];

	for (uint32_t handle = 1;; handle++) {
		struct sim_file_obj *fo;
		struct sim_bo *bo = NULL;
		uint64_t size = 0;
		bool userptr = false;

		sim__file_table_lock(file);
		if (handle >= file->table_size) {
			sim__file_table_unlock(file);
			return 0;
		}
		fo = sim__file_table_get(file, handle);
		if (fo) {
			bo = fo->bo;
			size = fo->size;
			userptr = fo->userptr;
		}
		sim__file_table_unlock(file);
		if (!bo)
			continue;
		uapi_hash(h, &handle, sizeof(handle));
		uapi_hash(h, &bo, sizeof(bo));
		uapi_hash(h, &size, sizeof(size));
		uapi_hash(h, &userptr, sizeof(userptr));
		for (uint64_t off = 0; !userptr && off < size; off += sizeof(buf)) {
			size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
			int ret = sim_gem_pread(file, handle, off, buf, n);

			if (ret == -ENOENT)
				break;	/* closed meanwhile: the caller raced */
			if (ret)
				return ret;
			uapi_hash(h, buf, n);
		}
	}
}

int sim_drm_state_digest(int fd, uint64_t *digest)
{
	struct uapi_obj *obj = uapi_obj_lookup(fd, SIM_DRM_FD_DEVICE);
	struct uapi_file *uf;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t count;
	int ret;

	if (!obj)
		return -EBADF;
	if (!digest) {
		uapi_obj_put(obj);
		return -EINVAL;
	}
	uf = to_uapi_file(obj);
	(void)sim_drm_sweep();	/* count only fds that are open */
	ret = digest_handles(uf, &h);
	if (!ret) {
		uapi_syncobj_digest(uf, &h);
		pthread_mutex_lock(&uf->lock);
		uapi_hash(&h, uf->contexts, sizeof(uf->contexts));
		pthread_mutex_unlock(&uf->lock);
		for (int kind = SIM_DRM_FD_DMABUF; kind <= SIM_DRM_FD_SYNCOBJ; kind++) {
			count = uapi_obj_count_dev(uf->obj.dev, (enum sim_drm_fd_kind)kind);
			uapi_hash(&h, &count, sizeof(count));
		}
		*digest = h;
	}
	uapi_obj_put(obj);
	return ret;
}
