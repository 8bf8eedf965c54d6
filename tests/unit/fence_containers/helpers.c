/* SPDX-License-Identifier: MIT */
/* Shared test fences, constructors and a recording callback. */
#include "containers_test.h"

/* ---- test fences: library memory, default release, one shared lock -------- */

static const char *tf_name(struct dma_fence *f) { return "test"; }

static const struct dma_fence_ops heap_ops = {
	.get_driver_name = tf_name,
	.get_timeline_name = tf_name,
};

/* Shared by most test fences: container work must not self-deadlock on it. */
struct resv_spinlock test_lock = RESV_SPINLOCK_INITIALIZER;

struct dma_fence *mk_fence_locked_by(struct resv_spinlock *lock, uint64_t ctx,
				     uint64_t seqno)
{
	struct dma_fence *f = resv_dma_fence_alloc(sizeof(*f));

	assert_non_null(f);
	dma_fence_init(f, &heap_ops, lock, ctx, seqno);
	return f;
}

struct dma_fence *mk_fence(uint64_t ctx, uint64_t seqno)
{
	return mk_fence_locked_by(&test_lock, ctx, seqno);
}

void signal_with_error(struct dma_fence *f, int error)
{
	dma_fence_set_error(f, error);
	dma_fence_signal(f);
}

long refs(struct dma_fence *f)
{
	return __atomic_load_n(&f->refcount.refcount, __ATOMIC_RELAXED);
}

bool signaled(struct dma_fence *f)
{
	return dma_fence_test_signaled_flag(f);
}

uint64_t live_bytes(void)
{
	struct resv_alloc_stats st;

	resv_rcu_barrier();
	resv_alloc_get_stats(&st);
	return st.live_bytes;
}

/* A pointer array the array fence may own, filled with new references. */
struct dma_fence **fences_of(unsigned int n, struct dma_fence **members)
{
	struct dma_fence **fences = resv_dma_fence_array_alloc_fences(n);

	assert_non_null(fences);
	for (unsigned int i = 0; i < n; i++)
		fences[i] = dma_fence_get(members[i]);
	return fences;
}

struct dma_fence_array *mk_array(unsigned int n, struct dma_fence **members,
					bool signal_on_any)
{
	struct dma_fence_array *array =
		dma_fence_array_create((int)n, fences_of(n, members), dma_fence_context_alloc(1),
				       1, signal_on_any);

	assert_non_null(array);
	return array;
}

struct dma_fence *mk_chain(struct dma_fence *prev, struct dma_fence *fence, uint64_t seqno)
{
	struct dma_fence_chain *chain = dma_fence_chain_alloc();

	assert_non_null(chain);
	dma_fence_chain_init(chain, prev, fence, seqno);
	return &chain->base;
}

void put_all(struct dma_fence **f, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		dma_fence_put(f[i]);
}

/* ---- a recording callback ----------------------------------------------------- */


void rec_func(struct dma_fence *f, struct dma_fence_cb *cb)
{
	struct rec_cb *r = caa_container_of(cb, struct rec_cb, cb);

	r->error = f->error;
	__atomic_add_fetch(&r->runs, 1, __ATOMIC_RELAXED);
}

int rec_runs(struct rec_cb *r)
{
	return __atomic_load_n(&r->runs, __ATOMIC_RELAXED);
}
