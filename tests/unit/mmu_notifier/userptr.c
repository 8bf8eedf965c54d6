/* SPDX-License-Identifier: MIT */
/*
 * The userptr sequence validator: snapshot -> check under the notifier
 * lock -> publish, -EAGAIN when an invalidation came in between, the
 * invalidate callback waiting for BOOKKEEP fences before the mm frees the
 * pages, refusal of non-blockable invalidations, and the counters.
 */
#include "mn_test.h"

#define UP_ADDR (16 * PG)
#define UP_PAGES 4

struct env {
	struct resv_mm *mm;
	struct dma_resv resv;
	struct resv_userptr up;
};

static void env_init(struct env *e, bool map)
{
	e->mm = mnt_mm_new();
	dma_resv_init(&e->resv);
	if (map)
		assert_int_equal(resv_mm_map(e->mm, UP_ADDR, UP_PAGES * PG), 0);
	assert_int_equal(resv_userptr_init(&e->up, e->mm, UP_ADDR, UP_PAGES * PG, NULL, &e->resv,
					   NULL), 0);
}

static void env_fini(struct env *e)
{
	resv_userptr_fini(&e->up);
	dma_resv_fini(&e->resv);
	resv_mm_destroy(e->mm);
}

static struct resv_userptr_stats up_stats(struct resv_userptr *up)
{
	struct resv_userptr_stats st;

	resv_userptr_get_stats(up, &st);
	return st;
}

static int check_locked(struct resv_userptr *up)
{
	int ret;

	resv_notifier_read_lock(up->lock);
	ret = resv_userptr_check(up);
	resv_notifier_read_unlock(up->lock);
	return ret;
}

/* The exec's tail: resv lock, reserve, notifier read lock, check, publish. */
static int publish(struct resv_userptr *up, struct dma_resv *resv, struct dma_fence *fence,
		   void ***pages)
{
	int ret;

	assert_int_equal(dma_resv_lock(resv, NULL), 0);
	assert_int_equal(dma_resv_reserve_fences(resv, 1), 0);
	resv_notifier_read_lock(up->lock);
	ret = resv_userptr_check(up);
	if (!ret) {
		if (pages)
			*pages = resv_userptr_pages(up);
		dma_resv_add_fence(resv, fence, DMA_RESV_USAGE_BOOKKEEP);
	}
	resv_notifier_read_unlock(up->lock);
	dma_resv_unlock(resv);
	return ret;
}

static void fill_version(struct resv_mm *mm, int version)
{
	static unsigned char buf[UP_PAGES * PG];

	memset(buf, version, sizeof(buf));
	assert_int_equal(resv_mm_write(mm, UP_ADDR, buf, sizeof(buf)), 0);
}

static bool pages_hold(void **pages, int version)
{
	for (int i = 0; i < UP_PAGES; i++)
		for (unsigned long b = 0; b < PG; b += 97)
			if (((unsigned char *)pages[i])[b] != (unsigned char)version)
				return false;
	return true;
}

void test_userptr_init_errors(void **state)
{
	struct resv_mm *mm = mnt_mm_new();
	struct resv_userptr up;
	struct dma_resv resv;
	uint64_t live;

	dma_resv_init(&resv);
	live = mnt_live_bytes();
	assert_int_equal(resv_userptr_init(NULL, mm, 0, PG, NULL, &resv, NULL), -EINVAL);
	assert_int_equal(resv_userptr_init(&up, NULL, 0, PG, NULL, &resv, NULL), -EINVAL);
	assert_int_equal(resv_userptr_init(&up, mm, 0, PG, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(resv_userptr_init(&up, mm, 1, PG, NULL, &resv, NULL), -EINVAL);
	assert_int_equal(resv_userptr_init(&up, mm, 0, 0, NULL, &resv, NULL), -EOVERFLOW);
	assert_int_equal(resv_userptr_init(&up, mm, ~0UL & ~(PG - 1), PG, NULL, &resv, NULL),
			 -EOVERFLOW);
	assert_int_equal(resv_userptr_init(&up, mm, 0, ~0UL, NULL, &resv, NULL), -EOVERFLOW);
	assert_int_equal(mnt_live_bytes(), live);

	/* len rounds up; no snapshot yet: repin needed, check fails. */
	assert_int_equal(resv_userptr_init(&up, mm, PG, PG + 1, NULL, &resv, NULL), 0);
	assert_int_equal(up.npages, 2);
	assert_int_equal(up.notifier.interval_tree.start, PG);
	assert_int_equal(up.notifier.interval_tree.last, 3 * PG - 1);
	assert_ptr_equal(up.lock, &up.own_lock);
	assert_true(resv_userptr_needs_repin(&up));
	assert_int_equal(check_locked(&up), -EAGAIN);
	assert_int_equal(up_stats(&up).retries, 1);
	resv_userptr_fini(&up);
	dma_resv_fini(&resv);
	resv_mm_destroy(mm);
}

void test_userptr_snapshot_and_check(void **state)
{
	struct env e;
	void *pages[UP_PAGES];
	struct resv_userptr_stats st;

	env_init(&e, true);
	fill_version(e.mm, 7);
	assert_int_equal(resv_userptr_snapshot(&e.up), 0);
	assert_false(resv_userptr_needs_repin(&e.up));
	assert_int_equal(check_locked(&e.up), 0);
	assert_int_equal(resv_mm_get_pages(e.mm, UP_ADDR, UP_PAGES, pages), 0);
	assert_memory_equal(resv_userptr_pages(&e.up), pages, sizeof(pages));
	assert_true(pages_hold(resv_userptr_pages(&e.up), 7));

	/* Still current: nothing collected again. */
	assert_int_equal(resv_userptr_snapshot(&e.up), 0);
	st = up_stats(&e.up);
	assert_int_equal(st.snapshots, 1);
	assert_int_equal(st.snapshot_skips, 1);
	assert_int_equal(st.retries, 0);
	assert_int_equal(st.invalidations, 0);
	/* An invalidation elsewhere in the mm changes nothing. */
	assert_int_equal(resv_mm_invalidate_range(e.mm, 0, UP_ADDR, true, MMU_NOTIFY_CLEAR), 0);
	assert_int_equal(check_locked(&e.up), 0);
	env_fini(&e);
}

void test_userptr_invalidation_between_snapshot_and_check(void **state)
{
	static unsigned char v2[UP_PAGES * PG];
	struct dma_fence *f1 = mnt_fence_new(), *f2 = mnt_fence_new();
	void **pages = NULL;
	struct resv_userptr_stats st;
	struct env e;

	env_init(&e, true);
	fill_version(e.mm, 1);
	assert_int_equal(resv_userptr_snapshot(&e.up), 0);
	/* munmap + mmap of new contents between the snapshot and the exec's check. */
	assert_int_equal(resv_mm_unmap(e.mm, UP_ADDR, UP_PAGES * PG), 0);
	memset(v2, 2, sizeof(v2));
	assert_int_equal(resv_mm_map_data(e.mm, UP_ADDR, sizeof(v2), v2), 0);
	assert_true(resv_userptr_needs_repin(&e.up));
	assert_int_equal(publish(&e.up, &e.resv, f1, &pages), -EAGAIN);
	assert_null(pages);
	assert_true(dma_resv_test_signaled(&e.resv, DMA_RESV_USAGE_BOOKKEEP));	/* nothing published */

	/* The retry: a new snapshot, which sees the new data. */
	assert_int_equal(resv_userptr_snapshot(&e.up), 0);
	assert_int_equal(publish(&e.up, &e.resv, f2, &pages), 0);
	assert_non_null(pages);
	assert_true(pages_hold(pages, 2));
	st = up_stats(&e.up);
	assert_int_equal(st.snapshots, 2);
	assert_int_equal(st.retries, 1);
	assert_int_equal(st.invalidations, 1);
	assert_int_equal(st.waits, 0);
	dma_fence_signal(f2);
	dma_fence_put(f1);
	dma_fence_put(f2);
	env_fini(&e);
}

struct unmapper {
	struct resv_mm *mm;
	int ret;
	unsigned int order;
};

static unsigned int order_counter;	/* atomic: who came first */

static void *unmap_worker(void *arg)
{
	struct unmapper *u = arg;

	u->ret = resv_mm_unmap(u->mm, UP_ADDR, UP_PAGES * PG);
	u->order = __atomic_add_fetch(&order_counter, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

void test_userptr_invalidate_waits_for_bookkeep_fence(void **state)
{
	struct dma_fence *f = mnt_fence_new();
	struct unmapper u;
	struct mnt_thread t;
	unsigned int signal_order;
	void *old[UP_PAGES];
	void **pages;
	struct env e;

	env_init(&e, true);
	fill_version(e.mm, 9);
	assert_int_equal(resv_userptr_snapshot(&e.up), 0);
	assert_int_equal(publish(&e.up, &e.resv, f, &pages), 0);
	memcpy(old, pages, sizeof(old));

	u.mm = e.mm;
	mnt_thread_start(&t, unmap_worker, &u);
	/* The callback counts its wait before it blocks: wait for that (bounded). */
	for (int64_t deadline = mnt_now_ns() + TIMEOUT_MS * MS; !up_stats(&e.up).waits;) {
		assert_true(mnt_now_ns() < deadline);
		mnt_sleep_ms(1);
	}
	mnt_sleep_ms(SETTLE_MS);
	/* The "GPU" still reads: the unmap waits, the pages are intact. */
	assert_false(mnt_thread_done(&t));
	assert_true(pages_hold(old, 9));
	assert_int_equal(up_stats(&e.up).invalidations, 1);
	assert_int_equal(up_stats(&e.up).waits, 1);

	signal_order = __atomic_add_fetch(&order_counter, 1, __ATOMIC_SEQ_CST);
	dma_fence_signal(f);
	mnt_thread_join(&t);
	assert_int_equal(u.ret, 0);
	assert_true(u.order > signal_order);
	if (resv_report_checks_enabled())
		assert_true(pages_hold(old, RESV_MM_PAGE_POISON));	/* freed only now */
	assert_int_equal(check_locked(&e.up), -EAGAIN);
	assert_int_equal(resv_userptr_snapshot(&e.up), -EFAULT);	/* gone */
	dma_fence_put(f);
	env_fini(&e);
}

void test_userptr_nonblock_busy_refuses(void **state)
{
	struct dma_fence *f = mnt_fence_new();
	struct resv_userptr_stats st;
	struct env e;

	env_init(&e, true);
	assert_int_equal(resv_userptr_snapshot(&e.up), 0);
	assert_int_equal(publish(&e.up, &e.resv, f, NULL), 0);

	/* A fence pending: refuse, change nothing. */
	assert_int_equal(resv_mm_invalidate_range(e.mm, UP_ADDR, UP_ADDR + PG, false,
						  MMU_NOTIFY_CLEAR), -EAGAIN);
	st = up_stats(&e.up);
	assert_int_equal(st.busy, 1);
	assert_int_equal(st.invalidations, 0);
	assert_false(resv_userptr_needs_repin(&e.up));
	assert_int_equal(check_locked(&e.up), 0);

	/* The notifier lock contended: refuse too (trylock). */
	dma_fence_signal(f);
	resv_notifier_write_lock(e.up.lock);
	assert_int_equal(resv_mm_invalidate_range(e.mm, UP_ADDR, UP_ADDR + PG, false,
						  MMU_NOTIFY_CLEAR), -EAGAIN);
	resv_notifier_write_unlock(e.up.lock);
	assert_int_equal(up_stats(&e.up).busy, 2);
	assert_int_equal(check_locked(&e.up), 0);

	/* Idle and free: a non-blockable invalidation goes through. */
	assert_int_equal(resv_mm_invalidate_range(e.mm, UP_ADDR, UP_ADDR + PG, false,
						  MMU_NOTIFY_CLEAR), 0);
	st = up_stats(&e.up);
	assert_int_equal(st.invalidations, 1);
	assert_int_equal(st.waits, 0);
	assert_true(resv_userptr_needs_repin(&e.up));
	assert_int_equal(check_locked(&e.up), -EAGAIN);
	dma_fence_put(f);
	env_fini(&e);
}

struct snapper {
	struct resv_userptr *up;
	int ret;
};

static void *snapshot_worker(void *arg)
{
	struct snapper *s = arg;

	s->ret = resv_userptr_snapshot(s->up);
	return NULL;
}

void test_userptr_snapshot_faults_and_retries(void **state)
{
	struct resv_userptr_stats st;
	bool saw_retry = false;
	unsigned int rounds;
	struct env e;

	env_init(&e, false);
	assert_int_equal(resv_userptr_snapshot(&e.up), -EFAULT);
	assert_true(resv_userptr_needs_repin(&e.up));
	assert_int_equal(up_stats(&e.up).snapshots, 0);
	assert_int_equal(resv_mm_map(e.mm, UP_ADDR, (UP_PAGES - 1) * PG), 0);
	assert_int_equal(resv_userptr_snapshot(&e.up), -EFAULT);	/* last page missing */
	assert_int_equal(resv_mm_map(e.mm, UP_ADDR + (UP_PAGES - 1) * PG, PG), 0);
	assert_int_equal(resv_userptr_snapshot(&e.up), 0);

	/*
	 * An invalidation while the snapshot collects: the snapshot thread
	 * blocks in get_pages on the mmap lock we hold, we invalidate (no mmap
	 * lock needed), it installs nothing stale and collects again. Whether
	 * it had passed read_begin before the invalidation is up to timing,
	 * so try a few times; every outcome must leave a current snapshot.
	 */
	for (rounds = 0; rounds < 5 && !saw_retry; rounds++) {
		struct snapper s = { &e.up, -1 };
		struct mnt_thread t;
		uint64_t before;

		assert_int_equal(resv_mm_invalidate_range(e.mm, UP_ADDR, UP_ADDR + PG, true,
							  MMU_NOTIFY_CLEAR), 0);
		before = up_stats(&e.up).snapshot_retries;
		resv_mmap_write_lock(e.mm);
		mnt_thread_start(&t, snapshot_worker, &s);
		mnt_sleep_ms(SETTLE_MS);
		assert_int_equal(resv_mm_invalidate_range(e.mm, UP_ADDR, UP_ADDR + PG, true,
							  MMU_NOTIFY_CLEAR), 0);
		resv_mmap_write_unlock(e.mm);
		mnt_thread_join(&t);
		assert_int_equal(s.ret, 0);
		assert_int_equal(check_locked(&e.up), 0);
		saw_retry = up_stats(&e.up).snapshot_retries == before + 1;
	}
	assert_true(saw_retry);
	st = up_stats(&e.up);
	assert_int_equal(st.invalidations, 2 * rounds);
	assert_int_equal(st.snapshots, 1 + rounds);	/* one install per round */
	assert_int_equal(st.snapshot_retries, 1);
	assert_int_equal(st.snapshot_skips, 0);
	env_fini(&e);
}

void test_userptr_check_without_lock_reported(void **state)
{
	struct env e;

	env_init(&e, true);
	assert_int_equal(resv_userptr_snapshot(&e.up), 0);
	assert_int_equal(resv_userptr_check(&e.up), 0);
	assert_int_equal(mnt_take_reports(RESV_REPORT_MMU_NOTIFIER_MISUSE),
			 resv_report_checks_enabled() ? 1 : 0);
	resv_notifier_write_lock(e.up.lock);
	assert_int_equal(resv_userptr_check(&e.up), 0);		/* write mode counts too */
	resv_notifier_write_unlock(e.up.lock);
	assert_int_equal(mnt_take_reports(RESV_REPORT_MMU_NOTIFIER_MISUSE), 0);
	env_fini(&e);
}

struct hook_log {
	unsigned int calls;
	bool lock_held;
	unsigned long start, end;
};

static struct hook_log hook_log;

static void hook_invalidate(struct resv_userptr *up, const struct mmu_notifier_range *range)
{
	hook_log.calls++;
	hook_log.lock_held = up->lock->writer == (unsigned long)resv_thread_self();
	hook_log.start = range->start;
	hook_log.end = range->end;
}

static const struct resv_userptr_ops hook_ops = { .invalidate = hook_invalidate };

void test_userptr_shared_lock_and_ops(void **state)
{
	struct resv_notifier_lock lock;
	struct resv_userptr a, b;
	struct dma_resv resv;
	struct resv_mm *mm = mnt_mm_new();

	memset(&hook_log, 0, sizeof(hook_log));
	resv_notifier_lock_init(&lock);
	dma_resv_init(&resv);
	assert_int_equal(resv_mm_map(mm, 0, 8 * PG), 0);
	assert_int_equal(resv_userptr_init(&a, mm, 0, 4 * PG, &lock, &resv, &hook_ops), 0);
	assert_int_equal(resv_userptr_init(&b, mm, 4 * PG, 4 * PG, &lock, &resv, NULL), 0);
	assert_ptr_equal(a.lock, &lock);
	assert_ptr_equal(b.lock, &lock);
	assert_int_equal(resv_userptr_snapshot(&a), 0);
	assert_int_equal(resv_userptr_snapshot(&b), 0);

	/* One exec checks both under one hold of the shared lock. */
	resv_notifier_read_lock(&lock);
	assert_true(resv_notifier_lock_held(&lock));
	assert_int_equal(resv_userptr_check(&a), 0);
	assert_int_equal(resv_userptr_check(&b), 0);
	resv_notifier_read_unlock(&lock);
	assert_false(resv_notifier_lock_held(&lock));

	assert_int_equal(resv_mm_migrate(mm, 3 * PG, 2 * PG), 0);	/* straddles both */
	assert_int_equal(hook_log.calls, 1);
	assert_true(hook_log.lock_held);
	assert_int_equal(hook_log.start, 3 * PG);
	assert_int_equal(hook_log.end, 5 * PG);
	assert_true(resv_userptr_needs_repin(&a));
	assert_true(resv_userptr_needs_repin(&b));

	resv_userptr_fini(&a);
	resv_userptr_fini(&b);
	dma_resv_fini(&resv);
	resv_notifier_lock_fini(&lock);
	resv_mm_destroy(mm);
}
