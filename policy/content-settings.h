/* SPDX-License-Identifier: MIT */
#pragma once

/* Per-content scheduler settings (spec §7): overrides of the Scheduler.* defaults stored with
 * each content item, validated against the server's limits. An override is a JSON object keyed by
 * the API names below; a missing or null key means "the server default". */

#include <jansson.h>

#include "config.h"

/* The keys, in API spelling (snake_case) with their corral.yaml spelling for messages and
 * for `corralctl content set KEY=VALUE`. */
typedef struct ContentSettingKey {
        const char *api_name;     /* "min_processes" */
        const char *config_name;  /* "MinProcesses" */
} ContentSettingKey;

extern const ContentSettingKey content_setting_keys[];
extern const size_t content_setting_keys_count;

/* Maps "MinProcesses", "min_processes", "minprocesses" (any case) to the API name; NULL if unknown. */
const char *content_setting_api_name(const char *name);

/* Resource limits of a content's processes: Applications.MemoryMax/CPUQuota/TasksMax, or the
 * content's own memory_max (bytes), cpu_quota (percent), tasks_max. 0 = unset. */
typedef struct ContentLimits {
        uint64_t memory_max;
        uint64_t cpu_quota_percent;
        uint64_t tasks_max;
} ContentLimits;

void content_limits_apply(const Config *c, json_t *overrides, ContentLimits *ret);

/* Applies overrides (may be NULL) to the global settings into *ret. Invalid overrides are ignored
 * (they were refused when set). */
void content_settings_apply(const SchedulerSettings *global, json_t *overrides, SchedulerSettings *ret);

/* Validates a change: merges update (keys set to null are removed) into current (may be NULL)
 * and checks types and the rules Max ≤ MaxProcessesLimit, Min ≤ MinProcessesLimit, Min ≤ Max,
 * MaxConnsPerProcess ≥ 1, 0 ≤ LoadFactor ≤ 1, timeouts ≥ 0 (InitTimeout, IdleTimeout > 0), and no
 * scheduler settings on content served without processes (is_static). Returns the merged object in
 * *ret, or -EINVAL with *ret_error naming the key and the rule. Durations are in seconds (numbers). */
int content_settings_merge(const SchedulerSettings *global, json_t *current, json_t *update, bool is_static,
                           json_t **ret, char **ret_error);
