/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report-store.h"
#include "strv.h"

/* The rows of sql with the parameters of fmt and ap (see query()) in *ret. */
static int query_v(Store *s, const char *sql, const char *fmt, va_list ap, json_t **ret) {
        _cleanup_strv_free_ char **params = calloc(1, sizeof(char *));
        int r = 0;

        if (!params)
                return -ENOMEM;
        for (const char *f = fmt; f && *f && r >= 0; f++) {
                if (*f == 's') {
                        const char *v = va_arg(ap, const char *);
                        r = strv_extend(&params, v ? v : "");
                } else
                        r = strv_extendf(&params, "%lld", (long long) va_arg(ap, int64_t));
        }
        if (r < 0)
                return r;
        return store_query_json(s, sql, (const char * const *) params, ret);
}

/* Runs sql with parameters given by fmt: 's' a string (NULL is bound as '', which the SQL turns
 * into NULL with NULLIF where a column may be NULL), 'i' an int64. The rows go to *ret if ret is
 * non-NULL. */
static int query(Store *s, json_t **ret, const char *sql, const char *fmt, ...) {
        json_t *rows = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = query_v(s, sql, fmt, ap, &rows);
        va_end(ap);
        if (r < 0)
                return r;
        if (ret)
                *ret = rows;
        else
                json_decref(rows);
        return 0;
}

/* Like query(), for one row: the row in *ret, -ENOENT when there is none. */
static int query_one(Store *s, json_t **ret, const char *sql, const char *fmt, ...) {
        json_t *rows = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = query_v(s, sql, fmt, ap, &rows);
        va_end(ap);
        if (r < 0)
                return r;
        if (json_array_size(rows) == 0) {
                json_decref(rows);
                return -ENOENT;
        }
        if (ret)
                *ret = json_incref(json_array_get(rows, 0));
        json_decref(rows);
        return 0;
}

/* Parameters are stored as JSON text; they go out as JSON. */
static json_t *variant_fix(json_t *v) {
        const char *text = json_string_value(json_object_get(v, "params"));
        json_t *p = text ? json_loads(text, 0, NULL) : NULL;
        (void) json_object_set_new(v, "params", p ? p : json_null());
        (void) json_object_set_new(v, "is_default", json_boolean(json_integer_value(json_object_get(v, "is_default"))));
        return v;
}

#define VARIANT_COLUMNS "v.id, v.content_id, v.name, v.params, v.schedule, v.is_default"

int report_variant_get(Store *s, int64_t content_id, const char *name_or_id, json_t **ret) {
        json_t *v = NULL;
        int r = query_one(s, &v,
                          "SELECT " VARIANT_COLUMNS " FROM variants v WHERE v.content_id = ?1 AND "
                          "(v.name = ?2 OR CAST(v.id AS TEXT) = ?2)",
                          "is", content_id, name_or_id);
        if (r < 0)
                return r;
        *ret = variant_fix(v);
        return 0;
}

int report_variant_get_default(Store *s, int64_t content_id, json_t **ret) {
        json_t *v = NULL;
        int r = query_one(s, &v,
                          "SELECT " VARIANT_COLUMNS " FROM variants v WHERE v.content_id = ? "
                          "ORDER BY v.is_default DESC, v.id LIMIT 1",
                          "i", content_id);
        if (r == -ENOENT) {
                r = query(s, NULL, "INSERT INTO variants (content_id, name, is_default) VALUES (?, 'default', 1)",
                          "i", content_id);
                if (r < 0)
                        return r;
                return report_variant_get_default(s, content_id, ret);
        }
        if (r < 0)
                return r;
        *ret = variant_fix(v);
        return 0;
}

int report_variant_create(Store *s, int64_t content_id, const char *name, const char *params, int64_t *ret_id) {
        json_t *row = NULL;
        int r = query_one(s, &row,
                          "INSERT INTO variants (content_id, name, params, is_default) VALUES "
                          "(?1, ?2, NULLIF(?3, ''), NOT EXISTS (SELECT 1 FROM variants WHERE content_id = ?1)) "
                          "RETURNING id",
                          "iss", content_id, name, params);
        if (r < 0)
                return r;
        if (ret_id)
                *ret_id = json_integer_value(json_object_get(row, "id"));
        json_decref(row);
        return 0;
}

int report_variant_set_params(Store *s, int64_t variant_id, const char *params) {
        return query(s, NULL, "UPDATE variants SET params = NULLIF(?, '') WHERE id = ?", "si", params, variant_id);
}

int report_variant_set_schedule(Store *s, int64_t variant_id, const char *schedule) {
        return query(s, NULL, "UPDATE variants SET schedule = NULLIF(?, '') WHERE id = ?", "si", schedule, variant_id);
}

int report_variant_delete(Store *s, int64_t variant_id) {
        return query(s, NULL, "DELETE FROM variants WHERE id = ?", "i", variant_id);
}

int report_variant_list(Store *s, int64_t content_id, json_t **ret) {
        json_t *rows = NULL, *v;
        size_t i;
        int r = query(s, &rows,
                      "SELECT " VARIANT_COLUMNS ", (SELECT id FROM renderings WHERE variant_id = v.id AND active) "
                      "AS active_rendering FROM variants v WHERE v.content_id = ? ORDER BY v.id",
                      "i", content_id);
        if (r < 0)
                return r;
        json_array_foreach(rows, i, v)
                variant_fix(v);
        *ret = rows;
        return 0;
}

int report_variant_list_scheduled(Store *s, json_t **ret) {
        return query(s, ret,
                     "SELECT v.id, c.guid, v.schedule FROM variants v JOIN content c ON c.id = v.content_id "
                     "WHERE v.schedule IS NOT NULL ORDER BY v.id",
                     NULL);
}

int report_rendering_create(Store *s, int64_t content_id, int64_t variant_id, int64_t bundle_id, const char *tag,
                            bool activate, int64_t *ret_id) {
        json_t *row = NULL;
        int r = query_one(s, &row,
                          "INSERT INTO renderings (content_id, variant_id, bundle_id, tag, activate) "
                          "VALUES (?, ?, ?, ?, ?) RETURNING id",
                          "iiisi", content_id, variant_id, bundle_id, tag, (int64_t) activate);
        if (r < 0)
                return r;
        *ret_id = json_integer_value(json_object_get(row, "id"));
        json_decref(row);
        return 0;
}

int report_rendering_set_job(Store *s, int64_t rendering_id, const char *job_key) {
        return query(s, NULL, "UPDATE renderings SET job_key = ? WHERE id = ?", "si", job_key, rendering_id);
}

int report_rendering_finish(Store *s, int64_t rendering_id, bool succeeded, const char *primary_file,
                            const char *error) {
        return query(s, NULL,
                     "UPDATE renderings SET status = ?, primary_file = NULLIF(?, ''), error = NULLIF(?, ''), "
                     "ended = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?",
                     "sssi", succeeded ? "succeeded" : "failed", primary_file, error, rendering_id);
}

int report_rendering_activate(Store *s, int64_t variant_id, int64_t rendering_id) {
        return query(s, NULL, "UPDATE renderings SET active = (id = ?1) WHERE variant_id = ?2 AND "
                     "(active OR id = ?1)", "ii", rendering_id, variant_id);
}

#define RENDERING_COLUMNS "id, content_id, variant_id, bundle_id, job_key, tag, status, activate, active, primary_file"

int report_rendering_get(Store *s, int64_t rendering_id, json_t **ret) {
        return query_one(s, ret, "SELECT " RENDERING_COLUMNS " FROM renderings WHERE id = ?", "i", rendering_id);
}

int report_rendering_get_active(Store *s, int64_t variant_id, json_t **ret) {
        return query_one(s, ret, "SELECT " RENDERING_COLUMNS " FROM renderings WHERE variant_id = ? AND active",
                         "i", variant_id);
}

int report_rendering_running(Store *s, int64_t variant_id, bool *ret) {
        int r = query_one(s, NULL, "SELECT id FROM renderings WHERE variant_id = ? AND status = 'running' LIMIT 1",
                          "i", variant_id);
        if (r < 0 && r != -ENOENT)
                return r;
        *ret = r >= 0;
        return 0;
}

int report_rendering_list(Store *s, int64_t variant_id, json_t **ret) {
        return query(s, ret, "SELECT id, status, active FROM renderings WHERE variant_id = ? ORDER BY id DESC", "i",
                     variant_id);
}

int report_rendering_delete(Store *s, int64_t rendering_id) {
        return query(s, NULL, "DELETE FROM renderings WHERE id = ?", "i", rendering_id);
}

int report_rendering_fail_running(Store *s, const char *error) {
        return query(s, NULL,
                     "UPDATE renderings SET status = 'failed', error = ?, ended = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
                     "WHERE status = 'running'",
                     "s", error);
}

int report_jobs_list(Store *s, int64_t content_id, json_t **ret) {
        return query(s, ret,
                     "SELECT r.job_key AS key, r.id AS rendering, v.name AS variant, r.tag, r.bundle_id AS bundle, "
                     "r.status, r.active, r.activate, r.started, r.ended, p.unit, p.exit_code, p.signal, p.cause, "
                     "r.error FROM renderings r JOIN variants v ON v.id = r.variant_id "
                     "LEFT JOIN processes p ON p.key = r.job_key WHERE r.content_id = ? ORDER BY r.id DESC",
                     "i", content_id);
}
