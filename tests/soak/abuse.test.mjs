// SPDX-License-Identifier: Apache-2.0
// Abuse from inside does not hurt the neighbours: one sandbox runs a fork
// bomb, a memory bomb, a disk filler and an output flood at once (abuser.mjs,
// a client of its own) while another sandbox's command latency (sh`true`
// round trips) is measured, idle first and then during the abuse. The median
// must stay within 3x of idle. bench/abuse.mjs does the same with more samples.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../e2e/server.mjs";
import { Sandbox, latencies, stats, startAbuser, abuseEvidence, sleep } from "./lib.mjs";

const SAMPLES = 50;
const MAX_RATIO = 3;

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

const f = (s) => `median ${s.median.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms`;

test("a sandbox's fork bomb, memory bomb, disk filler and output flood leave a neighbour's latency within 3x of idle", async (t) => {
  const neighbour = await Sandbox.create();
  let abuser;
  try {
    await latencies(neighbour, 10); // warm up
    const idle = stats(await latencies(neighbour, SAMPLES));
    abuser = await startAbuser();
    // let every bomb reach its limit: the fork bomb holds the pids, the flood flows
    let ev;
    for (let i = 0; i < 100; i++) {
      await sleep(100);
      ev = abuseEvidence(abuser);
      if (ev.pids >= ev.pidsMax - 8 && ev.flood > 0 && ev.diskWritten > 0) break;
    }
    const before = abuseEvidence(abuser);
    const busy = stats(await latencies(neighbour, SAMPLES));
    let after = abuseEvidence(abuser);
    const ratio = busy.median / idle.median;
    // the filler's bytes reach its disk when the kernel writes the page cache
    // back (up to dirty_expire, 30 s): wait for that evidence after measuring
    for (let i = 0; i < 450 && after.diskWritten === 0; i++) {
      await sleep(100);
      after = abuseEvidence(abuser);
    }
    t.diagnostic(`neighbour sh\`true\` idle:        ${f(idle)} (${SAMPLES} samples)`);
    t.diagnostic(`neighbour sh\`true\` under abuse: ${f(busy)}`);
    t.diagnostic(`ratio: median ${ratio.toFixed(2)}, p99 ${(busy.p99 / idle.p99).toFixed(2)}`);
    t.diagnostic(`abuse meanwhile: pids ${after.pids}/${after.pidsMax}, OOM kills ${before.oomKills} -> ${after.oomKills}, ` +
      `disk written ${(after.diskWritten / 2 ** 20).toFixed(0)} MiB since the start (+${((after.diskWritten - before.diskWritten) / 2 ** 20).toFixed(0)} while measured), ` +
      `output ${(after.flood / 2 ** 20).toFixed(0)} MiB (+${((after.flood - before.flood) / 2 ** 20).toFixed(0)})`);
    // The abuse was real while we measured, or the ratio means nothing.
    assert.ok(after.pids >= after.pidsMax - 8, `the fork bomb holds the pid limit (${after.pids}/${after.pidsMax})`);
    assert.ok(after.oomKills > 0, "the memory bomb met the OOM killer");
    // writeback to the sandbox's disk comes in bursts: count it from the abuse's start
    assert.ok(after.diskWritten > 0, "the disk filler wrote to its disk");
    assert.ok(after.flood > before.flood, "the output flood kept flowing");
    assert.ok(ratio <= MAX_RATIO, `neighbour's median latency ${ratio.toFixed(2)}x idle (limit ${MAX_RATIO}x)`);
  } finally {
    await abuser?.stop();
    await neighbour.close();
  }
});
