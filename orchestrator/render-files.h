/* SPDX-License-Identifier: MIT */
#pragma once

/* The files of a render, handled by corrald (as root) in trees the render's account wrote: reading
 * the small files the runner leaves, and moving a site's output dir to the root of its rendering.
 * Nothing here follows a link the content could have planted. */

#include <stddef.h>

/* Reads the regular file name under dir (not a link, at most max bytes) into *ret, NUL-terminated,
 * trailing newlines removed. -ENOENT when missing, -ELOOP for a link, -EFBIG when larger. */
int render_read_small_file(const char *dir, const char *name, size_t max, char **ret);

/* The output dir of the site whose source is in dir (its _site.yml): see report_site_output_dir();
 * "_site" when dir has no _site.yml. *ret NULL means in place. */
int render_site_output_dir(const char *dir, char **ret, char **ret_error);

/* After render_site (spec §10): the content of dest/output_dir becomes the content of dest, and
 * everything else in dest (the sources) is removed. output_dir is a normalized relative path
 * (report_site_output_dir()); NULL does nothing. -ENOENT when the site did not write output_dir
 * (or it is not a directory). */
int render_site_move_output(const char *dest, const char *output_dir);
