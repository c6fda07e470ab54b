/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grp.h>
#include <pwd.h>

#include <jansson.h>

#include "api.h"
#include "auth.h"
#include "front.h"
#include "log.h"
#include "manager.h"
#include "credcache.h"
#include "pool.h"
#include "reports-serve.h"
#include "process-kind.h"
#include "runas.h"
#include "store-users.h"

#define CONTENT_PREFIX "/content/"

static bool path_has_prefix(const char *path, const char *prefix) {
        return strncmp(path, prefix, strlen(prefix)) == 0;
}

/* Extracts the GUID of /content/<guid>[/…] into buf; returns the rest of the path (may be ""). */
static const char *content_guid(const char *path, char *buf, size_t size) {
        const char *s = path + strlen(CONTENT_PREFIX);
        size_t n = strcspn(s, "/");
        if (n == 0 || n >= size)
                return NULL;
        memcpy(buf, s, n);
        buf[n] = 0;
        return s + n;
}

/* The RStudio-Connect-Credentials value for the visitor: user name and Unix groups (spec §6). */
static char *visitor_credentials(const Identity *id) {
        json_t *groups = json_array();
        const char *name = id->user ? id->user->username : "";
        struct passwd *pw = *name ? getpwnam(name) : NULL;
        char *s = NULL;

        if (pw) {
                gid_t gids[256];
                int n = (int) ELEMENTSOF(gids);
                if (getgrouplist(name, pw->pw_gid, gids, &n) >= 0)
                        for (int i = 0; i < n; i++) {
                                struct group *g = getgrgid(gids[i]);
                                if (g)
                                        (void) json_array_append_new(groups, json_string(g->gr_name));
                        }
        }
        json_t *o = json_pack("{s:s, s:o}", "user", name, "groups", groups);
        if (o)
                s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        return s;
}

/* Whether the visitor may see content c (spec §13: access all, logged-in or acl), and whether
 * its processes run as the visitor (spec §4: permitted by Applications.RunAsCurrentUser, opted
 * into by the content, app and API modes only, the visitor's account in RunAs's group).
 * Returns 0, or -401/-403 with a message in *ret_why. */
static int access_check(Manager *m, const Content *c, const Identity *id, bool *ret_current_user, char **ret_why) {
        _cleanup_free_ char *access = NULL, *acl = NULL;
        int64_t owner = 0;
        bool current_user = false;
        int r;

        r = store_content_get_access(m->store, c->id, &owner, &access, &current_user);
        if (r < 0)
                return -500;
        bool logged_in = id->local || id->user;
        bool allowed = streq(access, "all") || (streq(access, "logged-in") && logged_in) || identity_is_admin(id);
        if (!allowed && id->user) {
                r = store_acl_get(m->store, c->id, id->user->id, &acl);
                allowed = (r >= 0 && acl) || id->user->id == owner;
        }
        if (!allowed) {
                *ret_why = strdup(logged_in ? "You are not allowed to see this content."
                                            : "This content needs a login: log in at /__login__ first.");
                return logged_in ? -403 : -401;
        }
        ProcessKind kind = process_kind_for_app_mode(c->app_mode);
        *ret_current_user = false;
        if (!current_user || !m->config->run_as_current_user || !id->user || kind < 0 || kind == PROCESS_CONFIGURE_REPORT)
                return 0;
        r = runas_check_group_rule(id->user->username, m->config->run_as, ret_why);
        if (r < 0) {
                if (!*ret_why)
                        *ret_why = strdup("Your account may not run this content.");
                return -403;
        }
        if (m->config->pam_forward_password && m->credcache) {
                char *password = NULL;
                if (credcache_get(m->credcache, id->user->username, &password) < 0) {
                        *ret_why = strdup("Your login has expired for starting your own processes: log in again at "
                                          "/__login__.");
                        return -401;
                }
                credcache_release(password);
        }
        *ret_current_user = true;
        return 0;
}

static void serve_content(Manager *m, HttpRequest *req) {
        _cleanup_(content_freep) Content *c = NULL;
        char guid[64];
        const char *rest = content_guid(http_request_path(req), guid, sizeof guid);
        int r;

        if (!rest)
                return (void) http_request_respond_error(req, 404, "No such content.");
        r = store_content_get(m->store, guid, &c);
        if (r == -ENOENT || (r >= 0 && !streq(c->guid, guid)))
                return (void) http_request_respond_error(req, 404, "No such content.");
        if (r < 0)
                return (void) http_request_respond_error(req, 500, "Cannot read the content database.");
        if (*rest == 0) {
                /* Relative links in apps resolve against the directory: always serve under a slash. */
                _cleanup_free_ char *loc = NULL;
                const char *q = http_request_query(req);
                if (asprintf(&loc, "Location: %s/%s%s", http_request_path(req), q ? "?" : "", q ? q : "") < 0)
                        return (void) http_request_respond_error(req, 500, "Out of memory.");
                char *headers[] = { loc, NULL };
                return (void) http_request_respond(req, 301, NULL, NULL, 0, headers);
        }
        if (c->bundle_id == 0 || !c->app_mode)
                return (void) http_request_respond_error(req, 404, "This content has no deployed bundle yet.");

        _cleanup_(identity_done) Identity id = {};
        _cleanup_free_ char *credentials = NULL, *why = NULL;
        bool current_user = false;
        r = auth_identify(m, req, &id);
        if (r == -EACCES)
                return (void) http_request_respond_error(req, 401, "The API key is not valid.");
        if (r < 0)
                return (void) http_request_respond_error(req, 500, "Cannot read the user database.");
        r = access_check(m, c, &id, &current_user, &why);
        if (r < 0)
                return (void) http_request_respond_error(req, -r, why ? why : "Not allowed.");
        /* A parameterized document's form runs as an on-demand process (configure_report). */
        bool form = streq(c->app_mode, "rmd-static") && strncmp(rest, "/" PARAMETERS_PATH, strlen(PARAMETERS_PATH) + 1) == 0;
        if (form && rest[strlen(PARAMETERS_PATH) + 1] == 0) {
                _cleanup_free_ char *loc = NULL;
                if (asprintf(&loc, "Location: %s/", http_request_path(req)) < 0)
                        return (void) http_request_respond_error(req, 500, "Out of memory.");
                char *headers[] = { loc, NULL };
                return (void) http_request_respond(req, 301, NULL, NULL, 0, headers);
        }
        /* Static content and rendered reports are files corrald serves itself (spec §10). */
        if (!form && reports_serves_mode(c->app_mode))
                return reports_serve(m, c, req, rest);
        credentials = visitor_credentials(&id);
        if (!credentials)
                return (void) http_request_respond_error(req, 500, "Out of memory.");
        if (form)
                return pool_handle_request_kind(m, c, PROCESS_CONFIGURE_REPORT, req, NULL, credentials);
        pool_handle_request(m, c, req, current_user ? id.user->username : NULL, credentials);
}

static HttpBodyMode on_head(void *userdata, HttpRequest *req, size_t *ret_max_body) {
        Manager *m = userdata;
        const char *path = http_request_path(req);

        if (path_has_prefix(path, "/__api__/")) {
                *ret_max_body = API_MAX_BODY;
                return HTTP_BODY_BUFFER;
        }
        if (streq(path, "/__login__") || streq(path, "/__logout__")) {
                *ret_max_body = 16 * 1024;
                return HTTP_BODY_BUFFER;
        }
        if (path_has_prefix(path, CONTENT_PREFIX)) {
                serve_content(m, req);
                return HTTP_BODY_TAKE;
        }
        *ret_max_body = 64 * 1024;
        return HTTP_BODY_BUFFER;
}

static void on_request(void *userdata, HttpRequest *req) {
        Manager *m = userdata;
        const char *path = http_request_path(req);

        if (path_has_prefix(path, "/__api__/"))
                return api_handle(m, req);
        if (streq(path, "/__login__"))
                return auth_handle_login(m, req);
        if (streq(path, "/__logout__"))
                return auth_handle_logout(m, req);
        if (streq(path, "/") && (streq(http_request_method(req), "GET") || streq(http_request_method(req), "HEAD"))) {
                static const char page[] =
                        "<!DOCTYPE html><html><head><title>Corral</title></head><body><h1>Corral</h1>"
                        "<p>Content is served under <code>/content/&lt;guid&gt;/</code>; "
                        "<code>corralctl list</code> shows what is deployed.</p></body></html>\n";
                (void) http_request_respond(req, 200, "text/html; charset=utf-8", page, sizeof page - 1, NULL);
                return;
        }
        (void) http_request_respond_error(req, 404, "Not found.");
}

const HttpHandler front_handler = {
        .on_head = on_head,
        .on_request = on_request,
};
