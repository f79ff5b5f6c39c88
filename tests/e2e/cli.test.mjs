// SPDX-License-Identifier: Apache-2.0
// The airlock CLI, a C client of the same protocol, against a real airlockd.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { BUILD } from "./helpers.mjs";
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
  assert.doesNotMatch(airlock(["ls"]).stdout, new RegExp(id));
  r = airlock(["exec", id, "--", "true"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no such sandbox/);
});

test("run: one command in a sandbox that goes with it", () => {
  const r = airlock(["run", "--", "sh", "-c", "hostname; exit 7"]);
  assert.equal(r.code, 7);
  const id = r.stdout.trim();
  assert.match(id, /^sbx_/);
  assert.doesNotMatch(airlock(["ls"]).stdout, new RegExp(id));
});

test("env prints the SDK's exports; errors are clear", () => {
  assert.match(airlock(["env"]).stdout, /^export DENO_SANDBOX_ENDPOINT=http:\/\/127\.0\.0\.1:\d+ DENO_DEPLOY_ENDPOINT=\S+ DENO_DEPLOY_TOKEN=ddo_\w+$/m);
  assert.match(airlock(["create", "--timeout", "forever"]).stderr, /--timeout: 'forever'/);
  assert.equal(airlock(["frobnicate"]).code, 2);
  const bad = spawnSync(AIRLOCK, ["ls"], { env: { ...process.env, DENO_DEPLOY_TOKEN: "ddo_wrong" } });
  assert.match(bad.stderr.toString(), /invalid bearer token \(HTTP 401\)/);
});
