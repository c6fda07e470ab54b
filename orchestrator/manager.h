/* SPDX-License-Identifier: MIT */
#pragma once

/* corrald's state: the one sd-event loop and everything it drives. */

#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "http-server.h"
#include "interpreters.h"
#include "store.h"

typedef struct Pool Pool;
typedef struct Job Job;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        Config *config;
        Store *store;
        HttpServer *http;
        Pool *pools;              /* one per content with processes or waiters (linked list) */
        Job *jobs;                /* running batch jobs (linked list) */
        char *runner_dir;
        char *rscript;            /* NULL when R is not installed */
        char *python;             /* NULL when Python is disabled or missing */
        Interpreter *r_installs;  /* R.Executable (or R on PATH) with the version each reports (spec §2) */
        size_t n_r_installs;
        Interpreter *python_installs; /* Python.Executable (or python3 on PATH), same */
        size_t n_python_installs;
        char *pandoc_dir;         /* dir of the pandoc on PATH, or NULL */
        char *exec_helper;        /* corral-exec, the first program of every unit */
        char *hostname;
        unsigned n_starting;      /* units starting server-wide (capped by Scheduler.MaxStartingUnits) */
        int worker_pipe[2];       /* worker threads hand their results back through it */
        sd_event_source *worker_source;
        unsigned n_workers;
        struct CredCache *credcache; /* forwarded passwords (PAM.ForwardPassword) */
} Manager;

/* Creates the manager from a loaded config (taking it): dirs, store, bus, HTTP front. */
int manager_new(Config *config, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);
/* Runs the loop until SIGTERM/SIGINT; returns 0 or negative errno. */
int manager_run(Manager *m);
