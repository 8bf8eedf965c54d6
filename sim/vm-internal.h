/* SPDX-License-Identifier: MIT */
/*
 * The layout of a VM and what vm.c, vm-bind.c and vm-exec.c share.
 */
#ifndef SIM_VM_INTERNAL_H
#define SIM_VM_INTERNAL_H

#include <pthread.h>

#include <resv/drm_gpuvm.h>
#include <resv/lockdep.h>
#include <resv/userptr.h>

#include <sim/vm.h>

#include "internal.h"

/*
 * A mapping: the drm_gpuva plus what the page table needs. Userptr
 * mappings carry the BO that stands for their pages.
 */
struct sim_vma {
	struct drm_gpuva base;
	uint32_t pt_flags;		/* SIM_PT_* of its page-table mapping */
};

/*
 * A vm_bo with the VM's userptr list link: execs snapshot and check the
 * userptrs the VM maps before and after locking (xe's userptr list).
 */
struct sim_vm_bo {
	struct drm_gpuvm_bo base;
	struct cds_list_head userptr_link;	/* vm->userptrs; VM lock */
	bool on_userptr_list;
};

/*
 * Page-table updates waiting on the bind engine: an asynchronous bind's
 * (one), or an exec's rebind of an evicted BO (one per mapping).
 */
struct sim_vm_bind_item {
	struct cds_list_head link;	/* vm->bind_queue */
	unsigned int num_upd;
	struct sim_pt_update upd[];
};

struct sim_vm {
	struct drm_gpuvm gpuvm;		/* first: vm_free frees the sim_vm */
	struct sim_device *dev;
	struct sim_pt *pt;
	/* xe's vm->lock: the VA tree, the userptr list; write for binds. */
	pthread_rwlock_t lock;
	struct resv_lockdep_map lock_dep;
	struct sim_file *file;		/* GEM handles of binds; may be NULL */
	/* The notifier lock of every userptr the VM maps: the file's, or
	 * own_notifier_lock. */
	struct resv_notifier_lock *notifier_lock;
	struct resv_notifier_lock own_notifier_lock;
	struct cds_list_head userptrs;	/* sim_vm_bo of userptr BOs; VM lock */
	/* The bind engine: a timeline of its own, started at the first
	 * asynchronous bind; its jobs commit bind_queue's head, in order. */
	struct sim_engine bind_engine;
	bool bind_engine_started;	/* VM resv */
	pthread_mutex_t bind_lock;	/* bind_queue */
	struct cds_list_head bind_queue;
	struct sim_vm_stats stats;	/* atomic counters */
};

#define SIM_VM_STAT_ADD(vm, field, n) \
	__atomic_add_fetch(&(vm)->stats.field, (n), __ATOMIC_RELAXED)
#define SIM_VM_STAT_INC(vm, field) SIM_VM_STAT_ADD(vm, field, 1)

static inline struct sim_vm *to_sim_vm(struct drm_gpuvm *gpuvm)
{
	return caa_container_of(gpuvm, struct sim_vm, gpuvm);
}

static inline struct sim_vma *to_sim_vma(struct drm_gpuva *va)
{
	return caa_container_of(va, struct sim_vma, base);
}

static inline struct sim_vm_bo *to_sim_vm_bo(struct drm_gpuvm_bo *vm_bo)
{
	return caa_container_of(vm_bo, struct sim_vm_bo, base);
}

static inline struct sim_bo *to_sim_bo(struct drm_gem_object *obj)
{
	return caa_container_of(obj, struct sim_bo, base);
}

/* The VM lock, annotated for the lock validator (annotate, then block). */
static inline void sim__vm_read_lock(struct sim_vm *vm)
{
	resv_lockdep_acquire(&vm->lock_dep, RESV_LOCKDEP_READ);
	pthread_rwlock_rdlock(&vm->lock);
}

static inline void sim__vm_write_lock(struct sim_vm *vm)
{
	resv_lockdep_acquire(&vm->lock_dep, 0);
	pthread_rwlock_wrlock(&vm->lock);
}

static inline void sim__vm_unlock(struct sim_vm *vm)
{
	resv_lockdep_release(&vm->lock_dep);
	pthread_rwlock_unlock(&vm->lock);
}

/* Count the restarts of a finished drm_exec loop. */
void sim__vm_count_backoffs(struct sim_vm *vm, const struct drm_exec *exec);

/*
 * vm-bind.c, the bind engine. Queueing and arming happen under the VM
 * resv, which orders the queue like the engine's seqnos.
 */
/* A job and an item of @num_upd updates (to prepare); starts the engine. */
int sim__vm_bind_job_create(struct sim_vm *vm, unsigned int num_upd,
			    struct sim_vm_bind_item **item, struct sim_job **job);
/* Drop what sim__vm_bind_job_create() made (nothing queued yet). */
void sim__vm_bind_job_abort(struct sim_vm_bind_item *item, struct sim_job *job);
/* Queue @item and arm @job: its fence (the queue's reference); publish it,
 * then sim_job_push(). */
struct dma_fence *sim__vm_bind_job_arm(struct sim_vm *vm, struct sim_vm_bind_item *item,
				       struct sim_job *job);
/* Stop the bind engine, cancelling what waits (VM close). */
void sim__vm_bind_engine_stop(struct sim_vm *vm);

/* vm-exec.c: drm_gpuvm's vm_bo_validate callback. */
int sim__vm_bo_validate(struct drm_gpuvm_bo *vm_bo, struct drm_exec *exec);

#endif /* SIM_VM_INTERNAL_H */
