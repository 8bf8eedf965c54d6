/* SPDX-License-Identifier: MIT */
/*
 * The interval tree under notifiers and mappings, against a brute-force
 * model: thousands of random inserts, removes and overlap queries, with
 * every structural invariant (order, parent links, AVL balance, subtree
 * maxima) checked after each operation. Seeded: RESV_SEED overrides the
 * default, and the seed is printed with any failure.
 */
#include "mn_test.h"

#define NNODES 512
#define UNIVERSE 4096UL
#define OPS 20000

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t test_seed(void)
{
	const char *env = getenv("RESV_SEED");

	return env ? strtoull(env, NULL, 0) : 0x5eedf00dULL;
}

struct model {
	struct resv_interval_tree_node nodes[NNODES];
	bool in[NNODES];
	long count;
};

static bool overlaps(const struct resv_interval_tree_node *n, unsigned long s, unsigned long l)
{
	return n->start <= l && n->last >= s;
}

/* Walk [s, l] with first/next and compare with the model; false on mismatch. */
static bool check_query(struct model *m, struct resv_itree_root *root, unsigned long s,
			unsigned long l)
{
	bool seen[NNODES] = { false };
	struct resv_interval_tree_node *n;
	unsigned long prev_start = 0;
	long walked = 0, expected = 0;

	for (n = resv__itree_iter_first(root, s, l); n; n = resv__itree_iter_next(n, s, l)) {
		long i = n - m->nodes;

		if (i < 0 || i >= NNODES || !m->in[i] || seen[i] || !overlaps(n, s, l))
			return false;
		if (n->start < prev_start)
			return false;	/* the walk is in start order */
		prev_start = n->start;
		seen[i] = true;
		walked++;
	}
	for (long i = 0; i < NNODES; i++)
		if (m->in[i] && overlaps(&m->nodes[i], s, l))
			expected++;
	return walked == expected;
}

void test_itree_matches_brute_force(void **state)
{
	static struct model m;
	struct resv_itree_root root = { NULL };
	uint64_t seed = test_seed(), s = seed | 1;
	long bad_op = -1;

	memset(&m, 0, sizeof(m));
	for (long op = 0; op < OPS && bad_op < 0; op++) {
		unsigned long i = rnd(&s) % NNODES;
		unsigned int what = rnd(&s) % 3;

		if (what < 2 && !m.in[i]) {
			/* Short and long intervals, many sharing a start. */
			unsigned long start = rnd(&s) % UNIVERSE;
			unsigned long len = rnd(&s) % 8 ? rnd(&s) % 32 : rnd(&s) % UNIVERSE;

			if (rnd(&s) % 4 == 0)
				start &= ~63UL;
			m.nodes[i].start = start;
			m.nodes[i].last = start + len;
			resv__itree_insert(&m.nodes[i], &root);
			m.in[i] = true;
			m.count++;
		} else if (m.in[i]) {
			resv__itree_remove(&m.nodes[i], &root);
			if (!resv__itree_node_empty(&m.nodes[i]))
				bad_op = op;
			m.in[i] = false;
			m.count--;
		}
		if (resv__itree_validate(&root) != m.count)
			bad_op = op;
		for (int q = 0; q < 2 && bad_op < 0; q++) {
			unsigned long qs = rnd(&s) % (UNIVERSE + 64);
			unsigned long ql = qs + (rnd(&s) % 2 ? rnd(&s) % 16 : rnd(&s) % UNIVERSE);

			if (!check_query(&m, &root, qs, ql))
				bad_op = op;
		}
	}
	if (bad_op >= 0)
		fprintf(stderr, "itree mismatch at op %ld, seed=%llu\n", bad_op,
			(unsigned long long)seed);
	assert_int_equal(bad_op, -1);
	/* Empty it again: everything removable, tree ends empty. */
	for (int i = 0; i < NNODES; i++)
		if (m.in[i])
			resv__itree_remove(&m.nodes[i], &root);
	assert_null(root.node);
	assert_int_equal(resv__itree_validate(&root), 0);
}

void test_itree_overlap_walk_is_ordered_and_complete(void **state)
{
	/* Nested and touching intervals: the cases an unaugmented search misses. */
	static struct resv_interval_tree_node n[8];
	static const unsigned long iv[8][2] = {
		{ 0, 1000 }, { 10, 20 }, { 20, 30 }, { 31, 40 },
		{ 500, 500 }, { 999, 2000 }, { 2001, 2001 }, { 100, 100 },
	};
	struct resv_itree_root root = { NULL };
	struct resv_interval_tree_node *p;
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
