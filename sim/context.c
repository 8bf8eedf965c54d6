/* SPDX-License-Identifier: MIT */
/*
 * Submission contexts: what a job's timeouts are charged to, and what gets
 * banned (see <sim/sched.h>).
 */
#include <errno.h>

#include "internal.h"

int sim_context_create(struct sim_device *dev, struct sim_context **out)
{
	struct sim_context *ctx;

	if (!dev || !out)
		return -EINVAL;
	ctx = resv_zalloc(sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->ref = 1;
	ctx->dev = dev;
	ctx->id = __atomic_add_fetch(&dev->next_ctx_id, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&dev->live_ctxs, 1, __ATOMIC_RELAXED);
	*out = ctx;
	return 0;
}

struct sim_context *sim_context_get(struct sim_context *ctx)
{
	__atomic_add_fetch(&ctx->ref, 1, __ATOMIC_RELAXED);
	return ctx;
}

void sim_context_put(struct sim_context *ctx)
{
	if (!ctx || __atomic_sub_fetch(&ctx->ref, 1, __ATOMIC_ACQ_REL))
		return;
	__atomic_sub_fetch(&ctx->dev->live_ctxs, 1, __ATOMIC_RELAXED);
	resv_free(ctx, sizeof(*ctx));
}

uint32_t sim_context_id(struct sim_context *ctx)
{
	return ctx->id;
}

uint32_t sim_context_hangs(struct sim_context *ctx)
{
	return __atomic_load_n(&ctx->hangs, __ATOMIC_ACQUIRE);
}

bool sim_context_is_banned(struct sim_context *ctx)
{
	return __atomic_load_n(&ctx->banned, __ATOMIC_ACQUIRE);
}
