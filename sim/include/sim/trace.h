/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * A trace recorder for the simulated GPU and its clients: spans, instants,
 * asynchronous spans and counters, kept in memory per thread while a trace
 * runs and written at the end as Chrome/Perfetto JSON (a ``traceEvents``
 * array) that opens in ui.perfetto.dev or chrome://tracing.
 *
 * One recorder per process, off by default. While it is off every call
 * below is one relaxed load and a not-taken branch; callers that must
 * compute something for an event (a timestamp, a name) test
 * sim_trace_enabled() first. While it is on, recording an event is a
 * clock read and a store into the calling thread's own buffer: no lock is
 * shared between recording threads (a thread's first event registers it,
 * under a mutex, once per trace).
 *
 * Tracks. Every event lands on a track, named by a (pid, tid) pair as in
 * the JSON format. %SIM_TRACE_SELF is the calling thread's own track in the
 * CPU process (name it with sim_trace_thread_name()). The device puts its
 * engines in the GPU process, one track per engine (tid = the engine's
 * fence context), and fence lifetimes in the fences process::
 *
 *	sim_trace_start(0);                          // before creating the device
 *	sim_trace_thread_name("client %u", id);
 *	int64_t t0 = sim_trace_now();
 *	... lock, validate, submit ...
 *	sim_trace_complete(SIM_TRACE_SELF, "exec", "locked", t0, sim_trace_now(), NULL, 0);
 *	...
 *	// every recording thread stopped (clients joined, device destroyed):
 *	sim_trace_stop_file("trace.json", NULL);
 *
 * Strings. Names, categories and argument keys are stored as pointers, so
 * they must be static strings (literals, or strings that outlive the
 * trace). Track names given to sim_trace_thread_name() and
 * sim_trace_track_name() are copied.
 *
 * Memory. Events go to per-thread chunks of memory from malloc(), not
 * resv_malloc(): recording must change neither what the traced code's
 * allocation-failure injection counts nor what the lock validator sees as
 * its allocations (as the kernel's trace buffers are not the traced code's
 * allocations). sim_trace_fail_alloc_nth() injects failures into the
 * recorder itself. An event that cannot be stored (allocation failure, or
 * the trace's event limit reached) is dropped and counted, never an error
 * for the caller. The engines record after their signalling sections.
 */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <resv/drm_exec.h>

#ifdef __cplusplus
extern "C" {
#endif

/** SIM_TRACE_PID_CPU - the process of client and driver threads' tracks */
#define SIM_TRACE_PID_CPU 1u
/** SIM_TRACE_PID_GPU - the process of the engines' tracks (tid: fence context) */
#define SIM_TRACE_PID_GPU 2u
/** SIM_TRACE_PID_FENCES - the process of fence lifetimes (asynchronous spans) */
#define SIM_TRACE_PID_FENCES 3u

/** SIM_TRACE_DEFAULT_MAX_EVENTS - the event limit when sim_trace_start() gets 0 */
#define SIM_TRACE_DEFAULT_MAX_EVENTS (2u * 1000u * 1000u)

/** SIM_TRACE_MAX_ARGS - the most arguments one event carries */
#define SIM_TRACE_MAX_ARGS 3u

/**
 * struct sim_trace_track - where an event goes
 * @pid: a SIM_TRACE_PID_* value (or any other small number); 0 with @tid
 *	0 means the calling thread's own track
 * @tid: the track within @pid
 */
struct sim_trace_track {
	uint32_t pid;
	uint32_t tid;
};

/** SIM_TRACE_SELF - the calling thread's track in %SIM_TRACE_PID_CPU */
#define SIM_TRACE_SELF ((struct sim_trace_track){ 0, 0 })

/**
 * struct sim_trace_arg - one argument of an event, shown in the UI's
 * details pane
 * @key: its name, a static string
 * @value: its value
 */
struct sim_trace_arg {
	const char *key;
	int64_t value;
};

/**
 * struct sim_trace_stats - what a trace recorded
 * @events: events written (metadata included)
 * @dropped: events lost to the limit or to allocation failures
 * @threads: threads that recorded
 */
struct sim_trace_stats {
	uint64_t events;
	uint64_t dropped;
	uint64_t threads;
};

/* Private: read by sim_trace_enabled(); written by start and stop. */
extern int sim__trace_on;

/**
 * sim_trace_enabled() - is a trace recording
 *
 * Context: any.
 * Return: true between sim_trace_start() and sim_trace_stop().
 */
static inline bool sim_trace_enabled(void)
{
	return __atomic_load_n(&sim__trace_on, __ATOMIC_RELAXED) != 0;
}

/**
 * sim_trace_start() - start recording
 * @max_events: the most events to keep, or 0 for
 *	%SIM_TRACE_DEFAULT_MAX_EVENTS; later events are dropped and counted
 *
 * Context: no thread may be recording (no trace running).
 * Return: 0; -EBUSY when a trace is already running.
 */
int sim_trace_start(uint64_t max_events);

/**
 * sim_trace_stop() - stop recording, write the trace and free it
 * @out: where the JSON goes, or NULL to discard the events
 * @stats: if not NULL, filled in
 *
 * Writes one JSON object: ``traceEvents`` (process and track names first,
 * then every event; timestamps in microseconds from sim_trace_start()),
 * ``displayTimeUnit`` and ``otherData`` (the drop count). Then frees
 * everything the trace held.
 *
 * Context: every thread that recorded must be done with it (joined, or
 * known to record no more): the buffers are freed under them. Engines
 * record, so destroy the devices first.
 * Return: 0; -EINVAL when no trace is running; -EIO when writing failed
 * (the trace is stopped and freed all the same).
 */
int sim_trace_stop(FILE *out, struct sim_trace_stats *stats);

/**
 * sim_trace_stop_file() - sim_trace_stop() into a file
 * @path: the file, created or truncated
 * @stats: if not NULL, filled in
 *
 * Context: as sim_trace_stop().
 * Return: 0; -EINVAL when no trace is running (nothing written); the
 * negated errno of fopen() (the trace is discarded); -EIO as
 * sim_trace_stop().
 */
int sim_trace_stop_file(const char *path, struct sim_trace_stats *stats);

/**
 * sim_trace_fail_alloc_nth() - fail one of the recorder's own allocations
 * @n: fail the n-th from now (1: the next one); 0 disarms
 *
 * For tests: the recorder allocates with malloc(), out of reach of
 * resv_alloc_fail_nth(). Disarms itself after the failure.
 *
 * Context: any.
 */
void sim_trace_fail_alloc_nth(unsigned long n);

/**
 * sim_trace_now() - the trace clock
 *
 * CLOCK_MONOTONIC in nanoseconds, the clock of dma_fence timestamps, so
 * those can be recorded as they are.
 *
 * Context: any.
 * Return: the time in nanoseconds.
 */
int64_t sim_trace_now(void);

/**
 * sim_trace_session() - which trace is running
 *
 * For code that names its tracks once per trace: the number changes with
 * every sim_trace_start().
 *
 * Context: any.
 * Return: a number that is not 0 while a trace runs, 0 when none does.
 */
uint64_t sim_trace_session(void);

/**
 * sim_trace_thread_name() - name the calling thread's track
 * @fmt: printf format of the name (the result is copied, up to 47 bytes)
 *
 * Context: any; nothing happens when no trace runs.
 */
void sim_trace_thread_name(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * sim_trace_track_name() - name any track
 * @track: the track (not %SIM_TRACE_SELF)
 * @name: its name (copied, up to 47 bytes)
 *
 * Context: any; nothing happens when no trace runs.
 */
void sim_trace_track_name(struct sim_trace_track track, const char *name);

/**
 * sim_trace_complete() - a span that is over
 * @track: where it goes
 * @cat: its category (static)
 * @name: its name (static)
 * @start_ns: when it began (sim_trace_now() clock)
 * @end_ns: when it ended, not before @start_ns
 * @args: its arguments, or NULL
 * @nargs: how many (at most %SIM_TRACE_MAX_ARGS are kept)
 *
 * Spans of one track must nest (the JSON format's rule for "X" events):
 * use one track per thread or engine.
 *
 * Context: any but a fence signalling section.
 */
void sim_trace_complete(struct sim_trace_track track, const char *cat, const char *name,
			int64_t start_ns, int64_t end_ns, const struct sim_trace_arg *args,
			unsigned int nargs);

/**
 * sim_trace_instant() - a point event, now
 * @track: where it goes
 * @cat: its category (static)
 * @name: its name (static)
 * @args: its arguments, or NULL
 * @nargs: how many
 *
 * Context: any but a fence signalling section.
 */
void sim_trace_instant(struct sim_trace_track track, const char *cat, const char *name,
		       const struct sim_trace_arg *args, unsigned int nargs);

/**
 * sim_trace_async_begin() - start an asynchronous span (may overlap others)
 * @pid: the process it is shown in (e.g. %SIM_TRACE_PID_FENCES)
 * @cat: its category (static); begin and end must agree
 * @name: its name (static); spans of one name are shown together
 * @id: what pairs it with its sim_trace_async_end(), unique among the
 *	spans of @cat running at once
 * @ts_ns: when it began
 * @args: its arguments, or NULL
 * @nargs: how many
 *
 * Context: any but a fence signalling section.
 */
void sim_trace_async_begin(uint32_t pid, const char *cat, const char *name, uint64_t id,
			   int64_t ts_ns, const struct sim_trace_arg *args, unsigned int nargs);

/**
 * sim_trace_async_end() - end an asynchronous span
 * @pid: as given to sim_trace_async_begin()
 * @cat: as given to sim_trace_async_begin()
 * @name: as given to sim_trace_async_begin()
 * @id: as given to sim_trace_async_begin()
 * @ts_ns: when it ended
 * @args: arguments added to the span, or NULL
 * @nargs: how many
 *
 * Context: any but a fence signalling section.
 */
void sim_trace_async_end(uint32_t pid, const char *cat, const char *name, uint64_t id,
			 int64_t ts_ns, const struct sim_trace_arg *args, unsigned int nargs);

/**
 * sim_trace_counter() - a sample of a counter track
 * @pid: the process it is shown in
 * @name: the counter's name (static)
 * @value: its value from now on
 *
 * Context: any but a fence signalling section.
 */
void sim_trace_counter(uint32_t pid, const char *name, int64_t value);

/* ---- the submission paths' drm_exec transactions ------------------------------ */

/**
 * sim_trace_exec_begin() - a submission path enters its drm_exec loop
 *
 * Remembers the time for sim_trace_exec_end(), per thread.
 *
 * Context: the thread that runs the loop; one transaction at a time per
 * thread. Nothing happens when no trace runs.
 */
void sim_trace_exec_begin(void);

/**
 * sim_trace_exec_end() - the transaction is about to unlock everything
 * @name: the span's name, e.g. "execbuf locked" (static)
 * @exec: the drm_exec, before drm_exec_fini() (its counters are read)
 *
 * Records the locked section, from sim_trace_exec_begin() to now, as a span
 * on the calling thread's track (arguments: objects locked, restarts), and
 * for each restart reason that occurred an instant named
 * "backoff: <reason>" (resv_exec_restart_reason_name()) with its count;
 * the span and the instants carry the ticket's ``stamp``, the one the ww
 * events of the transaction carry (sim_trace_label_lock()).
 *
 * Context: the thread of @exec. Nothing happens when no trace runs or
 * sim_trace_exec_begin() was not called in this trace.
 */
void sim_trace_exec_end(const char *name, const struct drm_exec *exec);

/**
 * sim_trace_exec_restart() - a submission starts over outside drm_exec's loop
 * @reason: why; RESV_EXEC_RESTART_USERPTR_STALE when the final userptr
 *	check found pages invalidated since their snapshot
 *
 * Records a "backoff: <reason>" instant with count 1 on the calling
 * thread's track, as sim_trace_exec_end() does for restarts inside the loop.
 *
 * Context: any but a fence signalling section. Nothing happens when no
 * trace runs.
 */
void sim_trace_exec_restart(enum resv_exec_restart_reason reason);

/* ---- ww_mutex contention --------------------------------------------------------- */

struct ww_mutex;

/**
 * sim_trace_label_lock() - name a ww_mutex in the trace's ww events
 * @lock: the mutex, e.g. a BO's ``resv->lock``
 * @label: a number >= 0 that the ww events on @lock carry as ``obj``
 *	(resv-sim: a shared object's index; unlabelled locks give -1)
 *
 * While a trace runs, the recorder installs a ww_mutex event hook
 * (resv_ww_set_event_hook()) and records every contention decision as an
 * instant on the calling thread's track, category ``ww``: ``ww: wait``
 * (args: ``stamp`` of the waiting context, ``other``: the holder's stamp,
 * ``obj``), ``ww: wound`` (``stamp`` wounded ``other``), ``ww: -EDEADLK
 * (die)`` or ``ww: -EDEADLK (wounded)`` (``stamp`` backs off; ``other``:
 * the older holder or waiter that made it die, or the holder it was about
 * to wait for when wounded), ``ww: slow lock acquired`` and ``ww: acquired
 * after wait``. A label outlives traces; labelling a lock again replaces
 * its label. Label locks before the threads that contend on them start: the
 * table is read without a lock.
 *
 * Context: any thread.
 * Return: 0; -EINVAL for a NULL @lock or a negative @label; -ENOSPC when the
 * table (4096 locks) is full.
 */
int sim_trace_label_lock(const struct ww_mutex *lock, int64_t label);

#ifdef __cplusplus
}
#endif

#endif /* SIM_TRACE_H */
