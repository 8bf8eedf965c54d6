/* SPDX-License-Identifier: MIT */
/*
 * Shared between the lock validator's files only (lockdep.c: hooks and
 * public API; lockdep-held.c: the per-thread held-lock stack;
 * lockdep-graph.c: classes, the dependency graph, reports). Never included
 * elsewhere: the rest of libresv sees lib/internal/lockdep.h.
 *
 * The validator's own memory comes from libc, never from resv__malloc():
 * it must not count in the allocation statistics, must not fail under
 * injected allocation failures, and must not recurse into its own
 * allocation checks.
 */
#ifndef RESV_LOCKDEP_INTERNAL_H
#define RESV_LOCKDEP_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <resv/lockdep.h>
#include <resv/report.h>

#include "internal/compiler.h"

/* ---- classes (lockdep-graph.c) ---------------------------------------------- */

enum ld_kind {
	LD_KIND_WW_MUTEX,	/* the mutexes of a ww_class */
	LD_KIND_WW_ACQUIRE,	/* the acquire contexts of a ww_class */
	LD_KIND_SPIN,		/* resv_spinlocks of one key */
	LD_KIND_SPIN_SHARED,	/* resv_spinlocks without a key: nest freely */
	LD_KIND_MAP,		/* annotated locks (resv_lockdep_map) */
	LD_KIND_RECLAIM,	/* the reclaim pseudo-lock */
};

/* Class flags, atomic (read without the graph lock). */
#define LD_CLASS_RECLAIM_TAINTED	(1u << 0)	/* taken inside reclaim */
#define LD_CLASS_DEAD			(1u << 1)	/* key unregistered */

struct ld_edge;

struct ld_class {
	uint32_t id;		/* never reused, so per-thread caches stay valid */
	enum ld_kind kind;
	bool check_recursion;	/* is a second held lock of the class reported */
	unsigned int flags;	/* LD_CLASS_*, atomic */
	const void *key;
	char *name;
	/* Under the graph lock: */
	struct ld_edge **out;	/* dependencies "this -> other" */
	uint32_t nr_out, cap_out;
	uint32_t bfs_gen;
	struct ld_edge *bfs_parent;
};

/* "a lock of @from was held when a lock of @to was acquired" */
struct ld_edge {
	struct ld_class *from, *to;
	void *from_ip, *to_ip;	/* where each was acquired, the first time */
	int from_tid;		/* the thread that first did it */
	struct ld_edge *hash_next;
};

/*
 * The class of @key, created on first use. Returns NULL when the validator
 * ran out of memory (and turned itself off).
 */
RESV_INTERNAL struct ld_class *ld_class_get(const void *key, enum ld_kind kind,
					    const char *name, const char *suffix);
RESV_INTERNAL void ld_class_zap(const void *key);
RESV_INTERNAL void ld_graph_reset(void);
RESV_INTERNAL uint32_t ld_class_generation(void);

/*
 * Record "held -> to". Returns true if the edge is new. On a new edge that
 * closes a cycle, fills *report_out (malloc'ed detail text, one-line message)
 * for the caller to deliver after the graph lock is dropped.
 */
struct ld_cycle_report {
	enum resv_report_kind kind;
	char *detail;
	char message[200];
};

RESV_INTERNAL bool ld_graph_add_edge(struct ld_class *from, void *from_ip, struct ld_class *to,
				     void *to_ip, struct ld_cycle_report *report);

/* True the first time (kind, a, b) is seen since the last reset. */
RESV_INTERNAL bool ld_report_once(enum resv_report_kind kind, uintptr_t a, uintptr_t b);

/* Turn the validator off for good after an internal failure (out of memory). */
RESV_INTERNAL void ld_fail(const char *why);

/* ---- snapshot of the graph (lockdep-graph.c) ------------------------------------ */

struct ld_snap_class {
	uint32_t id;
	enum ld_kind kind;
	const char *name;	/* classes are never freed: stays valid */
	bool reclaim_tainted;
};

struct ld_snap_edge {
	uint32_t from, to;	/* class ids */
	void *from_ip, *to_ip;
	int tid;
};

struct ld_snap {
	struct ld_snap_class *classes;
	struct ld_snap_edge *edges;
	uint32_t cap_classes, nr_classes;
	size_t cap_edges, nr_edges;
};

/*
 * Copy the live classes and their dependencies into @snap's arrays (up to
 * their capacities) and set the counts the graph has. False when it did not
 * fit: the caller grows the arrays, outside the graph lock, and retries.
 */
RESV_INTERNAL bool ld_graph_snapshot(struct ld_snap *snap);

/* ---- text (lockdep-dump.c) ------------------------------------------------- */

struct ld_buf {
	char *text;
	size_t len, cap;
	bool failed;
};

RESV_INTERNAL void ld_buf_printf(struct ld_buf *buf, const char *fmt, ...) RESV_PRINTF(2, 3);
/* "func+0x1c (binary)", or "binary+0x1234", or "0x..." */
RESV_INTERNAL void ld_buf_site(struct ld_buf *buf, void *ip);
/* Returns the text (caller frees) or NULL. */
RESV_INTERNAL char *ld_buf_take(struct ld_buf *buf);

/* ---- the per-thread held-lock stack (lockdep-held.c) -------------------------- */

#define LD_HELD_TRYLOCK	(1u << 0)	/* adds no dependency; never blocks */
#define LD_HELD_READ	(1u << 1)
#define LD_HELD_COUNTED	(1u << 2)	/* counted in ld_class_state.plain */
#define LD_HELD_GROUP	(1u << 3)	/* ww locks of one class under one ctx */
#define LD_HELD_CTX	(1u << 4)	/* a ww acquire context */

struct ld_held {
	struct ld_class *cls;
	const void *instance;	/* the lock, map or (GROUP, CTX) context */
	void *ip;		/* where it was acquired (a group: its first lock) */
	uint32_t count;		/* GROUP: locks of the context in this entry */
	unsigned int flags;	/* LD_HELD_* */
};

/* Per thread and class: what the thread holds of it. */
struct ld_class_state {
	uint32_t plain;		/* blocking, non-group acquisitions held */
	uint32_t ctx_locks;	/* ww locks held under a context */
	const void *active_ctx;	/* LD_KIND_WW_ACQUIRE: the thread's context */
};

#define LD_EDGE_CACHE	512	/* per-thread "dependency already known" */
#define LD_KEY_CACHE	64	/* per-thread key -> class */

struct ld_thread {
	struct ld_held *held;
	uint32_t depth, cap;
	struct ld_class_state *cs;	/* indexed by class id */
	uint32_t cs_cap;
	unsigned int reclaim_depth;
	int tid;
	uint64_t edge_cache[LD_EDGE_CACHE];
	struct {
		const void *key;
		struct ld_class *cls;
		uint32_t gen;
		enum ld_kind kind;
	} key_cache[LD_KEY_CACHE];
};

RESV_INTERNAL extern __thread struct ld_thread *ld_self
	__attribute__((tls_model("initial-exec")));
/* Allocates the calling thread's state; NULL when out of memory. */
RESV_INTERNAL struct ld_thread *ld_thread_create(void);

/* The calling thread's state, created on first use; NULL when out of memory. */
static inline struct ld_thread *ld_thread_self(void)
{
	struct ld_thread *t = ld_self;

	return likely(t) ? t : ld_thread_create();
}

/* The state without creating it. */
static inline struct ld_thread *ld_thread_peek(void)
{
	return ld_self;
}

/* The thread's state for @cls (grows the table); NULL when out of memory. */
RESV_INTERNAL struct ld_class_state *ld_state(struct ld_thread *t, const struct ld_class *cls);

RESV_INTERNAL struct ld_held *ld_push(struct ld_thread *t, struct ld_class *cls,
				      const void *instance, void *ip, unsigned int flags);
RESV_INTERNAL void ld_remove(struct ld_thread *t, struct ld_held *held);

static inline struct ld_held *ld_top(struct ld_thread *t)
{
	return t->depth ? &t->held[t->depth - 1] : NULL;
}

/* The topmost entry for @instance with all of @flags set, or NULL. */
RESV_INTERNAL struct ld_held *ld_find(struct ld_thread *t, const void *instance,
				      unsigned int flags);

/* The per-thread cache alone: the class of @key, or NULL on a miss. */
RESV_INTERNAL struct ld_class *ld_class_lookup(struct ld_thread *t, const void *key,
					       enum ld_kind kind);
/* The key -> class lookup with the per-thread cache in front. */
RESV_INTERNAL struct ld_class *ld_class_cached(struct ld_thread *t, const void *key,
					       enum ld_kind kind, const char *name,
					       const char *suffix);

/* Was "from -> to" seen by this thread? Remember it if not. */
RESV_INTERNAL bool ld_edge_cached(struct ld_thread *t, const struct ld_class *from,
				  const struct ld_class *to);

/* ---- checks shared by the hooks (lockdep.c) ----------------------------------- */

/*
 * Deliver a report whose detail is @intro (or the message), the site @ip,
 * and the locks the thread holds (when @t is not NULL).
 */
RESV_INTERNAL void ld_report(struct ld_thread *t, enum resv_report_kind kind, const void *lock,
			     const void *ctx, void *ip, const char *intro, const char *fmt, ...)
	RESV_PRINTF(7, 8);
/*
 * Record "held -> @to" for the held entries below index @below that a
 * blocking acquisition of @to depends on, reporting a new cycle.
 */
RESV_INTERNAL void ld_add_deps(struct ld_thread *t, struct ld_class *to, void *ip,
			       uint32_t below, const void *lock);
/* ld_push() that also marks the class reclaim-tainted inside reclaim. */
RESV_INTERNAL struct ld_held *ld_push_held(struct ld_thread *t, struct ld_class *cls,
					   const void *instance, void *ip, unsigned int flags);

/* Appends the thread's held locks, one per line, to @buf. */
RESV_INTERNAL void ld_describe_held(struct ld_thread *t, struct ld_buf *buf);
/* "  locks held by thread N (k entries):" and the list, or "... none". */
RESV_INTERNAL void ld_describe_held_section(struct ld_thread *t, struct ld_buf *buf);
/* "name x3 (ctx 0x...)" */
RESV_INTERNAL void ld_describe_entry(const struct ld_held *held, struct ld_buf *buf);

#endif /* RESV_LOCKDEP_INTERNAL_H */
