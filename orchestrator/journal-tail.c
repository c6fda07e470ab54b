/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-journal.h>

#include "journal-tail.h"
#include "strv.h"

struct JournalTail {
        sd_journal *j;
};

JournalTail *journal_tail_free(JournalTail *t) {
        if (!t)
                return NULL;
        sd_journal_close(t->j);
        free(t);
        return NULL;
}

static int open_matching(const char *match, sd_journal **ret) {
        sd_journal *j = NULL;
        int r;

        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return r;
        r = sd_journal_add_match(j, match, 0);
        if (r < 0) {
                sd_journal_close(j);
                return r;
        }
        *ret = j;
        return 0;
}

int journal_tail_new(const char *match, JournalTail **ret) {
        _cleanup_(journal_tail_freep) JournalTail *t = calloc(1, sizeof(JournalTail));
        int r;

        if (!t)
                return -ENOMEM;
        r = open_matching(match, &t->j);
        if (r < 0)
                return r;
        r = sd_journal_seek_head(t->j);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}

/* The MESSAGE of the current entry as a new string (NULL when it has none). */
static char *entry_message(sd_journal *j) {
        const void *data;
        size_t size;

        if (sd_journal_get_data(j, "MESSAGE", &data, &size) < 0 || size < 8)
                return NULL;
        return strndup((const char *) data + 8, size - 8);
}

int journal_tail_read(JournalTail *t, unsigned max, void (*fn)(const char *message, void *userdata), void *userdata) {
        unsigned n = 0;
        int r = 0;

        (void) sd_journal_process(t->j);
        while ((max == 0 || n < max) && (r = sd_journal_next(t->j)) > 0) {
                _cleanup_free_ char *msg = entry_message(t->j);
                if (msg)
                        fn(msg, userdata);
                n++;
        }
        if (r < 0)
                return r;
        return (int) n;
}

int journal_last_messages(const char *match, unsigned n, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(n + 1, sizeof(char *));
        sd_journal *j = NULL;
        unsigned k = 0;
        int r;

        if (!l)
                return -ENOMEM;
        r = open_matching(match, &j);
        if (r < 0)
                return r;
        r = sd_journal_seek_tail(j);
        /* Backwards from the end, filling l from its end. */
        while (r >= 0 && k < n && (r = sd_journal_previous(j)) > 0) {
                char *msg = entry_message(j);
                if (msg)
                        l[n - 1 - k++] = msg;
        }
        sd_journal_close(j);
        if (r < 0)
                return r;
        if (k < n) {
                memmove(l, l + (n - k), sizeof(char *) * k);
                memset(l + k, 0, sizeof(char *) * (n - k));
        }
        *ret = TAKE_PTR(l);
        return 0;
}
