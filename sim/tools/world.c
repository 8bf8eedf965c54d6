/* SPDX-License-Identifier: MIT */
/*
 * resv-sim's world: one device, one client file shared by every client
 * thread (a multi-threaded process with one DRM fd: the shared objects are
 * handles in it, and execbuf binds them in its one address space), one
 * resv_mm for the process's userptr ranges. Per client: contexts, private
 * objects, a batch ring, and for VM_BIND a VM of its own in which it binds
 * the shared objects it uses, its private objects and its userptr range.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <resv/dma-resv.h>

#include <sim/trace.h>

#include "resv-sim.h"

#define KIB 1024ull
#define MIB (1024ull * 1024)

static uint64_t rand_pages(uint64_t *rng, uint64_t min, uint64_t max)
{
	uint64_t pages = min / SIM_PAGE_SIZE + rs_rand(rng) % ((max - min) / SIM_PAGE_SIZE + 1);

	return pages * SIM_PAGE_SIZE;
}

/* Start in VRAM if there is room (the first users would move it there);
 * without a ticket, eviction only trylocks: fine, nobody runs yet. */
static int make_resident(struct sim_bo *bo)
{
	struct sim_op_ctx op = { 0 };
	int ret = dma_resv_lock(bo->base.resv, NULL);

	if (ret)
		return ret;
	ret = sim_bo_validate(bo, SIM_PL_MASK_VRAM, &op);
	dma_resv_unlock(bo->base.resv);
	sim_op_ctx_fini(&op);
	return ret == -ENOSPC ? 0 : ret;	/* full: it stays in system memory */
}

int rs_world_create(struct rs_world *w, const struct rs_options *opt)
{
	struct sim_device_config cfg = {
		.vram_size = opt->vram_mib * MIB,
		.num_engines = opt->engines,
		.job_timeout_ns = (int64_t)opt->job_timeout_ms * 1000000,
	};
	uint64_t rng = opt->seed ^ 0x5eed0f0b1ec75ull;
	int ret;

	memset(w, 0, sizeof(*w));
	w->opt = *opt;
	ret = sim_device_create(&cfg, &w->dev);
	if (ret)
		return ret;
	ret = sim_file_create(w->dev, &w->file);
	if (!ret)
		ret = resv_mm_create(&w->mm);
	if (ret)
		return ret;
	w->nshared = opt->objects;
	w->shared = calloc(w->nshared, sizeof(*w->shared));
	w->clients = calloc(opt->clients, sizeof(*w->clients));
	if (!w->shared || !w->clients)
		return -ENOMEM;
	for (unsigned int k = 0; k < w->nshared; k++) {
		struct rs_object *o = &w->shared[k];

		o->kind = RS_OBJ_SHARED;
		o->shared_idx = k;
		o->size = rand_pages(&rng, 64 * KIB, 448 * KIB);
		o->va = RS_SHARED_VA(k);
		ret = sim_gem_create(w->file, o->size, SIM_PL_MASK_ALL, &o->handle);
		if (ret)
			return ret;
		o->bo = sim_file_lookup_bo(w->file, o->handle);
		if (!o->bo)
			return -ENOENT;
		ret = make_resident(o->bo);
		if (ret)
			return ret;
		/* The trace's ww events name the object by its index. */
		(void)sim_trace_label_lock(&o->bo->base.resv->lock, k);
	}
	for (unsigned int i = 0; i < opt->clients; i++) {
		w->clients[i].w = w;
		w->clients[i].id = i;
		w->clients[i].rng = opt->seed * 0x9e3779b97f4a7c15ull + i + 1;
		w->clients[i].path = opt->path;
	}
	return 0;
}

void rs_world_destroy(struct rs_world *w)
{
	for (unsigned int k = 0; w->shared && k < w->nshared; k++) {
		sim_bo_put(w->shared[k].bo);
		if (w->shared[k].handle)
			sim_gem_close(w->file, w->shared[k].handle);
	}
	free(w->shared);
	free(w->clients);
	sim_file_destroy(w->file);
	resv_mm_destroy(w->mm);
	sim_device_destroy(w->dev);
	memset(w, 0, sizeof(*w));
}

/* ---- a client's objects ------------------------------------------------------------ */

static bool uses_vm(const struct rs_client *c)
{
	return c->path != RS_PATH_EXECBUF;
}

/* VM_BIND-only clients give their private objects to the VM (local BOs:
 * they share the VM's resv, one lock for all); execbuf needs handles. */
static bool local_bos(const struct rs_client *c)
{
	return c->path == RS_PATH_VM_BIND;
}

static int bind(struct rs_client *c, struct rs_object *o)
{
	struct sim_vm_bind args = {
		.op = SIM_VM_BIND_OP_MAP,
		.va = o->va,
		.range = o->size,
		.handle = o->handle,
		.bo = o->handle ? NULL : o->bo,
	};

	if (o->kind == RS_OBJ_USERPTR && !o->handle) {
		args.op = SIM_VM_BIND_OP_MAP_USERPTR;
		args.mm = c->w->mm;
		args.userptr = o->uaddr;
	}
	return sim_vm_bind(c->vm, &args, NULL);
}

/* A private object (private data, victim, batch ring) of @size bytes. */
static int make_private(struct rs_client *c, struct rs_object *o, enum rs_obj_kind kind,
			uint64_t size, uint64_t va)
{
	struct rs_world *w = c->w;
	int ret;

	o->kind = kind;
	o->size = size;
	o->va = va;
	o->lane_offset = 0;
	o->lane_dw = (uint32_t)(size / 4);
	if (local_bos(c)) {
		ret = sim_vm_bo_create(c->vm, size, SIM_PL_MASK_ALL, SIM_PL_SYSTEM, &o->bo);
	} else {
		ret = sim_gem_create(w->file, size, SIM_PL_MASK_ALL, &o->handle);
		if (!ret && !(o->bo = sim_file_lookup_bo(w->file, o->handle)))
			ret = -ENOENT;
	}
	return ret ? ret : make_resident(o->bo);
}

static int make_userptr(struct rs_client *c, struct rs_object *o)
{
	struct rs_world *w = c->w;
	int ret;

	o->kind = RS_OBJ_USERPTR;
	o->size = RS_USERPTR_BYTES;
	o->va = RS_USERPTR_VA(c->id);
	o->uaddr = RS_USERPTR_ADDR(c->id);
	o->lane_dw = RS_USERPTR_BYTES / 4;
	ret = resv_mm_map(w->mm, o->uaddr, RS_USERPTR_BYTES);
	if (ret || local_bos(c))
		return ret;	/* VM_BIND maps the range itself */
	ret = sim_gem_userptr(w->file, w->mm, o->uaddr, RS_USERPTR_BYTES, &o->handle);
	if (ret)
		return ret;
	o->bo = sim_file_lookup_bo(w->file, o->handle);
	return o->bo ? 0 : -ENOENT;
}

/* Which shared objects the client uses: execbuf batches any of them; its
 * VM binds a random few (each exec locks every external object the VM
 * maps, and VM_BIND keeps them all resident). A VM_BIND-only client uses
 * just those. */
static int pick_shared(struct rs_client *c)
{
	struct rs_world *w = c->w;
	unsigned int nvm = w->nshared < RS_VM_SHARED_OBJECTS ? w->nshared : RS_VM_SHARED_OBJECTS;
	bool *in_vm = calloc(w->nshared, sizeof(*in_vm));

	c->shared_map = malloc(w->nshared * sizeof(*c->shared_map));
	c->vm_shared = malloc(w->nshared * sizeof(*c->vm_shared));
	if (!in_vm || !c->shared_map || !c->vm_shared) {
		free(in_vm);
		return -ENOMEM;
	}
	if (uses_vm(c)) {
		for (unsigned int n = 0; n < nvm;) {
			unsigned int k = (unsigned int)(rs_rand(&c->rng) % w->nshared);

			if (!in_vm[k]) {
				in_vm[k] = true;
				n++;
			}
		}
	}
	c->nshared = 0;
	c->nvm_shared = 0;
	for (unsigned int k = 0; k < w->nshared; k++) {
		c->shared_map[k] = -1;
		if (c->path == RS_PATH_VM_BIND && !in_vm[k])
			continue;
		if (in_vm[k])
			c->vm_shared[c->nvm_shared++] = c->nshared;
		c->shared_map[k] = (int)c->nshared++;
	}
	free(in_vm);
	return 0;
}

static int setup_shared(struct rs_client *c)
{
	struct rs_world *w = c->w;

	for (unsigned int k = 0; k < w->nshared; k++) {
		struct rs_object *o;
		uint32_t lane_bytes;

		if (c->shared_map[k] < 0)
			continue;
		o = &c->objs[c->shared_map[k]];
		*o = w->shared[k];
		o->bo = sim_bo_get(w->shared[k].bo);
		lane_bytes = (uint32_t)((o->size - RS_HEADER_BYTES) / w->opt.clients) & ~3u;
		o->lane_offset = RS_HEADER_BYTES + c->id * lane_bytes;
		o->lane_dw = lane_bytes / 4;
		if (!o->lane_dw)
			return -EINVAL;
	}
	return 0;
}

int rs_client_setup(struct rs_client *c)
{
	struct rs_world *w = c->w;
	unsigned int i;
	int ret;

	ret = sim_context_create(w->dev, &c->ctx);
	if (!ret)
		ret = sim_context_create(w->dev, &c->hang_ctx);
	if (!ret && uses_vm(c))
		ret = sim_vm_create(w->dev, w->file, c->id % 2 ? SIM_VM_RESV_PROTECTED : 0, &c->vm);
	if (!ret && uses_vm(c))	/* the VM's resv in the trace: 1000 + client */
		(void)sim_trace_label_lock(&sim_vm_resv(c->vm)->lock, 1000 + c->id);
	if (!ret)
		ret = pick_shared(c);
	if (ret)
		return ret;
	/* shared..., private..., userptr, victim, batch ring */
	c->nobjs = c->nshared + RS_PRIVATE_OBJECTS + 3;
	c->objs = calloc(c->nobjs, sizeof(*c->objs));
	c->counter_sum = calloc(w->nshared, sizeof(*c->counter_sum));
	if (!c->objs || !c->counter_sum)
		return -ENOMEM;
	ret = setup_shared(c);
	i = c->nshared;
	for (unsigned int j = 0; !ret && j < RS_PRIVATE_OBJECTS; j++, i++)
		ret = make_private(c, &c->objs[i], RS_OBJ_PRIVATE,
				   rand_pages(&c->rng, 32 * KIB, 128 * KIB), RS_PRIVATE_VA(c->id, j));
	if (!ret)
		ret = make_userptr(c, &c->objs[i++]);
	c->victim = i;
	if (!ret)
		ret = make_private(c, &c->objs[i++], RS_OBJ_VICTIM, SIM_PAGE_SIZE,
				   RS_VICTIM_VA(c->id));
	c->batch = i;
	if (!ret)
		ret = make_private(c, &c->objs[i++], RS_OBJ_PRIVATE,
				   RS_BATCH_SLOTS * SIM_PAGE_SIZE, RS_BATCH_VA(c->id));
	for (i = 0; !ret && i < c->nobjs; i++) {
		struct rs_object *o = &c->objs[i];

		if (i != c->batch && !(o->shadow = calloc(o->lane_dw, 4)))
			ret = -ENOMEM;
	}
	/* The VM maps its shared objects, and every private one. */
	for (i = 0; !ret && uses_vm(c) && i < c->nvm_shared; i++)
		ret = bind(c, &c->objs[c->vm_shared[i]]);
	for (i = c->nshared; !ret && uses_vm(c) && i < c->nobjs; i++)
		ret = bind(c, &c->objs[i]);
	return ret;
}

void rs_client_teardown(struct rs_client *c)
{
	struct rs_world *w = c->w;

	for (unsigned int i = 0; i < RS_BATCH_SLOTS; i++)
		dma_fence_put(c->slot_fence[i]);
	dma_fence_put(c->last);
	for (unsigned int i = 0; c->objs && i < c->nobjs; i++) {
		struct rs_object *o = &c->objs[i];

		free(o->shadow);
		sim_bo_put(o->bo);	/* local BOs: before their VM */
		if (o->handle && o->kind != RS_OBJ_SHARED)
			sim_gem_close(w->file, o->handle);
	}
	sim_vm_destroy(c->vm);
	sim_context_put(c->ctx);
	sim_context_put(c->hang_ctx);
	free(c->objs);
	free(c->shared_map);
	free(c->vm_shared);
	free(c->counter_sum);
	c->objs = NULL;
}
