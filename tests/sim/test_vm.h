/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the VM_BIND suites (test_vm_bind.c, test_vm_exec*.c): a VM
 * with a client context and a batch BO bound at VT_BATCH_VA, batch
 * submission through sim_vm_exec(), and page-table / VA-tree checks.
 */
#ifndef TEST_VM_H
#define TEST_VM_H

#include <sim/file.h>
#include <sim/vm.h>

#include "sim_test.h"

#define VT_BATCH_VA 0x100000ull		/* VT_BATCH_SLOTS pages of batches */
#define VT_BATCH_SLOTS 64u
#define VT_DATA_VA 0x10000000ull	/* tests bind their BOs from here */

struct vt {
	struct sim_device *dev;
	struct sim_vm *vm;
	struct sim_context *ctx;
	struct sim_bo *batch_bo;	/* local, system memory only */
	unsigned int next_slot;
};

/* A device with @vram bytes (0: 16 MiB) and a VM with @vm_flags. */
void vt_init(struct vt *t, uint64_t vram, uint32_t vm_flags);
/* A VM on an existing device (its own context and batch BO). */
void vt_init_on(struct vt *t, struct sim_device *dev, uint32_t vm_flags);
/* Destroy the VM (and the device when vt_init() made it). */
void vt_fini(struct vt *t, bool destroy_dev);

/* Synchronous binds that must succeed. */
void vt_map(struct vt *t, struct sim_bo *bo, uint64_t va, uint64_t range, uint64_t offset,
	    uint32_t flags);
void vt_unmap(struct vt *t, uint64_t va, uint64_t range);

/* Requests for sim_vm_bind(). */
struct sim_vm_bind vt_map_req(struct sim_bo *bo, uint64_t va, uint64_t range, uint64_t offset);
struct sim_vm_bind vt_unmap_req(uint64_t va, uint64_t range);
/* Every page of [va, va + pages * PAGE) maps @bo from @offset on (or
 * nothing when @bo is NULL). */
void vt_expect_pages(struct vt *t, uint64_t va, unsigned int pages, struct sim_bo *bo,
		     uint64_t offset);
/* The VA tree has exactly [va, va + range) mapping @bo at @offset. */
void vt_expect_va(struct vt *t, uint64_t va, uint64_t range, struct sim_bo *bo,
		  uint64_t offset);

/* Write @b into the next batch slot; returns its GPU address. */
uint64_t vt_place(struct vt *t, const struct sim_batch *b);
/* sim_vm_exec() of @b; the result, *@fence set on success. */
int vt_exec(struct vt *t, const struct sim_batch *b, uint32_t flags, struct dma_fence **fence);
/* Exec (must succeed) and wait: the fence status (1 or its error). */
int vt_run(struct vt *t, const struct sim_batch *b);

/* The page of @va maps @bo at @bo_offset (true) — or nothing (bo NULL). */
bool vt_pt_maps(struct vt *t, uint64_t va, struct sim_bo *bo, uint64_t bo_offset);
/* Number of mappings in the VA tree, the kernel node excluded. */
unsigned int vt_num_vas(struct vt *t);
/* The mapping of exactly [va, va + range), or NULL. */
struct drm_gpuva *vt_find(struct vt *t, uint64_t va, uint64_t range);
/* Fences in a resv with usage <= @usage (locks it). */
unsigned int vt_count_fences(struct dma_resv *resv, enum dma_resv_usage usage);
/* Make sure @resv has room for two more fences (allocated once). */
void vt_prereserve(struct dma_resv *resv);
/* No thread holds @resv: a trylock succeeds. */
bool vt_resv_unlocked(struct dma_resv *resv);

/* CPU access to a BO's words (locks it; waits for its writers). */
uint32_t vt_read32(struct sim_bo *bo, uint64_t offset);
void vt_write32(struct sim_bo *bo, uint64_t offset, uint32_t value);

#endif /* TEST_VM_H */
