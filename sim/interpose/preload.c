// SPDX-License-Identifier: MIT
/*
 * The LD_PRELOAD half of the interposer (docs/uapi-interposer.md): an
 * unmodified libdrm client opens the simulator by path.
 *
 * open()/open64()/openat()/openat64() (and the _FORTIFY_SOURCE entry points
 * __open_2()/__open64_2()) of the device node path — "/dev/dri/resv-sim",
 * or $RESV_SIM_NODE — return sim_drm_open() on a process-wide device that
 * the first such open creates with the default configuration; every other
 * path is opened by the kernel (SYS_openat). close() of a simulator fd
 * goes to sim_drm_close(), so the object is released at once, as the
 * kernel's last fput(). At exit, whatever the client left open is released
 * (sim_drm_teardown()) and the device destroyed, as process exit closes a
 * process's fds.
 */
/* We define open() itself: no fortified inline wrapper of it may be in scope. */
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sim/device.h>
#include <sim/drm.h>

#include "interpose-internal.h"

#define SIM_PRELOAD_DEFAULT_NODE "/dev/dri/resv-sim"
#define SIM_PRELOAD_EXPORT __attribute__((visibility("default")))

static pthread_mutex_t sim_preload_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sim_device *sim_preload_dev;

static bool sim_preload_is_node(const char *path)
{
	const char *node = getenv("RESV_SIM_NODE");

	if (!node || !*node)
		node = SIM_PRELOAD_DEFAULT_NODE;
	return path && strcmp(path, node) == 0;
}

/*
 * Opens a DRM file on the process-wide device, creating the device first.
 * A failed creation is retried by the next open (it may have been -ENOMEM).
 */
static int sim_preload_open_node(int flags)
{
	int fd, ret = 0;

	sim_interpose_enter();
	pthread_mutex_lock(&sim_preload_lock);
	if (!sim_preload_dev)
		ret = sim_device_create(NULL, &sim_preload_dev);
	pthread_mutex_unlock(&sim_preload_lock);
	fd = ret ? ret : sim_drm_open(sim_preload_dev, (unsigned int)flags & O_CLOEXEC);
	sim_interpose_leave();
	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	return fd;
}

static int sim_preload_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	/*
	 * Only an absolute path names the node whatever @dirfd is, and only
	 * calls from the client: the simulator's own opens go to the kernel.
	 */
	if (!sim_interpose_inside() && sim_preload_is_node(path))
		return sim_preload_open_node(flags);
	return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

/* The mode argument exists only with O_CREAT or O_TMPFILE (as glibc reads it). */
#define SIM_PRELOAD_MODE(flags, last)					\
	({								\
		mode_t m_ = 0;						\
		if (__OPEN_NEEDS_MODE(flags)) {		\
			va_list ap_;					\
			va_start(ap_, last);				\
			m_ = (mode_t)va_arg(ap_, int);			\
			va_end(ap_);					\
		}							\
		m_;							\
	})

SIM_PRELOAD_EXPORT int open(const char *path, int flags, ...)
{
	return sim_preload_openat(AT_FDCWD, path, flags, SIM_PRELOAD_MODE(flags, flags));
}

SIM_PRELOAD_EXPORT int open64(const char *path, int flags, ...)
{
	return sim_preload_openat(AT_FDCWD, path, flags | O_LARGEFILE,
				  SIM_PRELOAD_MODE(flags, flags));
}

SIM_PRELOAD_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	return sim_preload_openat(dirfd, path, flags, SIM_PRELOAD_MODE(flags, flags));
}

SIM_PRELOAD_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	return sim_preload_openat(dirfd, path, flags | O_LARGEFILE,
				  SIM_PRELOAD_MODE(flags, flags));
}

/* _FORTIFY_SOURCE's open() without a mode argument. */
SIM_PRELOAD_EXPORT int __open_2(const char *path, int flags);
SIM_PRELOAD_EXPORT int __open_2(const char *path, int flags)
{
	return sim_preload_openat(AT_FDCWD, path, flags, 0);
}

SIM_PRELOAD_EXPORT int __open64_2(const char *path, int flags);
SIM_PRELOAD_EXPORT int __open64_2(const char *path, int flags)
{
	return sim_preload_openat(AT_FDCWD, path, flags | O_LARGEFILE, 0);
}

SIM_PRELOAD_EXPORT int close(int fd)
{
	int ret;

	if (!sim_interpose_is_sim_fd(fd))
		return (int)syscall(SYS_close, fd);
	sim_interpose_enter();
	ret = sim_drm_close(fd);
	sim_interpose_leave();
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return 0;
}

/*
 * Process exit closes every fd; the simulator's objects are released the
 * same way here. The destructor runs before libresv's (it depends on it),
 * while RCU and the allocator still work. Threads of the client that are
 * still inside an ioctl at exit() are not supported.
 */
__attribute__((destructor)) static void sim_preload_fini(void)
{
	if (!sim_preload_dev)
		return;
	sim_interpose_enter();
	sim_drm_teardown();
	sim_device_destroy(sim_preload_dev);
	sim_preload_dev = NULL;
	sim_interpose_leave();
}
