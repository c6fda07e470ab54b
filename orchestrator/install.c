/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <systemd/sd-journal.h>

#include "error-util.h"
#include "fs-util.h"
#include "install.h"
#include "jobs.h"
#include "log.h"
#include "process-kind.h"
#include "runas.h"
#include "runner.h"
#include "sandbox.h"
#include "store-install.h"
#include "strv.h"
#include "unit-builder.h"
#include "unit-name.h"

extern char **environ;

#define VERSION_PROBE_TIMEOUT_MSEC 15000
#define VERSION_OUTPUT_MAX 4096
#define ERROR_LINES_MAX 8
#define END_WAIT_USEC (100 * USEC_PER_MSEC)
#define END_WAITS_MAX 30           /* the journal may lag the unit's end by this many END_WAIT_USEC */
#define POLL_USEC (250 * USEC_PER_MSEC)

/* ---- interpreters ------------------------------------------------------------------------- */

/* Runs `path --version` (no shell) and returns what it printed, stdout and stderr, in *ret. */
static int run_version(const char *path, char **ret) {
        _cleanup_close_ int rfd = -EBADF, wfd = -EBADF;
        posix_spawn_file_actions_t fa;
        char *argv[] = { (char *) path, (char *) "--version", NULL };
        char buf[VERSION_OUTPUT_MAX];
        size_t n = 0;
        int fds[2], status, r;
        pid_t pid;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        rfd = fds[0];
        wfd = fds[1];
        if (posix_spawn_file_actions_init(&fa) != 0)
                return -ENOMEM;
        (void) posix_spawn_file_actions_adddup2(&fa, wfd, STDOUT_FILENO);
        (void) posix_spawn_file_actions_adddup2(&fa, wfd, STDERR_FILENO);
        (void) posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        r = posix_spawn(&pid, path, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return -r;
        wfd = safe_close(wfd);
        for (;;) {
                struct pollfd p = { .fd = rfd, .events = POLLIN };
                ssize_t k;

                r = poll(&p, 1, VERSION_PROBE_TIMEOUT_MSEC);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0) {
                        (void) kill(pid, SIGKILL);
                        break;
                }
                k = read(rfd, buf + n, sizeof buf - 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += (size_t) k;
                if (n == sizeof buf - 1)
                        break;
        }
        buf[n] = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

static int interpreter_add(Interpreter **list, size_t *n, const char *path, const char *what) {
        _cleanup_free_ char *output = NULL, *version = NULL, *p = NULL;
        Interpreter *grown;
        int r;

        r = run_version(path, &output);
        if (r >= 0)
                r = interpreter_parse_version(output, &version);
        if (r < 0)
                return log_warning_errno(r, "%s '%s' does not tell its version (%m), ignoring.", what, path);
        p = strdup(path);
        if (!p)
                return log_oom();
        grown = reallocarray(*list, *n + 1, sizeof(Interpreter));
        if (!grown)
                return log_oom();
        *list = grown;
        grown[*n] = (Interpreter) { .path = TAKE_PTR(p), .version = TAKE_PTR(version) };
        ++*n;
        return 0;
}

/* R.Executable names R; Server.RVersion, in the seed's tradition, may name the installation dir. */
static int r_executable_of(const char *configured, char **ret) {
        struct stat st;

        if (stat(configured, &st) == 0 && S_ISDIR(st.st_mode))
                return path_join(configured, "bin/R", ret);
        *ret = strdup(configured);
        return *ret ? 0 : -ENOMEM;
}

/* Rscript sits beside R. */
static int rscript_of(const char *r_executable, char **ret) {
        _cleanup_free_ char *dir = strdup(r_executable), *rscript = NULL;
        char *slash = dir ? strrchr(dir, '/') : NULL;

        if (!slash)
                return dir ? -EINVAL : -ENOMEM;
        *slash = 0;
        if (path_join(dir, "Rscript", &rscript) < 0)
                return -ENOMEM;
        if (access(rscript, X_OK) < 0)
                return -errno;
        *ret = TAKE_PTR(rscript);
        return 0;
}

void install_find_interpreters(Manager *m) {
        const Config *c = m->config;
        _cleanup_free_ char *described = NULL;

        if (c->r_executables)
                STRV_FOREACH(e, c->r_executables) {
                        _cleanup_free_ char *exe = NULL, *rscript = NULL;
                        if (r_executable_of(*e, &exe) < 0)
                                continue;
                        if (rscript_of(exe, &rscript) < 0) {
                                log_warning("No Rscript next to R.Executable '%s', ignoring it.", exe);
                                continue;
                        }
                        (void) interpreter_add(&m->r_installs, &m->n_r_installs, exe, "R.Executable");
                }
        else {
                _cleanup_free_ char *exe = NULL, *rscript = NULL;
                if (runner_find_executable("R", &exe) >= 0 && rscript_of(exe, &rscript) >= 0)
                        (void) interpreter_add(&m->r_installs, &m->n_r_installs, exe, "R");
        }
        if (m->n_r_installs > 0)
                (void) rscript_of(m->r_installs[0].path, &m->rscript);
        else
                log_notice("No R installation found: R content cannot run until R.Executable is set.");

        if (c->python_enabled) {
                if (c->python_executables)
                        STRV_FOREACH(e, c->python_executables)
                                (void) interpreter_add(&m->python_installs, &m->n_python_installs, *e,
                                                       "Python.Executable");
                else {
                        _cleanup_free_ char *exe = NULL;
                        if (runner_find_executable("python3", &exe) >= 0)
                                (void) interpreter_add(&m->python_installs, &m->n_python_installs, exe, "python3");
                }
                if (m->n_python_installs > 0)
                        m->python = strdup(m->python_installs[0].path);
                else
                        log_notice("No python3 found: Python content cannot run until Python.Executable is set.");
        }
        if (interpreters_describe(m->r_installs, m->n_r_installs, &described) >= 0)
                log_info("R installations: %s.", described);
        free(described);
        described = NULL;
        if (c->python_enabled && interpreters_describe(m->python_installs, m->n_python_installs, &described) >= 0)
                log_info("Python installations: %s.", described);
}

void install_interpreters_of_bundle(Manager *m, int64_t bundle_id, const char **ret_rscript, const char **ret_python,
                                    char ***ret_buffer) {
        _cleanup_free_ char *r_exe = NULL, *py = NULL, *rscript = NULL;

        *ret_rscript = m->rscript;
        *ret_python = m->python;
        *ret_buffer = NULL;
        if (store_bundle_get_interpreters(m->store, bundle_id, &r_exe, &py) < 0)
                return;
        if (r_exe && rscript_of(r_exe, &rscript) >= 0 && strv_consume(ret_buffer, TAKE_PTR(rscript)) >= 0)
                *ret_rscript = (*ret_buffer)[strv_length(*ret_buffer) - 1];
        if (py && access(py, X_OK) == 0 && strv_consume(ret_buffer, TAKE_PTR(py)) >= 0)
                *ret_python = (*ret_buffer)[strv_length(*ret_buffer) - 1];
}

int install_r_library_of_bundle(const Config *c, int64_t content_id, int64_t bundle_id, char **ret) {
        _cleanup_free_ char *host = NULL;
        struct stat st;

        *ret = NULL;
        if (asprintf(&host, "%s/packrat/bundles/%lld/%lld", c->data_dir, (long long) content_id,
                     (long long) bundle_id) < 0)
                return -ENOMEM;
        if (stat(host, &st) < 0 || !S_ISDIR(st.st_mode))
                return 0;
        if (asprintf(ret, CORRAL_MOUNT_DIR "/packrat/bundles/%lld/%lld", (long long) content_id,
                     (long long) bundle_id) < 0)
                return -ENOMEM;
        return 0;
}

/* ---- the install plan --------------------------------------------------------------------- */

static bool word_is(const char *s, const char *allowed) {
        return s && *s && strspn(s, allowed) == strlen(s);
}

#define PKG_NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789."
#define PKG_VERSION_CHARS "0123456789.-"

/* The URL a package comes from: R.Repositories' entry for its Source (CRAN, …) overrides the
 * manifest's Repository. */
static const char *repository_url(const Config *c, const char *source, const char *manifest_url) {
        for (size_t i = 0; source && i < c->n_r_repositories; i++)
                if (strcaseeq(c->r_repositories[i].name, source))
                        return c->r_repositories[i].url;
        return manifest_url && *manifest_url ? manifest_url : NULL;
}

/* --package NAME VERSION SOURCE URL for each of the manifest's packages. */
static int r_plan(const Config *c, json_t *packages, char ***args, char **ret_error) {
        const char *name;
        json_t *p;
        int r;

        json_object_foreach(packages, name, p) {
                const char *version = json_string_value(json_object_get(json_object_get(p, "description"), "Version"));
                const char *source = json_string_value(json_object_get(p, "Source"));
                const char *url = repository_url(c, source ? source : "CRAN",
                                                 json_string_value(json_object_get(p, "Repository")));

                if (!word_is(name, PKG_NAME_CHARS))
                        return set_errorf(ret_error, -EBADMSG, "manifest.json: '%s' is not a package name", name);
                if (!word_is(version, PKG_VERSION_CHARS))
                        return set_errorf(ret_error, -EBADMSG,
                                         "manifest.json: package '%s' has no valid description.Version", name);
                /* No URL is fine for a package the R installation already has (Debian's r-cran-*,
                 * as the seed's publishing clients record them): the installer decides, and
                 * names the missing repository only for a package it would have to fetch. */
                if (!url)
                        url = "-";
                else if (strpbrk(url, " \t\n\r") || (!strchr(url, ':') && url[0] != '/'))
                        return set_errorf(ret_error, -EBADMSG, "package '%s': '%s' is not a repository URL", name, url);
                r = strv_extend(args, "--package");
                if (r >= 0)
                        r = strv_extend(args, name);
                if (r >= 0)
                        r = strv_extend(args, version);
                if (r >= 0)
                        r = strv_extend(args, source ? source : "CRAN");
                if (r >= 0)
                        r = strv_extend(args, url);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Python.PackageIndex: an index URL, or a local dir / file:// URL of wheels (--no-index --find-links). */
static int python_index_args(const Config *c, char ***args) {
        const char *index = c->python_package_index;
        int r;

        if (!index)
                return 0;
        if (strncmp(index, "http://", 7) == 0 || strncmp(index, "https://", 8) == 0) {
                r = strv_extend(args, "--index-url");
                return r >= 0 ? strv_extend(args, index) : r;
        }
        r = strv_extend(args, "--find-links");
        return r >= 0 ? strv_extend(args, strncmp(index, "file://", 7) == 0 ? index + 7 : index) : r;
}

/* ---- the install job and its log ---------------------------------------------------------- */

typedef struct Install {
        Manager *m;
        char task[JOB_KEY_LENGTH + 1];
        char key[JOB_KEY_LENGTH + 1];
        sd_journal *journal;
        sd_event_source *io, *timer;
        char **error_lines;       /* the last ERROR_LINES_MAX error-looking lines of the installer */
        char *last_line;
        bool saw_end, ended, failed;
        int exit_code;
        char *cause;
        unsigned waits;
        InstallDone done;
        void *userdata;
} Install;

static Install *install_free(Install *in) {
        if (!in)
                return NULL;
        sd_event_source_disable_unref(in->io);
        sd_event_source_disable_unref(in->timer);
        sd_journal_close(in->journal);
        strv_free(in->error_lines);
        free(in->last_line);
        free(in->cause);
        free(in);
        return NULL;
}

static bool line_is_error(const char *l) {
        return strncmp(l, "ERROR", 5) == 0 || strncmp(l, "Error", 5) == 0 || strstr(l, "error:") ||
               strstr(l, "Permission denied") || strstr(l, "No matching distribution") ||
               strstr(l, "Could not find a version");
}

static void remember_error(Install *in, const char *line) {
        size_t n = strv_length(in->error_lines);

        if (n >= ERROR_LINES_MAX) {
                free(in->error_lines[0]);
                memmove(in->error_lines, in->error_lines + 1, n * sizeof(char *)); /* with the NULL */
        }
        (void) strv_extend(&in->error_lines, line);
}

/* Appends the installer's new journal lines to the task. */
static void follow_drain(Install *in) {
        int r;

        if (!in->journal)
                return;
        (void) sd_journal_process(in->journal);
        while ((r = sd_journal_next(in->journal)) > 0) {
                _cleanup_free_ char *line = NULL;
                const void *data;
                size_t size;

                if (sd_journal_get_data(in->journal, "MESSAGE", &data, &size) < 0 || size < 8)
                        continue;
                line = strndup((const char *) data + 8, size - 8);
                if (!line)
                        return;
                line[strcspn(line, "\n")] = 0;
                store_task_appendf(in->m->store, in->task, "%s", line);
                if (line_is_error(line))
                        remember_error(in, line);
                if (strncmp(line, "corral: packages installed", 26) == 0 ||
                    strncmp(line, "corral: package installation failed", 35) == 0)
                        in->saw_end = true;
                free(in->last_line);
                in->last_line = TAKE_PTR(line);
        }
        if (r < 0)
                log_warning_errno(r, "Failed to read the journal of job %s, ignoring: %m", in->key);
}

static void install_finish(Install *in) {
        Manager *m = in->m;
        _cleanup_free_ char *error = NULL;
        int r = 0;

        follow_drain(in);
        if (in->failed) {
                if (strv_length(in->error_lines) > 0) {
                        char *s = NULL;
                        size_t size = 0;
                        FILE *f = open_memstream(&s, &size);
                        if (f) {
                                STRV_FOREACH(l, in->error_lines)
                                        fprintf(f, "%s%s", l == in->error_lines ? "" : "\n", *l);
                                if (fclose(f) != 0) {
                                        free(s);
                                        s = NULL;
                                }
                        }
                        error = s;
                } else if (asprintf(&error, "package installation failed (%s, exit code %d)%s%s",
                                    in->cause ? in->cause : "exited", in->exit_code, in->last_line ? ": " : "",
                                    in->last_line ? in->last_line : "") < 0)
                        error = NULL;
                r = -EIO;
        } else
                store_task_appendf(m->store, in->task, "Packages installed (job %s).", in->key);
        if (in->done)
                in->done(m, r, error ? error : (r < 0 ? "package installation failed" : NULL), in->userdata);
        install_free(in);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Install *in = userdata;

        follow_drain(in);
        if (!in->ended) {
                (void) sd_event_source_set_time_relative(s, POLL_USEC);
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
                return 0;
        }
        /* The unit has ended; its last lines may still be on their way into the journal. */
        if (!in->saw_end && ++in->waits < END_WAITS_MAX) {
                (void) sd_event_source_set_time_relative(s, END_WAIT_USEC);
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
                return 0;
        }
        install_finish(in);
        return 0;
}

static int on_journal(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        follow_drain(userdata);
        return 0;
}

static void on_job_done(Manager *m, const char *key, const ProcessEnd *end, void *userdata) {
        Install *in = userdata;

        in->ended = true;
        in->exit_code = end->exit_code;
        in->failed = !(end->exit_code == 0 && end->signal == 0);
        in->cause = end->cause ? strdup(end->cause) : NULL;
        if (in->failed && end->cause && streq(end->cause, "start failed"))
                in->saw_end = true; /* nothing ran: no lines will come */
        follow_drain(in);
        if (!in->timer) {
                install_finish(in);
                return;
        }
        (void) sd_event_source_set_time_relative(in->timer, in->saw_end ? 0 : END_WAIT_USEC);
        (void) sd_event_source_set_enabled(in->timer, SD_EVENT_ONESHOT);
}

static int follow_start(Install *in) {
        char match[sizeof "CORRAL_JOB_KEY=" + JOB_KEY_LENGTH];
        int r, fd;

        r = sd_event_add_time_relative(in->m->event, &in->timer, CLOCK_MONOTONIC, POLL_USEC, 0, on_timer, in);
        if (r < 0)
                return r;
        r = sd_journal_open(&in->journal, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return log_warning_errno(r, "Cannot open the journal, the deploy log will lack the installer's "
                                         "lines: %m");
        (void) snprintf(match, sizeof match, "CORRAL_JOB_KEY=%s", in->key);
        r = sd_journal_add_match(in->journal, match, 0);
        if (r >= 0)
                r = sd_journal_seek_head(in->journal);
        if (r < 0)
                return r;
        fd = sd_journal_get_fd(in->journal);
        if (fd >= 0)
                (void) sd_event_add_io(in->m->event, &in->io, fd, (uint32_t) sd_journal_get_events(in->journal),
                                       on_journal, in);
        return 0;
}

/* Host dirs an install writes, handed to Applications.RunAs (who runs every install, spec §4). */
static int prepare_dirs(Manager *m, const Content *c, int64_t bundle_id, bool python, char **ret_error) {
        _cleanup_(runas_identity_freep) RunAsIdentity *id = NULL;
        _cleanup_free_ char *error = NULL, *packrat = NULL, *rlib = NULL, *venv = NULL;
        int r;

        r = runas_resolve(m->config->run_as, m->config->run_as_group, &id, &error);
        if (r < 0)
                return set_errorf(ret_error, r, "cannot resolve Applications.RunAs: %s", error ? error : strerror(-r));
        if (asprintf(&packrat, "%s/packrat", m->config->data_dir) < 0 || asprintf(&rlib, "%s/R", m->config->data_dir) < 0 ||
            asprintf(&venv, "%s/python/%lld/%lld", m->config->data_dir, (long long) c->id, (long long) bundle_id) < 0)
                return -ENOMEM;
        if (python) {
                r = mkdir_p(venv, 0755);
                if (r >= 0 && chown(venv, id->uid, id->gid) < 0)
                        r = -errno;
        } else {
                r = mkdir_p(packrat, 0755);
                if (r >= 0)
                        r = mkdir_p(rlib, 0755);
                if (r >= 0 && (chown(packrat, id->uid, id->gid) < 0 || chown(rlib, id->uid, id->gid) < 0))
                        r = -errno;
        }
        if (r < 0)
                return set_errorf(ret_error, r, "cannot prepare the package dirs for Applications.RunAs '%s': %s",
                                 id->user, strerror(-r));
        return 0;
}

static int load_manifest(const char *dir, json_t **ret, char **ret_error) {
        _cleanup_free_ char *path = NULL;
        json_error_t jerr;
        struct stat st;

        *ret = NULL;
        if (path_join(dir, "manifest.json", &path) < 0)
                return -ENOMEM;
        if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
                return 0;
        *ret = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!*ret)
                return set_errorf(ret_error, -EBADMSG, "manifest.json line %d: %s", jerr.line, jerr.text);
        return 0;
}

/* Chooses the interpreter (spec §2) and records it for the bundle. */
static int choose_interpreter(Manager *m, const char *task, bool python, json_t *manifest, int64_t bundle_id,
                              const Interpreter **ret, char **ret_error) {
        const char *requested = json_string_value(python ? json_object_get(json_object_get(manifest, "python"), "version")
                                                         : json_object_get(manifest, "platform"));
        const Interpreter *list = python ? m->python_installs : m->r_installs;
        size_t n = python ? m->n_python_installs : m->n_r_installs;
        const char *matching = m->config->r_version_matching;
        _cleanup_free_ char *available = NULL;
        int i, r;

        i = python ? interpreters_select_python(list, n, requested) : interpreters_select_r(list, n, requested, matching);
        if (i < 0) {
                r = interpreters_describe(list, n, &available);
                if (r < 0)
                        return r;
                if (n == 0)
                        return set_errorf(ret_error, -ENOENT, "this content needs %s, and no %s installation was found "
                                         "(set %s)", python ? "Python" : "R", python ? "Python" : "R",
                                         python ? "Python.Executable" : "R.Executable");
                if (python)
                        return set_errorf(ret_error, -ENOENT, "the bundle needs Python %s and no Python of the same "
                                         "major.minor version is configured; available: %s", requested, available);
                return set_errorf(ret_error, -ENOENT, "the bundle needs R %s and no R installation matches it with "
                                 "R.VersionMatching '%s'; available: %s", requested, matching ? matching : "nearest",
                                 available);
        }
        store_task_appendf(m->store, task, "Using %s %s (%s) for the bundle's %s", python ? "Python" : "R", list[i].version,
                  list[i].path, requested ? requested : "unrecorded version");
        r = store_bundle_set_interpreters(m->store, bundle_id, python ? NULL : list[i].path, python ? list[i].path : NULL);
        if (r < 0)
                return set_errorf(ret_error, r, "cannot record the bundle's interpreter: %s", strerror(-r));
        *ret = list + i;
        return 0;
}

/* A plain file name of the bundle (no dirs, no '..'). */
static bool bundle_file_exists(const char *dir, const char *name) {
        _cleanup_free_ char *p = NULL;
        struct stat st;

        if (!name || !*name || strchr(name, '/') || streq(name, "..") || streq(name, "."))
                return false;
        return path_join(dir, name, &p) >= 0 && lstat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int install_bundle(Manager *m, const char *task, const Content *c, int64_t bundle_id, const char *app_mode,
                   InstallDone done, void *userdata, char **ret_error) {
        _cleanup_(json_decrefp) json_t *manifest = NULL;
        _cleanup_strv_free_ char **args = NULL;
        _cleanup_free_ char *dir = NULL, *bundle_lib = NULL, *requirements = NULL;
        const Interpreter *interp = NULL;
        ProcessKind kind = process_kind_for_app_mode(app_mode);
        bool python, r_content;
        Install *in;
        int r;

        /* Reports have no on-demand kind, but render with R. */
        r_content = (kind >= 0 && process_kind_is_r(kind)) || (app_mode && strncmp(app_mode, "rmd-", 4) == 0);
        python = kind >= 0 && !process_kind_is_r(kind);
        if (!r_content && !python)
                return 0; /* static content: no interpreter, no packages */

        r = sandbox_app_dir(m->config, (uint64_t) c->id, (uint64_t) bundle_id, &dir);
        if (r < 0)
                return r;
        r = load_manifest(dir, &manifest, ret_error);
        if (r < 0)
                return r;
        r = choose_interpreter(m, task, python, manifest, bundle_id, &interp, ret_error);
        if (r < 0)
                return r;

        if (r_content) {
                json_t *packages = json_object_get(manifest, "packages");
                if (!json_is_object(packages) || json_object_size(packages) == 0)
                        return 0;
                if (asprintf(&bundle_lib, "%lld/%lld", (long long) c->id, (long long) bundle_id) < 0)
                        return -ENOMEM;
                r = strv_extend(&args, "--cache");
                if (r >= 0)
                        r = strv_extend(&args, CORRAL_MOUNT_DIR "/packrat");
                if (r >= 0)
                        r = strv_extend(&args, "--build");
                if (r >= 0)
                        r = strv_extend(&args, CORRAL_MOUNT_DIR "/R");
                if (r >= 0)
                        r = strv_extend(&args, "--bundle-lib");
                if (r >= 0)
                        r = strv_extend(&args, bundle_lib);
                if (r < 0)
                        return r;
                r = r_plan(m->config, packages, &args, ret_error);
                if (r < 0)
                        return r;
                store_task_appendf(m->store, task, "Installing %zu R package(s) with R %s", json_object_size(packages), interp->version);
        } else {
                json_t *pm = json_object_get(json_object_get(manifest, "python"), "package_manager");
                const char *file = json_string_value(json_object_get(pm, "package_file"));
                if (!file)
                        file = "requirements.txt";
                if (!bundle_file_exists(dir, file))
                        return 0;
                if (asprintf(&requirements, CORRAL_MOUNT_DIR "/app/%s", file) < 0)
                        return -ENOMEM;
                r = strv_extend(&args, "--venv");
                if (r >= 0)
                        r = strv_extend(&args, CORRAL_MOUNT_DIR "/python");
                if (r >= 0)
                        r = strv_extend(&args, "--requirements");
                if (r >= 0)
                        r = strv_extend(&args, requirements);
                if (r >= 0)
                        r = python_index_args(m->config, &args);
                if (r < 0)
                        return r;
                store_task_appendf(m->store, task, "Installing the Python packages of %s into a venv with Python %s", file,
                          interp->version);
        }
        r = prepare_dirs(m, c, bundle_id, python, ret_error);
        if (r < 0)
                return r;

        in = calloc(1, sizeof *in);
        if (!in)
                return -ENOMEM;
        in->m = m;
        in->done = done;
        in->userdata = userdata;
        (void) snprintf(in->task, sizeof in->task, "%s", task);
        /* The job runs for the new bundle, before it is the content's active one. */
        Content job_content = *c;
        job_content.bundle_id = bundle_id;
        LaunchRequest req = {
                .kind = python ? PROCESS_PYTHON_RESTORE : PROCESS_PACKRAT_RESTORE,
                .content = &job_content,
                .install_args = args,
        };
        r = job_start(m, &req, on_job_done, in, in->key, ret_error);
        if (r < 0) {
                install_free(in);
                if (!*ret_error)
                        (void) set_errorf(ret_error, r, "cannot start the install job: %s", strerror(-r));
                return r;
        }
        store_task_appendf(m->store, task, "Started %s job %s as %s", process_kind_to_tag(req.kind), in->key, m->config->run_as);
        r = follow_start(in);
        if (r < 0)
                log_warning_errno(r, "Cannot follow the journal of job %s, ignoring: %m", in->key);
        if (!in->timer) {
                /* Without a timer the end could never be reported: stop the job and fail now. */
                (void) job_stop(m, in->key, "deploy");
                in->done = NULL;
                return set_errorf(ret_error, -ENOMEM, "cannot follow the install job");
        }
        return 1;
}
