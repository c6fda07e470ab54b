/* SPDX-License-Identifier: MIT */
#include "scheduler.h"

static unsigned count_live(const SchedProcView *procs, size_t n, unsigned *ret_connections, unsigned *ret_starting) {
        unsigned live = 0, conns = 0, starting = 0;
        for (size_t i = 0; i < n; i++) {
                if (procs[i].state == SCHED_PROC_STOPPING)
                        continue;
                live++;
                conns += procs[i].connections;
                if (procs[i].state == SCHED_PROC_STARTING)
                        starting++;
        }
        if (ret_connections)
                *ret_connections = conns;
        if (ret_starting)
                *ret_starting = starting;
        return live;
}

SchedDecision sched_decide(const SchedulerSettings *s, const SchedProcView *procs, size_t n, unsigned waiting) {
        SchedDecision d = { .action = SCHED_REFUSE };
        unsigned conns, starting, live, best_conns = 0;
        bool have_best = false;

        live = count_live(procs, n, &conns, &starting);
        /* A request waiting for a process is in flight too: it is a connection (spec §7). */
        conns += waiting;
        if (live == 0)
                d.start_another = s->max_processes > 0;
        else {
                double load = (double) conns / ((double) live * (double) s->max_conns_per_process);
                d.start_another = load >= s->load_factor && live < s->max_processes;
        }

        for (size_t i = 0; i < n; i++) {
                if (procs[i].state != SCHED_PROC_READY || procs[i].connections >= s->max_conns_per_process)
                        continue;
                if (!have_best || procs[i].connections < best_conns) {
                        have_best = true;
                        best_conns = procs[i].connections;
                        d.index = i;
                }
        }
        if (have_best)
                d.action = SCHED_ROUTE;
        else if (starting > 0 || d.start_another)
                d.action = SCHED_WAIT;
        else
                d.action = SCHED_REFUSE;
        return d;
}

bool sched_may_reap(const SchedulerSettings *s, const SchedProcView *procs, size_t n) {
        return count_live(procs, n, NULL, NULL) > s->min_processes;
}

unsigned sched_missing_min(const SchedulerSettings *s, const SchedProcView *procs, size_t n) {
        unsigned live = count_live(procs, n, NULL, NULL);
        return live >= s->min_processes ? 0 : s->min_processes - live;
}
