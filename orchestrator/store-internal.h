/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared by the store's own files (store.c, store-users.c, …): the handle and the few helpers
 * every query uses. Not for the rest of corrald: it goes through store.h. */

#include <sqlite3.h>

#include "store.h"

struct Store {
        sqlite3 *db;
        int version;
};

static inline void sqlite3_finalizep(sqlite3_stmt **st) {
        if (*st)
                (void) sqlite3_finalize(*st);
}
#define _cleanup_stmt_ _cleanup_(sqlite3_finalizep)

/* SQLite result code → negative errno (0 for OK/ROW/DONE). */
int errno_from_sqlite(int rc);
/* Runs SQL text without parameters. */
int exec_sql(Store *s, const char *sql);
/* Prepares sql and binds parameters by fmt: 's' text (may be NULL), 'i' int64. */
int prepare(Store *s, sqlite3_stmt **ret, const char *sql, const char *fmt, ...);
/* Prepares, binds (as prepare()) and steps a statement that returns no rows. */
int execf(Store *s, const char *sql, const char *fmt, ...);
/* Steps a statement that returns no rows (or ignores them). */
int step_done(sqlite3_stmt *st);
/* A copy of a text column, or NULL. */
char *column_strdup(sqlite3_stmt *st, int i);
