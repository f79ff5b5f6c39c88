// SPDX-License-Identifier: Apache-2.0
// Shared helpers for the end-to-end tests: they drive the real airlockd binary.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";

export const BUILD = process.env.AIRLOCK_BUILD ?? path.resolve("build");
export const STATE_DIR = process.env.AIRLOCK_STATE_DIR ?? "/var/lib/airlock";
export const AIRLOCKD = path.join(BUILD, "airlockd");

// Run `airlockd run [opts] -- cmd...` to completion.
export function run(opts, cmd, { input, timeout = 60000, env } = {}) {
  const r = spawnSync(AIRLOCKD, ["--state-dir", STATE_DIR, "run", ...opts, "--", ...cmd], {
    input,
    timeout,
    maxBuffer: 256 * 1024 * 1024,
    env: env ?? process.env,
  });
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout.toString(), stderr: r.stderr.toString(), raw: r.stdout };
}

export function sh(script, opts = [], extra = {}) {
  return run(opts, ["sh", "-c", script], extra);
}

// Start `airlockd run` without waiting; resolves with its result.
export function runAsync(opts, cmd, { input } = {}) {
  const child = spawn(AIRLOCKD, ["--state-dir", STATE_DIR, "run", ...opts, "--", ...cmd]);
  const out = [], err = [];
  child.stdout.on("data", (d) => out.push(d));
  child.stderr.on("data", (d) => err.push(d));
  if (input !== undefined) child.stdin.end(input);
  const done = new Promise((resolve) =>
    child.on("close", (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() })));
  return { child, done };
}

// What a sandbox could leave behind on the host, counted.
export function hostTraces() {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8").trim().split("\n").length;
  const cgroups = [];
  for (const ctl of ["memory", "cpu", "pids", "unified"]) {
    const dir = `/sys/fs/cgroup/${ctl}/airlock`;
    if (existsSync(dir))
      cgroups.push(...readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `${ctl}/${d.name}`));
  }
  const loops = readdirSync("/sys/block").filter((d) => d.startsWith("loop") && existsSync(`/sys/block/${d}/loop/backing_file`));
  const disks = existsSync(`${STATE_DIR}/disks`) ? readdirSync(`${STATE_DIR}/disks`).filter((f) => !f.startsWith("template-")) : [];
  // Processes owned by a sandbox uid range, and network namespaces in use.
  const sandboxProcs = [], netns = new Set();
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)[1]);
      if (uid >= 1000000000) sandboxProcs.push(pid);
      netns.add(spawnSync("readlink", [`/proc/${pid}/ns/net`]).stdout.toString().trim());
    } catch { /* raced with an exit */ }
  }
  return { mounts, cgroups, loops, disks, sandboxProcs, netns: netns.size };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
