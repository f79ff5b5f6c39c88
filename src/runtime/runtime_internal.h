/* SPDX-License-Identifier: Apache-2.0 */
/* Cross-file functions inside runtime/. Names ending in _child run in the
 * cloned child (host root, new namespaces, before airlock-init is executed);
 * names ending in _parent run in airlockd and act on the child. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "common/error.h"
#include "runtime.h"
#include "selfconfine.h"

#define RT_SC_MAX_AF 46 /* AF_MAX on 6.x kernels */
#define RT_SANDBOX_GID_TTY 5
#define RT_APP_UID 1000
#define RT_LEND_DIR (RT_LEND_PATH + 1) /* in every sandbox: a mount point only airlockd uses */

/* volume.c: the loop devices of a sandbox's volumes and root, attached by
 * the parent (autoclear) and held open until the child has mounted them. */
struct rt_vol_devs {
        unsigned n_fds; /* fds[0 .. n_fds) are open */
        int fds[AL_MAX_SANDBOX_VOLUMES + 1];
        char dev[AL_MAX_SANDBOX_VOLUMES][64]; /* cfg->volumes[i] */
        char root_dev[64];                    /* cfg->root_id's, unless RT_ROOT_IMAGE */
};

/* What the child needs, prepared by the parent before clone. */
struct rt_child_args {
        const struct rt_config *cfg;
        char image_root[PATH_MAX]; /* <state>/images/<name>/rootfs */
        char staging[PATH_MAX];    /* <state>/mnt: an empty directory */
        char loop_dev[64];         /* the upper layer's block device */
        uid_t uid_base;
        int userns_fd;
        int sync_fd;             /* child end: SOCK_SEQPACKET to the parent */
        int chan_fd;             /* child end: becomes fd 3 of airlock-init */
        struct rt_vol_devs vols; /* volume.c */
        int rdv_fds[2];          /* outlive_daemon: both ends of the rendezvous (fds 4 and 5), else -1 */
        int slot_fd;             /* outlive_daemon: the uid slot's lock (fd 6), else -1 */
};

/* netdoor.c's door, owned by a sandbox */
struct rt_door {
        int netns_fd;  /* the sandbox's network namespace */
        int listen_fd; /* every outbound TCP connection arrives here */
        int dns_fd;    /* every DNS query arrives here */
};

/* A live sandbox (sandbox.c makes it, adopt.c takes one back). */
struct rt_sandbox {
        char id[RT_ID_LEN + 1];
        pid_t pid;
        int pidfd;
        int chan_fd;
        int slot_fd;
        int mntns_fd; /* holds the mount namespace so its teardown can be deferred */
        struct rt_door door;
        uid_t uid_base;
        bool cgroup_made;
        bool reaped;
        bool adopted; /* made by an earlier airlockd: not our child */
        struct rt_cgroup cg;
};

/* sandbox.c: a sandbox with every descriptor unset, or NULL with err set */
struct rt_sandbox *rt_sandbox_alloc(const char *id, struct al_error *err);

/* Error report from child to parent over the sync socket. */
struct rt_sync_msg {
        int code; /* 0 = go / ok, else positive errno */
        char msg[AL_MAX_ERRMSG];
};

/* netdoor.c: the sandbox's only way out (ARCHITECTURE.md "Network: one door") */
#define RT_STR_(x) #x
#define RT_STR(x) RT_STR_(x)
#define RT_DOOR_BACKLOG 256
int rt_netdoor_setup_parent(pid_t pid, struct rt_door *d, struct al_error *err);
/* nftdoor.c: the door's rules, in the calling thread's network namespace */
int rt_nft_door_load(struct al_error *err);
int rt_netdoor_reopen_parent(pid_t pid, struct rt_door *d, struct al_error *err);
int rt_netdoor_socket(const struct rt_door *d, int domain, int type, struct al_error *err);
void rt_netdoor_close(struct rt_door *d);

/* slot.c: a private host uid range per live sandbox */
int rt_slot_acquire(const char *state_dir, unsigned *ret_slot, int *ret_lock_fd, struct al_error *err);

/* userns.c */
uid_t rt_slot_uid_base(unsigned slot);
int rt_idmap_format(uid_t base, char *buf, size_t len);
int rt_userns_open_parent(uid_t base, enum rt_profile profile, int *ret_fd, struct al_error *err);

/* disk.c: an auto-clear loop device over backing (ro: read-only) */
int rt_loop_attach(int backing, bool ro, char ret_dev[64], int *ret_fd, struct al_error *err);
/* disk.c */
int rt_disk_attach_parent(const char *state_dir, const char *id, uint64_t bytes, char ret_dev[64], int *ret_loop_fd,
                          struct al_error *err);

/* volume.c */
/* Run an e2fsprogs tool to completion; its first stderr line goes into err. */
int rt_run_tool(char *const argv[], const char *what, struct al_error *err);
int rt_volumes_attach_parent(const struct rt_config *cfg, struct rt_vol_devs *d, struct al_error *err);
void rt_volumes_close_parent(struct rt_vol_devs *d);
int rt_root_snapshot_child(const struct rt_child_args *a, const char *lower, struct al_error *err);
int rt_root_volume_child(const struct rt_child_args *a, const char *root, struct al_error *err);
int rt_volumes_mount_child(const struct rt_child_args *a, const char *root, struct al_error *err);

/* mounts.c */
int rt_rootfs_setup_child(const struct rt_child_args *a, struct al_error *err);

/* security.c: capabilities, Landlock, rlimits */
int rt_caps_drop_child(enum rt_profile profile, struct al_error *err);
int rt_landlock_child(struct al_error *err);

const struct rt_cgroup_roots *rt_cgroup_roots_get(void);

/* seccomp.c */
#define RT_SECCOMP_MAX_BPF (64u * 1024u)
int rt_seccomp_build(void **ret_ctx);
int rt_seccomp_program(const uint8_t **ret, size_t *ret_len, struct al_error *err);
int rt_seccomp_install_child(const uint8_t *bpf, size_t len, struct al_error *err);

/* child.c */
int rt_child_main(void *arg);
