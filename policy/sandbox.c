/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs-util.h"
#include "sandbox.h"
#include "strv.h"

const char * const sandbox_reserved_environment[] = {
        "HOME", "USER", "LOGNAME", "TMPDIR", "R_CONFIG_ACTIVE", "RSTUDIO_PANDOC", "CONNECT_SERVER",
        "CONNECT_CONTENT_GUID", "RSTUDIO_PRODUCT", "CORRAL_PORT", "CORRAL_CONTENT_GUID", "CORRAL_JOB_KEY",
        "PATH", "LD_PRELOAD", "LD_LIBRARY_PATH", "R_HOME", "R_LIBS", "R_LIBS_SITE", "R_LIBS_USER",
        "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CREDENTIALS_DIRECTORY", NULL,
};

SandboxPlan *sandbox_plan_free(SandboxPlan *p) {
        if (!p)
                return NULL;
        free(p->user);
        free(p->group);
        free(p->working_directory);
        strv_free(p->masks);
        for (size_t i = 0; i < p->n_binds; i++) {
                free(p->binds[i].source);
                free(p->binds[i].destination);
        }
        free(p->binds);
        strv_free(p->environment);
        free(p->workspace);
        free(p->home);
        free(p);
        return NULL;
}

bool sandbox_environment_name_is_prohibited(const Config *c, const char *name) {
        for (size_t i = 0; sandbox_reserved_environment[i]; i++)
                if (streq(sandbox_reserved_environment[i], name))
                        return true;
        return c && strv_contains(c->prohibited_environment, name);
}

int sandbox_workspace_root(const Config *c, char **ret) {
        return path_join(c->temp_dir, "corral-workspaces", ret);
}

int sandbox_app_dir(const Config *c, uint64_t content_id, uint64_t bundle_id, char **ret) {
        char *s = NULL;
        if (asprintf(&s, "%s/apps/%" PRIu64 "/%" PRIu64, c->data_dir, content_id, bundle_id) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* Whether path is dir itself or lies below it. */
static bool path_is_below(const char *path, const char *dir) {
        size_t n = strlen(dir);
        while (n > 1 && dir[n - 1] == '/')
                n--;
        return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}

static int plan_add_mask(SandboxPlan *p, const char *path) {
        /* A path under an already masked one needs no mask of its own (and could not get one:
         * its mount point no longer exists inside the tmpfs). */
        STRV_FOREACH(m, p->masks)
                if (path_is_below(path, *m))
                        return 0;
        return strv_extend(&p->masks, path);
}

static int plan_add_bind(SandboxPlan *p, const char *source, const char *destination, bool read_only) {
        SandboxBind *b = realloc(p->binds, sizeof(SandboxBind) * (p->n_binds + 1));
        if (!b)
                return -ENOMEM;
        p->binds = b;
        b[p->n_binds] = (SandboxBind) {
                .source = strdup(source),
                .destination = strdup(destination),
                .read_only = read_only,
        };
        if (!b[p->n_binds].source || !b[p->n_binds].destination) {
                free(b[p->n_binds].source);
                free(b[p->n_binds].destination);
                return -ENOMEM;
        }
        p->n_binds++;
        return 0;
}

static int plan_masks(SandboxPlan *p, const SandboxInput *in) {
        const Config *c = in->config;
        _cleanup_free_ char *ws_root = NULL, *config_dir = NULL;
        int r;

        r = plan_add_mask(p, c->data_dir);
        if (r < 0)
                return r;
        r = plan_add_mask(p, c->sqlite_dir);
        if (r < 0)
                return r;
        r = plan_add_mask(p, "/etc/corral");
        if (r < 0)
                return r;
        if (c->path) {
                config_dir = strdup(c->path);
                if (!config_dir)
                        return -ENOMEM;
                char *slash = strrchr(config_dir, '/');
                if (slash && slash != config_dir) {
                        *slash = 0;
                        /* Never mask a system dir like /etc or / because the config lives there. */
                        if (!streq(config_dir, "/etc") && !streq(config_dir, "/")) {
                                r = plan_add_mask(p, config_dir);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        STRV_FOREACH(m, in->extra_masks) {
                r = plan_add_mask(p, *m);
                if (r < 0)
                        return r;
        }
        r = sandbox_workspace_root(c, &ws_root);
        if (r < 0)
                return r;
        return plan_add_mask(p, ws_root);
}

static int plan_home(SandboxPlan *p, const SandboxInput *in) {
        const char *home = in->identity->home;
        int r;

        if (!in->config->home_mounting) {
                p->home = strdup(in->home_exists ? home : p->workspace);
                return p->home ? 0 : -ENOMEM;
        }
        r = plan_add_mask(p, "/home");
        if (r < 0)
                return r;
        if (in->home_exists && path_is_below(home, "/home") && !streq(home, "/home")) {
                r = plan_add_bind(p, home, home, /* read_only = */ false);
                if (r < 0)
                        return r;
                p->home = strdup(home);
        } else if (in->home_exists && !path_is_below(home, "/home"))
                p->home = strdup(home);
        else
                p->home = strdup(p->workspace);
        return p->home ? 0 : -ENOMEM;
}

static int plan_environment(SandboxPlan *p, const SandboxInput *in) {
        const Config *c = in->config;
        int r;

        r = strv_extendf(&p->environment, "HOME=%s", p->home);
        if (r >= 0)
                r = strv_extendf(&p->environment, "USER=%s", in->identity->user);
        if (r >= 0)
                r = strv_extendf(&p->environment, "LOGNAME=%s", in->identity->user);
        if (r >= 0)
                r = strv_extendf(&p->environment, "TMPDIR=%s", p->workspace);
        if (r >= 0)
                r = strv_extend(&p->environment, "LANG=C.UTF-8");
        if (r >= 0)
                r = strv_extendf(&p->environment, "CONNECT_SERVER=%s", c->server_address);
        if (r >= 0)
                r = strv_extendf(&p->environment, "CONNECT_CONTENT_GUID=%s", in->content_guid);
        if (r >= 0)
                r = strv_extendf(&p->environment, "CORRAL_CONTENT_GUID=%s", in->content_guid);
        if (r >= 0)
                r = strv_extendf(&p->environment, "CORRAL_JOB_KEY=%s", in->job_key);
        if (r >= 0)
                r = strv_extend(&p->environment, "RSTUDIO_PRODUCT=CONNECT");
        if (r >= 0 && process_kind_is_on_demand(in->kind))
                r = strv_extendf(&p->environment, "CORRAL_PORT=%u", (unsigned) in->port);
        if (r >= 0 && !process_kind_is_install(in->kind))
                r = strv_extendf(&p->environment, "R_CONFIG_ACTIVE=%s", c->r_config_active);
        if (r >= 0 && process_kind_is_r(in->kind) && !process_kind_is_install(in->kind) && in->r_library)
                r = strv_extendf(&p->environment, "R_LIBS=%s", in->r_library);
        if (r >= 0 && process_kind_is_r(in->kind) && in->pandoc_dir)
                r = strv_extendf(&p->environment, "RSTUDIO_PANDOC=%s", in->pandoc_dir);
        return r;
}

/* Spec §5's exposure table: what each kind of process sees at the fixed mount points. */
static int plan_exposures(SandboxPlan *p, const SandboxInput *in) {
        const Config *c = in->config;
        _cleanup_free_ char *app = NULL, *src = NULL, *report = NULL, *rlib = NULL, *packrat = NULL, *venv = NULL;
        bool install = process_kind_is_install(in->kind);
        int r;

        if (asprintf(&app, "%s/apps/%" PRIu64 "/%" PRIu64, c->data_dir, in->content_id, in->bundle_id) < 0 ||
            asprintf(&src, "%s/reports/v2/%" PRIu64 "/%" PRIu64 "/temp.render.%s", c->data_dir, in->content_id,
                     in->bundle_id, in->job_key) < 0 ||
            asprintf(&report, "%s/reports/v2/%" PRIu64 "/%" PRIu64 "/%" PRIu64, c->data_dir, in->content_id,
                     in->variant_id, in->rendering_id) < 0 ||
            asprintf(&rlib, "%s/R", c->data_dir) < 0 || asprintf(&packrat, "%s/packrat", c->data_dir) < 0 ||
            asprintf(&venv, "%s/python/%" PRIu64 "/%" PRIu64, c->data_dir, in->content_id, in->bundle_id) < 0)
                return -ENOMEM;

        switch (in->kind) {
        case PROCESS_BUILD_REPORT:
                /* A private copy of the source, and a new output dir (spec §10). */
                r = plan_add_bind(p, src, CORRAL_MOUNT_DIR "/app", false);
                if (r >= 0)
                        r = plan_add_bind(p, report, CORRAL_MOUNT_DIR "/report", false);
                break;
        case PROCESS_BUILD_SITE:
                /* render_site works in place: the source was copied into the destination. */
                r = plan_add_bind(p, report, CORRAL_MOUNT_DIR "/report", false);
                break;
        default:
                /* Running apps write to their app dir; installs only read it. */
                r = plan_add_bind(p, app, CORRAL_MOUNT_DIR "/app", install);
        }
        if (r < 0)
                return r;
        if (in->kind == PROCESS_PACKRAT_RESTORE) {
                r = plan_add_bind(p, rlib, CORRAL_MOUNT_DIR "/R", false);
                if (r < 0)
                        return r;
        }
        if (process_kind_is_r(in->kind)) {
                r = plan_add_bind(p, packrat, CORRAL_MOUNT_DIR "/packrat", in->kind != PROCESS_PACKRAT_RESTORE);
                if (r < 0)
                        return r;
        }
        if (in->has_venv || in->kind == PROCESS_PYTHON_RESTORE) {
                r = plan_add_bind(p, venv, CORRAL_MOUNT_DIR "/python", in->kind != PROCESS_PYTHON_RESTORE);
                if (r < 0)
                        return r;
        }
        return 0;
}

int sandbox_plan_build(const SandboxInput *in, SandboxPlan **ret) {
        _cleanup_(sandbox_plan_freep) SandboxPlan *p = NULL;
        _cleanup_free_ char *ws_root = NULL;
        int r;

        if (!in || !in->config || !in->identity || !in->content_guid || !in->job_key)
                return -EINVAL;
        if (in->kind < 0 || in->kind >= _PROCESS_KIND_MAX)
                return -EINVAL;

        p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->user = strdup(in->identity->user);
        p->group = strdup(in->identity->group);
        p->working_directory = strdup(in->kind == PROCESS_BUILD_SITE ? CORRAL_MOUNT_DIR "/report"
                                                                     : CORRAL_MOUNT_DIR "/app");
        if (!p->user || !p->group || !p->working_directory)
                return -ENOMEM;

        r = sandbox_workspace_root(in->config, &ws_root);
        if (r < 0)
                return r;
        r = path_join(ws_root, in->job_key, &p->workspace);
        if (r < 0)
                return r;

        r = plan_masks(p, in);
        if (r < 0)
                return r;
        r = plan_exposures(p, in);
        if (r < 0)
                return r;
        /* The workspace is bound to itself, so TMPDIR is the same path inside and out. */
        r = plan_add_bind(p, p->workspace, p->workspace, /* read_only = */ false);
        if (r < 0)
                return r;
        r = plan_home(p, in);
        if (r < 0)
                return r;
        r = plan_environment(p, in);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(p);
        return 0;
}

bool sandbox_environment_name_is_valid(const char *name) {
        size_t n = name ? strlen(name) : 0;
        if (n == 0 || n > 256 || (name[0] >= '0' && name[0] <= '9'))
                return false;
        return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

int sandbox_environment_check(const Config *c, const char *name, const char *value, size_t value_len,
                              char **ret_error) {
        const char *why = NULL;

        if (!sandbox_environment_name_is_valid(name))
                why = "is not a valid name (letters, digits and '_', not starting with a digit, at most 256)";
        else if (sandbox_environment_name_is_prohibited(c, name))
                why = "is set by Corral or prohibited by the administrator (Applications.ProhibitedEnvironment)";
        else if (value && strlen(value) != value_len)
                why = "has a value containing a NUL byte";
        else if (value && value_len > SANDBOX_ENV_VALUE_MAX)
                why = "has a value longer than 64 KiB";
        if (!why)
                return 0;
        if (ret_error && asprintf(ret_error, "environment variable '%s' %s", name ? name : "", why) < 0)
                *ret_error = NULL;
        return -EINVAL;
}

/* Compares dotted version strings numerically ("1.10" > "1.9"). */
static int version_compare(const char *a, const char *b) {
        while (*a || *b) {
                unsigned long x = strtoul(a, (char **) &a, 10), y = strtoul(b, (char **) &b, 10);
                if (x != y)
                        return x < y ? -1 : 1;
                while (*a && *a != '.')
                        a++;
                while (*b && *b != '.')
                        b++;
                if (*a == '.')
                        a++;
                if (*b == '.')
                        b++;
        }
        return 0;
}

const char *sandbox_pandoc_dir(const Config *c, const char *rmarkdown_version, const char *path_pandoc_dir) {
        bool modern = !rmarkdown_version || version_compare(rmarkdown_version, "1.9") >= 0;

        if (modern && c->pandoc2_dir)
                return c->pandoc2_dir;
        if (!modern && c->pandoc1_dir)
                return c->pandoc1_dir;
        return path_pandoc_dir;
}
