/* SPDX-License-Identifier: MIT */
/*
 * The scheduler: job arguments, explicit and implicit (resv usage)
 * dependencies, error propagation, timeouts with engine reset, banning,
 * seqno-order signalling, cancellation at device destruction, allocation
 * failure in the submission calls, and concurrent submitters (seeded).
 */
#include <pthread.h>
#include <time.h>

#include "sim_test.h"

#define DATA ST_DATA_VA

struct fixture {
	struct sim_device *dev;
	struct st_gpu g;
	struct sim_bo *data;
	uint32_t words[1024];
	struct sim_batch b;
	uint64_t live_before;
};

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * MS };

	while (nanosleep(&ts, &ts))
		;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int setup_with(void **state, uint32_t ban)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->live_before = st_live_bytes();
	f->dev = st_device(64 * PAGE, 100 * MS, ban);
	st_gpu_init(&f->g, f->dev);
	f->data = st_bo(f->dev, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	st_gpu_map(&f->g, f->data, DATA);
	sim_batch_init(&f->b, f->words, 1024);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, SIM_BAN_NEVER);
}

static int setup_ban2(void **state)
{
	return setup_with(state, 2);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sim_bo_put(f->data);
	st_gpu_fini(&f->g);
	sim_device_destroy(f->dev);
	assert_int_equal(st_live_bytes(), f->live_before);
	free(f);
	return 0;
}

static uint32_t peek(struct fixture *f, uint64_t va)
{
	uint32_t w;

	assert_int_equal(sim_pt_read(f->g.pt, va, &w, 4), 0);
	return w;
}

static struct sim_batch *batch(struct fixture *f)
{
	sim_batch_init(&f->b, f->words, 1024);
	return &f->b;
}

static struct sim_batch *store(struct fixture *f, uint64_t va, uint32_t v)
{
	struct sim_batch *b = batch(f);

	sim_batch_store_dw(b, va, v);
	sim_batch_end(b);
	return b;
}

static struct sim_batch *hang(struct fixture *f)
{
	struct sim_batch *b = batch(f);

	sim_batch_hang(b);
	sim_batch_end(b);
	return b;
}

static void test_sched_job_args(void **state)
{
	struct fixture *f = *state;
	struct sim_engine *e0 = sim_device_engine(f->dev, 0);
	struct sim_device *other = st_device(16 * PAGE, 0, 0);
	struct sim_context *foreign_ctx;
	struct sim_pt *foreign_pt;
	struct sim_job *job = NULL;
	uint64_t before;

	assert_int_equal(sim_context_create(other, &foreign_ctx), 0);
	assert_int_equal(sim_pt_create(other, &foreign_pt), 0);
	before = st_live_bytes();
	assert_null(sim_device_engine(f->dev, 2));
	assert_int_equal(sim_job_create(NULL, f->g.ctx, f->g.pt, ST_BATCH_VA, 64, &job), -EINVAL);
	assert_int_equal(sim_job_create(e0, NULL, f->g.pt, ST_BATCH_VA, 64, &job), -EINVAL);
	assert_int_equal(sim_job_create(e0, f->g.ctx, NULL, ST_BATCH_VA, 64, &job), -EINVAL);
	assert_int_equal(sim_job_create(sim_device_migrate_engine(f->dev), f->g.ctx, f->g.pt,
					ST_BATCH_VA, 64, &job), -EINVAL);
	assert_int_equal(sim_job_create(e0, f->g.ctx, f->g.pt, ST_BATCH_VA, 0, &job), -EINVAL);
	assert_int_equal(sim_job_create(e0, f->g.ctx, f->g.pt, ST_BATCH_VA, 6, &job), -EINVAL);
	assert_int_equal(sim_job_create(e0, f->g.ctx, f->g.pt, ST_BATCH_VA, (64 << 10) + 4, &job),
			 -EINVAL);
	assert_int_equal(sim_job_create(e0, f->g.ctx, f->g.pt, ST_BATCH_VA + 2, 64, &job), -EINVAL);
	assert_int_equal(sim_job_create(e0, foreign_ctx, f->g.pt, ST_BATCH_VA, 64, &job), -EINVAL);
	assert_int_equal(sim_job_create(e0, f->g.ctx, foreign_pt, ST_BATCH_VA, 64, &job), -EINVAL);
	assert_null(job);
	assert_int_equal(st_live_bytes(), before);
	assert_string_equal(sim_engine_name(e0), "rcs0");
	assert_string_equal(sim_engine_name(sim_device_engine(f->dev, 1)), "rcs1");
	assert_string_equal(sim_engine_name(sim_device_migrate_engine(f->dev)), "migrate");
	assert_int_not_equal(sim_engine_fence_context(e0),
			     sim_engine_fence_context(sim_device_engine(f->dev, 1)));

	/* An unarmed job can be dropped; an armed one takes no new deps. */
	assert_int_equal(sim_job_create(e0, f->g.ctx, f->g.pt, ST_BATCH_VA, 64, &job), 0);
	assert_null(sim_job_fence(job));
	sim_job_free(job);
	assert_int_equal(st_live_bytes(), before);

	sim_context_put(foreign_ctx);
	sim_pt_put(foreign_pt);
	sim_device_destroy(other);
}

static void test_sched_explicit_dependency(void **state)
{
	struct fixture *f = *state;
	struct dma_fence *in = st_fence_new(), *out;
	struct sim_job *job;
	uint64_t va = st_gpu_place(&f->g, store(f, DATA, 5));

	assert_int_equal(sim_job_create(sim_device_engine(f->dev, 0), f->g.ctx, f->g.pt, va, PAGE,
					&job), 0);
	assert_int_equal(sim_job_add_dependency(job, NULL), 0);
	assert_int_equal(sim_job_add_dependency(job, in), 0);
	assert_int_equal(sim_job_add_dependency(job, in), 0);	/* deduplicated */
	out = dma_fence_get(sim_job_arm(job));
	assert_ptr_equal(sim_job_fence(job), out);
	assert_int_equal(sim_job_add_dependency(job, in), -EINVAL);	/* armed */
	assert_int_equal(out->context, sim_engine_fence_context(sim_device_engine(f->dev, 0)));
	assert_int_equal(out->seqno, 1);
	sim_job_push(job);

	sleep_ms(30);
	assert_int_equal(dma_fence_get_status(out), 0);
	assert_int_equal(peek(f, DATA), 0);
	st_fence_signal(in, 0);
	assert_int_equal(st_wait(out), 1);
	assert_int_equal(peek(f, DATA), 5);
	dma_fence_put(out);
	dma_fence_put(in);
}

/* Implicit sync: a read waits for writers (and kernel moves), a write for
 * everyone but BOOKKEEP users. */
static void test_sched_implicit_dependencies(void **state)
{
	struct fixture *f = *state;
	struct dma_fence *reader = st_fence_new(), *writer = st_fence_new();
	struct dma_fence *bookkeep = st_fence_new(), *rd, *wr;
	struct sim_job *rjob, *wjob;
	uint64_t rva = st_gpu_place(&f->g, store(f, DATA, 1));
	uint64_t wva = st_gpu_place(&f->g, store(f, DATA + 4, 2));

	st_lock(f->data);
	assert_int_equal(dma_resv_reserve_fences(f->data->base.resv, 3), 0);
	dma_resv_add_fence(f->data->base.resv, reader, DMA_RESV_USAGE_READ);
	dma_resv_add_fence(f->data->base.resv, writer, DMA_RESV_USAGE_WRITE);
	dma_resv_add_fence(f->data->base.resv, bookkeep, DMA_RESV_USAGE_BOOKKEEP);
	assert_int_equal(sim_job_create(sim_device_engine(f->dev, 0), f->g.ctx, f->g.pt, rva, PAGE,
					&rjob), 0);
	assert_int_equal(sim_job_add_implicit_dependencies(rjob, &f->data->base, false), 0);
	assert_int_equal(sim_job_create(sim_device_engine(f->dev, 1), f->g.ctx, f->g.pt, wva, PAGE,
					&wjob), 0);
	assert_int_equal(sim_job_add_implicit_dependencies(wjob, &f->data->base, true), 0);
	rd = sim_job_submit(rjob);
	wr = sim_job_submit(wjob);
	st_unlock(f->data);

	sleep_ms(20);
	assert_int_equal(dma_fence_get_status(rd), 0);
	assert_int_equal(dma_fence_get_status(wr), 0);
	st_fence_signal(writer, 0);
	assert_int_equal(st_wait(rd), 1);		/* the reader needed only the writer */
	assert_int_equal(peek(f, DATA), 1);
	sleep_ms(20);
	assert_int_equal(dma_fence_get_status(wr), 0);	/* the writer waits for the reader */
	st_fence_signal(reader, 0);
	assert_int_equal(st_wait(wr), 1);		/* but not for BOOKKEEP */
	assert_int_equal(peek(f, DATA + 4), 2);
	st_fence_signal(bookkeep, 0);
	dma_fence_put(rd);
	dma_fence_put(wr);
	dma_fence_put(reader);
	dma_fence_put(writer);
	dma_fence_put(bookkeep);
}

/* A hang: -ETIMEDOUT after the timeout, engine reset, the engine goes on;
 * the error flows to dependants (which do not run), transitively. */
static void test_sched_hang_propagates_and_engine_continues(void **state)
{
	struct fixture *f = *state;
	struct dma_fence *h, *d1, *d2, *next;
	struct sim_device_stats st;
	int64_t start = now_ns();

	h = st_gpu_submit(&f->g, 0, NULL, hang(f), NULL, 0);
	d1 = st_gpu_submit(&f->g, 1, NULL, store(f, DATA, 1), &h, 1);
	d2 = st_gpu_submit(&f->g, 1, NULL, store(f, DATA + 4, 2), &d1, 1);
	next = st_gpu_submit(&f->g, 0, NULL, store(f, DATA + 8, 3), NULL, 0);

	assert_int_equal(st_wait(h), -ETIMEDOUT);
	assert_true(now_ns() - start >= 100 * MS);
	assert_int_equal(st_wait(d1), -ETIMEDOUT);
	assert_int_equal(st_wait(d2), -ETIMEDOUT);
	assert_int_equal(st_wait(next), 1);		/* same engine, after the reset */
	assert_int_equal(peek(f, DATA), 0);
	assert_int_equal(peek(f, DATA + 4), 0);
	assert_int_equal(peek(f, DATA + 8), 3);
	assert_int_equal(sim_engine_resets(sim_device_engine(f->dev, 0)), 1);
	assert_int_equal(sim_engine_resets(sim_device_engine(f->dev, 1)), 0);
	assert_int_equal(sim_context_hangs(f->g.ctx), 1);
	assert_false(sim_context_is_banned(f->g.ctx));	/* SIM_BAN_NEVER */
	sim_device_get_stats(f->dev, &st);
	assert_int_equal(st.resets, 1);
	assert_int_equal(st.jobs, 4);
	assert_int_equal(st.jobs_completed, 1);
	assert_int_equal(st.jobs_failed, 3);
	dma_fence_put(h);
	dma_fence_put(d1);
	dma_fence_put(d2);
	dma_fence_put(next);
}

static void test_sched_dependency_error_first_wins(void **state)
{
	struct fixture *f = *state;
	struct dma_fence *ok = st_fence_new(), *e1 = st_fence_new(), *e2 = st_fence_new();
	struct dma_fence *deps[3] = { ok, e1, e2 }, *job;

	job = st_gpu_submit(&f->g, 0, NULL, store(f, DATA, 9), deps, 3);
	st_fence_signal(e2, -ENODATA);	/* signals first, but was added last */
	st_fence_signal(ok, 0);
	st_fence_signal(e1, -EPIPE);
	assert_int_equal(st_wait(job), -EPIPE);
	assert_int_equal(peek(f, DATA), 0);
	dma_fence_put(job);
	dma_fence_put(ok);
	dma_fence_put(e1);
	dma_fence_put(e2);
}

static void test_sched_ban_after_k_hangs(void **state)
{
	struct fixture *f = *state;
	struct sim_context *good;
	struct dma_fence *h1, *h2, *queued, *other;
	struct sim_device_stats st;
	struct sim_job *job = NULL;

	assert_int_equal(sim_context_create(f->dev, &good), 0);
	assert_int_not_equal(sim_context_id(good), sim_context_id(f->g.ctx));
	h1 = st_gpu_submit(&f->g, 0, NULL, hang(f), NULL, 0);
	h2 = st_gpu_submit(&f->g, 0, NULL, hang(f), NULL, 0);
	queued = st_gpu_submit(&f->g, 0, NULL, store(f, DATA, 1), NULL, 0);
	other = st_gpu_submit(&f->g, 0, good, store(f, DATA + 4, 2), NULL, 0);
	assert_int_equal(st_wait(h1), -ETIMEDOUT);
	assert_false(sim_context_is_banned(f->g.ctx));
	assert_int_equal(st_wait(h2), -ETIMEDOUT);
	assert_true(sim_context_is_banned(f->g.ctx));
	/* Queued before the ban, it does not run any more. */
	assert_int_equal(st_wait(queued), -EIO);
	assert_int_equal(st_wait(other), 1);
	assert_int_equal(peek(f, DATA), 0);
	assert_int_equal(peek(f, DATA + 4), 2);
	assert_int_equal(sim_job_create(sim_device_engine(f->dev, 1), f->g.ctx, f->g.pt,
					ST_BATCH_VA, 64, &job), -EIO);
	assert_null(job);
	assert_false(sim_context_is_banned(good));
	sim_device_get_stats(f->dev, &st);
	assert_int_equal(st.bans, 1);
	assert_int_equal(st.resets, 2);
	assert_int_equal(sim_context_hangs(f->g.ctx), 2);
	dma_fence_put(h1);
	dma_fence_put(h2);
	dma_fence_put(queued);
	dma_fence_put(other);
	sim_context_put(good);
}

#define ORDER_JOBS 40

struct order_rec {
	struct dma_fence_cb cb[ORDER_JOBS];
	uint64_t seen[ORDER_JOBS];
	unsigned int n;
};

static struct order_rec order;

static void record_order(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	unsigned int i = __atomic_fetch_add(&order.n, 1, __ATOMIC_RELAXED);

	order.seen[i] = fence->seqno;
}

/* Dependencies released in reverse, delays at random: the engine still
 * signals in seqno order. */
static void test_sched_seqno_order(void **state)
{
	struct fixture *f = *state;
	struct dma_fence *in[ORDER_JOBS], *out[ORDER_JOBS];
	uint64_t seed = st_seed(), rng = seed;

	memset(&order, 0, sizeof(order));
	for (int i = 0; i < ORDER_JOBS; i++) {
		struct sim_batch *b = batch(f);

		in[i] = st_fence_new();
		sim_batch_delay(b, (uint32_t)(st_rand(&rng) % 2000));
		sim_batch_atomic_add(b, DATA, 1);
		sim_batch_end(b);
		out[i] = st_gpu_submit(&f->g, 0, NULL, b, &in[i], 1);
		assert_int_equal(dma_fence_add_callback(out[i], &order.cb[i], record_order), 0);
		if (i)
			assert_true(dma_fence_is_later(out[i], out[i - 1]));
	}
	for (int i = ORDER_JOBS - 1; i >= 0; i--)
		st_fence_signal(in[i], 0);
	for (int i = 0; i < ORDER_JOBS; i++)
		assert_int_equal(st_wait(out[i]), 1);
	assert_int_equal(order.n, ORDER_JOBS);
	for (int i = 0; i < ORDER_JOBS; i++)
		if (order.seen[i] != out[i]->seqno)
			fail_msg("seed=%" PRIu64 ": signal %d was seqno %" PRIu64 ", expected %"
				 PRIu64, seed, i, order.seen[i], out[i]->seqno);
	assert_int_equal(peek(f, DATA), ORDER_JOBS);
	for (int i = 0; i < ORDER_JOBS; i++) {
		dma_fence_put(in[i]);
		dma_fence_put(out[i]);
	}
}

static void test_sched_job_enomem(void **state)
{
	struct fixture *f = *state;
	struct dma_fence *deps[6];
	uint64_t va = st_gpu_place(&f->g, store(f, DATA, 4));
	uint64_t before;
	unsigned long n;
	int ret = 0;

	for (int i = 0; i < 6; i++)
		deps[i] = st_fence_new();
	before = st_live_bytes();
	for (n = 1;; n++) {
		struct sim_job *job = NULL;
		struct dma_fence *out;

		resv_alloc_fail_nth(n);
		ret = sim_job_create(sim_device_engine(f->dev, 0), f->g.ctx, f->g.pt, va, PAGE, &job);
		for (int i = 0; !ret && i < 6; i++)
			ret = sim_job_add_dependency(job, deps[i]);
		resv_alloc_fail_nth(0);
		if (ret) {
			assert_int_equal(ret, -ENOMEM);
			sim_job_free(job);
			assert_int_equal(st_live_bytes(), before);
			continue;
		}
		out = sim_job_submit(job);
		for (int i = 0; i < 6; i++)
			st_fence_signal(deps[i], 0);
		assert_int_equal(st_wait(out), 1);
		dma_fence_put(out);
		break;
	}
	assert_int_equal(n, 3);	/* the job, then its grown dependency array */
	assert_int_equal(peek(f, DATA), 4);
	for (int i = 0; i < 6; i++)
		dma_fence_put(deps[i]);
}

/* Destroying the device cancels: the running HANG at once, the queued jobs
 * and a job waiting for a fence that never signals, all -ECANCELED. */
static void test_sched_destroy_cancels(void **state)
{
	uint64_t before = st_live_bytes();
	struct sim_device *dev = st_device(16 * PAGE, 10000 * MS, 0);
	struct dma_fence *never = st_fence_new(), *fences[5];
	uint32_t words[16];
	struct sim_batch b;
	struct st_gpu g;
	int64_t start;

	st_gpu_init(&g, dev);
	sim_batch_init(&b, words, 16);
	sim_batch_hang(&b);
	sim_batch_end(&b);
	fences[0] = st_gpu_submit(&g, 0, NULL, &b, NULL, 0);
	sim_batch_init(&b, words, 16);
	sim_batch_noop(&b);
	sim_batch_end(&b);
	fences[1] = st_gpu_submit(&g, 0, NULL, &b, NULL, 0);
	fences[2] = st_gpu_submit(&g, 0, NULL, &b, NULL, 0);
	fences[3] = st_gpu_submit(&g, 1, NULL, &b, &never, 1);
	fences[4] = st_gpu_submit(&g, 1, NULL, &b, &fences[3], 1);
	sleep_ms(20);			/* the hang is running */
	st_gpu_fini(&g);		/* the jobs keep what they use */
	start = now_ns();
	sim_device_destroy(dev);
	assert_true(now_ns() - start < 2000 * MS);
	/* The fences outlive the device, names included. */
	assert_string_equal(fences[0]->ops->get_timeline_name(fences[0]), "rcs0");
	assert_string_equal(fences[3]->ops->get_timeline_name(fences[3]), "rcs1");
	assert_string_equal(fences[3]->ops->get_driver_name(fences[3]), "sim");
	for (int i = 0; i < 5; i++) {
		assert_int_equal(dma_fence_get_status(fences[i]), -ECANCELED);
		dma_fence_put(fences[i]);
	}
	/* Its callback was removed: signalling it now touches nothing. */
	st_fence_signal(never, 0);
	dma_fence_put(never);
	assert_int_equal(st_live_bytes(), before);
}

struct submitter {
	struct fixture *f;
	unsigned int idx;
	uint64_t rng;
	int jobs;
	int failures;		/* recorded; the main thread asserts */
};

#define SUBMITTERS 4
#define SUBMIT_JOBS 100

/* Each thread submits a chain of jobs (each depending on its previous),
 * on random engines, adding to a shared counter and its own. */
static void *submitter_main(void *arg)
{
	struct submitter *s = arg;
	struct fixture *f = s->f;
	struct dma_fence *prev = NULL, *fence;
	uint32_t words[32];

	for (int i = 0; i < SUBMIT_JOBS; i++) {
		struct sim_batch b;
		struct sim_job *job;
		uint64_t va = ST_BATCH_VA + (uint64_t)(s->idx * 16 + i % 16) * PAGE;

		sim_batch_init(&b, words, 32);
		sim_batch_atomic_add(&b, DATA, 1);
		sim_batch_atomic_add(&b, DATA + 4 + 4 * s->idx, 1);
		sim_batch_end(&b);
		/* Slot reuse waits for the job 16 back (a chain: all earlier). */
		if (prev && i >= 16 && dma_fence_wait_timeout(prev, false, 10000 * MS) <= 0)
			s->failures++;
		if (sim_pt_write(f->g.pt, va, words, sim_batch_bytes(&b)) ||
		    sim_job_create(sim_device_engine(f->dev, (unsigned int)(st_rand(&s->rng) % 2)),
				   f->g.ctx, f->g.pt, va, PAGE, &job) ||
		    sim_job_add_dependency(job, prev)) {
			s->failures++;
			break;
		}
		fence = sim_job_submit(job);
		if (prev && fence->context == prev->context && !dma_fence_is_later(fence, prev))
			s->failures++;
		dma_fence_put(prev);
		prev = fence;
		s->jobs++;
	}
	if (prev && (dma_fence_wait_timeout(prev, false, 10000 * MS) <= 0 ||
		     dma_fence_get_status(prev) != 1))
		s->failures++;
	dma_fence_put(prev);
	return NULL;
}

static void test_sched_concurrent_submitters(void **state)
{
	struct fixture *f = *state;
	struct submitter s[SUBMITTERS];
	pthread_t t[SUBMITTERS];
	uint64_t seed = st_seed();

	for (unsigned int i = 0; i < SUBMITTERS; i++) {
		s[i] = (struct submitter){ .f = f, .idx = i, .rng = seed + i };
		assert_int_equal(pthread_create(&t[i], NULL, submitter_main, &s[i]), 0);
	}
	for (unsigned int i = 0; i < SUBMITTERS; i++)
		pthread_join(t[i], NULL);
	for (unsigned int i = 0; i < SUBMITTERS; i++) {
		if (s[i].failures || s[i].jobs != SUBMIT_JOBS)
			fail_msg("seed=%" PRIu64 ": submitter %u: %d jobs, %d failures", seed, i,
				 s[i].jobs, s[i].failures);
		assert_int_equal(peek(f, DATA + 4 + 4 * i), SUBMIT_JOBS);
	}
	assert_int_equal(peek(f, DATA), SUBMITTERS * SUBMIT_JOBS);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_sched_job_args),
		T(test_sched_explicit_dependency),
		T(test_sched_implicit_dependencies),
		T(test_sched_hang_propagates_and_engine_continues),
		T(test_sched_dependency_error_first_wins),
		cmocka_unit_test_setup_teardown(test_sched_ban_after_k_hangs, setup_ban2, teardown),
		T(test_sched_seqno_order),
		T(test_sched_job_enomem),
		cmocka_unit_test(test_sched_destroy_cancels),
		T(test_sched_concurrent_submitters),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
