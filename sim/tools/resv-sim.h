/* SPDX-License-Identifier: MIT */
/*
 * resv-sim, the main job: what its files share. The program is split by
 * responsibility:
 *
 *   options.c   the command line
 *   world.c     the device, the shared file, the objects, the clients'
 *               address spaces (execbuf's file page table, VM_BIND VMs)
 *   model.c     the memory model: per client, per object, what each dword
 *               of its lane must hold; retiring batches in fence order;
 *               reading objects back and comparing
 *   workload.c  random batches over random object subsets, encoded as
 *               GPU commands and recorded as model operations
 *   submit.c    the two submission paths (sim_execbuf(), sim_vm_exec())
 *   client.c    a client thread: generate, submit, retire, verify, hangs
 *   pressure.c  the userptr invalidation thread and the shrinker
 *   output.c    the live progress line and the final summary
 *   resv-sim.c  main: set up, run, verify at the end, tear down
 *
 * The model. Every shared object has a 64-byte header whose first dword is
 * a counter all clients ATOMIC_ADD to (its final value is the sum of every
 * successful add), followed by one lane per client: a client only ever
 * writes its own lane, so what a lane must hold is decided by that client's
 * batches alone, in their execution order. A client chains its batches
 * (each waits for the previous one's fence), so execution order is
 * submission order whatever the path (VM_BIND execs do not sync
 * implicitly) and engine; a batch's operations are applied to the client's
 * shadow copy when its fence signals without error. Private objects (a
 * client's own BOs and its userptr range) are one lane. Bytes outside
 * every lane must stay zero.
 *
 * Hangs are injected on a separate context of the client and write only a
 * private "victim" object with explicit sync: with error propagation
 * through implicit sync, a failed fence on a shared object would fail every
 * later writer of it for good (see docs/resv-sim.md).
 */
#ifndef RESV_SIM_H
#define RESV_SIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <resv/dma-fence.h>
#include <resv/mmu_notifier.h>

#include <sim/batch.h>
#include <sim/bo.h>
#include <sim/device.h>
#include <sim/execbuf.h>
#include <sim/file.h>
#include <sim/sched.h>
#include <sim/vm.h>

/* ---- options ------------------------------------------------------------------ */

enum rs_path { RS_PATH_EXECBUF, RS_PATH_VM_BIND, RS_PATH_MIXED };

/* The algorithm of reservation_ww_class for the run. */
enum rs_ww_class { RS_WW_DEFAULT, RS_WW_WOUND_WAIT, RS_WW_WAIT_DIE };

enum rs_bug {
	RS_BUG_NONE,
	RS_BUG_SKIP_REVALIDATE,	/* VM_BIND execs skip revalidation: faults */
	RS_BUG_CORRUPT_STORE,	/* some stores write another value: wrong data */
};

struct rs_options {
	unsigned int clients;
	unsigned int objects;
	unsigned int engines;
	uint64_t vram_mib;
	double userptr_rate;	/* invalidations per second, 0: none */
	double shrink_rate;	/* sim_shrink() calls per second, 0: none */
	uint32_t hang_ppm;
	double seconds;		/* 0 with @submissions */
	uint64_t submissions;	/* 0: run for @seconds */
	uint64_t seed;
	bool seed_given;
	enum rs_path path;
	const char *trace;
	uint64_t trace_limit;
	enum rs_ww_class ww_class;
	const char *lock_graph;	/* --lock-graph FILE: the validator's graph */
	bool quiet;
	bool progress;		/* the live line: a TTY and not quiet */
	enum rs_bug bug;
	unsigned int verify_every;	/* batches between lane checks */
	unsigned int job_timeout_ms;
};

/* 0 to run, 1 after --help (exit 0), -1 on a usage error (exit 2). */
int rs_parse_options(int argc, char **argv, struct rs_options *opt);
const char *rs_path_name(enum rs_path path);
const char *rs_ww_class_name(enum rs_ww_class ww_class);

/* ---- the world --------------------------------------------------------------- */

#define RS_HEADER_BYTES 64u		/* shared objects: the counter lives here */
#define RS_BATCH_SLOTS 16u		/* per client; one page each */
#define RS_MAX_INFLIGHT 12u		/* main batches not yet retired */
#define RS_MAX_BATCH_OBJECTS 6u		/* data objects of one batch */
#define RS_MAX_OPS 12u			/* commands of one batch */
#define RS_PRIVATE_OBJECTS 2u
#define RS_VM_SHARED_OBJECTS 8u	/* shared objects a VM binds */
#define RS_USERPTR_BYTES (64u * 1024)

/* GPU addresses, the same in every address space */
#define RS_SHARED_VA(k) (0x100000000ull + (uint64_t)(k) * 0x1000000ull)
#define RS_CLIENT_VA(c) (0x10000000000ull + (uint64_t)(c) * 0x100000000ull)
#define RS_BATCH_VA(c) (RS_CLIENT_VA(c))
#define RS_VICTIM_VA(c) (RS_CLIENT_VA(c) + 0x100000ull)
#define RS_USERPTR_VA(c) (RS_CLIENT_VA(c) + 0x200000ull)
#define RS_PRIVATE_VA(c, j) (RS_CLIENT_VA(c) + 0x1000000ull * ((uint64_t)(j) + 1))
/* host addresses of the userptr ranges in the process's resv_mm */
#define RS_USERPTR_ADDR(c) (0x7f0000000000ul + (unsigned long)(c) * 0x100000ul)

enum rs_obj_kind { RS_OBJ_SHARED, RS_OBJ_PRIVATE, RS_OBJ_USERPTR, RS_OBJ_VICTIM };

/* An object as a client sees it. */
struct rs_object {
	enum rs_obj_kind kind;
	uint32_t handle;	/* in the shared file; 0 for VM-local BOs, VM userptrs */
	struct sim_bo *bo;	/* a reference; NULL for VM userptrs */
	uint64_t size;
	uint64_t va;
	unsigned long uaddr;	/* RS_OBJ_USERPTR: host address in the mm */
	uint32_t lane_offset;	/* where the lane of the client starts */
	uint32_t lane_dw;	/* its length in dwords */
	uint32_t *shadow;	/* per client: what the lane must hold */
	unsigned int shared_idx;	/* RS_OBJ_SHARED: index in the world */
};

/* One GPU command, as the model applies it. */
enum rs_op_type { RS_OP_STORE, RS_OP_FILL, RS_OP_ADD, RS_OP_COUNTER, RS_OP_COPY };

struct rs_op {
	uint8_t type;
	uint8_t dst, src;	/* indices in the client's object table */
	uint32_t dst_dw, src_dw, ndw;
	uint32_t value;
};

/* A batch submitted and not yet retired. */
struct rs_batch {
	struct dma_fence *fence;
	uint64_t seq;
	unsigned int nops;
	struct rs_op ops[RS_MAX_OPS];
};

/* An injected hang and the batch that depends on it: both must fail with
 * the hang's error, neither may write. */
struct rs_hang {
	struct dma_fence *hang;
	struct dma_fence *dependant;
};

#define RS_MAX_HANGS 4u

struct rs_world;

struct rs_client {
	struct rs_world *w;
	unsigned int id;
	enum rs_path path;	/* the client's path (mixed: chosen per batch) */
	uint64_t rng;
	pthread_t thread;
	struct sim_context *ctx, *hang_ctx;
	struct sim_vm *vm;	/* VM_BIND and mixed clients */
	/* objects: the shared ones it uses, its private ones, userptr, victim,
	 * then the batch ring */
	struct rs_object *objs;
	unsigned int nobjs, nshared, victim, batch;
	int *shared_map;	/* world shared index -> index in @objs, or -1 */
	unsigned int *vm_shared;	/* the shared objects bound in @vm (indices) */
	unsigned int nvm_shared;
	struct dma_fence *slot_fence[RS_BATCH_SLOTS];
	struct dma_fence *last;	/* the chain: the last main batch's fence */
	struct rs_batch pending[RS_MAX_INFLIGHT];
	unsigned int pending_head, npending;
	struct rs_hang hangs[RS_MAX_HANGS];
	unsigned int nhangs;
	uint64_t seq;
	uint32_t *counter_sum;	/* per shared object in the world */
	/* counters (this thread writes, the main thread reads: atomics) */
	uint64_t submitted, submitted_vm, hangs_injected, hang_ctx_recreated, again_retries;
	uint64_t lanes_checked, bytes_checked, retired;
	bool failed;		/* a verification failure (its message printed) */
};

struct rs_world {
	struct rs_options opt;
	struct sim_device *dev;
	struct sim_file *file;
	struct resv_mm *mm;
	unsigned int nshared;
	struct rs_object *shared;	/* the world's view: handles, BOs, sizes */
	uint32_t lane_bytes_max;
	struct rs_client *clients;
	int stop;			/* atomic */
	int running;			/* atomic: client threads not finished */
	uint64_t submissions;		/* atomic: main batches, all clients */
	uint64_t budget_taken;		/* atomic: --submissions handed out */
	uint64_t failures;		/* atomic: verification failures */
	uint64_t messages;		/* atomic: failure messages printed */
	uint64_t invalidations, shrinks, shrunk_bytes;	/* atomic */
	int64_t start_ns;
};

/* world.c */
int rs_world_create(struct rs_world *w, const struct rs_options *opt);
void rs_world_destroy(struct rs_world *w);
int rs_client_setup(struct rs_client *c);
void rs_client_teardown(struct rs_client *c);

/* model.c */
void rs_fail(struct rs_world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int rs_obj_read(struct rs_world *w, struct rs_object *o, uint64_t offset, void *dst,
		size_t len);
int rs_obj_write(struct rs_world *w, struct rs_object *o, uint64_t offset, const void *src,
		 size_t len);
/* Wait for a fence with a bound; the status (1 or an error), or 0 on timeout. */
int rs_wait(struct rs_world *w, struct dma_fence *fence, const char *what);
void rs_model_apply(struct rs_client *c, const struct rs_batch *b);
bool rs_model_check_lane(struct rs_client *c, unsigned int idx);
/* After every client stopped: headers, counters, gaps, every lane. */
bool rs_model_check_world(struct rs_world *w);

/* workload.c */
uint64_t rs_rand(uint64_t *state);
/* A random batch for @c, for the VM_BIND path (@vm: objects bound in its
 * VM only) or execbuf, into @sb: its objects (indices in the client's
 * table, write flags) and the model ops. Returns the number of objects. */
unsigned int rs_workload_batch(struct rs_client *c, bool vm, struct rs_batch *b,
			       struct sim_batch *sb, unsigned int *objs, bool *write);

/* submit.c */
int rs_submit(struct rs_client *c, bool vm, unsigned int engine, struct sim_context *ctx,
	      unsigned int slot, const unsigned int *objs, const bool *write, unsigned int nobjs,
	      struct dma_fence *in_fence, bool explicit_only, struct dma_fence **out);

/* client.c */
void *rs_client_main(void *arg);

/* pressure.c */
struct rs_pressure;
int rs_pressure_start(struct rs_world *w, struct rs_pressure **out);
void rs_pressure_stop(struct rs_pressure *p);

/* output.c */
struct rs_totals;
void rs_progress(struct rs_world *w, double elapsed, bool final);
void rs_summary(struct rs_world *w, double elapsed, bool ok);

static inline bool rs_stopping(struct rs_world *w)
{
	return __atomic_load_n(&w->stop, __ATOMIC_ACQUIRE);
}

#endif /* RESV_SIM_H */
