// SPDX-License-Identifier: MIT
/* The helpers of libdrm_test.h. */
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <resv/alloc.h>
#include <resv/rcu.h>

#include <sim/device.h>
#include <sim/drm.h>

#include "libdrm_test.h"

static struct sim_device *lt_dev;
static uint64_t lt_live_at_setup;

static uint64_t lt_live_bytes(void)
{
	struct resv_alloc_stats st;

	resv_rcu_barrier();
	resv_alloc_get_stats(&st);
	return st.live_bytes;
}

int lt_group_setup(void **state)
{
	struct sim_device_config cfg = { .vram_size = 4u << 20, .num_engines = 2 };

	lt_live_at_setup = lt_live_bytes();
	return sim_device_create(&cfg, &lt_dev);
}

/* Every fd of the group was closed by its test: nothing may be left. */
int lt_group_teardown(void **state)
{
	size_t left;

	sim_drm_sweep();
	left = sim_drm_count(SIM_DRM_FD_NONE);
	if (left)
		fprintf(stderr, "libdrm suite: %zu simulator objects left open\n", left);
	sim_drm_teardown();
	sim_device_destroy(lt_dev);
	lt_dev = NULL;
	if (lt_live_bytes() != lt_live_at_setup) {
		fprintf(stderr, "libdrm suite: %" PRIu64 " bytes leaked\n",
			lt_live_bytes() - lt_live_at_setup);
		return -1;
	}
	return left ? -1 : 0;
}

int lt_open(void)
{
	int fd = sim_drm_open(lt_dev, O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

void lt_close(int fd)
{
	assert_int_equal(close(fd), 0);
	sim_drm_sweep();
}

int64_t lt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

uint32_t lt_bo(int fd, uint64_t size)
{
	struct drm_i915_gem_create create = { .size = size };

	assert_int_equal(drmIoctl(fd, DRM_IOCTL_I915_GEM_CREATE, &create), 0);
	assert_int_not_equal(create.handle, 0);
	assert_true(create.size >= size);
	return create.handle;
}

void lt_gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close close_args = { .handle = handle };

	assert_int_equal(drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &close_args), 0);
}

void lt_pwrite(int fd, uint32_t handle, uint64_t offset, const void *data, size_t len)
{
	struct drm_i915_gem_pwrite pw = {
		.handle = handle,
		.offset = offset,
		.size = len,
		.data_ptr = (uintptr_t)data,
	};

	assert_int_equal(drmIoctl(fd, DRM_IOCTL_I915_GEM_PWRITE, &pw), 0);
}

void lt_pread(int fd, uint32_t handle, uint64_t offset, void *data, size_t len)
{
	struct drm_i915_gem_pread pr = {
		.handle = handle,
		.offset = offset,
		.size = len,
		.data_ptr = (uintptr_t)data,
	};

	assert_int_equal(drmIoctl(fd, DRM_IOCTL_I915_GEM_PREAD, &pr), 0);
}

void lt_check_words(int fd, uint32_t handle, uint32_t words, uint32_t base, uint32_t step)
{
	uint32_t *got = calloc(words, sizeof(*got));

	assert_non_null(got);
	lt_pread(fd, handle, 0, got, words * sizeof(*got));
	for (uint32_t i = 0; i < words; i++) {
		if (got[i] != base + i * step)
			fprintf(stderr, "word %u: 0x%x, expected 0x%x\n", i, got[i], base + i * step);
		assert_int_equal(got[i], base + i * step);
	}
	free(got);
}

uint32_t lt_batch_bo(int fd, const struct sim_batch *b)
{
	uint32_t handle;

	assert_int_equal(sim_batch_error(b), 0);
	handle = lt_bo(fd, LT_PAGE * ((sim_batch_bytes(b) + LT_PAGE - 1) / LT_PAGE));
	lt_pwrite(fd, handle, 0, b->dw, sim_batch_bytes(b));
	return handle;
}

int lt_execbuf(int fd, struct lt_submit *s)
{
	struct drm_i915_gem_exec_object2 objs[8];
	struct drm_i915_gem_exec_fence tl_fences[4];
	struct drm_i915_gem_execbuffer_ext_timeline_fences tl = {
		.base.name = DRM_I915_GEM_EXECBUFFER_EXT_TIMELINE_FENCES,
		.fence_count = s->tl_count,
		.handles_ptr = (uintptr_t)tl_fences,
		.values_ptr = (uintptr_t)s->tl_points,
	};
	struct drm_i915_gem_execbuffer2 eb = {
		.buffers_ptr = (uintptr_t)objs,
		.buffer_count = s->count,
		.batch_len = s->batch_bytes,
		.flags = s->flags | I915_EXEC_NO_RELOC,
		.rsvd2 = s->rsvd2,
	};
	int ret;

	assert_true(s->count >= 1 && s->count <= 8);
	memset(objs, 0, sizeof(objs));
	for (unsigned int i = 0; i < s->count; i++) {
		objs[i].handle = s->objs[i].handle;
		objs[i].offset = s->objs[i].va;
		objs[i].flags = EXEC_OBJECT_PINNED;
		if (s->objs[i].write)
			objs[i].flags |= EXEC_OBJECT_WRITE;
		if (s->objs[i].async)
			objs[i].flags |= EXEC_OBJECT_ASYNC;
	}
	assert_false(s->fence_count && s->tl_count);
	if (s->fence_count) {
		eb.flags |= I915_EXEC_FENCE_ARRAY;
		eb.cliprects_ptr = (uintptr_t)s->fences;
		eb.num_cliprects = s->fence_count;
	} else if (s->tl_count) {
		for (unsigned int i = 0; i < s->tl_count; i++)
			tl_fences[i] = (struct drm_i915_gem_exec_fence){
				.handle = s->tl_handles[i], .flags = s->tl_flags[i],
			};
		eb.flags |= I915_EXEC_USE_EXTENSIONS;
		eb.cliprects_ptr = (uintptr_t)&tl;
	}
	ret = drmIoctl(fd, DRM_IOCTL_I915_GEM_EXECBUFFER2_WR, &eb);
	if (ret)
		return ret == -1 ? -errno : -EPROTO;
	s->rsvd2_out = eb.rsvd2;
	return 0;
}
