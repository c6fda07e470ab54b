/* SPDX-License-Identifier: MIT */
#pragma once

/* Bundles for deploy: a directory packed into a gzip-compressed tar, or a .tar.gz taken as is. */

#include <stdint.h>

/* The largest bundle corralctl sends (compressed size). */
#define PACK_SIZE_MAX ((uint64_t) 1024 * 1024 * 1024)

/* Packs the tree at dir into a gzip-compressed tar (pax) written to fd. Members carry paths
 * relative to dir ("app.R", "www/", "www/style.css"), in sorted order; only directories and
 * regular files go in. ".git" directories are skipped at any depth; other special files (FIFOs,
 * sockets, devices) are skipped too. A symbolic link that resolves to a regular file inside dir is
 * packed as a copy of that file; any other link (leading out of dir, dangling, or to a directory)
 * is refused. Prints what it refuses ("corralctl: …").
 * Returns 0 or a negative errno: -ENOTDIR (dir is not a directory), -EXDEV (a link leads out of dir
 * or is dangling), -ELOOP (a link to a directory), -EFBIG (the archive would exceed max_size bytes),
 * or an I/O error. */
int pack_directory(const char *dir, int fd, uint64_t max_size);

/* Opens path as a bundle: a directory is packed (pack_directory()) into an anonymous memory file;
 * a regular file must start with the gzip magic and is used as is. At most max_size bytes either way.
 * Returns 0, an fd positioned anywhere (read it with pread from 0) in *ret_fd and the byte count in
 * *ret_size; or a negative errno (-EFBIG too large, -EMEDIUMTYPE not gzip, -ENOENT, …), printed. */
int pack_open_bundle(const char *path, uint64_t max_size, int *ret_fd, uint64_t *ret_size);
