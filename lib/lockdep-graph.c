/* SPDX-License-Identifier: MIT */
/*
 * The lock validator's global state: lock classes, the dependency graph
 * between them, cycle search and report texts.
 *
 * Everything here is under one pthread mutex, graph_lock, which the
 * validator itself does not track (it is the innermost lock of the process
 * and nothing is acquired while holding it; reports are delivered after it
 * is dropped). The fast paths avoid it: each thread caches the classes it
 * looked up and the dependencies it already recorded (lockdep-held.c), so
 * the graph lock is only taken the first time a thread sees a class or a
 * dependency.
 *
 * Classes are never freed (held entries and caches point to them); an
 * unregistered key's class is marked dead, loses its dependencies, and the
 * key gets a new class with a new id next time. Ids are never reused, which
 * keeps the per-thread caches, keyed by ids, valid without invalidation.
 *
 * Cycle search runs only when a dependency is new: a breadth-first search
 * from the new lock looking for the lock held, over the recorded
 * dependencies. If it finds one, the path found and the new dependency are
 * the two chains of the report.
 */
#ifdef RESV_LOCKDEP	/* else only lockdep.c's no-op API is built */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockdep-internal.h"

static pthread_mutex_t graph_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- hash tables (chained, doubling) -------------------------------------- */

static inline size_t hash_ptr(uintptr_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (size_t)x;
}

static struct {
	struct ld_class **all;		/* by id */
	uint32_t nr, cap;
	struct ld_class **buckets;	/* key -> class, chained through key_next[] */
	struct ld_class **key_next;	/* by id */
	size_t nr_buckets, nr_keyed;
	uint32_t generation;		/* bumped when a key loses its class */
} classes;

static struct {
	struct ld_edge **buckets;
	size_t nr_buckets, nr;
} edges;

struct once_entry {
	enum resv_report_kind kind;
	uintptr_t a, b;
	struct once_entry *next;
};

static struct {
	struct once_entry **buckets;
	size_t nr_buckets, nr;
} once;

static uint32_t bfs_generation;
static struct ld_class **bfs_queue;
static uint32_t bfs_cap;

uint32_t ld_class_generation(void)
{
	return resv_load_acquire(&classes.generation);
}

/* ---- classes ------------------------------------------------------------------ */

static bool key_table_grow(void)
{
	size_t n = classes.nr_buckets ? classes.nr_buckets * 2 : 256;
	struct ld_class **b = calloc(n, sizeof(*b));

	if (!b)
		return false;
	for (size_t i = 0; i < classes.nr_buckets; i++) {
		struct ld_class *c = classes.buckets[i], *next;

		for (; c; c = next) {
			size_t h = hash_ptr((uintptr_t)c->key) & (n - 1);

			next = classes.key_next[c->id];
			classes.key_next[c->id] = b[h];
			b[h] = c;
		}
	}
	free(classes.buckets);
	classes.buckets = b;
	classes.nr_buckets = n;
	return true;
}

static struct ld_class **key_slot(const void *key)
{
	size_t h = hash_ptr((uintptr_t)key) & (classes.nr_buckets - 1);
	struct ld_class **p = &classes.buckets[h];

	while (*p && (*p)->key != key)
		p = &classes.key_next[(*p)->id];
	return p;
}

static struct ld_class *class_create(const void *key, enum ld_kind kind, const char *name,
				     const char *suffix)
{
	struct ld_class *c;
	size_t len;

	if (classes.nr == classes.cap) {
		uint32_t cap = classes.cap ? classes.cap * 2 : 256;
		struct ld_class **all = realloc(classes.all, cap * sizeof(*all));
		struct ld_class **next;

		if (!all)
			return NULL;
		classes.all = all;
		next = realloc(classes.key_next, cap * sizeof(*next));
		if (!next)
			return NULL;
		classes.key_next = next;
		classes.cap = cap;
	}
	if ((classes.nr_keyed + 1) * 2 > classes.nr_buckets * 3 && !key_table_grow())
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (!name)
		name = "(unnamed)";
	len = strlen(name) + (suffix ? strlen(suffix) : 0) + 1;
	c->name = malloc(len);
	if (!c->name) {
		free(c);
		return NULL;
	}
	snprintf(c->name, len, "%s%s", name, suffix ? suffix : "");
	c->id = classes.nr;
	c->kind = kind;
	c->key = key;
	/*
	 * Nesting two locks of one class is a bug unless the class says how
	 * they nest: ww contexts do (checked separately), the shared spinlock
	 * class and reclaim accept any nesting.
	 */
	c->check_recursion = kind == LD_KIND_MAP || kind == LD_KIND_SPIN;
	classes.all[c->id] = c;
	classes.nr++;
	classes.key_next[c->id] = NULL;
	*key_slot(key) = c;
	classes.nr_keyed++;
	return c;
}

struct ld_class *ld_class_get(const void *key, enum ld_kind kind, const char *name,
			      const char *suffix)
{
	struct ld_class *c;

	pthread_mutex_lock(&graph_lock);
	c = classes.nr_buckets ? *key_slot(key) : NULL;
	if (!c)
		c = class_create(key, kind, name, suffix);
	pthread_mutex_unlock(&graph_lock);
	if (!c)
		ld_fail("out of memory for a lock class");
	return c;
}

/* ---- edges -------------------------------------------------------------------- */

static inline uint64_t edge_id(const struct ld_class *from, const struct ld_class *to)
{
	return ((uint64_t)from->id << 32) | to->id;
}

static struct ld_edge **edge_slot(const struct ld_class *from, const struct ld_class *to)
{
	size_t h = hash_ptr(edge_id(from, to)) & (edges.nr_buckets - 1);
	struct ld_edge **p = &edges.buckets[h];

	while (*p && ((*p)->from != from || (*p)->to != to))
		p = &(*p)->hash_next;
	return p;
}

static bool edge_table_grow(void)
{
	size_t n = edges.nr_buckets ? edges.nr_buckets * 2 : 1024;
	struct ld_edge **b = calloc(n, sizeof(*b));

	if (!b)
		return false;
	for (size_t i = 0; i < edges.nr_buckets; i++) {
		struct ld_edge *e = edges.buckets[i], *next;

		for (; e; e = next) {
			size_t h = hash_ptr(edge_id(e->from, e->to)) & (n - 1);

			next = e->hash_next;
			e->hash_next = b[h];
			b[h] = e;
		}
	}
	free(edges.buckets);
	edges.buckets = b;
	edges.nr_buckets = n;
	return true;
}

static void edge_unhash(struct ld_edge *e)
{
	struct ld_edge **p = edge_slot(e->from, e->to);

	if (*p == e) {
		*p = e->hash_next;
		edges.nr--;
	}
}

/* Breadth-first search from @start for @target; the path is in bfs_parent. */
static bool path_exists(struct ld_class *start, struct ld_class *target)
{
	uint32_t head = 0, tail = 0;

	if (++bfs_generation == 0)
		bfs_generation = 1;
	start->bfs_gen = bfs_generation;
	start->bfs_parent = NULL;
	if (bfs_cap < classes.nr) {
		struct ld_class **q = realloc(bfs_queue, classes.cap * sizeof(*q));

		if (!q)
			return false;	/* cannot search: miss a report rather than crash */
		bfs_queue = q;
		bfs_cap = classes.cap;
	}
	bfs_queue[tail++] = start;
	while (head < tail) {
		struct ld_class *c = bfs_queue[head++];

		for (uint32_t i = 0; i < c->nr_out; i++) {
			struct ld_edge *e = c->out[i];
			struct ld_class *n = e->to;

			if (n->bfs_gen == bfs_generation)
				continue;
			n->bfs_gen = bfs_generation;
			n->bfs_parent = e;
			if (n == target)
				return true;
			bfs_queue[tail++] = n;
		}
	}
	return false;
}

/*
 * One dependency with both sites: "A -> B: thread N took B at <site>
 * while holding A taken at <site>"; reclaim reads as what it is (an
 * allocation or a shrinker section), not as a lock.
 */
static void describe_edge(struct ld_buf *b, const char *lead, const struct ld_edge *e,
			  bool is_new)
{
	ld_buf_printf(b, "%s%s -> %s: thread %d ", lead, e->from->name, e->to->name, e->from_tid);
	if (e->to->kind == LD_KIND_RECLAIM)
		ld_buf_printf(b, "%s reclaim (allocation) at ", is_new ? "may enter" : "entered");
	else
		ld_buf_printf(b, "%s %s at ", is_new ? "is taking" : "took", e->to->name);
	ld_buf_site(b, e->to_ip);
	if (e->from->kind == LD_KIND_RECLAIM)
		ld_buf_printf(b, "\n        inside reclaim entered at ");
	else
		ld_buf_printf(b, "\n        while holding %s taken at ", e->from->name);
	ld_buf_site(b, e->from_ip);
	ld_buf_printf(b, "\n");
}

/* Under graph_lock: the report of new edge @e closing the path to -> ... -> from. */
static void cycle_report(const struct ld_edge *e, struct ld_cycle_report *r)
{
	const struct ld_edge *chain[64];
	unsigned int n = 0, total = 0;
	bool reclaim = e->from->kind == LD_KIND_RECLAIM || e->to->kind == LD_KIND_RECLAIM;
	struct ld_buf b = { 0 };
	size_t off;

	/* Walk back from the held lock (from) to the new one (to). */
	for (const struct ld_edge *p = e->from->bfs_parent; p; p = p->from->bfs_parent) {
		if (n < 64)
			chain[n++] = p;
		total++;
		reclaim |= p->from->kind == LD_KIND_RECLAIM;
	}
	r->kind = reclaim ? RESV_REPORT_LOCKDEP_RECLAIM : RESV_REPORT_LOCKDEP_CYCLE;

	/* One line: the whole cycle, starting with the held lock. */
	off = (size_t)snprintf(r->message, sizeof(r->message), "%s: %s -> %s",
			       reclaim ? "lock inversion with reclaim"
				       : "possible circular locking dependency",
			       e->from->name, e->to->name);
	for (unsigned int i = n; i-- > 0 && off < sizeof(r->message);)
		off += (size_t)snprintf(r->message + off, sizeof(r->message) - off, " -> %s",
					chain[i]->to->name);

	if (reclaim && e->to->kind == LD_KIND_RECLAIM)
		ld_buf_printf(&b, "allocation (or reclaim) while holding %s, which reclaim "
			      "takes: the allocation may need reclaim, which waits for the lock\n",
			      e->from->name);
	else if (reclaim && e->from->kind == LD_KIND_RECLAIM)
		ld_buf_printf(&b, "reclaim takes %s, which is held across allocations: "
			      "such an allocation may need reclaim, which waits for the lock\n",
			      e->to->name);
	else
		ld_buf_printf(&b, "possible circular locking dependency\n");
	describe_edge(&b, "  new dependency ", e, true);
	ld_buf_printf(&b, "  existing chain %s -> ... -> %s (%u step%s) closes the cycle:\n",
		      e->to->name, e->from->name, total, total == 1 ? "" : "s");
	for (unsigned int i = n; i-- > 0;)
		describe_edge(&b, "    ", chain[i], false);
	if (total > n)
		ld_buf_printf(&b, "    ... %u more\n", total - n);
	if (total == 1 && !reclaim) {
		const char *a = e->from->name, *c = e->to->name;

		ld_buf_printf(&b, "  possible deadlock:\n"
			      "        thread X                thread Y\n"
			      "        lock(%s)\n"
			      "                                lock(%s)\n"
			      "                                lock(%s)\n"
			      "        lock(%s)\n"
			      "        *** each waits for the other ***\n", a, c, a, c);
	}
	r->detail = ld_buf_take(&b);
}

bool ld_graph_add_edge(struct ld_class *from, void *from_ip, struct ld_class *to, void *to_ip,
		       struct ld_cycle_report *report)
{
	struct ld_edge *e = NULL, **slot;
	bool cycle = false;

	report->detail = NULL;
	report->message[0] = '\0';
	pthread_mutex_lock(&graph_lock);
	if ((resv_load_relaxed(&from->flags) | resv_load_relaxed(&to->flags)) & LD_CLASS_DEAD)
		goto out;
	if (edges.nr_buckets) {
		slot = edge_slot(from, to);
		if (*slot)
			goto out;	/* another thread recorded it */
	}
	if ((edges.nr + 1) * 2 > edges.nr_buckets * 3 && !edge_table_grow())
		goto oom;
	if (from->nr_out == from->cap_out) {
		uint32_t cap = from->cap_out ? from->cap_out * 2 : 4;
		struct ld_edge **out = realloc(from->out, cap * sizeof(*out));

		if (!out)
			goto oom;
		from->out = out;
		from->cap_out = cap;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		goto oom;
	e->from = from;
	e->to = to;
	e->from_ip = from_ip;
	e->to_ip = to_ip;
	e->from_tid = ld_thread_peek() ? ld_thread_peek()->tid : 0;

	/* Before inserting: is there already a way back from @to to @from? */
	cycle = path_exists(to, from);
	if (cycle)
		cycle_report(e, report);
	/* Recorded even when it closes a cycle: reported once per dependency. */
	from->out[from->nr_out++] = e;
	slot = edge_slot(from, to);
	e->hash_next = *slot;
	*slot = e;
	edges.nr++;
out:
	pthread_mutex_unlock(&graph_lock);
	return cycle;
oom:
	pthread_mutex_unlock(&graph_lock);
	free(e);
	ld_fail("out of memory for a lock dependency");
	return false;
}

/* Under graph_lock: drop every dependency from or to @c. */
static void class_unlink(struct ld_class *c)
{
	for (uint32_t i = 0; i < c->nr_out; i++) {
		edge_unhash(c->out[i]);
		free(c->out[i]);
	}
	c->nr_out = 0;
	for (uint32_t id = 0; id < classes.nr; id++) {
		struct ld_class *o = classes.all[id];
		uint32_t j = 0;

		for (uint32_t i = 0; i < o->nr_out; i++) {
			if (o->out[i]->to == c) {
				edge_unhash(o->out[i]);
				free(o->out[i]);
			} else {
				o->out[j++] = o->out[i];
			}
		}
		o->nr_out = j;
	}
}

void ld_class_zap(const void *key)
{
	struct ld_class **slot, *c;

	pthread_mutex_lock(&graph_lock);
	if (!classes.nr_buckets)
		goto out;
	slot = key_slot(key);
	c = *slot;
	if (!c)
		goto out;
	*slot = classes.key_next[c->id];
	classes.nr_keyed--;
	__atomic_fetch_or(&c->flags, LD_CLASS_DEAD, __ATOMIC_RELAXED);
	class_unlink(c);
	resv_add_relaxed(&classes.generation, 1);
out:
	pthread_mutex_unlock(&graph_lock);
}

void ld_graph_reset(void)
{
	pthread_mutex_lock(&graph_lock);
	for (uint32_t id = 0; id < classes.nr; id++) {
		struct ld_class *c = classes.all[id];

		for (uint32_t i = 0; i < c->nr_out; i++)
			free(c->out[i]);
		c->nr_out = 0;
		__atomic_fetch_or(&c->flags, LD_CLASS_DEAD, __ATOMIC_RELAXED);
	}
	if (classes.buckets)
		memset(classes.buckets, 0, classes.nr_buckets * sizeof(*classes.buckets));
	classes.nr_keyed = 0;
	if (edges.buckets)
		memset(edges.buckets, 0, edges.nr_buckets * sizeof(*edges.buckets));
	edges.nr = 0;
	for (size_t i = 0; i < once.nr_buckets; i++) {
		struct once_entry *o = once.buckets[i], *next;

		for (; o; o = next) {
			next = o->next;
			free(o);
		}
		once.buckets[i] = NULL;
	}
	once.nr = 0;
	resv_add_relaxed(&classes.generation, 1);
	pthread_mutex_unlock(&graph_lock);
}

/* ---- report once ----------------------------------------------------------------- */

static bool once_grow(void)
{
	size_t n = once.nr_buckets ? once.nr_buckets * 2 : 64;
	struct once_entry **b = calloc(n, sizeof(*b));

	if (!b)
		return false;
	for (size_t i = 0; i < once.nr_buckets; i++) {
		struct once_entry *o = once.buckets[i], *next;

		for (; o; o = next) {
			size_t h = hash_ptr(o->a ^ (o->b * 31) ^ o->kind) & (n - 1);

			next = o->next;
			o->next = b[h];
			b[h] = o;
		}
	}
	free(once.buckets);
	once.buckets = b;
	once.nr_buckets = n;
	return true;
}

bool ld_report_once(enum resv_report_kind kind, uintptr_t a, uintptr_t b)
{
	struct once_entry *o;
	bool first = false;
	size_t h;

	pthread_mutex_lock(&graph_lock);
	if ((once.nr + 1) * 2 > once.nr_buckets * 3 && !once_grow())
		goto out;	/* out of memory: stay quiet rather than spam */
	h = hash_ptr(a ^ (b * 31) ^ kind) & (once.nr_buckets - 1);
	for (o = once.buckets[h]; o; o = o->next)
		if (o->kind == kind && o->a == a && o->b == b)
			goto out;
	o = malloc(sizeof(*o));
	if (!o)
		goto out;
	*o = (struct once_entry){ .kind = kind, .a = a, .b = b, .next = once.buckets[h] };
	once.buckets[h] = o;
	once.nr++;
	first = true;
out:
	pthread_mutex_unlock(&graph_lock);
	return first;
}

/* ---- snapshot (resv_lockdep_write_graph(), lockdep-dump.c) ------------------------ */

bool ld_graph_snapshot(struct ld_snap *snap)
{
	bool fits = true;

	pthread_mutex_lock(&graph_lock);
	snap->nr_classes = 0;
	snap->nr_edges = 0;
	for (uint32_t id = 0; id < classes.nr; id++) {
		const struct ld_class *c = classes.all[id];

		if (resv_load_relaxed(&c->flags) & LD_CLASS_DEAD)
			continue;
		if (snap->nr_classes < snap->cap_classes)
			snap->classes[snap->nr_classes] = (struct ld_snap_class){
				.id = c->id, .kind = c->kind, .name = c->name,
				.reclaim_tainted = resv_load_relaxed(&c->flags) &
						   LD_CLASS_RECLAIM_TAINTED,
			};
		snap->nr_classes++;
		for (uint32_t i = 0; i < c->nr_out; i++) {
			const struct ld_edge *e = c->out[i];

			if (snap->nr_edges < snap->cap_edges)
				snap->edges[snap->nr_edges] = (struct ld_snap_edge){
					.from = e->from->id, .to = e->to->id,
					.from_ip = e->from_ip, .to_ip = e->to_ip,
					.tid = e->from_tid,
				};
			snap->nr_edges++;
		}
	}
	fits = snap->nr_classes <= snap->cap_classes && snap->nr_edges <= snap->cap_edges;
	pthread_mutex_unlock(&graph_lock);
	return fits;
}

#else
typedef int resv_lockdep_compiled_out;
#endif /* RESV_LOCKDEP */
