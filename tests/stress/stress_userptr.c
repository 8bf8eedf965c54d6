/* SPDX-License-Identifier: MIT */
/*
 * Seeded, time-bounded stress of the userptr validator (<resv/userptr.h>):
 * an invalidation storm against execs that snapshot, check and publish,
 * with a "GPU" that reads the published pages and proves by their data
 * that no stale snapshot was ever published.
 *
 * Set-up: NRANGES userptr ranges of NPAGES pages in one mm, each bound to
 * its own buffer-object resv, all sharing one device notifier lock. Every
 * page of range r holds a version stamp: a header (magic, r, page index,
 * version) and a body of words derived from (version, page, word). The
 * version of a range changes only when the remap thread replaces its
 * backing: unmap, then bump the range's version, then map_data() with the
 * new contents (which are in the pages before anybody can see them).
 *
 * Threads:
 *   validators  pick a range; exec: snapshot (no locks), lock the BO resv,
 *               reserve, take the notifier lock for reading, check
 *               (-EAGAIN: drop everything, retry), record the range's
 *               version *now* as what the job must see, add the job fence
 *               (BOOKKEEP), queue the job, unlock;
 *   gpu         pops jobs, waits a little (work in flight), reads every
 *               word of every page through the published page pointers,
 *               compares with the expected version, then signals the fence;
 *   remap       unmap + map_data with a new version (MMU_NOTIFY_UNMAP);
 *   migrate     migrates random sub-ranges (MMU_NOTIFY_MIGRATE: same data,
 *               new pages; the old ones poisoned in debug builds);
 *   invalidate  bare invalidations of random spans, blockable or not
 *               (non-blockable ones may be refused with -EAGAIN).
 *
 * A published stale snapshot shows up as a wrong version (the mm moved on
 * between the snapshot and the publication), as poison or foreign data
 * (its pages were freed and reused before the GPU read them), or, under
 * ThreadSanitizer, as a race between the GPU's reads and the mm's poisoning.
 * The run fails if any job saw wrong data, if an exec needed more than
 * MAX_ATTEMPTS tries (livelock), or if a thread hangs. A second scenario
 * (not under TSan, where it would be a real data race) switches the check
 * off and requires the GPU to catch a stale publication: proof that the
 * oracle can fail.
 *
 * Environment:
 *   RESV_SEED            seed (default: time-based); printed as seed=<n>
 *   RESV_STRESS_SECONDS  seconds of the main scenario (default 2)
 *
 * Workers never call cmocka asserts: they record, the main thread asserts.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_timedjoin_np() */
#endif

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <resv/resv.h>

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

#define PG RESV_MM_PAGE_SIZE
#define NRANGES 4
#define NPAGES 4
#define NVALIDATORS 2
#define RANGE_ADDR(r) ((unsigned long)(64 + (r) * 16) * PG)
#define WORDS (PG / sizeof(uint64_t))
#define MAGIC 0x75737270747221ULL	/* "usrptr!" */
/* An exec still retrying after this many attempts is livelocked. */
#define MAX_ATTEMPTS 100000
/* A thread not back this long after the deadline is hung. */
#define HANG_GRACE_S 30
/* Jobs queued or running on the GPU at most (a ring's depth: back-pressure). */
#define MAX_INFLIGHT 32

static uint64_t g_seed;
static double g_seconds = 2.0;

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_us(unsigned long us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

/* ---- page contents ------------------------------------------------------------ */

static uint64_t body_word(uint64_t version, unsigned int page, unsigned int word)
{
	return (version * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)page << 32 | word);
}

static void fill_range(uint64_t *buf, unsigned int r, uint64_t version)
{
	for (unsigned int p = 0; p < NPAGES; p++) {
		uint64_t *w = buf + p * WORDS;

		for (unsigned int i = 0; i < WORDS; i++)
			w[i] = body_word(version, p, i);
		w[0] = MAGIC;
		w[1] = r;
		w[2] = p;
		w[3] = version;
	}
}

/* ---- shared state ------------------------------------------------------------- */

struct range {
	struct resv_userptr up;
	struct dma_resv resv;
	uint64_t version;		/* atomic; written by the remap thread only */
	pthread_mutex_t storm_lock;	/* serialises remaps of this range */
};

struct job {
	struct job *next;
	struct dma_fence *fence;
	void **pages;
	unsigned int range;
	uint64_t expected;
};

struct counters {
	uint64_t execs, attempts, check_retries, snapshot_eagain, faults, max_attempts;
	uint64_t livelocks;
};

static struct {
	struct resv_mm *mm;
	struct resv_notifier_lock lock;
	struct range ranges[NRANGES];
	bool sabotage;			/* publish without the check */
	int stop;			/* atomic: storm and validators */
	int gpu_stop;			/* atomic */
	/* the GPU queue */
	pthread_mutex_t q_lock;
	pthread_cond_t q_cond;
	struct job *q_head, **q_tail;
	unsigned int inflight;		/* atomic */
	/* GPU results (GPU thread only, read after join) */
	uint64_t verified, stale;
	char first_stale[160];
	/* storm results (per thread, read after join) */
	uint64_t remaps, migrates, migrate_faults, invalidations, refused;
} g;

static const char *fence_driver(struct dma_fence *f) { return "stress"; }
static const char *fence_timeline(struct dma_fence *f) { return "gpu"; }
static const struct dma_fence_ops fence_ops = {
	.get_driver_name = fence_driver,
	.get_timeline_name = fence_timeline,
};
static struct resv_spinlock fence_lock = RESV_SPINLOCK_INITIALIZER;
static uint64_t fence_ctx, fence_seqno;	/* seqno atomic */

static bool stopping(void)
{
	return __atomic_load_n(&g.stop, __ATOMIC_RELAXED) != 0;
}

/* ---- the GPU ------------------------------------------------------------------ */

static void queue_job(struct job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&g.q_lock);
	*g.q_tail = job;
	g.q_tail = &job->next;
	pthread_cond_signal(&g.q_cond);
	pthread_mutex_unlock(&g.q_lock);
}

static struct job *pop_job(void)
{
	struct job *job;

	pthread_mutex_lock(&g.q_lock);
	while (!g.q_head && !__atomic_load_n(&g.gpu_stop, __ATOMIC_RELAXED))
		pthread_cond_wait(&g.q_cond, &g.q_lock);
	job = g.q_head;
	if (job) {
		g.q_head = job->next;
		if (!g.q_head)
			g.q_tail = &g.q_head;
	}
	pthread_mutex_unlock(&g.q_lock);
	return job;
}

/* Read every word the job may read; false (with a description) on a mismatch. */
static bool run_job(const struct job *job, char *why, size_t len)
{
	for (unsigned int p = 0; p < NPAGES; p++) {
		const uint64_t *w = job->pages[p];

		if (w[0] != MAGIC || w[1] != job->range || w[2] != p || w[3] != job->expected) {
			snprintf(why, len, "range %u page %u: header %#" PRIx64 " %" PRIu64
				 " %" PRIu64 " v%" PRIu64 ", expected v%" PRIu64,
				 job->range, p, w[0], w[1], w[2], w[3], job->expected);
			return false;
		}
		for (unsigned int i = 4; i < WORDS; i++) {
			if (w[i] != body_word(job->expected, p, i)) {
				snprintf(why, len, "range %u page %u word %u: %#" PRIx64
					 " (v%" PRIu64 ")", job->range, p, i, w[i], job->expected);
				return false;
			}
		}
	}
	return true;
}

static void *gpu_thread(void *arg)
{
	uint64_t s = g_seed ^ 0x6770755f;
	struct job *job;

	while ((job = pop_job())) {
		char why[160];
		bool cookie;

		/* Work in flight: give invalidations the chance to wait for us. */
		if (rnd(&s) % 4 == 0)
			sleep_us(rnd(&s) % 200);
		if (run_job(job, why, sizeof(why))) {
			g.verified++;
		} else if (__atomic_fetch_add(&g.stale, 1, __ATOMIC_RELAXED) == 0) {
			memcpy(g.first_stale, why, sizeof(why));
		}
		cookie = dma_fence_begin_signalling();
		dma_fence_signal(job->fence);
		dma_fence_end_signalling(cookie);
		dma_fence_put(job->fence);
		free(job);
		__atomic_sub_fetch(&g.inflight, 1, __ATOMIC_RELAXED);
	}
	return arg;
}

/* ---- validators (execs) --------------------------------------------------------- */

static struct dma_fence *fence_new(void)
{
	struct dma_fence *f = resv_dma_fence_alloc(sizeof(*f));

	if (f)
		dma_fence_init(f, &fence_ops, &fence_lock, fence_ctx,
			       __atomic_add_fetch(&fence_seqno, 1, __ATOMIC_RELAXED));
	return f;
}

/* One exec on range @r; returns the attempts it took (0: gave up, stopping). */
static uint64_t exec_once(unsigned int r, struct counters *c)
{
	struct range *rg = &g.ranges[r];
	struct job *job = calloc(1, sizeof(*job));
	uint64_t attempts = 0;

	if (!job)
		abort();
	/* Allocate before any lock: nothing may allocate under the notifier lock. */
	job->fence = fence_new();
	if (!job->fence)
		abort();
	job->range = r;
	for (;;) {
		struct ww_acquire_ctx ctx;
		int ret;

		if (stopping() || attempts >= MAX_ATTEMPTS) {
			if (attempts >= MAX_ATTEMPTS)
				c->livelocks++;
			dma_fence_signal(job->fence);
			dma_fence_put(job->fence);
			free(job);
			return 0;
		}
		attempts++;
		c->attempts++;
		ret = resv_userptr_snapshot(&rg->up);
		if (ret == -EAGAIN) {
			c->snapshot_eagain++;
			continue;
		}
		if (ret == -EFAULT) {
			c->faults++;	/* between unmap and map: come back later */
			sched_yield();
			continue;
		}
		if (ret)
			abort();

		ww_acquire_init(&ctx, &reservation_ww_class);
		if (dma_resv_lock(&rg->resv, &ctx) || dma_resv_reserve_fences(&rg->resv, 1))
			abort();	/* one lock per context: neither can fail */
		resv_notifier_read_lock(&g.lock);
		if (!g.sabotage && resv_userptr_check(&rg->up) == -EAGAIN) {
			resv_notifier_read_unlock(&g.lock);
			dma_resv_unlock(&rg->resv);
			ww_acquire_fini(&ctx);
			c->check_retries++;
			continue;
		}
		/* What the mm holds now, as far as this exec may know. */
		job->expected = __atomic_load_n(&rg->version, __ATOMIC_ACQUIRE);
		job->pages = resv_userptr_pages(&rg->up);
		dma_resv_add_fence(&rg->resv, job->fence, DMA_RESV_USAGE_BOOKKEEP);
		__atomic_add_fetch(&g.inflight, 1, __ATOMIC_RELAXED);
		queue_job(job);
		resv_notifier_read_unlock(&g.lock);
		dma_resv_unlock(&rg->resv);
		ww_acquire_fini(&ctx);
		return attempts;
	}
}

struct validator {
	uint64_t seed;
	struct counters c;
};

static void *validator_thread(void *arg)
{
	struct validator *v = arg;
	uint64_t s = v->seed;

	while (!stopping()) {
		uint64_t n;

		/* The ring is full: wait for the GPU (outside every lock). */
		if (__atomic_load_n(&g.inflight, __ATOMIC_RELAXED) >= MAX_INFLIGHT) {
			sleep_us(20);
			continue;
		}
		n = exec_once(rnd(&s) % NRANGES, &v->c);

		if (!n)
			break;
		v->c.execs++;
		if (n > v->c.max_attempts)
			v->c.max_attempts = n;
		if (rnd(&s) % 8 == 0)
			sched_yield();
	}
	return NULL;
}

/* ---- the storm ------------------------------------------------------------------ */

static void *remap_thread(void *arg)
{
	uint64_t s = g_seed ^ 0x72656d6170ULL;
	static uint64_t buf[NPAGES * WORDS];

	while (!stopping()) {
		unsigned int r = rnd(&s) % NRANGES;
		struct range *rg = &g.ranges[r];
		uint64_t v;

		pthread_mutex_lock(&rg->storm_lock);
		v = __atomic_load_n(&rg->version, __ATOMIC_RELAXED) + 1;
		fill_range(buf, r, v);
		if (resv_mm_unmap(g.mm, RANGE_ADDR(r), NPAGES * PG))
			abort();
		/* Unmapped now: no exec can publish this range until it is mapped again. */
		__atomic_store_n(&rg->version, v, __ATOMIC_RELEASE);
		if (rnd(&s) % 4 == 0)
			sleep_us(rnd(&s) % 100);
		if (resv_mm_map_data(g.mm, RANGE_ADDR(r), NPAGES * PG, buf))
			abort();
		pthread_mutex_unlock(&rg->storm_lock);
		g.remaps++;
		sleep_us(50 + rnd(&s) % 400);
	}
	return NULL;
}

static void *migrate_thread(void *arg)
{
	uint64_t s = g_seed ^ 0x6d696772ULL;
	uint64_t *migrates = arg;

	while (!stopping()) {
		unsigned int r = rnd(&s) % NRANGES;
		unsigned int first = rnd(&s) % NPAGES;
		unsigned int n = 1 + rnd(&s) % (NPAGES - first);
		int ret = resv_mm_migrate(g.mm, RANGE_ADDR(r) + first * PG, n * PG);

		if (ret == -EFAULT)
			g.migrate_faults++;	/* caught between unmap and map */
		else if (ret)
			abort();
		else
			(*migrates)++;
		sleep_us(30 + rnd(&s) % 300);
	}
	return NULL;
}

static void *invalidate_thread(void *arg)
{
	uint64_t s = g_seed ^ 0x696e76ULL;

	while (!stopping()) {
		unsigned long start = RANGE_ADDR(0) + (rnd(&s) % (NRANGES * 16)) * PG;
		unsigned long end = start + (1 + rnd(&s) % 24) * PG;
		bool blockable = rnd(&s) % 2;
		int ret = resv_mm_invalidate_range(g.mm, start, end, blockable, MMU_NOTIFY_CLEAR);

		if (ret == -EAGAIN && !blockable)
			g.refused++;
		else if (ret)
			abort();
		else
			g.invalidations++;
		sleep_us(100 + rnd(&s) % 600);
	}
	return NULL;
}

/* ---- driver ----------------------------------------------------------------------- */

static bool join_by(pthread_t t, uint64_t deadline_ns)
{
	struct timespec ts;
	uint64_t left = deadline_ns > now_ns() ? deadline_ns - now_ns() : 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(left / 1000000000ULL);
	ts.tv_nsec += (long)(left % 1000000000ULL);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_timedjoin_np(t, NULL, &ts) == 0;
}

static void setup(void)
{
	static uint64_t buf[NPAGES * WORDS];

	memset(&g, 0, sizeof(g));
	pthread_mutex_init(&g.q_lock, NULL);
	pthread_cond_init(&g.q_cond, NULL);
	g.q_tail = &g.q_head;
	if (!fence_ctx)
		fence_ctx = dma_fence_context_alloc(1);
	assert_int_equal(resv_mm_create(&g.mm), 0);
	resv_notifier_lock_init(&g.lock);
	for (unsigned int r = 0; r < NRANGES; r++) {
		struct range *rg = &g.ranges[r];

		rg->version = 1;
		fill_range(buf, r, 1);
		assert_int_equal(resv_mm_map_data(g.mm, RANGE_ADDR(r), NPAGES * PG, buf), 0);
		dma_resv_init(&rg->resv);
		pthread_mutex_init(&rg->storm_lock, NULL);
		assert_int_equal(resv_userptr_init(&rg->up, g.mm, RANGE_ADDR(r), NPAGES * PG,
						   &g.lock, &rg->resv, NULL), 0);
	}
}

static void teardown(void)
{
	for (unsigned int r = 0; r < NRANGES; r++) {
		struct range *rg = &g.ranges[r];

		assert_true(dma_resv_test_signaled(&rg->resv, DMA_RESV_USAGE_BOOKKEEP));
		resv_userptr_fini(&rg->up);
		dma_resv_fini(&rg->resv);
		pthread_mutex_destroy(&rg->storm_lock);
	}
	resv_notifier_lock_fini(&g.lock);
	resv_mm_destroy(g.mm);
	pthread_cond_destroy(&g.q_cond);
	pthread_mutex_destroy(&g.q_lock);
}

struct run_result {
	struct counters c;
	struct resv_userptr_stats up;
	uint64_t migrates;
	bool hung;
};

/* Run the storm for @seconds (or, if @until_stale, until the GPU saw one). */
static void run(double seconds, bool until_stale, struct run_result *res)
{
	pthread_t gpu, remap, migrate, inval, val[NVALIDATORS];
	struct validator v[NVALIDATORS];
	uint64_t deadline = now_ns() + (uint64_t)(seconds * 1e9), grace;

	memset(res, 0, sizeof(*res));
	pthread_create(&gpu, NULL, gpu_thread, NULL);
	for (int i = 0; i < NVALIDATORS; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].seed = g_seed ^ (0x76616c0000ULL + (uint64_t)i);
		pthread_create(&val[i], NULL, validator_thread, &v[i]);
	}
	pthread_create(&remap, NULL, remap_thread, NULL);
	pthread_create(&migrate, NULL, migrate_thread, &res->migrates);
	pthread_create(&inval, NULL, invalidate_thread, NULL);

	while (now_ns() < deadline) {
		usleep(10000);
		/* g.stale is the GPU's; a racy peek only decides when to stop. */
		if (until_stale && __atomic_load_n(&g.stale, __ATOMIC_RELAXED))
			break;
	}
	__atomic_store_n(&g.stop, 1, __ATOMIC_RELAXED);
	grace = now_ns() + HANG_GRACE_S * 1000000000ULL;
	res->hung |= !join_by(remap, grace) || !join_by(migrate, grace) || !join_by(inval, grace);
	for (int i = 0; i < NVALIDATORS; i++)
		res->hung |= !join_by(val[i], grace);
	pthread_mutex_lock(&g.q_lock);
	__atomic_store_n(&g.gpu_stop, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&g.q_cond);
	pthread_mutex_unlock(&g.q_lock);
	res->hung |= !join_by(gpu, grace);
	if (res->hung) {
		fprintf(stderr, "stress_userptr: a thread hung, seed=%" PRIu64 "\n", g_seed);
		abort();	/* threads still point at our state */
	}
	for (int i = 0; i < NVALIDATORS; i++) {
		res->c.execs += v[i].c.execs;
		res->c.attempts += v[i].c.attempts;
		res->c.check_retries += v[i].c.check_retries;
		res->c.snapshot_eagain += v[i].c.snapshot_eagain;
		res->c.faults += v[i].c.faults;
		res->c.livelocks += v[i].c.livelocks;
		if (v[i].c.max_attempts > res->c.max_attempts)
			res->c.max_attempts = v[i].c.max_attempts;
	}
	for (unsigned int r = 0; r < NRANGES; r++) {
		struct resv_userptr_stats st;

		resv_userptr_get_stats(&g.ranges[r].up, &st);
		res->up.snapshots += st.snapshots;
		res->up.snapshot_skips += st.snapshot_skips;
		res->up.snapshot_retries += st.snapshot_retries;
		res->up.retries += st.retries;
		res->up.invalidations += st.invalidations;
		res->up.waits += st.waits;
		res->up.busy += st.busy;
	}
}

static void print_result(const char *name, const struct run_result *res)
{
	printf("stress_userptr %s: seed=%" PRIu64 " execs=%" PRIu64 " verified=%" PRIu64
	       " stale=%" PRIu64 " check_retries=%" PRIu64 " snapshot_eagain=%" PRIu64
	       " faults=%" PRIu64 " max_attempts=%" PRIu64 "\n"
	       "  storm: remaps=%" PRIu64 " migrates=%" PRIu64 " migrate_faults=%" PRIu64
	       " invalidations=%" PRIu64 " refused=%" PRIu64 "\n"
	       "  userptr: snapshots=%" PRIu64 " skips=%" PRIu64 " snapshot_retries=%" PRIu64
	       " invalidations=%" PRIu64 " waits=%" PRIu64 " busy=%" PRIu64 "\n",
	       name, g_seed, res->c.execs, g.verified, g.stale, res->c.check_retries,
	       res->c.snapshot_eagain, res->c.faults, res->c.max_attempts, g.remaps, res->migrates,
	       g.migrate_faults, g.invalidations, g.refused, res->up.snapshots,
	       res->up.snapshot_skips, res->up.snapshot_retries, res->up.invalidations,
	       res->up.waits, res->up.busy);
	if (g.stale)
		printf("  first stale read: %s\n", g.first_stale);
	fflush(stdout);
}

static void test_stress_userptr_no_stale_publication(void **state)
{
	struct resv_alloc_stats before, after;
	struct run_result res;
	struct resv_mm_stats mst;

	resv_rcu_barrier();
	resv_alloc_get_stats(&before);
	setup();
	run(g_seconds, false, &res);
	print_result("storm", &res);
	if (g.stale || res.c.livelocks)
		fprintf(stderr, "stress_userptr FAILED, seed=%" PRIu64 "\n", g_seed);
	assert_int_equal(g.stale, 0);
	assert_int_equal(res.c.livelocks, 0);
	/* Every published job was read and verified. */
	assert_int_equal(g.verified, res.c.execs);
	assert_true(res.c.execs > 0);
	/* The races actually happened: checks failed, invalidations waited for GPU work. */
	assert_true(res.c.check_retries > 0);
	assert_true(res.up.waits > 0);
	/* The validator's counters agree with what the execs saw. */
	assert_int_equal(res.up.retries, res.c.check_retries);
	assert_int_equal(res.c.attempts, res.c.execs + res.c.check_retries +
			 res.c.snapshot_eagain + res.c.faults);
	/* Bounded retries: no exec needed more than MAX_ATTEMPTS (checked above). */
	assert_true(res.c.max_attempts <= MAX_ATTEMPTS);
	resv_mm_get_stats(g.mm, &mst);
	assert_int_equal(mst.mapped_pages, NRANGES * NPAGES);
	assert_int_equal(mst.notifiers, NRANGES);
	teardown();
	resv_rcu_barrier();
	resv_alloc_get_stats(&after);
	assert_int_equal(after.live_bytes, before.live_bytes);
}

static void test_stress_userptr_oracle_catches_unchecked_publication(void **state)
{
	struct run_result res;

	if (UNDER_TSAN) {
		/* Unchecked publication is a real data race: TSan would (rightly) fail. */
		skip();
	}
	setup();
	g.sabotage = true;
	run(10.0, true, &res);
	print_result("sabotage", &res);
	/* Without the check, the GPU must catch a stale snapshot by its data. */
	assert_true(g.stale > 0);
	teardown();
}

int main(void)
{
	const char *env = getenv("RESV_SEED");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_userptr_no_stale_publication),
		cmocka_unit_test(test_stress_userptr_oracle_catches_unchecked_publication),
	};

	g_seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
	if (!g_seed)
		g_seed = 1;
	env = getenv("RESV_STRESS_SECONDS");
	if (env && atof(env) > 0)
		g_seconds = atof(env);
	printf("stress_userptr: seed=%" PRIu64 " seconds=%.1f\n", g_seed, g_seconds);
	fflush(stdout);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
