/* SPDX-License-Identifier: MIT */
/*
 * Hooks of the lock validator (lib/lockdep*.c) and ThreadSanitizer
 * annotations, called by the library's lock implementations.
 *
 * Built without RESV_LOCKDEP every lockdep hook is an empty static inline
 * and RESV_LOCKDEP_IP() is NULL, so Release builds carry no trace of the
 * validator. With it, each hook first checks the run-time switch (one
 * relaxed load) before calling out of line; the release hooks check the
 * thread's held-lock depth instead, so that locks recorded while the
 * validator was on are still forgotten correctly after it is switched off.
 *
 * Order of calls in a lock implementation:
 *
 *	resv__lockdep_ww_prepare()	before blocking: checks, dependencies
 *	... take the lock ...
 *	resv__tsan_locked()		on success
 *	resv__lockdep_ww_acquired()	on success: push on the held stack
 *
 *	resv__lockdep_ww_release()	before releasing
 *	resv__tsan_unlocking()
 *	... release ...
 */
#ifndef RESV_INTERNAL_LOCKDEP_H
#define RESV_INTERNAL_LOCKDEP_H

#include <stdbool.h>

#include "internal/compiler.h"

struct ww_mutex;
struct ww_acquire_ctx;
struct ww_class;
struct resv_spinlock;

/* ---- entry points that carry the caller's site (ww_mutex.c) ----------------- */

/*
 * The dma_resv wrappers call these so that the validator records where
 * their caller took the lock, not where dma-resv.c calls ww_mutex_lock().
 * @ip is RESV_LOCKDEP_IP() of the public function.
 */
RESV_INTERNAL int resv__ww_mutex_lock_at(struct ww_mutex *lock, struct ww_acquire_ctx *ctx,
					 bool interruptible, void *ip);
RESV_INTERNAL int resv__ww_mutex_lock_slow_at(struct ww_mutex *lock, struct ww_acquire_ctx *ctx,
					      bool interruptible, void *ip);
RESV_INTERNAL int resv__ww_mutex_trylock_at(struct ww_mutex *lock, struct ww_acquire_ctx *ctx,
					    void *ip);

/*
 * Tests only (a no-op where the validator is compiled out): forget every
 * class, dependency and "reported once" record, while no thread holds a
 * lock.
 */
RESV_INTERNAL void resv__lockdep_reset(void);

#ifdef RESV_LOCKDEP

/* The acquisition site: the return address of the public lock function. */
#define RESV_LOCKDEP_IP() __builtin_return_address(0)

RESV_INTERNAL extern int resv__lockdep_on;
RESV_INTERNAL extern __thread unsigned int resv__lockdep_depth
	__attribute__((tls_model("initial-exec")));

RESV_INTERNAL void resv__lockdep_ww_class_init(struct ww_class *ww_class);
RESV_INTERNAL void resv__lockdep_ctx_init(struct ww_acquire_ctx *ctx, void *ip);
RESV_INTERNAL void resv__lockdep_ctx_fini(struct ww_acquire_ctx *ctx);
RESV_INTERNAL void resv__lockdep_ww_prepare(struct ww_mutex *lock, struct ww_acquire_ctx *ctx,
					    void *ip);
RESV_INTERNAL void resv__lockdep_ww_acquired(struct ww_mutex *lock, struct ww_acquire_ctx *ctx,
					     bool trylock, void *ip);
RESV_INTERNAL void resv__lockdep_ww_release(struct ww_mutex *lock, struct ww_acquire_ctx *ctx);
RESV_INTERNAL void resv__lockdep_spin_prepare(struct resv_spinlock *lock, void *ip);
RESV_INTERNAL void resv__lockdep_spin_acquired(struct resv_spinlock *lock, bool trylock,
					       void *ip);
RESV_INTERNAL void resv__lockdep_spin_release(struct resv_spinlock *lock);
RESV_INTERNAL void resv__lockdep_might_alloc(void *ip);
/* The calling thread's held locks as report detail text (free() it), or NULL. */
RESV_INTERNAL char *resv__lockdep_held_text(void);

static inline bool resv__lockdep_active(void)
{
	return resv_load_relaxed(&resv__lockdep_on) != 0;
}

static inline bool resv__lockdep_holding(void)
{
	return resv__lockdep_depth != 0;
}

#define RESV_LOCKDEP_HOOK(call)			\
	do {					\
		if (resv__lockdep_active())	\
			call;			\
	} while (0)
#define RESV_LOCKDEP_RELEASE_HOOK(call)		\
	do {					\
		if (resv__lockdep_holding())	\
			call;			\
	} while (0)

#define resv_lockdep_ww_class_init(c)	resv__lockdep_ww_class_init(c)
#define resv_lockdep_ctx_init(ctx, ip)	RESV_LOCKDEP_HOOK(resv__lockdep_ctx_init(ctx, ip))
#define resv_lockdep_ctx_fini(ctx)	RESV_LOCKDEP_RELEASE_HOOK(resv__lockdep_ctx_fini(ctx))
#define resv_lockdep_ww_prepare(l, ctx, ip) \
	RESV_LOCKDEP_HOOK(resv__lockdep_ww_prepare(l, ctx, ip))
#define resv_lockdep_ww_acquired(l, ctx, try, ip) \
	RESV_LOCKDEP_HOOK(resv__lockdep_ww_acquired(l, ctx, try, ip))
#define resv_lockdep_ww_release(l, ctx)	RESV_LOCKDEP_RELEASE_HOOK(resv__lockdep_ww_release(l, ctx))
#define resv_lockdep_spin_prepare(l, ip) RESV_LOCKDEP_HOOK(resv__lockdep_spin_prepare(l, ip))
#define resv_lockdep_spin_acquired(l, try, ip) \
	RESV_LOCKDEP_HOOK(resv__lockdep_spin_acquired(l, try, ip))
#define resv_lockdep_spin_release(l)	RESV_LOCKDEP_RELEASE_HOOK(resv__lockdep_spin_release(l))
#define resv_lockdep_might_alloc(ip)	RESV_LOCKDEP_HOOK(resv__lockdep_might_alloc(ip))
#define resv_lockdep_held_text()	(resv__lockdep_active() ? resv__lockdep_held_text() : NULL)

#else /* !RESV_LOCKDEP: every hook vanishes (arguments are only type-less no-ops) */

#define RESV_LOCKDEP_IP() ((void *)0)

#define resv_lockdep_ww_class_init(c)			((void)(c))
#define resv_lockdep_ctx_init(ctx, ip)			((void)(ctx), (void)(ip))
#define resv_lockdep_ctx_fini(ctx)			((void)(ctx))
#define resv_lockdep_ww_prepare(l, ctx, ip)		((void)(l), (void)(ctx), (void)(ip))
#define resv_lockdep_ww_acquired(l, ctx, try, ip)	((void)(l), (void)(ctx), (void)(try), (void)(ip))
#define resv_lockdep_ww_release(l, ctx)			((void)(l), (void)(ctx))
#define resv_lockdep_spin_prepare(l, ip)		((void)(l), (void)(ip))
#define resv_lockdep_spin_acquired(l, try, ip)		((void)(l), (void)(try), (void)(ip))
#define resv_lockdep_spin_release(l)			((void)(l))
#define resv_lockdep_might_alloc(ip)			((void)(ip))
#define resv_lockdep_held_text()			((char *)0)

#endif /* RESV_LOCKDEP */

/* ---- ThreadSanitizer annotations ---------------------------------------------- */

/*
 * With -fsanitize=thread, libresv's own locks tell TSan that they are
 * mutexes, so reports in users' programs name the locks held and TSan's
 * own deadlock detector sees context-less ww_mutexes and spinlocks.
 *
 * The annotations are "empty windows": resv__tsan_locked() runs
 * pre_lock + post_lock right after the lock is taken, resv__tsan_unlocking()
 * pre_unlock + post_unlock right before it is released. TSan ignores memory
 * accesses and synchronisation *inside* a window, so a window around the
 * whole lock path would hide the lock's internal synchronisation (wait
 * lists, hand-over, parking) from the paths that are not annotated; with
 * empty windows TSan keeps checking the lock implementation itself too.
 *
 * ww_mutexes locked under an acquire context are not annotated: their order
 * may legitimately invert (the ww algorithm backs off), and TSan's deadlock
 * detector aborts when one thread holds more than 64 mutexes, which a
 * drm_exec of many objects does. TSan sees their ordering through the owner
 * word's atomics; the lock validator checks their order.
 */
#ifdef RESV_TSAN
#include <sanitizer/tsan_interface.h>

#define RESV_TSAN_TRYLOCK	__tsan_mutex_try_lock

static inline void resv__tsan_create(const void *m) { __tsan_mutex_create((void *)m, 0); }
static inline void resv__tsan_destroy(const void *m) { __tsan_mutex_destroy((void *)m, 0); }
static inline void resv__tsan_locked(const void *m, unsigned int flags)
{
	__tsan_mutex_pre_lock((void *)m, flags);
	__tsan_mutex_post_lock((void *)m, flags, 0);
}
static inline void resv__tsan_unlocking(const void *m)
{
	__tsan_mutex_pre_unlock((void *)m, 0);
	__tsan_mutex_post_unlock((void *)m, 0);
}
#else
#define RESV_TSAN_TRYLOCK	0u

static inline void resv__tsan_create(const void *m) { (void)m; }
static inline void resv__tsan_destroy(const void *m) { (void)m; }
static inline void resv__tsan_locked(const void *m, unsigned int flags) { (void)m; (void)flags; }
static inline void resv__tsan_unlocking(const void *m) { (void)m; }
#endif

#endif /* RESV_INTERNAL_LOCKDEP_H */
