/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mount.h>

#include "strv.h"
#include "unit-props.h"

typedef int (*PropConverter)(sd_bus_message *m, const char *name, const UnitSpec *spec, const void *field);

typedef struct PropRow {
        const char *name;
        const char *signature;
        PropConverter convert;
        size_t offset;
} PropRow;

/* Each converter appends one "(sv)" entry, or nothing when its field is unset. */

/* Opens the "(sv)" entry of property name with a variant of signature sig, and, when sig is an
 * array ("a…"), the array inside it. prop_close() closes what prop_open() opened. */
static int prop_open(sd_bus_message *m, const char *name, const char *sig) {
        int r;

        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", name);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'v', sig);
        if (r < 0)
                return r;
        if (sig[0] != 'a')
                return 0;
        return sd_bus_message_open_container(m, 'a', sig + 1);
}

static int prop_close(sd_bus_message *m, const char *sig) {
        int r;

        for (int i = sig[0] == 'a' ? 3 : 2; i > 0; i--) {
                r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int convert_string(sd_bus_message *m, const char *name, const UnitSpec *spec, const void *field) {
        const char *s = *(char * const *) field;
        if (!s)
                return 0;
        return sd_bus_message_append(m, "(sv)", name, "s", s);
}

static int convert_strv(sd_bus_message *m, const char *name, const UnitSpec *spec, const void *field) {
        char * const *l = *(char * const * const *) field;
        int r;

        if (!l)
                return 0;
        r = prop_open(m, name, "as");
        STRV_FOREACH(e, l)
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", *e);
        if (r < 0)
                return r;
        return prop_close(m, "as");
}

static int convert_u64(sd_bus_message *m, const char *name, const UnitSpec *spec, const void *field) {
        uint64_t v = *(const uint64_t *) field;
        if (v == 0)
                return 0;
        return sd_bus_message_append(m, "(sv)", name, "t", v);
}

static int append_binds(sd_bus_message *m, const char *name, const UnitSpec *spec, bool read_only) {
        size_t n = 0;
        int r;

        for (size_t i = 0; i < spec->n_binds; i++)
                if (spec->binds[i].read_only == read_only)
                        n++;
        if (n == 0)
                return 0;
        r = prop_open(m, name, "a(ssbt)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < spec->n_binds; i++) {
                const UnitBind *b = spec->binds + i;
                if (b->read_only != read_only)
                        continue;
                /* ignore_enoent = false: a missing source must fail the start, not run unsandboxed. */
                r = sd_bus_message_append(m, "(ssbt)", b->source, b->destination, 0, (uint64_t) MS_REC);
                if (r < 0)
                        return r;
        }
        return prop_close(m, "a(ssbt)");
}

static int convert_binds_rw(sd_bus_message *m, const char *name, const UnitSpec *spec, const void *field) {
        return append_binds(m, name, spec, /* read_only = */ false);
}

static int convert_binds_ro(sd_bus_message *m, const char *name, const UnitSpec *spec, const void *field) {
        return append_binds(m, name, spec, /* read_only = */ true);
}

static int convert_tmpfs(sd_bus_message *m, const char *name, const UnitSpec *spec, const void *field) {
        char * const *l = *(char * const * const *) field;
        int r;

        if (!l)
                return 0;
        r = prop_open(m, name, "a(ss)");
        if (r < 0)
                return r;
        STRV_FOREACH(p, l) {
                /* Empty and root-owned: content (never root) can neither read nor write there. Not
                 * "ro": systemd must still create the mount points of binds below it. */
                r = sd_bus_message_append(m, "(ss)", *p, "mode=0755");
                if (r < 0)
                        return r;
        }
        return prop_close(m, "a(ss)");
}

static int convert_credentials(sd_bus_message *m, const char *name, const UnitSpec *spec, const void *field) {
        char * const *l = *(char * const * const *) field;
        int r;

        if (!l)
                return 0;
        r = prop_open(m, name, "a(ss)");
        if (r < 0)
                return r;
        STRV_FOREACH(p, l) {
                const char *colon = strchr(*p, ':');
                _cleanup_free_ char *id = colon ? strndup(*p, (size_t) (colon - *p)) : NULL;
                if (!id)
                        return colon ? -ENOMEM : -EINVAL;
                r = sd_bus_message_append(m, "(ss)", id, colon + 1);
                if (r < 0)
                        return r;
        }
        return prop_close(m, "a(ss)");
}

static int convert_aay(sd_bus_message *m, const char *name, const UnitSpec *spec, const void *field) {
        char * const *l = *(char * const * const *) field;
        int r;

        if (!l)
                return 0;
        r = prop_open(m, name, "aay");
        if (r < 0)
                return r;
        STRV_FOREACH(p, l) {
                r = sd_bus_message_append_array(m, 'y', *p, strlen(*p));
                if (r < 0)
                        return r;
        }
        return prop_close(m, "aay");
}

static int convert_exec(sd_bus_message *m, const char *name, const UnitSpec *spec, const void *field) {
        char * const *argv = *(char * const * const *) field;
        int r;

        if (!argv || !argv[0])
                return -EINVAL;
        r = prop_open(m, name, "a(sasas)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'r', "sasas");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", argv[0]);
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(m, (char **) argv);
        if (r < 0)
                return r;
        /* Every argument may come from content or config: systemd must not expand '$' in it. */
        r = sd_bus_message_append(m, "as", 1, "no-env-expand");
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        return prop_close(m, "a(sasas)");
}

static const PropRow prop_table[] = {
        { "Description",         "s",        convert_string,   offsetof(UnitSpec, description) },
        { "Slice",               "s",        convert_string,   offsetof(UnitSpec, slice) },
        { "Type",                "s",        convert_string,   offsetof(UnitSpec, type) },
        { "User",                "s",        convert_string,   offsetof(UnitSpec, user) },
        { "Group",               "s",        convert_string,   offsetof(UnitSpec, group) },
        { "WorkingDirectory",    "s",        convert_string,   offsetof(UnitSpec, working_directory) },
        { "PAMName",             "s",        convert_string,   offsetof(UnitSpec, pam_name) },
        { "CollectMode",         "s",        convert_string,   offsetof(UnitSpec, collect_mode) },
        { "Environment",         "as",       convert_strv,     offsetof(UnitSpec, environment) },
        { "TemporaryFileSystem", "a(ss)",    convert_tmpfs,    offsetof(UnitSpec, temporary_filesystems) },
        { "BindPaths",           "a(ssbt)",  convert_binds_rw, offsetof(UnitSpec, binds) },
        { "BindReadOnlyPaths",   "a(ssbt)",  convert_binds_ro, offsetof(UnitSpec, binds) },
        { "LogExtraFields",      "aay",      convert_aay,      offsetof(UnitSpec, log_extra_fields) },
        { "LoadCredential",      "a(ss)",    convert_credentials, offsetof(UnitSpec, load_credentials) },
        { "TimeoutStopUSec",     "t",        convert_u64,      offsetof(UnitSpec, timeout_stop_usec) },
        { "MemoryMax",           "t",        convert_u64,      offsetof(UnitSpec, memory_max) },
        { "TasksMax",            "t",        convert_u64,      offsetof(UnitSpec, tasks_max) },
        { "CPUQuotaPerSecUSec",  "t",        convert_u64,      offsetof(UnitSpec, cpu_quota_per_sec_usec) },
        { "ExecStartEx",         "a(sasas)", convert_exec,     offsetof(UnitSpec, exec_argv) },
};

const char *unit_props_signature(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(prop_table); i++)
                if (streq(prop_table[i].name, name))
                        return prop_table[i].signature;
        return NULL;
}

int unit_props_append(sd_bus_message *m, const UnitSpec *spec) {
        int r;

        if (!spec || !spec->name || !spec->exec_argv || !spec->exec_argv[0])
                return -EINVAL;
        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(prop_table); i++) {
                const PropRow *row = prop_table + i;
                r = row->convert(m, row->name, spec, (const uint8_t *) spec + row->offset);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

int unit_props_new_start_message(sd_bus *bus, const UnitSpec *spec, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager", "StartTransientUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", spec->name, "fail");
        if (r < 0)
                return r;
        r = unit_props_append(m, spec);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}
