/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime: the only code that creates namespaces, mounts, cgroups and
 * seccomp filters. Callers hand it plain data (struct rt_config) and get back
 * a running sandbox whose PID 1 is airlock-init, reachable over one socket.
 * Backend "ns" lives here; a "vm" backend would implement the same calls. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

#define RT_ID_LEN 28 /* "sbx_" + 3-letter region + "_" + 20 characters */

enum rt_profile {
        RT_PROFILE_DEFAULT = 0, /* app user with passwordless sudo, reduced capabilities */
        RT_PROFILE_STRICT = 1,  /* NoNewPrivs, no sudo, every capability set empty */
};

struct rt_limits {
        uint64_t memory_bytes;
        uint64_t disk_bytes;
        unsigned cpus;
        unsigned pids;
};

struct rt_config {
        char id[RT_ID_LEN + 1];
        const char *state_dir; /* holds images/, disks/, slots/, mnt/ */
        const char *image;     /* name under <state_dir>/images/ */
        enum rt_profile profile;
        struct rt_limits limits;
        int init_fd; /* sealed memfd holding airlock-init, owned by the caller */
        const char *trust_dir; /* CA bundle for the sandbox (see mounts.c), or NULL */
};

struct rt_stats {
        uint64_t oom_kills;   /* memory cgroup OOM kills */
        uint64_t pids_max_hits; /* forks refused at the pids limit */
};

struct rt_sandbox;

/* Load airlock-init into a sealed memfd once; every sandbox executes it. */
int rt_init_binary_open(const char *path, struct al_error *err);
/* Create and start a sandbox. On success *ret owns it; its channel is rt_sandbox_chan_fd(). */
int rt_sandbox_create(const struct rt_config *cfg, struct rt_sandbox **ret, struct al_error *err);
int rt_sandbox_chan_fd(const struct rt_sandbox *sb);
pid_t rt_sandbox_pid(const struct rt_sandbox *sb);
uid_t rt_sandbox_uid_base(const struct rt_sandbox *sb);
int rt_sandbox_stats(const struct rt_sandbox *sb, struct rt_stats *ret);
/* The network door: the listener that receives every outbound TCP connection
 * and the socket that receives every DNS query, both inside the sandbox's
 * network namespace (borrowed; they live as long as sb). */
#define RT_DOOR_TCP_PORT 1
#define RT_DOOR_DNS_PORT 53
void rt_sandbox_door_fds(const struct rt_sandbox *sb, int *ret_listen, int *ret_dns);
/* No proxy will serve this sandbox: close the door, so that connections are
 * refused at once (TCP reset, ICMP unreachable for DNS) instead of waiting. */
void rt_sandbox_door_shut(struct rt_sandbox *sb);
/* A new socket (close-on-exec) in the sandbox's network namespace, for
 * connections into the sandbox (exposed ports) or out through its door. */
int rt_sandbox_socket(const struct rt_sandbox *sb, int domain, int type, struct al_error *err);
/* Kill everything in the sandbox, reap it, remove every trace. Frees sb. */
void rt_sandbox_destroy(struct rt_sandbox *sb);
/* The same, returning as soon as no process of the sandbox is left; a child
 * process finishes the removal (mounts, cgroups, uid slot) in the background. */
void rt_sandbox_destroy_async(struct rt_sandbox *sb);

/* Generate a sandbox id in the SDK's format: sbx_<region>_<20 of [0-9a-hjkmnp-z]>. */
int rt_id_generate(const char *region, char ret[RT_ID_LEN + 1]);
bool rt_id_valid(const char *id);
