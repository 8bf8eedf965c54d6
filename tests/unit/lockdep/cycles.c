/* SPDX-License-Identifier: MIT */
/* Dependency cycles: ABBA across threads, annotated locks, longer cycles. */
#include "lockdep_test.h"

/* Global, not static: the test binary exports them, so reports name them. */
void *ldt_abba_first(void *arg);
void *ldt_abba_second(void *arg);

static DEFINE_WW_CLASS(abba_a_class);
static DEFINE_WW_CLASS(abba_b_class);

struct abba {
	struct ww_mutex a, b;
	int ret1, ret2;
};

/* Thread 1: a then b, context-less (two classes: a real order). */
void *ldt_abba_first(void *arg)
{
	struct abba *s = arg;

	s->ret1 = ww_mutex_lock(&s->a, NULL);
	s->ret2 = ww_mutex_lock(&s->b, NULL);
	ww_mutex_unlock(&s->b);
	ww_mutex_unlock(&s->a);
	return NULL;
}

/* Thread 2, after thread 1 finished: b then a. Nothing deadlocks. */
void *ldt_abba_second(void *arg)
{
	struct abba *s = arg;

	s->ret1 = ww_mutex_lock(&s->b, NULL);
	s->ret2 = ww_mutex_lock(&s->a, NULL);
	ww_mutex_unlock(&s->a);
	ww_mutex_unlock(&s->b);
	return NULL;
}

void test_lockdep_abba_ww_threads(void **state)
{
	static const char *const msg[] = { "circular", "abba_a_class_mutex",
					   "abba_b_class_mutex", NULL };
	static const char *const detail[] = {
		"new dependency abba_b_class_mutex -> abba_a_class_mutex",
		"existing chain abba_a_class_mutex -> ... -> abba_b_class_mutex (1 step)",
		/* both chains carry their acquisition sites */
		"took abba_b_class_mutex at ldt_abba_first+0x",
		"is taking abba_a_class_mutex at ldt_abba_second+0x",
		"possible deadlock", "locks held by thread", NULL };
	struct abba s;

	LDT_REQUIRE();
	ww_mutex_init(&s.a, &abba_a_class);
	ww_mutex_init(&s.b, &abba_b_class);

	ldt_run_on_thread(ldt_abba_first, &s);
	assert_int_equal(s.ret1, 0);
	assert_int_equal(s.ret2, 0);
	assert_int_equal(ldt_reports(), 0);

	ldt_run_on_thread(ldt_abba_second, &s);
	assert_int_equal(s.ret1, 0);
	assert_int_equal(s.ret2, 0);
	assert_ptr_equal(ldt_report_at(0).lock, &s.a);	/* the lock being taken */
	ldt_print_report(0);
	ldt_expect_one_detail(RESV_REPORT_LOCKDEP_CYCLE, msg, detail);

	ww_mutex_destroy(&s.a);
	ww_mutex_destroy(&s.b);
}

static struct resv_lockdep_class_key key_a = RESV_LOCKDEP_CLASS_KEY_INIT("map_a");
static struct resv_lockdep_class_key key_b = RESV_LOCKDEP_CLASS_KEY_INIT("map_b");
static struct resv_lockdep_class_key key_c = RESV_LOCKDEP_CLASS_KEY_INIT("map_c");

static void lock2(struct resv_lockdep_map *first, struct resv_lockdep_map *second)
{
	resv_lockdep_acquire(first, 0);
	resv_lockdep_acquire(second, 0);
	resv_lockdep_release(second);
	resv_lockdep_release(first);
}

void test_lockdep_abba_maps(void **state)
{
	struct resv_lockdep_map a, b;

	LDT_REQUIRE();
	resv_lockdep_map_init(&a, "a", &key_a);
	resv_lockdep_map_init(&b, "b", &key_b);
	lock2(&a, &b);
	lock2(&a, &b);
	assert_int_equal(ldt_reports(), 0);
	resv_lockdep_acquire(&b, 0);
	resv_lockdep_acquire(&a, 0);
	assert_ptr_equal(ldt_report_at(0).lock, &a);
	ldt_expect_one(RESV_REPORT_LOCKDEP_CYCLE, "map_b -> map_a -> map_b", NULL);
	resv_lockdep_release(&a);
	resv_lockdep_release(&b);
}

struct pair {
	struct resv_lockdep_map *first, *second;
};

static void *lock2_thread(void *arg)
{
	struct pair *p = arg;

	lock2(p->first, p->second);
	return NULL;
}

void test_lockdep_three_lock_cycle(void **state)
{
	static const char *const msg[] = { "map_c -> map_a -> map_b -> map_c", NULL };
	static const char *const detail[] = { "(2 steps)", "map_a -> map_b: thread",
					      "map_b -> map_c: thread", NULL };
	struct resv_lockdep_map a, b, c;
	struct pair ab = { &a, &b }, bc = { &b, &c };

	LDT_REQUIRE();
	resv_lockdep_map_init(&a, "a", &key_a);
	resv_lockdep_map_init(&b, "b", &key_b);
	resv_lockdep_map_init(&c, "c", &key_c);
	ldt_run_on_thread(lock2_thread, &ab);
	ldt_run_on_thread(lock2_thread, &bc);
	assert_int_equal(ldt_reports(), 0);
	lock2(&c, &a);
	ldt_expect_one_detail(RESV_REPORT_LOCKDEP_CYCLE, msg, detail);
}

void test_lockdep_abba_keyed_spinlocks(void **state)
{
	static struct resv_lockdep_class_key list_key = RESV_LOCKDEP_CLASS_KEY_INIT("list_lock");
	static struct resv_lockdep_class_key obj_key = RESV_LOCKDEP_CLASS_KEY_INIT("obj_lock");
	struct resv_spinlock list, obj, any1, any2;

	LDT_REQUIRE();
	resv_spin_lock_init_key(&list, &list_key);
	resv_spin_lock_init_key(&obj, &obj_key);
	resv_spin_lock_init(&any1);
	resv_spin_lock_init(&any2);

	/* The shared class: nesting in both orders is not checked. */
	resv_spin_lock(&any1);
	resv_spin_lock(&any2);
	resv_spin_unlock(&any2);
	resv_spin_unlock(&any1);
	resv_spin_lock(&any2);
	resv_spin_lock(&any1);
	resv_spin_unlock(&any1);
	resv_spin_unlock(&any2);
	assert_int_equal(ldt_reports(), 0);

	resv_spin_lock(&list);
	resv_spin_lock(&obj);
	resv_spin_unlock(&obj);
	resv_spin_unlock(&list);
	assert_int_equal(ldt_reports(), 0);
	resv_spin_lock(&obj);
	resv_spin_lock(&list);
	ldt_expect_one(RESV_REPORT_LOCKDEP_CYCLE, "obj_lock -> list_lock -> obj_lock", NULL);
	resv_spin_unlock(&list);
	resv_spin_unlock(&obj);
}

void test_lockdep_cycle_reported_once(void **state)
{
	struct resv_lockdep_map a, b;

	LDT_REQUIRE();
	resv_lockdep_map_init(&a, "a", &key_a);
	resv_lockdep_map_init(&b, "b", &key_b);
	for (int i = 0; i < 100; i++) {
		lock2(&a, &b);
		lock2(&b, &a);
	}
	ldt_expect_one(RESV_REPORT_LOCKDEP_CYCLE, "map_a", "map_b", NULL);
}

void test_lockdep_trylock_adds_no_dependency(void **state)
{
	struct resv_lockdep_map a, b, c;

	LDT_REQUIRE();
	resv_lockdep_map_init(&a, "a", &key_a);
	resv_lockdep_map_init(&b, "b", &key_b);
	resv_lockdep_map_init(&c, "c", &key_c);

	/* a held, b trylocked: no "a -> b", so "b -> a" is fine. */
	resv_lockdep_acquire(&a, 0);
	resv_lockdep_acquire(&b, RESV_LOCKDEP_TRYLOCK);
	/* A trylocked lock is still held: c now depends on a and on b. */
	resv_lockdep_acquire(&c, 0);
	resv_lockdep_release(&c);
	resv_lockdep_release(&b);
	resv_lockdep_release(&a);
	lock2(&b, &a);
	assert_int_equal(ldt_reports(), 0);

	lock2(&c, &b);
	ldt_expect_one(RESV_REPORT_LOCKDEP_CYCLE, "map_c -> map_b -> map_c", NULL);
}

void test_lockdep_unregister_key_forgets(void **state)
{
	struct resv_lockdep_class_key *dyn_key = malloc(sizeof(*dyn_key));
	struct resv_lockdep_map a, d;

	LDT_REQUIRE();
	assert_non_null(dyn_key);
	dyn_key->name = "dynamic";
	resv_lockdep_map_init(&a, "a", &key_a);
	resv_lockdep_map_init(&d, "d", dyn_key);
	lock2(&a, &d);
	/* The key's memory is going away: its class and dependencies too. */
	resv_lockdep_unregister_key(dyn_key);
	lock2(&d, &a);
	assert_int_equal(ldt_reports(), 0);
	/* Without unregistering, the reverse order is remembered. */
	lock2(&a, &d);
	ldt_expect_one(RESV_REPORT_LOCKDEP_CYCLE, "map_a -> dynamic -> map_a", NULL);
	resv_lockdep_unregister_key(dyn_key);
	free(dyn_key);
}
