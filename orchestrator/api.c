/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <jansson.h>

#include "api-reply.h"
#include "api.h"
#include "api-users.h"
#include "auth.h"
#include "content-settings.h"
#include "deploy.h"
#include "jobs.h"
#include "fs-util.h"
#include "log.h"
#include "pool.h"
#include "process-kind.h"
#include "reports-api.h"
#include "render.h"
#include "runas.h"
#include "sandbox.h"
#include "store-users.h"
#include "strv.h"
#include "unit-name.h"

#define API_PREFIX "/__api__/"

/* The caller of the request being answered. The loop answers one API request at a time and the
 * handlers finish synchronously, so handlers may read it instead of taking it as a parameter. */
static const Identity *caller;
static HttpRequest *current_request;

/* Forgets the caller when api_handle() returns (its Identity lives on api_handle()'s stack). */
static void caller_forget(bool *unused) {
        caller = NULL;
        current_request = NULL;
}

static json_t *content_json(Manager *m, json_t *row) {
        const char *addr = m->config->server_address;
        const char *settings = json_string_value(json_object_get(row, "settings"));
        json_t *o = settings ? json_loads(settings, 0, NULL) : NULL;
        (void) json_object_set_new(row, "settings", json_is_object(o) ? o : json_object());
        if (o && !json_is_object(o))
                json_decref(o);
        size_t n = strlen(addr);
        char *url = NULL;
        if (asprintf(&url, "%s%scontent/%s/", addr, n > 0 && addr[n - 1] == '/' ? "" : "/",
                     json_string_value(json_object_get(row, "guid"))) >= 0) {
                (void) json_object_set_new(row, "url", json_string(url));
                free(url);
        }
        return row;
}

#define CONTENT_SELECT \
        "SELECT id, guid, name, title, app_mode, entry_point, run_as, bundle_id, settings, access, " \
        "run_as_current_user = 1 AS run_as_current_user, " \
        "(SELECT username FROM users WHERE users.id = content.owner_id) AS owner, owner_id, created, updated FROM content"

/* Whether row passes the seed product's list filters: "name:NAME", "account_id:OWNER" (its
 * publishing clients look their content up this way). Unknown filters match nothing. */
static bool filters_match(json_t *row, char * const *filters) {
        STRV_FOREACH(f, filters) {
                const char *colon = strchr(*f, ':');
                if (!colon)
                        return false;
                const char *value = colon + 1;
                if (strncmp(*f, "name:", 5) == 0) {
                        if (!streq(json_string_value(json_object_get(row, "name")) ?: "", value))
                                return false;
                } else if (strncmp(*f, "account_id:", 11) == 0) {
                        if (json_integer_value(json_object_get(row, "owner_id")) != strtoll(value, NULL, 10))
                                return false;
                } else
                        return false;
        }
        return true;
}

/* GET applications[?filter=…&count=N&offset=N]: {applications, count, total, offset}. */
static void get_applications(Manager *m, HttpRequest *req) {
        _cleanup_strv_free_ char **filters = NULL;
        json_t *rows = NULL, *page;
        size_t i, count = 1000, offset = 0, total = 0;
        json_t *row;
        char uid[32];
        const char *params[] = { uid, NULL };
        int r;

        /* The query: repeated filter=, and count/offset for paging. */
        _cleanup_free_ char *q = http_request_query(req) ? strdup(http_request_query(req)) : NULL;
        for (char *save = NULL, *kv = q ? strtok_r(q, "&", &save) : NULL; kv; kv = strtok_r(NULL, "&", &save)) {
                _cleanup_free_ char *value = NULL;
                char *eq = strchr(kv, '=');
                if (!eq || http_url_decode(eq + 1, &value) < 0)
                        continue;
                *eq = 0;
                if (streq(kv, "filter"))
                        (void) strv_consume(&filters, TAKE_PTR(value));
                else if (streq(kv, "count"))
                        count = (size_t) strtoul(value, NULL, 10);
                else if (streq(kv, "offset"))
                        offset = (size_t) strtoul(value, NULL, 10);
        }
        if (count == 0 || count > 1000)
                count = 1000;

        if (caller && !identity_is_admin(caller) && caller->user) {
                /* What a user may see: content not restricted to an ACL, their own, and shared with them. */
                (void) snprintf(uid, sizeof uid, "%lld", (long long) caller->user->id);
                r = store_query_json(m->store, CONTENT_SELECT " WHERE access != 'acl' OR owner_id = ?1 OR id IN "
                                     "(SELECT content_id FROM content_acl WHERE user_id = ?1) ORDER BY id", params, &rows);
        } else
                r = store_query_json(m->store, CONTENT_SELECT " ORDER BY id", NULL, &rows);
        if (r < 0)
                return api_reply_errno(req, r, "content list");
        page = json_array();
        json_array_foreach(rows, i, row) {
                if (!filters_match(row, filters))
                        continue;
                if (total++ >= offset && json_array_size(page) < count)
                        (void) json_array_append(page, content_json(m, row));
        }
        json_decref(rows);
        api_reply_json(req, 200, json_pack("{s:o, s:I, s:I, s:I}", "applications", page, "count",
                                           (json_int_t) json_array_size(page), "total", (json_int_t) total, "offset",
                                           (json_int_t) offset));
}

static int content_lookup_json(Manager *m, const char *id_or_guid, json_t **ret);

/* GET applications/{id}/config: where the content is seen (the seed's clients open config_url). */
static void get_application_config(Manager *m, HttpRequest *req, const char *id) {
        json_t *o = NULL;
        int r = content_lookup_json(m, id, &o);
        if (r < 0)
                return api_reply_errno(req, r, "content");
        const char *url = json_string_value(json_object_get(o, "url"));
        api_reply_json(req, 200, json_pack("{s:s, s:s}", "config_url", url ? url : "", "url", url ? url : ""));
        json_decref(o);
}

static int content_lookup_json(Manager *m, const char *id_or_guid, json_t **ret) {
        const char *params[] = { id_or_guid, NULL };
        json_t *rows = NULL;
        int r = store_query_json(m->store, CONTENT_SELECT " WHERE guid = ?1 OR CAST(id AS TEXT) = ?1", params, &rows);
        if (r < 0)
                return r;
        if (json_array_size(rows) != 1) {
                json_decref(rows);
                return -ENOENT;
        }
        *ret = json_incref(content_json(m, json_array_get(rows, 0)));
        json_decref(rows);
        return 0;
}

static void get_application(Manager *m, HttpRequest *req, const char *id) {
        json_t *o = NULL;
        int r = content_lookup_json(m, id, &o);
        if (r < 0)
                return api_reply_errno(req, r, "content");
        api_reply_json(req, 200, o);
}

static json_t *parse_body(HttpRequest *req) {
        size_t size;
        const void *body = http_request_body(req, &size);
        json_error_t err;
        json_t *o;

        if (!body || size == 0) {
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

static int guid_new(char *buf, size_t size) {
        uint8_t b[16];
        if (size < 37)
                return -EINVAL;
        if (getrandom(b, sizeof b, 0) != (ssize_t) sizeof b)
                return -EIO;
        b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
        b[8] = (b[8] & 0x3f) | 0x80;
        (void) snprintf(buf, size, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                        b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
        return 0;
}

static bool text_is_sane(const char *s, size_t max) {
        size_t n = strlen(s);
        if (n == 0 || n > max)
                return false;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

static void post_applications(Manager *m, HttpRequest *req) {
        json_t *body = parse_body(req), *o = NULL;
        const char *name, *title;
        char guid[37], idbuf[32];
        int64_t id;
        int r;

        if (!body)
                return;
        name = json_string_value(json_object_get(body, "name"));
        title = json_string_value(json_object_get(body, "title"));
        if (!name && !title) {
                json_decref(body);
                return api_reply_error(req, 400, "'name' or 'title' is required");
        }
        if (!name)
                name = title;
        if (!title)
                title = name;
        if (!text_is_sane(name, 200) || !text_is_sane(title, 1000)) {
                json_decref(body);
                return api_reply_error(req, 400, "'name' and 'title' must be 1–200/1000 printable characters");
        }
        r = guid_new(guid, sizeof guid);
        if (r >= 0)
                r = store_content_create(m->store, guid, name, title, &id);
        if (r >= 0 && caller && caller->user) {
                /* A publisher's content starts private: its owner and administrators (spec §13). */
                r = store_content_set_owner(m->store, id, caller->user->id);
                if (r >= 0)
                        r = store_content_set_access(m->store, id, "acl");
        }
        if (r >= 0)
                log_info("Created content '%s' (%s).", title, guid);
        json_decref(body);
        if (r < 0)
                return api_reply_errno(req, r, "content");
        (void) snprintf(idbuf, sizeof idbuf, "%lld", (long long) id);
        r = content_lookup_json(m, idbuf, &o);
        if (r < 0)
                return api_reply_errno(req, r, "content");
        api_reply_json(req, 200, o);
}

/* A content's own RunAs (spec §4): an existing account without uid 0, in the primary group of
 * Applications.RunAs. The message names the user and the group. */
static int check_run_as(Manager *m, const char *user, char **ret_why) {
        _cleanup_(runas_identity_freep) RunAsIdentity *id = NULL;
        int r;

        r = runas_resolve(user, NULL, &id, ret_why);
        if (r < 0)
                return r;
        if (streq(user, m->config->run_as))
                return 0;
        return runas_check_group_rule(user, m->config->run_as, ret_why);
}

/* Stores the new RunAs and hands the active app dir to that account (it must write there). */
static int apply_run_as(Manager *m, const Content *c, const char *user) {
        _cleanup_(runas_identity_freep) RunAsIdentity *id = NULL;
        _cleanup_free_ char *dir = NULL;
        int r;

        r = store_content_set_run_as(m->store, c->id, user);
        if (r < 0)
                return r;
        if (c->bundle_id > 0 && runas_resolve(user ? user : m->config->run_as, m->config->run_as_group, &id, NULL) >= 0 &&
            sandbox_app_dir(m->config, (uint64_t) c->id, (uint64_t) c->bundle_id, &dir) >= 0)
                (void) chown_recursive(dir, id->uid, id->gid);
        log_info("RunAs of '%s' (%s) is now %s.", c->title, c->guid, user ? user : "Applications.RunAs");
        /* Running processes keep their account until they are replaced. */
        pool_stop_content(m, c->id, "runas change");
        return 0;
}

/* GET applications/{id}/environment: the names only; values never leave corrald. */
static void get_environment(Manager *m, HttpRequest *req, const char *id) {
        _cleanup_(content_freep) Content *c = NULL;
        _cleanup_strv_free_ char **env = NULL;
        json_t *names;
        int r;

        r = store_content_get(m->store, id, &c);
        if (r >= 0)
                r = store_env_get(m->store, c->id, &env);
        if (r < 0)
                return api_reply_errno(req, r, "content");
        names = json_array();
        STRV_FOREACH(e, env) {
                char *eq = strchr(*e, '=');
                if (eq)
                        *eq = 0;
                (void) json_array_append_new(names, json_string(*e));
        }
        api_reply_json(req, 200, names);
}

/* PATCH applications/{id}/environment {NAME: "value" | null, …}: all or nothing; a refused name
 * is named in the error. Processes started afterwards see the change. */
static void patch_environment(Manager *m, HttpRequest *req, const char *id) {
        _cleanup_(content_freep) Content *c = NULL;
        _cleanup_strv_free_ char **env = NULL;
        json_t *body = parse_body(req);
        const char *name;
        json_t *v;
        int r;

        if (!body)
                return;
        r = store_content_get(m->store, id, &c);
        if (r >= 0)
                r = store_env_get(m->store, c->id, &env);
        if (r < 0) {
                json_decref(body);
                return api_reply_errno(req, r, "content");
        }
        if (strv_length(env) + json_object_size(body) > SANDBOX_ENV_MAX_VARS) {
                json_decref(body);
                return api_reply_error(req, 400, "a content item may have at most %u environment variables",
                                         SANDBOX_ENV_MAX_VARS);
        }
        json_object_foreach(body, name, v) {
                _cleanup_free_ char *why = NULL;
                if (!json_is_null(v) && !json_is_string(v)) {
                        api_reply_error(req, 400, "environment variable '%s': the value must be a string or null", name);
                        json_decref(body);
                        return;
                }
                r = sandbox_environment_check(m->config, name, json_string_value(v),
                                              json_is_string(v) ? json_string_length(v) : 0, &why);
                if (r < 0) {
                        api_reply_error(req, 400, "%s", why ? why : "invalid environment variable");
                        json_decref(body);
                        return;
                }
        }
        r = store_env_update(m->store, c->id, body);
        json_decref(body);
        if (r < 0)
                return api_reply_errno(req, r, "environment");
        log_info("Environment of '%s' (%s) changed.", c->title, c->guid);
        get_environment(m, req, id);
}

/* Checks the access fields of a PATCH: run_as and run_as_current_user are for administrators,
 * access is all|logged-in|acl, acl maps user names to viewer|collaborator|null. Returns NULL when
 * fine, else a message ("!…" for a permission refusal). */
static const char *access_fields_invalid(Manager *m, const Content *c, json_t *body) {
        json_t *v;
        const char *name;

        if ((json_object_get(body, "run_as") || json_object_get(body, "run_as_current_user")) &&
            !(caller && identity_is_admin(caller)))
                return "!only administrators may change RunAs or RunAsCurrentUser";
        v = json_object_get(body, "run_as_current_user");
        if (v && !json_is_boolean(v))
                return "'run_as_current_user' must be true or false";
        if (json_is_true(v)) {
                ProcessKind kind = process_kind_for_app_mode(c->app_mode);
                if (kind < 0 || kind == PROCESS_CONFIGURE_REPORT || process_kind_is_install(kind))
                        return "only apps and APIs may run as the visiting user (RunAsCurrentUser)";
        }
        v = json_object_get(body, "access");
        if (v && (!json_is_string(v) || (!streq(json_string_value(v), "all") && !streq(json_string_value(v), "logged-in") &&
                                         !streq(json_string_value(v), "acl"))))
                return "'access' must be \"all\", \"logged-in\" or \"acl\"";
        v = json_object_get(body, "acl");
        if (v && !json_is_object(v))
                return "'acl' must map user names to \"viewer\", \"collaborator\" or null";
        json_object_foreach(v, name, v) {
                const char *role = json_string_value(v);
                if (!json_is_null(v) && (!role || (!streq(role, "viewer") && !streq(role, "collaborator"))))
                        return "'acl' roles are \"viewer\", \"collaborator\" or null";
        }
        return NULL;
}

static int apply_access_fields(Manager *m, const Content *c, json_t *body) {
        json_t *v = json_object_get(body, "run_as_current_user"), *acl;
        const char *name;
        int r = 0;

        if (v)
                r = store_content_set_run_as_current_user(m->store, c->id, json_is_true(v));
        if (r >= 0 && (v = json_object_get(body, "access")))
                r = store_content_set_access(m->store, c->id, json_string_value(v));
        acl = json_object_get(body, "acl");
        json_object_foreach(acl, name, v) {
                _cleanup_(user_freep) User *u = NULL;
                if (r < 0)
                        break;
                /* A Unix account need not have logged in yet to be given access. */
                r = store_user_ensure(m->store, name, USER_ROLE_VIEWER, &u);
                if (r >= 0)
                        r = store_acl_set(m->store, c->id, u->id, json_string_value(v));
        }
        if (r >= 0 && json_object_get(body, "run_as_current_user"))
                pool_stop_content(m, c->id, "runas change");
        return r;
}

/* PATCH applications/{id}: the title and the per-content scheduler settings (spec §7); a
 * setting given as null returns to the server default. */
static void patch_application(Manager *m, HttpRequest *req, const char *id) {
        _cleanup_(content_freep) Content *c = NULL;
        _cleanup_free_ char *error = NULL, *text = NULL;
        json_t *body = parse_body(req), *update = NULL, *current = NULL, *merged = NULL, *o = NULL;
        const char *key, *title = NULL;
        json_t *v;
        int r;

        if (!body)
                return;
        r = store_content_get(m->store, id, &c);
        if (r < 0) {
                json_decref(body);
                return api_reply_errno(req, r, "content");
        }
        update = json_object();
        json_object_foreach(body, key, v) {
                if (streq(key, "title")) {
                        title = json_string_value(v);
                        if (!title || !text_is_sane(title, 1000)) {
                                json_decref(update);
                                json_decref(body);
                                return api_reply_error(req, 400, "'title' must be 1–1000 printable characters");
                        }
                } else if (streq(key, "run_as") || streq(key, "run_as_current_user") || streq(key, "access") ||
                           streq(key, "acl")) {
                        /* handled below, after the settings are known to be valid */
                } else
                        (void) json_object_set(update, key, v);
        }
        const char *why = access_fields_invalid(m, c, body);
        if (why) {
                api_reply_error(req, why[0] == '!' ? 403 : 400, "%s", why[0] == '!' ? why + 1 : why);
                json_decref(update);
                json_decref(body);
                return;
        }
        json_t *run_as = json_object_get(body, "run_as");
        if (run_as && !json_is_null(run_as)) {
                const char *user = json_string_value(run_as);
                _cleanup_free_ char *why = NULL;
                r = user ? check_run_as(m, user, &why) : -EINVAL;
                if (r < 0) {
                        api_reply_error(req, 400, "RunAs refused: %s", why ? why : "'run_as' must be a user name or null");
                        json_decref(update);
                        json_decref(body);
                        return;
                }
        }
        current = c->settings ? json_loads(c->settings, 0, NULL) : NULL;
        bool is_static = c->app_mode && process_kind_for_app_mode(c->app_mode) < 0;
        r = content_settings_merge(&m->config->scheduler, current, update, is_static, &merged, &error);
        json_decref(current);
        json_decref(update);
        if (r < 0) {
                api_reply_error(req, 400, "%s", error ? error : "invalid settings");
                json_decref(body);
                return;
        }
        text = json_object_size(merged) > 0 ? json_dumps(merged, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(merged);
        r = store_content_set_settings(m->store, c->id, text);
        if (r >= 0 && title)
                r = store_content_set_title(m->store, c->id, title);
        if (r >= 0 && run_as)
                r = apply_run_as(m, c, json_string_value(run_as));
        if (r >= 0)
                r = apply_access_fields(m, c, body);
        json_decref(body);
        if (r < 0)
                return api_reply_errno(req, r, "content settings");
        log_info("Settings of '%s' (%s) are now %s.", c->title, c->guid, text ? text : "the defaults");
        pool_content_changed(m, c->id);
        r = content_lookup_json(m, c->guid, &o);
        if (r < 0)
                return api_reply_errno(req, r, "content");
        api_reply_json(req, 200, o);
}

/* DELETE applications/{id}: stops its processes, removes its records and its files. */
static void delete_application(Manager *m, HttpRequest *req, const char *id) {
        _cleanup_(content_freep) Content *c = NULL;
        _cleanup_free_ char *dir = NULL;
        int r;

        r = store_content_get(m->store, id, &c);
        if (r < 0)
                return api_reply_errno(req, r, "content");
        pool_stop_content(m, c->id, "deleted");
        render_stop_schedules(m, c->id, c->guid);
        r = store_content_delete(m->store, c->id);
        if (r < 0)
                return api_reply_errno(req, r, "content");
        if (asprintf(&dir, "%s/apps/%lld", m->config->data_dir, (long long) c->id) >= 0)
                (void) rm_rf(dir);
        render_remove_content(m, c->id);
        log_info("Deleted content '%s' (%s).", c->title, c->guid);
        api_reply_json(req, 200, json_pack("{s:s, s:b}", "guid", c->guid, "deleted", true));
}

static void post_upload(Manager *m, HttpRequest *req, const char *id) {
        _cleanup_(content_freep) Content *c = NULL;
        _cleanup_free_ char *error = NULL;
        size_t size;
        const void *body = http_request_body(req, &size);
        int64_t bundle_id;
        int r;

        r = store_content_get(m->store, id, &c);
        if (r < 0)
                return api_reply_errno(req, r, "content");
        r = deploy_upload(m, c->id, body, size, &bundle_id, &error);
        if (r == -EBADMSG)
                return api_reply_error(req, 400, "bad bundle: %s", error ? error : "invalid archive");
        if (r < 0)
                return api_reply_errno(req, r, "bundle upload");
        api_reply_json(req, 200, json_pack("{s:I, s:I, s:I}", "id", (json_int_t) bundle_id, "app_id",
                                         (json_int_t) c->id, "size", (json_int_t) size));
}

/* A bundle id as the rsconnect client sends it: a positive integer, or a string of digits. */
static bool bundle_id_parse(json_t *v, int64_t *ret) {
        const char *s = json_string_value(v);
        char *end = NULL;
        long long id;

        if (json_is_integer(v)) {
                if (json_integer_value(v) <= 0)
                        return false;
                *ret = json_integer_value(v);
                return true;
        }
        if (!s || !*s || strspn(s, "0123456789") != strlen(s))
                return false;
        errno = 0;
        id = strtoll(s, &end, 10);
        if (errno != 0 || *end != 0 || id <= 0)
                return false;
        *ret = id;
        return true;
}

static void post_deploy(Manager *m, HttpRequest *req, const char *id) {
        _cleanup_(content_freep) Content *c = NULL;
        _cleanup_free_ char *task = NULL;
        json_t *body = parse_body(req), *b;
        const char *mode;
        int64_t bundle_id;
        int r;

        if (!body)
                return;
        r = store_content_get(m->store, id, &c);
        if (r < 0) {
                json_decref(body);
                return api_reply_errno(req, r, "content");
        }
        b = json_object_get(body, "bundle");
        if (!bundle_id_parse(b, &bundle_id)) {
                json_decref(body);
                return api_reply_error(req, 400, "'bundle' (a bundle id: a positive integer) is required");
        }
        b = json_object_get(body, "app_mode");
        if (b && !json_is_string(b) && !json_is_null(b)) {
                json_decref(body);
                return api_reply_error(req, 400, "'app_mode' must be a string");
        }
        mode = json_string_value(b);
        if (mode && !app_mode_is_valid(mode)) {
                api_reply_error(req, 400, "unknown app_mode '%s'", mode);
                json_decref(body);
                return;
        }
        r = deploy_start(m, c->id, bundle_id, mode, &task);
        json_decref(body);
        if (r < 0)
                return api_reply_errno(req, r, "deploy");
        api_reply_json(req, 200, json_pack("{s:s, s:s}", "task_id", task, "id", task));
}

static const char *query_param(HttpRequest *req, const char *name, char *buf, size_t size) {
        const char *q = http_request_query(req);
        size_t n = strlen(name);
        while (q && *q) {
                size_t len = strcspn(q, "&");
                if (len > n && strncmp(q, name, n) == 0 && q[n] == '=') {
                        (void) snprintf(buf, size, "%.*s", (int) (len - n - 1), q + n + 1);
                        return buf;
                }
                q += len;
                if (*q == '&')
                        q++;
        }
        return NULL;
}

static void get_task(Manager *m, HttpRequest *req, const char *id) {
        char buf[32];
        const char *first = query_param(req, "first_status", buf, sizeof buf);
        json_t *o = NULL;
        int r = store_task_get_json(m->store, id, first ? strtoll(first, NULL, 10) : 0, &o);
        if (r < 0)
                return api_reply_errno(req, r, "task");
        api_reply_json(req, 200, o);
}

static void get_processes(Manager *m, HttpRequest *req) {
        char buf[128];
        const char *raw = query_param(req, "content", buf, sizeof buf);
        _cleanup_(content_freep) Content *c = NULL;
        _cleanup_free_ char *guid = NULL;
        json_t *rows = NULL;
        int r;

        if (raw && http_url_decode(raw, &guid) < 0)
                return api_reply_error(req, 400, "'content' is not a valid URL-encoded value");
        const char *params[] = { guid, NULL };
        /* An unknown content is a 404, not an empty list. */
        if (guid) {
                r = store_content_get(m->store, guid, &c);
                if (r >= 0 && !streq(c->guid, guid))
                        r = -ENOENT;
                if (r < 0)
                        return api_reply_errno(req, r, "content");
        }
        r = store_query_json(m->store,
                                 guid ? "SELECT p.key, c.guid, p.tag, p.unit, p.pid, p.run_as, p.hostname, "
                                        "p.status AS state, p.started, p.ended, p.exit_code, p.signal, p.cause, "
                                        "p.result, p.raw_status FROM processes p JOIN content c ON c.id = p.content_id "
                                        "WHERE c.guid = ? ORDER BY p.started"
                                      : "SELECT p.key, c.guid, p.tag, p.unit, p.pid, p.run_as, p.hostname, "
                                        "p.status AS state, p.started, p.ended, p.exit_code, p.signal, p.cause, "
                                        "p.result, p.raw_status FROM processes p JOIN content c ON c.id = p.content_id "
                                        "ORDER BY p.started",
                                 guid ? params : NULL, &rows);
        if (r < 0)
                return api_reply_errno(req, r, "process list");
        api_reply_json(req, 200, rows);
}

static void post_process_stop(Manager *m, HttpRequest *req, const char *key) {
        const char *params[] = { key, NULL };
        json_t *rows = NULL;
        int r;

        /* A unique prefix of a running process's key is enough, as with git hashes. */
        if (strlen(key) < 4 || strspn(key, "0123456789abcdef") != strlen(key))
                return api_reply_error(req, 404, "process '%s' not found (give its key, or 4+ of its first hex digits)", key);
        r = store_query_json(m->store, "SELECT key FROM processes WHERE substr(key, 1, length(?1)) = ?1 "
                             "ORDER BY status = 'active' DESC", params, &rows);
        if (r < 0)
                return api_reply_errno(req, r, "process");
        size_t n = json_array_size(rows);
        const char *full = n > 0 ? json_string_value(json_object_get(json_array_get(rows, 0), "key")) : NULL;
        if (n == 0) {
                json_decref(rows);
                return api_reply_error(req, 404, "process '%s' not found", key);
        }
        if (n > 1 && !streq(full, key)) {
                json_decref(rows);
                return api_reply_error(req, 400, "'%s' matches %zu processes; give more of the key", key, n);
        }
        _cleanup_free_ char *k = strdup(full);
        json_decref(rows);
        if (!k)
                return api_reply_errno(req, -ENOMEM, "process");
        key = k;
        r = pool_stop_process(m, key, "admin stop");
        if (r == -ENOENT)
                r = job_stop(m, key, "admin stop");
        api_reply_json(req, 200, json_pack("{s:b}", "stopped", r >= 0));
}


/* Whether the caller may act on content id_or_guid: administrators always; its owner and its
 * collaborators too. */
static bool may_edit_content(Manager *m, const Identity *id, const char *id_or_guid) {
        _cleanup_(content_freep) Content *c = NULL;
        _cleanup_free_ char *acl = NULL;
        int64_t owner = 0;

        if (identity_is_admin(id))
                return true;
        if (!id->user || !identity_can_publish(id) || store_content_get(m->store, id_or_guid, &c) < 0)
                return false;
        if (store_content_get_access(m->store, c->id, &owner, NULL, NULL) >= 0 && owner == id->user->id)
                return true;
        return store_acl_get(m->store, c->id, id->user->id, &acl) >= 0 && acl && streq(acl, "collaborator");
}

/* Roles per route (spec §13): reading needs a login; publishing a publisher; changing content its
 * owner, a collaborator or an administrator; processes and the scheduler's state administrators.
 * Answers 403 itself and returns -EPERM when refused. */
static int check_permission(Manager *m, const Identity *id, const char *method, char **seg, size_t n) {
        bool get = streq(method, "GET") || streq(method, "HEAD");
        const char *why = NULL;

        if (streq(seg[0], "processes") || streq(seg[0], "scheduler")) {
                if (!identity_is_admin(id))
                        why = "only administrators see and stop processes";
        } else if (streq(seg[0], "applications") && n == 1 && !get) {
                if (!identity_can_publish(id))
                        why = "publishing needs the publisher or administrator role";
        } else if (streq(seg[0], "applications") && n >= 2 && !get) {
                if (!may_edit_content(m, id, seg[1]))
                        why = "changing content needs its owner, a collaborator or an administrator";
        }
        if (!why)
                return 0;
        api_reply_json(current_request, 403, json_pack("{s:s, s:i}", "error", why, "code", 403));
        return -EPERM;
}

/* Splits "a/b/c" of the path after /__api__/ into at most 4 segments. */
static size_t split_path(char *path, char **seg, size_t max) {
        size_t n = 0;
        for (char *s = strtok(path, "/"); s && n < max; s = strtok(NULL, "/"))
                seg[n++] = s;
        return n;
}

void api_handle(Manager *m, HttpRequest *req) {
        const char *method = http_request_method(req);
        current_request = req;
        _cleanup_free_ char *path = strdup(http_request_path(req) + strlen(API_PREFIX));
        char *seg[5] = {};
        size_t n;

        if (!path)
                return (void) http_request_respond_error(req, 500, "Out of memory.");
        n = split_path(path, seg, ELEMENTSOF(seg));
        bool get = streq(method, "GET") || streq(method, "HEAD"), post = streq(method, "POST");

        if (n == 1 && streq(seg[0], "server_settings") && get)
                return api_reply_json(req, 200, json_pack("{s:s, s:s, s:s}", "version", CORRAL_VERSION_STRING,
                                                        "product", "Corral", "hostname", m->hostname));
        /* Everything else needs an identity: root on the local socket, an API key, or a login. */
        _cleanup_(identity_done) Identity id = {};
        _cleanup_(caller_forget) _unused_ bool forget = true;
        int r = auth_identify(m, req, &id);
        if (r == -EACCES)
                return api_reply_error(req, 401, "the API key is not valid");
        if (r < 0)
                return api_reply_errno(req, r, "identity");
        if (!id.local && !id.user)
                return api_reply_error(req, 401, "log in, or send an API key as 'Authorization: Key …'");
        caller = &id;
        if (n == 2 && streq(seg[0], "users") && streq(seg[1], "current") && get)
                return api_reply_json(req, 200, json_pack("{s:I, s:s, s:s}", "id", (json_int_t) (id.user ? id.user->id : 0),
                                                        "username", identity_name(&id), "user_role",
                                                        id.local ? "administrator" : user_role_to_string(id.user->role)));
        if (n >= 1 && (streq(seg[0], "users") || streq(seg[0], "keys")))
                return api_users_handle(m, req, &id, seg, n);
        r = check_permission(m, &id, method, seg, n);
        if (r < 0)
                return;
        if (n == 1 && streq(seg[0], "applications")) {
                if (get)
                        return get_applications(m, req);
                if (post)
                        return post_applications(m, req);
        }
        if (n == 2 && streq(seg[0], "applications") && get)
                return get_application(m, req, seg[1]);
        if (n == 2 && streq(seg[0], "applications") && streq(method, "PATCH"))
                return patch_application(m, req, seg[1]);
        if (n == 2 && streq(seg[0], "applications") && streq(method, "DELETE"))
                return delete_application(m, req, seg[1]);
        if (n == 3 && streq(seg[0], "applications") && streq(seg[2], "config") && get)
                return get_application_config(m, req, seg[1]);
        if (n == 3 && streq(seg[0], "applications") && streq(seg[2], "environment") && get)
                return get_environment(m, req, seg[1]);
        if (n == 3 && streq(seg[0], "applications") && streq(seg[2], "environment") && streq(method, "PATCH"))
                return patch_environment(m, req, seg[1]);
        if (n == 3 && streq(seg[0], "applications") && streq(seg[2], "upload") && post)
                return post_upload(m, req, seg[1]);
        if (n == 3 && streq(seg[0], "applications") && streq(seg[2], "deploy") && post)
                return post_deploy(m, req, seg[1]);
        if ((n == 3 || n == 4) && streq(seg[0], "applications") && reports_api_handles(seg[2]))
                return reports_api_handle(m, req, seg[1], seg[2], n == 4 ? seg[3] : NULL);
        if (n == 2 && streq(seg[0], "tasks") && get)
                return get_task(m, req, seg[1]);
        if (n == 1 && streq(seg[0], "processes") && get)
                return get_processes(m, req);
        if (n == 1 && streq(seg[0], "scheduler") && get)
                return api_reply_json(req, 200, pool_status_json(m));
        if (n == 3 && streq(seg[0], "processes") && streq(seg[2], "stop") && post)
                return post_process_stop(m, req, seg[1]);
        api_reply_error(req, 404, "no API endpoint %s %s", method, http_request_path(req));
}
