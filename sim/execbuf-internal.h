/* SPDX-License-Identifier: MIT */
/*
 * The state of one sim_execbuf() call, shared by execbuf.c (the flow),
 * execbuf-bind.c (validation, eviction, page-table binding) and
 * execbuf-reloc.c (argument checks that read client memory, relocations).
 */
#ifndef SIM_EXECBUF_INTERNAL_H
#define SIM_EXECBUF_INTERNAL_H

#include <resv/drm_exec.h>

#include "internal.h"

/* Objects whose bookkeeping lives on the stack: small execbufs allocate
 * nothing but their job. */
#define EB_INLINE 16

/* eb_relocate(): the relocations cannot be read under the locks. */
#define EB_RELOC_SLOW 1

struct eb_obj {
	struct sim_file_obj *fo;		/* reference */
	struct sim_bo *bo;			/* fo->bo */
	const struct sim_execbuf_object *uobj;	/* the client's entry */
	uint32_t flags;				/* uobj->flags, read once */
	uint64_t va;				/* where it is bound, once bound */
	const struct sim_reloc *relocs;		/* the client's array, or the kernel copy */
	uint32_t nrelocs;
};

/* A relocation target lookup entry: handle -> index in the execbuf. */
struct eb_handle_idx {
	uint32_t handle;
	uint32_t index;
};

struct eb {
	struct sim_file *file;
	struct sim_device *dev;
	struct sim_execbuf *args;
	struct sim_engine *engine;
	struct sim_context *ctx;
	unsigned int count;
	struct eb_obj *objs;			/* inline_objs, or allocated */
	unsigned int batch;			/* index of the batch object */
	uint32_t batch_len;			/* resolved */
	bool has_userptr;
	bool has_relocs;
	bool softpin_in_place;			/* every softpinned object bound there (hint) */
	unsigned int npinned;
	bool reloc_copy;			/* objs[].relocs are the kernel copy */
	struct sim_reloc *reloc_buf;		/* the kernel copy */
	size_t reloc_total;			/* entries in all objects */
	struct eb_handle_idx *handle_map;	/* sorted, for relocation targets */
	uint32_t *batch_copy;			/* SIM_EXECBUF_CHECK_BATCH */
	struct sim_bo *victim;			/* contended eviction victim (reference) */
	struct sim_execbuf_stats stats;		/* this call's, folded into the file's */
	/* Not cleared by sim_execbuf(): drm_exec_init() and eb_lookup() do. */
	struct drm_exec exec;
	struct eb_obj inline_objs[EB_INLINE];
};

static inline bool eb_obj_write(const struct eb_obj *o)
{
	return o->flags & SIM_EXEC_OBJECT_WRITE;
}

/*
 * Prefetch distance, in objects. Every per-object pass chases pointers
 * (record -> BO -> its storage, its fence list) that the hardware
 * prefetcher cannot guess, and with hundreds of objects their lines are no
 * longer in L1 from one pass to the next: each pass asks for the lines of
 * the object EB_PREFETCH ahead while it works on this one.
 */
#define EB_PREFETCH 4

/* The BO's hot lines: the GEM header (reference count, size, lock word,
 * fence list pointer) and the fields after it. */
static inline void eb_prefetch_bo(const struct sim_bo *bo)
{
	__builtin_prefetch(bo);
	__builtin_prefetch((const char *)bo + 64);
	__builtin_prefetch(&bo->backing);
}

/* Where validation may leave the object (SIM_PL_MASK_*). */
static inline uint32_t eb_placements(const struct eb_obj *o)
{
	if (o->flags & SIM_EXEC_OBJECT_NEEDS_VRAM)
		return SIM_PL_MASK_VRAM;
	return o->bo->allowed;	/* VRAM first when allowed, else where it may be */
}

/*
 * The object (locked) needs no work: it is resident where it may be, and
 * bound at its address to its current storage. Sets its address then.
 */
static inline bool eb_obj_ready(struct eb_obj *o)
{
	struct sim_file_obj *fo = o->fo;
	struct sim_bo *bo = o->bo;
	uint64_t va;

	if (bo->placement == SIM_PL_NONE || !(eb_placements(o) & (1u << bo->placement)))
		return false;
	va = (o->flags & SIM_EXEC_OBJECT_PINNED) ? o->uobj->offset : fo->va;
	if (!fo->bound || fo->va != va || fo->gen != bo->backing->gen)
		return false;
	o->va = va;
	return true;
}

/* ---- execbuf-bind.c ------------------------------------------------------------- */
/* Evict the contended victim drm_exec has just slow-locked for us. */
int eb_evict_victim(struct eb *eb);
/* Validate every object; -EDEADLK hands the victim to drm_exec. */
int eb_validate(struct eb *eb);
/* Bind every object at its address in the file's page table. */
int eb_bind(struct eb *eb);
/* Bulk LRU bump of every object after submission. */
void eb_lru_touch(struct eb *eb);

/* ---- execbuf-reloc.c ------------------------------------------------------------ */
/* Check relocations and softpin overlaps (no locks held). */
int eb_check_relocs(struct eb *eb);
int eb_check_softpin(struct eb *eb);
/* Write the relocations (everything locked and bound): 0, EB_RELOC_SLOW,
 * or an error. */
int eb_relocate(struct eb *eb);
/* The slow path's copy (nothing locked). */
int eb_copy_relocs(struct eb *eb);
/* SIM_EXECBUF_CHECK_BATCH: parse the batch (everything locked and bound). */
int eb_parse_batch(struct eb *eb);
void eb_relocs_fini(struct eb *eb);

#endif /* SIM_EXECBUF_INTERNAL_H */
