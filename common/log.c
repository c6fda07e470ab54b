/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"

static int max_level = LOG_LEVEL_INFO;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

int log_level_from_string(const char *s) {
        static const struct { const char *name; int level; } table[] = {
                { "err", LOG_LEVEL_ERR }, { "error", LOG_LEVEL_ERR }, { "warning", LOG_LEVEL_WARNING },
                { "notice", LOG_LEVEL_NOTICE }, { "info", LOG_LEVEL_INFO }, { "debug", LOG_LEVEL_DEBUG },
        };
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcasecmp(table[i].name, s) == 0)
                        return table[i].level;
        return -EINVAL;
}

int log_internal(int level, int error, const char *func, const char *fmt, ...) {
        int e = error < 0 ? -error : error;
        va_list ap;

        if (level > max_level)
                return error < 0 ? error : -e;

        /* The "<N>" prefix lets journald pick up the priority when stderr is a journal stream. */
        char buf[4096];
        errno = e;
        va_start(ap, fmt);
        (void) vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (max_level >= LOG_LEVEL_DEBUG)
                (void) fprintf(stderr, "<%d>%s: %s\n", level, func, buf);
        else
                (void) fprintf(stderr, "<%d>%s\n", level, buf);
        errno = e;
        return -e;
}
