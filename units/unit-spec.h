/* SPDX-License-Identifier: MIT */
#pragma once

/* What one transient service unit is made of, before it is encoded for StartTransientUnit.
 * Plain data: policy decides the values, unit-props.c encodes them, the orchestrator sends them. */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

typedef struct UnitBind {
        char *source;
        char *destination;
        bool read_only;
} UnitBind;

typedef struct UnitSpec {
        char *name;                  /* corral-<tag>-<short guid>-<key>.service */
        char *description;
        char *slice;                 /* corral.slice */
        char *type;                  /* simple */
        char *user;
        char *group;
        char *working_directory;
        char *pam_name;              /* NULL = no PAM session */
        char *collect_mode;          /* inactive-or-failed */
        char **exec_argv;            /* argv[0] is an absolute path; passed literally (no $ expansion) */
        char **environment;          /* NAME=VALUE */
        UnitBind *binds;
        size_t n_binds;
        char **temporary_filesystems;/* masked paths */
        char **log_extra_fields;     /* KEY=value, journal fields on every line */
        char **load_credentials;     /* ID:PATH, files PID 1 copies into the unit's credentials dir */
        uint64_t timeout_stop_usec;  /* 0 = systemd's default */
        uint64_t memory_max;         /* bytes; 0 = unset */
        uint64_t tasks_max;          /* 0 = unset */
        uint64_t cpu_quota_per_sec_usec; /* 0 = unset */
} UnitSpec;

UnitSpec *unit_spec_free(UnitSpec *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitSpec *, unit_spec_free);

/* Adds a bind (copies the strings). */
int unit_spec_add_bind(UnitSpec *s, const char *source, const char *destination, bool read_only);
