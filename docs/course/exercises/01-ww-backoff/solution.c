/* SPDX-License-Identifier: MIT */
/* Exercise 01, solved: the ww acquire/back-off loop. */
#include <errno.h>

#include "task.h"

int lock_all(struct ww_mutex **locks, unsigned int n, struct ww_acquire_ctx *ctx)
{
	struct ww_mutex *slow = NULL;	/* slow-locked, and the loop has not reached it */
	unsigned int i, failed;
	int ret;

again:
	for (i = 0; i < n; i++) {
		if (locks[i] == slow) {
			slow = NULL;	/* held already: from here it is one of locks[0..i) */
			continue;
		}
		ret = ww_mutex_lock(locks[i], ctx);
		if (ret)
			goto back_off;
	}
	ww_acquire_done(ctx);
	return 0;

back_off:
	/*
	 * An older transaction needs something we hold (Wound-Wait), or we
	 * asked an older one for its lock (Wait-Die): either way we are the
	 * younger and give way. Release everything so it can finish...
	 */
	failed = i;
	while (i--)
		ww_mutex_unlock(locks[i]);
	if (slow)
		ww_mutex_unlock(slow);
	if (ret != -EDEADLK)	/* -EALREADY cannot happen: the locks are distinct */
		return ret;
	/*
	 * ...then wait for the lock we lost on while holding nothing, which
	 * cannot be part of a cycle, and start over with it in hand. Our stamp
	 * is kept: we only get older, so we cannot lose for ever.
	 */
	slow = locks[failed];
	ww_mutex_lock_slow(slow, ctx);
	goto again;
}
