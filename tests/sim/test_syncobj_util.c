// SPDX-License-Identifier: MIT
/* The helpers of test_syncobj.h. */
#include <time.h>

#include "test_syncobj.h"

int64_t so_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct so_script *so_step(struct so_script *s, enum so_step_kind kind, long delay_ms,
			  struct sim_syncobj *syncobj, struct dma_fence *fence, uint64_t point,
			  int error)
{
	assert_true(s->n < SO_MAX_STEPS);
	s->steps[s->n++] = (struct so_step){
		.kind = kind, .delay_ms = delay_ms, .syncobj = syncobj,
		.fence = fence, .point = point, .error = error,
	};
	return s;
}

static void *script_thread(void *arg)
{
	struct so_script *s = arg;
	unsigned int i;

	for (i = 0; i < s->n; i++) {
		struct so_step *st = &s->steps[i];
		struct timespec ts = { st->delay_ms / 1000, (st->delay_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		switch (st->kind) {
		case SO_SIGNAL:
			if (st->error)
				dma_fence_set_error(st->fence, st->error);
			dma_fence_signal(st->fence);
			break;
		case SO_REPLACE:
			sim_syncobj_replace_fence(st->syncobj, st->fence);
			break;
		case SO_ADD_POINT:
			if (sim_syncobj_add_point(st->syncobj, st->fence, st->point))
				s->failures++;
			break;
		case SO_RESET:
			sim_syncobj_replace_fence(st->syncobj, NULL);
			break;
		}
	}
	return NULL;
}

void so_script_start(struct so_script *s)
{
	s->failures = 0;
	assert_int_equal(pthread_create(&s->thread, NULL, script_thread, s), 0);
}

void so_script_join(struct so_script *s)
{
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	assert_int_equal(s->failures, 0);
}

struct dma_fence *so_peek(struct sim_syncobj *syncobj)
{
	struct dma_fence *fence = sim_syncobj_fence_get(syncobj);

	dma_fence_put(fence);
	return fence;
}

int so_setup(void **state)
{
	struct so_fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->live = st_live_bytes();
	sim_syncobj_table_init(&f->table);
	*state = f;
	return 0;
}

int so_teardown(void **state)
{
	struct so_fixture *f = *state;

	sim_syncobj_table_fini(&f->table);
	assert_int_equal(st_live_bytes(), f->live);
	free(f);
	return 0;
}

uint32_t so_new_handle(struct so_fixture *f, uint32_t flags)
{
	uint32_t h = 0;

	assert_int_equal(sim_syncobj_table_create(&f->table, flags, &h), 0);
	assert_true(h > 0);
	return h;
}

struct dma_fence *so_peek_handle(struct so_fixture *f, uint32_t h)
{
	struct sim_syncobj *s = sim_syncobj_table_lookup(&f->table, h);
	struct dma_fence *fence;

	assert_non_null(s);
	fence = so_peek(s);
	sim_syncobj_put(s);
	return fence;
}
