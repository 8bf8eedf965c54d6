/* SPDX-License-Identifier: MIT */
/*
 * drm_gpuvm suite harness (test_drm_gpuvm): test GEM objects and VMs that
 * count their frees, mappings, the report counter every test runs under,
 * the seed and a small generator. Its functions carry a gt_ prefix.
 *
 * Every test runs with a counting report hook and starts from a snapshot of
 * the library's live bytes; the teardown fails a test that drew a report
 * it did not take (gt_reports_take()), leaked library memory, or left a GEM
 * object or VM alive.
 *
 * Seeded tests take RESV_SEED from the environment (default: time-based);
 * the seed is printed at start and again when a test fails.
 */
#ifndef RESV_TESTS_GPUVM_TEST_H
#define RESV_TESTS_GPUVM_TEST_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <resv/alloc.h>
#include <resv/dma-fence.h>
#include <resv/dma-resv.h>
#include <resv/drm_exec.h>
#include <resv/drm_gem.h>
#include <resv/drm_gpuvm.h>
#include <resv/rcu.h>
#include <resv/report.h>

#include "internal/drm_gpuvm.h"

/* ---- seed and generator ------------------------------------------------------ */

extern uint64_t gt_seed;

struct gt_rng {
	uint64_t s;
};

static inline uint64_t gt_rng_next(struct gt_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* In [0, n), n > 0. */
static inline uint64_t gt_rng_below(struct gt_rng *r, uint64_t n)
{
	return gt_rng_next(r) % n;
}

/* A generator for this test, derived from the seed and @salt. */
void gt_rng_init(struct gt_rng *r, uint64_t salt);

/* ---- reports ------------------------------------------------------------------------ */

/* How many reports of @kind arrived since the last take; clears them. */
unsigned int gt_reports_take(enum resv_report_kind kind);
/* All reports since the test started (not cleared by take). */
unsigned int gt_reports_seen(void);

/* cmocka setup/teardown of every test (see the file comment). */
int gt_setup(void **state);
int gt_teardown(void **state);

/* ---- GEM objects ---------------------------------------------------------------------- */

/* A buffer object; its free callback counts and frees the memory. */
struct gt_bo {
	struct drm_gem_object base;
	unsigned int id;
	bool resident;			/* stress/exec oracles; guarded by base.resv */
	unsigned long validations;	/* guarded by base.resv */
};

/* Objects created and freed so far (atomic). */
extern long gt_bos_live;

/* A new object with its own resv, or sharing @shared when not NULL. */
struct gt_bo *gt_bo_new(unsigned int id, struct dma_resv *shared);
static inline struct drm_gem_object *gt_obj(struct gt_bo *bo)
{
	return &bo->base;
}

/* dma_resv_lock(obj->resv, NULL), asserting success. */
void gt_lock(struct drm_gem_object *obj);
void gt_unlock(struct drm_gem_object *obj);

/* ---- VMs ------------------------------------------------------------------------------ */

struct gt_vm {
	struct drm_gpuvm base;
	struct drm_gem_object *r_obj;	/* no reference: the VM holds one */
	void *priv;			/* for the test */
};

/* VMs freed through vm_free so far. */
extern long gt_vms_freed;

/* vm_free only; tests copy it and add what they need. */
extern const struct drm_gpuvm_ops gt_vm_ops;

/* A VM over [start, start + range) with a kernel node [kstart, kstart + krange)
 * and its own resv object; asserts success. */
struct gt_vm *gt_vm_new(enum drm_gpuvm_flags flags, uint64_t start, uint64_t range,
			uint64_t kstart, uint64_t krange, const struct drm_gpuvm_ops *ops);
/* Drops the caller's reference and asserts that the VM was freed. */
void gt_vm_put_last(struct gt_vm *vm);

/* ---- mappings ---------------------------------------------------------------------- */

struct gt_va {
	struct drm_gpuva base;
	unsigned int magic;
};

#define GT_VA_MAGIC 0x6a7615u

struct gt_va *gt_va_new(void);
void gt_va_free(struct gt_va *va);
static inline struct gt_va *gt_va_of(struct drm_gpuva *va)
{
	return caa_container_of(va, struct gt_va, base);
}

/*
 * Apply one step to the tree the way a driver does (kernel DOC: Examples):
 * MAP inserts a new gt_va and links it to the object's vm_bo (obtained,
 * then put: the link keeps it); REMAP inserts the pieces, links them to the
 * old mapping's vm_bo, unlinks and frees the old one; UNMAP unlinks,
 * removes and frees. Objects are locked with gt_lock() around the gpuva
 * list changes (spinlock mode VMs: the VM resv is only needed to destroy a
 * vm_bo in RESV_PROTECTED mode, which the caller then holds instead).
 */
void gt_apply_op(struct drm_gpuvm *gpuvm, struct drm_gpuva_op *op, bool lock);
/* The step callbacks of drm_gpuvm_sm_map() / _sm_unmap(): @priv is a
 * struct gt_apply; each step is applied at once. */
struct gt_apply {
	struct drm_gpuvm *vm;
	bool lock;
	unsigned int steps;
};
int gt_step_apply(struct drm_gpuva_op *op, void *priv);
/* Unlink, remove and free every mapping but the kernel node. */
void gt_unmap_all(struct drm_gpuvm *gpuvm, bool lock);

/* ---- the page-granular model of a VA space ---------------------------------------- */

struct gt_model {
	uint64_t size;
	bool *mapped;
	struct drm_gem_object **obj;
	uint64_t *off;
};

void gt_model_init(struct gt_model *m, uint64_t size);
void gt_model_fini(struct gt_model *m);
/* "The request painted over the old mappings". */
void gt_model_paint(struct gt_model *m, uint64_t addr, uint64_t range,
		    struct drm_gem_object *obj, uint64_t off);
void gt_model_clear(struct gt_model *m, uint64_t addr, uint64_t range);
/*
 * Asserts that the VM's mappings (the kernel node aside) cover exactly the
 * mapped pages of @m, each with the model's object and offset, that every
 * mapping with an object is linked to the unique vm_bo of (VM, object) and
 * that the VM's and vm_bos' reference counts are what the mappings and
 * vm_bos explain: VM = 1 + mappings + vm_bos, vm_bo = linked mappings.
 */
void gt_model_check(const struct gt_model *m, struct drm_gpuvm *gpuvm);

/* Live library bytes after an RCU barrier. */
uint64_t gt_live_bytes(void);

/* ---- the tests (main.c runs them) ------------------------------------------------- */

void test_gpuvm_init_bad_args(void **state);
void test_gpuvm_init_and_free(void **state);
void test_gpuvm_get_put_refcount(void **state);
void test_gpuvm_range_valid(void **state);
void test_gpuva_insert_remove(void **state);
void test_gpuva_find(void **state);
void test_gpuva_iterators(void **state);
void test_gpuva_tree_random(void **state);
void test_gpuva_tree_balanced(void **state);
void test_gpuvm_resv_object_alloc(void **state);
void test_gpuvm_bo_obtain_unique(void **state);
void test_gpuvm_bo_obtain_enomem(void **state);
void test_gpuvm_bo_driver_alloc(void **state);
void test_gpuva_link_unlink(void **state);
void test_gpuvm_bo_lock_assertions(void **state);
void test_gpuvm_extobj_detection(void **state);
void test_gpuvm_bo_evict_spinlock_mode(void **state);
void test_gpuvm_bo_gem_evict_all_vms(void **state);
void test_gpuvm_bo_obtain_prealloc(void **state);
void test_gpuvm_immediate_mode_lock_assertion(void **state);
void test_gpuvm_bo_put_deferred_spinlock_mode(void **state);
void test_gpuvm_bo_put_deferred_resv_protected(void **state);
void test_gpuvm_bo_put_deferred_misuse(void **state);
void test_gpuvm_free_reports_leftovers(void **state);
void test_gpuvm_sm_map_cases(void **state);
void test_gpuvm_sm_unmap_cases(void **state);
void test_gpuvm_sm_bad_args(void **state);
void test_gpuvm_madvise_ops(void **state);
void test_gpuvm_prefetch_and_bo_unmap_ops(void **state);
void test_gpuvm_ops_create_enomem(void **state);
void test_gpuvm_ops_driver_alloc(void **state);
void test_gpuvm_sm_random(void **state);
void test_gpuvm_sm_random_second_stream(void **state);
void test_gpuvm_exec_lock_spinlock_mode(void **state);
void test_gpuvm_exec_lock_resv_protected(void **state);
void test_gpuvm_exec_lock_array_and_errors(void **state);
void test_gpuvm_exec_lock_extra_error(void **state);
void test_gpuvm_exec_lock_range(void **state);
void test_gpuvm_validate_spinlock_mode(void **state);
void test_gpuvm_validate_resv_protected(void **state);
void test_gpuvm_concurrent_walk_refused(void **state);
void test_gpuvm_resv_add_fence_usages(void **state);
void test_gpuvm_sm_exec_lock(void **state);
void test_gpuvm_exec_lock_enomem(void **state);
void test_gpuvm_doc_example(void **state);

#endif /* RESV_TESTS_GPUVM_TEST_H */
