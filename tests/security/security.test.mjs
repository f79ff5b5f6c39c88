// SPDX-License-Identifier: Apache-2.0
// The security suite: the static probe (sbxprobe) runs inside sandboxes of
// both profiles and must pass every check; run on the host as a negative
// control (SEC-63) it must fail the checks that only a sandbox passes. The
// host-side oracles (modules, core_pattern, canaries, uid ranges) live here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { spawnSync, spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { BUILD, STATE_DIR, run, sh, runAsync, sleep } from "../e2e/helpers.mjs";

const PROBE = path.join(BUILD, "tests/security/sbxprobe");
const probe = readFileSync(PROBE);

function runProbe(profile, env = {}) {
  const opts = ["-i", "--profile", profile];
  for (const [k, v] of Object.entries(env)) opts.push("--env", `${k}=${v}`);
  return run(opts, ["sh", "-c", `cat > /tmp/sbxprobe && chmod +x /tmp/sbxprobe && exec /tmp/sbxprobe --expect-profile ${profile}`], { input: probe });
}

function tap(out) {
  const lines = out.split("\n");
  return {
    failed: lines.filter((l) => l.startsWith("not ok")),
    passed: lines.filter((l) => l.startsWith("ok")),
    summary: lines.find((l) => /^\d+ passed, \d+ failed$/.test(l)),
  };
}

for (const profile of ["default", "strict"]) {
  test(`sbxprobe passes every check inside a ${profile} sandbox`, async () => {
    // Canaries for the probe's own SEC-27 and SEC-55 checks: a host loopback
    // listener, host state paths, and a file an earlier sandbox left in /tmp.
    let hits = 0;
    const server = net.createServer((c) => { hits++; c.destroy(); });
    await new Promise((res) => server.listen(0, "127.0.0.1", res));
    const seen = `canary-${process.pid}-${profile}`;
    assert.equal(sh(`echo x > /tmp/${seen}`).code, 0);
    // SEC-17's oracle: no module appears. A kernel without module support
    // (no /proc/modules) cannot autoload at all; the probe still checks the calls.
    const modules = () => existsSync("/proc/modules") ? readFileSync("/proc/modules", "utf8") : "no module support";
    const modulesBefore = modules();
    const corePattern = readFileSync("/proc/sys/kernel/core_pattern", "utf8");
    const r = runProbe(profile, {
      AIRLOCK_HOST_CANARY_PORT: server.address().port,
      AIRLOCK_CANARY_PATH: `${STATE_DIR}/images:${STATE_DIR}/slots:${process.cwd()}`,
      AIRLOCK_SEEN_CANARY: seen,
    });
    server.close();
    assert.equal(hits, 0, "the host loopback canary saw a connection");
    const t = tap(r.stdout);
    const skipped = t.passed.filter((l) => l.includes("# SKIP"));
    console.log(`# ${profile}: ${t.summary}; skipped: ${skipped.map((l) => l.replace(/^ok \d+ - /, "")).join("; ")}`);
    assert.ok(t.summary, `probe printed no summary: ${r.stdout.slice(-500)} ${r.stderr}`);
    assert.deepEqual(t.failed, [], `failed checks in ${profile}`);
    assert.ok(t.passed.length >= 40, `only ${t.passed.length} checks ran`);
    assert.equal(r.code, 0);
    // SEC-17: no module was loaded by autoload; SEC-13: core_pattern unchanged.
    assert.equal(modules(), modulesBefore);
    assert.equal(readFileSync("/proc/sys/kernel/core_pattern", "utf8"), corePattern);
  });
}

test("SEC-63: the probe fails its checks when run unsandboxed (negative control)", () => {
  const r = spawnSync(PROBE, ["--expect-profile", "strict"], { timeout: 60000 });
  const t = tap(r.stdout.toString());
  assert.ok(t.summary, "probe printed no summary on the host");
  assert.notEqual(r.status, 0);
  const ids = new Set(t.failed.map((l) => /SEC-\d+/.exec(l)?.[0]));
  for (const id of ["SEC-01", "SEC-04", "SEC-05", "SEC-10", "SEC-16", "SEC-26"])
    assert.ok(ids.has(id), `${id} should fail on the host; failed: ${[...ids].join(" ")}`);
});

test("SEC-01: concurrent sandboxes get distinct, non-root host uid ranges", async () => {
  const runs = Array.from({ length: 4 }, () =>
    runAsync([], ["sh", "-c", "cat /proc/self/uid_map; sleep 1"]).done);
  const maps = (await Promise.all(runs)).map((r) => r.stdout.trim().split(/\s+/).map(Number));
  const bases = maps.map((m) => m[1]);
  for (const m of maps) {
    assert.equal(m[0], 0);
    assert.ok(m[1] >= 1000000000, `host uid ${m[1]} is in the sandbox range`);
    assert.equal(m[2], 65536);
  }
  assert.equal(new Set(bases).size, bases.length, `uid bases repeat: ${bases}`);
});

test("SEC-25: kill -9 -1 from sandbox root ends only that sandbox", async () => {
  const canary = spawn("sleep", ["30"]);
  const sibling = runAsync([], ["sh", "-c", "sleep 4; echo sibling-alive"]);
  await sleep(500);
  const r = sh("sudo kill -9 -1; sleep 2; echo not-reached");
  assert.doesNotMatch(r.stdout, /not-reached/);
  assert.equal(canary.exitCode, null, "host canary survived");
  const s = await sibling.done;
  assert.match(s.stdout, /sibling-alive/);
  canary.kill();
});

test("SEC-27: the host's loopback is not the sandbox's", async () => {
  let hits = 0;
  const server = net.createServer((c) => { hits++; c.destroy(); });
  await new Promise((res) => server.listen(0, "127.0.0.1", res));
  const port = server.address().port;
  const r = sh(`python3 -c "
import socket
try:
    socket.create_connection(('127.0.0.1', ${port}), timeout=3); print('connected')
except OSError as e: print('refused', e.errno)"`);
  server.close();
  assert.match(r.stdout, /refused/);
  assert.equal(hits, 0, "the host canary saw no connection");
});

test("SEC-55/SEC-62: no sandbox sees another's files, before or after it", async () => {
  const a = runAsync([], ["sh", "-c", "echo secret > /tmp/canary-a; echo secret > /dev/shm/canary-a; sleep 3"]);
  await sleep(800);
  const b = sh("ls /tmp/canary-a /dev/shm/canary-a 2>&1; find / -xdev -name 'canary-a' 2>/dev/null; echo done");
  assert.match(b.stdout, /No such file or directory/);
  assert.doesNotMatch(b.stdout, /^\/.*canary-a$/m);
  await a.done;
  const c = sh("ls /tmp/canary-a /dev/shm/canary-a 2>&1 | grep -c 'No such'");
  assert.equal(c.stdout.trim(), "2", "residue from an earlier sandbox");
});

test("SEC-14/SEC-58: host paths do not exist inside", () => {
  const r = sh("ls /var/lib/airlock 2>&1; ls /proc/1/root/var/lib/airlock 2>&1; echo end");
  assert.doesNotMatch(r.stdout, /images|slots|disks/);
});

// --- I. Resource abuse: each bounded, with its reason reported ------------

test("SEC-48: fork and thread bombs stop at pids.max, reported", () => {
  const r = run(["--pids", "64"], ["bash", "-c",
    "bomb() { bomb | bomb & }; bomb; sleep 2; python3 -c \"import threading,time\nn=0\ntry:\n  while True:\n    threading.Thread(target=time.sleep,args=(5,),daemon=True).start(); n+=1\nexcept RuntimeError as e: print('threads stopped at', n)\"; echo end"]);
  assert.match(r.stderr, /process limit reached: \d+ forks refused \(--pids 64\)/);
  assert.equal(spawnSync("true").status, 0, "the host still forks");
});

test("SEC-49: memory bombs through /dev/shm and memfd are OOM-killed, reported", () => {
  let r = sh("dd if=/dev/zero of=/dev/shm/fill bs=1M count=60 2>&1; echo dd=$?", ["--memory", "40M"]);
  // dd is OOM-killed (the shell around it survives), and the reason is reported
  assert.match(r.stdout, /dd=137/, `shm fill: ${r.code} ${r.stdout}`);
  assert.match(r.stderr, /out of memory: --memory 40M killed \d+ process/);
  r = run(["--memory", "40M"], ["python3", "-c",
    "import os, mmap\nfd = os.memfd_create('x'); os.ftruncate(fd, 200 << 20)\nm = mmap.mmap(fd, 200 << 20)\nfor i in range(0, 200 << 20, 4096): m[i] = 1\nprint('survived')"]);
  assert.equal(r.code, 137);
  assert.match(r.stderr, /out of memory/);
  assert.doesNotMatch(r.stdout, /survived/);
});

test("SEC-50: CPU is throttled to the quota", () => {
  const r = sh("for i in 1 2; do timeout 2 sh -c 'while :; do :; done' & done; wait; " +
    "cat /sys/fs/cgroup/cpu/cpu.stat 2>/dev/null || cat /sys/fs/cgroup/cpu.stat", ["--cpus", "1"]);
  const throttled = Number(/nr_throttled (\d+)/.exec(r.stdout)?.[1] ?? 0);
  assert.ok(throttled > 0, `nr_throttled ${throttled}: ${r.stdout}`);
});

test("SEC-52: disk bytes are capped: dd, fallocate, sparse writes", () => {
  const df = () => Number(spawnSync("df", ["--output=avail", "-B1", "/var/lib"]).stdout.toString().split("\n")[1]);
  const before = df();
  const r = sh("dd if=/dev/zero of=/tmp/a bs=1M count=100 2>&1 | tail -1; " +
    "fallocate -l 1T /tmp/b 2>&1; " +
    "truncate -s 1P /tmp/c 2>&1; echo truncate=$?; " +
    "python3 -c \"f=open('/tmp/d','wb'); f.seek(1<<40); f.write(b'x'*(1<<20))\" 2>&1 | tail -1", ["--disk", "48M"]);
  assert.match(r.stdout, /No space left on device/);
  assert.match(r.stdout, /fallocate: fallocate failed: No space left on device/);
  assert.match(r.stdout, /(File too large|No space left|Invalid argument)/);
  const after = df();
  assert.ok(before - after < 64 * 1024 * 1024, `host lost ${(before - after) >> 20} MiB (cap 48M)`);
});

test("SEC-14: an image whose /dev or /proc is a symlink is refused", async () => {
  const { mkdirSync, symlinkSync, rmSync } = await import("node:fs");
  for (const dir of ["dev", "proc"]) {
    const root = `${STATE_DIR}/images/sec14-${dir}/rootfs`;
    rmSync(path.dirname(root), { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    if (dir === "proc") mkdirSync(`${root}/dev`);
    symlinkSync("/", `${root}/${dir}`);
    const r = run(["--image", `sec14-${dir}`], ["true"]);
    rmSync(path.dirname(root), { recursive: true, force: true });
    assert.equal(r.code, 125);
    assert.match(r.stderr, new RegExp(`/${dir} as a symlink, not a directory: refusing it`));
  }
  // the host's root is untouched: no stray mounts
  assert.doesNotMatch(readFileSync("/proc/self/mountinfo", "utf8"), /sec14/);
});
