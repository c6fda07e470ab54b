/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl-util.h"

#define SLUG_MAX 64

int ctl_error_errno(int error, const char *fmt, ...) {
        int e = error < 0 ? -error : error;
        va_list ap;

        (void) fflush(stdout);
        (void) fputs("corralctl: ", stderr);
        errno = e;
        va_start(ap, fmt);
        (void) vfprintf(stderr, fmt, ap);
        va_end(ap);
        (void) fputc('\n', stderr);
        return e > 0 ? -e : -EIO;
}

void ctl_notice(const char *fmt, ...) {
        va_list ap;

        (void) fflush(stdout);
        (void) fputs("corralctl: ", stderr);
        va_start(ap, fmt);
        (void) vfprintf(stderr, fmt, ap);
        va_end(ap);
        (void) fputc('\n', stderr);
}

static bool ascii_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int ctl_slugify(const char *s, char **ret) {
        _cleanup_free_ char *slug = NULL;
        size_t n = 0;
        bool dash = false;

        slug = malloc(SLUG_MAX + 1);
        if (!slug)
                return -ENOMEM;

        for (const char *p = s; *p && n < SLUG_MAX; p++) {
                if (!ascii_alnum(*p)) {
                        dash = n > 0;
                        continue;
                }
                if (dash) {
                        /* A dash only goes in if a character can follow it. */
                        if (n + 2 > SLUG_MAX)
                                break;
                        slug[n++] = '-';
                        dash = false;
                }
                slug[n++] = (*p >= 'A' && *p <= 'Z') ? (char) (*p - 'A' + 'a') : *p;
        }
        slug[n] = '\0';

        if (n == 0) {
                free(slug);
                slug = strdup("content");
                if (!slug)
                        return -ENOMEM;
        }

        *ret = TAKE_PTR(slug);
        return 0;
}

int ctl_url_escape(const char *s, char **ret) {
        static const char hex[] = "0123456789ABCDEF";
        _cleanup_free_ char *e = NULL;
        size_t n = 0;

        e = malloc(strlen(s) * 3 + 1);
        if (!e)
                return -ENOMEM;

        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (ascii_alnum((char) *p) || strchr("-._~", *p)) {
                        e[n++] = (char) *p;
                        continue;
                }
                e[n++] = '%';
                e[n++] = hex[*p >> 4];
                e[n++] = hex[*p & 0xf];
        }
        e[n] = '\0';

        *ret = TAKE_PTR(e);
        return 0;
}

bool ctl_endswith(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);

        return a >= b && streq(s + a - b, suffix);
}

int ctl_bundle_basename(const char *path, char **ret) {
        _cleanup_free_ char *copy = NULL;
        char *base;
        size_t n;

        copy = strdup(path);
        if (!copy)
                return -ENOMEM;

        n = strlen(copy);
        while (n > 1 && copy[n - 1] == '/')
                copy[--n] = '\0';

        base = strrchr(copy, '/');
        base = base && base[1] ? base + 1 : copy;

        if (ctl_endswith(base, ".tar.gz"))
                base[strlen(base) - strlen(".tar.gz")] = '\0';
        else if (ctl_endswith(base, ".tgz"))
                base[strlen(base) - strlen(".tgz")] = '\0';

        base = strdup(base);
        if (!base)
                return -ENOMEM;

        *ret = base;
        return 0;
}

int ctl_json_to_cell(const json_t *v, char **ret) {
        char *s;

        if (!v || json_is_null(v))
                s = strdup("-");
        else if (json_is_string(v))
                s = strdup(json_string_value(v));
        else
                s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!s)
                return -ENOMEM;

        for (char *p = s; *p; p++)
                if ((unsigned char) *p < ' ' || *p == 0x7f)
                        *p = '?';

        *ret = s;
        return 0;
}
