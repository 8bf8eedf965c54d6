/* SPDX-License-Identifier: MIT */
/*
 * The VA tree of a drm_gpuvm: an intrusive AVL tree of &struct drm_gpuva
 * ordered by start address, plus the address-ordered list rb.list.
 *
 * Why not an augmented interval tree (the kernel's): mappings of one VM
 * never overlap (insert refuses with -EEXIST), so sorting them by start
 * also sorts them by end. "The lowest mapping overlapping [first, last]"
 * is then "the lowest mapping whose last address is >= first", provided its
 * start is <= last — one descent, O(log n), and iteration continues on
 * rb.list, O(1) per mapping: O(log n + k) for a range walk.
 *
 * AVL rather than red-black: simpler to get right with parent pointers
 * (needed for O(1) unlink from a node pointer), and lookups, the common
 * operation, see a tree at most ~1.44 log2(n) deep.
 */
#include <errno.h>

#include "internal/drm_gpuvm.h"

#define va_of(n) caa_container_of((n), struct drm_gpuva, rb.node)

static inline uint64_t va_last(const struct drm_gpuva *va)
{
	return va->va.addr + va->va.range - 1;
}

static inline int height(const struct resv_gpuva_node *n)
{
	return n ? n->height : 0;
}

static inline void fix_height(struct resv_gpuva_node *n)
{
	int l = height(n->left), r = height(n->right);

	n->height = 1 + (l > r ? l : r);
}

/* Make @parent (or the root when NULL) point at @new instead of @old. */
static inline void replace_child(struct drm_gpuvm *vm, struct resv_gpuva_node *parent,
				 struct resv_gpuva_node *old, struct resv_gpuva_node *new)
{
	if (!parent)
		vm->rb.tree = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

static struct resv_gpuva_node *rotate_left(struct drm_gpuvm *vm, struct resv_gpuva_node *x)
{
	struct resv_gpuva_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->parent = x->parent;
	replace_child(vm, x->parent, x, y);
	y->left = x;
	x->parent = y;
	fix_height(x);
	fix_height(y);
	return y;
}

static struct resv_gpuva_node *rotate_right(struct drm_gpuvm *vm, struct resv_gpuva_node *x)
{
	struct resv_gpuva_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->parent = x->parent;
	replace_child(vm, x->parent, x, y);
	y->right = x;
	x->parent = y;
	fix_height(x);
	fix_height(y);
	return y;
}

/* Restore heights and balance from @n up to the root. */
static void rebalance(struct drm_gpuvm *vm, struct resv_gpuva_node *n)
{
	while (n) {
		int balance = height(n->left) - height(n->right);

		if (balance > 1) {
			if (height(n->left->left) < height(n->left->right))
				rotate_left(vm, n->left);
			n = rotate_right(vm, n);
		} else if (balance < -1) {
			if (height(n->right->right) < height(n->right->left))
				rotate_right(vm, n->right);
			n = rotate_left(vm, n);
		} else {
			fix_height(n);
		}
		n = n->parent;
	}
}

int resv__gpuva_tree_insert(struct drm_gpuvm *vm, struct drm_gpuva *va)
{
	struct resv_gpuva_node **link = &vm->rb.tree, *parent = NULL, *prev = NULL;
	struct resv_gpuva_node *node = &va->rb.node;

	/* Overlap check first, so that a refused insert changes nothing. */
	if (resv__gpuva_tree_first(vm, va->va.addr, va_last(va)))
		return -EEXIST;

	while (*link) {
		parent = *link;
		if (va->va.addr < va_of(parent)->va.addr) {
			link = &parent->left;
		} else {
			prev = parent;	/* last node we passed on its right */
			link = &parent->right;
		}
	}
	node->parent = parent;
	node->left = node->right = NULL;
	node->height = 1;
	*link = node;
	rebalance(vm, parent);

	va->vm = vm;
	cds_list_add(&va->rb.entry, prev ? &va_of(prev)->rb.entry : &vm->rb.list);
	return 0;
}

void resv__gpuva_tree_remove(struct drm_gpuva *va)
{
	struct drm_gpuvm *vm = va->vm;
	struct resv_gpuva_node *n = &va->rb.node, *child, *parent;

	if (n->left && n->right) {
		/* Put the in-order successor s (no left child) in n's place. */
		struct resv_gpuva_node *s = n->right;

		while (s->left)
			s = s->left;
		if (s->parent == n) {
			parent = s;	/* s keeps its right subtree */
		} else {
			parent = s->parent;
			parent->left = s->right;
			if (s->right)
				s->right->parent = parent;
			s->right = n->right;
			n->right->parent = s;
		}
		s->left = n->left;
		n->left->parent = s;
		s->parent = n->parent;
		replace_child(vm, n->parent, n, s);
		s->height = n->height;
		rebalance(vm, parent);
	} else {
		child = n->left ? n->left : n->right;
		parent = n->parent;
		if (child)
			child->parent = parent;
		replace_child(vm, parent, n, child);
		rebalance(vm, parent);
	}
	n->parent = n->left = n->right = NULL;
	cds_list_del_init(&va->rb.entry);
}

struct drm_gpuva *resv__gpuva_tree_first(struct drm_gpuvm *vm, uint64_t first, uint64_t last)
{
	struct resv_gpuva_node *n = vm->rb.tree;
	struct drm_gpuva *found = NULL;

	/* Last addresses increase in tree order: find the lowest >= first. */
	while (n) {
		struct drm_gpuva *va = va_of(n);

		if (va_last(va) >= first) {
			found = va;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	if (found && found->va.addr <= last)
		return found;
	return NULL;
}

struct drm_gpuva *drm_gpuva_find_first(struct drm_gpuvm *gpuvm, uint64_t addr, uint64_t range)
{
	if (!gpuvm)
		return NULL;
	/* As the kernel: last = addr + range - 1, wrapping included. */
	return resv__gpuva_tree_first(gpuvm, addr, addr + range - 1);
}

struct drm_gpuva *drm_gpuva_find(struct drm_gpuvm *gpuvm, uint64_t addr, uint64_t range)
{
	struct drm_gpuva *va = drm_gpuva_find_first(gpuvm, addr, range);

	if (va && va->va.addr == addr && va->va.range == range)
		return va;
	return NULL;
}

struct drm_gpuva *drm_gpuva_find_prev(struct drm_gpuvm *gpuvm, uint64_t start)
{
	if (!gpuvm || !drm_gpuvm_range_valid(gpuvm, start - 1, 1))
		return NULL;
	/* The kernel's inclusive query [start - 1, start]: see the header. */
	return resv__gpuva_tree_first(gpuvm, start - 1, start);
}

struct drm_gpuva *drm_gpuva_find_next(struct drm_gpuvm *gpuvm, uint64_t end)
{
	if (!gpuvm || !drm_gpuvm_range_valid(gpuvm, end, 1))
		return NULL;
	return resv__gpuva_tree_first(gpuvm, end, end + 1);
}

bool drm_gpuvm_interval_empty(struct drm_gpuvm *gpuvm, uint64_t addr, uint64_t range)
{
	return !drm_gpuva_find_first(gpuvm, addr, range);
}

int drm_gpuva_insert(struct drm_gpuvm *gpuvm, struct drm_gpuva *va)
{
	int ret;

	if (!gpuvm || !va || !drm_gpuvm_range_valid(gpuvm, va->va.addr, va->va.range))
		return -EINVAL;
	ret = resv__gpuva_tree_insert(gpuvm, va);
	if (!ret)
		drm_gpuvm_get(gpuvm);	/* not for the kernel node, hence here */
	return ret;
}

int drm_gpuva_remove(struct drm_gpuva *va)
{
	struct drm_gpuvm *vm;

	if (!va || !va->vm || !va->rb.entry.next || cds_list_empty(&va->rb.entry))
		return -EINVAL;
	vm = va->vm;
	if (va == &vm->kernel_alloc_node) {
		gpuvm_warn(vm, "drm_gpuva_remove: can't destroy the kernel reserved node of %s",
			   vm->name);
		return -EINVAL;
	}
	resv__gpuva_tree_remove(va);
	drm_gpuvm_put(vm);
	return 0;
}

/* ---- checks for the test suite ------------------------------------------------ */

/* Returns the subtree's height, or a negative code. */
static long check_subtree(const struct resv_gpuva_node *n, const struct resv_gpuva_node *parent,
			  long *count)
{
	long hl, hr;

	if (!n)
		return 0;
	if (n->parent != parent)
		return -1;
	if (n->left && va_of(n->left)->va.addr >= va_of(n)->va.addr)
		return -2;
	if (n->right && va_of(n->right)->va.addr <= va_of(n)->va.addr)
		return -3;
	hl = check_subtree(n->left, n, count);
	if (hl < 0)
		return hl;
	hr = check_subtree(n->right, n, count);
	if (hr < 0)
		return hr;
	if (hl - hr > 1 || hr - hl > 1)
		return -4;
	if (n->height != 1 + (hl > hr ? hl : hr))
		return -5;
	(*count)++;
	return n->height;
}

long resv__gpuvm_tree_check(struct drm_gpuvm *vm)
{
	long count = 0, listed = 0, h = check_subtree(vm->rb.tree, NULL, &count);
	const struct drm_gpuva *prev = NULL;
	struct drm_gpuva *va;

	if (h < 0)
		return h;
	cds_list_for_each_entry(va, &vm->rb.list, rb.entry) {
		/* In order, no overlap, and the list node is the tree node. */
		if (prev && va_last(prev) >= va->va.addr)
			return -6;
		if (resv__gpuva_tree_first(vm, va->va.addr, va->va.addr) != va)
			return -7;
		prev = va;
		listed++;
	}
	if (listed != count)
		return -8;
	return count;
}
