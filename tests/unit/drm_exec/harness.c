/* SPDX-License-Identifier: MIT */
/* drm_exec suite harness: test objects, report counter, seed, setup/teardown, threads. */
#include <inttypes.h>
#include <time.h>
#include <unistd.h>

#include <resv/rcu.h>

#include "exec_test.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ET_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(ET_TSAN)
/*
 * TSan's own deadlock detector tracks at most 64 locks held by a thread and
 * aborts beyond that; these tests hold up to 100 000 ww_mutexes under one
 * context, which is the point of ww_mutex. Lock order is the lock
 * validator's job here, so TSan's detector is off for this binary (an
 * explicit TSAN_OPTIONS=detect_deadlocks=1 still wins).
 */
__attribute__((visibility("default"))) const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "detect_deadlocks=0";
}
#endif

/* ---- GEM test objects ----------------------------------------------------- */

static void et_bo_free(struct drm_gem_object *obj)
{
	struct et_bo *bo = caa_container_of(obj, struct et_bo, base);

	drm_gem_object_release(obj);
	bo->freed++; /* the memory belongs to the set */
}

static const struct drm_gem_object_funcs et_bo_funcs = { .free = et_bo_free };

void et_bos_init(struct et_bos *set, unsigned int n, struct dma_resv *shared)
{
	unsigned int i;

	set->n = n;
	set->bo = calloc(n ? n : 1, sizeof(*set->bo));
	set->obj = calloc(n ? n : 1, sizeof(*set->obj));
	assert_non_null(set->bo);
	assert_non_null(set->obj);
	for (i = 0; i < n; i++) {
		set->bo[i].index = i;
		set->bo[i].base.resv = shared;
		assert_int_equal(drm_gem_object_init(&set->bo[i].base, &et_bo_funcs, 4096), 0);
		set->obj[i] = &set->bo[i].base;
	}
}

void et_bos_fini(struct et_bos *set)
{
	unsigned int i;

	for (i = 0; i < set->n; i++) {
		assert_int_equal(drm_gem_object_refcount(&set->bo[i].base), 1);
		drm_gem_object_put(&set->bo[i].base);
		assert_int_equal(set->bo[i].freed, 1);
	}
	free(set->bo);
	free(set->obj);
	set->bo = NULL;
	set->obj = NULL;
	set->n = 0;
}

void et_assert_baseline(const struct et_bos *set)
{
	unsigned int i;

	for (i = 0; i < set->n; i++) {
		if (dma_resv_is_locked(set->bo[i].base.resv) ||
		    drm_gem_object_refcount(&set->bo[i].base) != 1)
			print_error("object %u: locked=%d refcount=%ld (seed %" PRIu64 ")\n", i,
				    dma_resv_is_locked(set->bo[i].base.resv),
				    drm_gem_object_refcount(&set->bo[i].base), et_seed());
		assert_false(dma_resv_is_locked(set->bo[i].base.resv));
		assert_int_equal(drm_gem_object_refcount(&set->bo[i].base), 1);
	}
}

void et_assert_table(struct drm_exec *exec, struct drm_gem_object *const *objs, unsigned int n)
{
	struct drm_gem_object *obj;
	unsigned long index;
	unsigned int seen = 0;

	assert_int_equal(exec->num_objects, n);
	drm_exec_for_each_locked_object(exec, index, obj) {
		assert_true(index < n);
		assert_ptr_equal(obj, objs[index]);
		assert_true(dma_resv_held(obj->resv));
		assert_ptr_equal(dma_resv_locking_ctx(obj->resv), &exec->ticket);
		/* The object's own reference plus the one the table holds. */
		assert_true(drm_gem_object_refcount(obj) >= 2);
		seen++;
	}
	assert_int_equal(seen, n);
	assert_null(drm_exec_obj(exec, n));
}

/* ---- reports ----------------------------------------------------------------- */

static pthread_mutex_t reports_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int nr_reports;
static unsigned int nr_by_kind[64];

static void count_report(const struct resv_report *r, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&reports_lock);
	nr_reports++;
	if ((unsigned int)r->kind < 64)
		nr_by_kind[r->kind]++;
	pthread_mutex_unlock(&reports_lock);
}

unsigned int et_reports(void)
{
	unsigned int n;

	pthread_mutex_lock(&reports_lock);
	n = nr_reports;
	pthread_mutex_unlock(&reports_lock);
	return n;
}

unsigned int et_reports_take(enum resv_report_kind kind)
{
	unsigned int n;

	pthread_mutex_lock(&reports_lock);
	n = (unsigned int)kind < 64 ? nr_by_kind[kind] : 0;
	nr_reports = 0;
	memset(nr_by_kind, 0, sizeof(nr_by_kind));
	pthread_mutex_unlock(&reports_lock);
	return n;
}

/* ---- seed, allocation counters, injection ----------------------------------------- */

static uint64_t g_seed;

uint64_t et_seed(void)
{
	return g_seed;
}

uint64_t et_live_bytes(void)
{
	struct resv_alloc_stats st;

	resv_rcu_barrier();
	resv_alloc_get_stats(&st);
	return st.live_bytes;
}

void et_inject(enum resv_ww_inject_mode mode, uint64_t nth, uint64_t period, uint32_t ppm,
	       uint64_t seed)
{
	struct resv_ww_inject inj = {
		.mode = mode, .nth = nth, .period = period, .per_million = ppm, .seed = seed,
	};

	assert_int_equal(resv_ww_class_set_inject(&reservation_ww_class, &inj), 0);
}

void et_inject_off(void)
{
	struct resv_ww_inject off = { .mode = RESV_WW_INJECT_OFF };

	/* OFF is always valid; a failure here would be a library bug. */
	if (resv_ww_class_set_inject(&reservation_ww_class, &off))
		fprintf(stderr, "test_drm_exec: cannot switch ww injection off\n");
}

int et_group_setup(void **state)
{
	const char *env = getenv("RESV_SEED");
	char *end;

	(void)state;
	if (env && *env) {
		g_seed = strtoull(env, &end, 0);
		if (*end) {
			fprintf(stderr, "RESV_SEED=%s is not a number\n", env);
			return -1;
		}
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		g_seed = ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec) ^
			 ((uint64_t)getpid() << 32);
	}
	printf("test_drm_exec: seed=%" PRIu64 " (set RESV_SEED to repeat)\n", g_seed);
	fflush(stdout);
	et_inject_off();
	return 0;
}

int et_setup(void **state)
{
	(void)state;
	et_inject_off();
	resv_alloc_fail_nth(0);
	(void)et_reports_take(0);
	resv_report_set_hook(count_report, NULL);
	return 0;
}

int et_teardown(void **state)
{
	unsigned int n = et_reports();

	(void)state;
	resv_report_set_hook(NULL, NULL);
	resv_alloc_fail_nth(0);
	et_inject_off();
	(void)resv_thread_clear_interrupt();
	if (n) {
		print_error("%u misuse report(s) from a correct program (seed %" PRIu64 ")\n", n,
			    g_seed);
		(void)et_reports_take(0);
		return -1;
	}
	return 0;
}

/* ---- threads ------------------------------------------------------------------------ */

void et_msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void deadline_in(struct timespec *ts, clockid_t clock, unsigned int ms)
{
	clock_gettime(clock, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void hang(const char *what)
{
	fprintf(stderr, "FATAL: %s did not happen within %d ms: libresv hangs (seed %" PRIu64 ")\n",
		what, ET_TIMEOUT_MS, g_seed);
	fflush(NULL);
	abort();
}

void et_event_init(struct et_event *e)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_mutex_init(&e->m, NULL);
	pthread_cond_init(&e->c, &a);
	pthread_condattr_destroy(&a);
	e->fired = false;
}

void et_event_destroy(struct et_event *e)
{
	pthread_cond_destroy(&e->c);
	pthread_mutex_destroy(&e->m);
}

void et_event_fire(struct et_event *e)
{
	pthread_mutex_lock(&e->m);
	e->fired = true;
	pthread_cond_broadcast(&e->c);
	pthread_mutex_unlock(&e->m);
}

bool et_event_wait(struct et_event *e)
{
	struct timespec ts;
	bool fired;

	deadline_in(&ts, CLOCK_MONOTONIC, ET_TIMEOUT_MS);
	pthread_mutex_lock(&e->m);
	while (!e->fired)
		if (pthread_cond_timedwait(&e->c, &e->m, &ts) == ETIMEDOUT)
			break;
	fired = e->fired;
	pthread_mutex_unlock(&e->m);
	return fired;
}

void et_event_expect(struct et_event *e, const char *what)
{
	if (!et_event_wait(e))
		hang(what);
}

bool et_event_fired(struct et_event *e)
{
	bool fired;

	pthread_mutex_lock(&e->m);
	fired = e->fired;
	pthread_mutex_unlock(&e->m);
	return fired;
}

pthread_t et_spawn(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
	return t;
}

void et_join(pthread_t t, const char *what)
{
	struct timespec ts;

	deadline_in(&ts, CLOCK_REALTIME, ET_TIMEOUT_MS);
	if (pthread_timedjoin_np(t, NULL, &ts) != 0)
		hang(what);
}
