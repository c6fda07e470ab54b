/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-journal.h>

#include "macro.h"
#include "unit-journal.h"

static uint64_t now_usec(void) {
        struct timespec ts;
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static int scan(sd_journal *j, const char *needle, char **ret) {
        unsigned seen = 0;
        int r;

        r = sd_journal_seek_tail(j);
        if (r < 0)
                return r;
        while (seen++ < 200 && (r = sd_journal_previous(j)) > 0) {
                const void *data;
                size_t len;
                if (sd_journal_get_data(j, "MESSAGE", &data, &len) < 0 || len <= 8)
                        continue;
                const char *msg = (const char *) data + 8; /* after "MESSAGE=" */
                size_t mlen = len - 8;
                if (!memmem(msg, mlen, needle, strlen(needle)))
                        continue;
                *ret = strndup(msg, mlen);
                return *ret ? 0 : -ENOMEM;
        }
        return r < 0 ? r : -ENOENT;
}

int unit_journal_find(const char *unit, const char *needle, uint64_t wait_usec, char **ret) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        _cleanup_free_ char *m1 = NULL, *m2 = NULL;
        uint64_t deadline = now_usec() + wait_usec;
        int r;

        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return r;
        if (asprintf(&m1, "UNIT=%s", unit) < 0 || asprintf(&m2, "_SYSTEMD_UNIT=%s", unit) < 0)
                return -ENOMEM;
        r = sd_journal_add_match(j, m1, 0);
        if (r >= 0)
                r = sd_journal_add_disjunction(j);
        if (r >= 0)
                r = sd_journal_add_match(j, m2, 0);
        if (r < 0)
                return r;
        for (;;) {
                r = scan(j, needle, ret);
                if (r != -ENOENT)
                        return r;
                uint64_t now = now_usec();
                if (now >= deadline)
                        return -ENOENT;
                r = sd_journal_wait(j, deadline - now);
                if (r < 0)
                        return r;
        }
}
