/* SPDX-License-Identifier: MIT */
/*
 * Client files: the handle table, BO creation and import by handle, close,
 * and the device's list of files for its execbuf counters (CPU access by
 * handle is in file-cpu.c).
 *
 * The table is an array indexed by handle, under a reader/writer lock: an
 * execbuf looks all its handles up under one read hold, and a lookup is an
 * array access. Free slots hold the next free handle, tagged with bit 0, so
 * allocation and release are O(1); the handle freed last is given out
 * first (the kernel's idr gives the lowest free one: both keep numbers
 * small). Handles are never 0.
 *
 * Lifetimes: the table holds a reference on each record, and the record one
 * on its BO. CPU-access calls take a reference on the record; execbufs take
 * none and hold the file's exec_lock for reading instead, which a close
 * takes for writing (once the handle is gone) before it unbinds and drops
 * the record.
 *
 * A file has at most one handle per BO: its own BOs get one at creation,
 * another file's BO one at its first import (sim_gem_import(), PRIME),
 * and a later import returns it. The records are also hashed by BO
 * (file->by_bo), which the import and eb_clear_range() search. The BO's
 * own pointer (bo->file_obj) names its creator's record: an execbuf of
 * the creating file resolves it without the hash.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "internal.h"

#define TABLE_MIN 64u

/* Guards every device's file list: files come and go rarely, stats reads
 * are rare, so one lock for all devices is enough. */
static pthread_mutex_t files_lock = PTHREAD_MUTEX_INITIALIZER;

static inline uintptr_t free_slot(uint32_t next)
{
	return ((uintptr_t)next << 1) | 1;
}

/* The table and its hash buckets, one allocation: one failure site. */
static inline size_t table_bytes(uint32_t size)
{
	return (size_t)size * (sizeof(uintptr_t) + sizeof(struct sim_file_obj *));
}

/* @size is a power of two (TABLE_MIN doubled, up to SIM_FILE_MAX_HANDLES). */
static inline uint32_t bo_bucket(const struct sim_bo *bo, uint32_t size)
{
	return (uint32_t)(((uint64_t)(uintptr_t)bo * 0x9e3779b97f4a7c15ull) >> 32) & (size - 1);
}

/* ---- handle records ----------------------------------------------------------- */

static struct sim_file_obj *fo_get(struct sim_file_obj *fo)
{
	__atomic_add_fetch(&fo->ref, 1, __ATOMIC_RELAXED);
	return fo;
}

void sim__file_obj_put(struct sim_file_obj *fo)
{
	if (!fo || __atomic_sub_fetch(&fo->ref, 1, __ATOMIC_ACQ_REL))
		return;
	sim_bo_put(fo->bo);
	resv_free(fo, sizeof(*fo));
}

/* Table lock held for reading or writing. */
static struct sim_file_obj *table_get(struct sim_file *file, uint32_t handle)
{
	return sim__file_table_get(file, handle);
}

struct sim_file_obj *sim__file_lookup(struct sim_file *file, uint32_t handle)
{
	struct sim_file_obj *fo;

	pthread_rwlock_rdlock(&file->table_lock);
	fo = table_get(file, handle);
	if (fo)
		fo_get(fo);
	pthread_rwlock_unlock(&file->table_lock);
	return fo;
}

void sim__file_exec_begin(struct sim_file *file)
{
	pthread_rwlock_rdlock(&file->exec_lock);
}

void sim__file_exec_end(struct sim_file *file)
{
	pthread_rwlock_unlock(&file->exec_lock);
}

/* Make room for one more handle: double the table and rehash. Table lock
 * held for writing; allocation under it is fine (no reclaim path takes it). */
static int table_grow(struct sim_file *file)
{
	uint32_t old = file->table_size, size = old ? old * 2 : TABLE_MIN;
	struct sim_file_obj **by_bo;
	uintptr_t *t;

	if (old >= SIM_FILE_MAX_HANDLES)
		return -ENOSPC;
	if (size > SIM_FILE_MAX_HANDLES)
		size = SIM_FILE_MAX_HANDLES;
	t = resv_malloc(table_bytes(size));
	if (!t)
		return -ENOMEM;
	by_bo = (struct sim_file_obj **)(t + size);
	if (old)
		memcpy(t, file->table, old * sizeof(*t));
	/* Chain the new slots in order, ending at size (none free). */
	for (uint32_t i = old ? old : 1; i < size; i++)
		t[i] = free_slot(i + 1);
	if (!old) {
		t[0] = free_slot(0);	/* never handed out */
		file->free_head = 1;
	}
	/* The old free list ended at old: that is now slot old. */
	memset(by_bo, 0, size * sizeof(*by_bo));
	for (uint32_t i = 0; i < old; i++) {
		struct sim_file_obj *fo = file->by_bo[i], *next;

		for (; fo; fo = next) {
			uint32_t b = bo_bucket(fo->bo, size);

			next = fo->hash_next;
			fo->hash_next = by_bo[b];
			by_bo[b] = fo;
		}
	}
	resv_free(file->table, table_bytes(old));
	file->table = t;
	file->by_bo = by_bo;
	file->table_size = size;
	return 0;
}

/* Give @fo a handle and hash it. Table lock held for writing. */
static int handle_install_locked(struct sim_file *file, struct sim_file_obj *fo,
				 uint32_t *handle)
{
	uint32_t h, b;
	int ret;

	if (file->free_head >= file->table_size) {
		ret = table_grow(file);
		if (ret)
			return ret;
	}
	h = file->free_head;
	file->free_head = (uint32_t)(file->table[h] >> 1);
	fo->handle = h;
	file->table[h] = (uintptr_t)fo;
	file->handles++;
	b = bo_bucket(fo->bo, file->table_size);
	fo->hash_next = file->by_bo[b];
	file->by_bo[b] = fo;
	*handle = h;
	return 0;
}

static int handle_install(struct sim_file *file, struct sim_file_obj *fo, uint32_t *handle)
{
	int ret;

	pthread_rwlock_wrlock(&file->table_lock);
	ret = handle_install_locked(file, fo, handle);
	pthread_rwlock_unlock(&file->table_lock);
	return ret;
}

/* Forget a record whose handle is gone (close_obj(), once unbound). */
static void hash_remove(struct sim_file *file, struct sim_file_obj *fo)
{
	struct sim_file_obj **p;

	pthread_rwlock_wrlock(&file->table_lock);
	p = &file->by_bo[bo_bucket(fo->bo, file->table_size)];
	while (*p != fo)
		p = &(*p)->hash_next;
	*p = fo->hash_next;
	pthread_rwlock_unlock(&file->table_lock);
}

/* The open handle's record of @bo in @file, or NULL. Table lock held. A
 * record whose handle is being closed is still hashed but no longer in
 * the table: not open. */
static struct sim_file_obj *hash_find_open(struct sim_file *file, struct sim_bo *bo)
{
	struct sim_file_obj *fo;

	if (!file->table_size)
		return NULL;
	for (fo = file->by_bo[bo_bucket(bo, file->table_size)]; fo; fo = fo->hash_next)
		if (fo->bo == bo && table_get(file, fo->handle) == fo)
			return fo;
	return NULL;
}

struct sim_file_obj *sim__file_obj_bound_at(struct sim_file *file, struct sim_bo *bo,
					    uint64_t va)
{
	struct sim_file_obj *fo = bo->file_obj;

	dma_resv_assert_held(bo->base.resv);
	/* The creator's record: no hash walk on the creating file's path. */
	if (fo && fo->file == file && fo->bound && fo->va == va)
		return fo;
	/*
	 * Found bound under the BO's resv, a record stays valid after the
	 * table lock is dropped: close_obj() unbinds it under that resv
	 * before it unhashes and drops it.
	 */
	pthread_rwlock_rdlock(&file->table_lock);
	fo = NULL;
	if (file->table_size) {
		for (fo = file->by_bo[bo_bucket(bo, file->table_size)]; fo; fo = fo->hash_next)
			if (fo->bo == bo && fo->bound && fo->va == va)
				break;
	}
	pthread_rwlock_unlock(&file->table_lock);
	return fo;
}

/* Remove a handle: the record with the table's reference, or NULL. */
static struct sim_file_obj *handle_remove(struct sim_file *file, uint32_t handle)
{
	struct sim_file_obj *fo;

	pthread_rwlock_wrlock(&file->table_lock);
	fo = table_get(file, handle);
	if (fo) {
		file->table[handle] = free_slot(file->free_head);
		file->free_head = handle;
		file->handles--;
	}
	pthread_rwlock_unlock(&file->table_lock);
	return fo;
}

/* A record for @bo (whose reference it takes over), without a handle. */
static struct sim_file_obj *fo_alloc(struct sim_file *file, struct sim_bo *bo)
{
	struct sim_file_obj *fo = resv_zalloc(sizeof(*fo));

	if (!fo)
		return NULL;
	fo->ref = 1;
	fo->file = file;
	fo->bo = bo;
	fo->allowed = bo->allowed;
	fo->userptr = bo->userptr != NULL;
	fo->size = bo->base.size;
	return fo;
}

static int add_bo(struct sim_file *file, struct sim_bo *bo, uint32_t *handle)
{
	struct sim_file_obj *fo = fo_alloc(file, bo);	/* the creation reference */
	int ret;

	if (!fo) {
		sim_bo_put(bo);
		return -ENOMEM;
	}
	/* Before the handle exists nobody else can see the BO: no lock. */
	bo->file_obj = fo;
	ret = handle_install(file, fo, handle);
	if (ret) {
		bo->file_obj = NULL;
		sim__file_obj_put(fo);
	}
	return ret;
}

/* ---- files -------------------------------------------------------------------- */

static void close_obj(struct sim_file_obj *fo);

int sim_file_create(struct sim_device *dev, struct sim_file **out)
{
	pthread_rwlockattr_t attr;
	struct sim_file *file;
	int ret;

	if (!dev || !out)
		return -EINVAL;
	file = resv_zalloc(sizeof(*file));
	if (!file)
		return -ENOMEM;
	ret = sim_pt_create(dev, &file->pt);
	if (ret)
		goto err_free;
	ret = sim_context_create(dev, &file->ctx);
	if (ret)
		goto err_pt;
	file->dev = dev;
	file->next_kernel_va = SIM_EXEC_KERNEL_VA;
	resv_notifier_lock_init(&file->notifier_lock);
	pthread_rwlock_init(&file->table_lock, NULL);
	/* A close must not starve behind a stream of execbufs. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&file->exec_lock, &attr);
	pthread_rwlockattr_destroy(&attr);

	pthread_mutex_lock(&files_lock);
	if (!dev->files.next)
		CDS_INIT_LIST_HEAD(&dev->files);
	cds_list_add_tail(&file->dev_link, &dev->files);
	pthread_mutex_unlock(&files_lock);
	*out = file;
	return 0;

err_pt:
	sim_pt_put(file->pt);
err_free:
	resv_free(file, sizeof(*file));
	return ret;
}

static void stats_add(struct sim_execbuf_stats *dst, const struct sim_execbuf_stats *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;

	_Static_assert(sizeof(*src) % sizeof(uint64_t) == 0, "counters are u64");
	for (size_t i = 0; i < sizeof(*src) / sizeof(uint64_t); i++)
		d[i] += __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

void sim_file_destroy(struct sim_file *file)
{
	struct sim_device *dev;

	if (!file)
		return;
	dev = file->dev;
	pthread_mutex_lock(&files_lock);
	cds_list_del(&file->dev_link);
	stats_add(&dev->files_gone, &file->stats);
	pthread_mutex_unlock(&files_lock);

	/*
	 * Close what is left as sim_gem_close() does, waiting for the GPU:
	 * a userptr BO's invalidate callback takes the file's notifier lock,
	 * so no userptr may stay mapped (alive) once the file is gone.
	 */
	for (uint32_t h = 1; h < file->table_size; h++) {
		struct sim_file_obj *fo = table_get(file, h);

		if (fo)
			close_obj(fo);
	}
	resv_free(file->table, table_bytes(file->table_size));
	sim_context_put(file->ctx);
	/* Queued jobs keep their own references on the (now empty) page table. */
	sim_pt_put(file->pt);
	pthread_rwlock_destroy(&file->table_lock);
	pthread_rwlock_destroy(&file->exec_lock);
	resv_notifier_lock_fini(&file->notifier_lock);
	resv_free(file, sizeof(*file));
}

struct sim_device *sim_file_device(struct sim_file *file)
{
	return file->dev;
}

struct sim_pt *sim_file_pt(struct sim_file *file)
{
	return file->pt;
}

struct sim_context *sim_file_context(struct sim_file *file)
{
	return file->ctx;
}

struct resv_notifier_lock *sim_file_notifier_lock(struct sim_file *file)
{
	return &file->notifier_lock;
}

void sim_execbuf_file_stats(struct sim_file *file, struct sim_execbuf_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	stats_add(stats, &file->stats);
}

void sim_execbuf_device_stats(struct sim_device *dev, struct sim_execbuf_stats *stats)
{
	struct sim_file *file;

	memset(stats, 0, sizeof(*stats));
	pthread_mutex_lock(&files_lock);
	stats_add(stats, &dev->files_gone);
	if (dev->files.next)
		cds_list_for_each_entry(file, &dev->files, dev_link)
			stats_add(stats, &file->stats);
	pthread_mutex_unlock(&files_lock);
}

/* ---- BOs by handle ------------------------------------------------------------ */

int sim_gem_create(struct sim_file *file, uint64_t size, uint32_t placements, uint32_t *handle)
{
	struct sim_bo *bo;
	int ret;

	if (!file || !handle)
		return -EINVAL;
	ret = sim_bo_create(file->dev, size, placements,
			    placements & SIM_PL_MASK_SYSTEM ? SIM_PL_SYSTEM : SIM_PL_NONE, NULL, &bo);
	if (ret)
		return ret;
	return add_bo(file, bo, handle);
}

int sim_gem_userptr(struct sim_file *file, struct resv_mm *mm, unsigned long addr,
		    uint64_t size, uint32_t *handle)
{
	struct sim_bo *bo;
	int ret;

	if (!file || !handle)
		return -EINVAL;
	ret = sim_bo_create_userptr(file->dev, mm, addr, size, &file->notifier_lock, &bo);
	if (ret)
		return ret;
	return add_bo(file, bo, handle);
}

int sim_gem_import(struct sim_file *file, struct sim_bo *bo, uint32_t *handle)
{
	struct sim_file_obj *fo, *old;
	int ret = 0;

	if (!file || !bo || !handle || bo->dev != file->dev)
		return -EINVAL;
	/* The common re-import finds its handle without allocating. */
	pthread_rwlock_rdlock(&file->table_lock);
	old = hash_find_open(file, bo);
	if (old)
		*handle = old->handle;	/* the kernel's prime lookup: same handle */
	pthread_rwlock_unlock(&file->table_lock);
	if (old)
		return 0;
	if (bo->userptr)
		return -EINVAL;	/* its notifier lock is its creator's */
	/* Allocated outside the lock; dropped when another thread imported
	 * the BO meanwhile. Its BO reference is taken only once it is used. */
	fo = fo_alloc(file, bo);
	if (!fo)
		return -ENOMEM;
	pthread_rwlock_wrlock(&file->table_lock);
	old = hash_find_open(file, bo);
	if (old)
		*handle = old->handle;
	else
		ret = handle_install_locked(file, fo, handle);
	if (!old && !ret)
		sim_bo_get(bo);
	pthread_rwlock_unlock(&file->table_lock);
	if (old || ret)
		resv_free(fo, sizeof(*fo));
	return ret;
}

struct sim_bo *sim_file_lookup_bo(struct sim_file *file, uint32_t handle)
{
	struct sim_file_obj *fo = file ? sim__file_lookup(file, handle) : NULL;
	struct sim_bo *bo;

	if (!fo)
		return NULL;
	bo = sim_bo_get(fo->bo);
	sim__file_obj_put(fo);
	return bo;
}

/* Unbind @fo from the file's page table once the GPU is done with it.
 * The BO's resv held. */
int sim__file_obj_unbind(struct sim_file_obj *fo, bool intr)
{
	struct sim_bo *bo = fo->bo;
	long left;

	dma_resv_assert_held(bo->base.resv);
	if (!fo->bound)
		return 0;
	/* Jobs of this file may still use the mapping: let them finish. */
	left = dma_resv_wait_timeout(bo->base.resv, DMA_RESV_USAGE_BOOKKEEP, intr,
				     MAX_SCHEDULE_TIMEOUT);
	if (left < 0)
		return (int)sim__wait_result(left);
	/* A whole mapping never needs a split: this cannot fail. */
	sim_pt_unmap(fo->file->pt, fo->va, bo->base.size);
	__atomic_store_n(&fo->bound, false, __ATOMIC_RELAXED);
	return 0;
}

/* The handle is gone: unbind once idle, forget the record. */
static void close_obj(struct sim_file_obj *fo)
{
	struct sim_bo *bo = fo->bo;

	/* Execbufs that found the handle before it went may hold the record
	 * without a reference: wait until they are done. */
	pthread_rwlock_wrlock(&fo->file->exec_lock);
	pthread_rwlock_unlock(&fo->file->exec_lock);
	if (dma_resv_lock(bo->base.resv, NULL))
		return;	/* cannot be: without a context it only waits */
	(void)sim__file_obj_unbind(fo, false);	/* uninterruptible: cannot fail */
	if (bo->file_obj == fo)
		bo->file_obj = NULL;
	dma_resv_unlock(bo->base.resv);
	/* Unbound for good (no execbuf has it any more): nobody needs to
	 * find it from the BO. */
	hash_remove(fo->file, fo);
	sim__file_obj_put(fo);
}

int sim_gem_close(struct sim_file *file, uint32_t handle)
{
	struct sim_file_obj *fo;

	if (!file)
		return -EINVAL;
	fo = handle_remove(file, handle);
	if (!fo)
		return -ENOENT;
	close_obj(fo);
	return 0;
}
