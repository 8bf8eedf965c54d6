/* SPDX-License-Identifier: MIT */
/*
 * Interval notifiers and the invalidation sequence protocol, after the
 * kernel's mm/mmu_notifier.c (interval part; semantics, not code).
 *
 * State per mm (struct mmu_notifier_subscriptions, allocated by the first
 * insert): a sequence number, even while idle, and a count of invalidations
 * in progress. An invalidation that overlaps at least one notifier makes the
 * sequence odd; the last invalidation to end makes it even again. While it
 * is odd the tree is not modified (inserts and removes go on the deferred
 * list and happen at the end), which is what lets invalidations walk the
 * tree and call callbacks without holding the lock, and lets several
 * invalidations run at once.
 *
 * Blocking: read_begin() of a notifier being invalidated, and remove() of a
 * notifier whose removal was deferred, sleep on the condition variable
 * until the sequence moves on. A thread that is itself inside a callback
 * would wait for itself; it gets a report and does not wait (the kernel's
 * lockdep map on invalidate_range_start catches the same thing).
 */
#include <errno.h>
#include <stddef.h>

#include <urcu/compiler.h>

#include "internal/alloc.h"
#include "internal/mmu_notifier.h"
#include "internal/report.h"

/*
 * Private bit of mmu_notifier_range.flags: set by a start that counted an
 * invalidation, so the matching end knows to uncount it even if the
 * notifier state was allocated in between.
 */
#define RANGE_COUNTED (1U << 31)

/* Invalidate callbacks this thread is inside (any mm). */
static __thread unsigned int callback_depth;

static inline bool is_invalidating(const struct mmu_notifier_subscriptions *subs)
{
	return subs->invalidate_seq & 1;
}

static struct mmu_interval_notifier *to_sub(struct resv_interval_tree_node *node)
{
	return node ? caa_container_of(node, struct mmu_interval_notifier, interval_tree) : NULL;
}

/* The mm's notifier state, allocated on first use (mmu_notifier_register). */
static int subscriptions_get(struct resv_mm *mm, struct mmu_notifier_subscriptions **out)
{
	struct mmu_notifier_subscriptions *subs = resv__mm_subscriptions(mm);
	int ret = 0;

	if (likely(subs)) {
		*out = subs;
		return 0;
	}
	pthread_mutex_lock(&mm->register_lock);
	subs = resv_load_relaxed(&mm->notifier_subscriptions);
	if (!subs) {
		subs = resv__zalloc(sizeof(*subs));
		if (!subs) {
			ret = -ENOMEM;
			goto out;
		}
		pthread_mutex_init(&subs->lock, NULL);
		pthread_cond_init(&subs->wq, NULL);
		subs->invalidate_seq = 2;	/* even: idle */
		CDS_INIT_LIST_HEAD(&subs->deferred_list);
		resv_store_release(&mm->notifier_subscriptions, subs);
	}
	*out = subs;
out:
	pthread_mutex_unlock(&mm->register_lock);
	return ret;
}

void resv__mm_subscriptions_destroy(struct resv_mm *mm)
{
	struct mmu_notifier_subscriptions *subs = resv__mm_subscriptions(mm);

	if (!subs)
		return;
	if (RESV_DEBUG_ON(subs->notifiers))
		resv__report(RESV_REPORT_MMU_NOTIFIER_MISUSE, mm, NULL,
			     "resv_mm_destroy: %llu interval notifier(s) still inserted",
			     (unsigned long long)subs->notifiers);
	pthread_cond_destroy(&subs->wq);
	pthread_mutex_destroy(&subs->lock);
	resv__free(subs, sizeof(*subs));
	mm->notifier_subscriptions = NULL;
}

void resv__mm_subscriptions_stats(struct resv_mm *mm, struct resv_mm_stats *stats)
{
	struct mmu_notifier_subscriptions *subs = resv__mm_subscriptions(mm);

	stats->invalidations = stats->callbacks = stats->nonblock_failures = 0;
	stats->notifiers = 0;
	if (!subs)
		return;
	pthread_mutex_lock(&subs->lock);
	stats->invalidations = subs->invalidations;
	stats->notifiers = subs->notifiers;
	pthread_mutex_unlock(&subs->lock);
	stats->callbacks = resv_load_relaxed(&subs->callbacks);
	stats->nonblock_failures = resv_load_relaxed(&subs->nonblock_failures);
}

/* ---- insert / remove -------------------------------------------------------- */

static int insert(struct mmu_interval_notifier *sub, struct resv_mm *mm, unsigned long start,
		  unsigned long length, const struct mmu_interval_notifier_ops *ops)
{
	struct mmu_notifier_subscriptions *subs;
	unsigned long end;
	int ret;

	if (!sub || !mm || !ops || !ops->invalidate)
		return -EINVAL;
	/* As the kernel: an end that wraps, even exactly to 0, is an overflow. */
	if (length == 0 || __builtin_add_overflow(start, length, &end))
		return -EOVERFLOW;
	ret = subscriptions_get(mm, &subs);
	if (ret)
		return ret;

	sub->interval_tree.start = start;
	sub->interval_tree.last = end - 1;
	sub->ops = ops;
	sub->mm = mm;
	resv__itree_clear_node(&sub->interval_tree);
	CDS_INIT_LIST_HEAD(&sub->deferred_item);

	pthread_mutex_lock(&subs->lock);
	if (subs->active_invalidate_ranges) {
		/*
		 * An invalidation is in progress. If it walks the tree (odd
		 * sequence), insertion waits for the end. Either way the new
		 * notifier takes the current odd sequence, so its first
		 * read_begin() waits for the invalidation to finish: the pages
		 * it is about to collect may be going away.
		 */
		if (is_invalidating(subs))
			cds_list_add(&sub->deferred_item, &subs->deferred_list);
		else {
			subs->invalidate_seq |= 1;
			resv__itree_insert(&sub->interval_tree, &subs->itree);
		}
		__atomic_store_n(&sub->invalidate_seq, subs->invalidate_seq, __ATOMIC_RELAXED);
	} else {
		/* Odd and not the current value: read_begin() does not wait. */
		__atomic_store_n(&sub->invalidate_seq, subs->invalidate_seq - 1, __ATOMIC_RELAXED);
		resv__itree_insert(&sub->interval_tree, &subs->itree);
	}
	subs->notifiers++;
	pthread_mutex_unlock(&subs->lock);
	return 0;
}

int mmu_interval_notifier_insert(struct mmu_interval_notifier *sub, struct resv_mm *mm,
				 unsigned long start, unsigned long length,
				 const struct mmu_interval_notifier_ops *ops)
{
	return insert(sub, mm, start, length, ops);
}

int mmu_interval_notifier_insert_locked(struct mmu_interval_notifier *sub, struct resv_mm *mm,
					unsigned long start, unsigned long length,
					const struct mmu_interval_notifier_ops *ops)
{
	if (RESV_DEBUG_ON(mm && !resv__mm_write_locked_by_self(mm)))
		resv__report(RESV_REPORT_MMU_NOTIFIER_MISUSE, mm, NULL,
			     "mmu_interval_notifier_insert_locked without the mmap write lock");
	return insert(sub, mm, start, length, ops);
}

void mmu_interval_notifier_remove(struct mmu_interval_notifier *sub)
{
	struct mmu_notifier_subscriptions *subs = resv__mm_subscriptions(sub->mm);
	unsigned long seq = 0;

	pthread_mutex_lock(&subs->lock);
	if (is_invalidating(subs)) {
		if (resv__itree_node_empty(&sub->interval_tree)) {
			/* Its insertion was deferred and has not happened yet. */
			cds_list_del(&sub->deferred_item);
		} else {
			/* Being walked: remove at the end, and wait for it. */
			cds_list_add(&sub->deferred_item, &subs->deferred_list);
			seq = subs->invalidate_seq;
		}
	} else {
		resv__itree_remove(&sub->interval_tree, &subs->itree);
	}
	subs->notifiers--;
	if (seq) {
		if (callback_depth) {
			if (RESV_DEBUG_BUILD)
				resv__report(RESV_REPORT_MMU_NOTIFIER_MISUSE, sub, NULL,
					     "mmu_interval_notifier_remove from an invalidate callback: "
					     "would wait for itself; returning without waiting");
		} else {
			while (subs->invalidate_seq == seq)
				pthread_cond_wait(&subs->wq, &subs->lock);
		}
	}
	pthread_mutex_unlock(&subs->lock);
}

/* ---- the read side ------------------------------------------------------------ */

unsigned long mmu_interval_read_begin(struct mmu_interval_notifier *sub)
{
	struct mmu_notifier_subscriptions *subs = resv__mm_subscriptions(sub->mm);
	unsigned long seq;

	pthread_mutex_lock(&subs->lock);
	seq = __atomic_load_n(&sub->invalidate_seq, __ATOMIC_RELAXED);
	/*
	 * Equal to the mm's odd sequence: ->invalidate() of this notifier has
	 * run (or it was inserted) during the invalidation still in progress,
	 * and the pages are about to change. Collecting them now would only
	 * fail the retry check, so sleep until the invalidation is over.
	 * Unequal: the last invalidation that touched this notifier is over;
	 * one that has started but not yet reached this notifier will make
	 * read_retry() true later.
	 */
	if (seq == subs->invalidate_seq) {
		if (callback_depth) {
			if (RESV_DEBUG_BUILD)
				resv__report(RESV_REPORT_MMU_NOTIFIER_MISUSE, sub, NULL,
					     "mmu_interval_read_begin from an invalidate callback "
					     "while the notifier is invalidated: would wait for itself");
		} else {
			while (subs->invalidate_seq == seq)
				pthread_cond_wait(&subs->wq, &subs->lock);
		}
	}
	pthread_mutex_unlock(&subs->lock);
	return seq;
}

/* ---- the invalidation side ------------------------------------------------------ */

/* Count an invalidation in; the first overlapping notifier, or NULL. */
static struct mmu_interval_notifier *inv_start_range(struct mmu_notifier_subscriptions *subs,
						     const struct mmu_notifier_range *range,
						     unsigned long *cur_seq)
{
	struct resv_interval_tree_node *node;

	pthread_mutex_lock(&subs->lock);
	subs->active_invalidate_ranges++;
	node = resv__itree_iter_first(&subs->itree, range->start, range->end - 1);
	if (node) {
		subs->invalidate_seq |= 1;
		subs->invalidations++;
	}
	*cur_seq = subs->invalidate_seq;
	pthread_mutex_unlock(&subs->lock);
	return to_sub(node);
}

/* Count an invalidation out; the last one ends the odd phase. */
static void inv_end(struct mmu_notifier_subscriptions *subs)
{
	struct mmu_interval_notifier *sub, *tmp;

	pthread_mutex_lock(&subs->lock);
	if (--subs->active_invalidate_ranges || !is_invalidating(subs)) {
		pthread_mutex_unlock(&subs->lock);
		return;
	}
	subs->invalidate_seq++;		/* even: idle */
	/* Nobody walks the tree any more: apply what was deferred, in order. */
	cds_list_for_each_entry_safe(sub, tmp, &subs->deferred_list, deferred_item) {
		if (resv__itree_node_empty(&sub->interval_tree))
			resv__itree_insert(&sub->interval_tree, &subs->itree);
		else
			resv__itree_remove(&sub->interval_tree, &subs->itree);
		cds_list_del(&sub->deferred_item);
	}
	pthread_cond_broadcast(&subs->wq);
	pthread_mutex_unlock(&subs->lock);
}

/*
 * Call every overlapping notifier. The tree is walked without the lock: the
 * odd sequence set by inv_start_range() freezes it until inv_end().
 */
static int itree_invalidate(struct mmu_notifier_subscriptions *subs,
			    const struct mmu_notifier_range *range)
{
	bool blockable = mmu_notifier_range_blockable(range);
	struct mmu_interval_notifier *sub;
	unsigned long cur_seq;

	for (sub = inv_start_range(subs, range, &cur_seq); sub;
	     sub = to_sub(resv__itree_iter_next(&sub->interval_tree, range->start,
						range->end - 1))) {
		bool ok;

		callback_depth++;
		ok = sub->ops->invalidate(sub, range, cur_seq);
		callback_depth--;
		resv_add_relaxed(&subs->callbacks, 1);
		if (ok)
			continue;
		if (blockable) {
			/* The kernel WARNs and carries on: a blockable range cannot fail. */
			if (RESV_DEBUG_BUILD)
				resv__report(RESV_REPORT_MMU_NOTIFIER_MISUSE, sub, NULL,
					     "invalidate callback returned false for a blockable range");
			continue;
		}
		resv_add_relaxed(&subs->nonblock_failures, 1);
		inv_end(subs);
		return -EAGAIN;
	}
	return 0;
}

static int range_start(struct mmu_notifier_range *range)
{
	struct mmu_notifier_subscriptions *subs = resv__mm_subscriptions(range->mm);
	int ret;

	range->flags &= ~RANGE_COUNTED;
	if (!subs)
		return 0;	/* no notifier was ever inserted: nothing to tell */
	ret = itree_invalidate(subs, range);
	if (!ret)
		range->flags |= RANGE_COUNTED;
	return ret;
}

void mmu_notifier_invalidate_range_start(struct mmu_notifier_range *range)
{
	range->flags |= MMU_NOTIFIER_RANGE_BLOCKABLE;
	(void)range_start(range);	/* blockable: cannot fail */
}

int mmu_notifier_invalidate_range_start_nonblock(struct mmu_notifier_range *range)
{
	range->flags &= ~MMU_NOTIFIER_RANGE_BLOCKABLE;
	return range_start(range);
}

void mmu_notifier_invalidate_range_end(struct mmu_notifier_range *range)
{
	if (!(range->flags & RANGE_COUNTED))
		return;
	range->flags &= ~RANGE_COUNTED;
	inv_end(resv__mm_subscriptions(range->mm));
}

int resv_mm_invalidate_range(struct resv_mm *mm, unsigned long start, unsigned long end,
			     bool blockable, enum mmu_notifier_event event)
{
	struct mmu_notifier_range range;
	int ret = 0;

	if (!mm || start >= end || (unsigned int)event > MMU_NOTIFY_EXCLUSIVE)
		return -EINVAL;
	mmu_notifier_range_init(&range, event, 0, mm, start, end);
	if (blockable)
		mmu_notifier_invalidate_range_start(&range);
	else
		ret = mmu_notifier_invalidate_range_start_nonblock(&range);
	if (!ret)
		mmu_notifier_invalidate_range_end(&range);
	return ret;
}
