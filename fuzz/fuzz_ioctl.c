// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness over the simulator's ioctl surface (fuzz/README.md).
 *
 * Each input opens two DRM files on one process-wide device and runs its
 * records (fuzz.h) through sim_drm_ioctl(). After every call:
 * - a rejected call (negative return) left both files' state digests
 *   (sim_drm_state_digest()) unchanged;
 * - the calling thread holds no lock (resv_lockdep_held_count(); `make fuzz`
 *   builds with the validator compiled in);
 * and at the end of the input every fd is closed, every simulator object
 * released (sim_drm_count() == 0) and libresv's live allocations are back
 * to what they were before the input. ASan/UBSan/LSan catch the rest.
 * A violated invariant aborts, which libFuzzer reports as a crash.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <resv/alloc.h>
#include <resv/lockdep.h>
#include <resv/mmu_notifier.h>
#include <resv/rcu.h>

#include <sim/device.h>
#include <sim/drm.h>

#include "fuzz_harness.h"

static struct sim_device *fuzz_dev;
static struct fuzz_state fuzz_st;
static uint64_t fuzz_live_baseline;
static bool fuzz_verbose;

#define FUZZ_CHECK(cond, ...)                                                  \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz_ioctl: invariant broken: " __VA_ARGS__); \
			fputc('\n', stderr);                                   \
			abort();                                               \
		}                                                              \
	} while (0)

static uint64_t fuzz_live_bytes(void)
{
	struct resv_alloc_stats st;

	resv_rcu_barrier();
	resv_alloc_get_stats(&st);
	return st.live_bytes;
}

static void fuzz_fini(void)
{
	sim_drm_teardown();
	sim_device_destroy(fuzz_dev);
	fuzz_dev = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* short jobs: a HANG or an unmet WAIT_VALUE costs 20 ms */
	struct sim_device_config cfg = {
		.vram_size = 8u << 20,
		.num_engines = 2,
		.job_timeout_ns = 20 * 1000 * 1000,
		.ban_threshold = SIM_BAN_NEVER,
	};
	const char *gen = getenv("RESV_FUZZ_GENERATE");

	if (gen && *gen) {
		int ret = fuzz_generate_corpus(gen);

		fprintf(stderr, "fuzz_ioctl: seed corpus written to %s: %s\n", gen,
			ret ? strerror(-ret) : "ok");
		exit(ret ? 1 : 0);
	}
	fuzz_verbose = getenv("RESV_FUZZ_VERBOSE") != NULL;
	if (sim_device_create(&cfg, &fuzz_dev)) {
		fprintf(stderr, "fuzz_ioctl: cannot create the device\n");
		exit(1);
	}
	atexit(fuzz_fini);
	return 0;
}

static void fuzz_open_world(struct fuzz_state *st);
static void fuzz_close_world(struct fuzz_state *st);

/*
 * The baseline of live allocations, taken after one empty input: the fd
 * registry allocates its table on first use and keeps it until
 * sim_drm_teardown().
 */
static void fuzz_take_baseline(struct fuzz_state *st)
{
	fuzz_open_world(st);
	fuzz_close_world(st);
	fuzz_live_baseline = fuzz_live_bytes();
}

static void fuzz_open_world(struct fuzz_state *st)
{
	int p[2];

	st->pool_len = FUZZ_FD_FIRST_NEW;
	st->pool[FUZZ_FD_NONE] = -1;
	for (unsigned int i = FUZZ_FD_FILE_A; i <= FUZZ_FD_FILE_B; i++) {
		struct resv_mm *mm;

		st->pool[i] = sim_drm_open(fuzz_dev, O_CLOEXEC);
		FUZZ_CHECK(st->pool[i] >= 0, "sim_drm_open: %d", st->pool[i]);
		mm = sim_drm_mm(st->pool[i]);
		FUZZ_CHECK(mm && !resv_mm_map(mm, FUZZ_USERPTR_VA, FUZZ_USERPTR_SIZE),
			   "mapping the userptr range");
	}
	FUZZ_CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe2");
	st->pool[FUZZ_FD_PIPE] = p[0];
	close(p[1]);
}

/*
 * An ioctl called with a size smaller than its struct (FUZZ_CTL_* wrong
 * size) still installs the fds it creates, as the kernel's drm_ioctl()
 * does, but the fd field is cut off the copy back: the caller never learns
 * the number. The kernel closes such fds at process exit; the harness
 * closes them here, so that each input starts from an empty registry.
 */
static void fuzz_close_stray_fds(void)
{
	int stray[256];
	size_t n;

	do {
		DIR *dir = opendir("/proc/self/fd");
		struct dirent *de;

		FUZZ_CHECK(dir, "opendir /proc/self/fd");
		n = 0;
		while (n < sizeof(stray) / sizeof(stray[0]) && (de = readdir(dir)) != NULL) {
			int fd = atoi(de->d_name);

			if (de->d_name[0] != '.' && fd != dirfd(dir) && sim_drm_is_sim_fd(fd))
				stray[n++] = fd;
		}
		closedir(dir);
		/* closed after the walk: closing changes the directory being read */
		for (size_t i = 0; i < n; i++)
			sim_drm_close(stray[i]);
	} while (n == sizeof(stray) / sizeof(stray[0]));
}

static void fuzz_close_world(struct fuzz_state *st)
{
	for (unsigned int i = FUZZ_FD_FILE_A; i < st->pool_len; i++) {
		if (sim_drm_close(st->pool[i]))
			close(st->pool[i]);	/* the pipe */
	}
	st->pool_len = 0;
	fuzz_close_stray_fds();
	sim_drm_sweep();
	FUZZ_CHECK(sim_drm_count(SIM_DRM_FD_NONE) == 0, "%zu simulator objects left",
		   sim_drm_count(SIM_DRM_FD_NONE));
}

static void fuzz_digests(const struct fuzz_state *st, uint64_t d[2])
{
	for (unsigned int i = 0; i < 2; i++) {
		int ret = sim_drm_state_digest(st->pool[FUZZ_FD_FILE_A + i], &d[i]);

		FUZZ_CHECK(ret == 0, "sim_drm_state_digest: %d", ret);
	}
}

/* Run one record; returns the bytes it took, 0 at the end of the input. */
static size_t fuzz_one(struct fuzz_state *st, const uint8_t *data, size_t size)
{
	struct fuzz_call c = { 0 };
	uint64_t before[2], after[2];
	size_t slen, plen, used;
	int fd, ret;

	if (size < 3)
		return 0;
	c.ctl = data[1];
	slen = data[2];
	if (size < 3 + slen + 2)
		return 0;
	plen = data[3 + slen] | (size_t)data[4 + slen] << 8;
	used = 5 + slen;
	if (plen > size - used)
		plen = size - used;
	c.payload = data + used;
	c.plen = plen;
	used += plen;

	fuzz_prepare(st, &c, (enum fuzz_op)(data[0] % FUZZ_NUM_OPS), data + 3, slen);
	fd = st->pool[c.ctl & FUZZ_CTL_FILE_B ? FUZZ_FD_FILE_B : FUZZ_FD_FILE_A];
	fuzz_digests(st, before);
	ret = sim_drm_ioctl(fd, c.request, st->arg);
	if (fuzz_verbose)
		fprintf(stderr, "fuzz_ioctl: op %u request 0x%lx ctl 0x%x -> %d\n", c.op,
			c.request, c.ctl, ret);
	FUZZ_CHECK(ret <= 0, "op %u returned %d", c.op, ret);
	FUZZ_CHECK(resv_lockdep_held_count() == 0, "op %u (request 0x%lx) left %u locks held", c.op,
		   c.request, resv_lockdep_held_count());
	if (ret < 0) {
		fuzz_digests(st, after);
		FUZZ_CHECK(before[0] == after[0] && before[1] == after[1],
			   "op %u (request 0x%lx) failed with %d but changed the state", c.op,
			   c.request, ret);
	}
	fuzz_after(st, &c, ret);
	return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_state *st = &fuzz_st;
	uint64_t live;
	size_t used;

	if (!fuzz_live_baseline)
		fuzz_take_baseline(st);
	fuzz_open_world(st);
	while ((used = fuzz_one(st, data, size)) != 0) {
		data += used;
		size -= used;
	}
	fuzz_close_world(st);

	/* jobs may retire a moment after their fences signalled */
	live = fuzz_live_bytes();
	for (int i = 0; i < 200 && live != fuzz_live_baseline; i++) {
		struct timespec ts = { 0, 1000 * 1000 };

		nanosleep(&ts, NULL);
		live = fuzz_live_bytes();
	}
	FUZZ_CHECK(live == fuzz_live_baseline, "%" PRId64 " bytes still allocated after the input",
		   (int64_t)(live - fuzz_live_baseline));
	return 0;
}
