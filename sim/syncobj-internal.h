/* SPDX-License-Identifier: MIT */
/*
 * What sim/syncobj*.c share: the syncobj's layout, the wait entry that a
 * waiter for submission parks on a syncobj (the kernel's
 * syncobj_wait_entry) and the per-call waiter it wakes.
 *
 * Lock order: syncobj->lock -> (fence locks, taken by the chain walks)
 * -> waiter->lock. Fence callbacks take waiter->lock with a fence lock
 * held. A waiter never holds waiter->lock while taking another lock.
 */
#ifndef SIM_SYNCOBJ_INTERNAL_H
#define SIM_SYNCOBJ_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <urcu/list.h>

#include <resv/dma-fence.h>

#include <sim/syncobj.h>

struct sim_syncobj {
	unsigned int ref;		/* atomic */
	pthread_mutex_t lock;		/* fence, waiters */
	struct dma_fence *fence;	/* a reference, or NULL */
	struct cds_list_head waiters;	/* struct sim_syncobj_wait_entry.node */
};

/* One sleeping thread: woken by fence callbacks and fence installations. */
struct sim_syncobj_waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* CLOCK_MONOTONIC */
	uint64_t events;		/* bumped on every wake-up; lock */
};

/*
 * One syncobj of one wait. @fence is written once, under the syncobj's
 * lock (by the waiter itself or by whoever installs a fence), and read by
 * the waiter without it: hence atomic.
 */
struct sim_syncobj_wait_entry {
	struct cds_list_head node;	/* syncobj->waiters, syncobj lock */
	bool queued;			/* on syncobj->waiters; syncobj lock */
	struct sim_syncobj_waiter *waiter;
	struct dma_fence *fence;	/* atomic; a reference once set */
	struct dma_fence_cb fence_cb;
	bool cb_added;			/* fence_cb is (or was) on fence */
	uint64_t point;
};

/* Lookup of @count handles, with references; -EFAULT, -ENOENT, -ENOMEM. */
int sim__syncobj_array_find(struct sim_syncobj_table *table, const uint32_t *handles,
			    uint32_t count, struct sim_syncobj ***out);
void sim__syncobj_array_free(struct sim_syncobj **syncobjs, uint32_t count);

/* Called with syncobj->lock held after the fence changed: wake entries. */
void sim__syncobj_wake_waiters_locked(struct sim_syncobj *syncobj);

/* drm_syncobj_find_fence() on a table handle with a submit timeout. */
int sim__syncobj_table_find_fence(struct sim_syncobj_table *table, uint32_t handle,
				  uint64_t point, uint32_t flags, int64_t timeout_ns,
				  struct dma_fence **fence);

/* CLOCK_MONOTONIC now, in ns. */
int64_t sim__syncobj_now_ns(void);

#endif /* SIM_SYNCOBJ_INTERNAL_H */
