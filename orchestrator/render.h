/* SPDX-License-Identifier: MIT */
#pragma once

/* Render jobs (spec §10): a build_report or build_site unit per render, on a private copy of the
 * bundle's source, into a new rendering dir; on success the rendering is activated (unless the
 * request said not to) and retention deletes the oldest. Scheduled renders are transient .timer
 * units whose service asks corrald for a render with corralctl. */

#include <stdbool.h>
#include <stdint.h>

#include "manager.h"
#include "store.h"

/* Whether content of this mode is a report that corrald renders (rmd-static). */
bool render_mode_is_report(const char *app_mode);

typedef struct RenderRequest {
        const char *variant;      /* name or id; NULL = the default variant (created if missing) */
        bool activate;            /* activate on success */
        bool scheduled;           /* from a timer: refused with -EBUSY while the variant renders */
        const char *task;         /* a deploy task that ends with this render, or NULL */
} RenderRequest;

/* Starts a render of content c's active bundle. On success the job key is in ret_key (at least
 * JOB_KEY_LENGTH+1 bytes) and the rendering's id in *ret_rendering. On a refusal returns negative
 * errno with a message in *ret_error: -EINVAL not a report, -ENOENT no such variant, -EBUSY a
 * scheduled render while one runs. A task given is finished when the started render ends (on a
 * refusal it is the caller's to finish). */
int render_start(Manager *m, const Content *c, const RenderRequest *rr, char *ret_key, int64_t *ret_rendering,
                 char **ret_error);

/* The render that ends a deploy of a report: the task streams the render's log and finishes with
 * it (a failed render fails the task; the previous rendering stays live). */
void render_for_deploy(Manager *m, int64_t content_id, const char *task);

/* The host dir of a rendering: DataDir/reports/v2/C/V/R. */
int render_output_dir(Manager *m, int64_t content_id, int64_t variant_id, int64_t rendering_id, char **ret);

/* Deletes the rendering dirs of content (its records go with the content). */
void render_remove_content(Manager *m, int64_t content_id);
/* Stops the schedule timers of every variant of content (it is being deleted). */
void render_stop_schedules(Manager *m, int64_t content_id, const char *guid);

/* Called when a schedule change is done: error is NULL on success, else systemd's reason. */
typedef void (*ScheduleDone)(Manager *m, const char *error, void *userdata);

/* Replaces the schedule of a variant: starts the timer for new_spec (NULL removes it), then stops
 * the timer of old_spec. done is called once with systemd's answer (it may be called before this
 * returns only when it returns an error). */
int render_schedule_set(Manager *m, const char *guid, int64_t variant_id, const char *old_spec, const char *new_spec,
                        ScheduleDone done, void *userdata);

/* At corrald's start: renderings left running by an earlier corrald are failed, and every stored
 * schedule gets its timer back (transient units do not survive a reboot). */
void render_startup(Manager *m);
