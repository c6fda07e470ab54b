/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runas.h"

RunAsIdentity *runas_identity_free(RunAsIdentity *id) {
        if (!id)
                return NULL;
        free(id->user);
        free(id->group);
        free(id->home);
        free(id);
        return NULL;
}

static void set_error(char **ret_error, const char *fmt, const char *a, const char *b) {
        if (!ret_error)
                return;
        free(*ret_error);
        *ret_error = NULL;
        if (asprintf(ret_error, fmt, a, b) < 0)
                *ret_error = NULL;
}

int runas_resolve(const char *user, const char *group, RunAsIdentity **ret, char **ret_error) {
        _cleanup_(runas_identity_freep) RunAsIdentity *id = NULL;
        struct passwd *pw;
        struct group *gr;

        if (!user || !*user) {
                set_error(ret_error, "%sno user name given%s", "", "");
                return -EINVAL;
        }
        errno = 0;
        pw = getpwnam(user);
        if (!pw) {
                set_error(ret_error, "user '%s' does not exist%s", user, "");
                return errno > 0 && errno != ENOENT ? -errno : -ESRCH;
        }
        if (pw->pw_uid == 0) {
                set_error(ret_error, "refusing to run content as '%s': it has uid 0%s", user, "");
                return -EPERM;
        }
        id = calloc(1, sizeof *id);
        if (!id)
                return -ENOMEM;
        id->user = strdup(pw->pw_name);
        id->uid = pw->pw_uid;
        id->home = strdup(pw->pw_dir ? pw->pw_dir : "/");
        if (!id->user || !id->home)
                return -ENOMEM;

        errno = 0;
        gr = group ? getgrnam(group) : getgrgid(pw->pw_gid);
        if (!gr) {
                set_error(ret_error, "group '%s' of user '%s' does not exist", group ? group : "(primary)", user);
                return -ESRCH;
        }
        if (gr->gr_gid == 0) {
                set_error(ret_error, "refusing to run content with group '%s' (gid 0) for user '%s'",
                          gr->gr_name, user);
                return -EPERM;
        }
        id->group = strdup(gr->gr_name);
        id->gid = gr->gr_gid;
        if (!id->group)
                return -ENOMEM;

        *ret = TAKE_PTR(id);
        return 0;
}

int runas_check_group_rule(const char *user, const char *default_user, char **ret_error) {
        struct passwd *pw;
        struct group *gr;
        gid_t required, primary;
        _cleanup_free_ char *uname = NULL, *gname = NULL;

        pw = getpwnam(default_user);
        if (!pw) {
                set_error(ret_error, "Applications.RunAs user '%s' does not exist%s", default_user, "");
                return -ESRCH;
        }
        required = pw->pw_gid;
        pw = getpwnam(user);
        if (!pw) {
                set_error(ret_error, "user '%s' does not exist%s", user, "");
                return -ESRCH;
        }
        if (pw->pw_uid == 0) {
                set_error(ret_error, "refusing to run content as '%s': it has uid 0%s", user, "");
                return -EPERM;
        }
        primary = pw->pw_gid;
        uname = strdup(pw->pw_name);
        if (!uname)
                return -ENOMEM;
        if (primary == required)
                return 0;
        gr = getgrgid(required);
        if (!gr) {
                set_error(ret_error, "primary group of '%s' does not exist%s", default_user, "");
                return -ESRCH;
        }
        gname = strdup(gr->gr_name);
        if (!gname)
                return -ENOMEM;
        for (char **m = gr->gr_mem; m && *m; m++)
                if (streq(*m, uname))
                        return 0;
        set_error(ret_error, "user '%s' is not a member of group '%s', the primary group of Applications.RunAs",
                  uname, gname);
        return -EPERM;
}

const char *runas_user_for_kind(bool is_install, const char *content_run_as, const char *default_user) {
        if (is_install || !content_run_as || !*content_run_as)
                return default_user;
        return content_run_as;
}
