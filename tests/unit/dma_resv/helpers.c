/* SPDX-License-Identifier: MIT */
/* Shared helpers of the dma_resv suite: fences, slot counts, report counting. */
#include "resv_test.h"

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * MS };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* ---- fences ------------------------------------------------------------------ */

const char *tf_driver(struct dma_fence *f) { return "test"; }
const char *tf_timeline(struct dma_fence *f) { return "tl"; }

int deadline_calls;
int64_t last_deadline;

static void tf_set_deadline(struct dma_fence *f, int64_t deadline)
{
	__atomic_add_fetch(&deadline_calls, 1, __ATOMIC_RELAXED);
	last_deadline = deadline;
}

/* No release: allocated with resv_dma_fence_alloc(), freed after RCU. */
const struct dma_fence_ops heap_ops = {
	.get_driver_name = tf_driver,
	.get_timeline_name = tf_timeline,
	.set_deadline = tf_set_deadline,
};

struct resv_spinlock test_lock = RESV_SPINLOCK_INITIALIZER;

struct dma_fence *fence_new(uint64_t ctx, uint64_t seqno)
{
	struct dma_fence *f = resv_dma_fence_alloc(sizeof(*f));

	assert_non_null(f);
	dma_fence_init(f, &heap_ops, &test_lock, ctx, seqno);
	return f;
}

long refs(struct dma_fence *f)
{
	return __atomic_load_n(&f->refcount.refcount, __ATOMIC_RELAXED);
}

uint64_t live_bytes(void)
{
	struct resv_alloc_stats st;

	resv_rcu_barrier();
	resv_alloc_get_stats(&st);
	return st.live_bytes;
}

uint64_t allocations(void)
{
	struct resv_alloc_stats st;

	resv_alloc_get_stats(&st);
	return st.allocations;
}

/* What a dma_resv_get_fences() caller does with the result. */
void fences_free(struct dma_fence **fences, unsigned int num)
{
	for (unsigned int i = 0; i < num; i++)
		dma_fence_put(fences[i]);
	resv_dma_fence_array_free_fences(fences);
}

void slots(struct dma_resv *obj, unsigned int *num, unsigned int *max)
{
	unsigned int cap;

	resv__dma_resv_slots(obj, num, max, &cap);
}

unsigned int num_entries(struct dma_resv *obj)
{
	unsigned int num, max;

	slots(obj, &num, &max);
	return num;
}

/* Locked walk: how many entries with usage <= @usage, and is @f among them. */
unsigned int count_locked(struct dma_resv *obj, enum dma_resv_usage usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *f;
	unsigned int n = 0;

	dma_resv_for_each_fence(&cursor, obj, usage, f)
		n++;
	return n;
}

bool has_entry(struct dma_resv *obj, struct dma_fence *fence, enum dma_resv_usage usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *f;

	dma_resv_for_each_fence(&cursor, obj, DMA_RESV_USAGE_BOOKKEEP, f)
		if (f == fence && dma_resv_iter_usage(&cursor) == usage)
			return true;
	return false;
}

unsigned int count_unlocked(struct dma_resv *obj, enum dma_resv_usage usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *f;
	unsigned int n = 0;

	dma_resv_iter_begin(&cursor, obj, usage);
	dma_resv_for_each_fence_unlocked(&cursor, f) {
		if (dma_resv_iter_is_restarted(&cursor))
			n = 0;
		n++;
	}
	dma_resv_iter_end(&cursor);
	return n;
}

void lock_obj(struct dma_resv *obj)
{
	assert_int_equal(dma_resv_lock(obj, NULL), 0);
}

/* Lock, reserve one slot, add, unlock. */
void add_one(struct dma_resv *obj, struct dma_fence *f, enum dma_resv_usage usage)
{
	lock_obj(obj);
	assert_int_equal(dma_resv_reserve_fences(obj, 1), 0);
	dma_resv_add_fence(obj, f, usage);
	dma_resv_unlock(obj);
}

/* ---- report hook ------------------------------------------------------------------ */

int not_held_reports, misuse_reports;

static void count_reports(const struct resv_report *r, void *arg)
{
	if (r->kind == RESV_REPORT_RESV_NOT_HELD)
		__atomic_add_fetch(&not_held_reports, 1, __ATOMIC_RELAXED);
	else if (r->kind == RESV_REPORT_FENCE_MISUSE)
		__atomic_add_fetch(&misuse_reports, 1, __ATOMIC_RELAXED);
}

int setup_reports(void **state)
{
	not_held_reports = 0;
	misuse_reports = 0;
	resv_report_set_hook(count_reports, NULL);
	return 0;
}

int teardown_reports(void **state)
{
	resv_report_set_hook(NULL, NULL);
	return 0;
}
