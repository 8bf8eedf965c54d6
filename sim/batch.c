/* SPDX-License-Identifier: MIT */
/*
 * The batch command set: the builder, and the checker the engines (and a
 * CPU-side command parser) run before executing anything.
 */
#include <errno.h>
#include <string.h>

#include <sim/batch.h>

#include "internal.h"

static const uint8_t cmd_len[] = {
	[SIM_CMD_NOOP] = 1,       [SIM_CMD_STORE_DW] = 4, [SIM_CMD_COPY] = 6,
	[SIM_CMD_FILL] = 5,       [SIM_CMD_ATOMIC_ADD] = 4, [SIM_CMD_WAIT_VALUE] = 5,
	[SIM_CMD_DELAY] = 2,      [SIM_CMD_HANG] = 1,     [SIM_CMD_END] = 1,
};

void sim_batch_init(struct sim_batch *b, uint32_t *buf, size_t cap_dw)
{
	b->dw = buf;
	b->len = 0;
	b->cap = cap_dw;
	b->error = 0;
}

void sim_batch_emit(struct sim_batch *b, const uint32_t *words, size_t n)
{
	if (b->error || n > b->cap - b->len) {
		b->error = -ENOSPC;
		return;
	}
	memcpy(b->dw + b->len, words, n * sizeof(*words));
	b->len += n;
}

static void emit_addr_cmd(struct sim_batch *b, enum sim_cmd_opcode op, uint64_t addr,
			  const uint32_t *rest, size_t nrest)
{
	uint32_t w[6] = { SIM_CMD_HEADER(op, cmd_len[op]), (uint32_t)addr, (uint32_t)(addr >> 32) };

	memcpy(w + 3, rest, nrest * sizeof(*rest));
	sim_batch_emit(b, w, 3 + nrest);
}

void sim_batch_noop(struct sim_batch *b)
{
	uint32_t w = SIM_CMD_HEADER(SIM_CMD_NOOP, 1);

	sim_batch_emit(b, &w, 1);
}

void sim_batch_store_dw(struct sim_batch *b, uint64_t addr, uint32_t value)
{
	emit_addr_cmd(b, SIM_CMD_STORE_DW, addr, &value, 1);
}

void sim_batch_copy(struct sim_batch *b, uint64_t dst, uint64_t src, uint32_t bytes)
{
	uint32_t rest[3] = { (uint32_t)src, (uint32_t)(src >> 32), bytes };

	emit_addr_cmd(b, SIM_CMD_COPY, dst, rest, 3);
}

void sim_batch_fill(struct sim_batch *b, uint64_t addr, uint32_t value, uint32_t bytes)
{
	uint32_t rest[2] = { value, bytes };

	emit_addr_cmd(b, SIM_CMD_FILL, addr, rest, 2);
}

void sim_batch_atomic_add(struct sim_batch *b, uint64_t addr, uint32_t value)
{
	emit_addr_cmd(b, SIM_CMD_ATOMIC_ADD, addr, &value, 1);
}

void sim_batch_wait_value(struct sim_batch *b, uint64_t addr, uint32_t value,
			  enum sim_wait_op op)
{
	uint32_t rest[2] = { value, (uint32_t)op };

	emit_addr_cmd(b, SIM_CMD_WAIT_VALUE, addr, rest, 2);
}

void sim_batch_delay(struct sim_batch *b, uint32_t usec)
{
	uint32_t w[2] = { SIM_CMD_HEADER(SIM_CMD_DELAY, 2), usec };

	sim_batch_emit(b, w, 2);
}

void sim_batch_hang(struct sim_batch *b)
{
	uint32_t w = SIM_CMD_HEADER(SIM_CMD_HANG, 1);

	sim_batch_emit(b, &w, 1);
}

void sim_batch_end(struct sim_batch *b)
{
	uint32_t w = SIM_CMD_HEADER(SIM_CMD_END, 1);

	sim_batch_emit(b, &w, 1);
}

int sim_cmd_length(uint32_t header)
{
	uint32_t op = header >> 24;

	if (op == 0 || op >= sizeof(cmd_len) / sizeof(cmd_len[0]))
		return -EINVAL;
	if ((header & 0x00ffff00u) || (header & 0xffu) != cmd_len[op])
		return -EINVAL;
	return cmd_len[op];
}

/* The operand rules of one complete command. */
static int check_operands(const uint32_t *c)
{
	/* c[1] is the low word of the address of the word commands; only its
	 * low bits matter for alignment. */
	switch (c[0] >> 24) {
	case SIM_CMD_STORE_DW:
	case SIM_CMD_ATOMIC_ADD:
		return c[1] % 4 ? -EINVAL : 0;
	case SIM_CMD_FILL:
		return c[1] % 4 || c[4] % 4 ? -EINVAL : 0;
	case SIM_CMD_WAIT_VALUE:
		return c[1] % 4 || c[4] > SIM_WAIT_LTE ? -EINVAL : 0;
	default:
		return 0;
	}
}

long sim__batch_scan(const uint32_t *dw, size_t num_dw, size_t *pos)
{
	while (*pos < num_dw) {
		uint32_t header = dw[*pos];
		int len = sim_cmd_length(header);

		if (len < 0)
			return -EINVAL;
		if (*pos + (size_t)len > num_dw)
			return 0;	/* the command continues past what we have */
		if (check_operands(dw + *pos))
			return -EINVAL;
		*pos += (size_t)len;
		if (header >> 24 == SIM_CMD_END)
			return 1;
	}
	return 0;
}

long sim_batch_validate(const uint32_t *dw, size_t num_dw)
{
	size_t pos = 0;
	long ret = sim__batch_scan(dw, num_dw, &pos);

	if (ret < 0)
		return ret;
	return ret == 1 ? (long)pos : -EINVAL;
}
