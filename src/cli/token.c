/* SPDX-License-Identifier: Apache-2.0 */
/* airlock token: named tokens through /api/airlock/v1/tokens (an admin
 * token is needed for all of it). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "token.h"

#define TOKENS_PATH "/api/airlock/v1/tokens"
#define TOKEN_NAME_MAX 64

static int failed(const char *cmd, int status, json_t *body)
{
        if (status < 0)
                fprintf(stderr, "airlock: token %s: cannot reach the server: %s\n", cmd, strerror(-status));
        else
                fprintf(stderr, "airlock: token %s: %s (HTTP %d)\n", cmd,
                        json_string_value(json_object_get(body, "message")) ?: "failed", status);
        json_decref(body);
        return 1;
}

static int token_create(int argc, char **argv, const struct cli_conf *conf)
{
        const char *name = NULL;
        bool admin = false;
        json_t *body = NULL;

        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--admin"))
                        admin = true;
                else if (!name && argv[i][0] != '-')
                        name = argv[i];
                else
                        name = NULL, i = argc;
        }
        if (!name || strlen(name) > TOKEN_NAME_MAX) {
                fprintf(stderr, "airlock: token create NAME [--admin] (NAME: 1 to 64 of A-Z a-z 0-9 . _ -)\n");
                return 2;
        }
        json_t *req = json_pack("{s:s,s:b}", "name", name, "admin", admin);
        char *text = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        int status = cli_http(conf, "POST", TOKENS_PATH, text, &body);
        free(text);
        const char *secret = json_string_value(json_object_get(body, "token"));
        if (status != 201 || !secret)
                return failed("create", status, body);
        printf("%s\n", secret);
        fflush(stdout);
        fprintf(stderr,
                "airlock: token '%s' (%s%s) created. Keep the secret above: it is shown only this "
                "once.\n",
                name, json_string_value(json_object_get(body, "id")) ?: "?", admin ? ", admin" : "");
        json_decref(body);
        return 0;
}

static int token_ls(int argc, char **argv, const struct cli_conf *conf)
{
        bool as_json = argc == 2 && !strcmp(argv[1], "--json");
        json_t *body = NULL, *e;
        size_t i;

        if (argc != 1 && !as_json) {
                fprintf(stderr, "airlock: token ls [--json]\n");
                return 2;
        }
        int status = cli_http(conf, "GET", TOKENS_PATH, NULL, &body);
        if (status != 200 || !json_is_array(body))
                return failed("ls", status, body);
        if (as_json) {
                json_dumpf(body, stdout, JSON_INDENT(2));
                putchar('\n');
        } else {
                printf("%-28s %-24s %-6s %s\n", "ID", "NAME", "ADMIN", "CREATED");
                json_array_foreach (body, i, e) {
                        printf("%-28s %-24s %-6s %s\n", json_string_value(json_object_get(e, "id")),
                               json_string_value(json_object_get(e, "name")),
                               json_is_true(json_object_get(e, "admin")) ? "yes" : "no",
                               json_string_value(json_object_get(e, "createdAt")));
                }
        }
        json_decref(body);
        return 0;
}

static int token_revoke(int argc, char **argv, const struct cli_conf *conf)
{
        char path[sizeof(TOKENS_PATH) + TOKEN_NAME_MAX + 2];
        json_t *body = NULL;

        if (argc != 2 || !argv[1][0] || strlen(argv[1]) > TOKEN_NAME_MAX || strchr(argv[1], '/') ||
            strspn(argv[1], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(argv[1])) {
                fprintf(stderr, "airlock: token revoke NAME|ID\n");
                return 2;
        }
        snprintf(path, sizeof(path), "%s/%s", TOKENS_PATH, argv[1]);
        int status = cli_http(conf, "DELETE", path, NULL, &body);
        if (status != 200)
                return failed("revoke", status, body);
        json_decref(body);
        fprintf(stderr, "airlock: token '%s' revoked\n", argv[1]);
        return 0;
}

int cli_cmd_token(int argc, char **argv, const struct cli_conf *conf)
{
        const char *sub = argc > 1 ? argv[1] : "";

        argc--, argv++;
        if (!strcmp(sub, "create"))
                return token_create(argc, argv, conf);
        if (!strcmp(sub, "ls"))
                return token_ls(argc, argv, conf);
        if (!strcmp(sub, "revoke"))
                return token_revoke(argc, argv, conf);
        fprintf(stderr, "airlock: token create NAME [--admin] | token ls [--json] | token revoke NAME|ID\n");
        return 2;
}
