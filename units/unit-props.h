/* SPDX-License-Identifier: MIT */
#pragma once

/* Encodes a UnitSpec as the properties array of StartTransientUnit. Table-driven: one converter
 * per D-Bus shape (s, as, a(ssbt), a(ss), aay, a(sasas), t) and one table row per property. */

#include <systemd/sd-bus.h>

#include "unit-spec.h"

/* Appends the "a(sv)" properties array for spec to m (which must be positioned where the array
 * goes). Only set fields are appended. Returns 0 or negative errno (-EINVAL for a spec without a
 * name or command). */
int unit_props_append(sd_bus_message *m, const UnitSpec *spec);

/* Builds a complete StartTransientUnit(name, "fail", properties, aux=[]) method call on bus in *ret. */
int unit_props_new_start_message(sd_bus *bus, const UnitSpec *spec, sd_bus_message **ret);

/* The D-Bus signature the encoder uses for property name, or NULL if it does not know it. */
const char *unit_props_signature(const char *name);
