/* SPDX-License-Identifier: MIT */
/*
 * The one allocation wrapper every library allocation goes through, so that
 * fault injection ("fail the Nth allocation") reaches every allocation site
 * and the backend (private jemalloc arena or libc) is chosen in one place.
 */
#ifndef RESV_INTERNAL_ALLOC_H
#define RESV_INTERNAL_ALLOC_H

#include <stddef.h>

#include "internal/compiler.h"

/* Returns NULL on (possibly injected) failure; callers return -ENOMEM. */
RESV_INTERNAL void *resv__malloc(size_t size);
/* As resv__malloc(), zero-filled. */
RESV_INTERNAL void *resv__zalloc(size_t size);
/* @size must be the size passed at allocation; NULL is ignored. */
RESV_INTERNAL void resv__free(void *ptr, size_t size);

#endif /* RESV_INTERNAL_ALLOC_H */
