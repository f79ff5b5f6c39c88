// SPDX-License-Identifier: Apache-2.0
// Attacks through the API, driven by the official SDK against `airlockd
// serve` in both profiles: output floods (SEC-54), the file methods with
// traversal, magic links, races and special files (SEC-57..60), and what a
// process started in a running sandbox holds (SEC-61). The oracles are on
// the host: canary files whose content, mtime and atime must not change (the
// atime is set before the mtime, so under relatime any read moves it), the
// daemon's VmRSS, a neighbour's command latency. The in-sandbox half is
// tests/security/apiprobe.c.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BUILD, STATE_DIR, sleep } from "../e2e/helpers.mjs";
import { startServer } from "../e2e/server.mjs";

// The SDK and ws live in tests/e2e/node_modules; the same files server.mjs loads.
const E2E = path.join(path.dirname(fileURLToPath(import.meta.url)), "../e2e");
const SDK = path.join(E2E, "node_modules/@deno/sandbox/esm/mod.js");
const { Sandbox } = await import(SDK);
const { default: WebSocket } = await import(path.join(E2E, "node_modules/ws/wrapper.mjs"));

const PROBE = readFileSync(path.join(BUILD, "tests/security/apiprobe"));
const MIB = 1 << 20;
const tag = `h6-${process.pid}-${randomBytes(3).toString("hex")}`;
// Set before airlockd starts, so it inherits it: no sandbox process may see it.
const HOST_ENV = `hostenv-canary-${randomBytes(8).toString("hex")}`;
process.env.AIRLOCK_TEST_HOST_CANARY = HOST_ENV;

const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) * 1024;
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

// A host file no sandbox may read or change: unique content, atime older
// than mtime (so relatime updates it on any read), both remembered.
function makeCanary(file) {
  const content = `HOST-CANARY-${randomBytes(12).toString("hex")}\n`;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  utimesSync(file, new Date("2001-01-01T00:00:00Z"), new Date());
  const st = statSync(file);
  return { file, content, atimeMs: st.atimeMs, mtimeMs: st.mtimeMs };
}

function assertCanaryUntouched(c) {
  assert.equal(readFileSync(c.file, "utf8"), c.content, `${c.file} changed`);
  const st = statSync(c.file);
  assert.equal(st.mtimeMs, c.mtimeMs, `${c.file} was written`);
  // readFileSync above is after the stat we compare: atime is read first next time
  assert.equal(c.atimeSeen ?? st.atimeMs, c.atimeMs, `${c.file} was read (atime moved)`);
}

function canaryAtime(c) {
  c.atimeSeen = statSync(c.file).atimeMs;
  return c.atimeSeen;
}

// Settle a promise into {ok, value} or {ok:false, error}, with a deadline.
async function attempt(p, ms = 20000) {
  let timer;
  const deadline = new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`no answer within ${ms} ms`)), ms); });
  try {
    return { ok: true, value: await Promise.race([p, deadline]) };
  } catch (error) {
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

// An error that is the protocol's: a reconstructed ErrorObject (errno code
// or a known class), never a closed connection, a timeout or a parse failure.
function assertProtocolError(r, what) {
  assert.equal(r.ok, false, `${what} succeeded`);
  const e = r.error;
  assert.doesNotMatch(`${e.name} ${e.message}`, /ConnectionClosed|no answer within|ZodError|WebSocket/, `${what}: ${e.name}: ${e.message}`);
  assert.ok(typeof e.code === "string" || /^(TypeError|RangeError|NotFound|PermissionDenied|AlreadyExists|Error)$/.test(e.name),
    `${what}: not a protocol error: ${e.name} ${e.code} ${e.message}`);
}

async function withBox(fn) {
  const sandbox = await Sandbox.create();
  try {
    return await fn(sandbox);
  } finally {
    await sandbox.close().catch(() => {});
  }
}

async function putProbe(sandbox) {
  await sandbox.fs.writeFile("/tmp/apiprobe", PROBE, { mode: 0o755 });
}

async function runText(sandbox, cmd, args = []) {
  const r = await (await sandbox.spawn(cmd, { args, stdout: "piped", stderr: "piped" })).output();
  return { code: r.status.code, stdout: r.stdoutText, stderr: r.stderrText };
}

for (const profile of ["default", "strict"]) {
  describe(`through the API, ${profile} profile`, () => {
    let server;
    before(async () => { server = await startServer({ args: ["--profile", profile] }); });
    after(async () => { await server?.stop(); });

    // --- SEC-54: output floods -------------------------------------------------

    test(`SEC-54 (${profile}): a 10 s flood arrives whole; RSS bounded; a neighbour stays within 3x`, async () => {
      await withBox(async (neighbour) => {
        const lat = async () => { const t = process.hrtime.bigint(); await neighbour.sh`true`; return Number(process.hrtime.bigint() - t) / 1e6; };
        for (let i = 0; i < 3; i++) await lat(); // warm
        const idle = [];
        for (let i = 0; i < 15; i++) idle.push(await lat());
        // The flooding client is another process: its decoding must not slow our clock.
        const code = `
          const { Sandbox } = await import(${JSON.stringify(SDK)});
          const { readFileSync } = await import("node:fs");
          const sb = await Sandbox.create();
          await sb.fs.writeFile("/tmp/apiprobe", readFileSync(${JSON.stringify(path.join(BUILD, "tests/security/apiprobe"))}), { mode: 0o755 });
          const child = await sb.spawn("/tmp/apiprobe", { args: ["flood", "10"], stdout: "piped", stderr: "piped" });
          process.stdout.write("started\\n");
          let got = 0, bad = 0;
          const reader = child.stdout.getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            for (let i = 0; i < value.length; i += 4093) if (value[i] !== 97 + ((got + i) % 26)) bad++;
            got += value.length;
          }
          let err = "";
          for await (const c of child.stderr) err += new TextDecoder().decode(c);
          const st = await child.status;
          await sb.close();
          process.stdout.write(JSON.stringify({ got, bad, err, code: st.code }) + "\\n");`;
        const flooder = spawn(process.execPath, ["--input-type=module", "-e", code], { env: process.env });
        let out = "", errOut = "";
        flooder.stdout.on("data", (d) => { out += d; });
        flooder.stderr.on("data", (d) => { errOut += d; });
        const exited = new Promise((r) => flooder.on("close", r));
        while (!out.includes("started") && flooder.exitCode === null) await sleep(50);
        const before = rss(server.pid);
        let peak = before;
        const busy = [];
        const sampler = setInterval(() => { peak = Math.max(peak, rss(server.pid)); }, 100);
        const t0 = Date.now();
        while (Date.now() - t0 < 9000) busy.push(await lat());
        await exited;
        clearInterval(sampler);
        const res = JSON.parse(out.trim().split("\n").pop() || "{}");
        const wrote = Number(/wrote=(\d+)/.exec(res.err ?? "")?.[1]);
        const ratio = median(busy) / median(idle);
        console.log(`# SEC-54 ${profile}: flood ${(wrote / MIB).toFixed(0)} MiB in 10 s (${(wrote / MIB / 10).toFixed(0)} MiB/s), ` +
          `airlockd RSS +${((peak - before) / MIB).toFixed(1)} MiB, neighbour median ${median(idle).toFixed(1)} -> ${median(busy).toFixed(1)} ms (${ratio.toFixed(2)}x, ${busy.length} runs)`);
        if (process.env.AIRLOCK_SANITIZERS === "1" && Number.isNaN(wrote) && res.got > 4 * MIB) {
          // Recorded finding (docs/security-tests.md, SEC-54): with airlockd built
          // under ASan the probe's last stderr line ("wrote=N") does not reach the
          // client in this test; the normal build delivers it. What can be checked
          // without it is checked: the bytes arrived, in order.
          console.log(`# SEC-54 ${profile}: under the sanitizers the stderr report is missing: ${res.got} bytes arrived`);
        } else {
          assert.ok(wrote > 4 * MIB, `the flood wrote only ${wrote} bytes: ${out} ${errOut}`);
          assert.equal(res.got, wrote, "every byte the process wrote reached the client");
        }
        assert.equal(res.bad, 0, "bytes arrived in order");
        assert.ok(peak - before < 64 * MIB, `airlockd grew by ${((peak - before) / MIB).toFixed(0)} MiB`);
        assert.ok(ratio <= 3, `neighbour latency ${ratio.toFixed(2)}x of idle`);
      });
    });

    test(`SEC-54 (${profile}): a client that stops reading stalls its flood or is closed with 1008; RSS bounded`, async () => {
      const port = new URL(process.env.DENO_SANDBOX_ENDPOINT).port;
      const cfg = Buffer.from(JSON.stringify({ memory_mb: 1280, volumes: [] })).toString("base64");
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v3/sandboxes/create`,
        { headers: { authorization: `Bearer ${process.env.DENO_DEPLOY_TOKEN}`, "x-deno-sandbox-config": cfg } });
      const replies = new Map();
      let closeCode = null;
      ws.on("message", (d) => { const m = JSON.parse(d.toString()); if (m.id !== undefined) replies.set(m.id, m); });
      ws.on("close", (c) => { closeCode = c; });
      await new Promise((res, rej) => { ws.once("open", res); ws.once("error", rej); });
      const call = async (id, method, params) => {
        ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
        for (let i = 0; i < 400 && !replies.has(id); i++) await sleep(25);
        return replies.get(id);
      };
      const w = await call(1, "writeFile", { path: "/tmp/apiprobe", content: PROBE.toString("base64"), options: { mode: 0o755 } });
      assert.deepEqual(w?.result, { ok: null }, JSON.stringify(w));
      const s = await call(2, "spawn", { command: "/tmp/apiprobe", args: ["flood", "12"], stdout: "piped", stderr: "piped" });
      assert.ok(s?.result?.ok?.pid, JSON.stringify(s));
      ws._socket.pause(); // read nothing more: TCP fills, then airlockd's queue
      const before = rss(server.pid);
      let peak = before;
      const t0 = Date.now();
      while (Date.now() - t0 < 8000 && closeCode === null) {
        peak = Math.max(peak, rss(server.pid));
        await sleep(100);
      }
      // the flood process, seen from the host: how much it has managed to write
      let wchar = null;
      for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
        try {
          const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
          const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
          if (uid >= 1000000000 && cmd.startsWith("/tmp/apiprobe\0flood\0"))
            wchar = Math.max(wchar ?? 0, Number(/wchar: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, "utf8"))[1]));
        } catch { /* gone */ }
      }
      console.log(`# SEC-54 ${profile}: non-reading client: ${closeCode === null ? "kept open" : `closed ${closeCode}`}, ` +
        `flood wrote ${wchar === null ? "?" : (wchar / MIB).toFixed(1)} MiB, airlockd RSS +${((peak - before) / MIB).toFixed(1)} MiB`);
      ws._socket.resume();
      ws.terminate();
      assert.ok(peak - before < 64 * MIB, `airlockd grew by ${((peak - before) / MIB).toFixed(0)} MiB for a client that does not read`);
      if (closeCode !== null)
        assert.equal(closeCode, 1008);
      else
        assert.ok(wchar !== null && wchar < 64 * MIB, `the flood was not held back: it wrote ${wchar} bytes to a client that reads nothing`);
    });

    // --- SEC-57: path traversal --------------------------------------------------

    test(`SEC-57 (${profile}): traversal, absolute host paths, NUL, long names stay inside`, async () => {
      const name = `${tag}-57`;
      const canaries = [makeCanary(`/tmp/${name}`), makeCanary(`${STATE_DIR}/${name}-token`)];
      const control = makeCanary(`/tmp/${name}-control`);
      const local = mkdtempSync(`/tmp/${name}-local-`);
      writeFileSync(`${local}/up.txt`, "UPLOADED\n");
      const hostTmp = () => readdirSync("/tmp").filter((f) => f.includes(name)).sort();
      const tmpBefore = hostTmp();
      const results = [];
      await withBox(async (sb) => {
        const fs = sb.fs;
        // decoys at the same paths inside, so a path that resolves there is seen to
        await sb.sh`echo SANDBOX-DECOY > /tmp/${name}; echo SANDBOX-SRC > /home/app/src.txt; mkdir -p /home/app/d`;
        const paths = [
          `../../../../../../../tmp/${name}`, `/tmp/${name}`, `${STATE_DIR}/${name}-token`,
          `a/../../../../../../../../tmp/${name}`, `..\\..\\..\\..\\tmp\\${name}`, `%2e%2e/%2e%2e/%2e%2e/tmp/${name}`,
          "x".repeat(5000), "a/".repeat(2100) + "f",
          "", ".", `line\nbreak-${name}`, `/proc/1/root/../../../tmp/${name}`, `/proc/self/root/tmp/${name}`,
          `/proc/self/cwd/../../../../tmp/${name}`, "/etc/passwd", "/var/lib/airlock/token",
        ];
        const ops = {
          readTextFile: (p) => fs.readTextFile(p),
          readFile: (p) => fs.readFile(p),
          writeTextFile: (p) => fs.writeTextFile(p, "API-WROTE"),
          writeFile: (p) => fs.writeFile(p, new TextEncoder().encode("API-WROTE")),
          appendTextFile: (p) => fs.writeTextFile(p, "API-WROTE", { append: true }),
          remove: (p) => fs.remove(p),
          renameFrom: (p) => fs.rename(p, "/home/app/renamed"),
          renameTo: (p) => fs.rename("/home/app/src.txt", p).finally(() => sb.sh`echo SANDBOX-SRC > /home/app/src.txt`.noThrow()),
          copyFrom: (p) => fs.copyFile(p, "/home/app/copied"),
          copyTo: (p) => fs.copyFile("/home/app/src.txt", p),
          stat: (p) => fs.stat(p),
          readDir: async (p) => { const a = []; for await (const e of fs.readDir(p)) a.push(e.name); return a.join("\n"); },
          walk: async (p) => { const a = []; for await (const e of fs.walk(p, { maxDepth: 1 })) a.push(e.path); return a.join("\n"); },
          expandGlob: async (p) => { const a = []; for await (const e of fs.expandGlob(`${p}*`)) a.push(e.path); return a.join("\n"); },
          globRoot: async (p) => { const a = []; for await (const e of fs.expandGlob("*", { root: p })) a.push(e.path); return a.join("\n"); },
          mkdir: (p) => fs.mkdir(`${p}-dir`),
          truncate: (p) => fs.truncate(p, 0),
          chmod: (p) => fs.chmod(p, 0o777),
          symlink: (p) => fs.symlink(p, "/home/app/lnk").finally(() => fs.remove("/home/app/lnk").catch(() => {})),
          link: (p) => fs.link(p, "/home/app/hard").finally(() => fs.remove("/home/app/hard").catch(() => {})),
          open: async (p) => { const f = await fs.open(p, { read: true, write: true }); await f.close(); },
          realPath: (p) => fs.realPath(p),
        };
        for (const [op, fn] of Object.entries(ops))
          for (const p of paths) {
            const r = await attempt(Promise.resolve().then(() => fn(p)));
            results.push({ op, p, r });
            const text = r.ok ? (typeof r.value === "string" ? r.value : r.value instanceof Uint8Array ? new TextDecoder().decode(r.value) : "") : `${r.error?.message}`;
            for (const c of canaries) assert.ok(!text.includes(c.content.trim()), `${op}(${JSON.stringify(p.slice(0, 60))}) returned the host canary`);
            if (!r.ok) assertProtocolError(r, `${op}(${JSON.stringify(p.slice(0, 60))})`);
            // host paths never reach a client unless the client sent them
            if (!p.includes(STATE_DIR)) assert.ok(!text.includes(STATE_DIR), `${op}: ${text}`);
          }
        // upload to a traversing name lands inside; download of a tree holding
        // a symlink up and out writes only under the local directory
        await fs.upload(`${local}/up.txt`, `../../../../../../tmp/${name}-uploaded`);
        assert.equal(await sb.sh`cat /tmp/${name}-uploaded`.text(), "UPLOADED\n");
        await sb.sh`mkdir -p /home/app/tree && echo T > /home/app/tree/f && ln -s ../../../../../../tmp /home/app/tree/up`;
        mkdirSync(`${local}/dl`);
        await fs.download("/home/app/tree", `${local}/dl`);
        assert.equal(readFileSync(`${local}/dl/tree/f`, "utf8"), "T\n");
        // the relative traversal resolved inside: the sandbox's own /tmp file was the one written
        const inside = await sb.sh`cat /tmp/${name} 2>&1 || true`.text();
        console.log(`# SEC-57 ${profile}: ${results.length} calls, ${results.filter((x) => x.r.ok).length} resolved inside, ` +
          `${results.filter((x) => !x.r.ok).length} refused; sandbox's /tmp/${name} now ${JSON.stringify(inside.trim().slice(0, 40))}`);
        assert.equal(await sb.sh`echo alive`.text(), "alive\n", "the sandbox still answers");
      });
      for (const c of canaries) canaryAtime(c);
      for (const c of canaries) assertCanaryUntouched(c);
      assert.deepEqual(hostTmp(), tmpBefore, "nothing new appeared in the host's /tmp");
      // Negative control: the oracle sees a read, and the same relative path
      // used on the host (no sandbox between) does reach the host file.
      const viaHost = readFileSync(path.resolve("/home/app", `../../../../../../../tmp/${name}-control`), "utf8");
      assert.equal(viaHost, control.content);
      assert.notEqual(canaryAtime(control), control.atimeMs, "relatime did not move the control's atime: the atime oracle is blind here");
      for (const c of [...canaries, control]) rmSync(c.file, { force: true });
      rmSync(local, { recursive: true, force: true });
    });

    // --- SEC-58: symlinks, hard links, magic links ---------------------------------

    let hostFds = [];
    test(`SEC-58 (${profile}): symlinks and magic links resolve inside; airlock-init's own fds lead nowhere`, async () => {
      const name = `${tag}-58`;
      hostFds = [];
      const canary = makeCanary(`/tmp/${name}`);
      await withBox(async (sb) => {
        const fs = sb.fs;
        await sb.sh`echo SANDBOX-DECOY > /tmp/${name}; cd /home/app && ln -s /proc/1/root/tmp/${name} l-proc1 && ln -s /tmp/${name} l-host &&
          ln -s / hostroot && ln -s ../../../../../../ up && ln -s /proc/self/root l-selfroot && ln -s /proc/self/fd l-fd &&
          ln -s loop loop && ln -s /proc/self/cwd l-cwd`;
        // reads through each link see the sandbox's file, never the host's
        for (const p of ["l-proc1", "l-host", `hostroot/tmp/${name}`, `up/tmp/${name}`, `l-selfroot/tmp/${name}`, `l-cwd/tmp/${name}`, `/proc/1/root/tmp/${name}`])
          assert.equal(await fs.readTextFile(p), "SANDBOX-DECOY\n", p);
        assertProtocolError(await attempt(fs.readTextFile("loop")), "a symlink loop");
        // writes, copies and renames through them stay inside too
        await fs.writeTextFile("l-host", "API-THROUGH-LINK\n");
        assert.equal(await sb.sh`cat /tmp/${name}`.text(), "API-THROUGH-LINK\n");
        await fs.writeTextFile(`up/tmp/${name}`, "API-UP\n");
        await fs.copyFile("l-proc1", "copied");
        assert.equal(await fs.readTextFile("copied"), "API-UP\n");
        await fs.copyFile("copied", `hostroot/tmp/${name}`);
        await fs.rename("l-host", "l-host-moved");
        assert.equal((await fs.lstat("l-host-moved")).isSymlink, true, "rename moved the link, not its target");
        // /proc/self in a file call is airlock-init: its cwd and root are the sandbox's /
        assert.equal(await fs.readLink("/proc/self/cwd"), "/");
        assert.equal(await fs.readLink("/proc/self/root"), "/");
        // every descriptor airlock-init holds: none is a host path or a directory
        const fds = [];
        for await (const e of fs.readDir("l-fd")) fds.push(e.name);
        const targets = [];
        for (const n of fds) {
          // opening it is what would reach a host file: refused, or sandbox content only
          for (const op of [() => fs.writeTextFile(`/proc/self/fd/${n}`, "API-WROTE"), () => fs.truncate(`/proc/self/fd/${n}`, 0)]) {
            const w = await attempt(op(), 5000);
            if (!w.ok) assert.doesNotMatch(w.error.message, /no answer within/, `init fd ${n} hung`);
          }
          const t = await attempt(fs.readLink(`/proc/self/fd/${n}`));
          targets.push(`${n}:${t.ok ? t.value : t.error.code}`);
          // "/N": the uid slot's lock, opened through a detached mount of the slots
          // directory (src/runtime/slot.c) so that it names nothing of the host
          if (t.ok && !/^(pipe:|socket:|anon_inode:|\/dev\/(null|pts\/\d+|ptmx)$|\/proc\/\d+\/fd$|\/\d+$)/.test(t.value)) hostFds.push(`${n} -> ${t.value}`);
          assertProtocolError(await attempt((async () => { for await (const _ of fs.readDir(`/proc/self/fd/${n}`)); })()), `readDir of init fd ${n}`);
          const rd = await attempt(fs.readFile(`/proc/self/fd/${n}`), 5000);
          if (rd.ok) assert.ok(!new TextDecoder().decode(rd.value).includes(canary.content.trim()));
          else assert.doesNotMatch(rd.error.message, /no answer within/, `readFile of init fd ${n} hung`);
        }
        console.log(`# SEC-58 ${profile}: airlock-init's fds seen through the file API: ${targets.join(" ")}`);
        assert.ok(fds.length >= 3, `only ${fds.length} fds listed`);
        // init's environment, read through the file API: no host variable
        const env = await attempt(fs.readFile("/proc/self/environ"));
        if (env.ok) assert.ok(!new TextDecoder().decode(env.value).includes(HOST_ENV), "airlock-init carries the host's environment");
        assert.equal(await sb.sh`cat /tmp/${name}`.text(), "API-UP\n");
      });
      for (const f of hostFds) {
        // a host file behind one of init's fds: unchanged by the writes above
        const file = f.split(" -> ")[1];
        if (existsSync(file)) assert.equal(statSync(file).size, 0, `${file} was written through the file API`);
      }
      canaryAtime(canary);
      assertCanaryUntouched(canary);
      rmSync(canary.file, { force: true });
    });

    test(`SEC-58 (${profile}): no host path reaches the client through airlock-init's fds`, () => {
      assert.deepEqual(hostFds, [], "readLink('/proc/self/fd/N') in a file call names host files airlock-init holds");
    });

    test(`SEC-57 (${profile}): a NUL inside a path is refused in-band; the connection and sandbox live on`, async () => {
      await withBox(async (sb) => {
        for (const p of [`x\u0000/../../../../tmp/${tag}`, `/tmp/${tag}\u0000.txt`]) {
          assertProtocolError(await attempt(sb.fs.readTextFile(p)), `readTextFile(${JSON.stringify(p)})`);
          assertProtocolError(await attempt(sb.fs.writeTextFile(p, "x")), `writeTextFile(${JSON.stringify(p)})`);
        }
        // a NUL in content is data: it goes in and comes back
        await sb.fs.writeTextFile("nul.txt", "a\u0000b");
        assert.equal(await sb.fs.readTextFile("nul.txt"), "a\u0000b");
        assert.equal(await sb.sh`echo alive`.text(), "alive\n");
      });
    });

    test(`SEC-58 (${profile}): a hard link to a file the app user cannot write gives no write access`, async () => {
      await withBox(async (sb) => {
        const fs = sb.fs;
        const passwd = await sb.sh`sha256sum /etc/passwd`.text();
        // through the API, and from a command: protected_hardlinks refuses the link
        assertProtocolError(await attempt(fs.link("/etc/passwd", "pw-api")), "link(/etc/passwd)");
        const ln = await sb.sh`ln /etc/passwd /home/app/pw-sh 2>&1; echo rc=$?`.noThrow().text();
        assert.match(ln, /rc=1/);
        if (profile === "default") {
          // sandbox root may link it; the API still writes as the app user
          assert.match(await sb.sh`sudo ln /etc/passwd /home/app/pw-root && echo linked`.text(), /linked/);
          const w = await attempt(fs.writeTextFile("pw-root", "pwned\n"));
          assertProtocolError(w, "writeFile through a root-owned hard link");
          assert.equal(w.error.code, "EACCES");
          assertProtocolError(await attempt(fs.truncate("pw-root", 0)), "truncate through it");
          assertProtocolError(await attempt(fs.chmod("pw-root", 0o666)), "chmod through it");
        }
        assert.equal(await sb.sh`sha256sum /etc/passwd`.text(), passwd, "the sandbox's /etc/passwd is unchanged");
        // Negative control: a hard link to the user's own file does write through.
        await fs.writeTextFile("mine", "one\n");
        await fs.link("mine", "mine-link");
        await fs.writeTextFile("mine-link", "two\n");
        assert.equal(await fs.readTextFile("mine"), "two\n");
      });
    });

    // --- SEC-59: race-free file API ---------------------------------------------------

    test(`SEC-59 (${profile}): a directory/symlink swap loop never leads a file call to the host`, async () => {
      const name = `${tag}-59`;
      const canary = makeCanary(`/tmp/${name}/f`);
      const seen = new Map();
      await withBox(async (sb) => {
        const fs = sb.fs;
        await putProbe(sb);
        await sb.sh`mkdir -p /tmp/${name} /home/app/race/d && echo SANDBOX-DECOY > /tmp/${name}/f && echo INSIDE > /home/app/race/d/f && ln -s /tmp/${name} /home/app/race/s`;
        const swapper = await sb.spawn("/tmp/apiprobe", { args: ["swap", "race/d", "race/s", "8"], stdout: "piped", stderr: "piped" });
        const t0 = Date.now();
        let calls = 0;
        while (Date.now() - t0 < 6000) {
          const batch = await Promise.all([
            attempt(fs.readTextFile("race/d/f")), attempt(fs.writeTextFile("race/d/w", "W")),
            attempt(fs.copyFile("race/d/f", "race/copy")), attempt(fs.stat("race/d/f")),
            attempt(fs.readTextFile("race/d/../d/f")), attempt(fs.remove("race/d/w")),
          ]);
          calls += batch.length;
          for (const r of [batch[0], batch[4]]) {
            const k = r.ok ? r.value.trim() : r.error.code ?? r.error.message;
            seen.set(k, (seen.get(k) ?? 0) + 1);
          }
          for (const r of batch) if (!r.ok) assert.doesNotMatch(r.error.message, /no answer within/);
        }
        const out = await swapper.output();
        console.log(`# SEC-59 ${profile}: ${calls} calls during ${out.stdoutText.trim()}; reads saw ${JSON.stringify(Object.fromEntries(seen))}`);
        assert.match(out.stdoutText, /swaps=[1-9]/);
      });
      assert.ok(!seen.has(canary.content.trim()), "a read reached the host's file");
      // the race was real: reads went through the symlink (decoy) and the directory
      assert.ok(seen.has("SANDBOX-DECOY") && seen.has("INSIDE"), `the swap was never observed: ${[...seen.keys()]}`);
      canaryAtime(canary);
      assertCanaryUntouched(canary);
      assert.deepEqual(readdirSync(`/tmp/${name}`), ["f"], "nothing was written into the host directory");
      rmSync(`/tmp/${name}`, { recursive: true, force: true });
    });

    // --- SEC-60: special files and size bombs --------------------------------------------

    test(`SEC-60 (${profile}): devices, FIFOs, /proc and sparse files are refused or capped; airlockd unharmed`, async () => {
      await withBox(async (sb) => {
        const fs = sb.fs;
        await sb.sh`mkfifo /tmp/fifo && truncate -s 1T /tmp/sparse && python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.bind('/tmp/sock')"`;
        const before = rss(server.pid);
        for (const p of ["/dev/zero", "/dev/urandom", "/dev/null", "/tmp/fifo", "/tmp/sock", "/tmp/sparse", "/proc/self/pagemap", "/proc/self/mem", "/tmp"]) {
          const t = Date.now();
          const r = await attempt(fs.readFile(p), 30000);
          const ms = Date.now() - t;
          assertProtocolError(r, `readFile(${p})`);
          assert.ok(ms < 15000, `readFile(${p}) took ${ms} ms`);
          console.log(`# SEC-60 ${profile}: readFile(${p}) -> ${r.error.name} ${r.error.code}: ${r.error.message} (${ms} ms)`);
        }
        // text and copy variants of the same checks
        assertProtocolError(await attempt(fs.readTextFile("/dev/zero")), "readTextFile(/dev/zero)");
        assertProtocolError(await attempt(fs.copyFile("/dev/zero", "/tmp/z")), "copyFile(/dev/zero)");
        assertProtocolError(await attempt(fs.copyFile("/tmp/fifo", "/tmp/z")), "copyFile(fifo)");
        assert.ok(rss(server.pid) - before < 256 * MIB, "airlockd's RSS");
        assert.equal(await sb.sh`echo alive`.text(), "alive\n");
      });
    });

    test(`SEC-60 (${profile}): writeFile to a FIFO nobody reads does not block the sandbox's file API`, async () => {
      const sb = await Sandbox.create();
      try {
        await sb.sh`mkfifo /tmp/fifo`;
        const w = await attempt(sb.fs.writeTextFile("/tmp/fifo", "x"), 5000);
        const after = await attempt(sb.fs.stat("/tmp"), 5000);
        console.log(`# SEC-60 ${profile}: writeFile(fifo) -> ${w.ok ? "ok" : w.error.message}; a stat after it -> ${after.ok ? "ok" : after.error.message}`);
        assert.ok(after.ok, "after a writeFile to a FIFO, airlock-init answers nothing more (it blocks in open)");
        assertProtocolError(w, "writeFile(fifo)");
      } finally {
        await sb.kill().catch(() => {});
        await sb.close().catch(() => {});
      }
    });

    test(`SEC-60 (${profile}): a 64 MiB file reads whole, one byte more is refused; 200k entries capped`, async () => {
      await withBox(async (sb) => {
        const fs = sb.fs;
        await sb.sh`head -c ${String(64 * MIB)} /dev/urandom > /tmp/cap && head -c ${String(64 * MIB + 1)} /dev/zero > /tmp/over`;
        const before = rss(server.pid);
        let peak = before;
        const sampler = setInterval(() => { peak = Math.max(peak, rss(server.pid)); }, 50);
        const whole = await fs.readFile("/tmp/cap");
        assert.equal(whole.length, 64 * MIB);
        const over = await attempt(fs.readFile("/tmp/over"));
        assertProtocolError(over, "readFile of AL_MAX_FILE_READ + 1");
        assert.equal(over.error.code, "EFBIG");
        await sb.sh`mkdir /tmp/many && cd /tmp/many && python3 -c "
import os
for i in range(200000): os.close(os.open(str(i), os.O_CREAT | os.O_WRONLY))"`;
        let n = 0;
        const walked = await attempt((async () => { for await (const _ of fs.walk("/tmp/many")) n++; })(), 60000);
        const listed = [];
        for await (const e of fs.readDir("/tmp/many")) listed.push(e.name);
        clearInterval(sampler);
        console.log(`# SEC-60 ${profile}: walk over 200k entries -> ${walked.ok ? `${n} entries` : `${walked.error.code}: ${walked.error.message}`} ` +
          `(after ${n}); readDir -> ${listed.length}; airlockd RSS peak +${((peak - before) / MIB).toFixed(0)} MiB`);
        assert.ok(!walked.ok || n <= 100000, `walk yielded ${n} entries`);
        if (!walked.ok) assertProtocolError(walked, "walk of 200k");
        assert.ok(listed.length <= 100000, `readDir listed ${listed.length}`);
        assert.ok(peak - before < 512 * MIB, `airlockd grew by ${((peak - before) / MIB).toFixed(0)} MiB`);
        assert.equal(await sb.sh`echo alive`.text(), "alive\n");
      });
    });

    // --- SEC-61: exec into a running sandbox ---------------------------------------------

    test(`SEC-61 (${profile}): a spawned process holds only its stdio, no host cwd or env; pre-exec children cannot be attached`, async () => {
      await withBox(async (sb) => {
        await putProbe(sb);
        const self = await runText(sb, "/tmp/apiprobe", ["self"]);
        assert.equal(self.code, 0, self.stderr);
        const fds = [...self.stdout.matchAll(/^fd (\d+) (.*)$/gm)].map((m) => [Number(m[1]), m[2]]);
        assert.deepEqual(fds.map((f) => f[0]), [0, 1, 2], `fds: ${self.stdout}`);
        assert.equal(fds[0][1], "/dev/null");
        assert.match(self.stdout, /^cwd \/home\/app$/m);
        assert.match(self.stdout, /^root \/$/m);
        const env = await sb.sh`env; cat /proc/1/environ 2>&1 | tr '\\0' '\\n'`.noThrow().text();
        assert.ok(!env.includes(HOST_ENV), "a host variable reached the sandbox");
        assert.ok(!env.includes(process.cwd()), `the host cwd (${process.cwd()}) reached the sandbox`);
        assert.ok(!env.includes(STATE_DIR), "the state directory reached the sandbox");
        // a watcher attacks every process between fork and exec while we start 100
        const watchArgs = ["watch", "12"];
        const watchers = [await sb.spawn("/tmp/apiprobe", { args: watchArgs, stdout: "piped", stderr: "piped" })];
        if (profile === "default")
          watchers.push(await sb.spawn("sudo", { args: ["/tmp/apiprobe", ...watchArgs], stdout: "piped", stderr: "piped" }));
        await sleep(500);
        for (let i = 0; i < 100; i += 10)
          await Promise.all(Array.from({ length: 10 }, (_, j) =>
            sb.spawn((i + j) % 2 ? "true" : "no-such-command-airlock", { stdout: "null", stderr: "null" })
              .then((c) => c.status).catch(() => {})));
        for (const [k, w] of watchers.entries()) {
          const o = await w.output();
          console.log(`# SEC-61 ${profile}${k ? " (sandbox root)" : ""}: ${o.stdoutText.trim().replace(/\n/g, " ")}`);
          assert.match(o.stdoutText, /^pid1=EPERM$/m, "PID 1 (airlock-init) could be attached");
          assert.match(o.stdoutText, /^own_child=EPERM$/m, "the filter denies ptrace even of our own child");
          assert.match(o.stdoutText, /^pid1_environ=EACCES$/m, "PID 1's environment is readable");
          assert.match(o.stdoutText, /^own_child_environ=ok$/m, "control: our own dumpable child's environ is readable");
          assert.match(o.stdoutText, /^own_nondumpable_environ=EACCES$/m, "control: a non-dumpable child's is not");
          assert.match(o.stdoutText, /preexec_breached=0$/m);
        }
      });
    });
  });
}
