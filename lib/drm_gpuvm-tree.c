/* SPDX-License-Identifier: MIT */
/*
 * The VA tree of a drm_gpuvm: its &struct drm_gpuva in the library's
 * interval tree (internal/interval-tree.h), keyed [va.addr, va.addr +
 * va.range - 1] as of insertion, plus the address-ordered list rb.list.
 *
 * Mappings of one VM never overlap (insert refuses with -EEXIST), so
 * sorting them by start also sorts them by end: "the lowest mapping
 * overlapping [first, last]" is "the lowest mapping whose last address is
 * >= first", provided it starts <= last. That is the tree's disjoint
 * lookup, one descent that reads no subtree maxima, O(log n); a range walk
 * then continues on rb.list, O(1) per mapping: O(log n + k).
 */
#include <errno.h>

#include "internal/drm_gpuvm.h"

/* The tree keys GPU addresses (u64) in the node's unsigned longs. */
_Static_assert(sizeof(unsigned long) >= sizeof(uint64_t),
	       "the VA tree needs 64-bit unsigned long");

#define va_of(n) caa_container_of((n), struct drm_gpuva, rb.node)

static inline uint64_t va_last(const struct drm_gpuva *va)
{
	return va->va.addr + va->va.range - 1;
}

/*
 * drm_gpuvm.rb.tree is a bare root pointer (drm_gpuvm.c clears and tests
 * it); the tree functions take a struct resv_itree_root: lend them a copy
 * and store it back after a modification.
 */
static inline struct resv_itree_root vm_root(const struct drm_gpuvm *vm)
{
	return (struct resv_itree_root){ vm->rb.tree };
}

int resv__gpuva_tree_insert(struct drm_gpuvm *vm, struct drm_gpuva *va)
{
	struct resv_itree_root root = vm_root(vm);
	struct resv_interval_tree_node *node = &va->rb.node, *next;
	uint64_t last = va_last(va);

	/*
	 * Overlap check first, so that a refused insert changes nothing. The
	 * lowest mapping ending at or after va's start is, when it does not
	 * overlap, the one va goes before on rb.list.
	 */
	next = resv__itree_disjoint_first(&root, va->va.addr);
	if (next && next->start <= last)
		return -EEXIST;

	node->start = va->va.addr;
	node->last = last;
	resv__itree_insert(node, &root);
	vm->rb.tree = root.node;

	va->vm = vm;
	cds_list_add_tail(&va->rb.entry, next ? &va_of(next)->rb.entry : &vm->rb.list);
	return 0;
}

void resv__gpuva_tree_remove(struct drm_gpuva *va)
{
	struct drm_gpuvm *vm = va->vm;
	struct resv_itree_root root = vm_root(vm);

	resv__itree_remove(&va->rb.node, &root);
	vm->rb.tree = root.node;
	cds_list_del_init(&va->rb.entry);
}

struct drm_gpuva *resv__gpuva_tree_first(struct drm_gpuvm *vm, uint64_t first, uint64_t last)
{
	struct resv_itree_root root = vm_root(vm);
	struct resv_interval_tree_node *n = resv__itree_disjoint_first(&root, first);

	return n && n->start <= last ? va_of(n) : NULL;
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
	struct resv_itree_root root;
	struct resv_interval_tree_node *n;

	if (!gpuvm)
		return NULL;
	/* Disjoint: a mapping starting at @addr is the only candidate. */
	root = vm_root(gpuvm);
	n = resv__itree_find_start(&root, addr);
	if (n && va_of(n)->va.range == range)
		return va_of(n);
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

long resv__gpuvm_tree_check(struct drm_gpuvm *vm)
{
	struct resv_itree_root root = vm_root(vm);
	long count = resv__itree_validate(&root), listed = 0;
	const struct drm_gpuva *prev = NULL;
	struct drm_gpuva *va;

	if (count < 0)
		return count;
	cds_list_for_each_entry(va, &vm->rb.list, rb.entry) {
		/* Keys as inserted, in order, no overlap, and the list node is the tree node. */
		if (va->rb.node.start != va->va.addr || va->rb.node.last != va_last(va))
			return RESV_GPUVM_TREE_BAD_KEY;
		if (prev && va_last(prev) >= va->va.addr)
			return RESV_GPUVM_TREE_BAD_LIST_ORDER;
		if (resv__gpuva_tree_first(vm, va->va.addr, va->va.addr) != va)
			return RESV_GPUVM_TREE_BAD_LIST_NODE;
		prev = va;
		listed++;
	}
	if (listed != count)
		return RESV_GPUVM_TREE_BAD_LIST_COUNT;
	return count;
}
