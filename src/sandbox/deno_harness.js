// SPDX-License-Identifier: Apache-2.0
// The REPL harness: runs inside the sandbox as `deno eval`, reads requests
// as JSON lines on fd 3 and answers on fd 4, so the user's output keeps
// stdout and stderr. Code is evaluated through the inspector's
// Runtime.evaluate in REPL mode: completion values, top-level const/let
// that persist, top-level await. This module's own names stay out of the
// REPL's scope. Embedded in airlockd by src/sandbox/deno.c.
import { Session } from "node:inspector";
const session = new Session();
session.connect();
const post = (method, params) =>
  new Promise((res, rej) => session.post(method, params, (e, r) => (e ? rej(e) : res(r))));
const ARGS = Symbol.for("airlock.repl.args");
const WIRE = Symbol.for("airlock.repl.wire");
const ERR = Symbol.for("airlock.repl.error");
const KNOWN = new Set(["Error", "TypeError", "ReferenceError", "SyntaxError", "RangeError", "URIError",
  "EvalError", "AggregateError", "DOMException", "SuppressedError"]);
const hide = (k, v) => Object.defineProperty(globalThis, k, { value: v, enumerable: false });
// Values as JSON: Maps become objects, Sets arrays, bigints strings.
hide(WIRE, (v) => {
  const stack = [];
  return JSON.stringify(v, function (k, x) {
    if (typeof x === "bigint") return x.toString();
    if (typeof x === "symbol" || typeof x === "function") return undefined;
    if (x instanceof Map) return Object.fromEntries([...x].map(([a, b]) => [String(a), b]));
    if (x instanceof Set) return [...x];
    if (x && typeof x === "object") {
      while (stack.length && stack[stack.length - 1] !== this) stack.pop();
      if (stack.includes(x)) return "[Circular]";
      stack.push(x);
    }
    return x;
  }) ?? "null";
});
hide(ERR, (e) => {
  const isErr = e instanceof Error;
  let cls = isErr ? e.constructor?.name ?? e.name : "Error";
  if (isErr && !KNOWN.has(cls)) cls = KNOWN.has(e.name) ? e.name : "Error";
  return JSON.stringify({
    constructorName: cls,
    message: isErr ? String(e.message) : "Uncaught " + String(e),
    stack: isErr && typeof e.stack === "string" ? e.stack : null,
  });
});
// A rejection or an exception nobody handles is reported, not fatal.
globalThis.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  console.error("Uncaught (in promise)", e.reason);
});
globalThis.addEventListener("error", (e) => {
  e.preventDefault();
  console.error("Uncaught", e.error);
});

async function onObject(objectId, fn) {
  const r = await post("Runtime.callFunctionOn", {
    objectId, functionDeclaration: `function () { return globalThis[Symbol.for("airlock.repl.${fn}")](this); }`,
    returnByValue: true, objectGroup: "airlock",
  });
  return r.result.value;
}

async function evaluate(expression) {
  const r = await post("Runtime.evaluate", {
    expression, replMode: true, awaitPromise: true, objectGroup: "airlock",
  });
  try {
    if (r.exceptionDetails) {
      const x = r.exceptionDetails.exception ?? {};
      if (x.objectId) return `{"error":${await onObject(x.objectId, "error")}}`;
      const msg = "Uncaught " + (x.description ?? x.value ?? r.exceptionDetails.text);
      return `{"error":${JSON.stringify({ constructorName: "Error", message: msg, stack: null })}}`;
    }
    const v = r.result;
    if (v.objectId) return `{"ok":${await onObject(v.objectId, "wire")}}`;
    if (v.type === "bigint") return `{"ok":${JSON.stringify(String(v.unserializableValue).replace(/n$/, ""))}}`;
    if (v.type === "symbol") return `{"ok":${JSON.stringify(v.description)}}`;
    if (v.unserializableValue !== undefined || v.value === undefined) return `{"ok":null}`;
    return `{"ok":${JSON.stringify(v.value)}}`;
  } finally {
    await post("Runtime.releaseObjectGroup", { objectGroup: "airlock" });
  }
}

async function handle(req) {
  if (req.op === "eval") return evaluate(String(req.code));
  if (req.op === "call") {
    globalThis[ARGS] = Array.isArray(req.args) ? req.args : [];
    return evaluate(`(${String(req.fn)})(...globalThis[Symbol.for("airlock.repl.args")])`);
  }
  return `{"error":{"constructorName":"TypeError","message":"unknown request"}}`;
}

const out = await Deno.open("/proc/self/fd/4", { write: true });
const input = await Deno.open("/proc/self/fd/3", { read: true });
const enc = new TextEncoder();
async function send(id, body) {
  const b = enc.encode(`{"id":${id},${body.slice(1)}\n`);
  for (let o = 0; o < b.length;) o += await out.write(b.subarray(o));
}
let buf = "";
for await (const chunk of input.readable.pipeThrough(new TextDecoderStream())) {
  buf += chunk;
  let nl;
  while ((nl = buf.indexOf("\n")) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    let req;
    try {
      req = JSON.parse(line);
    } catch {
      continue;
    }
    let body;
    try {
      body = await handle(req);
    } catch (e) {
      body = `{"error":${JSON.stringify({ constructorName: "Error", message: String(e), stack: null })}}`;
    }
    await send(Number(req.id) || 0, body);
  }
}
Deno.exit(0);
