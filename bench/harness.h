/* SPDX-License-Identifier: MIT */
/**
 * DOC: libresv benchmark harness
 *
 * Shared by every benchmark binary (bench_ww, and later drm_exec, gpuvm,
 * execbuf) so that they all follow the same hygiene (DESIGN.md §7):
 *
 * - bench_parse_args(): ``--quick`` (short smoke run, what ctest runs),
 *   ``--json FILE`` (append one JSON object per line per scenario) and
 *   ``--seed N`` (every random choice derives from it, so a run can be
 *   repeated);
 * - bench_idle_thread_start(): a second, sleeping thread that must exist
 *   before anything is timed, because glibc skips the LOCK prefix of its
 *   mutexes while a process is single-threaded and pthread would look ~4×
 *   cheaper than in any real multi-threaded user of libresv;
 * - bench_ns_per_op_interleaved(): warm-up, then repeated runs of several
 *   variants in rotation (so that noise from the shared machine hits all of
 *   them alike), reporting medians;
 * - bench_run_threads(): T threads released together by a barrier, run for
 *   a fixed time or to completion, per-thread op counts returned;
 * - a xoshiro256** generator seeded through splitmix64;
 * - struct bench_summary: one ``SUMMARY bench=<scenario> key=value ...``
 *   line on stdout per scenario, mirrored as a JSON record;
 * - bench_watchdog_arm(): a hung benchmark (a lost wake-up in the library
 *   under test) exits with a message naming the phase instead of eating the
 *   ctest timeout silently.
 *
 * Benchmarks are never pass/fail on speed: they exit non-zero only when a
 * result fails verification (a lost update, a lock call failing).
 */
#ifndef RESV_BENCH_HARNESS_H
#define RESV_BENCH_HARNESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- options ------------------------------------------------------------ */

/**
 * struct bench_opts - command-line options common to every benchmark
 * @prog: program name, for messages
 * @quick: ``--quick``: scale every scenario down to a smoke run (~5 s total)
 * @json_path: ``--json FILE``: append JSON records here; NULL if not given
 * @seed: ``--seed N``: base seed of every generator (default fixed, so two
 *	runs without --seed pick the same random sets)
 */
struct bench_opts {
	const char *prog;
	bool quick;
	const char *json_path;
	uint64_t seed;
};

/**
 * bench_parse_args() - parse the common options
 * @argc: from main()
 * @argv: from main()
 * @opts: filled in; also remembered by the harness for the JSON records
 *
 * Accepts ``--quick``, ``--json FILE`` (or ``--json=FILE``), ``--seed N``
 * (or ``--seed=N``; decimal or 0x-hex) and ``--help``. Prints usage and
 * exits (0 for --help, 2 for anything it does not understand).
 */
void bench_parse_args(int argc, char **argv, struct bench_opts *opts);

/** bench_options() - the options of the last bench_parse_args() call */
const struct bench_opts *bench_options(void);

/* ---- time ----------------------------------------------------------------- */

/** bench_now_ns() - CLOCK_MONOTONIC in nanoseconds */
uint64_t bench_now_ns(void);

/** bench_sleep_ms() - sleep, restarting after signals */
void bench_sleep_ms(unsigned int ms);

/* ---- hygiene -------------------------------------------------------------- */

/**
 * bench_idle_thread_start() - make the process multi-threaded before timing
 *
 * Starts one thread that sleeps on a condition variable until
 * bench_idle_thread_stop(). Idempotent. Exits the process if the thread
 * cannot be created: numbers measured single-threaded would be wrong.
 */
void bench_idle_thread_start(void);

/** bench_idle_thread_stop() - wake and join the idle thread, if running */
void bench_idle_thread_stop(void);

/**
 * bench_watchdog_arm() - exit if the benchmark is still running later
 * @seconds: budget from now; 0 disarms
 *
 * On expiry prints ``<prog>: watchdog: no progress after N s in phase P``
 * to stderr and exits with status 3. Uses SIGALRM.
 */
void bench_watchdog_arm(unsigned int seconds);

/**
 * bench_set_phase() - name what is running now, for the watchdog message
 * @phase: a string that stays valid (a literal, or a static buffer)
 */
void bench_set_phase(const char *phase);

/* ---- random numbers ------------------------------------------------------- */

/** bench_splitmix64() - one step of splitmix64; seeds other generators */
uint64_t bench_splitmix64(uint64_t *state);

/** struct bench_rng - xoshiro256** state; seed with bench_rng_seed() */
struct bench_rng {
	uint64_t s[4];
};

/**
 * bench_rng_seed() - seed a generator
 * @rng: the generator
 * @seed: any value; equal seeds give equal sequences
 */
void bench_rng_seed(struct bench_rng *rng, uint64_t seed);

/** bench_rng_next() - next 64 random bits (xoshiro256**) */
static inline uint64_t bench_rng_next(struct bench_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t x = s[1] * 5;
	uint64_t result = ((x << 7) | (x >> 57)) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return result;
}

/**
 * bench_rng_below() - uniform-enough integer in [0, @n)
 * @rng: the generator
 * @n: the bound, > 0
 *
 * Lemire's multiply-shift without the rejection step: the bias is below
 * n / 2^64, irrelevant for picking objects.
 */
static inline uint64_t bench_rng_below(struct bench_rng *rng, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)bench_rng_next(rng) * n) >> 64);
}

/**
 * bench_seed_for() - derive a stream seed from the run seed
 * @salt: distinguishes streams (scenario, thread index, ...)
 *
 * Return: a seed that depends on bench_options()->seed and @salt.
 */
uint64_t bench_seed_for(uint64_t salt);

/* ---- single-thread timing -------------------------------------------------- */

/**
 * typedef bench_loop_fn - a timed loop
 * @arg: the variant's argument
 * @iters: how many operations to perform
 *
 * Return: 0, or non-zero if an operation failed (the harness stops and
 * reports it).
 */
typedef int (*bench_loop_fn)(void *arg, uint64_t iters);

/**
 * struct bench_variant - one loop measured by bench_ns_per_op_interleaved()
 * @name: for messages
 * @fn: the loop
 * @arg: its argument
 * @iters: operations per run
 * @median_ns: out: median ns per operation over the timed runs
 * @min_ns: out: fastest run, ns per operation
 */
struct bench_variant {
	const char *name;
	bench_loop_fn fn;
	void *arg;
	uint64_t iters;
	double median_ns;
	double min_ns;
};

/**
 * bench_ns_per_op_interleaved() - time several loops, medians of runs
 * @v: the variants
 * @nv: how many
 * @warmup: untimed runs of each variant first
 * @runs: timed runs of each variant (at most 64)
 *
 * Run r times every variant once before run r+1 starts, so a burst of load
 * from another process shifts all variants' distributions alike instead of
 * ruining one of them.
 *
 * Return: 0, or the first non-zero value a loop returned.
 */
int bench_ns_per_op_interleaved(struct bench_variant *v, size_t nv, unsigned int warmup,
				unsigned int runs);

/** bench_median() - median of @n doubles (sorts @vals in place); NaN if n == 0 */
double bench_median(double *vals, size_t n);

/* ---- multi-thread runs ----------------------------------------------------- */

#define BENCH_MAX_THREADS 64

/**
 * struct bench_worker - one thread of bench_run_threads()
 * @tid: 0 .. nthreads-1
 * @nthreads: threads in the run
 * @arg: the run's argument
 * @seed: distinct per thread and per run seed (from bench_seed_for())
 * @ops: result: operations the thread completed (set by the worker)
 * @aux: results for the caller's own use (rollbacks, failures, ...)
 *
 * Cache-line aligned so that workers updating their counters in place do
 * not share lines.
 */
struct bench_worker {
	unsigned int tid;
	unsigned int nthreads;
	void *arg;
	uint64_t seed;
	uint64_t ops;
	uint64_t aux[4];
	/* private to the harness */
	void (*fn)(struct bench_worker *w);
	atomic_int *stop;
	void *barrier;
} __attribute__((aligned(64)));

/**
 * bench_worker_should_stop() - has the run's time elapsed
 * @w: the worker
 *
 * Cheap (a relaxed load); poll it between operations. Always false in a run
 * to completion (@duration_ms 0).
 */
static inline bool bench_worker_should_stop(const struct bench_worker *w)
{
	return atomic_load_explicit(w->stop, memory_order_relaxed) != 0;
}

/**
 * struct bench_threads_result - summary of a bench_run_threads() run
 * @seconds: from the moment the barrier released the threads until the last
 *	one was joined
 * @total_ops: sum of the workers' @ops
 * @min_ops: smallest per-thread @ops
 * @max_ops: largest per-thread @ops
 */
struct bench_threads_result {
	double seconds;
	uint64_t total_ops;
	uint64_t min_ops;
	uint64_t max_ops;
};

/**
 * bench_run_threads() - run @nthreads workers together
 * @nthreads: 1 .. BENCH_MAX_THREADS
 * @duration_ms: ask the workers to stop after this long (they poll
 *	bench_worker_should_stop()); 0: let each worker run until it returns
 * @fn: the worker body; must set w->ops
 * @arg: passed as w->arg
 * @salt: mixed into the per-thread seeds, so that scenarios differ
 * @workers: caller-provided array of @nthreads entries, filled in; read the
 *	per-thread @ops and @aux from it afterwards
 * @res: out: the summary
 *
 * All threads and the timer start together from a barrier, so thread
 * creation is not timed.
 *
 * Return: 0, or -EINVAL for a bad @nthreads, or a negative errno from
 * pthread_barrier_init() (no worker runs then). A thread that cannot be
 * created ends the process (status 2): the workers already started wait in
 * the barrier, and a run with fewer threads than asked would be mislabelled.
 */
int bench_run_threads(unsigned int nthreads, unsigned int duration_ms,
		      void (*fn)(struct bench_worker *w), void *arg, uint64_t salt,
		      struct bench_worker *workers, struct bench_threads_result *res);

/* ---- reporting ------------------------------------------------------------- */

/**
 * struct bench_summary - builder for one scenario's SUMMARY line and JSON
 * record
 *
 * Usage::
 *
 *	struct bench_summary s;
 *
 *	bench_summary_begin(&s, "ww_uncontended");
 *	bench_summary_double(&s, "ww_ns", ww_ns, 2);
 *	bench_summary_u64(&s, "threads", 4);
 *	bench_summary_end(&s);
 *
 * Keys must be plain identifiers and string values must not contain spaces
 * (they go unquoted into the key=value line). Text beyond the buffers is
 * truncated.
 */
struct bench_summary {
	char line[1024];
	size_t line_len;
	char json[2048];
	size_t json_len;
};

void bench_summary_begin(struct bench_summary *s, const char *bench);
void bench_summary_str(struct bench_summary *s, const char *key, const char *val);
void bench_summary_u64(struct bench_summary *s, const char *key, uint64_t val);
/** bench_summary_double() - add a number printed with @decimals decimals */
void bench_summary_double(struct bench_summary *s, const char *key, double val, int decimals);

/**
 * bench_summary_end() - print the SUMMARY line, append the JSON record
 * @s: the builder
 *
 * The JSON record also carries ``quick``, ``seed`` and ``unix_time``.
 *
 * Return: 0, or -1 if the JSON file could not be written (reported on
 * stderr; callers should count it as a failure).
 */
int bench_summary_end(struct bench_summary *s);

#ifdef __cplusplus
}
#endif

#endif /* RESV_BENCH_HARNESS_H */
