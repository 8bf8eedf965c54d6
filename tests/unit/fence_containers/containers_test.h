/* SPDX-License-Identifier: MIT */
/*
 * Fence containers suite: dma_fence_array, dma_fence_chain, dma_fence_unwrap
 * (reference/kernel-api.md §2.5, §2.6 item 9), with exact return values,
 * reference counts, allocation failure at every allocation site and a
 * chain signalled from two threads while a third walks it. Worker threads
 * only record; the main thread asserts. This header holds the shared test
 * fences and helpers (helpers.c); one file per container type.
 */
#ifndef FENCE_CONTAINERS_TEST_H
#define FENCE_CONTAINERS_TEST_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <resv/resv.h>

#define MS (1000L * 1000L)

/* A callback that records how often it ran and the error it saw. */
struct rec_cb {
	struct dma_fence_cb cb;
	int runs;	/* atomic */
	int error;
};

/* One shared lock for the test fences (a timeline shares its lock). */
extern struct resv_spinlock test_lock;

struct dma_fence *mk_fence_locked_by(struct resv_spinlock *lock, uint64_t ctx, uint64_t seqno);
struct dma_fence *mk_fence(uint64_t ctx, uint64_t seqno);
void signal_with_error(struct dma_fence *f, int error);
long refs(struct dma_fence *f);
bool signaled(struct dma_fence *f);
uint64_t live_bytes(void);
struct dma_fence **fences_of(unsigned int n, struct dma_fence **members);
struct dma_fence_array *mk_array(unsigned int n, struct dma_fence **members, bool signal_on_any);
struct dma_fence *mk_chain(struct dma_fence *prev, struct dma_fence *fence, uint64_t seqno);
void put_all(struct dma_fence **f, unsigned int n);
void rec_func(struct dma_fence *f, struct dma_fence_cb *cb);
int rec_runs(struct rec_cb *r);

void test_dma_fence_array_signal_all_waits_for_every_member(void **state);
void test_dma_fence_array_signal_any_and_late_callbacks(void **state);
void test_dma_fence_array_first_error_propagates(void **state);
void test_dma_fence_array_signals_after_member_lock_released(void **state);
void test_dma_fence_array_for_each_and_match_context(void **state);
void test_dma_fence_array_alloc_init_and_pointer_helpers(void **state);
void test_dma_fence_chain_init_context_rules(void **state);
void test_dma_fence_chain_signals_after_all_previous(void **state);
void test_dma_fence_chain_walk_garbage_collects(void **state);
void test_dma_fence_chain_find_seqno(void **state);
void test_dma_fence_chain_4096_out_of_order(void **state);
void test_dma_fence_chain_concurrent_signal_and_walk(void **state);
void test_dma_fence_unwrap_deep_chain_of_arrays(void **state);
void test_dma_fence_unwrap_merge_none_one_many(void **state);
void test_dma_fence_dedup_array_keeps_latest_per_context(void **state);
void test_dma_fence_container_predicates_and_nesting_reports(void **state);
void test_dma_fence_containers_alloc_failure_every_site(void **state);

#endif /* FENCE_CONTAINERS_TEST_H */
