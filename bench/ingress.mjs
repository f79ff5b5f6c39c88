// SPDX-License-Identifier: Apache-2.0
// Ingress benchmark: the same Deno server inside a sandbox, reached through
// airlockd's ingress (plain HTTP and HTTPS), and on the host, reached
// directly (the peer), measured in the same run:
//   request latency on one kept-alive connection (median, p99);
//   latency with a new connection per request;
//   download throughput of 100 MiB.
// Usage: node bench/ingress.mjs [N]   (needs the default image; starts its own airlockd)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
process.env.AIRLOCK_BUILD ??= path.resolve(here, "../build");
const { Sandbox } = await import(path.resolve(here, "../tests/e2e/node_modules/@deno/sandbox/esm/mod.js"));
const { startServer, freePort } = await import(path.resolve(here, "../tests/e2e/server.mjs"));
const { STATE_DIR, sleep } = await import(path.resolve(here, "../tests/e2e/helpers.mjs"));
const N = Number(process.argv[2] ?? 1000);
const BIG = 100 << 20;

const serverTs = (port) => `
const big = new Uint8Array(${BIG});
Deno.serve({ port: ${port}, hostname: "127.0.0.1", onListen() {} },
  (req) => new URL(req.url).pathname === "/big" ? new Response(big) : new Response("hi\\n"));
`;
const ms = () => Number(process.hrtime.bigint()) / 1e6;
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor((s.length - 1) / 2)], p99: s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)] };
};
const ca = () => readFileSync(`${STATE_DIR}/ingress-ca/ca.crt`);
function lookup(host, opts, cb) {
  if (opts.all) cb(null, [{ address: "127.0.0.1", family: 4 }]);
  else cb(null, "127.0.0.1", 4);
}

function get(url, agent) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === "https:" ? https : http).get(u, { agent, ca: ca(), lookup }, (res) => {
      let n = 0;
      res.on("data", (d) => { n += d.length; });
      res.on("end", () => resolve({ status: res.statusCode, bytes: n }));
    });
    req.on("error", reject);
  });
}

async function latency(url, keepAlive) {
  const mod = url.startsWith("https") ? https : http;
  const agent = keepAlive ? new mod.Agent({ keepAlive: true, maxSockets: 1 }) : false;
  const xs = [];
  for (let i = 0; i < N; i++) {
    const t = ms();
    const r = await get(url, agent);
    if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
    xs.push(ms() - t);
  }
  if (agent) agent.destroy();
  return stats(xs);
}

async function throughput(url) {
  const t = ms();
  const r = await get(url + "/big", false);
  if (r.bytes !== BIG) throw new Error(`${url}: ${r.bytes} bytes`);
  return BIG / (1 << 20) / ((ms() - t) / 1000);
}

const server = await startServer({ stderr: "ignore" });
const dir = mkdtempSync("/tmp/airlock-bench-");
let sandbox, peer;
try {
  sandbox = await Sandbox.create({ port: 3000 });
  await sandbox.fs.writeTextFile("server.ts", serverTs(3000));
  await sandbox.spawn("/usr/local/bin/deno", { args: ["run", "-A", "server.ts"], stdout: "null", stderr: "null" });
  const port = await freePort();
  writeFileSync(path.join(dir, "server.ts"), serverTs(port));
  peer = spawn(`${STATE_DIR}/images/default/rootfs/usr/local/bin/deno`, ["run", "-A", path.join(dir, "server.ts")],
    { stdio: "ignore", env: { ...process.env, DENO_DIR: path.join(dir, "cache") } });
  const direct = `http://127.0.0.1:${port}`, tls = sandbox.url, plain = sandbox.url.replace(/^https/, "http");
  for (const u of [direct, tls]) // both servers up
    for (let i = 0; (await get(u, false).catch(() => ({}))).status !== 200; i++) {
      if (i === 150) throw new Error(`${u} never answered`);
      await sleep(200);
    }
  const rows = [
    ["ingress, HTTPS", tls], ["ingress, plain HTTP", plain], ["host, direct (peer)", direct],
  ];
  console.log(`GET / (3 bytes), ${N} requests each:`);
  const res = {};
  for (const [name, u] of rows) {
    const k = await latency(u, true), c = await latency(u, false), t = await throughput(u);
    res[name] = { k, c, t };
    console.log(`  ${name.padEnd(20)} kept-alive median ${k.median.toFixed(3)} ms p99 ${k.p99.toFixed(3)} ms; ` +
      `new connection median ${c.median.toFixed(3)} ms p99 ${c.p99.toFixed(3)} ms; 100 MiB at ${t.toFixed(0)} MiB/s`);
  }
  const p = res["host, direct (peer)"];
  for (const name of ["ingress, plain HTTP", "ingress, HTTPS"]) {
    const r = res[name];
    console.log(`  ratio ${name}/direct: kept-alive ${(r.k.median / p.k.median).toFixed(2)}x, ` +
      `new connection ${(r.c.median / p.c.median).toFixed(2)}x, throughput ${(r.t / p.t).toFixed(2)}x`);
  }
} finally {
  peer?.kill();
  await sandbox?.kill().catch(() => {});
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
