/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * The simulated GPU behind a DRM file descriptor, driven by ioctls that
 * take libdrm's own uAPI structs (<drm.h>, <i915_drm.h> from libdrm-dev):
 * what a process gets from open("/dev/dri/renderD128") and drmIoctl().
 * docs/uapi.md lists every supported ioctl, its errnos and what differs
 * from the kernel.
 *
 * Every simulator fd is a real file descriptor: one end of a socket pair
 * (AF_UNIX, SOCK_STREAM) whose other end the simulator keeps. That makes it closable, dup()able,
 * inheritable by fork() and pollable, and lets the simulator recognise it
 * by the identity of the open file (st_dev, st_ino from fstat()), not by
 * its number: a dup()'ed copy names the same object, and a number closed
 * and reused by an unrelated open() is not mistaken for ours (-EBADF).
 * Four kinds of objects have fds (&enum sim_drm_fd_kind): DRM files
 * (sim_drm_open()), dma-bufs (PRIME export of a BO), sync_files (exported
 * fences) and syncobj fds (DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD).
 *
 * An object lives while any copy of its fd is open anywhere (as with the
 * kernel's last fput()). Closing with close() is noticed lazily: the kept
 * end reports POLLHUP once no copy of the user's end is open, and a sweep (run, amortised,
 * when fds are created and when a lookup misses; sim_drm_sweep() forces
 * one) releases those objects. sim_drm_close() closes and releases at once.
 *
 * What poll() reports on a simulator fd: a sync_file is POLLIN once its
 * fence has signalled (as the kernel's); a DRM file, a dma-buf and a
 * syncobj fd never become readable (a DRM file has no events to read: the
 * simulator has no vblank or page-flip events). read() on a sync_file
 * consumes its readiness byte: do not read simulator fds.
 *
 * A client::
 *
 *	struct drm_i915_gem_create create = { .size = 4096 };
 *	int fd = sim_drm_open(dev, O_CLOEXEC);
 *
 *	if (fd < 0)
 *		return fd;
 *	ret = sim_drm_ioctl(fd, DRM_IOCTL_I915_GEM_CREATE, &create);
 *	// ... pwrite a batch (the simulator's command language of
 *	// <sim/batch.h>, not MI commands), DRM_IOCTL_I915_GEM_EXECBUFFER2_WR
 *	// with I915_EXEC_FENCE_OUT, poll() the returned sync_file ...
 *	sim_drm_close(fd);      // or close(fd); the next sweep releases it
 *
 * Threads: every function may be called from any thread, on the same fd
 * too; an object used by an ioctl in progress stays alive until the ioctl
 * returns, even when its last fd is closed meanwhile.
 */
#ifndef SIM_DRM_H
#define SIM_DRM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sim/device.h>

#ifdef __cplusplus
extern "C" {
#endif

struct dma_fence;
struct resv_mm;
struct sim_file;

/**
 * enum sim_drm_fd_kind - what a simulator fd stands for
 * @SIM_DRM_FD_NONE: not a simulator fd (or no longer: released)
 * @SIM_DRM_FD_DEVICE: a DRM file (sim_drm_open()); takes sim_drm_ioctl()
 * @SIM_DRM_FD_DMABUF: a dma-buf holding a BO (PRIME export)
 * @SIM_DRM_FD_SYNC_FILE: a sync_file holding one fence
 * @SIM_DRM_FD_SYNCOBJ: a syncobj exported as an fd
 */
enum sim_drm_fd_kind {
	SIM_DRM_FD_NONE,
	SIM_DRM_FD_DEVICE,
	SIM_DRM_FD_DMABUF,
	SIM_DRM_FD_SYNC_FILE,
	SIM_DRM_FD_SYNCOBJ,
};

/** SIM_DRM_DRIVER_NAME - the driver name DRM_IOCTL_VERSION reports */
#define SIM_DRM_DRIVER_NAME "resv-sim"

/**
 * sim_drm_open() - open a new DRM file on a device
 * @dev: the device; it must outlive every fd of it (sim_drm_teardown()
 *	releases whatever is left before sim_device_destroy())
 * @flags: 0 or O_CLOEXEC (applies to the returned fd)
 *
 * Each open is a new DRM file: its own GEM handle table, syncobj table,
 * default context and simulated address space (sim_drm_mm()).
 *
 * Context: any thread; allocates.
 * Return: the fd (>= 0); -EINVAL for a NULL @dev or unknown @flags;
 * -EMFILE or -ENFILE when no fd is left; -ENOMEM.
 */
int sim_drm_open(struct sim_device *dev, unsigned int flags);

/**
 * sim_drm_ioctl() - run an ioctl on a simulator DRM fd
 * @fd: an fd of kind SIM_DRM_FD_DEVICE
 * @request: the ioctl request (DRM_IOCTL_*), its size field included
 * @arg: the ioctl's argument struct
 *
 * As the kernel's drm_ioctl(): the size encoded in @request may differ
 * from the struct the simulator knows (an older or newer libdrm); the
 * shorter of the two is copied in, the rest zero-filled, and as much as
 * the caller's size holds is copied back. @arg is not touched when the
 * call fails before the handler ran; errno is never set.
 *
 * Context: may sleep (waits, execbuf); any thread.
 * Return: 0 or a value the ioctl defines; -EBADF when @fd is not an open
 * simulator fd (or one of another kind: a dma-buf, sync_file or syncobj fd
 * gives -ENOTTY as the kernel's); -ENOTTY for a request that is not a DRM
 * ioctl or not one the simulator supports; -EFAULT for a NULL @arg with a
 * non-zero size; otherwise the ioctl's own errnos (docs/uapi.md).
 */
int sim_drm_ioctl(int fd, unsigned long request, void *arg);

/**
 * sim_drm_is_sim_fd() - is this fd one of the simulator's
 * @fd: any fd number
 *
 * An interposer's test: true for every kind of simulator fd, false for an
 * fd that is closed or belongs to something else (also when the number
 * once was ours).
 *
 * Context: any; one fstat().
 * Return: true when @fd is an open simulator fd.
 */
bool sim_drm_is_sim_fd(int fd);

/**
 * sim_drm_fd_kind() - what a simulator fd stands for
 * @fd: any fd number
 *
 * Context: any.
 * Return: the kind, SIM_DRM_FD_NONE when @fd is not a simulator fd.
 */
enum sim_drm_fd_kind sim_drm_fd_kind(int fd);

/**
 * sim_drm_close() - close a simulator fd and release its object at once
 * @fd: the fd
 *
 * close(@fd); when it was the last copy of the fd (no dup() or fork()
 * copy left), the object is released now rather than at the next sweep:
 * a DRM file closes its handles and syncobjs (waiting for the GPU work
 * that uses its BOs, as sim_file_destroy()), a dma-buf drops its BO, a
 * sync_file its fence.
 *
 * Context: may sleep (a DRM file's release waits for its GPU work).
 * Return: 0; -EBADF when @fd is not an open simulator fd (nothing is
 * closed then).
 */
int sim_drm_close(int fd);

/**
 * sim_drm_mm() - the simulated address space of a DRM file
 * @fd: a DRM file's fd
 *
 * I915_GEM_USERPTR's user_ptr is an address in this &struct resv_mm, not a
 * host pointer: map memory there first (resv_mm_map(),
 * resv_mm_map_data()), read and write it with resv_mm_read() and
 * resv_mm_write(), invalidate it with resv_mm_unmap().
 *
 * Context: any.
 * Return: the address space, valid until the DRM file is released; NULL
 * when @fd is not a DRM file.
 */
struct resv_mm *sim_drm_mm(int fd);

/**
 * sim_drm_file() - the native client file behind a DRM fd
 * @fd: a DRM file's fd
 *
 * For tests that check the uAPI against the native API (<sim/file.h>):
 * handles are the same numbers in both.
 *
 * Context: any.
 * Return: the file, valid until the DRM file is released; NULL when @fd is
 * not a DRM file.
 */
struct sim_file *sim_drm_file(int fd);

/**
 * sim_drm_sync_file_create() - a sync_file fd for a fence
 * @dev: the device the fd belongs to
 * @fence: the fence; the sync_file takes its own reference
 *
 * What a kernel driver does with sync_file_create() and fd_install(): lets
 * native code (tests, a simulated display) hand a fence to a client, who
 * may pass it to EXECBUFFER2's FENCE_IN or import it into a syncobj
 * (DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE with IMPORT_SYNC_FILE). The fd is
 * O_CLOEXEC and polls POLLIN once @fence signalled.
 *
 * Context: any thread, not a fence callback; allocates.
 * Return: the fd (>= 0); -EINVAL for a NULL argument; -EMFILE or -ENFILE
 * when no fd is left; -ENOMEM.
 */
int sim_drm_sync_file_create(struct sim_device *dev, struct dma_fence *fence);

/**
 * sim_drm_state_digest() - a hash of everything a client can observe
 * @fd: a DRM file's fd
 * @digest: set to the hash
 *
 * Covers the DRM file's GEM handles (number, object identity, size,
 * userptr or not), the contents of its ordinary BOs, its syncobj table
 * (handle, the fence it holds and that fence's seqno), its contexts, and
 * how many dma-buf, sync_file and syncobj fds of the device are open. Not
 * covered, because a rejected execbuf may legitimately change them (as in
 * TTM and i915): BO placements, GPU bindings and reference counts held by
 * them. A rejected ioctl must leave the digest unchanged; so do successful
 * queries. Compare digests taken while no GPU work that could still write
 * or signal is pending (the contents are read after waiting for writers).
 *
 * Context: may sleep (waits for the writers of each BO); runs a sweep.
 * Return: 0; -EBADF when @fd is not a DRM file; -EINVAL for a NULL
 * @digest; -EINTR when a wait was interrupted.
 */
int sim_drm_state_digest(int fd, uint64_t *digest);

/**
 * sim_drm_sweep() - release every object whose fds are all closed
 *
 * Normally not needed: sweeps run by themselves, amortised. Tests use it
 * to make a close() take effect at a known moment.
 *
 * Context: may sleep (releasing a DRM file waits for its GPU work).
 * Return: how many objects were released.
 */
unsigned int sim_drm_sweep(void);

/**
 * sim_drm_count() - how many live objects of a kind the registry holds
 * @kind: the kind; SIM_DRM_FD_NONE counts every kind
 *
 * Objects whose fds were closed but not yet swept still count.
 *
 * Context: any.
 * Return: the number of objects.
 */
size_t sim_drm_count(enum sim_drm_fd_kind kind);

/**
 * sim_drm_teardown() - release every simulator object, fds open or not
 *
 * For the end of a test or program: afterwards no simulator fd resolves
 * (-EBADF), the devices may be destroyed, and nothing is leaked. The fds
 * the caller still holds stay open (close them; they are plain sockets).
 *
 * Context: may sleep; no ioctl may be running or start concurrently.
 */
void sim_drm_teardown(void);

#ifdef __cplusplus
}
#endif

#endif /* SIM_DRM_H */
