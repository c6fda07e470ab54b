/* SPDX-License-Identifier: MIT */
/* The scheduler's pure decisions (spec §7) and per-content settings validation. */

#include <stdlib.h>

#include "content-settings.h"
#include "scheduler.h"
#include "test-helpers.h"

static SchedulerSettings settings(unsigned max_conns, double load_factor, unsigned max_procs) {
        return (SchedulerSettings) {
                .min_processes = 0, .max_processes = max_procs, .max_conns_per_process = max_conns,
                .load_factor = load_factor, .min_processes_limit = 20, .max_processes_limit = 20,
        };
}

/* Replays connections arriving one at a time (each staying open), starting processes when told
 * and making them ready at once; returns the connection numbers (1-based) at which a process
 * started, and the number of the first refused connection (0 if none) in *ret_refused. */
static unsigned spawn_points(const SchedulerSettings *s, unsigned n_conns, unsigned *points, unsigned *ret_refused) {
        SchedProcView procs[32] = {};
        size_t n = 0;
        unsigned n_points = 0;

        *ret_refused = 0;
        for (unsigned c = 1; c <= n_conns; c++) {
                SchedDecision d = sched_decide(s, procs, n, 0);
                if (d.start_another) {
                        points[n_points++] = c;
                        procs[n++] = (SchedProcView) { .state = SCHED_PROC_READY };
                        if (d.action != SCHED_ROUTE)
                                d = sched_decide(s, procs, n, 0);
                }
                if (d.action == SCHED_REFUSE) {
                        *ret_refused = c;
                        break;
                }
                CHECK(d.action == SCHED_ROUTE);
                procs[d.index].connections++;
        }
        return n_points;
}

static void test_load_factor(void) {
        SchedulerSettings s = settings(4, 0.5, 3);
        unsigned points[32], refused;
        unsigned n = spawn_points(&s, 20, points, &refused);

        /* load = existing connections / (processes × 4): 0 processes → start; 2/4 → start; 4/8 → start. */
        CHECK_INTEQ(n, 3);
        CHECK_INTEQ(points[0], 1);
        CHECK_INTEQ(points[1], 3);
        CHECK_INTEQ(points[2], 5);
        CHECK_INTEQ(refused, 13);   /* 3 × 4 connections held; the 13th is refused */

        s = settings(1, 1.0, 20);   /* one connection per process: every connection starts one */
        n = spawn_points(&s, 25, points, &refused);
        CHECK_INTEQ(n, 20);
        CHECK_INTEQ(points[19], 20);
        CHECK_INTEQ(refused, 21);

        s = settings(20, 0.0, 3);   /* LoadFactor 0: always start another while below Max */
        n = spawn_points(&s, 3, points, &refused);
        CHECK_INTEQ(n, 3);
}

static void test_routing(void) {
        SchedulerSettings s = settings(4, 0.5, 3);
        SchedProcView procs[3] = {
                { .state = SCHED_PROC_READY, .connections = 3 },
                { .state = SCHED_PROC_STOPPING, .connections = 0 },  /* never routed to */
                { .state = SCHED_PROC_READY, .connections = 1 },
        };
        SchedDecision d = sched_decide(&s, procs, 3, 0);
        CHECK(d.action == SCHED_ROUTE);
        CHECK_INTEQ(d.index, 2);

        /* Only a starting process: wait for it, start no other (load 0). */
        SchedProcView starting[1] = { { .state = SCHED_PROC_STARTING } };
        d = sched_decide(&s, starting, 1, 0);
        CHECK(d.action == SCHED_WAIT);
        CHECK(!d.start_another);

        /* Only a stopping process: it does not count; start a new one and wait for it. */
        d = sched_decide(&s, procs + 1, 1, 0);
        CHECK(d.action == SCHED_WAIT);
        CHECK(d.start_another);
}

/* Requests waiting for a starting process are connections too: a burst on cold content scales out
 * before the first process is even ready. */
static void test_waiting_count(void) {
        SchedulerSettings s = settings(20, 0.5, 3);
        SchedProcView starting[2] = { { .state = SCHED_PROC_STARTING }, { .state = SCHED_PROC_STARTING } };

        SchedDecision d = sched_decide(&s, starting, 1, 9);     /* 9/20 < 0.5: wait for it */
        CHECK(d.action == SCHED_WAIT);
        CHECK(!d.start_another);
        d = sched_decide(&s, starting, 1, 10);                  /* 10/20 ≥ 0.5: another */
        CHECK(d.action == SCHED_WAIT);
        CHECK(d.start_another);
        d = sched_decide(&s, starting, 2, 19);                  /* 19/40 < 0.5 */
        CHECK(!d.start_another);
        d = sched_decide(&s, starting, 2, 20);                  /* 20/40 ≥ 0.5: a third */
        CHECK(d.start_another);
}

static void test_reaping(void) {
        SchedulerSettings s = settings(4, 0.5, 3);
        SchedProcView procs[2] = { { .state = SCHED_PROC_READY }, { .state = SCHED_PROC_READY } };

        s.min_processes = 2;
        CHECK(!sched_may_reap(&s, procs, 2));
        CHECK_INTEQ(sched_missing_min(&s, procs, 1), 1);
        procs[1].state = SCHED_PROC_STOPPING;
        CHECK_INTEQ(sched_missing_min(&s, procs, 2), 1);
        s.min_processes = 1;
        procs[1].state = SCHED_PROC_READY;
        CHECK(sched_may_reap(&s, procs, 2));
}

static void test_settings(void) {
        SchedulerSettings g = settings(20, 0.5, 3), eff;
        json_t *merged = NULL, *update;
        char *error = NULL;

        update = json_pack("{s:i, s:f}", "MaxProcesses", 5, "idle_timeout", 2.5);
        CHECK_INTEQ(content_settings_merge(&g, NULL, update, false, &merged, &error), 0);
        content_settings_apply(&g, merged, &eff);
        CHECK_INTEQ(eff.max_processes, 5);
        CHECK_INTEQ(eff.idle_timeout_usec, 2500000);
        CHECK_INTEQ(eff.max_conns_per_process, 20);
        json_decref(update);

        /* null resets to the server default */
        update = json_pack("{s:n}", "max_processes");
        json_t *merged2 = NULL;
        CHECK_INTEQ(content_settings_merge(&g, merged, update, false, &merged2, &error), 0);
        content_settings_apply(&g, merged2, &eff);
        CHECK_INTEQ(eff.max_processes, 3);
        json_decref(update);
        json_decref(merged2);
        json_decref(merged);

        struct {
                const char *json;
                bool is_static;
                const char *error;
        } bad[] = {
                { "{\"MaxProcesses\": 21}", false, "MaxProcesses 21 is above Scheduler.MaxProcessesLimit 20" },
                { "{\"MinProcesses\": 21}", false, "MinProcesses 21 is above Scheduler.MinProcessesLimit 20" },
                { "{\"MinProcesses\": 4}", false, "MinProcesses 4 is above MaxProcesses 3" },
                { "{\"MaxConnsPerProcess\": 0}", false, "MaxConnsPerProcess must be at least 1" },
                { "{\"LoadFactor\": 1.5}", false, "LoadFactor must be a number from 0.0 to 1.0" },
                { "{\"IdleTimeout\": 0}", false, "IdleTimeout must be more than 0 seconds" },
                { "{\"ReadTimeout\": \"5s\"}", false, "ReadTimeout must be a number of seconds" },
                { "{\"MaxProcesses\": -1}", false, "MaxProcesses must be a whole number" },
                { "{\"Bogus\": 1}", false, "unknown setting 'Bogus'" },
                { "{\"MaxProcesses\": 2}", true, "MaxProcesses cannot be set on static content" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                json_t *u = json_loads(bad[i].json, 0, NULL);
                merged = NULL;
                CHECK_INTEQ(content_settings_merge(&g, NULL, u, bad[i].is_static, &merged, &error), -EINVAL);
                CHECK(!merged);
                if (!error || !strstr(error, bad[i].error)) {
                        fprintf(stderr, "case %zu: error '%s' lacks '%s'\n", i, error ? error : "(null)", bad[i].error);
                        test_failures++;
                }
                free(error);
                error = NULL;
                json_decref(u);
        }
}

int main(void) {
        test_load_factor();
        test_routing();
        test_waiting_count();
        test_reaping();
        test_settings();
        return TEST_RESULT();
}
