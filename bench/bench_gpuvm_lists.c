/* SPDX-License-Identifier: MIT */
/*
 * bench_gpuvm_lists: drm_gpuvm's extobj/evict lists protected by internal
 * spinlocks (the default) against DRM_GPUVM_RESV_PROTECTED (lists under the
 * VM's resv), the measurement the 2023 review debate never published.
 *
 * Two VMs, one per mode, each with K external objects, every one mapped
 * (a vm_bo on the extobj list) and evicted (on the evict list). For K = 1,
 * 16, 256, 4096, 65 536 and two scenarios:
 *
 *  walk       drm_gpuvm_validate() over the K evicted vm_bos with a
 *             callback that does nothing (an address compare tells churn
 *             entries apart; one counting walk afterwards checks that all K
 *             are visited): the list walk itself. The VM resv
 *             and every object are locked once, before timing, by one
 *             drm_exec (as during a real exec), so nothing is locked per
 *             item. Spinlock mode pays, per item, a spinlock round trip, a
 *             get_unless_zero CAS, a list move and a reference put;
 *             RESV_PROTECTED a pointer chase and a flag test.
 *  lock+walk  a whole exec: drm_exec_init, drm_gpuvm_prepare_vm,
 *             drm_gpuvm_prepare_objects (locks all K: the extobj walk plus
 *             one ww lock per object, no fence slots), drm_gpuvm_validate
 *             (the evict walk), drm_exec_fini (unlock all).
 *
 * Each scenario runs "single" (nothing else touches the VMs) and
 * "evicting": a thread evicts and revalidates C churn objects (further
 * external objects of the same VMs that the walk does not lock), paced at
 * EVICT_HZ attempts per second, holding only their resvs, as TTM's
 * eviction would. In spinlock mode that is a list insertion/removal under
 * the lock the walker takes per item; in RESV_PROTECTED mode it only flips
 * the vm_bo's flag. The churn
 * objects the evictor left evicted are walked too, so per-item figures
 * divide by the items actually visited (walk) or locked (lock+walk).
 *
 * Baselines in the same interleaved runs: a bare pointer chase over the
 * same evict list (bare_walk_ns) and the same calling the callback through
 * a pointer (bare_call_walk_ns): the floor of any walk that calls back per
 * item on this machine.
 *
 * Both modes are timed interleaved in one binary (harness: idle thread
 * first, warm-up, medians of interleaved runs). One line per K and
 * scenario:
 *
 *   SUMMARY bench=gpuvm_lists k=K mode=single|evicting
 *           resv_ns_per_item=W spinlock_ns_per_item=W ratio=spin/resv
 *           resv_lock_walk_ns_per_item=L spinlock_lock_walk_ns_per_item=L
 *           bare_walk_ns=… bare_call_walk_ns=…
 *           lock_walk_ratio=spin/resv resv_walk_target_met=0|1
 *
 * resv_ns_per_item / spinlock_ns_per_item are the walk (target for
 * RESV_PROTECTED: <= 3 ns per item walked). A walk that visits fewer than
 * K items or an exec that locks fewer than K objects fails the run.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <resv/drm_exec.h>
#include <resv/drm_gpuvm.h>

#include "harness.h"

#define CHURN 4
#define NMODES 2

static unsigned int g_failures;

#define FAIL(...)                                                       \
	do {                                                            \
		fprintf(stderr, "bench_gpuvm_lists: FAIL: " __VA_ARGS__); \
		fputc('\n', stderr);                                    \
		g_failures++;                                           \
	} while (0)

struct bbo {
	struct drm_gem_object base;
};

/*
 * The churn objects' vm_bos come from this array (through ops->vm_bo_alloc)
 * so that the timed callback can tell them apart by address alone, without
 * touching memory the walk itself would not touch.
 */
static struct drm_gpuvm_bo churn_vm_bos[NMODES * CHURN];
static unsigned int churn_next;
static bool alloc_churn;

/* One VM in one mode. */
struct side {
	struct drm_gpuvm vm;
	const char *name;
	unsigned int k;
	struct bbo **bo;		/* k walked objects, then CHURN */
	struct drm_gpuvm_bo **vm_bo;
	struct drm_gpuvm_ops ops;	/* per VM: the walk swaps the callback */
	uint64_t visits;		/* counting callback calls */
	uint64_t churn_visits;		/* timed walks: churn vm_bos visited */
	uint64_t walks;			/* walk scenario */
	uint64_t execs, locked;		/* lock+walk counters */
	struct drm_exec *held;		/* walk scenario: the exec holding all */
};

static void bbo_free(struct drm_gem_object *obj)
{
	drm_gem_object_release(obj);
	free(caa_container_of(obj, struct bbo, base));
}

static const struct drm_gem_object_funcs bbo_funcs = { .free = bbo_free };

static void vm_free(struct drm_gpuvm *gpuvm)
{
	(void)gpuvm;	/* embedded in struct side */
}

/* Verification walks: count every visit (the object stays evicted and listed). */
static int count_only(struct drm_gpuvm_bo *vm_bo, struct drm_exec *exec)
{
	struct side *s = caa_container_of(vm_bo->vm, struct side, vm);

	(void)exec;
	s->visits++;
	return 0;
}

/*
 * Timed walks: nothing per item but an address compare. A counter bumped
 * per item would add a store-to-load dependency (~1.5 ns) to every item;
 * the visits of the walked objects are known (K per walk, checked by a
 * counting walk afterwards), only the churn visits vary.
 */
static int walk_only(struct drm_gpuvm_bo *vm_bo, struct drm_exec *exec)
{
	(void)exec;
	if (__builtin_expect((uintptr_t)vm_bo - (uintptr_t)churn_vm_bos < sizeof(churn_vm_bos),
			     0)) {
		struct side *s = caa_container_of(vm_bo->vm, struct side, vm);

		s->churn_visits++;
	}
	return 0;
}

static struct drm_gpuvm_bo *bench_vm_bo_alloc(void)
{
	if (alloc_churn)
		return churn_next < NMODES * CHURN ? &churn_vm_bos[churn_next++] : NULL;
	return calloc(1, sizeof(struct drm_gpuvm_bo));
}

static void bench_vm_bo_free(struct drm_gpuvm_bo *vm_bo)
{
	if ((uintptr_t)vm_bo - (uintptr_t)churn_vm_bos >= sizeof(churn_vm_bos))
		free(vm_bo);
}

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p) {
		fprintf(stderr, "bench_gpuvm_lists: out of memory\n");
		exit(2);
	}
	return p;
}

/* Lock the VM resv and @n objects of @s in @exec (loop included). */
static int lock_objects(struct side *s, struct drm_exec *exec, unsigned int n)
{
	int ret = 0;

	drm_exec_until_all_locked(exec) {
		ret = drm_gpuvm_prepare_vm(&s->vm, exec, 0);
		drm_exec_retry_on_contention(exec);
		if (ret)
			break;
		for (unsigned int i = 0; i < n; i++) {
			ret = drm_exec_lock_obj(exec, &s->bo[i]->base);
			drm_exec_retry_on_contention(exec);
			if (ret)
				break;
		}
		if (ret)
			break;
	}
	return ret;
}

static void side_init(struct side *s, enum drm_gpuvm_flags flags, unsigned int k)
{
	struct drm_gem_object *r_obj = drm_gpuvm_resv_object_alloc(NULL);
	unsigned int n = k + CHURN;
	struct drm_exec exec;

	memset(s, 0, sizeof(*s));
	s->name = flags ? "resv" : "spinlock";
	s->ops = (struct drm_gpuvm_ops){
		.vm_free = vm_free,
		.vm_bo_alloc = bench_vm_bo_alloc,
		.vm_bo_free = bench_vm_bo_free,
		.vm_bo_validate = count_only,
	};
	s->k = k;
	s->bo = xmalloc(n * sizeof(*s->bo));
	s->vm_bo = xmalloc(n * sizeof(*s->vm_bo));
	if (!r_obj || drm_gpuvm_init(&s->vm, s->name, flags, NULL, r_obj, 0, 1ull << 40, 0, 0,
				     &s->ops)) {
		fprintf(stderr, "bench_gpuvm_lists: VM init failed\n");
		exit(2);
	}
	drm_gem_object_put(r_obj);
	for (unsigned int i = 0; i < n; i++) {
		s->bo[i] = xmalloc(sizeof(*s->bo[i]));
		if (drm_gem_object_init(&s->bo[i]->base, &bbo_funcs, 4096))
			exit(2);
	}

	/* Map everything: vm_bo + extobj list; evict the walked ones. */
	drm_exec_init(&exec, 0, n + 1);
	if (lock_objects(s, &exec, n)) {
		fprintf(stderr, "bench_gpuvm_lists: setup lock failed\n");
		exit(2);
	}
	for (unsigned int i = 0; i < n; i++) {
		alloc_churn = i >= k;
		s->vm_bo[i] = drm_gpuvm_bo_obtain(&s->vm, &s->bo[i]->base);
		alloc_churn = false;
		if (resv_is_err(s->vm_bo[i]))
			exit(2);
		drm_gpuvm_bo_extobj_add(s->vm_bo[i]);
		if (i < k)
			drm_gpuvm_bo_evict(s->vm_bo[i], true);
	}
	drm_exec_fini(&exec);
	/* RESV_PROTECTED: one prepare_objects pass folds the flags into the list. */
	drm_exec_init(&exec, 0, n + 1);
	drm_exec_until_all_locked(&exec) {
		int ret = drm_gpuvm_prepare_vm(&s->vm, &exec, 0);

		drm_exec_retry_on_contention(&exec);
		if (!ret)
			ret = drm_gpuvm_prepare_objects(&s->vm, &exec, 0);
		drm_exec_retry_on_contention(&exec);
		if (ret)
			exit(2);
	}
	drm_exec_fini(&exec);
}

static void side_fini(struct side *s)
{
	unsigned int n = s->k + CHURN;
	struct drm_exec exec;

	drm_exec_init(&exec, 0, n + 1);
	if (lock_objects(s, &exec, n))
		exit(2);
	for (unsigned int i = 0; i < n; i++)
		drm_gpuvm_bo_put(s->vm_bo[i]);
	drm_exec_fini(&exec);
	for (unsigned int i = 0; i < n; i++)
		drm_gem_object_put(&s->bo[i]->base);
	if (drm_gpuvm_refcount(&s->vm) != 1)
		FAIL("%s: VM references left: %ld", s->name, drm_gpuvm_refcount(&s->vm));
	drm_gpuvm_put(&s->vm);
	free(s->bo);
	free(s->vm_bo);
}

/* ---- the timed loops -------------------------------------------------------------- */

static int walk_loop(void *arg, uint64_t iters)
{
	struct side *s = arg;

	for (uint64_t i = 0; i < iters; i++) {
		if (drm_gpuvm_validate(&s->vm, s->held))
			return 1;
	}
	s->walks += iters;
	return 0;
}

/*
 * Baselines over the same evict list (the RESV_PROTECTED VM's, same memory,
 * same order): a bare pointer chase counting entries, and the same calling
 * the validate callback through a pointer. They bound from below what any
 * walk that calls back per item can cost on this machine.
 */
static int (*volatile bare_cb)(struct drm_gpuvm_bo *vm_bo, struct drm_exec *exec) = walk_only;

static int bare_walk_loop(void *arg, uint64_t iters)
{
	struct side *s = arg;
	uint64_t n = 0;

	for (uint64_t i = 0; i < iters; i++) {
		struct cds_list_head *pos;

		cds_list_for_each(pos, &s->vm.evict.list)
			n++;
		__asm__ __volatile__("" : "+r"(n));
	}
	return n < iters * s->k;
}

static int bare_call_loop(void *arg, uint64_t iters)
{
	struct side *s = arg;
	int (*cb)(struct drm_gpuvm_bo *, struct drm_exec *) = bare_cb;

	for (uint64_t i = 0; i < iters; i++) {
		struct drm_gpuvm_bo *vm_bo, *next;

		cds_list_for_each_entry_safe(vm_bo, next, &s->vm.evict.list, list.entry.evict)
			if (cb(vm_bo, s->held))
				return 1;
	}
	return 0;
}

static int lock_walk_loop(void *arg, uint64_t iters)
{
	struct side *s = arg;

	for (uint64_t i = 0; i < iters; i++) {
		struct drm_exec exec;
		int ret = 0;

		drm_exec_init(&exec, 0, s->k + CHURN + 1);
		drm_exec_until_all_locked(&exec) {
			ret = drm_gpuvm_prepare_vm(&s->vm, &exec, 0);
			drm_exec_retry_on_contention(&exec);
			if (ret)
				break;
			ret = drm_gpuvm_prepare_objects(&s->vm, &exec, 0);
			drm_exec_retry_on_contention(&exec);
			if (ret)
				break;
		}
		if (!ret)
			ret = drm_gpuvm_validate(&s->vm, &exec);
		s->locked += exec.num_objects - 1;	/* the VM resv aside */
		drm_exec_fini(&exec);
		if (ret)
			return 1;
	}
	s->execs += iters;
	return 0;
}

/* ---- the evicting thread ------------------------------------------------------------ */

/*
 * The evictor is paced: EVICT_HZ evictions per second in bursts every
 * millisecond. Flat out, it would take the walker's CPU (or its SMT
 * sibling) and measure the scheduler rather than the lists.
 */
#define EVICT_HZ 200000

struct evictor {
	struct side *side[NMODES];
	int stop;
	uint64_t evictions, missed;
	pthread_t thread;
};

static void *evictor_main(void *arg)
{
	struct evictor *ev = arg;
	struct bench_rng rng;

	uint64_t start = bench_now_ns();

	bench_rng_seed(&rng, bench_seed_for(0xe71c));
	while (!__atomic_load_n(&ev->stop, __ATOMIC_RELAXED)) {
		/* Ahead of the pace: sleep a millisecond. */
		if ((ev->evictions + ev->missed) * (1000000000ull / EVICT_HZ) >
		    bench_now_ns() - start) {
			bench_sleep_ms(1);
			continue;
		}
		struct side *s = ev->side[bench_rng_below(&rng, NMODES)];
		unsigned int i = s->k + (unsigned int)bench_rng_below(&rng, CHURN);
		struct drm_gem_object *obj = &s->bo[i]->base;

		if (!dma_resv_trylock(obj->resv)) {
			ev->missed++;	/* the exec holds it */
			continue;
		}
		/* Evicted, then valid again: a list insertion and removal in
		 * spinlock mode, two flag flips with RESV_PROTECTED. */
		drm_gpuvm_bo_evict(s->vm_bo[i], true);
		drm_gpuvm_bo_evict(s->vm_bo[i], bench_rng_below(&rng, 2));
		dma_resv_unlock(obj->resv);
		ev->evictions++;
	}
	return NULL;
}

/* ---- one K --------------------------------------------------------------------------- */

static double per_item(double ns_per_call, uint64_t calls, uint64_t items)
{
	return calls && items ? ns_per_call / ((double)items / (double)calls) : 0;
}

static void run_k(unsigned int k, bool evicting, const struct bench_opts *o)
{
	struct side side[NMODES];
	struct bench_variant walk[NMODES + 2], lock_walk[NMODES];
	struct evictor ev = { .stop = 0 };
	struct bench_summary sum;
	double w[NMODES], l[NMODES];
	uint64_t walk_items = o->quick ? 200000 : 4000000;
	uint64_t lock_items = o->quick ? 20000 : 400000;
	unsigned int runs = o->quick ? 3 : 9;
	struct drm_exec held;

	bench_set_phase(evicting ? "setup evicting" : "setup single");
	side_init(&side[0], DRM_GPUVM_RESV_PROTECTED, k);
	side_init(&side[1], 0, k);
	for (int m = 0; m < NMODES; m++) {
		walk[m] = (struct bench_variant){
			.name = side[m].name, .fn = walk_loop, .arg = &side[m],
			.iters = walk_items / k ? walk_items / k : 1,
		};
		lock_walk[m] = (struct bench_variant){
			.name = side[m].name, .fn = lock_walk_loop, .arg = &side[m],
			.iters = lock_items / k ? lock_items / k : 1,
		};
	}
	if (evicting) {
		ev.side[0] = &side[0];
		ev.side[1] = &side[1];
		if (pthread_create(&ev.thread, NULL, evictor_main, &ev)) {
			fprintf(stderr, "bench_gpuvm_lists: cannot start the evictor\n");
			exit(2);
		}
	}

	/* walk: both VMs and their K walked objects stay locked throughout. */
	bench_set_phase("walk");
	drm_exec_init(&held, 0, 2 * (k + 1));
	drm_exec_until_all_locked(&held) {
		for (int m = 0; m < NMODES; m++) {
			int ret = drm_gpuvm_prepare_vm(&side[m].vm, &held, 0);

			drm_exec_retry_on_contention(&held);
			for (unsigned int i = 0; !ret && i < k; i++) {
				ret = drm_exec_lock_obj(&held, &side[m].bo[i]->base);
				drm_exec_retry_on_contention(&held);
			}
			if (ret)
				exit(2);
		}
	}
	side[0].held = side[1].held = &held;
	side[0].ops.vm_bo_validate = side[1].ops.vm_bo_validate = walk_only;
	walk[NMODES] = (struct bench_variant){ .name = "bare", .fn = bare_walk_loop,
					       .arg = &side[0], .iters = walk[0].iters };
	walk[NMODES + 1] = (struct bench_variant){ .name = "bare+call", .fn = bare_call_loop,
						   .arg = &side[0], .iters = walk[0].iters };
	if (bench_ns_per_op_interleaved(walk, NMODES + 2, 1, runs))
		FAIL("k=%u: walk failed", k);
	/* Check what was timed: one counting walk visits every walked object. */
	for (int m = 0; m < NMODES; m++) {
		side[m].ops.vm_bo_validate = count_only;
		side[m].visits = 0;
		if (drm_gpuvm_validate(&side[m].vm, &held) || side[m].visits < k)
			FAIL("k=%u %s: a walk visited %" PRIu64 " items", k, side[m].name,
			     side[m].visits);
	}
	drm_exec_fini(&held);

	bench_set_phase("lock+walk");
	if (bench_ns_per_op_interleaved(lock_walk, NMODES, 1, runs))
		FAIL("k=%u: lock+walk failed", k);

	if (evicting) {
		__atomic_store_n(&ev.stop, 1, __ATOMIC_RELAXED);
		pthread_join(ev.thread, NULL);
		if (!ev.evictions)
			FAIL("k=%u: the evictor never evicted", k);
	}

	for (int m = 0; m < NMODES; m++) {
		struct side *s = &side[m];

		if (s->locked < s->execs * k)
			FAIL("k=%u %s: %" PRIu64 " objects locked in %" PRIu64 " execs", k,
			     s->name, s->locked, s->execs);
		w[m] = per_item(walk[m].median_ns, s->walks, s->walks * k + s->churn_visits);
		l[m] = per_item(lock_walk[m].median_ns, s->execs, s->locked);
	}

	bench_summary_begin(&sum, "gpuvm_lists");
	bench_summary_u64(&sum, "k", k);
	bench_summary_str(&sum, "mode", evicting ? "evicting" : "single");
	bench_summary_double(&sum, "resv_ns_per_item", w[0], 2);
	bench_summary_double(&sum, "spinlock_ns_per_item", w[1], 2);
	bench_summary_double(&sum, "ratio", w[0] > 0 ? w[1] / w[0] : 0, 2);
	/* RESV_PROTECTED's list holds exactly the K walked objects. */
	bench_summary_double(&sum, "bare_walk_ns", walk[NMODES].median_ns / k, 2);
	bench_summary_double(&sum, "bare_call_walk_ns", walk[NMODES + 1].median_ns / k, 2);
	bench_summary_double(&sum, "resv_lock_walk_ns_per_item", l[0], 1);
	bench_summary_double(&sum, "spinlock_lock_walk_ns_per_item", l[1], 1);
	bench_summary_double(&sum, "lock_walk_ratio", l[0] > 0 ? l[1] / l[0] : 0, 2);
	bench_summary_u64(&sum, "resv_walk_target_met", w[0] <= 3.0);
	if (evicting) {
		bench_summary_u64(&sum, "evictions", ev.evictions);
		bench_summary_u64(&sum, "evictions_missed", ev.missed);
	}
	if (bench_summary_end(&sum))
		g_failures++;

	side_fini(&side[0]);
	side_fini(&side[1]);
	churn_next = 0;	/* both sides' churn vm_bos are free again */
}

int main(int argc, char **argv)
{
	static const unsigned int ks[] = { 1, 16, 256, 4096, 65536 };
	struct bench_opts o;

	bench_parse_args(argc, argv, &o);
	bench_watchdog_arm(o.quick ? 120 : 1200);
	bench_idle_thread_start();
	printf("# bench_gpuvm_lists: quick=%d churn=%d sizeof(struct drm_gpuvm_bo)=%zu\n",
	       o.quick, CHURN, sizeof(struct drm_gpuvm_bo));
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		if (o.quick && ks[i] > 4096)
			break;
		run_k(ks[i], false, &o);
		run_k(ks[i], true, &o);
	}
	bench_idle_thread_stop();
	return g_failures ? 1 : 0;
}
