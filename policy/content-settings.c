/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "content-settings.h"

const ContentSettingKey content_setting_keys[] = {
        { "min_processes",          "MinProcesses" },
        { "max_processes",          "MaxProcesses" },
        { "max_conns_per_process",  "MaxConnsPerProcess" },
        { "load_factor",            "LoadFactor" },
        { "init_timeout",           "InitTimeout" },
        { "idle_timeout",           "IdleTimeout" },
        { "connection_timeout",     "ConnectionTimeout" },
        { "read_timeout",           "ReadTimeout" },
        { "memory_max",             "MemoryMax" },
        { "cpu_quota",              "CPUQuota" },
        { "tasks_max",              "TasksMax" },
};
const size_t content_setting_keys_count = ELEMENTSOF(content_setting_keys);

static bool name_matches(const char *a, const char *b) {
        /* "min_processes" ~ "MinProcesses": compare ignoring case and underscores. */
        while (*a || *b) {
                if (*a == '_') {
                        a++;
                        continue;
                }
                if (*b == '_') {
                        b++;
                        continue;
                }
                if (!*a || !*b || (*a | 0x20) != (*b | 0x20))
                        return false;
                a++;
                b++;
        }
        return true;
}

const char *content_setting_api_name(const char *name) {
        if (!name)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(content_setting_keys); i++)
                if (name_matches(name, content_setting_keys[i].api_name))
                        return content_setting_keys[i].api_name;
        return NULL;
}

static const char *config_name(const char *api_name) {
        for (size_t i = 0; i < ELEMENTSOF(content_setting_keys); i++)
                if (streq(api_name, content_setting_keys[i].api_name))
                        return content_setting_keys[i].config_name;
        return api_name;
}

static bool get_uint(json_t *o, const char *key, unsigned *ret) {
        json_t *v = json_object_get(o, key);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000)
                return false;
        *ret = (unsigned) json_integer_value(v);
        return true;
}

static bool get_seconds(json_t *o, const char *key, uint64_t *ret_usec) {
        json_t *v = json_object_get(o, key);
        double d;
        if (!json_is_number(v))
                return false;
        d = json_number_value(v);
        if (!(d >= 0) || d > 31536000.0) /* a year */
                return false;
        *ret_usec = (uint64_t) llround(d * 1e6);
        return true;
}

void content_limits_apply(const Config *c, json_t *o, ContentLimits *ret) {
        ContentLimits l = {
                .memory_max = c->memory_max, .cpu_quota_percent = c->cpu_quota_percent, .tasks_max = c->tasks_max,
        };
        json_t *v;

        if ((v = json_object_get(o, "memory_max")) && json_is_integer(v) && json_integer_value(v) >= 0)
                l.memory_max = (uint64_t) json_integer_value(v);
        if ((v = json_object_get(o, "cpu_quota")) && json_is_number(v) && json_number_value(v) >= 0)
                l.cpu_quota_percent = (uint64_t) llround(json_number_value(v));
        if ((v = json_object_get(o, "tasks_max")) && json_is_integer(v) && json_integer_value(v) >= 0)
                l.tasks_max = (uint64_t) json_integer_value(v);
        *ret = l;
}

void content_settings_apply(const SchedulerSettings *global, json_t *o, SchedulerSettings *ret) {
        SchedulerSettings s = *global;
        double d;

        if (json_is_object(o)) {
                (void) get_uint(o, "min_processes", &s.min_processes);
                (void) get_uint(o, "max_processes", &s.max_processes);
                (void) get_uint(o, "max_conns_per_process", &s.max_conns_per_process);
                if (json_is_number(json_object_get(o, "load_factor"))) {
                        d = json_number_value(json_object_get(o, "load_factor"));
                        if (d >= 0 && d <= 1)
                                s.load_factor = d;
                }
                (void) get_seconds(o, "init_timeout", &s.init_timeout_usec);
                (void) get_seconds(o, "idle_timeout", &s.idle_timeout_usec);
                (void) get_seconds(o, "connection_timeout", &s.connection_timeout_usec);
                (void) get_seconds(o, "read_timeout", &s.read_timeout_usec);
        }
        /* The server's ceilings always win, also over settings stored before they were lowered. */
        if (s.max_processes > s.max_processes_limit)
                s.max_processes = s.max_processes_limit;
        if (s.min_processes > s.min_processes_limit)
                s.min_processes = s.min_processes_limit;
        if (s.min_processes > s.max_processes)
                s.min_processes = s.max_processes;
        if (s.max_conns_per_process == 0)
                s.max_conns_per_process = 1;
        *ret = s;
}

static int fail(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int fail(char **ret_error, const char *fmt, ...) {
        va_list ap;
        if (ret_error) {
                free(*ret_error);
                *ret_error = NULL;
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return -EINVAL;
}

static int check_types(json_t *merged, char **ret_error) {
        const char *key;
        json_t *v;

        json_object_foreach(merged, key, v) {
                const char *n = config_name(key);
                if (streq(key, "memory_max")) {
                        if (!json_is_integer(v) || json_integer_value(v) < 1024 * 1024)
                                return fail(ret_error, "%s must be a size of at least 1M (in bytes over the API)", n);
                } else if (streq(key, "cpu_quota")) {
                        if (!json_is_number(v) || json_number_value(v) <= 0 || json_number_value(v) > 100000)
                                return fail(ret_error, "%s must be a percentage above 0 (100 = one CPU)", n);
                } else if (streq(key, "load_factor")) {
                        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)
                                return fail(ret_error, "%s must be a number from 0.0 to 1.0", n);
                } else if (strstr(key, "timeout")) {
                        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 31536000.0)
                                return fail(ret_error, "%s must be a number of seconds from 0 to 31536000", n);
                        if ((streq(key, "init_timeout") || streq(key, "idle_timeout")) && json_number_value(v) <= 0)
                                return fail(ret_error, "%s must be more than 0 seconds", n);
                } else if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000)
                        return fail(ret_error, "%s must be a whole number from 0 to 1000000", n);
        }
        return 0;
}

int content_settings_merge(const SchedulerSettings *global, json_t *current, json_t *update, bool is_static,
                           json_t **ret, char **ret_error) {
        json_t *merged;
        const char *key;
        json_t *v;
        SchedulerSettings s;
        int r;

        if (!json_is_object(update))
                return fail(ret_error, "settings must be a JSON object");
        merged = json_is_object(current) ? json_deep_copy(current) : json_object();
        if (!merged)
                return -ENOMEM;
        json_object_foreach(update, key, v) {
                const char *api = content_setting_api_name(key);
                if (!api) {
                        json_decref(merged);
                        return fail(ret_error, "unknown setting '%s' (known: MinProcesses, MaxProcesses, "
                                    "MaxConnsPerProcess, LoadFactor, InitTimeout, IdleTimeout, ConnectionTimeout, "
                                    "ReadTimeout, MemoryMax, CPUQuota, TasksMax)", key);
                }
                if (json_is_null(v))
                        (void) json_object_del(merged, api);
                else if (is_static) {
                        json_decref(merged);
                        return fail(ret_error, "%s cannot be set on static content: it runs no processes",
                                    config_name(api));
                } else
                        (void) json_object_set(merged, api, v);
        }
        r = check_types(merged, ret_error);
        if (r < 0) {
                json_decref(merged);
                return r;
        }
        /* Check the rules on what would be in effect, so a per-content Min above the global Max
         * is caught too. */
        s = *global;
        (void) get_uint(merged, "min_processes", &s.min_processes);
        (void) get_uint(merged, "max_processes", &s.max_processes);
        (void) get_uint(merged, "max_conns_per_process", &s.max_conns_per_process);
        if (s.max_processes > global->max_processes_limit)
                r = fail(ret_error, "MaxProcesses %u is above Scheduler.MaxProcessesLimit %u", s.max_processes,
                         global->max_processes_limit);
        else if (s.min_processes > global->min_processes_limit)
                r = fail(ret_error, "MinProcesses %u is above Scheduler.MinProcessesLimit %u", s.min_processes,
                         global->min_processes_limit);
        else if (s.min_processes > s.max_processes)
                r = fail(ret_error, "MinProcesses %u is above MaxProcesses %u", s.min_processes, s.max_processes);
        else if (s.max_processes < 1)
                r = fail(ret_error, "MaxProcesses must be at least 1");
        else if (s.max_conns_per_process < 1)
                r = fail(ret_error, "MaxConnsPerProcess must be at least 1");
        if (r < 0) {
                json_decref(merged);
                return r;
        }
        *ret = merged;
        return 0;
}
