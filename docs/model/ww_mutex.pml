/* SPDX-License-Identifier: MIT */
/*
 * A Promela model of the ww_mutex acquire algorithm (lib/ww_mutex.c), checked
 * with spin by scripts/check-model.sh (`make model`).
 *
 * NTX transactions each lock all NLOCK locks, every one in a different
 * (rotated) order, so plain blocking locks can deadlock in a cycle. Each
 * transaction is one ww_acquire_ctx: its stamp is its process number (lower
 * = older) and is kept across back-offs, exactly as a context keeps its
 * stamp from ww_acquire_init() to ww_acquire_fini().
 *
 * Compile-time choices (spin -D...):
 *   WAIT_DIE=1  Wait-Die: a younger context that holds locks dies (-EDEADLK)
 *               when the lock it wants is held by an older one; an older
 *               context waits.
 *   WAIT_DIE=0  Wound-Wait: an older context wounds a younger holder and
 *               waits; a wounded context that holds locks backs off when it
 *               would have to wait (it is woken to notice).
 *   BROKEN=1    no back-off at all: contexts just wait. The checker must
 *               find the deadlock (the model is only trusted because it
 *               catches this).
 *   HANDOFF=0   unlock frees the lock instead of handing it to the oldest
 *               waiter, and woken waiters race for it. Both algorithms
 *               still verify: hand-off is not needed for deadlock freedom
 *               or progress under weak fairness. lib/ww_mutex.c hands off
 *               for throughput and against starvation by real schedulers,
 *               which weak fairness does not model.
 *
 * After -EDEADLK a context unlocks everything, then sleeps on the contended
 * lock without any die/wound check (ww_mutex_lock_slow(), acquired == 0),
 * and takes the remaining locks in its order; the one it already holds is
 * -EALREADY and skipped. Only a context holding locks (acquired > 0) ever
 * backs off, and a fresh back-off clears the wounded flag, as in the kernel
 * (__ww_mutex_lock: "if (!ww_ctx->acquired) ww_ctx->wounded = 0").
 *
 * Properties checked:
 *   - no invalid end state (deadlock), and two assertions: mutual exclusion
 *     in the critical section, and "the oldest context never backs off"
 *     (the reason stamps are kept across back-offs), by the safety run;
 *   - `done`: under weak fairness every transaction eventually finishes
 *     (no livelock: the oldest context never backs off).
 */

#ifndef NTX
#define NTX 3
#endif
#ifndef NLOCK
#define NLOCK 3
#endif
#ifndef WAIT_DIE
#define WAIT_DIE 1
#endif
#ifndef BROKEN
#define BROKEN 0
#endif
#ifndef HANDOFF
#define HANDOFF 1
#endif

#define FREE 255

byte owner[NLOCK];		/* FREE or the transaction holding the lock */
byte waiting_on[NTX];		/* FREE or the lock a transaction sleeps on */
bool wounded[NTX];
byte finished;

/*
 * Unlock: like lib/ww_mutex.c, hand the lock directly to the first waiter
 * of its stamp-ordered list (the oldest), or free it when nobody waits.
 */
inline unlock_all()
{
	j = 0;
	do
	:: j < NLOCK ->
		atomic {
			if
			:: owner[j] == me ->
				owner[j] = FREE;
				w = (HANDOFF -> 0 : NTX);
				do
				:: w < NTX && waiting_on[w] == j -> owner[j] = w; break
				:: w < NTX && waiting_on[w] != j -> w++
				:: w == NTX -> break
				od
			:: else -> skip
			fi
		};
		j++
	:: else -> break
	od;
	acquired = 0
}

/* Take lock l at once, or queue on it (got == false). */
inline lock_or_queue()
{
	atomic {
		if
		:: owner[l] == FREE -> owner[l] = me; acquired++; got = true
		:: else -> waiting_on[me] = l; got = false
		fi
	}
}

inline backoff()
{
	assert(me != 0);	/* the oldest context is never killed */
	contended = l;
	unlock_all();
	goto retry
}

proctype tx(byte me)
{
	byte k, l, j, w, acquired;
	byte contended = FREE;
	bool got;

retry:
	if
	:: contended != FREE ->
		/* ww_mutex_lock_slow(): acquired == 0, so no die / wound check. */
		wounded[me] = false;
		l = contended;
		contended = FREE;
		lock_or_queue();
		if
		:: got -> skip
		:: else -> atomic { (owner[l] == me || owner[l] == FREE) -> owner[l] = me; waiting_on[me] = FREE; acquired++ }
		fi
	:: else -> skip
	fi;

	k = 0;
	do
	:: k == NLOCK -> break
	:: else ->
		l = (me + k) % NLOCK;
		if
		:: owner[l] == me -> k++	/* -EALREADY: the slow-locked one */
		:: else ->
			if
			:: acquired == 0 -> wounded[me] = false
			:: else -> skip
			fi;
			lock_or_queue();
			if
			:: got -> k++
			:: else ->
wait:
				if
				:: atomic { (owner[l] == me || owner[l] == FREE) -> owner[l] = me; waiting_on[me] = FREE; acquired++ }; k++
#if !BROKEN
#if WAIT_DIE
				:: atomic { owner[l] != me && owner[l] < me && acquired > 0 ->
					waiting_on[me] = FREE };
					backoff()
#else
				:: atomic { owner[l] != me && owner[l] != FREE && owner[l] > me &&
					    !wounded[owner[l]] -> wounded[owner[l]] = true };
					goto wait
				:: atomic { owner[l] != me && wounded[me] && acquired > 0 ->
					waiting_on[me] = FREE };
					backoff()
#endif
#endif
				fi
			fi
		fi
	od;

	/* Critical section: this transaction holds every lock. */
	j = 0;
	do
	:: j < NLOCK -> assert(owner[j] == me); j++
	:: else -> break
	od;

	unlock_all();
	finished++
}

init
{
	byte i;

	atomic {
		i = 0;
		do
		:: i < NLOCK -> owner[i] = FREE; i++
		:: else -> break
		od;
		i = 0;
		do
		:: i < NTX -> waiting_on[i] = FREE; i++
		:: else -> break
		od;
		i = 0;
		do
		:: i < NTX -> run tx(i); i++
		:: else -> break
		od
	}
}

ltl done { <> (finished == NTX) }
