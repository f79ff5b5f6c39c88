// SPDX-License-Identifier: Apache-2.0
// Abuse from inside against a neighbour (issue 6): a sandbox running a fork
// bomb, a memory bomb, a disk filler and an output flood at once
// (tests/soak/abuser.mjs, a client process of its own), and another
// sandbox's sh`true` round trips measured idle and then during the abuse;
// peer: the same neighbour idle, in the same run. Prints median and p99 both
// ways, their ratios, and what the abuse did meanwhile. With a list of bombs,
// only those run (to tell their effects apart).
// Usage: node bench/abuse.mjs [SAMPLES] [flood,disk,memory,fork]   (default 500, all four;
// needs the default image; starts its own airlockd on AIRLOCK_STATE_DIR)
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
process.env.AIRLOCK_BUILD ??= path.resolve(here, "../build");
const { startServer } = await import(path.resolve(here, "../tests/e2e/server.mjs"));
const { Sandbox, latencies, stats, startAbuser, abuseEvidence, sleep } = await import(path.resolve(here, "../tests/soak/lib.mjs"));

const SAMPLES = Number(process.argv[2] ?? 500);
const BOMBS = process.argv[3] ?? "flood,disk,memory,fork";
const f = (s) => `median ${s.median.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms`;
// airlockd keeps every process a sandbox ran until the sandbox ends, and
// refuses a spawn past 256 (AL_MAX_PROCS): the neighbour is a new sandbox
// every BATCH samples, made outside the timed part.
const BATCH = 200;

// BENCH_TRACE=1: while a sample takes over 2 s, print where airlockd and the
// neighbour's processes wait (kernel stacks), once a second.
let current = null;
function watch(daemonPid) {
  if (!process.env.BENCH_TRACE) return null;
  return setInterval(() => {
    const t0 = current?.at.at(-1);
    if (!t0 || Date.now() - t0 < 2000) return;
    const dump = (pid) => {
      try {
        const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
        const stack = readFileSync(`/proc/${pid}/stack`, "utf8").trim().split("\n").slice(0, 6).join(" < ");
        return `  ${pid} ${comm} [${readFileSync(`/proc/${pid}/wchan`, "utf8")}] ${stack}`;
      } catch { return `  ${pid} gone`; }
    };
    const procs = [daemonPid];
    try {
      procs.push(...readFileSync(`/sys/fs/cgroup/pids/airlock/${current.id}/cgroup.procs`, "utf8").trim().split("\n"));
    } catch { /* v2 or gone */ }
    console.error(`sample in flight for ${Date.now() - t0} ms:\n${procs.map(dump).join("\n")}`);
  }, 1000);
}

async function measure(n, at) {
  const out = [];
  while (out.length < n) {
    const sb = await Sandbox.create();
    try {
      await latencies(sb, 5);
      current = { id: sb.id, at };
      out.push(...await latencies(sb, Math.min(BATCH, n - out.length), at));
    } finally {
      current = null;
      await sb.close();
    }
  }
  return out;
}

const server = await startServer({ stderr: "ignore" });
const watcher = watch(server.pid);
let abuser;
try {
  const idle = stats(await measure(SAMPLES, []));
  abuser = await startAbuser(BOMBS);
  await sleep(2000);
  const before = abuseEvidence(abuser);
  const at = [];
  const t0 = Date.now();
  const xs = await measure(SAMPLES, at);
  const busy = stats(xs);
  const after = abuseEvidence(abuser);
  console.log(`bombs: ${BOMBS}; ${SAMPLES} samples each way`);
  console.log(`neighbour sh\`true\` idle:        ${f(idle)}`);
  console.log(`neighbour sh\`true\` under abuse: ${f(busy)}`);
  console.log(`ratio: median ${(busy.median / idle.median).toFixed(2)}, p99 ${(busy.p99 / idle.p99).toFixed(2)}`);
  console.log(`abuse meanwhile (${((Date.now() - t0) / 1000).toFixed(1)} s): pids ${after.pids}/${after.pidsMax}, ` +
    `OOM kills ${before.oomKills} -> ${after.oomKills}, disk written +${((after.diskWritten - before.diskWritten) / 2 ** 20).toFixed(0)} MiB, ` +
    `output +${((after.flood - before.flood) / 2 ** 20).toFixed(0)} MiB`);
  const slow = xs.map((ms, i) => [ms, at[i] - t0]).filter(([ms]) => ms > 10 * idle.median);
  if (slow.length)
    console.log(`samples over 10x the idle median: ${slow.length}, e.g. ` +
      slow.slice(0, 8).map(([ms, when]) => `${ms.toFixed(0)} ms at +${(when / 1000).toFixed(1)} s`).join(", "));
} finally {
  clearInterval(watcher);
  await abuser?.stop();
  await server.stop();
}
