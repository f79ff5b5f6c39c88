// SPDX-License-Identifier: Apache-2.0
// Shared by the soak tests: the SDK (installed once, under tests/e2e), and the
// figures a leak would move: the daemon's descriptors and memory, and what
// sandboxes hold on the host (mounts, cgroups, namespaces, uid ranges, loop
// devices).
//
// Other airlockd instances may run sandboxes on the same host while these
// tests do (engineers' runs; never in CI, where the suites run one after the
// other). A sandbox whose airlock-init is not a child of this test's daemon,
// and whose id this test never created, is someone else's: its cgroups,
// processes, namespaces, uid slot and loop device are left out of every count.
// On a host where nothing else runs, every figure is simply host-wide.
import { readFileSync, readdirSync, readlinkSync, realpathSync, existsSync, statSync } from "node:fs";
import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Sandbox, Client, ConnectionClosedError } from "../e2e/node_modules/@deno/sandbox/esm/mod.js";
import { STATE_DIR, sleep } from "../e2e/helpers.mjs";

export { Sandbox, Client, ConnectionClosedError, STATE_DIR, sleep };

const UID_BASE = 1000000000;
const UID_RANGE = 65536;
// cgroup v1 controllers, the hybrid layout's v2 tree, and a pure v2 host's root
const CONTROLLERS = ["memory", "cpu", "pids", "unified", "."];

function read(file) {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null; // raced with an exit
  }
}

function pids() {
  return readdirSync("/proc").filter((p) => /^\d+$/.test(p));
}

// The sandbox id of a process's cgroup (v1 pids or v2 unified), or null.
function cgroupId(pid) {
  const m = /^\d+:(?:pids)?:\/airlock\/([^/\n]+)/m.exec(read(`/proc/${pid}/cgroup`) ?? "");
  return m ? m[1] : null;
}

function status(pid) {
  const s = read(`/proc/${pid}/status`);
  if (!s) return null;
  return { uid: Number(/^Uid:\s+(\d+)/m.exec(s)[1]), ppid: Number(/^PPid:\s+(\d+)/m.exec(s)[1]),
    rssKiB: Number((/^VmRSS:\s+(\d+)/m.exec(s) ?? [0, 0])[1]) };
}

// uid slot files in the state directory, by inode (they never change).
const slotByInode = new Map();
const notSlot = new Set(); // other locked files (each daemon's airlockd.lock...)
function slotOf(inode) {
  if (!slotByInode.has(inode) && !notSlot.has(inode)) {
    const dir = `${STATE_DIR}/slots`;
    for (const f of existsSync(dir) ? readdirSync(dir) : []) {
      try {
        slotByInode.set(statSync(`${dir}/${f}`).ino, Number(f));
      } catch { /* made or removed meanwhile */ }
    }
    if (!slotByInode.has(inode)) notSlot.add(inode);
  }
  return slotByInode.get(inode);
}

function lockedSlots() {
  const held = new Set();
  for (const line of (read("/proc/locks") ?? "").split("\n")) {
    const m = /FLOCK\s+\S+\s+WRITE\s+\d+\s+[0-9a-f]+:[0-9a-f]+:(\d+)/.exec(line);
    if (!m) continue;
    const slot = slotOf(Number(m[1]));
    if (slot !== undefined) held.add(slot);
  }
  return held;
}

const seenForeign = new Set();
const stateDir = realpathSync(STATE_DIR);

// One snapshot. daemonPid: the airlockd under test; ours: ids of sandboxes
// this test made (a Set, filled as they are created).
export function figures(daemonPid, ours = new Set()) {
  const procs = [];
  for (const pid of pids()) {
    const st = status(pid);
    if (!st) continue;
    // airlock-init runs from a memfd (its comm is "memfd:airlock-i"): know it by its command line
    const cmd = read(`/proc/${pid}/cmdline`) ?? "";
    procs.push({ pid, ...st, id: cgroupId(pid), init: cmd === "airlock-init\0", cmd });
  }
  // Someone else's sandbox: an id we never made whose airlock-init is not our
  // daemon's child, or whose disk lies in another state directory. Once seen,
  // remembered: its cgroups and processes outlive its airlock-init a moment.
  const ownInit = new Set();
  for (const p of procs) {
    if (!p.id || !p.init) continue;
    if (p.ppid === daemonPid || ours.has(p.id)) ownInit.add(p.id);
    else seenForeign.add(p.id);
  }
  const loopFiles = readdirSync("/sys/block").map((d) => read(`/sys/block/${d}/loop/backing_file`)).filter((f) => f);
  for (const f of loopFiles) {
    const m = /^(.*)\/disks\/(sbx_[a-z]+_[0-9a-z]+)\.img/.exec(f);
    if (m && m[1] !== stateDir && !ours.has(m[2])) seenForeign.add(m[2]);
  }
  const foreign = new Set([...seenForeign].filter((id) => !ownInit.has(id) && !ours.has(id)));
  const foreignSlots = new Set(procs.filter((p) => p.init && foreign.has(p.id))
    .map((p) => Math.floor((p.uid - UID_BASE) / UID_RANGE)));

  const ns = { net: new Set(), mnt: new Set(), pid: new Set() };
  let sandboxProcs = 0;
  for (const p of procs) {
    if (p.id && foreign.has(p.id)) continue;
    if (p.uid >= UID_BASE) sandboxProcs++;
    for (const kind of Object.keys(ns)) {
      try {
        ns[kind].add(readlinkSync(`/proc/${p.pid}/ns/${kind}`));
      } catch { /* raced with an exit */ }
    }
  }
  const cgroups = [];
  for (const ctl of CONTROLLERS) {
    const dir = `/sys/fs/cgroup/${ctl}/airlock`;
    if (!existsSync(dir)) continue;
    for (const d of readdirSync(dir, { withFileTypes: true }))
      if (d.isDirectory() && !foreign.has(d.name)) cgroups.push(`${ctl}/${d.name}`);
  }
  const loops = loopFiles.filter((f) => {
    const id = /(sbx_[a-z]+_[0-9a-z]+)\.img/.exec(f);
    return !(id && foreign.has(id[1]));
  });
  const daemon = status(String(daemonPid));
  const proxy = procs.find((p) => p.ppid === daemonPid && p.cmd.startsWith("airlock-proxy\0"));
  return {
    fds: readdirSync(`/proc/${daemonPid}/fd`).length,
    rssKiB: daemon.rssKiB,
    proxyFds: proxy ? readdirSync(`/proc/${proxy.pid}/fd`).length : 0,
    mounts: read("/proc/self/mountinfo").trim().split("\n").length,
    cgroups: cgroups.length,
    netns: ns.net.size,
    mntns: ns.mnt.size,
    pidns: ns.pid.size,
    sandboxProcs,
    slots: [...lockedSlots()].filter((s) => !foreignSlots.has(s)).length,
    loops: loops.length,
    foreign: foreign.size,
  };
}

export function describe(f) {
  return `fds=${f.fds} rss=${(f.rssKiB / 1024).toFixed(1)}MiB proxy_fds=${f.proxyFds} mounts=${f.mounts} ` +
    `cgroups=${f.cgroups} ns(net/mnt/pid)=${f.netns}/${f.mntns}/${f.pidns} sandbox_procs=${f.sandboxProcs} ` +
    `uid_slots=${f.slots} loops=${f.loops}` + (f.foreign ? ` (${f.foreign} foreign sandboxes left out)` : "");
}

// The figures that must come back exactly (RSS is compared with a tolerance).
export const EXACT = ["fds", "proxyFds", "mounts", "cgroups", "netns", "mntns", "pidns", "sandboxProcs", "slots", "loops"];

// Teardown finishes in the background (namespaces die, loop devices detach,
// cgroups are removed once empty): poll until every exact figure is back to
// `start` or `ms` pass; returns the last snapshot.
export async function settle(daemonPid, ours, start, ms = 30000) {
  const until = Date.now() + ms;
  let now;
  for (;;) {
    now = figures(daemonPid, ours);
    if (EXACT.every((k) => now[k] === start[k]) || Date.now() > until) return now;
    await sleep(200);
  }
}

// A quiet start: a few cycles have warmed the daemon (the proxy started, the
// store's pages read, the seccomp program compiled); wait until two snapshots
// agree.
export async function quiet(daemonPid, ours, ms = 20000) {
  const until = Date.now() + ms;
  let before = figures(daemonPid, ours);
  for (;;) {
    await sleep(300);
    const now = figures(daemonPid, ours);
    if (EXACT.every((k) => now[k] === before[k]) || Date.now() > until) return now;
    before = now;
  }
}

export function assertBack(assert, start, end, { rssTolKiB }) {
  for (const k of EXACT) assert.equal(end[k], start[k], `${k}: ${start[k]} at the start, ${end[k]} at the end`);
  assert.ok(end.rssKiB <= start.rssKiB + rssTolKiB,
    `RSS grew from ${start.rssKiB} KiB to ${end.rssKiB} KiB (tolerance ${rssTolKiB} KiB)`);
}

// Run fn over items with at most `width` at once.
export async function pool(items, width, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

// A sandbox's airlock-init, by its cgroup: the host pid.
export function initPid(id) {
  for (const pid of execFileSync("pgrep", ["-f", "^airlock-init$"], { encoding: "utf8" }).trim().split("\n"))
    if (pid && cgroupId(pid) === id) return Number(pid);
  return null;
}

// The daemon's airlock-proxy (its child), or null.
export function proxyPid(daemonPid) {
  try {
    const out = execFileSync("pgrep", ["-x", "-P", String(daemonPid), "airlock-proxy"], { encoding: "utf8" }).trim();
    return out ? Number(out.split("\n")[0]) : null;
  } catch {
    return null; // pgrep: none
  }
}

export function median(xs) {
  return percentile(xs, 50);
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}


// Sequential sh`true` round trips through the SDK, in ms; `at` (optional)
// collects when each began, in ms since the epoch.
export async function latencies(sandbox, n, at = []) {
  const out = [];
  for (let i = 0; i < n; i++) {
    at.push(Date.now());
    const t0 = process.hrtime.bigint();
    await sandbox.sh`true`;
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

export function stats(xs) {
  return { median: median(xs), p99: percentile(xs, 99) };
}

// Start abuser.mjs (a client process of its own); resolves once all four
// bombs run, with its child process, its sandbox id and the flood's bytes so far.
// Disk bytes are counted from then on.
export async function startAbuser(bombs = "flood,disk,memory,fork") {
  const child = spawn(process.execPath, [fileURLToPath(new URL("./abuser.mjs", import.meta.url)), bombs],
    { stdio: ["ignore", "pipe", "inherit"] });
  const a = { child, id: null, flood: 0, diskBase: 0 };
  let buf = "";
  await new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /^(abusing|flood) (\S+)$/.exec(line);
        if (m?.[1] === "abusing") {
          a.id = m[2];
          a.diskBase = loopWritten(a.id); // a loop device's counters outlive its earlier users
          resolve();
        } else if (m) a.flood = Number(m[2]);
      }
    });
    child.once("exit", (code, sig) => reject(new Error(`abuser.mjs exited (${code ?? sig}) before it started`)));
  });
  child.removeAllListeners("exit");
  a.stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await gone;
  };
  return a;
}

function cgroupFile(id, v1, v2) {
  for (const f of [`/sys/fs/cgroup/${v1}`.replace("ID", id), `/sys/fs/cgroup/unified/${v2}`.replace("ID", id)]) {
    const s = read(f);
    if (s !== null) return s;
  }
  return "";
}

// What the abuse does to its own sandbox, read on the host: processes
// (against pids.max), OOM kills, bytes written to its disk, bytes of output.
export function abuseEvidence(a) {
  const pidsNow = Number(cgroupFile(a.id, "pids/airlock/ID/pids.current", "airlock/ID/pids.current"));
  const pidsMax = Number(cgroupFile(a.id, "pids/airlock/ID/pids.max", "airlock/ID/pids.max"));
  const oom = /oom_kill (\d+)/.exec(cgroupFile(a.id, "memory/airlock/ID/memory.oom_control", "airlock/ID/memory.events"));
  return { pids: pidsNow, pidsMax, oomKills: oom ? Number(oom[1]) : 0,
    diskWritten: loopWritten(a.id) - a.diskBase, flood: a.flood };
}

// Bytes written to a sandbox's disk (its loop device), as the block layer counts them.
function loopWritten(id) {
  let written = 0;
  for (const d of readdirSync("/sys/block")) {
    if (!(read(`/sys/block/${d}/loop/backing_file`) ?? "").includes(id)) continue;
    written += Number((read(`/sys/block/${d}/stat`) ?? "").trim().split(/\s+/)[6] ?? 0) * 512;
  }
  return written;
}
