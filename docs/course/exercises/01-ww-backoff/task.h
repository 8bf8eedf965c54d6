/* SPDX-License-Identifier: MIT */
/* Exercise 01 (docs/course/01-ww-mutex.md): the ww acquire/back-off loop. */
#ifndef COURSE_01_TASK_H
#define COURSE_01_TASK_H

#include <resv/ww_mutex.h>

/*
 * lock_all() - lock @n distinct ww_mutexes, given in any order, under @ctx
 * @locks: the mutexes (all of @ctx's class)
 * @n: how many, at least 1
 * @ctx: a context just initialised with ww_acquire_init(), holding nothing
 *
 * Must return 0 with every lock of @locks held by @ctx, whatever other
 * threads hold or ask for, in both algorithms (Wait-Die and Wound-Wait).
 * ww_mutex_lock() may answer -EDEADLK (real, or injected by the checker):
 * then this transaction must give way.
 */
int lock_all(struct ww_mutex **locks, unsigned int n, struct ww_acquire_ctx *ctx);

#endif
