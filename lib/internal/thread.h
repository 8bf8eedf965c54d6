/* SPDX-License-Identifier: MIT */
/*
 * Per-thread state: a parking place for the slow paths of libresv's sleeping
 * locks and waits, and the thread's interrupt flag.
 *
 * A sleeper parks on its *own* thread's condition variable rather than on the
 * lock's, so that anyone who must wake it (an unlocker handing a lock over, a
 * Wound-Wait wounder, resv_thread_interrupt()) can do so while holding
 * whatever lock it holds: lock order is "any wait_lock -> park_lock", and no
 * path takes a wait_lock while holding a park_lock.
 */
#ifndef RESV_INTERNAL_THREAD_H
#define RESV_INTERNAL_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <resv/thread.h>

#include "internal/compiler.h"

/* Acquire contexts a thread remembers as its own; more are still correct. */
#define RESV_THREAD_ACTIVE_CTX 8

struct resv_thread {
	pthread_mutex_t park_lock;
	pthread_cond_t park_cond;
	bool woken;		/* under park_lock: a wake-up is pending */
	int interrupted;	/* atomic; written under park_lock */
	/*
	 * This thread's live acquire contexts (between ww_acquire_init() and
	 * _fini()), so "is this lock mine?" compares pointers instead of
	 * reading a context that may be another thread's, possibly already
	 * gone. Owner thread only.
	 */
	struct ww_acquire_ctx *active_ctx[RESV_THREAD_ACTIVE_CTX];
	unsigned int num_active_ctx;
	unsigned int active_ctx_overflow;	/* live contexts not in the array */
};

/* The calling thread's state; hidden, so lib/ reaches it without the PLT. */
RESV_INTERNAL extern __thread struct resv_thread resv__self
	__attribute__((tls_model("initial-exec")));

static inline struct resv_thread *resv__thread_self(void)
{
	return &resv__self;
}

/*
 * Sleep until resv__thread_wake() targets @self (or, if @interruptible, until
 * the thread is interrupted). A wake-up that arrived before the call is not
 * lost: it makes this call return at once. Spurious returns are allowed;
 * callers re-check their condition.
 */
RESV_INTERNAL void resv__thread_park(struct resv_thread *self, bool interruptible);

/*
 * As resv__thread_park(), but also returns once CLOCK_MONOTONIC reaches
 * @deadline_ns (resv__now_ns() time base). Returns false on timeout.
 */
RESV_INTERNAL bool resv__thread_park_until(struct resv_thread *self, bool interruptible,
					   int64_t deadline_ns);

/* Wake @thread if it is parked, or make its next park return at once. */
RESV_INTERNAL void resv__thread_wake(struct resv_thread *thread);

static inline bool resv__thread_interrupted(const struct resv_thread *thread)
{
	return resv_load_acquire(&thread->interrupted) != 0;
}

#endif /* RESV_INTERNAL_THREAD_H */
