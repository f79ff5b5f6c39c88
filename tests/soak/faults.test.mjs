// SPDX-License-Identifier: Apache-2.0
// Faults mid-traffic: a client that vanishes while its process streams, a
// sandbox whose airlock-init is killed, and airlock-proxy killed while
// connections go through it. The affected party sees a clear error; the
// daemon, the other clients and the other sandboxes go on; nothing leaks.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { startServer } from "../e2e/server.mjs";
import {
  Sandbox, ConnectionClosedError, figures, describe, quiet, settle, assertBack, initPid, proxyPid, sleep,
} from "./lib.mjs";

const CLIENT = fileURLToPath(new URL("./stream-client.mjs", import.meta.url));
const RSS_TOL_KIB = 1024;
const ours = new Set();
let server, echo, start;

// A raw TCP echo server on the host's loopback, reached from sandboxes only
// through the operator's override (as tests/e2e/egress.test.mjs does).
before(async () => {
  echo = net.createServer((s) => {
    s.on("data", (d) => s.write(d));
    s.on("end", () => s.end());
    s.on("error", () => {});
  });
  await new Promise((r) => echo.listen(0, "127.0.0.1", r));
  server = await startServer({ args: ["--net-override", `echo.example.test:7000=127.0.0.1:${echo.address().port}`] });
  // warm up: the proxy, the seccomp program, the disk template
  for (let i = 0; i < 2; i++) {
    const sb = await Sandbox.create();
    await sb.sh`true`;
    await sb.close();
  }
});
after(async () => {
  await server?.stop();
  echo?.close();
});

async function create(opts = {}) {
  const sb = await Sandbox.create(opts);
  ours.add(sb.id);
  return sb;
}

// A process that writes a known sequence; resolves with all of it once it ends.
async function streamSeq(sandbox, n) {
  const child = await sandbox.spawn("seq", { args: ["1", String(n)], stdout: "piped", stderr: "piped" });
  const out = await child.output();
  assert.equal(out.status.code, 0);
  return out.stdoutText;
}

const seqText = (n) => Array.from({ length: n }, (_, i) => i + 1).join("\n") + "\n";

// Start stream-client.mjs; resolves once it streams, with its child process.
async function streamingClient(args = []) {
  const child = spawn(process.execPath, [CLIENT, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const line = await new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      out += d;
      const m = /^streaming (\S+) pid (\d+)$/m.exec(out);
      if (m) resolve(m);
    });
    child.on("exit", (code, sig) => reject(new Error(`stream-client exited (${code ?? sig}): ${out}`)));
  });
  child.removeAllListeners("exit");
  return { child, id: line[1], pid: Number(line[2]) };
}

async function sigkill(child) {
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await gone;
}

test("a client that disconnects mid-stream leaves the server and other clients fine", async (t) => {
  start = await quiet(server.pid, ours);
  t.diagnostic(`start: ${describe(start)}`);
  const bystander = await create();
  try {
    // 1. a session sandbox whose creator vanishes while its process floods stdout
    const a = await streamingClient();
    ours.add(a.id);
    const other = streamSeq(bystander, 300000); // another client streams meanwhile
    await sigkill(a.child);
    assert.equal(await other, seqText(300000), "the other client's stream is whole and in order");
    // the session sandbox ends with its creator's connection
    for (let i = 0; i < 100 && initPid(a.id) !== null; i++) await sleep(100);
    assert.equal(initPid(a.id), null, "the vanished client's session sandbox ended");

    // 2. a timed sandbox: the vanished client was only one of its clients; it goes on
    const timed = await create({ timeout: "2m" });
    try {
      const b = await streamingClient([timed.id]);
      await sigkill(b.child);
      assert.equal(await streamSeq(timed, 1000), seqText(1000), "the sandbox still serves its other client");
      assert.equal(await streamSeq(bystander, 1000), seqText(1000));
      const again = await Sandbox.connect({ id: timed.id });
      assert.equal(await again.sh`echo back`.text(), "back\n", "a new client connects to it");
      await again.kill();
    } finally {
      await timed.close().catch(() => {});
    }
    // the daemon still takes new clients
    const fresh = await create();
    assert.equal(await fresh.sh`echo fresh`.text(), "fresh\n");
    await fresh.close();
  } finally {
    await bystander.close();
  }
  const end = await settle(server.pid, ours, start);
  t.diagnostic(`end:   ${describe(end)}`);
  assertBack(assert, start, end, { rssTolKiB: RSS_TOL_KIB });
});

test("airlock-init killed mid-traffic: its client gets a clear close, everything else goes on", async (t) => {
  const before = await quiet(server.pid, ours);
  const victim = await create();
  const bystander = await create();
  try {
    const flood = await victim.spawn("sh", { args: ["-c", "while :; do seq 1 1000; sleep 0.01; done"], stdout: "piped", stderr: "piped" });
    let bytes = 0;
    // The SDK does not end a process's stdout stream when the connection
    // closes; its status promise is what carries the error.
    (async () => { for await (const c of flood.stdout) bytes += c.length; })().catch(() => {});
    const status = flood.status.then((s) => ({ s }), (e) => ({ e }));
    const other = streamSeq(bystander, 300000);
    while (bytes < 64 * 1024) await sleep(20);
    const pid = initPid(victim.id);
    assert.ok(pid, `airlock-init of ${victim.id} found by its cgroup`);
    const t0 = Date.now();
    process.kill(pid, "SIGKILL");
    const r = await status;
    const ms = Date.now() - t0;
    assert.ok(r.e, `the victim's processWait must fail, got ${JSON.stringify(r.s)}`);
    assert.ok(r.e instanceof ConnectionClosedError, `${r.e}`);
    assert.equal(r.e.code, 1011);
    assert.match(r.e.reason, /sandbox ended/);
    assert.ok(ms < 5000, `the close came ${ms} ms after the kill`);
    t.diagnostic(`victim's client: "${r.e.message}" ${ms} ms after the kill`);
    await assert.rejects(victim.sh`true`.text(), ConnectionClosedError, "later calls fail at once, clearly");
    // everything else goes on
    assert.equal(await other, seqText(300000), "the bystander's stream is whole and in order");
    assert.equal(await bystander.sh`echo still here`.text(), "still here\n");
    const fresh = await create();
    assert.equal(await fresh.sh`echo fresh`.text(), "fresh\n");
    await fresh.close();
  } finally {
    await victim.close().catch(() => {});
    await bystander.close();
  }
  const end = await settle(server.pid, ours, before);
  t.diagnostic(`after: ${describe(end)}`);
  assertBack(assert, before, end, { rssTolKiB: RSS_TOL_KIB });
});

// Holds a connection to the echo upstream and round-trips on it until it breaks.
const PINGER = `
import socket, sys, time
s = socket.create_connection(("echo.example.test", 7000), timeout=10)
n = 0
try:
    while True:
        s.sendall(b"ping\\n")
        if not s.recv(16): raise OSError("end of stream")
        n += 1
        if n % 20 == 0: print("echoed", n, flush=True)
        time.sleep(0.01)
except OSError as e:
    print("broken after", n, repr(e), flush=True)
    sys.exit(3)
`;

async function pinger(sandbox) {
  const child = await sandbox.spawn("python3", { args: ["-c", PINGER], stdout: "piped", stderr: "piped" });
  const p = { out: "" };
  const dec = new TextDecoder();
  (async () => { for await (const c of child.stdout) p.out += dec.decode(c); })().catch(() => {});
  p.status = child.status;
  for (let i = 0; i < 300 && !/echoed 20/.test(p.out); i++) await sleep(50);
  assert.match(p.out, /echoed 20/, "the connection through the proxy works before the kill");
  return p;
}

async function echoOnce(sandbox) {
  const child = await sandbox.spawn("python3", { args: ["-c",
    "import socket; s = socket.create_connection(('echo.example.test', 7000), timeout=3); s.sendall(b'again'); print(s.recv(5).decode())"],
  stdout: "piped", stderr: "piped" });
  return child.output();
}

test("airlock-proxy killed mid-traffic: its connections fail, airlockd restarts it, new connections work", async (t) => {
  const before = await quiet(server.pid, ours);
  const a = await create();
  const b = await create();
  try {
    const old = proxyPid(server.pid);
    assert.ok(old, "airlock-proxy runs as airlockd's child");
    const pa = await pinger(a);
    const pb = await pinger(b);
    const other = streamSeq(b, 300000); // output over the API does not go through the proxy
    const t0 = Date.now();
    process.kill(old, "SIGKILL");
    for (const p of [pa, pb]) {
      const st = await p.status;
      assert.equal(st.code, 3, `the connection must break: ${p.out}`);
      assert.match(p.out, /broken after \d+ (ConnectionResetError|BrokenPipeError|OSError|TimeoutError)/);
    }
    t.diagnostic(`held connections failed within ${Date.now() - t0} ms of the kill`);
    // sandboxes and their API connections are untouched
    assert.equal(await a.sh`echo alive`.text(), "alive\n");
    assert.equal(await other, seqText(300000));
    // a new proxy, airlockd's child, and new connections work through it
    let fresh = null;
    for (let i = 0; i < 100 && !(fresh && fresh !== old); i++) {
      await sleep(50);
      fresh = proxyPid(server.pid);
    }
    assert.ok(fresh && fresh !== old, "airlockd started a new airlock-proxy");
    let ok = null;
    for (let i = 0; i < 50 && !ok; i++) {
      const r = await echoOnce(a);
      if (r.status.code === 0) ok = r;
      else await sleep(100);
    }
    assert.ok(ok, "a new connection works after the restart");
    assert.equal(ok.stdoutText, "again\n");
    t.diagnostic(`new connections work ${Date.now() - t0} ms after the kill (proxy ${old} -> ${fresh})`);
    const rb = await echoOnce(b);
    assert.equal(rb.stdoutText, "again\n", "for every sandbox");
    const c = await create();
    const rc = await echoOnce(c);
    assert.equal(rc.stdoutText, "again\n", "and for a sandbox made after the restart");
    await c.close();
  } finally {
    await a.close();
    await b.close();
  }
  const end = await settle(server.pid, ours, before);
  t.diagnostic(`after: ${describe(end)}`);
  assertBack(assert, before, end, { rssTolKiB: RSS_TOL_KIB });
});
