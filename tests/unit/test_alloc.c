/* SPDX-License-Identifier: MIT */
/* The allocation wrapper: fault injection and counters. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <resv/alloc.h>

#include "internal/alloc.h"

static void test_alloc_counts_and_frees(void **state)
{
	struct resv_alloc_stats before, during, after;
	char *p;

	resv_alloc_get_stats(&before);
	p = resv__malloc(100);
	assert_non_null(p);
	memset(p, 1, 100);
	resv_alloc_get_stats(&during);
	assert_int_equal(during.allocations, before.allocations + 1);
	assert_int_equal(during.live_bytes, before.live_bytes + 100);
	assert_true(during.backend_allocated >= 100);
	resv__free(p, 100);
	resv_alloc_get_stats(&after);
	assert_int_equal(after.frees, before.frees + 1);
	assert_int_equal(after.live_bytes, before.live_bytes);
	resv__free(NULL, 0);	/* ignored */
	resv_alloc_get_stats(&after);
	assert_int_equal(after.frees, before.frees + 1);
}

static void test_alloc_zalloc_zeroes(void **state)
{
	unsigned char *p = resv__zalloc(4096);

	assert_non_null(p);
	for (size_t i = 0; i < 4096; i++)
		assert_int_equal(p[i], 0);
	resv__free(p, 4096);
}

static void test_alloc_fail_nth_fails_exactly_that_one(void **state)
{
	struct resv_alloc_stats before, after;
	void *p[5];

	resv_alloc_get_stats(&before);
	resv_alloc_fail_nth(3);
	for (int i = 0; i < 5; i++)
		p[i] = resv__malloc(16);
	assert_non_null(p[0]);
	assert_non_null(p[1]);
	assert_null(p[2]);
	assert_non_null(p[3]);	/* disarmed after firing */
	assert_non_null(p[4]);
	resv_alloc_get_stats(&after);
	assert_int_equal(after.injected_failures, before.injected_failures + 1);
	assert_int_equal(after.allocations, before.allocations + 4);
	for (int i = 0; i < 5; i++)
		resv__free(p[i], 16);
}

/* The public wrapper used by drivers and the simulator shares the counters
 * and the fault injection of the library's own allocations. */
static void test_alloc_public_wrapper_shares_injection(void **state)
{
	struct resv_alloc_stats before, after;
	unsigned char *a, *b;

	resv_alloc_get_stats(&before);
	resv_alloc_fail_nth(2);
	a = resv_zalloc(64);
	b = resv_malloc(32);
	assert_non_null(a);
	assert_null(b);
	assert_int_equal(a[0] | a[63], 0);
	resv_alloc_get_stats(&after);
	assert_int_equal(after.injected_failures, before.injected_failures + 1);
	assert_int_equal(after.live_bytes, before.live_bytes + 64);
	resv_free(a, 64);
	resv_free(NULL, 0);
	resv_alloc_get_stats(&after);
	assert_int_equal(after.live_bytes, before.live_bytes);
}

static void test_alloc_fail_nth_zero_disarms(void **state)
{
	void *p;

	resv_alloc_fail_nth(1);
	resv_alloc_fail_nth(0);
	p = resv__malloc(8);
	assert_non_null(p);
	resv__free(p, 8);
}

static unsigned run_random_pattern(uint64_t seed, unsigned n, char *pattern)
{
	unsigned failures = 0;

	resv_alloc_fail_every(250000, seed);
	for (unsigned i = 0; i < n; i++) {
		void *p = resv__malloc(32);

		pattern[i] = p ? '.' : 'x';
		failures += !p;
		resv__free(p, 32);
	}
	resv_alloc_fail_every(0, 0);
	return failures;
}

static void test_alloc_fail_every_replays_with_seed(void **state)
{
	char a[400], b[400], c[400];
	unsigned fa = run_random_pattern(42, sizeof(a), a);
	unsigned fb = run_random_pattern(42, sizeof(b), b);

	run_random_pattern(43, sizeof(c), c);
	assert_memory_equal(a, b, sizeof(a));
	assert_int_equal(fa, fb);
	/* 25% of 400: far from 0 and from 400 for any sane generator. */
	assert_in_range(fa, 50, 150);
	assert_memory_not_equal(a, c, sizeof(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_counts_and_frees),
		cmocka_unit_test(test_alloc_zalloc_zeroes),
		cmocka_unit_test(test_alloc_fail_nth_fails_exactly_that_one),
		cmocka_unit_test(test_alloc_fail_nth_zero_disarms),
		cmocka_unit_test(test_alloc_public_wrapper_shares_injection),
		cmocka_unit_test(test_alloc_fail_every_replays_with_seed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
