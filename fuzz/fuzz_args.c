// SPDX-License-Identifier: MIT
/*
 * Turning a record's bytes into an ioctl call (fuzz.h has the format):
 * the request, the struct, and every pointer field redirected to a harness
 * buffer (or NULL), fd fields taken from the pool, timeouts and sizes
 * clamped. After the call, fds the call returned join the pool.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>
#include <i915_drm.h>

#include <sim/drm.h>

#include "fuzz_harness.h"

static const struct {
	unsigned long request;
	size_t size;
} fuzz_ops[FUZZ_NUM_OPS] = {
#define OP(op, req, type) [op] = { req, sizeof(type) }
	OP(FUZZ_VERSION, DRM_IOCTL_VERSION, struct drm_version),
	OP(FUZZ_GET_CAP, DRM_IOCTL_GET_CAP, struct drm_get_cap),
	OP(FUZZ_GEM_CLOSE, DRM_IOCTL_GEM_CLOSE, struct drm_gem_close),
	OP(FUZZ_PRIME_HANDLE_TO_FD, DRM_IOCTL_PRIME_HANDLE_TO_FD, struct drm_prime_handle),
	OP(FUZZ_PRIME_FD_TO_HANDLE, DRM_IOCTL_PRIME_FD_TO_HANDLE, struct drm_prime_handle),
	OP(FUZZ_SYNCOBJ_CREATE, DRM_IOCTL_SYNCOBJ_CREATE, struct drm_syncobj_create),
	OP(FUZZ_SYNCOBJ_DESTROY, DRM_IOCTL_SYNCOBJ_DESTROY, struct drm_syncobj_destroy),
	OP(FUZZ_SYNCOBJ_HANDLE_TO_FD, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, struct drm_syncobj_handle),
	OP(FUZZ_SYNCOBJ_FD_TO_HANDLE, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, struct drm_syncobj_handle),
	OP(FUZZ_SYNCOBJ_WAIT, DRM_IOCTL_SYNCOBJ_WAIT, struct drm_syncobj_wait),
	OP(FUZZ_SYNCOBJ_TIMELINE_WAIT, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
	   struct drm_syncobj_timeline_wait),
	OP(FUZZ_SYNCOBJ_RESET, DRM_IOCTL_SYNCOBJ_RESET, struct drm_syncobj_array),
	OP(FUZZ_SYNCOBJ_SIGNAL, DRM_IOCTL_SYNCOBJ_SIGNAL, struct drm_syncobj_array),
	OP(FUZZ_SYNCOBJ_TIMELINE_SIGNAL, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
	   struct drm_syncobj_timeline_array),
	OP(FUZZ_SYNCOBJ_QUERY, DRM_IOCTL_SYNCOBJ_QUERY, struct drm_syncobj_timeline_array),
	OP(FUZZ_SYNCOBJ_TRANSFER, DRM_IOCTL_SYNCOBJ_TRANSFER, struct drm_syncobj_transfer),
	OP(FUZZ_I915_GETPARAM, DRM_IOCTL_I915_GETPARAM, struct drm_i915_getparam),
	OP(FUZZ_I915_GEM_CREATE, DRM_IOCTL_I915_GEM_CREATE, struct drm_i915_gem_create),
	OP(FUZZ_I915_GEM_USERPTR, DRM_IOCTL_I915_GEM_USERPTR, struct drm_i915_gem_userptr),
	OP(FUZZ_I915_GEM_PWRITE, DRM_IOCTL_I915_GEM_PWRITE, struct drm_i915_gem_pwrite),
	OP(FUZZ_I915_GEM_PREAD, DRM_IOCTL_I915_GEM_PREAD, struct drm_i915_gem_pread),
	OP(FUZZ_I915_GEM_WAIT, DRM_IOCTL_I915_GEM_WAIT, struct drm_i915_gem_wait),
	OP(FUZZ_I915_CONTEXT_CREATE, DRM_IOCTL_I915_GEM_CONTEXT_CREATE,
	   struct drm_i915_gem_context_create),
	OP(FUZZ_I915_CONTEXT_DESTROY, DRM_IOCTL_I915_GEM_CONTEXT_DESTROY,
	   struct drm_i915_gem_context_destroy),
	OP(FUZZ_I915_EXECBUFFER2, DRM_IOCTL_I915_GEM_EXECBUFFER2, struct drm_i915_gem_execbuffer2),
	OP(FUZZ_I915_EXECBUFFER2_WR, DRM_IOCTL_I915_GEM_EXECBUFFER2_WR,
	   struct drm_i915_gem_execbuffer2),
	OP(FUZZ_RAW, 0, uint32_t),
#undef OP
};

/* A harness buffer of @bytes filled from the payload; NULL when too big. */
static void *fuzz_buffer(struct fuzz_call *c, size_t bytes)
{
	uint8_t *p;

	if (c->ctl & FUZZ_CTL_NULL_PTRS || c->nbufs == FUZZ_MAX_BUFS || bytes > FUZZ_MAX_BUF_BYTES)
		return NULL;
	p = calloc(1, bytes ? bytes : 1);
	if (!p)
		abort();
	for (size_t i = 0; c->plen && i < bytes; i++) {
		p[i] = c->payload[c->pcur];
		c->pcur = (c->pcur + 1) % c->plen;
	}
	c->bufs[c->nbufs++] = p;
	return p;
}

/* An array of @count elements of @elem bytes, or NULL beyond FUZZ_MAX_ELEMS. */
static uint64_t fuzz_array(struct fuzz_call *c, uint64_t count, size_t elem)
{
	if (count > FUZZ_MAX_ELEMS)
		return 0;
	return (uintptr_t)fuzz_buffer(c, (size_t)count * elem);
}

static int fuzz_pool_fd(const struct fuzz_state *st, uint8_t ctl)
{
	unsigned int slot = ctl >> 4;

	return slot < st->pool_len ? st->pool[slot] : -1;
}

/* An absolute deadline at most a millisecond away (negative kept: a poll). */
static int64_t fuzz_deadline(int64_t raw)
{
	struct timespec ts;

	if (raw <= 0)
		return raw;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + raw % 1000000;
}

static void fuzz_prepare_execbuf(struct fuzz_state *st, struct fuzz_call *c,
				 struct drm_i915_gem_execbuffer2 *eb)
{
	struct drm_i915_gem_exec_object2 *objs;

	objs = (void *)(uintptr_t)fuzz_array(c, eb->buffer_count, sizeof(*objs));
	eb->buffers_ptr = (uintptr_t)objs;
	for (uint32_t i = 0; objs && i < eb->buffer_count; i++)
		objs[i].relocs_ptr = fuzz_array(c, objs[i].relocation_count,
						sizeof(struct drm_i915_gem_relocation_entry));

	if (eb->flags & I915_EXEC_FENCE_ARRAY) {
		eb->cliprects_ptr = fuzz_array(c, eb->num_cliprects,
					       sizeof(struct drm_i915_gem_exec_fence));
	} else if (eb->flags & I915_EXEC_USE_EXTENSIONS) {
		/*
		 * A chain of up to FUZZ_MAX_EXTS extensions: another one follows
		 * while the payload gave a non-zero next_extension.
		 */
		struct drm_i915_gem_execbuffer_ext_timeline_fences *ext[FUZZ_MAX_EXTS] = { NULL };

		for (unsigned int i = 0; i < FUZZ_MAX_EXTS; i++) {
			bool more;

			ext[i] = fuzz_buffer(c, sizeof(*ext[i]));
			if (!ext[i])
				break;
			more = ext[i]->base.next_extension != 0;
			ext[i]->handles_ptr = fuzz_array(c, ext[i]->fence_count,
							 sizeof(struct drm_i915_gem_exec_fence));
			ext[i]->values_ptr = fuzz_array(c, ext[i]->fence_count, sizeof(uint64_t));
			ext[i]->base.next_extension = 0;
			if (i)
				ext[i - 1]->base.next_extension = (uintptr_t)ext[i];
			if (!more)
				break;
		}
		eb->cliprects_ptr = (uintptr_t)ext[0];
	} else if (eb->cliprects_ptr || eb->num_cliprects) {
		eb->cliprects_ptr = fuzz_array(c, eb->num_cliprects ? eb->num_cliprects : 1,
					       sizeof(struct drm_clip_rect));
	}
	if (eb->flags & (I915_EXEC_FENCE_IN | I915_EXEC_FENCE_SUBMIT))
		eb->rsvd2 = (uint32_t)fuzz_pool_fd(st, c->ctl);
	if (!(c->ctl & FUZZ_CTL_RAW_CTX))
		eb->rsvd1 &= 3;
}

void fuzz_prepare(struct fuzz_state *st, struct fuzz_call *c, enum fuzz_op op,
		  const uint8_t *s, size_t slen)
{
	void *arg = st->arg;
	size_t size = fuzz_ops[op].size;

	memset(st->arg, 0, sizeof(st->arg));
	c->op = op;
	c->request = fuzz_ops[op].request;
	if (op == FUZZ_RAW) {
		/* only the number: a zeroed struct has no pointer to follow */
		uint32_t req = 0;

		memcpy(&req, s, slen < 4 ? slen : 4);
		c->request = req;
		return;
	}
	memcpy(arg, s, slen < size ? slen : size);
	if (c->ctl & FUZZ_CTL_BAD_SIZE) {
		size_t bad = size >= 16 && (s[0] & 1) ? size - 8 : size + 8;

		c->request = (c->request & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
			     ((unsigned long)bad << _IOC_SIZESHIFT);
	}

	switch (op) {
	case FUZZ_VERSION: {
		struct drm_version *v = arg;

		v->name = fuzz_buffer(c, v->name_len);
		v->date = fuzz_buffer(c, v->date_len);
		v->desc = fuzz_buffer(c, v->desc_len);
		break;
	}
	case FUZZ_PRIME_FD_TO_HANDLE:
		((struct drm_prime_handle *)arg)->fd = fuzz_pool_fd(st, c->ctl);
		break;
	case FUZZ_SYNCOBJ_HANDLE_TO_FD:
	case FUZZ_SYNCOBJ_FD_TO_HANDLE:
		((struct drm_syncobj_handle *)arg)->fd = fuzz_pool_fd(st, c->ctl);
		break;
	case FUZZ_SYNCOBJ_WAIT: {
		struct drm_syncobj_wait *w = arg;

		w->handles = fuzz_array(c, w->count_handles, sizeof(uint32_t));
		w->timeout_nsec = fuzz_deadline(w->timeout_nsec);
		break;
	}
	case FUZZ_SYNCOBJ_TIMELINE_WAIT: {
		struct drm_syncobj_timeline_wait *w = arg;

		w->handles = fuzz_array(c, w->count_handles, sizeof(uint32_t));
		w->points = fuzz_array(c, w->count_handles, sizeof(uint64_t));
		w->timeout_nsec = fuzz_deadline(w->timeout_nsec);
		break;
	}
	case FUZZ_SYNCOBJ_RESET:
	case FUZZ_SYNCOBJ_SIGNAL: {
		struct drm_syncobj_array *a = arg;

		a->handles = fuzz_array(c, a->count_handles, sizeof(uint32_t));
		break;
	}
	case FUZZ_SYNCOBJ_TIMELINE_SIGNAL:
	case FUZZ_SYNCOBJ_QUERY: {
		struct drm_syncobj_timeline_array *a = arg;

		a->handles = fuzz_array(c, a->count_handles, sizeof(uint32_t));
		a->points = fuzz_array(c, a->count_handles, sizeof(uint64_t));
		break;
	}
	case FUZZ_I915_GETPARAM: {
		struct drm_i915_getparam *gp = arg;

		gp->value = fuzz_buffer(c, sizeof(int));
		break;
	}
	case FUZZ_I915_GEM_CREATE: {
		struct drm_i915_gem_create *cr = arg;

		if (cr->size > FUZZ_MAX_BO_BYTES)
			cr->size &= FUZZ_MAX_BO_BYTES - 1;
		break;
	}
	case FUZZ_I915_GEM_USERPTR: {
		struct drm_i915_gem_userptr *up = arg;

		/* an address in the file's simulated mm, not a host pointer */
		up->user_ptr = FUZZ_USERPTR_VA + up->user_ptr % (2 * FUZZ_USERPTR_SIZE);
		up->user_size %= 2 * FUZZ_USERPTR_SIZE + 4096;
		break;
	}
	case FUZZ_I915_GEM_PWRITE:
	case FUZZ_I915_GEM_PREAD: {
		/* pwrite and pread share the layout */
		struct drm_i915_gem_pwrite *pw = arg;

		if (pw->size > FUZZ_MAX_BUF_BYTES)
			pw->size %= FUZZ_MAX_BUF_BYTES;
		pw->data_ptr = (uintptr_t)fuzz_buffer(c, pw->size);
		break;
	}
	case FUZZ_I915_GEM_WAIT: {
		struct drm_i915_gem_wait *w = arg;

		if (w->timeout_ns > 0)
			w->timeout_ns %= 1000000;
		else if (w->timeout_ns < 0)
			w->timeout_ns = 1000000;	/* "forever", bounded */
		break;
	}
	case FUZZ_I915_EXECBUFFER2:
	case FUZZ_I915_EXECBUFFER2_WR:
		fuzz_prepare_execbuf(st, c, arg);
		break;
	default:
		break;
	}
}

/* A new fd the call returned: into the pool, or closed when it is full. */
static void fuzz_pool_add(struct fuzz_state *st, int fd)
{
	if (fd < 0)
		return;
	if (st->pool_len < FUZZ_POOL_SIZE)
		st->pool[st->pool_len++] = fd;
	else if (sim_drm_close(fd))
		close(fd);
}

void fuzz_after(struct fuzz_state *st, struct fuzz_call *c, int ret)
{
	if (ret == 0) {
		switch (c->op) {
		case FUZZ_PRIME_HANDLE_TO_FD:
			fuzz_pool_add(st, ((struct drm_prime_handle *)st->arg)->fd);
			break;
		case FUZZ_SYNCOBJ_HANDLE_TO_FD: {
			struct drm_syncobj_handle *h = (void *)st->arg;

			if (!(h->flags & DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE) ||
			    h->fd >= 0)
				fuzz_pool_add(st, h->fd);
			break;
		}
		case FUZZ_I915_EXECBUFFER2_WR: {
			struct drm_i915_gem_execbuffer2 *eb = (void *)st->arg;

			if (eb->flags & I915_EXEC_FENCE_OUT)
				fuzz_pool_add(st, (int)(eb->rsvd2 >> 32));
			break;
		}
		default:
			break;
		}
	}
	for (unsigned int i = 0; i < c->nbufs; i++)
		free(c->bufs[i]);
	c->nbufs = 0;
}
