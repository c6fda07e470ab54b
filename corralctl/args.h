/* SPDX-License-Identifier: MIT */
#pragma once

/* The command line of corralctl, parsed into a struct by a pure function (no I/O besides the
 * messages for usage errors), so tests can call it. */

#include <stdbool.h>

typedef struct CtlArgs {
        const char *socket_path;   /* --socket, NULL for the default */
        const char *server;        /* --server, else $CORRAL_SERVER, else NULL */
        bool json;                 /* --json */
        const char *title;         /* deploy --title */
        const char *mode;          /* deploy --mode */
        const char *content;       /* deploy --content */
        bool use_default;          /* content set-runas --default */
        const char *variant;       /* render --variant */
        bool no_activate;          /* render --no-activate */
        bool scheduled;            /* render --scheduled (from a timer: skipped while one runs) */
        bool follow;               /* logs -f */
        bool no_schedule;          /* variant schedule --none */
        bool help;                 /* --help: show help and exit 0 */
        bool version;              /* --version: show version and exit 0 */
        char **args;               /* the verb and its objects (points into argv) */
        int n_args;
} CtlArgs;

/* Parses argv (reordering it, as getopt_long does; strings are not copied). server_env is the value
 * of $CORRAL_SERVER (may be NULL); --server wins over it.
 * Returns 0 and fills *ret, or -EINVAL after printing a usage error to stderr. */
int ctl_parse_argv(int argc, char *argv[], const char *server_env, CtlArgs *ret);
