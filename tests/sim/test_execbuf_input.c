/* SPDX-License-Identifier: MIT */
/*
 * Bad input and allocation failure: every argument check returns its exact
 * errno with nothing locked, nothing bound, no reference and no fence left;
 * failing each allocation of a full execbuf in turn returns -ENOMEM with
 * nothing locked, no job, no fence and no reference left over.
 */
#include "test_execbuf.h"

#define NDATA 3

struct in {
	struct tx t;
	uint32_t data[NDATA];	/* data[0] NEEDS_VRAM-capable, in system memory */
	uint32_t sysonly;
	uint32_t batch;
	uint32_t big;		/* 32 pages: larger than max_batch_bytes */
	struct resv_mm *mm;
	uint32_t uptr;
	struct sim_execbuf_object objs[NDATA + 1];
	struct sim_reloc reloc;
	struct sim_execbuf args;
	struct dma_fence *fence;
};

static int setup(void **state)
{
	struct in *s = calloc(1, sizeof(*s));
	uint32_t words[16];
	struct sim_batch b;

	tx_init(&s->t, 0, 0);
	for (int i = 0; i < NDATA; i++)
		s->data[i] = tx_bo(&s->t, PAGE, SIM_PL_MASK_ALL);
	s->sysonly = tx_bo(&s->t, PAGE, SIM_PL_MASK_SYSTEM);
	s->big = tx_bo(&s->t, 32 * PAGE, SIM_PL_MASK_ALL);
	sim_batch_init(&b, words, 16);
	sim_batch_store_dw(&b, 0, 1);
	sim_batch_end(&b);
	s->batch = tx_batch_bo(&s->t, &b, 2);
	assert_int_equal(resv_mm_create(&s->mm), 0);
	s->t.mm = s->mm;
	assert_int_equal(resv_mm_map(s->mm, 0x10000, 2 * PAGE), 0);
	assert_int_equal(sim_gem_userptr(s->t.file, s->mm, 0x10000, 2 * PAGE, &s->uptr), 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct in *s = *state;

	assert_int_equal(sim_gem_close(s->t.file, s->uptr), 0);
	tx_fini(&s->t);
	free(s);
	return 0;
}

/* A valid execbuf: three data objects softpinned apart, the batch last
 * with one relocation into data[0]. */
static void reset(struct in *s)
{
	for (int i = 0; i < NDATA; i++)
		s->objs[i] = tx_obj(s->data[i], SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED,
				    TX_DATA_VA + (uint64_t)i * PAGE);
	s->reloc = (struct sim_reloc){ .offset = 4, .target_handle = s->data[0] };
	s->objs[NDATA] = (struct sim_execbuf_object){
		.handle = s->batch, .flags = SIM_EXEC_OBJECT_PINNED, .offset = TX_BATCH_VA,
		.relocation_count = 1, .relocs = &s->reloc,
	};
	s->args = (struct sim_execbuf){
		.objects = s->objs, .count = NDATA + 1, .batch_index = NDATA,
		.flags = SIM_EXECBUF_FENCE_OUT,
	};
	s->fence = NULL;
}

/* Nothing happened: no lock, no binding, no extra reference, no fence, no
 * job, placements as created, the batch untouched, one failure counted. */
static void expect_unchanged(struct in *s, uint64_t failures)
{
	uint32_t all[] = { s->data[0], s->data[1], s->data[2], s->sysonly, s->batch, s->big,
			   s->uptr };
	struct sim_execbuf_stats st;
	struct sim_device_stats ds;
	struct sim_pt_entry e;

	assert_null(s->fence);
	tx_assert_unlocked(&s->t, all, 7);
	for (int i = 0; i < 7; i++) {
		assert_int_equal(tx_bo_refs(&s->t, all[i]), 1);
		assert_int_equal(tx_fence_count(&s->t, all[i], DMA_RESV_USAGE_BOOKKEEP), 0);
	}
	assert_int_equal(sim_pt_lookup(sim_file_pt(s->t.file), TX_DATA_VA, &e), -ENOENT);
	assert_int_equal(sim_pt_lookup(sim_file_pt(s->t.file), TX_BATCH_VA, &e), -ENOENT);
	sim_device_get_stats(s->t.dev, &ds);
	assert_int_equal(ds.jobs, 0);
	assert_int_equal(tx_read_dw(&s->t, s->batch, 4), 0);	/* no relocation written */
	sim_execbuf_file_stats(s->t.file, &st);
	assert_int_equal(st.submissions, 0);
	assert_int_equal(st.failures, failures);
}

static void expect(struct in *s, int err, uint64_t *failures)
{
	assert_int_equal(sim_execbuf(s->t.file, &s->args, &s->fence), err);
	expect_unchanged(s, ++*failures);
	reset(s);
}

static void test_execbuf_bad_input(void **state)
{
	struct in *s = *state;
	struct sim_device *dev2 = st_device(1u << 20, 0, 0);
	struct sim_context *ctx2;
	uint64_t failures = 0;

	assert_int_equal(sim_context_create(dev2, &ctx2), 0);
	reset(s);
	assert_int_equal(sim_execbuf(NULL, &s->args, &s->fence), -EINVAL);
	assert_int_equal(sim_execbuf(s->t.file, NULL, &s->fence), -EINVAL);
	expect_unchanged(s, failures += 1);	/* NULL file counts nowhere */

	s->args.objects = NULL;				expect(s, -EINVAL, &failures);
	s->args.flags |= 1u << 31;			expect(s, -EINVAL, &failures);
	assert_int_equal(sim_execbuf(s->t.file, &s->args, NULL), -EINVAL);	/* FENCE_OUT */
	expect_unchanged(s, ++failures);
	s->args.count = 0;				expect(s, -EINVAL, &failures);
	s->args.count = SIM_EXECBUF_MAX_OBJECTS + 1;	expect(s, -EINVAL, &failures);
	s->args.batch_index = NDATA + 1;		expect(s, -EINVAL, &failures);
	s->args.engine = 2;				expect(s, -EINVAL, &failures);
	s->args.ctx = ctx2;				expect(s, -EINVAL, &failures);
	s->args.batch_start_offset = 2;			expect(s, -EINVAL, &failures);
	s->args.batch_start_offset = 2 * PAGE;		expect(s, -EINVAL, &failures);
	s->args.batch_len = 6;				expect(s, -EINVAL, &failures);
	s->args.batch_start_offset = PAGE;
	s->args.batch_len = PAGE + 4;			expect(s, -EINVAL, &failures);
	s->objs[NDATA].handle = s->big;
	s->objs[NDATA].relocation_count = 0;
	s->args.batch_len = 32 * PAGE;			expect(s, -EINVAL, &failures);	/* > 64 KiB */
	s->objs[1].flags |= 1u << 20;			expect(s, -EINVAL, &failures);
	s->objs[1].offset += 8;				expect(s, -EINVAL, &failures);
	s->objs[1].offset = SIM_EXEC_KERNEL_VA;		expect(s, -EINVAL, &failures);
	s->objs[1].offset = SIM_EXEC_KERNEL_VA - PAGE / 2;	expect(s, -EINVAL, &failures);
	s->objs[2].offset = s->objs[1].offset;		expect(s, -EINVAL, &failures);	/* overlap */
	s->objs[1].handle = 4242;			expect(s, -ENOENT, &failures);
	s->objs[1].handle = 0;				expect(s, -ENOENT, &failures);
	s->objs[1].handle = s->data[0];
	s->objs[1].offset = TX_DATA_VA + 8 * PAGE;	expect(s, -EINVAL, &failures);	/* twice */
	s->objs[NDATA].relocation_count = SIM_EXECBUF_MAX_RELOCS + 1;
							expect(s, -EINVAL, &failures);
	s->objs[NDATA].relocs = NULL;			expect(s, -EFAULT, &failures);
	s->reloc.target_handle = s->sysonly;		expect(s, -ENOENT, &failures);	/* not listed */
	s->reloc.target_handle = 999;			expect(s, -ENOENT, &failures);
	s->reloc.pad = 1;				expect(s, -EINVAL, &failures);
	s->reloc.offset = 6;				expect(s, -EINVAL, &failures);
	s->reloc.offset = 2 * PAGE - 4;			expect(s, -EINVAL, &failures);
	s->objs[0].handle = s->sysonly;
	s->objs[0].flags |= SIM_EXEC_OBJECT_NEEDS_VRAM;	expect(s, -EINVAL, &failures);
	s->objs[0].handle = s->uptr;
	s->reloc.target_handle = s->uptr;
	s->objs[0].flags |= SIM_EXEC_OBJECT_NEEDS_VRAM;	expect(s, -EINVAL, &failures);
	s->objs[0].handle = s->uptr;
	s->reloc.target_handle = s->uptr;
	s->objs[0].relocs = &s->reloc;
	s->objs[0].relocation_count = 1;		expect(s, -EINVAL, &failures);

	/* The valid one works, and then its bindings and fences exist. */
	assert_int_equal(sim_execbuf(s->t.file, &s->args, &s->fence), 0);
	assert_int_equal(st_wait(s->fence), 1);
	dma_fence_put(s->fence);
	assert_int_equal(tx_read_dw(&s->t, s->data[0], 0), 1);	/* through the relocation */
	sim_context_put(ctx2);
	sim_device_destroy(dev2);
}

/* A banned context is refused with -EIO before anything happens. */
static void test_execbuf_banned_context(void **state)
{
	struct in *s = *state;
	struct sim_device_config cfg = { .vram_size = 1u << 20, .job_timeout_ns = 20 * MS,
					 .ban_threshold = 1 };
	struct sim_device *dev;
	struct sim_file *file;
	struct dma_fence *f = NULL;
	uint32_t words[8], batch;
	struct sim_batch b;

	assert_int_equal(sim_device_create(&cfg, &dev), 0);
	assert_int_equal(sim_file_create(dev, &file), 0);
	sim_batch_init(&b, words, 8);
	sim_batch_hang(&b);
	sim_batch_end(&b);
	assert_int_equal(sim_gem_create(file, PAGE, SIM_PL_MASK_ALL, &batch), 0);
	assert_int_equal(sim_gem_pwrite(file, batch, 0, words, sim_batch_bytes(&b)), 0);
	struct sim_execbuf_object objs[] = { tx_obj(batch, 0, 0) };
	struct sim_execbuf args = { .objects = objs, .count = 1, .flags = SIM_EXECBUF_FENCE_OUT };

	assert_int_equal(sim_execbuf(file, &args, &f), 0);
	assert_int_equal(st_wait(f), -ETIMEDOUT);
	dma_fence_put(f);
	f = NULL;
	assert_true(sim_context_is_banned(sim_file_context(file)));
	assert_int_equal(sim_execbuf(file, &args, &f), -EIO);
	assert_null(f);
	assert_int_equal(sim_gem_close(file, batch), 0);
	sim_file_destroy(file);
	sim_device_destroy(dev);
	(void)s;
}

/* Objects that need more VRAM than there is, or than there is once the
 * working set is excluded from eviction: -ENOSPC, nothing published. */
static void test_execbuf_enospc(void **state)
{
	struct tx t;
	uint32_t words[8], a, b, batch;
	struct dma_fence *f = NULL;
	struct sim_batch bb;

	(void)state;
	tx_init(&t, 8 * PAGE, 0);
	a = tx_bo(&t, 6 * PAGE, SIM_PL_MASK_ALL);
	b = tx_bo(&t, 6 * PAGE, SIM_PL_MASK_ALL);
	sim_batch_init(&bb, words, 8);
	sim_batch_end(&bb);
	batch = tx_batch_bo(&t, &bb, 1);
	struct sim_execbuf_object objs[] = {
		tx_obj(a, SIM_EXEC_OBJECT_NEEDS_VRAM, 0),
		tx_obj(b, SIM_EXEC_OBJECT_NEEDS_VRAM, 0),
		tx_obj(batch, 0, 0),
	};
	assert_int_equal(tx_exec(&t, objs, 3, 0, &f), -ENOSPC);
	assert_null(f);
	uint32_t all[] = { a, b, batch };
	tx_assert_unlocked(&t, all, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(tx_fence_count(&t, all[i], DMA_RESV_USAGE_READ) -
				 tx_fence_count(&t, all[i], DMA_RESV_USAGE_KERNEL), 0);
	/* Each alone fits (the other is evicted for it). */
	objs[1] = objs[2];
	assert_int_equal(tx_run(&t, objs, 2, 0), 1);
	objs[0].handle = b;
	assert_int_equal(tx_run(&t, objs, 2, 0), 1);
	tx_fini(&t);
}

/* An interrupt while the execbuf waits (for a busy object it must write a
 * relocation into): -EINTR, everything undone; cleared, it works. */
static void test_execbuf_interrupted(void **state)
{
	struct in *s = *state;
	uint32_t words[16], busy_batch;
	struct dma_fence *busy = NULL;
	struct sim_batch b;

	sim_batch_init(&b, words, 16);
	sim_batch_delay(&b, 100 * 1000);
	sim_batch_end(&b);
	busy_batch = tx_batch_bo(&s->t, &b, 1);
	struct sim_execbuf_object bo[] = {
		tx_obj(s->batch, SIM_EXEC_OBJECT_WRITE, 0),	/* busy for 100 ms */
		tx_obj(busy_batch, 0, 0),
	};
	assert_int_equal(tx_exec(&s->t, bo, 2, 0, &busy), 0);

	reset(s);
	resv_thread_interrupt(resv_thread_self());
	assert_int_equal(sim_execbuf(s->t.file, &s->args, &s->fence), -EINTR);
	assert_true(resv_thread_clear_interrupt());
	assert_null(s->fence);
	assert_int_equal(tx_read_dw(&s->t, s->batch, 4), 0);	/* not relocated */
	for (int i = 0; i < NDATA; i++)
		assert_int_equal(tx_fence_count(&s->t, s->data[i], DMA_RESV_USAGE_BOOKKEEP), 0);
	uint32_t all[] = { s->data[0], s->data[1], s->data[2], s->batch };
	tx_assert_unlocked(&s->t, all, 4);

	assert_int_equal(sim_execbuf(s->t.file, &s->args, &s->fence), 0);
	assert_true(dma_fence_is_signaled(busy));	/* it waited this time */
	assert_int_equal(st_wait(s->fence), 1);
	dma_fence_put(s->fence);
	dma_fence_put(busy);
	assert_int_equal(tx_read_dw(&s->t, s->data[0], 0), 1);
}

/* No mapped pages behind a userptr: -EFAULT, nothing else. */
static void test_execbuf_userptr_unmapped(void **state)
{
	struct in *s = *state;
	uint32_t h;

	reset(s);
	assert_int_equal(sim_gem_userptr(s->t.file, s->mm, 0x80000, PAGE, &h), 0);
	s->objs[1].handle = h;
	assert_int_equal(sim_execbuf(s->t.file, &s->args, &s->fence), -EFAULT);
	assert_null(s->fence);
	assert_int_equal(tx_fence_count(&s->t, h, DMA_RESV_USAGE_BOOKKEEP), 0);
	assert_int_equal(sim_gem_close(s->t.file, h), 0);
	expect_unchanged(s, 1);
}

/*
 * Fail each allocation of a big execbuf in turn, on fresh objects every
 * time so that every call allocates the same sequence: 20 objects (the
 * tables outgrow their inline room), moves into VRAM, a userptr, a
 * relocation, the batch parse, an in-fence. Every failure returns -ENOMEM
 * with no lock held, no job created, no fence published and no reference
 * left but the bindings'; the batch is never relocated. Failures that the
 * code absorbs (drm_exec_init() falls back to its inline table) succeed.
 */
enum { EN = 20 };

static int enomem_once(struct in *s, uint32_t flags, unsigned long n, bool *injected)
{
	struct sim_execbuf_object objs[EN + 2];
	struct sim_device_stats before, ds;
	struct resv_alloc_stats as0, as1;
	struct dma_fence *in = st_fence_new(), *f = NULL;
	struct sim_reloc r = { .offset = 4 };
	uint32_t h[EN], zero[2] = { 0, 0 };
	unsigned int batch_fences;
	int ret;

	st_fence_signal(in, 0);
	tx_write(&s->t, s->batch, 4, zero, 8);
	for (int i = 0; i < EN; i++) {
		h[i] = tx_bo(&s->t, PAGE, SIM_PL_MASK_ALL);
		objs[i] = tx_obj(h[i], SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED |
				       (i % 2 ? SIM_EXEC_OBJECT_NEEDS_VRAM : 0),
				 TX_DATA_VA + (uint64_t)i * PAGE);
	}
	objs[EN] = tx_obj(s->uptr, SIM_EXEC_OBJECT_PINNED, TX_DATA_VA + 0x100000);
	r.target_handle = h[0];
	objs[EN + 1] = (struct sim_execbuf_object){ .handle = s->batch, .relocation_count = 1,
						    .relocs = &r };
	struct sim_execbuf args = {
		.objects = objs, .count = EN + 2, .batch_index = EN + 1, .in_fence = in,
		.flags = SIM_EXECBUF_FENCE_OUT | SIM_EXECBUF_CHECK_BATCH | flags,
	};

	sim_device_get_stats(s->t.dev, &before);
	batch_fences = tx_fence_count(&s->t, s->batch, DMA_RESV_USAGE_BOOKKEEP);
	resv_alloc_get_stats(&as0);
	resv_alloc_fail_nth(n);
	ret = sim_execbuf(s->t.file, &args, &f);
	resv_alloc_fail_nth(0);
	resv_alloc_get_stats(&as1);
	*injected = as1.injected_failures != as0.injected_failures;
	if (ret) {
		assert_int_equal(ret, -ENOMEM);
		assert_true(*injected);
		assert_null(f);
		sim_device_get_stats(s->t.dev, &ds);
		/* Moves may have run (memory management stays done), jobs not. */
		assert_int_equal(ds.jobs - ds.migrations, before.jobs - before.migrations);
		tx_assert_unlocked(&s->t, h, EN);
		for (int i = 0; i < EN; i++) {
			struct sim_pt_entry e;
			long mapped = !sim_pt_lookup(sim_file_pt(s->t.file), objs[i].offset, &e);

			/* A move job holds a reference until shortly after
			 * its fence signalled. */
			assert_int_equal(sim_gem_wait(s->t.file, h[i], 10000 * MS), 0);
			for (int k = 0; k < 1000 && tx_bo_refs(&s->t, h[i]) != 1 + mapped; k++)
				usleep(1000);
			if (tx_bo_refs(&s->t, h[i]) != 1 + mapped)
				fail_msg("n=%lu obj %d: %ld refs, mapped %ld", n, i,
					 tx_bo_refs(&s->t, h[i]), mapped);
			/* Only move fences: no job fence published. */
			assert_int_equal(tx_fence_count(&s->t, h[i], DMA_RESV_USAGE_KERNEL),
					 tx_fence_count(&s->t, h[i], DMA_RESV_USAGE_BOOKKEEP));
		}
		assert_int_equal(tx_fence_count(&s->t, s->batch, DMA_RESV_USAGE_BOOKKEEP),
				 batch_fences);
		assert_int_equal(tx_read_dw(&s->t, s->batch, 4), 0);	/* not relocated */
	} else {
		assert_int_equal(st_wait(f), 1);
		dma_fence_put(f);
		assert_int_equal(tx_read_dw(&s->t, h[0], 0), 1);
	}
	dma_fence_put(in);
	for (int i = 0; i < EN; i++)
		assert_int_equal(sim_gem_close(s->t.file, h[i]), 0);
	return ret;
}

static unsigned long run_enomem(struct in *s, uint32_t flags)
{
	unsigned long n, failed = 0;
	bool injected;

	for (n = 1;; n++) {
		int ret = enomem_once(s, flags, n, &injected);

		failed += ret != 0;
		if (!ret && !injected)
			break;	/* past the last allocation */
	}
	print_message("%lu allocations, %lu of them fail the call\n", n - 1, failed);
	return failed;
}

static void test_execbuf_enomem(void **state)
{
	struct in *s = *state;
	unsigned long fast, slow;

	fast = run_enomem(s, 0);
	slow = run_enomem(s, SIM_EXECBUF_RELOC_FAULT);
	/* eb objects, handle map, softpin sort, batch copy, job, drm_exec
	 * table growth, fence slots (22), moves (10 x 3), mappings, and
	 * dependency arrays: dozens; the slow path adds its copy and a
	 * second lock-validate-bind round. */
	assert_true(fast >= 50);
	assert_true(slow > fast);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_execbuf_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execbuf_banned_context, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execbuf_userptr_unmapped, setup, teardown),
		cmocka_unit_test(test_execbuf_enospc),
		cmocka_unit_test_setup_teardown(test_execbuf_interrupted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execbuf_enomem, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
