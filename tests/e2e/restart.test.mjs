// SPDX-License-Identifier: Apache-2.0
// Sandboxes outlive airlockd: kill -9 it while they work, start it again, and
// every sandbox is still there with its processes; clients reconnect. What a
// sandbox that ended meanwhile left behind is removed at start.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import WebSocket from "ws";
import { Client, Sandbox } from "@deno/sandbox";
import { freePort, startServer } from "./server.mjs";
import { AIRLOCKD, STATE_DIR } from "./helpers.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let server;
after(async () => {
  // whatever a failed test left: this start ends every sandbox on stop
  await server?.crash();
  server = await startServer();
  await server.stop();
});

const CG = "/sys/fs/cgroup/memory/airlock";
const cgroups = () => (existsSync(CG) ? readdirSync(CG).filter((d) => d.startsWith("sbx_")).length : 0);
const inits = () => {
  try {
    return execFileSync("pgrep", ["-f", "^airlock-init$"]).toString().trim().split("\n").length;
  } catch {
    return 0;
  }
};
// The airlock-init processes of these sandboxes (by their cgroup).
const initsOf = (ids) => {
  let pids = [];
  try {
    pids = execFileSync("pgrep", ["-f", "^airlock-init$"]).toString().trim().split("\n");
  } catch {
    return 0;
  }
  return pids.filter((pid) => {
    try {
      const cg = readFileSync(`/proc/${pid}/cgroup`, "utf8");
      return ids.some((id) => cg.includes(id));
    } catch {
      return false;
    }
  }).length;
};
const proxiesOf = (pid) => {
  try {
    return execFileSync("pgrep", ["-P", String(pid), "-x", "airlock-proxy"]).toString().trim().split("\n").length;
  } catch {
    return 0;
  }
};
const loops = () => execFileSync("losetup", ["-a"]).toString().split("\n").filter(Boolean).length;
// loop devices over these sandboxes' disks (the deleted file still names the sandbox)
const loopsOf = (ids) => execFileSync("losetup", ["-a"]).toString().split("\n").filter((l) => ids.some((id) => l.includes(id))).length;
const hostMounts = () => readFileSync("/proc/self/mounts", "utf8").split("\n").length;
const fds = (pid) => readdirSync(`/proc/${pid}/fd`).length;

// A raw JSON-RPC connection: processWait on a pid the SDK object no longer holds.
async function rpc(port, token, id, method, params) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v3/sandbox/${id}/connect`,
    { headers: { authorization: `Bearer ${token}` } });
  await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
  const reply = new Promise((resolve) => {
    ws.on("message", (d) => {
      const m = JSON.parse(d.toString());
      if (m.id === 1) resolve(m.result);
    });
  });
  ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }));
  const r = await reply;
  ws.close();
  return r;
}

// A test that failed half-way left its server: end it (and, at the next
// start, the sandboxes it left).
async function fresh(opts = {}) {
  if (server) {
    await server.crash();
    const s = await startServer();
    await s.stop();
  }
  return startServer({ keepSandboxes: true, ...opts });
}

async function restart(prev, opts = {}) {
  await prev.crash();
  return startServer({ keepSandboxes: true, port: prev.port, ...opts });
}

test("crash test: 20 busy sandboxes survive kill -9 of airlockd, five times, nothing leaks", async () => {
  server = await fresh();
  const base = { cgroups: cgroups(), inits: inits(), loops: loops(), mounts: hostMounts() };
  const ids = [], counters = [];
  for (let i = 0; i < 20; i++) {
    const sb = await Sandbox.create({ timeout: "10m", labels: { suite: "crash", n: String(i) } });
    // busy: a loop that counts, and stays running across the restarts
    const p = await sb.spawn("bash", { args: ["-c", "while :; do echo x >> /tmp/ticks; sleep 0.05; done"],
      stdout: "null", stderr: "null" });
    ids.push(sb.id);
    counters.push(p.pid);
    await sb.close();
  }
  assert.equal(initsOf(ids), 20);
  const firstFds = fds(server.pid);
  // one that will end on its own while airlockd is away: its status must be kept
  const quick = await Sandbox.connect({ id: ids[0] });
  const ending = await quick.spawn("bash", { args: ["-c", "sleep 1; exit 7"], stdout: "null", stderr: "null" });
  await quick.close();
  const client = new Client();
  for (let round = 1; round <= 5; round++) {
    server = await restart(server);
    const listed = (await client.sandboxes.list({ labels: { suite: "crash" } })).filter((s) => ids.includes(s.id));
    assert.equal(listed.length, 20, `round ${round}: every sandbox listed`);
    assert.ok(listed.every((s) => s.status === "running" && s.stoppedAt === null));
    for (const id of ids) {
      const sb = await Sandbox.connect({ id });
      const a = Number((await sb.sh`wc -l < /tmp/ticks`.text()).trim());
      await sleep(120);
      const b = Number((await sb.sh`wc -l < /tmp/ticks`.text()).trim());
      assert.ok(b > a, `round ${round}: ${id}'s counter still runs (${a} -> ${b})`);
      await sb.close();
    }
    assert.equal(initsOf(ids), 20, `round ${round}: no airlock-init lost or added`);
    assert.equal(proxiesOf(server.pid), 1, `round ${round}: one airlock-proxy`);
    assert.equal(ids.filter((id) => existsSync(`${CG}/${id}`)).length, 20, `round ${round}: cgroups`);
    assert.equal(loopsOf(ids), 20, `round ${round}: one loop device (its disk) per sandbox`);
    assert.equal(hostMounts(), base.mounts, `round ${round}: host mounts`);
    assert.ok(fds(server.pid) <= firstFds + 2, `round ${round}: airlockd's fds ${fds(server.pid)} vs ${firstFds}`);
  }
  // processWait of a process that ended while no airlockd watched
  const w = await rpc(server.port, server.token, ids[0], "processWait", { pid: ending.pid });
  assert.deepEqual(w.ok, { success: false, code: 7, signal: null, oom: null });
  // processKill and processWait of one still running from before
  const k = await rpc(server.port, server.token, ids[1], "processKill", { pid: counters[1], signal: "SIGTERM" });
  assert.deepEqual(k, { ok: null }, JSON.stringify(k));
  const w2 = await rpc(server.port, server.token, ids[1], "processWait", { pid: counters[1] });
  assert.ok(w2.ok, JSON.stringify(w2));
  assert.equal(w2.ok.signal, "SIGTERM");
  assert.equal(w2.ok.code, 143);
  // an unknown pid is still an error
  const w3 = await rpc(server.port, server.token, ids[1], "processWait", { pid: 99999 });
  assert.equal(w3.error.code, "ENOENT");
  for (const id of ids) await (await Sandbox.connect({ id })).kill();
  await server.stop();
  for (let i = 0; i < 100 && (cgroups() > base.cgroups || inits() > base.inits); i++) await sleep(50);
  assert.deepEqual({ cgroups: cgroups(), inits: inits(), loops: loops(), mounts: hostMounts() }, base);
});

test("a session sandbox lives if its client comes back within the grace period, else it goes", async () => {
  server = await fresh({ args: ["--adopt-grace", "2"] });
  const kept = await Sandbox.create();
  const lost = await Sandbox.create();
  const keptId = kept.id, lostId = lost.id;
  server = await restart(server, { args: ["--adopt-grace", "2"] });
  const back = await Sandbox.connect({ id: keptId });
  assert.equal((await back.sh`echo back`.text()).trim(), "back");
  await sleep(3000);
  const client = new Client();
  const all = await client.sandboxes.list();
  const byId = Object.fromEntries(all.map((s) => [s.id, s]));
  assert.equal(byId[keptId]?.status, "running");
  assert.equal(byId[lostId]?.status, "stopped");
  assert.ok(byId[lostId].stoppedAt);
  // the one that came back is a session again: it ends with that client
  await back.close();
  for (let i = 0; i < 50 && (await client.sandboxes.list()).find((s) => s.id === keptId)?.status === "running"; i++)
    await sleep(100);
  assert.equal((await client.sandboxes.list()).find((s) => s.id === keptId)?.status, "stopped");
  await server.stop();
});

test("a timed sandbox keeps its stop time across a restart", async () => {
  server = await fresh();
  const sb = await Sandbox.create({ timeout: "4s" });
  const id = sb.id;
  await sb.close();
  server = await restart(server);
  const client = new Client();
  assert.equal((await client.sandboxes.list()).find((s) => s.id === id)?.status, "running");
  await sleep(4500);
  assert.equal((await client.sandboxes.list()).find((s) => s.id === id)?.status, "stopped");
  await server.stop();
});

test("SIGTERM tells clients 1001 and leaves sandboxes for the next start; --stop-sandboxes-on-exit ends them", async () => {
  server = await fresh();
  const sb = await Sandbox.create({ timeout: "2m" });
  const id = sb.id;
  await sb.fs.writeTextFile("/tmp/mark", "still here");
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/v3/sandbox/${id}/connect`,
    { headers: { authorization: `Bearer ${server.token}` } });
  await new Promise((resolve) => ws.once("open", resolve));
  const closed = new Promise((resolve) => ws.once("close", (code) => resolve(code)));
  await server.stop();
  assert.equal(await closed, 1001);
  server = await startServer();
  const again = await Sandbox.connect({ id });
  assert.equal(await again.fs.readTextFile("/tmp/mark"), "still here");
  await again.close();
  const before = inits();
  await server.stop(); // started without keepSandboxes: --stop-sandboxes-on-exit
  for (let i = 0; i < 100 && inits() >= before; i++) await sleep(50);
  assert.equal(inits(), before - 1);
  server = await startServer();
  const client = new Client();
  assert.equal((await client.sandboxes.list()).find((s) => s.id === id)?.status, "stopped");
  await server.stop();
});

test("a sandbox that ended while airlockd was away is recorded as stopped and its remains removed", async () => {
  server = await fresh();
  const sb = await Sandbox.create({ timeout: "2m" });
  const id = sb.id;
  const initPid = Number(execFileSync("pgrep", ["-n", "-f", "^airlock-init$"]).toString().trim());
  await sb.close();
  await server.crash();
  assert.ok(existsSync(`${CG}/${id}`), "its cgroup exists while nobody watches");
  process.kill(initPid, "SIGKILL");
  // a volume image the store never recorded (a crash between making and recording it),
  // and one being made right now: the old one goes, the young one stays
  mkdirSync(`${STATE_DIR}/volumes`, { recursive: true });
  const stray = `${STATE_DIR}/volumes/vol_stray${process.pid}.img`, young = `${STATE_DIR}/volumes/vol_young${process.pid}.img.tmp`;
  writeFileSync(stray, "x");
  writeFileSync(young, "x");
  const old = new Date(Date.now() - 120000);
  utimesSync(stray, old, old);
  await sleep(200);
  server = await startServer({ keepSandboxes: true, port: server.port });
  assert.ok(!existsSync(stray), "an old unknown volume image is removed");
  assert.ok(existsSync(young), "a young one is left alone");
  unlinkSync(young);
  const client = new Client();
  const rec = (await client.sandboxes.list()).find((s) => s.id === id);
  assert.equal(rec?.status, "stopped");
  assert.ok(!existsSync(`${CG}/${id}`), "its cgroup is gone");
  await assert.rejects(Sandbox.connect({ id }));
  await server.stop();
});

test("the network door works again after a restart (DNS and TCP through the proxy)", async () => {
  server = await fresh();
  const sb = await Sandbox.create({ timeout: "2m", allowNet: ["allowed.example"] });
  const id = sb.id;
  await sb.close();
  server = await restart(server);
  const again = await Sandbox.connect({ id });
  // a synthetic address from the proxy's DNS, then the proxy's refusal over TCP
  const addr = (await again.sh`getent hosts denied.example | cut -d' ' -f1`.text()).trim();
  assert.match(addr, /^198\.1[89]\./);
  const r = await again.sh`curl -s -m 5 http://denied.example/`.noThrow().text();
  assert.match(r, /airlock: connection to denied\.example:80 refused/);
  await again.kill();
  await server.stop();
});

test("a second airlockd on the same state directory is refused with a clear error", async () => {
  server = await fresh();
  const r = spawnSync(AIRLOCKD, ["--state-dir", STATE_DIR, "serve", "--listen", "127.0.0.1:0"], { timeout: 10000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr.toString(), new RegExp(`another airlockd \\(pid ${server.pid}\\) serves ${STATE_DIR}`));
  // the first one is unharmed
  const sb = await Sandbox.create();
  assert.equal((await sb.sh`echo ok`.text()).trim(), "ok");
  await sb.kill();
  await server.stop();
});

test("an exposed port and an SSH username keep working after a restart", async () => {
  const https = await import("node:https");
  const sshPort = await freePort();
  const args = ["--ssh-listen", `127.0.0.1:${sshPort}`];
  server = await fresh({ args });
  const ca = readFileSync(`${STATE_DIR}/ingress-ca/ca.crt`);
  const get = (url) => new Promise((resolve, reject) => {
    const req = https.get(url, { ca, agent: false, lookup: (h, o, cb) => (o.all
      ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4)) }, (res) => {
      let b = "";
      res.on("data", (d) => { b += d; });
      res.on("end", () => resolve({ status: res.statusCode, body: b }));
    });
    req.on("error", reject);
  });
  const sb = await Sandbox.create({ timeout: "2m" });
  const id = sb.id;
  await sb.fs.writeTextFile("/tmp/www/index.html", "served from before\n").catch(async () => {
    await sb.sh`mkdir -p /tmp/www`;
    await sb.fs.writeTextFile("/tmp/www/index.html", "served from before\n");
  });
  await sb.spawn("python3", { args: ["-m", "http.server", "8000", "-d", "/tmp/www"], stdout: "null", stderr: "null" });
  const url = await sb.exposeHttp({ port: 8000 });
  for (let i = 0; i < 100 && (await get(url).catch(() => ({ status: 0 }))).status !== 200; i++) await sleep(100);
  const creds = await sb.exposeSsh();
  await sb.close();
  server = await restart(server, { args });
  const r = await get(url);
  assert.equal(r.status, 200);
  assert.equal(r.body, "served from before\n");
  const ssh = spawnSync("ssh", ["-p", String(sshPort), "-o", "StrictHostKeyChecking=no", "-o",
    "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", `${creds.username}@${creds.hostname}`,
    "--", "cat /tmp/www/index.html"], { timeout: 30000 });
  if (ssh.error?.code === "ENOENT") {
    console.log("# ssh half skipped: the OpenSSH client is not installed");
  } else {
    assert.equal(ssh.status, 0, ssh.stderr.toString());
    assert.equal(ssh.stdout.toString(), "served from before\n");
  }
  await (await Sandbox.connect({ id })).kill();
  await server.stop();
});
