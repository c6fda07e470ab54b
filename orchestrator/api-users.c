/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api-reply.h"
#include "api-users.h"
#include "log.h"
#include "store-users.h"

static json_t *body_object(HttpRequest *req) {
        size_t size;
        const void *body = http_request_body(req, &size);
        json_t *o = body && size > 0 ? json_loadb(body, size, JSON_REJECT_DUPLICATES, NULL) : NULL;
        if (!json_is_object(o)) {
                json_decref(o);
                api_reply_error(req, 400, "request body must be a JSON object");
                return NULL;
        }
        return o;
}

static const char *query_username(HttpRequest *req, char *buf, size_t size) {
        const char *q = http_request_query(req);
        const char *p = q ? strstr(q, "username=") : NULL;
        if (!p || (p != q && p[-1] != '&'))
                return NULL;
        p += strlen("username=");
        size_t n = strcspn(p, "&");
        if (n == 0 || n >= size)
                return NULL;
        memcpy(buf, p, n);
        buf[n] = 0;
        return buf;
}

static bool username_ok(const char *u) {
        size_t n = u ? strlen(u) : 0;
        return n > 0 && n < 256 && u[0] != '-' &&
               strspn(u, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@") == n;
}

static void users(Manager *m, HttpRequest *req, const char *method, char **seg, size_t n) {
        json_t *body, *rows = NULL;
        int r;

        if (n == 1 && streq(method, "GET")) {
                r = store_query_json(m->store, "SELECT id, username, role, created, last_login FROM users ORDER BY username",
                                     NULL, &rows);
                return r < 0 ? api_reply_error(req, 500, "cannot list users") : api_reply_json(req, 200, rows);
        }
        if ((n == 1 && streq(method, "POST")) || (n == 2 && streq(method, "PATCH"))) {
                _cleanup_(user_freep) User *u = NULL;
                body = body_object(req);
                if (!body)
                        return;
                const char *name = n == 2 ? seg[1] : json_string_value(json_object_get(body, "username"));
                const char *role_s = json_string_value(json_object_get(body, "role"));
                UserRole role = role_s ? user_role_from_string(role_s) : USER_ROLE_VIEWER;
                if (!username_ok(name) || role < 0) {
                        json_decref(body);
                        return api_reply_error(req, 400, "give a valid 'username' and a 'role' of viewer, publisher or "
                                                     "administrator");
                }
                r = n == 2 ? store_user_set_role(m->store, name, role) : store_user_ensure(m->store, name, role, &u);
                if (r >= 0 && n == 1 && u->role != role)
                        r = store_user_set_role(m->store, name, role);
                if (r >= 0)
                        log_info("User '%s' is %s.", name, user_role_to_string(role));
                /* name may point into body: answer before letting it go. */
                if (r == -ENOENT)
                        api_reply_error(req, 404, "no such user");
                else if (r < 0)
                        api_reply_error(req, 500, "cannot store the user");
                else
                        api_reply_json(req, 200, json_pack("{s:s, s:s}", "username", name, "role",
                                                           user_role_to_string(role)));
                json_decref(body);
                return;
        }
        api_reply_error(req, 404, "no such users endpoint");
}

/* Whose keys a request is about: the caller's own, or (administrators) anyone's. Answers the
 * request itself when it fails. */
static int key_owner_lookup(Manager *m, HttpRequest *req, const Identity *id, const char *requested, User **ret);

static int key_owner(Manager *m, HttpRequest *req, const Identity *id, const char *requested, User **ret) {
        int r = key_owner_lookup(m, req, id, requested, ret);
        if (r == -ENOENT)
                api_reply_error(req, 404, "no such user");
        else if (r < 0 && r != -EINVAL && r != -EPERM)
                api_reply_error(req, 500, "cannot read the user");
        return r;
}

static int key_owner_lookup(Manager *m, HttpRequest *req, const Identity *id, const char *requested, User **ret) {
        if (!requested || (id->user && streq(requested, id->user->username))) {
                if (!id->user) {
                        api_reply_error(req, 400, "root on the local socket has no keys: name a 'username'");
                        return -EINVAL;
                }
                return store_user_get(m->store, id->user->username, ret);
        }
        if (!identity_is_admin(id)) {
                api_reply_error(req, 403, "only administrators manage other users' keys");
                return -EPERM;
        }
        if (!username_ok(requested)) {
                api_reply_error(req, 400, "invalid user name");
                return -EINVAL;
        }
        /* An administrator may make a key for an account that has not logged in yet. */
        return store_user_ensure(m->store, requested, USER_ROLE_VIEWER, ret);
}

static void keys(Manager *m, HttpRequest *req, const Identity *id, const char *method, char **seg, size_t n) {
        _cleanup_(user_freep) User *owner = NULL;
        char buf[256], uid[32];
        json_t *body = NULL, *rows = NULL;
        int r;

        if (n == 1 && streq(method, "POST")) {
                char key[65], hash[65];
                int64_t key_id;
                body = body_object(req);
                if (!body)
                        return;
                const char *name = json_string_value(json_object_get(body, "name"));
                r = key_owner(m, req, id, json_string_value(json_object_get(body, "username")), &owner);
                if (r < 0) {
                        json_decref(body);
                        return;
                }
                if (owner->role < USER_ROLE_PUBLISHER) {
                        json_decref(body);
                        return api_reply_error(req, 403, "API keys are for publishers and administrators: give the user one of those roles first");
                }
                r = auth_new_secret(key, hash);
                if (r >= 0)
                        r = store_key_create(m->store, owner->id, name && *name ? name : "key", hash, &key_id);
                json_decref(body);
                if (r < 0)
                        return api_reply_error(req, 500, "cannot store the key");
                log_info("New API key %lld for '%s'.", (long long) key_id, owner->username);
                api_reply_json(req, 200, json_pack("{s:I, s:s, s:s}", "id", (json_int_t) key_id, "username", owner->username,
                                          "key", key));
                explicit_bzero(key, sizeof key);
                return;
        }
        r = key_owner(m, req, id, query_username(req, buf, sizeof buf), &owner);
        if (r < 0)
                return;
        (void) snprintf(uid, sizeof uid, "%lld", (long long) owner->id);
        const char *params[] = { uid, NULL };
        if (n == 1 && streq(method, "GET")) {
                r = store_query_json(m->store, "SELECT id, name, created FROM api_keys WHERE user_id = ? ORDER BY id",
                                     params, &rows);
                return r < 0 ? api_reply_error(req, 500, "cannot list keys") : api_reply_json(req, 200, rows);
        }
        if (n == 2 && streq(method, "DELETE")) {
                char *end = NULL;
                long long kid = strtoll(seg[1], &end, 10);
                if (!end || *end || kid <= 0)
                        return api_reply_error(req, 400, "give the key's numeric id");
                r = store_key_delete(m->store, owner->username, kid);
                if (r == -ENOENT)
                        return api_reply_error(req, 404, "no such key");
                if (r < 0)
                        return api_reply_error(req, 500, "cannot delete the key");
                return api_reply_json(req, 200, json_pack("{s:b}", "deleted", true));
        }
        api_reply_error(req, 404, "no such keys endpoint");
}

void api_users_handle(Manager *m, HttpRequest *req, const Identity *id, char **seg, size_t n) {
        const char *method = http_request_method(req);

        if (streq(seg[0], "keys"))
                return keys(m, req, id, method, seg, n);
        if (!identity_is_admin(id))
                return api_reply_error(req, 403, "only administrators manage users");
        users(m, req, method, seg, n);
}
