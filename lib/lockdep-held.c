/* SPDX-License-Identifier: MIT */
/*
 * The lock validator's per-thread state: the held-lock stack, what the
 * thread holds of each class, and the caches that keep the validator off
 * the global graph lock.
 *
 * The stack is a dynamic array with no depth limit. Pushing and popping the
 * top are O(1) amortised; removing an entry below the top (out-of-order
 * unlock) shifts the entries above it. Many ww_mutexes of one class locked
 * under one context share one entry with a count, so a drm_exec holding
 * 100 000 objects is one entry; the stack stays as deep as the number of
 * distinct lock "groups" a thread holds.
 *
 * The state is allocated on a thread's first use and freed by a
 * pthread key destructor when the thread exits; a thread exiting with
 * entries left is reported there.
 */
#ifdef RESV_LOCKDEP	/* else only lockdep.c's no-op API is built */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal/lockdep.h"
#include "internal/report.h"
#include "lockdep-internal.h"

__thread struct ld_thread *ld_self __attribute__((tls_model("initial-exec")));
__thread unsigned int resv__lockdep_depth __attribute__((tls_model("initial-exec")));

static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;
static bool thread_key_ok;

static void thread_exit(void *arg)
{
	struct ld_thread *t = arg;
	struct ld_buf buf = { 0 };
	struct ld_held *top;
	char *detail;

	ld_self = t;	/* the report below may look at it */
	top = ld_top(t);
	if (top && resv_lockdep_enabled() &&
	    ld_report_once(RESV_REPORT_LOCKDEP_HELD_AT_EXIT, top->cls->id, 0)) {
		ld_buf_printf(&buf, "thread %d exits while holding %u lock entr%s:\n", t->tid,
			      t->depth, t->depth == 1 ? "y" : "ies");
		ld_describe_held(t, &buf);
		detail = ld_buf_take(&buf);
		resv__report_detail(RESV_REPORT_LOCKDEP_HELD_AT_EXIT, top->instance, NULL, detail,
				    "thread %d exits holding %s%s", t->tid, top->cls->name,
				    t->depth > 1 ? " and other locks" : "");
		free(detail);
	}
	ld_self = NULL;
	resv__lockdep_depth = 0;
	free(t->held);
	free(t->cs);
	free(t);
}

static void thread_key_create(void)
{
	thread_key_ok = pthread_key_create(&thread_key, thread_exit) == 0;
}

struct ld_thread *ld_thread_create(void)
{
	struct ld_thread *t;

	pthread_once(&thread_key_once, thread_key_create);
	t = calloc(1, sizeof(*t));
	if (!t || !thread_key_ok || pthread_setspecific(thread_key, t) != 0) {
		free(t);
		ld_fail("cannot allocate the per-thread state");
		return NULL;
	}
	t->tid = (int)gettid();
	ld_self = t;
	return t;
}

struct ld_class_state *ld_state(struct ld_thread *t, const struct ld_class *cls)
{
	if (unlikely(cls->id >= t->cs_cap)) {
		uint32_t cap = t->cs_cap ? t->cs_cap : 64;
		struct ld_class_state *cs;

		while (cap <= cls->id)
			cap *= 2;
		cs = realloc(t->cs, cap * sizeof(*cs));
		if (!cs) {
			ld_fail("out of memory for the per-thread class table");
			return NULL;
		}
		memset(cs + t->cs_cap, 0, (cap - t->cs_cap) * sizeof(*cs));
		t->cs = cs;
		t->cs_cap = cap;
	}
	return &t->cs[cls->id];
}

struct ld_held *ld_push(struct ld_thread *t, struct ld_class *cls, const void *instance,
			void *ip, unsigned int flags)
{
	struct ld_held *h;

	if (unlikely(t->depth == t->cap)) {
		uint32_t cap = t->cap ? t->cap * 2 : 32;
		struct ld_held *held = realloc(t->held, cap * sizeof(*held));

		if (!held) {
			ld_fail("out of memory for the held-lock stack");
			return NULL;
		}
		t->held = held;
		t->cap = cap;
	}
	h = &t->held[t->depth++];
	*h = (struct ld_held){ .cls = cls, .instance = instance, .ip = ip, .count = 1,
			       .flags = flags };
	resv__lockdep_depth = t->depth;
	return h;
}

void ld_remove(struct ld_thread *t, struct ld_held *held)
{
	uint32_t i = (uint32_t)(held - t->held);

	if (i + 1 < t->depth)
		memmove(&t->held[i], &t->held[i + 1], (t->depth - i - 1) * sizeof(*held));
	t->depth--;
	resv__lockdep_depth = t->depth;
}

struct ld_held *ld_find(struct ld_thread *t, const void *instance, unsigned int flags)
{
	for (uint32_t i = t->depth; i-- > 0;) {
		struct ld_held *h = &t->held[i];

		if (h->instance == instance && (h->flags & flags) == flags)
			return h;
	}
	return NULL;
}

static inline size_t cache_hash(uintptr_t x)
{
	x *= 0x9e3779b97f4a7c15ull;
	return (size_t)(x >> 40);
}

struct ld_class *ld_class_lookup(struct ld_thread *t, const void *key, enum ld_kind kind)
{
	size_t i = cache_hash((uintptr_t)key) % LD_KEY_CACHE;

	if (likely(t->key_cache[i].key == key && t->key_cache[i].gen == ld_class_generation() &&
		   t->key_cache[i].kind == kind))
		return t->key_cache[i].cls;
	return NULL;
}

struct ld_class *ld_class_cached(struct ld_thread *t, const void *key, enum ld_kind kind,
				 const char *name, const char *suffix)
{
	size_t i = cache_hash((uintptr_t)key) % LD_KEY_CACHE;
	uint32_t gen = ld_class_generation();
	struct ld_class *c = ld_class_lookup(t, key, kind);

	if (likely(c))
		return c;
	c = ld_class_get(key, kind, name, suffix);
	if (c) {
		t->key_cache[i].key = key;
		t->key_cache[i].cls = c;
		t->key_cache[i].gen = gen;
		t->key_cache[i].kind = kind;
	}
	return c;
}

bool ld_edge_cached(struct ld_thread *t, const struct ld_class *from, const struct ld_class *to)
{
	/* +1: an empty slot (0) never matches; ids stay far below 2^32 - 1. */
	uint64_t id = (((uint64_t)from->id << 32) | to->id) + 1;
	size_t i = cache_hash(id) % LD_EDGE_CACHE;

	if (likely(t->edge_cache[i] == id))
		return true;
	t->edge_cache[i] = id;
	return false;
}

void ld_describe_entry(const struct ld_held *h, struct ld_buf *buf)
{
	ld_buf_printf(buf, "%s", h->cls->name);
	if (h->flags & LD_HELD_GROUP)
		ld_buf_printf(buf, " x%u (ctx %p)", h->count, h->instance);
	else if (h->flags & LD_HELD_CTX)
		ld_buf_printf(buf, " (ctx %p)", h->instance);
	else if (h->cls->kind == LD_KIND_MAP)
		ld_buf_printf(buf, " (%s)", ((const struct resv_lockdep_map *)h->instance)->name);
	else if (h->instance)
		ld_buf_printf(buf, " (%p)", h->instance);
	if (h->flags & LD_HELD_TRYLOCK)
		ld_buf_printf(buf, " [trylock]");
	if (h->flags & LD_HELD_READ)
		ld_buf_printf(buf, " [read]");
}

void ld_describe_held_section(struct ld_thread *t, struct ld_buf *buf)
{
	if (!t || !t->depth) {
		ld_buf_printf(buf, "  locks held by thread %d: none\n", t ? t->tid : (int)gettid());
		return;
	}
	ld_buf_printf(buf, "  locks held by thread %d (%u entr%s):\n", t->tid, t->depth,
		      t->depth == 1 ? "y" : "ies");
	ld_describe_held(t, buf);
}

void ld_describe_held(struct ld_thread *t, struct ld_buf *buf)
{
	for (uint32_t i = 0; i < t->depth; i++) {
		const struct ld_held *h = &t->held[i];

		ld_buf_printf(buf, "    #%u ", i);
		ld_describe_entry(h, buf);
		ld_buf_printf(buf, " taken at ");
		ld_buf_site(buf, h->ip);
		ld_buf_printf(buf, "\n");
	}
}

#else
typedef int resv_lockdep_compiled_out;
#endif /* RESV_LOCKDEP */
