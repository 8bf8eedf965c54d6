/* SPDX-License-Identifier: MIT */
/* Misuse reports drawn by the debug checks (and report kind names). */
#include "ww_test.h"

/* ------------------------------------------------------------------------
 * Misuse reports (debug builds)
 */

void test_report_ww_fini_held(void **state)
{
	struct fixture *f = *state;
	struct ww_acquire_ctx ctx;
	struct ww_mutex a;

	wwt_require_checks();
	ww_mutex_init(&a, f->cls);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(wwt_reports_total(), 0);
	ww_acquire_fini(&ctx);
	wwt_assert_one_report(RESV_REPORT_WW_FINI_HELD);
	assert_ptr_equal(wwt_report_at(0).ctx, &ctx);
	ww_mutex_unlock(&a); /* cleanup of the misuse: not checked */
	wwt_reports_clear();
	ww_mutex_destroy(&a);
}

void test_report_ww_fini_twice(void **state)
{
	struct fixture *f = *state;
	struct ww_acquire_ctx ctx;

	wwt_require_checks();
	ww_acquire_init(&ctx, f->cls);
	ww_acquire_fini(&ctx);
	assert_int_equal(wwt_reports_total(), 0);
	ww_acquire_fini(&ctx);
	wwt_assert_one_report(RESV_REPORT_WW_FINI_TWICE);
	assert_ptr_equal(wwt_report_at(0).ctx, &ctx);
	wwt_reports_clear();
}

void test_report_ww_lock_after_done(void **state)
{
	struct fixture *f = *state;
	struct ww_acquire_ctx ctx;
	struct ww_mutex a, b;

	wwt_require_checks();
	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	ww_acquire_done(&ctx);
	assert_int_equal(wwt_reports_total(), 0);
	/* Reported, and the lock is still taken (the kernel only WARNs). */
	assert_int_equal(ww_mutex_lock(&b, &ctx), 0);
	wwt_assert_one_report(RESV_REPORT_WW_LOCK_AFTER_DONE);
	assert_ptr_equal(wwt_report_at(0).ctx, &ctx);
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	assert_int_equal(wwt_reports_total(), 1);
	wwt_reports_clear();
	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
}

void test_report_ww_wrong_relock(void **state)
{
	struct fixture *f = *state;
	struct ww_acquire_ctx ctx;
	struct ww_mutex a, b, c;

	wwt_require_checks();
	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	ww_mutex_init(&c, f->cls);

	/* After -EDEADLK on b, locking c instead. */
	wwt_set_inject(f->cls, RESV_WW_INJECT_NTH, 1, 0, 0, 0);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	ww_mutex_unlock(&a);
	assert_int_equal(wwt_reports_total(), 0);
	assert_int_equal(ww_mutex_lock(&c, &ctx), 0);
	wwt_assert_one_report(RESV_REPORT_WW_WRONG_RELOCK);
	assert_ptr_equal(wwt_report_at(0).ctx, &ctx);
	ww_mutex_unlock(&c);
	ww_acquire_fini(&ctx);
	assert_int_equal(wwt_reports_total(), 1);
	wwt_reports_clear();

	/* After -EDEADLK on b, relocking b without dropping a first. */
	wwt_set_inject(f->cls, RESV_WW_INJECT_NTH, 1, 0, 0, 0);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	assert_int_equal(wwt_reports_total(), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), 0); /* eligible #2: not injected */
	wwt_assert_one_report(RESV_REPORT_WW_WRONG_RELOCK);
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	assert_int_equal(wwt_reports_total(), 1);
	wwt_reports_clear();

	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
	ww_mutex_destroy(&c);
}

void test_report_ww_slow_with_locks(void **state)
{
	struct fixture *f = *state;
	struct ww_acquire_ctx ctx;
	struct ww_mutex a, b;

	wwt_require_checks();
	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	wwt_set_inject(f->cls, RESV_WW_INJECT_NTH, 1, 0, 0, 0);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	assert_int_equal(wwt_reports_total(), 0);
	ww_mutex_lock_slow(&b, &ctx); /* a still held */
	/*
	 * Exactly one SLOW_WITH_LOCKS. The same call also fits
	 * WW_WRONG_RELOCK ("relocked ... with other locks still held"),
	 * so a second report of that kind is tolerated, nothing else.
	 */
	assert_int_equal(wwt_reports_of(RESV_REPORT_SLOW_WITH_LOCKS), 1);
	assert_int_equal(wwt_report_at(0).kind, RESV_REPORT_SLOW_WITH_LOCKS);
	assert_ptr_equal(wwt_report_at(0).ctx, &ctx);
	assert_int_equal(wwt_reports_total() - wwt_reports_of(RESV_REPORT_SLOW_WITH_LOCKS),
			 wwt_reports_of(RESV_REPORT_WW_WRONG_RELOCK));
	assert_true(wwt_reports_total() <= 2);
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	wwt_reports_clear();
	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
}

void test_report_unlock_not_held(void **state)
{
	struct fixture *f = *state;
	struct owner o = { .cls = f->cls };
	struct ww_mutex a, b, free_lock;
	const struct ww_acquire_ctx *a_ctx;
	bool a_locked, b_locked;
	unsigned int after_a, after_b;
	pthread_t t;

	wwt_require_checks();
	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, &wwt_aside_class);	/* wwt_owner_fn locks it without a context */
	ww_mutex_init(&free_lock, f->cls);

	/* An unlocked lock stays unlocked and usable. */
	ww_mutex_unlock(&free_lock);
	wwt_assert_one_report(RESV_REPORT_UNLOCK_NOT_HELD);
	assert_ptr_equal(wwt_report_at(0).lock, &free_lock);
	assert_false(ww_mutex_is_locked(&free_lock));
	assert_int_equal(ww_mutex_trylock(&free_lock, NULL), 1);
	ww_mutex_unlock(&free_lock);
	assert_int_equal(wwt_reports_total(), 1);
	wwt_reports_clear();

	/* Another thread's locks (a with a context, b without) stay its own. */
	o.a = &a;
	o.b = &b;
	wwt_event_init(&o.held);
	wwt_event_init(&o.release);
	t = wwt_spawn(wwt_owner_fn, &o);
	wwt_event_expect(&o.held, "owner thread");
	ww_mutex_unlock(&a);
	after_a = wwt_reports_total();
	ww_mutex_unlock(&b);
	after_b = wwt_reports_total();
	a_ctx = resv_ww_mutex_ctx(&a);
	a_locked = ww_mutex_is_locked(&a);
	b_locked = ww_mutex_is_locked(&b);
	wwt_event_fire(&o.release);
	wwt_join(t, "owner thread");

	assert_int_equal(after_a, 1);
	assert_int_equal(after_b, 2);
	assert_int_equal(wwt_reports_of(RESV_REPORT_UNLOCK_NOT_HELD), 2);
	assert_ptr_equal(wwt_report_at(0).lock, &a);
	assert_ptr_equal(wwt_report_at(1).lock, &b);
	assert_true(a_locked);
	assert_true(b_locked);
	assert_ptr_equal(a_ctx, o.ctx);
	/* The owner's own unlocks were fine and really released. */
	assert_int_equal(wwt_reports_total(), 2);
	assert_false(ww_mutex_is_locked(&a));
	assert_false(ww_mutex_is_locked(&b));
	wwt_reports_clear();

	wwt_event_destroy(&o.held);
	wwt_event_destroy(&o.release);
	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
	ww_mutex_destroy(&free_lock);
}

void test_report_destroy_locked(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex l;

	wwt_require_checks();
	ww_mutex_init(&l, f->cls);
	assert_int_equal(ww_mutex_lock(&l, NULL), 0);
	ww_mutex_destroy(&l);
	wwt_assert_one_report(RESV_REPORT_DESTROY_LOCKED);
	assert_ptr_equal(wwt_report_at(0).lock, &l);
	/* Start over rather than touch a destroyed lock. */
	wwt_reports_clear();
	ww_mutex_init(&l, f->cls);
	ww_mutex_destroy(&l);
	assert_int_equal(wwt_reports_total(), 0);
}

void test_report_ww_class_mismatch(void **state)
{
	struct fixture *f = *state;
	struct ww_acquire_ctx ctx;
	struct ww_mutex l;

	wwt_require_checks();
	ww_mutex_init(&l, f->other);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&l, &ctx), 0);
	wwt_assert_one_report(RESV_REPORT_WW_CLASS_MISMATCH);
	assert_ptr_equal(wwt_report_at(0).ctx, &ctx);
	ww_mutex_unlock(&l);
	ww_acquire_fini(&ctx);
	assert_int_equal(wwt_reports_total(), 1);
	wwt_reports_clear();
	ww_mutex_destroy(&l);
}

void test_report_kind_name(void **state)
{
	const enum resv_report_kind kinds[] = {
		RESV_REPORT_WW_FINI_HELD,      RESV_REPORT_WW_FINI_TWICE,
		RESV_REPORT_WW_LOCK_AFTER_DONE, RESV_REPORT_WW_WRONG_RELOCK,
		RESV_REPORT_WW_CLASS_MISMATCH, RESV_REPORT_UNLOCK_NOT_HELD,
		RESV_REPORT_DESTROY_LOCKED,    RESV_REPORT_SLOW_WITH_LOCKS,
	};
	size_t i, j, n = sizeof(kinds) / sizeof(kinds[0]);

	(void)state;
	assert_string_equal(resv_report_kind_name(RESV_REPORT_WW_FINI_HELD), "ww_fini_held");
	assert_string_equal(resv_report_kind_name((enum resv_report_kind)0), "unknown");
	assert_string_equal(resv_report_kind_name((enum resv_report_kind)999), "unknown");
	for (i = 0; i < n; i++) {
		assert_non_null(resv_report_kind_name(kinds[i]));
		assert_string_not_equal(resv_report_kind_name(kinds[i]), "unknown");
		for (j = 0; j < i; j++)
			assert_string_not_equal(resv_report_kind_name(kinds[i]),
						resv_report_kind_name(kinds[j]));
	}
}
