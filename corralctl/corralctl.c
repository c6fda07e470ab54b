/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "client.h"
#include "ctl-util.h"
#include "verbs.h"

typedef struct Verb {
        const char *name;
        int min_objects;
        int max_objects;
        int (*run)(CtlClient *c, const CtlArgs *args);
} Verb;

static const Verb verbs[] = {
        { "deploy", 1, 1, verb_deploy },
        { "list",   0, 0, verb_list   },
        { "show",   1, 1, verb_show   },
        { "ps",     0, 1, verb_ps     },
        { "stop",   1, 1, verb_stop   },
        { "config", 1, 2, verb_config },
        { "content", 2, 64, verb_content },
        { "render", 1, 1, verb_render },
        { "jobs",   1, 1, verb_jobs   },
        { "variant", 2, 64, verb_variant },
        { "logs",   1, 1, verb_logs   },
        { "user",   1, 3, verb_user   },
        { "key",    1, 3, verb_key    },
};

static void help(void) {
        printf("corralctl [OPTIONS...] COMMAND ...\n"
               "\n"
               "Administer and publish content on a Corral server.\n"
               "\n"
               "Content:\n"
               "  deploy DIR|FILE.tar.gz   Deploy a bundle as new content (or, with --content,\n"
               "                           as a new bundle of existing content); prints the\n"
               "                           deploy log and the content GUID last\n"
               "  list                     List content\n"
               "  show GUID                Show one content item and its settings\n"
               "  content set GUID KEY=VALUE...\n"
               "                           Per-content scheduler settings (MinProcesses,\n"
               "                           MaxProcesses, IdleTimeout, MemoryMax, ...); KEY= resets\n"
               "  content set-runas GUID USER|--default\n"
               "                           Run the content as USER (administrators)\n"
               "  content env set GUID NAME=VALUE...\n"
               "  content env unset GUID NAME...\n"
               "  content env list GUID    The content's environment variables (names only)\n"
               "  content acl GUID USER viewer|collaborator|none\n"
               "                           Who may see (or change) content with Access=acl\n"
               "\n"
               "Processes:\n"
               "  ps [GUID]                List processes and jobs (of one content item)\n"
               "  stop JOB                 Stop one process\n"
               "  logs GUID|JOB [-f]       The journal of a content's processes or of one job\n"
               "\n"
               "Reports:\n"
               "  render GUID [--variant V] [--no-activate]\n"
               "                           Render a report (waits for the render to end)\n"
               "  jobs GUID                Render jobs with their exit and a failed one's last lines\n"
               "  variant list GUID | variant create GUID NAME [KEY=VALUE...]\n"
               "  variant set GUID V KEY=VALUE... | variant schedule GUID V CALENDAR|--none\n"
               "  variant delete GUID V    Variants of a parameterized report\n"
               "\n"
               "Users and keys:\n"
               "  user list | user add NAME [ROLE] | user set-role NAME ROLE\n"
               "                           Corral users (roles viewer, publisher, administrator)\n"
               "  key create NAME [USER] | key list [USER] | key delete ID [USER]\n"
               "                           API keys; a new key is printed once\n"
               "\n"
               "Configuration:\n"
               "  config check FILE        Check a corrald configuration file\n"
               "\n"
               "Options:\n"
               "  -h --help                Show this help\n"
               "     --version             Show the version\n"
               "     --json                Print JSON instead of a table\n"
               "     --socket PATH         Talk to corrald over this socket (default %s)\n"
               "     --server URL          Talk to the Corral server at URL, with the API key\n"
               "                           from $CORRAL_API_KEY (default $CORRAL_SERVER)\n"
               "     --title TITLE         deploy: title of new content\n"
               "     --mode MODE           deploy: app mode (shiny, api, rmd-static, ...)\n"
               "     --content GUID        deploy: deploy to this existing content\n"
               "\n"
               "See the corralctl(1) man page for details.\n",
               CTL_DEFAULT_SOCKET);
}

static int dispatch(CtlClient *c, const CtlArgs *args) {
        const char *name = args->args[0];
        int n = args->n_args - 1;

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                if (!streq(verbs[i].name, name))
                        continue;
                if (n < verbs[i].min_objects || n > verbs[i].max_objects) {
                        (void) ctl_error("Wrong number of arguments for '%s'. See 'corralctl --help'.", name);
                        return CTL_EXIT_USAGE;
                }
                return verbs[i].run(c, args);
        }

        (void) ctl_error("Unknown command '%s'. See 'corralctl --help'.", name);
        return CTL_EXIT_USAGE;
}

/* Returns a negative errno (exit status 1) or a positive exit status. */
static int run(int argc, char *argv[]) {
        _cleanup_client_ CtlClient *c = NULL;
        CtlArgs args;
        int r;

        r = ctl_parse_argv(argc, argv, getenv("CORRAL_SERVER"), &args);
        if (r < 0)
                return CTL_EXIT_USAGE;
        if (args.help) {
                help();
                return 0;
        }
        if (args.version) {
                printf("corralctl %s\n", CORRAL_VERSION_STRING);
                return 0;
        }

        r = ctl_client_new(args.socket_path, args.server, getenv("CORRAL_API_KEY"), &c);
        if (r < 0)
                return ctl_error_errno(r, "Out of memory.");

        return dispatch(c, &args);
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);

        return r < 0 ? EXIT_FAILURE : r;
}
