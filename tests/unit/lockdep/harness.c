/* SPDX-License-Identifier: MIT */
/* test_lockdep harness: the recording report hook, fixtures, threads, seeds. */
#include <time.h>

#include "lockdep_test.h"

#define MAX_REPORTS 64

static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ldt_report recorded[MAX_REPORTS];
static unsigned int nr_recorded, nr_dropped;

/* May run on any thread, including in a thread-exit destructor. */
static void record(const struct resv_report *r, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&rec_lock);
	if (nr_recorded < MAX_REPORTS) {
		struct ldt_report *s = &recorded[nr_recorded++];

		s->kind = r->kind;
		snprintf(s->message, sizeof(s->message), "%s", r->message ? r->message : "");
		s->detail = r->detail ? strdup(r->detail) : NULL;
		s->lock = r->lock;
		s->ctx = r->ctx;
	} else {
		nr_dropped++;
	}
	pthread_mutex_unlock(&rec_lock);
}

unsigned int ldt_reports(void)
{
	unsigned int n;

	pthread_mutex_lock(&rec_lock);
	n = nr_recorded + nr_dropped;
	pthread_mutex_unlock(&rec_lock);
	return n;
}

struct ldt_report ldt_report_at(unsigned int i)
{
	struct ldt_report r = { 0 };

	pthread_mutex_lock(&rec_lock);
	if (i < nr_recorded)
		r = recorded[i];
	pthread_mutex_unlock(&rec_lock);
	return r;
}

void ldt_reports_clear(void)
{
	pthread_mutex_lock(&rec_lock);
	for (unsigned int i = 0; i < nr_recorded; i++)
		free(recorded[i].detail);
	memset(recorded, 0, sizeof(recorded));
	nr_recorded = 0;
	nr_dropped = 0;
	pthread_mutex_unlock(&rec_lock);
}

static void print_reports(const char *why)
{
	pthread_mutex_lock(&rec_lock);
	for (unsigned int i = 0; i < nr_recorded; i++)
		printf("%s: report %u '%s': %s\n%s", why, i, resv_report_kind_name(recorded[i].kind),
		       recorded[i].message, recorded[i].detail ? recorded[i].detail : "");
	pthread_mutex_unlock(&rec_lock);
}

void ldt_print_report(unsigned int i)
{
	struct ldt_report r = ldt_report_at(i);

	/* As the default hook prints it: what docs/lockdep.md quotes. */
	printf("libresv: %s: %s (lock %p, ctx %p)\n%s", resv_report_kind_name(r.kind), r.message,
	       r.lock, r.ctx, r.detail ? r.detail : "");
}

static void expect_one_common(enum resv_report_kind kind)
{
	unsigned int n = ldt_reports();

	if (n != 1 || ldt_report_at(0).kind != kind) {
		printf("expected one '%s' report, got %u\n", resv_report_kind_name(kind), n);
		print_reports("got");
	}
	assert_int_equal(n, 1);
	assert_int_equal(ldt_report_at(0).kind, kind);
}

static void assert_contains(const char *text, const char *needle, const char *what)
{
	if (!text || !strstr(text, needle)) {
		printf("%s does not contain \"%s\":\n%s\n", what, needle, text ? text : "(null)");
		fail();
	}
}

void ldt_expect_one(enum resv_report_kind kind, ...)
{
	struct ldt_report r;
	const char *needle;
	va_list ap;

	expect_one_common(kind);
	r = ldt_report_at(0);
	va_start(ap, kind);
	while ((needle = va_arg(ap, const char *)))
		assert_contains(r.message, needle, "message");
	va_end(ap);
	/* Every validator report carries the multi-line explanation. */
	assert_non_null(r.detail);
	assert_true(strlen(r.detail) > 0 && r.detail[strlen(r.detail) - 1] == '\n');
	ldt_reports_clear();
}

void ldt_expect_one_detail(enum resv_report_kind kind, const char *const *message_has,
			   const char *const *detail_has)
{
	struct ldt_report r;

	expect_one_common(kind);
	r = ldt_report_at(0);
	for (; message_has && *message_has; message_has++)
		assert_contains(r.message, *message_has, "message");
	for (; detail_has && *detail_has; detail_has++)
		assert_contains(r.detail, *detail_has, "detail");
	ldt_reports_clear();
}

int ldt_setup(void **state)
{
	(void)state;
	if (!resv_lockdep_compiled_in())
		return 0;
	resv_lockdep_set_enabled(true);
	resv__lockdep_reset();
	ldt_reports_clear();
	resv_report_set_hook(record, NULL);
	return 0;
}

int ldt_teardown(void **state)
{
	unsigned int n = ldt_reports(), held = resv_lockdep_held_count();

	(void)state;
	resv_lockdep_set_enabled(true);
	if (n)
		print_reports("unexpected");
	if (held) {
		printf("%u lock entries left held by the test\n", held);
		resv_lockdep_print_held_locks();
	}
	ldt_reports_clear();
	resv_report_set_hook(NULL, NULL);
	return n || held ? -1 : 0;
}

pthread_t ldt_spawn(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
	return t;
}

void ldt_join(pthread_t t)
{
	assert_int_equal(pthread_join(t, NULL), 0);
}

void ldt_run_on_thread(void *(*fn)(void *), void *arg)
{
	ldt_join(ldt_spawn(fn, arg));
}

uint64_t ldt_seed(void)
{
	const char *env = getenv("RESV_SEED");
	uint64_t seed = env && *env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);

	printf("RESV_SEED=%llu\n", (unsigned long long)seed);
	return seed;
}

uint64_t ldt_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int64_t ldt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
