/* SPDX-License-Identifier: MIT */
#pragma once

/* A tiny assertion kit for the unit tests: each failed check prints where and why and makes the
 * test exit non-zero at the end. */

#include <stdio.h>
#include <string.h>

static int test_failures;

#define CHECK(cond)                                                                          \
        do {                                                                                 \
                if (!(cond)) {                                                               \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
                        test_failures++;                                                     \
                }                                                                            \
        } while (0)

#define CHECK_STREQ(a, b)                                                                    \
        do {                                                                                 \
                const char *_a = (a), *_b = (b);                                             \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                     \
                        fprintf(stderr, "%s:%d: '%s' != '%s'\n", __FILE__, __LINE__,         \
                                _a ? _a : "(null)", _b ? _b : "(null)");                     \
                        test_failures++;                                                     \
                }                                                                            \
        } while (0)

#define CHECK_INTEQ(a, b)                                                                    \
        do {                                                                                 \
                long long _a = (long long) (a), _b = (long long) (b);                        \
                if (_a != _b) {                                                              \
                        fprintf(stderr, "%s:%d: %s = %lld, expected %lld\n", __FILE__, __LINE__, \
                                #a, _a, _b);                                                 \
                        test_failures++;                                                     \
                }                                                                            \
        } while (0)

#define TEST_RESULT() (test_failures == 0 ? 0 : (fprintf(stderr, "%d check(s) failed\n", test_failures), 1))
