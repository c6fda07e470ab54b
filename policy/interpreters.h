/* SPDX-License-Identifier: MIT */
#pragma once

/* Interpreter selection (spec §2): which of the configured R and Python installations a bundle
 * runs with, from the version its manifest records. Pure: the versions are discovered by the
 * caller (corrald asks each installation at start), so every rule is unit-testable. */

#include <stddef.h>

#include "macro.h"

typedef struct Interpreter {
        char *path;      /* R: the R executable; Python: the python executable */
        char *version;   /* "4.2.2", "3.11.2" */
} Interpreter;

/* Frees the contents of n installations and the array; returns NULL. */
Interpreter *interpreters_free(Interpreter *list, size_t n);

/* Reads the version out of what `R --version` or `Rscript --version` prints ("R version 4.2.2
 * Patched (…)", "Rscript (R) version 4.2.2 (…)") or `python --version` ("Python 3.11.2"): the
 * first dotted number after "version " or "Python ". -EBADMSG if there is none. */
int interpreter_parse_version(const char *output, char **ret);

/* Compares dotted versions numerically, component by component ("4.10" > "4.9"; "4.2" < "4.2.1"). */
int interpreter_version_compare(const char *a, const char *b);

/* Picks an R installation for a bundle built with requested (NULL or "" = the manifest records
 * none: the first installation) by matching ("nearest" — exact, else the newest of the same
 * major.minor, else the newest of all —, "major-minor" — exact, else the newest of the same
 * major.minor — or "exact"). Returns the index into list, or -ENOENT when nothing matches (or
 * the list is empty), -EINVAL for an unknown matching mode. */
int interpreters_select_r(const Interpreter *list, size_t n, const char *requested, const char *matching);

/* Picks a Python installation: the newest of the same major.minor as requested (NULL or "" = the
 * first). Index, or -ENOENT. */
int interpreters_select_python(const Interpreter *list, size_t n, const char *requested);

/* The versions of all installations, "4.2.2 (/usr/bin/R), 4.3.1 (/opt/R/4.3.1/bin/R)", or "none",
 * for refusals that list what is available. */
int interpreters_describe(const Interpreter *list, size_t n, char **ret);
