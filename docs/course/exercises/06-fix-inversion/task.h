/* SPDX-License-Identifier: MIT */
/* Exercise 06 (docs/course/06-lock-validator.md): fix a lock-order inversion. */
#ifndef COURSE_06_TASK_H
#define COURSE_06_TASK_H

#include <resv/spinlock.h>

/*
 * A tiny object cache with statistics. Two locks, two classes:
 * cache.lock guards cache.entries; stats.lock guards stats.inserts.
 * The invariant: whoever holds both locks sees entries == inserts.
 */
struct cache {
	struct resv_spinlock lock;	/* class "cache.lock" */
	unsigned long entries;
};

struct stats {
	struct resv_spinlock lock;	/* class "stats.lock" */
	unsigned long inserts;
};

/* One consistent snapshot of both counters. */
struct snapshot {
	unsigned long entries;
	unsigned long inserts;
};

/*
 * cache_insert() - add one entry and count it (given; do not change the
 * order in which it locks: the rest of the program relies on it)
 */
void cache_insert(struct cache *c, struct stats *s);

/*
 * stats_snapshot() - read both counters as one consistent snapshot
 *
 * Must return entries and inserts as they were at one instant (so
 * out->entries == out->inserts, whatever other threads insert), and must
 * not lock in an order the lock validator reports.
 */
void stats_snapshot(struct cache *c, struct stats *s, struct snapshot *out);

#endif
