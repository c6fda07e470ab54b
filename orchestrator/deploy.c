/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "deploy.h"
#include "fs-util.h"
#include "install.h"
#include "log.h"
#include "pool.h"
#include "render.h"
#include "runas.h"
#include "sandbox.h"
#include "unit-name.h"

int deploy_upload(Manager *m, int64_t content_id, const void *data, size_t size, int64_t *ret_bundle_id,
                  char **ret_error) {
        _cleanup_free_ char *dir = NULL, *parent = NULL;
        int64_t bundle_id;
        int r;

        r = store_bundle_create(m->store, content_id, (int64_t) size, &bundle_id);
        if (r < 0)
                return r;
        r = sandbox_app_dir(m->config, (uint64_t) content_id, (uint64_t) bundle_id, &dir);
        if (r >= 0 && asprintf(&parent, "%s/apps/%lld", m->config->data_dir, (long long) content_id) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = mkdir_p(parent, 0755);
        if (r >= 0)
                r = bundle_unpack(data, size, dir, ret_error);
        if (r >= 0)
                r = store_bundle_set_ready(m->store, bundle_id, true);
        if (r < 0) {
                /* Nothing of a refused bundle stays: neither its record nor its files. */
                (void) store_bundle_delete(m->store, bundle_id);
                if (dir && r != -EBADMSG)
                        (void) rm_rf(dir);
                return r;
        }
        *ret_bundle_id = bundle_id;
        return 0;
}

static int task_fail(Manager *m, const char *task, const char *error) {
        store_task_appendf(m->store, task, "Deployment failed: %s", error);
        return store_task_finish(m->store, task, 1, error);
}

/* One deploy in flight, from its checks to its activation. */
typedef struct Deploy {
        char task[JOB_KEY_LENGTH + 1];
        int64_t content_id;
        int64_t bundle_id;
        BundleInfo *info;
} Deploy;

static Deploy *deploy_free(Deploy *d) {
        if (!d)
                return NULL;
        bundle_info_free(d->info);
        free(d);
        return NULL;
}

/* The last stage: the bundle goes live and the old one's processes stop. */
static void deploy_activate(Manager *m, Deploy *d) {
        _cleanup_(content_freep) Content *c = NULL;
        const char *task = d->task;
        const BundleInfo *info = d->info;
        int64_t content_id = d->content_id, bundle_id = d->bundle_id;
        int r;

        r = store_content_get_by_id(m->store, content_id, &c);
        if (r < 0) {
                (void) task_fail(m, task, "the content was deleted during the deploy");
                return;
        }
        r = store_content_activate_bundle(m->store, content_id, bundle_id, info->app_mode, info->entry_point);
        if (r >= 0)
                r = store_content_set_rmarkdown_version(m->store, content_id, info->rmarkdown_version);
        if (r < 0) {
                (void) task_fail(m, task, "cannot record the new bundle");
                return;
        }
        /* Running processes serve the old bundle: stop them, new requests start fresh ones. */
        pool_stop_content(m, content_id, "deploy");
        pool_content_changed(m, content_id);
        if (render_mode_is_report(info->app_mode)) {
                /* A report goes live with its render (spec §10), which finishes the task. */
                store_task_appendf(m->store, task, "Bundle %lld is deployed; rendering it", (long long) bundle_id);
                render_for_deploy(m, content_id, task);
                return;
        }
        store_task_appendf(m->store, task, "Bundle %lld is live at %scontent/%s/", (long long) bundle_id, m->config->server_address,
                 c->guid);
        (void) store_task_finish(m->store, task, 0, NULL);
        log_info("Deployed bundle %lld of '%s' (%s, %s).", (long long) bundle_id, c->title, c->guid, info->app_mode);
}

/* The install job has ended: a failed install leaves the previous bundle live. */
static void on_install_done(Manager *m, int r, const char *error, void *userdata) {
        Deploy *d = userdata;

        if (r < 0) {
                store_task_appendf(m->store, d->task, "Bundle %lld was not activated; the previous bundle stays live.",
                         (long long) d->bundle_id);
                (void) task_fail(m, d->task, error ? error : "package installation failed");
                log_info("Install for bundle %lld of content %lld failed; the previous bundle stays live.",
                         (long long) d->bundle_id, (long long) d->content_id);
        } else
                deploy_activate(m, d);
        deploy_free(d);
}

int deploy_start(Manager *m, int64_t content_id, int64_t bundle_id, const char *app_mode, char **ret_task_id) {
        _cleanup_(content_freep) Content *c = NULL;
        _cleanup_(bundle_info_freep) BundleInfo *info = NULL;
        _cleanup_(runas_identity_freep) RunAsIdentity *id = NULL;
        _cleanup_free_ char *error = NULL, *dir = NULL;
        char task[JOB_KEY_LENGTH + 1];
        Deploy *d;
        int r;

        r = store_content_get_by_id(m->store, content_id, &c);
        if (r < 0)
                return r;
        r = job_key_new(task, sizeof task);
        if (r < 0)
                return r;
        r = store_task_create(m->store, task, content_id);
        if (r < 0)
                return r;
        *ret_task_id = strdup(task);
        if (!*ret_task_id)
                return -ENOMEM;

        store_task_appendf(m->store, task, "Deploying bundle %lld of '%s' (%s)", (long long) bundle_id, c->title, c->guid);
        r = store_bundle_check(m->store, content_id, bundle_id);
        if (r < 0) {
                (void) task_fail(m, task, "no such bundle for this content");
                return 0;
        }
        r = sandbox_app_dir(m->config, (uint64_t) content_id, (uint64_t) bundle_id, &dir);
        if (r < 0)
                return r;
        r = bundle_inspect(dir, app_mode, &info, &error);
        if (r < 0) {
                (void) task_fail(m, task, error ? error : strerror(-r));
                return 0;
        }
        store_task_appendf(m->store, task, "Bundle mode: %s%s%s", info->app_mode, info->entry_point ? ", entry point " : "",
                 info->entry_point ? info->entry_point : "");
        /* The app dir is the running app's, writable by its account (spec §5). */
        r = runas_resolve(c->run_as ? c->run_as : m->config->run_as, m->config->run_as_group, &id, &error);
        if (r < 0) {
                (void) task_fail(m, task, error ? error : "cannot resolve the RunAs account");
                return 0;
        }
        r = chown_recursive(dir, id->uid, id->gid);
        /* Group-writable too: current-user processes run as accounts in RunAs's primary group and
         * share the app dir (spec §4, §5). */
        if (r >= 0)
                r = chmod_add_recursive(dir, S_IWGRP);
        if (r < 0) {
                (void) task_fail(m, task, "cannot hand the app dir to the RunAs account");
                return 0;
        }
        /* unpack → install (→ activate → render): the installs run as jobs (spec §11). */
        d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;
        memcpy(d->task, task, sizeof task);
        d->content_id = content_id;
        d->bundle_id = bundle_id;
        d->info = TAKE_PTR(info);
        r = install_bundle(m, task, c, bundle_id, d->info->app_mode, on_install_done, d, &error);
        if (r < 0) {
                (void) task_fail(m, task, error ? error : strerror(-r));
                deploy_free(d);
                return 0;
        }
        if (r == 0) {
                deploy_activate(m, d);
                deploy_free(d);
        }
        return 0;
}

