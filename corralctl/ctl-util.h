/* SPDX-License-Identifier: MIT */
#pragma once

/* Small helpers of corralctl: messages for the user, names and URL segments. */

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "macro.h"

/* Exit status for a usage error (unknown verb or option, wrong number of arguments), like systemctl. */
#define CTL_EXIT_USAGE 2

/* Prints "corralctl: <message>" to stderr. errno is set to -error first, so "%m" names the error.
 * Returns error if it is negative, else -EIO, so callers can write `return ctl_error_errno(r, …);`. */
int ctl_error_errno(int error, const char *fmt, ...) _printf_(2, 3);
#define ctl_error(...) ctl_error_errno(0, __VA_ARGS__)
/* Prints "corralctl: <message>" to stderr and returns nothing: for warnings and notices. */
void ctl_notice(const char *fmt, ...) _printf_(1, 2);

/* Turns a title or file name into a content name: lower-case ASCII letters and digits, every other
 * run of characters becomes one '-', no leading or trailing '-', at most 64 characters; "content"
 * when nothing is left. Returns 0 and a new string in *ret, or -ENOMEM. */
int ctl_slugify(const char *s, char **ret);

/* Percent-encodes s for use as one URL path segment or query value (only RFC 3986 unreserved
 * characters stay as they are). Returns 0 and a new string in *ret, or -ENOMEM. */
int ctl_url_escape(const char *s, char **ret);

/* Returns the last component of path without trailing slashes and without a ".tar.gz" or ".tgz"
 * suffix (for "/srv/app/" that is "app"). Returns 0 and a new string in *ret, or -ENOMEM. */
int ctl_bundle_basename(const char *path, char **ret);

/* Formats a JSON value for a table cell or a "key: value" line: strings as they are, null or a
 * missing value as "-", numbers and booleans as JSON, arrays and objects as compact JSON.
 * Control characters are replaced by '?', so a value cannot break the layout.
 * Returns 0 and a new string in *ret, or -ENOMEM. */
int ctl_json_to_cell(const json_t *v, char **ret);

/* Returns true if s ends with suffix. */
bool ctl_endswith(const char *s, const char *suffix);

/* jansson itself provides json_decrefp(). */
#define _cleanup_json_ _cleanup_(json_decrefp)
