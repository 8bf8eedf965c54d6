/* SPDX-License-Identifier: MIT */
/**
 * DOC: per-thread state and interrupts
 *
 * The kernel's "interruptible" waits end when a signal is pending for the
 * task. libresv's counterpart is an explicit per-thread interrupt: another
 * thread calls resv_thread_interrupt() on the waiter's handle and every
 * interruptible wait of that thread, in progress or later, returns -EINTR
 * until the thread clears the interrupt (as returning to userspace would
 * deliver the signal)::
 *
 *	// waiter thread
 *	struct resv_thread *self = resv_thread_self();
 *	publish(self);
 *	ret = ww_mutex_lock_interruptible(&obj->lock, &ctx);
 *	if (ret == -EINTR) {
 *		unwind();
 *		resv_thread_clear_interrupt();
 *	}
 *
 *	// another thread
 *	resv_thread_interrupt(waiter_handle);
 *
 * Uninterruptible waits ignore the interrupt.
 */
#ifndef RESV_THREAD_H
#define RESV_THREAD_H

#include <stdbool.h>

#include <resv/compiler.h>

#ifdef __cplusplus
extern "C" {
#endif

struct resv_thread;

/**
 * resv_thread_self() - the calling thread's handle
 *
 * The handle stays valid until the thread exits; the caller of
 * resv_thread_interrupt() must make sure the target has not exited (e.g. by
 * interrupting before pthread_join()).
 *
 * Context: any thread.
 * Return: the handle, never NULL.
 */
RESV_EXPORT struct resv_thread *resv_thread_self(void);

/**
 * resv_thread_interrupt() - interrupt a thread's interruptible waits
 * @thread: a handle from resv_thread_self() of a live thread
 *
 * Sets the thread's interrupt and wakes it if it sleeps in an interruptible
 * libresv wait, which then returns -EINTR. The interrupt stays pending until
 * the thread calls resv_thread_clear_interrupt().
 *
 * Context: any thread; does not block on libresv locks.
 */
RESV_EXPORT void resv_thread_interrupt(struct resv_thread *thread);

/**
 * resv_thread_clear_interrupt() - clear the calling thread's interrupt
 *
 * Context: any thread.
 * Return: true when an interrupt was pending.
 */
RESV_EXPORT bool resv_thread_clear_interrupt(void);

/**
 * resv_thread_interrupt_pending() - is the calling thread interrupted
 *
 * Context: any thread.
 * Return: true while an interrupt is pending for the calling thread.
 */
RESV_EXPORT bool resv_thread_interrupt_pending(void);

#ifdef __cplusplus
}
#endif

#endif /* RESV_THREAD_H */
