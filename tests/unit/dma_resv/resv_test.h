/* SPDX-License-Identifier: MIT */
/*
 * dma_resv suite: the invariants of reference/kernel-api.md §3.5 with exact
 * return values. Shared helpers (helpers.c) and the tests, by file.
 */
#ifndef RESV_TESTS_DMA_RESV_TEST_H
#define RESV_TESTS_DMA_RESV_TEST_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <resv/resv.h>

#include "internal/dma-resv.h"
#include <resv/dma-fence-array.h>

#define MS (1000L * 1000L)

int64_t now_ns(void);
void sleep_ms(long ms);
const char *tf_driver(struct dma_fence *f);
const char *tf_timeline(struct dma_fence *f);
/* Calls of heap_ops.set_deadline and the last deadline passed. */
extern int deadline_calls;
extern int64_t last_deadline;
/* No release: allocated with resv_dma_fence_alloc(), freed after RCU. */
extern const struct dma_fence_ops heap_ops;
extern struct resv_spinlock test_lock;
struct dma_fence *fence_new(uint64_t ctx, uint64_t seqno);
long refs(struct dma_fence *f);
/* Bytes the library has allocated and not freed (after an RCU barrier). */
uint64_t live_bytes(void);
uint64_t allocations(void);
void fences_free(struct dma_fence **fences, unsigned int num);
void slots(struct dma_resv *obj, unsigned int *num, unsigned int *max);
unsigned int num_entries(struct dma_resv *obj);
unsigned int count_locked(struct dma_resv *obj, enum dma_resv_usage usage);
bool has_entry(struct dma_resv *obj, struct dma_fence *fence, enum dma_resv_usage usage);
unsigned int count_unlocked(struct dma_resv *obj, enum dma_resv_usage usage);
void lock_obj(struct dma_resv *obj);
void add_one(struct dma_resv *obj, struct dma_fence *f, enum dma_resv_usage usage);
/* Reports counted by setup_reports()' hook, by kind. */
extern int not_held_reports, misuse_reports;
int setup_reports(void **state);
int teardown_reports(void **state);

void test_dma_resv_overview_loop(void **state);
void test_dma_resv_init_fini_puts_fences(void **state);
void test_dma_resv_lock_unlock_trylock_ctx(void **state);
void test_dma_resv_assert_held_exact(void **state);
void test_dma_resv_usage_query_semantics(void **state);
void test_dma_resv_reserve_not_cumulative(void **state);
void test_dma_resv_add_without_reserve_reported(void **state);
void test_dma_resv_add_container_reported(void **state);
void test_dma_resv_add_replacement_rule(void **state);
void test_dma_resv_replace_fences(void **state);
void test_dma_resv_locked_iter_includes_signaled(void **state);
void test_dma_resv_get_fences_and_singleton(void **state);
void test_dma_resv_copy_fences(void **state);
void test_dma_resv_wait_timeout(void **state);
void test_dma_resv_set_deadline_and_describe(void **state);
void test_dma_resv_test_signaled_asks_the_driver(void **state);
void test_dma_resv_unlocked_iter_restart(void **state);
void test_dma_resv_readers_race_writer(void **state);
void test_dma_resv_alloc_failure_every_site(void **state);

#endif /* RESV_TESTS_DMA_RESV_TEST_H */
