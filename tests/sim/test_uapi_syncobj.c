/* SPDX-License-Identifier: MIT */
/*
 * The syncobj ioctls through sim_drm_ioctl(): create/destroy, signal,
 * reset, wait, timeline signal/query/wait, transfer, fds and sync_files,
 * and execbuffer2's timeline-fences extension and fence array chaining
 * three batches, and one batch waiting for three in-fences at once (two
 * fence-array waits and FENCE_IN, merged into one dma_fence_array).
 */
#include <time.h>

#include <sim/file.h>

#include "test_uapi.h"

static uint32_t so_create(int fd, uint32_t flags)
{
	struct drm_syncobj_create c = { .flags = flags };

	tu_ioctl_ok(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c);
	assert_true(c.handle != 0);
	return c.handle;
}

static int so_wait(int fd, uint32_t *handles, uint32_t count, int64_t timeout, uint32_t flags)
{
	struct drm_syncobj_wait w = { .handles = (uintptr_t)handles, .count_handles = count,
				      .timeout_nsec = timeout, .flags = flags };

	return sim_drm_ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &w);
}

static int64_t abs_ns(int64_t from_now)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + from_now;
}

static void test_uapi_syncobj_basic(void **state)
{
	struct tu *t = *state;
	uint32_t a = so_create(t->fd, 0), b = so_create(t->fd, DRM_SYNCOBJ_CREATE_SIGNALED);
	uint32_t both[2] = { a, b };
	struct drm_syncobj_create bad = { .flags = 2 };
	struct drm_syncobj_destroy ds = { .handle = a, .pad = 1 };
	struct drm_syncobj_array arr = { .handles = (uintptr_t)&a, .count_handles = 1 };
	uint64_t d = tu_digest(t->fd);

	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_SYNCOBJ_CREATE, &bad), -EINVAL);
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_SYNCOBJ_DESTROY, &ds), -EINVAL);
	ds = (struct drm_syncobj_destroy){ .handle = 999 };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_SYNCOBJ_DESTROY, &ds), -EINVAL);
	/* a has no fence: -EINVAL without WAIT_FOR_SUBMIT */
	assert_int_equal(so_wait(t->fd, &a, 1, 0, 0), -EINVAL);
	assert_int_equal(so_wait(t->fd, &b, 1, 0, 0), 0);
	assert_int_equal(so_wait(t->fd, both, 2, abs_ns(1000000), DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT |
				 DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL), -ETIME);
	assert_int_equal(so_wait(t->fd, both, 2, 0, 1u << 5), -EINVAL);
	assert_int_equal(so_wait(t->fd, NULL, 2, 0, 0), -EFAULT);
	arr.pad = 1;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_SYNCOBJ_SIGNAL, &arr), -EINVAL);
	arr.pad = 0;
	arr.count_handles = 0;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_SYNCOBJ_RESET, &arr), -EINVAL);
	assert_int_equal(tu_digest(t->fd), d);

	arr.count_handles = 1;
	tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_SIGNAL, &arr);
	assert_true(tu_digest(t->fd) != d);
	assert_int_equal(so_wait(t->fd, both, 2, 0, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL), 0);
	arr.handles = (uintptr_t)&b;
	tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_RESET, &arr);
	assert_int_equal(so_wait(t->fd, &b, 1, 0, 0), -EINVAL);
	ds = (struct drm_syncobj_destroy){ .handle = a };
	tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_DESTROY, &ds);
	assert_int_equal(so_wait(t->fd, &a, 1, 0, 0), -ENOENT);
}

static void test_uapi_syncobj_timeline(void **state)
{
	struct tu *t = *state;
	uint32_t tl = so_create(t->fd, 0), bin = so_create(t->fd, 0);
	uint32_t hs[2] = { tl, tl };
	uint64_t pts[2] = { 3, 5 }, q = 0;
	struct drm_syncobj_timeline_array ta = { .handles = (uintptr_t)hs,
						 .points = (uintptr_t)pts, .count_handles = 2 };
	struct drm_syncobj_timeline_wait tw = { .handles = (uintptr_t)hs, .points = (uintptr_t)pts,
						.count_handles = 1 };
	struct drm_syncobj_transfer tr = { .src_handle = tl, .src_point = 5, .dst_handle = bin };

	tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &ta);
	ta = (struct drm_syncobj_timeline_array){ .handles = (uintptr_t)&tl,
						  .points = (uintptr_t)&q, .count_handles = 1 };
	tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_QUERY, &ta);
	assert_int_equal(q, 5);
	ta.flags = 1u << 4;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_SYNCOBJ_QUERY, &ta), -EINVAL);
	pts[0] = 5;
	tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &tw);
	pts[0] = 6;	/* not submitted */
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &tw), -EINVAL);
	tw.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT;
	tw.timeout_nsec = abs_ns(1000000);
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &tw), -ETIME);

	tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_TRANSFER, &tr);
	assert_int_equal(so_wait(t->fd, &bin, 1, 0, 0), 0);
	tr.pad = 1;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_SYNCOBJ_TRANSFER, &tr), -EINVAL);
	tr = (struct drm_syncobj_transfer){ .src_handle = tl, .dst_handle = 77 };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_SYNCOBJ_TRANSFER, &tr), -ENOENT);
}

static void test_uapi_syncobj_fds(void **state)
{
	struct tu *t = *state;
	uint32_t a = so_create(t->fd, DRM_SYNCOBJ_CREATE_SIGNALED), e = so_create(t->fd, 0);
	struct drm_syncobj_handle h = { .handle = a };
	int fd2 = sim_drm_open(t->dev, O_CLOEXEC), sync_fd;
	uint64_t d;

	/* a syncobj fd, imported into another DRM file: the same syncobj */
	tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h);
	assert_int_equal(sim_drm_fd_kind(h.fd), SIM_DRM_FD_SYNCOBJ);
	{
		struct drm_syncobj_handle imp = { .fd = h.fd };
		struct drm_syncobj_array arr = { .handles = (uintptr_t)&imp.handle,
						 .count_handles = 1 };

		tu_ioctl_ok(fd2, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &imp);
		assert_int_equal(so_wait(fd2, &imp.handle, 1, 0, 0), 0);
		tu_ioctl_ok(fd2, DRM_IOCTL_SYNCOBJ_RESET, &arr);
		assert_int_equal(so_wait(t->fd, &a, 1, 0, 0), -EINVAL);	/* shared */
	}
	close(h.fd);
	/* EXPORT_SYNC_FILE of an empty syncobj: -EINVAL; of a signalled one:
	 * a readable sync_file */
	h = (struct drm_syncobj_handle){ .handle = e,
					 .flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE };
	d = tu_digest(t->fd);
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h), -EINVAL);
	h.handle = 999;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h), -ENOENT);
	h = (struct drm_syncobj_handle){ .handle = 999 };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h), -EINVAL);
	h = (struct drm_syncobj_handle){ .handle = e, .flags = 4 };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h), -EINVAL);
	h = (struct drm_syncobj_handle){ .fd = t->fd };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &h), -EINVAL);
	h = (struct drm_syncobj_handle){ .fd = t->fd, .handle = e,
					 .flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE };
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &h), -EINVAL);
	assert_int_equal(tu_digest(t->fd), d);
	{
		struct drm_syncobj_array arr = { .handles = (uintptr_t)&e, .count_handles = 1 };

		tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_SIGNAL, &arr);
	}
	h = (struct drm_syncobj_handle){ .handle = e,
					 .flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE };
	tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h);
	sync_fd = h.fd;
	assert_int_equal(sim_drm_fd_kind(sync_fd), SIM_DRM_FD_SYNC_FILE);
	assert_true(tu_poll_in(sync_fd, 0));
	/* IMPORT_SYNC_FILE into the empty a */
	h = (struct drm_syncobj_handle){ .fd = sync_fd, .handle = a,
					 .flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE };
	tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &h);
	assert_int_equal(so_wait(t->fd, &a, 1, 0, 0), 0);
	close(sync_fd);
	sim_drm_close(fd2);
	assert_int_equal(sim_drm_sweep(), 1);	/* the sync_file */
}

/* Batch A signals a syncobj (fence array) and timeline point 1; batch B
 * waits for point 1 through the timeline extension and copies A's value. */
static void test_uapi_execbuf_syncobj_chain(void **state)
{
	struct tu *t = *state;
	uint32_t bin = so_create(t->fd, 0), tl = so_create(t->fd, 0);
	uint32_t src = tu_create(t->fd, PAGE), dst = tu_create(t->fd, PAGE);
	uint32_t words[64], batch_a, batch_b;
	struct drm_i915_gem_exec_object2 objs[3];
	struct drm_i915_gem_execbuffer2 eb;
	struct drm_i915_gem_exec_fence fa[2] = {
		{ .handle = bin, .flags = I915_EXEC_FENCE_SIGNAL },
		{ .handle = tl, .flags = I915_EXEC_FENCE_SIGNAL },
	};
	uint64_t values[2] = { 0, 1 }, q = 0;
	struct drm_i915_gem_execbuffer_ext_timeline_fences ext = { 0 };
	struct drm_i915_gem_exec_fence fw = { .handle = tl, .flags = I915_EXEC_FENCE_WAIT };
	uint64_t wait_point = 1;
	struct sim_batch b;
	uint64_t d;

	sim_batch_init(&b, words, 64);
	sim_batch_delay(&b, 20000);
	sim_batch_store_dw(&b, TU_DATA_VA, 0x7173);
	sim_batch_end(&b);
	batch_a = tu_batch(t->fd, &b);
	sim_batch_init(&b, words, 64);
	sim_batch_copy(&b, TU_DATA2_VA, TU_DATA_VA, 4);
	sim_batch_end(&b);
	batch_b = tu_batch(t->fd, &b);

	/* wait on point 1 before anything was submitted: -EINVAL, nothing changed */
	tu_obj(&objs[0], src, TU_DATA_VA, false);
	objs[0].flags |= EXEC_OBJECT_ASYNC;
	tu_obj(&objs[1], dst, TU_DATA2_VA, true);
	tu_obj(&objs[2], batch_b, TU_BATCH_VA + PAGE, false);
	memset(&eb, 0, sizeof(eb));
	eb.buffers_ptr = (uintptr_t)objs;
	eb.buffer_count = 3;
	eb.flags = I915_EXEC_USE_EXTENSIONS;
	ext.base.name = DRM_I915_GEM_EXECBUFFER_EXT_TIMELINE_FENCES;
	ext.fence_count = 1;
	ext.handles_ptr = (uintptr_t)&fw;
	ext.values_ptr = (uintptr_t)&wait_point;
	eb.cliprects_ptr = (uintptr_t)&ext;
	d = tu_digest(t->fd);
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_EXECBUFFER2, &eb), -EINVAL);
	assert_int_equal(tu_digest(t->fd), d);

	/* A signals through the extension: bin at point 0 (binary replace)
	 * and tl at point 1 (a new chain point). */
	{
		struct drm_i915_gem_exec_object2 oa[2];
		struct drm_i915_gem_execbuffer2 ea = { 0 };
		struct drm_i915_gem_execbuffer_ext_timeline_fences ext_a = {
			.base.name = DRM_I915_GEM_EXECBUFFER_EXT_TIMELINE_FENCES,
			.fence_count = 2, .handles_ptr = (uintptr_t)fa,
			.values_ptr = (uintptr_t)values,
		};

		tu_obj(&oa[0], src, TU_DATA_VA, true);
		tu_obj(&oa[1], batch_a, TU_BATCH_VA, false);
		ea.buffers_ptr = (uintptr_t)oa;
		ea.buffer_count = 2;
		ea.flags = I915_EXEC_USE_EXTENSIONS;
		ea.cliprects_ptr = (uintptr_t)&ext_a;
		tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GEM_EXECBUFFER2, &ea);
	}
	{
		struct drm_syncobj_timeline_array ta = { .handles = (uintptr_t)&tl,
							 .points = (uintptr_t)&q,
							 .count_handles = 1,
							 .flags = DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED };

		tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_QUERY, &ta);
		assert_int_equal(q, 1);
	}
	/* B waits for point 1 (extension) and for bin (fence array is not
	 * allowed together with extensions: -EINVAL) */
	eb.flags = I915_EXEC_USE_EXTENSIONS | I915_EXEC_FENCE_ARRAY;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_EXECBUFFER2, &eb), -EINVAL);
	eb.flags = I915_EXEC_USE_EXTENSIONS;
	tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GEM_EXECBUFFER2, &eb);
	/* then a third one through the fence array waiting for bin */
	{
		struct drm_i915_gem_exec_fence wait_bin = { .handle = bin,
							    .flags = I915_EXEC_FENCE_WAIT };
		uint32_t out_obj = so_create(t->fd, 0);
		struct drm_i915_gem_exec_fence arr[2] = {
			wait_bin, { .handle = out_obj, .flags = I915_EXEC_FENCE_SIGNAL },
		};
		struct drm_i915_gem_exec_object2 oc[1];

		tu_obj(&oc[0], tu_store_batch(t->fd, TU_DATA2_VA + 8, 1), TU_BATCH_VA + 2 * PAGE,
		       false);
		memset(&eb, 0, sizeof(eb));
		eb.buffers_ptr = (uintptr_t)oc;
		eb.buffer_count = 1;
		eb.flags = I915_EXEC_FENCE_ARRAY;
		eb.num_cliprects = 2;
		eb.cliprects_ptr = (uintptr_t)arr;
		tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GEM_EXECBUFFER2, &eb);
		assert_int_equal(so_wait(t->fd, &out_obj, 1, abs_ns(10000000000LL), 0), 0);
		assert_int_equal(so_wait(t->fd, &bin, 1, 0, 0), 0);	/* A done first */
	}
	{
		struct drm_syncobj_timeline_wait tw = { .handles = (uintptr_t)&tl,
							.points = (uintptr_t)&wait_point,
							.count_handles = 1,
							.timeout_nsec = abs_ns(10000000000LL) };

		tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &tw);
	}
	{
		struct drm_i915_gem_wait w = { .bo_handle = dst, .timeout_ns = 10000000000LL };

		tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GEM_WAIT, &w);
	}
	assert_int_equal(tu_read_u32(t->fd, dst, 0), 0x7173);
}

/* Two fence-array waits and FENCE_IN, on fences the test signals in a
 * seeded order: the batch starts only once all three have signalled. */
static void test_uapi_execbuf_three_in_fences(void **state)
{
	struct tu *t = *state;
	uint64_t seed = st_seed(), rng = seed;
	uint32_t data = tu_create(t->fd, PAGE), batch = tu_store_batch(t->fd, TU_DATA_VA, 0x3e3);
	uint32_t so[2] = { so_create(t->fd, 0), so_create(t->fd, 0) }, got;
	struct drm_i915_gem_exec_fence fa[2] = {
		{ .handle = so[0], .flags = I915_EXEC_FENCE_WAIT },
		{ .handle = so[1], .flags = I915_EXEC_FENCE_WAIT },
	};
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb = { 0 };
	struct sim_pt *pt = sim_file_pt(sim_drm_file(t->fd));
	struct dma_fence *f[3];
	int sf[3], out, order[3] = { 0, 1, 2 };

	assert_int_equal(sim_drm_sync_file_create(NULL, NULL), -EINVAL);
	for (int i = 0; i < 3; i++) {
		f[i] = st_fence_new();
		sf[i] = sim_drm_sync_file_create(t->dev, f[i]);
		assert_int_equal(sim_drm_fd_kind(sf[i]), SIM_DRM_FD_SYNC_FILE);
		assert_false(tu_poll_in(sf[i], 0));
	}
	for (int i = 0; i < 2; i++) {
		struct drm_syncobj_handle imp = {
			.handle = so[i], .fd = sf[i],
			.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE,
		};

		tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &imp);
	}
	tu_obj(&objs[0], data, TU_DATA_VA, true);
	tu_obj(&objs[1], batch, TU_BATCH_VA, false);
	eb.buffers_ptr = (uintptr_t)objs;
	eb.buffer_count = 2;
	eb.flags = I915_EXEC_FENCE_ARRAY | I915_EXEC_FENCE_IN | I915_EXEC_FENCE_OUT;
	eb.cliprects_ptr = (uintptr_t)fa;
	eb.num_cliprects = 2;
	eb.rsvd2 = (uint32_t)sf[2];
	tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GEM_EXECBUFFER2_WR, &eb);
	out = (int)(eb.rsvd2 >> 32);

	for (int i = 2; i > 0; i--) {	/* a seeded order of the three */
		int j = (int)(st_rand(&rng) % (uint64_t)(i + 1)), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	for (int k = 0; k < 3; k++) {
		if (k) {
			/* what is bound is visible without waiting: not run yet */
			got = 1;
			assert_int_equal(sim_pt_read(pt, TU_DATA_VA, &got, 4), 0);
			if (got || tu_poll_in(out, 20))
				fail_msg("seed %" PRIu64 ": ran after %d of 3 fences", seed, k);
		}
		st_fence_signal(f[order[k]], 0);
	}
	if (!tu_poll_in(out, 10000))
		fail_msg("seed %" PRIu64 ": did not run after all fences", seed);
	assert_int_equal(tu_read_u32(t->fd, data, 0), 0x3e3);
	for (int i = 0; i < 3; i++) {
		close(sf[i]);
		dma_fence_put(f[i]);
	}
	close(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_uapi_syncobj_basic, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_syncobj_timeline, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_syncobj_fds, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_execbuf_syncobj_chain, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_execbuf_three_in_fences, tu_setup,
						tu_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
