/* SPDX-License-Identifier: MIT */
/*
 * The uAPI's DRM core and GEM ioctls, and its fds, driven through
 * sim_drm_ioctl() with libdrm's structs: every success path with data read
 * back, the errnos, drm_ioctl()'s size handling, close/dup/reuse of fds,
 * the sweep, and PRIME.
 */
#include <sys/stat.h>

#include <resv/mmu_notifier.h>

#include <sim/file.h>

#include "test_uapi.h"

static void test_uapi_version(void **state)
{
	struct tu *t = *state;
	char name[32] = { 0 }, small[4] = { 'x', 'x', 'x', 'x' };
	struct drm_version v = { .name = name, .name_len = sizeof(name) };

	tu_ioctl_ok(t->fd, DRM_IOCTL_VERSION, &v);
	assert_string_equal(name, SIM_DRM_DRIVER_NAME);
	assert_int_equal(v.name_len, strlen(SIM_DRM_DRIVER_NAME));
	assert_true(v.desc_len > 0);
	/* First call with no buffers learns the lengths (libdrm's way). */
	memset(&v, 0, sizeof(v));
	tu_ioctl_ok(t->fd, DRM_IOCTL_VERSION, &v);
	assert_int_equal(v.name_len, strlen(SIM_DRM_DRIVER_NAME));
	/* A short buffer gets what fits and the full length. */
	v = (struct drm_version){ .name = small, .name_len = 3 };
	tu_ioctl_ok(t->fd, DRM_IOCTL_VERSION, &v);
	assert_memory_equal(small, "resx", 4);
	assert_int_equal(v.name_len, strlen(SIM_DRM_DRIVER_NAME));
}

static void test_uapi_get_cap(void **state)
{
	struct tu *t = *state;
	struct drm_get_cap cap = { .capability = DRM_CAP_SYNCOBJ };

	tu_ioctl_ok(t->fd, DRM_IOCTL_GET_CAP, &cap);
	assert_int_equal(cap.value, 1);
	cap = (struct drm_get_cap){ .capability = DRM_CAP_SYNCOBJ_TIMELINE };
	tu_ioctl_ok(t->fd, DRM_IOCTL_GET_CAP, &cap);
	assert_int_equal(cap.value, 1);
	cap = (struct drm_get_cap){ .capability = DRM_CAP_PRIME };
	tu_ioctl_ok(t->fd, DRM_IOCTL_GET_CAP, &cap);
	assert_int_equal(cap.value, DRM_PRIME_CAP_IMPORT | DRM_PRIME_CAP_EXPORT);
	cap = (struct drm_get_cap){ .capability = DRM_CAP_DUMB_BUFFER, .value = 77 };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_GET_CAP, &cap), -EINVAL);
	cap = (struct drm_get_cap){ .capability = 0xdead, .value = 77 };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_GET_CAP, &cap), -EINVAL);
	assert_int_equal(cap.value, 77);
}

static void test_uapi_dispatch_errors(void **state)
{
	struct tu *t = *state;
	struct drm_get_cap cap = { .capability = DRM_CAP_SYNCOBJ };
	int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	uint64_t d = tu_digest(t->fd);

	errno = 1234;
	/* Not a DRM ioctl at all */
	assert_int_equal(sim_drm_ioctl(t->fd, _IOWR('x', 1, struct drm_get_cap), &cap), -ENOTTY);
	/* A DRM number the simulator does not implement (drm_ioctl: -EINVAL) */
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_SET_MASTER, NULL), -EINVAL);
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOWR(0x9f, struct drm_get_cap), &cap), -EINVAL);
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOWR(0xfe, struct drm_get_cap), &cap), -EINVAL);
	/* NULL argument with a size */
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_GET_CAP, NULL), -EFAULT);
	/* Not our fd */
	assert_int_equal(sim_drm_ioctl(nullfd, DRM_IOCTL_GET_CAP, &cap), -EBADF);
	assert_int_equal(sim_drm_ioctl(-1, DRM_IOCTL_GET_CAP, &cap), -EBADF);
	assert_int_equal(sim_drm_ioctl(100000, DRM_IOCTL_GET_CAP, &cap), -EBADF);
	assert_int_equal(errno, 1234);	/* never set */
	assert_false(sim_drm_is_sim_fd(nullfd));
	assert_true(sim_drm_is_sim_fd(t->fd));
	assert_int_equal(sim_drm_fd_kind(t->fd), SIM_DRM_FD_DEVICE);
	assert_int_equal(tu_digest(t->fd), d);
	close(nullfd);
}

/* drm_ioctl(): the caller's size may differ from the driver's struct. */
static void test_uapi_size_mismatch(void **state)
{
	struct tu *t = *state;
	struct {
		struct drm_i915_gem_create c;
		uint64_t extra;
	} big = { .c = { .size = 100 }, .extra = 0x1122334455667788ull };
	struct {
		uint64_t size;	/* an "older" struct: no handle field */
		uint64_t sentinel;
	} small = { .size = 1, .sentinel = 0xabcdabcdabcdabcdull };

	tu_ioctl_ok(t->fd, DRM_IOWR(DRM_COMMAND_BASE + DRM_I915_GEM_CREATE, big), &big);
	assert_int_equal(big.c.size, PAGE);
	assert_int_equal(big.c.handle, 1);
	assert_int_equal(big.extra, 0x1122334455667788ull);
	tu_ioctl_ok(t->fd, DRM_IOWR(DRM_COMMAND_BASE + DRM_I915_GEM_CREATE, small.size), &small);
	assert_int_equal(small.size, PAGE);		/* copied back */
	assert_int_equal(small.sentinel, 0xabcdabcdabcdabcdull);	/* untouched */
	{
		/* the handle exists although it was not reported */
		struct sim_bo *bo = sim_file_lookup_bo(sim_drm_file(t->fd), 2);

		assert_non_null(bo);
		sim_bo_put(bo);
	}
	/* _IOW only: nothing is copied back */
	big.c = (struct drm_i915_gem_create){ .size = 3 * PAGE - 1 };
	tu_ioctl_ok(t->fd, DRM_IOW(DRM_COMMAND_BASE + DRM_I915_GEM_CREATE,
				   struct drm_i915_gem_create), &big.c);
	assert_int_equal(big.c.size, 3 * PAGE - 1);
	assert_int_equal(big.c.handle, 0);
}

static void test_uapi_gem_create_rw(void **state)
{
	struct tu *t = *state;
	struct drm_i915_gem_create c = { .size = 0 };
	unsigned char data[300], back[300];
	struct drm_i915_gem_pwrite w = { 0 };
	uint32_t h;
	uint64_t d;

	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_CREATE, &c), -EINVAL);
	c.size = (1ull << 30) + 1;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_CREATE, &c), -E2BIG);
	c.size = UINT64_MAX;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_CREATE, &c), -E2BIG);
	assert_int_equal(c.handle, 0);

	h = tu_create(t->fd, 2 * PAGE);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 1);
	tu_write(t->fd, h, PAGE - 100, data, sizeof(data));
	tu_read(t->fd, h, PAGE - 100, back, sizeof(back));
	assert_memory_equal(data, back, sizeof(data));
	assert_int_equal(tu_read_u32(t->fd, h, 0), 0);	/* zero-filled */

	d = tu_digest(t->fd);
	w = (struct drm_i915_gem_pwrite){ .handle = 99, .size = 4, .data_ptr = (uintptr_t)data };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_PWRITE, &w), -ENOENT);
	w = (struct drm_i915_gem_pwrite){ .handle = h, .offset = 2 * PAGE - 3, .size = 4,
					  .data_ptr = (uintptr_t)data };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_PWRITE, &w), -EINVAL);
	w = (struct drm_i915_gem_pwrite){ .handle = h, .offset = UINT64_MAX, .size = 4,
					  .data_ptr = (uintptr_t)data };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_PWRITE, &w), -EINVAL);
	w = (struct drm_i915_gem_pwrite){ .handle = h, .size = 4 };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_PWRITE, &w), -EFAULT);
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_PREAD, &w), -EFAULT);
	/* size 0 succeeds before anything is looked at, as i915 */
	w = (struct drm_i915_gem_pwrite){ .handle = 99 };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_PWRITE, &w), 0);
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_PREAD, &w), 0);
	assert_int_equal(tu_digest(t->fd), d);
}

static void test_uapi_gem_close(void **state)
{
	struct tu *t = *state;
	uint32_t h = tu_create(t->fd, PAGE);
	struct drm_gem_close cl = { .handle = h };
	uint64_t d;

	tu_ioctl_ok(t->fd, DRM_IOCTL_GEM_CLOSE, &cl);
	d = tu_digest(t->fd);
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_GEM_CLOSE, &cl), -EINVAL);
	cl.handle = 0;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_GEM_CLOSE, &cl), -EINVAL);
	assert_int_equal(tu_digest(t->fd), d);
	assert_null(sim_file_lookup_bo(sim_drm_file(t->fd), h));
}

static void test_uapi_getparam(void **state)
{
	struct tu *t = *state;
	int value = -1;
	struct drm_i915_getparam gp = { .param = I915_PARAM_HAS_EXEC_FENCE, .value = &value };
	const int params[] = { I915_PARAM_HAS_EXEC_FENCE, I915_PARAM_HAS_EXEC_FENCE_ARRAY,
			       I915_PARAM_HAS_EXEC_TIMELINE_FENCES, I915_PARAM_HAS_USERPTR_PROBE,
			       I915_PARAM_HAS_EXEC_SOFTPIN, I915_PARAM_HAS_EXEC_HANDLE_LUT };

	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		value = -1;
		gp.param = params[i];
		tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GETPARAM, &gp);
		assert_int_equal(value, 1);
	}
	value = -1;
	gp.param = 12345;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GETPARAM, &gp), -EINVAL);
	assert_int_equal(value, -1);
	gp = (struct drm_i915_getparam){ .param = I915_PARAM_HAS_EXEC_FENCE };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GETPARAM, &gp), -EFAULT);
}

static void test_uapi_userptr(void **state)
{
	struct tu *t = *state;
	struct resv_mm *mm = sim_drm_mm(t->fd);
	const unsigned long addr = 0x7000000;
	struct drm_i915_gem_userptr u = { .user_ptr = addr, .user_size = 2 * PAGE };
	uint64_t d = tu_digest(t->fd);

	assert_non_null(mm);
	assert_null(sim_drm_mm(-1));
	u.flags = 0x80;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_USERPTR, &u), -EINVAL);
	u.flags = I915_USERPTR_UNSYNCHRONIZED;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_USERPTR, &u), -ENODEV);
	u.flags = I915_USERPTR_READ_ONLY;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_USERPTR, &u), -ENODEV);
	u.flags = I915_USERPTR_PROBE;	/* not mapped yet */
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_USERPTR, &u), -EFAULT);
	u = (struct drm_i915_gem_userptr){ .user_ptr = addr + 8, .user_size = PAGE };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_USERPTR, &u), -EINVAL);
	u = (struct drm_i915_gem_userptr){ .user_ptr = addr, .user_size = 0 };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_USERPTR, &u), -EINVAL);
	u = (struct drm_i915_gem_userptr){ .user_ptr = addr, .user_size = 1ull << 31 };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_USERPTR, &u), -E2BIG);
	u = (struct drm_i915_gem_userptr){ .user_ptr = UINT64_MAX - PAGE + 1, .user_size = 2 * PAGE };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_USERPTR, &u), -EFAULT);
	assert_int_equal(tu_digest(t->fd), d);

	/* Mapped: PROBE passes; without PROBE mapping is not needed. */
	assert_int_equal(resv_mm_map(mm, addr, 2 * PAGE), 0);
	u = (struct drm_i915_gem_userptr){ .user_ptr = addr, .user_size = 2 * PAGE,
					   .flags = I915_USERPTR_PROBE };
	tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GEM_USERPTR, &u);
	assert_true(u.handle != 0);
	u = (struct drm_i915_gem_userptr){ .user_ptr = 0x9000000, .user_size = PAGE };
	tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GEM_USERPTR, &u);
}

static void test_uapi_gem_wait(void **state)
{
	struct tu *t = *state;
	uint32_t h = tu_create(t->fd, PAGE);
	struct drm_i915_gem_wait w = { .bo_handle = h, .timeout_ns = 1000000000 };

	tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GEM_WAIT, &w);
	assert_true(w.timeout_ns > 0 && w.timeout_ns <= 1000000000);
	w = (struct drm_i915_gem_wait){ .bo_handle = h, .timeout_ns = -1 };
	tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GEM_WAIT, &w);
	assert_int_equal(w.timeout_ns, -1);	/* unbounded: not updated */
	w = (struct drm_i915_gem_wait){ .bo_handle = h, .flags = 1 };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_WAIT, &w), -EINVAL);
	w = (struct drm_i915_gem_wait){ .bo_handle = 77 };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_WAIT, &w), -ENOENT);
}

static void test_uapi_context(void **state)
{
	struct tu *t = *state;
	struct drm_i915_gem_context_create c = { 0 };
	struct drm_i915_gem_context_create_ext ce = { .flags = 1u << 7 };
	struct drm_i915_gem_context_destroy ds = { 0 };
	uint64_t d;

	tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GEM_CONTEXT_CREATE, &c);
	assert_int_equal(c.ctx_id, 1);
	tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GEM_CONTEXT_CREATE, &c);
	assert_int_equal(c.ctx_id, 2);
	d = tu_digest(t->fd);
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_CONTEXT_CREATE_EXT, &ce), -EINVAL);
	ce = (struct drm_i915_gem_context_create_ext){
		.flags = I915_CONTEXT_CREATE_FLAGS_USE_EXTENSIONS, .extensions = 0x1000 };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_CONTEXT_CREATE_EXT, &ce), -EINVAL);
	ds.ctx_id = 0;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_CONTEXT_DESTROY, &ds), -ENOENT);
	ds.ctx_id = 9;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_CONTEXT_DESTROY, &ds), -ENOENT);
	ds = (struct drm_i915_gem_context_destroy){ .ctx_id = 1, .pad = 1 };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_CONTEXT_DESTROY, &ds), -EINVAL);
	assert_int_equal(tu_digest(t->fd), d);
	ds.pad = 0;
	tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GEM_CONTEXT_DESTROY, &ds);
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_CONTEXT_DESTROY, &ds), -ENOENT);
	assert_true(tu_digest(t->fd) != d);
}

static void test_uapi_fd_dup_close_reuse(void **state)
{
	struct tu *t = *state;
	int fd = sim_drm_open(t->dev, 0), copy, other;
	struct drm_get_cap cap = { .capability = DRM_CAP_SYNCOBJ };
	size_t before = sim_drm_count(SIM_DRM_FD_DEVICE);

	assert_true(fd >= 0);
	assert_int_equal(sim_drm_open(NULL, 0), -EINVAL);
	assert_int_equal(sim_drm_open(t->dev, O_NONBLOCK), -EINVAL);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(fcntl(t->fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	copy = dup(fd);
	tu_ioctl_ok(copy, DRM_IOCTL_GET_CAP, &cap);
	/* Same DRM file through both numbers */
	assert_ptr_equal(sim_drm_file(copy), sim_drm_file(fd));
	close(fd);
	assert_int_equal(sim_drm_sweep(), 0);	/* the dup keeps it */
	tu_ioctl_ok(copy, DRM_IOCTL_GET_CAP, &cap);
	/* The number reused by an unrelated open() is not ours. */
	other = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(other, fd);
	assert_int_equal(sim_drm_ioctl(other, DRM_IOCTL_GET_CAP, &cap), -EBADF);
	close(other);
	close(copy);
	assert_int_equal(sim_drm_count(SIM_DRM_FD_DEVICE), before);
	assert_int_equal(sim_drm_sweep(), 1);
	assert_int_equal(sim_drm_count(SIM_DRM_FD_DEVICE), before - 1);
	assert_int_equal(sim_drm_ioctl(copy, DRM_IOCTL_GET_CAP, &cap), -EBADF);

	/* sim_drm_close releases at once; a second close is -EBADF. */
	fd = sim_drm_open(t->dev, 0);
	assert_int_equal(sim_drm_count(SIM_DRM_FD_DEVICE), before);
	assert_int_equal(sim_drm_close(fd), 0);
	assert_int_equal(sim_drm_count(SIM_DRM_FD_DEVICE), before - 1);
	assert_int_equal(sim_drm_close(fd), -EBADF);
	/* poll on a DRM fd: nothing to read */
	{
		struct pollfd p = { .fd = t->fd, .events = POLLIN };

		assert_int_equal(poll(&p, 1, 0), 0);
	}
}

static void test_uapi_prime(void **state)
{
	struct tu *t = *state;
	uint32_t h = tu_create(t->fd, PAGE), value = 0x5eed;
	struct drm_prime_handle p = { .handle = h, .flags = DRM_CLOEXEC | DRM_RDWR, .fd = -1 };
	struct drm_gem_close cl = { .handle = h };
	struct sim_bo *bo = sim_file_lookup_bo(sim_drm_file(t->fd), h);
	long refs;
	int fd2;
	uint64_t d;

	tu_write(t->fd, h, 0, &value, sizeof(value));
	tu_ioctl_ok(t->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);
	assert_true(p.fd >= 0);
	assert_int_equal(sim_drm_fd_kind(p.fd), SIM_DRM_FD_DMABUF);
	assert_int_equal(sim_drm_ioctl(p.fd, DRM_IOCTL_GET_CAP, &cl), -ENOTTY);
	/* Same file: the same handle */
	{
		struct drm_prime_handle imp = { .fd = p.fd };

		tu_ioctl_ok(t->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp);
		assert_int_equal(imp.handle, h);
	}
	d = tu_digest(t->fd);
	{
		struct drm_prime_handle bad = { .handle = h, .flags = 4 };

		assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &bad), -EINVAL);
		bad = (struct drm_prime_handle){ .handle = 55 };
		assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &bad), -ENOENT);
		bad = (struct drm_prime_handle){ .fd = -1 };
		assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &bad), -EBADF);
		bad = (struct drm_prime_handle){ .fd = t->fd };	/* ours, not a dma-buf */
		assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &bad), -EINVAL);
	}
	assert_int_equal(tu_digest(t->fd), d);

	/* Another DRM file of the device: a handle of its own for the same
	 * BO, the same one on a second import; the data is shared. */
	fd2 = sim_drm_open(t->dev, O_CLOEXEC);
	{
		struct drm_prime_handle imp = { .fd = p.fd }, again = { .fd = p.fd };
		struct drm_gem_close cl2;
		uint32_t other = 0xd00d;

		tu_ioctl_ok(fd2, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp);
		assert_int_equal(tu_read_u32(fd2, imp.handle, 0), value);
		tu_ioctl_ok(fd2, DRM_IOCTL_PRIME_FD_TO_HANDLE, &again);
		assert_int_equal(again.handle, imp.handle);
		tu_write(fd2, imp.handle, 0, &other, sizeof(other));
		assert_int_equal(tu_read_u32(t->fd, h, 0), other);
		/* the importer's handle holds its own BO reference */
		refs = drm_gem_object_refcount(&bo->base);
		cl2 = (struct drm_gem_close){ .handle = imp.handle };
		tu_ioctl_ok(fd2, DRM_IOCTL_GEM_CLOSE, &cl2);
		assert_int_equal(drm_gem_object_refcount(&bo->base), refs - 1);
		assert_int_equal(sim_drm_ioctl(fd2, DRM_IOCTL_GEM_CLOSE, &cl2), -EINVAL);
		assert_int_equal(tu_read_u32(t->fd, h, 0), other);
	}
	sim_drm_close(fd2);

	/* The dma-buf keeps the BO after its handle is closed. */
	refs = drm_gem_object_refcount(&bo->base);
	tu_ioctl_ok(t->fd, DRM_IOCTL_GEM_CLOSE, &cl);
	assert_int_equal(drm_gem_object_refcount(&bo->base), refs - 1);
	close(p.fd);
	assert_int_equal(drm_gem_object_refcount(&bo->base), refs - 1);
	assert_int_equal(sim_drm_sweep(), 1);	/* the last fput */
	assert_int_equal(drm_gem_object_refcount(&bo->base), refs - 2);
	assert_int_equal(drm_gem_object_refcount(&bo->base), 1);
	sim_bo_put(bo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_uapi_version, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_get_cap, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_dispatch_errors, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_size_mismatch, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_gem_create_rw, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_gem_close, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_getparam, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_userptr, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_gem_wait, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_context, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_fd_dup_close_reuse, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_prime, tu_setup, tu_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
