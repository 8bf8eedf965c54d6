/* SPDX-License-Identifier: MIT */
/*
 * Deterministic unit tests for <resv/ww_mutex.h>.
 *
 * They follow the kernel's kernel/locking/test-ww_mutex.c and the semantics
 * in kernel-api.md §1. Every behaviour both algorithms share runs twice: once
 * on a Wound-Wait class and once on a Wait-Die class (two table entries, the
 * fixture passed as cmocka's initial state). Behaviour that differs between
 * the algorithms runs on both with the outcome chosen by the fixture, or on
 * the one class it is about.
 *
 * Threads: a failed cmocka assertion longjmps, which only works on the thread
 * running the test, so workers record what they saw in plain structs and the
 * main thread asserts after joining them. Ordering comes from barriers,
 * one-shot events and a "turn" sequencer (which also fixes the order in which
 * contexts take their stamps, i.e. which one is older).
 *
 * Where a test wants a thread to be asleep inside a lock, nothing public says
 * so: the test sleeps SETTLE_MS to make that interleaving likely, but every
 * assertion holds for every interleaving; the sleep makes a test interesting,
 * never correct. A few tests get a forced interleaving from the algorithm
 * itself: a wounded context's ->wounded flag (documented as set atomically by
 * the wounder), or a Wait-Die death that can only happen once an older waiter
 * is queued.
 *
 * A thread that does not come back within TIMEOUT_MS is stuck inside libresv
 * while pointing at this test's stack; carrying on would corrupt memory, so
 * the binary reports the hang and aborts.
 *
 * Every test runs with a recording report hook. The teardown fails a test in
 * which a correct program drew a misuse report (a false positive of the
 * debug checks); the report tests clear what they provoked on purpose.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_timedjoin_np() */
#endif

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <resv/report.h>
#include <resv/thread.h>
#include <resv/ww_mutex.h>

/* Time for another thread to reach a blocking call; never needed for correctness. */
#define SETTLE_MS 30
/* Only ever reached when the implementation hangs. */
#define TIMEOUT_MS 10000

/* ------------------------------------------------------------------------
 * Fixtures
 */

static DEFINE_WW_CLASS(wound_class);
static DEFINE_WD_CLASS(die_class);
/* Used by test_ww_mutex_static_initializer only, so it is pristine there. */
static DEFINE_WW_MUTEX(wound_static_lock, wound_class);
static DEFINE_WW_MUTEX(die_static_lock, die_class);

struct fixture {
	struct ww_class *cls;
	struct ww_class *other; /* the class of the other algorithm */
	struct ww_mutex *static_lock;
	bool wait_die;
};

static struct fixture wound_fixture = { &wound_class, &die_class, &wound_static_lock, false };
static struct fixture die_fixture = { &die_class, &wound_class, &die_static_lock, true };

/* ------------------------------------------------------------------------
 * Report recorder: the hook may run on any thread.
 */

#define MAX_REPORTS 8

struct seen_report {
	enum resv_report_kind kind;
	const void *lock;
	const void *ctx;
	bool has_message;
};

static pthread_mutex_t reports_lock = PTHREAD_MUTEX_INITIALIZER;
static struct seen_report reports[MAX_REPORTS];
static unsigned int nr_reports;

static void record_report(const struct resv_report *r, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&reports_lock);
	if (nr_reports < MAX_REPORTS) {
		reports[nr_reports].kind = r->kind;
		reports[nr_reports].lock = r->lock;
		reports[nr_reports].ctx = r->ctx;
		/* The message may be a transient buffer: check it here. */
		reports[nr_reports].has_message = r->message && r->message[0];
	}
	nr_reports++;
	pthread_mutex_unlock(&reports_lock);
}

static unsigned int reports_total(void)
{
	unsigned int n;

	pthread_mutex_lock(&reports_lock);
	n = nr_reports;
	pthread_mutex_unlock(&reports_lock);
	return n;
}

static unsigned int reports_of(enum resv_report_kind kind)
{
	unsigned int i, n = 0;

	pthread_mutex_lock(&reports_lock);
	for (i = 0; i < nr_reports && i < MAX_REPORTS; i++)
		n += reports[i].kind == kind;
	pthread_mutex_unlock(&reports_lock);
	return n;
}

static struct seen_report report_at(unsigned int i)
{
	struct seen_report r;

	pthread_mutex_lock(&reports_lock);
	r = reports[i < MAX_REPORTS ? i : 0];
	pthread_mutex_unlock(&reports_lock);
	return r;
}

static void reports_clear(void)
{
	pthread_mutex_lock(&reports_lock);
	nr_reports = 0;
	memset(reports, 0, sizeof(reports));
	pthread_mutex_unlock(&reports_lock);
}

/* Asserts that exactly one report was drawn since the last clear, of @kind. */
static void assert_one_report(enum resv_report_kind kind)
{
	struct seen_report r = report_at(0);

	if (reports_total() != 1 || r.kind != kind)
		print_error("expected one '%s' report, got %u (first: '%s')\n",
			    resv_report_kind_name(kind), reports_total(),
			    reports_total() ? resv_report_kind_name(r.kind) : "none");
	assert_int_equal(reports_total(), 1);
	assert_int_equal(r.kind, kind);
	assert_true(r.has_message);
}

static void require_checks(void)
{
	if (!resv_report_checks_enabled())
		skip();
}

/* ------------------------------------------------------------------------
 * setup / teardown
 */

static int set_inject_mode(struct ww_class *cls, enum resv_ww_inject_mode mode)
{
	struct resv_ww_inject inj = { .mode = mode };

	return resv_ww_class_set_inject(cls, &inj);
}

static int group_setup(void **state)
{
	(void)state;
	/* Whatever RESV_WW_INJECT says, these tests count every -EDEADLK. */
	if (set_inject_mode(&wound_class, RESV_WW_INJECT_OFF) ||
	    set_inject_mode(&die_class, RESV_WW_INJECT_OFF))
		return -1;
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = *state;

	if (set_inject_mode(f->cls, RESV_WW_INJECT_OFF) ||
	    set_inject_mode(f->other, RESV_WW_INJECT_OFF))
		return -1;
	resv_ww_class_reset_stats(f->cls);
	reports_clear();
	resv_report_set_hook(record_report, NULL);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unsigned int i, n = reports_total();

	resv_report_set_hook(NULL, NULL);
	(void)set_inject_mode(f->cls, RESV_WW_INJECT_OFF);
	(void)resv_thread_clear_interrupt();
	if (n) {
		for (i = 0; i < n && i < MAX_REPORTS; i++)
			print_error("unexpected misuse report '%s' from a correct program\n",
				    resv_report_kind_name(report_at(i).kind));
		reports_clear();
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Thread helpers
 */

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void timespec_add_ms(struct timespec *ts, unsigned int ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void hang(const char *what)
{
	fprintf(stderr, "FATAL: %s did not happen within %d ms: libresv hangs\n", what, TIMEOUT_MS);
	fflush(NULL);
	abort();
}

/* One-shot event on CLOCK_MONOTONIC. */
struct event {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool fired;
};

static void event_init(struct event *e)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_mutex_init(&e->m, NULL);
	pthread_cond_init(&e->c, &a);
	pthread_condattr_destroy(&a);
	e->fired = false;
}

static void event_destroy(struct event *e)
{
	pthread_cond_destroy(&e->c);
	pthread_mutex_destroy(&e->m);
}

static void event_fire(struct event *e)
{
	pthread_mutex_lock(&e->m);
	e->fired = true;
	pthread_cond_broadcast(&e->c);
	pthread_mutex_unlock(&e->m);
}

/* Returns false on timeout. */
static bool event_wait_ms(struct event *e, unsigned int ms)
{
	struct timespec ts;
	bool fired;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	timespec_add_ms(&ts, ms);
	pthread_mutex_lock(&e->m);
	while (!e->fired)
		if (pthread_cond_timedwait(&e->c, &e->m, &ts) == ETIMEDOUT)
			break;
	fired = e->fired;
	pthread_mutex_unlock(&e->m);
	return fired;
}

static bool event_wait(struct event *e)
{
	return event_wait_ms(e, TIMEOUT_MS);
}

/* For the main thread: an event that must come, or the library hangs. */
static void event_expect(struct event *e, const char *what)
{
	if (!event_wait(e))
		hang(what);
}

static bool event_fired(struct event *e)
{
	bool fired;

	pthread_mutex_lock(&e->m);
	fired = e->fired;
	pthread_mutex_unlock(&e->m);
	return fired;
}

/* Sequencer: thread @me runs its section after threads 0..me-1 ran theirs. */
struct turn {
	pthread_mutex_t m;
	pthread_cond_t c;
	int next;
};

static void turn_init(struct turn *t)
{
	pthread_mutex_init(&t->m, NULL);
	pthread_cond_init(&t->c, NULL);
	t->next = 0;
}

static void turn_destroy(struct turn *t)
{
	pthread_cond_destroy(&t->c);
	pthread_mutex_destroy(&t->m);
}

static void turn_wait(struct turn *t, int me)
{
	pthread_mutex_lock(&t->m);
	while (t->next != me)
		pthread_cond_wait(&t->c, &t->m);
	pthread_mutex_unlock(&t->m);
}

static void turn_pass(struct turn *t)
{
	pthread_mutex_lock(&t->m);
	t->next++;
	pthread_cond_broadcast(&t->c);
	pthread_mutex_unlock(&t->m);
}

/* Takes the stamp of @ctx in turn @me, so lower turns are older. */
static void acquire_init_in_turn(struct turn *t, int me, struct ww_acquire_ctx *ctx,
				 struct ww_class *cls)
{
	turn_wait(t, me);
	ww_acquire_init(ctx, cls);
	turn_pass(t);
}

static pthread_t spawn(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
	return t;
}

static void join(pthread_t t, const char *what)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	timespec_add_ms(&ts, TIMEOUT_MS);
	if (pthread_timedjoin_np(t, NULL, &ts))
		hang(what);
}

/* Waits (bounded) until an older context has wounded @ctx. */
static bool wait_wounded(struct ww_acquire_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < TIMEOUT_MS; i++) {
		if (__atomic_load_n(&ctx->wounded, __ATOMIC_ACQUIRE))
			return true;
		msleep(1);
	}
	return false;
}

/* A thread that holds @lock without a context until told to let go. */
struct holder {
	struct ww_mutex *lock;
	struct event held, release;
	int ret;
};

static void *holder_fn(void *arg)
{
	struct holder *h = arg;

	h->ret = ww_mutex_lock(h->lock, NULL);
	event_fire(&h->held);
	(void)event_wait(&h->release);
	if (h->ret == 0)
		ww_mutex_unlock(h->lock);
	return NULL;
}

static pthread_t holder_start(struct holder *h, struct ww_mutex *lock)
{
	pthread_t t;

	h->lock = lock;
	event_init(&h->held);
	event_init(&h->release);
	t = spawn(holder_fn, h);
	event_expect(&h->held, "holder thread lock");
	assert_int_equal(h->ret, 0);
	return t;
}

static void holder_stop(struct holder *h, pthread_t t)
{
	event_fire(&h->release);
	join(t, "holder thread");
	event_destroy(&h->held);
	event_destroy(&h->release);
}

/* Another thread's trylock, without and with a context of @cls. */
struct other_try {
	struct ww_mutex *lock;
	struct ww_class *cls;
	int ret_null, ret_ctx;
};

static void *other_try_fn(void *arg)
{
	struct other_try *o = arg;
	struct ww_acquire_ctx ctx;

	o->ret_null = ww_mutex_trylock(o->lock, NULL);
	if (o->ret_null == 1)
		ww_mutex_unlock(o->lock);
	ww_acquire_init(&ctx, o->cls);
	o->ret_ctx = ww_mutex_trylock(o->lock, &ctx);
	if (o->ret_ctx == 1)
		ww_mutex_unlock(o->lock);
	ww_acquire_fini(&ctx);
	return NULL;
}

static void assert_other_thread_cannot_trylock(struct ww_mutex *lock, struct ww_class *cls)
{
	struct other_try o = { .lock = lock, .cls = cls, .ret_null = -1, .ret_ctx = -1 };

	join(spawn(other_try_fn, &o), "other thread trylock");
	assert_int_equal(o.ret_null, 0);
	assert_int_equal(o.ret_ctx, 0);
}

/* ------------------------------------------------------------------------
 * Canonical acquire loop (ww_mutex.h DOC), with a trace of every
 * ww_mutex_lock() result: '0' acquired, 'D' -EDEADLK, 'E' anything else.
 */

struct trace {
	char buf[8192];
	size_t len;
	bool overflow;
};

static void trace_put(struct trace *t, char c)
{
	if (!t)
		return;
	if (t->len + 1 >= sizeof(t->buf)) {
		t->overflow = true;
		return;
	}
	t->buf[t->len++] = c;
	t->buf[t->len] = '\0';
}

static void trace_ret(struct trace *t, int ret)
{
	trace_put(t, ret == 0 ? '0' : ret == -EDEADLK ? 'D' : 'E');
}

#define MAX_BACKOFFS 10000 /* a broken injector must not loop forever */

/* Returns 0 with all @n locks held, or an error with none held. */
static int lock_all(struct ww_mutex **locks, int n, struct ww_acquire_ctx *ctx,
		    struct trace *t, unsigned int *backoffs)
{
	struct ww_mutex *contended = NULL;
	int i, j, ret;

retry:
	for (i = 0; i < n; i++) {
		if (locks[i] == contended) {
			contended = NULL; /* already locked by the slow path */
			continue;
		}
		ret = ww_mutex_lock(locks[i], ctx);
		trace_ret(t, ret);
		if (!ret)
			continue;
		for (j = 0; j < i; j++)
			ww_mutex_unlock(locks[j]);
		if (contended)
			ww_mutex_unlock(contended);
		if (ret != -EDEADLK)
			return ret;
		if (++*backoffs > MAX_BACKOFFS)
			return -ELOOP;
		contended = locks[i];
		ww_mutex_lock_slow(contended, ctx);
		goto retry;
	}
	return 0;
}

static void unlock_all(struct ww_mutex **locks, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--)
		ww_mutex_unlock(locks[i]);
}

static void set_inject(struct ww_class *cls, enum resv_ww_inject_mode mode, uint64_t nth,
		       uint64_t period, uint32_t ppm, uint64_t seed)
{
	struct resv_ww_inject inj = {
		.mode = mode, .nth = nth, .period = period, .per_million = ppm, .seed = seed,
	};

	assert_int_equal(resv_ww_class_set_inject(cls, &inj), 0);
}

/* After an -EDEADLK on @contended with @held held: the documented back-off. */
static void back_off(struct ww_mutex *held, struct ww_mutex *contended, struct ww_acquire_ctx *ctx)
{
	if (held)
		ww_mutex_unlock(held);
	ww_mutex_lock_slow(contended, ctx);
	ww_mutex_unlock(contended);
}

/* ------------------------------------------------------------------------
 * Mutual exclusion (test_mutex)
 */

struct mx {
	struct ww_class *cls;
	struct ww_mutex lock;
	bool use_ctx;
	struct event tried;
	atomic_bool released; /* set by the holder just before it unlocks */
	int try_null, try_ctx, ret;
	bool saw_released, held;
	unsigned int acquired;
};

static void *mx_worker(void *arg)
{
	struct mx *m = arg;
	struct ww_acquire_ctx ctx, *c = m->use_ctx ? &ctx : NULL;

	if (c)
		ww_acquire_init(c, m->cls);
	m->try_null = ww_mutex_trylock(&m->lock, NULL);
	m->try_ctx = c ? ww_mutex_trylock(&m->lock, c) : 0;
	event_fire(&m->tried);
	if (m->try_null == 1 || m->try_ctx == 1) {
		/* Exclusion already broken; do not self-deadlock on top of it. */
		ww_mutex_unlock(&m->lock);
	} else {
		m->ret = ww_mutex_lock(&m->lock, c);
		m->saw_released = atomic_load(&m->released);
		m->held = resv_ww_mutex_held_by_self(&m->lock);
		m->acquired = c ? c->acquired : 1;
		if (m->ret == 0)
			ww_mutex_unlock(&m->lock);
	}
	if (c)
		ww_acquire_fini(c);
	return NULL;
}

static void test_ww_mutex_mutual_exclusion(void **state)
{
	struct fixture *f = *state;
	int v;

	/* bit 0: with contexts; bit 1: the holder took the lock with trylock */
	for (v = 0; v < 4; v++) {
		struct mx m = { .cls = f->cls, .use_ctx = v & 1 };
		struct ww_acquire_ctx ctx, *c = m.use_ctx ? &ctx : NULL;
		pthread_t t;

		ww_mutex_init(&m.lock, f->cls);
		event_init(&m.tried);
		atomic_init(&m.released, false);
		if (c)
			ww_acquire_init(c, f->cls);
		if (v & 2)
			assert_int_equal(ww_mutex_trylock(&m.lock, c), 1);
		else
			assert_int_equal(ww_mutex_lock(&m.lock, c), 0);

		t = spawn(mx_worker, &m);
		event_expect(&m.tried, "worker trylock");
		msleep(SETTLE_MS); /* let the worker block in ww_mutex_lock() */
		atomic_store(&m.released, true);
		ww_mutex_unlock(&m.lock);
		join(t, "mutual exclusion worker");
		if (c)
			ww_acquire_fini(c);

		assert_int_equal(m.try_null, 0);
		assert_int_equal(m.try_ctx, 0);
		assert_int_equal(m.ret, 0);
		/* The worker got the lock only after the holder let go. */
		assert_true(m.saw_released);
		assert_true(m.held);
		assert_int_equal(m.acquired, 1);
		assert_false(ww_mutex_is_locked(&m.lock));
		event_destroy(&m.tried);
		ww_mutex_destroy(&m.lock);
	}
}

/* ------------------------------------------------------------------------
 * AA (test_aa)
 */

static void test_ww_mutex_aa(void **state)
{
	struct fixture *f = *state;
	struct ww_acquire_ctx ctx;
	struct ww_mutex m;

	ww_mutex_init(&m, f->cls);
	ww_acquire_init(&ctx, f->cls);

	assert_int_equal(ww_mutex_lock(&m, &ctx), 0);
	assert_int_equal(ctx.acquired, 1);
	assert_int_equal(ww_mutex_lock(&m, &ctx), -EALREADY);
	assert_int_equal(ww_mutex_lock_interruptible(&m, &ctx), -EALREADY);
	/* Still held, by this context, and counted once. */
	assert_true(ww_mutex_is_locked(&m));
	assert_ptr_equal(resv_ww_mutex_ctx(&m), &ctx);
	assert_true(resv_ww_mutex_held_by_self(&m));
	assert_int_equal(ctx.acquired, 1);
	/* trylock never reports -EALREADY: a held lock is simply not taken. */
	assert_int_equal(ww_mutex_trylock(&m, NULL), 0);
	assert_int_equal(ww_mutex_trylock(&m, &ctx), 0);
	assert_int_equal(ctx.acquired, 1);
	assert_true(ww_mutex_is_locked(&m));
	ww_mutex_unlock(&m);
	assert_int_equal(ctx.acquired, 0);
	assert_false(ww_mutex_is_locked(&m));

	/* A lock taken with trylock belongs to the context just the same. */
	assert_int_equal(ww_mutex_trylock(&m, &ctx), 1);
	assert_int_equal(ctx.acquired, 1);
	assert_int_equal(ww_mutex_lock(&m, &ctx), -EALREADY);
	assert_int_equal(ww_mutex_trylock(&m, NULL), 0);
	assert_int_equal(ww_mutex_trylock(&m, &ctx), 0);
	assert_int_equal(ctx.acquired, 1);
	ww_mutex_unlock(&m);

	ww_acquire_fini(&ctx);
	assert_int_equal(ctx.acquired, 0);
	assert_int_equal(ctx.stats.already, 3);
	assert_int_equal(ctx.stats.acquires, 2);
	assert_int_equal(ctx.stats.deadlocks, 0);
	ww_mutex_destroy(&m);
}

/* ------------------------------------------------------------------------
 * ABBA (test_abba), also used with wrapped stamps and run-time classes
 */

struct abba {
	struct ww_class *cls;
	struct ww_mutex a, b;
	pthread_barrier_t stamp_bar, lock_bar;
	bool trylock_first, resolve;
};

struct abba_side {
	struct abba *t;
	bool older;
	struct ww_mutex *first, *second;
	int ret_first, ret_second, ret_final;
	unsigned int acquired_final;
	unsigned long stamp;
	struct resv_ww_stats stats;
};

static void *abba_worker(void *arg)
{
	struct abba_side *s = arg;
	struct abba *t = s->t;
	struct ww_acquire_ctx ctx;
	int ret;

	/* The older side takes its stamp before the younger one. */
	if (!s->older)
		pthread_barrier_wait(&t->stamp_bar);
	ww_acquire_init(&ctx, t->cls);
	if (s->older)
		pthread_barrier_wait(&t->stamp_bar);
	s->stamp = ctx.stamp;

	if (t->trylock_first)
		s->ret_first = ww_mutex_trylock(s->first, &ctx) == 1 ? 0 : -EBUSY;
	else
		s->ret_first = ww_mutex_lock(s->first, &ctx);
	/* Both hold their first lock before either asks for its second. */
	pthread_barrier_wait(&t->lock_bar);

	ret = s->ret_first;
	if (!ret) {
		ret = ww_mutex_lock(s->second, &ctx);
		s->ret_second = ret;
		if (ret == -EDEADLK && t->resolve) {
			/* Drop everything, sleep on the contended lock, relock. */
			ww_mutex_unlock(s->first);
			ww_mutex_lock_slow(s->second, &ctx);
			ret = ww_mutex_lock(s->first, &ctx);
		}
	}
	s->ret_final = ret;
	s->acquired_final = ctx.acquired;
	if (resv_ww_mutex_held_by_self(s->second))
		ww_mutex_unlock(s->second);
	if (resv_ww_mutex_held_by_self(s->first))
		ww_mutex_unlock(s->first);
	ww_acquire_fini(&ctx);
	s->stats = ctx.stats;
	return NULL;
}

/*
 * The older context never backs off; the younger one is told -EDEADLK: in
 * Wait-Die it dies at once (it holds a lock and the holder is older), in
 * Wound-Wait it is wounded by the older waiter and dies when it blocks.
 */
static void run_abba(struct ww_class *cls, bool wait_die, bool trylock_first, bool resolve,
		     bool wrap)
{
	struct abba t = { .cls = cls, .trylock_first = trylock_first, .resolve = resolve };
	struct abba_side o = { .t = &t, .older = true, .first = &t.a, .second = &t.b };
	struct abba_side y = { .t = &t, .older = false, .first = &t.b, .second = &t.a };
	struct resv_ww_stats cs;
	pthread_t to, ty;

	ww_mutex_init(&t.a, cls);
	ww_mutex_init(&t.b, cls);
	pthread_barrier_init(&t.stamp_bar, NULL, 2);
	pthread_barrier_init(&t.lock_bar, NULL, 2);
	resv_ww_class_reset_stats(cls);
	if (wrap)
		cls->stamp = ULONG_MAX - 1; /* next stamps: ULONG_MAX, then 0 */

	to = spawn(abba_worker, &o);
	ty = spawn(abba_worker, &y);
	join(to, "ABBA older side");
	join(ty, "ABBA younger side");

	assert_int_equal(o.ret_first, 0);
	assert_int_equal(y.ret_first, 0);
	if (wrap) {
		assert_true(o.stamp == ULONG_MAX);
		assert_true(y.stamp == 0);
	} else {
		assert_true(y.stamp == o.stamp + 1);
	}

	assert_int_equal(o.ret_second, 0);
	assert_int_equal(o.ret_final, 0);
	assert_int_equal(o.acquired_final, 2);
	assert_int_equal(o.stats.deadlocks, 0);
	assert_int_equal(o.stats.acquires, 2);

	assert_int_equal(y.ret_second, -EDEADLK);
	assert_int_equal(y.stats.deadlocks, 1);
	if (resolve) {
		assert_int_equal(y.ret_final, 0);
		assert_int_equal(y.acquired_final, 2);
		assert_int_equal(y.stats.acquires, 3);
	} else {
		assert_int_equal(y.ret_final, -EDEADLK);
		assert_int_equal(y.acquired_final, 1);
		assert_int_equal(y.stats.acquires, 1);
	}

	if (wait_die) {
		assert_int_equal(o.stats.wounds + o.stats.wounded, 0);
		assert_int_equal(y.stats.wounds + y.stats.wounded, 0);
	} else {
		assert_int_equal(o.stats.wounds, 1);
		assert_int_equal(o.stats.wounded, 0);
		assert_int_equal(y.stats.wounds, 0);
		assert_int_equal(y.stats.wounded, 1);
	}

	resv_ww_class_get_stats(cls, &cs);
	assert_int_equal(cs.transactions, 2);
	assert_int_equal(cs.acquires, o.stats.acquires + y.stats.acquires);
	assert_int_equal(cs.deadlocks, 1);
	assert_int_equal(cs.wounds, o.stats.wounds);
	assert_int_equal(cs.wounded, y.stats.wounded);
	assert_int_equal(cs.injected, 0);

	assert_false(ww_mutex_is_locked(&t.a));
	assert_false(ww_mutex_is_locked(&t.b));
	pthread_barrier_destroy(&t.stamp_bar);
	pthread_barrier_destroy(&t.lock_bar);
	ww_mutex_destroy(&t.a);
	ww_mutex_destroy(&t.b);
}

static void test_ww_mutex_abba_unresolved(void **state)
{
	struct fixture *f = *state;

	run_abba(f->cls, f->wait_die, false, false, false);
}

static void test_ww_mutex_abba_resolved(void **state)
{
	struct fixture *f = *state;

	run_abba(f->cls, f->wait_die, false, true, false);
}

static void test_ww_mutex_abba_trylock_unresolved(void **state)
{
	struct fixture *f = *state;

	run_abba(f->cls, f->wait_die, true, false, false);
}

static void test_ww_mutex_abba_trylock_resolved(void **state)
{
	struct fixture *f = *state;

	run_abba(f->cls, f->wait_die, true, true, false);
}

/* Stamps compare wrap-safely: ULONG_MAX is older than the 0 after it. */
static void test_ww_acquire_ctx_stamp_wrap(void **state)
{
	struct fixture *f = *state;

	run_abba(f->cls, f->wait_die, false, false, true);
	run_abba(f->cls, f->wait_die, false, true, true);
}

/* ------------------------------------------------------------------------
 * N-thread cycle (test_cycle)
 */

#define CYCLE_MAX 8

struct cycle {
	struct ww_class *cls;
	int n;
	struct ww_mutex locks[CYCLE_MAX];
	pthread_barrier_t bar;
	struct turn turn;
};

struct cycle_worker {
	struct cycle *c;
	int idx;
	int ret_own, ret;
	unsigned int backoffs, acquired;
	struct resv_ww_stats stats;
};

static void *cycle_fn(void *arg)
{
	struct cycle_worker *w = arg;
	struct cycle *c = w->c;
	struct ww_mutex *held = &c->locks[w->idx];
	struct ww_mutex *want = &c->locks[(w->idx + 1) % c->n];
	struct ww_mutex *tmp;
	struct ww_acquire_ctx ctx;
	int ret;

	acquire_init_in_turn(&c->turn, w->idx, &ctx, c->cls); /* worker 0 is oldest */
	w->ret_own = ret = ww_mutex_lock(held, &ctx);
	/* Everyone holds its own lock before asking for the next: a closed cycle. */
	pthread_barrier_wait(&c->bar);
	while (ret == 0) {
		ret = ww_mutex_lock(want, &ctx);
		if (ret != -EDEADLK)
			break;
		if (++w->backoffs > MAX_BACKOFFS)
			break;
		ww_mutex_unlock(held);
		ww_mutex_lock_slow(want, &ctx);
		tmp = held;
		held = want;
		want = tmp;
		ret = 0;
	}
	w->ret = ret;
	w->acquired = ctx.acquired;
	if (resv_ww_mutex_held_by_self(held))
		ww_mutex_unlock(held);
	if (resv_ww_mutex_held_by_self(want))
		ww_mutex_unlock(want);
	ww_acquire_fini(&ctx);
	w->stats = ctx.stats;
	return NULL;
}

static void test_ww_mutex_cycle(void **state)
{
	struct fixture *f = *state;
	int n, rep, i;

	for (n = 2; n <= CYCLE_MAX; n++) {
		for (rep = 0; rep < 4; rep++) {
			struct cycle c = { .cls = f->cls, .n = n };
			struct cycle_worker w[CYCLE_MAX];
			pthread_t th[CYCLE_MAX];
			unsigned int backoffs = 0, wounds = 0, wounded = 0;
			struct resv_ww_stats cs;

			resv_ww_class_reset_stats(f->cls);
			turn_init(&c.turn);
			pthread_barrier_init(&c.bar, NULL, (unsigned int)n);
			for (i = 0; i < n; i++)
				ww_mutex_init(&c.locks[i], f->cls);
			for (i = 0; i < n; i++) {
				w[i] = (struct cycle_worker){ .c = &c, .idx = i };
				th[i] = spawn(cycle_fn, &w[i]);
			}
			for (i = 0; i < n; i++)
				join(th[i], "cycle worker");

			for (i = 0; i < n; i++) {
				assert_int_equal(w[i].ret_own, 0);
				assert_int_equal(w[i].ret, 0);
				assert_int_equal(w[i].acquired, 2);
				assert_int_equal(w[i].stats.deadlocks, w[i].backoffs);
				if (f->wait_die)
					assert_int_equal(w[i].stats.wounds + w[i].stats.wounded, 0);
				else /* every Wound-Wait death is a wound */
					assert_int_equal(w[i].stats.wounded, w[i].backoffs);
				backoffs += w[i].backoffs;
				wounds += (unsigned int)w[i].stats.wounds;
				wounded += (unsigned int)w[i].stats.wounded;
			}
			/* A closed cycle cannot resolve without a back-off ... */
			assert_true(backoffs >= 1);
			/* ... and the oldest context never backs off. */
			assert_int_equal(w[0].backoffs, 0);
			/* Each Wound-Wait back-off consumed at least one wound. */
			assert_true(wounds >= wounded);

			resv_ww_class_get_stats(f->cls, &cs);
			assert_int_equal(cs.transactions, n);
			assert_int_equal(cs.deadlocks, backoffs);
			for (i = 0; i < n; i++) {
				assert_false(ww_mutex_is_locked(&c.locks[i]));
				ww_mutex_destroy(&c.locks[i]);
			}
			pthread_barrier_destroy(&c.bar);
			turn_destroy(&c.turn);
		}
	}
}

/* ------------------------------------------------------------------------
 * A context holding no lock is never told -EDEADLK, older or younger.
 */

struct nolocks {
	struct ww_class *cls;
	struct ww_mutex l, m;
	bool waiter_older;
	struct turn turn;
	struct event h_locked, go_h;
	atomic_bool released;
	int h_ret_l, h_ret_m, w_ret;
	bool w_saw_released;
	struct resv_ww_stats h_stats, w_stats;
};

/* Holds l, then blocks on m (held by the main thread) while holding l. */
static void *nolocks_holder(void *arg)
{
	struct nolocks *s = arg;
	struct ww_acquire_ctx ctx;

	acquire_init_in_turn(&s->turn, s->waiter_older ? 1 : 0, &ctx, s->cls);
	s->h_ret_l = ww_mutex_lock(&s->l, &ctx);
	event_fire(&s->h_locked);
	(void)event_wait(&s->go_h);
	/* A waiter holding nothing must not have wounded us: this blocks, not dies. */
	s->h_ret_m = ww_mutex_lock(&s->m, &ctx);
	atomic_store(&s->released, true);
	if (s->h_ret_m == 0)
		ww_mutex_unlock(&s->m);
	if (s->h_ret_l == 0)
		ww_mutex_unlock(&s->l);
	ww_acquire_fini(&ctx);
	s->h_stats = ctx.stats;
	return NULL;
}

/* Holds nothing and waits for l. */
static void *nolocks_waiter(void *arg)
{
	struct nolocks *s = arg;
	struct ww_acquire_ctx ctx;

	acquire_init_in_turn(&s->turn, s->waiter_older ? 0 : 1, &ctx, s->cls);
	(void)event_wait(&s->h_locked);
	s->w_ret = ww_mutex_lock(&s->l, &ctx);
	s->w_saw_released = atomic_load(&s->released);
	if (s->w_ret == 0)
		ww_mutex_unlock(&s->l);
	ww_acquire_fini(&ctx);
	s->w_stats = ctx.stats;
	return NULL;
}

static void test_ww_mutex_no_locks_never_deadlk(void **state)
{
	struct fixture *f = *state;
	int v;

	for (v = 0; v < 2; v++) {
		struct nolocks s = { .cls = f->cls, .waiter_older = v };
		pthread_t th, tw;

		ww_mutex_init(&s.l, f->cls);
		ww_mutex_init(&s.m, f->cls);
		turn_init(&s.turn);
		event_init(&s.h_locked);
		event_init(&s.go_h);
		atomic_init(&s.released, false);
		assert_int_equal(ww_mutex_lock(&s.m, NULL), 0);

		th = spawn(nolocks_holder, &s);
		tw = spawn(nolocks_waiter, &s);
		event_expect(&s.h_locked, "holder lock");
		msleep(SETTLE_MS); /* the waiter queues on l */
		event_fire(&s.go_h);
		msleep(SETTLE_MS); /* the holder blocks on m, holding l */
		ww_mutex_unlock(&s.m);
		join(th, "holder");
		join(tw, "waiter");

		assert_int_equal(s.h_ret_l, 0);
		assert_int_equal(s.h_ret_m, 0);
		assert_int_equal(s.w_ret, 0);
		assert_true(s.w_saw_released);
		assert_int_equal(s.h_stats.deadlocks + s.w_stats.deadlocks, 0);
		/* Only a waiter that holds locks wounds. */
		assert_int_equal(s.w_stats.wounds + s.h_stats.wounds, 0);
		assert_int_equal(s.h_stats.wounded + s.w_stats.wounded, 0);

		event_destroy(&s.h_locked);
		event_destroy(&s.go_h);
		turn_destroy(&s.turn);
		ww_mutex_destroy(&s.l);
		ww_mutex_destroy(&s.m);
	}
}

/*
 * The same when the context holding nothing queues behind an older waiter
 * (in Wait-Die that alone kills a context that holds locks). Stamps: O, W,
 * then the main thread, which holds l.
 */
struct behind {
	struct ww_class *cls;
	struct ww_mutex l, mo;
	struct turn turn;
	struct event l_held, o_asking, w_asking;
	atomic_bool released;
	int o_ret, w_ret;
	bool o_saw_released, w_saw_released;
	struct resv_ww_stats o_stats, w_stats;
};

static void *behind_o(void *arg)
{
	struct behind *s = arg;
	struct ww_acquire_ctx ctx;
	int ret_mo;

	acquire_init_in_turn(&s->turn, 0, &ctx, s->cls);
	(void)event_wait(&s->l_held);
	ret_mo = ww_mutex_lock(&s->mo, &ctx);
	event_fire(&s->o_asking);
	s->o_ret = ret_mo ? ret_mo : ww_mutex_lock(&s->l, &ctx);
	s->o_saw_released = atomic_load(&s->released);
	if (resv_ww_mutex_held_by_self(&s->l))
		ww_mutex_unlock(&s->l);
	if (ret_mo == 0)
		ww_mutex_unlock(&s->mo);
	ww_acquire_fini(&ctx);
	s->o_stats = ctx.stats;
	return NULL;
}

static void *behind_w(void *arg)
{
	struct behind *s = arg;
	struct ww_acquire_ctx ctx;

	acquire_init_in_turn(&s->turn, 1, &ctx, s->cls);
	(void)event_wait(&s->o_asking);
	msleep(SETTLE_MS); /* O queues first */
	event_fire(&s->w_asking);
	s->w_ret = ww_mutex_lock(&s->l, &ctx);
	s->w_saw_released = atomic_load(&s->released);
	if (s->w_ret == 0)
		ww_mutex_unlock(&s->l);
	ww_acquire_fini(&ctx);
	s->w_stats = ctx.stats;
	return NULL;
}

static void test_ww_mutex_no_locks_queued_behind_older(void **state)
{
	struct fixture *f = *state;
	struct behind s = { .cls = f->cls };
	struct ww_acquire_ctx ctx;
	pthread_t to, tw;

	ww_mutex_init(&s.l, f->cls);
	ww_mutex_init(&s.mo, f->cls);
	turn_init(&s.turn);
	event_init(&s.l_held);
	event_init(&s.o_asking);
	event_init(&s.w_asking);
	atomic_init(&s.released, false);

	to = spawn(behind_o, &s);
	tw = spawn(behind_w, &s);
	acquire_init_in_turn(&s.turn, 2, &ctx, f->cls); /* youngest */
	assert_int_equal(ww_mutex_lock(&s.l, &ctx), 0);
	event_fire(&s.l_held);
	event_expect(&s.o_asking, "older waiter");
	event_expect(&s.w_asking, "waiter holding nothing");
	msleep(SETTLE_MS); /* O, then W, queue on l */
	atomic_store(&s.released, true);
	ww_mutex_unlock(&s.l);
	join(to, "older waiter");
	join(tw, "waiter holding nothing");
	ww_acquire_fini(&ctx);

	assert_int_equal(s.o_ret, 0);
	assert_true(s.o_saw_released);
	assert_int_equal(s.w_ret, 0);
	assert_true(s.w_saw_released);
	assert_int_equal(s.o_stats.deadlocks, 0);
	assert_int_equal(s.w_stats.deadlocks, 0);
	assert_int_equal(s.w_stats.wounds, 0);
	assert_int_equal(ctx.stats.deadlocks, 0);

	event_destroy(&s.l_held);
	event_destroy(&s.o_asking);
	event_destroy(&s.w_asking);
	turn_destroy(&s.turn);
	ww_mutex_destroy(&s.l);
	ww_mutex_destroy(&s.mo);
}

/* ------------------------------------------------------------------------
 * Younger context holding a lock meets an older holder.
 * Wait-Die: dies at once, without blocking. Wound-Wait: waits (the older
 * holder is not waiting, so nobody is wounded).
 */

struct younger {
	struct ww_class *cls;
	struct ww_mutex l, m;
	struct event y_ready, y_done;
	atomic_bool released;
	int ret_m, ret_l;
	const struct ww_acquire_ctx *l_ctx_at_return;
	const struct ww_acquire_ctx *y_ctx;
	bool saw_released;
	unsigned int acquired_at_return;
	struct resv_ww_stats stats;
};

static void *younger_fn(void *arg)
{
	struct younger *s = arg;
	struct ww_acquire_ctx ctx;

	ww_acquire_init(&ctx, s->cls); /* after the main thread's: younger */
	s->y_ctx = &ctx;
	s->ret_m = ww_mutex_lock(&s->m, &ctx);
	event_fire(&s->y_ready);
	s->ret_l = ww_mutex_lock(&s->l, &ctx);
	s->saw_released = atomic_load(&s->released);
	s->l_ctx_at_return = resv_ww_mutex_ctx(&s->l);
	s->acquired_at_return = ctx.acquired;
	event_fire(&s->y_done);
	if (resv_ww_mutex_held_by_self(&s->l))
		ww_mutex_unlock(&s->l);
	if (resv_ww_mutex_held_by_self(&s->m))
		ww_mutex_unlock(&s->m);
	ww_acquire_fini(&ctx);
	s->stats = ctx.stats;
	return NULL;
}

static void test_ww_mutex_younger_blocked_by_older(void **state)
{
	struct fixture *f = *state;
	struct younger s = { .cls = f->cls };
	struct ww_acquire_ctx ctx;
	bool done_before_release;
	pthread_t t;

	ww_mutex_init(&s.l, f->cls);
	ww_mutex_init(&s.m, f->cls);
	event_init(&s.y_ready);
	event_init(&s.y_done);
	atomic_init(&s.released, false);

	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&s.l, &ctx), 0);
	t = spawn(younger_fn, &s);
	if (f->wait_die) {
		/* It must come back while we still hold l: it may not wait. */
		done_before_release = event_wait(&s.y_done);
	} else {
		event_expect(&s.y_ready, "younger context first lock");
		msleep(SETTLE_MS); /* it blocks on l */
		done_before_release = event_fired(&s.y_done);
	}
	atomic_store(&s.released, true);
	ww_mutex_unlock(&s.l);
	join(t, "younger context");
	ww_acquire_fini(&ctx);

	assert_int_equal(s.ret_m, 0);
	assert_int_equal(ctx.stats.wounds, 0); /* the older one never waited */
	if (f->wait_die) {
		assert_true(done_before_release);
		assert_int_equal(s.ret_l, -EDEADLK);
		assert_false(s.saw_released);
		assert_ptr_equal(s.l_ctx_at_return, &ctx);
		assert_int_equal(s.acquired_at_return, 1);
		assert_int_equal(s.stats.deadlocks, 1);
		assert_int_equal(s.stats.contended, 0);
	} else {
		assert_false(done_before_release);
		assert_int_equal(s.ret_l, 0);
		assert_true(s.saw_released);
		assert_ptr_equal(s.l_ctx_at_return, s.y_ctx);
		assert_int_equal(s.acquired_at_return, 2);
		assert_int_equal(s.stats.deadlocks, 0);
		assert_int_equal(s.stats.wounded, 0);
	}
	event_destroy(&s.y_ready);
	event_destroy(&s.y_done);
	ww_mutex_destroy(&s.l);
	ww_mutex_destroy(&s.m);
}

/* ------------------------------------------------------------------------
 * Older context holding a lock meets a younger holder: it waits in both
 * algorithms and never gets -EDEADLK. In Wound-Wait it wounds the holder,
 * which still acquires free locks and completes normally since it never
 * has to block again.
 */

struct older {
	struct ww_class *cls;
	struct ww_mutex l, m, f;
	struct event o_ready, go;
	atomic_bool released;
	int ret_m, ret_l;
	bool saw_released;
	struct resv_ww_stats stats;
};

static void *older_fn(void *arg)
{
	struct older *s = arg;
	struct ww_acquire_ctx ctx;

	ww_acquire_init(&ctx, s->cls); /* before the main thread's: older */
	s->ret_m = ww_mutex_lock(&s->m, &ctx);
	event_fire(&s->o_ready);
	(void)event_wait(&s->go);
	s->ret_l = ww_mutex_lock(&s->l, &ctx);
	s->saw_released = atomic_load(&s->released);
	if (resv_ww_mutex_held_by_self(&s->l))
		ww_mutex_unlock(&s->l);
	if (resv_ww_mutex_held_by_self(&s->m))
		ww_mutex_unlock(&s->m);
	ww_acquire_fini(&ctx);
	s->stats = ctx.stats;
	return NULL;
}

static void test_ww_mutex_older_blocked_by_younger(void **state)
{
	struct fixture *f = *state;
	struct older s = { .cls = f->cls };
	struct ww_acquire_ctx ctx;
	bool wounded = false;
	int ret_f;
	pthread_t t;

	ww_mutex_init(&s.l, f->cls);
	ww_mutex_init(&s.m, f->cls);
	ww_mutex_init(&s.f, f->cls);
	event_init(&s.o_ready);
	event_init(&s.go);
	atomic_init(&s.released, false);

	t = spawn(older_fn, &s);
	event_expect(&s.o_ready, "older context first lock");
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&s.l, &ctx), 0);
	event_fire(&s.go);
	if (f->wait_die)
		msleep(SETTLE_MS); /* the older one blocks on l */
	else
		wounded = wait_wounded(&ctx); /* the older one is queued on l */
	/* A free lock is acquired even by a wounded context. */
	ret_f = ww_mutex_lock(&s.f, &ctx);
	atomic_store(&s.released, true);
	if (ret_f == 0)
		ww_mutex_unlock(&s.f);
	ww_mutex_unlock(&s.l);
	join(t, "older context");
	ww_acquire_fini(&ctx);

	assert_int_equal(s.ret_m, 0);
	assert_int_equal(s.ret_l, 0);
	assert_true(s.saw_released);
	assert_int_equal(s.stats.deadlocks, 0);
	assert_int_equal(ret_f, 0);
	assert_int_equal(ctx.stats.deadlocks, 0);
	assert_int_equal(ctx.stats.wounded, 0); /* wounded, but never backed off */
	assert_int_equal(ctx.stats.acquires, 2);
	if (f->wait_die) {
		assert_int_equal(s.stats.wounds, 0);
	} else {
		assert_true(wounded);
		assert_int_equal(s.stats.wounds, 1);
		assert_int_equal(s.stats.contended, 1);
	}
	event_destroy(&s.o_ready);
	event_destroy(&s.go);
	ww_mutex_destroy(&s.l);
	ww_mutex_destroy(&s.m);
	ww_mutex_destroy(&s.f);
}

/* ------------------------------------------------------------------------
 * Wait-Die: a younger context holding locks dies as soon as an older
 * context is queued ahead of it, even when the holder is younger still.
 * Parties (oldest first): O, Y, the main thread Z holding l. Run with O
 * asking first (Y dies on enqueue) and with Y asking first (O's enqueue must
 * wake Y so that it dies); the sleeps only make each order likely, and
 * either order has the same outcome.
 */

struct queued {
	struct ww_class *cls;
	struct ww_mutex l, mo, my;
	bool y_first;
	struct turn turn;
	struct event l_held, o_asking, y_asking, y_done;
	atomic_bool released;
	int o_ret, y_ret;
	bool o_saw_released;
	const struct ww_acquire_ctx *l_ctx_at_y_return;
	struct resv_ww_stats o_stats, y_stats;
};

static void *queued_o(void *arg)
{
	struct queued *s = arg;
	struct ww_acquire_ctx ctx;

	acquire_init_in_turn(&s->turn, 0, &ctx, s->cls);
	(void)event_wait(&s->l_held);
	if (ww_mutex_lock(&s->mo, &ctx) == 0) {
		if (s->y_first) {
			(void)event_wait(&s->y_asking);
			msleep(SETTLE_MS); /* Y queues first */
		}
		event_fire(&s->o_asking);
		s->o_ret = ww_mutex_lock(&s->l, &ctx); /* holder younger: waits */
		s->o_saw_released = atomic_load(&s->released);
		if (s->o_ret == 0)
			ww_mutex_unlock(&s->l);
		ww_mutex_unlock(&s->mo);
	} else {
		s->o_ret = -ENOLCK;
		event_fire(&s->o_asking);
	}
	ww_acquire_fini(&ctx);
	s->o_stats = ctx.stats;
	return NULL;
}

static void *queued_y(void *arg)
{
	struct queued *s = arg;
	struct ww_acquire_ctx ctx;

	acquire_init_in_turn(&s->turn, 1, &ctx, s->cls);
	(void)event_wait(&s->l_held);
	if (ww_mutex_lock(&s->my, &ctx) == 0) {
		if (!s->y_first) {
			(void)event_wait(&s->o_asking);
			msleep(SETTLE_MS); /* O queues first */
		}
		event_fire(&s->y_asking);
		/* The holder is younger, but O is (or will be) queued ahead: die. */
		s->y_ret = ww_mutex_lock(&s->l, &ctx);
		s->l_ctx_at_y_return = resv_ww_mutex_ctx(&s->l);
		event_fire(&s->y_done);
		if (s->y_ret == 0)
			ww_mutex_unlock(&s->l);
		ww_mutex_unlock(&s->my);
	} else {
		s->y_ret = -ENOLCK;
		event_fire(&s->y_asking);
		event_fire(&s->y_done);
	}
	ww_acquire_fini(&ctx);
	s->y_stats = ctx.stats;
	return NULL;
}

static void test_ww_mutex_wait_die_queued_older_kills(void **state)
{
	struct fixture *f = *state;
	int v;

	for (v = 0; v < 2; v++) {
		struct queued s = { .cls = f->cls, .y_first = v };
		struct ww_acquire_ctx ctx;
		pthread_t to, ty;
		bool y_died_in_time;

		ww_mutex_init(&s.l, f->cls);
		ww_mutex_init(&s.mo, f->cls);
		ww_mutex_init(&s.my, f->cls);
		turn_init(&s.turn);
		event_init(&s.l_held);
		event_init(&s.o_asking);
		event_init(&s.y_asking);
		event_init(&s.y_done);
		atomic_init(&s.released, false);

		to = spawn(queued_o, &s);
		ty = spawn(queued_y, &s);
		acquire_init_in_turn(&s.turn, 2, &ctx, f->cls); /* youngest */
		assert_int_equal(ww_mutex_lock(&s.l, &ctx), 0);
		event_fire(&s.l_held);
		y_died_in_time = event_wait(&s.y_done); /* l stays held until Y returns */
		atomic_store(&s.released, true);
		ww_mutex_unlock(&s.l);
		join(to, "older waiter");
		join(ty, "younger waiter");
		ww_acquire_fini(&ctx);

		assert_true(y_died_in_time);
		assert_int_equal(s.y_ret, -EDEADLK);
		assert_ptr_equal(s.l_ctx_at_y_return, &ctx);
		assert_int_equal(s.y_stats.deadlocks, 1);
		assert_int_equal(s.o_ret, 0);
		assert_true(s.o_saw_released);
		assert_int_equal(s.o_stats.deadlocks, 0);
		/* Y's death proves O was queued on l while it was held. */
		assert_int_equal(s.o_stats.contended, 1);

		event_destroy(&s.l_held);
		event_destroy(&s.o_asking);
		event_destroy(&s.y_asking);
		event_destroy(&s.y_done);
		turn_destroy(&s.turn);
		ww_mutex_destroy(&s.l);
		ww_mutex_destroy(&s.mo);
		ww_mutex_destroy(&s.my);
	}
}

/* ------------------------------------------------------------------------
 * Wound-Wait: an older waiter wounds the younger holder, which gets
 * -EDEADLK on its next *blocking* acquire while holding locks, and not
 * before. Parties (oldest first): the main thread holding b, O, Y.
 */

struct wound {
	struct ww_class *cls;
	struct ww_mutex b, l, f1, f2, m;
	struct turn turn;
	struct event b_held, y_has_l, y_backed_off;
	atomic_bool released;
	/* Y */
	bool y_saw_wounded;
	int y_ret_l, y_ret_f1, y_ret_f2, y_ret_try, y_ret_b;
	unsigned int y_acquired_before_b, y_acquired_slow;
	bool y_saw_released;
	struct resv_ww_stats y_stats;
	/* O */
	int o_ret_m, o_ret_l;
	struct resv_ww_stats o_stats;
};

static void *wound_y(void *arg)
{
	struct wound *s = arg;
	struct ww_acquire_ctx ctx;

	acquire_init_in_turn(&s->turn, 2, &ctx, s->cls);
	(void)event_wait(&s->b_held);
	s->y_ret_l = ww_mutex_lock(&s->l, &ctx);
	s->y_ret_f1 = ww_mutex_lock(&s->f1, &ctx);
	event_fire(&s->y_has_l);
	s->y_saw_wounded = wait_wounded(&ctx);
	/* Wounded, but a free lock does not block: still acquired. */
	s->y_ret_f2 = ww_mutex_lock(&s->f2, &ctx);
	/* trylock never dies either. */
	s->y_ret_try = ww_mutex_trylock(&s->b, &ctx);
	s->y_acquired_before_b = ctx.acquired;
	/* b is held by the oldest context: blocking while wounded -> -EDEADLK. */
	s->y_ret_b = ww_mutex_lock(&s->b, &ctx);
	if (resv_ww_mutex_held_by_self(&s->b))
		ww_mutex_unlock(&s->b);
	if (resv_ww_mutex_held_by_self(&s->f2))
		ww_mutex_unlock(&s->f2);
	if (resv_ww_mutex_held_by_self(&s->f1))
		ww_mutex_unlock(&s->f1);
	if (resv_ww_mutex_held_by_self(&s->l))
		ww_mutex_unlock(&s->l);
	event_fire(&s->y_backed_off);
	if (s->y_ret_b == -EDEADLK) {
		ww_mutex_lock_slow(&s->b, &ctx);
		s->y_saw_released = atomic_load(&s->released);
		s->y_acquired_slow = ctx.acquired;
		ww_mutex_unlock(&s->b);
	}
	ww_acquire_fini(&ctx);
	s->y_stats = ctx.stats;
	return NULL;
}

static void *wound_o(void *arg)
{
	struct wound *s = arg;
	struct ww_acquire_ctx ctx;

	acquire_init_in_turn(&s->turn, 1, &ctx, s->cls);
	(void)event_wait(&s->y_has_l);
	s->o_ret_m = ww_mutex_lock(&s->m, &ctx);
	s->o_ret_l = ww_mutex_lock(&s->l, &ctx); /* wounds Y, waits */
	if (s->o_ret_l == 0)
		ww_mutex_unlock(&s->l);
	if (s->o_ret_m == 0)
		ww_mutex_unlock(&s->m);
	ww_acquire_fini(&ctx);
	s->o_stats = ctx.stats;
	return NULL;
}

static void test_ww_mutex_wound_wait_wounded_dies_on_block(void **state)
{
	struct fixture *f = *state;
	struct wound s = { .cls = f->cls };
	struct ww_acquire_ctx ctx;
	bool backed_off;
	pthread_t to, ty;

	ww_mutex_init(&s.b, f->cls);
	ww_mutex_init(&s.l, f->cls);
	ww_mutex_init(&s.f1, f->cls);
	ww_mutex_init(&s.f2, f->cls);
	ww_mutex_init(&s.m, f->cls);
	turn_init(&s.turn);
	event_init(&s.b_held);
	event_init(&s.y_has_l);
	event_init(&s.y_backed_off);
	atomic_init(&s.released, false);

	to = spawn(wound_o, &s);
	ty = spawn(wound_y, &s);
	acquire_init_in_turn(&s.turn, 0, &ctx, f->cls); /* oldest */
	assert_int_equal(ww_mutex_lock(&s.b, &ctx), 0);
	event_fire(&s.b_held);
	backed_off = event_wait(&s.y_backed_off);
	atomic_store(&s.released, true);
	ww_mutex_unlock(&s.b);
	join(to, "older waiter");
	join(ty, "wounded holder");
	ww_acquire_fini(&ctx);

	assert_true(backed_off);
	assert_int_equal(s.y_ret_l, 0);
	assert_int_equal(s.y_ret_f1, 0);
	assert_true(s.y_saw_wounded);
	assert_int_equal(s.y_ret_f2, 0);
	assert_int_equal(s.y_ret_try, 0);
	assert_int_equal(s.y_acquired_before_b, 3);
	assert_int_equal(s.y_ret_b, -EDEADLK);
	assert_true(s.y_saw_released);
	assert_int_equal(s.y_acquired_slow, 1);
	assert_int_equal(s.y_stats.deadlocks, 1);
	assert_int_equal(s.y_stats.wounded, 1);
	assert_int_equal(s.y_stats.wounds, 0);
	assert_int_equal(s.y_stats.acquires, 4);

	/* Older contexts never die. */
	assert_int_equal(s.o_ret_m, 0);
	assert_int_equal(s.o_ret_l, 0);
	assert_int_equal(s.o_stats.deadlocks, 0);
	assert_int_equal(s.o_stats.wounds, 1);
	assert_int_equal(s.o_stats.contended, 1);
	assert_int_equal(ctx.stats.deadlocks + ctx.stats.wounds + ctx.stats.wounded, 0);

	event_destroy(&s.b_held);
	event_destroy(&s.y_has_l);
	event_destroy(&s.y_backed_off);
	turn_destroy(&s.turn);
	ww_mutex_destroy(&s.b);
	ww_mutex_destroy(&s.l);
	ww_mutex_destroy(&s.f1);
	ww_mutex_destroy(&s.f2);
	ww_mutex_destroy(&s.m);
}

/* ------------------------------------------------------------------------
 * ctx->acquired bookkeeping
 */

static void test_ww_acquire_ctx_acquired(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex a, b, c, d, e;
	struct ww_acquire_ctx ctx;
	struct resv_ww_stats cs;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	ww_mutex_init(&c, f->cls);
	ww_mutex_init(&d, f->cls);
	ww_mutex_init(&e, f->cls);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ctx.acquired, 0);
	assert_int_equal(ctx.is_wait_die, f->wait_die);

	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ctx.acquired, 1);
	assert_int_equal(ww_mutex_lock(&b, &ctx), 0);
	assert_int_equal(ctx.acquired, 2);
	assert_int_equal(ww_mutex_trylock(&c, &ctx), 1);
	assert_int_equal(ctx.acquired, 3);
	assert_int_equal(ww_mutex_lock(&a, &ctx), -EALREADY);
	assert_int_equal(ww_mutex_trylock(&a, &ctx), 0);
	assert_int_equal(ctx.acquired, 3);
	assert_int_equal(ww_mutex_lock_interruptible(&d, &ctx), 0);
	assert_int_equal(ctx.acquired, 4);
	ww_mutex_unlock(&b);
	assert_int_equal(ctx.acquired, 3);
	ww_mutex_unlock(&a);
	assert_int_equal(ctx.acquired, 2);
	/* A lock taken without a context is not the context's. */
	assert_int_equal(ww_mutex_lock(&e, NULL), 0);
	assert_int_equal(ctx.acquired, 2);
	ww_mutex_unlock(&e);
	assert_int_equal(ctx.acquired, 2);
	ww_mutex_unlock(&c);
	assert_int_equal(ctx.acquired, 1);
	ww_mutex_unlock(&d);
	assert_int_equal(ctx.acquired, 0);
	ww_acquire_done(&ctx);
	ww_acquire_fini(&ctx);
	assert_int_equal(ctx.acquired, 0);

	assert_int_equal(ctx.stats.acquires, 4);
	assert_int_equal(ctx.stats.already, 1);
	resv_ww_class_get_stats(f->cls, &cs);
	assert_int_equal(cs.transactions, 1);
	assert_int_equal(cs.acquires, 4);
	assert_int_equal(cs.already, 1);

	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
	ww_mutex_destroy(&c);
	ww_mutex_destroy(&d);
	ww_mutex_destroy(&e);
}

/* ------------------------------------------------------------------------
 * Interrupts
 */

struct intr {
	struct ww_class *cls;
	struct ww_mutex lock, free_lock;
	bool use_ctx;
	struct resv_thread *self;
	struct event ready, phase2;
	atomic_bool released;
	int ret_wait, ret_again, ret_free, ret_after;
	bool held_after_eintr, locked_after_eintr, pending_after_eintr;
	bool cleared, cleared_again, pending_after_clear, saw_released;
	unsigned int acquired_after_eintr;
	struct resv_ww_stats stats;
};

static void *intr_worker(void *arg)
{
	struct intr *s = arg;
	struct ww_acquire_ctx ctx, *c = s->use_ctx ? &ctx : NULL;

	s->self = resv_thread_self();
	if (c)
		ww_acquire_init(c, s->cls); /* after the main thread's */
	event_fire(&s->ready);

	s->ret_wait = ww_mutex_lock_interruptible(&s->lock, c);
	s->held_after_eintr = resv_ww_mutex_held_by_self(&s->lock);
	s->locked_after_eintr = ww_mutex_is_locked(&s->lock);
	s->pending_after_eintr = resv_thread_interrupt_pending();
	s->acquired_after_eintr = c ? c->acquired : 0;
	if (s->ret_wait == 0)
		ww_mutex_unlock(&s->lock);
	/* Still pending: a lock that has to wait fails at once ... */
	s->ret_again = ww_mutex_lock_interruptible(&s->lock, c);
	if (s->ret_again == 0)
		ww_mutex_unlock(&s->lock);
	/* ... but a free lock is taken. */
	s->ret_free = ww_mutex_lock_interruptible(&s->free_lock, c);
	if (s->ret_free == 0)
		ww_mutex_unlock(&s->free_lock);
	s->cleared = resv_thread_clear_interrupt();
	s->cleared_again = resv_thread_clear_interrupt();
	s->pending_after_clear = resv_thread_interrupt_pending();
	event_fire(&s->phase2);

	s->ret_after = ww_mutex_lock(&s->lock, c);
	s->saw_released = atomic_load(&s->released);
	if (s->ret_after == 0)
		ww_mutex_unlock(&s->lock);
	if (c) {
		ww_acquire_fini(c);
		s->stats = c->stats;
	}
	return NULL;
}

static void test_ww_mutex_lock_interruptible_eintr(void **state)
{
	struct fixture *f = *state;
	int v;

	for (v = 0; v < 2; v++) {
		struct intr s = { .cls = f->cls, .use_ctx = v };
		struct ww_acquire_ctx ctx, *c = s.use_ctx ? &ctx : NULL;
		struct resv_ww_stats cs;
		pthread_t t;

		resv_ww_class_reset_stats(f->cls);
		ww_mutex_init(&s.lock, f->cls);
		ww_mutex_init(&s.free_lock, f->cls);
		event_init(&s.ready);
		event_init(&s.phase2);
		atomic_init(&s.released, false);
		if (c)
			ww_acquire_init(c, f->cls);
		assert_int_equal(ww_mutex_lock(&s.lock, c), 0);

		t = spawn(intr_worker, &s);
		event_expect(&s.ready, "interruptible worker start");
		msleep(SETTLE_MS); /* it blocks in ww_mutex_lock_interruptible() */
		resv_thread_interrupt(s.self);
		event_expect(&s.phase2, "interrupted worker");
		msleep(SETTLE_MS); /* it blocks in ww_mutex_lock() */
		atomic_store(&s.released, true);
		ww_mutex_unlock(&s.lock);
		join(t, "interruptible worker");
		if (c)
			ww_acquire_fini(c);

		assert_int_equal(s.ret_wait, -EINTR);
		assert_false(s.held_after_eintr);
		assert_true(s.locked_after_eintr); /* still ours */
		assert_true(s.pending_after_eintr);
		assert_int_equal(s.acquired_after_eintr, 0);
		assert_int_equal(s.ret_again, -EINTR);
		assert_int_equal(s.ret_free, 0);
		assert_true(s.cleared);
		assert_false(s.cleared_again);
		assert_false(s.pending_after_clear);
		assert_int_equal(s.ret_after, 0);
		assert_true(s.saw_released);
		assert_false(ww_mutex_is_locked(&s.lock));
		if (c) {
			assert_int_equal(s.stats.interrupted, 2);
			assert_int_equal(s.stats.acquires, 2);
			assert_int_equal(s.stats.deadlocks, 0);
			resv_ww_class_get_stats(f->cls, &cs);
			assert_int_equal(cs.interrupted, 2);
			assert_int_equal(cs.transactions, 2);
		}
		event_destroy(&s.ready);
		event_destroy(&s.phase2);
		ww_mutex_destroy(&s.lock);
		ww_mutex_destroy(&s.free_lock);
	}
}

struct ignore {
	struct ww_class *cls;
	struct ww_mutex lock, lock2;
	bool use_ctx;
	struct resv_thread *self;
	struct event ready, ready2;
	atomic_bool released, released2;
	int ret, ret2;
	bool saw_released, saw_released2, pending, pending2, cleared;
};

static void *ignore_worker(void *arg)
{
	struct ignore *s = arg;
	struct ww_acquire_ctx ctx, *c = s->use_ctx ? &ctx : NULL;

	s->self = resv_thread_self();
	if (c)
		ww_acquire_init(c, s->cls);
	event_fire(&s->ready);
	/* Interrupted while it sleeps: keeps sleeping. */
	s->ret = ww_mutex_lock(&s->lock, c);
	s->saw_released = atomic_load(&s->released);
	s->pending = resv_thread_interrupt_pending();
	if (s->ret == 0)
		ww_mutex_unlock(&s->lock);
	event_fire(&s->ready2);
	/* Interrupt already pending when the wait starts: waits all the same. */
	s->ret2 = ww_mutex_lock(&s->lock2, c);
	s->saw_released2 = atomic_load(&s->released2);
	s->pending2 = resv_thread_interrupt_pending();
	if (s->ret2 == 0)
		ww_mutex_unlock(&s->lock2);
	s->cleared = resv_thread_clear_interrupt();
	if (c)
		ww_acquire_fini(c);
	return NULL;
}

static void test_ww_mutex_lock_ignores_interrupt(void **state)
{
	struct fixture *f = *state;
	int v;

	for (v = 0; v < 2; v++) {
		struct ignore s = { .cls = f->cls, .use_ctx = v };
		struct ww_acquire_ctx ctx, *c = s.use_ctx ? &ctx : NULL;
		pthread_t t;

		ww_mutex_init(&s.lock, f->cls);
		ww_mutex_init(&s.lock2, f->cls);
		event_init(&s.ready);
		event_init(&s.ready2);
		atomic_init(&s.released, false);
		atomic_init(&s.released2, false);
		if (c)
			ww_acquire_init(c, f->cls);
		assert_int_equal(ww_mutex_lock(&s.lock, c), 0);
		assert_int_equal(ww_mutex_lock(&s.lock2, c), 0);
		t = spawn(ignore_worker, &s);
		event_expect(&s.ready, "uninterruptible worker start");
		msleep(SETTLE_MS);
		resv_thread_interrupt(s.self);
		msleep(SETTLE_MS); /* an interrupt must not end the wait */
		atomic_store(&s.released, true);
		ww_mutex_unlock(&s.lock);
		event_expect(&s.ready2, "uninterruptible worker, second lock");
		msleep(SETTLE_MS); /* it blocks on lock2, interrupt pending */
		atomic_store(&s.released2, true);
		ww_mutex_unlock(&s.lock2);
		join(t, "uninterruptible worker");
		if (c)
			ww_acquire_fini(c);

		assert_int_equal(s.ret, 0);
		assert_true(s.saw_released);
		assert_true(s.pending);
		assert_int_equal(s.ret2, 0);
		assert_true(s.saw_released2);
		assert_true(s.pending2);
		assert_true(s.cleared);
		event_destroy(&s.ready);
		event_destroy(&s.ready2);
		ww_mutex_destroy(&s.lock);
		ww_mutex_destroy(&s.lock2);
	}
}

struct slowintr {
	struct ww_class *cls;
	struct ww_mutex m, f;
	struct resv_thread *self;
	struct event backed_off, f_held, phase2;
	atomic_bool released;
	int ret_m, ret_inject, ret_slow;
	bool f_locked_after_inject, held_after_eintr, pending_after_eintr;
	unsigned int acquired_after_eintr;
	bool saw_released, held_after_slow, pending_after_slow, cleared;
	struct resv_ww_stats stats;
};

static void *slowintr_worker(void *arg)
{
	struct slowintr *s = arg;
	struct ww_acquire_ctx ctx;

	s->self = resv_thread_self();
	ww_acquire_init(&ctx, s->cls);
	s->ret_m = ww_mutex_lock(&s->m, &ctx);
	/* NTH 1: the first eligible acquire is turned into -EDEADLK. */
	s->ret_inject = ww_mutex_lock(&s->f, &ctx);
	s->f_locked_after_inject = ww_mutex_is_locked(&s->f);
	if (s->ret_inject == 0)
		ww_mutex_unlock(&s->f);
	if (s->ret_m == 0)
		ww_mutex_unlock(&s->m);
	event_fire(&s->backed_off);
	(void)event_wait(&s->f_held);

	s->ret_slow = ww_mutex_lock_slow_interruptible(&s->f, &ctx);
	s->held_after_eintr = resv_ww_mutex_held_by_self(&s->f);
	s->acquired_after_eintr = ctx.acquired;
	s->pending_after_eintr = resv_thread_interrupt_pending();
	if (s->ret_slow == 0)
		ww_mutex_unlock(&s->f);
	event_fire(&s->phase2);

	/* The uninterruptible slow path ignores the pending interrupt. */
	ww_mutex_lock_slow(&s->f, &ctx);
	s->saw_released = atomic_load(&s->released);
	s->held_after_slow = resv_ww_mutex_held_by_self(&s->f);
	s->pending_after_slow = resv_thread_interrupt_pending();
	ww_mutex_unlock(&s->f);
	s->cleared = resv_thread_clear_interrupt();
	ww_acquire_fini(&ctx);
	s->stats = ctx.stats;
	return NULL;
}

static void test_ww_mutex_lock_slow_interruptible_eintr(void **state)
{
	struct fixture *f = *state;
	struct slowintr s = { .cls = f->cls };
	pthread_t t;

	set_inject(f->cls, RESV_WW_INJECT_NTH, 1, 0, 0, 0);
	ww_mutex_init(&s.m, f->cls);
	ww_mutex_init(&s.f, f->cls);
	event_init(&s.backed_off);
	event_init(&s.f_held);
	event_init(&s.phase2);
	atomic_init(&s.released, false);

	t = spawn(slowintr_worker, &s);
	event_expect(&s.backed_off, "injected back-off");
	assert_int_equal(ww_mutex_lock(&s.f, NULL), 0);
	event_fire(&s.f_held);
	msleep(SETTLE_MS); /* it blocks in ww_mutex_lock_slow_interruptible() */
	resv_thread_interrupt(s.self);
	event_expect(&s.phase2, "interrupted slow path");
	msleep(SETTLE_MS); /* it blocks in ww_mutex_lock_slow() */
	atomic_store(&s.released, true);
	ww_mutex_unlock(&s.f);
	join(t, "slow-path worker");

	assert_int_equal(s.ret_m, 0);
	assert_int_equal(s.ret_inject, -EDEADLK);
	assert_false(s.f_locked_after_inject);
	assert_int_equal(s.ret_slow, -EINTR);
	assert_false(s.held_after_eintr);
	assert_int_equal(s.acquired_after_eintr, 0);
	assert_true(s.pending_after_eintr);
	assert_true(s.saw_released);
	assert_true(s.held_after_slow);
	assert_true(s.pending_after_slow);
	assert_true(s.cleared);
	assert_int_equal(s.stats.interrupted, 1);
	assert_int_equal(s.stats.injected, 1);
	assert_int_equal(s.stats.deadlocks, 0);

	event_destroy(&s.backed_off);
	event_destroy(&s.f_held);
	event_destroy(&s.phase2);
	ww_mutex_destroy(&s.m);
	ww_mutex_destroy(&s.f);
}

/* An interrupted waiter leaves the wait list: the next unlock goes to the
 * waiter behind it, not to the one that gave up. */
struct removed {
	struct ww_class *cls;
	struct ww_mutex lock;
	bool use_ctx;
	struct turn turn;
	struct resv_thread *w1_self;
	struct event w1_ready, w1_done, w2_ready, w2_got;
	atomic_bool released, w2_released;
	int w1_ret, w1_ret2, w2_ret;
	bool w1_held, w2_saw_released, w1_saw_w2_released;
};

static void *removed_w1(void *arg)
{
	struct removed *s = arg;
	struct ww_acquire_ctx ctx, *c = s->use_ctx ? &ctx : NULL;

	s->w1_self = resv_thread_self();
	if (c)
		acquire_init_in_turn(&s->turn, 1, c, s->cls);
	event_fire(&s->w1_ready);
	s->w1_ret = ww_mutex_lock_interruptible(&s->lock, c);
	s->w1_held = resv_ww_mutex_held_by_self(&s->lock);
	if (s->w1_ret == 0)
		ww_mutex_unlock(&s->lock);
	(void)resv_thread_clear_interrupt();
	event_fire(&s->w1_done);
	/* Come back once W2 got the lock that W1 gave up waiting for. */
	(void)event_wait(&s->w2_got);
	s->w1_ret2 = ww_mutex_lock(&s->lock, c);
	s->w1_saw_w2_released = atomic_load(&s->w2_released);
	if (s->w1_ret2 == 0)
		ww_mutex_unlock(&s->lock);
	if (c)
		ww_acquire_fini(c);
	return NULL;
}

static void *removed_w2(void *arg)
{
	struct removed *s = arg;
	struct ww_acquire_ctx ctx, *c = s->use_ctx ? &ctx : NULL;

	if (c)
		acquire_init_in_turn(&s->turn, 2, c, s->cls);
	event_fire(&s->w2_ready);
	s->w2_ret = ww_mutex_lock(&s->lock, c);
	s->w2_saw_released = atomic_load(&s->released);
	event_fire(&s->w2_got);
	msleep(SETTLE_MS); /* W1 queues again behind us */
	atomic_store(&s->w2_released, true);
	if (s->w2_ret == 0)
		ww_mutex_unlock(&s->lock);
	if (c)
		ww_acquire_fini(c);
	return NULL;
}

static void test_ww_mutex_interrupted_waiter_removed(void **state)
{
	struct fixture *f = *state;
	int v;

	for (v = 0; v < 2; v++) {
		struct removed s = { .cls = f->cls, .use_ctx = v };
		struct ww_acquire_ctx ctx, *c = s.use_ctx ? &ctx : NULL;
		pthread_t t1, t2;

		ww_mutex_init(&s.lock, f->cls);
		turn_init(&s.turn);
		event_init(&s.w1_ready);
		event_init(&s.w1_done);
		event_init(&s.w2_ready);
		event_init(&s.w2_got);
		atomic_init(&s.released, false);
		atomic_init(&s.w2_released, false);
		if (c)
			acquire_init_in_turn(&s.turn, 0, c, f->cls);
		else
			turn_pass(&s.turn);
		assert_int_equal(ww_mutex_lock(&s.lock, c), 0);

		t1 = spawn(removed_w1, &s);
		event_expect(&s.w1_ready, "first waiter start");
		msleep(SETTLE_MS); /* W1 queues */
		t2 = spawn(removed_w2, &s);
		event_expect(&s.w2_ready, "second waiter start");
		msleep(SETTLE_MS); /* W2 queues behind it */
		resv_thread_interrupt(s.w1_self);
		event_expect(&s.w1_done, "interrupted waiter");
		atomic_store(&s.released, true);
		ww_mutex_unlock(&s.lock);
		join(t2, "second waiter (lost wake-up?)");
		join(t1, "first waiter");
		if (c)
			ww_acquire_fini(c);

		assert_int_equal(s.w1_ret, -EINTR);
		assert_false(s.w1_held);
		assert_int_equal(s.w2_ret, 0);
		assert_true(s.w2_saw_released);
		assert_int_equal(s.w1_ret2, 0);
		assert_true(s.w1_saw_w2_released);
		assert_false(ww_mutex_is_locked(&s.lock));

		event_destroy(&s.w1_ready);
		event_destroy(&s.w1_done);
		event_destroy(&s.w2_ready);
		event_destroy(&s.w2_got);
		turn_destroy(&s.turn);
		ww_mutex_destroy(&s.lock);
	}
}

/* ------------------------------------------------------------------------
 * Deadlock injection
 */

static void test_ww_mutex_inject_nth(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex a, b, c, t;
	struct ww_acquire_ctx ctx;
	struct resv_ww_stats cs;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	ww_mutex_init(&c, f->cls);
	ww_mutex_init(&t, f->cls);
	set_inject(f->cls, RESV_WW_INJECT_NTH, 2, 0, 0, 0);
	ww_acquire_init(&ctx, f->cls);

	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);   /* first lock: never */
	assert_int_equal(ww_mutex_trylock(&t, &ctx), 1); /* trylock: never */
	assert_int_equal(ww_mutex_lock(&b, &ctx), 0);   /* eligible #1 */
	assert_int_equal(ww_mutex_lock(&c, &ctx), -EDEADLK); /* eligible #2 */
	/* Well-formed: the lock is not held, nothing else changed. */
	assert_false(ww_mutex_is_locked(&c));
	assert_false(resv_ww_mutex_held_by_self(&c));
	assert_null(resv_ww_mutex_ctx(&c));
	assert_int_equal(ctx.acquired, 3);
	assert_int_equal(ctx.stats.injected, 1);
	assert_int_equal(ctx.stats.deadlocks, 0);

	ww_mutex_unlock(&a);
	ww_mutex_unlock(&t);
	ww_mutex_unlock(&b);
	assert_int_equal(ctx.acquired, 0);
	ww_mutex_lock_slow(&c, &ctx); /* slow path: never */
	assert_true(resv_ww_mutex_held_by_self(&c));
	assert_int_equal(ctx.acquired, 1);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0); /* #3: period 0, no more */
	assert_int_equal(ww_mutex_lock(&b, &ctx), 0); /* #4 */
	assert_int_equal(ww_mutex_trylock(&t, &ctx), 1);
	assert_int_equal(ctx.acquired, 4);
	assert_int_equal(ctx.stats.injected, 1);
	ww_mutex_unlock(&a);
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&c);
	ww_mutex_unlock(&t);
	ww_acquire_fini(&ctx);

	resv_ww_class_get_stats(f->cls, &cs);
	assert_int_equal(cs.injected, 1);
	assert_int_equal(cs.deadlocks, 0);
	assert_int_equal(cs.transactions, 1);
	assert_int_equal(cs.acquires, ctx.stats.acquires);

	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
	ww_mutex_destroy(&c);
	ww_mutex_destroy(&t);
}

static void test_ww_mutex_inject_nth_period(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex a, b;
	struct ww_acquire_ctx ctx;
	char pattern[8] = "";
	int k, ret;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	/* Eligible acquires #1, #3, #5, #7, ... fail. */
	set_inject(f->cls, RESV_WW_INJECT_NTH, 1, 2, 0, 0);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	for (k = 0; k < 6; k++) {
		ret = ww_mutex_lock(&b, &ctx); /* eligible: a is held */
		pattern[k] = ret == 0 ? '0' : ret == -EDEADLK ? 'D' : 'E';
		if (ret == 0) {
			ww_mutex_unlock(&b);
		} else if (ret == -EDEADLK) {
			back_off(&a, &b, &ctx);
			/* First lock again (nothing held): not eligible. */
			assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
		}
	}
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	assert_string_equal(pattern, "D0D0D0");
	assert_int_equal(ctx.stats.injected, 3);

	/* The count belongs to the class: a new context continues at #7. */
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	back_off(&a, &b, &ctx);
	ww_acquire_fini(&ctx);

	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
}

static void test_ww_mutex_inject_never_first_or_trylock(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex a, b, c, d;
	struct ww_acquire_ctx ctx;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	ww_mutex_init(&c, f->cls);
	ww_mutex_init(&d, f->cls);
	set_inject(f->cls, RESV_WW_INJECT_NTH, 1, 1, 0, 0); /* every eligible one */
	ww_acquire_init(&ctx, f->cls);

	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_trylock(&b, &ctx), 1);
	assert_int_equal(ww_mutex_trylock(&c, &ctx), 1);
	/* The interruptible variant is eligible too. */
	assert_int_equal(ww_mutex_lock_interruptible(&d, &ctx), -EDEADLK);
	assert_false(ww_mutex_is_locked(&d));
	ww_mutex_unlock(&a);
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&c);
	ww_mutex_lock_slow(&d, &ctx);
	assert_int_equal(ww_mutex_trylock(&a, &ctx), 1);
	assert_int_equal(ctx.acquired, 2);
	ww_mutex_unlock(&a);
	ww_mutex_unlock(&d);

	assert_int_equal(ww_mutex_lock(&a, &ctx), 0); /* first again */
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	back_off(&a, &b, &ctx);
	ww_acquire_fini(&ctx);
	assert_int_equal(ctx.stats.injected, 2);

	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
	ww_mutex_destroy(&c);
	ww_mutex_destroy(&d);
}

#define REPLAY_LOCKS 8
#define REPLAY_TRANSACTIONS 16

static struct ww_class replay_class;

/* One single-threaded run; a fresh class restarts the stamps as a new process would. */
static void replay_run(bool wait_die, uint64_t seed, struct trace *t, uint64_t *injected)
{
	struct ww_mutex locks[REPLAY_LOCKS], *ptrs[REPLAY_LOCKS];
	struct ww_acquire_ctx ctx;
	struct resv_ww_stats cs;
	unsigned int backoffs = 0;
	int i, n, ret;

	resv_ww_class_init(&replay_class, "replay", wait_die);
	set_inject(&replay_class, RESV_WW_INJECT_RANDOM, 0, 0, 200000, seed);
	for (i = 0; i < REPLAY_LOCKS; i++) {
		ww_mutex_init(&locks[i], &replay_class);
		ptrs[i] = &locks[i];
	}
	for (n = 0; n < REPLAY_TRANSACTIONS; n++) {
		ww_acquire_init(&ctx, &replay_class);
		ret = lock_all(ptrs, REPLAY_LOCKS, &ctx, t, &backoffs);
		trace_put(t, ret ? 'E' : ctx.acquired == REPLAY_LOCKS ? '|' : '?');
		if (!ret)
			unlock_all(ptrs, REPLAY_LOCKS);
		ww_acquire_fini(&ctx);
	}
	resv_ww_class_get_stats(&replay_class, &cs);
	*injected = cs.injected;
	for (i = 0; i < REPLAY_LOCKS; i++)
		ww_mutex_destroy(&locks[i]);
}

static void test_ww_mutex_inject_random_replay(void **state)
{
	struct fixture *f = *state;
	static struct trace t1, t2;
	uint64_t inj1 = 0, inj2 = 0;
	size_t i, deaths = 0, commits = 0;

	memset(&t1, 0, sizeof(t1));
	memset(&t2, 0, sizeof(t2));
	replay_run(f->wait_die, 0x5eedULL, &t1, &inj1);
	replay_run(f->wait_die, 0x5eedULL, &t2, &inj2);
	assert_false(t1.overflow);
	assert_false(t2.overflow);
	for (i = 0; i < t1.len; i++) {
		deaths += t1.buf[i] == 'D';
		commits += t1.buf[i] == '|';
		assert_true(t1.buf[i] == '0' || t1.buf[i] == 'D' || t1.buf[i] == '|');
	}
	/* Every transaction completed, injections happened, and they replay. */
	assert_int_equal(commits, REPLAY_TRANSACTIONS);
	assert_true(inj1 > 0);
	assert_int_equal(deaths, inj1); /* single-threaded: every -EDEADLK is injected */
	assert_string_equal(t1.buf, t2.buf);
	assert_int_equal(inj1, inj2);
}

#define SLOWPATH_LOCKS 16

static void test_ww_mutex_inject_slowpath(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex locks[SLOWPATH_LOCKS], *ptrs[SLOWPATH_LOCKS];
	static struct trace t;
	struct ww_acquire_ctx ctx;
	uint64_t injected = 0;
	unsigned int backoffs;
	int i, n, first_death, expected;
	char *d;

	for (i = 0; i < SLOWPATH_LOCKS; i++) {
		ww_mutex_init(&locks[i], f->cls);
		ptrs[i] = &locks[i];
	}
	set_inject(f->cls, RESV_WW_INJECT_SLOWPATH, 0, 0, 0, 0);
	for (n = 0; n < 10; n++) {
		memset(&t, 0, sizeof(t));
		backoffs = 0;
		ww_acquire_init(&ctx, f->cls);
		assert_int_equal(lock_all(ptrs, SLOWPATH_LOCKS, &ctx, &t, &backoffs), 0);
		assert_int_equal(ctx.acquired, SLOWPATH_LOCKS);
		ww_acquire_done(&ctx);
		unlock_all(ptrs, SLOWPATH_LOCKS);
		ww_acquire_fini(&ctx);
		assert_int_equal(ctx.stats.injected, backoffs);
		injected += ctx.stats.injected;

		/*
		 * The kernel's countdown starts at stamp & 0xf and is tested
		 * with countdown-- == 0 after each successful eligible
		 * acquire: the first pass (15 eligible acquires, list index
		 * i is eligible #i) fails at index (stamp & 0xf) + 1.
		 */
		d = memchr(t.buf, 'D', t.len);
		first_death = d ? (int)(d - t.buf) : -1;
		expected = (ctx.stamp & 0xf) + 1 < SLOWPATH_LOCKS ? (int)(ctx.stamp & 0xf) + 1 : -1;
		assert_int_equal(first_death, expected);
	}
	/* At most one stamp in 16 has countdown 15: injection happened. */
	assert_true(injected > 0);
	for (i = 0; i < SLOWPATH_LOCKS; i++)
		ww_mutex_destroy(&locks[i]);
}

static void test_ww_mutex_inject_ctx_override(void **state)
{
	struct fixture *f = *state;
	struct resv_ww_inject always = { .mode = RESV_WW_INJECT_RANDOM, .per_million = 1000000,
					 .seed = 1 };
	struct ww_mutex a, b, c;
	struct ww_acquire_ctx ctx;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	ww_mutex_init(&c, f->cls);
	set_inject(f->cls, RESV_WW_INJECT_NTH, 1, 1, 0, 0); /* every eligible one */

	/* NULL switches injection off for this context only. */
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(resv_ww_acquire_set_inject(&ctx, NULL), 0);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&c, &ctx), 0);
	ww_mutex_unlock(&a);
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&c);
	ww_acquire_fini(&ctx);
	assert_int_equal(ctx.stats.injected, 0);

	/* The next context follows the class again. */
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	back_off(&a, &b, &ctx);
	ww_acquire_fini(&ctx);
	assert_int_equal(ctx.stats.injected, 1);

	/* And a context may switch injection on in a class without it. */
	set_inject(f->cls, RESV_WW_INJECT_OFF, 0, 0, 0, 0);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(resv_ww_acquire_set_inject(&ctx, &always), 0);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	back_off(&a, &b, &ctx);
	ww_acquire_fini(&ctx);
	assert_int_equal(ctx.stats.injected, 1);

	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
	ww_mutex_destroy(&c);
}

static void test_ww_mutex_inject_invalid(void **state)
{
	struct fixture *f = *state;
	const struct resv_ww_inject bad[] = {
		{ .mode = RESV_WW_INJECT_NTH, .nth = 0, .period = 1 },
		{ .mode = RESV_WW_INJECT_RANDOM, .per_million = 1000001, .seed = 1 },
		{ .mode = (enum resv_ww_inject_mode)42, .nth = 1, .per_million = 1 },
	};
	const struct resv_ww_inject always = { .mode = RESV_WW_INJECT_RANDOM,
					       .per_million = 1000000, .seed = 3 };
	struct ww_mutex a, b;
	struct ww_acquire_ctx ctx;
	size_t i;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);

	/* Class: NTH 2, and eligible acquire #1 is used up. */
	set_inject(f->cls, RESV_WW_INJECT_NTH, 2, 0, 0, 0);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), 0);
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(resv_ww_class_set_inject(f->cls, &bad[i]), -EINVAL);
		assert_int_equal(resv_ww_set_default_inject(&bad[i]), -EINVAL);
	}
	/* Neither the settings nor the NTH count changed: this is #2. */
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	back_off(&a, &b, &ctx);
	ww_acquire_fini(&ctx);

	/* 10^6 ppm is the valid upper bound: always inject. */
	assert_int_equal(resv_ww_class_set_inject(f->cls, &always), 0);
	ww_acquire_init(&ctx, f->cls);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(resv_ww_acquire_set_inject(&ctx, &bad[i]), -EINVAL);
	/* The context kept the class's snapshot. */
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	back_off(&a, &b, &ctx);
	ww_acquire_fini(&ctx);

	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
}

static void test_ww_mutex_inject_default(void **state)
{
	struct fixture *f = *state;
	const struct resv_ww_inject always = { .mode = RESV_WW_INJECT_RANDOM,
					       .per_million = 1000000, .seed = 7 };
	const struct resv_ww_inject dflt = { .mode = RESV_WW_INJECT_DEFAULT };
	struct ww_mutex a, b;
	struct ww_acquire_ctx ctx;
	int v;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	assert_int_equal(resv_ww_class_set_inject(f->cls, NULL), 0); /* follow the default */

	assert_int_equal(resv_ww_set_default_inject(&always), 0);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	back_off(&a, &b, &ctx);
	ww_acquire_fini(&ctx);

	/* NULL and mode DEFAULT both mean off. */
	for (v = 0; v < 2; v++) {
		assert_int_equal(resv_ww_set_default_inject(v ? &dflt : NULL), 0);
		ww_acquire_init(&ctx, f->cls);
		assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
		assert_int_equal(ww_mutex_lock(&b, &ctx), 0);
		ww_mutex_unlock(&b);
		ww_mutex_unlock(&a);
		ww_acquire_fini(&ctx);
		assert_int_equal(ctx.stats.injected, 0);
	}
	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
}

/* ------------------------------------------------------------------------
 * Statistics
 */

static void assert_stats_zero(const struct resv_ww_stats *s)
{
	assert_int_equal(s->transactions, 0);
	assert_int_equal(s->acquires, 0);
	assert_int_equal(s->contended, 0);
	assert_int_equal(s->deadlocks, 0);
	assert_int_equal(s->wounds, 0);
	assert_int_equal(s->wounded, 0);
	assert_int_equal(s->injected, 0);
	assert_int_equal(s->already, 0);
	assert_int_equal(s->interrupted, 0);
}

static void test_ww_mutex_stats(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex a, b, c, d, x;
	struct ww_acquire_ctx ctx;
	struct resv_ww_stats cs;
	struct holder h;
	pthread_t ht;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	ww_mutex_init(&c, f->cls);
	ww_mutex_init(&d, f->cls);
	ww_mutex_init(&x, f->cls);
	ht = holder_start(&h, &x);

	/* Injection, wounds and deaths are counted by the tests that cause them. */
	ww_acquire_init(&ctx, f->cls);
	assert_stats_zero(&ctx.stats);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);		/* acquires 1 */
	assert_int_equal(ww_mutex_trylock(&b, &ctx), 1);	/* acquires 2 */
	assert_int_equal(ww_mutex_trylock(&x, &ctx), 0);	/* not counted */
	assert_int_equal(ww_mutex_lock(&a, &ctx), -EALREADY);	/* already 1 */
	assert_int_equal(ww_mutex_lock(&c, &ctx), 0);		/* acquires 3 */
	assert_int_equal(ww_mutex_lock_interruptible(&d, &ctx), 0); /* acquires 4 */
	ww_mutex_unlock(&a);
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&c);
	/* An interrupt pending before a wait that must happen: -EINTR, no sleep. */
	resv_thread_interrupt(resv_thread_self());
	assert_int_equal(ww_mutex_lock_interruptible(&x, &ctx), -EINTR); /* interrupted 1 */
	assert_true(resv_thread_clear_interrupt());
	ww_mutex_unlock(&d);

	/* The class only sums finished contexts. */
	resv_ww_class_get_stats(f->cls, &cs);
	assert_stats_zero(&cs);
	ww_acquire_fini(&ctx);
	holder_stop(&h, ht);

	assert_int_equal(ctx.stats.acquires, 4);
	assert_int_equal(ctx.stats.contended, 0);
	assert_int_equal(ctx.stats.deadlocks, 0);
	assert_int_equal(ctx.stats.wounds, 0);
	assert_int_equal(ctx.stats.wounded, 0);
	assert_int_equal(ctx.stats.injected, 0);
	assert_int_equal(ctx.stats.already, 1);
	assert_int_equal(ctx.stats.interrupted, 1);

	resv_ww_class_get_stats(f->cls, &cs);
	assert_int_equal(cs.transactions, 1);
	assert_int_equal(cs.acquires, 4);
	assert_int_equal(cs.contended, 0);
	assert_int_equal(cs.deadlocks, 0);
	assert_int_equal(cs.wounds, 0);
	assert_int_equal(cs.wounded, 0);
	assert_int_equal(cs.injected, 0);
	assert_int_equal(cs.already, 1);
	assert_int_equal(cs.interrupted, 1);

	/* A second transaction adds up. */
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	resv_ww_class_get_stats(f->cls, &cs);
	assert_int_equal(cs.transactions, 2);
	assert_int_equal(cs.acquires, 5);

	resv_ww_class_reset_stats(f->cls);
	resv_ww_class_get_stats(f->cls, &cs);
	assert_stats_zero(&cs);

	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
	ww_mutex_destroy(&c);
	ww_mutex_destroy(&d);
	ww_mutex_destroy(&x);
}

/*
 * An injected -EDEADLK is a back-off like any other: the header says the
 * lock "was not acquired", so it counts in injected, not in acquires
 * ("locks acquired"), and not in deadlocks (real ones only).
 */
static void test_ww_mutex_stats_injected_not_acquired(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex a, b;
	struct ww_acquire_ctx ctx;
	struct resv_ww_stats cs;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	set_inject(f->cls, RESV_WW_INJECT_NTH, 1, 0, 0, 0);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);		/* acquires 1 */
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);	/* injected 1 */
	assert_int_equal(ctx.acquired, 1);
	assert_int_equal(ctx.stats.injected, 1);
	assert_int_equal(ctx.stats.deadlocks, 0);
	assert_int_equal(ctx.stats.acquires, 1);
	ww_mutex_unlock(&a);
	ww_mutex_lock_slow(&b, &ctx);				/* acquires 2 */
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);		/* acquires 3 */
	ww_mutex_unlock(&a);
	ww_mutex_unlock(&b);
	ww_acquire_fini(&ctx);
	assert_int_equal(ctx.stats.acquires, 3);
	resv_ww_class_get_stats(f->cls, &cs);
	assert_int_equal(cs.acquires, 3);
	assert_int_equal(cs.injected, 1);
	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
}

/* ------------------------------------------------------------------------
 * Lock ownership queries
 */

struct owner {
	struct ww_class *cls;
	struct ww_mutex *a, *b;
	const struct ww_acquire_ctx *ctx;
	struct event held, release;
	int ret_a, ret_b;
};

static void *owner_fn(void *arg)
{
	struct owner *o = arg;
	struct ww_acquire_ctx ctx;

	ww_acquire_init(&ctx, o->cls);
	o->ctx = &ctx;
	o->ret_a = ww_mutex_lock(o->a, &ctx);
	o->ret_b = ww_mutex_lock(o->b, NULL);
	event_fire(&o->held);
	(void)event_wait(&o->release);
	if (o->ret_b == 0)
		ww_mutex_unlock(o->b);
	if (o->ret_a == 0)
		ww_mutex_unlock(o->a);
	ww_acquire_fini(&ctx);
	return NULL;
}

static void test_ww_mutex_ctx_and_held_by_self(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex a, b;
	struct ww_acquire_ctx ctx;
	struct owner o = { .cls = f->cls, .a = &a, .b = &b };
	const struct ww_acquire_ctx *a_ctx, *b_ctx;
	bool a_held, b_held, a_locked, b_locked;
	pthread_t t;

	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	assert_null(resv_ww_mutex_ctx(&a));
	assert_false(resv_ww_mutex_held_by_self(&a));

	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_ptr_equal(resv_ww_mutex_ctx(&a), &ctx);
	assert_true(resv_ww_mutex_held_by_self(&a));
	assert_false(resv_ww_mutex_held_by_self(&b)); /* exact: this very mutex */
	assert_int_equal(ww_mutex_trylock(&b, NULL), 1);
	assert_null(resv_ww_mutex_ctx(&b));
	assert_true(resv_ww_mutex_held_by_self(&b));
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&a);
	assert_null(resv_ww_mutex_ctx(&a));
	assert_false(resv_ww_mutex_held_by_self(&a));
	assert_false(resv_ww_mutex_held_by_self(&b));
	assert_int_equal(ww_mutex_trylock(&a, &ctx), 1);
	assert_ptr_equal(resv_ww_mutex_ctx(&a), &ctx);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);

	/* Another thread's locks, with and without a context. */
	event_init(&o.held);
	event_init(&o.release);
	t = spawn(owner_fn, &o);
	event_expect(&o.held, "owner thread");
	a_ctx = resv_ww_mutex_ctx(&a);
	b_ctx = resv_ww_mutex_ctx(&b);
	a_held = resv_ww_mutex_held_by_self(&a);
	b_held = resv_ww_mutex_held_by_self(&b);
	a_locked = ww_mutex_is_locked(&a);
	b_locked = ww_mutex_is_locked(&b);
	event_fire(&o.release);
	join(t, "owner thread");

	assert_int_equal(o.ret_a, 0);
	assert_int_equal(o.ret_b, 0);
	assert_ptr_equal(a_ctx, o.ctx);
	assert_null(b_ctx);
	assert_false(a_held);
	assert_false(b_held);
	assert_true(a_locked);
	assert_true(b_locked);
	assert_false(ww_mutex_is_locked(&a));
	assert_false(ww_mutex_is_locked(&b));
	event_destroy(&o.held);
	event_destroy(&o.release);
	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
}

/* ------------------------------------------------------------------------
 * Initialisers
 */

static void test_ww_mutex_static_initializer(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex *l = f->static_lock;
	struct ww_acquire_ctx ctx;

	assert_int_equal(f->cls->is_wait_die, f->wait_die);
	assert_false(ww_mutex_is_locked(l));
	assert_null(resv_ww_mutex_ctx(l));
	assert_false(resv_ww_mutex_held_by_self(l));

	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ctx.is_wait_die, f->wait_die);
	assert_int_equal(ww_mutex_lock(l, &ctx), 0);
	assert_ptr_equal(resv_ww_mutex_ctx(l), &ctx);
	assert_int_equal(ww_mutex_lock(l, &ctx), -EALREADY);
	assert_other_thread_cannot_trylock(l, f->cls);
	ww_mutex_unlock(l);
	assert_int_equal(ww_mutex_trylock(l, NULL), 1);
	assert_true(resv_ww_mutex_held_by_self(l));
	assert_other_thread_cannot_trylock(l, f->cls);
	ww_mutex_unlock(l);
	assert_false(ww_mutex_is_locked(l));
	ww_acquire_fini(&ctx);
}

static struct ww_class runtime_class;

static void test_ww_class_init_runtime(void **state)
{
	struct fixture *f = *state;
	struct ww_acquire_ctx ctx;
	struct resv_ww_stats cs;
	struct ww_mutex l;

	resv_ww_class_init(&runtime_class, f->wait_die ? "runtime_wd" : "runtime_ww", f->wait_die);
	assert_int_equal(runtime_class.is_wait_die, f->wait_die);
	resv_ww_class_get_stats(&runtime_class, &cs);
	assert_stats_zero(&cs);
	assert_int_equal(set_inject_mode(&runtime_class, RESV_WW_INJECT_OFF), 0);

	/* Stamps start like a DEFINE_W*_CLASS: the first context gets 1. */
	ww_mutex_init(&l, &runtime_class);
	ww_acquire_init(&ctx, &runtime_class);
	assert_true(ctx.stamp == 1);
	assert_int_equal(ctx.is_wait_die, f->wait_die);
	ww_acquire_fini(&ctx);
	ww_acquire_init(&ctx, &runtime_class);
	assert_true(ctx.stamp == 2);
	assert_int_equal(ww_mutex_lock(&l, &ctx), 0);
	assert_other_thread_cannot_trylock(&l, &runtime_class);
	ww_mutex_unlock(&l);
	ww_acquire_fini(&ctx);
	ww_mutex_destroy(&l);

	/* And the algorithm is the one asked for. */
	run_abba(&runtime_class, f->wait_die, false, false, false);
	run_abba(&runtime_class, f->wait_die, false, true, false);
}

/* ------------------------------------------------------------------------
 * Misuse reports (debug builds)
 */

static void test_report_ww_fini_held(void **state)
{
	struct fixture *f = *state;
	struct ww_acquire_ctx ctx;
	struct ww_mutex a;

	require_checks();
	ww_mutex_init(&a, f->cls);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(reports_total(), 0);
	ww_acquire_fini(&ctx);
	assert_one_report(RESV_REPORT_WW_FINI_HELD);
	assert_ptr_equal(report_at(0).ctx, &ctx);
	ww_mutex_unlock(&a); /* cleanup of the misuse: not checked */
	reports_clear();
	ww_mutex_destroy(&a);
}

static void test_report_ww_fini_twice(void **state)
{
	struct fixture *f = *state;
	struct ww_acquire_ctx ctx;

	require_checks();
	ww_acquire_init(&ctx, f->cls);
	ww_acquire_fini(&ctx);
	assert_int_equal(reports_total(), 0);
	ww_acquire_fini(&ctx);
	assert_one_report(RESV_REPORT_WW_FINI_TWICE);
	assert_ptr_equal(report_at(0).ctx, &ctx);
	reports_clear();
}

static void test_report_ww_lock_after_done(void **state)
{
	struct fixture *f = *state;
	struct ww_acquire_ctx ctx;
	struct ww_mutex a, b;

	require_checks();
	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	ww_acquire_done(&ctx);
	assert_int_equal(reports_total(), 0);
	/* Reported, and the lock is still taken (the kernel only WARNs). */
	assert_int_equal(ww_mutex_lock(&b, &ctx), 0);
	assert_one_report(RESV_REPORT_WW_LOCK_AFTER_DONE);
	assert_ptr_equal(report_at(0).ctx, &ctx);
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	assert_int_equal(reports_total(), 1);
	reports_clear();
	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
}

static void test_report_ww_wrong_relock(void **state)
{
	struct fixture *f = *state;
	struct ww_acquire_ctx ctx;
	struct ww_mutex a, b, c;

	require_checks();
	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	ww_mutex_init(&c, f->cls);

	/* After -EDEADLK on b, locking c instead. */
	set_inject(f->cls, RESV_WW_INJECT_NTH, 1, 0, 0, 0);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	ww_mutex_unlock(&a);
	assert_int_equal(reports_total(), 0);
	assert_int_equal(ww_mutex_lock(&c, &ctx), 0);
	assert_one_report(RESV_REPORT_WW_WRONG_RELOCK);
	assert_ptr_equal(report_at(0).ctx, &ctx);
	ww_mutex_unlock(&c);
	ww_acquire_fini(&ctx);
	assert_int_equal(reports_total(), 1);
	reports_clear();

	/* After -EDEADLK on b, relocking b without dropping a first. */
	set_inject(f->cls, RESV_WW_INJECT_NTH, 1, 0, 0, 0);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	assert_int_equal(reports_total(), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), 0); /* eligible #2: not injected */
	assert_one_report(RESV_REPORT_WW_WRONG_RELOCK);
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	assert_int_equal(reports_total(), 1);
	reports_clear();

	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
	ww_mutex_destroy(&c);
}

static void test_report_ww_slow_with_locks(void **state)
{
	struct fixture *f = *state;
	struct ww_acquire_ctx ctx;
	struct ww_mutex a, b;

	require_checks();
	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	set_inject(f->cls, RESV_WW_INJECT_NTH, 1, 0, 0, 0);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, &ctx), -EDEADLK);
	assert_int_equal(reports_total(), 0);
	ww_mutex_lock_slow(&b, &ctx); /* a still held */
	/*
	 * Exactly one SLOW_WITH_LOCKS. The same call also fits
	 * WW_WRONG_RELOCK ("relocked ... with other locks still held"),
	 * so a second report of that kind is tolerated, nothing else.
	 */
	assert_int_equal(reports_of(RESV_REPORT_SLOW_WITH_LOCKS), 1);
	assert_int_equal(report_at(0).kind, RESV_REPORT_SLOW_WITH_LOCKS);
	assert_ptr_equal(report_at(0).ctx, &ctx);
	assert_int_equal(reports_total() - reports_of(RESV_REPORT_SLOW_WITH_LOCKS),
			 reports_of(RESV_REPORT_WW_WRONG_RELOCK));
	assert_true(reports_total() <= 2);
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	reports_clear();
	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
}

static void test_report_unlock_not_held(void **state)
{
	struct fixture *f = *state;
	struct owner o = { .cls = f->cls };
	struct ww_mutex a, b, free_lock;
	const struct ww_acquire_ctx *a_ctx;
	bool a_locked, b_locked;
	unsigned int after_a, after_b;
	pthread_t t;

	require_checks();
	ww_mutex_init(&a, f->cls);
	ww_mutex_init(&b, f->cls);
	ww_mutex_init(&free_lock, f->cls);

	/* An unlocked lock stays unlocked and usable. */
	ww_mutex_unlock(&free_lock);
	assert_one_report(RESV_REPORT_UNLOCK_NOT_HELD);
	assert_ptr_equal(report_at(0).lock, &free_lock);
	assert_false(ww_mutex_is_locked(&free_lock));
	assert_int_equal(ww_mutex_trylock(&free_lock, NULL), 1);
	ww_mutex_unlock(&free_lock);
	assert_int_equal(reports_total(), 1);
	reports_clear();

	/* Another thread's locks (a with a context, b without) stay its own. */
	o.a = &a;
	o.b = &b;
	event_init(&o.held);
	event_init(&o.release);
	t = spawn(owner_fn, &o);
	event_expect(&o.held, "owner thread");
	ww_mutex_unlock(&a);
	after_a = reports_total();
	ww_mutex_unlock(&b);
	after_b = reports_total();
	a_ctx = resv_ww_mutex_ctx(&a);
	a_locked = ww_mutex_is_locked(&a);
	b_locked = ww_mutex_is_locked(&b);
	event_fire(&o.release);
	join(t, "owner thread");

	assert_int_equal(after_a, 1);
	assert_int_equal(after_b, 2);
	assert_int_equal(reports_of(RESV_REPORT_UNLOCK_NOT_HELD), 2);
	assert_ptr_equal(report_at(0).lock, &a);
	assert_ptr_equal(report_at(1).lock, &b);
	assert_true(a_locked);
	assert_true(b_locked);
	assert_ptr_equal(a_ctx, o.ctx);
	/* The owner's own unlocks were fine and really released. */
	assert_int_equal(reports_total(), 2);
	assert_false(ww_mutex_is_locked(&a));
	assert_false(ww_mutex_is_locked(&b));
	reports_clear();

	event_destroy(&o.held);
	event_destroy(&o.release);
	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
	ww_mutex_destroy(&free_lock);
}

static void test_report_destroy_locked(void **state)
{
	struct fixture *f = *state;
	struct ww_mutex l;

	require_checks();
	ww_mutex_init(&l, f->cls);
	assert_int_equal(ww_mutex_lock(&l, NULL), 0);
	ww_mutex_destroy(&l);
	assert_one_report(RESV_REPORT_DESTROY_LOCKED);
	assert_ptr_equal(report_at(0).lock, &l);
	/* Start over rather than touch a destroyed lock. */
	reports_clear();
	ww_mutex_init(&l, f->cls);
	ww_mutex_destroy(&l);
	assert_int_equal(reports_total(), 0);
}

static void test_report_ww_class_mismatch(void **state)
{
	struct fixture *f = *state;
	struct ww_acquire_ctx ctx;
	struct ww_mutex l;

	require_checks();
	ww_mutex_init(&l, f->other);
	ww_acquire_init(&ctx, f->cls);
	assert_int_equal(ww_mutex_lock(&l, &ctx), 0);
	assert_one_report(RESV_REPORT_WW_CLASS_MISMATCH);
	assert_ptr_equal(report_at(0).ctx, &ctx);
	ww_mutex_unlock(&l);
	ww_acquire_fini(&ctx);
	assert_int_equal(reports_total(), 1);
	reports_clear();
	ww_mutex_destroy(&l);
}

static void test_report_kind_name(void **state)
{
	const enum resv_report_kind kinds[] = {
		RESV_REPORT_WW_FINI_HELD,      RESV_REPORT_WW_FINI_TWICE,
		RESV_REPORT_WW_LOCK_AFTER_DONE, RESV_REPORT_WW_WRONG_RELOCK,
		RESV_REPORT_WW_CLASS_MISMATCH, RESV_REPORT_UNLOCK_NOT_HELD,
		RESV_REPORT_DESTROY_LOCKED,    RESV_REPORT_SLOW_WITH_LOCKS,
	};
	size_t i, j, n = sizeof(kinds) / sizeof(kinds[0]);

	(void)state;
	assert_string_equal(resv_report_kind_name(RESV_REPORT_WW_FINI_HELD), "ww_fini_held");
	assert_string_equal(resv_report_kind_name((enum resv_report_kind)0), "unknown");
	assert_string_equal(resv_report_kind_name((enum resv_report_kind)999), "unknown");
	for (i = 0; i < n; i++) {
		assert_non_null(resv_report_kind_name(kinds[i]));
		assert_string_not_equal(resv_report_kind_name(kinds[i]), "unknown");
		for (j = 0; j < i; j++)
			assert_string_not_equal(resv_report_kind_name(kinds[i]),
						resv_report_kind_name(kinds[j]));
	}
}

/* ------------------------------------------------------------------------ */

#define BOTH(fn)                                                             \
	{ #fn "/wound-wait", fn, setup, teardown, &wound_fixture },          \
	{ #fn "/wait-die", fn, setup, teardown, &die_fixture }
#define WOUND_WAIT(fn) { #fn "/wound-wait", fn, setup, teardown, &wound_fixture }
#define WAIT_DIE(fn) { #fn "/wait-die", fn, setup, teardown, &die_fixture }

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_ww_mutex_mutual_exclusion),
		BOTH(test_ww_mutex_aa),
		BOTH(test_ww_mutex_abba_unresolved),
		BOTH(test_ww_mutex_abba_resolved),
		BOTH(test_ww_mutex_abba_trylock_unresolved),
		BOTH(test_ww_mutex_abba_trylock_resolved),
		BOTH(test_ww_mutex_cycle),
		BOTH(test_ww_mutex_no_locks_never_deadlk),
		BOTH(test_ww_mutex_no_locks_queued_behind_older),
		BOTH(test_ww_mutex_younger_blocked_by_older),
		BOTH(test_ww_mutex_older_blocked_by_younger),
		WAIT_DIE(test_ww_mutex_wait_die_queued_older_kills),
		WOUND_WAIT(test_ww_mutex_wound_wait_wounded_dies_on_block),
		BOTH(test_ww_acquire_ctx_acquired),
		BOTH(test_ww_acquire_ctx_stamp_wrap),
		BOTH(test_ww_mutex_lock_interruptible_eintr),
		BOTH(test_ww_mutex_lock_ignores_interrupt),
		BOTH(test_ww_mutex_lock_slow_interruptible_eintr),
		BOTH(test_ww_mutex_interrupted_waiter_removed),
		BOTH(test_ww_mutex_inject_nth),
		BOTH(test_ww_mutex_inject_nth_period),
		BOTH(test_ww_mutex_inject_never_first_or_trylock),
		BOTH(test_ww_mutex_inject_random_replay),
		BOTH(test_ww_mutex_inject_slowpath),
		BOTH(test_ww_mutex_inject_ctx_override),
		BOTH(test_ww_mutex_inject_invalid),
		BOTH(test_ww_mutex_inject_default),
		BOTH(test_ww_mutex_stats),
		BOTH(test_ww_mutex_stats_injected_not_acquired),
		BOTH(test_ww_mutex_ctx_and_held_by_self),
		BOTH(test_ww_mutex_static_initializer),
		BOTH(test_ww_class_init_runtime),
		BOTH(test_report_ww_fini_held),
		BOTH(test_report_ww_fini_twice),
		BOTH(test_report_ww_lock_after_done),
		BOTH(test_report_ww_wrong_relock),
		BOTH(test_report_ww_slow_with_locks),
		BOTH(test_report_unlock_not_held),
		BOTH(test_report_destroy_locked),
		BOTH(test_report_ww_class_mismatch),
		WOUND_WAIT(test_report_kind_name),
	};

	return cmocka_run_group_tests_name("ww_mutex", tests, group_setup, NULL);
}
