/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fs-util.h"
#include "runner.h"
#include "strv.h"

int runner_find_executable(const char *name, char **ret) {
        const char *path;
        char *s;

        if (!name || !*name)
                return -EINVAL;
        if (strchr(name, '/')) {
                if (name[0] != '/')
                        return -EINVAL;
                if (access(name, X_OK) < 0)
                        return -errno;
                s = strdup(name);
                if (!s)
                        return -ENOMEM;
                *ret = s;
                return 0;
        }
        path = getenv("PATH");
        if (!path)
                path = "/usr/local/bin:/usr/bin:/bin";
        _cleanup_free_ char *copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        char *save = NULL;
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *candidate = NULL;
                if (dir[0] != '/')
                        continue;
                if (path_join(dir, name, &candidate) < 0)
                        return -ENOMEM;
                if (access(candidate, X_OK) == 0) {
                        *ret = TAKE_PTR(candidate);
                        return 0;
                }
        }
        return -ENOENT;
}

static int argv_add_supervisor(char ***argv, char * const *supervisor) {
        int r;
        STRV_FOREACH(s, supervisor) {
                r = strv_extend(argv, *s);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Reports (spec §10): render-report.R renders a document or a site into MountDir/report;
 * run-parameters.R serves the parameter form of a parameterized document on the port. */
static int argv_add_report(char ***argv, const RunnerInput *in, const char *port) {
        bool configure = in->kind == PROCESS_CONFIGURE_REPORT;
        _cleanup_free_ char *script = NULL;
        int r;

        if (!in->rscript)
                return -EINVAL;
        r = path_join(in->runner_dir, configure ? "run-parameters.R" : "render-report.R", &script);
        if (r < 0)
                return r;
        r = strv_extend_many(argv, in->rscript, "--no-save", "--no-restore", script, NULL);
        if (r >= 0 && configure)
                r = strv_extend_many(argv, "--port", port, NULL);
        if (r >= 0 && !configure)
                r = strv_extend_many(argv, "--mode", in->kind == PROCESS_BUILD_SITE ? "site" : "document", "--output",
                                     CORRAL_MOUNT_DIR "/report", NULL);
        if (r >= 0 && in->entry_point)
                r = strv_extend_many(argv, "--entry", in->entry_point, NULL);
        if (r >= 0 && in->params_json && !configure)
                r = strv_extend_many(argv, "--params", in->params_json, NULL);
        return r;
}

/* Installs (spec §11): install-packrat.R with Rscript, install-python.py with the chosen Python;
 * their arguments come from the install plan. */
static int argv_add_installer(char ***argv, const RunnerInput *in) {
        bool r_kind = in->kind == PROCESS_PACKRAT_RESTORE;
        const char *interpreter = r_kind ? in->rscript : in->python;
        _cleanup_free_ char *script = NULL;
        int r;

        if (!interpreter)
                return -EINVAL;
        r = path_join(in->runner_dir, r_kind ? "install-packrat.R" : "install-python.py", &script);
        if (r < 0)
                return r;
        r = r_kind ? strv_extend_many(argv, interpreter, "--no-save", "--no-restore", script, NULL)
                   : strv_extend_many(argv, interpreter, "-u", script, NULL);
        STRV_FOREACH(a, in->install_args)
                if (r >= 0)
                        r = strv_extend(argv, *a);
        return r;
}

int runner_command(const RunnerInput *in, char ***ret) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *script = NULL;
        char port[8];
        int r;

        (void) snprintf(port, sizeof port, "%u", (unsigned) in->port);
        r = argv_add_supervisor(&argv, in->supervisor);
        if (r < 0)
                return r;

        switch (in->kind) {
        case PROCESS_RUN_APP:
                if (!in->rscript)
                        return -EINVAL;
                r = path_join(in->runner_dir, "run-shiny.R", &script);
                if (r < 0)
                        return r;
                r = strv_extend_many(&argv, in->rscript, "--no-save", "--no-restore", script, "--port", port,
                                     "--mode", in->app_mode ? in->app_mode : "shiny", NULL);
                if (r >= 0 && in->entry_point)
                        r = strv_extend_many(&argv, "--entry", in->entry_point, NULL);
                break;
        case PROCESS_RUN_PYTHON_API:
                if (!in->python)
                        return -EINVAL;
                r = path_join(in->runner_dir, "run-wsgi.py", &script);
                if (r < 0)
                        return r;
                /* The bundle's venv (spec §11) has the bundle's packages and the system's. */
                r = in->python_venv ? strv_extendf(&argv, "%s/bin/python", in->python_venv)
                                    : strv_extend(&argv, in->python);
                if (r >= 0)
                        r = strv_extend_many(&argv, "-u", script, "--port", port, "--entry",
                                             in->entry_point ? in->entry_point : "app:app", NULL);
                break;
        case PROCESS_PACKRAT_RESTORE:
        case PROCESS_PYTHON_RESTORE:
                r = argv_add_installer(&argv, in);
                break;
        case PROCESS_BUILD_REPORT:
        case PROCESS_BUILD_SITE:
        case PROCESS_CONFIGURE_REPORT:
                r = argv_add_report(&argv, in, port);
                break;
        default:
                return -EOPNOTSUPP;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

int runner_split_command_line(const char *line, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        _cleanup_free_ char *word = NULL;
        size_t n = 0;
        char quote = 0;
        bool in_word = false;
        int r;

        if (!l || !line)
                return -ENOMEM;
        word = malloc(strlen(line) + 1);
        if (!word)
                return -ENOMEM;
        for (const char *s = line;; s++) {
                char ch = *s;
                if (ch == 0 || (!quote && (ch == ' ' || ch == '\t'))) {
                        if (quote)
                                return -EINVAL; /* unterminated quote */
                        if (in_word) {
                                word[n] = 0;
                                r = strv_extend(&l, word);
                                if (r < 0)
                                        return r;
                                n = 0;
                                in_word = false;
                        }
                        if (ch == 0)
                                break;
                        continue;
                }
                in_word = true;
                if (quote) {
                        if (ch == quote)
                                quote = 0;
                        else if (ch == '\\' && quote == '"' && (s[1] == '"' || s[1] == '\\'))
                                word[n++] = *++s;
                        else
                                word[n++] = ch;
                } else if (ch == '\'' || ch == '"')
                        quote = ch;
                else if (ch == '\\' && s[1])
                        word[n++] = *++s;
                else
                        word[n++] = ch;
        }
        if (!l[0])
                return -EINVAL;
        *ret = TAKE_PTR(l);
        return 0;
}
