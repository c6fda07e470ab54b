/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

#define TABLE_GAP 2

struct Table {
        size_t n_columns;
        size_t n_cells;      /* header included */
        size_t allocated;
        char **cells;        /* row-major, n_cells entries */
};

static size_t utf8_width(const char *s) {
        size_t w = 0;

        /* Counts every byte that does not continue a UTF-8 sequence. */
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if ((*p & 0xc0) != 0x80)
                        w++;
        return w;
}

static int table_add_cell(Table *t, const char *s) {
        char *c;

        if (t->n_cells == t->allocated) {
                size_t n = t->allocated ? t->allocated * 2 : 16;
                char **a = reallocarray(t->cells, n, sizeof(char *));
                if (!a)
                        return -ENOMEM;
                t->cells = a;
                t->allocated = n;
        }

        c = strdup(s && *s ? s : "-");
        if (!c)
                return -ENOMEM;
        t->cells[t->n_cells++] = c;
        return 0;
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t);
        return NULL;
}

int table_new(Table **ret, size_t n_columns, ...) {
        _cleanup_table_ Table *t = NULL;
        va_list ap;
        int r = 0;

        if (n_columns == 0)
                return -EINVAL;

        t = calloc(1, sizeof(Table));
        if (!t)
                return -ENOMEM;
        t->n_columns = n_columns;

        va_start(ap, n_columns);
        for (size_t i = 0; i < n_columns && r >= 0; i++)
                r = table_add_cell(t, va_arg(ap, const char *));
        va_end(ap);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(t);
        return 0;
}

int table_add_rowv(Table *t, const char * const *cells) {
        size_t n = t->n_cells;
        int r;

        for (size_t i = 0; i < t->n_columns; i++) {
                r = table_add_cell(t, cells[i]);
                if (r < 0) {
                        /* Take back a half-added row, so the table stays rectangular. */
                        while (t->n_cells > n)
                                free(t->cells[--t->n_cells]);
                        return r;
                }
        }
        return 0;
}

int table_add_row(Table *t, ...) {
        _cleanup_free_ const char **cells = NULL;
        va_list ap;

        cells = calloc(t->n_columns, sizeof(char *));
        if (!cells)
                return -ENOMEM;

        va_start(ap, t);
        for (size_t i = 0; i < t->n_columns; i++)
                cells[i] = va_arg(ap, const char *);
        va_end(ap);

        return table_add_rowv(t, cells);
}

size_t table_rows(const Table *t) {
        return t->n_cells / t->n_columns - 1;
}

int table_format(const Table *t, char **ret) {
        _cleanup_free_ size_t *widths = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;

        widths = calloc(t->n_columns, sizeof(size_t));
        if (!widths)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_cells; i++) {
                size_t w = utf8_width(t->cells[i]);
                if (w > widths[i % t->n_columns])
                        widths[i % t->n_columns] = w;
        }

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;

        for (size_t i = 0; i < t->n_cells; i++) {
                size_t col = i % t->n_columns;
                bool last = col == t->n_columns - 1;

                (void) fputs(t->cells[i], f);
                if (last) {
                        (void) fputc('\n', f);
                        continue;
                }
                /* Padding only goes between columns, so no line ends in spaces. */
                for (size_t k = utf8_width(t->cells[i]); k < widths[col] + TABLE_GAP; k++)
                        (void) fputc(' ', f);
        }

        if (fclose(f) != 0)
                return -ENOMEM;

        *ret = TAKE_PTR(buf);
        return 0;
}

int table_print(const Table *t, FILE *f) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = table_format(t, &s);
        if (r < 0)
                return r;
        if (fputs(s, f) < 0 || fflush(f) != 0)
                return -EIO;
        return 0;
}
