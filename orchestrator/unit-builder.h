/* SPDX-License-Identifier: MIT */
#pragma once

/* The unit builder: everything one content process is made of, assembled from the decisions of
 * policy/ (who it runs as, the sandbox plan, limits) and units/ (runner command, encoding): a
 * UnitSpec ready for StartTransientUnit, plus the host files it needs (its workspace, and the
 * root-only credential file that carries the content's environment variables). Every process
 * kind goes through here. */

#include <stdint.h>

#include "manager.h"
#include "process-kind.h"
#include "store.h"
#include "unit-spec.h"

typedef struct LaunchRequest {
        ProcessKind kind;
        const Content *content;
        const char *job_key;
        uint16_t port;            /* on-demand kinds */
        const char *run_as_user;  /* current-user execution: the visitor's account, or NULL */
        char * const *extra_env;  /* NAME=VALUE from a PAM transaction (KRB5CCNAME …), or NULL */
        uint64_t variant_id;      /* renders */
        uint64_t rendering_id;    /* renders */
        const char *params_json;  /* renders: the variant's parameters as a JSON object, or NULL */
        char * const *install_args; /* packrat_restore/python_restore: the installer's arguments (install.c) */
} LaunchRequest;

typedef struct Launch {
        UnitSpec *unit;
        char *run_as;             /* the account it runs as */
        char *workspace;          /* host path of its TMPDIR (created) */
        char *credential;         /* host path of its environment credential (created), or NULL */
} Launch;

Launch *launch_free(Launch *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(Launch *, launch_free);
/* Removes the host files of a launch whose unit has ended (or never started). */
void launch_remove_files(const char *workspace, const char *credential);

/* Builds the launch of one process. On a refusal (RunAs not allowed, supervisor missing, no
 * interpreter, …) returns a negative errno and a message for the visitor and the log in
 * *ret_error, naming the problem. Nothing is left on disk on failure. */
int launch_prepare(Manager *m, const LaunchRequest *req, Launch **ret, char **ret_error);
