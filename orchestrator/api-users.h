/* SPDX-License-Identifier: MIT */
#pragma once

/* The API's users and keys (spec §13, administrators manage them; a user manages their own
 * keys):
 *   GET users, POST users {username, role}, PATCH users/NAME {role}
 *   GET keys[?username=], POST keys {name, username?} → {id, key} (the key is shown only here),
 *   DELETE keys/ID[?username=] */

#include <stddef.h>

#include "auth.h"
#include "http-server.h"
#include "manager.h"

void api_users_handle(Manager *m, HttpRequest *req, const Identity *id, char **seg, size_t n);
