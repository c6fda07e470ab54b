/* SPDX-License-Identifier: MIT */
#pragma once

/* Reading what content units wrote to the journal (spec §12), by one journal field match
 * (CORRAL_JOB_KEY=…, set by every unit's LogExtraFields=). Reads are non-blocking. */

#include "macro.h"

typedef struct JournalTail JournalTail;

/* Opens the local journal filtered by match ("FIELD=value"), positioned before its first entry. */
int journal_tail_new(const char *match, JournalTail **ret);
JournalTail *journal_tail_free(JournalTail *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(JournalTail *, journal_tail_free);

/* Calls fn with the MESSAGE of every entry not yet read (at most max per call; 0 = no limit).
 * Returns the number of messages, or negative errno. */
int journal_tail_read(JournalTail *t, unsigned max, void (*fn)(const char *message, void *userdata), void *userdata);

/* The last n MESSAGEs of entries matching match, oldest first, as a strv in *ret. */
int journal_last_messages(const char *match, unsigned n, char ***ret);
