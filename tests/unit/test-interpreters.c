/* SPDX-License-Identifier: MIT */
/* Interpreter selection (spec §2): version parsing and R/Python matching. */

#include <stdlib.h>

#include "interpreters.h"
#include "test-helpers.h"

static void check_parse(const char *output, const char *expected) {
        char *v = NULL;
        int r = interpreter_parse_version(output, &v);

        if (!expected)
                CHECK_INTEQ(r, -EBADMSG);
        else {
                CHECK_INTEQ(r, 0);
                CHECK_STREQ(v, expected);
        }
        free(v);
}

static void test_parse(void) {
        check_parse("R version 4.2.2 Patched (2022-11-10 r83330) -- \"Innocent and Trusting\"\nCopyright", "4.2.2");
        check_parse("Rscript (R) version 4.3.1 (2023-06-16)", "4.3.1");
        check_parse("Python 3.11.2\n", "3.11.2");
        check_parse("R version 4.3.", "4.3");
        check_parse("something else", NULL);
        check_parse("version x", NULL);
        check_parse(NULL, NULL);
}

static void test_compare(void) {
        CHECK(interpreter_version_compare("4.10.0", "4.9.3") > 0);
        CHECK(interpreter_version_compare("4.2", "4.2.1") < 0);
        CHECK(interpreter_version_compare("4.2.1", "4.2") > 0);
        CHECK_INTEQ(interpreter_version_compare("3.11.2", "3.11.2"), 0);
        CHECK(interpreter_version_compare("3.6.0", "3.11.0") < 0);
}

static Interpreter rs[] = {
        { .path = (char *) "/usr/bin/R", .version = (char *) "4.2.2" },
        { .path = (char *) "/opt/R/4.3.1/bin/R", .version = (char *) "4.3.1" },
        { .path = (char *) "/opt/R/4.3.0/bin/R", .version = (char *) "4.3.0" },
        { .path = (char *) "/opt/R/3.6.3/bin/R", .version = (char *) "3.6.3" },
};

static void test_select_r(void) {
        size_t n = ELEMENTSOF(rs);

        /* No version recorded: the first configured installation. */
        CHECK_INTEQ(interpreters_select_r(rs, n, NULL, "nearest"), 0);
        CHECK_INTEQ(interpreters_select_r(rs, n, "", "exact"), 0);
        /* Exact wins in every mode. */
        CHECK_INTEQ(interpreters_select_r(rs, n, "4.3.0", "nearest"), 2);
        CHECK_INTEQ(interpreters_select_r(rs, n, "4.3.0", "major-minor"), 2);
        CHECK_INTEQ(interpreters_select_r(rs, n, "4.3.0", "exact"), 2);
        CHECK_INTEQ(interpreters_select_r(rs, n, "3.6.3", "exact"), 3);
        /* Same major.minor: the newest of them. */
        CHECK_INTEQ(interpreters_select_r(rs, n, "4.3.2", "nearest"), 1);
        CHECK_INTEQ(interpreters_select_r(rs, n, "4.3.2", "major-minor"), 1);
        CHECK_INTEQ(interpreters_select_r(rs, n, "4.2.0", "major-minor"), 0);
        CHECK_INTEQ(interpreters_select_r(rs, n, "4.3.2", "exact"), -ENOENT);
        /* Nothing of that major.minor: nearest takes the newest of all, the others refuse. */
        CHECK_INTEQ(interpreters_select_r(rs, n, "4.1.0", "nearest"), 1);
        CHECK_INTEQ(interpreters_select_r(rs, n, "5.0.0", "nearest"), 1);
        CHECK_INTEQ(interpreters_select_r(rs, n, "4.1.0", "major-minor"), -ENOENT);
        CHECK_INTEQ(interpreters_select_r(rs, n, "4.1.0", "exact"), -ENOENT);
        /* "4.3" must not match "4.30". */
        Interpreter odd[] = { { .path = (char *) "/x", .version = (char *) "4.30.1" } };
        CHECK_INTEQ(interpreters_select_r(odd, 1, "4.3.1", "major-minor"), -ENOENT);
        /* Nothing installed, bad mode. */
        CHECK_INTEQ(interpreters_select_r(rs, 0, "4.2.2", "nearest"), -ENOENT);
        CHECK_INTEQ(interpreters_select_r(rs, n, "4.2.2", "closest"), -EINVAL);
}

static void test_select_python(void) {
        Interpreter py[] = {
                { .path = (char *) "/usr/bin/python3", .version = (char *) "3.11.2" },
                { .path = (char *) "/opt/python/3.9.18/bin/python3", .version = (char *) "3.9.18" },
                { .path = (char *) "/opt/python/3.9.2/bin/python3", .version = (char *) "3.9.2" },
        };

        CHECK_INTEQ(interpreters_select_python(py, 3, NULL), 0);
        CHECK_INTEQ(interpreters_select_python(py, 3, "3.11.7"), 0);
        CHECK_INTEQ(interpreters_select_python(py, 3, "3.9.2"), 2);    /* exact */
        CHECK_INTEQ(interpreters_select_python(py, 3, "3.9.5"), 1);    /* newest 3.9 */
        CHECK_INTEQ(interpreters_select_python(py, 3, "3.10.1"), -ENOENT);
        CHECK_INTEQ(interpreters_select_python(py, 3, "2.7.18"), -ENOENT);
        CHECK_INTEQ(interpreters_select_python(py, 0, NULL), -ENOENT);
}

static void test_describe(void) {
        char *s = NULL;

        CHECK_INTEQ(interpreters_describe(rs, 2, &s), 0);
        CHECK_STREQ(s, "4.2.2 (/usr/bin/R), 4.3.1 (/opt/R/4.3.1/bin/R)");
        free(s);
        CHECK_INTEQ(interpreters_describe(rs, 0, &s), 0);
        CHECK_STREQ(s, "none");
        free(s);
}

int main(void) {
        test_parse();
        test_compare();
        test_select_r();
        test_select_python();
        test_describe();
        return TEST_RESULT();
}
