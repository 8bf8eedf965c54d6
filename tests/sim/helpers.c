/* SPDX-License-Identifier: MIT */
/* The helpers of sim_test.h. */
#include <time.h>

#include "sim_test.h"

uint64_t st_live_bytes(void)
{
	struct resv_alloc_stats st;

	resv_rcu_barrier();
	resv_alloc_get_stats(&st);
	return st.live_bytes;
}

struct sim_device *st_device(uint64_t vram, int64_t timeout_ns, uint32_t ban)
{
	struct sim_device_config cfg = {
		.vram_size = vram,
		.num_engines = 2,
		.job_timeout_ns = timeout_ns,
		.ban_threshold = ban,
	};
	struct sim_device *dev = NULL;

	assert_int_equal(sim_device_create(&cfg, &dev), 0);
	return dev;
}

struct sim_bo *st_bo(struct sim_device *dev, uint64_t size, uint32_t allowed,
		     enum sim_placement initial)
{
	struct sim_bo *bo = NULL;

	assert_int_equal(sim_bo_create(dev, size, allowed, initial, NULL, &bo), 0);
	return bo;
}

void st_lock(struct sim_bo *bo)
{
	assert_int_equal(dma_resv_lock(bo->base.resv, NULL), 0);
}

void st_unlock(struct sim_bo *bo)
{
	dma_resv_unlock(bo->base.resv);
}

void st_validate(struct sim_bo *bo, uint32_t placements)
{
	struct sim_op_ctx op = { 0 };

	st_lock(bo);
	assert_int_equal(sim_bo_validate(bo, placements, &op), 0);
	st_unlock(bo);
	sim_op_ctx_fini(&op);
}

static uint32_t pattern_word(uint32_t seed, uint64_t i)
{
	uint32_t x = seed * 2654435761u + (uint32_t)i * 40503u + (uint32_t)(i >> 32);

	return x ^ (x >> 13);
}

void st_bo_fill_pattern(struct sim_bo *bo, uint32_t seed)
{
	size_t n = bo->base.size / 4;
	uint32_t *buf = malloc(bo->base.size);

	assert_non_null(buf);
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern_word(seed, i);
	st_lock(bo);
	assert_int_equal(sim_bo_write(bo, 0, buf, bo->base.size), 0);
	st_unlock(bo);
	free(buf);
}

bool st_bo_check_pattern(struct sim_bo *bo, uint32_t seed)
{
	size_t n = bo->base.size / 4;
	uint32_t *buf = malloc(bo->base.size);
	bool ok = true;

	assert_non_null(buf);
	st_lock(bo);
	assert_int_equal(sim_bo_read(bo, 0, buf, bo->base.size), 0);
	st_unlock(bo);
	for (size_t i = 0; i < n && ok; i++)
		ok = buf[i] == pattern_word(seed, i);
	free(buf);
	return ok;
}

int st_wait(struct dma_fence *fence)
{
	signed long left = dma_fence_wait_timeout(fence, false, 10000 * MS);

	assert_true(left > 0);
	return dma_fence_get_status(fence);
}

void st_wait_bo_idle(struct sim_bo *bo)
{
	long left = dma_resv_wait_timeout(bo->base.resv, DMA_RESV_USAGE_BOOKKEEP, false,
					  10000 * MS);

	assert_true(left > 0);
}

/* ---- hand-signalled fences ----------------------------------------------------- */

static const char *tf_name(struct dma_fence *f)
{
	return "test";
}

static const struct dma_fence_ops test_fence_ops = {
	.get_driver_name = tf_name,
	.get_timeline_name = tf_name,
};

static struct resv_spinlock test_fence_lock = RESV_SPINLOCK_INITIALIZER;

struct dma_fence *st_fence_new(void)
{
	/* Each its own context: the scheduler keeps one fence per context. */
	struct dma_fence *f = resv_dma_fence_alloc(sizeof(*f));

	assert_non_null(f);
	dma_fence_init(f, &test_fence_ops, &test_fence_lock, dma_fence_context_alloc(1), 1);
	return f;
}

void st_fence_signal(struct dma_fence *fence, int error)
{
	if (error)
		dma_fence_set_error(fence, error);
	dma_fence_signal(fence);
}

/* ---- the client ------------------------------------------------------------------- */

void st_gpu_init(struct st_gpu *g, struct sim_device *dev)
{
	memset(g, 0, sizeof(*g));
	g->dev = dev;
	assert_int_equal(sim_pt_create(dev, &g->pt), 0);
	assert_int_equal(sim_context_create(dev, &g->ctx), 0);
	g->batch_bo = st_bo(dev, ST_BATCH_SLOTS * PAGE, SIM_PL_MASK_SYSTEM, SIM_PL_SYSTEM);
	st_gpu_map(g, g->batch_bo, ST_BATCH_VA);
}

void st_gpu_fini(struct st_gpu *g)
{
	sim_bo_put(g->batch_bo);
	sim_context_put(g->ctx);
	sim_pt_put(g->pt);
}

void st_gpu_map(struct st_gpu *g, struct sim_bo *bo, uint64_t va)
{
	st_lock(bo);
	assert_int_equal(sim_pt_map(g->pt, va, bo->base.size, bo, 0, 0), 0);
	st_unlock(bo);
}

uint64_t st_gpu_place(struct st_gpu *g, const struct sim_batch *b)
{
	uint64_t va = ST_BATCH_VA + (uint64_t)(g->next_slot++ % ST_BATCH_SLOTS) * PAGE;

	assert_int_equal(sim_batch_error(b), 0);
	assert_true(sim_batch_bytes(b) <= PAGE);
	/* The GPU view, without waiting: tests never reuse a slot a queued
	 * job has not fetched yet (64 slots). */
	assert_int_equal(sim_pt_write(g->pt, va, b->dw, sim_batch_bytes(b)), 0);
	return va;
}

struct dma_fence *st_gpu_submit(struct st_gpu *g, unsigned int engine_idx,
				struct sim_context *ctx, const struct sim_batch *b,
				struct dma_fence **deps, unsigned int ndeps)
{
	uint64_t va = st_gpu_place(g, b);
	struct sim_job *job = NULL;

	assert_int_equal(sim_job_create(sim_device_engine(g->dev, engine_idx), ctx ? ctx : g->ctx,
					g->pt, va, PAGE, &job), 0);
	for (unsigned int i = 0; i < ndeps; i++)
		assert_int_equal(sim_job_add_dependency(job, deps[i]), 0);
	return sim_job_submit(job);
}

int st_gpu_run(struct st_gpu *g, const struct sim_batch *b)
{
	struct dma_fence *f = st_gpu_submit(g, 0, NULL, b, NULL, 0);
	int status = st_wait(f);

	dma_fence_put(f);
	return status;
}

/* ---- seeds ------------------------------------------------------------------------ */

uint64_t st_seed(void)
{
	const char *env = getenv("RESV_SEED");
	uint64_t seed;

	if (env && *env) {
		seed = strtoull(env, NULL, 0);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec;
	}
	printf("seed=%" PRIu64 " (set RESV_SEED to replay)\n", seed);
	return seed;
}

uint64_t st_rand(uint64_t *state)
{
	/* splitmix64 */
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
