/* SPDX-License-Identifier: MIT */
/* corralctl against a fake corrald: a small blocking HTTP server (forked child) on a Unix socket and
 * on 127.0.0.1 that serves canned JSON for deploy, list, show, ps and stop.
 * Usage: test-corralctl-deploy /path/to/corralctl */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl-util.h"
#include "fs-util.h"

#define ASSERT(expr)                                                                    \
        do {                                                                            \
                if (!(expr)) {                                                          \
                        fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__,      \
                                __LINE__, #expr);                                       \
                        abort();                                                        \
                }                                                                       \
        } while (0)

static const char *corralctl;
static char *tmp_root, *sock_path, *log_path, *app_dir;
static int tcp_port;

/* ---------------------------------------------------------------- the fake server */

static const char *APP_GOOD =
        "{\"id\": 7, \"guid\": \"guid-good\", \"name\": \"good-app\", \"title\": \"Good App\", "
        "\"app_mode\": \"shiny\", \"run_as\": null, \"bundle_id\": 3, "
        "\"url\": \"http://localhost/content/guid-good/\", \"created\": \"2024-05-01T10:00:00Z\"}";
static const char *APP_BROKEN =
        "{\"id\": 8, \"guid\": \"guid-broken\", \"name\": \"broken\", \"title\": \"Broken\", "
        "\"app_mode\": null, \"run_as\": \"ana\", \"bundle_id\": null, "
        "\"url\": \"http://localhost/content/guid-broken/\", \"created\": \"2024-05-02T10:00:00Z\"}";
static const char *PROC_ACTIVE =
        "{\"key\": \"k1\", \"guid\": \"guid-good\", \"tag\": \"run_app\", "
        "\"unit\": \"corral-run_app-guidgood-k1.service\", \"pid\": 123, \"run_as\": \"corral\", "
        "\"hostname\": \"h\", \"state\": \"active\", \"started\": \"2024-05-01T10:00:00Z\", "
        "\"ended\": null, \"exit_code\": null, \"signal\": null, \"cause\": null}";
static const char *PROC_ENDED =
        "{\"key\": \"k2\", \"guid\": \"guid-broken\", \"tag\": \"run_app\", "
        "\"unit\": \"corral-run_app-guidbrok-k2.service\", \"pid\": null, \"run_as\": \"ana\", "
        "\"hostname\": \"h\", \"state\": \"finished\", \"started\": \"2024-05-01T09:00:00Z\", "
        "\"ended\": \"2024-05-01T09:30:00Z\", \"exit_code\": null, \"signal\": 15, \"cause\": \"idle\"}";

typedef struct Request {
        char method[16];
        char path[512];
        char content_type[128];
        char authorization[128];
        char *body;
        size_t body_size;
        bool tcp;
} Request;

static void respond(int fd, int status, const char *fmt, ...) _printf_(3, 4);
static void respond(int fd, int status, const char *fmt, ...) {
        _cleanup_free_ char *body = NULL, *msg = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        ASSERT(vasprintf(&body, fmt, ap) >= 0);
        va_end(ap);
        n = asprintf(&msg, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s", status, strlen(body), body);
        ASSERT(n >= 0);
        (void) !write(fd, msg, (size_t) n);
}

static bool header_value(const char *headers, const char *name, char *buf, size_t size) {
        size_t n = strlen(name);

        for (const char *p = strstr(headers, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
                const char *line = p + 2;
                if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
                        const char *v = line + n + 1, *end = strstr(v, "\r\n");
                        while (*v == ' ')
                                v++;
                        (void) snprintf(buf, size, "%.*s", (int) (end - v), v);
                        return true;
                }
        }
        return false;
}

static bool read_request(int fd, Request *req) {
        char head[16384];
        size_t have = 0, header_len;
        char *end, cl[32] = "0";
        ssize_t k;

        for (;;) {
                k = read(fd, head + have, sizeof head - 1 - have);
                if (k <= 0)
                        return false;
                have += (size_t) k;
                head[have] = '\0';
                end = strstr(head, "\r\n\r\n");
                if (end)
                        break;
                if (have == sizeof head - 1)
                        return false;
        }
        header_len = (size_t) (end - head) + 4;
        end[2] = '\0';

        if (sscanf(head, "%15s %511s", req->method, req->path) != 2)
                return false;
        (void) header_value(head, "Content-Length", cl, sizeof cl);
        (void) header_value(head, "Content-Type", req->content_type, sizeof req->content_type);
        (void) header_value(head, "Authorization", req->authorization, sizeof req->authorization);

        req->body_size = strtoul(cl, NULL, 10);
        req->body = calloc(1, req->body_size + 1);
        ASSERT(req->body);
        memcpy(req->body, head + header_len, have - header_len);
        for (size_t got = have - header_len; got < req->body_size; got += (size_t) k) {
                k = read(fd, req->body + got, req->body_size - got);
                if (k <= 0)
                        return false;
        }
        return true;
}

static void log_request(const Request *req) {
        FILE *f = fopen(log_path, "ae");

        ASSERT(f);
        fprintf(f, "%s %s %s auth='%s'", req->tcp ? "tcp" : "unix", req->method, req->path, req->authorization);
        if (streq(req->content_type, "application/json"))
                fprintf(f, " json=%s", req->body);
        else if (req->body_size > 0)
                fprintf(f, " type=%s size=%zu", req->content_type, req->body_size);
        fputc('\n', f);
        fclose(f);
}

static void route(int fd, const Request *req) {
        const char *p = req->path;
        bool get = streq(req->method, "GET"), post = streq(req->method, "POST");

        if (req->tcp && !streq(req->authorization, "Key s3cret"))
                return respond(fd, 401, "{\"error\": \"Unauthorized\"}");
        if (!req->tcp && req->authorization[0])
                return respond(fd, 400, "{\"error\": \"a key over the socket\"}");

        if (get && streq(p, "/__api__/server_settings"))
                return respond(fd, 200, "{\"version\": \"fake\"}");
        if (get && streq(p, "/__api__/applications"))
                return respond(fd, 200, "[%s, %s]", APP_GOOD, APP_BROKEN);
        if (get && streq(p, "/__api__/applications/guid-good"))
                return respond(fd, 200, "%s", APP_GOOD);
        if (get && strncmp(p, "/__api__/applications/", 22) == 0)
                return respond(fd, 404, "{\"error\": \"Content '%s' not found\"}", p + 22);
        if (post && streq(p, "/__api__/applications")) {
                json_t *j = json_loads(req->body, 0, NULL);
                bool broken = j && streq(json_string_value(json_object_get(j, "title")) ?: "", "Broken");
                json_decref(j);
                return respond(fd, 200, "%s", broken ? APP_BROKEN : APP_GOOD);
        }
        if (post && (streq(p, "/__api__/applications/7/upload") || streq(p, "/__api__/applications/8/upload"))) {
                if (!streq(req->content_type, "application/x-gzip") || req->body_size < 2 ||
                    (unsigned char) req->body[0] != 0x1f || (unsigned char) req->body[1] != 0x8b)
                        return respond(fd, 400, "{\"error\": \"bad upload\"}");
                return respond(fd, 200, "{\"id\": 3, \"app_id\": %c, \"size\": %zu}", p[22], req->body_size);
        }
        if (post && streq(p, "/__api__/applications/7/deploy"))
                return respond(fd, 200, "{\"task_id\": \"task-ok\", \"id\": \"task-ok\"}");
        if (post && streq(p, "/__api__/applications/8/deploy"))
                return respond(fd, 200, "{\"task_id\": \"task-fail\", \"id\": \"task-fail\"}");
        if (get && streq(p, "/__api__/tasks/task-ok?first_status=0"))
                return respond(fd, 200, "{\"id\": \"task-ok\", \"status\": [\"Building bundle\", \"Installing packages\"], "
                               "\"last_status\": 2, \"finished\": false, \"code\": 0, \"error\": \"\"}");
        if (get && streq(p, "/__api__/tasks/task-ok?first_status=2"))
                return respond(fd, 200, "{\"id\": \"task-ok\", \"status\": [\"Launching\", \"Deployed\"], "
                               "\"last_status\": 4, \"finished\": true, \"code\": 0, \"error\": \"\"}");
        if (get && streq(p, "/__api__/tasks/task-fail?first_status=0"))
                return respond(fd, 200, "{\"id\": \"task-fail\", \"status\": [\"Installing packages\"], "
                               "\"last_status\": 1, \"finished\": false, \"code\": 0, \"error\": \"\"}");
        if (get && streq(p, "/__api__/tasks/task-fail?first_status=1"))
                return respond(fd, 200, "{\"id\": \"task-fail\", \"status\": [\"Error: no package 'nope'\"], "
                               "\"last_status\": 2, \"finished\": true, \"code\": 1, "
                               "\"error\": \"Package 'nope' is not available\"}");
        if (get && streq(p, "/__api__/processes"))
                return respond(fd, 200, "[%s, %s]", PROC_ACTIVE, PROC_ENDED);
        if (get && streq(p, "/__api__/processes?content=guid-good"))
                return respond(fd, 200, "[%s]", PROC_ACTIVE);
        if (post && streq(p, "/__api__/processes/k1/stop"))
                return respond(fd, 200, "{\"stopped\": true}");
        return respond(fd, 404, "{\"error\": \"Not found: %s %s\"}", req->method, p);
}

static _noreturn_ void serve(int unix_fd, int tcp_fd) {
        for (;;) {
                struct pollfd pfd[2] = { { .fd = unix_fd, .events = POLLIN }, { .fd = tcp_fd, .events = POLLIN } };
                Request req = {};
                int fd;

                if (poll(pfd, 2, -1) < 0)
                        _exit(EXIT_FAILURE);
                req.tcp = !(pfd[0].revents & POLLIN);
                fd = accept4(req.tcp ? tcp_fd : unix_fd, NULL, NULL, SOCK_CLOEXEC);
                if (fd < 0)
                        continue;
                if (read_request(fd, &req)) {
                        log_request(&req);
                        route(fd, &req);
                }
                free(req.body);
                (void) shutdown(fd, SHUT_WR);
                (void) close(fd);
        }
}

static pid_t start_server(void) {
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof in;
        int unix_fd, tcp_fd;
        pid_t pid;

        ASSERT(strlen(sock_path) < sizeof un.sun_path);
        strcpy(un.sun_path, sock_path);
        unix_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT(unix_fd >= 0);
        ASSERT(bind(unix_fd, (struct sockaddr *) &un, sizeof un) == 0);
        ASSERT(listen(unix_fd, 16) == 0);

        tcp_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT(tcp_fd >= 0);
        ASSERT(bind(tcp_fd, (struct sockaddr *) &in, sizeof in) == 0);
        ASSERT(listen(tcp_fd, 16) == 0);
        ASSERT(getsockname(tcp_fd, (struct sockaddr *) &in, &len) == 0);
        tcp_port = ntohs(in.sin_port);

        pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0)
                serve(unix_fd, tcp_fd);
        (void) close(unix_fd);
        (void) close(tcp_fd);
        return pid;
}

/* ---------------------------------------------------------------- running corralctl */

typedef struct Result {
        int status;      /* exit status, or 128+signal */
        char *out;
        char *err;
} Result;

static void result_done(Result *r) {
        free(r->out);
        free(r->err);
        *r = (Result) {};
}

static char *slurp(const char *path) {
        char *s = NULL;

        ASSERT(read_full_file(path, 16 * 1024 * 1024, &s, NULL) >= 0);
        return s;
}

/* Runs corralctl with argv (NULL-terminated, without argv[0]); env entries "NAME=VALUE" are set. */
static Result run_ctl(const char * const *env, const char * const *args) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        Result res = {};
        int status;
        pid_t pid;

        ASSERT(asprintf(&out, "%s/stdout", tmp_root) >= 0);
        ASSERT(asprintf(&err, "%s/stderr", tmp_root) >= 0);

        pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
                const char *argv[32] = { "corralctl" };
                size_t n = 1;
                int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                int e = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

                if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
                        _exit(99);
                for (; args[n - 1] && n < ELEMENTSOF(argv) - 1; n++)
                        argv[n] = args[n - 1];
                argv[n] = NULL;
                for (; env && *env; env++)
                        (void) putenv((char *) *env);
                execv(corralctl, (char **) argv);
                _exit(98);
        }
        ASSERT(waitpid(pid, &status, 0) == pid);
        res.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        res.out = slurp(out);
        res.err = slurp(err);
        return res;
}

#define CTL(res, env, ...) \
        (res) = run_ctl((env), (const char * const[]) { __VA_ARGS__, NULL })
#define CTL_SOCK(res, ...) CTL(res, NULL, "--socket", sock_path, __VA_ARGS__)

static void expect(const Result *r, int status, const char *out_has, const char *err_has) {
        if (r->status == status && (!out_has || strstr(r->out, out_has)) && (!err_has || strstr(r->err, err_has)))
                return;
        fprintf(stderr, "expected status %d, stdout with '%s', stderr with '%s'; got %d\n--- stdout:\n%s--- stderr:\n%s",
                status, out_has ?: "", err_has ?: "", r->status, r->out, r->err);
        abort();
}

static char *last_line(const char *s) {
        size_t n = strlen(s);
        const char *start;

        ASSERT(n > 0 && s[n - 1] == '\n');
        for (start = s + n - 1; start > s && start[-1] != '\n'; start--)
                ;
        return strndup(start, (size_t) (s + n - 1 - start));
}

static void truncate_log(void) {
        ASSERT(write_file_atomic(log_path, "", 0, 0644) >= 0);
}

static char *read_log(void) {
        return slurp(log_path);
}

/* ---------------------------------------------------------------- tests */

static void test_deploy_new(void) {
        _cleanup_free_ char *last = NULL, *log = NULL;
        Result r;

        truncate_log();
        CTL_SOCK(r, "deploy", app_dir, "--title", "Good App");
        expect(&r, 0, NULL, "Uploaded bundle 3");
        ASSERT(streq(r.out, "Building bundle\nInstalling packages\nLaunching\nDeployed\nguid-good\n"));
        last = last_line(r.out);
        ASSERT(streq(last, "guid-good"));

        log = read_log();
        ASSERT(strstr(log, "unix POST /__api__/applications auth='' json={\"name\":\"good-app\",\"title\":\"Good App\"}\n"));
        ASSERT(strstr(log, "unix POST /__api__/applications/7/upload auth='' type=application/x-gzip size="));
        ASSERT(strstr(log, "unix POST /__api__/applications/7/deploy auth='' json={\"bundle\":3}\n"));
        ASSERT(strstr(log, "GET /__api__/tasks/task-ok?first_status=0"));
        ASSERT(strstr(log, "GET /__api__/tasks/task-ok?first_status=2"));
        result_done(&r);
        printf("ok: deploy DIR as new content, GUID last\n");
}

static void test_deploy_default_title(void) {
        _cleanup_free_ char *log = NULL;
        Result r;

        truncate_log();
        CTL_SOCK(r, "deploy", app_dir);
        expect(&r, 0, "guid-good\n", NULL);
        log = read_log();
        ASSERT(strstr(log, "json={\"name\":\"my-app\",\"title\":\"My App\"}"));
        result_done(&r);
        printf("ok: deploy takes name and title from the directory\n");
}

static void test_deploy_failed(void) {
        Result r;

        CTL_SOCK(r, "deploy", app_dir, "--title", "Broken");
        expect(&r, 1, "Installing packages\nError: no package 'nope'\n", "corralctl: Deploy failed: Package 'nope' is not available");
        ASSERT(!strstr(r.out, "guid-broken"));
        result_done(&r);
        printf("ok: failed deploy task exits non-zero with the error\n");
}

static void test_deploy_existing(void) {
        _cleanup_free_ char *log = NULL, *tgz = NULL, *data = NULL;
        size_t size;
        Result r;

        truncate_log();
        CTL_SOCK(r, "deploy", "--content", "guid-good", "--mode", "api", app_dir);
        expect(&r, 0, "Deployed\nguid-good\n", NULL);
        log = read_log();
        ASSERT(strstr(log, "unix GET /__api__/applications/guid-good"));
        ASSERT(!strstr(log, "POST /__api__/applications auth"));
        ASSERT(strstr(log, "json={\"bundle\":3,\"app_mode\":\"api\"}"));
        result_done(&r);

        CTL_SOCK(r, "deploy", "--content", "nope", app_dir);
        expect(&r, 1, NULL, "corralctl: Content 'nope' not found\n");
        result_done(&r);

        /* A .tar.gz goes up as it is: upload one and compare sizes. */
        ASSERT(asprintf(&tgz, "%s/b.tar.gz", tmp_root) >= 0);
        data = strdup("\x1f\x8b not really gzip but the server only checks the magic");
        size = strlen(data);
        ASSERT(write_file_atomic(tgz, data, size, 0644) >= 0);
        truncate_log();
        free(log);
        CTL_SOCK(r, "deploy", tgz, "--content", "guid-good");
        expect(&r, 0, "guid-good\n", NULL);
        log = read_log();
        {
                _cleanup_free_ char *want = NULL;
                ASSERT(asprintf(&want, "type=application/x-gzip size=%zu\n", size) >= 0);
                ASSERT(strstr(log, want));
        }
        result_done(&r);
        printf("ok: deploy to existing content, with --mode, and of a .tar.gz\n");
}

static void test_read_verbs(void) {
        Result r;
        json_t *j;

        CTL_SOCK(r, "list");
        expect(&r, 0, NULL, NULL);
        ASSERT(streq(r.out,
                     "GUID         MODE   TITLE     BUNDLE  URL\n"
                     "guid-good    shiny  Good App  3       http://localhost/content/guid-good/\n"
                     "guid-broken  -      Broken    -       http://localhost/content/guid-broken/\n"));
        result_done(&r);

        CTL_SOCK(r, "list", "--json");
        expect(&r, 0, NULL, NULL);
        j = json_loads(r.out, 0, NULL);
        ASSERT(json_is_array(j) && json_array_size(j) == 2);
        json_decref(j);
        result_done(&r);

        CTL_SOCK(r, "show", "guid-good");
        expect(&r, 0, "guid:      guid-good\n", NULL);
        ASSERT(strstr(r.out, "run_as:    -\n"));
        ASSERT(strstr(r.out, "bundle_id: 3\n"));
        result_done(&r);

        CTL_SOCK(r, "show", "guid-good", "--json");
        expect(&r, 0, NULL, NULL);
        j = json_loads(r.out, 0, NULL);
        ASSERT(json_is_object(j) && json_integer_value(json_object_get(j, "id")) == 7);
        json_decref(j);
        result_done(&r);

        CTL_SOCK(r, "show", "missing");
        expect(&r, 1, NULL, "corralctl: Content 'missing' not found\n");
        result_done(&r);

        CTL_SOCK(r, "ps");
        expect(&r, 0, NULL, NULL);
        ASSERT(streq(r.out,
                     "KEY  TAG      UNIT                                PID  USER    STATE     STARTED               EXIT/CAUSE\n"
                     "k1   run_app  corral-run_app-guidgood-k1.service  123  corral  active    2024-05-01T10:00:00Z  -\n"
                     "k2   run_app  corral-run_app-guidbrok-k2.service  -    ana     finished  2024-05-01T09:00:00Z  SIGTERM (idle)\n"));
        result_done(&r);

        CTL_SOCK(r, "ps", "guid-good");
        expect(&r, 0, "k1 ", NULL);
        ASSERT(!strstr(r.out, "k2 "));
        result_done(&r);

        CTL_SOCK(r, "stop", "k1");
        expect(&r, 0, NULL, NULL);
        ASSERT(streq(r.out, ""));
        result_done(&r);

        CTL_SOCK(r, "stop", "k9");
        expect(&r, 1, NULL, "corralctl: Not found: POST /__api__/processes/k9/stop\n");
        result_done(&r);
        printf("ok: list, show, ps, stop, with and without --json\n");
}

static void test_server_and_key(void) {
        _cleanup_free_ char *server = NULL, *server_env = NULL, *log = NULL;
        Result r;

        ASSERT(asprintf(&server, "http://127.0.0.1:%d/", tcp_port) >= 0);
        ASSERT(asprintf(&server_env, "CORRAL_SERVER=%s", server) >= 0);

        truncate_log();
        CTL(r, ((const char *[]) { "CORRAL_API_KEY=s3cret", NULL }), "--server", server, "list");
        expect(&r, 0, "guid-good", NULL);
        result_done(&r);
        log = read_log();
        ASSERT(strstr(log, "tcp GET /__api__/applications auth='Key s3cret'"));

        CTL(r, ((const char *[]) { server_env, NULL }), "list");
        expect(&r, 1, NULL, "corralctl: Unauthorized (no CORRAL_API_KEY set)\n");
        result_done(&r);

        CTL(r, ((const char *[]) { server_env, "CORRAL_API_KEY=wrong", NULL }), "list");
        expect(&r, 1, NULL, "corralctl: Unauthorized\n");
        result_done(&r);
        printf("ok: --server and $CORRAL_SERVER with $CORRAL_API_KEY\n");
}

static void test_errors(void) {
        _cleanup_free_ char *script = NULL, *env = NULL;
        Result r;

        CTL(r, NULL, "--socket", "/nonexistent/corral.sock", "list");
        expect(&r, 1, NULL, "'/nonexistent/corral.sock'");
        ASSERT(strstr(r.err, "Is corrald running?"));
        result_done(&r);

        CTL(r, NULL, "--server", "http://127.0.0.1:1", "ps");
        expect(&r, 1, NULL, "'http://127.0.0.1:1'");
        result_done(&r);

        CTL_SOCK(r, "frobnicate");
        expect(&r, 2, NULL, "Unknown command 'frobnicate'");
        result_done(&r);

        CTL_SOCK(r, "list", "--frobnicate");
        expect(&r, 2, NULL, "Unknown option '--frobnicate'");
        result_done(&r);

        CTL_SOCK(r, "show");
        expect(&r, 2, NULL, NULL);
        result_done(&r);

        CTL_SOCK(r, "config", "frob");
        expect(&r, 2, NULL, NULL);
        result_done(&r);

        CTL(r, NULL, "--help");
        expect(&r, 0, "deploy DIR|FILE.tar.gz", NULL);
        result_done(&r);

        CTL(r, NULL, "--version");
        expect(&r, 0, "corralctl ", NULL);
        result_done(&r);

        /* config check runs corrald and passes its output and exit status on. */
        ASSERT(asprintf(&script, "%s/fake-corrald", tmp_root) >= 0);
        {
                static const char sh[] = "#!/bin/sh\necho \"checked $*\"\nexit 3\n";
                ASSERT(write_file_atomic(script, sh, strlen(sh), 0755) >= 0);
        }
        ASSERT(asprintf(&env, "CORRALD=%s", script) >= 0);
        CTL(r, ((const char *[]) { env, NULL }), "config", "check", "/etc/corral/corral.yaml");
        expect(&r, 3, "checked --check --config /etc/corral/corral.yaml\n", NULL);
        result_done(&r);
        printf("ok: connection failures, usage errors, config check\n");
}

int main(int argc, char *argv[]) {
        const char *base = getenv("CORRAL_TEST_TMP") ?: "/tmp";
        pid_t server;
        char *t;

        if (argc != 2) {
                fprintf(stderr, "Usage: %s /path/to/corralctl\n", argv[0]);
                return 77;
        }
        corralctl = argv[1];
        (void) unsetenv("CORRAL_SERVER");
        (void) unsetenv("CORRAL_API_KEY");
        (void) unsetenv("CORRALD");

        ASSERT(mkdir_p(base, 0755) >= 0);
        ASSERT(asprintf(&t, "%s/corralctl-deploy-XXXXXX", base) >= 0);
        ASSERT(mkdtemp(t));
        tmp_root = t;
        /* Unix socket paths are short; fall back to /tmp when the build dir is deep. */
        ASSERT(asprintf(&sock_path, "%s/s", tmp_root) >= 0);
        if (strlen(sock_path) >= sizeof(((struct sockaddr_un *) NULL)->sun_path)) {
                free(sock_path);
                sock_path = strdup("/tmp/corralctl-test-XXXXXX");
                ASSERT(sock_path && mkdtemp(sock_path));
                ASSERT(asprintf(&t, "%s/s", sock_path) >= 0);
                free(sock_path);
                sock_path = t;
        }
        ASSERT(asprintf(&log_path, "%s/requests.log", tmp_root) >= 0);
        ASSERT(asprintf(&app_dir, "%s/My App", tmp_root) >= 0);
        ASSERT(mkdir_p(app_dir, 0755) >= 0);
        {
                _cleanup_free_ char *p = NULL;
                ASSERT(path_join(app_dir, "app.R", &p) >= 0);
                ASSERT(write_file_atomic(p, "library(shiny)\n", 15, 0644) >= 0);
        }
        truncate_log();

        server = start_server();

        test_deploy_new();
        test_deploy_default_title();
        test_deploy_failed();
        test_deploy_existing();
        test_read_verbs();
        test_server_and_key();
        test_errors();

        ASSERT(kill(server, SIGTERM) == 0);
        ASSERT(waitpid(server, NULL, 0) == server);
        (void) unlink(sock_path);
        (void) rm_rf(tmp_root);
        return 0;
}
