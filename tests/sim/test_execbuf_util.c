/* SPDX-License-Identifier: MIT */
/* The helpers of test_execbuf.h. */
#include "test_execbuf.h"

void tx_init(struct tx *t, uint64_t vram, int64_t timeout_ns)
{
	memset(t, 0, sizeof(*t));
	t->live_before = st_live_bytes();
	t->dev = st_device(vram ? vram : 16u << 20, timeout_ns, SIM_BAN_NEVER);
	assert_int_equal(sim_file_create(t->dev, &t->file), 0);
}

void tx_fini(struct tx *t)
{
	struct sim_device_stats st;

	sim_file_destroy(t->file);
	resv_mm_destroy(t->mm);
	/* Jobs still queued hold the page table: let the engines finish. */
	for (int i = 0; i < 1000; i++) {
		sim_device_get_stats(t->dev, &st);
		if (!st.bo_count)
			break;
		usleep(1000);
	}
	sim_device_destroy(t->dev);
	assert_int_equal(st_live_bytes(), t->live_before);
}

uint32_t tx_bo(struct tx *t, uint64_t size, uint32_t placements)
{
	uint32_t handle = 0;

	assert_int_equal(sim_gem_create(t->file, size, placements, &handle), 0);
	assert_int_not_equal(handle, 0);
	return handle;
}

uint32_t tx_batch_bo(struct tx *t, const struct sim_batch *b, unsigned int pages)
{
	uint32_t handle = tx_bo(t, (uint64_t)pages * PAGE, SIM_PL_MASK_ALL);

	assert_int_equal(sim_batch_error(b), 0);
	tx_write(t, handle, 0, b->dw, sim_batch_bytes(b));
	return handle;
}

void tx_write(struct tx *t, uint32_t handle, uint64_t offset, const void *data, size_t len)
{
	assert_int_equal(sim_gem_pwrite(t->file, handle, offset, data, len), 0);
}

void tx_read(struct tx *t, uint32_t handle, uint64_t offset, void *data, size_t len)
{
	assert_int_equal(sim_gem_pread(t->file, handle, offset, data, len), 0);
}

uint32_t tx_read_dw(struct tx *t, uint32_t handle, uint64_t offset)
{
	uint32_t v;

	tx_read(t, handle, offset, &v, 4);
	return v;
}

struct sim_execbuf_object tx_obj(uint32_t handle, uint32_t flags, uint64_t offset)
{
	return (struct sim_execbuf_object){ .handle = handle, .flags = flags, .offset = offset };
}

int tx_exec(struct tx *t, struct sim_execbuf_object *objs, unsigned int count, uint32_t flags,
	    struct dma_fence **fence)
{
	struct sim_execbuf args = {
		.objects = objs,
		.count = count,
		.batch_index = count - 1,
		.flags = flags | SIM_EXECBUF_FENCE_OUT,
	};

	return sim_execbuf(t->file, &args, fence);
}

int tx_run(struct tx *t, struct sim_execbuf_object *objs, unsigned int count, uint32_t flags)
{
	struct dma_fence *fence = NULL;
	int status;

	assert_int_equal(tx_exec(t, objs, count, flags, &fence), 0);
	assert_non_null(fence);
	status = st_wait(fence);
	dma_fence_put(fence);
	return status;
}

void tx_assert_unlocked(struct tx *t, const uint32_t *handles, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct sim_bo *bo = sim_file_lookup_bo(t->file, handles[i]);

		assert_non_null(bo);
		assert_true(dma_resv_trylock(bo->base.resv));
		dma_resv_unlock(bo->base.resv);
		sim_bo_put(bo);
	}
}

unsigned int tx_fence_count(struct tx *t, uint32_t handle, enum dma_resv_usage usage)
{
	struct sim_bo *bo = sim_file_lookup_bo(t->file, handle);
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	unsigned int n = 0;

	assert_non_null(bo);
	st_lock(bo);
	dma_resv_for_each_fence(&cursor, bo->base.resv, usage, fence)
		n++;
	st_unlock(bo);
	sim_bo_put(bo);
	return n;
}

long tx_bo_refs(struct tx *t, uint32_t handle)
{
	struct sim_bo *bo = sim_file_lookup_bo(t->file, handle);
	long refs;

	assert_non_null(bo);
	refs = drm_gem_object_refcount(&bo->base) - 1;
	sim_bo_put(bo);
	return refs;
}
