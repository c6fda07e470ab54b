/* SPDX-License-Identifier: MIT */
#pragma once

/* The store's part of package installs (spec §2, §11): which R and Python installation each
 * bundle was deployed with, so its processes run with the same one. */

#include <stdint.h>

#include "store.h"

/* Records the R executable and the Python executable (either may be NULL) chosen for bundle_id,
 * replacing an earlier choice. */
int store_bundle_set_interpreters(Store *s, int64_t bundle_id, const char *r_executable,
                                  const char *python_executable);

/* The choice recorded for bundle_id in *ret_r_executable and *ret_python_executable (each NULL
 * when none was chosen; the caller frees them). -ENOENT if nothing was recorded. */
int store_bundle_get_interpreters(Store *s, int64_t bundle_id, char **ret_r_executable,
                                  char **ret_python_executable);
