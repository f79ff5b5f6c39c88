/* SPDX-License-Identifier: Apache-2.0 */
/* airlock-init: PID 1 of every sandbox. One poll loop owns the channel to
 * airlockd (fd 3), the signalfd and every child's pipes. */
#pragma once

/* Where airlockd mounts the egress proxy's CA certificate (runtime/mounts.c). */
#define INIT_EGRESS_CA "/usr/local/share/ca-certificates/airlock-egress.crt"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/chan.h"
#include "common/limits.h"

#define INIT_CHAN_FD AL_INIT_FD_CHAN
#define INIT_MAX_EXITED 256 /* exit statuses kept for a restarted airlockd */

struct init_user {
        uid_t uid;
        gid_t gid;
        char name[64];
        char home[AL_MAX_PATH];
        char shell[AL_MAX_PATH];
};

struct init_proc {
        bool used;
        uint32_t id; /* airlockd's id */
        pid_t pid;   /* also the process group id */
        bool main;   /* its end ends the sandbox */
        bool tty;
        int in_fd;          /* stdin pipe or pty master; -1 when closed */
        int out_fd;         /* stdout pipe or pty master */
        int err_fd;         /* stderr pipe; -1 with a pty */
        struct al_buf in_q; /* stdin bytes waiting for the pipe */
        bool in_eof;        /* close stdin once in_q drains */
        uint32_t credit;    /* output bytes we may still send */
        bool reaped;
        bool detached; /* its airlockd is gone: output is read and dropped */
        int status;
        int64_t last_io_ms; /* last output read, or the reap */
};

struct init_state {
        int chan;
        bool chan_dead;
        struct al_buf out; /* frames toward airlockd */
        struct al_buf in;  /* bytes from airlockd */
        struct init_proc procs[AL_MAX_PROCS];
        bool shutting_down;
        bool strict; /* started without privileges: cannot switch users */
        json_t *env; /* sandbox-wide variables (envSet), applied to every spawn */
        size_t env_bytes;
        uid_t app_uid; /* file operations run as this user */
        gid_t app_gid;
        int handles[AL_MAX_HANDLES]; /* open files of the file handle methods, -1 = free */
        struct al_buf call;          /* a call being joined from parts */
        uint32_t call_id;
        bool can_outlive; /* has the rendezvous: survives airlockd (adopt.c) */
        struct {
                pid_t pid;
                int status;
        } exited[INIT_MAX_EXITED]; /* detached processes that ended, newest last */
        unsigned n_exited;
};

/* user.c */
int init_user_lookup(const char *name_or_uid, struct init_user *ret);

/* proc.c */
int init_proc_spawn(struct init_state *st, uint32_t id, const uint8_t *json, size_t len);
struct init_proc *init_proc_find(struct init_state *st, uint32_t id);
void init_proc_close_fds(struct init_proc *p);
void init_proc_release(struct init_proc *p);

/* fs.c: returns {"ok": ...} or {"error": ...} */
json_t *init_fs_call(struct init_state *st, const char *method, json_t *params);
const char *init_home(void);
/* walk.c */
int init_walk(json_t *params, json_t **ret);
int init_expand_glob(json_t *params, json_t **ret);

/* deno.c: the control channel (fds 3 and 4) and listening ports */
int init_ctl_open(struct init_state *st, uint32_t id, int child[2], struct init_proc **ret);
int init_ctl_child(const int child[2], uid_t uid, gid_t gid);
json_t *init_listening_ports(struct init_state *st, json_t *params);

/* adopt.c: living on without airlockd, and a new channel from the next one */
void init_adopt_setup(struct init_state *st);
void init_chan_lost(struct init_state *st);
void init_chan_arrived(struct init_state *st);
void init_proc_exited(struct init_state *st, struct init_proc *p);
json_t *init_proc_status(struct init_state *st, json_t *params);
json_t *init_proc_signal(struct init_state *st, json_t *params);

/* main.c */
int64_t init_now_ms(void);
void init_send(struct init_state *st, uint16_t type, uint32_t id, const void *p, size_t n);
void init_send_error(struct init_state *st, uint32_t id, int code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
