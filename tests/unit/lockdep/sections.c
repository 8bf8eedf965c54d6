/* SPDX-License-Identifier: MIT */
/* Fence signalling sections and reclaim sections. */
#include "lockdep_test.h"

/* ---- fence signalling critical sections ---------------------------------------------- */

void test_lockdep_signalling_resv_lock(void **state)
{
	static DEFINE_WW_CLASS(ld_sig_class);
	struct ww_acquire_ctx ctx;
	struct dma_resv obj;
	struct ww_mutex m;
	bool cookie;

	LDT_REQUIRE();
	dma_resv_init(&obj);
	ww_mutex_init(&m, &ld_sig_class);

	cookie = dma_fence_begin_signalling();
	assert_int_equal(dma_resv_lock(&obj, NULL), 0);
	assert_ptr_equal(ldt_report_at(0).lock, &obj.lock);
	ldt_print_report(0);
	ldt_expect_one(RESV_REPORT_LOCKDEP_SIGNALLING_LOCK, "reservation_ww_class_mutex",
		       "signalling", NULL);
	dma_resv_unlock(&obj);

	/* With a context too (another class: reported once per class). */
	ww_acquire_init(&ctx, &ld_sig_class);
	assert_int_equal(ww_mutex_lock(&m, &ctx), 0);
	ldt_expect_one(RESV_REPORT_LOCKDEP_SIGNALLING_LOCK, "ld_sig_class_mutex", NULL);
	ww_mutex_unlock(&m);
	ww_acquire_fini(&ctx);
	dma_fence_end_signalling(cookie);

	/* Outside the section the same lock is fine. */
	assert_int_equal(dma_resv_lock(&obj, NULL), 0);
	dma_resv_unlock(&obj);
	ww_mutex_destroy(&m);
	dma_resv_fini(&obj);
}

void test_lockdep_signalling_fence_wait(void **state)
{
	static const char *const msg[] = { "fence wait", NULL };
	struct dma_fence *stub = dma_fence_get_stub();
	bool cookie;

	LDT_REQUIRE();
	if (!resv_report_checks_enabled())
		skip();	/* this one is a RESV_DEBUG check */
	cookie = dma_fence_begin_signalling();
	assert_int_equal(dma_fence_wait(stub, false), 0);
	assert_ptr_equal(ldt_report_at(0).lock, stub);
	ldt_expect_one_detail(RESV_REPORT_FENCE_WAIT_IN_SIGNALLING, msg, NULL);
	dma_fence_end_signalling(cookie);
	assert_int_equal(dma_fence_wait(stub, false), 0);
	dma_fence_put(stub);
}

void test_lockdep_signalling_alloc(void **state)
{
	static const char *const msg[] = { "allocation inside a fence signalling", NULL };
	static const char *const detail[] = { "at test_lockdep_signalling_alloc+0x", NULL };
	struct dma_fence *fence;
	bool cookie;
	void *p;

	LDT_REQUIRE();
	cookie = dma_fence_begin_signalling();
	p = resv_malloc(64);
	assert_non_null(p);
	ldt_print_report(0);
	ldt_expect_one_detail(RESV_REPORT_LOCKDEP_SIGNALLING_ALLOC, msg, detail);
	resv_free(p, 64);
	/* Allocations inside the library are caught as well. */
	fence = dma_fence_allocate_private_stub(0);
	assert_non_null(fence);
	ldt_expect_one(RESV_REPORT_LOCKDEP_SIGNALLING_ALLOC, "signalling", NULL);
	dma_fence_end_signalling(cookie);

	dma_fence_put(fence);
	p = resv_malloc(64);
	assert_non_null(p);
	resv_free(p, 64);
}

void test_lockdep_signalling_trylock_silent(void **state)
{
	struct ww_acquire_ctx ctx;
	struct dma_resv a, b;
	struct resv_spinlock s;
	bool cookie;

	LDT_REQUIRE();
	dma_resv_init(&a);
	dma_resv_init(&b);
	resv_spin_lock_init(&s);
	ww_acquire_init(&ctx, &reservation_ww_class);
	cookie = dma_fence_begin_signalling();
	assert_true(dma_resv_trylock(&a));
	assert_int_equal(ww_mutex_trylock(&b.lock, &ctx), 1);
	resv_spin_lock(&s);	/* spinlocks are what signalling code takes */
	resv_spin_unlock(&s);
	dma_resv_unlock(&b);
	dma_resv_unlock(&a);
	dma_fence_end_signalling(cookie);
	ww_acquire_fini(&ctx);
	dma_resv_fini(&a);
	dma_resv_fini(&b);
}

void test_lockdep_signalling_nested_silent(void **state)
{
	struct dma_resv obj;
	bool outer, inner;
	void *p;

	LDT_REQUIRE();
	dma_resv_init(&obj);
	outer = dma_fence_begin_signalling();
	inner = dma_fence_begin_signalling();
	assert_false(outer);
	assert_true(inner);
	dma_fence_end_signalling(inner);
	assert_int_equal(ldt_reports(), 0);
	/* The inner end does not end the outer section. */
	p = resv_malloc(8);
	assert_non_null(p);
	ldt_expect_one(RESV_REPORT_LOCKDEP_SIGNALLING_ALLOC, "allocation", NULL);
	resv_free(p, 8);
	dma_fence_end_signalling(outer);
	/* After the outer end, nothing is inside a section any more. */
	p = resv_malloc(8);
	assert_non_null(p);
	resv_free(p, 8);
	assert_int_equal(dma_resv_lock(&obj, NULL), 0);
	dma_resv_unlock(&obj);
	dma_resv_fini(&obj);
}

/* ---- reclaim --------------------------------------------------------------------------- */

static struct resv_lockdep_class_key shrink_key = RESV_LOCKDEP_CLASS_KEY_INIT("shrinker_lock");

void test_lockdep_reclaim_alloc_under_tainted(void **state)
{
	static const char *const msg[] = { "reclaim", "shrinker_lock", NULL };
	static const char *const detail[] = {
		"allocation (or reclaim) while holding shrinker_lock, which reclaim takes",
		"reclaim -> shrinker_lock: thread", NULL };
	static const char *const resv_msg[] = { "reservation_ww_class_mutex -> reclaim", NULL };
	struct resv_lockdep_map l;
	struct dma_resv obj, other;
	void *p;

	LDT_REQUIRE();
	resv_lockdep_map_init(&l, "l", &shrink_key);
	/* The shrinker takes the lock: it becomes reclaim-tainted. */
	resv_lockdep_reclaim_begin();
	resv_lockdep_acquire(&l, 0);
	resv_lockdep_release(&l);
	resv_lockdep_reclaim_end();
	assert_int_equal(ldt_reports(), 0);

	resv_lockdep_acquire(&l, 0);
	p = resv_malloc(32);
	assert_non_null(p);
	ldt_expect_one_detail(RESV_REPORT_LOCKDEP_RECLAIM, msg, detail);
	resv_free(p, 32);
	resv_lockdep_release(&l);

	/* A shrinker blocking on a resv makes reserving fence slots a bug. */
	dma_resv_init(&obj);
	dma_resv_init(&other);
	resv_lockdep_reclaim_begin();
	assert_int_equal(dma_resv_lock(&obj, NULL), 0);
	dma_resv_unlock(&obj);
	resv_lockdep_reclaim_end();
	assert_int_equal(dma_resv_lock(&other, NULL), 0);
	assert_int_equal(dma_resv_reserve_fences(&other, 1), 0);
	ldt_print_report(0);
	ldt_expect_one_detail(RESV_REPORT_LOCKDEP_RECLAIM, resv_msg, NULL);
	dma_resv_unlock(&other);
	dma_resv_fini(&obj);
	dma_resv_fini(&other);
}

void test_lockdep_reclaim_taint_after_alloc(void **state)
{
	static const char *const detail[] = { "reclaim takes shrinker_lock, which is held across "
					      "allocations", NULL };
	struct resv_lockdep_map l;
	void *p;

	LDT_REQUIRE();
	resv_lockdep_map_init(&l, "l", &shrink_key);
	resv_lockdep_acquire(&l, 0);
	p = resv_malloc(32);
	assert_non_null(p);
	resv_free(p, 32);
	resv_lockdep_release(&l);
	assert_int_equal(ldt_reports(), 0);

	resv_lockdep_reclaim_begin();
	resv_lockdep_acquire(&l, 0);
	ldt_expect_one_detail(RESV_REPORT_LOCKDEP_RECLAIM, NULL, detail);
	resv_lockdep_release(&l);
	resv_lockdep_reclaim_end();
}

void test_lockdep_reclaim_alloc_inside_silent(void **state)
{
	static struct resv_lockdep_class_key other_key = RESV_LOCKDEP_CLASS_KEY_INIT("other");
	struct resv_lockdep_map l, m;
	void *p, *q;

	LDT_REQUIRE();
	resv_lockdep_map_init(&l, "l", &shrink_key);
	resv_lockdep_map_init(&m, "m", &other_key);
	resv_lockdep_reclaim_begin();
	p = resv_malloc(16);
	assert_non_null(p);
	resv_lockdep_acquire(&l, 0);
	q = resv_malloc(16);	/* inside reclaim: not checked */
	assert_non_null(q);
	resv_free(q, 16);
	resv_lockdep_release(&l);
	resv_lockdep_reclaim_begin();	/* sections nest */
	resv_lockdep_reclaim_end();
	resv_lockdep_reclaim_end();
	resv_free(p, 16);

	/* An untainted lock may be held across allocations. */
	resv_lockdep_acquire(&m, 0);
	p = resv_malloc(16);
	assert_non_null(p);
	resv_free(p, 16);
	resv_lockdep_release(&m);
	p = resv_malloc(16);
	assert_non_null(p);
	resv_free(p, 16);
}

void test_lockdep_reclaim_trylock_no_taint(void **state)
{
	struct dma_resv obj;

	LDT_REQUIRE();
	dma_resv_init(&obj);
	/* A well-behaved shrinker only trylocks: nothing becomes tainted. */
	resv_lockdep_reclaim_begin();
	assert_true(dma_resv_trylock(&obj));
	dma_resv_unlock(&obj);
	resv_lockdep_reclaim_end();
	assert_int_equal(dma_resv_lock(&obj, NULL), 0);
	assert_int_equal(dma_resv_reserve_fences(&obj, 4), 0);
	dma_resv_unlock(&obj);
	dma_resv_fini(&obj);
}

void test_lockdep_reclaim_end_unbalanced(void **state)
{
	LDT_REQUIRE();
	resv_lockdep_reclaim_end();
	ldt_expect_one(RESV_REPORT_UNLOCK_NOT_HELD, "outside a reclaim section", NULL);
}
