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
  const child = spawn(AIRLOCKD, ["--state-dir", STATE_DIR, "serve", "--listen", `127.0.0.1:${port}`,
    ...(keepSandboxes ? [] : ["--stop-sandboxes-on-exit"]), ...args],
    { stdio: ["ignore", "pipe", stderr] });
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
    },
    // A crash: no clean-up of any kind.
    async crash() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
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
