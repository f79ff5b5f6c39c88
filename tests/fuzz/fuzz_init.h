/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct init_state;

/* fuzz_init_spawn.c: proc.c's spawn request parser alone (no fork, no exec). */
int fuzz_init_spawn_parse(struct init_state *st, const uint8_t *json, size_t len);
