/* SPDX-License-Identifier: MIT */
/*
 * Pressure from outside the clients, on one thread: userptr invalidations
 * (page migration of a client's userptr range: the data stays, the pages
 * change, so the next submission using it must snapshot again) and the
 * shrinker (reclaim evicting VRAM without blocking on reservations). Both
 * run at a steady rate, each on its own schedule.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sim/trace.h>

#include "resv-sim.h"

struct rs_pressure {
	struct rs_world *w;
	pthread_t thread;
	uint64_t rng;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t period_ns(double rate)
{
	return rate > 0 ? (int64_t)(1e9 / rate) : INT64_MAX;
}

static void invalidate_one(struct rs_pressure *p)
{
	struct rs_world *w = p->w;
	unsigned int c = (unsigned int)(rs_rand(&p->rng) % w->opt.clients);
	int ret = resv_mm_migrate(w->mm, RS_USERPTR_ADDR(c), RS_USERPTR_BYTES);

	if (ret) {
		rs_fail(w, "migrating the userptr range of client %u failed: %d", c, ret);
		return;
	}
	__atomic_add_fetch(&w->invalidations, 1, __ATOMIC_RELAXED);
	if (sim_trace_enabled()) {
		struct sim_trace_arg args[2] = { { "client", c }, { "bytes", RS_USERPTR_BYTES } };

		sim_trace_instant(SIM_TRACE_SELF, "userptr", "invalidate (migrate)", args, 2);
	}
}

static void shrink_one(struct rs_pressure *p)
{
	struct rs_world *w = p->w;
	uint64_t target = (1 + rs_rand(&p->rng) % 4) * 256 * 1024;
	int64_t start = sim_trace_enabled() ? sim_trace_now() : 0;
	long freed = sim_shrink(w->dev, target);

	__atomic_add_fetch(&w->shrinks, 1, __ATOMIC_RELAXED);
	if (freed > 0)
		__atomic_add_fetch(&w->shrunk_bytes, (uint64_t)freed, __ATOMIC_RELAXED);
	if (start) {
		struct sim_trace_arg args[2] = { { "target", (int64_t)target }, { "freed", freed } };

		sim_trace_complete(SIM_TRACE_SELF, "mem", "shrink", start, sim_trace_now(), args, 2);
	}
}

static void *pressure_main(void *arg)
{
	struct rs_pressure *p = arg;
	struct rs_world *w = p->w;
	int64_t inv_period = period_ns(w->opt.userptr_rate);
	int64_t shrink_period = period_ns(w->opt.shrink_rate);
	int64_t next_inv = now_ns() + inv_period / 2, next_shrink = now_ns() + shrink_period / 2;

	sim_trace_thread_name("pressure: userptr invalidations, shrinker");
	while (!rs_stopping(w)) {
		int64_t now = now_ns(), next = next_inv < next_shrink ? next_inv : next_shrink;
		struct timespec ts;

		if (now < next) {
			/* short naps, so stopping is prompt */
			int64_t nap = next - now < 5000000 ? next - now : 5000000;

			ts.tv_sec = 0;
			ts.tv_nsec = nap;
			nanosleep(&ts, NULL);
			continue;
		}
		if (now >= next_inv) {
			invalidate_one(p);
			next_inv += inv_period;
			if (next_inv < now)	/* fell behind: do not burst */
				next_inv = now + inv_period;
		}
		if (now >= next_shrink) {
			shrink_one(p);
			next_shrink += shrink_period;
			if (next_shrink < now)
				next_shrink = now + shrink_period;
		}
	}
	return NULL;
}

int rs_pressure_start(struct rs_world *w, struct rs_pressure **out)
{
	struct rs_pressure *p;

	*out = NULL;
	if (w->opt.userptr_rate <= 0 && w->opt.shrink_rate <= 0)
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->w = w;
	p->rng = w->opt.seed ^ 0x9e55u;
	if (pthread_create(&p->thread, NULL, pressure_main, p)) {
		free(p);
		return -EAGAIN;
	}
	*out = p;
	return 0;
}

void rs_pressure_stop(struct rs_pressure *p)
{
	if (!p)
		return;
	pthread_join(p->thread, NULL);
	free(p);
}
