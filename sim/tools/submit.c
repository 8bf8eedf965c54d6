/* SPDX-License-Identifier: MIT */
/*
 * resv-sim's two submission paths, as a userspace driver would call them:
 * i915-style execbuf with an object list (softpinned at the addresses
 * every address space uses; the batch object last), and Xe-style exec in
 * the client's VM, where every object is already bound.
 */
#include <errno.h>

#include <sim/trace.h>

#include "resv-sim.h"

static int submit_execbuf(struct rs_client *c, unsigned int engine, struct sim_context *ctx,
			  unsigned int slot, const unsigned int *objs, const bool *write,
			  unsigned int nobjs, struct dma_fence *in_fence, bool explicit_only,
			  struct dma_fence **out)
{
	struct sim_execbuf_object list[RS_MAX_BATCH_OBJECTS + 1];
	struct rs_object *batch = &c->objs[c->batch];
	struct sim_execbuf args = {
		.objects = list,
		.count = nobjs + 1,
		.batch_index = nobjs,
		.batch_start_offset = slot * SIM_PAGE_SIZE,
		.batch_len = SIM_PAGE_SIZE,
		.engine = engine,
		.ctx = ctx,
		.in_fence = in_fence,
		.flags = SIM_EXECBUF_FENCE_OUT,
	};

	for (unsigned int i = 0; i < nobjs; i++) {
		const struct rs_object *o = &c->objs[objs[i]];

		list[i] = (struct sim_execbuf_object){
			.handle = o->handle,
			.flags = SIM_EXEC_OBJECT_PINNED | (write[i] ? SIM_EXEC_OBJECT_WRITE : 0) |
				 (explicit_only ? SIM_EXEC_OBJECT_ASYNC : 0),
			.offset = o->va,
		};
		/* Now and then an object must be in VRAM for this batch (an
		 * evicted one stays in system memory otherwise): the VRAM
		 * pressure that makes execbuf evict. */
		if (o->kind != RS_OBJ_USERPTR && (rs_rand(&c->rng) & 3) == 0)
			list[i].flags |= SIM_EXEC_OBJECT_NEEDS_VRAM;
	}
	/* The batch ring is synchronised by the client itself (it waits for a
	 * slot's last fence before rewriting it): explicit sync only, so its
	 * writes do not wait for every batch still reading another slot. */
	list[nobjs] = (struct sim_execbuf_object){
		.handle = batch->handle,
		.flags = SIM_EXEC_OBJECT_PINNED | SIM_EXEC_OBJECT_ASYNC,
		.offset = batch->va,
	};
	return sim_execbuf(c->w->file, &args, out);
}

static int submit_vm(struct rs_client *c, unsigned int engine, struct sim_context *ctx,
		     unsigned int slot, struct dma_fence *in_fence, struct dma_fence **out)
{
	struct dma_fence *in[1] = { in_fence };
	struct sim_vm_exec args = {
		.engine = sim_device_engine(c->w->dev, engine),
		.ctx = ctx,
		.batch_va = c->objs[c->batch].va + (uint64_t)slot * SIM_PAGE_SIZE,
		.batch_len = SIM_PAGE_SIZE,
		.in_fences = in,
		.num_in_fences = in_fence ? 1 : 0,
		.flags = c->w->opt.bug == RS_BUG_SKIP_REVALIDATE ? SIM_VM_EXEC_SKIP_REVALIDATE : 0,
	};

	return sim_vm_exec(c->vm, &args, out);
}

int rs_submit(struct rs_client *c, bool vm, unsigned int engine, struct sim_context *ctx,
	      unsigned int slot, const unsigned int *objs, const bool *write, unsigned int nobjs,
	      struct dma_fence *in_fence, bool explicit_only, struct dma_fence **out)
{
	int64_t start = sim_trace_enabled() ? sim_trace_now() : 0;
	int ret;

	*out = NULL;
	if (vm)
		ret = submit_vm(c, engine, ctx, slot, in_fence, out);
	else
		ret = submit_execbuf(c, engine, ctx, slot, objs, write, nobjs, in_fence,
				     explicit_only, out);
	if (start) {
		struct sim_trace_arg args[3] = {
			{ "objects", nobjs },
			{ "engine", engine },
			{ ret ? "error" : "seqno", ret ? ret : (int64_t)(*out)->seqno },
		};

		sim_trace_complete(SIM_TRACE_SELF, "submit", vm ? "vm_exec" : "execbuf", start,
				   sim_trace_now(), args, 3);
	}
	return ret;
}
