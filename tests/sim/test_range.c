/* SPDX-License-Identifier: MIT */
/*
 * The VRAM range allocator: fill, fragmentation and -ENOSPC, coalescing on
 * both sides, best fit, double-free detection, bad arguments and
 * allocation failure at init; and a seeded random workload checked against
 * a page bitmap model after every operation.
 */
#include "sim_test.h"

static void test_range_fill_and_enospc(void **state)
{
	struct sim_range_mgr mgr;
	struct sim_range r[16], extra;

	assert_int_equal(sim_range_mgr_init(&mgr, 64), 0);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(sim_range_alloc(&mgr, 4, &r[i]), 0);
		assert_int_equal(r[i].start, (uint64_t)i * 4);	/* lowest first */
		assert_int_equal(r[i].npages, 4);
	}
	assert_int_equal(mgr.free_pages, 0);
	assert_int_equal(mgr.free_blocks, 0);
	assert_int_equal(sim_range_largest_free(&mgr), 0);
	extra.start = 99;
	assert_int_equal(sim_range_alloc(&mgr, 1, &extra), -ENOSPC);
	assert_int_equal(extra.start, 99);	/* untouched on failure */
	assert_int_equal(sim_range_alloc(&mgr, 0, &extra), -EINVAL);
	for (int i = 0; i < 16; i++)
		assert_int_equal(sim_range_free(&mgr, &r[i]), 0);
	assert_int_equal(mgr.free_pages, 64);
	assert_int_equal(mgr.free_blocks, 1);
	sim_range_mgr_fini(&mgr);
}

static void test_range_fragmentation_and_coalescing(void **state)
{
	struct sim_range_mgr mgr;
	struct sim_range r[16], big;

	assert_int_equal(sim_range_mgr_init(&mgr, 64), 0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(sim_range_alloc(&mgr, 4, &r[i]), 0);
	/* Free every other range: 32 pages free, none contiguous beyond 4. */
	for (int i = 0; i < 16; i += 2)
		assert_int_equal(sim_range_free(&mgr, &r[i]), 0);
	assert_int_equal(mgr.free_pages, 32);
	assert_int_equal(mgr.free_blocks, 8);
	assert_int_equal(sim_range_largest_free(&mgr), 4);
	assert_int_equal(sim_range_alloc(&mgr, 5, &big), -ENOSPC);

	/* Freeing r[1] merges with both neighbours: r[0] r[1] r[2] = 12. */
	assert_int_equal(sim_range_free(&mgr, &r[1]), 0);
	assert_int_equal(mgr.free_blocks, 7);
	assert_int_equal(sim_range_largest_free(&mgr), 12);
	assert_int_equal(sim_range_alloc(&mgr, 12, &big), 0);
	assert_int_equal(big.start, 0);
	assert_int_equal(sim_range_free(&mgr, &big), 0);

	/* Free the rest in an order that merges left, right and both. */
	for (int i = 15; i >= 3; i -= 2)
		assert_int_equal(sim_range_free(&mgr, &r[i]), 0);
	assert_int_equal(mgr.free_pages, 64);
	assert_int_equal(mgr.free_blocks, 1);
	assert_int_equal(sim_range_largest_free(&mgr), 64);
	assert_int_equal(sim_range_alloc(&mgr, 64, &big), 0);
	sim_range_mgr_fini(&mgr);
}

static void test_range_best_fit(void **state)
{
	struct sim_range_mgr mgr;
	struct sim_range a, hole8, b, hole3, c, hole5, d, got;

	assert_int_equal(sim_range_mgr_init(&mgr, 100), 0);
	/* Layout: a(2) hole(8) b(1) hole(3) c(1) hole(5) d(rest). */
	assert_int_equal(sim_range_alloc(&mgr, 2, &a), 0);
	assert_int_equal(sim_range_alloc(&mgr, 8, &hole8), 0);
	assert_int_equal(sim_range_alloc(&mgr, 1, &b), 0);
	assert_int_equal(sim_range_alloc(&mgr, 3, &hole3), 0);
	assert_int_equal(sim_range_alloc(&mgr, 1, &c), 0);
	assert_int_equal(sim_range_alloc(&mgr, 5, &hole5), 0);
	assert_int_equal(sim_range_alloc(&mgr, 80, &d), 0);
	assert_int_equal(mgr.free_pages, 0);
	assert_int_equal(sim_range_free(&mgr, &hole8), 0);
	assert_int_equal(sim_range_free(&mgr, &hole3), 0);
	assert_int_equal(sim_range_free(&mgr, &hole5), 0);

	/* 3 pages: exactly hole3 even though hole8 comes first. */
	assert_int_equal(sim_range_alloc(&mgr, 3, &got), 0);
	assert_int_equal(got.start, hole3.start);
	/* 4 pages: hole5 (smallest that fits), not hole8. */
	assert_int_equal(sim_range_alloc(&mgr, 4, &got), 0);
	assert_int_equal(got.start, hole5.start);
	/* 1 page: the remaining page of hole5 beats hole8. */
	assert_int_equal(sim_range_alloc(&mgr, 1, &got), 0);
	assert_int_equal(got.start, hole5.start + 4);
	assert_int_equal(sim_range_alloc(&mgr, 9, &got), -ENOSPC);
	assert_int_equal(sim_range_alloc(&mgr, 8, &got), 0);
	assert_int_equal(got.start, hole8.start);
	sim_range_mgr_fini(&mgr);
}

static void test_range_bad_free(void **state)
{
	struct sim_range_mgr mgr;
	struct sim_range r, s, bogus;

	assert_int_equal(sim_range_mgr_init(&mgr, 32), 0);
	assert_int_equal(sim_range_alloc(&mgr, 4, &r), 0);
	assert_int_equal(sim_range_alloc(&mgr, 4, &s), 0);
	assert_int_equal(sim_range_free(&mgr, &r), 0);
	assert_int_equal(sim_range_free(&mgr, &r), -EINVAL);	/* twice */
	bogus = (struct sim_range){ .start = 30, .npages = 4 };
	assert_int_equal(sim_range_free(&mgr, &bogus), -EINVAL);	/* past the end */
	bogus = (struct sim_range){ .start = 4, .npages = 0 };
	assert_int_equal(sim_range_free(&mgr, &bogus), -EINVAL);	/* empty */
	/* Nothing changed by the rejected frees. */
	assert_int_equal(mgr.free_pages, 28);
	assert_int_equal(mgr.free_blocks, 2);
	assert_int_equal(sim_range_free(&mgr, &s), 0);
	assert_int_equal(mgr.free_blocks, 1);
	sim_range_mgr_fini(&mgr);
}

static void test_range_init_errors(void **state)
{
	struct sim_range_mgr mgr;
	uint64_t before = st_live_bytes();
	unsigned long n;

	assert_int_equal(sim_range_mgr_init(&mgr, 0), -EINVAL);
	assert_int_equal(sim_range_mgr_init(&mgr, (1ull << 31) + 1), -EINVAL);
	assert_int_equal(sim_range_mgr_init(NULL, 8), -EINVAL);
	for (n = 1;; n++) {
		int ret;

		resv_alloc_fail_nth(n);
		ret = sim_range_mgr_init(&mgr, 1000);
		resv_alloc_fail_nth(0);
		if (!ret)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(st_live_bytes(), before);
	}
	assert_int_equal(n, 5);		/* four arrays */
	sim_range_mgr_fini(&mgr);
	assert_int_equal(st_live_bytes(), before);
}

/* Random allocs and frees against a page bitmap: ranges never overlap,
 * counts add up, and a request fails only when no free run is long enough. */
static void test_range_random_model(void **state)
{
	enum { PAGES = 512, LIVE = 64 };
	uint64_t seed = st_seed(), rng = seed;
	struct sim_range live[LIVE];
	bool used[PAGES] = { false };
	unsigned int nlive = 0;
	struct sim_range_mgr mgr;

	assert_int_equal(sim_range_mgr_init(&mgr, PAGES), 0);
	for (int step = 0; step < 20000; step++) {
		bool do_alloc = nlive == 0 || (nlive < LIVE && st_rand(&rng) % 2);
		uint64_t free_pages = 0, longest = 0, run = 0;

		if (do_alloc) {
			uint64_t want = 1 + st_rand(&rng) % 24;
			struct sim_range r;
			int ret = sim_range_alloc(&mgr, want, &r);

			for (int p = 0; p < PAGES; p++) {
				run = used[p] ? 0 : run + 1;
				longest = run > longest ? run : longest;
			}
			if (ret) {
				if (ret != -ENOSPC || longest >= want)
					fail_msg("seed=%" PRIu64 " step %d: alloc %" PRIu64
						 " -> %d, longest free run %" PRIu64,
						 seed, step, want, ret, longest);
				continue;
			}
			for (uint64_t p = r.start; p < r.start + r.npages; p++) {
				if (used[p])
					fail_msg("seed=%" PRIu64 " step %d: page %" PRIu64
						 " handed out twice", seed, step, p);
				used[p] = true;
			}
			live[nlive++] = r;
		} else {
			unsigned int i = (unsigned int)(st_rand(&rng) % nlive);

			assert_int_equal(sim_range_free(&mgr, &live[i]), 0);
			for (uint64_t p = live[i].start; p < live[i].start + live[i].npages; p++)
				used[p] = false;
			live[i] = live[--nlive];
		}
		for (int p = 0; p < PAGES; p++)
			free_pages += !used[p];
		if (free_pages != mgr.free_pages)
			fail_msg("seed=%" PRIu64 " step %d: %" PRIu64 " free, allocator says %"
				 PRIu64, seed, step, free_pages, mgr.free_pages);
	}
	while (nlive)
		assert_int_equal(sim_range_free(&mgr, &live[--nlive]), 0);
	assert_int_equal(mgr.free_blocks, 1);
	sim_range_mgr_fini(&mgr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_fill_and_enospc),
		cmocka_unit_test(test_range_fragmentation_and_coalescing),
		cmocka_unit_test(test_range_best_fit),
		cmocka_unit_test(test_range_bad_free),
		cmocka_unit_test(test_range_init_errors),
		cmocka_unit_test(test_range_random_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
