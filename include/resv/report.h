/* SPDX-License-Identifier: MIT */
/**
 * DOC: misuse reports
 *
 * Debug builds of libresv (RESV_DEBUG) check how the API is used: a
 * ww_acquire_fini() with locks still held, a lock taken after
 * ww_acquire_done(), unlocking a lock this thread does not hold, and so on.
 * Each detection produces one &struct resv_report handed to the report hook.
 *
 * The default hook prints the report to stderr (its one-line message, then
 * the multi-line &resv_report.detail the lock validator adds: locks, both
 * dependency chains, acquisition sites) and aborts when the environment
 * variable ``RESV_REPORT_ABORT=1`` is set (or after
 * resv_report_set_abort(true)). Tests replace the hook to prove that a
 * misuse is caught::
 *
 *	static int seen;
 *	static void count(const struct resv_report *r, void *arg) { seen++; }
 *	...
 *	resv_report_set_hook(count, NULL);
 *	ww_acquire_fini(&ctx);          // with a lock still held
 *	assert(seen == 1);
 *
 * Release builds compile the checks out; resv_report_checks_enabled() says
 * which kind of build is linked.
 */
#ifndef RESV_REPORT_H
#define RESV_REPORT_H

#include <stdbool.h>

#include <resv/compiler.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * enum resv_report_kind - what was detected
 * @RESV_REPORT_WW_FINI_HELD: ww_acquire_fini() with locks still held
 * @RESV_REPORT_WW_FINI_TWICE: ww_acquire_fini() on a finished context
 * @RESV_REPORT_WW_LOCK_AFTER_DONE: locking after ww_acquire_done()
 * @RESV_REPORT_WW_WRONG_RELOCK: after -EDEADLK, the next lock of the context
 *	was not the contended lock, or was taken with other locks still held
 * @RESV_REPORT_WW_CLASS_MISMATCH: a context of one class used on a lock of
 *	another
 * @RESV_REPORT_UNLOCK_NOT_HELD: unlocking a lock this thread does not hold
 * @RESV_REPORT_DESTROY_LOCKED: destroying a lock that is held
 * @RESV_REPORT_SLOW_WITH_LOCKS: a slow-path lock with other locks of the
 *	context still held
 * @RESV_REPORT_FENCE_WAIT_IN_SIGNALLING: a fence wait inside a fence
 *	signalling critical section (dma_fence_begin_signalling()); @lock is
 *	the fence waited on, or NULL when unknown
 * @RESV_REPORT_FENCE_MISUSE: a fence API misuse the kernel WARNs about:
 *	set_error() after signal or with a non-negative error, comparing
 *	fences of different contexts, the timestamp of an unsignaled fence,
 *	releasing a fence with callbacks pending, NULL arguments; @lock is the
 *	fence, or NULL
 * @RESV_REPORT_RESV_NOT_HELD: a dma_resv function that needs the object's
 *	lock called by a thread that does not hold it; @lock is the
 *	&struct dma_resv, @ctx the context that holds it, or NULL
 * @RESV_REPORT_GPUVM_MISUSE: a drm_gpuvm misuse the kernel WARNs about (the
 *	call is refused with an errno): removing the kernel node, linking a
 *	mapping to another object's vm_bo, deferred puts outside immediate
 *	mode, two concurrent iterations of a VM list, a VM freed with mappings
 *	or listed vm_bos left; @lock is the VM, or NULL
 * @RESV_REPORT_LOCKDEP_CYCLE: lock validator: a new dependency closes a cycle
 *	of lock classes (a possible deadlock); @detail has both chains
 * @RESV_REPORT_LOCKDEP_RECURSIVE: lock validator: a second lock of a class
 *	the thread already holds, without a nesting annotation
 * @RESV_REPORT_LOCKDEP_WW_CTX_NESTED: lock validator: a second acquire
 *	context of a ww class initialised or used while the thread has one active
 * @RESV_REPORT_LOCKDEP_WW_CTX_MIX: lock validator: a context-less
 *	ww_mutex_lock() of a class while the thread holds locks of it under a
 *	context, or the reverse
 * @RESV_REPORT_LOCKDEP_SIGNALLING_LOCK: lock validator: a blocking ww/resv
 *	lock inside a fence signalling critical section
 * @RESV_REPORT_LOCKDEP_SIGNALLING_ALLOC: lock validator: a library
 *	allocation inside a fence signalling critical section
 * @RESV_REPORT_LOCKDEP_RECLAIM: lock validator: an allocation while holding
 *	a lock that reclaim (resv_lockdep_reclaim_begin()) takes, or the reverse
 * @RESV_REPORT_LOCKDEP_HELD_AT_EXIT: lock validator: a thread exited while
 *	holding locks
 * @RESV_REPORT_LOCKDEP_NOT_HELD: lock validator: resv_lockdep_assert_held()
 *	on a lock the thread does not hold
 * @RESV_REPORT_MMU_NOTIFIER_MISUSE: an mmu notifier or userptr misuse: an
 *	invalidate callback returning false for a blockable range (ignored),
 *	mmu_interval_notifier_remove() or a blocking mmu_interval_read_begin()
 *	from inside an invalidate callback (returns without waiting),
 *	insert_locked() without the mmap write lock, resv_mm_destroy() with
 *	notifiers inserted, resv_userptr_check() without the notifier lock;
 *	@lock is the notifier, the mm or the userptr
 * @RESV_REPORT_EXEC_MISUSE: a drm_exec misuse: with
 *	RESV_EXEC_CALLER_HOLDS_REFS, the caller's reference on an object was
 *	gone before drm_exec unlocked it (debug builds); @lock is the object's
 *	reservation lock, @ctx the exec's ticket
 */
enum resv_report_kind {
	RESV_REPORT_WW_FINI_HELD = 1,
	RESV_REPORT_WW_FINI_TWICE,
	RESV_REPORT_WW_LOCK_AFTER_DONE,
	RESV_REPORT_WW_WRONG_RELOCK,
	RESV_REPORT_WW_CLASS_MISMATCH,
	RESV_REPORT_UNLOCK_NOT_HELD,
	RESV_REPORT_DESTROY_LOCKED,
	RESV_REPORT_SLOW_WITH_LOCKS,
	RESV_REPORT_FENCE_WAIT_IN_SIGNALLING,
	RESV_REPORT_FENCE_MISUSE,
	RESV_REPORT_RESV_NOT_HELD,
	RESV_REPORT_GPUVM_MISUSE,
	RESV_REPORT_LOCKDEP_CYCLE,
	RESV_REPORT_LOCKDEP_RECURSIVE,
	RESV_REPORT_LOCKDEP_WW_CTX_NESTED,
	RESV_REPORT_LOCKDEP_WW_CTX_MIX,
	RESV_REPORT_LOCKDEP_SIGNALLING_LOCK,
	RESV_REPORT_LOCKDEP_SIGNALLING_ALLOC,
	RESV_REPORT_LOCKDEP_RECLAIM,
	RESV_REPORT_LOCKDEP_HELD_AT_EXIT,
	RESV_REPORT_LOCKDEP_NOT_HELD,
	RESV_REPORT_MMU_NOTIFIER_MISUSE,
	RESV_REPORT_EXEC_MISUSE,
};

/**
 * struct resv_report - one detected misuse
 * @kind: what was detected
 * @message: a one-line human-readable description
 * @lock: the lock involved, or NULL
 * @ctx: the acquire context involved, or NULL
 * @detail: a multi-line explanation (the lock validator's reports: the
 *	locks, both dependency chains, the acquisition sites, the held locks),
 *	each line ending in a newline; NULL for the other reports
 *
 * The strings live until the hook returns.
 */
struct resv_report {
	enum resv_report_kind kind;
	const char *message;
	const void *lock;
	const void *ctx;
	const char *detail;
};

/** typedef resv_report_hook_t - receives every report; must not block. */
typedef void (*resv_report_hook_t)(const struct resv_report *report, void *arg);

/**
 * resv_report_set_hook() - replace the report hook
 * @hook: the new hook, or NULL to restore the default (print to stderr)
 * @arg: passed to @hook
 *
 * Context: any thread; not concurrently with a report being delivered.
 */
RESV_EXPORT void resv_report_set_hook(resv_report_hook_t hook, void *arg);

/**
 * resv_report_set_abort() - make the default hook abort after printing
 * @abort_after_report: true to abort()
 *
 * The environment variable RESV_REPORT_ABORT=1 sets it at start-up.
 *
 * Context: any thread.
 */
RESV_EXPORT void resv_report_set_abort(bool abort_after_report);

/**
 * resv_report_checks_enabled() - whether this library was built with the
 * debug checks (RESV_DEBUG)
 *
 * Context: any.
 * Return: true in debug builds, false where the checks are compiled out.
 */
RESV_EXPORT bool resv_report_checks_enabled(void);

/**
 * resv_report_kind_name() - the stable name of a report kind
 * @kind: a report kind
 *
 * Context: any.
 * Return: e.g. "ww_fini_held"; "unknown" for an unknown value.
 */
RESV_EXPORT const char *resv_report_kind_name(enum resv_report_kind kind);

#ifdef __cplusplus
}
#endif

#endif /* RESV_REPORT_H */
