/* SPDX-License-Identifier: MIT */
/*
 * Benchmark harness: see harness.h for what each helper is for and why.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "harness.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Fixed default so that two runs without --seed are comparable. */
#define BENCH_DEFAULT_SEED 0x5eed1e55ULL

static struct bench_opts g_opts = { .prog = "bench", .seed = BENCH_DEFAULT_SEED };

/* ---- options ------------------------------------------------------------ */

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--quick] [--json FILE] [--seed N]\n"
		"  --quick      short smoke run (what ctest runs)\n"
		"  --json FILE  append one JSON record per scenario to FILE\n"
		"  --seed N     base seed for every random choice (default 0x%llx)\n",
		prog, (unsigned long long)BENCH_DEFAULT_SEED);
}

/* Accept both "--opt value" and "--opt=value". */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t len = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, len) != 0)
		return NULL;
	if (a[len] == '=')
		return a + len + 1;
	if (a[len] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		fprintf(stderr, "%s: %s needs a value\n", g_opts.prog, name);
		usage(stderr, g_opts.prog);
		exit(2);
	}
	return argv[++*i];
}

void bench_parse_args(int argc, char **argv, struct bench_opts *opts)
{
	const char *v;
	int i;

	g_opts.prog = argc > 0 && argv[0] ? argv[0] : "bench";
	const char *slash = strrchr(g_opts.prog, '/');
	if (slash)
		g_opts.prog = slash + 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			g_opts.quick = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout, g_opts.prog);
			exit(0);
		} else if ((v = opt_value(argc, argv, &i, "--json"))) {
			g_opts.json_path = v;
		} else if ((v = opt_value(argc, argv, &i, "--seed"))) {
			char *end;

			errno = 0;
			g_opts.seed = strtoull(v, &end, 0);
			if (errno || end == v || *end) {
				fprintf(stderr, "%s: bad --seed '%s'\n", g_opts.prog, v);
				exit(2);
			}
		} else {
			fprintf(stderr, "%s: unknown argument '%s'\n", g_opts.prog, argv[i]);
			usage(stderr, g_opts.prog);
			exit(2);
		}
	}
	if (opts)
		*opts = g_opts;
}

const struct bench_opts *bench_options(void)
{
	return &g_opts;
}

/* ---- time ----------------------------------------------------------------- */

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void bench_sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- idle thread ---------------------------------------------------------- */

static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;
static bool idle_running;
static bool idle_quit;
static pthread_t idle_tid;

/* Sleeps: it exists only so that the process is multi-threaded. */
static void *idle_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&idle_lock);
	while (!idle_quit)
		pthread_cond_wait(&idle_cond, &idle_lock);
	pthread_mutex_unlock(&idle_lock);
	return NULL;
}

void bench_idle_thread_start(void)
{
	int err;

	if (idle_running)
		return;
	idle_quit = false;
	err = pthread_create(&idle_tid, NULL, idle_main, NULL);
	if (err) {
		fprintf(stderr, "%s: cannot start the idle thread: %s\n", g_opts.prog,
			strerror(err));
		exit(2);
	}
	idle_running = true;
}

void bench_idle_thread_stop(void)
{
	if (!idle_running)
		return;
	pthread_mutex_lock(&idle_lock);
	idle_quit = true;
	pthread_cond_signal(&idle_cond);
	pthread_mutex_unlock(&idle_lock);
	pthread_join(idle_tid, NULL);
	idle_running = false;
}

/* ---- watchdog ------------------------------------------------------------- */

static const char *volatile g_phase = "startup";
static volatile unsigned int g_watchdog_secs;

void bench_set_phase(const char *phase)
{
	g_phase = phase ? phase : "?";
}

static void put_str(const char *s)
{
	ssize_t r = write(STDERR_FILENO, s, strlen(s));
	(void)r;
}

static void watchdog_fire(int sig)
{
	char num[16];
	unsigned int v = g_watchdog_secs;
	int i = (int)sizeof(num) - 1;

	(void)sig;
	/* Only async-signal-safe calls: hand-rolled utoa + write(). */
	num[i] = '\0';
	do {
		num[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	put_str(g_opts.prog);
	put_str(": watchdog: no progress after ");
	put_str(num + i);
	put_str(" s in phase ");
	put_str(g_phase);
	put_str(" (hung lock or lost wake-up?)\n");
	_exit(3);
}

void bench_watchdog_arm(unsigned int seconds)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watchdog_fire;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	g_watchdog_secs = seconds;
	alarm(seconds);
}

/* ---- random numbers ------------------------------------------------------- */

uint64_t bench_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void bench_rng_seed(struct bench_rng *rng, uint64_t seed)
{
	uint64_t sm = seed;
	int i;

	/* splitmix64 never yields four zero words, so the state is valid. */
	for (i = 0; i < 4; i++)
		rng->s[i] = bench_splitmix64(&sm);
}

uint64_t bench_seed_for(uint64_t salt)
{
	uint64_t sm = g_opts.seed ^ (salt * 0xd6e8feb86659fd93ULL);

	return bench_splitmix64(&sm);
}

/* ---- single-thread timing -------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *vals, size_t n)
{
	if (n == 0)
		return NAN;
	qsort(vals, n, sizeof(*vals), cmp_double);
	if (n & 1)
		return vals[n / 2];
	return (vals[n / 2 - 1] + vals[n / 2]) / 2.0;
}

#define BENCH_MAX_RUNS 64

int bench_ns_per_op_interleaved(struct bench_variant *v, size_t nv, unsigned int warmup,
				unsigned int runs)
{
	double (*samples)[BENCH_MAX_RUNS];
	unsigned int r;
	size_t i;
	int ret = 0;

	if (runs == 0)
		runs = 1;
	if (runs > BENCH_MAX_RUNS)
		runs = BENCH_MAX_RUNS;
	samples = calloc(nv ? nv : 1, sizeof(*samples));
	if (!samples)
		return -ENOMEM;

	for (r = 0; r < warmup; r++)
		for (i = 0; i < nv; i++)
			if ((ret = v[i].fn(v[i].arg, v[i].iters)))
				goto out;

	for (r = 0; r < runs; r++) {
		for (i = 0; i < nv; i++) {
			uint64_t t0 = bench_now_ns();

			if ((ret = v[i].fn(v[i].arg, v[i].iters)))
				goto out;
			samples[i][r] = (double)(bench_now_ns() - t0) / (double)v[i].iters;
		}
	}
	for (i = 0; i < nv; i++) {
		/* bench_median() sorts, so samples[i][0] is the fastest run afterwards. */
		v[i].median_ns = bench_median(samples[i], runs);
		v[i].min_ns = samples[i][0];
	}
out:
	free(samples);
	return ret;
}

/* ---- multi-thread runs ----------------------------------------------------- */

static void *worker_main(void *p)
{
	struct bench_worker *w = p;

	pthread_barrier_wait(w->barrier);
	w->fn(w);
	return NULL;
}

int bench_run_threads(unsigned int nthreads, unsigned int duration_ms,
		      void (*fn)(struct bench_worker *w), void *arg, uint64_t salt,
		      struct bench_worker *workers, struct bench_threads_result *res)
{
	pthread_t tids[BENCH_MAX_THREADS];
	pthread_barrier_t barrier;
	atomic_int stop = 0;
	uint64_t t0, t1;
	unsigned int i, started;
	int err;

	memset(res, 0, sizeof(*res));
	if (nthreads == 0 || nthreads > BENCH_MAX_THREADS)
		return -EINVAL;
	/* nthreads workers + this thread, which starts the clock. */
	err = pthread_barrier_init(&barrier, NULL, nthreads + 1);
	if (err)
		return -err;

	for (i = 0; i < nthreads; i++) {
		memset(&workers[i], 0, sizeof(workers[i]));
		workers[i].tid = i;
		workers[i].nthreads = nthreads;
		workers[i].arg = arg;
		workers[i].seed = bench_seed_for(salt * 1000003ULL + i + 1);
		workers[i].fn = fn;
		workers[i].stop = &stop;
		workers[i].barrier = &barrier;
	}
	for (started = 0; started < nthreads; started++) {
		err = pthread_create(&tids[started], NULL, worker_main, &workers[started]);
		if (err)
			break;
	}
	if (started < nthreads) {
		/*
		 * Cannot release the barrier with fewer parties: the started
		 * workers block in it forever. Running a half-sized run would
		 * be wrong anyway, so give up loudly.
		 */
		fprintf(stderr, "%s: pthread_create: %s\n", g_opts.prog, strerror(err));
		exit(2);
	}

	pthread_barrier_wait(&barrier);
	t0 = bench_now_ns();
	if (duration_ms) {
		bench_sleep_ms(duration_ms);
		atomic_store_explicit(&stop, 1, memory_order_relaxed);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	t1 = bench_now_ns();
	pthread_barrier_destroy(&barrier);

	res->seconds = (double)(t1 - t0) / 1e9;
	res->min_ops = UINT64_MAX;
	for (i = 0; i < nthreads; i++) {
		uint64_t ops = workers[i].ops;

		res->total_ops += ops;
		if (ops < res->min_ops)
			res->min_ops = ops;
		if (ops > res->max_ops)
			res->max_ops = ops;
		/* The barrier and stop flag die with this frame. */
		workers[i].stop = NULL;
		workers[i].barrier = NULL;
	}
	return 0;
}

/* ---- reporting ------------------------------------------------------------- */

static void buf_append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void buf_append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= cap - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*len += (size_t)n;
	if (*len >= cap)
		*len = cap - 1;
}

/* JSON string body: escape quotes, backslashes and control characters. */
static void json_str(struct bench_summary *s, const char *str)
{
	const unsigned char *p;

	buf_append(s->json, sizeof(s->json), &s->json_len, "\"");
	for (p = (const unsigned char *)str; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_append(s->json, sizeof(s->json), &s->json_len, "\\%c", *p);
		else if (*p < 0x20)
			buf_append(s->json, sizeof(s->json), &s->json_len, "\\u%04x", *p);
		else
			buf_append(s->json, sizeof(s->json), &s->json_len, "%c", *p);
	}
	buf_append(s->json, sizeof(s->json), &s->json_len, "\"");
}

static void json_key(struct bench_summary *s, const char *key)
{
	buf_append(s->json, sizeof(s->json), &s->json_len, ",");
	json_str(s, key);
	buf_append(s->json, sizeof(s->json), &s->json_len, ":");
}

void bench_summary_begin(struct bench_summary *s, const char *bench)
{
	s->line_len = 0;
	s->json_len = 0;
	s->line[0] = '\0';
	s->json[0] = '\0';
	buf_append(s->line, sizeof(s->line), &s->line_len, "SUMMARY bench=%s", bench);
	buf_append(s->json, sizeof(s->json), &s->json_len, "{\"bench\":");
	json_str(s, bench);
}

void bench_summary_str(struct bench_summary *s, const char *key, const char *val)
{
	buf_append(s->line, sizeof(s->line), &s->line_len, " %s=%s", key, val);
	json_key(s, key);
	json_str(s, val);
}

void bench_summary_u64(struct bench_summary *s, const char *key, uint64_t val)
{
	buf_append(s->line, sizeof(s->line), &s->line_len, " %s=%" PRIu64, key, val);
	json_key(s, key);
	buf_append(s->json, sizeof(s->json), &s->json_len, "%" PRIu64, val);
}

void bench_summary_double(struct bench_summary *s, const char *key, double val, int decimals)
{
	buf_append(s->line, sizeof(s->line), &s->line_len, " %s=%.*f", key, decimals, val);
	json_key(s, key);
	/* JSON has no NaN/Inf. */
	if (isfinite(val))
		buf_append(s->json, sizeof(s->json), &s->json_len, "%.*f", decimals, val);
	else
		buf_append(s->json, sizeof(s->json), &s->json_len, "null");
}

int bench_summary_end(struct bench_summary *s)
{
	FILE *f;
	int ret = 0;

	printf("%s\n", s->line);
	fflush(stdout);
	if (!g_opts.json_path)
		return 0;

	json_key(s, "quick");
	buf_append(s->json, sizeof(s->json), &s->json_len, "%s", g_opts.quick ? "true" : "false");
	json_key(s, "seed");
	buf_append(s->json, sizeof(s->json), &s->json_len, "%" PRIu64, g_opts.seed);
	json_key(s, "unix_time");
	buf_append(s->json, sizeof(s->json), &s->json_len, "%lld", (long long)time(NULL));
	buf_append(s->json, sizeof(s->json), &s->json_len, "}");
	if (s->json_len >= sizeof(s->json) - 1) {
		/* A truncated record would not parse: say so rather than write it. */
		fprintf(stderr, "%s: JSON record too long, not written: %.60s...\n",
			g_opts.prog, s->json);
		return -1;
	}

	/* Open per record: appends from several benchmark binaries interleave by line. */
	f = fopen(g_opts.json_path, "a");
	if (!f) {
		fprintf(stderr, "%s: cannot open %s: %s\n", g_opts.prog, g_opts.json_path,
			strerror(errno));
		return -1;
	}
	if (fprintf(f, "%s\n", s->json) < 0)
		ret = -1;
	if (fclose(f) != 0)
		ret = -1;
	if (ret)
		fprintf(stderr, "%s: cannot write %s\n", g_opts.prog, g_opts.json_path);
	return ret;
}
