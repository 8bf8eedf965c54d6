/* SPDX-License-Identifier: MIT */
/*
 * The lock validator's text output: the report texts' buffer and call
 * sites (used by every report), and the dependency graph as Graphviz dot
 * (resv_lockdep_write_graph()).
 *
 * The graph is written from a snapshot, never under the graph lock: a
 * FILE may block (a pipe), and every thread's first use of a class or a
 * dependency needs that lock. The snapshot is allocated with resv__malloc()
 * (unlike the validator's own memory, see lockdep-internal.h) because it
 * belongs to a call that can fail with -ENOMEM, and it is allocated with
 * the graph lock dropped: a library allocation runs the validator's
 * reclaim check, which takes the graph lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <resv/lockdep.h>

#include "internal/alloc.h"

#ifdef RESV_LOCKDEP

#include <dlfcn.h>

#include "lockdep-internal.h"

/* ---- text --------------------------------------------------------------------------- */

void ld_buf_printf(struct ld_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (buf->failed)
		return;
	for (;;) {
		size_t room = buf->cap - buf->len;

		va_start(ap, fmt);
		n = vsnprintf(buf->text ? buf->text + buf->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			buf->failed = true;
			return;
		}
		if ((size_t)n < room) {
			buf->len += (size_t)n;
			return;
		}
		size_t cap = buf->cap ? buf->cap * 2 : 512;

		while (cap - buf->len <= (size_t)n)
			cap *= 2;
		char *text = realloc(buf->text, cap);

		if (!text) {
			buf->failed = true;
			return;
		}
		buf->text = text;
		buf->cap = cap;
	}
}

void ld_buf_site(struct ld_buf *buf, void *ip)
{
	Dl_info info;

	if (ip && dladdr(ip, &info) && info.dli_fname) {
		const char *bin = strrchr(info.dli_fname, '/');

		bin = bin ? bin + 1 : info.dli_fname;
		if (info.dli_sname && info.dli_saddr)
			ld_buf_printf(buf, "%s+0x%tx (%s)", info.dli_sname,
				      (char *)ip - (char *)info.dli_saddr, bin);
		else
			ld_buf_printf(buf, "%s+0x%tx", bin, (char *)ip - (char *)info.dli_fbase);
		return;
	}
	ld_buf_printf(buf, "%p", ip);
}

char *ld_buf_take(struct ld_buf *buf)
{
	char *text = buf->text;

	if (buf->failed) {
		free(text);
		text = NULL;
	}
	*buf = (struct ld_buf){ 0 };
	return text;
}

/* ---- the dependency graph ---------------------------------------------------------- */

static void snap_free(struct ld_snap *s)
{
	resv__free(s->classes, s->cap_classes * sizeof(*s->classes));
	resv__free(s->edges, s->cap_edges * sizeof(*s->edges));
	s->classes = NULL;
	s->edges = NULL;
}

/* Snapshot the graph, growing the arrays until it fits. */
static int snap_take(struct ld_snap *s)
{
	*s = (struct ld_snap){ 0 };
	while (!ld_graph_snapshot(s)) {
		/* Room for what is there now and some growth meanwhile. */
		uint32_t nc = s->nr_classes + s->nr_classes / 4 + 8;
		size_t ne = s->nr_edges + s->nr_edges / 4 + 8;

		snap_free(s);
		s->classes = resv__malloc(nc * sizeof(*s->classes));
		s->edges = resv__malloc(ne * sizeof(*s->edges));
		s->cap_classes = s->classes ? nc : 0;
		s->cap_edges = s->edges ? ne : 0;
		if (!s->classes || !s->edges) {
			snap_free(s);
			return -ENOMEM;
		}
	}
	return 0;
}

static int class_cmp(const void *a, const void *b)
{
	const struct ld_snap_class *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	return r ? r : (x->id > y->id) - (x->id < y->id);
}

/* Index of class @id in the sorted array (always present: same snapshot). */
static uint32_t class_index(const struct ld_snap *s, uint32_t id)
{
	for (uint32_t i = 0; i < s->nr_classes; i++)
		if (s->classes[i].id == id)
			return i;
	return UINT32_MAX;
}

static int edge_cmp(const void *a, const void *b)
{
	const struct ld_snap_edge *x = a, *y = b;	/* from/to: sorted indices here */

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return (x->to > y->to) - (x->to < y->to);
}

static void put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
	fputc('"', f);
}

/* Shape and style per kind; a reclaim-tainted class adds "filled". */
static const struct {
	const char *shape, *style;
} kind_attrs[] = {
	[LD_KIND_WW_MUTEX] = { "box", "solid" },
	[LD_KIND_WW_ACQUIRE] = { "ellipse", "solid" },
	[LD_KIND_SPIN] = { "box", "rounded" },
	[LD_KIND_SPIN_SHARED] = { "box", "rounded" },
	[LD_KIND_MAP] = { "box", "dashed" },
	[LD_KIND_RECLAIM] = { "octagon", "solid" },
};

/*
 * ", key=\"<site>\"" (with the thread when @tid > 0), or nothing when the
 * text cannot be made.
 */
static void put_site(FILE *f, const char *key, int tid, void *ip)
{
	struct ld_buf b = { 0 };
	char *text;

	if (tid > 0)
		ld_buf_printf(&b, "thread %d held the first lock since ", tid);
	ld_buf_site(&b, ip);
	text = ld_buf_take(&b);
	if (!text)
		return;
	fprintf(f, ", %s=", key);
	put_quoted(f, text);
	free(text);
}

static void write_dot(FILE *f, const struct ld_snap *s)
{
	fputs("// The libresv lock validator's dependency graph (resv_lockdep_write_graph()).\n"
	      "// An edge A -> B: a lock of class B was taken while one of class A was held;\n"
	      "// its label is where B was taken the first time, its tooltip where A was.\n"
	      "digraph resv_lockdep {\n"
	      "\tnode [fontname=\"Helvetica\", fontsize=11];\n"
	      "\tedge [fontname=\"Helvetica\", fontsize=8];\n", f);
	for (uint32_t i = 0; i < s->nr_classes; i++) {
		const struct ld_snap_class *c = &s->classes[i];

		fprintf(f, "\tc%u [label=", i);
		put_quoted(f, c->name);
		fprintf(f, ", shape=%s, style=\"%s%s\"%s];\n", kind_attrs[c->kind].shape,
			kind_attrs[c->kind].style, c->reclaim_tainted ? ",filled" : "",
			c->reclaim_tainted ? ", fillcolor=\"#f4d03f\"" : "");
	}
	for (size_t i = 0; i < s->nr_edges; i++) {
		const struct ld_snap_edge *e = &s->edges[i];

		fprintf(f, "\tc%u -> c%u [", e->from, e->to);
		fputs("arrowsize=0.7", f);
		put_site(f, "label", 0, e->to_ip);
		put_site(f, "tooltip", e->tid, e->from_ip);
		fputs("];\n", f);
	}
	fputs("}\n", f);
}

int resv_lockdep_write_graph(FILE *f, enum resv_lockdep_graph_format fmt)
{
	struct ld_snap s;
	int ret;

	if (!f || fmt != RESV_LOCKDEP_GRAPH_DOT)
		return -EINVAL;
	ret = snap_take(&s);
	if (ret)
		return ret;
	/* Sort the nodes by name, then renumber the edges' ends to match. */
	if (s.nr_classes > 1)	/* an empty graph has no arrays at all */
		qsort(s.classes, s.nr_classes, sizeof(*s.classes), class_cmp);
	for (size_t i = 0; i < s.nr_edges; i++) {
		s.edges[i].from = class_index(&s, s.edges[i].from);
		s.edges[i].to = class_index(&s, s.edges[i].to);
	}
	if (s.nr_edges > 1)
		qsort(s.edges, s.nr_edges, sizeof(*s.edges), edge_cmp);
	write_dot(f, &s);
	snap_free(&s);
	return fflush(f) || ferror(f) ? -EIO : 0;
}

#else /* !RESV_LOCKDEP */

int resv_lockdep_write_graph(FILE *f, enum resv_lockdep_graph_format fmt)
{
	if (!f || fmt != RESV_LOCKDEP_GRAPH_DOT)
		return -EINVAL;
	return -EOPNOTSUPP;
}

#endif /* RESV_LOCKDEP */
