/* SPDX-License-Identifier: MIT */
#pragma once

/* The scheduler's decisions (spec §7), as pure functions over a pool's counts. No I/O, no clock:
 * the caller feeds it the state and carries out what it decides. */

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

typedef enum SchedProcState {
        SCHED_PROC_STARTING,
        SCHED_PROC_READY,
        SCHED_PROC_STOPPING,    /* chosen for stopping: never routed to again */
        _SCHED_PROC_STATE_MAX,
        _SCHED_PROC_STATE_INVALID = -1,
} SchedProcState;

typedef struct SchedProcView {
        SchedProcState state;
        unsigned connections;
} SchedProcView;

typedef enum SchedAction {
        SCHED_ROUTE,    /* send the connection to *ret_index now */
        SCHED_WAIT,     /* hold it until a starting process is ready */
        SCHED_REFUSE,   /* 503 at once: every process full and none can start */
} SchedAction;

typedef struct SchedDecision {
        SchedAction action;
        size_t index;           /* for SCHED_ROUTE */
        bool start_another;     /* start one more process (alongside routing or waiting) */
} SchedDecision;

/* Decides where one new connection goes, given the pool's processes and the number of other
 * requests waiting for one. The load counts the existing connections (routed and waiting) over
 * the capacity of all processes that are not stopping (starting ones included); at load ≥
 * LoadFactor with fewer than MaxProcesses, another starts. Routes to the ready process with the
 * fewest connections below MaxConnsPerProcess. */
SchedDecision sched_decide(const SchedulerSettings *s, const SchedProcView *procs, size_t n, unsigned waiting);

/* Whether an idle process may be stopped: only while the pool keeps MinProcesses without it. */
bool sched_may_reap(const SchedulerSettings *s, const SchedProcView *procs, size_t n);

/* How many processes to start now to reach MinProcesses (starting ones count). */
unsigned sched_missing_min(const SchedulerSettings *s, const SchedProcView *procs, size_t n);
