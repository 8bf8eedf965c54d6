/* SPDX-License-Identifier: MIT */
/*
 * Shared by the uAPI files (sim/uapi*.c) only: the fd registry's objects,
 * the DRM file behind a device fd, and the ioctl handlers.
 */
#ifndef SIM_UAPI_INTERNAL_H
#define SIM_UAPI_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <resv/dma-fence.h>

#include <sim/bo.h>
#include <sim/drm.h>
#include <sim/file.h>
#include <sim/syncobj.h>

/* ---- the fd registry (uapi-fd.c) ------------------------------------------------ */

struct uapi_obj;

/* What an object does once its last reference is gone. */
typedef void (*uapi_release_fn)(struct uapi_obj *obj);

/*
 * Something a simulator fd stands for. The registry holds one reference
 * while the object is registered (some user copy of its fd may be open);
 * lookups take their own. kept_fd (the registry's end of the socket
 * pair) is closed only on release, so a callback writing readiness into
 * it never writes into a reused fd number.
 */
struct uapi_obj {
	enum sim_drm_fd_kind kind;
	unsigned long refs;		/* atomic */
	struct sim_device *dev;
	uapi_release_fn release;
	int kept_fd;			/* -1 until installed */
	dev_t st_dev;
	ino_t st_ino;
	bool registered;		/* registry lock */
	struct uapi_obj *hash_next;	/* registry lock */
};

void uapi_obj_init(struct uapi_obj *obj, enum sim_drm_fd_kind kind, struct sim_device *dev,
		   uapi_release_fn release);
/*
 * Give @obj an fd (O_CLOEXEC when @cloexec) and register it; the registry
 * takes over the caller's initial reference. Returns the fd, or -errno
 * with @obj untouched (the caller still owns it and frees it).
 */
int uapi_obj_install(struct uapi_obj *obj, bool cloexec);
/* The object behind @fd with a new reference, when its kind is @kind
 * (SIM_DRM_FD_NONE: any kind); NULL otherwise. */
struct uapi_obj *uapi_obj_lookup(int fd, enum sim_drm_fd_kind kind);
struct uapi_obj *uapi_obj_get(struct uapi_obj *obj);
/* Undo uapi_obj_install() for an fd nobody has seen yet: unregister,
 * close @fd, drop the registry's reference. */
void uapi_obj_uninstall(struct uapi_obj *obj, int fd);
void uapi_obj_put(struct uapi_obj *obj);
/* Make a sync_file's fd readable (POLLIN); any context, even a fence
 * callback: one non-blocking write. */
void uapi_obj_signal_readable(struct uapi_obj *obj);
/* Open fds of @kind (registered objects) of @dev. */
size_t uapi_obj_count_dev(struct sim_device *dev, enum sim_drm_fd_kind kind);
/* Run a sweep when enough fds were created or lookups missed since the
 * last one. Only from the top of an entry point: nothing held. */
void uapi_maybe_sweep(void);

/* ---- DRM files (uapi.c) ------------------------------------------------------------ */

/* UAPI_MAX_CONTEXTS - user contexts (GEM_CONTEXT_CREATE) one file may hold */
#define UAPI_MAX_CONTEXTS 1024u

struct uapi_file {
	struct uapi_obj obj;
	struct sim_file *file;
	struct resv_mm *mm;
	pthread_mutex_t lock;		/* contexts */
	struct sim_context *contexts[UAPI_MAX_CONTEXTS];	/* id - 1; slot 0 unused */
	struct sim_syncobj_table syncobjs;
};

static inline struct uapi_file *to_uapi_file(struct uapi_obj *obj)
{
	return (struct uapi_file *)obj;
}

/* The context with id @id (0: the default) with a new reference, or NULL. */
struct sim_context *uapi_context_lookup(struct uapi_file *uf, uint32_t id);

/* ---- sync_files (uapi-sync-file.c) -------------------------------------------------- */

struct uapi_sync_file;

/* A sync_file fd without a fence yet (execbuf's FENCE_OUT reserves its fd
 * before it submits, as i915 does); then exactly one of set_fence (takes
 * its own reference) or unreserve (closes the fd). */
int uapi_sync_file_reserve(struct sim_device *dev, struct uapi_sync_file **out);
void uapi_sync_file_set_fence(struct uapi_sync_file *sf, struct dma_fence *fence);
void uapi_sync_file_unreserve(struct uapi_sync_file *sf, int fd);
/* A new sync_file fd holding a reference to @fence. */
int uapi_sync_file_export(struct sim_device *dev, struct dma_fence *fence);
/* The fence of sync_file @fd, a new reference; -EINVAL when @fd is not a
 * sync_file (as the kernel's sync_file_get_fence() failing). */
int uapi_sync_file_fence(int fd, struct dma_fence **fence);

/* ---- syncobjs (uapi-syncobj.c) ------------------------------------------------------ */

struct uapi_syncobj_signal;

void uapi_syncobj_table_fini(struct uapi_file *uf);
/*
 * For execbuf's WAIT: the fence of syncobj @handle at @point (0: its
 * current fence), a new reference, or NULL when that point has signalled
 * and was collected. -ENOENT: no such syncobj; -EINVAL: no fence, or
 * @point not submitted yet.
 */
int uapi_syncobj_wait_fence(struct uapi_file *uf, uint32_t handle, uint64_t point,
			    struct dma_fence **fence);
/* For execbuf's SIGNAL: look up and preallocate (-ENOENT, -ENOMEM), then
 * exactly one of commit (installs @fence at the point) or abort. */
int uapi_syncobj_signal_prepare(struct uapi_file *uf, uint32_t handle, uint64_t point,
				struct uapi_syncobj_signal **out);
void uapi_syncobj_signal_commit(struct uapi_syncobj_signal *sig, struct dma_fence *fence);
void uapi_syncobj_signal_abort(struct uapi_syncobj_signal *sig);
/* Mix the syncobj table's observable state into *@h. */
void uapi_syncobj_digest(struct uapi_file *uf, uint64_t *h);

/* ---- ioctl handlers: 0 or -errno -------------------------------------------------- */

/*
 * @data is the kernel copy of the argument (the driver's size, zero-filled
 * past what the caller passed); @cmd the caller's request, for handlers
 * whose behaviour depends on its direction bits (EXECBUFFER2 vs _WR).
 */
typedef int (*uapi_ioctl_fn)(struct uapi_file *uf, void *data, unsigned long cmd);

/* Mix @len bytes into the running FNV-1a hash *@h. */
static inline void uapi_hash(uint64_t *h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		*h = (*h ^ p[i]) * 0x100000001b3ull;
}

int uapi_ioctl_version(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_get_cap(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_gem_close(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_prime_handle_to_fd(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_prime_fd_to_handle(struct uapi_file *uf, void *data, unsigned long cmd);

int uapi_ioctl_syncobj_create(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_syncobj_destroy(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_syncobj_handle_to_fd(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_syncobj_fd_to_handle(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_syncobj_wait(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_syncobj_timeline_wait(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_syncobj_reset(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_syncobj_signal(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_syncobj_timeline_signal(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_syncobj_query(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_syncobj_transfer(struct uapi_file *uf, void *data, unsigned long cmd);

int uapi_ioctl_i915_getparam(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_i915_gem_create(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_i915_gem_userptr(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_i915_gem_pwrite(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_i915_gem_pread(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_i915_gem_wait(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_i915_context_create(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_i915_context_destroy(struct uapi_file *uf, void *data, unsigned long cmd);
int uapi_ioctl_i915_execbuffer2(struct uapi_file *uf, void *data, unsigned long cmd);

#endif /* SIM_UAPI_INTERNAL_H */
