// SPDX-License-Identifier: MIT
/*
 * Syncobj waits: for a fence to be submitted (a wait entry parked on the
 * syncobj, woken by whoever installs a fence) and for fences to signal
 * (dma_fence callbacks). Both wake one per-call waiter: a mutex, a
 * CLOCK_MONOTONIC condition variable and an event counter, so a wake-up
 * between "check" and "sleep" is never lost. Nothing polls.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <resv/alloc.h>
#include <resv/dma-fence-chain.h>

#include "syncobj-internal.h"

#define ALL_WAIT_FLAGS                                                          \
	(SIM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL | SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT | \
	 SIM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE)
#define FOR_SUBMIT_FLAGS                                                        \
	(SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT | SIM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE)

/* ---- the waiter ---------------------------------------------------------------------- */

static void waiter_init(struct sim_syncobj_waiter *w)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &attr);
	pthread_condattr_destroy(&attr);
	w->events = 0;
}

static void waiter_destroy(struct sim_syncobj_waiter *w)
{
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

static void waiter_wake(struct sim_syncobj_waiter *w)
{
	pthread_mutex_lock(&w->lock);
	w->events++;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static uint64_t waiter_events(struct sim_syncobj_waiter *w)
{
	uint64_t events;

	pthread_mutex_lock(&w->lock);
	events = w->events;
	pthread_mutex_unlock(&w->lock);
	return events;
}

/*
 * Sleep until something happened after the caller read @seen, or until
 * the absolute CLOCK_MONOTONIC @deadline_ns. Return: false when the
 * deadline passed.
 */
static bool waiter_sleep(struct sim_syncobj_waiter *w, uint64_t seen, int64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / 1000000000LL),
		.tv_nsec = (long)(deadline_ns % 1000000000LL),
	};
	bool in_time = true;

	pthread_mutex_lock(&w->lock);
	while (w->events == seen) {
		if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) == ETIMEDOUT) {
			in_time = w->events != seen;
			break;
		}
	}
	pthread_mutex_unlock(&w->lock);
	return in_time;
}

static void entry_fence_func(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct sim_syncobj_wait_entry *entry =
		(struct sim_syncobj_wait_entry *)((char *)cb -
						  offsetof(struct sim_syncobj_wait_entry, fence_cb));

	(void)fence;
	waiter_wake(entry->waiter);
}

/* ---- finding the fence of a point ---------------------------------------------------- */

/*
 * The fence that signals @point of the syncobj fence @fence (whose
 * reference is consumed), as the kernel's waits look it up. Return: 0
 * with *@out a reference (the stub for a point that already signaled);
 * -EINVAL when there is no fence, or the point was not added yet.
 */
static int resolve_point(struct dma_fence *fence, uint64_t point, struct dma_fence **out)
{
	if (!fence)
		return -EINVAL;
	if (dma_fence_chain_find_seqno(&fence, point)) {
		dma_fence_put(fence);
		return -EINVAL;
	}
	*out = fence ? fence : dma_fence_get_stub();
	return 0;
}

static struct dma_fence *entry_fence(struct sim_syncobj_wait_entry *entry)
{
	return __atomic_load_n(&entry->fence, __ATOMIC_ACQUIRE);
}

void sim__syncobj_wake_waiters_locked(struct sim_syncobj *syncobj)
{
	struct sim_syncobj_wait_entry *entry, *tmp;
	struct dma_fence *fence;

	cds_list_for_each_entry_safe(entry, tmp, &syncobj->waiters, node) {
		if (resolve_point(syncobj->fence ? dma_fence_get(syncobj->fence) : NULL,
				  entry->point, &fence))
			continue;	/* still not there: a later point is awaited */
		__atomic_store_n(&entry->fence, fence, __ATOMIC_RELEASE);
		cds_list_del_init(&entry->node);
		entry->queued = false;
		/* The entry stays valid: its owner takes our lock before freeing it. */
		waiter_wake(entry->waiter);
	}
}

/* Park @entry on @syncobj unless its point is there already (then take it). */
static void entry_add_wait(struct sim_syncobj *syncobj, struct sim_syncobj_wait_entry *entry)
{
	struct dma_fence *fence;

	if (entry_fence(entry))
		return;
	pthread_mutex_lock(&syncobj->lock);
	/* Look again under the lock, or a fence installed meanwhile is missed. */
	if (resolve_point(syncobj->fence ? dma_fence_get(syncobj->fence) : NULL, entry->point,
			  &fence)) {
		cds_list_add_tail(&entry->node, &syncobj->waiters);
		entry->queued = true;
	} else {
		__atomic_store_n(&entry->fence, fence, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&syncobj->lock);
}

static void entry_remove_wait(struct sim_syncobj *syncobj, struct sim_syncobj_wait_entry *entry)
{
	/* Always under the lock: a waker may still be walking the list. */
	pthread_mutex_lock(&syncobj->lock);
	if (entry->queued) {
		cds_list_del_init(&entry->node);
		entry->queued = false;
	}
	pthread_mutex_unlock(&syncobj->lock);
}

int sim_syncobj_find_fence_timeout(struct sim_syncobj *syncobj, uint64_t point, uint32_t flags,
				   int64_t timeout_ns, struct dma_fence **fence)
{
	struct sim_syncobj_wait_entry entry = { .point = point };
	struct sim_syncobj_waiter waiter;
	struct dma_fence *found;
	int64_t deadline;
	bool expired;
	int ret;

	if (!fence)
		return -EINVAL;
	*fence = NULL;
	if (!syncobj || (flags & ~SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT) || timeout_ns < 0)
		return -EINVAL;

	ret = resolve_point(sim_syncobj_fence_get(syncobj), point, fence);
	if (!ret || !(flags & SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT))
		return ret;

	waiter_init(&waiter);
	entry.waiter = &waiter;
	CDS_INIT_LIST_HEAD(&entry.node);
	deadline = sim__syncobj_now_ns();
	deadline = timeout_ns > INT64_MAX - deadline ? INT64_MAX : deadline + timeout_ns;
	expired = timeout_ns == 0;
	entry_add_wait(syncobj, &entry);
	for (;;) {
		uint64_t seen = waiter_events(&waiter);

		found = entry_fence(&entry);
		if (found) {
			ret = 0;
			break;
		}
		if (expired) {
			ret = -ETIME;
			break;
		}
		expired = !waiter_sleep(&waiter, seen, deadline);
	}
	entry_remove_wait(syncobj, &entry);
	waiter_destroy(&waiter);
	*fence = found;
	return ret;
}

int sim_syncobj_find_fence(struct sim_syncobj *syncobj, uint64_t point, uint32_t flags,
			   struct dma_fence **fence)
{
	return sim_syncobj_find_fence_timeout(syncobj, point, flags,
					      SIM_SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT_NS, fence);
}

int sim__syncobj_table_find_fence(struct sim_syncobj_table *table, uint32_t handle,
				  uint64_t point, uint32_t flags, int64_t timeout_ns,
				  struct dma_fence **fence)
{
	struct sim_syncobj *syncobj;
	int ret;

	*fence = NULL;
	/* The kernel checks the flags before the handle. */
	if (flags & ~SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT)
		return -EINVAL;
	syncobj = sim_syncobj_table_lookup(table, handle);
	if (!syncobj)
		return -ENOENT;
	ret = sim_syncobj_find_fence_timeout(syncobj, point, flags, timeout_ns, fence);
	sim_syncobj_put(syncobj);
	return ret;
}

/* ---- array waits --------------------------------------------------------------------- */

/*
 * Has @entry finished waiting? Arms its fence callback the first time it
 * is asked, so the next signal wakes us.
 */
static bool entry_done(struct sim_syncobj_wait_entry *entry, struct dma_fence *fence,
		       uint32_t flags)
{
	if ((flags & SIM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE) || dma_fence_is_signaled(fence))
		return true;
	if (entry->cb_added)
		return false;
	if (dma_fence_add_callback(fence, &entry->fence_cb, entry_fence_func))
		return true;	/* -ENOENT: signaled meanwhile */
	entry->cb_added = true;
	return false;
}

/* The kernel's drm_syncobj_array_wait_timeout(), with an absolute deadline. */
static int array_wait(struct sim_syncobj **syncobjs, const uint64_t *points, uint32_t count,
		      uint32_t flags, int64_t timeout_nsec, uint32_t *first)
{
	struct sim_syncobj_wait_entry *entries;
	struct sim_syncobj_waiter waiter;
	uint32_t i, signaled_count = 0;
	struct dma_fence *fence;
	bool expired;
	int ret;

	entries = resv_zalloc((size_t)count * sizeof(*entries));
	if (!entries)
		return -ENOMEM;
	waiter_init(&waiter);
	/* 0 and any time already past poll: check once, then -ETIME. */
	expired = timeout_nsec <= sim__syncobj_now_ns();

	/*
	 * Look every fence up first, so a missing one fails with -EINVAL
	 * before anything waited (the kernel's reason for this pass).
	 */
	for (i = 0; i < count; i++) {
		entries[i].waiter = &waiter;
		entries[i].point = points ? points[i] : 0;
		CDS_INIT_LIST_HEAD(&entries[i].node);
		if (resolve_point(sim_syncobj_fence_get(syncobjs[i]), entries[i].point, &fence)) {
			if (flags & FOR_SUBMIT_FLAGS)
				continue;
			ret = -EINVAL;
			goto cleanup;
		}
		entries[i].fence = fence;
		if ((flags & SIM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE) || dma_fence_is_signaled(fence)) {
			if (signaled_count == 0)
				*first = i;
			signaled_count++;
		}
	}
	if (signaled_count == count ||
	    (signaled_count > 0 && !(flags & SIM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL))) {
		ret = 0;
		goto cleanup;
	}

	if (flags & FOR_SUBMIT_FLAGS) {
		for (i = 0; i < count; i++)
			entry_add_wait(syncobjs[i], &entries[i]);
	}

	for (;;) {
		uint64_t seen = waiter_events(&waiter);

		signaled_count = 0;
		for (i = 0; i < count; i++) {
			fence = entry_fence(&entries[i]);
			if (!fence || !entry_done(&entries[i], fence, flags))
				continue;
			if (!(flags & SIM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL)) {
				*first = i;
				ret = 0;
				goto cleanup;
			}
			signaled_count++;
		}
		if (signaled_count == count) {
			ret = 0;
			goto cleanup;
		}
		if (expired) {
			ret = -ETIME;
			goto cleanup;
		}
		expired = !waiter_sleep(&waiter, seen, timeout_nsec);
	}

cleanup:
	for (i = 0; i < count; i++) {
		entry_remove_wait(syncobjs[i], &entries[i]);
		fence = entry_fence(&entries[i]);
		if (entries[i].cb_added)
			dma_fence_remove_callback(fence, &entries[i].fence_cb);
		dma_fence_put(fence);
	}
	resv_free(entries, (size_t)count * sizeof(*entries));
	waiter_destroy(&waiter);
	return ret;
}

int sim_syncobj_table_timeline_wait(struct sim_syncobj_table *table, const uint32_t *handles,
				    const uint64_t *points, uint32_t count, int64_t timeout_nsec,
				    uint32_t flags, uint32_t *first_signaled)
{
	struct sim_syncobj **syncobjs;
	uint32_t first = UINT32_MAX;
	int ret;

	if (flags & ~ALL_WAIT_FLAGS)
		return -EINVAL;
	if (count == 0)
		return 0;
	ret = sim__syncobj_array_find(table, handles, count, &syncobjs);
	if (ret)
		return ret;
	ret = array_wait(syncobjs, points, count, flags, timeout_nsec, &first);
	sim__syncobj_array_free(syncobjs, count);
	if (!ret && first_signaled)
		*first_signaled = first;
	return ret;
}

int sim_syncobj_table_wait(struct sim_syncobj_table *table, const uint32_t *handles,
			   uint32_t count, int64_t timeout_nsec, uint32_t flags,
			   uint32_t *first_signaled)
{
	/* The binary ioctl has no WAIT_AVAILABLE and waits for point 0. */
	if (flags & SIM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE)
		return -EINVAL;
	return sim_syncobj_table_timeline_wait(table, handles, NULL, count, timeout_nsec, flags,
					       first_signaled);
}
