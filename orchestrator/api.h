/* SPDX-License-Identifier: MIT */
#pragma once

/* The JSON API under /__api__ (spec §13), shaped like the seed product's so its publishing
 * clients work: server_settings, applications, upload, deploy, tasks; and processes for ps/stop. */

#include "http-server.h"
#include "manager.h"

/* The largest request body the API takes (a bundle upload). */
#define API_MAX_BODY (1024ULL * 1024ULL * 1024ULL)

/* Answers one API request (its body buffered). */
void api_handle(Manager *m, HttpRequest *req);
