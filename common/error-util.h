/* SPDX-License-Identifier: MIT */
#pragma once

/* Errors with a message for the user: library-like code returns a negative errno and, through an
 * optional char **ret_error, says in words what is wrong (it never logs above debug). */

#include "macro.h"

/* Replaces *ret_error (when ret_error is non-NULL) with the formatted message and returns r.
 * On a failed allocation *ret_error is NULL. */
int set_errorf(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);
