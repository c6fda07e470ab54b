/* SPDX-License-Identifier: MIT */
#pragma once

/* corrald's HTTP/1.1 front: listening sockets, request framing (libhttp-parser), keep-alive,
 * buffered responses, static files, and reverse proxying to a content process on 127.0.0.1
 * (streaming both ways, chunked bodies, WebSocket upgrade passed through as a byte tunnel).
 *
 * Everything runs on the caller's sd-event loop; no function here blocks. The module decides
 * nothing about routing or processes: it asks its HttpHandler what to do with each request. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "macro.h"

typedef struct HttpServer HttpServer;
typedef struct HttpRequest HttpRequest;

/* Limits on what a client can make us hold. */
#define HTTP_MAX_HEADER_BYTES (64U * 1024U)     /* request line + headers; 431 beyond */
#define HTTP_MAX_HEADERS 100U                   /* 431 beyond */
#define HTTP_MAX_CONNECTIONS 16384U             /* further accepts are closed at once */

typedef enum HttpBodyMode {
        HTTP_BODY_BUFFER,       /* collect the body (up to the handler's max) then call on_request() */
        HTTP_BODY_TAKE,         /* the handler takes the request: it will call http_request_proxy() or
                                 * http_request_respond*() later; the client is not read meanwhile */
} HttpBodyMode;

typedef struct HttpHandler {
        /* Called once the request line and headers are parsed. Returns HTTP_BODY_BUFFER or
         * HTTP_BODY_TAKE; for BUFFER it may set *ret_max_body (default 1 MiB; 413 beyond). It may
         * also answer at once with http_request_respond*() and return HTTP_BODY_TAKE. */
        HttpBodyMode (*on_head)(void *userdata, HttpRequest *req, size_t *ret_max_body);
        /* Called for BUFFER requests with the whole body; must (eventually) answer the request. */
        void (*on_request)(void *userdata, HttpRequest *req);
} HttpHandler;

/* Called when a proxied exchange ends. error is 0 when the response was relayed completely (its last
 * byte is queued for the client) or a WebSocket tunnel closed, else negative errno (-ECONNREFUSED,
 * -ECONNRESET, -ETIMEDOUT, -ECANCELED from http_server_free()…). response_started tells whether any response byte
 * reached the client. When !response_started and retriable, the request is still open and the
 * callback may call http_request_proxy() again (another process) or http_request_respond*();
 * otherwise the request is finished and must not be touched after the callback returns. */
typedef void (*HttpProxyDone)(void *userdata, HttpRequest *req, int error, bool response_started,
                              bool retriable);

/* Creates a server on event that listens on "HOST:PORT" ("127.0.0.1:3939", "[::1]:80", ":3939" for
 * all addresses) and, if unix_path is non-NULL, also on that Unix socket (created with mode 0600;
 * requests arriving there are marked local, see http_request_is_local()). */
int http_server_new(sd_event *event, const char *listen, const char *unix_path,
                    const HttpHandler *handler, void *userdata, HttpServer **ret);
/* Closes the listeners and every connection (proxy done callbacks are called with -ECANCELED).
 * Requests the handler still holds (taken, not proxied) become invalid. */
HttpServer *http_server_free(HttpServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(HttpServer *, http_server_free);
/* The bound TCP port (useful with port 0 in tests). */
uint16_t http_server_port(HttpServer *s);
/* Number of open client connections. */
unsigned http_server_n_connections(HttpServer *s);
/* Overrides how long an idle keep-alive connection (default 60 s) and a partial request head (default
 * 30 s) may last; 0 keeps the default. For tests and tuning. */
void http_server_set_timeouts(HttpServer *s, uint64_t idle_usec, uint64_t head_usec);

/* Request accessors; the strings live as long as the request. */
const char *http_request_method(HttpRequest *req);
const char *http_request_path(HttpRequest *req);   /* the target without the query, not decoded */
const char *http_request_query(HttpRequest *req);  /* after '?', or NULL */
const char *http_request_target(HttpRequest *req); /* the raw request target */
/* Value of the first header of that name (case-insensitive), or NULL. */
const char *http_request_header(HttpRequest *req, const char *name);
const void *http_request_body(HttpRequest *req, size_t *ret_size);
bool http_request_is_upgrade(HttpRequest *req);     /* Connection: upgrade + Upgrade: … */
bool http_request_is_local(HttpRequest *req);       /* arrived on the Unix socket */
const char *http_request_peer(HttpRequest *req);    /* client IP address as text, "local" for Unix */
/* Opaque per-request pointer for the handler. */
void http_request_set_userdata(HttpRequest *req, void *userdata);
void *http_request_get_userdata(HttpRequest *req);

/* Answers with status, a Content-Type (may be NULL when size is 0) and body. extra_headers is a
 * NULL-terminated list of "Name: value" strings or NULL. The request is finished afterwards and
 * the connection reads the next request (keep-alive) unless either side asked to close. */
int http_request_respond(HttpRequest *req, int status, const char *content_type, const void *body,
                         size_t size, char * const *extra_headers);
/* Answers with a small HTML page: "<status> <reason>" title and message (HTML-escaped). */
int http_request_respond_error(HttpRequest *req, int status, const char *message);
/* Serves the regular file at path (GET/HEAD only), with a Content-Type from its extension;
 * 404 if missing, 403 for anything not a regular file. */
int http_request_respond_file(HttpRequest *req, const char *path);

typedef struct HttpProxyParams {
        uint16_t port;                   /* backend on 127.0.0.1 */
        const char *strip_prefix;        /* removed from the start of the target ("/content/<guid>") */
        char * const *set_headers;       /* "Name: value" added (any incoming header of that name dropped) */
        char * const *drop_headers;      /* header names removed from the request */
        const char *drop_cookie;         /* a cookie name removed from the Cookie header, or NULL */
        const char *location_prefix;     /* a Location: "/x" from the backend becomes "<prefix>/x" */
        uint64_t connection_timeout_usec;/* no data either way for this long closes; 0 = never */
        uint64_t read_timeout_usec;      /* no data from the client for this long closes; 0 = never */
        HttpProxyDone done;
        void *userdata;
} HttpProxyParams;

/* Relays req (taken with HTTP_BODY_TAKE) to the backend. Adds X-Forwarded-For/-Proto/-Host.
 * The backend is reached with a new connection per request. A request body is streamed; a 101
 * response turns both connections into a tunnel. params is copied. The request line keeps the
 * client's HTTP version (so an HTTP/1.0 client never gets a chunked response); Expect is not passed
 * on: the 100 Continue comes from us. Returns 0 and later calls done exactly once; on a negative
 * errno (-EINVAL, -EBUSY when the request is not held by the handler, -ENOMEM…) done is not called
 * and the request is still the caller's to answer. A failed connect() is reported through done from
 * the loop, never from inside this call. */
int http_request_proxy(HttpRequest *req, const HttpProxyParams *params);

/* Percent-decodes s into a new string; -EINVAL on a bad escape or an encoded NUL. */
int http_url_decode(const char *s, char **ret);
