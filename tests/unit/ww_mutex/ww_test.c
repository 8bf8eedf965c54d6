/* SPDX-License-Identifier: MIT */
/* ww_mutex suite harness: fixtures, report recorder, setup/teardown, threads, watchdog. */
#include "ww_test.h"

/* ------------------------------------------------------------------------
 * Fixtures
 */

static DEFINE_WW_CLASS(wound_class);
static DEFINE_WD_CLASS(die_class);
/* Used by test_ww_mutex_static_initializer only, so it is pristine there. */
static DEFINE_WW_MUTEX(wound_static_lock, wound_class);
static DEFINE_WW_MUTEX(die_static_lock, die_class);

struct fixture wwt_wound_fixture = { &wound_class, &die_class, &wound_static_lock, false };
struct fixture wwt_die_fixture = { &die_class, &wound_class, &die_static_lock, true };

/*
 * For a context-less lock taken while a fixture's class is held: lock
 * validation forbids mixing context-less and context locks of one class,
 * and nesting two context-less locks of one class. Always taken inside the
 * fixture classes, so both fixtures give the validator the same order.
 */
DEFINE_WW_CLASS(wwt_aside_class);

/* ------------------------------------------------------------------------
 * Report recorder: the hook may run on any thread.
 */

#define MAX_REPORTS 8

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

unsigned int wwt_reports_total(void)
{
	unsigned int n;

	pthread_mutex_lock(&reports_lock);
	n = nr_reports;
	pthread_mutex_unlock(&reports_lock);
	return n;
}

unsigned int wwt_reports_of(enum resv_report_kind kind)
{
	unsigned int i, n = 0;

	pthread_mutex_lock(&reports_lock);
	for (i = 0; i < nr_reports && i < MAX_REPORTS; i++)
		n += reports[i].kind == kind;
	pthread_mutex_unlock(&reports_lock);
	return n;
}

struct seen_report wwt_report_at(unsigned int i)
{
	struct seen_report r;

	pthread_mutex_lock(&reports_lock);
	r = reports[i < MAX_REPORTS ? i : 0];
	pthread_mutex_unlock(&reports_lock);
	return r;
}

void wwt_reports_clear(void)
{
	pthread_mutex_lock(&reports_lock);
	nr_reports = 0;
	memset(reports, 0, sizeof(reports));
	pthread_mutex_unlock(&reports_lock);
}

/* Asserts that exactly one report was drawn since the last clear, of @kind. */
void wwt_assert_one_report(enum resv_report_kind kind)
{
	struct seen_report r = wwt_report_at(0);

	if (wwt_reports_total() != 1 || r.kind != kind)
		print_error("expected one '%s' report, got %u (first: '%s')\n",
			    resv_report_kind_name(kind), wwt_reports_total(),
			    wwt_reports_total() ? resv_report_kind_name(r.kind) : "none");
	assert_int_equal(wwt_reports_total(), 1);
	assert_int_equal(r.kind, kind);
	assert_true(r.has_message);
}

void wwt_require_checks(void)
{
	if (!resv_report_checks_enabled())
		skip();
}

/* ------------------------------------------------------------------------
 * Injection settings, setup / teardown
 */

int wwt_set_inject_mode(struct ww_class *cls, enum resv_ww_inject_mode mode)
{
	struct resv_ww_inject inj = { .mode = mode };

	return resv_ww_class_set_inject(cls, &inj);
}

void wwt_set_inject(struct ww_class *cls, enum resv_ww_inject_mode mode, uint64_t nth,
		    uint64_t period, uint32_t ppm, uint64_t seed)
{
	struct resv_ww_inject inj = {
		.mode = mode, .nth = nth, .period = period, .per_million = ppm, .seed = seed,
	};

	assert_int_equal(resv_ww_class_set_inject(cls, &inj), 0);
}

int wwt_group_setup(void **state)
{
	(void)state;
	/* Whatever RESV_WW_INJECT says, these tests count every -EDEADLK. */
	if (wwt_set_inject_mode(&wound_class, RESV_WW_INJECT_OFF) ||
	    wwt_set_inject_mode(&die_class, RESV_WW_INJECT_OFF))
		return -1;
	return 0;
}

int wwt_setup(void **state)
{
	struct fixture *f = *state;

	if (wwt_set_inject_mode(f->cls, RESV_WW_INJECT_OFF) ||
	    wwt_set_inject_mode(f->other, RESV_WW_INJECT_OFF))
		return -1;
	resv_ww_class_reset_stats(f->cls);
	wwt_reports_clear();
	resv_report_set_hook(record_report, NULL);
	return 0;
}

int wwt_teardown(void **state)
{
	struct fixture *f = *state;
	unsigned int i, n = wwt_reports_total();

	resv_report_set_hook(NULL, NULL);
	(void)wwt_set_inject_mode(f->cls, RESV_WW_INJECT_OFF);
	(void)resv_thread_clear_interrupt();
	if (n) {
		for (i = 0; i < n && i < MAX_REPORTS; i++)
			print_error("unexpected misuse report '%s' from a correct program\n",
				    resv_report_kind_name(wwt_report_at(i).kind));
		wwt_reports_clear();
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Thread helpers
 */

void wwt_msleep(unsigned int ms)
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

void wwt_event_init(struct event *e)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_mutex_init(&e->m, NULL);
	pthread_cond_init(&e->c, &a);
	pthread_condattr_destroy(&a);
	e->fired = false;
}

void wwt_event_destroy(struct event *e)
{
	pthread_cond_destroy(&e->c);
	pthread_mutex_destroy(&e->m);
}

void wwt_event_fire(struct event *e)
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

bool wwt_event_wait(struct event *e)
{
	return event_wait_ms(e, TIMEOUT_MS);
}

/* For the main thread: an event that must come, or the library hangs. */
void wwt_event_expect(struct event *e, const char *what)
{
	if (!wwt_event_wait(e))
		hang(what);
}

bool wwt_event_fired(struct event *e)
{
	bool fired;

	pthread_mutex_lock(&e->m);
	fired = e->fired;
	pthread_mutex_unlock(&e->m);
	return fired;
}

void wwt_turn_init(struct turn *t)
{
	pthread_mutex_init(&t->m, NULL);
	pthread_cond_init(&t->c, NULL);
	t->next = 0;
}

void wwt_turn_destroy(struct turn *t)
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

void wwt_turn_pass(struct turn *t)
{
	pthread_mutex_lock(&t->m);
	t->next++;
	pthread_cond_broadcast(&t->c);
	pthread_mutex_unlock(&t->m);
}

/* Takes the stamp of @ctx in turn @me, so lower turns are older. */
void wwt_acquire_init_in_turn(struct turn *t, int me, struct ww_acquire_ctx *ctx,
			      struct ww_class *cls)
{
	turn_wait(t, me);
	ww_acquire_init(ctx, cls);
	wwt_turn_pass(t);
}

pthread_t wwt_spawn(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
	return t;
}

void wwt_join(pthread_t t, const char *what)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	timespec_add_ms(&ts, TIMEOUT_MS);
	if (pthread_timedjoin_np(t, NULL, &ts))
		hang(what);
}

/* Waits (bounded) until an older context has wounded @ctx. */
bool wwt_wait_wounded(struct ww_acquire_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < TIMEOUT_MS; i++) {
		if (__atomic_load_n(&ctx->wounded, __ATOMIC_ACQUIRE))
			return true;
		wwt_msleep(1);
	}
	return false;
}

static void *holder_fn(void *arg)
{
	struct holder *h = arg;

	h->ret = ww_mutex_lock(h->lock, NULL);
	wwt_event_fire(&h->held);
	(void)wwt_event_wait(&h->release);
	if (h->ret == 0)
		ww_mutex_unlock(h->lock);
	return NULL;
}

pthread_t wwt_holder_start(struct holder *h, struct ww_mutex *lock)
{
	pthread_t t;

	h->lock = lock;
	wwt_event_init(&h->held);
	wwt_event_init(&h->release);
	t = wwt_spawn(holder_fn, h);
	wwt_event_expect(&h->held, "holder thread lock");
	assert_int_equal(h->ret, 0);
	return t;
}

void wwt_holder_stop(struct holder *h, pthread_t t)
{
	wwt_event_fire(&h->release);
	wwt_join(t, "holder thread");
	wwt_event_destroy(&h->held);
	wwt_event_destroy(&h->release);
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

void wwt_assert_other_thread_cannot_trylock(struct ww_mutex *lock, struct ww_class *cls)
{
	struct other_try o = { .lock = lock, .cls = cls, .ret_null = -1, .ret_ctx = -1 };

	wwt_join(wwt_spawn(other_try_fn, &o), "other thread trylock");
	assert_int_equal(o.ret_null, 0);
	assert_int_equal(o.ret_ctx, 0);
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
void wwt_run_abba(struct ww_class *cls, bool wait_die, bool trylock_first, bool resolve,
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

	to = wwt_spawn(abba_worker, &o);
	ty = wwt_spawn(abba_worker, &y);
	wwt_join(to, "ABBA older side");
	wwt_join(ty, "ABBA younger side");

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

/* ------------------------------------------------------------------------
 * Lock owner thread (ownership queries, unlock-not-held reports)
 */

void *wwt_owner_fn(void *arg)
{
	struct owner *o = arg;
	struct ww_acquire_ctx ctx;

	ww_acquire_init(&ctx, o->cls);
	o->ctx = &ctx;
	o->ret_a = ww_mutex_lock(o->a, &ctx);
	o->ret_b = ww_mutex_lock(o->b, NULL);
	wwt_event_fire(&o->held);
	(void)wwt_event_wait(&o->release);
	if (o->ret_b == 0)
		ww_mutex_unlock(o->b);
	if (o->ret_a == 0)
		ww_mutex_unlock(o->a);
	ww_acquire_fini(&ctx);
	return NULL;
}
