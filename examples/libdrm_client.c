/* SPDX-License-Identifier: MIT */
/*
 * libdrm_client: an ordinary libdrm program that runs on the simulated GPU
 * (docs/uapi-interposer.md). It knows nothing about libresv: it opens a
 * device node, asks for the driver's version and caps, creates buffer
 * objects and syncobjs, and submits two i915 execbuffer2 batches chained
 * with syncobjs — the first (on the render ring) writes a table of squares
 * into a source BO after a short delay and signals a binary syncobj; the
 * second (on the blitter) waits for it, copies the table into a destination
 * BO and signals point 1 of a timeline syncobj. The program waits for that
 * point with drmSyncobjTimelineWait(), reads the destination back with
 * GEM_PREAD and checks every word.
 *
 * The batches are written in the simulator's command language
 * (<sim/batch.h>: header word = opcode << 24 | length), not in Intel MI
 * commands; the data BOs are EXEC_OBJECT_ASYNC, so only the syncobj orders
 * the two batches.
 *
 * It runs two ways, both under ctest:
 * - linked with the interposer objects (example_libdrm_client): the
 *   executable's ioctl()/open()/close() route the simulator's node and fds;
 * - unmodified, under LD_PRELOAD=libresv_sim_preload.so
 *   (example_libdrm_client_preload).
 *
 * Usage: libdrm_client [NODE]   (default $RESV_SIM_NODE or /dev/dri/resv-sim)
 * It exits 0 when every word is right, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>
#include <i915_drm.h>

#include <sim/batch.h>

#define WORDS 256u
#define BO_SIZE 4096u
#define SRC_VA 0x1000000ull
#define DST_VA 0x2000000ull
#define BATCH1_VA 0x100000ull
#define BATCH2_VA 0x200000ull

#define CHECK(cond, what)                                                        \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "libdrm_client: %s failed: %s\n", what, \
				strerror(errno));                                \
			exit(1);                                                 \
		}                                                                \
	} while (0)

static uint32_t gem_create(int fd, uint64_t size)
{
	struct drm_i915_gem_create create = { .size = size };

	CHECK(drmIoctl(fd, DRM_IOCTL_I915_GEM_CREATE, &create) == 0, "GEM_CREATE");
	return create.handle;
}

static void gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close cl = { .handle = handle };

	CHECK(drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &cl) == 0, "GEM_CLOSE");
}

static void gem_pwrite(int fd, uint32_t handle, const void *data, size_t len)
{
	struct drm_i915_gem_pwrite pw = {
		.handle = handle, .size = len, .data_ptr = (uintptr_t)data,
	};

	CHECK(drmIoctl(fd, DRM_IOCTL_I915_GEM_PWRITE, &pw) == 0, "GEM_PWRITE");
}

static void gem_pread(int fd, uint32_t handle, void *data, size_t len)
{
	struct drm_i915_gem_pread pr = {
		.handle = handle, .size = len, .data_ptr = (uintptr_t)data,
	};

	CHECK(drmIoctl(fd, DRM_IOCTL_I915_GEM_PREAD, &pr) == 0, "GEM_PREAD");
}

/* Commands of <sim/batch.h>, encoded by hand: addresses low word first. */
static uint32_t *emit_addr(uint32_t *p, uint64_t va)
{
	*p++ = (uint32_t)va;
	*p++ = (uint32_t)(va >> 32);
	return p;
}

/* DELAY 10 ms, then STORE_DW src[i] = i * i for every word; END. */
static size_t build_producer(uint32_t *p0)
{
	uint32_t *p = p0;

	*p++ = SIM_CMD_HEADER(SIM_CMD_DELAY, 2);
	*p++ = 10000;
	for (uint32_t i = 0; i < WORDS; i++) {
		*p++ = SIM_CMD_HEADER(SIM_CMD_STORE_DW, 4);
		p = emit_addr(p, SRC_VA + 4 * i);
		*p++ = i * i;
	}
	*p++ = SIM_CMD_HEADER(SIM_CMD_NOOP, 1);	/* i915: batch_len % 8 == 0 */
	*p++ = SIM_CMD_HEADER(SIM_CMD_END, 1);
	return (size_t)(p - p0) * sizeof(*p);
}

/* COPY dst <- src, WORDS words; END. */
static size_t build_consumer(uint32_t *p0)
{
	uint32_t *p = p0;

	*p++ = SIM_CMD_HEADER(SIM_CMD_COPY, 6);
	p = emit_addr(p, DST_VA);
	p = emit_addr(p, SRC_VA);
	*p++ = WORDS * 4;
	*p++ = SIM_CMD_HEADER(SIM_CMD_NOOP, 1);	/* 8 words in all */
	*p++ = SIM_CMD_HEADER(SIM_CMD_END, 1);
	return (size_t)(p - p0) * sizeof(*p);
}

static void execbuf(int fd, struct drm_i915_gem_exec_object2 *objs, unsigned int count,
		    size_t batch_len, uint64_t flags, uint64_t cliprects, unsigned int num_cliprects)
{
	struct drm_i915_gem_execbuffer2 eb = {
		.buffers_ptr = (uintptr_t)objs,
		.buffer_count = count,
		.batch_len = (uint32_t)batch_len,
		.flags = flags | I915_EXEC_NO_RELOC,
		.cliprects_ptr = cliprects,
		.num_cliprects = num_cliprects,
	};

	CHECK(drmIoctl(fd, DRM_IOCTL_I915_GEM_EXECBUFFER2, &eb) == 0, "EXECBUFFER2");
}

int main(int argc, char **argv)
{
	const char *node = argc > 1 ? argv[1] : getenv("RESV_SIM_NODE");
	static uint32_t batch[WORDS * 4 + 8], got[WORDS];
	uint32_t src, dst, b1, b2, produced, done;
	uint64_t cap = 0, point = 1;
	struct timespec now;
	drmVersionPtr version;
	size_t len1, len2;
	int fd, bad = 0;

	if (!node || !*node)
		node = "/dev/dri/resv-sim";
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: %s [NODE]\n", argv[0]);
		return 0;
	}
	if (argc > 1)
		setenv("RESV_SIM_NODE", node, 1);	/* what the interposer matches */

	fd = open(node, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "open (is the interposer linked or preloaded?)");
	version = drmGetVersion(fd);
	CHECK(version != NULL, "drmGetVersion");
	printf("libdrm_client: %s opened, driver \"%s\" %d.%d.%d (%s)\n", node, version->name,
	       version->version_major, version->version_minor, version->version_patchlevel,
	       version->desc);
	drmFreeVersion(version);
	CHECK(drmGetCap(fd, DRM_CAP_SYNCOBJ_TIMELINE, &cap) == 0 && cap == 1,
	      "DRM_CAP_SYNCOBJ_TIMELINE");

	src = gem_create(fd, BO_SIZE);
	dst = gem_create(fd, BO_SIZE);
	b1 = gem_create(fd, 2 * BO_SIZE);	/* 1028 words of commands */
	b2 = gem_create(fd, BO_SIZE);
	len1 = build_producer(batch);
	gem_pwrite(fd, b1, batch, len1);
	len2 = build_consumer(batch);
	gem_pwrite(fd, b2, batch, len2);
	CHECK(drmSyncobjCreate(fd, 0, &produced) == 0, "drmSyncobjCreate");
	CHECK(drmSyncobjCreate(fd, 0, &done) == 0, "drmSyncobjCreate");

	/* 1: the producer signals the binary syncobj (I915_EXEC_FENCE_ARRAY) */
	{
		struct drm_i915_gem_exec_object2 objs[] = {
			{ .handle = src, .offset = SRC_VA,
			  .flags = EXEC_OBJECT_PINNED | EXEC_OBJECT_WRITE | EXEC_OBJECT_ASYNC },
			{ .handle = b1, .offset = BATCH1_VA, .flags = EXEC_OBJECT_PINNED },
		};
		struct drm_i915_gem_exec_fence signal = {
			.handle = produced, .flags = I915_EXEC_FENCE_SIGNAL,
		};

		execbuf(fd, objs, 2, len1, I915_EXEC_RENDER | I915_EXEC_FENCE_ARRAY,
			(uintptr_t)&signal, 1);
	}
	/* 2: the consumer waits for it and signals timeline point 1 (extension) */
	{
		struct drm_i915_gem_exec_object2 objs[] = {
			{ .handle = src, .offset = SRC_VA,
			  .flags = EXEC_OBJECT_PINNED | EXEC_OBJECT_ASYNC },
			{ .handle = dst, .offset = DST_VA,
			  .flags = EXEC_OBJECT_PINNED | EXEC_OBJECT_WRITE | EXEC_OBJECT_ASYNC },
			{ .handle = b2, .offset = BATCH2_VA, .flags = EXEC_OBJECT_PINNED },
		};
		struct drm_i915_gem_exec_fence fences[] = {
			{ .handle = produced, .flags = I915_EXEC_FENCE_WAIT },
			{ .handle = done, .flags = I915_EXEC_FENCE_SIGNAL },
		};
		uint64_t points[] = { 0, 1 };
		struct drm_i915_gem_execbuffer_ext_timeline_fences ext = {
			.base.name = DRM_I915_GEM_EXECBUFFER_EXT_TIMELINE_FENCES,
			.fence_count = 2,
			.handles_ptr = (uintptr_t)fences,
			.values_ptr = (uintptr_t)points,
		};

		execbuf(fd, objs, 3, len2, I915_EXEC_BSD | I915_EXEC_USE_EXTENSIONS,
			(uintptr_t)&ext, 0);
	}

	clock_gettime(CLOCK_MONOTONIC, &now);
	errno = -drmSyncobjTimelineWait(fd, &done, &point, 1,
					(int64_t)now.tv_sec * 1000000000 + now.tv_nsec + 5000000000LL,
					DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, NULL);
	CHECK(errno == 0, "drmSyncobjTimelineWait");

	gem_pread(fd, dst, got, sizeof(got));
	for (uint32_t i = 0; i < WORDS; i++) {
		if (got[i] != i * i) {
			if (bad++ < 8)
				fprintf(stderr, "libdrm_client: word %u is %u, expected %u\n", i,
					got[i], i * i);
		}
	}
	printf("libdrm_client: two chained batches, %u words copied, %u wrong\n", WORDS, bad);

	CHECK(drmSyncobjDestroy(fd, produced) == 0 && drmSyncobjDestroy(fd, done) == 0,
	      "drmSyncobjDestroy");
	gem_close(fd, src);
	gem_close(fd, dst);
	gem_close(fd, b1);
	gem_close(fd, b2);
	CHECK(close(fd) == 0, "close");
	return bad ? 1 : 0;
}
