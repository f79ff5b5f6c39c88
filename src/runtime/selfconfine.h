/* SPDX-License-Identifier: Apache-2.0 */
/* Confinement a process puts on itself (selfconfine.c): no privilege needed,
 * nothing of the host changed. Built into airlock-proxy too. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Landlock's ruleset attribute up to ABI 6 (scoped), defined here so that
 * older kernel headers build too. */
struct rt_ll_attr {
        uint64_t handled_access_fs;
        uint64_t handled_access_net;
        uint64_t scoped;
};
#define RT_LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)
#define RT_LL_SCOPE_SIGNAL (1ULL << 1)

/* The kernel's Landlock ABI version, 0 without Landlock. */
int rt_landlock_abi(void);
/* Scope signals and abstract sockets where the ABI can (6+); returns the
 * attribute's size for that ABI. */
size_t rt_ll_attr_scope(int abi, struct rt_ll_attr *attr);

/* For a long-running process that parses hostile bytes (airlock-proxy):
 * nothing on any filesystem can be written, made, removed or executed
 * (Landlock, where the kernel has it), no process or abstract socket outside
 * its own domain can be reached, and a seccomp filter refuses with EPERM the
 * calls such a process never needs (exec, fork and clone, namespaces,
 * mounts, ptrace, bpf, keyrings, io_uring, perf, userfaultfd, modules,
 * handles). Needs no_new_privs set already. */
int rt_self_confine(struct al_error *err);
