/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * A reservation object (&struct dma_resv) guards a buffer shared between
 * the CPU, "devices" and other users: a ww_mutex of the global Wait-Die
 * class &reservation_ww_class serialises writers, and a list of
 * &struct dma_fence says which asynchronous work still uses the buffer.
 * Semantics follow the Linux kernel's ``drivers/dma-buf/dma-resv.c`` and
 * ``include/linux/dma-resv.h``.
 *
 * Every fence in the list carries a usage, &enum dma_resv_usage, ordered
 * KERNEL < WRITE < READ < BOOKKEEP. Asking for usage U returns every fence
 * whose usage is <= U. A new write must wait for READ (so: every implicit
 * reader and writer, and kernel work), a new read for WRITE;
 * dma_resv_usage_rw() gives that answer.
 *
 * Writers hold the lock, reserve slots first (allocation may fail; adding
 * may not), then add. Readers need no lock: they walk the list inside an
 * RCU read-side section and hold a reference on one fence at a time. The
 * whole protocol::
 *
 *	#include <errno.h>
 *	#include <resv/dma-resv.h>
 *
 *	// Publish @job_fence as a write of the buffer guarded by @obj.
 *	int publish_write(struct dma_resv *obj, struct dma_fence *job_fence)
 *	{
 *		struct ww_acquire_ctx ctx;
 *		int ret;
 *
 *		ww_acquire_init(&ctx, &reservation_ww_class);
 *		ret = dma_resv_lock(obj, &ctx);        // 0, -EDEADLK, -EALREADY
 *		if (ret)
 *			goto out_fini;
 *		ret = dma_resv_reserve_fences(obj, 1); // 0 or -ENOMEM
 *		if (!ret)                              // cannot fail now
 *			dma_resv_add_fence(obj, job_fence, DMA_RESV_USAGE_WRITE);
 *		dma_resv_unlock(obj);
 *	out_fini:
 *		ww_acquire_fini(&ctx);
 *		return ret;
 *	}
 *
 *	// Wait, without the lock, until nobody writes the buffer any more.
 *	long wait_for_writers(struct dma_resv *obj)
 *	{
 *		struct dma_resv_iter cursor;
 *		struct dma_fence *fence;
 *		unsigned int pending = 0;
 *
 *		dma_resv_iter_begin(&cursor, obj, DMA_RESV_USAGE_WRITE);
 *		dma_resv_for_each_fence_unlocked(&cursor, fence) {
 *			if (dma_resv_iter_is_restarted(&cursor))
 *				pending = 0;            // the list changed: recount
 *			pending++;
 *		}
 *		dma_resv_iter_end(&cursor);
 *		if (!pending)
 *			return 1;
 *		// 1 s; > 0 done, 0 timed out, -RESV_ERESTARTSYS interrupted
 *		return dma_resv_wait_timeout(obj, DMA_RESV_USAGE_WRITE, true,
 *					     1000000000L);
 *	}
 *
 * Reservations are only valid while the lock stays held and are not
 * cumulative: reserve the total number of fences you will add at once. In
 * debug builds (RESV_DEBUG) dma_resv_unlock() forgets the reservation, as
 * the kernel's dma_resv_reset_max_fences() does, so an add without its
 * reserve is reported even when spare slots happen to exist.
 *
 * Debug builds report (see <resv/report.h>):
 *
 * - RESV_REPORT_RESV_NOT_HELD: a function that needs the lock was called
 *   by a thread that does not hold this very object (exact check: another
 *   thread holding it, or another object of the class held, does not
 *   count);
 * - RESV_REPORT_FENCE_MISUSE: dma_resv_add_fence() without a reserved slot
 *   (reported in every build when the list is really full), with a fence
 *   container (array or chain), and dma_resv_reserve_fences() with 0.
 *
 * Differences from the kernel, on purpose:
 *
 * - Timeouts are ``signed long`` nanoseconds; a negative timeout makes
 *   dma_resv_wait_timeout() return -EINVAL.
 * - dma_resv_add_fence() without a free slot grows the list instead of
 *   BUG()ing (after the report); only if that allocation fails does it
 *   abort.
 * - Unlocked iterators detect a list replaced by a new list at the same
 *   address (a generation number), which the kernel's pointer compare
 *   cannot, and skip fences whose signaled bit is already set before
 *   taking a reference (same result; readers then write no shared cache
 *   line for them). An empty list published by dma_resv_copy_fences() ends
 *   a walk cleanly.
 * - dma_resv_describe() prints to a ``FILE *`` instead of a seq_file.
 * - dma_resv_get_fences() arrays come from the library's allocator
 *   (resv_dma_fence_array_alloc_fences(), the kmalloc_array() counterpart):
 *   put each fence, then free the array with
 *   resv_dma_fence_array_free_fences() (the kfree() counterpart).
 */
#ifndef RESV_DMA_RESV_H
#define RESV_DMA_RESV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <resv/compiler.h>
#include <resv/dma-fence.h>
#include <resv/ww_mutex.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * reservation_ww_class - the Wait-Die class of every &dma_resv lock
 *
 * Initialise acquire contexts for reservation objects with it.
 */
RESV_EXPORT extern struct ww_class reservation_ww_class;

/**
 * enum dma_resv_usage - how a fence uses the buffer; also a query filter
 * @DMA_RESV_USAGE_KERNEL: memory management by the kernel (moves, clears);
 *	everybody must wait for these before touching the memory
 * @DMA_RESV_USAGE_WRITE: an implicitly synchronised write
 * @DMA_RESV_USAGE_READ: an implicitly synchronised read
 * @DMA_RESV_USAGE_BOOKKEEP: no implicit synchronisation (preemption fences,
 *	page-table updates, explicitly synchronised work); only waited for
 *	by whoever asks for everything
 *
 * Ordered: a query for usage U returns the fences whose usage is <= U. A
 * fence re-added with a lower usage is promoted; it is never degraded.
 */
enum dma_resv_usage {
	DMA_RESV_USAGE_KERNEL,
	DMA_RESV_USAGE_WRITE,
	DMA_RESV_USAGE_READ,
	DMA_RESV_USAGE_BOOKKEEP,
};

/**
 * dma_resv_usage_rw() - what a new access must wait for
 * @write: true for a write access
 *
 * A write waits for every read and write (READ), a read for the writes
 * (WRITE).
 *
 * Context: any.
 * Return: DMA_RESV_USAGE_READ when @write, else DMA_RESV_USAGE_WRITE.
 */
static inline enum dma_resv_usage dma_resv_usage_rw(bool write)
{
	return write ? DMA_RESV_USAGE_READ : DMA_RESV_USAGE_WRITE;
}

struct dma_resv_list;

/**
 * struct dma_resv - a reservation object
 * @lock: the ww_mutex of &reservation_ww_class
 * @fences: the RCU-published fence list (&struct dma_resv_list), or NULL;
 *	private
 * @generation: counts published lists, so unlocked readers detect any
 *	replacement; private
 */
struct dma_resv {
	struct ww_mutex lock;
	struct dma_resv_list *fences;
	uint64_t generation;
};

/**
 * struct dma_resv_iter - cursor of the fence iterators
 * @obj: the object walked
 * @usage: return fences with usage <= @usage
 * @fence: the current fence (unlocked walks hold a reference on it)
 * @fence_usage: its usage
 * @index: next index in @fences
 * @fences: the list walked
 * @generation: @fences' generation number
 * @num_fences: entries of @fences when the walk (re)started
 * @is_restarted: the current fence is the first one after a (re)start
 *
 * Fields are private; use the functions below.
 */
struct dma_resv_iter {
	struct dma_resv *obj;
	enum dma_resv_usage usage;
	struct dma_fence *fence;
	enum dma_resv_usage fence_usage;
	unsigned int index;
	struct dma_resv_list *fences;
	uint64_t generation;
	unsigned int num_fences;
	bool is_restarted;
};

/* ---- life and locking -------------------------------------------------------- */

/**
 * dma_resv_init() - initialise a reservation object
 * @obj: the object: unlocked, no fences
 *
 * Context: any; @obj not yet visible to others.
 */
RESV_EXPORT void dma_resv_init(struct dma_resv *obj);

/**
 * dma_resv_fini() - tear a reservation object down
 * @obj: the object: unlocked, no other users left
 *
 * Drops the reference on every fence in the list and frees the list after
 * an RCU grace period.
 *
 * Context: any; no lock of @obj held, no concurrent users.
 */
RESV_EXPORT void dma_resv_fini(struct dma_resv *obj);

/**
 * dma_resv_lock() - lock a reservation object
 * @obj: the object
 * @ctx: the acquire context (of &reservation_ww_class), or NULL to lock it
 *	alone
 *
 * Context: may sleep.
 * Return: 0 when locked; -EALREADY when @ctx already holds it (still held,
 * nothing changed); -EDEADLK when @ctx must back off: not locked; unlock
 * everything locked with @ctx, then dma_resv_lock_slow() this object.
 */
RESV_EXPORT RESV_MUST_CHECK int dma_resv_lock(struct dma_resv *obj, struct ww_acquire_ctx *ctx);

/**
 * dma_resv_lock_interruptible() - lock, unless the thread is interrupted
 * @obj: the object
 * @ctx: the acquire context, or NULL
 *
 * Context: may sleep.
 * Return: as dma_resv_lock(), plus -EINTR when resv_thread_interrupt() is
 * pending for this thread while it has to wait (not locked).
 */
RESV_EXPORT RESV_MUST_CHECK int dma_resv_lock_interruptible(struct dma_resv *obj,
							    struct ww_acquire_ctx *ctx);

/**
 * dma_resv_lock_slow() - lock the contended object after backing off
 * @obj: the object whose dma_resv_lock() returned -EDEADLK
 * @ctx: the context, which holds no lock
 *
 * Cannot fail: a context holding nothing is never told to back off.
 *
 * Context: may sleep.
 */
RESV_EXPORT void dma_resv_lock_slow(struct dma_resv *obj, struct ww_acquire_ctx *ctx);

/**
 * dma_resv_lock_slow_interruptible() - dma_resv_lock_slow(), interruptible
 * @obj: the object whose lock attempt returned -EDEADLK
 * @ctx: the context, which holds no lock
 *
 * Context: may sleep.
 * Return: 0 when locked; -EINTR when interrupted (not locked).
 */
RESV_EXPORT RESV_MUST_CHECK int dma_resv_lock_slow_interruptible(struct dma_resv *obj,
								 struct ww_acquire_ctx *ctx);

/**
 * dma_resv_trylock() - lock without sleeping, without a context
 * @obj: the object
 *
 * For paths that must not block, e.g. shrinkers and eviction scans.
 *
 * Context: any; does not sleep.
 * Return: true when locked, false when anybody (this thread included)
 * holds it.
 */
RESV_EXPORT RESV_MUST_CHECK bool dma_resv_trylock(struct dma_resv *obj);

/**
 * dma_resv_unlock() - unlock a reservation object
 * @obj: an object locked by this thread
 *
 * Debug builds forget the fence reservation first (see the overview).
 *
 * Context: the thread that locked @obj.
 */
RESV_EXPORT void dma_resv_unlock(struct dma_resv *obj);

/**
 * dma_resv_is_locked() - is the object locked by anybody
 * @obj: the object
 *
 * Context: any; the answer may be stale unless the caller holds the lock.
 * Return: true when locked.
 */
RESV_EXPORT bool dma_resv_is_locked(struct dma_resv *obj);

/**
 * dma_resv_locking_ctx() - the acquire context that holds the object
 * @obj: the object
 *
 * Context: any; stable only while the caller holds the lock.
 * Return: the context, or NULL when unlocked or locked without a context.
 */
RESV_EXPORT struct ww_acquire_ctx *dma_resv_locking_ctx(struct dma_resv *obj);

/**
 * dma_resv_held() - does the calling thread hold this object
 * @obj: the object
 *
 * Exact: true only when this thread holds this very object, through one of
 * its acquire contexts or directly. Works in every build.
 *
 * Context: any.
 * Return: true when held by the calling thread.
 */
RESV_EXPORT bool dma_resv_held(struct dma_resv *obj);

/**
 * dma_resv_assert_held() - report when the caller does not hold the object
 * @obj: the object
 *
 * Debug builds deliver RESV_REPORT_RESV_NOT_HELD unless dma_resv_held();
 * release builds do nothing. Every function below that needs the lock
 * starts with it.
 *
 * Context: any.
 */
RESV_EXPORT void dma_resv_assert_held(struct dma_resv *obj);

/* ---- writers (lock held) ------------------------------------------------------- */

/**
 * dma_resv_reserve_fences() - make room for new fences
 * @obj: the object, locked by the caller
 * @num_fences: how many fences the caller will add, > 0
 *
 * Afterwards at least @num_fences slots are free. Not cumulative: two
 * calls with 1 guarantee one free slot, not two. If the list must grow, a
 * new one (twice the size, at least 4) is published; signaled fences are
 * dropped from it and the old list is freed after an RCU grace period. The
 * reservation holds until dma_resv_unlock().
 *
 * Context: @obj locked; may allocate.
 * Return: 0; -EINVAL when @num_fences is 0 (reported as a fence misuse in
 * debug builds); -ENOMEM (nothing changed).
 */
RESV_EXPORT RESV_MUST_CHECK int dma_resv_reserve_fences(struct dma_resv *obj,
							unsigned int num_fences);

/**
 * dma_resv_add_fence() - add a fence to the object
 * @obj: the object, locked by the caller, with a slot reserved
 * @fence: the fence; the object takes its own reference. Not a container
 *	(array or chain): add their members one by one
 * @usage: how @fence uses the buffer
 *
 * Replaces in place the first entry that is already signaled, or that
 * comes from @fence's context with a usage >= @usage and that @fence is
 * later than or the same as; the old fence's reference is dropped. So
 * re-adding a fence with a lower usage promotes it; with a higher usage it
 * is added again, and the stronger entry stays. Otherwise @fence takes a
 * reserved slot.
 *
 * Context: @obj locked; does not sleep; cannot fail.
 */
RESV_EXPORT void dma_resv_add_fence(struct dma_resv *obj, struct dma_fence *fence,
				    enum dma_resv_usage usage);

/**
 * dma_resv_replace_fences() - replace every fence of a context
 * @obj: the object, locked by the caller
 * @context: the fence context to replace
 * @replacement: the new fence (the object takes references)
 * @usage: the usage of the replacement entries
 *
 * Only valid when the work behind the replaced fences no longer touches
 * the buffer once @replacement signals (e.g. a preemption fence replaced
 * by the page-table update that follows it).
 *
 * Context: @obj locked; does not sleep.
 */
RESV_EXPORT void dma_resv_replace_fences(struct dma_resv *obj, uint64_t context,
					 struct dma_fence *replacement,
					 enum dma_resv_usage usage);

/**
 * dma_resv_copy_fences() - make @dst's fences a copy of @src's
 * @dst: the destination, locked by the caller
 * @src: the source; need not be locked
 *
 * @dst's list is replaced by a snapshot of @src's unsignaled fences, with
 * their usages; @dst's old fences are dropped.
 *
 * Context: @dst locked; may allocate.
 * Return: 0; -ENOMEM (@dst unchanged).
 */
RESV_EXPORT RESV_MUST_CHECK int dma_resv_copy_fences(struct dma_resv *dst, struct dma_resv *src);

/* ---- iterators ---------------------------------------------------------------------- */

/**
 * dma_resv_iter_begin() - prepare a cursor
 * @cursor: the cursor
 * @obj: the object to walk
 * @usage: walk the fences with usage <= @usage
 *
 * Context: any.
 */
static inline void dma_resv_iter_begin(struct dma_resv_iter *cursor, struct dma_resv *obj,
				       enum dma_resv_usage usage)
{
	cursor->obj = obj;
	cursor->usage = usage;
	cursor->fence = NULL;
	cursor->fences = NULL;
	cursor->index = 0;
	cursor->num_fences = 0;
	cursor->generation = 0;
	cursor->is_restarted = false;
}

/**
 * dma_resv_iter_end() - finish a walk
 * @cursor: the cursor
 *
 * Drops the unlocked walk's reference on the current fence, if any.
 *
 * Context: any.
 */
RESV_EXPORT void dma_resv_iter_end(struct dma_resv_iter *cursor);

/**
 * dma_resv_iter_first_unlocked() - first unsignaled fence, without the lock
 * @cursor: a cursor from dma_resv_iter_begin()
 *
 * Walks inside an RCU read-side section and leaves it before returning;
 * the cursor then holds a reference on the returned fence (dropped by the
 * next call or dma_resv_iter_end()). Fences already signaled are skipped.
 *
 * Context: any; @cursor->obj's lock is not needed.
 * Return: the first fence, or NULL when there is none.
 */
RESV_EXPORT struct dma_fence *dma_resv_iter_first_unlocked(struct dma_resv_iter *cursor);

/**
 * dma_resv_iter_next_unlocked() - next unsignaled fence, without the lock
 * @cursor: the cursor
 *
 * If a writer replaced the list since the last call, the walk starts over
 * and dma_resv_iter_is_restarted() is true for the fence returned: anything
 * collected so far must be discarded.
 *
 * Context: any.
 * Return: the next fence (the cursor holds a reference), or NULL at the end.
 */
RESV_EXPORT struct dma_fence *dma_resv_iter_next_unlocked(struct dma_resv_iter *cursor);

/**
 * dma_resv_for_each_fence_unlocked() - walk the fences without the lock
 * @cursor: a cursor from dma_resv_iter_begin(); end with dma_resv_iter_end()
 * @fence: the current fence
 */
#define dma_resv_for_each_fence_unlocked(cursor, fence)			\
	for ((fence) = dma_resv_iter_first_unlocked(cursor); (fence);	\
	     (fence) = dma_resv_iter_next_unlocked(cursor))

/**
 * dma_resv_iter_first() - first fence, with the lock held
 * @cursor: a cursor from dma_resv_iter_begin()
 *
 * No references are taken, no restarts happen, and signaled fences are
 * returned too.
 *
 * Context: @cursor->obj locked by the caller.
 * Return: the first fence with usage <= the cursor's, or NULL.
 */
RESV_EXPORT struct dma_fence *dma_resv_iter_first(struct dma_resv_iter *cursor);

/**
 * dma_resv_iter_next() - next fence, with the lock held
 * @cursor: the cursor
 *
 * Context: @cursor->obj locked by the caller.
 * Return: the next fence with usage <= the cursor's, or NULL.
 */
RESV_EXPORT struct dma_fence *dma_resv_iter_next(struct dma_resv_iter *cursor);

/**
 * dma_resv_for_each_fence() - walk every fence, with the lock held
 * @cursor: the cursor (dma_resv_iter_begin() is part of the macro)
 * @obj: the object, locked by the caller
 * @usage: walk the fences with usage <= @usage
 * @fence: the current fence (no reference held)
 */
#define dma_resv_for_each_fence(cursor, obj, usage, fence)		\
	for (dma_resv_iter_begin(cursor, obj, usage),			\
	     (fence) = dma_resv_iter_first(cursor); (fence);		\
	     (fence) = dma_resv_iter_next(cursor))

/**
 * dma_resv_iter_usage() - the usage of the current fence
 * @cursor: the cursor
 *
 * Context: inside the walk of @cursor.
 * Return: the usage the current entry was added with.
 */
static inline enum dma_resv_usage dma_resv_iter_usage(const struct dma_resv_iter *cursor)
{
	return cursor->fence_usage;
}

/**
 * dma_resv_iter_is_restarted() - did the walk (re)start at this fence
 * @cursor: the cursor
 *
 * Context: inside the walk of @cursor.
 * Return: true for the first fence of a walk and of every restarted walk.
 */
static inline bool dma_resv_iter_is_restarted(const struct dma_resv_iter *cursor)
{
	return cursor->is_restarted;
}

/* ---- readers (no lock needed) --------------------------------------------------------- */

/**
 * dma_resv_get_fences() - references to the unsignaled fences
 * @obj: the object
 * @usage: fences with usage <= @usage
 * @num_fences: out: how many fences were returned
 * @fences: out: an array of @num_fences references, NULL when there is
 *	none; put each fence, then free the array with
 *	resv_dma_fence_array_free_fences()
 *
 * Context: may hold @obj's lock or not; may allocate.
 * Return: 0; -ENOMEM (*@num_fences 0, *@fences NULL, no reference taken).
 */
RESV_EXPORT RESV_MUST_CHECK int dma_resv_get_fences(struct dma_resv *obj,
						    enum dma_resv_usage usage,
						    unsigned int *num_fences,
						    struct dma_fence ***fences);

/**
 * dma_resv_get_singleton() - one fence standing for all unsignaled ones
 * @obj: the object
 * @usage: fences with usage <= @usage
 * @fence: out: NULL when there is no unsignaled fence; the fence itself
 *	(a reference) when there is one; otherwise the base of a new
 *	&struct dma_fence_array of all of them (new context, seqno 1, signals
 *	when all did). Never add the result back to a reservation object: it
 *	is a container.
 *
 * Context: may allocate.
 * Return: 0; -ENOMEM (*@fence unchanged).
 */
RESV_EXPORT RESV_MUST_CHECK int dma_resv_get_singleton(struct dma_resv *obj,
						       enum dma_resv_usage usage,
						       struct dma_fence **fence);

/**
 * dma_resv_test_signaled() - have all fences of a usage signaled
 * @obj: the object
 * @usage: test the fences with usage <= @usage
 *
 * Context: any; does not sleep; no lock needed.
 * Return: true when no unsignaled fence with usage <= @usage remains.
 */
RESV_EXPORT bool dma_resv_test_signaled(struct dma_resv *obj, enum dma_resv_usage usage);

/**
 * dma_resv_wait_timeout() - wait for the fences of a usage
 * @obj: the object
 * @usage: wait for the fences with usage <= @usage
 * @intr: interruptible: resv_thread_interrupt() ends the wait
 * @timeout: nanoseconds; 0 only polls; MAX_SCHEDULE_TIMEOUT never times out
 *
 * Waits for each unsignaled fence in turn, passing on the time left.
 *
 * Context: may sleep; may hold @obj's lock or not; not inside a fence
 * signalling section (reported in debug builds).
 * Return: the time left (> 0; for @timeout 0, 1) when every fence signaled;
 * 0 when the time ran out (for @timeout 0: some fence is unsignaled);
 * -RESV_ERESTARTSYS when interrupted; -EINVAL when @timeout < 0.
 */
RESV_EXPORT RESV_MUST_CHECK long dma_resv_wait_timeout(struct dma_resv *obj,
						       enum dma_resv_usage usage, bool intr,
						       signed long timeout);

/**
 * dma_resv_set_deadline() - hint when the fences of a usage are needed
 * @obj: the object
 * @usage: the fences with usage <= @usage
 * @deadline: CLOCK_MONOTONIC ns
 *
 * Forwards dma_fence_set_deadline() to each unsignaled fence.
 *
 * Context: any; no lock needed.
 */
RESV_EXPORT void dma_resv_set_deadline(struct dma_resv *obj, enum dma_resv_usage usage,
				       int64_t deadline);

/**
 * dma_resv_describe() - print the fences, for debugging
 * @obj: the object, locked by the caller
 * @out: where to print, e.g. stderr
 *
 * One line per fence, every usage, signaled ones included:
 * ``\t<usage> fence: <driver> <timeline> seq <seqno> [un]signalled``.
 *
 * Context: @obj locked.
 */
RESV_EXPORT void dma_resv_describe(struct dma_resv *obj, FILE *out);

#ifdef __cplusplus
}
#endif

#endif /* RESV_DMA_RESV_H */
