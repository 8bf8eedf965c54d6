/* SPDX-License-Identifier: MIT */
/*
 * The library's balanced tree (see lib/internal/interval-tree.h): an AVL
 * tree ordered by interval start, each node augmented with the largest
 * 'last' of its subtree (the kernel's interval_tree_generic.h idea, on AVL
 * instead of red-black balancing).
 *
 * Why AVL: simpler to get right with parent pointers, and lookups, the
 * common operation, see a tree at most ~1.44 log2(n) deep. Why the
 * augmentation: notifier ranges overlap, so an ordered map alone cannot
 * skip the subtrees whose intervals all end before a query starts; with
 * it, an overlap walk costs O(log n + k). Disjoint users (the GPU VA tree)
 * pay the same balancing and can use the cheaper ordered lookups.
 */
#include <stddef.h>

#include "internal/interval-tree.h"

typedef struct resv_interval_tree_node node_t;

static inline int height(const node_t *n)
{
	return n ? n->height : 0;
}

static inline unsigned long max_ul(unsigned long a, unsigned long b)
{
	return a > b ? a : b;
}

/* @n->last combined with its children's subtree maxima. */
static inline unsigned long subtree_last(const node_t *n)
{
	unsigned long sl = n->last;

	if (n->left)
		sl = max_ul(sl, n->left->subtree_last);
	if (n->right)
		sl = max_ul(sl, n->right->subtree_last);
	return sl;
}

/* Recompute @n's height and subtree_last from its children. */
static inline void update(node_t *n)
{
	int hl = height(n->left), hr = height(n->right);

	n->height = 1 + (hl > hr ? hl : hr);
	n->subtree_last = subtree_last(n);
}

/* Point whatever pointed at @old (its parent's child link, or the root) at @new. */
static inline void replace_child(struct resv_itree_root *root, node_t *parent, node_t *old,
				 node_t *new)
{
	if (!parent)
		root->node = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
	if (new)
		new->parent = parent;
}

/*
 * Left and right are mirror images: each step below is written once, for a
 * side @dir and its opposite !@dir.
 */
enum { LEFT, RIGHT };

static inline node_t *kid(const node_t *n, int dir)
{
	return dir == LEFT ? n->left : n->right;
}

static inline node_t **kid_link(node_t *n, int dir)
{
	return dir == LEFT ? &n->left : &n->right;
}

/*
 * Rotate @x down to side @dir: its child on the other side takes its place
 * and hands over its own @dir child. Returns the new subtree root.
 */
static node_t *rotate(struct resv_itree_root *root, node_t *x, int dir)
{
	node_t *y = kid(x, !dir), *moved = kid(y, dir);

	*kid_link(x, !dir) = moved;
	if (moved)
		moved->parent = x;
	replace_child(root, x->parent, x, y);
	*kid_link(y, dir) = x;
	x->parent = y;
	update(x);
	update(y);
	return y;
}

/*
 * Restore balance and the augmentation from @n up to the root, after an
 * insert or removal below @n. A node's parent only depends on its height
 * and subtree_last: once the subtree at the current position keeps both
 * (compared with what was stored there before), nothing above changes.
 */
static void fixup(struct resv_itree_root *root, node_t *n)
{
	while (n) {
		int balance = height(n->left) - height(n->right);
		int old_height = n->height;
		unsigned long old_last = n->subtree_last;

		if (balance > 1 || balance < -1) {
			int heavy = balance > 1 ? LEFT : RIGHT;
			node_t *c = kid(n, heavy);

			/* c leaning inwards: straighten it first (double rotation). */
			if (height(kid(c, heavy)) < height(kid(c, !heavy)))
				rotate(root, c, heavy);
			n = rotate(root, n, !heavy);
		} else {
			update(n);
		}
		if (n->height == old_height && n->subtree_last == old_last)
			return;
		n = n->parent;
	}
}

void resv__itree_insert(node_t *node, struct resv_itree_root *root)
{
	node_t *parent = NULL, **link = &root->node;

	while (*link) {
		parent = *link;
		link = node->start < parent->start ? &parent->left : &parent->right;
	}
	node->parent = parent;
	node->left = node->right = NULL;
	node->height = 1;
	node->subtree_last = node->last;
	*link = node;
	fixup(root, parent);
}

void resv__itree_remove(node_t *node, struct resv_itree_root *root)
{
	node_t *parent = node->parent, *from;

	if (!node->left || !node->right) {
		replace_child(root, parent, node, node->left ? node->left : node->right);
		from = parent;
	} else {
		/* Two children: the in-order successor takes @node's place. */
		node_t *succ = node->right;

		while (succ->left)
			succ = succ->left;
		if (succ->parent == node) {
			from = succ;	/* it keeps its right subtree */
		} else {
			from = succ->parent;
			from->left = succ->right;
			if (succ->right)
				succ->right->parent = from;
			succ->right = node->right;
			node->right->parent = succ;
		}
		succ->left = node->left;
		node->left->parent = succ;
		replace_child(root, parent, node, succ);
		/*
		 * What @node's parent saw at this position, so that fixup()
		 * knows when to stop; @succ's own interval replaced @node's
		 * there, hence a second pass from it if the first stopped below.
		 */
		succ->height = node->height;
		succ->subtree_last = node->subtree_last;
		if (from != succ)
			fixup(root, from);
		from = succ;
	}
	fixup(root, from);
	node->left = node->right = NULL;
	node->height = 0;
	resv__itree_clear_node(node);
}

/*
 * The leftmost node of the subtree at @n overlapping [start, last], given
 * that @n->subtree_last >= start. Intervals are ordered by start, so the
 * leftmost candidate is the leftmost node ending at or after @start; if it
 * starts after @last, nothing to its right can overlap either.
 */
static node_t *subtree_first(node_t *n, unsigned long start, unsigned long last)
{
	for (;;) {
		if (n->left && n->left->subtree_last >= start) {
			n = n->left;
			continue;
		}
		if (n->start > last)
			return NULL;
		if (n->last >= start)
			return n;
		n = n->right;
		if (!n || n->subtree_last < start)
			return NULL;
	}
}

node_t *resv__itree_iter_first(struct resv_itree_root *root, unsigned long start,
			       unsigned long last)
{
	if (!root->node || root->node->subtree_last < start)
		return NULL;
	return subtree_first(root->node, start, last);
}

node_t *resv__itree_iter_next(node_t *node, unsigned long start, unsigned long last)
{
	for (;;) {
		node_t *prev;

		/* Anything further right in @node's own right subtree? */
		if (node->right && node->right->subtree_last >= start)
			return subtree_first(node->right, start, last);
		/* Climb until we arrive from a left child: that parent is next in order. */
		do {
			prev = node;
			node = node->parent;
			if (!node)
				return NULL;
		} while (node->right == prev);
		if (node->start > last)
			return NULL;	/* it and everything after it start too late */
		if (node->last >= start)
			return node;
		/* Ends too early; its right subtree may still hold matches. */
	}
}

node_t *resv__itree_disjoint_first(struct resv_itree_root *root, unsigned long start)
{
	node_t *n = root->node, *found = NULL;

	/* 'last' increases in order: the lowest node with last >= start. */
	while (n) {
		if (n->last >= start) {
			found = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return found;
}

node_t *resv__itree_find_start(struct resv_itree_root *root, unsigned long start)
{
	node_t *n = root->node, *found = NULL;

	while (n) {
		if (start < n->start) {
			n = n->left;
		} else if (start > n->start) {
			n = n->right;
		} else {
			found = n;	/* equal starts may continue on the left */
			n = n->left;
		}
	}
	return found;
}

/* The last node of the subtree at @n towards side @dir. */
static node_t *extreme(node_t *n, int dir)
{
	while (kid(n, dir))
		n = kid(n, dir);
	return n;
}

/* In-order neighbour of @node on side @dir (RIGHT: successor). */
static node_t *step(const node_t *node, int dir)
{
	const node_t *from;

	if (kid(node, dir))
		return extreme(kid(node, dir), !dir);
	do {
		from = node;
		node = node->parent;
	} while (node && kid(node, dir) == from);
	return (node_t *)node;
}

node_t *resv__itree_first(struct resv_itree_root *root)
{
	return root->node ? extreme(root->node, LEFT) : NULL;
}

node_t *resv__itree_last(struct resv_itree_root *root)
{
	return root->node ? extreme(root->node, RIGHT) : NULL;
}

node_t *resv__itree_next(const node_t *node)
{
	return step(node, RIGHT);
}

node_t *resv__itree_prev(const node_t *node)
{
	return step(node, LEFT);
}

/* Checks the subtree at @n; returns its node count, or a RESV_ITREE_BAD_* code. */
static long validate(const node_t *n, const node_t *parent, const node_t **prev)
{
	long l, r;
	int hl, hr;

	if (!n)
		return 0;
	if (n->parent != parent)
		return RESV_ITREE_BAD_PARENT;
	l = validate(n->left, n, prev);
	if (l < 0)
		return l;
	if (*prev && (*prev)->start > n->start)
		return RESV_ITREE_BAD_ORDER;
	*prev = n;
	r = validate(n->right, n, prev);
	if (r < 0)
		return r;
	hl = height(n->left);
	hr = height(n->right);
	if (n->height != 1 + (hl > hr ? hl : hr))
		return RESV_ITREE_BAD_HEIGHT;
	if (hl - hr > 1 || hr - hl > 1)
		return RESV_ITREE_BAD_BALANCE;
	if (n->subtree_last != subtree_last(n))
		return RESV_ITREE_BAD_SUBTREE_LAST;
	if (n->last < n->start)
		return RESV_ITREE_BAD_INTERVAL;
	return l + r + 1;
}

long resv__itree_validate(struct resv_itree_root *root)
{
	const node_t *prev = NULL;

	return validate(root->node, NULL, &prev);
}
