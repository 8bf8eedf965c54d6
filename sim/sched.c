/* SPDX-License-Identifier: MIT */
/*
 * Engines and jobs (drm_sched's role): per-engine timelines, dependencies
 * through fence callbacks, one worker thread per engine that runs its jobs
 * in seqno order and signals their fences inside signalling sections,
 * timeouts with engine reset and context banning, cancellation at device
 * destruction.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#include <sim/trace.h>

static const char *const engine_names[SIM_MAX_ENGINES] = {
	"rcs0", "rcs1", "rcs2",  "rcs3",  "rcs4",  "rcs5",  "rcs6",  "rcs7",
	"rcs8", "rcs9", "rcs10", "rcs11", "rcs12", "rcs13", "rcs14", "rcs15",
};

/* One lock class for every engine's queue lock (never nested). */
static struct resv_lockdep_class_key engine_lock_key =
	RESV_LOCKDEP_CLASS_KEY_INIT("sim engine lock");

static inline struct sim_job *to_job(struct dma_fence *fence)
{
	return caa_container_of(fence, struct sim_job, fence);
}

static const char *job_driver_name(struct dma_fence *fence)
{
	return "sim";
}

/* A static string kept in the job: valid even after the device is gone. */
static const char *job_timeline_name(struct dma_fence *fence)
{
	return to_job(fence)->timeline;
}

/* No .release: the job is resv_dma_fence_alloc() memory, freed after RCU. */
static const struct dma_fence_ops job_fence_ops = {
	.get_driver_name = job_driver_name,
	.get_timeline_name = job_timeline_name,
};

/* ---- engines -------------------------------------------------------------- */

const char *sim_engine_name(struct sim_engine *engine)
{
	return engine->name;
}

uint64_t sim_engine_fence_context(struct sim_engine *engine)
{
	return engine->fence_context;
}

uint64_t sim_engine_resets(struct sim_engine *engine)
{
	return __atomic_load_n(&engine->resets, __ATOMIC_RELAXED);
}

bool sim__engine_cancelled(struct sim_engine *engine)
{
	return __atomic_load_n(&engine->cancel, __ATOMIC_ACQUIRE);
}

/* The worker is the only thread that waits on the condition; waking it
 * costs a system call, so only when it sleeps. Engine lock held. */
static void engine_kick_locked(struct sim_engine *engine)
{
	if (engine->sleeping)
		pthread_cond_signal(&engine->cond);
}

static void engine_wake(struct sim_engine *engine)
{
	sim__engine_lock(engine);
	engine_kick_locked(engine);
	sim__engine_unlock(engine);
}

static void engine_sleep_locked(struct sim_engine *engine, const struct timespec *deadline)
{
	engine->sleeping = true;
	if (deadline)
		pthread_cond_timedwait(&engine->cond, &engine->lock, deadline);
	else
		pthread_cond_wait(&engine->cond, &engine->lock);
	engine->sleeping = false;
}

int sim__engine_sleep_until(struct sim_engine *engine, int64_t deadline)
{
	struct timespec ts = {
		.tv_sec = deadline / 1000000000,
		.tv_nsec = deadline % 1000000000,
	};
	int ret = 0;

	sim__engine_lock(engine);
	while (!sim__engine_cancelled(engine) && sim__now_ns() < deadline)
		engine_sleep_locked(engine, &ts);
	if (sim__engine_cancelled(engine))
		ret = -ECANCELED;
	sim__engine_unlock(engine);
	return ret;
}

/* ---- completing a job ------------------------------------------------------ */

/* The first dependency that failed, in the order they were added. */
static int deps_error(struct sim_job *job)
{
	for (unsigned int i = 0; i < job->num_deps; i++) {
		int status = dma_fence_get_status(job->deps[i].fence);

		if (status < 0)
			return status;
	}
	return 0;
}

/* A timeout: reset the engine (nothing to undo in software) and charge the
 * context; ban it at the threshold. Before the fence signals, so whoever
 * sees the error also sees the ban. */
static void engine_reset(struct sim_engine *engine, struct sim_job *job)
{
	struct sim_device *dev = engine->dev;
	uint32_t hangs;
	int unbanned = 0;

	__atomic_add_fetch(&engine->resets, 1, __ATOMIC_RELAXED);
	SIM_STAT_INC(dev, resets);
	if (!job->ctx)
		return;
	hangs = __atomic_add_fetch(&job->ctx->hangs, 1, __ATOMIC_ACQ_REL);
	if (dev->cfg.ban_threshold != SIM_BAN_NEVER && hangs >= dev->cfg.ban_threshold &&
	    __atomic_compare_exchange_n(&job->ctx->banned, &unbanned, 1, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		SIM_STAT_INC(dev, bans);
}

/* Inside a signalling section: retire, record the outcome, signal. */
static void job_signal(struct sim_job *job, int err)
{
	struct sim_device *dev = job->engine->dev;

	if (job->ops->retire)
		job->ops->retire(job);
	if (err) {
		dma_fence_set_error(&job->fence, err);
		SIM_STAT_INC(dev, jobs_failed);
	} else {
		SIM_STAT_INC(dev, jobs_completed);
	}
	dma_fence_signal(&job->fence);
}

static void job_drop_deps(struct sim_job *job)
{
	for (unsigned int i = 0; i < job->num_deps; i++)
		dma_fence_put(job->deps[i].fence);
	if (job->deps != job->inline_deps)
		resv_free(job->deps, job->max_deps * sizeof(*job->deps));
	job->deps = job->inline_deps;
	job->num_deps = 0;
	job->max_deps = SIM_JOB_INLINE_DEPS;
}

/* After signalling, outside the section: drop everything but the memory,
 * which lives as long as the fence. */
static void job_release(struct sim_job *job)
{
	job_drop_deps(job);
	if (job->ops->release)
		job->ops->release(job);
	sim_context_put(job->ctx);
	job->ctx = NULL;
	sim_pt_put(job->pt);
	job->pt = NULL;
	dma_fence_put(&job->fence);	/* the queue's reference */
}

/* ---- tracing (resv-sim's trace, <sim/trace.h>) ------------------------------- */

/* The id that pairs a fence's "created" and "signalled" trace events. */
static uint64_t trace_fence_id(struct dma_fence *fence)
{
	return (fence->context << 32) ^ (fence->seqno & 0xffffffffu);
}

/* Trace: what the engine's track and fences are called. VM bind engines
 * are migration-type engines of their own (named "migrate" too). */
static const char *trace_engine_name(struct sim_engine *engine)
{
	if (engine->is_migrate && engine != sim_device_migrate_engine(engine->dev))
		return "vm bind";
	return engine->name;
}

/* Trace: the job's span on its engine's track and the end of its fence's
 * lifetime. After the signalling section (the recorder may allocate), before
 * the job is released (its memory may go with the queue's reference). */
static void trace_job_done(struct sim_engine *engine, struct sim_job *job, int64_t start,
			   int err)
{
	static __thread uint64_t named_session;	/* one worker per engine */
	struct sim_trace_track track = { SIM_TRACE_PID_GPU, (uint32_t)engine->fence_context };
	/* batches: their context; moves: the bytes; binds: neither */
	struct sim_trace_arg args[3] = {
		{ "seqno", (int64_t)job->fence.seqno },
		{ job->move_bo ? "bytes" : "ctx",
		  job->ctx ? (int64_t)job->ctx->id
			   : job->move_bo ? (int64_t)job->move_bo->base.size : 0 },
		{ "error", err },
	};
	const char *name = engine->is_migrate ? (job->move_bo ? "move" : "bind")
					      : err ? "batch (failed)" : "batch";
	uint64_t session = sim_trace_session();

	if (named_session != session) {
		sim_trace_track_name(track, trace_engine_name(engine));
		named_session = session;
	}
	sim_trace_complete(track, engine->is_migrate ? "kernel" : "batch", name, start,
			   sim_trace_now(), args, 3);
	sim_trace_async_end(SIM_TRACE_PID_FENCES, "fence", trace_engine_name(engine),
			    trace_fence_id(&job->fence), dma_fence_timestamp(&job->fence),
			    &args[2], 1);
}

static void job_run(struct sim_engine *engine, struct sim_job *job)
{
	struct sim_device *dev = engine->dev;
	int64_t trace_start = sim_trace_enabled() ? sim_trace_now() : 0;
	bool cookie = dma_fence_begin_signalling();
	int err;

	err = job->ops->ignore_dep_errors ? 0 : deps_error(job);
	if (!err && job->ctx && sim_context_is_banned(job->ctx))
		err = -EIO;
	if (!err && sim__engine_cancelled(engine))
		err = -ECANCELED;
	if (!err && job->ops->run) {
		err = job->ops->run(job, sim__now_ns() + dev->cfg.job_timeout_ns);
		if (err == -ETIMEDOUT)
			engine_reset(engine, job);
		else if (err == -EFAULT)
			SIM_STAT_INC(dev, faults);
	}
	job_signal(job, err);
	dma_fence_end_signalling(cookie);
	if (trace_start)
		trace_job_done(engine, job, trace_start, err);
	job_release(job);
}

/* The worker: the head job runs once pushed and all its dependencies
 * signalled; jobs never overtake each other, so fences signal in order. */
static void *engine_worker(void *arg)
{
	struct sim_engine *engine = arg;

	sim__engine_lock(engine);
	while (!engine->stop) {
		struct sim_job *job = NULL;

		if (!cds_list_empty(&engine->queue))
			job = cds_list_first_entry(&engine->queue, struct sim_job, link);
		if (!job || !job->pushed || __atomic_load_n(&job->pending, __ATOMIC_ACQUIRE)) {
			engine_sleep_locked(engine, NULL);
			continue;
		}
		cds_list_del_init(&job->link);
		sim__engine_unlock(engine);
		job_run(engine, job);
		sim__engine_lock(engine);
	}
	sim__engine_unlock(engine);
	return NULL;
}

/* ---- engine life -------------------------------------------------------------- */

int sim__engine_init(struct sim_engine *engine, struct sim_device *dev, unsigned int idx,
		     bool is_migrate)
{
	pthread_condattr_t attr;
	pthread_mutexattr_t mattr;

	engine->dev = dev;
	engine->idx = idx;
	engine->is_migrate = is_migrate;
	engine->name = is_migrate ? "migrate" : engine_names[idx];
	if (!is_migrate) {
		engine->batch_buf = resv_malloc(dev->cfg.max_batch_bytes);
		if (!engine->batch_buf)
			return -ENOMEM;
	}
	engine->fence_context = dma_fence_context_alloc(1);
	CDS_INIT_LIST_HEAD(&engine->queue);
	/* Submitters and the worker hold it for a few instructions each, many
	 * times per job: spin briefly before sleeping in the kernel (a futex
	 * wait and wake cost more than the critical section). */
	pthread_mutexattr_init(&mattr);
	pthread_mutexattr_settype(&mattr, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&engine->lock, &mattr);
	pthread_mutexattr_destroy(&mattr);
	resv_lockdep_map_init(&engine->lock_dep, "sim engine lock", &engine_lock_key);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&engine->cond, &attr);
	pthread_condattr_destroy(&attr);
	return 0;
}

int sim__engine_start(struct sim_engine *engine)
{
	if (pthread_create(&engine->thread, NULL, engine_worker, engine))
		return -EAGAIN;
	engine->thread_started = true;
	return 0;
}

void sim__engine_stop(struct sim_engine *engine)
{
	sim__engine_lock(engine);
	engine->stop = true;
	__atomic_store_n(&engine->cancel, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&engine->cond);
	sim__engine_unlock(engine);
	if (engine->thread_started)
		pthread_join(engine->thread, NULL);
	engine->thread_started = false;
}

/* After the worker stopped: every job still queued gets -ECANCELED. */
void sim__engine_cancel_queue(struct sim_engine *engine)
{
	struct cds_list_head cancelled;
	struct sim_job *job, *tmp;

	CDS_INIT_LIST_HEAD(&cancelled);
	sim__engine_lock(engine);
	cds_list_splice(&engine->queue, &cancelled);
	CDS_INIT_LIST_HEAD(&engine->queue);
	sim__engine_unlock(engine);

	cds_list_for_each_entry_safe(job, tmp, &cancelled, link) {
		bool cookie;

		cds_list_del_init(&job->link);
		/* Once removed (or found already run: the callback runs under
		 * the fence lock that removal takes), no callback touches the
		 * job any more. */
		for (unsigned int i = 0; i < job->num_deps; i++)
			if (job->deps[i].cb_added)
				dma_fence_remove_callback(job->deps[i].fence, &job->deps[i].cb);
		cookie = dma_fence_begin_signalling();
		job_signal(job, -ECANCELED);
		dma_fence_end_signalling(cookie);
		if (sim_trace_enabled())
			trace_job_done(engine, job, sim_trace_now(), -ECANCELED);
		job_release(job);
	}
}

void sim__engine_fini(struct sim_engine *engine)
{
	pthread_cond_destroy(&engine->cond);
	pthread_mutex_destroy(&engine->lock);
	resv_free(engine->batch_buf, engine->batch_buf ? engine->dev->cfg.max_batch_bytes : 0);
	engine->batch_buf = NULL;
}

/* ---- jobs ----------------------------------------------------------------------- */

static const struct sim_job_ops batch_job_ops = {
	.run = sim__exec_batch,
};

static struct sim_job *job_alloc(struct sim_engine *engine, const struct sim_job_ops *ops)
{
	struct sim_job *job = resv_dma_fence_alloc(sizeof(*job));

	if (!job)
		return NULL;
	resv_spin_lock_init(&job->fence_lock);
	job->engine = engine;
	job->timeline = engine->name;
	job->ops = ops;
	job->pending = 1;	/* the push bias */
	job->deps = job->inline_deps;
	job->max_deps = SIM_JOB_INLINE_DEPS;
	CDS_INIT_LIST_HEAD(&job->link);
	return job;
}

int sim__job_create_kernel(struct sim_engine *engine, const struct sim_job_ops *ops,
			   struct sim_job **out)
{
	struct sim_job *job = job_alloc(engine, ops);

	if (!job)
		return -ENOMEM;
	*out = job;
	return 0;
}

int sim_job_create(struct sim_engine *engine, struct sim_context *ctx, struct sim_pt *pt,
		   uint64_t batch_va, uint32_t batch_len, struct sim_job **out)
{
	struct sim_job *job;

	if (!engine || !ctx || !pt || !out || engine->is_migrate)
		return -EINVAL;
	if (ctx->dev != engine->dev || sim__pt_device(pt) != engine->dev)
		return -EINVAL;
	if (!batch_len || batch_len % 4 || batch_len > engine->dev->cfg.max_batch_bytes ||
	    batch_va % 4)
		return -EINVAL;
	if (sim_context_is_banned(ctx))
		return -EIO;
	job = job_alloc(engine, &batch_job_ops);
	if (!job)
		return -ENOMEM;
	job->ctx = sim_context_get(ctx);
	job->pt = sim_pt_get(pt);
	job->batch_va = batch_va;
	job->batch_len = batch_len;
	*out = job;
	return 0;
}

void sim_job_free(struct sim_job *job)
{
	if (!job)
		return;
	if (job->armed) {
		fprintf(stderr, "sim: sim_job_free() of an armed job: push it instead\n");
		return;
	}
	job_drop_deps(job);
	sim_context_put(job->ctx);
	sim_pt_put(job->pt);
	resv_dma_fence_free_unused(job);
}

int sim_job_add_dependency(struct sim_job *job, struct dma_fence *fence)
{
	struct sim_job_dep *deps;
	unsigned int max;

	if (!job || job->armed)
		return -EINVAL;
	if (!fence || dma_fence_get_status(fence) == 1)
		return 0;
	/* One fence per context: the later one implies the earlier. */
	for (unsigned int i = 0; i < job->num_deps; i++) {
		struct sim_job_dep *dep = &job->deps[i];

		if (dep->fence->context != fence->context)
			continue;
		if (dma_fence_is_later(fence, dep->fence)) {
			dma_fence_put(dep->fence);
			dep->fence = dma_fence_get(fence);
		}
		return 0;
	}
	if (job->num_deps == job->max_deps) {
		max = job->max_deps * 2;
		deps = resv_malloc(max * sizeof(*deps));
		if (!deps)
			return -ENOMEM;
		memcpy(deps, job->deps, job->num_deps * sizeof(*deps));
		if (job->deps != job->inline_deps)
			resv_free(job->deps, job->max_deps * sizeof(*deps));
		job->deps = deps;
		job->max_deps = max;
	}
	job->deps[job->num_deps++] = (struct sim_job_dep){
		.fence = dma_fence_get(fence),
		.job = job,
	};
	return 0;
}

int sim_job_add_resv_dependencies(struct sim_job *job, struct dma_resv *resv,
				  enum dma_resv_usage usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	int ret;

	if (!job || job->armed)
		return -EINVAL;
	dma_resv_assert_held(resv);
	dma_resv_for_each_fence(&cursor, resv, usage, fence) {
		ret = sim_job_add_dependency(job, fence);
		if (ret)
			return ret;
	}
	return 0;
}

int sim_job_add_implicit_dependencies(struct sim_job *job, struct drm_gem_object *obj,
				      bool write)
{
	return sim_job_add_resv_dependencies(job, obj->resv, dma_resv_usage_rw(write));
}

struct dma_fence *sim_job_arm(struct sim_job *job)
{
	struct sim_engine *engine = job->engine;

	sim__engine_lock(engine);
	dma_fence_init64(&job->fence, &job_fence_ops, &job->fence_lock, engine->fence_context,
			 ++engine->next_seqno);
	job->armed = true;
	cds_list_add_tail(&job->link, &engine->queue);
	sim__engine_unlock(engine);
	SIM_STAT_INC(engine->dev, jobs);
	if (sim_trace_enabled()) {	/* the fence's lifetime starts */
		struct sim_trace_arg arg = { "seqno", (int64_t)job->fence.seqno };

		sim_trace_async_begin(SIM_TRACE_PID_FENCES, "fence", trace_engine_name(engine),
				      trace_fence_id(&job->fence), sim_trace_now(), &arg, 1);
	}
	return &job->fence;
}

struct dma_fence *sim_job_fence(struct sim_job *job)
{
	return job->armed ? &job->fence : NULL;
}

static void job_dep_signalled(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct sim_job_dep *dep = caa_container_of(cb, struct sim_job_dep, cb);
	struct sim_job *job = dep->job;
	/* Read before the decrement: once it reaches zero the worker may run
	 * and free the job. The engine outlives every queued job. */
	struct sim_engine *engine = job->engine;

	if (__atomic_sub_fetch(&job->pending, 1, __ATOMIC_ACQ_REL) == 0)
		engine_wake(engine);
}

void sim_job_push(struct sim_job *job)
{
	struct sim_engine *engine = job->engine;

	/* No engine lock here: a dependency may signal while we add its
	 * callback, and its callback takes the engine lock. */
	for (unsigned int i = 0; i < job->num_deps; i++) {
		struct sim_job_dep *dep = &job->deps[i];

		__atomic_add_fetch(&job->pending, 1, __ATOMIC_ACQ_REL);
		if (dma_fence_add_callback(dep->fence, &dep->cb, job_dep_signalled) == 0)
			dep->cb_added = true;
		else	/* already signalled */
			__atomic_sub_fetch(&job->pending, 1, __ATOMIC_ACQ_REL);
	}
	sim__engine_lock(engine);
	job->pushed = true;
	__atomic_sub_fetch(&job->pending, 1, __ATOMIC_ACQ_REL);	/* the bias */
	engine_kick_locked(engine);
	sim__engine_unlock(engine);
}

struct dma_fence *sim_job_submit(struct sim_job *job)
{
	struct dma_fence *fence = dma_fence_get(sim_job_arm(job));

	sim_job_push(job);
	return fence;
}
