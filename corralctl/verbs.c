/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl-util.h"
#include "table.h"
#include "verbs.h"

#ifndef CORRAL_SBINDIR
#define CORRAL_SBINDIR "/usr/sbin"
#endif

int ctl_print_json(const json_t *v) {
        if (json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY) < 0)
                return -EIO;
        if (fputc('\n', stdout) == EOF || fflush(stdout) != 0)
                return -EIO;
        return 0;
}

/* Formats the member key of an object for a cell (see ctl_json_to_cell()). */
static int cell(const json_t *o, const char *key, char **ret) {
        return ctl_json_to_cell(json_object_get(o, key), ret);
}

static int print_table(Table *t) {
        int r;

        r = table_print(t, stdout);
        if (r < 0)
                return ctl_error_errno(r, "Failed to print table: %m");
        return 0;
}

int verb_list(CtlClient *c, const CtlArgs *args) {
        _cleanup_json_ json_t *apps = NULL;
        _cleanup_table_ Table *t = NULL;
        size_t i;
        json_t *app;
        int r;

        r = ctl_client_call(c, "GET", "applications", NULL, &apps);
        if (r < 0)
                return r;
        /* corrald answers the seed product's envelope {applications, count, total}; a bare list too. */
        if (json_is_object(apps)) {
                json_t *list = json_incref(json_object_get(apps, "applications"));
                json_decref(apps);
                apps = list;
        }
        if (args->json)
                return ctl_print_json(apps);
        if (!json_is_array(apps))
                return ctl_error_errno(-EBADMSG, "Unexpected reply to GET applications: not a list.");

        r = table_new(&t, 5, "GUID", "MODE", "TITLE", "BUNDLE", "URL");
        if (r < 0)
                return ctl_error_errno(r, "Out of memory.");

        json_array_foreach(apps, i, app) {
                _cleanup_free_ char *guid = NULL, *mode = NULL, *title = NULL, *bundle = NULL, *url = NULL;

                if (cell(app, "guid", &guid) < 0 || cell(app, "app_mode", &mode) < 0 ||
                    cell(app, "title", &title) < 0 || cell(app, "bundle_id", &bundle) < 0 ||
                    cell(app, "url", &url) < 0)
                        return ctl_error_errno(-ENOMEM, "Out of memory.");
                r = table_add_row(t, guid, mode, title, bundle, url);
                if (r < 0)
                        return ctl_error_errno(r, "Out of memory.");
        }

        return print_table(t);
}

int verb_show(CtlClient *c, const CtlArgs *args) {
        _cleanup_json_ json_t *app = NULL;
        _cleanup_free_ char *guid = NULL, *path = NULL;
        size_t width = 0;
        const char *key;
        json_t *v;
        int r;

        r = ctl_url_escape(args->args[1], &guid);
        if (r < 0 || asprintf(&path, "applications/%s", guid) < 0)
                return ctl_error_errno(-ENOMEM, "Out of memory.");

        r = ctl_client_call(c, "GET", path, NULL, &app);
        if (r < 0)
                return r;
        if (args->json)
                return ctl_print_json(app);
        if (!json_is_object(app))
                return ctl_error_errno(-EBADMSG, "Unexpected reply to GET %s: not an object.", path);

        json_object_foreach(app, key, v)
                if (strlen(key) > width)
                        width = strlen(key);

        json_object_foreach(app, key, v) {
                _cleanup_free_ char *s = NULL;

                r = ctl_json_to_cell(v, &s);
                if (r < 0)
                        return ctl_error_errno(r, "Out of memory.");
                printf("%s:%*s %s\n", key, (int) (width - strlen(key)), "", s);
        }
        return fflush(stdout) == 0 ? 0 : -EIO;
}

/* "exit 0" or "SIGTERM", with the cause after it ("SIGTERM (idle)"); "-" while running. */
static int format_exit(const json_t *p, char **ret) {
        const json_t *code = json_object_get(p, "exit_code");
        const json_t *sig = json_object_get(p, "signal");
        const char *cause = json_string_value(json_object_get(p, "cause"));
        _cleanup_free_ char *what = NULL;
        char *s;
        int r;

        if (json_is_integer(sig) && json_integer_value(sig) > 0) {
                const char *name = sigabbrev_np((int) json_integer_value(sig));
                if (name)
                        r = asprintf(&what, "SIG%s", name);
                else
                        r = asprintf(&what, "signal %lld", (long long) json_integer_value(sig));
        } else if (json_is_integer(code))
                r = asprintf(&what, "exit %lld", (long long) json_integer_value(code));
        else {
                what = strdup(cause ? "" : "-");
                r = what ? 0 : -1;
        }
        if (r < 0)
                return -ENOMEM;

        if (cause && *cause) {
                if (asprintf(&s, "%s%s%s%s", what, *what ? " (" : "", cause, *what ? ")" : "") < 0)
                        return -ENOMEM;
        } else
                s = TAKE_PTR(what);

        *ret = s;
        return 0;
}

/* After the table: content the scheduler holds back after repeated start failures. Best
 * effort: an older corrald without GET scheduler just prints nothing here. */
static void print_backoff_notes(CtlClient *c, const char *guid) {
        _cleanup_json_ json_t *pools = NULL;
        size_t i;
        json_t *p;

        if (ctl_client_call_quiet(c, "GET", "scheduler", NULL, &pools) < 0 || !json_is_array(pools))
                return;
        json_array_foreach(pools, i, p) {
                const char *g = json_string_value(json_object_get(p, "guid"));
                double left = json_number_value(json_object_get(p, "backoff_seconds"));
                if (!g || left <= 0 || (guid && !streq(g, guid)))
                        continue;
                printf("\n%s: back-off after %lld failed starts in a row; next start in %.1f s\n", g,
                       (long long) json_integer_value(json_object_get(p, "failures")), left);
        }
}

int verb_ps(CtlClient *c, const CtlArgs *args) {
        _cleanup_json_ json_t *procs = NULL;
        _cleanup_table_ Table *t = NULL;
        _cleanup_free_ char *path = NULL;
        size_t i;
        json_t *p;
        int r;

        if (args->n_args > 1) {
                _cleanup_free_ char *guid = NULL;

                r = ctl_url_escape(args->args[1], &guid);
                if (r < 0 || asprintf(&path, "processes?content=%s", guid) < 0)
                        return ctl_error_errno(-ENOMEM, "Out of memory.");
        } else {
                path = strdup("processes");
                if (!path)
                        return ctl_error_errno(-ENOMEM, "Out of memory.");
        }

        r = ctl_client_call(c, "GET", path, NULL, &procs);
        if (r < 0)
                return r;
        if (args->json)
                return ctl_print_json(procs);
        if (!json_is_array(procs))
                return ctl_error_errno(-EBADMSG, "Unexpected reply to GET processes: not a list.");

        r = table_new(&t, 8, "KEY", "TAG", "UNIT", "PID", "USER", "STATE", "STARTED", "EXIT/CAUSE");
        if (r < 0)
                return ctl_error_errno(r, "Out of memory.");

        json_array_foreach(procs, i, p) {
                _cleanup_free_ char *key = NULL, *tag = NULL, *unit = NULL, *pid = NULL, *user = NULL,
                        *state = NULL, *started = NULL, *exit = NULL;

                if (cell(p, "key", &key) < 0 || cell(p, "tag", &tag) < 0 || cell(p, "unit", &unit) < 0 ||
                    cell(p, "pid", &pid) < 0 || cell(p, "run_as", &user) < 0 ||
                    cell(p, "state", &state) < 0 || cell(p, "started", &started) < 0 ||
                    format_exit(p, &exit) < 0)
                        return ctl_error_errno(-ENOMEM, "Out of memory.");
                r = table_add_row(t, key, tag, unit, pid, user, state, started, exit);
                if (r < 0)
                        return ctl_error_errno(r, "Out of memory.");
        }

        r = print_table(t);
        if (r < 0)
                return r;
        print_backoff_notes(c, args->n_args > 1 ? args->args[1] : NULL);
        return 0;
}

int verb_stop(CtlClient *c, const CtlArgs *args) {
        _cleanup_json_ json_t *reply = NULL;
        _cleanup_free_ char *key = NULL, *path = NULL;
        int r;

        r = ctl_url_escape(args->args[1], &key);
        if (r < 0 || asprintf(&path, "processes/%s/stop", key) < 0)
                return ctl_error_errno(-ENOMEM, "Out of memory.");

        r = ctl_client_call(c, "POST", path, NULL, &reply);
        if (r < 0)
                return r;
        if (args->json)
                return ctl_print_json(reply);
        if (json_is_false(json_object_get(reply, "stopped")))
                ctl_notice("Job '%s' was not running.", args->args[1]);
        return 0;
}

static bool is_executable(const char *path) {
        return access(path, X_OK) == 0;
}

int ctl_find_corrald(const char *self_exe, const char *search_path, const char *sbindir, char **ret) {
        const char *env = getenv("CORRALD");
        char *s = NULL;

        if (env && *env) {
                s = strdup(env);
                if (!s)
                        return -ENOMEM;
                *ret = s;
                return 0;
        }

        if (self_exe) {
                const char *slash = strrchr(self_exe, '/');

                if (slash && asprintf(&s, "%.*s/../orchestrator/corrald", (int) (slash - self_exe), self_exe) < 0)
                        return -ENOMEM;
                if (s && is_executable(s)) {
                        *ret = s;
                        return 0;
                }
                free(s);
                s = NULL;
        }

        for (const char *p = search_path; p && *p;) {
                size_t n = strcspn(p, ":");

                if (n > 0) {
                        if (asprintf(&s, "%.*s/corrald", (int) n, p) < 0)
                                return -ENOMEM;
                        if (is_executable(s)) {
                                *ret = s;
                                return 0;
                        }
                        free(s);
                        s = NULL;
                }
                p += n;
                if (*p == ':')
                        p++;
        }

        if (sbindir) {
                if (asprintf(&s, "%s/corrald", sbindir) < 0)
                        return -ENOMEM;
                if (is_executable(s)) {
                        *ret = s;
                        return 0;
                }
                free(s);
        }
        return -ENOENT;
}

static int config_check(const char *file) {
        _cleanup_free_ char *self = NULL, *corrald = NULL;
        int r;

        self = realpath("/proc/self/exe", NULL);    /* NULL is fine: the build tree is then not tried. */

        r = ctl_find_corrald(self, getenv("PATH"), CORRAL_SBINDIR, &corrald);
        if (r == -ENOENT)
                return ctl_error_errno(r, "Cannot find corrald (not next to corralctl, on $PATH, nor in %s).",
                                       CORRAL_SBINDIR);
        if (r < 0)
                return ctl_error_errno(r, "Out of memory.");

        (void) fflush(stdout);
        (void) fflush(stderr);
        /* corrald's output and exit status are ours from here on. */
        execl(corrald, "corrald", "--check", "--config", file, (char *) NULL);
        return ctl_error_errno(-errno, "Failed to execute '%s': %m", corrald);
}

int verb_config(CtlClient *c, const CtlArgs *args) {
        if (args->n_args == 3 && streq(args->args[1], "check"))
                return config_check(args->args[2]);

        (void) ctl_error("Unknown or incomplete command 'config%s%s'. Use 'config check FILE'.",
                         args->n_args > 1 ? " " : "", args->n_args > 1 ? args->args[1] : "");
        return CTL_EXIT_USAGE;
}
