/* SPDX-License-Identifier: MIT */
#pragma once

/* Internals shared by http-server.c (connections, requests, responses) and http-proxy.c (the
 * reverse proxy). Nothing outside these two files includes this header. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/param.h>

#include <http_parser.h>
#include <systemd/sd-event.h>

#include "http-server.h"

/* Bytes a client connection buffers from its socket before it stops reading. */
#define HTTP_CONN_IN_MAX (64U * 1024U)
/* Bytes queued towards a socket (client or backend) before the other side stops being read. */
#define HTTP_OUT_HIGH_WATER (64U * 1024U)
/* Size of one read() from a socket or a served file. */
#define HTTP_READ_CHUNK (16U * 1024U)

#define HTTP_IDLE_TIMEOUT_USEC (60U * USEC_PER_SEC)
#define HTTP_HEAD_TIMEOUT_USEC (30U * USEC_PER_SEC)
#define HTTP_LINGER_USEC (2U * USEC_PER_SEC)
#define HTTP_LINGER_MAX_BYTES (1024U * 1024U)
#define HTTP_TIMER_ACCURACY_USEC (100U * USEC_PER_MSEC)

#define ERRNO_IS_AGAIN(e) ((e) == EAGAIN || (e) == EWOULDBLOCK)

/* Connection and backend sockets are watched edge-triggered, and a source re-arms its edge (one
 * EPOLL_CTL_MOD, which queues the fd again if it is still ready) when its handler is done with it.
 * That keeps level-triggered semantics for our handlers, which need not drain a socket, while a
 * socket that is ready but not dispatched yet is reported by epoll once, not at every loop
 * iteration: sd-event dispatches one source per iteration and re-polls epoll before each, so with
 * level triggering n sockets turning ready at once (a client closing 10,000 WebSocket tunnels) cost
 * n epoll_wait() calls returning up to n events each, quadratic in kernel time. Listeners stay
 * level-triggered: they are few. */
#define HTTP_IO_EDGE EPOLLET

/* A byte queue: data[start, start + len) is live. */
typedef struct HttpBuf {
        char *data;
        size_t start, len, alloc;
} HttpBuf;

int http_buf_append(HttpBuf *b, const void *p, size_t n);
int http_buf_appendf(HttpBuf *b, const char *fmt, ...) _printf_(2, 3);
void http_buf_consume(HttpBuf *b, size_t n);
void http_buf_done(HttpBuf *b);
static inline const char *http_buf_head(const HttpBuf *b) {
        return b->data ? b->data + b->start : NULL;
}

typedef struct HttpHeader {
        char *name;
        char *value;
} HttpHeader;

/* A header list filled by http_parser callbacks (a field or value may arrive in pieces). */
typedef struct HttpHeaderList {
        HttpHeader *items;
        size_t n;
        bool in_value;          /* the last callback was a value */
        size_t bytes;           /* names + values, for the size limit */
} HttpHeaderList;

int http_header_list_add_field(HttpHeaderList *l, const char *p, size_t n, size_t max_headers);
int http_header_list_add_value(HttpHeaderList *l, const char *p, size_t n);
void http_header_list_done(HttpHeaderList *l);
const char *http_header_list_get(const HttpHeaderList *l, const char *name);
/* Whether the comma-separated header value contains token (case-insensitive). */
bool http_token_list_contains(const char *value, const char *token);

typedef enum HttpConnState {
        HTTP_CONN_READ_HEAD,    /* waiting for (the rest of) a request head */
        HTTP_CONN_READ_BODY,    /* buffering a body for HTTP_BODY_BUFFER */
        HTTP_CONN_HANDLER,      /* the handler holds the request; the socket is not watched */
        HTTP_CONN_PROXY,        /* a proxied exchange runs */
        HTTP_CONN_WRITING,      /* the response is queued; flush it, then next request or close */
        HTTP_CONN_DONE_CALLBACK,/* inside a non-retriable done callback: the request must not be answered */
        HTTP_CONN_LINGER,       /* answered and shut down for writing: discard input until the client closes */
} HttpConnState;

typedef struct HttpConn HttpConn;
typedef struct HttpProxy HttpProxy;

struct HttpRequest {
        HttpConn *conn;
        char *target;
        size_t target_len;
        char *path;
        char *query;
        HttpHeaderList headers;
        HttpBuf body;
        size_t max_body;
        HttpBodyMode mode;
        unsigned http_major, http_minor;
        int method;             /* enum http_method */
        bool keep_alive;
        bool upgrade;
        bool expect_continue;
        bool sent_continue;
        void *userdata;
};

struct HttpServer {
        sd_event *event;
        HttpHandler handler;
        void *userdata;
        int tcp_fd;
        int unix_fd;
        sd_event_source *tcp_source;
        sd_event_source *unix_source;
        sd_event_source *accept_retry;
        char *unix_path;
        uint16_t port;
        HttpConn *conns;        /* doubly linked list */
        unsigned n_conns;
        uint64_t idle_timeout_usec;
        uint64_t head_timeout_usec;
        bool freeing;
};

struct HttpConn {
        HttpServer *server;
        HttpConn *prev, *next;
        int fd;
        sd_event_source *io;
        sd_event_source *timer;
        uint32_t io_events;     /* what io currently waits for (without HTTP_IO_EDGE); 0 when off */
        bool io_rearm;          /* io was dispatched since its edge was last armed */
        bool local;
        char peer[64];

        HttpConnState state;
        http_parser parser;
        HttpBuf in;
        HttpBuf out;
        bool read_eof;
        bool close_after;       /* close once out is flushed */

        /* Parse state of the current request. */
        HttpRequest *req;
        bool head_started;
        bool head_complete;
        bool msg_complete;
        int parse_status;       /* an HTTP status to answer with after a parse error, or 0 */
        size_t head_bytes;

        /* A file being streamed after the head in out. */
        int file_fd;
        uint64_t file_left;

        uint64_t head_start;    /* when the first byte of the current head arrived */
        uint64_t last_read;     /* last byte read from the client (or when it connected) */
        uint64_t last_write;    /* last byte written to the client */
        uint64_t timer_at;      /* when timer fires, USEC_INFINITY when off */

        HttpProxy *proxy;
};

/* Shared by the two files. */
uint64_t http_now(HttpServer *s);
int http_conn_read(HttpConn *c);                /* 1 read, 0 nothing now, -errno; sets read_eof */
int http_conn_flush(HttpConn *c);               /* 1 all written, 0 partial, -errno */
/* Recomputes io events and the timer; re-arms the io edge after a dispatch. Every path through a
 * connection's io handler that leaves the connection open ends here. */
void http_conn_update(HttpConn *c);
void http_conn_free(HttpConn *c);
/* Queues the end of the current request: frees it, keeps the connection alive if keep. */
void http_conn_finish_request(HttpConn *c, bool keep);
/* Runs the request parser over the buffered input without collecting a body; returns consumed bytes
 * or -EBADMSG. Stops at the end of the current message. */
int http_conn_parse_raw(HttpConn *c, size_t max);

/* Implemented in http-proxy.c. */
/* The client socket had an event or data. Returns negative errno when the connection was closed (and
 * freed), 0 otherwise; the exchange may have ended (c->proxy is then NULL). */
int http_proxy_client_event(HttpProxy *p);
void http_proxy_client_wrote(HttpProxy *p);     /* the client's out buffer drained some */
void http_proxy_timeout(HttpProxy *p, uint64_t now);
uint64_t http_proxy_deadline(HttpProxy *p);
void http_proxy_abort(HttpProxy *p, int error);  /* the client connection is going away */
