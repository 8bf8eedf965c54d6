/* SPDX-License-Identifier: MIT */
/**
 * DOC: compiler helpers shared by every public header
 *
 * RESV_EXPORT marks the documented API symbols; everything else in the
 * shared library is hidden. RESV_MUST_CHECK marks lock, reserve and
 * allocation functions whose result must not be ignored. RESV_PRINTF(fmt,
 * args) lets the compiler check printf-style format arguments.
 */
#ifndef RESV_COMPILER_H
#define RESV_COMPILER_H

#if defined(__GNUC__) || defined(__clang__)
#define RESV_EXPORT __attribute__((visibility("default")))
#define RESV_MUST_CHECK __attribute__((warn_unused_result))
#define RESV_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define RESV_EXPORT
#define RESV_MUST_CHECK
#define RESV_PRINTF(fmt, args)
#endif

#endif /* RESV_COMPILER_H */
