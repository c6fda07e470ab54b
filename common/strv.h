/* SPDX-License-Identifier: MIT */
#pragma once

/* NULL-terminated string arrays ("strv"), owned with all their strings. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* Frees every string and the array; accepts NULL; returns NULL. */
char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char * const *l);
/* Appends a copy of value; returns 0 or -ENOMEM. */
int strv_extend(char ***l, const char *value);
/* Appends value, taking ownership of it on success and on failure. */
int strv_consume(char ***l, char *value);
/* Appends copies of the strings that follow, up to a NULL. */
int strv_extend_many(char ***l, ...) _sentinel_;
/* Appends a formatted string. */
int strv_extendf(char ***l, const char *fmt, ...) _printf_(2, 3);
/* Returns a deep copy in *ret (NULL for NULL). */
int strv_copy(char * const *l, char ***ret);
bool strv_contains(char * const *l, const char *s);

#define STRV_FOREACH(s, l) for (char * const *s = (l); s && *s; s++)
