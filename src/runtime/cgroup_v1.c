/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup v1: memory, cpu and pids each on their own hierarchy. No group OOM
 * kill and no cgroup.kill here: the sandbox is a pid namespace, so killing its
 * PID 1 ends every process in it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cgroup.h"

static void v1_dir(const char *root, const char *id, char *buf, size_t len)
{
        if (id)
                snprintf(buf, len, "%s/" RT_CG_GROUP "/%s", root, id);
        else
                snprintf(buf, len, "%s/" RT_CG_GROUP, root);
}

static int v1_mkdir(const char *root, const char *id, char *dir, size_t len, struct al_error *err)
{
        v1_dir(root, NULL, dir, len);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return al_error_set(err, errno, "create cgroup %s", dir);
        v1_dir(root, id, dir, len);
        if (mkdir(dir, 0755) < 0)
                return al_error_set(err, errno, "create cgroup %s", dir);
        return 0;
}

static int v1_create(struct rt_cgroup *cg, const struct rt_limits *lim, struct al_error *err)
{
        const struct rt_cgroup_roots *r = cg->roots;
        char dir[PATH_MAX + 64], val[64];
        int ret;

        ret = v1_mkdir(r->memory, cg->id, dir, sizeof(dir), err);
        if (ret < 0)
                return ret;
        snprintf(val, sizeof(val), "%" PRIu64, lim->memory_bytes);
        ret = rt_cg_write(dir, "memory.limit_in_bytes", val, err);
        if (ret < 0)
                return ret;
        /* Keep the sandbox's pages out of swap where the host has swap. */
        (void)rt_cg_write(dir, "memory.swappiness", "0", NULL);

        ret = v1_mkdir(r->cpu, cg->id, dir, sizeof(dir), err);
        if (ret < 0)
                return ret;
        ret = rt_cg_write(dir, "cpu.cfs_period_us", "100000", err);
        if (ret < 0)
                return ret;
        snprintf(val, sizeof(val), "%u", lim->cpus * 100000u);
        ret = rt_cg_write(dir, "cpu.cfs_quota_us", val, err);
        if (ret < 0)
                return ret;

        ret = v1_mkdir(r->pids, cg->id, dir, sizeof(dir), err);
        if (ret < 0)
                return ret;
        snprintf(val, sizeof(val), "%u", lim->pids);
        return rt_cg_write(dir, "pids.max", val, err);
}

static int v1_attach(struct rt_cgroup *cg, pid_t pid, struct al_error *err)
{
        const char *roots[] = { cg->roots->memory, cg->roots->cpu, cg->roots->pids };
        char dir[PATH_MAX + 64], val[32];

        snprintf(val, sizeof(val), "%d", (int)pid);
        for (size_t i = 0; i < 3; i++) {
                v1_dir(roots[i], cg->id, dir, sizeof(dir));
                int ret = rt_cg_write(dir, "cgroup.procs", val, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

static int v1_stats(const struct rt_cgroup *cg, struct rt_stats *ret)
{
        char dir[PATH_MAX + 64];
        uint64_t v;

        *ret = (struct rt_stats){ 0 };
        v1_dir(cg->roots->memory, cg->id, dir, sizeof(dir));
        if (rt_cg_read_key(dir, "memory.oom_control", "oom_kill", &v) == 0)
                ret->oom_kills = v;
        v1_dir(cg->roots->pids, cg->id, dir, sizeof(dir));
        if (rt_cg_read_key(dir, "pids.events", "max", &v) == 0)
                ret->pids_max_hits = v;
        return 0;
}

static int v1_destroy(struct rt_cgroup *cg)
{
        const char *roots[] = { cg->roots->memory, cg->roots->cpu, cg->roots->pids };
        char dir[PATH_MAX + 64];
        int ret = 0;

        for (size_t i = 0; i < 3; i++) {
                v1_dir(roots[i], cg->id, dir, sizeof(dir));
                int r = rt_cg_rmdir(dir);
                if (r < 0)
                        ret = r;
        }
        return ret;
}

const struct rt_cgroup_ops rt_cgroup_v1_ops = {
        .name = "v1",
        .create = v1_create,
        .attach = v1_attach,
        .stats = v1_stats,
        .destroy = v1_destroy,
};
