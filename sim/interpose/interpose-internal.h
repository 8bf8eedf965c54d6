/* SPDX-License-Identifier: MIT */
/*
 * What the two halves of the interposer share: the per-thread re-entry
 * guard and the raw system calls. Private to sim/interpose/.
 *
 * Why a guard: the interposed ioctl()/open()/close() are the only way into
 * the simulator for an unmodified client, but the simulator itself calls
 * close() (its fd registry releases the kept ends of dead objects) and may
 * call other interposed functions. With the interposer in the executable
 * (or preloaded) those calls come back to us; a registry lookup from there
 * would re-take the registry lock the simulator already holds. While a
 * thread is inside the simulator on our behalf, every interposed call it
 * makes goes straight to the kernel.
 */
#ifndef SIM_INTERPOSE_INTERNAL_H
#define SIM_INTERPOSE_INTERNAL_H

#include <stdbool.h>

/* Non-zero while the calling thread runs simulator code for us. */
extern __thread unsigned int sim_interpose_depth __attribute__((visibility("hidden")));

static inline bool sim_interpose_inside(void)
{
	return sim_interpose_depth != 0;
}

static inline void sim_interpose_enter(void)
{
	sim_interpose_depth++;
}

static inline void sim_interpose_leave(void)
{
	sim_interpose_depth--;
}

/* The kernel's ioctl: -1 with errno set on failure, as libc's. */
__attribute__((visibility("hidden"))) int sim_interpose_sys_ioctl(int fd, unsigned long request,
								  void *arg);

/* Is @fd one of the simulator's? Never changes errno; false when inside. */
__attribute__((visibility("hidden"))) bool sim_interpose_is_sim_fd(int fd);

#endif /* SIM_INTERPOSE_INTERNAL_H */
