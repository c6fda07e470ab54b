/* SPDX-License-Identifier: MIT */
#pragma once

/* Content served by corrald itself, no process (spec §1, §10): static bundles from their app dir,
 * reports from the active rendering of a variant.
 *
 *   /content/<guid>/…                      the default variant's active rendering (or the static bundle)
 *   /content/<guid>/__variant__/<name>/…   the active rendering of another variant
 *   /content/<guid>/__rendering__/<id>/…   one rendering, activated or not */

#include <stdbool.h>

#include "http-server.h"
#include "manager.h"
#include "store.h"

/* Whether content of this mode is served from files (static, rmd-static). */
bool reports_serves_mode(const char *app_mode);

/* Answers req for content c; rest is the path after /content/<guid> (starts with '/'). */
void reports_serve(Manager *m, const Content *c, HttpRequest *req, const char *rest);
