/* SPDX-License-Identifier: MIT */
/*
 * The checker of exercise 01: four threads run transactions over six
 * ww_mutexes, each locking 2-4 of them in a random order with lock_all(),
 * under Wound-Wait and then under Wait-Die. Deadlock injection (one lock
 * in ten, seeded, says -EDEADLK) makes back-offs happen whatever the timing,
 * so the result does not depend on the machine. Checks: every call returns
 * 0 with exactly its locks held; no two transactions are ever inside one
 * lock (an owner mark on each); the per-lock counters add up.
 *
 * Seeded: RESV_SEED (default 1), printed on failure. Exit 0 when all holds.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "task.h"

#define THREADS 4
#define LOCKS 6
#define TRANSACTIONS 1500

static struct ww_mutex locks[LOCKS];
static int owner[LOCKS];		/* guarded by locks[i]: 0 or thread + 1 */
static unsigned long counter[LOCKS];	/* guarded by locks[i] */
static struct ww_class *cls;

struct worker {
	int id;
	uint64_t rng;
	unsigned long done[LOCKS];
	unsigned long failures;	/* lock_all() != 0, or wrong locks held */
	unsigned long overlaps;	/* someone else's owner mark seen */
	int first_ret;
};

static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int t = 0; t < TRANSACTIONS; t++) {
		unsigned int n = 2 + next(&w->rng) % 3, idx[LOCKS];
		struct ww_mutex *set[LOCKS];
		struct ww_acquire_ctx ctx;
		int ret;

		for (unsigned int i = 0; i < LOCKS; i++)
			idx[i] = i;
		for (unsigned int i = 0; i < n; i++) {	/* a random distinct prefix */
			unsigned int j = i + next(&w->rng) % (LOCKS - i), tmp = idx[i];

			idx[i] = idx[j];
			idx[j] = tmp;
			set[i] = &locks[idx[i]];
		}
		ww_acquire_init(&ctx, cls);
		ret = lock_all(set, n, &ctx);
		if (ret || ctx.acquired != n) {
			if (!w->failures++)
				w->first_ret = ret;
		}
		for (unsigned int i = 0; i < n; i++) {
			if (!resv_ww_mutex_held_by_self(set[i])) {
				w->failures++;
				continue;
			}
			if (owner[idx[i]])
				w->overlaps++;
			owner[idx[i]] = w->id + 1;
		}
		sched_yield();	/* hold them a while: invite contention */
		for (unsigned int i = 0; i < n; i++) {
			if (!resv_ww_mutex_held_by_self(set[i]))
				continue;
			if (owner[idx[i]] != w->id + 1)
				w->overlaps++;
			owner[idx[i]] = 0;
			counter[idx[i]]++;
			w->done[idx[i]]++;
			ww_mutex_unlock(set[i]);
		}
		ww_acquire_fini(&ctx);
		if (w->failures > 10)
			break;	/* the verdict is in */
	}
	return NULL;
}

static int run(struct ww_class *c, const char *name, uint64_t seed)
{
	/* Random but seeded: a fixed period could fail every retry of one
	 * transaction in the same place, for ever. */
	struct resv_ww_inject inject = { .mode = RESV_WW_INJECT_RANDOM, .per_million = 100000,
					 .seed = seed };
	struct worker w[THREADS];
	pthread_t th[THREADS];
	struct resv_ww_stats st;
	int bad = 0;

	cls = c;
	if (resv_ww_class_set_inject(c, &inject))
		return 1;
	for (int i = 0; i < LOCKS; i++) {
		ww_mutex_init(&locks[i], c);
		counter[i] = 0;
		owner[i] = 0;
	}
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .id = i, .rng = seed * 1000 + (uint64_t)i };
		if (pthread_create(&th[i], NULL, work, &w[i]))
			return 1;
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	for (int l = 0; l < LOCKS; l++) {
		unsigned long sum = 0;

		for (int i = 0; i < THREADS; i++)
			sum += w[i].done[l];
		if (sum != counter[l]) {
			printf("%s: lock %d counted %lu, threads %lu\n", name, l, counter[l], sum);
			bad = 1;
		}
		if (ww_mutex_is_locked(&locks[l])) {
			printf("%s: lock %d left locked\n", name, l);
			bad = 1;
		}
	}
	for (int i = 0; i < THREADS; i++) {
		if (w[i].failures) {
			printf("%s: thread %d: %lu transaction(s) did not get their locks "
			       "(first: lock_all() returned %d)\n", name, i, w[i].failures,
			       w[i].first_ret);
			bad = 1;
		}
		if (w[i].overlaps) {
			printf("%s: thread %d: %lu time(s) two transactions held one lock\n", name, i,
			       w[i].overlaps);
			bad = 1;
		}
	}
	resv_ww_class_get_stats(c, &st);
	if (!bad && st.injected == 0) {
		printf("%s: no back-off was exercised\n", name);
		bad = 1;
	}
	if (!bad)
		printf("%s: %llu transactions, %llu back-offs (%llu injected), all locks held, "
		       "counters add up\n", name, (unsigned long long)st.transactions,
		       (unsigned long long)(st.deadlocks + st.injected),
		       (unsigned long long)st.injected);
	return bad;
}

static DEFINE_WW_CLASS(course_wound_wait);
static DEFINE_WD_CLASS(course_wait_die);

int main(void)
{
	const char *env = getenv("RESV_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 1;
	int bad = run(&course_wound_wait, "wound-wait", seed);

	if (!bad)
		bad = run(&course_wait_die, "wait-die", seed);
	if (bad)
		printf("FAILED (RESV_SEED=%llu)\n", (unsigned long long)seed);
	return bad;
}
