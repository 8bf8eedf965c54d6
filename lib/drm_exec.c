/* SPDX-License-Identifier: MIT */
/*
 * drm_exec: lock many GEM objects under one acquire context, with the
 * contention retry state machine in drm_exec_cleanup(), plus libresv's typed
 * restart reasons and the exclusive retry for memory pressure.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <resv/dma-resv.h>
#include <resv/drm_exec.h>
#include <resv/lockdep.h>

#include "internal/alloc.h"
#include "internal/compiler.h"
#include "internal/dma-resv.h"
#include "internal/report.h"

/* @contended before the first loop entry: "the acquire context is not started". */
#define DRM_EXEC_DUMMY ((struct drm_gem_object *)~(uintptr_t)0)

enum { EXCL_NONE = 0, EXCL_READ = 1, EXCL_WRITE = 2 };

static size_t table_bytes(unsigned int nr)
{
	return (size_t)nr * sizeof(struct drm_gem_object *);
}

static bool table_is_inline(const struct drm_exec *exec)
{
	return exec->objects == exec->inline_objects;
}

/*
 * Do the table entries hold references? Not with RESV_EXEC_CALLER_HOLDS_REFS,
 * except in debug builds, which take them to check the caller's promise.
 */
static inline bool table_takes_refs(const struct drm_exec *exec)
{
	return RESV_DEBUG_BUILD || !(exec->flags & RESV_EXEC_CALLER_HOLDS_REFS);
}

/* Drop a table entry's reference (after unlocking the object). */
static inline void table_put(struct drm_exec *exec, struct drm_gem_object *obj)
{
	if (!table_takes_refs(exec))
		return;
	/* Ours the last one: the caller broke its promise; release builds
	 * would have used the object after it was freed. */
	if (RESV_DEBUG_ON((exec->flags & RESV_EXEC_CALLER_HOLDS_REFS) &&
			  drm_gem_object_refcount(obj) <= 1))
		resv__report(RESV_REPORT_EXEC_MISUSE, obj->resv, &exec->ticket,
			     "drm_exec: object %p locked with RESV_EXEC_CALLER_HOLDS_REFS "
			     "lost the caller's reference before drm_exec unlocked it",
			     (void *)obj);
	drm_gem_object_put(obj);
}

void drm_exec_init(struct drm_exec *exec, uint32_t flags, unsigned int nr)
{
	/* Everything but the inline table, which needs no clearing. */
	memset(exec, 0, offsetof(struct drm_exec, inline_objects));
	exec->flags = flags;
	/*
	 * Small loops (most submissions) then allocate nothing; a larger hint
	 * is honoured now, and, as in the kernel, a failure is only retried
	 * when the table must grow.
	 */
	exec->objects = exec->inline_objects;
	exec->max_objects = RESV_EXEC_INLINE_OBJECTS;
	if (nr > RESV_EXEC_INLINE_OBJECTS) {
		struct drm_gem_object **table = resv__malloc(table_bytes(nr));

		if (table) {
			exec->objects = table;
			exec->max_objects = nr;
		}
	}
	exec->num_objects = 0;
	exec->contended = DRM_EXEC_DUMMY;
	exec->prelocked = NULL;
}

static void table_free(struct drm_exec *exec)
{
	if (!table_is_inline(exec))
		resv__free(exec->objects, table_bytes(exec->max_objects));
}

/* Unlock everything, last locked first, and drop the references. */
static void drm_exec_unlock_all(struct drm_exec *exec)
{
	struct drm_gem_object *obj;
	unsigned long index;

	drm_exec_for_each_locked_object_reverse(exec, index, obj) {
		dma_resv_unlock(obj->resv);
		table_put(exec, obj);
	}
	exec->num_objects = 0;

	drm_gem_object_put(exec->prelocked);
	exec->prelocked = NULL;
}

/* One class for every device's lock: it orders before the ww ticket. */
static struct resv_lockdep_class_key exclusive_key =
	RESV_LOCKDEP_CLASS_KEY_INIT("resv_exec_exclusive");

static void exclusive_lock(struct drm_exec *exec, unsigned char mode)
{
	struct resv_exec_exclusive *ex = exec->exclusive;

	/* Annotated before blocking, so an inverted order is reported first. */
	if (mode == EXCL_READ) {
		resv_lockdep_acquire(&ex->dep_map, RESV_LOCKDEP_READ);
		pthread_rwlock_rdlock(&ex->lock);
	} else {
		resv_lockdep_acquire(&ex->dep_map, 0);
		pthread_rwlock_wrlock(&ex->lock);
	}
	exec->exclusive_mode = mode;
}

static void exclusive_unlock(struct drm_exec *exec)
{
	if (exec->exclusive_mode != EXCL_NONE) {
		resv_lockdep_release(&exec->exclusive->dep_map);
		pthread_rwlock_unlock(&exec->exclusive->lock);
		exec->exclusive_mode = EXCL_NONE;
	}
}

void drm_exec_fini(struct drm_exec *exec)
{
	drm_exec_unlock_all(exec);
	table_free(exec);
	exec->objects = exec->inline_objects;
	exec->max_objects = RESV_EXEC_INLINE_OBJECTS;
	if (exec->contended != DRM_EXEC_DUMMY) {
		drm_gem_object_put(exec->contended);
		exec->contended = DRM_EXEC_DUMMY;
		ww_acquire_fini(&exec->ticket);
		/* Outside the acquire context, as it was taken. */
		exclusive_unlock(exec);
	}
	exec->restart = RESV_EXEC_RESTART_NONE;
	exec->in_loop = false;
}

/*
 * The exclusive retry: leave the context, trade read mode for write mode
 * (pthread rwlocks cannot upgrade, and waiting for the writer slot while
 * holding even an empty acquire context would order the device lock inside
 * the ww class), and start a fresh context. The new stamp is younger; bound
 * loops cannot compete with it meanwhile.
 */
static void exclusive_upgrade(struct drm_exec *exec)
{
	ww_acquire_fini(&exec->ticket);
	exclusive_unlock(exec);
	exclusive_lock(exec, EXCL_WRITE);
	ww_acquire_init(&exec->ticket, &reservation_ww_class);
	resv_add_relaxed(&exec->exclusive->exclusive_runs, 1);
}

bool drm_exec_cleanup(struct drm_exec *exec)
{
	enum resv_exec_restart_reason reason = exec->restart;

	if (likely(!exec->contended && reason == RESV_EXEC_RESTART_NONE)) {
		ww_acquire_done(&exec->ticket);
		exec->in_loop = false;
		return false;
	}

	if (likely(exec->contended == DRM_EXEC_DUMMY)) {
		/* First entry: the device lock goes outside the ww context. */
		if (exec->exclusive)
			exclusive_lock(exec, EXCL_READ);
		exec->contended = NULL;
		exec->restart = RESV_EXEC_RESTART_NONE;
		ww_acquire_init(&exec->ticket, &reservation_ww_class);
		exec->in_loop = true;
		return true;
	}

	/*
	 * A restart. A contended object without a pending reason is still
	 * waiting for its slow lock from the previous restart: the body ran
	 * without a single lock call. The kernel restarts then too.
	 */
	if (reason == RESV_EXEC_RESTART_NONE)
		reason = RESV_EXEC_RESTART_CONTENDED;
	drm_exec_unlock_all(exec);
	if (reason == RESV_EXEC_RESTART_ENOMEM_RETRY && exec->exclusive_mode == EXCL_READ)
		exclusive_upgrade(exec);
	exec->restart = RESV_EXEC_RESTART_NONE;
	exec->last_restart = reason;
	exec->restarts[reason]++;
	return true;
}

/* Make room for one more entry: doubling, so N locks cost O(N) in copies. */
static int drm_exec_grow(struct drm_exec *exec)
{
	unsigned int old_max = exec->max_objects, new_max;
	struct drm_gem_object **tmp;

	if (old_max <= UINT32_MAX / 2)
		new_max = old_max * 2;
	else if (old_max < UINT32_MAX)
		new_max = UINT32_MAX;
	else
		return -ENOMEM;

	tmp = resv__malloc(table_bytes(new_max));
	if (!tmp)
		return -ENOMEM;
	if (exec->num_objects)
		memcpy(tmp, exec->objects, table_bytes(exec->num_objects));
	table_free(exec);
	exec->objects = tmp;
	exec->max_objects = new_max;
	return 0;
}

/* Track a freshly locked object, with a reference unless the caller holds one. */
static inline int drm_exec_obj_locked(struct drm_exec *exec, struct drm_gem_object *obj)
{
	if (unlikely(exec->num_objects == exec->max_objects)) {
		int ret = drm_exec_grow(exec);

		if (ret)
			return ret;
	}
	if (table_takes_refs(exec))
		drm_gem_object_get(obj);
	exec->objects[exec->num_objects++] = obj;
	return 0;
}

/* Slow-lock the object that reported contention in the previous run. */
static int drm_exec_lock_contended(struct drm_exec *exec)
{
	struct drm_gem_object *obj = exec->contended;
	int ret;

	if (likely(!obj))
		return 0;
	if (unlikely(obj == DRM_EXEC_DUMMY))
		return -EINVAL;	/* the loop was not entered: no ticket */

	/* Cleared first, so that an error below is not retried forever. */
	exec->contended = NULL;
	if (exec->flags & DRM_EXEC_INTERRUPTIBLE_WAIT) {
		ret = dma_resv_lock_slow_interruptible(obj->resv, &exec->ticket);
		if (unlikely(ret))
			goto err_put;
	} else {
		dma_resv_lock_slow(obj->resv, &exec->ticket);
	}

	ret = drm_exec_obj_locked(exec, obj);
	if (unlikely(ret))
		goto err_unlock;

	/* The contended reference now belongs to @prelocked. */
	exec->prelocked = obj;
	return 0;

err_unlock:
	dma_resv_unlock(obj->resv);
err_put:
	drm_gem_object_put(obj);
	return ret;
}

static void request_restart(struct drm_exec *exec, enum resv_exec_restart_reason reason)
{
	if (exec->restart == RESV_EXEC_RESTART_NONE)
		exec->restart = reason;
}

/* drm_exec_lock_obj(), inlined into drm_exec_prepare_obj() as well: the
 * per-object path of a submission is a handful of calls shorter. */
static inline __attribute__((always_inline)) int
lock_obj(struct drm_exec *exec, struct drm_gem_object *obj)
{
	uint64_t injected;
	int ret;

	if (unlikely(!obj || !obj->resv))
		return -EINVAL;

	ret = drm_exec_lock_contended(exec);
	if (unlikely(ret))
		return ret;

	if (exec->prelocked == obj) {
		/* Locked and tracked by the slow path just now. */
		drm_gem_object_put(exec->prelocked);
		exec->prelocked = NULL;
		return 0;
	}

	/* Only this thread moves the counter: a change means injection. */
	injected = exec->ticket.stats.injected;
	if (exec->flags & DRM_EXEC_INTERRUPTIBLE_WAIT)
		ret = dma_resv_lock_interruptible(obj->resv, &exec->ticket);
	else
		ret = dma_resv_lock(obj->resv, &exec->ticket);

	if (unlikely(ret == -EDEADLK)) {
		drm_gem_object_get(obj);
		exec->contended = obj;
		request_restart(exec, exec->ticket.stats.injected != injected ?
				RESV_EXEC_RESTART_INJECTED : RESV_EXEC_RESTART_CONTENDED);
		return -EDEADLK;
	}

	if (unlikely(ret == -EALREADY) && (exec->flags & DRM_EXEC_IGNORE_DUPLICATES))
		return 0;

	if (unlikely(ret))
		return ret;

	ret = drm_exec_obj_locked(exec, obj);
	if (unlikely(ret))
		goto err_unlock;

	return 0;

err_unlock:
	dma_resv_unlock(obj->resv);
	return ret;
}

int drm_exec_lock_obj(struct drm_exec *exec, struct drm_gem_object *obj)
{
	return lock_obj(exec, obj);
}

void drm_exec_unlock_obj(struct drm_exec *exec, struct drm_gem_object *obj)
{
	unsigned int i;

	for (i = exec->num_objects; i--;) {
		if (exec->objects[i] == obj) {
			dma_resv_unlock(obj->resv);
			memmove(&exec->objects[i], &exec->objects[i + 1],
				table_bytes(exec->num_objects - i - 1));
			exec->num_objects--;
			table_put(exec, obj);
			return;
		}
	}
}

int drm_exec_prepare_obj(struct drm_exec *exec, struct drm_gem_object *obj,
			 unsigned int num_fences)
{
	int ret;

	ret = lock_obj(exec, obj);
	if (unlikely(ret))
		return ret;

	/* The steady state: the list has room already (release builds). */
	if (likely(resv__dma_resv_reserve_fast(obj->resv, num_fences)))
		return 0;
	ret = dma_resv_reserve_fences(obj->resv, num_fences);
	if (ret) {
		drm_exec_unlock_obj(exec, obj);
		return ret;
	}
	return 0;
}

int drm_exec_prepare_array(struct drm_exec *exec, struct drm_gem_object **objects,
			   unsigned int num_objects, unsigned int num_fences)
{
	unsigned int i;
	int ret;

	if (unlikely(!objects && num_objects))
		return -EINVAL;

	for (i = 0; i < num_objects; i++) {
		ret = drm_exec_prepare_obj(exec, objects[i], num_fences);
		if (unlikely(ret))
			return ret;
	}
	return 0;
}

/* ---- restart reasons ---------------------------------------------------------- */

bool resv_exec_restart_on(struct drm_exec *exec, int ret)
{
	if (exec->restart != RESV_EXEC_RESTART_NONE)
		return true;
	if (ret == -ENOMEM && exec->in_loop && exec->exclusive) {
		if (exec->exclusive_mode == EXCL_READ) {
			exec->restart = RESV_EXEC_RESTART_ENOMEM_RETRY;
			return true;
		}
		/* Already exclusive: the caller returns this second -ENOMEM. */
		resv_add_relaxed(&exec->exclusive->failures, 1);
	}
	return false;
}

int resv_exec_restart(struct drm_exec *exec, enum resv_exec_restart_reason reason)
{
	if (!exec || reason <= RESV_EXEC_RESTART_NONE || reason >= RESV_EXEC_RESTART_NR ||
	    !exec->in_loop)
		return -EINVAL;
	request_restart(exec, reason);
	return 0;
}

int resv_exec_contended(struct drm_exec *exec, struct drm_gem_object *obj, bool injected)
{
	if (!exec || !exec->in_loop || !obj || !obj->resv || exec->contended)
		return -EINVAL;
	drm_gem_object_get(obj);
	exec->contended = obj;
	request_restart(exec, injected ? RESV_EXEC_RESTART_INJECTED : RESV_EXEC_RESTART_CONTENDED);
	return -EDEADLK;
}

uint64_t resv_exec_restart_count(const struct drm_exec *exec,
				 enum resv_exec_restart_reason reason)
{
	uint64_t total = 0;
	int i;

	if (reason == RESV_EXEC_RESTART_NONE) {
		for (i = RESV_EXEC_RESTART_NONE + 1; i < RESV_EXEC_RESTART_NR; i++)
			total += exec->restarts[i];
		return total;
	}
	if (reason < RESV_EXEC_RESTART_NONE || reason >= RESV_EXEC_RESTART_NR)
		return 0;
	return exec->restarts[reason];
}

enum resv_exec_restart_reason resv_exec_last_restart(const struct drm_exec *exec)
{
	return exec->last_restart;
}

const char *resv_exec_restart_reason_name(enum resv_exec_restart_reason reason)
{
	switch (reason) {
	case RESV_EXEC_RESTART_NONE:		return "none";
	case RESV_EXEC_RESTART_CONTENDED:	return "contended";
	case RESV_EXEC_RESTART_INJECTED:	return "injected";
	case RESV_EXEC_RESTART_ENOMEM_RETRY:	return "enomem_retry";
	case RESV_EXEC_RESTART_USERPTR_STALE:	return "userptr_stale";
	case RESV_EXEC_RESTART_NR:		break;
	}
	return "unknown";
}

/* ---- exclusive retry ------------------------------------------------------------- */

int resv_exec_exclusive_init(struct resv_exec_exclusive *ex)
{
	pthread_rwlockattr_t attr;
	int err;

	if (!ex)
		return -EINVAL;
	err = pthread_rwlockattr_init(&attr);
	if (err)
		return -err;
#ifdef PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP
	/* glibc prefers readers by default: a stream of loops would starve the retry. */
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
	err = pthread_rwlock_init(&ex->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	if (err)
		return -err;
	resv_lockdep_map_init(&ex->dep_map, "resv_exec_exclusive", &exclusive_key);
	ex->exclusive_runs = 0;
	ex->failures = 0;
	return 0;
}

void resv_exec_exclusive_fini(struct resv_exec_exclusive *ex)
{
	if (ex)
		pthread_rwlock_destroy(&ex->lock);
}

void resv_exec_exclusive_get_stats(struct resv_exec_exclusive *ex,
				   struct resv_exec_exclusive_stats *stats)
{
	stats->exclusive_runs = resv_load_relaxed(&ex->exclusive_runs);
	stats->failures = resv_load_relaxed(&ex->failures);
}

int resv_exec_set_exclusive(struct drm_exec *exec, struct resv_exec_exclusive *ex)
{
	if (!exec)
		return -EINVAL;
	if (exec->contended != DRM_EXEC_DUMMY)
		return -EBUSY;
	exec->exclusive = ex;
	return 0;
}
