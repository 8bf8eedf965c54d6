/* SPDX-License-Identifier: MIT */
/* ww awareness: contexts, ctx-less mixing, back-off loops, many locks per context. */
#include "lockdep_test.h"

static DEFINE_WW_CLASS(ld_nest_class);
static DEFINE_WD_CLASS(ld_mix_class);
static DEFINE_WW_CLASS(ld_order_class);

void test_lockdep_ww_two_contexts_nested(void **state)
{
	struct ww_acquire_ctx c1, c2;
	struct ww_mutex a, b;

	LDT_REQUIRE();
	ww_mutex_init(&a, &ld_nest_class);
	ww_mutex_init(&b, &ld_nest_class);

	ww_acquire_init(&c1, &ld_nest_class);
	assert_int_equal(ww_mutex_lock(&a, &c1), 0);
	assert_int_equal(ldt_reports(), 0);
	ww_acquire_init(&c2, &ld_nest_class);
	assert_ptr_equal(ldt_report_at(0).ctx, &c2);
	ldt_expect_one(RESV_REPORT_LOCKDEP_WW_CTX_NESTED, "ld_nest_class_acquire", NULL);
	/* Its consequences are the same problem: not reported again. */
	assert_int_equal(ww_mutex_lock(&b, &c2), 0);
	ww_mutex_unlock(&b);
	ww_acquire_fini(&c2);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&c1);
	assert_int_equal(ldt_reports(), 0);	/* once per class: already said */

	/* Different classes nest freely. */
	{
		struct ww_acquire_ctx o;
		struct ww_mutex m;

		ww_mutex_init(&m, &ld_mix_class);
		ww_acquire_init(&c1, &ld_nest_class);
		assert_int_equal(ww_mutex_lock(&a, &c1), 0);
		ww_acquire_init(&o, &ld_mix_class);
		assert_int_equal(ww_mutex_lock(&m, &o), 0);
		ww_mutex_unlock(&m);
		ww_acquire_fini(&o);
		ww_mutex_unlock(&a);
		ww_acquire_fini(&c1);
		assert_int_equal(ldt_reports(), 0);
		ww_mutex_destroy(&m);
	}

	/* Re-initialising an active context (no fini) is the same mistake. */
	ww_acquire_init(&c1, &ld_nest_class);
	ww_acquire_init(&c1, &ld_nest_class);
	ldt_expect_one(RESV_REPORT_LOCKDEP_WW_CTX_NESTED, "still active", NULL);
	ww_acquire_fini(&c1);

	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
}

void test_lockdep_ww_ctxless_under_ctx(void **state)
{
	struct ww_acquire_ctx ctx;
	struct ww_mutex a, b;

	LDT_REQUIRE();
	ww_mutex_init(&a, &ld_mix_class);
	ww_mutex_init(&b, &ld_mix_class);
	ww_acquire_init(&ctx, &ld_mix_class);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	assert_int_equal(ww_mutex_lock(&b, NULL), 0);
	assert_ptr_equal(ldt_report_at(0).lock, &b);
	ldt_expect_one(RESV_REPORT_LOCKDEP_WW_CTX_MIX, "without a context", "ld_mix_class_mutex",
		       NULL);
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
}

void test_lockdep_ww_ctx_under_ctxless(void **state)
{
	struct ww_acquire_ctx ctx;
	struct dma_resv a, b;

	LDT_REQUIRE();
	dma_resv_init(&a);
	dma_resv_init(&b);
	ww_acquire_init(&ctx, &reservation_ww_class);
	assert_int_equal(dma_resv_lock(&b, NULL), 0);
	assert_int_equal(ldt_reports(), 0);
	assert_int_equal(dma_resv_lock(&a, &ctx), 0);
	assert_ptr_equal(ldt_report_at(0).ctx, &ctx);
	ldt_expect_one(RESV_REPORT_LOCKDEP_WW_CTX_MIX, "with a context",
		       "reservation_ww_class_mutex", NULL);
	dma_resv_unlock(&a);
	dma_resv_unlock(&b);
	ww_acquire_fini(&ctx);
	dma_resv_fini(&a);
	dma_resv_fini(&b);
}

void test_lockdep_ww_ctxless_recursive(void **state)
{
	struct dma_resv a, b;

	LDT_REQUIRE();
	dma_resv_init(&a);
	dma_resv_init(&b);
	/* One at a time is the normal use of a context-less lock. */
	assert_int_equal(dma_resv_lock(&a, NULL), 0);
	dma_resv_unlock(&a);
	assert_int_equal(dma_resv_lock(&b, NULL), 0);
	dma_resv_unlock(&b);
	assert_int_equal(ldt_reports(), 0);
	/* Two nested: nothing avoids the ABBA deadlock. */
	assert_int_equal(dma_resv_lock(&a, NULL), 0);
	assert_int_equal(dma_resv_lock(&b, NULL), 0);
	ldt_expect_one(RESV_REPORT_LOCKDEP_RECURSIVE, "reservation_ww_class_mutex", NULL);
	dma_resv_unlock(&b);
	dma_resv_unlock(&a);
	dma_resv_fini(&a);
	dma_resv_fini(&b);
}

void test_lockdep_ww_acquire_orders_like_a_lock(void **state)
{
	static struct resv_lockdep_class_key vm_key = RESV_LOCKDEP_CLASS_KEY_INIT("vm->lock");
	static const char *const msg[] = { "ld_order_class_mutex -> vm->lock -> "
					   "ld_order_class_acquire -> ld_order_class_mutex", NULL };
	struct resv_lockdep_map vm;
	struct ww_acquire_ctx ctx;
	struct ww_mutex a;

	LDT_REQUIRE();
	resv_lockdep_map_init(&vm, "vm->lock", &vm_key);
	ww_mutex_init(&a, &ld_order_class);

	/* vm->lock, then a transaction: vm->lock -> acquire -> mutex. */
	resv_lockdep_acquire(&vm, 0);
	ww_acquire_init(&ctx, &ld_order_class);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	resv_lockdep_release(&vm);
	assert_int_equal(ldt_reports(), 0);

	/* vm->lock inside the transaction inverts it. */
	ww_acquire_init(&ctx, &ld_order_class);
	assert_int_equal(ww_mutex_lock(&a, &ctx), 0);
	resv_lockdep_acquire(&vm, 0);
	ldt_expect_one_detail(RESV_REPORT_LOCKDEP_CYCLE, msg, NULL);
	resv_lockdep_release(&vm);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	ww_mutex_destroy(&a);
}

/* ---- positive: the canonical back-off loop ------------------------------------------ */

#define NR_OBJS 8

struct looper {
	struct dma_resv *objs;
	uint64_t seed;
	int64_t deadline_ms;
	unsigned long transactions, backoffs, errors;
};

/* The kernel's loop: on -EDEADLK drop everything, slow-lock the contended one. */
static int lock_all(struct dma_resv *objs, const int *order, struct ww_acquire_ctx *ctx,
		    unsigned long *backoffs)
{
	struct dma_resv *contended = NULL;
	int i, j, ret;

retry:
	for (i = 0; i < NR_OBJS; i++) {
		struct dma_resv *obj = &objs[order[i]];

		if (obj == contended) {
			contended = NULL;
			continue;
		}
		ret = dma_resv_lock(obj, ctx);
		if (ret) {
			for (j = 0; j < i; j++)
				if (&objs[order[j]] != contended)
					dma_resv_unlock(&objs[order[j]]);
			if (contended)
				dma_resv_unlock(contended);
			if (ret != -EDEADLK)
				return ret;
			(*backoffs)++;
			contended = obj;
			dma_resv_lock_slow(contended, ctx);
			goto retry;
		}
	}
	return 0;
}

static void *looper_main(void *arg)
{
	struct looper *l = arg;
	uint64_t rng = l->seed;
	int order[NR_OBJS];

	while (ldt_now_ms() < l->deadline_ms) {
		struct ww_acquire_ctx ctx;

		for (int i = 0; i < NR_OBJS; i++)
			order[i] = i;
		for (int i = NR_OBJS - 1; i > 0; i--) {
			int j = (int)(ldt_rand(&rng) % (uint64_t)(i + 1)), tmp = order[i];

			order[i] = order[j];
			order[j] = tmp;
		}
		ww_acquire_init(&ctx, &reservation_ww_class);
		if (lock_all(l->objs, order, &ctx, &l->backoffs)) {
			l->errors++;
			ww_acquire_fini(&ctx);
			continue;
		}
		ww_acquire_done(&ctx);
		for (int i = NR_OBJS; i-- > 0;)
			dma_resv_unlock(&l->objs[order[i]]);
		ww_acquire_fini(&ctx);
		l->transactions++;
	}
	return NULL;
}

void test_lockdep_ww_backoff_loops_silent(void **state)
{
	struct dma_resv objs[NR_OBJS];
	struct looper l[3];
	pthread_t t[3];
	uint64_t seed = ldt_seed();

	LDT_REQUIRE();
	for (int i = 0; i < NR_OBJS; i++)
		dma_resv_init(&objs[i]);
	for (int i = 0; i < 3; i++) {
		l[i] = (struct looper){ .objs = objs, .seed = seed + (uint64_t)i,
					.deadline_ms = ldt_now_ms() + 300 };
		t[i] = ldt_spawn(looper_main, &l[i]);
	}
	for (int i = 0; i < 3; i++)
		ldt_join(t[i]);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(l[i].errors, 0);
		assert_true(l[i].transactions > 0);
	}
	printf("back-offs: %lu %lu %lu\n", l[0].backoffs, l[1].backoffs, l[2].backoffs);
	for (int i = 0; i < NR_OBJS; i++)
		dma_resv_fini(&objs[i]);
	/* The teardown fails the test on any report. */
}

void test_lockdep_ww_injected_backoff_silent(void **state)
{
	static DEFINE_WD_CLASS(ld_inject_class);
	struct resv_ww_inject inject = { .mode = RESV_WW_INJECT_RANDOM, .per_million = 200000 };
	struct ww_mutex locks[NR_OBJS];
	unsigned long backoffs = 0;
	struct resv_ww_stats stats;

	LDT_REQUIRE();
	inject.seed = ldt_seed();
	assert_int_equal(resv_ww_class_set_inject(&ld_inject_class, &inject), 0);
	for (int i = 0; i < NR_OBJS; i++)
		ww_mutex_init(&locks[i], &ld_inject_class);
	for (int round = 0; round < 200; round++) {
		struct ww_mutex *contended = NULL;
		struct ww_acquire_ctx ctx;
		int i, j, ret;

		ww_acquire_init(&ctx, &ld_inject_class);
retry:
		for (i = 0; i < NR_OBJS; i++) {
			if (&locks[i] == contended) {
				contended = NULL;
				continue;
			}
			ret = ww_mutex_lock(&locks[i], &ctx);
			if (ret) {
				assert_int_equal(ret, -EDEADLK);
				for (j = 0; j < i; j++)
					if (&locks[j] != contended)
						ww_mutex_unlock(&locks[j]);
				if (contended)
					ww_mutex_unlock(contended);
				backoffs++;
				contended = &locks[i];
				ww_mutex_lock_slow(contended, &ctx);
				goto retry;
			}
		}
		for (i = 0; i < NR_OBJS; i++)
			ww_mutex_unlock(&locks[i]);
		ww_acquire_fini(&ctx);
		assert_int_equal(resv_lockdep_held_count(), 0);
	}
	resv_ww_class_get_stats(&ld_inject_class, &stats);
	assert_true(stats.injected > 0);
	assert_int_equal(stats.injected, backoffs);
	for (int i = 0; i < NR_OBJS; i++)
		ww_mutex_destroy(&locks[i]);
	assert_int_equal(resv_ww_class_set_inject(&ld_inject_class, NULL), 0);
}

void test_lockdep_ww_10000_resvs_one_entry(void **state)
{
	enum { N = 10000 };
	struct dma_resv *objs = calloc(N, sizeof(*objs));
	struct ww_acquire_ctx ctx;
	int64_t start;

	LDT_REQUIRE();
	assert_non_null(objs);
	for (int i = 0; i < N; i++)
		dma_resv_init(&objs[i]);
	start = ldt_now_ms();
	ww_acquire_init(&ctx, &reservation_ww_class);
	for (int i = 0; i < N; i++)
		assert_int_equal(dma_resv_lock(&objs[i], &ctx), 0);
	/* The context and one group of N locks: no scan grows with N. */
	assert_int_equal(resv_lockdep_held_count(), 2);
	for (int i = 0; i < N; i++)
		dma_resv_assert_held(&objs[i]);
	for (int i = N; i-- > 0;)
		dma_resv_unlock(&objs[i]);
	assert_int_equal(resv_lockdep_held_count(), 1);
	ww_acquire_fini(&ctx);
	assert_int_equal(resv_lockdep_held_count(), 0);
	printf("%d resvs locked and unlocked in %lld ms\n", N, (long long)(ldt_now_ms() - start));
	/* Loose: a quadratic validator would take minutes here. */
	assert_true(ldt_now_ms() - start < 10000);
	for (int i = 0; i < N; i++)
		dma_resv_fini(&objs[i]);
	free(objs);
}

void test_lockdep_ww_trylock_under_ctx_silent(void **state)
{
	struct dma_resv a, b, c, victim;
	struct ww_acquire_ctx ctx;

	LDT_REQUIRE();
	dma_resv_init(&a);
	dma_resv_init(&b);
	dma_resv_init(&c);
	dma_resv_init(&victim);
	ww_acquire_init(&ctx, &reservation_ww_class);
	assert_int_equal(dma_resv_lock(&a, &ctx), 0);
	/* TTM's eviction: trylock another object without the context. */
	assert_true(dma_resv_trylock(&victim));
	assert_int_equal(ww_mutex_trylock(&b.lock, &ctx), 1);
	assert_int_equal(dma_resv_lock(&c, &ctx), 0);
	dma_resv_unlock(&victim);
	dma_resv_unlock(&c);
	dma_resv_unlock(&b);
	dma_resv_unlock(&a);
	ww_acquire_fini(&ctx);
	dma_resv_fini(&a);
	dma_resv_fini(&b);
	dma_resv_fini(&c);
	dma_resv_fini(&victim);
}

void test_lockdep_ww_out_of_order_unlock(void **state)
{
	struct resv_lockdep_map m[3];
	struct resv_spinlock s;
	struct ww_acquire_ctx ctx;
	struct dma_resv a, b, c;

	LDT_REQUIRE();
	dma_resv_init(&a);
	dma_resv_init(&b);
	dma_resv_init(&c);
	resv_spin_lock_init(&s);
	ww_acquire_init(&ctx, &reservation_ww_class);
	assert_int_equal(dma_resv_lock(&a, &ctx), 0);
	assert_int_equal(dma_resv_lock(&b, &ctx), 0);
	resv_spin_lock(&s);
	assert_int_equal(resv_lockdep_held_count(), 3);
	/* A lock of the group below the spinlock: the group shrinks. */
	dma_resv_unlock(&a);
	assert_int_equal(resv_lockdep_held_count(), 3);
	dma_resv_unlock(&b);
	assert_int_equal(resv_lockdep_held_count(), 2);
	resv_spin_unlock(&s);
	assert_int_equal(dma_resv_lock(&c, &ctx), 0);
	dma_resv_unlock(&c);
	ww_acquire_fini(&ctx);
	assert_int_equal(resv_lockdep_held_count(), 0);

	/* Annotated locks released bottom first. */
	for (int i = 0; i < 3; i++) {
		resv_lockdep_map_init(&m[i], "m", NULL);	/* own class; reset by the setup */
		resv_lockdep_acquire(&m[i], 0);
	}
	resv_lockdep_release(&m[0]);
	resv_lockdep_release(&m[2]);
	resv_lockdep_release(&m[1]);
	assert_int_equal(resv_lockdep_held_count(), 0);
	dma_resv_fini(&a);
	dma_resv_fini(&b);
	dma_resv_fini(&c);
}
