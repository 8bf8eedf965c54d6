/* SPDX-License-Identifier: MIT */
/*
 * Wound/wait mutexes, after the kernel's kernel/locking/ww_mutex.h and
 * mutex.c (semantics), written for userspace.
 *
 * The owner word
 * --------------
 * lock->owner holds the owner and two tag bits in one word:
 *
 *	0			unlocked, no waiters
 *	ctx | OWNER_CTX		held by acquire context ctx
 *	thread			held without a context by that thread
 *	... | OWNER_WAITERS	someone sleeps in wait_list
 *
 * so the uncontended lock is one compare-and-swap 0 -> owner and the unlock
 * one compare-and-swap owner -> 0. The kernel needs a store of lock->ctx, a
 * full barrier and a re-read of the waiters flag after its fast path because
 * owner and ctx are two words; here a waiter that sets OWNER_WAITERS sees the
 * holder's context in the same atomic operation, so there is no window in
 * which a new holder escapes the wound/die checks.
 *
 * Slow paths
 * ----------
 * While OWNER_WAITERS is set, neither fast path can succeed (both compare
 * against a word without it), so every change of the owner word goes through
 * wait_lock. Invariant, true whenever wait_lock is free:
 *
 *	wait_list non-empty  <=>  OWNER_WAITERS set  =>  the lock is held
 *
 * Unlock with waiters hands the lock directly to the first waiter (oldest
 * context first, context-less waiters in FIFO order between them), so waiters
 * are served in stamp order and never starve behind newcomers.
 *
 * Sleepers park on their own thread (internal/thread.h), which lets an
 * unlocker or a wounder wake them while holding this lock's wait_lock.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <resv/ww_mutex.h>

#include "internal/lockdep.h"
#include "internal/report.h"
#include "internal/thread.h"

#define OWNER_WAITERS	((uintptr_t)1)
#define OWNER_CTX	((uintptr_t)2)
#define OWNER_FLAGS	(OWNER_WAITERS | OWNER_CTX)
#define OWNER_TAGS	OWNER_WAITERS	/* tags that are not part of the identity */

struct ww_waiter {
	struct cds_list_head node;
	struct resv_thread *task;
	struct ww_acquire_ctx *ctx;	/* NULL for a context-less waiter */
	bool handed;			/* under wait_lock: the lock is ours */
};

/* ---- owner word helpers --------------------------------------------- */

static inline uintptr_t owner_of_ctx(struct ww_acquire_ctx *ctx)
{
	return (uintptr_t)ctx | OWNER_CTX;
}

static inline uintptr_t owner_of_thread(struct resv_thread *thread)
{
	return (uintptr_t)thread;
}

static inline uintptr_t owner_identity(uintptr_t word)
{
	return word & ~OWNER_TAGS;
}

static inline struct ww_acquire_ctx *owner_ctx(uintptr_t word)
{
	return (word & OWNER_CTX) ? (struct ww_acquire_ctx *)(word & ~OWNER_FLAGS) : NULL;
}

/* ---- the calling thread's live contexts ---------------------------------------------- */

static void active_ctx_add(struct resv_thread *self, struct ww_acquire_ctx *ctx)
{
	for (unsigned int i = 0; i < self->num_active_ctx; i++)
		if (self->active_ctx[i] == ctx)
			return;		/* re-initialised without fini */
	if (self->num_active_ctx < RESV_THREAD_ACTIVE_CTX)
		self->active_ctx[self->num_active_ctx++] = ctx;
	else
		self->active_ctx_overflow++;
}

static void active_ctx_remove(struct resv_thread *self, struct ww_acquire_ctx *ctx)
{
	for (unsigned int i = 0; i < self->num_active_ctx; i++) {
		if (self->active_ctx[i] == ctx) {
			self->active_ctx[i] = self->active_ctx[--self->num_active_ctx];
			return;
		}
	}
	if (self->active_ctx_overflow)
		self->active_ctx_overflow--;
}

/*
 * A lock of @ctx was released. A context finished with locks still held (a
 * reported misuse) stays this thread's until its last lock is unlocked, so
 * that those unlocks still work, as in the kernel.
 */
static inline void ctx_unlocked(struct ww_acquire_ctx *ctx)
{
	if (ctx->acquired > 0 && --ctx->acquired == 0 && unlikely(ctx->finished))
		active_ctx_remove(resv__thread_self(), ctx);
}

/*
 * Does @word name the calling thread, directly or through one of its live
 * contexts? Exact, and it never reads a context that is not ours: another
 * thread's may be in the middle of ww_acquire_init() or already gone with
 * its stack. Only beyond RESV_THREAD_ACTIVE_CTX nested contexts (never in
 * practice) does it fall back to reading the context's task.
 */
static bool owned_by_self(uintptr_t word)
{
	struct resv_thread *self = resv__thread_self();
	struct ww_acquire_ctx *ctx = owner_ctx(word);

	if (!ctx)
		return (word & ~OWNER_FLAGS) == (uintptr_t)self;
	for (unsigned int i = 0; i < self->num_active_ctx; i++)
		if (self->active_ctx[i] == ctx)
			return true;
	return self->active_ctx_overflow && resv_load_relaxed(&ctx->task) == self;
}

static inline uintptr_t waiter_identity(const struct ww_waiter *w)
{
	return w->ctx ? owner_of_ctx(w->ctx) : owner_of_thread(w->task);
}

/*
 * Acquire for the data the lock protects; release so that a waiter that
 * reads the owner word also sees the owning context's stamp and task.
 */
static inline bool try_acquire_fast(struct ww_mutex *lock, uintptr_t me)
{
	uintptr_t expected = 0;

	return resv_cas_acq_rel(&lock->owner, &expected, me);
}

/*
 * ThreadSanitizer sees context-less ww_mutex locking as a mutex
 * (internal/lockdep.h) whose identity is the second byte of the owner word:
 * memory only ever accessed atomically (TSan models a mutex operation as an
 * atomic read of it), yet a synchronisation object of its own (TSan matches
 * exact addresses), so the annotations never overwrite what TSan learns from
 * the owner word's atomics, which carry the real synchronisation. Locks
 * taken under a context are not annotated: their order may legitimately
 * invert, and a context may hold thousands while TSan's deadlock detector
 * aborts beyond 64 locks held by one thread.
 */
static inline const void *tsan_id(const struct ww_mutex *lock)
{
	return (const char *)&lock->owner + 1;
}

/* ---- stamps ------------------------------------------------------------ */

/* Is a younger than b? Wrap-safe: compares the signed distance. */
static inline bool ctx_younger(const struct ww_acquire_ctx *a, const struct ww_acquire_ctx *b)
{
	return (long)(a->stamp - b->stamp) > 0;
}

/* ---- deadlock injection settings ----------------------------------------- */

static struct resv_ww_inject default_inject;
static pthread_once_t default_inject_once = PTHREAD_ONCE_INIT;

static int inject_validate(const struct resv_ww_inject *inject)
{
	switch (inject->mode) {
	case RESV_WW_INJECT_DEFAULT:
	case RESV_WW_INJECT_OFF:
	case RESV_WW_INJECT_SLOWPATH:
		return 0;
	case RESV_WW_INJECT_NTH:
		return inject->nth ? 0 : -EINVAL;
	case RESV_WW_INJECT_RANDOM:
		return inject->per_million <= 1000000u ? 0 : -EINVAL;
	}
	return -EINVAL;
}

/* Settings are read racily by ww_acquire_init(): field-wise atomics. */
static void inject_store(struct resv_ww_inject *dst, const struct resv_ww_inject *src)
{
	resv_store_relaxed(&dst->nth, src->nth);
	resv_store_relaxed(&dst->period, src->period);
	resv_store_relaxed(&dst->per_million, src->per_million);
	resv_store_relaxed(&dst->seed, src->seed);
	resv_store_release(&dst->mode, src->mode);
}

static void inject_load(struct resv_ww_inject *dst, const struct resv_ww_inject *src)
{
	dst->mode = resv_load_acquire(&src->mode);
	dst->nth = resv_load_relaxed(&src->nth);
	dst->period = resv_load_relaxed(&src->period);
	dst->per_million = resv_load_relaxed(&src->per_million);
	dst->seed = resv_load_relaxed(&src->seed);
}

/* RESV_WW_INJECT=off | slowpath | nth:N[:PERIOD] | random:PPM[:SEED] */
static void default_inject_from_env(void)
{
	const char *env = getenv("RESV_WW_INJECT");
	struct resv_ww_inject inject = { .mode = RESV_WW_INJECT_OFF };
	char *end;

	if (!env || !*env)
		return;
	if (strcmp(env, "slowpath") == 0) {
		inject.mode = RESV_WW_INJECT_SLOWPATH;
	} else if (strncmp(env, "nth:", 4) == 0) {
		inject.mode = RESV_WW_INJECT_NTH;
		inject.nth = strtoull(env + 4, &end, 10);
		if (*end == ':')
			inject.period = strtoull(end + 1, &end, 10);
	} else if (strncmp(env, "random:", 7) == 0) {
		inject.mode = RESV_WW_INJECT_RANDOM;
		inject.per_million = (uint32_t)strtoul(env + 7, &end, 10);
		if (*end == ':')
			inject.seed = strtoull(end + 1, &end, 10);
	}
	if (inject_validate(&inject) == 0)
		inject_store(&default_inject, &inject);
}

int resv_ww_set_default_inject(const struct resv_ww_inject *inject)
{
	struct resv_ww_inject off = { .mode = RESV_WW_INJECT_OFF };

	if (!inject)
		inject = &off;
	if (inject_validate(inject))
		return -EINVAL;
	/* Run the environment parser first so it cannot override us later. */
	pthread_once(&default_inject_once, default_inject_from_env);
	inject_store(&default_inject, inject);
	return 0;
}

int resv_ww_class_set_inject(struct ww_class *ww_class, const struct resv_ww_inject *inject)
{
	struct resv_ww_inject def = { .mode = RESV_WW_INJECT_DEFAULT };

	if (!inject)
		inject = &def;
	if (inject_validate(inject))
		return -EINVAL;
	resv_store_relaxed(&ww_class->inject_count, 0);
	inject_store(&ww_class->inject, inject);
	return 0;
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void ctx_inject_setup(struct ww_acquire_ctx *ctx, const struct resv_ww_inject *inject)
{
	ctx->inject = *inject;
	if (ctx->inject.mode == RESV_WW_INJECT_DEFAULT)
		ctx->inject.mode = RESV_WW_INJECT_OFF;
	/* The kernel's CONFIG_DEBUG_WW_MUTEX_SLOWPATH start values. */
	ctx->inject_interval = 1;
	ctx->inject_countdown = (unsigned int)(ctx->stamp & 0xf);
	/* Per-context stream: replays for the same seed and stamp. */
	ctx->inject_rng = inject->seed ^ (ctx->stamp * 0xd1342543de82ef95ull);
}

int resv_ww_acquire_set_inject(struct ww_acquire_ctx *ctx, const struct resv_ww_inject *inject)
{
	struct resv_ww_inject off = { .mode = RESV_WW_INJECT_OFF };

	if (!inject)
		inject = &off;
	if (inject_validate(inject))
		return -EINVAL;
	ctx_inject_setup(ctx, inject);
	return 0;
}

static bool inject_now(struct ww_acquire_ctx *ctx)
{
	uint64_t n;

	switch (ctx->inject.mode) {
	case RESV_WW_INJECT_SLOWPATH:
		if (ctx->inject_countdown-- != 0)
			return false;
		if (ctx->inject_interval > UINT_MAX / 4)
			ctx->inject_interval = UINT_MAX;
		else
			ctx->inject_interval = ctx->inject_interval * 7 / 2;
		ctx->inject_countdown = ctx->inject_interval;
		return true;
	case RESV_WW_INJECT_NTH:
		n = resv_add_relaxed(&ctx->ww_class->inject_count, 1);
		if (n == ctx->inject.nth)
			return true;
		return ctx->inject.period && n > ctx->inject.nth &&
		       (n - ctx->inject.nth) % ctx->inject.period == 0;
	case RESV_WW_INJECT_RANDOM:
		return splitmix64(&ctx->inject_rng) % 1000000u < ctx->inject.per_million;
	default:
		return false;
	}
}

/* ---- classes, mutexes, contexts ---------------------------------------- */

void resv_ww_class_init(struct ww_class *ww_class, const char *name, bool is_wait_die)
{
	memset(ww_class, 0, sizeof(*ww_class));
	ww_class->acquire_name = name;
	ww_class->mutex_name = name;
	ww_class->is_wait_die = is_wait_die;
	resv_lockdep_ww_class_init(ww_class);	/* a new class for the validator */
}

int resv_ww_class_set_algorithm(struct ww_class *ww_class, bool wait_die)
{
	if (!ww_class)
		return -EINVAL;
	/*
	 * A relaxed store: the caller guarantees no context is live, and the
	 * next ww_acquire_init() is ordered after this by whatever the
	 * program uses to start its transactions (a thread start, a lock).
	 */
	resv_store_relaxed(&ww_class->is_wait_die, wait_die ? 1u : 0u);
	return 0;
}

void ww_mutex_init(struct ww_mutex *lock, struct ww_class *ww_class)
{
	lock->owner = 0;
	pthread_mutex_init(&lock->wait_lock, NULL);
	CDS_INIT_LIST_HEAD(&lock->wait_list);
	lock->ww_class = ww_class;
	resv__tsan_create(tsan_id(lock));
}

void ww_mutex_destroy(struct ww_mutex *lock)
{
	uintptr_t word = resv_load_relaxed(&lock->owner);

	if (RESV_DEBUG_ON(word != 0))
		resv__report(RESV_REPORT_DESTROY_LOCKED, lock, owner_ctx(word),
			     "ww_mutex_destroy() on a held %s", lock->ww_class->mutex_name);
	/*
	 * Held by us: the validator and TSan forget it as if unlocked (the
	 * memory is about to go, and TSan would report the misuse again).
	 * Held by another thread: leave their books alone.
	 */
	if (word != 0 && owned_by_self(word)) {
		resv_lockdep_ww_release(lock, owner_ctx(word));
		if (!owner_ctx(word))
			resv__tsan_unlocking(tsan_id(lock));
	}
	if (word == 0 || owned_by_self(word))
		resv__tsan_destroy(tsan_id(lock));
	pthread_mutex_destroy(&lock->wait_lock);
}

bool ww_mutex_is_locked(struct ww_mutex *lock)
{
	return owner_identity(resv_load_relaxed(&lock->owner)) != 0;
}

struct ww_acquire_ctx *resv_ww_mutex_ctx(const struct ww_mutex *lock)
{
	return owner_ctx(resv_load_relaxed(&lock->owner));
}

bool resv_ww_mutex_held_by_self(const struct ww_mutex *lock)
{
	uintptr_t word = resv_load_relaxed(&lock->owner);

	return owner_identity(word) != 0 && owned_by_self(word);
}

void ww_acquire_init(struct ww_acquire_ctx *ctx, struct ww_class *ww_class)
{
	struct resv_ww_inject inject;

	resv_store_relaxed(&ctx->task, resv__thread_self());
	active_ctx_add(resv__thread_self(), ctx);
	ctx->stamp = __atomic_add_fetch(&ww_class->stamp, 1, __ATOMIC_RELAXED);
	ctx->acquired = 0;
	ctx->wounded = 0;
	ctx->is_wait_die = (unsigned short)ww_class->is_wait_die;
	ctx->ww_class = ww_class;
	ctx->done_acquire = 0;
	ctx->finished = 0;
	ctx->contending_lock = NULL;
	memset(&ctx->stats, 0, sizeof(ctx->stats));

	inject_load(&inject, &ww_class->inject);
	if (inject.mode == RESV_WW_INJECT_DEFAULT) {
		pthread_once(&default_inject_once, default_inject_from_env);
		inject_load(&inject, &default_inject);
	}
	ctx_inject_setup(ctx, &inject);
	resv_lockdep_ctx_init(ctx, RESV_LOCKDEP_IP());
}

void ww_acquire_done(struct ww_acquire_ctx *ctx)
{
	ctx->done_acquire = 1;
}

static void stats_add(uint64_t *sum, uint64_t value)
{
	if (value)	/* most counters stay 0: skip the atomic */
		resv_add_relaxed(sum, value);
}

void ww_acquire_fini(struct ww_acquire_ctx *ctx)
{
	struct resv_ww_stats *sum = &ctx->ww_class->stats;

	if (RESV_DEBUG_ON(ctx->finished)) {
		resv__report(RESV_REPORT_WW_FINI_TWICE, NULL, ctx,
			     "ww_acquire_fini() twice on a %s context", ctx->ww_class->acquire_name);
		return;
	}
	if (RESV_DEBUG_ON(ctx->acquired))
		resv__report(RESV_REPORT_WW_FINI_HELD, NULL, ctx,
			     "ww_acquire_fini() with %u lock(s) still held", ctx->acquired);
	ctx->finished = 1;
	if (!ctx->acquired)
		active_ctx_remove(resv__thread_self(), ctx);
	resv_lockdep_ctx_fini(ctx);

	stats_add(&sum->transactions, 1);
	stats_add(&sum->acquires, ctx->stats.acquires);
	stats_add(&sum->contended, ctx->stats.contended);
	stats_add(&sum->deadlocks, ctx->stats.deadlocks);
	stats_add(&sum->wounds, ctx->stats.wounds);
	stats_add(&sum->wounded, ctx->stats.wounded);
	stats_add(&sum->injected, ctx->stats.injected);
	stats_add(&sum->already, ctx->stats.already);
	stats_add(&sum->interrupted, ctx->stats.interrupted);
}

void resv_ww_class_get_stats(struct ww_class *ww_class, struct resv_ww_stats *stats)
{
	const struct resv_ww_stats *s = &ww_class->stats;

	stats->transactions = resv_load_relaxed(&s->transactions);
	stats->acquires = resv_load_relaxed(&s->acquires);
	stats->contended = resv_load_relaxed(&s->contended);
	stats->deadlocks = resv_load_relaxed(&s->deadlocks);
	stats->wounds = resv_load_relaxed(&s->wounds);
	stats->wounded = resv_load_relaxed(&s->wounded);
	stats->injected = resv_load_relaxed(&s->injected);
	stats->already = resv_load_relaxed(&s->already);
	stats->interrupted = resv_load_relaxed(&s->interrupted);
}

void resv_ww_class_reset_stats(struct ww_class *ww_class)
{
	struct resv_ww_stats *s = &ww_class->stats;

	resv_store_relaxed(&s->transactions, 0);
	resv_store_relaxed(&s->acquires, 0);
	resv_store_relaxed(&s->contended, 0);
	resv_store_relaxed(&s->deadlocks, 0);
	resv_store_relaxed(&s->wounds, 0);
	resv_store_relaxed(&s->wounded, 0);
	resv_store_relaxed(&s->injected, 0);
	resv_store_relaxed(&s->already, 0);
	resv_store_relaxed(&s->interrupted, 0);
}

/* ---- contention events (resv_ww_set_event_hook()) -------------------------- */

static resv_ww_event_fn ww_event_hook;

void resv_ww_set_event_hook(resv_ww_event_fn fn)
{
	__atomic_store_n(&ww_event_hook, fn, __ATOMIC_RELEASE);
}

/* Slow paths only: one load when nobody listens. */
static void ww_event(enum resv_ww_event_type type, const struct ww_mutex *lock,
		     const struct ww_acquire_ctx *ctx, const struct ww_acquire_ctx *other,
		     bool slow)
{
	resv_ww_event_fn fn = __atomic_load_n(&ww_event_hook, __ATOMIC_ACQUIRE);
	struct resv_ww_event ev;

	if (likely(!fn))
		return;
	ev = (struct resv_ww_event){
		.type = type,
		.lock = lock,
		.ww_class = lock->ww_class,
		.stamp = ctx ? ctx->stamp : 0,
		.other_stamp = other ? other->stamp : 0,
		.slow = slow,
	};
	fn(&ev);
}

/* ---- the wound / die decisions (under wait_lock) ------------------------- */

/*
 * Back off: only a context that holds locks can be part of a cycle, so only
 * such a context is ever killed.
 */
static int ww_kill(struct ww_mutex *lock, struct ww_acquire_ctx *ctx,
		   const struct ww_acquire_ctx *other)
{
	if (!ctx->acquired)
		return 0;
	ctx->contending_lock = lock;
	ctx->stats.deadlocks++;
	ww_event(RESV_WW_EVENT_DIE, lock, ctx, other, false);
	return -EDEADLK;
}

/*
 * Wait-Die: wake @waiter if it is younger than @ctx and holds locks, so that
 * it re-checks and dies. Returns whether the class is Wait-Die (which ends the
 * caller's scan: only the first context waiter can hold locks).
 */
static bool ww_die(struct ww_waiter *waiter, struct ww_acquire_ctx *ctx)
{
	if (!ctx->is_wait_die)
		return false;
	if (waiter->ctx->acquired > 0 && ctx_younger(waiter->ctx, ctx))
		resv__thread_wake(waiter->task);
	return true;
}

/*
 * Wound-Wait: @ctx (a waiter that holds locks) wounds the younger @hold_ctx,
 * which backs off the next time it must block while holding locks. Returns
 * whether it wounded.
 */
static bool ww_wound(struct ww_mutex *lock, struct ww_acquire_ctx *ctx,
		     struct ww_acquire_ctx *hold_ctx)
{
	if (!hold_ctx || hold_ctx == ctx)
		return false;
	if (ctx->acquired > 0 && ctx_younger(hold_ctx, ctx)) {
		if (!resv_load_relaxed(&hold_ctx->wounded)) {
			ctx->stats.wounds++;
			ww_event(RESV_WW_EVENT_WOUND, lock, ctx, hold_ctx, false);
		}
		resv_store_relaxed(&hold_ctx->wounded, 1);
		/* It may sleep on another lock: make it re-check and die there. */
		if (hold_ctx->task != ctx->task)
			resv__thread_wake(hold_ctx->task);
		return true;
	}
	return false;
}

/* A context became the holder while others wait: let them wound or die. */
static void ww_check_waiters(struct ww_mutex *lock, struct ww_acquire_ctx *hold_ctx)
{
	struct ww_waiter *cur;

	cds_list_for_each_entry(cur, &lock->wait_list, node) {
		if (!cur->ctx)
			continue;
		if (ww_die(cur, hold_ctx) || ww_wound(lock, cur->ctx, hold_ctx))
			break;
	}
}

/*
 * Queue @waiter: contexts in stamp order, context-less waiters at the tail.
 * A Wait-Die context that would queue behind an older one while holding
 * locks dies instead (-EDEADLK, not queued). Younger waiters it overtakes
 * are woken so they can die.
 */
static int ww_add_waiter(struct ww_mutex *lock, struct ww_waiter *waiter)
{
	struct ww_acquire_ctx *ctx = waiter->ctx;
	struct ww_waiter *cur, *pos = NULL;

	if (!ctx) {
		cds_list_add_tail(&waiter->node, &lock->wait_list);
		return 0;
	}
	/* Walk from the tail; stop at the first context older than us. */
	for (cur = cds_list_entry(lock->wait_list.prev, struct ww_waiter, node);
	     &cur->node != &lock->wait_list;
	     cur = cds_list_entry(cur->node.prev, struct ww_waiter, node)) {
		if (!cur->ctx)
			continue;
		if (ctx_younger(ctx, cur->ctx)) {
			if (ctx->is_wait_die) {
				int ret = ww_kill(lock, ctx, cur->ctx);

				if (ret)
					return ret;
			}
			break;
		}
		pos = cur;
		ww_die(cur, ctx);
	}
	if (pos)
		cds_list_add_tail(&waiter->node, &pos->node);	/* before pos */
	else
		cds_list_add_tail(&waiter->node, &lock->wait_list);
	return 0;
}

/* Re-checked on every wake-up: must this waiter back off now? */
static int ww_check_kill(struct ww_mutex *lock, struct ww_waiter *waiter)
{
	struct ww_acquire_ctx *ctx = waiter->ctx;
	struct ww_acquire_ctx *hold_ctx = owner_ctx(resv_load_relaxed(&lock->owner));
	struct ww_waiter *cur;

	if (!ctx->acquired)
		return 0;
	if (!ctx->is_wait_die) {
		if (resv_load_relaxed(&ctx->wounded)) {
			ctx->stats.wounded++;
			return ww_kill(lock, ctx, hold_ctx);
		}
		return 0;
	}
	if (hold_ctx && ctx_younger(ctx, hold_ctx))
		return ww_kill(lock, ctx, hold_ctx);
	/* A context queued ahead of us is older: we would only wait for it. */
	for (cur = cds_list_entry(waiter->node.prev, struct ww_waiter, node);
	     &cur->node != &lock->wait_list;
	     cur = cds_list_entry(cur->node.prev, struct ww_waiter, node)) {
		if (cur->ctx)
			return ww_kill(lock, ctx, cur->ctx);
	}
	return 0;
}

/* ---- lock / unlock --------------------------------------------------------- */

/* Leave the wait list without the lock; keeps the OWNER_WAITERS invariant. */
static void ww_remove_waiter(struct ww_mutex *lock, struct ww_waiter *waiter)
{
	cds_list_del(&waiter->node);
	/*
	 * Release: with the flag gone the holder may unlock on its fast path,
	 * without wait_lock; what we read of its context must come before.
	 */
	if (cds_list_empty(&lock->wait_list))
		__atomic_fetch_and(&lock->owner, ~OWNER_WAITERS, __ATOMIC_RELEASE);
}

/*
 * Before queueing, spin a little while the lock is held and nobody waits:
 * most critical sections are short and sleeping costs two context switches
 * plus a hand-over to a thread that is not running. Bounded (about a
 * microsecond), so a wound or die decision is delayed, never skipped; and it
 * stops as soon as anyone queues, so queued waiters keep their order.
 */
#define WW_SPIN_TRIES 128

static bool ww_spin_acquire(struct ww_mutex *lock, uintptr_t me)
{
	for (int i = 0; i < WW_SPIN_TRIES; i++) {
		uintptr_t word = resv_load_relaxed(&lock->owner);

		if (word & OWNER_WAITERS)
			return false;
		if (word == 0 && try_acquire_fast(lock, me))
			return true;
		resv_cpu_relax();
	}
	return false;
}

static int ww_lock_slowpath(struct ww_mutex *lock, struct ww_acquire_ctx *ctx,
			    uintptr_t me, bool interruptible, bool slow)
{
	struct ww_waiter waiter = { .task = resv__thread_self(), .ctx = ctx };
	uintptr_t old;
	bool slept = false;
	int ret;

	pthread_mutex_lock(&lock->wait_lock);
	/* The holder may have left since the fast path looked. */
	if (try_acquire_fast(lock, me))
		goto out_unlock;

	ret = ww_add_waiter(lock, &waiter);
	if (ret)
		goto err_unlock;

	old = __atomic_fetch_or(&lock->owner, OWNER_WAITERS, __ATOMIC_ACQ_REL);
	if (owner_identity(old) == 0) {
		/*
		 * Freed between our try and setting the flag. The list was
		 * empty before us (otherwise the flag was set and the lock
		 * could not be freed without wait_lock), so we are the only
		 * waiter: take it.
		 */
		cds_list_del(&waiter.node);
		resv_store_relaxed(&lock->owner, me);
		goto out_unlock;
	}
	/* Wound-Wait: a younger holder must make way for us. */
	if (ctx && !ctx->is_wait_die)
		ww_wound(lock, ctx, owner_ctx(old));

	for (;;) {
		if (waiter.handed)
			break;
		if (interruptible && resv__thread_interrupted(waiter.task)) {
			ret = -EINTR;
			if (ctx)
				ctx->stats.interrupted++;
			goto err_remove;
		}
		if (ctx) {
			ret = ww_check_kill(lock, &waiter);
			if (ret)
				goto err_remove;
		}
		if (!slept)
			ww_event(RESV_WW_EVENT_WAIT, lock, ctx,
				 owner_ctx(resv_load_relaxed(&lock->owner)), slow);
		pthread_mutex_unlock(&lock->wait_lock);
		resv__thread_park(waiter.task, interruptible);
		slept = true;
		pthread_mutex_lock(&lock->wait_lock);
	}
	/* Handed over by the unlocker, which already dequeued us. */
	if (ctx && slept) {
		ctx->stats.contended++;
		if (!slow)	/* the slow lock reports itself, slept or not */
			ww_event(RESV_WW_EVENT_ACQUIRED, lock, ctx, NULL, false);
	}
out_unlock:
	pthread_mutex_unlock(&lock->wait_lock);
	return 0;

err_remove:
	ww_remove_waiter(lock, &waiter);
err_unlock:
	pthread_mutex_unlock(&lock->wait_lock);
	return ret;
}

/* Debug checks and bookkeeping once @ctx holds @lock (kernel: ww_mutex_lock_acquired). */
static void ww_lock_acquired(struct ww_mutex *lock, struct ww_acquire_ctx *ctx, bool slow)
{
	if (RESV_DEBUG_BUILD) {
		if (unlikely(ctx->done_acquire))
			resv__report(RESV_REPORT_WW_LOCK_AFTER_DONE, lock, ctx,
				     "%s locked after ww_acquire_done()", lock->ww_class->mutex_name);
		if (unlikely(ctx->contending_lock)) {
			if (ctx->contending_lock != lock)
				resv__report(RESV_REPORT_WW_WRONG_RELOCK, lock, ctx,
					     "after -EDEADLK on %p the context locked %p instead",
					     (void *)ctx->contending_lock, (void *)lock);
			else if (ctx->acquired > 0 && !slow)	/* slow: SLOW_WITH_LOCKS said it */
				resv__report(RESV_REPORT_WW_WRONG_RELOCK, lock, ctx,
					     "relocked the contended lock with %u lock(s) still held",
					     ctx->acquired);
			ctx->contending_lock = NULL;
		}
		if (unlikely(ctx->ww_class != lock->ww_class))
			resv__report(RESV_REPORT_WW_CLASS_MISMATCH, lock, ctx,
				     "%s context used on a %s", ctx->ww_class->acquire_name,
				     lock->ww_class->mutex_name);
	}
	ctx->acquired++;
	ctx->stats.acquires++;
}

static int ww_lock_common(struct ww_mutex *lock, struct ww_acquire_ctx *ctx,
			  bool interruptible, bool may_inject, void *ip)
{
	uintptr_t me;
	int ret = 0;

	if (!ctx) {
		me = owner_of_thread(resv__thread_self());
		resv_lockdep_ww_prepare(lock, NULL, ip);
		if (unlikely(!try_acquire_fast(lock, me)) && !ww_spin_acquire(lock, me))
			ret = ww_lock_slowpath(lock, NULL, me, interruptible, false);
		if (!ret) {
			resv__tsan_locked(tsan_id(lock), 0);
			resv_lockdep_ww_acquired(lock, NULL, false, ip);
		}
		return ret;
	}

	me = owner_of_ctx(ctx);
	if (unlikely(owner_identity(resv_load_relaxed(&lock->owner)) == me)) {
		ctx->stats.already++;
		return -EALREADY;
	}
	/* A context that holds nothing starts clean: an old wound is moot. */
	if (ctx->acquired == 0 && unlikely(resv_load_relaxed(&ctx->wounded)))
		resv_store_relaxed(&ctx->wounded, 0);

	resv_lockdep_ww_prepare(lock, ctx, ip);
	if (unlikely(!try_acquire_fast(lock, me)) && !ww_spin_acquire(lock, me)) {
		ret = ww_lock_slowpath(lock, ctx, me, interruptible, !may_inject);
		if (ret)
			return ret;
	}
	ww_lock_acquired(lock, ctx, !may_inject);
	resv_lockdep_ww_acquired(lock, ctx, false, ip);
	if (!may_inject)	/* ww_mutex_lock_slow*(): the end of a back-off */
		ww_event(RESV_WW_EVENT_ACQUIRED, lock, ctx, NULL, true);

	if (may_inject && ctx->acquired > 1 && unlikely(ctx->inject.mode > RESV_WW_INJECT_OFF) &&
	    inject_now(ctx)) {
		/* A well-formed back-off: the lock is released again. */
		ww_mutex_unlock(lock);
		ctx->contending_lock = lock;
		ctx->stats.acquires--;	/* -EDEADLK means "not acquired" */
		ctx->stats.injected++;
		return -EDEADLK;
	}
	return 0;
}

int resv__ww_mutex_lock_at(struct ww_mutex *lock, struct ww_acquire_ctx *ctx, bool interruptible,
			   void *ip)
{
	return ww_lock_common(lock, ctx, interruptible, true, ip);
}

int ww_mutex_lock(struct ww_mutex *lock, struct ww_acquire_ctx *ctx)
{
	return ww_lock_common(lock, ctx, false, true, RESV_LOCKDEP_IP());
}

int ww_mutex_lock_interruptible(struct ww_mutex *lock, struct ww_acquire_ctx *ctx)
{
	return ww_lock_common(lock, ctx, true, true, RESV_LOCKDEP_IP());
}

static void ww_slow_checks(struct ww_mutex *lock, struct ww_acquire_ctx *ctx)
{
	if (RESV_DEBUG_ON(ctx->acquired > 0))
		resv__report(RESV_REPORT_SLOW_WITH_LOCKS, lock, ctx,
			     "ww_mutex_lock_slow() with %u lock(s) of the context held",
			     ctx->acquired);
}

int resv__ww_mutex_lock_slow_at(struct ww_mutex *lock, struct ww_acquire_ctx *ctx,
				bool interruptible, void *ip)
{
	ww_slow_checks(lock, ctx);
	/* Cannot fail with nothing held; -EALREADY would be a caller bug. */
	return ww_lock_common(lock, ctx, interruptible, false, ip);
}

void ww_mutex_lock_slow(struct ww_mutex *lock, struct ww_acquire_ctx *ctx)
{
	(void)resv__ww_mutex_lock_slow_at(lock, ctx, false, RESV_LOCKDEP_IP());
}

int ww_mutex_lock_slow_interruptible(struct ww_mutex *lock, struct ww_acquire_ctx *ctx)
{
	return resv__ww_mutex_lock_slow_at(lock, ctx, true, RESV_LOCKDEP_IP());
}

int resv__ww_mutex_trylock_at(struct ww_mutex *lock, struct ww_acquire_ctx *ctx, void *ip)
{
	if (!ctx) {
		if (!try_acquire_fast(lock, owner_of_thread(resv__thread_self())))
			return 0;
		resv__tsan_locked(tsan_id(lock), RESV_TSAN_TRYLOCK);
		resv_lockdep_ww_acquired(lock, NULL, true, ip);
		return 1;
	}

	if (ctx->acquired == 0 && unlikely(resv_load_relaxed(&ctx->wounded)))
		resv_store_relaxed(&ctx->wounded, 0);
	/*
	 * Succeeds only on the word 0, i.e. with no waiters, so unlike the
	 * kernel there is no queue to check for wound/die afterwards.
	 */
	if (!try_acquire_fast(lock, owner_of_ctx(ctx)))
		return 0;
	ww_lock_acquired(lock, ctx, false);
	resv_lockdep_ww_acquired(lock, ctx, true, ip);
	return 1;
}

int ww_mutex_trylock(struct ww_mutex *lock, struct ww_acquire_ctx *ctx)
{
	return resv__ww_mutex_trylock_at(lock, ctx, RESV_LOCKDEP_IP());
}

static void ww_unlock_slowpath(struct ww_mutex *lock)
{
	struct ww_waiter *first;
	uintptr_t next;

	pthread_mutex_lock(&lock->wait_lock);
	if (cds_list_empty(&lock->wait_list)) {
		/* The waiters all left (died, interrupted) since we looked. */
		resv_store_release(&lock->owner, 0);
		goto out;
	}
	first = cds_list_first_entry(&lock->wait_list, struct ww_waiter, node);
	cds_list_del(&first->node);
	first->handed = true;
	next = waiter_identity(first);
	if (!cds_list_empty(&lock->wait_list))
		next |= OWNER_WAITERS;
	resv_store_release(&lock->owner, next);
	if (first->ctx && (next & OWNER_WAITERS))
		ww_check_waiters(lock, first->ctx);
	resv__thread_wake(first->task);
out:
	pthread_mutex_unlock(&lock->wait_lock);
}

void ww_mutex_unlock(struct ww_mutex *lock)
{
	uintptr_t word = resv_load_relaxed(&lock->owner);
	uintptr_t me = owner_identity(word);
	struct ww_acquire_ctx *ctx = owner_ctx(word);

	if (RESV_DEBUG_ON(me == 0 || !owned_by_self(word))) {
		resv__report(RESV_REPORT_UNLOCK_NOT_HELD, lock, ctx,
			     "unlocking a %s this thread does not hold",
			     lock->ww_class ? lock->ww_class->mutex_name : "ww_mutex");
		return;
	}
	resv_lockdep_ww_release(lock, ctx);
	if (!ctx)
		resv__tsan_unlocking(tsan_id(lock));
	/*
	 * Acquire too: pairs with a departing waiter's release
	 * (ww_remove_waiter()). The count drops after the CAS so that the CAS
	 * does not wait for the store; only this thread writes it, and a
	 * momentarily high count read by a waker costs at most a spurious
	 * wake-up.
	 */
	if (likely(resv_cas_acq_rel(&lock->owner, &me, 0))) {
		if (ctx)
			ctx_unlocked(ctx);
		return;
	}
	if (ctx)
		ctx_unlocked(ctx);
	ww_unlock_slowpath(lock);
}
