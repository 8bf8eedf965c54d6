/* SPDX-License-Identifier: MIT */
/*
 * DRM_IOCTL_I915_GEM_EXECBUFFER2(_WR) through sim_drm_ioctl(): batches that
 * store and copy, sync_file fences in and out, relocations with
 * HANDLE_LUT, every argument errno with the device unchanged, allocation
 * failure at every site, and a seeded multi-threaded stress on one fd.
 */
#include <pthread.h>

#include <resv/alloc.h>

#include "test_uapi.h"

static void eb_init(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *objs,
		    uint32_t count)
{
	memset(eb, 0, sizeof(*eb));
	eb->buffers_ptr = (uintptr_t)objs;
	eb->buffer_count = count;
}

static void test_uapi_execbuf_store_fence_out(void **state)
{
	struct tu *t = *state;
	uint32_t data = tu_create(t->fd, PAGE);
	uint32_t batch = tu_store_batch(t->fd, TU_DATA_VA + 16, 0xcafe);
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;
	int out;

	tu_obj(&objs[0], data, TU_DATA_VA, true);
	tu_obj(&objs[1], batch, TU_BATCH_VA, false);
	eb_init(&eb, objs, 2);
	eb.flags = I915_EXEC_FENCE_OUT;
	eb.rsvd2 = 0x12345678;
	tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GEM_EXECBUFFER2_WR, &eb);
	out = (int)(eb.rsvd2 >> 32);
	assert_int_equal((uint32_t)eb.rsvd2, 0x12345678);	/* low half kept */
	assert_int_equal(sim_drm_fd_kind(out), SIM_DRM_FD_SYNC_FILE);
	assert_true(tu_poll_in(out, 10000));
	assert_int_equal(tu_read_u32(t->fd, data, 16), 0xcafe);
	assert_int_equal(objs[0].offset, TU_DATA_VA);
	assert_int_equal(sim_drm_ioctl(out, DRM_IOCTL_I915_GEM_EXECBUFFER2_WR, &eb), -ENOTTY);
	close(out);
	assert_int_equal(sim_drm_sweep(), 1);
	assert_int_equal(sim_drm_count(SIM_DRM_FD_SYNC_FILE), 0);
}

/* B copies what A stored; B waits for A only through FENCE_IN (ASYNC
 * objects: no implicit sync). */
static void test_uapi_execbuf_fence_in(void **state)
{
	struct tu *t = *state;
	uint32_t src = tu_create(t->fd, PAGE), dst = tu_create(t->fd, PAGE);
	uint32_t words[64], batch_a, batch_b;
	struct drm_i915_gem_exec_object2 objs[3];
	struct drm_i915_gem_execbuffer2 eb;
	struct sim_batch b;
	int out_a, out_b;

	sim_batch_init(&b, words, 64);
	sim_batch_delay(&b, 20000);
	sim_batch_store_dw(&b, TU_DATA_VA, 0xa11ce);
	sim_batch_end(&b);
	batch_a = tu_batch(t->fd, &b);
	sim_batch_init(&b, words, 64);
	sim_batch_copy(&b, TU_DATA2_VA, TU_DATA_VA, 4);
	sim_batch_end(&b);
	batch_b = tu_batch(t->fd, &b);

	tu_obj(&objs[0], src, TU_DATA_VA, true);
	tu_obj(&objs[1], batch_a, TU_BATCH_VA, false);
	eb_init(&eb, objs, 2);
	eb.flags = I915_EXEC_FENCE_OUT;
	tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GEM_EXECBUFFER2_WR, &eb);
	out_a = (int)(eb.rsvd2 >> 32);

	tu_obj(&objs[0], src, TU_DATA_VA, false);
	objs[0].flags |= EXEC_OBJECT_ASYNC;
	tu_obj(&objs[1], dst, TU_DATA2_VA, true);
	tu_obj(&objs[2], batch_b, TU_BATCH_VA + PAGE, false);
	eb_init(&eb, objs, 3);
	eb.flags = I915_EXEC_FENCE_IN | I915_EXEC_FENCE_OUT | I915_EXEC_BSD;
	eb.rsvd2 = (uint32_t)out_a;
	tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GEM_EXECBUFFER2_WR, &eb);
	out_b = (int)(eb.rsvd2 >> 32);
	assert_true(tu_poll_in(out_b, 10000));
	assert_true(tu_poll_in(out_a, 0));
	assert_int_equal(tu_read_u32(t->fd, dst, 0), 0xa11ce);
	close(out_a);
	close(out_b);
}

/* A batch whose store address comes from a relocation (HANDLE_LUT). */
static void test_uapi_execbuf_reloc_lut(void **state)
{
	struct tu *t = *state;
	uint32_t data = tu_create(t->fd, PAGE), words[64], batch;
	struct drm_i915_gem_relocation_entry reloc = { 0 };
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;
	struct drm_i915_gem_wait w;
	struct sim_batch b;

	sim_batch_init(&b, words, 64);
	sim_batch_store_dw(&b, 0, 0xbeef);	/* address patched below */
	sim_batch_end(&b);
	batch = tu_batch(t->fd, &b);
	reloc.target_handle = 1;	/* index of data in the list */
	reloc.delta = 8;
	reloc.offset = 4;		/* STORE_DW's address dwords */
	reloc.read_domains = I915_GEM_DOMAIN_RENDER;
	reloc.write_domain = I915_GEM_DOMAIN_RENDER;
	memset(objs, 0, sizeof(objs));
	objs[0].handle = batch;
	objs[0].relocation_count = 1;
	objs[0].relocs_ptr = (uintptr_t)&reloc;
	objs[1].handle = data;
	objs[1].flags = EXEC_OBJECT_WRITE;
	eb_init(&eb, objs, 2);
	eb.flags = I915_EXEC_HANDLE_LUT | I915_EXEC_BATCH_FIRST;
	tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GEM_EXECBUFFER2, &eb);
	w = (struct drm_i915_gem_wait){ .bo_handle = data, .timeout_ns = 10000000000 };
	tu_ioctl_ok(t->fd, DRM_IOCTL_I915_GEM_WAIT, &w);
	assert_int_equal(tu_read_u32(t->fd, data, 8), 0xbeef);
	/* kernel-chosen addresses are reported canonical (upper half) */
	assert_true(objs[1].offset >= 0xffff800000000000ull);

	/* bad relocations */
	reloc.target_handle = 2;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_EXECBUFFER2, &eb), -ENOENT);
	reloc.target_handle = 1;
	reloc.write_domain = I915_GEM_DOMAIN_RENDER | I915_GEM_DOMAIN_SAMPLER;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_EXECBUFFER2, &eb), -EINVAL);
	reloc.write_domain = 0;
	reloc.read_domains = 1u << 30;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_EXECBUFFER2, &eb), -EINVAL);
	objs[0].relocs_ptr = 0;
	assert_int_equal(sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_EXECBUFFER2, &eb), -EFAULT);
}

struct bad_case {
	const char *what;
	int expect;
	void (*mutate)(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o);
	unsigned long req;
};

static void m_count0(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	(void)o;
	eb->buffer_count = 0;
}
static void m_flags(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	(void)o;
	eb->flags |= 1ull << 40;
}
static void m_dr1(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	(void)o;
	eb->DR1 = 1;
}
static void m_cliprects(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	(void)o;
	eb->num_cliprects = 1;
}
static void m_start(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	(void)o;
	eb->batch_start_offset = 4;
}
static void m_out_no_wr(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	(void)o;
	eb->flags |= I915_EXEC_FENCE_OUT;
}
static void m_ctx(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	(void)o;
	eb->rsvd1 = 7;
}
static void m_ring(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	(void)o;
	eb->flags |= I915_EXEC_BLT;	/* the device has 2 engines */
}
static void m_ring_big(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	(void)o;
	eb->flags |= 9;
}
static void m_fence_in(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	(void)o;
	eb->flags |= I915_EXEC_FENCE_IN;
	eb->rsvd2 = 0;	/* stdin: not a sync_file */
}
static void m_obj_flags(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	(void)eb;
	o[0].flags |= EXEC_OBJECT_NEEDS_FENCE;
}
static void m_obj_align(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	(void)eb;
	o[0].alignment = 3 * PAGE;
}
static void m_obj_offset(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	(void)eb;
	o[0].offset = TU_DATA_VA + 64;
}
static void m_handle(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	(void)eb;
	o[0].handle = 4242;
}
static void m_dup(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	(void)eb;
	o[0].handle = o[1].handle;
}
static void m_null(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	(void)o;
	eb->buffers_ptr = 0;
}
static void m_ext(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	static struct i915_user_extension ext = { .name = 77 };

	(void)o;
	eb->flags |= I915_EXEC_USE_EXTENSIONS;
	eb->cliprects_ptr = (uintptr_t)&ext;
}
static void m_ext_array(struct drm_i915_gem_execbuffer2 *eb, struct drm_i915_gem_exec_object2 *o)
{
	(void)o;
	eb->flags |= I915_EXEC_USE_EXTENSIONS | I915_EXEC_FENCE_ARRAY;
}
static void m_fence_array_handle(struct drm_i915_gem_execbuffer2 *eb,
				 struct drm_i915_gem_exec_object2 *o)
{
	static struct drm_i915_gem_exec_fence f = { .handle = 99, .flags = I915_EXEC_FENCE_WAIT };

	(void)o;
	eb->flags |= I915_EXEC_FENCE_ARRAY;
	eb->num_cliprects = 1;
	eb->cliprects_ptr = (uintptr_t)&f;
}

/* Every rejected execbuf leaves the device as it was: no handle, no fd, no
 * fence, the BO contents unchanged. */
static void test_uapi_execbuf_errors(void **state)
{
	struct tu *t = *state;
	const struct bad_case cases[] = {
		{ "count 0", -EINVAL, m_count0, 0 },
		{ "unknown flag", -EINVAL, m_flags, 0 },
		{ "DR1", -EINVAL, m_dr1, 0 },
		{ "cliprects", -EINVAL, m_cliprects, 0 },
		{ "start unaligned", -EINVAL, m_start, 0 },
		{ "FENCE_OUT without _WR", -EINVAL, m_out_no_wr, DRM_IOCTL_I915_GEM_EXECBUFFER2 },
		{ "unknown context", -ENOENT, m_ctx, 0 },
		{ "absent engine", -EINVAL, m_ring, 0 },
		{ "bad ring", -EINVAL, m_ring_big, 0 },
		{ "FENCE_IN not a sync_file", -EINVAL, m_fence_in, 0 },
		{ "object flag", -EINVAL, m_obj_flags, 0 },
		{ "alignment", -EINVAL, m_obj_align, 0 },
		{ "softpin unaligned", -EINVAL, m_obj_offset, 0 },
		{ "unknown handle", -ENOENT, m_handle, 0 },
		{ "handle twice", -EINVAL, m_dup, 0 },
		{ "NULL buffers", -EFAULT, m_null, 0 },
		{ "unknown extension", -EINVAL, m_ext, 0 },
		{ "extensions and fence array", -EINVAL, m_ext_array, 0 },
		{ "fence array: no syncobj", -ENOENT, m_fence_array_handle, 0 },
	};
	uint32_t data = tu_create(t->fd, PAGE);
	uint32_t batch = tu_store_batch(t->fd, TU_DATA_VA, 0x600d);
	uint64_t d = tu_digest(t->fd);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct drm_i915_gem_exec_object2 objs[2];
		struct drm_i915_gem_execbuffer2 eb;
		unsigned long req = cases[i].req ? cases[i].req : DRM_IOCTL_I915_GEM_EXECBUFFER2_WR;
		int ret;

		tu_obj(&objs[0], data, TU_DATA_VA, true);
		tu_obj(&objs[1], batch, TU_BATCH_VA, false);
		eb_init(&eb, objs, 2);
		cases[i].mutate(&eb, objs);
		ret = sim_drm_ioctl(t->fd, req, &eb);
		if (ret != cases[i].expect)
			fail_msg("%s: %d, expected %d", cases[i].what, ret, cases[i].expect);
		if (tu_digest(t->fd) != d)
			fail_msg("%s: the device changed", cases[i].what);
	}
	assert_int_equal(sim_drm_count(SIM_DRM_FD_SYNC_FILE), 0);
	assert_int_equal(tu_read_u32(t->fd, data, 0), 0);
}

/* Fail every allocation of a whole execbuffer2 in turn. */
static void test_uapi_execbuf_alloc_failure(void **state)
{
	struct tu *t = *state;
	uint32_t data = tu_create(t->fd, PAGE), words[64], batch;
	struct drm_i915_gem_relocation_entry reloc = {
		.target_handle = 0, .offset = 4, .read_domains = I915_GEM_DOMAIN_RENDER,
	};
	struct sim_batch b;
	int out = -1;
	uint64_t d;
	unsigned long n;

	sim_batch_init(&b, words, 64);
	sim_batch_store_dw(&b, 0, 0x77);
	sim_batch_end(&b);
	batch = tu_batch(t->fd, &b);
	d = tu_digest(t->fd);
	for (n = 1; n < 10000; n++) {
		struct drm_i915_gem_exec_object2 objs[2];
		struct drm_i915_gem_execbuffer2 eb;
		int ret;

		memset(objs, 0, sizeof(objs));
		objs[0].handle = data;
		objs[0].flags = EXEC_OBJECT_WRITE;
		objs[1].handle = batch;
		objs[1].relocation_count = 1;
		objs[1].relocs_ptr = (uintptr_t)&reloc;
		eb_init(&eb, objs, 2);
		eb.flags = I915_EXEC_FENCE_OUT | I915_EXEC_HANDLE_LUT;
		resv_alloc_fail_nth(n);
		ret = sim_drm_ioctl(t->fd, DRM_IOCTL_I915_GEM_EXECBUFFER2_WR, &eb);
		resv_alloc_fail_nth(0);
		if (ret == 0) {
			out = (int)(eb.rsvd2 >> 32);
			break;
		}
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(sim_drm_count(SIM_DRM_FD_SYNC_FILE), 0);
		/* Memory management done on the way (binding, placement) may
		 * stay, as in i915; what the client sees may not change. */
		if (tu_digest(t->fd) != d)
			fail_msg("allocation %lu: the device changed", n);
	}
	assert_true(n > 3);
	assert_true(out >= 0);
	assert_true(tu_poll_in(out, 10000));
	assert_int_equal(tu_read_u32(t->fd, data, 0), 0x77);
	close(out);
}

struct stress {
	int fd;
	uint64_t seed;
	unsigned int id;
	int failures;
	char msg[128];
};

#define STRESS_ITERS 60

static void *stress_thread(void *arg)
{
	struct stress *s = arg;
	uint64_t rng = s->seed ^ (s->id * 0x9e3779b97f4a7c15ull);

	for (int i = 0; i < STRESS_ITERS && !s->failures; i++) {
		struct drm_i915_gem_create c = { .size = PAGE };
		uint32_t words[16], value = (uint32_t)st_rand(&rng), got = 0;
		struct drm_i915_gem_exec_object2 objs[2] = { { 0 } };
		struct drm_i915_gem_execbuffer2 eb = { 0 };
		struct drm_i915_gem_pwrite w = { 0 };
		struct drm_gem_close cl = { 0 };
		struct sim_batch b;
		uint32_t data, batch;
		int ret, out;

		if (sim_drm_ioctl(s->fd, DRM_IOCTL_I915_GEM_CREATE, &c))
			goto fail;
		data = c.handle;
		if (sim_drm_ioctl(s->fd, DRM_IOCTL_I915_GEM_CREATE, &c))
			goto fail;
		batch = c.handle;
		sim_batch_init(&b, words, 16);
		sim_batch_store_dw(&b, 0, value);
		sim_batch_end(&b);
		w = (struct drm_i915_gem_pwrite){ .handle = batch, .size = sim_batch_bytes(&b),
						  .data_ptr = (uintptr_t)words };
		if (sim_drm_ioctl(s->fd, DRM_IOCTL_I915_GEM_PWRITE, &w))
			goto fail;
		/* a relocation-free store: the data object softpinned per thread */
		objs[0].handle = data;
		objs[0].flags = EXEC_OBJECT_WRITE;
		objs[1].handle = batch;
		{
			struct drm_i915_gem_relocation_entry r = {
				.offset = 4, .read_domains = I915_GEM_DOMAIN_RENDER,
			};

			objs[1].relocation_count = 1;
			objs[1].relocs_ptr = (uintptr_t)&r;
			eb.buffers_ptr = (uintptr_t)objs;
			eb.buffer_count = 2;
			eb.flags = I915_EXEC_FENCE_OUT | I915_EXEC_HANDLE_LUT |
				   (st_rand(&rng) & 1 ? I915_EXEC_BSD : 0);
			ret = sim_drm_ioctl(s->fd, DRM_IOCTL_I915_GEM_EXECBUFFER2_WR, &eb);
		}
		if (ret)
			goto fail;
		out = (int)(eb.rsvd2 >> 32);
		if (!tu_poll_in(out, 10000))
			goto fail;
		close(out);
		w = (struct drm_i915_gem_pwrite){ .handle = data, .size = 4,
						  .data_ptr = (uintptr_t)&got };
		if (sim_drm_ioctl(s->fd, DRM_IOCTL_I915_GEM_PREAD, &w) || got != value)
			goto fail;
		cl.handle = data;
		sim_drm_ioctl(s->fd, DRM_IOCTL_GEM_CLOSE, &cl);
		cl.handle = batch;
		sim_drm_ioctl(s->fd, DRM_IOCTL_GEM_CLOSE, &cl);
		continue;
fail:
		snprintf(s->msg, sizeof(s->msg), "thread %u iteration %d", s->id, i);
		s->failures++;
	}
	return NULL;
}

static void test_uapi_execbuf_stress(void **state)
{
	struct tu *t = *state;
	struct stress s[4];
	pthread_t th[4];
	uint64_t seed = st_seed();

	for (unsigned int i = 0; i < 4; i++) {
		s[i] = (struct stress){ .fd = t->fd, .seed = seed, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, stress_thread, &s[i]), 0);
	}
	for (unsigned int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (unsigned int i = 0; i < 4; i++)
		if (s[i].failures)
			fail_msg("seed %" PRIu64 ": %s", seed, s[i].msg);
	sim_drm_sweep();
	assert_int_equal(sim_drm_count(SIM_DRM_FD_SYNC_FILE), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_uapi_execbuf_store_fence_out, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_execbuf_fence_in, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_execbuf_reloc_lut, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_execbuf_errors, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_execbuf_alloc_failure, tu_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_uapi_execbuf_stress, tu_setup, tu_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
