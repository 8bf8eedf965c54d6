/* SPDX-License-Identifier: MIT */
/*
 * resv-sim's workload: a random batch over a random subset of the client's
 * objects, each written or only read. Every command writes the client's
 * own lane (or the shared counter, with ATOMIC_ADD), so the model can tell
 * what each dword must hold; COPY reads any object of the batch, written or
 * not, which makes read-only objects part of the implicit-sync picture.
 */
#include <string.h>

#include "resv-sim.h"

#define RS_MAX_RUN_DW 64u	/* longest FILL / COPY, in dwords */

uint64_t rs_rand(uint64_t *state)
{
	/* splitmix64: every client its own stream */
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t below(uint64_t *rng, uint32_t n)
{
	return n ? (uint32_t)(rs_rand(rng) % n) : 0;
}

static uint64_t lane_va(const struct rs_object *o, uint32_t dw)
{
	return o->va + o->lane_offset + (uint64_t)dw * 4;
}

static bool chosen(const unsigned int *objs, unsigned int n, unsigned int idx)
{
	for (unsigned int i = 0; i < n; i++)
		if (objs[i] == idx)
			return true;
	return false;
}

/* Pick the batch's objects: 1..4 shared ones (for VM_BIND, among those its
 * VM maps), sometimes a private one and the userptr range; about 60%
 * written, at least one. */
static unsigned int pick_objects(struct rs_client *c, bool vm, unsigned int *objs, bool *write)
{
	unsigned int n = 0, want = 1 + below(&c->rng, 4), pool = vm ? c->nvm_shared : c->nshared;
	bool any_write = false;

	if (want > pool)
		want = pool;
	while (n < want) {
		unsigned int idx = below(&c->rng, pool);

		if (vm)
			idx = c->vm_shared[idx];
		if (!chosen(objs, n, idx))
			objs[n++] = idx;
	}
	if (below(&c->rng, 100) < 30)
		objs[n++] = c->nshared + below(&c->rng, RS_PRIVATE_OBJECTS);
	if (below(&c->rng, 100) < 25)
		objs[n++] = c->nshared + RS_PRIVATE_OBJECTS;	/* the userptr range */
	for (unsigned int i = 0; i < n; i++) {
		write[i] = below(&c->rng, 100) < 60;
		any_write |= write[i];
	}
	if (!any_write)
		write[below(&c->rng, n)] = true;
	return n;
}

/* A run of @ndw dwords inside a lane of @lane_dw. */
static uint32_t run_start(uint64_t *rng, uint32_t lane_dw, uint32_t ndw)
{
	return below(rng, lane_dw - ndw + 1);
}

static uint32_t run_len(uint64_t *rng, uint32_t a, uint32_t b)
{
	uint32_t max = a < b ? a : b;

	if (max > RS_MAX_RUN_DW)
		max = RS_MAX_RUN_DW;
	return 1 + below(rng, max);
}

/* One command writing object @w (index @dst); recorded in @op. */
static void gen_op(struct rs_client *c, struct sim_batch *sb, struct rs_op *op, unsigned int dst,
		   const unsigned int *objs, unsigned int nobjs)
{
	struct rs_object *w = &c->objs[dst], *s;
	uint32_t roll = below(&c->rng, 100);

	memset(op, 0, sizeof(*op));
	op->dst = (uint8_t)dst;
	op->value = (uint32_t)rs_rand(&c->rng);
	if (roll >= 65 && roll < 80 && w->kind != RS_OBJ_SHARED)
		roll = 50;	/* only shared objects have a counter */
	if (roll >= 80) {
		op->type = RS_OP_COPY;
		op->src = (uint8_t)objs[below(&c->rng, nobjs)];
		s = &c->objs[op->src];
		op->ndw = run_len(&c->rng, w->lane_dw, s->lane_dw);
		op->dst_dw = run_start(&c->rng, w->lane_dw, op->ndw);
		op->src_dw = run_start(&c->rng, s->lane_dw, op->ndw);
		/* COPY with overlapping ranges is undefined: store instead */
		if (op->src != op->dst || op->src_dw + op->ndw <= op->dst_dw ||
		    op->dst_dw + op->ndw <= op->src_dw) {
			sim_batch_copy(sb, lane_va(w, op->dst_dw), lane_va(s, op->src_dw),
				       op->ndw * 4);
			return;
		}
		roll = 0;
	}
	if (roll < 25) {
		uint32_t gpu_value = op->value;

		/* --inject-bug corrupt-store: the GPU is told another value
		 * than the model records, the verifier's self-test */
		if (c->w->opt.bug == RS_BUG_CORRUPT_STORE && below(&c->rng, 20) == 0)
			gpu_value ^= 0x100;
		op->type = RS_OP_STORE;
		op->dst_dw = below(&c->rng, w->lane_dw);
		sim_batch_store_dw(sb, lane_va(w, op->dst_dw), gpu_value);
	} else if (roll < 45) {
		op->type = RS_OP_FILL;
		op->ndw = run_len(&c->rng, w->lane_dw, w->lane_dw);
		op->dst_dw = run_start(&c->rng, w->lane_dw, op->ndw);
		sim_batch_fill(sb, lane_va(w, op->dst_dw), op->value, op->ndw * 4);
	} else if (roll < 65) {
		op->type = RS_OP_ADD;
		op->dst_dw = below(&c->rng, w->lane_dw);
		op->value = 1 + below(&c->rng, 1000);
		sim_batch_atomic_add(sb, lane_va(w, op->dst_dw), op->value);
	} else {
		op->type = RS_OP_COUNTER;
		op->value = 1 + below(&c->rng, 1000);
		sim_batch_atomic_add(sb, w->va, op->value);
	}
}

unsigned int rs_workload_batch(struct rs_client *c, bool vm, struct rs_batch *b,
			       struct sim_batch *sb, unsigned int *objs, bool *write)
{
	unsigned int nobjs = pick_objects(c, vm, objs, write), writers[RS_MAX_BATCH_OBJECTS];
	unsigned int nw = 0;

	for (unsigned int i = 0; i < nobjs; i++)
		if (write[i])
			writers[nw++] = objs[i];
	/* Now and then a short DELAY, so engine spans are visible in a trace
	 * and batches overlap with CPU work. */
	if (below(&c->rng, 100) < 3)
		sim_batch_delay(sb, 10 + below(&c->rng, 40));
	b->nops = 2 + below(&c->rng, RS_MAX_OPS - 1);
	for (unsigned int i = 0; i < b->nops; i++)
		gen_op(c, sb, &b->ops[i], writers[below(&c->rng, nw)], objs, nobjs);
	sim_batch_end(sb);
	return nobjs;
}
