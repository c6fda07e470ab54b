/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-reply.h"

void api_reply_json(HttpRequest *req, int status, json_t *body) {
        _cleanup_free_ char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        json_decref(body);
        if (!text) {
                (void) http_request_respond_error(req, 500, "Out of memory.");
                return;
        }
        (void) http_request_respond(req, status, "application/json", text, strlen(text), NULL);
}

void api_reply_error(HttpRequest *req, int status, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        api_reply_json(req, status, json_pack("{s:s, s:i}", "error", msg ? msg : "error", "code", status));
}

void api_reply_errno(HttpRequest *req, int r, const char *what) {
        if (r == -ENOENT)
                return api_reply_error(req, 404, "%s not found", what);
        if (r == -EEXIST)
                return api_reply_error(req, 409, "%s already exists", what);
        api_reply_error(req, 500, "%s: %s", what, strerror(-r));
}
