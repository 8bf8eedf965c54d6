/* SPDX-License-Identifier: MIT */
/**
 * DOC: the library's allocator, fault injection and memory statistics
 *
 * Every allocation libresv makes goes through one wrapper. Behind it is a
 * private jemalloc arena when the library was built with RESV_WITH_JEMALLOC,
 * otherwise the C library's malloc.
 *
 * Tests make the wrapper fail on purpose to prove that every allocation site
 * unwinds cleanly (returns -ENOMEM, holds no lock, leaks nothing)::
 *
 *	for (unsigned long n = 1;; n++) {
 *		resv_alloc_fail_nth(n);
 *		int ret = operation_under_test();
 *		resv_alloc_fail_nth(0);
 *		if (ret == 0)
 *			break;            // n exceeded the number of allocations
 *		assert(ret == -ENOMEM);
 *		assert_state_unchanged();
 *	}
 */
#ifndef RESV_ALLOC_H
#define RESV_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <resv/compiler.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct resv_alloc_stats - allocation counters of the library
 * @allocations: successful allocations since start
 * @frees: frees since start
 * @live_bytes: bytes currently allocated through the wrapper
 * @injected_failures: allocations failed by fault injection
 * @backend: "jemalloc" or "libc"
 * @backend_allocated: bytes the backend reports as allocated in the
 *	library's arena (jemalloc ``stats.allocated`` for the arena after an
 *	epoch refresh); equal to @live_bytes with the libc backend
 */
struct resv_alloc_stats {
	uint64_t allocations;
	uint64_t frees;
	uint64_t live_bytes;
	uint64_t injected_failures;
	const char *backend;
	uint64_t backend_allocated;
};

/**
 * resv_alloc_fail_nth() - fail one future allocation
 * @n: fail the n-th allocation from now (1 = the very next one); 0 disarms
 *
 * Counting is process-wide, across threads. After the failure the injection
 * disarms itself.
 *
 * Context: any thread.
 */
RESV_EXPORT void resv_alloc_fail_nth(unsigned long n);

/**
 * resv_alloc_fail_every() - fail allocations at random
 * @per_million: probability of each allocation failing, in parts per million;
 *	0 disarms
 * @seed: seed of the deterministic sequence of decisions
 *
 * Context: any thread.
 */
RESV_EXPORT void resv_alloc_fail_every(uint32_t per_million, uint64_t seed);

/**
 * resv_malloc() - allocate through the library's wrapper
 * @size: bytes wanted (0 gives a unique non-NULL pointer)
 *
 * For drivers and the simulator built on libresv: their allocations then
 * share the library's fault injection (resv_alloc_fail_nth()), statistics
 * and, in builds with the lock validator, its checks (no allocation inside a
 * fence signalling section or under a reclaim-tainted lock).
 *
 * Context: any thread.
 * Return: the memory, or NULL on (possibly injected) failure.
 */
RESV_EXPORT RESV_MUST_CHECK void *resv_malloc(size_t size);

/**
 * resv_zalloc() - as resv_malloc(), zero-filled
 * @size: bytes wanted
 *
 * Context: any thread.
 * Return: the memory, or NULL on (possibly injected) failure.
 */
RESV_EXPORT RESV_MUST_CHECK void *resv_zalloc(size_t size);

/**
 * resv_free() - free memory from resv_malloc() / resv_zalloc()
 * @ptr: the memory, or NULL (nothing done)
 * @size: the size passed when allocating (sized free)
 *
 * Context: any thread.
 */
RESV_EXPORT void resv_free(void *ptr, size_t size);

/**
 * resv_alloc_get_stats() - read the allocation counters
 * @stats: filled in
 *
 * Context: any thread.
 */
RESV_EXPORT void resv_alloc_get_stats(struct resv_alloc_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* RESV_ALLOC_H */
