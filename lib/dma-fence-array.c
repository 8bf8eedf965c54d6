/* SPDX-License-Identifier: MIT */
/*
 * dma_fence_array: one fence for a set of fences, after the kernel's
 * drivers/dma-buf/dma-fence-array.c (semantics), written for userspace.
 *
 * Counting
 * --------
 * num_pending starts at the number of members needed (all, or 1 for
 * signal-on-any) and is decremented once per member that is seen
 * signaled: by its callback, or by enable_signaling when the callback
 * could not be added. Whoever takes it to 0 signals the array; with
 * signal-on-any it goes negative afterwards, harmlessly.
 *
 * References
 * ----------
 * enable_signaling takes one array reference per registered callback: the
 * core only keeps the array alive until it signals, but callbacks of the
 * other members may still run after that. A callback that is not the one
 * taking num_pending to 0 drops its reference at once; the last one hands
 * its reference to the deferred work, which signals and then drops it.
 *
 * Why deferred
 * ------------
 * Member callbacks run under the member's lock, and enable_signaling runs
 * under the array's lock and takes member locks (adding callbacks).
 * Signalling the array from the callback would take the locks in the other
 * order. As the kernel does with irq_work, the callback queues the
 * signalling (resv__irq_work_queue()), which runs once the thread holds no
 * spinlock.
 *
 * Error
 * -----
 * base.error holds PENDING_ERROR (1) until the array signals: the first
 * member error replaces it by compare-and-swap, and signalling clears a
 * remaining placeholder to 0. Other code only reads error after the
 * SIGNALED flag, so it never sees the placeholder.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <resv/dma-fence-array.h>

#include "internal/alloc.h"
#include "internal/compiler.h"
#include "internal/report.h"
#include "internal/spinlock.h"

#define PENDING_ERROR 1

/*
 * A kernel WARN: in debug builds, RESV_REPORT_FENCE_MISUSE to the report
 * hook (like the core's fence warnings), so tests can prove it fired.
 */
static void array_warn(const struct dma_fence *fence, const char *func, const char *fmt, ...)
	RESV_PRINTF(3, 4);
static void array_warn(const struct dma_fence *fence, const char *func, const char *fmt, ...)
{
	char message[160];
	va_list ap;

	if (!RESV_DEBUG_BUILD)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	resv__report(RESV_REPORT_FENCE_MISUSE, fence, NULL, "%s: %s", func, message);
}

/* ---- the pointer array the array fence owns --------------------------------- */

/*
 * A header before the pointers records the allocation size (the release
 * only has the pointer); 16 bytes keep the pointers aligned like malloc's.
 */
struct fences_hdr {
	size_t size;
	uint64_t magic;
};
_Static_assert(sizeof(struct fences_hdr) == 16, "keep the pointer array 16-byte aligned");
#define FENCES_MAGIC 0x7265737661727279ULL	/* "resvarry" */

static struct fences_hdr *fences_hdr(struct dma_fence **fences)
{
	struct fences_hdr *hdr = (struct fences_hdr *)(void *)fences - 1;

	if (RESV_DEBUG_ON(hdr->magic != FENCES_MAGIC)) {
		fprintf(stderr, "libresv: BUG: fence pointer array %p did not come from "
			"resv_dma_fence_array_alloc_fences()\n", (void *)fences);
		abort();
	}
	return hdr;
}

static size_t fences_bytes(unsigned int num_fences)
{
	return sizeof(struct fences_hdr) + (size_t)num_fences * sizeof(struct dma_fence *);
}

struct dma_fence **resv_dma_fence_array_alloc_fences(unsigned int num_fences)
{
	struct fences_hdr *hdr;

	if (!num_fences)
		return NULL;
	hdr = resv__zalloc(fences_bytes(num_fences));
	if (!hdr)
		return NULL;
	hdr->size = fences_bytes(num_fences);
	hdr->magic = FENCES_MAGIC;
	return (struct dma_fence **)(void *)(hdr + 1);
}

struct dma_fence **resv_dma_fence_array_realloc_fences(struct dma_fence **fences,
							unsigned int num_fences)
{
	struct dma_fence **bigger;
	size_t old_bytes;

	if (!fences)
		return resv_dma_fence_array_alloc_fences(num_fences);
	bigger = resv_dma_fence_array_alloc_fences(num_fences);
	if (!bigger)
		return NULL;
	old_bytes = fences_hdr(fences)->size - sizeof(struct fences_hdr);
	if (old_bytes > (size_t)num_fences * sizeof(*fences))
		old_bytes = (size_t)num_fences * sizeof(*fences);
	memcpy(bigger, fences, old_bytes);
	resv_dma_fence_array_free_fences(fences);
	return bigger;
}

void resv_dma_fence_array_free_fences(struct dma_fence **fences)
{
	struct fences_hdr *hdr;

	if (!fences)
		return;
	hdr = fences_hdr(fences);
	hdr->magic = 0;
	resv__free(hdr, hdr->size);
}

/* ---- error placeholder ------------------------------------------------------- */

static void array_set_pending_error(struct dma_fence_array *array, int error)
{
	int expected = PENDING_ERROR;

	/* Only the first error counts, and only before the array signaled. */
	if (error)
		resv_cas_acq_rel(&array->base.error, &expected, error);
}

static void array_clear_pending_error(struct dma_fence_array *array)
{
	int expected = PENDING_ERROR;

	resv_cas_acq_rel(&array->base.error, &expected, 0);
}

/* ---- ops -------------------------------------------------------------------------- */

static const char *array_driver_name(struct dma_fence *fence)
{
	return "dma_fence_array";
}

static const char *array_timeline_name(struct dma_fence *fence)
{
	return "unbound";
}

/* Deferred: runs when the thread that counted the last member holds no spinlock. */
static void array_signal_work(struct resv_irq_work *work)
{
	struct dma_fence_array *array = caa_container_of(work, struct dma_fence_array, work);

	array_clear_pending_error(array);
	dma_fence_signal(&array->base);
	dma_fence_put(&array->base);	/* the reference of the last callback */
}

/* Runs under @f's lock. */
static void array_cb_func(struct dma_fence *f, struct dma_fence_cb *cb)
{
	struct dma_fence_array *array = caa_container_of(cb, struct dma_fence_array_cb, cb)->array;

	array_set_pending_error(array, f->error);
	if (__atomic_sub_fetch(&array->num_pending, 1, __ATOMIC_ACQ_REL) == 0)
		resv__irq_work_queue(&array->work, array_signal_work);
	else
		dma_fence_put(&array->base);
}

/* Called once, with array->lock held. False: the array is done already. */
static bool array_enable_signaling(struct dma_fence *fence)
{
	struct dma_fence_array *array = to_dma_fence_array(fence);

	if (!array->num_fences) {
		array_clear_pending_error(array);
		return false;
	}
	for (unsigned int i = 0; i < array->num_fences; i++) {
		struct dma_fence_array_cb *cb = &array->callbacks[i];

		cb->array = array;
		dma_fence_get(&array->base);
		if (dma_fence_add_callback(array->fences[i], &cb->cb, array_cb_func)) {
			/* Already signaled: count it here. Not the last reference. */
			array_set_pending_error(array, array->fences[i]->error);
			dma_fence_put(&array->base);
			if (__atomic_sub_fetch(&array->num_pending, 1, __ATOMIC_ACQ_REL) == 0) {
				array_clear_pending_error(array);
				return false;
			}
		}
	}
	return true;
}

static bool array_signaled(struct dma_fence *fence)
{
	struct dma_fence_array *array = to_dma_fence_array(fence);
	int pending;

	/*
	 * Read the count before the ENABLE flag: enable_signaling sets the flag
	 * before it counts anything, so a count read while the flag was still
	 * clear includes no member yet and polling below cannot count twice.
	 */
	pending = __atomic_load_n(&array->num_pending, __ATOMIC_ACQUIRE);
	if (resv_load_acquire(&fence->flags) & (1UL << DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT)) {
		if (pending > 0)
			return false;
		goto signaled;
	}

	for (unsigned int i = 0; i < array->num_fences && pending > 0; i++) {
		struct dma_fence *member = array->fences[i];

		if (dma_fence_is_signaled(member)) {
			array_set_pending_error(array, member->error);
			pending--;
		}
	}
	if (pending > 0)
		return false;
signaled:
	array_clear_pending_error(array);
	return true;
}

static void array_set_deadline(struct dma_fence *fence, int64_t deadline)
{
	struct dma_fence_array *array = to_dma_fence_array(fence);

	for (unsigned int i = 0; i < array->num_fences; i++)
		dma_fence_set_deadline(array->fences[i], deadline);
}

static void array_release(struct dma_fence *fence)
{
	struct dma_fence_array *array = to_dma_fence_array(fence);

	for (unsigned int i = 0; i < array->num_fences; i++)
		dma_fence_put(array->fences[i]);
	resv_dma_fence_array_free_fences(array->fences);
	dma_fence_free(fence);
}

const struct dma_fence_ops dma_fence_array_ops = {
	.get_driver_name = array_driver_name,
	.get_timeline_name = array_timeline_name,
	.enable_signaling = array_enable_signaling,
	.signaled = array_signaled,
	.release = array_release,
	.set_deadline = array_set_deadline,
};

/* ---- API ---------------------------------------------------------------------------- */

bool dma_fence_is_array(struct dma_fence *fence)
{
	return fence->ops == &dma_fence_array_ops;
}

struct dma_fence_array *to_dma_fence_array(struct dma_fence *fence)
{
	if (!fence || !dma_fence_is_array(fence))
		return NULL;
	return caa_container_of(fence, struct dma_fence_array, base);
}

struct dma_fence_array *dma_fence_array_alloc(int num_fences)
{
	if (num_fences < 0)
		return NULL;
	return resv_dma_fence_alloc(sizeof(struct dma_fence_array) +
				    (size_t)num_fences * sizeof(struct dma_fence_array_cb));
}

void dma_fence_array_init(struct dma_fence_array *array, int num_fences,
			  struct dma_fence **fences, uint64_t context, unsigned int seqno,
			  bool signal_on_any)
{
	unsigned int n = num_fences > 0 ? (unsigned int)num_fences : 0;

	if (num_fences < 0 || (n && !fences))
		array_warn(&array->base, __func__, "%d fences at %p", num_fences, (void *)fences);

	resv_spin_lock_init(&array->lock);
	dma_fence_init(&array->base, &dma_fence_array_ops, &array->lock, context, seqno);
	array->num_fences = fences ? n : 0;
	/* An empty array has nothing to wait for, whichever the mode. */
	array->num_pending = (signal_on_any && array->num_fences) ? 1 : (int)array->num_fences;
	array->fences = fences;
	array->work.next = NULL;
	array->work.func = NULL;
	array->base.error = PENDING_ERROR;

	/* Containers in arrays make every operation recursive: flatten instead. */
	for (unsigned int i = 0; i < array->num_fences; i++) {
		if (dma_fence_is_container(fences[i]))
			array_warn(&array->base, __func__, "fence %u of the array is a container", i);
	}
}

struct dma_fence_array *dma_fence_array_create(int num_fences, struct dma_fence **fences,
					       uint64_t context, unsigned int seqno,
					       bool signal_on_any)
{
	struct dma_fence_array *array = dma_fence_array_alloc(num_fences);

	if (!array)
		return NULL;
	dma_fence_array_init(array, num_fences, fences, context, seqno, signal_on_any);
	return array;
}

bool dma_fence_match_context(struct dma_fence *fence, uint64_t context)
{
	struct dma_fence_array *array = to_dma_fence_array(fence);

	if (!array)
		return fence->context == context;
	for (unsigned int i = 0; i < array->num_fences; i++) {
		if (array->fences[i]->context != context)
			return false;
	}
	return true;
}

struct dma_fence *dma_fence_array_first(struct dma_fence *head)
{
	struct dma_fence_array *array;

	if (!head)
		return NULL;
	array = to_dma_fence_array(head);
	if (!array)
		return head;
	return array->num_fences ? array->fences[0] : NULL;
}

struct dma_fence *dma_fence_array_next(struct dma_fence *head, unsigned int index)
{
	struct dma_fence_array *array = to_dma_fence_array(head);

	if (!array || index >= array->num_fences)
		return NULL;
	return array->fences[index];
}
