/* SPDX-License-Identifier: MIT */
/*
 * The libdrm-driven suite (label sim): the simulator is reached only
 * through libdrm's own functions (drmIoctl(), drmSyncobj*(), drmPrime*(),
 * drmGetVersion(), drmGetCap()) and the i915 ioctls with <i915_drm.h>
 * structs, routed by the interposer linked into this executable
 * (sim/interpose, docs/uapi-interposer.md). The only native calls are the
 * device's creation, sim_drm_open() (in this link mode there is no open()
 * interposer) and the leak accounting at the end.
 */
#ifndef LIBDRM_TEST_H
#define LIBDRM_TEST_H

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xf86drm.h>
#include <i915_drm.h>

#include <sim/batch.h>

#define LT_MS (1000LL * 1000LL)
#define LT_PAGE 4096u

/* Softpinned GPU addresses: batches and data BOs. */
#define LT_BATCH_VA 0x100000ull
#define LT_BATCH2_VA 0x200000ull
#define LT_SRC_VA 0x1000000ull
#define LT_DST_VA 0x2000000ull

/* cmocka group setup/teardown: one device for a group, leak-checked. */
int lt_group_setup(void **state);
int lt_group_teardown(void **state);

/* A new DRM file on the group's device. */
int lt_open(void);
/* close() it and make the release happen now (sweep). */
void lt_close(int fd);

/* CLOCK_MONOTONIC now, in ns (what syncobj waits take as deadlines). */
int64_t lt_now_ns(void);

/* DRM_IOCTL_I915_GEM_CREATE / GEM_CLOSE / PWRITE / PREAD through drmIoctl(). */
uint32_t lt_bo(int fd, uint64_t size);
void lt_gem_close(int fd, uint32_t handle);
void lt_pwrite(int fd, uint32_t handle, uint64_t offset, const void *data, size_t len);
void lt_pread(int fd, uint32_t handle, uint64_t offset, void *data, size_t len);
/* Read @words words of @handle and check word i == base + i * step. */
void lt_check_words(int fd, uint32_t handle, uint32_t words, uint32_t base, uint32_t step);

/* A BO holding the batch @b (pwritten). */
uint32_t lt_batch_bo(int fd, const struct sim_batch *b);

/*
 * One submission: up to 8 objects softpinned at their addresses, the batch
 * last; explicit fences through I915_EXEC_FENCE_ARRAY or the timeline
 * extension; the rest of execbuffer2's fields as given.
 */
struct lt_obj {
	uint32_t handle;
	uint64_t va;
	bool write;
	bool async;		/* EXEC_OBJECT_ASYNC: explicit sync only */
};

struct lt_submit {
	struct lt_obj objs[8];
	unsigned int count;		/* the last one is the batch */
	uint32_t batch_bytes;
	uint64_t flags;			/* I915_EXEC_* ring and fence flags */
	uint64_t rsvd2;			/* in-fence fd (FENCE_IN) */
	/* I915_EXEC_FENCE_ARRAY entries, when fence_count */
	struct drm_i915_gem_exec_fence fences[4];
	unsigned int fence_count;
	/* the timeline extension, when tl_count */
	uint32_t tl_handles[4];
	uint64_t tl_points[4];
	uint32_t tl_flags[4];
	unsigned int tl_count;
	/* out: rsvd2 after the call (FENCE_OUT fd in the upper half) */
	uint64_t rsvd2_out;
};

/* drmIoctl(EXECBUFFER2_WR); 0 or -errno (errno read right after). */
int lt_execbuf(int fd, struct lt_submit *s);

/* Cases of each file (core.c, syncobj.c, exec.c); failures counted. */
int lt_run_core(void);
int lt_run_syncobj(void);
int lt_run_exec(void);

#endif /* LIBDRM_TEST_H */
