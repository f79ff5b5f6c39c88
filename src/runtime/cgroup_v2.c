/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup v2: one hierarchy. The whole sandbox is OOM-killed as a group, swap
 * is off, and the CPU quota is cpu.max. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cgroup.h"

static void v2_dir(const struct rt_cgroup *cg, char *buf, size_t len)
{
        snprintf(buf, len, "%s/" RT_CG_GROUP "/%s", cg->roots->unified, cg->id);
}

static int v2_create(struct rt_cgroup *cg, const struct rt_limits *lim, struct al_error *err)
{
        char parent[PATH_MAX + 32], dir[PATH_MAX + 64], val[64];
        int ret;

        /* Delegate the controllers to our group, then to each sandbox. */
        ret = rt_cg_write(cg->roots->unified, "cgroup.subtree_control", "+memory +cpu +pids", err);
        if (ret < 0)
                return ret;
        snprintf(parent, sizeof(parent), "%s/" RT_CG_GROUP, cg->roots->unified);
        if (mkdir(parent, 0755) < 0 && errno != EEXIST)
                return al_error_set(err, errno, "create cgroup %s", parent);
        ret = rt_cg_write(parent, "cgroup.subtree_control", "+memory +cpu +pids", err);
        if (ret < 0)
                return ret;
        v2_dir(cg, dir, sizeof(dir));
        if (mkdir(dir, 0755) < 0)
                return al_error_set(err, errno, "create cgroup %s", dir);

        snprintf(val, sizeof(val), "%" PRIu64, lim->memory_bytes);
        ret = rt_cg_write(dir, "memory.max", val, err);
        if (ret >= 0)
                ret = rt_cg_write(dir, "memory.swap.max", "0", err);
        if (ret >= 0)
                ret = rt_cg_write(dir, "memory.oom.group", "1", err);
        if (ret < 0)
                return ret;
        snprintf(val, sizeof(val), "%u 100000", lim->cpus * 100000u);
        ret = rt_cg_write(dir, "cpu.max", val, err);
        if (ret < 0)
                return ret;
        snprintf(val, sizeof(val), "%u", lim->pids);
        return rt_cg_write(dir, "pids.max", val, err);
}

static int v2_attach(struct rt_cgroup *cg, pid_t pid, struct al_error *err)
{
        char dir[PATH_MAX + 64], val[32];

        v2_dir(cg, dir, sizeof(dir));
        snprintf(val, sizeof(val), "%d", (int)pid);
        return rt_cg_write(dir, "cgroup.procs", val, err);
}

static int v2_stats(const struct rt_cgroup *cg, struct rt_stats *ret)
{
        char dir[PATH_MAX + 64];
        uint64_t v;

        *ret = (struct rt_stats){ 0 };
        v2_dir(cg, dir, sizeof(dir));
        if (rt_cg_read_key(dir, "memory.events", "oom_kill", &v) == 0)
                ret->oom_kills = v;
        if (rt_cg_read_key(dir, "pids.events", "max", &v) == 0)
                ret->pids_max_hits = v;
        return 0;
}

static int v2_destroy(struct rt_cgroup *cg)
{
        char dir[PATH_MAX + 64];

        v2_dir(cg, dir, sizeof(dir));
        /* cgroup.kill ends stragglers at once where the kernel has it (5.14+). */
        (void)rt_cg_write(dir, "cgroup.kill", "1", NULL);
        return rt_cg_rmdir(dir);
}

const struct rt_cgroup_ops rt_cgroup_v2_ops = {
        .name = "v2",
        .create = v2_create,
        .attach = v2_attach,
        .stats = v2_stats,
        .destroy = v2_destroy,
};
