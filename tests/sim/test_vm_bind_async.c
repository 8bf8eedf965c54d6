/* SPDX-License-Identifier: MIT */
/*
 * Asynchronous VM_BIND: the VA tree changes at once, the page table once
 * the in-fences signalled; binds of a VM apply in order; a failed in-fence
 * does not stop the update; closing the VM cancels what still waits.
 */
#include <pthread.h>
#include <unistd.h>

#include "test_vm.h"

#define A VT_DATA_VA

/* ---- asynchronous binds ----------------------------------------------------------------- */

/* The VA tree changes at once; the page table only once the in-fence
 * signalled, and the out-fence then. Same for an unmap. */
static void test_vm_bind_async_in_fence(void **state)
{
	struct vt t;
	struct sim_bo *bo;
	struct dma_fence *in = st_fence_new(), *in2 = st_fence_new(), *out = NULL;
	struct sim_vm_stats st;

	vt_init(&t, 0, 0);
	bo = st_bo(t.dev, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct sim_vm_bind args = vt_map_req(bo, A, 4 * PAGE, 0);

	args.flags = SIM_VM_BIND_FLAG_ASYNC;
	args.in_fences = &in;
	args.num_in_fences = 1;
	assert_int_equal(sim_vm_bind(t.vm, &args, &out), 0);
	assert_non_null(out);
	vt_expect_va(&t, A, 4 * PAGE, bo, 0);
	usleep(20000);
	assert_false(dma_fence_is_signaled(out));
	vt_expect_pages(&t, A, 4, NULL, 0);	/* not visible yet */
	/* Published BOOKKEEP on the VM and on the external BO. */
	assert_int_equal(vt_count_fences(sim_vm_resv(t.vm), DMA_RESV_USAGE_BOOKKEEP), 1);
	assert_int_equal(vt_count_fences(bo->base.resv, DMA_RESV_USAGE_BOOKKEEP), 1);
	assert_int_equal(vt_count_fences(bo->base.resv, DMA_RESV_USAGE_READ), 0);

	st_fence_signal(in, 0);
	assert_int_equal(st_wait(out), 1);
	vt_expect_pages(&t, A, 4, bo, 0);
	dma_fence_put(out);

	args = vt_unmap_req(A + PAGE, 2 * PAGE);
	args.flags = SIM_VM_BIND_FLAG_ASYNC;
	args.in_fences = &in2;
	args.num_in_fences = 1;
	assert_int_equal(sim_vm_bind(t.vm, &args, &out), 0);
	assert_null(vt_find(&t, A, 4 * PAGE));
	vt_expect_va(&t, A, PAGE, bo, 0);
	vt_expect_va(&t, A + 3 * PAGE, PAGE, bo, 3 * PAGE);
	usleep(20000);
	vt_expect_pages(&t, A, 4, bo, 0);	/* still mapped */
	st_fence_signal(in2, 0);
	assert_int_equal(st_wait(out), 1);
	vt_expect_pages(&t, A, 1, bo, 0);
	vt_expect_pages(&t, A + PAGE, 2, NULL, 0);
	vt_expect_pages(&t, A + 3 * PAGE, 1, bo, 3 * PAGE);
	dma_fence_put(out);

	sim_vm_get_stats(t.vm, &st);
	assert_int_equal(st.async_binds, 2);
	dma_fence_put(in);
	dma_fence_put(in2);
	sim_bo_put(bo);
	vt_fini(&t, true);
}

struct sync_bind_thread {
	struct vt *t;
	struct sim_vm_bind args;
	int ret;
	int done;
};

static void *sync_bind_fn(void *arg)
{
	struct sync_bind_thread *s = arg;

	s->ret = sim_vm_bind(s->t->vm, &s->args, NULL);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Binds of a VM apply in order: an asynchronous bind without in-fences and
 * a synchronous one both wait for an earlier one blocked on its in-fence;
 * out-fences signal in submission order.
 */
static void test_vm_bind_async_order(void **state)
{
	struct vt t;
	struct sim_bo *bo;
	struct dma_fence *in = st_fence_new(), *out1 = NULL, *out2 = NULL;
	struct sync_bind_thread s;
	pthread_t thread;

	vt_init(&t, 0, SIM_VM_RESV_PROTECTED);
	bo = st_bo(t.dev, 8 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct sim_vm_bind args = vt_map_req(bo, A, 2 * PAGE, 0);

	args.flags = SIM_VM_BIND_FLAG_ASYNC;
	args.in_fences = &in;
	args.num_in_fences = 1;
	assert_int_equal(sim_vm_bind(t.vm, &args, &out1), 0);
	args = vt_map_req(bo, A + 2 * PAGE, 2 * PAGE, 2 * PAGE);
	args.flags = SIM_VM_BIND_FLAG_ASYNC;
	assert_int_equal(sim_vm_bind(t.vm, &args, &out2), 0);
	assert_true(out2->seqno > out1->seqno);
	assert_int_equal(out1->context, out2->context);

	s = (struct sync_bind_thread){ .t = &t, .args = vt_map_req(bo, A + 4 * PAGE, 4 * PAGE,
								 4 * PAGE) };
	assert_int_equal(pthread_create(&thread, NULL, sync_bind_fn, &s), 0);
	usleep(30000);
	assert_false(dma_fence_is_signaled(out1));
	assert_false(dma_fence_is_signaled(out2));
	assert_int_equal(__atomic_load_n(&s.done, __ATOMIC_ACQUIRE), 0);
	vt_expect_pages(&t, A, 8, NULL, 0);

	st_fence_signal(in, 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(s.ret, 0);
	/* The synchronous bind returned: everything before it is applied. */
	assert_true(dma_fence_is_signaled(out1));
	assert_true(dma_fence_is_signaled(out2));
	vt_expect_pages(&t, A, 8, bo, 0);

	dma_fence_put(out1);
	dma_fence_put(out2);
	dma_fence_put(in);
	sim_bo_put(bo);
	vt_fini(&t, true);
}

/* A failed in-fence does not stop the update: the tree already shows it. */
static void test_vm_bind_async_in_fence_error(void **state)
{
	struct vt t;
	struct sim_bo *bo;
	struct dma_fence *in = st_fence_new(), *out = NULL;

	vt_init(&t, 0, 0);
	bo = st_bo(t.dev, PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct sim_vm_bind args = vt_map_req(bo, A, PAGE, 0);

	args.flags = SIM_VM_BIND_FLAG_ASYNC;
	args.in_fences = &in;
	args.num_in_fences = 1;
	assert_int_equal(sim_vm_bind(t.vm, &args, &out), 0);
	st_fence_signal(in, -EIO);
	assert_int_equal(st_wait(out), 1);
	vt_expect_pages(&t, A, 1, bo, 0);
	dma_fence_put(out);
	dma_fence_put(in);
	sim_bo_put(bo);
	vt_fini(&t, true);
}

/* Closing the VM cancels a bind still waiting for its in-fence. */
static void test_vm_destroy_cancels_pending_bind(void **state)
{
	uint64_t live = st_live_bytes();
	struct vt t;
	struct sim_bo *bo;
	struct dma_fence *in = st_fence_new(), *out = NULL;

	vt_init(&t, 0, 0);
	bo = st_bo(t.dev, PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct sim_vm_bind args = vt_map_req(bo, A, PAGE, 0);

	args.flags = SIM_VM_BIND_FLAG_ASYNC;
	args.in_fences = &in;
	args.num_in_fences = 1;
	assert_int_equal(sim_vm_bind(t.vm, &args, &out), 0);
	sim_bo_put(bo);
	vt_fini(&t, true);
	assert_int_equal(dma_fence_get_status(out), -ECANCELED);
	dma_fence_put(out);
	st_fence_signal(in, 0);
	dma_fence_put(in);
	assert_int_equal(st_live_bytes(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vm_bind_async_in_fence),
		cmocka_unit_test(test_vm_bind_async_order),
		cmocka_unit_test(test_vm_bind_async_in_fence_error),
		cmocka_unit_test(test_vm_destroy_cancels_pending_bind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
