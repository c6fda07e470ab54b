/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <http_parser.h>
#include <systemd/sd-event.h>

#include "http-internal.h"
#include "http-server.h"
#include "log.h"
#include "macro.h"
#include "strv.h"

#define HTTP_DEFAULT_MAX_BODY (1024U * 1024U)
/* Bytes of a served file moved into the output per flush, so one fast client cannot hog the loop. */
#define HTTP_FLUSH_BUDGET (1024U * 1024U)
#define HTTP_ACCEPT_BATCH 64U
#define HTTP_ACCEPT_RETRY_USEC (100U * USEC_PER_MSEC)

union sockaddr_any {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
        struct sockaddr_un un;
        struct sockaddr_storage storage;
};

/* ---- byte queues and header lists ---- */

static int http_buf_reserve(HttpBuf *b, size_t n, char **ret) {
        if (b->start + b->len + n > b->alloc) {
                if (b->start > 0) {
                        memmove(b->data, b->data + b->start, b->len);
                        b->start = 0;
                }
                if (b->len + n > b->alloc) {
                        size_t a = MAX(MAX(b->alloc * 2, b->len + n), (size_t) 1024);
                        char *d = realloc(b->data, a);
                        if (!d)
                                return -ENOMEM;
                        b->data = d;
                        b->alloc = a;
                }
        }
        *ret = b->data + b->start + b->len;
        return 0;
}

int http_buf_append(HttpBuf *b, const void *p, size_t n) {
        char *w;
        int r;

        if (n == 0)
                return 0;
        r = http_buf_reserve(b, n, &w);
        if (r < 0)
                return r;
        memcpy(w, p, n);
        b->len += n;
        return 0;
}

int http_buf_appendf(HttpBuf *b, const char *fmt, ...) {
        va_list ap;
        char *w;
        int n, r;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -EINVAL;
        r = http_buf_reserve(b, (size_t) n + 1, &w);
        if (r < 0)
                return r;
        va_start(ap, fmt);
        (void) vsnprintf(w, (size_t) n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t) n;
        return 0;
}

void http_buf_consume(HttpBuf *b, size_t n) {
        n = MIN(n, b->len);
        b->start += n;
        b->len -= n;
        if (b->len > 0)
                return;
        b->start = 0;
        /* Idle connections should not keep large buffers around. */
        if (b->alloc > 2 * HTTP_OUT_HIGH_WATER)
                http_buf_done(b);
}

void http_buf_done(HttpBuf *b) {
        free(b->data);
        *b = (HttpBuf) {};
}

static int strn_append(char **s, const char *p, size_t n) {
        size_t old = *s ? strlen(*s) : 0;
        char *d = realloc(*s, old + n + 1);

        if (!d)
                return -ENOMEM;
        memcpy(d + old, p, n);
        d[old + n] = 0;
        *s = d;
        return 0;
}

int http_header_list_add_field(HttpHeaderList *l, const char *p, size_t n, size_t max_headers) {
        if (l->n == 0 || l->in_value) {
                HttpHeader *items;
                char *value;

                if (l->n >= max_headers)
                        return -E2BIG;
                items = reallocarray(l->items, l->n + 1, sizeof(HttpHeader));
                if (!items)
                        return -ENOMEM;
                l->items = items;
                value = strdup("");
                if (!value)
                        return -ENOMEM;
                l->items[l->n++] = (HttpHeader) { .value = value };
                l->in_value = false;
        }
        l->bytes += n;
        return strn_append(&l->items[l->n - 1].name, p, n);
}

int http_header_list_add_value(HttpHeaderList *l, const char *p, size_t n) {
        if (l->n == 0)
                return -EINVAL;
        l->in_value = true;
        l->bytes += n;
        return strn_append(&l->items[l->n - 1].value, p, n);
}

void http_header_list_done(HttpHeaderList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].name);
                free(l->items[i].value);
        }
        free(l->items);
        *l = (HttpHeaderList) {};
}

const char *http_header_list_get(const HttpHeaderList *l, const char *name) {
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].name && strcaseeq(l->items[i].name, name))
                        return l->items[i].value;
        return NULL;
}

bool http_token_list_contains(const char *value, const char *token) {
        size_t n = strlen(token);

        if (!value)
                return false;
        for (const char *p = value; *p;) {
                size_t len;

                p += strspn(p, " \t,");
                len = strcspn(p, ",");
                /* Trim trailing blanks of this element. */
                size_t e = len;
                while (e > 0 && (p[e - 1] == ' ' || p[e - 1] == '\t'))
                        e--;
                if (e == n && strncasecmp(p, token, n) == 0)
                        return true;
                p += len;
        }
        return false;
}

/* ---- time, requests ---- */

uint64_t http_now(HttpServer *s) {
        uint64_t t = 0;

        (void) sd_event_now(s->event, CLOCK_MONOTONIC, &t);
        return t;
}

static HttpRequest *request_free(HttpRequest *req) {
        if (!req)
                return NULL;
        free(req->target);
        free(req->path);
        free(req->query);
        http_header_list_done(&req->headers);
        http_buf_done(&req->body);
        free(req);
        return NULL;
}

static void format_http_date(time_t t, char buf[static 64]) {
        static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        struct tm tm;

        if (!gmtime_r(&t, &tm)) {
                buf[0] = 0;
                return;
        }
        (void) snprintf(buf, 64, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
                        months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static const char *status_reason(int status) {
        const char *s = http_status_str((enum http_status) status);

        if (!s || s[0] == '<')
                return "Unknown";
        return s;
}

static bool header_line_valid(const char *s) {
        return s && strchr(s, ':') && !strpbrk(s, "\r\n");
}

/* ---- the request parser ---- */

static int req_on_url(http_parser *parser, const char *at, size_t n) {
        HttpConn *c = parser->data;

        if (!c->req)
                return 0;
        if (c->req->target_len + n > HTTP_MAX_HEADER_BYTES) {
                c->parse_status = 431;
                return 1;
        }
        c->req->target_len += n;
        return strn_append(&c->req->target, at, n) < 0;
}

static int req_on_header_field(http_parser *parser, const char *at, size_t n) {
        HttpConn *c = parser->data;
        int r;

        if (!c->req || c->head_complete)
                return 0; /* trailers of a chunked body are not kept */
        r = http_header_list_add_field(&c->req->headers, at, n, HTTP_MAX_HEADERS);
        if (r == -E2BIG)
                c->parse_status = 431;
        return r < 0;
}

static int req_on_header_value(http_parser *parser, const char *at, size_t n) {
        HttpConn *c = parser->data;

        if (!c->req || c->head_complete)
                return 0;
        return http_header_list_add_value(&c->req->headers, at, n) < 0;
}

static int req_on_headers_complete(http_parser *parser) {
        HttpConn *c = parser->data;

        c->head_complete = true;
        /* Stop here, so the head can be looked at before any body byte is consumed. */
        http_parser_pause(parser, 1);
        return 0;
}

static int req_on_body(http_parser *parser, const char *at, size_t n) {
        HttpConn *c = parser->data;

        /* Only buffered requests collect their body; for taken ones the bytes pass through raw. */
        if (c->state != HTTP_CONN_READ_BODY || !c->req)
                return 0;
        if (c->req->body.len + n > c->req->max_body) {
                c->parse_status = 413;
                return 1;
        }
        return http_buf_append(&c->req->body, at, n) < 0;
}

static int req_on_message_complete(http_parser *parser) {
        HttpConn *c = parser->data;

        c->msg_complete = true;
        http_parser_pause(parser, 1);
        return 0;
}

static const http_parser_settings request_settings = {
        .on_url = req_on_url,
        .on_header_field = req_on_header_field,
        .on_header_value = req_on_header_value,
        .on_headers_complete = req_on_headers_complete,
        .on_body = req_on_body,
        .on_message_complete = req_on_message_complete,
};

/* Runs the parser over at most n buffered bytes. Returns the bytes consumed, or -EBADMSG (with
 * c->parse_status set) on a parse error. A pause (end of head or of message) is cleared. */
static int conn_execute(HttpConn *c, size_t n) {
        enum http_errno err;
        size_t k;

        k = http_parser_execute(&c->parser, &request_settings, http_buf_head(&c->in), n);
        err = HTTP_PARSER_ERRNO(&c->parser);
        if (err == HPE_PAUSED)
                http_parser_pause(&c->parser, 0);
        else if (err != HPE_OK) {
                if (c->parse_status == 0)
                        c->parse_status = err == HPE_HEADER_OVERFLOW ? 431 : 400;
                log_debug("Bad request from %s: %s", c->peer, http_errno_description(err));
                return -EBADMSG;
        }
        return (int) k;
}

int http_conn_parse_raw(HttpConn *c, size_t max) {
        if (c->msg_complete || c->in.len == 0 || max == 0)
                return 0;
        return conn_execute(c, MIN(max, c->in.len));
}

/* ---- connection I/O ---- */

int http_conn_read(HttpConn *c) {
        char buf[HTTP_READ_CHUNK];
        ssize_t n;
        int r;

        if (c->read_eof || c->in.len >= HTTP_CONN_IN_MAX)
                return 0;
        n = recv(c->fd, buf, MIN(sizeof(buf), HTTP_CONN_IN_MAX - c->in.len), 0);
        if (n < 0)
                return ERRNO_IS_AGAIN(errno) ? 0 : -errno;
        if (n == 0) {
                c->read_eof = true;
                return 0;
        }
        r = http_buf_append(&c->in, buf, (size_t) n);
        if (r < 0)
                return r;
        c->last_read = http_now(c->server);
        return 1;
}

/* Moves the next piece of the served file into out. */
static int conn_fill_from_file(HttpConn *c) {
        size_t want = (size_t) MIN(c->file_left, (uint64_t) HTTP_OUT_HIGH_WATER);
        ssize_t n;
        char *w;
        int r;

        r = http_buf_reserve(&c->out, want, &w);
        if (r < 0)
                return r;
        n = read(c->file_fd, w, want);
        if (n < 0)
                return errno == EINTR ? 0 : -errno;
        if (n == 0)
                return -EIO; /* the file shrank: the announced Content-Length cannot be honoured */
        c->out.len += (size_t) n;
        c->file_left -= (uint64_t) n;
        if (c->file_left == 0)
                c->file_fd = safe_close(c->file_fd);
        return 0;
}

int http_conn_flush(HttpConn *c) {
        size_t budget = HTTP_FLUSH_BUDGET;
        int r;

        for (;;) {
                ssize_t n;

                if (c->out.len == 0) {
                        if (c->file_fd < 0)
                                return 1;
                        if (budget == 0)
                                return 0;
                        r = conn_fill_from_file(c);
                        if (r < 0)
                                return r;
                        budget -= MIN(budget, c->out.len);
                        continue;
                }
                n = send(c->fd, http_buf_head(&c->out), c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return ERRNO_IS_AGAIN(errno) ? 0 : -errno;
                }
                http_buf_consume(&c->out, (size_t) n);
                c->last_write = http_now(c->server);
        }
}

static uint64_t conn_deadline(HttpConn *c) {
        HttpServer *s = c->server;

        switch (c->state) {
        case HTTP_CONN_READ_HEAD:
                if (c->head_started)
                        return c->head_start + s->head_timeout_usec;
                return MAX(c->last_read, c->last_write) + s->idle_timeout_usec;
        case HTTP_CONN_READ_BODY:
                return c->last_read + s->idle_timeout_usec;
        case HTTP_CONN_WRITING:
                return MAX(c->last_read, c->last_write) + s->idle_timeout_usec;
        case HTTP_CONN_PROXY:
                return http_proxy_deadline(c->proxy);
        case HTTP_CONN_LINGER:
                return c->head_start + HTTP_LINGER_USEC;
        default:
                return USEC_INFINITY;
        }
}

static int conn_timer_handler(sd_event_source *source, uint64_t usec, void *userdata);

/* Arms the timer lazily: activity only moves timestamps; a timer that fires early re-arms itself. */
static void conn_update_timer(HttpConn *c) {
        uint64_t d = conn_deadline(c), now;
        int r;

        if (d == USEC_INFINITY) {
                if (c->timer && c->timer_at != USEC_INFINITY)
                        (void) sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
                c->timer_at = USEC_INFINITY;
                return;
        }
        if (d >= c->timer_at)
                return;
        now = http_now(c->server);
        if (!c->timer) {
                r = sd_event_add_time_relative(c->server->event, &c->timer, CLOCK_MONOTONIC,
                                               d > now ? d - now : 0, HTTP_TIMER_ACCURACY_USEC,
                                               conn_timer_handler, c);
                if (r < 0) {
                        log_debug_errno(r, "Failed to add connection timer, ignoring: %m");
                        return;
                }
        } else {
                r = sd_event_source_set_time(c->timer, d);
                if (r >= 0)
                        r = sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
                if (r < 0) {
                        log_debug_errno(r, "Failed to arm connection timer, ignoring: %m");
                        return;
                }
        }
        c->timer_at = d;
}

void http_conn_update(HttpConn *c) {
        uint32_t ev = 0;
        int r;

        switch (c->state) {
        case HTTP_CONN_READ_HEAD:
        case HTTP_CONN_READ_BODY:
        case HTTP_CONN_WRITING:
        case HTTP_CONN_PROXY:
                if (!c->read_eof && c->in.len < HTTP_CONN_IN_MAX)
                        ev |= EPOLLIN;
                if (c->out.len > 0 || c->file_fd >= 0 || c->state == HTTP_CONN_WRITING)
                        ev |= EPOLLOUT;
                break;
        case HTTP_CONN_HANDLER:
        case HTTP_CONN_DONE_CALLBACK:
                /* The handler has the request: the client is not read meanwhile. */
                if (c->out.len > 0)
                        ev |= EPOLLOUT;
                break;
        case HTTP_CONN_LINGER:
                ev = EPOLLIN;
                break;
        }
        if (ev != c->io_events || (c->io_rearm && ev != 0)) {
                if (ev == 0)
                        r = sd_event_source_set_enabled(c->io, SD_EVENT_OFF);
                else {
                        /* With HTTP_IO_EDGE this always re-registers, so what is still ready fires again. */
                        r = sd_event_source_set_io_events(c->io, ev | HTTP_IO_EDGE);
                        if (r >= 0 && c->io_events == 0)
                                r = sd_event_source_set_enabled(c->io, SD_EVENT_ON);
                }
                if (r < 0)
                        log_debug_errno(r, "Failed to update connection events, ignoring: %m");
                else
                        c->io_events = ev;
        }
        c->io_rearm = false;
        conn_update_timer(c);
}

void http_conn_free(HttpConn *c) {
        HttpServer *s;

        if (!c)
                return;
        s = c->server;
        if (c->prev)
                c->prev->next = c->next;
        else
                s->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        s->n_conns--;

        c->io = sd_event_source_disable_unref(c->io);
        c->timer = sd_event_source_disable_unref(c->timer);
        c->fd = safe_close(c->fd);
        c->file_fd = safe_close(c->file_fd);
        c->req = request_free(c->req);
        http_buf_done(&c->in);
        http_buf_done(&c->out);
        free(c);
}

/* Closes the connection now; a running proxied exchange ends with error. */
static int conn_close(HttpConn *c, int error) {
        if (error < 0)
                log_debug_errno(error, "Closing connection from %s: %m", c->peer);
        if (c->proxy)
                http_proxy_abort(c->proxy, error);
        http_conn_free(c);
        return 0;
}

void http_conn_finish_request(HttpConn *c, bool keep) {
        c->req = request_free(c->req);
        if (!keep)
                c->close_after = true;
        c->state = HTTP_CONN_WRITING;
        http_conn_update(c);
}

/* Closing right after an error answer while the client still sends would reset the connection and could
 * destroy the answer in flight; so shut down our side and discard input until the client closes. */
static int conn_linger(HttpConn *c) {
        if (c->read_eof || shutdown(c->fd, SHUT_WR) < 0)
                return conn_close(c, 0);
        c->state = HTTP_CONN_LINGER;
        c->head_start = http_now(c->server);
        c->head_bytes = 0;
        http_buf_done(&c->in);
        http_conn_update(c);
        return 0;
}

static int conn_linger_read(HttpConn *c) {
        char buf[HTTP_READ_CHUNK];
        ssize_t n;

        n = recv(c->fd, buf, sizeof(buf), 0);
        if (n < 0 && (ERRNO_IS_AGAIN(errno) || errno == EINTR)) {
                http_conn_update(c);
                return 0;
        }
        if (n > 0) {
                c->head_bytes += (size_t) n;
                if (c->head_bytes < HTTP_LINGER_MAX_BYTES) {
                        http_conn_update(c);
                        return 0;
                }
        }
        return conn_close(c, 0);
}

static void conn_next_request(HttpConn *c) {
        c->state = HTTP_CONN_READ_HEAD;
        c->head_started = false;
        c->head_complete = false;
        c->msg_complete = false;
        c->parse_status = 0;
        c->head_bytes = 0;
}

/* ---- responses ---- */

/* Queues a status line and headers, and body unless head_only. On failure out is left as it was. */
static int conn_queue_response(HttpConn *c, int status, const char *content_type, uint64_t content_length,
                               bool send_length, const void *body, size_t size, char * const *extra_headers,
                               bool keep, bool http10) {
        size_t old = c->out.len;
        char date[64];
        int r;

        format_http_date(time(NULL), date);
        r = http_buf_appendf(&c->out, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status, status_reason(status), date);
        if (r >= 0 && send_length)
                r = http_buf_appendf(&c->out, "Content-Length: %" PRIu64 "\r\n", content_length);
        if (r >= 0 && content_type)
                r = http_buf_appendf(&c->out, "Content-Type: %s\r\n", content_type);
        STRV_FOREACH(h, extra_headers)
                if (r >= 0)
                        r = http_buf_appendf(&c->out, "%s\r\n", *h);
        if (r >= 0 && !keep)
                r = http_buf_appendf(&c->out, "Connection: close\r\n");
        else if (r >= 0 && http10)
                r = http_buf_appendf(&c->out, "Connection: keep-alive\r\n");
        if (r >= 0)
                r = http_buf_append(&c->out, "\r\n", 2);
        if (r >= 0 && body)
                r = http_buf_append(&c->out, body, size);
        if (r < 0) {
                c->out.len = old;
                return r;
        }
        return 0;
}

/* Skips what is buffered of an unread request body; returns whether the request ended there, so the
 * connection can carry the next one. */
static bool conn_drain_body(HttpConn *c) {
        while (!c->msg_complete && c->in.len > 0) {
                int k = http_conn_parse_raw(c, c->in.len);
                if (k <= 0)
                        return false;
                http_buf_consume(&c->in, (size_t) k);
        }
        return c->msg_complete;
}

static bool request_keep_alive(HttpRequest *req) {
        HttpConn *c = req->conn;

        return req->keep_alive && !c->close_after && !c->read_eof && !c->server->freeing && conn_drain_body(c);
}

static int request_check_answerable(HttpRequest *req) {
        if (!req)
                return -EINVAL;
        if (req->conn->state != HTTP_CONN_HANDLER || req->conn->req != req)
                return -EBUSY;
        return 0;
}

int http_request_respond(HttpRequest *req, int status, const char *content_type, const void *body,
                         size_t size, char * const *extra_headers) {
        bool keep, no_body;
        int r;

        r = request_check_answerable(req);
        if (r < 0)
                return r;
        if (status < 100 || status > 999 || (size > 0 && !body))
                return -EINVAL;
        STRV_FOREACH(h, extra_headers)
                if (!header_line_valid(*h))
                        return -EINVAL;
        if (content_type && strpbrk(content_type, "\r\n"))
                return -EINVAL;

        /* 1xx, 204 and 304 carry no body and no length. */
        no_body = status < 200 || status == 204 || status == 304;
        keep = request_keep_alive(req);
        r = conn_queue_response(req->conn, status, no_body ? NULL : content_type, size, !no_body,
                                no_body || req->method == HTTP_HEAD ? NULL : body, size, extra_headers, keep,
                                req->http_minor == 0);
        if (r < 0)
                return r;
        http_conn_finish_request(req->conn, keep);
        return 0;
}

static int html_escape(const char *s, char **ret) {
        HttpBuf b = {};
        int r = 0;

        for (const char *p = s ? s : ""; *p && r >= 0; p++)
                switch (*p) {
                case '&': r = http_buf_append(&b, "&amp;", 5); break;
                case '<': r = http_buf_append(&b, "&lt;", 4); break;
                case '>': r = http_buf_append(&b, "&gt;", 4); break;
                case '"': r = http_buf_append(&b, "&quot;", 6); break;
                case '\'': r = http_buf_append(&b, "&#39;", 5); break;
                default: r = http_buf_append(&b, p, 1); break;
                }
        if (r >= 0)
                r = http_buf_append(&b, "", 1);
        if (r < 0) {
                http_buf_done(&b);
                return r;
        }
        *ret = b.data; /* start is 0: nothing was consumed */
        return 0;
}

static int error_page(int status, const char *message, char **ret) {
        _cleanup_free_ char *escaped = NULL;
        char *page;
        int r;

        r = html_escape(message, &escaped);
        if (r < 0)
                return r;
        r = asprintf(&page,
                     "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%d %s</title></head>\n"
                     "<body><h1>%d %s</h1>\n<p>%s</p></body></html>\n",
                     status, status_reason(status), status, status_reason(status), escaped);
        if (r < 0)
                return -ENOMEM;
        *ret = page;
        return 0;
}

static int respond_error_full(HttpRequest *req, int status, const char *message, char * const *extra_headers) {
        _cleanup_free_ char *page = NULL;
        int r;

        r = error_page(status, message, &page);
        if (r < 0)
                return r;
        return http_request_respond(req, status, "text/html; charset=utf-8", page, strlen(page), extra_headers);
}

int http_request_respond_error(HttpRequest *req, int status, const char *message) {
        return respond_error_full(req, status, message, NULL);
}

/* Answers a request that never reached the handler (bad head, limits) and closes afterwards. */
static int conn_reject(HttpConn *c, int status, const char *message) {
        _cleanup_free_ char *page = NULL;
        int r;

        log_debug("Rejecting request from %s with %d: %s", c->peer, status, message);
        r = error_page(status, message, &page);
        if (r < 0)
                return r;
        r = conn_queue_response(c, status, "text/html; charset=utf-8", strlen(page), true, page, strlen(page),
                                NULL, /* keep = */ false, false);
        if (r < 0)
                return r;
        http_conn_finish_request(c, /* keep = */ false);
        return 0;
}

static const char *content_type_for(const char *path) {
        static const struct {
                const char *ext;
                const char *type;
        } table[] = {
                { "html", "text/html; charset=utf-8" },
                { "htm", "text/html; charset=utf-8" },
                { "css", "text/css; charset=utf-8" },
                { "js", "text/javascript; charset=utf-8" },
                { "mjs", "text/javascript; charset=utf-8" },
                { "json", "application/json" },
                { "map", "application/json" },
                { "txt", "text/plain; charset=utf-8" },
                { "md", "text/markdown; charset=utf-8" },
                { "csv", "text/csv; charset=utf-8" },
                { "xml", "application/xml" },
                { "png", "image/png" },
                { "jpg", "image/jpeg" },
                { "jpeg", "image/jpeg" },
                { "gif", "image/gif" },
                { "webp", "image/webp" },
                { "svg", "image/svg+xml" },
                { "ico", "image/vnd.microsoft.icon" },
                { "pdf", "application/pdf" },
                { "woff", "font/woff" },
                { "woff2", "font/woff2" },
                { "ttf", "font/ttf" },
                { "otf", "font/otf" },
                { "wasm", "application/wasm" },
                { "mp4", "video/mp4" },
                { "webm", "video/webm" },
                { "zip", "application/zip" },
                { "gz", "application/gzip" },
        };
        const char *base = strrchr(path, '/'), *dot;

        base = base ? base + 1 : path;
        dot = strrchr(base, '.');
        if (dot && dot != base)
                for (size_t i = 0; i < ELEMENTSOF(table); i++)
                        if (strcaseeq(dot + 1, table[i].ext))
                                return table[i].type;
        return "application/octet-stream";
}

int http_request_respond_file(HttpRequest *req, const char *path) {
        static char * const allow[] = { (char *) "Allow: GET, HEAD", NULL };
        _cleanup_close_ int fd = -EBADF;
        char lm[64], lm_header[96];
        char *extra[] = { lm_header, NULL };
        const char *ims;
        struct stat st;
        HttpConn *c;
        bool keep;
        int r;

        r = request_check_answerable(req);
        if (r < 0)
                return r;
        if (!path)
                return -EINVAL;
        if (req->method != HTTP_GET && req->method != HTTP_HEAD)
                return respond_error_full(req, 405, "Only GET and HEAD are allowed here.", allow);

        /* O_NONBLOCK so that a FIFO planted in the tree cannot block the loop in open(). */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                if ((errno == ENOENT || errno == ENOTDIR || errno == ENAMETOOLONG))
                        return http_request_respond_error(req, 404, "Not found.");
                if (errno == ELOOP || errno == EACCES || errno == EPERM || errno == ENXIO)
                        return http_request_respond_error(req, 403, "Forbidden.");
                log_debug_errno(-errno, "Failed to open '%s': %m", path);
                return http_request_respond_error(req, 500, "The file could not be opened.");
        }
        if (fstat(fd, &st) < 0)
                return http_request_respond_error(req, 500, "The file could not be opened.");
        if (!S_ISREG(st.st_mode))
                return http_request_respond_error(req, 403, "Forbidden.");

        format_http_date(st.st_mtime, lm);
        (void) snprintf(lm_header, sizeof(lm_header), "Last-Modified: %s", lm);
        ims = http_request_header(req, "If-Modified-Since");
        if (ims && lm[0] && streq(ims, lm))
                return http_request_respond(req, 304, NULL, NULL, 0, extra);

        c = req->conn;
        keep = request_keep_alive(req);
        r = conn_queue_response(c, 200, content_type_for(path), (uint64_t) st.st_size, true, NULL, 0, extra, keep,
                                req->http_minor == 0);
        if (r < 0)
                return r;
        if (req->method != HTTP_HEAD && st.st_size > 0) {
                c->file_fd = TAKE_FD(fd);
                c->file_left = (uint64_t) st.st_size;
        }
        http_conn_finish_request(c, keep);
        return 0;
}

/* ---- the request state machine ---- */

/* Parses the head from the buffered input. Returns 1 when complete, 0 for more, -EBADMSG on a bad head
 * (c->parse_status says how to answer), other negative errno to close. */
static int conn_parse_head(HttpConn *c) {
        int k;

        if (!c->req) {
                c->req = calloc(1, sizeof(HttpRequest));
                if (!c->req)
                        return -ENOMEM;
                c->req->conn = c;
                http_parser_init(&c->parser, HTTP_REQUEST);
                c->parser.data = c;
        }
        if (c->in.len == 0)
                return 0;
        if (!c->head_started) {
                c->head_started = true;
                c->head_start = http_now(c->server);
        }

        k = conn_execute(c, c->in.len);
        if (k < 0)
                return k;
        http_buf_consume(&c->in, (size_t) k);
        c->head_bytes += (size_t) k;
        if (c->head_bytes > HTTP_MAX_HEADER_BYTES) {
                c->parse_status = 431;
                return -EBADMSG;
        }
        if (!c->head_complete)
                return 0;

        /* The parser stopped on the final LF of the head; feed it alone, which may end a bodyless message. */
        k = conn_execute(c, 1);
        if (k < 0)
                return k;
        http_buf_consume(&c->in, (size_t) k);
        return 1;
}

static bool header_name_is_token(const char *name) {
        static const char extra[] = "!#$%&'*+-.^_`|~";
        if (!name || !*name)
                return false;
        for (const char *p = name; *p; p++)
                if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
                    !strchr(extra, *p))
                        return false;
        return true;
}

/* Fills the request's derived fields. Returns 0, an HTTP status to reject with, or negative errno. */
static int request_finish_head(HttpConn *c) {
        HttpRequest *req = c->req;
        const char *q, *expect;

        if (!req->target || req->target[0] == 0)
                return 400;
        req->method = c->parser.method;
        req->http_major = c->parser.http_major;
        req->http_minor = c->parser.http_minor;
        req->keep_alive = http_should_keep_alive(&c->parser);
        if (req->method == HTTP_CONNECT)
                return 405;
        /* HTTP/1.0 and 1.1 only: http_parser also takes "GET /" (0.9) and any digit pair. */
        if (req->http_major != 1 || req->http_minor > 1)
                return 505;
        /* A field name is a token: "Name :" is refused (RFC 9112 §5.1), as proxies disagree on it. */
        for (size_t i = 0; i < req->headers.n; i++)
                if (!header_name_is_token(req->headers.items[i].name))
                        return 400;

        q = strchr(req->target, '?');
        req->path = strndup(req->target, q ? (size_t) (q - req->target) : strlen(req->target));
        if (!req->path)
                return -ENOMEM;
        if (q) {
                req->query = strdup(q + 1);
                if (!req->query)
                        return -ENOMEM;
        }

        req->upgrade = http_token_list_contains(http_request_header(req, "Connection"), "upgrade") &&
                       http_request_header(req, "Upgrade");

        expect = http_request_header(req, "Expect");
        if (expect) {
                if (!strcaseeq(expect, "100-continue"))
                        return 417;
                req->expect_continue = req->http_major == 1 && req->http_minor >= 1;
        }
        return 0;
}

static int conn_dispatch_head(HttpConn *c) {
        HttpServer *s = c->server;
        HttpRequest *req = c->req;
        size_t max_body = HTTP_DEFAULT_MAX_BODY;
        HttpBodyMode mode;
        int r;

        r = request_finish_head(c);
        if (r < 0)
                return r;
        if (r > 0)
                return conn_reject(c, r, r == 417   ? "Unsupported expectation."
                                         : r == 505 ? "Only HTTP/1.0 and HTTP/1.1 are supported."
                                         : r == 405 ? "CONNECT is not supported."
                                                    : "Bad request.");

        c->state = HTTP_CONN_HANDLER;
        mode = s->handler.on_head(s->userdata, req, &max_body);
        if (c->state != HTTP_CONN_HANDLER || c->req != req)
                return 0; /* answered or proxied from on_head */
        req->mode = mode;
        if (mode != HTTP_BODY_BUFFER)
                return 0;

        req->max_body = max_body;
        if ((c->parser.flags & F_CONTENTLENGTH) && c->parser.content_length > max_body) {
                c->parse_status = 413;
                return conn_reject(c, 413, "The request body is too large.");
        }
        c->state = HTTP_CONN_READ_BODY;
        if (req->expect_continue && !c->msg_complete && c->in.len == 0) {
                r = http_buf_appendf(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
                if (r < 0)
                        return r;
                req->sent_continue = true;
        }
        return 0;
}

/* Collects the body of a buffered request. Returns 1 when complete, 0 for more, -EBADMSG when bad. */
static int conn_parse_body(HttpConn *c) {
        int k;

        while (!c->msg_complete && c->in.len > 0) {
                k = conn_execute(c, c->in.len);
                if (k < 0)
                        return k;
                http_buf_consume(&c->in, (size_t) k);
        }
        return c->msg_complete;
}

/* Advances the current request as far as the buffered input allows. Returns negative errno when the
 * connection must be closed at once. */
static int conn_process(HttpConn *c) {
        HttpServer *s = c->server;
        int r;

        for (;;)
                switch (c->state) {
                case HTTP_CONN_READ_HEAD:
                        r = conn_parse_head(c);
                        if (r == -EBADMSG)
                                return conn_reject(c, c->parse_status ?: 400,
                                                   c->parse_status == 431 ? "The request head is too large."
                                                                          : "Bad request.");
                        if (r < 0)
                                return r;
                        if (r == 0)
                                return c->read_eof ? -ECONNRESET : 0;
                        r = conn_dispatch_head(c);
                        if (r < 0)
                                return r;
                        break;

                case HTTP_CONN_READ_BODY:
                        r = conn_parse_body(c);
                        if (r == -EBADMSG)
                                return conn_reject(c, c->parse_status ?: 400,
                                                   c->parse_status == 413 ? "The request body is too large."
                                                                          : "Bad request body.");
                        if (r < 0)
                                return r;
                        if (r == 0)
                                return c->read_eof ? -ECONNRESET : 0;
                        c->state = HTTP_CONN_HANDLER;
                        if (!s->handler.on_request)
                                return conn_reject(c, 500, "No handler for this request.");
                        s->handler.on_request(s->userdata, c->req);
                        break;

                default:
                        return 0;
                }
}

static int conn_io_handler(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        HttpConn *c = userdata;
        int r;

        c->io_rearm = true;
        if (c->state == HTTP_CONN_HANDLER || c->state == HTTP_CONN_DONE_CALLBACK) {
                /* Only a 100 Continue can be pending here; on failure, give up on the client but keep
                 * the request for the handler, which will find the connection closing. */
                r = http_conn_flush(c);
                if (r < 0 || (revents & (EPOLLHUP | EPOLLERR))) {
                        http_buf_done(&c->out);
                        c->close_after = true;
                        c->read_eof = true;
                }
                http_conn_update(c);
                return 0;
        }
        if (revents & (EPOLLHUP | EPOLLERR))
                return conn_close(c, -ECONNRESET);
        if (c->state == HTTP_CONN_LINGER)
                return conn_linger_read(c);
        if (revents & EPOLLIN) {
                r = http_conn_read(c);
                if (r < 0)
                        return conn_close(c, r);
        }
        if (c->state == HTTP_CONN_PROXY) {
                r = http_proxy_client_event(c->proxy);
                if (r < 0 || c->state == HTTP_CONN_PROXY)
                        return 0; /* on r < 0, c is gone */
                /* The exchange ended here (a tunnel ends when the client closes): flush and close now
                 * rather than in another turn through the loop. */
        }

        for (;;) {
                r = conn_process(c);
                if (r < 0)
                        return conn_close(c, r);
                if (c->state == HTTP_CONN_PROXY)
                        break;
                r = http_conn_flush(c);
                if (r < 0)
                        return conn_close(c, r);
                if (r == 0 || c->state != HTTP_CONN_WRITING)
                        break;
                /* The response is out. */
                if (c->close_after)
                        return conn_linger(c);
                conn_next_request(c);
        }
        http_conn_update(c);
        return 0;
}

static int conn_timer_handler(sd_event_source *source, uint64_t usec, void *userdata) {
        HttpConn *c = userdata;
        uint64_t now = http_now(c->server);

        c->timer_at = USEC_INFINITY;
        if (conn_deadline(c) > now) {
                conn_update_timer(c);
                return 0;
        }
        if (c->state == HTTP_CONN_PROXY) {
                http_proxy_timeout(c->proxy, now);
                return 0;
        }
        return conn_close(c, -ETIMEDOUT);
}

/* ---- listening ---- */

static void format_peer(const union sockaddr_any *sa, char *buf, size_t size) {
        if (sa->sa.sa_family == AF_INET)
                (void) inet_ntop(AF_INET, &sa->in.sin_addr, buf, size);
        else if (sa->sa.sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&sa->in6.sin6_addr))
                (void) inet_ntop(AF_INET, &sa->in6.sin6_addr.s6_addr[12], buf, size);
        else if (sa->sa.sa_family == AF_INET6)
                (void) inet_ntop(AF_INET6, &sa->in6.sin6_addr, buf, size);
        else
                (void) snprintf(buf, size, "local");
}

static int conn_new(HttpServer *s, int fd, bool local, const union sockaddr_any *sa) {
        HttpConn *c;
        int r;

        c = calloc(1, sizeof(HttpConn));
        if (!c)
                return -ENOMEM;
        c->server = s;
        c->fd = fd;
        c->file_fd = -EBADF;
        c->local = local;
        c->timer_at = USEC_INFINITY;
        c->state = HTTP_CONN_READ_HEAD;
        c->last_read = c->last_write = http_now(s);
        if (local)
                (void) snprintf(c->peer, sizeof(c->peer), "local");
        else {
                format_peer(sa, c->peer, sizeof(c->peer));
                (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int) { 1 }, sizeof(int));
        }

        c->next = s->conns;
        if (s->conns)
                s->conns->prev = c;
        s->conns = c;
        s->n_conns++;

        r = sd_event_add_io(s->event, &c->io, fd, EPOLLIN | HTTP_IO_EDGE, conn_io_handler, c);
        if (r < 0) {
                c->fd = -EBADF; /* the caller closes it */
                http_conn_free(c);
                return r;
        }
        c->io_events = EPOLLIN;
        conn_update_timer(c);
        return 0;
}

static int accept_retry_handler(sd_event_source *source, uint64_t usec, void *userdata) {
        HttpServer *s = userdata;

        s->accept_retry = sd_event_source_unref(s->accept_retry);
        if (s->tcp_source)
                (void) sd_event_source_set_enabled(s->tcp_source, SD_EVENT_ON);
        if (s->unix_source)
                (void) sd_event_source_set_enabled(s->unix_source, SD_EVENT_ON);
        return 0;
}

/* Out of descriptors or memory: stop accepting for a moment instead of spinning on a ready listener. */
static void server_pause_accepting(HttpServer *s) {
        int r;

        if (s->accept_retry)
                return;
        r = sd_event_add_time_relative(s->event, &s->accept_retry, CLOCK_MONOTONIC, HTTP_ACCEPT_RETRY_USEC,
                                       HTTP_TIMER_ACCURACY_USEC, accept_retry_handler, s);
        if (r < 0)
                return;
        if (s->tcp_source)
                (void) sd_event_source_set_enabled(s->tcp_source, SD_EVENT_OFF);
        if (s->unix_source)
                (void) sd_event_source_set_enabled(s->unix_source, SD_EVENT_OFF);
}

static int listener_handler(sd_event_source *source, int lfd, uint32_t revents, void *userdata) {
        HttpServer *s = userdata;
        bool local = lfd == s->unix_fd;

        for (unsigned i = 0; i < HTTP_ACCEPT_BATCH; i++) {
                union sockaddr_any sa = {};
                socklen_t len = sizeof(sa);
                int fd, r;

                fd = accept4(lfd, &sa.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (ERRNO_IS_AGAIN(errno))
                                return 0;
                        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                                continue;
                        log_debug_errno(-errno, "Failed to accept connection: %m");
                        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                                server_pause_accepting(s);
                        return 0;
                }
                if (s->n_conns >= HTTP_MAX_CONNECTIONS) {
                        log_debug("Too many connections, closing a new one.");
                        safe_close(fd);
                        continue;
                }
                r = conn_new(s, fd, local, &sa);
                if (r < 0) {
                        log_debug_errno(r, "Failed to set up connection: %m");
                        safe_close(fd);
                }
        }
        return 0;
}

static int parse_port(const char *s, uint16_t *ret) {
        unsigned long v;
        char *end;

        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end != 0 || v > 65535)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

/* Parses "HOST:PORT", "[V6]:PORT" or ":PORT" (family AF_UNSPEC: every address). */
static int parse_listen(const char *listen, union sockaddr_any *ret, socklen_t *ret_len) {
        union sockaddr_any sa = {};
        _cleanup_free_ char *host = NULL;
        const char *port;
        uint16_t p;
        int r;

        if (listen[0] == '[') {
                const char *e = strchr(listen, ']');
                if (!e || e[1] != ':')
                        return -EINVAL;
                host = strndup(listen + 1, (size_t) (e - listen - 1));
                port = e + 2;
        } else {
                const char *e = strrchr(listen, ':');
                if (!e)
                        return -EINVAL;
                host = strndup(listen, (size_t) (e - listen));
                port = e + 1;
        }
        if (!host)
                return -ENOMEM;
        r = parse_port(port, &p);
        if (r < 0)
                return r;

        if (host[0] == 0) {
                sa.sa.sa_family = AF_UNSPEC;
                sa.in6.sin6_port = htons(p);
                *ret_len = sizeof(sa.in6);
        } else if (inet_pton(AF_INET, streq(host, "localhost") ? "127.0.0.1" : host, &sa.in.sin_addr) == 1) {
                sa.in.sin_family = AF_INET;
                sa.in.sin_port = htons(p);
                *ret_len = sizeof(sa.in);
        } else if (inet_pton(AF_INET6, host, &sa.in6.sin6_addr) == 1) {
                sa.in6.sin6_family = AF_INET6;
                sa.in6.sin6_port = htons(p);
                *ret_len = sizeof(sa.in6);
        } else
                return -EINVAL;
        *ret = sa;
        return 0;
}

static int bind_tcp(const union sockaddr_any *sa, socklen_t len, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;

        fd = socket(sa->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int) { 1 }, sizeof(int)) < 0)
                return -errno;
        if (sa->sa.sa_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&sa->in6.sin6_addr))
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &(int) { 0 }, sizeof(int));
        if (bind(fd, &sa->sa, len) < 0)
                return -errno;
        if (listen(fd, SOMAXCONN) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int server_listen_tcp(HttpServer *s, const char *listen) {
        union sockaddr_any sa, bound = {};
        socklen_t len, blen = sizeof(bound);
        int r;

        r = parse_listen(listen, &sa, &len);
        if (r < 0)
                return r;
        if (sa.sa.sa_family == AF_UNSPEC) {
                /* Every address: a dual-stack IPv6 socket, or IPv4 alone where IPv6 is off. */
                uint16_t port = sa.in6.sin6_port;

                sa = (union sockaddr_any) { .in6.sin6_family = AF_INET6, .in6.sin6_port = port,
                                            .in6.sin6_addr = in6addr_any };
                r = bind_tcp(&sa, sizeof(sa.in6), &s->tcp_fd);
                if (r == -EAFNOSUPPORT || r == -EADDRNOTAVAIL) {
                        sa = (union sockaddr_any) { .in.sin_family = AF_INET, .in.sin_port = port,
                                                    .in.sin_addr.s_addr = htonl(INADDR_ANY) };
                        r = bind_tcp(&sa, sizeof(sa.in), &s->tcp_fd);
                }
        } else
                r = bind_tcp(&sa, len, &s->tcp_fd);
        if (r < 0)
                return r;

        if (getsockname(s->tcp_fd, &bound.sa, &blen) < 0)
                return -errno;
        s->port = ntohs(bound.sa.sa_family == AF_INET ? bound.in.sin_port : bound.in6.sin6_port);
        return sd_event_add_io(s->event, &s->tcp_source, s->tcp_fd, EPOLLIN, listener_handler, s);
}

static int server_listen_unix(HttpServer *s, const char *path) {
        union sockaddr_any sa = { .un.sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        if (strlen(path) >= sizeof(sa.un.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.un.sun_path, path);

        /* A socket left behind by an earlier run is stale; anything else there is not ours to remove. */
        if (lstat(path, &st) >= 0) {
                if (!S_ISSOCK(st.st_mode))
                        return -EEXIST;
                if (unlink(path) < 0)
                        return -errno;
        } else if (errno != ENOENT)
                return -errno;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, &sa.sa, sizeof(sa.un)) < 0)
                return -errno;
        s->unix_path = strdup(path);
        if (!s->unix_path) {
                (void) unlink(path);
                return -ENOMEM;
        }
        /* Before listen(): nobody can connect while the mode is still the umask's. */
        if (chmod(path, 0600) < 0)
                return -errno;
        if (listen(fd, SOMAXCONN) < 0)
                return -errno;
        s->unix_fd = TAKE_FD(fd);
        return sd_event_add_io(s->event, &s->unix_source, s->unix_fd, EPOLLIN, listener_handler, s);
}

int http_server_new(sd_event *event, const char *listen, const char *unix_path, const HttpHandler *handler,
                    void *userdata, HttpServer **ret) {
        _cleanup_(http_server_freep) HttpServer *s = NULL;
        int r;

        if (!event || !listen || !handler || !handler->on_head || !ret)
                return -EINVAL;

        s = calloc(1, sizeof(HttpServer));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        s->handler = *handler;
        s->userdata = userdata;
        s->tcp_fd = s->unix_fd = -EBADF;
        s->idle_timeout_usec = HTTP_IDLE_TIMEOUT_USEC;
        s->head_timeout_usec = HTTP_HEAD_TIMEOUT_USEC;

        r = server_listen_tcp(s, listen);
        if (r < 0)
                return log_debug_errno(r, "Failed to listen on '%s': %m", listen);
        if (unix_path) {
                r = server_listen_unix(s, unix_path);
                if (r < 0)
                        return log_debug_errno(r, "Failed to listen on '%s': %m", unix_path);
        }
        *ret = TAKE_PTR(s);
        return 0;
}

HttpServer *http_server_free(HttpServer *s) {
        if (!s)
                return NULL;
        s->freeing = true;
        while (s->conns)
                (void) conn_close(s->conns, -ECANCELED);
        s->tcp_source = sd_event_source_disable_unref(s->tcp_source);
        s->unix_source = sd_event_source_disable_unref(s->unix_source);
        s->accept_retry = sd_event_source_disable_unref(s->accept_retry);
        s->tcp_fd = safe_close(s->tcp_fd);
        s->unix_fd = safe_close(s->unix_fd);
        if (s->unix_path)
                (void) unlink(s->unix_path);
        free(s->unix_path);
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

uint16_t http_server_port(HttpServer *s) {
        return s ? s->port : 0;
}

unsigned http_server_n_connections(HttpServer *s) {
        return s ? s->n_conns : 0;
}

void http_server_set_timeouts(HttpServer *s, uint64_t idle_usec, uint64_t head_usec) {
        if (!s)
                return;
        s->idle_timeout_usec = idle_usec > 0 ? idle_usec : HTTP_IDLE_TIMEOUT_USEC;
        s->head_timeout_usec = head_usec > 0 ? head_usec : HTTP_HEAD_TIMEOUT_USEC;
}

/* ---- request accessors ---- */

const char *http_request_method(HttpRequest *req) {
        return http_method_str((enum http_method) req->method);
}

const char *http_request_path(HttpRequest *req) {
        return req->path;
}

const char *http_request_query(HttpRequest *req) {
        return req->query;
}

const char *http_request_target(HttpRequest *req) {
        return req->target;
}

const char *http_request_header(HttpRequest *req, const char *name) {
        return http_header_list_get(&req->headers, name);
}

const void *http_request_body(HttpRequest *req, size_t *ret_size) {
        if (ret_size)
                *ret_size = req->body.len;
        return req->body.len > 0 ? http_buf_head(&req->body) : NULL;
}

bool http_request_is_upgrade(HttpRequest *req) {
        return req->upgrade;
}

bool http_request_is_local(HttpRequest *req) {
        return req->conn->local;
}

const char *http_request_peer(HttpRequest *req) {
        return req->conn->peer;
}

void http_request_set_userdata(HttpRequest *req, void *userdata) {
        req->userdata = userdata;
}

void *http_request_get_userdata(HttpRequest *req) {
        return req->userdata;
}

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}

int http_url_decode(const char *s, char **ret) {
        _cleanup_free_ char *d = NULL;
        size_t j = 0;

        if (!s || !ret)
                return -EINVAL;
        d = malloc(strlen(s) + 1);
        if (!d)
                return -ENOMEM;
        for (size_t i = 0; s[i]; i++) {
                int hi, lo;

                if (s[i] != '%') {
                        d[j++] = s[i];
                        continue;
                }
                hi = unhex(s[i + 1]);
                lo = hi < 0 ? -EINVAL : unhex(s[i + 2]);
                if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                        return -EINVAL;
                d[j++] = (char) (hi << 4 | lo);
                i += 2;
        }
        d[j] = 0;
        *ret = TAKE_PTR(d);
        return 0;
}
