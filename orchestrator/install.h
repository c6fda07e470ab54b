/* SPDX-License-Identifier: MIT */
#pragma once

/* Package installs and interpreters (spec §2, §11): which R and Python installation a bundle
 * runs with, and the packrat_restore / python_restore job that installs its packages before it
 * goes live, with the installer's own output streamed into the deploy task from the journal. */

#include <stdint.h>

#include "manager.h"
#include "store.h"

/* Finds the R installations (R.Executable, or Server.RVersion, each an R executable or an R
 * installation dir; else R on PATH) and the Python ones (Python.Executable, else python3 on PATH,
 * when Python is enabled), asks each for its version, and fills m->r_installs and
 * m->python_installs; m->rscript and m->python become the first of each (the default). An
 * installation that cannot tell its version is left out with a warning. Logs what it finds. */
void install_find_interpreters(Manager *m);

/* Called once when a bundle's install has ended: r = 0 when it succeeded, else negative errno
 * with error holding the installer's error lines. */
typedef void (*InstallDone)(Manager *m, int r, const char *error, void *userdata);

/* Prepares bundle_id of c (unpacked in DataDir/apps/C/B, of mode app_mode) to run: chooses its
 * interpreter from the versions its manifest records (and records the choice for its processes),
 * then starts its package install job when it needs one, logging progress and the installer's
 * lines into task. Returns 1 when a job started (done is called when it ends), 0 when the bundle
 * needs no install (done is not called), or a negative errno with *ret_error saying why (no
 * matching interpreter, with the requested and the available versions; a bad package list; the
 * job refused). */
int install_bundle(Manager *m, const char *task, const Content *c, int64_t bundle_id, const char *app_mode,
                   InstallDone done, void *userdata, char **ret_error);

/* The Rscript and the python a process of bundle_id runs with: those of the interpreters its
 * deploy chose, else the defaults (m->rscript, m->python). Borrowed strings in *ret_rscript and
 * *ret_python (NULL when there is none); a chosen interpreter that has disappeared falls back to
 * the default. *ret_buffer owns what they point to and is freed by the caller. */
void install_interpreters_of_bundle(Manager *m, int64_t bundle_id, const char **ret_rscript, const char **ret_python,
                                    char ***ret_buffer);

/* The bundle's R library (DataDir/packrat/bundles/C/B) as the process sees it, if its install
 * made one: "MountDir/packrat/bundles/C/B" in *ret (NULL when there is none). */
int install_r_library_of_bundle(const Config *c, int64_t content_id, int64_t bundle_id, char **ret);
