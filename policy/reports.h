/* SPDX-License-Identifier: MIT */
#pragma once

/* Decisions about reports (spec §10), as pure functions: where a site's output lands, which old
 * renderings retention deletes, what a variant may be called, how a schedule's units are named.
 * Nothing here touches a file or the bus. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REPORT_PARAMS_MAX (64U * 1024U)      /* bytes of a variant's parameters as JSON */
#define REPORT_VARIANTS_MAX 100U             /* variants per content */
#define REPORT_CALENDAR_MAX 256U             /* characters of a schedule */

/* The output_dir of a site from the text of its _site.yml (size bytes, need not be NUL-terminated):
 * "_site" when the file does not set it. In *ret a normalized relative path ("_site", "out/html"),
 * or NULL when the site renders into its own dir ("." or "./", nothing is moved). -EINVAL with
 * *ret_error (may be NULL) for YAML that does not parse, an output_dir that is not a string, an
 * absolute path or one with a '..' component. */
int report_site_output_dir(const char *text, size_t size, char **ret, char **ret_error);

/* One rendering of a variant, as retention sees it. */
typedef struct RenderingView {
        int64_t id;
        bool running;        /* its job has not ended */
        bool active;         /* the one viewers get */
} RenderingView;

/* Retention (Applications.RenderingRetention): given the renderings of one variant newest first,
 * marks in delete[i] those to delete: all but the keep newest finished ones, never a running one,
 * never the active one (it counts towards keep). keep 0 is taken as 1. Returns how many are marked. */
size_t report_retention_select(const RenderingView *v, size_t n, unsigned keep, bool *delete);

/* A variant name: 1–64 of [A-Za-z0-9_-]. */
bool report_variant_name_is_valid(const char *name);

/* A schedule as systemd will see it: printable ASCII, 1–REPORT_CALENDAR_MAX characters. Whether
 * systemd accepts the expression is systemd's to say (it answers with its reason). */
bool report_calendar_is_plausible(const char *spec);

/* The stem of the units of one variant's schedule: corral-schedule-<short guid>-<variant id>-<hash of
 * spec>, or with spec NULL the stem shared by all schedules of the variant. Corral adds "-<nonce>.timer"
 * (and the same name in .service, for the service it starts): every timer has a fresh name, so
 * re-creating one never collides with a unit of an earlier one that is still loaded. */
int report_schedule_unit_name(const char *guid, int64_t variant_id, const char *spec, char **ret);
