// SPDX-License-Identifier: Apache-2.0
// Load: many sandboxes alive at once, each running commands at the same time
// as all the others, then all removed; the host comes back to where it was.
// Two waves, so that the daemon's memory is compared at the same point twice.
//   AIRLOCK_SOAK_ALIVE (default 200)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../e2e/server.mjs";
import { Sandbox, figures, describe, quiet, settle, assertBack, pool } from "./lib.mjs";

const ALIVE = Number(process.env.AIRLOCK_SOAK_ALIVE ?? 200);
const ROUNDS = 3;
const RSS_TOL_KIB = 2048; // the second wave against the first

let server;
before(async () => { server = await startServer({ args: ["--max-sandboxes", "300"] }); });
after(async () => { await server?.stop(); });

// One wave: ALIVE sandboxes made, three rounds of commands in all of them at
// once, all removed; returns the figures once the host has settled.
async function wave(t, w, ours, start) {
  let t0 = Date.now();
  const sandboxes = [];
  try {
    await pool(Array.from({ length: ALIVE }, (_, i) => i), 8, async () => {
      const sb = await Sandbox.create({ timeout: "10m" });
      ours.add(sb.id);
      sandboxes.push(sb);
    });
    t.diagnostic(`wave ${w}: ${ALIVE} created in ${((Date.now() - t0) / 1000).toFixed(1)} s (8 at a time)`);
    const during = figures(server.pid, ours);
    t.diagnostic(`wave ${w} alive: ${describe(during)}`);
    assert.equal(during.slots - start.slots, ALIVE, "one uid slot held per live sandbox");
    assert.ok(during.netns - start.netns >= ALIVE, "one network namespace per live sandbox");
    assert.ok(during.cgroups - start.cgroups >= ALIVE, "cgroups of their own");

    // Every sandbox at once: its own hostname (its id), its own uid range, its own disk.
    for (let round = 0; round < ROUNDS; round++) {
      t0 = Date.now();
      const outs = await Promise.all(sandboxes.map((sb, i) =>
        sb.sh`echo ${String(i)} $(hostname) $(awk '{print $2}' /proc/self/uid_map); echo r${String(round)} >> /tmp/rounds; cat /tmp/rounds | wc -l`.text()));
      const ms = Date.now() - t0;
      const bases = new Set();
      outs.forEach((out, i) => {
        const [first, count] = out.trim().split("\n");
        const [n, host, base] = first.split(" ");
        assert.equal(n, String(i));
        assert.equal(host, sandboxes[i].id, "the command ran in its own sandbox");
        assert.equal(count, String(round + 1), "its disk kept the earlier rounds' writes, and only its own");
        bases.add(base);
      });
      assert.equal(bases.size, ALIVE, "every live sandbox has a uid range of its own");
      t.diagnostic(`wave ${w} round ${round}: ${ALIVE} commands at once in ${ms} ms`);
    }
  } finally {
    t0 = Date.now();
    await pool(sandboxes, 16, (sb) => sb.kill().catch(() => {}));
    await Promise.all(sandboxes.map((sb) => sb.close().catch(() => {})));
    t.diagnostic(`wave ${w}: ${sandboxes.length} removed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const end = await settle(server.pid, ours, start, 60000);
  t.diagnostic(`wave ${w} end: ${describe(end)}`);
  return end;
}

test(`${ALIVE} sandboxes alive at once, each running commands concurrently, then all removed`, async (t) => {
  const ours = new Set();
  const warm = await Sandbox.create();
  await warm.sh`true`;
  await warm.close();
  const start = await quiet(server.pid, ours);
  t.diagnostic(`start: ${describe(start)}`);
  const first = await wave(t, 1, ours, start);
  assertBack(assert, start, first, { rssTolKiB: Infinity });
  // The allocator keeps what the first wave's peak took (about 15 MiB for 200
  // sandboxes on glibc); a leak grows again with every wave.
  const second = await wave(t, 2, ours, start);
  t.diagnostic(`RSS: start ${(start.rssKiB / 1024).toFixed(1)} MiB, after wave 1 ${(first.rssKiB / 1024).toFixed(1)} MiB, ` +
    `after wave 2 ${(second.rssKiB / 1024).toFixed(1)} MiB`);
  assertBack(assert, first, second, { rssTolKiB: RSS_TOL_KIB });
});
