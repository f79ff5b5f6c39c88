/* SPDX-License-Identifier: Apache-2.0 */
/* airlock: the command-line client of airlockd. It speaks the same protocol
 * as the SDK (it is not a second way in). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "ssh.h"
#include "token.h"
#include "common/b64.h"
#include "common/buf.h"
#include "common/limits.h"
#include "common/parse.h"

#define STDIN_STREAM 1
#define CP_MAX (64u << 20)

static const char *state_dir = "/var/lib/airlock";

static void usage(FILE *f)
{
        fputs("usage: airlock COMMAND ...\n"
              "  create [--memory SIZE] [--timeout 10m] [--label k=v]... [--env K=V]...\n"
              "         [--allow-net HOST[:PORT]]... [--no-net] [--secret NAME=VALUE@HOST,...]...\n"
              "         [--port N]                 (the URL of port N goes to stderr)\n"
              "                                  make a sandbox that lives until its timeout\n"
              "                                  (default 30m); prints its id\n"
              "  exec [-i] [-t] ID -- CMD [ARG...] run a command in a sandbox\n"
              "  cp LOCAL ID:PATH | ID:PATH LOCAL copy a file in or out\n"
              "  ls [--label k=v]...             list sandboxes\n"
              "  rm ID                           kill a sandbox\n"
              "  expose ID PORT                  serve the sandbox's port PORT at a new https URL\n"
              "                                  (printed); it lives as long as the sandbox\n"
              "  snapshot ID SLUG                a running sandbox's filesystem into a bootable\n"
              "                                  snapshot (Sandbox.create({root: SLUG}))\n"
              "  netlog [--json] ID              the sandbox's egress log: every connection,\n"
              "                                  allowed or refused, and why\n"
              "  ssh ID [-- CMD [ARG...]]        a shell (or CMD) in the sandbox over its SSH gateway\n"
              "  run [create options] -- CMD     a sandbox for one command, removed after it\n"
              "  token create NAME [--admin]     a new named token; its secret is printed once\n"
              "  token ls [--json]               the live tokens (admin token needed)\n"
              "  token revoke NAME|ID            revoke a token at once\n"
              "  env                             print the exports for the SDK\n"
              "The server and token come from DENO_SANDBOX_ENDPOINT and DENO_DEPLOY_TOKEN, else\n"
              "http://127.0.0.1:8080 and /var/lib/airlock/token.\n",
              f);
}

static int64_t now_ms(void)
{
        struct timeval tv;
        gettimeofday(&tv, NULL);
        return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* "90s", "10m", "2h" */
static int parse_duration_ms(const char *s, int64_t *ret)
{
        char *end;
        if (!s)
                return -EINVAL;
        long long v = strtoll(s, &end, 10);
        int64_t mul = !strcmp(end, "s") ? 1000 : !strcmp(end, "m") ? 60000 : !strcmp(end, "h") ? 3600000 : 0;
        if (v <= 0 || !mul || end == s || v > 7 * 24 * 3600)
                return -EINVAL;
        *ret = v * mul;
        return 0;
}

struct create_opts {
        int64_t memory_mb;
        int64_t timeout_ms; /* 0: session */
        json_t *labels;
        json_t *env;
        json_t *allow_net; /* NULL: the public internet */
        uint64_t port;     /* exposed at creation, 0: none */
        json_t *secrets;
};

/* --secret NAME=VALUE@HOST[,HOST...], or NAME@HOST,... to take the value
 * from our own environment (it then stays off the command line). */
static int parse_secret(const char *arg, json_t *secrets)
{
        char buf[AL_MAX_ARG_LEN], *at, *eq, *value, *host, *save = NULL;

        snprintf(buf, sizeof(buf), "%s", arg);
        at = strrchr(buf, '@');
        if (!at || at == buf || !at[1])
                return -EINVAL;
        *at = '\0';
        eq = strchr(buf, '=');
        if (eq) {
                *eq = '\0';
                value = eq + 1;
        } else {
                value = getenv(buf);
        }
        if (!value || !*buf)
                return -EINVAL;
        json_t *hosts = json_array();
        for (host = strtok_r(at + 1, ",", &save); host; host = strtok_r(NULL, ",", &save))
                json_array_append_new(hosts, json_string(host));
        json_object_set_new(secrets, buf, json_pack("{s:o,s:s}", "hosts", hosts, "value", value));
        return 0;
}

static int parse_create(int argc, char **argv, struct create_opts *o, bool session_default)
{
        static const struct option opts[] = {
                { "memory", required_argument, NULL, 'm' },
                { "timeout", required_argument, NULL, 'T' },
                { "label", required_argument, NULL, 'l' },
                { "env", required_argument, NULL, 'e' },
                { "allow-net", required_argument, NULL, 'a' },
                { "no-net", no_argument, NULL, 'N' },
                { "secret", required_argument, NULL, 's' },
                { "port", required_argument, NULL, 'p' },
                { NULL, 0, NULL, 0 },
        };
        uint64_t bytes;
        int c;

        o->memory_mb = 1280;
        o->timeout_ms = session_default ? 0 : 30 * 60000;
        o->labels = json_object();
        o->env = json_object();
        o->allow_net = NULL;
        o->port = 0;
        o->secrets = json_object();
        optind = 0;
        while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
                char *eq = optarg ? strchr(optarg, '=') : NULL;
                switch (c) {
                case 'm':
                        if (al_parse_size(optarg, &bytes) < 0 || bytes < AL_MIN_MEMORY || bytes > AL_MAX_MEMORY) {
                                fprintf(stderr, "airlock: --memory: '%s' is not a size in 32M..64G\n", optarg);
                                return -EINVAL;
                        }
                        o->memory_mb = (int64_t)(bytes >> 20);
                        break;
                case 'T':
                        if (parse_duration_ms(optarg, &o->timeout_ms) < 0) {
                                fprintf(stderr, "airlock: --timeout: '%s' is not like 90s, 10m or 2h\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'l':
                case 'e':
                        if (!eq || eq == optarg) {
                                fprintf(stderr, "airlock: --%s: '%s' is not KEY=VALUE\n", c == 'l' ? "label" : "env",
                                        optarg);
                                return -EINVAL;
                        }
                        *eq = '\0';
                        json_object_set_new(c == 'l' ? o->labels : o->env, optarg, json_string(eq + 1));
                        *eq = '=';
                        break;
                case 'a':
                case 'N':
                        if (!o->allow_net)
                                o->allow_net = json_array();
                        if (c == 'a')
                                json_array_append_new(o->allow_net, json_string(optarg));
                        break;
                case 'p':
                        if (al_parse_uint(optarg, 1, 65535, &o->port) < 0) {
                                fprintf(stderr, "airlock: --port: '%s' is not a port in 1..65535\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 's':
                        if (parse_secret(optarg, o->secrets) < 0) {
                                fprintf(stderr,
                                        "airlock: --secret: '%s' is not NAME=VALUE@HOST[,HOST...] "
                                        "(or NAME@HOST,... with NAME set in the environment)\n",
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                default:
                        fprintf(stderr, "airlock: unknown or incomplete option '%s'\n", argv[optind - 1]);
                        return -EINVAL;
                }
        }
        return optind;
}

static int open_created(struct cli_ws *ws, const struct cli_conf *conf, struct create_opts *o)
{
        json_t *cfg = json_pack("{s:I,s:[]}", "memory_mb", (json_int_t)o->memory_mb, "volumes");
        const char *k;
        json_t *v;

        if (o->timeout_ms)
                json_object_set_new(cfg, "stop_at_ms", json_integer(now_ms() + o->timeout_ms));
        if (json_object_size(o->labels))
                json_object_set(cfg, "labels", o->labels);
        if (o->allow_net)
                json_object_set(cfg, "allow_net", o->allow_net);
        if (json_object_size(o->secrets))
                json_object_set(cfg, "secrets", o->secrets);
        char *text = json_dumps(cfg, JSON_COMPACT);
        char *b64 = al_b64_encode((const uint8_t *)text, strlen(text), NULL);
        int r = cli_ws_open(ws, conf, "/api/v3/sandboxes/create", b64);
        free(text);
        free(b64);
        json_decref(cfg);
        if (r < 0)
                return r;
        json_object_foreach (o->env, k, v) {
                json_t *res = cli_ws_call(ws, "envSet", json_pack("{s:s,s:O}", "key", k, "value", v));
                bool ok = json_object_get(res, "ok") != NULL;
                json_decref(res);
                if (!ok) {
                        fprintf(stderr, "airlock: setting %s failed\n", k);
                        return -EIO;
                }
        }
        return 0;
}

static const char *error_message(json_t *result)
{
        const char *m = json_string_value(json_object_get(json_object_get(result, "error"), "message"));
        return m ? m : "no answer from the server";
}

/* --- exec: stream a command's output, feed its stdin --------------------- */

struct exec_state {
        int64_t out_id, err_id;
        bool out_done, err_done;
        bool ready;      /* the stream ids are known */
        json_t *pending; /* notifications that came before them */
};

static void on_exec_note(void *user, const char *method, json_t *params)
{
        struct exec_state *st = user;

        /* The spawn response and its first stream notifications can arrive in
         * one read: keep them until the response has told us the ids. */
        if (!st->ready) {
                json_array_append_new(st->pending, json_pack("{s:s,s:O}", "m", method, "p", params));
                return;
        }
        int64_t sid = json_integer_value(json_object_get(params, "streamId"));
        int fd = sid == st->out_id ? 1 : sid == st->err_id ? 2 : -1;

        if (fd < 0)
                return;
        if (!strcmp(method, "$sandbox.stream.enqueue")) {
                json_t *d = json_object_get(params, "data");
                uint8_t *bytes;
                size_t n;
                if (json_is_string(d) &&
                    al_b64_decode(json_string_value(d), json_string_length(d), AL_MAX_CALL, &bytes, &n) == 0) {
                        (void)al_write_all(fd, bytes, n);
                        free(bytes);
                }
        } else if (!strcmp(method, "$sandbox.stream.end") || !strcmp(method, "$sandbox.stream.error")) {
                if (fd == 1)
                        st->out_done = true;
                else
                        st->err_done = true;
        }
}

static void send_stdin(struct cli_ws *ws, bool *open)
{
        uint8_t buf[AL_CHAN_DATA_CHUNK];
        ssize_t n = read(0, buf, sizeof(buf));

        if (n <= 0) {
                *open = false;
                cli_ws_send(ws, json_pack("{s:s,s:s,s:{s:i}}", "jsonrpc", "2.0", "method", "$sandbox.stream.end",
                                          "params", "streamId", STDIN_STREAM));
                return;
        }
        size_t len;
        char *b64 = al_b64_encode(buf, (size_t)n, &len);
        cli_ws_send(ws, json_pack("{s:s,s:s,s:{s:i,s:s%}}", "jsonrpc", "2.0", "method", "$sandbox.stream.enqueue",
                                  "params", "streamId", STDIN_STREAM, "data", b64 ? b64 : "", b64 ? len : 0));
        free(b64);
}

static int run_command(struct cli_ws *ws, char **cmd, bool interactive, bool tty)
{
        struct exec_state st = { .pending = json_array() };
        json_t *args = json_array(), *res, *params;
        const char *command = cmd[0];

        if (tty) { /* the protocol has no terminal: script(1) inside makes one */
                char line[8192] = "";
                for (char **a = cmd; *a; a++) {
                        strncat(line, "'", sizeof(line) - strlen(line) - 1);
                        for (const char *p = *a; *p; p++)
                                strncat(line, *p == '\'' ? "'\\''" : (char[]){ *p, 0 },
                                        sizeof(line) - strlen(line) - 1);
                        strncat(line, "' ", sizeof(line) - strlen(line) - 1);
                }
                command = "script";
                json_array_append_new(args, json_string("-qfec"));
                json_array_append_new(args, json_string(line));
                json_array_append_new(args, json_string("/dev/null"));
        } else {
                for (char **a = cmd + 1; *a; a++)
                        json_array_append_new(args, json_string(*a));
        }
        ws->on_note = on_exec_note;
        // cppcheck-suppress autoVariables ; reset to NULL before each return below
        ws->user = &st;
        params = json_pack("{s:s,s:o,s:s,s:s}", "command", command, "args", args, "stdout", "piped", "stderr", "piped");
        if (interactive || tty) {
                cli_ws_send(ws, json_pack("{s:s,s:s,s:{s:i}}", "jsonrpc", "2.0", "method", "$sandbox.stream.start",
                                          "params", "streamId", STDIN_STREAM));
                json_object_set_new(params, "stdinStreamId", json_integer(STDIN_STREAM));
        }
        res = cli_ws_call(ws, "spawn", params);
        json_t *ok = json_object_get(res, "ok");
        if (!ok) {
                fprintf(stderr, "airlock: %s\n", error_message(res));
                json_decref(res);
                json_decref(st.pending);
                ws->on_note = NULL; /* st ends here: no note may reach it later */
                ws->user = NULL;
                return 127;
        }
        st.out_id = json_integer_value(json_object_get(ok, "stdoutStreamId"));
        st.err_id = json_integer_value(json_object_get(ok, "stderrStreamId"));
        st.ready = true;
        size_t i;
        json_t *n;
        json_array_foreach (st.pending, i, n)
                on_exec_note(&st, json_string_value(json_object_get(n, "m")), json_object_get(n, "p"));
        json_decref(st.pending);
        st.pending = NULL;
        int64_t pid = json_integer_value(json_object_get(ok, "pid"));
        json_decref(res);
        ws->want_id = cli_ws_request(ws, "processWait", json_pack("{s:I}", "pid", (json_int_t)pid));
        bool stdin_open = interactive || tty;
        while (!ws->closed && (!ws->response || !st.out_done || !st.err_done)) {
                int r = cli_ws_pump(ws, stdin_open ? 0 : -1, 1000);
                if (r < 0)
                        break;
                if (r & 2)
                        send_stdin(ws, &stdin_open);
        }
        if (!ws->response) {
                fprintf(stderr, "airlock: the connection closed before the command finished\n");
                ws->on_note = NULL;
                ws->user = NULL;
                return 255;
        }
        json_t *status = json_object_get(json_object_get(json_object_get(ws->response, "result"), "ok"), "code");
        int code = json_is_integer(status) ? (int)json_integer_value(status) : 255;
        if (json_is_string(json_object_get(json_object_get(json_object_get(ws->response, "result"), "ok"), "oom")))
                fprintf(stderr, "airlock: out of memory\n");
        ws->on_note = NULL;
        ws->user = NULL;
        return code;
}

/* --- commands --------------------------------------------------------------- */

/* A REST answer other than 200 (or without what we need): say why, from the
 * server's message. */
static void http_failed(const char *cmd, int status, json_t *body)
{
        fprintf(stderr, "airlock: %s: %s (HTTP %d)\n", cmd,
                json_string_value(json_object_get(body, "message")) ?: "failed", status);
}

static char *expose_port(struct cli_ws *ws, const struct cli_conf *conf, const char *id, uint64_t port);

static int cmd_create(int argc, char **argv, const struct cli_conf *conf)
{
        struct create_opts o;
        struct cli_ws ws;

        if (parse_create(argc, argv, &o, false) < 0)
                return 2;
        if (open_created(&ws, conf, &o) < 0)
                return 1;
        printf("%s\n", ws.sandbox_id);
        fflush(stdout);
        if (o.port) { /* the id stays alone on stdout, for $(airlock create) */
                char *url = expose_port(&ws, conf, ws.sandbox_id, o.port);
                if (url)
                        fprintf(stderr, "airlock: port %llu is at %s\n", (unsigned long long)o.port, url);
                free(url);
                cli_ws_close(&ws);
                return url ? 0 : 1;
        }
        cli_ws_close(&ws);
        return 0;
}

static int cmd_exec(int argc, char **argv, const struct cli_conf *conf)
{
        bool in = false, tty = false;
        struct cli_ws ws;
        char path[128];
        int c;

        optind = 0;
        while ((c = getopt(argc, argv, "+it")) != -1) {
                if (c == 'i')
                        in = true;
                else if (c == 't')
                        tty = true;
                else
                        return 2;
        }
        if (optind + 1 >= argc) {
                fprintf(stderr, "airlock: exec ID -- CMD [ARG...]\n");
                return 2;
        }
        const char *id = argv[optind++];
        if (!strcmp(argv[optind], "--"))
                optind++;
        if (optind >= argc || strlen(id) > 40) {
                fprintf(stderr, "airlock: exec: no command\n");
                return 2;
        }
        snprintf(path, sizeof(path), "/api/v3/sandbox/%s/connect", id);
        if (cli_ws_open(&ws, conf, path, NULL) < 0)
                return 1;
        int code = run_command(&ws, argv + optind, in, tty);
        cli_ws_close(&ws);
        return code;
}

static int cmd_run(int argc, char **argv, const struct cli_conf *conf)
{
        struct create_opts o;
        struct cli_ws ws;
        int i = parse_create(argc, argv, &o, true);

        if (i < 0)
                return 2;
        if (i < argc && !strcmp(argv[i], "--"))
                i++;
        if (i >= argc) {
                fprintf(stderr, "airlock: run [options] -- CMD [ARG...]\n");
                return 2;
        }
        if (open_created(&ws, conf, &o) < 0)
                return 1;
        int code = run_command(&ws, argv + i, !isatty(0), false);
        cli_ws_close(&ws); /* a session sandbox: closing removes it */
        return code;
}

static int split_remote(const char *arg, char *id, size_t idlen, const char **path)
{
        const char *colon = strchr(arg, ':');
        if (!colon || strncmp(arg, "sbx_", 4) != 0 || (size_t)(colon - arg) >= idlen)
                return -1;
        memcpy(id, arg, (size_t)(colon - arg));
        id[colon - arg] = '\0';
        *path = colon + 1;
        return 0;
}

static int cmd_cp(int argc, char **argv, const struct cli_conf *conf)
{
        char id[64], url[128];
        const char *rpath;
        struct cli_ws ws;
        bool upload;

        if (argc != 3) {
                fprintf(stderr, "airlock: cp LOCAL ID:PATH | ID:PATH LOCAL\n");
                return 2;
        }
        upload = split_remote(argv[2], id, sizeof(id), &rpath) == 0;
        if (!upload && split_remote(argv[1], id, sizeof(id), &rpath) < 0) {
                fprintf(stderr, "airlock: cp: one side must be ID:PATH\n");
                return 2;
        }
        snprintf(url, sizeof(url), "/api/v3/sandbox/%s/connect", id);
        if (cli_ws_open(&ws, conf, url, NULL) < 0)
                return 1;
        json_t *res;
        int code = 0;
        if (upload) {
                int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
                struct stat sb;
                if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > CP_MAX) {
                        fprintf(stderr, "airlock: cp: %s: not a readable file of at most 64 MiB\n", argv[1]);
                        cli_ws_close(&ws);
                        return 1;
                }
                uint8_t *data = malloc((size_t)sb.st_size + 1);
                ssize_t n = data ? read(fd, data, (size_t)sb.st_size) : -1;
                close(fd);
                size_t len;
                char *b64 = n >= 0 ? al_b64_encode(data, (size_t)n, &len) : NULL;
                free(data);
                res = cli_ws_call(&ws, "writeFile",
                                  json_pack("{s:s,s:s%}", "path", rpath, "content", b64 ? b64 : "", b64 ? len : 0));
                free(b64);
                if (!json_object_get(res, "ok")) {
                        fprintf(stderr, "airlock: cp: %s\n", error_message(res));
                        code = 1;
                }
        } else {
                res = cli_ws_call(&ws, "readFile", json_pack("{s:s}", "path", rpath));
                json_t *ok = json_object_get(res, "ok");
                uint8_t *bytes;
                size_t n;
                if (!json_is_string(ok) ||
                    al_b64_decode(json_string_value(ok), json_string_length(ok), CP_MAX * 2, &bytes, &n) < 0) {
                        fprintf(stderr, "airlock: cp: %s\n", error_message(res));
                        code = 1;
                } else {
                        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                        if (fd < 0 || write(fd, bytes, n) != (ssize_t)n) {
                                fprintf(stderr, "airlock: cp: cannot write %s: %s\n", argv[2], strerror(errno));
                                code = 1;
                        }
                        if (fd >= 0)
                                close(fd);
                        free(bytes);
                }
        }
        json_decref(res);
        cli_ws_close(&ws);
        return code;
}

static int cmd_ls(int argc, char **argv, const struct cli_conf *conf)
{
        char path[1024] = "/api/v2/sandboxes";
        json_t *body = NULL, *e;
        size_t i;

        for (int a = 1; a + 1 < argc; a += 2) {
                char *eq = strchr(argv[a + 1], '=');
                if (strcmp(argv[a], "--label") || !eq) {
                        fprintf(stderr, "airlock: ls [--label k=v]...\n");
                        return 2;
                }
                snprintf(path + strlen(path), sizeof(path) - strlen(path), "%slabels%%5B%.*s%%5D=%s",
                         a == 1 ? "?" : "&", (int)(eq - argv[a + 1]), argv[a + 1], eq + 1);
        }
        int status = cli_http(conf, "GET", path, NULL, &body);
        if (status != 200) {
                http_failed("ls", status, body);
                json_decref(body);
                return 1;
        }
        printf("%-30s %-9s %-26s %-26s %s\n", "ID", "STATUS", "CREATED", "STOPPED", "LABELS");
        json_array_foreach (body, i, e) {
                char *labels = json_dumps(json_object_get(e, "labels"), JSON_COMPACT);
                const char *stopped = json_string_value(json_object_get(e, "stoppedAt"));
                printf("%-30s %-9s %-26s %-26s %s\n", json_string_value(json_object_get(e, "id")),
                       json_string_value(json_object_get(e, "status")),
                       json_string_value(json_object_get(e, "createdAt")), stopped ? stopped : "-",
                       labels ? labels : "{}");
                free(labels);
        }
        json_decref(body);
        return 0;
}

/* A domain from the REST call, bound to the port by exposeHttp on an open
 * connection: the SDK's two steps. Returns the URL (to free) or NULL. */
static char *expose_port(struct cli_ws *ws, const struct cli_conf *conf, const char *id, uint64_t port)
{
        char path[128], *url = NULL;
        json_t *body = NULL, *res;

        snprintf(path, sizeof(path), "/api/v3/sandbox/%s/expose/http", id);
        int status = cli_http(conf, "POST", path, "{}", &body);
        const char *domain = json_string_value(json_object_get(body, "domain"));
        if (status != 200 || !domain) {
                http_failed("expose", status, body);
                json_decref(body);
                return NULL;
        }
        res = cli_ws_call(ws, "exposeHttp", json_pack("{s:s,s:I}", "domain", domain, "port", (json_int_t)port));
        if (!json_object_get(res, "ok"))
                fprintf(stderr, "airlock: expose: %s\n", error_message(res));
        else if (asprintf(&url, "https://%s", domain) < 0)
                url = NULL;
        json_decref(res);
        json_decref(body);
        return url;
}

static int cmd_expose(int argc, char **argv, const struct cli_conf *conf)
{
        char path[128];
        uint64_t port;
        struct cli_ws ws;

        if (argc != 3 || strlen(argv[1]) > 40 || al_parse_uint(argv[2], 1, 65535, &port) < 0) {
                fprintf(stderr, "airlock: expose ID PORT (a port in 1..65535)\n");
                return 2;
        }
        snprintf(path, sizeof(path), "/api/v3/sandbox/%s/connect", argv[1]);
        if (cli_ws_open(&ws, conf, path, NULL) < 0)
                return 1;
        char *url = expose_port(&ws, conf, argv[1], port);
        if (url)
                printf("%s\n", url);
        free(url);
        cli_ws_close(&ws);
        return url ? 0 : 1;
}

/* A running sandbox's filesystem into a bootable snapshot, in one call. */
static int cmd_snapshot(int argc, char **argv, const struct cli_conf *conf)
{
        char path[128], body[256];
        json_t *req, *res = NULL;
        struct timespec t0, t1;
        int status;

        if (argc != 3 || strlen(argv[1]) > 40 || strlen(argv[2]) > 64) {
                fprintf(stderr, "airlock: snapshot ID SLUG\n");
                return 2;
        }
        req = json_pack("{s:s}", "slug", argv[2]);
        char *text = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        snprintf(body, sizeof(body), "%s", text ? text : "{}");
        free(text);
        snprintf(path, sizeof(path), "/api/airlock/v1/sandboxes/%s/snapshot", argv[1]);
        fprintf(stderr, "airlock: copying the filesystem of %s into snapshot '%s' (its processes pause meanwhile)...\n",
                argv[1], argv[2]);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        status = cli_http(conf, "POST", path, body, &res);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (status != 200) {
                http_failed("snapshot", status, res);
                json_decref(res);
                return 1;
        }
        json_int_t size = json_integer_value(json_object_get(res, "flattened_size"));
        printf("%s\n", json_string_value(json_object_get(res, "id")));
        fprintf(stderr,
                "airlock: snapshot '%s' made in %.1f s (%lld MiB); boot it with Sandbox.create({ root: \"%s\" })\n",
                argv[2], (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                (long long)(size >> 20), argv[2]);
        json_decref(res);
        return 0;
}

/* The egress log: one line per connection the sandbox made. */
static int cmd_netlog(int argc, char **argv, const struct cli_conf *conf)
{
        bool as_json = argc == 3 && !strcmp(argv[1], "--json");
        const char *id = argv[argc - 1];
        char path[128];
        json_t *body = NULL, *e;
        size_t i;

        if ((argc != 2 && !as_json) || strlen(id) > 40) {
                fprintf(stderr, "airlock: netlog [--json] ID\n");
                return 2;
        }
        snprintf(path, sizeof(path), "/api/v3/sandbox/%s/netlog", id);
        int status = cli_http(conf, "GET", path, NULL, &body);
        if (status != 200) {
                http_failed("netlog", status, body);
                json_decref(body);
                return 1;
        }
        if (as_json) {
                json_dumpf(body, stdout, JSON_INDENT(2));
                putchar('\n');
                json_decref(body);
                return 0;
        }
        printf("%-23s %-32s %-15s %5s %-6s %9s %9s %6s %s\n", "TIME", "HOST", "ADDRESS", "PORT", "VERDICT", "OUT", "IN",
               "MS", "REASON");
        json_array_foreach (json_object_get(body, "records"), i, e) {
                time_t t = (time_t)(json_integer_value(json_object_get(e, "ts")) / 1000);
                char when[32];
                struct tm tm;
                /* a time past struct tm's years: gmtime() is NULL, not a date */
                if (!gmtime_r(&t, &tm) || strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                        snprintf(when, sizeof(when), "-");
                const char *name = json_string_value(json_object_get(e, "name"));
                printf("%-23s %-32s %-15s %5lld %-7s %9lld %9lld %6lld %s%s\n", when, name && *name ? name : "-",
                       json_string_value(json_object_get(e, "addr")),
                       (long long)json_integer_value(json_object_get(e, "port")),
                       json_string_value(json_object_get(e, "decision")),
                       (long long)json_integer_value(json_object_get(e, "bytes_out")),
                       (long long)json_integer_value(json_object_get(e, "bytes_in")),
                       (long long)json_integer_value(json_object_get(e, "ms")),
                       json_string_value(json_object_get(e, "reason")),
                       json_is_true(json_object_get(e, "tls_intercepted")) ? " (TLS intercepted)" : "");
        }
        if (json_integer_value(json_object_get(body, "dropped")))
                printf("(%lld older records dropped)\n", (long long)json_integer_value(json_object_get(body, "droppe"
                                                                                                             "d")));
        json_decref(body);
        return 0;
}

static int cmd_rm(int argc, char **argv, const struct cli_conf *conf)
{
        char path[128];
        json_t *body = NULL;

        if (argc != 2 || strlen(argv[1]) > 40) {
                fprintf(stderr, "airlock: rm ID\n");
                return 2;
        }
        snprintf(path, sizeof(path), "/api/v3/sandbox/%s", argv[1]);
        int status = cli_http(conf, "DELETE", path, NULL, &body);
        if (status != 200)
                http_failed("rm", status, body);
        json_decref(body);
        return status == 200 ? 0 : 1;
}

int main(int argc, char **argv)
{
        struct cli_conf conf;

        signal(SIGPIPE, SIG_IGN);
        if (getenv("AIRLOCK_STATE_DIR"))
                state_dir = getenv("AIRLOCK_STATE_DIR");
        if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        if (cli_conf_load(&conf, state_dir) < 0)
                return 1;
        const char *cmd = argv[1];
        argc--, argv++;
        if (!strcmp(cmd, "env")) {
                printf("export DENO_SANDBOX_ENDPOINT=%s DENO_DEPLOY_ENDPOINT=%s DENO_DEPLOY_TOKEN=%s\n", conf.endpoint,
                       conf.endpoint, conf.token);
                return 0;
        }
        if (!strcmp(cmd, "create"))
                return cmd_create(argc, argv, &conf);
        if (!strcmp(cmd, "exec"))
                return cmd_exec(argc, argv, &conf);
        if (!strcmp(cmd, "run"))
                return cmd_run(argc, argv, &conf);
        if (!strcmp(cmd, "cp"))
                return cmd_cp(argc, argv, &conf);
        if (!strcmp(cmd, "ls"))
                return cmd_ls(argc, argv, &conf);
        if (!strcmp(cmd, "rm"))
                return cmd_rm(argc, argv, &conf);
        if (!strcmp(cmd, "expose"))
                return cmd_expose(argc, argv, &conf);
        if (!strcmp(cmd, "snapshot"))
                return cmd_snapshot(argc, argv, &conf);
        if (!strcmp(cmd, "netlog"))
                return cmd_netlog(argc, argv, &conf);
        if (!strcmp(cmd, "ssh"))
                return cli_cmd_ssh(argc, argv, &conf);
        if (!strcmp(cmd, "token"))
                return cli_cmd_token(argc, argv, &conf);
        fprintf(stderr, "airlock: unknown command '%s' (see airlock --help)\n", cmd);
        return 2;
}
