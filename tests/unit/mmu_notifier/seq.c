/* SPDX-License-Identifier: MIT */
/*
 * The sequence protocol of kernel-api.md §6.2, single-threaded: invalidations
 * are held open with mmu_notifier_invalidate_range_start()/_end() so every
 * intermediate state can be inspected (the mm's sequence is internal state,
 * read through the harness).
 */
#include <limits.h>
#include <sched.h>

#include "mn_test.h"

static void range_start(struct mmu_notifier_range *r, struct resv_mm *mm, unsigned long start,
			unsigned long end)
{
	mmu_notifier_range_init(r, MMU_NOTIFY_CLEAR, 0, mm, start, end);
	mmu_notifier_invalidate_range_start(r);
}

void test_mmu_interval_seq_starts_even_insert_gets_odd(void **state)
{
	struct resv_mm *mm = mnt_mm_new();
	struct mnt_notifier a, b;
	struct resv_mm_stats st;

	mnt_notifier_init(&a);
	mnt_notifier_init(&b);
	assert_int_equal(mnt_mm_seq(mm), 0);	/* no notifier state before the first insert */

	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, PG, PG, &mnt_ops), 0);
	assert_int_equal(mnt_mm_seq(mm), 2);
	assert_int_equal(a.sub.invalidate_seq, 1);	/* mm seq - 1: odd, never current */
	assert_int_equal(a.sub.interval_tree.start, PG);
	assert_int_equal(a.sub.interval_tree.last, 2 * PG - 1);
	assert_ptr_equal(a.sub.mm, mm);
	assert_int_equal(mmu_interval_read_begin(&a.sub), 1);
	assert_false(mmu_interval_read_retry(&a.sub, 1));

	/* An overlapping invalidation: cur_seq 3, then idle at 4. */
	assert_int_equal(resv_mm_invalidate_range(mm, 0, PG + 1, true, MMU_NOTIFY_CLEAR), 0);
	assert_int_equal(mnt_calls(&a), 1);
	assert_int_equal(a.last_seq, 3);
	assert_int_equal(mnt_mm_seq(mm), 4);
	assert_int_equal(a.sub.invalidate_seq, 3);
	assert_true(mmu_interval_read_retry(&a.sub, 1));
	assert_int_equal(mmu_interval_read_begin(&a.sub), 3);

	/* A disjoint one leaves everything alone: the sequence stays even. */
	assert_int_equal(resv_mm_invalidate_range(mm, 2 * PG, 3 * PG, true, MMU_NOTIFY_CLEAR), 0);
	assert_int_equal(mnt_calls(&a), 1);
	assert_int_equal(mnt_mm_seq(mm), 4);

	/* A later insert gets the new mm seq - 1. */
	assert_int_equal(mmu_interval_notifier_insert(&b.sub, mm, 8 * PG, PG, &mnt_ops), 0);
	assert_int_equal(b.sub.invalidate_seq, 3);
	resv_mm_get_stats(mm, &st);
	assert_int_equal(st.notifiers, 2);
	assert_int_equal(st.invalidations, 1);
	assert_int_equal(st.callbacks, 1);

	mmu_interval_notifier_remove(&a.sub);
	mmu_interval_notifier_remove(&b.sub);
	assert_int_equal(mnt_mm_tree_size(mm), 0);
	resv_mm_destroy(mm);
	mnt_notifier_fini(&a);
	mnt_notifier_fini(&b);
}

void test_mmu_interval_insert_bad_ranges(void **state)
{
	static const struct mmu_interval_notifier_ops no_invalidate = { NULL };
	struct resv_mm *mm = mnt_mm_new();
	struct mnt_notifier a;
	struct resv_mm_stats st;

	mnt_notifier_init(&a);
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, PG, 0, &mnt_ops), -EOVERFLOW);
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, ULONG_MAX - 10, 12, &mnt_ops),
			 -EOVERFLOW);
	/* Ending exactly at 2^64 wraps to 0: also an overflow, as in the kernel. */
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, ULONG_MAX - 10, 11, &mnt_ops),
			 -EOVERFLOW);
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, ULONG_MAX, 1, &mnt_ops),
			 -EOVERFLOW);
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, PG, PG, NULL), -EINVAL);
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, PG, PG, &no_invalidate), -EINVAL);
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, NULL, PG, PG, &mnt_ops), -EINVAL);
	assert_int_equal(mmu_interval_notifier_insert(NULL, mm, PG, PG, &mnt_ops), -EINVAL);
	resv_mmap_write_lock(mm);
	assert_int_equal(mmu_interval_notifier_insert_locked(&a.sub, mm, PG, 0, &mnt_ops),
			 -EOVERFLOW);
	resv_mmap_write_unlock(mm);
	resv_mm_get_stats(mm, &st);
	assert_int_equal(st.notifiers, 0);
	assert_int_equal(mnt_mm_tree_size(mm), 0);

	/* The largest range that fits: [ULONG_MAX - 10, ULONG_MAX - 1]. */
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, ULONG_MAX - 10, 10, &mnt_ops), 0);
	assert_int_equal(a.sub.interval_tree.last, ULONG_MAX - 1);
	assert_int_equal(resv_mm_invalidate_range(mm, ULONG_MAX - 1, ULONG_MAX, true,
						  MMU_NOTIFY_CLEAR), 0);
	assert_int_equal(mnt_calls(&a), 1);
	mmu_interval_notifier_remove(&a.sub);
	resv_mm_destroy(mm);
	mnt_notifier_fini(&a);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

void test_mmu_interval_read_retry_iff_set_seq(void **state)
{
	struct resv_mm *mm = mnt_mm_new();
	struct mnt_notifier a;
	unsigned long seq;
	uint64_t s = 0x1234567;

	mnt_notifier_init(&a);
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, 4 * PG, 4 * PG, &mnt_ops), 0);

	/* A callback that does not call set_seq leaves read_retry false: "iff". */
	a.skip_set_seq = true;
	seq = mmu_interval_read_begin(&a.sub);
	assert_int_equal(resv_mm_invalidate_range(mm, 4 * PG, 5 * PG, true, MMU_NOTIFY_CLEAR), 0);
	assert_int_equal(mnt_calls(&a), 1);
	assert_false(mmu_interval_read_retry(&a.sub, seq));
	assert_false(mmu_interval_check_retry(&a.sub, seq));
	a.skip_set_seq = false;

	/* Random interleavings: retry is true iff an overlapping invalidation ran. */
	for (int iter = 0; iter < 500; iter++) {
		bool expect = false;
		int k = rnd(&s) % 4;

		seq = mmu_interval_read_begin(&a.sub);
		for (int i = 0; i < k; i++) {
			unsigned long start = (rnd(&s) % 12) * PG;
			unsigned long end = start + (1 + rnd(&s) % 3) * PG;

			expect |= start < 8 * PG && end > 4 * PG;
			assert_int_equal(resv_mm_invalidate_range(mm, start, end, rnd(&s) % 2,
								  MMU_NOTIFY_CLEAR), 0);
		}
		assert_int_equal(mmu_interval_read_retry(&a.sub, seq), expect);
		assert_int_equal(mmu_interval_check_retry(&a.sub, seq), expect);
		assert_true(mnt_mm_seq(mm) % 2 == 0);
	}

	/* set_seq by hand is what retry detects. */
	seq = mmu_interval_read_begin(&a.sub);
	mmu_interval_set_seq(&a.sub, seq + 2);
	assert_true(mmu_interval_read_retry(&a.sub, seq));
	mmu_interval_notifier_remove(&a.sub);
	resv_mm_destroy(mm);
	mnt_notifier_fini(&a);
}

struct inv_loop {
	struct resv_mm *mm;
	int stop;	/* atomic */
	unsigned long rounds;
};

static void *invalidate_loop(void *arg)
{
	struct inv_loop *l = arg;

	while (!__atomic_load_n(&l->stop, __ATOMIC_RELAXED)) {
		if (resv_mm_invalidate_range(l->mm, 0, PG, true, MMU_NOTIFY_CLEAR))
			break;
		__atomic_add_fetch(&l->rounds, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

void test_mmu_interval_check_retry_never_false_negative(void **state)
{
	struct resv_mm *mm = mnt_mm_new();
	struct inv_loop l = { .mm = mm };
	unsigned long fp = 0, mismatch = 0, retries = 0;
	struct mnt_thread t;
	struct mnt_notifier a;

	mnt_notifier_init(&a);
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, 0, PG, &mnt_ops), 0);
	mnt_thread_start(&t, invalidate_loop, &l);
	/* At least 20000 checks and 2000 invalidations racing them (bounded). */
	int64_t deadline = mnt_now_ns() + TIMEOUT_MS / 2 * MS;

	for (int i = 0; i < 20000 || (__atomic_load_n(&l.rounds, __ATOMIC_RELAXED) < 2000 &&
				      mnt_now_ns() < deadline); i++) {
		unsigned long seq = mmu_interval_read_begin(&a.sub);
		bool early, r, c;

		if (i % 4 == 0)
			sched_yield();	/* "collect the pages": widen the window */
		early = mmu_interval_check_retry(&a.sub, seq);

		/* gate_lock is the "driver lock": the callback sets the seq under it. */
		pthread_mutex_lock(&a.gate_lock);
		r = mmu_interval_read_retry(&a.sub, seq);
		c = mmu_interval_check_retry(&a.sub, seq);
		pthread_mutex_unlock(&a.gate_lock);
		fp += early && !r;	/* a hint of "retry" that the lock denies */
		mismatch += c != r;	/* under the lock both are exact */
		retries += r;
	}
	__atomic_store_n(&l.stop, 1, __ATOMIC_RELAXED);
	mnt_thread_join(&t);
	assert_int_equal(fp, 0);
	assert_int_equal(mismatch, 0);
	assert_true(l.rounds >= 2000);
	assert_true(retries > 0);
	mmu_interval_notifier_remove(&a.sub);
	resv_mm_destroy(mm);
	mnt_notifier_fini(&a);
}

void test_mmu_interval_invalidate_exact_overlaps(void **state)
{
	/* Overlapping notifiers: [0,4) [2,6) [6,7) [3,4) pages, and one far away. */
	static const unsigned long iv[5][2] = { { 0, 4 }, { 2, 6 }, { 6, 7 }, { 3, 4 }, { 100, 101 } };
	static const struct {
		unsigned long start, end;	/* bytes */
		unsigned int hit;		/* bit i: notifier i called */
	} cases[] = {
		{ 0, 1, 0x01 },
		{ 2 * PG - 1, 2 * PG, 0x01 },
		{ 2 * PG, 2 * PG + 1, 0x03 },
		{ 3 * PG, 4 * PG, 0x0b },
		{ 4 * PG, 6 * PG, 0x02 },		/* [0,4) ends just before */
		{ 6 * PG - 1, 6 * PG + 1, 0x06 },
		{ 7 * PG, 100 * PG, 0x00 },		/* the gap: nobody */
		{ 0, 101 * PG, 0x1f },
	};
	struct resv_mm *mm = mnt_mm_new();
	struct mnt_notifier n[5];

	for (int i = 0; i < 5; i++) {
		mnt_notifier_init(&n[i]);
		assert_int_equal(mmu_interval_notifier_insert(&n[i].sub, mm, iv[i][0] * PG,
							      (iv[i][1] - iv[i][0]) * PG,
							      &mnt_ops), 0);
	}
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		unsigned int before[5];

		for (int i = 0; i < 5; i++)
			before[i] = mnt_calls(&n[i]);
		assert_int_equal(resv_mm_invalidate_range(mm, cases[c].start, cases[c].end, true,
							  MMU_NOTIFY_PROTECTION_PAGE), 0);
		for (int i = 0; i < 5; i++) {
			bool hit = (cases[c].hit >> i) & 1;

			assert_int_equal(mnt_calls(&n[i]) - before[i], hit);
			if (hit) {
				const struct mmu_notifier_range *r = &n[i].ranges[n[i].nranges - 1];

				assert_ptr_equal(r->mm, mm);
				assert_int_equal(r->start, cases[c].start);
				assert_int_equal(r->end, cases[c].end);
				assert_int_equal(r->event, MMU_NOTIFY_PROTECTION_PAGE);
				assert_true(mmu_notifier_range_blockable(r));
				assert_null(r->owner);
			}
		}
	}
	for (int i = 0; i < 5; i++) {
		mmu_interval_notifier_remove(&n[i].sub);
		mnt_notifier_fini(&n[i]);
	}
	resv_mm_destroy(mm);
}

void test_mmu_interval_concurrent_ranges_share_odd_seq(void **state)
{
	struct mmu_notifier_range x, y;
	struct resv_mm *mm = mnt_mm_new();
	struct mnt_notifier a, b;

	mnt_notifier_init(&a);
	mnt_notifier_init(&b);
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, 0, PG, &mnt_ops), 0);
	assert_int_equal(mmu_interval_notifier_insert(&b.sub, mm, PG, PG, &mnt_ops), 0);

	range_start(&x, mm, 0, PG);
	assert_int_equal(mnt_mm_seq(mm), 3);
	range_start(&y, mm, 0, 2 * PG);
	/* One odd phase for both: the same cur_seq everywhere. */
	assert_int_equal(mnt_mm_seq(mm), 3);
	assert_int_equal(mnt_mm_active(mm), 2);
	assert_int_equal(mnt_calls(&a), 2);
	assert_int_equal(mnt_calls(&b), 1);
	assert_int_equal(a.last_seq, 3);
	assert_int_equal(b.last_seq, 3);
	mmu_notifier_invalidate_range_end(&x);
	assert_int_equal(mnt_mm_seq(mm), 3);	/* y still in progress */
	assert_int_equal(mnt_mm_active(mm), 1);
	mmu_notifier_invalidate_range_end(&y);
	assert_int_equal(mnt_mm_seq(mm), 4);
	assert_int_equal(mnt_mm_active(mm), 0);
	/* end is idempotent on a range it already ended. */
	mmu_notifier_invalidate_range_end(&y);
	assert_int_equal(mnt_mm_active(mm), 0);

	mmu_interval_notifier_remove(&a.sub);
	mmu_interval_notifier_remove(&b.sub);
	resv_mm_destroy(mm);
	mnt_notifier_fini(&a);
	mnt_notifier_fini(&b);
}

void test_mmu_interval_insert_during_invalidation_deferred(void **state)
{
	struct mmu_notifier_range x, y;
	struct resv_mm *mm = mnt_mm_new();
	struct mnt_notifier a, b;
	struct resv_mm_stats st;

	mnt_notifier_init(&a);
	mnt_notifier_init(&b);
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, 0, 4 * PG, &mnt_ops), 0);
	range_start(&x, mm, 0, PG);
	assert_int_equal(mnt_mm_seq(mm), 3);

	/* Inserted mid-walk: inherits the odd seq, joins the tree only at the end. */
	assert_int_equal(mmu_interval_notifier_insert(&b.sub, mm, 0, 2 * PG, &mnt_ops), 0);
	assert_int_equal(b.sub.invalidate_seq, 3);
	assert_int_equal(mnt_mm_tree_size(mm), 1);
	resv_mm_get_stats(mm, &st);
	assert_int_equal(st.notifiers, 2);
	range_start(&y, mm, 0, PG);		/* a second invalidation does not see b */
	assert_int_equal(mnt_calls(&a), 2);
	assert_int_equal(mnt_calls(&b), 0);
	mmu_notifier_invalidate_range_end(&y);
	assert_int_equal(mnt_mm_tree_size(mm), 1);
	mmu_notifier_invalidate_range_end(&x);
	assert_int_equal(mnt_mm_tree_size(mm), 2);
	assert_int_equal(mnt_mm_seq(mm), 4);

	/* Now idle: read_begin does not wait, and b is invalidated like any other. */
	assert_int_equal(mmu_interval_read_begin(&b.sub), 3);
	assert_false(mmu_interval_read_retry(&b.sub, 3));
	assert_int_equal(resv_mm_invalidate_range(mm, PG, 2 * PG, true, MMU_NOTIFY_CLEAR), 0);
	assert_int_equal(mnt_calls(&b), 1);
	assert_int_equal(b.last_seq, 5);
	assert_true(mmu_interval_read_retry(&b.sub, 3));

	mmu_interval_notifier_remove(&a.sub);
	mmu_interval_notifier_remove(&b.sub);
	resv_mm_destroy(mm);
	mnt_notifier_fini(&a);
	mnt_notifier_fini(&b);
}

void test_mmu_interval_insert_during_nonoverlapping_invalidation(void **state)
{
	struct mmu_notifier_range x;
	struct resv_mm *mm = mnt_mm_new();
	struct mnt_notifier a, b;

	mnt_notifier_init(&a);
	mnt_notifier_init(&b);
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, 0, PG, &mnt_ops), 0);
	range_start(&x, mm, 10 * PG, 11 * PG);	/* active, but overlaps nobody */
	assert_int_equal(mnt_mm_seq(mm), 2);
	assert_int_equal(mnt_mm_active(mm), 1);

	/*
	 * The kernel's rule: nobody walks the tree, so insert at once, but mark
	 * the mm invalidating so the newcomer's read_begin waits for the end of
	 * the invalidation already in progress (it may be about its range).
	 */
	assert_int_equal(mmu_interval_notifier_insert(&b.sub, mm, 10 * PG, PG, &mnt_ops), 0);
	assert_int_equal(mnt_mm_seq(mm), 3);
	assert_int_equal(b.sub.invalidate_seq, 3);
	assert_int_equal(mnt_mm_tree_size(mm), 2);
	mmu_notifier_invalidate_range_end(&x);
	assert_int_equal(mnt_mm_seq(mm), 4);
	assert_int_equal(mnt_calls(&b), 0);
	assert_int_equal(mmu_interval_read_begin(&b.sub), 3);

	mmu_interval_notifier_remove(&a.sub);
	mmu_interval_notifier_remove(&b.sub);
	resv_mm_destroy(mm);
	mnt_notifier_fini(&a);
	mnt_notifier_fini(&b);
}

static void *remove_worker(void *arg)
{
	mmu_interval_notifier_remove(arg);
	return NULL;
}

void test_mmu_interval_remove_during_invalidation_of_deferred_insert(void **state)
{
	struct mmu_notifier_range x;
	struct resv_mm *mm = mnt_mm_new();
	struct mnt_notifier a, b;
	struct mnt_thread t;
	struct resv_mm_stats st;

	mnt_notifier_init(&a);
	mnt_notifier_init(&b);
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, 0, PG, &mnt_ops), 0);
	range_start(&x, mm, 0, PG);
	assert_int_equal(mmu_interval_notifier_insert(&b.sub, mm, 0, PG, &mnt_ops), 0);
	/* Never made it into the tree: removing it just cancels the insert, no wait. */
	mnt_thread_start(&t, remove_worker, &b.sub);
	mnt_thread_join(&t);
	resv_mm_get_stats(mm, &st);
	assert_int_equal(st.notifiers, 1);
	mmu_notifier_invalidate_range_end(&x);
	assert_int_equal(mnt_mm_tree_size(mm), 1);
	assert_int_equal(resv_mm_invalidate_range(mm, 0, PG, true, MMU_NOTIFY_CLEAR), 0);
	assert_int_equal(mnt_calls(&b), 0);

	mmu_interval_notifier_remove(&a.sub);
	resv_mm_destroy(mm);
	mnt_notifier_fini(&a);
	mnt_notifier_fini(&b);
}

void test_mmu_interval_nonblock_false_is_eagain_no_side_effects(void **state)
{
	struct resv_mm *mm = mnt_mm_new();
	struct mnt_notifier a, b;
	struct mmu_notifier_range r;
	struct resv_mm_stats st;
	void *before[4], *after[4];
	unsigned long seq_a, seq_b;

	mnt_notifier_init(&a);
	mnt_notifier_init(&b);
	assert_int_equal(resv_mm_map(mm, 0, 4 * PG), 0);
	assert_int_equal(resv_mm_get_pages(mm, 0, 4, before), 0);
	a.refuse_nonblock = true;
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, 0, 2 * PG, &mnt_ops), 0);
	assert_int_equal(mmu_interval_notifier_insert(&b.sub, mm, PG, 2 * PG, &mnt_ops), 0);
	seq_a = mmu_interval_read_begin(&a.sub);
	seq_b = mmu_interval_read_begin(&b.sub);

	assert_int_equal(resv_mm_invalidate_range(mm, 0, 4 * PG, false, MMU_NOTIFY_CLEAR), -EAGAIN);
	/* a (first by start) refused: b never called, nobody's seq moved, mm idle. */
	assert_int_equal(mnt_calls(&a), 1);
	assert_false(mmu_notifier_range_blockable(&a.ranges[0]));
	assert_int_equal(mnt_calls(&b), 0);
	assert_false(mmu_interval_read_retry(&a.sub, seq_a));
	assert_false(mmu_interval_read_retry(&b.sub, seq_b));
	assert_int_equal(mnt_mm_seq(mm) % 2, 0);
	assert_int_equal(mnt_mm_active(mm), 0);
	assert_int_equal(resv_mm_get_pages(mm, 0, 4, after), 0);
	assert_memory_equal(before, after, sizeof(before));
	resv_mm_get_stats(mm, &st);
	assert_int_equal(st.nonblock_failures, 1);

	/* The raw call, same contract; BLOCKABLE is cleared even if set. */
	mmu_notifier_range_init(&r, MMU_NOTIFY_CLEAR, MMU_NOTIFIER_RANGE_BLOCKABLE, mm, 0, PG);
	assert_int_equal(mmu_notifier_invalidate_range_start_nonblock(&r), -EAGAIN);
	assert_false(mmu_notifier_range_blockable(&r));
	assert_int_equal(mnt_mm_active(mm), 0);

	/* Nobody refuses: a non-blockable invalidation succeeds. */
	a.refuse_nonblock = false;
	assert_int_equal(resv_mm_invalidate_range(mm, 0, 4 * PG, false, MMU_NOTIFY_CLEAR), 0);
	assert_true(mmu_interval_read_retry(&a.sub, seq_a));
	assert_true(mmu_interval_read_retry(&b.sub, seq_b));
	assert_false(mmu_notifier_range_blockable(&b.ranges[0]));
	assert_int_equal(mnt_mm_seq(mm) % 2, 0);

	mmu_interval_notifier_remove(&a.sub);
	mmu_interval_notifier_remove(&b.sub);
	resv_mm_destroy(mm);
	mnt_notifier_fini(&a);
	mnt_notifier_fini(&b);
}

void test_mmu_interval_blockable_false_reported_and_ignored(void **state)
{
	struct resv_mm *mm = mnt_mm_new();
	struct mnt_notifier a, b;

	mnt_notifier_init(&a);
	mnt_notifier_init(&b);
	a.refuse_always = true;
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, 0, PG, &mnt_ops), 0);
	assert_int_equal(mmu_interval_notifier_insert(&b.sub, mm, 0, PG, &mnt_ops), 0);
	assert_int_equal(resv_mm_invalidate_range(mm, 0, PG, true, MMU_NOTIFY_CLEAR), 0);
	assert_int_equal(mnt_calls(&a), 1);
	assert_int_equal(mnt_calls(&b), 1);	/* the walk went on */
	assert_int_equal(mnt_take_reports(RESV_REPORT_MMU_NOTIFIER_MISUSE),
			 resv_report_checks_enabled() ? 1 : 0);
	assert_int_equal(mnt_mm_seq(mm), 4);

	mmu_interval_notifier_remove(&a.sub);
	mmu_interval_notifier_remove(&b.sub);
	resv_mm_destroy(mm);
	mnt_notifier_fini(&a);
	mnt_notifier_fini(&b);
}

void test_mmu_interval_insert_locked_needs_mmap_lock(void **state)
{
	struct resv_mm *mm = mnt_mm_new();
	struct mnt_notifier a, b;

	mnt_notifier_init(&a);
	mnt_notifier_init(&b);
	resv_mmap_write_lock(mm);
	assert_int_equal(mmu_interval_notifier_insert_locked(&a.sub, mm, 0, PG, &mnt_ops), 0);
	resv_mmap_write_unlock(mm);
	assert_int_equal(mnt_take_reports(RESV_REPORT_MMU_NOTIFIER_MISUSE), 0);

	assert_int_equal(mmu_interval_notifier_insert_locked(&b.sub, mm, 0, PG, &mnt_ops), 0);
	assert_int_equal(mnt_take_reports(RESV_REPORT_MMU_NOTIFIER_MISUSE),
			 resv_report_checks_enabled() ? 1 : 0);
	assert_int_equal(mnt_mm_tree_size(mm), 2);

	mmu_interval_notifier_remove(&a.sub);
	mmu_interval_notifier_remove(&b.sub);
	resv_mm_destroy(mm);
	mnt_notifier_fini(&a);
	mnt_notifier_fini(&b);
}
