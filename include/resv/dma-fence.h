/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * A &struct dma_fence is a one-shot completion event: it starts unsignaled
 * and is signaled exactly once, usually when the (simulated) GPU finished
 * a job. Other threads wait for it, or attach callbacks that run when it
 * signals. Semantics follow the Linux kernel's ``include/linux/dma-fence.h``
 * and ``drivers/dma-buf/dma-fence.c``; the differences are listed at the
 * end.
 *
 * Every fence belongs to a *context* (a timeline, from
 * dma_fence_context_alloc()) and carries a sequence number; the fences of
 * one context signal in seqno order, so dma_fence_is_later() can compare
 * them. A complete producer and consumer::
 *
 *	#include <errno.h>
 *	#include <resv/dma-fence.h>
 *
 *	static const char *drv_name(struct dma_fence *f) { return "mydrv"; }
 *	static const char *tl_name(struct dma_fence *f) { return "ring0"; }
 *	static const struct dma_fence_ops my_ops = {
 *		.get_driver_name = drv_name,
 *		.get_timeline_name = tl_name,
 *		// no .release: freed by libresv after an RCU grace period
 *	};
 *	static struct resv_spinlock ring_lock = RESV_SPINLOCK_INITIALIZER;
 *
 *	static void on_done(struct dma_fence *f, struct dma_fence_cb *cb)
 *	{
 *		// runs once, with f->lock held: must not sleep or wait
 *	}
 *
 *	int submit_and_wait(void)
 *	{
 *		uint64_t ctx = dma_fence_context_alloc(1);
 *		struct dma_fence *f = resv_dma_fence_alloc(sizeof(*f));
 *		struct dma_fence_cb cb;
 *		signed long left;
 *		bool cookie;
 *		int ret;
 *
 *		if (!f)
 *			return -ENOMEM;
 *		dma_fence_init(f, &my_ops, &ring_lock, ctx, 1);
 *		// -ENOENT: already signaled, on_done will not be called
 *		ret = dma_fence_add_callback(f, &cb, on_done);
 *
 *		// the completion side (normally another thread):
 *		cookie = dma_fence_begin_signalling();
 *		dma_fence_set_error(f, -ECANCELED);     // optional, before signal
 *		dma_fence_signal(f);                    // runs on_done
 *		dma_fence_end_signalling(cookie);
 *
 *		left = dma_fence_wait_timeout(f, true, 1000000000L); // 1 s
 *		if (left > 0)                           // 0: timeout, <0: -RESV_ERESTARTSYS
 *			ret = dma_fence_get_status(f);  // 1, or the error
 *		dma_fence_put(f);                       // last reference: freed after RCU
 *		resv_rcu_barrier();                     // at teardown: no pending frees
 *		return ret;
 *	}
 *
 * Memory: a fence whose ops have no ->release must have been allocated
 * with resv_dma_fence_alloc() (the counterpart of the kernel's kmalloc +
 * kfree_rcu default); its memory is freed through the library's allocator
 * after an RCU grace period. Fences embedded in other memory (stack,
 * malloc, driver structs) need an ops->release that frees or recycles
 * them; dma_fence_free() is the default behaviour for those that want it.
 *
 * Timeouts are ``signed long`` nanoseconds instead of jiffies;
 * MAX_SCHEDULE_TIMEOUT waits forever. "Interruptible" waits end with
 * -RESV_ERESTARTSYS when resv_thread_interrupt() is pending for the
 * waiting thread (see <resv/thread.h>). Timestamps are int64_t nanoseconds
 * of CLOCK_MONOTONIC instead of ktime_t.
 *
 * Signalling critical sections (dma_fence_begin_signalling() /
 * dma_fence_end_signalling()) mark code on the path to signalling a fence
 * that others may wait on; waiting for a fence inside one can deadlock, and
 * debug builds report it (RESV_REPORT_FENCE_WAIT_IN_SIGNALLING).
 *
 * Differences from the kernel, on purpose:
 *
 * - dma_fence_set_error() after signalling, or with error >= 0, is rejected:
 *   the error is left unchanged (the kernel WARNs and stores it anyway).
 * - Kernel WARN_ON()s (cross-context comparison, timestamp of an unsignaled
 *   fence, release with pending callbacks, misuse) print one line to stderr
 *   in debug builds; the checks and their fallback results are the same in
 *   every build.
 * - dma_fence_wait_any_timeout() also counts as a fence wait for the
 *   signalling-section check.
 */
#ifndef RESV_DMA_FENCE_H
#define RESV_DMA_FENCE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <urcu/list.h>
#include <urcu/ref.h>

#include <resv/compiler.h>
#include <resv/rcu.h>
#include <resv/spinlock.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * RESV_ERESTARTSYS - the kernel's ERESTARTSYS (512), returned negated by
 * interruptible fence waits that were interrupted
 *
 * The kernel never lets this code reach userspace (the syscall is restarted
 * or turned into -EINTR); libresv hands it to the caller, who should unwind
 * and treat it like -EINTR.
 */
#define RESV_ERESTARTSYS 512

#ifndef MAX_SCHEDULE_TIMEOUT
/** MAX_SCHEDULE_TIMEOUT - a timeout that never expires */
#define MAX_SCHEDULE_TIMEOUT LONG_MAX
#endif

struct dma_fence;
struct dma_fence_cb;

/**
 * enum dma_fence_flag_bits - bit numbers in &dma_fence.flags
 * @DMA_FENCE_FLAG_SEQNO64_BIT: seqnos compare as 64-bit numbers
 *	(dma_fence_init64()); otherwise the lower 32 bits, wrap-safe
 * @DMA_FENCE_FLAG_SIGNALED_BIT: the fence is signaled
 * @DMA_FENCE_FLAG_TIMESTAMP_BIT: &dma_fence.timestamp is valid
 * @DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT: signalling was enabled
 *	(dma_fence_enable_sw_signaling(), a callback or a wait)
 * @DMA_FENCE_FLAG_USER_BITS: first bit free for the fence's implementer
 */
enum dma_fence_flag_bits {
	DMA_FENCE_FLAG_SEQNO64_BIT,
	DMA_FENCE_FLAG_SIGNALED_BIT,
	DMA_FENCE_FLAG_TIMESTAMP_BIT,
	DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT,
	DMA_FENCE_FLAG_USER_BITS,
};

/**
 * typedef dma_fence_func_t - a fence callback
 * @fence: the fence that signaled
 * @cb: the callback as passed to dma_fence_add_callback(); embed it and use
 *	caa_container_of() to reach your data
 *
 * Called once, with @fence->lock held; must not sleep, wait for fences or
 * take @fence->lock.
 */
typedef void (*dma_fence_func_t)(struct dma_fence *fence, struct dma_fence_cb *cb);

/**
 * struct dma_fence_cb - a callback node, owned by the caller
 * @node: on the fence's list while pending; empty once run or removed
 * @func: the function to call
 */
struct dma_fence_cb {
	struct cds_list_head node;
	dma_fence_func_t func;
};

/**
 * struct dma_fence_ops - what a fence implementer provides
 * @get_driver_name: mandatory; a name for debugging
 * @get_timeline_name: mandatory; a name for debugging
 * @enable_signaling: optional; called at most once, with the fence lock
 *	held, when someone first needs the fence to signal (callback, wait,
 *	dma_fence_enable_sw_signaling()). Return false if the fence is already
 *	done (it is then signaled at once; may set an error first).
 * @signaled: optional fast check "has it completed?"; once it returned true
 *	it must keep returning true. May set an error. When it returns true,
 *	dma_fence_is_signaled() signals the fence.
 * @wait: optional, deprecated; replaces dma_fence_default_wait(); same
 *	arguments and return values as dma_fence_wait_timeout()
 * @release: optional; called at the last dma_fence_put() and responsible
 *	for the memory. Default: dma_fence_free().
 * @set_deadline: optional hint that someone needs the fence signaled by
 *	@deadline (CLOCK_MONOTONIC ns); may be called many times, from any
 *	context; the callee tracks the soonest.
 */
struct dma_fence_ops {
	const char *(*get_driver_name)(struct dma_fence *fence);
	const char *(*get_timeline_name)(struct dma_fence *fence);
	bool (*enable_signaling)(struct dma_fence *fence);
	bool (*signaled)(struct dma_fence *fence);
	signed long (*wait)(struct dma_fence *fence, bool intr, signed long timeout);
	void (*release)(struct dma_fence *fence);
	void (*set_deadline)(struct dma_fence *fence, int64_t deadline);
};

/**
 * struct dma_fence - a software-signaled completion event
 * @lock: protects @cb_list, the signalled transition and @error writes;
 *	may be shared by all fences of a timeline
 * @ops: the implementer's operations
 * @cb_list: pending callbacks, until the fence signals
 * @timestamp: signal time (CLOCK_MONOTONIC ns), valid once
 *	DMA_FENCE_FLAG_TIMESTAMP_BIT is set (replaces @cb_list)
 * @rcu: deferred-free storage, used after the last reference is gone
 * @context: the timeline, from dma_fence_context_alloc()
 * @seqno: position on the timeline
 * @flags: &enum dma_fence_flag_bits, atomic
 * @refcount: references; the fence is released when it drops to zero
 * @error: 0, or a negative errno set with dma_fence_set_error() before
 *	signalling
 */
struct dma_fence {
	struct resv_spinlock *lock;
	const struct dma_fence_ops *ops;
	union {
		struct cds_list_head cb_list;
		int64_t timestamp;
		struct resv_rcu_head rcu;
	};
	uint64_t context;
	uint64_t seqno;
	unsigned long flags;
	struct urcu_ref refcount;
	int error;
};

/* ---- allocation, initialisation, references ------------------------------ */

/**
 * dma_fence_context_alloc() - allocate fence contexts (timelines)
 * @num: how many consecutive contexts; must be > 0
 *
 * Context 0 is never returned: it belongs to the stub fence.
 *
 * Context: any thread.
 * Return: the first of @num new, process-unique context numbers (the first
 * call returns 1).
 */
RESV_EXPORT uint64_t dma_fence_context_alloc(unsigned int num);

/**
 * resv_dma_fence_alloc() - allocate memory for a fence with default release
 * @size: bytes; the allocation starts with the &struct dma_fence (embed it
 *	first in a larger struct); at least sizeof(struct dma_fence)
 *
 * Memory from the library's allocator (so fault injection and statistics
 * see it), zero-filled. After dma_fence_init() with ops without ->release,
 * the last dma_fence_put() frees it after an RCU grace period. Before
 * dma_fence_init(), give it back with resv_dma_fence_free_unused().
 *
 * Context: any thread.
 * Return: the memory, or NULL when allocation failed (or @size is too small).
 */
RESV_EXPORT RESV_MUST_CHECK void *resv_dma_fence_alloc(size_t size);

/**
 * resv_dma_fence_free_unused() - free resv_dma_fence_alloc() memory at once
 * @ptr: memory from resv_dma_fence_alloc() that was never initialised as a
 *	fence (NULL is ignored)
 *
 * Context: any thread.
 */
RESV_EXPORT void resv_dma_fence_free_unused(void *ptr);

/**
 * dma_fence_init() - initialise a fence with 32-bit seqno ordering
 * @fence: the fence
 * @ops: operations; @ops->get_driver_name and @ops->get_timeline_name are
 *	mandatory
 * @lock: the lock protecting the fence, usually shared by its timeline
 * @context: the timeline, from dma_fence_context_alloc()
 * @seqno: position on the timeline; compared on its lower 32 bits, wrap-safe
 *
 * Sets the reference count to 1, no error, unsignaled. A missing @lock,
 * @ops or mandatory op aborts the program (the kernel BUG()s).
 *
 * Context: any; @fence not yet visible to others.
 */
RESV_EXPORT void dma_fence_init(struct dma_fence *fence, const struct dma_fence_ops *ops,
				struct resv_spinlock *lock, uint64_t context, uint64_t seqno);

/**
 * dma_fence_init64() - initialise a fence with 64-bit seqno ordering
 * @fence: the fence
 * @ops: as dma_fence_init()
 * @lock: as dma_fence_init()
 * @context: as dma_fence_init()
 * @seqno: position on the timeline, compared as a 64-bit number
 *
 * As dma_fence_init(), and sets DMA_FENCE_FLAG_SEQNO64_BIT.
 *
 * Context: any; @fence not yet visible to others.
 */
RESV_EXPORT void dma_fence_init64(struct dma_fence *fence, const struct dma_fence_ops *ops,
				  struct resv_spinlock *lock, uint64_t context, uint64_t seqno);

/**
 * dma_fence_get() - take a reference
 * @fence: the fence, or NULL
 *
 * Context: any; the caller already holds a reference.
 * Return: @fence.
 */
RESV_EXPORT struct dma_fence *dma_fence_get(struct dma_fence *fence);

/**
 * dma_fence_put() - drop a reference
 * @fence: the fence, or NULL
 *
 * At the last reference the fence is released: if it is still unsignaled
 * with callbacks pending, its error becomes -EDEADLK and it is signaled
 * (a debug build prints a warning), then @fence->ops->release is called, or
 * dma_fence_free() when there is none.
 *
 * Context: any; must not be called with @fence->lock held if this may be
 * the last reference.
 */
RESV_EXPORT void dma_fence_put(struct dma_fence *fence);

/**
 * dma_fence_get_rcu() - take a reference unless the fence is dying
 * @fence: a fence found under resv_rcu_read_lock(), possibly without a
 *	reference
 *
 * Context: inside an RCU read-side section (or holding a reference).
 * Return: @fence with a new reference, or NULL when its reference count
 * already reached zero.
 */
RESV_EXPORT RESV_MUST_CHECK struct dma_fence *dma_fence_get_rcu(struct dma_fence *fence);

/**
 * dma_fence_get_rcu_safe() - take a reference to the fence a pointer names
 * @fencep: an RCU-protected pointer to a fence, which writers may change
 *	concurrently
 *
 * Retries until it holds a reference to the fence that @fencep still
 * points to afterwards, so the result is not a recycled object.
 *
 * Context: inside an RCU read-side section.
 * Return: the fence with a new reference, or NULL when @fencep is NULL.
 */
RESV_EXPORT RESV_MUST_CHECK struct dma_fence *dma_fence_get_rcu_safe(struct dma_fence **fencep);

/**
 * dma_fence_free() - the default release: free after a grace period
 * @fence: a fence allocated with resv_dma_fence_alloc(), reference count 0
 *
 * For ops->release implementations that do their own cleanup first.
 *
 * Context: any.
 */
RESV_EXPORT void dma_fence_free(struct dma_fence *fence);

/* ---- signalling ----------------------------------------------------------- */

/**
 * dma_fence_signal_timestamp_locked() - signal with a given timestamp
 * @fence: the fence
 * @timestamp: the completion time (CLOCK_MONOTONIC ns)
 *
 * Signaling is idempotent: only the first call has an effect. It sets
 * DMA_FENCE_FLAG_SIGNALED_BIT, stores @timestamp, sets
 * DMA_FENCE_FLAG_TIMESTAMP_BIT, then calls every pending callback once, in
 * the order they were added, with @fence->lock held.
 *
 * Context: @fence->lock held (checked in debug builds).
 */
RESV_EXPORT void dma_fence_signal_timestamp_locked(struct dma_fence *fence, int64_t timestamp);

/**
 * dma_fence_signal_timestamp() - signal with a given timestamp
 * @fence: the fence
 * @timestamp: the completion time (CLOCK_MONOTONIC ns)
 *
 * dma_fence_signal_timestamp_locked() under @fence->lock, inside a
 * signalling section.
 *
 * Context: @fence->lock not held.
 */
RESV_EXPORT void dma_fence_signal_timestamp(struct dma_fence *fence, int64_t timestamp);

/**
 * dma_fence_signal_locked() - signal now
 * @fence: the fence
 *
 * dma_fence_signal_timestamp_locked() with the current time.
 *
 * Context: @fence->lock held (checked in debug builds).
 */
RESV_EXPORT void dma_fence_signal_locked(struct dma_fence *fence);

/**
 * dma_fence_signal() - signal now
 * @fence: the fence (NULL is a warned no-op)
 *
 * Idempotent. Runs the pending callbacks in registration order with
 * @fence->lock held, inside a signalling section.
 *
 * Context: @fence->lock not held.
 */
RESV_EXPORT void dma_fence_signal(struct dma_fence *fence);

/**
 * dma_fence_check_and_signal_locked() - signal, saying whether it already was
 * @fence: the fence
 *
 * Context: @fence->lock held.
 * Return: true when @fence was already signaled before the call.
 */
RESV_EXPORT bool dma_fence_check_and_signal_locked(struct dma_fence *fence);

/**
 * dma_fence_check_and_signal() - signal, saying whether it already was
 * @fence: the fence
 *
 * Context: @fence->lock not held.
 * Return: true when @fence was already signaled before the call.
 */
RESV_EXPORT bool dma_fence_check_and_signal(struct dma_fence *fence);

/**
 * dma_fence_test_signaled_flag() - is the signaled bit set
 * @fence: the fence
 *
 * A pure test with no side effects (does not ask @fence->ops->signaled).
 *
 * Context: any.
 * Return: true when signaled.
 */
RESV_EXPORT bool dma_fence_test_signaled_flag(struct dma_fence *fence);

/**
 * dma_fence_is_signaled() - has the fence completed
 * @fence: the fence
 *
 * Tests the signaled bit; if it is clear and @fence->ops->signaled reports
 * completion, signals the fence (callbacks run) and reports true.
 *
 * Context: @fence->lock not held.
 * Return: true when signaled.
 */
RESV_EXPORT bool dma_fence_is_signaled(struct dma_fence *fence);

/**
 * dma_fence_is_signaled_locked() - has the fence completed
 * @fence: the fence
 *
 * As dma_fence_is_signaled(), signalling with dma_fence_signal_locked().
 *
 * Context: @fence->lock held.
 * Return: true when signaled.
 */
RESV_EXPORT bool dma_fence_is_signaled_locked(struct dma_fence *fence);

/**
 * dma_fence_get_status_locked() - completion status
 * @fence: the fence
 *
 * Context: @fence->lock held.
 * Return: 0 while unsignaled; 1 when signaled without error; the negative
 * error when signaled with one.
 */
RESV_EXPORT int dma_fence_get_status_locked(struct dma_fence *fence);

/**
 * dma_fence_get_status() - completion status
 * @fence: the fence
 *
 * Context: @fence->lock not held.
 * Return: 0 while unsignaled; 1 when signaled without error; the negative
 * error when signaled with one.
 */
RESV_EXPORT int dma_fence_get_status(struct dma_fence *fence);

/**
 * dma_fence_set_error() - record that the job behind the fence failed
 * @fence: the fence, not yet signaled
 * @error: a negative errno (e.g. -ECANCELED, -ETIME, -ENODATA)
 *
 * Must precede signalling; callbacks and waiters then see it through
 * @fence->error and dma_fence_get_status(). A call after signalling, or with
 * @error >= 0 (or below -4095), is rejected: the error stays unchanged and
 * debug builds print a warning.
 *
 * Context: usually @fence->lock held or the only signaller.
 */
RESV_EXPORT void dma_fence_set_error(struct dma_fence *fence, int error);

/**
 * dma_fence_timestamp() - when the fence signaled
 * @fence: a signaled fence
 *
 * Spins until the signaller stored the timestamp (the window between the
 * signaled and timestamp bits is short).
 *
 * Context: any.
 * Return: the signal time (CLOCK_MONOTONIC ns); for an unsignaled fence
 * (a warned misuse) the current time.
 */
RESV_EXPORT int64_t dma_fence_timestamp(struct dma_fence *fence);

/**
 * dma_fence_driver_name() - the driver name, safe after signalling
 * @fence: the fence
 *
 * Context: any; caller holds a reference.
 * Return: @fence->ops->get_driver_name(), or "detached-driver" once
 * signaled (the driver may be gone).
 */
RESV_EXPORT const char *dma_fence_driver_name(struct dma_fence *fence);

/**
 * dma_fence_timeline_name() - the timeline name, safe after signalling
 * @fence: the fence
 *
 * Context: any; caller holds a reference.
 * Return: @fence->ops->get_timeline_name(), or "signaled-timeline" once
 * signaled.
 */
RESV_EXPORT const char *dma_fence_timeline_name(struct dma_fence *fence);

/* ---- callbacks and signalling enable -------------------------------------- */

/**
 * dma_fence_add_callback() - call a function when the fence signals
 * @fence: the fence; the caller holds a reference
 * @cb: caller-owned node, on at most one fence at a time
 * @func: the function
 *
 * Enables signalling. Callbacks run in the order they were added.
 *
 * Context: @fence->lock not held.
 * Return: 0 when @func will be called once @fence signals; -ENOENT when
 * @fence is already signaled (or enable_signaling reported it done):
 * @func is not called and @cb is left empty; -EINVAL when @fence or @func
 * is NULL (warned).
 */
RESV_EXPORT RESV_MUST_CHECK int dma_fence_add_callback(struct dma_fence *fence,
						       struct dma_fence_cb *cb,
						       dma_fence_func_t func);

/**
 * dma_fence_remove_callback() - cancel a callback
 * @fence: the fence @cb was added to
 * @cb: a callback added with dma_fence_add_callback() (returned 0)
 *
 * Meant for recovery paths. Undefined for a @cb that was never added.
 *
 * Context: @fence->lock not held.
 * Return: true when @cb was pending and is now removed (it will not run);
 * false when it already ran or was removed.
 */
RESV_EXPORT bool dma_fence_remove_callback(struct dma_fence *fence, struct dma_fence_cb *cb);

/**
 * dma_fence_enable_sw_signaling() - ask the implementer to signal
 * @fence: the fence
 *
 * Calls @fence->ops->enable_signaling once in the fence's life (with
 * @fence->lock held); if it returns false the fence is signaled at once.
 *
 * Context: @fence->lock not held.
 */
RESV_EXPORT void dma_fence_enable_sw_signaling(struct dma_fence *fence);

/* ---- waiting ---------------------------------------------------------------- */

/**
 * dma_fence_default_wait() - wait by callback and sleep
 * @fence: the fence; caller holds a reference
 * @intr: interruptible: resv_thread_interrupt() ends the wait
 * @timeout: nanoseconds, >= 0, or MAX_SCHEDULE_TIMEOUT
 *
 * The implementation behind dma_fence_wait_timeout() when @fence->ops has
 * no ->wait. Expects signalling to be enabled already.
 *
 * Context: may sleep; @fence->lock not held.
 * Return: remaining time (> 0, at least 1; MAX_SCHEDULE_TIMEOUT for an
 * infinite wait) once signaled; 0 on timeout (for @timeout 0: not
 * signaled); -RESV_ERESTARTSYS when interrupted.
 */
RESV_EXPORT RESV_MUST_CHECK signed long dma_fence_default_wait(struct dma_fence *fence, bool intr,
							       signed long timeout);

/**
 * dma_fence_wait_timeout() - wait for a fence, with a timeout
 * @fence: the fence; caller holds a reference
 * @intr: interruptible: resv_thread_interrupt() ends the wait
 * @timeout: nanoseconds; 0 only polls (never sleeps); MAX_SCHEDULE_TIMEOUT
 *	never times out
 *
 * Enables signalling, then waits through @fence->ops->wait or
 * dma_fence_default_wait(). A fence wait inside a signalling section is
 * reported in debug builds.
 *
 * Context: may sleep; @fence->lock not held.
 * Return: remaining time (> 0, at least 1) when signaled — for @timeout 0,
 * 1 when signaled; 0 when the time ran out (for @timeout 0: not signaled);
 * -RESV_ERESTARTSYS when interrupted (@intr); -EINVAL when @timeout < 0
 * (warned).
 */
RESV_EXPORT RESV_MUST_CHECK signed long dma_fence_wait_timeout(struct dma_fence *fence, bool intr,
							       signed long timeout);

/**
 * dma_fence_wait() - wait until a fence signals
 * @fence: the fence; caller holds a reference
 * @intr: interruptible: resv_thread_interrupt() ends the wait
 *
 * Not must-check: an uninterruptible wait cannot fail.
 *
 * Context: may sleep; @fence->lock not held.
 * Return: 0 when signaled; -RESV_ERESTARTSYS when interrupted.
 */
RESV_EXPORT signed long dma_fence_wait(struct dma_fence *fence, bool intr);

/**
 * dma_fence_wait_any_timeout() - wait until any of several fences signals
 * @fences: array of @count fences; the caller holds references
 * @count: number of fences, > 0
 * @intr: interruptible: resv_thread_interrupt() ends the wait
 * @timeout: nanoseconds; 0 only polls; MAX_SCHEDULE_TIMEOUT never times out
 * @idx: if not NULL, set to the index of a signaled fence on success
 *
 * Context: may sleep; no fence lock held. Allocates @count callbacks
 * (unless @timeout is 0).
 * Return: remaining time (> 0) when one signaled (1 for @timeout 0); 0 on
 * timeout; -RESV_ERESTARTSYS when interrupted; -EINVAL when @fences is
 * NULL, @count is 0 or @timeout < 0; -ENOMEM when the callbacks could not
 * be allocated.
 */
RESV_EXPORT RESV_MUST_CHECK signed long dma_fence_wait_any_timeout(struct dma_fence **fences,
								   uint32_t count, bool intr,
								   signed long timeout,
								   uint32_t *idx);

/**
 * dma_fence_set_deadline() - hint when the fence is needed
 * @fence: the fence
 * @deadline: CLOCK_MONOTONIC ns
 *
 * Forwarded to @fence->ops->set_deadline if the fence is not signaled yet.
 *
 * Context: any; @fence->lock not held.
 */
RESV_EXPORT void dma_fence_set_deadline(struct dma_fence *fence, int64_t deadline);

/* ---- ordering --------------------------------------------------------------- */

/**
 * __dma_fence_is_later() - compare two seqnos of one timeline
 * @fence: a fence of the timeline (its SEQNO64 flag picks the comparison)
 * @f1: first seqno
 * @f2: second seqno
 *
 * Context: any.
 * Return: true when @f1 is later than @f2: as 64-bit numbers for 64-bit
 * fences, else by the signed 32-bit distance of their lower halves (so
 * 0x1 is later than 0xffffffff).
 */
RESV_EXPORT bool __dma_fence_is_later(struct dma_fence *fence, uint64_t f1, uint64_t f2);

/**
 * dma_fence_is_later() - is one fence later than another on their timeline
 * @f1: first fence
 * @f2: second fence, same context
 *
 * Context: any.
 * Return: true when @f1 is later than @f2; false when not, and for fences
 * of different contexts (warned).
 */
RESV_EXPORT bool dma_fence_is_later(struct dma_fence *f1, struct dma_fence *f2);

/**
 * dma_fence_is_later_or_same() - is @f1 later than or the same as @f2
 * @f1: first fence
 * @f2: second fence, same context
 *
 * Context: any.
 * Return: true when @f1 == @f2 or dma_fence_is_later(@f1, @f2).
 */
RESV_EXPORT bool dma_fence_is_later_or_same(struct dma_fence *f1, struct dma_fence *f2);

/**
 * dma_fence_later() - the later of two fences of one timeline
 * @f1: first fence
 * @f2: second fence, same context
 *
 * Context: @f1->lock and @f2->lock not held (may signal through
 * ops->signaled).
 * Return: the later fence (no new reference), or NULL when that one is
 * already signaled, or when the contexts differ (warned).
 */
RESV_EXPORT struct dma_fence *dma_fence_later(struct dma_fence *f1, struct dma_fence *f2);

/* ---- stubs -------------------------------------------------------------------- */

/**
 * dma_fence_get_stub() - the global always-signaled fence
 *
 * Context 0, seqno 0, signaled at its first use.
 *
 * Context: any.
 * Return: a new reference to it (never NULL).
 */
RESV_EXPORT struct dma_fence *dma_fence_get_stub(void);

/**
 * dma_fence_allocate_private_stub() - a new signaled fence
 * @timestamp: its signal time (CLOCK_MONOTONIC ns)
 *
 * Context 0, seqno 0, signaled, own memory (freed at the last put).
 *
 * Context: any.
 * Return: the fence with one reference, or NULL when allocation failed.
 */
RESV_EXPORT RESV_MUST_CHECK struct dma_fence *dma_fence_allocate_private_stub(int64_t timestamp);

/* ---- containers (implemented with dma-fence-array.h, -chain.h, -unwrap.h) ---- */

/**
 * dma_fence_array_ops - the operations of every &struct dma_fence_array
 *
 * Exported for code that compares @fence->ops; prefer dma_fence_is_array().
 */
RESV_EXPORT extern const struct dma_fence_ops dma_fence_array_ops;

/**
 * dma_fence_chain_ops - the operations of every &struct dma_fence_chain
 *
 * Exported for code that compares @fence->ops; prefer dma_fence_is_chain().
 */
RESV_EXPORT extern const struct dma_fence_ops dma_fence_chain_ops;

/**
 * dma_fence_is_array() - is the fence a &struct dma_fence_array
 * @fence: the fence
 *
 * Context: any.
 * Return: true when @fence was initialised by dma_fence_array_init().
 */
RESV_EXPORT bool dma_fence_is_array(struct dma_fence *fence);

/**
 * dma_fence_is_chain() - is the fence a &struct dma_fence_chain
 * @fence: the fence
 *
 * Context: any.
 * Return: true when @fence was initialised by dma_fence_chain_init().
 */
RESV_EXPORT bool dma_fence_is_chain(struct dma_fence *fence);

/**
 * dma_fence_is_container() - is the fence an array or a chain
 * @fence: the fence
 *
 * Containers hold other fences; dma_fence_unwrap_for_each() iterates
 * their contents. Containers should not be nested inside arrays, nor be
 * the contained fence of a chain node (flatten with
 * dma_fence_unwrap_merge() instead).
 *
 * Context: any.
 * Return: dma_fence_is_array(@fence) || dma_fence_is_chain(@fence).
 */
RESV_EXPORT bool dma_fence_is_container(struct dma_fence *fence);

/* ---- signalling critical sections --------------------------------------------- */

/**
 * dma_fence_begin_signalling() - enter a fence signalling critical section
 *
 * Marks code between publishing a fence and signalling it: it must not
 * wait for fences (nor, later checks, take dma_resv locks or allocate).
 * Sections nest; only the outermost one counts.
 *
 * Context: any thread.
 * Return: the cookie for dma_fence_end_signalling(): false for the
 * outermost section, true when already inside one.
 */
RESV_EXPORT bool dma_fence_begin_signalling(void);

/**
 * dma_fence_end_signalling() - leave a fence signalling critical section
 * @cookie: the value dma_fence_begin_signalling() returned; true is a no-op
 *
 * Context: the thread that began the section.
 */
RESV_EXPORT void dma_fence_end_signalling(bool cookie);

/**
 * __dma_fence_might_wait() - declare a possible fence wait
 *
 * Called by every fence wait. Debug builds report
 * RESV_REPORT_FENCE_WAIT_IN_SIGNALLING when the calling thread is inside a
 * signalling section.
 *
 * Context: any thread.
 */
RESV_EXPORT void __dma_fence_might_wait(void);

#ifdef __cplusplus
}
#endif

#endif /* RESV_DMA_FENCE_H */
