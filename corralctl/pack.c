/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "ctl-util.h"
#include "pack.h"
#include "strv.h"

#define COPY_BUFFER_SIZE ((size_t) 64 * 1024)

typedef struct Packer {
        struct archive *archive;
        int out_fd;
        uint64_t written;
        uint64_t max_size;
        bool too_big;
        char *root;          /* realpath of the tree, for checking where links lead */
        char *buffer;        /* COPY_BUFFER_SIZE */
} Packer;

DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_write_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive_entry *, archive_entry_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

static la_ssize_t packer_write(struct archive *a, void *userdata, const void *buf, size_t n) {
        Packer *p = userdata;
        const char *b = buf;
        size_t done = 0;

        if (n > p->max_size - p->written) {
                p->too_big = true;
                archive_set_error(a, EFBIG, "Bundle larger than %llu bytes", (unsigned long long) p->max_size);
                return -1;
        }

        while (done < n) {
                ssize_t k = write(p->out_fd, b + done, n - done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        archive_set_error(a, errno, "Failed to write bundle: %s", strerror(errno));
                        return -1;
                }
                done += (size_t) k;
        }
        p->written += n;
        return (la_ssize_t) n;
}

static int archive_to_errno(Packer *p) {
        int e = archive_errno(p->archive);

        if (p->too_big)
                return -EFBIG;
        return e > 0 ? -e : -EIO;
}

static int report_archive_error(Packer *p, const char *relpath) {
        int r = archive_to_errno(p);

        if (r == -EFBIG)
                return ctl_error_errno(r, "Bundle would be larger than %llu bytes, refusing.",
                                       (unsigned long long) p->max_size);
        return ctl_error_errno(r, "Failed to pack '%s': %s", relpath,
                               archive_error_string(p->archive) ?: strerror(-r));
}

/* Writes one regular file member with the contents read from fd. */
static int pack_file(Packer *p, const char *relpath, int fd) {
        _cleanup_(archive_entry_freep) struct archive_entry *e = NULL;
        struct stat st;
        uint64_t left;

        if (fstat(fd, &st) < 0)
                return ctl_error_errno(-errno, "Failed to stat '%s': %m", relpath);

        e = archive_entry_new();
        if (!e)
                return ctl_error_errno(-ENOMEM, "Out of memory.");
        archive_entry_set_pathname(e, relpath);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, st.st_mode & 0755);
        archive_entry_set_size(e, st.st_size);
        archive_entry_set_mtime(e, st.st_mtim.tv_sec, 0);

        if (archive_write_header(p->archive, e) != ARCHIVE_OK)
                return report_archive_error(p, relpath);

        /* Exactly st_size bytes go in, even if the file changes while we read it. */
        for (left = (uint64_t) st.st_size; left > 0;) {
                size_t want = left < COPY_BUFFER_SIZE ? (size_t) left : COPY_BUFFER_SIZE;
                ssize_t n = read(fd, p->buffer, want);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return ctl_error_errno(-errno, "Failed to read '%s': %m", relpath);
                if (n == 0) {
                        memset(p->buffer, 0, want);
                        n = (ssize_t) want;
                }
                if (archive_write_data(p->archive, p->buffer, (size_t) n) < 0)
                        return report_archive_error(p, relpath);
                left -= (uint64_t) n;
        }
        return 0;
}

static int pack_dir_entry(Packer *p, const char *relpath, const struct stat *st) {
        _cleanup_(archive_entry_freep) struct archive_entry *e = NULL;

        e = archive_entry_new();
        if (!e)
                return ctl_error_errno(-ENOMEM, "Out of memory.");
        archive_entry_set_pathname(e, relpath);
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_perm(e, (st->st_mode & 0755) | 0700);
        archive_entry_set_mtime(e, st->st_mtim.tv_sec, 0);

        if (archive_write_header(p->archive, e) != ARCHIVE_OK)
                return report_archive_error(p, relpath);
        return 0;
}

/* A link is packed as the file it leads to, if that is a regular file inside the tree. */
static int pack_symlink(Packer *p, const char *relpath) {
        _cleanup_free_ char *abs = NULL, *target = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        size_t n = strlen(p->root);

        if (asprintf(&abs, "%s/%s", p->root, relpath) < 0)
                return ctl_error_errno(-ENOMEM, "Out of memory.");

        target = realpath(abs, NULL);
        if (!target)
                return ctl_error_errno(-EXDEV, "Refusing to pack symbolic link '%s': cannot resolve it: %s",
                                       relpath, strerror(errno));
        if (streq(target, p->root))
                return ctl_error_errno(-ELOOP, "Refusing to pack symbolic link '%s' to a directory.", relpath);
        if (strncmp(target, p->root, n) != 0 || (target[n] != '/' && !streq(p->root, "/")))
                return ctl_error_errno(-EXDEV, "Refusing to pack symbolic link '%s': it leads out of the "
                                       "directory, to '%s'.", relpath, target);

        fd = open(target, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return ctl_error_errno(-errno, "Failed to open '%s': %m", relpath);
        if (fstat(fd, &st) < 0)
                return ctl_error_errno(-errno, "Failed to stat '%s': %m", relpath);
        if (S_ISDIR(st.st_mode))
                return ctl_error_errno(-ELOOP, "Refusing to pack symbolic link '%s' to a directory.", relpath);
        if (!S_ISREG(st.st_mode))
                return 0;

        return pack_file(p, relpath, fd);
}

static int cmp_strings(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* Lists the names in the directory dfd (without "." and ".."), sorted. */
static int list_dir(int dfd, char ***ret) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_strv_free_ char **names = NULL;
        int fd, r;

        fd = dup(dfd);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                (void) close(fd);
                return r;
        }

        for (;;) {
                struct dirent *de;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return -errno;
                        break;
                }
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = strv_extend(&names, de->d_name);
                if (r < 0)
                        return r;
        }

        if (names)
                qsort(names, strv_length(names), sizeof(char *), cmp_strings);
        *ret = TAKE_PTR(names);
        return 0;
}

/* Packs everything under the directory dfd, whose path in the archive is rel ("" for the top). */
static int pack_tree(Packer *p, int dfd, const char *rel) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = list_dir(dfd, &names);
        if (r < 0)
                return ctl_error_errno(r, "Failed to read directory '%s': %m", *rel ? rel : ".");

        STRV_FOREACH(name, names) {
                _cleanup_free_ char *relpath = NULL;
                _cleanup_close_ int fd = -EBADF;
                struct stat st;

                if (asprintf(&relpath, "%s%s%s", rel, *rel ? "/" : "", *name) < 0)
                        return ctl_error_errno(-ENOMEM, "Out of memory.");

                if (fstatat(dfd, *name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return ctl_error_errno(-errno, "Failed to stat '%s': %m", relpath);

                if (S_ISLNK(st.st_mode)) {
                        r = pack_symlink(p, relpath);
                        if (r < 0)
                                return r;
                        continue;
                }

                if (S_ISDIR(st.st_mode)) {
                        if (streq(*name, ".git"))
                                continue;
                        fd = openat(dfd, *name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (fd < 0)
                                return ctl_error_errno(-errno, "Failed to open directory '%s': %m", relpath);
                        r = pack_dir_entry(p, relpath, &st);
                        if (r < 0)
                                return r;
                        r = pack_tree(p, fd, relpath);
                        if (r < 0)
                                return r;
                        continue;
                }

                if (!S_ISREG(st.st_mode))
                        continue;    /* FIFOs, sockets, devices have no place in a bundle. */

                fd = openat(dfd, *name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return ctl_error_errno(-errno, "Failed to open '%s': %m", relpath);
                r = pack_file(p, relpath, fd);
                if (r < 0)
                        return r;
        }
        return 0;
}

int pack_directory(const char *dir, int fd, uint64_t max_size) {
        _cleanup_(archive_write_freep) struct archive *a = NULL;
        _cleanup_free_ char *root = NULL, *buffer = NULL;
        _cleanup_close_ int dfd = -EBADF;
        Packer p;
        int r;

        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return ctl_error_errno(-errno, "Failed to open directory '%s': %m", dir);
        root = realpath(dir, NULL);
        if (!root)
                return ctl_error_errno(-errno, "Failed to resolve '%s': %m", dir);
        buffer = malloc(COPY_BUFFER_SIZE);
        a = archive_write_new();
        if (!buffer || !a)
                return ctl_error_errno(-ENOMEM, "Out of memory.");

        p = (Packer) {
                .archive = a,
                .out_fd = fd,
                .max_size = max_size,
                .root = root,
                .buffer = buffer,
        };

        if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
            archive_write_open(a, &p, NULL, packer_write, NULL) != ARCHIVE_OK)
                return report_archive_error(&p, dir);

        r = pack_tree(&p, dfd, "");
        if (r < 0)
                return r;

        if (archive_write_close(a) != ARCHIVE_OK)
                return report_archive_error(&p, dir);
        return 0;
}

int pack_open_bundle(const char *path, uint64_t max_size, int *ret_fd, uint64_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        unsigned char magic[2];
        struct stat st;
        int r;

        if (stat(path, &st) < 0)
                return ctl_error_errno(-errno, "Cannot use '%s' as a bundle: %m", path);

        if (S_ISDIR(st.st_mode)) {
                fd = memfd_create("corral-bundle", MFD_CLOEXEC);
                if (fd < 0)
                        return ctl_error_errno(-errno, "Failed to create a memory file: %m");
                r = pack_directory(path, fd, max_size);
                if (r < 0)
                        return r;
                if (fstat(fd, &st) < 0)
                        return ctl_error_errno(-errno, "Failed to stat the packed bundle: %m");
                *ret_size = (uint64_t) st.st_size;
                *ret_fd = TAKE_FD(fd);
                return 0;
        }

        if (!S_ISREG(st.st_mode))
                return ctl_error_errno(-EMEDIUMTYPE, "'%s' is neither a directory nor a .tar.gz file.", path);
        if ((uint64_t) st.st_size > max_size)
                return ctl_error_errno(-EFBIG, "Bundle '%s' is larger than %llu bytes, refusing.", path,
                                       (unsigned long long) max_size);

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return ctl_error_errno(-errno, "Failed to open '%s': %m", path);
        if (fstat(fd, &st) < 0)
                return ctl_error_errno(-errno, "Failed to stat '%s': %m", path);
        if (pread(fd, magic, sizeof magic, 0) != (ssize_t) sizeof magic || magic[0] != 0x1f || magic[1] != 0x8b)
                return ctl_error_errno(-EMEDIUMTYPE, "'%s' is not a gzip-compressed tar file.", path);
        if ((uint64_t) st.st_size > max_size)
                return ctl_error_errno(-EFBIG, "Bundle '%s' is larger than %llu bytes, refusing.", path,
                                       (unsigned long long) max_size);

        *ret_size = (uint64_t) st.st_size;
        *ret_fd = TAKE_FD(fd);
        return 0;
}
