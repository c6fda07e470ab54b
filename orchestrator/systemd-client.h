/* SPDX-License-Identifier: MIT */
#pragma once

/* Talking to systemd (PID 1) over sd-bus, asynchronously: starting transient units, stopping
 * them, and hearing about their state changes. */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "unit-spec.h"

/* What corrald learns about a unit from PropertiesChanged signals. */
typedef struct UnitStatus {
        char active_state[32];    /* "activating", "active", "deactivating", "inactive", "failed" */
        char result[32];          /* Result=: "success", "exit-code", "signal", "core-dump", "oom-kill", "timeout", … */
        uint32_t main_pid;
        int exec_main_code;       /* CLD_EXITED, CLD_KILLED, CLD_DUMPED or 0 */
        int exec_main_status;     /* exit status or signal number */
        bool ended;               /* the unit has run and is now inactive or failed */
} UnitStatus;

/* Called for every PropertiesChanged of a corral-*.service unit, with its merged status. */
typedef void (*UnitChangedFn)(void *userdata, const char *unit, const UnitStatus *status);

/* Connects to the system bus, attaches it to event, subscribes to systemd's signals and
 * watches corral-*.service units. */
int systemd_client_connect(sd_event *event, UnitChangedFn fn, void *userdata, sd_bus **ret);

/* Sends StartTransientUnit for spec; callback gets the method reply (error or job path). */
int systemd_start_unit(sd_bus *bus, const UnitSpec *spec, sd_bus_message_handler_t callback, void *userdata);

/* Sends StopUnit(unit, "replace"); errors are only logged at debug. */
int systemd_stop_unit(sd_bus *bus, const char *unit);

/* Lists loaded units named as unit_name_build() names them (strv of names). */
int systemd_list_corral_units(sd_bus *bus, char ***ret);

/* The MainPID of a loaded service unit (synchronous; for start-up only). */
int systemd_unit_main_pid(sd_bus *bus, const char *unit, uint32_t *ret);
