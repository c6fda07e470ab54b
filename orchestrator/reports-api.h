/* SPDX-License-Identifier: MIT */
#pragma once

/* The reports part of the JSON API (spec §10, §14), under /__api__/applications/{id}/:
 *   GET, POST variants                   list; create {name, params?, schedule?}
 *   GET, PATCH, DELETE variants/{v}      one variant; PATCH {params?, schedule?: "calendar" | null}
 *   POST render                          {variant?, activate?: true, scheduled?: false} → {job_key, rendering}
 *   GET jobs                             render jobs, newest first, with last_lines of failed ones
 * A schedule is answered after systemd accepted its timer, or refused (400) with systemd's reason. */

#include <stdbool.h>

#include "http-server.h"
#include "manager.h"

/* Whether the third path segment (after applications/{id}/) is one of ours. */
bool reports_api_handles(const char *segment);

/* Answers req for content (id or GUID); what is the third segment, which the fourth or NULL. */
void reports_api_handle(Manager *m, HttpRequest *req, const char *content, const char *what, const char *which);
