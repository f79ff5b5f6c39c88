// SPDX-License-Identifier: Apache-2.0
// Deno API benchmarks, each against a peer measured in the same run with the
// same Deno binary (the default image's, which runs on this host too):
//   (a) sandbox.deno.run({entrypoint}) of a minimal Deno.serve program until
//       httpReady resolves, against `deno run` of the same program on the host
//       until a TCP connect to its port first succeeds (polled every 1 ms);
//   (b) one-shot sandbox.deno.eval("1+1") against host `deno eval "1+1"`;
//   (c) eval round trip on a warm REPL (median, p99), against two peers: the
//       same N evaluations by `(0, eval)(...)` inside one host deno process
//       (no IPC at all: the floor), and a line-per-eval round trip over pipes
//       to one host deno process (the cost of crossing a process boundary).
// Usage: node bench/deno.mjs [N_EVAL] [N_START]   (defaults 200 and 10; needs
// the default image; starts its own airlockd)
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
process.env.AIRLOCK_BUILD ??= path.resolve(here, "../build");
const { Sandbox } = await import(path.resolve(here, "../tests/e2e/node_modules/@deno/sandbox/esm/mod.js"));
const { startServer, freePort } = await import(path.resolve(here, "../tests/e2e/server.mjs"));
const { STATE_DIR } = await import(path.resolve(here, "../tests/e2e/helpers.mjs"));
const N_EVAL = Number(process.argv[2] ?? 200);
const N_START = Number(process.argv[3] ?? 10);
const DENO = path.join(STATE_DIR, "images/default/rootfs/usr/local/bin/deno");

const ms = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (t) => new Promise((r) => setTimeout(r, t));
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor((s.length - 1) / 2)], p99: s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)] };
};
const f = (x) => (x < 1 ? `${(x * 1000).toFixed(1)} us` : `${x.toFixed(1)} ms`);
const line = (name, a, peerName, b) => console.log(`${name}: median ${f(a.median)}, p99 ${f(a.p99)} | ` +
  `${peerName}: median ${f(b.median)}, p99 ${f(b.p99)} | ratio ${(a.median / b.median).toFixed(2)}`);
const server_js = (port) => `Deno.serve({ port: ${port}, onListen() {} }, () => new Response("hi"));\n`;

const dir = mkdtempSync(path.join(tmpdir(), "bench-deno-"));
const hostEnv = { ...process.env, DENO_DIR: path.join(dir, "deno-dir"), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };

function connects(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
}

// (a) peer: spawn until the port accepts a connection.
async function hostServe() {
  const port = await freePort();
  const file = path.join(dir, `server-${port}.js`);
  writeFileSync(file, server_js(port));
  const t0 = ms();
  const p = spawn(DENO, ["run", "--allow-net", file], { env: hostEnv, stdio: "ignore" });
  let exited = false;
  p.on("exit", () => { exited = true; });
  while (!(await connects(port))) {
    if (exited) throw new Error("host deno exited before listening");
    await sleep(1);
  }
  const t = ms() - t0;
  const gone = new Promise((r) => (exited ? r() : p.on("exit", r)));
  p.kill("SIGKILL");
  await gone;
  return t;
}

// (c) peers: N evals in one process, and N round trips over pipes.
function hostInProcess(n) {
  const file = path.join(dir, "evals.js");
  writeFileSync(file, `const t = [];
for (let i = 0; i < ${n}; i++) { const t0 = performance.now(); if ((0, eval)("1+1") !== 2) throw 1; t.push(performance.now() - t0); }
console.log(JSON.stringify(t));\n`);
  const r = spawnSync(DENO, ["run", file], { env: hostEnv, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`host deno: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function hostPipe(n) {
  const file = path.join(dir, "pipe.js");
  writeFileSync(file,
    `const enc = new TextEncoder(); let buf = "";
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  buf += chunk; let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    const src = JSON.parse(buf.slice(0, i)); buf = buf.slice(i + 1);
    const v = await (0, eval)(src);
    await Deno.stdout.write(enc.encode(JSON.stringify({ ok: v }) + "\\n"));
  }
}\n`);
  const p = spawn(DENO, ["run", file], { env: hostEnv, stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: p.stdout })[Symbol.asyncIterator]();
  const ask = async (src) => { p.stdin.write(JSON.stringify(src) + "\n"); return JSON.parse((await lines.next()).value).ok; };
  await ask("0"); // warm
  const t = [];
  for (let i = 0; i < n; i++) {
    const t0 = ms();
    if ((await ask("1+1")) !== 2) throw new Error("host pipe eval");
    t.push(ms() - t0);
  }
  p.stdin.end();
  await new Promise((r) => p.on("exit", r));
  return t;
}

const server = await startServer();
try {
  const sandbox = await Sandbox.create();
  await sandbox.fs.writeTextFile("server.js", server_js(8123));
  // one untimed round of each, so both sides start from warm page caches
  await hostServe();
  spawnSync(DENO, ["eval", "1+1"], { env: hostEnv });
  await sandbox.deno.eval("1+1");

  const runOurs = [], runHost = [], evalOurs = [], evalHost = [];
  for (let i = 0; i < N_START; i++) {
    let t0 = ms();
    const p = await sandbox.deno.run({ entrypoint: "server.js" });
    if ((await p.httpReady) !== true) throw new Error("deno.run: not httpReady");
    runOurs.push(ms() - t0);
    await p.kill();
    await p.status;
    runHost.push(await hostServe());

    t0 = ms();
    if ((await sandbox.deno.eval("1+1")) !== 2) throw new Error("deno.eval");
    evalOurs.push(ms() - t0);
    t0 = ms();
    if (spawnSync(DENO, ["eval", "1+1"], { env: hostEnv }).status !== 0) throw new Error("host deno eval");
    evalHost.push(ms() - t0);
  }

  const repl = await sandbox.deno.repl();
  await repl.eval("0"); // warm
  const replOurs = [];
  for (let i = 0; i < N_EVAL; i++) {
    const t0 = ms();
    if ((await repl.eval("1+1")) !== 2) throw new Error("repl.eval");
    replOurs.push(ms() - t0);
  }
  await repl.close();
  const inProc = hostInProcess(N_EVAL);
  const pipe = await hostPipe(N_EVAL);

  console.log(`${spawnSync(DENO, ["--version"], { env: hostEnv, encoding: "utf8" }).stdout.split("\n")[0]}; ` +
    `N=${N_START} for (a)/(b), N=${N_EVAL} for (c)`);
  line("(a) deno.run to httpReady", stats(runOurs), "host deno run to first TCP connect", stats(runHost));
  line("(b) deno.eval(\"1+1\") one-shot", stats(evalOurs), "host `deno eval 1+1`", stats(evalHost));
  line("(c) warm REPL eval round trip", stats(replOurs), "host in-process (0,eval) per eval", stats(inProc));
  line("(c) warm REPL eval round trip", stats(replOurs), "host deno eval-per-line over pipes", stats(pipe));
  await sandbox.kill();
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
