// SPDX-License-Identifier: MIT
/*
 * The seed corpus (RESV_FUZZ_GENERATE=dir ./fuzz_ioctl): a few valid
 * sequences a client would issue, so the fuzzer starts from calls that get
 * past the argument checks. Handles are predictable: a fresh DRM file
 * gives GEM handles and syncobj handles 1, 2, 3, ...
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>
#include <i915_drm.h>

#include <sim/batch.h>

#include "fuzz.h"

void fuzz_put_record(struct fuzz_buf *b, enum fuzz_op op, uint8_t ctl, const void *s,
		     size_t slen, const void *payload, size_t plen)
{
	if (b->len + 5 + slen + plen > sizeof(b->data) || slen > 255 || plen > 65535)
		return;
	b->data[b->len++] = (uint8_t)op;
	b->data[b->len++] = ctl;
	b->data[b->len++] = (uint8_t)slen;
	memcpy(b->data + b->len, s, slen);
	b->len += slen;
	b->data[b->len++] = (uint8_t)plen;
	b->data[b->len++] = (uint8_t)(plen >> 8);
	memcpy(b->data + b->len, payload, plen);
	b->len += plen;
}

#define PUT(b, op, ctl, s) fuzz_put_record(b, op, ctl, &(s), sizeof(s), NULL, 0)

static int fuzz_write(const char *dir, const char *name, const struct fuzz_buf *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -errno;
	if (fwrite(b->data, 1, b->len, f) != b->len) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) ? -errno : 0;
}

static void seed_queries(struct fuzz_buf *b)
{
	struct drm_version v = { .name_len = 16, .date_len = 16, .desc_len = 64 };
	struct drm_get_cap cap = { .capability = DRM_CAP_SYNCOBJ_TIMELINE };
	struct drm_i915_getparam gp = { .param = I915_PARAM_HAS_EXEC_TIMELINE_FENCES };

	PUT(b, FUZZ_VERSION, 0, v);
	PUT(b, FUZZ_GET_CAP, 0, cap);
	PUT(b, FUZZ_I915_GETPARAM, 0, gp);
}

static void seed_gem(struct fuzz_buf *b)
{
	struct drm_i915_gem_create cr = { .size = 8192 };
	uint32_t words[16];
	struct drm_i915_gem_pwrite pw = { .handle = 1, .offset = 64, .size = sizeof(words) };
	struct drm_i915_gem_pread pr = { .handle = 1, .offset = 64, .size = sizeof(words) };
	struct drm_i915_gem_wait w = { .bo_handle = 1, .timeout_ns = 1000 };
	struct drm_i915_gem_userptr up = { .user_ptr = 0, .user_size = 4 * 4096 };
	struct drm_i915_gem_context_create cc = { 0 };
	struct drm_i915_gem_context_destroy cd = { .ctx_id = 1 };
	struct drm_gem_close cl = { .handle = 1 };

	for (unsigned int i = 0; i < 16; i++)
		words[i] = 0x1000 + i;
	PUT(b, FUZZ_I915_GEM_CREATE, 0, cr);
	fuzz_put_record(b, FUZZ_I915_GEM_PWRITE, 0, &pw, sizeof(pw), words, sizeof(words));
	PUT(b, FUZZ_I915_GEM_PREAD, 0, pr);
	PUT(b, FUZZ_I915_GEM_WAIT, 0, w);
	PUT(b, FUZZ_I915_GEM_USERPTR, 0, up);
	PUT(b, FUZZ_I915_CONTEXT_CREATE, 0, cc);
	PUT(b, FUZZ_I915_CONTEXT_DESTROY, 0, cd);
	PUT(b, FUZZ_GEM_CLOSE, 0, cl);
}

static void seed_syncobj(struct fuzz_buf *b)
{
	struct drm_syncobj_create cr = { .flags = DRM_SYNCOBJ_CREATE_SIGNALED };
	struct drm_syncobj_create cr0 = { 0 };
	struct drm_syncobj_wait w = { .count_handles = 1 };
	struct drm_syncobj_array arr = { .count_handles = 1 };
	struct drm_syncobj_timeline_array tl = { .count_handles = 1 };
	struct drm_syncobj_timeline_wait tw = { .count_handles = 1 };
	struct drm_syncobj_transfer tr = { .src_handle = 1, .dst_handle = 2, .dst_point = 7 };
	struct drm_syncobj_handle h2fd = { .handle = 1 };
	struct drm_syncobj_handle fd2h = { 0 };
	struct drm_syncobj_handle sync_file = {
		.handle = 1, .flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
	};
	struct drm_syncobj_destroy d = { .handle = 2 };
	uint8_t handle1_point5[12] = { 1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0 };

	PUT(b, FUZZ_SYNCOBJ_CREATE, 0, cr);		/* 1, signalled */
	PUT(b, FUZZ_SYNCOBJ_CREATE, 0, cr0);		/* 2 */
	fuzz_put_record(b, FUZZ_SYNCOBJ_WAIT, 0, &w, sizeof(w), handle1_point5, 4);
	fuzz_put_record(b, FUZZ_SYNCOBJ_SIGNAL, 0, &arr, sizeof(arr), handle1_point5, 4);
	fuzz_put_record(b, FUZZ_SYNCOBJ_TIMELINE_SIGNAL, 0, &tl, sizeof(tl), handle1_point5, 12);
	fuzz_put_record(b, FUZZ_SYNCOBJ_QUERY, 0, &tl, sizeof(tl), handle1_point5, 12);
	fuzz_put_record(b, FUZZ_SYNCOBJ_TIMELINE_WAIT, 0, &tw, sizeof(tw), handle1_point5, 12);
	PUT(b, FUZZ_SYNCOBJ_TRANSFER, 0, tr);
	PUT(b, FUZZ_SYNCOBJ_HANDLE_TO_FD, 0, h2fd);			/* pool slot 4 */
	PUT(b, FUZZ_SYNCOBJ_FD_TO_HANDLE, FUZZ_CTL_FILE_B | FUZZ_CTL_FD(4), fd2h);
	PUT(b, FUZZ_SYNCOBJ_HANDLE_TO_FD, 0, sync_file);		/* slot 5 */
	sync_file.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE;
	sync_file.handle = 2;
	PUT(b, FUZZ_SYNCOBJ_FD_TO_HANDLE, FUZZ_CTL_FD(5), sync_file);
	fuzz_put_record(b, FUZZ_SYNCOBJ_RESET, 0, &arr, sizeof(arr), handle1_point5, 4);
	PUT(b, FUZZ_SYNCOBJ_DESTROY, 0, d);
}

/* A batch storing 4 words at 0x200000, softpinned at 0x100000. */
static void seed_exec_objects(struct fuzz_buf *b, uint32_t *payload, size_t *plen)
{
	struct drm_i915_gem_create cr = { .size = 4096 };
	struct drm_i915_gem_pwrite pw = { .handle = 2 };
	uint32_t batch[32];
	struct sim_batch sb;

	sim_batch_init(&sb, batch, 32);
	for (unsigned int i = 0; i < 4; i++)
		sim_batch_store_dw(&sb, 0x200000 + 4 * i, 0xbeef0000 + i);
	sim_batch_noop(&sb);	/* batch_len must be a multiple of 8 */
	sim_batch_end(&sb);
	pw.size = sim_batch_bytes(&sb);
	PUT(b, FUZZ_I915_GEM_CREATE, 0, cr);	/* 1: data */
	PUT(b, FUZZ_I915_GEM_CREATE, 0, cr);	/* 2: batch */
	fuzz_put_record(b, FUZZ_I915_GEM_PWRITE, 0, &pw, sizeof(pw), batch, pw.size);

	/* the payload the execbuf's arrays are filled from: 2 objects, then
	 * the fence entries */
	struct drm_i915_gem_exec_object2 objs[2] = {
		{ .handle = 1, .offset = 0x200000, .flags = EXEC_OBJECT_PINNED | EXEC_OBJECT_WRITE },
		{ .handle = 2, .offset = 0x100000, .flags = EXEC_OBJECT_PINNED },
	};
	memcpy(payload, objs, sizeof(objs));
	*plen = sizeof(objs);
	(void)pw;
}

static void seed_exec_fence_array(struct fuzz_buf *b)
{
	uint8_t payload[512];
	size_t plen;
	struct drm_syncobj_create so = { 0 };
	struct drm_i915_gem_execbuffer2 eb = {
		.buffer_count = 2, .batch_len = 4 * 18,
		.flags = I915_EXEC_RENDER | I915_EXEC_NO_RELOC | I915_EXEC_FENCE_ARRAY |
			 I915_EXEC_FENCE_OUT,
		.num_cliprects = 1,
	};
	struct drm_i915_gem_exec_fence signal = { .handle = 1, .flags = I915_EXEC_FENCE_SIGNAL };
	struct drm_syncobj_wait w = { .count_handles = 1, .timeout_nsec = 900000 };
	struct drm_i915_gem_pread pr = { .handle = 1, .offset = 0, .size = 16 };

	seed_exec_objects(b, (uint32_t *)payload, &plen);
	memcpy(payload + plen, &signal, sizeof(signal));
	plen += sizeof(signal);
	PUT(b, FUZZ_SYNCOBJ_CREATE, 0, so);
	fuzz_put_record(b, FUZZ_I915_EXECBUFFER2_WR, 0, &eb, sizeof(eb), payload, plen);
	/* the wait's handle array comes from the payload: handle 1 */
	fuzz_put_record(b, FUZZ_SYNCOBJ_WAIT, 0, &w, sizeof(w), &signal.handle, 4);
	PUT(b, FUZZ_I915_GEM_PREAD, 0, pr);
}

static void seed_exec_timeline(struct fuzz_buf *b)
{
	uint8_t payload[512];
	size_t plen;
	struct drm_syncobj_create so = { 0 };
	struct drm_i915_gem_execbuffer2 eb = {
		.buffer_count = 2, .batch_len = 4 * 18,
		.flags = I915_EXEC_BSD | I915_EXEC_NO_RELOC | I915_EXEC_USE_EXTENSIONS,
	};
	struct drm_i915_gem_execbuffer_ext_timeline_fences ext = {
		.base.name = DRM_I915_GEM_EXECBUFFER_EXT_TIMELINE_FENCES, .fence_count = 1,
	};
	struct drm_i915_gem_exec_fence signal = { .handle = 1, .flags = I915_EXEC_FENCE_SIGNAL };
	uint64_t point = 3;

	/* payload: objects, the extension, its handles array, its values */
	seed_exec_objects(b, (uint32_t *)payload, &plen);
	memcpy(payload + plen, &ext, sizeof(ext));
	plen += sizeof(ext);
	memcpy(payload + plen, &signal, sizeof(signal));
	plen += sizeof(signal);
	memcpy(payload + plen, &point, sizeof(point));
	plen += sizeof(point);
	PUT(b, FUZZ_SYNCOBJ_CREATE, 0, so);
	fuzz_put_record(b, FUZZ_I915_EXECBUFFER2, 0, &eb, sizeof(eb), payload, plen);
}

static void seed_prime(struct fuzz_buf *b)
{
	struct drm_i915_gem_create cr = { .size = 4096 };
	struct drm_prime_handle exp = { .handle = 1, .flags = DRM_CLOEXEC | DRM_RDWR };
	struct drm_prime_handle imp = { 0 };
	struct drm_i915_gem_pread pr = { .handle = 1, .size = 64 };

	PUT(b, FUZZ_I915_GEM_CREATE, 0, cr);
	PUT(b, FUZZ_PRIME_HANDLE_TO_FD, 0, exp);				/* slot 4 */
	PUT(b, FUZZ_PRIME_FD_TO_HANDLE, FUZZ_CTL_FILE_B | FUZZ_CTL_FD(4), imp);
	PUT(b, FUZZ_I915_GEM_PREAD, FUZZ_CTL_FILE_B, pr);
}

int fuzz_generate_corpus(const char *dir)
{
	static const struct {
		const char *name;
		void (*fn)(struct fuzz_buf *b);
	} seeds[] = {
		{ "seed-queries", seed_queries },
		{ "seed-gem", seed_gem },
		{ "seed-syncobj", seed_syncobj },
		{ "seed-exec-fence-array", seed_exec_fence_array },
		{ "seed-exec-timeline", seed_exec_timeline },
		{ "seed-prime", seed_prime },
	};
	int ret;

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct fuzz_buf b = { .len = 0 };

		seeds[i].fn(&b);
		ret = fuzz_write(dir, seeds[i].name, &b);
		if (ret)
			return ret;
	}
	return 0;
}
