/* SPDX-License-Identifier: MIT */
/*
 * The lock validator: the hooks the library's locks call
 * (lib/internal/lockdep.h), the public annotation API (<resv/lockdep.h>),
 * and the checks themselves. The held-lock stack is in lockdep-held.c,
 * the classes and the dependency graph in lockdep-graph.c.
 *
 * What is a dependency: when a thread takes a lock of class B (blocking)
 * while it holds a lock of class A, "A -> B" is recorded, from the most
 * recent held lock only (plus trylocked ones above it), as in the kernel:
 * the locks below already lead to it. A new dependency that closes a cycle
 * is a possible deadlock. Trylocks add none, since they cannot wait.
 *
 * ww_mutexes: locks of one class under one acquire context are one held
 * entry with a count and never depend on each other (the ww algorithm
 * backs off instead of deadlocking). The context itself is a held
 * pseudo-lock of the class's "acquire" class from ww_acquire_init() to
 * ww_acquire_fini(), like the kernel's ww_class->acquire_key, so that the
 * locks taken before a transaction order before all of its locks.
 *
 * Reclaim is a pseudo-lock too (the kernel's fs_reclaim map): held across
 * a resv_lockdep_reclaim_begin() section, and "acquired" for an instant by
 * every library allocation. A lock taken inside reclaim gets
 * "reclaim -> lock"; an allocation under it adds "lock -> reclaim": a cycle.
 *
 * Without RESV_LOCKDEP only the public API remains, as no-ops.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <resv/lockdep.h>
#include <resv/spinlock.h>
#include <resv/ww_mutex.h>

#include "internal/lockdep.h"

#ifdef RESV_LOCKDEP

#include "internal/dma-fence.h"
#include "internal/report.h"
#include "lockdep-internal.h"

int resv__lockdep_on = 1;
static int lockdep_failed;

/* RESV_LOCKDEP=0 in the environment starts with the validator off. */
__attribute__((constructor)) static void lockdep_from_env(void)
{
	const char *env = getenv("RESV_LOCKDEP");

	if (env && strcmp(env, "0") == 0)
		resv_store_relaxed(&resv__lockdep_on, 0);
}

void ld_fail(const char *why)
{
	if (__atomic_exchange_n(&lockdep_failed, 1, __ATOMIC_RELAXED) == 0)
		fprintf(stderr, "libresv lockdep: %s; the validator is now off\n", why);
	resv_store_relaxed(&resv__lockdep_on, 0);
}

/* Keys of the pseudo-classes; only their addresses matter. */
static const struct resv_lockdep_class_key spin_shared_key = { "resv_spinlock" };
static const struct resv_lockdep_class_key reclaim_key = { "reclaim" };

/* ---- reports -------------------------------------------------------------------- */

/*
 * Deliver a report whose detail is @intro (may be NULL), the site, and the
 * locks this thread holds.
 */
void ld_report(struct ld_thread *t, enum resv_report_kind kind, const void *lock,
	       const void *ctx, void *ip, const char *intro, const char *fmt, ...)
{
	struct ld_buf buf = { 0 };
	char message[256];
	char *detail;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	ld_buf_printf(&buf, "%s\n", intro ? intro : message);
	if (ip) {
		ld_buf_printf(&buf, "  at ");
		ld_buf_site(&buf, ip);
		ld_buf_printf(&buf, "\n");
	}
	ld_describe_held_section(t, &buf);
	detail = ld_buf_take(&buf);
	resv__report_detail(kind, lock, ctx, detail, "%s", message);
	free(detail);
}

static void report_cycle(struct ld_thread *t, struct ld_cycle_report *r, const void *lock)
{
	struct ld_buf buf = { 0 };
	char *detail;

	ld_buf_printf(&buf, "%s", r->detail ? r->detail : "");
	ld_describe_held_section(t, &buf);
	detail = ld_buf_take(&buf);
	resv__report_detail(r->kind, lock, NULL, detail, "%s", r->message);
	free(detail);
	free(r->detail);
}

/* ---- dependencies ---------------------------------------------------------------- */

/*
 * "mutex -> acquire" within one ww_class (a context started while holding a
 * lock of its own class) only arises from nesting contexts or mixing
 * context-less locks, which have their own reports (WW_CTX_NESTED,
 * WW_CTX_MIX); the cycle it closes with "acquire -> mutex" would say the
 * same again, so it is not recorded.
 */
static bool ww_back_to_acquire(const struct ld_class *from, const struct ld_class *to)
{
	return from->kind == LD_KIND_WW_MUTEX && to->kind == LD_KIND_WW_ACQUIRE &&
	       (const char *)from->key + 1 == (const char *)to->key;
}

/*
 * "held -> @to" for the topmost held entry below index @below that is not a
 * trylock, and for the trylocked entries above it.
 */
void ld_add_deps(struct ld_thread *t, struct ld_class *to, void *ip, uint32_t below,
		 const void *lock)
{
	for (uint32_t i = below; i-- > 0;) {
		struct ld_held *h = &t->held[i];
		bool trylock = h->flags & LD_HELD_TRYLOCK;

		if (h->cls != to && !ww_back_to_acquire(h->cls, to) && !ld_edge_cached(t, h->cls, to)) {
			struct ld_cycle_report r;

			if (ld_graph_add_edge(h->cls, h->ip, to, ip, &r))
				report_cycle(t, &r, lock);	/* may move t->held */
		}
		if (!trylock)
			break;
	}
}

struct ld_held *ld_push_held(struct ld_thread *t, struct ld_class *cls, const void *instance,
			     void *ip, unsigned int flags)
{
	if (t->reclaim_depth && !(flags & LD_HELD_TRYLOCK) && cls->kind != LD_KIND_RECLAIM)
		__atomic_fetch_or(&cls->flags, LD_CLASS_RECLAIM_TAINTED, __ATOMIC_RELAXED);
	return ld_push(t, cls, instance, ip, flags);
}

/* ---- resv_spinlock ------------------------------------------------------------------- */

static struct ld_class *spin_class(struct ld_thread *t, const struct resv_spinlock *lock)
{
	const struct resv_lockdep_class_key *key = lock->lockdep_key;

	if (!key)
		return ld_class_cached(t, &spin_shared_key, LD_KIND_SPIN_SHARED,
				       spin_shared_key.name, NULL);
	return ld_class_cached(t, key, LD_KIND_SPIN, key->name ? key->name : "resv_spinlock(key)",
			       NULL);
}

void resv__lockdep_spin_prepare(struct resv_spinlock *lock, void *ip)
{
	struct ld_thread *t = ld_thread_self();
	struct ld_class_state *s;
	struct ld_class *c;

	if (!t || !(c = spin_class(t, lock)) || !(s = ld_state(t, c)))
		return;
	if (c->check_recursion && s->plain &&
	    ld_report_once(RESV_REPORT_LOCKDEP_RECURSIVE, c->id, 0))
		ld_report(t, RESV_REPORT_LOCKDEP_RECURSIVE, lock, NULL, ip, NULL,
			  "possible recursive locking: a second spinlock of class %s while one "
			  "is held", c->name);
	ld_add_deps(t, c, ip, t->depth, lock);
}

void resv__lockdep_spin_acquired(struct resv_spinlock *lock, bool trylock, void *ip)
{
	struct ld_thread *t = ld_thread_self();
	struct ld_class_state *s;
	struct ld_class *c;

	if (!t || !(c = spin_class(t, lock)) || !(s = ld_state(t, c)))
		return;
	if (ld_push_held(t, c, lock, ip, trylock ? LD_HELD_TRYLOCK : LD_HELD_COUNTED) && !trylock)
			 s->plain++;
}

void resv__lockdep_spin_release(struct resv_spinlock *lock)
{
	struct ld_thread *t = ld_thread_peek();
	struct ld_class_state *s;
	struct ld_held *h;

	if (!t || !(h = ld_find(t, lock, 0)))
		return;
	s = ld_state(t, h->cls);
	if (s && (h->flags & LD_HELD_COUNTED) && s->plain)
		s->plain--;
	ld_remove(t, h);
}

/* ---- allocations and reclaim ---------------------------------------------------------- */

static struct ld_class *reclaim_class(struct ld_thread *t)
{
	return ld_class_cached(t, &reclaim_key, LD_KIND_RECLAIM, reclaim_key.name, NULL);
}

void resv__lockdep_might_alloc(void *ip)
{
	struct ld_thread *t = ld_thread_peek();
	struct ld_class *r;

	if (unlikely(resv__dma_fence_in_signalling()) &&
	    ld_report_once(RESV_REPORT_LOCKDEP_SIGNALLING_ALLOC, (uintptr_t)ip, 0))
		ld_report(t, RESV_REPORT_LOCKDEP_SIGNALLING_ALLOC, NULL, NULL, ip,
			  "a fence signalling critical section must not allocate: the allocation "
			  "may wait for reclaim, and reclaim may wait for the fence",
			  "allocation inside a fence signalling critical section");
	/* Nothing held, nothing to order; inside reclaim, allocating is fine. */
	if (!t || !t->depth || t->reclaim_depth || !(r = reclaim_class(t)))
		return;
	ld_add_deps(t, r, ip, t->depth, NULL);
}

/* ---- public API ------------------------------------------------------------------------ */

bool resv_lockdep_compiled_in(void)
{
	return true;
}

void resv_lockdep_set_enabled(bool on)
{
	if (on && resv_load_relaxed(&lockdep_failed))
		return;
	resv_store_relaxed(&resv__lockdep_on, on ? 1 : 0);
}

bool resv_lockdep_enabled(void)
{
	return resv__lockdep_active();
}

void resv_lockdep_map_init(struct resv_lockdep_map *map, const char *name,
			   const struct resv_lockdep_class_key *key)
{
	map->name = name;
	map->key = key;
}

static struct ld_class *map_class(struct ld_thread *t, const struct resv_lockdep_map *map)
{
	const void *key = map->key ? (const void *)map->key : (const void *)map;
	const char *name = map->key && map->key->name ? map->key->name : map->name;

	return ld_class_cached(t, key, LD_KIND_MAP, name, NULL);
}

void resv_lockdep_acquire(struct resv_lockdep_map *map, unsigned int flags)
{
	void *ip = RESV_LOCKDEP_IP();
	struct ld_thread *t;
	struct ld_class_state *s;
	struct ld_class *c;
	unsigned int held = 0;

	if (!resv__lockdep_active() || !(t = ld_thread_self()) || !(c = map_class(t, map)) ||
	    !(s = ld_state(t, c)))
		return;
	if (flags & RESV_LOCKDEP_TRYLOCK) {
		held |= LD_HELD_TRYLOCK;
	} else {
		if (s->plain && !(flags & (RESV_LOCKDEP_NESTED | RESV_LOCKDEP_READ)) &&
		    ld_report_once(RESV_REPORT_LOCKDEP_RECURSIVE, c->id, 0))
			ld_report(t, RESV_REPORT_LOCKDEP_RECURSIVE, map, NULL, ip, NULL,
				  "possible recursive locking: %s (class %s) while a lock of its "
				  "class is held", map->name, c->name);
		ld_add_deps(t, c, ip, t->depth, map);
		held |= LD_HELD_COUNTED;
	}
	if (flags & RESV_LOCKDEP_READ)
		held |= LD_HELD_READ;
	if (ld_push_held(t, c, map, ip, held) && (held & LD_HELD_COUNTED))
			 s->plain++;
}

void resv_lockdep_release(struct resv_lockdep_map *map)
{
	void *ip = RESV_LOCKDEP_IP();
	struct ld_thread *t = ld_thread_peek();
	struct ld_class_state *s;
	struct ld_held *h = t ? ld_find(t, map, 0) : NULL;

	if (!h) {
		if (resv__lockdep_active() &&
		    ld_report_once(RESV_REPORT_UNLOCK_NOT_HELD, (uintptr_t)map, (uintptr_t)ip))
			ld_report(t, RESV_REPORT_UNLOCK_NOT_HELD, map, NULL, ip, NULL,
				  "resv_lockdep_release() of %s, which this thread does not hold",
				  map->name);
		return;
	}
	s = ld_state(t, h->cls);
	if (s && (h->flags & LD_HELD_COUNTED) && s->plain)
		s->plain--;
	ld_remove(t, h);
}

void resv_lockdep_assert_held(const struct resv_lockdep_map *map)
{
	void *ip = RESV_LOCKDEP_IP();
	struct ld_thread *t = ld_thread_peek();

	if (!resv__lockdep_active() || (t && ld_find(t, map, 0)))
		return;
	if (ld_report_once(RESV_REPORT_LOCKDEP_NOT_HELD, (uintptr_t)map, (uintptr_t)ip))
		ld_report(t, RESV_REPORT_LOCKDEP_NOT_HELD, map, NULL, ip, NULL,
			  "%s is not held by this thread", map->name);
}

void resv_lockdep_unregister_key(const struct resv_lockdep_class_key *key)
{
	ld_class_zap(key);
}

void resv_lockdep_reclaim_begin(void)
{
	void *ip = RESV_LOCKDEP_IP();
	struct ld_thread *t;
	struct ld_class *r;

	if (!resv__lockdep_active() || !(t = ld_thread_self()) || !(r = reclaim_class(t)))
		return;
	ld_add_deps(t, r, ip, t->depth, NULL);
	if (ld_push_held(t, r, NULL, ip, 0))
			 t->reclaim_depth++;
}

void resv_lockdep_reclaim_end(void)
{
	void *ip = RESV_LOCKDEP_IP();
	struct ld_thread *t = ld_thread_peek();

	if (t && t->reclaim_depth) {
		for (uint32_t i = t->depth; i-- > 0;) {
			if (t->held[i].cls->kind == LD_KIND_RECLAIM) {
				ld_remove(t, &t->held[i]);
				t->reclaim_depth--;
				return;
			}
		}
	}
	if (resv__lockdep_active() &&
	    ld_report_once(RESV_REPORT_UNLOCK_NOT_HELD, (uintptr_t)&reclaim_key, (uintptr_t)ip))
		ld_report(t, RESV_REPORT_UNLOCK_NOT_HELD, NULL, NULL, ip, NULL,
			  "resv_lockdep_reclaim_end() outside a reclaim section");
}

void resv_lockdep_print_held_locks(void)
{
	struct ld_thread *t = ld_thread_peek();
	struct ld_buf buf = { 0 };
	char *text;

	ld_buf_printf(&buf, "libresv lockdep: thread holds %u lock entr%s\n", t ? t->depth : 0,
		      t && t->depth == 1 ? "y" : "ies");
	if (t)
		ld_describe_held(t, &buf);
	text = ld_buf_take(&buf);
	if (text)
		fputs(text, stderr);
	free(text);
}

char *resv__lockdep_held_text(void)
{
	struct ld_buf buf = { 0 };

	ld_describe_held_section(ld_thread_peek(), &buf);
	return ld_buf_take(&buf);
}

void resv__lockdep_reset(void)
{
	ld_graph_reset();
}

unsigned int resv_lockdep_held_count(void)
{
	struct ld_thread *t = ld_thread_peek();

	return t ? t->depth : 0;
}

#else /* !RESV_LOCKDEP: the API stays, doing nothing */

bool resv_lockdep_compiled_in(void)
{
	return false;
}

void resv_lockdep_set_enabled(bool on)
{
	(void)on;
}

bool resv_lockdep_enabled(void)
{
	return false;
}

void resv_lockdep_map_init(struct resv_lockdep_map *map, const char *name,
			   const struct resv_lockdep_class_key *key)
{
	map->name = name;
	map->key = key;
}

void resv_lockdep_acquire(struct resv_lockdep_map *map, unsigned int flags)
{
	(void)map;
	(void)flags;
}

void resv_lockdep_release(struct resv_lockdep_map *map)
{
	(void)map;
}

void resv_lockdep_assert_held(const struct resv_lockdep_map *map)
{
	(void)map;
}

void resv_lockdep_unregister_key(const struct resv_lockdep_class_key *key)
{
	(void)key;
}

void resv_lockdep_reclaim_begin(void)
{
}

void resv_lockdep_reclaim_end(void)
{
}

void resv_lockdep_print_held_locks(void)
{
}

void resv__lockdep_reset(void)
{
}

unsigned int resv_lockdep_held_count(void)
{
	return 0;
}

#endif /* RESV_LOCKDEP */
