/* SPDX-License-Identifier: MIT */
/* Reports (spec §10): a site's output dir, the move of its output to the root, retention, names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "macro.h"
#include "render-files.h"
#include "reports.h"
#include "test-helpers.h"

static void check_output_dir(const char *yaml, const char *expected) {
        _cleanup_free_ char *dir = NULL, *error = NULL;
        int r = report_site_output_dir(yaml, strlen(yaml), &dir, &error);
        CHECK_INTEQ(r, 0);
        if (expected)
                CHECK_STREQ(dir, expected);
        else
                CHECK(dir == NULL);
}

static void check_output_dir_refused(const char *yaml, const char *needle) {
        _cleanup_free_ char *dir = NULL, *error = NULL;
        CHECK_INTEQ(report_site_output_dir(yaml, strlen(yaml), &dir, &error), -EINVAL);
        CHECK(error && strstr(error, needle));
}

static void test_site_output_dir(void) {
        check_output_dir("", "_site");
        check_output_dir("name: x\n", "_site");
        check_output_dir("name: x\noutput_dir: docs\n", "docs");
        check_output_dir("output_dir: \"./out//html/\"\n", "out/html");
        check_output_dir("output_dir: \".\"\n", NULL);
        check_output_dir("output_dir: ./\n", NULL);
        check_output_dir("output_dir: ~\n", "_site");
        check_output_dir("navbar:\n  output_dir: nested\n  left: [a, b]\nname: x\n", "_site");
        check_output_dir("navbar: {left: [{text: a, output_dir: z}]}\noutput_dir: pub\n", "pub");
        check_output_dir_refused("output_dir: /etc\n", "not a path inside");
        check_output_dir_refused("output_dir: ../up\n", "'..'");
        check_output_dir_refused("output_dir: a/../../b\n", "'..'");
        check_output_dir_refused("output_dir: [a]\n", "must be a string");
        check_output_dir_refused("output_dir: \"unterminated\n", "does not parse");
        char deep[200] = "";
        for (int i = 0; i < 20; i++)
                strcat(deep, "[");
        check_output_dir_refused(deep, "deeper");
}

static void write_file(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *p = NULL;
        CHECK(path_join(dir, name, &p) >= 0);
        FILE *f = fopen(p, "w");
        CHECK(f != NULL);
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

static bool exists(const char *dir, const char *name) {
        _cleanup_free_ char *p = NULL;
        struct stat st;
        return path_join(dir, name, &p) >= 0 && lstat(p, &st) == 0;
}

static void make_site(const char *dest, const char *out) {
        _cleanup_free_ char *o = NULL, *sub = NULL;
        (void) rm_rf(dest);
        CHECK(mkdir_p(dest, 0755) >= 0);
        write_file(dest, "index.Rmd", "source");
        write_file(dest, "_site.yml", "name: x");
        CHECK(path_join(dest, out, &o) >= 0);
        CHECK(mkdir_p(o, 0755) >= 0);
        write_file(o, "index.html", "output");
        CHECK(path_join(o, "site_libs", &sub) >= 0);
        CHECK(mkdir_p(sub, 0755) >= 0);
        write_file(sub, "x.js", "js");
}

static void test_site_move(const char *tmp) {
        _cleanup_free_ char *dest = NULL, *text = NULL, *outside = NULL;

        CHECK(path_join(tmp, "site", &dest) >= 0);
        make_site(dest, "_site");
        CHECK_INTEQ(render_site_move_output(dest, "_site"), 0);
        CHECK(exists(dest, "index.html") && exists(dest, "site_libs/x.js"));
        CHECK(!exists(dest, "index.Rmd") && !exists(dest, "_site.yml") && !exists(dest, "_site"));
        CHECK(!exists(dest, ".corral-site-output"));
        CHECK_INTEQ(render_read_small_file(dest, "index.html", 100, &text), 0);
        CHECK_STREQ(text, "output");

        /* A nested output dir whose top component collides with an output name. */
        make_site(dest, "docs/docs");
        CHECK_INTEQ(render_site_move_output(dest, "docs/docs"), 0);
        CHECK(exists(dest, "index.html") && !exists(dest, "docs") && !exists(dest, "index.Rmd"));

        /* In place: nothing moves. */
        make_site(dest, "_site");
        CHECK_INTEQ(render_site_move_output(dest, NULL), 0);
        CHECK(exists(dest, "index.Rmd") && exists(dest, "_site/index.html"));

        /* Missing output, or a link planted in its place: refused, the tree left alone. */
        make_site(dest, "_site");
        CHECK_INTEQ(render_site_move_output(dest, "other"), -ENOENT);
        CHECK(exists(dest, "index.Rmd"));
        CHECK(path_join(tmp, "outside", &outside) >= 0);
        (void) rm_rf(outside);
        CHECK(mkdir_p(outside, 0755) >= 0);
        write_file(outside, "secret", "s");
        {
                _cleanup_free_ char *link = NULL;
                CHECK(path_join(dest, "linked", &link) >= 0);
                CHECK(symlink(outside, link) == 0);
        }
        CHECK_INTEQ(render_site_move_output(dest, "linked"), -ENOENT);
        CHECK(exists(outside, "secret") && exists(dest, "index.Rmd"));
        (void) rm_rf(dest);
        (void) rm_rf(outside);
}

static void test_small_file(const char *tmp) {
        _cleanup_free_ char *text = NULL, *link = NULL;
        write_file(tmp, "primary", "report.html\n\n");
        CHECK_INTEQ(render_read_small_file(tmp, "primary", 100, &text), 0);
        CHECK_STREQ(text, "report.html");
        CHECK_INTEQ(render_read_small_file(tmp, "primary", 3, &text), -EFBIG);
        CHECK(path_join(tmp, "link", &link) >= 0);
        (void) unlink(link);
        CHECK(symlink("/etc/passwd", link) == 0);
        CHECK_INTEQ(render_read_small_file(tmp, "link", 100000, &text), -ELOOP);
        CHECK_INTEQ(render_read_small_file(tmp, "missing", 100, &text), -ENOENT);
}

static void test_retention(void) {
        bool del[16];
        /* Newest first: 12 finished renderings, keep 10 → the 2 oldest go. */
        RenderingView v[12];
        for (int i = 0; i < 12; i++)
                v[i] = (RenderingView) { .id = 12 - i };
        CHECK_INTEQ(report_retention_select(v, 12, 10, del), 2);
        CHECK(!del[9] && del[10] && del[11]);
        /* The active one is kept wherever it is, and counts; running ones are never touched. */
        v[11].active = true;
        v[0].running = true;
        CHECK_INTEQ(report_retention_select(v, 12, 10, del), 1);
        CHECK(!del[0] && !del[11] && !del[1] && !del[9] && del[10]);
        /* keep 0 means 1: the active one alone stays. */
        CHECK_INTEQ(report_retention_select(v, 12, 0, del), 10);
        CHECK(!del[0] && !del[11] && del[1]);
        CHECK_INTEQ(report_retention_select(v, 0, 10, del), 0);
}

static void test_names(void) {
        _cleanup_free_ char *a = NULL, *b = NULL, *stem = NULL;
        CHECK(report_variant_name_is_valid("default"));
        CHECK(report_variant_name_is_valid("Q4-2024_eu"));
        CHECK(!report_variant_name_is_valid(""));
        CHECK(!report_variant_name_is_valid("a b"));
        CHECK(!report_variant_name_is_valid("../x"));
        CHECK(report_calendar_is_plausible("Mon..Fri *-*-* 07:00"));
        CHECK(!report_calendar_is_plausible(""));
        CHECK(!report_calendar_is_plausible("daily\n"));
        CHECK_INTEQ(report_schedule_unit_name("0123abcd-ef01-4000-8000-000000000000", 7, "daily", &a), 0);
        CHECK_INTEQ(report_schedule_unit_name("0123abcd-ef01-4000-8000-000000000000", 7, "weekly", &b), 0);
        CHECK_INTEQ(report_schedule_unit_name("0123abcd-ef01-4000-8000-000000000000", 7, NULL, &stem), 0);
        CHECK_STREQ(stem, "corral-schedule-0123abcd-7");
        CHECK(a && b && strncmp(a, stem, strlen(stem)) == 0 && !streq(a, b));
        char *none = NULL;
        CHECK_INTEQ(report_schedule_unit_name("x", 0, "daily", &none), -EINVAL);
}

int main(void) {
        const char *base = getenv("CORRAL_TEST_TMP") ?: "/tmp";
        _cleanup_free_ char *tmp = NULL;

        if (asprintf(&tmp, "%s/test-reports.%d", base, (int) getpid()) < 0 || mkdir_p(tmp, 0755) < 0)
                return 1;
        test_site_output_dir();
        test_site_move(tmp);
        test_small_file(tmp);
        test_retention();
        test_names();
        (void) rm_rf(tmp);
        return TEST_RESULT();
}
