/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ctl-util.h"
#include "pack.h"
#include "verbs.h"

#define TASK_POLL_INTERVAL_MSEC 250

static void sleep_msec(long msec) {
        struct timespec ts = { .tv_sec = msec / 1000, .tv_nsec = (msec % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Looks up existing content (by GUID or id) or creates new content; returns its JSON in *ret. */
static int deploy_get_content(CtlClient *c, const CtlArgs *args, json_t **ret) {
        _cleanup_free_ char *base = NULL, *name = NULL, *path = NULL, *guid = NULL;
        _cleanup_json_ json_t *body = NULL, *app = NULL;
        const char *title;
        int r;

        if (args->content) {
                r = ctl_url_escape(args->content, &guid);
                if (r < 0 || asprintf(&path, "applications/%s", guid) < 0)
                        return ctl_error_errno(-ENOMEM, "Out of memory.");
                r = ctl_client_call(c, "GET", path, NULL, &app);
                if (r < 0)
                        return r;
        } else {
                r = ctl_bundle_basename(args->args[1], &base);
                if (r < 0)
                        return ctl_error_errno(r, "Out of memory.");
                title = args->title ?: base;
                r = ctl_slugify(title, &name);
                if (r < 0)
                        return ctl_error_errno(r, "Out of memory.");
                body = json_pack("{s:s, s:s}", "name", name, "title", title);
                if (!body)
                        return ctl_error_errno(-ENOMEM, "Out of memory.");
                r = ctl_client_call(c, "POST", "applications", body, &app);
                if (r < 0)
                        return r;
        }

        if (!json_is_integer(json_object_get(app, "id")) || !json_is_string(json_object_get(app, "guid")))
                return ctl_error_errno(-EBADMSG, "Unexpected reply from corrald: content without id or guid.");

        *ret = TAKE_PTR(app);
        return 0;
}

/* Polls the task until it finishes, printing each new status line. Returns 0 if it succeeded. */
static int deploy_follow_task(CtlClient *c, const char *task_id) {
        _cleanup_free_ char *id = NULL;
        json_int_t first = 0;
        int r;

        r = ctl_url_escape(task_id, &id);
        if (r < 0)
                return ctl_error_errno(r, "Out of memory.");

        for (;;) {
                _cleanup_json_ json_t *task = NULL;
                _cleanup_free_ char *path = NULL;
                json_t *status, *line, *last;
                const char *error;
                json_int_t code;
                size_t i;

                if (asprintf(&path, "tasks/%s?first_status=%" JSON_INTEGER_FORMAT, id, first) < 0)
                        return ctl_error_errno(-ENOMEM, "Out of memory.");
                r = ctl_client_call(c, "GET", path, NULL, &task);
                if (r < 0)
                        return r;
                if (!json_is_object(task))
                        return ctl_error_errno(-EBADMSG, "Unexpected reply to GET %s: not an object.", path);

                status = json_object_get(task, "status");
                json_array_foreach(status, i, line)
                        if (json_is_string(line))
                                printf("%s\n", json_string_value(line));
                (void) fflush(stdout);

                last = json_object_get(task, "last_status");
                first = json_is_integer(last) ? json_integer_value(last) : first + (json_int_t) json_array_size(status);

                if (!json_is_true(json_object_get(task, "finished"))) {
                        sleep_msec(TASK_POLL_INTERVAL_MSEC);
                        continue;
                }

                code = json_integer_value(json_object_get(task, "code"));
                error = json_string_value(json_object_get(task, "error"));
                if (code == 0 && (!error || !*error))
                        return 0;
                if (error && *error)
                        return ctl_error_errno(-EIO, "Deploy failed: %s", error);
                return ctl_error_errno(-EIO, "Deploy failed with code %" JSON_INTEGER_FORMAT ".", code);
        }
}

/* A deploy that made new content and then failed removes that content again, so a refused
 * bundle leaves no empty item behind (best effort; an older corrald without DELETE keeps it). */
static int drop_new_content(CtlClient *c, const CtlArgs *args, json_int_t app_id, int r) {
        _cleanup_free_ char *path = NULL;

        if (r >= 0 || args->content)
                return r;
        if (asprintf(&path, "applications/%" JSON_INTEGER_FORMAT, app_id) >= 0)
                (void) ctl_client_call_quiet(c, "DELETE", path, NULL, NULL);
        return r;
}

int verb_deploy(CtlClient *c, const CtlArgs *args) {
        _cleanup_json_ json_t *app = NULL, *upload = NULL, *body = NULL, *task = NULL;
        _cleanup_free_ char *upload_path = NULL, *deploy_path = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *guid, *task_id;
        json_int_t app_id;
        json_t *bundle_id;
        uint64_t size;
        int r;

        /* The bundle first: a directory we cannot pack must not leave empty content behind. */
        r = pack_open_bundle(args->args[1], PACK_SIZE_MAX, &fd, &size);
        if (r < 0)
                return r;

        r = deploy_get_content(c, args, &app);
        if (r < 0)
                return r;
        app_id = json_integer_value(json_object_get(app, "id"));
        guid = json_string_value(json_object_get(app, "guid"));

        if (asprintf(&upload_path, "applications/%" JSON_INTEGER_FORMAT "/upload", app_id) < 0 ||
            asprintf(&deploy_path, "applications/%" JSON_INTEGER_FORMAT "/deploy", app_id) < 0)
                return ctl_error_errno(-ENOMEM, "Out of memory.");

        r = ctl_client_upload(c, upload_path, fd, size, &upload);
        if (r < 0)
                return drop_new_content(c, args, app_id, r);
        bundle_id = json_object_get(upload, "id");
        if (!json_is_integer(bundle_id))
                return ctl_error_errno(-EBADMSG, "Unexpected reply to the upload: no bundle id.");
        /* Progress goes to stderr: stdout is the task's log and the GUID, for scripts. */
        (void) fprintf(stderr, "Uploaded bundle %" JSON_INTEGER_FORMAT " (%" PRIu64 " bytes) to content %s.\n",
                       json_integer_value(bundle_id), size, guid);

        body = json_pack("{s:O}", "bundle", bundle_id);
        if (!body || (args->mode && json_object_set_new(body, "app_mode", json_string(args->mode)) < 0))
                return ctl_error_errno(-ENOMEM, "Out of memory.");
        r = ctl_client_call(c, "POST", deploy_path, body, &task);
        if (r < 0)
                return drop_new_content(c, args, app_id, r);
        task_id = json_string_value(json_object_get(task, "task_id")) ?: json_string_value(json_object_get(task, "id"));
        if (!task_id)
                return ctl_error_errno(-EBADMSG, "Unexpected reply to the deploy: no task id.");

        r = deploy_follow_task(c, task_id);
        if (r < 0)
                return drop_new_content(c, args, app_id, r);

        /* Last line, for scripts: GUID=$(corralctl deploy . | tail -n1). */
        printf("%s\n", guid);
        return fflush(stdout) == 0 ? 0 : -EIO;
}
