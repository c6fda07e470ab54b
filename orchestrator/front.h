/* SPDX-License-Identifier: MIT */
#pragma once

/* Routing of the HTTP front (spec §13): /__api__/ to the API, /content/<guid>/ to the content's
 * processes (or its files), everything else a small page or 404. */

#include "http-server.h"

extern const HttpHandler front_handler;
