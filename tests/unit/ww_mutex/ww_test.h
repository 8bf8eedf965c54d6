/* SPDX-License-Identifier: MIT */
/* ww_mutex suite harness: fixtures, report recorder, thread helpers, shared scenarios. */
/*
 * Deterministic unit tests for <resv/ww_mutex.h>, built as one binary,
 * test_ww_mutex: main.c holds the test table, one file per topic holds the
 * tests, and this header with ww_test.c is the harness they share (its
 * functions and globals carry a wwt_ prefix).
 *
 * They follow the kernel's kernel/locking/test-ww_mutex.c and the semantics
 * in kernel-api.md §1. Every behaviour both algorithms share runs twice: once
 * on a Wound-Wait class and once on a Wait-Die class (two table entries, the
 * fixture passed as cmocka's initial state). Behaviour that differs between
 * the algorithms runs on both with the outcome chosen by the fixture, or on
 * the one class it is about.
 *
 * Threads: a failed cmocka assertion longjmps, which only works on the thread
 * running the test, so workers record what they saw in plain structs and the
 * main thread asserts after joining them. Ordering comes from barriers,
 * one-shot events and a "turn" sequencer (which also fixes the order in which
 * contexts take their stamps, i.e. which one is older).
 *
 * Where a test wants a thread to be asleep inside a lock, nothing public says
 * so: the test sleeps SETTLE_MS to make that interleaving likely, but every
 * assertion holds for every interleaving; the sleep makes a test interesting,
 * never correct. A few tests get a forced interleaving from the algorithm
 * itself: a wounded context's ->wounded flag (documented as set atomically by
 * the wounder), or a Wait-Die death that can only happen once an older waiter
 * is queued.
 *
 * A thread that does not come back within TIMEOUT_MS is stuck inside libresv
 * while pointing at this test's stack; carrying on would corrupt memory, so
 * the binary reports the hang and aborts.
 *
 * Every test runs with a recording report hook. The teardown fails a test in
 * which a correct program drew a misuse report (a false positive of the
 * debug checks); the report tests clear what they provoked on purpose.
 */
#ifndef RESV_TESTS_WW_TEST_H
#define RESV_TESTS_WW_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_timedjoin_np() */
#endif

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <resv/report.h>
#include <resv/thread.h>
#include <resv/ww_mutex.h>

/* Time for another thread to reach a blocking call; never needed for correctness. */
#define SETTLE_MS 30
/* Only ever reached when the implementation hangs. */
#define TIMEOUT_MS 10000
#define MAX_BACKOFFS 10000 /* a broken injector must not loop forever */

/* ------------------------------------------------------------------------
 * Fixtures: cmocka's initial state of every test
 */

struct fixture {
	struct ww_class *cls;
	struct ww_class *other; /* the class of the other algorithm */
	struct ww_mutex *static_lock;
	bool wait_die;
};

extern struct fixture wwt_wound_fixture;
extern struct fixture wwt_die_fixture;
extern struct ww_class wwt_aside_class;

/* ------------------------------------------------------------------------
 * Report recorder, installed as the report hook by wwt_setup()
 */

struct seen_report {
	enum resv_report_kind kind;
	const void *lock;
	const void *ctx;
	bool has_message;
};

unsigned int wwt_reports_total(void);
unsigned int wwt_reports_of(enum resv_report_kind kind);
struct seen_report wwt_report_at(unsigned int i);
void wwt_reports_clear(void);
/* Asserts that exactly one report was drawn since the last clear, of @kind. */
void wwt_assert_one_report(enum resv_report_kind kind);
/* Skips the test when the debug checks are compiled out. */
void wwt_require_checks(void);

/* ------------------------------------------------------------------------
 * Injection settings, setup / teardown
 */

int wwt_set_inject_mode(struct ww_class *cls, enum resv_ww_inject_mode mode);
/* Sets the class's injection; asserts that the settings are valid. */
void wwt_set_inject(struct ww_class *cls, enum resv_ww_inject_mode mode, uint64_t nth,
		    uint64_t period, uint32_t ppm, uint64_t seed);
int wwt_group_setup(void **state);
int wwt_setup(void **state);
/* Fails a test in which a correct program drew a misuse report. */
int wwt_teardown(void **state);

/* ------------------------------------------------------------------------
 * Thread helpers; the watchdog aborts when one waits longer than TIMEOUT_MS
 */

void wwt_msleep(unsigned int ms);

/* One-shot event on CLOCK_MONOTONIC. */
struct event {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool fired;
};

void wwt_event_init(struct event *e);
void wwt_event_destroy(struct event *e);
void wwt_event_fire(struct event *e);
/* Returns false on timeout (TIMEOUT_MS). */
bool wwt_event_wait(struct event *e);
/* For the main thread: an event that must come, or the library hangs. */
void wwt_event_expect(struct event *e, const char *what);
bool wwt_event_fired(struct event *e);

/* Sequencer: thread @me runs its section after threads 0..me-1 ran theirs. */
struct turn {
	pthread_mutex_t m;
	pthread_cond_t c;
	int next;
};

void wwt_turn_init(struct turn *t);
void wwt_turn_destroy(struct turn *t);
void wwt_turn_pass(struct turn *t);
/* Takes the stamp of @ctx in turn @me, so lower turns are older. */
void wwt_acquire_init_in_turn(struct turn *t, int me, struct ww_acquire_ctx *ctx,
			      struct ww_class *cls);

pthread_t wwt_spawn(void *(*fn)(void *), void *arg);
/* Joins @t, or reports @what as hung and aborts. */
void wwt_join(pthread_t t, const char *what);
/* Waits (bounded) until an older context has wounded @ctx. */
bool wwt_wait_wounded(struct ww_acquire_ctx *ctx);

/* A thread that holds @lock without a context until told to let go. */
struct holder {
	struct ww_mutex *lock;
	struct event held, release;
	int ret;
};

pthread_t wwt_holder_start(struct holder *h, struct ww_mutex *lock);
void wwt_holder_stop(struct holder *h, pthread_t t);

/* Another thread's trylock, without and with a context of @cls, both fail. */
void wwt_assert_other_thread_cannot_trylock(struct ww_mutex *lock, struct ww_class *cls);

/*
 * Thread function: holds @a with a context of @cls and @b without one, fires
 * @held, and lets go once @release fires.
 */
struct owner {
	struct ww_class *cls;
	struct ww_mutex *a, *b;
	const struct ww_acquire_ctx *ctx;
	struct event held, release;
	int ret_a, ret_b;
};

void *wwt_owner_fn(void *arg);

/* ------------------------------------------------------------------------
 * ABBA scenario (test_abba), also used with wrapped stamps and run-time classes
 */

void wwt_run_abba(struct ww_class *cls, bool wait_die, bool trylock_first, bool resolve,
		  bool wrap);

/* ------------------------------------------------------------------------
 * Tests, by file; main.c runs them
 */

/* basics.c */
void test_ww_mutex_mutual_exclusion(void **state);
void test_ww_mutex_aa(void **state);
void test_ww_mutex_abba_unresolved(void **state);
void test_ww_mutex_abba_resolved(void **state);
void test_ww_mutex_abba_trylock_unresolved(void **state);
void test_ww_mutex_abba_trylock_resolved(void **state);
void test_ww_mutex_cycle(void **state);

/* algorithm.c */
void test_ww_mutex_no_locks_never_deadlk(void **state);
void test_ww_mutex_no_locks_queued_behind_older(void **state);
void test_ww_mutex_younger_blocked_by_older(void **state);
void test_ww_mutex_older_blocked_by_younger(void **state);
void test_ww_mutex_wait_die_queued_older_kills(void **state);
void test_ww_mutex_wound_wait_wounded_dies_on_block(void **state);
void test_ww_acquire_ctx_stamp_wrap(void **state);

/* interrupts.c */
void test_ww_mutex_lock_interruptible_eintr(void **state);
void test_ww_mutex_lock_ignores_interrupt(void **state);
void test_ww_mutex_lock_slow_interruptible_eintr(void **state);
void test_ww_mutex_interrupted_waiter_removed(void **state);

/* inject.c */
void test_ww_mutex_inject_nth(void **state);
void test_ww_mutex_inject_nth_period(void **state);
void test_ww_mutex_inject_never_first_or_trylock(void **state);
void test_ww_mutex_inject_random_replay(void **state);
void test_ww_mutex_inject_slowpath(void **state);
void test_ww_mutex_inject_ctx_override(void **state);
void test_ww_mutex_inject_invalid(void **state);
void test_ww_mutex_inject_default(void **state);

/* stats_ctx.c */
void test_ww_acquire_ctx_acquired(void **state);
void test_ww_mutex_stats(void **state);
void test_ww_mutex_stats_injected_not_acquired(void **state);
void test_ww_mutex_ctx_and_held_by_self(void **state);
void test_ww_mutex_held_by_self_many_contexts(void **state);
void test_ww_mutex_static_initializer(void **state);
void test_ww_class_init_runtime(void **state);
void test_ww_class_set_algorithm(void **state);
/* events.c */
void test_ww_mutex_event_hook(void **state);

/* reports.c */
void test_report_ww_fini_held(void **state);
void test_report_ww_fini_twice(void **state);
void test_report_ww_lock_after_done(void **state);
void test_report_ww_wrong_relock(void **state);
void test_report_ww_slow_with_locks(void **state);
void test_report_unlock_not_held(void **state);
void test_report_destroy_locked(void **state);
void test_report_ww_class_mismatch(void **state);
void test_report_kind_name(void **state);

#endif /* RESV_TESTS_WW_TEST_H */
