/* SPDX-License-Identifier: MIT */
#pragma once

/* Who a content process runs as (spec §4). The single place that refuses uid 0. */

#include <stdbool.h>
#include <sys/types.h>

#include "macro.h"

typedef struct RunAsIdentity {
        char *user;
        uid_t uid;
        char *group;          /* the group the process runs with */
        gid_t gid;
        char *home;           /* from passwd; may not exist */
} RunAsIdentity;

RunAsIdentity *runas_identity_free(RunAsIdentity *id);
DEFINE_TRIVIAL_CLEANUP_FUNC(RunAsIdentity *, runas_identity_free);

/* Resolves user (and group, or the user's primary group when group is NULL) through NSS.
 * Returns -ESRCH when the user or group does not exist, -EPERM when the user has uid 0 or the
 * group gid 0, -EINVAL for an empty name. On error, if ret_error is non-NULL, stores a message
 * naming the user and group. */
int runas_resolve(const char *user, const char *group, RunAsIdentity **ret, char **ret_error);

/* Who a process of kind runs as (spec §4): package installs always as Applications.RunAs
 * (default_user), everything else as the content's own RunAs when it has one. */
const char *runas_user_for_kind(bool is_install, const char *content_run_as, const char *default_user);

/* Checks that user is a member (primary or supplementary) of the primary group of
 * default_user (Applications.RunAs), as spec §4 requires for per-content RunAs and
 * current-user execution. Returns 0 when allowed, -EPERM (with a message naming user and group in
 * *ret_error) when not, -ESRCH when either account does not exist. */
int runas_check_group_rule(const char *user, const char *default_user, char **ret_error);
