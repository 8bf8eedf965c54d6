// SPDX-License-Identifier: MIT
/*
 * execbuffer2 through drmIoctl(): batches in the simulator's command
 * language (<sim/batch.h>) that store and copy, chained across two engines
 * with binary syncobjs (I915_EXEC_FENCE_ARRAY), a timeline syncobj (the
 * TIMELINE_FENCES extension) and sync_files (FENCE_IN/FENCE_OUT), waited on
 * with drmSyncobjWait()/TimelineWait()/GEM_WAIT/poll(), every word read
 * back with GEM_PREAD. The data objects are EXEC_OBJECT_ASYNC in the chains,
 * so only the explicit fence orders the two batches, and the first batch
 * sleeps before it writes: a chain that did not wait copies zeroes.
 */
#include <poll.h>
#include <unistd.h>

#include "libdrm_test.h"

#define LT_WORDS 64u
#define LT_RING_A I915_EXEC_RENDER
#define LT_RING_B I915_EXEC_BSD
#define LT_DELAY_US 20000u

/* END, after a NOOP when needed: i915 wants batch_len a multiple of 8. */
static void lt_batch_end(struct sim_batch *b)
{
	if (!(b->len & 1))
		sim_batch_noop(b);
	sim_batch_end(b);
}

static uint32_t lt_store_words_batch(int fd, uint64_t va, uint32_t base, uint32_t step,
				     uint32_t delay_us, uint32_t *bytes)
{
	uint32_t words[LT_WORDS * 4 + 8];
	struct sim_batch b;

	sim_batch_init(&b, words, sizeof(words) / sizeof(words[0]));
	if (delay_us)
		sim_batch_delay(&b, delay_us);
	for (uint32_t i = 0; i < LT_WORDS; i++)
		sim_batch_store_dw(&b, va + 4 * i, base + i * step);
	lt_batch_end(&b);
	*bytes = (uint32_t)sim_batch_bytes(&b);
	return lt_batch_bo(fd, &b);
}

static uint32_t lt_copy_batch(int fd, uint64_t dst, uint64_t src, uint32_t *bytes)
{
	uint32_t words[16];
	struct sim_batch b;

	sim_batch_init(&b, words, 16);
	sim_batch_copy(&b, dst, src, LT_WORDS * 4);
	lt_batch_end(&b);
	*bytes = (uint32_t)sim_batch_bytes(&b);
	return lt_batch_bo(fd, &b);
}

static int lt_wait_sync_file(int sync_fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = sync_fd, .events = POLLIN };

	return poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & POLLIN) ? 0 : -ETIME;
}

static void test_libdrm_exec_store_fence_out(void **state)
{
	int fd = lt_open(), out_fd;
	uint32_t dst = lt_bo(fd, LT_PAGE), bytes, batch, so;
	struct lt_submit s = { .count = 2, .flags = LT_RING_A | I915_EXEC_FENCE_OUT };

	batch = lt_store_words_batch(fd, LT_DST_VA, 0x1000, 1, 0, &bytes);
	s.objs[0] = (struct lt_obj){ .handle = dst, .va = LT_DST_VA, .write = true };
	s.objs[1] = (struct lt_obj){ .handle = batch, .va = LT_BATCH_VA };
	s.batch_bytes = bytes;
	assert_int_equal(lt_execbuf(fd, &s), 0);
	out_fd = (int)(s.rsvd2_out >> 32);
	assert_true(out_fd >= 0);
	assert_int_equal(lt_wait_sync_file(out_fd, 5000), 0);

	/* the out-fence imported into a syncobj is signalled too */
	assert_int_equal(drmSyncobjCreate(fd, 0, &so), 0);
	assert_int_equal(drmSyncobjImportSyncFile(fd, so, out_fd), 0);
	assert_int_equal(drmSyncobjWait(fd, &so, 1, 0, 0, NULL), 0);
	assert_int_equal(close(out_fd), 0);

	lt_check_words(fd, dst, LT_WORDS, 0x1000, 1);
	assert_int_equal(drmSyncobjDestroy(fd, so), 0);
	lt_gem_close(fd, batch);
	lt_gem_close(fd, dst);
	lt_close(fd);
}

static void test_libdrm_exec_chain_binary(void **state)
{
	int fd = lt_open();
	uint32_t src = lt_bo(fd, LT_PAGE), dst = lt_bo(fd, LT_PAGE);
	uint32_t b1, b2, bytes1, bytes2, a, b;
	struct lt_submit s1 = { .count = 2, .flags = LT_RING_A };
	struct lt_submit s2 = { .count = 3, .flags = LT_RING_B };

	assert_int_equal(drmSyncobjCreate(fd, 0, &a), 0);
	assert_int_equal(drmSyncobjCreate(fd, 0, &b), 0);
	b1 = lt_store_words_batch(fd, LT_SRC_VA, 0xa000, 5, LT_DELAY_US, &bytes1);
	b2 = lt_copy_batch(fd, LT_DST_VA, LT_SRC_VA, &bytes2);

	s1.objs[0] = (struct lt_obj){ .handle = src, .va = LT_SRC_VA, .write = true, .async = true };
	s1.objs[1] = (struct lt_obj){ .handle = b1, .va = LT_BATCH_VA };
	s1.batch_bytes = bytes1;
	s1.fences[0] = (struct drm_i915_gem_exec_fence){ .handle = a, .flags = I915_EXEC_FENCE_SIGNAL };
	s1.fence_count = 1;
	assert_int_equal(lt_execbuf(fd, &s1), 0);

	s2.objs[0] = (struct lt_obj){ .handle = src, .va = LT_SRC_VA, .async = true };
	s2.objs[1] = (struct lt_obj){ .handle = dst, .va = LT_DST_VA, .write = true, .async = true };
	s2.objs[2] = (struct lt_obj){ .handle = b2, .va = LT_BATCH2_VA };
	s2.batch_bytes = bytes2;
	s2.fences[0] = (struct drm_i915_gem_exec_fence){ .handle = a, .flags = I915_EXEC_FENCE_WAIT };
	s2.fences[1] = (struct drm_i915_gem_exec_fence){ .handle = b, .flags = I915_EXEC_FENCE_SIGNAL };
	s2.fence_count = 2;
	assert_int_equal(lt_execbuf(fd, &s2), 0);

	assert_int_equal(drmSyncobjWait(fd, &b, 1, lt_now_ns() + 5000 * LT_MS, 0, NULL), 0);
	assert_int_equal(drmSyncobjWait(fd, &a, 1, 0, 0, NULL), 0);
	lt_check_words(fd, dst, LT_WORDS, 0xa000, 5);
	lt_check_words(fd, src, LT_WORDS, 0xa000, 5);

	assert_int_equal(drmSyncobjDestroy(fd, a), 0);
	assert_int_equal(drmSyncobjDestroy(fd, b), 0);
	lt_gem_close(fd, b1);
	lt_gem_close(fd, b2);
	lt_gem_close(fd, src);
	lt_gem_close(fd, dst);
	lt_close(fd);
}

static void test_libdrm_exec_chain_timeline(void **state)
{
	int fd = lt_open();
	uint32_t src = lt_bo(fd, LT_PAGE), dst = lt_bo(fd, LT_PAGE);
	uint32_t b1, b2, bytes1, bytes2, tl;
	uint64_t point, query;
	struct lt_submit s1 = { .count = 2, .flags = LT_RING_A };
	struct lt_submit s2 = { .count = 3, .flags = LT_RING_B };

	assert_int_equal(drmSyncobjCreate(fd, 0, &tl), 0);
	b1 = lt_store_words_batch(fd, LT_SRC_VA, 0x7000, 3, LT_DELAY_US, &bytes1);
	b2 = lt_copy_batch(fd, LT_DST_VA, LT_SRC_VA, &bytes2);

	s1.objs[0] = (struct lt_obj){ .handle = src, .va = LT_SRC_VA, .write = true, .async = true };
	s1.objs[1] = (struct lt_obj){ .handle = b1, .va = LT_BATCH_VA };
	s1.batch_bytes = bytes1;
	s1.tl_handles[0] = tl;
	s1.tl_points[0] = 1;
	s1.tl_flags[0] = I915_EXEC_FENCE_SIGNAL;
	s1.tl_count = 1;
	assert_int_equal(lt_execbuf(fd, &s1), 0);

	/* point 1 is submitted now, not necessarily signalled */
	assert_int_equal(drmSyncobjQuery2(fd, &tl, &query, 1,
					  DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 0);
	assert_int_equal(query, 1);

	s2.objs[0] = (struct lt_obj){ .handle = src, .va = LT_SRC_VA, .async = true };
	s2.objs[1] = (struct lt_obj){ .handle = dst, .va = LT_DST_VA, .write = true, .async = true };
	s2.objs[2] = (struct lt_obj){ .handle = b2, .va = LT_BATCH2_VA };
	s2.batch_bytes = bytes2;
	s2.tl_handles[0] = tl;
	s2.tl_points[0] = 1;
	s2.tl_flags[0] = I915_EXEC_FENCE_WAIT;
	s2.tl_handles[1] = tl;
	s2.tl_points[1] = 2;
	s2.tl_flags[1] = I915_EXEC_FENCE_SIGNAL;
	s2.tl_count = 2;
	assert_int_equal(lt_execbuf(fd, &s2), 0);

	point = 2;
	assert_int_equal(drmSyncobjTimelineWait(fd, &tl, &point, 1, lt_now_ns() + 5000 * LT_MS,
						DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, NULL), 0);
	assert_int_equal(drmSyncobjQuery(fd, &tl, &query, 1), 0);
	assert_int_equal(query, 2);
	lt_check_words(fd, dst, LT_WORDS, 0x7000, 3);

	assert_int_equal(drmSyncobjDestroy(fd, tl), 0);
	lt_gem_close(fd, b1);
	lt_gem_close(fd, b2);
	lt_gem_close(fd, src);
	lt_gem_close(fd, dst);
	lt_close(fd);
}

static void test_libdrm_exec_fence_in(void **state)
{
	int fd = lt_open(), out_fd;
	uint32_t src = lt_bo(fd, LT_PAGE), dst = lt_bo(fd, LT_PAGE);
	uint32_t b1, b2, bytes1, bytes2;
	struct lt_submit s1 = { .count = 2, .flags = LT_RING_A | I915_EXEC_FENCE_OUT };
	struct lt_submit s2 = { .count = 3, .flags = LT_RING_B | I915_EXEC_FENCE_IN };
	struct drm_i915_gem_wait wait = { .bo_handle = dst, .timeout_ns = 5000 * LT_MS };

	b1 = lt_store_words_batch(fd, LT_SRC_VA, 0x3300, 11, LT_DELAY_US, &bytes1);
	b2 = lt_copy_batch(fd, LT_DST_VA, LT_SRC_VA, &bytes2);
	s1.objs[0] = (struct lt_obj){ .handle = src, .va = LT_SRC_VA, .write = true, .async = true };
	s1.objs[1] = (struct lt_obj){ .handle = b1, .va = LT_BATCH_VA };
	s1.batch_bytes = bytes1;
	assert_int_equal(lt_execbuf(fd, &s1), 0);
	out_fd = (int)(s1.rsvd2_out >> 32);
	assert_true(out_fd >= 0);

	s2.objs[0] = (struct lt_obj){ .handle = src, .va = LT_SRC_VA, .async = true };
	s2.objs[1] = (struct lt_obj){ .handle = dst, .va = LT_DST_VA, .write = true, .async = true };
	s2.objs[2] = (struct lt_obj){ .handle = b2, .va = LT_BATCH2_VA };
	s2.batch_bytes = bytes2;
	s2.rsvd2 = (uint32_t)out_fd;
	assert_int_equal(lt_execbuf(fd, &s2), 0);
	assert_int_equal(close(out_fd), 0);

	/* GEM_WAIT sees the ASYNC (BOOKKEEP) job too, as i915's waits all fences */
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_I915_GEM_WAIT, &wait), 0);
	assert_true(wait.timeout_ns > 0 && wait.timeout_ns <= 5000 * LT_MS);
	lt_check_words(fd, dst, LT_WORDS, 0x3300, 11);

	/* a FENCE_IN that is not a sync_file */
	s2.rsvd2 = (uint32_t)fd;
	assert_int_equal(lt_execbuf(fd, &s2), -EINVAL);

	lt_gem_close(fd, b1);
	lt_gem_close(fd, b2);
	lt_gem_close(fd, src);
	lt_gem_close(fd, dst);
	lt_close(fd);
}

static void test_libdrm_exec_gem_wait(void **state)
{
	int fd = lt_open();
	uint32_t dst = lt_bo(fd, LT_PAGE), batch, bytes;
	struct lt_submit s = { .count = 2, .flags = LT_RING_A };
	struct drm_i915_gem_wait wait = { .bo_handle = dst, .timeout_ns = 0 };

	batch = lt_store_words_batch(fd, LT_DST_VA, 0x900, 2, 5 * LT_DELAY_US, &bytes);
	s.objs[0] = (struct lt_obj){ .handle = dst, .va = LT_DST_VA, .write = true };
	s.objs[1] = (struct lt_obj){ .handle = batch, .va = LT_BATCH_VA };
	s.batch_bytes = bytes;
	assert_int_equal(lt_execbuf(fd, &s), 0);

	/* busy: a poll says -ETIME and leaves timeout_ns at 0 */
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_I915_GEM_WAIT, &wait), -1);
	assert_int_equal(errno, ETIME);
	assert_int_equal(wait.timeout_ns, 0);
	wait.timeout_ns = 5000 * LT_MS;
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_I915_GEM_WAIT, &wait), 0);
	assert_true(wait.timeout_ns > 0 && wait.timeout_ns < 5000 * LT_MS);
	lt_check_words(fd, dst, LT_WORDS, 0x900, 2);

	/* errnos: unknown handle, non-zero flags */
	wait = (struct drm_i915_gem_wait){ .bo_handle = dst + 100 };
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_I915_GEM_WAIT, &wait), -1);
	assert_int_equal(errno, ENOENT);
	wait = (struct drm_i915_gem_wait){ .bo_handle = dst, .flags = 1 };
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_I915_GEM_WAIT, &wait), -1);
	assert_int_equal(errno, EINVAL);

	lt_gem_close(fd, batch);
	lt_gem_close(fd, dst);
	lt_close(fd);
}

/* Rejected submissions: the errno, and no syncobj signalled or replaced. */
static void test_libdrm_exec_errors(void **state)
{
	int fd = lt_open();
	uint32_t dst = lt_bo(fd, LT_PAGE), batch, bytes, empty, out, tl;
	struct lt_submit s = { .count = 2, .flags = LT_RING_A };
	uint64_t query;

	assert_int_equal(drmSyncobjCreate(fd, 0, &empty), 0);
	assert_int_equal(drmSyncobjCreate(fd, 0, &out), 0);
	assert_int_equal(drmSyncobjCreate(fd, 0, &tl), 0);
	batch = lt_store_words_batch(fd, LT_DST_VA, 0x55, 1, 0, &bytes);
	s.objs[0] = (struct lt_obj){ .handle = dst, .va = LT_DST_VA, .write = true };
	s.objs[1] = (struct lt_obj){ .handle = batch, .va = LT_BATCH_VA };
	s.batch_bytes = bytes;

	/* an unknown object handle */
	s.objs[0].handle = dst + 100;
	assert_int_equal(lt_execbuf(fd, &s), -ENOENT);
	s.objs[0].handle = dst;

	/* fence array: an unknown syncobj; waiting on one with no fence;
	 * unknown fence flags */
	s.fences[0] = (struct drm_i915_gem_exec_fence){ .handle = out, .flags = I915_EXEC_FENCE_SIGNAL };
	s.fences[1] = (struct drm_i915_gem_exec_fence){ .handle = empty + 100, .flags = I915_EXEC_FENCE_WAIT };
	s.fence_count = 2;
	assert_int_equal(lt_execbuf(fd, &s), -ENOENT);
	s.fences[1].handle = empty;
	assert_int_equal(lt_execbuf(fd, &s), -EINVAL);
	s.fences[1] = (struct drm_i915_gem_exec_fence){ .handle = out, .flags = 0x10 };
	assert_int_equal(lt_execbuf(fd, &s), -EINVAL);
	assert_int_equal(drmSyncobjWait(fd, &out, 1, 0, 0, NULL), -EINVAL);	/* still empty */
	s.fence_count = 0;

	/* timeline: waiting on a point not yet submitted */
	s.tl_handles[0] = tl;
	s.tl_points[0] = 3;
	s.tl_flags[0] = I915_EXEC_FENCE_WAIT;
	s.tl_handles[1] = out;
	s.tl_points[1] = 0;
	s.tl_flags[1] = I915_EXEC_FENCE_SIGNAL;
	s.tl_count = 2;
	assert_int_equal(lt_execbuf(fd, &s), -EINVAL);
	assert_int_equal(drmSyncobjQuery(fd, &tl, &query, 1), 0);
	assert_int_equal(query, 0);
	assert_int_equal(drmSyncobjWait(fd, &out, 1, 0, 0, NULL), -EINVAL);
	s.tl_count = 0;

	/* unknown execbuf flags */
	s.flags = LT_RING_A | (1ull << 40);
	assert_int_equal(lt_execbuf(fd, &s), -EINVAL);
	s.flags = LT_RING_A;

	/* still usable: the same submission without the bad parts works */
	assert_int_equal(lt_execbuf(fd, &s), 0);
	{
		struct drm_i915_gem_wait wait = { .bo_handle = dst, .timeout_ns = 5000 * LT_MS };

		assert_int_equal(drmIoctl(fd, DRM_IOCTL_I915_GEM_WAIT, &wait), 0);
	}
	lt_check_words(fd, dst, LT_WORDS, 0x55, 1);

	assert_int_equal(drmSyncobjDestroy(fd, empty), 0);
	assert_int_equal(drmSyncobjDestroy(fd, out), 0);
	assert_int_equal(drmSyncobjDestroy(fd, tl), 0);
	lt_gem_close(fd, batch);
	lt_gem_close(fd, dst);
	lt_close(fd);
}

int lt_run_exec(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libdrm_exec_store_fence_out),
		cmocka_unit_test(test_libdrm_exec_chain_binary),
		cmocka_unit_test(test_libdrm_exec_chain_timeline),
		cmocka_unit_test(test_libdrm_exec_fence_in),
		cmocka_unit_test(test_libdrm_exec_gem_wait),
		cmocka_unit_test(test_libdrm_exec_errors),
	};

	return cmocka_run_group_tests_name("libdrm_exec", tests, lt_group_setup,
					   lt_group_teardown);
}
