/* SPDX-License-Identifier: MIT */
/*
 * The checker of exercise 06. First, one thread runs each path once: the
 * lock validator sees both lock orders and, if they disagree, reports the
 * cycle (counted by a report hook) — deterministically, without any
 * deadlock having to happen. Only when that is clean do threads run the
 * paths concurrently (with the inversion they could really deadlock):
 * two inserters, one reader taking snapshots with seeded pauses. Checks:
 * zero validator reports; every snapshot consistent (entries == inserts)
 * and never going backwards; the final counts equal the inserts made.
 * The validator check is deterministic; catching a snapshot that drops one
 * lock before taking the other depends on timing (very likely, with the
 * inserters running back to back, but not certain).
 *
 * Seeded: RESV_SEED (default 1), printed on failure. Exit 0 when all holds.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <resv/lockdep.h>
#include <resv/report.h>

#include "task.h"

#define INSERTERS 2
#define INSERTS 20000
#define SNAPSHOTS 20000

static struct resv_lockdep_class_key cache_key = RESV_LOCKDEP_CLASS_KEY_INIT("cache.lock");
static struct resv_lockdep_class_key stats_key = RESV_LOCKDEP_CLASS_KEY_INIT("stats.lock");
static struct cache cache;
static struct stats stats;
static atomic_int reports;

static void count_report(const struct resv_report *r, void *arg)
{
	(void)arg;
	if (atomic_fetch_add(&reports, 1) == 0)
		printf("validator: %s: %s\n", resv_report_kind_name(r->kind), r->message);
}

static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void *inserter(void *arg)
{
	uint64_t rng = *(uint64_t *)arg;

	for (int i = 0; i < INSERTS; i++) {
		cache_insert(&cache, &stats);
		if (next(&rng) % 64 == 0)
			sched_yield();	/* mostly back to back: widen the reader's windows */
	}
	return NULL;
}

struct reader {
	uint64_t rng;
	unsigned long inconsistent, backwards;
	struct snapshot first_bad;
};

static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	unsigned long last = 0;

	for (int i = 0; i < SNAPSHOTS; i++) {
		struct snapshot snap = { 0, 0 };

		stats_snapshot(&cache, &stats, &snap);
		if (snap.entries != snap.inserts && !r->inconsistent++)
			r->first_bad = snap;
		if (snap.entries < last)
			r->backwards++;
		last = snap.entries;
		if (next(&r->rng) % 16 == 0)
			sched_yield();
	}
	return NULL;
}

int main(void)
{
	const char *env = getenv("RESV_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 1;
	uint64_t seeds[INSERTERS];
	pthread_t th[INSERTERS + 1];
	struct reader rd = { .rng = seed * 7919 };
	struct snapshot snap = { 0, 0 };
	int bad = 0;

	if (!resv_lockdep_compiled_in()) {
		printf("this libresv has no lock validator (build with RESV_LOCKDEP)\n");
		return 1;
	}
	resv_lockdep_set_enabled(true);
	resv_report_set_hook(count_report, NULL);
	resv_spin_lock_init_key(&cache.lock, &cache_key);
	resv_spin_lock_init_key(&stats.lock, &stats_key);

	/* One thread, each path once: the validator sees both orders. */
	cache_insert(&cache, &stats);
	stats_snapshot(&cache, &stats, &snap);
	if (atomic_load(&reports)) {
		printf("the two paths lock in opposite orders: %d report(s); not running them "
		       "concurrently (they could deadlock)\n", atomic_load(&reports));
		bad = 1;
		goto out;
	}
	if (snap.entries != 1 || snap.inserts != 1) {
		printf("snapshot after one insert: entries %lu, inserts %lu (want 1, 1)\n",
		       snap.entries, snap.inserts);
		bad = 1;
		goto out;
	}

	for (int i = 0; i < INSERTERS; i++) {
		seeds[i] = seed * 1000 + (uint64_t)i;
		if (pthread_create(&th[i], NULL, inserter, &seeds[i]))
			return 1;
	}
	if (pthread_create(&th[INSERTERS], NULL, reader_fn, &rd))
		return 1;
	for (int i = 0; i <= INSERTERS; i++)
		pthread_join(th[i], NULL);

	stats_snapshot(&cache, &stats, &snap);
	if (snap.entries != 1 + INSERTERS * INSERTS || snap.inserts != snap.entries) {
		printf("final snapshot: entries %lu, inserts %lu (want %d each)\n", snap.entries,
		       snap.inserts, 1 + INSERTERS * INSERTS);
		bad = 1;
	}
	if (rd.inconsistent) {
		printf("%lu inconsistent snapshot(s), first: entries %lu, inserts %lu "
		       "(both locks must be held at once)\n", rd.inconsistent,
		       rd.first_bad.entries, rd.first_bad.inserts);
		bad = 1;
	}
	if (rd.backwards) {
		printf("%lu snapshot(s) went backwards\n", rd.backwards);
		bad = 1;
	}
	if (atomic_load(&reports)) {
		printf("%d validator report(s) while running concurrently\n",
		       atomic_load(&reports));
		bad = 1;
	}
	if (!bad)
		printf("both paths, %d inserts and %d snapshots: no validator report, every "
		       "snapshot consistent\n", INSERTERS * INSERTS, SNAPSHOTS);
out:
	if (bad)
		printf("FAILED (RESV_SEED=%llu)\n", (unsigned long long)seed);
	return bad;
}
