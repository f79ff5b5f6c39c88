/* SPDX-License-Identifier: Apache-2.0 */
/* Every size that a client or a sandbox controls is capped here, and only here. */
#pragma once

/* Channel between airlockd and airlock-init (src/common/chan.h). */
#define AL_CHAN_MAX_PAYLOAD (256u * 1024u)     /* one frame's payload */
#define AL_CHAN_DATA_CHUNK (64u * 1024u)       /* stdout/stderr/stdin chunk */
#define AL_CHAN_WINDOW (1024u * 1024u)         /* unacknowledged output bytes per stream */
#define AL_CHAN_MAX_QUEUE (4u * 1024u * 1024u) /* bytes queued toward one peer */
#define AL_MAX_PROCS 256                       /* live processes airlock-init tracks */

/* Calls through the channel (file and environment methods), joined from parts. */
#define AL_MAX_CALL (96u * 1024u * 1024u)      /* a call's or a reply's JSON */
#define AL_MAX_FILE_READ (64u * 1024u * 1024u) /* readFile: base64 must fit the SDK's 100 MiB */
#define AL_MAX_DIR_ENTRIES 100000
#define AL_MAX_NETLOG 1000                       /* egress log records kept per sandbox */
#define AL_MAX_HANDLES 256                       /* open file handles per sandbox */
#define AL_MAX_HANDLE_READ (16u * 1024u * 1024u) /* one fileRead */
#define AL_MAX_ENV_BYTES (1u * 1024u * 1024u)    /* sandbox-wide variables set by envSet */

/* Spawn requests. */
#define AL_MAX_ARGS 4096
#define AL_MAX_ENV 4096
#define AL_MAX_ARG_LEN (128u * 1024u)
#define AL_MAX_PATH 4096
#define AL_MAX_ERRMSG 512

/* Sandbox resources, as accepted from the command line or a client. */
#define AL_MIN_MEMORY (32ull << 20)
#define AL_MAX_MEMORY (64ull << 30)
#define AL_MIN_DISK (16ull << 20)
#define AL_MAX_DISK (1ull << 40)
#define AL_MAX_CPUS 64
#define AL_MIN_PIDS 8
#define AL_MAX_PIDS 65536
#define AL_SHM_SIZE (64ull << 20) /* /dev/shm, charged to the memory cgroup */

/* How far ahead a sandbox's stop time may be set (create or extend). */
#define AL_MAX_LIFETIME_MS (7ll * 24 * 3600 * 1000)

/* Defaults. */
#define AL_DEFAULT_MEMORY (512ull << 20)
#define AL_DEFAULT_DISK (10ull << 30)
#define AL_DEFAULT_CPUS 2
#define AL_DEFAULT_PIDS 1024
#define AL_NOFILE 4096

/* Host uid ranges: slot N owns [AL_UID_BASE + N * AL_UID_RANGE, +AL_UID_RANGE). */
#define AL_UID_BASE 1000000000u
#define AL_UID_RANGE 65536u
#define AL_MAX_SLOTS 4096u

/* /etc/passwd and /etc/group as read by airlock-init. */
#define AL_MAX_PASSWD_BYTES (1u << 20)

/* Ingress: exposed HTTP ports (src/api/ingress.c). */
#define AL_MAX_EXPOSED_DOMAINS 64            /* domains handed out per sandbox */
#define AL_MAX_INGRESS_CONNS 1024            /* open connections into one sandbox's ports */
#define AL_INGRESS_HIGH_WATER (256u * 1024u) /* queued toward one side before the other is not read */

/* fetch from the sandbox's network (src/sandbox/fetch.c). */
#define AL_MAX_FETCHES 64                             /* fetches in flight per sandbox */
#define AL_FETCH_MAX_URL (8u * 1024u)                 /* a request URL, and a Location followed */
#define AL_FETCH_MAX_HEADERS 256                      /* header lines each way */
#define AL_FETCH_MAX_HEAD (64u * 1024u)               /* a response head; also the request head we write */
#define AL_FETCH_MAX_REDIRECTS 20                     /* as WHATWG fetch */
#define AL_FETCH_MAX_BODY_QUEUE (64u * 1024u * 1024u) /* request body bytes waiting for the upstream */
#define AL_FETCH_CHUNK (64u * 1024u)                  /* response body bytes per stream message */
#define AL_FETCH_HIGH_WATER (1024u * 1024u) /* stop reading the upstream while the client has this much queued */
#define AL_FETCH_MAX_METHOD 32              /* an HTTP method name */

/* The Deno methods (src/sandbox/deno.c). */
#define AL_MAX_DENO_REPLS 64                      /* live REPLs per sandbox */
#define AL_MAX_DENO_PENDING 256                   /* evals and calls queued on one REPL */
#define AL_MAX_DENO_WAITS 256                     /* denoHttpWait calls pending per sandbox */
#define AL_MAX_DENO_REQUEST (64u * 1024u * 1024u) /* a REPL's requests not yet taken by the process */
#define AL_MAX_DENO_REPLY (64u * 1024u * 1024u)   /* one reply line from the REPL harness */

/* The SSH gateway (src/api/ssh.c). */
#define AL_SSH_MAX_CONNS 256        /* connections at once */
#define AL_SSH_MAX_CHANNELS 8       /* session channels per connection */
#define AL_SSH_MAX_USERS 4096       /* exposed sandboxes remembered */
#define AL_SSH_MAX_AUTH_TRIES 6     /* authentication requests per connection */
#define AL_SSH_AUTH_TIMEOUT_S 30    /* from accept to authenticated */
#define AL_SSH_MAX_STDIN (1u << 20) /* client input buffered toward one process */

/* Operations (src/common/log.c, the config file in src/airlockd/options.c). */
#define AL_LOG_MAX_VALUE 1024        /* one logged value; longer ones end in "..." */
#define AL_LOG_MAX_LINE 8192         /* one log line, all values together */
#define AL_CONF_MAX_BYTES (1u << 20) /* airlockd.conf */
#define AL_CONF_MAX_LINE 4096        /* one line of it */
#define AL_CONF_MAX_ENTRIES 1024     /* key = value lines in it */

/* Volumes and snapshots (src/api/console.c, src/runtime/volume.c). */
#define AL_MIN_VOLUME (16ull << 20) /* a volume's capacity */
#define AL_MAX_VOLUME (1ull << 40)
#define AL_MAX_SANDBOX_VOLUMES 8          /* volumes mounted in one sandbox */
#define AL_MAX_VOLUME_PATH 256            /* a volume's mount path in the sandbox */
#define AL_MAX_TOKEN_VOLUMES 100          /* volumes one token may keep */
#define AL_MAX_TOKEN_SNAPSHOTS 100        /* snapshots one token may keep */
#define AL_MAX_CONSOLE_BODY (64u * 1024u) /* a console request's JSON body */
