/* SPDX-License-Identifier: MIT */
/* Unit tests for policy/config.c: defaults, value syntax, and every validation message. */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fs-util.h"
#include "macro.h"
#include "strv.h"

static unsigned n_checks;

#define ASSERT(expr)                                                                            \
        do {                                                                                    \
                n_checks++;                                                                     \
                if (!(expr)) {                                                                  \
                        fprintf(stderr, "%s:%d: %s: assertion failed: %s\n", __FILE__, __LINE__,\
                                __func__, #expr);                                               \
                        exit(EXIT_FAILURE);                                                     \
                }                                                                               \
        } while (0)

#define ASSERT_STREQ(a, b)                                                                      \
        do {                                                                                    \
                const char *_a = (a), *_b = (b);                                                \
                n_checks++;                                                                     \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                        \
                        fprintf(stderr, "%s:%d: %s: '%s' != '%s'\n", __FILE__, __LINE__,        \
                                __func__, _a ?: "(null)", _b ?: "(null)");                      \
                        exit(EXIT_FAILURE);                                                     \
                }                                                                               \
        } while (0)

static char *tmp_root;

/* Parses text as "corral.yaml", expecting success. */
static Config *parse_ok(const char *text) {
        Config *c = NULL;
        char *error = NULL;
        int r;

        r = config_parse_string(text, "corral.yaml", &c, &error);
        if (r < 0)
                fprintf(stderr, "unexpected error %d: %s\n--- input ---\n%s\n", r, error ?: "(none)", text);
        ASSERT(r == 0);
        ASSERT(c);
        ASSERT(!error);
        return c;
}

/* Parses text as "corral.yaml", expecting -EINVAL and exactly the given message. */
static void parse_fails_with(const char *text, const char *expected) {
        _cleanup_free_ char *error = NULL;
        Config *c = NULL;
        int r;

        r = config_parse_string(text, "corral.yaml", &c, &error);
        if (r != -EINVAL || !error || !streq(error, expected))
                fprintf(stderr, "--- input ---\n%s--- got %d ---\n%s\n--- expected ---\n%s\n", text, r,
                        error ?: "(none)", expected);
        ASSERT(r == -EINVAL);
        ASSERT(!c);
        ASSERT_STREQ(error, expected);
}

/* Like parse_fails_with(), but only checks that the message starts with prefix. */
static void parse_fails_prefix(const char *text, const char *prefix) {
        _cleanup_free_ char *error = NULL;
        Config *c = NULL;
        int r;

        r = config_parse_string(text, "corral.yaml", &c, &error);
        if (r != -EINVAL || !error || strncmp(error, prefix, strlen(prefix)) != 0)
                fprintf(stderr, "--- input ---\n%s--- got %d ---\n%s\n--- expected prefix ---\n%s\n",
                        text, r, error ?: "(none)", prefix);
        ASSERT(r == -EINVAL);
        ASSERT(!c);
        ASSERT(error && strncmp(error, prefix, strlen(prefix)) == 0);
}

static char *write_tmp(const char *name, const char *text, mode_t mode) {
        char *path = NULL;

        ASSERT(path_join(tmp_root, name, &path) == 0);
        ASSERT(write_file_atomic(path, text, strlen(text), mode) == 0);
        return path;
}

/* A directory holding an executable "python3", to put on $PATH. */
static char *make_fake_python_dir(void) {
        _cleanup_free_ char *exe = NULL;
        char *dir = NULL;

        ASSERT(path_join(tmp_root, "pybin", &dir) == 0);
        ASSERT(mkdir_p(dir, 0755) == 0);
        ASSERT(path_join(dir, "python3", &exe) == 0);
        ASSERT(write_file_atomic(exe, "#!/bin/sh\n", 10, 0755) == 0);
        return dir;
}

static void test_defaults(void) {
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT(setenv("TMPDIR", "relative/tmp", 1) == 0);
        ASSERT(config_new_default(&c) == 0);
        ASSERT(!c->path);
        ASSERT_STREQ(c->server_address, "http://127.0.0.1:3939/");
        ASSERT_STREQ(c->server_listen, "127.0.0.1:3939");
        ASSERT_STREQ(c->data_dir, "/var/lib/corral");
        ASSERT_STREQ(c->temp_dir, "/tmp");
        ASSERT_STREQ(c->socket_path, "/run/corral/corral.sock");
        ASSERT_STREQ(c->sqlite_dir, "/var/lib/corral/db");
        ASSERT_STREQ(c->run_as, "corral");
        ASSERT(!c->run_as_group);
        ASSERT(!c->run_as_current_user);
        ASSERT(!c->home_mounting);
        ASSERT(!c->supervisor);
        ASSERT_STREQ(c->r_config_active, "rsconnect");
        ASSERT(!c->pandoc1_dir && !c->pandoc2_dir);
        ASSERT(!c->prohibited_environment);
        ASSERT(c->memory_max == 0 && c->cpu_quota_percent == 0 && c->tasks_max == 0);
        ASSERT(c->rendering_retention == 10);
        ASSERT_STREQ(c->pam_service, "corral");
        ASSERT(!c->pam_use_session);
        ASSERT_STREQ(c->pam_session_service, "corral-session");
        ASSERT(!c->pam_forward_password);
        ASSERT(c->pam_password_lifetime_usec == 12 * 3600 * USEC_PER_SEC);
        ASSERT_STREQ(c->pam_authenticated_session_service, "corral-auth-session");
        ASSERT(c->scheduler.min_processes == 0);
        ASSERT(c->scheduler.max_processes == 3);
        ASSERT(c->scheduler.max_conns_per_process == 20);
        ASSERT(c->scheduler.load_factor == 0.5);
        ASSERT(c->scheduler.init_timeout_usec == 60 * USEC_PER_SEC);
        ASSERT(c->scheduler.idle_timeout_usec == 5 * USEC_PER_SEC);
        ASSERT(c->scheduler.connection_timeout_usec == 3600 * USEC_PER_SEC);
        ASSERT(c->scheduler.read_timeout_usec == 3600 * USEC_PER_SEC);
        ASSERT(c->scheduler.min_processes_limit == 20);
        ASSERT(c->scheduler.max_processes_limit == 20);
        ASSERT(c->scheduler.max_starting_units == 8);
        ASSERT(!c->r_executables);
        ASSERT_STREQ(c->r_version_matching, "nearest");
        ASSERT(!c->r_repositories && c->n_r_repositories == 0);
        ASSERT(!c->python_enabled_set);
        ASSERT(!c->python_executables);
        ASSERT(!c->python_package_index);
        c = config_free(c);

        ASSERT(setenv("TMPDIR", "/var/tmp/corral-test", 1) == 0);
        ASSERT(config_new_default(&c) == 0);
        ASSERT_STREQ(c->temp_dir, "/var/tmp/corral-test");
        c = config_free(c);

        ASSERT(unsetenv("TMPDIR") == 0);
        ASSERT(config_new_default(&c) == 0);
        ASSERT_STREQ(c->temp_dir, "/tmp");
}

static void test_python_detection(void) {
        _cleanup_free_ char *pydir = make_fake_python_dir(), *exe = NULL, *yaml = NULL;
        _cleanup_free_ char *old_path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
        Config *c;

        ASSERT(setenv("PATH", "/nonexistent-corral-dir", 1) == 0);
        c = parse_ok("");
        ASSERT(!c->python_enabled && !c->python_enabled_set);
        config_free(c);

        ASSERT(setenv("PATH", pydir, 1) == 0);
        c = parse_ok("");
        ASSERT(c->python_enabled && !c->python_enabled_set);
        config_free(c);

        /* The file's word wins over detection. */
        c = parse_ok("Python:\n  Enabled: false\n");
        ASSERT(!c->python_enabled && c->python_enabled_set);
        config_free(c);

        /* A configured executable counts even when PATH has none. */
        ASSERT(setenv("PATH", "/nonexistent-corral-dir", 1) == 0);
        ASSERT(path_join(pydir, "python3", &exe) == 0);
        ASSERT(asprintf(&yaml, "Python:\n  Executable: %s\n", exe) > 0);
        c = parse_ok(yaml);
        ASSERT(c->python_enabled);
        config_free(c);

        c = parse_ok("Python:\n  Executable: /nonexistent/python3\n");
        ASSERT(!c->python_enabled);
        config_free(c);

        c = parse_ok("Python:\n  Enabled: yes\n  Executable: /nonexistent/python3\n");
        ASSERT(c->python_enabled && c->python_enabled_set);
        config_free(c);

        if (old_path)
                ASSERT(setenv("PATH", old_path, 1) == 0);
}

static const char full_file[] =
        "# a complete corral.yaml\n"
        "Server:\n"
        "  Address: https://connect.example.com/\n"
        "  Listen: '[::1]:8080'\n"
        "  DataDir: /srv/corral\n"
        "  TempDir: /srv/tmp\n"
        "  SocketPath: /run/c.sock\n"
        "SQLite:\n"
        "  Dir: /srv/db\n"
        "Applications:\n"
        "  RunAs: rconnect\n"
        "  RunAsGroup: staff\n"
        "  RunAsCurrentUser: yes\n"
        "  HomeMounting: on\n"
        "  Supervisor: /usr/bin/nice -n 5\n"
        "  RConfigActive: production\n"
        "  Pandoc1Dir: /opt/pandoc1\n"
        "  Pandoc2Dir: /opt/pandoc2\n"
        "  ProhibitedEnvironment: [SECRET_TOKEN, AWS_KEY]\n"
        "  MemoryMax: 2G\n"
        "  CPUQuota: 150%\n"
        "  TasksMax: 512\n"
        "  RenderingRetention: 30\n"
        "PAM:\n"
        "  Service: login\n"
        "  UseSession: true\n"
        "  SessionService: su\n"
        "  ForwardPassword: true\n"
        "  PasswordLifetime: 1h30m\n"
        "  AuthenticatedSessionService: su-auth\n"
        "Scheduler:\n"
        "  MinProcesses: 1\n"
        "  MaxProcesses: 10\n"
        "  MaxConnsPerProcess: 50\n"
        "  LoadFactor: 0.75\n"
        "  InitTimeout: 2m\n"
        "  IdleTimeout: 500ms\n"
        "  ConnectionTimeout: 0\n"
        "  ReadTimeout: 1m15s\n"
        "  MinProcessesLimit: 5\n"
        "  MaxProcessesLimit: 40\n"
        "  MaxStartingUnits: 4\n"
        "R:\n"
        "  Executable:\n"
        "    - /usr/bin/R\n"
        "    - /opt/R/4.3.2/bin/R\n"
        "  VersionMatching: Major-Minor\n"
        "  Repositories:\n"
        "    CRAN: https://cran.r-project.org\n"
        "    Internal: file:///srv/cran\n"
        "Python:\n"
        "  Enabled: false\n"
        "  Executable: /usr/bin/python3\n"
        "  PackageIndex: https://pypi.example.com/simple\n";

static void test_full_file(void) {
        _cleanup_(config_freep) Config *c = parse_ok(full_file);

        ASSERT_STREQ(c->server_address, "https://connect.example.com/");
        ASSERT_STREQ(c->server_listen, "[::1]:8080");
        ASSERT_STREQ(c->data_dir, "/srv/corral");
        ASSERT_STREQ(c->temp_dir, "/srv/tmp");
        ASSERT_STREQ(c->socket_path, "/run/c.sock");
        ASSERT_STREQ(c->sqlite_dir, "/srv/db");
        ASSERT_STREQ(c->run_as, "rconnect");
        ASSERT_STREQ(c->run_as_group, "staff");
        ASSERT(c->run_as_current_user);
        ASSERT(c->home_mounting);
        ASSERT_STREQ(c->supervisor, "/usr/bin/nice -n 5");
        ASSERT_STREQ(c->r_config_active, "production");
        ASSERT_STREQ(c->pandoc1_dir, "/opt/pandoc1");
        ASSERT_STREQ(c->pandoc2_dir, "/opt/pandoc2");
        ASSERT(strv_length(c->prohibited_environment) == 2);
        ASSERT_STREQ(c->prohibited_environment[0], "SECRET_TOKEN");
        ASSERT_STREQ(c->prohibited_environment[1], "AWS_KEY");
        ASSERT(c->memory_max == 2ULL << 30);
        ASSERT(c->cpu_quota_percent == 150);
        ASSERT(c->tasks_max == 512);
        ASSERT(c->rendering_retention == 30);
        ASSERT_STREQ(c->pam_service, "login");
        ASSERT(c->pam_use_session);
        ASSERT_STREQ(c->pam_session_service, "su");
        ASSERT(c->pam_forward_password);
        ASSERT(c->pam_password_lifetime_usec == 90 * 60 * USEC_PER_SEC);
        ASSERT_STREQ(c->pam_authenticated_session_service, "su-auth");
        ASSERT(c->scheduler.min_processes == 1);
        ASSERT(c->scheduler.max_processes == 10);
        ASSERT(c->scheduler.max_conns_per_process == 50);
        ASSERT(c->scheduler.load_factor == 0.75);
        ASSERT(c->scheduler.init_timeout_usec == 120 * USEC_PER_SEC);
        ASSERT(c->scheduler.idle_timeout_usec == 500 * USEC_PER_MSEC);
        ASSERT(c->scheduler.connection_timeout_usec == 0);
        ASSERT(c->scheduler.read_timeout_usec == 75 * USEC_PER_SEC);
        ASSERT(c->scheduler.min_processes_limit == 5);
        ASSERT(c->scheduler.max_processes_limit == 40);
        ASSERT(c->scheduler.max_starting_units == 4);
        ASSERT(strv_length(c->r_executables) == 2);
        ASSERT_STREQ(c->r_executables[0], "/usr/bin/R");
        ASSERT_STREQ(c->r_executables[1], "/opt/R/4.3.2/bin/R");
        ASSERT_STREQ(c->r_version_matching, "major-minor");
        ASSERT(c->n_r_repositories == 2);
        ASSERT_STREQ(c->r_repositories[0].name, "CRAN");
        ASSERT_STREQ(c->r_repositories[0].url, "https://cran.r-project.org");
        ASSERT_STREQ(c->r_repositories[1].name, "Internal");
        ASSERT_STREQ(c->r_repositories[1].url, "file:///srv/cran");
        ASSERT(!c->python_enabled && c->python_enabled_set);
        ASSERT(strv_length(c->python_executables) == 1);
        ASSERT_STREQ(c->python_executables[0], "/usr/bin/python3");
        ASSERT_STREQ(c->python_package_index, "https://pypi.example.com/simple");
}

static void test_case_insensitive(void) {
        _cleanup_(config_freep) Config *c = parse_ok("server:\n"
                                                     "  datadir: /d\n"
                                                     "  LISTEN: 0.0.0.0:80\n"
                                                     "SCHEDULER:\n"
                                                     "  idletimeout: 10s\n"
                                                     "  maxPROCESSES: 7\n"
                                                     "r:\n"
                                                     "  versionmatching: EXACT\n"
                                                     "pam:\n"
                                                     "  usesession: TRUE\n");

        ASSERT_STREQ(c->data_dir, "/d");
        ASSERT_STREQ(c->sqlite_dir, "/d/db");
        ASSERT_STREQ(c->server_listen, "0.0.0.0:80");
        ASSERT(c->scheduler.idle_timeout_usec == 10 * USEC_PER_SEC);
        ASSERT(c->scheduler.max_processes == 7);
        ASSERT_STREQ(c->r_version_matching, "exact");
        ASSERT(c->pam_use_session);
}

static void test_durations(void) {
        static const struct {
                const char *text;
                uint64_t usec;
        } good[] = {
                { "500ms", 500 * USEC_PER_MSEC },
                { "5s", 5 * USEC_PER_SEC },
                { "1m15s", 75 * USEC_PER_SEC },
                { "12h", 12 * 3600 * USEC_PER_SEC },
                { "2d", 2 * 86400 * USEC_PER_SEC },
                { "30", 30 * USEC_PER_SEC },
                { "0", 0 },
                { "1.5s", 1500 * USEC_PER_MSEC },
                { "1h 30m", 90 * 60 * USEC_PER_SEC },
                { "250us", 250 },
                { "2min", 120 * USEC_PER_SEC },
                { "0.5", 500 * USEC_PER_MSEC },
        };
        static const char *const bad[] = {
                "", "-5s", "abc", "5x", "s", "1m15", "5 s", " 5s", "1..5s", "5.s", "+5", "1e3",
                "5ss", "0x10", "12hours",
        };
        uint64_t u = 42;

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                u = 42;
                ASSERT(parse_duration(good[i].text, &u) == 0);
                ASSERT(u == good[i].usec);
        }
        u = 42;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ASSERT(parse_duration(bad[i], &u) == -EINVAL);
                ASSERT(u == 42); /* never written on failure */
        }
        u = 7;
        ASSERT(parse_duration("99999999999999999999s", &u) == -ERANGE);
        ASSERT(parse_duration("999999999999999d", &u) == -ERANGE);
        ASSERT(parse_duration("18446744073709551615", &u) == -ERANGE);
        ASSERT(u == 7);
        ASSERT(parse_duration(NULL, &u) == -EINVAL);

        parse_fails_with("Scheduler:\n  IdleTimeout: 5 seconds\n",
                         "corral.yaml:2: invalid value '5 seconds' for Scheduler.IdleTimeout: expected a "
                         "duration such as 500ms, 5s, 1m15s, 12h or 2d");
        parse_fails_with("PAM:\n  PasswordLifetime: -1h\n",
                         "corral.yaml:2: invalid value '-1h' for PAM.PasswordLifetime: expected a duration "
                         "such as 500ms, 5s, 1m15s, 12h or 2d");
        parse_fails_with("Scheduler:\n  ReadTimeout: 99999999999999999999\n",
                         "corral.yaml:2: invalid value '99999999999999999999' for Scheduler.ReadTimeout: "
                         "duration out of range");
        parse_fails_with("Scheduler:\n  InitTimeout: ''\n",
                         "corral.yaml:2: Scheduler.InitTimeout needs a value");
}

static void test_sizes(void) {
        static const struct {
                const char *text;
                uint64_t bytes;
        } good[] = {
                { "1024", 1024 },   { "64K", 64 << 10 },        { "512M", 512ULL << 20 },
                { "2G", 2ULL << 30 }, { "1T", 1ULL << 40 },     { "512MB", 512ULL << 20 },
                { "4k", 4096 },     { "1GiB", 1ULL << 30 },     { "100B", 100 },
                { "1.5G", 3ULL << 29 },
        };
        static const char *const bad[] = { "", "-1G", "G", "5X", "1GG", "12 M", "1P", "abc" };
        uint64_t u = 42;

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                ASSERT(parse_size(good[i].text, &u) == 0);
                ASSERT(u == good[i].bytes);
        }
        u = 42;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ASSERT(parse_size(bad[i], &u) == -EINVAL);
        ASSERT(parse_size("99999999999T", &u) == -ERANGE);
        ASSERT(u == 42);

        parse_fails_with("Applications:\n  MemoryMax: lots\n",
                         "corral.yaml:2: invalid value 'lots' for Applications.MemoryMax: expected a size "
                         "such as 512M or 2G");
        parse_fails_with("Applications:\n  MemoryMax: 99999999999T\n",
                         "corral.yaml:2: invalid value '99999999999T' for Applications.MemoryMax: size out "
                         "of range");
}

static void test_cpu_quota(void) {
        uint64_t u = 0;
        Config *c;

        ASSERT(parse_cpu_quota("150%", &u) == 0 && u == 150);
        ASSERT(parse_cpu_quota("1.5", &u) == 0 && u == 150);
        ASSERT(parse_cpu_quota("2", &u) == 0 && u == 200);
        ASSERT(parse_cpu_quota("0.25", &u) == 0 && u == 25);
        ASSERT(parse_cpu_quota("0", &u) == -EINVAL);
        ASSERT(parse_cpu_quota("0%", &u) == -EINVAL);
        ASSERT(parse_cpu_quota("-50%", &u) == -EINVAL);
        ASSERT(parse_cpu_quota("1.555", &u) == -EINVAL);
        ASSERT(parse_cpu_quota("%", &u) == -EINVAL);
        ASSERT(parse_cpu_quota("12.5%", &u) == -EINVAL);
        ASSERT(parse_cpu_quota("", &u) == -EINVAL);

        c = parse_ok("Applications:\n  CPUQuota: 1.5\n");
        ASSERT(c->cpu_quota_percent == 150);
        config_free(c);
        parse_fails_with("Applications:\n  CPUQuota: half\n",
                         "corral.yaml:2: invalid value 'half' for Applications.CPUQuota: expected a "
                         "percentage such as 150% or a number of CPUs such as 1.5, greater than zero");
}

static void test_booleans_and_integers(void) {
        static const char *const yes[] = { "true", "TRUE", "yes", "On", "1" };
        static const char *const no[] = { "false", "No", "off", "0" };
        bool b;

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                b = false;
                ASSERT(parse_boolean(yes[i], &b) == 0 && b);
        }
        for (size_t i = 0; i < ELEMENTSOF(no); i++) {
                b = true;
                ASSERT(parse_boolean(no[i], &b) == 0 && !b);
        }
        ASSERT(parse_boolean("maybe", &b) == -EINVAL);
        ASSERT(parse_boolean("", &b) == -EINVAL);

        parse_fails_with("Applications:\n  HomeMounting: maybe\n",
                         "corral.yaml:2: invalid value 'maybe' for Applications.HomeMounting: expected true "
                         "or false");
        parse_fails_with("Scheduler:\n  MaxProcesses: -1\n",
                         "corral.yaml:2: invalid value '-1' for Scheduler.MaxProcesses: expected a "
                         "non-negative whole number");
        parse_fails_with("Scheduler:\n  MaxProcesses: 3x\n",
                         "corral.yaml:2: invalid value '3x' for Scheduler.MaxProcesses: expected a "
                         "non-negative whole number");
        parse_fails_with("Scheduler:\n  MaxProcesses: 4294967296\n",
                         "corral.yaml:2: invalid value '4294967296' for Scheduler.MaxProcesses: number out "
                         "of range");
        parse_fails_with("Applications:\n  TasksMax: 99999999999999999999\n",
                         "corral.yaml:2: invalid value '99999999999999999999' for Applications.TasksMax: "
                         "number out of range");
        parse_fails_with("Scheduler:\n  LoadFactor: 1.5\n",
                         "corral.yaml:2: invalid value '1.5' for Scheduler.LoadFactor: expected a number "
                         "between 0.0 and 1.0");
        parse_fails_with("Scheduler:\n  LoadFactor: nan\n",
                         "corral.yaml:2: invalid value 'nan' for Scheduler.LoadFactor: expected a number "
                         "between 0.0 and 1.0");
        parse_fails_prefix("Scheduler:\n  LoadFactor: -0.1\n", "corral.yaml:2: invalid value '-0.1'");
}

static void test_unknown_names(void) {
        parse_fails_with("Scheduler:\n  MaxProcesses: 3\n\n\n\n\n  IdelTimeout: 5s\n",
                         "corral.yaml:7: unknown key 'IdelTimeout' in section 'Scheduler'; did you mean "
                         "'IdleTimeout'?");
        parse_fails_with("Server:\n  datadri: /x\n",
                         "corral.yaml:2: unknown key 'datadri' in section 'Server'; did you mean "
                         "'DataDir'?");
        parse_fails_with("Server:\n  Listen: 1.2.3.4:80\n  IdleTimeout: 5s\n",
                         "corral.yaml:3: key 'IdleTimeout' belongs in section 'Scheduler', not 'Server'");
        parse_fails_with("Applications:\n  executable: /usr/bin/R\n",
                         "corral.yaml:2: key 'executable' belongs in section 'R', not 'Applications'");
        parse_fails_with("Sever:\n  Listen: 1.2.3.4:80\n",
                         "corral.yaml:1: unknown section 'Sever'; did you mean 'Server'?");
        parse_fails_with("Server:\n  DataDir: /x\nschedular:\n  IdleTimeout: 5s\n",
                         "corral.yaml:3: unknown section 'schedular'; did you mean 'Scheduler'?");
        parse_fails_with("DataDir: /x\n",
                         "corral.yaml:1: 'DataDir' is a key, not a section; it belongs in section 'Server'");
}

static void test_paths_and_addresses(void) {
        parse_fails_with("Server:\n  DataDir: var/lib/corral\n",
                         "corral.yaml:2: invalid value 'var/lib/corral' for Server.DataDir: must be an "
                         "absolute path");
        parse_fails_with("Server:\n  TempDir: tmp\n",
                         "corral.yaml:2: invalid value 'tmp' for Server.TempDir: must be an absolute path");
        parse_fails_with("SQLite:\n  Dir: db\n",
                         "corral.yaml:2: invalid value 'db' for SQLite.Dir: must be an absolute path");
        parse_fails_with("Server:\n  SocketPath: corral.sock\n",
                         "corral.yaml:2: invalid value 'corral.sock' for Server.SocketPath: must be an "
                         "absolute path");
        parse_fails_with("Applications:\n  Pandoc2Dir: opt/pandoc\n",
                         "corral.yaml:2: invalid value 'opt/pandoc' for Applications.Pandoc2Dir: must be an "
                         "absolute path");
        parse_fails_with("R:\n  Executable: [/usr/bin/R, R]\n",
                         "corral.yaml:2: invalid value 'R' for R.Executable: must be an absolute path");
        parse_fails_with("Python:\n  Executable:\n    - python3\n",
                         "corral.yaml:3: invalid value 'python3' for Python.Executable: must be an absolute "
                         "path");
        parse_fails_with("Server:\n  DataDir:\n",
                         "corral.yaml:2: Server.DataDir needs a value");

        parse_fails_with("Server:\n  Listen: localhost\n",
                         "corral.yaml:2: invalid value 'localhost' for Server.Listen: expected HOST:PORT");
        parse_fails_with("Server:\n  Listen: localhost:0\n",
                         "corral.yaml:2: invalid value 'localhost:0' for Server.Listen: the port must be a "
                         "number from 1 to 65535");
        parse_fails_with("Server:\n  Listen: localhost:65536\n",
                         "corral.yaml:2: invalid value 'localhost:65536' for Server.Listen: the port must "
                         "be a number from 1 to 65535");
        parse_fails_with("Server:\n  Listen: :3939\n",
                         "corral.yaml:2: invalid value ':3939' for Server.Listen: missing host before the "
                         "port");
        parse_fails_with("Server:\n  Listen: ::1:3939\n",
                         "corral.yaml:2: invalid value '::1:3939' for Server.Listen: an IPv6 address must "
                         "be written in brackets, e.g. [::1]:3939");
        parse_fails_with("Server:\n  Listen: '[::1]'\n",
                         "corral.yaml:2: invalid value '[::1]' for Server.Listen: expected HOST:PORT");
        parse_fails_with("Server:\n  Address: connect.example.com\n",
                         "corral.yaml:2: invalid value 'connect.example.com' for Server.Address: must be a "
                         "URL starting with http:// or https://");
        parse_fails_with("Server:\n  Address: ftp://x/\n",
                         "corral.yaml:2: invalid value 'ftp://x/' for Server.Address: must be a URL "
                         "starting with http:// or https://");

        Config *c = parse_ok("Server:\n  Listen: localhost:65535\n  Address: http://x:1/base/\n");
        ASSERT_STREQ(c->server_listen, "localhost:65535");
        ASSERT_STREQ(c->server_address, "http://x:1/base/");
        config_free(c);
}

static void test_enums_and_accounts(void) {
        parse_fails_with("R:\n  VersionMatching: closest\n",
                         "corral.yaml:2: invalid value 'closest' for R.VersionMatching: expected nearest, "
                         "major-minor or exact");
        parse_fails_with("Applications:\n  RunAs: root\n",
                         "corral.yaml:2: invalid value 'root' for Applications.RunAs: content must not run "
                         "as root");
        parse_fails_with("Applications:\n  RunAs: ''\n", "corral.yaml:2: Applications.RunAs needs a value");
        parse_fails_with("PAM:\n  SessionService: ../../etc/shadow\n",
                         "corral.yaml:2: invalid value '../../etc/shadow' for PAM.SessionService: must be a "
                         "PAM service name (a file in /etc/pam.d)");
        parse_fails_with("Applications:\n  ProhibitedEnvironment: [OK_NAME, 'BAD=1']\n",
                         "corral.yaml:2: invalid value 'BAD=1' for Applications.ProhibitedEnvironment: not "
                         "an environment variable name");
}

static void test_shapes(void) {
        parse_fails_with("Server: /var/lib/corral\n",
                         "corral.yaml:1: section 'Server' must be a mapping of keys, not a single value");
        parse_fails_with("Scheduler:\n  - IdleTimeout: 5s\n",
                         "corral.yaml:2: section 'Scheduler' must be a mapping of keys, not a list");
        parse_fails_with("Server:\n  DataDir: [/a, /b]\n",
                         "corral.yaml:2: Server.DataDir expects a single value, not a list");
        parse_fails_with("Scheduler:\n  IdleTimeout:\n    value: 5s\n",
                         "corral.yaml:3: Scheduler.IdleTimeout expects a single value, not a mapping");
        parse_fails_with("R:\n  Executable:\n    path: /usr/bin/R\n",
                         "corral.yaml:3: R.Executable expects a value or a list, not a mapping");
        parse_fails_with("R:\n  Executable:\n    - [/usr/bin/R]\n",
                         "corral.yaml:3: each item of R.Executable must be a single value, not a list");
        parse_fails_with("R:\n  Repositories: [https://cran.r-project.org]\n",
                         "corral.yaml:2: R.Repositories expects a mapping of name to URL, not a list");
        parse_fails_with("Server:\n  RVersion: [/usr/bin/R, /opt/R/bin/R]\n",
                         "corral.yaml:2: Server.RVersion expects a single value, not a list");
        parse_fails_with("- Server\n- R\n",
                         "corral.yaml:1: the file must be a mapping of sections (e.g. 'Server:'), not a "
                         "list");
        parse_fails_with("just some text\n",
                         "corral.yaml:1: the file must be a mapping of sections (e.g. 'Server:'), not a "
                         "single value");
        parse_fails_with("Server:\n  DataDir: /a\n---\nServer:\n  DataDir: /b\n",
                         "corral.yaml:3: more than one YAML document; corral.yaml holds exactly one");

        /* An empty section is allowed and changes nothing. */
        Config *c = parse_ok("Server:\nScheduler: ~\n");
        ASSERT(c->scheduler.max_processes == 3);
        config_free(c);
}

static void test_lists(void) {
        Config *c;

        c = parse_ok("R:\n  Executable: /usr/bin/R\nPython:\n  Executable: [/usr/bin/python3]\n"
                     "Applications:\n  ProhibitedEnvironment: MY_SECRET\n");
        ASSERT(strv_length(c->r_executables) == 1);
        ASSERT_STREQ(c->r_executables[0], "/usr/bin/R");
        ASSERT(strv_length(c->python_executables) == 1);
        ASSERT_STREQ(c->python_executables[0], "/usr/bin/python3");
        ASSERT(strv_length(c->prohibited_environment) == 1);
        ASSERT_STREQ(c->prohibited_environment[0], "MY_SECRET");
        config_free(c);

        c = parse_ok("Applications:\n  ProhibitedEnvironment:\n    - A\n    - B_2\n    - _C\n");
        ASSERT(strv_length(c->prohibited_environment) == 3);
        ASSERT_STREQ(c->prohibited_environment[2], "_C");
        config_free(c);

        c = parse_ok("R:\n  Executable: []\n");
        ASSERT(!c->r_executables);
        config_free(c);
}

static void test_repositories(void) {
        Config *c;

        c = parse_ok("R:\n  Repositories:\n    CRAN: file:///srv/cran\n    RSPM: "
                     "https://packagemanager.example/cran\n    Bioc: \"https://bioconductor.org\"\n");
        ASSERT(c->n_r_repositories == 3);
        ASSERT_STREQ(c->r_repositories[0].name, "CRAN");
        ASSERT_STREQ(c->r_repositories[0].url, "file:///srv/cran");
        ASSERT_STREQ(c->r_repositories[1].name, "RSPM");
        ASSERT_STREQ(c->r_repositories[2].url, "https://bioconductor.org");
        config_free(c);

        c = parse_ok("R:\n  Repositories: {}\n");
        ASSERT(c->n_r_repositories == 0 && !c->r_repositories);
        config_free(c);

        parse_fails_with("R:\n  Repositories:\n    CRAN: file:///a\n    cran: file:///b\n",
                         "corral.yaml:4: duplicate repository 'cran' in R.Repositories (first given at line "
                         "3)");
        parse_fails_with("R:\n  Repositories:\n    CRAN: /srv/cran\n",
                         "corral.yaml:3: invalid value '/srv/cran' for R.Repositories: must be a URL such "
                         "as https://cran.r-project.org");
        parse_fails_with("R:\n  Repositories:\n    CRAN: [file:///a]\n",
                         "corral.yaml:3: R.Repositories expects a single value, not a list");
}

static void test_rversion_alias(void) {
        Config *c;

        c = parse_ok("Server:\n  RVersion: /opt/R/4.2.0/bin/R\n");
        ASSERT(strv_length(c->r_executables) == 1);
        ASSERT_STREQ(c->r_executables[0], "/opt/R/4.2.0/bin/R");
        config_free(c);

        parse_fails_with("Server:\n  RVersion: R\n",
                         "corral.yaml:2: invalid value 'R' for Server.RVersion: must be an absolute path");
        parse_fails_with("Server:\n  RVersion: /opt/R/bin/R\nR:\n  Executable: /usr/bin/R\n",
                         "corral.yaml:4: Server.RVersion (line 2) and R.Executable (line 4) both set the R "
                         "executables; keep only R.Executable");
}

static void test_sqlite_dir_default(void) {
        Config *c;

        /* DataDir set after SQLite counts. */
        c = parse_ok("SQLite:\nServer:\n  DataDir: /srv/corral/\n");
        ASSERT_STREQ(c->sqlite_dir, "/srv/corral/db");
        config_free(c);

        c = parse_ok("SQLite:\n  Dir: /fast/db\nServer:\n  DataDir: /srv/corral\n");
        ASSERT_STREQ(c->sqlite_dir, "/fast/db");
        config_free(c);
}

static void test_duplicates(void) {
        parse_fails_with("Scheduler:\n  IdleTimeout: 5s\n  MaxProcesses: 3\n  idletimeout: 10s\n",
                         "corral.yaml:4: duplicate key 'idletimeout' in section 'Scheduler' (first set at "
                         "line 2)");
        parse_fails_with("Server:\n  DataDir: /a\nR:\n  VersionMatching: exact\nserver:\n  Listen: "
                         "1.2.3.4:5\n",
                         "corral.yaml:5: duplicate section 'Server' (first given at line 1)");
}

static void test_scheduler_rules(void) {
        parse_fails_with("Scheduler:\n  MinProcesses: 5\n  MaxProcesses: 4\n",
                         "corral.yaml:3: Scheduler.MinProcesses (5) must not be greater than "
                         "Scheduler.MaxProcesses (4)");
        parse_fails_with("Scheduler:\n  MaxProcesses: 30\n",
                         "corral.yaml:2: Scheduler.MaxProcesses (30) must not be greater than "
                         "Scheduler.MaxProcessesLimit (20)");
        parse_fails_with("Scheduler:\n  MaxProcesses: 30\n  MaxProcessesLimit: 40\n  MinProcesses: 25\n",
                         "corral.yaml:4: Scheduler.MinProcesses (25) must not be greater than "
                         "Scheduler.MinProcessesLimit (20)");
        parse_fails_with("Scheduler:\n  MaxConnsPerProcess: 0\n",
                         "corral.yaml:2: Scheduler.MaxConnsPerProcess must be at least 1");
        parse_fails_with("Scheduler:\n  MaxProcesses: 0\n", "corral.yaml:2: Scheduler.MaxProcesses must be "
                                                            "at least 1");
        parse_fails_with("Scheduler:\n  MaxStartingUnits: 0\n",
                         "corral.yaml:2: Scheduler.MaxStartingUnits must be at least 1");

        Config *c = parse_ok("Scheduler:\n  MinProcesses: 3\n  MaxProcesses: 3\n");
        ASSERT(c->scheduler.min_processes == 3);
        config_free(c);
}

static void test_yaml_syntax(void) {
        parse_fails_prefix("Server:\n  DataDir: /a\n  Listen: [1.2.3.4:5\n",
                           "corral.yaml:4: YAML syntax error: ");
        parse_fails_prefix("Server:\n  DataDir: /a\n Listen: x: y\n", "corral.yaml:3: YAML syntax error: ");
        parse_fails_prefix("Server:\n\tDataDir: /a\n", "corral.yaml:2: YAML syntax error: ");
        parse_fails_prefix("Server:\n  DataDir: *nope\n", "corral.yaml:2: YAML syntax error: ");
}

static void test_load_file(void) {
        _cleanup_free_ char *empty = write_tmp("empty.yaml", "", 0600);
        _cleanup_free_ char *comments = write_tmp("comments.yaml", "# nothing here\n\n", 0600);
        _cleanup_free_ char *bad = write_tmp("bad.yaml", "Scheduler:\n  IdelTimeout: 5s\n", 0600);
        _cleanup_free_ char *good = write_tmp("good.yaml", full_file, 0600);
        _cleanup_free_ char *missing = NULL, *error = NULL, *expected = NULL;
        Config *c = NULL;

        ASSERT(config_load(empty, &c, &error) == 0);
        ASSERT(!error);
        ASSERT_STREQ(c->path, empty);
        ASSERT_STREQ(c->data_dir, "/var/lib/corral");
        ASSERT(c->scheduler.max_processes == 3);
        c = config_free(c);

        ASSERT(config_load(comments, &c, &error) == 0);
        ASSERT_STREQ(c->sqlite_dir, "/var/lib/corral/db");
        c = config_free(c);

        ASSERT(config_load(good, &c, NULL) == 0);
        ASSERT_STREQ(c->path, good);
        ASSERT(c->scheduler.max_processes == 10);
        c = config_free(c);

        ASSERT(config_load(bad, &c, &error) == -EINVAL);
        ASSERT(!c);
        ASSERT(asprintf(&expected, "%s:2: unknown key 'IdelTimeout' in section 'Scheduler'; did you mean "
                                   "'IdleTimeout'?", bad) > 0);
        ASSERT_STREQ(error, expected);
        free(error);
        error = NULL;

        /* Without ret_error the error code still comes back. */
        ASSERT(config_load(bad, &c, NULL) == -EINVAL);

        ASSERT(path_join(tmp_root, "does-not-exist.yaml", &missing) == 0);
        ASSERT(config_load(missing, &c, &error) == -ENOENT);
        ASSERT(!c);
        ASSERT(error && strncmp(error, missing, strlen(missing)) == 0);
        ASSERT(strstr(error, "No such file or directory"));
}

int main(void) {
        static const struct {
                const char *name;
                void (*run)(void);
        } tests[] = {
                { "defaults", test_defaults },
                { "python_detection", test_python_detection },
                { "full_file", test_full_file },
                { "case_insensitive", test_case_insensitive },
                { "durations", test_durations },
                { "sizes", test_sizes },
                { "cpu_quota", test_cpu_quota },
                { "booleans_and_integers", test_booleans_and_integers },
                { "unknown_names", test_unknown_names },
                { "paths_and_addresses", test_paths_and_addresses },
                { "enums_and_accounts", test_enums_and_accounts },
                { "shapes", test_shapes },
                { "lists", test_lists },
                { "repositories", test_repositories },
                { "rversion_alias", test_rversion_alias },
                { "sqlite_dir_default", test_sqlite_dir_default },
                { "duplicates", test_duplicates },
                { "scheduler_rules", test_scheduler_rules },
                { "yaml_syntax", test_yaml_syntax },
                { "load_file", test_load_file },
        };
        const char *base = getenv("CORRAL_TEST_TMP");
        _cleanup_free_ char *template = NULL;

        if (base && base[0] == '/')
                (void) mkdir_p(base, 0755);
        else
                base = "/tmp";
        if (asprintf(&template, "%s/test-config.XXXXXX", base) < 0)
                return EXIT_FAILURE;
        tmp_root = mkdtemp(template);
        if (!tmp_root) {
                fprintf(stderr, "mkdtemp in %s: %m\n", base);
                return EXIT_FAILURE;
        }

        for (size_t i = 0; i < ELEMENTSOF(tests); i++) {
                tests[i].run();
                printf("ok %zu - %s\n", i + 1, tests[i].name);
        }
        printf("%zu tests, %u checks passed\n", ELEMENTSOF(tests), n_checks);
        (void) rm_rf(tmp_root);
        return EXIT_SUCCESS;
}
