/* SPDX-License-Identifier: MIT */
#pragma once

/* Text tables for the terminal: a header line and rows of cells, columns aligned, two spaces
 * between columns, no trailing spaces. */

#include <stddef.h>
#include <stdio.h>

#include "macro.h"

typedef struct Table Table;

/* Creates a table with n_columns columns; the n_columns header strings follow (copied).
 * Returns 0 and the table in *ret, or -ENOMEM / -EINVAL (no columns). */
int table_new(Table **ret, size_t n_columns, ...);

/* Appends a row; exactly as many cell strings as the table has columns follow (copied; NULL or
 * an empty string shows as "-"). Returns 0 or -ENOMEM. */
int table_add_row(Table *t, ...);

/* Appends a row from an array of n_columns strings (as table_add_row()). */
int table_add_rowv(Table *t, const char * const *cells);

/* Number of rows, without the header. */
size_t table_rows(const Table *t);

/* Formats the whole table, one line per row, each ending in '\n'. Widths count UTF-8 characters,
 * not bytes. Returns 0 and a new string in *ret, or -ENOMEM. */
int table_format(const Table *t, char **ret);

/* Formats the table and writes it to f. Returns 0, -ENOMEM or -EIO. */
int table_print(const Table *t, FILE *f);

/* Frees the table and every cell; accepts NULL; returns NULL. */
Table *table_free(Table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free);
#define _cleanup_table_ _cleanup_(table_freep)
