/* SPDX-License-Identifier: MIT */
#pragma once

/* Bundles: unpacking an uploaded .tar.gz safely, and reading what it is (manifest.json or the
 * files it holds). */

#include <stddef.h>

#include "macro.h"

#define BUNDLE_MAX_ENTRIES 100000U
#define BUNDLE_MAX_UNPACKED_BYTES (4ULL << 30)

typedef struct BundleInfo {
        char *app_mode;      /* "shiny", "python-api", … */
        char *entry_point;   /* "app:app", "app.R", … or NULL for the mode's default */
        char *title;         /* from the manifest, or NULL */
        char *rmarkdown_version; /* packages.rmarkdown.description.Version, or NULL */
} BundleInfo;

BundleInfo *bundle_info_free(BundleInfo *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(BundleInfo *, bundle_info_free);

/* Unpacks the gzip'd tar archive in data into dest (created, must not exist). Refuses absolute
 * paths, '..' components, links leaving the tree, hard links, device nodes and fifos, more than
 * BUNDLE_MAX_ENTRIES members or BUNDLE_MAX_UNPACKED_BYTES. On failure dest is removed and
 * *ret_error names the offending member. Returns -EBADMSG for a bad archive. */
int bundle_unpack(const void *data, size_t size, const char *dest, char **ret_error);

/* Works out the mode and entry point of the unpacked bundle in dir: mode_override if given, else
 * manifest.json's metadata.appmode, else inferred (app.R or ui.R+server.R → shiny; app.py →
 * python-api with entry point app:app). Checks that the entry point exists. Returns -EBADMSG with
 * *ret_error naming what is missing or wrong. */
int bundle_inspect(const char *dir, const char *mode_override, BundleInfo **ret, char **ret_error);
