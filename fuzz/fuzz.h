/* SPDX-License-Identifier: MIT */
/*
 * The ioctl fuzzer's input format, shared by the harness (fuzz_ioctl.c),
 * the seed generator (fuzz_gen.c) and the corpus replayer (replay.c).
 *
 * An input is a sequence of records, each one ioctl:
 *
 *	record := sel:u8  ctl:u8  slen:u8  struct[slen]  plen:u16le  payload[plen]
 *
 * - sel % FUZZ_NUM_OPS picks the ioctl (enum fuzz_op);
 * - ctl: bit 0 the DRM file (A or B), bit 1 every pointer NULL, bit 2 the
 *   request's size field off by 8 (drm_ioctl()'s size handling), bit 3 the
 *   raw context id (else rsvd1 & 3), bits 4..7 the fd-pool slot an fd field
 *   takes (0: -1, 1: file A, 2: file B, 3: a pipe, 4..: fds earlier calls
 *   returned);
 * - struct: the first slen bytes of the ioctl's struct (the rest zero);
 * - payload: the bytes every harness buffer a pointer field is redirected
 *   to is filled from (cyclically, continuing where the last buffer ended).
 *
 * Pointer fields are never taken from the input: the in-process simulator
 * cannot tell a wild pointer from a good one (there is no copy_from_user()
 * to fail with -EFAULT), so each is pointed at a harness buffer sized from
 * its count field (count * element size, when at most FUZZ_MAX_ELEMS
 * elements), or NULL when the count is larger or ctl bit 1 is set.
 * Timeouts are clamped to at most a millisecond and sizes to what the
 * harness can afford, so no input runs for long.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

enum fuzz_op {
	FUZZ_VERSION,
	FUZZ_GET_CAP,
	FUZZ_GEM_CLOSE,
	FUZZ_PRIME_HANDLE_TO_FD,
	FUZZ_PRIME_FD_TO_HANDLE,
	FUZZ_SYNCOBJ_CREATE,
	FUZZ_SYNCOBJ_DESTROY,
	FUZZ_SYNCOBJ_HANDLE_TO_FD,
	FUZZ_SYNCOBJ_FD_TO_HANDLE,
	FUZZ_SYNCOBJ_WAIT,
	FUZZ_SYNCOBJ_TIMELINE_WAIT,
	FUZZ_SYNCOBJ_RESET,
	FUZZ_SYNCOBJ_SIGNAL,
	FUZZ_SYNCOBJ_TIMELINE_SIGNAL,
	FUZZ_SYNCOBJ_QUERY,
	FUZZ_SYNCOBJ_TRANSFER,
	FUZZ_I915_GETPARAM,
	FUZZ_I915_GEM_CREATE,
	FUZZ_I915_GEM_USERPTR,
	FUZZ_I915_GEM_PWRITE,
	FUZZ_I915_GEM_PREAD,
	FUZZ_I915_GEM_WAIT,
	FUZZ_I915_CONTEXT_CREATE,
	FUZZ_I915_CONTEXT_DESTROY,
	FUZZ_I915_EXECBUFFER2,
	FUZZ_I915_EXECBUFFER2_WR,
	FUZZ_RAW,		/* any request number (struct's first 4 bytes) */
	FUZZ_NUM_OPS,
};

#define FUZZ_CTL_FILE_B 0x01u
#define FUZZ_CTL_NULL_PTRS 0x02u
#define FUZZ_CTL_BAD_SIZE 0x04u
#define FUZZ_CTL_RAW_CTX 0x08u
#define FUZZ_CTL_FD(slot) ((uint8_t)((slot) << 4))

/* Arrays behind pointer fields: larger counts get NULL. */
#define FUZZ_MAX_ELEMS 16u
/* The userptr range mapped in each file's simulated address space. */
#define FUZZ_USERPTR_VA 0x40000000ul
#define FUZZ_USERPTR_SIZE (64ul * 4096ul)

/* The fixed fd-pool slots. */
#define FUZZ_FD_NONE 0u
#define FUZZ_FD_FILE_A 1u
#define FUZZ_FD_FILE_B 2u
#define FUZZ_FD_PIPE 3u
#define FUZZ_FD_FIRST_NEW 4u

/* A growing input being written (fuzz_gen.c). */
struct fuzz_buf {
	uint8_t data[8192];
	size_t len;
};

void fuzz_put_record(struct fuzz_buf *b, enum fuzz_op op, uint8_t ctl, const void *s,
		     size_t slen, const void *payload, size_t plen);
/* Write the seed corpus into @dir; 0 or -errno. */
int fuzz_generate_corpus(const char *dir);

/* The harness's entry points (libFuzzer's names). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* FUZZ_H */
