// SPDX-License-Identifier: Apache-2.0
// API benchmarks, each against a peer measured in the same run:
//   create-to-first-output through the SDK and through the CLI (median, p99),
//     against `airlockd run -- true`;
//   the round trip of sh`true` on a live sandbox;
//   stdout throughput through the SDK against `cat` of the same bytes to a
//     pipe on the host.
// Usage: node bench/api.mjs [N]   (needs the default image; starts its own airlockd)
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
process.env.AIRLOCK_BUILD ??= path.resolve(here, "../build");
const { Sandbox } = await import(path.resolve(here, "../tests/e2e/node_modules/@deno/sandbox/esm/mod.js"));
const { startServer } = await import(path.resolve(here, "../tests/e2e/server.mjs"));
const { AIRLOCKD, STATE_DIR } = await import(path.resolve(here, "../tests/e2e/helpers.mjs"));
const N = Number(process.argv[2] ?? 100);

const ms = () => Number(process.hrtime.bigint()) / 1e6;
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor((s.length - 1) / 2)], p99: s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)] };
};
const fmt = (x) => `${x.toFixed(1)} ms`;

const server = await startServer();
const AIRLOCK = path.join(process.env.AIRLOCK_BUILD, "airlock");
try {
  const sdk = [], cli = [], oneshot = [];
  for (let i = 0; i < N; i++) {
    let t = ms();
    const sb = await Sandbox.create();
    await sb.sh`echo hi`.text();
    sdk.push(ms() - t);
    await sb.close();
    t = ms();
    const r = spawnSync(AIRLOCK, ["run", "--", "echo", "hi"], { env: process.env });
    if (r.status !== 0) throw new Error(`airlock run failed: ${r.stderr}`);
    cli.push(ms() - t);
    t = ms();
    spawnSync(AIRLOCKD, ["--state-dir", STATE_DIR, "run", "--", "true"]);
    oneshot.push(ms() - t);
    if (process.env.BENCH_TRACE) console.error("iteration", i);
  }
  const s1 = stats(sdk), s2 = stats(cli), s3 = stats(oneshot);
  console.log(`create-to-first-output, ${N} sandboxes each:`);
  console.log(`  SDK          median ${fmt(s1.median)}  p99 ${fmt(s1.p99)}`);
  console.log(`  CLI          median ${fmt(s2.median)}  p99 ${fmt(s2.p99)}`);
  console.log(`  airlockd run median ${fmt(s3.median)}  p99 ${fmt(s3.p99)}   (peer)`);
  console.log(`  ratio CLI/airlockd-run ${(s2.median / s3.median).toFixed(2)}x, SDK/airlockd-run ${(s1.median / s3.median).toFixed(2)}x`);

  const sb = await Sandbox.create();
  const rt = [];
  for (let i = 0; i < N; i++) {
    const t = ms();
    await sb.sh`true`;
    rt.push(ms() - t);
  }
  const s4 = stats(rt);
  console.log(`sh\`true\` round trip on a live sandbox: median ${fmt(s4.median)}  p99 ${fmt(s4.p99)}`);

  const bytes = 256 << 20;
  let t = ms();
  const child = await sb.spawn("head", { args: ["-c", String(bytes), "/dev/zero"], stdout: "piped", stderr: "null" });
  const reader = child.stdout.getReader();
  let got = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    got += value.length;
  }
  const sdkSecs = (ms() - t) / 1000;
  t = ms();
  spawnSync("sh", ["-c", `head -c ${bytes} /dev/zero | cat > /dev/null`]);
  const hostSecs = (ms() - t) / 1000;
  const mb = got / (1 << 20);
  console.log(`stdout throughput: SDK ${(mb / sdkSecs).toFixed(0)} MiB/s, host pipe ${(mb / hostSecs).toFixed(0)} MiB/s, ratio ${(hostSecs / sdkSecs).toFixed(3)}`);
  await sb.close();
} finally {
  await server.stop();
}
