/* SPDX-License-Identifier: MIT */
/*
 * PRIME between two DRM files of one device, through sim_drm_ioctl():
 * file A writes a buffer, file B's batch copies it into a second shared
 * buffer, A reads the copy back; each file binds the shared BOs in its own
 * address space, and closing B's handles leaves A's bindings intact. Also
 * the errnos of FD_TO_HANDLE, with both files unchanged.
 */
#include <sim/execbuf.h>
#include <sim/file.h>
#include <sim/pt.h>

#include "test_uapi.h"

#define WORDS (PAGE / 4)

static int export(int fd, uint32_t handle)
{
	struct drm_prime_handle p = { .handle = handle, .flags = DRM_CLOEXEC, .fd = -1 };

	tu_ioctl_ok(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);
	return p.fd;
}

static uint32_t import(int fd, int dmabuf)
{
	struct drm_prime_handle p = { .fd = dmabuf };

	tu_ioctl_ok(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);
	assert_int_not_equal(p.handle, 0);
	return p.handle;
}

static void gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close cl = { .handle = handle };

	tu_ioctl_ok(fd, DRM_IOCTL_GEM_CLOSE, &cl);
}

/* Run @batch in @fd with @objs softpinned, wait for its out-fence. */
static void run(int fd, struct drm_i915_gem_exec_object2 *objs, uint32_t count)
{
	struct drm_i915_gem_execbuffer2 eb = {
		.buffers_ptr = (uintptr_t)objs, .buffer_count = count,
		.flags = I915_EXEC_FENCE_OUT,
	};
	int out;

	tu_ioctl_ok(fd, DRM_IOCTL_I915_GEM_EXECBUFFER2_WR, &eb);
	out = (int)(eb.rsvd2 >> 32);
	assert_true(tu_poll_in(out, 10000));
	close(out);
}

static struct sim_pt *pt_of(int fd)
{
	return sim_file_pt(sim_drm_file(fd));
}

static void test_uapi_prime_shared_copy(void **state)
{
	struct tu *t = *state;
	int a = t->fd, b = sim_drm_open(t->dev, O_CLOEXEC), buf_src, buf_dst;
	uint32_t src = tu_create(a, PAGE), dst = tu_create(a, PAGE), bsrc, bdst, bbatch;
	uint32_t words[WORDS], back[WORDS], cmd[32], got;
	struct drm_i915_gem_exec_object2 objs[3];
	struct sim_execbuf_stats before, after;
	struct sim_batch batch;
	uint64_t da;

	for (uint32_t i = 0; i < WORDS; i++)
		words[i] = 0xc0de0000u ^ (i * 2654435761u);
	tu_write(a, src, 0, words, sizeof(words));
	/* A binds dst at its address first: a store of a marker */
	tu_obj(&objs[0], dst, TU_DATA_VA, true);
	tu_obj(&objs[1], tu_store_batch(a, TU_DATA_VA + PAGE - 4, 0x5a5a), TU_BATCH_VA, false);
	run(a, objs, 2);

	buf_src = export(a, src);
	buf_dst = export(a, dst);
	da = tu_digest(a);
	bsrc = import(b, buf_src);
	bdst = import(b, buf_dst);
	assert_int_equal(import(b, buf_src), bsrc);	/* one handle per BO and file */
	assert_int_equal(import(a, buf_dst), dst);	/* the exporter's own */
	assert_int_equal(tu_digest(a), da);		/* importing changed nothing in A */
	close(buf_src);
	close(buf_dst);

	/* B copies src to dst, both at addresses of its own */
	sim_batch_init(&batch, cmd, 32);
	sim_batch_copy(&batch, TU_DATA2_VA, TU_DATA_VA + 2 * PAGE, PAGE - 4);
	sim_batch_end(&batch);
	bbatch = tu_batch(b, &batch);
	tu_obj(&objs[0], bsrc, TU_DATA_VA + 2 * PAGE, false);
	tu_obj(&objs[1], bdst, TU_DATA2_VA, true);
	tu_obj(&objs[2], bbatch, TU_BATCH_VA, false);
	run(b, objs, 3);

	tu_read(a, dst, 0, back, sizeof(back));
	assert_memory_equal(back, words, sizeof(back) - 4);
	assert_int_equal(back[WORDS - 1], 0x5a5a);	/* A's store, past the copy */
	/* each file sees dst at its own address only */
	assert_int_equal(sim_pt_read(pt_of(b), TU_DATA2_VA, &got, 4), 0);
	assert_int_equal(got, words[0]);
	assert_int_equal(sim_pt_read(pt_of(a), TU_DATA2_VA, &got, 4), -EFAULT);

	/* B closes its handles: unbound in B, A's binding of dst intact */
	gem_close(b, bdst);
	gem_close(b, bsrc);
	assert_int_equal(sim_pt_read(pt_of(b), TU_DATA2_VA, &got, 4), -EFAULT);
	assert_int_equal(sim_pt_read(pt_of(a), TU_DATA_VA + 8, &got, 4), 0);
	assert_int_equal(got, words[2]);
	sim_execbuf_file_stats(sim_drm_file(a), &before);
	tu_obj(&objs[0], dst, TU_DATA_VA, true);
	tu_obj(&objs[1], tu_store_batch(a, TU_DATA_VA, 0x600d), TU_BATCH_VA + PAGE, false);
	run(a, objs, 2);
	sim_execbuf_file_stats(sim_drm_file(a), &after);
	assert_int_equal(after.binds - before.binds, 1);	/* the new batch only */
	assert_int_equal(tu_read_u32(a, dst, 0), 0x600d);
	assert_int_equal(tu_read_u32(a, dst, 4), words[1]);
	sim_drm_close(b);
}

/* FD_TO_HANDLE's errnos leave both files as they were. */
static void test_uapi_prime_import_errors(void **state)
{
	struct tu *t = *state;
	struct sim_device *dev2 = st_device(1u << 20, 0, 0);
	int b = sim_drm_open(t->dev, O_CLOEXEC), other = sim_drm_open(dev2, O_CLOEXEC);
	uint32_t h = tu_create(t->fd, PAGE), ho = tu_create(other, PAGE);
	int buf = export(t->fd, h), foreign = export(other, ho);
	struct drm_prime_handle p;
	uint64_t da = tu_digest(t->fd), db = tu_digest(b);

	p = (struct drm_prime_handle){ .fd = foreign };	/* another device's */
	assert_int_equal(sim_drm_ioctl(b, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p), -EINVAL);
	p = (struct drm_prime_handle){ .fd = t->fd };	/* not a dma-buf */
	assert_int_equal(sim_drm_ioctl(b, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p), -EINVAL);
	p = (struct drm_prime_handle){ .fd = 0 };	/* not ours */
	assert_int_equal(sim_drm_ioctl(b, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p), -EBADF);
	assert_int_equal(p.handle, 0);
	assert_int_equal(tu_digest(t->fd), da);
	assert_int_equal(tu_digest(b), db);
	/* the BO outlives its exporter's handle and dma-buf through B's */
	p = (struct drm_prime_handle){ .fd = buf };
	tu_ioctl_ok(b, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);
	gem_close(t->fd, h);
	close(buf);
	assert_int_equal(sim_drm_sweep(), 1);
	assert_int_equal(tu_read_u32(b, p.handle, 0), 0);
	close(foreign);
	sim_drm_close(other);
	sim_drm_close(b);
	sim_drm_sweep();
	sim_device_destroy(dev2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_uapi_prime_shared_copy, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_prime_import_errors, tu_setup, tu_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
