/* SPDX-License-Identifier: MIT */
/*
 * Private to lib/mmu_notifier*.c and lib/userptr.c: the interval tree both
 * the notifiers and the mm's mappings live in, the mm itself, and the
 * notifier state the first insert allocates.
 */
#ifndef RESV_INTERNAL_MMU_NOTIFIER_H
#define RESV_INTERNAL_MMU_NOTIFIER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <resv/mmu_notifier.h>

#include "internal/compiler.h"

/* ---- interval tree (lib/mmu_notifier-itree.c) -------------------------------- */

/*
 * An AVL tree of closed intervals ordered by start (equal starts: later
 * inserts go right), each node augmented with the largest 'last' of its
 * subtree, so overlap queries cost O(log n + k). Not thread-safe: callers
 * serialise modifications against each other and against walks.
 */
struct resv_itree_root {
	struct resv_interval_tree_node *node;
};

/* A node not in any tree points to itself (the kernel's RB_CLEAR_NODE). */
static inline void resv__itree_clear_node(struct resv_interval_tree_node *node)
{
	node->parent = node;
}

static inline bool resv__itree_node_empty(const struct resv_interval_tree_node *node)
{
	return node->parent == node;
}

RESV_INTERNAL void resv__itree_insert(struct resv_interval_tree_node *node,
				      struct resv_itree_root *root);
/* @node must be in @root; it is left cleared (resv__itree_node_empty()). */
RESV_INTERNAL void resv__itree_remove(struct resv_interval_tree_node *node,
				      struct resv_itree_root *root);
/* The leftmost node overlapping [start, last], or NULL. */
RESV_INTERNAL struct resv_interval_tree_node *
resv__itree_iter_first(struct resv_itree_root *root, unsigned long start, unsigned long last);
/* The next node after @node (in order) overlapping [start, last], or NULL. */
RESV_INTERNAL struct resv_interval_tree_node *
resv__itree_iter_next(struct resv_interval_tree_node *node, unsigned long start,
		      unsigned long last);
/*
 * For tests: checks every invariant (order, parent links, AVL heights and
 * balance, subtree_last) and returns the number of nodes, or -1 if broken.
 */
RESV_INTERNAL long resv__itree_validate(struct resv_itree_root *root);

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
