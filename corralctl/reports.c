/* SPDX-License-Identifier: MIT */
/* corralctl render, jobs, variant, logs: reports (spec §10, §14). */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <systemd/sd-journal.h>

#include "ctl-util.h"
#include "table.h"
#include "verbs.h"

#define RENDER_POLL_MSEC 500

static void sleep_msec(long msec) {
        struct timespec ts = { .tv_sec = msec / 1000, .tv_nsec = (msec % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static int app_path(const char *guid, const char *suffix, char **ret) {
        _cleanup_free_ char *escaped = NULL;
        if (ctl_url_escape(guid, &escaped) < 0 || asprintf(ret, "applications/%s/%s", escaped, suffix) < 0)
                return ctl_error_errno(-ENOMEM, "Out of memory.");
        return 0;
}

/* The job of key among GET jobs, or NULL. */
static json_t *find_job(json_t *jobs, const char *key) {
        size_t i;
        json_t *j;
        json_array_foreach(jobs, i, j)
                if (streq(json_string_value(json_object_get(j, "key")) ?: "", key))
                        return j;
        return NULL;
}

static void print_last_lines(json_t *job, FILE *f) {
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(job, "last_lines"), i, l)
                fprintf(f, "    %s\n", json_string_value(l));
}

/* render GUID [--variant V] [--no-activate] [--scheduled]: starts a render and waits for its end. */
int verb_render(CtlClient *c, const CtlArgs *args) {
        _cleanup_json_ json_t *body = NULL, *reply = NULL;
        _cleanup_free_ char *path = NULL, *jobs_path = NULL, *key = NULL;
        int r;

        body = json_pack("{s:b, s:b}", "activate", !args->no_activate, "scheduled", args->scheduled);
        if (!body || (args->variant && json_object_set_new(body, "variant", json_string(args->variant)) < 0))
                return ctl_error_errno(-ENOMEM, "Out of memory.");
        r = app_path(args->args[1], "render", &path);
        if (r >= 0)
                r = app_path(args->args[1], "jobs", &jobs_path);
        if (r < 0)
                return r;
        r = args->scheduled ? ctl_client_call_quiet(c, "POST", path, body, &reply)
                            : ctl_client_call(c, "POST", path, body, &reply);
        if (r == -EEXIST && args->scheduled) {
                /* A timer fired while the previous render still runs: not an error of the timer's. */
                ctl_notice("A render of '%s' is still running; this scheduled render is skipped.", args->args[1]);
                return 0;
        }
        if (r < 0)
                return args->scheduled ? ctl_error_errno(r, "Cannot start the scheduled render of '%s': %m",
                                                         args->args[1]) : r;
        key = strdup(json_string_value(json_object_get(reply, "job_key")) ?: "");
        if (!key || !*key)
                return ctl_error_errno(-EBADMSG, "Unexpected reply to the render: no job key.");
        fprintf(stderr, "Rendering as job %s (rendering %lld).\n", key,
                (long long) json_integer_value(json_object_get(reply, "rendering")));
        for (;;) {
                _cleanup_json_ json_t *jobs = NULL;
                json_t *job;
                const char *status;

                sleep_msec(RENDER_POLL_MSEC);
                r = ctl_client_call(c, "GET", jobs_path, NULL, &jobs);
                if (r < 0)
                        return r;
                job = find_job(jobs, key);
                status = json_string_value(json_object_get(job, "status"));
                if (!job || !status || streq(status, "running"))
                        continue;
                if (args->json)
                        return ctl_print_json(job);
                if (streq(status, "succeeded")) {
                        printf("%s\n", key);
                        return 0;
                }
                const char *error = json_string_value(json_object_get(job, "error"));
                (void) ctl_error("Render %s failed: %s", key, error ? error : "unknown error");
                print_last_lines(job, stderr);
                return -EIO;
        }
}

static int format_exit(json_t *j, char **ret) {
        json_t *code = json_object_get(j, "exit_code"), *sig = json_object_get(j, "signal");
        if (json_is_integer(sig) && json_integer_value(sig) > 0)
                return asprintf(ret, "signal %lld", (long long) json_integer_value(sig)) < 0 ? -ENOMEM : 0;
        if (json_is_integer(code))
                return asprintf(ret, "exit %lld", (long long) json_integer_value(code)) < 0 ? -ENOMEM : 0;
        *ret = strdup("-");
        return *ret ? 0 : -ENOMEM;
}

/* jobs GUID: the render jobs, with a failed one's last lines under it. */
int verb_jobs(CtlClient *c, const CtlArgs *args) {
        _cleanup_json_ json_t *jobs = NULL;
        _cleanup_free_ char *path = NULL;
        size_t i;
        json_t *j;
        int r;

        r = app_path(args->args[1], "jobs", &path);
        if (r < 0)
                return r;
        r = ctl_client_call(c, "GET", path, NULL, &jobs);
        if (r < 0)
                return r;
        if (args->json)
                return ctl_print_json(jobs);
        printf("%-16s  %-12s  %-9s  %-10s  %-8s  %-6s  %s\n", "KEY", "VARIANT", "RENDERING", "STATUS", "EXIT", "ACTIVE",
               "STARTED");
        json_array_foreach(jobs, i, j) {
                _cleanup_free_ char *exit = NULL;
                if (format_exit(j, &exit) < 0)
                        return ctl_error_errno(-ENOMEM, "Out of memory.");
                printf("%-16s  %-12s  %-9lld  %-10s  %-8s  %-6s  %s\n",
                       json_string_value(json_object_get(j, "key")) ?: "-",
                       json_string_value(json_object_get(j, "variant")) ?: "-",
                       (long long) json_integer_value(json_object_get(j, "rendering")),
                       json_string_value(json_object_get(j, "status")) ?: "-", exit,
                       json_integer_value(json_object_get(j, "active")) ? "yes" : "no",
                       json_string_value(json_object_get(j, "started")) ?: "-");
                if (json_object_get(j, "error") && json_is_string(json_object_get(j, "error")))
                        printf("    error: %s\n", json_string_value(json_object_get(j, "error")));
                print_last_lines(j, stdout);
        }
        return fflush(stdout) == 0 ? 0 : -EIO;
}

/* KEY=VALUE… into a params object; a VALUE that is JSON (5, true, "x", [1,2]) is taken as such. */
static int parse_params(const CtlArgs *args, int first, json_t **ret) {
        _cleanup_json_ json_t *o = json_object();
        if (!o)
                return ctl_error_errno(-ENOMEM, "Out of memory.");
        for (int i = first; i < args->n_args; i++) {
                const char *a = args->args[i], *eq = strchr(a, '=');
                _cleanup_free_ char *name = NULL;
                json_t *v;
                if (!eq || eq == a)
                        return ctl_error_errno(-EINVAL, "'%s' is not of the form NAME=VALUE.", a);
                name = strndup(a, (size_t) (eq - a));
                v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
                if (!v)
                        v = json_string(eq + 1);
                if (!name || !v || json_object_set_new(o, name, v) < 0)
                        return ctl_error_errno(-EINVAL, "'%s': not valid UTF-8, or out of memory.", a);
        }
        *ret = TAKE_PTR(o);
        return 0;
}

static int print_variants(const CtlArgs *args, json_t *reply) {
        size_t i;
        json_t *v;

        if (args->json || !json_is_array(reply))
                return ctl_print_json(reply);
        printf("%-6s  %-16s  %-8s  %-10s  %-24s  %s\n", "ID", "NAME", "DEFAULT", "RENDERING", "SCHEDULE", "PARAMS");
        json_array_foreach(reply, i, v) {
                _cleanup_free_ char *params = json_dumps(json_object_get(v, "params"), JSON_COMPACT | JSON_ENCODE_ANY);
                json_t *active = json_object_get(v, "active_rendering");
                char rendering[32] = "-";
                if (json_is_integer(active))
                        (void) snprintf(rendering, sizeof rendering, "%lld", (long long) json_integer_value(active));
                printf("%-6lld  %-16s  %-8s  %-10s  %-24s  %s\n", (long long) json_integer_value(json_object_get(v, "id")),
                       json_string_value(json_object_get(v, "name")) ?: "-",
                       json_is_true(json_object_get(v, "is_default")) ? "yes" : "no", rendering,
                       json_string_value(json_object_get(v, "schedule")) ?: "-", params ? params : "null");
        }
        return fflush(stdout) == 0 ? 0 : -EIO;
}

/* variant list GUID | create GUID NAME [K=V…] | set GUID V K=V… | schedule GUID V CAL|--none | delete GUID V */
int verb_variant(CtlClient *c, const CtlArgs *args) {
        _cleanup_json_ json_t *body = NULL, *reply = NULL;
        _cleanup_free_ char *path = NULL, *suffix = NULL, *vname = NULL;
        const char *op = args->args[1];
        int r;

        if (args->n_args < 3)
                return ctl_error_errno(-EINVAL, "Usage: corralctl variant list|create|set|schedule|delete GUID ...");
        if (streq(op, "list")) {
                r = app_path(args->args[2], "variants", &path);
                if (r >= 0)
                        r = ctl_client_call(c, "GET", path, NULL, &reply);
                return r < 0 ? r : print_variants(args, reply);
        }
        if (args->n_args < 4)
                return ctl_error_errno(-EINVAL, "Usage: corralctl variant %s GUID VARIANT ...", op);
        if (ctl_url_escape(args->args[3], &vname) < 0 || asprintf(&suffix, "variants/%s", vname) < 0)
                return ctl_error_errno(-ENOMEM, "Out of memory.");
        if (streq(op, "create")) {
                json_t *params = NULL;
                r = parse_params(args, 4, &params);
                if (r < 0)
                        return r;
                body = json_pack("{s:s, s:o}", "name", args->args[3], "params", params);
                r = app_path(args->args[2], "variants", &path);
                if (r >= 0)
                        r = ctl_client_call(c, "POST", path, body, &reply);
        } else if (streq(op, "set")) {
                json_t *params = NULL;
                if (args->n_args < 5)
                        return ctl_error_errno(-EINVAL, "Usage: corralctl variant set GUID VARIANT NAME=VALUE...");
                r = parse_params(args, 4, &params);
                if (r < 0)
                        return r;
                body = json_pack("{s:o}", "params", params);
                r = app_path(args->args[2], suffix, &path);
                if (r >= 0)
                        r = ctl_client_call(c, "PATCH", path, body, &reply);
        } else if (streq(op, "schedule")) {
                if (args->n_args != (args->no_schedule ? 4 : 5))
                        return ctl_error_errno(-EINVAL, "Usage: corralctl variant schedule GUID VARIANT CALENDAR|--none");
                body = json_pack("{s:o}", "schedule", args->no_schedule ? json_null() : json_string(args->args[4]));
                r = app_path(args->args[2], suffix, &path);
                if (r >= 0)
                        r = ctl_client_call(c, "PATCH", path, body, &reply);
        } else if (streq(op, "delete")) {
                r = app_path(args->args[2], suffix, &path);
                if (r >= 0)
                        r = ctl_client_call(c, "DELETE", path, NULL, &reply);
        } else
                return ctl_error_errno(-EINVAL, "Unknown 'variant' command '%s' (known: list, create, set, schedule, "
                                       "delete).", op);
        if (r < 0)
                return r;
        if (args->json || !json_is_object(reply) || !json_object_get(reply, "name"))
                return ctl_print_json(reply);
        _cleanup_json_ json_t *one = json_pack("[O]", reply);
        return one ? print_variants(args, one) : ctl_error_errno(-ENOMEM, "Out of memory.");
}

static volatile sig_atomic_t stop_following;
static void on_sigint(int sig) {
        stop_following = 1;
}

/* logs GUID|JOB [-f]: the journal of a content's processes (CORRAL_CONTENT_GUID=) or of one job
 * (CORRAL_JOB_KEY=), read on this host with sd-journal. */
int verb_logs(CtlClient *c, const CtlArgs *args) {
        _cleanup_free_ char *match = NULL;
        const char *what = args->args[1];
        sd_journal *j = NULL;
        int r;

        if (strlen(what) == 16 && strspn(what, "0123456789abcdef") == 16)
                r = asprintf(&match, "CORRAL_JOB_KEY=%s", what);
        else {
                _cleanup_json_ json_t *app = NULL;
                _cleanup_free_ char *escaped = NULL, *path = NULL;
                /* A GUID, or a content id the server turns into one. */
                if (ctl_url_escape(what, &escaped) < 0 || asprintf(&path, "applications/%s", escaped) < 0)
                        return ctl_error_errno(-ENOMEM, "Out of memory.");
                r = ctl_client_call(c, "GET", path, NULL, &app);
                if (r < 0)
                        return r;
                r = asprintf(&match, "CORRAL_CONTENT_GUID=%s", json_string_value(json_object_get(app, "guid")) ?: what);
        }
        if (r < 0)
                return ctl_error_errno(-ENOMEM, "Out of memory.");
        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return ctl_error_errno(r, "Cannot open the journal: %m");
        r = sd_journal_add_match(j, match, 0);
        if (r >= 0)
                r = sd_journal_seek_head(j);
        if (r < 0) {
                sd_journal_close(j);
                return ctl_error_errno(r, "Cannot read the journal: %m");
        }
        (void) signal(SIGINT, on_sigint);
        (void) signal(SIGTERM, on_sigint);
        while (!stop_following) {
                r = sd_journal_next(j);
                if (r < 0)
                        break;
                if (r == 0) {
                        if (!args->follow)
                                break;
                        (void) fflush(stdout);
                        r = sd_journal_wait(j, 500 * 1000);
                        if (r < 0)
                                break;
                        continue;
                }
                const void *data;
                size_t size;
                uint64_t usec = 0;
                char when[32] = "";
                _cleanup_free_ char *unit = NULL;
                (void) sd_journal_get_realtime_usec(j, &usec);
                time_t t = (time_t) (usec / 1000000);
                struct tm tm;
                if (localtime_r(&t, &tm))
                        (void) strftime(when, sizeof when, "%b %d %H:%M:%S", &tm);
                if (sd_journal_get_data(j, "_SYSTEMD_UNIT", &data, &size) >= 0 && size > 14)
                        unit = strndup((const char *) data + 14, size - 14);
                if (sd_journal_get_data(j, "MESSAGE", &data, &size) >= 0 && size >= 8)
                        printf("%s %s: %.*s\n", when, unit ? unit : "-", (int) (size - 8), (const char *) data + 8);
        }
        sd_journal_close(j);
        if (r < 0)
                return ctl_error_errno(r, "Cannot read the journal: %m");
        return fflush(stdout) == 0 ? 0 : -EIO;
}
