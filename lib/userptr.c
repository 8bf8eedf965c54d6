/* SPDX-License-Identifier: MIT */
/*
 * The userptr sequence validator (see <resv/userptr.h>): i915's
 * submit_init/submit_done and amdgpu's get_user_pages/range_valid, as one
 * helper on top of mmu_interval_notifier.
 *
 * Why the page array can be rewritten in place by a new snapshot: a
 * snapshot only collects pages when mmu_interval_read_begin() returned a
 * sequence different from the installed one, i.e. an invalidation has
 * called our callback since. read_begin() does not return while that
 * invalidation is still running, and the callback does not return before
 * every fence published under the old snapshot signaled; a job that checks
 * after the callback fails. So nobody reads the old array any more.
 *
 * The decision must rest on the sequence number alone, never on the
 * 'valid' flag: the callback clears that flag *before* its fence wait, and
 * a snapshot that saw it cleared while read_begin() still returned the
 * installed sequence (the invalidation had not reached our callback when
 * read_begin() looked) would rewrite the array under a running GPU job.
 * In that case the snapshot keeps the old one; the check fails, and the
 * next read_begin() waits for the invalidation to finish. (The stress test
 * caught exactly this under ThreadSanitizer.)
 *
 * Counters are relaxed atomics: they are statistics, never decisions.
 */
#include <errno.h>
#include <stddef.h>

#include <urcu/compiler.h>

#include <resv/userptr.h>

#include "internal/alloc.h"
#include "internal/compiler.h"
#include "internal/report.h"
#include "internal/thread.h"

static inline void stat_inc(uint64_t *counter)
{
	resv_add_relaxed(counter, 1);
}

/* ---- the notifier lock ---------------------------------------------------------- */

void resv_notifier_lock_init(struct resv_notifier_lock *lock)
{
	pthread_rwlockattr_t attr;

	/* An invalidation (the writer) must not starve behind a stream of execs. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&lock->rwsem, &attr);
	pthread_rwlockattr_destroy(&attr);
	lock->writer = 0;
	lock->readers = 0;
}

void resv_notifier_lock_fini(struct resv_notifier_lock *lock)
{
	pthread_rwlock_destroy(&lock->rwsem);
}

void resv_notifier_read_lock(struct resv_notifier_lock *lock)
{
	pthread_rwlock_rdlock(&lock->rwsem);
	resv_add_relaxed(&lock->readers, 1);
}

void resv_notifier_read_unlock(struct resv_notifier_lock *lock)
{
	resv_add_relaxed(&lock->readers, -1);
	pthread_rwlock_unlock(&lock->rwsem);
}

void resv_notifier_write_lock(struct resv_notifier_lock *lock)
{
	pthread_rwlock_wrlock(&lock->rwsem);
	resv_store_relaxed(&lock->writer, (unsigned long)resv__thread_self());
}

bool resv_notifier_write_trylock(struct resv_notifier_lock *lock)
{
	if (pthread_rwlock_trywrlock(&lock->rwsem))
		return false;
	resv_store_relaxed(&lock->writer, (unsigned long)resv__thread_self());
	return true;
}

void resv_notifier_write_unlock(struct resv_notifier_lock *lock)
{
	resv_store_relaxed(&lock->writer, 0UL);
	pthread_rwlock_unlock(&lock->rwsem);
}

bool resv_notifier_lock_held(struct resv_notifier_lock *lock)
{
	return resv_load_relaxed(&lock->writer) == (unsigned long)resv__thread_self() ||
	       resv_load_relaxed(&lock->readers) > 0;
}

/* ---- the invalidate callback ------------------------------------------------------ */

static bool userptr_invalidate(struct mmu_interval_notifier *sub,
			       const struct mmu_notifier_range *range, unsigned long cur_seq)
{
	struct resv_userptr *up = caa_container_of(sub, struct resv_userptr, notifier);
	bool blockable = mmu_notifier_range_blockable(range);
	bool idle;

	if (blockable) {
		resv_notifier_write_lock(up->lock);
	} else if (!resv_notifier_write_trylock(up->lock)) {
		stat_inc(&up->stats.busy);
		return false;
	}
	idle = dma_resv_test_signaled(up->resv, DMA_RESV_USAGE_BOOKKEEP);
	if (!blockable && !idle) {
		/* Would have to wait: refuse before changing anything. */
		resv_notifier_write_unlock(up->lock);
		stat_inc(&up->stats.busy);
		return false;
	}
	mmu_interval_set_seq(sub, cur_seq);
	resv_store_relaxed(&up->valid, 0);
	stat_inc(&up->stats.invalidations);
	if (up->ops && up->ops->invalidate)
		up->ops->invalidate(up, range);
	if (!idle) {
		/*
		 * Every fence published under the old snapshot is in the resv
		 * now (publication happens under the read lock we excluded).
		 * Wait for all of them, whatever their usage.
		 */
		long left;

		stat_inc(&up->stats.waits);
		left = dma_resv_wait_timeout(up->resv, DMA_RESV_USAGE_BOOKKEEP, false,
					     MAX_SCHEDULE_TIMEOUT);
		/* Uninterruptible and unbounded: it can only end with everything signaled. */
		if (RESV_DEBUG_ON(left <= 0))
			resv__report(RESV_REPORT_MMU_NOTIFIER_MISUSE, up, NULL,
				     "userptr invalidate: fence wait returned %ld", left);
	}
	resv_notifier_write_unlock(up->lock);
	return true;
}

static const struct mmu_interval_notifier_ops userptr_notifier_ops = {
	.invalidate = userptr_invalidate,
};

/* ---- init / fini ------------------------------------------------------------------- */

int resv_userptr_init(struct resv_userptr *up, struct resv_mm *mm, unsigned long addr,
		      unsigned long len, struct resv_notifier_lock *lock, struct dma_resv *resv,
		      const struct resv_userptr_ops *ops)
{
	unsigned long npages, end;
	int ret;

	if (!up || !mm || !resv || (addr & (RESV_MM_PAGE_SIZE - 1)))
		return -EINVAL;
	if (len == 0 || len > ~0UL - (RESV_MM_PAGE_SIZE - 1))
		return -EOVERFLOW;
	npages = (len + RESV_MM_PAGE_SIZE - 1) >> RESV_MM_PAGE_SHIFT;
	if (__builtin_add_overflow(addr, npages << RESV_MM_PAGE_SHIFT, &end) || end == 0)
		return -EOVERFLOW;

	up->pages = resv__zalloc(npages * sizeof(void *));
	if (!up->pages)
		return -ENOMEM;
	up->mm = mm;
	up->addr = addr;
	up->npages = npages;
	up->resv = resv;
	up->ops = ops;
	up->notifier_seq = 0;
	up->valid = 0;
	up->stats = (struct resv_userptr_stats){ 0 };
	if (lock) {
		up->lock = lock;
	} else {
		resv_notifier_lock_init(&up->own_lock);
		up->lock = &up->own_lock;
	}
	pthread_mutex_init(&up->pin_lock, NULL);

	ret = mmu_interval_notifier_insert(&up->notifier, mm, addr,
					   npages << RESV_MM_PAGE_SHIFT, &userptr_notifier_ops);
	if (ret) {
		pthread_mutex_destroy(&up->pin_lock);
		if (up->lock == &up->own_lock)
			resv_notifier_lock_fini(&up->own_lock);
		resv__free(up->pages, npages * sizeof(void *));
		up->pages = NULL;
		return ret;
	}
	return 0;
}

void resv_userptr_fini(struct resv_userptr *up)
{
	mmu_interval_notifier_remove(&up->notifier);
	pthread_mutex_destroy(&up->pin_lock);
	if (up->lock == &up->own_lock)
		resv_notifier_lock_fini(&up->own_lock);
	resv__free(up->pages, up->npages * sizeof(void *));
	up->pages = NULL;
}

/* ---- snapshot and check ------------------------------------------------------------ */

int resv_userptr_snapshot(struct resv_userptr *up)
{
	int ret = -EAGAIN;

	pthread_mutex_lock(&up->pin_lock);
	for (int tries = 0; tries < RESV_USERPTR_SNAPSHOT_TRIES; tries++) {
		/* Sleeps while our range is being invalidated. */
		unsigned long seq = mmu_interval_read_begin(&up->notifier);

		/*
		 * pin_lock: only we write notifier_seq. Same sequence: nothing
		 * to collect (or an invalidation is on its way to our callback
		 * and the check will fail). 0 never matches: sequences are odd.
		 */
		if (seq == up->notifier_seq) {
			stat_inc(&up->stats.snapshot_skips);
			ret = 0;
			break;
		}
		ret = resv_mm_get_pages(up->mm, up->addr, up->npages, up->pages);
		if (ret)
			break;
		resv_notifier_write_lock(up->lock);
		if (!mmu_interval_read_retry(&up->notifier, seq)) {
			resv_store_relaxed(&up->notifier_seq, seq);
			resv_store_relaxed(&up->valid, 1);
			resv_notifier_write_unlock(up->lock);
			stat_inc(&up->stats.snapshots);
			ret = 0;
			break;
		}
		resv_notifier_write_unlock(up->lock);
		stat_inc(&up->stats.snapshot_retries);
		ret = -EAGAIN;
	}
	pthread_mutex_unlock(&up->pin_lock);
	return ret;
}

int resv_userptr_check(struct resv_userptr *up)
{
	if (RESV_DEBUG_ON(!resv_notifier_lock_held(up->lock)))
		resv__report(RESV_REPORT_MMU_NOTIFIER_MISUSE, up, NULL,
			     "resv_userptr_check without the notifier lock");
	if (!resv_load_relaxed(&up->valid) ||
	    mmu_interval_read_retry(&up->notifier, resv_load_relaxed(&up->notifier_seq))) {
		stat_inc(&up->stats.retries);
		return -EAGAIN;
	}
	return 0;
}

bool resv_userptr_needs_repin(struct resv_userptr *up)
{
	return !resv_load_relaxed(&up->valid);
}

void **resv_userptr_pages(struct resv_userptr *up)
{
	return up->pages;
}

void resv_userptr_get_stats(struct resv_userptr *up, struct resv_userptr_stats *stats)
{
	stats->snapshots = resv_load_relaxed(&up->stats.snapshots);
	stats->snapshot_skips = resv_load_relaxed(&up->stats.snapshot_skips);
	stats->snapshot_retries = resv_load_relaxed(&up->stats.snapshot_retries);
	stats->retries = resv_load_relaxed(&up->stats.retries);
	stats->invalidations = resv_load_relaxed(&up->stats.invalidations);
	stats->waits = resv_load_relaxed(&up->stats.waits);
	stats->busy = resv_load_relaxed(&up->stats.busy);
}
