/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char * const *l) {
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

int strv_consume(char ***l, char *value) {
        size_t n = strv_length(*l);
        char **c;

        if (!value)
                return -ENOMEM;
        c = realloc(*l, sizeof(char *) * (n + 2));
        if (!c) {
                free(value);
                return -ENOMEM;
        }
        c[n] = value;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *value) {
        return strv_consume(l, strdup(value));
}

int strv_extendf(char ***l, const char *fmt, ...) {
        char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_consume(l, s);
}

int strv_extend_many(char ***l, ...) {
        va_list ap;
        int r = 0;

        va_start(ap, l);
        for (const char *v = va_arg(ap, const char *); v && r >= 0; v = va_arg(ap, const char *))
                r = strv_extend(l, v);
        va_end(ap);
        return r;
}

int strv_copy(char * const *l, char ***ret) {
        _cleanup_strv_free_ char **c = NULL;
        int r;

        if (!l) {
                *ret = NULL;
                return 0;
        }
        c = calloc(1, sizeof(char *));
        if (!c)
                return -ENOMEM;
        STRV_FOREACH(s, l) {
                r = strv_extend(&c, *s);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

bool strv_contains(char * const *l, const char *s) {
        STRV_FOREACH(i, l)
                if (strcmp(*i, s) == 0)
                        return true;
        return false;
}
