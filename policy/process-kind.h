/* SPDX-License-Identifier: MIT */
#pragma once

/* The kinds of process Corral runs (spec §1), with their tags as they appear in unit names,
 * records and the API. */

#include <errno.h>
#include <stdbool.h>

typedef enum ProcessKind {
        PROCESS_RUN_APP,
        PROCESS_RUN_API,
        PROCESS_RUN_PYTHON_API,
        PROCESS_RUN_FASTAPI_APP,
        PROCESS_RUN_DASH_APP,
        PROCESS_RUN_STREAMLIT,
        PROCESS_RUN_BOKEH_APP,
        PROCESS_RUN_TENSORFLOW,
        PROCESS_CONFIGURE_REPORT,
        PROCESS_BUILD_REPORT,
        PROCESS_BUILD_SITE,
        PROCESS_PACKRAT_RESTORE,
        PROCESS_PYTHON_RESTORE,
        _PROCESS_KIND_MAX,
        _PROCESS_KIND_INVALID = -EINVAL,
} ProcessKind;

/* "run_app", …; NULL for an invalid kind. */
const char *process_kind_to_tag(ProcessKind k);
/* The kind for a tag, or -EINVAL. */
ProcessKind process_kind_from_tag(const char *tag);
/* On-demand processes listen on a port and are routed to; batch jobs run to completion. */
bool process_kind_is_on_demand(ProcessKind k);
/* Package installation jobs (always as Applications.RunAs, no R_CONFIG_ACTIVE). */
bool process_kind_is_install(ProcessKind k);
/* Kinds that run R (they get RSTUDIO_PANDOC and the packrat cache). */
bool process_kind_is_r(ProcessKind k);

/* The on-demand kind that serves a content mode ("shiny" → run_app …), or -EINVAL for modes
 * served without a process (static) or unknown. */
ProcessKind process_kind_for_app_mode(const char *app_mode);
/* Whether app_mode is one Corral knows ("shiny", "rmd-shiny", "api", "python-api", …, "static",
 * "rmd-static"). */
bool app_mode_is_valid(const char *app_mode);
