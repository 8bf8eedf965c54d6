/* SPDX-License-Identifier: MIT */
/*
 * Misuse reports: one hook, replaceable by tests; the default prints and,
 * if asked to, aborts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/report.h"

static resv_report_hook_t report_hook;
static void *report_hook_arg;
static int report_abort = -1;	/* -1: not decided yet, read the environment */

void resv_report_set_hook(resv_report_hook_t hook, void *arg)
{
	resv_store_relaxed(&report_hook_arg, arg);
	resv_store_release(&report_hook, hook);
}

void resv_report_set_abort(bool abort_after_report)
{
	resv_store_relaxed(&report_abort, abort_after_report ? 1 : 0);
}

bool resv_report_checks_enabled(void)
{
	return RESV_DEBUG_BUILD;
}

const char *resv_report_kind_name(enum resv_report_kind kind)
{
	switch (kind) {
	case RESV_REPORT_WW_FINI_HELD:		return "ww_fini_held";
	case RESV_REPORT_WW_FINI_TWICE:		return "ww_fini_twice";
	case RESV_REPORT_WW_LOCK_AFTER_DONE:	return "ww_lock_after_done";
	case RESV_REPORT_WW_WRONG_RELOCK:	return "ww_wrong_relock";
	case RESV_REPORT_WW_CLASS_MISMATCH:	return "ww_class_mismatch";
	case RESV_REPORT_UNLOCK_NOT_HELD:	return "unlock_not_held";
	case RESV_REPORT_DESTROY_LOCKED:	return "destroy_locked";
	case RESV_REPORT_SLOW_WITH_LOCKS:	return "slow_with_locks";
	case RESV_REPORT_FENCE_WAIT_IN_SIGNALLING: return "fence_wait_in_signalling";
	case RESV_REPORT_FENCE_MISUSE:		return "fence_misuse";
	case RESV_REPORT_RESV_NOT_HELD:		return "resv_not_held";
	case RESV_REPORT_GPUVM_MISUSE:		return "gpuvm_misuse";
	case RESV_REPORT_LOCKDEP_CYCLE:		return "lockdep_cycle";
	case RESV_REPORT_LOCKDEP_RECURSIVE:	return "lockdep_recursive";
	case RESV_REPORT_LOCKDEP_WW_CTX_NESTED:	return "lockdep_ww_ctx_nested";
	case RESV_REPORT_LOCKDEP_WW_CTX_MIX:	return "lockdep_ww_ctx_mix";
	case RESV_REPORT_LOCKDEP_SIGNALLING_LOCK: return "lockdep_signalling_lock";
	case RESV_REPORT_LOCKDEP_SIGNALLING_ALLOC: return "lockdep_signalling_alloc";
	case RESV_REPORT_LOCKDEP_RECLAIM:	return "lockdep_reclaim";
	case RESV_REPORT_LOCKDEP_HELD_AT_EXIT:	return "lockdep_held_at_exit";
	case RESV_REPORT_LOCKDEP_NOT_HELD:	return "lockdep_not_held";
	case RESV_REPORT_MMU_NOTIFIER_MISUSE:	return "mmu_notifier_misuse";
	case RESV_REPORT_EXEC_MISUSE:		return "exec_misuse";
	}
	return "unknown";
}

static bool should_abort(void)
{
	int a = resv_load_relaxed(&report_abort);

	if (a < 0) {
		const char *env = getenv("RESV_REPORT_ABORT");

		a = env && strcmp(env, "1") == 0;
	}
	return a == 1;
}

static void deliver(struct resv_report *report)
{
	resv_report_hook_t hook = resv_load_acquire(&report_hook);

	if (hook) {
		hook(report, resv_load_relaxed(&report_hook_arg));
		return;
	}
	fprintf(stderr, "libresv: %s: %s (lock %p, ctx %p)\n%s",
		resv_report_kind_name(report->kind), report->message, report->lock, report->ctx,
		report->detail ? report->detail : "");
	if (should_abort())
		abort();
}

void resv__report(enum resv_report_kind kind, const void *lock, const void *ctx,
		  const char *fmt, ...)
{
	struct resv_report report = { .kind = kind, .lock = lock, .ctx = ctx };
	char message[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	report.message = message;
	deliver(&report);
}

void resv__report_detail(enum resv_report_kind kind, const void *lock, const void *ctx,
			 const char *detail, const char *fmt, ...)
{
	struct resv_report report = { .kind = kind, .lock = lock, .ctx = ctx, .detail = detail };
	char message[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	report.message = message;
	deliver(&report);
}
