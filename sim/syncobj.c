// SPDX-License-Identifier: MIT
/*
 * Syncobjs: the object (its fence slot, binary and timeline updates) and
 * the per-file handle table. Waiting lives in syncobj-wait.c, the array
 * ioctls in syncobj-ioctl.c.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <drm.h>

#include <resv/alloc.h>
#include <resv/dma-fence-chain.h>

#include "syncobj-internal.h"

/* Our flag values are the uAPI's, so the ioctl layer passes them through. */
_Static_assert(SIM_SYNCOBJ_CREATE_SIGNALED == DRM_SYNCOBJ_CREATE_SIGNALED, "create flag");
_Static_assert(SIM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL == DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, "wait all");
_Static_assert(SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT == DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
	       "wait for submit");
_Static_assert(SIM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE == DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE,
	       "wait available");
_Static_assert(SIM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED == DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED,
	       "query last submitted");

int64_t sim__syncobj_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- the object ---------------------------------------------------------------------- */

int sim_syncobj_create(uint32_t flags, struct sim_syncobj **out)
{
	struct sim_syncobj *syncobj;
	int ret;

	if ((flags & ~SIM_SYNCOBJ_CREATE_SIGNALED) || !out)
		return -EINVAL;

	syncobj = resv_zalloc(sizeof(*syncobj));
	if (!syncobj)
		return -ENOMEM;
	syncobj->ref = 1;
	pthread_mutex_init(&syncobj->lock, NULL);
	CDS_INIT_LIST_HEAD(&syncobj->waiters);

	if (flags & SIM_SYNCOBJ_CREATE_SIGNALED) {
		ret = sim_syncobj_signal(syncobj);
		if (ret) {
			sim_syncobj_put(syncobj);
			return ret;
		}
	}
	*out = syncobj;
	return 0;
}

struct sim_syncobj *sim_syncobj_get(struct sim_syncobj *syncobj)
{
	__atomic_add_fetch(&syncobj->ref, 1, __ATOMIC_RELAXED);
	return syncobj;
}

void sim_syncobj_put(struct sim_syncobj *syncobj)
{
	if (!syncobj || __atomic_sub_fetch(&syncobj->ref, 1, __ATOMIC_ACQ_REL))
		return;
	/* Waiters hold references, so nobody can be queued any more. */
	dma_fence_put(syncobj->fence);
	pthread_mutex_destroy(&syncobj->lock);
	resv_free(syncobj, sizeof(*syncobj));
}

struct dma_fence *sim_syncobj_fence_get(struct sim_syncobj *syncobj)
{
	struct dma_fence *fence;

	pthread_mutex_lock(&syncobj->lock);
	fence = syncobj->fence ? dma_fence_get(syncobj->fence) : NULL;
	pthread_mutex_unlock(&syncobj->lock);
	return fence;
}

void sim_syncobj_replace_fence(struct sim_syncobj *syncobj, struct dma_fence *fence)
{
	struct dma_fence *old;

	if (fence)
		dma_fence_get(fence);
	pthread_mutex_lock(&syncobj->lock);
	old = syncobj->fence;
	syncobj->fence = fence;
	if (fence != old)
		sim__syncobj_wake_waiters_locked(syncobj);
	pthread_mutex_unlock(&syncobj->lock);
	/* Outside the lock: the last put of a chain can walk a long way. */
	dma_fence_put(old);
}

int sim_syncobj_signal(struct sim_syncobj *syncobj)
{
	struct dma_fence *fence = dma_fence_allocate_private_stub(sim__syncobj_now_ns());

	if (!fence)
		return -ENOMEM;
	sim_syncobj_replace_fence(syncobj, fence);
	dma_fence_put(fence);
	return 0;
}

void sim_syncobj_add_point_chain(struct sim_syncobj *syncobj, struct dma_fence_chain *chain,
				 struct dma_fence *fence, uint64_t point)
{
	struct dma_fence *prev, *iter;

	dma_fence_get(fence);
	pthread_mutex_lock(&syncobj->lock);
	prev = syncobj->fence;
	/* Our own reference for the garbage-collecting walk below. */
	if (prev)
		dma_fence_get(prev);
	/*
	 * A point not above the last one is still added (the kernel only logs
	 * it): dma_fence_chain_init() numbers it as the last point, in a new
	 * context, so the timeline never goes backwards. The node takes over
	 * the slot's reference to @prev and ours to @fence.
	 */
	dma_fence_chain_init(chain, prev, fence, point);
	syncobj->fence = &chain->base;
	sim__syncobj_wake_waiters_locked(syncobj);
	pthread_mutex_unlock(&syncobj->lock);

	/* Walk once so the signaled part of the chain is unlinked and freed. */
	dma_fence_chain_for_each(iter, prev)
		;
	dma_fence_put(prev);
}

int sim_syncobj_add_point(struct sim_syncobj *syncobj, struct dma_fence *fence, uint64_t point)
{
	struct dma_fence_chain *chain;

	if (!syncobj || !fence)
		return -EINVAL;
	chain = dma_fence_chain_alloc();
	if (!chain)
		return -ENOMEM;
	sim_syncobj_add_point_chain(syncobj, chain, fence, point);
	return 0;
}

/* ---- the handle table ---------------------------------------------------------------- */

void sim_syncobj_table_init(struct sim_syncobj_table *table)
{
	memset(table, 0, sizeof(*table));
	pthread_mutex_init(&table->lock, NULL);
}

void sim_syncobj_table_fini(struct sim_syncobj_table *table)
{
	uint32_t i;

	for (i = 0; i < table->capacity; i++)
		sim_syncobj_put(table->slots[i]);
	resv_free(table->slots, table->capacity * sizeof(*table->slots));
	pthread_mutex_destroy(&table->lock);
	memset(table, 0, sizeof(*table));
}

/* The lowest free slot index, growing the array; -ENOMEM, -ENOSPC. */
static int table_free_slot_locked(struct sim_syncobj_table *table, uint32_t *idx)
{
	struct sim_syncobj **slots;
	uint32_t i, capacity;

	for (i = table->free_hint; i < table->capacity; i++) {
		if (!table->slots[i]) {
			*idx = i;
			return 0;
		}
	}
	if (table->capacity >= SIM_SYNCOBJ_MAX_HANDLES)
		return -ENOSPC;
	capacity = table->capacity ? table->capacity * 2 : 16;
	if (capacity > SIM_SYNCOBJ_MAX_HANDLES)
		capacity = SIM_SYNCOBJ_MAX_HANDLES;
	slots = resv_zalloc(capacity * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	if (table->capacity)
		memcpy(slots, table->slots, table->capacity * sizeof(*slots));
	resv_free(table->slots, table->capacity * sizeof(*slots));
	*idx = table->capacity;
	table->slots = slots;
	table->capacity = capacity;
	return 0;
}

int sim_syncobj_table_install(struct sim_syncobj_table *table, struct sim_syncobj *syncobj,
			      uint32_t *handle)
{
	uint32_t idx;
	int ret;

	if (!syncobj || !handle)
		return -EINVAL;
	pthread_mutex_lock(&table->lock);
	ret = table_free_slot_locked(table, &idx);
	if (!ret) {
		table->slots[idx] = sim_syncobj_get(syncobj);
		table->count++;
		table->free_hint = idx + 1;
		*handle = idx + 1;
	}
	pthread_mutex_unlock(&table->lock);
	return ret;
}

int sim_syncobj_table_create(struct sim_syncobj_table *table, uint32_t flags, uint32_t *handle)
{
	struct sim_syncobj *syncobj;
	int ret;

	if (!handle)
		return -EINVAL;
	ret = sim_syncobj_create(flags, &syncobj);
	if (ret)
		return ret;
	ret = sim_syncobj_table_install(table, syncobj, handle);
	sim_syncobj_put(syncobj);
	return ret;
}

int sim_syncobj_table_destroy(struct sim_syncobj_table *table, uint32_t handle)
{
	struct sim_syncobj *syncobj = NULL;

	pthread_mutex_lock(&table->lock);
	if (handle && handle <= table->capacity) {
		syncobj = table->slots[handle - 1];
		table->slots[handle - 1] = NULL;
	}
	if (syncobj) {
		table->count--;
		if (handle - 1 < table->free_hint)
			table->free_hint = handle - 1;
	}
	pthread_mutex_unlock(&table->lock);
	if (!syncobj)
		return -EINVAL;
	sim_syncobj_put(syncobj);
	return 0;
}

struct sim_syncobj *sim_syncobj_table_lookup(struct sim_syncobj_table *table, uint32_t handle)
{
	struct sim_syncobj *syncobj = NULL;

	pthread_mutex_lock(&table->lock);
	if (handle && handle <= table->capacity && table->slots[handle - 1])
		syncobj = sim_syncobj_get(table->slots[handle - 1]);
	pthread_mutex_unlock(&table->lock);
	return syncobj;
}

uint32_t sim_syncobj_table_count(struct sim_syncobj_table *table)
{
	uint32_t count;

	pthread_mutex_lock(&table->lock);
	count = table->count;
	pthread_mutex_unlock(&table->lock);
	return count;
}

uint32_t sim_syncobj_table_next(struct sim_syncobj_table *table, uint32_t after)
{
	uint32_t i, handle = 0;

	pthread_mutex_lock(&table->lock);
	/* Handle h lives in slot h - 1, so slot @after holds handle @after + 1. */
	for (i = after; i < table->capacity; i++) {
		if (table->slots[i]) {
			handle = i + 1;
			break;
		}
	}
	pthread_mutex_unlock(&table->lock);
	return handle;
}

int sim__syncobj_array_find(struct sim_syncobj_table *table, const uint32_t *handles,
			    uint32_t count, struct sim_syncobj ***out)
{
	struct sim_syncobj **syncobjs;
	uint32_t i;

	if (!handles)
		return -EFAULT;
	syncobjs = resv_malloc((size_t)count * sizeof(*syncobjs));
	if (!syncobjs)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		syncobjs[i] = sim_syncobj_table_lookup(table, handles[i]);
		if (!syncobjs[i]) {
			while (i-- > 0)
				sim_syncobj_put(syncobjs[i]);
			resv_free(syncobjs, (size_t)count * sizeof(*syncobjs));
			return -ENOENT;
		}
	}
	*out = syncobjs;
	return 0;
}

void sim__syncobj_array_free(struct sim_syncobj **syncobjs, uint32_t count)
{
	uint32_t i;

	for (i = 0; i < count; i++)
		sim_syncobj_put(syncobjs[i]);
	resv_free(syncobjs, (size_t)count * sizeof(*syncobjs));
}
