/* SPDX-License-Identifier: MIT */
/*
 * The unlocked iterator: restarts when the list changes, and readers racing
 * a writer (workers record, the main thread asserts).
 */
#include "resv_test.h"

void test_dma_resv_unlocked_iter_restart(void **state)
{
	uint64_t ctx = dma_fence_context_alloc(3);
	struct dma_fence *f[3], *seen[8], *fence;
	struct dma_resv_iter cursor;
	unsigned int num, max, n = 0, restarts = 0, steps = 0;
	struct dma_resv obj;

	dma_resv_init(&obj);
	for (int i = 0; i < 3; i++) {
		f[i] = fence_new(ctx + i, 1);
		add_one(&obj, f[i], DMA_RESV_USAGE_READ);
	}

	dma_resv_iter_begin(&cursor, &obj, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		if (dma_resv_iter_is_restarted(&cursor)) {
			restarts++;
			n = 0;
		}
		assert_true(n < 8);
		seen[n++] = fence;
		if (++steps == 2) {
			/* Force a new list: reserve beyond the capacity. */
			lock_obj(&obj);
			slots(&obj, &num, &max);
			assert_int_equal(dma_resv_reserve_fences(&obj, max), 0);
			dma_resv_unlock(&obj);
		}
		assert_true(steps < 20);
	}
	dma_resv_iter_end(&cursor);
	assert_int_equal(restarts, 2);	/* the first walk, then the restart */
	assert_int_equal(n, 3);
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = i + 1; j < n; j++)
			assert_ptr_not_equal(seen[i], seen[j]);
	for (int i = 0; i < 3; i++)
		assert_int_equal(refs(f[i]), 2);	/* the cursor dropped its references */

	/* In-place changes (a slot recycled) do not restart. */
	restarts = 0;
	steps = 0;
	dma_resv_iter_begin(&cursor, &obj, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		restarts += dma_resv_iter_is_restarted(&cursor);
		if (++steps == 1)
			add_one(&obj, f[0], DMA_RESV_USAGE_KERNEL);	/* promote in place */
	}
	dma_resv_iter_end(&cursor);
	assert_int_equal(restarts, 1);
	assert_int_equal(steps, 3);

	dma_resv_fini(&obj);
	for (int i = 0; i < 3; i++)
		dma_fence_put(f[i]);
}

/* ---- readers racing a writer -------------------------------------------------------- */

#define RACE_READERS 3
#define RACE_MS 300
#define RACE_MAX_SEEN 64

struct race {
	struct dma_resv obj;
	uint64_t ctx_base;
	unsigned int num_ctx;
	int stop;	/* atomic */
};

struct race_reader {
	pthread_t thread;
	struct race *race;
	unsigned long walks, restarts, fences;
	unsigned long errors;
	char first_error[128];
};

static void reader_error(struct race_reader *r, const char *what)
{
	if (!r->errors++)
		snprintf(r->first_error, sizeof(r->first_error), "%s", what);
}

static void *race_reader_main(void *arg)
{
	struct race_reader *r = arg;
	struct race *race = r->race;
	struct dma_fence *seen[RACE_MAX_SEEN], *fence;
	struct dma_resv_iter cursor;

	while (!__atomic_load_n(&race->stop, __ATOMIC_ACQUIRE)) {
		unsigned int n = 0;
		bool first = true;

		dma_resv_iter_begin(&cursor, &race->obj, DMA_RESV_USAGE_BOOKKEEP);
		dma_resv_for_each_fence_unlocked(&cursor, fence) {
			if (dma_resv_iter_is_restarted(&cursor)) {
				r->restarts += !first;
				n = 0;
			} else if (first) {
				reader_error(r, "first fence of a walk not marked restarted");
			}
			first = false;
			if (fence->context < race->ctx_base ||
			    fence->context >= race->ctx_base + race->num_ctx)
				reader_error(r, "fence of a foreign context (freed memory?)");
			if (refs(fence) < 1)
				reader_error(r, "cursor fence without a reference");
			for (unsigned int i = 0; i < n; i++)
				if (seen[i] == fence)
					reader_error(r, "fence visited twice in one walk");
			if (n == RACE_MAX_SEEN)
				reader_error(r, "walk longer than any list");
			else
				seen[n++] = fence;
			r->fences++;
		}
		dma_resv_iter_end(&cursor);
		(void)dma_resv_test_signaled(&race->obj, DMA_RESV_USAGE_WRITE);
		r->walks++;
	}
	return NULL;
}

void test_dma_resv_readers_race_writer(void **state)
{
	static struct race_reader readers[RACE_READERS];
	struct dma_fence *live[16] = { NULL };
	uint64_t seed = 0x5eed1234, rng = seed;
	unsigned long writes = 0, restarts = 0, walks = 0;
	struct race race;
	int64_t end;

	print_message("race seed %#llx\n", (unsigned long long)seed);
	race.num_ctx = 16;
	race.ctx_base = dma_fence_context_alloc(race.num_ctx);
	race.stop = 0;
	dma_resv_init(&race.obj);
	for (int i = 0; i < RACE_READERS; i++) {
		memset(&readers[i], 0, sizeof(readers[i]));
		readers[i].race = &race;
		assert_int_equal(pthread_create(&readers[i].thread, NULL, race_reader_main,
						&readers[i]), 0);
	}

	end = now_ns() + RACE_MS * MS;
	while (now_ns() < end) {
		unsigned int slot, n;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		slot = (unsigned int)(rng >> 33) % 16;
		n = 1 + (unsigned int)(rng >> 40) % 6;
		lock_obj(&race.obj);
		/* Sometimes reserve many: forces new lists (restarts). */
		assert_int_equal(dma_resv_reserve_fences(&race.obj, n), 0);
		if (live[slot])
			dma_fence_signal(live[slot]);	/* its slot becomes reusable */
		dma_fence_put(live[slot]);
		live[slot] = fence_new(race.ctx_base + slot, writes + 1);
		dma_resv_add_fence(&race.obj, live[slot],
				   (enum dma_resv_usage)((rng >> 50) & 3));
		/* Compact into a new list now and then: readers must restart. */
		if ((rng >> 20) % 8 == 0)
			assert_int_equal(dma_resv_copy_fences(&race.obj, &race.obj), 0);
		dma_resv_unlock(&race.obj);
		writes++;
	}
	__atomic_store_n(&race.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < RACE_READERS; i++) {
		pthread_join(readers[i].thread, NULL);
		if (readers[i].errors)
			print_message("reader %d: %lu errors, first: %s\n", i, readers[i].errors,
				      readers[i].first_error);
		assert_int_equal(readers[i].errors, 0);
		assert_true(readers[i].walks > 0);
		restarts += readers[i].restarts;
		walks += readers[i].walks;
	}
	print_message("race: %lu writes, %lu walks, %lu restarts\n", writes, walks, restarts);
	assert_true(writes > 0);

	dma_resv_fini(&race.obj);
	for (int i = 0; i < 16; i++)
		dma_fence_put(live[i]);
}

/* ---- allocation failure at every site -------------------------------------------------- */
