// SPDX-License-Identifier: MIT
/*
 * Through libdrm: version, caps, i915 params, GEM create/close/pread/pwrite,
 * PRIME between two DRM files, errnos as libdrm returns them, and the
 * interposer passing other fds through to the kernel.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <sim/drm.h>

#include "libdrm_test.h"

static void test_libdrm_version(void **state)
{
	int fd = lt_open();
	drmVersionPtr v = drmGetVersion(fd);

	assert_non_null(v);
	assert_string_equal(v->name, SIM_DRM_DRIVER_NAME);
	assert_int_equal(v->name_len, (int)strlen(SIM_DRM_DRIVER_NAME));
	assert_non_null(v->date);
	assert_non_null(v->desc);
	drmFreeVersion(v);
	lt_close(fd);
}

static void test_libdrm_get_cap(void **state)
{
	int fd = lt_open();
	uint64_t value = 12345;

	assert_int_equal(drmGetCap(fd, DRM_CAP_SYNCOBJ, &value), 0);
	assert_int_equal(value, 1);
	value = 0;
	assert_int_equal(drmGetCap(fd, DRM_CAP_SYNCOBJ_TIMELINE, &value), 0);
	assert_int_equal(value, 1);
	value = 0;
	assert_int_equal(drmGetCap(fd, DRM_CAP_PRIME, &value), 0);
	assert_int_equal(value, DRM_PRIME_CAP_IMPORT | DRM_PRIME_CAP_EXPORT);

	/* drmGetCap() returns drmIoctl()'s -1 with errno; the value is untouched */
	value = 777;
	errno = 0;
	assert_int_equal(drmGetCap(fd, 0xdead, &value), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(value, 777);
	lt_close(fd);
}

static int lt_getparam(int fd, int32_t param, int *value)
{
	struct drm_i915_getparam gp = { .param = param, .value = value };

	return drmIoctl(fd, DRM_IOCTL_I915_GETPARAM, &gp) ? -errno : 0;
}

static void test_libdrm_i915_getparam(void **state)
{
	static const int32_t params[] = {
		I915_PARAM_HAS_EXEC_FENCE, I915_PARAM_HAS_EXEC_FENCE_ARRAY,
		I915_PARAM_HAS_EXEC_TIMELINE_FENCES, I915_PARAM_HAS_EXEC_SOFTPIN,
		I915_PARAM_HAS_EXEC_NO_RELOC, I915_PARAM_HAS_EXEC_HANDLE_LUT,
		I915_PARAM_HAS_EXEC_ASYNC, I915_PARAM_HAS_EXEC_BATCH_FIRST,
	};
	int fd = lt_open();
	int value;

	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		value = 0;
		assert_int_equal(lt_getparam(fd, params[i], &value), 0);
		assert_true(value >= 1);
	}
	value = 31337;
	assert_int_equal(lt_getparam(fd, 0x7fff, &value), -EINVAL);
	assert_int_equal(value, 31337);
	lt_close(fd);
}

static void test_libdrm_gem_create_close(void **state)
{
	int fd = lt_open();
	struct drm_i915_gem_create create = { .size = 0 };
	struct drm_gem_close cl = { .handle = 0 };
	uint32_t a, b;

	a = lt_bo(fd, LT_PAGE);
	b = lt_bo(fd, 3 * LT_PAGE);
	assert_int_not_equal(a, b);

	/* size 0 is refused and creates nothing */
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_I915_GEM_CREATE, &create), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(create.handle, 0);

	lt_gem_close(fd, a);
	cl.handle = a;
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &cl), -1);
	assert_int_equal(errno, EINVAL);	/* drm_gem_close_ioctl: unknown handle */
	lt_gem_close(fd, b);
	lt_close(fd);
}

static void test_libdrm_pwrite_pread(void **state)
{
	int fd = lt_open();
	uint32_t bo = lt_bo(fd, 2 * LT_PAGE);
	uint32_t words[2 * LT_PAGE / 4], back[2 * LT_PAGE / 4];
	struct drm_i915_gem_pread pr = {
		.handle = bo, .offset = LT_PAGE, .size = 2 * LT_PAGE,
		.data_ptr = (uintptr_t)back,
	};
	struct drm_i915_gem_pwrite pw = {
		.handle = bo + 100, .size = 4, .data_ptr = (uintptr_t)words,
	};

	for (uint32_t i = 0; i < 2 * LT_PAGE / 4; i++)
		words[i] = 0xc0de0000u + i;
	lt_pwrite(fd, bo, 0, words, sizeof(words));
	memset(back, 0, sizeof(back));
	lt_pread(fd, bo, 0, back, sizeof(back));
	assert_memory_equal(words, back, sizeof(words));
	/* a partial read at an offset */
	lt_pread(fd, bo, 4 * 100, back, 8);
	assert_int_equal(back[0], 0xc0de0000u + 100);
	assert_int_equal(back[1], 0xc0de0000u + 101);

	/* out of range, unknown handle */
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_I915_GEM_PREAD, &pr), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_I915_GEM_PWRITE, &pw), -1);
	assert_int_equal(errno, ENOENT);
	lt_check_words(fd, bo, 2 * LT_PAGE / 4, 0xc0de0000u, 1);
	lt_gem_close(fd, bo);
	lt_close(fd);
}

static void test_libdrm_prime_share(void **state)
{
	int fd = lt_open(), fd2 = lt_open();
	uint32_t bo = lt_bo(fd, LT_PAGE), imported, again, self;
	uint32_t words[LT_PAGE / 4];
	int dmabuf = -1;

	for (uint32_t i = 0; i < LT_PAGE / 4; i++)
		words[i] = 0x51ab0000u + 3 * i;
	lt_pwrite(fd, bo, 0, words, sizeof(words));

	assert_int_equal(drmPrimeHandleToFD(fd, bo, DRM_CLOEXEC | DRM_RDWR, &dmabuf), 0);
	assert_true(dmabuf >= 0);
	assert_int_equal(drmPrimeFDToHandle(fd2, dmabuf, &imported), 0);
	/* importing again gives the same handle; into the exporter, its own */
	assert_int_equal(drmPrimeFDToHandle(fd2, dmabuf, &again), 0);
	assert_int_equal(again, imported);
	assert_int_equal(drmPrimeFDToHandle(fd, dmabuf, &self), 0);
	assert_int_equal(self, bo);
	assert_int_equal(close(dmabuf), 0);

	/* the second file sees the first one's data, and the other way round */
	lt_check_words(fd2, imported, LT_PAGE / 4, 0x51ab0000u, 3);
	for (uint32_t i = 0; i < LT_PAGE / 4; i++)
		words[i] = 7u * i;
	lt_pwrite(fd2, imported, 0, words, sizeof(words));
	lt_check_words(fd, bo, LT_PAGE / 4, 0, 7);

	/* errnos: unknown handle, bad flags, an fd that is not a dma-buf */
	assert_int_equal(drmPrimeHandleToFD(fd, bo + 50, DRM_CLOEXEC, &dmabuf), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(drmPrimeHandleToFD(fd, bo, 0x4, &dmabuf), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(drmPrimeFDToHandle(fd2, fd, &imported), -1);
	assert_true(errno == EINVAL || errno == EBADF);

	lt_gem_close(fd2, imported);
	lt_gem_close(fd, bo);
	lt_close(fd2);
	lt_close(fd);
}

/* The interposer hands every other fd to the kernel untouched. */
static void test_libdrm_passthrough(void **state)
{
	struct drm_version v = { 0 };
	int p[2], avail = -1, null_fd, fd;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "hello", 5), 5);
	assert_int_equal(ioctl(p[0], FIONREAD, &avail), 0);
	assert_int_equal(avail, 5);
	close(p[0]);
	close(p[1]);

	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(null_fd >= 0);
	errno = 0;
	assert_int_equal(ioctl(null_fd, DRM_IOCTL_VERSION, &v), -1);
	assert_int_equal(errno, ENOTTY);
	assert_null(drmGetVersion(null_fd));
	close(null_fd);

	/* a closed fd: the kernel's EBADF */
	assert_int_equal(drmIoctl(null_fd, DRM_IOCTL_VERSION, &v), -1);
	assert_int_equal(errno, EBADF);

	/*
	 * A simulator fd closed and its number reused by a pipe (the lowest
	 * free numbers): the interposer must not take it for ours.
	 */
	fd = lt_open();
	lt_close(fd);
	assert_int_equal(pipe(p), 0);
	assert_true(p[0] == fd || p[1] == fd);
	assert_int_equal(write(p[1], "abc", 3), 3);
	avail = -1;
	assert_int_equal(ioctl(fd, FIONREAD, &avail), 0);
	assert_int_equal(avail, 3);
	close(p[0]);
	close(p[1]);
}

/* Requests the simulator does not know, on a simulator fd. */
static void test_libdrm_unknown_request(void **state)
{
	int fd = lt_open();
	struct termios t;

	errno = 0;
	assert_int_equal(ioctl(fd, TCGETS, &t), -1);	/* not a DRM ioctl */
	assert_int_equal(errno, ENOTTY);
	/* a DRM ioctl number the driver has no handler for: drm_ioctl()'s -EINVAL */
	errno = 0;
	assert_int_equal(drmIoctl(fd, DRM_IOWR(DRM_COMMAND_BASE + 0x3f, struct drm_version),
				  &t), -1);
	assert_int_equal(errno, EINVAL);
	lt_close(fd);
}

int lt_run_core(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libdrm_version),
		cmocka_unit_test(test_libdrm_get_cap),
		cmocka_unit_test(test_libdrm_i915_getparam),
		cmocka_unit_test(test_libdrm_gem_create_close),
		cmocka_unit_test(test_libdrm_pwrite_pread),
		cmocka_unit_test(test_libdrm_prime_share),
		cmocka_unit_test(test_libdrm_passthrough),
		cmocka_unit_test(test_libdrm_unknown_request),
	};

	return cmocka_run_group_tests_name("libdrm_core", tests, lt_group_setup,
					   lt_group_teardown);
}
