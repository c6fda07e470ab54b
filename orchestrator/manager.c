/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <sodium.h>

#include "corral-build.h"
#include "credcache.h"
#include "front.h"
#include "jobs.h"
#include "fs-util.h"
#include "install.h"
#include "log.h"
#include "manager.h"
#include "pool.h"
#include "render.h"
#include "runner.h"
#include "sandbox.h"
#include "strv.h"
#include "systemd-client.h"
#include "unit-name.h"
#include "worker.h"

static void on_unit_changed(void *userdata, const char *unit, const UnitStatus *status) {
        pool_on_unit_changed(userdata, unit, status);
}

/* Runner scripts: CORRAL_RUNNER_DIR, else the installed ones, else the source tree's (corrald run
 * straight from the build dir). */
static int find_runner_dir(char **ret) {
        const char *env = getenv("CORRAL_RUNNER_DIR");
        const char *dir = env;
        struct stat st;

        if (!dir) {
                _cleanup_free_ char *self = NULL;
                char buf[4096];
                ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
                buf[n > 0 ? n : 0] = 0;
                bool in_build_tree = n > 0 && strncmp(buf, CORRAL_SOURCE_DIR "/", strlen(CORRAL_SOURCE_DIR) + 1) == 0;
                dir = in_build_tree || stat(CORRAL_RUNNER_DIR_INSTALLED, &st) < 0 ? CORRAL_RUNNER_DIR_BUILD
                                                                                    : CORRAL_RUNNER_DIR_INSTALLED;
        }
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return log_error_errno(-ENOENT, "Runner scripts not found in '%s'.", dir);
        *ret = strdup(dir);
        return *ret ? 0 : -ENOMEM;
}

/* corral-exec next to the runner scripts' tree: the build dir's when corrald runs from it. */
static int find_exec_helper(Manager *m) {
        const char *env = getenv("CORRAL_EXEC");
        char buf[4096];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = 0;
        bool in_build_tree = n > 0 && access(CORRAL_EXEC_BUILD, X_OK) == 0 &&
                             strncmp(buf, CORRAL_SOURCE_DIR "/", strlen(CORRAL_SOURCE_DIR) + 1) == 0;
        const char *path = env ? env : in_build_tree ? CORRAL_EXEC_BUILD : CORRAL_EXEC_INSTALLED;

        if (access(path, X_OK) < 0)
                return log_error_errno(-errno, "corral-exec not found at '%s': %m", path);
        m->exec_helper = strdup(path);
        return m->exec_helper ? 0 : -ENOMEM;
}

static void find_interpreters(Manager *m) {
        /* Every configured installation with its version; the first of each is the default. */
        install_find_interpreters(m);
        _cleanup_free_ char *pandoc = NULL;
        if (runner_find_executable("pandoc", &pandoc) >= 0) {
                char *slash = strrchr(pandoc, '/');
                *slash = 0;
                m->pandoc_dir = TAKE_PTR(pandoc);
        }
        log_info("R: %s; Python: %s; pandoc: %s.", m->rscript ? m->rscript : "none", m->python ? m->python : "none",
                 m->pandoc_dir ? m->pandoc_dir : "none");
}

static const char * const mount_points[] = { "app", "report", "R", "packrat", "python", NULL };
#define FOREACH_MOUNT_POINT(p) for (const char * const *p = mount_points; *p; p++)

static int preflight(Manager *m) {
        const Config *c = m->config;
        _cleanup_(runas_identity_freep) RunAsIdentity *id = NULL;
        _cleanup_free_ char *error = NULL, *ws = NULL;
        int r;

        r = runas_resolve(c->run_as, c->run_as_group, &id, &error);
        if (r < 0)
                return log_error_errno(r, "Applications.RunAs: %s. Create the account (for example "
                                       "'useradd --system --user-group --home-dir /nonexistent %s') or set "
                                       "Applications.RunAs in %s.", error ? error : "cannot resolve",
                                       c->run_as, c->path ? c->path : CORRAL_CONFIG_PATH);
        r = mkdir_p(c->data_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create Server.DataDir '%s': %m", c->data_dir);
        FOREACH_MOUNT_POINT(point) {
                _cleanup_free_ char *d = NULL;
                if (asprintf(&d, CORRAL_MOUNT_DIR "/%s", *point) < 0)
                        return log_oom();
                r = mkdir_p(d, 0755);
                if (r < 0)
                        return log_error_errno(r, "Failed to create the mount point '%s': %m", d);
        }
        /* Bind sources must exist, or systemd refuses the unit. */
        static const char * const data_subdirs[] = { "apps", "R", "packrat", "python", "reports", NULL };
        for (const char * const *d = data_subdirs; *d; d++) {
                _cleanup_free_ char *path = NULL;
                r = path_join(c->data_dir, *d, &path);
                if (r >= 0)
                        r = mkdir_p(path, 0755);
                if (r < 0)
                        return log_error_errno(r, "Failed to create '%s/%s': %m", c->data_dir, *d);
        }
        struct statvfs sv;
        if (statvfs(c->temp_dir, &sv) == 0 && (sv.f_flag & ST_NOEXEC))
                log_warning("Server.TempDir '%s' is mounted noexec: package installs whose configure scripts run "
                            "from TMPDIR will fail. Set Server.TempDir to a dir on a filesystem without noexec.",
                            c->temp_dir);
        r = sandbox_workspace_root(c, &ws);
        if (r >= 0)
                r = mkdir_p(ws, 0711);
        if (r < 0)
                return log_error_errno(r, "Failed to create the workspace root under Server.TempDir '%s': %m", c->temp_dir);
        return 0;
}

/* SIGHUP: re-reads the file and applies what is reloadable (scheduler settings, supervisor,
 * prohibited environment); the rest needs a restart. A file with errors changes nothing. */
static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *error = NULL;
        const char *path = m->config->path ? m->config->path : CORRAL_CONFIG_PATH;
        int r;

        r = config_load(path, &c, &error);
        if (r < 0) {
                log_error("Not reloading: %s", error ? error : strerror(-r));
                return 0;
        }
        m->config->scheduler = c->scheduler;
        free(m->config->supervisor);
        m->config->supervisor = TAKE_PTR(c->supervisor);
        strv_free(m->config->prohibited_environment);
        m->config->prohibited_environment = TAKE_PTR(c->prohibited_environment);
        log_info("Reloaded the reloadable settings of %s (Scheduler.*, Applications.Supervisor, "
                 "Applications.ProhibitedEnvironment).", path);
        pool_reload_settings(m);
        return 0;
}

/* Transient units with ExecStartEx and LoadCredential= need systemd 247 or newer. */
static int check_systemd_version(Manager *m) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *version = NULL;
        int r;

        r = sd_bus_get_property_string(m->bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "Version", &error, &version);
        if (r < 0)
                return log_error_errno(r, "Failed to ask systemd for its version: %s", error.message ? error.message : "");
        if (atoi(version) < 247)
                return log_error_errno(-EPROTONOSUPPORT, "systemd %s is too old: corrald needs 247 or newer.", version);
        log_debug("systemd %s.", version);
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        log_info("Received %s, exiting; content units keep running.", strsignal((int) si->ssi_signo));
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

int manager_new(Config *config, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_free_ char *socket_dir = NULL;
        char host[256];
        int r;

        m = calloc(1, sizeof *m);
        if (!m) {
                config_free(config);
                return -ENOMEM;
        }
        m->config = config;
        m->worker_pipe[0] = m->worker_pipe[1] = -EBADF;
        if (gethostname(host, sizeof host) < 0)
                (void) snprintf(host, sizeof host, "localhost");
        host[sizeof host - 1] = 0;
        m->hostname = strdup(host);
        if (!m->hostname)
                return -ENOMEM;

        r = preflight(m);
        if (r < 0)
                return r;
        r = find_runner_dir(&m->runner_dir);
        if (r < 0)
                return r;
        r = find_exec_helper(m);
        if (r < 0)
                return r;
        find_interpreters(m);

        r = store_open(config->sqlite_dir, &m->store);
        if (r < 0)
                return log_error_errno(r, "Failed to open the database in SQLite.Dir '%s': %m", config->sqlite_dir);

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);
        (void) signal(SIGPIPE, SIG_IGN);
        r = sd_event_add_signal(m->event, NULL, SIGTERM, on_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, on_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGHUP, on_reload, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");

        /* libsodium guards every secret corrald holds (logins, the password cache): set it up first. */
        if (sodium_init() < 0)
                return log_error_errno(-EIO, "Failed to initialize libsodium.");
        r = worker_setup(m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up worker threads: %m");
        if (config->pam_forward_password) {
                r = credcache_new(m->event, config->pam_password_lifetime_usec, &m->credcache);
                if (r < 0)
                        return log_error_errno(r, "Failed to set up the forwarded-password cache: %m");
        }

        r = systemd_client_connect(m->event, on_unit_changed, m, &m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to systemd over the system bus: %m "
                                       "(corrald needs systemd as PID 1 and must run as root)");
        r = check_systemd_version(m);
        if (r < 0)
                return r;
        r = store_tasks_fail_unfinished(m->store, "corrald stopped while this deploy ran; deploy again");
        if (r > 0)
                log_notice("Marked %d deploy task(s) of an earlier corrald as failed.", r);
        pool_adopt_units(m);
        render_startup(m);

        socket_dir = strdup(config->socket_path);
        if (!socket_dir)
                return -ENOMEM;
        char *slash = strrchr(socket_dir, '/');
        if (slash && slash != socket_dir) {
                *slash = 0;
                r = mkdir_p(socket_dir, 0700);
                if (r < 0)
                        return log_error_errno(r, "Failed to create the socket dir '%s': %m", socket_dir);
        }
        r = http_server_new(m->event, config->server_listen, config->socket_path, &front_handler, m, &m->http);
        if (r < 0)
                return log_error_errno(r, "Failed to listen on Server.Listen '%s' and '%s': %m", config->server_listen,
                                       config->socket_path);
        log_info("corrald %s listening on http://%s/ and %s; data in %s.", CORRAL_VERSION_STRING, config->server_listen,
                 config->socket_path, config->data_dir);
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        /* Waiting requests are answered while the server still holds them; then the server goes
         * (ending proxied exchanges, whose callbacks still find their pools); then the pools. */
        pool_fail_all_waiters(m);
        http_server_free(m->http);
        pool_free_all(m);
        jobs_free_all(m);
        worker_done(m);
        credcache_free(m->credcache);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        store_free(m->store);
        config_free(m->config);
        free(m->runner_dir);
        free(m->rscript);
        free(m->python);
        interpreters_free(m->r_installs, m->n_r_installs);
        interpreters_free(m->python_installs, m->n_python_installs);
        free(m->pandoc_dir);
        free(m->exec_helper);
        free(m->hostname);
        free(m);
        return NULL;
}

int manager_run(Manager *m) {
        return sd_event_loop(m->event);
}
