// SPDX-License-Identifier: Apache-2.0
// End-to-end tests of `airlockd run`: the one-shot sandbox, as a user drives it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { run, sh, runAsync, STATE_DIR, AIRLOCKD } from "./helpers.mjs";
import { spawnSync } from "node:child_process";

test("exit status is the command's", () => {
  assert.equal(sh("exit 0").code, 0);
  assert.equal(sh("exit 7").code, 7);
  assert.equal(run([], ["false"]).code, 1);
});

test("a command killed by signal N exits 128+N", () => {
  assert.equal(sh("kill -TERM $$").code, 143);
  const r = sh("kill -KILL $$");
  assert.equal(r.code, 137);
  assert.doesNotMatch(r.stderr, /out of memory/, "a plain SIGKILL is not reported as OOM");
});

test("a missing command is 127 with a clear message", () => {
  const r = run([], ["/no/such/program"]);
  assert.equal(r.code, 127);
  assert.match(r.stderr, /\/no\/such\/program: No such file or directory/);
});

test("stdout and stderr stay apart", () => {
  const r = sh("echo out; echo err >&2");
  assert.equal(r.stdout, "out\n");
  assert.equal(r.stderr, "err\n");
});

test("stdin is attached with -i, and is empty without it", () => {
  assert.equal(run(["-i"], ["cat"], { input: "hello sandbox\n" }).stdout, "hello sandbox\n");
  assert.equal(run([], ["cat"], { input: "ignored\n" }).stdout, "");
});

test("large output arrives whole and in order", () => {
  const r = sh("seq 1 1500000");
  const want = Array.from({ length: 1500000 }, (_, i) => i + 1).join("\n") + "\n";
  assert.equal(r.stdout.length, want.length);
  assert.equal(createHash("sha256").update(r.stdout).digest("hex"), createHash("sha256").update(want).digest("hex"));
});

test("large stdin arrives whole (flow control both ways)", () => {
  const input = Buffer.alloc(12 * 1024 * 1024);
  for (let i = 0; i < input.length; i++) input[i] = (i * 7 + (i >> 11)) & 0xff;
  const r = run(["-i"], ["sha256sum"], { input });
  assert.equal(r.code, 0);
  assert.equal(r.stdout.split(" ")[0], createHash("sha256").update(input).digest("hex"));
});

test("-t gives the command a terminal", () => {
  const r = sh("tty; test -t 0 && test -t 1 && echo both-tty; stty size", ["-t"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /\/dev\/pts\/\d+/);
  assert.match(r.stdout, /both-tty/);
  assert.match(r.stdout, /24 80/);
  const plain = sh("test -t 1 && echo tty || echo notty");
  assert.equal(plain.stdout.trim(), "notty");
});

test("env, workdir and user", () => {
  let r = sh('echo "$FOO|$HOME|$USER|$(pwd)|$(id -u)"', ["--env", "FOO=bar baz"]);
  assert.equal(r.stdout.trim(), "bar baz|/home/app|app|/home/app|1000");
  r = sh("pwd", ["--workdir", "/tmp"]);
  assert.equal(r.stdout.trim(), "/tmp");
  r = sh("id -u; echo $HOME", ["--user", "root"]);
  assert.equal(r.stdout, "0\n/root\n");
  r = sh("pwd", ["--workdir", "/does/not/exist"]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /No such file or directory/);
});

test("default profile: passwordless sudo works", () => {
  const r = sh("sudo id -u");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "0");
});

test("strict profile: no privileges at all", () => {
  const r = sh("id -u; grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status; sudo -n id -u", ["--profile", "strict"]);
  assert.notEqual(r.code, 0, "sudo must fail");
  assert.match(r.stdout, /^1000$/m);
  for (const set of ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"])
    assert.match(r.stdout, new RegExp(`^${set}:\\s+0{16}$`, "m"));
  assert.match(r.stdout, /^NoNewPrivs:\s+1$/m);
  const root = run(["--profile", "strict", "--user", "root"], ["true"]);
  assert.equal(root.code, 125);
  assert.match(root.stderr, /strict profile has no root/);
});

test("memory limit: the kill is reported as out of memory", () => {
  const r = run(["--memory", "64M"], ["python3", "-c", "x = b'a' * (300 << 20); print(len(x))"]);
  assert.equal(r.code, 137);
  assert.match(r.stderr, /out of memory/);
});

test("pids limit: a fork bomb is contained and reported", () => {
  const t0 = Date.now();
  const r = run(["--pids", "64"], ["bash", "-c", "bomb() { bomb | bomb & }; bomb; sleep 3; echo survived"]);
  assert.match(r.stderr, /process limit reached: \d+ forks refused \(--pids 64\)/);
  assert.ok(Date.now() - t0 < 30000, "the sandbox ended promptly");
  // the host still forks fine
  assert.equal(spawnSync("true").status, 0);
});

test("disk limit: writing past --disk is ENOSPC inside", () => {
  const r = sh("dd if=/dev/zero of=/tmp/fill bs=1M count=200 2>&1; echo dd=$?; df -m / | tail -1", ["--disk", "64M"]);
  assert.match(r.stdout, /No space left on device/);
  assert.match(r.stdout, /dd=1/);
});

test("CPU quota is visible inside", () => {
  const r = sh("cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d' ' -f1 /sys/fs/cgroup/cpu.max", ["--cpus", "1"]);
  assert.equal(r.stdout.trim(), "100000");
  const r2 = sh("cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max", ["--memory", "300M"]);
  assert.equal(r2.stdout.trim(), String(300 * 1024 * 1024));
});

test("hostname is the sandbox id, unique per sandbox", () => {
  const a = sh("hostname").stdout.trim(), b = sh("hostname").stdout.trim();
  assert.match(a, /^sbx_[a-z]{3}_[0-9a-hjkmnp-z]{20}$/);
  assert.notEqual(a, b);
});

test("only loopback, its routes lead to the door, and `airlockd run` shuts the door", () => {
  const r = sh("ip -o link | cut -d: -f2; ip route; ip -6 route; curl -sS -m 5 http://198.51.100.7/ 2>&1; echo curl=$?");
  const lines = r.stdout.split("\n").filter((l) => l.trim() && !l.startsWith("curl"));
  assert.deepEqual(lines.map((l) => l.split(" ").slice(0, 3).join(" ")), [" lo", "default dev lo", "default dev lo"]);
  assert.match(r.stdout, /curl: \(7\).*(Connection refused|Couldn't connect)/);
  const lo = sh("python3 -c \"import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(); c=socket.create_connection(s.getsockname()); print('loopback ok')\"");
  assert.equal(lo.stdout.trim(), "loopback ok");
});

test("signals reach the command's whole process group", async () => {
  const { child, done } = runAsync([], ["sh", "-c", "trap 'echo got-term; exit 9' TERM; echo ready; while :; do sleep 0.1; done"]);
  await new Promise((resolve) => child.stdout.once("data", resolve));
  child.kill("SIGTERM");
  const r = await done;
  assert.equal(r.code, 9);
  assert.match(r.stdout, /got-term/);
});

test("when the main command ends, everything it started ends too", () => {
  const t0 = Date.now();
  const r = sh("(sleep 1000 &) ; setsid sleep 1000 & echo started");
  assert.equal(r.code, 0);
  assert.ok(Date.now() - t0 < 10000);
});

test("clear errors for bad input", () => {
  let r = run(["--memory", "lots"], ["true"]);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /--memory: 'lots' is not a size/);
  r = run(["--image", "nope"], ["true"]);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /image 'nope' not found.*airlockd image build/);
  r = spawnSync(AIRLOCKD, ["--state-dir", STATE_DIR, "frobnicate"]);
  assert.equal(r.status, 2);
});

test("a reader that goes away stops the writer, as a pipe would", () => {
  const t0 = Date.now();
  const r = spawnSync("sh", ["-c", `${AIRLOCKD} --state-dir ${STATE_DIR} run -- seq 1 1000000000 | head -n 2`]);
  assert.equal(r.stdout.toString(), "1\n2\n");
  assert.ok(Date.now() - t0 < 15000, "seq was stopped by SIGPIPE");
});

test("renames and hard links across directories work (Landlock grants REFER)", () => {
  const r = sh("mkdir -p a/b && echo x > a/b/f && mv -T a/b/f a/g 2>&1 && python3 -c \"import os; os.rename('a/g','g2'); os.link('g2','a/b/h'); print('ok')\"");
  assert.equal(r.stdout.trim(), "ok", r.stderr);
});
