/* SPDX-License-Identifier: MIT */
/* Property encoding and unit naming, checked by decoding the StartTransientUnit message the
 * encoder builds. The bus is a socketpair that never talks to systemd. */

#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>

#include <systemd/sd-bus.h>

#include "strv.h"
#include "test-helpers.h"
#include "unit-name.h"
#include "unit-props.h"

static sd_bus *offline_bus(void) {
        sd_bus *bus = NULL;
        int fds[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
                abort();
        if (sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, fds[0], fds[0]) < 0 || sd_bus_start(bus) < 0)
                abort();
        return bus;
}

static UnitSpec *sample_spec(void) {
        UnitSpec *s = calloc(1, sizeof *s);
        s->name = strdup("corral-run_app-0123abcd-00112233445566ff.service");
        s->description = strdup("Corral run_app: Hello $HOME (0123abcd-...)");
        s->slice = strdup("corral.slice");
        s->type = strdup("simple");
        s->user = strdup("corral");
        s->group = strdup("corral");
        s->working_directory = strdup("/opt/corral/mnt/app");
        s->collect_mode = strdup("inactive-or-failed");
        (void) strv_extend(&s->exec_argv, "/usr/bin/Rscript");
        (void) strv_extend(&s->exec_argv, "--port");
        (void) strv_extend(&s->exec_argv, "$PORT");
        (void) strv_extend(&s->environment, "HOME=/home/corral");
        (void) strv_extend(&s->environment, "TMPDIR=/tmp/corral-workspaces/k");
        (void) strv_extend(&s->temporary_filesystems, "/var/lib/corral");
        (void) strv_extend(&s->temporary_filesystems, "/etc/corral");
        (void) unit_spec_add_bind(s, "/var/lib/corral/apps/1/2", "/opt/corral/mnt/app", false);
        (void) unit_spec_add_bind(s, "/var/lib/corral/packrat", "/opt/corral/mnt/packrat", true);
        (void) strv_extend(&s->log_extra_fields, "CORRAL_CONTENT_GUID=0123abcd");
        (void) strv_extend(&s->load_credentials, "corral-env:/run/corral/credentials/k.env");
        s->memory_max = 512ULL << 20;
        return s;
}

/* Walks the properties array and checks each known property's decoded value. */
static void check_message(sd_bus_message *m) {
        const char *name, *mode, *contents;
        unsigned seen = 0;
        int r;

        CHECK(sd_bus_message_read(m, "ss", &name, &mode) > 0);
        CHECK_STREQ(name, "corral-run_app-0123abcd-00112233445566ff.service");
        CHECK_STREQ(mode, "fail");
        CHECK(sd_bus_message_enter_container(m, 'a', "(sv)") > 0);
        while ((r = sd_bus_message_enter_container(m, 'r', "sv")) > 0) {
                const char *prop;
                CHECK(sd_bus_message_read(m, "s", &prop) > 0);
                CHECK(sd_bus_message_peek_type(m, NULL, &contents) > 0);
                CHECK_STREQ(contents, unit_props_signature(prop));
                CHECK(sd_bus_message_enter_container(m, 'v', contents) > 0);
                if (streq(prop, "User") || streq(prop, "Description") || streq(prop, "CollectMode")) {
                        const char *v;
                        CHECK(sd_bus_message_read(m, "s", &v) > 0);
                        if (streq(prop, "User"))
                                CHECK_STREQ(v, "corral");
                        else if (streq(prop, "CollectMode"))
                                CHECK_STREQ(v, "inactive-or-failed");
                        else
                                CHECK_STREQ(v, "Corral run_app: Hello $HOME (0123abcd-...)");
                        seen |= 1;
                } else if (streq(prop, "Environment")) {
                        char **l = NULL;
                        CHECK(sd_bus_message_read_strv(m, &l) > 0);
                        CHECK_INTEQ(strv_length(l), 2);
                        CHECK_STREQ(l[1], "TMPDIR=/tmp/corral-workspaces/k");
                        strv_free(l);
                        seen |= 2;
                } else if (streq(prop, "BindPaths") || streq(prop, "BindReadOnlyPaths")) {
                        const char *src, *dst;
                        int ignore;
                        uint64_t flags;
                        CHECK(sd_bus_message_enter_container(m, 'a', "(ssbt)") > 0);
                        CHECK(sd_bus_message_read(m, "(ssbt)", &src, &dst, &ignore, &flags) > 0);
                        if (streq(prop, "BindPaths")) {
                                CHECK_STREQ(src, "/var/lib/corral/apps/1/2");
                                CHECK_STREQ(dst, "/opt/corral/mnt/app");
                                seen |= 4;
                        } else {
                                CHECK_STREQ(src, "/var/lib/corral/packrat");
                                seen |= 8;
                        }
                        CHECK(!ignore);
                        CHECK(flags == MS_REC);
                        CHECK(sd_bus_message_exit_container(m) > 0);
                } else if (streq(prop, "TemporaryFileSystem")) {
                        const char *path, *opts;
                        CHECK(sd_bus_message_enter_container(m, 'a', "(ss)") > 0);
                        CHECK(sd_bus_message_read(m, "(ss)", &path, &opts) > 0);
                        CHECK_STREQ(path, "/var/lib/corral");
                        CHECK(sd_bus_message_read(m, "(ss)", &path, &opts) > 0);
                        CHECK_STREQ(path, "/etc/corral");
                        CHECK(sd_bus_message_exit_container(m) > 0);
                        seen |= 16;
                } else if (streq(prop, "ExecStartEx")) {
                        const char *path;
                        char **argv = NULL, **flags = NULL;
                        CHECK(sd_bus_message_enter_container(m, 'a', "(sasas)") > 0);
                        CHECK(sd_bus_message_enter_container(m, 'r', "sasas") > 0);
                        CHECK(sd_bus_message_read(m, "s", &path) > 0);
                        CHECK(sd_bus_message_read_strv(m, &argv) > 0);
                        CHECK(sd_bus_message_read_strv(m, &flags) > 0);
                        CHECK_STREQ(path, "/usr/bin/Rscript");
                        CHECK_STREQ(argv[2], "$PORT"); /* literal: no-env-expand below */
                        CHECK(strv_contains(flags, "no-env-expand"));
                        strv_free(argv);
                        strv_free(flags);
                        CHECK(sd_bus_message_exit_container(m) > 0);
                        CHECK(sd_bus_message_exit_container(m) > 0);
                        seen |= 32;
                } else if (streq(prop, "LogExtraFields")) {
                        const void *p;
                        size_t n;
                        CHECK(sd_bus_message_enter_container(m, 'a', "ay") > 0);
                        CHECK(sd_bus_message_read_array(m, 'y', &p, &n) > 0);
                        CHECK(n == strlen("CORRAL_CONTENT_GUID=0123abcd") &&
                              memcmp(p, "CORRAL_CONTENT_GUID=0123abcd", n) == 0);
                        CHECK(sd_bus_message_exit_container(m) > 0);
                        seen |= 64;
                } else if (streq(prop, "LoadCredential")) {
                        const char *id, *path;
                        CHECK(sd_bus_message_enter_container(m, 'a', "(ss)") > 0);
                        CHECK(sd_bus_message_read(m, "(ss)", &id, &path) > 0);
                        CHECK_STREQ(id, "corral-env");
                        CHECK_STREQ(path, "/run/corral/credentials/k.env");
                        CHECK(sd_bus_message_exit_container(m) > 0);
                        seen |= 256;
                } else if (streq(prop, "MemoryMax")) {
                        uint64_t v;
                        CHECK(sd_bus_message_read(m, "t", &v) > 0);
                        CHECK(v == 512ULL << 20);
                        seen |= 128;
                } else if (streq(prop, "TasksMax") || streq(prop, "PAMName")) {
                        CHECK(!"unset property was encoded");
                } else
                        CHECK(sd_bus_message_skip(m, contents) >= 0);
                CHECK(sd_bus_message_exit_container(m) > 0);
                CHECK(sd_bus_message_exit_container(m) > 0);
        }
        CHECK(r == 0);
        CHECK_INTEQ(seen, 511);
        CHECK(sd_bus_message_exit_container(m) > 0);
        CHECK(sd_bus_message_enter_container(m, 'a', "(sa(sv))") > 0);
        CHECK(sd_bus_message_at_end(m, false) > 0);
}

static void test_encode(void) {
        sd_bus *bus = offline_bus();
        UnitSpec *s = sample_spec();
        sd_bus_message *m = NULL;

        CHECK_INTEQ(unit_props_new_start_message(bus, s, &m), 0);
        CHECK_INTEQ(sd_bus_message_seal(m, 1, 0), 0);
        CHECK(sd_bus_message_rewind(m, true) >= 0);
        check_message(m);
        sd_bus_message_unref(m);

        /* No command: refused, not encoded half-way. */
        s->exec_argv = strv_free(s->exec_argv);
        m = NULL;
        CHECK_INTEQ(unit_props_new_start_message(bus, s, &m), -EINVAL);
        CHECK(!m);
        unit_spec_free(s);
        sd_bus_close_unref(bus);
}

static void test_names(void) {
        char key[JOB_KEY_LENGTH + 1], key2[JOB_KEY_LENGTH + 1];
        char *name = NULL, *tag = NULL, *k = NULL;

        CHECK_INTEQ(job_key_new(key, sizeof key), 0);
        CHECK_INTEQ(job_key_new(key2, sizeof key2), 0);
        CHECK(job_key_is_valid(key));
        CHECK(!streq(key, key2));
        CHECK(!job_key_is_valid("0123"));
        CHECK(!job_key_is_valid("0123456789abcdeX"));

        CHECK_INTEQ(unit_name_build("run_app", "0123abcd-ef01-2345-6789-abcdef012345", "00112233445566ff", &name), 0);
        CHECK_STREQ(name, "corral-run_app-0123abcd-00112233445566ff.service");
        CHECK_INTEQ(unit_name_parse(name, &tag, &k), 0);
        CHECK_STREQ(tag, "run_app");
        CHECK_STREQ(k, "00112233445566ff");
        free(name);
        free(tag);
        free(k);
        name = NULL;
        /* A short GUID whose dashes come early still yields 8 hex digits. */
        CHECK_INTEQ(unit_name_build("run_python_api", "01-23-45-67-89ab", "00112233445566ff", &name), 0);
        CHECK_STREQ(name, "corral-run_python_api-01234567-00112233445566ff.service");
        free(name);
        name = NULL;

        CHECK_INTEQ(unit_name_build("no_such_tag", "0123abcd", "00112233445566ff", &name), -EINVAL);
        CHECK_INTEQ(unit_name_build("run_app", "../etc/x", "00112233445566ff", &name), -EINVAL);
        CHECK_INTEQ(unit_name_build("run_app", "0123abcd", "bad key", &name), -EINVAL);
        CHECK(!name);
        CHECK_INTEQ(unit_name_parse("sshd.service", NULL, NULL), -EINVAL);
        CHECK_INTEQ(unit_name_parse("corral-run_app-0123abcd-00112233445566ff.scope", NULL, NULL), -EINVAL);
        CHECK_INTEQ(unit_name_parse("corral-bogus-0123abcd-00112233445566ff.service", NULL, NULL), -EINVAL);
}

int main(void) {
        test_encode();
        test_names();
        return TEST_RESULT();
}
