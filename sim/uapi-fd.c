/* SPDX-License-Identifier: MIT */
/*
 * The fd registry: real file descriptors for the simulator's objects.
 *
 * Each object's fd is one end of a socketpair(AF_UNIX, SOCK_STREAM); the
 * registry keeps the other end. Why a socket pair rather than a pipe: a
 * pipe's two ends share one inode (the kept end would be taken for the
 * user's), and writing a pipe whose readers are gone raises SIGPIPE,
 * while send(MSG_NOSIGNAL) on a socket does not — a sync_file's fence
 * callback writes one readiness byte into the kept end, whenever the fence
 * happens to signal, so that poll() on the user's fd reports POLLIN.
 *
 * Identity is the user end's (st_dev, st_ino): every dup() or fork() copy
 * has it, and while the registry keeps the peer the socket inode stays
 * alive, so its number cannot be given to another socket meanwhile. An fd
 * number closed and reused by an unrelated open() has another identity
 * and misses (-EBADF).
 *
 * Release: once every copy of the user end is closed, the kept end
 * reports POLLHUP. A sweep polls every kept end (in chunks, timeout 0),
 * unregisters the hung-up objects and drops the registry's reference on
 * each — the kernel's last fput(). Sweeps run when as many fds were
 * created or lookups missed since the last one as there are objects
 * (amortised O(1) per call), from entry points only, with nothing held:
 * releasing a DRM file waits for its GPU work.
 *
 * Lifetimes: the registry holds one reference per registered object;
 * lookups take their own, so an ioctl keeps its objects alive even when
 * their fds are closed and swept meanwhile. The kept end is closed only by
 * the last put, after the object's release removed its fence callback.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <resv/alloc.h>

#include "uapi-internal.h"

#define BUCKETS_MIN 64u
#define SWEEP_CHUNK 64u
#define SWEEP_MIN 16u

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct uapi_obj **buckets;		/* reg_lock */
static size_t nbuckets;				/* reg_lock; a power of two */
static size_t nobjs;				/* reg_lock */
static size_t kind_count[SIM_DRM_FD_SYNCOBJ + 1];	/* reg_lock */
static unsigned long sweep_due;			/* atomic */

static size_t bucket_of(dev_t dev, ino_t ino, size_t n)
{
	uint64_t h = ((uint64_t)ino * 0x9e3779b97f4a7c15ull) ^ (uint64_t)dev;

	h ^= h >> 29;
	return (size_t)(h & (n - 1));
}

void uapi_obj_init(struct uapi_obj *obj, enum sim_drm_fd_kind kind, struct sim_device *dev,
		   uapi_release_fn release)
{
	memset(obj, 0, sizeof(*obj));
	obj->kind = kind;
	obj->refs = 1;
	obj->dev = dev;
	obj->release = release;
	obj->kept_fd = -1;
}

struct uapi_obj *uapi_obj_get(struct uapi_obj *obj)
{
	__atomic_add_fetch(&obj->refs, 1, __ATOMIC_RELAXED);
	return obj;
}

void uapi_obj_put(struct uapi_obj *obj)
{
	int kept;

	if (!obj || __atomic_sub_fetch(&obj->refs, 1, __ATOMIC_ACQ_REL))
		return;
	kept = obj->kept_fd;
	obj->release(obj);	/* removes fence callbacks that write @kept */
	if (kept >= 0)
		close(kept);
}

void uapi_obj_signal_readable(struct uapi_obj *obj)
{
	/* One byte is enough: POLLIN stays until somebody reads it. */
	(void)!send(obj->kept_fd, "", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Rehash into twice as many buckets; reg_lock held. */
static int grow_locked(void)
{
	size_t n = nbuckets ? nbuckets * 2 : BUCKETS_MIN;
	struct uapi_obj **nb = resv_zalloc(n * sizeof(*nb));

	if (!nb)
		return -ENOMEM;
	for (size_t i = 0; i < nbuckets; i++) {
		struct uapi_obj *obj, *next;

		for (obj = buckets[i]; obj; obj = next) {
			size_t b = bucket_of(obj->st_dev, obj->st_ino, n);

			next = obj->hash_next;
			obj->hash_next = nb[b];
			nb[b] = obj;
		}
	}
	resv_free(buckets, nbuckets * sizeof(*buckets));
	buckets = nb;
	nbuckets = n;
	return 0;
}

static void unlink_locked(struct uapi_obj *obj)
{
	struct uapi_obj **pp = &buckets[bucket_of(obj->st_dev, obj->st_ino, nbuckets)];

	while (*pp != obj)
		pp = &(*pp)->hash_next;
	*pp = obj->hash_next;
	obj->hash_next = NULL;
	obj->registered = false;
	nobjs--;
	kind_count[obj->kind]--;
}

int uapi_obj_install(struct uapi_obj *obj, bool cloexec)
{
	struct stat st;
	int sv[2], ret;
	size_t b;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	if (!cloexec && fcntl(sv[0], F_SETFD, 0))
		goto err_errno;
	if (fstat(sv[0], &st))
		goto err_errno;

	pthread_mutex_lock(&reg_lock);
	if (nobjs + 1 > nbuckets) {
		ret = grow_locked();
		if (ret) {
			pthread_mutex_unlock(&reg_lock);
			close(sv[0]);
			close(sv[1]);
			return ret;
		}
	}
	obj->kept_fd = sv[1];
	obj->st_dev = st.st_dev;
	obj->st_ino = st.st_ino;
	b = bucket_of(st.st_dev, st.st_ino, nbuckets);
	obj->hash_next = buckets[b];
	buckets[b] = obj;
	obj->registered = true;
	nobjs++;
	kind_count[obj->kind]++;
	pthread_mutex_unlock(&reg_lock);
	__atomic_add_fetch(&sweep_due, 1, __ATOMIC_RELAXED);
	return sv[0];

err_errno:
	ret = -errno;
	close(sv[0]);
	close(sv[1]);
	return ret;
}

void uapi_obj_uninstall(struct uapi_obj *obj, int fd)
{
	bool unlinked = false;

	pthread_mutex_lock(&reg_lock);
	if (obj->registered) {
		unlink_locked(obj);
		unlinked = true;
	}
	pthread_mutex_unlock(&reg_lock);
	close(fd);
	if (unlinked)	/* else a sweep dropped the registry's reference */
		uapi_obj_put(obj);
}

struct uapi_obj *uapi_obj_lookup(int fd, enum sim_drm_fd_kind kind)
{
	struct uapi_obj *obj = NULL;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) || !S_ISSOCK(st.st_mode))
		goto miss;
	pthread_mutex_lock(&reg_lock);
	if (nbuckets) {
		obj = buckets[bucket_of(st.st_dev, st.st_ino, nbuckets)];
		while (obj && (obj->st_ino != st.st_ino || obj->st_dev != st.st_dev))
			obj = obj->hash_next;
	}
	if (obj && (kind == SIM_DRM_FD_NONE || obj->kind == kind))
		uapi_obj_get(obj);
	else if (obj)
		obj = NULL;	/* ours, of another kind: not a miss */
	else
		__atomic_add_fetch(&sweep_due, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&reg_lock);
	return obj;
miss:
	__atomic_add_fetch(&sweep_due, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* Unregister the hung-up objects among @objs; reg_lock held. Returns how
 * many were moved to *@dead. */
static unsigned int poll_chunk_locked(struct uapi_obj **objs, unsigned int n,
				      struct uapi_obj **dead)
{
	struct pollfd pfd[SWEEP_CHUNK];
	unsigned int released = 0;

	for (unsigned int i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = objs[i]->kept_fd, .events = POLLIN };
	if (poll(pfd, n, 0) <= 0)
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		if (!(pfd[i].revents & (POLLHUP | POLLERR | POLLNVAL)))
			continue;
		unlink_locked(objs[i]);
		objs[i]->hash_next = *dead;
		*dead = objs[i];
		released++;
	}
	return released;
}

unsigned int sim_drm_sweep(void)
{
	struct uapi_obj *chunk[SWEEP_CHUNK], *dead = NULL, *next;
	unsigned int n = 0, released = 0;

	pthread_mutex_lock(&reg_lock);
	__atomic_store_n(&sweep_due, 0, __ATOMIC_RELAXED);
	for (size_t b = 0; b < nbuckets; b++) {
		/* Read the successor before a poll may unlink the current
		 * object; the successor is not collected yet, so it stays. */
		for (struct uapi_obj *obj = buckets[b]; obj; obj = next) {
			next = obj->hash_next;
			chunk[n++] = obj;
			if (n == SWEEP_CHUNK) {
				released += poll_chunk_locked(chunk, n, &dead);
				n = 0;
			}
		}
	}
	if (n)
		released += poll_chunk_locked(chunk, n, &dead);
	pthread_mutex_unlock(&reg_lock);
	for (; dead; dead = next) {
		next = dead->hash_next;
		dead->hash_next = NULL;
		uapi_obj_put(dead);
	}
	return released;
}

void uapi_maybe_sweep(void)
{
	unsigned long due = __atomic_load_n(&sweep_due, __ATOMIC_RELAXED);
	size_t live;

	if (due < SWEEP_MIN)
		return;
	pthread_mutex_lock(&reg_lock);
	live = nobjs;
	pthread_mutex_unlock(&reg_lock);
	if (due >= live)
		(void)sim_drm_sweep();
}

size_t uapi_obj_count_dev(struct sim_device *dev, enum sim_drm_fd_kind kind)
{
	size_t count = 0;

	pthread_mutex_lock(&reg_lock);
	for (size_t b = 0; b < nbuckets; b++)
		for (struct uapi_obj *obj = buckets[b]; obj; obj = obj->hash_next)
			count += obj->dev == dev && obj->kind == kind;
	pthread_mutex_unlock(&reg_lock);
	return count;
}

size_t sim_drm_count(enum sim_drm_fd_kind kind)
{
	size_t count;

	if ((unsigned int)kind > SIM_DRM_FD_SYNCOBJ)
		return 0;
	pthread_mutex_lock(&reg_lock);
	count = kind == SIM_DRM_FD_NONE ? nobjs : kind_count[kind];
	pthread_mutex_unlock(&reg_lock);
	return count;
}

bool sim_drm_is_sim_fd(int fd)
{
	return sim_drm_fd_kind(fd) != SIM_DRM_FD_NONE;
}

enum sim_drm_fd_kind sim_drm_fd_kind(int fd)
{
	struct uapi_obj *obj = uapi_obj_lookup(fd, SIM_DRM_FD_NONE);
	enum sim_drm_fd_kind kind;

	if (!obj) {
		uapi_maybe_sweep();
		return SIM_DRM_FD_NONE;
	}
	kind = obj->kind;
	uapi_obj_put(obj);
	return kind;
}

int sim_drm_close(int fd)
{
	struct uapi_obj *obj = uapi_obj_lookup(fd, SIM_DRM_FD_NONE);
	struct pollfd pfd;
	bool last = false;

	if (!obj)
		return -EBADF;
	close(fd);
	pfd = (struct pollfd){ .fd = obj->kept_fd, .events = POLLIN };
	pthread_mutex_lock(&reg_lock);
	/* Other copies (dup, fork) keep it; a sweep may have beaten us. */
	if (obj->registered && poll(&pfd, 1, 0) > 0 &&
	    (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))) {
		unlink_locked(obj);
		last = true;
	}
	pthread_mutex_unlock(&reg_lock);
	if (last)
		uapi_obj_put(obj);	/* the registry's reference */
	uapi_obj_put(obj);
	return 0;
}

void sim_drm_teardown(void)
{
	struct uapi_obj *dead = NULL, *next;

	pthread_mutex_lock(&reg_lock);
	for (size_t b = 0; b < nbuckets; b++) {
		for (struct uapi_obj *obj = buckets[b]; obj; obj = next) {
			next = obj->hash_next;
			unlink_locked(obj);
			obj->hash_next = dead;
			dead = obj;
		}
	}
	resv_free(buckets, nbuckets * sizeof(*buckets));
	buckets = NULL;
	nbuckets = 0;
	__atomic_store_n(&sweep_due, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&reg_lock);
	/* DRM files last: dma-bufs and sync_files hold BOs and fences of
	 * theirs, whose release must come first. */
	for (int pass = 0; pass < 2; pass++) {
		struct uapi_obj **pp = &dead;

		while (*pp) {
			struct uapi_obj *obj = *pp;

			if ((obj->kind == SIM_DRM_FD_DEVICE) != (pass == 1)) {
				pp = &obj->hash_next;
				continue;
			}
			*pp = obj->hash_next;
			obj->hash_next = NULL;
			uapi_obj_put(obj);
		}
	}
}
