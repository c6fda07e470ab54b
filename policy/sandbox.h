/* SPDX-License-Identifier: MIT */
#pragma once

/* The sandbox plan (spec §5, §6): what a content process sees and with which environment.
 * A pure function of its input: it touches no file and no bus, so every rule is unit-testable.
 * units/ encodes a plan into unit properties; orchestrator/ creates the dirs it names. */

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "process-kind.h"
#include "runas.h"

typedef struct SandboxBind {
        char *source;       /* host path */
        char *destination;  /* path inside the unit */
        bool read_only;
} SandboxBind;

typedef struct SandboxInput {
        ProcessKind kind;
        const Config *config;
        const RunAsIdentity *identity;
        const char *content_guid;
        uint64_t content_id;
        uint64_t bundle_id;
        uint64_t variant_id;        /* renders: V of reports/v2/C/V/R */
        uint64_t rendering_id;      /* renders: R */
        const char *job_key;        /* the process key P; names the workspace (and T of a render) */
        bool has_venv;              /* Python content with a venv under DataDir/python/C/B */
        uint16_t port;              /* on-demand kinds; 0 for batch */
        bool home_exists;           /* the identity's home is an existing directory */
        const char *pandoc_dir;     /* RSTUDIO_PANDOC for R kinds, or NULL */
        char * const *extra_masks;  /* further dirs corrald read config from, or NULL */
        const char *r_library;      /* R content whose install made a bundle library (a dir under
                                     * MountDir/packrat): R_LIBS, or NULL (spec §11) */
} SandboxInput;

typedef struct SandboxPlan {
        char *user;
        char *group;
        char *working_directory;
        char **masks;               /* TemporaryFileSystem= paths, in mount order */
        SandboxBind *binds;
        size_t n_binds;
        char **environment;         /* NAME=VALUE */
        char *workspace;            /* host path of the per-process TMPDIR (create, chown, remove) */
        char *home;                 /* HOME as the process sees it */
} SandboxPlan;

SandboxPlan *sandbox_plan_free(SandboxPlan *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(SandboxPlan *, sandbox_plan_free);

/* Builds the plan for one process of any kind (spec §5's table). Returns -EINVAL for missing
 * input; the plan in *ret on success. */
int sandbox_plan_build(const SandboxInput *in, SandboxPlan **ret);

/* The workspace root, TempDir/corral-workspaces, in *ret. */
int sandbox_workspace_root(const Config *c, char **ret);
/* The app dir of a bundle on the host, DataDir/apps/C/B, in *ret. */
int sandbox_app_dir(const Config *c, uint64_t content_id, uint64_t bundle_id, char **ret);

/* Environment names content may never set (spec §6), built-in list. */
extern const char * const sandbox_reserved_environment[];
/* Whether name is reserved (built-in list or the config's ProhibitedEnvironment), case-sensitive. */
bool sandbox_environment_name_is_prohibited(const Config *c, const char *name);

#define SANDBOX_ENV_VALUE_MAX (64U * 1024U)
#define SANDBOX_ENV_MAX_VARS 1000U

/* Whether name is a portable environment variable name. */
bool sandbox_environment_name_is_valid(const char *name);
/* Checks one content variable (value may be NULL for a removal): a valid name, not reserved or
 * prohibited, no NUL in the value, at most 64 KiB. -EINVAL with *ret_error naming the variable. */
int sandbox_environment_check(const Config *c, const char *name, const char *value, size_t value_len,
                              char **ret_error);

/* RSTUDIO_PANDOC for R content (spec §9): Applications.Pandoc2Dir when the bundle's rmarkdown is
 * 1.9 or newer (or unknown), Pandoc1Dir when older, else the dir of the pandoc on PATH (may be NULL). */
const char *sandbox_pandoc_dir(const Config *c, const char *rmarkdown_version, const char *path_pandoc_dir);
