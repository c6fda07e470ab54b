/* SPDX-License-Identifier: MIT */
/* Unit tests for orchestrator/http-server.c and http-proxy.c: a real sd-event loop runs the server in
 * this process; clients and scripted backends are blocking sockets in forked children. (Children, not
 * threads: <pthread.h> pulls in <sched.h>, which orchestrator/sched.h shadows on our include path.) */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <http_parser.h>
#include <systemd/sd-event.h>

#include "fs-util.h"
#include "http-server.h"
#include "macro.h"
#include "test-helpers.h"

/* A failure after which the exchange cannot go on. */
#define REQUIRE(cond)                                                                          \
        do {                                                                                   \
                if (!(cond)) {                                                                 \
                        fprintf(stderr, "%s:%d: requirement failed: %s (%m)\n", __FILE__, __LINE__, #cond); \
                        exit(EXIT_FAILURE);                                                    \
                }                                                                              \
        } while (0)

static sd_event *event;
static HttpServer *server;
static char tmpdir[PATH_MAX];
static char unix_path[PATH_MAX + 16];

/* What the handler does with /proxy requests, and what the done callback saw. */
static struct {
        uint16_t port;
        uint16_t retry_port;
        uint64_t read_timeout_usec;
} proxy_cfg;

static struct {
        int calls;
        int error;
        bool started;
        bool retriable;
} done_seen;

/* What the kernel reports to sd-event. libsystemd calls epoll_wait() through its PLT, so this definition
 * in the executable takes the place of libc's. */
static struct {
        bool on;
        unsigned long calls;
        unsigned long events;
} epoll_seen;

int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) {
        long r = syscall(SYS_epoll_pwait, epfd, events, maxevents, timeout, NULL, /* sigsetsize = */ 8);

        if (epoll_seen.on) {
                epoll_seen.calls++;
                epoll_seen.events += r > 0 ? (unsigned long) r : 0;
        }
        return (int) r;
}

/* ---- the handler ---- */

static void proxy_done(void *userdata, HttpRequest *req, int error, bool response_started, bool retriable);

static void start_proxy(HttpRequest *req, uint16_t port) {
        static char * const set_headers[] = { (char *) "RStudio-Connect-Credentials: {\"user\":\"alice\"}", NULL };
        static char * const drop_headers[] = { (char *) "X-Drop", NULL };
        HttpProxyParams params = {
                .port = port,
                .strip_prefix = "/proxy",
                .set_headers = set_headers,
                .drop_headers = drop_headers,
                .drop_cookie = "corral-session",
                .location_prefix = "/proxy/",
                .read_timeout_usec = proxy_cfg.read_timeout_usec,
                .done = proxy_done,
        };

        REQUIRE(http_request_proxy(req, &params) == 0);
}

static void proxy_done(void *userdata, HttpRequest *req, int error, bool response_started, bool retriable) {
        done_seen.calls++;
        done_seen.error = error;
        done_seen.started = response_started;
        done_seen.retriable = retriable;
        if (retriable && proxy_cfg.retry_port != 0) {
                uint16_t p = proxy_cfg.retry_port;
                proxy_cfg.retry_port = 0;
                start_proxy(req, p);
        }
}

static int async_answer(sd_event_source *s, uint64_t usec, void *userdata) {
        HttpRequest *req = userdata;

        CHECK(http_request_respond(req, 200, "text/plain", "later", 5, NULL) == 0);
        return 0;
}

static HttpBodyMode on_head(void *userdata, HttpRequest *req, size_t *ret_max_body) {
        const char *path = http_request_path(req);
        char p[PATH_MAX + 64];

        if (strncmp(path, "/small", 6) == 0) {
                *ret_max_body = 10;
                return HTTP_BODY_BUFFER;
        }
        if (strncmp(path, "/file/", 6) == 0) {
                (void) snprintf(p, sizeof(p), "%s/%s", tmpdir, path + 6);
                CHECK(http_request_respond_file(req, p) == 0);
                return HTTP_BODY_TAKE;
        }
        if (strncmp(path, "/proxy", 6) == 0) {
                start_proxy(req, proxy_cfg.port);
                return HTTP_BODY_TAKE;
        }
        if (streq(path, "/async")) {
                /* A floating source: the loop owns it. */
                REQUIRE(sd_event_add_time_relative(event, NULL, CLOCK_MONOTONIC, 20 * USEC_PER_MSEC, 0,
                                                   async_answer, req) >= 0);
                return HTTP_BODY_TAKE;
        }
        if (streq(path, "/local")) {
                (void) snprintf(p, sizeof(p), "local=%d peer=%s", http_request_is_local(req),
                                http_request_peer(req));
                CHECK(http_request_respond(req, 200, "text/plain", p, strlen(p), NULL) == 0);
                return HTTP_BODY_TAKE;
        }
        return HTTP_BODY_BUFFER;
}

static void on_request(void *userdata, HttpRequest *req) {
        char * const extra[] = { (char *) "X-Test: yes", NULL };
        _cleanup_free_ char *text = NULL;
        const void *body;
        size_t size;

        body = http_request_body(req, &size);
        REQUIRE(asprintf(&text, "%s %s %zu:%.*s", http_request_method(req), http_request_target(req), size,
                         (int) size, body ? (const char *) body : "") >= 0);
        CHECK(http_request_respond(req, 200, "text/plain", text, strlen(text), extra) == 0);
}

static const HttpHandler handler = { .on_head = on_head, .on_request = on_request };

/* ---- running the loop while a child talks ---- */

static bool child_finished;

static int child_pipe_handler(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        child_finished = true;
        return 0;
}

/* Forks a child that keeps only stdio and keep_fd (moved to fd 3) and runs fn, exiting non-zero if a
 * check failed. Returns the pid. */
static pid_t fork_child(void (*fn)(void), int keep_fd) {
        pid_t pid = fork();

        REQUIRE(pid >= 0);
        if (pid > 0)
                return pid;
        test_failures = 0; /* the child reports only its own */
        if (keep_fd >= 0 && keep_fd != 3)
                REQUIRE(dup2(keep_fd, 3) == 3);
        (void) close_range(keep_fd >= 0 ? 4 : 3, ~0U, 0);
        fn();
        _exit(test_failures > 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

static void wait_child(pid_t pid) {
        int status;

        REQUIRE(waitpid(pid, &status, 0) == pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "child %d failed (status 0x%x)\n", (int) pid, (unsigned) status);
                test_failures++;
        }
}

/* Runs fn in a child while the loop serves; returns once the child exited. */
static void run_client(void (*fn)(void)) {
        sd_event_source *s = NULL;
        int p[2];
        pid_t pid;

        REQUIRE(pipe2(p, O_CLOEXEC) == 0);
        pid = fork_child(fn, p[1]);
        close(p[1]);
        /* The pipe reports a hang-up once the child (the only writer) is gone. */
        REQUIRE(sd_event_add_io(event, &s, p[0], EPOLLIN, child_pipe_handler, NULL) >= 0);
        child_finished = false;
        while (!child_finished)
                REQUIRE(sd_event_run(event, UINT64_MAX) >= 0);
        sd_event_source_disable_unref(s);
        close(p[0]);
        wait_child(pid);
}

/* Serves until *flag becomes non-zero or 3 s pass. */
static void run_until(const int *flag) {
        for (int i = 0; i < 300 && !*flag; i++)
                REQUIRE(sd_event_run(event, 10 * USEC_PER_MSEC) >= 0);
}

/* ---- blocking clients ---- */

typedef struct Client {
        int fd;
        char buf[256 * 1024];
        size_t len;
} Client;

typedef struct Response {
        int status;
        char head[64 * 1024];   /* "Name: value\n" lines */
        char *body;
        size_t body_len;
        bool head_only;
        bool complete;
        bool field_done;
} Response;

static void set_timeouts(int fd) {
        struct timeval tv = { .tv_sec = 5 };

        REQUIRE(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
        REQUIRE(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0);
}

static int tcp_connect(uint16_t port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        REQUIRE(fd >= 0);
        REQUIRE(connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0);
        set_timeouts(fd);
        return fd;
}

static Client *client_new(void) {
        Client *c = calloc(1, sizeof(Client));

        REQUIRE(c);
        c->fd = tcp_connect(http_server_port(server));
        return c;
}

static void client_free(Client *c) {
        if (!c)
                return;
        safe_close(c->fd);
        free(c);
}

static void send_str(int fd, const char *s) {
        size_t n = strlen(s);

        while (n > 0) {
                ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
                REQUIRE(k > 0);
                s += k;
                n -= (size_t) k;
        }
}

static int r_on_status(http_parser *p, const char *at, size_t n) {
        return 0;
}

static int r_on_field(http_parser *p, const char *at, size_t n) {
        Response *r = p->data;
        size_t l = strlen(r->head);

        if (r->field_done) {
                REQUIRE(l + 1 < sizeof(r->head));
                r->head[l++] = '\n';
                r->head[l] = 0;
                r->field_done = false;
        }
        REQUIRE(l + n < sizeof(r->head));
        memcpy(r->head + l, at, n);
        r->head[l + n] = 0;
        return 0;
}

static int r_on_value(http_parser *p, const char *at, size_t n) {
        Response *r = p->data;
        size_t l = strlen(r->head);

        if (!r->field_done) {
                REQUIRE(l + 2 < sizeof(r->head));
                memcpy(r->head + l, ": ", 3);
                l += 2;
                r->field_done = true;
        }
        REQUIRE(l + n < sizeof(r->head));
        memcpy(r->head + l, at, n);
        r->head[l + n] = 0;
        return 0;
}

static int r_on_headers_complete(http_parser *p) {
        Response *r = p->data;

        r->status = (int) p->status_code;
        strcat(r->head, "\n");
        return r->head_only ? 1 : 0;
}

static int r_on_body(http_parser *p, const char *at, size_t n) {
        Response *r = p->data;

        r->body = realloc(r->body, r->body_len + n + 1);
        REQUIRE(r->body);
        memcpy(r->body + r->body_len, at, n);
        r->body_len += n;
        r->body[r->body_len] = 0;
        return 0;
}

static int r_on_message_complete(http_parser *p) {
        Response *r = p->data;

        r->complete = true;
        http_parser_pause(p, 1);
        return 0;
}

static const http_parser_settings response_settings = {
        .on_status = r_on_status,
        .on_header_field = r_on_field,
        .on_header_value = r_on_value,
        .on_headers_complete = r_on_headers_complete,
        .on_body = r_on_body,
        .on_message_complete = r_on_message_complete,
};

/* Reads one response (1xx ones included); bytes after it stay in c->buf. */
static Response *client_read(Client *c, bool head_only) {
        Response *r = calloc(1, sizeof(Response));
        http_parser p;
        bool eof = false;

        REQUIRE(r);
        r->head_only = head_only;
        http_parser_init(&p, HTTP_RESPONSE);
        p.data = r;
        for (;;) {
                size_t k;

                if (c->len > 0 || eof) {
                        k = http_parser_execute(&p, &response_settings, eof ? NULL : c->buf, eof ? 0 : c->len);
                        if (HTTP_PARSER_ERRNO(&p) == HPE_PAUSED)
                                http_parser_pause(&p, 0);
                        else
                                REQUIRE(HTTP_PARSER_ERRNO(&p) == HPE_OK);
                        if (!eof) {
                                memmove(c->buf, c->buf + k, c->len - k);
                                c->len -= k;
                        }
                        if (r->complete || p.upgrade)
                                break;
                        REQUIRE(!eof);
                }
                ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
                REQUIRE(n >= 0);
                if (n == 0)
                        eof = true;
                c->len += (size_t) n;
        }
        if (!r->body)
                r->body = strdup("");
        return r;
}

static void response_free(Response *r) {
        if (r)
                free(r->body);
        free(r);
}

/* The value of header name in r, copied into a static buffer. */
static const char *header(Response *r, const char *name) {
        static char value[4096];
        size_t n = strlen(name);

        for (const char *l = r->head; *l; l = strchr(l, '\n') + 1) {
                if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
                        size_t e = strcspn(l + n + 2, "\n");
                        snprintf(value, sizeof(value), "%.*s", (int) e, l + n + 2);
                        return value;
                }
                if (!strchr(l, '\n'))
                        break;
        }
        return NULL;
}

/* Whether the server closes the connection (EOF or reset) without sending anything more. */
static bool client_closed(Client *c) {
        char b[64];
        ssize_t n;

        if (c->len > 0)
                return false;
        n = recv(c->fd, b, sizeof(b), 0);
        return n == 0 || (n < 0 && errno == ECONNRESET);
}

static Response *request(Client *c, const char *text) {
        send_str(c->fd, text);
        return client_read(c, strncmp(text, "HEAD ", 5) == 0);
}

/* ---- scripted backends ---- */

typedef enum BackendMode {
        BACKEND_ECHO,
        BACKEND_CHUNKED,
        BACKEND_REDIRECT,
        BACKEND_WEBSOCKET,
        BACKEND_SILENT,
        BACKEND_CLOSE_DELIMITED,
} BackendMode;

typedef struct Backend {
        int listen_fd;
        uint16_t port;
        BackendMode mode;
        unsigned n_conns;
        pid_t pid;
        char request[4][16 * 1024];
        int accepted;
        bool saw_eof;
        char tunnel[16];
} Backend;

/* Shared with the backend child (MAP_SHARED), so the test sees what it received. */
static Backend *backend;

/* Reads one request head and its body (Content-Length or chunked) into buf. */
static void backend_read_request(int fd, char *buf, size_t size) {
        size_t len = 0;
        char *end = NULL;

        for (;;) {
                ssize_t n;
                const char *cl;

                if (!end && (end = strstr(buf, "\r\n\r\n")))
                        end += 4;
                if (end) {
                        cl = strcasestr(buf, "\r\nContent-Length: ");
                        if (cl && cl < end) {
                                if (len >= (size_t) (end - buf) + strtoul(cl + 18, NULL, 10))
                                        return;
                        } else if (strcasestr(buf, "\r\nTransfer-Encoding: chunked")) {
                                if (strstr(end, "0\r\n\r\n"))
                                        return;
                        } else
                                return;
                }
                REQUIRE(len + 1 < size);
                n = recv(fd, buf + len, size - len - 1, 0);
                REQUIRE(n > 0);
                len += (size_t) n;
                buf[len] = 0;
        }
}

static void backend_main(void) {
        Backend *b = backend;

        for (unsigned i = 0; i < b->n_conns; i++) {
                int fd = accept4(3, NULL, NULL, SOCK_CLOEXEC);
                char tmp[64];
                ssize_t n;

                REQUIRE(fd >= 0);
                set_timeouts(fd);
                __atomic_store_n(&b->accepted, (int) i + 1, __ATOMIC_SEQ_CST);
                backend_read_request(fd, b->request[i], sizeof(b->request[i]));
                switch (b->mode) {
                case BACKEND_ECHO:
                        send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
                                     "Keep-Alive: timeout=5\r\nConnection: close\r\n\r\nbackend-ok");
                        break;
                case BACKEND_CHUNKED:
                        send_str(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
                        usleep(50000);
                        send_str(fd, "6\r\n world\r\n");
                        usleep(50000);
                        send_str(fd, "0\r\n\r\n");
                        break;
                case BACKEND_REDIRECT:
                        send_str(fd, i == 0 ? "HTTP/1.1 302 Found\r\nLocation: /login?next=%2F\r\nContent-Length: 0\r\n\r\n"
                                            : "HTTP/1.1 302 Found\r\nLocation: http://other.example/x\r\n"
                                              "Content-Length: 0\r\n\r\n");
                        break;
                case BACKEND_WEBSOCKET:
                        send_str(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                     "Connection: Upgrade\r\n\r\nHELLO");
                        n = recv(fd, b->tunnel, 4, MSG_WAITALL);
                        REQUIRE(n == 4);
                        send_str(fd, "PONG");
                        n = recv(fd, tmp, sizeof(tmp), 0);
                        b->saw_eof = n == 0;
                        break;
                case BACKEND_SILENT:
                        n = recv(fd, tmp, sizeof(tmp), 0);
                        b->saw_eof = n <= 0;
                        break;
                case BACKEND_CLOSE_DELIMITED:
                        send_str(fd, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil-");
                        usleep(20000);
                        send_str(fd, "close");
                        break;
                }
                close(fd);
        }
}

static uint16_t listen_loopback(int *ret_fd) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        REQUIRE(fd >= 0);
        REQUIRE(bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0);
        REQUIRE(listen(fd, 16) == 0);
        REQUIRE(getsockname(fd, (struct sockaddr *) &sa, &len) == 0);
        *ret_fd = fd;
        return ntohs(sa.sin_port);
}

static void backend_start(BackendMode mode, unsigned n_conns) {
        memset(backend, 0, sizeof(*backend));
        backend->mode = mode;
        backend->n_conns = n_conns;
        backend->port = listen_loopback(&backend->listen_fd);
        proxy_cfg = (typeof(proxy_cfg)) { .port = backend->port };
        done_seen = (typeof(done_seen)) {};
        backend->pid = fork_child(backend_main, backend->listen_fd);
        backend->listen_fd = safe_close(backend->listen_fd);
}

static void backend_stop(void) {
        wait_child(backend->pid);
}

/* ---- plain requests ---- */

static void client_basic(void) {
        Client *c = client_new();
        Response *r;

        r = request(c, "GET /hello?x=1 HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_INTEQ(r->status, 200);
        CHECK_STREQ(r->body, "GET /hello?x=1 0:");
        CHECK_STREQ(header(r, "Content-Length"), "17");
        CHECK_STREQ(header(r, "Content-Type"), "text/plain");
        CHECK_STREQ(header(r, "X-Test"), "yes");
        CHECK(header(r, "Date") != NULL);
        CHECK(header(r, "Connection") == NULL);
        response_free(r);

        /* Chunked body, decoded for BUFFER; same connection (keep-alive). */
        r = request(c, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        CHECK_INTEQ(r->status, 200);
        CHECK_STREQ(r->body, "POST /echo 11:hello world");
        response_free(r);

        /* HEAD: the length of the GET, no body; the next response on the connection still lines up. */
        r = request(c, "HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_INTEQ(r->status, 200);
        CHECK_STREQ(header(r, "Content-Length"), "10"); /* "HEAD /h 0:" */
        CHECK_INTEQ(r->body_len, 0);
        response_free(r);

        /* Pipelined: three requests in one write, answered in order. */
        send_str(c->fd, "GET /p1 HTTP/1.1\r\nHost: t\r\n\r\nPOST /p2 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\n"
                        "abcGET /p3 HTTP/1.1\r\nHost: t\r\n\r\n");
        r = client_read(c, false);
        CHECK_STREQ(r->body, "GET /p1 0:");
        response_free(r);
        r = client_read(c, false);
        CHECK_STREQ(r->body, "POST /p2 3:abc");
        response_free(r);
        r = client_read(c, false);
        CHECK_STREQ(r->body, "GET /p3 0:");
        response_free(r);

        /* An answer given later, from another event source. */
        r = request(c, "GET /async HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_STREQ(r->body, "later");
        response_free(r);

        /* Expect: 100-continue gets a 100 before the body is sent. */
        send_str(c->fd, "POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        r = client_read(c, false);
        CHECK_INTEQ(r->status, 100);
        response_free(r);
        r = request(c, "12345");
        CHECK_INTEQ(r->status, 200);
        CHECK_STREQ(r->body, "POST /e 5:12345");
        response_free(r);

        /* Connection: close is honoured. */
        r = request(c, "GET /last HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        CHECK_STREQ(header(r, "Connection"), "close");
        CHECK(client_closed(c));
        response_free(r);
        client_free(c);

        /* HTTP/1.0: closes by default, stays with keep-alive. */
        c = client_new();
        r = request(c, "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        CHECK_STREQ(header(r, "Connection"), "keep-alive");
        response_free(r);
        r = request(c, "GET /b HTTP/1.0\r\n\r\n");
        CHECK_STREQ(r->body, "GET /b 0:");
        CHECK_STREQ(header(r, "Connection"), "close");
        CHECK(client_closed(c));
        response_free(r);
        client_free(c);
}

static void client_errors(void) {
        Client *c;
        Response *r;
        char *big;

        /* 413, announced by Content-Length. */
        c = client_new();
        r = request(c, "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n");
        CHECK_INTEQ(r->status, 413);
        CHECK(strstr(r->body, "413 Payload Too Large") != NULL);
        CHECK(client_closed(c));
        response_free(r);
        client_free(c);

        /* 413, found while decoding a chunked body. */
        c = client_new();
        r = request(c, "POST /small HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n");
        CHECK_INTEQ(r->status, 413);
        CHECK(client_closed(c));
        response_free(r);
        client_free(c);

        /* 431: a header too large, and too many headers. */
        c = client_new();
        big = malloc(70 * 1024);
        REQUIRE(big);
        {
                int n = sprintf(big, "GET / HTTP/1.1\r\nX-Big: ");
                memset(big + n, 'a', 68 * 1024);
                strcpy(big + n + 68 * 1024, "\r\n\r\n");
        }
        (void) send(c->fd, big, strlen(big), MSG_NOSIGNAL);
        r = client_read(c, false);
        CHECK_INTEQ(r->status, 431);
        response_free(r);
        client_free(c);

        c = client_new();
        strcpy(big, "GET / HTTP/1.1\r\n");
        for (int i = 0; i < 120; i++)
                sprintf(big + strlen(big), "X-H%d: v\r\n", i);
        strcat(big, "\r\n");
        r = request(c, big);
        CHECK_INTEQ(r->status, 431);
        CHECK(client_closed(c));
        response_free(r);
        client_free(c);
        free(big);

        /* 400 for garbage, then the connection closes. */
        c = client_new();
        r = request(c, "GARBAGE\r\n\r\n");
        CHECK_INTEQ(r->status, 400);
        CHECK(strstr(r->body, "<h1>400 Bad Request</h1>") != NULL);
        CHECK(client_closed(c));
        response_free(r);
        client_free(c);

        /* 417 for an expectation we do not know. */
        c = client_new();
        r = request(c, "POST /e HTTP/1.1\r\nHost: t\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx");
        CHECK_INTEQ(r->status, 417);
        response_free(r);
        client_free(c);
}

static void write_file(const char *name, const char *data, size_t size) {
        char p[PATH_MAX + 64];

        (void) snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
        REQUIRE(write_file_atomic(p, data, size, 0644) == 0);
}

static void client_files(void) {
        Client *c = client_new();
        Response *r;
        char *blob;
        const size_t blob_size = 300 * 1024 + 7;

        blob = malloc(blob_size);
        REQUIRE(blob);
        for (size_t i = 0; i < blob_size; i++)
                blob[i] = (char) ('a' + i % 26);
        write_file("data.bin", blob, blob_size);

        r = request(c, "GET /file/index.html HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_INTEQ(r->status, 200);
        CHECK_STREQ(header(r, "Content-Type"), "text/html; charset=utf-8");
        CHECK_STREQ(r->body, "<p>hi</p>");
        CHECK(header(r, "Last-Modified") != NULL);
        response_free(r);

        r = request(c, "GET /file/style.CSS HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_STREQ(header(r, "Content-Type"), "text/css; charset=utf-8");
        response_free(r);
        r = request(c, "GET /file/font.woff2 HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_STREQ(header(r, "Content-Type"), "font/woff2");
        response_free(r);

        /* Large: streamed, arrives whole. */
        r = request(c, "GET /file/data.bin HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_STREQ(header(r, "Content-Type"), "application/octet-stream");
        CHECK_INTEQ(r->body_len, blob_size);
        CHECK(r->body_len == blob_size && memcmp(r->body, blob, blob_size) == 0);
        response_free(r);

        r = request(c, "HEAD /file/data.bin HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_INTEQ(r->status, 200);
        CHECK_INTEQ(strtoul(header(r, "Content-Length") ?: "0", NULL, 10), blob_size);
        CHECK_INTEQ(r->body_len, 0);
        response_free(r);

        r = request(c, "GET /file/missing.txt HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_INTEQ(r->status, 404);
        response_free(r);
        r = request(c, "GET /file/subdir HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_INTEQ(r->status, 403);
        response_free(r);
        r = request(c, "GET /file/link.html HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_INTEQ(r->status, 403);
        response_free(r);
        r = request(c, "DELETE /file/index.html HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_INTEQ(r->status, 405);
        CHECK_STREQ(header(r, "Allow"), "GET, HEAD");
        response_free(r);
        client_free(c);
        free(blob);
}

/* ---- proxying ---- */

static void client_proxy_rewrite(void) {
        Client *c = client_new();
        Response *r;

        r = request(c, "GET /proxy/app/page?x=1 HTTP/1.1\r\nHost: example.com\r\n"
                       "RStudio-Connect-Credentials: spoofed\r\nCookie: a=1; corral-session=secret; b=2\r\n"
                       "X-Forwarded-For: 10.0.0.1\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\n"
                       "Proxy-Authorization: x\r\nX-Drop: y\r\nX-Keep: z\r\n\r\n");
        CHECK_INTEQ(r->status, 200);
        CHECK_STREQ(r->body, "backend-ok");
        CHECK(header(r, "Keep-Alive") == NULL);
        CHECK(header(r, "Connection") == NULL); /* framed: the client connection stays */
        response_free(r);

        r = request(c, "GET /proxy HTTP/1.1\r\nHost: example.com\r\nCookie: corral-session=secret\r\n\r\n");
        CHECK_INTEQ(r->status, 200);
        response_free(r);

        /* A request body streams through as it came (chunked framing included). */
        r = request(c, "POST /proxy/up HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "5\r\nhello\r\n0\r\n\r\n");
        CHECK_INTEQ(r->status, 200);
        response_free(r);
        client_free(c);
}

static void test_proxy_rewrite(void) {
        const char *q;

        backend_start(BACKEND_ECHO, 3);
        run_client(client_proxy_rewrite);
        backend_stop();

        q = backend->request[0];
        CHECK(strncmp(q, "GET /app/page?x=1 HTTP/1.1\r\n", 28) == 0);
        CHECK(strstr(q, "\r\nHost: example.com\r\n") != NULL);
        CHECK(strstr(q, "\r\nRStudio-Connect-Credentials: {\"user\":\"alice\"}\r\n") != NULL);
        CHECK(strstr(q, "spoofed") == NULL);
        CHECK(strstr(q, "\r\nCookie: a=1; b=2\r\n") != NULL);
        CHECK(strstr(q, "secret") == NULL);
        CHECK(strstr(q, "\r\nX-Forwarded-For: 10.0.0.1, 127.0.0.1\r\n") != NULL);
        CHECK(strstr(q, "\r\nX-Forwarded-Proto: http\r\n") != NULL);
        CHECK(strstr(q, "\r\nX-Forwarded-Host: example.com\r\n") != NULL);
        CHECK(strstr(q, "\r\nConnection: close\r\n") != NULL);
        CHECK(strstr(q, "Keep-Alive") == NULL);
        CHECK(strstr(q, "X-Hop") == NULL);
        CHECK(strstr(q, "Proxy-Authorization") == NULL);
        CHECK(strstr(q, "X-Drop") == NULL);
        CHECK(strstr(q, "\r\nX-Keep: z\r\n") != NULL);

        q = backend->request[1];
        CHECK(strncmp(q, "GET / HTTP/1.1\r\n", 16) == 0);
        CHECK(strstr(q, "Cookie") == NULL);
        CHECK(strstr(q, "\r\nX-Forwarded-For: 127.0.0.1\r\n") != NULL);

        q = backend->request[2];
        CHECK(strncmp(q, "POST /up HTTP/1.1\r\n", 19) == 0);
        CHECK(strstr(q, "\r\nTransfer-Encoding: chunked\r\n") != NULL);
        CHECK(strstr(q, "\r\n\r\n5\r\nhello\r\n0\r\n\r\n") != NULL);
        CHECK_INTEQ(done_seen.calls, 3);
        CHECK_INTEQ(done_seen.error, 0);
        CHECK(done_seen.started);
}

static void client_proxy_chunked(void) {
        Client *c = client_new();
        Response *r;

        r = request(c, "GET /proxy/stream HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_INTEQ(r->status, 200);
        CHECK_STREQ(header(r, "Transfer-Encoding"), "chunked");
        CHECK_STREQ(r->body, "hello world");
        response_free(r);
        /* The connection was kept alive. */
        r = request(c, "GET /after HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_STREQ(r->body, "GET /after 0:");
        response_free(r);
        client_free(c);
}

static void client_proxy_redirect(void) {
        Client *c = client_new();
        Response *r;

        r = request(c, "GET /proxy/x HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_INTEQ(r->status, 302);
        CHECK_STREQ(header(r, "Location"), "/proxy/login?next=%2F");
        response_free(r);
        r = request(c, "GET /proxy/y HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_STREQ(header(r, "Location"), "http://other.example/x");
        response_free(r);
        client_free(c);
}

static void client_proxy_close_delimited(void) {
        Client *c = client_new();
        Response *r;

        r = request(c, "GET /proxy/old HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_INTEQ(r->status, 200);
        CHECK_STREQ(r->body, "until-close");
        CHECK_STREQ(header(r, "Connection"), "close");
        response_free(r);
        client_free(c);
}

static void client_websocket(void) {
        Client *c = client_new();
        Response *r;
        char b[8] = {};

        r = request(c, "GET /proxy/ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: abc\r\n\r\n");
        CHECK_INTEQ(r->status, 101);
        CHECK_STREQ(header(r, "Upgrade"), "websocket");
        CHECK_STREQ(header(r, "Connection"), "Upgrade");
        response_free(r);
        while (c->len < 5) {
                ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
                REQUIRE(n > 0);
                c->len += (size_t) n;
        }
        CHECK(c->len == 5 && memcmp(c->buf, "HELLO", 5) == 0);
        send_str(c->fd, "PING");
        REQUIRE(recv(c->fd, b, 4, MSG_WAITALL) == 4);
        CHECK_STREQ(b, "PONG");
        client_free(c);
}

static void client_refused(void) {
        Client *c = client_new();
        Response *r;

        r = request(c, "GET /proxy/x HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_INTEQ(r->status, 502);
        CHECK(strstr(r->body, "Connection refused") != NULL);
        response_free(r);
        client_free(c);
}

static void client_retry(void) {
        Client *c = client_new();
        Response *r;

        r = request(c, "GET /proxy/x HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_INTEQ(r->status, 200);
        CHECK_STREQ(r->body, "backend-ok");
        response_free(r);
        client_free(c);
}

static void client_timeout(void) {
        Client *c = client_new();
        Response *r;

        r = request(c, "GET /proxy/slow HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_INTEQ(r->status, 504);
        CHECK(client_closed(c));
        response_free(r);
        client_free(c);
}

static void client_disconnect(void) {
        Client *c = client_new();

        send_str(c->fd, "GET /proxy/slow HTTP/1.1\r\nHost: t\r\n\r\n");
        while (__atomic_load_n(&backend->accepted, __ATOMIC_SEQ_CST) == 0)
                usleep(1000);
        usleep(20000);
        client_free(c);
}

static uint16_t closed_port(void) {
        int fd;
        uint16_t port = listen_loopback(&fd);

        close(fd);
        return port;
}

static void test_proxy(void) {
        backend_start(BACKEND_CHUNKED, 1);
        run_client(client_proxy_chunked);
        backend_stop();
        CHECK_INTEQ(done_seen.calls, 1);
        CHECK_INTEQ(done_seen.error, 0);

        backend_start(BACKEND_REDIRECT, 2);
        run_client(client_proxy_redirect);
        backend_stop();

        backend_start(BACKEND_CLOSE_DELIMITED, 1);
        run_client(client_proxy_close_delimited);
        backend_stop();
        CHECK_INTEQ(done_seen.error, 0);

        backend_start(BACKEND_WEBSOCKET, 1);
        run_client(client_websocket);
        run_until(&done_seen.calls);
        backend_stop();
        CHECK(strncmp(backend->request[0], "GET /ws HTTP/1.1\r\n", 18) == 0);
        CHECK(strstr(backend->request[0], "\r\nUpgrade: websocket\r\n") != NULL);
        CHECK(strstr(backend->request[0], "\r\nConnection: Upgrade\r\n") != NULL);
        CHECK(strncmp(backend->tunnel, "PING", 4) == 0);
        CHECK(backend->saw_eof);
        CHECK_INTEQ(done_seen.calls, 1);
        CHECK_INTEQ(done_seen.error, 0);

        proxy_cfg = (typeof(proxy_cfg)) { .port = closed_port() };
        done_seen = (typeof(done_seen)) {};
        run_client(client_refused);
        CHECK_INTEQ(done_seen.calls, 1);
        CHECK_INTEQ(done_seen.error, -ECONNREFUSED);
        CHECK(!done_seen.started);
        CHECK(done_seen.retriable);

        backend_start(BACKEND_ECHO, 1);
        proxy_cfg.retry_port = proxy_cfg.port;
        proxy_cfg.port = closed_port();
        run_client(client_retry);
        backend_stop();
        CHECK_INTEQ(done_seen.calls, 2);
        CHECK_INTEQ(done_seen.error, 0);

        backend_start(BACKEND_SILENT, 1);
        proxy_cfg.read_timeout_usec = 300 * USEC_PER_MSEC;
        run_client(client_timeout);
        backend_stop();
        CHECK_INTEQ(done_seen.calls, 1);
        CHECK_INTEQ(done_seen.error, -ETIMEDOUT);
        CHECK(!done_seen.retriable);

        backend_start(BACKEND_SILENT, 1);
        run_client(client_disconnect);
        run_until(&done_seen.calls);
        backend_stop();
        CHECK(backend->saw_eof);
        CHECK_INTEQ(done_seen.calls, 1);
        CHECK_INTEQ(done_seen.error, -ECONNRESET);
        CHECK(!done_seen.started);
        CHECK(!done_seen.retriable);
}

/* ---- many tunnels closing at once ---- */

/* Shared with the children of the close storm (MAP_SHARED). */
typedef struct Storm {
        unsigned n;
        int listen_fd;
        uint16_t port;
        int opened;             /* set by the client once every tunnel answered 101 */
        int backend_eofs;       /* backend connections that saw corrald close them */
} Storm;

static Storm *storm;

static uint64_t now_usec(void) {
        struct timespec ts;

        REQUIRE(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static void send_all(int fd, const char *s) {
        size_t n = strlen(s);

        while (n > 0) {
                ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
                REQUIRE(k > 0);
                s += k;
                n -= (size_t) k;
        }
}

/* Reads up to the end of a response head (the tunnel carries nothing after it). */
static void read_head(int fd, char *buf, size_t size) {
        size_t len = 0;

        buf[0] = 0;
        while (!strstr(buf, "\r\n\r\n")) {
                ssize_t n;

                REQUIRE(len + 1 < size);
                n = recv(fd, buf + len, size - len - 1, 0);
                REQUIRE(n > 0);
                len += (size_t) n;
                buf[len] = 0;
        }
}

/* Answers every upgrade with 101, then waits for corrald to close each backend connection. */
static void storm_backend_main(void) {
        _cleanup_free_ int *fds = calloc(storm->n, sizeof(int));
        char buf[4096];

        REQUIRE(fds);
        for (unsigned i = 0; i < storm->n; i++) {
                fds[i] = accept4(3, NULL, NULL, SOCK_CLOEXEC);
                REQUIRE(fds[i] >= 0);
                set_timeouts(fds[i]);
                read_head(fds[i], buf, sizeof(buf));
                send_all(fds[i], "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                 "Connection: Upgrade\r\n\r\n");
        }
        for (unsigned i = 0; i < storm->n; i++) {
                if (recv(fds[i], buf, sizeof(buf), 0) == 0)
                        __atomic_add_fetch(&storm->backend_eofs, 1, __ATOMIC_SEQ_CST);
                close(fds[i]);
        }
}

/* Opens n tunnels, says 'o' on fd 3, waits for 'c', closes them all at once and says 'd'. */
static void storm_client_main(void) {
        _cleanup_free_ int *fds = calloc(storm->n, sizeof(int));
        char buf[4096], b;

        REQUIRE(fds);
        for (unsigned i = 0; i < storm->n; i++) {
                fds[i] = tcp_connect(http_server_port(server));
                send_all(fds[i], "GET /proxy/ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
                                 "Connection: Upgrade\r\n\r\n");
        }
        for (unsigned i = 0; i < storm->n; i++) {
                read_head(fds[i], buf, sizeof(buf));
                CHECK(strncmp(buf, "HTTP/1.1 101 ", 13) == 0);
        }
        REQUIRE(write(3, "o", 1) == 1);
        REQUIRE(read(3, &b, 1) == 1 && b == 'c');
        for (unsigned i = 0; i < storm->n; i++)
                close(fds[i]);
        REQUIRE(write(3, "d", 1) == 1);
}

static int storm_opened_handler(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        char b;

        if (read(fd, &b, 1) == 1 && b == 'o')
                storm->opened = 1;
        else
                storm->opened = -1;
        return sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

/* n tunnels end at once because their client closed them all. Every one of those client sockets turns
 * ready together, and sd-event dispatches one source per loop iteration; the sockets still waiting
 * must not be reported by epoll again at every iteration (with level-triggered sockets that cost
 * n²/2 events, a quadratic stall: 45 s of kernel time for 10,000 tunnels). Counted, not timed. */
static void test_close_storm(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);
        sd_event_source *src = NULL;
        struct rlimit rl;
        pid_t client, backend_pid;
        unsigned n = 400;
        uint64_t deadline;
        int sp[2];
        char b;

        /* corrald needs two fds per tunnel; each child holds one per tunnel. */
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
                (void) getrlimit(RLIMIT_NOFILE, &rl);
        }
        if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 2 * n + 100)
                n = rl.rlim_cur > 300 ? (unsigned) (rl.rlim_cur - 100) / 2 : 100;

        storm = mmap(NULL, sizeof(Storm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        REQUIRE(storm != MAP_FAILED);
        *storm = (Storm) { .n = n };
        storm->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(storm->listen_fd >= 0);
        REQUIRE(bind(storm->listen_fd, (struct sockaddr *) &sa, sizeof(sa)) == 0);
        REQUIRE(listen(storm->listen_fd, SOMAXCONN) == 0);
        REQUIRE(getsockname(storm->listen_fd, (struct sockaddr *) &sa, &len) == 0);
        proxy_cfg = (typeof(proxy_cfg)) { .port = ntohs(sa.sin_port) };
        done_seen = (typeof(done_seen)) {};
        backend_pid = fork_child(storm_backend_main, storm->listen_fd);
        storm->listen_fd = safe_close(storm->listen_fd);

        REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0);
        client = fork_child(storm_client_main, sp[1]);
        sp[1] = safe_close(sp[1]);
        REQUIRE(sd_event_add_io(event, &src, sp[0], EPOLLIN, storm_opened_handler, NULL) >= 0);
        deadline = now_usec() + 20 * USEC_PER_SEC;
        while (storm->opened == 0 && now_usec() < deadline)
                REQUIRE(sd_event_run(event, 10 * USEC_PER_MSEC) >= 0);
        src = sd_event_source_disable_unref(src);
        REQUIRE(storm->opened == 1);
        CHECK_INTEQ(http_server_n_connections(server), n);

        /* All n FINs are in before the loop looks again. */
        REQUIRE(write(sp[0], "c", 1) == 1);
        REQUIRE(read(sp[0], &b, 1) == 1 && b == 'd');
        epoll_seen = (typeof(epoll_seen)) { .on = true };
        deadline = now_usec() + 20 * USEC_PER_SEC;
        while (http_server_n_connections(server) > 0 && now_usec() < deadline)
                REQUIRE(sd_event_run(event, 10 * USEC_PER_MSEC) >= 0);
        epoll_seen.on = false;

        CHECK_INTEQ(http_server_n_connections(server), 0);
        CHECK_INTEQ(done_seen.calls, n);
        CHECK(epoll_seen.calls > 0); /* else the hook above is not in sd-event's path */
        /* Linear: about one event per closing client socket (old code: n²/2 and more). */
        if (epoll_seen.events > 4 * (unsigned long) n + 64) {
                fprintf(stderr, "%s:%d: closing %u tunnels: %lu epoll_wait() calls reported %lu events\n", __FILE__,
                        __LINE__, n, epoll_seen.calls, epoll_seen.events);
                test_failures++;
        }
        wait_child(client);
        wait_child(backend_pid);
        CHECK_INTEQ(storm->backend_eofs, n);
        safe_close(sp[0]);
        (void) munmap(storm, sizeof(Storm));
}

/* ---- timeouts, Unix socket, teardown ---- */

static void client_slow(void) {
        Client *c = client_new();
        Response *r;
        struct timespec a, b;

        /* A partial head is cut off after the head timeout. */
        clock_gettime(CLOCK_MONOTONIC, &a);
        send_str(c->fd, "GET / HTT");
        CHECK(client_closed(c));
        clock_gettime(CLOCK_MONOTONIC, &b);
        CHECK(b.tv_sec - a.tv_sec < 3);
        client_free(c);

        /* An idle keep-alive connection is closed after the idle timeout. */
        c = client_new();
        r = request(c, "GET /x HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_INTEQ(r->status, 200);
        response_free(r);
        CHECK(client_closed(c));
        client_free(c);
}

static void client_unix(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        Client *c = calloc(1, sizeof(Client));
        Response *r;

        REQUIRE(c);
        strcpy(sa.sun_path, unix_path);
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(c->fd >= 0);
        REQUIRE(connect(c->fd, (struct sockaddr *) &sa, sizeof(sa)) == 0);
        set_timeouts(c->fd);
        r = request(c, "GET /local HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_STREQ(r->body, "local=1 peer=local");
        response_free(r);
        client_free(c);

        c = client_new();
        r = request(c, "GET /local HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK_STREQ(r->body, "local=0 peer=127.0.0.1");
        response_free(r);
        client_free(c);
}

static void client_hang(void) {
        Client *c = client_new();

        send_str(c->fd, "GET /proxy/slow HTTP/1.1\r\nHost: t\r\n\r\n");
        /* The server goes away under us. */
        CHECK(client_closed(c));
        client_free(c);
}

static void test_free_with_proxy(void) {
        pid_t pid;

        backend_start(BACKEND_SILENT, 1);
        pid = fork_child(client_hang, -1);
        run_until(&backend->accepted);
        for (int i = 0; i < 5; i++)
                REQUIRE(sd_event_run(event, 10 * USEC_PER_MSEC) >= 0);
        CHECK_INTEQ(http_server_n_connections(server), 1);
        server = http_server_free(server);
        CHECK_INTEQ(done_seen.calls, 1);
        CHECK_INTEQ(done_seen.error, -ECANCELED);
        wait_child(pid);
        backend_stop();
        CHECK(backend->saw_eof);
}

static void test_url_decode(void) {
        char *s = NULL;

        CHECK(http_url_decode("/a%20b%2Fc", &s) == 0);
        CHECK_STREQ(s, "/a b/c");
        free(s);
        CHECK(http_url_decode("%zz", &s) == -EINVAL);
        CHECK(http_url_decode("%2", &s) == -EINVAL);
        CHECK(http_url_decode("a%00", &s) == -EINVAL);
}

int main(void) {
        const char *base = getenv("CORRAL_TEST_TMP");
        struct stat st;
        char p[PATH_MAX + 64];

        if (!base || mkdir_p(base, 0755) < 0)
                base = "/tmp";
        (void) snprintf(tmpdir, sizeof(tmpdir), "%s/test-http.XXXXXX", base);
        REQUIRE(mkdtemp(tmpdir));
        write_file("index.html", "<p>hi</p>", 9);
        write_file("style.CSS", "p{}", 3);
        write_file("font.woff2", "w", 1);
        (void) snprintf(p, sizeof(p), "%s/subdir", tmpdir);
        REQUIRE(mkdir(p, 0755) == 0);
        (void) snprintf(p, sizeof(p), "%s/link.html", tmpdir);
        REQUIRE(symlink("index.html", p) == 0);
        (void) snprintf(unix_path, sizeof(unix_path), "%s/http.sock", tmpdir);

        test_url_decode();
        backend = mmap(NULL, sizeof(Backend), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        REQUIRE(backend != MAP_FAILED);

        REQUIRE(sd_event_default(&event) >= 0);
        CHECK(http_server_new(event, "nonsense", NULL, &handler, NULL, &server) == -EINVAL);
        REQUIRE(http_server_new(event, "127.0.0.1:0", unix_path, &handler, NULL, &server) == 0);
        CHECK(http_server_port(server) > 0);
        CHECK(stat(unix_path, &st) == 0 && (st.st_mode & 0777) == 0600);

        run_client(client_basic);
        run_client(client_errors);
        run_client(client_files);
        test_proxy_rewrite();
        test_proxy();
        run_client(client_unix);

        http_server_set_timeouts(server, 300 * USEC_PER_MSEC, 300 * USEC_PER_MSEC);
        run_client(client_slow);
        http_server_set_timeouts(server, 0, 0);
        /* Let the server notice the closed connections before counting. */
        for (int i = 0; i < 5; i++)
                REQUIRE(sd_event_run(event, 10 * USEC_PER_MSEC) >= 0);
        CHECK_INTEQ(http_server_n_connections(server), 0);

        test_close_storm();
        test_free_with_proxy();
        CHECK(access(unix_path, F_OK) < 0);

        sd_event_unref(event);
        (void) munmap(backend, sizeof(Backend));
        (void) rm_rf(tmpdir);
        return TEST_RESULT();
}
