/* SPDX-License-Identifier: MIT */
/*
 * Allocation failure at every site of every uAPI ioctl that allocates:
 * GEM_CREATE, USERPTR, PRIME both ways (also into another DRM file),
 * the syncobj ioctls (create, handle<->fd with sync_file export and
 * import, timeline signal, transfer both ways), CONTEXT_CREATE, and
 * EXECBUFFER2 with a fence array and with the timeline-fences extension
 * (several in-fences merged). Each failed call returns -ENOMEM and leaves
 * the digest of every DRM file involved, and the open fds, as they were.
 */
#include <resv/alloc.h>

#include "test_uapi.h"

struct op {
	const char *what;
	int fd;			/* the DRM file the ioctl goes to */
	int fd2;		/* another whose digest must not change, or -1 */
	unsigned long req;
	void *arg;		/* reset from init before every attempt */
	const void *init;
	size_t size;
};

/* Run @op failing the 1st, 2nd, ... allocation until it succeeds; returns
 * how many allocations it made. @op->arg holds the successful result. */
static unsigned long enomem_loop(const struct op *op)
{
	uint64_t d = tu_digest(op->fd), d2 = op->fd2 >= 0 ? tu_digest(op->fd2) : 0;
	size_t fds = sim_drm_count(SIM_DRM_FD_NONE);
	unsigned long n;

	for (n = 1; n < 10000; n++) {
		int ret;

		memcpy(op->arg, op->init, op->size);
		resv_alloc_fail_nth(n);
		ret = sim_drm_ioctl(op->fd, op->req, op->arg);
		resv_alloc_fail_nth(0);
		if (!ret)
			return n - 1;
		if (ret != -ENOMEM)
			fail_msg("%s: allocation %lu failed: %d, not -ENOMEM", op->what, n, ret);
		if (tu_digest(op->fd) != d || (op->fd2 >= 0 && tu_digest(op->fd2) != d2))
			fail_msg("%s: allocation %lu failed: the device changed", op->what, n);
		if (sim_drm_count(SIM_DRM_FD_NONE) != fds)
			fail_msg("%s: allocation %lu failed: an fd was left", op->what, n);
	}
	fail_msg("%s: never succeeded", op->what);
	return 0;
}

#define OP(name, fd_, fd2_, req_, var, ...)                                   \
	const __typeof__(var) name##_init = __VA_ARGS__;                      \
	struct op name = { #req_, fd_, fd2_, req_, &var, &name##_init, sizeof(var) }

static uint32_t so_create(int fd, uint32_t flags)
{
	struct drm_syncobj_create c = { .flags = flags };

	tu_ioctl_ok(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c);
	return c.handle;
}

static void test_uapi_enomem_gem_prime(void **state)
{
	struct tu *t = *state;
	int fd2 = sim_drm_open(t->dev, O_CLOEXEC);
	struct drm_i915_gem_create create;
	struct drm_i915_gem_userptr up;
	struct drm_prime_handle ph;
	struct drm_i915_gem_context_create cc;
	uint32_t h = tu_create(t->fd, PAGE), value = 0x9a9a;
	int dmabuf;

	OP(op_create, t->fd, -1, DRM_IOCTL_I915_GEM_CREATE, create, { .size = 3 * PAGE });
	OP(op_userptr, t->fd, -1, DRM_IOCTL_I915_GEM_USERPTR, up,
	   { .user_ptr = 0x100000, .user_size = 2 * PAGE });
	OP(op_export, t->fd, -1, DRM_IOCTL_PRIME_HANDLE_TO_FD, ph,
	   { .handle = h, .flags = DRM_CLOEXEC, .fd = -1 });
	OP(op_ctx, t->fd, -1, DRM_IOCTL_I915_GEM_CONTEXT_CREATE, cc, { 0 });

	assert_true(enomem_loop(&op_create) >= 2);	/* the BO, its record */
	assert_int_equal(create.size, 3 * PAGE);
	assert_int_equal(tu_read_u32(t->fd, create.handle, 2 * PAGE), 0);
	assert_true(enomem_loop(&op_userptr) >= 2);
	assert_int_not_equal(up.handle, 0);
	assert_true(enomem_loop(&op_export) >= 1);
	dmabuf = ph.fd;
	assert_int_equal(sim_drm_fd_kind(dmabuf), SIM_DRM_FD_DMABUF);
	assert_true(enomem_loop(&op_ctx) >= 1);
	assert_int_equal(cc.ctx_id, 1);

	/* import into another DRM file: both files unchanged on failure */
	{
		OP(op_import, fd2, t->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, ph, { .fd = dmabuf });

		tu_write(t->fd, h, 0, &value, 4);
		assert_true(enomem_loop(&op_import) >= 2);	/* the record, the table */
		assert_int_equal(tu_read_u32(fd2, ph.handle, 0), value);
		/* a second import finds the handle: it allocates nothing */
		assert_int_equal(enomem_loop(&op_import), 0);
	}
	close(dmabuf);
	sim_drm_close(fd2);
}

static void test_uapi_enomem_syncobj(void **state)
{
	struct tu *t = *state;
	uint32_t sig = so_create(t->fd, DRM_SYNCOBJ_CREATE_SIGNALED), empty = so_create(t->fd, 0);
	uint32_t tl = so_create(t->fd, 0);
	uint64_t point = 1;
	struct drm_syncobj_create c;
	struct drm_syncobj_handle sh;
	struct drm_syncobj_timeline_array ta;
	struct drm_syncobj_transfer tr;
	int so_fd, sync_fd;

	OP(op_create, t->fd, -1, DRM_IOCTL_SYNCOBJ_CREATE, c, { .flags = 0 });
	OP(op_create_sig, t->fd, -1, DRM_IOCTL_SYNCOBJ_CREATE, c,
	   { .flags = DRM_SYNCOBJ_CREATE_SIGNALED });
	OP(op_to_fd, t->fd, -1, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, sh, { .handle = sig });
	OP(op_export_sf, t->fd, -1, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, sh,
	   { .handle = sig, .flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE });
	OP(op_tl_signal, t->fd, -1, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, ta,
	   { .handles = (uintptr_t)&tl, .points = (uintptr_t)&point, .count_handles = 1 });
	OP(op_tl_to_bin, t->fd, -1, DRM_IOCTL_SYNCOBJ_TRANSFER, tr,
	   { .src_handle = tl, .src_point = 1, .dst_handle = empty });
	OP(op_bin_to_tl, t->fd, -1, DRM_IOCTL_SYNCOBJ_TRANSFER, tr,
	   { .src_handle = sig, .dst_handle = tl, .dst_point = 2 });

	assert_true(enomem_loop(&op_create) >= 1);
	assert_true(enomem_loop(&op_create_sig) >= 2);	/* and its stub fence */
	assert_true(enomem_loop(&op_to_fd) >= 1);
	so_fd = sh.fd;
	assert_int_equal(sim_drm_fd_kind(so_fd), SIM_DRM_FD_SYNCOBJ);
	assert_true(enomem_loop(&op_export_sf) >= 1);
	sync_fd = sh.fd;
	assert_int_equal(sim_drm_fd_kind(sync_fd), SIM_DRM_FD_SYNC_FILE);
	{
		OP(op_from_fd, t->fd, -1, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, sh, { .fd = so_fd });
		OP(op_import_sf, t->fd, -1, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, sh,
		   { .fd = sync_fd, .handle = empty,
		     .flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE });

		enomem_loop(&op_from_fd);	/* a slot in a table that has room */
		assert_int_not_equal(sh.handle, sig);
		enomem_loop(&op_import_sf);
	}
	assert_true(enomem_loop(&op_tl_signal) >= 1);	/* the chain point */
	enomem_loop(&op_tl_to_bin);
	assert_true(enomem_loop(&op_bin_to_tl) >= 1);	/* the chain point */
	{
		uint64_t q = 0;
		struct drm_syncobj_timeline_array qa = { .handles = (uintptr_t)&tl,
							 .points = (uintptr_t)&q,
							 .count_handles = 1 };

		tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_QUERY, &qa);
		assert_int_equal(q, 2);
	}
	close(so_fd);
	close(sync_fd);
}

/* A batch storing @value at TU_DATA_VA, softpinned with the data BO. */
static void eb_store(struct tu *t, struct drm_i915_gem_exec_object2 objs[2], uint32_t data,
		     uint32_t value)
{
	tu_obj(&objs[0], data, TU_DATA_VA, true);
	tu_obj(&objs[1], tu_store_batch(t->fd, TU_DATA_VA, value), TU_BATCH_VA, false);
}

/* EXECBUFFER2 with two fence-array waits, FENCE_IN, FENCE_OUT and a
 * signal: every in-fence is merged into one dma_fence_array. */
static void test_uapi_enomem_execbuf_fence_array(void **state)
{
	struct tu *t = *state;
	uint32_t data = tu_create(t->fd, PAGE), done = so_create(t->fd, 0), got;
	uint32_t w1 = so_create(t->fd, DRM_SYNCOBJ_CREATE_SIGNALED);
	uint32_t w2 = so_create(t->fd, DRM_SYNCOBJ_CREATE_SIGNALED);
	struct drm_syncobj_handle sh = { .handle = w1,
		.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE };
	struct drm_i915_gem_exec_fence fences[3] = {
		{ .handle = w1, .flags = I915_EXEC_FENCE_WAIT },
		{ .handle = w2, .flags = I915_EXEC_FENCE_WAIT },
		{ .handle = done, .flags = I915_EXEC_FENCE_SIGNAL },
	};
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;
	unsigned long sites;

	tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &sh);
	eb_store(t, objs, data, 0xfa);
	{
		OP(op, t->fd, -1, DRM_IOCTL_I915_GEM_EXECBUFFER2_WR, eb,
		   { .buffers_ptr = (uintptr_t)objs, .buffer_count = 2,
		     .flags = I915_EXEC_FENCE_ARRAY | I915_EXEC_FENCE_IN | I915_EXEC_FENCE_OUT,
		     .cliprects_ptr = (uintptr_t)fences, .num_cliprects = 3,
		     .rsvd2 = (uint32_t)sh.fd });

		sites = enomem_loop(&op);
	}
	assert_true(sites >= 3);	/* at least the job, the sync_file, the merge */
	assert_true(tu_poll_in((int)(eb.rsvd2 >> 32), 10000));
	got = tu_read_u32(t->fd, data, 0);
	assert_int_equal(got, 0xfa);
	{
		struct drm_syncobj_wait w = { .handles = (uintptr_t)&done, .count_handles = 1 };

		tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_WAIT, &w);
	}
	close((int)(eb.rsvd2 >> 32));
	close(sh.fd);
}

/* EXECBUFFER2 with the timeline extension: waits on two points, signals a
 * new one (a preallocated chain node) and a binary syncobj. */
static void test_uapi_enomem_execbuf_timeline(void **state)
{
	struct tu *t = *state;
	uint32_t data = tu_create(t->fd, PAGE), tl = so_create(t->fd, 0);
	uint32_t bin = so_create(t->fd, 0), other = so_create(t->fd, 0);
	uint64_t pts[2] = { 1, 3 }, q = 0;
	uint32_t hs[2] = { tl, other };
	struct drm_syncobj_timeline_array ta = { .handles = (uintptr_t)hs,
						 .points = (uintptr_t)pts, .count_handles = 2 };
	struct drm_i915_gem_exec_fence fences[4] = {
		{ .handle = tl, .flags = I915_EXEC_FENCE_WAIT },
		{ .handle = other, .flags = I915_EXEC_FENCE_WAIT },
		{ .handle = tl, .flags = I915_EXEC_FENCE_SIGNAL },
		{ .handle = bin, .flags = I915_EXEC_FENCE_SIGNAL },
	};
	uint64_t values[4] = { 1, 3, 2, 0 };
	struct drm_i915_gem_execbuffer_ext_timeline_fences ext = {
		.base.name = DRM_I915_GEM_EXECBUFFER_EXT_TIMELINE_FENCES,
		.fence_count = 4, .handles_ptr = (uintptr_t)fences,
		.values_ptr = (uintptr_t)values,
	};
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;

	tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &ta);
	eb_store(t, objs, data, 0x7e);
	{
		OP(op, t->fd, -1, DRM_IOCTL_I915_GEM_EXECBUFFER2, eb,
		   { .buffers_ptr = (uintptr_t)objs, .buffer_count = 2,
		     .flags = I915_EXEC_USE_EXTENSIONS, .cliprects_ptr = (uintptr_t)&ext });

		assert_true(enomem_loop(&op) >= 3);	/* job, chain node, merge */
	}
	assert_int_equal(tu_read_u32(t->fd, data, 0), 0x7e);
	ta = (struct drm_syncobj_timeline_array){ .handles = (uintptr_t)&tl,
						  .points = (uintptr_t)&q, .count_handles = 1 };
	tu_ioctl_ok(t->fd, DRM_IOCTL_SYNCOBJ_QUERY, &ta);
	assert_int_equal(q, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_uapi_enomem_gem_prime, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_enomem_syncobj, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_enomem_execbuf_fence_array, tu_setup,
						tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_enomem_execbuf_timeline, tu_setup,
						tu_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
