/* SPDX-License-Identifier: MIT */
/* corrald: hosts data-science content, every process a transient systemd unit. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "manager.h"
#include "strv.h"

static const char *arg_config = CORRAL_CONFIG_PATH;
static bool arg_check = false;

static void help(void) {
        printf("corrald [OPTIONS...]\n\n"
               "Hosts data-science content; every content process is a transient systemd unit.\n\n"
               "  -h --help           Show this help\n"
               "     --version        Show the version\n"
               "  -c --config PATH    Read this file instead of " CORRAL_CONFIG_PATH "\n"
               "     --check          Validate the configuration and exit (0 valid, 1 not)\n"
               "\nSee corrald(8) and corral.yaml(5).\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_CHECK,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "config", required_argument, NULL, 'c' },
                { "check", no_argument, NULL, ARG_CHECK },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "hc:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("corrald %s\n", CORRAL_VERSION_STRING);
                        return 0;
                case 'c':
                        arg_config = optarg;
                        break;
                case ARG_CHECK:
                        arg_check = true;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "corrald: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

/* Problems that do not make the file invalid but that an admin wants to hear about, at --check
 * and at start: who can read the file, and configured interpreters that are not there. */
static void warn_config(const Config *c, const char *path) {
        struct stat st;

        if (stat(path, &st) == 0 && (st.st_uid != 0 || (st.st_mode & 077)))
                log_warning("%s: should be owned by root with mode 0600 (it is uid %u, mode %04o).", path,
                            (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
        STRV_FOREACH(e, c->r_executables)
                if (access(*e, X_OK) < 0)
                        log_warning("%s: R.Executable '%s' is not an executable file: R content cannot run.", path, *e);
        STRV_FOREACH(e, c->python_executables)
                if (access(*e, X_OK) < 0)
                        log_warning("%s: Python.Executable '%s' is not an executable file: Python content cannot run.",
                                    path, *e);
}

/* Every proxied connection holds two descriptors: take all the kernel allows. */
static void raise_fd_limit(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return;
        if (geteuid() == 0 && rl.rlim_max < 524288)
                rl.rlim_max = 524288;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
}

static int run(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_free_ char *error = NULL;
        Config *config = NULL;
        const char *level = getenv("CORRAL_LOG_LEVEL");
        int r;

        if (level && log_level_from_string(level) >= 0)
                log_set_max_level(log_level_from_string(level));
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        r = config_load(arg_config, &config, &error);
        if (r < 0) {
                fprintf(stderr, "corrald: %s\n", error ? error : strerror(-r));
                return r;
        }
        warn_config(config, arg_config);
        if (arg_check) {
                printf("%s: valid\n", arg_config);
                config_free(config);
                return 0;
        }
        if (geteuid() != 0)
                return log_error_errno(-EPERM, "corrald must run as root (it starts units as other users).");

        raise_fd_limit();
        r = manager_new(config, &m);
        if (r < 0)
                return r;
        return manager_run(m);
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
