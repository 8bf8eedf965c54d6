/* SPDX-License-Identifier: MIT */
/*
 * userptr_invalidate: the userptr sequence protocol of <resv/userptr.h>,
 * step by step, as a driver's exec path would use it.
 *
 * A process (a &struct resv_mm) has 4 pages of memory that a "GPU" reads
 * through a userptr buffer object. The program runs three execs:
 *
 *  1. a plain exec: snapshot the pages, lock the BO, check under the
 *     notifier lock, publish the job's fence, let the GPU read;
 *  2. an exec during which the process munmaps and re-mmaps the range with
 *     new contents, right between the snapshot and the check: the check
 *     returns -EAGAIN, the exec drops everything and retries, and the GPU
 *     reads the new contents;
 *  3. a munmap while a GPU job still reads the pages: the invalidate
 *     callback waits for the job's fence, so munmap returns only after the
 *     GPU is done and the pages are freed only then.
 *
 * It exits 0 when every step behaved as described, 1 otherwise.
 * Build: part of the libresv build (examples/); run: ./userptr_invalidate
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <resv/resv.h>

#define PG RESV_MM_PAGE_SIZE
#define NPAGES 4
#define ADDR (256 * PG)

/* ---- the "GPU": one job at a time, read every page, then signal ---------- */

struct job {
	void **pages;
	struct dma_fence *fence;
	long hold_ms;		/* pretend the job runs this long */
	unsigned char seen;	/* first byte of every page, if they all agree */
	bool done;		/* set before the fence signals */
};

static const char *drv_name(struct dma_fence *f) { return "example"; }
static const char *tl_name(struct dma_fence *f) { return "gpu"; }
static const struct dma_fence_ops gpu_fence_ops = {
	.get_driver_name = drv_name,
	.get_timeline_name = tl_name,
};
static struct resv_spinlock gpu_lock = RESV_SPINLOCK_INITIALIZER;
static uint64_t gpu_ctx, gpu_seqno;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *gpu_run(void *arg)
{
	struct job *job = arg;
	const unsigned char *first = job->pages[0];

	sleep_ms(job->hold_ms);
	job->seen = first[0];
	for (int i = 0; i < NPAGES; i++) {
		const unsigned char *p = job->pages[i];

		for (unsigned long b = 0; b < PG; b++)
			if (p[b] != job->seen)
				job->seen = 0xff;	/* torn or stale: report it */
	}
	__atomic_store_n(&job->done, true, __ATOMIC_RELEASE);
	dma_fence_signal(job->fence);
	return NULL;
}

/* ---- the driver ------------------------------------------------------------------ */

struct device {
	struct resv_mm *mm;
	struct resv_notifier_lock notifier_lock;	/* device-wide */
	struct dma_resv bo_resv;			/* the userptr BO's */
	struct resv_userptr up;
};

/* Called by exec() between the snapshot and the check: a test hook. */
typedef void (*race_fn)(struct device *dev);

/*
 * The exec path: returns 0 with the job running on the GPU (joined by the
 * caller through @gpu), or a negative errno. @retries counts -EAGAIN.
 */
static int exec(struct device *dev, struct job *job, pthread_t *gpu, race_fn race,
		unsigned int *retries)
{
	struct ww_acquire_ctx ctx;
	int ret;

	/* Allocate first: nothing may allocate under the notifier lock. */
	job->fence = resv_dma_fence_alloc(sizeof(*job->fence));
	if (!job->fence)
		return -ENOMEM;
	dma_fence_init(job->fence, &gpu_fence_ops, &gpu_lock, gpu_ctx, ++gpu_seqno);
retry:
	/* 1. Pages, with no reservation held (may sleep on an invalidation). */
	ret = resv_userptr_snapshot(&dev->up);
	if (ret == -EAGAIN)
		goto retry;
	if (ret)
		goto err_fence;
	if (race) {
		race(dev);
		race = NULL;
	}
	/* 2. The ww transaction: here just the BO (drm_exec for many). */
	ww_acquire_init(&ctx, &reservation_ww_class);
	ret = dma_resv_lock(&dev->bo_resv, &ctx);	/* one lock: no -EDEADLK */
	if (ret)
		goto err_fini;
	ret = dma_resv_reserve_fences(&dev->bo_resv, 1);
	if (ret)
		goto err_unlock;
	/* 3. The final check and the publication, atomic w.r.t. the notifier. */
	resv_notifier_read_lock(&dev->notifier_lock);
	if (resv_userptr_check(&dev->up) == -EAGAIN) {
		resv_notifier_read_unlock(&dev->notifier_lock);
		dma_resv_unlock(&dev->bo_resv);
		ww_acquire_fini(&ctx);
		(*retries)++;
		goto retry;
	}
	job->pages = resv_userptr_pages(&dev->up);
	dma_resv_add_fence(&dev->bo_resv, job->fence, DMA_RESV_USAGE_BOOKKEEP);
	resv_notifier_read_unlock(&dev->notifier_lock);
	dma_resv_unlock(&dev->bo_resv);
	ww_acquire_fini(&ctx);
	/*
	 * 4. Run it. The published fence keeps the pages alive: an
	 * invalidation from now on waits for it before the mm frees them.
	 */
	if (pthread_create(gpu, NULL, gpu_run, job)) {
		dma_fence_signal(job->fence);	/* never leave a published fence pending */
		return -EAGAIN;
	}
	return 0;

err_unlock:
	dma_resv_unlock(&dev->bo_resv);
err_fini:
	ww_acquire_fini(&ctx);
err_fence:
	dma_fence_put(job->fence);
	return ret;
}

static void fill(unsigned char *buf, unsigned char v)
{
	memset(buf, v, NPAGES * PG);
}

/* The race of step 2: munmap + mmap with new contents. */
static void remap_v2(struct device *dev)
{
	static unsigned char buf[NPAGES * PG];

	fill(buf, 0x22);
	if (resv_mm_unmap(dev->mm, ADDR, NPAGES * PG) ||
	    resv_mm_map_data(dev->mm, ADDR, NPAGES * PG, buf))
		fprintf(stderr, "remap failed\n");
	printf("  [process] munmap + mmap of the range, new contents 0x22\n");
}

struct unmapper {
	struct device *dev;
	int ret;
};

static void *unmap_run(void *arg)
{
	struct unmapper *u = arg;

	u->ret = resv_mm_unmap(u->dev->mm, ADDR, NPAGES * PG);
	return NULL;
}

int main(void)
{
	static unsigned char buf[NPAGES * PG];
	struct job job1 = { .hold_ms = 0 }, job2 = { .hold_ms = 0 }, job3 = { .hold_ms = 200 };
	struct resv_userptr_stats st;
	unsigned int retries = 0;
	struct unmapper u;
	struct device dev;
	pthread_t gpu, unmapper;
	double t0, t_unmap;
	bool ok = true;

	gpu_ctx = dma_fence_context_alloc(1);
	if (resv_mm_create(&dev.mm))
		return 1;
	fill(buf, 0x11);
	resv_notifier_lock_init(&dev.notifier_lock);
	dma_resv_init(&dev.bo_resv);
	if (resv_mm_map_data(dev.mm, ADDR, sizeof(buf), buf) ||
	    resv_userptr_init(&dev.up, dev.mm, ADDR, NPAGES * PG, &dev.notifier_lock,
			      &dev.bo_resv, NULL))
		return 1;

	printf("step 1: a plain exec\n");
	if (exec(&dev, &job1, &gpu, NULL, &retries))
		return 1;
	pthread_join(gpu, NULL);
	printf("  GPU read 0x%02x (expected 0x11), retries %u\n", job1.seen, retries);
	ok &= job1.seen == 0x11 && retries == 0;

	printf("step 2: the range changes between snapshot and check\n");
	if (exec(&dev, &job2, &gpu, remap_v2, &retries))
		return 1;
	pthread_join(gpu, NULL);
	printf("  check said -EAGAIN %u time(s); after the retry the GPU read 0x%02x "
	       "(expected 0x22)\n", retries, job2.seen);
	ok &= job2.seen == 0x22 && retries == 1;

	printf("step 3: munmap while the GPU still reads (job runs %ld ms)\n", job3.hold_ms);
	if (exec(&dev, &job3, &gpu, NULL, &retries))
		return 1;
	u.dev = &dev;
	t0 = now_ms();
	pthread_create(&unmapper, NULL, unmap_run, &u);
	pthread_join(unmapper, NULL);
	t_unmap = now_ms() - t0;
	printf("  munmap returned after %.0f ms; the GPU job was %s by then\n", t_unmap,
	       __atomic_load_n(&job3.done, __ATOMIC_ACQUIRE) ? "done" : "NOT done");
	ok &= u.ret == 0 && __atomic_load_n(&job3.done, __ATOMIC_ACQUIRE) && job3.seen == 0x22;
	pthread_join(gpu, NULL);

	resv_userptr_get_stats(&dev.up, &st);
	printf("userptr counters: snapshots=%" PRIu64 " skips=%" PRIu64 " retries=%" PRIu64
	       " invalidations=%" PRIu64 " waits=%" PRIu64 "\n", st.snapshots, st.snapshot_skips,
	       st.retries, st.invalidations, st.waits);
	ok &= st.retries == 1 && st.invalidations == 2 && st.waits == 1;

	dma_fence_put(job1.fence);
	dma_fence_put(job2.fence);
	dma_fence_put(job3.fence);
	resv_userptr_fini(&dev.up);
	dma_resv_fini(&dev.bo_resv);
	resv_notifier_lock_fini(&dev.notifier_lock);
	resv_mm_destroy(dev.mm);
	resv_rcu_barrier();
	printf("%s\n", ok ? "OK" : "FAILED");
	return ok ? 0 : 1;
}
