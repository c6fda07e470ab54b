/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "log.h"
#include "strv.h"
#include "systemd-client.h"
#include "unit-name.h"
#include "unit-props.h"

typedef struct Watch {
        UnitChangedFn fn;
        void *userdata;
} Watch;

static Watch watch;

static void read_string_into(sd_bus_message *m, char *buf, size_t size) {
        const char *s;
        if (sd_bus_message_read(m, "v", "s", &s) > 0)
                (void) snprintf(buf, size, "%s", s);
}

/* Applies the changed properties in m to st; the caller's st holds earlier values. */
static int parse_changed(sd_bus_message *m, UnitStatus *st, bool *ret_relevant) {
        const char *iface;
        int r;

        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name;
                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                if (streq(name, "ActiveState"))
                        read_string_into(m, st->active_state, sizeof st->active_state);
                else if (streq(name, "Result"))
                        read_string_into(m, st->result, sizeof st->result);
                else if (streq(name, "MainPID"))
                        (void) sd_bus_message_read(m, "v", "u", &st->main_pid);
                else if (streq(name, "ExecMainCode"))
                        (void) sd_bus_message_read(m, "v", "i", &st->exec_main_code);
                else if (streq(name, "ExecMainStatus"))
                        (void) sd_bus_message_read(m, "v", "i", &st->exec_main_status);
                else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        *ret_relevant = true;
        return 0;
}

/* Unit states are kept per unit name between signals: the Service interface's change
 * (ExecMain*) arrives just before the Unit interface's (ActiveState). */
typedef struct Known {
        char *unit;
        UnitStatus status;
        bool seen_running;        /* was activating, active or deactivating at some point */
        struct Known *next;
} Known;

static Known *known;

static Known *known_get(const char *unit) {
        for (Known *k = known; k; k = k->next)
                if (streq(k->unit, unit))
                        return k;
        Known *k = calloc(1, sizeof *k);
        if (!k)
                return NULL;
        k->unit = strdup(unit);
        if (!k->unit) {
                free(k);
                return NULL;
        }
        k->next = known;
        known = k;
        return k;
}

static void known_forget(const char *unit) {
        for (Known **k = &known; *k; k = &(*k)->next)
                if (streq((*k)->unit, unit)) {
                        Known *d = *k;
                        *k = d->next;
                        free(d->unit);
                        free(d);
                        return;
                }
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *unit = NULL;
        Known *k;
        UnitStatus *st;
        bool relevant = false;
        int r;

        r = sd_bus_path_decode(sd_bus_message_get_path(m), "/org/freedesktop/systemd1/unit", &unit);
        if (r <= 0)
                return 0;
        if (unit_name_parse(unit, NULL, NULL) < 0)
                return 0;
        k = known_get(unit);
        if (!k)
                return 0;
        st = &k->status;
        r = parse_changed(m, st, &relevant);
        if (r < 0) {
                log_debug_errno(r, "Failed to parse PropertiesChanged of %s: %m", unit);
                return 0;
        }
        bool inactive = streq(st->active_state, "inactive");
        if (!inactive && !streq(st->active_state, "failed") && st->active_state[0])
                k->seen_running = true;
        /* A new transient unit announces itself as "inactive" before it starts: that is not
         * its end. It has ended once it failed, or is inactive after running (or after its main
         * process left an exit status, when the states in between were coalesced). */
        st->ended = streq(st->active_state, "failed") ||
                    (inactive && (k->seen_running || st->exec_main_code != 0));
        UnitStatus copy = *st;
        if (st->ended)
                known_forget(unit);
        if (watch.fn && copy.active_state[0])
                watch.fn(watch.userdata, unit, &copy);
        return 0;
}

int systemd_client_connect(sd_event *event, UnitChangedFn fn, void *userdata, sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        watch = (Watch) { .fn = fn, .userdata = userdata };
        r = sd_bus_add_match(bus, NULL,
                             "type='signal',sender='org.freedesktop.systemd1',"
                             "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
                             "path_namespace='/org/freedesktop/systemd1/unit'",
                             on_properties_changed, NULL);
        if (r < 0)
                return r;
        /* Without a subscriber systemd sends no unit signals at all. */
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "Subscribe", NULL, NULL, NULL);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

int systemd_start_unit(sd_bus *bus, const UnitSpec *spec, sd_bus_message_handler_t callback, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = unit_props_new_start_message(bus, spec, &m);
        if (r < 0)
                return r;
        return sd_bus_call_async(bus, NULL, m, callback, userdata, 0);
}

static int on_stop_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e)
                log_debug("StopUnit failed: %s", e->message);
        return 0;
}

int systemd_stop_unit(sd_bus *bus, const char *unit) {
        return sd_bus_call_method_async(bus, NULL, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                        "org.freedesktop.systemd1.Manager", "StopUnit", on_stop_reply, NULL,
                                        "ss", unit, "replace");
}

int systemd_list_corral_units(sd_bus *bus, char ***ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_strv_free_ char **l = NULL;
        const char *name;
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "ListUnitsByPatterns", &error, &reply,
                               "asas", 0, 1, "corral-*.service");
        if (r < 0)
                return r;
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                                        NULL, NULL)) > 0) {
                /* Only names Corral makes: an admin's own corral-something.service is not ours. */
                if (unit_name_parse(name, NULL, NULL) < 0)
                        continue;
                r = strv_extend(&l, name);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

int systemd_unit_main_pid(sd_bus *bus, const char *unit, uint32_t *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        uint32_t pid = 0;
        int r;

        r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Service",
                                        "MainPID", &error, 'u', &pid);
        if (r < 0)
                return r;
        *ret = pid;
        return 0;
}
