/* SPDX-License-Identifier: MIT */
/* dma_fence_array: all vs any, first error, deferred signalling, iteration. */
#include "containers_test.h"

/* ==== dma_fence_array ================================================================ */

void test_dma_fence_array_signal_all_waits_for_every_member(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(3), actx = dma_fence_context_alloc(1);
	struct dma_fence *f[3], **fences;
	struct dma_fence_array *array;
	struct rec_cb rec = { 0 };

	for (int i = 0; i < 3; i++)
		f[i] = mk_fence(ctx + i, 1);
	fences = fences_of(3, f);
	array = dma_fence_array_create(3, fences, actx, 7, false);
	assert_non_null(array);
	assert_true(dma_fence_is_array(&array->base));
	assert_ptr_equal(to_dma_fence_array(&array->base), array);
	assert_ptr_equal(array->fences, fences);
	assert_int_equal(array->num_fences, 3);
	assert_int_equal(array->base.context, actx);
	assert_int_equal(array->base.seqno, 7);
	assert_string_equal(array->base.ops->get_driver_name(&array->base), "dma_fence_array");
	for (int i = 0; i < 3; i++)
		assert_int_equal(refs(f[i]), 2);

	assert_false(dma_fence_is_signaled(&array->base));	/* polling */
	assert_int_equal(dma_fence_add_callback(&array->base, &rec.cb, rec_func), 0);
	assert_int_equal(refs(&array->base), 1 + 3);		/* one per member callback */

	dma_fence_signal(f[0]);
	dma_fence_signal(f[2]);
	assert_false(signaled(&array->base));
	assert_int_equal(dma_fence_get_status(&array->base), 0);
	assert_int_equal(rec_runs(&rec), 0);
	assert_int_equal(dma_fence_wait_timeout(&array->base, false, 0), 0);

	dma_fence_signal(f[1]);		/* the array signals before this returns */
	assert_true(signaled(&array->base));
	assert_int_equal(rec_runs(&rec), 1);
	assert_int_equal(rec.error, 0);
	assert_int_equal(dma_fence_get_status(&array->base), 1);
	assert_int_equal(dma_fence_wait_timeout(&array->base, false, 0), 1);
	assert_int_equal(refs(&array->base), 1);

	dma_fence_put(&array->base);
	for (int i = 0; i < 3; i++)
		assert_int_equal(refs(f[i]), 1);
	put_all(f, 3);
	assert_int_equal(live_bytes(), before);
}

void test_dma_fence_array_signal_any_and_late_callbacks(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(1);
	struct dma_fence *f[3];
	struct dma_fence_array *array;
	struct rec_cb rec = { 0 };

	for (int i = 0; i < 3; i++)
		f[i] = mk_fence(ctx, i + 1);
	array = mk_array(3, f, true);
	assert_int_equal(dma_fence_add_callback(&array->base, &rec.cb, rec_func), 0);
	assert_false(signaled(&array->base));

	dma_fence_signal(f[1]);
	assert_true(signaled(&array->base));
	assert_int_equal(rec_runs(&rec), 1);
	assert_int_equal(dma_fence_get_status(&array->base), 1);
	/* The callbacks on f[0] and f[2] still hold the array. */
	assert_int_equal(refs(&array->base), 1 + 2);
	dma_fence_signal(f[0]);
	assert_int_equal(refs(&array->base), 1 + 1);
	dma_fence_put(&array->base);		/* f[2]'s callback keeps it alive */
	assert_int_equal(refs(f[2]), 2);
	dma_fence_signal(f[2]);			/* drops the last array reference */
	assert_int_equal(rec_runs(&rec), 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(refs(f[i]), 1);
	put_all(f, 3);
	assert_int_equal(live_bytes(), before);

	/* Polling, signalling never enabled: one signaled member suffices. */
	for (int i = 0; i < 3; i++)
		f[i] = mk_fence(ctx, 10 + i);
	array = mk_array(3, f, true);
	assert_false(dma_fence_is_signaled(&array->base));
	dma_fence_signal(f[2]);
	assert_true(dma_fence_is_signaled(&array->base));
	assert_int_equal(dma_fence_get_status(&array->base), 1);
	dma_fence_put(&array->base);
	put_all(f, 3);
	assert_int_equal(live_bytes(), before);
}

void test_dma_fence_array_first_error_propagates(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(1);
	struct dma_fence *f[3];
	struct dma_fence_array *array;
	struct rec_cb rec = { 0 };

	/* Through the member callbacks: the first error in signal order wins. */
	for (int i = 0; i < 3; i++)
		f[i] = mk_fence(ctx, i + 1);
	array = mk_array(3, f, false);
	assert_int_equal(dma_fence_add_callback(&array->base, &rec.cb, rec_func), 0);
	signal_with_error(f[2], -ECANCELED);
	signal_with_error(f[0], -EIO);
	assert_false(signaled(&array->base));
	dma_fence_signal(f[1]);
	assert_true(signaled(&array->base));
	assert_int_equal(rec_runs(&rec), 1);
	assert_int_equal(rec.error, -ECANCELED);
	assert_int_equal(array->base.error, -ECANCELED);
	assert_int_equal(dma_fence_get_status(&array->base), -ECANCELED);
	dma_fence_put(&array->base);
	put_all(f, 3);

	/* A member that failed before signalling was enabled. */
	for (int i = 0; i < 3; i++)
		f[i] = mk_fence(ctx, 10 + i);
	signal_with_error(f[1], -ETIME);
	array = mk_array(3, f, false);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(dma_fence_add_callback(&array->base, &rec.cb, rec_func), 0);
	signal_with_error(f[0], -EIO);
	dma_fence_signal(f[2]);
	assert_int_equal(rec_runs(&rec), 1);
	assert_int_equal(dma_fence_get_status(&array->base), -ETIME);
	dma_fence_put(&array->base);
	put_all(f, 3);

	/* Polling only (documented: the kernel would report 1 here). */
	for (int i = 0; i < 3; i++)
		f[i] = mk_fence(ctx, 20 + i);
	array = mk_array(3, f, false);
	dma_fence_signal(f[0]);
	signal_with_error(f[1], -ENODATA);
	assert_false(dma_fence_is_signaled(&array->base));
	dma_fence_signal(f[2]);
	assert_true(dma_fence_is_signaled(&array->base));
	assert_int_equal(dma_fence_get_status(&array->base), -ENODATA);
	dma_fence_put(&array->base);
	put_all(f, 3);

	/* No member error: status 1, the placeholder is gone. */
	for (int i = 0; i < 2; i++)
		f[i] = mk_fence(ctx, 30 + i);
	array = mk_array(2, f, false);
	dma_fence_enable_sw_signaling(&array->base);
	dma_fence_signal(f[0]);
	dma_fence_signal(f[1]);
	assert_true(signaled(&array->base));
	assert_int_equal(array->base.error, 0);
	assert_int_equal(dma_fence_get_status(&array->base), 1);
	dma_fence_put(&array->base);
	put_all(f, 2);
	assert_int_equal(live_bytes(), before);
}

/* The array signals from deferred work, once the signalling thread drops its locks. */
void test_dma_fence_array_signals_after_member_lock_released(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(1);
	struct dma_fence *f[2];
	struct dma_fence_array *array;

	f[0] = mk_fence(ctx, 1);
	f[1] = mk_fence(ctx, 2);
	array = mk_array(2, f, false);
	dma_fence_enable_sw_signaling(&array->base);

	resv_spin_lock(&test_lock);
	dma_fence_signal_locked(f[0]);
	dma_fence_signal_locked(f[1]);
	assert_true(signaled(f[1]));
	assert_false(signaled(&array->base));	/* would need array->lock now */
	resv_spin_unlock(&test_lock);
	assert_true(signaled(&array->base));
	assert_int_equal(dma_fence_get_status(&array->base), 1);

	dma_fence_put(&array->base);
	put_all(f, 2);
	assert_int_equal(live_bytes(), before);
}

void test_dma_fence_array_for_each_and_match_context(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(2);
	struct dma_fence *f[3], *plain, *it;
	struct dma_fence_array *same, *mixed, *empty;
	unsigned int i, visits;

	for (int k = 0; k < 3; k++)
		f[k] = mk_fence(ctx, k + 1);
	plain = mk_fence(ctx + 1, 1);
	same = mk_array(3, f, false);

	visits = 0;
	dma_fence_array_for_each(it, i, &same->base) {
		assert_int_equal(i, visits);
		assert_ptr_equal(it, f[visits]);
		visits++;
	}
	assert_int_equal(visits, 3);
	assert_null(dma_fence_array_next(&same->base, 3));

	visits = 0;
	dma_fence_array_for_each(it, i, plain) {	/* a plain fence: itself, once */
		assert_int_equal(i, 0);
		assert_ptr_equal(it, plain);
		visits++;
	}
	assert_int_equal(visits, 1);
	assert_null(dma_fence_array_next(plain, 0));
	assert_null(dma_fence_array_first(NULL));
	assert_null(to_dma_fence_array(plain));
	assert_null(to_dma_fence_array(NULL));

	assert_true(dma_fence_match_context(&same->base, ctx));
	assert_false(dma_fence_match_context(&same->base, ctx + 1));
	assert_true(dma_fence_match_context(plain, ctx + 1));
	assert_false(dma_fence_match_context(plain, ctx));
	{
		struct dma_fence *m[2] = { f[0], plain };

		mixed = mk_array(2, m, false);
	}
	assert_false(dma_fence_match_context(&mixed->base, ctx));
	assert_false(dma_fence_match_context(&mixed->base, ctx + 1));

	/* Empty: nothing to visit, every context matches, signaled at once. */
	empty = dma_fence_array_create(0, NULL, dma_fence_context_alloc(1), 1, false);
	assert_non_null(empty);
	visits = 0;
	dma_fence_array_for_each(it, i, &empty->base)
		visits++;
	assert_int_equal(visits, 0);
	assert_true(dma_fence_match_context(&empty->base, 12345));
	assert_true(dma_fence_is_signaled(&empty->base));
	assert_int_equal(dma_fence_get_status(&empty->base), 1);
	dma_fence_put(&empty->base);
	empty = dma_fence_array_create(0, NULL, dma_fence_context_alloc(1), 1, true);
	assert_non_null(empty);
	assert_int_equal(dma_fence_wait_timeout(&empty->base, false, 1000 * MS), 1000 * MS);
	dma_fence_put(&empty->base);

	dma_fence_put(&same->base);
	dma_fence_put(&mixed->base);
	put_all(f, 3);
	dma_fence_put(plain);
	assert_int_equal(live_bytes(), before);
}

void test_dma_fence_array_alloc_init_and_pointer_helpers(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(1);
	struct dma_fence **fences, *f[3];
	struct dma_fence_array *array;

	assert_null(resv_dma_fence_array_alloc_fences(0));
	assert_null(dma_fence_array_alloc(-1));
	assert_null(dma_fence_array_create(-1, NULL, ctx, 1, false));
	resv_dma_fence_array_free_fences(NULL);

	for (int i = 0; i < 3; i++)
		f[i] = mk_fence(ctx, i + 1);
	fences = resv_dma_fence_array_realloc_fences(NULL, 1);
	assert_non_null(fences);
	assert_null(fences[0]);
	fences[0] = dma_fence_get(f[0]);
	fences = resv_dma_fence_array_realloc_fences(fences, 3);	/* grow */
	assert_non_null(fences);
	assert_ptr_equal(fences[0], f[0]);
	assert_null(fences[1]);
	assert_null(fences[2]);
	fences[1] = dma_fence_get(f[1]);
	fences[2] = dma_fence_get(f[2]);

	/* Allocated but never initialised: give it back. */
	array = dma_fence_array_alloc(3);
	assert_non_null(array);
	resv_dma_fence_free_unused(&array->base);

	array = dma_fence_array_alloc(3);
	assert_non_null(array);
	dma_fence_array_init(array, 3, fences, ctx, 4, false);
	assert_int_equal(refs(&array->base), 1);
	assert_int_equal(array->base.seqno, 4);
	for (int i = 0; i < 3; i++)
		dma_fence_signal(f[i]);
	assert_true(dma_fence_is_signaled(&array->base));
	dma_fence_put(&array->base);

	/* Shrinking keeps the front. */
	fences = resv_dma_fence_array_alloc_fences(3);
	assert_non_null(fences);
	fences[0] = f[0];
	fences[1] = f[1];
	fences = resv_dma_fence_array_realloc_fences(fences, 1);
	assert_non_null(fences);
	assert_ptr_equal(fences[0], f[0]);
	resv_dma_fence_array_free_fences(fences);

	put_all(f, 3);
	assert_int_equal(live_bytes(), before);
}
