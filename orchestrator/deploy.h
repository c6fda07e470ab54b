/* SPDX-License-Identifier: MIT */
#pragma once

/* Bundles in, content out: storing an uploaded bundle and deploying it as a task. */

#include <stddef.h>
#include <stdint.h>

#include "manager.h"

/* Stores and unpacks an uploaded bundle for content_id into DataDir/apps/C/B. On success the new
 * bundle id is in *ret_bundle_id; on a bad bundle returns -EBADMSG with *ret_error saying why, and
 * nothing is left behind. */
int deploy_upload(Manager *m, int64_t content_id, const void *data, size_t size, int64_t *ret_bundle_id,
                  char **ret_error);

/* Deploys bundle_id of content_id as a task: checks the entry point (app_mode overrides the
 * bundle's), chooses the interpreter and installs the bundle's packages in a job (install.c; the
 * task streams the installer's lines, and a failed install leaves the old bundle live), then
 * activates the bundle and stops the processes of the old one. The task's id is returned
 * in *ret_task_id; the task records its progress and failure itself, so deploy errors are not
 * returned here (only failures to create the task). */
int deploy_start(Manager *m, int64_t content_id, int64_t bundle_id, const char *app_mode, char **ret_task_id);
