/* SPDX-License-Identifier: MIT */
/*
 * The checker of exercise 10: a simulated GPU with two engines. 64 rounds,
 * submitted back to back without waiting: in round k a producer batch on
 * engine 0 fills a DATA buffer with the value 0x1000 + k, and a consumer
 * batch on engine 1 copies DATA into slot k of a RESULT buffer. Nothing
 * but the buffers' reservations orders the two engines: the consumer must
 * wait for its producer (read after write), and the next producer must
 * wait for the consumer (write after read). To make a missing wait show
 * up whatever the machine, even rounds' producers and odd rounds'
 * consumers start with a 3 ms delay.
 *
 * Injected: ww deadlocks (one lock in ten, seeded: drm_exec must retry)
 * and, on every seventh submission, a failure of its 1st, 2nd or 3rd
 * allocation (the job; or, with buffers locked already, the fence table
 * of a fresh buffer added to that submission): -ENOMEM, and the
 * submission must leave nothing locked and nothing queued; the checker
 * submits it again.
 *
 * Checks: every slot of RESULT holds its round's value; every job's fence
 * signalled without error; failed submissions queued nothing and hold no
 * lock; no validator report.
 *
 * Seeded: RESV_SEED (default 1), printed on failure. Exit 0 when all holds.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sim/batch.h>
#include <sim/device.h>
#include <sim/pt.h>

#include "task.h"

#define ROUNDS 64
#define SLOT 64				/* bytes copied per round */
#define PAGE SIM_PAGE_SIZE
#define DATA_VA 0x100000ull
#define RESULT_VA 0x200000ull
#define BATCH_VA 0x1000000ull		/* one page per batch, 2 per round */
#define DELAY_US 3000

static atomic_uint reports;

static void count_report(const struct resv_report *r, void *arg)
{
	(void)arg;
	fprintf(stderr, "report: %s\n", r->detail ? r->detail : "?");
	atomic_fetch_add(&reports, 1);
}

static int create_mapped(struct sim_device *dev, struct sim_pt *pt, uint64_t va, uint64_t size,
			 struct sim_bo **out)
{
	int ret = sim_bo_create(dev, size, SIM_PL_MASK_SYSTEM, SIM_PL_SYSTEM, NULL, out);

	if (ret)
		return ret;
	ret = dma_resv_lock((*out)->base.resv, NULL);
	if (ret)
		return ret;
	ret = sim_pt_map(pt, va, size, *out, 0, 0);
	dma_resv_unlock((*out)->base.resv);
	return ret;
}

/* Batch @i (page @i of @batch): producer of round i / 2, or its consumer. */
static int write_batch(struct sim_bo *batch, unsigned int i, uint32_t *len)
{
	uint32_t dw[64];
	struct sim_batch b;
	unsigned int k = i / 2;
	bool producer = !(i % 2);
	int ret;

	sim_batch_init(&b, dw, 64);
	if (producer ? !(k % 2) : (k % 2))
		sim_batch_delay(&b, DELAY_US);
	if (producer)
		sim_batch_fill(&b, DATA_VA, 0x1000 + k, SLOT);
	else
		sim_batch_copy(&b, RESULT_VA + (uint64_t)k * SLOT, DATA_VA, SLOT);
	sim_batch_end(&b);
	if (sim_batch_error(&b))
		return sim_batch_error(&b);
	*len = (uint32_t)sim_batch_bytes(&b);
	ret = dma_resv_lock(batch->base.resv, NULL);
	if (ret)
		return ret;
	ret = sim_bo_write(batch, (uint64_t)i * PAGE, dw, *len);
	dma_resv_unlock(batch->base.resv);
	return ret;
}

static bool holds_any(struct sim_bo **bos, int n)
{
	for (int i = 0; i < n; i++)
		if (dma_resv_held(bos[i]->base.resv))
			return true;
	return false;
}

int main(void)
{
	const char *env = getenv("RESV_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 1;
	struct resv_ww_inject inject = { .mode = RESV_WW_INJECT_RANDOM, .per_million = 100000,
					 .seed = seed };
	struct resv_ww_inject off = { .mode = RESV_WW_INJECT_OFF };
	struct dma_fence *fences[2 * ROUNDS] = { 0 };
	uint32_t len[2 * ROUNDS], result[ROUNDS * SLOT / 4];
	struct sim_device *dev;
	struct sim_context *ctx;
	struct sim_pt *pt;
	struct sim_bo *data, *res, *batch, *all[3], *scratch[2 * ROUNDS / 7 + 1];
	unsigned int nscratch = 0;
	struct sim_device_stats st0, st1;
	unsigned int nomem_sites = 0;
	unsigned long nomem = 0, failed_ok = 0, bad = 0, wrong = 0, submissions = 0;
	char first[200] = "";

	resv_report_set_hook(count_report, NULL);
	if (sim_device_create(NULL, &dev) || sim_context_create(dev, &ctx) ||
	    sim_pt_create(dev, &pt) || create_mapped(dev, pt, DATA_VA, PAGE, &data) ||
	    create_mapped(dev, pt, RESULT_VA, PAGE, &res) ||
	    create_mapped(dev, pt, BATCH_VA, 2 * ROUNDS * PAGE, &batch)) {
		printf("setup failed\n");
		return 1;
	}
	all[0] = data;
	all[1] = res;
	all[2] = batch;
	for (unsigned int i = 0; i < 2 * ROUNDS; i++)
		if (write_batch(batch, i, &len[i])) {
			printf("setup: cannot write batch %u\n", i);
			return 1;
		}
	if (resv_ww_class_set_inject(&reservation_ww_class, &inject))
		return 1;

	for (unsigned int i = 0; i < 2 * ROUNDS && !first[0]; i++) {
		bool producer = !(i % 2);
		struct course_buf bufs[4] = {
			{ batch, false },
			{ data, producer },
			{ res, true },
		};
		struct course_submit s = {
			.engine = sim_device_engine(dev, producer ? 0 : 1),
			.ctx = ctx, .pt = pt,
			.batch_va = BATCH_VA + (uint64_t)i * PAGE, .batch_len = len[i],
			.bufs = bufs, .n = producer ? 2 : 3,
		};
		int ret;

		if (++submissions % 7 == 0) {
			/*
			 * A different site each time: the job (1st allocation),
			 * or, with some buffers locked already, the fence table
			 * of a fresh buffer added to this submission.
			 */
			unsigned long nth = 1 + (submissions / 7) % 3;
			struct resv_alloc_stats a0, a1;

			if (sim_bo_create(dev, PAGE, SIM_PL_MASK_SYSTEM, SIM_PL_SYSTEM, NULL,
					  &scratch[nscratch])) {
				snprintf(first, sizeof(first), "cannot create a buffer");
				break;
			}
			bufs[s.n++] = (struct course_buf){ scratch[nscratch++], false };

			sim_device_get_stats(dev, &st0);
			resv_alloc_get_stats(&a0);
			resv_alloc_fail_nth(nth);
			ret = course_execbuf(&s, &fences[i]);
			resv_alloc_fail_nth(0);
			resv_alloc_get_stats(&a1);
			sim_device_get_stats(dev, &st1);
			if (a1.injected_failures == a0.injected_failures && !ret)
				continue;	/* fewer allocations than that: it went through */
			if (ret != -ENOMEM) {
				snprintf(first, sizeof(first), "submission %u: an allocation failed "
					 "but course_execbuf() returned %d", i, ret);
				if (!ret)
					dma_fence_put(fences[i]);
				fences[i] = NULL;
				break;
			}
			if (st1.jobs != st0.jobs || holds_any(all, 3) ||
			    dma_resv_held(scratch[nscratch - 1]->base.resv)) {
				snprintf(first, sizeof(first), "submission %u: failed with -ENOMEM "
					 "but queued a job or kept a lock", i);
				break;
			}
			nomem++;
			nomem_sites |= 1u << nth;
		}
		ret = course_execbuf(&s, &fences[i]);
		if (ret) {
			snprintf(first, sizeof(first), "submission %u: course_execbuf() returned %d",
				 i, ret);
			fences[i] = NULL;
		} else if (holds_any(all, 3)) {
			snprintf(first, sizeof(first), "submission %u: a lock is still held", i);
		}
	}
	if (resv_ww_class_set_inject(&reservation_ww_class, &off))
		bad++;

	/* Wait for every job, then read what the GPU wrote. */
	for (unsigned int i = 0; i < 2 * ROUNDS; i++) {
		if (!fences[i])
			continue;
		if (dma_fence_wait(fences[i], false) || dma_fence_get_status(fences[i]) != 1) {
			if (!first[0])
				snprintf(first, sizeof(first), "job %u failed: fence status %d", i,
					 dma_fence_get_status(fences[i]));
		} else {
			failed_ok++;
		}
		dma_fence_put(fences[i]);
	}
	if (!first[0]) {
		int ret = dma_resv_lock(res->base.resv, NULL);

		if (!ret) {
			ret = sim_bo_read(res, 0, result, sizeof(result));
			dma_resv_unlock(res->base.resv);
		}
		if (ret)
			snprintf(first, sizeof(first), "cannot read RESULT: %d", ret);
		for (unsigned int k = 0; !ret && k < ROUNDS; k++)
			for (unsigned int w = 0; w < SLOT / 4; w++)
				if (result[k * SLOT / 4 + w] != 0x1000 + k) {
					if (!wrong++)
						snprintf(first, sizeof(first), "round %u: RESULT reads "
							 "0x%x, expected 0x%x (%s)", k,
							 result[k * SLOT / 4 + w], 0x1000 + k,
							 k % 2 ? "a producer overwrote DATA before "
							 "its reader read it" : "the consumer ran "
							 "before its producer");
				}
	}
	if (first[0]) {
		printf("%s\n", first);
		bad++;
	}
	if (!bad && atomic_load(&reports)) {
		printf("%u validator report(s)\n", atomic_load(&reports));
		bad++;
	}
	if (!bad && !(nomem_sites & (1u << 1) && nomem_sites & ~(1u << 1))) {
		printf("allocation failures were not exercised both before and after "
		       "locking (sites 0x%x)\n", nomem_sites);
		bad++;
	}
	if (bad) {
		printf("FAILED (RESV_SEED=%llu)\n", (unsigned long long)seed);
		return 1;
	}
	sim_bo_put(data);
	sim_bo_put(res);
	sim_bo_put(batch);
	for (unsigned int i = 0; i < nscratch; i++)
		sim_bo_put(scratch[i]);
	sim_pt_put(pt);
	sim_context_put(ctx);
	sim_device_destroy(dev);
	printf("%d rounds: every consumer read its producer's value, no producer overwrote "
	       "unread data; %lu jobs signalled without error; %lu -ENOMEM handled\n", ROUNDS,
	       failed_ok, nomem);
	return 0;
}
