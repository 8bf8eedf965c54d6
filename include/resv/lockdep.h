/* SPDX-License-Identifier: MIT */
/**
 * DOC: Overview
 *
 * The lock validator: a userspace counterpart of the kernel's lockdep. It
 * watches every lock libresv takes (ww_mutexes and dma_resv locks, acquire
 * contexts, &struct resv_spinlock) and the locks a program annotates, and
 * reports, through the hook of <resv/report.h>, orders that *could*
 * deadlock, long before they do:
 *
 * - circular dependencies between lock classes (ABBA across threads, longer
 *   cycles), with the sites at which each lock of both chains was taken;
 * - ww misuse: two acquire contexts of one class active in one thread, a
 *   context-less ww_mutex_lock() of a class mixed with context locks of it;
 * - fence signalling sections (dma_fence_begin_signalling()): a blocking
 *   ww/resv lock, a fence wait or a library allocation inside one;
 * - reclaim: a library allocation while holding a lock that a shrinker
 *   (a resv_lockdep_reclaim_begin() section) takes with a blocking lock;
 * - a thread that exits with locks held; a release or assertion of an
 *   annotated lock the thread does not hold.
 *
 * Many ww_mutexes of one class locked under one acquire context are one
 * held entry with a count, so a context holding 100 000 dma_resv locks costs
 * O(1) per lock and unlock; lock order inside a context is not checked
 * (the ww algorithm resolves it by backing off).
 *
 * The validator is compiled in when libresv is built with RESV_LOCKDEP (on in
 * Debug and sanitizer builds, off in Release, where every hook vanishes).
 * This API exists in every build, so programs need no #ifdef; where the
 * validator is compiled out the functions do nothing.
 *
 * Annotating a program's own lock::
 *
 *	static struct resv_lockdep_class_key vm_lock_key =
 *		RESV_LOCKDEP_CLASS_KEY_INIT("vm->lock");
 *
 *	struct vm { pthread_rwlock_t lock; struct resv_lockdep_map dep_map; };
 *
 *	void vm_init(struct vm *vm)
 *	{
 *		pthread_rwlock_init(&vm->lock, NULL);
 *		resv_lockdep_map_init(&vm->dep_map, "vm->lock", &vm_lock_key);
 *	}
 *
 *	void vm_lock_read(struct vm *vm)
 *	{
 *		resv_lockdep_acquire(&vm->dep_map, RESV_LOCKDEP_READ);
 *		pthread_rwlock_rdlock(&vm->lock);
 *	}
 *
 *	void vm_unlock(struct vm *vm)
 *	{
 *		resv_lockdep_release(&vm->dep_map);
 *		pthread_rwlock_unlock(&vm->lock);
 *	}
 *
 * Annotate before blocking on the real lock, as the kernel does, so that
 * an order that deadlocks at once is still reported first.
 *
 * A shrinker marks its section so that the locks it takes become
 * reclaim-tainted::
 *
 *	resv_lockdep_reclaim_begin();
 *	if (dma_resv_trylock(bo->resv)) { evict(bo); dma_resv_unlock(bo->resv); }
 *	resv_lockdep_reclaim_end();
 *
 * Trylocks never add dependencies (they cannot deadlock), which is why
 * shrinkers trylock.
 *
 * Lock classes: every &struct ww_class gives two (its mutexes, and its
 * acquire contexts, which order like a lock taken before the first mutex);
 * a &struct resv_spinlock belongs to the class of the key it was initialised
 * with (resv_spin_lock_init_key()), or to the shared class "resv_spinlock",
 * whose members may nest in any order; an annotated lock belongs to the
 * class of its key. A key is identified by its address: it must have static
 * storage duration or be passed to resv_lockdep_unregister_key() before its
 * memory is reused. resv_ww_class_init() starts a fresh class.
 */
#ifndef RESV_LOCKDEP_H
#define RESV_LOCKDEP_H

#include <stdbool.h>
#include <stdio.h>

#include <resv/compiler.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct resv_lockdep_class_key - identifies a lock class by its address
 * @name: name of the class in reports, or NULL to use the name of the first
 *	map initialised with this key
 *
 * Define keys with static storage (RESV_LOCKDEP_CLASS_KEY_INIT()); all locks
 * initialised with one key form one class, ordered as one.
 */
struct resv_lockdep_class_key {
	const char *name;
};

/** RESV_LOCKDEP_CLASS_KEY_INIT - static initialiser of a key named @keyname */
#define RESV_LOCKDEP_CLASS_KEY_INIT(keyname) { .name = (keyname) }

/**
 * struct resv_lockdep_map - the validator's view of one annotated lock
 * @name: the lock's name in reports
 * @key: its class key, or NULL: the map's own address is the key (one class
 *	per map, for maps with static storage duration)
 *
 * Embed one in each lock a program wants checked and initialise it with
 * resv_lockdep_map_init() or RESV_LOCKDEP_MAP_INIT().
 */
struct resv_lockdep_map {
	const char *name;
	const struct resv_lockdep_class_key *key;
};

/** RESV_LOCKDEP_MAP_INIT - static initialiser of a map */
#define RESV_LOCKDEP_MAP_INIT(mapname, keyptr) { .name = (mapname), .key = (keyptr) }

/**
 * enum resv_lockdep_acquire_flags - how resv_lockdep_acquire() acquires
 * @RESV_LOCKDEP_TRYLOCK: a trylock that succeeded: held, but it adds no
 *	dependency and is never reported (it cannot deadlock)
 * @RESV_LOCKDEP_READ: a shared (read) acquisition; not reported as
 *	recursive when a lock of the same class is already held
 * @RESV_LOCKDEP_NESTED: taking a second lock of a class already held is
 *	intended (a documented nesting order, like the kernel's
 *	mutex_lock_nested()); without it, it is reported as recursive locking
 */
enum resv_lockdep_acquire_flags {
	RESV_LOCKDEP_TRYLOCK = 1u << 0,
	RESV_LOCKDEP_READ = 1u << 1,
	RESV_LOCKDEP_NESTED = 1u << 2,
};

/**
 * resv_lockdep_compiled_in() - whether this libresv contains the validator
 *
 * Context: any.
 * Return: true when built with RESV_LOCKDEP; false where every function of
 * this header is a no-op.
 */
RESV_EXPORT bool resv_lockdep_compiled_in(void);

/**
 * resv_lockdep_set_enabled() - switch the validator on or off at run time
 * @on: true to validate (the default, unless the environment variable
 *	``RESV_LOCKDEP=0`` is set when the library loads), false to stop
 *
 * While off, no acquisition is recorded and nothing is reported; releases
 * of locks recorded earlier are still tracked so that the per-thread state
 * stays consistent. Switch while no thread holds a lock it acquired with
 * the validator in the other state, or a release may be reported as not
 * held. Does nothing where the validator is compiled out.
 *
 * Context: any thread.
 */
RESV_EXPORT void resv_lockdep_set_enabled(bool on);

/**
 * resv_lockdep_enabled() - whether the validator runs
 *
 * Context: any.
 * Return: true when compiled in and switched on.
 */
RESV_EXPORT bool resv_lockdep_enabled(void);

/**
 * resv_lockdep_map_init() - initialise the map of an annotated lock
 * @map: the map
 * @name: the lock's name in reports; the string must outlive the map
 * @key: its class key, or NULL to use @map's own address (static maps only)
 *
 * Context: any; @map must not be held.
 */
RESV_EXPORT void resv_lockdep_map_init(struct resv_lockdep_map *map, const char *name,
				       const struct resv_lockdep_class_key *key);

/**
 * resv_lockdep_acquire() - record that the calling thread takes a lock
 * @map: the lock's map
 * @flags: a combination of &enum resv_lockdep_acquire_flags
 *
 * Call it before blocking on the real lock (for a trylock: after it
 * succeeded, with RESV_LOCKDEP_TRYLOCK). Adds the dependencies "each lock
 * held -> this one" and reports the first one that closes a cycle
 * (RESV_REPORT_LOCKDEP_CYCLE, or RESV_REPORT_LOCKDEP_RECLAIM when the cycle
 * runs through reclaim), or a second lock of a held class without
 * RESV_LOCKDEP_NESTED (RESV_REPORT_LOCKDEP_RECURSIVE).
 *
 * Context: any thread; the held-lock stack has no depth limit.
 */
RESV_EXPORT void resv_lockdep_acquire(struct resv_lockdep_map *map, unsigned int flags);

/**
 * resv_lockdep_release() - record that the calling thread released a lock
 * @map: the lock's map
 *
 * Locks may be released in any order; releasing the most recent one is
 * O(1). Releasing a map this thread does not hold is reported
 * (RESV_REPORT_UNLOCK_NOT_HELD) and changes nothing.
 *
 * Context: the thread that acquired it.
 */
RESV_EXPORT void resv_lockdep_release(struct resv_lockdep_map *map);

/**
 * resv_lockdep_assert_held() - report unless the calling thread holds @map
 * @map: the lock's map
 *
 * Reports RESV_REPORT_LOCKDEP_NOT_HELD (once per call site) when the
 * calling thread does not hold @map. Silent while the validator is off or
 * compiled out.
 *
 * Context: any.
 */
RESV_EXPORT void resv_lockdep_assert_held(const struct resv_lockdep_map *map);

/**
 * resv_lockdep_unregister_key() - forget the class of a key
 * @key: a key (of a map or a spinlock) whose memory is about to be freed
 *	or reused
 *
 * Drops the class and every dependency recorded for it, so that a new key
 * at the same address starts clean. No thread may hold a lock of the class.
 *
 * Context: any thread.
 */
RESV_EXPORT void resv_lockdep_unregister_key(const struct resv_lockdep_class_key *key);

/**
 * resv_lockdep_reclaim_begin() - the calling thread starts reclaiming memory
 *
 * Marks a shrinker: every lock taken with a blocking call until
 * resv_lockdep_reclaim_end() becomes reclaim-tainted, and a library
 * allocation (resv_malloc() or any allocation inside libresv) made later
 * while holding such a lock is reported (RESV_REPORT_LOCKDEP_RECLAIM):
 * the allocation could need the shrinker, which needs the lock. The
 * section orders like a lock (the kernel's fs_reclaim map): entering it
 * while holding a lock is itself an allocation under that lock.
 * Allocations inside the section are not checked. Sections nest.
 *
 * Context: any thread.
 */
RESV_EXPORT void resv_lockdep_reclaim_begin(void);

/**
 * resv_lockdep_reclaim_end() - end the innermost reclaim section
 *
 * Reports RESV_REPORT_UNLOCK_NOT_HELD when the thread is in none.
 *
 * Context: the thread that began it.
 */
RESV_EXPORT void resv_lockdep_reclaim_end(void);

/**
 * resv_lockdep_print_held_locks() - print the calling thread's held locks
 *
 * Writes one line per held entry to stderr (a ww context's locks of one
 * class are one entry with a count), for debugging.
 *
 * Context: any.
 */
RESV_EXPORT void resv_lockdep_print_held_locks(void);

/**
 * resv_lockdep_held_count() - how many lock entries the calling thread holds
 *
 * For harnesses that check "nothing left locked" after every call (the
 * ioctl fuzzer, a test's teardown). A ww context's locks of one class are
 * one entry, as resv_lockdep_print_held_locks() shows them.
 *
 * Context: any.
 * Return: the number of entries on the calling thread's held-lock stack;
 * 0 where the validator is compiled out.
 */
RESV_EXPORT unsigned int resv_lockdep_held_count(void);

/**
 * enum resv_lockdep_graph_format - output formats of resv_lockdep_write_graph()
 * @RESV_LOCKDEP_GRAPH_DOT: Graphviz dot: a ``digraph``, one node per live
 *	lock class (labelled with its name; shape by kind: ellipse for a ww
 *	acquire context class, box for a ww mutex class, rounded box for a
 *	spinlock class, dashed box for an annotated lock, octagon for
 *	reclaim; reclaim-tainted classes filled), one edge per recorded
 *	dependency "A -> B" (a lock of B was taken while one of A was held),
 *	labelled with the site where B was taken the first time
 */
enum resv_lockdep_graph_format {
	RESV_LOCKDEP_GRAPH_DOT,
};

/**
 * resv_lockdep_write_graph() - write the validator's dependency graph
 * @f: where to write
 * @fmt: the format, see &enum resv_lockdep_graph_format
 *
 * Not in the kernel (whose /proc/lockdep lists the same graph as text).
 * Takes a snapshot of every lock class alive and every dependency the
 * validator recorded since the process started (or since classes were
 * unregistered), then writes it outside the validator's lock. Nodes are
 * sorted by class name and edges by the names at both ends, so two runs
 * that recorded the same dependencies write the same graph but for the
 * site labels. The snapshot is a library allocation (allocation-failure
 * injection applies); nothing is written when it fails.
 *
 * Context: any thread; not inside a fence signalling section (it
 * allocates). Other threads may keep locking meanwhile: their new
 * dependencies may or may not be in the graph.
 * Return: 0; -EINVAL when @f is NULL or @fmt unknown; -EOPNOTSUPP when the
 * validator is compiled out (nothing written); -ENOMEM when the snapshot
 * could not be allocated (nothing written); -EIO when writing to @f failed.
 */
RESV_EXPORT RESV_MUST_CHECK int resv_lockdep_write_graph(FILE *f,
							 enum resv_lockdep_graph_format fmt);

#ifdef __cplusplus
}
#endif

#endif /* RESV_LOCKDEP_H */
