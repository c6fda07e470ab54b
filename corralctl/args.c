/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "args.h"
#include "ctl-util.h"

static int usage_error(const char *what) {
        (void) ctl_error("%s See 'corralctl --help'.", what);
        return -EINVAL;
}

int ctl_parse_argv(int argc, char *argv[], const char *server_env, CtlArgs *ret) {
        enum {
                ARG_VERSION = 0x100,
                ARG_SOCKET,
                ARG_SERVER,
                ARG_JSON,
                ARG_TITLE,
                ARG_MODE,
                ARG_CONTENT,
                ARG_DEFAULT,
                ARG_VARIANT,
                ARG_NO_ACTIVATE,
                ARG_SCHEDULED,
                ARG_NONE,
        };
        static const struct option options[] = {
                { "help",    no_argument,       NULL, 'h'         },
                { "version", no_argument,       NULL, ARG_VERSION },
                { "socket",  required_argument, NULL, ARG_SOCKET  },
                { "server",  required_argument, NULL, ARG_SERVER  },
                { "json",    no_argument,       NULL, ARG_JSON    },
                { "title",   required_argument, NULL, ARG_TITLE   },
                { "mode",    required_argument, NULL, ARG_MODE    },
                { "content", required_argument, NULL, ARG_CONTENT },
                { "default", no_argument,       NULL, ARG_DEFAULT },
                { "variant", required_argument, NULL, ARG_VARIANT },
                { "no-activate", no_argument,   NULL, ARG_NO_ACTIVATE },
                { "scheduled", no_argument,     NULL, ARG_SCHEDULED },
                { "follow",  no_argument,       NULL, 'f'         },
                { "none",    no_argument,       NULL, ARG_NONE    },
                {}
        };
        CtlArgs a = {};
        char msg[256];
        int c;

        /* The caller may parse more than once (tests do); start getopt afresh. */
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":hf", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        a.help = true;
                        break;
                case ARG_VERSION:
                        a.version = true;
                        break;
                case ARG_SOCKET:
                        if (*optarg != '/')
                                return usage_error("--socket needs an absolute path.");
                        a.socket_path = optarg;
                        break;
                case ARG_SERVER:
                        a.server = optarg;
                        break;
                case ARG_JSON:
                        a.json = true;
                        break;
                case ARG_TITLE:
                        a.title = optarg;
                        break;
                case ARG_MODE:
                        a.mode = optarg;
                        break;
                case ARG_CONTENT:
                        a.content = optarg;
                        break;
                case ARG_DEFAULT:
                        a.use_default = true;
                        break;
                case ARG_VARIANT:
                        a.variant = optarg;
                        break;
                case ARG_NO_ACTIVATE:
                        a.no_activate = true;
                        break;
                case ARG_SCHEDULED:
                        a.scheduled = true;
                        break;
                case 'f':
                        a.follow = true;
                        break;
                case ARG_NONE:
                        a.no_schedule = true;
                        break;
                case ':':
                        (void) snprintf(msg, sizeof msg, "Option '%s' needs an argument.", argv[optind - 1]);
                        return usage_error(msg);
                case '?':
                        if (optopt > 0 && optopt < 0x100)
                                (void) snprintf(msg, sizeof msg, "Unknown option '-%c'.", optopt);
                        else
                                (void) snprintf(msg, sizeof msg, "Unknown option '%s'.", argv[optind - 1]);
                        return usage_error(msg);
                default:
                        return usage_error("Failed to parse the command line.");
                }
        }

        if (!a.server && server_env && *server_env)
                a.server = server_env;
        if (a.server && a.socket_path)
                return usage_error("--socket and --server (or $CORRAL_SERVER) exclude each other.");
        if (a.server && strncmp(a.server, "http://", 7) != 0 && strncmp(a.server, "https://", 8) != 0)
                return usage_error("--server (or $CORRAL_SERVER) needs an http:// or https:// URL.");

        a.args = argv + optind;
        a.n_args = argc - optind;

        if (!a.help && !a.version && a.n_args == 0)
                return usage_error("Missing command.");
        if ((a.title || a.mode || a.content) && a.n_args > 0 && !streq(a.args[0], "deploy"))
                return usage_error("--title, --mode and --content only go with 'deploy'.");
        if (a.use_default && (a.n_args < 2 || !streq(a.args[0], "content") || !streq(a.args[1], "set-runas")))
                return usage_error("--default only goes with 'content set-runas'.");

        if ((a.variant || a.no_activate || a.scheduled) && a.n_args > 0 && !streq(a.args[0], "render"))
                return usage_error("--variant, --no-activate and --scheduled only go with 'render'.");
        if (a.follow && a.n_args > 0 && !streq(a.args[0], "logs"))
                return usage_error("-f/--follow only goes with 'logs'.");

        *ret = a;
        return 0;
}
