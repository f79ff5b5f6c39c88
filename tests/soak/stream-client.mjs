// SPDX-License-Identifier: Apache-2.0
// A client for faults.test.mjs to kill: it opens a sandbox (a new session
// sandbox, or an existing one by id), starts a process that floods stdout,
// reads some of it, says so on its own stdout, and keeps reading until the
// test kills it with SIGKILL: its WebSocket ends without a close frame.
//   node stream-client.mjs [SANDBOX_ID]
import { Sandbox } from "../e2e/node_modules/@deno/sandbox/esm/mod.js";

const id = process.argv[2];
const sandbox = id ? await Sandbox.connect({ id }) : await Sandbox.create();
const child = await sandbox.spawn("sh", { args: ["-c", "while :; do seq 1 10000; done"], stdout: "piped", stderr: "piped" });
let bytes = 0;
let told = false;
for await (const chunk of child.stdout) {
  bytes += chunk.length;
  if (!told && bytes > 1 << 20) {
    told = true;
    process.stdout.write(`streaming ${sandbox.id} pid ${child.pid}\n`);
  }
}
process.stdout.write("stream ended\n");
