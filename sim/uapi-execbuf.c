/* SPDX-License-Identifier: MIT */
/*
 * DRM_IOCTL_I915_GEM_EXECBUFFER2(_WR): libdrm's drm_i915_gem_execbuffer2
 * and exec_object2 translated into a native struct sim_execbuf.
 *
 * Everything that can fail is done before sim_execbuf() submits: argument
 * checks in i915's order, copies of the object and relocation arrays,
 * in-fence lookups merged into one fence (dma_fence_unwrap_merge(): the
 * native path takes one in-fence), the FENCE_OUT fd reserved and syncobj
 * signal points preallocated. After a successful submission only
 * infallible steps remain (install the fence in the sync_file and the
 * syncobjs, write offsets back), so a rejected call changes nothing.
 */
#include <errno.h>
#include <string.h>

#include <drm.h>
#include <i915_drm.h>

#include <resv/alloc.h>
#include <resv/dma-fence-unwrap.h>

#include <sim/execbuf.h>

#include "uapi-internal.h"

/* Object flags accepted; CAPTURE, NEEDS_GTT, PAD_TO_SIZE and 48B are
 * accepted and have no effect on the simulator (docs/uapi.md). */
#define EB_OBJECT_FLAGS                                                          \
	(EXEC_OBJECT_NEEDS_GTT | EXEC_OBJECT_WRITE | EXEC_OBJECT_SUPPORTS_48B_ADDRESS | \
	 EXEC_OBJECT_PINNED | EXEC_OBJECT_PAD_TO_SIZE | EXEC_OBJECT_ASYNC | EXEC_OBJECT_CAPTURE)
/* Execbuf flags accepted (the ring and BSD bits are checked apart). */
#define EB_FLAGS                                                                  \
	(I915_EXEC_RING_MASK | I915_EXEC_NO_RELOC | I915_EXEC_HANDLE_LUT | I915_EXEC_BSD_MASK | \
	 I915_EXEC_FENCE_IN | I915_EXEC_FENCE_OUT | I915_EXEC_BATCH_FIRST |                      \
	 I915_EXEC_FENCE_ARRAY | I915_EXEC_USE_EXTENSIONS | I915_EXEC_IS_PINNED)
/* The domains a relocation may name (i915's I915_GEM_GPU_DOMAINS). */
#define EB_GPU_DOMAINS                                                      \
	(I915_GEM_DOMAIN_RENDER | I915_GEM_DOMAIN_SAMPLER | I915_GEM_DOMAIN_COMMAND | \
	 I915_GEM_DOMAIN_INSTRUCTION | I915_GEM_DOMAIN_VERTEX)
/* i915's user extension chains are bounded too. */
#define EB_MAX_EXTENSIONS 512u
/* The most syncobj fences one execbuf may name. */
#define EB_MAX_FENCES (1u << 16)

struct eb_fence {
	struct dma_fence *wait;			/* reference, or NULL */
	struct uapi_syncobj_signal *signal;	/* prepared, or NULL */
};

struct eb {
	struct uapi_file *uf;
	struct drm_i915_gem_execbuffer2 *args;
	struct drm_i915_gem_exec_object2 *uobjs;	/* the caller's array */
	struct sim_execbuf_object *objs;
	struct sim_reloc *relocs;
	size_t nrelocs;
	struct eb_fence *fences;
	uint32_t nfences;			/* entries to unwind */
	uint32_t fences_alloc;
	struct dma_fence *in_fence;		/* FENCE_IN, reference */
	struct uapi_sync_file *out_sync;
	int out_fd;
};

/* 48-bit GPU addresses as i915 reports them: bit 47 sign-extended. */
static uint64_t canonical(uint64_t addr)
{
	return (uint64_t)((int64_t)(addr << 16) >> 16);
}

static int eb_engine(struct eb *eb, uint32_t *engine)
{
	static const int ring_engine[] = {
		[I915_EXEC_DEFAULT] = 0, [I915_EXEC_RENDER] = 0, [I915_EXEC_BSD] = 1,
		[I915_EXEC_BLT] = 2, [I915_EXEC_VEBOX] = 3,
	};
	uint64_t ring = eb->args->flags & I915_EXEC_RING_MASK;

	if (ring > I915_EXEC_VEBOX)
		return -EINVAL;
	if ((eb->args->flags & I915_EXEC_BSD_MASK) && ring != I915_EXEC_BSD)
		return -EINVAL;
	if ((unsigned int)ring_engine[ring] >=
	    sim_device_num_engines(sim_file_device(eb->uf->file)))
		return -EINVAL;	/* no such engine on this device */
	*engine = (uint32_t)ring_engine[ring];
	return 0;
}

static int eb_copy_relocs(struct eb *eb, uint32_t count)
{
	bool lut = eb->args->flags & I915_EXEC_HANDLE_LUT;
	size_t total = 0, at = 0;

	for (uint32_t i = 0; i < count; i++) {
		const struct drm_i915_gem_exec_object2 *u = &eb->uobjs[i];

		if (u->relocation_count > SIM_EXECBUF_MAX_RELOCS)
			return -EINVAL;
		if (u->relocation_count && !u->relocs_ptr)
			return -EFAULT;
		total += u->relocation_count;
	}
	if (!total)
		return 0;
	eb->relocs = resv_malloc(total * sizeof(*eb->relocs));
	if (!eb->relocs)
		return -ENOMEM;
	eb->nrelocs = total;
	for (uint32_t i = 0; i < count; i++) {
		const struct drm_i915_gem_exec_object2 *u = &eb->uobjs[i];
		const struct drm_i915_gem_relocation_entry *r =
			(const void *)(uintptr_t)u->relocs_ptr;

		eb->objs[i].relocs = &eb->relocs[at];
		eb->objs[i].relocation_count = u->relocation_count;
		for (uint32_t j = 0; j < u->relocation_count; j++, at++) {
			uint32_t target = r[j].target_handle;

			if (r[j].write_domain & (r[j].write_domain - 1))
				return -EINVAL;	/* one write domain at most */
			if ((r[j].read_domains | r[j].write_domain) & ~(uint32_t)EB_GPU_DOMAINS)
				return -EINVAL;
			if (lut) {
				if (target >= count)
					return -ENOENT;
				target = eb->uobjs[target].handle;
			}
			eb->relocs[at] = (struct sim_reloc){
				.offset = r[j].offset,
				.target_handle = target,
				/* i915 adds the delta as a signed 32-bit value */
				.delta = (uint64_t)(int64_t)(int32_t)r[j].delta,
				.presumed_offset = r[j].presumed_offset & ((1ull << 48) - 1),
			};
		}
	}
	return 0;
}

static int eb_copy_objects(struct eb *eb)
{
	uint32_t count = eb->args->buffer_count;

	eb->objs = resv_zalloc(count * sizeof(*eb->objs));
	if (!eb->objs)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++) {
		const struct drm_i915_gem_exec_object2 *u = &eb->uobjs[i];
		struct sim_execbuf_object *o = &eb->objs[i];

		if (u->flags & ~(uint64_t)EB_OBJECT_FLAGS)
			return -EINVAL;
		if (u->alignment & (u->alignment - 1))
			return -EINVAL;
		if ((u->flags & EXEC_OBJECT_PINNED) &&
		    u->offset != canonical(u->offset & ~(uint64_t)(SIM_PAGE_SIZE - 1)))
			return -EINVAL;
		if ((u->flags & EXEC_OBJECT_PAD_TO_SIZE) && (u->pad_to_size & (SIM_PAGE_SIZE - 1)))
			return -EINVAL;
		o->handle = u->handle;
		o->offset = u->offset & ((1ull << 48) - 1);
		if (u->flags & EXEC_OBJECT_WRITE)
			o->flags |= SIM_EXEC_OBJECT_WRITE;
		if (u->flags & EXEC_OBJECT_PINNED)
			o->flags |= SIM_EXEC_OBJECT_PINNED;
		if (u->flags & EXEC_OBJECT_ASYNC)
			o->flags |= SIM_EXEC_OBJECT_ASYNC;
	}
	return eb_copy_relocs(eb, count);
}

/* One drm_i915_gem_exec_fence (with its timeline @point, 0 for binary). */
static int eb_add_fence(struct eb *eb, const struct drm_i915_gem_exec_fence *f, uint64_t point)
{
	struct eb_fence *ef = &eb->fences[eb->nfences];
	int ret;

	if (f->flags & __I915_EXEC_FENCE_UNKNOWN_FLAGS)
		return -EINVAL;
	if (f->flags & I915_EXEC_FENCE_WAIT) {
		ret = uapi_syncobj_wait_fence(eb->uf, f->handle, point, &ef->wait);
		/* i915 lets WAIT|SIGNAL on an empty syncobj through. */
		if (ret == -EINVAL && (f->flags & I915_EXEC_FENCE_SIGNAL))
			ret = 0;
		if (ret)
			return ret;
	}
	eb->nfences++;	/* from here on the entry is unwound */
	if (f->flags & I915_EXEC_FENCE_SIGNAL)
		return uapi_syncobj_signal_prepare(eb->uf, f->handle, point, &ef->signal);
	if (!(f->flags & I915_EXEC_FENCE_WAIT)) {
		/* No flag: the handle must still exist. */
		ret = uapi_syncobj_wait_fence(eb->uf, f->handle, 0, &ef->wait);
		return ret == -ENOENT ? ret : 0;
	}
	return 0;
}

static int eb_alloc_fences(struct eb *eb, uint64_t count)
{
	if (count > EB_MAX_FENCES)
		return -EINVAL;
	eb->fences = resv_zalloc(count * sizeof(*eb->fences));
	if (!eb->fences)
		return -ENOMEM;
	eb->fences_alloc = (uint32_t)count;
	return 0;
}

static int eb_fence_array(struct eb *eb)
{
	const struct drm_i915_gem_exec_fence *f = (const void *)(uintptr_t)eb->args->cliprects_ptr;
	uint32_t n = eb->args->num_cliprects;
	int ret;

	if (!n)
		return 0;
	if (!f)
		return -EFAULT;
	ret = eb_alloc_fences(eb, n);
	for (uint32_t i = 0; !ret && i < n; i++)
		ret = eb_add_fence(eb, &f[i], 0);
	return ret;
}

static int eb_timeline_fences(struct eb *eb, const struct drm_i915_gem_execbuffer_ext_timeline_fences *ext)
{
	const struct drm_i915_gem_exec_fence *f = (const void *)(uintptr_t)ext->handles_ptr;
	const uint64_t *points = (const void *)(uintptr_t)ext->values_ptr;
	int ret;

	if (eb->fences)
		return -EINVAL;	/* named twice */
	if (!ext->fence_count)
		return 0;
	if (!f || !points)
		return -EFAULT;
	ret = eb_alloc_fences(eb, ext->fence_count);
	for (uint64_t i = 0; !ret && i < ext->fence_count; i++)
		ret = eb_add_fence(eb, &f[i], points[i]);
	return ret;
}

static int eb_extensions(struct eb *eb)
{
	const struct i915_user_extension *ext = (const void *)(uintptr_t)eb->args->cliprects_ptr;
	unsigned int n = 0;
	int ret;

	if (eb->args->flags & I915_EXEC_FENCE_ARRAY)
		return -EINVAL;	/* both would use cliprects_ptr */
	if (eb->args->num_cliprects)
		return -EINVAL;
	for (; ext; ext = (const void *)(uintptr_t)ext->next_extension) {
		if (++n > EB_MAX_EXTENSIONS)
			return -E2BIG;
		if (ext->flags || ext->rsvd[0] || ext->rsvd[1] || ext->rsvd[2] || ext->rsvd[3])
			return -EINVAL;
		if (ext->name != DRM_I915_GEM_EXECBUFFER_EXT_TIMELINE_FENCES)
			return -EINVAL;
		ret = eb_timeline_fences(eb, (const void *)ext);
		if (ret)
			return ret;
	}
	return 0;
}

/* All in-fences as one (NULL when there are none). */
static int eb_merge_in_fences(struct eb *eb, struct dma_fence **out)
{
	struct dma_fence **list;
	struct dma_fence_unwrap *cursors;
	unsigned int n = 0;

	*out = NULL;
	list = resv_zalloc((eb->nfences + 1) * sizeof(*list));
	cursors = resv_zalloc((eb->nfences + 1) * sizeof(*cursors));
	if (!list || !cursors) {
		resv_free(list, (eb->nfences + 1) * sizeof(*list));
		resv_free(cursors, (eb->nfences + 1) * sizeof(*cursors));
		return -ENOMEM;
	}
	if (eb->in_fence)
		list[n++] = eb->in_fence;
	for (uint32_t i = 0; i < eb->nfences; i++)
		if (eb->fences[i].wait)
			list[n++] = eb->fences[i].wait;
	if (n == 1)
		*out = dma_fence_get(list[0]);
	else if (n > 1)
		*out = __dma_fence_unwrap_merge(n, list, cursors);
	resv_free(list, (eb->nfences + 1) * sizeof(*list));
	resv_free(cursors, (eb->nfences + 1) * sizeof(*cursors));
	return n && !*out ? -ENOMEM : 0;
}

static void eb_fini(struct eb *eb, struct dma_fence *fence)
{
	for (uint32_t i = 0; i < eb->nfences; i++) {
		struct eb_fence *ef = &eb->fences[i];

		if (ef->wait)
			dma_fence_put(ef->wait);
		if (ef->signal && fence)
			uapi_syncobj_signal_commit(ef->signal, fence);
		else if (ef->signal)
			uapi_syncobj_signal_abort(ef->signal);
	}
	if (eb->fences)
		resv_free(eb->fences, eb->fences_alloc * sizeof(*eb->fences));
	if (eb->in_fence)
		dma_fence_put(eb->in_fence);
	if (eb->relocs)
		resv_free(eb->relocs, eb->nrelocs * sizeof(*eb->relocs));
	if (eb->objs)
		resv_free(eb->objs, eb->args->buffer_count * sizeof(*eb->objs));
}

/* i915_gem_check_execbuffer() and the buffer count, before any copy. */
static int eb_check_args(struct drm_i915_gem_execbuffer2 *args, unsigned long cmd)
{
	if (args->buffer_count < 1 || args->buffer_count > SIM_EXECBUF_MAX_OBJECTS)
		return -EINVAL;
	if (args->flags & ~(uint64_t)EB_FLAGS)
		return -EINVAL;
	if (!(args->flags & (I915_EXEC_FENCE_ARRAY | I915_EXEC_USE_EXTENSIONS)) &&
	    (args->num_cliprects || args->cliprects_ptr))
		return -EINVAL;
	if (args->DR4 == 0xffffffff)
		args->DR4 = 0;	/* UXA's garbage, fixed up as i915 does */
	if (args->DR1 || args->DR4)
		return -EINVAL;
	if ((args->batch_start_offset | args->batch_len) & 7)
		return -EINVAL;
	/* The fd could not be reported without _WR's copy back. */
	if ((args->flags & I915_EXEC_FENCE_OUT) && !(cmd & IOC_OUT))
		return -EINVAL;
	if (!args->buffers_ptr)
		return -EFAULT;
	return 0;
}

int uapi_ioctl_i915_execbuffer2(struct uapi_file *uf, void *data, unsigned long cmd)
{
	struct drm_i915_gem_execbuffer2 *args = data;
	struct eb eb = { .uf = uf, .args = args, .out_fd = -1 };
	struct dma_fence *in = NULL, *fence = NULL;
	struct sim_execbuf native;
	struct sim_context *ctx;
	bool want_fence;
	int ret;

	ret = eb_check_args(args, cmd);
	if (ret)
		return ret;
	eb.uobjs = (struct drm_i915_gem_exec_object2 *)(uintptr_t)args->buffers_ptr;
	ctx = uapi_context_lookup(uf, (uint32_t)args->rsvd1);
	if (!ctx)
		return -ENOENT;
	native = (struct sim_execbuf){
		.count = args->buffer_count,
		.batch_index = (args->flags & I915_EXEC_BATCH_FIRST) ? 0 : args->buffer_count - 1,
		.batch_start_offset = args->batch_start_offset,
		.batch_len = args->batch_len,
		.ctx = ctx,
	};
	ret = eb_engine(&eb, &native.engine);
	if (!ret)
		ret = eb_copy_objects(&eb);
	if (!ret && (args->flags & I915_EXEC_FENCE_IN))
		ret = uapi_sync_file_fence((int)(uint32_t)args->rsvd2, &eb.in_fence);
	if (!ret && (args->flags & I915_EXEC_FENCE_ARRAY))
		ret = eb_fence_array(&eb);
	if (!ret && (args->flags & I915_EXEC_USE_EXTENSIONS))
		ret = eb_extensions(&eb);
	if (!ret)
		ret = eb_merge_in_fences(&eb, &in);
	if (!ret && (args->flags & I915_EXEC_FENCE_OUT)) {
		ret = uapi_sync_file_reserve(uf->obj.dev, &eb.out_sync);
		if (ret >= 0) {
			eb.out_fd = ret;
			ret = 0;
		}
	}
	if (ret)
		goto out;

	want_fence = eb.out_sync;
	for (uint32_t i = 0; i < eb.nfences; i++)
		want_fence |= eb.fences[i].signal != NULL;
	native.objects = eb.objs;
	native.in_fence = in;
	native.flags = want_fence ? SIM_EXECBUF_FENCE_OUT : 0;
	ret = sim_execbuf(uf->file, &native, &fence);
	if (ret)
		goto out;

	/* Submitted: nothing below can fail. */
	for (uint32_t i = 0; i < args->buffer_count; i++)
		eb.uobjs[i].offset = canonical(eb.objs[i].offset);
	if (eb.out_sync) {
		uapi_sync_file_set_fence(eb.out_sync, fence);
		eb.out_sync = NULL;
		args->rsvd2 = (args->rsvd2 & 0xffffffffull) | ((uint64_t)eb.out_fd << 32);
	}
out:
	if (eb.out_sync)
		uapi_sync_file_unreserve(eb.out_sync, eb.out_fd);
	eb_fini(&eb, ret ? NULL : fence);
	if (in)
		dma_fence_put(in);
	if (fence)
		dma_fence_put(fence);
	sim_context_put(ctx);
	return ret;
}
