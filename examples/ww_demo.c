/* SPDX-License-Identifier: MIT */
/*
 * ww_demo - many threads lock random sets of objects with ww_mutexes.
 *
 * Every client thread runs transactions. A transaction picks @k distinct
 * objects out of @objects at random, in random order - so there is no
 * global lock order - and locks them all under one acquire context with the
 * canonical ww acquire loop (lock_all() below). Holding them, it moves
 * "money" between them and bumps their version counters; then it unlocks.
 *
 * Deadlocks are not avoided by ordering but resolved by backing off: when
 * ww_mutex_lock() says -EDEADLK the transaction drops everything, sleeps on
 * the contended lock with the slow path and starts over. The demo runs
 * the same workload once with a Wound-Wait class and once with a Wait-Die
 * class, shows a live progress line, and prints the class statistics side
 * by side at the end.
 *
 * While it runs, a progress line on stderr shows the elapsed time, the
 * transactions per second over the last interval, the back-offs so far
 * (every -EDEADLK: real deadlocks plus injected ones, the latter also
 * shown alone) and the wounds so far.
 *
 * Three invariants prove that mutual exclusion held:
 *   - whoever has locked an object finds nobody else's mark on it, and
 *     still finds its own mark when it is done (checked in every
 *     transaction);
 *   - the money is only moved, never created: the sum over all objects is
 *     unchanged at the end, and no balance ever went negative;
 *   - every committed transaction bumped each of its k objects' versions
 *     exactly once: the versions add up to k times the commits.
 * A lost update breaks the second or the third. If any check fails, the
 * program exits 1 (and prints the seed).
 *
 * Stopping shows the interruptible variants at work: main raises a flag and
 * interrupts every client with resv_thread_interrupt(), so that one asleep
 * on a lock returns -EINTR and abandons its transaction. Ctrl-C ends the
 * current algorithm early, skips the rest and prints the summary.
 *
 * Try: ww_demo --threads 8 --objects 32 --k 8      (heavy contention)
 *      ww_demo --inject 20000 --seed 7              (2% injected -EDEADLK)
 *      RESV_WW_INJECT=slowpath ww_demo              (the kernel's injection)
 * See docs/ww_mutex.md for the algorithms behind the numbers.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <resv/report.h>
#include <resv/thread.h>
#include <resv/ww_mutex.h>

/* Every object starts with this much money; transfers conserve the sum. */
#define INITIAL_BALANCE 1000

/*
 * One shared object. Each sits on its own cache lines so that the demo
 * measures lock contention, not false sharing between neighbours.
 */
struct object {
	_Alignas(64) struct ww_mutex lock;
	/* Protected by @lock. */
	int64_t balance;
	uint64_t version;
	/*
	 * Who holds @lock, as seen by the data: the holder writes its mark
	 * here. Relaxed atomics only so that the compiler really performs
	 * every check; the lock alone provides the ordering.
	 */
	_Atomic unsigned int holder;
};

/* Command-line settings. */
struct options {
	unsigned int threads;
	unsigned int objects;
	unsigned int k;
	double seconds;
	uint64_t seed;
	bool inject_set;
	uint32_t inject_ppm;
};

/*
 * A gate: threads arrive and wait until it is opened. Main uses the count
 * of arrivals to know that every client has published its handle.
 */
struct gate {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	unsigned int arrived;
	bool open;
};

/* Everything one run of one algorithm shares between its threads. */
struct run {
	const char *name;
	struct ww_class *ww_class;
	const struct options *opt;
	struct object *objects;
	struct gate start;           /* all clients start together */
	struct gate may_exit;        /* clients outlive main's interrupts */
	atomic_bool stop;
	/* Violations of the per-transaction check, summed over clients. */
	atomic_ulong violations;
	/* Results, filled in by run_algorithm(). */
	struct resv_ww_stats stats;
	double elapsed;
	uint64_t committed;
	uint64_t abandoned;
	bool ok;
};

/* One client thread, on cache lines of its own (its counters change often). */
struct client {
	_Alignas(64) struct run *run;
	unsigned int id;              /* 1-based: 0 in object.holder = free */
	pthread_t pthread;
	struct resv_thread *self;     /* for resv_thread_interrupt() */
	uint64_t rng;
	unsigned int *perm;           /* scratch for picking objects */
	struct object **picked;       /* this transaction's objects, in order */
	uint64_t committed;           /* transactions that did their work */
	uint64_t abandoned;           /* transactions ended by -EINTR */
};

static volatile sig_atomic_t sigint_seen;

static void on_sigint(int sig)
{
	(void)sig;
	sigint_seen = 1;
}

/* splitmix64: small, fast and good enough to pick objects. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void gate_init(struct gate *g)
{
	pthread_mutex_init(&g->mutex, NULL);
	pthread_cond_init(&g->cond, NULL);
	g->arrived = 0;
	g->open = false;
}

static void gate_destroy(struct gate *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->mutex);
}

/* Arrive at the gate and wait for it to open. */
static void gate_pass(struct gate *g)
{
	pthread_mutex_lock(&g->mutex);
	g->arrived++;
	pthread_cond_broadcast(&g->cond);
	while (!g->open)
		pthread_cond_wait(&g->cond, &g->mutex);
	pthread_mutex_unlock(&g->mutex);
}

/* Wait until @n threads have arrived (0: don't wait), then open. */
static void gate_open(struct gate *g, unsigned int n)
{
	pthread_mutex_lock(&g->mutex);
	while (g->arrived < n)
		pthread_cond_wait(&g->cond, &g->mutex);
	g->open = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->mutex);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * pick_objects() - choose k distinct objects in random order
 *
 * A partial Fisher-Yates shuffle of the client's permutation array. The
 * order matters: it is what makes the lock order differ between
 * transactions, and therefore what makes deadlocks possible.
 */
static void pick_objects(struct client *c)
{
	const struct options *opt = c->run->opt;

	for (unsigned int i = 0; i < opt->k; i++) {
		unsigned int j = i + (unsigned int)(rng_next(&c->rng) % (opt->objects - i));
		unsigned int tmp = c->perm[i];

		c->perm[i] = c->perm[j];
		c->perm[j] = tmp;
		c->picked[i] = &c->run->objects[c->perm[i]];
	}
}

/*
 * lock_all() - lock every object of the transaction: the canonical loop
 * @objs: the objects, distinct, in any order
 * @k: how many
 * @ctx: an initialised acquire context holding nothing
 *
 * On -EDEADLK an older transaction is in the way: in Wait-Die it holds (or
 * waits for) the lock we asked for, and we must die; in Wound-Wait it wants
 * a lock we hold and has wounded us. Or the injector pretended so.
 * Either way the answer is the same: unlock everything, then wait for the
 * contended lock with the slow path - which cannot fail with -EDEADLK,
 * because a context that holds nothing is never killed - and retry the
 * others. @contended remembers the lock the slow path took, so the next
 * pass skips it instead of getting -EALREADY.
 *
 * -EALREADY cannot happen here because the objects are distinct; a caller
 * whose list may contain duplicates would skip them on -EALREADY.
 *
 * Return: 0 with all @k locked; -EINTR (the thread was interrupted while it
 * had to wait) with none locked.
 */
static int lock_all(struct object **objs, unsigned int k, struct ww_acquire_ctx *ctx)
{
	struct object *contended = NULL;
	unsigned int i, j;
	int ret;

retry:
	for (i = 0; i < k; i++) {
		if (objs[i] == contended) {
			contended = NULL;       /* already locked by the slow path */
			continue;
		}
		ret = ww_mutex_lock_interruptible(&objs[i]->lock, ctx);
		if (ret == 0)
			continue;

		/* Back off: release what this pass took, and the slow-path lock. */
		for (j = 0; j < i; j++)
			ww_mutex_unlock(&objs[j]->lock);
		if (contended)
			ww_mutex_unlock(&contended->lock);

		if (ret == -EDEADLK) {
			contended = objs[i];
			ret = ww_mutex_lock_slow_interruptible(&contended->lock, ctx);
			if (ret == 0)
				goto retry;
		}
		return ret;
	}
	return 0;
}

static void unlock_all(struct object **objs, unsigned int k)
{
	for (unsigned int i = k; i-- > 0;)
		ww_mutex_unlock(&objs[i]->lock);
}

/* Report a broken per-transaction check (the first few in full). */
static void violation(struct client *c, const char *what, const struct object *obj,
		      unsigned int seen)
{
	unsigned long n = atomic_fetch_add(&c->run->violations, 1);

	if (n < 5)
		fprintf(stderr, "\nww_demo: [%s] client %u: %s on object %td (mark %u)\n",
			c->run->name, c->id, what, obj - c->run->objects, seen);
}

/*
 * do_work() - the critical section: check and set our marks, move money
 * from each object to the next, bump versions, check our marks again.
 */
static void do_work(struct client *c, struct object **objs, unsigned int k)
{
	unsigned int i;

	for (i = 0; i < k; i++) {
		unsigned int seen = atomic_exchange_explicit(&objs[i]->holder, c->id,
							     memory_order_relaxed);
		if (seen != 0)
			violation(c, "object already marked by another holder", objs[i], seen);
	}

	for (i = 0; i < k; i++) {
		struct object *from = objs[i], *to = objs[(i + 1) % k];
		int64_t amount;

		if (from->balance < 0) {
			violation(c, "negative balance", from, 0);
			from->balance = 0;
		}
		amount = (int64_t)(rng_next(&c->rng) % (uint64_t)(from->balance + 1));
		from->balance -= amount;
		to->balance += amount;
		from->version++;
	}

	for (i = 0; i < k; i++) {
		unsigned int seen = atomic_exchange_explicit(&objs[i]->holder, 0,
							     memory_order_relaxed);
		if (seen != c->id)
			violation(c, "our mark was overwritten", objs[i], seen);
	}
}

/* One transaction: init a context, lock, work, unlock, fini. */
static void transaction(struct client *c)
{
	struct ww_acquire_ctx ctx;
	unsigned int k = c->run->opt->k;
	int ret;

	pick_objects(c);

	ww_acquire_init(&ctx, c->run->ww_class);
	ret = lock_all(c->picked, k, &ctx);
	if (ret == 0) {
		ww_acquire_done(&ctx);          /* no more locking below */
		do_work(c, c->picked, k);
		unlock_all(c->picked, k);
		c->committed++;
	} else {
		/* -EINTR: main wants us to stop; nothing is held any more. */
		c->abandoned++;
	}
	/* Adds ctx.stats to the class, which the progress line reads. */
	ww_acquire_fini(&ctx);
}

static void *client_main(void *arg)
{
	struct client *c = arg;

	c->self = resv_thread_self();
	gate_pass(&c->run->start);

	while (!atomic_load_explicit(&c->run->stop, memory_order_relaxed))
		transaction(c);

	/*
	 * Main interrupts every client (so one sleeping on a lock wakes up
	 * with -EINTR) and may do so after we left the loop: our handle must
	 * stay valid until it is done.
	 */
	gate_pass(&c->run->may_exit);
	resv_thread_clear_interrupt();
	return NULL;
}

/* Width of the terminal on stderr, or 80 if unknown. */
static unsigned int terminal_columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/*
 * Print the progress line. On a terminal it is rewritten in place (\r, then
 * clear to the end of the line) until the final one ends it with a newline,
 * and cut to the terminal's width so that it never wraps; elsewhere (a log,
 * ctest) each update is a line of its own.
 */
static void progress(const struct run *run, double elapsed, double rate, bool tty, bool final)
{
	struct resv_ww_stats s;
	char line[256];
	int len;

	resv_ww_class_get_stats(run->ww_class, &s);
	len = snprintf(line, sizeof(line),
		       "%-10s %5.1fs %8.0f tx/s  backoffs %" PRIu64 " (%" PRIu64
		       " injected)  wounds %" PRIu64,
		       run->name, elapsed, rate, s.deadlocks + s.injected, s.injected,
		       s.wounds);
	if (!tty) {
		fprintf(stderr, "%s\n", line);
		return;
	}
	if (len > 0 && (unsigned int)len >= terminal_columns())
		line[terminal_columns() - 1] = '\0';
	fprintf(stderr, "\r%s\033[K%s", line, final ? "\n" : "");
}

/* Check the whole-system invariants once every client has stopped. */
static bool verify(struct run *run)
{
	const struct options *opt = run->opt;
	int64_t sum = 0;
	uint64_t versions = 0;
	bool ok = true;

	for (unsigned int i = 0; i < opt->objects; i++) {
		sum += run->objects[i].balance;
		versions += run->objects[i].version;
		if (ww_mutex_is_locked(&run->objects[i].lock)) {
			fprintf(stderr, "ww_demo: [%s] object %u still locked\n", run->name, i);
			ok = false;
		}
	}
	if (sum != (int64_t)opt->objects * INITIAL_BALANCE) {
		fprintf(stderr, "ww_demo: [%s] money not conserved: %" PRId64 " != %" PRId64 "\n",
			run->name, sum, (int64_t)opt->objects * INITIAL_BALANCE);
		ok = false;
	}
	if (versions != run->committed * opt->k) {
		fprintf(stderr, "ww_demo: [%s] lost updates: versions %" PRIu64
			" != %" PRIu64 " commits x %u\n",
			run->name, versions, run->committed, opt->k);
		ok = false;
	}
	if (atomic_load(&run->violations)) {
		fprintf(stderr, "ww_demo: [%s] %lu exclusion violations\n",
			run->name, atomic_load(&run->violations));
		ok = false;
	}
	/* Every context, committed or abandoned, was finished exactly once. */
	if (run->stats.transactions != run->committed + run->abandoned) {
		fprintf(stderr, "ww_demo: [%s] class counted %" PRIu64
			" transactions, clients %" PRIu64 "\n", run->name,
			run->stats.transactions, run->committed + run->abandoned);
		ok = false;
	}
	return ok;
}

/* Run the workload on one class for opt->seconds. Return 0 or -errno. */
static int run_algorithm(struct run *run)
{
	const struct options *opt = run->opt;
	struct client *clients;
	bool tty = isatty(STDERR_FILENO);
	double interval = tty ? 0.25 : 1.0;
	double t0, last, next;
	uint64_t last_tx = 0;
	unsigned int i, started = 0;
	int ret = 0;

	/* Fresh objects for each algorithm. */
	run->objects = aligned_alloc(_Alignof(struct object),
				     sizeof(struct object) * opt->objects);
	clients = aligned_alloc(_Alignof(struct client), sizeof(*clients) * opt->threads);
	if (clients)
		memset(clients, 0, sizeof(*clients) * opt->threads);
	if (!run->objects || !clients) {
		ret = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < opt->objects; i++) {
		struct object *obj = &run->objects[i];

		memset(obj, 0, sizeof(*obj));
		ww_mutex_init(&obj->lock, run->ww_class);
		obj->balance = INITIAL_BALANCE;
	}

	/* Injection: --inject overrides whatever RESV_WW_INJECT says. */
	if (opt->inject_set) {
		struct resv_ww_inject inject = {
			.mode = opt->inject_ppm ? RESV_WW_INJECT_RANDOM : RESV_WW_INJECT_OFF,
			.per_million = opt->inject_ppm,
			.seed = opt->seed,
		};

		ret = resv_ww_class_set_inject(run->ww_class, &inject);
		if (ret)
			goto out_objects;
	}
	resv_ww_class_reset_stats(run->ww_class);

	atomic_init(&run->stop, false);
	atomic_init(&run->violations, 0);
	gate_init(&run->start);
	gate_init(&run->may_exit);

	for (i = 0; i < opt->threads; i++) {
		struct client *c = &clients[i];

		c->run = run;
		c->id = i + 1;
		/* Same seeds for both algorithms: the same stream of choices. */
		c->rng = opt->seed ^ (0x9e3779b97f4a7c15ull * (i + 1));
		c->perm = calloc(opt->objects, sizeof(*c->perm));
		c->picked = calloc(opt->k, sizeof(*c->picked));
		if (!c->perm || !c->picked) {
			ret = -ENOMEM;
			break;
		}
		for (unsigned int j = 0; j < opt->objects; j++)
			c->perm[j] = j;
		ret = -pthread_create(&c->pthread, NULL, client_main, c);
		if (ret)
			break;
		started++;
	}
	if (ret) {
		/* Could not start them all: release the ones we have at once. */
		fprintf(stderr, "ww_demo: cannot start client %u: %s\n", started + 1,
			strerror(-ret));
		atomic_store(&run->stop, true);
		gate_open(&run->start, 0);
		gate_open(&run->may_exit, 0);
		goto out_join;
	}

	/* Every client has published its handle once all have arrived. */
	gate_open(&run->start, opt->threads);
	t0 = last = now_seconds();
	next = t0 + interval;
	for (;;) {
		double now = now_seconds();
		struct resv_ww_stats s;

		if (now >= t0 + opt->seconds || sigint_seen)
			break;
		if (now >= next) {
			resv_ww_class_get_stats(run->ww_class, &s);
			progress(run, now - t0, (double)(s.transactions - last_tx) / (now - last),
				 tty, false);
			last_tx = s.transactions;
			last = now;
			next += interval;
		}
		usleep(10000);
	}

	/*
	 * Stop: raise the flag, then interrupt everyone so that a client
	 * sleeping on a lock returns -EINTR instead of finishing its
	 * transaction. Interrupts are sticky until cleared, so one sent
	 * between a client's check of @stop and its next wait still works.
	 */
	atomic_store(&run->stop, true);
	for (i = 0; i < opt->threads; i++)
		resv_thread_interrupt(clients[i].self);
	gate_open(&run->may_exit, 0);
	run->elapsed = now_seconds() - t0;

out_join:
	for (i = 0; i < started; i++) {
		pthread_join(clients[i].pthread, NULL);
		run->committed += clients[i].committed;
		run->abandoned += clients[i].abandoned;
	}
	gate_destroy(&run->start);
	gate_destroy(&run->may_exit);
	resv_ww_class_get_stats(run->ww_class, &run->stats);
	if (started == opt->threads) {
		/* The last line shows the average rate over the whole run. */
		progress(run, run->elapsed, (double)run->stats.transactions / run->elapsed,
			 tty, true);
		run->ok = verify(run);
	}
out_objects:
	for (i = 0; i < opt->objects; i++)
		ww_mutex_destroy(&run->objects[i].lock);
out_free:
	for (i = 0; clients && i < opt->threads; i++) {
		free(clients[i].perm);
		free(clients[i].picked);
	}
	free(clients);
	free(run->objects);
	run->objects = NULL;
	return ret;
}

static void print_summary(const struct run *runs, unsigned int n)
{
	unsigned int i;

#define ROW(label, fmt, expr)						\
	do {								\
		printf("%-26s", label);					\
		for (i = 0; i < n; i++) {				\
			const struct run *r = &runs[i];			\
			printf(" %14" fmt, expr);			\
		}							\
		printf("\n");						\
	} while (0)

	printf("\n");
	ROW("", "s", r->name);
	ROW("transactions", PRIu64, r->stats.transactions);
	ROW("tx/s", ".0f", r->elapsed > 0 ? (double)r->stats.transactions / r->elapsed : 0.0);
	ROW("acquires", PRIu64, r->stats.acquires);
	ROW("contended waits", PRIu64, r->stats.contended);
	ROW("deadlocks (die/wound)", PRIu64, r->stats.deadlocks);
	ROW("  backed off wounded", PRIu64, r->stats.wounded);
	ROW("wounds", PRIu64, r->stats.wounds);
	ROW("injected", PRIu64, r->stats.injected);
	ROW("interrupted (at stop)", PRIu64, r->stats.interrupted);
	ROW("rollbacks per transaction", ".4f",
	    r->stats.transactions ?
	    (double)(r->stats.deadlocks + r->stats.injected) / (double)r->stats.transactions : 0.0);
	ROW("invariants", "s", r->ok ? "ok" : "BROKEN");
#undef ROW
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ww_demo [options]\n"
		"Client threads lock k random objects out of N with ww_mutexes, in no\n"
		"global order, under Wound-Wait and then Wait-Die; prints statistics.\n"
		"\n"
		"  -t, --threads T    client threads (default 4)\n"
		"  -n, --objects N    shared objects (default 64)\n"
		"  -k, --k K          objects locked per transaction (default 8)\n"
		"  -s, --seconds S    run time per algorithm (default 3)\n"
		"  -S, --seed SEED    seed for object choice and injection (default: random)\n"
		"  -i, --inject PPM   inject -EDEADLK on PPM per million eligible acquires\n"
		"                     (RESV_WW_INJECT_RANDOM with --seed; 0 = off; default:\n"
		"                     the RESV_WW_INJECT environment variable, else off)\n"
		"  -h, --help         this text\n"
		"\n"
		"Progress on stderr: elapsed time, transactions/s, back-offs (every\n"
		"-EDEADLK, with the injected ones in parentheses), wounds.\n"
		"\n"
		"Exit status: 0 if every invariant held, 1 if one broke, 2 on bad usage.\n");
}

static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "objects", required_argument, NULL, 'n' },
		{ "k", required_argument, NULL, 'k' },
		{ "seconds", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ "inject", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool seed_set = false;
	uint64_t v;
	char *end;
	int ch;

	*opt = (struct options){ .threads = 4, .objects = 64, .k = 8, .seconds = 3.0 };

	while ((ch = getopt_long(argc, argv, "t:n:k:s:S:i:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			if (!parse_u64(optarg, 1, 1024, &v))
				goto bad;
			opt->threads = (unsigned int)v;
			break;
		case 'n':
			if (!parse_u64(optarg, 1, 1u << 24, &v))
				goto bad;
			opt->objects = (unsigned int)v;
			break;
		case 'k':
			if (!parse_u64(optarg, 1, 1u << 20, &v))
				goto bad;
			opt->k = (unsigned int)v;
			break;
		case 's':
			opt->seconds = strtod(optarg, &end);
			if (end == optarg || *end || !(opt->seconds > 0 && opt->seconds < 1e6))
				goto bad;
			break;
		case 'S':
			if (!parse_u64(optarg, 0, UINT64_MAX, &opt->seed))
				goto bad;
			seed_set = true;
			break;
		case 'i':
			if (!parse_u64(optarg, 0, 1000000, &v))
				goto bad;
			opt->inject_ppm = (uint32_t)v;
			opt->inject_set = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ww_demo: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (opt->k > opt->objects) {
		fprintf(stderr, "ww_demo: --k %u is more than --objects %u\n", opt->k, opt->objects);
		return -EINVAL;
	}
	if (!seed_set) {
		uint64_t t = (uint64_t)time(NULL) << 20 ^ (uint64_t)getpid();

		opt->seed = rng_next(&t) % 1000000000u;
	}
	return 0;

bad:
	fprintf(stderr, "ww_demo: bad value for -%c: '%s'\n", ch, optarg);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	static DEFINE_WW_CLASS(demo_wound_wait);
	static DEFINE_WD_CLASS(demo_wait_die);
	struct options opt;
	struct run runs[] = {
		{ .name = "wound-wait", .ww_class = &demo_wound_wait, .opt = &opt },
		{ .name = "wait-die", .ww_class = &demo_wait_die, .opt = &opt },
	};
	unsigned int i, done = 0;
	const char *env = getenv("RESV_WW_INJECT");
	bool ok = true;

	if (parse_options(argc, argv, &opt))
		return 2;
	signal(SIGINT, on_sigint);

	printf("ww_demo: %u threads, %u objects, %u locked per transaction, %.1f s per algorithm\n",
	       opt.threads, opt.objects, opt.k, opt.seconds);
	printf("seed: %" PRIu64 "  (repeat the choices with --seed %" PRIu64 ")\n",
	       opt.seed, opt.seed);
	if (opt.inject_set && opt.inject_ppm)
		printf("injection: random, %" PRIu32 " per million eligible acquires, seed %" PRIu64 "\n",
		       opt.inject_ppm, opt.seed);
	else if (opt.inject_set || !env)
		printf("injection: off\n");
	else
		printf("injection: RESV_WW_INJECT=%s\n", env);
	printf("debug checks: %s\n", resv_report_checks_enabled() ? "on" : "off");
	fflush(stdout);

	for (i = 0; i < sizeof(runs) / sizeof(runs[0]) && !sigint_seen; i++) {
		int ret = run_algorithm(&runs[i]);

		if (ret) {
			fprintf(stderr, "ww_demo: [%s] failed: %s\n", runs[i].name, strerror(-ret));
			return 1;
		}
		ok &= runs[i].ok;
		done++;
	}

	print_summary(runs, done);
	if (!ok) {
		printf("\nww_demo: FAILED - an invariant broke (seed %" PRIu64 ")\n", opt.seed);
		return 1;
	}
	return 0;
}
