/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * An address space (&struct resv_mm, libresv's stand-in for the kernel's
 * ``mm_struct``) and the kernel's interval notifiers on it
 * (``include/linux/mmu_notifier.h``, ``mm/mmu_notifier.c``), with the
 * kernel's exact sequence protocol. A driver that lets a device read host
 * memory ("userptr") subscribes to the range it uses; whatever would change
 * what the range maps to (resv_mm_unmap(), resv_mm_migrate(), or a bare
 * resv_mm_invalidate_range()) first calls the subscribers' invalidate
 * callbacks, and the driver's retry check then tells it whether the pages it
 * collected are still the ones mapped. The collect-then-check loop, with
 * the driver's own lock around the check (Documentation/mm/hmm.rst)::
 *
 *	#include <errno.h>
 *	#include <pthread.h>
 *	#include <resv/mmu_notifier.h>
 *
 *	struct mirror {
 *		struct mmu_interval_notifier sub;
 *		pthread_mutex_t update;          // the driver lock
 *		void *pages[16];
 *	};
 *
 *	static bool mirror_invalidate(struct mmu_interval_notifier *sub,
 *				      const struct mmu_notifier_range *range,
 *				      unsigned long cur_seq)
 *	{
 *		struct mirror *m = caa_container_of(sub, struct mirror, sub);
 *
 *		if (!mmu_notifier_range_blockable(range))
 *			return false;            // we would have to sleep
 *		pthread_mutex_lock(&m->update);
 *		mmu_interval_set_seq(sub, cur_seq);
 *		// stop the device using m->pages before returning
 *		pthread_mutex_unlock(&m->update);
 *		return true;
 *	}
 *	static const struct mmu_interval_notifier_ops mirror_ops = {
 *		.invalidate = mirror_invalidate,
 *	};
 *
 *	int mirror_fault(struct mirror *m, struct resv_mm *mm, unsigned long addr)
 *	{
 *		unsigned long seq;
 *		int ret;
 *
 *		ret = mmu_interval_notifier_insert(&m->sub, mm, addr,
 *						   16 * RESV_MM_PAGE_SIZE, &mirror_ops);
 *		if (ret)
 *			return ret;              // -EINVAL, -EOVERFLOW, -ENOMEM
 *	again:
 *		seq = mmu_interval_read_begin(&m->sub);
 *		ret = resv_mm_get_pages(mm, addr, 16, m->pages);
 *		if (ret)
 *			goto out;                // -EFAULT: not mapped
 *		pthread_mutex_lock(&m->update);
 *		if (mmu_interval_read_retry(&m->sub, seq)) {
 *			pthread_mutex_unlock(&m->update);
 *			goto again;              // invalidated meanwhile
 *		}
 *		// m->pages are current: program the device here
 *		pthread_mutex_unlock(&m->update);
 *	out:
 *		mmu_interval_notifier_remove(&m->sub);
 *		return ret;
 *	}
 *
 * The sequence protocol. Each &struct resv_mm has a sequence number that
 * starts at 2 and is even while no invalidation overlaps a notifier. An
 * invalidation that finds overlapping notifiers makes it odd, calls each
 * overlapping notifier's ->invalidate() with that odd value (cur_seq), and
 * the last invalidation to end makes it even again. The callback stores
 * cur_seq in the notifier (mmu_interval_set_seq()), so:
 *
 * - mmu_interval_read_begin() returns the notifier's sequence number; if
 *   that equals the mm's (this notifier is being invalidated right now) it
 *   first sleeps until the invalidation ends;
 * - mmu_interval_read_retry(sub, seq) is true iff some invalidation called
 *   mmu_interval_set_seq() on @sub after the read_begin() that gave @seq;
 * - a notifier inserted while the mm is idle gets mm seq - 1 (odd, never
 *   the current value); one inserted during an invalidation inherits the
 *   current odd value (and its tree insertion is deferred to the end of the
 *   invalidation), so its first read_begin() waits;
 * - mmu_interval_notifier_remove() during an invalidation is deferred too,
 *   and waits for the invalidation to end: once it returns, no callback of
 *   that notifier runs.
 *
 * The address space. resv_mm_map() backs a range with page-sized blocks of
 * host memory (zeroed, or copied from a buffer); resv_mm_get_pages() is
 * get_user_pages(); resv_mm_read()/resv_mm_write() are CPU accesses
 * through the mapping. resv_mm_unmap() and resv_mm_migrate() are the
 * invalidation entry points: they run invalidate_range_start (the
 * callbacks) before changing the mapping and invalidate_range_end after,
 * as the kernel's munmap and page migration do. The pages they take out of
 * the mapping are not freed while a callback could still let a device read
 * them (that is what the callbacks wait for); afterwards they return to a
 * per-mm pool and are reused by later maps and migrations, and debug builds
 * (RESV_DEBUG) fill them with RESV_MM_PAGE_POISON, so a stale page pointer
 * used after its invalidation reads poison or somebody else's data, never
 * the mm's current data.
 *
 * Locks: each mm has an mmap lock (a reader/writer lock, see
 * resv_mmap_read_lock()). map, unmap and migrate take it for writing, so the
 * callbacks of their invalidations run with it held for writing;
 * get_pages, read and write take it for reading. The bare invalidation
 * calls (resv_mm_invalidate_range(), mmu_notifier_invalidate_range_start())
 * take no mmap lock and may run concurrently with each other, as the
 * kernel's do. Lock order: mmap lock -> invalidate callbacks (and whatever
 * they take: typically a driver notifier lock, then fence waits).
 *
 * Debug builds report (RESV_REPORT_MMU_NOTIFIER_MISUSE, <resv/report.h>):
 * an invalidate callback returning false for a blockable range (ignored,
 * as the kernel WARNs and ignores it); mmu_interval_notifier_remove() or a
 * blocking mmu_interval_read_begin() called from inside an invalidate
 * callback (it would wait for itself: it returns without waiting instead,
 * in every build); mmu_interval_notifier_insert_locked() without the mmap
 * lock held for writing; resv_mm_destroy() with notifiers still inserted.
 *
 * Differences from the kernel, on purpose (details in docs/userptr.md):
 * &struct resv_mm maps only anonymous page-sized memory and never replaces
 * a mapping (-EEXIST, like MAP_FIXED_NOREPLACE); only interval notifiers
 * exist; resv_mm_get_pages() pins nothing (the hmm_range_fault() contract:
 * pages stay valid until the next invalidation of their range has run its
 * callbacks); resv_mm_migrate() moves every page of a fully mapped range.
 */
#ifndef RESV_MMU_NOTIFIER_H
#define RESV_MMU_NOTIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <urcu/compiler.h>
#include <urcu/list.h>

#include <resv/compiler.h>
#include <resv/interval_tree.h>

#ifdef __cplusplus
extern "C" {
#endif

/** RESV_MM_PAGE_SHIFT - log2 of the page size of a &struct resv_mm */
#define RESV_MM_PAGE_SHIFT 12
/** RESV_MM_PAGE_SIZE - bytes per page of a &struct resv_mm */
#define RESV_MM_PAGE_SIZE (1UL << RESV_MM_PAGE_SHIFT)
/** RESV_MM_PAGE_POISON - what debug builds fill pages with once freed */
#define RESV_MM_PAGE_POISON 0x6b

struct resv_mm;
struct mmu_interval_notifier;

/**
 * enum mmu_notifier_event - why a range is invalidated
 * @MMU_NOTIFY_UNMAP: the range is unmapped (resv_mm_unmap())
 * @MMU_NOTIFY_CLEAR: page table entries cleared for another reason
 * @MMU_NOTIFY_PROTECTION_VMA: protection change of the whole mapping
 * @MMU_NOTIFY_PROTECTION_PAGE: protection change of pages
 * @MMU_NOTIFY_SOFT_DIRTY: soft-dirty tracking
 * @MMU_NOTIFY_RELEASE: the address space goes away
 * @MMU_NOTIFY_MIGRATE: the pages move to new memory (resv_mm_migrate())
 * @MMU_NOTIFY_EXCLUSIVE: exclusive device access
 *
 * The values of the kernel's enum; libresv itself only produces UNMAP and
 * MIGRATE, the others pass through resv_mm_invalidate_range().
 */
enum mmu_notifier_event {
	MMU_NOTIFY_UNMAP = 0,
	MMU_NOTIFY_CLEAR,
	MMU_NOTIFY_PROTECTION_VMA,
	MMU_NOTIFY_PROTECTION_PAGE,
	MMU_NOTIFY_SOFT_DIRTY,
	MMU_NOTIFY_RELEASE,
	MMU_NOTIFY_MIGRATE,
	MMU_NOTIFY_EXCLUSIVE,
};

/** MMU_NOTIFIER_RANGE_BLOCKABLE - &mmu_notifier_range.flags: callbacks may sleep */
#define MMU_NOTIFIER_RANGE_BLOCKABLE (1U << 0)

/**
 * struct mmu_notifier_range - what is being invalidated
 * @mm: the address space
 * @start: first byte of the range
 * @end: one past its last byte (exclusive)
 * @flags: MMU_NOTIFIER_RANGE_BLOCKABLE or 0
 * @event: why
 * @owner: passed through to the callbacks (the kernel's migration owner);
 *	NULL from libresv's own entry points
 */
struct mmu_notifier_range {
	struct resv_mm *mm;
	unsigned long start;
	unsigned long end;
	unsigned int flags;
	enum mmu_notifier_event event;
	void *owner;
};

/**
 * struct mmu_interval_notifier_ops - what a subscriber provides
 * @invalidate: mandatory. Called for every invalidation that overlaps the
 *	notifier's range, before the mapping changes, with the odd @cur_seq
 *	of the invalidation. It must call mmu_interval_set_seq(@sub,
 *	@cur_seq) unconditionally, under the same driver lock the driver
 *	holds around mmu_interval_read_retry(), and must not return before
 *	the device has stopped using the pages of the range (wait for its
 *	work, zap its page tables). It may sleep when
 *	mmu_notifier_range_blockable(@range). It returns false only when it
 *	would have to sleep and the range is not blockable: the invalidation
 *	then fails with -EAGAIN; a false for a blockable range is reported
 *	(debug builds) and ignored. It must not call
 *	mmu_interval_notifier_remove() or mmu_interval_read_begin() of an
 *	invalidated notifier, and must not take the mmap lock.
 */
struct mmu_interval_notifier_ops {
	bool (*invalidate)(struct mmu_interval_notifier *sub,
			   const struct mmu_notifier_range *range, unsigned long cur_seq);
};

/**
 * struct mmu_interval_notifier - a subscription to a range of an mm
 * @interval_tree: the range, [start, last] in bytes; read-only for users
 * @ops: the callbacks
 * @mm: the address space
 * @deferred_item: on the mm's deferred list while an insert or remove
 *	waits for an invalidation to end; private
 * @invalidate_seq: the sequence number; written by mmu_interval_set_seq(),
 *	read with mmu_interval_read_begin() / _read_retry() / _check_retry()
 *
 * Owned by the caller (usually embedded in a driver object); must stay
 * alive from mmu_interval_notifier_insert() until
 * mmu_interval_notifier_remove() returned.
 */
struct mmu_interval_notifier {
	struct resv_interval_tree_node interval_tree;
	const struct mmu_interval_notifier_ops *ops;
	struct resv_mm *mm;
	struct cds_list_head deferred_item;
	unsigned long invalidate_seq;
};

/**
 * struct resv_mm_stats - counters of an address space
 * @mapped_pages: pages currently mapped
 * @free_pages: freed pages kept in the mm's pool for reuse
 * @invalidations: invalidate_range_start calls that overlapped at least
 *	one notifier
 * @callbacks: invalidate callbacks called
 * @nonblock_failures: non-blockable invalidations that failed with -EAGAIN
 * @notifiers: notifiers inserted (including deferred inserts)
 */
struct resv_mm_stats {
	uint64_t mapped_pages;
	uint64_t free_pages;
	uint64_t invalidations;
	uint64_t callbacks;
	uint64_t nonblock_failures;
	uint64_t notifiers;
};

/* ---- the address space ----------------------------------------------------- */

/**
 * resv_mm_create() - create an empty address space
 * @mmp: receives the new mm
 *
 * Context: any thread.
 * Return: 0, or -EINVAL when @mmp is NULL, or -ENOMEM (@mmp untouched).
 */
RESV_EXPORT RESV_MUST_CHECK int resv_mm_create(struct resv_mm **mmp);

/**
 * resv_mm_destroy() - free an address space and all its pages
 * @mm: the mm, or NULL (nothing done)
 *
 * Frees every mapped and pooled page without invalidating anything: every
 * notifier must have been removed before (debug builds report one still
 * inserted, whose memory then dangles).
 *
 * Context: no other thread uses @mm any more.
 */
RESV_EXPORT void resv_mm_destroy(struct resv_mm *mm);

/**
 * resv_mm_map() - map zeroed pages at a fixed address
 * @mm: the mm
 * @addr: page-aligned start address
 * @len: bytes; rounded up to whole pages
 *
 * Like mmap(MAP_FIXED_NOREPLACE | MAP_ANONYMOUS). No notifier is called: a
 * range that was not mapped has nothing to invalidate.
 *
 * Context: may sleep; takes the mmap lock for writing (must not be held).
 * Return: 0; -EINVAL when @addr is unaligned, @len is 0 or the range wraps
 * around; -EEXIST when part of the range is already mapped; -ENOMEM. On
 * error nothing changed.
 */
RESV_EXPORT RESV_MUST_CHECK int resv_mm_map(struct resv_mm *mm, unsigned long addr,
					    unsigned long len);

/**
 * resv_mm_map_data() - map pages holding a copy of a buffer
 * @mm: the mm
 * @addr: page-aligned start address
 * @len: bytes; rounded up to whole pages
 * @data: @len bytes copied into the new pages (the rest of the last page is
 *	zeroed); NULL maps zeroed pages
 *
 * As resv_mm_map(), but the pages have their contents before anybody can
 * see them (a private file mapping, in the kernel's terms).
 *
 * Context: may sleep; takes the mmap lock for writing (must not be held).
 * Return: as resv_mm_map().
 */
RESV_EXPORT RESV_MUST_CHECK int resv_mm_map_data(struct resv_mm *mm, unsigned long addr,
						 unsigned long len, const void *data);

/**
 * resv_mm_unmap() - unmap a range, invalidating it first
 * @mm: the mm
 * @addr: page-aligned start address
 * @len: bytes; rounded up to whole pages
 *
 * Like munmap(): holes in the range are fine. When anything in the range is
 * mapped, runs mmu_notifier_invalidate_range_start() (MMU_NOTIFY_UNMAP,
 * blockable) over the mapped part — every overlapping notifier's
 * ->invalidate() returns before anything changes — then removes the pages,
 * runs mmu_notifier_invalidate_range_end(), and frees the pages into the
 * mm's pool (poisoned in debug builds).
 *
 * Context: may sleep, for as long as the callbacks do; takes the mmap lock
 * for writing (must not be held); not from an invalidate callback.
 * Return: 0 (also when nothing was mapped); -EINVAL when @addr is
 * unaligned, @len is 0 or the range wraps around; -ENOMEM when a mapping
 * would have to be split and that allocation failed (checked before any
 * invalidation: nothing changed).
 */
RESV_EXPORT RESV_MUST_CHECK int resv_mm_unmap(struct resv_mm *mm, unsigned long addr,
					      unsigned long len);

/**
 * resv_mm_migrate() - move the pages of a range to new host memory
 * @mm: the mm
 * @addr: page-aligned start address
 * @len: bytes; rounded up to whole pages
 *
 * Page migration: allocates new pages first, runs
 * mmu_notifier_invalidate_range_start() (MMU_NOTIFY_MIGRATE, blockable),
 * copies each page's data into its new page and switches the mapping over,
 * runs mmu_notifier_invalidate_range_end(), then frees the old pages into
 * the pool (poisoned in debug builds). The data read through the mm is
 * unchanged; every page pointer taken before is stale.
 *
 * Context: may sleep, for as long as the callbacks do; takes the mmap lock
 * for writing (must not be held); not from an invalidate callback.
 * Return: 0; -EINVAL when @addr is unaligned, @len is 0 or the range wraps
 * around; -EFAULT when a page of the range is not mapped; -ENOMEM. On error
 * nothing changed and no notifier was called.
 */
RESV_EXPORT RESV_MUST_CHECK int resv_mm_migrate(struct resv_mm *mm, unsigned long addr,
						unsigned long len);

/**
 * resv_mm_get_pages() - get the pages backing a range (get_user_pages)
 * @mm: the mm
 * @start: page-aligned start address
 * @npages: number of pages
 * @pages: receives @npages host addresses, each of RESV_MM_PAGE_SIZE bytes
 *
 * The pages are neither pinned nor referenced: they stay what the range
 * maps until the next invalidation of the range has called its notifiers.
 * Use it between mmu_interval_read_begin() and a retry check under the
 * driver lock (see the overview).
 *
 * Context: may sleep; takes the mmap lock for reading (must not be held);
 * no dma_resv lock may be held (lock order: the kernel never faults user
 * pages under a reservation).
 * Return: 0; -EINVAL when @start is unaligned, @npages is 0 or the range
 * wraps around; -EFAULT when some page of the range is not mapped (@pages
 * then unspecified).
 */
RESV_EXPORT RESV_MUST_CHECK int resv_mm_get_pages(struct resv_mm *mm, unsigned long start,
						  unsigned long npages, void **pages);

/**
 * resv_mm_read() - copy bytes out of the address space (a CPU read)
 * @mm: the mm
 * @addr: any address
 * @buf: receives @len bytes
 * @len: bytes; 0 does nothing
 *
 * Context: may sleep; takes the mmap lock for reading (must not be held).
 * Return: 0; -EFAULT when a byte of the range is not mapped (nothing
 * copied), or the range wraps around.
 */
RESV_EXPORT RESV_MUST_CHECK int resv_mm_read(struct resv_mm *mm, unsigned long addr, void *buf,
					     size_t len);

/**
 * resv_mm_write() - copy bytes into the address space (a CPU write)
 * @mm: the mm
 * @addr: any address
 * @buf: @len bytes to store
 * @len: bytes; 0 does nothing
 *
 * A CPU write invalidates nothing (the pages stay the same); a device
 * reading the same bytes at the same time races with it, as on hardware.
 *
 * Context: may sleep; takes the mmap lock for reading (must not be held).
 * Return: 0; -EFAULT when a byte of the range is not mapped (nothing
 * written), or the range wraps around.
 */
RESV_EXPORT RESV_MUST_CHECK int resv_mm_write(struct resv_mm *mm, unsigned long addr,
					      const void *buf, size_t len);

/**
 * resv_mm_invalidate_range() - invalidate a range without changing it
 * @mm: the mm
 * @start: first byte
 * @end: one past the last byte
 * @blockable: whether the callbacks may sleep
 * @event: passed to the callbacks
 *
 * mmu_notifier_invalidate_range_start() (or its _nonblock variant) and
 * _end() back to back, with nothing changed in between: every notifier
 * overlapping [@start, @end) is told, and must treat its pages as stale.
 * For tests and for simulating invalidations the mm does not make itself
 * (reclaim, the OOM reaper, a protection change).
 *
 * Context: may sleep if @blockable; no mmap lock needed; not from an
 * invalidate callback.
 * Return: 0; -EINVAL when @start >= @end or @event is out of range;
 * -EAGAIN when @blockable is false and a callback returned false (the
 * invalidation was ended; callbacks of other notifiers may already have
 * run and moved their sequence numbers, as in the kernel).
 */
RESV_EXPORT RESV_MUST_CHECK int resv_mm_invalidate_range(struct resv_mm *mm, unsigned long start,
							 unsigned long end, bool blockable,
							 enum mmu_notifier_event event);

/**
 * resv_mm_get_stats() - read an address space's counters
 * @mm: the mm
 * @stats: filled in
 *
 * Context: any thread; takes the mmap lock for reading (must not be held),
 * so the page counts are consistent with each other.
 */
RESV_EXPORT void resv_mm_get_stats(struct resv_mm *mm, struct resv_mm_stats *stats);

/**
 * resv_mmap_read_lock() - take the mmap lock for reading (mmap_read_lock)
 * @mm: the mm
 *
 * Context: may sleep; not recursive (a waiting writer has priority).
 */
RESV_EXPORT void resv_mmap_read_lock(struct resv_mm *mm);

/**
 * resv_mmap_read_unlock() - release the mmap lock taken for reading
 * @mm: the mm
 *
 * Context: a thread that holds it for reading.
 */
RESV_EXPORT void resv_mmap_read_unlock(struct resv_mm *mm);

/**
 * resv_mmap_write_lock() - take the mmap lock for writing (mmap_write_lock)
 * @mm: the mm
 *
 * What mmu_interval_notifier_insert_locked() expects to be held.
 *
 * Context: may sleep; not recursive.
 */
RESV_EXPORT void resv_mmap_write_lock(struct resv_mm *mm);

/**
 * resv_mmap_write_unlock() - release the mmap lock taken for writing
 * @mm: the mm
 *
 * Context: the thread that holds it for writing.
 */
RESV_EXPORT void resv_mmap_write_unlock(struct resv_mm *mm);

/* ---- invalidation, as the core mm does it ------------------------------------ */

/**
 * mmu_notifier_range_init() - describe a range to invalidate
 * @range: filled in
 * @event: why
 * @flags: MMU_NOTIFIER_RANGE_BLOCKABLE or 0
 * @mm: the address space
 * @start: first byte
 * @end: one past the last byte
 *
 * Context: any.
 */
static inline void mmu_notifier_range_init(struct mmu_notifier_range *range,
					   enum mmu_notifier_event event, unsigned int flags,
					   struct resv_mm *mm, unsigned long start,
					   unsigned long end)
{
	range->mm = mm;
	range->start = start;
	range->end = end;
	range->flags = flags;
	range->event = event;
	range->owner = NULL;
}

/**
 * mmu_notifier_range_blockable() - may the callbacks of @range sleep
 * @range: the range passed to ->invalidate()
 *
 * Context: any.
 * Return: true when MMU_NOTIFIER_RANGE_BLOCKABLE is set.
 */
static inline bool mmu_notifier_range_blockable(const struct mmu_notifier_range *range)
{
	return (range->flags & MMU_NOTIFIER_RANGE_BLOCKABLE) != 0;
}

/**
 * mmu_notifier_invalidate_range_start() - begin invalidating a range
 * @range: from mmu_notifier_range_init(); its @mm and bounds
 *
 * Sets MMU_NOTIFIER_RANGE_BLOCKABLE in @range (as the kernel does), makes
 * the mm's sequence odd if a notifier overlaps the range and calls each
 * overlapping notifier's ->invalidate() with it. Until the matching
 * mmu_notifier_invalidate_range_end(), mmu_interval_read_begin() of those
 * notifiers sleeps. A false return of a callback is reported (debug
 * builds) and ignored.
 *
 * Context: may sleep (in the callbacks); no mmap lock needed; not from an
 * invalidate callback. Must be paired with
 * mmu_notifier_invalidate_range_end() on the same range.
 */
RESV_EXPORT void mmu_notifier_invalidate_range_start(struct mmu_notifier_range *range);

/**
 * mmu_notifier_invalidate_range_start_nonblock() - begin invalidating, or fail
 * @range: from mmu_notifier_range_init()
 *
 * As mmu_notifier_invalidate_range_start(), but clears
 * MMU_NOTIFIER_RANGE_BLOCKABLE in @range, and when a callback returns
 * false (it would have to sleep) the invalidation ends at once and
 * -EAGAIN is returned; the caller must then not call _range_end(), and
 * must not change the mapping.
 *
 * Context: does not sleep itself; the callbacks must not either.
 * Return: 0 (pair with mmu_notifier_invalidate_range_end()), or -EAGAIN.
 */
RESV_EXPORT RESV_MUST_CHECK int
mmu_notifier_invalidate_range_start_nonblock(struct mmu_notifier_range *range);

/**
 * mmu_notifier_invalidate_range_end() - finish invalidating a range
 * @range: the range passed to _range_start() (the same object: start
 *	records in its @flags whether it counted an invalidation)
 *
 * When this was the last invalidation in progress on the mm: makes the
 * sequence even again, performs the inserts and removes deferred during
 * the invalidation, and wakes mmu_interval_read_begin() and
 * mmu_interval_notifier_remove() callers.
 *
 * Context: any thread (normally the one that started it); does not sleep.
 */
RESV_EXPORT void mmu_notifier_invalidate_range_end(struct mmu_notifier_range *range);

/* ---- interval notifiers ------------------------------------------------------ */

/**
 * mmu_interval_notifier_insert() - subscribe to a range of an mm
 * @sub: the notifier, owned by the caller; any previous contents ignored
 * @mm: the address space
 * @start: first byte of the range
 * @length: bytes; the range is [@start, @start + @length - 1]
 * @ops: the callbacks; ->invalidate is mandatory
 *
 * Idle mm: @sub is in the tree at once, with invalidate_seq = mm seq - 1.
 * During an invalidation: @sub gets the current odd sequence (so its first
 * mmu_interval_read_begin() waits for the invalidation to end) and, if the
 * tree is being walked, its insertion is deferred to the end. The first
 * insert on an mm allocates its notifier state.
 *
 * Context: may sleep; the mmap lock must not be held (see
 * mmu_interval_notifier_insert_locked()); not from an invalidate callback.
 * Return: 0; -EINVAL when @sub, @mm, @ops or @ops->invalidate is NULL;
 * -EOVERFLOW when @length is 0 or @start + @length wraps around (to 0
 * included); -ENOMEM. On error @sub is not inserted.
 */
RESV_EXPORT RESV_MUST_CHECK int
mmu_interval_notifier_insert(struct mmu_interval_notifier *sub, struct resv_mm *mm,
			     unsigned long start, unsigned long length,
			     const struct mmu_interval_notifier_ops *ops);

/**
 * mmu_interval_notifier_insert_locked() - insert with the mmap lock held
 * @sub: the notifier
 * @mm: the address space
 * @start: first byte
 * @length: bytes
 * @ops: the callbacks
 *
 * As mmu_interval_notifier_insert(), for callers that hold the mmap lock
 * for writing (debug builds report a caller that does not).
 *
 * Context: the calling thread holds @mm's mmap lock for writing.
 * Return: as mmu_interval_notifier_insert().
 */
RESV_EXPORT RESV_MUST_CHECK int
mmu_interval_notifier_insert_locked(struct mmu_interval_notifier *sub, struct resv_mm *mm,
				    unsigned long start, unsigned long length,
				    const struct mmu_interval_notifier_ops *ops);

/**
 * mmu_interval_notifier_remove() - unsubscribe
 * @sub: an inserted notifier
 *
 * If an invalidation is walking the tree the removal is deferred to its
 * end, and this call sleeps until then. Once it returns, no callback of
 * @sub runs any more and its memory may be freed.
 *
 * Context: may sleep; must not hold any lock an invalidate callback takes
 * (the driver's notifier lock, the mmap lock); not from an invalidate
 * callback (reported, and then it returns without waiting).
 */
RESV_EXPORT void mmu_interval_notifier_remove(struct mmu_interval_notifier *sub);

/**
 * mmu_interval_read_begin() - begin a read-side critical section
 * @sub: an inserted notifier
 *
 * Returns the notifier's sequence number, to be checked with
 * mmu_interval_read_retry() under the driver lock once the pages have
 * been collected. If an invalidation of @sub is in progress (its sequence
 * equals the mm's odd one) it first sleeps until the invalidation ends.
 * It does not loop: the number returned may already be stale.
 *
 * Context: may sleep, for as long as an invalidation's callbacks run (they
 * wait for GPU work): hold no lock a callback takes (the driver's notifier
 * lock, the mmap lock) and no dma_resv lock (the GPU work waited for may
 * need it); a call from inside a callback that would have to wait is
 * reported and returns without waiting.
 * Return: the sequence number.
 */
RESV_EXPORT unsigned long mmu_interval_read_begin(struct mmu_interval_notifier *sub);

/**
 * mmu_interval_set_seq() - record an invalidation (from ->invalidate())
 * @sub: the notifier being invalidated
 * @cur_seq: the value passed to ->invalidate()
 *
 * Context: in the invalidate callback, under the driver lock that
 * mmu_interval_read_retry() callers hold.
 */
static inline void mmu_interval_set_seq(struct mmu_interval_notifier *sub, unsigned long cur_seq)
{
	/* relaxed atomics: read_begin and check_retry read it without the driver lock */
	__atomic_store_n(&sub->invalidate_seq, cur_seq, __ATOMIC_RELAXED);
}

/**
 * mmu_interval_read_retry() - must the read-side section be retried
 * @sub: the notifier
 * @seq: from mmu_interval_read_begin()
 *
 * Context: under the driver lock that the invalidate callback takes around
 * mmu_interval_set_seq(); only then is the answer final (it then stays
 * valid until the lock is dropped).
 * Return: true iff an invalidation called mmu_interval_set_seq() on @sub
 * since the mmu_interval_read_begin() that returned @seq.
 */
static inline bool mmu_interval_read_retry(struct mmu_interval_notifier *sub, unsigned long seq)
{
	return __atomic_load_n(&sub->invalidate_seq, __ATOMIC_RELAXED) != seq;
}

/**
 * mmu_interval_check_retry() - lockless hint that a retry will be needed
 * @sub: the notifier
 * @seq: from mmu_interval_read_begin()
 *
 * For bailing out early of a long operation. False means nothing: the
 * decision belongs to mmu_interval_read_retry() under the driver lock. True
 * is final (sequence numbers never come back).
 *
 * Context: any; no lock needed.
 * Return: true if an invalidation has already moved @sub's sequence.
 */
static inline bool mmu_interval_check_retry(struct mmu_interval_notifier *sub, unsigned long seq)
{
	return __atomic_load_n(&sub->invalidate_seq, __ATOMIC_RELAXED) != seq;
}

#ifdef __cplusplus
}
#endif

#endif /* RESV_MMU_NOTIFIER_H */
