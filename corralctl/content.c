/* SPDX-License-Identifier: MIT */
/* corralctl content …: per-content settings (spec §14). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "content-settings.h"
#include "ctl-util.h"
#include "verbs.h"

/* Parses one "KEY=VALUE" of `content set` into update. Durations take corral.yaml's syntax
 * ("5s", "1m15s") and are sent in seconds; "KEY=" resets the key to the server default. */
static int parse_assignment(const char *arg, json_t *update) {
        const char *eq = strchr(arg, '=');
        _cleanup_free_ char *name = NULL;
        const char *api, *value;

        if (!eq || eq == arg)
                return ctl_error_errno(-EINVAL, "'%s' is not of the form KEY=VALUE.", arg);
        name = strndup(arg, (size_t) (eq - arg));
        if (!name)
                return -ENOMEM;
        /* Not scheduler settings, but content fields (spec §14). */
        if (strcasecmp(name, "Access") == 0)
                return json_object_set_new(update, "access", *(eq + 1) ? json_string(eq + 1) : json_string("acl")) < 0
                               ? -ENOMEM : 0;
        if (strcasecmp(name, "RunAsCurrentUser") == 0) {
                bool b;
                if (parse_boolean(eq + 1, &b) < 0 && *(eq + 1))
                        return ctl_error_errno(-EINVAL, "RunAsCurrentUser: '%s' is not true or false.", eq + 1);
                return json_object_set_new(update, "run_as_current_user", json_boolean(*(eq + 1) ? b : false)) < 0
                               ? -ENOMEM : 0;
        }
        api = content_setting_api_name(name);
        if (!api)
                return ctl_error_errno(-EINVAL, "Unknown setting '%s'. Known: MinProcesses, MaxProcesses, "
                                       "MaxConnsPerProcess, LoadFactor, InitTimeout, IdleTimeout, "
                                       "ConnectionTimeout, ReadTimeout, MemoryMax, CPUQuota, TasksMax.", name);
        value = eq + 1;
        if (!*value)
                return json_object_set_new(update, api, json_null()) < 0 ? -ENOMEM : 0;
        if (strstr(api, "timeout")) {
                uint64_t usec;
                if (parse_duration(value, &usec) < 0)
                        return ctl_error_errno(-EINVAL, "%s: '%s' is not a duration (like 500ms, 5s, 1m15s).", name, value);
                return json_object_set_new(update, api, json_real((double) usec / 1e6)) < 0 ? -ENOMEM : 0;
        }
        char *end = NULL;
        errno = 0;
        if (streq(api, "memory_max")) {
                uint64_t bytes;
                if (parse_size(value, &bytes) < 0)
                        return ctl_error_errno(-EINVAL, "%s: '%s' is not a size (like 512M, 2G).", name, value);
                return json_object_set_new(update, api, json_integer((json_int_t) bytes)) < 0 ? -ENOMEM : 0;
        }
        if (streq(api, "cpu_quota")) {
                uint64_t percent;
                if (parse_cpu_quota(value, &percent) < 0)
                        return ctl_error_errno(-EINVAL, "%s: '%s' is not a CPU quota (like 50%% or 1.5).", name, value);
                return json_object_set_new(update, api, json_integer((json_int_t) percent)) < 0 ? -ENOMEM : 0;
        }
        if (streq(api, "load_factor")) {
                double d = strtod(value, &end);
                if (errno != 0 || !end || *end)
                        return ctl_error_errno(-EINVAL, "%s: '%s' is not a number.", name, value);
                return json_object_set_new(update, api, json_real(d)) < 0 ? -ENOMEM : 0;
        }
        long long n = strtoll(value, &end, 10);
        if (errno != 0 || !end || *end || n < 0)
                return ctl_error_errno(-EINVAL, "%s: '%s' is not a whole number.", name, value);
        return json_object_set_new(update, api, json_integer(n)) < 0 ? -ENOMEM : 0;
}

static int content_set(CtlClient *c, const CtlArgs *args) {
        _cleanup_json_ json_t *update = json_object(), *reply = NULL;
        _cleanup_free_ char *guid = NULL, *path = NULL;
        int r;

        if (!update)
                return ctl_error_errno(-ENOMEM, "Out of memory.");
        if (args->n_args < 4)
                return ctl_error_errno(-EINVAL, "Usage: corralctl content set GUID KEY=VALUE...");
        for (int i = 3; i < args->n_args; i++) {
                r = parse_assignment(args->args[i], update);
                if (r < 0)
                        return r;
        }
        r = ctl_url_escape(args->args[2], &guid);
        if (r < 0 || asprintf(&path, "applications/%s", guid) < 0)
                return ctl_error_errno(-ENOMEM, "Out of memory.");
        r = ctl_client_call(c, "PATCH", path, update, &reply);
        if (r < 0)
                return r;
        if (args->json)
                return ctl_print_json(reply);
        json_t *settings = json_object_get(reply, "settings");
        if (json_object_size(settings) == 0)
                printf("%s: all settings are the server defaults\n", args->args[2]);
        else {
                const char *key;
                json_t *v;
                json_object_foreach(settings, key, v) {
                        _cleanup_free_ char *text = json_dumps(v, JSON_ENCODE_ANY);
                        printf("%s=%s\n", key, text ? text : "?");
                }
        }
        return 0;
}

static int content_path(const char *guid, const char *suffix, char **ret) {
        _cleanup_free_ char *escaped = NULL;
        if (ctl_url_escape(guid, &escaped) < 0 || asprintf(ret, "applications/%s%s", escaped, suffix) < 0)
                return ctl_error_errno(-ENOMEM, "Out of memory.");
        return 0;
}

/* content set-runas GUID USER | --default (administrators). */
static int content_set_runas(CtlClient *c, const CtlArgs *args) {
        _cleanup_json_ json_t *body = NULL, *reply = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        if (args->n_args != (args->use_default ? 3 : 4))
                return ctl_error_errno(-EINVAL, "Usage: corralctl content set-runas GUID USER|--default");
        body = json_pack("{s:o}", "run_as", args->use_default ? json_null() : json_string(args->args[3]));
        if (!body)
                return ctl_error_errno(-ENOMEM, "Out of memory.");
        r = content_path(args->args[2], "", &path);
        if (r < 0)
                return r;
        r = ctl_client_call(c, "PATCH", path, body, &reply);
        if (r < 0)
                return r;
        if (args->json)
                return ctl_print_json(reply);
        const char *user = json_string_value(json_object_get(reply, "run_as"));
        printf("%s runs as %s\n", args->args[2], user ? user : "the server's Applications.RunAs");
        return 0;
}

static int print_env_names(const CtlArgs *args, json_t *reply) {
        size_t i;
        json_t *v;

        if (args->json)
                return ctl_print_json(reply);
        json_array_foreach(reply, i, v)
                printf("%s\n", json_string_value(v));
        return 0;
}

/* content env set GUID NAME=VALUE… | unset GUID NAME… | list GUID. Values are never printed. */
static int content_env(CtlClient *c, const CtlArgs *args) {
        _cleanup_json_ json_t *body = json_object(), *reply = NULL;
        _cleanup_free_ char *path = NULL;
        const char *op = args->n_args > 2 ? args->args[2] : "";
        int r;

        if (!body)
                return ctl_error_errno(-ENOMEM, "Out of memory.");
        if (args->n_args < 4 || (!streq(op, "list") && args->n_args < 5))
                return ctl_error_errno(-EINVAL, "Usage: corralctl content env set GUID NAME=VALUE... | "
                                       "unset GUID NAME... | list GUID");
        r = content_path(args->args[3], "/environment", &path);
        if (r < 0)
                return r;
        if (streq(op, "list"))
                r = ctl_client_call(c, "GET", path, NULL, &reply);
        else if (streq(op, "set") || streq(op, "unset")) {
                for (int i = 4; i < args->n_args; i++) {
                        const char *arg = args->args[i], *eq = strchr(arg, '=');
                        _cleanup_free_ char *name = NULL;
                        if (streq(op, "set") && (!eq || eq == arg))
                                return ctl_error_errno(-EINVAL, "'%s' is not of the form NAME=VALUE.", arg);
                        name = streq(op, "set") ? strndup(arg, (size_t) (eq - arg)) : strdup(arg);
                        if (!name || json_object_set_new(body, name, streq(op, "set") ? json_string(eq + 1) : json_null()) < 0)
                                return ctl_error_errno(-EINVAL, "'%s': the value is not valid UTF-8, or out of memory.", arg);
                }
                r = ctl_client_call(c, "PATCH", path, body, &reply);
        } else
                return ctl_error_errno(-EINVAL, "Unknown 'content env' command '%s' (known: set, unset, list).", op);
        if (r < 0)
                return r;
        return print_env_names(args, reply);
}

/* content acl GUID USER viewer|collaborator|none: who may see (and, collaborators, change) content
 * whose Access is acl. */
static int content_acl(CtlClient *c, const CtlArgs *args) {
        _cleanup_json_ json_t *body = NULL, *reply = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        if (args->n_args != 5)
                return ctl_error_errno(-EINVAL, "Usage: corralctl content acl GUID USER viewer|collaborator|none");
        const char *role = args->args[4];
        if (!streq(role, "viewer") && !streq(role, "collaborator") && !streq(role, "none"))
                return ctl_error_errno(-EINVAL, "Role '%s' is not viewer, collaborator or none.", role);
        body = json_pack("{s:{s:o}}", "acl", args->args[3], streq(role, "none") ? json_null() : json_string(role));
        if (!body)
                return ctl_error_errno(-ENOMEM, "Out of memory.");
        r = content_path(args->args[2], "", &path);
        if (r < 0)
                return r;
        r = ctl_client_call(c, "PATCH", path, body, &reply);
        if (r < 0)
                return r;
        return args->json ? ctl_print_json(reply) : 0;
}

int verb_content(CtlClient *c, const CtlArgs *args) {
        const char *sub = args->args[1];

        if (streq(sub, "acl"))
                return content_acl(c, args);
        if (streq(sub, "set"))
                return content_set(c, args);
        if (streq(sub, "set-runas"))
                return content_set_runas(c, args);
        if (streq(sub, "env"))
                return content_env(c, args);
        return ctl_error_errno(-EINVAL, "Unknown 'content' command '%s' (known: set, set-runas, env, acl).", sub);
}
