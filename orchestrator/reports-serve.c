/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "fs-util.h"
#include "log.h"
#include "render.h"
#include "report-store.h"
#include "reports-serve.h"
#include "sandbox.h"

#define VARIANT_PREFIX "/__variant__/"
#define RENDERING_PREFIX "/__rendering__/"

bool reports_serves_mode(const char *app_mode) {
        return app_mode && (streq(app_mode, "static") || streq(app_mode, "rmd-static"));
}

/* A decoded path inside the served tree: no '..' component, no hidden corral file. */
static bool rel_path_is_safe(const char *p) {
        for (const char *s = p; *s;) {
                size_t n = strcspn(s, "/");
                if (n == 2 && s[0] == '.' && s[1] == '.')
                        return false;
                if (n >= 7 && strncmp(s, ".corral", 7) == 0)
                        return false;
                s += n;
                while (*s == '/')
                        s++;
        }
        return true;
}

static void redirect_to_dir(HttpRequest *req) {
        _cleanup_free_ char *loc = NULL;
        const char *q = http_request_query(req);
        if (asprintf(&loc, "Location: %s/%s%s", http_request_path(req), q ? "?" : "", q ? q : "") < 0)
                return (void) http_request_respond_error(req, 500, "Out of memory.");
        char *headers[] = { loc, NULL };
        (void) http_request_respond(req, 301, NULL, NULL, 0, headers);
}

/* Serves rel (the raw rest of the URL, starting with '/') from the tree at root; index is the file
 * for the root dir ("index.html" below it). */
static void serve_tree(HttpRequest *req, const char *root, const char *rel, const char *index) {
        _cleanup_free_ char *decoded = NULL, *path = NULL, *real = NULL, *real_root = NULL;
        struct stat st;
        int r;

        r = http_url_decode(rel, &decoded);
        if (r < 0 || !rel_path_is_safe(decoded))
                return (void) http_request_respond_error(req, 404, "Not found.");
        const char *p = decoded + strspn(decoded, "/");
        size_t n = strlen(p);
        if (n == 0)
                r = path_join(root, index, &path);
        else if (p[n - 1] == '/')
                r = asprintf(&path, "%s/%sindex.html", root, p) < 0 ? -ENOMEM : 0;
        else
                r = path_join(root, p, &path);
        if (r < 0)
                return (void) http_request_respond_error(req, 500, "Out of memory.");
        /* Links the render wrote must not lead corrald (root) out of the tree. */
        real_root = realpath(root, NULL);
        real = realpath(path, NULL);
        if (!real || !real_root)
                return (void) http_request_respond_error(req, 404, "Not found.");
        size_t k = strlen(real_root);
        if (strncmp(real, real_root, k) != 0 || (real[k] != '/' && real[k] != 0))
                return (void) http_request_respond_error(req, 403, "Forbidden.");
        if (stat(real, &st) == 0 && S_ISDIR(st.st_mode))
                return redirect_to_dir(req);
        (void) http_request_respond_file(req, real);
}

/* The default page of a static bundle: its entry point, else index.html. */
static void serve_static(Manager *m, const Content *c, HttpRequest *req, const char *rest) {
        _cleanup_free_ char *dir = NULL;
        if (sandbox_app_dir(m->config, (uint64_t) c->id, (uint64_t) c->bundle_id, &dir) < 0)
                return (void) http_request_respond_error(req, 500, "Out of memory.");
        serve_tree(req, dir, rest, c->entry_point ? c->entry_point : "index.html");
}

static void serve_rendering(Manager *m, HttpRequest *req, json_t *rendering, const char *rest) {
        _cleanup_free_ char *dir = NULL;
        const char *primary = json_string_value(json_object_get(rendering, "primary_file"));

        if (render_output_dir(m, json_integer_value(json_object_get(rendering, "content_id")),
                              json_integer_value(json_object_get(rendering, "variant_id")),
                              json_integer_value(json_object_get(rendering, "id")), &dir) < 0)
                return (void) http_request_respond_error(req, 500, "Out of memory.");
        serve_tree(req, dir, rest, primary ? primary : "index.html");
}

/* Splits "/<segment>/rest" after a prefix: the segment into buf, the rest (from its '/') returned;
 * NULL when the segment is missing or too long, "" when the URL ends after the segment. */
static const char *split_segment(const char *s, char *buf, size_t size) {
        size_t n = strcspn(s, "/");
        if (n == 0 || n >= size)
                return NULL;
        memcpy(buf, s, n);
        buf[n] = 0;
        return s + n;
}

void reports_serve(Manager *m, const Content *c, HttpRequest *req, const char *rest) {
        json_t *variant = NULL, *rendering = NULL;
        char seg[80];
        int r;

        if (streq(c->app_mode, "static"))
                return serve_static(m, c, req, rest);

        if (strncmp(rest, RENDERING_PREFIX, strlen(RENDERING_PREFIX)) == 0) {
                const char *after = split_segment(rest + strlen(RENDERING_PREFIX), seg, sizeof seg);
                char *end = NULL;
                long long id = after ? strtoll(seg, &end, 10) : 0;
                if (!after || !end || *end || id <= 0)
                        return (void) http_request_respond_error(req, 404, "No such rendering.");
                if (*after == 0)
                        return redirect_to_dir(req);
                r = report_rendering_get(m->store, id, &rendering);
                if (r >= 0 && (json_integer_value(json_object_get(rendering, "content_id")) != c->id ||
                               !streq(json_string_value(json_object_get(rendering, "status")) ?: "", "succeeded")))
                        r = -ENOENT;
                if (r < 0) {
                        json_decref(rendering);
                        return (void) http_request_respond_error(req, 404, "No such finished rendering of this report.");
                }
                serve_rendering(m, req, rendering, after);
                json_decref(rendering);
                return;
        }
        if (strncmp(rest, VARIANT_PREFIX, strlen(VARIANT_PREFIX)) == 0) {
                const char *after = split_segment(rest + strlen(VARIANT_PREFIX), seg, sizeof seg);
                if (!after)
                        return (void) http_request_respond_error(req, 404, "No such variant.");
                if (*after == 0)
                        return redirect_to_dir(req);
                r = report_variant_get(m->store, c->id, seg, &variant);
                rest = after;
        } else
                r = report_variant_get_default(m->store, c->id, &variant);
        if (r == -ENOENT)
                return (void) http_request_respond_error(req, 404, "No such variant of this report.");
        if (r < 0)
                return (void) http_request_respond_error(req, 500, "Cannot read the content database.");
        r = report_rendering_get_active(m->store, json_integer_value(json_object_get(variant, "id")), &rendering);
        json_decref(variant);
        if (r == -ENOENT)
                return (void) http_request_respond_error(req, 404, "This report has not been rendered yet.");
        if (r < 0)
                return (void) http_request_respond_error(req, 500, "Cannot read the content database.");
        serve_rendering(m, req, rendering, rest);
        json_decref(rendering);
}
