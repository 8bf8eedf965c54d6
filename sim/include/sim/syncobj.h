/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * DRM synchronisation objects ("syncobjs"), binary and timeline, with the
 * semantics of the kernel's ``drivers/gpu/drm/drm_syncobj.c`` and the
 * ``DRM_IOCTL_SYNCOBJ_*`` comments of ``drm.h``. A &struct sim_syncobj is a
 * refcounted slot holding one &struct dma_fence, or none:
 *
 * - used as a *binary* syncobj, the slot holds the fence of the last
 *   submission that signals it (sim_syncobj_replace_fence()); reset empties
 *   it, signal installs an already signaled fence;
 * - used as a *timeline* syncobj, the slot holds the newest node of a
 *   &struct dma_fence_chain: every sim_syncobj_add_point() appends one
 *   point, and point N has signaled once the chain node of N (and every
 *   earlier one) has. Points only ever increase: adding a point not above
 *   the last one still adds it, but the node gets the last point's number
 *   and a new fence context (as the kernel does, which only logs it).
 *
 * A syncobj does not know which kind it is: the same object can be used
 * both ways, as in the kernel (a binary fence is point 0 of a timeline).
 *
 * &struct sim_syncobj_table is the per-DRM-file handle table (the kernel's
 * ``drm_file.syncobj_idr``): handles are small integers from 1, the lowest
 * free one first. The sim_syncobj_table_*() array operations take handle
 * arrays and implement the ioctls with the kernel's errnos; the ioctl
 * layer only copies the uAPI structs in and out and checks their ``pad``
 * fields. Timeouts are ABSOLUTE ``CLOCK_MONOTONIC`` times in ns, as the
 * ioctls take them: 0 (or any time already past) polls, INT64_MAX waits
 * practically forever.
 *
 * A submission chaining two jobs through a timeline, then a waiter::
 *
 *	struct sim_syncobj_table table;
 *	uint32_t handle, first;
 *	uint64_t point = 1;
 *	int ret;
 *
 *	sim_syncobj_table_init(&table);
 *	ret = sim_syncobj_table_create(&table, 0, &handle);
 *	if (ret)                        // -EINVAL, -ENOMEM, -ENOSPC
 *		return ret;
 *
 *	// submitter: the job's out-fence becomes point 1
 *	struct sim_syncobj *syncobj = sim_syncobj_table_lookup(&table, handle);
 *	ret = sim_syncobj_add_point(syncobj, job_fence, 1);   // -ENOMEM
 *	sim_syncobj_put(syncobj);
 *
 *	// waiter (any thread): wait until point 1 exists and has signaled,
 *	// for at most one second
 *	ret = sim_syncobj_table_timeline_wait(&table, &handle, &point, 1,
 *			now_ns() + 1000000000,
 *			SIM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL |
 *			SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, &first);
 *	// 0, -ETIME on timeout, -ENOENT, -EINVAL, -ENOMEM
 *
 *	sim_syncobj_table_fini(&table);
 *
 * Waiting: a signaled wait sleeps on &struct dma_fence_cb callbacks; a wait
 * for a fence that is not there yet (WAIT_FOR_SUBMIT / WAIT_AVAILABLE)
 * registers a wait entry on the syncobj, which every fence installation
 * checks and wakes (the kernel's ``syncobj_wait_entry``). Nothing polls.
 *
 * Errors of fences: waits only report *whether* fences signaled. A fence
 * that signaled with an error counts as signaled, and the wait returns 0,
 * as in the kernel; the error travels with the fence
 * (dma_fence_get_status()).
 *
 * Concurrency: every function may be called from any number of threads on
 * the same syncobj or table, except sim_syncobj_table_fini(), which must
 * be the last call on its table. A syncobj's fence slot is protected by
 * the syncobj's own lock; waits sleep without it. The table's lock is held
 * only to look a handle up, install or remove one. Waits are not
 * interruptible (the kernel's are; libresv has no signals to deliver to a
 * syncobj wait), so they end only when the fences signal or the timeout
 * passes.
 *
 * Differences from the kernel: no eventfd notification
 * (``DRM_IOCTL_SYNCOBJ_EVENTFD``), no ``WAIT_DEADLINE`` flag (libdrm's
 * drm.h here does not define it), and waits are uninterruptible (above).
 */
#ifndef SIM_SYNCOBJ_H
#define SIM_SYNCOBJ_H

#include <pthread.h>
#include <stdint.h>

#include <resv/dma-fence-chain.h>
#include <resv/dma-fence.h>

#ifdef __cplusplus
extern "C" {
#endif

/** SIM_SYNCOBJ_CREATE_SIGNALED - create with a signaled fence installed (DRM_SYNCOBJ_CREATE_SIGNALED) */
#define SIM_SYNCOBJ_CREATE_SIGNALED (1u << 0)

/** SIM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL - wait for every fence, not for any one (DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL) */
#define SIM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL (1u << 0)

/**
 * SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT - a missing fence (or timeline
 * point) is waited for instead of failing with -EINVAL
 * (DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT)
 */
#define SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT (1u << 1)

/**
 * SIM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE - wait only until the fence (or
 * timeline point) exists, not until it signals; timeline waits only
 * (DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE)
 */
#define SIM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE (1u << 2)

/**
 * SIM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED - query the last point added
 * instead of the last signaled one (DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED)
 */
#define SIM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED (1u << 0)

/**
 * SIM_SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT_NS - how long sim_syncobj_find_fence()
 * waits for a fence to be submitted with WAIT_FOR_SUBMIT before -ETIME (the
 * kernel's DRM_SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT, 5 s)
 */
#define SIM_SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT_NS 5000000000LL

/** SIM_SYNCOBJ_MAX_HANDLES - the most syncobj handles one table holds at once */
#define SIM_SYNCOBJ_MAX_HANDLES (1u << 24)

struct sim_syncobj;

/**
 * struct sim_syncobj_table - a DRM file's syncobj handles
 * @lock: protects the other fields; private
 * @slots: slot h - 1 holds handle h's syncobj with a reference, or NULL;
 *	private
 * @capacity: number of @slots; private
 * @count: handles in use; private
 * @free_hint: no free slot below this index; private
 *
 * Initialise with sim_syncobj_table_init(); the fields are private.
 */
struct sim_syncobj_table {
	pthread_mutex_t lock;
	struct sim_syncobj **slots;
	uint32_t capacity;
	uint32_t count;
	uint32_t free_hint;
};

/* ---- the object ---------------------------------------------------------------------- */

/**
 * sim_syncobj_create() - create a syncobj (drm_syncobj_create())
 * @flags: 0 or SIM_SYNCOBJ_CREATE_SIGNALED
 * @out: set to the syncobj, with one reference
 *
 * Without SIM_SYNCOBJ_CREATE_SIGNALED the fence slot is empty.
 *
 * Context: any; allocates.
 * Return: 0; -EINVAL when @flags has an unknown bit or @out is NULL;
 * -ENOMEM (nothing allocated, *@out unchanged).
 */
int sim_syncobj_create(uint32_t flags, struct sim_syncobj **out);

/**
 * sim_syncobj_get() - take a reference to a syncobj
 * @syncobj: a syncobj the caller holds a reference to
 *
 * Context: any.
 * Return: @syncobj.
 */
struct sim_syncobj *sim_syncobj_get(struct sim_syncobj *syncobj);

/**
 * sim_syncobj_put() - drop a reference to a syncobj
 * @syncobj: the syncobj, or NULL
 *
 * The last put drops the fence and frees the syncobj. Nobody can be
 * waiting on it then: waiters hold references.
 *
 * Context: any.
 */
void sim_syncobj_put(struct sim_syncobj *syncobj);

/**
 * sim_syncobj_fence_get() - the syncobj's current fence (drm_syncobj_fence_get())
 * @syncobj: the syncobj
 *
 * For a timeline that is the newest chain node.
 *
 * Context: any.
 * Return: a new reference to the fence, or NULL when the slot is empty.
 */
struct dma_fence *sim_syncobj_fence_get(struct sim_syncobj *syncobj);

/**
 * sim_syncobj_replace_fence() - install a fence, binary style (drm_syncobj_replace_fence())
 * @syncobj: the syncobj
 * @fence: the new fence (the syncobj takes its own reference), or NULL to
 *	empty the slot (reset)
 *
 * Drops the old fence and wakes the waiters for submission whose wait the
 * new fence satisfies. A timeline's chain is replaced as a whole.
 *
 * Context: any; must not be called with @syncobj's lock held (it is
 * private, so: not from a waiter callback of the same syncobj).
 */
void sim_syncobj_replace_fence(struct sim_syncobj *syncobj, struct dma_fence *fence);

/**
 * sim_syncobj_signal() - install an already signaled fence (drm_syncobj_assign_null_handle())
 * @syncobj: the syncobj
 *
 * Installs a new signaled stub fence (timestamped now), as
 * DRM_IOCTL_SYNCOBJ_SIGNAL and SIM_SYNCOBJ_CREATE_SIGNALED do.
 *
 * Context: any; allocates.
 * Return: 0; -ENOMEM (the syncobj unchanged).
 */
int sim_syncobj_signal(struct sim_syncobj *syncobj);

/**
 * sim_syncobj_add_point_chain() - append a timeline point with a preallocated node
 * @syncobj: the syncobj
 * @chain: from dma_fence_chain_alloc(); the syncobj takes it over
 * @fence: the point's fence, not a chain node (the syncobj takes its own
 *	reference)
 * @point: the timeline point
 *
 * The kernel's drm_syncobj_add_point(): links a new chain node after the
 * current fence (a chain, a plain binary fence, or nothing) and installs
 * it, then wakes the waiters it satisfies, then garbage-collects the
 * signaled part of the chain. If @point is not above the current last
 * point, the node still goes in, numbered as the last point (points never
 * decrease; dma_fence_chain_init()). Cannot fail: use it where a
 * submission has passed its point of no return.
 *
 * Context: any; must not be called with @syncobj's lock held.
 */
void sim_syncobj_add_point_chain(struct sim_syncobj *syncobj, struct dma_fence_chain *chain,
				 struct dma_fence *fence, uint64_t point);

/**
 * sim_syncobj_add_point() - append a timeline point
 * @syncobj: the syncobj
 * @fence: the point's fence, not a chain node (the syncobj takes its own
 *	reference)
 * @point: the timeline point
 *
 * sim_syncobj_add_point_chain() with a node it allocates.
 *
 * Context: any; allocates.
 * Return: 0; -EINVAL when @syncobj or @fence is NULL; -ENOMEM (the
 * syncobj unchanged).
 */
int sim_syncobj_add_point(struct sim_syncobj *syncobj, struct dma_fence *fence, uint64_t point);

/**
 * sim_syncobj_find_fence() - the fence that signals a point (drm_syncobj_find_fence())
 * @syncobj: the syncobj
 * @point: the timeline point, or 0 for the current fence as it is
 * @flags: 0 or SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT
 * @fence: set to a new reference to the fence on success (never NULL: a
 *	point that has already signaled gives the signaled stub fence)
 *
 * Without WAIT_FOR_SUBMIT a missing fence (empty slot, or a @point above
 * the timeline's last point, or any @point > 0 of a binary syncobj) is an
 * error. With it, the call sleeps until a fence for @point is installed,
 * for at most SIM_SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT_NS.
 *
 * Context: may sleep with WAIT_FOR_SUBMIT; the caller must hold no lock
 * that a submitter needs.
 * Return: 0; -EINVAL when @syncobj or @fence is NULL, when @flags has a
 * bit other than WAIT_FOR_SUBMIT, or when there is no fence for @point and
 * no WAIT_FOR_SUBMIT; -ETIME when
 * WAIT_FOR_SUBMIT waited the whole timeout. *@fence is set to NULL on
 * every error.
 */
int sim_syncobj_find_fence(struct sim_syncobj *syncobj, uint64_t point, uint32_t flags,
			   struct dma_fence **fence);

/**
 * sim_syncobj_find_fence_timeout() - sim_syncobj_find_fence() with another submit timeout
 * @syncobj: the syncobj
 * @point: the timeline point, or 0 for the current fence
 * @flags: 0 or SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT
 * @timeout_ns: how long WAIT_FOR_SUBMIT waits, relative, in ns (0: do not
 *	wait, fail with -ETIME at once)
 * @fence: set to a new reference to the fence on success
 *
 * Context: may sleep with WAIT_FOR_SUBMIT.
 * Return: as sim_syncobj_find_fence(); also -EINVAL when @timeout_ns is
 * negative.
 */
int sim_syncobj_find_fence_timeout(struct sim_syncobj *syncobj, uint64_t point, uint32_t flags,
				   int64_t timeout_ns, struct dma_fence **fence);

/* ---- the handle table ---------------------------------------------------------------- */

/**
 * sim_syncobj_table_init() - initialise an empty table
 * @table: the table
 *
 * Context: any; does not allocate (the first handle does).
 */
void sim_syncobj_table_init(struct sim_syncobj_table *table);

/**
 * sim_syncobj_table_fini() - drop every handle and free the table
 * @table: the table
 *
 * Syncobjs referenced elsewhere (an exported fd, a wait in progress on
 * another table) live on until their last put.
 *
 * Context: the last call on @table; no other thread uses it.
 */
void sim_syncobj_table_fini(struct sim_syncobj_table *table);

/**
 * sim_syncobj_table_create() - create a syncobj and a handle for it (DRM_IOCTL_SYNCOBJ_CREATE)
 * @table: the table
 * @flags: 0 or SIM_SYNCOBJ_CREATE_SIGNALED
 * @handle: set to the new handle
 *
 * Context: any; allocates.
 * Return: 0; -EINVAL when @flags has an unknown bit or @handle is NULL;
 * -ENOMEM; -ENOSPC when the table holds SIM_SYNCOBJ_MAX_HANDLES. On error
 * nothing is allocated and the table is unchanged.
 */
int sim_syncobj_table_create(struct sim_syncobj_table *table, uint32_t flags, uint32_t *handle);

/**
 * sim_syncobj_table_install() - give an existing syncobj a handle (drm_syncobj_get_handle())
 * @table: the table
 * @syncobj: the syncobj; the table takes its own reference on success
 * @handle: set to the new handle
 *
 * For DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE: the same object may have handles in
 * several tables, or several in one.
 *
 * Context: any; allocates.
 * Return: 0; -EINVAL when @syncobj or @handle is NULL; -ENOMEM; -ENOSPC
 * when the table is full. On error the table and @syncobj's references
 * are unchanged.
 */
int sim_syncobj_table_install(struct sim_syncobj_table *table, struct sim_syncobj *syncobj,
			      uint32_t *handle);

/**
 * sim_syncobj_table_destroy() - drop a handle (DRM_IOCTL_SYNCOBJ_DESTROY)
 * @table: the table
 * @handle: the handle
 *
 * The handle's number becomes free; the syncobj lives on while referenced
 * elsewhere.
 *
 * Context: any.
 * Return: 0; -EINVAL when @handle is not in the table (as the kernel's
 * drm_syncobj_destroy(), not -ENOENT).
 */
int sim_syncobj_table_destroy(struct sim_syncobj_table *table, uint32_t handle);

/**
 * sim_syncobj_table_lookup() - a handle's syncobj (drm_syncobj_find())
 * @table: the table
 * @handle: the handle
 *
 * Context: any.
 * Return: the syncobj with a new reference (sim_syncobj_put() it), or NULL
 * when @handle is not in the table.
 */
struct sim_syncobj *sim_syncobj_table_lookup(struct sim_syncobj_table *table, uint32_t handle);

/**
 * sim_syncobj_table_count() - number of handles in the table
 * @table: the table
 *
 * Context: any.
 * Return: the number of handles in use.
 */
uint32_t sim_syncobj_table_count(struct sim_syncobj_table *table);

/**
 * sim_syncobj_table_next() - iterate over the handles in increasing order
 * @table: the table
 * @after: 0 to start, else the last handle returned
 *
 * ``for (h = sim_syncobj_table_next(t, 0); h; h = sim_syncobj_table_next(t, h))``
 * visits every handle present for the whole loop once; handles created or
 * destroyed meanwhile may or may not be visited.
 *
 * Context: any.
 * Return: the smallest handle above @after, or 0 when there is none.
 */
uint32_t sim_syncobj_table_next(struct sim_syncobj_table *table, uint32_t after);

/* ---- the ioctls: arrays of handles --------------------------------------------------- */

/**
 * sim_syncobj_table_wait() - wait for binary syncobjs (DRM_IOCTL_SYNCOBJ_WAIT)
 * @table: the table
 * @handles: @count handles
 * @count: number of handles
 * @timeout_nsec: absolute CLOCK_MONOTONIC deadline in ns; 0 or a past time
 *	polls
 * @flags: SIM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL and/or
 *	SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT
 * @first_signaled: if not NULL, set on success as the kernel sets
 *	``first_signaled``: without WAIT_ALL the index of the fence that
 *	ended the wait; with WAIT_ALL the index of the first fence found
 *	signaled before sleeping, or UINT32_MAX when none was
 *
 * Waits until all (WAIT_ALL) or any of the syncobjs' current fences have
 * signaled. Fences are taken when the wait starts: a syncobj reset or
 * replaced during the wait does not change what is waited for. With
 * WAIT_FOR_SUBMIT an empty syncobj is waited on until a fence is installed
 * (and then until it signals).
 *
 * @count 0 waits for nothing and succeeds at once, leaving
 * *@first_signaled untouched (as current kernels do; older ones returned
 * -EINVAL).
 *
 * Context: may sleep; allocates.
 * Return: 0; -EINVAL when @flags has a bit other than WAIT_ALL and
 * WAIT_FOR_SUBMIT, or when a syncobj has no fence and WAIT_FOR_SUBMIT is
 * not set; -EFAULT when @handles is NULL; -ENOENT when a handle is not in
 * the table; -ETIME when the deadline passed first; -ENOMEM. Checks run in
 * that order (flags, count, handles, fences), as in the kernel.
 */
int sim_syncobj_table_wait(struct sim_syncobj_table *table, const uint32_t *handles,
			   uint32_t count, int64_t timeout_nsec, uint32_t flags,
			   uint32_t *first_signaled);

/**
 * sim_syncobj_table_timeline_wait() - wait for timeline points (DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT)
 * @table: the table
 * @handles: @count handles
 * @points: @count points (0: the syncobj's current fence, as a binary
 *	wait), or NULL for all 0 (the kernel reads a NULL ``points`` so)
 * @count: number of handles
 * @timeout_nsec: absolute CLOCK_MONOTONIC deadline in ns; 0 or a past time
 *	polls
 * @flags: SIM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, _WAIT_FOR_SUBMIT, _WAIT_AVAILABLE
 * @first_signaled: if not NULL, set on success as in
 *	sim_syncobj_table_wait()
 *
 * As sim_syncobj_table_wait(), per point: point N of a timeline is there
 * once a point >= N was added, and signaled once that chain node has.
 * With WAIT_AVAILABLE a point counts as done as soon as it is there
 * (implies waiting for submission).
 *
 * @count 0 succeeds at once, as in sim_syncobj_table_wait().
 *
 * Context: may sleep; allocates.
 * Return: 0; -EINVAL when @flags has an unknown bit, or when a point is
 * not there and neither WAIT_FOR_SUBMIT nor WAIT_AVAILABLE is set; -EFAULT when @handles is NULL; -ENOENT when a handle is not in
 * the table; -ETIME when the deadline passed first; -ENOMEM.
 */
int sim_syncobj_table_timeline_wait(struct sim_syncobj_table *table, const uint32_t *handles,
				    const uint64_t *points, uint32_t count, int64_t timeout_nsec,
				    uint32_t flags, uint32_t *first_signaled);

/**
 * sim_syncobj_table_reset() - empty syncobjs (DRM_IOCTL_SYNCOBJ_RESET)
 * @table: the table
 * @handles: @count handles
 * @count: number of handles
 *
 * Context: any; allocates.
 * Return: 0; -EINVAL when @count is 0; -EFAULT when @handles is NULL;
 * -ENOENT when a handle is not in the table (nothing reset); -ENOMEM
 * (nothing reset).
 */
int sim_syncobj_table_reset(struct sim_syncobj_table *table, const uint32_t *handles,
			    uint32_t count);

/**
 * sim_syncobj_table_signal() - install signaled fences (DRM_IOCTL_SYNCOBJ_SIGNAL)
 * @table: the table
 * @handles: @count handles
 * @count: number of handles
 *
 * Each syncobj gets a new signaled stub fence, binary style (a timeline's
 * chain is replaced).
 *
 * Context: any; allocates.
 * Return: 0; -EINVAL when @count is 0; -EFAULT when @handles is NULL;
 * -ENOENT when a handle is not in the table (nothing signaled); -ENOMEM
 * (as the kernel: the syncobjs before the failing one are signaled, the
 * rest unchanged).
 */
int sim_syncobj_table_signal(struct sim_syncobj_table *table, const uint32_t *handles,
			     uint32_t count);

/**
 * sim_syncobj_table_timeline_signal() - signal timeline points (DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL)
 * @table: the table
 * @handles: @count handles
 * @points: @count points, or NULL for all 0
 * @count: number of handles
 * @flags: must be 0
 *
 * Appends to each syncobj a point carrying a signaled stub fence. Point 0
 * is passed on as it is, as the kernel does: it appends a node numbered
 * as the timeline's last point (0 on an empty syncobj).
 *
 * Context: any; allocates.
 * Return: 0; -EINVAL when @flags is not 0 or @count is 0; -EFAULT when
 * @handles is NULL; -ENOENT when a handle is not in the table; -ENOMEM.
 * On error no syncobj is changed.
 */
int sim_syncobj_table_timeline_signal(struct sim_syncobj_table *table, const uint32_t *handles,
				      const uint64_t *points, uint32_t count, uint32_t flags);

/**
 * sim_syncobj_table_query() - read timeline points (DRM_IOCTL_SYNCOBJ_QUERY)
 * @table: the table
 * @handles: @count handles
 * @points: @count outputs
 * @count: number of handles
 * @flags: 0 or SIM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED
 *
 * Without flags, each point is the last signaled point of the timeline
 * (the newest point whose node and every earlier one in the same context
 * have signaled); with LAST_SUBMITTED, the last point added. A syncobj
 * whose fence is not a chain node (binary, or empty) reads 0.
 *
 * Context: any; allocates.
 * Return: 0; -EINVAL when @flags has an unknown bit or @count is 0;
 * -EFAULT when @handles or @points is NULL; -ENOENT when a handle is not
 * in the table (@points unchanged); -ENOMEM (@points unchanged).
 */
int sim_syncobj_table_query(struct sim_syncobj_table *table, const uint32_t *handles,
			    uint64_t *points, uint32_t count, uint32_t flags);

/**
 * sim_syncobj_table_transfer() - copy a fence between syncobjs (DRM_IOCTL_SYNCOBJ_TRANSFER)
 * @table: the table
 * @src_handle: the source syncobj
 * @src_point: the source point (0: its current fence)
 * @dst_handle: the destination syncobj
 * @dst_point: the destination point; 0 installs binary style
 *	(sim_syncobj_replace_fence()), otherwise the fence is added as that
 *	timeline point
 * @flags: 0 or SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT (wait up to
 *	SIM_SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT_NS for the source point)
 *
 * The source fence is found as sim_syncobj_find_fence() does. Added to a
 * timeline, it is first flattened (dma_fence_unwrap_merge()), since a
 * chain node must not contain another chain.
 *
 * Context: may sleep with WAIT_FOR_SUBMIT; allocates.
 * Return: 0; -ENOENT when @dst_handle is not in the table; then -EINVAL
 * when @flags has a bit other than WAIT_FOR_SUBMIT; then -ENOENT when
 * @src_handle is not in the table; -EINVAL when the source has no fence
 * for @src_point without WAIT_FOR_SUBMIT; -ETIME when WAIT_FOR_SUBMIT
 * timed out; -ENOMEM. (The kernel's order: destination, flags, source.)
 * On error the destination is unchanged.
 */
int sim_syncobj_table_transfer(struct sim_syncobj_table *table, uint32_t src_handle,
			       uint64_t src_point, uint32_t dst_handle, uint64_t dst_point,
			       uint32_t flags);

#ifdef __cplusplus
}
#endif

#endif /* SIM_SYNCOBJ_H */
