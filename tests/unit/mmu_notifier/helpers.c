/* SPDX-License-Identifier: MIT */
/* test_mmu_notifier harness: reports, fences, the recording notifier, threads. */
#include <time.h>

#include "mn_test.h"

int64_t mnt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void mnt_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * MS };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* ---- reports ------------------------------------------------------------------ */

#define MAX_KIND 64
static unsigned int reports[MAX_KIND];	/* atomic: callbacks report from workers */

static void record_report(const struct resv_report *r, void *arg)
{
	if ((unsigned int)r->kind < MAX_KIND)
		__atomic_add_fetch(&reports[r->kind], 1, __ATOMIC_RELAXED);
}

unsigned int mnt_take_reports(enum resv_report_kind kind)
{
	return __atomic_exchange_n(&reports[kind], 0, __ATOMIC_RELAXED);
}

int mnt_group_setup(void **state)
{
	resv_report_set_hook(record_report, NULL);
	return 0;
}

int mnt_group_teardown(void **state)
{
	resv_report_set_hook(NULL, NULL);
	resv_rcu_barrier();
	return 0;
}

int mnt_setup(void **state)
{
	for (unsigned int k = 0; k < MAX_KIND; k++)
		__atomic_store_n(&reports[k], 0, __ATOMIC_RELAXED);
	return 0;
}

int mnt_teardown(void **state)
{
	unsigned int left = 0;

	resv_alloc_fail_nth(0);
	for (unsigned int k = 0; k < MAX_KIND; k++) {
		unsigned int n = mnt_take_reports((enum resv_report_kind)k);

		if (n)
			fprintf(stderr, "unexpected report: %s x%u\n",
				resv_report_kind_name((enum resv_report_kind)k), n);
		left += n;
	}
	return left ? -1 : 0;
}

uint64_t mnt_live_bytes(void)
{
	struct resv_alloc_stats st;

	resv_rcu_barrier();
	resv_alloc_get_stats(&st);
	return st.live_bytes;
}

/* ---- mm internals ----------------------------------------------------------------- */

unsigned long mnt_mm_seq(struct resv_mm *mm)
{
	struct mmu_notifier_subscriptions *subs = resv__mm_subscriptions(mm);
	unsigned long seq;

	if (!subs)
		return 0;
	pthread_mutex_lock(&subs->lock);
	seq = subs->invalidate_seq;
	pthread_mutex_unlock(&subs->lock);
	return seq;
}

unsigned long mnt_mm_active(struct resv_mm *mm)
{
	struct mmu_notifier_subscriptions *subs = resv__mm_subscriptions(mm);
	unsigned long n;

	if (!subs)
		return 0;
	pthread_mutex_lock(&subs->lock);
	n = subs->active_invalidate_ranges;
	pthread_mutex_unlock(&subs->lock);
	return n;
}

long mnt_mm_tree_size(struct resv_mm *mm)
{
	struct mmu_notifier_subscriptions *subs = resv__mm_subscriptions(mm);
	long n;

	if (!subs)
		return 0;
	pthread_mutex_lock(&subs->lock);
	n = resv__itree_validate(&subs->itree);
	pthread_mutex_unlock(&subs->lock);
	return n;
}

struct resv_mm *mnt_mm_new(void)
{
	struct resv_mm *mm = NULL;

	assert_int_equal(resv_mm_create(&mm), 0);
	assert_non_null(mm);
	return mm;
}

/* ---- fences ------------------------------------------------------------------------- */

static const char *tf_driver(struct dma_fence *f) { return "test"; }
static const char *tf_timeline(struct dma_fence *f) { return "gpu"; }

static const struct dma_fence_ops fence_ops = {
	.get_driver_name = tf_driver,
	.get_timeline_name = tf_timeline,
};

static struct resv_spinlock fence_lock = RESV_SPINLOCK_INITIALIZER;

struct dma_fence *mnt_fence_new(void)
{
	static uint64_t ctx, seqno;
	struct dma_fence *f = resv_dma_fence_alloc(sizeof(*f));

	assert_non_null(f);
	if (!ctx)
		ctx = dma_fence_context_alloc(1);
	dma_fence_init(f, &fence_ops, &fence_lock, ctx, ++seqno);
	return f;
}

void mnt_resv_add(struct dma_resv *obj, struct dma_fence *fence, enum dma_resv_usage usage)
{
	assert_int_equal(dma_resv_lock(obj, NULL), 0);
	assert_int_equal(dma_resv_reserve_fences(obj, 1), 0);
	dma_resv_add_fence(obj, fence, usage);
	dma_resv_unlock(obj);
}

/* ---- the recording notifier ----------------------------------------------------------- */

static bool mnt_invalidate(struct mmu_interval_notifier *sub,
			   const struct mmu_notifier_range *range, unsigned long cur_seq)
{
	struct mnt_notifier *n = caa_container_of(sub, struct mnt_notifier, sub);
	bool blockable = mmu_notifier_range_blockable(range);

	pthread_mutex_lock(&n->gate_lock);
	if (n->removed)
		n->calls_after_remove++;
	if (n->nranges < MNT_MAX_RANGES)
		n->ranges[n->nranges++] = *range;
	n->calls++;
	if (n->refuse_always || (n->refuse_nonblock && !blockable)) {
		pthread_mutex_unlock(&n->gate_lock);
		return false;
	}
	if (!n->skip_set_seq)
		mmu_interval_set_seq(sub, cur_seq);
	n->last_seq = cur_seq;
	while (n->gate_closed) {
		n->in_gate = true;
		pthread_cond_broadcast(&n->gate_cond);
		pthread_cond_wait(&n->gate_cond, &n->gate_lock);
	}
	n->in_gate = false;
	pthread_mutex_unlock(&n->gate_lock);
	return true;
}

const struct mmu_interval_notifier_ops mnt_ops = {
	.invalidate = mnt_invalidate,
};

void mnt_notifier_init(struct mnt_notifier *n)
{
	memset(n, 0, sizeof(*n));
	pthread_mutex_init(&n->gate_lock, NULL);
	pthread_cond_init(&n->gate_cond, NULL);
}

void mnt_notifier_fini(struct mnt_notifier *n)
{
	pthread_cond_destroy(&n->gate_cond);
	pthread_mutex_destroy(&n->gate_lock);
}

unsigned int mnt_calls(struct mnt_notifier *n)
{
	unsigned int c;

	pthread_mutex_lock(&n->gate_lock);
	c = n->calls;
	pthread_mutex_unlock(&n->gate_lock);
	return c;
}

void mnt_gate_close(struct mnt_notifier *n)
{
	pthread_mutex_lock(&n->gate_lock);
	n->gate_closed = true;
	pthread_mutex_unlock(&n->gate_lock);
}

void mnt_gate_open(struct mnt_notifier *n)
{
	pthread_mutex_lock(&n->gate_lock);
	n->gate_closed = false;
	pthread_cond_broadcast(&n->gate_cond);
	pthread_mutex_unlock(&n->gate_lock);
}

void mnt_gate_wait_entered(struct mnt_notifier *n)
{
	int64_t deadline = mnt_now_ns() + TIMEOUT_MS * MS;

	pthread_mutex_lock(&n->gate_lock);
	while (!n->in_gate) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * MS;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&n->gate_cond, &n->gate_lock, &ts);
		if (mnt_now_ns() > deadline) {
			fprintf(stderr, "callback never reached the gate: hang\n");
			abort();
		}
	}
	pthread_mutex_unlock(&n->gate_lock);
}

/* ---- threads -------------------------------------------------------------------------- */

static void *thread_main(void *arg)
{
	struct mnt_thread *t = arg;
	void *ret = t->fn(t->arg);

	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return ret;
}

void mnt_thread_start(struct mnt_thread *t, void *(*fn)(void *arg), void *arg)
{
	t->fn = fn;
	t->arg = arg;
	t->done = 0;
	if (pthread_create(&t->tid, NULL, thread_main, t)) {
		fprintf(stderr, "pthread_create failed\n");
		abort();
	}
}

bool mnt_thread_done(struct mnt_thread *t)
{
	return __atomic_load_n(&t->done, __ATOMIC_ACQUIRE) != 0;
}

void mnt_thread_join(struct mnt_thread *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += TIMEOUT_MS / 1000;
	if (pthread_timedjoin_np(t->tid, NULL, &ts)) {
		fprintf(stderr, "worker thread did not return within %d ms: hang\n", TIMEOUT_MS);
		abort();
	}
}
