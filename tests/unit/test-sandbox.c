/* SPDX-License-Identifier: MIT */
/* The sandbox plan (spec §5/§6) for on-demand processes, without a bus. */

#include <stdlib.h>

#include "config.h"
#include "runas.h"
#include "sandbox.h"
#include "strv.h"
#include "test-helpers.h"

static const SandboxBind *find_bind(const SandboxPlan *p, const char *destination) {
        for (size_t i = 0; i < p->n_binds; i++)
                if (streq(p->binds[i].destination, destination))
                        return p->binds + i;
        return NULL;
}

static const char *env_get(const SandboxPlan *p, const char *name) {
        size_t n = strlen(name);
        STRV_FOREACH(e, p->environment)
                if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
                        return *e + n + 1;
        return NULL;
}

static Config *test_config(void) {
        Config *c = NULL;
        if (config_new_default(&c) < 0)
                abort();
        free(c->data_dir);
        c->data_dir = strdup("/srv/corral");
        free(c->sqlite_dir);
        c->sqlite_dir = strdup("/var/db/corral");   /* outside DataDir: masked on its own */
        free(c->temp_dir);
        c->temp_dir = strdup("/var/tmp");
        free(c->path);
        c->path = strdup("/srv/conf/corral.yaml");
        return c;
}

static RunAsIdentity alice = {
        .user = (char *) "alice", .uid = 1001, .group = (char *) "corral", .gid = 990, .home = (char *) "/home/alice",
};

static void test_app_plan(void) {
        Config *c = test_config();
        SandboxPlan *p = NULL;
        SandboxInput in = {
                .kind = PROCESS_RUN_APP, .config = c, .identity = &alice, .content_guid = "g-1",
                .content_id = 4, .bundle_id = 7, .job_key = "00112233445566ff", .port = 40001,
                .home_exists = true, .pandoc_dir = "/usr/bin",
        };

        CHECK_INTEQ(sandbox_plan_build(&in, &p), 0);
        CHECK_STREQ(p->user, "alice");
        CHECK_STREQ(p->group, "corral");
        CHECK_STREQ(p->working_directory, "/opt/corral/mnt/app");
        CHECK(strv_contains(p->masks, "/srv/corral"));
        CHECK(strv_contains(p->masks, "/var/db/corral"));
        CHECK(strv_contains(p->masks, "/etc/corral"));
        CHECK(strv_contains(p->masks, "/srv/conf"));
        CHECK(strv_contains(p->masks, "/var/tmp/corral-workspaces"));
        CHECK(!strv_contains(p->masks, "/home"));        /* HomeMounting off */

        const SandboxBind *b = find_bind(p, "/opt/corral/mnt/app");
        CHECK(b && streq(b->source, "/srv/corral/apps/4/7") && !b->read_only);
        CHECK_STREQ(p->workspace, "/var/tmp/corral-workspaces/00112233445566ff");
        b = find_bind(p, p->workspace);
        CHECK(b && streq(b->source, p->workspace) && !b->read_only);

        CHECK_STREQ(env_get(p, "HOME"), "/home/alice");
        CHECK_STREQ(env_get(p, "USER"), "alice");
        CHECK_STREQ(env_get(p, "LOGNAME"), "alice");
        CHECK_STREQ(env_get(p, "TMPDIR"), "/var/tmp/corral-workspaces/00112233445566ff");
        CHECK_STREQ(env_get(p, "CORRAL_PORT"), "40001");
        CHECK_STREQ(env_get(p, "CONNECT_CONTENT_GUID"), "g-1");
        CHECK_STREQ(env_get(p, "CORRAL_JOB_KEY"), "00112233445566ff");
        CHECK_STREQ(env_get(p, "RSTUDIO_PRODUCT"), "CONNECT");
        CHECK_STREQ(env_get(p, "CONNECT_SERVER"), "http://127.0.0.1:3939/");
        CHECK_STREQ(env_get(p, "R_CONFIG_ACTIVE"), "rsconnect");
        CHECK_STREQ(env_get(p, "RSTUDIO_PANDOC"), "/usr/bin");
        sandbox_plan_free(p);

        /* Python content gets no RSTUDIO_PANDOC. */
        in.kind = PROCESS_RUN_PYTHON_API;
        CHECK_INTEQ(sandbox_plan_build(&in, &p), 0);
        CHECK(!env_get(p, "RSTUDIO_PANDOC"));
        sandbox_plan_free(p);

        /* SQLite.Dir inside DataDir needs no mask of its own. */
        free(c->sqlite_dir);
        c->sqlite_dir = strdup("/srv/corral/db");
        CHECK_INTEQ(sandbox_plan_build(&in, &p), 0);
        CHECK(!strv_contains(p->masks, "/srv/corral/db"));
        sandbox_plan_free(p);
        config_free(c);
}

static void test_home_mounting(void) {
        Config *c = test_config();
        SandboxPlan *p = NULL;
        SandboxInput in = {
                .kind = PROCESS_RUN_APP, .config = c, .identity = &alice, .content_guid = "g",
                .content_id = 1, .bundle_id = 1, .job_key = "00112233445566ff", .port = 1, .home_exists = true,
        };

        c->home_mounting = true;
        CHECK_INTEQ(sandbox_plan_build(&in, &p), 0);
        CHECK(strv_contains(p->masks, "/home"));
        const SandboxBind *b = find_bind(p, "/home/alice");
        CHECK(b && streq(b->source, "/home/alice") && !b->read_only);
        CHECK_STREQ(env_get(p, "HOME"), "/home/alice");
        sandbox_plan_free(p);

        /* No home: /home stays masked and empty; HOME falls back to the private TMPDIR. */
        in.home_exists = false;
        CHECK_INTEQ(sandbox_plan_build(&in, &p), 0);
        CHECK(strv_contains(p->masks, "/home"));
        CHECK(!find_bind(p, "/home/alice"));
        CHECK_STREQ(env_get(p, "HOME"), p->workspace);
        sandbox_plan_free(p);
        config_free(c);
}

static void test_refusals(void) {
        Config *c = test_config();
        SandboxPlan *p = NULL;
        SandboxInput in = { .kind = PROCESS_RUN_APP, .config = c, .identity = &alice, .job_key = "k" };

        CHECK_INTEQ(sandbox_plan_build(&in, &p), -EINVAL);   /* no GUID */
        CHECK(!p);
        CHECK(sandbox_environment_name_is_prohibited(c, "HOME"));
        CHECK(sandbox_environment_name_is_prohibited(c, "LD_PRELOAD"));
        CHECK(!sandbox_environment_name_is_prohibited(c, "MY_SETTING"));
        (void) strv_extend(&c->prohibited_environment, "MY_SETTING");
        CHECK(sandbox_environment_name_is_prohibited(c, "MY_SETTING"));
        config_free(c);
}

/* Spec §5's exposure table, row by row, for every process kind. */
static void test_every_kind(void) {
        Config *c = test_config();
        static const struct {
                ProcessKind kind;
                const char *app;        /* source at MountDir/app, NULL = not exposed */
                bool app_ro;
                const char *report;     /* source at MountDir/report */
                bool r_lib;             /* DataDir/R at MountDir/R (rw) */
                int packrat;            /* -1 not exposed, 0 rw, 1 ro */
                int python;             /* -1 not exposed, 0 rw, 1 ro (with a venv) */
                const char *cwd;
        } rows[] = {
                { PROCESS_RUN_APP, "/srv/corral/apps/4/7", false, NULL, false, 1, -1, "/opt/corral/mnt/app" },
                { PROCESS_RUN_API, "/srv/corral/apps/4/7", false, NULL, false, 1, -1, "/opt/corral/mnt/app" },
                { PROCESS_CONFIGURE_REPORT, "/srv/corral/apps/4/7", false, NULL, false, 1, -1, "/opt/corral/mnt/app" },
                { PROCESS_RUN_PYTHON_API, "/srv/corral/apps/4/7", false, NULL, false, -1, 1, "/opt/corral/mnt/app" },
                { PROCESS_RUN_FASTAPI_APP, "/srv/corral/apps/4/7", false, NULL, false, -1, 1, "/opt/corral/mnt/app" },
                { PROCESS_RUN_DASH_APP, "/srv/corral/apps/4/7", false, NULL, false, -1, 1, "/opt/corral/mnt/app" },
                { PROCESS_RUN_STREAMLIT, "/srv/corral/apps/4/7", false, NULL, false, -1, 1, "/opt/corral/mnt/app" },
                { PROCESS_RUN_BOKEH_APP, "/srv/corral/apps/4/7", false, NULL, false, -1, 1, "/opt/corral/mnt/app" },
                { PROCESS_RUN_TENSORFLOW, "/srv/corral/apps/4/7", false, NULL, false, -1, 1, "/opt/corral/mnt/app" },
                { PROCESS_BUILD_REPORT, "/srv/corral/reports/v2/4/7/temp.render.00112233445566ff", false,
                  "/srv/corral/reports/v2/4/2/3", false, 1, -1, "/opt/corral/mnt/app" },
                { PROCESS_BUILD_SITE, NULL, false, "/srv/corral/reports/v2/4/2/3", false, 1, -1,
                  "/opt/corral/mnt/report" },
                { PROCESS_PACKRAT_RESTORE, "/srv/corral/apps/4/7", true, NULL, true, 0, -1, "/opt/corral/mnt/app" },
                { PROCESS_PYTHON_RESTORE, "/srv/corral/apps/4/7", true, NULL, false, -1, 0, "/opt/corral/mnt/app" },
        };
        CHECK_INTEQ(ELEMENTSOF(rows), _PROCESS_KIND_MAX);

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                SandboxPlan *p = NULL;
                SandboxInput in = {
                        .kind = rows[i].kind, .config = c, .identity = &alice, .content_guid = "g",
                        .content_id = 4, .bundle_id = 7, .variant_id = 2, .rendering_id = 3,
                        .job_key = "00112233445566ff", .port = 1, .home_exists = true,
                        .has_venv = rows[i].python >= 0,
                };
                const char *tag = process_kind_to_tag(rows[i].kind);
                CHECK_INTEQ(sandbox_plan_build(&in, &p), 0);
                if (!p)
                        continue;
                const SandboxBind *b = find_bind(p, "/opt/corral/mnt/app");
                if (rows[i].app ? !(b && streq(b->source, rows[i].app) && b->read_only == rows[i].app_ro) : b != NULL) {
                        fprintf(stderr, "%s: wrong app exposure\n", tag);
                        test_failures++;
                }
                b = find_bind(p, "/opt/corral/mnt/report");
                if (rows[i].report ? !(b && streq(b->source, rows[i].report) && !b->read_only) : b != NULL) {
                        fprintf(stderr, "%s: wrong report exposure\n", tag);
                        test_failures++;
                }
                b = find_bind(p, "/opt/corral/mnt/R");
                if (rows[i].r_lib ? !(b && streq(b->source, "/srv/corral/R") && !b->read_only) : b != NULL) {
                        fprintf(stderr, "%s: wrong R library exposure\n", tag);
                        test_failures++;
                }
                b = find_bind(p, "/opt/corral/mnt/packrat");
                if (rows[i].packrat >= 0 ? !(b && streq(b->source, "/srv/corral/packrat") && b->read_only == rows[i].packrat)
                                         : b != NULL) {
                        fprintf(stderr, "%s: wrong packrat exposure\n", tag);
                        test_failures++;
                }
                b = find_bind(p, "/opt/corral/mnt/python");
                if (rows[i].python >= 0 ? !(b && streq(b->source, "/srv/corral/python/4/7") && b->read_only == rows[i].python)
                                        : b != NULL) {
                        fprintf(stderr, "%s: wrong venv exposure\n", tag);
                        test_failures++;
                }
                CHECK_STREQ(p->working_directory, rows[i].cwd);
                /* Every kind: DataDir masked, a private TMPDIR; installs get no R_CONFIG_ACTIVE, batch
                 * jobs no port. */
                CHECK(strv_contains(p->masks, "/srv/corral"));
                CHECK(find_bind(p, p->workspace) != NULL);
                CHECK(!env_get(p, "R_CONFIG_ACTIVE") == process_kind_is_install(rows[i].kind));
                CHECK(!env_get(p, "CORRAL_PORT") == !process_kind_is_on_demand(rows[i].kind));
                sandbox_plan_free(p);
        }
        config_free(c);
}

static void test_pandoc(void) {
        Config *c = test_config();

        /* No Pandoc dirs configured: the pandoc on PATH, whatever the rmarkdown. */
        CHECK_STREQ(sandbox_pandoc_dir(c, "2.20", "/usr/bin"), "/usr/bin");
        CHECK(!sandbox_pandoc_dir(c, "1.8", NULL));
        c->pandoc1_dir = strdup("/opt/pandoc1");
        c->pandoc2_dir = strdup("/opt/pandoc2");
        CHECK_STREQ(sandbox_pandoc_dir(c, "1.9", "/usr/bin"), "/opt/pandoc2");
        CHECK_STREQ(sandbox_pandoc_dir(c, "1.10", "/usr/bin"), "/opt/pandoc2");   /* numeric, not text */
        CHECK_STREQ(sandbox_pandoc_dir(c, "2.0.1", "/usr/bin"), "/opt/pandoc2");
        CHECK_STREQ(sandbox_pandoc_dir(c, "1.8.2", "/usr/bin"), "/opt/pandoc1");
        CHECK_STREQ(sandbox_pandoc_dir(c, NULL, "/usr/bin"), "/opt/pandoc2");     /* unknown: modern */
        free(c->pandoc2_dir);
        c->pandoc2_dir = NULL;
        CHECK_STREQ(sandbox_pandoc_dir(c, "2.0", "/usr/bin"), "/usr/bin");
        CHECK_STREQ(sandbox_pandoc_dir(c, "1.0", "/usr/bin"), "/opt/pandoc1");
        config_free(c);
}

/* A bundle library (spec §11) is R_LIBS for R content, never for the installer itself. */
static void test_r_library(void) {
        Config *c = test_config();
        SandboxPlan *p = NULL;
        SandboxInput in = {
                .kind = PROCESS_RUN_APP, .config = c, .identity = &alice, .content_guid = "g-1",
                .content_id = 4, .bundle_id = 7, .job_key = "00112233445566ff", .port = 40001,
                .r_library = "/opt/corral/mnt/packrat/bundles/4/7",
        };

        CHECK_INTEQ(sandbox_plan_build(&in, &p), 0);
        CHECK_STREQ(env_get(p, "R_LIBS"), "/opt/corral/mnt/packrat/bundles/4/7");
        p = sandbox_plan_free(p);
        in.kind = PROCESS_PACKRAT_RESTORE;
        CHECK_INTEQ(sandbox_plan_build(&in, &p), 0);
        CHECK(!env_get(p, "R_LIBS"));
        p = sandbox_plan_free(p);
        in.kind = PROCESS_RUN_PYTHON_API;
        CHECK_INTEQ(sandbox_plan_build(&in, &p), 0);
        CHECK(!env_get(p, "R_LIBS"));
        sandbox_plan_free(p);
        config_free(c);
}

static void test_runas_for_kind(void) {
        CHECK_STREQ(runas_user_for_kind(true, "alice", "corral"), "corral");   /* installs: always RunAs */
        CHECK_STREQ(runas_user_for_kind(false, "alice", "corral"), "alice");
        CHECK_STREQ(runas_user_for_kind(false, NULL, "corral"), "corral");
}

int main(void) {
        test_every_kind();
        test_runas_for_kind();
        test_r_library();
        test_pandoc();
        test_app_plan();
        test_home_mounting();
        test_refusals();
        return TEST_RESULT();
}
