/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * The simulated GPU's command set: a batch is a sequence of little-endian
 * 32-bit words in GPU memory, executed by an engine through the page table
 * of its job (<sim/sched.h>). Every command starts with a header word,
 * opcode in bits 31..24 and the command's total length in words in bits
 * 7..0 (bits 23..8 are zero); GPU addresses are two words, low then high.
 *
 * ============  ====  =============================================  =========================
 * command       len   operands                                       effect
 * ============  ====  =============================================  =========================
 * NOOP          1                                                    nothing
 * STORE_DW      4     addr, value                                    *addr = value
 * COPY          6     dst, src, bytes                                copy bytes from src to dst
 * FILL          5     addr, value, bytes                             bytes/4 words of value
 * ATOMIC_ADD    4     addr, value                                    *addr += value, atomically
 * WAIT_VALUE    5     addr, value, op                                until (*addr op value)
 * DELAY         2     microseconds                                   sleep
 * HANG          1                                                    never finishes
 * END           1                                                    the batch is done
 * ============  ====  =============================================  =========================
 *
 * Word commands (STORE_DW, ATOMIC_ADD, WAIT_VALUE, FILL) need 4-byte
 * aligned addresses and FILL a byte count that is a multiple of 4; WAIT_VALUE
 * compares unsigned 32-bit values with &enum sim_wait_op. COPY ranges that
 * overlap give an undefined result, as on hardware.
 *
 * Execution: the engine first fetches the batch through the page table up
 * to its END (an engine executes from its own copy, so a batch that writes
 * into itself does not see its writes) and checks every command. An unknown
 * opcode, a wrong length, a misaligned address or a missing END inside the
 * job's batch length fail the job with -EINVAL before any command ran. Then
 * the commands run in order; an access to an address that is not mapped, or
 * whose BO is not resident where the page table says, fails the job with
 * -EFAULT at that command (earlier commands keep their effects). HANG, a
 * WAIT_VALUE that never holds, or a DELAY beyond the job timeout end with
 * -ETIMEDOUT.
 *
 * Building one, into a caller's buffer::
 *
 *	uint32_t words[64];
 *	struct sim_batch b;
 *
 *	sim_batch_init(&b, words, 64);
 *	sim_batch_store_dw(&b, 0x10000, 42);
 *	sim_batch_atomic_add(&b, 0x10004, 1);
 *	sim_batch_end(&b);
 *	if (sim_batch_error(&b))        // -ENOSPC: the buffer was too small
 *		return;
 *	// copy sim_batch_bytes(&b) bytes of words into a mapped BO
 */
#ifndef SIM_BATCH_H
#define SIM_BATCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * enum sim_cmd_opcode - opcodes (0 is invalid, so zeroed memory fails)
 * @SIM_CMD_NOOP: do nothing
 * @SIM_CMD_STORE_DW: store a word
 * @SIM_CMD_COPY: copy bytes
 * @SIM_CMD_FILL: fill with a word pattern
 * @SIM_CMD_ATOMIC_ADD: add to a word atomically
 * @SIM_CMD_WAIT_VALUE: wait until a word compares true
 * @SIM_CMD_DELAY: sleep a number of microseconds
 * @SIM_CMD_HANG: never complete (the job times out)
 * @SIM_CMD_END: end of batch
 */
enum sim_cmd_opcode {
	SIM_CMD_NOOP = 1,
	SIM_CMD_STORE_DW,
	SIM_CMD_COPY,
	SIM_CMD_FILL,
	SIM_CMD_ATOMIC_ADD,
	SIM_CMD_WAIT_VALUE,
	SIM_CMD_DELAY,
	SIM_CMD_HANG,
	SIM_CMD_END,
};

/**
 * enum sim_wait_op - WAIT_VALUE comparisons, ``*addr OP value``, unsigned
 * @SIM_WAIT_EQ: equal
 * @SIM_WAIT_NE: not equal
 * @SIM_WAIT_GT: greater than
 * @SIM_WAIT_GTE: greater than or equal
 * @SIM_WAIT_LT: less than
 * @SIM_WAIT_LTE: less than or equal
 */
enum sim_wait_op {
	SIM_WAIT_EQ,
	SIM_WAIT_NE,
	SIM_WAIT_GT,
	SIM_WAIT_GTE,
	SIM_WAIT_LT,
	SIM_WAIT_LTE,
};

/** SIM_CMD_HEADER - the header word of a command of @len words */
#define SIM_CMD_HEADER(op, len) (((uint32_t)(op) << 24) | ((uint32_t)(len) & 0xffu))

/**
 * struct sim_batch - a batch being built in a caller's buffer
 * @dw: the buffer
 * @len: words emitted so far
 * @cap: capacity of @dw in words
 * @error: 0, or -ENOSPC once a command did not fit (sticky; later
 *	commands are dropped)
 */
struct sim_batch {
	uint32_t *dw;
	size_t len;
	size_t cap;
	int error;
};

/**
 * sim_batch_init() - start building into a buffer
 * @b: the builder
 * @buf: the buffer
 * @cap_dw: its capacity in words
 *
 * Context: any; a builder is used by one thread at a time.
 */
void sim_batch_init(struct sim_batch *b, uint32_t *buf, size_t cap_dw);

/**
 * sim_batch_emit() - append raw words (for hand-made, e.g. invalid,
 * commands)
 * @b: the builder
 * @words: the words
 * @n: how many
 *
 * All or nothing: when they do not fit, none is written and the builder's
 * error becomes -ENOSPC.
 *
 * Context: any; a builder is used by one thread at a time.
 */
void sim_batch_emit(struct sim_batch *b, const uint32_t *words, size_t n);

/**
 * sim_batch_noop() - append NOOP
 * @b: the builder
 *
 * Context: any; a builder is used by one thread at a time.
 */
void sim_batch_noop(struct sim_batch *b);

/**
 * sim_batch_store_dw() - append STORE_DW
 * @b: the builder
 * @addr: GPU address, 4-byte aligned
 * @value: the word to store
 *
 * Context: any; a builder is used by one thread at a time.
 */
void sim_batch_store_dw(struct sim_batch *b, uint64_t addr, uint32_t value);

/**
 * sim_batch_copy() - append COPY
 * @b: the builder
 * @dst: destination GPU address
 * @src: source GPU address
 * @bytes: byte count (0 is a no-op)
 *
 * Context: any; a builder is used by one thread at a time.
 */
void sim_batch_copy(struct sim_batch *b, uint64_t dst, uint64_t src, uint32_t bytes);

/**
 * sim_batch_fill() - append FILL
 * @b: the builder
 * @addr: GPU address, 4-byte aligned
 * @value: the word to repeat
 * @bytes: byte count, a multiple of 4
 *
 * Context: any; a builder is used by one thread at a time.
 */
void sim_batch_fill(struct sim_batch *b, uint64_t addr, uint32_t value, uint32_t bytes);

/**
 * sim_batch_atomic_add() - append ATOMIC_ADD
 * @b: the builder
 * @addr: GPU address, 4-byte aligned
 * @value: added modulo 2^32
 *
 * Context: any; a builder is used by one thread at a time.
 */
void sim_batch_atomic_add(struct sim_batch *b, uint64_t addr, uint32_t value);

/**
 * sim_batch_wait_value() - append WAIT_VALUE
 * @b: the builder
 * @addr: GPU address, 4-byte aligned
 * @value: the operand
 * @op: the comparison
 *
 * Context: any; a builder is used by one thread at a time.
 */
void sim_batch_wait_value(struct sim_batch *b, uint64_t addr, uint32_t value,
			  enum sim_wait_op op);

/**
 * sim_batch_delay() - append DELAY
 * @b: the builder
 * @usec: microseconds
 *
 * Context: any; a builder is used by one thread at a time.
 */
void sim_batch_delay(struct sim_batch *b, uint32_t usec);

/**
 * sim_batch_hang() - append HANG
 * @b: the builder
 *
 * Context: any; a builder is used by one thread at a time.
 */
void sim_batch_hang(struct sim_batch *b);

/**
 * sim_batch_end() - append END
 * @b: the builder
 *
 * Context: any; a builder is used by one thread at a time.
 */
void sim_batch_end(struct sim_batch *b);

/**
 * sim_batch_error() - did everything fit
 * @b: the builder
 *
 * Context: any; a builder is used by one thread at a time.
 * Return: 0, or -ENOSPC when a command was dropped.
 */
static inline int sim_batch_error(const struct sim_batch *b)
{
	return b->error;
}

/**
 * sim_batch_bytes() - size of what was emitted
 * @b: the builder
 *
 * Context: any; a builder is used by one thread at a time.
 * Return: bytes (4 per word).
 */
static inline size_t sim_batch_bytes(const struct sim_batch *b)
{
	return b->len * sizeof(uint32_t);
}

/**
 * sim_cmd_length() - the length a command must have
 * @header: a command's header word
 *
 * Context: any.
 * Return: the command's length in words; -EINVAL for an unknown opcode, a
 * length field that does not match the opcode, or non-zero reserved bits.
 */
int sim_cmd_length(uint32_t header);

/**
 * sim_batch_validate() - check a batch as the engine will
 * @dw: the batch's words
 * @num_dw: how many words the batch may span
 *
 * What an engine checks before running a batch, for a CPU-side command
 * parser (an execbuf path that validates at submission).
 *
 * Context: any.
 * Return: the number of words up to and including the first END; -EINVAL
 * for an invalid command (see sim_cmd_length() and the operand rules in
 * the overview) or when no END comes within @num_dw words.
 */
long sim_batch_validate(const uint32_t *dw, size_t num_dw);

#ifdef __cplusplus
}
#endif

#endif /* SIM_BATCH_H */
