// SPDX-License-Identifier: Apache-2.0
// Operations: GET /metrics in the Prometheus text format (parsed with a
// third-party parser) and its counters moving by what the test did; the JSON
// log; the config file.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { Sandbox } from "@deno/sandbox";
import { freePort, startServer, withSandbox } from "./server.mjs";
import { AIRLOCKD, STATE_DIR } from "./helpers.mjs";

let server, upstream, upstreamPort;

before(async () => {
  // a plain HTTP upstream on the host's loopback, reached through an override
  upstream = http.createServer((req, res) => res.end("x".repeat(1000)));
  await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
  upstreamPort = upstream.address().port;
  server = await startServer({ args: ["--net-override", `plain.example.test:80=127.0.0.1:${upstreamPort}`,
    "--ssh-listen", `127.0.0.1:${await freePort()}`] });
});
after(async () => {
  await server?.stop();
  await new Promise((r) => upstream?.close(r));
});

async function scrapeText(token = server.token) {
  const res = await fetch(`${server.endpoint}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

// family name -> { type, samples: [{ labels, value }] } from the parser's output
async function scrape() {
  const { status, text } = await scrapeText();
  assert.equal(status, 200);
  const out = {};
  for (const fam of parsePrometheusTextFormat(text))
    out[fam.name] = { type: fam.type, metrics: fam.metrics };
  return out;
}

function value(m, name, labels = {}) {
  const fam = m[name];
  assert.ok(fam, `no ${name} in /metrics`);
  const s = fam.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  assert.ok(s, `no ${name}${JSON.stringify(labels)}`);
  return Number(s.value ?? s.count);
}

function rpc(m, method, outcome) {
  return value(m, "airlock_rpc_requests_total", { method, outcome });
}

async function until(fn, what, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const m = await scrape();
    if (fn(m)) return m;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function netlog(sandbox) {
  const res = await fetch(`${server.endpoint}/api/v3/sandbox/${sandbox.id}/netlog`,
    { headers: { authorization: `Bearer ${server.token}` } });
  assert.equal(res.status, 200);
  return (await res.json()).records;
}

test("/metrics needs a token and parses as Prometheus text 0.0.4", async () => {
  assert.equal((await scrapeText(null)).status, 401);
  assert.equal((await scrapeText("ddo_wrong")).status, 401);
  const { status, type, text } = await scrapeText();
  assert.equal(status, 200);
  assert.equal(type, "text/plain; version=0.0.4");
  const fams = parsePrometheusTextFormat(text);
  const types = Object.fromEntries(fams.map((f) => [f.name, f.type]));
  assert.deepEqual(types, {
    airlock_sandboxes_live: "GAUGE",
    airlock_sandboxes_adopted: "GAUGE",
    airlock_oom_kills_total: "COUNTER",
    airlock_egress_bytes_total: "COUNTER",
    airlock_egress_connections_refused_total: "COUNTER",
    airlock_process_start_time_seconds: "GAUGE",
    airlock_sandbox_creates_total: "COUNTER",
    airlock_sandbox_create_seconds: "HISTOGRAM",
    airlock_rpc_requests_total: "COUNTER",
  });
  const hist = fams.find((f) => f.name === "airlock_sandbox_create_seconds").metrics[0];
  assert.deepEqual(Object.keys(hist.buckets).sort((a, b) => Number(a) - Number(b)),
    ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"]);
  const start = value(Object.fromEntries(fams.map((f) => [f.name, f])), "airlock_process_start_time_seconds");
  assert.ok(Math.abs(start - Date.now() / 1000) < 600, `start time ${start}`);
});

test("the counters move by what clients did", async () => {
  const m0 = await scrape();
  const sandbox = await Sandbox.create();
  try {
    const m1 = await scrape();
    assert.equal(value(m1, "airlock_sandboxes_live"), value(m0, "airlock_sandboxes_live") + 1);
    assert.equal(value(m1, "airlock_sandbox_creates_total", { outcome: "ok" }),
      value(m0, "airlock_sandbox_creates_total", { outcome: "ok" }) + 1);
    assert.equal(value(m1, "airlock_sandbox_create_seconds"), value(m0, "airlock_sandbox_create_seconds") + 1);
    for (let i = 0; i < 3; i++) {
      const r = await sandbox.spawn("true", { stdout: "piped", stderr: "piped" }).then((c) => c.output());
      assert.equal(r.status.code, 0);
    }
    await assert.rejects(sandbox.fs.readTextFile("/no/such/file"));
    await sandbox.fs.writeTextFile("/tmp/a", "hi");
    // a plain HTTP request through the egress proxy: its bytes are counted
    const r = await sandbox.spawn("curl", { args: ["-s", "--max-time", "10", "http://plain.example.test/"],
      stdout: "piped", stderr: "piped" }).then((c) => c.output());
    assert.equal(r.stdoutText.length, 1000, r.stderrText);
    const m2 = await until((m) => value(m, "airlock_egress_bytes_total", { direction: "in" }) >
      value(m0, "airlock_egress_bytes_total", { direction: "in" }), "egress bytes");
    assert.equal(rpc(m2, "spawn", "ok"), rpc(m0, "spawn", "ok") + 4);
    assert.equal(rpc(m2, "spawn", "error"), rpc(m0, "spawn", "error"));
    assert.equal(rpc(m2, "readTextFile", "error"), rpc(m0, "readTextFile", "error") + 1);
    assert.equal(rpc(m2, "readTextFile", "ok"), rpc(m0, "readTextFile", "ok"));
    assert.equal(rpc(m2, "writeTextFile", "ok"), rpc(m0, "writeTextFile", "ok") + 1);
    const recs = (await netlog(sandbox)).filter((x) => x.port === 80);
    assert.equal(recs.length, 1);
    for (const [dir, key] of [["in", "bytes_in"], ["out", "bytes_out"]])
      assert.equal(value(m2, "airlock_egress_bytes_total", { direction: dir }),
        value(m0, "airlock_egress_bytes_total", { direction: dir }) + recs[0][key], dir);
    assert.ok(recs[0].bytes_in > 1000 && recs[0].bytes_out > 30, JSON.stringify(recs[0]));
  } finally {
    await sandbox.close();
  }
  await until((m) => value(m, "airlock_sandboxes_live") === value(m0, "airlock_sandboxes_live"), "the live gauge back");
});

test("egress refusals are counted, one per refused connection", async () => {
  const m0 = await scrape();
  await withSandbox({ allowNet: [] }, async (sandbox) => {
    const r = await sandbox.spawn("curl", { args: ["-s", "--max-time", "10", "http://plain.example.test/"],
      stdout: "piped", stderr: "piped" }).then((c) => c.output());
    assert.ok(!r.stdoutText.includes("x".repeat(1000)), "the upstream answered a refused sandbox");
    const m1 = await until((m) => value(m, "airlock_egress_connections_refused_total") >
      value(m0, "airlock_egress_connections_refused_total"), "a refusal");
    const denied = (await netlog(sandbox)).filter((x) => x.decision === "deny");
    assert.ok(denied.length >= 1);
    assert.equal(value(m1, "airlock_egress_connections_refused_total"),
      value(m0, "airlock_egress_connections_refused_total") + denied.length);
  });
});

test("an OOM kill is counted once", async () => {
  const m0 = await scrape();
  await withSandbox({ memory: "768MiB" }, async (sandbox) => {
    await assert.rejects(async () => await sandbox.sh`python3 -c "x = b'a' * (1200 << 20)"`, /out of memory/);
    const m1 = await scrape();
    assert.equal(value(m1, "airlock_oom_kills_total"), value(m0, "airlock_oom_kills_total") + 1);
    assert.equal(rpc(m1, "processWait", "ok"), rpc(m0, "processWait", "ok") + 1);
  });
});

// One airlockd per state directory: the tests below start their own.
test("--log-format json: one JSON object per line on stderr", async () => {
  await server.stop();
  const s = await startServer({ stderr: "pipe", args: ["--log-format", "json", "--ssh-listen", `127.0.0.1:${await freePort()}`] });
  let err = "";
  s.child.stderr.on("data", (d) => { err += d; });
  try {
    await withSandbox({ allowNet: [] }, async (sandbox) => {
      await sandbox.spawn("curl", { args: ["-s", "--max-time", "5", "http://refused.example.test/"] }).then((c) => c.status);
      const end = Date.now() + 10000;
      while (!/connection refused/.test(err) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    });
  } finally {
    await s.stop();
  }
  const lines = err.split("\n").filter((l) => l !== "");
  assert.ok(lines.length >= 1, "no log lines");
  let refused = 0;
  for (const l of lines) {
    const o = JSON.parse(l);
    for (const k of ["time", "level", "component", "msg"]) assert.equal(typeof o[k], "string", `${k} in ${l}`);
    assert.match(o.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(["debug", "info", "warn", "error"].includes(o.level), l);
    if (o.msg === "connection refused") {
      refused++;
      assert.equal(o.component, "egress");
      assert.match(o.sandbox, /^sbx_/);
    }
  }
  assert.ok(refused >= 1, err);
});

test("the config file: settings, command-line precedence, errors naming file:line", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "airlock-conf-"));
  try {
    const bad = path.join(dir, "bad.conf");
    writeFileSync(bad, "# comment\nlisten = 127.0.0.1:1\nlisten-typo = 1\n");
    let r = spawnSync(AIRLOCKD, ["--state-dir", STATE_DIR, "serve", "--config", bad], { timeout: 10000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr.toString(), new RegExp(`${bad}:3: unknown key 'listen-typo'`));
    r = spawnSync(AIRLOCKD, ["--state-dir", STATE_DIR, "serve", "--config", path.join(dir, "missing.conf")], { timeout: 10000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr.toString(), /missing\.conf/);
    // the file's log-level is used; a command-line --log-format wins over the file's
    const good = path.join(dir, "good.conf");
    writeFileSync(good, `log-format = json\nadopt-grace = 5\nssh-listen = 127.0.0.1:${await freePort()}\n` +
      `listen = 127.0.0.1:1\n`);
    const s = await startServer({ stderr: "pipe", args: ["--config", good, "--log-format", "logfmt"] });
    let err = "";
    s.child.stderr.on("data", (d) => { err += d; });
    try {
      // --listen from startServer came after the file's: the server is where the test asked
      const res = await fetch(`${s.endpoint}/metrics`, { headers: { authorization: `Bearer ${s.token}` } });
      assert.equal(res.status, 200);
      await withSandbox({ allowNet: [] }, async (sandbox) => {
        await sandbox.spawn("curl", { args: ["-s", "--max-time", "5", "http://refused.example.test/"] }).then((c) => c.status);
        const end = Date.now() + 10000;
        while (!/connection refused/.test(err) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      });
    } finally {
      await s.stop();
    }
    assert.match(err, /^time=\S+ level=info component=egress msg="connection refused"/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
