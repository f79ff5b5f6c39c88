// SPDX-License-Identifier: Apache-2.0
// The SSH gateway (exposeSsh) driven by the Debian OpenSSH client: commands,
// exit statuses, an interactive shell in a PTY, window size, refused and
// expired usernames, a client dropping mid-session.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Sandbox } from "@deno/sandbox";
import { BUILD, sleep } from "./helpers.mjs";
import { startServer, freePort } from "./server.mjs";

const haveSsh = spawnSync("ssh", ["-V"]).status === 0;
const haveScript = spawnSync("script", ["--version"]).status === 0;
let server, sandbox, sshPort, creds;

function sshArgs(user, extra = []) {
  return ["-p", String(sshPort), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
    "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", ...extra, `${user}@${creds.hostname}`];
}

// ssh to completion; resolves {code, stdout, stderr}.
function ssh(user, cmd, { input, extra = [], timeout = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn("ssh", [...sshArgs(user, extra), ...(cmd ? ["--", cmd] : [])]);
    const out = [], err = [];
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`ssh timed out: ${Buffer.concat(out)}`)); }, timeout);
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.stdin.end(input ?? "");
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

const skip = !haveSsh ? "the OpenSSH client is not installed (apt-get install openssh-client)" : false;

before(async () => {
  if (skip) return;
  sshPort = await freePort();
  // AIRLOCK_SSH_IMAGE: another image to boot (one with sftp-server before the default has it)
  const image = process.env.AIRLOCK_SSH_IMAGE ? ["--image", process.env.AIRLOCK_SSH_IMAGE] : [];
  server = await startServer({ args: ["--ssh-listen", `127.0.0.1:${sshPort}`, ...image] });
  sandbox = await Sandbox.create();
  creds = await sandbox.exposeSsh();
});

after(async () => {
  await sandbox?.kill().catch(() => {});
  await server?.stop();
});

test("exposeSsh returns the listener's host and an unguessable username, the same each time", { skip }, async () => {
  assert.equal(creds.hostname, "127.0.0.1");
  assert.match(creds.username, /^[a-z0-9]{32}$/);
  assert.deepEqual(await sandbox.exposeSsh(), creds);
});

test("ssh USER@HOST -- CMD runs the command as app and passes its output and exit status back", { skip }, async () => {
  const r = await ssh(creds.username, "echo hi; whoami; echo oops >&2");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "hi\napp\n");
  assert.equal(r.stderr, "oops\n");
  assert.equal((await ssh(creds.username, "exit 3")).code, 3);
  assert.equal((await ssh(creds.username, "nosuchcommand-xyz")).code, 127);
});

test("stdin reaches the command and its end is an end of file", { skip }, async () => {
  const r = await ssh(creds.username, "wc -c; tr a-z A-Z </dev/null", { input: "x".repeat(300000) });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "300000");
});

test("an interactive session gets a login shell in a PTY as app", { skip }, async () => {
  const r = await ssh(creds.username, null, {
    extra: ["-tt"],
    input: "echo result=$((6*7)) $(whoami) $(tty); exit 5\n",
  });
  assert.match(r.stdout, /result=42 app \/dev\/pts\/\d+/);
  assert.equal(r.code, 5);
});

test("^C in an interactive session interrupts the foreground command, not the shell", { skip }, async () => {
  const child = spawn("ssh", [...sshArgs(creds.username, ["-tt"])]);
  let out = "";
  child.stdout.on("data", (d) => { out += d; });
  child.stdin.write("sleep 30; echo slept\n");
  await sleep(1500);
  child.stdin.write("\x03");
  await sleep(300);
  child.stdin.write("echo after=$?; exit\n");
  const code = await new Promise((r) => child.on("close", r));
  assert.match(out, /after=130/, out);
  assert.doesNotMatch(out, /\nslept/);
  assert.equal(code, 0);
});

test("the terminal's size is passed at start and on change (window-change)", { skip: skip || (!haveScript && "script(1) is missing") }, async () => {
  const target = sshArgs(creds.username, ["-tt"]).map((a) => `'${a}'`).join(" ");
  // ssh runs in a PTY made by script(1); the shell resizes that PTY and tells ssh with SIGWINCH
  const inner = `stty rows 30 cols 100; ssh ${target} -- 'stty size; sleep 2; stty size' </dev/tty & ` +
    `sleep 1; stty rows 40 cols 120; kill -WINCH $!; wait $!`;
  const r = spawnSync("script", ["-qec", inner, "/dev/null"], { timeout: 30000 });
  const out = r.stdout.toString();
  assert.match(out, /30 100\r?\n[^]*40 120/, out);
});

test("scp both ways and sftp (OpenSSH's sftp-server, run inside the sandbox as app)", { skip }, async (t) => {
  if ((await ssh(creds.username, "test -x /usr/lib/openssh/sftp-server")).code !== 0)
    return t.skip("the image has no sftp-server: rebuild it (make image; images/default/packages lists openssh-sftp-server)");
  const dir = mkdtempSync(path.join(tmpdir(), "airlock-ssh-"));
  const data = randomBytes(3_000_000);
  writeFileSync(path.join(dir, "up.bin"), data);
  const opts = ["-P", String(sshPort), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
    "-o", "LogLevel=ERROR", "-o", "BatchMode=yes"];
  const dest = `${creds.username}@${creds.hostname}`;
  let r = spawnSync("scp", [...opts, path.join(dir, "up.bin"), `${dest}:up.bin`], { timeout: 30000 });
  assert.equal(r.status, 0, r.stderr?.toString());
  assert.equal((await ssh(creds.username, "sha256sum <up.bin | cut -d' ' -f1; stat -c %U up.bin")).stdout,
    `${createHash("sha256").update(data).digest("hex")}\napp\n`);
  r = spawnSync("scp", [...opts, `${dest}:up.bin`, path.join(dir, "down.bin")], { timeout: 30000 });
  assert.equal(r.status, 0, r.stderr?.toString());
  assert.ok(readFileSync(path.join(dir, "down.bin")).equals(data));
  r = spawnSync("sftp", [...opts, "-b", "-", dest], { input: "mkdir d\nput " + path.join(dir, "up.bin") + " d/x\nls -l d\n",
    timeout: 30000 });
  assert.equal(r.status, 0, r.stderr?.toString());
  assert.match(r.stdout.toString(), /app\s+app\s+3000000 .* d\/x/);
  rmSync(dir, { recursive: true });
});

test("airlock ssh ID -- CMD runs a command over the gateway, the host key pinned", { skip }, async () => {
  const r = spawnSync(path.join(BUILD, "airlock"), ["ssh", sandbox.id, "--", "echo", "via cli; exit 4"],
    { timeout: 30000, env: process.env });
  assert.equal(r.stdout.toString(), "via cli\n", r.stderr.toString());
  assert.equal(r.status, 4);
  const bad = spawnSync(path.join(BUILD, "airlock"), ["ssh", "sbx_nope"], { timeout: 30000, env: process.env });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr.toString(), /no such sandbox/);
});

test("a wrong username is refused", { skip }, async () => {
  const r = await ssh("a".repeat(32), "echo in");
  assert.equal(r.code, 255);
  assert.match(r.stderr, /Permission denied/);
  assert.doesNotMatch(r.stdout, /in/);
});

test("the gateway survives a client that drops mid-session", { skip }, async () => {
  const child = spawn("ssh", [...sshArgs(creds.username, ["-tt"]), "--", "sleep 60"], { stdio: ["pipe", "pipe", "pipe"] });
  await sleep(1500);
  child.kill("SIGKILL");
  await new Promise((r) => child.on("close", r));
  const r = await ssh(creds.username, "echo still here");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "still here\n");
  // the dropped session's process was hung up
  for (let i = 0; ; i++) {
    const ps = await ssh(creds.username, "pgrep -x sleep || true");
    if (ps.stdout.trim() === "") break;
    assert.ok(i < 20, `sleep still runs: ${ps.stdout}`);
    await sleep(250);
  }
});

test("the username stops working when the sandbox ends", { skip }, async () => {
  const other = await Sandbox.create();
  const { username } = await other.exposeSsh();
  assert.notEqual(username, creds.username);
  assert.equal((await ssh(username, "true")).code, 0);
  const live = ssh(username, "sleep 60; echo never", { timeout: 20000 }); // cut when the sandbox goes
  await sleep(1000);
  await other.kill();
  const cut = await live;
  assert.equal(cut.code, 255);
  assert.doesNotMatch(cut.stdout, /never/);
  const r = await ssh(username, "echo in");
  assert.equal(r.code, 255);
  assert.match(r.stderr, /Permission denied/);
});
