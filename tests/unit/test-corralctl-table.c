/* SPDX-License-Identifier: MIT */
/* corralctl's pure parts: the table formatter, argv parsing, names, URL escaping, finding corrald. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "args.h"
#include "ctl-util.h"
#include "fs-util.h"
#include "table.h"
#include "verbs.h"

#define ASSERT(expr)                                                                    \
        do {                                                                            \
                if (!(expr)) {                                                          \
                        fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__,      \
                                __LINE__, #expr);                                       \
                        abort();                                                        \
                }                                                                       \
        } while (0)

#define ASSERT_STREQ(a, b)                                                              \
        do {                                                                            \
                const char *_a = (a), *_b = (b);                                        \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                \
                        fprintf(stderr, "%s:%d: expected:\n%s\ngot:\n%s\n", __FILE__,   \
                                __LINE__, _b ?: "(null)", _a ?: "(null)");              \
                        abort();                                                        \
                }                                                                       \
        } while (0)

static void test_table(void) {
        _cleanup_table_ Table *t = NULL;
        _cleanup_free_ char *s = NULL;

        ASSERT(table_new(&t, 3, "GUID", "TITLE", "URL") == 0);
        ASSERT(table_rows(t) == 0);
        ASSERT(table_add_row(t, "abc", "Sales dashboard", "http://x/content/abc/") == 0);
        ASSERT(table_add_row(t, "d", NULL, "") == 0);
        ASSERT(table_add_row(t, "éé", "Käse", "u") == 0);
        ASSERT(table_rows(t) == 3);
        ASSERT(table_format(t, &s) == 0);
        ASSERT_STREQ(s,
                     "GUID  TITLE            URL\n"
                     "abc   Sales dashboard  http://x/content/abc/\n"
                     "d     -                -\n"
                     "éé    Käse             u\n");

        for (char *p = s; (p = strchr(p, '\n')); p++)
                ASSERT(p == s || p[-1] != ' ');
        printf("ok: table\n");
}

static void test_table_one_column(void) {
        _cleanup_table_ Table *t = NULL;
        _cleanup_free_ char *s = NULL;

        ASSERT(table_new(&t, 0) == -EINVAL);
        ASSERT(table_new(&t, 1, "KEY") == 0);
        ASSERT(table_format(t, &s) == 0);
        ASSERT_STREQ(s, "KEY\n");
        printf("ok: table with one column and no rows\n");
}

static void test_slugify(void) {
        static const char *cases[][2] = {
                { "Sales Dashboard", "sales-dashboard" },
                { "  --My  App!!--  ", "my-app" },
                { "app_v2.1", "app-v2-1" },
                { "Käse", "k-se" },
                { "!!!", "content" },
                { "", "content" },
        };
        _cleanup_free_ char *longest = NULL;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *s = NULL;
                ASSERT(ctl_slugify(cases[i][0], &s) == 0);
                ASSERT_STREQ(s, cases[i][1]);
        }

        ASSERT(ctl_slugify("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbb", &longest) == 0);
        ASSERT(strlen(longest) <= 64);
        ASSERT(longest[strlen(longest) - 1] != '-');
        printf("ok: slugify\n");
}

static void test_escape_and_names(void) {
        static const char *bases[][2] = {
                { "/srv/apps/dash/", "dash" },
                { "dash", "dash" },
                { "./bundle.tar.gz", "bundle" },
                { "x/y.tgz", "y" },
                { "/", "/" },
        };
        _cleanup_free_ char *e = NULL;

        ASSERT(ctl_url_escape("a b/c?d=é~-._", &e) == 0);
        ASSERT_STREQ(e, "a%20b%2Fc%3Fd%3D%C3%A9~-._");

        for (size_t i = 0; i < ELEMENTSOF(bases); i++) {
                _cleanup_free_ char *s = NULL;
                ASSERT(ctl_bundle_basename(bases[i][0], &s) == 0);
                ASSERT_STREQ(s, bases[i][1]);
        }

        ASSERT(ctl_endswith("x.tar.gz", ".tar.gz"));
        ASSERT(!ctl_endswith("gz", ".tar.gz"));
        printf("ok: URL escaping and bundle names\n");
}

static void test_json_cell(void) {
        static const char *cases[][2] = {
                { "\"text\"", "text" },
                { "null", "-" },
                { "3", "3" },
                { "true", "true" },
                { "[1,\"a\"]", "[1,\"a\"]" },
                { "\"two\\nlines\\t\"", "two?lines?" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *s = NULL;
                json_t *v = json_loads(cases[i][0], JSON_DECODE_ANY, NULL);
                ASSERT(v);
                ASSERT(ctl_json_to_cell(v, &s) == 0);
                ASSERT_STREQ(s, cases[i][1]);
                json_decref(v);
        }
        {
                _cleanup_free_ char *s = NULL;
                ASSERT(ctl_json_to_cell(NULL, &s) == 0);
                ASSERT_STREQ(s, "-");
        }
        printf("ok: JSON cells\n");
}

#define PARSE(ret, ...)                                                                 \
        ({                                                                              \
                char *_argv[] = { (char *) "corralctl", __VA_ARGS__, NULL };            \
                ctl_parse_argv((int) ELEMENTSOF(_argv) - 1, _argv, NULL, (ret));        \
        })

static void test_parse_argv(void) {
        CtlArgs a;

        ASSERT(PARSE(&a, (char *) "deploy", (char *) ".", (char *) "--title", (char *) "My App",
                     (char *) "--mode=shiny") == 0);
        ASSERT(a.n_args == 2);
        ASSERT_STREQ(a.args[0], "deploy");
        ASSERT_STREQ(a.args[1], ".");
        ASSERT_STREQ(a.title, "My App");
        ASSERT_STREQ(a.mode, "shiny");
        ASSERT(!a.content && !a.json && !a.server && !a.socket_path);

        ASSERT(PARSE(&a, (char *) "--json", (char *) "ps", (char *) "abc", (char *) "--socket", (char *) "/tmp/s") == 0);
        ASSERT(a.json && a.n_args == 2);
        ASSERT_STREQ(a.socket_path, "/tmp/s");

        ASSERT(PARSE(&a, (char *) "--help") == 0);
        ASSERT(a.help && a.n_args == 0);
        ASSERT(PARSE(&a, (char *) "--version") == 0);
        ASSERT(a.version);

        /* Usage errors. */
        ASSERT(PARSE(&a, (char *) "--bogus", (char *) "list") == -EINVAL);
        ASSERT(PARSE(&a, (char *) "-q", (char *) "list") == -EINVAL);
        ASSERT(PARSE(&a, (char *) "list", (char *) "--socket") == -EINVAL);
        ASSERT(PARSE(&a, (char *) "list", (char *) "--socket", (char *) "relative") == -EINVAL);
        ASSERT(PARSE(&a, (char *) "list", (char *) "--title", (char *) "x") == -EINVAL);
        ASSERT(PARSE(&a, (char *) "--json") == -EINVAL);
        ASSERT(PARSE(&a, (char *) "list", (char *) "--server", (char *) "ftp://x") == -EINVAL);
        ASSERT(PARSE(&a, (char *) "list", (char *) "--server", (char *) "http://x",
                     (char *) "--socket", (char *) "/s") == -EINVAL);

        /* $CORRAL_SERVER is the default for --server. */
        {
                char *argv[] = { (char *) "corralctl", (char *) "list", NULL };
                ASSERT(ctl_parse_argv(2, argv, "https://corral.example:3939/", &a) == 0);
                ASSERT_STREQ(a.server, "https://corral.example:3939/");
        }
        {
                char *argv[] = { (char *) "corralctl", (char *) "--server", (char *) "http://a", (char *) "list", NULL };
                ASSERT(ctl_parse_argv(4, argv, "http://b", &a) == 0);
                ASSERT_STREQ(a.server, "http://a");
        }
        printf("ok: argv parsing\n");
}

static void test_find_corrald(void) {
        const char *base = getenv("CORRAL_TEST_TMP") ?: "/tmp";
        _cleanup_free_ char *root = NULL, *self = NULL, *corrald = NULL, *bin = NULL, *found = NULL;

        ASSERT(unsetenv("CORRALD") == 0);
        ASSERT(mkdir_p(base, 0755) >= 0);
        ASSERT(asprintf(&root, "%s/corralctl-find-XXXXXX", base) >= 0);
        ASSERT(mkdtemp(root));
        ASSERT(asprintf(&self, "%s/build/corralctl/corralctl", root) >= 0);
        ASSERT(asprintf(&corrald, "%s/build/orchestrator/corrald", root) >= 0);
        ASSERT(asprintf(&bin, "%s/bin", root) >= 0);

        ASSERT(ctl_find_corrald(self, NULL, NULL, &found) == -ENOENT);
        ASSERT(ctl_find_corrald(self, "/nonexistent:", "/nonexistent", &found) == -ENOENT);

        /* On the search path ... */
        ASSERT(mkdir_p(bin, 0755) >= 0);
        {
                _cleanup_free_ char *p = NULL;
                ASSERT(path_join(bin, "corrald", &p) >= 0);
                ASSERT(write_file_atomic(p, "#!/bin/sh\n", 10, 0755) >= 0);
                ASSERT(ctl_find_corrald(self, "/nonexistent::", NULL, &found) == -ENOENT);
        }
        {
                _cleanup_free_ char *path = NULL;
                char *p;
                ASSERT(asprintf(&path, "/nonexistent:%s", bin) >= 0);
                ASSERT(ctl_find_corrald(self, path, NULL, &found) == 0);
                ASSERT(ctl_endswith(found, "/bin/corrald"));
                free(found);
                found = NULL;

                /* ... but the build tree next to corralctl comes first. */
                ASSERT(asprintf(&p, "%s/build/corralctl", root) >= 0);
                ASSERT(mkdir_p(p, 0755) >= 0);
                free(p);
                ASSERT(asprintf(&p, "%s/build/orchestrator", root) >= 0);
                ASSERT(mkdir_p(p, 0755) >= 0);
                free(p);
                ASSERT(write_file_atomic(corrald, "#!/bin/sh\n", 10, 0755) >= 0);
                ASSERT(ctl_find_corrald(self, path, NULL, &found) == 0);
                ASSERT(ctl_endswith(found, "/build/corralctl/../orchestrator/corrald"));
                free(found);
                found = NULL;

                /* And $CORRALD before everything. */
                ASSERT(setenv("CORRALD", "/opt/x/corrald", 1) == 0);
                ASSERT(ctl_find_corrald(self, path, NULL, &found) == 0);
                ASSERT_STREQ(found, "/opt/x/corrald");
                ASSERT(unsetenv("CORRALD") == 0);
        }

        (void) rm_rf(root);
        printf("ok: finding corrald\n");
}

int main(void) {
        test_table();
        test_table_one_column();
        test_slugify();
        test_escape_and_names();
        test_json_cell();
        test_parse_argv();
        test_find_corrald();
        return 0;
}
