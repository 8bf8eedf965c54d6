/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * drm_exec locks many GEM objects (&struct drm_gem_object) under one
 * acquire context of &reservation_ww_class and hides the wound/wait back-off
 * dance: when a lock attempt reports contention (-EDEADLK), everything
 * locked so far is dropped, the contended object is locked first with the
 * slow path, and the loop body runs again to relock the rest. Semantics
 * follow the Linux kernel's ``drivers/gpu/drm/drm_exec.c`` and
 * ``include/drm/drm_exec.h``.
 *
 * The kernel's loop needs GNU C (a label and a computed goto)::
 *
 *	struct drm_gem_object *obj;
 *	struct drm_exec exec;
 *	unsigned long index;
 *	int ret;
 *
 *	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
 *	drm_exec_until_all_locked(&exec) {
 *		ret = drm_exec_prepare_obj(&exec, boA, 1);
 *		drm_exec_retry_on_contention(&exec);
 *		if (ret)
 *			goto error;
 *
 *		ret = drm_exec_prepare_obj(&exec, boB, 1);
 *		drm_exec_retry_on_contention(&exec);
 *		if (ret)
 *			goto error;
 *	}
 *
 *	drm_exec_for_each_locked_object(&exec, index, obj) {
 *		dma_resv_add_fence(obj->resv, fence, DMA_RESV_USAGE_READ);
 *		...
 *	}
 *	drm_exec_fini(&exec);
 *
 * libresv also offers a portable C11 form of the same loop, without computed
 * goto or statement expressions, whose restarts carry a typed reason
 * (&enum resv_exec_restart_reason) counted per drm_exec::
 *
 *	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
 *	while (resv_exec_begin(&exec)) {
 *		ret = drm_exec_prepare_obj(&exec, boA, 1);
 *		if (resv_exec_restart_on(&exec, ret))
 *			continue;
 *		if (ret)
 *			goto error;
 *
 *		if (userptr_pages_stale(boB)) {     // the caller's own reason
 *			ret = resv_exec_restart(&exec, RESV_EXEC_RESTART_USERPTR_STALE);
 *			continue;
 *		}
 *		...
 *	}
 *
 * Both forms drive the same state machine (drm_exec_cleanup()) and both
 * count restarts. At the top of every run of the body no object is locked;
 * no lock survives a restart.
 *
 * Memory pressure: a &struct resv_exec_exclusive bound with
 * resv_exec_set_exclusive() is a device-wide lock that every bound loop
 * holds in read mode. After -ENOMEM, resv_exec_restart_on() drops
 * everything and reruns the body once holding it in write mode, so that
 * only one such validator runs at a time; a second -ENOMEM is returned.
 *
 * Differences from the kernel, on purpose:
 *
 * - The object table starts inside &struct drm_exec (16 entries, so small
 *   loops allocate nothing; the kernel allocates a page at init) and grows
 *   by doubling (the kernel grows it by one page), so locking N objects
 *   costs O(N) whatever N; there is no cap below UINT_MAX objects.
 * - drm_exec_lock_obj() and friends return -EINVAL for a NULL object, or
 *   before the loop was entered (nothing changed), where the kernel would
 *   crash; drm_exec_fini() may be called twice.
 * - drm_exec_is_contended() is also true while a restart requested with
 *   resv_exec_restart() is pending, so drm_exec_retry_on_contention()
 *   honours it in the GNU form.
 */
#ifndef RESV_DRM_EXEC_H
#define RESV_DRM_EXEC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <resv/compiler.h>
#include <resv/drm_gem.h>
#include <resv/lockdep.h>
#include <resv/ww_mutex.h>

#ifdef __cplusplus
extern "C" {
#endif

/** DRM_EXEC_INTERRUPTIBLE_WAIT - lock with the _interruptible variants */
#define DRM_EXEC_INTERRUPTIBLE_WAIT (1u << 0)
/** DRM_EXEC_IGNORE_DUPLICATES - locking an object twice is not an error */
#define DRM_EXEC_IGNORE_DUPLICATES (1u << 1)

/**
 * RESV_EXEC_CALLER_HOLDS_REFS - the caller keeps every object alive (libresv)
 *
 * The kernel's drm_exec takes a reference on each object it locks and drops
 * it when it unlocks the object. With this flag it takes none: the caller
 * promises that every object it passes to a lock or prepare call stays
 * referenced until drm_exec_fini() or drm_exec_unlock_obj() unlocks it (an
 * execbuf whose handle table references its objects for the whole call, for
 * example). That saves two atomic read-modify-writes on a shared cache line
 * per object. The contended object keeps its reference either way: it is
 * the only one the exec may hold with no lock.
 *
 * Debug builds take the references anyway and check the promise: an object
 * whose reference from drm_exec is the last one when it is unlocked is
 * reported (%RESV_REPORT_EXEC_MISUSE) and then freed as it would have been
 * without the flag. Release builds cannot check: breaking the promise is a
 * use after free there.
 */
#define RESV_EXEC_CALLER_HOLDS_REFS (1u << 16)

/**
 * RESV_EXEC_INLINE_OBJECTS - table entries inside &struct drm_exec itself
 *
 * A loop that locks at most this many objects allocates nothing.
 */
#define RESV_EXEC_INLINE_OBJECTS 16

/**
 * enum resv_exec_restart_reason - why a drm_exec loop body runs again
 * @RESV_EXEC_RESTART_NONE: no restart (pending), or none happened yet
 * @RESV_EXEC_RESTART_CONTENDED: a lock attempt met a real conflict with
 *	another context (-EDEADLK from Wait-Die or Wound-Wait)
 * @RESV_EXEC_RESTART_INJECTED: the -EDEADLK came from ww_mutex deadlock
 *	injection (resv_ww_class_set_inject(), ``RESV_WW_INJECT``), told apart
 *	by the acquire context's injected counter
 * @RESV_EXEC_RESTART_ENOMEM_RETRY: retry after an allocation failure, by
 *	resv_exec_restart_on() with an exclusive lock bound, or requested
 * @RESV_EXEC_RESTART_USERPTR_STALE: requested by the caller because user
 *	pages it depends on were invalidated
 * @RESV_EXEC_RESTART_NR: the number of values, for arrays
 */
enum resv_exec_restart_reason {
	RESV_EXEC_RESTART_NONE = 0,
	RESV_EXEC_RESTART_CONTENDED,
	RESV_EXEC_RESTART_INJECTED,
	RESV_EXEC_RESTART_ENOMEM_RETRY,
	RESV_EXEC_RESTART_USERPTR_STALE,
	RESV_EXEC_RESTART_NR
};

/**
 * struct resv_exec_exclusive - a device-wide lock for exclusive retries
 * @lock: held in read mode by every bound drm_exec from its first loop
 *	entry to drm_exec_fini(), in write mode by one doing an exclusive
 *	retry (writer-preferring, so a waiting retry is not starved)
 * @dep_map: the lock validator's view of @lock (class
 *	"resv_exec_exclusive", ordered before the reservation ww class)
 * @exclusive_runs: exclusive retries started (atomic)
 * @failures: -ENOMEM again during an exclusive retry, returned to the
 *	caller (atomic)
 *
 * Usually one per device. Fields are private except the counters, which
 * may be read with resv_exec_exclusive_get_stats().
 */
struct resv_exec_exclusive {
	pthread_rwlock_t lock;
	struct resv_lockdep_map dep_map;
	uint64_t exclusive_runs;
	uint64_t failures;
};

/**
 * struct drm_exec - execution context
 * @flags: DRM_EXEC_* flags
 * @ticket: the ww acquire context of &reservation_ww_class; its @stats
 *	may be read
 * @num_objects: number of objects locked (and tracked in @objects)
 * @max_objects: capacity of @objects
 * @objects: the locked objects, in locking order; each holds a reference
 *	(none with %RESV_EXEC_CALLER_HOLDS_REFS in release builds)
 * @contended: the object that reported contention and must be slow-locked
 *	next (a reference is held), NULL, or a marker before the first loop
 *	entry
 * @prelocked: the object already slow-locked at the top of this run of
 *	the body (a reference is held), or NULL
 * @restart: the restart pending for the next loop step, or
 *	RESV_EXEC_RESTART_NONE (libresv)
 * @last_restart: the reason of the last restart (libresv)
 * @restarts: restarts so far, per reason (libresv; index
 *	RESV_EXEC_RESTART_NONE stays 0)
 * @exclusive: the bound &struct resv_exec_exclusive, or NULL (libresv)
 * @exclusive_mode: 0: not held, 1: held for reading, 2: held for writing
 *	(libresv)
 * @in_loop: the loop was entered and has not finished (libresv)
 * @inline_objects: the first table, used until more objects are locked
 *	(libresv; @objects points here then, so a drm_exec must not be copied)
 *
 * Lives on the stack of one thread. Read @objects through drm_exec_obj()
 * or the iterators, and the counters through resv_exec_restart_count() /
 * resv_exec_last_restart(); everything else is private.
 */
struct drm_exec {
	uint32_t flags;
	struct ww_acquire_ctx ticket;
	unsigned int num_objects;
	unsigned int max_objects;
	struct drm_gem_object **objects;
	struct drm_gem_object *contended;
	struct drm_gem_object *prelocked;
	enum resv_exec_restart_reason restart;
	enum resv_exec_restart_reason last_restart;
	uint64_t restarts[RESV_EXEC_RESTART_NR];
	struct resv_exec_exclusive *exclusive;
	unsigned char exclusive_mode;
	bool in_loop;
	struct drm_gem_object *inline_objects[RESV_EXEC_INLINE_OBJECTS];
};

/**
 * drm_exec_obj() - the object at a position of the table
 * @exec: the drm_exec
 * @index: the position, 0 = locked first
 *
 * Context: the thread of @exec.
 * Return: the object, or NULL when @index is not below the number of
 * locked objects.
 */
static inline struct drm_gem_object *drm_exec_obj(const struct drm_exec *exec, unsigned long index)
{
	return index < exec->num_objects ? exec->objects[index] : NULL;
}

/**
 * drm_exec_for_each_locked_object - iterate the locked objects
 * @exec: the drm_exec
 * @index: an unsigned long, the position
 * @obj: a &struct drm_gem_object pointer, the object
 *
 * In locking order: after a contention the slow-locked object comes first.
 */
#define drm_exec_for_each_locked_object(exec, index, obj) \
	for ((index) = 0; ((obj) = drm_exec_obj(exec, index)); ++(index))

/**
 * drm_exec_for_each_locked_object_reverse - iterate them, last locked first
 * @exec: the drm_exec
 * @index: an unsigned long, the position
 * @obj: a &struct drm_gem_object pointer, the object
 *
 * The order in which to unlock. Starting at num_objects - 1 wraps to a huge
 * index for an empty table, which drm_exec_obj() answers with NULL.
 */
#define drm_exec_for_each_locked_object_reverse(exec, index, obj)  \
	for ((index) = (exec)->num_objects - 1;                     \
	     ((obj) = drm_exec_obj(exec, index)); --(index))

/**
 * drm_exec_is_contended() - must the loop body start over
 * @exec: the drm_exec
 *
 * Context: the thread of @exec, inside the loop.
 * Return: true when a lock attempt reported contention (the object waits to
 * be slow-locked by the next lock call) or a restart was requested.
 */
static inline bool drm_exec_is_contended(const struct drm_exec *exec)
{
	return exec->contended != NULL || exec->restart != RESV_EXEC_RESTART_NONE;
}

/* Two steps, so that __LINE__ is expanded before it is pasted. */
#define __resv_exec_paste2(a, b) a##b
#define __resv_exec_paste(a, b) __resv_exec_paste2(a, b)
#define __resv_exec_label __resv_exec_paste(__drm_exec_retry_, __LINE__)

/**
 * drm_exec_until_all_locked - the kernel's loop (GNU C)
 * @exec: the drm_exec
 *
 * Runs the following block until every lock call in it succeeded without
 * contention. Each lock or prepare call in the block must be followed by
 * drm_exec_retry_on_contention(). The macro defines a label (one loop per
 * source line) before the loop; the loop's init statement stores the
 * label's address in a variable the retry macro jumps through. Jumping to
 * the label re-enters the loop, whose condition, drm_exec_cleanup(), then
 * drops every lock and counts the restart.
 */
#define drm_exec_until_all_locked(exec)                                          \
	__resv_exec_label:                                                       \
	for (void *__drm_exec_retry_ptr __attribute__((unused)) = &&__resv_exec_label; \
	     drm_exec_cleanup(exec);)

/**
 * drm_exec_retry_on_contention - start the block over if contended (GNU C)
 * @exec: the drm_exec
 *
 * Only valid inside drm_exec_until_all_locked(). Call it right after every
 * lock or prepare call, before looking at its return value.
 */
#define drm_exec_retry_on_contention(exec)                                 \
	do {                                                               \
		if (__builtin_expect(drm_exec_is_contended(exec), 0))      \
			goto *__drm_exec_retry_ptr;                        \
	} while (0)

/**
 * drm_exec_init() - initialise a drm_exec
 * @exec: the drm_exec (on the caller's stack)
 * @flags: DRM_EXEC_INTERRUPTIBLE_WAIT, DRM_EXEC_IGNORE_DUPLICATES and/or
 *	RESV_EXEC_CALLER_HOLDS_REFS
 * @nr: initial table size in objects; 0 (or up to RESV_EXEC_INLINE_OBJECTS)
 *	uses the table inside @exec
 *
 * Cannot fail: a larger table that cannot be allocated now is replaced by
 * the inline one, and a lock call that needs more room allocates it (and
 * may then return -ENOMEM). The acquire context starts at the first loop
 * entry.
 *
 * Context: any thread; may allocate.
 */
RESV_EXPORT void drm_exec_init(struct drm_exec *exec, uint32_t flags, unsigned int nr);

/**
 * drm_exec_fini() - unlock everything and free the table
 * @exec: the drm_exec; may be right after drm_exec_init(), inside the loop
 *	(after a break) or after it
 *
 * Unlocks every locked object (last locked first) and drops the references
 * drm_exec took, frees the table, drops a pending contended object, ends the
 * acquire context and releases a bound exclusive lock.
 *
 * Context: the thread of @exec.
 */
RESV_EXPORT void drm_exec_fini(struct drm_exec *exec);

/**
 * drm_exec_cleanup() - the state machine behind both loop forms
 * @exec: the drm_exec
 *
 * Not for direct use: drm_exec_until_all_locked() and resv_exec_begin()
 * call it before every run of the body. On the first call it starts the
 * acquire context (after taking a bound exclusive lock for reading). When
 * the body finished with nothing pending it marks the acquire phase done
 * and ends the loop. When a restart is pending it unlocks every object,
 * counts the restart by reason and runs the body again (for an
 * out-of-memory retry with an exclusive lock bound, after ending the
 * context, retaking the exclusive lock for writing and starting a new one).
 *
 * Context: the thread of @exec; may sleep on a bound exclusive lock.
 * Return: true to run the body (again), false when everything is locked.
 */
RESV_EXPORT bool drm_exec_cleanup(struct drm_exec *exec);

/**
 * drm_exec_lock_obj() - lock an object and track it
 * @exec: the drm_exec, inside its loop
 * @obj: the object
 *
 * First slow-locks the object that reported contention in the last run, if
 * any (it then heads the table); then locks @obj, unless @obj is that very
 * object. On success @obj is appended to the table with a reference
 * (none with %RESV_EXEC_CALLER_HOLDS_REFS in release builds).
 *
 * Context: the thread of @exec, inside the loop; may sleep and allocate.
 * Return: 0; -EDEADLK on contention (@obj is not locked; the loop must
 * restart: drm_exec_retry_on_contention() or resv_exec_restart_on());
 * -EALREADY when @obj is already locked by @exec (0 with
 * DRM_EXEC_IGNORE_DUPLICATES; it is not tracked twice); -EINTR with
 * DRM_EXEC_INTERRUPTIBLE_WAIT when the thread is interrupted while waiting
 * (nothing more locked); -ENOMEM when the table cannot grow (@obj is
 * unlocked again); -EINVAL when @obj is NULL or has no resv, or the loop
 * was not entered yet (nothing changed).
 */
RESV_EXPORT RESV_MUST_CHECK int drm_exec_lock_obj(struct drm_exec *exec,
						  struct drm_gem_object *obj);

/**
 * drm_exec_unlock_obj() - unlock a tracked object early
 * @exec: the drm_exec
 * @obj: the object
 *
 * Searches the table from the end (so the most recently locked objects are
 * found fastest), unlocks @obj, removes it from the table keeping the order
 * of the others, and drops its reference (if it took one). Does nothing if
 * @obj is not in the table.
 *
 * Context: the thread of @exec. O(number of objects locked after @obj).
 */
RESV_EXPORT void drm_exec_unlock_obj(struct drm_exec *exec, struct drm_gem_object *obj);

/**
 * drm_exec_prepare_obj() - lock an object and reserve fence slots
 * @exec: the drm_exec, inside its loop
 * @obj: the object
 * @num_fences: fence slots to reserve on @obj->resv, > 0 (use
 *	drm_exec_lock_obj() for none)
 *
 * drm_exec_lock_obj(), then dma_resv_reserve_fences(). With
 * DRM_EXEC_IGNORE_DUPLICATES a duplicate reserves again (reservations are
 * not cumulative).
 *
 * Context: the thread of @exec, inside the loop; may sleep and allocate.
 * Return: as drm_exec_lock_obj(); also -ENOMEM or -EINVAL (@num_fences 0)
 * from the reservation, after which @obj is unlocked and untracked again.
 */
RESV_EXPORT RESV_MUST_CHECK int drm_exec_prepare_obj(struct drm_exec *exec,
						     struct drm_gem_object *obj,
						     unsigned int num_fences);

/**
 * drm_exec_prepare_array() - drm_exec_prepare_obj() on each of an array
 * @exec: the drm_exec, inside its loop
 * @objects: the objects
 * @num_objects: how many
 * @num_fences: fence slots to reserve on each, > 0
 *
 * Stops at the first error; objects prepared before it stay locked.
 *
 * Context: the thread of @exec, inside the loop; may sleep and allocate.
 * Return: 0, or the first error of drm_exec_prepare_obj(); -EINVAL when
 * @objects is NULL and @num_objects is not 0 (nothing changed).
 */
RESV_EXPORT RESV_MUST_CHECK int drm_exec_prepare_array(struct drm_exec *exec,
						       struct drm_gem_object **objects,
						       unsigned int num_objects,
						       unsigned int num_fences);

/* ---- libresv: the portable loop and its restart reasons -------------------- */

/**
 * resv_exec_begin() - the condition of the portable loop
 * @exec: the drm_exec
 *
 * ``while (resv_exec_begin(&exec)) { ... }`` is drm_exec_until_all_locked()
 * in portable C11.
 *
 * Context: the thread of @exec.
 * Return: true to run the body (again), false when everything is locked.
 */
static inline bool resv_exec_begin(struct drm_exec *exec)
{
	return drm_exec_cleanup(exec);
}

/**
 * resv_exec_restart_on() - must the loop body start over after this result
 * @exec: the drm_exec, inside its loop
 * @ret: what the last lock, prepare or validation call returned
 *
 * True when a restart is pending: contention reported by a lock call, or a
 * restart requested with resv_exec_restart(). Also true for @ret -ENOMEM
 * when an exclusive lock is bound and not yet held for writing: the restart
 * (reason RESV_EXEC_RESTART_ENOMEM_RETRY) then runs the body again holding
 * it for writing. A second -ENOMEM gives false, and the caller returns it.
 * Portable form: ``if (resv_exec_restart_on(&exec, ret)) continue;``; GNU
 * form: call it, then drm_exec_retry_on_contention().
 *
 * Context: the thread of @exec, inside the loop.
 * Return: true when the caller must ``continue`` the loop; false when @ret
 * is the caller's to handle (0 or an error).
 */
RESV_EXPORT bool resv_exec_restart_on(struct drm_exec *exec, int ret);

/**
 * resv_exec_restart() - ask for the loop body to start over
 * @exec: the drm_exec, inside its loop
 * @reason: RESV_EXEC_RESTART_USERPTR_STALE, RESV_EXEC_RESTART_ENOMEM_RETRY,
 *	or another reason the caller wants to count
 *
 * The next loop step unlocks everything and counts the restart under
 * @reason; the caller ``continue`` s (portable form) or calls
 * drm_exec_retry_on_contention() (GNU form). When a restart is already
 * pending, its reason is kept.
 *
 * Context: the thread of @exec, inside the loop.
 * Return: 0; -EINVAL when @reason is RESV_EXEC_RESTART_NONE or out of
 * range, or the loop is not running (nothing changed).
 */
RESV_EXPORT RESV_MUST_CHECK int resv_exec_restart(struct drm_exec *exec,
						  enum resv_exec_restart_reason reason);

/**
 * resv_exec_contended() - an object locked on the loop's ticket outside
 *	drm_exec reported contention
 * @exec: the drm_exec, inside its loop
 * @obj: the object whose dma_resv_lock(obj->resv, &exec->ticket) returned
 *	-EDEADLK — typically an eviction victim locked with the caller's ticket,
 *	as TTM does (the simulator's sim_bo_validate() hands it back)
 * @injected: the -EDEADLK came from deadlock injection (counts the restart
 *	as RESV_EXEC_RESTART_INJECTED instead of _CONTENDED)
 *
 * Makes the loop back off exactly as for its own objects: the next loop step
 * unlocks everything, then slow-locks @obj first. @obj is then tracked like
 * a locked object until the body locks it again (as drm_exec_lock_obj() of
 * the contended object does) or the loop ends. Takes a reference on @obj.
 *
 * Context: the thread of @exec, inside the loop; @obj not locked by @exec.
 * Return: -EDEADLK, for the caller to propagate like a lock failure;
 * -EINVAL when the loop is not running, @obj is NULL or has no resv, or
 * another object is already pending (nothing changed).
 */
RESV_EXPORT int resv_exec_contended(struct drm_exec *exec, struct drm_gem_object *obj,
				    bool injected);

/**
 * resv_exec_restart_count() - restarts of a drm_exec so far, by reason
 * @exec: the drm_exec (counters live until the next drm_exec_init())
 * @reason: a reason, or RESV_EXEC_RESTART_NONE for the total
 *
 * Context: any; racy unless read by the thread of @exec.
 * Return: the count; 0 for a reason out of range.
 */
RESV_EXPORT uint64_t resv_exec_restart_count(const struct drm_exec *exec,
					     enum resv_exec_restart_reason reason);

/**
 * resv_exec_last_restart() - the reason of the last restart
 * @exec: the drm_exec
 *
 * Context: any; racy unless read by the thread of @exec.
 * Return: the reason, or RESV_EXEC_RESTART_NONE when the body never had to
 * start over.
 */
RESV_EXPORT enum resv_exec_restart_reason resv_exec_last_restart(const struct drm_exec *exec);

/**
 * resv_exec_restart_reason_name() - the stable name of a reason
 * @reason: a reason
 *
 * Context: any.
 * Return: "none", "contended", "injected", "enomem_retry", "userptr_stale",
 * or "unknown".
 */
RESV_EXPORT const char *resv_exec_restart_reason_name(enum resv_exec_restart_reason reason);

/* ---- libresv: exclusive retry under memory pressure ------------------------ */

/**
 * struct resv_exec_exclusive_stats - counters of an exclusive lock
 * @exclusive_runs: out-of-memory retries that ran holding it for writing
 * @failures: of those, how many met -ENOMEM again and returned it
 */
struct resv_exec_exclusive_stats {
	uint64_t exclusive_runs;
	uint64_t failures;
};

/**
 * resv_exec_exclusive_init() - initialise a device-wide exclusive lock
 * @ex: the lock
 *
 * Context: any; @ex not yet in use.
 * Return: 0; -EINVAL when @ex is NULL; the negated error of
 * pthread_rwlock_init() (-ENOMEM, -EAGAIN) otherwise (nothing initialised).
 */
RESV_EXPORT RESV_MUST_CHECK int resv_exec_exclusive_init(struct resv_exec_exclusive *ex);

/**
 * resv_exec_exclusive_fini() - tear it down
 * @ex: the lock, with no drm_exec bound to it still running
 *
 * Context: any.
 */
RESV_EXPORT void resv_exec_exclusive_fini(struct resv_exec_exclusive *ex);

/**
 * resv_exec_exclusive_get_stats() - read its counters
 * @ex: the lock
 * @stats: filled in
 *
 * Context: any.
 */
RESV_EXPORT void resv_exec_exclusive_get_stats(struct resv_exec_exclusive *ex,
					       struct resv_exec_exclusive_stats *stats);

/**
 * resv_exec_set_exclusive() - bind a drm_exec to an exclusive lock
 * @exec: the drm_exec, initialised, loop not entered yet
 * @ex: the lock, or NULL to unbind
 *
 * From its first loop entry to drm_exec_fini() @exec then holds @ex for
 * reading (or, after an out-of-memory retry, for writing), taken before
 * the acquire context starts. The wait for @ex is not interruptible. A
 * thread must not run two bound loops of one lock nested.
 *
 * Context: the thread of @exec.
 * Return: 0; -EINVAL when @exec is NULL; -EBUSY when the loop was already
 * entered (nothing changed).
 */
RESV_EXPORT RESV_MUST_CHECK int resv_exec_set_exclusive(struct drm_exec *exec,
							struct resv_exec_exclusive *ex);

/**
 * resv_exec_is_exclusive() - is this drm_exec in its exclusive retry
 * @exec: the drm_exec
 *
 * Context: the thread of @exec.
 * Return: true while @exec holds its bound exclusive lock for writing.
 */
static inline bool resv_exec_is_exclusive(const struct drm_exec *exec)
{
	return exec->exclusive_mode == 2;
}

#ifdef __cplusplus
}
#endif

#endif /* RESV_DRM_EXEC_H */
