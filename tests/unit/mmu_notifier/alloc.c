/* SPDX-License-Identifier: MIT */
/*
 * Allocation failure at every allocation site: fail the Nth allocation for
 * N = 1, 2, ... until the call succeeds; each failure must be -ENOMEM with
 * the state unchanged, nothing leaked and no lock left held. The count of
 * failures is exact, so a new allocation site makes these tests fail until
 * it is covered. The paths that must never allocate (invalidation, the
 * snapshot, the check under the notifier lock) run with a failure armed.
 */
#include "mn_test.h"

static uint64_t injected(void)
{
	struct resv_alloc_stats st;

	resv_alloc_get_stats(&st);
	return st.injected_failures;
}

/* The mmap lock is free: nothing was left held by a failed call. */
static void assert_mmap_unlocked(struct resv_mm *mm)
{
	assert_int_equal(pthread_rwlock_trywrlock(&mm->mmap_lock), 0);
	pthread_rwlock_unlock(&mm->mmap_lock);
}

static struct resv_mm_stats stats(struct resv_mm *mm)
{
	struct resv_mm_stats st;

	resv_mm_get_stats(mm, &st);
	return st;
}

static long vmas(struct resv_mm *mm)
{
	return resv__itree_validate(&mm->vmas);
}

void test_mm_alloc_failure_every_site(void **state)
{
	struct resv_mm *mm = NULL, *probe;
	struct mnt_notifier a;
	void *before[8], *after[8];
	unsigned long n;
	uint64_t live;
	int ret;

	/* resv_mm_create: one allocation. */
	for (n = 1;; n++) {
		live = mnt_live_bytes();
		probe = (struct resv_mm *)0x1;
		resv_alloc_fail_nth(n);
		ret = resv_mm_create(&probe);
		resv_alloc_fail_nth(0);
		if (!ret)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_ptr_equal(probe, (struct resv_mm *)0x1);
		assert_int_equal(mnt_live_bytes(), live);
	}
	assert_int_equal(n, 2);
	mm = probe;

	/* The first insert allocates the notifier state. */
	mnt_notifier_init(&a);
	for (n = 1;; n++) {
		live = mnt_live_bytes();
		resv_alloc_fail_nth(n);
		ret = mmu_interval_notifier_insert(&a.sub, mm, 0, 8 * PG, &mnt_ops);
		resv_alloc_fail_nth(0);
		if (!ret)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(mnt_mm_seq(mm), 0);
		assert_int_equal(mnt_live_bytes(), live);
	}
	assert_int_equal(n, 2);

	/* map, with 2 pages in the pool: vma, array, then 2 fresh pages. */
	assert_int_equal(resv_mm_map(mm, 32 * PG, 2 * PG), 0);
	assert_int_equal(resv_mm_unmap(mm, 32 * PG, 2 * PG), 0);
	assert_int_equal(stats(mm).free_pages, 2);
	for (n = 1;; n++) {
		live = mnt_live_bytes();
		resv_alloc_fail_nth(n);
		ret = resv_mm_map(mm, 0, 4 * PG);
		resv_alloc_fail_nth(0);
		if (!ret)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(stats(mm).mapped_pages, 0);
		assert_int_equal(stats(mm).free_pages, 2);
		assert_int_equal(vmas(mm), 0);
		assert_int_equal(mnt_live_bytes(), live);
		assert_mmap_unlocked(mm);
	}
	assert_int_equal(n, 5);
	assert_int_equal(stats(mm).free_pages, 0);
	assert_int_equal(resv_mm_map(mm, 4 * PG, 4 * PG), 0);
	assert_int_equal(resv_mm_get_pages(mm, 0, 8, before), 0);

	/* unmap of a middle part: the split's vma and array, before any callback. */
	for (n = 1;; n++) {
		live = mnt_live_bytes();
		resv_alloc_fail_nth(n);
		ret = resv_mm_unmap(mm, 2 * PG, PG);
		resv_alloc_fail_nth(0);
		if (!ret)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(mnt_calls(&a), 0);
		assert_int_equal(stats(mm).mapped_pages, 8);
		assert_int_equal(resv_mm_get_pages(mm, 0, 8, after), 0);
		assert_memory_equal(before, after, sizeof(before));
		assert_int_equal(mnt_live_bytes(), live);
		assert_mmap_unlocked(mm);
	}
	assert_int_equal(n, 3);
	assert_int_equal(mnt_calls(&a), 1);
	assert_int_equal(vmas(mm), 3);
	assert_int_equal(stats(mm).free_pages, 1);

	/* migrate of 3 pages: one from the pool, two fresh. */
	assert_int_equal(resv_mm_get_pages(mm, 4 * PG, 3, before), 0);
	for (n = 1;; n++) {
		live = mnt_live_bytes();
		resv_alloc_fail_nth(n);
		ret = resv_mm_migrate(mm, 4 * PG, 3 * PG);
		resv_alloc_fail_nth(0);
		if (!ret)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(mnt_calls(&a), 1);
		assert_int_equal(stats(mm).free_pages, 1);
		assert_int_equal(resv_mm_get_pages(mm, 4 * PG, 3, after), 0);
		assert_memory_equal(before, after, 3 * sizeof(void *));
		assert_int_equal(mnt_live_bytes(), live);
		assert_mmap_unlocked(mm);
	}
	assert_int_equal(n, 3);
	assert_int_equal(mnt_calls(&a), 2);

	/* Never allocating: invalidations, an unmap without a split, read_begin. */
	live = injected();
	resv_alloc_fail_nth(1);
	assert_int_equal(resv_mm_invalidate_range(mm, 0, PG, true, MMU_NOTIFY_CLEAR), 0);
	assert_int_equal(resv_mm_invalidate_range(mm, 0, PG, false, MMU_NOTIFY_CLEAR), 0);
	assert_int_equal(resv_mm_unmap(mm, 0, 2 * PG), 0);
	(void)mmu_interval_read_begin(&a.sub);
	resv_alloc_fail_nth(0);
	assert_int_equal(injected(), live);
	assert_int_equal(mnt_calls(&a), 5);

	mmu_interval_notifier_remove(&a.sub);
	mnt_notifier_fini(&a);
	resv_mm_destroy(mm);
}

void test_userptr_alloc_failure_every_site(void **state)
{
	struct dma_fence *f = mnt_fence_new();
	struct resv_userptr up;
	struct dma_resv resv;
	struct resv_mm *mm = mnt_mm_new();
	unsigned long n;
	uint64_t live, inj;
	int ret;

	dma_resv_init(&resv);
	assert_int_equal(resv_mm_map(mm, 0, 4 * PG), 0);
	/* init on an mm without notifier state: the page array, then that state. */
	for (n = 1;; n++) {
		live = mnt_live_bytes();
		resv_alloc_fail_nth(n);
		ret = resv_userptr_init(&up, mm, 0, 4 * PG, NULL, &resv, NULL);
		resv_alloc_fail_nth(0);
		if (!ret)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(mnt_mm_tree_size(mm), 0);
		assert_int_equal(mnt_live_bytes(), live);
	}
	assert_int_equal(n, 3);

	/*
	 * snapshot, check, publication and the invalidate callback never
	 * allocate (the check runs under the notifier lock, the callback may
	 * run from reclaim). One page in the pool lets the migrate below
	 * allocate nothing either.
	 */
	assert_int_equal(resv_mm_map(mm, 8 * PG, PG), 0);
	assert_int_equal(resv_mm_unmap(mm, 8 * PG, PG), 0);
	assert_int_equal(dma_resv_lock(&resv, NULL), 0);
	assert_int_equal(dma_resv_reserve_fences(&resv, 1), 0);
	inj = injected();
	resv_alloc_fail_nth(1);
	assert_int_equal(resv_userptr_snapshot(&up), 0);
	resv_notifier_read_lock(up.lock);
	assert_int_equal(resv_userptr_check(&up), 0);
	dma_resv_add_fence(&resv, f, DMA_RESV_USAGE_BOOKKEEP);
	resv_notifier_read_unlock(up.lock);
	dma_resv_unlock(&resv);
	resv_alloc_fail_nth(0);
	dma_fence_signal(f);
	resv_alloc_fail_nth(1);
	assert_int_equal(resv_mm_migrate(mm, 0, PG), 0);
	assert_int_equal(resv_userptr_snapshot(&up), 0);
	resv_alloc_fail_nth(0);
	assert_int_equal(injected(), inj);
	assert_int_equal(up.stats.invalidations, 1);
	assert_int_equal(up.stats.snapshots, 2);
	dma_fence_put(f);
	resv_userptr_fini(&up);
	dma_resv_fini(&resv);
	resv_mm_destroy(mm);
}
