/* SPDX-License-Identifier: MIT */
/*
 * What the simulator's .c files share and its users never see: the layout
 * of the device, engines, jobs, contexts and BO storage, and the cross-file
 * helpers (sim__name()).
 */
#ifndef SIM_INTERNAL_H
#define SIM_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <urcu/list.h>
#include <urcu/ref.h>

#include <resv/alloc.h>
#include <resv/dma-fence.h>
#include <resv/lockdep.h>
#include <resv/spinlock.h>

#include <sim/bo.h>
#include <sim/device.h>
#include <sim/execbuf.h>
#include <sim/file.h>
#include <sim/pt.h>
#include <sim/range.h>
#include <sim/sched.h>

/*
 * One piece of storage of a BO. A BO's mappings are bound to a storage
 * generation, not to a pointer, so storage freed and reallocated at the same
 * address is never mistaken for the old one.
 */
struct sim_backing {
	struct cds_list_head link;	/* bo->backings, GPU memory lock */
	uint64_t gen;			/* device-unique, never 0 */
	enum sim_placement placement;	/* SYSTEM, VRAM or USERPTR */
	uint8_t *cpu;			/* host address of the first byte; NULL for USERPTR */
	/* USERPTR: the userptr's page array (resv_userptr_pages()), rewritten
	 * in place by each new snapshot, one host page per SIM_PAGE_SIZE;
	 * NULL entries (no snapshot yet) fault. */
	void **pages;
	struct sim_range range;		/* the VRAM pages, when in VRAM */
	uint64_t size;
};

struct sim_engine {
	struct sim_device *dev;
	unsigned int idx;
	bool is_migrate;
	const char *name;
	uint64_t fence_context;
	pthread_mutex_t lock;		/* queue, next_seqno, stop; taken in fence callbacks */
	struct resv_lockdep_map lock_dep;
	pthread_cond_t cond;		/* CLOCK_MONOTONIC; queue changes, cancel */
	struct cds_list_head queue;	/* armed jobs in seqno order */
	uint64_t next_seqno;
	bool stop;
	bool sleeping;			/* the worker waits on cond; engine lock */
	int cancel;			/* atomic: abort the running job */
	bool thread_started;
	pthread_t thread;
	uint32_t *batch_buf;		/* fetched batch, max_batch_bytes */
	uint64_t resets;		/* atomic */
};

struct sim_device {
	struct sim_device_config cfg;
	uint8_t *vram;
	pthread_mutex_t vram_lock;	/* vram_mgr */
	struct resv_lockdep_map vram_dep;
	struct sim_range_mgr vram_mgr;
	pthread_rwlock_t mem_lock;	/* GPU view: page tables, BO storage lists */
	struct resv_lockdep_map mem_dep;
	pthread_mutex_t lru_lock;
	struct resv_lockdep_map lru_dep;
	struct cds_list_head lru[3];	/* per enum sim_placement; NONE unused */
	uint64_t next_gen;		/* atomic */
	uint32_t next_ctx_id;		/* atomic */
	struct dma_fence *vram_release;	/* vram_lock: the last move out of VRAM */
	long live_pts, live_ctxs;	/* atomic, for the leak report */
	struct sim_device_stats stats;	/* atomic counters */
	/* Client files (file.c): zeroed at creation, set up by the first
	 * sim_file_create() under file.c's global lock, which guards them. */
	struct cds_list_head files;
	struct sim_execbuf_stats files_gone;	/* counters of destroyed files */
	unsigned int num_engines;
	unsigned int engines_inited;	/* for the error path of create */
	struct sim_engine engines[SIM_MAX_ENGINES + 1];	/* migration engine last */
};

struct sim_context {
	long ref;			/* atomic */
	struct sim_device *dev;
	uint32_t id;
	uint32_t hangs;			/* atomic */
	int banned;			/* atomic */
};

struct sim_job;

/* What kind of job: a batch, or a migration (a kernel job). */
struct sim_job_ops {
	/* Kernel jobs wait for their dependencies but do not inherit their
	 * errors (a move must copy whatever the failed job left). */
	bool ignore_dep_errors;
	/* Execute; returns 0 or the fence error. Inside a signalling section. */
	int (*run)(struct sim_job *job, int64_t deadline);
	/* Always called (also for failed or cancelled jobs) before the fence
	 * signals, inside the signalling section: must not allocate or wait. */
	void (*retire)(struct sim_job *job);
	/* After the fence signalled, outside the section: drop references. */
	void (*release)(struct sim_job *job);
};

struct sim_job_dep {
	struct dma_fence *fence;
	struct dma_fence_cb cb;
	struct sim_job *job;
	bool cb_added;
};

#define SIM_JOB_INLINE_DEPS 4

/*
 * A job's memory is its fence's (resv_dma_fence_alloc(), default release):
 * whoever holds the fence keeps it readable. Everything else the job holds
 * is dropped when it completes.
 */
struct sim_job {
	struct dma_fence fence;		/* first */
	struct resv_spinlock fence_lock;
	struct sim_engine *engine;
	const char *timeline;		/* the engine's name: a static string */
	const struct sim_job_ops *ops;
	struct sim_context *ctx;	/* reference; NULL for kernel jobs */
	struct sim_pt *pt;		/* reference; NULL for kernel jobs */
	uint64_t batch_va;
	uint32_t batch_len;
	bool armed;
	bool pushed;			/* engine lock */
	int pending;			/* atomic: unsignalled deps (+1 until pushed) */
	struct cds_list_head link;	/* engine queue, engine lock */
	unsigned int num_deps, max_deps;
	struct sim_job_dep *deps;	/* inline_deps, or allocated */
	struct sim_job_dep inline_deps[SIM_JOB_INLINE_DEPS];
	/* migration jobs */
	struct sim_bo *move_bo;		/* reference */
	struct sim_backing *move_src;	/* NULL: zero-fill */
	struct sim_backing *move_dst;	/* NULL: drop the storage */
};

/*
 * The simulator's own locks, annotated for libresv's lock validator (a
 * no-op where it is compiled out): annotate, then block, as the kernel does.
 */
static inline void sim__mem_read_lock(struct sim_device *dev)
{
	resv_lockdep_acquire(&dev->mem_dep, RESV_LOCKDEP_READ);
	pthread_rwlock_rdlock(&dev->mem_lock);
}

static inline void sim__mem_write_lock(struct sim_device *dev)
{
	resv_lockdep_acquire(&dev->mem_dep, 0);
	pthread_rwlock_wrlock(&dev->mem_lock);
}

static inline void sim__mem_unlock(struct sim_device *dev)
{
	resv_lockdep_release(&dev->mem_dep);
	pthread_rwlock_unlock(&dev->mem_lock);
}

static inline void sim__lru_lock(struct sim_device *dev)
{
	resv_lockdep_acquire(&dev->lru_dep, 0);
	pthread_mutex_lock(&dev->lru_lock);
}

static inline void sim__lru_unlock(struct sim_device *dev)
{
	resv_lockdep_release(&dev->lru_dep);
	pthread_mutex_unlock(&dev->lru_lock);
}

static inline void sim__vram_lock(struct sim_device *dev)
{
	resv_lockdep_acquire(&dev->vram_dep, 0);
	pthread_mutex_lock(&dev->vram_lock);
}

static inline void sim__vram_unlock(struct sim_device *dev)
{
	resv_lockdep_release(&dev->vram_dep);
	pthread_mutex_unlock(&dev->vram_lock);
}

static inline void sim__engine_lock(struct sim_engine *engine)
{
	resv_lockdep_acquire(&engine->lock_dep, 0);
	pthread_mutex_lock(&engine->lock);
}

static inline void sim__engine_unlock(struct sim_engine *engine)
{
	resv_lockdep_release(&engine->lock_dep);
	pthread_mutex_unlock(&engine->lock);
}

#define SIM_STAT_ADD(dev, field, n) \
	__atomic_add_fetch(&(dev)->stats.field, (n), __ATOMIC_RELAXED)
#define SIM_STAT_INC(dev, field) SIM_STAT_ADD(dev, field, 1)

static inline int64_t sim__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * A handle's record in a client file: the BO and where it is bound in the
 * file's page table (i915's vma). @bound, @va and @gen change under the
 * BO's resv only; @bound and @va are also read without it (atomically) by
 * execbuf's argument check, as a hint.
 */
struct sim_file_obj {
	long ref;			/* atomic: the table's and lookups' (not execbuf's) */
	struct sim_file *file;
	struct sim_bo *bo;		/* reference */
	uint32_t handle;
	/* Copies of what never changes in the BO, for execbuf's argument
	 * checks: they touch the record only, not the BO. */
	uint32_t allowed;
	bool userptr;
	uint64_t size;
	bool bound;			/* mapped in file->pt at [va, va + size) */
	uint64_t va;
	uint64_t gen;			/* the storage generation it is bound to */
	/* file->by_bo chain, under the table lock. Last: execbuf never reads it. */
	struct sim_file_obj *hash_next;
};

struct sim_file {
	struct sim_device *dev;
	struct sim_pt *pt;
	struct sim_context *ctx;
	struct resv_notifier_lock notifier_lock;
	pthread_rwlock_t table_lock;
	/* Execbufs in flight hold it for reading and use handle records
	 * without references; a close takes it for writing once the handle
	 * is gone, so that none of them still holds the record. */
	pthread_rwlock_t exec_lock;
	/* Slot i holds handle i's record; a free slot holds the next free
	 * handle, tagged (next << 1 | 1); slot 0 is never used. */
	uintptr_t *table;
	/*
	 * The records by BO, hashed, table_size buckets (the same allocation
	 * as the table, past its end): a file has at most one open handle per
	 * BO, and PRIME import and eb_clear_range() find it from the BO. A
	 * record stays here after its handle is removed, until close_obj()
	 * has unbound it. Table lock.
	 */
	struct sim_file_obj **by_bo;
	uint32_t table_size;
	uint32_t free_head;		/* lowest free handle, or table_size */
	uint32_t handles;		/* open handles */
	uint64_t next_kernel_va;	/* atomic: bump allocator from SIM_EXEC_KERNEL_VA */
	struct sim_execbuf_stats stats;	/* atomic counters */
	struct cds_list_head dev_link;	/* dev->files */
};

#define SIM_FILE_STAT_ADD(file, field, n) \
	__atomic_add_fetch(&(file)->stats.field, (n), __ATOMIC_RELAXED)

/*
 * An interruptible libresv wait ended early with the kernel's
 * -ERESTARTSYS (RESV_ERESTARTSYS); an ioctl the caller cannot restart
 * reports -EINTR. Other results pass through.
 */
static inline long sim__wait_result(long ret)
{
	return ret == -RESV_ERESTARTSYS ? -EINTR : ret;
}

/* ---- file.c ------------------------------------------------------------------ */
/* The record of @handle with a new reference, or NULL. */
struct sim_file_obj *sim__file_lookup(struct sim_file *file, uint32_t handle);
/*
 * The record of @handle, or NULL, without a reference: the caller holds
 * the table lock for reading (sim__file_table_lock()) while it looks, and
 * file->exec_lock for reading (sim__file_exec_begin()) as long as it uses
 * the record. Free slots hold the next free handle, tagged with bit 0.
 */
static inline struct sim_file_obj *sim__file_table_get(struct sim_file *file, uint32_t handle)
{
	uintptr_t v;

	if (!handle || handle >= file->table_size)
		return NULL;
	v = file->table[handle];
	return (v & 1) ? NULL : (struct sim_file_obj *)v;
}

static inline void sim__file_table_lock(struct sim_file *file)
{
	pthread_rwlock_rdlock(&file->table_lock);
}

static inline void sim__file_table_unlock(struct sim_file *file)
{
	pthread_rwlock_unlock(&file->table_lock);
}

void sim__file_obj_put(struct sim_file_obj *fo);
/* An execbuf in flight: records looked up stay valid until the end. */
void sim__file_exec_begin(struct sim_file *file);
void sim__file_exec_end(struct sim_file *file);
/* Unbind from the file's page table after waiting for the BO's fences
 * (interruptibly: -EINTR); the BO's resv held. */
int sim__file_obj_unbind(struct sim_file_obj *fo, bool intr);
/* The record of @bo in @file bound at @va, or NULL; the BO's resv held
 * (which keeps the record's binding, and the record, where it is). */
struct sim_file_obj *sim__file_obj_bound_at(struct sim_file *file, struct sim_bo *bo,
					    uint64_t va);

/* ---- device.c -------------------------------------------------------------- */
uint64_t sim__next_gen(struct sim_device *dev);

/* ---- sched.c ---------------------------------------------------------------- */
int sim__engine_init(struct sim_engine *engine, struct sim_device *dev, unsigned int idx,
		     bool is_migrate);
int sim__engine_start(struct sim_engine *engine);
void sim__engine_stop(struct sim_engine *engine);	/* stop + join the worker */
void sim__engine_cancel_queue(struct sim_engine *engine);
void sim__engine_fini(struct sim_engine *engine);
/* Sleep until @deadline; 0, or -ECANCELED when the engine is cancelled. */
int sim__engine_sleep_until(struct sim_engine *engine, int64_t deadline);
bool sim__engine_cancelled(struct sim_engine *engine);
int sim__job_create_kernel(struct sim_engine *engine, const struct sim_job_ops *ops,
			   struct sim_job **out);

/* ---- batch.c ----------------------------------------------------------------- */
/*
 * Check the complete commands of @dw[*@pos .. @num_dw), advancing *@pos past
 * each: 1 once END was passed, 0 when more words are needed, -EINVAL.
 */
long sim__batch_scan(const uint32_t *dw, size_t num_dw, size_t *pos);

/* ---- exec.c ------------------------------------------------------------------ */
int sim__exec_batch(struct sim_job *job, int64_t deadline);

/* ---- pt.c -------------------------------------------------------------------- */
/*
 * Resolve @va for an access: the host address and how many bytes are
 * contiguous from it (to the end of the page). Caller holds
 * dev->mem_lock for reading. Returns 0 or -EFAULT.
 */
int sim__pt_translate(struct sim_pt *pt, uint64_t va, bool write, uint8_t **host,
		      size_t *avail);
struct sim_device *sim__pt_device(struct sim_pt *pt);
/*
 * The first mapping overlapping [@va, @va + @size) of @pt: its BO (with a
 * new reference), GPU address and size. Returns 0, or -ENOENT when the
 * range is free. Takes the GPU memory lock for reading.
 */
int sim__pt_find_mapping(struct sim_pt *pt, uint64_t va, uint64_t size, struct sim_bo **bo,
			 uint64_t *map_va, uint64_t *map_size);

/* ---- bo.c -------------------------------------------------------------------- */
/* Host-memory storage of @size bytes, zero-filled or not; NULL on -ENOMEM. */
struct sim_backing *sim__system_backing_alloc(struct sim_device *dev, uint64_t size, bool zero);
void sim__backing_free(struct sim_device *dev, struct sim_backing *backing);
/* Put @bo on the LRU list of @placement (tail), or off every list (NONE). */
void sim__lru_place(struct sim_bo *bo, enum sim_placement placement);

/* ---- move.c ------------------------------------------------------------------ */
/*
 * Move @bo (locked) to @to. @evict: an eviction (any BO may be evicted to
 * SYSTEM, and it is counted). @fence: if not NULL, gets a reference to the
 * move fence (NULL when nothing moved).
 */
int sim__bo_move_locked(struct sim_bo *bo, enum sim_placement to, struct sim_op_ctx *ctx,
			bool evict, struct dma_fence **fence);

/* ---- evict.c ----------------------------------------------------------------- */
/* Allocate @npages of VRAM, evicting as @ctx allows. */
int sim__vram_alloc(struct sim_device *dev, uint64_t npages, struct sim_op_ctx *ctx,
		    struct sim_range *out);
void sim__vram_free(struct sim_device *dev, const struct sim_range *range);

#endif /* SIM_INTERNAL_H */
