/* SPDX-License-Identifier: MIT */
/* Busy-wait helpers shared by the spinlock and the fence code. */
#ifndef RESV_INTERNAL_SPINLOCK_H
#define RESV_INTERNAL_SPINLOCK_H

#include <resv/spinlock.h>

#include "internal/compiler.h"

/* One polite iteration of a busy-wait loop. */
static inline void resv__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/*
 * Deferred work, the kernel's irq_work: run @func(@work) once the calling
 * thread holds no resv_spinlock — at once if it holds none, else right
 * after its last resv_spin_unlock(). Queued work runs in FIFO order on the
 * queuing thread, never nested inside other queued work (which turns
 * cascades of container signalling into a loop). @work must not be queued
 * twice at the same time.
 */
RESV_INTERNAL void resv__irq_work_queue(struct resv_irq_work *work,
					void (*func)(struct resv_irq_work *work));

#endif /* RESV_INTERNAL_SPINLOCK_H */
