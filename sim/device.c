/* SPDX-License-Identifier: MIT */
/*
 * The device: configuration, VRAM, the locks every part shares, the engines'
 * start and stop, and the counters.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define DEFAULT_VRAM (64ull << 20)
#define DEFAULT_ENGINES 2
#define DEFAULT_TIMEOUT_NS (500ll * 1000 * 1000)
#define DEFAULT_BAN 3
#define DEFAULT_MAX_BATCH (64u << 10)
#define MAX_VRAM (8ull << 40)		/* 2^31 pages: the range allocator's limit */

/* Lock classes for the lock validator: one per kind of lock, all devices. */
static struct resv_lockdep_class_key mem_lock_key =
	RESV_LOCKDEP_CLASS_KEY_INIT("sim mem_lock");
static struct resv_lockdep_class_key lru_lock_key =
	RESV_LOCKDEP_CLASS_KEY_INIT("sim lru_lock");
static struct resv_lockdep_class_key vram_lock_key =
	RESV_LOCKDEP_CLASS_KEY_INIT("sim vram_lock");

static int resolve_config(const struct sim_device_config *in, struct sim_device_config *cfg)
{
	if (in)
		*cfg = *in;
	else
		memset(cfg, 0, sizeof(*cfg));
	if (!cfg->vram_size)
		cfg->vram_size = DEFAULT_VRAM;
	if (!cfg->num_engines)
		cfg->num_engines = DEFAULT_ENGINES;
	if (!cfg->job_timeout_ns)
		cfg->job_timeout_ns = DEFAULT_TIMEOUT_NS;
	if (!cfg->ban_threshold)
		cfg->ban_threshold = DEFAULT_BAN;
	if (!cfg->max_batch_bytes)
		cfg->max_batch_bytes = DEFAULT_MAX_BATCH;

	if (cfg->vram_size % SIM_PAGE_SIZE || cfg->vram_size > MAX_VRAM ||
	    cfg->num_engines > SIM_MAX_ENGINES || cfg->job_timeout_ns < 0 ||
	    cfg->max_batch_bytes % 4)
		return -EINVAL;
	return 0;
}

uint64_t sim__next_gen(struct sim_device *dev)
{
	return __atomic_add_fetch(&dev->next_gen, 1, __ATOMIC_RELAXED);
}

static void device_free(struct sim_device *dev)
{
	for (unsigned int i = 0; i < dev->engines_inited; i++)
		sim__engine_fini(&dev->engines[i]);
	dma_fence_put(dev->vram_release);
	sim_range_mgr_fini(&dev->vram_mgr);
	resv_free(dev->vram, dev->cfg.vram_size);
	pthread_mutex_destroy(&dev->vram_lock);
	pthread_mutex_destroy(&dev->lru_lock);
	pthread_rwlock_destroy(&dev->mem_lock);
	resv_free(dev, sizeof(*dev));
}

int sim_device_create(const struct sim_device_config *cfg, struct sim_device **out)
{
	pthread_rwlockattr_t attr;
	struct sim_device *dev;
	unsigned int i, inited = 0;
	int ret;

	if (!out)
		return -EINVAL;
	dev = resv_zalloc(sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	ret = resolve_config(cfg, &dev->cfg);
	if (ret) {
		resv_free(dev, sizeof(*dev));
		return ret;
	}
	dev->num_engines = dev->cfg.num_engines;
	pthread_mutex_init(&dev->vram_lock, NULL);
	pthread_mutex_init(&dev->lru_lock, NULL);
	/* Engines hold the lock for reading around every access; prefer
	 * writers so binds and move completions are not starved. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&dev->mem_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	resv_lockdep_map_init(&dev->mem_dep, "sim mem_lock", &mem_lock_key);
	resv_lockdep_map_init(&dev->lru_dep, "sim lru_lock", &lru_lock_key);
	resv_lockdep_map_init(&dev->vram_dep, "sim vram_lock", &vram_lock_key);
	for (i = 0; i < 3; i++)
		CDS_INIT_LIST_HEAD(&dev->lru[i]);
	dev->stats.vram_size = dev->cfg.vram_size;

	ret = -ENOMEM;
	dev->vram = resv_zalloc(dev->cfg.vram_size);
	if (!dev->vram)
		goto err;
	ret = sim_range_mgr_init(&dev->vram_mgr, dev->cfg.vram_size / SIM_PAGE_SIZE);
	if (ret)
		goto err;
	for (inited = 0; inited <= dev->num_engines; inited++) {
		ret = sim__engine_init(&dev->engines[inited], dev, inited,
				       inited == dev->num_engines);
		if (ret)
			goto err;
	}
	dev->engines_inited = inited;
	for (i = 0; i <= dev->num_engines; i++) {
		ret = sim__engine_start(&dev->engines[i]);
		if (ret)
			goto err;
	}
	*out = dev;
	return 0;

err:
	for (i = 0; i < inited; i++)
		sim__engine_stop(&dev->engines[i]);
	dev->engines_inited = inited;
	device_free(dev);
	return ret;
}

void sim_device_destroy(struct sim_device *dev)
{
	unsigned long long bos;
	long pts, ctxs;
	unsigned int i;

	if (!dev)
		return;
	/* Stop every worker first, so no job starts while queues are
	 * cancelled; then cancel in engine order. A cancelled job's fence may
	 * be another engine's dependency: its callback only wakes a worker
	 * that no longer exists. */
	for (i = 0; i <= dev->num_engines; i++)
		sim__engine_stop(&dev->engines[i]);
	for (i = 0; i <= dev->num_engines; i++)
		sim__engine_cancel_queue(&dev->engines[i]);

	bos = __atomic_load_n(&dev->stats.bo_count, __ATOMIC_RELAXED);
	pts = __atomic_load_n(&dev->live_pts, __ATOMIC_RELAXED);
	ctxs = __atomic_load_n(&dev->live_ctxs, __ATOMIC_RELAXED);
	if (bos || pts || ctxs) {
		fprintf(stderr, "sim: device destroyed with %llu BO(s), %ld page table(s), "
			"%ld context(s) alive: device kept (stopped) until destroyed again\n",
			(unsigned long long)bos, pts, ctxs);
		return;
	}
	device_free(dev);
}

void sim_device_get_stats(struct sim_device *dev, struct sim_device_stats *stats)
{
	const uint64_t *src = (const uint64_t *)&dev->stats;
	uint64_t *dst = (uint64_t *)stats;

	_Static_assert(sizeof(*stats) % sizeof(uint64_t) == 0, "counters are u64");
	for (size_t i = 0; i < sizeof(*stats) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void sim_device_config_get(struct sim_device *dev, struct sim_device_config *cfg)
{
	*cfg = dev->cfg;
}

unsigned int sim_device_num_engines(struct sim_device *dev)
{
	return dev->num_engines;
}

struct sim_engine *sim_device_engine(struct sim_device *dev, unsigned int idx)
{
	return idx < dev->num_engines ? &dev->engines[idx] : NULL;
}

struct sim_engine *sim_device_migrate_engine(struct sim_device *dev)
{
	return &dev->engines[dev->num_engines];
}

const void *sim_device_vram(struct sim_device *dev, uint64_t *size)
{
	if (size)
		*size = dev->cfg.vram_size;
	return dev->vram;
}
