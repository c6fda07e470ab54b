/* SPDX-License-Identifier: MIT */
#pragma once

/* The command line of a content process: which runner script (units/runners/) turns a content
 * mode into a running server, with which interpreter and arguments. */

#include <stdint.h>

#include "process-kind.h"

typedef struct RunnerInput {
        ProcessKind kind;
        const char *app_mode;      /* "shiny", "rmd-shiny", "python-api", … */
        const char *rscript;       /* absolute path of Rscript, for R kinds */
        const char *python;        /* absolute path of python3, for Python kinds */
        const char *runner_dir;    /* where the runner scripts live */
        const char *entry_point;   /* python "module:object", or the R entry file; NULL = default */
        uint16_t port;
        char * const *supervisor;  /* argv prepended to the command, or NULL */
        const char *python_venv;   /* Python content with a venv (MountDir/python): runs its bin/python */
        char * const *install_args; /* packrat_restore/python_restore: the installer's arguments */
        const char *params_json;   /* build_report/build_site: the variant's parameters (JSON object), or NULL */
} RunnerInput;

/* Builds the argv (argv[0] absolute) in *ret. -EOPNOTSUPP for kinds without a runner yet,
 * -EINVAL for missing interpreters. */
int runner_command(const RunnerInput *in, char ***ret);

/* Finds an executable by name on PATH (or checks an absolute path); the absolute path in *ret,
 * -ENOENT if there is none. */
int runner_find_executable(const char *name, char **ret);

/* Splits a command line (Applications.Supervisor) into words: blanks separate, '…' and "…"
 * quote, backslash escapes. -EINVAL for an empty line or an unterminated quote. */
int runner_split_command_line(const char *line, char ***ret);
