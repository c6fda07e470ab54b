/* SPDX-License-Identifier: MIT */
#pragma once

/* Bundles of report and document modes (spec §1, §10): rmd-static (a document, or a site with
 * _site.yml), rmd-shiny (R Markdown with runtime: shiny) and static (HTML as it is). */

#include <stdbool.h>

#include "bundle.h"

/* The mode of a bundle without manifest appmode, from its files: _site.yml → rmd-static; .Rmd
 * files → rmd-shiny when the primary one says runtime: shiny, else rmd-static; HTML files only →
 * static. NULL when none of these fits. */
const char *bundle_report_infer_mode(const char *dir);

/* Whether this module checks bundles of app_mode. */
bool bundle_report_handles_mode(const char *app_mode);

/* Checks the entry point of a report-mode bundle and fills in the default: the manifest's, else
 * index.Rmd (index.html for static), else the only .Rmd (.html) file; a site needs none.
 * -EBADMSG with *ret_error saying what is missing. */
int bundle_report_check_entry(const char *dir, BundleInfo *b, char **ret_error);
