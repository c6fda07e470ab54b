/* SPDX-License-Identifier: MIT */
#pragma once

/* The records of reports (spec §10, §12) in the store: variants with their parameters and
 * schedule, and renderings. Built on store_query_json(); like the store, returns 0 or negative
 * errno and never logs. JSON results are new references the caller owns. */

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

/* A variant as {id, content_id, name, params (object or null), schedule, is_default}. */
/* Looks a variant of content up by name or numeric id; -ENOENT if none. */
int report_variant_get(Store *s, int64_t content_id, const char *name_or_id, json_t **ret);
/* The content's default variant, created ("default", no parameters) when it has none. */
int report_variant_get_default(Store *s, int64_t content_id, json_t **ret);
/* Creates a variant (params: JSON text or NULL); -EEXIST if the name is taken. */
int report_variant_create(Store *s, int64_t content_id, const char *name, const char *params, int64_t *ret_id);
int report_variant_set_params(Store *s, int64_t variant_id, const char *params);
int report_variant_set_schedule(Store *s, int64_t variant_id, const char *schedule);
int report_variant_delete(Store *s, int64_t variant_id);
/* Every variant of content (with active_rendering: the id viewers get, or null), by id. */
int report_variant_list(Store *s, int64_t content_id, json_t **ret);
/* Every variant of any content that has a schedule, with the content's guid: [{id, guid, schedule}]. */
int report_variant_list_scheduled(Store *s, json_t **ret);

/* Renderings. */
int report_rendering_create(Store *s, int64_t content_id, int64_t variant_id, int64_t bundle_id, const char *tag,
                            bool activate, int64_t *ret_id);
int report_rendering_set_job(Store *s, int64_t rendering_id, const char *job_key);
/* Ends a rendering: succeeded with its primary file (may be NULL), or failed with error. */
int report_rendering_finish(Store *s, int64_t rendering_id, bool succeeded, const char *primary_file,
                            const char *error);
/* Makes rendering_id the one viewers of its variant get (atomically). */
int report_rendering_activate(Store *s, int64_t variant_id, int64_t rendering_id);
/* A rendering as {id, content_id, variant_id, bundle_id, job_key, status, activate, active, primary_file};
 * -ENOENT if none. */
int report_rendering_get(Store *s, int64_t rendering_id, json_t **ret);
/* The active rendering of a variant, or -ENOENT. */
int report_rendering_get_active(Store *s, int64_t variant_id, json_t **ret);
/* Whether a rendering of the variant is still running. */
int report_rendering_running(Store *s, int64_t variant_id, bool *ret);
/* The renderings of a variant, newest first: [{id, status, active}]. */
int report_rendering_list(Store *s, int64_t variant_id, json_t **ret);
int report_rendering_delete(Store *s, int64_t rendering_id);
/* Renderings still marked running (at start: their jobs were lost with the previous corrald). */
int report_rendering_fail_running(Store *s, const char *error);
/* The render jobs of content, newest first, joined with their process records. */
int report_jobs_list(Store *s, int64_t content_id, json_t **ret);
