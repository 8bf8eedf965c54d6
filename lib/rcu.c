/* SPDX-License-Identifier: MIT */
/*
 * RCU for libresv: a thin layer over liburcu's urcu-bp flavour ("bulletproof":
 * readers need no thread registration, which a library cannot demand of its
 * callers' threads).
 *
 * ThreadSanitizer cannot see liburcu's synchronisation (it is not
 * instrumented and uses inline-asm atomics), so in TSan builds we add the
 * happens-before edges RCU guarantees, with atomics it does understand:
 * - resv_call_rcu() stores @func with release, the trampoline loads it with
 *   acquire: everything the queuing thread did (e.g. the last
 *   dma_fence_put() and what came before it) happens before the callback;
 * - every read-side unlock releases a global counter and the trampoline
 *   acquires it: a reader's accesses happen before the free that waited for
 *   its grace period.
 * Outside TSan builds the counter is compiled out.
 */
#include <stddef.h>
#include <time.h>

#include "internal/compiler.h"	/* RESV_TSAN, before liburcu */

/*
 * liburcu's _LGPL_SOURCE inline read-side fast paths save two calls per
 * read-side section, except in sanitizer builds, which get its out-of-line
 * functions: the inline read lock trips UBSan's alignment check (liburcu-bp
 * allocates its per-thread reader records with less than their declared
 * 128-byte alignment), and compiled into our objects it would be
 * instrumented by ThreadSanitizer, which cannot see liburcu's protocol.
 */
#if defined(RESV_UBSAN) || defined(RESV_TSAN)
#undef _LGPL_SOURCE
#elif !defined(_LGPL_SOURCE)
#define _LGPL_SOURCE
#endif
#include <urcu/urcu-bp.h>	/* before any other urcu header: flavour mapping */

#include <resv/rcu.h>

_Static_assert(sizeof(struct rcu_head) <= sizeof(((struct resv_rcu_head *)0)->resv_urcu),
	       "struct resv_rcu_head too small for liburcu's rcu_head");
_Static_assert(offsetof(struct resv_rcu_head, resv_urcu) == 0,
	       "the liburcu head must be at offset 0");
_Static_assert(_Alignof(struct rcu_head) <= _Alignof(struct resv_rcu_head),
	       "struct resv_rcu_head under-aligned");

#ifdef RESV_TSAN
static unsigned long tsan_reader_sync;
#endif

void resv_rcu_read_lock(void)
{
	urcu_bp_read_lock();
}

void resv_rcu_read_unlock(void)
{
#ifdef RESV_TSAN
	__atomic_fetch_add(&tsan_reader_sync, 1, __ATOMIC_RELEASE);
#endif
	urcu_bp_read_unlock();
}

void resv_synchronize_rcu(void)
{
	urcu_bp_synchronize_rcu();
}

/*
 * Callbacks queued and not yet finished. resv_rcu_barrier() waits for it to
 * reach zero instead of calling urcu_bp_barrier(): that one hands a
 * malloc'd completion to liburcu's worker threads through uninstrumented
 * code, which ThreadSanitizer reports as a race inside liburcu. Counting is
 * also a stronger guarantee: callbacks queued by callbacks (a chain node
 * freeing its predecessor) are waited for too.
 */
static unsigned long rcu_pending;

static void call_rcu_trampoline(struct rcu_head *urcu_head)
{
	struct resv_rcu_head *head = (struct resv_rcu_head *)(void *)urcu_head;
	void (*func)(struct resv_rcu_head *) = __atomic_load_n(&head->func, __ATOMIC_ACQUIRE);

#ifdef RESV_TSAN
	(void)__atomic_load_n(&tsan_reader_sync, __ATOMIC_ACQUIRE);
#endif
	func(head);
	/* Release: what the callback did happens before the barrier returns. */
	__atomic_sub_fetch(&rcu_pending, 1, __ATOMIC_RELEASE);
}

void resv_call_rcu(struct resv_rcu_head *head, void (*func)(struct resv_rcu_head *head))
{
	__atomic_add_fetch(&rcu_pending, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&head->func, func, __ATOMIC_RELEASE);
	urcu_bp_call_rcu((struct rcu_head *)(void *)head->resv_urcu, call_rcu_trampoline);
}

void resv_rcu_barrier(void)
{
	const struct timespec pause = { .tv_nsec = 50 * 1000 };

	/* A teardown call, not a hot path: polling keeps the callbacks lock-free. */
	while (__atomic_load_n(&rcu_pending, __ATOMIC_ACQUIRE))
		nanosleep(&pause, NULL);
}
