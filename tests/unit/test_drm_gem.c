/* SPDX-License-Identifier: MIT */
/*
 * drm_gem: the minimal GEM object — init errors with nothing changed, own
 * vs shared reservation object, the reference count and the free callback,
 * NULL-safety, and release dropping the embedded resv's fences. Every test
 * runs under a counting report hook and must draw no report.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <resv/dma-fence.h>
#include <resv/dma-resv.h>
#include <resv/drm_gem.h>
#include <resv/rcu.h>
#include <resv/report.h>
#include <resv/spinlock.h>

static unsigned int nr_reports;

static void count_report(const struct resv_report *r, void *arg)
{
	(void)arg;
	print_message("report: %s: %s\n", resv_report_kind_name(r->kind), r->message);
	__atomic_add_fetch(&nr_reports, 1, __ATOMIC_RELAXED);
}

static int setup(void **state)
{
	(void)state;
	nr_reports = 0;
	resv_report_set_hook(count_report, NULL);
	return 0;
}

static int teardown(void **state)
{
	unsigned int n = __atomic_load_n(&nr_reports, __ATOMIC_RELAXED);

	(void)state;
	resv_report_set_hook(NULL, NULL);
	resv_rcu_barrier();
	if (n) {
		print_error("%u misuse report(s) from a correct program\n", n);
		return -1;
	}
	return 0;
}

/* ---- a driver object ------------------------------------------------------------ */

struct test_bo {
	struct drm_gem_object base;
	int payload;
};

static unsigned int frees;
static struct drm_gem_object *last_freed;

/* Embedded objects: count, release, do not free (the test owns the memory). */
static void count_free(struct drm_gem_object *obj)
{
	frees++;
	last_freed = obj;
	drm_gem_object_release(obj);
}

/* Heap objects: what a driver writes. */
static void heap_free(struct drm_gem_object *obj)
{
	struct test_bo *bo = caa_container_of(obj, struct test_bo, base);

	frees++;
	last_freed = obj;
	drm_gem_object_release(obj);
	free(bo);
}

static const struct drm_gem_object_funcs count_funcs = { .free = count_free };
static const struct drm_gem_object_funcs heap_funcs = { .free = heap_free };
static const struct drm_gem_object_funcs no_free_funcs = { .free = NULL };

static void test_drm_gem_init_einval(void **state)
{
	struct drm_gem_object obj, zero;

	memset(&obj, 0, sizeof(obj));
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(drm_gem_object_init(NULL, &count_funcs, 4096), -EINVAL);
	assert_int_equal(drm_gem_object_init(&obj, NULL, 4096), -EINVAL);
	assert_memory_equal(&obj, &zero, sizeof(obj));
	assert_int_equal(drm_gem_object_init(&obj, &no_free_funcs, 4096), -EINVAL);
	/* Nothing initialised: the object is still all zeroes. */
	assert_memory_equal(&obj, &zero, sizeof(obj));
}

static void test_drm_gem_own_resv(void **state)
{
	struct drm_gem_object obj;

	memset(&obj, 0, sizeof(obj));
	frees = 0;
	assert_int_equal(drm_gem_object_init(&obj, &count_funcs, 8192), 0);
	assert_ptr_equal(obj.resv, &obj._resv);
	assert_int_equal(obj.size, 8192);
	assert_ptr_equal(obj.funcs, &count_funcs);
	assert_int_equal(drm_gem_object_refcount(&obj), 1);
	assert_true(cds_list_empty(&obj.gpuva.list));
	/* A working lock: locked by us, then free again. */
	assert_int_equal(dma_resv_lock(obj.resv, NULL), 0);
	assert_true(dma_resv_held(obj.resv));
	dma_resv_unlock(obj.resv);
	assert_false(dma_resv_is_locked(obj.resv));
	/* The gpuva lock exists too. */
	assert_int_equal(pthread_mutex_lock(&obj.gpuva.lock), 0);
	pthread_mutex_unlock(&obj.gpuva.lock);

	drm_gem_object_put(&obj);
	assert_int_equal(frees, 1);
	assert_ptr_equal(last_freed, &obj);
}

/* Size 0 is allowed: drm_gpuvm's resv-only dummy object. */
static void test_drm_gem_size_zero(void **state)
{
	struct drm_gem_object obj;

	memset(&obj, 0, sizeof(obj));
	frees = 0;
	assert_int_equal(drm_gem_object_init(&obj, &count_funcs, 0), 0);
	assert_int_equal(obj.size, 0);
	drm_gem_object_put(&obj);
	assert_int_equal(frees, 1);
}

static void test_drm_gem_shared_resv(void **state)
{
	struct drm_gem_object a, b;
	struct dma_resv vm_resv;

	dma_resv_init(&vm_resv);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.resv = &vm_resv;
	b.resv = &vm_resv;
	frees = 0;
	assert_int_equal(drm_gem_object_init(&a, &count_funcs, 4096), 0);
	assert_int_equal(drm_gem_object_init(&b, &count_funcs, 4096), 0);
	assert_ptr_equal(a.resv, &vm_resv);
	assert_ptr_equal(b.resv, &vm_resv);

	/* Locking one locks the other: they share the lock. */
	assert_int_equal(dma_resv_lock(a.resv, NULL), 0);
	assert_true(dma_resv_is_locked(b.resv));
	assert_true(dma_resv_held(b.resv));
	/* The embedded resvs were initialised anyway, and are independent. */
	assert_false(dma_resv_is_locked(&a._resv));
	dma_resv_unlock(a.resv);
	assert_false(dma_resv_is_locked(b.resv));
	/* (Not nested: two context-less locks of one class would be reported.) */
	assert_int_equal(dma_resv_lock(&a._resv, NULL), 0);
	assert_false(dma_resv_is_locked(&vm_resv));
	dma_resv_unlock(&a._resv);

	drm_gem_object_put(&a);
	drm_gem_object_put(&b);
	assert_int_equal(frees, 2);
	/* The shared resv outlives its users. */
	assert_int_equal(dma_resv_lock(&vm_resv, NULL), 0);
	dma_resv_unlock(&vm_resv);
	dma_resv_fini(&vm_resv);
}

static void test_drm_gem_get_put_free(void **state)
{
	struct test_bo *bo = calloc(1, sizeof(*bo));

	assert_non_null(bo);
	frees = 0;
	last_freed = NULL;
	assert_int_equal(drm_gem_object_init(&bo->base, &heap_funcs, 4096), 0);
	drm_gem_object_get(&bo->base);
	drm_gem_object_get(&bo->base);
	assert_int_equal(drm_gem_object_refcount(&bo->base), 3);
	drm_gem_object_put(&bo->base);
	drm_gem_object_put(&bo->base);
	assert_int_equal(drm_gem_object_refcount(&bo->base), 1);
	assert_int_equal(frees, 0);
	drm_gem_object_put(&bo->base); /* the last one frees (ASan proves the free) */
	assert_int_equal(frees, 1);
	assert_ptr_equal(last_freed, &bo->base);
}

static void test_drm_gem_null_safe(void **state)
{
	frees = 0;
	drm_gem_object_get(NULL);
	drm_gem_object_put(NULL);
	assert_int_equal(frees, 0);
}

/* ---- release drops the embedded resv's fences -------------------------------------- */

static const char *tf_name(struct dma_fence *f) { return "gem-test"; }
static const struct dma_fence_ops tf_ops = {
	.get_driver_name = tf_name,
	.get_timeline_name = tf_name,
};
static struct resv_spinlock tf_lock = RESV_SPINLOCK_INITIALIZER;

static void test_drm_gem_release_drops_fences(void **state)
{
	struct drm_gem_object obj;
	struct dma_fence *f = resv_dma_fence_alloc(sizeof(*f));

	assert_non_null(f);
	dma_fence_init(f, &tf_ops, &tf_lock, dma_fence_context_alloc(1), 1);
	memset(&obj, 0, sizeof(obj));
	frees = 0;
	assert_int_equal(drm_gem_object_init(&obj, &count_funcs, 4096), 0);
	assert_int_equal(dma_resv_lock(obj.resv, NULL), 0);
	assert_int_equal(dma_resv_reserve_fences(obj.resv, 1), 0);
	dma_resv_add_fence(obj.resv, f, DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(obj.resv);
	assert_int_equal(__atomic_load_n(&f->refcount.refcount, __ATOMIC_RELAXED), 2);

	drm_gem_object_put(&obj);
	assert_int_equal(frees, 1);
	assert_int_equal(__atomic_load_n(&f->refcount.refcount, __ATOMIC_RELAXED), 1);
	dma_fence_signal(f);
	dma_fence_put(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_drm_gem_init_einval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drm_gem_own_resv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drm_gem_size_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drm_gem_shared_resv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drm_gem_get_put_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drm_gem_null_safe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drm_gem_release_drops_fences, setup, teardown),
	};

	return cmocka_run_group_tests_name("drm_gem", tests, NULL, NULL);
}
