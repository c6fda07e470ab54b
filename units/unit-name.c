/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "macro.h"
#include "process-kind.h"
#include "unit-name.h"

int job_key_new(char *buf, size_t size) {
        uint8_t bytes[JOB_KEY_LENGTH / 2];
        static const char hex[] = "0123456789abcdef";

        if (size < JOB_KEY_LENGTH + 1)
                return -EINVAL;
        if (getrandom(bytes, sizeof bytes, 0) != (ssize_t) sizeof bytes)
                return -EIO;
        for (size_t i = 0; i < sizeof bytes; i++) {
                buf[2 * i] = hex[bytes[i] >> 4];
                buf[2 * i + 1] = hex[bytes[i] & 15];
        }
        buf[JOB_KEY_LENGTH] = 0;
        return 0;
}

bool job_key_is_valid(const char *s) {
        if (!s || strlen(s) != JOB_KEY_LENGTH)
                return false;
        return strspn(s, "0123456789abcdef") == JOB_KEY_LENGTH;
}

static bool short_guid_char_ok(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int unit_name_build(const char *tag, const char *guid, const char *job_key, char **ret) {
        char short_guid[SHORT_GUID_LENGTH + 1];
        char *s = NULL;

        if (process_kind_from_tag(tag) < 0 || !guid || !job_key_is_valid(job_key))
                return -EINVAL;
        /* The short GUID is the GUID's first hex digits, dashes skipped. */
        size_t n = 0;
        for (const char *p = guid; *p && n < SHORT_GUID_LENGTH; p++) {
                if (*p == '-')
                        continue;
                if (!short_guid_char_ok(*p))
                        return -EINVAL;
                short_guid[n++] = *p;
        }
        if (n < SHORT_GUID_LENGTH)
                return -EINVAL;
        short_guid[n] = 0;
        if (asprintf(&s, UNIT_NAME_PREFIX "%s-%s-%s.service", tag, short_guid, job_key) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int unit_name_parse(const char *name, char **ret_tag, char **ret_job_key) {
        const char *p, *dash, *suffix;
        _cleanup_free_ char *tag = NULL, *key = NULL;

        if (!name || strncmp(name, UNIT_NAME_PREFIX, strlen(UNIT_NAME_PREFIX)) != 0)
                return -EINVAL;
        suffix = strrchr(name, '.');
        if (!suffix || !streq(suffix, ".service"))
                return -EINVAL;
        p = name + strlen(UNIT_NAME_PREFIX);
        dash = strchr(p, '-');
        if (!dash)
                return -EINVAL;
        tag = strndup(p, (size_t) (dash - p));
        if (!tag)
                return -ENOMEM;
        if (process_kind_from_tag(tag) < 0)
                return -EINVAL;
        p = dash + 1;
        dash = strchr(p, '-');
        if (!dash || dash - p != SHORT_GUID_LENGTH)
                return -EINVAL;
        key = strndup(dash + 1, (size_t) (suffix - dash - 1));
        if (!key)
                return -ENOMEM;
        if (!job_key_is_valid(key))
                return -EINVAL;
        if (ret_tag)
                *ret_tag = TAKE_PTR(tag);
        if (ret_job_key)
                *ret_job_key = TAKE_PTR(key);
        return 0;
}
