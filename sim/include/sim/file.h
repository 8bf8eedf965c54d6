/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * A client "file" of the simulated GPU: what a process gets when it opens
 * a DRM device node. It owns
 *
 * - a table of GEM handles (small integers from 1; a closed handle's number
 *   is given out again first) naming the client's buffer
 *   objects: ordinary BOs (sim_gem_create()), userptr BOs over the
 *   client's own memory (sim_gem_userptr()) and BOs another file of the
 *   device created (sim_gem_import(), PRIME); a file has at most one
 *   handle per BO, and each file binds a shared BO in its own address
 *   space;
 * - the client's GPU address space (a &struct sim_pt), where execbuf
 *   (<sim/execbuf.h>) binds each object it uses, and remembers per handle
 *   where it is bound (i915's "vma");
 * - a default submission context (&struct sim_context);
 * - the driver's userptr notifier lock (&struct resv_notifier_lock) that
 *   every userptr BO of the file shares, so one read hold covers the final
 *   check of all userptrs of an execbuf (i915 keeps one per device);
 * - the execbuf counters of the client (sim_execbuf_file_stats()).
 *
 * A client's life::
 *
 *	struct sim_file *file;
 *	uint32_t handle;
 *
 *	sim_file_create(dev, &file);
 *	sim_gem_create(file, 16 * SIM_PAGE_SIZE, SIM_PL_MASK_ALL, &handle);
 *	sim_gem_pwrite(file, handle, 0, data, sizeof(data));
 *	// ... sim_execbuf(file, &args, &fence) with objects naming handles ...
 *	sim_gem_close(file, handle);    // waits for the GPU to be done with it
 *	sim_file_destroy(file);         // closes whatever is left
 *
 * Concurrency: every function may be called from several threads sharing a
 * file, except sim_file_destroy(), which must be the last call. Handle
 * lookups take a reader lock of the table; creation and close take it for
 * writing, briefly. Execbufs use the handle records they looked up without
 * taking references: a close waits until the execbufs of the file that are
 * running have finished (a per-file reader/writer lock), then for the GPU
 * work that uses the object.
 */
#ifndef SIM_FILE_H
#define SIM_FILE_H

#include <stddef.h>
#include <stdint.h>

#include <resv/mmu_notifier.h>

#include <sim/bo.h>
#include <sim/device.h>
#include <sim/pt.h>
#include <sim/sched.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sim_file;

/** SIM_FILE_MAX_HANDLES - the most handles a file can hold at once */
#define SIM_FILE_MAX_HANDLES (1u << 24)

/**
 * sim_file_create() - open a client file on a device
 * @dev: the device
 * @out: set to the file
 *
 * Creates the file's page table and default context.
 *
 * Context: any; allocates.
 * Return: 0; -EINVAL when @dev or @out is NULL; -ENOMEM (nothing
 * allocated).
 */
int sim_file_create(struct sim_device *dev, struct sim_file **out);

/**
 * sim_file_destroy() - close a client file
 * @file: the file, or NULL
 *
 * Closes every handle still open as sim_gem_close() does (waiting for the
 * GPU work that uses each object), drops the default context and the
 * page table (jobs still queued keep their own reference on it). A userptr
 * BO's invalidations take the file's notifier lock: references to userptr
 * BOs taken with sim_file_lookup_bo() must be dropped before.
 *
 * Context: may sleep; no other call on @file may run or follow; before
 * sim_device_destroy().
 */
void sim_file_destroy(struct sim_file *file);

/**
 * sim_file_device() - the device of a file
 * @file: the file
 *
 * Context: any.
 * Return: the device.
 */
struct sim_device *sim_file_device(struct sim_file *file);

/**
 * sim_file_pt() - the client's GPU address space
 * @file: the file
 *
 * Execbuf binds objects here; tests may read GPU memory through it
 * (sim_pt_read()).
 *
 * Context: any.
 * Return: the page table (no new reference: valid while @file is).
 */
struct sim_pt *sim_file_pt(struct sim_file *file);

/**
 * sim_file_context() - the file's default submission context
 * @file: the file
 *
 * Context: any.
 * Return: the context (no new reference: valid while @file is).
 */
struct sim_context *sim_file_context(struct sim_file *file);

/**
 * sim_file_notifier_lock() - the notifier lock of the file's userptrs
 * @file: the file
 *
 * Context: any.
 * Return: the lock (taken for writing by invalidations of every userptr
 * BO of @file, for reading by execbuf's final check).
 */
struct resv_notifier_lock *sim_file_notifier_lock(struct sim_file *file);

/**
 * sim_gem_create() - create a BO and a handle for it
 * @file: the file
 * @size: bytes, a non-zero multiple of SIM_PAGE_SIZE
 * @placements: where it may live, a non-empty subset of SIM_PL_MASK_ALL
 * @handle: set to the new handle
 *
 * The BO starts in zero-filled system memory when SIM_PL_SYSTEM is
 * allowed, else without storage (the first validation zero-fills it).
 *
 * Context: any; allocates.
 * Return: 0; -EINVAL for a NULL argument, a bad size or bad placements;
 * -ENOSPC when the file holds SIM_FILE_MAX_HANDLES handles; -ENOMEM
 * (nothing created).
 */
int sim_gem_create(struct sim_file *file, uint64_t size, uint32_t placements, uint32_t *handle);

/**
 * sim_gem_userptr() - create a userptr BO over client memory
 * @file: the file
 * @mm: the client's address space; it must outlive the BO
 * @addr: first byte, page aligned
 * @size: bytes, a non-zero multiple of SIM_PAGE_SIZE
 * @handle: set to the new handle
 *
 * sim_bo_create_userptr() with the file's notifier lock. The range need not
 * be mapped yet; an execbuf using the BO fails with -EFAULT while it is not.
 *
 * Context: may sleep; no mmap lock, no notifier lock held; allocates.
 * Return: 0; -EINVAL for a NULL or unaligned argument or a bad size;
 * -EOVERFLOW when the range wraps around; -ENOSPC when the table is full;
 * -ENOMEM (nothing created).
 */
int sim_gem_userptr(struct sim_file *file, struct resv_mm *mm, unsigned long addr,
		    uint64_t size, uint32_t *handle);

/**
 * sim_gem_import() - a handle for a BO another file created (PRIME import)
 * @file: the importing file
 * @bo: a BO of the same device, referenced by the caller (a dma-buf holds
 *	one)
 * @handle: set to the handle
 *
 * When @file has a handle for @bo already (it created the BO, or imported
 * it before), that handle, as the kernel's drm_gem_prime_fd_to_handle()
 * finds it in the file's PRIME cache; otherwise a new handle holding a new
 * reference on @bo. The BO's data is shared: writes through one file's
 * handle are seen through every other's. Its GPU bindings are not: each
 * file binds it in its own address space, and closing one file's handle
 * unbinds it from that file only. Two threads importing the same BO into
 * one file get the same handle.
 *
 * Context: any; allocates.
 * Return: 0; -EINVAL for a NULL argument, a BO of another device, or a
 * userptr BO (its invalidations take its creator's notifier lock: i915
 * refuses to export them) that @file did not create; -ENOSPC when the
 * file holds SIM_FILE_MAX_HANDLES handles; -ENOMEM (nothing created).
 */
int sim_gem_import(struct sim_file *file, struct sim_bo *bo, uint32_t *handle);

/**
 * sim_gem_close() - close a handle
 * @file: the file
 * @handle: the handle
 *
 * Removes the handle at once (lookups fail from now on), waits until the
 * execbufs of the file that are running have finished and until the GPU
 * work that uses the object in this file finished, unbinds it from the
 * file's address space and drops the file's reference. The handle number
 * may be given out again afterwards.
 *
 * Context: may sleep (for the object's jobs, at most a job timeout each);
 * holds no reservation; not from a fence callback, nor from inside a
 * sim_execbuf() of the same file.
 * Return: 0; -ENOENT when @handle is not open in @file (or is being
 * closed by another thread); -EINVAL when @file is NULL.
 */
int sim_gem_close(struct sim_file *file, uint32_t handle);

/**
 * sim_file_lookup_bo() - the BO behind a handle
 * @file: the file
 * @handle: the handle
 *
 * Context: any.
 * Return: the BO with a new reference (sim_bo_put() it), or NULL when
 * @handle is not open.
 */
struct sim_bo *sim_file_lookup_bo(struct sim_file *file, uint32_t handle);

/**
 * sim_gem_pwrite() - write into a BO from the CPU (i915's pwrite)
 * @file: the file
 * @handle: the handle of an ordinary (not userptr) BO
 * @offset: byte offset in the BO
 * @data: the bytes
 * @len: how many
 *
 * Waits for the GPU users of the BO (implicit sync: readers and writers),
 * gives a BO without storage its first one, then writes.
 *
 * Context: may sleep (interruptibly: -EINTR); holds no reservation.
 * Return: 0; -ENOENT for an unknown handle; -EINVAL for a range outside
 * the BO, a NULL argument, or a userptr BO (write through its &struct
 * resv_mm); -EINTR; -ENOMEM (giving it storage).
 */
int sim_gem_pwrite(struct sim_file *file, uint32_t handle, uint64_t offset, const void *data,
		   size_t len);

/**
 * sim_gem_pread() - read a BO from the CPU (i915's pread)
 * @file: the file
 * @handle: the handle of an ordinary BO
 * @offset: byte offset in the BO
 * @data: where to put the bytes
 * @len: how many
 *
 * Waits for the GPU writers of the BO first. A BO that never had storage
 * reads as zeroes.
 *
 * Context: may sleep (interruptibly); holds no reservation.
 * Return: 0; -ENOENT; -EINVAL as sim_gem_pwrite(); -EINTR.
 */
int sim_gem_pread(struct sim_file *file, uint32_t handle, uint64_t offset, void *data,
		  size_t len);

/**
 * sim_gem_wait() - wait for the GPU to be done with a BO (i915's gem_wait)
 * @file: the file
 * @handle: the handle
 * @timeout_ns: how long at most; 0 only polls; MAX_SCHEDULE_TIMEOUT waits
 *	without bound
 *
 * Waits for every job reading or writing the BO (and its moves).
 *
 * Context: may sleep (interruptibly).
 * Return: 0 when idle; -ETIMEDOUT when still busy after @timeout_ns (also
 * for a poll; i915 says -ETIME, libresv uses POSIX codes); -ENOENT;
 * -EINVAL for a NULL @file or a negative @timeout_ns; -EINTR.
 */
int sim_gem_wait(struct sim_file *file, uint32_t handle, int64_t timeout_ns);

#ifdef __cplusplus
}
#endif

#endif /* SIM_FILE_H */
