/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the syncobj suites: a clock, and a "script" thread that
 * signals fences and installs them into syncobjs after delays, so waits
 * can be woken from another thread. The thread records failures; the main
 * thread asserts them at join.
 */
#ifndef TEST_SYNCOBJ_H
#define TEST_SYNCOBJ_H

#include <pthread.h>

#include <sim/syncobj.h>

#include "sim_test.h"

/* CLOCK_MONOTONIC now in ns: the clock of syncobj wait deadlines. */
int64_t so_now(void);

enum so_step_kind {
	SO_SIGNAL,	/* dma_fence_signal(fence) after setting @error if non-zero */
	SO_REPLACE,	/* sim_syncobj_replace_fence(syncobj, fence) */
	SO_ADD_POINT,	/* sim_syncobj_add_point(syncobj, fence, point) */
	SO_RESET,	/* sim_syncobj_replace_fence(syncobj, NULL) */
};

struct so_step {
	enum so_step_kind kind;
	long delay_ms;			/* sleep before the step */
	struct dma_fence *fence;	/* borrowed */
	struct sim_syncobj *syncobj;	/* borrowed */
	uint64_t point;
	int error;
};

#define SO_MAX_STEPS 8

struct so_script {
	pthread_t thread;
	unsigned int n;
	struct so_step steps[SO_MAX_STEPS];
	int failures;			/* written by the thread, read after join */
};

/* Append a step; returns @s for chaining. */
struct so_script *so_step(struct so_script *s, enum so_step_kind kind, long delay_ms,
			  struct sim_syncobj *syncobj, struct dma_fence *fence, uint64_t point,
			  int error);
void so_script_start(struct so_script *s);
/* Join and assert that every step succeeded. */
void so_script_join(struct so_script *s);

/* The fence in @syncobj (a reference dropped at once: only for comparing). */
struct dma_fence *so_peek(struct sim_syncobj *syncobj);

/*
 * The fixture of the suites that work on one handle table: so_setup()
 * records libresv's live bytes, so_teardown() finishes the table and
 * asserts that nothing leaked.
 */
struct so_fixture {
	uint64_t live;
	struct sim_syncobj_table table;
};

int so_setup(void **state);
int so_teardown(void **state);
/* A new syncobj in the fixture's table; asserts success and a non-zero handle. */
uint32_t so_new_handle(struct so_fixture *f, uint32_t flags);
/* so_peek() by handle; asserts the handle exists. */
struct dma_fence *so_peek_handle(struct so_fixture *f, uint32_t h);

#endif /* TEST_SYNCOBJ_H */
