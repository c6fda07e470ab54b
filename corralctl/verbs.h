/* SPDX-License-Identifier: MIT */
#pragma once

/* The verbs of corralctl. Each takes the client, the parsed command line (args->args[0] is the
 * verb; the dispatcher has checked the number of objects) and returns 0 or a negative errno, the
 * failure already printed for the user. A verb may instead return a positive exit status to pass on
 * (config check passes corrald's). */

#include "args.h"
#include "client.h"

int verb_deploy(CtlClient *c, const CtlArgs *args);
int verb_list(CtlClient *c, const CtlArgs *args);
int verb_show(CtlClient *c, const CtlArgs *args);
int verb_ps(CtlClient *c, const CtlArgs *args);
int verb_stop(CtlClient *c, const CtlArgs *args);
int verb_config(CtlClient *c, const CtlArgs *args);
int verb_content(CtlClient *c, const CtlArgs *args);
/* corralctl/reports.c: reports (spec §10, §14). */
int verb_render(CtlClient *c, const CtlArgs *args);
int verb_jobs(CtlClient *c, const CtlArgs *args);
int verb_variant(CtlClient *c, const CtlArgs *args);
int verb_logs(CtlClient *c, const CtlArgs *args);
int verb_user(CtlClient *c, const CtlArgs *args);
int verb_key(CtlClient *c, const CtlArgs *args);

/* Prints v as indented JSON and a newline on stdout. Returns 0 or -EIO. */
int ctl_print_json(const json_t *v);

/* Finds the corrald binary: $CORRALD if set, else ../orchestrator/corrald next to self_exe (the
 * build tree), else the first "corrald" on search_path (a $PATH-like list, may be NULL), else
 * sbindir/corrald. Only executable files count. Returns 0 and a new string in *ret, or -ENOENT. */
int ctl_find_corrald(const char *self_exe, const char *search_path, const char *sbindir, char **ret);
