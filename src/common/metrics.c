/* SPDX-License-Identifier: Apache-2.0 */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The methods counted by name: the SDK's, as airlockd serves them. */
static const char *const rpc_methods[] = {
        "spawn",        "processWait",   "processKill",   "abort",      "fetch",        "readFile",     "readTextFile",
        "writeFile",    "writeTextFile", "readDir",       "remove",     "mkdir",        "rename",       "stat",
        "lstat",        "chmod",         "chown",         "copyFile",   "link",         "symlink",      "readLink",
        "realPath",     "truncate",      "umask",         "utime",      "makeTempDir",  "makeTempFile", "envGet",
        "envSet",       "envToObject",   "envDelete",     "open",       "create",       "fileClose",    "fileRead",
        "fileWrite",    "fileSeek",      "fileStat",      "fileSync",   "fileSyncData", "fileTruncate", "fileUtime",
        "fileLock",     "fileUnlock",    "walk",          "expandGlob", "spawnDeno",    "denoHttpWait", "spawnDenoRepl",
        "denoReplEval", "denoReplCall",  "denoReplClose",
};
#define N_METHODS (sizeof(rpc_methods) / sizeof(rpc_methods[0]))
#define METHOD_OTHER N_METHODS

/* seconds: 5 ms to 10 s */
static const double create_buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define N_BUCKETS (sizeof(create_buckets) / sizeof(create_buckets[0]))

/* Requests in flight, by the address of their id object: a small open table.
 * A request pushed out (or never answered) only costs its reply the method
 * name: it counts as "other". */
#define PENDING_SLOTS 4096u
#define PENDING_PROBE 16u

struct pending {
        const json_t *id;
        unsigned method;
};

static struct {
        unsigned live, adopted;
        uint64_t creates[2];               /* error, ok */
        uint64_t create_bucket[N_BUCKETS]; /* not cumulative; summed when rendered */
        uint64_t create_count;
        double create_sum;
        uint64_t rpc[N_METHODS + 1][2]; /* [method][error, ok] */
        uint64_t oom_kills;
        uint64_t egress_bytes[2]; /* out (sandbox to the world), in */
        uint64_t egress_refused;
        double start_time;
        struct pending pending[PENDING_SLOTS];
} m;

__attribute__((constructor)) static void record_start(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        // NOLINTNEXTLINE(bugprone-integer-division): milliseconds, on purpose
        m.start_time = (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1000.0;
}

void api_metrics_live_set(unsigned n)
{
        m.live = n;
}

void api_metrics_adopted_set(unsigned n)
{
        m.adopted = n;
}

uint64_t api_metrics_clock_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void api_metrics_create_done(uint64_t start_ns, bool ok)
{
        double secs = (double)(api_metrics_clock_ns() - start_ns) / 1e9;

        m.creates[ok]++;
        if (!ok)
                return;
        m.create_count++;
        m.create_sum += secs;
        for (size_t i = 0; i < N_BUCKETS; i++)
                if (secs <= create_buckets[i]) {
                        m.create_bucket[i]++;
                        break;
                }
}

static unsigned method_index(const char *method)
{
        for (unsigned i = 0; method && i < N_METHODS; i++)
                if (strcmp(method, rpc_methods[i]) == 0)
                        return i;
        return METHOD_OTHER;
}

static unsigned pending_home(const json_t *id)
{
        uintptr_t h = (uintptr_t)id;

        h ^= h >> 17;
        h *= 0x9e3779b97f4a7c15ull;
        return (unsigned)(h >> 40) % PENDING_SLOTS;
}

void api_metrics_rpc_begin(const json_t *id, const char *method)
{
        unsigned home = pending_home(id), slot = home;

        if (!id)
                return;
        for (unsigned i = 0; i < PENDING_PROBE; i++) {
                unsigned k = (home + i) % PENDING_SLOTS;
                if (!m.pending[k].id || m.pending[k].id == id) {
                        slot = k;
                        break;
                }
        }
        m.pending[slot] = (struct pending){ id, method_index(method) };
}

void api_metrics_rpc_done(const json_t *id, const json_t *result)
{
        unsigned home = pending_home(id), method = METHOD_OTHER;
        bool ok = !json_object_get(result, "error");

        for (unsigned i = 0; id && i < PENDING_PROBE; i++) {
                struct pending *p = &m.pending[(home + i) % PENDING_SLOTS];
                if (p->id == id) {
                        method = p->method;
                        p->id = NULL;
                        break;
                }
        }
        m.rpc[method][ok]++;
}

void api_metrics_process_exit(json_t *wait_result)
{
        if (json_is_string(json_object_get(wait_result, "oom")))
                m.oom_kills++;
        json_decref(wait_result);
}

void api_metrics_egress(const json_t *rec)
{
        const char *decision = json_string_value(json_object_get(rec, "decision"));
        json_int_t out = json_integer_value(json_object_get(rec, "bytes_out"));
        json_int_t in = json_integer_value(json_object_get(rec, "bytes_in"));

        if (decision && strcmp(decision, "deny") == 0)
                m.egress_refused++;
        if (out > 0)
                m.egress_bytes[0] += (uint64_t)out;
        if (in > 0)
                m.egress_bytes[1] += (uint64_t)in;
}

/* --- rendering ---------------------------------------------------------- */

void api_metrics_escape(const char *in, bool help, char *out, size_t len)
{
        size_t o = 0;

        for (; *in && o + 3 < len; in++) {
                if (*in == '\\' || (*in == '"' && !help)) {
                        out[o++] = '\\';
                        out[o++] = *in;
                } else if (*in == '\n') {
                        out[o++] = '\\';
                        out[o++] = 'n';
                } else {
                        out[o++] = *in;
                }
        }
        out[o] = '\0';
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
        char esc[512];

        api_metrics_escape(help, true, esc, sizeof(esc));
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, esc, name, type);
}

static void labelled(FILE *f, const char *name, const char *labels, uint64_t v)
{
        fprintf(f, "%s{%s} %llu\n", name, labels, (unsigned long long)v);
}

static void render_rpc(FILE *f)
{
        static const char *const outcome[] = { "error", "ok" };
        char esc[128];

        head(f, "airlock_rpc_requests_total", "counter",
             "JSON-RPC requests answered, by method (\"other\" for any not listed) and outcome.");
        for (unsigned i = 0; i <= N_METHODS; i++) {
                api_metrics_escape(i < N_METHODS ? rpc_methods[i] : "other", false, esc, sizeof(esc));
                for (int ok = 1; ok >= 0; ok--)
                        fprintf(f, "airlock_rpc_requests_total{method=\"%s\",outcome=\"%s\"} %llu\n", esc, outcome[ok],
                                (unsigned long long)m.rpc[i][ok]);
        }
}

static void render_create(FILE *f)
{
        uint64_t cum = 0;

        head(f, "airlock_sandbox_creates_total", "counter", "Sandbox create requests, by outcome.");
        labelled(f, "airlock_sandbox_creates_total", "outcome=\"ok\"", m.creates[1]);
        labelled(f, "airlock_sandbox_creates_total", "outcome=\"error\"", m.creates[0]);
        head(f, "airlock_sandbox_create_seconds", "histogram",
             "Time from a create request to its sandbox being ready, successful creates only.");
        for (size_t i = 0; i < N_BUCKETS; i++) {
                cum += m.create_bucket[i];
                fprintf(f, "airlock_sandbox_create_seconds_bucket{le=\"%g\"} %llu\n", create_buckets[i],
                        (unsigned long long)cum);
        }
        fprintf(f, "airlock_sandbox_create_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)m.create_count);
        fprintf(f, "airlock_sandbox_create_seconds_sum %.9g\n", m.create_sum);
        fprintf(f, "airlock_sandbox_create_seconds_count %llu\n", (unsigned long long)m.create_count);
}

static void render_rest(FILE *f)
{
        head(f, "airlock_sandboxes_live", "gauge", "Sandboxes alive now.");
        fprintf(f, "airlock_sandboxes_live %u\n", m.live);
        head(f, "airlock_sandboxes_adopted", "gauge", "Sandboxes adopted from an earlier airlockd at start-up.");
        fprintf(f, "airlock_sandboxes_adopted %u\n", m.adopted);
        head(f, "airlock_oom_kills_total", "counter", "Sandbox processes killed by their memory limit.");
        fprintf(f, "airlock_oom_kills_total %llu\n", (unsigned long long)m.oom_kills);
        head(f, "airlock_egress_bytes_total", "counter",
             "Bytes through the egress proxy, by direction (out: from sandboxes).");
        labelled(f, "airlock_egress_bytes_total", "direction=\"out\"", m.egress_bytes[0]);
        labelled(f, "airlock_egress_bytes_total", "direction=\"in\"", m.egress_bytes[1]);
        head(f, "airlock_egress_connections_refused_total", "counter",
             "Egress connections the sandbox's network policy refused.");
        fprintf(f, "airlock_egress_connections_refused_total %llu\n", (unsigned long long)m.egress_refused);
        head(f, "airlock_process_start_time_seconds", "gauge", "Start time of airlockd since the Unix epoch.");
        fprintf(f, "airlock_process_start_time_seconds %.3f\n", m.start_time);
}

char *api_metrics_render(void)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        if (!f)
                return NULL;
        render_rest(f);
        render_create(f);
        render_rpc(f);
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}
