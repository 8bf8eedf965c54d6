/* SPDX-License-Identifier: MIT */
/*
 * Fence containers: dma_fence_array, dma_fence_chain, dma_fence_unwrap
 * (reference/kernel-api.md §2.5, §2.6 item 9), with exact return values,
 * reference counts, allocation failure at every allocation site and a
 * chain signalled from two threads while a third walks it. Worker threads
 * only record; the main thread asserts.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <resv/resv.h>

#define MS (1000L * 1000L)

/* ---- test fences: library memory, default release, one shared lock -------- */

static const char *tf_name(struct dma_fence *f) { return "test"; }

static const struct dma_fence_ops heap_ops = {
	.get_driver_name = tf_name,
	.get_timeline_name = tf_name,
};

/* Shared by most test fences: container work must not self-deadlock on it. */
static struct resv_spinlock test_lock = RESV_SPINLOCK_INITIALIZER;

static struct dma_fence *mk_fence_locked_by(struct resv_spinlock *lock, uint64_t ctx,
					    uint64_t seqno)
{
	struct dma_fence *f = resv_dma_fence_alloc(sizeof(*f));

	assert_non_null(f);
	dma_fence_init(f, &heap_ops, lock, ctx, seqno);
	return f;
}

static struct dma_fence *mk_fence(uint64_t ctx, uint64_t seqno)
{
	return mk_fence_locked_by(&test_lock, ctx, seqno);
}

static void signal_with_error(struct dma_fence *f, int error)
{
	dma_fence_set_error(f, error);
	dma_fence_signal(f);
}

static long refs(struct dma_fence *f)
{
	return __atomic_load_n(&f->refcount.refcount, __ATOMIC_RELAXED);
}

static bool signaled(struct dma_fence *f)
{
	return dma_fence_test_signaled_flag(f);
}

static uint64_t live_bytes(void)
{
	struct resv_alloc_stats st;

	resv_rcu_barrier();
	resv_alloc_get_stats(&st);
	return st.live_bytes;
}

/* A pointer array the array fence may own, filled with new references. */
static struct dma_fence **fences_of(unsigned int n, struct dma_fence **members)
{
	struct dma_fence **fences = resv_dma_fence_array_alloc_fences(n);

	assert_non_null(fences);
	for (unsigned int i = 0; i < n; i++)
		fences[i] = dma_fence_get(members[i]);
	return fences;
}

static struct dma_fence_array *mk_array(unsigned int n, struct dma_fence **members,
					bool signal_on_any)
{
	struct dma_fence_array *array =
		dma_fence_array_create((int)n, fences_of(n, members), dma_fence_context_alloc(1),
				       1, signal_on_any);

	assert_non_null(array);
	return array;
}

static struct dma_fence *mk_chain(struct dma_fence *prev, struct dma_fence *fence, uint64_t seqno)
{
	struct dma_fence_chain *chain = dma_fence_chain_alloc();

	assert_non_null(chain);
	dma_fence_chain_init(chain, prev, fence, seqno);
	return &chain->base;
}

static void put_all(struct dma_fence **f, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		dma_fence_put(f[i]);
}

/* ---- a recording callback ----------------------------------------------------- */

struct rec_cb {
	struct dma_fence_cb cb;
	int runs;	/* atomic */
	int error;
};

static void rec_func(struct dma_fence *f, struct dma_fence_cb *cb)
{
	struct rec_cb *r = caa_container_of(cb, struct rec_cb, cb);

	r->error = f->error;
	__atomic_add_fetch(&r->runs, 1, __ATOMIC_RELAXED);
}

static int rec_runs(struct rec_cb *r)
{
	return __atomic_load_n(&r->runs, __ATOMIC_RELAXED);
}

/* ---- misuse reports --------------------------------------------------------------- */

static int misuse_reports;

static void count_reports(const struct resv_report *r, void *arg)
{
	if (r->kind == RESV_REPORT_FENCE_MISUSE)
		misuse_reports++;
}

/* ==== dma_fence_array ================================================================ */

static void test_dma_fence_array_signal_all_waits_for_every_member(void **state)
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

static void test_dma_fence_array_signal_any_and_late_callbacks(void **state)
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

static void test_dma_fence_array_first_error_propagates(void **state)
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
static void test_dma_fence_array_signals_after_member_lock_released(void **state)
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

static void test_dma_fence_array_for_each_and_match_context(void **state)
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

static void test_dma_fence_array_alloc_init_and_pointer_helpers(void **state)
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

/* ==== dma_fence_chain ================================================================ */

static void test_dma_fence_chain_init_context_rules(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(1);
	struct dma_fence *c1, *c2, *c3, *c4, *c5, *c6, *c7, *plain;
	struct dma_fence_chain *n;

	c1 = mk_chain(NULL, mk_fence(ctx, 1), 1);	/* no prev: new context */
	n = to_dma_fence_chain(c1);
	assert_non_null(n);
	assert_true(dma_fence_is_chain(c1));
	assert_null(n->prev);
	assert_int_equal(n->prev_seqno, 0);
	assert_int_equal(c1->seqno, 1);
	assert_true(c1->context > ctx);
	assert_true(c1->flags & (1UL << DMA_FENCE_FLAG_SEQNO64_BIT));
	assert_string_equal(c1->ops->get_driver_name(c1), "dma_fence_chain");

	c2 = mk_chain(dma_fence_get(c1), mk_fence(ctx, 2), 2);	/* later: same timeline */
	assert_int_equal(c2->context, c1->context);
	assert_int_equal(c2->seqno, 2);
	assert_int_equal(to_dma_fence_chain(c2)->prev_seqno, 1);
	assert_ptr_equal(to_dma_fence_chain(c2)->prev, c1);
	assert_int_equal(refs(c1), 2);

	c3 = mk_chain(dma_fence_get(c2), mk_fence(ctx, 3), 2);	/* not later: new context */
	assert_true(c3->context != c2->context && c3->context > c1->context);
	assert_int_equal(c3->seqno, 2);
	assert_int_equal(to_dma_fence_chain(c3)->prev_seqno, 0);

	c4 = mk_chain(dma_fence_get(c3), mk_fence(ctx, 4), 1);	/* earlier: seqno = max */
	assert_true(c4->context != c3->context);
	assert_int_equal(c4->seqno, 2);
	assert_int_equal(to_dma_fence_chain(c4)->prev_seqno, 0);

	/* 64-bit comparison: 5 is not later than 0xfffffff0 (it would be in 32 bits). */
	c5 = mk_chain(dma_fence_get(c4), mk_fence(ctx, 5), 0xfffffff0ULL);
	assert_int_equal(c5->context, c4->context);
	c6 = mk_chain(dma_fence_get(c5), mk_fence(ctx, 6), 5);
	assert_true(c6->context != c5->context);
	assert_int_equal(c6->seqno, 0xfffffff0ULL);

	/* A plain fence as prev: new context, seqno kept even if smaller. */
	plain = mk_fence(ctx, 100);
	c7 = mk_chain(plain, mk_fence(ctx, 7), 10);
	assert_true(c7->context != ctx);
	assert_int_equal(c7->seqno, 10);
	assert_int_equal(to_dma_fence_chain(c7)->prev_seqno, 0);

	assert_ptr_equal(dma_fence_chain_contained(plain), plain);
	assert_null(dma_fence_chain_contained(NULL));
	assert_null(to_dma_fence_chain(plain));
	assert_null(to_dma_fence_chain(NULL));
	assert_int_equal(dma_fence_chain_contained(c7)->seqno, 7);

	dma_fence_put(c1);
	dma_fence_put(c2);
	dma_fence_put(c3);
	dma_fence_put(c4);
	dma_fence_put(c5);
	dma_fence_put(c6);
	dma_fence_put(c7);
	assert_int_equal(live_bytes(), before);
}

static void test_dma_fence_chain_signals_after_all_previous(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(1);
	struct dma_fence *f[3], *c[3], *prev = NULL;
	struct rec_cb rec = { 0 };

	for (int i = 0; i < 3; i++) {
		f[i] = mk_fence(ctx, i + 1);
		c[i] = mk_chain(prev, dma_fence_get(f[i]), i + 1);
		prev = dma_fence_get(c[i]);
	}
	dma_fence_put(prev);

	assert_false(dma_fence_is_signaled(c[2]));
	assert_int_equal(dma_fence_add_callback(c[2], &rec.cb, rec_func), 0);
	dma_fence_signal(f[2]);		/* its own fence, but not the earlier ones */
	assert_false(signaled(c[2]));
	dma_fence_signal(f[0]);
	assert_false(signaled(c[2]));
	assert_true(dma_fence_is_signaled(c[0]));
	assert_false(dma_fence_is_signaled(c[1]));
	assert_int_equal(rec_runs(&rec), 0);
	dma_fence_signal(f[1]);		/* same lock as f[0], f[2]: re-arming is deferred */
	assert_true(signaled(c[2]));
	assert_int_equal(rec_runs(&rec), 1);
	assert_int_equal(dma_fence_get_status(c[2]), 1);
	assert_true(dma_fence_is_signaled(c[1]));

	put_all(c, 3);
	put_all(f, 3);
	assert_int_equal(live_bytes(), before);
}

static void test_dma_fence_chain_walk_garbage_collects(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(1);
	struct dma_fence *f[4], *c[4], *prev = NULL, *it, *plain;
	unsigned int visits;

	for (int i = 0; i < 4; i++) {
		f[i] = mk_fence(ctx, i + 1);
		c[i] = mk_chain(prev, dma_fence_get(f[i]), i + 1);
		prev = dma_fence_get(c[i]);
	}
	dma_fence_put(prev);
	/* Keep c[2] (ours + c[3]->prev); let c[0], c[1] live only through prev. */
	dma_fence_put(c[0]);
	dma_fence_put(c[1]);
	assert_int_equal(refs(c[2]), 2);

	visits = 0;
	dma_fence_chain_for_each(it, c[3]) {
		assert_int_equal(it->seqno, 4 - visits);
		visits++;
	}
	assert_int_equal(visits, 4);		/* nothing signaled: nothing skipped */

	dma_fence_signal(f[1]);
	dma_fence_signal(f[2]);
	it = dma_fence_chain_walk(dma_fence_get(c[3]));
	assert_non_null(it);
	assert_int_equal(it->seqno, 1);		/* c[2] and c[1] skipped */
	assert_ptr_equal(to_dma_fence_chain(c[3])->prev, it);	/* and unlinked */
	assert_int_equal(refs(c[2]), 1);	/* c[3] dropped its reference */
	assert_int_equal(refs(c[3]), 1);	/* walk consumed ours */
	/* c[3]->prev, c[1]->prev (c[1] lives on through c[2]), the one returned */
	assert_int_equal(refs(it), 3);
	assert_null(dma_fence_chain_walk(it));	/* c[0] is the first point */
	assert_int_equal(refs(to_dma_fence_chain(c[3])->prev), 2);

	/* A plain fence has no predecessor; the reference is consumed. */
	plain = mk_fence(ctx, 9);
	assert_null(dma_fence_chain_walk(dma_fence_get(plain)));
	assert_int_equal(refs(plain), 1);
	dma_fence_put(plain);

	dma_fence_signal(f[0]);
	visits = 0;
	dma_fence_chain_for_each(it, c[3])
		visits++;
	assert_int_equal(visits, 1);		/* the head is always visited */
	assert_null(to_dma_fence_chain(c[3])->prev);

	dma_fence_put(c[2]);
	dma_fence_put(c[3]);
	put_all(f, 4);
	assert_int_equal(live_bytes(), before);
}

static void test_dma_fence_chain_find_seqno(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(1);
	static const uint64_t points[3] = { 1, 3, 5 };
	struct dma_fence *f[3], *c[3], *prev = NULL, *it, *plain;

	for (int i = 0; i < 3; i++) {
		f[i] = mk_fence(ctx, i + 1);
		c[i] = mk_chain(prev, dma_fence_get(f[i]), points[i]);
		prev = dma_fence_get(c[i]);
	}
	dma_fence_put(prev);

	it = dma_fence_get(c[2]);
	assert_int_equal(dma_fence_chain_find_seqno(&it, 0), 0);	/* no-op */
	assert_ptr_equal(it, c[2]);
	assert_int_equal(dma_fence_chain_find_seqno(&it, 6), -EINVAL);	/* not added yet */
	assert_ptr_equal(it, c[2]);
	assert_int_equal(refs(c[2]), 2);
	plain = f[0];
	assert_int_equal(dma_fence_chain_find_seqno(&plain, 1), -EINVAL);	/* not a chain */
	assert_ptr_equal(plain, f[0]);

	assert_int_equal(dma_fence_chain_find_seqno(&it, 4), 0);	/* (3, 5] */
	assert_ptr_equal(it, c[2]);
	assert_int_equal(refs(c[2]), 2);
	dma_fence_put(it);

	for (uint64_t seqno = 1; seqno <= 5; seqno++) {
		static const int node_of[6] = { -1, 0, 1, 1, 2, 2 };

		it = dma_fence_get(c[2]);
		assert_int_equal(dma_fence_chain_find_seqno(&it, seqno), 0);
		assert_ptr_equal(it, c[node_of[seqno]]);
		dma_fence_put(it);
	}
	assert_int_equal(refs(c[2]), 1);
	assert_int_equal(refs(c[0]), 2);

	/* Already signaled point: NULL, and our reference was consumed. */
	dma_fence_signal(f[0]);
	it = dma_fence_get(c[2]);
	assert_int_equal(dma_fence_chain_find_seqno(&it, 1), 0);
	assert_null(it);
	assert_int_equal(refs(c[2]), 1);
	it = dma_fence_get(c[2]);
	assert_int_equal(dma_fence_chain_find_seqno(&it, 2), 0);	/* still pending in c[1] */
	assert_ptr_equal(it, c[1]);
	dma_fence_put(it);

	put_all(c, 3);
	put_all(f, 3);
	assert_int_equal(live_bytes(), before);
}

#define LONG_CHAIN 4096

static uint32_t lcg_next(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*seed >> 33);
}

static void shuffle(unsigned int *order, unsigned int n, uint64_t seed)
{
	for (unsigned int i = 0; i < n; i++)
		order[i] = i;
	for (unsigned int i = n - 1; i > 0; i--) {
		unsigned int j = lcg_next(&seed) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
}

/* Builds f[0..n) and a chain over them; returns the head (one reference). */
static struct dma_fence *mk_long_chain(struct dma_fence **f, unsigned int n,
				       struct resv_spinlock *locks, unsigned int nlocks)
{
	uint64_t ctx = dma_fence_context_alloc(1);
	struct dma_fence *head = NULL;

	for (unsigned int i = 0; i < n; i++) {
		f[i] = mk_fence_locked_by(&locks[i % nlocks], ctx, i + 1);
		head = mk_chain(head, dma_fence_get(f[i]), i + 1);
	}
	return head;
}

static void *put_on_small_stack(void *arg)
{
	dma_fence_put(arg);
	return NULL;
}

static void test_dma_fence_chain_4096_out_of_order(void **state)
{
	static struct dma_fence *f[LONG_CHAIN];
	static unsigned int order[LONG_CHAIN];
	uint64_t before = live_bytes(), seed = 0x5eed4096;
	struct dma_fence *head, *it;
	struct rec_cb rec = { 0 };
	unsigned int visits;
	uint64_t last;
	pthread_attr_t attr;
	pthread_t thread;

	print_message("chain seed 0x%llx\n", (unsigned long long)seed);
	head = mk_long_chain(f, LONG_CHAIN, &test_lock, 1);
	assert_int_equal(head->seqno, LONG_CHAIN);

	visits = 0;
	last = UINT64_MAX;
	dma_fence_chain_for_each(it, head) {
		assert_true(it->seqno < last);
		last = it->seqno;
		visits++;
	}
	assert_int_equal(visits, LONG_CHAIN);

	assert_int_equal(dma_fence_add_callback(head, &rec.cb, rec_func), 0);
	shuffle(order, LONG_CHAIN, seed);
	for (unsigned int i = 0; i < LONG_CHAIN; i++) {
		dma_fence_signal(f[order[i]]);
		if (i + 1 < LONG_CHAIN && (i % 256 == 0 || i + 2 == LONG_CHAIN))
			assert_false(signaled(head));
	}
	assert_true(signaled(head));
	assert_int_equal(rec_runs(&rec), 1);
	assert_int_equal(dma_fence_get_status(head), 1);

	/* Signaling and walking collected every predecessor. */
	visits = 0;
	dma_fence_chain_for_each(it, head)
		visits++;
	assert_int_equal(visits, 1);
	assert_int_equal(refs(head), 1);
	dma_fence_put(head);
	put_all(f, LONG_CHAIN);
	assert_int_equal(live_bytes(), before);

	/* Unsignaled, never walked: the release must not recurse 4096 deep. */
	head = mk_long_chain(f, LONG_CHAIN, &test_lock, 1);
	put_all(f, LONG_CHAIN);		/* the chain holds the only references */
	assert_int_equal(pthread_attr_init(&attr), 0);
	assert_int_equal(pthread_attr_setstacksize(&attr, 128 * 1024), 0);
	assert_int_equal(pthread_create(&thread, &attr, put_on_small_stack, head), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	pthread_attr_destroy(&attr);
	assert_int_equal(live_bytes(), before);
}

/* Two threads signal a chain's fences, a third walks it, main waits on the head. */
#define RACE_CHAIN 1024
#define RACE_LOCKS 4
#define RACE_PACE 8		/* signals per signaller per walk, at most */
#define RACE_ROUNDS 3

struct chain_walker {
	pthread_t thread;
	struct dma_fence *head;
	int *go;
	unsigned long walks;		/* atomic */
	unsigned long bad_order;	/* seqnos not strictly decreasing */
	unsigned long too_long;		/* more nodes than points */
	unsigned long final_visits;
};

struct chain_signaller {
	pthread_t thread;
	struct dma_fence **f;
	unsigned int first;	/* signals first, first + 2, ... in a shuffled order */
	uint64_t seed;
	int *go;
	struct chain_walker *walker;
};

static void wait_go(int *go)
{
	while (!__atomic_load_n(go, __ATOMIC_ACQUIRE))
		;
}

static void *signaller_main(void *arg)
{
	struct chain_signaller *s = arg;
	unsigned int order[RACE_CHAIN / 2];

	shuffle(order, RACE_CHAIN / 2, s->seed);
	wait_go(s->go);
	for (unsigned int i = 0; i < RACE_CHAIN / 2; i++) {
		/* Keep pace with the walker so that walks and signals interleave. */
		while (__atomic_load_n(&s->walker->walks, __ATOMIC_ACQUIRE) < i / RACE_PACE)
			sched_yield();
		dma_fence_signal(s->f[s->first + 2 * order[i]]);
	}
	return NULL;
}

static unsigned long walk_once(struct chain_walker *w)
{
	unsigned long visits = 0;
	uint64_t last = UINT64_MAX;
	struct dma_fence *it;

	dma_fence_chain_for_each(it, w->head) {
		if (it->seqno >= last)
			w->bad_order++;
		last = it->seqno;
		visits++;
	}
	if (visits > RACE_CHAIN)
		w->too_long++;
	__atomic_add_fetch(&w->walks, 1, __ATOMIC_RELEASE);
	return visits;
}

static void *walker_main(void *arg)
{
	struct chain_walker *w = arg;

	wait_go(w->go);
	while (!dma_fence_is_signaled(w->head))
		walk_once(w);
	w->final_visits = walk_once(w);
	return NULL;
}

static void chain_race_round(uint64_t seed)
{
	static struct dma_fence *f[RACE_CHAIN];
	static struct resv_spinlock locks[RACE_LOCKS];
	struct chain_signaller s[2];
	struct chain_walker w = { 0 };
	struct rec_cb rec = { 0 };
	struct dma_fence *head;
	int go = 0;

	for (int i = 0; i < RACE_LOCKS; i++)
		resv_spin_lock_init(&locks[i]);
	head = mk_long_chain(f, RACE_CHAIN, locks, RACE_LOCKS);
	assert_int_equal(dma_fence_add_callback(head, &rec.cb, rec_func), 0);

	w.head = head;
	w.go = &go;
	for (int t = 0; t < 2; t++) {
		s[t] = (struct chain_signaller){ .f = f, .first = (unsigned int)t,
						 .seed = seed + (uint64_t)t, .go = &go,
						 .walker = &w };
		assert_int_equal(pthread_create(&s[t].thread, NULL, signaller_main, &s[t]), 0);
	}
	assert_int_equal(pthread_create(&w.thread, NULL, walker_main, &w), 0);
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);

	assert_true(dma_fence_wait_timeout(head, false, 20000 * MS) > 0);
	for (int t = 0; t < 2; t++)
		assert_int_equal(pthread_join(s[t].thread, NULL), 0);
	assert_int_equal(pthread_join(w.thread, NULL), 0);

	print_message("seed 0x%llx: %lu walks\n", (unsigned long long)seed, w.walks);
	assert_true(w.walks >= RACE_CHAIN / 2 / RACE_PACE);
	assert_int_equal(w.bad_order, 0);
	assert_int_equal(w.too_long, 0);
	assert_int_equal(w.final_visits, 1);
	assert_int_equal(rec_runs(&rec), 1);
	assert_int_equal(dma_fence_get_status(head), 1);
	for (int i = 0; i < RACE_CHAIN; i++)
		assert_true(signaled(f[i]));

	dma_fence_put(head);
	put_all(f, RACE_CHAIN);
}

static void test_dma_fence_chain_concurrent_signal_and_walk(void **state)
{
	uint64_t before = live_bytes();

	for (int round = 0; round < RACE_ROUNDS; round++)
		chain_race_round(0xc0ffee00ULL + 16 * (uint64_t)round);
	assert_int_equal(live_bytes(), before);
}

/* ==== dma_fence_unwrap ================================================================ */

static void test_dma_fence_unwrap_deep_chain_of_arrays(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(3);
	struct dma_fence *f[5], *a1, *a2, *c1, *c2, *c3, *it;
	struct dma_fence_unwrap cursor;
	unsigned int n;

	f[0] = mk_fence(ctx, 1);	/* in a1 */
	f[1] = mk_fence(ctx + 1, 1);	/* in a1 */
	f[2] = mk_fence(ctx, 2);	/* in a2 */
	f[3] = mk_fence(ctx + 2, 1);	/* in a2 */
	f[4] = mk_fence(ctx + 1, 2);	/* plain, in c3 */
	a1 = &mk_array(2, &f[0], false)->base;
	a2 = &mk_array(2, &f[2], false)->base;
	c1 = mk_chain(NULL, a1, 1);
	c2 = mk_chain(c1, a2, 2);
	c3 = mk_chain(c2, dma_fence_get(f[4]), 3);	/* c3 holds the only chain refs */

	{
		struct dma_fence *expect[5] = { f[4], f[2], f[3], f[0], f[1] };

		n = 0;
		dma_fence_unwrap_for_each(it, &cursor, c3) {
			assert_true(n < 5);
			assert_ptr_equal(it, expect[n]);
			n++;
		}
		assert_int_equal(n, 5);
		assert_null(cursor.chain);
		assert_int_equal(refs(c3), 1);
	}

	/* Leaving early: the cursor holds the current node. */
	it = dma_fence_unwrap_first(c3, &cursor);
	assert_ptr_equal(it, f[4]);
	it = dma_fence_unwrap_next(&cursor);
	assert_ptr_equal(it, f[2]);
	assert_ptr_equal(cursor.chain, c2);
	assert_ptr_equal(cursor.array, a2);
	assert_int_equal(cursor.index, 0);
	assert_int_equal(refs(c2), 2);
	dma_fence_put(cursor.chain);
	assert_int_equal(refs(c2), 1);

	/* a2's members signaled: c2 is unlinked and skipped. */
	dma_fence_signal(f[2]);
	dma_fence_signal(f[3]);
	{
		struct dma_fence *expect[3] = { f[4], f[0], f[1] };

		n = 0;
		dma_fence_unwrap_for_each(it, &cursor, c3) {
			assert_true(n < 3);
			assert_ptr_equal(it, expect[n]);
			n++;
		}
		assert_int_equal(n, 3);
	}

	/* A plain fence is itself, an array its members, NULL nothing. */
	n = 0;
	dma_fence_unwrap_for_each(it, &cursor, f[0]) {
		assert_ptr_equal(it, f[0]);
		n++;
	}
	assert_int_equal(n, 1);
	n = 0;
	dma_fence_unwrap_for_each(it, &cursor, a1)
		assert_ptr_equal(it, f[n++]);
	assert_int_equal(n, 2);
	assert_null(dma_fence_unwrap_first(NULL, &cursor));

	dma_fence_put(c3);
	for (int i = 0; i < 5; i++)
		assert_int_equal(refs(f[i]), 1);
	put_all(f, 5);
	assert_int_equal(live_bytes(), before);
}

static void test_dma_fence_unwrap_merge_none_one_many(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(3);
	struct dma_fence *s1, *s2, *a1, *a2, *b1, *c1, *arr, *m;
	struct dma_fence_array *result;

	/* None pending: a private stub with the latest timestamp. */
	s1 = mk_fence(ctx, 1);
	s2 = mk_fence(ctx + 1, 1);
	dma_fence_signal_timestamp(s1, 2000);
	dma_fence_signal_timestamp(s2, 1000);
	m = dma_fence_unwrap_merge(s1, s2);
	assert_non_null(m);
	assert_true(m != s1 && m != s2);
	assert_true(signaled(m));
	assert_int_equal(m->context, 0);
	assert_int_equal(dma_fence_timestamp(m), 2000);
	assert_int_equal(refs(s1), 1);
	assert_int_equal(refs(s2), 1);
	dma_fence_put(m);

	/* Exactly one pending: that fence, with a new reference. */
	a1 = mk_fence(ctx, 2);
	m = dma_fence_unwrap_merge(s1, a1, s2);
	assert_ptr_equal(m, a1);
	assert_int_equal(refs(a1), 2);
	dma_fence_put(m);
	m = dma_fence_unwrap_merge(a1, a1);	/* counted twice, deduplicated */
	assert_ptr_equal(m, a1);
	assert_int_equal(refs(a1), 2);
	dma_fence_put(m);

	/* Two pending of one context: the later one, no array. */
	a2 = mk_fence(ctx, 3);
	m = dma_fence_unwrap_merge(a2, a1);
	assert_ptr_equal(m, a2);
	assert_int_equal(refs(a1), 1);
	assert_int_equal(refs(a2), 2);
	dma_fence_put(m);

	/* Many: a flat signal-all array of the latest per context. */
	b1 = mk_fence(ctx + 1, 2);
	c1 = mk_fence(ctx + 2, 1);
	{
		struct dma_fence *members[3] = { a2, c1, s1 };

		arr = &mk_array(3, members, false)->base;
	}
	m = dma_fence_unwrap_merge(a1, b1, arr);
	assert_non_null(m);
	result = to_dma_fence_array(m);
	assert_non_null(result);
	assert_int_equal(result->num_fences, 3);
	assert_ptr_equal(result->fences[0], a2);	/* contexts ascending */
	assert_ptr_equal(result->fences[1], b1);
	assert_ptr_equal(result->fences[2], c1);
	assert_int_equal(m->seqno, 1);
	assert_true(m->context > ctx + 2 && m->context != arr->context);
	assert_int_equal(refs(a1), 1);		/* dropped by the deduplication */
	assert_int_equal(refs(a2), 3);		/* ours, arr's, the merge's */
	assert_int_equal(refs(b1), 2);
	dma_fence_signal(b1);
	dma_fence_signal(c1);
	assert_false(dma_fence_is_signaled(m));	/* signal-all; a1 does not count */
	dma_fence_signal(a1);
	assert_false(dma_fence_is_signaled(m));
	dma_fence_signal(a2);
	assert_true(dma_fence_is_signaled(m));
	dma_fence_put(m);
	assert_int_equal(refs(b1), 1);

	dma_fence_put(arr);
	dma_fence_put(s1);
	dma_fence_put(s2);
	dma_fence_put(a1);
	dma_fence_put(a2);
	dma_fence_put(b1);
	dma_fence_put(c1);
	assert_int_equal(live_bytes(), before);
}

static void test_dma_fence_dedup_array_keeps_latest_per_context(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(4);
	struct dma_fence *a1, *a2, *a3, *b1, *b2, *c5, *w1, *wmax;
	struct dma_fence *arr[8];

	a1 = mk_fence(ctx, 1);
	a2 = mk_fence(ctx, 2);
	a3 = mk_fence(ctx, 3);
	b1 = mk_fence(ctx + 1, 1);
	b2 = mk_fence(ctx + 1, 2);
	c5 = mk_fence(ctx + 2, 5);
	{
		struct dma_fence *in[6] = { a1, b2, a3, b1, c5, a2 };

		for (int i = 0; i < 6; i++)
			arr[i] = dma_fence_get(in[i]);
	}
	assert_int_equal(dma_fence_dedup_array(arr, 6), 3);
	assert_ptr_equal(arr[0], a3);
	assert_ptr_equal(arr[1], b2);
	assert_ptr_equal(arr[2], c5);
	assert_int_equal(refs(a1), 1);
	assert_int_equal(refs(a2), 1);
	assert_int_equal(refs(b1), 1);
	assert_int_equal(refs(a3), 2);
	assert_int_equal(refs(b2), 2);
	assert_int_equal(refs(c5), 2);
	put_all(arr, 3);

	assert_int_equal(dma_fence_dedup_array(arr, 0), 0);
	arr[0] = dma_fence_get(a1);
	assert_int_equal(dma_fence_dedup_array(arr, 1), 1);
	assert_ptr_equal(arr[0], a1);
	dma_fence_put(arr[0]);

	/* 32-bit timelines wrap: seqno 1 is later than 0xffffffff. */
	w1 = mk_fence(ctx + 3, 1);
	wmax = mk_fence(ctx + 3, 0xffffffffULL);
	arr[0] = dma_fence_get(w1);
	arr[1] = dma_fence_get(wmax);
	assert_int_equal(dma_fence_dedup_array(arr, 2), 1);
	assert_ptr_equal(arr[0], w1);
	assert_int_equal(refs(wmax), 1);
	dma_fence_put(arr[0]);

	dma_fence_put(a1);
	dma_fence_put(a2);
	dma_fence_put(a3);
	dma_fence_put(b1);
	dma_fence_put(b2);
	dma_fence_put(c5);
	dma_fence_put(w1);
	dma_fence_put(wmax);
	assert_int_equal(live_bytes(), before);
}

/* ==== cross-cutting ======================================================================= */

static void test_dma_fence_container_predicates_and_nesting_reports(void **state)
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
static void test_dma_fence_containers_alloc_failure_every_site(void **state)
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dma_fence_array_signal_all_waits_for_every_member),
		cmocka_unit_test(test_dma_fence_array_signal_any_and_late_callbacks),
		cmocka_unit_test(test_dma_fence_array_first_error_propagates),
		cmocka_unit_test(test_dma_fence_array_signals_after_member_lock_released),
		cmocka_unit_test(test_dma_fence_array_for_each_and_match_context),
		cmocka_unit_test(test_dma_fence_array_alloc_init_and_pointer_helpers),
		cmocka_unit_test(test_dma_fence_chain_init_context_rules),
		cmocka_unit_test(test_dma_fence_chain_signals_after_all_previous),
		cmocka_unit_test(test_dma_fence_chain_walk_garbage_collects),
		cmocka_unit_test(test_dma_fence_chain_find_seqno),
		cmocka_unit_test(test_dma_fence_chain_4096_out_of_order),
		cmocka_unit_test(test_dma_fence_chain_concurrent_signal_and_walk),
		cmocka_unit_test(test_dma_fence_unwrap_deep_chain_of_arrays),
		cmocka_unit_test(test_dma_fence_unwrap_merge_none_one_many),
		cmocka_unit_test(test_dma_fence_dedup_array_keeps_latest_per_context),
		cmocka_unit_test(test_dma_fence_container_predicates_and_nesting_reports),
		cmocka_unit_test(test_dma_fence_containers_alloc_failure_every_site),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
