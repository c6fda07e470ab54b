/* SPDX-License-Identifier: MIT */
#pragma once

/* Batch jobs (spec §1: renders, package installs): a transient unit that runs to completion,
 * with a process record, whose end is reported to the caller. */

#include "manager.h"
#include "store.h"
#include "systemd-client.h"
#include "unit-builder.h"

typedef struct Job Job;

/* Called once when the job's unit has ended (or could not start: end->cause "start failed"). */
typedef void (*JobDone)(Manager *m, const char *key, const ProcessEnd *end, void *userdata);

/* Starts a batch job for req (req->job_key is filled in by this call from a fresh key when the
 * caller passes a LaunchRequest with job_key NULL; a caller may instead pass a key of its own from
 * job_key_new(); req->job_key is not to be used after the call). The key is returned in *ret_key (at least
 * JOB_KEY_LENGTH+1 bytes). On a refusal returns a negative errno with a message in *ret_error. */
int job_start(Manager *m, LaunchRequest *req, JobDone done, void *userdata, char *ret_key, char **ret_error);

/* Stops a running job (cause recorded). -ENOENT if corrald runs no such job. */
int job_stop(Manager *m, const char *key, const char *cause);

/* Whether a job with that key is running. */
bool job_is_running(Manager *m, const char *key);

/* Feeds unit state changes that belong to no on-demand process. */
void jobs_on_unit_changed(Manager *m, const char *unit, const UnitStatus *status);

/* Frees the job list at shutdown (units keep running; their callbacks are not called). */
void jobs_free_all(Manager *m);

/* Translates how a unit ended into a record (spec §12): exit code or signal, systemd's Result,
 * and the cause — stop_cause when corrald stopped it, else oom, user (217), pam (224, recorded
 * as the seed's exit code 70), start failed, signal or exited. Returns end->cause. */
const char *process_end_from_status(const UnitStatus *st, const char *stop_cause, ProcessEnd *end);
