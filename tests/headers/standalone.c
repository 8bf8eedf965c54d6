/* SPDX-License-Identifier: MIT */
/* Compiled after -include <resv/HEADER.h>: proves the header stands alone. */
typedef int resv_header_check_nonempty;
