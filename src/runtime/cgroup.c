/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "common/cleanup.h"

static bool has_option(const char *opts, const char *name)
{
        size_t n = strlen(name);
        for (const char *p = opts; p && *p;) {
                if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
                        return true;
                p = strchr(p, ',');
                if (p)
                        p++;
        }
        return false;
}

static void copy_path(char *dst, const char *src)
{
        snprintf(dst, PATH_MAX, "%s", src);
}

int rt_cgroup_detect(const char *mounts_path, struct rt_cgroup_roots *ret)
{
        struct rt_cgroup_roots r = { 0 };
        struct mntent *m;
        FILE *f = setmntent(mounts_path, "re");
        char unified_ctrl[256] = "";

        if (!f)
                return -errno;
        while ((m = getmntent(f))) {
                if (strcmp(m->mnt_type, "cgroup2") == 0 && !r.unified[0]) {
                        copy_path(r.unified, m->mnt_dir);
                } else if (strcmp(m->mnt_type, "cgroup") == 0) {
                        if (has_option(m->mnt_opts, "memory"))
                                copy_path(r.memory, m->mnt_dir);
                        if (has_option(m->mnt_opts, "cpu"))
                                copy_path(r.cpu, m->mnt_dir);
                        if (has_option(m->mnt_opts, "pids"))
                                copy_path(r.pids, m->mnt_dir);
                }
        }
        endmntent(f);

        /* v2 counts only when it carries the controllers we need. */
        if (r.unified[0]) {
                char path[PATH_MAX + 32];
                snprintf(path, sizeof(path), "%s/cgroup.controllers", r.unified);
                FILE *c = fopen(path, "re");
                if (c) {
                        if (!fgets(unified_ctrl, sizeof(unified_ctrl), c))
                                unified_ctrl[0] = '\0';
                        fclose(c);
                }
        }
        if (strstr(unified_ctrl, "memory") && strstr(unified_ctrl, "pids") && strstr(unified_ctrl, "cpu"))
                r.version = RT_CG_V2;
        else if (r.memory[0] && r.cpu[0] && r.pids[0])
                r.version = RT_CG_V1;
        else
                r.version = RT_CG_NONE;
        *ret = r;
        return r.version == RT_CG_NONE ? -ENOENT : 0;
}

int rt_cgroup_init(struct rt_cgroup *cg, const struct rt_cgroup_roots *roots, const char *id, struct al_error *err)
{
        memset(cg, 0, sizeof(*cg));
        snprintf(cg->id, sizeof(cg->id), "%s", id);
        cg->roots = roots;
        switch (roots->version) {
        case RT_CG_V1:
                cg->ops = &rt_cgroup_v1_ops;
                return 0;
        case RT_CG_V2:
                cg->ops = &rt_cgroup_v2_ops;
                return 0;
        default:
                return al_error_setx(err, ENOTSUP,
                                     "no usable cgroup hierarchy: need memory, cpu and pids "
                                     "controllers on cgroup v2 or v1");
        }
}

int rt_cg_write(const char *dir, const char *file, const char *value, struct al_error *err)
{
        char path[PATH_MAX + 64];
        _cleanup_fd_ int fd = -1;
        size_t len = strlen(value);

        snprintf(path, sizeof(path), "%s/%s", dir, file);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return al_error_set(err, errno, "open cgroup file %s", path);
        if (write(fd, value, len) != (ssize_t)len)
                return al_error_set(err, errno ? errno : EIO, "write '%s' to %s", value, path);
        return 0;
}

/* Read "key N" from a flat-keyed file (memory.events, pids.events, memory.oom_control). */
int rt_cg_read_key(const char *dir, const char *file, const char *key, uint64_t *ret)
{
        char path[PATH_MAX + 64], line[256];
        size_t klen = strlen(key);
        FILE *f;
        int r = -ENOENT;

        snprintf(path, sizeof(path), "%s/%s", dir, file);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
                        *ret = strtoull(line + klen + 1, NULL, 10);
                        r = 0;
                        break;
                }
        }
        fclose(f);
        return r;
}

/* A cgroup can be busy for a while after its last task was reaped (exits
 * finishing, charges moving): retry with backoff, up to about 5 seconds. The
 * caller is the background teardown, so waiting costs nobody. */
int rt_cg_rmdir(const char *dir)
{
        long delay_ns = 1000000;

        for (long waited = 0; waited < 5000000000L; waited += delay_ns) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY)
                        return -errno;
                nanosleep(&(struct timespec){ .tv_nsec = delay_ns }, NULL);
                if (delay_ns < 100000000)
                        delay_ns *= 2;
        }
        return -EBUSY;
}
