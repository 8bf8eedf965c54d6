/* SPDX-License-Identifier: MIT */
/*
 * dma_fence_chain: timeline points, after the kernel's
 * drivers/dma-buf/dma-fence-chain.c (semantics), written for userspace.
 *
 * The prev pointer
 * ----------------
 * chain->prev owns a reference to the predecessor. Walkers read it under
 * RCU with dma_fence_get_rcu_safe() and replace a signaled predecessor by
 * its own predecessor with compare-and-swap: the winner drops the old
 * reference, a loser drops the replacement it prepared. Fences are freed
 * only after a grace period, so a reader that loaded a pointer that was
 * just replaced can still try (and fail) to take a reference.
 *
 * Signalling
 * ----------
 * enable_signaling walks from the node and adds one callback (chain->cb)
 * to the first contained fence that has not signaled, holding a reference
 * to the node until the chain is done. That callback runs under the
 * signalled fence's lock, which may be the very lock of the next fence to
 * wait for (timelines share locks), so re-arming is deferred to
 * resv_irq_work (the kernel uses irq_work), which runs once the thread
 * holds no spinlock: it re-runs the walk, and signals the node when no
 * unsignaled fence is left.
 *
 * Release
 * -------
 * Dropping the last reference to the head of a long chain would release
 * each predecessor from the release of its successor: recursion as deep as
 * the chain. Instead the release unlinks, in a loop, each predecessor it
 * holds the only reference to, before putting it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include <resv/dma-fence-chain.h>

#include "internal/compiler.h"
#include "internal/report.h"
#include "internal/spinlock.h"

/*
 * A kernel WARN: in debug builds, RESV_REPORT_FENCE_MISUSE to the report
 * hook (like the core's fence warnings), so tests can prove it fired.
 */
static void chain_warn(const struct dma_fence *fence, const char *func, const char *fmt, ...)
	RESV_PRINTF(3, 4);
static void chain_warn(const struct dma_fence *fence, const char *func, const char *fmt, ...)
{
	char message[160];
	va_list ap;

	if (!RESV_DEBUG_BUILD)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	resv__report(RESV_REPORT_FENCE_MISUSE, fence, NULL, "%s: %s", func, message);
}

static bool chain_enable_signaling(struct dma_fence *fence);

/* A new reference to the current predecessor, or NULL. */
static struct dma_fence *chain_get_prev(struct dma_fence_chain *chain)
{
	struct dma_fence *prev;

	resv_rcu_read_lock();
	prev = dma_fence_get_rcu_safe(&chain->prev);
	resv_rcu_read_unlock();
	return prev;
}

struct dma_fence *dma_fence_chain_walk(struct dma_fence *fence)
{
	struct dma_fence_chain *chain = to_dma_fence_chain(fence);
	struct dma_fence *prev;

	if (!chain) {
		dma_fence_put(fence);
		return NULL;
	}

	while ((prev = chain_get_prev(chain))) {
		struct dma_fence_chain *prev_chain = to_dma_fence_chain(prev);
		struct dma_fence *replacement, *expected = prev;

		if (prev_chain) {
			if (!dma_fence_is_signaled(prev_chain->fence))
				break;
			replacement = chain_get_prev(prev_chain);
		} else {
			if (!dma_fence_is_signaled(prev))
				break;
			replacement = NULL;
		}

		/* Unlink prev; someone else may have done it already. */
		if (resv_cas_acq_rel(&chain->prev, &expected, replacement))
			dma_fence_put(prev);		/* chain->prev's reference */
		else
			dma_fence_put(replacement);
		dma_fence_put(prev);			/* ours */
	}

	dma_fence_put(fence);
	return prev;
}

int dma_fence_chain_find_seqno(struct dma_fence **pfence, uint64_t seqno)
{
	struct dma_fence_chain *chain;

	if (!seqno)
		return 0;

	chain = to_dma_fence_chain(*pfence);
	if (!chain || chain->base.seqno < seqno)
		return -EINVAL;

	dma_fence_chain_for_each(*pfence, &chain->base) {
		struct dma_fence_chain *node = to_dma_fence_chain(*pfence);

		/* This node covers (prev_seqno, seqno]: it signals @seqno. */
		if (!node || (*pfence)->context != chain->base.context ||
		    node->prev_seqno < seqno)
			break;
	}
	dma_fence_put(&chain->base);
	return 0;
}

/* ---- ops ----------------------------------------------------------------------- */

static const char *chain_driver_name(struct dma_fence *fence)
{
	return "dma_fence_chain";
}

static const char *chain_timeline_name(struct dma_fence *fence)
{
	return "unbound";
}

/* Deferred from chain_cb: re-arm on the next unsignaled fence, or signal. */
static void chain_work(struct resv_irq_work *work)
{
	struct dma_fence_chain *chain = caa_container_of(work, struct dma_fence_chain, work);

	if (!chain_enable_signaling(&chain->base))
		dma_fence_signal(&chain->base);
	dma_fence_put(&chain->base);	/* the reference enable_signaling took */
}

/* Runs under @f's lock: only queue the work. */
static void chain_cb(struct dma_fence *f, struct dma_fence_cb *cb)
{
	struct dma_fence_chain *chain = caa_container_of(cb, struct dma_fence_chain, cb);

	resv__irq_work_queue(&chain->work, chain_work);
	/*
	 * The reference enable_signaling took. Even if it is the last one
	 * (the node containing @f was unlinked meanwhile), @f is signaled, so
	 * its release does not take the lock we run under.
	 */
	dma_fence_put(f);
}

/*
 * Called once by the core with the node's lock held, then again from
 * chain_work without it. True: a callback is armed (and holds a node
 * reference); false: everything up to this node has signaled.
 */
static bool chain_enable_signaling(struct dma_fence *fence)
{
	struct dma_fence_chain *head = to_dma_fence_chain(fence);
	struct dma_fence *iter;

	dma_fence_get(&head->base);
	dma_fence_chain_for_each(iter, &head->base) {
		struct dma_fence *f = dma_fence_chain_contained(iter);

		dma_fence_get(f);
		if (!dma_fence_add_callback(f, &head->cb, chain_cb)) {
			dma_fence_put(iter);
			return true;	/* keeps the head and @f references */
		}
		dma_fence_put(f);
	}
	dma_fence_put(&head->base);
	return false;
}

static bool chain_signaled(struct dma_fence *fence)
{
	struct dma_fence *iter;

	dma_fence_chain_for_each(iter, fence) {
		if (!dma_fence_is_signaled(dma_fence_chain_contained(iter))) {
			dma_fence_put(iter);
			return false;
		}
	}
	return true;
}

static void chain_set_deadline(struct dma_fence *fence, int64_t deadline)
{
	struct dma_fence *iter;

	dma_fence_chain_for_each(iter, fence)
		dma_fence_set_deadline(dma_fence_chain_contained(iter), deadline);
}

static void chain_release(struct dma_fence *fence)
{
	struct dma_fence_chain *chain = to_dma_fence_chain(fence);
	struct dma_fence *prev;

	/*
	 * Take over the predecessors nobody else holds, one at a time, so
	 * their releases find prev == NULL and do not recurse.
	 */
	while ((prev = resv_load_relaxed(&chain->prev))) {
		struct dma_fence_chain *prev_chain;

		if (resv_load_acquire(&prev->refcount.refcount) > 1)
			break;
		prev_chain = to_dma_fence_chain(prev);
		if (!prev_chain)
			break;
		/* We hold its last reference: nobody else reads these. */
		resv_store_relaxed(&chain->prev, resv_load_relaxed(&prev_chain->prev));
		resv_store_relaxed(&prev_chain->prev, NULL);
		dma_fence_put(prev);
	}
	dma_fence_put(prev);
	dma_fence_put(chain->fence);
	dma_fence_free(fence);
}

const struct dma_fence_ops dma_fence_chain_ops = {
	.get_driver_name = chain_driver_name,
	.get_timeline_name = chain_timeline_name,
	.enable_signaling = chain_enable_signaling,
	.signaled = chain_signaled,
	.release = chain_release,
	.set_deadline = chain_set_deadline,
};

/* ---- API ------------------------------------------------------------------------- */

bool dma_fence_is_chain(struct dma_fence *fence)
{
	return fence->ops == &dma_fence_chain_ops;
}

struct dma_fence_chain *to_dma_fence_chain(struct dma_fence *fence)
{
	if (!fence || !dma_fence_is_chain(fence))
		return NULL;
	return caa_container_of(fence, struct dma_fence_chain, base);
}

struct dma_fence *dma_fence_chain_contained(struct dma_fence *fence)
{
	struct dma_fence_chain *chain = to_dma_fence_chain(fence);

	return chain ? chain->fence : fence;
}

struct dma_fence_chain *dma_fence_chain_alloc(void)
{
	return resv_dma_fence_alloc(sizeof(struct dma_fence_chain));
}

void dma_fence_chain_free(struct dma_fence_chain *chain)
{
	resv_dma_fence_free_unused(chain);
}

void dma_fence_chain_init(struct dma_fence_chain *chain, struct dma_fence *prev,
			  struct dma_fence *fence, uint64_t seqno)
{
	struct dma_fence_chain *prev_chain = to_dma_fence_chain(prev);
	uint64_t context;

	resv_spin_lock_init(&chain->lock);
	resv_store_relaxed(&chain->prev, prev);
	chain->fence = fence;
	chain->prev_seqno = 0;
	chain->work.next = NULL;
	chain->work.func = NULL;

	/* Continue prev's timeline when this point comes after it. */
	if (prev_chain && __dma_fence_is_later(prev, seqno, prev->seqno)) {
		context = prev->context;
		chain->prev_seqno = prev->seqno;
	} else {
		context = dma_fence_context_alloc(1);
		/* Never go backwards on the seqno. */
		if (prev_chain && prev->seqno > seqno)
			seqno = prev->seqno;
	}
	dma_fence_init64(&chain->base, &dma_fence_chain_ops, &chain->lock, context, seqno);

	/* Chains link through prev only; a chain inside a chain is a misuse. */
	if (fence && dma_fence_is_chain(fence))
		chain_warn(&chain->base, __func__, "the contained fence is a dma_fence_chain");
}
