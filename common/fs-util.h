/* SPDX-License-Identifier: MIT */
#pragma once

/* Filesystem helpers. All return 0 or a negative errno. */

#include <stddef.h>
#include <sys/types.h>

/* Creates path and its missing parents with mode (existing dirs are left alone). */
int mkdir_p(const char *path, mode_t mode);
/* Removes path recursively (files, dirs, links; never follows links). Missing path is not an error. */
int rm_rf(const char *path);
/* Joins a and b with exactly one '/' between; returns a new string in *ret. */
int path_join(const char *a, const char *b, char **ret);
/* Reads a whole file (at most max bytes, else -EFBIG); NUL-terminates; size in *ret_size if non-NULL. */
int read_full_file(const char *path, size_t max, char **ret, size_t *ret_size);
/* Writes data to path atomically (temp file + rename) with mode. */
int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode);
/* Copies the tree at src into dst (created), preserving modes; used for render copies. */
int copy_tree(const char *src, const char *dst);
/* Changes the owner of path and everything under it (never follows links). */
int chown_recursive(const char *path, uid_t uid, gid_t gid);
/* Adds mode bits (e.g. S_IWGRP) to path and everything under it, links excepted. */
int chmod_add_recursive(const char *path, mode_t add);
