/* SPDX-License-Identifier: MIT */
#pragma once

/* Reading what systemd logged about one unit (blocking: run it on a worker). */

#include <stdint.h>

/* Finds the newest journal message about unit (UNIT= or _SYSTEMD_UNIT=) that contains needle,
 * waiting up to wait_usec for it to arrive. The message in *ret; -ENOENT if none came. */
int unit_journal_find(const char *unit, const char *needle, uint64_t wait_usec, char **ret);
