/* SPDX-License-Identifier: MIT */
/*
 * Shared by the uAPI suites (test_uapi*.c): a device with one DRM fd, and
 * helpers that drive it only through sim_drm_ioctl() with libdrm's structs.
 */
#ifndef TEST_UAPI_H
#define TEST_UAPI_H

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <drm.h>
#include <i915_drm.h>

#include <sim/drm.h>

#include "sim_test.h"

/* GPU addresses the uAPI tests softpin at */
#define TU_BATCH_VA 0x100000ull
#define TU_DATA_VA 0x200000ull
#define TU_DATA2_VA 0x400000ull

struct tu {
	struct sim_device *dev;
	int fd;
	uint64_t live_before;
};

/* cmocka setup/teardown: state is a struct tu *. Teardown releases every
 * simulator object and checks that no byte is leaked. */
int tu_setup(void **state);
int tu_teardown(void **state);

/* sim_drm_ioctl() that must succeed */
void tu_ioctl_ok(int fd, unsigned long req, void *arg);
uint32_t tu_create(int fd, uint64_t size);
void tu_write(int fd, uint32_t handle, uint64_t off, const void *data, size_t len);
void tu_read(int fd, uint32_t handle, uint64_t off, void *data, size_t len);
uint32_t tu_read_u32(int fd, uint32_t handle, uint64_t off);
/* A batch BO holding @b (sim command language) */
uint32_t tu_batch(int fd, const struct sim_batch *b);
/* A batch storing @value at @va */
uint32_t tu_store_batch(int fd, uint64_t va, uint32_t value);
/* Fill an exec_object2 softpinned at @va */
void tu_obj(struct drm_i915_gem_exec_object2 *o, uint32_t handle, uint64_t va, bool write);
/* The digest of @fd, which must succeed */
uint64_t tu_digest(int fd);
/* Wait (bounded, 10 s) until @fd polls readable; true when it did. */
bool tu_poll_in(int fd, int timeout_ms);

#endif /* TEST_UAPI_H */
