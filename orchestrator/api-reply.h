/* SPDX-License-Identifier: MIT */
#pragma once

/* How every /__api__ handler answers: JSON bodies, and errors as {"error": message, "code": N}. */

#include <jansson.h>

#include "http-server.h"
#include "macro.h"

/* Answers with body (taken; NULL or a failed dump answers 500). */
void api_reply_json(HttpRequest *req, int status, json_t *body);
/* Answers {"error": formatted message, "code": status}. */
void api_reply_error(HttpRequest *req, int status, const char *fmt, ...) _printf_(3, 4);
/* Answers for a negative errno about what: 404 for -ENOENT, 409 for -EEXIST, else 500. */
void api_reply_errno(HttpRequest *req, int r, const char *what);
