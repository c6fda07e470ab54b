/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "macro.h"

static inline void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int rm_rf_cb(const char *fpath, const struct stat *sb, int typeflag, struct FTW *ftwbuf) {
        (void) sb;
        (void) ftwbuf;
        if (typeflag == FTW_DP)
                return rmdir(fpath) < 0 && errno != ENOENT ? -1 : 0;
        return unlink(fpath) < 0 && errno != ENOENT ? -1 : 0;
}

int rm_rf(const char *path) {
        struct stat st;
        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (nftw(path, rm_rf_cb, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
                return -errno;
        return 0;
}

int path_join(const char *a, const char *b, char **ret) {
        size_t la = strlen(a);
        while (la > 1 && a[la - 1] == '/')
                la--;
        while (*b == '/')
                b++;
        char *s = NULL;
        if (asprintf(&s, "%.*s/%s", (int) la, a, b) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int read_full_file(const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, alloc = 0;

        if (fd < 0)
                return -errno;
        for (;;) {
                if (n + 4096 + 1 > alloc) {
                        alloc = alloc ? alloc * 2 : 8192;
                        char *nb = realloc(buf, alloc);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                }
                ssize_t k = read(fd, buf + n, alloc - n - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > max)
                        return -EFBIG;
        }
        if (!buf) {
                buf = malloc(1);
                if (!buf)
                        return -ENOMEM;
        }
        buf[n] = 0;
        if (ret_size)
                *ret_size = n;
        *ret = TAKE_PTR(buf);
        return 0;
}

int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode) {
        _cleanup_free_ char *tmp = NULL;
        if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
                return -ENOMEM;
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, mode) < 0)
                goto fail;
        for (size_t off = 0; off < size;) {
                ssize_t k = write(fd, (const char *) data + off, size - off);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        goto fail;
                }
                off += (size_t) k;
        }
        if (fsync(fd) < 0 || rename(tmp, path) < 0)
                goto fail;
        return 0;
fail:;
        int r = -errno;
        (void) unlink(tmp);
        return r;
}

static int copy_file(const char *src, const char *dst, mode_t mode) {
        _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (in < 0)
                return -errno;
        _cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 07777);
        if (out < 0)
                return -errno;
        char buf[65536];
        for (;;) {
                ssize_t k = read(in, buf, sizeof buf);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return 0;
                for (ssize_t off = 0; off < k;) {
                        ssize_t w = write(out, buf + off, (size_t) (k - off));
                        if (w < 0)
                                return -errno;
                        off += w;
                }
        }
}

int copy_tree(const char *src, const char *dst) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct stat st;
        int r;

        if (stat(src, &st) < 0)
                return -errno;
        if (mkdir(dst, st.st_mode & 07777) < 0 && errno != EEXIST)
                return -errno;
        d = opendir(src);
        if (!d)
                return -errno;
        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_free_ char *s = NULL, *t = NULL;
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = path_join(src, de->d_name, &s);
                if (r < 0)
                        return r;
                r = path_join(dst, de->d_name, &t);
                if (r < 0)
                        return r;
                if (lstat(s, &st) < 0)
                        return -errno;
                if (S_ISDIR(st.st_mode))
                        r = copy_tree(s, t);
                else if (S_ISREG(st.st_mode))
                        r = copy_file(s, t, st.st_mode);
                else if (S_ISLNK(st.st_mode)) {
                        char target[4096];
                        ssize_t k = readlink(s, target, sizeof target - 1);
                        if (k < 0)
                                return -errno;
                        target[k] = 0;
                        r = symlink(target, t) < 0 ? -errno : 0;
                } else
                        r = 0; /* sockets, fifos, devices are not content */
                if (r < 0)
                        return r;
        }
        return 0;
}

static uid_t chown_uid;
static gid_t chown_gid;

static int chown_cb(const char *fpath, const struct stat *sb, int typeflag, struct FTW *ftwbuf) {
        (void) sb;
        (void) typeflag;
        (void) ftwbuf;
        return lchown(fpath, chown_uid, chown_gid) < 0 ? -1 : 0;
}

int chown_recursive(const char *path, uid_t uid, gid_t gid) {
        chown_uid = uid;
        chown_gid = gid;
        if (nftw(path, chown_cb, 64, FTW_PHYS | FTW_MOUNT) < 0)
                return -errno;
        return 0;
}

static mode_t chmod_add_bits;

static int chmod_add_cb(const char *fpath, const struct stat *sb, int typeflag, struct FTW *ftwbuf) {
        (void) ftwbuf;
        if (typeflag == FTW_SL || S_ISLNK(sb->st_mode))
                return 0;
        return chmod(fpath, (sb->st_mode & 07777) | chmod_add_bits) < 0 ? -1 : 0;
}

int chmod_add_recursive(const char *path, mode_t add) {
        chmod_add_bits = add;
        if (nftw(path, chmod_add_cb, 64, FTW_PHYS | FTW_MOUNT) < 0)
                return -errno;
        return 0;
}
