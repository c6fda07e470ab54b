/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "content-settings.h"
#include "error-util.h"
#include "fs-util.h"
#include "install.h"
#include "runas.h"
#include "runner.h"
#include "sandbox.h"
#include "strv.h"
#include "unit-builder.h"
#include "unit-name.h"

#define CREDENTIAL_DIR "/run/corral/credentials"
#define ENV_CREDENTIAL "corral-env"

Launch *launch_free(Launch *l) {
        if (!l)
                return NULL;
        unit_spec_free(l->unit);
        free(l->run_as);
        free(l->workspace);
        free(l->credential);
        free(l);
        return NULL;
}

void launch_remove_files(const char *workspace, const char *credential) {
        if (workspace)
                (void) rm_rf(workspace);
        if (credential)
                (void) unlink(credential);
}

/* Who runs it (spec §4): installs as Applications.RunAs; a content's own RunAs must still be in
 * the primary group of Applications.RunAs at every launch. */
static int resolve_identity(Manager *m, const LaunchRequest *req, RunAsIdentity **ret, char **ret_error) {
        const char *user = runas_user_for_kind(process_kind_is_install(req->kind),
                                               req->run_as_user ? req->run_as_user : req->content->run_as,
                                               m->config->run_as);
        _cleanup_free_ char *error = NULL;
        int r;

        if (!streq(user, m->config->run_as)) {
                r = runas_check_group_rule(user, m->config->run_as, &error);
                if (r < 0)
                        return set_errorf(ret_error, r, "Not starting: %s.", error ? error : "RunAs refused");
        }
        r = runas_resolve(user, m->config->run_as_group, ret, &error);
        if (r < 0)
                return set_errorf(ret_error, r, "Not starting: %s.", error ? error : "RunAs cannot be resolved");
        return 0;
}

/* The content's variables as a root-only file of NUL-separated NAME=VALUE entries, for
 * LoadCredential= (not Environment=: that is readable by every local user). */
static int write_env_credential(Manager *m, const LaunchRequest *req, char **ret) {
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *path = NULL, *data = NULL;
        size_t size = 0;
        int r;

        r = store_env_get(m->store, req->content->id, &env);
        if (r < 0)
                return r;
        /* PAM's environment first: corral-exec keeps the first value of a name. */
        if (req->extra_env) {
                _cleanup_strv_free_ char **merged = NULL;
                r = strv_copy(req->extra_env, &merged);
                STRV_FOREACH(e, env)
                        if (r >= 0)
                                r = strv_extend(&merged, *e);
                if (r < 0)
                        return r;
                strv_free(env);
                env = TAKE_PTR(merged);
        }
        if (strv_length(env) == 0) {
                *ret = NULL;
                return 0;
        }
        STRV_FOREACH(e, env)
                size += strlen(*e) + 1;
        data = malloc(size);
        if (!data)
                return -ENOMEM;
        size = 0;
        STRV_FOREACH(e, env) {
                size_t n = strlen(*e) + 1;
                memcpy(data + size, *e, n);
                size += n;
        }
        r = mkdir_p(CREDENTIAL_DIR, 0700);
        if (r < 0)
                return r;
        if (asprintf(&path, CREDENTIAL_DIR "/%s.env", req->job_key) < 0)
                return -ENOMEM;
        r = write_file_atomic(path, data, size, 0400);
        explicit_bzero(data, size);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(path);
        return 0;
}

static int make_workspace(const char *root, const char *path, const RunAsIdentity *id) {
        int r = mkdir_p(root, 0711);
        if (r < 0)
                return r;
        if (mkdir(path, 0700) < 0)
                return -errno;
        if (chown(path, id->uid, id->gid) < 0)
                return -errno;
        return 0;
}

static bool dir_exists(const char *path) {
        struct stat st;
        return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether path lies under one of the plan's masks (content would not see it). */
static const char *hidden_by(const SandboxPlan *plan, const char *path) {
        STRV_FOREACH(mask, plan->masks) {
                size_t n = strlen(*mask);
                if (strncmp(path, *mask, n) == 0 && path[n] == '/')
                        return *mask;
        }
        return NULL;
}

/* The command: corral-exec [--env-credential] -- [supervisor…] runner… */
static int build_command(Manager *m, const LaunchRequest *req, const SandboxPlan *plan, bool with_env, char ***ret,
                         char **ret_error) {
        _cleanup_strv_free_ char **supervisor = NULL, **runner = NULL, **argv = NULL;
        const Content *c = req->content;
        int r;

        if (m->config->supervisor) {
                r = runner_split_command_line(m->config->supervisor, &supervisor);
                if (r < 0)
                        return set_errorf(ret_error, r, "Not starting: Applications.Supervisor '%s' is not a valid command line.",
                                      m->config->supervisor);
                if (supervisor[0][0] != '/' || access(supervisor[0], X_OK) < 0)
                        return set_errorf(ret_error, -ENOEXEC,
                                      "Not starting: Applications.Supervisor '%s' is not an executable file given by "
                                      "its absolute path.", supervisor[0]);
                const char *mask = hidden_by(plan, supervisor[0]);
                if (mask)
                        return set_errorf(ret_error, -ENOEXEC,
                                      "Not starting: Applications.Supervisor '%s' lies under '%s', which content "
                                      "processes cannot see (it is masked in their sandbox).", supervisor[0], mask);
        }
        /* The interpreters the bundle's deploy chose (spec §2), and its venv (spec §11). */
        _cleanup_strv_free_ char **interpreters = NULL;
        _cleanup_free_ char *venv_python = NULL;
        const char *rscript, *python;
        install_interpreters_of_bundle(m, c->bundle_id, &rscript, &python, &interpreters);
        if (asprintf(&venv_python, "%s/python/%lld/%lld/bin/python", m->config->data_dir, (long long) c->id,
                     (long long) c->bundle_id) < 0)
                return -ENOMEM;
        RunnerInput rin = {
                .kind = req->kind,
                .app_mode = c->app_mode,
                .rscript = rscript,
                .python = python,
                .runner_dir = m->runner_dir,
                .entry_point = c->entry_point,
                .port = req->port,
                .supervisor = supervisor,
                .params_json = req->params_json,
                .python_venv = !process_kind_is_install(req->kind) && access(venv_python, X_OK) == 0
                                       ? CORRAL_MOUNT_DIR "/python" : NULL,
                .install_args = req->install_args,
        };
        if (process_kind_is_r(req->kind) && !rscript)
                return set_errorf(ret_error, -ENOENT, "Not starting: this content needs R, and no Rscript was found "
                              "(set R.Executable).");
        if (!process_kind_is_r(req->kind) && !python)
                return set_errorf(ret_error, -ENOENT, "Not starting: this content needs Python, and Python is disabled "
                              "or python3 was not found (set Python.Executable).");
        r = runner_command(&rin, &runner);
        if (r == -EOPNOTSUPP)
                return set_errorf(ret_error, r, "Not starting: content of mode '%s' cannot run in this Corral yet.",
                              c->app_mode);
        if (r < 0)
                return set_errorf(ret_error, r, "Not starting: cannot build the command (%s).", strerror(-r));

        r = strv_extend(&argv, m->exec_helper);
        if (r >= 0 && with_env)
                r = strv_extend(&argv, "--env-credential");
        if (r >= 0 && with_env)
                r = strv_extend(&argv, ENV_CREDENTIAL);
        if (r >= 0)
                r = strv_extend(&argv, "--");
        STRV_FOREACH(a, runner)
                if (r >= 0)
                        r = strv_extend(&argv, *a);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

static int fill_unit(Manager *m, UnitSpec *u, SandboxPlan *plan, const LaunchRequest *req, const ContentLimits *limits) {
        const char *tag = process_kind_to_tag(req->kind);
        const Content *c = req->content;
        int r;

        r = unit_name_build(tag, c->guid, req->job_key, &u->name);
        if (r < 0)
                return r;
        if (asprintf(&u->description, "Corral %s: %s (%s)", tag, c->title, c->guid) < 0)
                return -ENOMEM;
        u->slice = strdup(UNIT_SLICE);
        u->type = strdup("simple");
        u->collect_mode = strdup("inactive-or-failed");
        if (!u->slice || !u->type || !u->collect_mode)
                return -ENOMEM;
        u->user = TAKE_PTR(plan->user);
        u->group = TAKE_PTR(plan->group);
        u->working_directory = TAKE_PTR(plan->working_directory);
        u->environment = TAKE_PTR(plan->environment);
        u->temporary_filesystems = TAKE_PTR(plan->masks);
        u->timeout_stop_usec = 10 * USEC_PER_SEC;
        /* PAM.UseSession: every process a PAM session (spec §3); Type=simple, as Type=exec with
         * PAMName= hangs its start job on systemd 252. */
        if (m->config->pam_use_session) {
                u->pam_name = strdup(m->config->pam_session_service);
                if (!u->pam_name)
                        return -ENOMEM;
        }
        u->memory_max = limits->memory_max;
        u->tasks_max = limits->tasks_max;
        u->cpu_quota_per_sec_usec = limits->cpu_quota_percent * 10000ULL;
        for (size_t i = 0; i < plan->n_binds; i++) {
                r = unit_spec_add_bind(u, plan->binds[i].source, plan->binds[i].destination, plan->binds[i].read_only);
                if (r < 0)
                        return r;
        }
        r = strv_extendf(&u->log_extra_fields, "CORRAL_CONTENT_GUID=%s", c->guid);
        if (r >= 0)
                r = strv_extendf(&u->log_extra_fields, "CORRAL_JOB_KEY=%s", req->job_key);
        if (r >= 0)
                r = strv_extendf(&u->log_extra_fields, "CORRAL_JOB_TAG=%s", tag);
        return r;
}

int launch_prepare(Manager *m, const LaunchRequest *req, Launch **ret, char **ret_error) {
        _cleanup_(runas_identity_freep) RunAsIdentity *id = NULL;
        _cleanup_(sandbox_plan_freep) SandboxPlan *plan = NULL;
        _cleanup_(launch_freep) Launch *l = NULL;
        _cleanup_free_ char *ws_root = NULL, *venv = NULL, *r_library = NULL;
        const Content *c = req->content;
        json_t *settings = NULL;
        ContentLimits limits;
        struct stat st;
        int r;

        r = resolve_identity(m, req, &id, ret_error);
        if (r < 0)
                return r;
        if (asprintf(&venv, "%s/python/%lld/%lld", m->config->data_dir, (long long) c->id, (long long) c->bundle_id) < 0)
                return -ENOMEM;
        r = install_r_library_of_bundle(m->config, c->id, c->bundle_id, &r_library);
        if (r < 0)
                return r;
        SandboxInput in = {
                .kind = req->kind,
                .config = m->config,
                .identity = id,
                .content_guid = c->guid,
                .content_id = (uint64_t) c->id,
                .bundle_id = (uint64_t) c->bundle_id,
                .variant_id = req->variant_id,
                .rendering_id = req->rendering_id,
                .job_key = req->job_key,
                .port = req->port,
                .home_exists = stat(id->home, &st) == 0 && S_ISDIR(st.st_mode),
                .has_venv = dir_exists(venv),
                .pandoc_dir = sandbox_pandoc_dir(m->config, c->rmarkdown_version, m->pandoc_dir),
                .r_library = r_library,
        };
        r = sandbox_plan_build(&in, &plan);
        if (r < 0)
                return set_errorf(ret_error, r, "Not starting: cannot plan the sandbox (%s).", strerror(-r));

        l = calloc(1, sizeof *l);
        if (!l)
                return -ENOMEM;
        l->unit = calloc(1, sizeof(UnitSpec));
        l->run_as = strdup(id->user);
        if (!l->unit || !l->run_as)
                return -ENOMEM;
        r = write_env_credential(m, req, &l->credential);
        if (r < 0)
                return set_errorf(ret_error, r, "Not starting: cannot hand over the content's environment (%s).", strerror(-r));
        r = build_command(m, req, plan, l->credential != NULL, &l->unit->exec_argv, ret_error);
        if (r >= 0 && l->credential)
                r = strv_extendf(&l->unit->load_credentials, ENV_CREDENTIAL ":%s", l->credential);
        if (r >= 0) {
                settings = c->settings ? json_loads(c->settings, 0, NULL) : NULL;
                content_limits_apply(m->config, settings, &limits);
                json_decref(settings);
                r = fill_unit(m, l->unit, plan, req, &limits);
        }
        if (r >= 0)
                r = sandbox_workspace_root(m->config, &ws_root);
        if (r >= 0) {
                l->workspace = TAKE_PTR(plan->workspace);
                r = make_workspace(ws_root, l->workspace, id);
                if (r < 0) {
                        free(l->workspace);
                        l->workspace = NULL;
                }
        }
        if (r < 0) {
                launch_remove_files(NULL, l->credential);
                if (ret_error && !*ret_error)
                        (void) set_errorf(ret_error, r, "Not starting: %s.", strerror(-r));
                return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}
