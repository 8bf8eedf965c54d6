/* SPDX-License-Identifier: MIT */
/*
 * The split/merge case table, one test per picture: the kernel's 15 DOC
 * diagrams (checked against the kernel's *code*: an identical request gives
 * UNMAP(keep) + MAP), multi-mapping requests, sm_unmap's splits, the
 * madvise / prefetch / vm_bo-unmap op lists, REMAP holes, argument errnos
 * and allocation failure at every allocation site of the op lists.
 *
 * Units: one DOC unit is U pages; offsets n and m are page offsets into
 * the objects a and b.
 */
#include "gpuvm_test.h"

#define U 4u
#define N_OFF 1000u
#define M_OFF 2000u
#define SPACE (16u * U)

struct map_spec {
	uint64_t addr, range;
	int obj;		/* 0: a, 1: b, -1: none (sparse) */
	uint64_t off;
};

struct piece {
	uint64_t addr, range, off;	/* range 0: absent */
};

struct xop {
	char type;		/* 'M'ap, 'R'emap, 'U'nmap */
	int old;		/* R/U: index of the old mapping */
	bool keep;
	struct piece prev, next;
};

struct sm_case {
	const char *name;
	struct map_spec old[4];
	int nold;
	struct map_spec req;
	struct xop ops[6];
	int nops;
};

/* A VM with objects a and b and the case's old mappings. */
struct fixture {
	struct gt_vm *vm;
	struct gt_bo *bo[2];
	struct drm_gpuva *old[4];
	struct gt_model model;
};

static struct drm_gem_object *obj_of(struct fixture *f, int i)
{
	return i < 0 ? NULL : gt_obj(f->bo[i]);
}

static void map_now(struct fixture *f, const struct map_spec *s)
{
	struct drm_gpuva_op op = { .op = DRM_GPUVA_OP_MAP };

	op.map.va.addr = s->addr;
	op.map.va.range = s->range;
	op.map.gem.obj = obj_of(f, s->obj);
	op.map.gem.offset = s->off;
	gt_apply_op(&f->vm->base, &op, true);
	gt_model_paint(&f->model, s->addr, s->range, op.map.gem.obj, s->off);
}

static void fixture_init(struct fixture *f, const struct map_spec *old, int nold)
{
	memset(f, 0, sizeof(*f));
	f->vm = gt_vm_new(0, 0, SPACE, 0, 0, NULL);
	f->bo[0] = gt_bo_new(0, NULL);
	f->bo[1] = gt_bo_new(1, NULL);
	gt_model_init(&f->model, SPACE);
	for (int i = 0; i < nold; i++) {
		map_now(f, &old[i]);
		f->old[i] = drm_gpuva_find(&f->vm->base, old[i].addr, old[i].range);
		assert_non_null(f->old[i]);
	}
	gt_model_check(&f->model, &f->vm->base);
}

static void fixture_fini(struct fixture *f)
{
	gt_unmap_all(&f->vm->base, true);
	gt_model_fini(&f->model);
	drm_gem_object_put(gt_obj(f->bo[0]));
	drm_gem_object_put(gt_obj(f->bo[1]));
	gt_vm_put_last(f->vm);
}

static void check_piece(const struct drm_gpuva_op_map *got, const struct piece *want,
			struct drm_gem_object *obj)
{
	if (!want->range) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_int_equal(got->va.addr, want->addr);
	assert_int_equal(got->va.range, want->range);
	assert_int_equal(got->gem.offset, want->off);
	assert_ptr_equal(got->gem.obj, obj);
}

/* Compare an op list with the expected ops. */
static void check_ops(struct fixture *f, struct drm_gpuva_ops *ops, const struct xop *want,
		      int nwant, const struct map_spec *req)
{
	struct drm_gpuva_op *op;
	int i = 0;

	drm_gpuva_for_each_op(op, ops) {
		const struct xop *w = &want[i];
		struct drm_gpuva *old = w->old >= 0 ? f->old[w->old] : NULL;

		assert_true(i < nwant);
		switch (w->type) {
		case 'M':
			assert_int_equal(op->op, DRM_GPUVA_OP_MAP);
			assert_int_equal(op->map.va.addr, req->addr);
			assert_int_equal(op->map.va.range, req->range);
			assert_ptr_equal(op->map.gem.obj, obj_of(f, req->obj));
			assert_int_equal(op->map.gem.offset, req->off);
			break;
		case 'U':
			assert_int_equal(op->op, DRM_GPUVA_OP_UNMAP);
			assert_ptr_equal(op->unmap.va, old);
			assert_int_equal(op->unmap.keep, w->keep);
			break;
		case 'R':
			assert_int_equal(op->op, DRM_GPUVA_OP_REMAP);
			assert_ptr_equal(op->remap.unmap->va, old);
			assert_int_equal(op->remap.unmap->keep, w->keep);
			check_piece(op->remap.prev, &w->prev, old->gem.obj);
			check_piece(op->remap.next, &w->next, old->gem.obj);
			break;
		}
		i++;
	}
	assert_int_equal(i, nwant);
}

/* Check the op list, apply it, check the painting. */
static void run_map_case(const struct sm_case *c)
{
	struct drm_gpuvm_map_req req = { 0 };
	struct drm_gpuva_ops *ops;
	struct drm_gpuva_op *op;
	struct fixture f;

	fixture_init(&f, c->old, c->nold);
	req.map.va.addr = c->req.addr;
	req.map.va.range = c->req.range;
	req.map.gem.obj = obj_of(&f, c->req.obj);
	req.map.gem.offset = c->req.off;
	ops = drm_gpuvm_sm_map_ops_create(&f.vm->base, &req);
	assert_false(resv_is_err(ops));
	check_ops(&f, ops, c->ops, c->nops, &c->req);
	drm_gpuva_for_each_op(op, ops)
		gt_apply_op(&f.vm->base, op, true);
	drm_gpuva_ops_free(&f.vm->base, ops);
	gt_model_paint(&f.model, c->req.addr, c->req.range, req.map.gem.obj, c->req.off);
	gt_model_check(&f.model, &f.vm->base);
	fixture_fini(&f);
}

#define P(a, r, o) { (a) * U, (r) * U, (o) }
#define NONE { 0, 0, 0 }
#define MAP { 'M', -1, false, NONE, NONE }
#define UNMAP(i, k) { 'U', (i), (k), NONE, NONE }
#define REMAP(i, k, p, n) { 'R', (i), (k), p, n }
#define A(a, r, off) { (a) * U, (r) * U, 0, (off) }
#define B(a, r, off) { (a) * U, (r) * U, 1, (off) }
#define S(a, r) { (a) * U, (r) * U, -1, 0 }

static const struct sm_case doc_cases[] = {
	{ "1 identical: replace, keep", { A(0, 1, N_OFF) }, 1, A(0, 1, N_OFF),
	  { UNMAP(0, true), MAP }, 2 },
	{ "2 identical but offset", { A(0, 1, N_OFF) }, 1, A(0, 1, M_OFF),
	  { UNMAP(0, false), MAP }, 2 },
	{ "3 identical but object", { A(0, 1, N_OFF) }, 1, B(0, 1, N_OFF),
	  { UNMAP(0, false), MAP }, 2 },
	{ "4 old left-aligned subset", { A(0, 1, N_OFF) }, 1, A(0, 2, N_OFF),
	  { UNMAP(0, true), MAP }, 2 },
	{ "4' same with another object", { A(0, 1, N_OFF) }, 1, B(0, 2, N_OFF),
	  { UNMAP(0, false), MAP }, 2 },
	{ "5 request left-aligned subset, other object", { A(0, 2, N_OFF) }, 1, B(0, 1, N_OFF),
	  { REMAP(0, false, NONE, P(1, 1, N_OFF + U)), MAP }, 2 },
	{ "6 request left-aligned subset, contiguous", { A(0, 2, N_OFF) }, 1, A(0, 1, N_OFF),
	  { REMAP(0, true, NONE, P(1, 1, N_OFF + U)), MAP }, 2 },
	{ "7 request right-aligned subset, other object", { A(0, 2, N_OFF) }, 1,
	  B(1, 1, M_OFF), { REMAP(0, false, P(0, 1, N_OFF), NONE), MAP }, 2 },
	{ "8 request right-aligned subset, contiguous", { A(0, 2, N_OFF) }, 1,
	  A(1, 1, N_OFF + U), { REMAP(0, true, P(0, 1, N_OFF), NONE), MAP }, 2 },
	{ "9 overlap at the end, other object", { A(0, 2, N_OFF) }, 1, B(1, 2, M_OFF),
	  { REMAP(0, false, P(0, 1, N_OFF), NONE), MAP }, 2 },
	{ "10 overlap at the end, contiguous", { A(0, 2, N_OFF) }, 1, A(1, 2, N_OFF + U),
	  { REMAP(0, true, P(0, 1, N_OFF), NONE), MAP }, 2 },
	{ "11 centered subset, other object", { A(0, 3, N_OFF) }, 1, B(1, 1, M_OFF),
	  { REMAP(0, false, P(0, 1, N_OFF), P(2, 1, N_OFF + 2 * U)), MAP }, 2 },
	{ "12 centered subset, contiguous", { A(0, 3, N_OFF) }, 1, A(1, 1, N_OFF + U),
	  { REMAP(0, true, P(0, 1, N_OFF), P(2, 1, N_OFF + 2 * U)), MAP }, 2 },
	{ "13 old right-aligned subset", { A(1, 1, N_OFF + U) }, 1, A(0, 2, N_OFF),
	  { UNMAP(0, true), MAP }, 2 },
	{ "14 old centered subset", { A(1, 1, N_OFF + U) }, 1, A(0, 3, N_OFF),
	  { UNMAP(0, true), MAP }, 2 },
	{ "14' same, not contiguous", { A(1, 1, N_OFF) }, 1, A(0, 3, N_OFF),
	  { UNMAP(0, false), MAP }, 2 },
	{ "15 overlap at the beginning, other object", { A(1, 2, N_OFF) }, 1, B(0, 2, M_OFF),
	  { REMAP(0, false, NONE, P(2, 1, N_OFF + U)), MAP }, 2 },
	{ "15' same object, contiguous", { A(1, 2, N_OFF + U) }, 1, A(0, 2, N_OFF),
	  { REMAP(0, true, NONE, P(2, 1, N_OFF + 2 * U)), MAP }, 2 },
	/* Several mappings: first and last split, the middle ones unmapped. */
	{ "span: REMAP, UNMAP, UNMAP, REMAP, MAP",
	  { A(0, 2, N_OFF), B(2, 1, M_OFF), S(3, 1), A(4, 2, N_OFF + 4 * U) }, 4,
	  A(1, 4, N_OFF + U),
	  { REMAP(0, true, P(0, 1, N_OFF), NONE), UNMAP(1, false), UNMAP(2, false),
	    REMAP(3, true, NONE, P(5, 1, N_OFF + 5 * U)), MAP }, 5 },
	/* Holes in between do not matter; nothing is coalesced. */
	{ "holes", { A(1, 1, N_OFF), A(3, 1, N_OFF + 2 * U) }, 2, A(0, 5, N_OFF - U),
	  { UNMAP(0, true), UNMAP(1, true), MAP }, 3 },
	{ "empty space: one MAP", { A(8, 1, N_OFF) }, 1, B(0, 4, M_OFF), { MAP }, 1 },
	/* Sparse mappings never keep, a sparse request never keeps. */
	{ "sparse over sparse", { S(0, 2) }, 1, S(0, 2), { UNMAP(0, false), MAP }, 2 },
	{ "sparse inside sparse", { S(0, 3) }, 1, S(1, 1),
	  { REMAP(0, false, P(0, 1, 0), P(2, 1, 2 * U)), MAP }, 2 },
};

void test_gpuvm_sm_map_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(doc_cases) / sizeof(doc_cases[0]); i++) {
		print_message("case %s\n", doc_cases[i].name);
		run_map_case(&doc_cases[i]);
	}
}

/* sm_unmap: UNMAP inside, REMAP (never keep) for what sticks out. */
void test_gpuvm_sm_unmap_cases(void **state)
{
	const struct map_spec old[] = { A(0, 2, N_OFF), B(2, 2, M_OFF), S(4, 1), A(6, 4, N_OFF) };
	const struct xop want[] = {
		REMAP(0, false, P(0, 1, N_OFF), NONE),
		UNMAP(1, false),
		UNMAP(2, false),
		REMAP(3, false, NONE, P(8, 2, N_OFF + 2 * U)),
	};
	const struct xop inner[] = { REMAP(3, false, P(6, 1, N_OFF), P(8, 2, N_OFF + 2 * U)) };
	struct drm_gpuva_ops *ops;
	struct drm_gpuva_op *op;
	struct fixture f;
	uint64_t start, range;

	(void)state;
	fixture_init(&f, old, 4);
	ops = drm_gpuvm_sm_unmap_ops_create(&f.vm->base, 1 * U, 7 * U);
	assert_false(resv_is_err(ops));
	check_ops(&f, ops, want, 4, NULL);
	/* The holes the REMAPs leave are the parts inside the request. */
	op = drm_gpuva_first_op(ops);
	drm_gpuva_op_remap_to_unmap_range(&op->remap, &start, &range);
	assert_int_equal(start, 1 * U);
	assert_int_equal(range, 1 * U);
	op = drm_gpuva_last_op(ops);
	drm_gpuva_op_remap_to_unmap_range(&op->remap, &start, &range);
	assert_int_equal(start, 6 * U);
	assert_int_equal(range, 2 * U);
	drm_gpuva_ops_free(&f.vm->base, ops);

	/* Inside one mapping: one REMAP with both pieces. */
	ops = drm_gpuvm_sm_unmap_ops_create(&f.vm->base, 7 * U, 1 * U);
	assert_false(resv_is_err(ops));
	check_ops(&f, ops, inner, 1, NULL);
	op = drm_gpuva_first_op(ops);
	drm_gpuva_op_remap_to_unmap_range(&op->remap, &start, &range);
	assert_int_equal(start, 7 * U);
	assert_int_equal(range, U);
	drm_gpuva_for_each_op(op, ops)
		gt_apply_op(&f.vm->base, op, true);
	drm_gpuva_ops_free(&f.vm->base, ops);
	gt_model_clear(&f.model, 7 * U, U);
	gt_model_check(&f.model, &f.vm->base);

	/* Nothing there: an empty list. */
	ops = drm_gpuvm_sm_unmap_ops_create(&f.vm->base, 12 * U, 2 * U);
	assert_false(resv_is_err(ops));
	assert_true(cds_list_empty(&ops->list));
	drm_gpuva_ops_free(&f.vm->base, ops);
	fixture_fini(&f);
}

void test_gpuvm_sm_bad_args(void **state)
{
	struct gt_vm *vm = gt_vm_new(0, 0, SPACE, SPACE - U, U, NULL);
	struct drm_gpuvm_ops no_steps = { .vm_free = gt_vm_ops.vm_free };
	struct drm_gpuvm_map_req req = { 0 };
	struct gt_apply apply = { .vm = &vm->base, .lock = true };
	struct drm_exec exec;

	(void)state;
	req.map.va.addr = 0;
	req.map.va.range = U;
	/* No step callbacks in the VM's ops. */
	assert_int_equal(drm_gpuvm_sm_map(&vm->base, &apply, &req), -EINVAL);
	assert_int_equal(drm_gpuvm_sm_unmap(&vm->base, &apply, 0, U), -EINVAL);
	vm->base.ops = &no_steps;
	assert_int_equal(drm_gpuvm_sm_map(&vm->base, &apply, &req), -EINVAL);
	vm->base.ops = &gt_vm_ops;
	assert_int_equal(drm_gpuvm_sm_map(NULL, &apply, &req), -EINVAL);
	assert_int_equal(drm_gpuvm_sm_map(&vm->base, &apply, NULL), -EINVAL);
	assert_int_equal(drm_gpuvm_sm_unmap(NULL, &apply, 0, U), -EINVAL);

	/* Bad ranges: the kernel node, out of the space, empty, overflow. */
	assert_ptr_equal(drm_gpuvm_sm_map_ops_create(NULL, &req), resv_err_ptr(-EINVAL));
	assert_ptr_equal(drm_gpuvm_sm_map_ops_create(&vm->base, NULL), resv_err_ptr(-EINVAL));
	req.map.va.addr = SPACE - 2 * U;
	req.map.va.range = 2 * U;
	assert_ptr_equal(drm_gpuvm_sm_map_ops_create(&vm->base, &req), resv_err_ptr(-EINVAL));
	req.map.va.range = 0;
	assert_ptr_equal(drm_gpuvm_sm_map_ops_create(&vm->base, &req), resv_err_ptr(-EINVAL));
	req.map.va.addr = UINT64_MAX;
	req.map.va.range = 2;
	assert_ptr_equal(drm_gpuvm_madvise_ops_create(&vm->base, &req), resv_err_ptr(-EINVAL));
	assert_ptr_equal(drm_gpuvm_sm_unmap_ops_create(&vm->base, SPACE, U),
			 resv_err_ptr(-EINVAL));
	assert_ptr_equal(drm_gpuvm_sm_unmap_ops_create(NULL, 0, U), resv_err_ptr(-EINVAL));
	assert_ptr_equal(drm_gpuvm_prefetch_ops_create(NULL, 0, U), resv_err_ptr(-EINVAL));
	assert_ptr_equal(drm_gpuvm_bo_unmap_ops_create(NULL), resv_err_ptr(-EINVAL));

	/* The exec-lock walks refuse bad requests before locking anything. */
	drm_exec_init(&exec, DRM_EXEC_IGNORE_DUPLICATES, 0);
	assert_int_equal(drm_gpuvm_sm_map_exec_lock(&vm->base, &exec, 1, &req), -EINVAL);
	assert_int_equal(drm_gpuvm_sm_unmap_exec_lock(&vm->base, &exec, SPACE - U, U), -EINVAL);
	assert_int_equal(exec.num_objects, 0);
	drm_exec_fini(&exec);

	/* The apply helpers refuse what they cannot do. */
	assert_int_equal(drm_gpuva_map(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(drm_gpuva_remap(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(drm_gpuva_unmap(NULL), -EINVAL);
	drm_gpuva_ops_free(&vm->base, NULL);
	drm_gpuva_ops_free(&vm->base, resv_err_ptr(-ENOMEM));
	gt_vm_put_last(vm);
}

/* madvise: only mappings without an object are split; never UNMAP. */
void test_gpuvm_madvise_ops(void **state)
{
	const struct map_spec old[] = { S(0, 2), S(2, 2), A(4, 2, N_OFF), S(6, 1) };
	struct drm_gpuvm_map_req req = { 0 };
	struct drm_gpuva_ops *ops;
	struct drm_gpuva_op *op;
	struct fixture f;
	int n = 0;

	(void)state;
	fixture_init(&f, old, 4);
	/* [1, 3): REMAP(prev [0,1)) + MAP [1,2), then REMAP(next [3,4)) + MAP [2,3). */
	req.map.va.addr = 1 * U;
	req.map.va.range = 2 * U;
	ops = drm_gpuvm_madvise_ops_create(&f.vm->base, &req);
	assert_false(resv_is_err(ops));
	drm_gpuva_for_each_op(op, ops) {
		switch (n++) {
		case 0:
			assert_int_equal(op->op, DRM_GPUVA_OP_REMAP);
			assert_ptr_equal(op->remap.unmap->va, f.old[0]);
			assert_int_equal(op->remap.prev->va.range, U);
			assert_null(op->remap.next);
			break;
		case 1:
			assert_int_equal(op->op, DRM_GPUVA_OP_MAP);
			assert_int_equal(op->map.va.addr, 1 * U);
			assert_int_equal(op->map.va.range, U);
			break;
		case 2:
			assert_int_equal(op->op, DRM_GPUVA_OP_REMAP);
			assert_ptr_equal(op->remap.unmap->va, f.old[1]);
			assert_null(op->remap.prev);
			assert_int_equal(op->remap.next->va.addr, 3 * U);
			break;
		case 3:
			assert_int_equal(op->op, DRM_GPUVA_OP_MAP);
			assert_int_equal(op->map.va.addr, 2 * U);
			assert_int_equal(op->map.va.range, U);
			break;
		}
	}
	assert_int_equal(n, 4);
	drm_gpuva_ops_free(&f.vm->base, ops);

	/* Over the object-backed mapping and the whole sparse one: nothing. */
	req.map.va.addr = 4 * U;
	req.map.va.range = 3 * U;
	ops = drm_gpuvm_madvise_ops_create(&f.vm->base, &req);
	assert_false(resv_is_err(ops));
	assert_true(cds_list_empty(&ops->list));
	drm_gpuva_ops_free(&f.vm->base, ops);

	/* Strictly inside a sparse mapping: REMAP(prev, next) + MAP(request). */
	req.map.va.addr = 6 * U + 1;
	req.map.va.range = 2;
	ops = drm_gpuvm_madvise_ops_create(&f.vm->base, &req);
	assert_false(resv_is_err(ops));
	op = drm_gpuva_first_op(ops);
	assert_int_equal(op->op, DRM_GPUVA_OP_REMAP);
	assert_non_null(op->remap.prev);
	assert_non_null(op->remap.next);
	op = drm_gpuva_next_op(op);
	assert_int_equal(op->op, DRM_GPUVA_OP_MAP);
	assert_int_equal(op->map.va.addr, 6 * U + 1);
	assert_int_equal(op->map.va.range, 2);
	assert_ptr_equal(op, drm_gpuva_last_op(ops));
	drm_gpuva_ops_free(&f.vm->base, ops);
	fixture_fini(&f);
}

void test_gpuvm_prefetch_and_bo_unmap_ops(void **state)
{
	const struct map_spec old[] = { A(0, 1, N_OFF), B(1, 1, M_OFF), A(3, 1, N_OFF + U) };
	struct drm_gpuvm_bo *vm_bo;
	struct drm_gpuva_ops *ops;
	struct drm_gpuva_op *op;
	struct fixture f;
	int n = 0;

	(void)state;
	fixture_init(&f, old, 3);
	ops = drm_gpuvm_prefetch_ops_create(&f.vm->base, 0, 4 * U);
	assert_false(resv_is_err(ops));
	drm_gpuva_for_each_op(op, ops) {
		assert_int_equal(op->op, DRM_GPUVA_OP_PREFETCH);
		assert_ptr_equal(op->prefetch.va, f.old[n]);
		n++;
	}
	assert_int_equal(n, 3);
	/* Reverse walks see the same ops backwards. */
	drm_gpuva_for_each_op_reverse(op, ops)
		assert_ptr_equal(op->prefetch.va, f.old[--n]);
	assert_int_equal(n, 0);
	op = drm_gpuva_last_op(ops);
	drm_gpuva_for_each_op_from_reverse(op, ops)
		n++;
	assert_int_equal(n, 3);
	assert_ptr_equal(drm_gpuva_prev_op(drm_gpuva_last_op(ops)),
			 drm_gpuva_next_op(drm_gpuva_first_op(ops)));
	drm_gpuva_ops_free(&f.vm->base, ops);

	gt_lock(gt_obj(f.bo[0]));
	vm_bo = drm_gpuvm_bo_find(&f.vm->base, gt_obj(f.bo[0]));
	assert_non_null(vm_bo);
	ops = drm_gpuvm_bo_unmap_ops_create(vm_bo);
	assert_false(resv_is_err(ops));
	n = 0;
	drm_gpuva_for_each_op(op, ops) {
		assert_int_equal(op->op, DRM_GPUVA_OP_UNMAP);
		assert_ptr_equal(op->unmap.va, f.old[n ? 2 : 0]);
		assert_false(op->unmap.keep);
		n++;
	}
	assert_int_equal(n, 2);
	assert_false(drm_gpuvm_bo_put(vm_bo));
	gt_unlock(gt_obj(f.bo[0]));
	drm_gpuva_for_each_op(op, ops)
		gt_apply_op(&f.vm->base, op, true);
	drm_gpuva_ops_free(&f.vm->base, ops);
	gt_model_clear(&f.model, 0, U);
	gt_model_clear(&f.model, 3 * U, U);
	gt_model_check(&f.model, &f.vm->base);
	fixture_fini(&f);
}

/* ---- allocation failure ------------------------------------------------------ */

static unsigned long ops_count(struct drm_gpuva_ops *ops)
{
	struct drm_gpuva_op *op;
	unsigned long n = 0;

	drm_gpuva_for_each_op(op, ops)
		n++;
	return n;
}

enum which { SM_MAP, SM_UNMAP, MADVISE, PREFETCH };

static struct drm_gpuva_ops *make(struct fixture *f, enum which w, uint64_t addr,
				  uint64_t range)
{
	struct drm_gpuvm_map_req req = { .map = { .va = { addr, range } } };

	req.map.gem.obj = gt_obj(f->bo[1]);
	switch (w) {
	case SM_MAP:
		return drm_gpuvm_sm_map_ops_create(&f->vm->base, &req);
	case SM_UNMAP:
		return drm_gpuvm_sm_unmap_ops_create(&f->vm->base, addr, range);
	case MADVISE:
		return drm_gpuvm_madvise_ops_create(&f->vm->base, &req);
	default:
		return drm_gpuvm_prefetch_ops_create(&f->vm->base, addr, range);
	}
}

/* Fail every allocation in turn: -ENOMEM, nothing leaked, tree unchanged. */
static void fail_each(struct fixture *f, enum which w, uint64_t addr, uint64_t range,
		      unsigned long expect_ops)
{
	uint64_t live = gt_live_bytes();
	unsigned long n, failures = 0;
	struct drm_gpuva_ops *ops;

	for (n = 1;; n++) {
		resv_alloc_fail_nth(n);
		ops = make(f, w, addr, range);
		resv_alloc_fail_nth(0);
		if (!resv_is_err(ops))
			break;
		assert_ptr_equal(ops, resv_err_ptr(-ENOMEM));
		assert_int_equal(gt_live_bytes(), live);
		gt_model_check(&f->model, &f->vm->base);
		failures++;
	}
	assert_int_equal(ops_count(ops), expect_ops);
	/* One allocation per list, per op, per REMAP piece: all were hit. */
	assert_true(failures >= expect_ops + 1);
	drm_gpuva_ops_free(&f->vm->base, ops);
	assert_int_equal(gt_live_bytes(), live);
}

void test_gpuvm_ops_create_enomem(void **state)
{
	const struct map_spec old[] = { A(0, 4, N_OFF), S(4, 2), A(6, 4, N_OFF + 6 * U) };
	struct fixture f;

	(void)state;
	fixture_init(&f, old, 3);
	/* REMAP(prev) + UNMAP + REMAP(next) + MAP: 9 allocations. */
	fail_each(&f, SM_MAP, 2 * U, 6 * U, 4);
	/* REMAP(prev, next) + MAP: 6 allocations. */
	fail_each(&f, SM_MAP, 1 * U, 2 * U, 2);
	fail_each(&f, SM_UNMAP, 2 * U, 6 * U, 3);
	fail_each(&f, MADVISE, 3 * U, 2 * U, 2);	/* REMAP(next) + MAP */
	fail_each(&f, PREFETCH, 0, 10 * U, 3);

	/* vm_bo unmap lists: one UNMAP per mapping of the object. */
	{
		struct drm_gem_object *obj = gt_obj(f.bo[0]);
		uint64_t live = gt_live_bytes();
		struct drm_gpuvm_bo *vm_bo;
		struct drm_gpuva_ops *ops;
		unsigned long n;

		gt_lock(obj);
		vm_bo = drm_gpuvm_bo_find(&f.vm->base, obj);
		for (n = 1;; n++) {
			resv_alloc_fail_nth(n);
			ops = drm_gpuvm_bo_unmap_ops_create(vm_bo);
			resv_alloc_fail_nth(0);
			if (!resv_is_err(ops))
				break;
			assert_ptr_equal(ops, resv_err_ptr(-ENOMEM));
			assert_int_equal(gt_live_bytes(), live);
		}
		assert_int_equal(n, 4);		/* the list and two ops failed in turn */
		assert_int_equal(ops_count(ops), 2);
		drm_gpuva_ops_free(&f.vm->base, ops);
		assert_false(drm_gpuvm_bo_put(vm_bo));
		gt_unlock(obj);
	}
	fixture_fini(&f);
}

/* Driver-provided op allocators are used for every op, and only them. */
static long drv_ops;

static struct drm_gpuva_op *drv_op_alloc(void)
{
	__atomic_add_fetch(&drv_ops, 1, __ATOMIC_RELAXED);
	return calloc(1, sizeof(struct drm_gpuva_op));
}

static void drv_op_free(struct drm_gpuva_op *op)
{
	__atomic_sub_fetch(&drv_ops, 1, __ATOMIC_RELAXED);
	free(op);
}

void test_gpuvm_ops_driver_alloc(void **state)
{
	const struct map_spec old[] = { A(0, 4, N_OFF) };
	struct drm_gpuvm_ops ops_cb = gt_vm_ops;
	struct drm_gpuva_ops *ops;
	struct fixture f;

	(void)state;
	fixture_init(&f, old, 1);
	ops_cb.op_alloc = drv_op_alloc;
	ops_cb.op_free = drv_op_free;
	f.vm->base.ops = &ops_cb;
	ops = make(&f, SM_MAP, 1 * U, 1 * U);	/* REMAP(prev, next) + MAP */
	assert_false(resv_is_err(ops));
	assert_int_equal(drv_ops, 2);
	drm_gpuva_ops_free(&f.vm->base, ops);
	assert_int_equal(drv_ops, 0);
	f.vm->base.ops = &gt_vm_ops;
	fixture_fini(&f);
}
