/* SPDX-License-Identifier: MIT */
/*
 * What sleeps and what does not: read_begin() during an invalidation of its
 * own range (sleeps) or of another range (does not), read_begin() of a
 * notifier inserted mid-invalidation (sleeps), remove() during an
 * invalidation (sleeps until it ends, and no callback runs after it), and
 * the misuses from inside a callback that would wait for themselves.
 */
#include "mn_test.h"

struct reader {
	struct mmu_interval_notifier *sub;
	unsigned long seq;
};

static void *read_begin_worker(void *arg)
{
	struct reader *r = arg;

	r->seq = mmu_interval_read_begin(r->sub);
	return NULL;
}

/* Wait up to @ms for @t to finish; true if it did. */
static bool finishes_within(struct mnt_thread *t, long ms)
{
	int64_t deadline = mnt_now_ns() + ms * MS;

	while (!mnt_thread_done(t)) {
		if (mnt_now_ns() > deadline)
			return false;
		mnt_sleep_ms(1);
	}
	return true;
}

void test_mmu_interval_read_begin_blocks_during_invalidation(void **state)
{
	struct resv_mm *mm = mnt_mm_new();
	struct mmu_notifier_range x;
	struct mnt_notifier a;
	struct reader r;
	struct mnt_thread t;

	mnt_notifier_init(&a);
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, 0, PG, &mnt_ops), 0);
	r.sub = &a.sub;

	mmu_notifier_range_init(&x, MMU_NOTIFY_UNMAP, 0, mm, 0, PG);
	mmu_notifier_invalidate_range_start(&x);	/* a's seq is now the mm's odd 3 */
	mnt_thread_start(&t, read_begin_worker, &r);
	mnt_sleep_ms(SETTLE_MS);
	assert_false(mnt_thread_done(&t));
	mmu_notifier_invalidate_range_end(&x);
	mnt_thread_join(&t);
	assert_int_equal(r.seq, 3);
	assert_int_equal(mnt_mm_seq(mm), 4);
	assert_false(mmu_interval_read_retry(&a.sub, r.seq));
	assert_true(mmu_interval_read_retry(&a.sub, 1));

	mmu_interval_notifier_remove(&a.sub);
	resv_mm_destroy(mm);
	mnt_notifier_fini(&a);
}

struct invalidator {
	struct resv_mm *mm;
	unsigned long start, end;
	int ret;
};

static void *invalidate_worker(void *arg)
{
	struct invalidator *inv = arg;

	inv->ret = resv_mm_invalidate_range(inv->mm, inv->start, inv->end, true, MMU_NOTIFY_CLEAR);
	return NULL;
}

void test_mmu_interval_read_begin_not_blocked_by_disjoint(void **state)
{
	struct resv_mm *mm = mnt_mm_new();
	struct mnt_notifier a, b, c;
	struct invalidator inv = { .mm = mm, .start = 0, .end = 20 * PG };
	struct mmu_notifier_range x;
	struct mnt_thread ti, tb, tc;
	struct reader rb, rc;
	bool b_done, c_done;

	mnt_notifier_init(&a);
	mnt_notifier_init(&b);
	mnt_notifier_init(&c);
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, 0, PG, &mnt_ops), 0);
	assert_int_equal(mmu_interval_notifier_insert(&b.sub, mm, 10 * PG, PG, &mnt_ops), 0);
	assert_int_equal(mmu_interval_notifier_insert(&c.sub, mm, 30 * PG, PG, &mnt_ops), 0);

	/* c's range is not being invalidated: read_begin(c) returns at once. */
	mmu_notifier_range_init(&x, MMU_NOTIFY_CLEAR, 0, mm, 0, PG);
	mmu_notifier_invalidate_range_start(&x);
	rc.sub = &c.sub;
	mnt_thread_start(&tc, read_begin_worker, &rc);
	c_done = finishes_within(&tc, TIMEOUT_MS / 2);
	mmu_notifier_invalidate_range_end(&x);
	mnt_thread_join(&tc);
	assert_true(c_done);
	assert_int_equal(rc.seq, 1);

	/*
	 * An invalidation covering a and b, held inside a's callback: b's has
	 * not run yet, so read_begin(b) does not wait and returns b's old
	 * sequence — which read_retry() then rejects once b's callback ran.
	 */
	mnt_gate_close(&a);
	mnt_thread_start(&ti, invalidate_worker, &inv);
	mnt_gate_wait_entered(&a);
	rb.sub = &b.sub;
	mnt_thread_start(&tb, read_begin_worker, &rb);
	b_done = finishes_within(&tb, TIMEOUT_MS / 2);
	mnt_gate_open(&a);
	mnt_thread_join(&ti);
	mnt_thread_join(&tb);
	assert_true(b_done);
	assert_int_equal(inv.ret, 0);
	assert_int_equal(rb.seq, 1);
	assert_int_equal(mnt_calls(&b), 1);
	assert_true(mmu_interval_read_retry(&b.sub, rb.seq));

	mmu_interval_notifier_remove(&a.sub);
	mmu_interval_notifier_remove(&b.sub);
	mmu_interval_notifier_remove(&c.sub);
	resv_mm_destroy(mm);
	mnt_notifier_fini(&a);
	mnt_notifier_fini(&b);
	mnt_notifier_fini(&c);
}

void test_mmu_interval_read_begin_waits_after_insert_during_invalidation(void **state)
{
	struct resv_mm *mm = mnt_mm_new();
	struct mmu_notifier_range x;
	struct mnt_notifier a, b;
	struct mnt_thread t;
	struct reader r;

	mnt_notifier_init(&a);
	mnt_notifier_init(&b);
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, 0, PG, &mnt_ops), 0);
	mmu_notifier_range_init(&x, MMU_NOTIFY_CLEAR, 0, mm, 0, PG);
	mmu_notifier_invalidate_range_start(&x);
	assert_int_equal(mmu_interval_notifier_insert(&b.sub, mm, 0, PG, &mnt_ops), 0);
	r.sub = &b.sub;
	mnt_thread_start(&t, read_begin_worker, &r);
	mnt_sleep_ms(SETTLE_MS);
	assert_false(mnt_thread_done(&t));
	mmu_notifier_invalidate_range_end(&x);
	mnt_thread_join(&t);
	assert_int_equal(r.seq, 3);
	assert_false(mmu_interval_read_retry(&b.sub, r.seq));

	mmu_interval_notifier_remove(&a.sub);
	mmu_interval_notifier_remove(&b.sub);
	resv_mm_destroy(mm);
	mnt_notifier_fini(&a);
	mnt_notifier_fini(&b);
}

static void *remove_worker_fn(void *arg)
{
	mmu_interval_notifier_remove(arg);
	return NULL;
}

void test_mmu_interval_remove_waits_for_invalidation(void **state)
{
	struct resv_mm *mm = mnt_mm_new();
	struct invalidator inv = { .mm = mm, .start = 0, .end = PG };
	struct mnt_thread ti, tr;
	struct mnt_notifier a;

	mnt_notifier_init(&a);
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, 0, PG, &mnt_ops), 0);
	mnt_gate_close(&a);
	mnt_thread_start(&ti, invalidate_worker, &inv);
	mnt_gate_wait_entered(&a);			/* a's callback is running */
	mnt_thread_start(&tr, remove_worker_fn, &a.sub);
	mnt_sleep_ms(SETTLE_MS);
	assert_false(mnt_thread_done(&tr));		/* waits for the invalidation */
	assert_int_equal(mnt_mm_tree_size(mm), 1);	/* removal deferred */
	mnt_gate_open(&a);
	mnt_thread_join(&ti);
	mnt_thread_join(&tr);
	assert_int_equal(inv.ret, 0);
	assert_int_equal(mnt_mm_tree_size(mm), 0);
	assert_int_equal(resv_mm_invalidate_range(mm, 0, PG, true, MMU_NOTIFY_CLEAR), 0);
	assert_int_equal(mnt_calls(&a), 1);
	resv_mm_destroy(mm);
	mnt_notifier_fini(&a);
}

struct storm {
	struct resv_mm *mm;
	int stop;	/* atomic */
	unsigned long rounds;
};

static void *storm_worker(void *arg)
{
	struct storm *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		if (resv_mm_invalidate_range(s->mm, 0, 8 * PG, true, MMU_NOTIFY_CLEAR))
			break;
		s->rounds++;
	}
	return NULL;
}

void test_mmu_interval_no_callback_after_remove(void **state)
{
	enum { N = 4, CYCLES = 300 };
	static struct mnt_notifier n[N];
	struct storm s[2] = { { .mm = NULL }, { .mm = NULL } };
	struct resv_mm *mm = mnt_mm_new();
	unsigned int late = 0, calls = 0;
	struct mnt_thread t[2];

	for (int i = 0; i < N; i++) {
		mnt_notifier_init(&n[i]);
		assert_int_equal(mmu_interval_notifier_insert(&n[i].sub, mm, i * PG, 2 * PG,
							      &mnt_ops), 0);
	}
	for (int k = 0; k < 2; k++) {
		s[k].mm = mm;
		mnt_thread_start(&t[k], storm_worker, &s[k]);
	}
	for (int c = 0; c < CYCLES; c++) {
		struct mnt_notifier *p = &n[c % N];

		mmu_interval_notifier_remove(&p->sub);
		pthread_mutex_lock(&p->gate_lock);
		p->removed = true;
		pthread_mutex_unlock(&p->gate_lock);
		if (c % 8 == 0)
			mnt_sleep_ms(1);	/* give the storm time to hit the removed range */
		pthread_mutex_lock(&p->gate_lock);
		late += p->calls_after_remove;
		calls += p->calls;
		pthread_mutex_unlock(&p->gate_lock);
		mnt_notifier_fini(p);
		mnt_notifier_init(p);
		assert_int_equal(mmu_interval_notifier_insert(&p->sub, mm, (c % N) * PG, 2 * PG,
							      &mnt_ops), 0);
	}
	for (int k = 0; k < 2; k++) {
		__atomic_store_n(&s[k].stop, 1, __ATOMIC_RELAXED);
		mnt_thread_join(&t[k]);
	}
	assert_int_equal(late, 0);
	assert_true(calls > 0);
	assert_true(s[0].rounds + s[1].rounds > 0);
	for (int i = 0; i < N; i++) {
		mmu_interval_notifier_remove(&n[i].sub);
		mnt_notifier_fini(&n[i]);
	}
	assert_int_equal(mnt_mm_active(mm), 0);
	resv_mm_destroy(mm);
}

/* Callbacks that misuse the API from inside themselves. */
static bool read_begin_inside(struct mmu_interval_notifier *sub,
			      const struct mmu_notifier_range *range, unsigned long cur_seq)
{
	mmu_interval_set_seq(sub, cur_seq);
	(void)mmu_interval_read_begin(sub);	/* own range, being invalidated */
	return true;
}

static bool remove_inside(struct mmu_interval_notifier *sub,
			  const struct mmu_notifier_range *range, unsigned long cur_seq)
{
	mmu_interval_set_seq(sub, cur_seq);
	mmu_interval_notifier_remove(sub);
	return true;
}

static const struct mmu_interval_notifier_ops read_begin_inside_ops = {
	.invalidate = read_begin_inside,
};
static const struct mmu_interval_notifier_ops remove_inside_ops = {
	.invalidate = remove_inside,
};

static void *misuse_worker(void *arg)
{
	struct resv_mm *mm = arg;
	static int ret;

	ret = resv_mm_invalidate_range(mm, 0, PG, true, MMU_NOTIFY_CLEAR);
	return ret ? mm : NULL;
}

void test_mmu_interval_misuse_from_callback_does_not_deadlock(void **state)
{
	struct mmu_interval_notifier a, b;
	struct resv_mm *mm = mnt_mm_new();
	struct mnt_thread t;

	assert_int_equal(mmu_interval_notifier_insert(&a, mm, 0, PG, &read_begin_inside_ops), 0);
	assert_int_equal(mmu_interval_notifier_insert(&b, mm, 0, PG, &remove_inside_ops), 0);
	mnt_thread_start(&t, misuse_worker, mm);
	mnt_thread_join(&t);		/* aborts the binary on a self-deadlock */
	assert_int_equal(mnt_take_reports(RESV_REPORT_MMU_NOTIFIER_MISUSE),
			 resv_report_checks_enabled() ? 2 : 0);
	/* b's removal, deferred from inside the walk, happened at its end. */
	assert_int_equal(mnt_mm_tree_size(mm), 1);
	assert_int_equal(mnt_mm_seq(mm), 4);
	mmu_interval_notifier_remove(&a);
	resv_mm_destroy(mm);
}
