/* SPDX-License-Identifier: MIT */
/*
 * The allocation wrapper: fault injection, counters and the backend.
 *
 * With RESV_WITH_JEMALLOC the library allocates from a private jemalloc
 * arena, so its footprint can be read apart from the application's
 * (stats.arenas.<i>.{small,large}.allocated) and sized frees (sdallocx) skip
 * the size lookup. Without it, libc's malloc is used.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <resv/alloc.h>

#include "internal/alloc.h"
#include "internal/lockdep.h"

#ifdef RESV_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

static struct {
	uint64_t allocations;
	uint64_t frees;
	uint64_t live_bytes;
	uint64_t injected_failures;
	unsigned long fail_countdown;	/* 0 = disarmed */
	uint32_t fail_per_million;	/* 0 = disarmed */
	uint64_t fail_rng;		/* splitmix64 counter */
} alloc_state;

void resv_alloc_fail_nth(unsigned long n)
{
	resv_store_relaxed(&alloc_state.fail_countdown, n);
}

void resv_alloc_fail_every(uint32_t per_million, uint64_t seed)
{
	resv_store_relaxed(&alloc_state.fail_rng, seed);
	resv_store_relaxed(&alloc_state.fail_per_million, per_million);
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* One relaxed load when injection is off: the common case stays cheap. */
static bool inject_failure(void)
{
	unsigned long n = resv_load_relaxed(&alloc_state.fail_countdown);
	uint32_t ppm = resv_load_relaxed(&alloc_state.fail_per_million);

	while (n) {
		/* Only one allocation may take the countdown from 1 to 0. */
		if (__atomic_compare_exchange_n(&alloc_state.fail_countdown, &n, n - 1, false,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			if (n == 1)
				goto fail;
			break;
		}
	}
	if (ppm) {
		uint64_t x = __atomic_fetch_add(&alloc_state.fail_rng, 1, __ATOMIC_RELAXED);

		if (splitmix64(x) % 1000000u < ppm)
			goto fail;
	}
	return false;
fail:
	resv_add_relaxed(&alloc_state.injected_failures, 1);
	return true;
}

#ifdef RESV_WITH_JEMALLOC
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;
static unsigned arena_index;
static int arena_flags;		/* MALLOCX_ARENA(...) or 0 if creation failed */

static void arena_create(void)
{
	size_t len = sizeof(arena_index);

	if (mallctl("arenas.create", &arena_index, &len, NULL, 0) == 0)
		arena_flags = MALLOCX_ARENA(arena_index) | MALLOCX_TCACHE_NONE;
}

static void *backend_alloc(size_t size, bool zero)
{
	pthread_once(&arena_once, arena_create);
	return mallocx(size ? size : 1, arena_flags | (zero ? MALLOCX_ZERO : 0));
}

static void backend_free(void *ptr, size_t size)
{
	sdallocx(ptr, size ? size : 1, arena_flags);
}

static uint64_t backend_allocated(void)
{
	uint64_t epoch = 1;
	size_t small = 0, large = 0, len = sizeof(size_t);
	char name[64];

	pthread_once(&arena_once, arena_create);
	if (!arena_flags)
		return 0;
	mallctl("epoch", &epoch, &(size_t){ sizeof(epoch) }, &epoch, sizeof(epoch));
	snprintf(name, sizeof(name), "stats.arenas.%u.small.allocated", arena_index);
	mallctl(name, &small, &len, NULL, 0);
	len = sizeof(size_t);
	snprintf(name, sizeof(name), "stats.arenas.%u.large.allocated", arena_index);
	mallctl(name, &large, &len, NULL, 0);
	return small + large;
}
#define BACKEND_NAME "jemalloc"
#else
static void *backend_alloc(size_t size, bool zero)
{
	return zero ? calloc(1, size ? size : 1) : malloc(size ? size : 1);
}

static void backend_free(void *ptr, size_t size)
{
	free(ptr);
}

static uint64_t backend_allocated(void)
{
	return resv_load_relaxed(&alloc_state.live_bytes);
}
#define BACKEND_NAME "libc"
#endif

/*
 * @ip: the caller of the allocation function, for the lock validator's
 * reports (an allocation in a signalling section, or under a lock that
 * reclaim takes).
 */
static inline void *do_alloc(size_t size, bool zero, void *ip)
{
	void *ptr;

	resv_lockdep_might_alloc(ip);
	if (unlikely(inject_failure()))
		return NULL;
	ptr = backend_alloc(size, zero);
	if (!ptr)
		return NULL;
	resv_add_relaxed(&alloc_state.allocations, 1);
	resv_add_relaxed(&alloc_state.live_bytes, size);
	return ptr;
}

void *resv__malloc(size_t size)
{
	return do_alloc(size, false, RESV_LOCKDEP_IP());
}

void *resv__zalloc(size_t size)
{
	return do_alloc(size, true, RESV_LOCKDEP_IP());
}

void resv__free(void *ptr, size_t size)
{
	if (!ptr)
		return;
	if (RESV_DEBUG_BUILD)
		memset(ptr, 0x6b, size);	/* poison: use-after-free reads garbage */
	resv_add_relaxed(&alloc_state.frees, 1);
	resv_add_relaxed(&alloc_state.live_bytes, -(uint64_t)size);
	backend_free(ptr, size);
}

void *resv_malloc(size_t size)
{
	return do_alloc(size, false, RESV_LOCKDEP_IP());
}

void *resv_zalloc(size_t size)
{
	return do_alloc(size, true, RESV_LOCKDEP_IP());
}

void resv_free(void *ptr, size_t size)
{
	resv__free(ptr, size);
}

void resv_alloc_get_stats(struct resv_alloc_stats *stats)
{
	stats->allocations = resv_load_relaxed(&alloc_state.allocations);
	stats->frees = resv_load_relaxed(&alloc_state.frees);
	stats->live_bytes = resv_load_relaxed(&alloc_state.live_bytes);
	stats->injected_failures = resv_load_relaxed(&alloc_state.injected_failures);
	stats->backend = BACKEND_NAME;
	stats->backend_allocated = backend_allocated();
}
