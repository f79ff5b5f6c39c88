// SPDX-License-Identifier: Apache-2.0
// State benchmarks (issue 5), each against a peer measured in the same run:
//   (1) start-to-serving: from spawning `airlockd serve` to the first
//       GET /api/v2/sandboxes that lists all ADOPT live sandboxes (timed, each
//       running a background `sleep`) as running, after a kill -9 of the
//       previous airlockd; peer: the same with nothing to adopt. Also the
//       adoption's own ms from its log line, and a few adopted sandboxes
//       answering a command afterwards;
//   (2) Sandbox.create() + sh`true` + close (median, p99) with LISTED live
//       sandboxes in the store, against with none; and GET /api/v2/sandboxes
//       with LISTED live against with none.
// Every sandbox made here is ended at the end.
// Usage: node bench/state.mjs [N] [ADOPT] [LISTED] [STARTS]   (defaults 30, 200,
// 500, 5; needs the default image; starts its own airlockd; the state
// directory must have no other airlockd)
import { execFileSync, spawn } from "node:child_process";
import { openSync, readdirSync, readFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
process.env.AIRLOCK_BUILD ??= path.resolve(here, "../build");
const { Sandbox } = await import(path.resolve(here, "../tests/e2e/node_modules/@deno/sandbox/esm/mod.js"));
const { startServer } = await import(path.resolve(here, "../tests/e2e/server.mjs"));
const { AIRLOCKD, STATE_DIR, sleep } = await import(path.resolve(here, "../tests/e2e/helpers.mjs"));
const N = Number(process.argv[2] ?? 30);
const ADOPT = Number(process.argv[3] ?? 200);
const LISTED = Number(process.argv[4] ?? 500);
const STARTS = Number(process.argv[5] ?? 5);
const MAX = ["--max-sandboxes", String(Math.max(1000, LISTED + N))];
const PARALLEL = 4; // creates in flight while filling the store (not timed)
if (LISTED < ADOPT) throw new Error("LISTED must be at least ADOPT: the adopted sandboxes are reused");

const ms = () => Number(process.hrtime.bigint()) / 1e6;
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor((s.length - 1) / 2)], p99: s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)] };
};
const f = (x) => `${x.toFixed(1)} ms`;
const line = (name, a, peerName, b) => console.log(`${name}: median ${f(a.median)}, p99 ${f(a.p99)} | ` +
  `${peerName}: median ${f(b.median)}, p99 ${f(b.p99)} | ratio ${(a.median / b.median).toFixed(2)}`);
const trace = (...a) => process.env.BENCH_TRACE && console.error(...a);
// every airlockd's stderr, for when something fails
const LOG = path.join(tmpdir(), "bench-state.log");
const logFd = openSync(LOG, "w");

const pids = () => {
  try {
    return execFileSync("pgrep", ["-f", "^airlock-init$"]).toString().trim().split("\n");
  } catch {
    return [];
  }
};
// The airlock-init processes of these sandboxes, by their cgroup: other
// daemons' sandboxes on this host do not count.
const initsOf = (ids) => {
  const set = new Set(ids);
  return pids().filter((pid) => {
    try {
      const m = /sbx_[A-Za-z0-9_-]+/.exec(readFileSync(`/proc/${pid}/cgroup`, "utf8"));
      return m && set.has(m[0]);
    } catch {
      return false;
    }
  }).length;
};

// CPU time (ms) that the airlock-init processes of these sandboxes used so far.
const initsCpu = (ids) => {
  const set = new Set(ids);
  let ticks = 0;
  for (const pid of pids()) {
    try {
      const m = /sbx_[A-Za-z0-9_-]+/.exec(readFileSync(`/proc/${pid}/cgroup`, "utf8"));
      if (!m || !set.has(m[0])) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch { /* raced with an exit */ }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
};

// A console REST call with the daemon's token; throws on a refused connection.
async function list(port, token) {
  const r = await fetch(`http://127.0.0.1:${port}/api/v2/sandboxes`, { headers: { authorization: `Bearer ${token}` } });
  if (r.status !== 200) throw new Error(`GET /api/v2/sandboxes: ${r.status} ${await r.text()}`);
  return r.json();
}

// Spawn `airlockd serve` and poll (every 1 ms) until a GET lists every id as
// running. Returns the time from spawn, the adoption's log line figures and a
// handle to stop or crash it. The SDK's variables stay those of the first
// start (same port, and the token is kept in the state directory).
async function timedStart(port, token, ids) {
  const t0 = ms();
  const child = spawn(AIRLOCKD, ["--state-dir", STATE_DIR, "serve", "--listen", `127.0.0.1:${port}`, ...MAX],
    { stdio: ["ignore", "ignore", "pipe"] });
  let err = "", adopted = null;
  child.stderr.on("data", (d) => {
    writeSync(logFd, d);
    if (adopted) return;
    err += d;
    const m = /msg="adopted the sandboxes of before" adopted=(\d+).*? ms=([\d.]+)/.exec(err);
    if (m) adopted = { n: Number(m[1]), ms: Number(m[2]) };
  });
  const exited = new Promise((r) => child.once("exit", r));
  let gone = false;
  exited.then(() => { gone = true; });
  const want = new Set(ids);
  for (;;) {
    if (gone) throw new Error(`airlockd serve exited while starting: ${err}`);
    if (ms() - t0 > 120000) throw new Error(`airlockd serve: not serving all ${ids.length} after 120 s: ${err}`);
    try {
      const all = await list(port, token);
      if (all.filter((s) => want.has(s.id) && s.status === "running").length === want.size) break;
    } catch (e) {
      if (e.cause?.code !== "ECONNREFUSED" && e.cause?.code !== "ECONNRESET") throw e;
    }
    await sleep(1);
  }
  const t = ms() - t0;
  // the log line is written before the first request is served
  for (let i = 0; i < 1000 && !adopted && !gone; i++) await sleep(1);
  const signal = async (sig) => {
    if (!gone) child.kill(sig);
    await exited;
  };
  return { t, adopted, pid: child.pid, crash: () => signal("SIGKILL"), stop: () => signal("SIGTERM") };
}

// Fill the store: `count` timed sandboxes, each with a background sleep,
// added to `made`.
async function fill(made, count) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const sb = await Sandbox.create({ timeout: "30m", labels: { bench: "state" } });
      const p = await sb.spawn("sleep", { args: ["100000"], stdout: "null", stderr: "null" });
      made.push({ id: sb.id, pid: p.pid });
      if (made.length % 50 === 0) trace(`${made.length} live`);
      await sb.close();
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

async function createLatency(n) {
  const t = [];
  for (let i = 0; i < n; i++) {
    const t0 = ms();
    const sb = await Sandbox.create();
    await sb.sh`true`;
    await sb.close();
    t.push(ms() - t0);
  }
  return t;
}

async function listLatency(port, token, times) {
  const t = [];
  let n = 0;
  for (let i = 0; i < times; i++) {
    const t0 = ms();
    n = (await list(port, token)).length;
    t.push(ms() - t0);
  }
  return { t, n };
}

const made = []; // { id, pid of its sleep }
let server = null; // whichever airlockd runs now: { crash(), ... }

// The peers, in two halves: one before the loaded measurements, one after
// every sandbox of those is ended, so that both see the host's load then.
const createNone = [], listNone = [], startNone = [];
async function peers(port, half) {
  server = await startServer({ keepSandboxes: true, stderr: logFd, args: MAX, port });
  const { token } = server;
  const n = half ? Math.floor(N / 2) : Math.ceil(N / 2);
  createNone.push(...(await createLatency(n)));
  const l = await listLatency(server.port, token, 10);
  listNone.push(...l.t);
  await server.crash();
  await (await timedStart(server.port, token, [])).crash(); // untimed: warm caches
  const starts = half ? Math.floor(STARTS / 2) : Math.ceil(STARTS / 2);
  for (let i = 0; i < starts; i++) {
    const s = await timedStart(server.port, token, []);
    startNone.push(s.t);
    await s.crash();
  }
  return { port: server.port, token, listed: l.n };
}

// End every sandbox made here (a start without keepSandboxes ends them on stop).
async function endAll() {
  await server?.crash();
  server = null;
  await (await startServer({ stderr: logFd })).stop();
  const ids = made.map((m) => m.id);
  for (let i = 0; i < 200 && initsOf(ids) > 0; i++) await sleep(50);
  return initsOf(ids);
}

const initsBefore = pids().length;
try {
  // leftovers of an earlier, interrupted run: this start ends them on stop
  await (await startServer({ stderr: logFd })).stop();
  const { port, token, listed: listedNone0 } = await peers(undefined, 0);

  // (1) ADOPT live sandboxes, kill -9, then STARTS timed starts that adopt them
  server = await startServer({ keepSandboxes: true, stderr: logFd, args: MAX, port });
  await fill(made, ADOPT);
  await server.crash();
  const ids = made.map((m) => m.id);
  const startAdopt = [], adoptMs = [];
  for (let i = 0; i < STARTS; i++) {
    server = await timedStart(port, token, ids);
    startAdopt.push(server.t);
    if (server.adopted?.n !== ADOPT) throw new Error(`the log line says adopted=${server.adopted?.n}, not ${ADOPT}`);
    adoptMs.push(server.adopted.ms);
    if (i < STARTS - 1) await server.crash();
  }
  if (initsOf(ids) !== ADOPT) throw new Error(`${initsOf(ids)} of the ${ADOPT} airlock-init processes are left`);
  let answered = 0;
  for (const m of [made[0], made[Math.floor(ADOPT / 2)], made[ADOPT - 1]]) {
    const sb = await Sandbox.connect({ id: m.id });
    // it answers, and its sleep from before the restarts still runs
    const out = await sb.sh`echo ok; test -d /proc/${String(m.pid)} && echo alive`.text();
    if (out !== "ok\nalive\n") throw new Error(`adopted sandbox ${m.id} answered ${JSON.stringify(out)}`);
    answered++;
    await sb.close();
  }

  // (2) LISTED live sandboxes: the adopted ones and more
  await fill(made, LISTED - ADOPT);
  const live = (await list(port, token)).filter((s) => s.status === "running").length;
  if (live < LISTED) throw new Error(`only ${live} sandboxes listed as running, not ${LISTED}`);
  const fds = readdirSync(`/proc/${server.pid}/fd`).length;
  // what the idle ones cost the host meanwhile (their airlock-init wake-ups)
  const allIds = made.map((m) => m.id), cpu0 = initsCpu(allIds), t0 = ms();
  await sleep(3000);
  const idleCpu = ((initsCpu(allIds) - cpu0) / (ms() - t0)) * 100;
  const createMany = await createLatency(N);
  const listMany = await listLatency(port, token, 20);
  const left = await endAll();
  if (left > 0) throw new Error(`${left} airlock-init of the sandboxes made here are left after ending them`);
  const { listed: listedNone1 } = await peers(port, 1);

  console.log(`N=${N} creates, ${STARTS} starts each; state directory ${STATE_DIR}; ` +
    "the peers measured half before, half after the loaded runs");
  line(`(1) airlockd start to serving, ${ADOPT} live sandboxes to adopt`, stats(startAdopt),
    "none to adopt", stats(startNone));
  const a = stats(adoptMs);
  console.log(`    the adoption itself (its log line): median ${f(a.median)}, max ${f(a.p99)}; ` +
    `${answered} adopted sandboxes checked: they answer and their sleep still runs`);
  line(`(2) create + sh\`true\` + close, ${live} live sandboxes listed`, stats(createMany),
    "none live", stats(createNone));
  line(`(2) GET /api/v2/sandboxes, ${listMany.n} listed (${live} live)`, stats(listMany.t),
    `${listedNone0}/${listedNone1} listed (0 live)`, stats(listNone));
  console.log(`    airlockd held ${fds} fds with ${live} live sandboxes; their airlock-init processes, ` +
    `each with one sleeping child, used ${idleCpu.toFixed(0)}% of a CPU while idle`);
} catch (e) {
  const tail = readFileSync(LOG, "utf8").split("\n").filter((l) => l && !l.includes("level=info")).slice(-3);
  console.error(`failed; airlockd's log is ${LOG}, its last complaints:\n  ${tail.join("\n  ")}`);
  throw e;
} finally {
  const left = await endAll();
  const after = pids().length;
  console.log(`clean-up: ${made.length} sandboxes ended, ${left} of their airlock-init left; ` +
    `airlock-init on the host ${initsBefore} before, ${after} after`);
  if (left > 0) process.exitCode = 1;
}
