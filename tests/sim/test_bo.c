/* SPDX-License-Identifier: MIT */
/*
 * Buffer objects: creation, placements and moves with their data, the move
 * fence as a KERNEL fence that waits for every user, zero-filled fresh
 * storage, pins, CPU access, lifetimes across pending moves, and allocation
 * failure in create and move.
 */
#include <time.h>

#include "sim_test.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * MS };

	while (nanosleep(&ts, &ts))
		;
}

static struct sim_device_stats stats(struct sim_device *dev)
{
	struct sim_device_stats st;

	sim_device_get_stats(dev, &st);
	return st;
}

static unsigned int count_fences(struct sim_bo *bo, enum dma_resv_usage usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	unsigned int n = 0;

	dma_resv_for_each_fence(&cursor, bo->base.resv, usage, fence)
		n++;
	return n;
}

static void test_bo_create_args(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	struct sim_bo *bo = (struct sim_bo *)0x1;

	assert_int_equal(sim_bo_create(dev, 0, SIM_PL_MASK_ALL, SIM_PL_NONE, NULL, &bo), -EINVAL);
	assert_int_equal(sim_bo_create(dev, PAGE + 1, SIM_PL_MASK_ALL, SIM_PL_NONE, NULL, &bo),
			 -EINVAL);
	assert_int_equal(sim_bo_create(dev, PAGE, 0, SIM_PL_NONE, NULL, &bo), -EINVAL);
	assert_int_equal(sim_bo_create(dev, PAGE, 1u << 5, SIM_PL_NONE, NULL, &bo), -EINVAL);
	assert_int_equal(sim_bo_create(dev, PAGE, SIM_PL_MASK_VRAM, SIM_PL_SYSTEM, NULL, &bo),
			 -EINVAL);
	assert_int_equal(sim_bo_create(dev, PAGE, SIM_PL_MASK_ALL, SIM_PL_VRAM, NULL, &bo),
			 -EINVAL);
	assert_int_equal(sim_bo_create(NULL, PAGE, SIM_PL_MASK_ALL, SIM_PL_NONE, NULL, &bo),
			 -EINVAL);
	assert_ptr_equal(bo, (struct sim_bo *)0x1);
	assert_int_equal(stats(dev).bo_count, 0);

	bo = st_bo(dev, 2 * PAGE, SIM_PL_MASK_ALL, SIM_PL_NONE);
	assert_int_equal(bo->base.size, 2 * PAGE);
	assert_int_equal(sim_bo_placement(bo), SIM_PL_NONE);
	assert_ptr_equal(bo->base.resv, &bo->base._resv);
	assert_int_equal(drm_gem_object_refcount(&bo->base), 1);
	assert_int_equal(stats(dev).bo_count, 1);
	sim_bo_put(bo);
	assert_int_equal(stats(dev).bo_count, 0);
	sim_device_destroy(dev);
}

static void test_bo_shared_resv(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	struct dma_resv vm_resv;
	struct sim_bo *a, *b;

	dma_resv_init(&vm_resv);
	assert_int_equal(sim_bo_create(dev, PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM, &vm_resv, &a), 0);
	assert_int_equal(sim_bo_create(dev, PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM, &vm_resv, &b), 0);
	assert_ptr_equal(a->base.resv, &vm_resv);
	assert_ptr_equal(b->base.resv, &vm_resv);
	/* One lock covers both: validating both moves each under it. */
	assert_int_equal(dma_resv_lock(&vm_resv, NULL), 0);
	{
		struct sim_op_ctx op = { 0 };

		assert_int_equal(sim_bo_validate(a, SIM_PL_MASK_VRAM, &op), 0);
		assert_int_equal(sim_bo_validate(b, SIM_PL_MASK_VRAM, &op), 0);
	}
	/* b's move waited for a's (same resv), so its later fence of the
	 * same timeline replaced a's. */
	assert_int_equal(count_fences(a, DMA_RESV_USAGE_KERNEL), 1);
	dma_resv_unlock(&vm_resv);
	sim_bo_put(a);
	sim_bo_put(b);
	sim_device_destroy(dev);
	dma_resv_fini(&vm_resv);
}

static void test_bo_create_enomem(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	uint64_t before = st_live_bytes();
	struct sim_bo *bo = NULL;
	unsigned long n;

	for (n = 1;; n++) {
		int ret;

		resv_alloc_fail_nth(n);
		ret = sim_bo_create(dev, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM, NULL, &bo);
		resv_alloc_fail_nth(0);
		if (!ret)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(st_live_bytes(), before);
		assert_int_equal(stats(dev).bo_count, 0);
	}
	assert_int_equal(n, 4);	/* the BO, its storage record, its bytes */
	sim_bo_put(bo);
	assert_int_equal(st_live_bytes(), before);
	sim_device_destroy(dev);
}

static void test_bo_move_keeps_data(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	struct sim_bo *bo = st_bo(dev, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	const uint8_t *vram = sim_device_vram(dev, NULL);
	struct sim_op_ctx op = { 0 };
	uint32_t words[4 * PAGE / 4];
	uint64_t off;

	st_bo_fill_pattern(bo, 7);
	st_validate(bo, SIM_PL_MASK_VRAM);
	st_lock(bo);
	assert_int_equal(sim_bo_placement(bo), SIM_PL_VRAM);
	off = sim_bo_vram_offset(bo);
	assert_true(off + 4 * PAGE <= 16 * PAGE);
	assert_int_equal(sim_bo_read(bo, 0, words, sizeof(words)), 0);
	/* The bytes really are in the VRAM buffer, at the BO's offset. */
	assert_memory_equal(vram + off, words, sizeof(words));
	st_unlock(bo);
	assert_true(st_bo_check_pattern(bo, 7));
	assert_int_equal(stats(dev).vram_used, 4 * PAGE);

	st_lock(bo);
	assert_int_equal(sim_bo_move(bo, SIM_PL_SYSTEM, &op), 0);
	assert_int_equal(sim_bo_vram_offset(bo), UINT64_MAX);
	st_unlock(bo);
	assert_true(st_bo_check_pattern(bo, 7));
	st_wait_bo_idle(bo);
	assert_int_equal(stats(dev).vram_used, 0);	/* old range freed once copied */

	st_validate(bo, SIM_PL_MASK_VRAM);
	assert_true(st_bo_check_pattern(bo, 7));
	assert_int_equal(stats(dev).migrations, 3);
	assert_int_equal(stats(dev).evictions, 0);

	/* Already there: nothing happens, no new fence. */
	st_lock(bo);
	assert_int_equal(sim_bo_validate(bo, SIM_PL_MASK_ALL, &op), 0);
	assert_int_equal(sim_bo_move(bo, SIM_PL_VRAM, &op), 0);
	st_unlock(bo);
	assert_int_equal(stats(dev).migrations, 3);
	sim_bo_put(bo);
	sim_device_destroy(dev);
}

static void test_bo_move_fence_is_kernel(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	struct sim_bo *bo = st_bo(dev, PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct sim_op_ctx op = { 0 };
	struct dma_resv_iter cursor;
	struct dma_fence *fence, *found = NULL;
	unsigned int n = 0;

	st_lock(bo);
	assert_int_equal(sim_bo_validate(bo, SIM_PL_MASK_VRAM, &op), 0);
	dma_resv_for_each_fence(&cursor, bo->base.resv, DMA_RESV_USAGE_BOOKKEEP, fence) {
		assert_int_equal(dma_resv_iter_usage(&cursor), DMA_RESV_USAGE_KERNEL);
		found = fence;
		n++;
	}
	assert_int_equal(n, 1);
	assert_int_equal(found->context,
			 sim_engine_fence_context(sim_device_migrate_engine(dev)));
	assert_string_equal(found->ops->get_timeline_name(found), "migrate");
	/* KERNEL fences are what even a plain read waits for. */
	assert_int_equal(count_fences(bo, DMA_RESV_USAGE_KERNEL), 1);
	fence = dma_fence_get(found);
	st_unlock(bo);
	assert_int_equal(st_wait(fence), 1);
	dma_fence_put(fence);
	sim_bo_put(bo);
	sim_device_destroy(dev);
}

static void test_bo_move_waits_for_users(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	struct sim_bo *bo = st_bo(dev, 2 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct dma_fence *user = st_fence_new(), *move;
	struct sim_op_ctx op = { 0 };
	struct dma_resv_iter cursor;
	struct dma_fence *f;

	st_bo_fill_pattern(bo, 3);
	/* A user that does not sync implicitly still holds the BO. */
	st_lock(bo);
	assert_int_equal(dma_resv_reserve_fences(bo->base.resv, 1), 0);
	dma_resv_add_fence(bo->base.resv, user, DMA_RESV_USAGE_BOOKKEEP);
	assert_int_equal(sim_bo_move(bo, SIM_PL_VRAM, &op), 0);
	move = NULL;
	dma_resv_for_each_fence(&cursor, bo->base.resv, DMA_RESV_USAGE_KERNEL, f)
		move = dma_fence_get(f);
	st_unlock(bo);
	assert_non_null(move);

	sleep_ms(20);
	assert_int_equal(dma_fence_get_status(move), 0);	/* still waiting */
	/* Both ranges exist meanwhile: the new one is allocated, the old
	 * (system) storage is still what the user may touch. */
	assert_int_equal(stats(dev).vram_used, 2 * PAGE);
	st_fence_signal(user, 0);
	assert_int_equal(st_wait(move), 1);
	assert_true(st_bo_check_pattern(bo, 3));
	dma_fence_put(move);
	dma_fence_put(user);
	sim_bo_put(bo);
	sim_device_destroy(dev);
}

static void test_bo_move_copies_despite_user_error(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	struct sim_bo *bo = st_bo(dev, PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct dma_fence *user = st_fence_new();
	struct sim_op_ctx op = { 0 };

	st_bo_fill_pattern(bo, 11);
	st_lock(bo);
	assert_int_equal(dma_resv_reserve_fences(bo->base.resv, 1), 0);
	dma_resv_add_fence(bo->base.resv, user, DMA_RESV_USAGE_WRITE);
	assert_int_equal(sim_bo_move(bo, SIM_PL_VRAM, &op), 0);
	st_unlock(bo);
	/* A failed user job must not make the move skip its copy. */
	st_fence_signal(user, -EIO);
	assert_true(st_bo_check_pattern(bo, 11));
	dma_fence_put(user);
	sim_bo_put(bo);
	sim_device_destroy(dev);
}

static void test_bo_fresh_storage_is_zeroed(void **state)
{
	struct sim_device *dev = st_device(4 * PAGE, 0, 0);
	struct sim_bo *a = st_bo(dev, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct sim_bo *b;
	uint8_t buf[4 * PAGE], zero[4 * PAGE] = { 0 };

	st_bo_fill_pattern(a, 5);
	st_validate(a, SIM_PL_MASK_VRAM);
	st_wait_bo_idle(a);
	sim_bo_put(a);		/* its VRAM now holds the pattern, freed */
	assert_int_equal(stats(dev).vram_used, 0);

	b = st_bo(dev, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_NONE);
	st_lock(b);
	assert_int_equal(sim_bo_read(b, 0, buf, PAGE), -EFAULT);	/* no storage yet */
	st_unlock(b);
	st_validate(b, SIM_PL_MASK_VRAM);	/* the same range again */
	st_lock(b);
	assert_int_equal(sim_bo_vram_offset(b), 0);
	assert_int_equal(sim_bo_read(b, 0, buf, sizeof(buf)), 0);
	st_unlock(b);
	assert_memory_equal(buf, zero, sizeof(buf));
	sim_bo_put(b);
	sim_device_destroy(dev);
}

static void test_bo_pin(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	struct sim_bo *bo = st_bo(dev, PAGE, SIM_PL_MASK_ALL, SIM_PL_NONE);
	struct sim_op_ctx op = { 0 };

	st_lock(bo);
	assert_int_equal(sim_bo_pin(bo), -EINVAL);	/* nothing to pin */
	assert_int_equal(sim_bo_unpin(bo), -EINVAL);
	assert_int_equal(sim_bo_validate(bo, SIM_PL_MASK_SYSTEM, &op), 0);
	assert_int_equal(sim_bo_pin(bo), 0);
	assert_int_equal(sim_bo_pin(bo), 0);
	assert_int_equal(bo->pin_count, 2);
	assert_int_equal(sim_bo_move(bo, SIM_PL_VRAM, &op), -EINVAL);
	assert_int_equal(sim_bo_validate(bo, SIM_PL_MASK_VRAM, &op), -EINVAL);
	assert_int_equal(sim_bo_validate(bo, SIM_PL_MASK_ALL, &op), 0);	/* already fine */
	assert_int_equal(sim_bo_placement(bo), SIM_PL_SYSTEM);
	assert_int_equal(sim_bo_unpin(bo), 0);
	assert_int_equal(sim_bo_unpin(bo), 0);
	assert_int_equal(sim_bo_unpin(bo), -EINVAL);
	assert_int_equal(sim_bo_move(bo, SIM_PL_VRAM, &op), 0);
	st_unlock(bo);
	sim_bo_put(bo);
	sim_device_destroy(dev);
}

static void test_bo_move_bad_args(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	struct sim_bo *bo = st_bo(dev, PAGE, SIM_PL_MASK_SYSTEM, SIM_PL_SYSTEM);
	struct sim_op_ctx op = { 0 };

	st_lock(bo);
	assert_int_equal(sim_bo_move(bo, SIM_PL_VRAM, &op), -EINVAL);	/* not allowed */
	assert_int_equal(sim_bo_move(bo, (enum sim_placement)7, &op), -EINVAL);
	assert_int_equal(sim_bo_validate(bo, SIM_PL_MASK_VRAM, &op), -EINVAL);
	assert_int_equal(sim_bo_validate(bo, SIM_PL_MASK_ALL, &op), 0);
	assert_int_equal(count_fences(bo, DMA_RESV_USAGE_BOOKKEEP), 0);
	st_unlock(bo);
	assert_int_equal(stats(dev).migrations, 0);
	sim_bo_put(bo);
	sim_device_destroy(dev);
}

static void test_bo_move_to_none(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	struct sim_bo *bo = st_bo(dev, 2 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct sim_op_ctx op = { 0 };
	uint32_t w;

	st_validate(bo, SIM_PL_MASK_VRAM);
	st_lock(bo);
	assert_int_equal(sim_bo_move(bo, SIM_PL_NONE, &op), 0);
	assert_int_equal(sim_bo_placement(bo), SIM_PL_NONE);
	assert_int_equal(sim_bo_read(bo, 0, &w, 4), -EFAULT);
	assert_int_equal(sim_bo_write(bo, 0, &w, 4), -EFAULT);
	st_unlock(bo);
	st_wait_bo_idle(bo);
	assert_int_equal(stats(dev).vram_used, 0);
	sim_bo_put(bo);
	sim_device_destroy(dev);
}

static void test_bo_cpu_access_bounds(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	struct sim_bo *bo = st_bo(dev, PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, out[8];

	st_lock(bo);
	assert_int_equal(sim_bo_write(bo, PAGE - 4, buf, 8), -EINVAL);
	assert_int_equal(sim_bo_write(bo, UINT64_MAX - 2, buf, 8), -EINVAL);
	assert_int_equal(sim_bo_read(bo, PAGE + 1, out, 0), -EINVAL);
	assert_int_equal(sim_bo_write(bo, PAGE - 8, buf, 8), 0);
	assert_int_equal(sim_bo_read(bo, PAGE - 8, out, 8), 0);
	assert_memory_equal(buf, out, 8);
	st_unlock(bo);
	sim_bo_put(bo);
	sim_device_destroy(dev);
}

/* The last user reference goes while the move still waits: the move job
 * keeps the BO alive, then everything is freed. */
static void test_bo_put_during_move(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	struct sim_bo *bo = st_bo(dev, 4 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct dma_fence *user = st_fence_new();
	struct sim_op_ctx op = { 0 };

	st_lock(bo);
	assert_int_equal(dma_resv_reserve_fences(bo->base.resv, 1), 0);
	dma_resv_add_fence(bo->base.resv, user, DMA_RESV_USAGE_BOOKKEEP);
	assert_int_equal(sim_bo_move(bo, SIM_PL_VRAM, &op), 0);
	st_unlock(bo);
	assert_int_equal(drm_gem_object_refcount(&bo->base), 2);
	sim_bo_put(bo);
	assert_int_equal(stats(dev).bo_count, 1);
	st_fence_signal(user, 0);
	dma_fence_put(user);
	for (int i = 0; i < 1000 && stats(dev).bo_count; i++)
		sleep_ms(1);
	assert_int_equal(stats(dev).bo_count, 0);
	assert_int_equal(stats(dev).vram_used, 0);
	sim_device_destroy(dev);
}

/* Every allocation of a move fails in turn: -ENOMEM, and the BO, its
 * fences, VRAM and the allocator are exactly as before. */
static void test_bo_move_enomem(void **state)
{
	struct sim_device *dev = st_device(16 * PAGE, 0, 0);
	struct sim_bo *bo = st_bo(dev, 2 * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	static const enum sim_placement route[] = { SIM_PL_VRAM, SIM_PL_SYSTEM, SIM_PL_NONE };

	st_bo_fill_pattern(bo, 9);
	for (unsigned int r = 0; r < 3; r++) {
		enum sim_placement from = r ? route[r - 1] : SIM_PL_SYSTEM;
		struct sim_op_ctx op = { 0 };
		unsigned long n;
		uint64_t before;
		int ret;

		st_wait_bo_idle(bo);
		/* Grow the fence list now, so that the reservation inside the
		 * move never allocates and live bytes compare exactly. */
		st_lock(bo);
		assert_int_equal(dma_resv_reserve_fences(bo->base.resv, 2), 0);
		st_unlock(bo);
		before = st_live_bytes();
		for (n = 1;; n++) {
			uint64_t migrations = stats(dev).migrations;
			unsigned int fences;

			st_lock(bo);
			fences = count_fences(bo, DMA_RESV_USAGE_BOOKKEEP);
			resv_alloc_fail_nth(n);
			ret = sim_bo_move(bo, route[r], &op);
			resv_alloc_fail_nth(0);
			if (ret) {
				assert_int_equal(ret, -ENOMEM);
				assert_int_equal(sim_bo_placement(bo), from);
				assert_int_equal(count_fences(bo, DMA_RESV_USAGE_BOOKKEEP), fences);
			}
			st_unlock(bo);
			if (!ret)
				break;
			assert_int_equal(stats(dev).migrations, migrations);
			assert_int_equal(stats(dev).vram_used, from == SIM_PL_VRAM ? 2 * PAGE : 0);
			assert_int_equal(st_live_bytes(), before);
		}
		assert_true(n >= 2);
		if (route[r] != SIM_PL_NONE)
			assert_true(st_bo_check_pattern(bo, 9));
	}
	sim_bo_put(bo);
	sim_device_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bo_create_args),
		cmocka_unit_test(test_bo_shared_resv),
		cmocka_unit_test(test_bo_create_enomem),
		cmocka_unit_test(test_bo_move_keeps_data),
		cmocka_unit_test(test_bo_move_fence_is_kernel),
		cmocka_unit_test(test_bo_move_waits_for_users),
		cmocka_unit_test(test_bo_move_copies_despite_user_error),
		cmocka_unit_test(test_bo_fresh_storage_is_zeroed),
		cmocka_unit_test(test_bo_pin),
		cmocka_unit_test(test_bo_move_bad_args),
		cmocka_unit_test(test_bo_move_to_none),
		cmocka_unit_test(test_bo_cpu_access_bounds),
		cmocka_unit_test(test_bo_put_during_move),
		cmocka_unit_test(test_bo_move_enomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
