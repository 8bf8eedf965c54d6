/* SPDX-License-Identifier: MIT */
/* Exercise 03, solved: the dma_resv usage of each kind of job. */
#include "task.h"

enum dma_resv_usage job_publish_usage(enum job_kind kind)
{
	switch (kind) {
	case JOB_MOVE:
		return DMA_RESV_USAGE_KERNEL;	/* everybody waits for memory management */
	case JOB_WRITE:
		return DMA_RESV_USAGE_WRITE;
	case JOB_READ:
		return DMA_RESV_USAGE_READ;
	case JOB_EXPLICIT:
	default:
		return DMA_RESV_USAGE_BOOKKEEP;	/* only whoever asks for everything */
	}
}

enum dma_resv_usage job_wait_usage(enum job_kind kind)
{
	switch (kind) {
	case JOB_MOVE:
		return DMA_RESV_USAGE_BOOKKEEP;	/* nobody may still use the old copy */
	case JOB_WRITE:
		return dma_resv_usage_rw(true);	/* READ: every read and write */
	case JOB_READ:
		return dma_resv_usage_rw(false);	/* WRITE: the writes */
	case JOB_EXPLICIT:
	default:
		return DMA_RESV_USAGE_KERNEL;	/* the rest is userspace's business */
	}
}
