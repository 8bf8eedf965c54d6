/* SPDX-License-Identifier: MIT */
/* Helpers of the uAPI suites (test_uapi.h). */
#include "test_uapi.h"

int tu_setup(void **state)
{
	struct tu *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	t->live_before = st_live_bytes();
	t->dev = st_device(16ull << 20, 0, 0);
	t->fd = sim_drm_open(t->dev, O_CLOEXEC);
	if (t->fd < 0)
		return -1;
	*state = t;
	return 0;
}

int tu_teardown(void **state)
{
	struct tu *t = *state;

	close(t->fd);
	sim_drm_teardown();
	assert_int_equal(sim_drm_count(SIM_DRM_FD_NONE), 0);
	sim_device_destroy(t->dev);
	assert_int_equal(st_live_bytes(), t->live_before);
	free(t);
	return 0;
}

void tu_ioctl_ok(int fd, unsigned long req, void *arg)
{
	assert_int_equal(sim_drm_ioctl(fd, req, arg), 0);
}

uint32_t tu_create(int fd, uint64_t size)
{
	struct drm_i915_gem_create c = { .size = size };

	tu_ioctl_ok(fd, DRM_IOCTL_I915_GEM_CREATE, &c);
	assert_true(c.handle != 0);
	return c.handle;
}

void tu_write(int fd, uint32_t handle, uint64_t off, const void *data, size_t len)
{
	struct drm_i915_gem_pwrite w = {
		.handle = handle, .offset = off, .size = len, .data_ptr = (uintptr_t)data,
	};

	tu_ioctl_ok(fd, DRM_IOCTL_I915_GEM_PWRITE, &w);
}

void tu_read(int fd, uint32_t handle, uint64_t off, void *data, size_t len)
{
	struct drm_i915_gem_pread r = {
		.handle = handle, .offset = off, .size = len, .data_ptr = (uintptr_t)data,
	};

	tu_ioctl_ok(fd, DRM_IOCTL_I915_GEM_PREAD, &r);
}

uint32_t tu_read_u32(int fd, uint32_t handle, uint64_t off)
{
	uint32_t v;

	tu_read(fd, handle, off, &v, sizeof(v));
	return v;
}

uint32_t tu_batch(int fd, const struct sim_batch *b)
{
	uint32_t handle = tu_create(fd, PAGE);

	assert_int_equal(sim_batch_error(b), 0);
	tu_write(fd, handle, 0, b->dw, sim_batch_bytes(b));
	return handle;
}

uint32_t tu_store_batch(int fd, uint64_t va, uint32_t value)
{
	uint32_t words[64];
	struct sim_batch b;

	sim_batch_init(&b, words, 64);
	sim_batch_store_dw(&b, va, value);
	sim_batch_end(&b);
	return tu_batch(fd, &b);
}

void tu_obj(struct drm_i915_gem_exec_object2 *o, uint32_t handle, uint64_t va, bool write)
{
	memset(o, 0, sizeof(*o));
	o->handle = handle;
	o->offset = va;
	o->flags = EXEC_OBJECT_PINNED | EXEC_OBJECT_SUPPORTS_48B_ADDRESS |
		   (write ? EXEC_OBJECT_WRITE : 0);
}

uint64_t tu_digest(int fd)
{
	uint64_t d = 0;

	assert_int_equal(sim_drm_state_digest(fd, &d), 0);
	return d;
}

bool tu_poll_in(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}
