/* SPDX-License-Identifier: MIT */
/* resv-sim's command line. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "resv-sim.h"

static const char usage[] =
	"usage: resv-sim [options]\n"
	"\n"
	"Client threads submit random batches (STORE_DW, FILL, COPY, ATOMIC_ADD) over\n"
	"random sets of shared buffer objects through the simulated GPU, with VRAM\n"
	"smaller than the working set (evictions), userptr invalidations and injected\n"
	"hangs; every write is checked against a model of what memory must hold.\n"
	"Exits 1 on any verification failure, 2 on a usage or setup error.\n"
	"\n"
	"  --clients N         client threads (default 4)\n"
	"  --objects N         shared buffer objects (default 48; 64..448 KiB each)\n"
	"  --vram MiB          VRAM size (default 10, below the ~12 MiB of objects)\n"
	"  --engines N         user engines (default 2)\n"
	"  --userptr-rate R    userptr invalidations per second (default 200; 0: none)\n"
	"  --shrink-rate R     shrinker calls per second (default 20; 0: none)\n"
	"  --hang-rate PPM     batches per million that hang (default 100); a hang\n"
	"                      holds its engine for the job timeout (500 ms)\n"
	"  --seconds S         run time (default 10)\n"
	"  --submissions N     stop after N batches instead\n"
	"  --seed S            workload seed (default: from the clock; printed)\n"
	"  --path P            execbuf | vm_bind | mixed (default mixed: each batch\n"
	"                      takes one path at random)\n"
	"  --verify-every N    check lanes every N batches per client (default 64)\n"
	"  --trace FILE        write a Chrome/Perfetto JSON trace (ui.perfetto.dev)\n"
	"  --trace-limit N     keep at most N trace events (default 2000000)\n"
	"  --ww-class C        wound-wait | wait-die: the algorithm of the dma_resv\n"
	"                      locks' ww class (default wait-die, as in the kernel)\n"
	"  --lock-graph FILE   write the lock validator's dependency graph (Graphviz\n"
	"                      dot) at the end; needs a build with the validator\n"
	"  --quiet             no progress line, only the summary\n"
	"  --help              this text\n";

const char *rs_ww_class_name(enum rs_ww_class ww_class)
{
	return ww_class == RS_WW_WOUND_WAIT ? "wound-wait" : "wait-die";
}

const char *rs_path_name(enum rs_path path)
{
	switch (path) {
	case RS_PATH_EXECBUF: return "execbuf";
	case RS_PATH_VM_BIND: return "vm_bind";
	default: return "mixed";
	}
}

static int parse_u64(const char *name, const char *s, uint64_t min, uint64_t max,
		     uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "resv-sim: --%s wants a number in %" PRIu64 "..%" PRIu64
			", not '%s'\n", name, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_double(const char *name, const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max)) {
		fprintf(stderr, "resv-sim: --%s wants a number in %g..%g, not '%s'\n", name, min,
			max, s);
		return -1;
	}
	*out = v;
	return 0;
}

enum {
	OPT_CLIENTS = 256, OPT_OBJECTS, OPT_VRAM, OPT_ENGINES, OPT_USERPTR, OPT_SHRINK, OPT_HANG,
	OPT_SECONDS, OPT_SUBMISSIONS, OPT_SEED, OPT_PATH, OPT_VERIFY, OPT_TRACE, OPT_TRACE_LIMIT,
	OPT_QUIET, OPT_HELP, OPT_BUG, OPT_TIMEOUT, OPT_WW_CLASS, OPT_LOCK_GRAPH,
};

static const struct option longopts[] = {
	{ "clients", required_argument, NULL, OPT_CLIENTS },
	{ "objects", required_argument, NULL, OPT_OBJECTS },
	{ "vram", required_argument, NULL, OPT_VRAM },
	{ "engines", required_argument, NULL, OPT_ENGINES },
	{ "userptr-rate", required_argument, NULL, OPT_USERPTR },
	{ "shrink-rate", required_argument, NULL, OPT_SHRINK },
	{ "hang-rate", required_argument, NULL, OPT_HANG },
	{ "seconds", required_argument, NULL, OPT_SECONDS },
	{ "submissions", required_argument, NULL, OPT_SUBMISSIONS },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "verify-every", required_argument, NULL, OPT_VERIFY },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "trace-limit", required_argument, NULL, OPT_TRACE_LIMIT },
	{ "ww-class", required_argument, NULL, OPT_WW_CLASS },
	{ "lock-graph", required_argument, NULL, OPT_LOCK_GRAPH },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "help", no_argument, NULL, OPT_HELP },
	/* hidden: sabotage and tuning for tests */
	{ "inject-bug", required_argument, NULL, OPT_BUG },
	{ "job-timeout-ms", required_argument, NULL, OPT_TIMEOUT },
	{ NULL, 0, NULL, 0 },
};

static int parse_one(int ch, const char *arg, struct rs_options *o)
{
	uint64_t v;

	switch (ch) {
	case OPT_CLIENTS:
		if (parse_u64("clients", arg, 1, 64, &v))
			return -1;
		o->clients = (unsigned int)v;
		return 0;
	case OPT_OBJECTS:
		if (parse_u64("objects", arg, 1, 4096, &v))
			return -1;
		o->objects = (unsigned int)v;
		return 0;
	case OPT_VRAM:
		return parse_u64("vram", arg, 1, 65536, &o->vram_mib);
	case OPT_ENGINES:
		if (parse_u64("engines", arg, 1, SIM_MAX_ENGINES, &v))
			return -1;
		o->engines = (unsigned int)v;
		return 0;
	case OPT_USERPTR:
		return parse_double("userptr-rate", arg, 0, 100000, &o->userptr_rate);
	case OPT_SHRINK:
		return parse_double("shrink-rate", arg, 0, 100000, &o->shrink_rate);
	case OPT_HANG:
		if (parse_u64("hang-rate", arg, 0, 1000000, &v))
			return -1;
		o->hang_ppm = (uint32_t)v;
		return 0;
	case OPT_SECONDS:
		if (parse_double("seconds", arg, 0.01, 1e6, &o->seconds))
			return -1;
		o->submissions = 0;
		return 0;
	case OPT_SUBMISSIONS:
		if (parse_u64("submissions", arg, 1, UINT64_MAX / 2, &o->submissions))
			return -1;
		o->seconds = 0;
		return 0;
	case OPT_SEED:
		o->seed_given = true;
		return parse_u64("seed", arg, 0, UINT64_MAX, &o->seed);
	case OPT_PATH:
		if (!strcmp(arg, "execbuf"))
			o->path = RS_PATH_EXECBUF;
		else if (!strcmp(arg, "vm_bind"))
			o->path = RS_PATH_VM_BIND;
		else if (!strcmp(arg, "mixed"))
			o->path = RS_PATH_MIXED;
		else {
			fprintf(stderr, "resv-sim: --path is execbuf, vm_bind or mixed, not '%s'\n",
				arg);
			return -1;
		}
		return 0;
	case OPT_VERIFY:
		if (parse_u64("verify-every", arg, 1, 1000000, &v))
			return -1;
		o->verify_every = (unsigned int)v;
		return 0;
	case OPT_TRACE:
		o->trace = arg;
		return 0;
	case OPT_TRACE_LIMIT:
		return parse_u64("trace-limit", arg, 1, UINT64_MAX / 2, &o->trace_limit);
	case OPT_QUIET:
		o->quiet = true;
		return 0;
	case OPT_WW_CLASS:
		if (!strcmp(arg, "wound-wait"))
			o->ww_class = RS_WW_WOUND_WAIT;
		else if (!strcmp(arg, "wait-die"))
			o->ww_class = RS_WW_WAIT_DIE;
		else {
			fprintf(stderr, "resv-sim: --ww-class is wound-wait or wait-die, not '%s'\n",
				arg);
			return -1;
		}
		return 0;
	case OPT_LOCK_GRAPH:
		o->lock_graph = arg;
		return 0;
	case OPT_BUG:
		if (!strcmp(arg, "skip-revalidate"))
			o->bug = RS_BUG_SKIP_REVALIDATE;
		else if (!strcmp(arg, "corrupt-store"))
			o->bug = RS_BUG_CORRUPT_STORE;
		else {
			fprintf(stderr, "resv-sim: --inject-bug is skip-revalidate or "
				"corrupt-store, not '%s'\n", arg);
			return -1;
		}
		return 0;
	case OPT_TIMEOUT:
		if (parse_u64("job-timeout-ms", arg, 1, 100000, &v))
			return -1;
		o->job_timeout_ms = (unsigned int)v;
		return 0;
	default:
		return -1;
	}
}

int rs_parse_options(int argc, char **argv, struct rs_options *o)
{
	struct timespec ts;
	int ch;

	*o = (struct rs_options){
		.clients = 4,
		.objects = 48,
		.engines = 2,
		.vram_mib = 10,
		.userptr_rate = 200,
		.shrink_rate = 20,
		.hang_ppm = 100,
		.seconds = 10,
		.path = RS_PATH_MIXED,
		.verify_every = 64,
		.job_timeout_ms = 500,
	};
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == OPT_HELP) {
			fputs(usage, stdout);
			return 1;
		}
		if (ch == '?' || ch == ':') {
			fprintf(stderr, "resv-sim: unknown or incomplete option '%s'\n%s",
				argv[optind - 1], usage);
			return -1;
		}
		if (parse_one(ch, optarg, o))
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "resv-sim: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->bug == RS_BUG_SKIP_REVALIDATE && o->path == RS_PATH_EXECBUF) {
		fprintf(stderr, "resv-sim: --inject-bug skip-revalidate needs VM_BIND execs "
			"(--path vm_bind or mixed)\n");
		return -1;
	}
	if (!o->seed_given) {
		clock_gettime(CLOCK_REALTIME, &ts);
		o->seed = ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec;
	}
	o->progress = !o->quiet && isatty(STDERR_FILENO);
	return 0;
}
