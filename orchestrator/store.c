/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "fs-util.h"
#include "store-internal.h"
#include "store.h"
#include "strv.h"

/* The one place SQLite's error space becomes errno. */
int errno_from_sqlite(int rc) {
        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_ROW:
        case SQLITE_DONE:
                return 0;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH:
                return -EACCES;
        case SQLITE_CONSTRAINT:
                return -EEXIST;
        case SQLITE_NOTFOUND:
                return -ENOENT;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_CANTOPEN:
                return -ENOENT;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
                return -EBADMSG;
        case SQLITE_TOOBIG:
                return -E2BIG;
        case SQLITE_MISMATCH:
        case SQLITE_RANGE:
                return -EINVAL;
        default:
                return -EIO;
        }
}

Content *content_free(Content *c) {
        if (!c)
                return NULL;
        free(c->guid);
        free(c->name);
        free(c->title);
        free(c->app_mode);
        free(c->entry_point);
        free(c->run_as);
        free(c->settings);
        free(c->rmarkdown_version);
        free(c);
        return NULL;
}

/* Numbered migrations; each runs once, in a transaction, and bumps user_version. */
static const char * const migrations[] = {
        /* 1 */
        "CREATE TABLE content ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  guid TEXT NOT NULL UNIQUE,"
        "  name TEXT NOT NULL,"
        "  title TEXT NOT NULL,"
        "  app_mode TEXT,"
        "  entry_point TEXT,"
        "  run_as TEXT,"
        "  bundle_id INTEGER,"
        "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
        "  updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
        "CREATE TABLE bundles ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  content_id INTEGER NOT NULL REFERENCES content(id) ON DELETE CASCADE,"
        "  size INTEGER NOT NULL,"
        "  ready INTEGER NOT NULL DEFAULT 0,"
        "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
        "CREATE TABLE processes ("
        "  key TEXT PRIMARY KEY,"
        "  content_id INTEGER NOT NULL REFERENCES content(id) ON DELETE CASCADE,"
        "  bundle_id INTEGER,"
        "  variant_id INTEGER,"
        "  tag TEXT NOT NULL,"
        "  unit TEXT NOT NULL,"
        "  pid INTEGER,"
        "  run_as TEXT NOT NULL,"
        "  hostname TEXT NOT NULL,"
        "  started TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
        "  ended TEXT,"
        "  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','finished','finalized')),"
        "  exit_code INTEGER,"
        "  signal INTEGER,"
        "  cause TEXT,"
        "  result TEXT,"
        "  raw_status INTEGER);"
        "CREATE INDEX processes_content ON processes(content_id, status);"
        "CREATE TABLE tasks ("
        "  id TEXT PRIMARY KEY,"
        "  content_id INTEGER REFERENCES content(id) ON DELETE CASCADE,"
        "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
        "  finished INTEGER NOT NULL DEFAULT 0,"
        "  code INTEGER NOT NULL DEFAULT 0,"
        "  error TEXT NOT NULL DEFAULT '');"
        "CREATE TABLE task_lines ("
        "  task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,"
        "  n INTEGER NOT NULL,"
        "  line TEXT NOT NULL,"
        "  PRIMARY KEY (task_id, n));",
        /* 2: per-content scheduler settings (JSON, spec §7); the port of each process, so a
         * restarted corrald can adopt running units. */
        "ALTER TABLE content ADD COLUMN settings TEXT;"
        "ALTER TABLE processes ADD COLUMN port INTEGER;",
        /* 3: content environment variables (spec §6; values are never sent back out), and the
         * rmarkdown version a bundle was built with (spec §9). */
        "CREATE TABLE content_env ("
        "  content_id INTEGER NOT NULL REFERENCES content(id) ON DELETE CASCADE,"
        "  name TEXT NOT NULL,"
        "  value TEXT NOT NULL,"
        "  PRIMARY KEY (content_id, name));"
        "ALTER TABLE content ADD COLUMN rmarkdown_version TEXT;",
        /* users, login sessions and API keys (stored hashed), content ownership, access and
         * current-user execution (spec §4, §13) */
        "CREATE TABLE users ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  username TEXT NOT NULL UNIQUE,"
        "  role TEXT NOT NULL DEFAULT 'viewer' CHECK (role IN ('viewer','publisher','administrator')),"
        "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
        "  last_login TEXT);"
        "CREATE TABLE sessions ("
        "  token_hash TEXT PRIMARY KEY,"
        "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        "  expires INTEGER NOT NULL);"
        "CREATE TABLE api_keys ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        "  name TEXT NOT NULL,"
        "  key_hash TEXT NOT NULL UNIQUE,"
        "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
        "CREATE TABLE content_acl ("
        "  content_id INTEGER NOT NULL REFERENCES content(id) ON DELETE CASCADE,"
        "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        "  role TEXT NOT NULL CHECK (role IN ('viewer','collaborator')),"
        "  PRIMARY KEY (content_id, user_id));"
        "ALTER TABLE content ADD COLUMN owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL;"
        "ALTER TABLE content ADD COLUMN access TEXT NOT NULL DEFAULT 'all';"
        "ALTER TABLE content ADD COLUMN run_as_current_user INTEGER NOT NULL DEFAULT 0;",
        /* reports (spec §10, issue 5): variants of a report with their parameters and schedule, and
         * renderings (one output dir each; the active one is what viewers get). */
        "CREATE TABLE variants ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  content_id INTEGER NOT NULL REFERENCES content(id) ON DELETE CASCADE,"
        "  name TEXT NOT NULL,"
        "  params TEXT,"
        "  schedule TEXT,"
        "  is_default INTEGER NOT NULL DEFAULT 0,"
        "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
        "  UNIQUE (content_id, name));"
        "CREATE TABLE renderings ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  content_id INTEGER NOT NULL REFERENCES content(id) ON DELETE CASCADE,"
        "  variant_id INTEGER NOT NULL REFERENCES variants(id) ON DELETE CASCADE,"
        "  bundle_id INTEGER,"
        "  job_key TEXT,"
        "  tag TEXT,"
        "  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running','succeeded','failed')),"
        "  activate INTEGER NOT NULL DEFAULT 1,"
        "  active INTEGER NOT NULL DEFAULT 0,"
        "  primary_file TEXT,"
        "  error TEXT,"
        "  started TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
        "  ended TEXT);"
        "CREATE INDEX renderings_variant ON renderings(variant_id, id);",
        /* the R and Python installations a bundle was deployed with (spec §2, issue 6) */
        "CREATE TABLE bundle_interpreters ("
        "  bundle_id INTEGER PRIMARY KEY REFERENCES bundles(id) ON DELETE CASCADE,"
        "  r_executable TEXT,"
        "  python_executable TEXT);",
        /* why a process ended, in words (the PAM reason of a session that could not open) */
        "ALTER TABLE processes ADD COLUMN detail TEXT;",
};

int exec_sql(Store *s, const char *sql) {
        return errno_from_sqlite(sqlite3_exec(s->db, sql, NULL, NULL, NULL));
}

static int migrate(Store *s) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int version, r;

        r = errno_from_sqlite(sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL));
        if (r < 0)
                return r;
        if (sqlite3_step(st) != SQLITE_ROW)
                return -EIO;
        version = sqlite3_column_int(st, 0);
        if (version > (int) ELEMENTSOF(migrations))
                return -EPROTONOSUPPORT; /* a newer corrald made this database */
        for (int v = version; v < (int) ELEMENTSOF(migrations); v++) {
                char pragma[64];
                r = exec_sql(s, "BEGIN IMMEDIATE");
                if (r < 0)
                        return r;
                r = exec_sql(s, migrations[v]);
                (void) snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
                if (r >= 0)
                        r = exec_sql(s, pragma);
                if (r < 0) {
                        (void) exec_sql(s, "ROLLBACK");
                        return r;
                }
                r = exec_sql(s, "COMMIT");
                if (r < 0)
                        return r;
        }
        s->version = (int) ELEMENTSOF(migrations);
        return 0;
}

int store_open(const char *dir, Store **ret) {
        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        r = path_join(dir, "corral.db", &path);
        if (r < 0)
                return r;
        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        mode_t old = umask(0077);
        r = errno_from_sqlite(sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                              SQLITE_OPEN_FULLMUTEX, NULL));
        (void) umask(old);
        if (r < 0)
                return r;
        (void) sqlite3_busy_timeout(s->db, 5000);
        r = exec_sql(s, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;");
        if (r < 0)
                return r;
        r = migrate(s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

Store *store_free(Store *s) {
        if (!s)
                return NULL;
        (void) sqlite3_close_v2(s->db);
        free(s);
        return NULL;
}

int store_schema_version(Store *s) {
        return s->version;
}

/* Prepares sql and binds the variadic-free argument list: each bind is text or int64 by the
 * format character ('s' text, possibly NULL; 'i' int64). */
static int prepare_v(Store *s, sqlite3_stmt **ret, const char *sql, const char *fmt, va_list ap) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = errno_from_sqlite(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL));
        if (r < 0)
                return r;
        for (int i = 0; fmt && fmt[i]; i++) {
                if (fmt[i] == 's') {
                        const char *v = va_arg(ap, const char *);
                        r = v ? sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i + 1);
                } else {
                        int64_t v = va_arg(ap, int64_t);
                        r = sqlite3_bind_int64(st, i + 1, v);
                }
                if (r != SQLITE_OK)
                        return errno_from_sqlite(r);
        }
        *ret = TAKE_PTR(st);
        return 0;
}

int prepare(Store *s, sqlite3_stmt **ret, const char *sql, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = prepare_v(s, ret, sql, fmt, ap);
        va_end(ap);
        return r;
}

int execf(Store *s, const char *sql, const char *fmt, ...) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = prepare_v(s, &st, sql, fmt, ap);
        va_end(ap);
        if (r < 0)
                return r;
        return step_done(st);
}

int step_done(sqlite3_stmt *st) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE || rc == SQLITE_ROW)
                return 0;
        return errno_from_sqlite(rc);
}

char *column_strdup(sqlite3_stmt *st, int i) {
        const unsigned char *t = sqlite3_column_text(st, i);
        return t ? strdup((const char *) t) : NULL;
}

int store_content_create(Store *s, const char *guid, const char *name, const char *title, int64_t *ret_id) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = prepare(s, &st, "INSERT INTO content (guid, name, title) VALUES (?, ?, ?)", "sss", guid, name, title);
        if (r < 0)
                return r;
        r = step_done(st);
        if (r < 0)
                return r;
        if (ret_id)
                *ret_id = sqlite3_last_insert_rowid(s->db);
        return 0;
}

static int content_from_row(sqlite3_stmt *st, Content **ret) {
        _cleanup_(content_freep) Content *c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->id = sqlite3_column_int64(st, 0);
        c->guid = column_strdup(st, 1);
        c->name = column_strdup(st, 2);
        c->title = column_strdup(st, 3);
        c->app_mode = column_strdup(st, 4);
        c->entry_point = column_strdup(st, 5);
        c->run_as = column_strdup(st, 6);
        c->bundle_id = sqlite3_column_int64(st, 7);
        c->settings = column_strdup(st, 8);
        c->rmarkdown_version = column_strdup(st, 9);
        if (!c->guid || !c->name || !c->title)
                return -ENOMEM;
        *ret = TAKE_PTR(c);
        return 0;
}

#define CONTENT_COLUMNS "id, guid, name, title, app_mode, entry_point, run_as, bundle_id, settings, rmarkdown_version"

/* The one row st yields as Content, -ENOENT when there is none. */
static int content_one(sqlite3_stmt *st, Content **ret) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
                return -ENOENT;
        if (r != SQLITE_ROW)
                return errno_from_sqlite(r);
        return content_from_row(st, ret);
}

int store_content_get_by_id(Store *s, int64_t id, Content **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = prepare(s, &st, "SELECT " CONTENT_COLUMNS " FROM content WHERE id = ?", "i", id);
        if (r < 0)
                return r;
        return content_one(st, ret);
}

int store_content_get(Store *s, const char *id_or_guid, Content **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        char *end = NULL;
        int r;

        if (!id_or_guid || !*id_or_guid)
                return -ENOENT;
        errno = 0;
        long long id = strtoll(id_or_guid, &end, 10);
        if (errno == 0 && end && *end == 0 && id > 0)
                return store_content_get_by_id(s, id, ret);
        r = prepare(s, &st, "SELECT " CONTENT_COLUMNS " FROM content WHERE guid = ?", "s", id_or_guid);
        if (r < 0)
                return r;
        return content_one(st, ret);
}

int store_content_activate_bundle(Store *s, int64_t content_id, int64_t bundle_id, const char *app_mode,
                                  const char *entry_point) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = prepare(s, &st,
                    "UPDATE content SET bundle_id = ?, app_mode = ?, entry_point = ?, "
                    "updated = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?",
                    "issi", bundle_id, app_mode, entry_point, content_id);
        if (r < 0)
                return r;
        r = step_done(st);
        if (r < 0)
                return r;
        return sqlite3_changes(s->db) == 1 ? 0 : -ENOENT;
}

int store_content_set_settings(Store *s, int64_t content_id, const char *settings) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = prepare(s, &st,
                    "UPDATE content SET settings = ?, updated = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?",
                    "si", settings, content_id);
        if (r < 0)
                return r;
        r = step_done(st);
        if (r < 0)
                return r;
        return sqlite3_changes(s->db) == 1 ? 0 : -ENOENT;
}

int store_content_set_run_as(Store *s, int64_t content_id, const char *run_as) {
        return execf(s, "UPDATE content SET run_as = ? WHERE id = ?", "si", run_as, content_id);
}

int store_content_set_rmarkdown_version(Store *s, int64_t content_id, const char *version) {
        return execf(s, "UPDATE content SET rmarkdown_version = ? WHERE id = ?", "si", version, content_id);
}

int store_env_update(Store *s, int64_t content_id, json_t *changes) {
        const char *name;
        json_t *v;
        int r;

        /* All or nothing: a batch either applies whole or leaves the variables as they were. */
        r = exec_sql(s, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        json_object_foreach(changes, name, v) {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;
                if (json_is_null(v))
                        r = prepare(s, &st, "DELETE FROM content_env WHERE content_id = ? AND name = ?", "is",
                                    content_id, name);
                else
                        r = prepare(s, &st, "INSERT OR REPLACE INTO content_env (content_id, name, value) VALUES (?, ?, ?)",
                                    "iss", content_id, name, json_string_value(v));
                if (r >= 0)
                        r = step_done(st);
                if (r < 0) {
                        (void) exec_sql(s, "ROLLBACK");
                        return r;
                }
        }
        return exec_sql(s, "COMMIT");
}

int store_env_get(Store *s, int64_t content_id, char ***ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = prepare(s, &st, "SELECT name, value FROM content_env WHERE content_id = ? ORDER BY name", "i", content_id);
        if (r < 0)
                return r;
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                r = strv_extendf(&l, "%s=%s", (const char *) sqlite3_column_text(st, 0),
                                 (const char *) sqlite3_column_text(st, 1));
                if (r < 0)
                        return r;
        }
        if (r != SQLITE_DONE)
                return errno_from_sqlite(r);
        *ret = TAKE_PTR(l);
        return 0;
}

int store_content_set_title(Store *s, int64_t content_id, const char *title) {
        return execf(s, "UPDATE content SET title = ? WHERE id = ?", "si", title, content_id);
}

int store_content_delete(Store *s, int64_t content_id) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, &st, "DELETE FROM content WHERE id = ?", "i", content_id);
        if (r < 0)
                return r;
        r = step_done(st);
        if (r < 0)
                return r;
        return sqlite3_changes(s->db) == 1 ? 0 : -ENOENT;
}

int store_content_list_ids(Store *s, int64_t **ret, size_t *ret_n) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_free_ int64_t *ids = NULL;
        size_t n = 0;
        int r;

        r = prepare(s, &st, "SELECT id FROM content ORDER BY id", NULL);
        if (r < 0)
                return r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                int64_t *k = realloc(ids, sizeof(int64_t) * (n + 1));
                if (!k)
                        return -ENOMEM;
                ids = k;
                ids[n++] = sqlite3_column_int64(st, 0);
        }
        if (r != SQLITE_DONE)
                return errno_from_sqlite(r);
        *ret = TAKE_PTR(ids);
        *ret_n = n;
        return 0;
}

int store_process_lookup(Store *s, const char *key, int64_t *ret_content_id, int64_t *ret_bundle_id,
                         uint16_t *ret_port, bool *ret_active, char **ret_run_as) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = prepare(s, &st, "SELECT content_id, bundle_id, port, status = 'active', run_as FROM processes WHERE key = ?",
                    "s", key);
        if (r < 0)
                return r;
        r = sqlite3_step(st);
        if (r == SQLITE_DONE)
                return -ENOENT;
        if (r != SQLITE_ROW)
                return errno_from_sqlite(r);
        *ret_content_id = sqlite3_column_int64(st, 0);
        *ret_bundle_id = sqlite3_column_int64(st, 1);
        *ret_port = (uint16_t) sqlite3_column_int(st, 2);
        *ret_active = sqlite3_column_int(st, 3);
        if (ret_run_as) {
                *ret_run_as = column_strdup(st, 4);
                if (!*ret_run_as)
                        return -ENOMEM;
        }
        return 0;
}

int store_bundle_create(Store *s, int64_t content_id, int64_t size, int64_t *ret_id) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = prepare(s, &st, "INSERT INTO bundles (content_id, size) VALUES (?, ?)", "ii", content_id, size);
        if (r < 0)
                return r;
        r = step_done(st);
        if (r < 0)
                return r;
        if (ret_id)
                *ret_id = sqlite3_last_insert_rowid(s->db);
        return 0;
}

int store_bundle_check(Store *s, int64_t content_id, int64_t bundle_id) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = prepare(s, &st, "SELECT ready FROM bundles WHERE id = ? AND content_id = ?", "ii", bundle_id, content_id);
        if (r < 0)
                return r;
        r = sqlite3_step(st);
        if (r == SQLITE_DONE)
                return -ENOENT;
        if (r != SQLITE_ROW)
                return errno_from_sqlite(r);
        return sqlite3_column_int(st, 0) ? 0 : -EBADMSG;
}

int store_bundle_set_ready(Store *s, int64_t bundle_id, bool ready) {
        return execf(s, "UPDATE bundles SET ready = ? WHERE id = ?", "ii", (int64_t) ready, bundle_id);
}

int store_bundle_delete(Store *s, int64_t bundle_id) {
        return execf(s, "DELETE FROM bundles WHERE id = ?", "i", bundle_id);
}

int store_process_insert(Store *s, const ProcessRecord *p) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = prepare(s, &st,
                    "INSERT INTO processes (key, content_id, bundle_id, tag, unit, run_as, hostname, port) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    "siissssi", p->key, p->content_id, p->bundle_id, p->tag, p->unit, p->run_as, p->hostname,
                    (int64_t) p->port);
        if (r < 0)
                return r;
        return step_done(st);
}

int store_process_set_detail(Store *s, const char *key, const char *detail) {
        return execf(s, "UPDATE processes SET detail = ? WHERE key = ?", "ss", detail, key);
}

int store_process_set_pid(Store *s, const char *key, int64_t pid) {
        return execf(s, "UPDATE processes SET pid = ? WHERE key = ?", "is", pid, key);
}

int store_process_finish(Store *s, const char *key, const ProcessEnd *end) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        /* Only the first end counts: a later, vaguer report must not overwrite the cause. */
        r = prepare(s, &st,
                    "UPDATE processes SET status = 'finished', ended = strftime('%Y-%m-%dT%H:%M:%fZ','now'), "
                    "exit_code = ?, signal = ?, cause = ?, result = ?, raw_status = ? "
                    "WHERE key = ? AND status = 'active'",
                    "iissis", (int64_t) end->exit_code, (int64_t) end->signal, end->cause, end->result,
                    (int64_t) end->raw_status, key);
        if (r < 0)
                return r;
        r = step_done(st);
        if (r < 0)
                return r;
        /* Spell "no exit code" and "no signal" as NULL. */
        sqlite3_finalize(TAKE_PTR(st));
        r = prepare(s, &st,
                    "UPDATE processes SET exit_code = CASE WHEN exit_code < 0 THEN NULL ELSE exit_code END, "
                    "signal = NULLIF(signal, 0) WHERE key = ?",
                    "s", key);
        if (r < 0)
                return r;
        return step_done(st);
}

int store_process_list_active(Store *s, char ***ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = prepare(s, &st, "SELECT key FROM processes WHERE status = 'active'", NULL);
        if (r < 0)
                return r;
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                r = strv_extend(&l, (const char *) sqlite3_column_text(st, 0));
                if (r < 0)
                        return r;
        }
        if (r != SQLITE_DONE)
                return errno_from_sqlite(r);
        *ret = TAKE_PTR(l);
        return 0;
}

int store_task_create(Store *s, const char *id, int64_t content_id) {
        return execf(s, "INSERT INTO tasks (id, content_id) VALUES (?, ?)", "si", id, content_id);
}

int store_tasks_fail_unfinished(Store *s, const char *error) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, &st, "UPDATE tasks SET finished = 1, code = 1, error = ? WHERE finished = 0", "s", error);
        if (r < 0)
                return r;
        r = step_done(st);
        return r < 0 ? r : sqlite3_changes(s->db);
}

int store_task_append(Store *s, const char *id, const char *line) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, &st,
                        "INSERT INTO task_lines (task_id, n, line) "
                        "VALUES (?1, (SELECT COALESCE(MAX(n), -1) + 1 FROM task_lines WHERE task_id = ?1), ?2)",
                        "ss", id, line);
        if (r < 0)
                return r;
        return step_done(st);
}

void store_task_appendf(Store *s, const char *id, const char *fmt, ...) {
        _cleanup_free_ char *line = NULL;
        va_list ap;

        if (!id)
                return;
        va_start(ap, fmt);
        if (vasprintf(&line, fmt, ap) < 0)
                line = NULL;
        va_end(ap);
        /* A task's log is for people following it; losing a line must not fail the deploy. */
        if (line)
                (void) store_task_append(s, id, line);
}

int store_task_finish(Store *s, const char *id, int code, const char *error) {
        return execf(s, "UPDATE tasks SET finished = 1, code = ?, error = ? WHERE id = ?", "iss",
                        (int64_t) code, error ? error : "", id);
}

int store_task_get_json(Store *s, const char *id, int64_t first, json_t **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        json_t *lines, *o;
        int64_t last = first;
        int r;

        r = prepare(s, &st, "SELECT finished, code, error FROM tasks WHERE id = ?", "s", id);
        if (r < 0)
                return r;
        r = sqlite3_step(st);
        if (r == SQLITE_DONE)
                return -ENOENT;
        if (r != SQLITE_ROW)
                return errno_from_sqlite(r);
        o = json_pack("{s:s, s:b, s:i, s:s, s:[]}", "id", id, "finished", sqlite3_column_int(st, 0),
                      "code", (json_int_t) sqlite3_column_int(st, 1), "error",
                      (const char *) sqlite3_column_text(st, 2), "status");
        if (!o)
                return -ENOMEM;
        sqlite3_finalize(TAKE_PTR(st));
        lines = json_object_get(o, "status");
        r = prepare(s, &st, "SELECT n, line FROM task_lines WHERE task_id = ? AND n >= ? ORDER BY n", "si", id,
                    first < 0 ? (int64_t) 0 : first);
        if (r < 0) {
                json_decref(o);
                return r;
        }
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                (void) json_array_append_new(lines, json_string((const char *) sqlite3_column_text(st, 1)));
                last = sqlite3_column_int64(st, 0) + 1;
        }
        (void) json_object_set_new(o, "last_status", json_integer(last));
        (void) json_object_set_new(o, "user_id", json_integer(0));
        *ret = o;
        return 0;
}

static json_t *column_json(sqlite3_stmt *st, int i) {
        switch (sqlite3_column_type(st, i)) {
        case SQLITE_INTEGER:
                return json_integer(sqlite3_column_int64(st, i));
        case SQLITE_FLOAT:
                return json_real(sqlite3_column_double(st, i));
        case SQLITE_TEXT:
                return json_string((const char *) sqlite3_column_text(st, i));
        default:
                return json_null();
        }
}

int store_query_json(Store *s, const char *sql, const char * const *params, json_t **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        json_t *rows;
        int r;

        r = errno_from_sqlite(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL));
        if (r < 0)
                return r;
        for (int i = 0; params && params[i]; i++) {
                r = errno_from_sqlite(sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_TRANSIENT));
                if (r < 0)
                        return r;
        }
        rows = json_array();
        if (!rows)
                return -ENOMEM;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                json_t *o = json_object();
                for (int i = 0; i < sqlite3_column_count(st); i++)
                        (void) json_object_set_new(o, sqlite3_column_name(st, i), column_json(st, i));
                (void) json_array_append_new(rows, o);
        }
        if (r != SQLITE_DONE) {
                json_decref(rows);
                return errno_from_sqlite(r);
        }
        *ret = rows;
        return 0;
}

int store_process_get_json(Store *s, const char *key, json_t **ret) {
        json_t *rows = NULL;
        const char *params[] = { key, NULL };
        int r = store_query_json(s, "SELECT * FROM processes WHERE key = ?", params, &rows);
        if (r < 0)
                return r;
        if (json_array_size(rows) == 0) {
                json_decref(rows);
                return -ENOENT;
        }
        *ret = json_incref(json_array_get(rows, 0));
        json_decref(rows);
        return 0;
}
