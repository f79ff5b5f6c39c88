// SPDX-License-Identifier: Apache-2.0
// The airlock CLI, a C client of the same protocol, against a real airlockd.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import path from "node:path";
import { BUILD, STATE_DIR, sleep } from "./helpers.mjs";
import { startServer } from "./server.mjs";

const AIRLOCK = path.join(BUILD, "airlock");
let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

function airlock(args, input) {
  const r = spawnSync(AIRLOCK, args, { input, timeout: 60000, env: process.env });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

test("create, exec, cp, ls, rm", () => {
  const id = airlock(["create", "--label", "suite=cli", "--env", "GREETING=hello", "--timeout", "5m"]).stdout.trim();
  assert.match(id, /^sbx_[a-z]{3}_[0-9a-hjkmnp-z]{20}$/);
  let r = airlock(["exec", id, "--", "sh", "-c", "echo $GREETING; echo to-err >&2; exit 4"]);
  assert.equal(r.code, 4);
  assert.equal(r.stdout, "hello\n");
  assert.equal(r.stderr, "to-err\n");
  assert.equal(airlock(["exec", "-i", id, "--", "wc", "-c"], "12345").stdout.trim(), "5");
  const local = `/tmp/airlock-cli-${process.pid}`;
  writeFileSync(local, "payload\n");
  assert.equal(airlock(["cp", local, `${id}:/tmp/in.txt`]).code, 0);
  assert.equal(airlock(["exec", id, "--", "cat", "/tmp/in.txt"]).stdout, "payload\n");
  rmSync(local);
  assert.equal(airlock(["cp", `${id}:/tmp/in.txt`, local]).code, 0);
  assert.equal(readFileSync(local, "utf8"), "payload\n");
  rmSync(local);
  r = airlock(["ls", "--label", "suite=cli"]);
  assert.match(r.stdout, new RegExp(`${id}\\s+running`));
  assert.doesNotMatch(airlock(["ls", "--label", "suite=other"]).stdout, new RegExp(id));
  assert.equal(airlock(["rm", id]).code, 0);
  // listed as stopped, with its stop time, no longer as running
  assert.match(airlock(["ls"]).stdout, new RegExp(`${id}\\s+stopped\\s+\\S+\\s+20\\d\\d-`));
  assert.doesNotMatch(airlock(["ls"]).stdout, new RegExp(`${id}\\s+running`));
  r = airlock(["exec", id, "--", "true"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no such sandbox/);
});

test("run: one command in a sandbox that goes with it", () => {
  const r = airlock(["run", "--", "sh", "-c", "hostname; exit 7"]);
  assert.equal(r.code, 7);
  const id = r.stdout.trim();
  assert.match(id, /^sbx_/);
  assert.doesNotMatch(airlock(["ls"]).stdout, new RegExp(`${id}\\s+running`));
});

test("env prints the SDK's exports; errors are clear", () => {
  assert.match(airlock(["env"]).stdout, /^export DENO_SANDBOX_ENDPOINT=http:\/\/127\.0\.0\.1:\d+ DENO_DEPLOY_ENDPOINT=\S+ DENO_DEPLOY_TOKEN=ddo_\w+$/m);
  assert.match(airlock(["create", "--timeout", "forever"]).stderr, /--timeout: 'forever'/);
  assert.equal(airlock(["frobnicate"]).code, 2);
  const bad = spawnSync(AIRLOCK, ["ls"], { env: { ...process.env, DENO_DEPLOY_TOKEN: "ddo_wrong" } });
  assert.match(bad.stderr.toString(), /invalid bearer token \(HTTP 401\)/);
});

// GET over HTTPS, trusting the ingress's CA; every name resolves to the listener.
function httpsGet(url) {
  const lookup = (host, opts, cb) => (opts.all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4));
  return new Promise((resolve, reject) => {
    https.get(url, { ca: readFileSync(`${STATE_DIR}/ingress-ca/ca.crt`), lookup, agent: false }, (res) => {
      let body = "";
      res.on("data", (d) => { body += d; });
      res.on("end", () => resolve({ status: res.statusCode, body }));
    }).on("error", reject);
  });
}

test("expose: a port's https URL, served until the sandbox goes", async () => {
  const id = airlock(["create", "--timeout", "5m"]).stdout.trim();
  // setsid: the server outlives the exec that starts it (whose group goes with it,
  // hence the sleep: setsid must have run by then)
  airlock(["exec", id, "--", "sh", "-c",
    "echo from-cli > /tmp/index.html; cd /tmp; setsid python3 -m http.server 8000 >/dev/null 2>&1 </dev/null & sleep 1"]);
  const r = airlock(["expose", id, "8000"]);
  assert.equal(r.code, 0, r.stderr);
  const url = r.stdout.trim();
  assert.match(url, new RegExp(`^https://${id.replaceAll("_", "-")}-[a-z0-9]{8}\\.sandbox\\.localhost:\\d+$`));
  let res;
  for (let i = 0; i < 100 && (res = await httpsGet(url + "/index.html")).status !== 200; i++) await sleep(100);
  assert.deepEqual(res, { status: 200, body: "from-cli\n" });
  assert.match(airlock(["expose", id, "0"]).stderr, /a port in 1\.\.65535/);
  assert.equal(airlock(["rm", id]).code, 0);
  assert.equal((await httpsGet(url + "/index.html")).status, 404);
  assert.match(airlock(["expose", id, "8000"]).stderr, /no such sandbox \(HTTP 404\)/);
});
