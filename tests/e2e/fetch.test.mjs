// SPDX-License-Identifier: Apache-2.0
// sandbox.fetch(): HTTP from inside the sandbox's network, through its door,
// under its allowNet, secrets and egress log. Offline: fake upstreams on the
// host's loopback are reached only through operator overrides.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { Sandbox } from "@deno/sandbox";
import { startServer, withSandbox } from "./server.mjs";
import { makeTestPki } from "./upstreams.mjs";

const SECRET = "real-fetch-secret-4b1d";
const BIG = 20 * 1024 * 1024;
let server, pki, servers = [], ports = {}, seen = [], closed = [], huge;

// Byte i of /big is (i * 7 + 3) & 255: checkable without keeping a copy.
function pattern(start, n) {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = ((start + i) * 7 + 3) & 255;
  return b;
}
const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");

function handler(req, res) {
  const url = new URL(req.url, "http://x");
  const hash = createHash("sha256");
  let size = 0;
  const chunks = [];
  req.on("data", (d) => {
    hash.update(d);
    size += d.length;
    if (size <= 1 << 20) chunks.push(d);
  });
  req.on("end", () => {
    const body = size <= 1 << 20 ? Buffer.concat(chunks).toString() : null;
    seen.push({ method: req.method, url: req.url, headers: req.headers, body, size });
    const p = url.pathname;
    if (p === "/text") {
      res.writeHead(200, { "content-type": "text/plain", "set-cookie": ["a=1", "b=2"] });
      res.end(`hello from ${req.headers.host}`);
    } else if (p === "/json") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, host: req.headers.host, tls: !!req.socket.encrypted }));
    } else if (p === "/echo") {
      res.writeHead(201, "Made It", { "content-type": "application/json" });
      res.end(JSON.stringify({ method: req.method, headers: req.headers, body, size, sha256: hash.digest("hex") }));
    } else if (p === "/echo-auth") {
      const auth = req.headers.authorization ?? "";
      res.writeHead(200, { "content-type": "text/plain", "x-echo": auth });
      res.end(`you sent: ${auth}\n`);
    } else if (p === "/big") {
      const n = Number(url.searchParams.get("n"));
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": n });
      let off = 0;
      const pump = () => {
        while (off < n) {
          const k = Math.min(65536, n - off);
          const ok = res.write(pattern(off, k));
          off += k;
          if (!ok) return res.once("drain", pump);
        }
        res.end();
      };
      pump();
    } else if (p === "/redirect") {
      res.writeHead(Number(url.searchParams.get("code") ?? 302), { location: url.searchParams.get("to") });
      res.end("moved");
    } else if (/\/chain\/\d+$/.test(p)) { // relative locations with dot segments
      const n = Number(p.split("/").at(-1));
      const codes = [301, 302, 307, 308];
      res.writeHead(codes[n % 4], { location: n > 0 ? `../chain/${n - 1}` : "/json" });
      res.end();
    } else if (p === "/loop") {
      res.writeHead(302, { location: "/loop" });
      res.end();
    } else if (p === "/204") {
      res.writeHead(204, { "x-empty": "yes" });
      res.end();
    } else if (p === "/slow") { // a head and a first chunk, then nothing
      req.socket.once("close", () => closed.push(url.searchParams.get("id")));
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first chunk\n");
    } else if (p === "/hang") { // never answers
    } else {
      res.writeHead(404);
      res.end("no such page");
    }
  });
}

function listen(srv) {
  servers.push(srv);
  return new Promise((r) => srv.listen(0, "127.0.0.1", () => r(srv.address().port)));
}

// An upstream in a process of its own, sending 1 GiB as fast as it can: it
// keeps sending while this process is busy and not reading.
function startHuge() {
  const code = `const http = require("http"); const b = Buffer.alloc(1 << 20, 120);
    http.createServer((q, s) => { s.writeHead(200, { "content-length": 1 << 30 }); let n = 0;
      const pump = () => { while (n < 1024) { n++; if (!s.write(b)) return s.once("drain", pump); } s.end(); };
      s.on("error", () => {}); pump(); }).listen(0, "127.0.0.1", function () { console.log(this.address().port); });`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve) => child.stdout.once("data", (d) => resolve({ child, port: Number(String(d).trim()) })));
}

function rssMiB(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
}

before(async () => {
  pki = makeTestPki(["fetch.example.test", "other.example.test", "secret.example.test"]);
  huge = await startHuge();
  ports.http = await listen(http.createServer(handler));
  ports.https = await listen(https.createServer({ key: pki.good.key, cert: pki.good.cert }, handler));
  const o = [];
  for (const host of ["fetch.example.test", "other.example.test", "secret.example.test"])
    o.push(`${host}:80=127.0.0.1:${ports.http}`, `${host}:443=127.0.0.1:${ports.https}`);
  o.push(`203.0.113.9:8080=127.0.0.1:${ports.http}`, `huge.example.test:80=127.0.0.1:${huge.port}`);
  server = await startServer({ args: [...o.flatMap((x) => ["--net-override", x]), "--upstream-ca", pki.caFile] });
});
after(async () => {
  await server?.stop();
  huge?.child.kill();
  for (const s of servers) {
    s.closeAllConnections?.();
    await new Promise((r) => s.close(r));
  }
});

async function netlog(sandbox) {
  const res = await fetch(`${server.endpoint}/api/v3/sandbox/${sandbox.id}/netlog`,
    { headers: { authorization: `Bearer ${server.token}` } });
  return (await res.json()).records;
}

async function record(sandbox, host, port) {
  for (let i = 0; i < 50; i++) {
    const r = (await netlog(sandbox)).filter((x) => (x.name === host || x.addr === host) && x.port === port);
    if (r.length) return r[r.length - 1];
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.fail(`no egress record for ${host}:${port}`);
}

const ALLOW = ["fetch.example.test", "secret.example.test", "203.0.113.9:8080", "huge.example.test"];

test("GET over http and https: text, JSON, status and headers", async () => {
  await withSandbox({ allowNet: ALLOW }, async (sandbox) => {
    const r = await sandbox.fetch("http://fetch.example.test/text");
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "text/plain");
    assert.equal(r.headers.get("set-cookie"), "a=1, b=2");
    assert.equal(await r.text(), "hello from fetch.example.test");
    const j = await sandbox.fetch("https://fetch.example.test/json");
    assert.deepEqual(await j.json(), { ok: true, host: "fetch.example.test", tls: true });
    const ip = await sandbox.fetch("http://203.0.113.9:8080/json");
    assert.deepEqual(await ip.json(), { ok: true, host: "203.0.113.9:8080", tls: false });
    const nf = await sandbox.fetch("https://fetch.example.test/nothing-here");
    assert.equal(nf.status, 404);
    assert.equal(await nf.text(), "no such page");
    // the connection went through the door: the egress log has it
    const rec = await record(sandbox, "fetch.example.test", 443);
    assert.equal(rec.decision, "allow");
    // many at once
    const all = await Promise.all(Array.from({ length: 16 }, (_, i) =>
      sandbox.fetch(`https://fetch.example.test/json?i=${i}`).then((x) => x.json())));
    assert.equal(all.length, 16);
    assert.ok(all.every((x) => x.ok));
  });
});

test("POST with a string body, a JSON body, and the request's headers", async () => {
  await withSandbox({ allowNet: ALLOW }, async (sandbox) => {
    const r = await sandbox.fetch("https://fetch.example.test/echo", {
      method: "POST", body: "hello body", headers: { "x-custom": "v1" },
    });
    assert.equal(r.status, 201);
    assert.equal(r.statusText, "Made It");
    const e = await r.json();
    assert.equal(e.method, "POST");
    assert.equal(e.body, "hello body");
    assert.equal(e.headers["content-type"], "text/plain;charset=UTF-8");
    assert.equal(e.headers["x-custom"], "v1");
    assert.equal(e.headers.host, "fetch.example.test");
    const p = await sandbox.fetch("http://fetch.example.test/echo", {
      method: "PUT", body: JSON.stringify({ a: [1, 2] }), headers: { "content-type": "application/json" },
    });
    const pe = await p.json();
    assert.equal(pe.method, "PUT");
    assert.deepEqual(JSON.parse(pe.body), { a: [1, 2] });
    assert.equal(pe.headers["content-type"], "application/json");
    const empty = await (await sandbox.fetch("http://fetch.example.test/echo", { method: "POST" })).json();
    assert.equal(empty.headers["content-length"], "0");
  });
});

test("a 20 MiB response streams in full; a 20 MiB request body arrives in full", async (t) => {
  await withSandbox({ allowNet: ALLOW }, async (sandbox) => {
    const t0 = performance.now();
    const r = await sandbox.fetch(`https://fetch.example.test/big?n=${BIG}`);
    assert.equal(r.headers.get("content-length"), String(BIG));
    const buf = Buffer.from(await r.arrayBuffer());
    const ms = performance.now() - t0;
    assert.equal(buf.length, BIG);
    assert.equal(sha256(buf), sha256(pattern(0, BIG)));
    t.diagnostic(`GET 20 MiB over https: ${(20 / (ms / 1000)).toFixed(1)} MiB/s (${ms.toFixed(0)} ms)`);

    const plain0 = performance.now();
    const pbuf = Buffer.from(await (await sandbox.fetch(`http://fetch.example.test/big?n=${BIG}`)).arrayBuffer());
    const pms = performance.now() - plain0;
    assert.equal(sha256(pbuf), sha256(pattern(0, BIG)));
    t.diagnostic(`GET 20 MiB over http: ${(20 / (pms / 1000)).toFixed(1)} MiB/s (${pms.toFixed(0)} ms)`);

    const body = pattern(5, BIG);
    const u0 = performance.now();
    const e = await (await sandbox.fetch("https://fetch.example.test/echo", { method: "POST", body })).json();
    const ums = performance.now() - u0;
    assert.equal(e.size, BIG);
    assert.equal(e.sha256, sha256(body));
    t.diagnostic(`POST 20 MiB over https: ${(20 / (ums / 1000)).toFixed(1)} MiB/s (${ums.toFixed(0)} ms)`);
  });
});

test("a host outside allowNet is refused with a clear error, and logged as deny", async () => {
  await withSandbox({ allowNet: ALLOW }, async (sandbox) => {
    const t0 = Date.now();
    await assert.rejects(sandbox.fetch("https://other.example.test/json"), (err) => {
      assert.equal(err.name, "TypeError");
      assert.match(err.message, /other\.example\.test:443 refused by the sandbox's network policy: .*allowNet/);
      return true;
    });
    assert.ok(Date.now() - t0 < 3000, "a refusal is fast");
    assert.equal((await record(sandbox, "other.example.test", 443)).decision, "deny");
    await assert.rejects(sandbox.fetch("http://other.example.test/json"), (err) => {
      assert.equal(err.name, "TypeError");
      assert.match(err.message, /other\.example\.test:80 refused by the sandbox's network policy: .*allowNet/);
      return true;
    });
    assert.equal((await record(sandbox, "other.example.test", 80)).decision, "deny");
  });
  await withSandbox({ allowNet: [] }, async (sandbox) => {
    await assert.rejects(sandbox.fetch("http://fetch.example.test/text"), /refused by the sandbox's network policy/);
  });
});

test("secrets: the real value reaches its host only, and never comes back", async () => {
  const secrets = { API_KEY: { hosts: ["secret.example.test"], value: SECRET } };
  await withSandbox({ allowNet: ALLOW, secrets }, async (sandbox) => {
    const ph = (await sandbox.sh`echo $API_KEY`.text()).trim();
    assert.match(ph, /^AIRLOCK_SECRET_[0-9a-f]{32}$/);
    seen.length = 0;
    const r = await sandbox.fetch("https://secret.example.test/echo-auth", { headers: { authorization: `Bearer ${ph}` } });
    assert.equal(r.status, 200);
    assert.equal(seen.at(-1).headers.authorization, `Bearer ${SECRET}`);
    const text = await r.text();
    assert.ok(!text.includes(SECRET));
    assert.equal(text, `you sent: Bearer ${"*".repeat(SECRET.length)}\n`);
    assert.equal(r.headers.get("x-echo"), `Bearer ${"*".repeat(SECRET.length)}`);
    assert.equal((await record(sandbox, "secret.example.test", 443)).tls_intercepted, true);
    // another host gets the placeholder
    await (await sandbox.fetch("https://fetch.example.test/echo-auth", { headers: { authorization: ph } })).text();
    assert.equal(seen.at(-1).headers.authorization, ph);
  });
});

test("redirects: follow (method rules, relative locations, limits) and manual", async () => {
  await withSandbox({ allowNet: ALLOW }, async (sandbox) => {
    const f = await sandbox.fetch("http://fetch.example.test/redirect?code=302&to=https://fetch.example.test/json");
    assert.equal(f.status, 200);
    assert.deepEqual(await f.json(), { ok: true, host: "fetch.example.test", tls: true });
    const chain = await sandbox.fetch("https://fetch.example.test/a/chain/6");
    assert.equal(chain.status, 200);
    assert.equal((await chain.json()).ok, true);
    seen.length = 0;
    const post = await sandbox.fetch("http://fetch.example.test/redirect?code=303&to=/echo", { method: "POST", body: "x" });
    const pe = await post.json();
    assert.equal(pe.method, "GET", "303 turns POST into GET");
    assert.equal(pe.size, 0);
    assert.equal(pe.headers["content-type"], undefined);
    const keep = await sandbox.fetch("http://fetch.example.test/redirect?code=307&to=/echo", { method: "POST", body: "x" });
    assert.equal(keep.status, 307, "a streamed body is not replayed: the 307 comes back");
    assert.equal(keep.headers.get("location"), "/echo");
    const manual = await sandbox.fetch("http://fetch.example.test/redirect?code=301&to=/text", { redirect: "manual" });
    assert.equal(manual.status, 301);
    assert.equal(manual.headers.get("location"), "/text");
    assert.equal(await manual.text(), "moved");
    await assert.rejects(sandbox.fetch("http://fetch.example.test/loop"), /too many redirects/);
    await assert.rejects(sandbox.fetch("http://fetch.example.test/redirect?to=http://other.example.test/"),
      /other\.example\.test:80 refused by the sandbox's network policy/);
  });
});

test("bodiless answers: 204 and HEAD have a null body", async () => {
  await withSandbox({ allowNet: ALLOW }, async (sandbox) => {
    const r = await sandbox.fetch("https://fetch.example.test/204");
    assert.equal(r.status, 204);
    assert.equal(r.body, null);
    assert.equal(r.headers.get("x-empty"), "yes");
    const h = await sandbox.fetch("http://fetch.example.test/text", { method: "HEAD" });
    assert.equal(h.status, 200);
    assert.equal(h.body, null);
    assert.equal(h.headers.get("content-type"), "text/plain");
  });
});

test("abort: before the answer, and while the body streams", async () => {
  await withSandbox({ allowNet: ALLOW }, async (sandbox) => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    await assert.rejects(sandbox.fetch("http://fetch.example.test/hang", { signal: ac.signal }),
      (err) => err.name === "AbortError");
    const ac2 = new AbortController();
    const r = await sandbox.fetch("https://fetch.example.test/slow", { signal: ac2.signal });
    const reader = r.body.getReader();
    const first = await reader.read();
    assert.equal(Buffer.from(first.value).toString(), "first chunk\n");
    ac2.abort();
    await assert.rejects(reader.read(), (err) => err.name === "AbortError");
    // the sandbox still serves fetches afterwards
    assert.equal((await (await sandbox.fetch("http://fetch.example.test/json")).json()).ok, true);
  });
});

test("localhost is the sandbox's own loopback, as for code inside", async () => {
  await withSandbox({ allowNet: [] }, async (sandbox) => {
    await sandbox.fs.mkdir("/tmp/www", { recursive: true });
    await sandbox.fs.writeTextFile("/tmp/www/hi.txt", "served from inside");
    const srv = await sandbox.spawn("python3", { args: ["-m", "http.server", "8765", "--bind", "127.0.0.1", "-d", "/tmp/www"],
      stdout: "null", stderr: "null" });
    try {
      let r;
      for (let i = 0; i < 50; i++) {
        try {
          r = await sandbox.fetch("http://localhost:8765/hi.txt");
          break;
        } catch {
          await new Promise((res) => setTimeout(res, 100));
        }
      }
      assert.equal(r?.status, 200);
      assert.equal(await r.text(), "served from inside");
      assert.equal(await (await sandbox.fetch("http://127.0.0.1:8765/hi.txt")).text(), "served from inside");
      // nothing listens there: refused at once, not a policy matter
      await assert.rejects(sandbox.fetch("http://localhost:8766/"), /connect error/);
    } finally {
      await srv.kill("SIGKILL");
    }
  });
});

test("bad requests fail clearly; fetch to a Deno process is not supported yet", async () => {
  await withSandbox({ allowNet: ALLOW }, async (sandbox) => {
    await assert.rejects(sandbox.fetch("ftp://fetch.example.test/x"), /not supported/);
    await assert.rejects(sandbox.fetch("http://no-such-name.invalid./"), /refused|dns/);
  });
});

test("a client that does not read holds the upstream back: airlockd does not buffer the body", async () => {
  await withSandbox({ allowNet: ALLOW }, async (sandbox) => {
    const before = rssMiB(server.pid);
    const r = await sandbox.fetch("http://huge.example.test/");
    const reader = r.body.getReader();
    await reader.read();
    // busy, not reading the socket, for 3 s: the upstream could send gigabytes meanwhile
    let peak = 0;
    for (const end = Date.now() + 3000; Date.now() < end;) peak = Math.max(peak, rssMiB(server.pid));
    assert.ok(peak - before < 48, `airlockd grew by ${(peak - before).toFixed(1)} MiB`);
    // it still flows afterwards, then the client lets go
    let got = 0;
    while (got < 64 << 20) got += (await reader.read()).value.length;
    await reader.cancel(new Error("enough")); // the SDK cannot send a cancel without a reason
    assert.equal((await (await sandbox.fetch("http://fetch.example.test/json")).json()).ok, true);
  });
});

test("a cancelled body, and the sandbox's end, end the connection upstream", async () => {
  const waitClosed = async (id) => {
    for (let i = 0; i < 100 && !closed.includes(id); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(closed.includes(id), `upstream connection ${id} still open`);
  };
  await withSandbox({ allowNet: ALLOW }, async (sandbox) => {
    const r = await sandbox.fetch("http://fetch.example.test/slow?id=cancel");
    const reader = r.body.getReader();
    await reader.read();
    await reader.cancel(new Error("enough")); // the SDK cannot send a cancel without a reason
    await waitClosed("cancel");
    assert.equal((await (await sandbox.fetch("http://fetch.example.test/json")).json()).ok, true);
  });
  const sandbox = await Sandbox.create({ allowNet: ALLOW });
  const r = await sandbox.fetch("https://fetch.example.test/slow?id=kill");
  await r.body.getReader().read();
  await sandbox.kill();
  await waitClosed("kill");
  await withSandbox({ allowNet: ALLOW }, async (sb2) => {
    assert.equal((await (await sb2.fetch("http://fetch.example.test/json")).json()).ok, true);
  });
});
