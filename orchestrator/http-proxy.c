/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <http_parser.h>
#include <systemd/sd-event.h>

#include "http-internal.h"
#include "http-server.h"
#include "log.h"
#include "macro.h"
#include "strv.h"

/* Headers in a response may number a bit more than in a request (Set-Cookie, CSP…). */
#define HTTP_MAX_RESPONSE_HEADERS (2U * HTTP_MAX_HEADERS)

struct HttpProxy {
        HttpConn *conn;
        HttpRequest *req;
        char *location_prefix;
        uint64_t connection_timeout_usec;
        uint64_t read_timeout_usec;
        HttpProxyDone done;
        void *userdata;

        int fd;
        sd_event_source *io;
        sd_event_source *defer;
        uint32_t io_events;     /* without HTTP_IO_EDGE; UINT32_MAX before the first update */
        bool io_rearm;          /* io was dispatched since its edge was last armed */
        HttpBuf out;            /* towards the backend */
        int pending_error;      /* a connect() failure reported from the defer source */
        int write_error;
        uint64_t started;
        uint64_t last_backend;

        bool connected;
        bool write_failed;      /* the backend stopped reading; its response may still come */
        bool body_taken;        /* request body bytes left the client's buffer */
        bool response_started;  /* a response head was queued for the client */
        bool head_done;         /* the final response head was relayed */
        bool close_delimited;   /* the response body ends when the backend closes */
        bool keep_client;
        bool tunnel;
        bool client_gone;

        /* Response parsing. */
        http_parser parser;
        HttpHeaderList headers;
        char *reason;
        size_t head_bytes;
        bool cb_head_complete;
        bool cb_msg_complete;
};

static HttpProxy *proxy_free(HttpProxy *p) {
        if (!p)
                return NULL;
        p->io = sd_event_source_disable_unref(p->io);
        p->defer = sd_event_source_disable_unref(p->defer);
        p->fd = safe_close(p->fd);
        http_buf_done(&p->out);
        http_header_list_done(&p->headers);
        free(p->reason);
        free(p->location_prefix);
        free(p);
        return NULL;
}

/* ---- request head rewriting ---- */

static bool is_hop_by_hop(const char *name) {
        static const char * const table[] = { "Connection", "Keep-Alive", "TE", "Trailer", "Upgrade" };

        if (strncasecmp(name, "Proxy-", 6) == 0)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcaseeq(name, table[i]))
                        return true;
        return false;
}

static bool strv_contains_case(char * const *l, const char *s) {
        STRV_FOREACH(i, l)
                if (strcaseeq(*i, s))
                        return true;
        return false;
}

/* Whether one of the "Name: value" lines in l sets the header name. */
static bool set_headers_have(char * const *l, const char *name) {
        size_t n = strlen(name);

        STRV_FOREACH(i, l)
                if (strncasecmp(*i, name, n) == 0 && (*i)[n] == ':')
                        return true;
        return false;
}

/* Appends the Cookie header value without the cookie called name, or nothing if none is left. */
static int append_cookie_without(HttpBuf *b, const char *header, const char *value, const char *name) {
        bool first = true;
        size_t nlen = strlen(name);
        int r;

        for (const char *p = value; *p;) {
                size_t len, e;

                p += strspn(p, " \t;");
                len = strcspn(p, ";");
                e = len;
                while (e > 0 && (p[e - 1] == ' ' || p[e - 1] == '\t'))
                        e--;
                if (e > 0 && !(e >= nlen && strncmp(p, name, nlen) == 0 && (nlen == e || p[nlen] == '='))) {
                        r = first ? http_buf_appendf(b, "%s: %.*s", header, (int) e, p)
                                  : http_buf_appendf(b, "; %.*s", (int) e, p);
                        if (r < 0)
                                return r;
                        first = false;
                }
                p += len;
        }
        return first ? 0 : http_buf_append(b, "\r\n", 2);
}

/* Strips prefix from target when it ends at a path boundary; "" becomes "/". */
static const char *strip_target(const char *target, const char *prefix, bool *ret_need_slash) {
        size_t n = prefix ? strlen(prefix) : 0;

        while (n > 0 && prefix[n - 1] == '/')
                n--;
        *ret_need_slash = false;
        if (n == 0 || strncmp(target, prefix, n) != 0 || !strchr("/?#", target[n]))
                return target;
        target += n;
        *ret_need_slash = target[0] != '/';
        return target;
}

static int proxy_build_head(HttpProxy *p, const HttpProxyParams *params) {
        HttpRequest *req = p->req;
        HttpBuf *b = &p->out;
        const char *target, *connection, *host;
        HttpBuf xff = {};
        bool slash;
        int r;

        target = strip_target(req->target, params->strip_prefix, &slash);
        r = http_buf_appendf(b, "%s %s%s HTTP/%u.%u\r\n", http_request_method(req), slash ? "/" : "", target,
                             req->http_major, req->http_minor);
        if (r < 0)
                return r;

        connection = http_request_header(req, "Connection");
        for (size_t i = 0; i < req->headers.n; i++) {
                const char *name = req->headers.items[i].name, *value = req->headers.items[i].value;

                if (strcaseeq(name, "Upgrade") && req->upgrade)
                        ; /* passed on for WebSocket */
                else if (is_hop_by_hop(name) || http_token_list_contains(connection, name))
                        continue;
                if (strv_contains_case(params->drop_headers, name) || set_headers_have(params->set_headers, name) ||
                    strcaseeq(name, "X-Forwarded-Proto") || strcaseeq(name, "X-Forwarded-Host") ||
                    strcaseeq(name, "Expect"))
                        continue;
                if (strcaseeq(name, "X-Forwarded-For")) {
                        r = http_buf_appendf(&xff, "%s, ", value);
                        if (r < 0)
                                goto finish;
                        continue;
                }
                if (strcaseeq(name, "Cookie") && params->drop_cookie)
                        r = append_cookie_without(b, name, value, params->drop_cookie);
                else
                        r = http_buf_appendf(b, "%s: %s\r\n", name, value);
                if (r < 0)
                        goto finish;
        }
        STRV_FOREACH(h, params->set_headers) {
                r = http_buf_appendf(b, "%s\r\n", *h);
                if (r < 0)
                        goto finish;
        }
        host = http_request_header(req, "Host");
        r = http_buf_appendf(b, "X-Forwarded-For: %.*s%s\r\nX-Forwarded-Proto: http\r\n", (int) xff.len,
                             xff.len > 0 ? http_buf_head(&xff) : "",
                             req->conn->local ? "127.0.0.1" : req->conn->peer);
        if (r >= 0 && host)
                r = http_buf_appendf(b, "X-Forwarded-Host: %s\r\n", host);
        if (r >= 0)
                r = http_buf_appendf(b, "Connection: %s\r\n\r\n", req->upgrade ? "Upgrade" : "close");
finish:
        http_buf_done(&xff);
        return r;
}

/* ---- ending an exchange ---- */

/* Ends the exchange: closes the backend, calls done, then settles the request: the response is out
 * (error == 0), the connection closes (a response had started), the callback took over, or we answer
 * with status. p is freed. */
static void proxy_end(HttpProxy *p, int error, bool keep, bool retriable, int status) {
        HttpConn *c = p->conn;
        HttpRequest *req = p->req;
        HttpProxyDone done = p->done;
        void *userdata = p->userdata;
        bool started = p->response_started, client_gone = p->client_gone;
        _cleanup_free_ char *message = NULL;
        int r;

        retriable = retriable && error != 0 && !started && !p->body_taken && !client_gone && !c->server->freeing;
        c->proxy = NULL;
        proxy_free(p);
        if (error < 0)
                log_debug_errno(error, "Proxied request '%s' from %s failed: %m", req->target, c->peer);

        c->state = retriable ? HTTP_CONN_HANDLER : HTTP_CONN_DONE_CALLBACK;
        done(userdata, req, error, started, retriable);
        if (client_gone)
                return; /* the caller frees the connection */
        if (error == 0 || started) {
                http_conn_finish_request(c, error == 0 && keep);
                return;
        }
        if (c->state != HTTP_CONN_HANDLER && c->state != HTTP_CONN_DONE_CALLBACK)
                return; /* answered or proxied again by the callback */

        c->state = HTTP_CONN_HANDLER;
        if (status != 502)
                c->close_after = true;
        if (status == 504)
                r = asprintf(&message, "The content did not answer in time.");
        else if (status == 502)
                r = asprintf(&message, "The content could not be reached: %s.", strerror(-error));
        else
                r = asprintf(&message, "The request could not be relayed.");
        r = r < 0 ? -ENOMEM : http_request_respond_error(req, status, message);
        if (r < 0) {
                log_debug_errno(r, "Failed to answer proxied request, closing: %m");
                http_conn_finish_request(c, false);
        }
}

void http_proxy_abort(HttpProxy *p, int error) {
        p->client_gone = true;
        proxy_end(p, error, false, false, 0);
}

/* The client went away while the exchange ran: end it and close the connection. */
static void proxy_client_gone(HttpProxy *p, int error) {
        HttpConn *c = p->conn;

        http_proxy_abort(p, error);
        http_conn_free(c);
}

/* ---- response relaying ---- */

static int rewrite_location(const char *value, const char *prefix, char **ret) {
        size_t n = prefix ? strlen(prefix) : 0;

        while (n > 0 && prefix[n - 1] == '/')
                n--;
        /* Only absolute paths: relative references, absolute URLs and "//host" stay as they are. */
        if (n == 0 || value[0] != '/' || value[1] == '/')
                return 0;
        if (strncmp(value, prefix, n) == 0 && strchr("/?#", value[n]))
                return 0; /* already under the prefix (the app knows its base URL) */
        if (asprintf(ret, "%.*s%s", (int) n, prefix, value) < 0)
                return -ENOMEM;
        return 1;
}

static int proxy_relay_head(HttpProxy *p) {
        HttpConn *c = p->conn;
        HttpRequest *req = p->req;
        unsigned status = p->parser.status_code;
        const char *connection = http_header_list_get(&p->headers, "Connection");
        bool interim = status < 200 && status != 101;
        size_t old = c->out.len;
        int r;

        if (status == 101) {
                if (!req->upgrade)
                        return -EBADMSG;
                p->tunnel = true;
        } else if (!interim) {
                bool framed = (p->parser.flags & F_CHUNKED) ||
                              ((p->parser.flags & F_CONTENTLENGTH) && !p->parser.uses_transfer_encoding) ||
                              status == 204 || status == 304 || req->method == HTTP_HEAD;

                p->close_delimited = !framed;
                p->keep_client = framed && req->keep_alive && !c->read_eof && !c->close_after;
                p->head_done = true;
        } else if (req->http_minor == 0)
                return 0; /* HTTP/1.0 clients get no interim responses */

        r = http_buf_appendf(&c->out, "HTTP/1.1 %u %s\r\n", status,
                             p->reason && p->reason[0] ? p->reason : "Unknown");
        for (size_t i = 0; r >= 0 && i < p->headers.n; i++) {
                const char *name = p->headers.items[i].name, *value = p->headers.items[i].value;
                _cleanup_free_ char *location = NULL;

                if (strcaseeq(name, "Upgrade") && p->tunnel)
                        ;
                else if (is_hop_by_hop(name) || http_token_list_contains(connection, name))
                        continue;
                if (strcaseeq(name, "Location")) {
                        r = rewrite_location(value, p->location_prefix, &location);
                        if (r < 0)
                                break;
                }
                r = http_buf_appendf(&c->out, "%s: %s\r\n", name, location ?: value);
        }
        if (r >= 0 && p->tunnel)
                r = http_buf_appendf(&c->out, "Connection: Upgrade\r\n");
        else if (r >= 0 && !interim && !p->keep_client)
                r = http_buf_appendf(&c->out, "Connection: close\r\n");
        else if (r >= 0 && !interim && req->http_minor == 0)
                r = http_buf_appendf(&c->out, "Connection: keep-alive\r\n");
        if (r >= 0)
                r = http_buf_append(&c->out, "\r\n", 2);
        if (r < 0) {
                c->out.len = old;
                return r;
        }
        if (!interim)
                p->response_started = true;
        return 0;
}

static void proxy_reset_head(HttpProxy *p) {
        http_header_list_done(&p->headers);
        free(p->reason);
        p->reason = NULL;
        p->head_bytes = 0;
}

static int resp_on_status(http_parser *parser, const char *at, size_t n) {
        HttpProxy *p = parser->data;
        size_t old = p->reason ? strlen(p->reason) : 0;
        char *d;

        if (old + n > 256)
                return 1;
        d = realloc(p->reason, old + n + 1);
        if (!d)
                return 1;
        memcpy(d + old, at, n);
        d[old + n] = 0;
        p->reason = d;
        return 0;
}

static int resp_on_header_field(http_parser *parser, const char *at, size_t n) {
        HttpProxy *p = parser->data;

        if (p->head_done)
                return 0; /* trailers pass through raw */
        return http_header_list_add_field(&p->headers, at, n, HTTP_MAX_RESPONSE_HEADERS) < 0;
}

static int resp_on_header_value(http_parser *parser, const char *at, size_t n) {
        HttpProxy *p = parser->data;

        if (p->head_done)
                return 0;
        return http_header_list_add_value(&p->headers, at, n) < 0;
}

static int resp_on_headers_complete(http_parser *parser) {
        HttpProxy *p = parser->data;

        p->cb_head_complete = true;
        http_parser_pause(parser, 1);
        /* A response to HEAD has no body whatever its headers say. */
        return p->req->method == HTTP_HEAD ? 1 : 0;
}

static int resp_on_message_complete(http_parser *parser) {
        HttpProxy *p = parser->data;

        p->cb_msg_complete = true;
        http_parser_pause(parser, 1);
        return 0;
}

static const http_parser_settings response_settings = {
        .on_status = resp_on_status,
        .on_header_field = resp_on_header_field,
        .on_header_value = resp_on_header_value,
        .on_headers_complete = resp_on_headers_complete,
        .on_message_complete = resp_on_message_complete,
};

/* Fails the exchange because of the backend: answered with 502 unless a response started. */
static int proxy_backend_failed(HttpProxy *p, int error) {
        proxy_end(p, error, false, /* retriable = */ true, 502);
        return 1;
}

static int resp_execute(HttpProxy *p, const char *data, size_t n, size_t *ret) {
        enum http_errno err;

        *ret = http_parser_execute(&p->parser, &response_settings, data, n);
        err = HTTP_PARSER_ERRNO(&p->parser);
        if (err == HPE_PAUSED) {
                http_parser_pause(&p->parser, 0);
                return 0;
        }
        if (err != HPE_OK) {
                log_debug("Bad response from backend: %s", http_errno_description(err));
                return -EBADMSG;
        }
        return 0;
}

/* Parses backend bytes: the head is rewritten, the body passes through as it came. Returns 1 when the
 * exchange ended (p is gone), 0 otherwise. */
static int proxy_feed(HttpProxy *p, const char *data, size_t n) {
        HttpConn *c = p->conn;
        int r;

        while (n > 0) {
                bool in_head = !p->head_done;
                size_t k;

                r = resp_execute(p, data, n, &k);
                if (r < 0)
                        return proxy_backend_failed(p, r);
                if (in_head) {
                        p->head_bytes += k;
                        if (p->head_bytes > HTTP_MAX_HEADER_BYTES)
                                return proxy_backend_failed(p, -E2BIG);
                } else {
                        r = http_buf_append(&c->out, data, k);
                        if (r < 0)
                                return proxy_backend_failed(p, r);
                }
                data += k;
                n -= k;

                if (p->cb_head_complete) {
                        p->cb_head_complete = false;
                        /* The parser stopped on the head's final LF, which belongs to the head. */
                        r = resp_execute(p, data, 1, &k);
                        if (r < 0)
                                return proxy_backend_failed(p, r);
                        data += k;
                        n -= k;
                        r = proxy_relay_head(p);
                        if (r < 0)
                                return proxy_backend_failed(p, r);
                        if (p->tunnel) {
                                /* Bytes behind the 101 head already belong to the new protocol. */
                                r = http_buf_append(&c->out, data, n);
                                if (r < 0)
                                        return proxy_backend_failed(p, r);
                                return 0;
                        }
                        if (!p->head_done)
                                proxy_reset_head(p); /* interim: the next message follows */
                }
                if (p->cb_msg_complete) {
                        p->cb_msg_complete = false;
                        if (p->head_done) {
                                proxy_end(p, 0, p->keep_client && c->msg_complete, false, 0);
                                return 1;
                        }
                }
                if (k == 0 && n > 0 && !p->cb_head_complete)
                        return proxy_backend_failed(p, -EBADMSG);
        }
        return 0;
}

static int proxy_backend_eof(HttpProxy *p) {
        size_t k;

        if (p->tunnel) {
                proxy_end(p, 0, false, false, 0);
                return 1;
        }
        if (p->head_done && p->close_delimited) {
                (void) resp_execute(p, NULL, 0, &k);
                proxy_end(p, 0, false, false, 0);
                return 1;
        }
        return proxy_backend_failed(p, p->write_failed ? p->write_error : -ECONNRESET);
}

static int proxy_backend_read(HttpProxy *p) {
        HttpConn *c = p->conn;
        char buf[HTTP_READ_CHUNK];
        ssize_t n;

        if (c->out.len >= HTTP_OUT_HIGH_WATER)
                return 0;
        n = recv(p->fd, buf, sizeof(buf), 0);
        if (n < 0) {
                if (ERRNO_IS_AGAIN(errno) || errno == EINTR)
                        return 0;
                return proxy_backend_failed(p, -errno);
        }
        if (n == 0)
                return proxy_backend_eof(p);
        p->last_backend = http_now(c->server);
        if (p->tunnel) {
                if (http_buf_append(&c->out, buf, (size_t) n) < 0)
                        return proxy_backend_failed(p, -ENOMEM);
                return 0;
        }
        return proxy_feed(p, buf, (size_t) n);
}

static void proxy_backend_write(HttpProxy *p) {
        while (p->connected && !p->write_failed && p->out.len > 0) {
                ssize_t n = send(p->fd, http_buf_head(&p->out), p->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (ERRNO_IS_AGAIN(errno))
                                return;
                        /* The backend stopped reading; it may still answer, so let the read side decide. */
                        p->write_failed = true;
                        p->write_error = -errno;
                        http_buf_done(&p->out);
                        return;
                }
                http_buf_consume(&p->out, (size_t) n);
                p->last_backend = http_now(p->conn->server);
        }
}

/* Moves client bytes towards the backend while its buffer has room: the request body as it came
 * (Content-Length or chunked framing included), or anything once tunnelling. Returns 1 if p is gone. */
static int proxy_pump(HttpProxy *p) {
        HttpConn *c = p->conn;
        int r;

        if (!p->connected || p->write_failed)
                return 0;
        while (c->in.len > 0 && p->out.len < HTTP_OUT_HIGH_WATER) {
                size_t room = HTTP_OUT_HIGH_WATER - p->out.len;
                int k;

                if (p->tunnel)
                        k = (int) MIN(room, c->in.len);
                else {
                        k = http_conn_parse_raw(c, room);
                        if (k < 0) {
                                proxy_end(p, k, false, false, 400);
                                return 1;
                        }
                        if (k == 0)
                                break;
                        p->body_taken = true;
                }
                r = http_buf_append(&p->out, http_buf_head(&c->in), (size_t) k);
                if (r < 0)
                        return proxy_backend_failed(p, r);
                http_buf_consume(&c->in, (size_t) k);
        }
        return 0;
}

static void proxy_update(HttpProxy *p) {
        HttpConn *c = p->conn;
        uint32_t ev = 0;
        int r;

        if (!p->io)
                return;
        if (!p->connected)
                ev = EPOLLOUT;
        else {
                if (p->out.len > 0 && !p->write_failed)
                        ev |= EPOLLOUT;
                if (c->out.len < HTTP_OUT_HIGH_WATER)
                        ev |= EPOLLIN;
        }
        if (ev == p->io_events && !(p->io_rearm && ev != 0))
                return;
        p->io_rearm = false;
        if (ev == 0)
                r = sd_event_source_set_enabled(p->io, SD_EVENT_OFF);
        else {
                /* With HTTP_IO_EDGE this always re-registers, so what is still ready fires again. */
                r = sd_event_source_set_io_events(p->io, ev | HTTP_IO_EDGE);
                if (r >= 0)
                        r = sd_event_source_set_enabled(p->io, SD_EVENT_ON);
        }
        if (r < 0)
                log_debug_errno(r, "Failed to update backend events, ignoring: %m");
        else
                p->io_events = ev;
}

/* Pumps both directions after something happened. Returns 1 if p is gone, negative errno if the client
 * connection failed and is gone too. */
static int proxy_step(HttpProxy *p) {
        HttpConn *c = p->conn;
        int r;

        r = proxy_pump(p);
        if (r != 0)
                return r;
        proxy_backend_write(p);
        r = proxy_pump(p); /* the backend may have taken some: refill */
        if (r != 0)
                return r;
        r = http_conn_flush(c);
        if (r < 0) {
                proxy_client_gone(p, r);
                return r;
        }
        proxy_update(p);
        http_conn_update(c);
        return 0;
}

static int proxy_io_handler(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        HttpProxy *p = userdata;

        p->io_rearm = true;
        if (!p->connected) {
                int err = 0;
                socklen_t len = sizeof(err);

                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                        err = errno;
                if (err == 0 && !(revents & EPOLLOUT))
                        err = ECONNREFUSED;
                if (err != 0) {
                        (void) proxy_backend_failed(p, -err);
                        return 0;
                }
                p->connected = true;
                p->last_backend = http_now(p->conn->server);
        }
        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
                if (proxy_backend_read(p) != 0)
                        return 0;
        (void) proxy_step(p);
        return 0;
}

static int proxy_defer_handler(sd_event_source *source, void *userdata) {
        HttpProxy *p = userdata;

        (void) proxy_backend_failed(p, p->pending_error);
        return 0;
}

/* ---- called by the connection ---- */

int http_proxy_client_event(HttpProxy *p) {
        HttpConn *c = p->conn;
        int r;

        if (c->read_eof) {
                if (p->tunnel) {
                        /* Either side closing ends a tunnel; what the backend sent still goes out. */
                        proxy_end(p, 0, false, false, 0);
                        return 0;
                }
                proxy_client_gone(p, -ECONNRESET);
                return -ECONNRESET;
        }
        r = proxy_step(p);
        return MIN(r, 0);
}

uint64_t http_proxy_deadline(HttpProxy *p) {
        HttpConn *c = p->conn;
        uint64_t d = USEC_INFINITY, last_read = MAX(c->last_read, p->started);

        if (p->connection_timeout_usec > 0)
                d = MIN(d, MAX(MAX(last_read, c->last_write), p->last_backend) + p->connection_timeout_usec);
        if (p->read_timeout_usec > 0)
                d = MIN(d, last_read + p->read_timeout_usec);
        return d;
}

void http_proxy_timeout(HttpProxy *p, uint64_t now) {
        log_debug("Proxied request '%s' from %s timed out.", p->req->target, p->conn->peer);
        proxy_end(p, -ETIMEDOUT, false, false, 504);
}

int http_request_proxy(HttpRequest *req, const HttpProxyParams *params) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        HttpConn *c;
        HttpProxy *p;
        int r;

        if (!req || !params || !params->done || params->port == 0)
                return -EINVAL;
        STRV_FOREACH(h, params->set_headers)
                if (!strchr(*h, ':') || strpbrk(*h, "\r\n"))
                        return -EINVAL;
        c = req->conn;
        if (c->server->freeing)
                return -ECANCELED;
        if (c->state != HTTP_CONN_HANDLER || c->req != req || c->proxy)
                return -EBUSY;

        p = calloc(1, sizeof(HttpProxy));
        if (!p)
                return -ENOMEM;
        p->conn = c;
        p->req = req;
        p->fd = -EBADF;
        p->io_events = UINT32_MAX;
        p->connection_timeout_usec = params->connection_timeout_usec;
        p->read_timeout_usec = params->read_timeout_usec;
        p->done = params->done;
        p->userdata = params->userdata;
        p->started = p->last_backend = http_now(c->server);
        http_parser_init(&p->parser, HTTP_RESPONSE);
        p->parser.data = p;
        if (params->location_prefix) {
                p->location_prefix = strdup(params->location_prefix);
                if (!p->location_prefix) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        r = proxy_build_head(p, params);
        if (r < 0)
                goto fail;

        p->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (p->fd < 0) {
                r = -errno;
                goto fail;
        }
        (void) setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &(int) { 1 }, sizeof(int));
        sa.sin_port = htons(params->port);
        if (connect(p->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
                /* Reported from the loop, so that done never runs inside this call. */
                p->pending_error = -errno;
                r = sd_event_add_defer(c->server->event, &p->defer, proxy_defer_handler, p);
        } else
                r = sd_event_add_io(c->server->event, &p->io, p->fd, EPOLLOUT | HTTP_IO_EDGE, proxy_io_handler,
                                    p);
        if (r < 0)
                goto fail;
        p->io_events = EPOLLOUT;

        if (req->expect_continue && !req->sent_continue && !c->msg_complete) {
                r = http_buf_appendf(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
                if (r < 0)
                        goto fail;
                req->sent_continue = true;
        }
        c->proxy = p;
        c->state = HTTP_CONN_PROXY;
        http_conn_update(c);
        return 0;

fail:
        proxy_free(p);
        return r;
}
