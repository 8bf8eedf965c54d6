/* SPDX-License-Identifier: MIT */
/* dma_fence_chain: context rules, walk with GC, find_seqno, a 4096-node chain, concurrent signal vs walk. */
#include "containers_test.h"

/* ==== dma_fence_chain ================================================================ */

void test_dma_fence_chain_init_context_rules(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(1);
	struct dma_fence *c1, *c2, *c3, *c4, *c5, *c6, *c7, *plain;
	struct dma_fence_chain *n;

	c1 = mk_chain(NULL, mk_fence(ctx, 1), 1);	/* no prev: new context */
	n = to_dma_fence_chain(c1);
	assert_non_null(n);
	assert_true(dma_fence_is_chain(c1));
	assert_null(n->prev);
	assert_int_equal(n->prev_seqno, 0);
	assert_int_equal(c1->seqno, 1);
	assert_true(c1->context > ctx);
	assert_true(c1->flags & (1UL << DMA_FENCE_FLAG_SEQNO64_BIT));
	assert_string_equal(c1->ops->get_driver_name(c1), "dma_fence_chain");

	c2 = mk_chain(dma_fence_get(c1), mk_fence(ctx, 2), 2);	/* later: same timeline */
	assert_int_equal(c2->context, c1->context);
	assert_int_equal(c2->seqno, 2);
	assert_int_equal(to_dma_fence_chain(c2)->prev_seqno, 1);
	assert_ptr_equal(to_dma_fence_chain(c2)->prev, c1);
	assert_int_equal(refs(c1), 2);

	c3 = mk_chain(dma_fence_get(c2), mk_fence(ctx, 3), 2);	/* not later: new context */
	assert_true(c3->context != c2->context && c3->context > c1->context);
	assert_int_equal(c3->seqno, 2);
	assert_int_equal(to_dma_fence_chain(c3)->prev_seqno, 0);

	c4 = mk_chain(dma_fence_get(c3), mk_fence(ctx, 4), 1);	/* earlier: seqno = max */
	assert_true(c4->context != c3->context);
	assert_int_equal(c4->seqno, 2);
	assert_int_equal(to_dma_fence_chain(c4)->prev_seqno, 0);

	/* 64-bit comparison: 5 is not later than 0xfffffff0 (it would be in 32 bits). */
	c5 = mk_chain(dma_fence_get(c4), mk_fence(ctx, 5), 0xfffffff0ULL);
	assert_int_equal(c5->context, c4->context);
	c6 = mk_chain(dma_fence_get(c5), mk_fence(ctx, 6), 5);
	assert_true(c6->context != c5->context);
	assert_int_equal(c6->seqno, 0xfffffff0ULL);

	/* A plain fence as prev: new context, seqno kept even if smaller. */
	plain = mk_fence(ctx, 100);
	c7 = mk_chain(plain, mk_fence(ctx, 7), 10);
	assert_true(c7->context != ctx);
	assert_int_equal(c7->seqno, 10);
	assert_int_equal(to_dma_fence_chain(c7)->prev_seqno, 0);

	assert_ptr_equal(dma_fence_chain_contained(plain), plain);
	assert_null(dma_fence_chain_contained(NULL));
	assert_null(to_dma_fence_chain(plain));
	assert_null(to_dma_fence_chain(NULL));
	assert_int_equal(dma_fence_chain_contained(c7)->seqno, 7);

	dma_fence_put(c1);
	dma_fence_put(c2);
	dma_fence_put(c3);
	dma_fence_put(c4);
	dma_fence_put(c5);
	dma_fence_put(c6);
	dma_fence_put(c7);
	assert_int_equal(live_bytes(), before);
}

void test_dma_fence_chain_signals_after_all_previous(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(1);
	struct dma_fence *f[3], *c[3], *prev = NULL;
	struct rec_cb rec = { 0 };

	for (int i = 0; i < 3; i++) {
		f[i] = mk_fence(ctx, i + 1);
		c[i] = mk_chain(prev, dma_fence_get(f[i]), i + 1);
		prev = dma_fence_get(c[i]);
	}
	dma_fence_put(prev);

	assert_false(dma_fence_is_signaled(c[2]));
	assert_int_equal(dma_fence_add_callback(c[2], &rec.cb, rec_func), 0);
	dma_fence_signal(f[2]);		/* its own fence, but not the earlier ones */
	assert_false(signaled(c[2]));
	dma_fence_signal(f[0]);
	assert_false(signaled(c[2]));
	assert_true(dma_fence_is_signaled(c[0]));
	assert_false(dma_fence_is_signaled(c[1]));
	assert_int_equal(rec_runs(&rec), 0);
	dma_fence_signal(f[1]);		/* same lock as f[0], f[2]: re-arming is deferred */
	assert_true(signaled(c[2]));
	assert_int_equal(rec_runs(&rec), 1);
	assert_int_equal(dma_fence_get_status(c[2]), 1);
	assert_true(dma_fence_is_signaled(c[1]));

	put_all(c, 3);
	put_all(f, 3);
	assert_int_equal(live_bytes(), before);
}

void test_dma_fence_chain_walk_garbage_collects(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(1);
	struct dma_fence *f[4], *c[4], *prev = NULL, *it, *plain;
	unsigned int visits;

	for (int i = 0; i < 4; i++) {
		f[i] = mk_fence(ctx, i + 1);
		c[i] = mk_chain(prev, dma_fence_get(f[i]), i + 1);
		prev = dma_fence_get(c[i]);
	}
	dma_fence_put(prev);
	/* Keep c[2] (ours + c[3]->prev); let c[0], c[1] live only through prev. */
	dma_fence_put(c[0]);
	dma_fence_put(c[1]);
	assert_int_equal(refs(c[2]), 2);

	visits = 0;
	dma_fence_chain_for_each(it, c[3]) {
		assert_int_equal(it->seqno, 4 - visits);
		visits++;
	}
	assert_int_equal(visits, 4);		/* nothing signaled: nothing skipped */

	dma_fence_signal(f[1]);
	dma_fence_signal(f[2]);
	it = dma_fence_chain_walk(dma_fence_get(c[3]));
	assert_non_null(it);
	assert_int_equal(it->seqno, 1);		/* c[2] and c[1] skipped */
	assert_ptr_equal(to_dma_fence_chain(c[3])->prev, it);	/* and unlinked */
	assert_int_equal(refs(c[2]), 1);	/* c[3] dropped its reference */
	assert_int_equal(refs(c[3]), 1);	/* walk consumed ours */
	/* c[3]->prev, c[1]->prev (c[1] lives on through c[2]), the one returned */
	assert_int_equal(refs(it), 3);
	assert_null(dma_fence_chain_walk(it));	/* c[0] is the first point */
	assert_int_equal(refs(to_dma_fence_chain(c[3])->prev), 2);

	/* A plain fence has no predecessor; the reference is consumed. */
	plain = mk_fence(ctx, 9);
	assert_null(dma_fence_chain_walk(dma_fence_get(plain)));
	assert_int_equal(refs(plain), 1);
	dma_fence_put(plain);

	dma_fence_signal(f[0]);
	visits = 0;
	dma_fence_chain_for_each(it, c[3])
		visits++;
	assert_int_equal(visits, 1);		/* the head is always visited */
	assert_null(to_dma_fence_chain(c[3])->prev);

	dma_fence_put(c[2]);
	dma_fence_put(c[3]);
	put_all(f, 4);
	assert_int_equal(live_bytes(), before);
}

void test_dma_fence_chain_find_seqno(void **state)
{
	uint64_t before = live_bytes();
	uint64_t ctx = dma_fence_context_alloc(1);
	static const uint64_t points[3] = { 1, 3, 5 };
	struct dma_fence *f[3], *c[3], *prev = NULL, *it, *plain;

	for (int i = 0; i < 3; i++) {
		f[i] = mk_fence(ctx, i + 1);
		c[i] = mk_chain(prev, dma_fence_get(f[i]), points[i]);
		prev = dma_fence_get(c[i]);
	}
	dma_fence_put(prev);

	it = dma_fence_get(c[2]);
	assert_int_equal(dma_fence_chain_find_seqno(&it, 0), 0);	/* no-op */
	assert_ptr_equal(it, c[2]);
	assert_int_equal(dma_fence_chain_find_seqno(&it, 6), -EINVAL);	/* not added yet */
	assert_ptr_equal(it, c[2]);
	assert_int_equal(refs(c[2]), 2);
	plain = f[0];
	assert_int_equal(dma_fence_chain_find_seqno(&plain, 1), -EINVAL);	/* not a chain */
	assert_ptr_equal(plain, f[0]);

	assert_int_equal(dma_fence_chain_find_seqno(&it, 4), 0);	/* (3, 5] */
	assert_ptr_equal(it, c[2]);
	assert_int_equal(refs(c[2]), 2);
	dma_fence_put(it);

	for (uint64_t seqno = 1; seqno <= 5; seqno++) {
		static const int node_of[6] = { -1, 0, 1, 1, 2, 2 };

		it = dma_fence_get(c[2]);
		assert_int_equal(dma_fence_chain_find_seqno(&it, seqno), 0);
		assert_ptr_equal(it, c[node_of[seqno]]);
		dma_fence_put(it);
	}
	assert_int_equal(refs(c[2]), 1);
	assert_int_equal(refs(c[0]), 2);

	/* Already signaled point: NULL, and our reference was consumed. */
	dma_fence_signal(f[0]);
	it = dma_fence_get(c[2]);
	assert_int_equal(dma_fence_chain_find_seqno(&it, 1), 0);
	assert_null(it);
	assert_int_equal(refs(c[2]), 1);
	it = dma_fence_get(c[2]);
	assert_int_equal(dma_fence_chain_find_seqno(&it, 2), 0);	/* still pending in c[1] */
	assert_ptr_equal(it, c[1]);
	dma_fence_put(it);

	put_all(c, 3);
	put_all(f, 3);
	assert_int_equal(live_bytes(), before);
}

#define LONG_CHAIN 4096

static uint32_t lcg_next(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*seed >> 33);
}

static void shuffle(unsigned int *order, unsigned int n, uint64_t seed)
{
	for (unsigned int i = 0; i < n; i++)
		order[i] = i;
	for (unsigned int i = n - 1; i > 0; i--) {
		unsigned int j = lcg_next(&seed) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
}

/* Builds f[0..n) and a chain over them; returns the head (one reference). */
static struct dma_fence *mk_long_chain(struct dma_fence **f, unsigned int n,
				       struct resv_spinlock *locks, unsigned int nlocks)
{
	uint64_t ctx = dma_fence_context_alloc(1);
	struct dma_fence *head = NULL;

	for (unsigned int i = 0; i < n; i++) {
		f[i] = mk_fence_locked_by(&locks[i % nlocks], ctx, i + 1);
		head = mk_chain(head, dma_fence_get(f[i]), i + 1);
	}
	return head;
}

static void *put_on_small_stack(void *arg)
{
	dma_fence_put(arg);
	return NULL;
}

void test_dma_fence_chain_4096_out_of_order(void **state)
{
	static struct dma_fence *f[LONG_CHAIN];
	static unsigned int order[LONG_CHAIN];
	uint64_t before = live_bytes(), seed = 0x5eed4096;
	struct dma_fence *head, *it;
	struct rec_cb rec = { 0 };
	unsigned int visits;
	uint64_t last;
	pthread_attr_t attr;
	pthread_t thread;

	print_message("chain seed 0x%llx\n", (unsigned long long)seed);
	head = mk_long_chain(f, LONG_CHAIN, &test_lock, 1);
	assert_int_equal(head->seqno, LONG_CHAIN);

	visits = 0;
	last = UINT64_MAX;
	dma_fence_chain_for_each(it, head) {
		assert_true(it->seqno < last);
		last = it->seqno;
		visits++;
	}
	assert_int_equal(visits, LONG_CHAIN);

	assert_int_equal(dma_fence_add_callback(head, &rec.cb, rec_func), 0);
	shuffle(order, LONG_CHAIN, seed);
	for (unsigned int i = 0; i < LONG_CHAIN; i++) {
		dma_fence_signal(f[order[i]]);
		if (i + 1 < LONG_CHAIN && (i % 256 == 0 || i + 2 == LONG_CHAIN))
			assert_false(signaled(head));
	}
	assert_true(signaled(head));
	assert_int_equal(rec_runs(&rec), 1);
	assert_int_equal(dma_fence_get_status(head), 1);

	/* Signaling and walking collected every predecessor. */
	visits = 0;
	dma_fence_chain_for_each(it, head)
		visits++;
	assert_int_equal(visits, 1);
	assert_int_equal(refs(head), 1);
	dma_fence_put(head);
	put_all(f, LONG_CHAIN);
	assert_int_equal(live_bytes(), before);

	/* Unsignaled, never walked: the release must not recurse 4096 deep. */
	head = mk_long_chain(f, LONG_CHAIN, &test_lock, 1);
	put_all(f, LONG_CHAIN);		/* the chain holds the only references */
	assert_int_equal(pthread_attr_init(&attr), 0);
	assert_int_equal(pthread_attr_setstacksize(&attr, 128 * 1024), 0);
	assert_int_equal(pthread_create(&thread, &attr, put_on_small_stack, head), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	pthread_attr_destroy(&attr);
	assert_int_equal(live_bytes(), before);
}

/* Two threads signal a chain's fences, a third walks it, main waits on the head. */
#define RACE_CHAIN 1024
#define RACE_LOCKS 4
#define RACE_PACE 8		/* signals per signaller per walk, at most */
#define RACE_ROUNDS 3

struct chain_walker {
	pthread_t thread;
	struct dma_fence *head;
	int *go;
	unsigned long walks;		/* atomic */
	unsigned long bad_order;	/* seqnos not strictly decreasing */
	unsigned long too_long;		/* more nodes than points */
	unsigned long final_visits;
};

struct chain_signaller {
	pthread_t thread;
	struct dma_fence **f;
	unsigned int first;	/* signals first, first + 2, ... in a shuffled order */
	uint64_t seed;
	int *go;
	struct chain_walker *walker;
};

static void wait_go(int *go)
{
	while (!__atomic_load_n(go, __ATOMIC_ACQUIRE))
		;
}

static void *signaller_main(void *arg)
{
	struct chain_signaller *s = arg;
	unsigned int order[RACE_CHAIN / 2];

	shuffle(order, RACE_CHAIN / 2, s->seed);
	wait_go(s->go);
	for (unsigned int i = 0; i < RACE_CHAIN / 2; i++) {
		/* Keep pace with the walker so that walks and signals interleave. */
		while (__atomic_load_n(&s->walker->walks, __ATOMIC_ACQUIRE) < i / RACE_PACE)
			sched_yield();
		dma_fence_signal(s->f[s->first + 2 * order[i]]);
	}
	return NULL;
}

static unsigned long walk_once(struct chain_walker *w)
{
	unsigned long visits = 0;
	uint64_t last = UINT64_MAX;
	struct dma_fence *it;

	dma_fence_chain_for_each(it, w->head) {
		if (it->seqno >= last)
			w->bad_order++;
		last = it->seqno;
		visits++;
	}
	if (visits > RACE_CHAIN)
		w->too_long++;
	__atomic_add_fetch(&w->walks, 1, __ATOMIC_RELEASE);
	return visits;
}

static void *walker_main(void *arg)
{
	struct chain_walker *w = arg;

	wait_go(w->go);
	while (!dma_fence_is_signaled(w->head))
		walk_once(w);
	w->final_visits = walk_once(w);
	return NULL;
}

static void chain_race_round(uint64_t seed)
{
	static struct dma_fence *f[RACE_CHAIN];
	static struct resv_spinlock locks[RACE_LOCKS];
	struct chain_signaller s[2];
	struct chain_walker w = { 0 };
	struct rec_cb rec = { 0 };
	struct dma_fence *head;
	int go = 0;

	for (int i = 0; i < RACE_LOCKS; i++)
		resv_spin_lock_init(&locks[i]);
	head = mk_long_chain(f, RACE_CHAIN, locks, RACE_LOCKS);
	assert_int_equal(dma_fence_add_callback(head, &rec.cb, rec_func), 0);

	w.head = head;
	w.go = &go;
	for (int t = 0; t < 2; t++) {
		s[t] = (struct chain_signaller){ .f = f, .first = (unsigned int)t,
						 .seed = seed + (uint64_t)t, .go = &go,
						 .walker = &w };
		assert_int_equal(pthread_create(&s[t].thread, NULL, signaller_main, &s[t]), 0);
	}
	assert_int_equal(pthread_create(&w.thread, NULL, walker_main, &w), 0);
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);

	assert_true(dma_fence_wait_timeout(head, false, 20000 * MS) > 0);
	for (int t = 0; t < 2; t++)
		assert_int_equal(pthread_join(s[t].thread, NULL), 0);
	assert_int_equal(pthread_join(w.thread, NULL), 0);

	print_message("seed 0x%llx: %lu walks\n", (unsigned long long)seed, w.walks);
	assert_true(w.walks >= RACE_CHAIN / 2 / RACE_PACE);
	assert_int_equal(w.bad_order, 0);
	assert_int_equal(w.too_long, 0);
	assert_int_equal(w.final_visits, 1);
	assert_int_equal(rec_runs(&rec), 1);
	assert_int_equal(dma_fence_get_status(head), 1);
	for (int i = 0; i < RACE_CHAIN; i++)
		assert_true(signaled(f[i]));

	dma_fence_put(head);
	put_all(f, RACE_CHAIN);
}

void test_dma_fence_chain_concurrent_signal_and_walk(void **state)
{
	uint64_t before = live_bytes();

	for (int round = 0; round < RACE_ROUNDS; round++)
		chain_race_round(0xc0ffee00ULL + 16 * (uint64_t)round);
	assert_int_equal(live_bytes(), before);
}
