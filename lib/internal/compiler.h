/* SPDX-License-Identifier: MIT */
/*
 * Private helpers shared by the lib/ sources: branch hints, atomics and debug checks.
 * Never installed.
 */
#ifndef RESV_INTERNAL_COMPILER_H
#define RESV_INTERNAL_COMPILER_H

#include <resv/compiler.h>

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Hidden cross-file helpers are named resv__name() and carry this. */
#define RESV_INTERNAL __attribute__((visibility("hidden")))

/* RESV_TSAN: built with ThreadSanitizer (GCC and clang spell it differently). */
#if defined(__SANITIZE_THREAD__)
#define RESV_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RESV_TSAN 1
#endif
#endif

/*
 * Atomics: the GCC/Clang builtins, spelled out so every access shows its
 * ordering. ThreadSanitizer understands them natively.
 */
#define resv_load_relaxed(p)     __atomic_load_n((p), __ATOMIC_RELAXED)
#define resv_load_acquire(p)     __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define resv_store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define resv_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define resv_add_relaxed(p, v)   __atomic_add_fetch((p), (v), __ATOMIC_RELAXED)
#define resv_cas_acq_rel(p, expected, desired) \
	__atomic_compare_exchange_n((p), (expected), (desired), false, \
				    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)

/* Tell the CPU we are spinning (saves power, frees the sibling hyperthread). */
static inline void resv_cpu_relax(void)
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
 * RESV_DEBUG_ON(): true only in debug builds, but the condition is still
 * type-checked in release builds (where the compiler drops it).
 */
#ifdef RESV_DEBUG
#define RESV_DEBUG_BUILD 1
#else
#define RESV_DEBUG_BUILD 0
#endif
#define RESV_DEBUG_ON(cond) (RESV_DEBUG_BUILD && unlikely(cond))

#endif /* RESV_INTERNAL_COMPILER_H */
