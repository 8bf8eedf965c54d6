/* SPDX-License-Identifier: MIT */
/*
 * The minimal GEM object: a reference count, a reservation object (own or
 * shared) and the list of its VM bindings.
 */
#include <errno.h>

#include <resv/drm_gem.h>

int drm_gem_object_init(struct drm_gem_object *obj, const struct drm_gem_object_funcs *funcs,
			size_t size)
{
	if (!obj || !funcs || !funcs->free)
		return -EINVAL;

	urcu_ref_init(&obj->refcount);
	obj->size = size;
	obj->funcs = funcs;
	/* As in the kernel: the embedded resv always exists, even when a
	 * shared one (a VM's) was chosen, so release is uniform. */
	dma_resv_init(&obj->_resv);
	if (!obj->resv)
		obj->resv = &obj->_resv;
	CDS_INIT_LIST_HEAD(&obj->gpuva.list);
	pthread_mutex_init(&obj->gpuva.lock, NULL);
	return 0;
}

void drm_gem_object_release(struct drm_gem_object *obj)
{
	dma_resv_fini(&obj->_resv);
	pthread_mutex_destroy(&obj->gpuva.lock);
}

void drm_gem_object_get(struct drm_gem_object *obj)
{
	if (obj)
		urcu_ref_get(&obj->refcount);
}

static void drm_gem_object_free(struct urcu_ref *ref)
{
	struct drm_gem_object *obj = caa_container_of(ref, struct drm_gem_object, refcount);

	obj->funcs->free(obj);
}

void drm_gem_object_put(struct drm_gem_object *obj)
{
	if (obj)
		urcu_ref_put(&obj->refcount, drm_gem_object_free);
}

long drm_gem_object_refcount(const struct drm_gem_object *obj)
{
	return uatomic_read(&obj->refcount.refcount);
}
