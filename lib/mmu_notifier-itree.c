/* SPDX-License-Identifier: MIT */
/*
 * The interval tree under the mm's notifiers and mappings: an AVL tree
 * ordered by interval start, each node augmented with the largest 'last'
 * of its subtree (the kernel's interval_tree_generic.h idea, on AVL
 * instead of red-black balancing). Notifier ranges overlap each other, so
 * a plain ordered map is not enough: the augmentation is what lets a query
 * skip every subtree whose intervals all end before the query starts,
 * giving O(log n + k) for k overlaps.
 *
 * Nodes carry parent pointers so that an overlap walk needs no stack and
 * no allocation: invalidation must not allocate, and it walks the tree
 * without the subscriptions lock while calling callbacks.
 */
#include <stddef.h>

#include "internal/mmu_notifier.h"

typedef struct resv_interval_tree_node node_t;

static inline int height(const node_t *n)
{
	return n ? n->height : 0;
}

static inline unsigned long max_ul(unsigned long a, unsigned long b)
{
	return a > b ? a : b;
}

/* Recompute @n's height and subtree_last from its children. */
static void update(node_t *n)
{
	int hl = height(n->left), hr = height(n->right);
	unsigned long sl = n->last;

	n->height = 1 + (hl > hr ? hl : hr);
	if (n->left)
		sl = max_ul(sl, n->left->subtree_last);
	if (n->right)
		sl = max_ul(sl, n->right->subtree_last);
	n->subtree_last = sl;
}

/* Point whatever pointed at @old (its parent's child link, or the root) at @new. */
static void replace_child(struct resv_itree_root *root, node_t *parent, node_t *old, node_t *new)
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

/* Rotate @x's right child up; returns the new subtree root. */
static node_t *rotate_left(struct resv_itree_root *root, node_t *x)
{
	node_t *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	replace_child(root, x->parent, x, y);
	y->left = x;
	x->parent = y;
	update(x);
	update(y);
	return y;
}

/* Rotate @x's left child up; returns the new subtree root. */
static node_t *rotate_right(struct resv_itree_root *root, node_t *x)
{
	node_t *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	replace_child(root, x->parent, x, y);
	y->right = x;
	x->parent = y;
	update(x);
	update(y);
	return y;
}

/*
 * Restore balance and the augmentation from @n up to the root. Always walks
 * the whole path: subtree_last may change above the point where heights
 * stop changing.
 */
static void fixup(struct resv_itree_root *root, node_t *n)
{
	while (n) {
		int balance = height(n->left) - height(n->right);

		if (balance > 1) {
			if (height(n->left->left) < height(n->left->right))
				rotate_left(root, n->left);
			n = rotate_right(root, n);
		} else if (balance < -1) {
			if (height(n->right->right) < height(n->right->left))
				rotate_right(root, n->right);
			n = rotate_left(root, n);
		} else {
			update(n);
		}
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
			from = succ;
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

/* Checks the subtree at @n; returns its node count, or -1. */
static long validate(const node_t *n, const node_t *parent, const node_t **prev)
{
	long l, r;
	unsigned long sl;
	int hl, hr;

	if (!n)
		return 0;
	if (n->parent != parent)
		return -1;
	l = validate(n->left, n, prev);
	if (l < 0)
		return -1;
	if (*prev && (*prev)->start > n->start)
		return -1;
	*prev = n;
	r = validate(n->right, n, prev);
	if (r < 0)
		return -1;
	hl = height(n->left);
	hr = height(n->right);
	if (hl - hr > 1 || hr - hl > 1 || n->height != 1 + (hl > hr ? hl : hr))
		return -1;
	sl = n->last;
	if (n->left)
		sl = max_ul(sl, n->left->subtree_last);
	if (n->right)
		sl = max_ul(sl, n->right->subtree_last);
	if (n->subtree_last != sl || n->last < n->start)
		return -1;
	return l + r + 1;
}

long resv__itree_validate(struct resv_itree_root *root)
{
	const node_t *prev = NULL;

	return validate(root->node, NULL, &prev);
}
