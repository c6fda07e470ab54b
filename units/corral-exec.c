/* SPDX-License-Identifier: MIT */
/* corral-exec: the first program of every content unit. It adds the content's own environment
 * variables, which corrald hands over as a systemd credential (a root-only file PID 1 copies into
 * the unit's private credentials directory) instead of Environment=, so that other local users
 * cannot read them with `systemctl show` or over D-Bus; then it execs the rest of its command line
 * (the supervisor, if any, then the runner).
 *
 * Usage: corral-exec [--env-credential NAME] -- COMMAND [ARGS...]
 * The credential holds NAME=VALUE entries separated by NUL bytes. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs-util.h"
#include "macro.h"

#define MAX_CREDENTIAL (64U * 1024U * 1024U)

static int load_env(const char *name) {
        const char *dir = getenv("CREDENTIALS_DIRECTORY");
        _cleanup_free_ char *path = NULL, *data = NULL;
        size_t size = 0;
        int r;

        if (!dir)
                return -ENOENT;
        if (strchr(name, '/') || asprintf(&path, "%s/%s", dir, name) < 0)
                return -EINVAL;
        r = read_full_file(path, MAX_CREDENTIAL, &data, &size);
        if (r < 0)
                return r;
        for (size_t off = 0; off < size;) {
                char *entry = data + off;
                size_t len = strnlen(entry, size - off);
                char *eq = memchr(entry, '=', len);
                off += len + 1;
                if (!eq || eq == entry)
                        continue;
                *eq = 0;
                /* corrald already refused reserved names; never let an entry replace what systemd set. */
                if (getenv(entry))
                        continue;
                if (setenv(entry, eq + 1, 0) < 0)
                        return -errno;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        int i = 1, r;

        if (i + 1 < argc && streq(argv[i], "--env-credential")) {
                r = load_env(argv[i + 1]);
                if (r < 0) {
                        errno = -r;
                        fprintf(stderr, "corral-exec: cannot read the content's environment (credential '%s'): %m\n",
                                argv[i + 1]);
                        return 126;
                }
                i += 2;
        }
        if (i < argc && streq(argv[i], "--"))
                i++;
        if (i >= argc) {
                fprintf(stderr, "corral-exec: no command given\n");
                return 127;
        }
        execv(argv[i], argv + i);
        fprintf(stderr, "corral-exec: cannot run '%s': %m\n", argv[i]);
        return errno == ENOENT ? 127 : 126;
}
