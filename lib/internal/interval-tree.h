/* SPDX-License-Identifier: MIT */
/*
 * The library's one balanced tree (lib/interval-tree.c): an intrusive AVL
 * tree of closed intervals [start, last] ordered by start, each node
 * augmented with the largest 'last' of its subtree, so that overlap
 * queries cost O(log n + k). Equal starts are allowed: a later insert goes
 * after the nodes already there, so in-order is insertion order among
 * them.
 *
 * Users: the notifiers and the mappings of a struct resv_mm (overlapping
 * ranges), and the VA tree of a drm_gpuvm (disjoint mappings, which also
 * uses the ordered lookups). Nodes are embedded in the users' objects and
 * carry parent pointers, so nothing here allocates and no walk needs a
 * stack: invalidation walks the tree without allocating.
 *
 * Not thread-safe: callers serialise modifications against each other and
 * against walks and lookups.
 */
#ifndef RESV_INTERNAL_INTERVAL_TREE_H
#define RESV_INTERNAL_INTERVAL_TREE_H

#include <stdbool.h>

#include <resv/interval_tree.h>

#include "internal/compiler.h"

struct resv_itree_root {
	struct resv_interval_tree_node *node;	/* NULL: empty */
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

/* @node->start and @node->last (start <= last) set by the caller. */
RESV_INTERNAL void resv__itree_insert(struct resv_interval_tree_node *node,
				      struct resv_itree_root *root);
/* @node must be in @root; it is left cleared (resv__itree_node_empty()). */
RESV_INTERNAL void resv__itree_remove(struct resv_interval_tree_node *node,
				      struct resv_itree_root *root);

/* The first node (in order) overlapping [start, last], or NULL. */
RESV_INTERNAL struct resv_interval_tree_node *
resv__itree_iter_first(struct resv_itree_root *root, unsigned long start, unsigned long last);
/* The next node after @node (in order) overlapping [start, last], or NULL. */
RESV_INTERNAL struct resv_interval_tree_node *
resv__itree_iter_next(struct resv_interval_tree_node *node, unsigned long start,
		      unsigned long last);

/*
 * For trees whose intervals never overlap each other (so that 'last' also
 * increases in order): the first node ending at or after @start, or NULL.
 * One descent reading only the nodes on the path, cheaper than
 * resv__itree_iter_first(), which also reads their children's maxima.
 */
RESV_INTERNAL struct resv_interval_tree_node *
resv__itree_disjoint_first(struct resv_itree_root *root, unsigned long start);

/* The first node (in order) starting exactly at @start, or NULL. */
RESV_INTERNAL struct resv_interval_tree_node *
resv__itree_find_start(struct resv_itree_root *root, unsigned long start);

/* In-order walk: the first and last nodes, a node's successor and predecessor. */
RESV_INTERNAL struct resv_interval_tree_node *resv__itree_first(struct resv_itree_root *root);
RESV_INTERNAL struct resv_interval_tree_node *resv__itree_last(struct resv_itree_root *root);
RESV_INTERNAL struct resv_interval_tree_node *
resv__itree_next(const struct resv_interval_tree_node *node);
RESV_INTERNAL struct resv_interval_tree_node *
resv__itree_prev(const struct resv_interval_tree_node *node);

/*
 * For tests: checks every invariant (order, parent links, AVL heights and
 * balance, subtree_last, start <= last) and returns the number of nodes,
 * or a negative code naming the first broken one (RESV_ITREE_BAD_*).
 */
enum {
	RESV_ITREE_BAD_PARENT = -1,
	RESV_ITREE_BAD_ORDER = -2,
	RESV_ITREE_BAD_HEIGHT = -3,
	RESV_ITREE_BAD_BALANCE = -4,
	RESV_ITREE_BAD_SUBTREE_LAST = -5,
	RESV_ITREE_BAD_INTERVAL = -6,
};
RESV_INTERNAL long resv__itree_validate(struct resv_itree_root *root);

#endif /* RESV_INTERNAL_INTERVAL_TREE_H */
