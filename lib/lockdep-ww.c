/* SPDX-License-Identifier: MIT */
/*
 * The lock validator's ww_mutex hooks: acquire contexts as pseudo-locks of
 * their class's "acquire" class, the locks of one context as one held entry
 * with a count, and the ww-specific checks (two contexts of a class in one
 * thread, context-less locks mixed with context locks, a blocking lock in a
 * fence signalling section). See lockdep.c for the model.
 */
#include <string.h>

#include <resv/ww_mutex.h>

#include "internal/lockdep.h"

#ifdef RESV_LOCKDEP

#include "internal/dma-fence.h"
#include "lockdep-internal.h"

/* ---- ww_mutex and acquire contexts ------------------------------------------------ */

static struct ld_class *ww_mutex_class(struct ld_thread *t, struct ww_class *wc)
{
	return ld_class_cached(t, wc, LD_KIND_WW_MUTEX, wc->mutex_name, NULL);
}

/* Keyed one byte into the ww_class: a second key for the same object. */
static struct ld_class *ww_acquire_class(struct ld_thread *t, struct ww_class *wc)
{
	const void *key = (const char *)wc + 1;
	struct ld_class *c = ld_class_lookup(t, key, LD_KIND_WW_ACQUIRE);
	bool same;

	if (likely(c))
		return c;
	/* Run-time classes name both the same: tell the context class apart. */
	same = !wc->acquire_name || !wc->mutex_name || strcmp(wc->acquire_name, wc->mutex_name) == 0;
	return ld_class_cached(t, key, LD_KIND_WW_ACQUIRE,
			       wc->acquire_name ? wc->acquire_name : wc->mutex_name,
			       same ? "_acquire" : NULL);
}

void resv__lockdep_ww_class_init(struct ww_class *ww_class)
{
	ld_class_zap(ww_class);
	ld_class_zap((const char *)ww_class + 1);
}

void resv__lockdep_ctx_init(struct ww_acquire_ctx *ctx, void *ip)
{
	struct ld_thread *t = ld_thread_self();
	struct ld_class_state *sa;
	struct ld_class *a;
	struct ld_held *old;

	if (!t || !(a = ww_acquire_class(t, ctx->ww_class)) || !(sa = ld_state(t, a)))
		return;
	old = ld_find(t, ctx, LD_HELD_CTX);
	if (old) {
		/* Re-initialised without ww_acquire_fini(): forget the old one. */
		ld_remove(t, old);
		if (ld_report_once(RESV_REPORT_LOCKDEP_WW_CTX_NESTED, a->id, (uintptr_t)ip))
			ld_report(t, RESV_REPORT_LOCKDEP_WW_CTX_NESTED, NULL, ctx, ip, NULL,
				  "ww_acquire_init() on a %s context that is still active "
				  "(no ww_acquire_fini())", a->name);
	} else if (sa->active_ctx &&
		   ld_report_once(RESV_REPORT_LOCKDEP_WW_CTX_NESTED, a->id, 0)) {
		ld_report(t, RESV_REPORT_LOCKDEP_WW_CTX_NESTED, NULL, ctx, ip,
			  "two acquire contexts of one ww class nested in one thread: locks of "
			  "the outer one are invisible to the inner one's deadlock avoidance",
			  "second %s context initialised while this thread has one active (%p)",
			  a->name, sa->active_ctx);
	}
	ld_add_deps(t, a, ip, t->depth, ctx);
	if (ld_push_held(t, a, ctx, ip, LD_HELD_CTX))
			 sa->active_ctx = ctx;
}

void resv__lockdep_ctx_fini(struct ww_acquire_ctx *ctx)
{
	struct ld_thread *t = ld_thread_peek();
	struct ld_class_state *sa;
	struct ld_class *a;
	struct ld_held *h;

	if (!t || !(h = ld_find(t, ctx, LD_HELD_CTX)))
		return;
	a = h->cls;
	ld_remove(t, h);
	sa = ld_state(t, a);
	if (!sa)
		return;
	/* The thread's active context is now the next older one, if nested. */
	sa->active_ctx = NULL;
	for (uint32_t i = t->depth; i-- > 0;) {
		if ((t->held[i].flags & LD_HELD_CTX) && t->held[i].cls == a) {
			sa->active_ctx = t->held[i].instance;
			break;
		}
	}
}

static void check_signalling_lock(struct ld_thread *t, struct ld_class *m, const void *lock,
				  void *ip)
{
	if (unlikely(resv__dma_fence_in_signalling()) &&
	    ld_report_once(RESV_REPORT_LOCKDEP_SIGNALLING_LOCK, m->id, 0))
		ld_report(t, RESV_REPORT_LOCKDEP_SIGNALLING_LOCK, lock, NULL, ip,
			  "a fence signalling critical section must not block on a ww/resv lock: "
			  "the lock holder may be waiting for the fence this section signals",
			  "blocking lock of %s inside a fence signalling critical section", m->name);
}

/* Is @top the group of @ctx's locks of @lock's class? */
static inline bool is_group_of(const struct ld_held *top, const struct ww_mutex *lock,
			       const struct ww_acquire_ctx *ctx)
{
	return top && top->instance == ctx && (top->flags & LD_HELD_GROUP) &&
	       top->cls->key == (const void *)lock->ww_class;
}

void resv__lockdep_ww_prepare(struct ww_mutex *lock, struct ww_acquire_ctx *ctx, void *ip)
{
	struct ld_thread *t = ld_thread_self();
	struct ld_class_state *sm, *sa;
	struct ld_class *m, *a;
	struct ld_held *top;

	if (!t)
		return;
	/*
	 * The hot path (drm_exec locking its objects): one more lock of the
	 * group on top. Everything but the signalling section was checked
	 * when the group started, and nothing can have changed below it.
	 */
	top = ld_top(t);
	if (ctx && is_group_of(top, lock, ctx) && !(top->flags & LD_HELD_TRYLOCK)) {
		check_signalling_lock(t, top->cls, lock, ip);
		return;
	}
	if (!(m = ww_mutex_class(t, lock->ww_class)) || !(sm = ld_state(t, m)))
		return;
	check_signalling_lock(t, m, lock, ip);
	if (!ctx) {
		if (sm->ctx_locks &&
		    ld_report_once(RESV_REPORT_LOCKDEP_WW_CTX_MIX, m->id, 0))
			ld_report(t, RESV_REPORT_LOCKDEP_WW_CTX_MIX, lock, NULL, ip,
				  "a context-less lock of a ww class is invisible to the deadlock "
				  "avoidance of the contexts that hold locks of it",
				  "ww_mutex_lock() without a context on %s while this thread holds "
				  "%u of its locks under a context", m->name, sm->ctx_locks);
		else if (sm->plain &&
			 ld_report_once(RESV_REPORT_LOCKDEP_RECURSIVE, m->id, 0))
			ld_report(t, RESV_REPORT_LOCKDEP_RECURSIVE, lock, NULL, ip, NULL,
				  "possible recursive locking: a second %s without a context while "
				  "one is held", m->name);
		ld_add_deps(t, m, ip, t->depth, lock);
		return;
	}

	/* Already reported as RESV_REPORT_WW_CLASS_MISMATCH: do not pile on. */
	if (unlikely(ctx->ww_class != lock->ww_class))
		return;
	if (!(a = ww_acquire_class(t, ctx->ww_class)) || !(sa = ld_state(t, a)))
		return;
	if (sm->plain && ld_report_once(RESV_REPORT_LOCKDEP_WW_CTX_MIX, m->id, 0))
		ld_report(t, RESV_REPORT_LOCKDEP_WW_CTX_MIX, lock, ctx, ip,
			  "a context-less lock of a ww class is invisible to the deadlock "
			  "avoidance of the contexts that hold locks of it",
			  "ww_mutex_lock() with a context on %s while this thread holds %u of its "
			  "locks without one", m->name, sm->plain);
	if (sa->active_ctx && sa->active_ctx != ctx &&
	    ld_report_once(RESV_REPORT_LOCKDEP_WW_CTX_NESTED, a->id, 1))
		ld_report(t, RESV_REPORT_LOCKDEP_WW_CTX_NESTED, lock, ctx, ip,
			  "two acquire contexts of one ww class nested in one thread: locks of "
			  "the outer one are invisible to the inner one's deadlock avoidance",
			  "%s context %p used while context %p of the class is active in this "
			  "thread", a->name, (void *)ctx, sa->active_ctx);
	top = ld_top(t);	/* a report's hook may have taken locks */
	if (is_group_of(top, lock, ctx)) {
		/* The group only trylocked so far: now it depends on what is below. */
		ld_add_deps(t, m, ip, t->depth - 1, lock);
		return;
	}
	ld_add_deps(t, m, ip, t->depth, lock);
}

void resv__lockdep_ww_acquired(struct ww_mutex *lock, struct ww_acquire_ctx *ctx, bool trylock,
			       void *ip)
{
	struct ld_thread *t = ld_thread_self();
	struct ld_class_state *sm;
	struct ld_class *m;
	struct ld_held *top;

	if (!t)
		return;
	top = ld_top(t);
	if (ctx && is_group_of(top, lock, ctx)) {
		/* Hot path; the class's state exists since the group does. */
		top->count++;
		if (!trylock)
			top->flags &= ~LD_HELD_TRYLOCK;
		t->cs[top->cls->id].ctx_locks++;
		return;
	}
	if (!(m = ww_mutex_class(t, lock->ww_class)) || !(sm = ld_state(t, m)))
		return;
	if (!ctx) {
		if (ld_push_held(t, m, lock, ip, trylock ? LD_HELD_TRYLOCK : LD_HELD_COUNTED) && !trylock)
				 sm->plain++;
		return;
	}
	if (!ld_push_held(t, m, ctx, ip, LD_HELD_GROUP | (trylock ? LD_HELD_TRYLOCK : 0)))
			  return;
	sm->ctx_locks++;
}

void resv__lockdep_ww_release(struct ww_mutex *lock, struct ww_acquire_ctx *ctx)
{
	struct ld_thread *t = ld_thread_peek();
	struct ld_class_state *s;
	struct ld_held *h = NULL;

	if (!t)
		return;
	if (ctx) {
		/* The topmost group of the context: O(1) for reverse-order unlocks. */
		for (uint32_t i = t->depth; i-- > 0;) {
			struct ld_held *e = &t->held[i];

			if (e->instance == ctx && (e->flags & LD_HELD_GROUP) &&
			    e->cls->key == (const void *)lock->ww_class) {
				h = e;
				break;
			}
		}
		if (!h)
			return;
		s = ld_state(t, h->cls);
		if (s && s->ctx_locks)
			s->ctx_locks--;
		if (--h->count == 0)
			ld_remove(t, h);
		return;
	}
	h = ld_find(t, lock, 0);
	if (!h)
		return;
	s = ld_state(t, h->cls);
	if (s && (h->flags & LD_HELD_COUNTED) && s->plain)
		s->plain--;
	ld_remove(t, h);
}

#else
typedef int resv_lockdep_compiled_out;
#endif /* RESV_LOCKDEP */
