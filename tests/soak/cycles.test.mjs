// SPDX-License-Identifier: Apache-2.0
// Soak: create, command, destroy, over and over through the API with the
// official SDK. The daemon's descriptors and memory and everything a sandbox
// holds on the host must be the same at the end as at the start.
//   AIRLOCK_SOAK_CYCLES (default 1000, the figure: 1 minute on a quiet 2-core host, 3.5 on a
//   busy one; more by hand)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../e2e/server.mjs";
import { Sandbox, figures, describe, quiet, settle, assertBack } from "./lib.mjs";

const CYCLES = Number(process.env.AIRLOCK_SOAK_CYCLES ?? 1000);
// The daemon's RSS settles a little above its start as the allocator's arenas
// and SQLite's page cache (2 MiB at most) fill: +1.2 MiB after 1000 cycles,
// +0.8 MiB after the first 60. A leak of 3 KiB a cycle crosses this at 1000.
const RSS_TOL_KIB = 3072;
// Cycles run a few at a time, as clients do.
const WIDTH = 4;

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

async function cycle(i, ours) {
  const sandbox = await Sandbox.create();
  ours.add(sandbox.id);
  try {
    // a disk write, /dev/shm, a background process left running, and a command's output
    const out = await sandbox.sh`echo x > /tmp/f; echo y > /dev/shm/g; (sleep 100 &); echo cycle ${String(i)}`.text();
    assert.equal(out, `cycle ${i}\n`, `cycle ${i}`);
  } finally {
    await sandbox.close();
  }
}

test(`${CYCLES} create/command/destroy cycles leave the daemon and the host as they were`, async (t) => {
  const ours = new Set();
  // Warm up: the proxy's start, the seccomp program, the disk template, the store.
  for (let i = 0; i < 2 * WIDTH; i++) await cycle(-1, ours);
  const start = await quiet(server.pid, ours);
  t.diagnostic(`start: ${describe(start)}`);
  const t0 = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < CYCLES) await cycle(next++, ours);
  };
  await Promise.all(Array.from({ length: WIDTH }, worker));
  const secs = (Date.now() - t0) / 1000;
  const end = await settle(server.pid, ours, start);
  t.diagnostic(`end:   ${describe(end)}`);
  t.diagnostic(`${CYCLES} cycles in ${secs.toFixed(1)} s (${(secs * 1000 / CYCLES).toFixed(0)} ms each, ${WIDTH} at a time); ` +
    `RSS ${end.rssKiB - start.rssKiB >= 0 ? "+" : ""}${end.rssKiB - start.rssKiB} KiB`);
  assertBack(assert, start, end, { rssTolKiB: RSS_TOL_KIB });
});
