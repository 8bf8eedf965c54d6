/* SPDX-License-Identifier: MIT */
/* Monotonic time in nanoseconds, the unit of every libresv timeout. */
#ifndef RESV_INTERNAL_TIME_H
#define RESV_INTERNAL_TIME_H

#include <stdint.h>
#include <time.h>

static inline int64_t resv__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif /* RESV_INTERNAL_TIME_H */
