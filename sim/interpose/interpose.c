// SPDX-License-Identifier: MIT
/*
 * The in-process ioctl interposer (docs/uapi-interposer.md).
 *
 * Defines libc's ioctl(). Linked into an executable (the object library
 * resv_sim_interpose) or preloaded (libresv_sim_preload.so), this
 * definition comes first in symbol lookup, so libdrm's own calls
 * (drmIoctl(), drmSyncobj*(), drmPrime*(), drmGetVersion() ...) reach it:
 *
 * - a simulator fd (sim_drm_is_sim_fd()) goes to sim_drm_ioctl(), whose
 *   negative errno becomes errno and -1, as libc reports the kernel's;
 * - every other fd goes to the kernel with syscall(SYS_ioctl, ...). Not
 *   dlsym(RTLD_NEXT): that needs libdl and a dynamic executable, and under
 *   ASan/TSan "next" is the sanitizer's interceptor we are replacing.
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sim/drm.h>

#include "interpose-internal.h"

__thread unsigned int sim_interpose_depth;

int sim_interpose_sys_ioctl(int fd, unsigned long request, void *arg)
{
	return (int)syscall(SYS_ioctl, fd, request, arg);
}

bool sim_interpose_is_sim_fd(int fd)
{
	int saved = errno;	/* the lookup's fstat() may fail with EBADF */
	bool ours;

	if (fd < 0 || sim_interpose_inside())
		return false;
	sim_interpose_enter();
	ours = sim_drm_is_sim_fd(fd);
	sim_interpose_leave();
	errno = saved;
	return ours;
}

/*
 * The prototype is glibc's (<sys/ioctl.h>): the request is unsigned long
 * and the third argument optional. Every ioctl of interest takes a pointer
 * (or an integer of pointer size), so it is read as one, as libc does.
 */
__attribute__((visibility("default"))) int ioctl(int fd, unsigned long request, ...)
{
	void *arg;
	va_list ap;
	int ret;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (!sim_interpose_is_sim_fd(fd))
		return sim_interpose_sys_ioctl(fd, request, arg);

	sim_interpose_enter();
	ret = sim_drm_ioctl(fd, request, arg);
	sim_interpose_leave();
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}
