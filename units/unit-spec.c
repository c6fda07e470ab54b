/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "unit-spec.h"

UnitSpec *unit_spec_free(UnitSpec *s) {
        if (!s)
                return NULL;
        free(s->name);
        free(s->description);
        free(s->slice);
        free(s->type);
        free(s->user);
        free(s->group);
        free(s->working_directory);
        free(s->pam_name);
        free(s->collect_mode);
        strv_free(s->exec_argv);
        strv_free(s->environment);
        for (size_t i = 0; i < s->n_binds; i++) {
                free(s->binds[i].source);
                free(s->binds[i].destination);
        }
        free(s->binds);
        strv_free(s->temporary_filesystems);
        strv_free(s->log_extra_fields);
        strv_free(s->load_credentials);
        free(s);
        return NULL;
}

int unit_spec_add_bind(UnitSpec *s, const char *source, const char *destination, bool read_only) {
        UnitBind *b = realloc(s->binds, sizeof(UnitBind) * (s->n_binds + 1));
        if (!b)
                return -ENOMEM;
        s->binds = b;
        b[s->n_binds] = (UnitBind) {
                .source = strdup(source),
                .destination = strdup(destination),
                .read_only = read_only,
        };
        if (!b[s->n_binds].source || !b[s->n_binds].destination) {
                free(b[s->n_binds].source);
                free(b[s->n_binds].destination);
                return -ENOMEM;
        }
        s->n_binds++;
        return 0;
}
