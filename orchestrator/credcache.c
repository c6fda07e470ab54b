/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "credcache.h"
#include "macro.h"

#define PASSWORD_MAX 4096U

typedef struct Entry {
        struct Entry *next;
        char *user;
        unsigned char nonce[crypto_secretbox_NONCEBYTES];
        unsigned char *box;       /* sodium_malloc'd ciphertext */
        size_t box_len;
        sd_event_source *expiry;
        CredCache *cache;
} Entry;

struct CredCache {
        sd_event *event;
        uint64_t lifetime_usec;
        unsigned char *key;       /* sodium_malloc'd: locked, guarded */
        Entry *entries;
};

static void entry_free(Entry *e) {
        if (!e)
                return;
        sd_event_source_disable_unref(e->expiry);
        if (e->box)
                sodium_free(e->box); /* zeroes before freeing */
        free(e->user);
        free(e);
}

static void entry_unlink(CredCache *c, Entry *e) {
        for (Entry **i = &c->entries; *i; i = &(*i)->next)
                if (*i == e) {
                        *i = e->next;
                        return;
                }
}

int credcache_new(sd_event *event, uint64_t lifetime_usec, CredCache **ret) {
        CredCache *c;

        if (sodium_init() < 0)
                return -EIO;
        c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->key = sodium_malloc(crypto_secretbox_KEYBYTES);
        if (!c->key) {
                free(c);
                return -ENOMEM;
        }
        crypto_secretbox_keygen(c->key);
        (void) sodium_mprotect_noaccess(c->key);
        c->event = sd_event_ref(event);
        c->lifetime_usec = lifetime_usec;
        *ret = c;
        return 0;
}

CredCache *credcache_free(CredCache *c) {
        Entry *e;
        if (!c)
                return NULL;
        while ((e = c->entries)) {
                c->entries = e->next;
                entry_free(e);
        }
        sodium_free(c->key);
        sd_event_unref(c->event);
        free(c);
        return NULL;
}

static Entry *find(CredCache *c, const char *user) {
        for (Entry *e = c->entries; e; e = e->next)
                if (streq(e->user, user))
                        return e;
        return NULL;
}

void credcache_drop(CredCache *c, const char *user) {
        Entry *e = c ? find(c, user) : NULL;
        if (!e)
                return;
        entry_unlink(c, e);
        entry_free(e);
}

static int on_expiry(sd_event_source *s, uint64_t usec, void *userdata) {
        Entry *e = userdata;
        CredCache *c = e->cache;
        entry_unlink(c, e);
        entry_free(e);
        return 0;
}

int credcache_put(CredCache *c, const char *user, const char *password) {
        size_t len = strlen(password);
        Entry *e;
        int r;

        if (len == 0 || len > PASSWORD_MAX)
                return -EINVAL;
        credcache_drop(c, user);
        e = calloc(1, sizeof *e);
        if (!e)
                return -ENOMEM;
        e->cache = c;
        e->user = strdup(user);
        e->box_len = crypto_secretbox_MACBYTES + len;
        e->box = sodium_malloc(e->box_len);
        if (!e->user || !e->box) {
                entry_free(e);
                return -ENOMEM;
        }
        randombytes_buf(e->nonce, sizeof e->nonce);
        (void) sodium_mprotect_readonly(c->key);
        crypto_secretbox_easy(e->box, (const unsigned char *) password, len, e->nonce, c->key);
        (void) sodium_mprotect_noaccess(c->key);
        r = sd_event_add_time_relative(c->event, &e->expiry, CLOCK_MONOTONIC, c->lifetime_usec, 0, on_expiry, e);
        if (r < 0) {
                entry_free(e);
                return r;
        }
        e->next = c->entries;
        c->entries = e;
        return 0;
}

int credcache_get(CredCache *c, const char *user, char **ret) {
        Entry *e = c ? find(c, user) : NULL;
        char *p;
        int r;

        if (!e)
                return -ENOKEY;
        size_t len = e->box_len - crypto_secretbox_MACBYTES;
        p = sodium_malloc(len + 1);
        if (!p)
                return -ENOMEM;
        (void) sodium_mprotect_readonly(c->key);
        r = crypto_secretbox_open_easy((unsigned char *) p, e->box, e->box_len, e->nonce, c->key);
        (void) sodium_mprotect_noaccess(c->key);
        if (r != 0) {
                sodium_free(p);
                return -EBADMSG;
        }
        p[len] = 0;
        *ret = p;
        return 0;
}

void credcache_release(char *password) {
        if (password)
                sodium_free(password);
}
