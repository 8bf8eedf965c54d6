/* SPDX-License-Identifier: MIT */
/*
 * A resv-sim client thread: write a random batch into the next slot of its
 * batch ring, submit it chained to the previous one, retire batches in
 * order as their fences signal (applying them to the model), check a few
 * lanes every so often, and now and then inject a hang with a dependant.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <sim/trace.h>

#include "resv-sim.h"

#define RS_AGAIN_TRIES 1000	/* -EAGAIN (userptr kept changing) resubmits */

static void count(uint64_t *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

static bool pick_vm(struct rs_client *c)
{
	if (c->path == RS_PATH_MIXED)
		return rs_rand(&c->rng) & 1;
	return c->path == RS_PATH_VM_BIND;
}

/* The slot is free once the last batch fetched from it is done. */
static int take_slot(struct rs_client *c)
{
	unsigned int slot = (unsigned int)(c->seq++ % RS_BATCH_SLOTS);

	if (c->slot_fence[slot]) {
		rs_wait(c->w, c->slot_fence[slot], "batch slot");
		dma_fence_put(c->slot_fence[slot]);
		c->slot_fence[slot] = NULL;
	}
	return (int)slot;
}

static int write_slot(struct rs_client *c, unsigned int slot, const struct sim_batch *sb)
{
	int ret = rs_obj_write(c->w, &c->objs[c->batch], (uint64_t)slot * SIM_PAGE_SIZE, sb->dw,
			       sim_batch_bytes(sb));

	if (ret)
		rs_fail(c->w, "client %u: writing batch slot %u failed: %d", c->id, slot, ret);
	return ret;
}

/* Retire the oldest main batch: apply it to the model if it ran. A main
 * batch never fails: its error is a verification failure. */
static void retire_oldest(struct rs_client *c)
{
	struct rs_batch *b = &c->pending[c->pending_head];
	int status = rs_wait(c->w, b->fence, "retire");

	if (status == 1)
		rs_model_apply(c, b);
	else if (status < 0)
		rs_fail(c->w, "client %u: batch %" PRIu64 " (fence %" PRIu64 "#%" PRIu64
			") failed with %d (%s)%s", c->id, b->seq, b->fence->context,
			b->fence->seqno, status, strerror(-status),
			status == -ETIMEDOUT ? "; batches of the workload take milliseconds: on an "
			"overloaded machine, raise --job-timeout-ms" :
			status == -EFAULT ? "; the GPU faulted: an address of the batch was unmapped "
			"or its object not resident where the page table said (a residency bug)" : "");
	dma_fence_put(b->fence);
	b->fence = NULL;
	c->pending_head = (c->pending_head + 1) % RS_MAX_INFLIGHT;
	c->npending--;
	count(&c->retired);
}

static void retire_all(struct rs_client *c)
{
	while (c->npending)
		retire_oldest(c);
}

/* Both halves of an injected hang failed, with the same error. */
static void resolve_hang(struct rs_client *c)
{
	struct rs_hang *h = &c->hangs[0];
	int hs = rs_wait(c->w, h->hang, "hang"), ds = rs_wait(c->w, h->dependant, "dependant");

	if (hs >= 0 || (hs != -ETIMEDOUT && hs != -EIO))
		rs_fail(c->w, "client %u: the hanging batch ended with %d, not -ETIMEDOUT "
			"(or -EIO once its context is banned)", c->id, hs);
	else if (ds != hs)
		rs_fail(c->w, "client %u: the dependant of a hang ended with %d, not the hang's "
			"error %d", c->id, ds, hs);
	dma_fence_put(h->hang);
	dma_fence_put(h->dependant);
	memmove(&c->hangs[0], &c->hangs[1], (c->nhangs - 1) * sizeof(c->hangs[0]));
	c->nhangs--;
}

/* Submit @sb (one victim write) with explicit sync only; recreate the hang
 * context when it was banned. */
static int submit_victim(struct rs_client *c, struct sim_context **ctx, unsigned int engine,
			 const struct sim_batch *sb, struct dma_fence *in_fence,
			 struct dma_fence **out)
{
	bool vm = pick_vm(c), write = true;
	int slot = take_slot(c), ret;

	if (write_slot(c, (unsigned int)slot, sb))
		return -EIO;
	for (int tries = 0;; tries++) {
		ret = rs_submit(c, vm, engine, *ctx, (unsigned int)slot, &c->victim, &write, 1,
				in_fence, true, out);
		if (ret != -EIO || ctx != &c->hang_ctx || tries)
			break;
		/* banned: a new context, as an application would make */
		sim_context_put(c->hang_ctx);
		c->hang_ctx = NULL;
		ret = sim_context_create(c->w->dev, &c->hang_ctx);
		if (ret)
			break;
		count(&c->hang_ctx_recreated);
		if (sim_trace_enabled())
			sim_trace_instant(SIM_TRACE_SELF, "hang", "context banned: new one", NULL, 0);
	}
	if (ret) {
		rs_fail(c->w, "client %u: submitting a hang batch failed: %d", c->id, ret);
		return ret;
	}
	c->slot_fence[slot] = dma_fence_get(*out);
	return 0;
}

/* A batch that HANGs before writing the victim, and a batch of the main
 * context that depends on it explicitly and would write the victim too. */
static void inject_hang(struct rs_client *c)
{
	struct rs_object *victim = &c->objs[c->victim];
	unsigned int engine = (unsigned int)(rs_rand(&c->rng) % c->w->opt.engines);
	struct dma_fence *hang = NULL, *dep = NULL;
	uint32_t words[16];
	struct sim_batch sb;

	if (c->nhangs == RS_MAX_HANGS)
		resolve_hang(c);
	sim_batch_init(&sb, words, 16);
	sim_batch_hang(&sb);
	sim_batch_store_dw(&sb, victim->va, 0xdead0000u | (uint32_t)c->hangs_injected);
	sim_batch_end(&sb);
	if (submit_victim(c, &c->hang_ctx, engine, &sb, NULL, &hang))
		return;
	sim_batch_init(&sb, words, 16);
	sim_batch_store_dw(&sb, victim->va + 4, 0xbad00000u | (uint32_t)c->hangs_injected);
	sim_batch_end(&sb);
	/* On the same engine, right behind the hang: an in-order ring, so it
	 * runs after the reset and blocks no other engine meanwhile. */
	if (submit_victim(c, &c->ctx, engine, &sb, hang, &dep)) {
		dma_fence_put(hang);
		return;
	}
	c->hangs[c->nhangs++] = (struct rs_hang){ .hang = hang, .dependant = dep };
	count(&c->hangs_injected);
	if (sim_trace_enabled()) {
		struct sim_trace_arg arg = { "seqno", (int64_t)hang->seqno };

		sim_trace_instant(SIM_TRACE_SELF, "hang", "hang injected", &arg, 1);
	}
}

static void submit_one(struct rs_client *c)
{
	struct rs_world *w = c->w;
	unsigned int objs[RS_MAX_BATCH_OBJECTS], nobjs, engine;
	bool write[RS_MAX_BATCH_OBJECTS], vm;
	uint32_t words[SIM_PAGE_SIZE / 4];
	struct dma_fence *fence = NULL;
	struct sim_batch sb;
	struct rs_batch *b;
	int slot, ret;

	if (c->npending == RS_MAX_INFLIGHT)
		retire_oldest(c);
	b = &c->pending[(c->pending_head + c->npending) % RS_MAX_INFLIGHT];
	memset(b, 0, sizeof(*b));
	sim_batch_init(&sb, words, SIM_PAGE_SIZE / 4);
	vm = pick_vm(c);
	nobjs = rs_workload_batch(c, vm, b, &sb, objs, write);
	engine = (unsigned int)(rs_rand(&c->rng) % w->opt.engines);
	slot = take_slot(c);
	if (sim_batch_error(&sb) || write_slot(c, (unsigned int)slot, &sb))
		return;
	for (int tries = 0;; tries++) {
		ret = rs_submit(c, vm, engine, c->ctx, (unsigned int)slot, objs, write, nobjs,
				c->last, false, &fence);
		if (ret != -EAGAIN || tries == RS_AGAIN_TRIES)
			break;
		/* userptr pages changed at every try: the path gave up, we retry */
		count(&c->again_retries);
	}
	if (ret) {
		rs_fail(w, "client %u: %s submission failed: %d (%s)", c->id,
			vm ? "vm_exec" : "execbuf", ret, strerror(-ret));
		return;
	}
	b->fence = fence;
	b->seq = c->submitted;
	c->npending++;
	c->slot_fence[slot] = dma_fence_get(fence);
	dma_fence_put(c->last);
	c->last = dma_fence_get(fence);
	count(&c->submitted);
	if (vm)
		count(&c->submitted_vm);
	__atomic_add_fetch(&w->submissions, 1, __ATOMIC_RELAXED);
}

/* Every lane of a few random data objects (not the batch ring). */
static void verify_some(struct rs_client *c, unsigned int n)
{
	retire_all(c);
	for (unsigned int i = 0; i < n && !rs_stopping(c->w); i++)
		rs_model_check_lane(c, (unsigned int)(rs_rand(&c->rng) % c->victim));
}

/* With --submissions, each batch takes a ticket first: exactly N run. */
static bool take_budget(struct rs_world *w)
{
	if (!w->opt.submissions)
		return true;
	return __atomic_fetch_add(&w->budget_taken, 1, __ATOMIC_RELAXED) < w->opt.submissions;
}

void *rs_client_main(void *arg)
{
	struct rs_client *c = arg;
	struct rs_world *w = c->w;

	sim_trace_thread_name("client %u (%s)", c->id, rs_path_name(c->path));
	while (!rs_stopping(w) && take_budget(w)) {
		if (w->opt.hang_ppm && rs_rand(&c->rng) % 1000000 < w->opt.hang_ppm)
			inject_hang(c);
		submit_one(c);
		if (c->submitted % w->opt.verify_every == 0)
			verify_some(c, 3);
	}
	/* Drain: every batch retired, every hang resolved, every lane checked. */
	retire_all(c);
	while (c->nhangs)
		resolve_hang(c);
	for (unsigned int i = 0; i < c->victim && !__atomic_load_n(&w->failures, __ATOMIC_RELAXED);
	     i++)
		rs_model_check_lane(c, i);
	__atomic_sub_fetch(&w->running, 1, __ATOMIC_RELEASE);
	return NULL;
}
