/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fs-util.h"
#include "journal-tail.h"
#include "log.h"
#include "render.h"
#include "report-store.h"
#include "api-reply.h"
#include "reports-api.h"
#include "reports.h"
#include "strv.h"
#include "unit-name.h"

#define FAILED_LOG_LINES 10U

static json_t *parse_body(HttpRequest *req, bool required) {
        size_t size;
        const void *body = http_request_body(req, &size);
        json_error_t err;
        json_t *o;

        if (!body || size == 0) {
                if (!required)
                        return json_object();
                api_reply_error(req, 400, "request body must be a JSON object");
                return NULL;
        }
        o = json_loadb(body, size, JSON_REJECT_DUPLICATES, &err);
        if (!o || !json_is_object(o)) {
                json_decref(o);
                api_reply_error(req, 400, "request body is not a JSON object: %s", o ? "not an object" : err.text);
                return NULL;
        }
        return o;
}

bool reports_api_handles(const char *segment) {
        return segment && (streq(segment, "variants") || streq(segment, "render") || streq(segment, "jobs"));
}

/* Parameters: a JSON object of at most REPORT_PARAMS_MAX bytes; text in *ret (NULL for null). */
static int params_text(HttpRequest *req, json_t *v, char **ret) {
        if (json_is_null(v)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_object(v)) {
                api_reply_error(req, 400, "'params' must be a JSON object (parameter name → value) or null");
                return -EINVAL;
        }
        *ret = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
        if (!*ret || strlen(*ret) > REPORT_PARAMS_MAX) {
                api_reply_error(req, 400, "'params' must be at most %u bytes as JSON", REPORT_PARAMS_MAX);
                free(*ret);
                return -EINVAL;
        }
        return 0;
}

/* A schedule change waits for systemd's answer before it is stored and answered. */
typedef struct ScheduleReply {
        HttpRequest *req;
        int64_t content_id;
        int64_t variant_id;
        char *spec;
} ScheduleReply;

static void on_schedule_done(Manager *m, const char *error, void *userdata) {
        ScheduleReply *s = userdata;
        json_t *v = NULL;
        char id[32];

        if (error)
                api_reply_error(s->req, 400, "systemd refused the schedule '%s': %s", s->spec ? s->spec : "", error);
        else if (report_variant_set_schedule(m->store, s->variant_id, s->spec) < 0)
                api_reply_error(s->req, 500, "cannot store the schedule");
        else {
                (void) snprintf(id, sizeof id, "%lld", (long long) s->variant_id);
                if (report_variant_get(m->store, s->content_id, id, &v) < 0)
                        api_reply_error(s->req, 500, "cannot read the variant back");
                else {
                        log_info("Schedule of variant %lld is now %s.", (long long) s->variant_id,
                                 s->spec ? s->spec : "none");
                        api_reply_json(s->req, 200, v);
                }
        }
        free(s->spec);
        free(s);
}

/* Applies "schedule" of body (a string, or null to remove) and answers; otherwise answers with v. */
static void apply_schedule_and_respond(Manager *m, HttpRequest *req, const Content *c, json_t *v, json_t *body) {
        json_t *sched = json_object_get(body, "schedule");
        const char *old = json_string_value(json_object_get(v, "schedule"));
        ScheduleReply *s;
        int r;

        if (!sched)
                return api_reply_json(req, 200, json_incref(v));
        if (!json_is_null(sched) && !report_calendar_is_plausible(json_string_value(sched)))
                return api_reply_error(req, 400, "'schedule' must be a systemd calendar expression (like 'daily' or "
                                     "'Mon..Fri *-*-* 07:00'), at most %u printable characters, or null",
                                     REPORT_CALENDAR_MAX);
        s = calloc(1, sizeof *s);
        if (!s)
                return api_reply_errno(req, -ENOMEM, "schedule");
        *s = (ScheduleReply) {
                .req = req,
                .content_id = c->id,
                .variant_id = json_integer_value(json_object_get(v, "id")),
                .spec = json_is_string(sched) ? strdup(json_string_value(sched)) : NULL,
        };
        r = render_schedule_set(m, c->guid, s->variant_id, old, s->spec, on_schedule_done, s);
        if (r < 0) {
                free(s->spec);
                free(s);
                api_reply_errno(req, r, "schedule");
        }
}

static void post_variant(Manager *m, HttpRequest *req, const Content *c) {
        _cleanup_free_ char *params = NULL;
        json_t *body = parse_body(req, true), *v = NULL, *list = NULL;
        const char *name;
        int64_t id;
        int r;

        if (!body)
                return;
        name = json_string_value(json_object_get(body, "name"));
        if (!report_variant_name_is_valid(name)) {
                json_decref(body);
                return api_reply_error(req, 400, "'name' must be 1–64 letters, digits, '_' or '-'");
        }
        if (params_text(req, json_object_get(body, "params") ?: json_null(), &params) < 0) {
                json_decref(body);
                return;
        }
        r = report_variant_list(m->store, c->id, &list);
        if (r >= 0 && json_array_size(list) >= REPORT_VARIANTS_MAX)
                r = -E2BIG;
        json_decref(list);
        if (r == -E2BIG) {
                json_decref(body);
                return api_reply_error(req, 400, "a report may have at most %u variants", REPORT_VARIANTS_MAX);
        }
        if (r >= 0)
                r = report_variant_create(m->store, c->id, name, params, &id);
        if (r >= 0)
                r = report_variant_get(m->store, c->id, name, &v);
        if (r < 0) {
                json_decref(body);
                return api_reply_errno(req, r, "variant");
        }
        log_info("Created variant '%s' of '%s' (%s).", name, c->title, c->guid);
        apply_schedule_and_respond(m, req, c, v, body);
        json_decref(v);
        json_decref(body);
}

static void patch_variant(Manager *m, HttpRequest *req, const Content *c, json_t *v) {
        _cleanup_free_ char *params = NULL;
        json_t *body = parse_body(req, true), *p, *fresh = NULL;
        int64_t id = json_integer_value(json_object_get(v, "id"));
        int r = 0;

        if (!body)
                return;
        p = json_object_get(body, "params");
        if (p && params_text(req, p, &params) < 0) {
                json_decref(body);
                return;
        }
        if (p)
                r = report_variant_set_params(m->store, id, params);
        if (r >= 0)
                r = report_variant_get(m->store, c->id, json_string_value(json_object_get(v, "name")), &fresh);
        if (r < 0) {
                json_decref(body);
                return api_reply_errno(req, r, "variant");
        }
        apply_schedule_and_respond(m, req, c, fresh, body);
        json_decref(fresh);
        json_decref(body);
}

static void delete_variant(Manager *m, HttpRequest *req, const Content *c, json_t *v) {
        _cleanup_free_ char *dir = NULL;
        int64_t id = json_integer_value(json_object_get(v, "id"));
        const char *spec = json_string_value(json_object_get(v, "schedule"));

        if (spec)
                (void) render_schedule_set(m, c->guid, id, spec, NULL, NULL, NULL);
        if (asprintf(&dir, "%s/reports/v2/%lld/%lld", m->config->data_dir, (long long) c->id, (long long) id) >= 0)
                (void) rm_rf(dir);
        int r = report_variant_delete(m->store, id);
        if (r < 0)
                return api_reply_errno(req, r, "variant");
        api_reply_json(req, 200, json_pack("{s:I, s:b}", "id", (json_int_t) id, "deleted", true));
}

static void handle_variants(Manager *m, HttpRequest *req, const Content *c, const char *method, const char *which) {
        json_t *v = NULL;
        int r;

        if (!which) {
                if (streq(method, "GET")) {
                        r = report_variant_list(m->store, c->id, &v);
                        if (r < 0)
                                return api_reply_errno(req, r, "variants");
                        return api_reply_json(req, 200, v);
                }
                if (streq(method, "POST"))
                        return post_variant(m, req, c);
                return api_reply_error(req, 405, "variants: GET or POST");
        }
        r = report_variant_get(m->store, c->id, which, &v);
        if (r < 0)
                return api_reply_errno(req, r, "variant");
        if (streq(method, "GET"))
                api_reply_json(req, 200, json_incref(v));
        else if (streq(method, "PATCH"))
                patch_variant(m, req, c, v);
        else if (streq(method, "DELETE"))
                delete_variant(m, req, c, v);
        else
                api_reply_error(req, 405, "variant: GET, PATCH or DELETE");
        json_decref(v);
}

static void post_render(Manager *m, HttpRequest *req, const Content *c) {
        _cleanup_free_ char *error = NULL, *variant_buf = NULL;
        json_t *body = parse_body(req, false), *v;
        char key[JOB_KEY_LENGTH + 1];
        int64_t rendering = 0;
        int r;

        if (!body)
                return;
        v = json_object_get(body, "variant");
        if (json_is_integer(v) && asprintf(&variant_buf, "%lld", (long long) json_integer_value(v)) < 0)
                variant_buf = NULL;
        RenderRequest rr = {
                .variant = json_is_string(v) ? json_string_value(v) : variant_buf,
                .activate = !json_is_false(json_object_get(body, "activate")),
                .scheduled = json_is_true(json_object_get(body, "scheduled")),
        };
        r = render_start(m, c, &rr, key, &rendering, &error);
        json_decref(body);
        if (r == -EBUSY)
                return api_reply_error(req, 409, "%s", error ? error : "a render is running");
        if (r == -ENOENT || r == -EINVAL)
                return api_reply_error(req, r == -ENOENT ? 404 : 400, "%s", error ? error : "cannot render");
        if (r < 0)
                return api_reply_error(req, 500, "%s", error ? error : strerror(-r));
        api_reply_json(req, 200, json_pack("{s:s, s:I, s:b}", "job_key", key, "rendering", (json_int_t) rendering,
                                         "activate", rr.activate));
}

/* Render jobs, newest first; a failed one carries the last lines of its journal. */
static void get_jobs(Manager *m, HttpRequest *req, const Content *c) {
        json_t *rows = NULL, *row;
        size_t i;
        int r;

        r = report_jobs_list(m->store, c->id, &rows);
        if (r < 0)
                return api_reply_errno(req, r, "jobs");
        json_array_foreach(rows, i, row) {
                _cleanup_strv_free_ char **lines = NULL;
                _cleanup_free_ char *match = NULL;
                const char *key = json_string_value(json_object_get(row, "key"));
                json_t *a;

                if (!key || !streq(json_string_value(json_object_get(row, "status")) ?: "", "failed"))
                        continue;
                if (asprintf(&match, "CORRAL_JOB_KEY=%s", key) < 0 ||
                    journal_last_messages(match, FAILED_LOG_LINES, &lines) < 0)
                        continue;
                a = json_array();
                STRV_FOREACH(l, lines)
                        (void) json_array_append_new(a, json_string(*l));
                (void) json_object_set_new(row, "last_lines", a);
        }
        api_reply_json(req, 200, rows);
}

void reports_api_handle(Manager *m, HttpRequest *req, const char *content, const char *what, const char *which) {
        _cleanup_(content_freep) Content *c = NULL;
        const char *method = http_request_method(req);
        int r;

        r = store_content_get(m->store, content, &c);
        if (r < 0)
                return api_reply_errno(req, r, "content");
        if (streq(what, "variants"))
                return handle_variants(m, req, c, method, which);
        if (which)
                return api_reply_error(req, 404, "no API endpoint %s %s", method, http_request_path(req));
        if (streq(what, "render") && streq(method, "POST"))
                return post_render(m, req, c);
        if (streq(what, "jobs") && streq(method, "GET"))
                return get_jobs(m, req, c);
        api_reply_error(req, 405, "%s: method %s not allowed", what, method);
}
