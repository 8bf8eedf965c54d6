/* SPDX-License-Identifier: MIT */
/*
 * Two clients, each with its own VM, exec concurrently over their local
 * BOs and external BOs they share, in a VRAM that cannot hold everything,
 * while another thread evicts from outside (the shrinker). Every batch
 * adds 1 to the client's word in each BO it touches; at the end every word
 * must equal the number of batches that touched it. Seeded (RESV_SEED),
 * time-bounded, for both list modes and a mix of them.
 */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "test_vm.h"

#define CLIENTS 2
#define SHARED 4
#define LOCAL 6
#define BO_PAGES 16
#define INFLIGHT 8
#define ROUND_NS (700 * MS)

struct round;

struct client {
	struct round *r;
	struct vt t;
	unsigned int idx;
	uint64_t seed;
	struct sim_bo *local[LOCAL];
	uint64_t local_count[LOCAL];
	uint64_t shared_count[SHARED];
	uint64_t execs;
	int error;			/* first failure, reported by the main thread */
	int error_line;
};

struct round {
	struct sim_device *dev;
	struct sim_bo *shared[SHARED];
	struct client clients[CLIENTS];
	int stop;
	uint64_t evictor_seed;
	uint64_t shrinks;
};

static uint64_t bo_va(unsigned int i)
{
	return VT_DATA_VA + (uint64_t)i * BO_PAGES * PAGE;
}

#define FAIL(c, err)                                          \
	do {                                                  \
		if (!(c)->error) {                            \
			(c)->error = (err);                   \
			(c)->error_line = __LINE__;           \
		}                                             \
	} while (0)

static void *client_fn(void *arg)
{
	struct client *c = arg;
	struct round *r = c->r;
	struct dma_fence *ring[INFLIGHT] = { 0 };
	uint32_t words[256];
	unsigned int n = 0;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) && !c->error) {
		struct dma_fence **slot = &ring[n++ % INFLIGHT];
		struct sim_batch b;
		uint32_t pick = (uint32_t)st_rand(&c->seed);
		int ret;

		/* The slot's previous batch must be done before its BO slot
		 * (and the ring entry) is reused. */
		if (*slot) {
			if (dma_fence_wait_timeout(*slot, false, 10000 * MS) <= 0)
				FAIL(c, -ETIMEDOUT);
			else if (dma_fence_get_status(*slot) != 1)
				FAIL(c, dma_fence_get_status(*slot));
			dma_fence_put(*slot);
			*slot = NULL;
		}
		sim_batch_init(&b, words, 256);
		for (unsigned int i = 0; i < LOCAL + SHARED; i++)
			if (pick & (1u << i))
				sim_batch_atomic_add(&b, bo_va(i) + 4 * c->idx, 1);
		sim_batch_end(&b);
		ret = vt_exec(&c->t, &b, 0, slot);
		if (ret) {
			FAIL(c, ret);
			break;
		}
		for (unsigned int i = 0; i < LOCAL + SHARED; i++) {
			if (!(pick & (1u << i)))
				continue;
			if (i < LOCAL)
				c->local_count[i]++;
			else
				c->shared_count[i - LOCAL]++;
		}
		c->execs++;
	}
	for (unsigned int i = 0; i < INFLIGHT; i++) {
		if (!ring[i])
			continue;
		if (dma_fence_wait_timeout(ring[i], false, 10000 * MS) <= 0)
			FAIL(c, -ETIMEDOUT);
		else if (dma_fence_get_status(ring[i]) != 1)
			FAIL(c, dma_fence_get_status(ring[i]));
		dma_fence_put(ring[i]);
	}
	return NULL;
}

/* Memory pressure from outside: shrink a random amount, often. */
static void *evictor_fn(void *arg)
{
	struct round *r = arg;
	uint64_t seed = r->evictor_seed;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		long freed = sim_shrink(r->dev, (1 + st_rand(&seed) % 8) * BO_PAGES * PAGE);

		if (freed > 0)
			r->shrinks++;
		usleep(200 + st_rand(&seed) % 800);
	}
	return NULL;
}

static void run_round(uint64_t seed, const uint32_t modes[CLIENTS])
{
	struct round *r = calloc(1, sizeof(*r));
	pthread_t threads[CLIENTS], evictor;
	struct sim_device_stats ds;

	assert_non_null(r);
	r->evictor_seed = seed ^ 0x5eed;
	/* Room for two thirds of the working set. */
	r->dev = st_device((uint64_t)(CLIENTS * LOCAL + SHARED) * BO_PAGES * 2 / 3 * PAGE, 0, 0);
	for (unsigned int s = 0; s < SHARED; s++)
		r->shared[s] = st_bo(r->dev, BO_PAGES * PAGE, SIM_PL_MASK_ALL, SIM_PL_SYSTEM);
	for (unsigned int i = 0; i < CLIENTS; i++) {
		struct client *c = &r->clients[i];

		c->r = r;
		c->idx = i;
		c->seed = seed + i * 7919;
		vt_init_on(&c->t, r->dev, modes[i]);
		for (unsigned int l = 0; l < LOCAL; l++) {
			assert_int_equal(sim_vm_bo_create(c->t.vm, BO_PAGES * PAGE, SIM_PL_MASK_ALL,
							  SIM_PL_NONE, &c->local[l]), 0);
			vt_map(&c->t, c->local[l], bo_va(l), BO_PAGES * PAGE, 0, 0);
		}
		for (unsigned int s = 0; s < SHARED; s++)
			vt_map(&c->t, r->shared[s], bo_va(LOCAL + s), BO_PAGES * PAGE, 0, 0);
	}

	for (unsigned int i = 0; i < CLIENTS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, client_fn, &r->clients[i]), 0);
	assert_int_equal(pthread_create(&evictor, NULL, evictor_fn, r), 0);
	usleep(ROUND_NS / 1000);
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < CLIENTS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	assert_int_equal(pthread_join(evictor, NULL), 0);

	sim_device_get_stats(r->dev, &ds);
	for (unsigned int i = 0; i < CLIENTS; i++) {
		struct client *c = &r->clients[i];
		struct sim_vm_stats st;

		sim_vm_get_stats(c->t.vm, &st);
		printf("client %u (%s): execs=%" PRIu64 " revalidations=%" PRIu64
		       " backoffs: contended=%" PRIu64 " injected=%" PRIu64 "\n",
		       i, modes[i] ? "resv" : "spinlock", st.execs, st.revalidations,
		       st.backoffs[RESV_EXEC_RESTART_CONTENDED],
		       st.backoffs[RESV_EXEC_RESTART_INJECTED]);
		if (c->error)
			printf("client %u failed with %d at line %d (seed %" PRIu64 ")\n", i,
			       c->error, c->error_line, seed);
		assert_int_equal(c->error, 0);
		assert_true(c->execs > 0);
		assert_int_equal(st.execs, c->execs);
	}
	printf("evictions=%" PRIu64 " (shrinker %" PRIu64 ") migrations=%" PRIu64 "\n",
	       ds.evictions, ds.shrinker_evictions, ds.migrations);
	assert_true(ds.evictions > 0);

	/* Every word holds the number of batches that added to it. */
	for (unsigned int i = 0; i < CLIENTS; i++) {
		struct client *c = &r->clients[i];

		for (unsigned int l = 0; l < LOCAL; l++)
			assert_int_equal(vt_read32(c->local[l], 4 * i), (uint32_t)c->local_count[l]);
		for (unsigned int s = 0; s < SHARED; s++)
			assert_int_equal(vt_read32(r->shared[s], 4 * i),
					 (uint32_t)c->shared_count[s]);
	}

	for (unsigned int i = 0; i < CLIENTS; i++) {
		for (unsigned int l = 0; l < LOCAL; l++)
			sim_bo_put(r->clients[i].local[l]);
		vt_fini(&r->clients[i].t, false);
	}
	for (unsigned int s = 0; s < SHARED; s++)
		sim_bo_put(r->shared[s]);
	sim_device_destroy(r->dev);
	free(r);
}

static void test_vm_stress_eviction(void **state)
{
	static const uint32_t modes[][CLIENTS] = {
		{ 0, 0 },
		{ SIM_VM_RESV_PROTECTED, SIM_VM_RESV_PROTECTED },
		{ 0, SIM_VM_RESV_PROTECTED },
	};
	uint64_t live = st_live_bytes();
	uint64_t seed = st_seed();

	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
		run_round(seed + m, modes[m]);
	assert_int_equal(st_live_bytes(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vm_stress_eviction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
