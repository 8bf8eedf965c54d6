/* SPDX-License-Identifier: MIT */
/*
 * The address space: map / unmap / migrate / get_pages / read / write with
 * exact errnos, which notifiers each invalidation reaches and with what
 * range, vma splitting, the page pool, and poisoning of freed pages.
 */
#include <limits.h>

#include "mn_test.h"

static long vma_tree_size(struct resv_mm *mm)
{
	long n;

	resv_mmap_read_lock(mm);
	n = resv__itree_validate(&mm->vmas);
	resv_mmap_read_unlock(mm);
	return n;
}

static struct resv_mm_stats stats(struct resv_mm *mm)
{
	struct resv_mm_stats st;

	resv_mm_get_stats(mm, &st);
	return st;
}

/* Fill @npages pages at @addr, each with the byte (tag + page index). */
static void fill(struct resv_mm *mm, unsigned long addr, unsigned long npages, int tag)
{
	static unsigned char buf[PG];

	for (unsigned long i = 0; i < npages; i++) {
		memset(buf, (tag + (int)i) & 0xff, PG);
		assert_int_equal(resv_mm_write(mm, addr + i * PG, buf, PG), 0);
	}
}

static bool page_is(const void *page, int byte)
{
	const unsigned char *p = page;

	for (unsigned long i = 0; i < PG; i++)
		if (p[i] != (unsigned char)byte)
			return false;
	return true;
}

static bool mm_page_is(struct resv_mm *mm, unsigned long addr, int byte)
{
	static unsigned char buf[PG];

	return resv_mm_read(mm, addr, buf, PG) == 0 && page_is(buf, byte);
}

void test_resv_mm_map_errors(void **state)
{
	static unsigned char data[PG + 10];
	struct resv_mm *mm = mnt_mm_new();
	unsigned char byte;

	assert_int_equal(resv_mm_create(NULL), -EINVAL);
	assert_int_equal(resv_mm_map(mm, PG + 1, PG), -EINVAL);
	assert_int_equal(resv_mm_map(mm, PG, 0), -EINVAL);
	assert_int_equal(resv_mm_map(mm, ULONG_MAX & ~(PG - 1), PG), -EINVAL);	/* ends at 2^64 */
	assert_int_equal(resv_mm_map(mm, PG, ULONG_MAX), -EINVAL);
	assert_int_equal(resv_mm_map(NULL, PG, PG), -EINVAL);
	assert_int_equal(stats(mm).mapped_pages, 0);

	assert_int_equal(resv_mm_map(mm, PG, 2 * PG), 0);
	assert_int_equal(resv_mm_map(mm, 2 * PG, 2 * PG), -EEXIST);
	assert_int_equal(resv_mm_map(mm, 0, 2 * PG), -EEXIST);
	assert_int_equal(resv_mm_map(mm, 3 * PG, PG), 0);	/* adjacent is fine */
	assert_int_equal(resv_mm_map(mm, 10 * PG, 1), 0);	/* rounded up to a page */
	assert_int_equal(resv_mm_read(mm, 11 * PG - 1, &byte, 1), 0);
	assert_int_equal(byte, 0);
	assert_int_equal(resv_mm_read(mm, 11 * PG, &byte, 1), -EFAULT);
	assert_int_equal(stats(mm).mapped_pages, 4);
	assert_int_equal(vma_tree_size(mm), 3);
	assert_true(mm_page_is(mm, PG, 0));			/* anonymous: zeroed */

	/* map_data: the copy, then zeroes to the end of the last page. */
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i % 251 + 1);
	assert_int_equal(resv_mm_map_data(mm, 20 * PG, sizeof(data), data), 0);
	{
		static unsigned char back[2 * PG];

		assert_int_equal(resv_mm_read(mm, 20 * PG, back, 2 * PG), 0);
		assert_memory_equal(back, data, sizeof(data));
		for (size_t i = sizeof(data); i < 2 * PG; i++)
			assert_int_equal(back[i], 0);
	}
	assert_int_equal(resv_mm_map_data(mm, 20 * PG, PG, data), -EEXIST);
	resv_mm_destroy(mm);
	resv_mm_destroy(NULL);
}

void test_resv_mm_read_write_across_pages(void **state)
{
	static unsigned char in[3 * PG], out[3 * PG], zero[PG];
	struct resv_mm *mm = mnt_mm_new();

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 7 + 3);
	assert_int_equal(resv_mm_map(mm, 0, 4 * PG), 0);
	assert_int_equal(resv_mm_write(mm, PG / 2, in, sizeof(in)), 0);
	assert_int_equal(resv_mm_read(mm, PG / 2, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(resv_mm_read(mm, 0, out, PG / 2), 0);
	assert_memory_equal(out, zero, PG / 2);

	/* A hole anywhere: -EFAULT, nothing copied or written. */
	memset(out, 0xee, sizeof(out));
	assert_int_equal(resv_mm_read(mm, 3 * PG, out, 2 * PG), -EFAULT);
	assert_int_equal(out[0], 0xee);
	assert_int_equal(resv_mm_write(mm, 3 * PG, zero, 2 * PG), -EFAULT);
	assert_int_equal(resv_mm_read(mm, 3 * PG, out, PG), 0);
	assert_memory_equal(out, in + 5 * PG / 2, PG / 2);
	assert_int_equal(resv_mm_read(mm, ULONG_MAX - 1, out, 4), -EFAULT);
	assert_int_equal(resv_mm_read(mm, 100 * PG, out, 0), 0);
	assert_int_equal(resv_mm_write(NULL, 0, in, 1), -EINVAL);
	resv_mm_destroy(mm);
}

void test_resv_mm_get_pages(void **state)
{
	struct resv_mm *mm = mnt_mm_new();
	void *p[6], *q[6];
	unsigned char byte;

	assert_int_equal(resv_mm_map(mm, 0, 3 * PG), 0);
	assert_int_equal(resv_mm_map(mm, 3 * PG, 3 * PG), 0);	/* second vma, adjacent */
	assert_int_equal(resv_mm_get_pages(mm, 1, 1, p), -EINVAL);
	assert_int_equal(resv_mm_get_pages(mm, 0, 0, p), -EINVAL);
	assert_int_equal(resv_mm_get_pages(mm, 0, 1, NULL), -EINVAL);
	assert_int_equal(resv_mm_get_pages(mm, PG, ULONG_MAX >> RESV_MM_PAGE_SHIFT, p), -EINVAL);
	assert_int_equal(resv_mm_get_pages(mm, 5 * PG, 2, p), -EFAULT);
	assert_int_equal(resv_mm_get_pages(mm, 10 * PG, 1, p), -EFAULT);

	assert_int_equal(resv_mm_get_pages(mm, 0, 6, p), 0);
	for (int i = 0; i < 6; i++)
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(p[i], p[j]);
	/* The pages are the memory behind the mapping, both ways. */
	memset(p[4], 0x42, PG);
	assert_true(mm_page_is(mm, 4 * PG, 0x42));
	byte = 0x17;
	assert_int_equal(resv_mm_write(mm, 2 * PG + 5, &byte, 1), 0);
	assert_int_equal(((unsigned char *)p[2])[5], 0x17);
	/* Stable while nothing invalidates. */
	assert_int_equal(resv_mm_get_pages(mm, 2 * PG, 4, q), 0);
	assert_memory_equal(q, p + 2, 4 * sizeof(void *));
	resv_mm_destroy(mm);
}

void test_resv_mm_unmap_invalidates_exact_overlaps(void **state)
{
	static const unsigned long iv[4][2] = { { 0, 2 }, { 2, 4 }, { 6, 7 }, { 20, 21 } };
	struct resv_mm *mm = mnt_mm_new();
	struct mnt_notifier n[4];
	unsigned int c[4];

	assert_int_equal(resv_mm_map(mm, 0, 8 * PG), 0);
	for (int i = 0; i < 4; i++) {
		mnt_notifier_init(&n[i]);
		assert_int_equal(mmu_interval_notifier_insert(&n[i].sub, mm, iv[i][0] * PG,
							      (iv[i][1] - iv[i][0]) * PG,
							      &mnt_ops), 0);
	}
	assert_int_equal(resv_mm_unmap(mm, PG, 2 * PG), 0);
	for (int i = 0; i < 4; i++)
		c[i] = mnt_calls(&n[i]);
	assert_int_equal(c[0], 1);
	assert_int_equal(c[1], 1);
	assert_int_equal(c[2], 0);
	assert_int_equal(c[3], 0);
	assert_int_equal(n[0].ranges[0].start, PG);
	assert_int_equal(n[0].ranges[0].end, 3 * PG);
	assert_int_equal(n[0].ranges[0].event, MMU_NOTIFY_UNMAP);
	assert_true(mmu_notifier_range_blockable(&n[0].ranges[0]));

	/* Nothing mapped there: nothing to invalidate, not even the notifier on it. */
	assert_int_equal(resv_mm_unmap(mm, 10 * PG, 20 * PG), 0);
	assert_int_equal(mnt_calls(&n[3]), 0);
	/* Unmapping again what is already gone: no callback either. */
	assert_int_equal(resv_mm_unmap(mm, PG, 2 * PG), 0);
	assert_int_equal(mnt_calls(&n[0]), 1);

	/* The range told is the mapped part, [5, 8), not [5, 12). */
	assert_int_equal(resv_mm_unmap(mm, 5 * PG, 7 * PG), 0);
	assert_int_equal(mnt_calls(&n[2]), 1);
	assert_int_equal(n[2].ranges[0].start, 5 * PG);
	assert_int_equal(n[2].ranges[0].end, 8 * PG);
	assert_int_equal(mnt_calls(&n[3]), 0);
	assert_int_equal(mnt_calls(&n[1]), 1);
	assert_int_equal(stats(mm).mapped_pages, 3);	/* pages 0, 3, 4 */

	assert_int_equal(resv_mm_unmap(mm, PG + 1, PG), -EINVAL);
	assert_int_equal(resv_mm_unmap(mm, PG, 0), -EINVAL);
	assert_int_equal(resv_mm_unmap(NULL, PG, PG), -EINVAL);
	for (int i = 0; i < 4; i++) {
		mmu_interval_notifier_remove(&n[i].sub);
		mnt_notifier_fini(&n[i]);
	}
	resv_mm_destroy(mm);
}

void test_resv_mm_unmap_splits_and_holes(void **state)
{
	struct resv_mm *mm = mnt_mm_new();
	uint64_t live;
	void *p[10];

	assert_int_equal(resv_mm_map(mm, 0, 10 * PG), 0);
	fill(mm, 0, 10, 0x10);
	assert_int_equal(resv_mm_unmap(mm, 3 * PG, 2 * PG), 0);	/* the middle */
	assert_int_equal(vma_tree_size(mm), 2);
	assert_int_equal(resv_mm_get_pages(mm, 0, 3, p), 0);
	assert_int_equal(resv_mm_get_pages(mm, 5 * PG, 5, p), 0);
	assert_int_equal(resv_mm_get_pages(mm, 2 * PG, 2, p), -EFAULT);
	assert_int_equal(resv_mm_get_pages(mm, 4 * PG, 2, p), -EFAULT);
	for (int i = 0; i < 10; i++)
		if (i < 3 || i >= 5)
			assert_true(mm_page_is(mm, i * PG, 0x10 + i));

	assert_int_equal(resv_mm_unmap(mm, 0, 1), 0);			/* front; len rounded up */
	assert_int_equal(resv_mm_unmap(mm, 9 * PG, PG), 0);		/* back */
	assert_int_equal(resv_mm_unmap(mm, 5 * PG, PG), 0);		/* front of the right vma */
	assert_int_equal(vma_tree_size(mm), 2);
	assert_int_equal(stats(mm).mapped_pages, 5);			/* 1 2 6 7 8 */
	assert_true(mm_page_is(mm, 1 * PG, 0x11));
	assert_true(mm_page_is(mm, 2 * PG, 0x12));
	assert_true(mm_page_is(mm, 6 * PG, 0x16));
	assert_true(mm_page_is(mm, 8 * PG, 0x18));
	assert_int_equal(resv_mm_get_pages(mm, 6 * PG, 4, p), -EFAULT);

	/* One unmap across both vmas and the holes around them. */
	assert_int_equal(resv_mm_unmap(mm, 0, 20 * PG), 0);
	assert_int_equal(vma_tree_size(mm), 0);
	assert_int_equal(stats(mm).mapped_pages, 0);
	assert_int_equal(stats(mm).free_pages, 10);

	/* The pool serves the next maps: no new page memory. */
	live = mnt_live_bytes();
	assert_int_equal(resv_mm_map(mm, 100 * PG, 10 * PG), 0);
	assert_int_equal(stats(mm).free_pages, 0);
	assert_true(mnt_live_bytes() - live < PG);	/* only the vma and its array */
	assert_true(mm_page_is(mm, 105 * PG, 0));	/* reused pages are zeroed */
	resv_mm_destroy(mm);
}

void test_resv_mm_migrate_moves_pages(void **state)
{
	struct resv_mm *mm = mnt_mm_new();
	void *before[4], *after[4], *again[4];
	struct mnt_notifier a;
	unsigned long seq;

	mnt_notifier_init(&a);
	assert_int_equal(resv_mm_map(mm, 0, 4 * PG), 0);
	fill(mm, 0, 4, 0x30);
	assert_int_equal(mmu_interval_notifier_insert(&a.sub, mm, PG, PG, &mnt_ops), 0);
	assert_int_equal(resv_mm_get_pages(mm, 0, 4, before), 0);
	seq = mmu_interval_read_begin(&a.sub);

	assert_int_equal(resv_mm_migrate(mm, 0, 4 * PG), 0);
	assert_int_equal(mnt_calls(&a), 1);
	assert_int_equal(a.ranges[0].event, MMU_NOTIFY_MIGRATE);
	assert_int_equal(a.ranges[0].start, 0);
	assert_int_equal(a.ranges[0].end, 4 * PG);
	assert_true(mmu_interval_read_retry(&a.sub, seq));
	assert_int_equal(resv_mm_get_pages(mm, 0, 4, after), 0);
	for (int i = 0; i < 4; i++) {
		for (int j = 0; j < 4; j++)
			assert_ptr_not_equal(after[i], before[j]);
		assert_true(mm_page_is(mm, i * PG, 0x30 + i));	/* same data, new home */
	}
	assert_int_equal(stats(mm).free_pages, 4);
	assert_int_equal(stats(mm).mapped_pages, 4);

	/* Again: the new home comes from the pool, still never the current page. */
	assert_int_equal(resv_mm_migrate(mm, PG, 2 * PG), 0);
	assert_int_equal(resv_mm_get_pages(mm, 0, 4, again), 0);
	assert_ptr_equal(again[0], after[0]);
	assert_ptr_equal(again[3], after[3]);
	assert_ptr_not_equal(again[1], after[1]);
	assert_ptr_not_equal(again[2], after[2]);
	assert_true(mm_page_is(mm, 1 * PG, 0x31));
	assert_true(mm_page_is(mm, 2 * PG, 0x32));
	assert_int_equal(mnt_calls(&a), 2);

	/* A hole: -EFAULT before anything happens. */
	assert_int_equal(resv_mm_migrate(mm, 2 * PG, 4 * PG), -EFAULT);
	assert_int_equal(mnt_calls(&a), 2);
	assert_int_equal(resv_mm_get_pages(mm, 0, 4, after), 0);
	assert_memory_equal(after, again, sizeof(again));
	assert_int_equal(resv_mm_migrate(mm, 1, PG), -EINVAL);
	assert_int_equal(resv_mm_migrate(mm, 0, 0), -EINVAL);

	mmu_interval_notifier_remove(&a.sub);
	resv_mm_destroy(mm);
	mnt_notifier_fini(&a);
}

/* Reads the first byte of a page that the invalidation is about to take away. */
struct peek {
	struct mmu_interval_notifier sub;
	unsigned char *page;
	int seen;
};

static bool peek_invalidate(struct mmu_interval_notifier *sub,
			    const struct mmu_notifier_range *range, unsigned long cur_seq)
{
	struct peek *pk = caa_container_of(sub, struct peek, sub);

	mmu_interval_set_seq(sub, cur_seq);
	pk->seen = pk->page[0];		/* still the mapped page: not freed yet */
	return true;
}

static const struct mmu_interval_notifier_ops peek_ops = { .invalidate = peek_invalidate };

void test_resv_mm_stale_pages_poisoned(void **state)
{
	struct resv_mm *mm = mnt_mm_new();
	struct peek pk = { .seen = -1 };
	void *p[2], *now[2];
	bool poison = resv_report_checks_enabled();

	assert_int_equal(resv_mm_map(mm, 0, 2 * PG), 0);
	fill(mm, 0, 2, 0x50);
	assert_int_equal(resv_mm_get_pages(mm, 0, 2, p), 0);
	assert_int_equal(mmu_interval_notifier_insert(&pk.sub, mm, 0, 2 * PG, &peek_ops), 0);

	pk.page = p[0];
	assert_int_equal(resv_mm_migrate(mm, 0, PG), 0);
	assert_int_equal(pk.seen, 0x50);		/* during the callback: intact */
	assert_int_equal(resv_mm_get_pages(mm, 0, 2, now), 0);
	assert_true(mm_page_is(mm, 0, 0x50));		/* the mm still holds the data */
	/* The stale pointer: debug builds poisoned it, in any build it is not the page. */
	assert_ptr_not_equal(now[0], p[0]);
	if (poison)
		assert_true(page_is(p[0], RESV_MM_PAGE_POISON));

	pk.page = p[1];
	pk.seen = -1;
	assert_int_equal(resv_mm_unmap(mm, PG, PG), 0);
	assert_int_equal(pk.seen, 0x51);
	if (poison)
		assert_true(page_is(p[1], RESV_MM_PAGE_POISON));
	mmu_interval_notifier_remove(&pk.sub);
	resv_mm_destroy(mm);
}

void test_resv_mm_invalidate_range_errors(void **state)
{
	struct resv_mm *mm = mnt_mm_new();

	assert_int_equal(resv_mm_invalidate_range(mm, PG, PG, true, MMU_NOTIFY_CLEAR), -EINVAL);
	assert_int_equal(resv_mm_invalidate_range(mm, PG, 0, true, MMU_NOTIFY_CLEAR), -EINVAL);
	assert_int_equal(resv_mm_invalidate_range(mm, 0, PG, true, (enum mmu_notifier_event)99),
			 -EINVAL);
	assert_int_equal(resv_mm_invalidate_range(NULL, 0, PG, true, MMU_NOTIFY_CLEAR), -EINVAL);
	/* No notifier was ever inserted: nothing to do, and no state allocated. */
	assert_int_equal(resv_mm_invalidate_range(mm, 0, PG, false, MMU_NOTIFY_CLEAR), 0);
	assert_int_equal(mnt_mm_seq(mm), 0);
	resv_mm_destroy(mm);
}
