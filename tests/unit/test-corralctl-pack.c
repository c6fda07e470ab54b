/* SPDX-License-Identifier: MIT */
/* corralctl's bundle packing: DIR → tar.gz, read back with libarchive. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fs-util.h"
#include "pack.h"
#include "strv.h"

#define ASSERT(expr)                                                                    \
        do {                                                                            \
                if (!(expr)) {                                                          \
                        fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__,      \
                                __LINE__, #expr);                                       \
                        abort();                                                        \
                }                                                                       \
        } while (0)

static char *tmp_root;

static void write_file(const char *dir, const char *rel, const char *content, mode_t mode) {
        _cleanup_free_ char *p = NULL;

        ASSERT(path_join(dir, rel, &p) >= 0);
        ASSERT(write_file_atomic(p, content, strlen(content), mode) >= 0);
}

static void make_dir(const char *dir, const char *rel) {
        _cleanup_free_ char *p = NULL;

        ASSERT(path_join(dir, rel, &p) >= 0);
        ASSERT(mkdir_p(p, 0755) >= 0);
}

static void make_link(const char *dir, const char *rel, const char *target) {
        _cleanup_free_ char *p = NULL;

        ASSERT(path_join(dir, rel, &p) >= 0);
        ASSERT(symlink(target, p) >= 0);
}

static char *new_tree(const char *name) {
        char *p;

        ASSERT(path_join(tmp_root, name, &p) >= 0);
        ASSERT(mkdir_p(p, 0755) >= 0);
        return p;
}

/* Reads the archive in fd back: "d name" / "f name size" lines into *ret_members, and the content of
 * member want (if non-NULL) into *ret_content. */
static void read_members(int fd, char ***ret_members, const char *want, char **ret_content) {
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        char **members = NULL;

        ASSERT(a);
        ASSERT(archive_read_support_filter_gzip(a) == ARCHIVE_OK);
        ASSERT(archive_read_support_format_tar(a) == ARCHIVE_OK);
        ASSERT(lseek(fd, 0, SEEK_SET) == 0);
        ASSERT(archive_read_open_fd(a, fd, 4096) == ARCHIVE_OK);
        ASSERT(archive_filter_code(a, 0) == ARCHIVE_FILTER_GZIP);

        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(e);
                size_t n = strlen(name);

                ASSERT(name[0] != '/');
                ASSERT(!strstr(name, ".."));
                if (archive_entry_filetype(e) == AE_IFDIR) {
                        /* Whether a trailing '/' is stored is the format's business. */
                        ASSERT(strv_extendf(&members, "d %.*s", (int) (n > 0 && name[n - 1] == '/' ? n - 1 : n),
                                            name) >= 0);
                } else {
                        ASSERT(archive_entry_filetype(e) == AE_IFREG);
                        ASSERT(strv_extendf(&members, "f %s %lld", name,
                                            (long long) archive_entry_size(e)) >= 0);
                }
                if (want && streq(name, want)) {
                        char *buf = calloc(1, (size_t) archive_entry_size(e) + 1);
                        ASSERT(buf);
                        ASSERT(archive_read_data(a, buf, (size_t) archive_entry_size(e)) == archive_entry_size(e));
                        *ret_content = buf;
                }
        }
        ASSERT(archive_read_free(a) == ARCHIVE_OK);
        *ret_members = members;
}

static void assert_members(char **got, const char * const *expected) {
        size_t i = 0;

        for (; expected[i]; i++) {
                if (!got || !got[i] || !streq(got[i], expected[i])) {
                        fprintf(stderr, "member %zu: expected '%s', got '%s'\n", i, expected[i],
                                got && got[i] ? got[i] : "(none)");
                        abort();
                }
        }
        ASSERT(strv_length(got) == i);
}

static void test_pack_tree(void) {
        _cleanup_free_ char *dir = new_tree("app"), *content = NULL;
        _cleanup_strv_free_ char **members = NULL;
        _cleanup_close_ int fd = memfd_create("test", MFD_CLOEXEC);
        static const char * const expected[] = {
                "f app.R 17",
                "f link-in.R 17",
                "f run.sh 10",
                "d sub",
                "d sub/deeper",
                "f sub/deeper/data.csv 4",
                "d www",
                "d www/empty",
                "f www/style.css 6",
                NULL,
        };

        write_file(dir, "app.R", "library(shiny)\n#\n", 0644);
        write_file(dir, "run.sh", "#!/bin/sh\n", 0755);
        make_dir(dir, "www/empty");
        write_file(dir, "www/style.css", "body{}", 0644);
        make_dir(dir, "sub/deeper");
        write_file(dir, "sub/deeper/data.csv", "a,b\n", 0644);
        make_dir(dir, ".git/objects");
        write_file(dir, ".git/config", "[core]\n", 0644);
        make_dir(dir, "sub/.git");
        write_file(dir, "sub/.git/HEAD", "ref\n", 0644);
        make_link(dir, "link-in.R", "app.R");

        ASSERT(fd >= 0);
        ASSERT(pack_directory(dir, fd, PACK_SIZE_MAX) == 0);
        read_members(fd, &members, "link-in.R", &content);
        assert_members(members, expected);
        ASSERT(content && streq(content, "library(shiny)\n#\n"));
        printf("ok: pack tree (%zu members, .git skipped, inner link copied)\n", strv_length(members));
}

static void test_pack_refusals(void) {
        _cleanup_free_ char *out = new_tree("link-out"), *dangling = new_tree("link-dangling"),
                *dirlink = new_tree("link-dir"), *big = new_tree("big");
        _cleanup_close_ int fd = memfd_create("test", MFD_CLOEXEC);

        ASSERT(fd >= 0);
        write_file(out, "app.R", "x\n", 0644);
        make_link(out, "secret", "/etc/passwd");
        ASSERT(pack_directory(out, fd, PACK_SIZE_MAX) == -EXDEV);

        make_link(dangling, "gone", "does-not-exist");
        ASSERT(pack_directory(dangling, fd, PACK_SIZE_MAX) == -EXDEV);

        make_link(dirlink, "up", "../link-out");
        ASSERT(pack_directory(dirlink, fd, PACK_SIZE_MAX) == -EXDEV);
        {
                _cleanup_free_ char *p = NULL;
                ASSERT(path_join(dirlink, "up", &p) >= 0);
                ASSERT(unlink(p) == 0);
        }
        make_dir(dirlink, "inner");
        make_link(dirlink, "self", ".");
        ASSERT(pack_directory(dirlink, fd, PACK_SIZE_MAX) == -ELOOP);

        /* Random data does not compress: 64 KiB cannot fit in 16 KiB. */
        {
                _cleanup_free_ char *data = malloc(65537), *p = NULL;
                ASSERT(data);
                for (size_t i = 0; i < 65536; i++)
                        data[i] = (char) ('!' + (rand() % 90));
                data[65536] = '\0';
                write_file(big, "blob", data, 0644);
        }
        ASSERT(pack_directory(big, fd, 16 * 1024) == -EFBIG);
        ASSERT(pack_directory(big, fd, PACK_SIZE_MAX) == 0);

        ASSERT(pack_directory("/nonexistent/dir", fd, PACK_SIZE_MAX) == -ENOENT);
        printf("ok: links out, dangling, to dirs and oversize refused\n");
}

static void test_open_bundle(void) {
        _cleanup_free_ char *dir = new_tree("bundle"), *tgz = NULL, *plain = NULL, *data = NULL;
        _cleanup_strv_free_ char **members = NULL;
        _cleanup_close_ int fd = -EBADF, fd2 = -EBADF;
        static const char * const expected[] = { "f index.html 5", NULL };
        uint64_t size = 0, size2 = 0;

        write_file(dir, "index.html", "<p/>\n", 0644);
        ASSERT(pack_open_bundle(dir, PACK_SIZE_MAX, &fd, &size) == 0);
        ASSERT(size > 20);
        read_members(fd, &members, NULL, NULL);
        assert_members(members, expected);

        /* The packed bundle, saved as a file, goes as is. */
        data = malloc(size);
        ASSERT(data);
        ASSERT(pread(fd, data, size, 0) == (ssize_t) size);
        ASSERT(path_join(tmp_root, "bundle.tar.gz", &tgz) >= 0);
        ASSERT(write_file_atomic(tgz, data, size, 0644) >= 0);
        ASSERT(pack_open_bundle(tgz, PACK_SIZE_MAX, &fd2, &size2) == 0);
        ASSERT(size2 == size);
        ASSERT(pack_open_bundle(tgz, size - 1, &fd2, &size2) == -EFBIG);

        ASSERT(path_join(tmp_root, "plain.tar.gz", &plain) >= 0);
        ASSERT(write_file_atomic(plain, "not gzip", 8, 0644) >= 0);
        ASSERT(pack_open_bundle(plain, PACK_SIZE_MAX, &fd2, &size2) == -EMEDIUMTYPE);
        ASSERT(pack_open_bundle("/nonexistent.tar.gz", PACK_SIZE_MAX, &fd2, &size2) == -ENOENT);
        ASSERT(pack_open_bundle("/dev/null", PACK_SIZE_MAX, &fd2, &size2) == -EMEDIUMTYPE);
        printf("ok: open bundle from dir and from .tar.gz\n");
}

int main(void) {
        const char *base = getenv("CORRAL_TEST_TMP") ?: "/tmp";
        char *t;

        ASSERT(mkdir_p(base, 0755) >= 0);
        ASSERT(asprintf(&t, "%s/corralctl-pack-XXXXXX", base) >= 0);
        ASSERT(mkdtemp(t));
        tmp_root = t;

        test_pack_tree();
        test_pack_refusals();
        test_open_bundle();

        (void) rm_rf(tmp_root);
        free(tmp_root);
        return 0;
}
