/* SPDX-License-Identifier: MIT */
/* The harness's state and the record -> call translation (fuzz_args.c). */
#ifndef FUZZ_HARNESS_H
#define FUZZ_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "fuzz.h"

#define FUZZ_POOL_SIZE 16u
#define FUZZ_MAX_BUFS 64u
#define FUZZ_MAX_BUF_BYTES (64u * 1024u)
#define FUZZ_MAX_BO_BYTES (1u << 20)
#define FUZZ_MAX_EXTS 3u

/* One input's world: two DRM files and a pool of fds. */
struct fuzz_state {
	int pool[FUZZ_POOL_SIZE];
	unsigned int pool_len;
	/* the ioctl's argument: the largest size an encoded request can name */
	_Alignas(16) uint8_t arg[1u << 14];
};

/* One record being turned into a call. */
struct fuzz_call {
	enum fuzz_op op;
	uint8_t ctl;
	unsigned long request;
	const uint8_t *payload;
	size_t plen;
	size_t pcur;
	void *bufs[FUZZ_MAX_BUFS];
	unsigned int nbufs;
};

void fuzz_prepare(struct fuzz_state *st, struct fuzz_call *c, enum fuzz_op op,
		  const uint8_t *s, size_t slen);
void fuzz_after(struct fuzz_state *st, struct fuzz_call *c, int ret);

#endif /* FUZZ_HARNESS_H */
