/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

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

/* Whether stderr is connected to the journal (systemd sets JOURNAL_STREAM to its device:inode):
 * then a "<N>" prefix carries each line's priority; on a terminal or in a file it would be noise. */
static bool stderr_is_journal(void) {
        static int cached = -1;
        if (cached < 0) {
                const char *e = getenv("JOURNAL_STREAM");
                unsigned long long dev, ino;
                struct stat st;
                cached = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
                         (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
        }
        return cached;
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
        char prefix[8] = "";
        if (stderr_is_journal())
                (void) snprintf(prefix, sizeof prefix, "<%d>", level);
        if (max_level >= LOG_LEVEL_DEBUG)
                (void) fprintf(stderr, "%s%s: %s\n", prefix, func, buf);
        else
                (void) fprintf(stderr, "%s%s\n", prefix, buf);
        errno = e;
        return -e;
}
