// SPDX-License-Identifier: MIT
/*
 * drmSyncobj*() on the simulator: binary and timeline syncobjs, waits with
 * absolute deadlines, sync_file import/export, handle <-> fd, transfer,
 * and the errnos each libdrm function returns (-1 with errno from most,
 * -errno from drmSyncobjWait() and drmSyncobjTimelineWait()).
 */
#include <poll.h>
#include <unistd.h>

#include <sim/drm.h>

#include "libdrm_test.h"

/* Wait with a zero timeout: 0 signalled, -ETIME not yet, or another -errno. */
static int lt_poll_syncobj(int fd, uint32_t handle, uint32_t flags)
{
	return drmSyncobjWait(fd, &handle, 1, 0, flags, NULL);
}

static void test_libdrm_syncobj_create_destroy(void **state)
{
	int fd = lt_open();
	uint32_t a = 0, b = 0;

	assert_int_equal(drmSyncobjCreate(fd, 0, &a), 0);
	assert_int_equal(drmSyncobjCreate(fd, DRM_SYNCOBJ_CREATE_SIGNALED, &b), 0);
	assert_int_not_equal(a, 0);
	assert_int_not_equal(a, b);
	/* unknown flags create nothing */
	assert_int_equal(drmSyncobjCreate(fd, 0x80, &a), -1);
	assert_int_equal(errno, EINVAL);

	assert_int_equal(drmSyncobjDestroy(fd, a), 0);
	assert_int_equal(drmSyncobjDestroy(fd, a), -1);
	assert_int_equal(errno, EINVAL);	/* drm_syncobj_destroy: not found */
	assert_int_equal(drmSyncobjDestroy(fd, b), 0);
	lt_close(fd);
}

static void test_libdrm_syncobj_binary_wait(void **state)
{
	int fd = lt_open();
	uint32_t sig, unsig, both[2], first = 99;
	int64_t deadline;

	assert_int_equal(drmSyncobjCreate(fd, DRM_SYNCOBJ_CREATE_SIGNALED, &sig), 0);
	assert_int_equal(drmSyncobjCreate(fd, 0, &unsig), 0);

	assert_int_equal(lt_poll_syncobj(fd, sig, 0), 0);
	/* no fence: -EINVAL, unless waiting for submission (then a timeout) */
	assert_int_equal(lt_poll_syncobj(fd, unsig, 0), -EINVAL);
	assert_int_equal(lt_poll_syncobj(fd, unsig, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT),
			 -ETIME);

	/* the timeout is an absolute CLOCK_MONOTONIC deadline */
	deadline = lt_now_ns() + 20 * LT_MS;
	assert_int_equal(drmSyncobjWait(fd, &unsig, 1, deadline,
					DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, NULL), -ETIME);
	assert_true(lt_now_ns() >= deadline);

	/* any vs all, and first_signaled */
	both[0] = unsig;
	both[1] = sig;
	assert_int_equal(drmSyncobjWait(fd, both, 2, 0, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
					&first), 0);
	assert_int_equal(first, 1);
	assert_int_equal(drmSyncobjWait(fd, both, 2, 0,
					DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT |
					DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, NULL), -ETIME);

	/* signal, reset */
	assert_int_equal(drmSyncobjSignal(fd, &unsig, 1), 0);
	assert_int_equal(lt_poll_syncobj(fd, unsig, 0), 0);
	assert_int_equal(drmSyncobjWait(fd, both, 2, 0, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, NULL), 0);
	assert_int_equal(drmSyncobjReset(fd, both, 2), 0);
	assert_int_equal(lt_poll_syncobj(fd, sig, 0), -EINVAL);

	/* errnos: unknown handle, unknown flags; no handles is a successful
	 * no-op (-EINVAL before Linux 6.15's deadline rework) */
	both[1] = sig + 100;
	assert_int_equal(drmSyncobjWait(fd, both, 2, 0, 0, NULL), -ENOENT);
	assert_int_equal(drmSyncobjWait(fd, both, 0, 0, 0, NULL), 0);
	assert_int_equal(drmSyncobjWait(fd, &sig, 1, 0, 0x100, NULL), -EINVAL);
	assert_int_equal(drmSyncobjSignal(fd, both, 2), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(drmSyncobjReset(fd, both, 2), -1);
	assert_int_equal(errno, ENOENT);

	assert_int_equal(drmSyncobjDestroy(fd, sig), 0);
	assert_int_equal(drmSyncobjDestroy(fd, unsig), 0);
	lt_close(fd);
}

static void test_libdrm_syncobj_fd_roundtrip(void **state)
{
	int fd = lt_open(), fd2 = lt_open();
	uint32_t a, in_fd2, again;
	int obj_fd = -1;

	assert_int_equal(drmSyncobjCreate(fd, 0, &a), 0);
	assert_int_equal(drmSyncobjHandleToFD(fd, a, &obj_fd), 0);
	assert_true(obj_fd >= 0);
	assert_int_equal(drmSyncobjFDToHandle(fd2, obj_fd, &in_fd2), 0);
	assert_int_equal(drmSyncobjFDToHandle(fd2, obj_fd, &again), 0);
	assert_int_not_equal(again, in_fd2);	/* a new handle per import, as the kernel */
	assert_int_equal(close(obj_fd), 0);

	/* one syncobj behind all three handles */
	assert_int_equal(lt_poll_syncobj(fd2, in_fd2, 0), -EINVAL);
	assert_int_equal(drmSyncobjSignal(fd, &a, 1), 0);
	assert_int_equal(lt_poll_syncobj(fd2, in_fd2, 0), 0);
	assert_int_equal(lt_poll_syncobj(fd2, again, 0), 0);
	assert_int_equal(drmSyncobjReset(fd2, &again, 1), 0);
	assert_int_equal(lt_poll_syncobj(fd, a, 0), -EINVAL);

	/* errnos: unknown handle (drm_syncobj_handle_to_fd() says -EINVAL);
	 * an fd that is not a syncobj */
	assert_int_equal(drmSyncobjHandleToFD(fd, a + 100, &obj_fd), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(drmSyncobjFDToHandle(fd2, fd, &again), -1);
	assert_int_equal(errno, EINVAL);

	assert_int_equal(drmSyncobjDestroy(fd2, in_fd2), 0);
	assert_int_equal(drmSyncobjDestroy(fd2, again), 0);
	assert_int_equal(drmSyncobjDestroy(fd, a), 0);
	lt_close(fd2);
	lt_close(fd);
}

static void test_libdrm_syncobj_sync_file(void **state)
{
	int fd = lt_open();
	uint32_t sig, empty, dst;
	int sync_fd = -1;
	struct pollfd pfd;

	assert_int_equal(drmSyncobjCreate(fd, DRM_SYNCOBJ_CREATE_SIGNALED, &sig), 0);
	assert_int_equal(drmSyncobjCreate(fd, 0, &empty), 0);
	assert_int_equal(drmSyncobjCreate(fd, 0, &dst), 0);

	/* an empty syncobj has no fence to export */
	assert_int_equal(drmSyncobjExportSyncFile(fd, empty, &sync_fd), -1);
	assert_int_equal(errno, EINVAL);

	assert_int_equal(drmSyncobjExportSyncFile(fd, sig, &sync_fd), 0);
	assert_true(sync_fd >= 0);
	/* a signalled sync_file polls readable, as the kernel's */
	pfd = (struct pollfd){ .fd = sync_fd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 1000), 1);
	assert_true(pfd.revents & POLLIN);

	assert_int_equal(drmSyncobjImportSyncFile(fd, dst, sync_fd), 0);
	assert_int_equal(lt_poll_syncobj(fd, dst, 0), 0);
	/* importing into an unknown handle; importing what is not a sync_file */
	assert_int_equal(drmSyncobjImportSyncFile(fd, dst + 100, sync_fd), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(close(sync_fd), 0);
	assert_int_equal(drmSyncobjImportSyncFile(fd, dst, fd), -1);
	assert_int_equal(errno, EINVAL);

	assert_int_equal(drmSyncobjDestroy(fd, sig), 0);
	assert_int_equal(drmSyncobjDestroy(fd, empty), 0);
	assert_int_equal(drmSyncobjDestroy(fd, dst), 0);
	lt_close(fd);
}

static void test_libdrm_syncobj_timeline(void **state)
{
	int fd = lt_open();
	uint32_t tl, handles[2];
	uint64_t points[2], query;

	assert_int_equal(drmSyncobjCreate(fd, 0, &tl), 0);
	query = 99;
	assert_int_equal(drmSyncobjQuery(fd, &tl, &query, 1), 0);
	assert_int_equal(query, 0);

	points[0] = 1;
	assert_int_equal(drmSyncobjTimelineSignal(fd, &tl, points, 1), 0);
	points[0] = 3;
	assert_int_equal(drmSyncobjTimelineSignal(fd, &tl, points, 1), 0);
	assert_int_equal(drmSyncobjQuery(fd, &tl, &query, 1), 0);
	assert_int_equal(query, 3);
	assert_int_equal(drmSyncobjQuery2(fd, &tl, &query, 1,
					  DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 0);
	assert_int_equal(query, 3);

	/* every point up to 3 is signalled; 5 is not submitted */
	for (uint64_t p = 0; p <= 3; p++)
		assert_int_equal(drmSyncobjTimelineWait(fd, &tl, &p, 1, 0, 0, NULL), 0);
	points[0] = 5;
	assert_int_equal(drmSyncobjTimelineWait(fd, &tl, points, 1, 0, 0, NULL), -EINVAL);
	assert_int_equal(drmSyncobjTimelineWait(fd, &tl, points, 1, 0,
						DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, NULL),
			 -ETIME);
	assert_int_equal(drmSyncobjTimelineWait(fd, &tl, points, 1, 0,
						DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE, NULL),
			 -ETIME);
	assert_int_equal(drmSyncobjTimelineSignal(fd, &tl, points, 1), 0);
	assert_int_equal(drmSyncobjTimelineWait(fd, &tl, points, 1, lt_now_ns() + 1000 * LT_MS,
						DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, NULL), 0);

	/* several handles: one unknown fails the whole query */
	handles[0] = tl;
	handles[1] = tl + 100;
	query = 42;
	assert_int_equal(drmSyncobjQuery(fd, handles, points, 2), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(drmSyncobjTimelineSignal(fd, handles, points, 2), -1);
	assert_int_equal(errno, ENOENT);
	/* nothing changed */
	assert_int_equal(drmSyncobjQuery(fd, &tl, &query, 1), 0);
	assert_int_equal(query, 5);

	assert_int_equal(drmSyncobjDestroy(fd, tl), 0);
	lt_close(fd);
}

static void test_libdrm_syncobj_transfer(void **state)
{
	int fd = lt_open();
	uint32_t bin, tl, bin2;
	uint64_t point, query;

	assert_int_equal(drmSyncobjCreate(fd, DRM_SYNCOBJ_CREATE_SIGNALED, &bin), 0);
	assert_int_equal(drmSyncobjCreate(fd, 0, &tl), 0);
	assert_int_equal(drmSyncobjCreate(fd, 0, &bin2), 0);

	/* binary -> timeline point 2 */
	assert_int_equal(drmSyncobjTransfer(fd, tl, 2, bin, 0, 0), 0);
	assert_int_equal(drmSyncobjQuery(fd, &tl, &query, 1), 0);
	assert_int_equal(query, 2);
	point = 2;
	assert_int_equal(drmSyncobjTimelineWait(fd, &tl, &point, 1, 0, 0, NULL), 0);

	/* timeline point 2 -> binary */
	assert_int_equal(drmSyncobjTransfer(fd, bin2, 0, tl, 2, 0), 0);
	assert_int_equal(lt_poll_syncobj(fd, bin2, 0), 0);

	/* errnos: unknown source, unknown flags; nothing changed */
	assert_int_equal(drmSyncobjTransfer(fd, tl, 4, bin + 100, 0, 0), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(drmSyncobjTransfer(fd, tl, 4, bin, 0, 0x40), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(drmSyncobjQuery(fd, &tl, &query, 1), 0);
	assert_int_equal(query, 2);

	assert_int_equal(drmSyncobjDestroy(fd, bin), 0);
	assert_int_equal(drmSyncobjDestroy(fd, tl), 0);
	assert_int_equal(drmSyncobjDestroy(fd, bin2), 0);
	lt_close(fd);
}

int lt_run_syncobj(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libdrm_syncobj_create_destroy),
		cmocka_unit_test(test_libdrm_syncobj_binary_wait),
		cmocka_unit_test(test_libdrm_syncobj_fd_roundtrip),
		cmocka_unit_test(test_libdrm_syncobj_sync_file),
		cmocka_unit_test(test_libdrm_syncobj_timeline),
		cmocka_unit_test(test_libdrm_syncobj_transfer),
	};

	return cmocka_run_group_tests_name("libdrm_syncobj", tests, lt_group_setup,
					   lt_group_teardown);
}
