/* SPDX-License-Identifier: MIT */
/*
 * The batch interpreter an engine runs: fetch the batch through the job's
 * page table up to its END, check it, then execute command by command.
 * Every access translates through the page table under the GPU memory lock
 * (read side), so a mapping or storage that goes away is a fault, never a
 * use of freed memory. Runs inside the worker's signalling section: nothing
 * here allocates, takes a reservation lock or waits for a fence.
 */
#include <errno.h>
#include <string.h>

#include <sim/batch.h>

#include "internal.h"

#define WAIT_POLL_MIN_NS 2000ll		/* WAIT_VALUE polls back off from 2 us */
#define WAIT_POLL_MAX_NS 1000000ll	/* ... to 1 ms */

struct exec {
	struct sim_job *job;
	struct sim_engine *engine;
	struct sim_pt *pt;
	struct sim_device *dev;
	int64_t deadline;
};

static uint64_t addr_at(const uint32_t *c)
{
	return c[0] | (uint64_t)c[1] << 32;
}

static int over_time(struct exec *x)
{
	if (sim__engine_cancelled(x->engine))
		return -ECANCELED;
	if (sim__now_ns() >= x->deadline)
		return -ETIMEDOUT;
	return 0;
}

/* Read GPU memory into @dst (the batch fetch). */
static int gpu_read(struct exec *x, uint64_t va, void *dst, size_t len)
{
	uint8_t *out = dst;

	while (len) {
		uint8_t *host;
		size_t avail;
		int ret;

		sim__mem_read_lock(x->dev);
		ret = sim__pt_translate(x->pt, va, false, &host, &avail);
		if (!ret) {
			if (avail > len)
				avail = len;
			memcpy(out, host, avail);
		}
		sim__mem_unlock(x->dev);
		if (ret)
			return ret;
		out += avail;
		va += avail;
		len -= avail;
	}
	return 0;
}

static int fetch(struct exec *x, uint32_t *buf, size_t *num_dw)
{
	uint64_t va = x->job->batch_va;
	uint32_t left = x->job->batch_len;
	size_t have = 0, pos = 0;

	for (;;) {
		long ret = sim__batch_scan(buf, have, &pos);
		uint64_t chunk;

		if (ret < 0)
			return -EINVAL;
		if (ret == 1) {
			*num_dw = pos;
			return 0;
		}
		if (!left)
			return -EINVAL;		/* ran off the batch without END */
		/* A page at a time: pages past END need not be mapped. */
		chunk = SIM_PAGE_SIZE - va % SIM_PAGE_SIZE;
		if (chunk > left)
			chunk = left;
		ret = gpu_read(x, va, buf + have, chunk);
		if (ret)
			return (int)ret;
		va += chunk;
		left -= (uint32_t)chunk;
		have += chunk / 4;
	}
}

/* A word access: translate @va (4-byte aligned, so inside one page). */
static int word(struct exec *x, uint64_t va, bool write, uint32_t **p)
{
	uint8_t *host;
	size_t avail;
	int ret = sim__pt_translate(x->pt, va, write, &host, &avail);

	*p = (uint32_t *)host;
	return ret;
}

static int cmd_store_dw(struct exec *x, const uint32_t *c)
{
	uint32_t *p;
	int ret;

	sim__mem_read_lock(x->dev);
	ret = word(x, addr_at(c + 1), true, &p);
	if (!ret)
		__atomic_store_n(p, c[3], __ATOMIC_RELEASE);
	sim__mem_unlock(x->dev);
	return ret;
}

static int cmd_atomic_add(struct exec *x, const uint32_t *c)
{
	uint32_t *p;
	int ret;

	sim__mem_read_lock(x->dev);
	ret = word(x, addr_at(c + 1), true, &p);
	if (!ret)
		__atomic_fetch_add(p, c[3], __ATOMIC_SEQ_CST);
	sim__mem_unlock(x->dev);
	return ret;
}

static bool compare(uint32_t v, uint32_t operand, uint32_t op)
{
	switch (op) {
	case SIM_WAIT_EQ: return v == operand;
	case SIM_WAIT_NE: return v != operand;
	case SIM_WAIT_GT: return v > operand;
	case SIM_WAIT_GTE: return v >= operand;
	case SIM_WAIT_LT: return v < operand;
	default: return v <= operand;	/* SIM_WAIT_LTE; checked at fetch */
	}
}

/* Poll with exponential back-off, bounded by the job's deadline. */
static int cmd_wait_value(struct exec *x, const uint32_t *c)
{
	int64_t backoff = WAIT_POLL_MIN_NS;

	for (;;) {
		uint32_t *p, v = 0;
		int64_t until;
		int ret;

		sim__mem_read_lock(x->dev);
		ret = word(x, addr_at(c + 1), false, &p);
		if (!ret)
			v = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		sim__mem_unlock(x->dev);
		if (ret)
			return ret;
		if (compare(v, c[3], c[4]))
			return 0;
		ret = over_time(x);
		if (ret)
			return ret;
		until = sim__now_ns() + backoff;
		if (until > x->deadline)
			until = x->deadline;
		ret = sim__engine_sleep_until(x->engine, until);
		if (ret)
			return ret;
		if (backoff < WAIT_POLL_MAX_NS)
			backoff *= 2;
	}
}

/* COPY in pieces that stay inside one page of the source and of the
 * destination. */
static int cmd_copy(struct exec *x, const uint32_t *c)
{
	uint64_t dst = addr_at(c + 1), src = addr_at(c + 3);
	uint32_t left = c[5];

	while (left) {
		uint8_t *s, *d;
		size_t savail, davail, n = left;
		int ret;

		sim__mem_read_lock(x->dev);
		ret = sim__pt_translate(x->pt, src, false, &s, &savail);
		if (!ret)
			ret = sim__pt_translate(x->pt, dst, true, &d, &davail);
		if (!ret) {
			if (n > savail)
				n = savail;
			if (n > davail)
				n = davail;
			memmove(d, s, n);
		}
		sim__mem_unlock(x->dev);
		if (ret)
			return ret;
		src += n;
		dst += n;
		left -= (uint32_t)n;
		ret = left ? over_time(x) : 0;
		if (ret)
			return ret;
	}
	return 0;
}

static int cmd_fill(struct exec *x, const uint32_t *c)
{
	uint64_t va = addr_at(c + 1);
	uint32_t value = c[3], left = c[4];

	while (left) {
		uint8_t *host;
		size_t avail;
		int ret;

		sim__mem_read_lock(x->dev);
		ret = sim__pt_translate(x->pt, va, true, &host, &avail);
		if (!ret) {
			if (avail > left)
				avail = left;
			for (size_t i = 0; i < avail; i += 4)
				memcpy(host + i, &value, 4);
		}
		sim__mem_unlock(x->dev);
		if (ret)
			return ret;
		va += avail;
		left -= (uint32_t)avail;
		ret = left ? over_time(x) : 0;
		if (ret)
			return ret;
	}
	return 0;
}

/* Sleep @ns, or until the deadline: then it is a timeout. */
static int cmd_delay(struct exec *x, int64_t ns)
{
	int64_t until = sim__now_ns() + ns;
	int ret;

	if (until > x->deadline) {
		ret = sim__engine_sleep_until(x->engine, x->deadline);
		return ret ? ret : -ETIMEDOUT;
	}
	return sim__engine_sleep_until(x->engine, until);
}

int sim__exec_batch(struct sim_job *job, int64_t deadline)
{
	struct exec x = {
		.job = job,
		.engine = job->engine,
		.pt = job->pt,
		.dev = job->engine->dev,
		.deadline = deadline,
	};
	const uint32_t *b = job->engine->batch_buf;
	size_t num_dw, pos;
	int ret;

	ret = fetch(&x, job->engine->batch_buf, &num_dw);
	if (ret)
		return ret;
	for (pos = 0; pos < num_dw; pos += (size_t)sim_cmd_length(b[pos])) {
		const uint32_t *c = b + pos;

		ret = over_time(&x);
		if (ret)
			return ret;
		switch (c[0] >> 24) {
		case SIM_CMD_NOOP:
			break;
		case SIM_CMD_STORE_DW:
			ret = cmd_store_dw(&x, c);
			break;
		case SIM_CMD_COPY:
			ret = cmd_copy(&x, c);
			break;
		case SIM_CMD_FILL:
			ret = cmd_fill(&x, c);
			break;
		case SIM_CMD_ATOMIC_ADD:
			ret = cmd_atomic_add(&x, c);
			break;
		case SIM_CMD_WAIT_VALUE:
			ret = cmd_wait_value(&x, c);
			break;
		case SIM_CMD_DELAY:
			ret = cmd_delay(&x, (int64_t)c[1] * 1000);
			break;
		case SIM_CMD_HANG:
			ret = cmd_delay(&x, INT64_MAX / 2);
			break;
		case SIM_CMD_END:
			return 0;
		}
		if (ret)
			return ret;
	}
	return 0;
}
