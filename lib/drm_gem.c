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

	__atomic_store_n(&obj->refcount.refcount, 1, __ATOMIC_RELAXED);
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

/*
 * The count lives in the public struct urcu_ref, but is driven with the
 * compiler's atomics rather than liburcu's uatomic_*(), which are inline
 * assembly that ThreadSanitizer cannot see: a last put on another thread
 * would look like a race with the free.
 */
void drm_gem_object_get(struct drm_gem_object *obj)
{
	if (obj)
		__atomic_fetch_add(&obj->refcount.refcount, 1, __ATOMIC_RELAXED);
}

bool resv_gem_object_get_unless_zero(struct drm_gem_object *obj)
{
	long old = __atomic_load_n(&obj->refcount.refcount, __ATOMIC_RELAXED);

	do {
		if (old == 0)
			return false;
	} while (!__atomic_compare_exchange_n(&obj->refcount.refcount, &old, old + 1, true,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return true;
}

void drm_gem_object_put(struct drm_gem_object *obj)
{
	/* acq_rel: every use by other holders happens before the free. */
	if (obj && __atomic_sub_fetch(&obj->refcount.refcount, 1, __ATOMIC_ACQ_REL) == 0)
		obj->funcs->free(obj);
}

long drm_gem_object_refcount(const struct drm_gem_object *obj)
{
	return __atomic_load_n(&obj->refcount.refcount, __ATOMIC_RELAXED);
}
