/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * &struct drm_gem_object is the minimal buffer object that drm_exec and
 * drm_gpuvm work on, after the kernel's ``include/drm/drm_gem.h``: a
 * reference count with a driver free callback, a size, a reservation
 * object and the list of VM bindings (&struct drm_gpuvm_bo) of the object.
 *
 * Drivers embed it in their own buffer object::
 *
 *	struct my_bo {
 *		struct drm_gem_object base;
 *		void *pages;
 *	};
 *
 *	static void my_bo_free(struct drm_gem_object *obj)
 *	{
 *		struct my_bo *bo = caa_container_of(obj, struct my_bo, base);
 *
 *		drm_gem_object_release(obj);   // finalises the embedded resv
 *		free(bo->pages);
 *		free(bo);
 *	}
 *	static const struct drm_gem_object_funcs my_bo_funcs = {
 *		.free = my_bo_free,
 *	};
 *
 *	bo = calloc(1, sizeof(*bo));
 *	bo->base.resv = drm_gpuvm_resv(vm);   // optional: share the VM's resv
 *	ret = drm_gem_object_init(&bo->base, &my_bo_funcs, size);
 *
 * @resv points either at the object's own embedded @_resv (the default),
 * or, when the caller set it before drm_gem_object_init(), at a shared
 * reservation object such as a VM's: "local" objects of a VM share its
 * resv, so locking the VM locks them all. The embedded @_resv is
 * initialised in both cases, as in the kernel.
 */
#ifndef RESV_DRM_GEM_H
#define RESV_DRM_GEM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <urcu/list.h>
#include <urcu/ref.h>

#include <resv/compiler.h>
#include <resv/dma-resv.h>

#ifdef __cplusplus
extern "C" {
#endif

struct drm_gem_object;

/**
 * struct drm_gem_object_funcs - driver callbacks of a GEM object
 * @free: called when the last reference is dropped; mandatory. It must call
 *	drm_gem_object_release() and then free the memory of the object.
 */
struct drm_gem_object_funcs {
	void (*free)(struct drm_gem_object *obj);
};

/**
 * struct drm_gem_object - a GPU buffer object
 * @refcount: reference count; use drm_gem_object_get() / _put()
 * @size: size of the buffer in bytes
 * @resv: the reservation object guarding the buffer: &_resv or a shared one
 * @_resv: the embedded reservation object, used unless @resv was set
 * @funcs: the driver callbacks
 * @gpuva: the VM bindings of the object, for drm_gpuvm
 * @gpuva.list: &struct drm_gpuvm_bo list (entry: list.entry.gem); guarded
 *	by @resv, or by @gpuva.lock for VMs in immediate mode
 * @gpuva.lock: the lock guarding @gpuva.list in immediate mode
 */
struct drm_gem_object {
	struct urcu_ref refcount;
	size_t size;
	struct dma_resv *resv;
	struct dma_resv _resv;
	const struct drm_gem_object_funcs *funcs;
	struct {
		struct cds_list_head list;
		pthread_mutex_t lock;
	} gpuva;
};

/**
 * drm_gem_object_init() - initialise a GEM object
 * @obj: the object, zeroed by the caller except possibly @obj->resv
 * @funcs: its callbacks; @funcs->free is mandatory
 * @size: the size of the buffer in bytes (may be 0 for a dummy object
 *	that only carries a resv, such as drm_gpuvm's resv object)
 *
 * Sets the reference count to one, initialises the embedded reservation
 * object and makes @obj->resv point at it unless the caller set @obj->resv
 * to a shared reservation object beforehand.
 *
 * Context: any; @obj not yet visible to others.
 * Return: 0; -EINVAL when @obj, @funcs or @funcs->free is NULL (nothing
 * initialised).
 */
RESV_EXPORT RESV_MUST_CHECK int drm_gem_object_init(struct drm_gem_object *obj,
						    const struct drm_gem_object_funcs *funcs,
						    size_t size);

/**
 * drm_gem_object_release() - release what drm_gem_object_init() set up
 * @obj: the object, whose last reference is gone
 *
 * Finalises the embedded reservation object (dropping its fences) and the
 * gpuva lock. Called by the driver's &drm_gem_object_funcs.free.
 *
 * Context: no lock of @obj held; no VM binding left.
 */
RESV_EXPORT void drm_gem_object_release(struct drm_gem_object *obj);

/**
 * drm_gem_object_get() - take a reference
 * @obj: the object, or NULL (nothing done)
 *
 * Context: any; the caller already holds a reference.
 */
RESV_EXPORT void drm_gem_object_get(struct drm_gem_object *obj);

/**
 * resv_gem_object_get_unless_zero() - take a reference unless the object
 * is already dying
 * @obj: the object, found through a lookup structure (an LRU, a handle
 *	table) that does not hold a reference, and whose memory is still valid
 *	(e.g. under the lock that the free callback takes to unlink it)
 *
 * The kernel's ``kref_get_unless_zero(&obj->refcount)``. Use it instead of
 * liburcu's urcu_ref_get_unless_zero(): the count is driven with compiler
 * atomics that ThreadSanitizer understands.
 *
 * Context: any.
 * Return: true with a new reference; false when the count had reached zero.
 */
RESV_EXPORT RESV_MUST_CHECK bool resv_gem_object_get_unless_zero(struct drm_gem_object *obj);

/**
 * drm_gem_object_put() - drop a reference
 * @obj: the object, or NULL (nothing done)
 *
 * The last put calls @obj->funcs->free.
 *
 * Context: any; the last put must not hold @obj's resv.
 */
RESV_EXPORT void drm_gem_object_put(struct drm_gem_object *obj);

/**
 * drm_gem_object_refcount() - the current reference count
 * @obj: the object
 *
 * For tests and debugging: racy by nature when others hold references.
 *
 * Context: any; the caller holds a reference.
 * Return: the number of references.
 */
RESV_EXPORT long drm_gem_object_refcount(const struct drm_gem_object *obj);

#ifdef __cplusplus
}
#endif

#endif /* RESV_DRM_GEM_H */
