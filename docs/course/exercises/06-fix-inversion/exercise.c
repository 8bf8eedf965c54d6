/* SPDX-License-Identifier: MIT */
/*
 * Exercise 06: fix a lock-order inversion.
 *
 * cache_insert() takes cache.lock, then stats.lock. stats_snapshot() below
 * takes them the other way round: two threads running one path each can
 * deadlock (ABBA), and the lock validator reports the cycle the first time
 * both orders have been seen, even in a single thread. Read
 * docs/course/06-lock-validator.md, then fix stats_snapshot().
 */
#include "task.h"

void cache_insert(struct cache *c, struct stats *s)
{
	resv_spin_lock(&c->lock);
	c->entries++;
	resv_spin_lock(&s->lock);	/* cache.lock -> stats.lock */
	s->inserts++;
	resv_spin_unlock(&s->lock);
	resv_spin_unlock(&c->lock);
}

void stats_snapshot(struct cache *c, struct stats *s, struct snapshot *out)
{
	/*
	 * TODO: this path is stats.lock -> cache.lock, the reverse of
	 * cache_insert(). Take the locks in the program's one order instead.
	 * (Dropping one lock before taking the other silences the validator
	 * but breaks the snapshot; the checker's concurrent phase looks for
	 * that, and on any machine will very likely catch it.)
	 */
	resv_spin_lock(&s->lock);
	out->inserts = s->inserts;
	resv_spin_lock(&c->lock);	/* stats.lock -> cache.lock: inversion */
	out->entries = c->entries;
	resv_spin_unlock(&c->lock);
	resv_spin_unlock(&s->lock);
}
