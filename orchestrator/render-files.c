/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "macro.h"
#include "render-files.h"
#include "reports.h"

#define SITE_STAGING ".corral-site-output"

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

int render_read_small_file(const char *dir, const char *name, size_t max, char **ret) {
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t n = 0;

        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((size_t) st.st_size > max)
                return -EFBIG;
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (n < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + n, (size_t) st.st_size - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = 0;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                buf[--n] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

int render_site_output_dir(const char *dir, char **ret, char **ret_error) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = render_read_small_file(dir, "_site.yml", 64 * 1024, &text);
        if (r == -ENOENT)
                return report_site_output_dir("", 0, ret, ret_error);
        if (r < 0)
                return r;
        return report_site_output_dir(text, strlen(text), ret, ret_error);
}

/* Opens the dir at the relative path rel under dfd, one component at a time, never following links. */
static int open_beneath(int dfd, const char *rel) {
        _cleanup_close_ int cur = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
        _cleanup_free_ char *copy = strdup(rel);
        char *save = NULL;

        if (cur < 0)
                return -errno;
        if (!copy)
                return -ENOMEM;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int next = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return errno == ELOOP || errno == ENOTDIR ? -ENOENT : -errno;
                safe_close(cur);
                cur = next;
        }
        return TAKE_FD(cur);
}

/* Removes every entry of dir but keep. */
static int remove_all_but(const char *dir, const char *keep) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        int r;

        if (!d)
                return -errno;
        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_free_ char *p = NULL;
                if (streq(de->d_name, ".") || streq(de->d_name, "..") || streq(de->d_name, keep))
                        continue;
                r = path_join(dir, de->d_name, &p);
                if (r >= 0)
                        r = rm_rf(p);
                if (r < 0)
                        return r;
        }
        return 0;
}

int render_site_move_output(const char *dest, const char *output_dir) {
        _cleanup_close_ int dfd = -EBADF, ofd = -EBADF;
        _cleanup_free_ char *staging = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        int r;

        if (!output_dir)
                return 0;
        dfd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        r = path_join(dest, SITE_STAGING, &staging);
        if (r < 0)
                return r;
        (void) rm_rf(staging);
        /* Out of the way first, under a name of ours, so that a name in the output cannot collide
         * with the output dir's own top component. */
        ofd = open_beneath(dfd, output_dir);
        if (ofd < 0)
                return ofd;
        ofd = safe_close(ofd);
        {
                _cleanup_free_ char *parent = strdup(output_dir);
                _cleanup_close_ int pfd = -EBADF;
                if (!parent)
                        return -ENOMEM;
                char *slash = strrchr(parent, '/');
                const char *last = slash ? slash + 1 : output_dir;
                if (slash) {
                        *slash = 0;
                        pfd = open_beneath(dfd, parent);
                } else
                        pfd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
                if (pfd < 0)
                        return pfd;
                if (renameat(pfd, last, dfd, SITE_STAGING) < 0)
                        return -errno;
        }
        r = remove_all_but(dest, SITE_STAGING);
        if (r < 0)
                return r;
        ofd = openat(dfd, SITE_STAGING, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (ofd < 0)
                return -errno;
        d = fdopendir(TAKE_FD(ofd));
        if (!d)
                return -errno;
        for (struct dirent *de; (de = readdir(d));) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (renameat(dirfd(d), de->d_name, dfd, de->d_name) < 0)
                        return -errno;
        }
        if (unlinkat(dfd, SITE_STAGING, AT_REMOVEDIR) < 0)
                return -errno;
        return 0;
}
