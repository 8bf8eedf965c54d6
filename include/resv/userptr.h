/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * The userptr sequence validator: what a GPU driver builds on
 * mmu_interval_notifier (<resv/mmu_notifier.h>) so that a buffer object
 * backed by user memory (a "userptr") is never used by the GPU after the
 * memory changed under it. One &struct resv_userptr binds
 *
 * - a host range [addr, addr + len) of a &struct resv_mm,
 * - the driver's *notifier lock* (&struct resv_notifier_lock, a
 *   reader/writer lock, usually one per device or VM): the invalidate
 *   callback takes it for writing, an exec's final check for reading,
 * - the &struct dma_resv of the buffer object whose GPU work reads the
 *   pages: the callback waits for all its fences (DMA_RESV_USAGE_BOOKKEEP)
 *   before the mm may free the pages.
 *
 * An exec (i915 / amdgpu / xe style; the full program is
 * examples/userptr_invalidate.c)::
 *
 *	retry:
 *		ret = resv_userptr_snapshot(up);     // no resv, no notifier lock held
 *		if (ret == -EAGAIN)
 *			goto retry;                  // the range kept changing
 *		if (ret)
 *			return ret;                  // -EFAULT: not mapped
 *		ww_acquire_init(&ctx, &reservation_ww_class);
 *		ret = dma_resv_lock(bo_resv, &ctx);  // ... the usual ww loop
 *		ret = dma_resv_reserve_fences(bo_resv, 1);
 *		resv_notifier_read_lock(lock);
 *		if (resv_userptr_check(up) == -EAGAIN) {
 *			resv_notifier_read_unlock(lock);
 *			dma_resv_unlock(bo_resv);
 *			ww_acquire_fini(&ctx);
 *			goto retry;                  // invalidated since the snapshot
 *		}
 *		job->pages = resv_userptr_pages(up); // valid while the job's fence is pending
 *		dma_resv_add_fence(bo_resv, job->fence, DMA_RESV_USAGE_BOOKKEEP);
 *		queue(job);
 *		resv_notifier_read_unlock(lock);     // fence published: invalidations wait for it
 *		dma_resv_unlock(bo_resv);
 *		ww_acquire_fini(&ctx);
 *
 * The check and the fence publication happen under the notifier lock, so
 * they are atomic with respect to the invalidate callback, which does::
 *
 *	write_lock(notifier lock)
 *	mmu_interval_set_seq(sub, cur_seq)   // later checks fail
 *	mark the snapshot invalid            // resv_userptr_needs_repin()
 *	dma_resv_wait_timeout(resv, BOOKKEEP, false, MAX_SCHEDULE_TIMEOUT)
 *	write_unlock(notifier lock)
 *
 * Any exec either checked before the callback took the lock — its fence is
 * then in the resv and is waited for — or checks after it and gets
 * -EAGAIN. For a range that is not blockable the callback returns false
 * (the invalidation fails with -EAGAIN, nothing changed) when the lock is
 * contended or a fence is still pending.
 *
 * Which call under which locks (lock order, outermost first: userptr
 * snapshot (mmu_interval_read_begin) -> ww ticket / dma_resv locks ->
 * notifier lock; invalidation: mmap lock -> notifier lock (write) -> fence
 * wait):
 *
 * ======================================  ====================================
 * resv_userptr_init() / _fini()           no notifier lock, no mmap lock
 * resv_userptr_snapshot()                 no dma_resv, no notifier lock, no
 *                                         mmap lock (it takes them)
 * resv_userptr_check()                    the notifier lock (read or write);
 *                                         dma_resv locks may be held
 * resv_userptr_pages()                    after a successful check, under the
 *                                         notifier lock; the array stays valid
 *                                         while a fence published then pends
 * resv_userptr_needs_repin(), _stats      anywhere (lockless)
 * ======================================  ====================================
 *
 * Counters (resv_userptr_get_stats()) show how often each step happened;
 * the stress test and the simulator print them.
 */
#ifndef RESV_USERPTR_H
#define RESV_USERPTR_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <resv/compiler.h>
#include <resv/dma-resv.h>
#include <resv/mmu_notifier.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * RESV_USERPTR_SNAPSHOT_TRIES - collections resv_userptr_snapshot() attempts
 * before it gives up with -EAGAIN because the range kept being invalidated
 */
#define RESV_USERPTR_SNAPSHOT_TRIES 8

/**
 * struct resv_notifier_lock - a driver's userptr notifier lock
 * @rwsem: the reader/writer lock (writer-preferring); private
 * @writer: the writing thread's resv_thread_self(), or 0; private
 * @readers: number of read holders; private
 *
 * The counterpart of xe's ``vm->svm.gpusvm.notifier_lock`` (rw_semaphore),
 * amdgpu's ``adev->notifier_lock`` and i915's ``i915->mm.notifier_lock``.
 * Shared by every userptr of a device or VM, or private to one userptr.
 */
struct resv_notifier_lock {
	pthread_rwlock_t rwsem;
	unsigned long writer;
	unsigned int readers;
};

/**
 * resv_notifier_lock_init() - initialise a notifier lock
 * @lock: the lock, unused
 *
 * Context: any.
 */
RESV_EXPORT void resv_notifier_lock_init(struct resv_notifier_lock *lock);

/**
 * resv_notifier_lock_fini() - finalise an unheld notifier lock
 * @lock: the lock
 *
 * Context: nobody holds or waits for @lock.
 */
RESV_EXPORT void resv_notifier_lock_fini(struct resv_notifier_lock *lock);

/**
 * resv_notifier_read_lock() - take the lock for reading (exec's final check)
 * @lock: the lock
 *
 * Context: may sleep (while an invalidation holds it for writing, which
 * can last for a fence wait); not recursive; no allocation should happen
 * while it is held (the kernel drivers' rule: invalidation may come from
 * reclaim).
 */
RESV_EXPORT void resv_notifier_read_lock(struct resv_notifier_lock *lock);

/**
 * resv_notifier_read_unlock() - release a read hold
 * @lock: the lock
 *
 * Context: a thread that holds @lock for reading.
 */
RESV_EXPORT void resv_notifier_read_unlock(struct resv_notifier_lock *lock);

/**
 * resv_notifier_write_lock() - take the lock for writing (invalidation)
 * @lock: the lock
 *
 * Context: may sleep; not recursive.
 */
RESV_EXPORT void resv_notifier_write_lock(struct resv_notifier_lock *lock);

/**
 * resv_notifier_write_trylock() - take the lock for writing if it is free
 * @lock: the lock
 *
 * Context: any; does not sleep.
 * Return: true when taken.
 */
RESV_EXPORT RESV_MUST_CHECK bool resv_notifier_write_trylock(struct resv_notifier_lock *lock);

/**
 * resv_notifier_write_unlock() - release the write hold
 * @lock: the lock
 *
 * Context: the thread that holds @lock for writing.
 */
RESV_EXPORT void resv_notifier_write_unlock(struct resv_notifier_lock *lock);

/**
 * resv_notifier_lock_held() - is the lock held in a way that orders checks
 * @lock: the lock
 *
 * For assertions: true when the calling thread holds it for writing, or
 * someone holds it for reading (read holders are counted, not named).
 *
 * Context: any.
 * Return: see above.
 */
RESV_EXPORT bool resv_notifier_lock_held(struct resv_notifier_lock *lock);

struct resv_userptr;

/**
 * struct resv_userptr_ops - optional driver hooks
 * @invalidate: called by the invalidate callback with the notifier lock held
 *	for writing, after the sequence was moved and before the fence wait:
 *	the place to zap GPU page tables or move the object to an
 *	"invalidated" list (xe). Must not sleep, allocate or take the
 *	notifier lock. May be NULL.
 */
struct resv_userptr_ops {
	void (*invalidate)(struct resv_userptr *up, const struct mmu_notifier_range *range);
};

/**
 * struct resv_userptr_stats - what a userptr's validator did
 * @snapshots: page collections installed by resv_userptr_snapshot()
 * @snapshot_skips: snapshot calls that found the current one still valid
 * @snapshot_retries: collections discarded because the range was
 *	invalidated while they ran
 * @retries: resv_userptr_check() calls that returned -EAGAIN
 * @invalidations: invalidate callbacks that moved the sequence
 * @waits: invalidations that found unsignaled fences and waited for them
 * @busy: non-blockable invalidations refused (callback returned false)
 */
struct resv_userptr_stats {
	uint64_t snapshots;
	uint64_t snapshot_skips;
	uint64_t snapshot_retries;
	uint64_t retries;
	uint64_t invalidations;
	uint64_t waits;
	uint64_t busy;
};

/**
 * struct resv_userptr - the validator of one userptr range
 * @notifier: the interval notifier on the range
 * @mm: the address space
 * @addr: first byte of the range (page-aligned)
 * @npages: pages in the range
 * @lock: the notifier lock in use (the driver's, or @own_lock)
 * @own_lock: used when no lock was passed to resv_userptr_init()
 * @resv: the reservation object whose fences cover GPU use of the pages
 * @ops: driver hooks, or NULL
 * @pin_lock: serialises snapshots of this userptr; private
 * @pages: the snapshot, @npages page addresses; private (resv_userptr_pages())
 * @notifier_seq: sequence number of the snapshot, 0 before the first;
 *	private
 * @valid: a snapshot is installed and not invalidated since; private
 * @stats: counters; private (resv_userptr_get_stats())
 *
 * Embed it in the driver's buffer object.
 */
struct resv_userptr {
	struct mmu_interval_notifier notifier;
	struct resv_mm *mm;
	unsigned long addr;
	unsigned long npages;
	struct resv_notifier_lock *lock;
	struct resv_notifier_lock own_lock;
	struct dma_resv *resv;
	const struct resv_userptr_ops *ops;
	pthread_mutex_t pin_lock;
	void **pages;
	unsigned long notifier_seq;
	int valid;
	struct resv_userptr_stats stats;
};

/**
 * resv_userptr_init() - start validating a userptr range
 * @up: the validator, unused
 * @mm: the address space
 * @addr: page-aligned first byte
 * @len: bytes; rounded up to whole pages
 * @lock: the driver's notifier lock, or NULL for a lock private to @up
 * @resv: the reservation object of the buffer object using the pages
 * @ops: driver hooks, or NULL
 *
 * Inserts the interval notifier and allocates the page array; takes no
 * snapshot yet (the first resv_userptr_snapshot() does).
 *
 * Context: may sleep; no notifier lock, no mmap lock held.
 * Return: 0; -EINVAL when @up, @mm or @resv is NULL or @addr is unaligned;
 * -EOVERFLOW when @len is 0 or the range wraps around; -ENOMEM. On error
 * nothing is left allocated or inserted.
 */
RESV_EXPORT RESV_MUST_CHECK int resv_userptr_init(struct resv_userptr *up, struct resv_mm *mm,
						  unsigned long addr, unsigned long len,
						  struct resv_notifier_lock *lock,
						  struct dma_resv *resv,
						  const struct resv_userptr_ops *ops);

/**
 * resv_userptr_fini() - stop validating
 * @up: an initialised validator
 *
 * Removes the notifier (waiting for an invalidation in progress) and frees
 * the page array. The caller makes sure no GPU work still uses the pages.
 *
 * Context: may sleep; no notifier lock, no mmap lock held; not from an
 * invalidate callback.
 */
RESV_EXPORT void resv_userptr_fini(struct resv_userptr *up);

/**
 * resv_userptr_snapshot() - collect the pages of the range, if needed
 * @up: the validator
 *
 * seq = mmu_interval_read_begin() (sleeps while the range is being
 * invalidated); if the installed snapshot was taken at seq, done (even if
 * an invalidation has just marked it invalid: it is still running, the
 * check will fail, and the next call waits for it).
 * Otherwise collect the pages (resv_mm_get_pages()) and install them with
 * seq under the notifier lock (write, briefly) — unless an invalidation
 * came in meanwhile, in which case collect again, up to
 * RESV_USERPTR_SNAPSHOT_TRIES times.
 *
 * Context: may sleep; holding no dma_resv lock (pages are never collected
 * under a reservation), no notifier lock and no mmap lock. Snapshots of one
 * userptr are serialised internally.
 * Return: 0 with a snapshot installed (which resv_userptr_check() may still
 * find stale: re-check under the notifier lock); -EFAULT when part of the
 * range is not mapped (snapshot unchanged); -EAGAIN when every try was
 * invalidated (retry later).
 */
RESV_EXPORT RESV_MUST_CHECK int resv_userptr_snapshot(struct resv_userptr *up);

/**
 * resv_userptr_check() - is the snapshot still current (exec's final check)
 * @up: the validator
 *
 * mmu_interval_read_retry() on the snapshot's sequence. While the caller
 * keeps the notifier lock, the answer stays true: publish the job's fences
 * to @up's resv before unlocking it.
 *
 * Context: the notifier lock held (read or write; debug builds report a
 * call while nobody holds it); dma_resv locks may be held; does not sleep.
 * Return: 0 when the snapshot is current; -EAGAIN when there is no snapshot
 * or an invalidation happened since it was taken: drop every lock and go
 * back to resv_userptr_snapshot().
 */
RESV_EXPORT RESV_MUST_CHECK int resv_userptr_check(struct resv_userptr *up);

/**
 * resv_userptr_needs_repin() - lockless hint: will the next check fail
 * @up: the validator
 *
 * What xe's xe_vm_userptr_check_repin() answers: false when a snapshot is
 * installed and no invalidation has marked it invalid since. A hint only:
 * an invalidation may start right after it returned false.
 *
 * Context: any; no lock needed.
 * Return: true when a snapshot is needed.
 */
RESV_EXPORT bool resv_userptr_needs_repin(struct resv_userptr *up);

/**
 * resv_userptr_pages() - the snapshot's page addresses
 * @up: the validator
 *
 * Context: after resv_userptr_check() returned 0, under the same hold of
 * the notifier lock; a GPU job may keep reading through the array until its
 * fence, published under that hold, signals.
 * Return: @npages page addresses (RESV_MM_PAGE_SIZE bytes each).
 */
RESV_EXPORT void **resv_userptr_pages(struct resv_userptr *up);

/**
 * resv_userptr_get_stats() - read the counters
 * @up: the validator
 * @stats: filled in
 *
 * Context: any; the counters are read one by one, not as a snapshot.
 */
RESV_EXPORT void resv_userptr_get_stats(struct resv_userptr *up,
					struct resv_userptr_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* RESV_USERPTR_H */
