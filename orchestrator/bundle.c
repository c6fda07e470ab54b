/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "bundle.h"
#include "bundle-report.h"
#include "fs-util.h"
#include "process-kind.h"

static void archive_read_freep(struct archive **a) {
        if (*a)
                (void) archive_read_free(*a);
}

static void archive_write_freep(struct archive **a) {
        if (*a)
                (void) archive_write_free(*a);
}

static int set_error(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int set_error(char **ret_error, const char *fmt, ...) {
        va_list ap;
        if (!ret_error)
                return -EBADMSG;
        free(*ret_error);
        *ret_error = NULL;
        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return -EBADMSG;
}

BundleInfo *bundle_info_free(BundleInfo *b) {
        if (!b)
                return NULL;
        free(b->app_mode);
        free(b->entry_point);
        free(b->title);
        free(b->rmarkdown_version);
        free(b);
        return NULL;
}

/* A relative path with no '..' component and no empty name. */
static bool member_path_is_safe(const char *p) {
        if (!p || !*p || p[0] == '/')
                return false;
        for (const char *s = p; *s;) {
                size_t n = strcspn(s, "/");
                if (n == 2 && s[0] == '.' && s[1] == '.')
                        return false;
                s += n;
                while (*s == '/')
                        s++;
        }
        return true;
}

/* Walks the components of path (all of them, or all but the last with skip_last) from *depth:
 * a name goes down, '..' goes up, '.' and empty names stay. Returns false if the walk climbs
 * above the top. */
static bool walk_stays_inside(const char *path, bool skip_last, int *depth) {
        for (const char *s = path; *s;) {
                size_t n = strcspn(s, "/");
                const char *next = s + n + strspn(s + n, "/");

                if (skip_last && *next == 0)
                        break;
                if (n == 2 && s[0] == '.' && s[1] == '.') {
                        if (--*depth < 0)
                                return false;
                } else if (n > 0 && !(n == 1 && s[0] == '.'))
                        ++*depth;
                s = next;
        }
        return true;
}

/* Whether a symlink at member path p with target t stays inside the tree. */
static bool symlink_stays_inside(const char *p, const char *t) {
        int depth = 0;

        if (!t || t[0] == '/')
                return false;
        /* From the link's own directory: '.' components of p add no depth. */
        return walk_stays_inside(p, /* skip_last = */ true, &depth) &&
               walk_stays_inside(t, /* skip_last = */ false, &depth);
}

static int unpack_members(struct archive *in, struct archive *out, const char *dest, char **ret_error) {
        struct archive_entry *e;
        unsigned n = 0;
        uint64_t total = 0;
        int r;

        while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
                _cleanup_free_ char *target = NULL, *name = NULL;
                mode_t type = archive_entry_filetype(e);

                /* A copy: the entry's own string changes with set_pathname() below. */
                name = strdup(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
                if (!name)
                        return -ENOMEM;
                if (++n > BUNDLE_MAX_ENTRIES)
                        return set_error(ret_error, "bundle has more than %u members", BUNDLE_MAX_ENTRIES);
                if (!member_path_is_safe(name))
                        return set_error(ret_error, "bundle member '%s' has an absolute path or a '..' component",
                                         name);
                if (archive_entry_hardlink(e))
                        return set_error(ret_error, "bundle member '%s' is a hard link; bundles may not contain hard links", name);
                if (type == AE_IFLNK && !symlink_stays_inside(name, archive_entry_symlink(e)))
                        return set_error(ret_error, "bundle member '%s' is a link leading out of the bundle ('%s')",
                                         name, archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
                if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
                        return set_error(ret_error, "bundle member '%s' is not a file, directory or link", name);
                if (archive_entry_size_is_set(e)) {
                        total += (uint64_t) archive_entry_size(e);
                        if (total > BUNDLE_MAX_UNPACKED_BYTES)
                                return set_error(ret_error, "bundle unpacks to more than %llu bytes",
                                                 (unsigned long long) BUNDLE_MAX_UNPACKED_BYTES);
                }
                r = path_join(dest, name, &target);
                if (r < 0)
                        return r;
                archive_entry_set_pathname(e, target);
                /* Content files are never setuid and never world-writable. */
                archive_entry_set_perm(e, (archive_entry_perm(e) & 0755) | (type == AE_IFDIR ? 0700 : 0600));
                archive_entry_set_uid(e, 0);
                archive_entry_set_gid(e, 0);
                r = archive_write_header(out, e);
                if (r != ARCHIVE_OK)
                        return set_error(ret_error, "cannot unpack bundle member '%s': %s", name, archive_error_string(out));
                if (type == AE_IFREG && archive_entry_size(e) > 0) {
                        const void *buf;
                        size_t size;
                        la_int64_t offset;
                        while ((r = archive_read_data_block(in, &buf, &size, &offset)) == ARCHIVE_OK)
                                if (archive_write_data_block(out, buf, size, offset) != ARCHIVE_OK)
                                        return set_error(ret_error, "cannot write bundle member '%s': %s", name,
                                                         archive_error_string(out));
                        if (r != ARCHIVE_EOF)
                                return set_error(ret_error, "bundle member '%s' is truncated or corrupt: %s", name,
                                                 archive_error_string(in));
                }
                if (archive_write_finish_entry(out) != ARCHIVE_OK)
                        return set_error(ret_error, "cannot finish bundle member '%s': %s", name, archive_error_string(out));
        }
        if (r != ARCHIVE_EOF)
                return set_error(ret_error, "bundle is not a valid .tar.gz archive: %s", archive_error_string(in));
        if (n == 0)
                return set_error(ret_error, "bundle archive is empty");
        return 0;
}

int bundle_unpack(const void *data, size_t size, const char *dest, char **ret_error) {
        _cleanup_(archive_read_freep) struct archive *in = NULL;
        _cleanup_(archive_write_freep) struct archive *out = NULL;
        int r;

        if (!data || size == 0)
                return set_error(ret_error, "bundle is empty");
        in = archive_read_new();
        out = archive_write_disk_new();
        if (!in || !out)
                return -ENOMEM;
        (void) archive_read_support_filter_gzip(in);
        (void) archive_read_support_format_tar(in);
        (void) archive_read_support_format_gnutar(in);
        /* Members are checked above and written under dest by absolute path, so libarchive's
         * own absolute-path refusal cannot apply; its '..' and symlink-traversal guards still do. */
        (void) archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                   ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME);
        if (archive_read_open_memory(in, data, size) != ARCHIVE_OK)
                return set_error(ret_error, "bundle is not a valid .tar.gz archive: %s", archive_error_string(in));
        if (mkdir(dest, 0755) < 0)
                return -errno;
        r = unpack_members(in, out, dest, ret_error);
        if (r >= 0 && archive_write_close(out) != ARCHIVE_OK)
                r = set_error(ret_error, "cannot unpack bundle: %s", archive_error_string(out));
        if (r < 0)
                (void) rm_rf(dest);
        return r;
}

static bool file_exists_in(const char *dir, const char *name) {
        _cleanup_free_ char *p = NULL;
        struct stat st;
        if (path_join(dir, name, &p) < 0)
                return false;
        return lstat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool dir_exists_in(const char *dir, const char *name) {
        _cleanup_free_ char *p = NULL;
        struct stat st;
        if (path_join(dir, name, &p) < 0)
                return false;
        return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int read_manifest(const char *dir, BundleInfo *b, char **ret_error) {
        _cleanup_free_ char *path = NULL;
        json_error_t jerr;
        json_t *root, *meta, *v;
        int r;

        r = path_join(dir, "manifest.json", &path);
        if (r < 0)
                return r;
        if (!file_exists_in(dir, "manifest.json"))
                return 0;
        root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return set_error(ret_error, "manifest.json line %d: %s", jerr.line, jerr.text);
        meta = json_object_get(root, "metadata");
        if (meta && !json_is_object(meta)) {
                json_decref(root);
                return set_error(ret_error, "manifest.json: 'metadata' must be an object");
        }
        v = json_object_get(meta, "appmode");
        if (v && !json_is_string(v)) {
                json_decref(root);
                return set_error(ret_error, "manifest.json: 'metadata.appmode' must be a string");
        }
        if (v)
                b->app_mode = strdup(json_string_value(v));
        v = json_object_get(meta, "entrypoint");
        if (v && !json_is_string(v)) {
                json_decref(root);
                return set_error(ret_error, "manifest.json: 'metadata.entrypoint' must be a string");
        }
        if (v && *json_string_value(v))
                b->entry_point = strdup(json_string_value(v));
        v = json_object_get(meta, "primary_rmd");
        if (v && !json_is_string(v) && !json_is_null(v)) {
                json_decref(root);
                return set_error(ret_error, "manifest.json: 'metadata.primary_rmd' must be a string");
        }
        if (!b->entry_point && json_is_string(v) && *json_string_value(v))
                b->entry_point = strdup(json_string_value(v));
        v = json_object_get(root, "title");
        if (v && !json_is_string(v) && !json_is_null(v)) {
                json_decref(root);
                return set_error(ret_error, "manifest.json: 'title' must be a string");
        }
        if (json_is_string(v))
                b->title = strdup(json_string_value(v));
        /* The rmarkdown the bundle was built with picks its pandoc (spec §9). */
        v = json_object_get(json_object_get(json_object_get(json_object_get(root, "packages"), "rmarkdown"),
                                            "description"), "Version");
        if (json_is_string(v) && strspn(json_string_value(v), "0123456789.-") == strlen(json_string_value(v)))
                b->rmarkdown_version = strdup(json_string_value(v));
        json_decref(root);
        return 0;
}

/* A dotted Python module name: identifiers (ASCII) joined by single dots. */
static bool python_module_is_valid(const char *m) {
        static const char first[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
        for (const char *s = m;;) {
                size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
                if (n == 0 || !strchr(first, s[0]))
                        return false;
                s += n;
                if (*s == 0)
                        return true;
                if (*s != '.')
                        return false;
                s++;
        }
}

static int check_python_entry(const char *dir, BundleInfo *b, char **ret_error) {
        _cleanup_free_ char *module = NULL, *file = NULL;

        if (!b->entry_point) {
                b->entry_point = strdup("app:app");
                if (!b->entry_point)
                        return -ENOMEM;
        }
        module = strndup(b->entry_point, strcspn(b->entry_point, ":"));
        if (!module)
                return -ENOMEM;
        if (!python_module_is_valid(module))
                return set_error(ret_error, "entry point '%s' is not of the form module:object", b->entry_point);
        for (char *s = module; *s; s++)
                if (*s == '.')
                        *s = '/';
        if (asprintf(&file, "%s.py", module) < 0)
                return -ENOMEM;
        if (file_exists_in(dir, file) || dir_exists_in(dir, module))
                return 0;
        return set_error(ret_error, "bundle has no '%s' for entry point '%s' (mode %s)", file, b->entry_point, b->app_mode);
}

static int check_shiny_entry(const char *dir, BundleInfo *b, char **ret_error) {
        if (b->entry_point && !member_path_is_safe(b->entry_point))
                return set_error(ret_error, "entry point '%s' is not a path inside the bundle", b->entry_point);
        if (b->entry_point && file_exists_in(dir, b->entry_point))
                return 0;
        if (b->entry_point && streq(b->app_mode, "shiny"))
                return set_error(ret_error, "bundle has no '%s', the manifest's entry point", b->entry_point);
        if (streq(b->app_mode, "shiny")) {
                free(b->entry_point);
                b->entry_point = NULL;  /* runApp(".") finds app.R or ui.R/server.R */
                if (file_exists_in(dir, "app.R") || (file_exists_in(dir, "ui.R") && file_exists_in(dir, "server.R")))
                        return 0;
                if (file_exists_in(dir, "server.R"))
                        return set_error(ret_error, "bundle has server.R but no ui.R (or www/index.html) for mode shiny");
                if (file_exists_in(dir, "server.R") || dir_exists_in(dir, "www"))
                        return 0;
                return set_error(ret_error, "bundle has no app.R, and no ui.R with server.R: nothing to run as a Shiny app");
        }
        return set_error(ret_error, "bundle has no R Markdown file '%s' for mode %s",
                         b->entry_point ? b->entry_point : "index.Rmd", b->app_mode);
}

int bundle_inspect(const char *dir, const char *mode_override, BundleInfo **ret, char **ret_error) {
        _cleanup_(bundle_info_freep) BundleInfo *b = calloc(1, sizeof(BundleInfo));
        int r;

        if (!b)
                return -ENOMEM;
        r = read_manifest(dir, b, ret_error);
        if (r < 0)
                return r;
        if (mode_override) {
                free(b->app_mode);
                b->app_mode = strdup(mode_override);
                if (!b->app_mode)
                        return -ENOMEM;
        }
        if (!b->app_mode) {
                if (file_exists_in(dir, "app.R") || (file_exists_in(dir, "ui.R") && file_exists_in(dir, "server.R")))
                        b->app_mode = strdup("shiny");
                else if (file_exists_in(dir, "app.py"))
                        b->app_mode = strdup("python-api");
                else if (bundle_report_infer_mode(dir))
                        b->app_mode = strdup(bundle_report_infer_mode(dir));
                else
                        return set_error(ret_error,
                                         "bundle has no entry point: expected manifest.json with metadata.appmode, "
                                         "app.R, ui.R and server.R, app.py, R Markdown (.Rmd, _site.yml) or "
                                         "HTML files");
                if (!b->app_mode)
                        return -ENOMEM;
        }
        if (!app_mode_is_valid(b->app_mode))
                return set_error(ret_error, "unknown app mode '%s'", b->app_mode);

        if (streq(b->app_mode, "python-api"))
                r = check_python_entry(dir, b, ret_error);
        else if (bundle_report_handles_mode(b->app_mode))
                r = bundle_report_check_entry(dir, b, ret_error);
        else if (streq(b->app_mode, "shiny"))
                r = check_shiny_entry(dir, b, ret_error);
        else
                r = set_error(ret_error, "app mode '%s' is not supported by this Corral yet", b->app_mode);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(b);
        return 0;
}
