/* SPDX-License-Identifier: MIT */
/*
 * The strict JSON reader and trace shape check of trace_json.h: recursive
 * descent over the RFC 8259 grammar, depth-limited.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_json.h"

#define TJ_MAX_DEPTH 64

struct tj_parser {
	const char *s;
	size_t len, pos;
	char *err;
	size_t errlen;
	bool failed;
};

static int fail(struct tj_parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return -1;
	p->failed = true;
	n = snprintf(p->err, p->errlen, "at byte %zu: ", p->pos);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static void skip_ws(struct tj_parser *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
		p->pos++;
}

static int peek(struct tj_parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static int parse_value(struct tj_parser *p, struct tj_val *v, int depth);

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put_utf8(char *out, size_t *o, unsigned int cp)
{
	if (cp < 0x80) {
		out[(*o)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*o)++] = (char)(0xc0 | (cp >> 6));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*o)++] = (char)(0xe0 | (cp >> 12));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*o)++] = (char)(0xf0 | (cp >> 18));
		out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static int parse_hex4(struct tj_parser *p, unsigned int *cp)
{
	*cp = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(peek(p));

		if (h < 0)
			return fail(p, "bad \\u escape");
		*cp = *cp * 16 + (unsigned int)h;
		p->pos++;
	}
	return 0;
}

/* A string; the opening quote is at pos. Decoded into *out (malloc). */
static int parse_string(struct tj_parser *p, char **out)
{
	size_t start = ++p->pos, o = 0;
	char *buf;

	/* Decoding never grows the text: size the buffer by the raw length. */
	while (p->pos < p->len && p->s[p->pos] != '"')
		p->pos += p->s[p->pos] == '\\' ? 2 : 1;
	if (p->pos >= p->len)
		return fail(p, "unterminated string");
	buf = malloc(p->pos - start + 1);
	if (!buf)
		return fail(p, "out of memory");
	p->pos = start;
	while (p->s[p->pos] != '"') {
		unsigned char c = (unsigned char)p->s[p->pos++];
		unsigned int cp, lo;

		if (c < 0x20) {
			free(buf);
			return fail(p, "raw control character in a string");
		}
		if (c != '\\') {
			buf[o++] = (char)c;
			continue;
		}
		c = (unsigned char)p->s[p->pos++];
		switch (c) {
		case '"': buf[o++] = '"'; break;
		case '\\': buf[o++] = '\\'; break;
		case '/': buf[o++] = '/'; break;
		case 'b': buf[o++] = '\b'; break;
		case 'f': buf[o++] = '\f'; break;
		case 'n': buf[o++] = '\n'; break;
		case 'r': buf[o++] = '\r'; break;
		case 't': buf[o++] = '\t'; break;
		case 'u':
			if (parse_hex4(p, &cp))
				goto bad;
			if (cp >= 0xd800 && cp < 0xdc00) {	/* a surrogate pair */
				if (peek(p) != '\\' || p->s[p->pos + 1] != 'u') {
					fail(p, "lone high surrogate");
					goto bad;
				}
				p->pos += 2;
				if (parse_hex4(p, &lo))
					goto bad;
				if (lo < 0xdc00 || lo > 0xdfff) {
					fail(p, "bad low surrogate");
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				fail(p, "lone low surrogate");
				goto bad;
			}
			if (cp == 0) {
				fail(p, "\\u0000 is not supported");
				goto bad;
			}
			put_utf8(buf, &o, cp);
			break;
		default:
			fail(p, "bad escape \\%c", c);
			goto bad;
		}
	}
	p->pos++;
	buf[o] = 0;
	*out = buf;
	return 0;
bad:
	free(buf);
	return -1;
}

static int parse_number(struct tj_parser *p, struct tj_val *v)
{
	size_t start = p->pos;
	char tmp[64];

	if (peek(p) == '-')
		p->pos++;
	if (peek(p) == '0') {
		p->pos++;
	} else if (peek(p) >= '1' && peek(p) <= '9') {
		while (peek(p) >= '0' && peek(p) <= '9')
			p->pos++;
	} else {
		return fail(p, "bad number");
	}
	if (peek(p) == '.') {
		p->pos++;
		if (!(peek(p) >= '0' && peek(p) <= '9'))
			return fail(p, "no digit after the decimal point");
		while (peek(p) >= '0' && peek(p) <= '9')
			p->pos++;
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!(peek(p) >= '0' && peek(p) <= '9'))
			return fail(p, "no digit in the exponent");
		while (peek(p) >= '0' && peek(p) <= '9')
			p->pos++;
	}
	if (p->pos - start >= sizeof(tmp))
		return fail(p, "number too long");
	memcpy(tmp, p->s + start, p->pos - start);
	tmp[p->pos - start] = 0;
	v->type = TJ_NUM;
	v->num = strtod(tmp, NULL);
	return 0;
}

static int parse_literal(struct tj_parser *p, const char *lit)
{
	size_t n = strlen(lit);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, lit, n))
		return fail(p, "unexpected character '%c'", p->s[p->pos]);
	p->pos += n;
	return 0;
}

/* Arrays and objects grow their item arrays by doubling. */
static int add_item(struct tj_parser *p, struct tj_val *v, size_t *cap, char *key)
{
	if (v->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct tj_val *items = realloc(v->items, ncap * sizeof(*items));
		char **keys;

		if (!items)
			return fail(p, "out of memory");
		v->items = items;
		if (v->type == TJ_OBJ) {
			keys = realloc(v->keys, ncap * sizeof(*keys));
			if (!keys)
				return fail(p, "out of memory");
			v->keys = keys;
		}
		*cap = ncap;
	}
	memset(&v->items[v->n], 0, sizeof(v->items[0]));
	if (v->type == TJ_OBJ)
		v->keys[v->n] = key;
	v->n++;
	return 0;
}

static int parse_container(struct tj_parser *p, struct tj_val *v, int depth, bool obj)
{
	size_t cap = 0;
	char close = obj ? '}' : ']';

	v->type = obj ? TJ_OBJ : TJ_ARR;
	p->pos++;
	skip_ws(p);
	if (peek(p) == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		char *key = NULL;

		skip_ws(p);
		if (obj) {
			if (peek(p) != '"')
				return fail(p, "expected a key");
			if (parse_string(p, &key))
				return -1;
			skip_ws(p);
			if (peek(p) != ':') {
				free(key);
				return fail(p, "expected ':'");
			}
			p->pos++;
		}
		if (add_item(p, v, &cap, key)) {
			free(key);
			return -1;
		}
		if (parse_value(p, &v->items[v->n - 1], depth + 1))
			return -1;
		skip_ws(p);
		if (peek(p) == ',') {
			p->pos++;
			skip_ws(p);
			if (peek(p) == close)
				return fail(p, "trailing comma");
			continue;
		}
		if (peek(p) == close) {
			p->pos++;
			return 0;
		}
		return fail(p, "expected ',' or '%c'", close);
	}
}

static int parse_value(struct tj_parser *p, struct tj_val *v, int depth)
{
	if (depth > TJ_MAX_DEPTH)
		return fail(p, "nested too deep");
	skip_ws(p);
	switch (peek(p)) {
	case '{':
		return parse_container(p, v, depth, true);
	case '[':
		return parse_container(p, v, depth, false);
	case '"':
		v->type = TJ_STR;
		return parse_string(p, &v->str);
	case 't':
		v->type = TJ_BOOL;
		v->boolean = true;
		return parse_literal(p, "true");
	case 'f':
		v->type = TJ_BOOL;
		return parse_literal(p, "false");
	case 'n':
		v->type = TJ_NULL;
		return parse_literal(p, "null");
	case -1:
		return fail(p, "unexpected end");
	default:
		return parse_number(p, v);
	}
}

int tj_parse(const char *text, size_t len, struct tj_val *out, char *err, size_t errlen)
{
	struct tj_parser p = { .s = text, .len = len, .err = err, .errlen = errlen };

	memset(out, 0, sizeof(*out));
	if (parse_value(&p, out, 0) == 0) {
		skip_ws(&p);
		if (p.pos != p.len)
			fail(&p, "garbage after the value");
	}
	if (p.failed) {
		tj_free(out);
		return -1;
	}
	return 0;
}

void tj_free(struct tj_val *v)
{
	for (size_t i = 0; i < v->n; i++) {
		tj_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	memset(v, 0, sizeof(*v));
}

const struct tj_val *tj_get(const struct tj_val *obj, const char *key)
{
	if (!obj || obj->type != TJ_OBJ)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (!strcmp(obj->keys[i], key))
			return &obj->items[i];
	return NULL;
}

const char *tj_str(const struct tj_val *obj, const char *key)
{
	const struct tj_val *v = tj_get(obj, key);

	return v && v->type == TJ_STR ? v->str : NULL;
}

bool tj_num(const struct tj_val *obj, const char *key, double *out)
{
	const struct tj_val *v = tj_get(obj, key);

	if (!v || v->type != TJ_NUM)
		return false;
	*out = v->num;
	return true;
}

/* ---- trace shape ---------------------------------------------------------------- */

struct pair_key {
	char *text;	/* "cat\nname\nid" */
	int delta;	/* +1 for b, -1 for e */
	double ts;
};

static int cmp_pair(const void *a, const void *b)
{
	const struct pair_key *x = a, *y = b;
	int c = strcmp(x->text, y->text);

	if (c)
		return c;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return y->delta - x->delta;	/* at equal times, begin first */
}

static int check_fail(char *err, size_t errlen, size_t i, const char *what)
{
	snprintf(err, errlen, "traceEvents[%zu]: %s", i, what);
	return -1;
}

/* @lenient: events were dropped, so a begin may lack its end. */
static int check_pairs(struct pair_key *pairs, size_t n, bool lenient, char *err,
		       size_t errlen)
{
	int ret = 0;

	qsort(pairs, n, sizeof(*pairs), cmp_pair);
	for (size_t i = 0; i < n && !ret;) {
		size_t j = i;
		int open = 0;

		for (; j < n && !strcmp(pairs[j].text, pairs[i].text); j++) {
			open += pairs[j].delta;
			if (open < 0 || open > 1) {
				snprintf(err, errlen, "async span %s: unpaired begin/end", pairs[i].text);
				ret = -1;
				break;
			}
		}
		if (!ret && open && !lenient) {
			snprintf(err, errlen, "async span %s: never ended", pairs[i].text);
			ret = -1;
		}
		i = j;
	}
	return ret;
}

int tj_check_trace(const struct tj_val *root, char *err, size_t errlen)
{
	const struct tj_val *events = tj_get(root, "traceEvents");
	struct pair_key *pairs;
	size_t npairs = 0;
	int ret = 0;

	if (!events || events->type != TJ_ARR) {
		snprintf(err, errlen, "no traceEvents array");
		return -1;
	}
	pairs = calloc(events->n + 1, sizeof(*pairs));
	if (!pairs) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < events->n && !ret; i++) {
		const struct tj_val *ev = &events->items[i];
		const char *ph = tj_str(ev, "ph"), *name = tj_str(ev, "name");
		double num;

		if (ev->type != TJ_OBJ)
			ret = check_fail(err, errlen, i, "not an object");
		else if (!ph || strlen(ph) != 1 || !strchr("XiMbeC", ph[0]))
			ret = check_fail(err, errlen, i, "bad ph");
		else if (!name)
			ret = check_fail(err, errlen, i, "no name");
		else if (!tj_num(ev, "pid", &num) || !tj_num(ev, "tid", &num))
			ret = check_fail(err, errlen, i, "no numeric pid/tid");
		else if (ph[0] != 'M' && (!tj_num(ev, "ts", &num) || num < 0))
			ret = check_fail(err, errlen, i, "no ts >= 0");
		else if (ph[0] == 'X' && (!tj_num(ev, "dur", &num) || num < 0))
			ret = check_fail(err, errlen, i, "X without dur >= 0");
		else if (ph[0] == 'M' && !tj_str(tj_get(ev, "args"), "name"))
			ret = check_fail(err, errlen, i, "metadata without args.name");
		else if ((ph[0] == 'b' || ph[0] == 'e') && (!tj_str(ev, "id") || !tj_str(ev, "cat")))
			ret = check_fail(err, errlen, i, "async event without id and cat");
		if (ret || (ph[0] != 'b' && ph[0] != 'e'))
			continue;
		/* Perfetto pairs b/e by category, name and id. */
		{
			size_t len = strlen(tj_str(ev, "cat")) + strlen(name) +
				     strlen(tj_str(ev, "id")) + 3;
			char *text = malloc(len);

			if (!text) {
				ret = check_fail(err, errlen, i, "out of memory");
				break;
			}
			snprintf(text, len, "%s/%s/%s", tj_str(ev, "cat"), name, tj_str(ev, "id"));
			tj_num(ev, "ts", &pairs[npairs].ts);
			pairs[npairs].text = text;
			pairs[npairs++].delta = ph[0] == 'b' ? 1 : -1;
		}
	}
	if (!ret) {
		double dropped = 0;

		tj_num(tj_get(root, "otherData"), "dropped_events", &dropped);
		ret = check_pairs(pairs, npairs, dropped > 0, err, errlen);
	}
	for (size_t i = 0; i < npairs; i++)
		free(pairs[i].text);
	free(pairs);
	return ret;
}

char *tj_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)size + 1);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[size] = 0;
			*len = (size_t)size;
		}
	}
	fclose(f);
	return buf;
}
