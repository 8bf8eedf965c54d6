/* SPDX-License-Identifier: MIT */
/* test_lockdep harness: report recorder, fixtures, thread helpers. */
/*
 * The lock validator's suite: one negative test per detection, proving
 * that it fires with the right report kind and that the report names the
 * locks, and positive tests proving that the canonical patterns stay
 * silent. main.c holds the table, one file per topic the tests, and this
 * header with harness.c what they share (ldt_ prefix).
 *
 * Every test starts from an empty validator (resv__lockdep_reset(), so the
 * dependencies one test records cannot fire in another) with a recording
 * report hook; the teardown fails a test that drew a report it did not
 * claim (a false positive) or left locks on the main thread's held stack.
 * Tests that claim reports remove them with ldt_expect_one().
 *
 * Worker threads never assert (a failed cmocka assertion only works on the
 * main thread): they record, the main thread asserts after joining. Tests
 * with randomness take their seed from RESV_SEED (or the clock) and print
 * it. Without the validator compiled in, the tests skip.
 */
#ifndef RESV_TESTS_LOCKDEP_TEST_H
#define RESV_TESTS_LOCKDEP_TEST_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <resv/alloc.h>
#include <resv/dma-fence.h>
#include <resv/dma-resv.h>
#include <resv/lockdep.h>
#include <resv/report.h>
#include <resv/spinlock.h>
#include <resv/ww_mutex.h>

#include "internal/lockdep.h"

/* ---- report recorder ------------------------------------------------------------ */

struct ldt_report {
	enum resv_report_kind kind;
	char message[256];
	char *detail;		/* malloc'ed copy, or NULL */
	const void *lock;
	const void *ctx;
};

unsigned int ldt_reports(void);
/* Copies report @i (its detail stays owned by the recorder). */
struct ldt_report ldt_report_at(unsigned int i);
void ldt_reports_clear(void);
/* Prints report @i to stdout the way the default hook would. */
void ldt_print_report(unsigned int i);
/*
 * Asserts that exactly one report was drawn since the last clear, of @kind,
 * and that its message contains each of the NULL-terminated strings; then
 * clears. Returns nothing: the report is checked in place.
 */
void ldt_expect_one(enum resv_report_kind kind, ...);
/* As ldt_expect_one(), and the detail contains each string too. */
void ldt_expect_one_detail(enum resv_report_kind kind, const char *const *message_has,
			   const char *const *detail_has);

/* ---- fixtures --------------------------------------------------------------------- */

/* Skips the test where the validator is compiled out. */
#define LDT_REQUIRE()					\
	do {						\
		if (!resv_lockdep_compiled_in())	\
			skip();				\
	} while (0)

int ldt_setup(void **state);
int ldt_teardown(void **state);

/* ---- helpers ---------------------------------------------------------------------- */

pthread_t ldt_spawn(void *(*fn)(void *), void *arg);
void ldt_join(pthread_t t);
/* Runs @fn(@arg) on a new thread and joins it. */
void ldt_run_on_thread(void *(*fn)(void *), void *arg);
/* RESV_SEED or the clock; printed once per test that uses it. */
uint64_t ldt_seed(void);
uint64_t ldt_rand(uint64_t *state);
/* Monotonic milliseconds. */
int64_t ldt_now_ms(void);

/* ---- tests, by file ---------------------------------------------------------------- */

/* cycles.c */
void test_lockdep_abba_ww_threads(void **state);
void test_lockdep_abba_maps(void **state);
void test_lockdep_three_lock_cycle(void **state);
void test_lockdep_abba_keyed_spinlocks(void **state);
void test_lockdep_cycle_reported_once(void **state);
void test_lockdep_trylock_adds_no_dependency(void **state);
void test_lockdep_unregister_key_forgets(void **state);

/* ww.c */
void test_lockdep_ww_two_contexts_nested(void **state);
void test_lockdep_ww_ctxless_under_ctx(void **state);
void test_lockdep_ww_ctx_under_ctxless(void **state);
void test_lockdep_ww_ctxless_recursive(void **state);
void test_lockdep_ww_acquire_orders_like_a_lock(void **state);
void test_lockdep_ww_backoff_loops_silent(void **state);
void test_lockdep_ww_injected_backoff_silent(void **state);
void test_lockdep_ww_10000_resvs_one_entry(void **state);
void test_lockdep_ww_trylock_under_ctx_silent(void **state);
void test_lockdep_ww_out_of_order_unlock(void **state);

/* sections.c */
void test_lockdep_signalling_resv_lock(void **state);
void test_lockdep_signalling_fence_wait(void **state);
void test_lockdep_signalling_alloc(void **state);
void test_lockdep_signalling_trylock_silent(void **state);
void test_lockdep_signalling_nested_silent(void **state);
void test_lockdep_reclaim_alloc_under_tainted(void **state);
void test_lockdep_reclaim_taint_after_alloc(void **state);
void test_lockdep_reclaim_alloc_inside_silent(void **state);
void test_lockdep_reclaim_trylock_no_taint(void **state);
void test_lockdep_reclaim_end_unbalanced(void **state);

/* misc.c */
void test_lockdep_resv_assert_held_other_thread(void **state);
void test_lockdep_thread_exit_with_lock(void **state);
void test_lockdep_map_assert_and_release_not_held(void **state);
void test_lockdep_map_recursive_and_nested(void **state);
void test_lockdep_spinlock_inside_resv_silent(void **state);
/* graph.c */
void test_lockdep_graph_dot(void **state);
void test_lockdep_graph_ww_acquire_edge(void **state);
void test_lockdep_graph_bad_args(void **state);
void test_lockdep_graph_alloc_failure(void **state);
void test_lockdep_disabled_reports_nothing(void **state);
void test_lockdep_default_hook_prints_detail(void **state);
void test_lockdep_tsan_ww_mutex_protects_data(void **state);
void test_lockdep_tsan_spinlock_protects_data(void **state);
void test_lockdep_tsan_sees_ww_mutexes(void **state);
/* The child process of test_lockdep_tsan_sees_ww_mutexes: "abba" or "ctx-abba". */
int ldt_tsan_child(const char *mode);

#endif /* RESV_TESTS_LOCKDEP_TEST_H */
