/* SPDX-License-Identifier: MIT */
/*
 * The busy-waiting lock behind dma_fence's lock pointer.
 *
 * Why our own test-and-test-and-set instead of pthread_spinlock_t:
 * - the lock word holds the owner's thread handle, so "held by me" is exact
 *   (the _locked fence functions assert it, and the lock validator will
 *   build on it); pthread_spinlock_t has no owner;
 * - a pthread spinlock never yields: on a loaded machine with a preempted
 *   holder its waiters burn whole time slices; we spin with a pause a
 *   little, then sched_yield();
 * - __atomic builtins with acquire/release are understood by
 *   ThreadSanitizer, so it sees the happens-before edges without
 *   annotations (it also understands pthread spinlocks, so that was not
 *   the deciding point).
 *
 * The lock also counts, per thread, how many spinlocks are held, so that
 * work deferred by fence callbacks (the kernel's irq_work: signalling a
 * fence array or chain, which takes other fence locks) runs right after
 * the thread's last unlock instead of under a fence lock.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include <resv/spinlock.h>

#include "internal/lockdep.h"
#include "internal/report.h"
#include "internal/spinlock.h"
#include "internal/thread.h"

#define SPINS_BEFORE_YIELD 128

/*
 * Per thread: how many resv_spinlocks it holds, and the work fence
 * callbacks deferred until it holds none (resv__irq_work_queue()).
 * initial-exec: no __tls_get_addr call on the lock fast path.
 */
#define THREAD_LOCAL static __thread __attribute__((tls_model("initial-exec")))
THREAD_LOCAL unsigned int spin_depth;
THREAD_LOCAL struct resv_irq_work *irq_work_head;
THREAD_LOCAL struct resv_irq_work **irq_work_tail;
THREAD_LOCAL bool irq_work_running;

/* Run the queue to empty; work queued meanwhile joins the same loop. */
static void irq_work_run(void)
{
	struct resv_irq_work *work;

	irq_work_running = true;
	while ((work = irq_work_head)) {
		irq_work_head = work->next;
		if (!irq_work_head)
			irq_work_tail = &irq_work_head;
		work->next = NULL;
		work->func(work);
	}
	irq_work_running = false;
}

void resv__irq_work_queue(struct resv_irq_work *work, void (*func)(struct resv_irq_work *work))
{
	work->func = func;
	work->next = NULL;
	if (!irq_work_head)
		irq_work_tail = &irq_work_head;
	*irq_work_tail = work;
	irq_work_tail = &work->next;
	if (!spin_depth && !irq_work_running)
		irq_work_run();
}

/* After releasing a lock: the last one lets deferred work run. */
static inline void spin_released(void)
{
	if (--spin_depth == 0 && unlikely(irq_work_head != NULL) && !irq_work_running)
		irq_work_run();
}

static inline uintptr_t self_word(void)
{
	return (uintptr_t)resv_thread_self();
}

void resv_spin_lock_init_key(struct resv_spinlock *lock,
			     const struct resv_lockdep_class_key *key)
{
	resv_store_relaxed(&lock->owner, 0);
	lock->lockdep_key = key;
	resv__tsan_create(lock);
}

void resv_spin_lock_init(struct resv_spinlock *lock)
{
	resv_spin_lock_init_key(lock, NULL);
}

bool resv_spin_trylock(struct resv_spinlock *lock)
{
	uintptr_t expected = 0;

	if (resv_load_relaxed(&lock->owner) != 0 ||
	    !__atomic_compare_exchange_n(&lock->owner, &expected, self_word(), false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;
	resv__tsan_locked(lock, RESV_TSAN_TRYLOCK);
	spin_depth++;
	resv_lockdep_spin_acquired(lock, true, RESV_LOCKDEP_IP());
	return true;
}

void resv_spin_lock(struct resv_spinlock *lock)
{
	uintptr_t me = self_word();
	unsigned int spins = 0;

	resv_lockdep_spin_prepare(lock, RESV_LOCKDEP_IP());
	for (;;) {
		uintptr_t expected = 0;

		if (__atomic_compare_exchange_n(&lock->owner, &expected, me, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			resv__tsan_locked(lock, 0);
			spin_depth++;
			resv_lockdep_spin_acquired(lock, false, RESV_LOCKDEP_IP());
			return;
		}
		if (RESV_DEBUG_ON(expected == me)) {
			fprintf(stderr, "libresv: BUG: resv_spin_lock(%p): recursive lock\n",
				(void *)lock);
			abort();
		}
		/* Test before the next test-and-set: spin on a shared cache line. */
		while (resv_load_relaxed(&lock->owner) != 0) {
			if (++spins < SPINS_BEFORE_YIELD) {
				resv__cpu_relax();
			} else {
				spins = 0;
				sched_yield();
			}
		}
	}
}

void resv_spin_unlock(struct resv_spinlock *lock)
{
	if (RESV_DEBUG_ON(resv_load_relaxed(&lock->owner) != self_word())) {
		resv__report(RESV_REPORT_UNLOCK_NOT_HELD, lock, NULL,
			     "resv_spin_unlock() of a spinlock this thread does not hold");
		return;
	}
	resv_lockdep_spin_release(lock);
	resv__tsan_unlocking(lock);
	resv_store_release(&lock->owner, 0);
	spin_released();
}

bool resv_spin_is_locked(const struct resv_spinlock *lock)
{
	return resv_load_relaxed(&lock->owner) != 0;
}

bool resv_spin_held_by_self(const struct resv_spinlock *lock)
{
	return resv_load_relaxed(&lock->owner) == self_word();
}
