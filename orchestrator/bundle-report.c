/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "bundle-report.h"
#include "fs-util.h"
#include "render-files.h"
#include "strv.h"

static int set_error(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int set_error(char **ret_error, const char *fmt, ...) {
        va_list ap;
        if (ret_error) {
                free(*ret_error);
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return -EBADMSG;
}

static bool has_suffix_ci(const char *s, const char *suffix) {
        size_t n = strlen(s), k = strlen(suffix);
        return n > k && strcasecmp(s + n - k, suffix) == 0;
}

static bool regular_file_in(const char *dir, const char *name) {
        _cleanup_free_ char *p = NULL;
        struct stat st;
        return path_join(dir, name, &p) >= 0 && lstat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The regular files at the top of dir whose names end in suffix (case-insensitive), sorted. */
static int list_files(const char *dir, const char *suffix, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        DIR *d = opendir(dir);
        int r = 0;

        if (!l || !d) {
                if (d)
                        closedir(d);
                return l ? -errno : -ENOMEM;
        }
        for (struct dirent *de; r >= 0 && (de = readdir(d));)
                if (has_suffix_ci(de->d_name, suffix) && regular_file_in(dir, de->d_name))
                        r = strv_extend(&l, de->d_name);
        closedir(d);
        if (r < 0)
                return r;
        qsort(l, strv_length(l), sizeof(char *), (int (*)(const void *, const void *)) strcmp);
        *ret = TAKE_PTR(l);
        return 0;
}

/* index.<ext> if present, else the only file of that kind; NULL (with *ret_n) otherwise. */
static char *primary_file(const char *dir, const char *suffix, const char *index, size_t *ret_n, char **ret_list) {
        _cleanup_strv_free_ char **l = NULL;
        if (list_files(dir, suffix, &l) < 0)
                return NULL;
        *ret_n = strv_length(l);
        STRV_FOREACH(f, l)
                if (strcasecmp(*f, index) == 0)
                        return strdup(*f);
        if (*ret_n == 1)
                return strdup(l[0]);
        if (ret_list && *ret_n > 1) {
                size_t size = 0;
                STRV_FOREACH(f, l)
                        size += strlen(*f) + 2;
                *ret_list = calloc(1, size + 1);
                STRV_FOREACH(f, l)
                        if (*ret_list) {
                                if (**ret_list)
                                        strcat(*ret_list, ", ");
                                strcat(*ret_list, *f);
                        }
        }
        return NULL;
}

/* Whether the YAML header of the R Markdown file says runtime: shiny (or shiny_prerendered). */
static bool rmd_is_shiny(const char *dir, const char *file) {
        _cleanup_free_ char *text = NULL;
        if (render_read_small_file(dir, file, 4 * 1024 * 1024, &text) < 0)
                return false;
        const char *s = text + strspn(text, " \t\r\n");
        if (strncmp(s, "---", 3) != 0)
                return false;
        const char *end = strstr(s + 3, "\n---");
        for (const char *line = strchr(s, '\n'); line && (!end || line < end); line = strchr(line + 1, '\n')) {
                const char *l = line + 1;
                if (strncmp(l, "runtime:", 8) != 0)
                        continue;
                l += 8;
                l += strspn(l, " \t\"'");
                return strncmp(l, "shiny", 5) == 0;
        }
        return false;
}

const char *bundle_report_infer_mode(const char *dir) {
        _cleanup_free_ char *rmd = NULL, *html = NULL;
        size_t n = 0, m = 0;

        if (regular_file_in(dir, "_site.yml"))
                return "rmd-static";
        rmd = primary_file(dir, ".Rmd", "index.Rmd", &n, NULL);
        if (rmd)
                return rmd_is_shiny(dir, rmd) ? "rmd-shiny" : "rmd-static";
        if (n > 0)
                return "rmd-static"; /* several: the entry check says which to name */
        html = primary_file(dir, ".html", "index.html", &m, NULL);
        if (html || m > 0)
                return "static";
        return NULL;
}

bool bundle_report_handles_mode(const char *app_mode) {
        return app_mode && (streq(app_mode, "rmd-static") || streq(app_mode, "rmd-shiny") || streq(app_mode, "static"));
}

static bool entry_is_safe(const char *p) {
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

int bundle_report_check_entry(const char *dir, BundleInfo *b, char **ret_error) {
        bool is_static = streq(b->app_mode, "static");
        const char *suffix = is_static ? ".html" : ".Rmd", *index = is_static ? "index.html" : "index.Rmd";
        _cleanup_free_ char *list = NULL;
        size_t n = 0;

        if (b->entry_point) {
                if (!entry_is_safe(b->entry_point))
                        return set_error(ret_error, "entry point '%s' is not a path inside the bundle", b->entry_point);
                if (regular_file_in(dir, b->entry_point))
                        return 0;
                return set_error(ret_error, "bundle has no '%s', the manifest's entry point (mode %s)", b->entry_point,
                                 b->app_mode);
        }
        /* A site renders as a whole (render_site), from _site.yml. */
        if (streq(b->app_mode, "rmd-static") && regular_file_in(dir, "_site.yml"))
                return 0;
        b->entry_point = primary_file(dir, suffix, index, &n, &list);
        if (b->entry_point)
                return 0;
        if (n > 1)
                return set_error(ret_error, "bundle has several %s files (%s) and no %s: name the primary one in "
                                 "manifest.json (metadata.%s)", suffix, list ? list : "", index,
                                 is_static ? "entrypoint" : "primary_rmd");
        if (is_static)
                return set_error(ret_error, "bundle has no index.html (nor any .html file) for mode static");
        return set_error(ret_error, "bundle has no R Markdown file (index.Rmd or another .Rmd) for mode %s",
                         b->app_mode);
}
