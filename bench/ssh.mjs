// SPDX-License-Identifier: Apache-2.0
// SSH gateway benchmark: connect-to-prompt (OpenSSH's client from spawn until
// the interactive shell has answered a first command), median and p99, and
// `ssh -- true`, against OpenSSH's sshd on loopback when /usr/sbin/sshd is
// installed (it runs on a port of its own, as root with a throwaway config).
// Usage: node bench/ssh.mjs [N]   (needs the default image; starts its own airlockd)
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
process.env.AIRLOCK_BUILD ??= path.resolve(here, "../build");
const { Sandbox } = await import(path.resolve(here, "../tests/e2e/node_modules/@deno/sandbox/esm/mod.js"));
const { startServer, freePort } = await import(path.resolve(here, "../tests/e2e/server.mjs"));
const N = Number(process.argv[2] ?? 20);

const ms = () => Number(process.hrtime.bigint()) / 1e6;
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor((s.length - 1) / 2)], p99: s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)] };
};
let clientKey = null; // the sshd peer's: set once it runs
const opts = (port) => ["-p", String(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
  "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", ...(clientKey ? ["-i", clientKey] : [])];

// From spawn until the shell has run its first command.
function toPrompt(port, dest) {
  return new Promise((resolve, reject) => {
    const t0 = ms();
    const c = spawn("ssh", [...opts(port), "-tt", dest]);
    let out = "";
    c.stdout.on("data", (d) => {
      out += d;
      if (/READY42/.test(out)) { resolve(ms() - t0); c.stdin.end("exit\n"); }
    });
    c.on("close", () => reject(new Error(`no prompt: ${out}`)));
    c.stdin.write("echo READY$((6*7))\n");
  });
}

async function measure(port, dest) {
  const prompt = [], exec = [];
  for (let i = 0; i < N; i++) {
    prompt.push(await toPrompt(port, dest));
    const t0 = ms();
    if (spawnSync("ssh", [...opts(port), dest, "--", "true"]).status !== 0) throw new Error("ssh -- true failed");
    exec.push(ms() - t0);
  }
  return { prompt: stats(prompt), exec: stats(exec) };
}

const sshPort = await freePort();
const server = await startServer({ args: ["--ssh-listen", `127.0.0.1:${sshPort}`] });
let peer = null, sshd = null, dir = null;
try {
  const sandbox = await Sandbox.create();
  const { hostname, username } = await sandbox.exposeSsh();
  const ours = await measure(sshPort, `${username}@${hostname}`);
  if (existsSync("/usr/sbin/sshd")) {
    dir = mkdtempSync(path.join(tmpdir(), "bench-sshd-"));
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "host")]);
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "client")]);
    writeFileSync(path.join(dir, "auth"), spawnSync("cat", [path.join(dir, "client.pub")]).stdout);
    const port = await freePort();
    sshd = spawn("/usr/sbin/sshd", ["-D", "-e", "-p", String(port), "-h", path.join(dir, "host"), "-o",
      `AuthorizedKeysFile=${path.join(dir, "auth")}`, "-o", "StrictModes=no", "-o", "ListenAddress=127.0.0.1"]);
    await new Promise((r) => setTimeout(r, 500));
    clientKey = path.join(dir, "client");
    peer = await measure(port, "root@127.0.0.1").catch((e) => ({ error: e.message }));
  }
  const line = (name, a, b) => console.log(`${name}: median ${a.median.toFixed(1)} ms, p99 ${a.p99.toFixed(1)} ms` +
    (b?.median ? ` | sshd ${b.median.toFixed(1)} ms, ratio ${(a.median / b.median).toFixed(2)}` : " | sshd: not installed, no ratio"));
  line("connect-to-prompt", ours.prompt, peer?.prompt);
  line("ssh -- true", ours.exec, peer?.exec);
  if (peer?.error) console.log(`sshd peer failed: ${peer.error}`);
  await sandbox.kill();
} finally {
  sshd?.kill();
  if (dir) rmSync(dir, { recursive: true });
  await server.stop();
}
