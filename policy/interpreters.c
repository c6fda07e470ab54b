/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interpreters.h"

Interpreter *interpreters_free(Interpreter *list, size_t n) {
        for (size_t i = 0; list && i < n; i++) {
                free(list[i].path);
                free(list[i].version);
        }
        free(list);
        return NULL;
}

/* The dotted number at s ("4.2.2"), or 0 characters. */
static size_t version_span(const char *s) {
        size_t n = 0;

        while (isdigit((unsigned char) s[n]) || (s[n] == '.' && n > 0 && isdigit((unsigned char) s[n + 1])))
                n++;
        return n;
}

int interpreter_parse_version(const char *output, char **ret) {
        static const char * const prefixes[] = { "version ", "Python " };

        if (!output)
                return -EBADMSG;
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                const char *p = strstr(output, prefixes[i]);
                size_t n;

                if (!p)
                        continue;
                p += strlen(prefixes[i]);
                n = version_span(p);
                if (n == 0)
                        continue;
                *ret = strndup(p, n);
                return *ret ? 0 : -ENOMEM;
        }
        return -EBADMSG;
}

int interpreter_version_compare(const char *a, const char *b) {
        while (*a || *b) {
                char *end;
                unsigned long x = strtoul(a, &end, 10);
                bool has_a = end != a;
                a = end;
                unsigned long y = strtoul(b, &end, 10);
                bool has_b = end != b;
                b = end;
                if (has_a != has_b)
                        return has_a ? 1 : -1; /* "4.2.1" > "4.2" */
                if (x != y)
                        return x < y ? -1 : 1;
                a += strcspn(a, ".");
                b += strcspn(b, ".");
                if (*a == '.')
                        a++;
                if (*b == '.')
                        b++;
        }
        return 0;
}

/* Whether a and b agree on major.minor ("4.2.2" and "4.2.0"). */
static bool same_major_minor(const char *a, const char *b) {
        char *ea, *eb;
        unsigned long ma = strtoul(a, &ea, 10), mb = strtoul(b, &eb, 10);

        if (ea == a || eb == b || ma != mb || *ea != '.' || *eb != '.')
                return false;
        a = ea + 1;
        b = eb + 1;
        unsigned long na = strtoul(a, &ea, 10), nb = strtoul(b, &eb, 10);
        return ea != a && eb != b && na == nb;
}

/* The newest installation for which match() holds, or -ENOENT. */
static int pick_newest(const Interpreter *list, size_t n, const char *requested,
                       bool (*match)(const char *have, const char *want)) {
        int best = -ENOENT;

        for (size_t i = 0; i < n; i++) {
                if (!list[i].version || (match && !match(list[i].version, requested)))
                        continue;
                if (best < 0 || interpreter_version_compare(list[i].version, list[best].version) > 0)
                        best = (int) i;
        }
        return best;
}

static bool same_version(const char *have, const char *want) {
        return interpreter_version_compare(have, want) == 0;
}

int interpreters_select_r(const Interpreter *list, size_t n, const char *requested, const char *matching) {
        bool nearest, major_minor;
        int r;

        if (!matching || streq(matching, "nearest"))
                nearest = true, major_minor = true;
        else if (streq(matching, "major-minor"))
                nearest = false, major_minor = true;
        else if (streq(matching, "exact"))
                nearest = false, major_minor = false;
        else
                return -EINVAL;
        if (n == 0)
                return -ENOENT;
        if (!requested || !*requested)
                return 0;
        r = pick_newest(list, n, requested, same_version);
        if (r >= 0 || !major_minor)
                return r;
        r = pick_newest(list, n, requested, same_major_minor);
        if (r >= 0 || !nearest)
                return r;
        return pick_newest(list, n, NULL, NULL);
}

int interpreters_select_python(const Interpreter *list, size_t n, const char *requested) {
        int r;

        if (n == 0)
                return -ENOENT;
        if (!requested || !*requested)
                return 0;
        r = pick_newest(list, n, requested, same_version);
        if (r >= 0)
                return r;
        return pick_newest(list, n, requested, same_major_minor);
}

int interpreters_describe(const Interpreter *list, size_t n, char **ret) {
        char *s = NULL;
        size_t size = 0;
        FILE *f;

        if (n == 0) {
                *ret = strdup("none");
                return *ret ? 0 : -ENOMEM;
        }
        f = open_memstream(&s, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s%s (%s)", i > 0 ? ", " : "", list[i].version ? list[i].version : "unknown",
                        list[i].path ? list[i].path : "?");
        if (fclose(f) != 0) {
                free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}
