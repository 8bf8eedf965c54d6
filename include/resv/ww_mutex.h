/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * Wound/wait mutexes: sleeping locks that a thread may take in any order
 * inside an *acquire context*, with deadlocks resolved by backing off
 * instead of by a global lock order. Semantics follow the Linux kernel's
 * ``include/linux/ww_mutex.h``.
 *
 * Every context gets a stamp from its class when it starts; a smaller stamp
 * is older and has priority. The algorithm is a property of the class:
 *
 * - Wait-Die (DEFINE_WD_CLASS, the dma_resv class): a younger context that
 *   holds locks and would wait for an older one *dies* (-EDEADLK) instead.
 * - Wound-Wait (DEFINE_WW_CLASS): an older context that would wait *wounds*
 *   the younger holder, which gets -EDEADLK the next time it has to block
 *   while holding locks. Older contexts never die.
 *
 * A context that holds no lock is never told -EDEADLK, so after dropping
 * everything the slow path always succeeds. The canonical loop::
 *
 *	static DEFINE_WW_CLASS(obj_class);
 *
 *	int lock_objs(struct obj **objs, int n, struct ww_acquire_ctx *ctx)
 *	{
 *		struct obj *contended = NULL;
 *		int i, j, ret;
 *
 *		ww_acquire_init(ctx, &obj_class);
 *	retry:
 *		for (i = 0; i < n; i++) {
 *			if (objs[i] == contended) {
 *				contended = NULL;   // already locked by the slow path
 *				continue;
 *			}
 *			ret = ww_mutex_lock(&objs[i]->lock, ctx);
 *			if (ret) {
 *				for (j = 0; j < i; j++)
 *					ww_mutex_unlock(&objs[j]->lock);
 *				if (contended)
 *					ww_mutex_unlock(&contended->lock);
 *				if (ret == -EDEADLK) {
 *					contended = objs[i];
 *					ww_mutex_lock_slow(&contended->lock, ctx);
 *					goto retry;
 *				}
 *				ww_acquire_fini(ctx);
 *				return ret;         // -EALREADY: duplicate in the list
 *			}
 *		}
 *		ww_acquire_done(ctx);
 *		return 0;
 *	}
 *
 * libresv additions (prefixed ``resv_``): a runtime class initialiser,
 * seedable deadlock injection (resv_ww_class_set_inject()), per-context and
 * per-class statistics, and interrupts for the _interruptible variants
 * (see <resv/thread.h>).
 *
 * Debug builds (RESV_DEBUG) report misuse through <resv/report.h>: fini with
 * locks held, locking after ww_acquire_done(), relocking another lock than
 * the contended one after -EDEADLK, unlocking a lock not held.
 */
#ifndef RESV_WW_MUTEX_H
#define RESV_WW_MUTEX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <urcu/list.h>

#include <resv/compiler.h>

#ifdef __cplusplus
extern "C" {
#endif

struct resv_thread;

/**
 * enum resv_ww_inject_mode - how spurious -EDEADLK are injected
 * @RESV_WW_INJECT_DEFAULT: a class in this mode follows the process-wide
 *	setting (resv_ww_set_default_inject(), or the environment variable
 *	``RESV_WW_INJECT``: ``off``, ``slowpath``, ``nth:N[:PERIOD]``,
 *	``random:PPM[:SEED]``)
 * @RESV_WW_INJECT_OFF: never inject
 * @RESV_WW_INJECT_SLOWPATH: the kernel's CONFIG_DEBUG_WW_MUTEX_SLOWPATH: each
 *	context starts with interval 1 and countdown ``stamp & 0xf``; when the
 *	countdown expires the interval grows 3.5-fold
 * @RESV_WW_INJECT_NTH: the @nth eligible acquire of the class fails, then
 *	every @period -th one after it (@period 0: only once)
 * @RESV_WW_INJECT_RANDOM: each eligible acquire fails with probability
 *	@per_million / 10^6, decided by a generator seeded from @seed and the
 *	context's stamp, so a single-threaded run replays exactly
 *
 * An *eligible* acquire is a successful ww_mutex_lock() or
 * ww_mutex_lock_interruptible() with a context that already held at least
 * one lock (never the first lock, never a trylock or slow-path lock), as in
 * the kernel. An injected failure releases the lock again, records it as
 * the contended lock and returns -EDEADLK, so the caller's back-off path runs
 * exactly as for a real conflict.
 */
enum resv_ww_inject_mode {
	RESV_WW_INJECT_DEFAULT = 0,
	RESV_WW_INJECT_OFF,
	RESV_WW_INJECT_SLOWPATH,
	RESV_WW_INJECT_NTH,
	RESV_WW_INJECT_RANDOM,
};

/**
 * struct resv_ww_inject - deadlock injection settings
 * @mode: see &enum resv_ww_inject_mode
 * @nth: for RESV_WW_INJECT_NTH, 1-based index of the first failing acquire
 * @period: for RESV_WW_INJECT_NTH, distance between later failures; 0 = once
 * @per_million: for RESV_WW_INJECT_RANDOM, failure probability in ppm
 * @seed: for RESV_WW_INJECT_RANDOM, the seed
 */
struct resv_ww_inject {
	enum resv_ww_inject_mode mode;
	uint64_t nth;
	uint64_t period;
	uint32_t per_million;
	uint64_t seed;
};

/**
 * struct resv_ww_stats - counters of one context, or summed over a class
 * @transactions: acquire contexts finished (class sums only)
 * @acquires: locks acquired (lock, slow lock and successful trylock)
 * @contended: acquires that had to sleep first
 * @deadlocks: real -EDEADLK returned (died in Wait-Die, or wounded and
 *	backed off in Wound-Wait); injected ones are not counted here
 * @wounds: times this context wounded a younger holder (Wound-Wait)
 * @wounded: times this context backed off because it had been wounded
 * @injected: injected -EDEADLK
 * @already: -EALREADY returned
 * @interrupted: -EINTR returned
 */
struct resv_ww_stats {
	uint64_t transactions;
	uint64_t acquires;
	uint64_t contended;
	uint64_t deadlocks;
	uint64_t wounds;
	uint64_t wounded;
	uint64_t injected;
	uint64_t already;
	uint64_t interrupted;
};

/**
 * struct ww_class - a family of ww_mutexes locked under one kind of context
 * @stamp: the last stamp handed out (atomic)
 * @acquire_name: name of the context class, for reports
 * @mutex_name: name of the mutex class, for reports
 * @is_wait_die: 1 for Wait-Die, 0 for Wound-Wait
 * @inject: injection settings (written by resv_ww_class_set_inject())
 * @inject_count: eligible acquires seen, for RESV_WW_INJECT_NTH (atomic)
 * @stats: counters summed by ww_acquire_fini() (atomic adds)
 *
 * Define with DEFINE_WW_CLASS() / DEFINE_WD_CLASS() or initialise at run
 * time with resv_ww_class_init(). Fields are private; read the statistics
 * with resv_ww_class_get_stats().
 */
struct ww_class {
	unsigned long stamp;
	const char *acquire_name;
	const char *mutex_name;
	unsigned int is_wait_die;
	struct resv_ww_inject inject;
	uint64_t inject_count;
	struct resv_ww_stats stats;
};

#define __WW_CLASS_INITIALIZER(ww_class, _is_wait_die)		\
	{ .stamp = 0,						\
	  .acquire_name = #ww_class "_acquire",			\
	  .mutex_name = #ww_class "_mutex",			\
	  .is_wait_die = (_is_wait_die) }

/** DEFINE_WW_CLASS - define a Wound-Wait class */
#define DEFINE_WW_CLASS(classname) \
	struct ww_class classname = __WW_CLASS_INITIALIZER(classname, 0)
/** DEFINE_WD_CLASS - define a Wait-Die class */
#define DEFINE_WD_CLASS(classname) \
	struct ww_class classname = __WW_CLASS_INITIALIZER(classname, 1)

/**
 * struct ww_mutex - a wound/wait mutex
 * @owner: the owner word (atomic): the owning acquire context or, for a
 *	context-less lock, the owning thread, tagged in its low bits; one
 *	atomic read-modify-write takes and one releases an uncontended lock
 * @wait_lock: protects @wait_list and the slow paths
 * @wait_list: sleeping waiters, contexts in stamp order (oldest first),
 *	context-less waiters FIFO between them
 * @ww_class: the class of the mutex
 *
 * Fields are private; use the functions below.
 */
struct ww_mutex {
	uintptr_t owner;
	pthread_mutex_t wait_lock;
	struct cds_list_head wait_list;
	struct ww_class *ww_class;
};

#define __WW_MUTEX_INITIALIZER(lockname, class)				\
	{ .owner = 0, .wait_lock = PTHREAD_MUTEX_INITIALIZER,		\
	  .wait_list = CDS_LIST_HEAD_INIT((lockname).wait_list),	\
	  .ww_class = &(class) }

/** DEFINE_WW_MUTEX - define a statically initialised ww_mutex */
#define DEFINE_WW_MUTEX(mutexname, ww_class) \
	struct ww_mutex mutexname = __WW_MUTEX_INITIALIZER(mutexname, ww_class)

/**
 * struct ww_acquire_ctx - an acquire context (one transaction)
 * @task: the thread that owns the context
 * @stamp: age; smaller is older (wrap-safe comparison)
 * @acquired: number of ww_mutexes of this context currently held
 * @wounded: set (atomically) by an older context that waits for a lock we
 *	hold (Wound-Wait)
 * @is_wait_die: copied from the class
 * @ww_class: the class
 * @done_acquire: ww_acquire_done() was called (checked in debug builds)
 * @finished: ww_acquire_fini() was called (checked in debug builds)
 * @contending_lock: the lock that caused the last -EDEADLK; the next lock
 *	taken must be this one, with nothing else held (checked in debug builds)
 * @inject: this context's injection settings (snapshot of the class's at
 *	ww_acquire_init(); override with resv_ww_acquire_set_inject())
 * @inject_interval: RESV_WW_INJECT_SLOWPATH interval
 * @inject_countdown: RESV_WW_INJECT_SLOWPATH countdown
 * @inject_rng: RESV_WW_INJECT_RANDOM generator state
 * @stats: this context's counters; read them directly or after fini
 *
 * Lives on the stack of the thread that runs the transaction. Only
 * @stats is meant to be read by programs.
 */
struct ww_acquire_ctx {
	struct resv_thread *task;
	unsigned long stamp;
	unsigned int acquired;
	unsigned short wounded;
	unsigned short is_wait_die;
	struct ww_class *ww_class;
	unsigned char done_acquire;
	unsigned char finished;
	struct ww_mutex *contending_lock;
	struct resv_ww_inject inject;
	unsigned int inject_interval;
	unsigned int inject_countdown;
	uint64_t inject_rng;
	struct resv_ww_stats stats;
};

/**
 * resv_ww_class_init() - initialise a class at run time
 * @ww_class: the class
 * @name: name used in reports (the string must outlive the class)
 * @is_wait_die: true for Wait-Die, false for Wound-Wait
 *
 * Equivalent to DEFINE_WD_CLASS() / DEFINE_WW_CLASS().
 *
 * Context: any thread, while no context or mutex of the class exists.
 */
RESV_EXPORT void resv_ww_class_init(struct ww_class *ww_class, const char *name, bool is_wait_die);

/**
 * resv_ww_class_set_algorithm() - switch a class between Wait-Die and Wound-Wait
 * @ww_class: the class
 * @wait_die: true for Wait-Die, false for Wound-Wait
 *
 * Not in the kernel, where the algorithm is fixed when the class is
 * defined. It exists so that a program can run the same workload on a class
 * it does not define, &reservation_ww_class included, under both
 * algorithms (resv-sim --ww-class). The stamp counter, injection settings,
 * statistics and validator class are kept. Contexts copy the algorithm at
 * ww_acquire_init(), so a context that is live during the switch would
 * keep the old one and meet contexts running the new one: the two
 * algorithms mixed do not guarantee progress.
 *
 * Context: any thread, only while no acquire context of @ww_class is live
 * and none is being initialised (between ww_acquire_init() and
 * ww_acquire_fini()); this is the caller's to ensure, it is not checked.
 * Return: 0; -EINVAL when @ww_class is NULL (nothing changed).
 */
RESV_EXPORT RESV_MUST_CHECK int resv_ww_class_set_algorithm(struct ww_class *ww_class,
							    bool wait_die);

/**
 * ww_mutex_init() - initialise a ww_mutex, unlocked
 * @lock: the mutex
 * @ww_class: its class
 *
 * Context: any; the mutex must not be in use.
 */
RESV_EXPORT void ww_mutex_init(struct ww_mutex *lock, struct ww_class *ww_class);

/**
 * ww_mutex_destroy() - tear a ww_mutex down
 * @lock: the mutex, which must be unlocked with no waiters
 *
 * Debug builds report RESV_REPORT_DESTROY_LOCKED for a held mutex.
 *
 * Context: any thread; nobody uses @lock any more.
 */
RESV_EXPORT void ww_mutex_destroy(struct ww_mutex *lock);

/**
 * ww_mutex_is_locked() - is the mutex held by anyone
 * @lock: the mutex
 *
 * Context: any; the answer may be stale unless the caller holds the lock.
 * Return: true when held.
 */
RESV_EXPORT bool ww_mutex_is_locked(struct ww_mutex *lock);

/**
 * ww_acquire_init() - start a transaction
 * @ctx: the context to initialise (usually on the stack)
 * @ww_class: the class of every mutex the context will lock
 *
 * Takes the next stamp of the class. One thread must not nest two contexts
 * of the same class.
 *
 * Context: the thread that will run the transaction.
 */
RESV_EXPORT void ww_acquire_init(struct ww_acquire_ctx *ctx, struct ww_class *ww_class);

/**
 * ww_acquire_done() - mark the end of the acquire phase
 * @ctx: the context
 *
 * Optional. Debug builds report a lock taken with @ctx afterwards.
 *
 * Context: the thread that owns @ctx.
 */
RESV_EXPORT void ww_acquire_done(struct ww_acquire_ctx *ctx);

/**
 * ww_acquire_fini() - end a transaction
 * @ctx: the context; every lock taken with it must have been unlocked
 *
 * Adds the context's statistics to its class. Debug builds report fini with
 * locks held and a second fini.
 *
 * Context: the thread that owns @ctx.
 */
RESV_EXPORT void ww_acquire_fini(struct ww_acquire_ctx *ctx);

/**
 * ww_mutex_lock() - acquire a ww_mutex
 * @lock: the mutex
 * @ctx: the acquire context, or NULL to lock like a plain mutex
 *
 * Context: may sleep. With @ctx NULL, taking a lock this thread already
 * holds deadlocks, as in the kernel.
 * Return: 0 on success; -EALREADY if @ctx already holds @lock (the lock
 * stays held, nothing changes); -EDEADLK if @ctx must back off: the lock was
 * not acquired, the caller must unlock everything held with @ctx and then
 * ww_mutex_lock_slow() this lock (or skip it). Never -EDEADLK while @ctx
 * holds no lock.
 */
RESV_EXPORT RESV_MUST_CHECK int ww_mutex_lock(struct ww_mutex *lock, struct ww_acquire_ctx *ctx);

/**
 * ww_mutex_lock_interruptible() - acquire, unless the thread is interrupted
 * @lock: the mutex
 * @ctx: the acquire context, or NULL
 *
 * Context: may sleep.
 * Return: as ww_mutex_lock(), plus -EINTR when resv_thread_interrupt() is
 * pending for this thread while it has to wait (the lock is not held).
 */
RESV_EXPORT RESV_MUST_CHECK int ww_mutex_lock_interruptible(struct ww_mutex *lock,
							    struct ww_acquire_ctx *ctx);

/**
 * ww_mutex_lock_slow() - acquire the contended lock after backing off
 * @lock: the mutex that returned -EDEADLK
 * @ctx: the context, which must hold no lock
 *
 * Sleeps until the lock is acquired; cannot fail because a context holding
 * nothing is never killed. Debug builds report a call with locks held or on
 * another lock than the contended one.
 *
 * Context: may sleep.
 */
RESV_EXPORT void ww_mutex_lock_slow(struct ww_mutex *lock, struct ww_acquire_ctx *ctx);

/**
 * ww_mutex_lock_slow_interruptible() - ww_mutex_lock_slow(), interruptible
 * @lock: the mutex that returned -EDEADLK
 * @ctx: the context, which must hold no lock
 *
 * Context: may sleep.
 * Return: 0 when acquired; -EINTR when interrupted (not acquired).
 */
RESV_EXPORT RESV_MUST_CHECK int ww_mutex_lock_slow_interruptible(struct ww_mutex *lock,
								 struct ww_acquire_ctx *ctx);

/**
 * ww_mutex_trylock() - acquire without sleeping
 * @lock: the mutex
 * @ctx: the acquire context, or NULL
 *
 * Never returns -EDEADLK or -EALREADY: a lock held by anyone, @ctx
 * included, is simply not acquired. On success the lock counts in
 * @ctx->acquired like any other.
 *
 * Context: any; does not sleep.
 * Return: 1 if acquired, 0 if not.
 */
RESV_EXPORT RESV_MUST_CHECK int ww_mutex_trylock(struct ww_mutex *lock, struct ww_acquire_ctx *ctx);

/**
 * ww_mutex_unlock() - release a ww_mutex
 * @lock: a mutex held by the calling thread
 *
 * Hands the lock to the first waiter, if any. Debug builds report unlocking
 * a lock the calling thread does not hold, and leave it unchanged.
 *
 * Context: the thread that locked it.
 */
RESV_EXPORT void ww_mutex_unlock(struct ww_mutex *lock);

/**
 * resv_ww_mutex_ctx() - the acquire context holding a lock
 * @lock: the mutex
 *
 * The kernel's ``lock->ctx``.
 *
 * Context: any thread; the answer can be stale at once unless the caller
 * holds @lock.
 * Return: the context that holds @lock, or NULL when it is unlocked or was
 * locked without a context.
 */
RESV_EXPORT struct ww_acquire_ctx *resv_ww_mutex_ctx(const struct ww_mutex *lock);

/**
 * resv_ww_mutex_held_by_self() - does the calling thread hold the lock
 * @lock: the mutex
 *
 * Exact: true only if this thread, directly or through one of its acquire
 * contexts, holds this very mutex.
 *
 * Context: any thread.
 * Return: true when the calling thread holds @lock, false otherwise.
 */
RESV_EXPORT bool resv_ww_mutex_held_by_self(const struct ww_mutex *lock);

/**
 * resv_ww_class_set_inject() - set a class's deadlock injection
 * @ww_class: the class
 * @inject: the settings, or NULL for RESV_WW_INJECT_DEFAULT
 *
 * Applies to contexts initialised afterwards. Resets the class's
 * RESV_WW_INJECT_NTH counter.
 *
 * Context: any thread, while no other thread initialises a context of
 * @ww_class (contexts copy the settings at ww_acquire_init()).
 * Return: 0, or -EINVAL for an unknown mode, @nth 0 in NTH mode or
 * @per_million above 10^6 (nothing changed).
 */
RESV_EXPORT RESV_MUST_CHECK int resv_ww_class_set_inject(struct ww_class *ww_class,
							 const struct resv_ww_inject *inject);

/**
 * resv_ww_set_default_inject() - set the process-wide injection default
 * @inject: the settings (mode RESV_WW_INJECT_DEFAULT means off), or NULL
 *	for off
 *
 * Used by classes in RESV_WW_INJECT_DEFAULT mode. Overrides the
 * ``RESV_WW_INJECT`` environment variable.
 *
 * Context: any thread, while no other thread initialises a context.
 * Return: 0, or -EINVAL as resv_ww_class_set_inject().
 */
RESV_EXPORT RESV_MUST_CHECK int resv_ww_set_default_inject(const struct resv_ww_inject *inject);

/**
 * resv_ww_acquire_set_inject() - override injection for one context
 * @ctx: a context just initialised, holding no lock
 * @inject: the settings, or NULL for off
 *
 * The kernel selftests' ``ctx.deadlock_inject_countdown = ~0U``.
 *
 * Context: the thread that owns @ctx.
 * Return: 0, or -EINVAL as resv_ww_class_set_inject().
 */
RESV_EXPORT RESV_MUST_CHECK int resv_ww_acquire_set_inject(struct ww_acquire_ctx *ctx,
							   const struct resv_ww_inject *inject);

/**
 * resv_ww_class_get_stats() - read the counters summed over a class
 * @ww_class: the class
 * @stats: filled with the sums of every context finished so far
 *
 * Context: any thread; contexts not yet finished are not counted.
 */
RESV_EXPORT void resv_ww_class_get_stats(struct ww_class *ww_class, struct resv_ww_stats *stats);

/**
 * enum resv_ww_event_type - what a ww_mutex contention event reports
 * @RESV_WW_EVENT_WAIT: @stamp's context (0: a context-less locker) starts
 *	to sleep on @lock, held by @other_stamp's context (0: held without a
 *	context); reported once per lock call
 * @RESV_WW_EVENT_WOUND: Wound-Wait: @stamp's context, which holds locks,
 *	wounds the younger @other_stamp's context that holds or takes @lock;
 *	the wounded one backs off the next time it would have to wait
 * @RESV_WW_EVENT_DIE: @stamp's context gets -EDEADLK on @lock: in Wait-Die
 *	because @other_stamp's context, older, holds @lock or waits ahead of
 *	it; in Wound-Wait because it was wounded (@other_stamp: the holder of
 *	@lock it was about to wait for). Injected -EDEADLK are not reported
 * @RESV_WW_EVENT_ACQUIRED: @stamp's context got @lock after sleeping for
 *	it, handed over by the unlocker, or with ww_mutex_lock_slow*()
 *	(@slow; reported whether it slept or not: the end of a back-off);
 *	@other_stamp is 0
 */
enum resv_ww_event_type {
	RESV_WW_EVENT_WAIT,
	RESV_WW_EVENT_WOUND,
	RESV_WW_EVENT_DIE,
	RESV_WW_EVENT_ACQUIRED,
};

/**
 * struct resv_ww_event - one contention event, for tracers
 * @type: see &enum resv_ww_event_type
 * @lock: the mutex contended for
 * @ww_class: its class
 * @stamp: the stamp of the context the event is about (0: no context)
 * @other_stamp: the other context involved, per @type (0: none)
 * @slow: the lock call was ww_mutex_lock_slow*(), the relock after a back-off
 */
struct resv_ww_event {
	enum resv_ww_event_type type;
	const struct ww_mutex *lock;
	const struct ww_class *ww_class;
	unsigned long stamp;
	unsigned long other_stamp;
	bool slow;
};

/**
 * typedef resv_ww_event_fn - a contention event hook
 * @ev: the event, valid during the call only
 *
 * Called on the thread that makes the decision (a wound may be reported by
 * the thread that takes the lock the wounder waits for) with an internal
 * spinning lock of @ev->lock held: it must not block, lock a ww_mutex or
 * dma_resv, or wait for a fence. Recording into a per-thread buffer is the
 * intended use.
 */
typedef void (*resv_ww_event_fn)(const struct resv_ww_event *ev);

/**
 * resv_ww_set_event_hook() - install the process-wide contention event hook
 * @fn: the hook, or NULL to stop reporting
 *
 * Not in the kernel (its lock tracepoints do not tell wounds from deaths).
 * Events come only from the contended paths (a lock call that found the
 * mutex held and queued for it), so the uncontended fast paths cost nothing
 * more. The previous hook may still be running in other threads when this
 * returns: keep what it uses alive until every thread that could have
 * contended has finished.
 *
 * Context: any thread.
 */
RESV_EXPORT void resv_ww_set_event_hook(resv_ww_event_fn fn);

/**
 * resv_ww_class_reset_stats() - zero a class's counters
 * @ww_class: the class
 *
 * Context: any thread; a context finishing meanwhile may be half counted.
 */
RESV_EXPORT void resv_ww_class_reset_stats(struct ww_class *ww_class);

#ifdef __cplusplus
}
#endif

#endif /* RESV_WW_MUTEX_H */
