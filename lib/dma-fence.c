/* SPDX-License-Identifier: MIT */
/*
 * dma_fence: one-shot completion events, after the kernel's
 * drivers/dma-buf/dma-fence.c (semantics), written for userspace.
 *
 * State and locking
 * -----------------
 * flags is atomic; SIGNALED only ever goes 0 -> 1, under fence->lock.
 * cb_list is protected by fence->lock and shares storage with timestamp:
 * the signaller detaches the list, stores the timestamp, then sets
 * TIMESTAMP (release), so a reader that sees TIMESTAMP (acquire) reads a
 * complete timestamp. Callbacks run with fence->lock held, each node
 * re-initialised (empty) just before its call, so remove_callback() under
 * the lock reports false for a callback that ran.
 *
 * Lock order: fence->lock -> a waiter's park_lock (the wake callback runs
 * under the fence lock). Nothing takes a fence lock under a park_lock.
 *
 * Lifetime
 * --------
 * The refcount is a urcu_ref operated with __atomic builtins (liburcu's
 * uatomic uses inline asm, which ThreadSanitizer cannot see). The last
 * put signals a fence still carrying callbacks with -EDEADLK, then hands
 * it to ops->release or frees it after an RCU grace period, so RCU readers
 * that found the pointer may still try dma_fence_get_rcu() on it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <resv/dma-fence.h>

#include "internal/alloc.h"
#include "internal/dma-fence.h"
#include "internal/report.h"
#include "internal/spinlock.h"
#include "internal/thread.h"
#include "internal/time.h"

#define FENCE_MAX_ERRNO 4095

/*
 * ---- kernel-style WARN: counted always; in debug builds delivered to the
 * report hook (RESV_REPORT_FENCE_MISUSE) so tests can prove the detection.
 */

static unsigned long fence_warnings;

static void fence_warn(const char *func, const char *fmt, ...) RESV_PRINTF(2, 3);
static void fence_warn(const char *func, const char *fmt, ...)
{
	char message[200];
	va_list ap;

	__atomic_add_fetch(&fence_warnings, 1, __ATOMIC_RELAXED);
	if (!RESV_DEBUG_BUILD)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	resv__report(RESV_REPORT_FENCE_MISUSE, NULL, NULL, "%s: %s", func, message);
}

/* Evaluates to cond; warns when it is true. */
#define FENCE_WARN(cond, ...) \
	(unlikely(cond) ? (fence_warn(__func__, __VA_ARGS__), true) : false)

unsigned long resv__dma_fence_warn_count(void)
{
	return __atomic_load_n(&fence_warnings, __ATOMIC_RELAXED);
}

static __attribute__((noreturn)) void fence_bug(const char *what)
{
	fprintf(stderr, "libresv: BUG: %s\n", what);
	abort();
}

/* ---- flag and reference helpers --------------------------------------------- */

#define FLAG(bit) (1UL << (bit))

static inline bool test_flag(const struct dma_fence *fence, int bit)
{
	return resv_load_acquire(&fence->flags) & FLAG(bit);
}

static inline bool test_and_set_flag(struct dma_fence *fence, int bit)
{
	return __atomic_fetch_or(&fence->flags, FLAG(bit), __ATOMIC_ACQ_REL) & FLAG(bit);
}

static inline void set_flag(struct dma_fence *fence, int bit)
{
	__atomic_fetch_or(&fence->flags, FLAG(bit), __ATOMIC_RELEASE);
}

static inline void assert_fence_locked(struct dma_fence *fence, const char *func)
{
	if (RESV_DEBUG_ON(!resv_spin_held_by_self(fence->lock)))
		fence_warn(func, "fence lock %p not held by this thread", (void *)fence->lock);
}

/* ---- contexts, allocation, initialisation ------------------------------------ */

static uint64_t fence_context_counter = 1;	/* 0 is the stub's context */

uint64_t dma_fence_context_alloc(unsigned int num)
{
	FENCE_WARN(num == 0, "allocating 0 contexts");
	return __atomic_fetch_add(&fence_context_counter, num, __ATOMIC_RELAXED);
}

/*
 * resv_dma_fence_alloc() memory: a header before the fence records the
 * size for resv__free(), since the default release only has the fence.
 * 16 bytes keep the fence 16-byte aligned.
 */
struct fence_alloc_hdr {
	size_t size;
	uint64_t magic;
};
_Static_assert(sizeof(struct fence_alloc_hdr) == 16, "keep fences 16-byte aligned");
#define FENCE_ALLOC_MAGIC 0x7265737666656e63ULL	/* "resvfenc" */

void *resv_dma_fence_alloc(size_t size)
{
	struct fence_alloc_hdr *hdr;

	if (size < sizeof(struct dma_fence) || size > SIZE_MAX / 2)
		return NULL;
	hdr = resv__zalloc(sizeof(*hdr) + size);
	if (!hdr)
		return NULL;
	hdr->size = sizeof(*hdr) + size;
	hdr->magic = FENCE_ALLOC_MAGIC;
	return hdr + 1;
}

void resv_dma_fence_free_unused(void *ptr)
{
	struct fence_alloc_hdr *hdr;

	if (!ptr)
		return;
	hdr = (struct fence_alloc_hdr *)ptr - 1;
	if (RESV_DEBUG_ON(hdr->magic != FENCE_ALLOC_MAGIC))
		fence_bug("freeing a fence that resv_dma_fence_alloc() did not allocate "
			  "(fences in other memory need ops->release)");
	hdr->magic = 0;
	resv__free(hdr, hdr->size);
}

static void fence_free_rcu(struct resv_rcu_head *head)
{
	resv_dma_fence_free_unused(caa_container_of(head, struct dma_fence, rcu));
}

void dma_fence_free(struct dma_fence *fence)
{
	resv_call_rcu(&fence->rcu, fence_free_rcu);
}

static void fence_init(struct dma_fence *fence, const struct dma_fence_ops *ops,
		       struct resv_spinlock *lock, uint64_t context, uint64_t seqno,
		       unsigned long flags)
{
	if (!lock)
		fence_bug("dma_fence_init() without a lock");
	if (!ops || !ops->get_driver_name || !ops->get_timeline_name)
		fence_bug("dma_fence_init() without ops or a mandatory name op");

	__atomic_store_n(&fence->refcount.refcount, 1, __ATOMIC_RELAXED);
	fence->ops = ops;
	CDS_INIT_LIST_HEAD(&fence->cb_list);
	fence->lock = lock;
	fence->context = context;
	fence->seqno = seqno;
	__atomic_store_n(&fence->flags, flags, __ATOMIC_RELAXED);
	fence->error = 0;
}

void dma_fence_init(struct dma_fence *fence, const struct dma_fence_ops *ops,
		    struct resv_spinlock *lock, uint64_t context, uint64_t seqno)
{
	fence_init(fence, ops, lock, context, seqno, 0);
}

void dma_fence_init64(struct dma_fence *fence, const struct dma_fence_ops *ops,
		      struct resv_spinlock *lock, uint64_t context, uint64_t seqno)
{
	fence_init(fence, ops, lock, context, seqno, FLAG(DMA_FENCE_FLAG_SEQNO64_BIT));
}

/* ---- names ------------------------------------------------------------------- */

const char *dma_fence_driver_name(struct dma_fence *fence)
{
	return test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT) ?
		"detached-driver" : fence->ops->get_driver_name(fence);
}

const char *dma_fence_timeline_name(struct dma_fence *fence)
{
	return test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT) ?
		"signaled-timeline" : fence->ops->get_timeline_name(fence);
}

/* ---- references ------------------------------------------------------------------ */

struct dma_fence *dma_fence_get(struct dma_fence *fence)
{
	if (fence)
		__atomic_add_fetch(&fence->refcount.refcount, 1, __ATOMIC_RELAXED);
	return fence;
}

struct dma_fence *dma_fence_get_rcu(struct dma_fence *fence)
{
	long old = __atomic_load_n(&fence->refcount.refcount, __ATOMIC_RELAXED);

	do {
		if (old == 0)
			return NULL;
	} while (!__atomic_compare_exchange_n(&fence->refcount.refcount, &old, old + 1, true,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return fence;
}

struct dma_fence *dma_fence_get_rcu_safe(struct dma_fence **fencep)
{
	for (;;) {
		struct dma_fence *fence = __atomic_load_n(fencep, __ATOMIC_ACQUIRE);

		if (!fence)
			return NULL;
		if (!dma_fence_get_rcu(fence))
			continue;	/* dying: the writer is about to replace it */
		/* Still the published fence, not a recycled object? */
		if (fence == __atomic_load_n(fencep, __ATOMIC_ACQUIRE))
			return fence;
		dma_fence_put(fence);
	}
}

static void fence_release(struct dma_fence *fence)
{
	if (!test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT)) {
		resv_spin_lock(fence->lock);
		if (!test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT) &&
		    !cds_list_empty(&fence->cb_list)) {
			fence_warn(__func__, "fence %s:%s:%llu:%llu released with pending signals",
				   fence->ops->get_driver_name(fence),
				   fence->ops->get_timeline_name(fence),
				   (unsigned long long)fence->context,
				   (unsigned long long)fence->seqno);
			/* Waiters would hang forever: fail them instead. */
			fence->error = -EDEADLK;
			dma_fence_signal_locked(fence);
		}
		resv_spin_unlock(fence->lock);
	}
	if (fence->ops->release)
		fence->ops->release(fence);
	else
		dma_fence_free(fence);
}

void dma_fence_put(struct dma_fence *fence)
{
	long left;

	if (!fence)
		return;
	left = __atomic_sub_fetch(&fence->refcount.refcount, 1, __ATOMIC_ACQ_REL);
	if (left == 0)
		fence_release(fence);
	else if (RESV_DEBUG_ON(left < 0))
		fence_bug("dma_fence_put() on a fence without references");
}

/* ---- signalling ------------------------------------------------------------------ */

void dma_fence_signal_timestamp_locked(struct dma_fence *fence, int64_t timestamp)
{
	struct dma_fence_cb *cur, *tmp;
	struct cds_list_head cbs;

	assert_fence_locked(fence, __func__);
	if (test_and_set_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT))
		return;

	/* Detach the callbacks before their list head becomes the timestamp. */
	CDS_INIT_LIST_HEAD(&cbs);
	cds_list_splice(&fence->cb_list, &cbs);
	fence->timestamp = timestamp;
	set_flag(fence, DMA_FENCE_FLAG_TIMESTAMP_BIT);

	cds_list_for_each_entry_safe(cur, tmp, &cbs, node) {
		CDS_INIT_LIST_HEAD(&cur->node);
		cur->func(fence, cur);
	}
}

void dma_fence_signal_locked(struct dma_fence *fence)
{
	dma_fence_signal_timestamp_locked(fence, resv__now_ns());
}

void dma_fence_signal_timestamp(struct dma_fence *fence, int64_t timestamp)
{
	bool cookie;

	if (FENCE_WARN(!fence, "NULL fence"))
		return;
	cookie = dma_fence_begin_signalling();
	resv_spin_lock(fence->lock);
	dma_fence_signal_timestamp_locked(fence, timestamp);
	resv_spin_unlock(fence->lock);
	dma_fence_end_signalling(cookie);
}

void dma_fence_signal(struct dma_fence *fence)
{
	if (FENCE_WARN(!fence, "NULL fence"))
		return;
	dma_fence_signal_timestamp(fence, resv__now_ns());
}

bool dma_fence_check_and_signal_locked(struct dma_fence *fence)
{
	bool was = test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT);

	dma_fence_signal_locked(fence);
	return was;
}

bool dma_fence_check_and_signal(struct dma_fence *fence)
{
	bool cookie = dma_fence_begin_signalling();
	bool was;

	resv_spin_lock(fence->lock);
	was = dma_fence_check_and_signal_locked(fence);
	resv_spin_unlock(fence->lock);
	dma_fence_end_signalling(cookie);
	return was;
}

bool dma_fence_test_signaled_flag(struct dma_fence *fence)
{
	return test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT);
}

bool dma_fence_is_signaled_locked(struct dma_fence *fence)
{
	if (test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT))
		return true;
	if (fence->ops->signaled && fence->ops->signaled(fence)) {
		dma_fence_signal_locked(fence);
		return true;
	}
	return false;
}

bool dma_fence_is_signaled(struct dma_fence *fence)
{
	if (test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT))
		return true;
	if (fence->ops->signaled && fence->ops->signaled(fence)) {
		dma_fence_signal(fence);
		return true;
	}
	return false;
}

int dma_fence_get_status_locked(struct dma_fence *fence)
{
	if (dma_fence_is_signaled_locked(fence))
		return fence->error ? fence->error : 1;
	return 0;
}

int dma_fence_get_status(struct dma_fence *fence)
{
	int status;

	resv_spin_lock(fence->lock);
	status = dma_fence_get_status_locked(fence);
	resv_spin_unlock(fence->lock);
	return status;
}

void dma_fence_set_error(struct dma_fence *fence, int error)
{
	/* Rejected, not stored as the kernel does after its WARN: see header. */
	if (FENCE_WARN(test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT),
		       "set_error(%d) on signaled fence %llu:%llu", error,
		       (unsigned long long)fence->context, (unsigned long long)fence->seqno))
		return;
	if (FENCE_WARN(error >= 0 || error < -FENCE_MAX_ERRNO,
		       "set_error(%d): not a negative errno", error))
		return;
	fence->error = error;
}

int64_t dma_fence_timestamp(struct dma_fence *fence)
{
	if (FENCE_WARN(!test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT),
		       "timestamp of unsignaled fence %llu:%llu",
		       (unsigned long long)fence->context, (unsigned long long)fence->seqno))
		return resv__now_ns();
	/* The signaller sets TIMESTAMP right after SIGNALED, under the lock. */
	while (!test_flag(fence, DMA_FENCE_FLAG_TIMESTAMP_BIT))
		resv__cpu_relax();
	return fence->timestamp;
}

/* ---- enabling signalling, callbacks ------------------------------------------- */

/* Returns false when the fence is (now) signaled. Requires fence->lock. */
static bool fence_enable_signaling_locked(struct dma_fence *fence)
{
	bool was_enabled = test_and_set_flag(fence, DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT);

	if (test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT))
		return false;
	if (!was_enabled && fence->ops->enable_signaling &&
	    !fence->ops->enable_signaling(fence)) {
		dma_fence_signal_locked(fence);
		return false;
	}
	return true;
}

void dma_fence_enable_sw_signaling(struct dma_fence *fence)
{
	resv_spin_lock(fence->lock);
	fence_enable_signaling_locked(fence);
	resv_spin_unlock(fence->lock);
}

int dma_fence_add_callback(struct dma_fence *fence, struct dma_fence_cb *cb,
			   dma_fence_func_t func)
{
	int ret = 0;

	if (FENCE_WARN(!fence || !func, "NULL fence or callback function"))
		return -EINVAL;
	if (test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT)) {
		CDS_INIT_LIST_HEAD(&cb->node);
		return -ENOENT;
	}

	resv_spin_lock(fence->lock);
	if (fence_enable_signaling_locked(fence)) {
		cb->func = func;
		cds_list_add_tail(&cb->node, &fence->cb_list);
	} else {
		CDS_INIT_LIST_HEAD(&cb->node);
		ret = -ENOENT;
	}
	resv_spin_unlock(fence->lock);
	return ret;
}

bool dma_fence_remove_callback(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	bool pending;

	resv_spin_lock(fence->lock);
	pending = !cds_list_empty(&cb->node);
	if (pending)
		cds_list_del_init(&cb->node);
	resv_spin_unlock(fence->lock);
	return pending;
}

/* ---- signalling critical sections ------------------------------------------------ */

/*
 * Only the outermost section is recorded (an inner begin returns cookie
 * true and its end does nothing), so the thread-local state is a depth of
 * 0 or 1.
 */
static __thread unsigned int signalling_depth;

bool dma_fence_begin_signalling(void)
{
	if (signalling_depth)
		return true;
	signalling_depth = 1;
	return false;
}

void dma_fence_end_signalling(bool cookie)
{
	if (cookie)
		return;
	FENCE_WARN(!signalling_depth, "end of a signalling section that was not begun");
	signalling_depth = 0;
}

bool resv__dma_fence_in_signalling(void)
{
	return signalling_depth != 0;
}

static void fence_might_wait(const struct dma_fence *fence)
{
	if (RESV_DEBUG_ON(signalling_depth))
		resv__report(RESV_REPORT_FENCE_WAIT_IN_SIGNALLING, fence, NULL,
			     "fence wait inside a fence signalling critical section");
}

void __dma_fence_might_wait(void)
{
	fence_might_wait(NULL);
}

/* ---- waiting ------------------------------------------------------------------------ */

struct default_wait_cb {
	struct dma_fence_cb base;
	struct resv_thread *task;
};

/* Runs under the fence lock: lock order fence->lock -> park_lock. */
static void default_wait_wake(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	resv__thread_wake(caa_container_of(cb, struct default_wait_cb, base)->task);
}

#define NO_DEADLINE INT64_MAX

static int64_t wait_deadline(signed long timeout)
{
	int64_t now;

	if (timeout == MAX_SCHEDULE_TIMEOUT)
		return NO_DEADLINE;
	now = resv__now_ns();
	return timeout >= NO_DEADLINE - now ? NO_DEADLINE : now + timeout;
}

/* Remaining time for a successful wait: > 0, like schedule_timeout()'s. */
static signed long wait_remaining(signed long timeout, int64_t deadline)
{
	int64_t left;

	if (timeout == MAX_SCHEDULE_TIMEOUT)
		return MAX_SCHEDULE_TIMEOUT;
	left = deadline - resv__now_ns();
	return left > 0 ? (signed long)left : 1;
}

static bool wait_timed_out(int64_t deadline)
{
	return deadline != NO_DEADLINE && resv__now_ns() >= deadline;
}

/* Sleep until woken, interrupted (if @intr) or @deadline; spurious returns ok. */
static void wait_park(struct resv_thread *self, bool intr, int64_t deadline)
{
	if (deadline == NO_DEADLINE)
		resv__thread_park(self, intr);
	else
		resv__thread_park_until(self, intr, deadline);
}

signed long dma_fence_default_wait(struct dma_fence *fence, bool intr, signed long timeout)
{
	struct resv_thread *self = resv_thread_self();
	signed long ret = timeout ? timeout : 1;
	struct default_wait_cb cb;
	int64_t deadline;

	if (FENCE_WARN(timeout < 0, "negative timeout %ld", timeout))
		return -EINVAL;

	resv_spin_lock(fence->lock);
	if (test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT))
		goto out;
	if (intr && resv__thread_interrupted(self)) {
		ret = -RESV_ERESTARTSYS;
		goto out;
	}
	if (!timeout) {
		ret = 0;
		goto out;
	}

	deadline = wait_deadline(timeout);
	cb.base.func = default_wait_wake;
	cb.task = self;
	cds_list_add(&cb.base.node, &fence->cb_list);
	for (;;) {
		resv_spin_unlock(fence->lock);
		wait_park(self, intr, deadline);
		resv_spin_lock(fence->lock);
		if (test_flag(fence, DMA_FENCE_FLAG_SIGNALED_BIT)) {
			ret = wait_remaining(timeout, deadline);
			break;
		}
		if (intr && resv__thread_interrupted(self)) {
			ret = -RESV_ERESTARTSYS;
			break;
		}
		if (wait_timed_out(deadline)) {
			ret = 0;
			break;
		}
	}
	/* Signalled: the callback already emptied the node; else unlink it. */
	if (!cds_list_empty(&cb.base.node))
		cds_list_del(&cb.base.node);
out:
	resv_spin_unlock(fence->lock);
	return ret;
}

signed long dma_fence_wait_timeout(struct dma_fence *fence, bool intr, signed long timeout)
{
	if (FENCE_WARN(timeout < 0, "negative timeout %ld", timeout))
		return -EINVAL;

	fence_might_wait(fence);
	dma_fence_enable_sw_signaling(fence);
	if (fence->ops->wait)
		return fence->ops->wait(fence, intr, timeout);
	return dma_fence_default_wait(fence, intr, timeout);
}

signed long dma_fence_wait(struct dma_fence *fence, bool intr)
{
	signed long ret = dma_fence_wait_timeout(fence, intr, MAX_SCHEDULE_TIMEOUT);

	return ret < 0 ? ret : 0;
}

static bool test_signaled_any(struct dma_fence **fences, uint32_t count, uint32_t *idx)
{
	for (uint32_t i = 0; i < count; i++) {
		if (test_flag(fences[i], DMA_FENCE_FLAG_SIGNALED_BIT)) {
			if (idx)
				*idx = i;
			return true;
		}
	}
	return false;
}

signed long dma_fence_wait_any_timeout(struct dma_fence **fences, uint32_t count, bool intr,
				       signed long timeout, uint32_t *idx)
{
	struct resv_thread *self = resv_thread_self();
	struct default_wait_cb *cb;
	signed long ret = timeout;
	bool slept = false;
	int64_t deadline;
	uint32_t i;

	if (FENCE_WARN(!fences || !count || timeout < 0,
		       "invalid arguments (fences %p, count %u, timeout %ld)",
		       (void *)fences, count, timeout))
		return -EINVAL;

	fence_might_wait(NULL);
	if (timeout == 0) {
		for (i = 0; i < count; i++) {
			if (dma_fence_is_signaled(fences[i])) {
				if (idx)
					*idx = i;
				return 1;
			}
		}
		return 0;
	}

	cb = resv__zalloc((size_t)count * sizeof(*cb));
	if (!cb)
		return -ENOMEM;

	deadline = wait_deadline(timeout);
	for (i = 0; i < count; i++) {
		cb[i].task = self;
		if (dma_fence_add_callback(fences[i], &cb[i].base, default_wait_wake)) {
			/* Already signaled: report it with the full timeout left. */
			if (idx)
				*idx = i;
			goto remove_callbacks;
		}
	}

	for (;;) {
		if (test_signaled_any(fences, count, idx)) {
			ret = slept ? wait_remaining(timeout, deadline) : timeout;
			break;
		}
		if (slept && intr && resv__thread_interrupted(self)) {
			ret = -RESV_ERESTARTSYS;
			break;
		}
		if (slept && wait_timed_out(deadline)) {
			ret = 0;
			break;
		}
		wait_park(self, intr, deadline);
		slept = true;
	}

remove_callbacks:
	while (i-- > 0)
		dma_fence_remove_callback(fences[i], &cb[i].base);
	resv__free(cb, (size_t)count * sizeof(*cb));
	return ret;
}

void dma_fence_set_deadline(struct dma_fence *fence, int64_t deadline)
{
	if (fence->ops->set_deadline && !dma_fence_is_signaled(fence))
		fence->ops->set_deadline(fence, deadline);
}

/* ---- ordering ------------------------------------------------------------------------ */

bool __dma_fence_is_later(struct dma_fence *fence, uint64_t f1, uint64_t f2)
{
	if (test_flag(fence, DMA_FENCE_FLAG_SEQNO64_BIT))
		return f1 > f2;
	/* 32-bit timelines wrap: compare the signed distance of the low halves. */
	return (int32_t)((uint32_t)f1 - (uint32_t)f2) > 0;
}

bool dma_fence_is_later(struct dma_fence *f1, struct dma_fence *f2)
{
	if (FENCE_WARN(f1->context != f2->context, "comparing fences of contexts %llu and %llu",
		       (unsigned long long)f1->context, (unsigned long long)f2->context))
		return false;
	return __dma_fence_is_later(f1, f1->seqno, f2->seqno);
}

bool dma_fence_is_later_or_same(struct dma_fence *f1, struct dma_fence *f2)
{
	return f1 == f2 || dma_fence_is_later(f1, f2);
}

struct dma_fence *dma_fence_later(struct dma_fence *f1, struct dma_fence *f2)
{
	struct dma_fence *later;

	if (FENCE_WARN(f1->context != f2->context, "comparing fences of contexts %llu and %llu",
		       (unsigned long long)f1->context, (unsigned long long)f2->context))
		return NULL;
	later = dma_fence_is_later(f1, f2) ? f1 : f2;
	return dma_fence_is_signaled(later) ? NULL : later;
}

/* ---- stubs ----------------------------------------------------------------------------- */

static const char *stub_name(struct dma_fence *fence)
{
	return "stub";
}

/* The global stub is static memory: it must never be freed. */
static void global_stub_release(struct dma_fence *fence)
{
	fence_warn(__func__, "the global stub fence lost its last reference");
}

static const struct dma_fence_ops global_stub_ops = {
	.get_driver_name = stub_name,
	.get_timeline_name = stub_name,
	.release = global_stub_release,
};

static const struct dma_fence_ops private_stub_ops = {
	.get_driver_name = stub_name,
	.get_timeline_name = stub_name,
};

static struct resv_spinlock stub_lock = RESV_SPINLOCK_INITIALIZER;
static struct dma_fence global_stub;
static pthread_once_t global_stub_once = PTHREAD_ONCE_INIT;

static void global_stub_init(void)
{
	dma_fence_init(&global_stub, &global_stub_ops, &stub_lock, 0, 0);
	set_flag(&global_stub, DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT);
	resv_spin_lock(&stub_lock);
	dma_fence_signal_locked(&global_stub);
	resv_spin_unlock(&stub_lock);
}

struct dma_fence *dma_fence_get_stub(void)
{
	pthread_once(&global_stub_once, global_stub_init);
	return dma_fence_get(&global_stub);
}

struct dma_fence *dma_fence_allocate_private_stub(int64_t timestamp)
{
	struct dma_fence *fence = resv_dma_fence_alloc(sizeof(*fence));

	if (!fence)
		return NULL;
	dma_fence_init(fence, &private_stub_ops, &stub_lock, 0, 0);
	set_flag(fence, DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT);
	dma_fence_signal_timestamp(fence, timestamp);
	return fence;
}
