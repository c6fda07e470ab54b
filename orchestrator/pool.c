/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs-util.h"
#include "log.h"
#include "pool.h"
#include "runas.h"
#include "runner.h"
#include "content-settings.h"
#include "sandbox.h"
#include "scheduler.h"
#include "store-users.h"
#include "strv.h"
#include "jobs.h"
#include "credcache.h"
#include "pam-auth.h"
#include "unit-builder.h"
#include "unit-journal.h"
#include "worker.h"
#include "unit-name.h"

#define PROBE_INTERVAL_USEC (50 * USEC_PER_MSEC)
#define MAX_PROXY_ATTEMPTS 3
#define SESSION_COOKIE "corral_session"
#define BACKOFF_MAX_USEC (60 * USEC_PER_SEC)

typedef struct Process Process;
typedef struct Waiter Waiter;
typedef struct Visit Visit;

struct Process {
        Pool *pool;
        Process *next;
        char key[JOB_KEY_LENGTH + 1];
        char *unit;
        SchedProcState state;
        unsigned connections;
        uint16_t port;
        uint32_t pid;
        int64_t bundle_id;
        char *workspace;
        char *credential;         /* root-only file with the content's environment, or NULL */
        char *stop_cause;         /* set when corrald decided to stop it */
        char *start_error;        /* systemd refused the start */
        sd_event_source *probe_timer;
        sd_event_source *init_timer;
        sd_event_source *idle_timer;
};

struct Waiter {
        Waiter *next;
        Visit *visit;
        sd_event_source *timeout;
};

struct Pool {
        Manager *manager;
        Pool *next;
        int64_t content_id;
        char *guid;
        char *title;
        char *prefix;             /* "/content/<guid>" */
        char *base_url;           /* Server.Address + "content/<guid>/" */
        char *user;               /* current-user pools: the visitor all processes run as; NULL = RunAs */
        ProcessKind kind;         /* what its processes run: the content's app, or its parameter form */
        SchedulerSettings settings; /* the server's, with this content's overrides */
        Process *processes;
        Waiter *waiters;          /* FIFO */
        unsigned pending_starts;  /* starts waiting for PAM credentials (count as starting) */
        unsigned failures;        /* processes in a row that ended before they were ready */
        uint64_t backoff_until;   /* CLOCK_MONOTONIC usec: no new start before */
        char *last_failed_unit;
        sd_event_source *backoff_timer;
};

/* One request on its way to a process: waiting, proxied, or retried. Pools live as long as
 * corrald; a process may be gone when its exchange ends, so it is looked up by key, never held
 * by pointer. */
struct Visit {
        Pool *pool;
        HttpRequest *req;
        char key[JOB_KEY_LENGTH + 1];
        unsigned attempts;
        char *credentials;        /* RStudio-Connect-Credentials value */
};

static void visit_free(Visit *v) {
        if (!v)
                return;
        free(v->credentials);
        free(v);
}

/* Answers the visit's request with an error page and frees the visit. */
static void visit_fail(Visit *v, int status, const char *message) {
        (void) http_request_respond_error(v->req, status, message);
        visit_free(v);
}

static void pool_dispatch_waiters(Pool *pool);
static int process_start(Pool *pool, const Content *content, char **ret_error);
static int process_launch(Pool *pool, const Content *c, char * const *extra_env, char **ret_error);
static void route_request(Visit *v);
static void process_arm_idle(Process *p);
static void pool_ensure_min(Pool *pool);
static void pool_kick_all(Manager *m);
static void pool_note_failure(Pool *pool, const char *unit);

static Pool *pool_find(Manager *m, int64_t content_id, const char *user, ProcessKind kind) {
        for (Pool *p = m->pools; p; p = p->next)
                if (p->content_id == content_id && p->kind == kind &&
                    (p->user && user ? streq(p->user, user) : p->user == user))
                        return p;
        return NULL;
}

/* Recomputes the pool's settings from the server's and the content's overrides. */
static void pool_refresh_settings(Pool *p, const Content *c) {
        json_t *o = c->settings ? json_loads(c->settings, 0, NULL) : NULL;
        content_settings_apply(&p->manager->config->scheduler, o, &p->settings);
        json_decref(o);
}

/* The pool of content c's processes of kind (the app's own kind for -EINVAL), for user. */
static Pool *pool_get_kind(Manager *m, const Content *c, const char *user, ProcessKind kind) {
        if (kind < 0)
                kind = process_kind_for_app_mode(c->app_mode);
        Pool *p = pool_find(m, c->id, user, kind);
        if (p) {
                pool_refresh_settings(p, c);
                return p;
        }
        p = calloc(1, sizeof *p);
        if (!p)
                return NULL;
        p->manager = m;
        p->content_id = c->id;
        p->kind = kind;
        p->user = user ? strdup(user) : NULL;
        p->guid = strdup(c->guid);
        p->title = strdup(c->title);
        const char *addr = m->config->server_address;
        size_t n = strlen(addr);
        /* The parameter form lives under the report's own URL. */
        const char *sub = kind == PROCESS_CONFIGURE_REPORT ? "/" PARAMETERS_PATH : "";
        if (asprintf(&p->prefix, "/content/%s%s", c->guid, sub) < 0)
                p->prefix = NULL;
        if (asprintf(&p->base_url, "%s%scontent/%s%s/", addr, n > 0 && addr[n - 1] == '/' ? "" : "/", c->guid, sub) < 0)
                p->base_url = NULL;
        if (!p->guid || !p->title || !p->prefix || !p->base_url || (user && !p->user)) {
                free(p->user);
                free(p->guid);
                free(p->title);
                free(p->prefix);
                free(p->base_url);
                free(p);
                return NULL;
        }
        pool_refresh_settings(p, c);
        p->next = m->pools;
        m->pools = p;
        return p;
}

static Pool *pool_get(Manager *m, const Content *c, const char *user) {
        return pool_get_kind(m, c, user, _PROCESS_KIND_INVALID);
}

static Process *process_find_unit(Manager *m, const char *unit) {
        for (Pool *pool = m->pools; pool; pool = pool->next)
                for (Process *p = pool->processes; p; p = p->next)
                        if (p->unit && streq(p->unit, unit))
                                return p;
        return NULL;
}

static Process *process_find_key(Manager *m, const char *key) {
        for (Pool *pool = m->pools; pool; pool = pool->next)
                for (Process *p = pool->processes; p; p = p->next)
                        if (streq(p->key, key))
                                return p;
        return NULL;
}

static unsigned pool_n_waiters(Pool *pool) {
        unsigned n = 0;
        for (Waiter *w = pool->waiters; w; w = w->next)
                n++;
        return n;
}

static size_t pool_views(Pool *pool, SchedProcView *views, size_t max, Process **procs) {
        size_t n = 0;
        for (Process *p = pool->processes; p && n < max; p = p->next) {
                views[n] = (SchedProcView) { .state = p->state, .connections = p->connections };
                procs[n++] = p;
        }
        /* A start still getting its PAM credentials is a starting process to the scheduler (never
         * routed to: only ready ones are). */
        for (unsigned i = 0; i < pool->pending_starts && n < max; i++) {
                views[n] = (SchedProcView) { .state = SCHED_PROC_STARTING };
                procs[n++] = NULL;
        }
        return n;
}

static void process_free(Process *p) {
        if (!p)
                return;
        sd_event_source_disable_unref(p->probe_timer);
        sd_event_source_disable_unref(p->init_timer);
        sd_event_source_disable_unref(p->idle_timer);
        launch_remove_files(p->workspace, p->credential);
        free(p->workspace);
        free(p->credential);
        free(p->unit);
        free(p->stop_cause);
        free(p->start_error);
        free(p);
}

static void pool_unlink_process(Pool *pool, Process *p) {
        for (Process **i = &pool->processes; *i; i = &(*i)->next)
                if (*i == p) {
                        *i = p->next;
                        return;
                }
}

/* With a PAM session service that includes pam_systemd (Debian's su), the process leaves its unit
 * for a logind session scope: stopping the unit alone would leave it running. Stop that scope
 * too. */
static void stop_session_scope(Manager *m, uint32_t pid) {
        _cleanup_free_ char *path = NULL, *text = NULL;

        if (pid == 0 || asprintf(&path, "/proc/%u/cgroup", pid) < 0 || read_full_file(path, 65536, &text, NULL) < 0)
                return;
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *last = strrchr(line, '/');
                if (!last || strncmp(last + 1, "session-", 8) != 0 || !strstr(last + 1, ".scope"))
                        continue;
                log_info("Stopping %s, the PAM session scope process %u moved into.", last + 1, pid);
                (void) systemd_stop_unit(m->bus, last + 1);
                return;
        }
}

static void process_stop(Process *p, const char *cause) {
        Manager *m = p->pool->manager;
        if (p->state == SCHED_PROC_STOPPING)
                return;
        log_info("Stopping %s (%s).", p->unit, cause);
        p->state = SCHED_PROC_STOPPING;
        free(p->stop_cause);
        p->stop_cause = strdup(cause);
        p->idle_timer = sd_event_source_disable_unref(p->idle_timer);
        p->probe_timer = sd_event_source_disable_unref(p->probe_timer);
        p->init_timer = sd_event_source_disable_unref(p->init_timer);
        if (systemd_stop_unit(m->bus, p->unit) < 0)
                log_warning("Failed to ask systemd to stop %s, ignoring.", p->unit);
        stop_session_scope(m, p->pid);
}

/* ---- waiters ---- */

static Waiter *waiter_free(Waiter *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->timeout);
        free(w);
        return NULL;
}

static void pool_remove_waiter(Pool *pool, Waiter *w) {
        for (Waiter **i = &pool->waiters; *i; i = &(*i)->next)
                if (*i == w) {
                        *i = w->next;
                        return;
                }
}

static void pool_fail_waiters(Pool *pool, int status, const char *message) {
        Waiter *w;
        while ((w = pool->waiters)) {
                pool->waiters = w->next;
                visit_fail(TAKE_PTR(w->visit), status, message);
                waiter_free(w);
        }
}

static int on_waiter_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Waiter *w = userdata;

        pool_remove_waiter(w->visit->pool, w);
        visit_fail(TAKE_PTR(w->visit), 503, "No process of this content became ready within Scheduler.InitTimeout.");
        waiter_free(w);
        return 0;
}

static void pool_add_waiter(Visit *v) {
        Pool *pool = v->pool;
        Manager *m = pool->manager;
        Waiter *w = calloc(1, sizeof *w);
        int r;

        if (!w)
                return visit_fail(v, 503, "Out of memory.");
        r = sd_event_add_time_relative(m->event, &w->timeout, CLOCK_MONOTONIC,
                                       pool->settings.init_timeout_usec + USEC_PER_SEC, 0,
                                       on_waiter_timeout, w);
        if (r < 0) {
                free(w);
                return visit_fail(v, 503, "Cannot wait for a process.");
        }
        w->visit = v;
        Waiter **tail = &pool->waiters;
        while (*tail)
                tail = &(*tail)->next;
        *tail = w;
}

/* ---- proxying ---- */

static void proxy_done(void *userdata, HttpRequest *req, int error, bool response_started, bool retriable) {
        Visit *v = userdata;
        Pool *pool = v->pool;
        Process *p = process_find_key(pool->manager, v->key);

        if (p && p->connections > 0)
                p->connections--;
        if (error < 0 && !response_started && retriable && v->attempts < MAX_PROXY_ATTEMPTS) {
                /* The process did not take the connection (it died or is being stopped): never route
                 * there again and let the scheduler pick another or start a new one. */
                if (p && p->state != SCHED_PROC_STOPPING)
                        process_stop(p, "unreachable");
                v->attempts++;
                route_request(v);
                return;
        }
        visit_free(v);
        if (p && p->connections == 0 && p->state == SCHED_PROC_READY)
                process_arm_idle(p); /* idle from now on: arm the reaper */
        pool_dispatch_waiters(pool);
}

static void proxy_to(Process *p, Visit *v) {
        Pool *pool = v->pool;
        const SchedulerSettings *s = &pool->settings;
        _cleanup_strv_free_ char **set = NULL;
        int r;

        memcpy(v->key, p->key, sizeof v->key);
        r = strv_extendf(&set, "RStudio-Connect-App-Base-Url: %s", pool->base_url);
        if (r >= 0)
                r = strv_extendf(&set, "RStudio-Connect-Credentials: %s", v->credentials);
        if (r < 0)
                return visit_fail(v, 503, "Out of memory.");
        HttpProxyParams params = {
                .port = p->port,
                .strip_prefix = pool->prefix,
                .set_headers = set,
                .drop_cookie = SESSION_COOKIE,
                .location_prefix = pool->prefix,
                .connection_timeout_usec = s->connection_timeout_usec,
                .read_timeout_usec = s->read_timeout_usec,
                .done = proxy_done,
                .userdata = v,
        };
        p->connections++;
        p->idle_timer = sd_event_source_disable_unref(p->idle_timer);
        r = http_request_proxy(v->req, &params);
        if (r < 0) {
                p->connections--;
                visit_fail(v, 502, "Cannot connect to the content process.");
        }
}

static uint64_t now_usec(Manager *m) {
        uint64_t t = 0;
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &t);
        return t;
}

static bool pool_in_backoff(Pool *pool) {
        return pool->backoff_until > now_usec(pool->manager);
}

static void route_request(Visit *v) {
        Pool *pool = v->pool;
        Manager *m = pool->manager;
        SchedProcView views[64];
        Process *procs[64];
        _cleanup_(content_freep) Content *content = NULL;
        size_t n = pool_views(pool, views, ELEMENTSOF(views), procs);
        SchedDecision d = sched_decide(&pool->settings, views, n, pool_n_waiters(pool));
        int r;

        if (d.action != SCHED_ROUTE && pool_in_backoff(pool)) {
                bool live = false;
                for (size_t i = 0; i < n; i++)
                        live = live || views[i].state == SCHED_PROC_STARTING;
                if (!live) {
                        _cleanup_free_ char *msg = NULL;
                        uint64_t now = now_usec(m);
                        if (asprintf(&msg, "The content's process failed to start %u times in a row; the next try is "
                                     "in %.1f s. See journalctl -u %s.", pool->failures,
                                     (double) (pool->backoff_until - now) / 1e6,
                                     pool->last_failed_unit ? pool->last_failed_unit : "corral-*") < 0)
                                msg = NULL;
                        return visit_fail(v, 503, msg ? msg : "Restarting after repeated failures.");
                }
                d.start_another = false;
        }
        if (d.start_another) {
                _cleanup_free_ char *error = NULL;
                r = store_content_get_by_id(m->store, pool->content_id, &content);
                if (r >= 0)
                        r = process_start(pool, content, &error);
                if (r == -EBUSY && d.action == SCHED_WAIT) {
                        /* Too many units starting server-wide: wait for a slot (pool_kick_all). */
                        return pool_add_waiter(v);
                }
                if (r < 0 && d.action == SCHED_WAIT && n == 0) {
                        _cleanup_free_ char *msg = NULL;
                        if (!error && asprintf(&msg, "Cannot start a process for this content: %s", strerror(-r)) < 0)
                                msg = NULL;
                        return visit_fail(v, 503, error ? error : msg ? msg : "Cannot start a process.");
                }
                /* Another decision: the new process may have been refused, or changed nothing. */
                n = pool_views(pool, views, ELEMENTSOF(views), procs);
                d = sched_decide(&pool->settings, views, n, pool_n_waiters(pool));
        }
        switch (d.action) {
        case SCHED_ROUTE:
                proxy_to(procs[d.index], v);
                break;
        case SCHED_WAIT:
                pool_add_waiter(v);
                break;
        default: {
                bool starting = false;
                for (size_t i = 0; i < n; i++)
                        starting = starting || views[i].state == SCHED_PROC_STARTING;
                if (starting)
                        pool_add_waiter(v);
                else
                        visit_fail(v, 503, "Every process of this content is busy (Scheduler.MaxProcesses "
                                           "× MaxConnsPerProcess connections); try again shortly.");
        }
        }
}

/* Waiters that no process can take yet: start one when the scheduler wants another or nothing
 * live is left to wait for (the start may have been deferred by the server-wide cap). */
static void pool_start_for_waiters(Pool *pool, const SchedProcView *views, size_t n, bool start_another) {
        Manager *m = pool->manager;
        _cleanup_(content_freep) Content *c = NULL;
        bool starting = false;
        int r;

        for (size_t i = 0; i < n; i++)
                starting = starting || views[i].state == SCHED_PROC_STARTING;
        if ((!start_another && starting) || pool_in_backoff(pool))
                return;
        _cleanup_free_ char *error = NULL;
        r = store_content_get_by_id(m->store, pool->content_id, &c);
        if (r >= 0)
                r = process_start(pool, c, &error);
        if (r < 0 && r != -EBUSY && !starting)
                pool_fail_waiters(pool, 503, error ? error : "Cannot start a process for this content; see corrald's log.");
}

static void pool_dispatch_waiters(Pool *pool) {
        while (pool->waiters) {
                SchedProcView views[64];
                Process *procs[64];
                size_t n = pool_views(pool, views, ELEMENTSOF(views), procs);
                SchedDecision d = sched_decide(&pool->settings, views, n, pool_n_waiters(pool) - 1);
                if (d.action != SCHED_ROUTE) {
                        pool_start_for_waiters(pool, views, n, d.start_another);
                        return;
                }
                Waiter *w = pool->waiters;
                pool->waiters = w->next;
                Visit *v = TAKE_PTR(w->visit);
                waiter_free(w);
                proxy_to(procs[d.index], v);
        }
}

void pool_handle_request(Manager *m, const Content *content, HttpRequest *req, const char *run_as_user,
                         const char *credentials) {
        pool_handle_request_kind(m, content, _PROCESS_KIND_INVALID, req, run_as_user, credentials);
}

void pool_handle_request_kind(Manager *m, const Content *content, ProcessKind kind, HttpRequest *req,
                              const char *run_as_user, const char *credentials) {
        Pool *pool = pool_get_kind(m, content, run_as_user, kind);
        Visit *v = pool ? calloc(1, sizeof(Visit)) : NULL;

        if (v) {
                v->pool = pool;
                v->req = req;
                v->credentials = strdup(credentials);
        }
        if (!v || !v->credentials) {
                visit_free(v);
                (void) http_request_respond_error(req, 503, "Out of memory.");
                return;
        }
        route_request(v);
}

/* ---- process lifecycle ---- */

static int on_idle(sd_event_source *s, uint64_t usec, void *userdata) {
        Process *p = userdata;
        SchedProcView views[64];
        Process *procs[64];
        size_t n;

        p->idle_timer = sd_event_source_disable_unref(p->idle_timer);
        if (p->connections > 0 || p->state != SCHED_PROC_READY)
                return 0;
        n = pool_views(p->pool, views, ELEMENTSOF(views), procs);
        if (!sched_may_reap(&p->pool->settings, views, n))
                return 0;
        process_stop(p, "idle");
        return 0;
}

static void process_arm_idle(Process *p) {
        Manager *m = p->pool->manager;
        p->idle_timer = sd_event_source_disable_unref(p->idle_timer);
        if (sd_event_add_time_relative(m->event, &p->idle_timer, CLOCK_MONOTONIC,
                                       p->pool->settings.idle_timeout_usec, 10 * USEC_PER_MSEC, on_idle, p) < 0)
                log_warning("Failed to arm the idle timer of %s, ignoring.", p->unit);
}

static bool port_accepts(uint16_t port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
        _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return false;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        /* Loopback connects complete or fail at once. */
        return connect(fd, (struct sockaddr *) &sa, sizeof sa) == 0;
}

static void process_became_ready(Process *p) {
        log_info("%s is ready on 127.0.0.1:%u.", p->unit, (unsigned) p->port);
        p->state = SCHED_PROC_READY;
        p->probe_timer = sd_event_source_disable_unref(p->probe_timer);
        p->init_timer = sd_event_source_disable_unref(p->init_timer);
        p->pool->failures = 0;
        p->pool->backoff_until = 0;
        if (p->connections == 0)
                process_arm_idle(p);
        if (p->pool->manager->n_starting > 0)
                p->pool->manager->n_starting--;
        pool_kick_all(p->pool->manager);
}

static int on_probe(sd_event_source *s, uint64_t usec, void *userdata) {
        Process *p = userdata;
        if (p->state != SCHED_PROC_STARTING)
                return 0;
        if (port_accepts(p->port)) {
                process_became_ready(p);
                return 0;
        }
        (void) sd_event_source_set_time_relative(s, PROBE_INTERVAL_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

static int on_init_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Process *p = userdata;
        Pool *pool = p->pool;
        _cleanup_free_ char *msg = NULL;

        p->init_timer = sd_event_source_disable_unref(p->init_timer);
        if (p->state != SCHED_PROC_STARTING)
                return 0;
        if (pool->manager->n_starting > 0)
                pool->manager->n_starting--;
        pool_note_failure(pool, p->unit);
        process_stop(p, "init timeout");
        if (asprintf(&msg, "The content's process (%s) did not start listening within Scheduler.InitTimeout; "
                     "see journalctl -u %s.", p->unit, p->unit) < 0)
                msg = NULL;
        bool other = false;
        for (Process *o = pool->processes; o; o = o->next)
                other = other || o->state != SCHED_PROC_STOPPING;
        if (!other)
                pool_fail_waiters(pool, 503, msg ? msg : "Process did not become ready in time.");
        return 0;
}

static int on_start_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        char *key = userdata;
        Manager *m = NULL;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        Process *p;

        m = *(Manager **) (key + JOB_KEY_LENGTH + 1);
        p = process_find_key(m, key);
        free(key);
        if (!p || !e)
                return 0;
        /* systemd refused the unit: it never ran. */
        log_error("systemd refused to start %s: %s", p->unit, e->message);
        free(p->start_error);
        p->start_error = strdup(e->message);
        UnitStatus st = { .exec_main_code = 0 };
        (void) snprintf(st.active_state, sizeof st.active_state, "failed");
        (void) snprintf(st.result, sizeof st.result, "start-refused");
        st.ended = true;
        pool_on_unit_changed(m, p->unit, &st);
        return 0;
}

static uint16_t pick_port(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET };
        socklen_t len = sizeof sa;
        _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return 0;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
            getsockname(fd, (struct sockaddr *) &sa, &len) < 0)
                return 0;
        return ntohs(sa.sin_port);
}

static int process_launch(Pool *pool, const Content *c, char * const *extra_env, char **ret_error) {
        Manager *m = pool->manager;
        _cleanup_(launch_freep) Launch *l = NULL;
        _cleanup_free_ char *error = NULL;
        ProcessKind kind = pool->kind;
        Process *p;
        int r;

        if (m->n_starting >= m->config->scheduler.max_starting_units)
                return log_warning_errno(-EBUSY, "Already %u units starting, not starting another for %s.",
                                         m->n_starting, c->guid);
        p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->pool = pool;
        p->state = SCHED_PROC_STARTING;
        p->bundle_id = c->bundle_id;
        p->port = pick_port();
        r = job_key_new(p->key, sizeof p->key);
        if (r < 0 || p->port == 0) {
                free(p);
                return r < 0 ? r : -EADDRNOTAVAIL;
        }
        LaunchRequest req = {
                .kind = kind, .content = c, .job_key = p->key, .port = p->port, .run_as_user = pool->user,
                .extra_env = extra_env,
        };
        r = launch_prepare(m, &req, &l, &error);
        if (r < 0) {
                free(p);
                log_error("Content '%s' (%s): %s", c->title, c->guid, error ? error : strerror(-r));
                if (ret_error)
                        *ret_error = TAKE_PTR(error);
                return r;
        }
        p->unit = strdup(l->unit->name);
        p->workspace = TAKE_PTR(l->workspace);
        p->credential = TAKE_PTR(l->credential);
        if (!p->unit) {
                process_free(p);
                return -ENOMEM;
        }

        ProcessRecord rec = {
                .key = p->key, .content_id = c->id, .bundle_id = c->bundle_id, .tag = process_kind_to_tag(kind),
                .unit = p->unit, .run_as = l->run_as, .hostname = m->hostname, .port = p->port,
        };
        r = store_process_insert(m->store, &rec);
        if (r < 0) {
                process_free(p);
                return log_error_errno(r, "Cannot record the process of content %s: %m", c->guid);
        }

        /* The reply handler finds the process by key, with the manager stored behind it. */
        char *cookie = malloc(JOB_KEY_LENGTH + 1 + sizeof(Manager *));
        if (!cookie) {
                process_free(p);
                return -ENOMEM;
        }
        memcpy(cookie, p->key, JOB_KEY_LENGTH + 1);
        memcpy(cookie + JOB_KEY_LENGTH + 1, &m, sizeof m);
        r = systemd_start_unit(m->bus, l->unit, on_start_reply, cookie);
        if (r < 0) {
                free(cookie);
                ProcessEnd end = { .exit_code = -1, .cause = "start failed" };
                (void) store_process_finish(m->store, p->key, &end);
                process_free(p);
                return log_error_errno(r, "Cannot ask systemd to start %s: %m", rec.unit);
        }
        log_info("Starting %s as %s for '%s' on port %u.", p->unit, l->run_as, c->title, (unsigned) p->port);
        m->n_starting++;
        p->next = pool->processes;
        pool->processes = p;

        r = sd_event_add_time_relative(m->event, &p->probe_timer, CLOCK_MONOTONIC, PROBE_INTERVAL_USEC, 0, on_probe, p);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &p->init_timer, CLOCK_MONOTONIC,
                                               pool->settings.init_timeout_usec, 0, on_init_timeout, p);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the timers of %s, ignoring: %m", p->unit);
        return 0;
}

/* A PAM session that could not open (systemd's 224, recorded as 70): its reason is in the journal,
 * which may lag, so a worker looks for it; waiting requests get a page that names it. */
typedef struct PamFailure {
        Pool *pool;
        char key[JOB_KEY_LENGTH + 1];
        char *unit;
        Waiter *waiters;
        char *reason;
} PamFailure;

static void pam_failure_work(void *arg) {
        PamFailure *f = arg;
        if (unit_journal_find(f->unit, "PAM", 2 * USEC_PER_SEC, &f->reason) < 0)
                f->reason = NULL;
}

static void pam_failure_done(Manager *m, void *arg) {
        PamFailure *f = arg;
        _cleanup_free_ char *msg = NULL;
        Waiter *w;

        if (f->reason)
                (void) store_process_set_detail(m->store, f->key, f->reason);
        if (asprintf(&msg, "The content's PAM session could not be opened (PAM.SessionService '%s'): %s. "
                     "Recorded with exit code 70; see journalctl -u %s.", m->config->pam_session_service,
                     f->reason ? f->reason : "no reason logged", f->unit) < 0)
                msg = NULL;
        while ((w = f->waiters)) {
                f->waiters = w->next;
                visit_fail(TAKE_PTR(w->visit), 502, msg ? msg : "The content's PAM session could not be opened.");
                waiter_free(w);
        }
        free(f->unit);
        free(f->reason);
        free(f);
}

static void pam_failure_explain(Pool *pool, const char *key, const char *unit, bool take_waiters) {
        PamFailure *f = calloc(1, sizeof *f);
        bool other = false;

        if (!f)
                return;
        f->pool = pool;
        memcpy(f->key, key, sizeof f->key);
        f->unit = strdup(unit);
        for (Process *o = pool->processes; o; o = o->next)
                other = other || (o->state != SCHED_PROC_STOPPING && !streq(o->key, key));
        if (take_waiters && !other) {
                f->waiters = TAKE_PTR(pool->waiters);
                /* The worker answers them now; their own timeouts must not. */
                for (Waiter *w = f->waiters; w; w = w->next)
                        w->timeout = sd_event_source_disable_unref(w->timeout);
        }
        if (!f->unit || worker_run(pool->manager, pam_failure_work, pam_failure_done, f) < 0) {
                pool->waiters = f->waiters; /* answered the usual way below */
                free(f->unit);
                free(f);
        }
}

void pool_on_unit_changed(Manager *m, const char *unit, const UnitStatus *st) {
        Process *p = process_find_unit(m, unit);
        ProcessEnd end = {};
        int r;

        if (!p) {
                jobs_on_unit_changed(m, unit, st);
                return;
        }
        if (st->main_pid && st->main_pid != p->pid) {
                p->pid = st->main_pid;
                (void) store_process_set_pid(m->store, p->key, p->pid);
        }
        if (!st->ended)
                return;

        Pool *pool = p->pool;
        bool was_starting = p->state == SCHED_PROC_STARTING;
        end.cause = process_end_from_status(st, p->stop_cause, &end);
        r = store_process_finish(m->store, p->key, &end);
        if (r < 0)
                log_warning_errno(r, "Failed to record the end of %s, ignoring: %m", unit);
        if (end.signal)
                log_info("%s ended: signal %d, cause %s.", unit, end.signal, end.cause);
        else
                log_info("%s ended: exit code %d, cause %s.", unit, end.exit_code, end.cause);
        if (was_starting && m->n_starting > 0)
                m->n_starting--;
        if (was_starting)
                pool_note_failure(pool, unit);
        pool_unlink_process(pool, p);

        if (streq(end.cause, "pam"))
                pam_failure_explain(pool, p->key, unit, was_starting);
        if (was_starting && pool->waiters) {
                bool other = false;
                for (Process *o = pool->processes; o; o = o->next)
                        other = other || o->state != SCHED_PROC_STOPPING;
                if (!other) {
                        _cleanup_free_ char *msg = NULL;
                        if (p->start_error)
                                r = asprintf(&msg, "systemd refused to start the content's process: %s", p->start_error);
                        else if (end.signal)
                                r = asprintf(&msg, "The content's process was killed by signal %d before it was ready "
                                             "(cause: %s). See journalctl -u %s.", end.signal, end.cause, unit);
                        else
                                r = asprintf(&msg, "The content's process exited with code %d before it was ready "
                                             "(cause: %s). See journalctl -u %s.", end.exit_code, end.cause, unit);
                        pool_fail_waiters(pool, 502, r >= 0 ? msg : "The content's process failed to start.");
                }
        }
        process_free(p);
        pool_ensure_min(pool);
        pool_kick_all(m);
}

/* PAM.ForwardPassword: a visitor's process starts only after an authenticated PAM transaction
 * with their kept password (PAM.AuthenticatedSessionService) established their credentials; its
 * environment (KRB5CCNAME …) reaches the process. */
typedef struct CredStart {
        Pool *pool;
        char *service;
        char *user;
        char *password;           /* locked memory, from the cache */
        char **env;
        char *error;
        int result;
} CredStart;

static void cred_start_work(void *arg) {
        CredStart *cs = arg;
        cs->result = pam_establish_credentials(cs->service, cs->user, cs->password, &cs->env, &cs->error);
}

static void cred_start_done(Manager *m, void *arg) {
        CredStart *cs = arg;
        Pool *pool = cs->pool;
        _cleanup_(content_freep) Content *c = NULL;
        _cleanup_free_ char *error = NULL, *msg = NULL;
        int r = cs->result;

        pool->pending_starts--;
        credcache_release(cs->password);
        if (r >= 0)
                r = store_content_get_by_id(m->store, pool->content_id, &c);
        if (r >= 0)
                r = process_launch(pool, c, cs->env, &error);
        if (r < 0) {
                log_error("Cannot start a process as '%s' for content %s: %s", cs->user, pool->guid,
                          cs->error ? cs->error : error ? error : strerror(-r));
                if (asprintf(&msg, "Your credentials could not be established for your own process "
                             "(PAM.AuthenticatedSessionService '%s'): %s", cs->service,
                             cs->error ? cs->error : error ? error : strerror(-r)) < 0)
                        msg = NULL;
                bool live = false;
                for (Process *o = pool->processes; o; o = o->next)
                        live = live || o->state != SCHED_PROC_STOPPING;
                if (!live)
                        pool_fail_waiters(pool, cs->result == -EACCES || cs->result == -EKEYEXPIRED ? 401 : 502,
                                          msg ? msg : "Your credentials could not be established.");
        }
        free(cs->service);
        free(cs->user);
        strv_free(cs->env);
        free(cs->error);
        free(cs);
        pool_dispatch_waiters(pool);
}

static int process_start(Pool *pool, const Content *c, char **ret_error) {
        Manager *m = pool->manager;
        CredStart *cs;
        int r;

        if (!pool->user || !m->config->pam_forward_password || !m->credcache)
                return process_launch(pool, c, NULL, ret_error);
        cs = calloc(1, sizeof *cs);
        if (!cs)
                return -ENOMEM;
        cs->pool = pool;
        cs->service = strdup(m->config->pam_authenticated_session_service);
        cs->user = strdup(pool->user);
        r = cs->service && cs->user ? credcache_get(m->credcache, pool->user, &cs->password) : -ENOMEM;
        if (r >= 0)
                r = worker_run(m, cred_start_work, cred_start_done, cs);
        if (r < 0) {
                credcache_release(cs->password);
                free(cs->service);
                free(cs->user);
                free(cs);
                if (ret_error && r == -ENOKEY)
                        *ret_error = strdup("Your login has expired for starting your own processes: log in again.");
                return r;
        }
        pool->pending_starts++;
        return 0;
}

static int on_backoff_end(sd_event_source *s, uint64_t usec, void *userdata) {
        Pool *pool = userdata;
        pool->backoff_timer = sd_event_source_disable_unref(pool->backoff_timer);
        pool_ensure_min(pool);
        pool_dispatch_waiters(pool);
        return 0;
}

/* A process ended before it was ready. From the second failure in a row, new starts wait
 * 1 s, 2 s, 4 s … up to a minute, so a content that crashes at start is not restarted in a
 * tight loop. */
static void pool_note_failure(Pool *pool, const char *unit) {
        Manager *m = pool->manager;
        uint64_t delay;

        pool->failures++;
        free(pool->last_failed_unit);
        pool->last_failed_unit = strdup(unit);
        if (pool->failures < 2)
                return;
        delay = USEC_PER_SEC << (pool->failures - 2 < 6 ? pool->failures - 2 : 6);
        if (delay > BACKOFF_MAX_USEC)
                delay = BACKOFF_MAX_USEC;
        pool->backoff_until = now_usec(m) + delay;
        log_warning("Content %s failed to start %u times in a row; next start in %.0f s.", pool->guid, pool->failures,
                    (double) delay / 1e6);
        pool->backoff_timer = sd_event_source_disable_unref(pool->backoff_timer);
        if (sd_event_add_time(m->event, &pool->backoff_timer, CLOCK_MONOTONIC, pool->backoff_until, 0, on_backoff_end,
                              pool) < 0)
                log_warning("Failed to arm the back-off timer of %s, ignoring.", pool->guid);
}

/* Starts processes until MinProcesses are live (unless in back-off or the content has no bundle). */
static void pool_ensure_min(Pool *pool) {
        Manager *m = pool->manager;

        if (pool->user)
                return; /* a visitor's pool lives while the visitor uses it */
        _cleanup_(content_freep) Content *c = NULL;
        SchedProcView views[64];
        Process *procs[64];
        size_t n;

        if (pool->settings.min_processes == 0 || pool_in_backoff(pool))
                return;
        if (store_content_get_by_id(m->store, pool->content_id, &c) < 0 || c->bundle_id == 0 ||
            process_kind_for_app_mode(c->app_mode) < 0)
                return;
        pool_refresh_settings(pool, c);
        n = pool_views(pool, views, ELEMENTSOF(views), procs);
        for (unsigned missing = sched_missing_min(&pool->settings, views, n); missing > 0; missing--)
                if (process_start(pool, c, NULL) < 0)
                        break;
}

/* A start slot or a process became free: let every pool with waiters or a MinProcesses deficit
 * try again. */
static void pool_kick_all(Manager *m) {
        for (Pool *pool = m->pools; pool; pool = pool->next) {
                pool_dispatch_waiters(pool);
                pool_ensure_min(pool);
        }
}

void pool_content_changed(Manager *m, int64_t content_id) {
        _cleanup_(content_freep) Content *c = NULL;
        Pool *pool;

        if (store_content_get_by_id(m->store, content_id, &c) < 0)
                return;
        for (Pool *p = m->pools; p; p = p->next)
                if (p->content_id == content_id)
                        pool_refresh_settings(p, c);
        pool = pool_get(m, c, NULL);
        if (!pool)
                return;
        pool_ensure_min(pool);
}

void pool_reload_settings(Manager *m) {
        _cleanup_free_ int64_t *ids = NULL;
        size_t n = 0;

        if (store_content_list_ids(m->store, &ids, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++)
                pool_content_changed(m, ids[i]);
}

void pool_stop_content(Manager *m, int64_t content_id, const char *cause) {
        for (Pool *pool = m->pools; pool; pool = pool->next)
                if (pool->content_id == content_id)
                        for (Process *p = pool->processes; p; p = p->next)
                                process_stop(p, cause);
}

int pool_stop_process(Manager *m, const char *key, const char *cause) {
        Process *p = process_find_key(m, key);
        if (!p)
                return -ENOENT;
        process_stop(p, cause);
        return 0;
}

/* Adopts one running unit of an earlier corrald as a process of its content. */
static void adopt_unit(Manager *m, const char *unit, const char *tag, const char *key) {
        _cleanup_(content_freep) Content *c = NULL;
        _cleanup_free_ char *ws_root = NULL, *run_as = NULL;
        int64_t content_id, bundle_id;
        uint16_t port;
        bool active;
        Process *p;
        Pool *pool;
        int r;

        r = store_process_lookup(m->store, key, &content_id, &bundle_id, &port, &active, &run_as);
        if (r >= 0 && active && port > 0)
                r = store_content_get_by_id(m->store, content_id, &c);
        else if (r >= 0)
                r = -ESTALE;
        if (r < 0) {
                log_notice("Stopping %s: the database knows no running process of it.", unit);
                (void) systemd_stop_unit(m->bus, unit);
                return;
        }
        /* Back into the pool it served: a visitor's own (current-user execution: it runs as
         * someone other than the content's RunAs), and its kind's (the app, or a report's form). */
        bool current_user = false;
        (void) store_content_get_access(m->store, content_id, NULL, NULL, &current_user);
        const char *content_user = c->run_as ? c->run_as : m->config->run_as;
        const char *visitor = current_user && run_as && !streq(run_as, content_user) ? run_as : NULL;
        pool = pool_get_kind(m, c, visitor, process_kind_from_tag(tag));
        p = pool ? calloc(1, sizeof *p) : NULL;
        if (!p) {
                (void) log_oom();
                return;
        }
        p->pool = pool;
        memcpy(p->key, key, sizeof p->key);
        p->unit = strdup(unit);
        p->port = port;
        p->bundle_id = bundle_id;
        if (sandbox_workspace_root(m->config, &ws_root) >= 0)
                (void) path_join(ws_root, key, &p->workspace);
        if (!p->unit) {
                process_free(p);
                (void) log_oom();
                return;
        }
        (void) systemd_unit_main_pid(m->bus, unit, &p->pid);
        p->next = pool->processes;
        pool->processes = p;
        if (port_accepts(port)) {
                p->state = SCHED_PROC_READY;
                process_arm_idle(p);
        } else {
                /* Still starting: probe it like a fresh start. */
                p->state = SCHED_PROC_STARTING;
                m->n_starting++;
                (void) sd_event_add_time_relative(m->event, &p->probe_timer, CLOCK_MONOTONIC, PROBE_INTERVAL_USEC, 0,
                                                  on_probe, p);
                (void) sd_event_add_time_relative(m->event, &p->init_timer, CLOCK_MONOTONIC,
                                                  pool->settings.init_timeout_usec, 0, on_init_timeout, p);
        }
        log_info("Adopted %s (pid %u, port %u) of '%s'.", unit, (unsigned) p->pid, (unsigned) port, c->title);
        if (bundle_id != c->bundle_id)
                process_stop(p, "deploy");
}

void pool_adopt_units(Manager *m) {
        _cleanup_strv_free_ char **units = NULL, **keys = NULL;
        int r;

        r = systemd_list_corral_units(m->bus, &units);
        if (r < 0)
                log_warning_errno(r, "Failed to list running corral units, ignoring: %m");
        STRV_FOREACH(u, units) {
                _cleanup_free_ char *key = NULL, *tag = NULL;
                if (unit_name_parse(*u, &tag, &key) < 0)
                        continue;
                adopt_unit(m, *u, tag, key);
        }
        /* Records of processes whose unit is gone: they ended while corrald was away. */
        r = store_process_list_active(m->store, &keys);
        if (r < 0)
                return (void) log_warning_errno(r, "Failed to list active process records, ignoring: %m");
        STRV_FOREACH(k, keys) {
                if (process_find_key(m, *k))
                        continue;
                ProcessEnd end = { .exit_code = -1, .cause = "lost" };
                (void) store_process_finish(m->store, *k, &end);
        }
        pool_reload_settings(m);
}

json_t *pool_status_json(Manager *m) {
        json_t *a = json_array();
        uint64_t now = now_usec(m);

        for (Pool *pool = m->pools; a && pool; pool = pool->next) {
                unsigned starting = 0, ready = 0, stopping = 0, conns = 0, waiting = 0;
                for (Process *p = pool->processes; p; p = p->next) {
                        starting += p->state == SCHED_PROC_STARTING;
                        ready += p->state == SCHED_PROC_READY;
                        stopping += p->state == SCHED_PROC_STOPPING;
                        conns += p->connections;
                }
                for (Waiter *w = pool->waiters; w; w = w->next)
                        waiting++;
                double backoff = pool->backoff_until > now ? (double) (pool->backoff_until - now) / 1e6 : 0.0;
                (void) json_array_append_new(
                        a, json_pack("{s:s, s:s?, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:i, s:i}", "guid", pool->guid,
                                     "user", pool->user,
                                     "starting", starting, "ready", ready, "stopping", stopping, "connections", conns,
                                     "waiting", waiting, "failures", pool->failures, "backoff_seconds", backoff,
                                     "min_processes", pool->settings.min_processes, "max_processes",
                                     pool->settings.max_processes));
        }
        return a;
}

void pool_fail_all_waiters(Manager *m) {
        for (Pool *pool = m->pools; pool; pool = pool->next)
                pool_fail_waiters(pool, 503, "corrald is shutting down.");
}

void pool_free_all(Manager *m) {
        Pool *pool;
        while ((pool = m->pools)) {
                m->pools = pool->next;
                Process *p;
                while ((p = pool->processes)) {
                        pool->processes = p->next;
                        /* Units keep running across a corrald restart; keep their files. */
                        free(p->workspace);
                        p->workspace = NULL;
                        free(p->credential);
                        p->credential = NULL;
                        process_free(p);
                }
                sd_event_source_disable_unref(pool->backoff_timer);
                free(pool->last_failed_unit);
                free(pool->user);
                free(pool->guid);
                free(pool->title);
                free(pool->prefix);
                free(pool->base_url);
                free(pool);
        }
}
