/* SPDX-License-Identifier: MIT */
/*
 * The i915-style execbuf, as a driver writes it on libresv's public API:
 * check and look up (nothing locked) -> snapshot userptrs (no reservation)
 * -> drm_exec: lock, validate with eviction, bind -> relocations (the slow
 * path leaves the ww transaction to copy them) -> job and its dependencies
 * -> userptr check under the notifier lock -> publish, push, unlock.
 * Validation and binding are in execbuf-bind.c, relocations in
 * execbuf-reloc.c; docs/execbuf.md draws the whole sequence.
 */
#include <errno.h>
#include <string.h>

#include "execbuf-internal.h"

#include <sim/trace.h>

/* ---- step 1: arguments and handles (nothing locked) ------------------------------ */

static int eb_check_args(struct eb *eb, struct sim_file *file, struct sim_execbuf *args,
			 struct dma_fence **out_fence)
{
	if (!file || !args || !args->objects)
		return -EINVAL;
	if (args->flags & ~SIM_EXECBUF_FLAGS)
		return -EINVAL;
	if ((args->flags & SIM_EXECBUF_FENCE_OUT) && !out_fence)
		return -EINVAL;
	if (!args->count || args->count > SIM_EXECBUF_MAX_OBJECTS ||
	    args->batch_index >= args->count)
		return -EINVAL;
	eb->file = file;
	eb->dev = file->dev;
	eb->args = args;
	eb->count = args->count;
	eb->engine = sim_device_engine(file->dev, args->engine);
	if (!eb->engine)
		return -EINVAL;
	eb->ctx = args->ctx ? args->ctx : file->ctx;
	if (eb->ctx->dev != file->dev)
		return -EINVAL;
	if (sim_context_is_banned(eb->ctx))
		return -EIO;
	if (args->batch_start_offset % 4 || args->batch_len % 4)
		return -EINVAL;
	return 0;
}

/* An object's arguments, then what needs its BO: one pass with the lookup. */
static int eb_check_object(struct eb *eb, struct eb_obj *o)
{
	const struct sim_execbuf_object *u = o->uobj;
	struct sim_file_obj *fo;

	if (u->flags & ~SIM_EXEC_OBJECT_FLAGS)
		return -EINVAL;
	if (u->relocation_count > SIM_EXECBUF_MAX_RELOCS)
		return -EINVAL;
	if (u->relocation_count && !u->relocs)
		return -EFAULT;
	if ((u->flags & SIM_EXEC_OBJECT_PINNED) && u->offset % SIM_PAGE_SIZE)
		return -EINVAL;
	o->fo = fo = sim__file_table_get(eb->file, u->handle);
	if (!fo)
		return -ENOENT;
	o->bo = fo->bo;	/* not dereferenced here: the next pass does, prefetched */
	o->flags = u->flags;
	o->relocs = u->relocs;
	o->nrelocs = u->relocation_count;
	o->va = 0;
	if ((o->flags & SIM_EXEC_OBJECT_PINNED) &&
	    (o->uobj->offset >= SIM_EXEC_KERNEL_VA ||
	     fo->size > SIM_EXEC_KERNEL_VA - o->uobj->offset))
		return -EINVAL;
	if ((o->flags & SIM_EXEC_OBJECT_NEEDS_VRAM) && !(fo->allowed & SIM_PL_MASK_VRAM))
		return -EINVAL;	/* a userptr's allowed mask has no VRAM either */
	if (fo->userptr) {
		if (o->nrelocs)
			return -EINVAL;
		eb->has_userptr = true;
	}
	if (o->nrelocs) {
		eb->has_relocs = true;
		eb->reloc_total += o->nrelocs;
	}
	return 0;
}

/* The batch runs from its start for batch_len bytes, inside the BO. */
static int eb_check_batch(struct eb *eb)
{
	uint32_t max_batch = eb->dev->cfg.max_batch_bytes;
	uint64_t size = eb->objs[eb->batch].fo->size, room;

	if (eb->args->batch_start_offset >= size)
		return -EINVAL;
	room = size - eb->args->batch_start_offset;
	if (!eb->args->batch_len)
		eb->batch_len = room < max_batch ? (uint32_t)room : max_batch;
	else if (eb->args->batch_len > room || eb->args->batch_len > max_batch)
		return -EINVAL;
	else
		eb->batch_len = eb->args->batch_len;
	return 0;
}

/* Handles to records (no references: the caller is inside
 * sim__file_exec_begin()), and every per-object check, in one pass. */
static int eb_lookup(struct eb *eb)
{
	struct sim_execbuf_object *u = eb->args->objects;
	int ret = 0;

	if (eb->count <= EB_INLINE) {
		eb->objs = eb->inline_objs;
	} else {
		eb->objs = resv_malloc(eb->count * sizeof(*eb->objs));
		if (!eb->objs)
			return -ENOMEM;
	}
	eb->softpin_in_place = true;
	sim__file_table_lock(eb->file);
	for (unsigned int i = 0; i < eb->count; i++) {
		struct eb_obj *o = &eb->objs[i];

		o->uobj = &u[i];
		ret = eb_check_object(eb, o);
		if (ret)
			break;
		if (o->flags & SIM_EXEC_OBJECT_PINNED) {
			eb->npinned++;
			/* A hint, without the BO's lock: see eb_check_softpin(). */
			if (!__atomic_load_n(&o->fo->bound, __ATOMIC_RELAXED) ||
			    __atomic_load_n(&o->fo->va, __ATOMIC_RELAXED) != o->uobj->offset)
				eb->softpin_in_place = false;
		}
	}
	sim__file_table_unlock(eb->file);
	if (ret)
		return ret;
	eb->batch = eb->args->batch_index;
	ret = eb_check_batch(eb);
	if (!ret)
		ret = eb_check_softpin(eb);
	if (!ret && eb->has_relocs)
		ret = eb_check_relocs(eb);
	if (!ret && (eb->args->flags & SIM_EXECBUF_CHECK_BATCH)) {
		eb->batch_copy = resv_malloc(eb->batch_len);
		if (!eb->batch_copy)
			ret = -ENOMEM;
	}
	return ret;
}

/* ---- step 2 and 6: userptrs ----------------------------------------------------- */

/* Collect the pages of every userptr object: no reservation is held (the
 * kernel never faults user pages under one). */
static int eb_userptr_snapshot(struct eb *eb)
{
	if (!eb->has_userptr)
		return 0;
	for (unsigned int i = 0; i < eb->count; i++) {
		struct sim_bo *bo = eb->objs[i].bo;
		int ret;

		if (!bo->userptr)
			continue;
		ret = resv_userptr_snapshot(bo->userptr);
		if (ret)
			return ret;	/* -EFAULT, or -EAGAIN: invalidated meanwhile */
	}
	return 0;
}

/* Under the file's notifier lock (read): is every snapshot still current?
 * An invalidation must take that lock to move a sequence, so the answer
 * holds until we unlock it, after the fence is published. */
static int eb_userptr_check(struct eb *eb)
{
	for (unsigned int i = 0; i < eb->count; i++) {
		struct sim_bo *bo = eb->objs[i].bo;

		if (bo->userptr && resv_userptr_check(bo->userptr))
			return -EAGAIN;
	}
	return 0;
}

/* ---- step 3: lock everything ------------------------------------------------------ */

/*
 * sim_job_add_resv_dependencies() without its checks, which cannot fail
 * here (our job, not armed yet; the object locked): one call less per
 * object, and the walk usually finds nothing (readers skip readers).
 */
static int eb_add_obj_dependencies(struct sim_job *job, struct eb_obj *o)
{
	/* Explicitly synchronised objects still wait for their moves. */
	enum dma_resv_usage usage = (o->flags & SIM_EXEC_OBJECT_ASYNC) ?
		DMA_RESV_USAGE_KERNEL : dma_resv_usage_rw(eb_obj_write(o));
	struct dma_resv_iter cursor;
	struct dma_fence *fence;

	dma_resv_for_each_fence(&cursor, o->bo->base.resv, usage, fence) {
		int ret = sim_job_add_dependency(job, fence);

		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Lock every object. *@ready: each is already resident where it may be and
 * bound where it must be, with its current storage (the steady state: then
 * there is nothing to validate or bind), and the job waits for the implicit
 * fences of each (taken right after its lock, while its lines are hot: the
 * lock keeps anyone from adding fences meanwhile). Dependencies of a run
 * that restarts stay in the job: fences that were there, harmless to wait
 * for, and merged per context.
 */
static int eb_lock(struct eb *eb, struct sim_job *job, bool *ready)
{
	bool ok = true;

	for (unsigned int i = 0; i < eb->count; i++) {
		struct eb_obj *o = &eb->objs[i];
		int ret;

		/* (Not through its fields: they may change until it is locked.) */
		if (i + EB_PREFETCH < eb->count)
			eb_prefetch_bo(eb->objs[i + EB_PREFETCH].bo);
		ret = drm_exec_prepare_obj(&eb->exec, &o->bo->base, 1);
		if (ret == -EALREADY)
			return -EINVAL;	/* the same handle twice: nothing validated yet */
		if (ret)
			return ret;
		if (ok)
			ok = eb_obj_ready(o);
		if (ok) {
			ret = eb_add_obj_dependencies(job, o);
			if (ret)
				return ret;
		}
	}
	*ready = ok;
	return 0;
}

/* The drm_exec loop: at its top nothing is locked; every restart (a
 * contended lock, an eviction victim, injected back-off) drops everything
 * and starts with the contended object. */
static int eb_lock_and_bind(struct eb *eb, struct sim_job *job, bool *ready)
{
	int ret = 0;

	while (resv_exec_begin(&eb->exec)) {
		ret = eb_lock(eb, job, ready);
		if (resv_exec_restart_on(&eb->exec, ret))
			continue;
		if (ret)
			break;
		if (*ready && !eb->victim)
			continue;	/* nothing to do: the loop ends, all locked */
		ret = eb_evict_victim(eb);
		if (ret)
			break;
		ret = eb_validate(eb);
		if (resv_exec_restart_on(&eb->exec, ret))
			continue;
		if (ret)
			break;
		ret = eb_bind(eb);
		if (resv_exec_restart_on(&eb->exec, ret))
			continue;
		if (ret)
			break;
	}
	return ret;
}

static void eb_exec_fini(struct eb *eb)
{
	if (resv_exec_restart_count(&eb->exec, RESV_EXEC_RESTART_NONE))	/* any? */
		for (int r = RESV_EXEC_RESTART_NONE + 1; r < RESV_EXEC_RESTART_NR; r++)
			eb->stats.backoffs[r] += resv_exec_restart_count(&eb->exec, r);
	sim_trace_exec_end("execbuf locked", &eb->exec);
	drm_exec_fini(&eb->exec);
	/* A victim not slow-locked yet (the loop failed first). */
	sim_bo_put(eb->victim);
	eb->victim = NULL;
}

/* ---- steps 5 and 7: the job ---------------------------------------------------- */

/* After validation moved objects: every object's implicit fences. */
static int eb_add_dependencies(struct eb *eb, struct sim_job *job)
{
	for (unsigned int i = 0; i < eb->count; i++) {
		int ret = eb_add_obj_dependencies(job, &eb->objs[i]);

		if (ret)
			return ret;
	}
	return 0;
}

static void eb_publish(struct eb *eb, struct dma_fence *fence)
{
	for (unsigned int i = 0; i < eb->count; i++) {
		struct eb_obj *o = &eb->objs[i];
		enum dma_resv_usage usage = DMA_RESV_USAGE_READ;

		if (i + 1 < eb->count)
			__builtin_prefetch(eb->objs[i + 1].bo->base.resv->fences);
		if (o->flags & SIM_EXEC_OBJECT_ASYNC)
			usage = DMA_RESV_USAGE_BOOKKEEP;
		else if (eb_obj_write(o))
			usage = DMA_RESV_USAGE_WRITE;
		/* The slot was reserved by drm_exec_prepare_obj() (again
		 * after a move, by eb_validate()). */
		dma_resv_add_fence(o->bo->base.resv, fence, usage);
	}
}

/*
 * One attempt, from the job's creation to its push. Returns 0 (the fence,
 * with a reference, in *@fence_out), EB_RELOC_SLOW, -EAGAIN when a userptr
 * went stale, or an error; on anything but 0 nothing is locked and no job
 * exists.
 */
static int eb_submit(struct eb *eb, struct dma_fence **fence_out)
{
	struct sim_file *file = eb->file;
	struct dma_fence *fence;
	struct sim_job *job;
	bool ready = false;
	int ret;

	/* Allocations first: a failure here has changed nothing. The batch
	 * address is known once bound, before arming. */
	ret = sim_job_create(eb->engine, eb->ctx, file->pt, 0, eb->batch_len, &job);
	if (ret)
		return ret;
	ret = sim_job_add_dependency(job, eb->args->in_fence);
	if (ret)
		goto err_job;

	/*
	 * No drm_exec references: every object we lock stays referenced
	 * until sim__file_exec_end(). Those of our handles by the table (a
	 * close waits for our exec_lock read hold before dropping them), the
	 * BOs eb_clear_range() finds bound in the file's page table by their
	 * records likewise; the eviction victim is the contended object,
	 * which drm_exec references anyway.
	 */
	drm_exec_init(&eb->exec, DRM_EXEC_INTERRUPTIBLE_WAIT | RESV_EXEC_CALLER_HOLDS_REFS,
		      eb->count);
	sim_trace_exec_begin();		/* resv-sim's trace: the locked section */
	ret = eb_lock_and_bind(eb, job, &ready);
	if (ret)
		goto err_exec;
	/* Everything is locked, resident and bound. The last allocations
	 * (dependencies, unless taken while locking) come before anything
	 * is written into a BO. */
	if (!ready) {
		ret = eb_add_dependencies(eb, job);
		if (ret)
			goto err_exec;
	}
	ret = eb_relocate(eb);
	if (ret)
		goto err_exec;	/* EB_RELOC_SLOW: the caller copies and retries */
	if (eb->batch_copy) {
		ret = eb_parse_batch(eb);
		if (ret)
			goto err_exec;
	}
	job->batch_va = eb->objs[eb->batch].va + eb->args->batch_start_offset;

	/* No allocation from here on: invalidations may come from reclaim. */
	if (eb->has_userptr) {
		resv_notifier_read_lock(&file->notifier_lock);
		ret = eb_userptr_check(eb);
		if (ret) {
			resv_notifier_read_unlock(&file->notifier_lock);
			if (ret == -EAGAIN)	/* resv-sim's trace */
				sim_trace_exec_restart(RESV_EXEC_RESTART_USERPTR_STALE);
			goto err_exec;
		}
	}
	fence = sim_job_arm(job);
	eb_publish(eb, fence);
	*fence_out = dma_fence_get(fence);
	sim_job_push(job);
	if (eb->has_userptr)
		resv_notifier_read_unlock(&file->notifier_lock);
	eb_lru_touch(eb);
	eb_exec_fini(eb);
	return 0;

err_exec:
	eb_exec_fini(eb);
err_job:
	sim_job_free(job);
	return ret;
}

/* ---- the ioctl -------------------------------------------------------------------- */

static void eb_fini(struct eb *eb, int ret)
{
	struct sim_file *file = eb->file;
	const uint64_t *s = (const uint64_t *)&eb->stats;
	uint64_t *d = (uint64_t *)&file->stats;

	if (eb->objs && eb->objs != eb->inline_objs)
		resv_free(eb->objs, eb->args->count * sizeof(*eb->objs));
	eb_relocs_fini(eb);
	resv_free(eb->batch_copy, eb->batch_copy ? eb->batch_len : 0);

	if (ret)
		eb->stats.failures++;
	else
		eb->stats.submissions++;
	/* Only what changed: most calls touch one counter. */
	for (size_t i = 0; i < sizeof(eb->stats) / sizeof(uint64_t); i++)
		if (s[i])
			__atomic_add_fetch(&d[i], s[i], __ATOMIC_RELAXED);
}

int sim_execbuf(struct sim_file *file, struct sim_execbuf *args, struct dma_fence **out_fence)
{
	struct dma_fence *fence = NULL;
	unsigned int tries = 0;
	struct eb eb;
	int ret;

	/* Up to the drm_exec, which drm_exec_init() sets up. */
	memset(&eb, 0, offsetof(struct eb, exec));
	ret = eb_check_args(&eb, file, args, out_fence);
	if (ret) {
		if (file)
			SIM_FILE_STAT_ADD(file, failures, 1);
		return ret;
	}
	sim__file_exec_begin(file);
	ret = eb_lookup(&eb);
	if (ret)
		goto out;

	for (;;) {
		ret = eb_userptr_snapshot(&eb);
		if (!ret)
			ret = eb_submit(&eb, &fence);
		if (ret == EB_RELOC_SLOW) {
			/* Every lock is dropped: copy the relocations, redo. */
			eb.stats.reloc_slow_paths++;
			ret = eb_copy_relocs(&eb);
			if (ret)
				break;
			continue;
		}
		if (ret == -EAGAIN && ++tries < SIM_EXECBUF_USERPTR_TRIES) {
			eb.stats.userptr_retries++;
			continue;
		}
		break;
	}
	if (!ret) {
		for (unsigned int i = 0; i < eb.count; i++)
			args->objects[i].offset = eb.objs[i].va;
		if (args->flags & SIM_EXECBUF_FENCE_OUT)
			*out_fence = fence;
		else
			dma_fence_put(fence);
	}
out:
	sim__file_exec_end(file);
	eb_fini(&eb, ret);
	return ret;
}
