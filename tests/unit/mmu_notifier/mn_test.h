/* SPDX-License-Identifier: MIT */
/*
 * Harness of the test_mmu_notifier suite (<resv/mmu_notifier.h> and
 * <resv/userptr.h>): main.c holds the test table, one file per topic holds
 * the tests, this header with helpers.c is what they share (mnt_ prefix).
 *
 * Threads: a failed cmocka assertion longjmps, which only works on the
 * thread running the test, so workers record what they saw and the main
 * thread asserts after joining them. A test that needs another thread to be
 * asleep inside a call sleeps SETTLE_MS to make that likely and then checks
 * that the thread has not returned yet; every assertion holds for every
 * interleaving. A worker that does not come back within TIMEOUT_MS means a
 * hang: the binary aborts rather than run on with a thread pointing at a
 * dead stack frame.
 *
 * Every test runs with a recording report hook; the teardown fails a test
 * that drew a report it did not expect (tests that provoke one take it with
 * mnt_take_reports()).
 */
#ifndef RESV_TESTS_MN_TEST_H
#define RESV_TESTS_MN_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_timedjoin_np() */
#endif

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <resv/resv.h>

#include "internal/mmu_notifier.h"

#define MS (1000L * 1000L)
/* Time for another thread to reach a blocking call; never needed for correctness. */
#define SETTLE_MS 50
/* Only ever reached when the implementation hangs. */
#define TIMEOUT_MS 10000
#define PG RESV_MM_PAGE_SIZE

/* ---- time, reports, memory ------------------------------------------------ */

int64_t mnt_now_ns(void);
void mnt_sleep_ms(long ms);

/* cmocka group/test fixtures: install the recording hook; check reports. */
int mnt_group_setup(void **state);
int mnt_group_teardown(void **state);
int mnt_setup(void **state);
int mnt_teardown(void **state);

/* Reports of @kind since the test started, and forget them. */
unsigned int mnt_take_reports(enum resv_report_kind kind);

/* Bytes live in the library's allocator, after pending RCU frees. */
uint64_t mnt_live_bytes(void);

/* The mm's sequence number (internal state), 0 when it has no notifier state. */
unsigned long mnt_mm_seq(struct resv_mm *mm);
/* Invalidations in progress on the mm (internal state). */
unsigned long mnt_mm_active(struct resv_mm *mm);
/* Notifiers in the mm's tree (not counting deferred inserts). */
long mnt_mm_tree_size(struct resv_mm *mm);

struct resv_mm *mnt_mm_new(void);

/* ---- fences ------------------------------------------------------------------ */

struct dma_fence *mnt_fence_new(void);
/* Lock @obj, reserve and add @fence with @usage, unlock. */
void mnt_resv_add(struct dma_resv *obj, struct dma_fence *fence, enum dma_resv_usage usage);

/* ---- a recording notifier ------------------------------------------------------ */

#define MNT_MAX_RANGES 16

struct mnt_notifier {
	struct mmu_interval_notifier sub;
	/* behaviour, set before use */
	bool refuse_nonblock;	/* return false for non-blockable ranges (no set_seq) */
	bool refuse_always;	/* return false always (misuse when blockable) */
	bool skip_set_seq;
	/* a gate: while closed, the callback blocks after set_seq */
	pthread_mutex_t gate_lock;
	pthread_cond_t gate_cond;
	bool gate_closed;
	bool in_gate;		/* a callback waits at the gate */
	/* what happened (atomics / under gate_lock) */
	unsigned int calls;
	unsigned long last_seq;
	unsigned int nranges;
	struct mmu_notifier_range ranges[MNT_MAX_RANGES];
	bool removed;		/* set by the test after remove() returned */
	unsigned int calls_after_remove;
};

extern const struct mmu_interval_notifier_ops mnt_ops;

void mnt_notifier_init(struct mnt_notifier *n);
void mnt_notifier_fini(struct mnt_notifier *n);
unsigned int mnt_calls(struct mnt_notifier *n);
void mnt_gate_close(struct mnt_notifier *n);
void mnt_gate_open(struct mnt_notifier *n);
/* Wait (bounded) until a callback sits at the closed gate. */
void mnt_gate_wait_entered(struct mnt_notifier *n);

/* ---- threads ------------------------------------------------------------------- */

struct mnt_thread {
	pthread_t tid;
	void *(*fn)(void *arg);
	void *arg;
	int done;		/* atomic */
};

void mnt_thread_start(struct mnt_thread *t, void *(*fn)(void *arg), void *arg);
bool mnt_thread_done(struct mnt_thread *t);
/* Join within TIMEOUT_MS, else abort the binary (a hang). */
void mnt_thread_join(struct mnt_thread *t);

/* ---- tests, by file --------------------------------------------------------------- */


/* seq.c */
void test_mmu_interval_seq_starts_even_insert_gets_odd(void **state);
void test_mmu_interval_insert_bad_ranges(void **state);
void test_mmu_interval_read_retry_iff_set_seq(void **state);
void test_mmu_interval_check_retry_never_false_negative(void **state);
void test_mmu_interval_invalidate_exact_overlaps(void **state);
void test_mmu_interval_concurrent_ranges_share_odd_seq(void **state);
void test_mmu_interval_insert_during_invalidation_deferred(void **state);
void test_mmu_interval_insert_during_nonoverlapping_invalidation(void **state);
void test_mmu_interval_remove_during_invalidation_of_deferred_insert(void **state);
void test_mmu_interval_nonblock_false_is_eagain_no_side_effects(void **state);
void test_mmu_interval_blockable_false_reported_and_ignored(void **state);
void test_mmu_interval_insert_locked_needs_mmap_lock(void **state);

/* blocking.c */
void test_mmu_interval_read_begin_blocks_during_invalidation(void **state);
void test_mmu_interval_read_begin_not_blocked_by_disjoint(void **state);
void test_mmu_interval_read_begin_waits_after_insert_during_invalidation(void **state);
void test_mmu_interval_remove_waits_for_invalidation(void **state);
void test_mmu_interval_no_callback_after_remove(void **state);
void test_mmu_interval_misuse_from_callback_does_not_deadlock(void **state);

/* mm.c */
void test_resv_mm_map_errors(void **state);
void test_resv_mm_read_write_across_pages(void **state);
void test_resv_mm_get_pages(void **state);
void test_resv_mm_unmap_invalidates_exact_overlaps(void **state);
void test_resv_mm_unmap_splits_and_holes(void **state);
void test_resv_mm_migrate_moves_pages(void **state);
void test_resv_mm_stale_pages_poisoned(void **state);
void test_resv_mm_invalidate_range_errors(void **state);

/* userptr.c */
void test_userptr_init_errors(void **state);
void test_userptr_snapshot_and_check(void **state);
void test_userptr_invalidation_between_snapshot_and_check(void **state);
void test_userptr_invalidate_waits_for_bookkeep_fence(void **state);
void test_userptr_nonblock_busy_refuses(void **state);
void test_userptr_snapshot_faults_and_retries(void **state);
void test_userptr_check_without_lock_reported(void **state);
void test_userptr_shared_lock_and_ops(void **state);

/* alloc.c */
void test_mm_alloc_failure_every_site(void **state);
void test_userptr_alloc_failure_every_site(void **state);

#endif /* RESV_TESTS_MN_TEST_H */
