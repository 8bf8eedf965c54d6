// SPDX-License-Identifier: MIT
/*
 * Seeded, time-bounded stress of one syncobj table (RESV_SEED replays):
 * a producer appends points to a shared timeline and signals their fences
 * out of order; other threads create, destroy, signal, reset, query,
 * transfer and wait on random handles, and check on every iteration that
 * each call returned one of the errnos it may return, and that the shared
 * timeline behaves: a point that a wait saw signaled stays signaled,
 * queried points never decrease, every point already added is available.
 * Workers record the first violation; the main thread asserts.
 */
#include <time.h>

#include "test_syncobj.h"

#define CHAOS_THREADS 3
#define MAX_HANDLE 48
#define RUN_MS 1000

struct shared {
	struct sim_syncobj_table table;
	uint32_t timeline;		/* handle 1: never destroyed */
	struct sim_syncobj *timeline_obj;
	uint64_t produced;		/* atomic: last point added */
	int stop;			/* atomic */
	uint64_t creates, destroys;	/* atomic: successful ones */
};

struct worker {
	struct shared *sh;
	pthread_t thread;
	uint64_t rng;
	unsigned long iterations;
	char failure[200];		/* first violation; read after join */
};

static bool stopped(struct shared *sh)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE);
}

static void sleep_us(long us)
{
	struct timespec ts = { 0, us * 1000L };

	nanosleep(&ts, NULL);
}

#define VIOLATION(w, ...)							\
	do {									\
		if (!(w)->failure[0])						\
			snprintf((w)->failure, sizeof((w)->failure), __VA_ARGS__); \
	} while (0)

static void *producer(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	uint64_t point = 0;

	while (!stopped(sh)) {
		struct dma_fence *fence[4];
		unsigned int i, order[4] = { 0, 1, 2, 3 };

		for (i = 0; i < 4; i++) {
			fence[i] = st_fence_new();
			if (sim_syncobj_add_point(sh->timeline_obj, fence[i], ++point))
				VIOLATION(w, "add_point %llu failed", (unsigned long long)point);
			__atomic_store_n(&sh->produced, point, __ATOMIC_RELEASE);
		}
		for (i = 3; i > 0; i--) {
			unsigned int j = st_rand(&w->rng) % (i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (i = 0; i < 4; i++) {
			sleep_us(st_rand(&w->rng) % 300);
			dma_fence_signal(fence[order[i]]);
		}
		for (i = 0; i < 4; i++)
			dma_fence_put(fence[i]);
		w->iterations++;
	}
	return NULL;
}

static bool allowed(int ret, int a, int b, int c)
{
	return ret == 0 || ret == a || ret == b || ret == c;
}

/* The shared timeline, as a consumer sees it. */
static void check_timeline(struct worker *w, uint64_t *last_query, uint64_t *last_submitted)
{
	struct shared *sh = w->sh;
	uint64_t produced = __atomic_load_n(&sh->produced, __ATOMIC_ACQUIRE);
	uint64_t q, point;
	struct dma_fence *fence;
	int ret;

	/* Every point already added is available, even when polling. */
	if (produced) {
		q = 1 + st_rand(&w->rng) % produced;
		ret = sim_syncobj_table_timeline_wait(&sh->table, &sh->timeline, &q, 1, 0,
						      SIM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE, NULL);
		if (ret)
			VIOLATION(w, "point %llu of %llu not available: %d",
				  (unsigned long long)q, (unsigned long long)produced, ret);
	}
	/* Wait (for submission too) for a point up to two ahead. */
	q = 1 + st_rand(&w->rng) % (produced + 2);
	ret = sim_syncobj_table_timeline_wait(&sh->table, &sh->timeline, &q, 1,
					      so_now() + 20 * MS,
					      SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, NULL);
	if (ret && ret != -ETIME)
		VIOLATION(w, "timeline wait %llu: %d", (unsigned long long)q, ret);
	if (!ret) {
		ret = sim_syncobj_find_fence(sh->timeline_obj, q, 0, &fence);
		if (ret || !dma_fence_is_signaled(fence))
			VIOLATION(w, "point %llu waited for but not signaled (%d)",
				  (unsigned long long)q, ret);
		dma_fence_put(fence);
	}
	if (sim_syncobj_table_query(&sh->table, &sh->timeline, &point, 1, 0) ||
	    point < *last_query)
		VIOLATION(w, "signaled point went back: %llu < %llu",
			  (unsigned long long)point, (unsigned long long)*last_query);
	*last_query = point;
	if (sim_syncobj_table_query(&sh->table, &sh->timeline, &point, 1,
				    SIM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED) ||
	    point < *last_submitted || point < produced)
		VIOLATION(w, "submitted point went back: %llu", (unsigned long long)point);
	*last_submitted = point;
}

static uint32_t rand_handle(struct worker *w)
{
	return 2 + st_rand(&w->rng) % (MAX_HANDLE - 1);
}

static void chaos_op(struct worker *w)
{
	struct shared *sh = w->sh;
	uint32_t h[2] = { rand_handle(w), rand_handle(w) }, handle, first;
	uint64_t points[2] = { st_rand(&w->rng) % 8, st_rand(&w->rng) % 8 }, out[2];
	uint32_t count = 1 + st_rand(&w->rng) % 2;
	uint32_t flags;
	int ret;

	switch (st_rand(&w->rng) % 9) {
	case 0:
	case 1:
		if (sim_syncobj_table_count(&sh->table) >= MAX_HANDLE - 8)
			break;
		ret = sim_syncobj_table_create(&sh->table, st_rand(&w->rng) & 1, &handle);
		if (ret)
			VIOLATION(w, "create: %d", ret);
		else
			__atomic_add_fetch(&sh->creates, 1, __ATOMIC_RELAXED);
		break;
	case 2:
		ret = sim_syncobj_table_destroy(&sh->table, h[0]);
		if (!allowed(ret, -EINVAL, -EINVAL, -EINVAL))
			VIOLATION(w, "destroy: %d", ret);
		if (!ret)
			__atomic_add_fetch(&sh->destroys, 1, __ATOMIC_RELAXED);
		break;
	case 3:
		ret = (st_rand(&w->rng) & 1) ? sim_syncobj_table_signal(&sh->table, h, count)
					     : sim_syncobj_table_reset(&sh->table, h, count);
		if (!allowed(ret, -ENOENT, -ENOENT, -ENOENT))
			VIOLATION(w, "signal/reset: %d", ret);
		break;
	case 4:
		ret = sim_syncobj_table_timeline_signal(&sh->table, h, points, count, 0);
		if (!allowed(ret, -ENOENT, -ENOENT, -ENOENT))
			VIOLATION(w, "timeline signal: %d", ret);
		break;
	case 5:
		ret = sim_syncobj_table_query(&sh->table, h, out, count,
					      st_rand(&w->rng) & 1);
		if (!allowed(ret, -ENOENT, -ENOENT, -ENOENT))
			VIOLATION(w, "query: %d", ret);
		break;
	case 6:
		/* No WAIT_FOR_SUBMIT here: that would wait 5 s for an empty source. */
		ret = sim_syncobj_table_transfer(&sh->table, h[0], points[0], h[1], points[1], 0);
		if (!allowed(ret, -ENOENT, -EINVAL, -EINVAL))
			VIOLATION(w, "transfer: %d", ret);
		break;
	default:
		flags = st_rand(&w->rng) & (SIM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL |
					    SIM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT |
					    SIM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE);
		ret = sim_syncobj_table_timeline_wait(&sh->table, h, points, count,
						      so_now() + (int64_t)(st_rand(&w->rng) % 3) * MS,
						      flags, &first);
		if (!allowed(ret, -ETIME, -ENOENT, -EINVAL))
			VIOLATION(w, "wait: %d", ret);
		if (!ret && !(flags & SIM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL) && first >= count)
			VIOLATION(w, "wait any: first_signaled %u of %u", first, count);
		break;
	}
}

static void *chaos(void *arg)
{
	struct worker *w = arg;
	uint64_t last_query = 0, last_submitted = 0;

	while (!stopped(w->sh)) {
		if (st_rand(&w->rng) % 4 == 0)
			check_timeline(w, &last_query, &last_submitted);
		else
			chaos_op(w);
		w->iterations++;
	}
	return NULL;
}

static void test_syncobj_stress_one_table(void **state)
{
	struct worker workers[1 + CHAOS_THREADS] = { 0 };
	uint64_t seed = st_seed(), live = st_live_bytes();
	struct timespec run = { RUN_MS / 1000, (RUN_MS % 1000) * 1000000L };
	struct shared sh = { 0 };
	unsigned int i;

	(void)state;
	sim_syncobj_table_init(&sh.table);
	assert_int_equal(sim_syncobj_table_create(&sh.table, 0, &sh.timeline), 0);
	assert_int_equal(sh.timeline, 1);
	sh.timeline_obj = sim_syncobj_table_lookup(&sh.table, sh.timeline);

	for (i = 0; i <= CHAOS_THREADS; i++) {
		workers[i].sh = &sh;
		workers[i].rng = seed + i;
		assert_int_equal(pthread_create(&workers[i].thread, NULL, i ? chaos : producer,
						&workers[i]), 0);
	}
	nanosleep(&run, NULL);
	__atomic_store_n(&sh.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i <= CHAOS_THREADS; i++)
		assert_int_equal(pthread_join(workers[i].thread, NULL), 0);

	for (i = 0; i <= CHAOS_THREADS; i++) {
		if (workers[i].failure[0])
			fail_msg("seed=%llu thread %u: %s", (unsigned long long)seed, i,
				 workers[i].failure);
		if (workers[i].iterations == 0)
			fail_msg("seed=%llu thread %u made no progress", (unsigned long long)seed,
				 i);
	}
	printf("stress: producer %lu batches, chaos %lu/%lu/%lu ops, %llu points\n",
	       workers[0].iterations, workers[1].iterations, workers[2].iterations,
	       workers[3].iterations, (unsigned long long)sh.produced);
	/* Every handle is accounted for. */
	assert_int_equal(sim_syncobj_table_count(&sh.table), 1 + sh.creates - sh.destroys);
	assert_true(sh.creates > 0 && sh.destroys > 0);
	sim_syncobj_put(sh.timeline_obj);
	sim_syncobj_table_fini(&sh.table);
	assert_int_equal(st_live_bytes(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syncobj_stress_one_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
