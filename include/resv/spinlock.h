/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * A small busy-waiting lock, the userspace stand-in for the kernel's
 * ``spinlock_t``. It is what dma_fence_init() takes as the fence lock, and
 * what the container and list code of libresv uses for short critical
 * sections that must not sleep.
 *
 * The lock word records the holder (its resv_thread_self() handle), so
 * "is this lock held by me" is exact; the functions that require the fence
 * lock (dma_fence_signal_locked() and friends) check it in debug builds::
 *
 *	static struct resv_spinlock lock = RESV_SPINLOCK_INITIALIZER;
 *
 *	resv_spin_lock(&lock);
 *	counter++;                      // short, never sleeps
 *	resv_spin_unlock(&lock);
 *
 * Unlike the kernel's, the lock does not disable preemption (userspace
 * cannot), so a waiter that spins for long yields the CPU to let a
 * preempted holder finish. It is not recursive: taking it twice in one
 * thread deadlocks (debug builds abort with a message instead).
 *
 * A thread's last resv_spin_unlock() also runs the deferred work
 * (&struct resv_irq_work) that fence callbacks queued while it held
 * spinlocks: the counterpart of the kernel running irq_work once
 * interrupts are enabled again.
 */
#ifndef RESV_SPINLOCK_H
#define RESV_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include <resv/compiler.h>

#ifdef __cplusplus
extern "C" {
#endif

struct resv_lockdep_class_key;

/**
 * struct resv_spinlock - a busy-waiting lock
 * @owner: 0 when free, else the holder's &struct resv_thread handle; private
 * @lockdep_key: the lock validator's class key (<resv/lockdep.h>), or NULL
 *	for the shared class "resv_spinlock", whose locks may nest in any order;
 *	set by resv_spin_lock_init_key()
 */
struct resv_spinlock {
	uintptr_t owner;
	const struct resv_lockdep_class_key *lockdep_key;
};

/** RESV_SPINLOCK_INITIALIZER - static initialiser of a free &struct resv_spinlock */
#define RESV_SPINLOCK_INITIALIZER { .owner = 0, .lockdep_key = 0 }

/**
 * RESV_SPINLOCK_INITIALIZER_KEY - static initialiser with a lock class key
 * @key: pointer to a &struct resv_lockdep_class_key with static storage
 */
#define RESV_SPINLOCK_INITIALIZER_KEY(key) { .owner = 0, .lockdep_key = (key) }

/**
 * struct resv_irq_work - work deferred until a thread holds no spinlock
 * @next: queue link; private
 * @func: the function to run; private
 *
 * The userspace stand-in for the kernel's ``struct irq_work``, embedded in
 * objects such as &struct dma_fence_array and &struct dma_fence_chain.
 * Fence callbacks run with the signalled fence's lock held; work they queue
 * (signalling a container, re-arming a callback on another fence) runs
 * when the queuing thread releases its last &struct resv_spinlock (at once
 * if it holds none), in queue order and never nested, so it may take any
 * fence lock. The queue is per thread; the fields are private to libresv.
 */
struct resv_irq_work {
	struct resv_irq_work *next;
	void (*func)(struct resv_irq_work *work);
};

/**
 * resv_spin_lock_init() - initialise a lock as free
 * @lock: the lock
 *
 * Context: any; @lock must not be in use.
 */
RESV_EXPORT void resv_spin_lock_init(struct resv_spinlock *lock);

/**
 * resv_spin_lock_init_key() - initialise a lock as free, in a lock class
 * @lock: the lock
 * @key: the lock validator's class key (static storage), or NULL for the
 *	shared class "resv_spinlock"
 *
 * Locks of one key form one class for the lock validator (<resv/lockdep.h>):
 * their order against other classes is checked, and holding two of them at
 * once is reported as recursive locking. Locks in the shared class are
 * ordered as one lock and may nest in any order.
 *
 * Context: any; @lock must not be in use.
 */
RESV_EXPORT void resv_spin_lock_init_key(struct resv_spinlock *lock,
					 const struct resv_lockdep_class_key *key);

/**
 * resv_spin_lock() - acquire a lock, spinning while it is held
 * @lock: the lock
 *
 * Context: any thread that does not hold @lock. Does not sleep, but yields
 * the CPU while spinning for long.
 */
RESV_EXPORT void resv_spin_lock(struct resv_spinlock *lock);

/**
 * resv_spin_trylock() - acquire a lock if it is free
 * @lock: the lock
 *
 * Context: any.
 * Return: true when acquired, false when it is held (by anyone).
 */
RESV_EXPORT RESV_MUST_CHECK bool resv_spin_trylock(struct resv_spinlock *lock);

/**
 * resv_spin_unlock() - release a lock
 * @lock: a lock the calling thread holds
 *
 * Debug builds report (RESV_REPORT_UNLOCK_NOT_HELD) an unlock by a thread
 * that does not hold @lock, and then leave the lock unchanged.
 *
 * Context: the holder.
 */
RESV_EXPORT void resv_spin_unlock(struct resv_spinlock *lock);

/**
 * resv_spin_is_locked() - is the lock held by anyone
 * @lock: the lock
 *
 * Context: any; the answer may be stale unless the caller holds @lock.
 * Return: true when held.
 */
RESV_EXPORT bool resv_spin_is_locked(const struct resv_spinlock *lock);

/**
 * resv_spin_held_by_self() - is the lock held by the calling thread
 * @lock: the lock
 *
 * Exact, for assertions ("this function requires the lock").
 *
 * Context: any.
 * Return: true when the calling thread holds @lock.
 */
RESV_EXPORT bool resv_spin_held_by_self(const struct resv_spinlock *lock);

#ifdef __cplusplus
}
#endif

#endif /* RESV_SPINLOCK_H */
