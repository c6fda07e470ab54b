/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <systemd/sd-bus.h>

#include "corral-build.h"
#include "error-util.h"
#include "fs-util.h"
#include "jobs.h"
#include "journal-tail.h"
#include "log.h"
#include "render-files.h"
#include "render.h"
#include "report-store.h"
#include "reports.h"
#include "runas.h"
#include "sandbox.h"
#include "strv.h"
#include "unit-builder.h"
#include "unit-name.h"
#include "worker.h"

#define TASK_POLL_USEC (300 * USEC_PER_MSEC)
#define PRIMARY_FILE ".corral-primary"

/* One running render. */
typedef struct Render {
        Manager *manager;
        int64_t content_id;
        int64_t variant_id;
        int64_t rendering_id;
        bool site;
        bool activate;
        char key[JOB_KEY_LENGTH + 1];
        char *source;             /* the private source copy (documents), removed at the end */
        char *output;             /* the rendering dir */
        char *app_dir;            /* the bundle's dir, for _site.yml */
        char *task;               /* the deploy task to stream into and finish, or NULL */
        JournalTail *tail;
        sd_event_source *timer;
        /* For the source copy, made on a worker thread before the unit starts: */
        int64_t bundle_id;
        char *params;             /* the variant's parameters as JSON, or NULL */
        uid_t uid;
        gid_t gid;
        int copy_result;
        bool other_running;       /* another render of the variant was running at the start */
} Render;

static Render *render_free(Render *r) {
        if (!r)
                return NULL;
        free(r->source);
        free(r->output);
        free(r->app_dir);
        free(r->task);
        free(r->params);
        journal_tail_free(r->tail);
        sd_event_source_disable_unref(r->timer);
        free(r);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Render *, render_free);

bool render_mode_is_report(const char *app_mode) {
        return app_mode && streq(app_mode, "rmd-static");
}

static void task_end(Manager *m, const char *task, const char *error) {
        if (!task)
                return;
        if (error)
                store_task_appendf(m->store, task, "Deployment failed: %s", error);
        (void) store_task_finish(m->store, task, error ? 1 : 0, error);
}

int render_output_dir(Manager *m, int64_t content_id, int64_t variant_id, int64_t rendering_id, char **ret) {
        if (asprintf(ret, "%s/reports/v2/%lld/%lld/%lld", m->config->data_dir, (long long) content_id,
                     (long long) variant_id, (long long) rendering_id) < 0)
                return -ENOMEM;
        return 0;
}

void render_remove_content(Manager *m, int64_t content_id) {
        _cleanup_free_ char *dir = NULL;
        if (asprintf(&dir, "%s/reports/v2/%lld", m->config->data_dir, (long long) content_id) >= 0)
                (void) rm_rf(dir);
}

/* Retention (Applications.RenderingRetention): the oldest renderings of the variant go, dirs and all. */
static void render_apply_retention(Manager *m, int64_t content_id, int64_t variant_id) {
        _cleanup_free_ RenderingView *views = NULL;
        _cleanup_free_ bool *del = NULL;
        json_t *rows = NULL, *row;
        size_t i, n;

        if (report_rendering_list(m->store, variant_id, &rows) < 0)
                return (void) log_warning("Failed to list the renderings of variant %lld, ignoring.",
                                          (long long) variant_id);
        n = json_array_size(rows);
        views = calloc(n + 1, sizeof(RenderingView));
        del = calloc(n + 1, sizeof(bool));
        if (!views || !del) {
                json_decref(rows);
                return (void) log_oom();
        }
        json_array_foreach(rows, i, row)
                views[i] = (RenderingView) {
                        .id = json_integer_value(json_object_get(row, "id")),
                        .running = streq(json_string_value(json_object_get(row, "status")) ?: "", "running"),
                        .active = json_integer_value(json_object_get(row, "active")) != 0,
                };
        json_decref(rows);
        (void) report_retention_select(views, n, m->config->rendering_retention, del);
        for (i = 0; i < n; i++) {
                _cleanup_free_ char *dir = NULL;
                if (!del[i])
                        continue;
                if (render_output_dir(m, content_id, variant_id, views[i].id, &dir) >= 0)
                        (void) rm_rf(dir);
                (void) report_rendering_delete(m->store, views[i].id);
                log_info("Retention: deleted rendering %lld of variant %lld.", (long long) views[i].id,
                         (long long) variant_id);
        }
}

static void on_journal_line(const char *message, void *userdata) {
        Render *rd = userdata;
        store_task_appendf(rd->manager->store, rd->task, "%s", message);
}

static int on_task_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Render *rd = userdata;
        (void) journal_tail_read(rd->tail, 1000, on_journal_line, rd);
        (void) sd_event_source_set_time_relative(s, TASK_POLL_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

/* What a finished render leaves: its primary file's name, and for a site the output moved to the
 * root. Returns an error message or NULL. */
static char *render_collect(Render *rd, char **ret_primary) {
        _cleanup_free_ char *primary = NULL, *out_dir = NULL, *error = NULL, *marker = NULL;
        int r;

        r = render_read_small_file(rd->output, PRIMARY_FILE, 4096, &primary);
        if (r < 0 || !*primary || strchr(primary, '/') || primary[0] == '.')
                return strdup("the render finished without naming its output");
        if (path_join(rd->output, PRIMARY_FILE, &marker) >= 0)
                (void) unlink(marker);
        if (rd->site) {
                r = render_site_output_dir(rd->app_dir, &out_dir, &error);
                if (r < 0)
                        return error ? TAKE_PTR(error) : strdup("cannot read _site.yml");
                r = render_site_move_output(rd->output, out_dir);
                if (r < 0) {
                        char *msg = NULL;
                        if (asprintf(&msg, "cannot move the site's output dir '%s' to the root: %s", out_dir,
                                     strerror(-r)) < 0)
                                msg = NULL;
                        return msg;
                }
        }
        *ret_primary = TAKE_PTR(primary);
        return NULL;
}

static void render_done(Manager *m, const char *key, const ProcessEnd *end, void *userdata) {
        _cleanup_(render_freep) Render *rd = userdata;
        _cleanup_free_ char *primary = NULL, *error = NULL;
        bool ok = end->exit_code == 0 && end->signal == 0;

        if (rd->tail)
                (void) journal_tail_read(rd->tail, 0, on_journal_line, rd);
        if (rd->source)
                (void) rm_rf(rd->source);
        if (ok)
                error = render_collect(rd, &primary);
        else if (end->signal)
                (void) asprintf(&error, "the render was killed by signal %d (%s)", end->signal, end->cause);
        else
                (void) asprintf(&error, "the render failed with exit code %d (%s); see corralctl logs %s",
                                end->exit_code, end->cause, key);
        ok = ok && !error;
        if (report_rendering_finish(m->store, rd->rendering_id, ok, primary, error) < 0)
                log_warning("Failed to record the end of rendering %lld, ignoring.", (long long) rd->rendering_id);
        if (ok && rd->activate && report_rendering_activate(m->store, rd->variant_id, rd->rendering_id) < 0)
                log_warning("Failed to activate rendering %lld, ignoring.", (long long) rd->rendering_id);
        if (ok)
                log_info("Rendering %lld of variant %lld is ready%s.", (long long) rd->rendering_id,
                         (long long) rd->variant_id, rd->activate ? " and active" : " (not activated)");
        else
                log_warning("Rendering %lld of variant %lld failed: %s", (long long) rd->rendering_id,
                            (long long) rd->variant_id, error ? error : "unknown error");
        render_apply_retention(m, rd->content_id, rd->variant_id);
        if (ok)
                store_task_appendf(m->store, rd->task, "Rendered %s (rendering %lld)%s", primary, (long long) rd->rendering_id,
                          rd->activate ? ", now live" : "");
        task_end(m, rd->task, ok ? NULL : error ? error : "the render failed");
}

/* The dirs of the render, made at once: its rendering dir's parent (and, for a document, the
 * empty rendering dir and the parent of its source copy); the account it runs as. */
static int render_prepare_dirs(Manager *m, const Content *c, Render *rd, char **ret_error) {
        _cleanup_(runas_identity_freep) RunAsIdentity *id = NULL;
        _cleanup_free_ char *error = NULL, *parent = NULL;
        int r;

        r = runas_resolve(c->run_as ? c->run_as : m->config->run_as, m->config->run_as_group, &id, &error);
        if (r < 0)
                return set_errorf(ret_error, r, "Not rendering: %s.", error ? error : "cannot resolve the RunAs account");
        rd->uid = id->uid;
        rd->gid = id->gid;
        if (asprintf(&parent, "%s/reports/v2/%lld/%lld", m->config->data_dir, (long long) c->id,
                     (long long) rd->variant_id) < 0)
                return -ENOMEM;
        r = mkdir_p(parent, 0755);
        if (r >= 0 && !rd->site) {
                r = mkdir(rd->output, 0755) < 0 ? -errno : 0;
                free(parent);
                if (r >= 0 && asprintf(&parent, "%s/reports/v2/%lld/%lld", m->config->data_dir, (long long) c->id,
                                       (long long) c->bundle_id) < 0)
                        return -ENOMEM;
                if (r >= 0)
                        r = mkdir_p(parent, 0755);
        }
        if (r < 0)
                return set_errorf(ret_error, r, "Not rendering: cannot create the dirs of the render: %s.", strerror(-r));
        return 0;
}

/* The source where the render's unit expects it, owned by the account it runs as (spec §10): a
 * site goes into its rendering dir, a document into a private copy. Runs on a worker thread, as a
 * large bundle takes a while to copy; touches nothing but the files. */
static void render_copy_work(void *arg) {
        Render *rd = arg;
        int r;

        r = copy_tree(rd->app_dir, rd->site ? rd->output : rd->source);
        if (r >= 0)
                r = chown_recursive(rd->output, rd->uid, rd->gid);
        if (r >= 0 && rd->source)
                r = chown_recursive(rd->source, rd->uid, rd->gid);
        rd->copy_result = r;
}

static void render_started(Manager *m, Render *rd, const Content *c);

/* The render could not start: recorded failed, its dirs gone, its deploy task failed. */
static void render_abort(Manager *m, Render *rd, const char *error) {
        (void) report_rendering_finish(m->store, rd->rendering_id, false, NULL, error);
        if (rd->source)
                (void) rm_rf(rd->source);
        (void) rm_rf(rd->output);
        log_warning("Rendering %lld could not start: %s", (long long) rd->rendering_id, error);
        task_end(m, rd->task, error);
        render_free(rd);
}

/* Back on the loop after the copy: the unit starts. */
static void render_copy_done(Manager *m, void *arg) {
        Render *rd = arg;
        _cleanup_(content_freep) Content *c = NULL;
        _cleanup_free_ char *error = NULL, *msg = NULL;
        char key[JOB_KEY_LENGTH + 1];
        int r = rd->copy_result;

        if (r < 0) {
                if (asprintf(&msg, "Not rendering: cannot copy the source for the render: %s.", strerror(-r)) < 0)
                        msg = NULL;
                return render_abort(m, rd, msg ? msg : "cannot copy the source for the render");
        }
        r = store_content_get_by_id(m->store, rd->content_id, &c);
        if (r < 0)
                return render_abort(m, rd, "the content is gone");
        c->bundle_id = rd->bundle_id; /* the bundle this render copied, even if a deploy came meanwhile */
        LaunchRequest req = {
                .kind = rd->site ? PROCESS_BUILD_SITE : PROCESS_BUILD_REPORT,
                .content = c,
                .job_key = rd->key,
                .variant_id = (uint64_t) rd->variant_id,
                .rendering_id = (uint64_t) rd->rendering_id,
                .params_json = rd->params,
        };
        r = job_start(m, &req, render_done, rd, key, &error);
        if (r < 0)
                return render_abort(m, rd, error ? error : strerror(-r));
        render_started(m, rd, c);
}

static bool file_exists_in(const char *dir, const char *name) {
        _cleanup_free_ char *p = NULL;
        struct stat st;
        return path_join(dir, name, &p) >= 0 && lstat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int render_start(Manager *m, const Content *c, const RenderRequest *rr, char *ret_key, int64_t *ret_rendering,
                 char **ret_error) {
        _cleanup_(render_freep) Render *rd = NULL;
        _cleanup_free_ char *params = NULL, *error = NULL;
        json_t *variant = NULL;
        bool running = false;
        int r;

        if (!render_mode_is_report(c->app_mode) || c->bundle_id <= 0) {
                return set_errorf(ret_error, -EINVAL, "'%s' is not a deployed report (mode %s)", c->title,
                                 c->app_mode ? c->app_mode : "none");
        }
        r = rr->variant ? report_variant_get(m->store, c->id, rr->variant, &variant)
                        : report_variant_get_default(m->store, c->id, &variant);
        if (r == -ENOENT)
                return set_errorf(ret_error, r, "'%s' has no variant '%s'", c->title, rr->variant);
        if (r < 0)
                return set_errorf(ret_error, r, "cannot read the variants of '%s': %s", c->title, strerror(-r));
        rd = calloc(1, sizeof *rd);
        if (!rd) {
                json_decref(variant);
                return -ENOMEM;
        }
        rd->manager = m;
        rd->content_id = c->id;
        rd->variant_id = json_integer_value(json_object_get(variant, "id"));
        rd->activate = rr->activate;
        if (json_is_object(json_object_get(variant, "params")))
                params = json_dumps(json_object_get(variant, "params"), JSON_COMPACT);
        json_decref(variant);
        r = report_rendering_running(m->store, rd->variant_id, &running);
        if (r >= 0 && running && rr->scheduled)
                return set_errorf(ret_error, -EBUSY, "a render of this variant is still running; not starting another");

        r = job_key_new(rd->key, sizeof rd->key);
        if (r >= 0)
                r = sandbox_app_dir(m->config, (uint64_t) c->id, (uint64_t) c->bundle_id, &rd->app_dir);
        if (r < 0)
                return r;
        rd->site = file_exists_in(rd->app_dir, "_site.yml");
        if (!rd->site && asprintf(&rd->source, "%s/reports/v2/%lld/%lld/temp.render.%s", m->config->data_dir,
                                  (long long) c->id, (long long) c->bundle_id, rd->key) < 0)
                return -ENOMEM;
        if (rr->task) {
                rd->task = strdup(rr->task);
                if (!rd->task)
                        return -ENOMEM;
        }
        ProcessKind kind = rd->site ? PROCESS_BUILD_SITE : PROCESS_BUILD_REPORT;
        r = report_rendering_create(m->store, c->id, rd->variant_id, c->bundle_id, process_kind_to_tag(kind),
                                    rr->activate, &rd->rendering_id);
        if (r >= 0)
                r = render_output_dir(m, c->id, rd->variant_id, rd->rendering_id, &rd->output);
        if (r < 0)
                return set_errorf(ret_error, r, "cannot record the rendering: %s", strerror(-r));
        r = render_prepare_dirs(m, c, rd, &error);
        if (r < 0) {
                (void) report_rendering_finish(m->store, rd->rendering_id, false, NULL, error ? error : strerror(-r));
                (void) rm_rf(rd->output);
                return set_errorf(ret_error, r, "%s", error ? error : strerror(-r));
        }
        /* The job key is the rendering's from now on, so `corralctl render` finds its end even when
         * the render never starts. */
        (void) report_rendering_set_job(m->store, rd->rendering_id, rd->key);
        rd->bundle_id = c->bundle_id;
        rd->other_running = running;
        rd->params = TAKE_PTR(params);
        memcpy(ret_key, rd->key, sizeof rd->key);
        if (ret_rendering)
                *ret_rendering = rd->rendering_id;
        /* The copy runs on a worker; with every worker busy, here and now. */
        Render *taken = TAKE_PTR(rd);
        if (worker_run(m, render_copy_work, render_copy_done, taken) < 0) {
                render_copy_work(taken);
                render_copy_done(m, taken);
        }
        return 0;
}

/* The render's unit was started: its records, its deploy task's log, the journal to follow. */
static void render_started(Manager *m, Render *rd, const Content *c) {
        bool running = rd->other_running;
        const char *params_sql[] = { NULL, rd->key, NULL };
        char vid[32];
        (void) snprintf(vid, sizeof vid, "%lld", (long long) rd->variant_id);
        params_sql[0] = vid;
        json_t *ignored = NULL;
        if (store_query_json(m->store, "UPDATE processes SET variant_id = ? WHERE key = ?", params_sql, &ignored) >= 0)
                json_decref(ignored);
        store_task_appendf(m->store, rd->task, "Rendering %s of '%s' as job %s (rendering %lld)%s", rd->site ? "the site" : "the document",
                  c->title, rd->key, (long long) rd->rendering_id, running ? "; another render of it is running" : "");
        if (rd->task) {
                _cleanup_free_ char *match = NULL;
                if (asprintf(&match, "CORRAL_JOB_KEY=%s", rd->key) >= 0 && journal_tail_new(match, &rd->tail) >= 0)
                        (void) sd_event_add_time_relative(m->event, &rd->timer, CLOCK_MONOTONIC, TASK_POLL_USEC, 0,
                                                          on_task_poll, rd);
                else
                        log_warning("Cannot follow the journal of %s; the deploy log will not show the render.", rd->key);
        }
        log_info("Rendering '%s' (%s), variant %lld, rendering %lld, job %s.", c->title, c->guid,
                 (long long) rd->variant_id, (long long) rd->rendering_id, rd->key);
}

void render_for_deploy(Manager *m, int64_t content_id, const char *task) {
        _cleanup_(content_freep) Content *c = NULL;
        _cleanup_free_ char *error = NULL;
        char key[JOB_KEY_LENGTH + 1];
        int r;

        r = store_content_get_by_id(m->store, content_id, &c);
        if (r >= 0) {
                RenderRequest rr = { .activate = true, .task = task };
                r = render_start(m, c, &rr, key, NULL, &error);
        }
        if (r < 0)
                task_end(m, task, error ? error : strerror(-r));
}

/* corralctl, which a schedule's service runs: $CORRAL_CTL, the build tree's when corrald runs
 * from it, else the installed one. */
static const char *find_corralctl(void) {
        const char *env = getenv("CORRAL_CTL");
        char buf[4096];
        ssize_t n;

        if (env && *env)
                return env;
        n = readlink("/proc/self/exe", buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = 0;
        if (n > 0 && strncmp(buf, CORRAL_SOURCE_DIR "/", strlen(CORRAL_SOURCE_DIR) + 1) == 0 &&
            access(CORRAL_CTL_BUILD, X_OK) == 0)
                return CORRAL_CTL_BUILD;
        return CORRAL_CTL_INSTALLED;
}

/* The loaded timers whose names start with stem (sync: a quick question to PID 1). */
static int list_timers(Manager *m, const char *stem, char ***ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        _cleanup_free_ char *pattern = NULL;
        const char *name, *active;
        int r;

        if (!l || asprintf(&pattern, "%s-*.timer", stem) < 0)
                return -ENOMEM;
        const char *patterns[] = { pattern, NULL };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        r = sd_bus_message_new_method_call(m->bus, &call, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager", "ListUnitsByPatterns");
        if (r >= 0)
                r = sd_bus_message_append_strv(call, NULL);
        if (r >= 0)
                r = sd_bus_message_append_strv(call, (char **) patterns);
        if (r >= 0)
                r = sd_bus_call(m->bus, call, 0, NULL, &reply);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, &active, NULL, NULL, NULL,
                                                  NULL, NULL, NULL)) > 0)
                if (!streq(active, "inactive") && !streq(active, "failed"))
                        r = strv_extend(&l, name);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

/* Stops every timer of the variant's schedules but keep (may be NULL). */
static void stop_timers(Manager *m, const char *guid, int64_t variant_id, const char *keep) {
        _cleanup_strv_free_ char **timers = NULL;
        _cleanup_free_ char *stem = NULL;

        if (report_schedule_unit_name(guid, variant_id, NULL, &stem) < 0 || list_timers(m, stem, &timers) < 0)
                return (void) log_warning("Cannot list the timers of variant %lld, ignoring.", (long long) variant_id);
        STRV_FOREACH(t, timers)
                if (!keep || !streq(*t, keep))
                        (void) systemd_stop_unit(m->bus, *t);
}

typedef struct ScheduleCall {
        Manager *manager;
        char *guid;
        int64_t variant_id;
        char *timer;
        ScheduleDone done;
        void *userdata;
} ScheduleCall;

static void schedule_call_free(ScheduleCall *s) {
        if (!s)
                return;
        free(s->guid);
        free(s->timer);
        free(s);
}

static int on_timer_started(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ScheduleCall *call = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (!e)
                stop_timers(call->manager, call->guid, call->variant_id, call->timer);
        if (call->done)
                call->done(call->manager, e ? e->message : NULL, call->userdata);
        schedule_call_free(call);
        return 0;
}

/* StartTransientUnit of the timer with its service as an auxiliary unit, as systemd-run --on-calendar does. */
static int schedule_message(Manager *m, const char *guid, int64_t variant_id, const char *spec, const char *timer,
                            const char *service, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        _cleanup_free_ char *description = NULL, *variant = NULL;
        const char *ctl = find_corralctl();
        int r;

        if (asprintf(&description, "Corral schedule of %s, variant %lld: %s", guid, (long long) variant_id, spec) < 0 ||
            asprintf(&variant, "%lld", (long long) variant_id) < 0)
                return -ENOMEM;
        const char *argv[] = { ctl, "--socket", m->config->socket_path, "render", guid, "--variant", variant,
                               "--scheduled", NULL };
        r = sd_bus_message_new_method_call(m->bus, &msg, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager", "StartTransientUnit");
        if (r >= 0)
                r = sd_bus_message_append(msg, "ss", timer, "fail");
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'a', "(sv)");
        if (r >= 0)
                r = sd_bus_message_append(msg, "(sv)", "Description", "s", description);
        if (r >= 0)
                r = sd_bus_message_append(msg, "(sv)", "TimersCalendar", "a(ss)", 1, "OnCalendar", spec);
        if (r >= 0)
                r = sd_bus_message_append(msg, "(sv)", "AccuracyUSec", "t", USEC_PER_SEC);
        if (r >= 0)
                r = sd_bus_message_append(msg, "(sv)", "RemainAfterElapse", "b", 1);
        if (r >= 0)
                r = sd_bus_message_close_container(msg);
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'a', "(sa(sv))");
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'r', "sa(sv)");
        if (r >= 0)
                r = sd_bus_message_append(msg, "s", service);
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'a', "(sv)");
        if (r >= 0)
                r = sd_bus_message_append(msg, "(sv)", "Description", "s", description);
        if (r >= 0)
                r = sd_bus_message_append(msg, "(sv)", "Type", "s", "oneshot");
        if (r >= 0)
                r = sd_bus_message_append(msg, "(sv)", "Slice", "s", "corral.slice");
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(msg, "s", "ExecStart");
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'v', "a(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'a', "(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'r', "sasb");
        if (r >= 0)
                r = sd_bus_message_append(msg, "s", ctl);
        if (r >= 0)
                r = sd_bus_message_append_strv(msg, (char **) argv);
        if (r >= 0)
                r = sd_bus_message_append(msg, "b", 0);
        for (int i = 0; i < 5 && r >= 0; i++) /* struct, array, variant, (sv), a(sv) */
                r = sd_bus_message_close_container(msg);
        if (r >= 0)
                r = sd_bus_message_close_container(msg); /* the (sa(sv)) struct */
        if (r >= 0)
                r = sd_bus_message_close_container(msg); /* the aux array */
        if (r < 0)
                return r;
        *ret = TAKE_PTR(msg);
        return 0;
}

int render_schedule_set(Manager *m, const char *guid, int64_t variant_id, const char *old_spec, const char *new_spec,
                        ScheduleDone done, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        _cleanup_free_ char *stem = NULL, *service = NULL;
        char nonce[JOB_KEY_LENGTH + 1];
        ScheduleCall *call;
        int r;

        if (!new_spec) {
                stop_timers(m, guid, variant_id, NULL);
                if (done)
                        done(m, NULL, userdata);
                return 0;
        }
        call = calloc(1, sizeof *call);
        if (!call)
                return -ENOMEM;
        *call = (ScheduleCall) { .manager = m, .variant_id = variant_id, .done = done, .userdata = userdata };
        call->guid = strdup(guid);
        r = call->guid ? report_schedule_unit_name(guid, variant_id, new_spec, &stem) : -ENOMEM;
        if (r >= 0)
                r = job_key_new(nonce, sizeof nonce);
        if (r >= 0 && (asprintf(&call->timer, "%s-%.8s.timer", stem, nonce) < 0 ||
                       asprintf(&service, "%s-%.8s.service", stem, nonce) < 0))
                r = -ENOMEM;
        if (r >= 0)
                r = schedule_message(m, guid, variant_id, new_spec, call->timer, service, &msg);
        if (r >= 0)
                r = sd_bus_call_async(m->bus, NULL, msg, on_timer_started, call, 0);
        if (r < 0) {
                schedule_call_free(call);
                return r;
        }
        return 0;
}

void render_stop_schedules(Manager *m, int64_t content_id, const char *guid) {
        char id[32];
        const char *params[] = { id, NULL };
        json_t *rows = NULL, *row;
        size_t i;

        (void) snprintf(id, sizeof id, "%lld", (long long) content_id);
        if (store_query_json(m->store, "SELECT id FROM variants WHERE content_id = ?", params, &rows) < 0)
                return (void) log_warning("Cannot list the variants of %s to stop their schedules, ignoring.", guid);
        json_array_foreach(rows, i, row)
                stop_timers(m, guid, json_integer_value(json_object_get(row, "id")), NULL);
        json_decref(rows);
}

static void on_startup_schedule(Manager *m, const char *error, void *userdata) {
        if (error)
                log_warning("Cannot restore a report schedule, ignoring: %s", error);
}

/* Source copies of renders an earlier corrald left (no render runs before startup is done). */
static void remove_stale_sources(Manager *m) {
        _cleanup_free_ char *pattern = NULL;
        glob_t g = {};

        if (asprintf(&pattern, "%s/reports/v2/*/*/temp.render.*", m->config->data_dir) < 0)
                return;
        if (glob(pattern, GLOB_NOSORT | GLOB_ONLYDIR, NULL, &g) == 0)
                for (size_t i = 0; i < g.gl_pathc; i++) {
                        log_info("Removing %s, left by a render an earlier corrald ran.", g.gl_pathv[i]);
                        (void) rm_rf(g.gl_pathv[i]);
                }
        globfree(&g);
}

void render_startup(Manager *m) {
        json_t *rows = NULL, *row;
        size_t i;

        if (report_rendering_fail_running(m->store, "corrald restarted while the render ran") < 0)
                log_warning("Failed to close the renderings of an earlier corrald, ignoring.");
        remove_stale_sources(m);
        if (report_variant_list_scheduled(m->store, &rows) < 0)
                return (void) log_warning("Failed to read the report schedules, ignoring.");
        json_array_foreach(rows, i, row) {
                _cleanup_strv_free_ char **running = NULL;
                _cleanup_free_ char *stem = NULL;
                const char *guid = json_string_value(json_object_get(row, "guid"));
                const char *spec = json_string_value(json_object_get(row, "schedule"));
                int64_t id = json_integer_value(json_object_get(row, "id"));
                /* A timer of this very schedule outlived the previous corrald: keep it. */
                if (report_schedule_unit_name(guid, id, spec, &stem) >= 0 && list_timers(m, stem, &running) >= 0 &&
                    strv_length(running) > 0)
                        continue;
                if (render_schedule_set(m, guid, id, NULL, spec, on_startup_schedule, NULL) < 0)
                        log_warning("Cannot restore the schedule of variant %lld, ignoring.", (long long) id);
        }
        if (json_array_size(rows) > 0)
                log_info("Restoring %zu report schedule(s).", json_array_size(rows));
        json_decref(rows);
}
