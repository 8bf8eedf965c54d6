/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * Read-copy-update for libresv's lock-free readers and deferred frees,
 * backed by liburcu's *urcu-bp* flavour: threads need no registration, any
 * thread may enter a read-side section at any time.
 *
 * Fences are freed only after a grace period, so a reader that found a
 * fence pointer inside a read-side section may still look at it and try to
 * take a reference (dma_fence_get_rcu()), even if the last reference is
 * dropped concurrently::
 *
 *	struct dma_fence *f;
 *
 *	resv_rcu_read_lock();
 *	f = dma_fence_get_rcu_safe(&obj->fence);    // NULL, or a reference
 *	resv_rcu_read_unlock();
 *	if (f) {
 *		dma_fence_wait(f, false);
 *		dma_fence_put(f);
 *	}
 *
 * At teardown, after the last dma_fence_put(), call resv_rcu_barrier(): it
 * returns once every deferred free queued so far has run, so leak checkers
 * and allocation statistics see no pending memory.
 *
 * Programs that use liburcu themselves must use the same flavour
 * (``urcu_bp_*``) for objects they share with libresv.
 */
#ifndef RESV_RCU_H
#define RESV_RCU_H

#include <resv/compiler.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct resv_rcu_head - storage for one deferred call, to embed in objects
 * @resv_urcu: liburcu's &struct rcu_head lives here; private
 * @func: the function resv_call_rcu() will call; private
 *
 * Layout-compatible storage instead of liburcu's own type because
 * <urcu/call-rcu.h> cannot be included before a program's own choice of
 * liburcu flavour without breaking that flavour's call_rcu() mapping.
 */
struct resv_rcu_head {
	void *resv_urcu[2];
	void (*func)(struct resv_rcu_head *head);
};

/**
 * resv_rcu_read_lock() - enter an RCU read-side section
 *
 * Sections nest. Objects libresv frees through RCU (fences) stay readable
 * until the matching resv_rcu_read_unlock().
 *
 * Context: any thread; must not sleep for long inside the section (it
 * delays every deferred free).
 */
RESV_EXPORT void resv_rcu_read_lock(void);

/**
 * resv_rcu_read_unlock() - leave an RCU read-side section
 *
 * Context: inside a section entered by resv_rcu_read_lock().
 */
RESV_EXPORT void resv_rcu_read_unlock(void);

/**
 * resv_synchronize_rcu() - wait for a grace period
 *
 * Returns once every read-side section that was in progress at the call
 * has ended.
 *
 * Context: may sleep; must not be called inside a read-side section.
 */
RESV_EXPORT void resv_synchronize_rcu(void);

/**
 * resv_call_rcu() - call a function after a grace period
 * @head: storage embedded in the object, untouched until @func runs
 * @func: called on an internal worker thread with @head, after every
 *	read-side section in progress at the call has ended; typically frees
 *	the object that embeds @head
 *
 * Context: any, also inside a read-side section. Never fails.
 */
RESV_EXPORT void resv_call_rcu(struct resv_rcu_head *head,
			       void (*func)(struct resv_rcu_head *head));

/**
 * resv_rcu_barrier() - wait until no deferred call is pending
 *
 * The teardown call: after the last dma_fence_put() of a program (or of a
 * test), resv_rcu_barrier() makes sure the fences' memory has been freed.
 * It waits for every function queued with resv_call_rcu(), including ones
 * queued by those functions while it waits (a chain node freeing its
 * predecessor), so it returns only when the library has nothing deferred.
 *
 * Context: may sleep; must not be called inside a read-side section or from
 * a function queued with resv_call_rcu().
 */
RESV_EXPORT void resv_rcu_barrier(void);

#ifdef __cplusplus
}
#endif

#endif /* RESV_RCU_H */
