/* SPDX-License-Identifier: MIT */
/*
 * VM_BIND + exec on the simulated GPU, the Xe way: bind buffer objects into
 * a VM (synchronously, and asynchronously behind a fence), run batches
 * that need no object list, let VRAM pressure evict the VM's objects and
 * watch the next exec revalidate them, and map user memory whose pages move
 * between the exec's snapshot and its final check.
 *
 *	vm_bind_exec [--spinlock]     (default: the VM resv protects the lists)
 *
 * Exits non-zero when any result is not what the GPU must have produced.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <resv/resv.h>

#include <sim/batch.h>
#include <sim/bo.h>
#include <sim/device.h>
#include <sim/pt.h>
#include <sim/sched.h>
#include <sim/vm.h>

#define PAGE SIM_PAGE_SIZE
#define BATCH_VA 0x100000ull
#define DATA_VA 0x200000ull
#define ALIAS_VA 0x300000ull
#define SHARED_VA 0x400000ull
#define USER_VA 0x500000ull
#define USER_ADDR 0x7f0000000000ul

static int failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "FAILED: %s (line %d)\n", #cond, __LINE__); \
			failures++;                                            \
		}                                                              \
	} while (0)

/* A hand-signalled fence, standing for "the buffer is ready" from elsewhere. */
static const char *user_fence_name(struct dma_fence *f)
{
	return "user";
}

static const struct dma_fence_ops user_fence_ops = {
	.get_driver_name = user_fence_name,
	.get_timeline_name = user_fence_name,
};

static struct resv_spinlock user_fence_lock = RESV_SPINLOCK_INITIALIZER;

struct client {
	struct sim_device *dev;
	struct sim_vm *vm;
	struct sim_context *ctx;
	unsigned int slot;
};

static int bind(struct client *c, uint32_t op, struct sim_bo *bo, uint64_t va, uint64_t range)
{
	struct sim_vm_bind args = { .op = op, .va = va, .range = range, .bo = bo };

	return sim_vm_bind(c->vm, &args, NULL);
}

/* Write the batch into the next page of the batch BO and run it; returns
 * the fence status (1: done without error). */
static int run(struct client *c, struct sim_batch *b,
	       void (*hook)(struct sim_vm *vm, void *priv), void *priv)
{
	uint64_t va = BATCH_VA + (uint64_t)(c->slot++ % 16) * PAGE;
	struct sim_vm_exec args = {
		.engine = sim_device_engine(c->dev, 0),
		.ctx = c->ctx,
		.batch_va = va,
		.batch_len = PAGE,
		.after_snapshot = hook,
		.after_snapshot_priv = priv,
	};
	struct dma_fence *fence;
	int ret;

	ret = sim_pt_write(sim_vm_pt(c->vm), va, b->dw, sim_batch_bytes(b));
	if (!ret)
		ret = sim_vm_exec(c->vm, &args, &fence);
	if (ret)
		return ret;
	dma_fence_wait(fence, false);
	ret = dma_fence_get_status(fence);
	dma_fence_put(fence);
	return ret;
}

static uint32_t bo_read32(struct sim_bo *bo, uint64_t offset)
{
	uint32_t v = 0;

	if (dma_resv_lock(bo->base.resv, NULL) == 0) {
		if (sim_bo_read(bo, offset, &v, sizeof(v)))
			v = 0xdeadbeef;
		dma_resv_unlock(bo->base.resv);
	}
	return v;
}

static const char *placement_name(enum sim_placement pl)
{
	return pl == SIM_PL_VRAM ? "VRAM" : pl == SIM_PL_SYSTEM ? "system" : "none";
}

/* Between the exec's userptr snapshot and its check, the pages move. */
static void migrate_user_pages(struct sim_vm *vm, void *priv)
{
	struct resv_mm *mm = priv;
	static int done;

	if (!done++ && resv_mm_migrate(mm, USER_ADDR, PAGE))
		failures++;
}

int main(int argc, char **argv)
{
	uint32_t flags = SIM_VM_RESV_PROTECTED, words[256], v = 0;
	struct sim_device_config cfg = { .vram_size = 64 * PAGE, .num_engines = 1 };
	struct sim_bo *batch, *data, *shared;
	struct dma_fence *ready, *bound;
	struct sim_vm_stats st;
	struct resv_mm *mm;
	struct client c = { 0 };
	struct sim_batch b;
	struct sim_pt_entry e;

	if (argc > 1 && !strcmp(argv[1], "--spinlock"))
		flags = 0;
	printf("VM lists protected by %s\n", flags ? "the VM's resv (xe)" : "spinlocks");
	if (sim_device_create(&cfg, &c.dev) || sim_vm_create(c.dev, NULL, flags, &c.vm) ||
	    sim_context_create(c.dev, &c.ctx))
		return 1;

	/* Local BOs share the VM's resv; "shared" has its own (an extobj). */
	CHECK(sim_vm_bo_create(c.vm, 16 * PAGE, SIM_PL_MASK_SYSTEM, SIM_PL_SYSTEM, &batch) == 0);
	CHECK(sim_vm_bo_create(c.vm, 16 * PAGE, SIM_PL_MASK_ALL, SIM_PL_NONE, &data) == 0);
	CHECK(sim_bo_create(c.dev, 16 * PAGE, SIM_PL_MASK_ALL, SIM_PL_NONE, NULL, &shared) == 0);
	if (failures)
		return 1;

	/* 1. Synchronous binds: mapped when the call returns. */
	CHECK(bind(&c, SIM_VM_BIND_OP_MAP, batch, BATCH_VA, 16 * PAGE) == 0);
	CHECK(bind(&c, SIM_VM_BIND_OP_MAP, data, DATA_VA, 16 * PAGE) == 0);
	CHECK(bind(&c, SIM_VM_BIND_OP_MAP, shared, SHARED_VA, 16 * PAGE) == 0);

	/* 2. An asynchronous bind behind a fence: the VA tree has it at once,
	 * the page table only once the fence signalled. */
	ready = resv_dma_fence_alloc(sizeof(*ready));
	if (!ready)
		return 1;
	dma_fence_init(ready, &user_fence_ops, &user_fence_lock, dma_fence_context_alloc(1), 1);
	struct sim_vm_bind alias = {
		.op = SIM_VM_BIND_OP_MAP, .flags = SIM_VM_BIND_FLAG_ASYNC,
		.va = ALIAS_VA, .range = PAGE, .bo = data, .bo_offset = PAGE,
		.in_fences = &ready, .num_in_fences = 1,
	};
	CHECK(sim_vm_bind(c.vm, &alias, &bound) == 0);
	CHECK(sim_pt_lookup(sim_vm_pt(c.vm), ALIAS_VA, &e) == -ENOENT);
	printf("async bind queued: alias mapped yet? %s\n",
	       sim_pt_lookup(sim_vm_pt(c.vm), ALIAS_VA, &e) ? "no" : "yes");
	dma_fence_signal(ready);
	dma_fence_wait(bound, false);
	CHECK(sim_pt_lookup(sim_vm_pt(c.vm), ALIAS_VA, &e) == 0 && e.bo == data);
	printf("in-fence signalled: alias mapped: %s\n", e.bo == data ? "yes" : "no");

	/* 3. An exec: it validates the never-populated BOs, then the batch
	 * writes "data", copies it to "shared", and adds through the alias. */
	sim_batch_init(&b, words, 256);
	sim_batch_fill(&b, DATA_VA + PAGE, 7, 64);
	sim_batch_copy(&b, SHARED_VA, DATA_VA + PAGE, 64);
	sim_batch_atomic_add(&b, ALIAS_VA, 35);
	sim_batch_end(&b);
	CHECK(run(&c, &b, NULL, NULL) == 1);
	CHECK(bo_read32(data, PAGE) == 42);
	CHECK(bo_read32(shared, 60) == 7);
	printf("exec 1: data[1] = %u, shared[15] = %u; data in %s, shared in %s\n",
	       bo_read32(data, PAGE), bo_read32(shared, 60), placement_name(sim_bo_placement(data)),
	       placement_name(sim_bo_placement(shared)));
	dma_fence_put(bound);
	dma_fence_put(ready);

	/* 4. Memory pressure from outside: both BOs leave VRAM. The next
	 * exec revalidates them (back to VRAM) and rebinds before running. */
	printf("shrinker freed %ld bytes of VRAM\n", sim_shrink(c.dev, 64 * PAGE));
	sim_batch_init(&b, words, 256);
	sim_batch_atomic_add(&b, DATA_VA + PAGE, 1);
	sim_batch_atomic_add(&b, SHARED_VA + 60, 1);
	sim_batch_end(&b);
	CHECK(run(&c, &b, NULL, NULL) == 1);
	CHECK(bo_read32(data, PAGE) == 43);
	CHECK(bo_read32(shared, 60) == 8);
	sim_vm_get_stats(c.vm, &st);
	printf("exec 2 after eviction: data[1] = %u, shared[15] = %u, revalidations = %" PRIu64
	       "\n", bo_read32(data, PAGE), bo_read32(shared, 60), st.revalidations);

	/* 5. User memory: the pages migrate after the exec's snapshot; its
	 * final check under the notifier lock sees it and the exec retries. */
	if (resv_mm_create(&mm) || resv_mm_map(mm, USER_ADDR, PAGE))
		return 1;
	struct sim_vm_bind user = {
		.op = SIM_VM_BIND_OP_MAP_USERPTR, .va = USER_VA, .range = PAGE,
		.mm = mm, .userptr = USER_ADDR,
	};
	CHECK(sim_vm_bind(c.vm, &user, NULL) == 0);
	sim_batch_init(&b, words, 256);
	sim_batch_store_dw(&b, USER_VA + 8, 0x600d);
	sim_batch_end(&b);
	CHECK(run(&c, &b, migrate_user_pages, mm) == 1);
	CHECK(resv_mm_read(mm, USER_ADDR + 8, &v, sizeof(v)) == 0 && v == 0x600d);
	sim_vm_get_stats(c.vm, &st);
	CHECK(st.userptr_retries == 1);
	printf("userptr: the CPU reads 0x%x at its current pages; userptr retries = %" PRIu64
	       "\n", v, st.userptr_retries);

	printf("counters: binds=%" PRIu64 " async=%" PRIu64 " map_ops=%" PRIu64 " execs=%" PRIu64
	       " revalidations=%" PRIu64 " userptr_repins=%" PRIu64 " backoffs(contended)=%" PRIu64
	       "\n", st.binds, st.async_binds, st.map_ops, st.execs, st.revalidations,
	       st.userptr_repins, st.backoffs[RESV_EXEC_RESTART_CONTENDED]);

	sim_bo_put(batch);
	sim_bo_put(data);
	sim_bo_put(shared);
	sim_vm_destroy(c.vm);
	resv_mm_destroy(mm);
	sim_context_put(c.ctx);
	sim_device_destroy(c.dev);
	printf("%s\n", failures ? "FAILED" : "OK");
	return failures ? 1 : 0;
}
