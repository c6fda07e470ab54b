/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "front.h"
#include "log.h"
#include "manager.h"
#include "pool.h"

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
        pool_handle_request(m, c, req);
}

static HttpBodyMode on_head(void *userdata, HttpRequest *req, size_t *ret_max_body) {
        Manager *m = userdata;
        const char *path = http_request_path(req);

        if (path_has_prefix(path, "/__api__/")) {
                *ret_max_body = API_MAX_BODY;
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
