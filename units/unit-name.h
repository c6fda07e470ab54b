/* SPDX-License-Identifier: MIT */
#pragma once

/* Unit names tell what they are (spec §12): corral-<tag>-<short guid>-<job key>.service. */

#include <stdbool.h>
#include <stddef.h>

#define UNIT_NAME_PREFIX "corral-"
#define UNIT_SLICE "corral.slice"
#define JOB_KEY_LENGTH 16
#define SHORT_GUID_LENGTH 8

/* A fresh random job key (JOB_KEY_LENGTH lowercase hex characters) in buf (size ≥ JOB_KEY_LENGTH+1). */
int job_key_new(char *buf, size_t size);
/* Whether s is a well-formed job key. */
bool job_key_is_valid(const char *s);

/* Builds the unit name from tag, content GUID and job key into *ret. -EINVAL when the parts
 * contain characters unit names cannot hold. */
int unit_name_build(const char *tag, const char *guid, const char *job_key, char **ret);

/* Splits a unit name made by unit_name_build() back into tag and job key (either may be NULL).
 * Returns -EINVAL for any other name. */
int unit_name_parse(const char *name, char **ret_tag, char **ret_job_key);
