/* SPDX-License-Identifier: MIT */
/*
 * The device: configuration defaults and checks, allocation failure in
 * device, context and page-table creation, the engines it exposes, and a
 * destroy with objects still alive (reported, not freed).
 */
#include "sim_test.h"

static void test_device_defaults(void **state)
{
	struct sim_device_config cfg;
	struct sim_device_stats st;
	struct sim_device *dev = NULL;
	uint64_t vram_size = 0;

	assert_int_equal(sim_device_create(NULL, &dev), 0);
	sim_device_config_get(dev, &cfg);
	assert_int_equal(cfg.vram_size, 64ull << 20);
	assert_int_equal(cfg.num_engines, 2);
	assert_int_equal(cfg.job_timeout_ns, 500 * MS);
	assert_int_equal(cfg.ban_threshold, 3);
	assert_int_equal(cfg.max_batch_bytes, 64u << 10);
	assert_int_equal(sim_device_num_engines(dev), 2);
	assert_non_null(sim_device_engine(dev, 1));
	assert_null(sim_device_engine(dev, 2));
	assert_non_null(sim_device_vram(dev, &vram_size));
	assert_int_equal(vram_size, 64ull << 20);
	sim_device_get_stats(dev, &st);
	assert_int_equal(st.vram_size, 64ull << 20);
	assert_int_equal(st.vram_used + st.jobs + st.bo_count + st.migrations, 0);
	sim_device_destroy(dev);
	sim_device_destroy(NULL);
}

static void test_device_config_checks(void **state)
{
	static const struct sim_device_config bad[] = {
		{ .vram_size = SIM_PAGE_SIZE + 1 },
		{ .vram_size = 16ull << 40 },
		{ .num_engines = SIM_MAX_ENGINES + 1 },
		{ .job_timeout_ns = -1 },
		{ .max_batch_bytes = 6 },
	};
	struct sim_device_config ok = { .vram_size = SIM_PAGE_SIZE, .num_engines = SIM_MAX_ENGINES };
	struct sim_device *dev = (struct sim_device *)0x1;
	uint64_t before = st_live_bytes();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sim_device_create(&bad[i], &dev), -EINVAL);
	assert_int_equal(sim_device_create(NULL, NULL), -EINVAL);
	assert_ptr_equal(dev, (struct sim_device *)0x1);
	assert_int_equal(st_live_bytes(), before);

	assert_int_equal(sim_device_create(&ok, &dev), 0);
	assert_string_equal(sim_engine_name(sim_device_engine(dev, 15)), "rcs15");
	assert_string_equal(sim_engine_name(sim_device_migrate_engine(dev)), "migrate");
	sim_device_destroy(dev);
	assert_int_equal(st_live_bytes(), before);
}

static void test_device_create_enomem(void **state)
{
	struct sim_device_config cfg = { .vram_size = 32 * SIM_PAGE_SIZE, .num_engines = 3 };
	uint64_t before = st_live_bytes();
	struct sim_device *dev = NULL;
	unsigned long n;

	for (n = 1;; n++) {
		int ret;

		resv_alloc_fail_nth(n);
		ret = sim_device_create(&cfg, &dev);
		resv_alloc_fail_nth(0);
		if (!ret)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(st_live_bytes(), before);
	}
	/* device, VRAM, four allocator arrays, three batch buffers */
	assert_int_equal(n, 10);
	sim_device_destroy(dev);
	assert_int_equal(st_live_bytes(), before);
}

static void test_context_and_pt_enomem(void **state)
{
	struct sim_device *dev = st_device(16 * SIM_PAGE_SIZE, 0, 0);
	struct sim_context *ctx = NULL;
	struct sim_pt *pt = NULL;
	uint64_t before = st_live_bytes();

	assert_int_equal(sim_context_create(NULL, &ctx), -EINVAL);
	assert_int_equal(sim_pt_create(dev, NULL), -EINVAL);
	resv_alloc_fail_nth(1);
	assert_int_equal(sim_context_create(dev, &ctx), -ENOMEM);
	resv_alloc_fail_nth(1);
	assert_int_equal(sim_pt_create(dev, &pt), -ENOMEM);
	resv_alloc_fail_nth(2);
	assert_int_equal(sim_pt_create(dev, &pt), -ENOMEM);
	resv_alloc_fail_nth(0);
	assert_null(ctx);
	assert_null(pt);
	assert_int_equal(st_live_bytes(), before);

	assert_int_equal(sim_context_create(dev, &ctx), 0);
	assert_int_equal(sim_context_id(ctx), 1);
	assert_int_equal(sim_context_hangs(ctx), 0);
	assert_false(sim_context_is_banned(ctx));
	assert_ptr_equal(sim_context_get(ctx), ctx);
	sim_context_put(ctx);
	sim_context_put(ctx);
	sim_context_put(NULL);
	sim_device_destroy(dev);
}

/* Objects alive at destroy: reported and the device is left alone (its
 * memory leaked, not freed under the objects). */
static void test_device_destroy_with_live_objects(void **state)
{
	struct sim_device *dev = st_device(16 * SIM_PAGE_SIZE, 0, 0);
	struct sim_bo *bo = st_bo(dev, SIM_PAGE_SIZE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	struct sim_device_stats st;
	uint32_t w = 5;

	sim_device_destroy(dev);	/* prints the leak report */
	st_lock(bo);
	assert_int_equal(sim_bo_write(bo, 0, &w, 4), 0);	/* still usable */
	st_unlock(bo);
	sim_device_get_stats(dev, &st);
	assert_int_equal(st.bo_count, 1);
	sim_bo_put(bo);
	sim_device_destroy(dev);	/* now it goes */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_defaults),
		cmocka_unit_test(test_device_config_checks),
		cmocka_unit_test(test_device_create_enomem),
		cmocka_unit_test(test_context_and_pt_enomem),
		cmocka_unit_test(test_device_destroy_with_live_objects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
