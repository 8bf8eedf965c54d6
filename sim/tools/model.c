/* SPDX-License-Identifier: MIT */
/*
 * resv-sim's memory model and verifier. Each client keeps, per object it
 * uses, a shadow of its lane: what the lane must hold once every batch it
 * retired ran. Batches are retired in the order they were chained, so
 * applying their operations in that order gives the exact expected bytes;
 * a batch whose fence carries an error must have run nothing (hangs, and
 * their dependants), so nothing of it is applied. Reading back goes through
 * the CPU paths a client has (pread for handles, the BO itself for VM-local
 * BOs, the mm for userptr ranges), which wait for the GPU writers first.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <resv/dma-resv.h>

#include <sim/trace.h>

#include "resv-sim.h"

#define RS_MAX_MESSAGES 12u
#define RS_WAIT_NS (60ll * 1000 * 1000 * 1000)

void rs_fail(struct rs_world *w, const char *fmt, ...)
{
	uint64_t n = __atomic_fetch_add(&w->messages, 1, __ATOMIC_RELAXED);
	va_list ap;

	__atomic_add_fetch(&w->failures, 1, __ATOMIC_RELAXED);
	/* Stop everybody: the first failure is what matters, and a broken
	 * chain would fail every later batch of its client anyway. */
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	if (n >= RS_MAX_MESSAGES) {
		if (n == RS_MAX_MESSAGES)
			fprintf(stderr, "\nresv-sim: more verification failures, not shown\n");
		return;
	}
	fputs("\nresv-sim: VERIFICATION FAILURE: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (sim_trace_enabled())
		sim_trace_instant(SIM_TRACE_SELF, "verify", "VERIFICATION FAILURE", NULL, 0);
}

/* A VM-local BO: its resv is the VM's; lock it without a ticket. */
static int local_bo_access(struct rs_object *o, uint64_t offset, void *buf, size_t len,
			   bool write)
{
	int ret = dma_resv_lock(o->bo->base.resv, NULL);

	if (ret)
		return ret;
	if (write)
		ret = sim_bo_write(o->bo, offset, buf, len);
	else
		ret = sim_bo_read(o->bo, offset, buf, len);
	dma_resv_unlock(o->bo->base.resv);
	return ret;
}

int rs_obj_read(struct rs_world *w, struct rs_object *o, uint64_t offset, void *dst,
		size_t len)
{
	if (o->kind == RS_OBJ_USERPTR)
		return resv_mm_read(w->mm, o->uaddr + offset, dst, len);
	if (o->handle)
		return sim_gem_pread(w->file, o->handle, offset, dst, len);
	return local_bo_access(o, offset, dst, len, false);
}

int rs_obj_write(struct rs_world *w, struct rs_object *o, uint64_t offset, const void *src,
		 size_t len)
{
	if (o->kind == RS_OBJ_USERPTR)
		return resv_mm_write(w->mm, o->uaddr + offset, src, len);
	if (o->handle)
		return sim_gem_pwrite(w->file, o->handle, offset, src, len);
	return local_bo_access(o, offset, (void *)src, len, true);
}

int rs_wait(struct rs_world *w, struct dma_fence *fence, const char *what)
{
	int64_t start = sim_trace_enabled() ? sim_trace_now() : 0;
	signed long left;

	if (dma_fence_is_signaled(fence))
		return dma_fence_get_status(fence);
	left = dma_fence_wait_timeout(fence, false, RS_WAIT_NS);
	if (start) {
		struct sim_trace_arg arg = { "seqno", (int64_t)fence->seqno };

		sim_trace_complete(SIM_TRACE_SELF, "wait", what, start, sim_trace_now(), &arg, 1);
	}
	if (left <= 0) {
		rs_fail(w, "%s: fence %s#%" PRIu64 " did not signal within 60 s", what,
			dma_fence_timeline_name(fence), fence->seqno);
		return 0;
	}
	return dma_fence_get_status(fence);
}

void rs_model_apply(struct rs_client *c, const struct rs_batch *b)
{
	for (unsigned int i = 0; i < b->nops; i++) {
		const struct rs_op *op = &b->ops[i];
		struct rs_object *dst = &c->objs[op->dst];

		switch (op->type) {
		case RS_OP_STORE:
			dst->shadow[op->dst_dw] = op->value;
			break;
		case RS_OP_FILL:
			for (uint32_t k = 0; k < op->ndw; k++)
				dst->shadow[op->dst_dw + k] = op->value;
			break;
		case RS_OP_ADD:
			dst->shadow[op->dst_dw] += op->value;
			break;
		case RS_OP_COUNTER:
			c->counter_sum[dst->shared_idx] += op->value;
			break;
		case RS_OP_COPY:
			memmove(dst->shadow + op->dst_dw, c->objs[op->src].shadow + op->src_dw,
				op->ndw * 4u);
			break;
		}
	}
}

static const char *kind_name(enum rs_obj_kind kind)
{
	switch (kind) {
	case RS_OBJ_SHARED: return "shared";
	case RS_OBJ_PRIVATE: return "private";
	case RS_OBJ_USERPTR: return "userptr";
	default: return "victim";
	}
}

/* Compare @n dwords read at byte @offset of an object with @want (NULL:
 * zeroes); report the first difference and how many differ. */
static bool compare(struct rs_world *w, unsigned int client, const struct rs_object *o,
		    uint64_t offset, const uint32_t *got, const uint32_t *want, size_t n,
		    const char *what)
{
	size_t bad = 0, first = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t expect = want ? want[i] : 0;

		if (got[i] != expect && !bad++)
			first = i;
	}
	if (!bad)
		return true;
	rs_fail(w, "%s of client %u in %s object at GPU 0x%" PRIx64 " (%" PRIu64
		" bytes): %zu of %zu dwords wrong; first at byte %" PRIu64
		": 0x%08x, expected 0x%08x",
		what, client, kind_name(o->kind), o->va, o->size, bad, n,
		offset + first * 4, got[first], want ? want[first] : 0);
	return false;
}

bool rs_model_check_lane(struct rs_client *c, unsigned int idx)
{
	struct rs_world *w = c->w;
	struct rs_object *o = &c->objs[idx];
	size_t len = (size_t)o->lane_dw * 4;
	int64_t start = sim_trace_enabled() ? sim_trace_now() : 0;
	uint32_t *buf = malloc(len);
	bool ok = false;
	int ret;

	if (!buf) {
		rs_fail(w, "client %u: out of memory reading back", c->id);
		return false;
	}
	ret = rs_obj_read(w, o, o->lane_offset, buf, len);
	if (ret)
		rs_fail(w, "client %u: reading its lane of the %s object at GPU 0x%" PRIx64
			" failed: %d", c->id, kind_name(o->kind), o->va, ret);
	else
		ok = compare(w, c->id, o, o->lane_offset, buf, o->shadow, o->lane_dw, "the lane");
	free(buf);
	__atomic_add_fetch(&c->lanes_checked, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->bytes_checked, len, __ATOMIC_RELAXED);
	if (start) {
		struct sim_trace_arg args[2] = { { "bytes", (int64_t)len }, { "ok", ok } };

		sim_trace_complete(SIM_TRACE_SELF, "verify", "verify lane", start,
				   sim_trace_now(), args, 2);
	}
	return ok;
}

/* One shared object read whole: the counter is the sum of every client's
 * successful adds, the rest of the header and the tail are zero, each lane
 * is its client's shadow (zero for clients that do not use the object). */
static bool check_shared(struct rs_world *w, unsigned int k, uint32_t *buf)
{
	const struct rs_object *o = &w->shared[k];
	uint32_t lane_bytes = (uint32_t)((o->size - RS_HEADER_BYTES) / w->opt.clients) & ~3u;
	uint64_t lanes_end = RS_HEADER_BYTES + (uint64_t)lane_bytes * w->opt.clients;
	uint32_t counter = 0;
	bool ok = true;
	int ret;

	ret = rs_obj_read(w, (struct rs_object *)o, 0, buf, o->size);
	if (ret) {
		rs_fail(w, "reading shared object %u failed: %d", k, ret);
		return false;
	}
	for (unsigned int c = 0; c < w->opt.clients; c++)
		counter += w->clients[c].counter_sum[k];
	if (buf[0] != counter) {
		rs_fail(w, "shared object %u at GPU 0x%" PRIx64 ": the counter is %u, the "
			"clients' successful ATOMIC_ADDs sum to %u", k, o->va, buf[0], counter);
		ok = false;
	}
	ok &= compare(w, 0, o, 4, buf + 1, NULL, RS_HEADER_BYTES / 4 - 1, "the header");
	for (unsigned int c = 0; c < w->opt.clients; c++) {
		struct rs_client *cl = &w->clients[c];
		uint64_t off = RS_HEADER_BYTES + (uint64_t)c * lane_bytes;
		int idx = cl->shared_map[k];

		ok &= compare(w, c, o, off, buf + off / 4, idx >= 0 ? cl->objs[idx].shadow : NULL,
			      lane_bytes / 4, "the lane");
	}
	ok &= compare(w, 0, o, lanes_end, buf + lanes_end / 4, NULL, (o->size - lanes_end) / 4,
		      "the tail");
	return ok;
}

bool rs_model_check_world(struct rs_world *w)
{
	int64_t start = sim_trace_enabled() ? sim_trace_now() : 0;
	size_t max = 0;
	uint32_t *buf;
	bool ok = true;

	for (unsigned int k = 0; k < w->nshared; k++)
		if (w->shared[k].size > max)
			max = w->shared[k].size;
	for (unsigned int c = 0; c < w->opt.clients; c++)
		for (unsigned int i = 0; i < w->clients[c].nobjs; i++)
			if (w->clients[c].objs[i].size > max)
				max = w->clients[c].objs[i].size;
	buf = malloc(max);
	if (!buf) {
		rs_fail(w, "out of memory for the final check");
		return false;
	}
	for (unsigned int k = 0; k < w->nshared; k++)
		ok &= check_shared(w, k, buf);
	/* private objects, userptr ranges and victims, whole */
	for (unsigned int c = 0; c < w->opt.clients; c++) {
		struct rs_client *cl = &w->clients[c];

		for (unsigned int i = cl->nshared; i < cl->nobjs; i++) {
			struct rs_object *o = &cl->objs[i];
			int ret;

			if (i == cl->batch)
				continue;
			ret = rs_obj_read(w, o, 0, buf, o->size);
			if (ret) {
				rs_fail(w, "client %u: reading its %s object failed: %d", c,
					kind_name(o->kind), ret);
				ok = false;
				continue;
			}
			ok &= compare(w, c, o, 0, buf, o->kind == RS_OBJ_VICTIM ? NULL : o->shadow,
				      o->size / 4, o->kind == RS_OBJ_VICTIM ? "the hang victim"
									  : "the object");
		}
	}
	free(buf);
	if (start)
		sim_trace_complete(SIM_TRACE_SELF, "verify", "final check", start, sim_trace_now(),
				   NULL, 0);
	return ok;
}
