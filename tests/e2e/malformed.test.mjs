// SPDX-License-Identifier: Apache-2.0
// Malformed traffic fails alone: the server answers with the protocol's
// errors and goes on serving everyone else.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import WebSocket from "ws";
import { Sandbox } from "@deno/sandbox";
import { startServer } from "./server.mjs";

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

function raw(bytes) {
  return new Promise((resolve) => {
    const s = net.connect(server.port, "127.0.0.1");
    let out = "";
    s.on("data", (d) => { out += d; });
    s.on("close", () => resolve(out));
    s.on("error", () => resolve(out));
    s.write(bytes);
    setTimeout(() => s.end(), 2000);
  });
}

function wsOpen(path = "/api/v3/sandboxes/create") {
  return new WebSocket(`ws://127.0.0.1:${server.port}${path}`, { headers: { authorization: `Bearer ${server.token}` } });
}

test("bad HTTP gets a 400 and a JSON error", async () => {
  let r = await raw("GARBAGE\r\n\r\n");
  assert.match(r, /^HTTP\/1\.1 400/);
  assert.match(r, /"code":"BAD_REQUEST"/);
  r = await raw(`GET /api/v2/sandboxes HTTP/1.1\r\nX-Big: ${"a".repeat(70000)}\r\n\r\n`);
  assert.match(r, /^HTTP\/1\.1 4\d\d/);
  r = await raw("GET /nowhere HTTP/1.1\r\nAuthorization: Bearer " + server.token + "\r\n\r\n");
  assert.match(r, /^HTTP\/1\.1 404/);
  r = await raw("GET /api/v2/sandboxes HTTP/1.1\r\n\r\n");
  assert.match(r, /^HTTP\/1\.1 401[\s\S]*INVALID_TOKEN/);
});

test("bad config and unknown sandboxes are refused before the upgrade", async () => {
  let r = await raw(`GET /api/v3/sandboxes/create HTTP/1.1\r\nAuthorization: Bearer ${server.token}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nx-deno-sandbox-config: !!!notbase64\r\n\r\n`);
  assert.match(r, /^HTTP\/1\.1 400[\s\S]*INVALID_CONFIG/);
  r = await raw(`GET /api/v3/sandbox/sbx_loc_00000000000000000000/connect HTTP/1.1\r\nAuthorization: Bearer ${server.token}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
  assert.match(r, /^HTTP\/1\.1 404[\s\S]*SANDBOX_NOT_FOUND/);
});

test("non-JSON on the socket closes it with 4000; bad JSON-RPC gets errors", async () => {
  const ws = wsOpen();
  await new Promise((r) => ws.once("open", r));
  const replies = [];
  ws.on("message", (m) => replies.push(JSON.parse(m.toString())));
  ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1 }));                         // no method
  ws.send(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "stat", params: [1] })); // params not an object
  ws.send(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "noSuchMethod", params: {} }));
  ws.send(JSON.stringify({ jsonrpc: "2.0", id: 4, method: "stat", params: { path: 42 } }));
  await new Promise((r) => setTimeout(r, 500));
  const byId = Object.fromEntries(replies.map((m) => [m.id, m]));
  assert.equal(byId[1].error.code, -32600);
  assert.equal(byId[2].error.code, -32602);
  assert.equal(byId[3].result.error.constructorName, "NotSupported");
  assert.ok(byId[4].result.error, "a wrong param type is an in-band error");
  const closed = new Promise((r) => ws.once("close", (code) => r(code)));
  ws.send("this is not json");
  assert.equal(await closed, 4000);
});

test("the server goes on serving after all of that", async () => {
  const sandbox = await Sandbox.create();
  assert.equal(await sandbox.sh`echo still here`.text(), "still here\n");
  await sandbox.close();
});
