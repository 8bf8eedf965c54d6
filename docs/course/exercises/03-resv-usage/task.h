/* SPDX-License-Identifier: MIT */
/* Exercise 03 (docs/course/03-dma-resv.md): choose dma_resv usages. */
#ifndef COURSE_03_TASK_H
#define COURSE_03_TASK_H

#include <resv/dma-resv.h>

/*
 * The jobs that touch one buffer:
 * @JOB_MOVE: the kernel moves the buffer to other memory (copies it and
 *	frees the old copy): nobody may touch it while that runs, and it may
 *	not start while anybody still uses the old copy
 * @JOB_WRITE: an implicitly synchronised write (a render job that fills the
 *	buffer; userspace relies on the kernel to order it)
 * @JOB_READ: an implicitly synchronised read (a compositor sampling it);
 *	reads do not disturb each other
 * @JOB_EXPLICIT: explicitly synchronised work (userspace orders it with
 *	syncobjs of its own, in a part of the buffer the implicit jobs never
 *	touch): implicit jobs must not wait for it, but it lives in the
 *	buffer's memory, so it must not overlap a move
 */
enum job_kind { JOB_MOVE, JOB_WRITE, JOB_READ, JOB_EXPLICIT };

/*
 * job_publish_usage() - the usage a job's fence is added to the buffer with
 * job_wait_usage() - the usage a new job queries: it waits for every fence
 *	already on the buffer with usage <= the answer
 *
 * Together they must give every job exactly the dependencies it needs:
 * everything it must run after, and nothing it need not wait for.
 */
enum dma_resv_usage job_publish_usage(enum job_kind kind);
enum dma_resv_usage job_wait_usage(enum job_kind kind);

#endif
