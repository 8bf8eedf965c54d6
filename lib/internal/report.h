/* SPDX-License-Identifier: MIT */
/* Delivers a misuse report to the installed hook (see <resv/report.h>). */
#ifndef RESV_INTERNAL_REPORT_H
#define RESV_INTERNAL_REPORT_H

#include <resv/report.h>

#include "internal/compiler.h"

RESV_INTERNAL void resv__report(enum resv_report_kind kind, const void *lock,
				const void *ctx, const char *fmt, ...) RESV_PRINTF(4, 5);

/* As resv__report(), with a multi-line @detail (each line ending in '\n'). */
RESV_INTERNAL void resv__report_detail(enum resv_report_kind kind, const void *lock,
				       const void *ctx, const char *detail,
				       const char *fmt, ...) RESV_PRINTF(5, 6);

#endif /* RESV_INTERNAL_REPORT_H */
