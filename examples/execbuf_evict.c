/* SPDX-License-Identifier: MIT */
/*
 * execbuf_evict: the i915-style execbuf of the simulated GPU
 * (<sim/execbuf.h>) with more buffer objects than VRAM.
 *
 * A device with 1 MiB of VRAM and two client processes ("files"), each
 * with four 256 KiB buffer objects that must be in VRAM while a batch uses
 * them: 2 MiB of objects for 1 MiB of VRAM. Each client, in its own
 * thread, submits batches that fill one page of two of its objects and
 * count in a third. Every execbuf locks its objects with drm_exec,
 * validates them into VRAM — evicting whatever the other client (or it
 * itself) used least recently, with the exec's ww ticket — binds them in
 * the client's GPU address space, publishes the job's fence and unlocks.
 *
 * Afterwards every object is read back and checked against what the
 * batches wrote, and the counters show the evictions and back-offs that
 * made it work. The first submission also shows a relocation: the batch
 * names its target by handle, the kernel writes the address.
 *
 * It exits 0 when every word is right, 1 otherwise.
 * Build: part of the libresv build (examples/); run: ./execbuf_evict
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <resv/resv.h>

#include <sim/batch.h>
#include <sim/device.h>
#include <sim/execbuf.h>
#include <sim/file.h>

#define PAGE SIM_PAGE_SIZE
#define NBOS 4
#define BO_PAGES 64			/* 256 KiB */
#define ROUNDS 400
#define DATA_VA 0x1000000ull		/* objects softpinned from here */
#define BATCH_VA 0x100000ull

struct client {
	struct sim_device *dev;
	struct sim_file *file;
	unsigned int id;
	uint32_t bo[NBOS], batch[4];
	uint32_t expect[NBOS][BO_PAGES];	/* first word of each page */
	int err;
};

static uint64_t bo_va(unsigned int i)
{
	return DATA_VA + (uint64_t)i * BO_PAGES * PAGE;
}

/* One batch: fill a page of @a and of @b, count in the last page of @c. */
static int submit(struct client *c, unsigned int round, struct dma_fence **fence)
{
	unsigned int a = round % NBOS, b = (round + 1) % NBOS, n = (round + 2) % NBOS;
	unsigned int page = (round * 7 + c->id) % (BO_PAGES - 1), slot = round % 4;
	uint32_t value = (c->id + 1) << 24 | round, words[32];
	struct sim_execbuf_object objs[4];
	struct sim_batch batch;
	int ret;

	sim_batch_init(&batch, words, 32);
	sim_batch_fill(&batch, bo_va(a) + (uint64_t)page * PAGE, value, 256);
	sim_batch_fill(&batch, bo_va(b) + (uint64_t)page * PAGE, ~value, 256);
	sim_batch_atomic_add(&batch, bo_va(n) + (BO_PAGES - 1) * PAGE, 1);
	sim_batch_end(&batch);
	/* Batch objects rotate; pwrite waits until the GPU is done with one. */
	ret = sim_gem_pwrite(c->file, c->batch[slot], 0, words, sim_batch_bytes(&batch));
	if (ret)
		return ret;
	for (unsigned int i = 0; i < 3; i++) {
		unsigned int which = i == 0 ? a : i == 1 ? b : n;

		objs[i] = (struct sim_execbuf_object){
			.handle = c->bo[which],
			.flags = SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED |
				 SIM_EXEC_OBJECT_NEEDS_VRAM,
			.offset = bo_va(which),
		};
	}
	objs[3] = (struct sim_execbuf_object){
		.handle = c->batch[slot], .flags = SIM_EXEC_OBJECT_PINNED,
		.offset = BATCH_VA + (uint64_t)slot * PAGE,
	};
	struct sim_execbuf args = {
		.objects = objs, .count = 4, .batch_index = 3, .engine = c->id,
		.flags = SIM_EXECBUF_FENCE_OUT,
	};
	ret = sim_execbuf(c->file, &args, fence);
	if (!ret) {
		c->expect[a][page] = value;
		c->expect[b][page] = ~value;
	}
	return ret;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct dma_fence *last = NULL;

	for (unsigned int r = 0; r < ROUNDS && !c->err; r++) {
		struct dma_fence *fence = NULL;

		c->err = submit(c, r, &fence);
		dma_fence_put(last);
		last = fence;
	}
	if (last) {
		dma_fence_wait(last, false);
		if (dma_fence_get_status(last) != 1)
			c->err = dma_fence_get_status(last);
		dma_fence_put(last);
	}
	return NULL;
}

/* A relocation: the batch stores through an address the kernel fills in. */
static int relocation_demo(struct client *c)
{
	uint32_t words[8], target, batch, v = 0;
	struct dma_fence *fence = NULL;
	struct sim_batch b;
	int ret;

	if (sim_gem_create(c->file, PAGE, SIM_PL_MASK_ALL, &target) ||
	    sim_gem_create(c->file, PAGE, SIM_PL_MASK_ALL, &batch))
		return -1;
	sim_batch_init(&b, words, 8);
	sim_batch_store_dw(&b, 0, 0xc0ffee);	/* address 0: relocated below */
	sim_batch_end(&b);
	if (sim_gem_pwrite(c->file, batch, 0, words, sim_batch_bytes(&b)))
		return -1;
	struct sim_reloc reloc = { .offset = 4, .target_handle = target, .delta = 16 };
	struct sim_execbuf_object objs[] = {
		{ .handle = target, .flags = SIM_EXEC_OBJECT_WRITE },	/* kernel picks */
		{ .handle = batch, .relocation_count = 1, .relocs = &reloc },
	};
	struct sim_execbuf args = { .objects = objs, .count = 2, .batch_index = 1,
				    .flags = SIM_EXECBUF_FENCE_OUT };

	ret = sim_execbuf(c->file, &args, &fence);
	if (ret)
		return ret;
	dma_fence_wait(fence, false);
	dma_fence_put(fence);
	ret = sim_gem_pread(c->file, target, 16, &v, 4);
	printf("relocation: target bound at %#" PRIx64 " by the kernel, the batch "
	       "stored %#x at +16\n", objs[0].offset, v);
	sim_gem_close(c->file, target);
	sim_gem_close(c->file, batch);
	return ret || v != 0xc0ffee ? -1 : 0;
}

int main(void)
{
	struct sim_device_config cfg = { .vram_size = 1u << 20, .num_engines = 2 };
	struct client clients[2];
	struct sim_execbuf_stats st;
	struct sim_device *dev;
	pthread_t th[2];
	int bad = 0;

	if (sim_device_create(&cfg, &dev))
		return 1;
	memset(clients, 0, sizeof(clients));
	for (unsigned int i = 0; i < 2; i++) {
		struct client *c = &clients[i];

		c->dev = dev;
		c->id = i;
		if (sim_file_create(dev, &c->file))
			return 1;
		for (int j = 0; j < NBOS; j++)
			if (sim_gem_create(c->file, BO_PAGES * PAGE, SIM_PL_MASK_ALL, &c->bo[j]))
				return 1;
		for (int j = 0; j < 4; j++)
			if (sim_gem_create(c->file, PAGE, SIM_PL_MASK_SYSTEM, &c->batch[j]))
				return 1;
	}
	if (relocation_demo(&clients[0]))
		bad = 1;

	for (unsigned int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, client_main, &clients[i]);
	for (unsigned int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);

	for (unsigned int i = 0; i < 2; i++) {
		struct client *c = &clients[i];

		if (c->err) {
			printf("client %u: error %d\n", i, c->err);
			bad = 1;
			continue;
		}
		for (int j = 0; j < NBOS; j++) {
			uint32_t count = 0;

			for (int p = 0; p < BO_PAGES - 1; p++) {
				uint32_t v = 0;

				sim_gem_pread(c->file, c->bo[j], (uint64_t)p * PAGE, &v, 4);
				if (v != c->expect[j][p]) {
					printf("client %u object %d page %d: %#x, expected %#x\n", i,
					       j, p, v, c->expect[j][p]);
					bad = 1;
				}
			}
			/* Each object is the counter of one round in four. */
			sim_gem_pread(c->file, c->bo[j], (BO_PAGES - 1) * PAGE, &count, 4);
			if (count != ROUNDS / NBOS) {
				printf("client %u object %d: count %u, expected %u\n", i, j, count,
				       ROUNDS / NBOS);
				bad = 1;
			}
		}
	}
	sim_execbuf_device_stats(dev, &st);
	printf("%" PRIu64 " submissions with 2 MiB of objects in 1 MiB of VRAM: %" PRIu64
	       " evictions, %" PRIu64 " rebinds after moves, back-offs: %" PRIu64
	       " contended, %" PRIu64 " injected\n",
	       st.submissions, st.evictions, st.rebinds, st.backoffs[RESV_EXEC_RESTART_CONTENDED],
	       st.backoffs[RESV_EXEC_RESTART_INJECTED]);
	if (!st.evictions)
		bad = 1;	/* the point of the example */
	for (unsigned int i = 0; i < 2; i++)
		sim_file_destroy(clients[i].file);
	sim_device_destroy(dev);
	printf("%s\n", bad ? "FAILED" : "every word checked: OK");
	return bad;
}
