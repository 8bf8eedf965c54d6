/* SPDX-License-Identifier: MIT */
/*
 * Relocations: the fast path under the locks, entries the client guessed
 * right, the slow path that drops every lock to copy them, and relocations
 * in objects other than the batch. Registered with test_execbuf.c's suite.
 */
#include "test_execbuf.h"

/* A batch "STORE_DW <placeholder>, value; END": the address operand is at
 * byte 4 of the batch, to be relocated. */
static uint32_t store_batch(struct tx *t, uint32_t value)
{
	uint32_t words[8];
	struct sim_batch b;

	sim_batch_init(&b, words, 8);
	sim_batch_store_dw(&b, 0, value);
	sim_batch_end(&b);
	return tx_batch_bo(t, &b, 1);
}

static uint64_t read_qword(struct tx *t, uint32_t handle, uint64_t offset)
{
	uint32_t dw[2];

	tx_read(t, handle, offset, dw, 8);
	return dw[0] | (uint64_t)dw[1] << 32;
}

static void check_reloc(struct tx *t, uint32_t flags, uint64_t want_slow)
{
	struct sim_execbuf_stats st;
	uint32_t data, batch;
	struct sim_reloc r = { .offset = 4, .delta = 0x40, .presumed_offset = 0 };

	data = tx_bo(t, 2 * PAGE, SIM_PL_MASK_ALL);
	batch = store_batch(t, 0x5a5a);
	r.target_handle = data;
	struct sim_execbuf_object objs[] = {
		tx_obj(data, SIM_EXEC_OBJECT_WRITE, 0),
		{ .handle = batch, .relocation_count = 1, .relocs = &r },
	};

	assert_int_equal(tx_run(t, objs, 2, flags), 1);
	assert_true(objs[0].offset >= SIM_EXEC_KERNEL_VA);
	assert_int_equal(read_qword(t, batch, 4), objs[0].offset + 0x40);
	assert_int_equal(tx_read_dw(t, data, 0x40), 0x5a5a);
	sim_execbuf_file_stats(t->file, &st);
	assert_int_equal(st.relocations, 1);
	assert_int_equal(st.reloc_slow_paths, want_slow);
	assert_int_equal(st.submissions, 1);

	/* Guessed right: nothing to write (the batch now holds it). */
	r.presumed_offset = objs[0].offset;
	assert_int_equal(tx_run(t, objs, 2, flags), 1);
	sim_execbuf_file_stats(t->file, &st);
	assert_int_equal(st.relocations, 1);
	/* With a kernel copy or not, the fault model only bites when a
	 * relocation array must be read: it always is. */
	assert_int_equal(st.reloc_slow_paths, 2 * want_slow);
	uint32_t handles[] = { data, batch };
	tx_assert_unlocked(t, handles, 2);
}

static void test_execbuf_reloc_fast(void **state)
{
	check_reloc(*state, 0, 0);
}

static void test_execbuf_reloc_slow(void **state)
{
	check_reloc(*state, SIM_EXECBUF_RELOC_FAULT, 1);
}

/* Several objects carry relocations, to several targets: a pointer table
 * in a data BO, and the batch copying through it. */
static void test_execbuf_reloc_many(void **state)
{
	struct tx *t = *state;
	enum { N = 20 };	/* more than the inline bookkeeping (EB_INLINE) */
	struct sim_execbuf_object objs[N + 2];
	struct sim_reloc table_relocs[N], batch_relocs[N];
	uint32_t words[8 * N], bo[N], table, batch;
	struct sim_execbuf_stats st;
	struct sim_batch b;

	table = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
	sim_batch_init(&b, words, 8 * N);
	for (int i = 0; i < N; i++) {
		bo[i] = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
		objs[i] = tx_obj(bo[i], SIM_EXEC_OBJECT_WRITE, 0);
		/* table[i] = &bo[i] + 8 * i */
		table_relocs[i] = (struct sim_reloc){ .offset = 8 * (uint64_t)i,
						      .target_handle = bo[i],
						      .delta = 8 * (uint64_t)i };
		/* the batch stores i + 100 at bo[i] + 4 */
		batch_relocs[i] = (struct sim_reloc){ .offset = sim_batch_bytes(&b) + 4,
						      .target_handle = bo[i], .delta = 4 };
		sim_batch_store_dw(&b, 0, 100 + i);
	}
	sim_batch_end(&b);
	batch = tx_batch_bo(t, &b, 1);
	objs[N] = (struct sim_execbuf_object){ .handle = table, .flags = SIM_EXEC_OBJECT_WRITE,
					       .relocation_count = N, .relocs = table_relocs };
	objs[N + 1] = (struct sim_execbuf_object){ .handle = batch, .relocation_count = N,
						   .relocs = batch_relocs };
	assert_int_equal(tx_run(t, objs, N + 2, 0), 1);
	for (int i = 0; i < N; i++) {
		assert_int_equal(read_qword(t, table, 8 * (uint64_t)i), objs[i].offset + 8 * i);
		assert_int_equal(tx_read_dw(t, bo[i], 4), 100 + i);
	}
	sim_execbuf_file_stats(t->file, &st);
	assert_int_equal(st.relocations, 2 * N);
}

/* The slow path after the objects moved while nothing was locked: the
 * addresses written are the ones of the final binding. */
static void test_execbuf_reloc_slow_after_softpin_move(void **state)
{
	struct tx *t = *state;
	uint32_t data, batch;
	struct sim_reloc r = { .offset = 4, .delta = 8 };

	data = tx_bo(t, PAGE, SIM_PL_MASK_ALL);
	batch = store_batch(t, 0x77);
	r.target_handle = data;
	struct sim_execbuf_object objs[] = {
		tx_obj(data, SIM_EXEC_OBJECT_WRITE | SIM_EXEC_OBJECT_PINNED, TX_DATA_VA),
		{ .handle = batch, .relocation_count = 1, .relocs = &r },
	};
	assert_int_equal(tx_run(t, objs, 2, SIM_EXECBUF_RELOC_FAULT), 1);
	assert_int_equal(read_qword(t, batch, 4), TX_DATA_VA + 8);
	objs[0].offset = TX_DATA_VA + 0x10000;
	r.presumed_offset = TX_DATA_VA;	/* stale now */
	assert_int_equal(tx_run(t, objs, 2, SIM_EXECBUF_RELOC_FAULT), 1);
	assert_int_equal(read_qword(t, batch, 4), TX_DATA_VA + 0x10000 + 8);
	assert_int_equal(tx_read_dw(t, data, 8), 0x77);
}

static int setup(void **state)
{
	struct tx *t = calloc(1, sizeof(*t));

	tx_init(t, 0, 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	tx_fini(*state);
	free(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_execbuf_reloc_fast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execbuf_reloc_slow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execbuf_reloc_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execbuf_reloc_slow_after_softpin_move, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
