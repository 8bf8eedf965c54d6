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

#endif /* RESV_INTERNAL_SPINLOCK_H */
