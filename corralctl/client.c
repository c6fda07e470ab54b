/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "client.h"
#include "ctl-util.h"

/* A reply larger than this is not something corrald sends; stop reading rather than eat memory. */
#define REPLY_MAX ((size_t) 64 * 1024 * 1024)
#define CONNECT_TIMEOUT_SEC 10L

struct CtlClient {
        char *socket_path;   /* NULL with server_url */
        char *server_url;    /* without trailing '/' */
        char *api_key;
        bool quiet;          /* during ctl_client_call_quiet(): failures are not printed */
};

typedef struct Reply {
        char *data;
        size_t size;
        bool too_big;
} Reply;

typedef struct Upload {
        int fd;
        uint64_t offset;
        uint64_t size;
} Upload;

DEFINE_TRIVIAL_CLEANUP_FUNC(CURL *, curl_easy_cleanup);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct curl_slist *, curl_slist_free_all);

static void curl_init_once(void) {
        static bool done = false;

        if (!done) {
                (void) curl_global_init(CURL_GLOBAL_DEFAULT);
                done = true;
        }
}

int ctl_client_new(const char *socket_path, const char *server_url, const char *api_key, CtlClient **ret) {
        _cleanup_(ctl_client_freep) CtlClient *c = NULL;

        c = calloc(1, sizeof(CtlClient));
        if (!c)
                return -ENOMEM;

        if (server_url) {
                size_t n;

                c->server_url = strdup(server_url);
                if (!c->server_url)
                        return -ENOMEM;
                n = strlen(c->server_url);
                while (n > 0 && c->server_url[n - 1] == '/')
                        c->server_url[--n] = '\0';
                if (api_key) {
                        c->api_key = strdup(api_key);
                        if (!c->api_key)
                                return -ENOMEM;
                }
        } else {
                c->socket_path = strdup(socket_path ?: CTL_DEFAULT_SOCKET);
                if (!c->socket_path)
                        return -ENOMEM;
        }

        curl_init_once();
        *ret = TAKE_PTR(c);
        return 0;
}

CtlClient *ctl_client_free(CtlClient *c) {
        if (!c)
                return NULL;
        free(c->socket_path);
        free(c->server_url);
        if (c->api_key) {
                explicit_bzero(c->api_key, strlen(c->api_key));
                free(c->api_key);
        }
        free(c);
        return NULL;
}

const char *ctl_client_endpoint(const CtlClient *c) {
        return c->server_url ?: c->socket_path;
}

static size_t reply_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
        Reply *reply = userdata;
        size_t n = size * nmemb;
        char *d;

        if (n > REPLY_MAX - reply->size) {
                reply->too_big = true;
                return 0;
        }
        d = realloc(reply->data, reply->size + n + 1);
        if (!d)
                return 0;
        memcpy(d + reply->size, ptr, n);
        reply->size += n;
        d[reply->size] = '\0';
        reply->data = d;
        return n;
}

static size_t upload_read(char *buffer, size_t size, size_t nitems, void *userdata) {
        Upload *u = userdata;
        size_t want = size * nitems;
        ssize_t n;

        if (u->offset >= u->size)
                return 0;
        if (want > u->size - u->offset)
                want = (size_t) (u->size - u->offset);

        n = pread(u->fd, buffer, want, (off_t) u->offset);
        if (n < 0)
                return CURL_READFUNC_ABORT;
        if (n == 0)    /* The file shrank under us. */
                return CURL_READFUNC_ABORT;
        u->offset += (uint64_t) n;
        return (size_t) n;
}

static int http_status_to_errno(long status) {
        switch (status) {
        case 401: return -EACCES;
        case 403: return -EPERM;
        case 404: return -ENOENT;
        case 409: return -EEXIST;
        case 413: return -EFBIG;
        default:  return status >= 500 ? -EIO : -EINVAL;
        }
}

static int report_transport_error(const CtlClient *c, CURLcode code, long os_errno, const char *errbuf) {
        const char *what = *errbuf ? errbuf : curl_easy_strerror(code);

        if (c->quiet)
                return -EIO;
        switch (code) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_OPERATION_TIMEDOUT:
                if (c->socket_path && os_errno == EACCES)
                        return ctl_error_errno(-EACCES,
                                               "Cannot connect to corrald at '%s': %m. "
                                               "Run as root, or use --server URL with CORRAL_API_KEY.",
                                               c->socket_path);
                if (c->socket_path)
                        return ctl_error_errno(-ECONNREFUSED,
                                               "Cannot connect to corrald at '%s': %s. Is corrald running?",
                                               c->socket_path, os_errno > 0 ? strerror((int) os_errno) : what);
                return ctl_error_errno(-ECONNREFUSED,
                                       "Cannot connect to corrald at '%s': %s. Is corrald running there?",
                                       c->server_url, what);
        case CURLE_WRITE_ERROR:
                return ctl_error_errno(-EFBIG, "Reply from corrald at '%s' too large or out of memory.",
                                       ctl_client_endpoint(c));
        default:
                return ctl_error_errno(-EIO, "Request to corrald at '%s' failed: %s",
                                       ctl_client_endpoint(c), what);
        }
}

static int report_api_error(const CtlClient *c, long status, const Reply *reply) {
        _cleanup_json_ json_t *j = NULL;
        const char *msg = NULL;
        int r = http_status_to_errno(status);

        if (c->quiet)
                return r;

        if (reply->data)
                j = json_loadb(reply->data, reply->size, 0, NULL);
        if (j && json_is_object(j))
                msg = json_string_value(json_object_get(j, "error"));

        if (!msg)
                return ctl_error_errno(r, "corrald answered HTTP %ld.", status);
        if (status == 401 && c->server_url && !c->api_key)
                return ctl_error_errno(r, "%s (no CORRAL_API_KEY set)", msg);
        return ctl_error_errno(r, "%s", msg);
}

/* Runs one request; body_json or upload (or neither) is the body. */
static int client_request(CtlClient *c, const char *method, const char *path, const char *body_json,
                          Upload *upload, json_t **ret) {
        _cleanup_(curl_easy_cleanupp) CURL *curl = NULL;
        _cleanup_(curl_slist_free_allp) struct curl_slist *headers = NULL;
        _cleanup_free_ char *url = NULL, *auth = NULL, *reply_data = NULL;
        char errbuf[CURL_ERROR_SIZE] = "";
        Reply reply = {};
        long status = 0, os_errno = 0;
        CURLcode code;
        json_t *j;
        int r;

        if (c->server_url)
                r = asprintf(&url, "%s/__api__/%s", c->server_url, path);
        else
                r = asprintf(&url, "http://localhost/__api__/%s", path);
        if (r < 0)
                return ctl_error_errno(-ENOMEM, "Out of memory.");

        curl = curl_easy_init();
        if (!curl)
                return ctl_error_errno(-ENOMEM, "Failed to initialize libcurl.");

        headers = curl_slist_append(headers, "Accept: application/json");
        /* No "100 Continue" round trip before an upload. */
        headers = curl_slist_append(headers, "Expect:");
        if (body_json)
                headers = curl_slist_append(headers, "Content-Type: application/json");
        if (upload)
                headers = curl_slist_append(headers, "Content-Type: application/x-gzip");
        if (c->api_key) {
                if (asprintf(&auth, "Authorization: Key %s", c->api_key) < 0)
                        return ctl_error_errno(-ENOMEM, "Out of memory.");
                headers = curl_slist_append(headers, auth);
                explicit_bzero(auth, strlen(auth));
        }
        if (!headers)
                return ctl_error_errno(-ENOMEM, "Out of memory.");

        (void) curl_easy_setopt(curl, CURLOPT_URL, url);
        if (c->socket_path)
                (void) curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
        (void) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        (void) curl_easy_setopt(curl, CURLOPT_USERAGENT, "corralctl/" CORRAL_VERSION_STRING);
        (void) curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
        (void) curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        (void) curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_SEC);
        (void) curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, reply_write);
        (void) curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
        (void) curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        (void) curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);

        if (body_json) {
                (void) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body_json);
                (void) curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(body_json));
        } else if (upload) {
                (void) curl_easy_setopt(curl, CURLOPT_POST, 1L);
                (void) curl_easy_setopt(curl, CURLOPT_READFUNCTION, upload_read);
                (void) curl_easy_setopt(curl, CURLOPT_READDATA, upload);
                (void) curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) upload->size);
        } else if (streq(method, "POST")) {
                (void) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
                (void) curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) 0);
        }

        code = curl_easy_perform(curl);
        reply_data = reply.data;
        (void) curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
        if (code != CURLE_OK)
                return report_transport_error(c, code, os_errno, errbuf);

        (void) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (status < 200 || status > 299)
                return report_api_error(c, status, &reply);

        if (reply.size == 0)
                j = json_null();
        else {
                json_error_t error;

                j = json_loadb(reply.data, reply.size, JSON_DECODE_ANY, &error);
                if (!j)
                        return ctl_error_errno(-EBADMSG, "Reply from corrald to %s %s is not JSON: %s",
                                               method, path, error.text);
        }

        if (ret)
                *ret = j;
        else
                json_decref(j);
        return 0;
}

int ctl_client_call(CtlClient *c, const char *method, const char *path, json_t *body, json_t **ret) {
        _cleanup_free_ char *s = NULL;

        if (body) {
                s = json_dumps(body, JSON_COMPACT);
                if (!s)
                        return ctl_error_errno(-ENOMEM, "Out of memory.");
        }
        return client_request(c, method, path, s, NULL, ret);
}

int ctl_client_call_quiet(CtlClient *c, const char *method, const char *path, json_t *body, json_t **ret) {
        c->quiet = true;
        int r = ctl_client_call(c, method, path, body, ret);
        c->quiet = false;
        return r;
}

int ctl_client_upload(CtlClient *c, const char *path, int fd, uint64_t size, json_t **ret) {
        Upload u = { .fd = fd, .size = size };

        return client_request(c, "POST", path, NULL, &u, ret);
}
