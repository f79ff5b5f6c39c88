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

/* Volumes and snapshots are ext4 images in the state directory:
 * <state>/volumes/<id>.img and <state>/snapshots/<id>.img (volume.c). */
#define RT_OBJ_ID_MAX 48 /* "vol_..." and "snp_..." ids, with their NUL */

struct rt_volume_mount {
        char id[RT_OBJ_ID_MAX];        /* <state>/volumes/<id>.img */
        char path[AL_MAX_VOLUME_PATH]; /* where it appears in the sandbox (rt_volume_path_valid) */
};

enum rt_root_kind {
        RT_ROOT_IMAGE = 0, /* the image below, the sandbox's own disk above */
        RT_ROOT_SNAPSHOT,  /* a snapshot below (read-only, shared), the sandbox's own disk above */
        RT_ROOT_VOLUME,    /* a bootable volume, read-write, is the root itself */
};

struct rt_config {
        char id[RT_ID_LEN + 1];
        const char *state_dir; /* holds images/, disks/, slots/, mnt/ */
        const char *image;     /* name under <state_dir>/images/ */
        enum rt_profile profile;
        struct rt_limits limits;
        int init_fd;           /* sealed memfd holding airlock-init, owned by the caller */
        const char *trust_dir; /* CA bundle for the sandbox (see mounts.c), or NULL */
        bool outlive_daemon;   /* keeps running when airlockd dies; rt_sandbox_adopt takes it back */
        /* Volumes and the root filesystem's source (volume.c): plain data,
         * copied into the struct, so nothing here outlives its caller. */
        unsigned n_volumes;
        struct rt_volume_mount volumes[AL_MAX_SANDBOX_VOLUMES];
        enum rt_root_kind root_kind;
        char root_id[RT_OBJ_ID_MAX]; /* the snapshot's or volume's id, unless RT_ROOT_IMAGE */
};

struct rt_stats {
        uint64_t oom_kills;     /* memory cgroup OOM kills */
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

/* What finds a sandbox again after airlockd restarts: airlock-init's pid and
 * its start time (clock ticks after boot, /proc/PID/stat), which together
 * cannot name another process. */
struct rt_ident {
        pid_t pid;
        uint64_t start_time;
};
int rt_sandbox_ident(const struct rt_sandbox *sb, struct rt_ident *ret);
/* Take back a sandbox an earlier airlockd made with outlive_daemon: checks
 * that the process is that sandbox's airlock-init, takes a copy of its uid
 * slot's lock, hands it a new channel (it answers HELLO on it) and re-opens
 * its network door. -ESRCH when the sandbox is gone. */
int rt_sandbox_adopt(const char *id, const struct rt_ident *ident, struct rt_sandbox **ret, struct al_error *err);
/* Let it run on without us (airlockd exits, leaving sandboxes for the next
 * start): frees sb and closes our descriptors; the sandbox is untouched. */
void rt_sandbox_release(struct rt_sandbox *sb);
/* What sandboxes that ended while no airlockd watched left behind: the
 * cgroups of those in gone, empty cgroups of unknown sandboxes older than a
 * minute (never one in keep, never one with a process: `airlockd run`
 * sandboxes are not touched) and stray disk files. Returns the number of
 * things removed. */
int rt_remains_remove(const char *state_dir, const char *const *keep, size_t n_keep, const char *const *gone,
                      size_t n_gone);

/* --- volumes and snapshots on disk (volume.c) ---------------------------
 * Plain files in the state directory; nothing is mounted on the host. Error
 * messages name the volume or snapshot id, never a host path. */
enum rt_volume_from {
        RT_FROM_NOTHING = 0, /* an empty filesystem, its root owned by the app user */
        RT_FROM_IMAGE,       /* a copy of an image's root filesystem (bootable) */
        RT_FROM_SNAPSHOT,    /* a copy of a snapshot, grown to the capacity */
};
/* Is path an acceptable mount path for a volume: absolute, normalised, no
 * "." or "..", not "/", not /etc, not under /proc, /sys or /dev, shorter than
 * AL_MAX_VOLUME_PATH, of [A-Za-z0-9._@+-] and '/'. *ret_why says why not. */
bool rt_volume_path_valid(const char *path, const char **ret_why);
/* Make <state>/volumes/<id>.img of `bytes` (from_name: an image name or a snapshot id). */
int rt_volume_make(const char *state_dir, const char *id, uint64_t bytes, enum rt_volume_from from,
                   const char *from_name, struct al_error *err);
/* Copy a detached volume into <state>/snapshots/<snapshot_id>.img (read-only);
 * *ret_allocated gets the bytes it takes on the host. -EBUSY while a loop
 * device still holds the volume. */
int rt_volume_snapshot(const char *state_dir, const char *volume_id, const char *snapshot_id, uint64_t *ret_allocated,
                       struct al_error *err);
/* Remove the file of a volume (snapshot false) or a snapshot; a sandbox
 * using it keeps its open copy until it ends. */
void rt_volume_remove(const char *state_dir, bool snapshot, const char *id);
/* The size of a snapshot's filesystem: a volume made from it needs at least that. */
int rt_snapshot_size(const char *state_dir, const char *snapshot_id, uint64_t *ret, struct al_error *err);

/* Lend a running sandbox a fresh ext4 image at /dev/.airlock (lend.c),
 * idmapped to its users, for a copy made inside it; take it back, check it,
 * trim the file to the filesystem. image is the host path to create. */
#define RT_LEND_PATH "/dev/.airlock"
struct rt_lend {
        char dev[64];
        int loop_fd;
        bool lent;
        uint64_t bytes; /* the image's size */
};
/* What the sandbox boots from, to size the image: its files below (an image
 * or a snapshot) plus what its root's filesystem has in use. */
struct rt_lend_size {
        const char *state_dir;
        const char *image; /* RT_ROOT_IMAGE: its name */
        enum rt_root_kind root_kind;
        const char *root_id; /* RT_ROOT_SNAPSHOT: its id */
};
int rt_sandbox_lend(const struct rt_sandbox *sb, const char *image, const struct rt_lend_size *size,
                    struct rt_lend *ret, struct al_error *err);
int rt_sandbox_unlend(const struct rt_sandbox *sb, struct rt_lend *l, const char *image, struct al_error *err);
/* Stop (SIGSTOP) or continue every process of the sandbox but airlock-init;
 * returns how many were signalled, or -errno. */
int rt_sandbox_pause(const struct rt_sandbox *sb, bool pause);

/* Generate a sandbox id in the SDK's format: sbx_<region>_<20 of [0-9a-hjkmnp-z]>. */
int rt_id_generate(const char *region, char ret[RT_ID_LEN + 1]);
bool rt_id_valid(const char *id);
