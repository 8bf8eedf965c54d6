/* SPDX-License-Identifier: MIT */
/*
 * The VM's life cycle and its VA tree: init arguments, range validity, the
 * kernel node, insert/remove errnos and references, the finders (with the
 * kernel code's find_prev/find_next semantics), the iterators, and
 * thousands of random inserts and removals against a brute-force model.
 */
#include "gpuvm_test.h"

static unsigned int misuse_expected(unsigned int n)
{
	return resv_report_checks_enabled() ? n : 0;
}

void test_gpuvm_init_bad_args(void **state)
{
	struct drm_gem_object *r_obj = drm_gpuvm_resv_object_alloc(NULL);
	struct drm_gpuvm_ops no_free = { 0 };
	struct drm_gpuvm vm;

	(void)state;
	assert_non_null(r_obj);
	memset(&vm, 0, sizeof(vm));
	assert_int_equal(drm_gpuvm_init(NULL, "x", 0, NULL, r_obj, 0, 100, 0, 0, &gt_vm_ops),
			 -EINVAL);
	assert_int_equal(drm_gpuvm_init(&vm, "x", 0, NULL, NULL, 0, 100, 0, 0, &gt_vm_ops),
			 -EINVAL);
	assert_int_equal(drm_gpuvm_init(&vm, "x", 0, NULL, r_obj, 0, 100, 0, 0, NULL), -EINVAL);
	assert_int_equal(gt_reports_take(RESV_REPORT_GPUVM_MISUSE), 0);
	/* No vm_free: the kernel WARNs (at free time); refused here. */
	assert_int_equal(drm_gpuvm_init(&vm, "x", 0, NULL, r_obj, 0, 100, 0, 0, &no_free),
			 -EINVAL);
	assert_int_equal(gt_reports_take(RESV_REPORT_GPUVM_MISUSE), misuse_expected(1));
	/* 64-bit overflow of the space or of the kernel node: the kernel WARNs. */
	assert_int_equal(drm_gpuvm_init(&vm, "x", 0, NULL, r_obj, 1, UINT64_MAX, 0, 0,
					&gt_vm_ops),
			 -EINVAL);
	assert_int_equal(drm_gpuvm_init(&vm, "x", 0, NULL, r_obj, 0, 100, UINT64_MAX, 1,
					&gt_vm_ops),
			 -EINVAL);
	assert_int_equal(gt_reports_take(RESV_REPORT_GPUVM_MISUSE), misuse_expected(2));
	/* Nothing taken, nothing initialised. */
	assert_int_equal(drm_gem_object_refcount(r_obj), 1);
	assert_null(vm.r_obj);
	assert_null(vm.ops);
	drm_gem_object_put(r_obj);
}

void test_gpuvm_init_and_free(void **state)
{
	struct gt_vm *vm = calloc(1, sizeof(*vm));
	struct drm_gem_object *r_obj = drm_gpuvm_resv_object_alloc(NULL);
	long freed = gt_vms_freed;
	struct drm_gpuva *k;

	(void)state;
	assert_non_null(r_obj);
	assert_int_equal(drm_gpuvm_init(&vm->base, NULL,
					DRM_GPUVM_RESV_PROTECTED | DRM_GPUVM_USERBITS, NULL,
					r_obj, 0x1000, 0x10000, 0x1000, 0x100, &gt_vm_ops),
			 0);
	assert_string_equal(vm->base.name, "unknown");
	assert_true(drm_gpuvm_resv_protected(&vm->base));
	assert_false(drm_gpuvm_immediate_mode(&vm->base));
	assert_ptr_equal(drm_gpuvm_resv(&vm->base), r_obj->resv);
	assert_ptr_equal(drm_gpuvm_resv_obj(&vm->base), r_obj);
	assert_int_equal(drm_gpuvm_refcount(&vm->base), 1);	/* kernel node: no ref */
	assert_int_equal(drm_gem_object_refcount(r_obj), 2);
	assert_false(drm_gpuvm_resv_held(&vm->base));

	k = drm_gpuva_find_first(&vm->base, 0x1000, 1);
	assert_ptr_equal(k, &vm->base.kernel_alloc_node);
	assert_ptr_equal(drm_gpuva_find(&vm->base, 0x1000, 0x100), k);
	assert_int_equal(resv__gpuvm_tree_check(&vm->base), 1);

	drm_gem_object_put(r_obj);
	assert_int_equal(drm_gem_object_refcount(r_obj), 1);
	drm_gpuvm_put(&vm->base);	/* frees r_obj, calls vm_free */
	assert_int_equal(gt_vms_freed, freed + 1);
}

void test_gpuvm_get_put_refcount(void **state)
{
	struct gt_vm *vm = gt_vm_new(0, 0, 1000, 0, 0, NULL);

	(void)state;
	assert_ptr_equal(drm_gpuvm_get(&vm->base), &vm->base);
	assert_int_equal(drm_gpuvm_refcount(&vm->base), 2);
	drm_gpuvm_put(&vm->base);
	drm_gpuvm_put(NULL);	/* no-op */
	gt_vm_put_last(vm);
}

void test_gpuvm_range_valid(void **state)
{
	/* Space [100, 1100), kernel node [500, 600). */
	struct gt_vm *vm = gt_vm_new(0, 100, 1000, 500, 100, NULL);
	struct drm_gpuvm *g = &vm->base;

	(void)state;
	assert_true(drm_gpuvm_range_valid(g, 100, 400));
	assert_true(drm_gpuvm_range_valid(g, 600, 500));
	assert_true(drm_gpuvm_range_valid(g, 499, 1));
	assert_true(drm_gpuvm_range_valid(g, 600, 1));
	assert_false(drm_gpuvm_range_valid(g, 99, 2));		/* before the space */
	assert_false(drm_gpuvm_range_valid(g, 1000, 101));	/* past its end */
	assert_false(drm_gpuvm_range_valid(g, 499, 2));		/* touches the kernel node */
	assert_false(drm_gpuvm_range_valid(g, 599, 1));
	assert_false(drm_gpuvm_range_valid(g, 400, 300));	/* covers it */
	assert_false(drm_gpuvm_range_valid(g, 200, 0));		/* empty: never valid */
	assert_false(drm_gpuvm_range_valid(g, UINT64_MAX, 2));	/* overflow */
	assert_false(drm_gpuvm_range_valid(NULL, 200, 1));
	gt_vm_put_last(vm);
}

void test_gpuva_insert_remove(void **state)
{
	struct gt_vm *vm = gt_vm_new(0, 0, 1000, 900, 100, NULL);
	struct drm_gpuvm *g = &vm->base;
	struct drm_gpuva a = { 0 }, b = { 0 }, c = { 0 }, bad = { 0 };

	(void)state;
	drm_gpuva_init(&a, 100, 100, NULL, 0);
	assert_int_equal(drm_gpuva_insert(NULL, &a), -EINVAL);
	assert_int_equal(drm_gpuva_insert(g, NULL), -EINVAL);
	drm_gpuva_init(&bad, 950, 10, NULL, 0);		/* the kernel node */
	assert_int_equal(drm_gpuva_insert(g, &bad), -EINVAL);
	drm_gpuva_init(&bad, 990, 20, NULL, 0);		/* past the end */
	assert_int_equal(drm_gpuva_insert(g, &bad), -EINVAL);
	drm_gpuva_init(&bad, 10, 0, NULL, 0);		/* empty */
	assert_int_equal(drm_gpuva_insert(g, &bad), -EINVAL);
	assert_int_equal(drm_gpuvm_refcount(g), 1);

	assert_int_equal(drm_gpuva_insert(g, &a), 0);
	assert_ptr_equal(a.vm, g);
	assert_int_equal(drm_gpuvm_refcount(g), 2);

	/* Any overlap is refused, touching is fine. */
	drm_gpuva_init(&b, 150, 10, NULL, 0);
	assert_int_equal(drm_gpuva_insert(g, &b), -EEXIST);
	drm_gpuva_init(&b, 50, 51, NULL, 0);
	assert_int_equal(drm_gpuva_insert(g, &b), -EEXIST);
	drm_gpuva_init(&b, 199, 2, NULL, 0);
	assert_int_equal(drm_gpuva_insert(g, &b), -EEXIST);
	drm_gpuva_init(&b, 0, 500, NULL, 0);
	assert_int_equal(drm_gpuva_insert(g, &b), -EEXIST);
	assert_int_equal(drm_gpuvm_refcount(g), 2);
	assert_int_equal(resv__gpuvm_tree_check(g), 2);

	drm_gpuva_init(&b, 200, 50, NULL, 0);
	drm_gpuva_init(&c, 0, 100, NULL, 0);
	assert_int_equal(drm_gpuva_insert(g, &b), 0);
	assert_int_equal(drm_gpuva_insert(g, &c), 0);
	assert_int_equal(drm_gpuvm_refcount(g), 4);
	assert_int_equal(resv__gpuvm_tree_check(g), 4);

	/* The kernel node stays, with a report. */
	assert_int_equal(drm_gpuva_remove(&g->kernel_alloc_node), -EINVAL);
	assert_int_equal(gt_reports_take(RESV_REPORT_GPUVM_MISUSE), misuse_expected(1));
	assert_int_equal(drm_gpuva_remove(NULL), -EINVAL);
	assert_int_equal(drm_gpuva_remove(&bad), -EINVAL);	/* never inserted */

	assert_int_equal(drm_gpuva_remove(&a), 0);
	assert_int_equal(drm_gpuva_remove(&a), -EINVAL);	/* twice */
	assert_int_equal(drm_gpuva_remove(&c), 0);
	assert_int_equal(drm_gpuva_remove(&b), 0);
	assert_int_equal(drm_gpuvm_refcount(g), 1);
	assert_int_equal(resv__gpuvm_tree_check(g), 1);
	gt_vm_put_last(vm);
}

void test_gpuva_find(void **state)
{
	struct gt_vm *vm = gt_vm_new(0, 0, 1000, 0, 0, NULL);
	struct drm_gpuvm *g = &vm->base;
	struct drm_gpuva a = { 0 }, b = { 0 }, c = { 0 };

	(void)state;
	drm_gpuva_init(&a, 100, 100, NULL, 0);	/* [100, 200) */
	drm_gpuva_init(&b, 200, 50, NULL, 0);	/* [200, 250), adjacent to a */
	drm_gpuva_init(&c, 300, 10, NULL, 0);	/* [300, 310), after a hole */
	assert_int_equal(drm_gpuva_insert(g, &a), 0);
	assert_int_equal(drm_gpuva_insert(g, &b), 0);
	assert_int_equal(drm_gpuva_insert(g, &c), 0);

	assert_ptr_equal(drm_gpuva_find(g, 100, 100), &a);
	assert_null(drm_gpuva_find(g, 100, 99));
	assert_null(drm_gpuva_find(g, 101, 99));
	assert_ptr_equal(drm_gpuva_find_first(g, 0, 1000), &a);
	assert_ptr_equal(drm_gpuva_find_first(g, 199, 5), &a);
	assert_ptr_equal(drm_gpuva_find_first(g, 200, 1), &b);
	assert_ptr_equal(drm_gpuva_find_first(g, 250, 100), &c);
	assert_null(drm_gpuva_find_first(g, 250, 50));
	assert_null(drm_gpuva_find_first(g, 310, 690));
	assert_true(drm_gpuvm_interval_empty(g, 250, 50));
	assert_false(drm_gpuvm_interval_empty(g, 250, 51));

	/* Adjacent neighbours. */
	assert_ptr_equal(drm_gpuva_find_prev(g, 200), &a);
	assert_ptr_equal(drm_gpuva_find_next(g, 200), &b);
	/* The kernel's code queries [start - 1, start] and [end, end + 1]:
	 * with a hole before c, find_prev(c's start) finds c itself, and
	 * find_next one address before a mapping finds that mapping. */
	assert_ptr_equal(drm_gpuva_find_prev(g, 300), &c);
	assert_ptr_equal(drm_gpuva_find_next(g, 299), &c);
	assert_null(drm_gpuva_find_prev(g, 280));
	assert_null(drm_gpuva_find_next(g, 250));
	assert_null(drm_gpuva_find_prev(g, 0));		/* start - 1 is invalid */
	assert_null(drm_gpuva_find_next(g, 1000));	/* end is invalid */

	assert_int_equal(drm_gpuva_remove(&a), 0);
	assert_int_equal(drm_gpuva_remove(&b), 0);
	assert_int_equal(drm_gpuva_remove(&c), 0);
	gt_vm_put_last(vm);
}

void test_gpuva_iterators(void **state)
{
	struct gt_vm *vm = gt_vm_new(0, 0, 1000, 500, 10, NULL);
	struct drm_gpuvm *g = &vm->base;
	struct drm_gpuva v[8], *va, *next;
	/* 500 is the kernel node, not inserted by the test. */
	const uint64_t expect[] = { 10, 30, 50, 70, 500, 600, 700, 800 };
	unsigned int i, n;

	(void)state;
	memset(v, 0, sizeof(v));
	/* Insert out of order; the list comes out sorted. */
	for (i = 0; i < 8; i++) {
		unsigned int j = (i * 5) % 8;

		if (expect[j] == 500)
			continue;
		drm_gpuva_init(&v[j], expect[j], 10, NULL, 0);
		assert_int_equal(drm_gpuva_insert(g, &v[j]), 0);
	}
	n = 0;
	drm_gpuvm_for_each_va(va, g)
		assert_int_equal(va->va.addr, expect[n++]);
	assert_int_equal(n, 8);

	/* [35, 605) overlaps [30, 40), 50, 70, the kernel node and [600, 610). */
	n = 0;
	drm_gpuvm_for_each_va_range(va, g, 35, 605)
		n++;
	assert_int_equal(n, 5);
	n = 0;
	drm_gpuvm_for_each_va_range(va, g, 40, 50)	/* the hole */
		n++;
	assert_int_equal(n, 0);

	/* Safe walks remove as they go. */
	drm_gpuvm_for_each_va_range_safe(va, next, g, 0, 100)
		assert_int_equal(drm_gpuva_remove(va), 0);
	assert_int_equal(resv__gpuvm_tree_check(g), 4);
	drm_gpuvm_for_each_va_safe(va, next, g)
		if (va != &g->kernel_alloc_node)
			assert_int_equal(drm_gpuva_remove(va), 0);
	assert_int_equal(resv__gpuvm_tree_check(g), 1);
	gt_vm_put_last(vm);
}

/* ---- random inserts and removals against a model ----------------------------- */

#define SPACE 4096u

/* Brute force: which slot covers an address (-1: none). */
static int model_at(const int *owner, uint64_t addr)
{
	return addr < SPACE ? owner[addr] : -1;
}

static struct drm_gpuva *model_first(struct drm_gpuva *v, const int *owner, uint64_t addr,
				     uint64_t range)
{
	for (uint64_t a = addr; a < addr + range && a < SPACE; a++)
		if (owner[a] >= 0)
			return &v[owner[a]];
	return NULL;
}

void test_gpuva_tree_random(void **state)
{
	enum { SLOTS = 512, ROUNDS = 20000 };
	struct gt_vm *vm = gt_vm_new(0, 0, SPACE, 0, 0, NULL);
	struct drm_gpuvm *g = &vm->base;
	struct drm_gpuva *v = calloc(SLOTS, sizeof(*v));
	int *owner = malloc(SPACE * sizeof(int));
	bool *in = calloc(SLOTS, sizeof(bool));
	struct gt_rng rng;
	unsigned int round, live = 0;

	(void)state;
	assert_non_null(v);
	assert_non_null(owner);
	assert_non_null(in);
	for (unsigned int a = 0; a < SPACE; a++)
		owner[a] = -1;
	gt_rng_init(&rng, 1);

	for (round = 0; round < ROUNDS; round++) {
		unsigned int s = (unsigned int)gt_rng_below(&rng, SLOTS);
		uint64_t addr, range, q, qr;
		bool overlap = false;
		int ret;

		if (in[s]) {
			assert_int_equal(drm_gpuva_remove(&v[s]), 0);
			for (uint64_t a = v[s].va.addr; a < v[s].va.addr + v[s].va.range; a++)
				owner[a] = -1;
			in[s] = false;
			live--;
		} else {
			addr = gt_rng_below(&rng, SPACE);
			range = 1 + gt_rng_below(&rng, 32);
			drm_gpuva_init(&v[s], addr, range, NULL, 0);
			ret = drm_gpuva_insert(g, &v[s]);
			if (addr + range > SPACE) {
				assert_int_equal(ret, -EINVAL);
			} else {
				for (uint64_t a = addr; a < addr + range; a++)
					overlap |= owner[a] >= 0;
				assert_int_equal(ret, overlap ? -EEXIST : 0);
				if (!overlap) {
					for (uint64_t a = addr; a < addr + range; a++)
						owner[a] = (int)s;
					in[s] = true;
					live++;
				}
			}
		}
		assert_int_equal(drm_gpuvm_refcount(g), 1 + live);
		if (round % 64 == 0 || round < 200)
			assert_int_equal(resv__gpuvm_tree_check(g), live);

		/* Queries agree with brute force. */
		q = gt_rng_below(&rng, SPACE);
		qr = 1 + gt_rng_below(&rng, 64);
		assert_ptr_equal(drm_gpuva_find_first(g, q, qr), model_first(v, owner, q, qr));
		if (model_at(owner, q) >= 0) {
			struct drm_gpuva *m = &v[owner[q]];

			assert_ptr_equal(drm_gpuva_find(g, m->va.addr, m->va.range), m);
		}
	}
	assert_int_equal(resv__gpuvm_tree_check(g), live);
	for (unsigned int i = 0; i < SLOTS; i++)
		if (in[i])
			assert_int_equal(drm_gpuva_remove(&v[i]), 0);
	free(v);
	free(owner);
	free(in);
	gt_vm_put_last(vm);
}

/* Sequential inserts are the worst case of an unbalanced tree. */
void test_gpuva_tree_balanced(void **state)
{
	enum { N = 20000 };
	struct gt_vm *vm = gt_vm_new(0, 0, 4 * N, 0, 0, NULL);
	struct drm_gpuva *v = calloc(N, sizeof(*v));
	long h_limit = 1;	/* AVL: height < 1.45 log2(n + 2) */

	(void)state;
	assert_non_null(v);
	for (unsigned long p = 1; p < N + 2; p *= 2)
		h_limit++;		/* h_limit = ceil(log2(N + 2)) + 1 */
	h_limit = h_limit * 145 / 100 + 1;
	for (unsigned int i = 0; i < N; i++) {
		drm_gpuva_init(&v[i], 2ull * i, 1, NULL, 0);
		assert_int_equal(drm_gpuva_insert(&vm->base, &v[i]), 0);
	}
	assert_int_equal(resv__gpuvm_tree_check(&vm->base), N);
	assert_true(vm->base.rb.tree->height <= h_limit);
	/* Remove every other one, from the front: still balanced. */
	for (unsigned int i = 0; i < N; i += 2)
		assert_int_equal(drm_gpuva_remove(&v[i]), 0);
	assert_int_equal(resv__gpuvm_tree_check(&vm->base), N / 2);
	assert_true(vm->base.rb.tree->height <= h_limit);
	for (unsigned int i = 1; i < N; i += 2)
		assert_int_equal(drm_gpuva_remove(&v[i]), 0);
	assert_null(vm->base.rb.tree);
	free(v);
	gt_vm_put_last(vm);
}
