/* SPDX-License-Identifier: MIT */
/* corralctl user … and key … (spec §14; administrators, and publishers for their own keys). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-util.h"
#include "table.h"
#include "verbs.h"

static int print_rows(const CtlArgs *args, json_t *rows, const char * const *columns, size_t n) {
        _cleanup_table_ Table *t = NULL;
        size_t i;
        json_t *row;
        int r;

        if (args->json)
                return ctl_print_json(rows);
        /* table_new takes exactly n header strings: build with 4 or 3 columns. */
        r = n == 4 ? table_new(&t, 4, columns[0], columns[1], columns[2], columns[3])
                   : table_new(&t, 3, columns[0], columns[1], columns[2]);
        if (r < 0)
                return ctl_error_errno(r, "Out of memory.");
        json_array_foreach(rows, i, row) {
                char *cells[5] = {};
                for (size_t k = 0; k < n; k++) {
                        json_t *v = json_object_get(row, columns[k]);
                        if (json_is_string(v))
                                cells[k] = strdup(json_string_value(v));
                        else if (json_is_integer(v))
                                r = asprintf(&cells[k], "%lld", (long long) json_integer_value(v));
                        else
                                cells[k] = strdup("-");
                }
                r = table_add_rowv(t, (const char * const *) cells);
                for (size_t k = 0; k < 5; k++)
                        free(cells[k]);
                if (r < 0)
                        return ctl_error_errno(r, "Out of memory.");
        }
        r = table_print(t, stdout);
        return r < 0 ? ctl_error_errno(r, "Failed to print table: %m") : 0;
}

/* user list | user add NAME [ROLE] | user set-role NAME ROLE */
int verb_user(CtlClient *c, const CtlArgs *args) {
        static const char * const columns[] = { "username", "role", "created", "last_login" };
        _cleanup_json_ json_t *reply = NULL, *body = NULL;
        _cleanup_free_ char *path = NULL, *name = NULL;
        const char *sub = args->args[1];
        int r;

        if (streq(sub, "list") && args->n_args == 2) {
                r = ctl_client_call(c, "GET", "users", NULL, &reply);
                return r < 0 ? r : print_rows(args, reply, columns, 4);
        }
        if (streq(sub, "add") && (args->n_args == 3 || args->n_args == 4)) {
                body = json_pack("{s:s, s:s}", "username", args->args[2], "role",
                                 args->n_args == 4 ? args->args[3] : "viewer");
                r = ctl_client_call(c, "POST", "users", body, &reply);
        } else if (streq(sub, "set-role") && args->n_args == 4) {
                body = json_pack("{s:s}", "role", args->args[3]);
                if (ctl_url_escape(args->args[2], &name) < 0 || asprintf(&path, "users/%s", name) < 0)
                        return ctl_error_errno(-ENOMEM, "Out of memory.");
                r = ctl_client_call(c, "PATCH", path, body, &reply);
        } else
                return ctl_error_errno(-EINVAL, "Usage: corralctl user list | add NAME [ROLE] | set-role NAME ROLE");
        if (r < 0)
                return r;
        if (args->json)
                return ctl_print_json(reply);
        printf("%s is %s\n", json_string_value(json_object_get(reply, "username")),
               json_string_value(json_object_get(reply, "role")));
        return 0;
}

/* key create NAME [USER] | key list [USER] | key delete ID [USER] */
int verb_key(CtlClient *c, const CtlArgs *args) {
        static const char * const columns[] = { "id", "name", "created" };
        _cleanup_json_ json_t *reply = NULL, *body = NULL;
        _cleanup_free_ char *path = NULL, *user = NULL, *id = NULL;
        const char *sub = args->args[1];
        int r;

        if (streq(sub, "create") && (args->n_args == 3 || args->n_args == 4)) {
                body = json_pack("{s:s}", "name", args->args[2]);
                if (args->n_args == 4)
                        (void) json_object_set_new(body, "username", json_string(args->args[3]));
                r = ctl_client_call(c, "POST", "keys", body, &reply);
                if (r < 0)
                        return r;
                if (args->json)
                        return ctl_print_json(reply);
                /* The key itself is shown this once: corrald keeps only its hash. */
                printf("%s\n", json_string_value(json_object_get(reply, "key")));
                return 0;
        }
        const char *owner = NULL;
        if (streq(sub, "list") && args->n_args <= 3)
                owner = args->n_args == 3 ? args->args[2] : NULL;
        else if (streq(sub, "delete") && (args->n_args == 3 || args->n_args == 4))
                owner = args->n_args == 4 ? args->args[3] : NULL;
        else
                return ctl_error_errno(-EINVAL, "Usage: corralctl key create NAME [USER] | list [USER] | delete ID [USER]");
        if (owner && ctl_url_escape(owner, &user) < 0)
                return ctl_error_errno(-ENOMEM, "Out of memory.");
        if (streq(sub, "list"))
                r = asprintf(&path, "keys%s%s", user ? "?username=" : "", user ? user : "");
        else
                r = ctl_url_escape(args->args[2], &id) < 0 ? -1
                                                            : asprintf(&path, "keys/%s%s%s", id, user ? "?username=" : "",
                                                                       user ? user : "");
        if (r < 0)
                return ctl_error_errno(-ENOMEM, "Out of memory.");
        r = ctl_client_call(c, streq(sub, "list") ? "GET" : "DELETE", path, NULL, &reply);
        if (r < 0)
                return r;
        return streq(sub, "list") ? print_rows(args, reply, columns, 3) : 0;
}
