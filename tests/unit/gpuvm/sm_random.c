/* SPDX-License-Identifier: MIT */
/*
 * sm_map / sm_unmap against a page-granular model on thousands of seeded
 * random requests. Every request's op list is checked against invariants
 * derived from the request and the mappings it overlaps (not from the
 * implementation's case table): exactly one MAP, last, equal to the
 * request; at most two REMAPs, the one with a prev piece first and the one
 * with a next piece right before the MAP; every overlapped mapping exactly
 * once, in address order; pieces with the right offsets; the keep hint
 * true exactly for same-object, same-offset-line mappings; REMAP holes
 * equal to the overlap. The ops are then applied, half of the time through
 * the list and half through the step callbacks (which must produce the
 * same steps), and the VM must equal the model painted with the request:
 * mappings, offsets, vm_bo linkage, unique vm_bos, reference counts and
 * the extobj list.
 */
#include <inttypes.h>

#include "gpuvm_test.h"

#define SPACE 512u
#define KSTART 480u		/* kernel node [480, 512) */
#define NOBJ 4			/* 0, 1 external; 2, 3 local */
#define MAXREC 64

struct rec {
	enum drm_gpuva_op_type type;
	struct drm_gpuva *va;
	bool keep, has_prev, has_next;
	struct drm_gpuva_op_map prev, next, map;
};

struct recs {
	struct rec r[MAXREC];
	int n;
};

static void record(struct recs *rs, const struct drm_gpuva_op *op)
{
	struct rec *r = &rs->r[rs->n++];

	assert_true(rs->n <= MAXREC);
	memset(r, 0, sizeof(*r));
	r->type = op->op;
	switch (op->op) {
	case DRM_GPUVA_OP_MAP:
		r->map = op->map;
		break;
	case DRM_GPUVA_OP_UNMAP:
		r->va = op->unmap.va;
		r->keep = op->unmap.keep;
		break;
	case DRM_GPUVA_OP_REMAP:
		r->va = op->remap.unmap->va;
		r->keep = op->remap.unmap->keep;
		r->has_prev = op->remap.prev != NULL;
		r->has_next = op->remap.next != NULL;
		if (r->has_prev)
			r->prev = *op->remap.prev;
		if (r->has_next)
			r->next = *op->remap.next;
		{
			uint64_t s, l, a = r->va->va.addr, e = a + r->va->va.range;

			drm_gpuva_op_remap_to_unmap_range(&op->remap, &s, &l);
			/* The hole is the part of the mapping the pieces leave. */
			assert_int_equal(s, r->has_prev ? r->prev.va.addr + r->prev.va.range : a);
			assert_int_equal(s + l, r->has_next ? r->next.va.addr : e);
		}
		break;
	default:
		fail_msg("unexpected op type %d", op->op);
	}
}

static bool same_map(const struct drm_gpuva_op_map *x, const struct drm_gpuva_op_map *y)
{
	return x->va.addr == y->va.addr && x->va.range == y->va.range &&
	       x->gem.obj == y->gem.obj && x->gem.offset == y->gem.offset;
}

static void assert_same_recs(const struct recs *x, const struct recs *y)
{
	assert_int_equal(x->n, y->n);
	for (int i = 0; i < x->n; i++) {
		const struct rec *a = &x->r[i], *b = &y->r[i];

		assert_int_equal(a->type, b->type);
		assert_ptr_equal(a->va, b->va);
		assert_int_equal(a->keep, b->keep);
		assert_int_equal(a->has_prev, b->has_prev);
		assert_int_equal(a->has_next, b->has_next);
		assert_true(!a->has_prev || same_map(&a->prev, &b->prev));
		assert_true(!a->has_next || same_map(&a->next, &b->next));
		assert_true(a->type != DRM_GPUVA_OP_MAP || same_map(&a->map, &b->map));
	}
}

/*
 * The invariants of a walk over [A, E): @req is NULL for sm_unmap. Called
 * before the ops are applied, so the tree still holds the old mappings.
 */
static void check_recs(struct drm_gpuvm *g, const struct recs *rs, uint64_t A, uint64_t E,
		       const struct drm_gpuvm_map_req *req)
{
	int body = req ? rs->n - 1 : rs->n, i = 0, remaps = 0;
	struct drm_gpuva *va;

	if (req) {
		assert_true(rs->n >= 1);
		assert_int_equal(rs->r[rs->n - 1].type, DRM_GPUVA_OP_MAP);
		assert_true(same_map(&rs->r[rs->n - 1].map, &req->map));
	}
	/* Brute force: every mapping overlapping [A, E), in address order. */
	drm_gpuvm_for_each_va(va, g) {
		const uint64_t a = va->va.addr, e = a + va->va.range, off = va->gem.offset;
		struct drm_gem_object *obj = va->gem.obj;
		const struct rec *r;

		if (e <= A || a >= E)
			continue;
		assert_true(i < body);
		r = &rs->r[i];
		assert_ptr_equal(r->va, va);
		if (req)
			assert_int_equal(r->keep, obj && obj == req->map.gem.obj &&
						  off - a == req->map.gem.offset - A);
		else
			assert_false(r->keep);
		if (a >= A && e <= E) {
			assert_int_equal(r->type, DRM_GPUVA_OP_UNMAP);
		} else {
			assert_int_equal(r->type, DRM_GPUVA_OP_REMAP);
			remaps++;
			assert_int_equal(r->has_prev, a < A);
			assert_int_equal(r->has_next, e > E);
			if (r->has_prev) {
				struct drm_gpuva_op_map p = { { a, A - a }, { off, obj } };

				assert_true(same_map(&r->prev, &p));
				assert_int_equal(i, 0);
			}
			if (r->has_next) {
				struct drm_gpuva_op_map n = { { E, e - E }, { off + (E - a), obj } };

				assert_true(same_map(&r->next, &n));
				assert_int_equal(i, body - 1);
			}
		}
		i++;
	}
	assert_int_equal(i, body);
	assert_true(remaps <= 2);
	for (i = 0; i < body; i++)
		assert_int_not_equal(rs->r[i].type, DRM_GPUVA_OP_MAP);
}

/* Step callbacks: record the step, then apply it. */
struct cb_ctx {
	struct gt_apply apply;
	struct recs recs;
};

static int record_and_apply(struct drm_gpuva_op *op, void *priv)
{
	struct cb_ctx *c = priv;

	record(&c->recs, op);
	return gt_step_apply(op, &c->apply);
}

static struct drm_gpuvm_ops cb_ops;

/* How many external objects have a vm_bo in the VM. */
static unsigned long mapped_extobjs(struct drm_gpuvm *g, struct gt_bo **bo)
{
	unsigned long n = 0;

	for (int i = 0; i < NOBJ; i++) {
		struct drm_gpuvm_bo *vm_bo;

		if (!drm_gpuvm_is_extobj(g, gt_obj(bo[i])))
			continue;
		gt_lock(gt_obj(bo[i]));
		vm_bo = drm_gpuvm_bo_find(g, gt_obj(bo[i]));
		gt_unlock(gt_obj(bo[i]));
		if (vm_bo) {
			n++;
			/* Only the links hold it: this find's reference is not the last. */
			assert_false(drm_gpuvm_bo_put(vm_bo));
		}
	}
	return n;
}

static void run_random(unsigned int rounds, uint64_t salt)
{
	struct gt_vm *vm;
	struct drm_gpuvm *g;
	struct gt_bo *bo[NOBJ];
	struct gt_model model;
	struct gt_rng rng;
	unsigned long stats[4] = { 0 };

	cb_ops = gt_vm_ops;
	cb_ops.sm_step_map = record_and_apply;
	cb_ops.sm_step_remap = record_and_apply;
	cb_ops.sm_step_unmap = record_and_apply;
	vm = gt_vm_new(0, 0, SPACE, KSTART, SPACE - KSTART, &cb_ops);
	g = &vm->base;
	for (int i = 0; i < NOBJ; i++)
		bo[i] = gt_bo_new((unsigned int)i, i < 2 ? NULL : drm_gpuvm_resv(g));
	gt_model_init(&model, SPACE);
	gt_rng_init(&rng, salt);

	for (unsigned int round = 0; round < rounds; round++) {
		bool map = gt_rng_below(&rng, 100) < 65, callbacks = gt_rng_below(&rng, 2);
		uint64_t addr = gt_rng_below(&rng, SPACE);
		uint64_t range = 1 + gt_rng_below(&rng, gt_rng_below(&rng, 4) ? 24 : 160);
		bool valid = addr + range <= KSTART;
		struct drm_gpuvm_map_req req = { 0 };
		struct cb_ctx ctx = { .apply = { .vm = g, .lock = true } };
		struct drm_gpuva_ops *ops;
		struct drm_gpuva_op *op;
		struct recs list = { .n = 0 };
		int o = (int)gt_rng_below(&rng, NOBJ + 1);

		req.map.va.addr = addr;
		req.map.va.range = range;
		req.map.gem.obj = o < NOBJ ? gt_obj(bo[o]) : NULL;
		req.map.gem.offset = gt_rng_below(&rng, 1000);
		/* Often continue what is mapped there, to provoke keep. */
		if (valid && model.mapped[addr] && gt_rng_below(&rng, 2)) {
			req.map.gem.obj = model.obj[addr];
			req.map.gem.offset = model.off[addr];
		}

		ops = map ? drm_gpuvm_sm_map_ops_create(g, &req) :
			    drm_gpuvm_sm_unmap_ops_create(g, addr, range);
		if (!valid) {
			assert_ptr_equal(ops, resv_err_ptr(-EINVAL));
			assert_int_equal(map ? drm_gpuvm_sm_map(g, &ctx, &req) :
					       drm_gpuvm_sm_unmap(g, &ctx, addr, range),
					 -EINVAL);
			assert_int_equal(ctx.recs.n, 0);
			stats[3]++;
			continue;
		}
		assert_false(resv_is_err(ops));
		drm_gpuva_for_each_op(op, ops)
			record(&list, op);
		check_recs(g, &list, addr, addr + range, map ? &req : NULL);
		for (int i = 0; i < list.n; i++)
			stats[list.r[i].type == DRM_GPUVA_OP_REMAP ? 1 :
			      list.r[i].type == DRM_GPUVA_OP_UNMAP ? 2 : 0]++;

		if (callbacks) {
			drm_gpuva_ops_free(g, ops);
			assert_int_equal(map ? drm_gpuvm_sm_map(g, &ctx, &req) :
					       drm_gpuvm_sm_unmap(g, &ctx, addr, range),
					 0);
			assert_same_recs(&list, &ctx.recs);
		} else {
			drm_gpuva_for_each_op(op, ops)
				gt_apply_op(g, op, true);
			drm_gpuva_ops_free(g, ops);
		}
		if (map)
			gt_model_paint(&model, addr, range, req.map.gem.obj, req.map.gem.offset);
		else
			gt_model_clear(&model, addr, range);
		gt_model_check(&model, g);
		assert_int_equal(resv__gpuvm_list_count(&g->extobj), mapped_extobjs(g, bo));
	}
	print_message("rounds %u: %lu map, %lu remap, %lu unmap ops, %lu invalid requests\n",
		      rounds, stats[0], stats[1], stats[2], stats[3]);
	assert_true(stats[1] > 0 && stats[2] > 0);

	gt_unmap_all(g, true);
	assert_int_equal(resv__gpuvm_list_count(&g->extobj), 0);
	gt_model_fini(&model);
	for (int i = 0; i < NOBJ; i++) {
		assert_int_equal(drm_gem_object_refcount(gt_obj(bo[i])), 1);
		drm_gem_object_put(gt_obj(bo[i]));
	}
	gt_vm_put_last(vm);
}

void test_gpuvm_sm_random(void **state)
{
	(void)state;
	run_random(6000, 11);
}

/* Another stream from the same seed: more distinct histories per run. */
void test_gpuvm_sm_random_second_stream(void **state)
{
	(void)state;
	run_random(3000, 12);
}
