/* SPDX-License-Identifier: Apache-2.0 */
/* "airlock ssh ID [-- CMD [ARG...]]": ask airlockd for the sandbox's SSH
 * username (the REST call exposeSsh makes), then become OpenSSH's client.
 * The host key airlockd reports is pinned in a private known_hosts file, so
 * nothing is trusted on first use and ~/.ssh is left alone; the file goes
 * when ssh ends. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "ssh.h"

#define CLI_SSH_MAX_ARGS 64
#define PATH_MAX_KH 128

/* <tmp>/known_hosts with one line: "[host]:port TYPE BASE64". */
static int write_known_hosts(const char *host, int port, const char *key, char *path, size_t len)
{
        char dir[] = "/tmp/airlock-ssh-XXXXXX";

        if (!mkdtemp(dir))
                return -errno;
        snprintf(path, len, "%s/known_hosts", dir);
        FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        fprintf(f, "[%s]:%d %s\n", host, port, key);
        return fclose(f) == 0 ? 0 : -errno;
}

/* ssh in a child, so that the known_hosts file can go after it; ^C and
 * friends are the terminal's, for ssh alone. */
static int run_ssh(const char **args, const char *kh)
{
        int st = 0;
        pid_t pid = fork();

        if (pid == 0) {
                execvp("ssh", (char **)args);
                fprintf(stderr, "airlock: ssh: cannot run ssh: %s (apt-get install openssh-client)\n", strerror(errno));
                _exit(127);
        }
        signal(SIGINT, SIG_IGN);
        signal(SIGQUIT, SIG_IGN);
        while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        unlink(kh);
        char dir[PATH_MAX_KH];
        snprintf(dir, sizeof(dir), "%s", kh);
        *strrchr(dir, '/') = '\0';
        rmdir(dir);
        if (pid < 0)
                return 1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int cli_cmd_ssh(int argc, char **argv, const struct cli_conf *conf)
{
        char path[160], kh[PATH_MAX_KH], dest[400], port_s[16], khopt[PATH_MAX_KH + 32];
        const char *args[CLI_SSH_MAX_ARGS];
        json_t *body = NULL;
        int n = 0, status;

        if (argc < 2 || strlen(argv[1]) > 40 || (argc > 2 && strcmp(argv[2], "--") != 0) ||
            argc - 3 > CLI_SSH_MAX_ARGS - 16) {
                fprintf(stderr, "airlock: ssh ID [-- CMD [ARG...]]\n");
                return 2;
        }
        snprintf(path, sizeof(path), "/api/v3/sandbox/%s/expose/ssh", argv[1]);
        status = cli_http(conf, "POST", path, "{}", &body);
        const char *host = json_string_value(json_object_get(body, "hostname"));
        const char *user = json_string_value(json_object_get(body, "username"));
        const char *key = json_string_value(json_object_get(body, "host_key"));
        int port = (int)json_integer_value(json_object_get(body, "port"));
        if (status != 200 || !host || !user || !key || port <= 0) {
                const char *msg = json_string_value(json_object_get(body, "message"));
                fprintf(stderr, "airlock: ssh: %s\n", msg ? msg : status < 0 ? strerror(-status) : "no SSH gateway");
                json_decref(body);
                return 1;
        }
        if (write_known_hosts(host, port, key, kh, sizeof(kh)) < 0) {
                fprintf(stderr, "airlock: ssh: cannot write a known_hosts file: %s\n", strerror(errno));
                json_decref(body);
                return 1;
        }
        snprintf(dest, sizeof(dest), "%s@%s", user, host);
        snprintf(port_s, sizeof(port_s), "%d", port);
        snprintf(khopt, sizeof(khopt), "UserKnownHostsFile=%s", kh);
        json_decref(body);
        args[n++] = "ssh";
        args[n++] = "-p";
        args[n++] = port_s;
        args[n++] = "-o";
        args[n++] = khopt;
        args[n++] = "-o";
        args[n++] = "StrictHostKeyChecking=yes";
        args[n++] = "-o";
        args[n++] = "LogLevel=ERROR";
        args[n++] = dest;
        for (int i = 2; i < argc; i++)
                args[n++] = argv[i];
        args[n] = NULL;
        return run_ssh(args, kh);
}
