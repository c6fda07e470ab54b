/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "credcache.h"
#include "log.h"
#include "pam-auth.h"
#include "worker.h"

#define MAX_CREDENTIAL_LEN 4096U

void identity_done(Identity *i) {
        i->user = user_free(i->user);
}

bool identity_is_admin(const Identity *i) {
        return i->local || (i->user && i->user->role == USER_ROLE_ADMINISTRATOR);
}

bool identity_can_publish(const Identity *i) {
        return i->local || (i->user && i->user->role >= USER_ROLE_PUBLISHER);
}

const char *identity_name(const Identity *i) {
        return i->local ? "root" : i->user ? i->user->username : "";
}

void auth_hash_secret(const char *secret, char *hash) {
        unsigned char h[32];
        crypto_generichash(h, sizeof h, (const unsigned char *) secret, strlen(secret), NULL, 0);
        sodium_bin2hex(hash, 65, h, sizeof h);
}

int auth_new_secret(char *buf, char *hash) {
        unsigned char b[32];
        if (sodium_init() < 0)
                return -EIO;
        randombytes_buf(b, sizeof b);
        sodium_bin2hex(buf, 65, b, sizeof b);
        sodium_memzero(b, sizeof b);
        auth_hash_secret(buf, hash);
        return 0;
}

/* The value of cookie name in a Cookie header, copied into buf; NULL if absent. */
static const char *cookie_value(const char *header, const char *name, char *buf, size_t size) {
        size_t n = strlen(name);
        for (const char *p = header; p && *p;) {
                while (*p == ' ' || *p == ';')
                        p++;
                size_t len = strcspn(p, ";");
                if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
                        size_t vlen = len - n - 1;
                        if (vlen >= size)
                                return NULL;
                        memcpy(buf, p + n + 1, vlen);
                        buf[vlen] = 0;
                        return buf;
                }
                p += len;
        }
        return NULL;
}

int auth_identify(Manager *m, HttpRequest *req, Identity *ret) {
        const char *authz = http_request_header(req, "Authorization");
        char hash[65], token[128];
        int r;

        *ret = (Identity) {};
        if (http_request_is_local(req)) {
                ret->local = true;
                return 0;
        }
        if (authz && strncasecmp(authz, "Key ", 4) == 0) {
                const char *key = authz + 4;
                while (*key == ' ')
                        key++;
                if (strlen(key) > MAX_CREDENTIAL_LEN)
                        return -EACCES;
                auth_hash_secret(key, hash);
                r = store_key_lookup(m->store, hash, &ret->user);
                if (r < 0)
                        return r == -ENOENT ? -EACCES : r;
                ret->by_key = true;
                return 0;
        }
        if (cookie_value(http_request_header(req, "Cookie"), SESSION_COOKIE_NAME, token, sizeof token)) {
                auth_hash_secret(token, hash);
                r = store_session_lookup(m->store, hash, (int64_t) time(NULL), &ret->user);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        return 0;
}

/* ---- login ---- */

typedef struct Login {
        HttpRequest *req;
        char *service;
        char *user;
        char *password;           /* sodium_malloc'd */
        int result;
        char *error;
} Login;

static void login_free(Login *l) {
        if (!l)
                return;
        free(l->service);
        free(l->user);
        if (l->password)
                sodium_free(l->password);
        free(l->error);
        free(l);
}

static void login_work(void *arg) {
        Login *l = arg;
        l->result = pam_check_password(l->service, l->user, l->password, &l->error);
}

static void respond_login(HttpRequest *req, int status, const char *message, const char *cookie) {
        _cleanup_free_ char *body = NULL, *set_cookie = NULL;
        json_t *o = json_pack("{s:b, s:s}", "ok", status == 200, "message", message);
        body = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (cookie && asprintf(&set_cookie, "Set-Cookie: %s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%d",
                               SESSION_COOKIE_NAME, cookie, SESSION_LIFETIME_SEC) < 0)
                set_cookie = NULL;
        char *headers[] = { set_cookie, NULL };
        (void) http_request_respond(req, status, "application/json", body ? body : "{}", body ? strlen(body) : 2,
                                    set_cookie ? headers : NULL);
}

static void login_done(Manager *m, void *arg) {
        Login *l = arg;
        _cleanup_(user_freep) User *u = NULL;
        char token[65], hash[65];
        int r;

        if (l->result < 0) {
                log_notice("Login of '%s' refused: %s", l->user, l->error ? l->error : strerror(-l->result));
                respond_login(l->req, 401, "Login failed: wrong user name or password, or the account may not log in.",
                              NULL);
                login_free(l);
                return;
        }
        r = store_user_ensure(m->store, l->user, USER_ROLE_VIEWER, &u);
        if (r >= 0)
                r = auth_new_secret(token, hash);
        if (r >= 0)
                r = store_session_create(m->store, hash, u->id, (int64_t) time(NULL) + SESSION_LIFETIME_SEC);
        if (r >= 0)
                (void) store_user_touch_login(m->store, u->id);
        if (r >= 0 && m->config->pam_forward_password && m->credcache)
                r = credcache_put(m->credcache, l->user, l->password);
        if (r < 0) {
                log_error_errno(r, "Failed to open a session for '%s': %m", l->user);
                respond_login(l->req, 500, "Login succeeded, but no session could be opened.", NULL);
        } else {
                log_info("'%s' logged in.", l->user);
                respond_login(l->req, 200, "Logged in.", token);
        }
        sodium_memzero(token, sizeof token);
        login_free(l);
}

/* Reads username and password from a JSON or form body into l. */
static int parse_login(HttpRequest *req, Login *l) {
        const char *type = http_request_header(req, "Content-Type");
        size_t size;
        const char *body = http_request_body(req, &size);
        _cleanup_free_ char *copy = NULL;

        if (!body || size == 0 || size > 2 * MAX_CREDENTIAL_LEN)
                return -EINVAL;
        if (type && strncasecmp(type, "application/json", 16) == 0) {
                json_t *o = json_loadb(body, size, 0, NULL);
                const char *u = json_string_value(json_object_get(o, "username"));
                const char *p = json_string_value(json_object_get(o, "password"));
                if (u && p && strlen(u) < 256 && strlen(p) < MAX_CREDENTIAL_LEN) {
                        l->user = strdup(u);
                        l->password = sodium_malloc(strlen(p) + 1);
                        if (l->password)
                                strcpy(l->password, p);
                }
                json_decref(o);
                return l->user && l->password ? 0 : -EINVAL;
        }
        /* application/x-www-form-urlencoded */
        copy = strndup(body, size);
        if (!copy)
                return -ENOMEM;
        for (char *save = NULL, *kv = strtok_r(copy, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
                char *eq = strchr(kv, '=');
                _cleanup_free_ char *value = NULL;
                if (!eq)
                        continue;
                *eq = 0;
                for (char *c = eq + 1; *c; c++)
                        if (*c == '+')
                                *c = ' ';
                if (http_url_decode(eq + 1, &value) < 0)
                        return -EINVAL;
                if (streq(kv, "username") && !l->user)
                        l->user = TAKE_PTR(value);
                else if (streq(kv, "password") && !l->password) {
                        l->password = sodium_malloc(strlen(value) + 1);
                        if (l->password)
                                strcpy(l->password, value);
                        sodium_memzero(value, strlen(value));
                }
        }
        sodium_memzero(copy, size);
        return l->user && l->password && *l->user ? 0 : -EINVAL;
}

static bool username_is_sane(const char *u) {
        size_t n = strlen(u);
        return n > 0 && n < 256 && u[0] != '-' &&
               strspn(u, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@") == n;
}

void auth_handle_login(Manager *m, HttpRequest *req) {
        static const char form[] =
                "<!DOCTYPE html><html><head><title>Log in to Corral</title></head><body><h1>Log in</h1>"
                "<form method=\"post\" action=\"/__login__\"><p><label>User name <input name=\"username\" "
                "autocomplete=\"username\"></label></p><p><label>Password <input name=\"password\" type=\"password\" "
                "autocomplete=\"current-password\"></label></p><p><button>Log in</button></p></form></body></html>\n";
        Login *l;
        int r;

        if (streq(http_request_method(req), "GET") || streq(http_request_method(req), "HEAD")) {
                (void) http_request_respond(req, 200, "text/html; charset=utf-8", form, sizeof form - 1, NULL);
                return;
        }
        if (!streq(http_request_method(req), "POST")) {
                (void) http_request_respond_error(req, 405, "Log in with GET (a form) or POST.");
                return;
        }
        l = calloc(1, sizeof *l);
        if (!l) {
                (void) http_request_respond_error(req, 500, "Out of memory.");
                return;
        }
        l->req = req;
        r = parse_login(req, l);
        if (r < 0 || !username_is_sane(l->user)) {
                respond_login(req, 400, "Send 'username' and 'password', as a form or as JSON.", NULL);
                login_free(l);
                return;
        }
        l->service = strdup(m->config->pam_service);
        if (!l->service) {
                login_free(l);
                (void) http_request_respond_error(req, 500, "Out of memory.");
                return;
        }
        r = worker_run(m, login_work, login_done, l);
        if (r < 0) {
                respond_login(req, 503, "Too many logins at once; try again.", NULL);
                login_free(l);
        }
}

void auth_handle_logout(Manager *m, HttpRequest *req) {
        char token[128], hash[65];
        Identity id = {};
        static char *clear[] = { (char *) "Set-Cookie: " SESSION_COOKIE_NAME "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
                                 NULL };

        if (auth_identify(m, req, &id) >= 0 && id.user && m->credcache)
                credcache_drop(m->credcache, id.user->username);
        if (cookie_value(http_request_header(req, "Cookie"), SESSION_COOKIE_NAME, token, sizeof token)) {
                auth_hash_secret(token, hash);
                (void) store_session_delete(m->store, hash);
        }
        identity_done(&id);
        (void) http_request_respond(req, 200, "application/json", "{\"ok\":true}", 11, clear);
}
