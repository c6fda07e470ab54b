/* SPDX-License-Identifier: MIT */
#pragma once

/* corrald's state in SQLite (WAL) under SQLite.Dir: content, bundles, process/job records
 * (spec §12) and deploy tasks. Schema changes are numbered migrations applied at open.
 * All functions return 0 or negative errno (SQLite errors are mapped in one place); none logs. */

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "macro.h"

typedef struct Store Store;

typedef struct Content {
        int64_t id;
        char *guid;
        char *name;
        char *title;
        char *app_mode;      /* NULL until the first deploy */
        char *entry_point;   /* NULL = the mode's default */
        char *run_as;        /* NULL = Applications.RunAs */
        int64_t bundle_id;   /* active bundle, 0 = none */
        char *settings;      /* per-content scheduler settings as JSON text, or NULL */
        char *rmarkdown_version; /* of the active bundle's manifest, or NULL */
} Content;

Content *content_free(Content *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Content *, content_free);

typedef struct ProcessRecord {
        const char *key;
        int64_t content_id;
        int64_t bundle_id;
        const char *tag;
        const char *unit;
        const char *run_as;
        const char *hostname;
        uint16_t port;       /* on-demand processes; 0 for jobs */
} ProcessRecord;

typedef struct ProcessEnd {
        int exit_code;       /* -1 = none (killed by a signal) */
        int signal;          /* 0 = none */
        const char *cause;   /* "idle", "init timeout", "exited", "signal", "admin stop", "deploy", "user", "pam", "oom", "shutdown", … or NULL */
        const char *result;  /* systemd's Result= ("success", "exit-code", "signal", "oom-kill", …) or NULL */
        int raw_status;      /* systemd's ExecMainStatus as reported */
} ProcessEnd;

/* Opens (creating dir and file as needed, mode 0700/0600) and migrates the database. */
int store_open(const char *dir, Store **ret);
Store *store_free(Store *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Store *, store_free);
/* The schema version after migrations. */
int store_schema_version(Store *s);

/* Content. */
int store_content_create(Store *s, const char *guid, const char *name, const char *title, int64_t *ret_id);
/* Looks content up by numeric id ("12") or GUID; -ENOENT if none. */
int store_content_get(Store *s, const char *id_or_guid, Content **ret);
int store_content_get_by_id(Store *s, int64_t id, Content **ret);
/* Activates bundle_id with its mode and entry point. */
int store_content_activate_bundle(Store *s, int64_t content_id, int64_t bundle_id, const char *app_mode,
                                  const char *entry_point);

/* Stores the per-content scheduler settings (JSON text, NULL = all defaults). */
int store_content_set_settings(Store *s, int64_t content_id, const char *settings);
int store_content_set_title(Store *s, int64_t content_id, const char *title);
/* The content's own RunAs (NULL = Applications.RunAs). */
int store_content_set_run_as(Store *s, int64_t content_id, const char *run_as);
int store_content_set_rmarkdown_version(Store *s, int64_t content_id, const char *version);
/* Applies changes {NAME: "value" | null} to the content's environment variables, atomically. */
int store_env_update(Store *s, int64_t content_id, json_t *changes);
/* The content's variables as NAME=VALUE strings, sorted by name. */
int store_env_get(Store *s, int64_t content_id, char ***ret);
/* Deletes content with its bundles, process records and tasks (-ENOENT if none). */
int store_content_delete(Store *s, int64_t content_id);
/* The ids of all content, in *ret (array of *ret_n). */
int store_content_list_ids(Store *s, int64_t **ret, size_t *ret_n);

/* Bundles. */
int store_bundle_create(Store *s, int64_t content_id, int64_t size, int64_t *ret_id);
/* Whether bundle_id belongs to content_id (-ENOENT otherwise). */
int store_bundle_check(Store *s, int64_t content_id, int64_t bundle_id);
int store_bundle_set_ready(Store *s, int64_t bundle_id, bool ready);
int store_bundle_delete(Store *s, int64_t bundle_id);

/* Process and job records. */
int store_process_insert(Store *s, const ProcessRecord *p);
int store_process_set_pid(Store *s, const char *key, int64_t pid);
/* Why it ended, in words (e.g. the PAM reason). */
int store_process_set_detail(Store *s, const char *key, const char *detail);
int store_process_finish(Store *s, const char *key, const ProcessEnd *end);
/* What the record of key says: content, bundle, port, whether it is still active, and (if
 * ret_run_as is non-NULL) the account it runs as (-ENOENT if none). */
int store_process_lookup(Store *s, const char *key, int64_t *ret_content_id, int64_t *ret_bundle_id,
                         uint16_t *ret_port, bool *ret_active, char **ret_run_as);
/* Keys of processes still marked active (for adoption at start) in *ret (strv). */
int store_process_list_active(Store *s, char ***ret);
/* The record of one process as JSON (-ENOENT if none). */
int store_process_get_json(Store *s, const char *key, json_t **ret);

/* Deploy tasks: an id, a growing list of status lines, and an end. */
int store_task_create(Store *s, const char *id, int64_t content_id);
int store_task_append(Store *s, const char *id, const char *line);
int store_task_finish(Store *s, const char *id, int code, const char *error);
/* Appends a formatted line to task id (NULL: none); failures are ignored. */
void store_task_appendf(Store *s, const char *id, const char *fmt, ...) _printf_(3, 4);
/* Ends every unfinished task as failed with error (at start: their corrald is gone). Returns how
 * many, or negative errno. */
int store_tasks_fail_unfinished(Store *s, const char *error);
/* {id, status: [lines from first on], last_status, finished, code, error} (-ENOENT if none). */
int store_task_get_json(Store *s, const char *id, int64_t first, json_t **ret);

/* Runs sql with text parameters (NULL-terminated, may be NULL) and returns the rows as a JSON
 * array of objects keyed by column name (integers, reals, text, null). For read-only listings. */
int store_query_json(Store *s, const char *sql, const char * const *params, json_t **ret);
