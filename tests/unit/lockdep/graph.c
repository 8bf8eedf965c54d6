/* SPDX-License-Identifier: MIT */
/*
 * resv_lockdep_write_graph(): the dot output has a node per live class and
 * exactly an edge per recorded dependency, sorted, with sites; bad
 * arguments and allocation failures change and write nothing.
 */
#include "lockdep_test.h"

static struct resv_lockdep_class_key gkey_a = RESV_LOCKDEP_CLASS_KEY_INIT("graph A");
static struct resv_lockdep_class_key gkey_b = RESV_LOCKDEP_CLASS_KEY_INIT("graph B");
static struct resv_lockdep_class_key gkey_c = RESV_LOCKDEP_CLASS_KEY_INIT("graph \"C\"");

/*
 * The graph as text (malloc'ed, NUL-terminated), and the function's return
 * value. Through a temporary file rather than open_memstream(): gcc 12 at
 * -O2 takes the memstream's buffer for a dangling pointer to a local.
 */
static char *graph_text(int *ret, enum resv_lockdep_graph_format fmt)
{
	FILE *f = tmpfile();
	char *text;
	long len;

	assert_non_null(f);
	*ret = resv_lockdep_write_graph(f, fmt);
	assert_int_equal(fflush(f), 0);
	len = ftell(f);
	assert_true(len >= 0);
	text = malloc((size_t)len + 1);
	assert_non_null(text);
	rewind(f);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	text[len] = '\0';
	assert_int_equal(fclose(f), 0);
	return text;
}

/* The node id ("c<N>") of the class labelled @name, or -1. */
static int node_of(const char *dot, const char *quoted_name)
{
	char pat[128];
	const char *p;
	int id;

	snprintf(pat, sizeof(pat), " [label=%s,", quoted_name);
	p = strstr(dot, pat);
	if (!p)
		return -1;
	while (p > dot && p[-1] != '\t')
		p--;
	return sscanf(p, "c%d", &id) == 1 ? id : -1;
}

/* How many edges from node @from to node @to. */
static unsigned int edges(const char *dot, int from, int to)
{
	char pat[64];
	unsigned int n = 0;

	snprintf(pat, sizeof(pat), "\tc%d -> c%d [", from, to);
	for (const char *p = dot; (p = strstr(p, pat)); p++)
		n++;
	return n;
}

/* How many edges touch node @c at all. */
static unsigned int edges_touching(const char *dot, int c)
{
	char out[32], in[32];
	unsigned int n = 0;

	snprintf(out, sizeof(out), "\tc%d -> ", c);
	snprintf(in, sizeof(in), " -> c%d [", c);
	for (const char *p = dot; (p = strstr(p, out)); p++)
		n++;
	for (const char *p = dot; (p = strstr(p, in)); p++)
		n++;
	return n;
}

void test_lockdep_graph_dot(void **state)
{
	struct resv_lockdep_map a, b, c;
	int ret, na, nb, nc;
	char *dot;

	(void)state;
	LDT_REQUIRE();
	resv_lockdep_map_init(&a, "a", &gkey_a);
	resv_lockdep_map_init(&b, "b", &gkey_b);
	resv_lockdep_map_init(&c, "c", &gkey_c);
	/* A -> B and B -> C; C trylocked under A adds nothing. */
	resv_lockdep_acquire(&a, 0);
	resv_lockdep_acquire(&b, 0);
	resv_lockdep_release(&b);
	resv_lockdep_acquire(&c, RESV_LOCKDEP_TRYLOCK);
	resv_lockdep_release(&c);
	resv_lockdep_release(&a);
	resv_lockdep_acquire(&b, 0);
	resv_lockdep_acquire(&c, 0);
	resv_lockdep_release(&c);
	resv_lockdep_release(&b);

	dot = graph_text(&ret, RESV_LOCKDEP_GRAPH_DOT);
	assert_int_equal(ret, 0);
	assert_non_null(strstr(dot, "digraph resv_lockdep {\n"));
	assert_string_equal(dot + strlen(dot) - 2, "}\n");
	na = node_of(dot, "\"graph A\"");
	nb = node_of(dot, "\"graph B\"");
	nc = node_of(dot, "\"graph \\\"C\\\"\"");	/* quotes escaped */
	assert_true(na >= 0 && nb >= 0 && nc >= 0);
	/* sorted by name: "graph \"C\"" < "graph A" < "graph B" */
	assert_true(nc < na && na < nb);
	assert_non_null(strstr(dot, "[label=\"graph A\", shape=box, style=\"dashed\"]"));
	assert_int_equal(edges(dot, na, nb), 1);
	assert_int_equal(edges(dot, nb, nc), 1);
	assert_int_equal(edges(dot, na, nc), 0);	/* the trylock */
	assert_int_equal(edges_touching(dot, na) + edges_touching(dot, nb) +
			 edges_touching(dot, nc), 4);	/* the two edges, counted twice */
	/* The site of B under A is in this function (the binary exports it). */
	{
		char pat[64];
		const char *e;

		snprintf(pat, sizeof(pat), "\tc%d -> c%d [", na, nb);
		e = strstr(dot, pat);
		assert_non_null(strstr(e, "label=\"test_lockdep_graph_dot+0x"));
		assert_true(strstr(e, "label=\"test_lockdep_graph_dot+0x") < strchr(e, '\n'));
	}
	free(dot);

	/* An unregistered key's class and its dependencies are gone. */
	resv_lockdep_unregister_key(&gkey_c);
	dot = graph_text(&ret, RESV_LOCKDEP_GRAPH_DOT);
	assert_int_equal(ret, 0);
	assert_int_equal(node_of(dot, "\"graph \\\"C\\\"\""), -1);
	na = node_of(dot, "\"graph A\"");
	nb = node_of(dot, "\"graph B\"");
	assert_int_equal(edges(dot, na, nb), 1);
	assert_int_equal(edges_touching(dot, nb), 1);
	free(dot);
	assert_int_equal(ldt_reports(), 0);
}

/* The kernel's own example: a ww context orders before its mutexes. */
void test_lockdep_graph_ww_acquire_edge(void **state)
{
	static DEFINE_WW_CLASS(graph_ww);
	struct ww_acquire_ctx ctx;
	struct ww_mutex m;
	int ret, nctx, nmutex;
	char *dot;

	(void)state;
	LDT_REQUIRE();
	ww_mutex_init(&m, &graph_ww);
	ww_acquire_init(&ctx, &graph_ww);
	assert_int_equal(ww_mutex_lock(&m, &ctx), 0);
	ww_mutex_unlock(&m);
	ww_acquire_fini(&ctx);
	ww_mutex_destroy(&m);
	dot = graph_text(&ret, RESV_LOCKDEP_GRAPH_DOT);
	assert_int_equal(ret, 0);
	nctx = node_of(dot, "\"graph_ww_acquire\"");
	nmutex = node_of(dot, "\"graph_ww_mutex\"");
	assert_true(nctx >= 0 && nmutex >= 0);
	assert_non_null(strstr(dot, "[label=\"graph_ww_acquire\", shape=ellipse"));
	assert_int_equal(edges(dot, nctx, nmutex), 1);
	assert_int_equal(edges(dot, nmutex, nctx), 0);
	free(dot);
}

void test_lockdep_graph_bad_args(void **state)
{
	char *dot;
	int ret;

	(void)state;
	assert_int_equal(resv_lockdep_write_graph(NULL, RESV_LOCKDEP_GRAPH_DOT), -EINVAL);
	dot = graph_text(&ret, (enum resv_lockdep_graph_format)7);
	assert_int_equal(ret, -EINVAL);
	assert_string_equal(dot, "");
	free(dot);
	dot = graph_text(&ret, RESV_LOCKDEP_GRAPH_DOT);
	if (resv_lockdep_compiled_in()) {
		assert_int_equal(ret, 0);
	} else {
		assert_int_equal(ret, -EOPNOTSUPP);
		assert_string_equal(dot, "");
	}
	free(dot);
}

/* Each of the snapshot's two allocations fails: -ENOMEM, nothing written or leaked. */
void test_lockdep_graph_alloc_failure(void **state)
{
	struct resv_lockdep_map a, b;
	struct resv_alloc_stats before, after;
	char *dot;
	int ret;

	(void)state;
	LDT_REQUIRE();
	resv_lockdep_map_init(&a, "a", &gkey_a);
	resv_lockdep_map_init(&b, "b", &gkey_b);
	resv_lockdep_acquire(&a, 0);
	resv_lockdep_acquire(&b, 0);
	resv_lockdep_release(&b);
	resv_lockdep_release(&a);
	for (unsigned long nth = 1; nth <= 2; nth++) {
		resv_alloc_get_stats(&before);
		resv_alloc_fail_nth(nth);
		dot = graph_text(&ret, RESV_LOCKDEP_GRAPH_DOT);
		resv_alloc_fail_nth(0);
		resv_alloc_get_stats(&after);
		assert_int_equal(ret, -ENOMEM);
		assert_string_equal(dot, "");
		free(dot);
		assert_true(after.live_bytes == before.live_bytes);
		assert_true(after.injected_failures == before.injected_failures + 1);
	}
	/* The third allocation would be none: the graph is written. */
	resv_alloc_fail_nth(3);
	dot = graph_text(&ret, RESV_LOCKDEP_GRAPH_DOT);
	resv_alloc_fail_nth(0);
	assert_int_equal(ret, 0);
	assert_int_equal(edges(dot, node_of(dot, "\"graph A\""), node_of(dot, "\"graph B\"")), 1);
	free(dot);
	assert_int_equal(ldt_reports(), 0);
}
