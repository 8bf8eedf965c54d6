/* SPDX-License-Identifier: MIT */
/*
 * dma_resv: reservation objects, after the kernel's drivers/dma-buf/dma-resv.c
 * (semantics), written for userspace on liburcu (see <resv/rcu.h>).
 *
 * The fence list
 * --------------
 * obj->fences points to a struct dma_resv_list published with release
 * semantics (rcu_assign_pointer); readers load it with acquire inside an
 * RCU read-side section. Each table entry is a fence pointer with the
 * usage in its low two bits. Writers (lock held) change a list in two ways
 * only:
 * - replace an entry in place (add_fence recycling a slot, replace_fences):
 *   one atomic store; a concurrent reader sees the old or the new fence;
 * - append: store the entry, then release-store num_fences + 1.
 * Anything else (growing, compacting, copy_fences) builds a new list,
 * publishes it and frees the old one after a grace period. Readers notice
 * the new list and restart. Each list carries a generation number from its
 * object, so a reader also notices a new list that happens to reuse the old
 * one's address (the kernel's bare pointer compare cannot).
 *
 * Fences dropped from a list are put at once: their memory is freed after a
 * grace period too, so a reader may still try dma_fence_get_rcu() on them;
 * when that fails (reference count already zero) the reader restarts, and
 * by then the writer has published a list without the fence.
 *
 * capacity vs max_fences: capacity is what was allocated (needed to free
 * the list through the sized allocator); max_fences is how many slots the
 * current reservation allows. They are equal except in debug builds, where
 * unlock lowers max_fences to num_fences (the kernel's
 * dma_resv_reset_max_fences()) and the next reserve restores it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <resv/dma-resv.h>

#include <resv/dma-fence-array.h>

#include "internal/alloc.h"
#include "internal/compiler.h"
#include "internal/dma-resv.h"
#include "internal/lockdep.h"
#include "internal/report.h"

DEFINE_WD_CLASS(reservation_ww_class);

/* Lists never grow beyond this many entries (keeps sizes in 32 bits). */
#define DMA_RESV_LIST_LIMIT (1U << 28)

_Static_assert(_Alignof(struct dma_fence) > DMA_RESV_LIST_MASK,
	       "fence pointers need two free low bits for the usage");

/* ---- list helpers ------------------------------------------------------------ */

static size_t list_size(uint32_t capacity)
{
	return offsetof(struct dma_resv_list, table) + (size_t)capacity * sizeof(uintptr_t);
}

static struct dma_resv_list *list_alloc(uint32_t capacity)
{
	struct dma_resv_list *list = resv__zalloc(list_size(capacity));

	if (!list)
		return NULL;
	list->capacity = capacity;
	list->max_fences = capacity;
	return list;
}

static void list_free_rcu(struct resv_rcu_head *head)
{
	struct dma_resv_list *list = caa_container_of(head, struct dma_resv_list, rcu);

	resv__free(list, list_size(list->capacity));
}

static void list_entry(const struct dma_resv_list *list, unsigned int index,
		       struct dma_fence **fence, enum dma_resv_usage *usage)
{
	uintptr_t v = resv_load_acquire(&list->table[index]);

	*fence = (struct dma_fence *)(v & ~DMA_RESV_LIST_MASK);
	if (usage)
		*usage = (enum dma_resv_usage)(v & DMA_RESV_LIST_MASK);
}

/* Release: a reader that loads the entry sees the initialised fence. */
static void list_set(struct dma_resv_list *list, unsigned int index,
		     struct dma_fence *fence, enum dma_resv_usage usage)
{
	resv_store_release(&list->table[index], (uintptr_t)fence | (uintptr_t)usage);
}

/* Drop the list's fence references and free it after a grace period. */
static void list_free(struct dma_resv_list *list)
{
	struct dma_fence *fence;

	if (!list)
		return;
	for (unsigned int i = 0; i < list->num_fences; i++) {
		list_entry(list, i, &fence, NULL);
		dma_fence_put(fence);
	}
	resv_call_rcu(&list->rcu, list_free_rcu);
}

/* The current list, for readers (inside an RCU section) and for writers. */
static struct dma_resv_list *fences_list(struct dma_resv *obj)
{
	return resv_load_acquire(&obj->fences);
}

/* Writer: give @list the next generation and publish it. */
static void list_publish(struct dma_resv *obj, struct dma_resv_list *list)
{
	if (list)
		list->generation = ++obj->generation;
	resv_store_release(&obj->fences, list);
}

/* ---- life and locking -------------------------------------------------------- */

void dma_resv_init(struct dma_resv *obj)
{
	ww_mutex_init(&obj->lock, &reservation_ww_class);
	obj->fences = NULL;
	obj->generation = 0;
}

void dma_resv_fini(struct dma_resv *obj)
{
	/* No users left: nobody can see the list any more. */
	list_free(obj->fences);
	obj->fences = NULL;
	ww_mutex_destroy(&obj->lock);
}

/* The _at entry points let the lock validator record our caller as the site. */
int dma_resv_lock(struct dma_resv *obj, struct ww_acquire_ctx *ctx)
{
	return resv__ww_mutex_lock_at(&obj->lock, ctx, false, RESV_LOCKDEP_IP());
}

int dma_resv_lock_interruptible(struct dma_resv *obj, struct ww_acquire_ctx *ctx)
{
	return resv__ww_mutex_lock_at(&obj->lock, ctx, true, RESV_LOCKDEP_IP());
}

void dma_resv_lock_slow(struct dma_resv *obj, struct ww_acquire_ctx *ctx)
{
	(void)resv__ww_mutex_lock_slow_at(&obj->lock, ctx, false, RESV_LOCKDEP_IP());
}

int dma_resv_lock_slow_interruptible(struct dma_resv *obj, struct ww_acquire_ctx *ctx)
{
	return resv__ww_mutex_lock_slow_at(&obj->lock, ctx, true, RESV_LOCKDEP_IP());
}

bool dma_resv_trylock(struct dma_resv *obj)
{
	return resv__ww_mutex_trylock_at(&obj->lock, NULL, RESV_LOCKDEP_IP());
}

bool dma_resv_is_locked(struct dma_resv *obj)
{
	return ww_mutex_is_locked(&obj->lock);
}

struct ww_acquire_ctx *dma_resv_locking_ctx(struct dma_resv *obj)
{
	return resv_ww_mutex_ctx(&obj->lock);
}

bool dma_resv_held(struct dma_resv *obj)
{
	return resv_ww_mutex_held_by_self(&obj->lock);
}

/* Exact: the owner word names the holder. The validator adds what we hold. */
static void assert_held(struct dma_resv *obj, const char *func)
{
	if (RESV_DEBUG_ON(!dma_resv_held(obj))) {
		char *held = resv_lockdep_held_text();

		resv__report_detail(RESV_REPORT_RESV_NOT_HELD, obj, dma_resv_locking_ctx(obj), held,
				    "%s: dma_resv %p not locked by this thread", func, (void *)obj);
		free(held);
	}
}

void dma_resv_assert_held(struct dma_resv *obj)
{
	assert_held(obj, __func__);
}

/*
 * Every function below that needs the lock starts with this, as in the
 * kernel; inside this file it also names the caller in the report.
 */
#define dma_resv_assert_held(obj) assert_held((obj), __func__)

void dma_resv_unlock(struct dma_resv *obj)
{
	if (RESV_DEBUG_BUILD && dma_resv_held(obj)) {
		struct dma_resv_list *list = obj->fences;

		/* The kernel's dma_resv_reset_max_fences(): the reservation ends here. */
		if (list)
			list->max_fences = list->num_fences;
	}
	ww_mutex_unlock(&obj->lock);
}

void resv__dma_resv_slots(struct dma_resv *obj, unsigned int *num, unsigned int *max,
			  unsigned int *capacity)
{
	struct dma_resv_list *list = obj->fences;

	*num = list ? list->num_fences : 0;
	*max = list ? list->max_fences : 0;
	*capacity = list ? list->capacity : 0;
}

/* ---- writers ------------------------------------------------------------------ */

static uint32_t roundup_pow_of_two(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* dma_resv_reserve_fences() without the checks; also add_fence's fallback. */
static int reserve_fences(struct dma_resv *obj, unsigned int num_fences)
{
	struct dma_resv_list *old = obj->fences, *new;
	uint32_t old_num = old ? old->num_fences : 0;
	uint32_t i, j, k, max;
	uint64_t want = (uint64_t)old_num + num_fences;
	struct dma_fence *fence;
	enum dma_resv_usage usage;

	if (old && want <= old->capacity) {
		old->max_fences = old->capacity;	/* re-arms a debug unlock's reset */
		return 0;
	}
	if (want > DMA_RESV_LIST_LIMIT)
		return -ENOMEM;
	if (old && old->capacity)
		max = want > 2ULL * old->capacity ? (uint32_t)want : 2 * old->capacity;
	else
		max = num_fences > 4 ? roundup_pow_of_two(num_fences) : 4;

	new = list_alloc(max);
	if (!new)
		return -ENOMEM;

	/*
	 * The references move with the entries. Signaled fences are not
	 * carried over; park them at the tail and put them once the new list
	 * is visible (readers of the old list may still look at them).
	 */
	for (i = 0, j = 0, k = max; i < old_num; i++) {
		list_entry(old, i, &fence, &usage);
		if (dma_fence_is_signaled(fence))
			new->table[--k] = (uintptr_t)fence;
		else
			list_set(new, j++, fence, usage);
	}
	new->num_fences = j;
	list_publish(obj, new);

	if (!old)
		return 0;
	for (i = k; i < max; i++) {
		dma_fence_put((struct dma_fence *)new->table[i]);
		new->table[i] = 0;
	}
	resv_call_rcu(&old->rcu, list_free_rcu);
	return 0;
}

int dma_resv_reserve_fences(struct dma_resv *obj, unsigned int num_fences)
{
	dma_resv_assert_held(obj);

	/* 0 usually means the caller's fence count calculation is wrong. */
	if (!num_fences) {
		if (RESV_DEBUG_BUILD)
			resv__report(RESV_REPORT_FENCE_MISUSE, obj, NULL,
				     "dma_resv_reserve_fences: reserving 0 fences");
		return -EINVAL;
	}
	return reserve_fences(obj, num_fences);
}

/*
 * add_fence found no reserved slot. The kernel BUG()s; we report, then use
 * spare allocated slots or grow, so the caller's state stays consistent.
 */
static struct dma_resv_list *add_fence_no_slot(struct dma_resv *obj, struct dma_fence *fence)
{
	struct dma_resv_list *list = obj->fences;

	resv__report(RESV_REPORT_FENCE_MISUSE, obj, NULL,
		     "dma_resv_add_fence: fence %llu:%llu added without a reserved slot",
		     (unsigned long long)fence->context, (unsigned long long)fence->seqno);
	if (list && list->num_fences < list->capacity)
		return list;
	if (reserve_fences(obj, 1)) {
		fprintf(stderr, "libresv: BUG: dma_resv_add_fence without a reserved slot, "
				"and the list cannot grow\n");
		abort();
	}
	return obj->fences;
}

/*
 * dma_fence_is_later_or_same() for two fences of one context, without its
 * calls: add_fence asks it of nearly every submission.
 */
static inline bool same_context_later_or_same(struct dma_fence *f1, struct dma_fence *f2)
{
	if (f1 == f2)
		return true;
	if (resv_load_relaxed(&f1->flags) & (1UL << DMA_FENCE_FLAG_SEQNO64_BIT))
		return f1->seqno > f2->seqno;
	/* 32-bit timelines wrap, as __dma_fence_is_later() says. */
	return (int32_t)((uint32_t)f1->seqno - (uint32_t)f2->seqno) > 0;
}

/* dma_fence_is_signaled(), answered from the flag when it is set already. */
static inline bool fence_signaled(struct dma_fence *fence)
{
	return (resv_load_acquire(&fence->flags) & (1UL << DMA_FENCE_FLAG_SIGNALED_BIT)) ||
	       dma_fence_is_signaled(fence);
}

void dma_resv_add_fence(struct dma_resv *obj, struct dma_fence *fence,
			enum dma_resv_usage usage)
{
	struct dma_resv_list *list;
	struct dma_fence *old;
	enum dma_resv_usage old_usage;
	unsigned int i, count;

	dma_resv_assert_held(obj);
	/* dma_fence_get() inline: the caller's reference keeps it alive. */
	__atomic_add_fetch(&fence->refcount.refcount, 1, __ATOMIC_RELAXED);

	/* Add the members of a container one by one instead. */
	if (RESV_DEBUG_ON(dma_fence_is_container(fence)))
		resv__report(RESV_REPORT_FENCE_MISUSE, obj, NULL,
			     "dma_resv_add_fence: fence %llu:%llu is a container",
			     (unsigned long long)fence->context,
			     (unsigned long long)fence->seqno);

	list = obj->fences;
	count = list ? list->num_fences : 0;
	for (i = 0; i < count; i++) {
		list_entry(list, i, &old, &old_usage);
		if ((old->context == fence->context && old_usage >= usage &&
		     same_context_later_or_same(fence, old)) ||
		    fence_signaled(old)) {
			list_set(list, i, fence, usage);
			dma_fence_put(old);
			return;
		}
	}

	if (unlikely(!list || count >= list->max_fences)) {
		list = add_fence_no_slot(obj, fence);
		count = list->num_fences;
	}
	list_set(list, count, fence, usage);
	/* The entry must be visible before the count that covers it. */
	resv_store_release(&list->num_fences, count + 1);
}

void dma_resv_replace_fences(struct dma_resv *obj, uint64_t context,
			     struct dma_fence *replacement, enum dma_resv_usage usage)
{
	struct dma_resv_list *list;
	struct dma_fence *old;

	dma_resv_assert_held(obj);

	list = obj->fences;
	for (unsigned int i = 0; list && i < list->num_fences; i++) {
		list_entry(list, i, &old, NULL);
		if (old->context != context)
			continue;
		list_set(list, i, dma_fence_get(replacement), usage);
		dma_fence_put(old);
	}
}

/* ---- unlocked iterator ------------------------------------------------------------ */

static bool iter_list_changed(const struct dma_resv_iter *cursor)
{
	struct dma_resv_list *cur = fences_list(cursor->obj);

	/* Inside the RCU section, so cur's generation is safe to read. */
	return cur != cursor->fences || (cur && cur->generation != cursor->generation);
}

static void iter_restart_unlocked(struct dma_resv_iter *cursor)
{
	struct dma_resv_list *list = fences_list(cursor->obj);

	cursor->index = 0;
	cursor->fences = list;
	cursor->generation = list ? list->generation : 0;
	cursor->num_fences = list ? resv_load_acquire(&list->num_fences) : 0;
	cursor->is_restarted = true;
}

/* Advance to the next unsignaled fence of a wanted usage, holding a reference. */
static void iter_walk_unlocked(struct dma_resv_iter *cursor)
{
	struct dma_fence *fence;

	for (;;) {
		if (cursor->fence) {
			dma_fence_put(cursor->fence);
			cursor->fence = NULL;
		}
		if (!cursor->fences || cursor->index >= cursor->num_fences)
			return;

		list_entry(cursor->fences, cursor->index++, &fence, &cursor->fence_usage);
		if (cursor->fence_usage > cursor->usage)
			continue;	/* filtered without touching the fence */
		/*
		 * Signaled stays signaled, and fence memory outlives the RCU
		 * section, so skip these before taking a reference: readers
		 * then write no shared cache line for them (the kernel takes
		 * the reference first; the result is the same).
		 */
		if (dma_fence_test_signaled_flag(fence))
			continue;
		cursor->fence = dma_fence_get_rcu(fence);
		if (!cursor->fence) {
			/* Dying: a writer dropped it and published a newer state. */
			iter_restart_unlocked(cursor);
			continue;
		}
		if (!dma_fence_is_signaled(cursor->fence))
			return;
	}
}

struct dma_fence *dma_resv_iter_first_unlocked(struct dma_resv_iter *cursor)
{
	resv_rcu_read_lock();
	do {
		iter_restart_unlocked(cursor);
		iter_walk_unlocked(cursor);
	} while (iter_list_changed(cursor));
	resv_rcu_read_unlock();
	return cursor->fence;
}

struct dma_fence *dma_resv_iter_next_unlocked(struct dma_resv_iter *cursor)
{
	bool restart;

	resv_rcu_read_lock();
	cursor->is_restarted = false;
	restart = iter_list_changed(cursor);
	do {
		if (restart)
			iter_restart_unlocked(cursor);
		iter_walk_unlocked(cursor);
		restart = true;
	} while (iter_list_changed(cursor));
	resv_rcu_read_unlock();
	return cursor->fence;
}

void dma_resv_iter_end(struct dma_resv_iter *cursor)
{
	dma_fence_put(cursor->fence);
	cursor->fence = NULL;
}

/* ---- locked iterator ------------------------------------------------------------ */

/*
 * The next entry of a wanted usage, from cursor->index. The lock keeps the
 * list and its count stable (only we could change them), so both are read
 * once and the entries without ordering: every submission walks its
 * objects' lists, mostly to find nothing.
 */
static inline struct dma_fence *iter_next_locked(struct dma_resv_iter *cursor)
{
	const struct dma_resv_list *list = cursor->fences;
	unsigned int i = cursor->index, n = list ? list->num_fences : 0;

	for (; i < n; i++) {
		uintptr_t v = resv_load_relaxed(&list->table[i]);

		if ((enum dma_resv_usage)(v & DMA_RESV_LIST_MASK) <= cursor->usage) {
			cursor->index = i + 1;
			cursor->fence_usage = (enum dma_resv_usage)(v & DMA_RESV_LIST_MASK);
			return (struct dma_fence *)(v & ~DMA_RESV_LIST_MASK);
		}
	}
	cursor->index = i;
	return NULL;
}

struct dma_fence *dma_resv_iter_next(struct dma_resv_iter *cursor)
{
	dma_resv_assert_held(cursor->obj);
	cursor->is_restarted = false;
	return iter_next_locked(cursor);
}

struct dma_fence *dma_resv_iter_first(struct dma_resv_iter *cursor)
{
	struct dma_resv_list *list = cursor->obj->fences;

	dma_resv_assert_held(cursor->obj);
	cursor->index = 0;
	cursor->fences = list;
	cursor->generation = list ? list->generation : 0;
	cursor->is_restarted = true;
	return iter_next_locked(cursor);
}

/* ---- readers ------------------------------------------------------------------------ */

/*
 * The arrays come from resv_dma_fence_array_alloc_fences() (the kernel's
 * kmalloc_array()), so get_singleton can hand one to dma_fence_array_create()
 * as the kernel does.
 */
int dma_resv_get_fences(struct dma_resv *obj, enum dma_resv_usage usage,
			unsigned int *num_fences, struct dma_fence ***fences)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;

	*num_fences = 0;
	*fences = NULL;

	dma_resv_iter_begin(&cursor, obj, usage);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		if (dma_resv_iter_is_restarted(&cursor)) {
			struct dma_fence **new_fences;

			/* Start over; the walk returns at most num_fences fences now. */
			while (*num_fences)
				dma_fence_put((*fences)[--(*num_fences)]);
			new_fences = resv_dma_fence_array_realloc_fences(*fences,
									 cursor.num_fences);
			if (!new_fences) {
				resv_dma_fence_array_free_fences(*fences);
				*fences = NULL;
				dma_resv_iter_end(&cursor);
				return -ENOMEM;
			}
			*fences = new_fences;
		}
		(*fences)[(*num_fences)++] = dma_fence_get(fence);
	}
	dma_resv_iter_end(&cursor);

	if (!*num_fences) {
		resv_dma_fence_array_free_fences(*fences);
		*fences = NULL;
	}
	return 0;
}

int dma_resv_get_singleton(struct dma_resv *obj, enum dma_resv_usage usage,
			   struct dma_fence **fence)
{
	struct dma_fence_array *array;
	struct dma_fence **fences;
	unsigned int count;
	int ret;

	ret = dma_resv_get_fences(obj, usage, &count, &fences);
	if (ret)
		return ret;
	if (count == 0) {
		*fence = NULL;
		return 0;
	}
	if (count == 1) {
		*fence = fences[0];
		resv_dma_fence_array_free_fences(fences);
		return 0;
	}

	array = dma_fence_array_create((int)count, fences, dma_fence_context_alloc(1), 1, false);
	if (!array) {
		while (count--)
			dma_fence_put(fences[count]);
		resv_dma_fence_array_free_fences(fences);
		return -ENOMEM;
	}
	*fence = &array->base;
	return 0;
}

/*
 * The answer of dma_resv_test_signaled() from one RCU walk without taking a
 * fence reference: fence memory outlives the read-side section and the
 * signaled bit only ever gets set, so reading it needs no reference. A fence
 * whose driver must be asked (ops->signaled, which may signal it) needs one:
 * return -EAGAIN and let the caller take the iterator path. Like the
 * iterator, retry when a new list was published during the walk. An entry
 * replaced in place during the walk is a later fence of the same context
 * (pending if the old one was) or replaced a signaled one: either answer is
 * the state at one instant of the walk, as with the iterator.
 */
static int test_signaled_no_refs(struct dma_resv *obj, enum dma_resv_usage usage)
{
	struct dma_resv_list *list;
	int ret;

	resv_rcu_read_lock();
	do {
		uint32_t n;

		list = fences_list(obj);
		n = list ? resv_load_acquire(&list->num_fences) : 0;
		ret = 1;
		for (uint32_t i = 0; i < n; i++) {
			enum dma_resv_usage fence_usage;
			struct dma_fence *fence;

			list_entry(list, i, &fence, &fence_usage);
			if (fence_usage > usage || dma_fence_test_signaled_flag(fence))
				continue;
			ret = fence->ops->signaled ? -EAGAIN : 0;
			break;
		}
	} while (fences_list(obj) != list);
	resv_rcu_read_unlock();
	return ret;
}

bool dma_resv_test_signaled(struct dma_resv *obj, enum dma_resv_usage usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	int ret = test_signaled_no_refs(obj, usage);

	if (ret >= 0)
		return ret;
	dma_resv_iter_begin(&cursor, obj, usage);
	fence = dma_resv_iter_first_unlocked(&cursor);
	dma_resv_iter_end(&cursor);
	return fence == NULL;
}

long dma_resv_wait_timeout(struct dma_resv *obj, enum dma_resv_usage usage, bool intr,
			   signed long timeout)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	long ret = timeout ? timeout : 1;

	if (timeout < 0)
		return -EINVAL;

	dma_resv_iter_begin(&cursor, obj, usage);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		ret = dma_fence_wait_timeout(fence, intr, timeout);
		if (ret <= 0)
			break;
		if (timeout)
			timeout = ret;
	}
	dma_resv_iter_end(&cursor);
	return ret;
}

void dma_resv_set_deadline(struct dma_resv *obj, enum dma_resv_usage usage, int64_t deadline)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;

	dma_resv_iter_begin(&cursor, obj, usage);
	dma_resv_for_each_fence_unlocked(&cursor, fence)
		dma_fence_set_deadline(fence, deadline);
	dma_resv_iter_end(&cursor);
}

int dma_resv_copy_fences(struct dma_resv *dst, struct dma_resv *src)
{
	struct dma_resv_list *list = NULL, *old;
	struct dma_resv_iter cursor;
	struct dma_fence *fence;

	dma_resv_assert_held(dst);

	dma_resv_iter_begin(&cursor, src, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		if (dma_resv_iter_is_restarted(&cursor)) {
			list_free(list);
			list = list_alloc(cursor.num_fences);
			if (!list) {
				dma_resv_iter_end(&cursor);
				return -ENOMEM;
			}
		}
		/* Not visible to anybody yet: plain stores would do. */
		list_set(list, list->num_fences++, dma_fence_get(fence),
			 dma_resv_iter_usage(&cursor));
	}
	dma_resv_iter_end(&cursor);

	old = dst->fences;
	list_publish(dst, list);
	list_free(old);
	return 0;
}

static const char *const usage_names[] = {
	[DMA_RESV_USAGE_KERNEL] = "kernel",
	[DMA_RESV_USAGE_WRITE] = "write",
	[DMA_RESV_USAGE_READ] = "read",
	[DMA_RESV_USAGE_BOOKKEEP] = "bookkeep",
};

void dma_resv_describe(struct dma_resv *obj, FILE *out)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;

	dma_resv_assert_held(obj);
	dma_resv_for_each_fence(&cursor, obj, DMA_RESV_USAGE_BOOKKEEP, fence) {
		bool signaled = dma_fence_is_signaled(fence);

		fprintf(out, "\t%s fence: %s %s seq %llu %ssignalled\n",
			usage_names[dma_resv_iter_usage(&cursor)],
			dma_fence_driver_name(fence), dma_fence_timeline_name(fence),
			(unsigned long long)fence->seqno, signaled ? "" : "un");
	}
}
