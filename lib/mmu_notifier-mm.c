/* SPDX-License-Identifier: MIT */
/*
 * The address space that stands in for the kernel's mm_struct: mappings of
 * page-sized host memory blocks at virtual addresses, and the two operations
 * that take pages away from a range — unmap and migrate — which tell the
 * interval notifiers first, exactly where the kernel's munmap and page
 * migration call mmu_notifier_invalidate_range_start()/_end().
 *
 * Mappings ("vmas") live in the same interval tree as the notifiers, never
 * overlapping each other. A vma owns an array of page pointers; trimming a
 * vma at its front only moves an offset into the array, so only a split in
 * the middle allocates (a new vma for the right part), and that allocation
 * happens before the invalidation starts: once notifiers have been told,
 * nothing can fail.
 *
 * Pages taken out of a mapping are freed only after the invalidation's
 * callbacks have returned (they wait for devices still reading them), and
 * go to a per-mm pool rather than back to the allocator: a stale page
 * pointer used by a buggy driver then reads poison (debug builds) or other
 * data, deterministically wrong instead of a crash or a silent success.
 * Each page block has a hidden tail after its RESV_MM_PAGE_SIZE bytes that
 * links it into the pool, so the poison covers the whole visible page and
 * moving pages around never allocates.
 *
 * Locking: mmap_lock (writer-preferring rwlock) — map, unmap, migrate write;
 * get_pages, read, write, stats read. Every field but the notifier state is
 * protected by it.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include <urcu/compiler.h>

#include "internal/alloc.h"
#include "internal/mmu_notifier.h"
#include "internal/report.h"
#include "internal/thread.h"

#define PAGE_SIZE RESV_MM_PAGE_SIZE
#define PAGE_SHIFT RESV_MM_PAGE_SHIFT
#define PAGE_TAIL 16	/* pool link, kept out of the visible page */
#define PAGE_ALLOC_SIZE (PAGE_SIZE + PAGE_TAIL)

struct resv_mm_vma {
	struct resv_interval_tree_node node;	/* [start, last] in bytes */
	void **pages;				/* page of node.start is pages[first] */
	unsigned long first;
	unsigned long capacity;			/* entries allocated in pages */
};

static inline struct resv_mm_vma *to_vma(struct resv_interval_tree_node *node)
{
	return node ? caa_container_of(node, struct resv_mm_vma, node) : NULL;
}

static inline unsigned long vma_npages(const struct resv_mm_vma *vma)
{
	return (vma->node.last - vma->node.start + 1) >> PAGE_SHIFT;
}

static inline void **vma_slot(struct resv_mm_vma *vma, unsigned long addr)
{
	return &vma->pages[vma->first + ((addr - vma->node.start) >> PAGE_SHIFT)];
}

static void vma_free(struct resv_mm_vma *vma)
{
	resv__free(vma->pages, vma->capacity * sizeof(void *));
	resv__free(vma, sizeof(*vma));
}

/*
 * A page-aligned, non-empty range that does not wrap (an end of exactly 0
 * counts as wrapping); @len rounded up to whole pages. Returns the last byte.
 */
static int check_range(unsigned long addr, unsigned long len, unsigned long *last)
{
	unsigned long end;

	if ((addr & (PAGE_SIZE - 1)) || len == 0 || len > ULONG_MAX - (PAGE_SIZE - 1))
		return -EINVAL;
	len = (len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (__builtin_add_overflow(addr, len, &end) || end == 0)
		return -EINVAL;
	*last = end - 1;
	return 0;
}

/* ---- the page pool ------------------------------------------------------------- */

static inline void **page_link(void *page)
{
	return (void **)((char *)page + PAGE_SIZE);
}

/* Push @page on the list at @head (the pool, or a local chain). */
static inline void chain_push(void **head, void *page)
{
	*page_link(page) = *head;
	*head = page;
}

static inline void *chain_pop(void **head)
{
	void *page = *head;

	if (page)
		*head = *page_link(page);
	return page;
}

/* A page from the pool, else from the allocator; mmap_lock held for writing. */
static void *page_alloc(struct resv_mm *mm)
{
	void *page = chain_pop(&mm->free_pages);

	if (page) {
		mm->nr_free_pages--;
		return page;
	}
	return resv__malloc(PAGE_ALLOC_SIZE);
}

/* Into the pool, poisoned in debug builds; mmap_lock held for writing. */
static void page_free(struct resv_mm *mm, void *page)
{
	if (RESV_DEBUG_BUILD)
		memset(page, RESV_MM_PAGE_POISON, PAGE_SIZE);
	chain_push(&mm->free_pages, page);
	mm->nr_free_pages++;
}

static void chain_free(struct resv_mm *mm, void *chain)
{
	void *page;

	while ((page = chain_pop(&chain)))
		page_free(mm, page);
}

/*
 * @n pages chained at *@chain, or -ENOMEM with nothing taken: the pool gets
 * its pages back (still poisoned: nothing wrote them), the allocator the
 * fresh ones.
 */
static int pages_alloc(struct resv_mm *mm, unsigned long n, void **chain)
{
	unsigned long pooled = mm->nr_free_pages < n ? mm->nr_free_pages : n;

	*chain = NULL;
	for (unsigned long i = 0; i < n; i++) {
		void *page = page_alloc(mm);

		if (!page) {
			/* The chain is LIFO: the fresh pages (taken last) come off first. */
			for (unsigned long fresh = i - pooled; fresh; fresh--)
				resv__free(chain_pop(chain), PAGE_ALLOC_SIZE);
			while ((page = chain_pop(chain))) {
				chain_push(&mm->free_pages, page);
				mm->nr_free_pages++;
			}
			return -ENOMEM;
		}
		chain_push(chain, page);
	}
	return 0;
}

/* ---- create / destroy / lock ------------------------------------------------------ */

int resv_mm_create(struct resv_mm **mmp)
{
	pthread_rwlockattr_t attr;
	struct resv_mm *mm;

	if (!mmp)
		return -EINVAL;
	mm = resv__zalloc(sizeof(*mm));
	if (!mm)
		return -ENOMEM;
	/* Writers (unmap, migrate) must not starve behind a stream of faults. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&mm->mmap_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	pthread_mutex_init(&mm->register_lock, NULL);
	*mmp = mm;
	return 0;
}

void resv_mm_destroy(struct resv_mm *mm)
{
	struct resv_interval_tree_node *node;
	void *page;

	if (!mm)
		return;
	resv__mm_subscriptions_destroy(mm);
	while ((node = mm->vmas.node)) {
		struct resv_mm_vma *vma = to_vma(node);
		unsigned long n = vma_npages(vma);

		resv__itree_remove(node, &mm->vmas);
		for (unsigned long i = 0; i < n; i++)
			resv__free(vma->pages[vma->first + i], PAGE_ALLOC_SIZE);
		vma_free(vma);
	}
	while ((page = chain_pop(&mm->free_pages)))
		resv__free(page, PAGE_ALLOC_SIZE);
	pthread_mutex_destroy(&mm->register_lock);
	pthread_rwlock_destroy(&mm->mmap_lock);
	resv__free(mm, sizeof(*mm));
}

void resv_mmap_read_lock(struct resv_mm *mm)
{
	pthread_rwlock_rdlock(&mm->mmap_lock);
}

void resv_mmap_read_unlock(struct resv_mm *mm)
{
	pthread_rwlock_unlock(&mm->mmap_lock);
}

void resv_mmap_write_lock(struct resv_mm *mm)
{
	pthread_rwlock_wrlock(&mm->mmap_lock);
	resv_store_relaxed(&mm->mmap_writer, (unsigned long)resv__thread_self());
}

void resv_mmap_write_unlock(struct resv_mm *mm)
{
	resv_store_relaxed(&mm->mmap_writer, 0UL);
	pthread_rwlock_unlock(&mm->mmap_lock);
}

bool resv__mm_write_locked_by_self(struct resv_mm *mm)
{
	return resv_load_relaxed(&mm->mmap_writer) == (unsigned long)resv__thread_self();
}

void resv_mm_get_stats(struct resv_mm *mm, struct resv_mm_stats *stats)
{
	resv__mm_subscriptions_stats(mm, stats);
	resv_mmap_read_lock(mm);
	stats->mapped_pages = mm->mapped_pages;
	stats->free_pages = mm->nr_free_pages;
	resv_mmap_read_unlock(mm);
}

/* ---- map ---------------------------------------------------------------------------- */

static int map(struct resv_mm *mm, unsigned long addr, unsigned long len, const void *data)
{
	unsigned long last, n, i;
	struct resv_mm_vma *vma;
	void *chain;
	int ret;

	if (!mm)
		return -EINVAL;
	ret = check_range(addr, len, &last);
	if (ret)
		return ret;
	n = (last - addr + 1) >> PAGE_SHIFT;
	vma = resv__zalloc(sizeof(*vma));
	if (!vma)
		return -ENOMEM;
	vma->pages = resv__malloc(n * sizeof(void *));
	if (!vma->pages) {
		resv__free(vma, sizeof(*vma));
		return -ENOMEM;
	}
	vma->capacity = n;
	vma->node.start = addr;
	vma->node.last = last;

	resv_mmap_write_lock(mm);
	if (resv__itree_iter_first(&mm->vmas, addr, last)) {
		ret = -EEXIST;
		goto err_unlock;
	}
	ret = pages_alloc(mm, n, &chain);
	if (ret)
		goto err_unlock;
	for (i = 0; i < n; i++) {
		void *page = chain_pop(&chain);
		size_t off = i << PAGE_SHIFT, copy = 0;

		if (data && off < len)
			copy = len - off < PAGE_SIZE ? len - off : PAGE_SIZE;
		if (copy)
			memcpy(page, (const char *)data + off, copy);
		memset((char *)page + copy, 0, PAGE_SIZE - copy);
		vma->pages[i] = page;
	}
	resv__itree_insert(&vma->node, &mm->vmas);
	mm->mapped_pages += n;
	resv_mmap_write_unlock(mm);
	return 0;

err_unlock:
	resv_mmap_write_unlock(mm);
	vma_free(vma);
	return ret;
}

int resv_mm_map(struct resv_mm *mm, unsigned long addr, unsigned long len)
{
	return map(mm, addr, len, NULL);
}

int resv_mm_map_data(struct resv_mm *mm, unsigned long addr, unsigned long len, const void *data)
{
	return map(mm, addr, len, data);
}

/* ---- unmap -------------------------------------------------------------------------- */

/*
 * Take [start, last] (inside @vma) out of the mapping, chaining its pages on
 * @freed; @spare is the preallocated vma for a split in the middle.
 */
static void vma_cut(struct resv_mm *mm, struct resv_mm_vma *vma, unsigned long start,
		    unsigned long last, void **freed, struct resv_mm_vma **spare)
{
	unsigned long n = (last - start + 1) >> PAGE_SHIFT;

	for (unsigned long addr = start; addr < last; addr += PAGE_SIZE)
		chain_push(freed, *vma_slot(vma, addr));
	mm->mapped_pages -= n;

	resv__itree_remove(&vma->node, &mm->vmas);
	if (start == vma->node.start && last == vma->node.last) {
		vma_free(vma);
		return;
	}
	if (start != vma->node.start && last != vma->node.last) {
		/* The middle: the part after @last moves to the spare vma. */
		struct resv_mm_vma *right = *spare;

		*spare = NULL;
		right->node.start = last + 1;
		right->node.last = vma->node.last;
		right->first = 0;
		for (unsigned long i = 0; i < right->capacity; i++)
			right->pages[i] = *vma_slot(vma, right->node.start + (i << PAGE_SHIFT));
		resv__itree_insert(&right->node, &mm->vmas);
		vma->node.last = start - 1;
	} else if (start == vma->node.start) {
		vma->first += n;
		vma->node.start = last + 1;
	} else {
		vma->node.last = start - 1;
	}
	resv__itree_insert(&vma->node, &mm->vmas);
}

int resv_mm_unmap(struct resv_mm *mm, unsigned long addr, unsigned long len)
{
	struct resv_mm_vma *vma, *spare = NULL;
	struct mmu_notifier_range range;
	unsigned long last, lo, hi;
	void *freed = NULL;
	int ret;

	if (!mm)
		return -EINVAL;
	ret = check_range(addr, len, &last);
	if (ret)
		return ret;

	resv_mmap_write_lock(mm);
	vma = to_vma(resv__itree_iter_first(&mm->vmas, addr, last));
	if (!vma)
		goto out_unlock;	/* nothing mapped: nothing to tell anyone */
	lo = addr > vma->node.start ? addr : vma->node.start;
	if (vma->node.start < addr && vma->node.last > last) {
		/* One vma around the whole range: splitting it needs a new vma. */
		unsigned long n = (vma->node.last - last) >> PAGE_SHIFT;

		spare = resv__zalloc(sizeof(*spare));
		if (spare)
			spare->pages = resv__malloc(n * sizeof(void *));
		if (!spare || !spare->pages) {
			resv__free(spare, sizeof(*spare));
			ret = -ENOMEM;
			goto out_unlock;
		}
		spare->capacity = n;
	}
	/* Tell the notifiers about the mapped span only, as unmap_vmas() does. */
	for (hi = 0; vma; vma = to_vma(resv__itree_iter_next(&vma->node, addr, last)))
		hi = vma->node.last < last ? vma->node.last : last;

	mmu_notifier_range_init(&range, MMU_NOTIFY_UNMAP, MMU_NOTIFIER_RANGE_BLOCKABLE, mm, lo,
				hi + 1);
	mmu_notifier_invalidate_range_start(&range);
	while ((vma = to_vma(resv__itree_iter_first(&mm->vmas, addr, last)))) {
		unsigned long s = addr > vma->node.start ? addr : vma->node.start;
		unsigned long e = last < vma->node.last ? last : vma->node.last;

		vma_cut(mm, vma, s, e, &freed, &spare);
	}
	mmu_notifier_invalidate_range_end(&range);
	/* The callbacks have returned: no device reads these any more. */
	chain_free(mm, freed);
out_unlock:
	resv_mmap_write_unlock(mm);
	return ret;
}

/* ---- migrate, get_pages, read, write ------------------------------------------------------ */

/*
 * Call @fn on each page slot of [addr, last] in order; -EFAULT (before any
 * call) when a page is not mapped. mmap_lock held.
 */
static int for_each_slot(struct resv_mm *mm, unsigned long addr, unsigned long last,
			 void (*fn)(void **slot, unsigned long addr, void *arg), void *arg)
{
	unsigned long a = addr & ~(PAGE_SIZE - 1);
	struct resv_mm_vma *vma;

	/* Check first, so that a hole leaves everything untouched. */
	for (vma = to_vma(resv__itree_iter_first(&mm->vmas, a, last)); a <= last;
	     vma = to_vma(resv__itree_iter_next(&vma->node, a, last))) {
		if (!vma || vma->node.start > a)
			return -EFAULT;
		if (vma->node.last >= last)
			break;
		a = vma->node.last + 1;
	}
	a = addr & ~(PAGE_SIZE - 1);
	for (vma = to_vma(resv__itree_iter_first(&mm->vmas, a, last)); vma;
	     vma = to_vma(resv__itree_iter_next(&vma->node, a, last))) {
		unsigned long e = last < vma->node.last ? last : vma->node.last;

		for (; a <= e && a >= vma->node.start; a += PAGE_SIZE) {
			fn(vma_slot(vma, a), a, arg);
			if (a + PAGE_SIZE == 0)
				break;
		}
	}
	return 0;
}

struct migrate_state {
	void *fresh;	/* new pages to use */
	void *freed;	/* old pages to free */
};

static void migrate_slot(void **slot, unsigned long addr, void *arg)
{
	struct migrate_state *st = arg;
	void *page = chain_pop(&st->fresh);

	memcpy(page, *slot, PAGE_SIZE);
	chain_push(&st->freed, *slot);
	*slot = page;
}

static void count_slot(void **slot, unsigned long addr, void *arg)
{
	(*(unsigned long *)arg)++;
}

int resv_mm_migrate(struct resv_mm *mm, unsigned long addr, unsigned long len)
{
	struct migrate_state st = { NULL, NULL };
	struct mmu_notifier_range range;
	unsigned long last, n = 0;
	int ret;

	if (!mm)
		return -EINVAL;
	ret = check_range(addr, len, &last);
	if (ret)
		return ret;

	resv_mmap_write_lock(mm);
	ret = for_each_slot(mm, addr, last, count_slot, &n);	/* -EFAULT on a hole */
	if (!ret)
		ret = pages_alloc(mm, n, &st.fresh);
	if (ret)
		goto out_unlock;
	mmu_notifier_range_init(&range, MMU_NOTIFY_MIGRATE, MMU_NOTIFIER_RANGE_BLOCKABLE, mm, addr,
				last + 1);
	mmu_notifier_invalidate_range_start(&range);
	(void)for_each_slot(mm, addr, last, migrate_slot, &st);
	mmu_notifier_invalidate_range_end(&range);
	chain_free(mm, st.freed);
out_unlock:
	resv_mmap_write_unlock(mm);
	return ret;
}

struct collect_state {
	void **pages;
	unsigned long i;
};

static void collect_slot(void **slot, unsigned long addr, void *arg)
{
	struct collect_state *st = arg;

	st->pages[st->i++] = *slot;
}

int resv_mm_get_pages(struct resv_mm *mm, unsigned long start, unsigned long npages, void **pages)
{
	struct collect_state st = { pages, 0 };
	unsigned long last;
	int ret;

	if (!mm || !pages || npages == 0 || npages > (ULONG_MAX >> PAGE_SHIFT))
		return -EINVAL;
	ret = check_range(start, npages << PAGE_SHIFT, &last);
	if (ret)
		return ret;
	resv_mmap_read_lock(mm);
	ret = for_each_slot(mm, start, last, collect_slot, &st);
	resv_mmap_read_unlock(mm);
	return ret;
}

struct copy_state {
	unsigned long addr;	/* first byte */
	unsigned long last;	/* last byte */
	char *buf;
	const char *src;
};

/* The part of page @addr inside [st->addr, st->last]: offset in page and length. */
static size_t copy_window(const struct copy_state *st, unsigned long addr, size_t *off)
{
	unsigned long s = st->addr > addr ? st->addr : addr;
	unsigned long e = st->last < addr + (PAGE_SIZE - 1) ? st->last : addr + (PAGE_SIZE - 1);

	*off = s - addr;
	return e - s + 1;
}

static void read_slot(void **slot, unsigned long addr, void *arg)
{
	struct copy_state *st = arg;
	size_t off, n = copy_window(st, addr, &off);

	memcpy(st->buf + (addr + off - st->addr), (char *)*slot + off, n);
}

static void write_slot(void **slot, unsigned long addr, void *arg)
{
	struct copy_state *st = arg;
	size_t off, n = copy_window(st, addr, &off);

	memcpy((char *)*slot + off, st->src + (addr + off - st->addr), n);
}

static int mm_access(struct resv_mm *mm, unsigned long addr, size_t len, struct copy_state *st,
		  void (*fn)(void **slot, unsigned long addr, void *arg))
{
	int ret;

	if (!mm)
		return -EINVAL;
	if (len == 0)
		return 0;
	if (__builtin_add_overflow(addr, len - 1, &st->last))
		return -EFAULT;
	st->addr = addr;
	resv_mmap_read_lock(mm);
	ret = for_each_slot(mm, addr, st->last, fn, st);
	resv_mmap_read_unlock(mm);
	return ret;
}

int resv_mm_read(struct resv_mm *mm, unsigned long addr, void *buf, size_t len)
{
	struct copy_state st = { .buf = buf };

	return mm_access(mm, addr, len, &st, read_slot);
}

int resv_mm_write(struct resv_mm *mm, unsigned long addr, const void *buf, size_t len)
{
	struct copy_state st = { .src = buf };

	return mm_access(mm, addr, len, &st, write_slot);
}
