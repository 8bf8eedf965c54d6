/* SPDX-License-Identifier: MIT */
/*
 * The trace recorder: per-thread chunks of fixed-size events, so recording
 * threads never share a lock or a cache line (but the event budget); a
 * registry of threads and track names under one mutex, touched once per
 * thread and per name; the JSON writer runs when everybody is done.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <stdlib.h>

#include <resv/drm_exec.h>
#include <resv/ww_mutex.h>

#include <sim/trace.h>

#define TRACE_NAME_MAX 48
#define TRACE_CHUNK_EVENTS 1024

struct trace_event {
	int64_t ts;
	int64_t dur;
	uint64_t id;
	const char *cat;
	const char *name;
	const char *keys[SIM_TRACE_MAX_ARGS];
	int64_t vals[SIM_TRACE_MAX_ARGS];
	uint32_t pid;
	uint32_t tid;
	char ph;
	uint8_t nargs;
};

struct trace_chunk {
	struct trace_chunk *next;
	uint32_t count;		/* written by the owner only */
	struct trace_event ev[TRACE_CHUNK_EVENTS];
};

/* A recording thread: its CPU track and its events. */
struct trace_thread {
	struct trace_thread *next;
	uint32_t tid;
	bool own_track;		/* recorded on its own track (not only others') */
	char name[TRACE_NAME_MAX];
	struct trace_chunk *head, *tail;
};

/* A named track that is not a recording thread's own. */
struct trace_track_name {
	struct trace_track_name *next;
	struct sim_trace_track track;
	char name[TRACE_NAME_MAX];
};

int sim__trace_on;

/*
 * The recorder's memory comes from malloc(), not resv_malloc(): recording
 * must not change what the traced code's fault injection counts, nor be
 * seen by the lock validator as an allocation of the traced code (engines
 * arm jobs under locks where nothing may allocate; the kernel's trace
 * buffers are not the traced code's allocations either). It has its own
 * injection, sim_trace_fail_alloc_nth().
 */
static unsigned long fail_nth;	/* atomic */

void sim_trace_fail_alloc_nth(unsigned long n)
{
	__atomic_store_n(&fail_nth, n, __ATOMIC_RELAXED);
}

static void *trace_zalloc(size_t size)
{
	unsigned long n = __atomic_load_n(&fail_nth, __ATOMIC_RELAXED);

	while (n) {
		if (__atomic_compare_exchange_n(&fail_nth, &n, n - 1, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED)) {
			if (n == 1)
				return NULL;
			break;
		}
	}
	return calloc(1, size);
}

static struct {
	pthread_mutex_t lock;		/* everything below but the atomics */
	uint64_t session;		/* of the running trace; bumped by start */
	uint64_t sessions;		/* last session number given out */
	int64_t t0;
	uint64_t max_events;
	uint64_t reserved;		/* atomic: events stored or being stored */
	uint64_t dropped;		/* atomic */
	uint32_t next_tid;
	struct trace_thread *threads;
	struct trace_track_name *names;
} g = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The calling thread's recorder of the session it registered in. */
static __thread struct trace_thread *tls_thread;
static __thread uint64_t tls_session;

int64_t sim_trace_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t sim_trace_session(void)
{
	return sim_trace_enabled() ? __atomic_load_n(&g.session, __ATOMIC_ACQUIRE) : 0;
}

static void trace_ww_event(const struct resv_ww_event *ev);

int sim_trace_start(uint64_t max_events)
{
	pthread_mutex_lock(&g.lock);
	if (sim__trace_on) {
		pthread_mutex_unlock(&g.lock);
		return -EBUSY;
	}
	g.max_events = max_events ? max_events : SIM_TRACE_DEFAULT_MAX_EVENTS;
	__atomic_store_n(&g.reserved, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&g.dropped, 0, __ATOMIC_RELAXED);
	g.next_tid = 0;
	g.t0 = sim_trace_now();
	__atomic_store_n(&g.session, ++g.sessions, __ATOMIC_RELEASE);
	__atomic_store_n(&sim__trace_on, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&g.lock);
	resv_ww_set_event_hook(trace_ww_event);
	return 0;
}

static void count_drop(void)
{
	__atomic_add_fetch(&g.dropped, 1, __ATOMIC_RELAXED);
}

/* The calling thread's recorder, registered on its first use in a trace. */
static struct trace_thread *self(void)
{
	uint64_t session = __atomic_load_n(&g.session, __ATOMIC_ACQUIRE);
	struct trace_thread *t;

	if (tls_session == session && tls_thread)
		return tls_thread;
	t = trace_zalloc(sizeof(*t));
	if (!t)
		return NULL;
	pthread_mutex_lock(&g.lock);
	if (!sim__trace_on || g.session != session) {	/* stopped meanwhile */
		pthread_mutex_unlock(&g.lock);
		free(t);
		return NULL;
	}
	t->tid = ++g.next_tid;
	t->next = g.threads;
	g.threads = t;
	pthread_mutex_unlock(&g.lock);
	tls_thread = t;
	tls_session = session;
	return t;
}

/* Room for one event of the calling thread, or NULL (dropped). */
static struct trace_event *reserve(struct trace_thread **tp)
{
	struct trace_thread *t;
	struct trace_chunk *c;

	if (!sim_trace_enabled())
		return NULL;
	t = self();
	if (!t || __atomic_fetch_add(&g.reserved, 1, __ATOMIC_RELAXED) >= g.max_events)
		goto drop;
	c = t->tail;
	if (!c || c->count == TRACE_CHUNK_EVENTS) {
		c = trace_zalloc(sizeof(*c));
		if (!c)
			goto drop;
		c->next = NULL;
		c->count = 0;
		if (t->tail)
			t->tail->next = c;
		else
			t->head = c;
		t->tail = c;
	}
	*tp = t;
	return &c->ev[c->count];
drop:
	count_drop();
	return NULL;
}

/* Make the event reserve() gave out part of the trace. */
static void commit(struct trace_thread *t)
{
	t->tail->count++;
}

static void fill(struct trace_event *ev, struct trace_thread *t, char ph,
		 struct sim_trace_track track, const char *cat, const char *name,
		 const struct sim_trace_arg *args, unsigned int nargs)
{
	if (!track.pid && !track.tid) {
		track.pid = SIM_TRACE_PID_CPU;
		track.tid = t->tid;
		t->own_track = true;
	}
	ev->ph = ph;
	ev->pid = track.pid;
	ev->tid = track.tid;
	ev->cat = cat ? cat : "sim";
	ev->name = name ? name : "?";
	ev->dur = 0;
	ev->id = 0;
	if (nargs > SIM_TRACE_MAX_ARGS)
		nargs = SIM_TRACE_MAX_ARGS;
	if (!args)
		nargs = 0;
	ev->nargs = (uint8_t)nargs;
	for (unsigned int i = 0; i < nargs; i++) {
		ev->keys[i] = args[i].key;
		ev->vals[i] = args[i].value;
	}
}

void sim_trace_complete(struct sim_trace_track track, const char *cat, const char *name,
			int64_t start_ns, int64_t end_ns, const struct sim_trace_arg *args,
			unsigned int nargs)
{
	struct trace_thread *t;
	struct trace_event *ev = reserve(&t);

	if (!ev)
		return;
	fill(ev, t, 'X', track, cat, name, args, nargs);
	ev->ts = start_ns;
	ev->dur = end_ns > start_ns ? end_ns - start_ns : 0;
	commit(t);
}

void sim_trace_instant(struct sim_trace_track track, const char *cat, const char *name,
		       const struct sim_trace_arg *args, unsigned int nargs)
{
	struct trace_thread *t;
	struct trace_event *ev = reserve(&t);

	if (!ev)
		return;
	fill(ev, t, 'i', track, cat, name, args, nargs);
	ev->ts = sim_trace_now();
	commit(t);
}

static void async_event(char ph, uint32_t pid, const char *cat, const char *name, uint64_t id,
			int64_t ts_ns, const struct sim_trace_arg *args, unsigned int nargs)
{
	struct trace_thread *t;
	struct trace_event *ev = reserve(&t);

	if (!ev)
		return;
	fill(ev, t, ph, (struct sim_trace_track){ pid, 0 }, cat, name, args, nargs);
	ev->ts = ts_ns;
	ev->id = id;
	commit(t);
}

void sim_trace_async_begin(uint32_t pid, const char *cat, const char *name, uint64_t id,
			   int64_t ts_ns, const struct sim_trace_arg *args, unsigned int nargs)
{
	async_event('b', pid, cat, name, id, ts_ns, args, nargs);
}

void sim_trace_async_end(uint32_t pid, const char *cat, const char *name, uint64_t id,
			 int64_t ts_ns, const struct sim_trace_arg *args, unsigned int nargs)
{
	async_event('e', pid, cat, name, id, ts_ns, args, nargs);
}

void sim_trace_counter(uint32_t pid, const char *name, int64_t value)
{
	struct sim_trace_arg arg = { "value", value };
	struct trace_thread *t;
	struct trace_event *ev = reserve(&t);

	if (!ev)
		return;
	fill(ev, t, 'C', (struct sim_trace_track){ pid, 0 }, "counter", name, &arg, 1);
	ev->ts = sim_trace_now();
	commit(t);
}

void sim_trace_thread_name(const char *fmt, ...)
{
	struct trace_thread *t;
	va_list ap;

	if (!sim_trace_enabled())
		return;
	t = self();
	if (!t)
		return;
	va_start(ap, fmt);
	vsnprintf(t->name, sizeof(t->name), fmt, ap);
	va_end(ap);
}

void sim_trace_track_name(struct sim_trace_track track, const char *name)
{
	struct trace_track_name *n, *fresh;

	if (!sim_trace_enabled() || !name || (!track.pid && !track.tid))
		return;
	fresh = trace_zalloc(sizeof(*fresh));
	pthread_mutex_lock(&g.lock);
	for (n = g.names; n; n = n->next)
		if (n->track.pid == track.pid && n->track.tid == track.tid)
			break;
	if (!n && sim__trace_on && fresh) {
		n = fresh;
		fresh = NULL;
		n->track = track;
		n->next = g.names;
		g.names = n;
	}
	if (n)
		snprintf(n->name, sizeof(n->name), "%s", name);
	else
		count_drop();
	pthread_mutex_unlock(&g.lock);
	free(fresh);
}

/* ---- drm_exec transactions ------------------------------------------------------ */

static __thread int64_t tls_exec_begin;
static __thread uint64_t tls_exec_session;

void sim_trace_exec_begin(void)
{
	if (!sim_trace_enabled())
		return;
	tls_exec_begin = sim_trace_now();
	tls_exec_session = sim_trace_session();
}

/* Static names per reason: the recorder keeps pointers. */
static const char *const backoff_names[RESV_EXEC_RESTART_NR] = {
	[RESV_EXEC_RESTART_CONTENDED] = "backoff: contended",
	[RESV_EXEC_RESTART_INJECTED] = "backoff: injected",
	[RESV_EXEC_RESTART_ENOMEM_RETRY] = "backoff: enomem_retry",
	[RESV_EXEC_RESTART_USERPTR_STALE] = "backoff: userptr_stale",
};

void sim_trace_exec_restart(enum resv_exec_restart_reason reason)
{
	struct sim_trace_arg arg = { "count", 1 };

	if (sim_trace_enabled() && reason > RESV_EXEC_RESTART_NONE &&
	    reason < RESV_EXEC_RESTART_NR)
		sim_trace_instant(SIM_TRACE_SELF, "backoff", backoff_names[reason], &arg, 1);
}

void sim_trace_exec_end(const char *name, const struct drm_exec *exec)
{
	struct sim_trace_arg args[3];
	/* The transaction's ticket: the stamp its ww events carry. */
	int64_t stamp = (int64_t)exec->ticket.stamp;

	if (!sim_trace_enabled() || !tls_exec_begin || tls_exec_session != sim_trace_session())
		return;
	/* The instants first, so they fall inside the span. */
	for (int r = RESV_EXEC_RESTART_NONE + 1; r < RESV_EXEC_RESTART_NR; r++) {
		uint64_t n = resv_exec_restart_count(exec, (enum resv_exec_restart_reason)r);
		struct sim_trace_arg bargs[2] = { { "count", (int64_t)n }, { "stamp", stamp } };

		if (n && backoff_names[r])
			sim_trace_instant(SIM_TRACE_SELF, "backoff", backoff_names[r], bargs, 2);
	}
	args[0] = (struct sim_trace_arg){ "objects", exec->num_objects };
	args[1] = (struct sim_trace_arg){ "restarts",
					  (int64_t)resv_exec_restart_count(exec,
									   RESV_EXEC_RESTART_NONE) };
	args[2] = (struct sim_trace_arg){ "stamp", stamp };
	sim_trace_complete(SIM_TRACE_SELF, "lock", name, tls_exec_begin, sim_trace_now(), args, 3);
	tls_exec_begin = 0;
}

/* ---- ww_mutex contention ---------------------------------------------------------- */

/*
 * Lock labels: a fixed open-addressing table (lock address -> label), so
 * that the hook, which runs under a ww_mutex's wait_lock, reads it without
 * a lock or an allocation. A slot's label is published before its key.
 */
#define LOCK_LABELS 4096u

static struct {
	const void *lock;	/* atomic; NULL: free */
	int64_t label;		/* atomic */
} lock_labels[LOCK_LABELS];

static unsigned int label_slot(const void *lock)
{
	uintptr_t x = (uintptr_t)lock;

	x ^= x >> 29;
	x *= 0x9e3779b97f4a7c15ull;
	return (unsigned int)(x >> 40) % LOCK_LABELS;
}

int sim_trace_label_lock(const struct ww_mutex *lock, int64_t label)
{
	static pthread_mutex_t label_lock = PTHREAD_MUTEX_INITIALIZER;
	unsigned int i = label_slot(lock);
	int ret = -ENOSPC;

	if (!lock || label < 0)
		return -EINVAL;
	pthread_mutex_lock(&label_lock);	/* writers claim slots one at a time */
	for (unsigned int n = 0; n < LOCK_LABELS; n++, i = (i + 1) % LOCK_LABELS) {
		const void *k = __atomic_load_n(&lock_labels[i].lock, __ATOMIC_RELAXED);

		if (k && k != lock)
			continue;
		__atomic_store_n(&lock_labels[i].label, label, __ATOMIC_RELAXED);
		__atomic_store_n(&lock_labels[i].lock, (const void *)lock, __ATOMIC_RELEASE);
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&label_lock);
	return ret;
}

static int64_t lock_label(const void *lock)
{
	unsigned int i = label_slot(lock);

	for (unsigned int n = 0; n < LOCK_LABELS; n++, i = (i + 1) % LOCK_LABELS) {
		const void *k = __atomic_load_n(&lock_labels[i].lock, __ATOMIC_ACQUIRE);

		if (k == lock)
			return __atomic_load_n(&lock_labels[i].label, __ATOMIC_RELAXED);
		if (!k)
			break;
	}
	return -1;
}

/* Static names: the recorder keeps pointers. */
static const char *ww_event_name(const struct resv_ww_event *ev)
{
	switch (ev->type) {
	case RESV_WW_EVENT_WAIT:
		return ev->slow ? "ww: wait (slow relock)" : "ww: wait";
	case RESV_WW_EVENT_WOUND:
		return "ww: wound";
	case RESV_WW_EVENT_DIE:
		return ev->ww_class->is_wait_die ? "ww: -EDEADLK (die)" : "ww: -EDEADLK (wounded)";
	case RESV_WW_EVENT_ACQUIRED:
		return ev->slow ? "ww: slow lock acquired" : "ww: acquired after wait";
	}
	return "ww: ?";
}

static void trace_ww_event(const struct resv_ww_event *ev)
{
	struct sim_trace_arg args[3] = {
		{ "stamp", (int64_t)ev->stamp },
		{ "other", (int64_t)ev->other_stamp },
		{ "obj", lock_label(ev->lock) },
	};

	if (sim_trace_enabled())
		sim_trace_instant(SIM_TRACE_SELF, "ww", ww_event_name(ev), args, 3);
}

/* ---- writing ------------------------------------------------------------------ */

static void put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

/* Microseconds since the start of the trace, with nanosecond digits. */
static void put_ts(FILE *out, const char *key, int64_t ns)
{
	if (ns < 0)
		ns = 0;
	fprintf(out, ",\"%s\":%" PRId64 ".%03d", key, ns / 1000, (int)(ns % 1000));
}

static void put_meta(FILE *out, bool *first, const char *what, uint32_t pid, uint32_t tid,
		     const char *name)
{
	fprintf(out, "%s\n{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32
		",\"args\":{\"name\":",
		*first ? "" : ",", what, pid, tid);
	put_string(out, name);
	fputs("}}", out);
	*first = false;
}

static void put_event(FILE *out, const struct trace_event *ev)
{
	fprintf(out, ",\n{\"ph\":\"%c\",\"cat\":", ev->ph);
	put_string(out, ev->cat);
	fputs(",\"name\":", out);
	put_string(out, ev->name);
	fprintf(out, ",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32, ev->pid, ev->tid);
	put_ts(out, "ts", ev->ts - g.t0);
	if (ev->ph == 'X')
		put_ts(out, "dur", ev->dur);
	else if (ev->ph == 'i')
		fputs(",\"s\":\"t\"", out);
	else if (ev->ph == 'b' || ev->ph == 'e')
		fprintf(out, ",\"id\":\"0x%" PRIx64 "\"", ev->id);
	if (ev->nargs) {
		fputs(",\"args\":{", out);
		for (unsigned int i = 0; i < ev->nargs; i++) {
			if (i)
				fputc(',', out);
			put_string(out, ev->keys[i] ? ev->keys[i] : "?");
			fprintf(out, ":%" PRId64, ev->vals[i]);
		}
		fputc('}', out);
	}
	fputc('}', out);
}

static uint64_t write_json(FILE *out)
{
	static const char *const pnames[] = {
		[SIM_TRACE_PID_CPU] = "CPU: client and driver threads",
		[SIM_TRACE_PID_GPU] = "GPU: engines",
		[SIM_TRACE_PID_FENCES] = "fences: created to signalled",
	};
	uint64_t events = 0;
	bool first = true;

	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", out);
	for (uint32_t pid = SIM_TRACE_PID_CPU; pid <= SIM_TRACE_PID_FENCES; pid++, events++)
		put_meta(out, &first, "process_name", pid, 0, pnames[pid]);
	/* Threads that only recorded on other tracks (engine workers) get no
	 * track of their own: it would be empty. */
	for (struct trace_thread *t = g.threads; t; t = t->next) {
		char name[TRACE_NAME_MAX];

		if (!t->name[0] && !t->own_track)
			continue;
		snprintf(name, sizeof(name), "thread %" PRIu32, t->tid);
		put_meta(out, &first, "thread_name", SIM_TRACE_PID_CPU, t->tid,
			 t->name[0] ? t->name : name);
		events++;
	}
	for (struct trace_track_name *n = g.names; n; n = n->next, events++)
		put_meta(out, &first, "thread_name", n->track.pid, n->track.tid, n->name);
	for (struct trace_thread *t = g.threads; t; t = t->next)
		for (struct trace_chunk *c = t->head; c; c = c->next)
			for (uint32_t i = 0; i < c->count; i++, events++)
				put_event(out, &c->ev[i]);
	fprintf(out, "\n],\"otherData\":{\"dropped_events\":%" PRIu64 "}}\n",
		__atomic_load_n(&g.dropped, __ATOMIC_RELAXED));
	return events;
}

static void free_all(void)
{
	while (g.threads) {
		struct trace_thread *t = g.threads;

		g.threads = t->next;
		while (t->head) {
			struct trace_chunk *c = t->head;

			t->head = c->next;
			free(c);
		}
		free(t);
	}
	while (g.names) {
		struct trace_track_name *n = g.names;

		g.names = n->next;
		free(n);
	}
}

int sim_trace_stop(FILE *out, struct sim_trace_stats *stats)
{
	uint64_t events = 0, threads = 0;
	int ret = 0;

	pthread_mutex_lock(&g.lock);
	if (!sim__trace_on) {
		pthread_mutex_unlock(&g.lock);
		return -EINVAL;
	}
	__atomic_store_n(&sim__trace_on, 0, __ATOMIC_RELEASE);
	/* A hook still running elsewhere finds the trace off and drops. */
	resv_ww_set_event_hook(NULL);
	for (struct trace_thread *t = g.threads; t; t = t->next)
		threads++;
	if (out) {
		events = write_json(out);
		if (fflush(out) || ferror(out))
			ret = -EIO;
	}
	if (stats) {
		stats->events = events;
		stats->dropped = __atomic_load_n(&g.dropped, __ATOMIC_RELAXED);
		stats->threads = threads;
	}
	free_all();
	pthread_mutex_unlock(&g.lock);
	return ret;
}

int sim_trace_stop_file(const char *path, struct sim_trace_stats *stats)
{
	FILE *out;
	int ret;

	if (!sim_trace_enabled())
		return -EINVAL;
	out = fopen(path, "w");
	if (!out) {
		ret = -errno;
		sim_trace_stop(NULL, stats);
		return ret;
	}
	ret = sim_trace_stop(out, stats);
	if (fclose(out) && !ret)
		ret = -EIO;
	return ret;
}
