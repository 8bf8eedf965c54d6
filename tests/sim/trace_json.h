/* SPDX-License-Identifier: MIT */
/*
 * A strict little JSON reader (RFC 8259) for the trace tests: it parses a
 * whole document into a tree, refusing anything a strict parser refuses
 * (trailing commas, raw control characters in strings, bad escapes, leading
 * zeros, garbage after the value), and checks the shape of a Chrome/Perfetto
 * trace. Test code: plain malloc.
 */
#ifndef SIM_TRACE_JSON_H
#define SIM_TRACE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tj_type { TJ_NULL, TJ_BOOL, TJ_NUM, TJ_STR, TJ_ARR, TJ_OBJ };

struct tj_val {
	enum tj_type type;
	bool boolean;
	double num;
	char *str;		/* TJ_STR: decoded, NUL-terminated (UTF-8) */
	size_t n;		/* TJ_ARR, TJ_OBJ: entries */
	struct tj_val *items;	/* TJ_ARR, TJ_OBJ: values */
	char **keys;		/* TJ_OBJ: keys */
};

/* Parse @len bytes; 0, or -1 with a message in @err (position included). */
int tj_parse(const char *text, size_t len, struct tj_val *out, char *err, size_t errlen);
void tj_free(struct tj_val *v);

/* The member @key of object @obj, or NULL. */
const struct tj_val *tj_get(const struct tj_val *obj, const char *key);
/* The string member @key, or NULL when absent or not a string. */
const char *tj_str(const struct tj_val *obj, const char *key);
/* The number member @key into *@out: true when present and a number. */
bool tj_num(const struct tj_val *obj, const char *key, double *out);

/*
 * Check a parsed trace: an object with a "traceEvents" array of objects,
 * each with a one-letter "ph" of the kinds the recorder writes, numeric
 * "pid" and "tid", "name"; a numeric "ts" >= 0 (all but metadata); "dur"
 * >= 0 for X; "id" and "cat" for b/e, and every b followed by exactly one e
 * of the same cat/name/id (an unended b is accepted only when
 * otherData.dropped_events says events were dropped). Returns 0 or -1 with
 * a message in @err.
 */
int tj_check_trace(const struct tj_val *root, char *err, size_t errlen);

/* Read a whole file (malloc'd, NUL-terminated); NULL on error. */
char *tj_read_file(const char *path, size_t *len);

#endif /* SIM_TRACE_JSON_H */
