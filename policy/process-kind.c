/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "macro.h"
#include "process-kind.h"

static const char * const tags[_PROCESS_KIND_MAX] = {
        [PROCESS_RUN_APP] = "run_app",
        [PROCESS_RUN_API] = "run_api",
        [PROCESS_RUN_PYTHON_API] = "run_python_api",
        [PROCESS_RUN_FASTAPI_APP] = "run_fastapi_app",
        [PROCESS_RUN_DASH_APP] = "run_dash_app",
        [PROCESS_RUN_STREAMLIT] = "run_streamlit",
        [PROCESS_RUN_BOKEH_APP] = "run_bokeh_app",
        [PROCESS_RUN_TENSORFLOW] = "run_tensorflow",
        [PROCESS_CONFIGURE_REPORT] = "configure_report",
        [PROCESS_BUILD_REPORT] = "build_report",
        [PROCESS_BUILD_SITE] = "build_site",
        [PROCESS_PACKRAT_RESTORE] = "packrat_restore",
        [PROCESS_PYTHON_RESTORE] = "python_restore",
};

static const struct {
        const char *mode;
        ProcessKind kind; /* _PROCESS_KIND_INVALID: served without a process */
} modes[] = {
        { "shiny", PROCESS_RUN_APP },
        { "rmd-shiny", PROCESS_RUN_APP },
        { "api", PROCESS_RUN_API },
        { "python-api", PROCESS_RUN_PYTHON_API },
        { "python-fastapi", PROCESS_RUN_FASTAPI_APP },
        { "python-dash", PROCESS_RUN_DASH_APP },
        { "python-streamlit", PROCESS_RUN_STREAMLIT },
        { "python-bokeh", PROCESS_RUN_BOKEH_APP },
        { "tensorflow-saved-model", PROCESS_RUN_TENSORFLOW },
        { "rmd-static", _PROCESS_KIND_INVALID },
        { "static", _PROCESS_KIND_INVALID },
};

const char *process_kind_to_tag(ProcessKind k) {
        if (k < 0 || k >= _PROCESS_KIND_MAX)
                return NULL;
        return tags[k];
}

ProcessKind process_kind_from_tag(const char *tag) {
        if (!tag)
                return _PROCESS_KIND_INVALID;
        for (int k = 0; k < _PROCESS_KIND_MAX; k++)
                if (streq(tags[k], tag))
                        return (ProcessKind) k;
        return _PROCESS_KIND_INVALID;
}

bool process_kind_is_on_demand(ProcessKind k) {
        return k >= PROCESS_RUN_APP && k <= PROCESS_CONFIGURE_REPORT;
}

bool process_kind_is_install(ProcessKind k) {
        return k == PROCESS_PACKRAT_RESTORE || k == PROCESS_PYTHON_RESTORE;
}

bool process_kind_is_r(ProcessKind k) {
        switch (k) {
        case PROCESS_RUN_APP:
        case PROCESS_RUN_API:
        case PROCESS_CONFIGURE_REPORT:
        case PROCESS_BUILD_REPORT:
        case PROCESS_BUILD_SITE:
        case PROCESS_PACKRAT_RESTORE:
                return true;
        default:
                return false;
        }
}

ProcessKind process_kind_for_app_mode(const char *app_mode) {
        if (!app_mode)
                return _PROCESS_KIND_INVALID;
        for (size_t i = 0; i < ELEMENTSOF(modes); i++)
                if (streq(modes[i].mode, app_mode))
                        return modes[i].kind;
        return _PROCESS_KIND_INVALID;
}

bool app_mode_is_valid(const char *app_mode) {
        if (!app_mode)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(modes); i++)
                if (streq(modes[i].mode, app_mode))
                        return true;
        return false;
}
