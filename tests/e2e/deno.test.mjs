// SPDX-License-Identifier: Apache-2.0
// The SDK's Deno API: deno.eval, the REPL, deno.run with httpReady, and a
// Deno program reached through exposeHttp.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import https from "node:https";
import { Sandbox } from "@deno/sandbox";
import { STATE_DIR } from "./helpers.mjs";
import { startServer } from "./server.mjs";

// *.localhost does not resolve everywhere: every name goes to the listener.
function lookup(host, opts, cb) {
  if (typeof opts === "function") [cb, opts] = [opts, {}];
  if (opts.all) cb(null, [{ address: "127.0.0.1", family: 4 }]);
  else cb(null, "127.0.0.1", 4);
}

function get(url) {
  const ca = readFileSync(`${STATE_DIR}/ingress-ca/ca.crt`);
  return new Promise((resolve, reject) => {
    https.get(url, { ca, lookup, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (d) => chunks.push(d));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    }).on("error", reject);
  });
}

let server, sandbox;
before(async () => {
  server = await startServer();
  sandbox = await Sandbox.create();
});
after(async () => {
  await sandbox?.kill().catch(() => {});
  await server?.stop();
});

test("deno.eval: the README example gives the completion value", async () => {
  assert.equal(await sandbox.deno.eval(`const a = 1; const b = 2; a + b;`), 3);
});

test("the REPL keeps top-level const, let and functions across calls", async () => {
  const repl = await sandbox.deno.repl();
  try {
    assert.equal(await repl.eval("const x = 42;"), null);
    await repl.eval("let y = 8; function add(a, b) { return a + b; }");
    assert.equal(await repl.eval("x + y"), 50);
    assert.equal(await repl.call("add", 1, 2), 3);
    assert.equal(await repl.call("(a, b) => a * b", 6, 7), 42);
    assert.deepEqual(await repl.eval("({ s: 'x', n: [1, 2], d: new Date(0), m: new Map([['k', 1]]) })"),
      { s: "x", n: [1, 2], d: "1970-01-01T00:00:00.000Z", m: { k: 1 } });
    assert.equal(await repl.eval("await new Promise((r) => setTimeout(() => r('later'), 10))"), "later");
    assert.equal(await repl.eval("Deno.env.get('HOME')"), "/home/app");
  } finally {
    await repl.close();
  }
  const status = await repl.status;
  assert.equal(status.code, 0);
  assert.equal(await repl.httpReady, false);
});

test("errors thrown in the REPL come back with their class", async () => {
  const repl = await sandbox.deno.repl();
  try {
    await assert.rejects(repl.eval("nope + 1"), (e) => e instanceof ReferenceError && /nope is not defined/.test(e.message));
    await assert.rejects(repl.eval("throw new TypeError('bad input')"), (e) => e instanceof TypeError && e.message === "bad input");
    await assert.rejects(repl.eval("throw 5"), (e) => e instanceof Error && /5/.test(e.message));
    await assert.rejects(repl.eval("const = ;"), (e) => e instanceof SyntaxError);
    assert.equal(await repl.eval("1 + 1"), 2, "the REPL lives on after errors");
  } finally {
    await repl.close();
  }
});

test("a REPL's console output goes to its stdout, apart from the results", async () => {
  const repl = await sandbox.deno.repl({ stdout: "piped", stderr: "piped" });
  const chunks = [];
  const reading = (async () => { for await (const c of repl.stdout) chunks.push(Buffer.from(c)); })();
  assert.equal(await repl.eval("console.log('printed'); 7"), 7);
  await repl.close();
  await reading;
  assert.equal(Buffer.concat(chunks).toString(), "printed\n");
});

test("REPL: concurrent evaluations, and values and code of megabytes", async () => {
  const repl = await sandbox.deno.repl();
  try {
    const r = await Promise.all([1, 2, 3, 4, 5].map((i) => repl.eval(`await new Promise((r) => setTimeout(r, ${6 - i} * 20)); ${i} * 10`)));
    assert.deepEqual(r, [10, 20, 30, 40, 50]);
    const big = await repl.eval("'x'.repeat(3 * 1024 * 1024)");
    assert.equal(big.length, 3 * 1024 * 1024);
    const code = `const long = "${"y".repeat(2 * 1024 * 1024)}"; long.length`;
    assert.equal(await repl.eval(code), 2 * 1024 * 1024);
    assert.equal(await repl.eval("long.length + 1"), 2 * 1024 * 1024 + 1);
  } finally {
    await repl.close();
  }
});

test("closing an unknown REPL is ignored (ENOENT), evaluating in it fails", async () => {
  const repl = await sandbox.deno.repl();
  await repl.close();
  await repl.status;
  await repl.close();
  await assert.rejects(repl.eval("1"));
});

test("deno.run: a Deno.serve program is httpReady, and exposeHttp reaches it", async () => {
  await sandbox.fs.writeTextFile("server.js", `
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 300)); // not listening at once
    Deno.serve({ port: 8123, onListen() {} }, (req) => new Response("hi from " + Deno.args.join(",")));
  `);
  const t0 = Date.now();
  const server = await sandbox.deno.run({ entrypoint: "server.js", scriptArgs: ["a", "b"], stdout: "piped", stderr: "piped" });
  try {
    assert.equal(await server.httpReady, true);
    const ready = Date.now() - t0;
    assert.ok(ready >= 300, `ready after ${ready} ms, before the program listened`);
    const url = await sandbox.exposeHttp({ port: 8123 });
    const r = await get(url);
    assert.equal(r.status, 200);
    assert.equal(r.body, "hi from a,b");
    const byPid = await sandbox.exposeHttp({ pid: server.pid });
    assert.equal((await get(byPid)).body, "hi from a,b");
    // DenoProcess.fetch: the URL's host is ignored; the process's own server answers
    const res = await server.fetch("http://ignored.example/anything?q=1");
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "hi from a,b");
  } finally {
    await server.kill();
  }
  assert.equal((await server.status).signal, "SIGTERM");
});

test("deno.run with inline code and its extension; a program that exits is not httpReady", async () => {
  const p = await sandbox.deno.run({ code: "const n: number = 6 * 7; console.log(n, Deno.args[0]);", extension: "ts",
    scriptArgs: ["x"], stdout: "piped" });
  const chunks = [];
  for await (const c of p.stdout) chunks.push(Buffer.from(c));
  assert.equal(await p.httpReady, false);
  assert.equal((await p.status).code, 0);
  assert.equal(Buffer.concat(chunks).toString(), "42 x\n");
});

test("deno.run: a failing program reports its exit code; httpReady false", async () => {
  const p = await sandbox.deno.run({ code: "Deno.exit(3)", extension: "js" });
  assert.equal(await p.httpReady, false);
  assert.equal((await p.status).code, 3);
});

test("httpReady follows a listener in a child process of the program", async () => {
  const p = await sandbox.deno.run({ code: `
    new Deno.Command("deno", { args: ["eval", "Deno.serve({ port: 8124, onListen() {} }, () => new Response('c'))"] }).spawn();
  `, extension: "js", stdout: "null", stderr: "null" });
  try {
    assert.equal(await p.httpReady, true);
  } finally {
    await p.kill();
  }
});

test("deno.run({watch}): a file change restarts the program and fires a restart event", async () => {
  const src = (word) => `Deno.serve({ port: 8125, onListen() {} }, () => new Response("${word}"));\n`;
  await sandbox.fs.writeTextFile("watched.js", src("one"));
  const p = await sandbox.deno.run({ entrypoint: "watched.js", watch: true, stdout: "piped", stderr: "piped" });
  const drain = async (s) => { for await (const _ of s) { /* keep the streams flowing */ } };
  const drained = Promise.all([drain(p.stdout), drain(p.stderr)]);
  try {
    assert.equal(await p.httpReady, true);
    const url = await sandbox.exposeHttp({ port: 8125 });
    assert.equal((await get(url)).body, "one");
    const restarted = new Promise((resolve) => p.addEventListener("restart", resolve, { once: true }));
    await sandbox.fs.writeTextFile("watched.js", src("two"));
    await Promise.race([restarted, new Promise((_, rej) => setTimeout(() => rej(new Error("no restart event")), 15000))]);
    let body;
    for (let i = 0; i < 100 && body !== "two"; i++) {
      body = await get(url).then((r) => r.body, () => null);
      if (body !== "two") await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(body, "two");
  } finally {
    await p.kill();
  }
  await p.status;
  await drained;
});

test("deno.run: a program that installs an npm package through the network door", async (t) => {
  // The registry is reached through the door (allowNet absent: the public internet). Where it
  // cannot be reached, or an interposed TLS proxy of the site is not trusted by the image, skip.
  await sandbox.fs.writeTextFile("npm_ms.js", `import ms from "npm:ms@2.1.3"; console.log(ms(60000));`);
  const p = await sandbox.deno.run({ entrypoint: "npm_ms.js", stdout: "piped", stderr: "piped" });
  const out = await p.output();
  if (out.status.code !== 0) {
    const why = out.stderrText.split("\n").filter((l) => /error/i.test(l)).pop() ?? `exit ${out.status.code}`;
    return t.skip(`the npm registry is not reachable from this machine's sandboxes: ${why.replace(/\x1b\[[0-9;]*m/g, "").trim()}`);
  }
  assert.equal(out.stdoutText.trim(), "1m");
});
