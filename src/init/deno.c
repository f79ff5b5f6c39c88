/* SPDX-License-Identifier: Apache-2.0 */
/* What airlockd's Deno methods need from PID 1.
 *
 * A control channel beside a process's stdio: the REPL harness reads
 * requests on fd 3 and writes replies on fd 4, so the user's own output
 * stays on stdout and stderr. The channel is one more entry in the process
 * table under its own id: stdin and output frames with their flow control
 * carry it unchanged, and since it shares the process's pid it is reaped,
 * signalled and reported (AL_MSG_EXIT) along with it.
 *
 * The TCP ports a process tree listens on, for denoHttpWait: LISTEN sockets
 * from /proc/net/tcp{,6} whose inode is held by the process or by anything
 * in its session (every spawned command starts one). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "init.h"
#include "netstat.h"

#define CTL_FD_IN 3  /* requests, read by the process */
#define CTL_FD_OUT 4 /* replies, written by the process */
#define NET_MAX_LISTEN 256

static void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

static void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

int init_ctl_open(struct init_state *st, uint32_t id, int child[2], struct init_proc **ret)
{
        int req[2], rep[2];
        struct init_proc *q = NULL;

        if (id == 0 || init_proc_find(st, id))
                return -EEXIST;
        for (int i = 0; i < AL_MAX_PROCS && !q; i++)
                if (!st->procs[i].used)
                        q = &st->procs[i];
        if (!q)
                return -EAGAIN;
        if (pipe2(req, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(rep, O_CLOEXEC) < 0) {
                int e = errno;
                close(req[0]);
                close(req[1]);
                return -e;
        }
        fcntl(req[1], F_SETFL, O_NONBLOCK);
        *q = (struct init_proc){
                .used = true, .id = id, .in_fd = req[1], .out_fd = rep[0], .err_fd = -1, .credit = AL_CHAN_WINDOW
        };
        al_buf_init(&q->in_q, AL_CHAN_WINDOW + AL_CHAN_DATA_CHUNK);
        child[0] = req[0];
        child[1] = rep[1];
        *ret = q;
        return 0;
}

/* In the forked child, before exec and the user switch: the two ends at fds
 * 3 and 4, inherited and owned by the user (the harness opens them again
 * through /proc/self/fd). Moved above 4 first so neither overwrites the other. */
int init_ctl_child(const int child[2], uid_t uid, gid_t gid)
{
        for (int i = 0; i < 2; i++)
                if (fchown(child[i], uid, gid) < 0) {
                        /* the strict profile: already ours */
                }
        int a = fcntl(child[0], F_DUPFD_CLOEXEC, 10), b = fcntl(child[1], F_DUPFD_CLOEXEC, 10);

        if (a < 0 || b < 0 || dup2(a, CTL_FD_IN) < 0 || dup2(b, CTL_FD_OUT) < 0)
                return -errno;
        return 0;
}

/* Inodes of LISTEN sockets in one /proc/net table (netstat.c parses it). */
static size_t listen_inodes(const char *table, unsigned long *ino, unsigned *port, size_t n, size_t max)
{
        _cleanup_(fclosep) FILE *f = fopen(table, "re");

        if (!f)
                return n;
        return init_netstat_listen(f, ino, port, n, max);
}

/* Is pid in root's session or below root? Bounded walk up the parents. */
static bool in_tree(pid_t pid, pid_t root)
{
        for (int depth = 0; depth < 64 && pid > 1; depth++) {
                char path[64], buf[512];
                ssize_t len;
                int fd;
                snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return false;
                len = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (len <= 0)
                        return false;
                buf[len] = '\0';
                char *rp = strrchr(buf, ')'); /* comm may hold anything */
                int ppid, pgrp, sid;
                if (pid == root || !rp || sscanf(rp + 1, " %*c %d %d %d", &ppid, &pgrp, &sid) != 3)
                        return pid == root;
                if (sid == root || pgrp == root)
                        return true;
                pid = ppid;
        }
        return false;
}

static void add_ports_of(pid_t pid, const unsigned long *ino, const unsigned *port, size_t n, json_t *out)
{
        char path[64], link[64], target[64];
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *e;

        snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
        d = opendir(path);
        while (d && (e = readdir(d))) {
                unsigned long inode;
                ssize_t len;
                if (e->d_name[0] == '.')
                        continue;
                snprintf(link, sizeof(link), "%s/%.16s", path, e->d_name);
                len = readlink(link, target, sizeof(target) - 1);
                if (len <= 0)
                        continue;
                target[len] = '\0';
                if (sscanf(target, "socket:[%lu]", &inode) != 1)
                        continue;
                for (size_t i = 0; i < n; i++) {
                        bool seen = false;
                        if (ino[i] != inode)
                                continue;
                        for (size_t k = 0; k < json_array_size(out); k++)
                                seen |= json_integer_value(json_array_get(out, k)) == port[i];
                        if (!seen)
                                json_array_append_new(out, json_integer(port[i]));
                }
        }
}

/* listeningPorts {pid} -> {"ok": [port, ...]} */
json_t *init_listening_ports(struct init_state *st, json_t *params)
{
        static unsigned long ino[NET_MAX_LISTEN];
        static unsigned port[NET_MAX_LISTEN];
        json_int_t root = json_integer_value(json_object_get(params, "pid"));
        json_t *out = json_array();
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *e;
        size_t n = 0;

        if (root <= 1 || root > 1 << 22)
                return json_pack("{s:o}", "ok", out);
        n = listen_inodes("/proc/net/tcp", ino, port, n, NET_MAX_LISTEN);
        n = listen_inodes("/proc/net/tcp6", ino, port, n, NET_MAX_LISTEN);
        if (n == 0)
                return json_pack("{s:o}", "ok", out);
        /* /proc/<pid>/fd of the app user's processes: with its identity
         * (a ptrace-style check on the fs uid; PID 1 keeps no CAP_SYS_PTRACE). */
        if (!st->strict) {
                setfsgid(st->app_gid);
                setfsuid(st->app_uid);
        }
        d = opendir("/proc");
        while (d && (e = readdir(d))) {
                if (!isdigit((unsigned char)e->d_name[0]))
                        continue;
                pid_t pid = (pid_t)atoi(e->d_name);
                if (in_tree(pid, (pid_t)root))
                        add_ports_of(pid, ino, port, n, out);
        }
        if (!st->strict) {
                setfsuid(0);
                setfsgid(0);
        }
        return json_pack("{s:o}", "ok", out);
}
