// SPDX-License-Identifier: Apache-2.0
// airlockd serve with --tls-cert/--tls-key: the SDK over https/wss.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AIRLOCKD, STATE_DIR } from "./helpers.mjs";

test("HTTPS and WSS with the operator's certificate", async () => {
  const dir = mkdtempSync("/tmp/airlock-tls-");
  const cert = path.join(dir, "cert.pem"), key = path.join(dir, "key.pem");
  const gen = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
    "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1"]);
  assert.equal(gen.status, 0, gen.stderr.toString());
  const port = 20000 + (process.pid % 20000);
  const server = spawn(AIRLOCKD, ["--state-dir", STATE_DIR, "serve", "--listen", `127.0.0.1:${port}`,
    "--tls-cert", cert, "--tls-key", key], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const exports = await new Promise((resolve, reject) => {
      let out = "";
      server.stdout.on("data", (d) => { out += d; const m = /^export (.*)$/m.exec(out); if (m) resolve(m[1]); });
      server.on("exit", (c) => reject(new Error(`airlockd exited ${c}`)));
    });
    assert.match(exports, /DENO_SANDBOX_ENDPOINT=https:\/\//);
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: cert };
    for (const kv of exports.split(" ")) { const [k, v] = kv.split("="); env[k] = v; }
    const script = path.join(dir, "t.mjs");
    writeFileSync(script, `import { Sandbox } from ${JSON.stringify(path.resolve("tests/e2e/node_modules/@deno/sandbox/esm/mod.js"))};
const s = await Sandbox.create();
console.log((await s.sh\`echo over-tls\`.text()).trim());
await s.close();`);
    const r = spawnSync("node", [script], { env, timeout: 60000 });
    assert.equal(r.stdout.toString().trim(), "over-tls", r.stderr.toString());
    // a client that does not trust the certificate is refused by TLS itself
    const bad = spawnSync("node", [script], { env: { ...env, NODE_EXTRA_CA_CERTS: "" }, timeout: 60000 });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr.toString(), /self.signed|certificate/i);
  } finally {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
});
