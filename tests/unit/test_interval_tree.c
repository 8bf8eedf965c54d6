/* SPDX-License-Identifier: MIT */
/*
 * lib/interval-tree.c, the tree under the mm's notifiers and mappings and
 * under the GPU VA tree, against brute-force models: 20 000 seeded random
 * inserts and removes of overlapping intervals (and as many of disjoint
 * ones), every structural invariant checked after each operation by a
 * checker of this file (parent links, exact AVL heights and balance, the
 * subtree maxima, the AVL size bound) and by resv__itree_validate(), and
 * every lookup compared with the model: overlap walks, in-order walks both
 * ways, lookup by exact start, the disjoint lookup. RESV_SEED overrides the
 * seed, which is printed with any failure.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "internal/interval-tree.h"

typedef struct resv_interval_tree_node node_t;

#define NNODES 512
#define OPS 20000
#define UNIVERSE 4096UL

/* ---- seeded generator ---------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned long below(uint64_t *s, unsigned long n)
{
	return (unsigned long)(splitmix(s) % n);
}

static uint64_t seed_from_env(void)
{
	const char *env = getenv("RESV_SEED");

	return env ? strtoull(env, NULL, 0) : 0x17e3d5eedULL;
}

/* ---- the model: live nodes in tree order ----------------------------------------- */

struct model {
	node_t node[NNODES];
	bool in[NNODES];
	int order[NNODES];	/* live indexes by start; equal starts by insertion */
	long count;
	struct resv_itree_root root;
};

static void model_insert(struct model *m, int i)
{
	long pos = m->count;

	/* After every node starting at or before it: the tree's rule for ties. */
	while (pos > 0 && m->node[m->order[pos - 1]].start > m->node[i].start)
		pos--;
	memmove(&m->order[pos + 1], &m->order[pos], (size_t)(m->count - pos) * sizeof(int));
	m->order[pos] = i;
	m->count++;
	m->in[i] = true;
	resv__itree_insert(&m->node[i], &m->root);
}

static void model_remove(struct model *m, int i)
{
	long pos = 0;

	while (m->order[pos] != i)
		pos++;
	memmove(&m->order[pos], &m->order[pos + 1], (size_t)(m->count - pos - 1) * sizeof(int));
	m->count--;
	m->in[i] = false;
	resv__itree_remove(&m->node[i], &m->root);
}

/* ---- checks; each returns NULL or what is wrong ---------------------------------- */

/* Independent of resv__itree_validate(): returns the height, or -1 (*why set). */
static int check_subtree(const node_t *n, const node_t *parent, long *count, const char **why)
{
	unsigned long max;
	int hl, hr;

	if (!n)
		return 0;
	if (n->parent != parent) {
		*why = "parent link";
		return -1;
	}
	hl = check_subtree(n->left, n, count, why);
	hr = hl < 0 ? -1 : check_subtree(n->right, n, count, why);
	if (hr < 0)
		return -1;
	if (hl - hr > 1 || hr - hl > 1) {
		*why = "AVL balance";
		return -1;
	}
	if (n->height != 1 + (hl > hr ? hl : hr)) {
		*why = "AVL height";
		return -1;
	}
	max = n->last;
	if (n->left && n->left->subtree_last > max)
		max = n->left->subtree_last;
	if (n->right && n->right->subtree_last > max)
		max = n->right->subtree_last;
	if (n->subtree_last != max) {
		*why = "subtree_last";
		return -1;
	}
	(*count)++;
	return n->height;
}

/* The fewest nodes an AVL tree of height h can hold: N(h) = N(h-1) + N(h-2) + 1. */
static long avl_min_nodes(int h)
{
	long a = 0, b = 1;	/* N(0), N(1) */

	if (h == 0)
		return 0;
	for (int i = 1; i < h; i++) {
		long c = a + b + 1;

		a = b;
		b = c;
	}
	return b;
}

static const char *check_structure(struct model *m)
{
	const char *why = NULL;
	long count = 0;
	int h = check_subtree(m->root.node, NULL, &count, &why);

	if (h < 0)
		return why;
	if (count != m->count)
		return "node count";
	if (avl_min_nodes(h) > count)
		return "height above the AVL bound";
	if (resv__itree_validate(&m->root) != m->count)
		return "resv__itree_validate() disagrees";
	return NULL;
}

static const char *check_inorder(struct model *m)
{
	const node_t *n = resv__itree_first(&m->root);
	long k;

	for (k = 0; k < m->count; k++, n = resv__itree_next(n))
		if (n != &m->node[m->order[k]])
			return "first/next order";
	if (n)
		return "next past the last node";
	n = resv__itree_last(&m->root);
	for (k = m->count - 1; k >= 0; k--, n = resv__itree_prev(n))
		if (n != &m->node[m->order[k]])
			return "last/prev order";
	return n ? "prev before the first node" : NULL;
}

static bool overlaps(const node_t *n, unsigned long s, unsigned long l)
{
	return n->start <= l && n->last >= s;
}

/* The overlap walk of [s, l] returns exactly the model's overlaps, in order. */
static const char *check_overlap(struct model *m, unsigned long s, unsigned long l)
{
	node_t *n = resv__itree_iter_first(&m->root, s, l);

	for (long k = 0; k < m->count; k++) {
		node_t *want = &m->node[m->order[k]];

		if (!overlaps(want, s, l))
			continue;
		if (n != want)
			return "overlap walk";
		n = resv__itree_iter_next(n, s, l);
	}
	return n ? "overlap walk returned a non-overlapping node" : NULL;
}

static const char *check_find_start(struct model *m, unsigned long s)
{
	node_t *want = NULL;

	for (long k = 0; k < m->count && !want; k++)
		if (m->node[m->order[k]].start == s)
			want = &m->node[m->order[k]];
	return resv__itree_find_start(&m->root, s) == want ? NULL : "find_start";
}

/* Disjoint trees only: the first node ending at or after @s. */
static const char *check_disjoint_first(struct model *m, unsigned long s)
{
	node_t *want = NULL;

	for (long k = 0; k < m->count && !want; k++)
		if (m->node[m->order[k]].last >= s)
			want = &m->node[m->order[k]];
	return resv__itree_disjoint_first(&m->root, s) == want ? NULL : "disjoint_first";
}

/* ---- random runs ---------------------------------------------------------------- */

/*
 * Short and long intervals, many sharing a start, a few at the top of the
 * range (no overflow anywhere near ULONG_MAX).
 */
static void random_overlapping(uint64_t *s, node_t *n)
{
	unsigned long len = below(s, 8) ? below(s, 32) : below(s, UNIVERSE);

	if (below(s, 64) == 0) {
		n->last = ULONG_MAX - below(s, 4);
		n->start = n->last - below(s, 64);
		return;
	}
	n->start = below(s, UNIVERSE);
	if (below(s, 4) == 0)
		n->start &= ~63UL;
	n->last = n->start + len;
}

static void random_query(uint64_t *s, unsigned long *qs, unsigned long *ql)
{
	if (below(s, 16) == 0) {
		*qs = below(s, 2) ? ULONG_MAX - below(s, 128) : below(s, UNIVERSE);
		*ql = ULONG_MAX;
		return;
	}
	*qs = below(s, UNIVERSE + 64);
	*ql = *qs + (below(s, 2) ? below(s, 16) : below(s, UNIVERSE));
}

static const char *after_op(struct model *m, uint64_t *s, bool disjoint)
{
	const char *why = check_structure(m);
	unsigned long qs, ql;

	if (!why)
		why = check_inorder(m);
	for (int q = 0; q < 3 && !why; q++) {
		random_query(s, &qs, &ql);
		why = check_overlap(m, qs, ql);
		if (!why)
			why = check_find_start(m, qs);
		if (!why && m->count)
			why = check_find_start(m, m->node[m->order[below(s, (unsigned long)m->count)]].start);
		if (!why && disjoint)
			why = check_disjoint_first(m, qs);
	}
	return why;
}

static void report(const char *what, long op, uint64_t seed, const char *why)
{
	if (why)
		fprintf(stderr, "%s: %s broken after op %ld, RESV_SEED=%#llx\n", what, why, op,
			(unsigned long long)seed);
}

static void drain(struct model *m)
{
	while (m->count) {
		model_remove(m, m->order[m->count / 2]);
		assert_null(check_structure(m));
	}
	assert_null(m->root.node);
}

static void test_itree_random_overlapping_vs_model(void **state)
{
	static struct model m;
	uint64_t seed = seed_from_env(), s = seed;
	const char *why = NULL;
	long op;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (op = 0; op < OPS && !why; op++) {
		int i = (int)below(&s, NNODES);

		if (m.in[i]) {
			model_remove(&m, i);
			if (!resv__itree_node_empty(&m.node[i]))
				why = "removed node not cleared";
		} else {
			random_overlapping(&s, &m.node[i]);
			model_insert(&m, i);
		}
		if (!why)
			why = after_op(&m, &s, false);
	}
	report("overlapping", op - 1, seed, why);
	assert_null(why);
	drain(&m);
}

/* GPU VA use: intervals never overlap; the disjoint lookup must agree too. */
static void test_itree_random_disjoint_vs_model(void **state)
{
	static struct model m;
	static int owner[UNIVERSE];
	uint64_t seed = seed_from_env(), s = seed ^ 0xd15c0ULL;	/* not the other run's stream */
	const char *why = NULL;
	long op;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (unsigned long a = 0; a < UNIVERSE; a++)
		owner[a] = -1;
	for (op = 0; op < OPS && !why; op++) {
		int i = (int)below(&s, NNODES);
		node_t *n = &m.node[i];
		bool free_range = true;

		if (m.in[i]) {
			for (unsigned long a = n->start; a <= n->last; a++)
				owner[a] = -1;
			model_remove(&m, i);
		} else {
			n->start = below(&s, UNIVERSE - 32);
			n->last = n->start + below(&s, 32);
			for (unsigned long a = n->start; a <= n->last; a++)
				free_range &= owner[a] < 0;
			if (!free_range)
				continue;
			for (unsigned long a = n->start; a <= n->last; a++)
				owner[a] = i;
			model_insert(&m, i);
		}
		why = after_op(&m, &s, true);
	}
	report("disjoint", op - 1, seed, why);
	assert_null(why);
	drain(&m);
}

/* ---- targeted cases ------------------------------------------------------------- */

static void test_itree_empty_tree(void **state)
{
	struct resv_itree_root root = { NULL };

	(void)state;
	assert_null(resv__itree_iter_first(&root, 0, ULONG_MAX));
	assert_null(resv__itree_disjoint_first(&root, 0));
	assert_null(resv__itree_find_start(&root, 0));
	assert_null(resv__itree_first(&root));
	assert_null(resv__itree_last(&root));
	assert_int_equal(resv__itree_validate(&root), 0);
}

/* Equal starts keep insertion order, through removals and reinsertion. */
static void test_itree_equal_starts_in_insertion_order(void **state)
{
	static node_t n[6];
	struct resv_itree_root root = { NULL };
	node_t *p;
	int k;

	(void)state;
	for (int i = 0; i < 6; i++) {
		n[i].start = 7;
		n[i].last = 7 + (unsigned long)(5 - i) * 10;	/* later ones end sooner */
		resv__itree_insert(&n[i], &root);
	}
	assert_int_equal(resv__itree_validate(&root), 6);
	assert_ptr_equal(resv__itree_find_start(&root, 7), &n[0]);
	assert_null(resv__itree_find_start(&root, 6));
	assert_null(resv__itree_find_start(&root, 8));
	k = 0;
	for (p = resv__itree_iter_first(&root, 7, 7); p; p = resv__itree_iter_next(p, 7, 7))
		assert_ptr_equal(p, &n[k++]);
	assert_int_equal(k, 6);
	/* [40, 40]: only the two ending at 57 and 47 reach it. */
	p = resv__itree_iter_first(&root, 40, 40);
	assert_ptr_equal(p, &n[0]);
	assert_ptr_equal(resv__itree_iter_next(p, 40, 40), &n[1]);
	assert_null(resv__itree_iter_next(&n[1], 40, 40));

	resv__itree_remove(&n[0], &root);
	assert_true(resv__itree_node_empty(&n[0]));
	assert_ptr_equal(resv__itree_find_start(&root, 7), &n[1]);
	resv__itree_insert(&n[0], &root);	/* now the last of the sevens */
	assert_false(resv__itree_node_empty(&n[0]));
	assert_ptr_equal(resv__itree_last(&root), &n[0]);
	assert_ptr_equal(resv__itree_prev(&n[0]), &n[5]);
	assert_ptr_equal(resv__itree_first(&root), &n[1]);
	assert_int_equal(resv__itree_validate(&root), 6);
}

/* Sorted inserts, the worst case of an unbalanced tree, from both ends. */
static void test_itree_sorted_inserts_stay_balanced(void **state)
{
	enum { N = 4096 };
	static node_t n[N];
	struct resv_itree_root root = { NULL };

	(void)state;
	for (int dir = 0; dir < 2; dir++) {
		for (int i = 0; i < N; i++) {
			int k = dir ? N - 1 - i : i;

			n[k].start = 2UL * (unsigned long)k;
			n[k].last = n[k].start + 1;
			resv__itree_insert(&n[k], &root);
		}
		assert_int_equal(resv__itree_validate(&root), N);
		/* N = 2^12: height 13 at least, 16 at most for an AVL tree. */
		assert_true(root.node->height >= 13 && root.node->height <= 16);
		assert_true(avl_min_nodes(root.node->height) <= N);
		assert_int_equal(root.node->subtree_last, 2UL * (N - 1) + 1);
		for (int i = 0; i < N; i += 2)
			resv__itree_remove(&n[i], &root);
		assert_int_equal(resv__itree_validate(&root), N / 2);
		for (int i = 1; i < N; i += 2)
			resv__itree_remove(&n[i], &root);
		assert_null(root.node);
	}
}

/* The validator catches each kind of corruption it names (and only it). */
/* Nested and touching intervals: the cases an unaugmented search misses. */
static void test_itree_overlap_walk_is_ordered_and_complete(void **state)
{
	static node_t n[8];
	static const unsigned long iv[8][2] = {
		{ 0, 1000 }, { 10, 20 }, { 20, 30 }, { 31, 40 },
		{ 500, 500 }, { 999, 2000 }, { 2001, 2001 }, { 100, 100 },
	};
	struct resv_itree_root root = { NULL };
	node_t *p;
	unsigned long got[8];
	int k;

	for (int i = 0; i < 8; i++) {
		n[i].start = iv[i][0];
		n[i].last = iv[i][1];
		resv__itree_insert(&n[i], &root);
	}
	assert_int_equal(resv__itree_validate(&root), 8);

	/* [20, 31]: {0,1000} {10,20} {20,30} {31,40}, by start. */
	k = 0;
	for (p = resv__itree_iter_first(&root, 20, 31); p; p = resv__itree_iter_next(p, 20, 31))
		got[k++] = p->start;
	assert_int_equal(k, 4);
	assert_int_equal(got[0], 0);
	assert_int_equal(got[1], 10);
	assert_int_equal(got[2], 20);
	assert_int_equal(got[3], 31);

	/* [1001, 2000]: only {999,2000}; the long {0,1000} ends just before. */
	p = resv__itree_iter_first(&root, 1001, 2000);
	assert_ptr_equal(p, &n[5]);
	assert_null(resv__itree_iter_next(p, 1001, 2000));

	/* Points: 2002 nothing, 2001 one, 41 only the covering {0,1000}. */
	assert_null(resv__itree_iter_first(&root, 2002, 5000));
	assert_ptr_equal(resv__itree_iter_first(&root, 2001, 2001), &n[6]);
	p = resv__itree_iter_first(&root, 41, 99);
	assert_ptr_equal(p, &n[0]);
	assert_null(resv__itree_iter_next(p, 41, 99));

	resv__itree_remove(&n[0], &root);
	assert_null(resv__itree_iter_first(&root, 41, 99));
	assert_int_equal(resv__itree_validate(&root), 7);
}

static void test_itree_validate_catches_corruption(void **state)
{
	static node_t n[32], a, b, c;
	struct resv_itree_root root = { NULL }, chain;
	node_t *r, *leaf, saved;

	(void)state;
	for (int i = 0; i < 32; i++) {
		n[i].start = 10UL * (unsigned long)i;
		n[i].last = n[i].start + 3;
		resv__itree_insert(&n[i], &root);
	}
	assert_int_equal(resv__itree_validate(&root), 32);
	r = root.node;
	leaf = resv__itree_first(&root);
	assert_null(leaf->left);
	assert_null(leaf->right);

	saved = *r->left;
	r->left->parent = r->right;
	assert_int_equal(resv__itree_validate(&root), RESV_ITREE_BAD_PARENT);
	*r->left = saved;

	saved = *r;
	r->start = resv__itree_next(r)->start + 1;
	assert_int_equal(resv__itree_validate(&root), RESV_ITREE_BAD_ORDER);
	*r = saved;

	leaf->height = 2;
	assert_int_equal(resv__itree_validate(&root), RESV_ITREE_BAD_HEIGHT);
	leaf->height = 1;

	r->subtree_last++;
	assert_int_equal(resv__itree_validate(&root), RESV_ITREE_BAD_SUBTREE_LAST);
	r->subtree_last--;

	/* [5, 4], maxima consistent: every other last is 13 or more. */
	leaf->start = 5;
	leaf->last = leaf->subtree_last = 4;
	assert_int_equal(resv__itree_validate(&root), RESV_ITREE_BAD_INTERVAL);
	leaf->start = 0;
	leaf->last = leaf->subtree_last = 3;
	assert_int_equal(resv__itree_validate(&root), 32);

	/* a -> b -> c down the left, heights right, nothing on the right. */
	a = (node_t){ .start = 30, .last = 30, .subtree_last = 30, .left = &b, .height = 3 };
	b = (node_t){ .start = 20, .last = 20, .subtree_last = 20, .parent = &a, .left = &c,
		      .height = 2 };
	c = (node_t){ .start = 10, .last = 10, .subtree_last = 10, .parent = &b, .height = 1 };
	chain.node = &a;
	assert_int_equal(resv__itree_validate(&chain), RESV_ITREE_BAD_BALANCE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_itree_empty_tree),
		cmocka_unit_test(test_itree_equal_starts_in_insertion_order),
		cmocka_unit_test(test_itree_sorted_inserts_stay_balanced),
		cmocka_unit_test(test_itree_overlap_walk_is_ordered_and_complete),
		cmocka_unit_test(test_itree_validate_catches_corruption),
		cmocka_unit_test(test_itree_random_overlapping_vs_model),
		cmocka_unit_test(test_itree_random_disjoint_vs_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
