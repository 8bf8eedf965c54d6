/* SPDX-License-Identifier: MIT */
/* Across containers: predicates, nesting reports, allocation failure at every site. */
#include "containers_test.h"

/* ---- misuse reports --------------------------------------------------------------- */

static int misuse_reports;

static void count_reports(const struct resv_report *r, void *arg)
{
	if (r->kind == RESV_REPORT_FENCE_MISUSE)
		misuse_reports++;
}

/* ==== cross-cutting ======================================================================= */

void test_dma_fence_container_predicates_and_nesting_reports(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(1);
	struct dma_fence *plain = mk_fence(ctx, 1), *other = mk_fence(ctx, 2);
	struct dma_fence *arr = &mk_array(1, &plain, false)->base;
	struct dma_fence *chain = mk_chain(NULL, dma_fence_get(other), 1);
	struct dma_fence *nested, *bad_chain;

	assert_false(dma_fence_is_array(plain));
	assert_false(dma_fence_is_chain(plain));
	assert_false(dma_fence_is_container(plain));
	assert_true(dma_fence_is_array(arr));
	assert_false(dma_fence_is_chain(arr));
	assert_true(dma_fence_is_container(arr));
	assert_true(dma_fence_is_chain(chain));
	assert_false(dma_fence_is_array(chain));
	assert_true(dma_fence_is_container(chain));
	assert_ptr_equal(arr->ops, &dma_fence_array_ops);
	assert_ptr_equal(chain->ops, &dma_fence_chain_ops);

	/* Containers in an array, a chain in a chain: the kernel WARNs. */
	misuse_reports = 0;
	resv_report_set_hook(count_reports, NULL);
	{
		struct dma_fence *members[2] = { arr, chain };

		nested = &mk_array(2, members, false)->base;
	}
	bad_chain = mk_chain(NULL, dma_fence_get(chain), 1);
	resv_report_set_hook(NULL, NULL);
	assert_int_equal(misuse_reports, resv_report_checks_enabled() ? 3 : 0);

	dma_fence_put(bad_chain);
	dma_fence_put(nested);
	dma_fence_put(arr);
	dma_fence_put(chain);
	dma_fence_put(plain);
	dma_fence_put(other);
	assert_int_equal(live_bytes(), before);
}

/* Every allocation site: NULL, nothing leaked, no reference or state changed. */
void test_dma_fence_containers_alloc_failure_every_site(void **state)
{
	uint64_t before;
	uint64_t ctx = dma_fence_context_alloc(2);
	struct dma_fence *p[3], *s, **fences, *m;
	struct dma_fence_array *array;
	struct dma_fence_chain *chain;
	unsigned long n;

	p[0] = mk_fence(ctx, 1);
	p[1] = mk_fence(ctx + 1, 1);
	p[2] = mk_fence(ctx, 2);
	s = mk_fence(ctx, 0);
	dma_fence_signal_timestamp(s, 77);
	before = live_bytes();

	/* resv_dma_fence_array_alloc_fences */
	for (n = 1;; n++) {
		resv_alloc_fail_nth(n);
		fences = resv_dma_fence_array_alloc_fences(2);
		resv_alloc_fail_nth(0);
		if (fences)
			break;
		assert_int_equal(live_bytes(), before);
	}
	assert_int_equal(n, 2);

	/* resv_dma_fence_array_realloc_fences: the old array survives */
	fences[0] = p[0];
	for (n = 1;; n++) {
		struct dma_fence **bigger;

		resv_alloc_fail_nth(n);
		bigger = resv_dma_fence_array_realloc_fences(fences, 3);
		resv_alloc_fail_nth(0);
		if (bigger) {
			fences = bigger;
			break;
		}
		assert_ptr_equal(fences[0], p[0]);
	}
	assert_int_equal(n, 2);
	assert_ptr_equal(fences[0], p[0]);
	resv_dma_fence_array_free_fences(fences);
	assert_int_equal(live_bytes(), before);

	/* dma_fence_array_create: the caller keeps the pointer array and refs */
	for (n = 1;; n++) {
		fences = fences_of(3, p);
		resv_alloc_fail_nth(n);
		array = dma_fence_array_create(3, fences, dma_fence_context_alloc(1), 1, false);
		resv_alloc_fail_nth(0);
		if (array)
			break;
		for (int i = 0; i < 3; i++)
			assert_int_equal(refs(p[i]), 2);
		put_all(fences, 3);
		resv_dma_fence_array_free_fences(fences);
		assert_int_equal(live_bytes(), before);
	}
	assert_int_equal(n, 2);
	dma_fence_put(&array->base);
	assert_int_equal(live_bytes(), before);

	/* dma_fence_array_alloc */
	for (n = 1;; n++) {
		resv_alloc_fail_nth(n);
		array = dma_fence_array_alloc(3);
		resv_alloc_fail_nth(0);
		if (array)
			break;
		assert_int_equal(live_bytes(), before);
	}
	assert_int_equal(n, 2);
	resv_dma_fence_free_unused(&array->base);

	/* dma_fence_chain_alloc; dma_fence_chain_free() of an unused node */
	for (n = 1;; n++) {
		resv_alloc_fail_nth(n);
		chain = dma_fence_chain_alloc();
		resv_alloc_fail_nth(0);
		if (chain)
			break;
		assert_int_equal(live_bytes(), before);
	}
	assert_int_equal(n, 2);
	dma_fence_chain_free(chain);
	dma_fence_chain_free(NULL);
	assert_int_equal(live_bytes(), before);

	/* dma_fence_unwrap_merge, nothing pending: the stub */
	for (n = 1;; n++) {
		resv_alloc_fail_nth(n);
		m = dma_fence_unwrap_merge(s, s);
		resv_alloc_fail_nth(0);
		if (m)
			break;
		assert_int_equal(refs(s), 1);
		assert_int_equal(live_bytes(), before);
	}
	assert_int_equal(n, 2);
	assert_int_equal(dma_fence_timestamp(m), 77);
	dma_fence_put(m);

	/* dma_fence_unwrap_merge, many: the pointer array, then the array fence */
	for (n = 1;; n++) {
		resv_alloc_fail_nth(n);
		m = dma_fence_unwrap_merge(p[0], s, p[1], p[2]);
		resv_alloc_fail_nth(0);
		if (m)
			break;
		for (int i = 0; i < 3; i++) {
			assert_int_equal(refs(p[i]), 1);
			assert_false(signaled(p[i]));
		}
		assert_int_equal(live_bytes(), before);
	}
	assert_int_equal(n, 3);
	assert_true(dma_fence_is_array(m));
	assert_int_equal(to_dma_fence_array(m)->num_fences, 2);
	dma_fence_put(m);

	/* dma_fence_unwrap_merge, many deduplicated to one: only the pointer array */
	for (n = 1;; n++) {
		resv_alloc_fail_nth(n);
		m = dma_fence_unwrap_merge(p[0], p[2]);
		resv_alloc_fail_nth(0);
		if (m)
			break;
		assert_int_equal(refs(p[0]), 1);
		assert_int_equal(refs(p[2]), 1);
		assert_int_equal(live_bytes(), before);
	}
	assert_int_equal(n, 2);
	assert_ptr_equal(m, p[2]);
	dma_fence_put(m);

	for (int i = 0; i < 3; i++) {
		assert_int_equal(refs(p[i]), 1);
		assert_false(signaled(p[i]));
	}
	assert_int_equal(live_bytes(), before);
	put_all(p, 3);
	dma_fence_put(s);
}
