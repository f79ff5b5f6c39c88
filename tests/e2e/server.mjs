// SPDX-License-Identifier: Apache-2.0
// Start a real `airlockd serve` for a test file and point the SDK at it.
import { spawn } from "node:child_process";
import net from "node:net";
import { Sandbox } from "@deno/sandbox";
import { AIRLOCKD, STATE_DIR } from "./helpers.mjs";

export async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

// args: extra `airlockd serve` options (operator settings such as --net-override).
// keepSandboxes: stop() leaves the sandboxes running for the next start (airlockd's
// default); tests otherwise end theirs, so that no file inherits another's.
export async function startServer({ args = [], stderr = "inherit", keepSandboxes = false, port } = {}) {
  port ??= await freePort();
  // --- sanitizer check (tests/ci-extra.sh sets AIRLOCK_SANITIZERS=1 for build-asan)
  const watch = !!process.env.AIRLOCK_SANITIZERS && (stderr === "inherit" || stderr === "ignore");
  // --- end sanitizer check
  const child = spawn(AIRLOCKD, ["--state-dir", STATE_DIR, "serve", "--listen", `127.0.0.1:${port}`,
    ...(keepSandboxes ? [] : ["--stop-sandboxes-on-exit"]), ...args],
    { stdio: ["ignore", "pipe", watch ? "pipe" : stderr] });
  // --- sanitizer check: an ASan/UBSan/LSan report from airlockd fails the file.
  const sanitizer = { report: "", tail: "" };
  if (watch) {
    child.stderr.on("data", (d) => {
      if (stderr === "inherit") process.stderr.write(d);
      const text = sanitizer.tail + d.toString();
      if (sanitizer.report || /ERROR: (Address|Leak)Sanitizer|runtime error:/.test(text)) sanitizer.report += text;
      sanitizer.tail = text.slice(-64); // a marker split across two reads
    });
    sanitizer.closed = new Promise((r) => child.stderr.once("close", r));
    child.once("exit", () => child.stderr.unref?.()); // sandboxes it left may hold the pipe
    child.on("close", () => {
      if (!sanitizer.report) return;
      process.exitCode = 1;
      console.error(`airlockd (pid ${child.pid}) reported a sanitizer error:\n${sanitizer.report}`);
    });
  }
  const sanitizerCheck = async () => {
    // the report may still be in the pipe; a sandbox left running may hold it open
    if (sanitizer.closed) await Promise.race([sanitizer.closed, new Promise((r) => setTimeout(r, 500))]);
    if (sanitizer.report) throw new Error(`airlockd reported a sanitizer error:\n${sanitizer.report.slice(0, 4000)}`);
  };
  // --- end sanitizer check
  let out = "";
  const line = await new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      out += d;
      const m = /^export (.*)$/m.exec(out);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`airlockd serve exited with ${code}: ${out}`)));
  });
  for (const kv of line.split(" ")) {
    const [k, v] = kv.split("=");
    process.env[k] = v;
  }
  return {
    child,
    pid: child.pid,
    port,
    endpoint: `http://127.0.0.1:${port}`,
    token: process.env.DENO_DEPLOY_TOKEN,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      await sanitizerCheck();
    },
    // A crash: no clean-up of any kind.
    async crash() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      await sanitizerCheck();
    },
  };
}

// Node 20 has no `await using`: create a sandbox, run fn, always close it.
export async function withSandbox(opts, fn) {
  const sandbox = await Sandbox.create(opts);
  try {
    await fn(sandbox);
  } finally {
    await sandbox.close();
  }
}
