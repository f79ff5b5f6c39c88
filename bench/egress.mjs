// SPDX-License-Identifier: Apache-2.0
// The network door against a direct loopback connection, in the same run:
//   connection setup (connect + a 1-byte echo) through the door, median and p99;
//   download throughput through the door (plain TCP);
//   the same for TLS intercepted by the proxy (a secret's host), against a
//   direct TLS connection to the same upstream.
// The same Python client runs inside a sandbox (through the door) and on the
// host (direct). Usage: node bench/egress.mjs [CONNECTIONS] [MIB]
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import net from "node:net";
import https from "node:https";
import path from "node:path";
import { fileURLToPath } from "node:url";

const execFileP = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
process.env.AIRLOCK_BUILD ??= path.resolve(here, "../build");
const { Sandbox } = await import(path.resolve(here, "../tests/e2e/node_modules/@deno/sandbox/esm/mod.js"));
const { startServer } = await import(path.resolve(here, "../tests/e2e/server.mjs"));
const { makeTestPki } = await import(path.resolve(here, "../tests/e2e/upstreams.mjs"));
const N = Number(process.argv[2] ?? 300);
const MIB = Number(process.argv[3] ?? 256);

// The client: "conn HOST PORT N" prints per-connection ms; "down HOST PORT"
// and "tls HOST PORT CAFILE" print MiB/s of a download.
const client = String.raw`
import socket, ssl, sys, time
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "conn":
    out = []
    addr = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)[0][4]  # resolved once, as direct
    for _ in range(int(sys.argv[4])):
        t = time.perf_counter()
        s = socket.create_connection(addr); s.sendall(b"x"); s.recv(1); s.close()
        out.append((time.perf_counter() - t) * 1000)
    print(" ".join("%.3f" % x for x in out))
else:
    t = time.perf_counter()
    s = socket.create_connection((host, port))
    if mode == "tls":
        ctx = ssl.create_default_context(cafile=sys.argv[4] if len(sys.argv) > 4 else None)
        s = ctx.wrap_socket(s, server_hostname=sys.argv[5] if len(sys.argv) > 5 else host)
        s.sendall(b"GET /big HTTP/1.1\r\nHost: api.example.test\r\nConnection: close\r\n\r\n")
    n = 0
    while True:
        b = s.recv(1 << 20)
        if not b: break
        n += len(b)
    print("%.1f %d" % (n / (1 << 20) / (time.perf_counter() - t), n))
`;

const chunk = Buffer.alloc(1 << 20, 120);
const echo = net.createServer((s) => { s.on("data", (d) => s.write(d)); s.on("error", () => {}); });
const sender = net.createServer((s) => {
  let left = MIB;
  const pump = () => { while (left > 0) { left--; if (!s.write(chunk)) return s.once("drain", pump); } s.end(); };
  s.on("error", () => {});
  pump();
});
const pki = makeTestPki(["api.example.test"]);
const tls = https.createServer({ key: pki.good.key, cert: pki.good.cert }, (req, res) => {
  res.writeHead(200, { "content-length": MIB << 20 });
  let left = MIB;
  const pump = () => { while (left > 0) { left--; if (!res.write(chunk)) return res.once("drain", pump); } res.end(); };
  pump();
});
const listen = (s) => new Promise((r) => s.listen(0, "127.0.0.1", () => r(s.address().port)));
const [pe, ps, pt] = [await listen(echo), await listen(sender), await listen(tls)];
const server = await startServer({ args: [
  "--net-override", `echo.bench.test:7000=127.0.0.1:${pe}`,
  "--net-override", `bulk.bench.test:7001=127.0.0.1:${ps}`,
  "--net-override", `api.example.test:443=127.0.0.1:${pt}`,
  "--upstream-ca", pki.caFile] });
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor((s.length - 1) / 2)], p99: s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)] };
};
// Asynchronous: the upstreams live in this process and must keep answering.
const host = async (args) => (await execFileP("python3", ["-c", client, ...args], { maxBuffer: 1 << 24 })).stdout.trim();
try {
  const sb = await Sandbox.create({ secrets: { K: { hosts: ["api.example.test"], value: "bench-secret" } } });
  await sb.fs.writeTextFile("/tmp/client.py", client);
  const inside = async (args) => {
    const r = await sb.spawn("python3", { args: ["/tmp/client.py", ...args], stdout: "piped", stderr: "piped" }).then((c) => c.output());
    if (r.status.code !== 0) throw new Error(r.stderrText);
    return r.stdoutText.trim();
  };
  if (process.env.BENCH_TRACE) console.error("conn test", sb.id, server.endpoint);
  const door = stats((await inside(["conn", "echo.bench.test", "7000", String(N)])).split(" ").map(Number));
  const direct = stats((await host(["conn", "127.0.0.1", String(pe), String(N)])).split(" ").map(Number));
  console.log(`connection setup + 1-byte echo, ${N} connections:`);
  console.log(`  through the door  median ${door.median.toFixed(3)} ms  p99 ${door.p99.toFixed(3)} ms`);
  console.log(`  direct loopback   median ${direct.median.toFixed(3)} ms  p99 ${direct.p99.toFixed(3)} ms   (peer)`);
  console.log(`  added per connection ${(door.median - direct.median).toFixed(3)} ms (goal < 0.3 ms)`);

  const dDoor = parseFloat(await inside(["down", "bulk.bench.test", "7001"]));
  const dDirect = parseFloat(await host(["down", "127.0.0.1", String(ps)]));
  console.log(`plain TCP download, ${MIB} MiB:`);
  console.log(`  through the door ${dDoor.toFixed(0)} MiB/s, direct ${dDirect.toFixed(0)} MiB/s (peer): ratio ${(dDoor / dDirect).toFixed(2)} (bar 0.5, goal 0.9)`);

  const tDoor = parseFloat(await inside(["tls", "api.example.test", "443"]));
  const tDirect = parseFloat(await host(["tls", "127.0.0.1", String(pt), pki.caFile, "api.example.test"]));
  console.log(`TLS download, ${MIB} MiB (the door intercepts: a secret's host):`);
  console.log(`  through the door ${tDoor.toFixed(0)} MiB/s, direct ${tDirect.toFixed(0)} MiB/s (peer): ratio ${(tDoor / tDirect).toFixed(2)}`);
  await sb.close();
} finally {
  await server.stop();
  echo.close(); sender.close(); tls.close();
}
