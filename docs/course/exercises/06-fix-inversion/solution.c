/* SPDX-License-Identifier: MIT */
/* Exercise 06, solved: one lock order for the whole program. */
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
	 * Same order as cache_insert(): cache.lock, then stats.lock. Holding
	 * both is what makes the snapshot consistent, so the fix is the
	 * order, not fewer locks.
	 */
	resv_spin_lock(&c->lock);
	resv_spin_lock(&s->lock);
	out->entries = c->entries;
	out->inserts = s->inserts;
	resv_spin_unlock(&s->lock);
	resv_spin_unlock(&c->lock);
}
