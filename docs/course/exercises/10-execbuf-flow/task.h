/* SPDX-License-Identifier: MIT */
/* Exercise 10 (docs/course/10-simulated-gpu.md): an execbuf, step by step. */
#ifndef COURSE_10_TASK_H
#define COURSE_10_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include <resv/resv.h>

#include <sim/bo.h>
#include <sim/sched.h>

/*
 * struct course_buf - a buffer the batch uses
 * @bo: the buffer object, mapped in the page table by the checker
 * @write: the batch writes it (else it only reads it)
 */
struct course_buf {
	struct sim_bo *bo;
	bool write;
};

/*
 * struct course_submit - one submission
 * @engine: the engine to run on
 * @ctx: the submitting context
 * @pt: the page table the batch runs in
 * @batch_va: GPU address of the batch
 * @batch_len: its length in bytes
 * @bufs: every buffer the batch touches (the batch's own buffer included),
 *	each once
 * @n: how many
 */
struct course_submit {
	struct sim_engine *engine;
	struct sim_context *ctx;
	struct sim_pt *pt;
	uint64_t batch_va;
	uint32_t batch_len;
	const struct course_buf *bufs;
	unsigned int n;
};

/*
 * course_execbuf() - submit a batch with implicit synchronisation
 * @s: the submission
 * @fence_out: set to a new reference to the job's fence on success
 *
 * The job must run after every earlier job that wrote a buffer it uses,
 * and, for the buffers it writes, after every earlier job that read them;
 * later submissions must find this job the same way. The buffers need no
 * validation (they live in system memory and are mapped already).
 *
 * Context: may sleep; holding no reservation.
 * Return: 0; or a negative errno (-ENOMEM, -EINVAL, -EIO from
 * sim_job_create(); -ENOMEM from locking or the dependencies) with nothing
 * locked, nothing queued and no fence published.
 */
int course_execbuf(const struct course_submit *s, struct dma_fence **fence_out);

#endif
