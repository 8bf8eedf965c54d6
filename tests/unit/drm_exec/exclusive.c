/* SPDX-License-Identifier: MIT */
/*
 * The exclusive retry: after -ENOMEM a bound loop drops everything and runs
 * once more holding the device-wide lock for writing; a second -ENOMEM is
 * returned. Single-threaded with resv_alloc_fail_nth(), then with threads:
 * bound loops share the lock in read mode, and an exclusive retry excludes
 * every other bound loop (proved by event order, not by timing alone).
 */
#include "exec_test.h"

/* The lock is free: nobody holds it in either mode. */
static void assert_exclusive_free(struct resv_exec_exclusive *ex)
{
	assert_int_equal(pthread_rwlock_trywrlock(&ex->lock), 0);
	pthread_rwlock_unlock(&ex->lock);
}

void test_drm_exec_exclusive_api(void **state)
{
	struct resv_exec_exclusive ex;
	struct resv_exec_exclusive_stats st;
	struct et_bos set;
	struct drm_exec exec;
	int ret;

	et_bos_init(&set, 1, NULL);
	assert_int_equal(resv_exec_exclusive_init(&ex), 0);
	resv_exec_exclusive_get_stats(&ex, &st);
	assert_int_equal(st.exclusive_runs, 0);
	assert_int_equal(st.failures, 0);

	drm_exec_init(&exec, 0, 0);
	assert_int_equal(resv_exec_set_exclusive(&exec, &ex), 0);
	assert_int_equal(resv_exec_set_exclusive(&exec, NULL), 0);  /* unbind */
	assert_int_equal(resv_exec_set_exclusive(&exec, &ex), 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_lock_obj(&exec, et_obj(&set, 0));
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
		/* Too late: the lock is held for reading already. */
		assert_int_equal(resv_exec_set_exclusive(&exec, NULL), -EBUSY);
		assert_ptr_equal(exec.exclusive, &ex);
		assert_int_not_equal(pthread_rwlock_trywrlock(&ex.lock), 0);
		assert_false(resv_exec_is_exclusive(&exec));
	}
	assert_false(resv_exec_is_exclusive(&exec));
	drm_exec_fini(&exec);
	assert_exclusive_free(&ex);
	/* After fini the drm_exec may be bound again. */
	assert_int_equal(resv_exec_set_exclusive(&exec, &ex), 0);
	resv_exec_exclusive_fini(&ex);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

#define INL RESV_EXEC_INLINE_OBJECTS

/* Locks @set; in the first, shared run the table growth for object INL fails. */
static int bound_loop(struct et_bos *set, struct resv_exec_exclusive *ex, bool fail_twice,
		      struct drm_exec *exec, int *runs)
{
	unsigned int i;
	int ret = 0;

	drm_exec_init(exec, 0, 0); /* the inline table: object INL needs growth */
	assert_int_equal(resv_exec_set_exclusive(exec, ex), 0);
	while (resv_exec_begin(exec)) {
		(*runs)++;
		/* No lock survives the restart; the mode matches the run. */
		assert_int_equal(exec->num_objects, 0);
		assert_int_equal(resv_exec_is_exclusive(exec), *runs > 1);
		if (*runs > 1)
			assert_int_not_equal(pthread_rwlock_tryrdlock(&ex->lock), 0);
		else
			assert_int_not_equal(pthread_rwlock_trywrlock(&ex->lock), 0);
		for (i = 0; i < set->n; i++) {
			if (i == INL && (*runs == 1 || fail_twice))
				resv_alloc_fail_nth(1);
			ret = drm_exec_lock_obj(exec, et_obj(set, i));
			resv_alloc_fail_nth(0);
			if (resv_exec_restart_on(exec, ret))
				break;
			if (ret)
				return ret;
		}
	}
	return ret;
}

void test_drm_exec_exclusive_retry_alloc_fail(void **state)
{
	struct resv_exec_exclusive ex;
	struct resv_exec_exclusive_stats st;
	struct et_bos set;
	struct drm_exec exec;
	int runs = 0;

	et_bos_init(&set, INL + 4, NULL);
	assert_int_equal(resv_exec_exclusive_init(&ex), 0);
	assert_int_equal(bound_loop(&set, &ex, false, &exec, &runs), 0);
	assert_int_equal(runs, 2);
	et_assert_table(&exec, set.obj, set.n);
	assert_true(resv_exec_is_exclusive(&exec));
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_ENOMEM_RETRY), 1);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_NONE), 1);
	assert_int_equal(resv_exec_last_restart(&exec), RESV_EXEC_RESTART_ENOMEM_RETRY);
	drm_exec_fini(&exec);
	assert_false(resv_exec_is_exclusive(&exec));
	assert_exclusive_free(&ex);
	resv_exec_exclusive_get_stats(&ex, &st);
	assert_int_equal(st.exclusive_runs, 1);
	assert_int_equal(st.failures, 0);
	resv_exec_exclusive_fini(&ex);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

void test_drm_exec_exclusive_second_enomem(void **state)
{
	struct resv_exec_exclusive ex;
	struct resv_exec_exclusive_stats st;
	struct et_bos set;
	struct drm_exec exec;
	int runs = 0;

	et_bos_init(&set, INL + 4, NULL);
	assert_int_equal(resv_exec_exclusive_init(&ex), 0);
	assert_int_equal(bound_loop(&set, &ex, true, &exec, &runs), -ENOMEM);
	assert_int_equal(runs, 2);
	/* The failed lock changed nothing: objects before INL stay locked. */
	et_assert_table(&exec, set.obj, INL);
	assert_false(dma_resv_is_locked(et_obj(&set, INL)->resv));
	drm_exec_fini(&exec);
	assert_exclusive_free(&ex);
	resv_exec_exclusive_get_stats(&ex, &st);
	assert_int_equal(st.exclusive_runs, 1);
	assert_int_equal(st.failures, 1);
	resv_exec_exclusive_fini(&ex);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

/* Without a binding -ENOMEM is the caller's; with one the GNU form retries too. */
void test_drm_exec_exclusive_without_binding(void **state)
{
	struct resv_exec_exclusive ex;
	struct et_bos set;
	struct drm_exec exec;
	int ret = 0, runs = 0;

	et_bos_init(&set, INL + 1, NULL);
	drm_exec_init(&exec, 0, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_exec_prepare_array(&exec, set.obj, INL, 1);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
		resv_alloc_fail_nth(1);
		ret = drm_exec_lock_obj(&exec, et_obj(&set, INL));
		resv_alloc_fail_nth(0);
		assert_false(resv_exec_restart_on(&exec, ret));
		drm_exec_retry_on_contention(&exec);
		break;
	}
	assert_int_equal(ret, -ENOMEM);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_NONE), 0);
	drm_exec_fini(&exec);
	et_assert_baseline(&set);

	assert_int_equal(resv_exec_exclusive_init(&ex), 0);
	drm_exec_init(&exec, 0, 0);
	assert_int_equal(resv_exec_set_exclusive(&exec, &ex), 0);
	drm_exec_until_all_locked(&exec) {
		runs++;
		ret = drm_exec_prepare_array(&exec, set.obj, INL, 1);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
		if (runs == 1)
			resv_alloc_fail_nth(1);
		ret = drm_exec_lock_obj(&exec, et_obj(&set, INL));
		resv_alloc_fail_nth(0);
		(void)resv_exec_restart_on(&exec, ret);
		drm_exec_retry_on_contention(&exec);
		assert_int_equal(ret, 0);
	}
	assert_int_equal(runs, 2);
	assert_true(resv_exec_is_exclusive(&exec));
	et_assert_table(&exec, set.obj, INL + 1);
	assert_int_equal(resv_exec_restart_count(&exec, RESV_EXEC_RESTART_ENOMEM_RETRY), 1);
	drm_exec_fini(&exec);
	assert_exclusive_free(&ex);
	resv_exec_exclusive_fini(&ex);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

/* ---- threads ---------------------------------------------------------------------- */

static unsigned int g_seq;

static unsigned int seq_next(void)
{
	return __atomic_add_fetch(&g_seq, 1, __ATOMIC_SEQ_CST);
}

struct bound {
	struct resv_exec_exclusive *ex;
	struct drm_gem_object *obj;
	bool synthetic_enomem;       /* the body's own validation fails once */
	struct et_event *other_in;   /* readers: wait for the other one inside */
	struct et_event in, enomem, go, excl_in;
	bool wait_go;
	/* results */
	int bind_ret, ret;
	bool timed_out;
	unsigned int body_seq;       /* seq at the start of the last body run */
	unsigned int fini_seq;       /* seq just before drm_exec_fini() */
	bool exclusive_in_last_run;
	uint64_t enomem_retries;
};

static void *bound_fn(void *arg)
{
	struct bound *b = arg;
	struct drm_exec exec;
	int ret = 0, runs = 0;

	drm_exec_init(&exec, 0, 0);
	b->bind_ret = resv_exec_set_exclusive(&exec, b->ex);
	while (resv_exec_begin(&exec)) {
		runs++;
		b->body_seq = seq_next();
		b->exclusive_in_last_run = resv_exec_is_exclusive(&exec);
		if (b->exclusive_in_last_run)
			et_event_fire(&b->excl_in);
		ret = drm_exec_lock_obj(&exec, b->obj);
		if (resv_exec_restart_on(&exec, ret))
			continue;
		if (ret)
			break;
		et_event_fire(&b->in);
		if (b->other_in && !et_event_wait(b->other_in))
			b->timed_out = true;
		if (b->synthetic_enomem && runs == 1) {
			ret = -ENOMEM; /* say, the validation could not allocate */
			et_event_fire(&b->enomem);
			if (resv_exec_restart_on(&exec, ret))
				continue;
			break;
		}
		if (b->wait_go && !et_event_wait(&b->go))
			b->timed_out = true;
	}
	b->ret = ret;
	b->enomem_retries = resv_exec_restart_count(&exec, RESV_EXEC_RESTART_ENOMEM_RETRY);
	b->fini_seq = seq_next();
	drm_exec_fini(&exec);
	return NULL;
}

static void bound_init(struct bound *b, struct resv_exec_exclusive *ex, struct drm_gem_object *obj)
{
	memset(b, 0, sizeof(*b));
	b->ex = ex;
	b->obj = obj;
	et_event_init(&b->in);
	et_event_init(&b->enomem);
	et_event_init(&b->go);
	et_event_init(&b->excl_in);
}

static void bound_destroy(struct bound *b)
{
	et_event_destroy(&b->in);
	et_event_destroy(&b->enomem);
	et_event_destroy(&b->go);
	et_event_destroy(&b->excl_in);
}

/* Two bound loops are inside their bodies at the same time. */
void test_drm_exec_exclusive_readers_share(void **state)
{
	struct resv_exec_exclusive ex;
	struct bound a, b;
	struct et_bos set;
	pthread_t ta, tb;

	et_bos_init(&set, 2, NULL);
	assert_int_equal(resv_exec_exclusive_init(&ex), 0);
	bound_init(&a, &ex, et_obj(&set, 0));
	bound_init(&b, &ex, et_obj(&set, 1));
	a.other_in = &b.in;
	b.other_in = &a.in;
	ta = et_spawn(bound_fn, &a);
	tb = et_spawn(bound_fn, &b);
	et_join(ta, "bound reader a");
	et_join(tb, "bound reader b");
	assert_int_equal(a.bind_ret | b.bind_ret, 0);
	assert_false(a.timed_out);
	assert_false(b.timed_out);
	assert_int_equal(a.ret, 0);
	assert_int_equal(b.ret, 0);
	assert_false(a.exclusive_in_last_run);
	assert_false(b.exclusive_in_last_run);
	assert_exclusive_free(&ex);
	bound_destroy(&a);
	bound_destroy(&b);
	resv_exec_exclusive_fini(&ex);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

/*
 * R is inside its body; W's validation fails with -ENOMEM, so W waits for
 * the lock in write mode until R finishes. Then R2 must wait until W
 * finishes its exclusive run.
 */
void test_drm_exec_exclusive_excludes(void **state)
{
	struct resv_exec_exclusive ex;
	struct resv_exec_exclusive_stats st;
	struct bound r, w, r2;
	struct et_bos set;
	pthread_t tr, tw, tr2;

	et_bos_init(&set, 3, NULL);
	assert_int_equal(resv_exec_exclusive_init(&ex), 0);
	bound_init(&r, &ex, et_obj(&set, 0));
	bound_init(&w, &ex, et_obj(&set, 1));
	bound_init(&r2, &ex, et_obj(&set, 2));
	r.wait_go = true;
	w.synthetic_enomem = true;
	w.wait_go = true;

	tr = et_spawn(bound_fn, &r);
	et_event_expect(&r.in, "R inside its body");
	tw = et_spawn(bound_fn, &w);
	et_event_expect(&w.enomem, "W's -ENOMEM");
	et_msleep(ET_SETTLE_MS);
	/* W waits for R: its exclusive run has not started. */
	assert_false(et_event_fired(&w.excl_in));
	et_event_fire(&r.go);
	et_join(tr, "R");
	et_event_expect(&w.excl_in, "W's exclusive run");

	tr2 = et_spawn(bound_fn, &r2);
	et_msleep(ET_SETTLE_MS);
	/* R2 cannot enter while W runs exclusively. */
	assert_false(et_event_fired(&r2.in));
	et_event_fire(&w.go);
	et_join(tw, "W");
	et_join(tr2, "R2");

	assert_int_equal(r.bind_ret | w.bind_ret | r2.bind_ret, 0);
	assert_int_equal(r.ret, 0);
	assert_int_equal(w.ret, 0);
	assert_int_equal(r2.ret, 0);
	assert_false(r.timed_out || w.timed_out || r2.timed_out);
	assert_true(w.exclusive_in_last_run);
	assert_int_equal(w.enomem_retries, 1);
	assert_false(r2.exclusive_in_last_run);
	/* The order proves exclusion whatever the timing was. */
	assert_true(w.body_seq > r.fini_seq);
	assert_true(r2.body_seq > w.fini_seq);
	resv_exec_exclusive_get_stats(&ex, &st);
	assert_int_equal(st.exclusive_runs, 1);
	assert_int_equal(st.failures, 0);
	assert_exclusive_free(&ex);
	bound_destroy(&r);
	bound_destroy(&w);
	bound_destroy(&r2);
	resv_exec_exclusive_fini(&ex);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}

/* The device lock is annotated for the lock validator: held exactly while bound. */
void test_drm_exec_exclusive_lockdep(void **state)
{
	struct resv_exec_exclusive ex;
	struct et_bos set;
	struct drm_exec exec;
	int ret, runs = 0;

	if (!resv_lockdep_compiled_in() || !resv_lockdep_enabled())
		skip();
	et_bos_init(&set, INL + 1, NULL);
	assert_int_equal(resv_exec_exclusive_init(&ex), 0);
	drm_exec_init(&exec, 0, 0);
	assert_int_equal(resv_exec_set_exclusive(&exec, &ex), 0);
	while (resv_exec_begin(&exec)) {
		runs++;
		resv_lockdep_assert_held(&ex.dep_map);	/* read mode, then write mode */
		if (runs == 1)
			resv_alloc_fail_nth(1);
		ret = drm_exec_prepare_array(&exec, set.obj, set.n, 1);
		resv_alloc_fail_nth(0);
		if (resv_exec_restart_on(&exec, ret))
			continue;
		assert_int_equal(ret, 0);
	}
	assert_int_equal(runs, 2);
	assert_int_equal(et_reports(), 0);
	drm_exec_fini(&exec);
	resv_lockdep_assert_held(&ex.dep_map);	/* released by fini */
	assert_int_equal(et_reports_take(RESV_REPORT_LOCKDEP_NOT_HELD), 1);
	resv_exec_exclusive_fini(&ex);
	et_assert_baseline(&set);
	et_bos_fini(&set);
}
