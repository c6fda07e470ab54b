/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "config.h"
#include "fs-util.h"
#include "strv.h"

/* corral.yaml is small; anything bigger than this is not a configuration file. */
#define CONFIG_FILE_MAX (1024U * 1024U)

/* corral.yaml nests three levels (sections, keys, list or mapping values). libyaml's scanner
 * takes time quadratic in the nesting depth, so deeper files are refused before they are loaded. */
#define CONFIG_DEPTH_MAX 16U

/* Longest key or section name in the tables below; bounds the edit-distance rows. */
#define CONFIG_NAME_MAX 64U

#define USEC_PER_MINUTE (60ULL * USEC_PER_SEC)
#define USEC_PER_HOUR (60ULL * USEC_PER_MINUTE)
#define USEC_PER_DAY (24ULL * USEC_PER_HOUR)

typedef struct ConfigKey ConfigKey;

/* State of one parse: where messages point, what is filled in, which keys were seen where. */
typedef struct ParseContext {
        const char *filename;
        yaml_document_t *document;
        Config *config;
        const ConfigKey *key;   /* the key whose value is being parsed, for messages */
        size_t *key_lines;      /* per row of config_keys[]: line it was set on, 0 = not set */
        size_t *section_lines;  /* per entry of config_sections[]: line of its first header */
        char *error;            /* "FILE:LINE: …" once a parser failed with -EINVAL */
} ParseContext;

/* Parses node into field (a member of ctx->config). Returns 0, -EINVAL with ctx->error set, or
 * -ENOMEM. */
typedef int (*ConfigParser)(ParseContext *ctx, yaml_node_t *node, void *field);

struct ConfigKey {
        const char *section;
        const char *name;
        ConfigParser parse;
        size_t offset;
};

/* ---- small generic helpers ---- */

static void yaml_parser_donep(yaml_parser_t *p) {
        yaml_parser_delete(p);
}

static void yaml_document_donep(yaml_document_t *d) {
        yaml_document_delete(d);
}

static int free_and_strdup(char **p, const char *s) {
        char *copy = NULL;

        if (s) {
                copy = strdup(s);
                if (!copy)
                        return -ENOMEM;
        }
        free(*p);
        *p = copy;
        return 0;
}

static bool path_is_absolute(const char *p) {
        return p && p[0] == '/';
}

/* Levenshtein distance between a and b, ignoring case. b must be shorter than CONFIG_NAME_MAX. */
static size_t edit_distance(const char *a, const char *b) {
        size_t row[CONFIG_NAME_MAX + 1], lb = strlen(b);

        if (lb > CONFIG_NAME_MAX)
                return SIZE_MAX;
        for (size_t j = 0; j <= lb; j++)
                row[j] = j;
        for (size_t i = 1; a[i - 1]; i++) {
                size_t diag = row[0];

                row[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t up = row[j];
                        size_t cost = tolower((unsigned char) a[i - 1]) != tolower((unsigned char) b[j - 1]);
                        size_t best = diag + cost;

                        if (up + 1 < best)
                                best = up + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        diag = up;
                }
        }
        return row[lb];
}

/* Parses a run of decimal digits at *p into *ret, advancing *p. Returns -EINVAL if there is no digit,
 * -ERANGE on overflow. */
static int parse_digits(const char **p, uint64_t *ret) {
        const char *s = *p;
        uint64_t v = 0;

        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        for (; isdigit((unsigned char) *s); s++) {
                unsigned d = (unsigned) (*s - '0');

                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *p = s;
        *ret = v;
        return 0;
}

/* Parses "N" or "N.F" at *p and scales it by unit (given in the smallest unit); digits of F that
 * fall below the smallest unit are dropped. If read_unit is given, it reads the unit after the number.
 * Advances *p. */
static int parse_scaled(const char **p, uint64_t unit, const char *(*read_unit)(const char *, uint64_t *),
                        uint64_t *ret) {
        const char *s = *p;
        uint64_t whole, frac_num = 0, frac_den = 1, frac;
        int r;

        r = parse_digits(&s, &whole);
        if (r < 0)
                return r;
        if (*s == '.') {
                s++;
                if (!isdigit((unsigned char) *s))
                        return -EINVAL;
                for (; isdigit((unsigned char) *s); s++)
                        if (frac_den < 1000000000000000000ULL) { /* 18 digits are plenty */
                                frac_num = frac_num * 10 + (uint64_t) (*s - '0');
                                frac_den *= 10;
                        }
        }
        if (read_unit) {
                s = read_unit(s, &unit);
                if (!s)
                        return -EINVAL;
        }
        if (unit != 0 && whole > UINT64_MAX / unit)
                return -ERANGE;
        frac = (uint64_t) ((unsigned __int128) frac_num * unit / frac_den);
        if (whole * unit > UINT64_MAX - frac)
                return -ERANGE;
        *p = s;
        *ret = whole * unit + frac;
        return 0;
}

static const char *read_duration_unit(const char *s, uint64_t *unit) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                /* Longer suffixes first, so "ms" is not read as "m" followed by garbage. */
                { "usec", 1 },
                { "us", 1 },
                { "msec", USEC_PER_MSEC },
                { "ms", USEC_PER_MSEC },
                { "sec", USEC_PER_SEC },
                { "s", USEC_PER_SEC },
                { "min", USEC_PER_MINUTE },
                { "m", USEC_PER_MINUTE },
                { "h", USEC_PER_HOUR },
                { "d", USEC_PER_DAY },
        };

        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                size_t n = strlen(units[i].suffix);

                if (strncmp(s, units[i].suffix, n) == 0 && !isalpha((unsigned char) s[n])) {
                        *unit = units[i].usec;
                        return s + n;
                }
        }
        return NULL;
}

static const char *read_size_unit(const char *s, uint64_t *unit) {
        static const char prefixes[] = "KMGT";
        const char *p = strchr(prefixes, toupper((unsigned char) *s));

        *unit = 1;
        if (*s && p) {
                *unit = 1ULL << (10 * (p - prefixes + 1));
                s++;
                if (*s == 'i')
                        s++;
        }
        if (*s == 'B' || *s == 'b')
                s++;
        return s;
}

/* ---- value parsers shared with tests ---- */

int parse_duration(const char *s, uint64_t *ret_usec) {
        uint64_t total = 0;
        int r;

        if (!s || !*s)
                return -EINVAL;

        /* A bare number is seconds. */
        if (strspn(s, "0123456789.") == strlen(s)) {
                const char *p = s;
                uint64_t v;

                r = parse_scaled(&p, USEC_PER_SEC, /* read_unit = */ NULL, &v);
                if (r < 0)
                        return r;
                if (*p)
                        return -EINVAL;
                *ret_usec = v;
                return 0;
        }

        for (const char *p = s; *p;) {
                uint64_t v;

                r = parse_scaled(&p, 1, read_duration_unit, &v);
                if (r < 0)
                        return r;
                if (total > UINT64_MAX - v)
                        return -ERANGE;
                total += v;
                while (*p == ' ')
                        p++;
        }
        if (total == USEC_INFINITY)
                return -ERANGE;
        *ret_usec = total;
        return 0;
}

int parse_size(const char *s, uint64_t *ret_bytes) {
        const char *p = s;
        uint64_t v;
        int r;

        if (!s || !*s)
                return -EINVAL;
        r = parse_scaled(&p, 1, read_size_unit, &v);
        if (r < 0)
                return r;
        if (*p)
                return -EINVAL;
        *ret_bytes = v;
        return 0;
}

int parse_boolean(const char *s, bool *ret) {
        static const char *const yes[] = { "true", "yes", "on", "1" };
        static const char *const no[] = { "false", "no", "off", "0" };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcaseeq(s, yes[i])) {
                        *ret = true;
                        return 0;
                }
                if (strcaseeq(s, no[i])) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

int parse_cpu_quota(const char *s, uint64_t *ret_percent) {
        size_t n = s ? strlen(s) : 0;
        const char *p = s;
        uint64_t v;
        int r;

        if (n == 0)
                return -EINVAL;
        if (s[n - 1] == '%') {
                r = parse_digits(&p, &v);
                if (r < 0)
                        return r;
                if (p != s + n - 1)
                        return -EINVAL;
        } else {
                const char *dot = strchr(s, '.');

                /* A number of CPUs; percent must come out whole, so at most two decimals. */
                if (dot && strlen(dot + 1) > 2)
                        return -EINVAL;
                r = parse_scaled(&p, 100, /* read_unit = */ NULL, &v);
                if (r < 0)
                        return r;
                if (*p)
                        return -EINVAL;
        }
        if (v == 0)
                return -EINVAL;
        *ret_percent = v;
        return 0;
}

/* ---- messages ---- */

static size_t node_line(const yaml_node_t *node) {
        return node ? node->start_mark.line + 1 : 1;
}

static const char *node_kind(const yaml_node_t *node) {
        switch (node->type) {
        case YAML_SEQUENCE_NODE:
                return "a list";
        case YAML_MAPPING_NODE:
                return "a mapping";
        default:
                return "a single value";
        }
}

/* Stores "FILE:LINE: message" in ctx->error. Returns -EINVAL, or -ENOMEM if that failed. */
_printf_(3, 4) static int parse_error(ParseContext *ctx, size_t line, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        free(ctx->error);
        ctx->error = NULL;
        if (asprintf(&ctx->error, "%s:%zu: %s", ctx->filename, line, msg) < 0) {
                ctx->error = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

/* "FILE:LINE: invalid value 'V' for Section.Key: why" */
static int value_error(ParseContext *ctx, const yaml_node_t *node, const char *value, const char *why) {
        return parse_error(ctx, node_line(node), "invalid value '%s' for %s.%s: %s", value,
                           ctx->key->section, ctx->key->name, why);
}

static bool node_is_null(const yaml_node_t *node) {
        const char *v = (const char *) node->data.scalar.value;

        if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                return false;
        return streq(v, "") || streq(v, "~") || strcaseeq(v, "null");
}

/* The scalar text of node in *ret ("" for a YAML null); an error if node is a list or mapping. */
static int node_scalar(ParseContext *ctx, yaml_node_t *node, const char **ret) {
        const char *v = (const char *) node->data.scalar.value;

        if (node->type != YAML_SCALAR_NODE)
                return parse_error(ctx, node_line(node), "%s.%s expects a single value, not %s",
                                   ctx->key->section, ctx->key->name, node_kind(node));
        if (strlen(v) != node->data.scalar.length)
                return parse_error(ctx, node_line(node), "value of %s.%s contains a NUL byte",
                                   ctx->key->section, ctx->key->name);
        *ret = node_is_null(node) ? "" : v;
        return 0;
}

static int node_scalar_nonempty(ParseContext *ctx, yaml_node_t *node, const char **ret) {
        const char *v = NULL;
        int r;

        r = node_scalar(ctx, node, &v);
        if (r < 0)
                return r;
        if (!*v)
                return parse_error(ctx, node_line(node), "%s.%s needs a value", ctx->key->section,
                                   ctx->key->name);
        *ret = v;
        return 0;
}

/* ---- table parsers: one per value shape ---- */

static int value_parse_string(ParseContext *ctx, yaml_node_t *node, void *field) {
        const char *v = NULL;
        int r;

        r = node_scalar_nonempty(ctx, node, &v);
        if (r < 0)
                return r;
        return free_and_strdup(field, v);
}

/* Like value_parse_string(), but an empty value unsets the setting. */
static int value_parse_string_optional(ParseContext *ctx, yaml_node_t *node, void *field) {
        const char *v = NULL;
        int r;

        r = node_scalar(ctx, node, &v);
        if (r < 0)
                return r;
        return free_and_strdup(field, *v ? v : NULL);
}

static int value_parse_path(ParseContext *ctx, yaml_node_t *node, void *field) {
        const char *v = NULL;
        int r;

        r = node_scalar_nonempty(ctx, node, &v);
        if (r < 0)
                return r;
        if (!path_is_absolute(v))
                return value_error(ctx, node, v, "must be an absolute path");
        return free_and_strdup(field, v);
}

static int value_parse_path_optional(ParseContext *ctx, yaml_node_t *node, void *field) {
        const char *v = NULL;
        int r;

        r = node_scalar(ctx, node, &v);
        if (r < 0)
                return r;
        if (*v && !path_is_absolute(v))
                return value_error(ctx, node, v, "must be an absolute path");
        return free_and_strdup(field, *v ? v : NULL);
}

static int value_parse_bool(ParseContext *ctx, yaml_node_t *node, void *field) {
        const char *v = NULL;
        int r;

        r = node_scalar_nonempty(ctx, node, &v);
        if (r < 0)
                return r;
        r = parse_boolean(v, field);
        if (r < 0)
                return value_error(ctx, node, v, "expected true or false");
        return 0;
}

static int value_parse_uint64(ParseContext *ctx, yaml_node_t *node, void *field) {
        const char *v = NULL, *p;
        uint64_t u;
        int r;

        r = node_scalar_nonempty(ctx, node, &v);
        if (r < 0)
                return r;
        p = v;
        r = parse_digits(&p, &u);
        if (r == -ERANGE)
                return value_error(ctx, node, v, "number out of range");
        if (r < 0 || *p)
                return value_error(ctx, node, v, "expected a non-negative whole number");
        *(uint64_t *) field = u;
        return 0;
}

static int value_parse_unsigned(ParseContext *ctx, yaml_node_t *node, void *field) {
        uint64_t u = 0;
        int r;

        r = value_parse_uint64(ctx, node, &u);
        if (r < 0)
                return r;
        if (u > UINT_MAX)
                return value_error(ctx, node, (const char *) node->data.scalar.value,
                                   "number out of range");
        *(unsigned *) field = (unsigned) u;
        return 0;
}

static int value_parse_duration(ParseContext *ctx, yaml_node_t *node, void *field) {
        const char *v = NULL;
        int r;

        r = node_scalar_nonempty(ctx, node, &v);
        if (r < 0)
                return r;
        r = parse_duration(v, field);
        if (r == -ERANGE)
                return value_error(ctx, node, v, "duration out of range");
        if (r < 0)
                return value_error(ctx, node, v, "expected a duration such as 500ms, 5s, 1m15s, 12h or 2d");
        return 0;
}

static int value_parse_size(ParseContext *ctx, yaml_node_t *node, void *field) {
        const char *v = NULL;
        int r;

        r = node_scalar_nonempty(ctx, node, &v);
        if (r < 0)
                return r;
        r = parse_size(v, field);
        if (r == -ERANGE)
                return value_error(ctx, node, v, "size out of range");
        if (r < 0)
                return value_error(ctx, node, v, "expected a size such as 512M or 2G");
        return 0;
}

static int value_parse_cpu_quota(ParseContext *ctx, yaml_node_t *node, void *field) {
        const char *v = NULL;
        int r;

        r = node_scalar_nonempty(ctx, node, &v);
        if (r < 0)
                return r;
        r = parse_cpu_quota(v, field);
        if (r < 0)
                return value_error(ctx, node, v, "expected a percentage such as 150% or a number of CPUs "
                                                 "such as 1.5, greater than zero");
        return 0;
}

static int value_parse_load_factor(ParseContext *ctx, yaml_node_t *node, void *field) {
        const char *v = NULL;
        double d;
        int r;

        r = node_scalar_nonempty(ctx, node, &v);
        if (r < 0)
                return r;
        /* Only plain decimals: strtod() alone would also take "nan", "inf", hex and signs. */
        if (strspn(v, "0123456789.") != strlen(v) || !strpbrk(v, "0123456789") ||
            strchr(v, '.') != strrchr(v, '.'))
                return value_error(ctx, node, v, "expected a number between 0.0 and 1.0");
        d = strtod(v, NULL);
        if (d < 0.0 || d > 1.0)
                return value_error(ctx, node, v, "expected a number between 0.0 and 1.0");
        *(double *) field = d;
        return 0;
}

static bool host_char_ok(char c) {
        return isalnum((unsigned char) c) || c == '.' || c == '-' || c == '_';
}

/* Checks "HOST:PORT" or "[IPV6]:PORT". Returns NULL if fine, else what is wrong. */
static const char *listen_problem(const char *s) {
        const char *colon, *port;
        uint64_t u;

        if (s[0] == '[') {
                const char *close = strchr(s, ']');

                if (!close || close == s + 1)
                        return "expected [IPV6]:PORT";
                if (strspn(s + 1, "0123456789abcdefABCDEF:.%") != (size_t) (close - s - 1))
                        return "not an IPv6 address in brackets";
                if (close[1] != ':')
                        return "expected HOST:PORT";
                colon = close + 1;
        } else {
                colon = strrchr(s, ':');
                if (!colon)
                        return "expected HOST:PORT";
                if (colon == s)
                        return "missing host before the port";
                for (const char *h = s; h < colon; h++) {
                        if (*h == ':')
                                return "an IPv6 address must be written in brackets, e.g. [::1]:3939";
                        if (!host_char_ok(*h))
                                return "invalid character in host";
                }
        }
        port = colon + 1;
        if (parse_digits(&port, &u) < 0 || *port)
                return "the port must be a number from 1 to 65535";
        if (u < 1 || u > 65535)
                return "the port must be a number from 1 to 65535";
        return NULL;
}

static int value_parse_listen(ParseContext *ctx, yaml_node_t *node, void *field) {
        const char *v = NULL, *problem;
        int r;

        r = node_scalar_nonempty(ctx, node, &v);
        if (r < 0)
                return r;
        problem = listen_problem(v);
        if (problem)
                return value_error(ctx, node, v, problem);
        return free_and_strdup(field, v);
}

static int value_parse_address(ParseContext *ctx, yaml_node_t *node, void *field) {
        const char *v = NULL, *rest = NULL;
        int r;

        r = node_scalar_nonempty(ctx, node, &v);
        if (r < 0)
                return r;
        if (strncasecmp(v, "http://", 7) == 0)
                rest = v + 7;
        else if (strncasecmp(v, "https://", 8) == 0)
                rest = v + 8;
        if (!rest || !*rest || *rest == '/')
                return value_error(ctx, node, v, "must be a URL starting with http:// or https://");
        return free_and_strdup(field, v);
}

static int value_parse_run_as(ParseContext *ctx, yaml_node_t *node, void *field) {
        const char *v = NULL;
        int r;

        r = node_scalar_nonempty(ctx, node, &v);
        if (r < 0)
                return r;
        if (streq(v, "root"))
                return value_error(ctx, node, v, "content must not run as root");
        return free_and_strdup(field, v);
}

static int value_parse_pam_service(ParseContext *ctx, yaml_node_t *node, void *field) {
        const char *v = NULL;
        int r;

        r = node_scalar_nonempty(ctx, node, &v);
        if (r < 0)
                return r;
        if (strchr(v, '/') || streq(v, ".") || streq(v, ".."))
                return value_error(ctx, node, v, "must be a PAM service name (a file in /etc/pam.d)");
        return free_and_strdup(field, v);
}

static int value_parse_version_matching(ParseContext *ctx, yaml_node_t *node, void *field) {
        static const char *const modes[] = { "nearest", "major-minor", "exact" };
        const char *v = NULL;
        int r;

        r = node_scalar_nonempty(ctx, node, &v);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(modes); i++)
                if (strcaseeq(v, modes[i]))
                        return free_and_strdup(field, modes[i]);
        return value_error(ctx, node, v, "expected nearest, major-minor or exact");
}

static int value_parse_python_enabled(ParseContext *ctx, yaml_node_t *node, void *field) {
        int r;

        r = value_parse_bool(ctx, node, field);
        if (r < 0)
                return r;
        ctx->config->python_enabled_set = true;
        return 0;
}

/* Checks one item of a list; returns NULL if fine, else what is wrong. */
typedef const char *(*ItemCheck)(const char *item);

static const char *item_check_path(const char *item) {
        return path_is_absolute(item) ? NULL : "must be an absolute path";
}

static const char *item_check_env_name(const char *item) {
        if (!isalpha((unsigned char) item[0]) && item[0] != '_')
                return "not an environment variable name";
        for (const char *p = item; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '_')
                        return "not an environment variable name";
        return NULL;
}

static int parse_list_item(ParseContext *ctx, yaml_node_t *item, ItemCheck check, char ***list) {
        const char *v = NULL, *problem;
        int r;

        if (item->type != YAML_SCALAR_NODE)
                return parse_error(ctx, node_line(item), "each item of %s.%s must be a single value, not %s",
                                   ctx->key->section, ctx->key->name, node_kind(item));
        r = node_scalar_nonempty(ctx, item, &v);
        if (r < 0)
                return r;
        problem = check(v);
        if (problem)
                return value_error(ctx, item, v, problem);
        return strv_extend(list, v);
}

/* A YAML list of values, or one value as a one-element list. */
static int parse_list(ParseContext *ctx, yaml_node_t *node, ItemCheck check, char ***field) {
        _cleanup_strv_free_ char **list = NULL;
        int r;

        if (node->type == YAML_MAPPING_NODE)
                return parse_error(ctx, node_line(node), "%s.%s expects a value or a list, not a mapping",
                                   ctx->key->section, ctx->key->name);
        if (node->type == YAML_SCALAR_NODE) {
                r = parse_list_item(ctx, node, check, &list);
                if (r < 0)
                        return r;
        }
        for (yaml_node_item_t *i = node->type == YAML_SEQUENCE_NODE ? node->data.sequence.items.start : NULL;
             i && i < node->data.sequence.items.top; i++) {
                r = parse_list_item(ctx, yaml_document_get_node(ctx->document, *i), check, &list);
                if (r < 0)
                        return r;
        }
        strv_free(*field);
        *field = TAKE_PTR(list);
        return 0;
}

static int value_parse_path_list(ParseContext *ctx, yaml_node_t *node, void *field) {
        return parse_list(ctx, node, item_check_path, field);
}

static int value_parse_env_list(ParseContext *ctx, yaml_node_t *node, void *field) {
        return parse_list(ctx, node, item_check_env_name, field);
}

/* Server.RVersion: one R executable, an alias of a one-element R.Executable. */
static int value_parse_r_version(ParseContext *ctx, yaml_node_t *node, void *field) {
        const char *v = NULL;
        int r;

        r = node_scalar(ctx, node, &v);
        if (r < 0)
                return r;
        return parse_list(ctx, node, item_check_path, field);
}

static void repositories_free(RRepository *repos, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(repos[i].name);
                free(repos[i].url);
        }
        free(repos);
}

static int repositories_add(RRepository **repos, size_t *n, const char *name, const char *url) {
        RRepository *grown;

        grown = reallocarray(*repos, *n + 1, sizeof(RRepository));
        if (!grown)
                return -ENOMEM;
        *repos = grown;
        grown[*n] = (RRepository) { .name = strdup(name), .url = strdup(url) };
        (*n)++;
        if (!grown[*n - 1].name || !grown[*n - 1].url)
                return -ENOMEM;
        return 0;
}

/* R.Repositories: a mapping of repository name to URL. Replaces the whole set. */
static int value_parse_repositories(ParseContext *ctx, yaml_node_t *node, void *field) {
        Config *c = ctx->config;
        RRepository *repos = NULL;
        size_t n = 0;
        int r = 0;

        if (node->type == YAML_SCALAR_NODE && node_is_null(node))
                goto done;
        if (node->type != YAML_MAPPING_NODE)
                return parse_error(ctx, node_line(node),
                                   "R.Repositories expects a mapping of name to URL, not %s",
                                   node_kind(node));

        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
                yaml_node_t *k = yaml_document_get_node(ctx->document, p->key);
                yaml_node_t *v = yaml_document_get_node(ctx->document, p->value);
                const char *name = NULL, *url = NULL;

                r = node_scalar_nonempty(ctx, k, &name);
                if (r < 0)
                        break;
                r = node_scalar_nonempty(ctx, v, &url);
                if (r < 0)
                        break;
                for (yaml_node_pair_t *q = node->data.mapping.pairs.start; q < p; q++) {
                        yaml_node_t *earlier = yaml_document_get_node(ctx->document, q->key);

                        if (strcaseeq((const char *) earlier->data.scalar.value, name))
                                r = parse_error(ctx, node_line(k),
                                                "duplicate repository '%s' in R.Repositories "
                                                "(first given at line %zu)",
                                                name, node_line(earlier));
                }
                if (r < 0)
                        break;
                if (!strstr(url, "://")) {
                        r = value_error(ctx, v, url, "must be a URL such as https://cran.r-project.org");
                        break;
                }
                r = repositories_add(&repos, &n, name, url);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                repositories_free(repos, n);
                return r;
        }
done:
        repositories_free(c->r_repositories, c->n_r_repositories);
        *(RRepository **) field = repos;
        c->n_r_repositories = n;
        return 0;
}

/* ---- the tables ---- */

static const char *const config_sections[] = {
        "Server", "SQLite", "Applications", "PAM", "Scheduler", "R", "Python",
};

#define KEY(sec, key, parser, member) { sec, key, value_parse_##parser, offsetof(Config, member) }

/* One row per key: adding a setting is adding a row (and a field, a default, a line of the man page). */
static const ConfigKey config_keys[] = {
        KEY("Server", "Address", address, server_address),
        KEY("Server", "Listen", listen, server_listen),
        KEY("Server", "DataDir", path, data_dir),
        KEY("Server", "TempDir", path, temp_dir),
        KEY("Server", "SocketPath", path, socket_path),
        KEY("Server", "RVersion", r_version, r_executables),

        KEY("SQLite", "Dir", path, sqlite_dir),

        KEY("Applications", "RunAs", run_as, run_as),
        KEY("Applications", "RunAsGroup", string_optional, run_as_group),
        KEY("Applications", "RunAsCurrentUser", bool, run_as_current_user),
        KEY("Applications", "HomeMounting", bool, home_mounting),
        KEY("Applications", "Supervisor", string_optional, supervisor),
        KEY("Applications", "RConfigActive", string, r_config_active),
        KEY("Applications", "Pandoc1Dir", path_optional, pandoc1_dir),
        KEY("Applications", "Pandoc2Dir", path_optional, pandoc2_dir),
        KEY("Applications", "ProhibitedEnvironment", env_list, prohibited_environment),
        KEY("Applications", "MemoryMax", size, memory_max),
        KEY("Applications", "CPUQuota", cpu_quota, cpu_quota_percent),
        KEY("Applications", "TasksMax", uint64, tasks_max),
        KEY("Applications", "RenderingRetention", unsigned, rendering_retention),

        KEY("PAM", "Service", pam_service, pam_service),
        KEY("PAM", "UseSession", bool, pam_use_session),
        KEY("PAM", "SessionService", pam_service, pam_session_service),
        KEY("PAM", "ForwardPassword", bool, pam_forward_password),
        KEY("PAM", "PasswordLifetime", duration, pam_password_lifetime_usec),
        KEY("PAM", "AuthenticatedSessionService", pam_service, pam_authenticated_session_service),

        KEY("Scheduler", "MinProcesses", unsigned, scheduler.min_processes),
        KEY("Scheduler", "MaxProcesses", unsigned, scheduler.max_processes),
        KEY("Scheduler", "MaxConnsPerProcess", unsigned, scheduler.max_conns_per_process),
        KEY("Scheduler", "LoadFactor", load_factor, scheduler.load_factor),
        KEY("Scheduler", "InitTimeout", duration, scheduler.init_timeout_usec),
        KEY("Scheduler", "IdleTimeout", duration, scheduler.idle_timeout_usec),
        KEY("Scheduler", "ConnectionTimeout", duration, scheduler.connection_timeout_usec),
        KEY("Scheduler", "ReadTimeout", duration, scheduler.read_timeout_usec),
        KEY("Scheduler", "MinProcessesLimit", unsigned, scheduler.min_processes_limit),
        KEY("Scheduler", "MaxProcessesLimit", unsigned, scheduler.max_processes_limit),
        KEY("Scheduler", "MaxStartingUnits", unsigned, scheduler.max_starting_units),

        KEY("R", "Executable", path_list, r_executables),
        KEY("R", "VersionMatching", version_matching, r_version_matching),
        KEY("R", "Repositories", repositories, r_repositories),

        KEY("Python", "Enabled", python_enabled, python_enabled),
        KEY("Python", "Executable", path_list, python_executables),
        KEY("Python", "PackageIndex", string_optional, python_package_index),
};

#undef KEY

static ssize_t section_index(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(config_sections); i++)
                if (strcaseeq(config_sections[i], name))
                        return (ssize_t) i;
        return -1;
}

/* The row of section.name (canonical spelling, case-insensitive), or -1. */
static ssize_t key_index(const char *section, const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (strcaseeq(config_keys[i].section, section) && strcaseeq(config_keys[i].name, name))
                        return (ssize_t) i;
        return -1;
}

static const char *closest_section(const char *name) {
        const char *best = config_sections[0];
        size_t best_d = SIZE_MAX;

        for (size_t i = 0; i < ELEMENTSOF(config_sections); i++) {
                size_t d = edit_distance(name, config_sections[i]);
                if (d < best_d) {
                        best_d = d;
                        best = config_sections[i];
                }
        }
        return best;
}

static const char *closest_key(const char *section, const char *name) {
        const char *best = NULL;
        size_t best_d = SIZE_MAX;

        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++) {
                size_t d;

                if (!streq(config_keys[i].section, section))
                        continue;
                d = edit_distance(name, config_keys[i].name);
                if (d < best_d) {
                        best_d = d;
                        best = config_keys[i].name;
                }
        }
        return best;
}

/* The first section, other than section, that has a key called name; NULL if none. */
static const char *section_of_key(const char *name, const char *except) {
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (!streq(config_keys[i].section, except) && strcaseeq(config_keys[i].name, name))
                        return config_keys[i].section;
        return NULL;
}

/* ---- walking the document ---- */

static int unknown_key_error(ParseContext *ctx, const char *section, yaml_node_t *key_node) {
        const char *name = (const char *) key_node->data.scalar.value;
        const char *home = section_of_key(name, section);

        if (home)
                return parse_error(ctx, node_line(key_node),
                                   "key '%s' belongs in section '%s', not '%s'", name,
                                   home, section);
        return parse_error(ctx, node_line(key_node),
                           "unknown key '%s' in section '%s'; did you mean '%s'?", name,
                           section, closest_key(section, name));
}

static int parse_key(ParseContext *ctx, const char *section, yaml_node_t *key_node, yaml_node_t *value) {
        const char *name;
        ssize_t i;

        if (key_node->type != YAML_SCALAR_NODE)
                return parse_error(ctx, node_line(key_node),
                                   "key names in section '%s' must be plain words, not %s",
                                   section, node_kind(key_node));
        name = (const char *) key_node->data.scalar.value;
        i = key_index(section, name);
        if (i < 0)
                return unknown_key_error(ctx, section, key_node);
        if (ctx->key_lines[i] > 0)
                return parse_error(ctx, node_line(key_node),
                                   "duplicate key '%s' in section '%s' (first set at line %zu)",
                                   name, section, ctx->key_lines[i]);
        ctx->key_lines[i] = node_line(key_node);
        ctx->key = &config_keys[i];
        return config_keys[i].parse(ctx, value, (uint8_t *) ctx->config + config_keys[i].offset);
}

static int parse_section(ParseContext *ctx, yaml_node_t *key_node, yaml_node_t *value) {
        const char *name, *owner, *section;
        ssize_t s;
        int r;

        if (key_node->type != YAML_SCALAR_NODE)
                return parse_error(ctx, node_line(key_node), "section names must be plain words, not %s",
                                   node_kind(key_node));
        name = (const char *) key_node->data.scalar.value;
        s = section_index(name);
        if (s < 0) {
                owner = section_of_key(name, "");
                if (owner)
                        return parse_error(ctx, node_line(key_node),
                                           "'%s' is a key, not a section; it belongs in section '%s'",
                                           name, owner);
                return parse_error(ctx, node_line(key_node),
                                   "unknown section '%s'; did you mean '%s'?", name,
                                   closest_section(name));
        }
        section = config_sections[s];
        if (ctx->section_lines[s] > 0)
                return parse_error(ctx, node_line(key_node),
                                   "duplicate section '%s' (first given at line %zu)",
                                   section, ctx->section_lines[s]);
        ctx->section_lines[s] = node_line(key_node);

        if (node_is_null(value))
                return 0;
        if (value->type != YAML_MAPPING_NODE)
                return parse_error(ctx, node_line(value),
                                   "section '%s' must be a mapping of keys, not %s", section,
                                   node_kind(value));
        for (yaml_node_pair_t *p = value->data.mapping.pairs.start; p < value->data.mapping.pairs.top; p++) {
                r = parse_key(ctx, section, yaml_document_get_node(ctx->document, p->key),
                              yaml_document_get_node(ctx->document, p->value));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_root(ParseContext *ctx, yaml_node_t *root) {
        int r;

        if (!root || node_is_null(root))
                return 0; /* an empty file: all defaults */
        if (root->type != YAML_MAPPING_NODE)
                return parse_error(ctx, node_line(root),
                                   "the file must be a mapping of sections (e.g. 'Server:'), not %s",
                                   node_kind(root));
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
                r = parse_section(ctx, yaml_document_get_node(ctx->document, p->key),
                                  yaml_document_get_node(ctx->document, p->value));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Maps a libyaml failure to errno, with a message carrying libyaml's line and problem. */
static int yaml_error(ParseContext *ctx, const yaml_parser_t *parser) {
        if (parser->error == YAML_MEMORY_ERROR)
                return -ENOMEM;
        if (parser->context && parser->context_mark.line != parser->problem_mark.line)
                return parse_error(ctx, parser->problem_mark.line + 1,
                                   "YAML syntax error: %s %s started at line %zu",
                                   parser->problem ?: "unknown problem", parser->context,
                                   parser->context_mark.line + 1);
        if (parser->context)
                return parse_error(ctx, parser->problem_mark.line + 1, "YAML syntax error: %s %s",
                                   parser->problem ?: "unknown problem", parser->context);
        return parse_error(ctx, parser->problem_mark.line + 1, "YAML syntax error: %s",
                           parser->problem ?: "unknown problem");
}

/* ---- after the whole file: derived defaults and cross-checks ---- */

static size_t key_line(const ParseContext *ctx, const char *section, const char *name) {
        ssize_t i = key_index(section, name);
        return i >= 0 ? ctx->key_lines[i] : 0;
}

/* The line to blame for a rule over keys a and b (b may be NULL) of section: the later of them that
 * the file set, else the section header, else line 1. */
static size_t rule_line(const ParseContext *ctx, const char *section, const char *a, const char *b) {
        size_t la = key_line(ctx, section, a), lb = b ? key_line(ctx, section, b) : 0;
        size_t l = la > lb ? la : lb;
        ssize_t s = section_index(section);

        if (l == 0 && s >= 0)
                l = ctx->section_lines[s];
        return l > 0 ? l : 1;
}

static int check_scheduler(ParseContext *ctx) {
        const SchedulerSettings *s = &ctx->config->scheduler;

        if (s->max_processes < 1)
                return parse_error(ctx, rule_line(ctx, "Scheduler", "MaxProcesses", NULL),
                                   "Scheduler.MaxProcesses must be at least 1");
        if (s->max_conns_per_process < 1)
                return parse_error(ctx, rule_line(ctx, "Scheduler", "MaxConnsPerProcess", NULL),
                                   "Scheduler.MaxConnsPerProcess must be at least 1");
        if (s->max_starting_units < 1)
                return parse_error(ctx, rule_line(ctx, "Scheduler", "MaxStartingUnits", NULL),
                                   "Scheduler.MaxStartingUnits must be at least 1");
        if (s->min_processes > s->max_processes)
                return parse_error(ctx, rule_line(ctx, "Scheduler", "MinProcesses", "MaxProcesses"),
                                   "Scheduler.MinProcesses (%u) must not be greater than "
                                   "Scheduler.MaxProcesses (%u)",
                                   s->min_processes, s->max_processes);
        if (s->max_processes > s->max_processes_limit)
                return parse_error(ctx, rule_line(ctx, "Scheduler", "MaxProcesses", "MaxProcessesLimit"),
                                   "Scheduler.MaxProcesses (%u) must not be greater than "
                                   "Scheduler.MaxProcessesLimit (%u)",
                                   s->max_processes, s->max_processes_limit);
        if (s->min_processes > s->min_processes_limit)
                return parse_error(ctx, rule_line(ctx, "Scheduler", "MinProcesses", "MinProcessesLimit"),
                                   "Scheduler.MinProcesses (%u) must not be greater than "
                                   "Scheduler.MinProcessesLimit (%u)",
                                   s->min_processes, s->min_processes_limit);
        return 0;
}

static int check_aliases(ParseContext *ctx) {
        size_t alias = key_line(ctx, "Server", "RVersion"), exe = key_line(ctx, "R", "Executable");

        if (alias > 0 && exe > 0)
                return parse_error(ctx, alias > exe ? alias : exe,
                                   "Server.RVersion (line %zu) and R.Executable (line %zu) both set the R "
                                   "executables; keep only R.Executable",
                                   alias, exe);
        return 0;
}

static bool is_executable_file(const char *path) {
        struct stat st;

        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Whether an executable called name is in one of the absolute directories of $PATH. */
static int find_in_path(const char *name, bool *ret) {
        const char *path = getenv("PATH") ?: "/usr/local/bin:/usr/bin:/bin";
        _cleanup_free_ char *copy = strdup(path);
        char *save = NULL;
        int r;

        if (!copy)
                return -ENOMEM;
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *full = NULL;

                if (!path_is_absolute(dir))
                        continue;
                r = path_join(dir, name, &full);
                if (r < 0)
                        return r;
                if (is_executable_file(full)) {
                        *ret = true;
                        return 0;
                }
        }
        *ret = false;
        return 0;
}

static int detect_python(Config *c) {
        if (c->python_enabled_set)
                return 0;
        if (c->python_executables) {
                c->python_enabled = false;
                STRV_FOREACH(p, c->python_executables)
                        if (is_executable_file(*p))
                                c->python_enabled = true;
                return 0;
        }
        return find_in_path("python3", &c->python_enabled);
}

/* Fills in the defaults that depend on other settings. */
static int config_finish(Config *c) {
        int r;

        if (!c->sqlite_dir) {
                r = path_join(c->data_dir, "db", &c->sqlite_dir);
                if (r < 0)
                        return r;
        }
        return detect_python(c);
}

/* ---- Config lifetime ---- */

Config *config_free(Config *c) {
        if (!c)
                return NULL;
        free(c->path);
        free(c->server_address);
        free(c->server_listen);
        free(c->data_dir);
        free(c->temp_dir);
        free(c->socket_path);
        free(c->sqlite_dir);
        free(c->run_as);
        free(c->run_as_group);
        free(c->supervisor);
        free(c->r_config_active);
        free(c->pandoc1_dir);
        free(c->pandoc2_dir);
        strv_free(c->prohibited_environment);
        free(c->pam_service);
        free(c->pam_session_service);
        free(c->pam_authenticated_session_service);
        strv_free(c->r_executables);
        free(c->r_version_matching);
        repositories_free(c->r_repositories, c->n_r_repositories);
        strv_free(c->python_executables);
        free(c->python_package_index);
        free(c);
        return NULL;
}

/* A Config with the defaults that stand alone; config_finish() adds the derived ones. */
static int config_new_base(Config **ret) {
        _cleanup_(config_freep) Config *c = NULL;
        const char *tmp = secure_getenv("TMPDIR");
        const struct {
                size_t offset;
                const char *value;
        } strings[] = {
                { offsetof(Config, server_address), "http://127.0.0.1:3939/" },
                { offsetof(Config, server_listen), "127.0.0.1:3939" },
                { offsetof(Config, data_dir), "/var/lib/corral" },
                { offsetof(Config, temp_dir), path_is_absolute(tmp) ? tmp : "/tmp" },
                { offsetof(Config, socket_path), "/run/corral/corral.sock" },
                { offsetof(Config, run_as), "corral" },
                { offsetof(Config, r_config_active), "rsconnect" },
                { offsetof(Config, pam_service), "corral" },
                { offsetof(Config, pam_session_service), "corral-session" },
                { offsetof(Config, pam_authenticated_session_service), "corral-auth-session" },
                { offsetof(Config, r_version_matching), "nearest" },
        };
        int r;

        c = calloc(1, sizeof(Config));
        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
                r = free_and_strdup((char **) ((uint8_t *) c + strings[i].offset), strings[i].value);
                if (r < 0)
                        return r;
        }
        c->rendering_retention = 10;
        c->pam_password_lifetime_usec = 12 * USEC_PER_HOUR;
        c->scheduler = (SchedulerSettings) {
                .min_processes = 0,
                .max_processes = 3,
                .max_conns_per_process = 20,
                .load_factor = 0.5,
                .init_timeout_usec = 60 * USEC_PER_SEC,
                .idle_timeout_usec = 5 * USEC_PER_SEC,
                .connection_timeout_usec = 3600 * USEC_PER_SEC,
                .read_timeout_usec = 3600 * USEC_PER_SEC,
                .min_processes_limit = 20,
                .max_processes_limit = 20,
                .max_starting_units = 8,
        };
        *ret = TAKE_PTR(c);
        return 0;
}

int config_new_default(Config **ret) {
        _cleanup_(config_freep) Config *c = NULL;
        int r;

        r = config_new_base(&c);
        if (r < 0)
                return r;
        r = config_finish(c);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

/* Parses the first YAML document into ctx->config and makes sure no second one follows. */
static int parse_document(ParseContext *ctx, yaml_parser_t *parser) {
        _cleanup_(yaml_document_donep) yaml_document_t doc = {}, extra = {};
        int r;

        if (!yaml_parser_load(parser, &doc))
                return yaml_error(ctx, parser);
        ctx->document = &doc;
        r = parse_root(ctx, yaml_document_get_root_node(&doc));
        ctx->document = NULL;
        if (r < 0)
                return r;

        if (!yaml_parser_load(parser, &extra))
                return yaml_error(ctx, parser);
        if (yaml_document_get_root_node(&extra))
                return parse_error(ctx, extra.start_mark.line + 1,
                                   "more than one YAML document; corral.yaml holds exactly one");
        return 0;
}

static void yaml_event_donep(yaml_event_t *e) {
        yaml_event_delete(e);
}

/* Refuses text nested deeper than CONFIG_DEPTH_MAX, reading only as far as the limit. Syntax
 * errors are left to the loader, which reports them. */
static int check_depth(ParseContext *ctx, const char *text) {
        _cleanup_(yaml_parser_donep) yaml_parser_t parser = {};
        unsigned depth = 0;

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) text, strlen(text));
        for (;;) {
                _cleanup_(yaml_event_donep) yaml_event_t event = {};

                if (!yaml_parser_parse(&parser, &event))
                        return parser.error == YAML_MEMORY_ERROR ? -ENOMEM : 0;
                switch (event.type) {
                case YAML_STREAM_END_EVENT:
                        return 0;
                case YAML_SEQUENCE_START_EVENT:
                case YAML_MAPPING_START_EVENT:
                        if (++depth > CONFIG_DEPTH_MAX)
                                return parse_error(ctx, event.start_mark.line + 1,
                                                   "nested more than %u levels deep; corral.yaml needs 3",
                                                   CONFIG_DEPTH_MAX);
                        break;
                case YAML_SEQUENCE_END_EVENT:
                case YAML_MAPPING_END_EVENT:
                        depth--;
                        break;
                default:
                        break;
                }
        }
}

/* Reads text into ctx->config, checks the rules across keys, fills in derived defaults. */
static int parse_and_check(ParseContext *ctx, const char *text) {
        _cleanup_(yaml_parser_donep) yaml_parser_t parser = {};
        int r;

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) text, strlen(text));

        r = check_depth(ctx, text);
        if (r < 0)
                return r;
        r = parse_document(ctx, &parser);
        if (r < 0)
                return r;
        r = check_aliases(ctx);
        if (r < 0)
                return r;
        r = check_scheduler(ctx);
        if (r < 0)
                return r;
        return config_finish(ctx->config);
}

static int parse_text(const char *text, const char *filename, Config **ret, char **ret_error) {
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *error = NULL;
        size_t key_lines[ELEMENTSOF(config_keys)] = {}, section_lines[ELEMENTSOF(config_sections)] = {};
        ParseContext ctx = {
                .filename = filename,
                .key_lines = key_lines,
                .section_lines = section_lines,
        };
        int r;

        r = config_new_base(&c);
        if (r < 0)
                return r;
        ctx.config = c;

        r = parse_and_check(&ctx, text);
        error = TAKE_PTR(ctx.error);
        if (r < 0) {
                if (ret_error && r == -EINVAL)
                        *ret_error = TAKE_PTR(error);
                return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

int config_parse_string(const char *text, const char *filename, Config **ret, char **ret_error) {
        return parse_text(text, filename ?: "<string>", ret, ret_error);
}

int config_load(const char *path, Config **ret, char **ret_error) {
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t size;
        int r;

        /* A FIFO or a device would block or never end: only regular files are read. */
        if (stat(path, &st) >= 0 && !S_ISREG(st.st_mode)) {
                if (ret_error && asprintf(ret_error, "%s: cannot read configuration: %s", path,
                                          S_ISDIR(st.st_mode) ? "Is a directory" : "not a regular file") < 0)
                        *ret_error = NULL;
                return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
        }
        r = read_full_file(path, CONFIG_FILE_MAX, &text, &size);
        if (r < 0) {
                const char *why = r == -EFBIG ? "file too large" : strerror(-r);

                if (ret_error && r != -ENOMEM &&
                    asprintf(ret_error, "%s: cannot read configuration: %s", path, why) < 0)
                        *ret_error = NULL;
                return r;
        }
        if (strlen(text) != size) {
                if (ret_error && asprintf(ret_error, "%s: file contains a NUL byte", path) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }

        r = parse_text(text, path, &c, ret_error);
        if (r < 0)
                return r;
        c->path = strdup(path);
        if (!c->path)
                return -ENOMEM;
        *ret = TAKE_PTR(c);
        return 0;
}
