/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * drm_gpuvm tracks a GPU virtual address space, after the kernel's
 * ``include/drm/drm_gpuvm.h`` and ``drivers/gpu/drm/drm_gpuvm.c`` (Linux
 * 7.0). Its objects:
 *
 * - &struct drm_gpuvm, the VA space: a tree of mappings ordered by
 *   address, the VM's shared reservation object (held by a GEM object,
 *   @r_obj) and two lists, the external objects (extobj) and the evicted
 *   objects (evict);
 * - &struct drm_gpuva, one mapping ``[addr, addr + range)`` of a GEM object
 *   at an offset (or of nothing: sparse);
 * - &struct drm_gpuvm_bo, the one (VM, GEM object) pair, which holds the
 *   mappings of the object in the VM and sits on the VM's lists.
 *
 * A GEM object whose resv is the VM's is *local*: locking the VM locks it.
 * Any other object is *external* and goes on the extobj list, so that an
 * exec can lock it. The split/merge helpers turn a map or unmap request
 * into an ordered list of MAP / REMAP / UNMAP steps (see docs/gpuvm.md).
 *
 * A complete exec: lock the VM and every external object, revalidate what
 * was evicted, publish the job's fence::
 *
 *	struct drm_gpuvm_exec vm_exec = {
 *		.vm = vm,
 *		.flags = DRM_EXEC_INTERRUPTIBLE_WAIT,
 *		.num_fences = 1,
 *	};
 *	int ret = drm_gpuvm_exec_lock(&vm_exec);   // loops on -EDEADLK itself
 *	if (ret)
 *		return ret;                         // already unlocked
 *	ret = drm_gpuvm_exec_validate(&vm_exec);    // ops->vm_bo_validate
 *	if (!ret)
 *		drm_gpuvm_exec_resv_add_fence(&vm_exec, job_fence,
 *					      DMA_RESV_USAGE_BOOKKEEP,
 *					      DMA_RESV_USAGE_BOOKKEEP);
 *	drm_gpuvm_exec_unlock(&vm_exec);
 *
 * Locking (kernel's DOC: Locking): drm_gpuvm never locks its VA tree; the
 * driver serialises insert, remove, iteration and op generation with its
 * own VM lock. A GEM object's list of vm_bos (and vm_bo creation and
 * destruction) is guarded by the object's "gpuva lock": its resv, or its
 * @gpuva.lock mutex when the VM is in %DRM_GPUVM_IMMEDIATE_MODE. The
 * extobj and evict lists are guarded by internal spinlocks, or, with
 * %DRM_GPUVM_RESV_PROTECTED, by the VM's resv.
 *
 * Misuse the kernel WARNs about is reported (RESV_REPORT_GPUVM_MISUSE,
 * debug builds) and refused with an errno; missing locks are reported
 * through the lock's own check (RESV_REPORT_RESV_NOT_HELD for a resv).
 *
 * Differences from the kernel, on purpose:
 *
 * - The VA tree is the library's augmented interval tree (the one under
 *   the mm's notifiers, &struct resv_interval_tree_node), balanced as an
 *   AVL tree rather than a red-black one. Lookups do not need the
 *   augmentation: mappings of one VM never overlap, so their end addresses
 *   are sorted like their start addresses and "the first mapping that ends
 *   after X" is a plain O(log n) descent.
 * - Functions that are ``void`` in the kernel but can refuse bad input
 *   return an int errno here (drm_gpuvm_init(), drm_gpuva_remove(),
 *   drm_gpuva_link(), drm_gpuva_map(), drm_gpuva_remap(),
 *   drm_gpuva_unmap(), drm_gpuva_unlink_defer()); code written for the
 *   kernel, which ignores the result, still compiles.
 * - drm_gpuvm_init() rejects missing @ops->vm_free up front; a range of 0
 *   is never valid (the kernel would produce zero-length mappings).
 * - Error pointers are resv_err_ptr() / resv_is_err() / resv_ptr_err().
 * - Two iterators of one list in spinlock mode at once: the kernel WARNs
 *   and corrupts the list; the second one here gets -EBUSY.
 */
#ifndef RESV_DRM_GPUVM_H
#define RESV_DRM_GPUVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <urcu/list.h>
#include <urcu/ref.h>

#include <resv/compiler.h>
#include <resv/dma-resv.h>
#include <resv/drm_exec.h>
#include <resv/drm_gem.h>
#include <resv/interval_tree.h>
#include <resv/spinlock.h>

#ifdef __cplusplus
extern "C" {
#endif

struct drm_device;	/* opaque; accepted for the kernel's signatures, unused */
struct drm_gpuvm;
struct drm_gpuvm_bo;
struct drm_gpuvm_ops;

/* ---- error pointers ---------------------------------------------------------- */

/**
 * RESV_HAVE_ERR_PTR - defined once resv_err_ptr() and friends are, so that
 * another header may offer the same helpers
 */
#ifndef RESV_HAVE_ERR_PTR
#define RESV_HAVE_ERR_PTR 1
/** RESV_MAX_ERRNO - errnos encodable in a pointer, as the kernel's MAX_ERRNO */
#define RESV_MAX_ERRNO 4095

/**
 * resv_err_ptr() - encode a negative errno as a pointer (kernel ERR_PTR())
 * @error: a negative errno, >= -RESV_MAX_ERRNO
 *
 * Context: any.
 * Return: a pointer resv_is_err() recognises.
 */
static inline void *resv_err_ptr(long error)
{
	return (void *)(intptr_t)error;
}

/**
 * resv_is_err() - is a pointer an encoded errno (kernel IS_ERR())
 * @ptr: a pointer returned by a function documented to return error pointers
 *
 * Context: any.
 * Return: true when @ptr encodes an errno.
 */
static inline bool resv_is_err(const void *ptr)
{
	return (uintptr_t)ptr >= (uintptr_t)-RESV_MAX_ERRNO;
}

/**
 * resv_ptr_err() - the errno encoded in a pointer (kernel PTR_ERR())
 * @ptr: a pointer for which resv_is_err() is true
 *
 * Context: any.
 * Return: the negative errno.
 */
static inline long resv_ptr_err(const void *ptr)
{
	return (long)(intptr_t)ptr;
}
#endif

/* ---- struct drm_gpuva ---------------------------------------------------------- */

/**
 * enum drm_gpuva_flags - flags of a &struct drm_gpuva
 * @DRM_GPUVA_INVALIDATED: the backing object was invalidated (evicted)
 * @DRM_GPUVA_SPARSE: a sparse mapping
 * @DRM_GPUVA_USERBITS: first bit free for the driver
 */
enum drm_gpuva_flags {
	DRM_GPUVA_INVALIDATED = 1 << 0,
	DRM_GPUVA_SPARSE = 1 << 1,
	DRM_GPUVA_USERBITS = 1 << 2,
};

/**
 * struct drm_gpuva - one mapping of a GPU VA range
 * @vm: the VM it is inserted in (set by drm_gpuva_insert())
 * @vm_bo: the &struct drm_gpuvm_bo it is linked to, holding a reference
 * @flags: &enum drm_gpuva_flags
 * @va: the mapped range
 * @va.addr: start address
 * @va.range: length
 * @gem: what is mapped
 * @gem.offset: offset into @gem.obj
 * @gem.obj: the GEM object, or NULL for a mapping without backing
 * @gem.entry: link in &drm_gpuvm_bo.list.gpuva
 * @rb: tree linkage
 * @rb.node: node in the VM's address tree, holding [@va.addr, @va.addr +
 *	@va.range - 1] as of drm_gpuva_insert(); private
 * @rb.entry: link in the VM's address-ordered list (&drm_gpuvm.rb.list)
 *
 * Usually embedded in a driver structure. The VM never allocates these.
 */
struct drm_gpuva {
	struct drm_gpuvm *vm;
	struct drm_gpuvm_bo *vm_bo;
	enum drm_gpuva_flags flags;
	struct {
		uint64_t addr;
		uint64_t range;
	} va;
	struct {
		uint64_t offset;
		struct drm_gem_object *obj;
		struct cds_list_head entry;
	} gem;
	struct {
		struct resv_interval_tree_node node;
		struct cds_list_head entry;
	} rb;
};

/**
 * drm_gpuva_init() - set the range and backing of a mapping
 * @va: the mapping, not inserted
 * @addr: start address
 * @range: length
 * @obj: backing object or NULL
 * @offset: offset into @obj
 *
 * Context: any; @va not yet visible to others.
 */
static inline void drm_gpuva_init(struct drm_gpuva *va, uint64_t addr, uint64_t range,
				  struct drm_gem_object *obj, uint64_t offset)
{
	va->va.addr = addr;
	va->va.range = range;
	va->gem.obj = obj;
	va->gem.offset = offset;
}

/**
 * drm_gpuva_invalidate() - set or clear %DRM_GPUVA_INVALIDATED
 * @va: the mapping
 * @invalidate: the new state
 *
 * Context: the driver's lock guarding @va's flags.
 */
static inline void drm_gpuva_invalidate(struct drm_gpuva *va, bool invalidate)
{
	if (invalidate)
		va->flags = (enum drm_gpuva_flags)(va->flags | DRM_GPUVA_INVALIDATED);
	else
		va->flags = (enum drm_gpuva_flags)(va->flags & ~DRM_GPUVA_INVALIDATED);
}

/**
 * drm_gpuva_invalidated() - is %DRM_GPUVA_INVALIDATED set
 * @va: the mapping
 *
 * Context: the driver's lock guarding @va's flags.
 * Return: true when invalidated.
 */
static inline bool drm_gpuva_invalidated(const struct drm_gpuva *va)
{
	return va->flags & DRM_GPUVA_INVALIDATED;
}

/* ---- struct drm_gpuvm ------------------------------------------------------------ */

/**
 * enum drm_gpuvm_flags - flags of a &struct drm_gpuvm
 * @DRM_GPUVM_RESV_PROTECTED: the extobj and evict lists are protected by the
 *	VM's resv instead of internal spinlocks (Xe's scheme)
 * @DRM_GPUVM_IMMEDIATE_MODE: GEM gpuva lists are guarded by
 *	&drm_gem_object.gpuva.lock instead of the object's resv, so that
 *	mappings can be linked and unlinked in the fence signalling path
 * @DRM_GPUVM_USERBITS: first bit free for the driver
 */
enum drm_gpuvm_flags {
	DRM_GPUVM_RESV_PROTECTED = 1 << 0,
	DRM_GPUVM_IMMEDIATE_MODE = 1 << 1,
	DRM_GPUVM_USERBITS = 1 << 2,
};

/**
 * struct resv_gpuvm_list - a VM list of &struct drm_gpuvm_bo (extobj, evict)
 * @list: the entries
 * @local_list: spinlock mode: the list of the iteration in progress, which
 *	holds the entries already visited; NULL when none runs
 * @lock: spinlock mode: guards @list, @local_list and the entries' links
 */
struct resv_gpuvm_list {
	struct cds_list_head list;
	struct cds_list_head *local_list;
	struct resv_spinlock lock;
};

/**
 * struct resv_llist_node - link in a lock-free singly linked list
 * @next: next entry; private
 */
struct resv_llist_node {
	struct resv_llist_node *next;
};

/**
 * struct resv_llist_head - lock-free list head (kernel ``llist_head``)
 * @first: the newest entry; private
 */
struct resv_llist_head {
	struct resv_llist_node *first;
};

/**
 * struct drm_gpuvm - a GPU VA space
 * @name: name, for messages
 * @flags: &enum drm_gpuvm_flags
 * @drm: the device passed to drm_gpuvm_init(), unused
 * @mm_start: start of the VA space
 * @mm_range: length of the VA space
 * @rb: the mappings
 * @rb.tree: root of the address tree; private
 * @rb.list: every &struct drm_gpuva, in address order (entry: rb.entry)
 * @kref: reference count
 * @kernel_alloc_node: the range reserved for the kernel, if any (in the
 *	tree, holding no VM reference, never removable)
 * @ops: the driver's callbacks
 * @r_obj: the GEM object holding the VM's resv (a reference is held)
 * @extobj: the &struct drm_gpuvm_bo of external objects
 * @evict: the &struct drm_gpuvm_bo of evicted objects
 * @bo_defer: vm_bos whose last reference went through
 *	drm_gpuvm_bo_put_deferred(), freed by drm_gpuvm_bo_deferred_cleanup()
 *
 * Must be zeroed before drm_gpuvm_init(). Usually embedded in a driver VM.
 */
struct drm_gpuvm {
	const char *name;
	enum drm_gpuvm_flags flags;
	struct drm_device *drm;
	uint64_t mm_start;
	uint64_t mm_range;
	struct {
		struct resv_interval_tree_node *tree;
		struct cds_list_head list;
	} rb;
	struct urcu_ref kref;
	struct drm_gpuva kernel_alloc_node;
	const struct drm_gpuvm_ops *ops;
	struct drm_gem_object *r_obj;
	struct resv_gpuvm_list extobj;
	struct resv_gpuvm_list evict;
	struct resv_llist_head bo_defer;
};

/**
 * drm_gpuvm_init() - initialise a VA space
 * @gpuvm: the VM, zeroed by the caller
 * @name: a name kept by pointer (NULL: "unknown")
 * @flags: &enum drm_gpuvm_flags
 * @drm: the device, or NULL; kept, never used
 * @r_obj: the GEM object whose resv becomes the VM's resv (see
 *	drm_gpuvm_resv_object_alloc()); a reference is taken
 * @start_offset: start of the VA space
 * @range: length of the VA space
 * @reserve_offset: start of the range reserved for the kernel
 * @reserve_range: its length; 0 for none
 * @ops: callbacks; @ops->vm_free is mandatory
 *
 * The VM starts with one reference, owned by the caller.
 *
 * Context: any; @gpuvm not yet visible to others.
 * Return: 0; -EINVAL (nothing initialised, no reference taken) when
 * @gpuvm, @r_obj or @ops is NULL, and, reported as the kernel WARNs, when
 * @ops->vm_free is NULL or @start_offset + @range or @reserve_offset +
 * @reserve_range overflows 64 bits.
 */
RESV_EXPORT int drm_gpuvm_init(struct drm_gpuvm *gpuvm, const char *name,
			       enum drm_gpuvm_flags flags, struct drm_device *drm,
			       struct drm_gem_object *r_obj,
			       uint64_t start_offset, uint64_t range,
			       uint64_t reserve_offset, uint64_t reserve_range,
			       const struct drm_gpuvm_ops *ops);

/**
 * drm_gpuvm_get() - take a reference on a VM
 * @gpuvm: the VM; the caller already holds a reference
 *
 * Context: any.
 * Return: @gpuvm.
 */
RESV_EXPORT struct drm_gpuvm *drm_gpuvm_get(struct drm_gpuvm *gpuvm);

/**
 * drm_gpuvm_put() - drop a reference on a VM
 * @gpuvm: the VM, or NULL (nothing done)
 *
 * The last put removes the kernel node, reports (RESV_REPORT_GPUVM_MISUSE)
 * a VA tree, extobj, evict or bo_defer list that is not empty, drops the
 * reference on @r_obj and calls @ops->vm_free. Mappings and vm_bos hold VM
 * references, so they must be torn down in a driver "close" path, never
 * from vm_free.
 *
 * Context: any; does not sleep unless the last put frees @r_obj.
 */
RESV_EXPORT void drm_gpuvm_put(struct drm_gpuvm *gpuvm);

/**
 * drm_gpuvm_refcount() - the VM's reference count, for tests and debugging
 * @gpuvm: the VM
 *
 * Context: any; the caller holds a reference.
 * Return: the count (racy by nature when others hold references).
 */
RESV_EXPORT long drm_gpuvm_refcount(const struct drm_gpuvm *gpuvm);

/**
 * drm_gpuvm_range_valid() - may [@addr, @addr + @range) be mapped
 * @gpuvm: the VM
 * @addr: start
 * @range: length
 *
 * Context: any; the driver's VM lock for a stable answer.
 * Return: true when @range > 0, @addr + @range does not overflow, the
 * range lies inside the VA space and does not touch the kernel node.
 */
RESV_EXPORT bool drm_gpuvm_range_valid(struct drm_gpuvm *gpuvm, uint64_t addr, uint64_t range);

/**
 * drm_gpuvm_interval_empty() - is no mapping inside [@addr, @addr + @range)
 * @gpuvm: the VM
 * @addr: start
 * @range: length
 *
 * Context: the driver's VM lock.
 * Return: true when no &struct drm_gpuva (the kernel node included)
 * overlaps the interval.
 */
RESV_EXPORT bool drm_gpuvm_interval_empty(struct drm_gpuvm *gpuvm, uint64_t addr,
					  uint64_t range);

/**
 * drm_gpuvm_resv_object_alloc() - allocate a dummy GEM object for a VM's resv
 * @drm: the device, or NULL; unused
 *
 * The object has size 0 and its own embedded resv; pass it to
 * drm_gpuvm_init() and drop the allocation reference with
 * drm_gem_object_put() afterwards (the VM keeps its own).
 *
 * Context: may allocate.
 * Return: the object, or NULL when out of memory.
 */
RESV_EXPORT RESV_MUST_CHECK struct drm_gem_object *
drm_gpuvm_resv_object_alloc(struct drm_device *drm);

/**
 * drm_gpuvm_resv_protected() - is %DRM_GPUVM_RESV_PROTECTED set
 * @gpuvm: the VM
 *
 * Context: any.
 * Return: true when set.
 */
static inline bool drm_gpuvm_resv_protected(const struct drm_gpuvm *gpuvm)
{
	return gpuvm->flags & DRM_GPUVM_RESV_PROTECTED;
}

/**
 * drm_gpuvm_immediate_mode() - is %DRM_GPUVM_IMMEDIATE_MODE set
 * @gpuvm: the VM
 *
 * Context: any.
 * Return: true when set.
 */
static inline bool drm_gpuvm_immediate_mode(const struct drm_gpuvm *gpuvm)
{
	return gpuvm->flags & DRM_GPUVM_IMMEDIATE_MODE;
}

/** drm_gpuvm_resv() - the VM's &struct dma_resv (that of @r_obj) */
#define drm_gpuvm_resv(gpuvm__) ((gpuvm__)->r_obj->resv)
/** drm_gpuvm_resv_obj() - the GEM object holding the VM's resv */
#define drm_gpuvm_resv_obj(gpuvm__) ((gpuvm__)->r_obj)
/** drm_gpuvm_resv_held() - does the calling thread hold the VM's resv */
#define drm_gpuvm_resv_held(gpuvm__) dma_resv_held(drm_gpuvm_resv(gpuvm__))
/** drm_gpuvm_resv_assert_held() - report unless the VM's resv is held */
#define drm_gpuvm_resv_assert_held(gpuvm__) dma_resv_assert_held(drm_gpuvm_resv(gpuvm__))

/**
 * drm_gpuvm_is_extobj() - is @obj external to @gpuvm
 * @gpuvm: the VM
 * @obj: a GEM object, or NULL
 *
 * Context: any; @obj->resv is fixed at drm_gem_object_init().
 * Return: true when @obj is not NULL and its resv is not the VM's.
 */
static inline bool drm_gpuvm_is_extobj(struct drm_gpuvm *gpuvm, struct drm_gem_object *obj)
{
	return obj && obj->resv != drm_gpuvm_resv(gpuvm);
}

/* ---- the VA tree ------------------------------------------------------------------- */

/**
 * drm_gpuva_insert() - insert a mapping
 * @gpuvm: the VM
 * @va: the mapping, with va.addr, va.range set (drm_gpuva_init())
 *
 * Takes a VM reference for @va. Safe inside the _safe iterators.
 *
 * Context: the driver's VM lock. O(log n).
 * Return: 0; -EINVAL when an argument is NULL or the range is not valid
 * (drm_gpuvm_range_valid()); -EEXIST when it overlaps a mapping. Nothing
 * changed on error.
 */
RESV_EXPORT RESV_MUST_CHECK int drm_gpuva_insert(struct drm_gpuvm *gpuvm, struct drm_gpuva *va);

/**
 * drm_gpuva_remove() - remove a mapping from its VM
 * @va: an inserted mapping
 *
 * Drops the VM reference of @va (which may free the VM). Safe inside the
 * _safe iterators. Does not unlink @va from its vm_bo.
 *
 * Context: the driver's VM lock. O(log n).
 * Return: 0; -EINVAL when @va is NULL or not inserted, or is the kernel
 * node (reported, as the kernel WARNs).
 */
RESV_EXPORT int drm_gpuva_remove(struct drm_gpuva *va);

/**
 * drm_gpuva_find_first() - the lowest mapping overlapping a range
 * @gpuvm: the VM
 * @addr: start
 * @range: length
 *
 * Context: the driver's VM lock. O(log n).
 * Return: the mapping (possibly the kernel node), or NULL.
 */
RESV_EXPORT struct drm_gpuva *drm_gpuva_find_first(struct drm_gpuvm *gpuvm, uint64_t addr,
						   uint64_t range);

/**
 * drm_gpuva_find() - the mapping of exactly [@addr, @addr + @range)
 * @gpuvm: the VM
 * @addr: start
 * @range: length
 *
 * Context: the driver's VM lock.
 * Return: the mapping, or NULL.
 */
RESV_EXPORT struct drm_gpuva *drm_gpuva_find(struct drm_gpuvm *gpuvm, uint64_t addr,
					     uint64_t range);

/**
 * drm_gpuva_find_prev() - the mapping before @start
 * @gpuvm: the VM
 * @start: an address, normally the start of a mapping
 *
 * As the kernel's code (not its comment): the lowest mapping overlapping
 * the two addresses @start - 1 and @start; with a hole before @start that is
 * the mapping at @start itself, if any.
 *
 * Context: the driver's VM lock.
 * Return: the mapping, or NULL (also when @start - 1 is not a valid
 * address).
 */
RESV_EXPORT struct drm_gpuva *drm_gpuva_find_prev(struct drm_gpuvm *gpuvm, uint64_t start);

/**
 * drm_gpuva_find_next() - the mapping at @end
 * @gpuvm: the VM
 * @end: an address, normally the end of a mapping
 *
 * As the kernel's code: the lowest mapping overlapping @end or @end + 1.
 *
 * Context: the driver's VM lock.
 * Return: the mapping, or NULL (also when @end is not a valid address).
 */
RESV_EXPORT struct drm_gpuva *drm_gpuva_find_next(struct drm_gpuvm *gpuvm, uint64_t end);

/* Next mapping in address order, or NULL. */
static inline struct drm_gpuva *__drm_gpuva_next(struct drm_gpuva *va)
{
	if (va && va->rb.entry.next != &va->vm->rb.list)
		return caa_container_of(va->rb.entry.next, struct drm_gpuva, rb.entry);
	return NULL;
}

/**
 * drm_gpuvm_for_each_va_range() - iterate the mappings overlapping [start, end)
 * @va__: cursor
 * @gpuvm__: the VM
 * @start__: first address
 * @end__: end address (exclusive)
 *
 * O(log n + k). Not safe against removal; includes the kernel node.
 */
#define drm_gpuvm_for_each_va_range(va__, gpuvm__, start__, end__)			\
	for (va__ = drm_gpuva_find_first((gpuvm__), (start__), (end__) - (start__));	\
	     va__ && (va__)->va.addr < (end__);						\
	     va__ = __drm_gpuva_next(va__))

/**
 * drm_gpuvm_for_each_va_range_safe() - as drm_gpuvm_for_each_va_range(), safe
 * against removing the current mapping
 * @va__: cursor
 * @next__: temporary
 * @gpuvm__: the VM
 * @start__: first address
 * @end__: end address (exclusive)
 */
#define drm_gpuvm_for_each_va_range_safe(va__, next__, gpuvm__, start__, end__)	\
	for (va__ = drm_gpuva_find_first((gpuvm__), (start__), (end__) - (start__)),	\
	     next__ = __drm_gpuva_next(va__);						\
	     va__ && (va__)->va.addr < (end__);						\
	     va__ = next__, next__ = __drm_gpuva_next(va__))

/**
 * drm_gpuvm_for_each_va() - iterate every mapping in address order
 * @va__: cursor
 * @gpuvm__: the VM
 */
#define drm_gpuvm_for_each_va(va__, gpuvm__) \
	cds_list_for_each_entry(va__, &(gpuvm__)->rb.list, rb.entry)

/**
 * drm_gpuvm_for_each_va_safe() - as drm_gpuvm_for_each_va(), safe against
 * removing the current mapping
 * @va__: cursor
 * @next__: temporary
 * @gpuvm__: the VM
 */
#define drm_gpuvm_for_each_va_safe(va__, next__, gpuvm__) \
	cds_list_for_each_entry_safe(va__, next__, &(gpuvm__)->rb.list, rb.entry)

/* ---- struct drm_gpuvm_bo ------------------------------------------------------------ */

/**
 * struct drm_gpuvm_bo - the (VM, GEM object) pair
 * @vm: the VM (a reference is held)
 * @obj: the GEM object (a reference is held)
 * @evicted: the object is evicted; guarded by @obj's resv
 * @kref: reference count; each linked &struct drm_gpuva holds one
 * @list: linkage
 * @list.gpuva: the linked mappings (entry: gem.entry); gpuva lock
 * @list.entry: links of this vm_bo
 * @list.entry.gem: in &drm_gem_object.gpuva.list; gpuva lock
 * @list.entry.extobj: in &drm_gpuvm.extobj
 * @list.entry.evict: in &drm_gpuvm.evict
 * @list.entry.bo_defer: in &drm_gpuvm.bo_defer
 *
 * Unique per pair: obtain it with drm_gpuvm_bo_obtain() or
 * drm_gpuvm_bo_obtain_prealloc().
 */
struct drm_gpuvm_bo {
	struct drm_gpuvm *vm;
	struct drm_gem_object *obj;
	bool evicted;
	struct urcu_ref kref;
	/* The VM list links first: a list walk then reads one 64-byte span. */
	struct {
		struct {
			struct cds_list_head extobj;
			struct cds_list_head evict;
			struct cds_list_head gem;
			struct resv_llist_node bo_defer;
		} entry;
		struct cds_list_head gpuva;
	} list;
};

/**
 * drm_gem_gpuva_assert_lock_held() - report unless @obj's gpuva lock is held
 * @gpuvm: the VM whose mode decides which lock it is
 * @obj: the GEM object
 *
 * The gpuva lock is @obj->gpuva.lock in %DRM_GPUVM_IMMEDIATE_MODE (checked
 * as "held by some thread": a pthread mutex has no visible owner), else
 * @obj's resv (exact). Debug builds only.
 *
 * Context: any.
 */
RESV_EXPORT void drm_gem_gpuva_assert_lock_held(struct drm_gpuvm *gpuvm,
						struct drm_gem_object *obj);

/**
 * drm_gpuvm_bo_create() - allocate an unlinked vm_bo
 * @gpuvm: the VM
 * @obj: the GEM object
 *
 * Uses @ops->vm_bo_alloc when set. Takes references on @gpuvm and @obj.
 * The result is not on @obj's list: pass it to
 * drm_gpuvm_bo_obtain_prealloc(), or drop it with drm_gpuvm_bo_put().
 *
 * Context: may allocate; no lock needed.
 * Return: the vm_bo with one reference, or NULL when out of memory or an
 * argument is NULL.
 */
RESV_EXPORT RESV_MUST_CHECK struct drm_gpuvm_bo *drm_gpuvm_bo_create(struct drm_gpuvm *gpuvm,
								     struct drm_gem_object *obj);

/**
 * drm_gpuvm_bo_obtain() - find or create the vm_bo of (@gpuvm, @obj)
 * @gpuvm: the VM
 * @obj: the GEM object
 *
 * Context: @obj's gpuva lock held (drm_gem_gpuva_assert_lock_held()).
 * Return: the vm_bo with a new reference; resv_err_ptr(-ENOMEM) when out of
 * memory; resv_err_ptr(-EINVAL) when an argument is NULL.
 */
RESV_EXPORT RESV_MUST_CHECK struct drm_gpuvm_bo *drm_gpuvm_bo_obtain(struct drm_gpuvm *gpuvm,
								     struct drm_gem_object *obj);

/**
 * drm_gpuvm_bo_obtain_prealloc() - obtain with a preallocated vm_bo
 * @vm_bo: from drm_gpuvm_bo_create(), on no list
 *
 * %DRM_GPUVM_IMMEDIATE_MODE only. Takes @vm_bo->obj's gpuva mutex itself.
 * When the pair already has a vm_bo, that one gets a new reference and
 * @vm_bo's reference is dropped (freeing it, after the mutex is released);
 * otherwise @vm_bo is linked and returned.
 *
 * Context: may sleep (the mutex); no gpuva lock held by the caller.
 * Return: the vm_bo of the pair; resv_err_ptr(-EINVAL) when @vm_bo is NULL
 * or the VM is not in immediate mode (reported; @vm_bo untouched).
 */
RESV_EXPORT struct drm_gpuvm_bo *drm_gpuvm_bo_obtain_prealloc(struct drm_gpuvm_bo *vm_bo);

/**
 * drm_gpuvm_bo_find() - find the vm_bo of (@gpuvm, @obj)
 * @gpuvm: the VM
 * @obj: the GEM object
 *
 * Context: @obj's gpuva lock held.
 * Return: the vm_bo with a new reference, or NULL.
 */
RESV_EXPORT struct drm_gpuvm_bo *drm_gpuvm_bo_find(struct drm_gpuvm *gpuvm,
						   struct drm_gem_object *obj);

/**
 * drm_gpuvm_bo_get() - take a reference on a vm_bo
 * @vm_bo: the vm_bo; the caller already holds a reference
 *
 * Context: any.
 * Return: @vm_bo.
 */
static inline struct drm_gpuvm_bo *drm_gpuvm_bo_get(struct drm_gpuvm_bo *vm_bo)
{
	/* __atomic rather than urcu_ref_get(): visible to ThreadSanitizer. */
	__atomic_add_fetch(&vm_bo->kref.refcount, 1, __ATOMIC_RELAXED);
	return vm_bo;
}

/**
 * drm_gpuvm_bo_put() - drop a reference on a vm_bo
 * @vm_bo: the vm_bo, or NULL
 *
 * The last put removes the vm_bo from the VM's lists and from its object's
 * list, frees it (@ops->vm_bo_free when set) and drops its VM and object
 * references.
 *
 * Spinlock mode: prepare_objects and validate hold a temporary reference
 * on the entry they process, so a put that is not the last can leave the
 * last one to them. They drop it with the object locked, except when
 * locking that very object failed (as in the kernel), when the destroy
 * would run without the gpuva lock: so drop the last mapping of a vm_bo
 * (drm_gpuva_unlink()) only while no walk of the VM's lists can run, e.g.
 * holding the VM's resv, which the walks' callers hold.
 *
 * Context: may sleep. When this can be the last reference: the object's
 * gpuva lock held, and with %DRM_GPUVM_RESV_PROTECTED the VM's resv.
 * Return: true when the vm_bo was destroyed.
 */
RESV_EXPORT bool drm_gpuvm_bo_put(struct drm_gpuvm_bo *vm_bo);

/**
 * drm_gpuvm_bo_put_deferred() - drop a reference, deferring the destruction
 * @vm_bo: the vm_bo, or NULL
 *
 * %DRM_GPUVM_IMMEDIATE_MODE only. On the last reference, takes the object's
 * gpuva mutex, unlinks the vm_bo from the object (and, in spinlock mode,
 * from the VM's lists) and queues it as a "zombie" on &drm_gpuvm.bo_defer;
 * drm_gpuvm_bo_deferred_cleanup() frees it later. Zombies still on a
 * resv-protected list are skipped by prepare_objects and validate.
 *
 * Context: may take @vm_bo->obj's gpuva mutex; never a resv. Usable in the
 * fence signalling path.
 * Return: true when the vm_bo became a zombie; false otherwise, also when
 * the VM is not in immediate mode (reported, nothing dropped).
 */
RESV_EXPORT bool drm_gpuvm_bo_put_deferred(struct drm_gpuvm_bo *vm_bo);

/**
 * drm_gpuvm_bo_deferred_cleanup() - free the zombies of drm_gpuvm_bo_put_deferred()
 * @gpuvm: the VM
 *
 * With %DRM_GPUVM_RESV_PROTECTED, locks the VM's resv (without a context)
 * to take the zombies off the lists.
 *
 * Context: may sleep; must not hold the VM's resv in RESV_PROTECTED mode.
 */
RESV_EXPORT void drm_gpuvm_bo_deferred_cleanup(struct drm_gpuvm *gpuvm);

/**
 * drm_gpuvm_bo_extobj_add() - put the vm_bo on its VM's extobj list
 * @vm_bo: the vm_bo
 *
 * Only if the object is external (drm_gpuvm_is_extobj()) and not listed
 * yet.
 *
 * Context: spinlock mode: any; %DRM_GPUVM_RESV_PROTECTED: the VM's resv.
 */
RESV_EXPORT void drm_gpuvm_bo_extobj_add(struct drm_gpuvm_bo *vm_bo);

/**
 * drm_gpuvm_bo_evict() - mark a vm_bo evicted or valid
 * @vm_bo: the vm_bo
 * @evict: true when the object was evicted, false once it is valid again
 *
 * Sets @vm_bo->evicted and adds the vm_bo to (or removes it from) the VM's
 * evict list. With %DRM_GPUVM_RESV_PROTECTED an external object's vm_bo is
 * only marked: the list is guarded by the VM's resv, which the evicting
 * thread does not hold; drm_gpuvm_prepare_objects() moves it to the list
 * once both resvs are held.
 *
 * Context: @vm_bo->obj's resv held.
 */
RESV_EXPORT void drm_gpuvm_bo_evict(struct drm_gpuvm_bo *vm_bo, bool evict);

/**
 * drm_gpuvm_bo_gem_evict() - drm_gpuvm_bo_evict() for every VM of @obj
 * @obj: the GEM object
 * @evict: as for drm_gpuvm_bo_evict()
 *
 * Context: @obj's resv held (and its gpuva lock, the same lock unless a VM
 * is in immediate mode).
 */
RESV_EXPORT void drm_gpuvm_bo_gem_evict(struct drm_gem_object *obj, bool evict);

/**
 * drm_gpuvm_bo_refcount() - a vm_bo's reference count, for tests and debugging
 * @vm_bo: the vm_bo
 *
 * Context: any; the caller holds a reference.
 * Return: the count (racy by nature when others hold references).
 */
RESV_EXPORT long drm_gpuvm_bo_refcount(const struct drm_gpuvm_bo *vm_bo);

/**
 * drm_gpuvm_bo_for_each_va() - iterate the mappings linked to a vm_bo
 * @va__: cursor
 * @vm_bo__: the vm_bo
 *
 * Context: the object's gpuva lock.
 */
#define drm_gpuvm_bo_for_each_va(va__, vm_bo__) \
	cds_list_for_each_entry(va__, &(vm_bo__)->list.gpuva, gem.entry)

/**
 * drm_gpuvm_bo_for_each_va_safe() - as drm_gpuvm_bo_for_each_va(), safe
 * against unlinking the current mapping
 * @va__: cursor
 * @next__: temporary
 * @vm_bo__: the vm_bo
 */
#define drm_gpuvm_bo_for_each_va_safe(va__, next__, vm_bo__) \
	cds_list_for_each_entry_safe(va__, next__, &(vm_bo__)->list.gpuva, gem.entry)

#ifndef drm_gem_for_each_gpuvm_bo
/**
 * drm_gem_for_each_gpuvm_bo() - iterate the vm_bos of a GEM object (one per VM)
 * @vm_bo__: cursor
 * @obj__: the GEM object
 *
 * Context: the object's gpuva lock.
 */
#define drm_gem_for_each_gpuvm_bo(vm_bo__, obj__) \
	cds_list_for_each_entry(vm_bo__, &(obj__)->gpuva.list, list.entry.gem)

/**
 * drm_gem_for_each_gpuvm_bo_safe() - as drm_gem_for_each_gpuvm_bo(), safe
 * against removing the current vm_bo
 * @vm_bo__: cursor
 * @next__: temporary
 * @obj__: the GEM object
 */
#define drm_gem_for_each_gpuvm_bo_safe(vm_bo__, next__, obj__) \
	cds_list_for_each_entry_safe(vm_bo__, next__, &(obj__)->gpuva.list, list.entry.gem)
#endif

/**
 * drm_gpuva_link() - link a mapping to its vm_bo
 * @va: an inserted mapping with va->gem.obj set (nothing done when NULL)
 * @vm_bo: the vm_bo of (@va->vm, @va->gem.obj)
 *
 * Takes a vm_bo reference for @va.
 *
 * Context: the object's gpuva lock.
 * Return: 0 (also for a mapping without object); -EINVAL when an argument
 * is NULL or @vm_bo belongs to another object or VM (reported, as the
 * kernel WARNs; nothing linked).
 */
RESV_EXPORT int drm_gpuva_link(struct drm_gpuva *va, struct drm_gpuvm_bo *vm_bo);

/**
 * drm_gpuva_unlink() - unlink a mapping from its vm_bo
 * @va: a linked mapping (nothing done when @va->gem.obj is NULL)
 *
 * Drops @va's vm_bo reference, which may destroy the vm_bo (see
 * drm_gpuvm_bo_put() for the locks that needs).
 *
 * Context: the object's gpuva lock.
 */
RESV_EXPORT void drm_gpuva_unlink(struct drm_gpuva *va);

/**
 * drm_gpuva_unlink_defer() - unlink with deferred vm_bo destruction
 * @va: a linked mapping (nothing done when @va->gem.obj is NULL)
 *
 * %DRM_GPUVM_IMMEDIATE_MODE only: takes the object's gpuva mutex itself and
 * drops the vm_bo reference as drm_gpuvm_bo_put_deferred() does.
 *
 * Context: may take the object's gpuva mutex; usable in the fence
 * signalling path.
 * Return: 0; -EINVAL when @va is NULL or not linked, or the VM is not in
 * immediate mode (reported; nothing changed).
 */
RESV_EXPORT int drm_gpuva_unlink_defer(struct drm_gpuva *va);

/* ---- exec helpers ---------------------------------------------------------------------- */

/**
 * struct drm_gpuvm_exec - drm_exec over a VM
 * @exec: the &struct drm_exec
 * @flags: its flags (DRM_EXEC_*)
 * @vm: the VM
 * @num_fences: fence slots to reserve on every locked object (0: lock only)
 * @extra: driver hook locking more objects in the same loop
 * @extra.fn: called after the VM and its external objects are locked
 * @extra.priv: for @extra.fn
 */
struct drm_gpuvm_exec {
	struct drm_exec exec;
	uint32_t flags;
	struct drm_gpuvm *vm;
	unsigned int num_fences;
	struct {
		int (*fn)(struct drm_gpuvm_exec *vm_exec);
		void *priv;
	} extra;
};

/**
 * drm_gpuvm_prepare_vm() - lock the VM's resv in an exec
 * @gpuvm: the VM
 * @exec: inside drm_exec_until_all_locked()
 * @num_fences: slots to reserve; 0: drm_exec_lock_obj() only
 *
 * Context: in a drm_exec loop; follow with drm_exec_retry_on_contention().
 * Return: 0 or drm_exec_prepare_obj()'s / drm_exec_lock_obj()'s errno
 * (-EDEADLK, -EALREADY, -ENOMEM, -EINTR).
 */
RESV_EXPORT RESV_MUST_CHECK int drm_gpuvm_prepare_vm(struct drm_gpuvm *gpuvm,
						     struct drm_exec *exec,
						     unsigned int num_fences);

/**
 * drm_gpuvm_prepare_objects() - lock every external object in an exec
 * @gpuvm: the VM
 * @exec: inside drm_exec_until_all_locked()
 * @num_fences: slots to reserve; 0: lock only
 *
 * Spinlock mode: safe against concurrent extobj insertion and removal, not
 * against a concurrent prepare_objects of the same VM: serialise with an
 * outer lock or call drm_gpuvm_prepare_vm() first in the same loop.
 * %DRM_GPUVM_RESV_PROTECTED: the VM's resv must be held; every locked
 * external object whose vm_bo is marked evicted is moved to the evict
 * list here, so drm_gpuvm_validate() sees it.
 *
 * Context: in a drm_exec loop; follow with drm_exec_retry_on_contention().
 * Return: 0; the first locking errno (-EDEADLK, -EALREADY, -ENOMEM,
 * -EINTR); -EBUSY when another iteration of the extobj list is running
 * (spinlock mode; reported).
 */
RESV_EXPORT RESV_MUST_CHECK int drm_gpuvm_prepare_objects(struct drm_gpuvm *gpuvm,
							  struct drm_exec *exec,
							  unsigned int num_fences);

/**
 * drm_gpuvm_prepare_range() - lock the objects mapped in a range
 * @gpuvm: the VM
 * @exec: inside drm_exec_until_all_locked()
 * @addr: start
 * @range: length
 * @num_fences: slots to reserve; 0: lock only
 *
 * Mappings without an object are skipped (the kernel would pass NULL on).
 *
 * Context: the driver's VM lock; in a drm_exec loop.
 * Return: 0 or the first locking errno.
 */
RESV_EXPORT RESV_MUST_CHECK int drm_gpuvm_prepare_range(struct drm_gpuvm *gpuvm,
							struct drm_exec *exec,
							uint64_t addr, uint64_t range,
							unsigned int num_fences);

/**
 * drm_gpuvm_exec_lock() - lock the VM, its external objects and extras
 * @vm_exec: @vm, @flags, @num_fences and optionally @extra set
 *
 * Runs drm_exec_init() and the whole retry loop: prepare_vm,
 * prepare_objects, then @extra.fn. On success everything stays locked
 * until drm_gpuvm_exec_unlock().
 *
 * Context: may sleep; no resv of the VM held.
 * Return: 0; on error (-EINTR, -ENOMEM, -EALREADY, -EBUSY or @extra.fn's)
 * the exec is already finalised and nothing is locked.
 */
RESV_EXPORT RESV_MUST_CHECK int drm_gpuvm_exec_lock(struct drm_gpuvm_exec *vm_exec);

/**
 * drm_gpuvm_exec_lock_array() - drm_gpuvm_exec_lock() plus an array of objects
 * @vm_exec: as for drm_gpuvm_exec_lock(); @extra is used and cleared
 * @objs: more objects to prepare
 * @num_objs: how many
 *
 * Context: may sleep; no resv of the VM held.
 * Return: as drm_gpuvm_exec_lock().
 */
RESV_EXPORT RESV_MUST_CHECK int drm_gpuvm_exec_lock_array(struct drm_gpuvm_exec *vm_exec,
							  struct drm_gem_object **objs,
							  unsigned int num_objs);

/**
 * drm_gpuvm_exec_lock_range() - lock the objects mapped in a range
 * @vm_exec: @vm, @flags, @num_fences set
 * @addr: start
 * @range: length
 *
 * Only drm_gpuvm_prepare_range() runs in the loop (not prepare_vm).
 *
 * Context: the driver's VM lock; may sleep.
 * Return: as drm_gpuvm_exec_lock().
 */
RESV_EXPORT RESV_MUST_CHECK int drm_gpuvm_exec_lock_range(struct drm_gpuvm_exec *vm_exec,
							  uint64_t addr, uint64_t range);

/**
 * drm_gpuvm_exec_unlock() - unlock what drm_gpuvm_exec_lock() locked
 * @vm_exec: a successfully locked exec
 *
 * Context: the thread that locked it.
 */
static inline void drm_gpuvm_exec_unlock(struct drm_gpuvm_exec *vm_exec)
{
	drm_exec_fini(&vm_exec->exec);
}

/**
 * drm_gpuvm_validate() - revalidate every evicted object
 * @gpuvm: the VM
 * @exec: the exec holding the VM and its objects locked
 *
 * Calls @ops->vm_bo_validate for each vm_bo on the evict list; the callback
 * is expected to make the object valid and call drm_gpuvm_bo_evict(false).
 * With %DRM_GPUVM_RESV_PROTECTED entries no longer marked evicted leave the
 * list afterwards, and every entry's object is locked by @exec. In
 * spinlock mode an object mapped (holding only its own resv) after this
 * exec's prepare_objects and evicted since is on the list without being
 * locked by @exec: the callback must check dma_resv_held() and leave it for
 * the next exec.
 *
 * Context: the VM's resv held (RESV_PROTECTED), the locks the callback
 * needs; calls are serialised by the caller in spinlock mode.
 * Return: 0; -EOPNOTSUPP without @ops->vm_bo_validate; the callback's first
 * error; -EBUSY when another iteration of the evict list is running
 * (spinlock mode; reported).
 */
RESV_EXPORT RESV_MUST_CHECK int drm_gpuvm_validate(struct drm_gpuvm *gpuvm,
						   struct drm_exec *exec);

/**
 * drm_gpuvm_exec_validate() - drm_gpuvm_validate() on an exec wrapper
 * @vm_exec: a locked exec
 *
 * Context: as drm_gpuvm_validate().
 * Return: as drm_gpuvm_validate().
 */
static inline int drm_gpuvm_exec_validate(struct drm_gpuvm_exec *vm_exec)
{
	return drm_gpuvm_validate(vm_exec->vm, &vm_exec->exec);
}

/**
 * drm_gpuvm_resv_add_fence() - add a fence to every object locked in an exec
 * @gpuvm: the VM
 * @exec: the locked exec (slots reserved: num_fences >= 1)
 * @fence: the fence
 * @private_usage: usage on the VM's resv (and so its local objects)
 * @extobj_usage: usage on external objects
 *
 * Every object in @exec gets @fence once: @extobj_usage when it is
 * external to @gpuvm, @private_usage otherwise.
 *
 * Context: every object of @exec locked by the caller.
 */
RESV_EXPORT void drm_gpuvm_resv_add_fence(struct drm_gpuvm *gpuvm, struct drm_exec *exec,
					  struct dma_fence *fence,
					  enum dma_resv_usage private_usage,
					  enum dma_resv_usage extobj_usage);

/**
 * drm_gpuvm_exec_resv_add_fence() - drm_gpuvm_resv_add_fence() on a wrapper
 * @vm_exec: a locked exec
 * @fence: the fence
 * @private_usage: usage on the VM's resv
 * @extobj_usage: usage on external objects
 *
 * Context: as drm_gpuvm_resv_add_fence().
 */
static inline void drm_gpuvm_exec_resv_add_fence(struct drm_gpuvm_exec *vm_exec,
						 struct dma_fence *fence,
						 enum dma_resv_usage private_usage,
						 enum dma_resv_usage extobj_usage)
{
	drm_gpuvm_resv_add_fence(vm_exec->vm, &vm_exec->exec, fence, private_usage,
				 extobj_usage);
}

#ifdef __cplusplus
}
#endif

/* The split/merge operation model and the driver callbacks. */
#include <resv/drm_gpuvm_ops.h>

#endif /* RESV_DRM_GPUVM_H */
