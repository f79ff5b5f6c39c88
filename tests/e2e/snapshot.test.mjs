// SPDX-License-Identifier: Apache-2.0
// `airlock snapshot ID SLUG`: a running sandbox's filesystem frozen into a
// bootable snapshot in one call, the sandbox going on meanwhile.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Client, Sandbox } from "@deno/sandbox";
import { startServer } from "./server.mjs";
import { BUILD, STATE_DIR } from "./helpers.mjs";

const AIRLOCK = path.join(BUILD, "airlock");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const slug = (s) => `${s}-${process.pid}-${Date.now().toString(36)}`;
// loop devices over a snapshot's image that is still being made
const lentLoops = () => spawnSync("losetup", ["-a"]).stdout.toString().split("\n").filter((l) => /snapshots\/snp_\w+\.img\.tmp/.test(l)).length;
let server;

before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

function snapshot(id, name) {
  const r = spawnSync(AIRLOCK, ["snapshot", id, name], { env: process.env, timeout: 300000 });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

async function rest(method, p, body, token = server.token) {
  const res = await fetch(`${server.endpoint}${p}`, {
    method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

test("a running sandbox becomes a bootable snapshot; it goes on running; the snapshot keeps files and owners", async () => {
  const sb = await Sandbox.create({ timeout: "5m" });
  await sb.sh`echo from-app > /home/app/mine.txt`;
  await sb.sh`sudo sh -c 'echo from-root > /etc/rootfile; chmod 600 /etc/rootfile; mkdir -p /srv/deep/er; ln -s /etc/rootfile /srv/link'`;
  const ticker = await sb.spawn("bash", { args: ["-c", "while :; do date +%s%N >> /tmp/ticks; sleep 0.05; done"],
    stdout: "null", stderr: "null" });
  const name = slug("live");
  const r = snapshot(sb.id, name);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^snp_[0-9a-z]{20}\n$/);
  assert.match(r.stderr, /boot it with Sandbox\.create\(\{ root: "/);
  // the sandbox and its process go on
  const a = Number((await sb.sh`wc -l < /tmp/ticks`.text()).trim());
  await sleep(300);
  const b = Number((await sb.sh`wc -l < /tmp/ticks`.text()).trim());
  assert.ok(b > a, `the ticker runs on after the snapshot (${a} -> ${b})`);
  // nothing of the loan is left: the mount point is empty and closed, no loop device, no temporary file
  assert.equal((await sb.sh`grep -c ' /dev/.airlock ' /proc/self/mountinfo || true`.text()).trim(), "0");
  assert.equal(lentLoops(), 0, "no loop device left over the image");
  assert.deepEqual(readdirSync(`${STATE_DIR}/snapshots`).filter((f) => f.endsWith(".tmp")), []);
  // the console knows it: bootable, with sizes
  const client = new Client();
  const snap = await client.snapshots.get(name);
  assert.equal(snap.slug, name);
  assert.equal(snap.isBootable, true);
  assert.ok(snap.flattenedSize > 100 << 20 && snap.allocatedSize > 0 && snap.allocatedSize <= snap.flattenedSize);
  // booted from it: files and owners as they were, root's file still root's
  const child = await Sandbox.create({ root: name });
  assert.equal((await child.sh`cat /home/app/mine.txt`.text()), "from-app\n");
  assert.equal((await child.sh`stat -c '%U %a' /home/app/mine.txt /etc/rootfile`.text()), "app 644\nroot 600\n");
  assert.equal((await child.sh`sudo cat /etc/rootfile`.text()), "from-root\n");
  assert.equal((await child.sh`cat /etc/rootfile 2>/dev/null || echo denied`.text()), "denied\n",
    "the app user still cannot read it");
  assert.equal((await child.sh`readlink /srv/link; test -d /srv/deep/er && echo dir`.text()), "/etc/rootfile\ndir\n");
  assert.equal((await child.sh`python3 -c 'print(6*7)'`.text()), "42\n", "the image's programs came along");
  // what the child writes stays in the child: a second one from the snapshot does not see it
  await child.sh`echo changed > /home/app/mine.txt`;
  await child.kill();
  const second = await Sandbox.create({ root: name });
  assert.equal((await second.sh`cat /home/app/mine.txt`.text()), "from-app\n");
  await second.kill();
  // a volume made from it boots read-write as the root
  const vol = await client.volumes.create({ slug: slug("fromsnap"), region: "loc", capacity: "2GiB", from: name });
  assert.equal(vol.isBootable, true);
  const onVol = await Sandbox.create({ root: vol.slug });
  assert.equal((await onVol.sh`cat /home/app/mine.txt`.text()), "from-app\n");
  await onVol.kill();
  await client.volumes.delete(vol.id);
  await ticker.kill();
  await sb.kill();
});

test("bad snapshot requests get clear errors and change nothing", async () => {
  const sb = await Sandbox.create({ timeout: "2m" });
  const name = slug("dup");
  assert.equal(snapshot(sb.id, name).code, 0);
  const again = snapshot(sb.id, name);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /exists already \(HTTP 409\)/);
  let r = await rest("POST", `/api/airlock/v1/sandboxes/${sb.id}/snapshot`, { slug: "no spaces/allowed" });
  assert.equal(r.status, 400);
  assert.equal(r.body.code, "INVALID_SLUG");
  r = await rest("POST", `/api/airlock/v1/sandboxes/sbx_loc_00000000000000000000/snapshot`, { slug: slug("x") });
  assert.equal(r.status, 404);
  r = await rest("GET", `/api/airlock/v1/sandboxes/${sb.id}/snapshot`);
  assert.equal(r.status, 405);
  // another token cannot snapshot this sandbox (it does not exist for it)
  const made = await rest("POST", "/api/airlock/v1/tokens", { name: slug("other") });
  assert.equal(made.status, 201);
  r = await rest("POST", `/api/airlock/v1/sandboxes/${sb.id}/snapshot`, { slug: slug("theirs") }, made.body.token);
  assert.equal(r.status, 404);
  await rest("DELETE", `/api/airlock/v1/tokens/${made.body.id}`);
  // the sandbox is unharmed
  assert.equal((await sb.sh`echo still`.text()), "still\n");
  await sb.kill();
});

test("the strict profile has no root to copy with: a clear refusal", async () => {
  await server.stop();
  server = await startServer({ args: ["--profile", "strict"] });
  const sb = await Sandbox.create();
  const r = snapshot(sb.id, slug("strict"));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /strict profile/);
  await sb.kill();
});
