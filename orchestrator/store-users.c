/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "store-users.h"

static const char * const roles[_USER_ROLE_MAX] = {
        [USER_ROLE_VIEWER] = "viewer",
        [USER_ROLE_PUBLISHER] = "publisher",
        [USER_ROLE_ADMINISTRATOR] = "administrator",
};

const char *user_role_to_string(UserRole r) {
        return r >= 0 && r < _USER_ROLE_MAX ? roles[r] : NULL;
}

UserRole user_role_from_string(const char *s) {
        for (int i = 0; s && i < _USER_ROLE_MAX; i++)
                if (streq(roles[i], s))
                        return (UserRole) i;
        return _USER_ROLE_INVALID;
}

User *user_free(User *u) {
        if (!u)
                return NULL;
        free(u->username);
        free(u);
        return NULL;
}

static int user_from_row(sqlite3_stmt *st, User **ret) {
        User *u = calloc(1, sizeof *u);
        if (!u)
                return -ENOMEM;
        u->id = sqlite3_column_int64(st, 0);
        u->username = column_strdup(st, 1);
        u->role = user_role_from_string((const char *) sqlite3_column_text(st, 2));
        if (!u->username) {
                user_free(u);
                return -ENOMEM;
        }
        if (u->role < 0)
                u->role = USER_ROLE_VIEWER;
        *ret = u;
        return 0;
}

static int one_user(sqlite3_stmt *st, User **ret) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
                return -ENOENT;
        if (r != SQLITE_ROW)
                return errno_from_sqlite(r);
        return user_from_row(st, ret);
}

int store_user_get(Store *s, const char *username, User **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, &st, "SELECT id, username, role FROM users WHERE username = ?", "s", username);
        if (r < 0)
                return r;
        return one_user(st, ret);
}

int store_user_ensure(Store *s, const char *username, UserRole role, User **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = prepare(s, &st, "INSERT OR IGNORE INTO users (username, role) VALUES (?, ?)", "ss", username,
                    user_role_to_string(role));
        if (r >= 0)
                r = step_done(st);
        if (r < 0)
                return r;
        return store_user_get(s, username, ret);
}

int store_user_set_role(Store *s, const char *username, UserRole role) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, &st, "UPDATE users SET role = ? WHERE username = ?", "ss", user_role_to_string(role),
                        username);
        if (r >= 0)
                r = step_done(st);
        if (r < 0)
                return r;
        return sqlite3_changes(s->db) == 1 ? 0 : -ENOENT;
}

int store_user_touch_login(Store *s, int64_t user_id) {
        return execf(s, "UPDATE users SET last_login = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?",
                        "i", user_id);
}

int store_session_create(Store *s, const char *token_hash, int64_t user_id, int64_t expires) {
        return execf(s, "INSERT INTO sessions (token_hash, user_id, expires) VALUES (?, ?, ?)", "sii",
                        token_hash, user_id, expires);
}

int store_session_lookup(Store *s, const char *token_hash, int64_t now, User **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL, *del = NULL;
        int r;

        r = prepare(s, &del, "DELETE FROM sessions WHERE expires <= ?", "i", now);
        if (r >= 0)
                r = step_done(del);
        if (r < 0)
                return r;
        r = prepare(s, &st,
                    "SELECT u.id, u.username, u.role FROM sessions s JOIN users u ON u.id = s.user_id "
                    "WHERE s.token_hash = ? AND s.expires > ?",
                    "si", token_hash, now);
        if (r < 0)
                return r;
        return one_user(st, ret);
}

int store_session_delete(Store *s, const char *token_hash) {
        return execf(s, "DELETE FROM sessions WHERE token_hash = ?", "s", token_hash);
}

int store_key_create(Store *s, int64_t user_id, const char *name, const char *key_hash, int64_t *ret_id) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, &st, "INSERT INTO api_keys (user_id, name, key_hash) VALUES (?, ?, ?)", "iss", user_id,
                        name, key_hash);
        if (r >= 0)
                r = step_done(st);
        if (r < 0)
                return r;
        if (ret_id)
                *ret_id = sqlite3_last_insert_rowid(s->db);
        return 0;
}

int store_key_lookup(Store *s, const char *key_hash, User **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, &st,
                        "SELECT u.id, u.username, u.role FROM api_keys k JOIN users u ON u.id = k.user_id "
                        "WHERE k.key_hash = ?",
                        "s", key_hash);
        if (r < 0)
                return r;
        return one_user(st, ret);
}

int store_key_delete(Store *s, const char *username, int64_t id) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, &st,
                        "DELETE FROM api_keys WHERE id = ? AND user_id = (SELECT id FROM users WHERE username = ?)",
                        "is", id, username);
        if (r >= 0)
                r = step_done(st);
        if (r < 0)
                return r;
        return sqlite3_changes(s->db) == 1 ? 0 : -ENOENT;
}

static int update_content(Store *s, const char *sql, const char *fmt, int64_t content_id, const char *text,
                          int64_t number) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = fmt[0] == 's' ? prepare(s, &st, sql, "si", text, content_id) : prepare(s, &st, sql, "ii", number, content_id);
        if (r >= 0)
                r = step_done(st);
        if (r < 0)
                return r;
        return sqlite3_changes(s->db) == 1 ? 0 : -ENOENT;
}

int store_content_set_owner(Store *s, int64_t content_id, int64_t user_id) {
        return update_content(s, "UPDATE content SET owner_id = NULLIF(?, 0) WHERE id = ?", "i", content_id, NULL, user_id);
}

int store_content_set_access(Store *s, int64_t content_id, const char *access) {
        return update_content(s, "UPDATE content SET access = ? WHERE id = ?", "s", content_id, access, 0);
}

int store_content_set_run_as_current_user(Store *s, int64_t content_id, bool enabled) {
        return update_content(s, "UPDATE content SET run_as_current_user = ? WHERE id = ?", "i", content_id, NULL,
                              enabled);
}

int store_content_get_access(Store *s, int64_t content_id, int64_t *ret_owner, char **ret_access,
                             bool *ret_run_as_current_user) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, &st, "SELECT COALESCE(owner_id, 0), access, run_as_current_user FROM content WHERE id = ?",
                        "i", content_id);
        if (r < 0)
                return r;
        r = sqlite3_step(st);
        if (r == SQLITE_DONE)
                return -ENOENT;
        if (r != SQLITE_ROW)
                return errno_from_sqlite(r);
        if (ret_access) {
                *ret_access = column_strdup(st, 1);
                if (!*ret_access)
                        return -ENOMEM;
        }
        if (ret_owner)
                *ret_owner = sqlite3_column_int64(st, 0);
        if (ret_run_as_current_user)
                *ret_run_as_current_user = sqlite3_column_int(st, 2);
        return 0;
}

int store_acl_get(Store *s, int64_t content_id, int64_t user_id, char **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, &st, "SELECT role FROM content_acl WHERE content_id = ? AND user_id = ?", "ii", content_id,
                        user_id);
        if (r < 0)
                return r;
        r = sqlite3_step(st);
        if (r == SQLITE_DONE) {
                *ret = NULL;
                return 0;
        }
        if (r != SQLITE_ROW)
                return errno_from_sqlite(r);
        *ret = column_strdup(st, 0);
        return *ret ? 0 : -ENOMEM;
}

int store_acl_set(Store *s, int64_t content_id, int64_t user_id, const char *role) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = role ? prepare(s, &st, "INSERT OR REPLACE INTO content_acl (content_id, user_id, role) VALUES (?, ?, ?)",
                               "iis", content_id, user_id, role)
                     : prepare(s, &st, "DELETE FROM content_acl WHERE content_id = ? AND user_id = ?", "ii", content_id,
                               user_id);
        if (r < 0)
                return r;
        return step_done(st);
}
