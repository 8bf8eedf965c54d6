/* SPDX-License-Identifier: MIT */
/*
 * Private to lib/mmu_notifier*.c and lib/userptr.c: the mm itself, and the
 * notifier state the first insert allocates. Both the notifiers and the
 * mm's mappings live in interval trees (internal/interval-tree.h).
 */
#ifndef RESV_INTERNAL_MMU_NOTIFIER_H
#define RESV_INTERNAL_MMU_NOTIFIER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <resv/mmu_notifier.h>

#include "internal/compiler.h"
#include "internal/interval-tree.h"

/* ---- the notifier state of an mm (lib/mmu_notifier.c) ------------------------ */

/*
 * The kernel's struct mmu_notifier_subscriptions, interval part. @lock
 * protects everything here; the tree is also stable, without the lock,
 * while the sequence is odd (every modification is then deferred), which
 * is what lets invalidations walk it and call callbacks unlocked.
 */
struct mmu_notifier_subscriptions {
	pthread_mutex_t lock;
	pthread_cond_t wq;			/* read_begin and remove wait here */
	unsigned long invalidate_seq;		/* even: idle; odd: invalidating */
	unsigned long active_invalidate_ranges;
	struct resv_itree_root itree;
	struct cds_list_head deferred_list;	/* inserts/removes to do at the end */
	uint64_t notifiers;			/* inserted, deferred inserts included */
	uint64_t invalidations;
	uint64_t callbacks;
	uint64_t nonblock_failures;
};

/* ---- the address space (lib/mmu_notifier-mm.c) ------------------------------- */

struct resv_mm_vma;

struct resv_mm {
	pthread_rwlock_t mmap_lock;
	unsigned long mmap_writer;		/* atomic: resv_thread_self() of the writer */
	/* Allocated by the first insert, published with release, never freed early. */
	struct mmu_notifier_subscriptions *notifier_subscriptions;
	pthread_mutex_t register_lock;		/* serialises that allocation */
	/* The rest is protected by mmap_lock (writers modify, readers look). */
	struct resv_itree_root vmas;		/* struct resv_mm_vma, by address */
	uint64_t mapped_pages;
	void *free_pages;			/* pool: singly linked through the page tail */
	uint64_t nr_free_pages;
};

/* Acquire-load of the lazily allocated notifier state (NULL: no notifier yet). */
static inline struct mmu_notifier_subscriptions *resv__mm_subscriptions(struct resv_mm *mm)
{
	return resv_load_acquire(&mm->notifier_subscriptions);
}

/* Does the calling thread hold @mm's mmap lock for writing. */
RESV_INTERNAL bool resv__mm_write_locked_by_self(struct resv_mm *mm);

/* Frees the notifier state at mm destruction; reports inserted notifiers. */
RESV_INTERNAL void resv__mm_subscriptions_destroy(struct resv_mm *mm);

/* Copies the notifier counters into @stats (zero when there is no state). */
RESV_INTERNAL void resv__mm_subscriptions_stats(struct resv_mm *mm, struct resv_mm_stats *stats);

#endif /* RESV_INTERNAL_MMU_NOTIFIER_H */
