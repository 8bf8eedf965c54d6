/* SPDX-License-Identifier: MIT */
/*
 * Restart reasons: requested restarts in both loop forms, bad requests,
 * names, and ww deadlock injection — told apart from real contention,
 * counted, and never keeping a loop from terminating.
 */
#include "exec_test.h"

static void assert_nothing_locked(struct et_bos *set)
{
	et_assert_baseline(set);
}

void test_drm_exec_restart_userptr_stale(void **state)
{
	struct et_bos set;
	struct drm_exec exec;
	int ret = 0, runs = 0;

	et_bos_init(&set, 2, NULL);
	drm_exec_init(&exec, 0, 0);
	while (resv_exec_begin(&exec)) {
		runs++;
		/* No lock survives a restart. */
		assert_int_equal(exec.num_objects, 0);
		if (runs == 2)
			assert_nothing_locked(&set);

		ret = drm_exec_prepare_array(&exec, set.obj, set.n, 1);
		if (resv_exec_restart_on(&exec, ret))
			continue;
		if (ret)
			break;
		if (runs == 1) {
			/* The pages went stale while we locked: start over. */
			assert_int_equal(resv_exec_restart(&exec, RESV_EXEC_RESTART_USERPTR_STALE), 0);
			assert_true(drm_exec_is_contended(&exec));
			/* A second request keeps the first reason. */
			assert_int_equal(resv_exec_restart(&exec, RESV_EXEC_RESTART_ENOMEM_RETRY), 0);
			assert_true(resv_exec_restart_on(&exec, 0));
			continue;
		}
	}
	assert_int_equal(ret, 0);
	assert_int_equal(runs, 2);
	et_assert_table(&exec, set.obj, 2);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_USERPTR_STALE), 1);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_ENOMEM_RETRY), 0);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_CONTENDED), 0);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_NONE), 1);
	assert_int_equal(resv_exec_last_restart(&exec), RESV_EXEC_RESTART_USERPTR_STALE);
	assert_int_equal(exec.restarts[RESV_EXEC_RESTART_USERPTR_STALE], 1);
	drm_exec_fini(&exec);
	assert_nothing_locked(&set);
	et_bos_fini(&set);
}

/* drm_exec_retry_on_contention() honours requested restarts; the GNU form counts too. */
void test_drm_exec_restart_gnu_form(void **state)
{
	struct et_bos set;
	struct drm_exec exec;
	int ret, runs = 0;

	et_bos_init(&set, 3, NULL);
	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
	drm_exec_until_all_locked(&exec) {
		runs++;
		assert_int_equal(exec.num_objects, 0);
		ret = drm_exec_prepare_array(&exec, set.obj, set.n, 1);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
		if (runs == 1)
			assert_int_equal(resv_exec_restart(&exec, RESV_EXEC_RESTART_USERPTR_STALE), 0);
		else if (runs == 2)
			/* Without an exclusive lock bound: a plain restart. */
			assert_int_equal(resv_exec_restart(&exec, RESV_EXEC_RESTART_ENOMEM_RETRY), 0);
		drm_exec_retry_on_contention(&exec);
		assert_false(resv_exec_is_exclusive(&exec));
	}
	assert_int_equal(runs, 3);
	et_assert_table(&exec, set.obj, 3);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_USERPTR_STALE), 1);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_ENOMEM_RETRY), 1);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_NONE), 2);
	assert_int_equal(resv_exec_last_restart(&exec), RESV_EXEC_RESTART_ENOMEM_RETRY);
	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

void test_drm_exec_restart_einval(void **state)
{
	struct et_bos set;
	struct drm_exec exec;
	int ret, runs = 0;

	et_bos_init(&set, 1, NULL);
	drm_exec_init(&exec, 0, 0);
	/* Not inside the loop yet. */
	assert_int_equal(resv_exec_restart(&exec, RESV_EXEC_RESTART_USERPTR_STALE), -EINVAL);
	assert_int_equal(resv_exec_restart(NULL, RESV_EXEC_RESTART_USERPTR_STALE), -EINVAL);
	drm_exec_until_all_locked(&exec) {
		runs++;
		ret = drm_exec_lock_obj(&exec, et_obj(&set, 0));
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
		assert_int_equal(resv_exec_restart(&exec, RESV_EXEC_RESTART_NONE), -EINVAL);
		assert_int_equal(resv_exec_restart(&exec, RESV_EXEC_RESTART_NR), -EINVAL);
		assert_int_equal(resv_exec_restart(&exec, (enum resv_exec_restart_reason)-1),
				 -EINVAL);
		assert_false(drm_exec_is_contended(&exec));
		/* Errors that are not restarts stay the caller's. */
		assert_false(resv_exec_restart_on(&exec, -EINTR));
		assert_false(resv_exec_restart_on(&exec, -ENOMEM));
		assert_false(resv_exec_restart_on(&exec, 0));
	}
	assert_int_equal(runs, 1);
	/* The loop is over. */
	assert_int_equal(resv_exec_restart(&exec, RESV_EXEC_RESTART_USERPTR_STALE), -EINVAL);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_NONE), 0);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_NR), 0);
	assert_int_equal(resv_exec_restart_count(&exec, (enum resv_exec_restart_reason)-1), 0);
	et_assert_table(&exec, set.obj, 1);
	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

void test_drm_exec_restart_reason_names(void **state)
{
	assert_string_equal(resv_exec_restart_reason_name(RESV_EXEC_RESTART_NONE), "none");
	assert_string_equal(resv_exec_restart_reason_name(RESV_EXEC_RESTART_CONTENDED),
			    "contended");
	assert_string_equal(resv_exec_restart_reason_name(RESV_EXEC_RESTART_INJECTED), "injected");
	assert_string_equal(resv_exec_restart_reason_name(RESV_EXEC_RESTART_ENOMEM_RETRY),
			    "enomem_retry");
	assert_string_equal(resv_exec_restart_reason_name(RESV_EXEC_RESTART_USERPTR_STALE),
			    "userptr_stale");
	assert_string_equal(resv_exec_restart_reason_name(RESV_EXEC_RESTART_NR), "unknown");
	assert_string_equal(resv_exec_restart_reason_name((enum resv_exec_restart_reason)77),
			    "unknown");
}

/*
 * The first eligible acquire of the class (the second lock of a context)
 * fails once: the loop restarts with the injected object slow-locked first.
 */
void test_drm_exec_inject_nth_counted(void **state)
{
	struct drm_gem_object *expect[4];
	struct et_bos set;
	struct drm_exec exec;
	unsigned int i;
	int ret, runs = 0, deadlk = 0;

	et_bos_init(&set, 4, NULL);
	et_inject(RESV_WW_INJECT_NTH, 1, 0, 0, 0);
	drm_exec_init(&exec, 0, 0);
	while (resv_exec_begin(&exec)) {
		runs++;
		for (i = 0; i < set.n; i++) {
			ret = drm_exec_lock_obj(&exec, et_obj(&set, i));
			if (ret == -EDEADLK)
				deadlk++;
			if (resv_exec_restart_on(&exec, ret))
				break;
			assert_int_equal(ret, 0);
		}
	}
	assert_int_equal(runs, 2);
	assert_int_equal(deadlk, 1);
	expect[0] = et_obj(&set, 1);
	expect[1] = et_obj(&set, 0);
	expect[2] = et_obj(&set, 2);
	expect[3] = et_obj(&set, 3);
	et_assert_table(&exec, expect, 4);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_INJECTED), 1);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_CONTENDED), 0);
	assert_int_equal(resv_exec_last_restart(&exec), RESV_EXEC_RESTART_INJECTED);
	assert_int_equal(exec.ticket.stats.injected, 1);
	assert_int_equal(exec.ticket.stats.deadlocks, 0);
	drm_exec_fini(&exec);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

#define INJ_OBJS 17 /* > 16: the kernel's SLOWPATH countdown (stamp & 0xf) always fires */
#define INJ_LOOPS 200

static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void shuffle(struct drm_gem_object **objs, unsigned int n, uint64_t *rng)
{
	unsigned int i, j;
	struct drm_gem_object *t;

	for (i = n - 1; i > 0; i--) {
		j = (unsigned int)(next_rand(rng) % (i + 1));
		t = objs[i];
		objs[i] = objs[j];
		objs[j] = t;
	}
}

/*
 * One loop over @order, GNU form or portable form. Checks the table: every
 * object once, the last contended object first after a restart, then the
 * others in @order.
 */
static uint64_t run_injected_loop(struct et_bos *set, struct drm_gem_object **order, bool gnu)
{
	struct drm_gem_object *contended = NULL, *expect[INJ_OBJS];
	struct drm_exec exec;
	uint64_t restarts, injected;
	unsigned int i, k;
	int ret = 0;

	drm_exec_init(&exec, gnu ? DRM_EXEC_INTERRUPTIBLE_WAIT : 0, 0);
	if (gnu) {
		drm_exec_until_all_locked(&exec) {
			if (resv_exec_restart_count(&exec, RESV_EXEC_RESTART_NONE) > ET_MAX_RESTARTS)
				break;
			for (i = 0; i < set->n; i++) {
				ret = drm_exec_lock_obj(&exec, order[i]);
				if (ret == -EDEADLK)
					contended = order[i];
				drm_exec_retry_on_contention(&exec);
				assert_int_equal(ret, 0);
			}
		}
	} else {
		while (resv_exec_begin(&exec)) {
			if (resv_exec_restart_count(&exec, RESV_EXEC_RESTART_NONE) > ET_MAX_RESTARTS)
				break;
			for (i = 0; i < set->n; i++) {
				ret = drm_exec_lock_obj(&exec, order[i]);
				if (ret == -EDEADLK)
					contended = order[i];
				if (resv_exec_restart_on(&exec, ret))
					break;
				assert_int_equal(ret, 0);
			}
		}
	}
	restarts = resv_exec_restart_count(&exec, RESV_EXEC_RESTART_NONE);
	injected = exec.ticket.stats.injected;
	if (restarts > ET_MAX_RESTARTS)
		fail_msg("loop did not terminate (seed %llu)", (unsigned long long)et_seed());

	/* Every restart was an injection, and every injection a restart. */
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_INJECTED), restarts);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_CONTENDED), 0);
	assert_int_equal(injected, restarts);

	k = 0;
	if (contended)
		expect[k++] = contended;
	for (i = 0; i < set->n; i++)
		if (order[i] != contended)
			expect[k++] = order[i];
	et_assert_table(&exec, expect, set->n);
	drm_exec_fini(&exec);
	return restarts;
}

void test_drm_exec_inject_every_loop_terminates(void **state)
{
	struct drm_gem_object *order[INJ_OBJS];
	struct et_bos set;
	uint64_t rng = et_seed(), total = 0, r;
	unsigned int loop, i;

	et_bos_init(&set, INJ_OBJS, NULL);
	for (i = 0; i < INJ_OBJS; i++)
		order[i] = et_obj(&set, i);

	/* The kernel's CONFIG_DEBUG_WW_MUTEX_SLOWPATH scheme. */
	et_inject(RESV_WW_INJECT_SLOWPATH, 0, 0, 0, 0);
	for (loop = 0; loop < INJ_LOOPS; loop++) {
		shuffle(order, INJ_OBJS, &rng);
		r = run_injected_loop(&set, order, loop & 1);
		/* 16 eligible acquires always reach a countdown of at most 15. */
		assert_true(r >= 1);
		total += r;
	}
	et_assert_baseline(&set);

	/* Random, 10% per eligible acquire, seeded. */
	et_inject(RESV_WW_INJECT_RANDOM, 0, 0, 100000, et_seed());
	for (loop = 0; loop < INJ_LOOPS; loop++) {
		shuffle(order, INJ_OBJS, &rng);
		total += run_injected_loop(&set, order, loop & 1);
	}
	et_inject_off();
	assert_true(total >= INJ_LOOPS);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

/*
 * Contention met outside drm_exec on the loop's ticket (an eviction victim,
 * as TTM locks them): resv_exec_contended() makes the loop back off exactly
 * as for its own objects — the victim is slow-locked first on the next pass.
 */
struct victim_holder {
	struct drm_gem_object *obj;
	struct et_event held, release;
};

static void *victim_holder_fn(void *arg)
{
	struct victim_holder *h = arg;
	struct ww_acquire_ctx ctx;	/* older than the loop's ticket */

	ww_acquire_init(&ctx, &reservation_ww_class);
	if (dma_resv_lock(h->obj->resv, &ctx) == 0) {
		et_event_fire(&h->held);
		(void)et_event_wait(&h->release);
		et_msleep(ET_SETTLE_MS);	/* let the loop reach its slow lock */
		dma_resv_unlock(h->obj->resv);
	}
	ww_acquire_fini(&ctx);
	return NULL;
}

void test_drm_exec_contended_from_outside(void **state)
{
	struct et_bos set;
	struct victim_holder h;
	struct drm_exec exec;
	struct drm_gem_object *x, *y;
	int ret = 0, runs = 0;
	pthread_t t;

	et_inject_off();
	et_bos_init(&set, 2, NULL);
	x = et_obj(&set, 0);
	y = et_obj(&set, 1);
	h.obj = x;
	et_event_init(&h.held);
	et_event_init(&h.release);
	t = et_spawn(victim_holder_fn, &h);
	et_event_expect(&h.held, "victim holder");

	drm_exec_init(&exec, 0, 0);
	/* Not in a loop yet: refused, nothing changed. */
	assert_int_equal(resv_exec_contended(&exec, x, false), -EINVAL);
	while (resv_exec_begin(&exec)) {
		runs++;
		assert_int_equal(resv_exec_contended(&exec, NULL, false), -EINVAL);
		ret = drm_exec_lock_obj(&exec, y);
		if (resv_exec_restart_on(&exec, ret))
			continue;
		if (ret)
			break;
		if (runs == 1) {
			/* Younger ticket, older holder: Wait-Die says die. */
			ret = dma_resv_lock(x->resv, &exec.ticket);
			assert_int_equal(ret, -EDEADLK);
			assert_int_equal(resv_exec_contended(&exec, x, false), -EDEADLK);
			/* One pending object at a time. */
			assert_int_equal(resv_exec_contended(&exec, y, false), -EINVAL);
			et_event_fire(&h.release);
			assert_true(resv_exec_restart_on(&exec, -EDEADLK));
			continue;
		}
		/* Slow-locked first by the restart: tracked, nothing to do. */
		ret = drm_exec_lock_obj(&exec, x);
		if (resv_exec_restart_on(&exec, ret))
			continue;
		if (ret)
			break;
	}
	et_join(t, "victim holder");
	assert_int_equal(ret, 0);
	assert_int_equal(runs, 2);
	{
		struct drm_gem_object *order[] = { x, y };

		et_assert_table(&exec, order, 2);
	}
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_CONTENDED), 1);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_NONE), 1);
	drm_exec_fini(&exec);
	et_event_destroy(&h.held);
	et_event_destroy(&h.release);
	assert_nothing_locked(&set);
	et_bos_fini(&set);
}
