/* SPDX-License-Identifier: MIT */
#pragma once

/* Blocking work off the event loop (PAM transactions): each piece runs on a thread of its own,
 * and its completion is handed back to the loop through a pipe, where done() runs. At most
 * WORKER_MAX pieces run at once. */

#include "manager.h"

#define WORKER_MAX 16U

typedef void (*WorkerFn)(void *arg);                 /* runs on the worker thread; must not touch m */
typedef void (*WorkerDone)(Manager *m, void *arg);   /* runs on the loop afterwards */

/* Sets up the hand-off pipe on m's loop. */
int worker_setup(Manager *m);
void worker_done(Manager *m);

/* Runs fn(arg) on a new thread, then done(m, arg) on the loop. -EBUSY when WORKER_MAX are running
 * (nothing runs; the caller keeps arg). */
int worker_run(Manager *m, WorkerFn fn, WorkerDone done, void *arg);
