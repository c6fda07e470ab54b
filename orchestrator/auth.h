/* SPDX-License-Identifier: MIT */
#pragma once

/* Who is asking (spec §13): root on the local socket, a user by API key (`Authorization: Key …`)
 * or by login session cookie, or an anonymous visitor; and the login/logout endpoints that make
 * sessions from PAM logins. Secrets are compared and stored only as BLAKE2b hashes. */

#include <stdbool.h>

#include "http-server.h"
#include "manager.h"
#include "store-users.h"

#define SESSION_COOKIE_NAME "corral_session"
#define SESSION_LIFETIME_SEC (8 * 3600)

typedef struct Identity {
        bool local;               /* root on the local socket: an administrator */
        User *user;               /* by key or session; NULL for anonymous (and local) */
        bool by_key;
} Identity;

void identity_done(Identity *i);
bool identity_is_admin(const Identity *i);
/* Whether the identity may publish (publisher or administrator). */
bool identity_can_publish(const Identity *i);
/* The user name for messages and records ("root" for local, "" for anonymous). */
const char *identity_name(const Identity *i);

/* Identifies the requester. A request presenting an invalid API key gets -EACCES (the caller
 * answers 401); an invalid or expired cookie just means anonymous. */
int auth_identify(Manager *m, HttpRequest *req, Identity *ret);

/* Makes a new secret (64 hex characters) in buf (size ≥ 65) and its hash in hash (size ≥ 65). */
int auth_new_secret(char *buf, char *hash);
/* The hex BLAKE2b-256 hash of secret in hash (size ≥ 65). */
void auth_hash_secret(const char *secret, char *hash);

/* GET /__login__ (a form), POST /__login__ (form or JSON: username, password). */
void auth_handle_login(Manager *m, HttpRequest *req);
/* /__logout__: ends the session (and drops a forwarded password). */
void auth_handle_logout(Manager *m, HttpRequest *req);
