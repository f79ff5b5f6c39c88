// SPDX-License-Identifier: Apache-2.0
// Exposed ports: the SDK's create({port}) and exposeHttp, served by airlockd's
// ingress on the API's own listener, over HTTPS (its own CA) and plain HTTP,
// WebSockets included.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import WebSocket from "ws";
import { Sandbox } from "@deno/sandbox";
import { STATE_DIR, sleep } from "./helpers.mjs";
import { startServer } from "./server.mjs";

const SERVER_TS = `
Deno.serve({ port: 3000, hostname: "127.0.0.1", onListen() {} }, async (req) => {
  const url = new URL(req.url);
  if (url.pathname === "/ws") {
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onmessage = (e) => socket.send(typeof e.data === "string" ? "echo: " + e.data : e.data);
    return response;
  }
  if (url.pathname === "/echo") {
    const body = new Uint8Array(await req.arrayBuffer());
    const hash = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", body)))
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    return Response.json({ method: req.method, length: body.length, sha256: hash });
  }
  if (url.pathname === "/stream") {
    let i = 0;
    return new Response(new ReadableStream({
      async pull(c) {
        if (i === 4) return c.close();
        await new Promise((r) => setTimeout(r, 400));
        c.enqueue(new TextEncoder().encode("chunk " + i++ + "\\n"));
      },
    }), { headers: { "content-type": "text/plain" } });
  }
  return new Response("hello from the sandbox, host " + req.headers.get("host") + "\\n");
});
// bound to ::1 alone, as servers on "localhost" may be
Deno.serve({ port: 3001, hostname: "::1", onListen() {} }, () => new Response("six\\n"));
`;

let server, ca, sandbox, log = "";
before(async () => {
  server = await startServer({ stderr: "pipe" });
  server.child.stderr.on("data", (d) => { log += d; });
  ca = readFileSync(`${STATE_DIR}/ingress-ca/ca.crt`);
  sandbox = await Sandbox.create({ port: 3000 });
  await sandbox.fs.writeTextFile("server.ts", SERVER_TS);
  // the full path: spawn without a shell finds "deno" only in /bin:/usr/bin (execvpe uses
  // airlock-init's own PATH, not the child's: reported)
  await sandbox.spawn("/usr/local/bin/deno", { args: ["run", "-A", "server.ts"], stdout: "null", stderr: "null" });
  for (let i = 0; ; i++) { // until it listens: 502 before
    const r = await request(sandbox.url).catch((e) => ({ status: e.message }));
    if (r.status === 200) break;
    if (i === 150) throw new Error(`the sandbox's server never answered: ${r.status} ${r.body}`);
    await sleep(200);
  }
});
after(async () => {
  await sandbox?.kill().catch(() => {});
  await server?.stop();
});

// *.localhost does not resolve everywhere: every name goes to the listener.
function lookup(host, opts, cb) {
  if (typeof opts === "function") [cb, opts] = [opts, {}];
  if (opts.all) cb(null, [{ address: "127.0.0.1", family: 4 }]);
  else cb(null, "127.0.0.1", 4);
}

// One request, fresh connection; the body's chunks keep their arrival times.
function request(url, { method = "GET", body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const t0 = Date.now();
    const req = (u.protocol === "https:" ? https : http).request(u, { method, headers, ca, lookup, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (d) => chunks.push({ t: Date.now() - t0, data: d }));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, chunks,
        body: Buffer.concat(chunks.map((c) => c.data)).toString() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

function wsOpen(url) {
  const ws = new WebSocket(url, { ca, lookup });
  return new Promise((resolve, reject) => { ws.once("open", () => resolve(ws)); ws.once("error", reject); });
}

const next = (ws) => new Promise((resolve) => ws.once("message", (d, binary) => resolve(binary ? d : d.toString())));

test("create({port}): sandbox.url is https://<label>.sandbox.localhost:<port>, and GET works", async () => {
  const u = new URL(sandbox.url);
  assert.equal(u.protocol, "https:");
  assert.equal(u.port, String(server.port));
  const label = sandbox.id.toLowerCase().replaceAll("_", "-");
  assert.match(u.hostname, new RegExp(`^${label}-[a-z0-9]{8}\\.sandbox\\.localhost$`));
  const r = await request(sandbox.url + "/");
  assert.equal(r.status, 200);
  assert.equal(r.body, `hello from the sandbox, host ${u.host}\n`);
});

test("POST with a 3 MiB body reaches the server whole", async () => {
  const body = randomBytes(3 << 20);
  const r = await request(sandbox.url + "/echo", { method: "POST", body, headers: { "content-type": "application/octet-stream" } });
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { method: "POST", length: body.length,
    sha256: createHash("sha256").update(body).digest("hex") });
});

test("a slow streamed response arrives chunk by chunk", async () => {
  const r = await request(sandbox.url + "/stream");
  assert.equal(r.status, 200);
  assert.equal(r.body, "chunk 0\nchunk 1\nchunk 2\nchunk 3\n");
  assert.ok(r.chunks.length >= 3, `${r.chunks.length} chunks`);
  // the first chunk came long before the last was written, not all at the end
  assert.ok(r.chunks.at(-1).t - r.chunks[0].t >= 800, JSON.stringify(r.chunks.map((c) => c.t)));
});

test("a WebSocket upgrade goes through: text and a 2 MiB binary echo", async () => {
  const ws = await wsOpen(sandbox.url.replace(/^https/, "wss") + "/ws");
  ws.send("hi");
  assert.equal(await next(ws), "echo: hi");
  const big = randomBytes(2 << 20);
  ws.send(big);
  assert.ok(Buffer.compare(await next(ws), big) === 0);
  ws.close();
});

test("plain HTTP with the same Host is routed too", async () => {
  const r = await request(sandbox.url.replace(/^https/, "http") + "/");
  assert.equal(r.status, 200);
  assert.match(r.body, /^hello from the sandbox/);
});

test("a server on ::1 alone is reached", async () => {
  const url = await sandbox.exposeHttp({ port: 3001 });
  assert.notEqual(url, sandbox.url);
  const r = await request(url);
  assert.equal(r.status, 200);
  assert.equal(r.body, "six\n");
});

test("an unknown name is a 404 saying so; the API's own names still reach the API", async () => {
  let r = await request(`https://sbx-loc-nothing-aaaaaaaa.sandbox.localhost:${server.port}/`);
  assert.equal(r.status, 404);
  assert.match(r.body, /no sandbox exposes sbx-loc-nothing-aaaaaaaa\.sandbox\.localhost/);
  r = await request(`http://127.0.0.1:${server.port}/api/v2/sandboxes`, { headers: { authorization: `Bearer ${server.token}` } });
  assert.equal(r.status, 200);
  // the API over TLS too, with the ingress's certificate (it names 127.0.0.1)
  r = await request(`https://127.0.0.1:${server.port}/api/v2/sandboxes`, { headers: { authorization: `Bearer ${server.token}` } });
  assert.equal(r.status, 200);
  assert.ok(JSON.parse(r.body).some((s) => s.id === sandbox.id));
});

test("a port where nothing listens is a 502 naming it; rebinding the domain fixes it", async () => {
  const url = await sandbox.exposeHttp({ port: 3999 });
  const r = await request(url);
  assert.equal(r.status, 502);
  assert.match(r.body, /nothing listens on port 3999/);
  // exposeHttp again on the same domain (the raw call; the SDK always asks for a new one)
  const res = await rpc(sandbox.id, "exposeHttp", { domain: new URL(url).host, port: 3000 });
  assert.deepEqual(res, { ok: null });
  assert.equal((await request(url)).status, 200);
});

// One JSON-RPC call on a connection of our own (the SDK never sends some of these).
async function rpc(id, method, params) {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/v3/sandbox/${id}/connect`,
    { headers: { authorization: `Bearer ${server.token}` } });
  await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
  ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }));
  const msg = JSON.parse(await next(ws));
  ws.close();
  return msg.result;
}

async function newDomain(id) {
  const r = await fetch(`http://127.0.0.1:${server.port}/api/v3/sandbox/${id}/expose/http`,
    { method: "POST", headers: { authorization: `Bearer ${server.token}`, "content-type": "application/json" }, body: "{}" });
  return { status: r.status, body: await r.json() };
}

test("exposeHttp refuses other sandboxes' and unknown domains, pids, bad ports; domains are capped", async () => {
  const other = await Sandbox.create({ timeout: "2m" });
  try {
    const { status, body } = await newDomain(other.id);
    assert.equal(status, 200);
    let res = await rpc(sandbox.id, "exposeHttp", { domain: body.domain, port: 3000 });
    assert.equal(res.error.constructorName, "NotFound");
    assert.match(res.error.message, new RegExp(`was not handed out for sandbox ${sandbox.id}`));
    res = await rpc(sandbox.id, "exposeHttp", { domain: `nope.sandbox.localhost:${server.port}`, port: 3000 });
    assert.equal(res.error.constructorName, "NotFound");
    res = await rpc(sandbox.id, "exposeHttp", { domain: body.domain, port: 70000 });
    assert.match(res.error.message, /port must be an integer in 1\.\.65535/);
    await assert.rejects(sandbox.exposeHttp({ pid: 1 }), /serves no HTTP/); // deno.test.mjs: a Deno server's pid
    // the other sandbox's domain is not bound: a 502 saying so, not the API
    const r = await request(`https://${body.domain}/`);
    assert.equal(r.status, 502);
    assert.match(r.body, /not bound to a port yet/);
    for (let i = 1; i < 64; i++) assert.equal((await newDomain(other.id)).status, 200);
    const capped = await newDomain(other.id);
    assert.equal(capped.status, 429);
    assert.equal(capped.body.code, "TOO_MANY_DOMAINS");
    assert.match(capped.body.message, /64 exposed domains/);
  } finally {
    await other.kill();
  }
});

test("one log line per ingress connection", () => {
  assert.match(log, /level=info component=ingress msg="closed by[^"]*" sandbox=sbx_loc_\w+ domain=\S+ port=3000 client=127\.0\.0\.1:\d+ tls=yes status=relayed bytes_in=\d+ bytes_out=\d+ ms=\d+/);
  assert.match(log, /component=ingress msg=(?:"[^"]*"|\S+) sandbox=- domain=sbx-loc-nothing-aaaaaaaa\.sandbox\.localhost:\d+ .*status=404/);
});

test("when the sandbox ends, its open connections close and its domains stop resolving", async () => {
  const ws = await wsOpen(sandbox.url.replace(/^https/, "wss") + "/ws");
  const closed = new Promise((resolve) => ws.once("close", resolve));
  const url = sandbox.url;
  await sandbox.kill();
  sandbox = null;
  await closed;
  const r = await request(url);
  assert.equal(r.status, 404);
  assert.match(r.body, /unknown, or its sandbox has ended/);
});

test("with an operator certificate and --expose-domain: names under the base get the ingress's", async () => {
  const { spawnSync } = await import("node:child_process");
  const { mkdtempSync, rmSync } = await import("node:fs");
  const dir = mkdtempSync("/tmp/airlock-expose-");
  const cert = `${dir}/cert.pem`, key = `${dir}/key.pem`;
  const gen = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
    "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]);
  assert.equal(gen.status, 0, gen.stderr.toString());
  // One airlockd per state directory: the plain one goes first (this is the last test).
  await sandbox?.kill().catch(() => {});
  sandbox = null;
  await server.stop();
  server = null;
  const saved = { ...process.env };
  const tls = await startServer({ args: ["--tls-cert", cert, "--tls-key", key, "--expose-domain", "Apps.Example.test"] });
  Object.assign(process.env, saved); // startServer exported its endpoint: the other tests keep theirs
  try {
    const operator = readFileSync(cert), auth = { authorization: `Bearer ${tls.token}` };
    const api = (method, p, body) => new Promise((resolve, reject) => {
      const req = https.request(`https://127.0.0.1:${tls.port}${p}`, { method, headers: auth, ca: operator }, (res) => {
        let b = "";
        res.on("data", (d) => { b += d; });
        res.on("end", () => resolve({ status: res.statusCode, body: b }));
      });
      req.on("error", reject);
      req.end(body);
    });
    // a sandbox over the raw protocol (the SDK here trusts only the system store)
    const ws = new WebSocket(`wss://127.0.0.1:${tls.port}/api/v3/sandboxes/create`, { headers: auth, ca: operator });
    let id;
    ws.once("upgrade", (res) => { id = res.headers["x-deno-sandbox-id"]; });
    await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
    const r = await api("POST", `/api/v3/sandbox/${id}/expose/http`, "{}");
    assert.equal(r.status, 200);
    const { domain } = JSON.parse(r.body);
    assert.match(domain, new RegExp(`^${id.toLowerCase().replaceAll("_", "-")}-[a-z0-9]{8}\\.apps\\.example\\.test$`));
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "exposeHttp", params: { domain, port: 3000 } }));
    assert.deepEqual(JSON.parse(await next(ws)).result, { ok: null });
    // TLS with the ingress's certificate for the name (the operator's would not verify), then
    // routed: nothing listens yet, so the ingress's own 502
    const res = await request(`https://${domain}:${tls.port}/`);
    assert.equal(res.status, 502);
    assert.match(res.body, /nothing listens on port 3000/);
    // the operator's certificate still answers for the API, which plain HTTP no longer reaches
    assert.equal((await api("GET", "/api/v2/sandboxes")).status, 200);
    const plain = await request(`http://127.0.0.1:${tls.port}/api/v2/sandboxes`, { headers: auth });
    assert.equal(plain.status, 400);
    assert.match(plain.body, /HTTPS_REQUIRED/);
    ws.close();
  } finally {
    await tls.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
