// SPDX-License-Identifier: Apache-2.0
// The official @deno/sandbox SDK, unchanged, against a real airlockd.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { Sandbox } from "@deno/sandbox";
import { startServer, withSandbox } from "./server.mjs";

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

test("the SDK README example", async () => {
  const sandbox = await Sandbox.create();
  assert.match(sandbox.id, /^sbx_[a-z]{3}_[0-9a-hjkmnp-z]{20}$/);
  const ls = await sandbox.sh`ls -lh /`.text();
  assert.match(ls, /home/);
  await sandbox.fs.writeTextFile("hello.txt", "hi");
  assert.equal(await sandbox.fs.readTextFile("hello.txt"), "hi");
  assert.equal(await sandbox.sh`cat /home/app/hello.txt`.text(), "hi");
  await sandbox.close();
});

test("spawn finds commands on the command's own PATH (/usr/local/bin)", async () => {
  await withSandbox({}, async (sandbox) => {
    const r = await sandbox.spawn("deno", { args: ["--version"], stdout: "piped", stderr: "piped" }).then((c) => c.output());
    assert.equal(r.status.code, 0, r.stderrText);
    assert.match(r.stdoutText, /^deno \d/);
  });
});

test("sh: text, json, exit codes and SandboxCommandError", async () => {
  await withSandbox({}, async (sandbox) => {
    assert.equal((await sandbox.sh`echo ${"a b"} ${"c'd"}`.text()).trim(), "a b c'd");
    assert.deepEqual(await sandbox.sh`echo '{"x":[1,2]}'`.json(), { x: [1, 2] });
    assert.equal((await sandbox.sh`id -u; pwd`.text()).trim(), "1000\n/home/app");
    assert.equal((await sandbox.sh`id -u`.sudo().text()).trim(), "1000", "the SDK drops .sudo() before .text()");
    assert.equal(await sandbox.sh`sudo id -u`.text(), "0\n");
    const r = await sandbox.sh`echo oops >&2; exit 3`.noThrow();
    assert.equal(r.status.code, 3);
    assert.equal(r.status.success, false);
    await assert.rejects(async () => await sandbox.sh`echo bad >&2; exit 5`.stderr("piped"), (e) => {
      assert.equal(e.name, "SandboxCommandError");
      assert.equal(e.code, 5);
      assert.match(e.message, /exit code 5/);
      return true;
    });
  });
});

test("spawn: piped stdin and stdout, large output in order", async () => {
  await withSandbox({}, async (sandbox) => {
    const child = await sandbox.spawn("cat", { stdin: "piped", stdout: "piped", stderr: "piped" });
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode("hello "));
    await w.write(new TextEncoder().encode("stdin"));
    await w.close();
    const out = await child.output();
    assert.equal(out.stdoutText, "hello stdin");
    assert.equal(out.status.code, 0);

    const big = await sandbox.spawn("seq", { args: ["1", "400000"], stdout: "piped", stderr: "null" });
    const res = await big.output();
    const want = Array.from({ length: 400000 }, (_, i) => i + 1).join("\n") + "\n";
    assert.equal(res.stdoutText.length, want.length);
    assert.equal(res.stdoutText, want);
  });
});

test("processKill: SIGTERM is 143, SIGKILL is 137", async () => {
  await withSandbox({}, async (sandbox) => {
    let child = await sandbox.spawn("sleep", { args: ["30"], stdout: "null", stderr: "null" });
    await child.kill();
    let st = await child.status;
    assert.deepEqual([st.code, st.signal, st.success], [143, "SIGTERM", false]);
    child = await sandbox.spawn("sleep", { args: ["30"], stdout: "null", stderr: "null" });
    await child.kill("SIGKILL");
    st = await child.status;
    assert.deepEqual([st.code, st.signal], [137, "SIGKILL"]);
    // killing it again is harmless (the SDK ignores ENOENT)
    await child.kill();
  });
});

test("a missing command is a NotFound error", async () => {
  await withSandbox({}, async (sandbox) => {
    await assert.rejects(sandbox.spawn("no-such-program-xyz"), /No such file or directory/);
  });
});

test("file system methods", async () => {
  await withSandbox({}, async (sandbox) => {
    const fs = sandbox.fs;
    await fs.mkdir("a/b/c", { recursive: true });
    await fs.writeFile("a/b/c/bin", new Uint8Array([0, 1, 2, 255]));
    assert.deepEqual([...await fs.readFile("a/b/c/bin")], [0, 1, 2, 255]);
    const st = await fs.stat("a/b/c/bin");
    assert.equal(st.isFile, true);
    assert.equal(st.size, 4);
    assert.ok(st.mtime instanceof Date);
    assert.equal(st.uid, 1000, "files written through the API belong to the app user");
    const names = [];
    for await (const e of fs.readDir("a/b/c")) names.push(e.name);
    assert.deepEqual(names, ["bin"]);
    await fs.rename("a/b/c/bin", "a/moved");
    assert.equal((await fs.lstat("a/moved")).size, 4);
    await fs.writeTextFile("a/t.txt", "one\n", {});
    await fs.writeTextFile("a/t.txt", "two\n", { append: true });
    assert.equal(await fs.readTextFile("a/t.txt"), "one\ntwo\n");
    await fs.remove("a", { recursive: true });
    await assert.rejects(fs.readTextFile("a/t.txt"), (e) => {
      assert.equal(e.code, "ENOENT");
      assert.match(e.message, /No such file or directory/);
      return true;
    });
    // a streamed upload (the SDK sends it as a client->server stream)
    const body = new ReadableStream({
      start(c) { c.enqueue(new TextEncoder().encode("streamed ")); c.enqueue(new TextEncoder().encode("content")); c.close(); },
    });
    await fs.writeFile("up.txt", body);
    assert.equal(await fs.readTextFile("up.txt"), "streamed content");
    const tmp = await fs.makeTempDir({ prefix: "x-" });
    assert.match(tmp, /^\/tmp\/x-/);
  });
});

test("file paths resolve inside the sandbox, never on the host", async () => {
  await withSandbox({}, async (sandbox) => {
    const name = `airlock-escape-${process.pid}`;
    await sandbox.fs.writeTextFile(`../../../../tmp/${name}`, "x");
    assert.equal(existsSync(`/tmp/${name}`), false);
    assert.equal((await sandbox.sh`cat /tmp/${name}`.text()), "x");
    await assert.rejects(sandbox.fs.readTextFile("/etc/shadow"), /Permission denied/);
  });
});

test("environment: envSet reaches later commands", async () => {
  await withSandbox({ env: { FROM_CREATE: "1" } }, async (sandbox) => {
    await sandbox.env.set("API_KEY", "secret-ish");
    assert.equal(await sandbox.env.get("API_KEY"), "secret-ish");
    assert.equal((await sandbox.sh`echo $API_KEY $FROM_CREATE`.text()).trim(), "secret-ish 1");
    assert.deepEqual(await sandbox.env.toObject(), { FROM_CREATE: "1", API_KEY: "secret-ish" });
    await sandbox.env.delete("API_KEY");
    assert.equal(await sandbox.env.get("API_KEY"), undefined);
  });
});

test("memory option reaches the cgroup; OOM is reported", async () => {
  await withSandbox({ memory: "768MiB" }, async (sandbox) => {
    const limit = (await sandbox.sh`cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max`.text()).trim();
    assert.equal(limit, String(768 * 1024 * 1024));
    await assert.rejects(async () => await sandbox.sh`python3 -c "x = b'a' * (1200 << 20)"`, /process ran out of memory/);
  });
});

test("session sandboxes end with their creator; timed ones outlive it", async () => {
  const session = await Sandbox.create();
  const id = session.id;
  await session.close();
  await new Promise((r) => setTimeout(r, 300));
  await assert.rejects(Sandbox.connect(id), /not found|SANDBOX_NOT_FOUND/i);

  const timed = await Sandbox.create({ timeout: "2m" });
  await timed.fs.writeTextFile("keep.txt", "kept");
  await timed.close();
  const again = await Sandbox.connect(timed.id);
  assert.equal(await again.fs.readTextFile("keep.txt"), "kept");
  await again.kill();
  await assert.rejects(Sandbox.connect(timed.id), /not found|SANDBOX_NOT_FOUND/i);
});

test("a wrong token is refused with InvalidTokenError", async () => {
  await assert.rejects(Sandbox.create({ token: "ddo_wrong" }), (e) => e.name === "InvalidTokenError");
});

test("methods of later issues answer with a clear error, never a hang", async () => {
  await withSandbox({}, async (sandbox) => {
    // exposeSsh works now: tests/e2e/ssh.test.mjs
    // deno.eval and the REPL work now: tests/e2e/deno.test.mjs
    await assert.rejects(sandbox.exposeVscode("/home/app"), /not supported/);
  });
});

test("file handles: open, write, seek, read, stat, truncate, lock, close", async () => {
  await withSandbox({}, async (sandbox) => {
    const f = await sandbox.fs.create("h.bin");
    assert.equal(await f.write(new TextEncoder().encode("hello world")), 11);
    assert.equal(await f.seek(6, 0), 6);
    const buf = new Uint8Array(5);
    assert.equal(await f.read(buf), 5);
    assert.equal(new TextDecoder().decode(buf), "world");
    assert.equal(await f.read(new Uint8Array(4)), null, "null at EOF");
    assert.equal(await f.seek(-5, 2), 6, "negative offset from the end");
    assert.equal((await f.stat()).size, 11);
    await f.truncate(5);
    await f.lock(true);
    await f.unlock();
    await f.close();
    assert.equal(await sandbox.fs.readTextFile("h.bin"), "hello");
    const r = await sandbox.fs.open("h.bin");
    const chunks = [];
    for await (const c of r.readable) chunks.push(...c);
    assert.equal(new TextDecoder().decode(new Uint8Array(chunks)), "hello");
    await assert.rejects(sandbox.fs.open("missing.bin"), (e) => e.code === "ENOENT");
  });
});

test("walk and expandGlob stream their entries", async () => {
  await withSandbox({}, async (sandbox) => {
    await sandbox.sh`mkdir -p w/a/b w/node_modules/x && touch w/a/one.ts w/a/b/two.ts w/a/b/three.js w/node_modules/x/four.ts`;
    const all = [];
    for await (const e of sandbox.fs.walk("w")) all.push(e.path);
    assert.deepEqual(all.sort(), ["w", "w/a", "w/a/b", "w/a/b/three.js", "w/a/b/two.ts", "w/a/one.ts",
      "w/node_modules", "w/node_modules/x", "w/node_modules/x/four.ts"].sort());
    const ts = [];
    for await (const e of sandbox.fs.walk("w", { exts: ["ts"], skip: [/node_modules/], includeDirs: false })) ts.push(e.name);
    assert.deepEqual(ts.sort(), ["one.ts", "two.ts"]);
    const shallow = [];
    for await (const e of sandbox.fs.walk("w", { maxDepth: 1 })) shallow.push(e.path);
    assert.deepEqual(shallow.sort(), ["w", "w/a", "w/node_modules"]);
    const globbed = [];
    for await (const e of sandbox.fs.expandGlob("w/**/*.ts", { exclude: ["**/node_modules/**"] })) globbed.push(e.path);
    assert.deepEqual(globbed.sort(), ["/home/app/w/a/b/two.ts", "/home/app/w/a/one.ts"]);
    await assert.rejects(async () => { for await (const _ of sandbox.fs.walk("nope")) { /* none */ } }, /No such file/);
  });
});

test("a timed sandbox ends at its time; extendTimeout moves it", async () => {
  const sandbox = await Sandbox.create({ timeout: "2s" });
  const until = await sandbox.extendTimeout("3s");
  assert.ok(until instanceof Date);
  assert.ok(until.getTime() > Date.now() + 1000, `new stop time ${until.toISOString()}`);
  const t0 = Date.now();
  await sandbox.closed.catch(() => {});
  const lived = Date.now() - t0;
  assert.ok(lived >= 1500 && lived < 15000, `ended after ${lived} ms`);
  await assert.rejects(Sandbox.connect(sandbox.id), /not found|SANDBOX_NOT_FOUND/i);
});

test("every fs method, and its errors by class", async () => {
  await withSandbox({}, async (sandbox) => {
    const fs = sandbox.fs;
    await fs.writeTextFile("f.txt", "data");
    await assert.rejects(fs.writeTextFile("f.txt", "x", { createNew: true }), (e) => e.code === "EEXIST" && /File exists/.test(e.message));
    await fs.mkdir("d");
    await assert.rejects(fs.mkdir("d"), (e) => e.code === "EEXIST");
    await fs.writeTextFile("d/inner", "x");
    await assert.rejects(fs.remove("d"), (e) => e.code === "ENOTEMPTY");
    await assert.rejects(async () => { for await (const _ of fs.readDir("f.txt")) { /* none */ } }, (e) => e.code === "ENOTDIR");
    await assert.rejects(fs.stat("nope"), (e) => e.code === "ENOENT");
    await fs.chmod("f.txt", 0o600);
    assert.equal((await fs.stat("f.txt")).mode & 0o777, 0o600);
    await fs.chown("f.txt", null, null);
    await fs.copyFile("f.txt", "g.txt");
    assert.equal(await fs.readTextFile("g.txt"), "data");
    await fs.link("g.txt", "h.txt");
    assert.equal((await fs.stat("g.txt")).nlink, 2);
    await fs.symlink("g.txt", "s.txt");
    assert.equal(await fs.readLink("s.txt"), "g.txt");
    assert.equal((await fs.lstat("s.txt")).isSymlink, true);
    assert.equal(await fs.realPath("s.txt"), "/home/app/g.txt");
    await fs.truncate("g.txt", 2);
    assert.equal(await fs.readTextFile("g.txt"), "da");
    const old = await fs.umask(0o077);
    assert.equal(await fs.umask(), 0o077);
    await fs.umask(old);
    await fs.utime("g.txt", new Date(1000000000000), new Date(1500000000000));
    assert.equal((await fs.stat("g.txt")).mtime.getTime(), 1500000000000);
    const tf = await fs.makeTempFile({ prefix: "p-", suffix: ".tmp" });
    assert.match(tf, /^\/tmp\/p-.*\.tmp$/);
    // (on Node the SDK has no Deno.errors classes: the class name travels, the code decides)
    await assert.rejects(fs.readTextFile("/proc/1/environ"), (e) => e.code === "EACCES");
  });
});

test("binary output and a process tree killed whole", async () => {
  await withSandbox({}, async (sandbox) => {
    const out = await sandbox.spawn("python3", { args: ["-c", "import sys; sys.stdout.buffer.write(bytes(range(256)) * 3)"], stdout: "piped", stderr: "null" }).then((c) => c.output());
    assert.deepEqual([...out.stdout], [...Array(3)].flatMap(() => [...Array(256).keys()]));
    const tree = await sandbox.spawn("sh", { args: ["-c", "sleep 100 & sleep 100 & wait"], stdout: "null", stderr: "null" });
    await new Promise((r) => setTimeout(r, 300));
    await tree.kill("SIGKILL");
    assert.equal((await tree.status).code, 137);
    assert.equal((await sandbox.sh`pgrep -c sleep || true`.text()).trim(), "0");
  });
});

test("100 MB of stdout streams through with bounded daemon memory", async () => {
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, "utf8"))[1]) * 1024;
  await withSandbox({}, async (sandbox) => {
    const before = rss();
    let peak = before, total = 0;
    const child = await sandbox.spawn("head", { args: ["-c", String(100 << 20), "/dev/zero"], stdout: "piped", stderr: "null" });
    const reader = child.stdout.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.length;
      if ((total & 0xfffff) < value.length) peak = Math.max(peak, rss());
      if (total % (8 << 20) < value.length) await new Promise((r) => setTimeout(r, 20)); // a slow reader
    }
    assert.equal(total, 100 << 20);
    assert.equal((await child.status).code, 0);
    assert.ok(peak - before < 64 << 20, `airlockd grew by ${(peak - before) >> 20} MiB`);
  });
});

test("50 sandboxes used at once by one client", async () => {
  const boxes = await Promise.all(Array.from({ length: 50 }, () => Sandbox.create()));
  try {
    const outs = await Promise.all(boxes.map((b, i) => b.sh`echo ${String(i)} $(hostname)`.text()));
    outs.forEach((o, i) => assert.match(o, new RegExp(`^${i} ${boxes[i].id}\\n$`)));
    assert.equal(new Set(boxes.map((b) => b.id)).size, 50);
  } finally {
    await Promise.all(boxes.map((b) => b.close()));
  }
});

test("the README's upload, download and command cancellation", async () => {
  const { mkdtempSync, mkdirSync, writeFileSync: write, readFileSync: read, rmSync } = await import("node:fs");
  const { KillController } = await import("@deno/sandbox");
  const local = mkdtempSync("/tmp/airlock-up-");
  try {
    write(`${local}/README.md`, "# readme\n");
    mkdirSync(`${local}/proj/src`, { recursive: true });
    write(`${local}/proj/src/main.ts`, "console.log(1)\n");
    await withSandbox({}, async (sandbox) => {
      await sandbox.fs.upload(`${local}/README.md`, "./readme-copy.md");
      assert.equal(await sandbox.fs.readTextFile("readme-copy.md"), "# readme\n");
      await sandbox.fs.upload(`${local}/proj`, ".");
      assert.equal(await sandbox.fs.readTextFile("proj/src/main.ts"), "console.log(1)\n");
      mkdirSync(`${local}/back`);
      await sandbox.fs.download("proj", `${local}/back`);
      assert.equal(read(`${local}/back/proj/src/main.ts`, "utf8"), "console.log(1)\n");

      // cancellation: .signal() must be the last modifier for the SDK to send processKill
      const controller = new KillController();
      const t0 = Date.now();
      const cmd = sandbox.sh`sleep 30`.signal(controller.signal);
      setTimeout(() => controller.kill(), 500);
      await assert.rejects(async () => await cmd);
      assert.ok(Date.now() - t0 < 10000, "the sleep was killed");
    });
  } finally {
    rmSync(local, { recursive: true, force: true });
  }
});

test("abort fails the call it targets, and only that one", async () => {
  await withSandbox({}, async (sandbox) => {
    const ac = new AbortController();
    const body = new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1, 2, 3])); } }); // never ends
    const write = sandbox.fs.writeFile("never.bin", body, { signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    await assert.rejects(write, (e) => /abort/i.test(`${e.name} ${e.message}`));
    assert.equal(await sandbox.sh`echo alive`.text(), "alive\n");
  });
});
