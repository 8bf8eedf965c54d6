/* SPDX-License-Identifier: MIT */
/*
 * Contention between threads: a forced ABBA whose loser's table is known
 * exactly (the contended object first), a seeded race of two threads
 * locking the same objects in opposite orders, and interrupts while waiting
 * in the slow path and in a normal lock. Workers record; the main thread
 * asserts.
 */
#include <inttypes.h>
#include <sched.h>
#include <time.h>

#include "exec_test.h"

#define ABBA_N 8

struct abba {
	struct et_bos set;
	struct et_event a_half, b_half;
	/* results */
	int a_ret, b_ret;
	uint64_t a_restarts[RESV_EXEC_RESTART_NR], b_restarts[RESV_EXEC_RESTART_NR];
	struct drm_gem_object *a_table[ABBA_N], *b_table[ABBA_N];
	unsigned int a_num, b_num;
};

static void copy_result(struct drm_exec *exec, uint64_t *restarts,
			struct drm_gem_object **table, unsigned int *num)
{
	unsigned int i;

	for (i = 0; i < RESV_EXEC_RESTART_NR; i++)
		restarts[i] = resv_exec_restart_count(exec, (enum resv_exec_restart_reason)i);
	*num = exec->num_objects;
	for (i = 0; i < exec->num_objects && i < ABBA_N; i++)
		table[i] = drm_exec_obj(exec, i);
}

/*
 * Older: locks 0..N-1 forward, GNU form; after object 0 it waits until the
 * younger one holds N-1..1. Object 0 is what the younger dies on, and the
 * last object the older unlocks, so the younger's relock after its slow lock
 * meets nothing held: its table is known exactly.
 */
static void *abba_older(void *arg)
{
	struct abba *t = arg;
	struct drm_exec exec;
	unsigned int i;
	int ret = 0;

	drm_exec_init(&exec, 0, 0);
	drm_exec_until_all_locked(&exec) {
		for (i = 0; i < ABBA_N; i++) {
			if (i == 1 && !et_event_fired(&t->a_half)) {
				et_event_fire(&t->a_half);
				if (!et_event_wait(&t->b_half)) {
					ret = -ETIMEDOUT;
					goto out;
				}
			}
			ret = drm_exec_lock_obj(&exec, et_obj(&t->set, i));
			drm_exec_retry_on_contention(&exec);
			if (ret)
				goto out;
		}
	}
out:
	t->a_ret = ret;
	copy_result(&exec, t->a_restarts, t->a_table, &t->a_num);
	drm_exec_fini(&exec);
	return NULL;
}

/* Younger: starts once the older holds 0, locks N-1..0, portable form. */
static void *abba_younger(void *arg)
{
	struct abba *t = arg;
	struct drm_exec exec;
	unsigned int i;
	int ret = 0;

	if (!et_event_wait(&t->a_half)) {
		t->b_ret = -ETIMEDOUT;
		return NULL;
	}
	drm_exec_init(&exec, 0, 0);
	while (resv_exec_begin(&exec)) {
		for (i = ABBA_N; i-- > 0;) {
			if (i == 0)
				et_event_fire(&t->b_half);
			ret = drm_exec_lock_obj(&exec, et_obj(&t->set, i));
			if (resv_exec_restart_on(&exec, ret))
				break;
			if (ret)
				goto out;
		}
	}
out:
	t->b_ret = ret;
	copy_result(&exec, t->b_restarts, t->b_table, &t->b_num);
	drm_exec_fini(&exec);
	return NULL;
}

void test_drm_exec_abba_slow_lock_order(void **state)
{
	struct abba t;
	pthread_t a, b;
	unsigned int i, k;

	memset(&t, 0, sizeof(t));
	et_bos_init(&t.set, ABBA_N, NULL);
	et_event_init(&t.a_half);
	et_event_init(&t.b_half);
	a = et_spawn(abba_older, &t);
	b = et_spawn(abba_younger, &t);
	et_join(a, "the older ABBA thread");
	et_join(b, "the younger ABBA thread");

	assert_int_equal(t.a_ret, 0);
	assert_int_equal(t.b_ret, 0);
	/* Wait-Die: the older one waited and never restarted. */
	assert_int_equal(t.a_restarts[RESV_EXEC_RESTART_NONE], 0);
	assert_int_equal(t.a_num, ABBA_N);
	for (i = 0; i < ABBA_N; i++)
		assert_ptr_equal(t.a_table[i], et_obj(&t.set, i));
	/* The younger one died once on 0, held by the older. */
	assert_int_equal(t.b_restarts[RESV_EXEC_RESTART_NONE], 1);
	assert_int_equal(t.b_restarts[RESV_EXEC_RESTART_CONTENDED], 1);
	assert_int_equal(t.b_restarts[RESV_EXEC_RESTART_INJECTED], 0);
	assert_int_equal(t.b_num, ABBA_N);
	/* Slow-locked object first, then its own order without it. */
	assert_ptr_equal(t.b_table[0], et_obj(&t.set, 0));
	k = 1;
	for (i = ABBA_N; i-- > 1;) {
		assert_ptr_equal(t.b_table[k], et_obj(&t.set, i));
		k++;
	}
	et_event_destroy(&t.a_half);
	et_event_destroy(&t.b_half);
	et_assert_baseline(&t.set);
	et_bos_fini(&t.set);
}

/* ---- seeded race: two threads, opposite orders ------------------------------------ */

#define RACE_MAX_N 24
#define RACE_ROUNDS 400
#define RACE_BUDGET_NS (2ULL * 1000000000ULL)

struct race {
	struct et_bos set;
	pthread_barrier_t barrier;
	unsigned int n, rounds;
	uint64_t seed;
	uint64_t deadline_ns;
};

struct racer {
	struct race *race;
	unsigned int tid;
	/* results */
	unsigned int rounds_done;
	uint64_t restarts[RESV_EXEC_RESTART_NR];
	unsigned int bad_round; /* 0: none, else round + 1 */
	char what[96];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Records the first violated invariant of a finished loop. */
static bool check_table(struct racer *r, unsigned int round, struct drm_exec *exec,
			struct drm_gem_object **order, struct drm_gem_object *contended)
{
	struct race *race = r->race;
	unsigned int i, k = 0;

	if (exec->num_objects != race->n) {
		snprintf(r->what, sizeof(r->what), "%u objects locked, want %u",
			 exec->num_objects, race->n);
		goto bad;
	}
	if (contended && drm_exec_obj(exec, k++) != contended) {
		snprintf(r->what, sizeof(r->what), "contended object not first");
		goto bad;
	}
	for (i = 0; i < race->n; i++) {
		if (order[i] == contended)
			continue;
		if (drm_exec_obj(exec, k) != order[i] || !dma_resv_held(order[i]->resv)) {
			snprintf(r->what, sizeof(r->what), "entry %u is not the next in order", k);
			goto bad;
		}
		k++;
	}
	return true;
bad:
	r->bad_round = round + 1;
	return false;
}

static void *racer_fn(void *arg)
{
	struct racer *r = arg;
	struct race *race = r->race;
	struct drm_gem_object *order[RACE_MAX_N], *contended;
	uint64_t rng = race->seed ^ (r->tid + 1) * 0x5851f42d4c957f2dULL;
	struct drm_exec exec;
	unsigned int round, i;
	int ret;

	for (i = 0; i < race->n; i++)
		order[i] = et_obj(&race->set, r->tid ? race->n - 1 - i : i);

	for (round = 0;; round++) {
		pthread_barrier_wait(&race->barrier);
		/* Both threads agree to stop: the decision is taken before the barrier. */
		if (mono_ns() > race->deadline_ns && round > 0 && r->tid == 0)
			__atomic_store_n(&race->rounds, round, __ATOMIC_RELAXED);
		pthread_barrier_wait(&race->barrier);
		if (round >= __atomic_load_n(&race->rounds, __ATOMIC_RELAXED))
			break;

		contended = NULL;
		ret = 0;
		drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
		while (resv_exec_begin(&exec)) {
			if (resv_exec_restart_count(&exec, RESV_EXEC_RESTART_NONE) > ET_MAX_RESTARTS) {
				ret = -ELOOP;
				break;
			}
			for (i = 0; i < race->n; i++) {
				/* Seeded jitter makes the interleavings differ between rounds. */
				if ((mix(&rng) & 7) == 0)
					sched_yield();
				ret = drm_exec_lock_obj(&exec, order[i]);
				if (ret == -EDEADLK)
					contended = order[i];
				if (resv_exec_restart_on(&exec, ret))
					break;
				if (ret)
					goto out;
			}
		}
out:
		if (ret) {
			snprintf(r->what, sizeof(r->what), "loop returned %d", ret);
			r->bad_round = round + 1;
		} else {
			(void)check_table(r, round, &exec, order, contended);
		}
		for (i = 0; i < RESV_EXEC_RESTART_NR; i++)
			r->restarts[i] += exec.restarts[i];
		drm_exec_fini(&exec);
		if (r->bad_round) {
			/* Keep the barrier count right for the other thread. */
			__atomic_store_n(&race->rounds, round + 1, __ATOMIC_RELAXED);
		}
		r->rounds_done = round + 1;
	}
	return NULL;
}

void test_drm_exec_opposite_orders_seeded(void **state)
{
	struct race race;
	struct racer r[2];
	pthread_t t[2];
	uint64_t rng = et_seed() ^ 0xabbaULL;
	unsigned int i;

	memset(&race, 0, sizeof(race));
	memset(r, 0, sizeof(r));
	race.n = 2 + (unsigned int)(mix(&rng) % (RACE_MAX_N - 1));
	race.rounds = RACE_ROUNDS;
	race.seed = mix(&rng);
	race.deadline_ns = mono_ns() + RACE_BUDGET_NS;
	et_bos_init(&race.set, race.n, NULL);
	assert_int_equal(pthread_barrier_init(&race.barrier, NULL, 2), 0);
	for (i = 0; i < 2; i++) {
		r[i].race = &race;
		r[i].tid = i;
		t[i] = et_spawn(racer_fn, &r[i]);
	}
	for (i = 0; i < 2; i++)
		et_join(t[i], "an opposite-order racer");
	pthread_barrier_destroy(&race.barrier);

	printf("opposite orders: n=%u rounds=%u restarts=%" PRIu64 "+%" PRIu64 " seed=%" PRIu64 "\n",
	       race.n, r[0].rounds_done, r[0].restarts[RESV_EXEC_RESTART_CONTENDED],
	       r[1].restarts[RESV_EXEC_RESTART_CONTENDED], et_seed());
	for (i = 0; i < 2; i++) {
		if (r[i].bad_round)
			fail_msg("thread %u, round %u: %s (seed %" PRIu64 ")", i, r[i].bad_round - 1,
				 r[i].what, et_seed());
		assert_true(r[i].rounds_done >= 1);
		/* No injection here: every restart was a real conflict. */
		assert_int_equal(r[i].restarts[RESV_EXEC_RESTART_INJECTED], 0);
		assert_int_equal(r[i].restarts[RESV_EXEC_RESTART_ENOMEM_RETRY], 0);
		assert_int_equal(r[i].restarts[RESV_EXEC_RESTART_USERPTR_STALE], 0);
	}
	assert_int_equal(r[0].rounds_done, r[1].rounds_done);
	et_assert_baseline(&race.set);
	et_bos_fini(&race.set);
}

/* ---- interrupts -------------------------------------------------------------------- */

struct intr {
	struct drm_gem_object *x, *y;
	uint32_t flags;
	struct resv_thread *self;
	struct et_event started, deadlk;
	/* results */
	int ret;
	uint64_t contended_restarts;
	unsigned int num_objects;
	bool contended_pending, y_held, x_held, was_interrupted;
};

/* Locks y then x; x is held by the (older) main thread. */
static void *intr_victim(void *arg)
{
	struct intr *c = arg;
	struct drm_exec exec;
	int ret = 0;

	c->self = resv_thread_self();
	et_event_fire(&c->started);
	drm_exec_init(&exec, c->flags, 0);
	while (resv_exec_begin(&exec)) {
		if (c->y) {
			ret = drm_exec_lock_obj(&exec, c->y);
			if (resv_exec_restart_on(&exec, ret))
				continue;
			if (ret)
				break;
		}
		ret = drm_exec_lock_obj(&exec, c->x);
		if (ret == -EDEADLK)
			et_event_fire(&c->deadlk);
		if (resv_exec_restart_on(&exec, ret))
			continue;
		if (ret)
			break;
	}
	c->ret = ret;
	c->contended_restarts = resv_exec_restart_count(&exec, RESV_EXEC_RESTART_CONTENDED);
	c->num_objects = exec.num_objects;
	c->contended_pending = drm_exec_is_contended(&exec);
	c->y_held = c->y && dma_resv_held(c->y->resv);
	c->x_held = dma_resv_held(c->x->resv);
	drm_exec_fini(&exec);
	c->was_interrupted = resv_thread_clear_interrupt();
	return NULL;
}

void test_drm_exec_interrupt_slow_lock(void **state)
{
	struct ww_acquire_ctx ctx;
	struct et_bos set;
	struct intr c;
	pthread_t t;

	memset(&c, 0, sizeof(c));
	et_bos_init(&set, 2, NULL);
	c.x = et_obj(&set, 0);
	c.y = et_obj(&set, 1);
	c.flags = DRM_EXEC_INTERRUPTIBLE_WAIT;
	et_event_init(&c.started);
	et_event_init(&c.deadlk);

	/* Main is older and holds x: the victim dies on x, then slow-locks it. */
	ww_acquire_init(&ctx, &reservation_ww_class);
	assert_int_equal(dma_resv_lock(c.x->resv, &ctx), 0);
	t = et_spawn(intr_victim, &c);
	et_event_expect(&c.started, "victim start");
	et_event_expect(&c.deadlk, "victim -EDEADLK on x");
	et_msleep(ET_SETTLE_MS); /* likely asleep in the slow lock by now; either way works */
	resv_thread_interrupt(c.self);
	et_join(t, "the interrupted victim");

	assert_int_equal(c.ret, -EINTR);
	assert_int_equal(c.contended_restarts, 1);
	assert_int_equal(c.num_objects, 0);
	assert_false(c.contended_pending);
	assert_false(c.y_held);
	assert_false(c.x_held);
	assert_true(c.was_interrupted);
	/* x is still ours, untouched; its reference from drm_exec is gone. */
	assert_true(dma_resv_held(c.x->resv));
	assert_int_equal(drm_gem_object_refcount(c.x), 1);
	dma_resv_unlock(c.x->resv);
	ww_acquire_fini(&ctx);

	et_event_destroy(&c.started);
	et_event_destroy(&c.deadlk);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

void test_drm_exec_interrupt_lock(void **state)
{
	struct et_bos set;
	struct intr c;
	pthread_t t;
	int pass;

	et_bos_init(&set, 1, NULL);
	for (pass = 0; pass < 2; pass++) {
		memset(&c, 0, sizeof(c));
		c.x = et_obj(&set, 0);
		c.flags = pass == 0 ? DRM_EXEC_INTERRUPTIBLE_WAIT : 0;
		et_event_init(&c.started);
		et_event_init(&c.deadlk);

		/* Held without a context: the victim holds nothing, so it waits. */
		assert_int_equal(dma_resv_lock(c.x->resv, NULL), 0);
		t = et_spawn(intr_victim, &c);
		et_event_expect(&c.started, "victim start");
		et_msleep(ET_SETTLE_MS);
		resv_thread_interrupt(c.self);
		if (pass == 0) {
			/* The interrupt is sticky: the victim cannot get x before it returns. */
			et_join(t, "the interrupted victim");
			dma_resv_unlock(c.x->resv);
		} else {
			et_msleep(ET_SETTLE_MS); /* the interrupt must be ignored meanwhile */
			dma_resv_unlock(c.x->resv);
			et_join(t, "the uninterruptible victim");
		}

		assert_true(c.was_interrupted);
		assert_int_equal(c.contended_restarts, 0);
		if (pass == 0) {
			/* Interruptible: -EINTR, nothing locked. */
			assert_int_equal(c.ret, -EINTR);
			assert_int_equal(c.num_objects, 0);
			assert_false(c.x_held);
		} else {
			/* Uninterruptible: it waited and got the lock. */
			assert_int_equal(c.ret, 0);
			assert_int_equal(c.num_objects, 1);
			assert_true(c.x_held);
		}
		et_event_destroy(&c.started);
		et_event_destroy(&c.deadlk);
		et_assert_baseline(&set);
	}
	et_bos_fini(&set);
}
