/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "macro.h"
#include "reports.h"

#define SITE_YAML_MAX_DEPTH 16

static void yaml_parser_donep(yaml_parser_t *p) {
        yaml_parser_delete(p);
}

static int set_error(char **ret_error, int r, const char *fmt, const char *arg) {
        if (ret_error) {
                free(*ret_error);
                if (asprintf(ret_error, fmt, arg) < 0)
                        *ret_error = NULL;
        }
        return r;
}

/* Normalizes a relative path: drops '.' components and repeated slashes. NULL for the dir itself. */
static int normalize_output_dir(const char *value, char **ret, char **ret_error) {
        _cleanup_free_ char *out = malloc(strlen(value) + 1);
        size_t n = 0;

        if (!out)
                return -ENOMEM;
        if (value[0] == '/' || value[0] == '~')
                return set_error(ret_error, -EINVAL, "_site.yml: output_dir '%s' is not a path inside the site", value);
        for (const char *s = value; *s;) {
                size_t k = strcspn(s, "/");
                if (k == 2 && s[0] == '.' && s[1] == '.')
                        return set_error(ret_error, -EINVAL, "_site.yml: output_dir '%s' leaves the site ('..')", value);
                if (k > 0 && !(k == 1 && s[0] == '.')) {
                        if (n > 0)
                                out[n++] = '/';
                        memcpy(out + n, s, k);
                        n += k;
                }
                s += k;
                while (*s == '/')
                        s++;
        }
        out[n] = 0;
        *ret = n > 0 ? TAKE_PTR(out) : NULL;
        return 0;
}

int report_site_output_dir(const char *text, size_t size, char **ret, char **ret_error) {
        _cleanup_(yaml_parser_donep) yaml_parser_t parser = {};
        _cleanup_free_ char *value = NULL;
        bool done = false, want_key = true, is_output = false, found = false;
        int depth = 0;

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) text, size);
        while (!done) {
                yaml_event_t ev;
                int r = 0;

                if (!yaml_parser_parse(&parser, &ev))
                        return set_error(ret_error, -EINVAL, "_site.yml does not parse: %s",
                                         parser.problem ? parser.problem : "invalid YAML");
                switch (ev.type) {
                case YAML_STREAM_END_EVENT:
                        done = true;
                        break;
                case YAML_MAPPING_START_EVENT:
                case YAML_SEQUENCE_START_EVENT:
                        /* Only the top-level mapping's keys matter; a collection as output_dir is wrong. */
                        if (depth == 1 && !want_key && is_output)
                                r = set_error(ret_error, -EINVAL, "_site.yml: %s must be a string", "output_dir");
                        else if (++depth > SITE_YAML_MAX_DEPTH)
                                r = set_error(ret_error, -EINVAL, "_site.yml nests deeper than %s levels", "16");
                        break;
                case YAML_MAPPING_END_EVENT:
                case YAML_SEQUENCE_END_EVENT:
                        if (--depth == 1)
                                want_key = true;
                        break;
                case YAML_SCALAR_EVENT:
                        if (depth != 1)
                                break;
                        if (want_key) {
                                is_output = streq((const char *) ev.data.scalar.value, "output_dir");
                                want_key = false;
                                break;
                        }
                        want_key = true;
                        /* output_dir: ~ (R's NULL) means the default. */
                        if (ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                            (ev.data.scalar.length == 0 || streq((const char *) ev.data.scalar.value, "~") ||
                             streq((const char *) ev.data.scalar.value, "null")))
                                break;
                        if (is_output && !found) {
                                found = true;
                                value = strndup((const char *) ev.data.scalar.value, ev.data.scalar.length);
                                if (!value)
                                        r = -ENOMEM;
                        }
                        break;
                default:
                        break;
                }
                yaml_event_delete(&ev);
                if (r < 0)
                        return r;
        }
        return normalize_output_dir(found ? value : "_site", ret, ret_error);
}

size_t report_retention_select(const RenderingView *v, size_t n, unsigned keep, bool *delete) {
        size_t kept = 0, marked = 0;

        if (keep == 0)
                keep = 1;
        /* The active rendering is always kept and takes one of the places. */
        for (size_t i = 0; i < n; i++)
                if (v[i].active)
                        kept++;
        for (size_t i = 0; i < n; i++) {
                delete[i] = false;
                if (v[i].running || v[i].active)
                        continue;
                if (kept < keep) {
                        kept++;
                        continue;
                }
                delete[i] = true;
                marked++;
        }
        return marked;
}

bool report_variant_name_is_valid(const char *name) {
        size_t n = name ? strlen(name) : 0;
        if (n == 0 || n > 64)
                return false;
        return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

bool report_calendar_is_plausible(const char *spec) {
        size_t n = spec ? strlen(spec) : 0;
        if (n == 0 || n > REPORT_CALENDAR_MAX)
                return false;
        for (const unsigned char *s = (const unsigned char *) spec; *s; s++)
                if (*s < 0x20 || *s >= 0x7f)
                        return false;
        return true;
}

int report_schedule_unit_name(const char *guid, int64_t variant_id, const char *spec, char **ret) {
        char short_guid[9];
        uint32_t h = 2166136261U; /* FNV-1a: a name, not a secret */
        size_t n = 0;

        if (!guid || variant_id <= 0)
                return -EINVAL;
        for (const char *p = guid; *p && n < 8; p++)
                if (*p != '-')
                        short_guid[n++] = *p;
        short_guid[n] = 0;
        if (!spec)
                return asprintf(ret, "corral-schedule-%s-%lld", short_guid, (long long) variant_id) < 0 ? -ENOMEM : 0;
        for (const unsigned char *s = (const unsigned char *) spec; *s; s++)
                h = (h ^ *s) * 16777619U;
        if (asprintf(ret, "corral-schedule-%s-%lld-%08x", short_guid, (long long) variant_id, h) < 0)
                return -ENOMEM;
        return 0;
}
