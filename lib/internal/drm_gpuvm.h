/* SPDX-License-Identifier: MIT */
/*
 * What the drm_gpuvm sources share: the VA tree primitives (no range check,
 * no reference: also used for the kernel node), list iteration for the
 * exec helpers, and checks the test suite calls.
 */
#ifndef RESV_INTERNAL_DRM_GPUVM_H
#define RESV_INTERNAL_DRM_GPUVM_H

#include <resv/drm_gpuvm.h>

#include "internal/compiler.h"
#include "internal/interval-tree.h"
#include "internal/report.h"

/* Debug builds report a misuse the kernel WARNs about. */
#define gpuvm_warn(vm, ...)							\
	do {									\
		if (RESV_DEBUG_BUILD)						\
			resv__report(RESV_REPORT_GPUVM_MISUSE, (vm), NULL, __VA_ARGS__); \
	} while (0)

/*
 * kref on a struct urcu_ref, with __atomic builtins: liburcu's uatomic reads
 * are plain loads and its RMWs inline asm, which ThreadSanitizer cannot
 * pair (see lib/dma-fence.c).
 */
static inline void resv__ref_init(struct urcu_ref *ref)
{
	__atomic_store_n(&ref->refcount, 1, __ATOMIC_RELAXED);
}

static inline void resv__ref_get(struct urcu_ref *ref)
{
	__atomic_add_fetch(&ref->refcount, 1, __ATOMIC_RELAXED);
}

static inline long resv__ref_read(const struct urcu_ref *ref)
{
	return __atomic_load_n(&ref->refcount, __ATOMIC_RELAXED);
}

/* kref_get_unless_zero(): the caller's lock keeps the memory alive. */
static inline bool resv__ref_get_unless_zero(struct urcu_ref *ref)
{
	long old = __atomic_load_n(&ref->refcount, __ATOMIC_RELAXED);

	do {
		if (old == 0)
			return false;
	} while (!__atomic_compare_exchange_n(&ref->refcount, &old, old + 1, true,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return true;
}

/* kref_put(): true when this put released the object. */
static inline bool resv__ref_put(struct urcu_ref *ref, void (*release)(struct urcu_ref *ref))
{
	if (__atomic_sub_fetch(&ref->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return false;
	release(ref);
	return true;
}

/* Tree insert without range check or VM reference; -EEXIST on overlap. */
RESV_INTERNAL int resv__gpuva_tree_insert(struct drm_gpuvm *gpuvm, struct drm_gpuva *va);
/* Tree removal without reference drop. */
RESV_INTERNAL void resv__gpuva_tree_remove(struct drm_gpuva *va);
/* Lowest mapping with last >= first and start <= last (kernel interval
 * tree semantics, inclusive bounds, any order of the bounds). */
RESV_INTERNAL struct drm_gpuva *resv__gpuva_tree_first(struct drm_gpuvm *gpuvm,
						       uint64_t first, uint64_t last);

/*
 * For tests: checks the tree (every resv__itree_validate() invariant), that
 * each node holds its mapping's range, and that rb.list holds the same
 * nodes in order without overlap. Returns the number of mappings, or a
 * negative number identifying the first broken invariant: a
 * RESV_ITREE_BAD_* code or one of these.
 */
enum {
	RESV_GPUVM_TREE_BAD_KEY = -16,		/* node range != va range */
	RESV_GPUVM_TREE_BAD_LIST_ORDER = -17,	/* rb.list out of order or overlapping */
	RESV_GPUVM_TREE_BAD_LIST_NODE = -18,	/* a listed mapping the tree does not find */
	RESV_GPUVM_TREE_BAD_LIST_COUNT = -19,	/* list and tree sizes differ */
};
RESV_INTERNAL long resv__gpuvm_tree_check(struct drm_gpuvm *gpuvm);

/*
 * Add / remove a vm_bo on a VM list (extobj or evict) by its entry; @lock:
 * take the list's spinlock (spinlock mode), else the caller holds the VM
 * resv. Entries are self-linked when off the list, so both are idempotent.
 */
static inline void resv__gpuvm_list_add(struct resv_gpuvm_list *l, struct cds_list_head *entry,
					bool lock)
{
	if (lock)
		resv_spin_lock(&l->lock);
	if (cds_list_empty(entry))
		cds_list_add_tail(entry, &l->list);
	if (lock)
		resv_spin_unlock(&l->lock);
}

static inline void resv__gpuvm_list_del(struct resv_gpuvm_list *l, struct cds_list_head *entry,
					bool lock)
{
	if (lock)
		resv_spin_lock(&l->lock);
	cds_list_del_init(entry);
	if (lock)
		resv_spin_unlock(&l->lock);
}

/* Number of entries currently on the VM's extobj / evict list (test use;
 * caller serialises). */
RESV_INTERNAL unsigned long resv__gpuvm_list_count(struct resv_gpuvm_list *l);

#endif /* RESV_INTERNAL_DRM_GPUVM_H */
