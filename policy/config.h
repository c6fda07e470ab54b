/* SPDX-License-Identifier: MIT */
#pragma once

/* The settings of corral.yaml (spec §3): one YAML file, a mapping of sections to mappings of keys.
 * Section and key names are the seed product's, matched case-insensitively. */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

#define CORRAL_CONFIG_PATH "/etc/corral/corral.yaml"
#define CORRAL_MOUNT_DIR "/opt/corral/mnt"

typedef struct RRepository {
        char *name;
        char *url;
} RRepository;

typedef struct SchedulerSettings {
        unsigned min_processes;          /* 0 */
        unsigned max_processes;          /* 3 */
        unsigned max_conns_per_process;  /* 20 */
        double load_factor;              /* 0.5, 0.0–1.0 */
        uint64_t init_timeout_usec;      /* 60s */
        uint64_t idle_timeout_usec;      /* 5s */
        uint64_t connection_timeout_usec;/* 3600s, 0 = never */
        uint64_t read_timeout_usec;      /* 3600s, 0 = never */
        unsigned min_processes_limit;    /* 20 */
        unsigned max_processes_limit;    /* 20 */
        unsigned max_starting_units;     /* 8: units starting at once, server-wide */
} SchedulerSettings;

typedef struct Config {
        char *path;                      /* the file this was read from, or NULL for defaults */

        /* Server */
        char *server_address;            /* "http://127.0.0.1:3939/" */
        char *server_listen;             /* "127.0.0.1:3939" */
        char *data_dir;                  /* "/var/lib/corral" */
        char *temp_dir;                  /* $TMPDIR, else "/tmp" */
        char *socket_path;               /* Server.SocketPath, "/run/corral/corral.sock" */

        /* SQLite */
        char *sqlite_dir;                /* "{DataDir}/db" */

        /* Applications */
        char *run_as;                    /* "corral" */
        char *run_as_group;              /* NULL = RunAs's primary group */
        bool run_as_current_user;        /* false */
        bool home_mounting;              /* false */
        char *supervisor;                /* NULL; a command line, split on whitespace with quotes */
        char *r_config_active;           /* "rsconnect" */
        char *pandoc1_dir, *pandoc2_dir; /* NULL */
        char **prohibited_environment;   /* admin's extra names */
        uint64_t memory_max;             /* bytes, 0 = unset */
        uint64_t cpu_quota_percent;      /* percent (e.g. 150 for 150%), 0 = unset */
        uint64_t tasks_max;              /* 0 = unset */
        unsigned rendering_retention;    /* 10 */

        /* PAM */
        char *pam_service;               /* "corral" */
        bool pam_use_session;            /* false */
        char *pam_session_service;       /* "corral-session" */
        bool pam_forward_password;       /* false */
        uint64_t pam_password_lifetime_usec; /* 12h */
        char *pam_authenticated_session_service; /* "corral-auth-session" */

        /* Scheduler */
        SchedulerSettings scheduler;

        /* R */
        char **r_executables;            /* NULL = R on PATH; Server.RVersion is an alias */
        char *r_version_matching;        /* "nearest" | "major-minor" | "exact" */
        RRepository *r_repositories;
        size_t n_r_repositories;

        /* Python */
        bool python_enabled;             /* true if a python3 is found */
        bool python_enabled_set;         /* whether the file said so explicitly */
        char **python_executables;       /* NULL = python3 on PATH */
        char *python_package_index;      /* NULL */
} Config;

/* Returns a Config holding every default of spec §3 in *ret. */
int config_new_default(Config **ret);

/* Reads and validates the YAML file at path. On success *ret holds the settings. On a parse or
 * validation error returns -EINVAL (or the errno of opening the file) and, if ret_error is
 * non-NULL, stores a message "PATH:LINE: what is wrong" that names the closest valid key for an
 * unknown key, and the valid section for a key in the wrong section. Never logs.
 * A file that cannot be read gives its errno and "PATH: cannot read configuration: …".
 * On -ENOMEM *ret_error is left alone. The caller owns *ret and *ret_error. */
int config_load(const char *path, Config **ret, char **ret_error);

/* Same as config_load() on text already in memory; filename is only used in messages. */
int config_parse_string(const char *text, const char *filename, Config **ret, char **ret_error);

Config *config_free(Config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Config *, config_free);

/* "500ms", "5s", "1m15s", "12h", "2d", a bare number is seconds; units us, ms, s, m/min, h, d,
 * components may be separated by spaces, each number may have a decimal fraction ("1.5h").
 * Returns -ERANGE on overflow, -EINVAL on anything else (empty, negative, garbage). */
int parse_duration(const char *s, uint64_t *ret_usec);
/* "512M", "2G", "1024", "64K" (powers of 1024; K/M/G/T, any case, optional "i" and "B").
 * Returns -EINVAL / -ERANGE. */
int parse_size(const char *s, uint64_t *ret_bytes);
/* Applications.CPUQuota: "150%" or a number of CPUs with at most two decimals ("1.5" = 150).
 * Stores percent; zero, negative or garbage give -EINVAL, overflow -ERANGE. */
int parse_cpu_quota(const char *s, uint64_t *ret_percent);
/* "true"/"false"/"yes"/"no"/"on"/"off"/"1"/"0", case-insensitive; else -EINVAL. */
int parse_boolean(const char *s, bool *ret);
