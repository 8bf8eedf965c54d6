/* SPDX-License-Identifier: MIT */
/*
 * Per-thread parking and interrupts (see internal/thread.h for the design).
 *
 * The state lives in static thread-local storage with constant initialisers,
 * so a thread's first lock never allocates and never fails.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "internal/thread.h"

/* initial-exec: no __tls_get_addr call on the lock paths of the shared library */
__thread struct resv_thread resv__self __attribute__((tls_model("initial-exec"))) = {
	.park_lock = PTHREAD_MUTEX_INITIALIZER,
	.park_cond = PTHREAD_COND_INITIALIZER,
	.woken = false,
	.interrupted = 0,
};

struct resv_thread *resv_thread_self(void)
{
	return &resv__self;
}

void resv__thread_park(struct resv_thread *self, bool interruptible)
{
	pthread_mutex_lock(&self->park_lock);
	while (!self->woken && !(interruptible && self->interrupted))
		pthread_cond_wait(&self->park_cond, &self->park_lock);
	/* Consume the wake-up; the caller re-checks why it was woken. */
	self->woken = false;
	pthread_mutex_unlock(&self->park_lock);
}

bool resv__thread_park_until(struct resv_thread *self, bool interruptible, int64_t deadline_ns)
{
	struct timespec abstime = {
		.tv_sec = deadline_ns / 1000000000,
		.tv_nsec = deadline_ns % 1000000000,
	};
	bool timed_out = false;

	pthread_mutex_lock(&self->park_lock);
	while (!self->woken && !(interruptible && self->interrupted)) {
		/* CLOCK_MONOTONIC without a condattr: the cond is statically initialised. */
		if (pthread_cond_clockwait(&self->park_cond, &self->park_lock, CLOCK_MONOTONIC,
					   &abstime) == ETIMEDOUT) {
			timed_out = !self->woken && !(interruptible && self->interrupted);
			break;
		}
	}
	self->woken = false;
	pthread_mutex_unlock(&self->park_lock);
	return !timed_out;
}

void resv__thread_wake(struct resv_thread *thread)
{
	pthread_mutex_lock(&thread->park_lock);
	thread->woken = true;
	pthread_cond_signal(&thread->park_cond);
	pthread_mutex_unlock(&thread->park_lock);
}

void resv_thread_interrupt(struct resv_thread *thread)
{
	pthread_mutex_lock(&thread->park_lock);
	resv_store_release(&thread->interrupted, 1);
	pthread_cond_signal(&thread->park_cond);
	pthread_mutex_unlock(&thread->park_lock);
}

bool resv_thread_clear_interrupt(void)
{
	struct resv_thread *self = &resv__self;
	bool was;

	pthread_mutex_lock(&self->park_lock);
	was = self->interrupted != 0;
	resv_store_relaxed(&self->interrupted, 0);
	pthread_mutex_unlock(&self->park_lock);
	return was;
}

bool resv_thread_interrupt_pending(void)
{
	return resv__thread_interrupted(&resv__self);
}
