/* SPDX-License-Identifier: Apache-2.0 */
/* Cgroup v1 and v2 behind one table of functions. Each writer takes the root
 * directory it works under, so unit tests can point it at a temporary
 * directory and read back what it wrote. */
#pragma once

#include <limits.h>
#include <sys/types.h>

#include "common/error.h"
#include "runtime.h"

#define RT_CG_GROUP "airlock" /* our parent group under each hierarchy */

enum rt_cg_version {
        RT_CG_NONE = 0,
        RT_CG_V1 = 1,
        RT_CG_V2 = 2
};

struct rt_cgroup_roots {
        enum rt_cg_version version;
        char unified[PATH_MAX]; /* v2: the cgroup2 mount */
        char memory[PATH_MAX];  /* v1: one mount per controller */
        char cpu[PATH_MAX];
        char pids[PATH_MAX];
};

struct rt_cgroup {
        const struct rt_cgroup_ops *ops;
        const struct rt_cgroup_roots *roots;
        char id[RT_ID_LEN + 1];
};

struct rt_cgroup_ops {
        const char *name;
        int (*create)(struct rt_cgroup *cg, const struct rt_limits *lim, struct al_error *err);
        int (*attach)(struct rt_cgroup *cg, pid_t pid, struct al_error *err);
        int (*stats)(const struct rt_cgroup *cg, struct rt_stats *ret);
        int (*destroy)(struct rt_cgroup *cg);
};

extern const struct rt_cgroup_ops rt_cgroup_v1_ops;
extern const struct rt_cgroup_ops rt_cgroup_v2_ops;

/* Find the hierarchies from a mounts table (normally /proc/self/mounts). */
int rt_cgroup_detect(const char *mounts_path, struct rt_cgroup_roots *ret);
/* Bind cg to the right ops for roots. */
int rt_cgroup_init(struct rt_cgroup *cg, const struct rt_cgroup_roots *roots, const char *id, struct al_error *err);

/* Shared helpers for the writers. */
int rt_cg_write(const char *dir, const char *file, const char *value, struct al_error *err);
int rt_cg_read_key(const char *dir, const char *file, const char *key, uint64_t *ret);
int rt_cg_rmdir(const char *dir);
