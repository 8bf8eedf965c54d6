// SPDX-License-Identifier: MIT
/* The libdrm-driven suite: core, syncobj and execbuf groups. */
#include "libdrm_test.h"

int main(void)
{
	int failed = 0;

	failed += lt_run_core();
	failed += lt_run_syncobj();
	failed += lt_run_exec();
	return failed ? 1 : 0;
}
