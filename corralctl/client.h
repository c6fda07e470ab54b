/* SPDX-License-Identifier: MIT */
#pragma once

/* The client side of corrald's JSON API (/__api__): HTTP over the local Unix socket (admin, no key)
 * or over TCP to a server URL with "Authorization: Key …". Knows nothing of the verbs.
 *
 * Every request function prints what went wrong for the user ("corralctl: <message>", the server's
 * {"error": …} or a connection failure naming the socket or URL) and returns a negative errno:
 * -ECONNREFUSED when corrald cannot be reached, -EACCES (401), -EPERM (403), -ENOENT (404),
 * -EEXIST (409), -EFBIG (413), -EINVAL (other 4xx), -EIO (5xx), -EBADMSG (a reply that is not JSON). */

#include <stdint.h>

#include <jansson.h>

#include "macro.h"

#define CTL_DEFAULT_SOCKET "/run/corral/corral.sock"

typedef struct CtlClient CtlClient;

/* Creates a client. With server_url (http[s]://host[:port][/prefix]) requests go over TCP and carry
 * api_key if that is non-NULL; else they go to socket_path (CTL_DEFAULT_SOCKET when NULL).
 * Strings are copied. Returns 0 and the client in *ret, or -ENOMEM. */
int ctl_client_new(const char *socket_path, const char *server_url, const char *api_key, CtlClient **ret);

/* Frees the client; accepts NULL; returns NULL. */
CtlClient *ctl_client_free(CtlClient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(CtlClient *, ctl_client_free);
#define _cleanup_client_ _cleanup_(ctl_client_freep)

/* Where requests go, for messages: the socket path or the server URL. Owned by the client. */
const char *ctl_client_endpoint(const CtlClient *c);

/* Sends method (GET, POST, …) to /__api__/<path> (path must be URL-escaped already) with body as
 * JSON if non-NULL. On a 2xx reply returns 0 and the parsed reply in *ret (json null for an
 * empty body; the caller owns it; ret may be NULL to drop it). */
int ctl_client_call(CtlClient *c, const char *method, const char *path, json_t *body, json_t **ret);
/* The same, printing nothing when it fails (for optional extras). */
int ctl_client_call_quiet(CtlClient *c, const char *method, const char *path, json_t *body, json_t **ret);

/* POSTs size bytes read from fd (from offset 0, with pread) to /__api__/<path> as
 * application/x-gzip. Returns as ctl_client_call(). */
int ctl_client_upload(CtlClient *c, const char *path, int fd, uint64_t size, json_t **ret);
