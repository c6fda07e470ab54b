/* SPDX-License-Identifier: MIT */
#pragma once

/* Users, login sessions, API keys and content access in the store (spec §4, §13). Secrets
 * (session tokens, API keys) are stored only as hashes made by the caller. */

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

typedef enum UserRole {
        USER_ROLE_VIEWER,
        USER_ROLE_PUBLISHER,
        USER_ROLE_ADMINISTRATOR,
        _USER_ROLE_MAX,
        _USER_ROLE_INVALID = -EINVAL,
} UserRole;

const char *user_role_to_string(UserRole r);
UserRole user_role_from_string(const char *s);

typedef struct User {
        int64_t id;
        char *username;
        UserRole role;
} User;

User *user_free(User *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(User *, user_free);

/* Finds the user, creating it with role when missing (a first PAM login). */
int store_user_ensure(Store *s, const char *username, UserRole role, User **ret);
/* -ENOENT when there is no such user. */
int store_user_get(Store *s, const char *username, User **ret);
int store_user_set_role(Store *s, const char *username, UserRole role);
int store_user_touch_login(Store *s, int64_t user_id);

/* Login sessions: token_hash → user until expires (Unix seconds). */
int store_session_create(Store *s, const char *token_hash, int64_t user_id, int64_t expires);
/* The user of a live session, -ENOENT when unknown or expired (expired ones are deleted). */
int store_session_lookup(Store *s, const char *token_hash, int64_t now, User **ret);
int store_session_delete(Store *s, const char *token_hash);

/* API keys: key_hash → user. */
int store_key_create(Store *s, int64_t user_id, const char *name, const char *key_hash, int64_t *ret_id);
int store_key_lookup(Store *s, const char *key_hash, User **ret);
/* Deletes key id of username (-ENOENT if none). */
int store_key_delete(Store *s, const char *username, int64_t id);

/* Content ownership and access ("all", "logged-in", "acl"). */
int store_content_set_owner(Store *s, int64_t content_id, int64_t user_id);
int store_content_set_access(Store *s, int64_t content_id, const char *access);
int store_content_set_run_as_current_user(Store *s, int64_t content_id, bool enabled);
/* The content's owner (0 = none), access, and current-user flag. */
int store_content_get_access(Store *s, int64_t content_id, int64_t *ret_owner, char **ret_access,
                             bool *ret_run_as_current_user);
/* The user's role on the content's ACL ("viewer", "collaborator") or NULL in *ret. */
int store_acl_get(Store *s, int64_t content_id, int64_t user_id, char **ret);
/* Sets (role non-NULL) or removes a user's ACL entry. */
int store_acl_set(Store *s, int64_t content_id, int64_t user_id, const char *role);
