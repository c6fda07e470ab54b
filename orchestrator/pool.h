/* SPDX-License-Identifier: MIT */
#pragma once

/* The processes of each content item: starting them as transient units, waiting for them to be
 * ready, routing requests to them as sched.c decides, reaping idle ones, and recording how each
 * ended. The side-effect half of the scheduler. */

#include <jansson.h>

#include "http-server.h"
#include "process-kind.h"
#include "manager.h"
#include "store.h"
#include "systemd-client.h"

/* Serves req (taken with HTTP_BODY_TAKE) from one of content's processes, starting one if the
 * scheduler says so. Always answers req, now or later. run_as_user selects a current-user pool
 * (the visitor's own processes; NULL = the content's RunAs); credentials is the value of the
 * RStudio-Connect-Credentials header sent to the content. */
void pool_handle_request(Manager *m, const Content *content, HttpRequest *req, const char *run_as_user,
                         const char *credentials);

/* The path under /content/<guid>/ where a parameterized report's form runs (configure_report). */
#define PARAMETERS_PATH "__parameters__"

/* As pool_handle_request(), for processes of kind (PROCESS_CONFIGURE_REPORT: the report's
 * parameter form, proxied under /content/<guid>/__parameters__/). */
void pool_handle_request_kind(Manager *m, const Content *content, ProcessKind kind, HttpRequest *req,
                              const char *run_as_user, const char *credentials);

/* Feeds a unit's state change from the bus. */
void pool_on_unit_changed(Manager *m, const char *unit, const UnitStatus *status);

/* Stops every process of content (a new bundle was deployed), recording cause. */
void pool_stop_content(Manager *m, int64_t content_id, const char *cause);

/* Stops one process by its key, recording cause; -ENOENT if corrald runs no such process. */
int pool_stop_process(Manager *m, const char *key, const char *cause);

/* The content's settings or bundle changed: refresh its pool and start MinProcesses. */
void pool_content_changed(Manager *m, int64_t content_id);
/* Recomputes every content's settings (after SIGHUP) and starts missing MinProcesses. */
void pool_reload_settings(Manager *m);
/* Finds running corral units at start: adopts those the database knows as active (they serve
 * the next request without a new start), stops the rest, and closes records without a unit. */
void pool_adopt_units(Manager *m);

/* The scheduler's view of each content with processes: counts, waiters, start failures in a row
 * and the back-off left, as a JSON array (NULL on OOM). */
json_t *pool_status_json(Manager *m);

/* Answers every waiting request with 503 (at shutdown, before the HTTP server goes). */
void pool_fail_all_waiters(Manager *m);

/* Frees all pools (at shutdown; units keep running). */
void pool_free_all(Manager *m);
