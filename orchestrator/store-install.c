/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "store-install.h"
#include "store-internal.h"

int store_bundle_set_interpreters(Store *s, int64_t bundle_id, const char *r_executable,
                                  const char *python_executable) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = prepare(s, &st, "INSERT OR REPLACE INTO bundle_interpreters (bundle_id, r_executable, python_executable) "
                    "VALUES (?, ?, ?)", "iss", bundle_id, r_executable, python_executable);
        if (r < 0)
                return r;
        return step_done(st);
}

int store_bundle_get_interpreters(Store *s, int64_t bundle_id, char **ret_r_executable,
                                  char **ret_python_executable) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_free_ char *rx = NULL, *py = NULL;
        int r;

        r = prepare(s, &st, "SELECT r_executable, python_executable FROM bundle_interpreters WHERE bundle_id = ?",
                    "i", bundle_id);
        if (r < 0)
                return r;
        r = sqlite3_step(st);
        if (r == SQLITE_DONE)
                return -ENOENT;
        if (r != SQLITE_ROW)
                return errno_from_sqlite(r);
        rx = column_strdup(st, 0);
        py = column_strdup(st, 1);
        if ((!rx && sqlite3_column_type(st, 0) != SQLITE_NULL) || (!py && sqlite3_column_type(st, 1) != SQLITE_NULL))
                return -ENOMEM;
        *ret_r_executable = TAKE_PTR(rx);
        *ret_python_executable = TAKE_PTR(py);
        return 0;
}
