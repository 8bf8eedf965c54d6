// SPDX-License-Identifier: MIT
/*
 * The syncobj ioctls that change or read syncobjs, over arrays of handles:
 * reset, signal, timeline signal, query and transfer. Each follows its
 * kernel ioctl check for check, so the errnos come in the same order.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <resv/alloc.h>
#include <resv/dma-fence-chain.h>
#include <resv/dma-fence-unwrap.h>

#include "syncobj-internal.h"

int sim_syncobj_table_reset(struct sim_syncobj_table *table, const uint32_t *handles,
			    uint32_t count)
{
	struct sim_syncobj **syncobjs;
	uint32_t i;
	int ret;

	if (count == 0)
		return -EINVAL;
	ret = sim__syncobj_array_find(table, handles, count, &syncobjs);
	if (ret)
		return ret;
	for (i = 0; i < count; i++)
		sim_syncobj_replace_fence(syncobjs[i], NULL);
	sim__syncobj_array_free(syncobjs, count);
	return 0;
}

int sim_syncobj_table_signal(struct sim_syncobj_table *table, const uint32_t *handles,
			     uint32_t count)
{
	struct sim_syncobj **syncobjs;
	uint32_t i;
	int ret;

	if (count == 0)
		return -EINVAL;
	ret = sim__syncobj_array_find(table, handles, count, &syncobjs);
	if (ret)
		return ret;
	/* One stub per syncobj, as the kernel: a failure leaves the rest alone. */
	for (i = 0; i < count; i++) {
		ret = sim_syncobj_signal(syncobjs[i]);
		if (ret)
			break;
	}
	sim__syncobj_array_free(syncobjs, count);
	return ret;
}

int sim_syncobj_table_timeline_signal(struct sim_syncobj_table *table, const uint32_t *handles,
				      const uint64_t *points, uint32_t count, uint32_t flags)
{
	struct sim_syncobj **syncobjs;
	struct dma_fence_chain **chains;
	uint32_t i;
	int ret;

	if (flags != 0 || count == 0)
		return -EINVAL;
	ret = sim__syncobj_array_find(table, handles, count, &syncobjs);
	if (ret)
		return ret;

	/* Every node first, so that an allocation failure changes nothing. */
	chains = resv_malloc((size_t)count * sizeof(*chains));
	if (!chains) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < count; i++) {
		chains[i] = dma_fence_chain_alloc();
		if (!chains[i]) {
			while (i-- > 0)
				dma_fence_chain_free(chains[i]);
			ret = -ENOMEM;
			goto out_chains;
		}
	}
	for (i = 0; i < count; i++) {
		struct dma_fence *stub = dma_fence_get_stub();

		sim_syncobj_add_point_chain(syncobjs[i], chains[i], stub, points ? points[i] : 0);
		dma_fence_put(stub);
	}
out_chains:
	resv_free(chains, (size_t)count * sizeof(*chains));
out:
	sim__syncobj_array_free(syncobjs, count);
	return ret;
}

/*
 * The last signaled point of a timeline whose newest node is @fence: the
 * kernel's walk over the unsignaled nodes of the newest context.
 */
static uint64_t last_signaled_point(struct dma_fence *fence)
{
	struct dma_fence *iter, *last = dma_fence_get(fence);
	uint64_t point;

	dma_fence_chain_for_each(iter, fence) {
		if (iter->context != fence->context) {
			/* Points added out of order started a new context. */
			dma_fence_put(iter);
			break;
		}
		dma_fence_put(last);
		last = dma_fence_get(iter);
	}
	/* @last is the oldest unsignaled node, or @fence when all signaled. */
	point = dma_fence_is_signaled(last) ? last->seqno : to_dma_fence_chain(last)->prev_seqno;
	dma_fence_put(last);
	return point;
}

int sim_syncobj_table_query(struct sim_syncobj_table *table, const uint32_t *handles,
			    uint64_t *points, uint32_t count, uint32_t flags)
{
	struct sim_syncobj **syncobjs;
	uint32_t i;
	int ret;

	if ((flags & ~SIM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED) || count == 0)
		return -EINVAL;
	ret = sim__syncobj_array_find(table, handles, count, &syncobjs);
	if (ret)
		return ret;
	if (!points) {
		/* The kernel faults on the first copy_to_user(). */
		sim__syncobj_array_free(syncobjs, count);
		return -EFAULT;
	}
	for (i = 0; i < count; i++) {
		struct dma_fence *fence = sim_syncobj_fence_get(syncobjs[i]);
		uint64_t point = 0;

		if (to_dma_fence_chain(fence)) {
			if (flags & SIM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED)
				point = fence->seqno;
			else
				point = last_signaled_point(fence);
		}
		dma_fence_put(fence);
		points[i] = point;
	}
	sim__syncobj_array_free(syncobjs, count);
	return 0;
}

static int transfer_to_timeline(struct sim_syncobj_table *table, struct sim_syncobj *dst,
				uint32_t src_handle, uint64_t src_point, uint64_t dst_point,
				uint32_t flags)
{
	struct dma_fence *found, *fence;
	struct dma_fence_chain *chain;
	int ret;

	ret = sim__syncobj_table_find_fence(table, src_handle, src_point, flags,
					    SIM_SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT_NS, &found);
	if (ret)
		return ret;
	/* A chain node must not contain a chain: flatten the source. */
	fence = dma_fence_unwrap_merge(found);
	dma_fence_put(found);
	if (!fence)
		return -ENOMEM;
	chain = dma_fence_chain_alloc();
	if (!chain) {
		dma_fence_put(fence);
		return -ENOMEM;
	}
	sim_syncobj_add_point_chain(dst, chain, fence, dst_point);
	dma_fence_put(fence);
	return 0;
}

static int transfer_to_binary(struct sim_syncobj_table *table, struct sim_syncobj *dst,
			      uint32_t src_handle, uint64_t src_point, uint32_t flags)
{
	struct dma_fence *fence;
	int ret;

	ret = sim__syncobj_table_find_fence(table, src_handle, src_point, flags,
					    SIM_SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT_NS, &fence);
	if (ret)
		return ret;
	sim_syncobj_replace_fence(dst, fence);
	dma_fence_put(fence);
	return 0;
}

int sim_syncobj_table_transfer(struct sim_syncobj_table *table, uint32_t src_handle,
			       uint64_t src_point, uint32_t dst_handle, uint64_t dst_point,
			       uint32_t flags)
{
	struct sim_syncobj *dst = sim_syncobj_table_lookup(table, dst_handle);
	int ret;

	if (!dst)
		return -ENOENT;
	if (dst_point)
		ret = transfer_to_timeline(table, dst, src_handle, src_point, dst_point, flags);
	else
		ret = transfer_to_binary(table, dst, src_handle, src_point, flags);
	sim_syncobj_put(dst);
	return ret;
}
