/* SPDX-License-Identifier: Apache-2.0 */
/* The sandbox's seccomp policy, as data. The same table builds the filter
 * (seccomp.c) and drives the probes that check it (tests/security), so the
 * two cannot drift apart. */
#pragma once

#include <stddef.h>

enum rt_sc_action {
        RT_SC_ALLOW,       /* plain allow */
        RT_SC_EPERM,       /* known-dangerous: EPERM */
        RT_SC_ENOSYS,      /* pretend it does not exist (clone3: libc falls back to clone) */
        RT_SC_CONDITIONAL, /* argument rules in seccomp.c decide */
};

struct rt_sc_entry {
        const char *name;
        enum rt_sc_action action;
};

/* Unknown syscalls, and every number not in this table, get ENOSYS. Foreign
 * ABIs (i386, x32) kill the process. */
extern const struct rt_sc_entry rt_sc_table[];
extern const size_t rt_sc_table_len;

const struct rt_sc_entry *rt_sc_lookup(const char *name);

/* The data of the argument rules (seccomp.c): clone and unshare may not
 * carry these namespace flags, personality() takes only these values. The
 * probe (tests/security) iterates the same arrays. */
extern const unsigned long rt_sc_ns_flags[];
extern const size_t rt_sc_ns_flags_len;
extern const unsigned long rt_sc_personality_ok[];
extern const size_t rt_sc_personality_ok_len;
