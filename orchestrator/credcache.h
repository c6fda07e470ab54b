/* SPDX-License-Identifier: MIT */
#pragma once

/* The forwarded-password cache (PAM.ForwardPassword): login passwords kept in memory only,
 * encrypted with a random key made at start (libsodium secretbox), in locked memory that is
 * never swapped or dumped, zeroed when PAM.PasswordLifetime passes or the user logs out. Never
 * written to disk, logs or the database. */

#include <stdint.h>

#include <systemd/sd-event.h>

typedef struct CredCache CredCache;

int credcache_new(sd_event *event, uint64_t lifetime_usec, CredCache **ret);
CredCache *credcache_free(CredCache *c);

/* Keeps password for user (replacing an older one) until the lifetime passes. */
int credcache_put(CredCache *c, const char *user, const char *password);
/* The password in *ret (locked memory: release with credcache_release()); -ENOKEY when none is
 * kept or it expired. */
int credcache_get(CredCache *c, const char *user, char **ret);
void credcache_release(char *password);
/* Forgets user's password (logout). */
void credcache_drop(CredCache *c, const char *user);
