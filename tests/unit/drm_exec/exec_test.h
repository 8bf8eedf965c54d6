/* SPDX-License-Identifier: MIT */
/*
 * drm_exec suite harness (test_drm_exec): GEM test objects, the report
 * counter every test runs under, the seed, and thread helpers. Its
 * functions carry an et_ prefix.
 *
 * The tests follow the kernel's KUnit drm_exec_test and kernel-api.md §4.3.
 * Every test runs with a counting report hook; the teardown fails a test in
 * which a correct program drew a misuse report, so once the lock validator
 * lands these tests are also its positive tests. A test that provokes a
 * report on purpose clears it with et_reports_take().
 *
 * Threads: a failed cmocka assertion only works on the thread running the
 * test, so workers record what they saw and the main thread asserts after
 * joining them. A thread that does not come back within ET_TIMEOUT_MS is
 * stuck inside libresv while pointing at this test's stack: the binary
 * prints the seed and aborts.
 *
 * Seeded tests take RESV_SEED from the environment (default: time-based);
 * the seed is printed at start and again on any failure.
 */
#ifndef RESV_TESTS_EXEC_TEST_H
#define RESV_TESTS_EXEC_TEST_H

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

#include <resv/alloc.h>
#include <resv/dma-resv.h>
#include <resv/drm_exec.h>
#include <resv/drm_gem.h>
#include <resv/lockdep.h>
#include <resv/report.h>
#include <resv/thread.h>
#include <resv/ww_mutex.h>

/* Time for another thread to reach a blocking call; never needed for correctness. */
#define ET_SETTLE_MS 30
/* Only ever reached when the implementation hangs. */
#define ET_TIMEOUT_MS 20000
/* A loop restarting more often than this is stuck. */
#define ET_MAX_RESTARTS 100000

/* ---- GEM test objects ----------------------------------------------------- */

/* A buffer object whose free callback counts instead of freeing. */
struct et_bo {
	struct drm_gem_object base;
	unsigned int index;
	unsigned int freed;
};

/* @n objects with their own resv (or all sharing @shared when not NULL). */
struct et_bos {
	struct et_bo *bo;
	struct drm_gem_object **obj; /* &bo[i].base, for prepare_array */
	unsigned int n;
};

void et_bos_init(struct et_bos *set, unsigned int n, struct dma_resv *shared);
/* Drops the initial references; asserts that each object was freed exactly once. */
void et_bos_fini(struct et_bos *set);
/* Asserts: no object locked by anyone, every refcount back to 1. */
void et_assert_baseline(const struct et_bos *set);
static inline struct drm_gem_object *et_obj(struct et_bos *set, unsigned int i)
{
	return &set->bo[i].base;
}

/* Asserts that @exec tracks exactly @objs[0..n-1], in this order, all held by this thread. */
void et_assert_table(struct drm_exec *exec, struct drm_gem_object *const *objs, unsigned int n);

/* ---- reports, seed, allocation counters ---------------------------------------- */

unsigned int et_reports(void);
/* Returns the number of reports of @kind since the last take, and forgets all. */
unsigned int et_reports_take(enum resv_report_kind kind);
uint64_t et_seed(void);
/* Bytes the library has allocated and not freed (after an RCU barrier). */
uint64_t et_live_bytes(void);
/* Disables ww injection on &reservation_ww_class (whatever RESV_WW_INJECT says). */
void et_inject_off(void);
void et_inject(enum resv_ww_inject_mode mode, uint64_t nth, uint64_t period, uint32_t ppm,
	       uint64_t seed);

int et_group_setup(void **state);
int et_setup(void **state);
int et_teardown(void **state);

/* ---- threads ------------------------------------------------------------------------ */

void et_msleep(unsigned int ms);

struct et_event {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool fired;
};

void et_event_init(struct et_event *e);
void et_event_destroy(struct et_event *e);
void et_event_fire(struct et_event *e);
/* Waits up to ET_TIMEOUT_MS; false on timeout. For workers. */
bool et_event_wait(struct et_event *e);
/* For the main thread: the event must come, or the library hangs (abort). */
void et_event_expect(struct et_event *e, const char *what);
bool et_event_fired(struct et_event *e);

pthread_t et_spawn(void *(*fn)(void *), void *arg);
/* Joins @t, or reports @what as hung and aborts. */
void et_join(pthread_t t, const char *what);

/* ---- tests, by file; main.c runs them --------------------------------------------- */

/* basics.c: the kernel's KUnit scenarios and the API's edges */
void test_drm_exec_sanitycheck(void **state);
void test_drm_exec_lock(void **state);
void test_drm_exec_lock_unlock(void **state);
void test_drm_exec_duplicates_ignored(void **state);
void test_drm_exec_duplicates_ealready(void **state);
void test_drm_exec_shared_resv(void **state);
void test_drm_exec_prepare(void **state);
void test_drm_exec_prepare_zero_fences(void **state);
void test_drm_exec_prepare_array(void **state);
void test_drm_exec_multiple_loops(void **state);
void test_drm_exec_portable_loop(void **state);
void test_drm_exec_iterators(void **state);
void test_drm_exec_unlock_obj_order(void **state);
void test_drm_exec_einval(void **state);
void test_drm_exec_fini_twice_and_unused(void **state);

/* restart.c: restart reasons, injection */
void test_drm_exec_restart_userptr_stale(void **state);
void test_drm_exec_restart_gnu_form(void **state);
void test_drm_exec_restart_einval(void **state);
void test_drm_exec_restart_reason_names(void **state);
void test_drm_exec_inject_nth_counted(void **state);
void test_drm_exec_inject_every_loop_terminates(void **state);
void test_drm_exec_contended_from_outside(void **state);

/* contention.c: threads */
void test_drm_exec_abba_slow_lock_order(void **state);
void test_drm_exec_opposite_orders_seeded(void **state);
void test_drm_exec_interrupt_slow_lock(void **state);
void test_drm_exec_interrupt_lock(void **state);

/* memory.c: allocation failure, many objects */
void test_drm_exec_init_alloc_deferred(void **state);
void test_drm_exec_alloc_fail_every_site(void **state);
void test_drm_exec_alloc_fail_contended(void **state);
void test_drm_exec_alloc_fail_prepare(void **state);
void test_drm_exec_100000_objects(void **state);

/* exclusive.c: the exclusive retry */
void test_drm_exec_exclusive_api(void **state);
void test_drm_exec_exclusive_retry_alloc_fail(void **state);
void test_drm_exec_exclusive_second_enomem(void **state);
void test_drm_exec_exclusive_without_binding(void **state);
void test_drm_exec_exclusive_readers_share(void **state);
void test_drm_exec_exclusive_excludes(void **state);
void test_drm_exec_exclusive_lockdep(void **state);

/* caller_refs.c: RESV_EXEC_CALLER_HOLDS_REFS */
void test_drm_exec_caller_refs(void **state);
void test_drm_exec_caller_refs_contended(void **state);
void test_drm_exec_caller_refs_alloc_fail(void **state);
void test_drm_exec_caller_refs_misuse(void **state);

#endif /* RESV_TESTS_EXEC_TEST_H */
