/* SPDX-License-Identifier: MIT */
/* Held assertions, thread exit, annotations, the switch, the default hook, TSan. */
#include <unistd.h>

#include "lockdep_test.h"

/* ---- exact held assertions --------------------------------------------------------- */

struct resv_holder {
	struct dma_resv *obj;
	struct ww_acquire_ctx ctx;
	bool use_ctx;
	int ret;
	pthread_mutex_t m;
	pthread_cond_t c;
	bool locked, release;
};

static void *resv_holder_main(void *arg)
{
	struct resv_holder *h = arg;

	if (h->use_ctx)
		ww_acquire_init(&h->ctx, &reservation_ww_class);
	h->ret = dma_resv_lock(h->obj, h->use_ctx ? &h->ctx : NULL);
	pthread_mutex_lock(&h->m);
	h->locked = true;
	pthread_cond_broadcast(&h->c);
	while (!h->release)
		pthread_cond_wait(&h->c, &h->m);
	pthread_mutex_unlock(&h->m);
	if (h->ret == 0)
		dma_resv_unlock(h->obj);
	if (h->use_ctx)
		ww_acquire_fini(&h->ctx);
	return NULL;
}

void test_lockdep_resv_assert_held_other_thread(void **state)
{
	static const char *const detail[] = { "locks held by thread",
					      "reservation_ww_class_mutex", NULL };
	struct dma_resv obj, mine;

	LDT_REQUIRE();
	if (!resv_report_checks_enabled())
		skip();
	dma_resv_init(&obj);
	dma_resv_init(&mine);
	for (int use_ctx = 0; use_ctx < 2; use_ctx++) {
		struct resv_holder h = { .obj = &obj, .use_ctx = use_ctx };
		pthread_t t;

		pthread_mutex_init(&h.m, NULL);
		pthread_cond_init(&h.c, NULL);
		t = ldt_spawn(resv_holder_main, &h);
		pthread_mutex_lock(&h.m);
		while (!h.locked)
			pthread_cond_wait(&h.c, &h.m);
		pthread_mutex_unlock(&h.m);
		assert_int_equal(h.ret, 0);

		/* Locked, but by another thread: the assertion is exact. */
		assert_int_equal(dma_resv_lock(&mine, NULL), 0);
		dma_resv_assert_held(&obj);
		assert_ptr_equal(ldt_report_at(0).lock, &obj);
		assert_ptr_equal(ldt_report_at(0).ctx, use_ctx ? &h.ctx : NULL);
		ldt_expect_one_detail(RESV_REPORT_RESV_NOT_HELD, NULL, detail);
		dma_resv_assert_held(&mine);
		dma_resv_unlock(&mine);
		assert_int_equal(ldt_reports(), 0);

		pthread_mutex_lock(&h.m);
		h.release = true;
		pthread_cond_broadcast(&h.c);
		pthread_mutex_unlock(&h.m);
		ldt_join(t);
		pthread_mutex_destroy(&h.m);
		pthread_cond_destroy(&h.c);
	}
	dma_resv_fini(&obj);
	dma_resv_fini(&mine);
}

/* ---- thread exit ---------------------------------------------------------------------- */

static struct resv_lockdep_class_key exit_key = RESV_LOCKDEP_CLASS_KEY_INIT("exit_lock");

/* Global, not static: the test binary exports it, so the report names it. */
void *ldt_exit_holding(void *arg);

void *ldt_exit_holding(void *arg)
{
	resv_lockdep_acquire(arg, 0);
	return NULL;	/* forgot to release */
}

static void *exit_clean(void *arg)
{
	resv_lockdep_acquire(arg, 0);
	resv_lockdep_release(arg);
	return NULL;
}

void test_lockdep_thread_exit_with_lock(void **state)
{
	static const char *const msg[] = { "exits holding exit_lock", NULL };
	static const char *const detail[] = { "exits while holding 1 lock entry:",
					      "#0 exit_lock (x) taken at ldt_exit_holding+0x", NULL };
	struct resv_lockdep_map x;

	LDT_REQUIRE();
	resv_lockdep_map_init(&x, "x", &exit_key);
	ldt_run_on_thread(exit_clean, &x);
	assert_int_equal(ldt_reports(), 0);
	ldt_run_on_thread(ldt_exit_holding, &x);	/* reported before the join returns */
	assert_ptr_equal(ldt_report_at(0).lock, &x);
	ldt_expect_one_detail(RESV_REPORT_LOCKDEP_HELD_AT_EXIT, msg, detail);
}

/* ---- annotated locks -------------------------------------------------------------------- */

static struct resv_lockdep_class_key obj_key = RESV_LOCKDEP_CLASS_KEY_INIT("obj_mutex");

static void *assert_held_elsewhere(void *arg)
{
	resv_lockdep_assert_held(arg);
	return NULL;
}

void test_lockdep_map_assert_and_release_not_held(void **state)
{
	struct resv_lockdep_map a;

	LDT_REQUIRE();
	resv_lockdep_map_init(&a, "obj->lock", &obj_key);
	resv_lockdep_assert_held(&a);
	assert_ptr_equal(ldt_report_at(0).lock, &a);
	ldt_expect_one(RESV_REPORT_LOCKDEP_NOT_HELD, "obj->lock", NULL);

	resv_lockdep_acquire(&a, 0);
	resv_lockdep_assert_held(&a);
	assert_int_equal(ldt_reports(), 0);
	/* Held by this thread, not by that one. */
	ldt_run_on_thread(assert_held_elsewhere, &a);
	ldt_expect_one(RESV_REPORT_LOCKDEP_NOT_HELD, "obj->lock", NULL);
	resv_lockdep_release(&a);

	resv_lockdep_release(&a);
	ldt_expect_one(RESV_REPORT_UNLOCK_NOT_HELD, "obj->lock", NULL);
	assert_int_equal(resv_lockdep_held_count(), 0);
}

void test_lockdep_map_recursive_and_nested(void **state)
{
	struct resv_lockdep_map a, b;

	LDT_REQUIRE();
	resv_lockdep_map_init(&a, "a", &obj_key);
	resv_lockdep_map_init(&b, "b", &obj_key);
	/* Two of one class, nesting declared: fine. */
	resv_lockdep_acquire(&a, 0);
	resv_lockdep_acquire(&b, RESV_LOCKDEP_NESTED);
	resv_lockdep_release(&b);
	resv_lockdep_release(&a);
	/* Shared acquisitions of one class: fine. */
	resv_lockdep_acquire(&a, RESV_LOCKDEP_READ);
	resv_lockdep_acquire(&b, RESV_LOCKDEP_READ);
	resv_lockdep_release(&a);
	resv_lockdep_release(&b);
	assert_int_equal(ldt_reports(), 0);
	/* Undeclared: possible recursive locking. */
	resv_lockdep_acquire(&a, 0);
	resv_lockdep_acquire(&b, 0);
	assert_ptr_equal(ldt_report_at(0).lock, &b);
	ldt_expect_one(RESV_REPORT_LOCKDEP_RECURSIVE, "recursive", "obj_mutex", NULL);
	resv_lockdep_release(&b);
	resv_lockdep_release(&a);
}

void test_lockdep_spinlock_inside_resv_silent(void **state)
{
	static struct resv_lockdep_class_key list_key = RESV_LOCKDEP_CLASS_KEY_INIT("bo_list");
	struct dma_fence *fence = dma_fence_allocate_private_stub(0);
	struct resv_spinlock list;
	struct ww_acquire_ctx ctx;
	struct dma_resv a, b;

	LDT_REQUIRE();
	assert_non_null(fence);
	dma_resv_init(&a);
	dma_resv_init(&b);
	resv_spin_lock_init_key(&list, &list_key);
	for (int round = 0; round < 2; round++) {
		ww_acquire_init(&ctx, &reservation_ww_class);
		assert_int_equal(dma_resv_lock(&a, &ctx), 0);
		resv_spin_lock(&list);
		resv_spin_unlock(&list);
		assert_int_equal(dma_resv_lock(&b, &ctx), 0);
		assert_int_equal(dma_resv_reserve_fences(&b, 1), 0);
		dma_resv_add_fence(&b, fence, DMA_RESV_USAGE_WRITE);	/* the fence lock */
		resv_spin_lock(&list);
		resv_spin_unlock(&list);
		dma_resv_unlock(&b);
		dma_resv_unlock(&a);
		ww_acquire_fini(&ctx);
	}
	dma_resv_fini(&a);
	dma_resv_fini(&b);
	dma_fence_put(fence);
}

/* ---- the run-time switch ------------------------------------------------------------------ */

void test_lockdep_disabled_reports_nothing(void **state)
{
	static DEFINE_WW_CLASS(ld_off_class);
	struct resv_lockdep_map a, b;
	struct ww_acquire_ctx c1, c2;
	bool cookie;
	void *p;

	LDT_REQUIRE();
	assert_true(resv_lockdep_enabled());
	resv_lockdep_set_enabled(false);
	assert_false(resv_lockdep_enabled());
	resv_lockdep_map_init(&a, "a", &obj_key);
	resv_lockdep_map_init(&b, "b", &exit_key);
	resv_lockdep_acquire(&a, 0);
	resv_lockdep_acquire(&b, 0);
	resv_lockdep_release(&b);
	resv_lockdep_release(&a);
	resv_lockdep_acquire(&b, 0);
	resv_lockdep_acquire(&a, 0);
	resv_lockdep_release(&a);
	resv_lockdep_release(&b);
	resv_lockdep_assert_held(&a);
	ww_acquire_init(&c1, &ld_off_class);
	ww_acquire_init(&c2, &ld_off_class);
	ww_acquire_fini(&c2);
	ww_acquire_fini(&c1);
	cookie = dma_fence_begin_signalling();
	p = resv_malloc(8);
	assert_non_null(p);
	resv_free(p, 8);
	dma_fence_end_signalling(cookie);
	assert_int_equal(ldt_reports(), 0);
	assert_int_equal(resv_lockdep_held_count(), 0);

	/* Locks recorded before switching off are still released correctly. */
	resv_lockdep_set_enabled(true);
	resv_lockdep_acquire(&a, 0);
	resv_lockdep_set_enabled(false);
	resv_lockdep_release(&a);
	assert_int_equal(resv_lockdep_held_count(), 0);
	resv_lockdep_set_enabled(true);
	/* And nothing was learned while off: b -> a was never recorded. */
	resv_lockdep_acquire(&a, 0);
	resv_lockdep_acquire(&b, 0);
	resv_lockdep_release(&b);
	resv_lockdep_release(&a);
	assert_int_equal(ldt_reports(), 0);
}

/* ---- the default hook --------------------------------------------------------------------- */

void test_lockdep_default_hook_prints_detail(void **state)
{
	struct resv_lockdep_map a, b;
	char text[8192];
	FILE *tmp = tmpfile();
	int saved, n;

	LDT_REQUIRE();
	assert_non_null(tmp);
	resv_lockdep_map_init(&a, "a", &obj_key);
	resv_lockdep_map_init(&b, "b", &exit_key);
	resv_lockdep_acquire(&a, 0);
	resv_lockdep_acquire(&b, 0);
	resv_lockdep_release(&b);
	resv_lockdep_release(&a);

	resv_report_set_hook(NULL, NULL);	/* the default: print to stderr */
	resv_report_set_abort(false);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	resv_lockdep_acquire(&b, 0);
	resv_lockdep_acquire(&a, 0);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	resv_lockdep_release(&a);
	resv_lockdep_release(&b);
	ldt_setup(state);	/* the recorder again, for the teardown */

	rewind(tmp);
	n = (int)fread(text, 1, sizeof(text) - 1, tmp);
	fclose(tmp);
	text[n > 0 ? n : 0] = '\0';
	printf("%s", text);	/* what a user sees (docs/lockdep.md quotes it) */
	assert_non_null(strstr(text, "libresv: lockdep_cycle: possible circular locking "
				     "dependency: exit_lock -> obj_mutex -> exit_lock"));
	assert_non_null(strstr(text, "  new dependency exit_lock -> obj_mutex"));
	assert_non_null(strstr(text, "  existing chain obj_mutex -> ... -> exit_lock"));
	assert_non_null(strstr(text, "  locks held by thread"));
}

/* ---- ThreadSanitizer: the custom locks order memory ----------------------------------------- */

#define TSAN_THREADS 4
#define TSAN_ROUNDS 5000

struct counted {
	struct ww_mutex lock;
	struct resv_spinlock spin;
	unsigned long counter;	/* plain: only the lock orders it */
	bool use_spin;
};

static void *increment(void *arg)
{
	struct counted *c = arg;

	for (int i = 0; i < TSAN_ROUNDS; i++) {
		if (c->use_spin) {
			resv_spin_lock(&c->spin);
			c->counter++;
			resv_spin_unlock(&c->spin);
		} else if (i & 1) {
			struct ww_acquire_ctx ctx;

			ww_acquire_init(&ctx, &reservation_ww_class);
			if (ww_mutex_lock(&c->lock, &ctx) == 0) {
				c->counter++;
				ww_mutex_unlock(&c->lock);
			}
			ww_acquire_fini(&ctx);
		} else if (i & 2 ? ww_mutex_lock(&c->lock, NULL) == 0
				 : ww_mutex_trylock(&c->lock, NULL)) {
			c->counter++;
			ww_mutex_unlock(&c->lock);
		} else {
			i--;	/* trylock failed: try again */
		}
	}
	return NULL;
}

static void run_counted(bool use_spin)
{
	struct counted c = { .use_spin = use_spin };
	pthread_t t[TSAN_THREADS];

	ww_mutex_init(&c.lock, &reservation_ww_class);
	resv_spin_lock_init(&c.spin);
	for (int i = 0; i < TSAN_THREADS; i++)
		t[i] = ldt_spawn(increment, &c);
	for (int i = 0; i < TSAN_THREADS; i++)
		ldt_join(t[i]);
	/* A ThreadSanitizer build fails the binary on any race it saw. */
	assert_int_equal(c.counter, (unsigned long)TSAN_THREADS * TSAN_ROUNDS);
	ww_mutex_destroy(&c.lock);
}

void test_lockdep_tsan_ww_mutex_protects_data(void **state)
{
	(void)state;
	run_counted(false);
}

void test_lockdep_tsan_spinlock_protects_data(void **state)
{
	(void)state;
	run_counted(true);
}

/*
 * TSan's own deadlock detector sees context-less ww_mutexes as mutexes (an
 * ABBA of them is a lock-order inversion to it) and ignores the legitimate
 * inversions of locks taken under acquire contexts. Checked in a child
 * process, since the report is the point and this binary turns the
 * detector off.
 */
struct child_abba {
	struct ww_mutex *first, *second;
	bool ctx;
};

static void *child_lock2(void *arg)
{
	struct child_abba *c = arg;
	struct ww_acquire_ctx ctx;
	int ret;

	if (c->ctx)
		ww_acquire_init(&ctx, &reservation_ww_class);
	ret = ww_mutex_lock(c->first, c->ctx ? &ctx : NULL);
	if (ret == 0 && ww_mutex_lock(c->second, c->ctx ? &ctx : NULL) == 0)
		ww_mutex_unlock(c->second);
	if (ret == 0)
		ww_mutex_unlock(c->first);
	if (c->ctx)
		ww_acquire_fini(&ctx);
	return NULL;
}

int ldt_tsan_child(const char *mode)
{
	static DEFINE_WW_CLASS(child_a_class);
	static DEFINE_WW_CLASS(child_b_class);
	bool ctx = strcmp(mode, "ctx-abba") == 0;
	struct ww_mutex a, b;
	struct child_abba ab = { &a, &b, ctx }, ba = { &b, &a, ctx };
	pthread_t t;

	/* Two classes without contexts; one class under contexts. */
	ww_mutex_init(&a, ctx ? &reservation_ww_class : &child_a_class);
	ww_mutex_init(&b, ctx ? &reservation_ww_class : &child_b_class);
	if (pthread_create(&t, NULL, child_lock2, &ab) || pthread_join(t, NULL))
		return 2;
	if (pthread_create(&t, NULL, child_lock2, &ba) || pthread_join(t, NULL))
		return 2;
	ww_mutex_destroy(&a);
	ww_mutex_destroy(&b);
	printf("child %s done\n", mode);
	return 0;
}

static void run_child(const char *mode, char *out, size_t size)
{
	char cmd[512];
	size_t n = 0, r;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "TSAN_OPTIONS='detect_deadlocks=1 halt_on_error=0 exitcode=0' RESV_LOCKDEP=0 "
		 "/proc/%d/exe --child=%s 2>&1", (int)getpid(), mode);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n + 1 < size && (r = fread(out + n, 1, size - 1 - n, p)) > 0)
		n += r;
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
}

void test_lockdep_tsan_sees_ww_mutexes(void **state)
{
	static char out[65536];

	(void)state;
#if !defined(__SANITIZE_THREAD__)
	skip();	/* only a ThreadSanitizer build has the annotations */
#endif
	run_child("abba", out, sizeof(out));
	assert_non_null(strstr(out, "child abba done"));
	assert_non_null(strstr(out, "ThreadSanitizer: lock-order-inversion"));
	assert_non_null(strstr(out, "ww_mutex_lock"));
	run_child("ctx-abba", out, sizeof(out));
	assert_non_null(strstr(out, "child ctx-abba done"));
	assert_null(strstr(out, "ThreadSanitizer"));
}
