// SPDX-License-Identifier: Apache-2.0
// The network door, end to end and offline: fake upstreams on the host's
// loopback are reached only through operator overrides (--net-override), as
// an air-gapped site would do; everything else is refused.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import path from "node:path";
import { readFileSync, statSync } from "node:fs";
import { Sandbox } from "@deno/sandbox";
import { startServer, withSandbox } from "./server.mjs";
import { makeTestPki, startUpstreams } from "./upstreams.mjs";
import { BUILD, STATE_DIR } from "./helpers.mjs";

const SECRET = "real-secret-7f3c9a";
let server, up, pki;

before(async () => {
  pki = makeTestPki(["api.example.test", "other.example.test", "*.pkg.example.test", "pkg.example.test"]);
  up = await startUpstreams(pki);
  const p = up.ports;
  const o = [
    `api.example.test:443=127.0.0.1:${p.https}`,
    `other.example.test:443=127.0.0.1:${p.https}`,
    `a.pkg.example.test:443=127.0.0.1:${p.https}`,
    `b.c.pkg.example.test:443=127.0.0.1:${p.https}`,
    `pkg.example.test:443=127.0.0.1:${p.https}`,
    `a.pkg.example.test:80=127.0.0.1:${p.http}`,
    `plain.example.test:80=127.0.0.1:${p.http}`,
    `api.example.test:80=127.0.0.1:${p.http}`,
    `tcp.example.test:7000=127.0.0.1:${p.tcp}`,
    `tcp.example.test:7001=127.0.0.1:${p.tcp}`,
    `selfsigned.example.test:443=127.0.0.1:${p.self}`,
    `203.0.113.5:9000=127.0.0.1:${p.tcp}`,
  ];
  server = await startServer({ args: [...o.flatMap((x) => ["--net-override", x]), "--upstream-ca", pki.caFile] });
});
after(async () => {
  await server?.stop();
  await up?.close();
});

// Run a shell script; returns { code, out, err }.
async function sh(sandbox, script) {
  const child = await sandbox.spawn("bash", { args: ["-c", script], stdout: "piped", stderr: "piped" });
  const r = await child.output();
  return { code: r.status.code, out: r.stdoutText, err: r.stderrText };
}

async function netlog(sandbox) {
  const res = await fetch(`${server.endpoint}/api/v3/sandbox/${sandbox.id}/netlog`,
    { headers: { authorization: `Bearer ${server.token}` } });
  assert.equal(res.status, 200);
  return (await res.json()).records;
}

// The record for host:port, waiting briefly: records arrive when a connection closes.
async function record(sandbox, host, port) {
  for (let i = 0; i < 50; i++) {
    const r = (await netlog(sandbox)).filter((x) => (x.name === host || x.addr === host || x.dst === host) && x.port === port);
    if (r.length) return r[r.length - 1];
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.fail(`no egress record for ${host}:${port}`);
}

test("allowNet: allowed names pass, others are refused fast and clearly", async () => {
  await withSandbox({ allowNet: ["api.example.test:443", "plain.example.test:80"] }, async (sandbox) => {
    const ok = await sh(sandbox, "curl -sk --max-time 10 https://api.example.test/hello");
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /hello from api\.example\.test GET \/hello/);
    const t0 = Date.now();
    const bad = await sh(sandbox, "curl -sk --max-time 10 https://other.example.test/");
    assert.notEqual(bad.code, 0);
    assert.ok(Date.now() - t0 < 3000, "a refusal is fast, never a hang");
    const rec = await record(sandbox, "other.example.test", 443);
    assert.equal(rec.decision, "deny");
    assert.match(rec.reason, /not in this sandbox's allowNet/);
    // plain HTTP gets a 403 that says why
    const http = await sh(sandbox, "curl -s --max-time 10 -w '%{http_code}' http://api.example.test/");
    assert.match(http.out, /403$/);
    assert.match(http.out, /airlock: connection to api\.example\.test:80 refused: .*allowNet/);
    const plain = await sh(sandbox, "curl -s --max-time 10 http://plain.example.test/x");
    assert.match(plain.out, /hello from plain\.example\.test GET \/x/);
    const allowed = await record(sandbox, "api.example.test", 443);
    assert.equal(allowed.decision, "allow");
    assert.ok(allowed.bytes_out > 0 && allowed.bytes_in > 0);
  });
});

test("allowNet: wildcards, ports, names in any case, and the apex", async () => {
  await withSandbox({ allowNet: ["*.pkg.example.test:443", "tcp.example.test:7000"] }, async (sandbox) => {
    for (const url of ["https://a.pkg.example.test/", "https://b.c.pkg.example.test/", "https://A.PKG.Example.Test./"]) {
      const r = await sh(sandbox, `curl -sk --max-time 10 ${url}`);
      assert.equal(r.code, 0, `${url}: ${r.err}`);
    }
    for (const url of ["https://pkg.example.test/", "http://a.pkg.example.test/"]) {
      const r = await sh(sandbox, `curl -sk --max-time 10 -o /dev/null -w '%{http_code}' ${url}`);
      assert.ok(r.code !== 0 || r.out === "403", `${url} must be refused, got ${r.code} ${r.out}`);
    }
    const echo = await sh(sandbox, "exec 3<>/dev/tcp/tcp.example.test/7000; echo ping >&3; head -1 <&3");
    assert.equal(echo.out, "ping\n");
    const other = await sh(sandbox, "exec 3<>/dev/tcp/tcp.example.test/7001 && echo ping >&3 && head -1 <&3");
    assert.notEqual(other.out, "ping\n");
    assert.equal((await record(sandbox, "tcp.example.test", 7001)).decision, "deny");
  });
});

test("allowNet: IP literals, the empty list, and a program that ignores proxy variables", async () => {
  await withSandbox({ allowNet: ["203.0.113.5:9000"] }, async (sandbox) => {
    const ok = await sh(sandbox, "exec 3<>/dev/tcp/203.0.113.5/9000; echo ip >&3; head -1 <&3");
    assert.equal(ok.out, "ip\n");
    const bad = await sh(sandbox, "timeout 5 bash -c 'exec 3<>/dev/tcp/203.0.113.6/9000 && echo x >&3 && head -1 <&3'");
    assert.notEqual(bad.out, "x\n");
    assert.equal((await record(sandbox, "203.0.113.6", 9000)).decision, "deny");
  });
  await withSandbox({ allowNet: [] }, async (sandbox) => {
    const py = `python3 - <<'EOF'
import os, socket
for k in list(os.environ):
    if k.lower().endswith("_proxy"): del os.environ[k]
s = socket.create_connection(("api.example.test", 443), timeout=5)
try:
    s.sendall(b"hello")
    print("got", s.recv(10))
except OSError as e:
    print("refused", e.errno)
EOF`;
    const r = await sh(sandbox, py);
    assert.match(r.out, /refused|got b''/);
    assert.equal((await record(sandbox, "api.example.test", 443)).decision, "deny");
  });
});

test("UDP other than DNS is refused; DNS gives synthetic answers and forwards nothing", async () => {
  await withSandbox({}, async (sandbox) => {
    const r = await sh(sandbox, `python3 - <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for dst in [("198.51.100.7", 443), ("198.51.100.7", 123)]:
    try:
        s.sendto(b"x", dst); print("sent", dst[1])
    except OSError as e:
        print("refused", dst[1], e.errno)
print(socket.gethostbyname("api.example.test"))
print(socket.gethostbyname("never-seen-before.example.test"))
EOF`);
    assert.match(r.out, /refused 443/);
    assert.match(r.out, /refused 123/);
    const lines = r.out.trim().split("\n");
    assert.match(lines[2], /^198\.1[89]\./);
    assert.match(lines[3], /^198\.1[89]\./);
    assert.notEqual(lines[2], lines[3]);
  });
});

test("the host's loopback, private and metadata ranges are refused even without allowNet", async () => {
  await withSandbox({}, async (sandbox) => {
    for (const [ip, port] of [["169.254.169.254", 80], ["10.0.0.1", 80], ["100.100.100.200", 80], ["192.168.1.1", 443],
      ["169.254.170.2", 80], ["168.63.129.16", 80], ["fd00:ec2::254", 80]]) {
      const url = ip.includes(":") ? `http://[${ip}]:${port}/` : `http://${ip}:${port}/latest/meta-data/`;
      const r = await sh(sandbox, `curl -s --max-time 5 ${url}`);
      assert.notEqual(r.code, 0, `${ip} must be refused`);
      const rec = await record(sandbox, ip, port);
      assert.equal(rec.decision, "deny");
    }
    // "localhost" asked of our DNS (not the sandbox's hosts file) resolves on the host to its loopback
    const r = await sh(sandbox, `python3 - <<'EOF'
import socket, struct
q = struct.pack(">HHHHHH", 7, 0x100, 1, 0, 0, 0) + b"\\x09localhost\\x00" + struct.pack(">HH", 1, 1)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(3)
u.sendto(q, ("127.0.0.1", 53)); a = u.recv(512)
ip = socket.inet_ntoa(a[-4:]); print(ip)
try:
    socket.create_connection((ip, ${server.port}), timeout=5).recv(1); print("connected")
except OSError as e:
    print("refused")
EOF`);
    // SEC-31: that is where airlockd's own API listens
    assert.match(r.out, /refused/);
    const rec = await record(sandbox, "localhost", server.port);
    assert.equal(rec.decision, "deny");
    assert.match(rec.reason, /loopback/);
  });
});

test("secrets: a placeholder inside, the real value only at its host, never coming back", async () => {
  const secrets = { API_KEY: { hosts: ["api.example.test"], value: SECRET } };
  await withSandbox({ allowNet: ["api.example.test", "other.example.test"], secrets }, async (sandbox) => {
    const env = await sh(sandbox, "echo $API_KEY");
    assert.match(env.out, /^AIRLOCK_SECRET_[0-9a-f]{32}\n$/);
    const placeholder = env.out.trim();
    up.log.https.length = 0;
    // curl trusts the egress CA through the system bundle: no -k
    const r = await sh(sandbox, 'curl -s --max-time 10 -D - https://api.example.test/echo-auth?k=$API_KEY -H "Authorization: Bearer $API_KEY" -H "X-Other: $API_KEY" -d "body=$API_KEY"');
    assert.equal(r.code, 0, r.err);
    const seen = up.log.https.at(-1);
    assert.equal(seen.headers.authorization, `Bearer ${SECRET}`);
    assert.equal(seen.headers["x-other"], SECRET);
    assert.equal(seen.url, `/echo-auth?k=${placeholder}`, "the URL keeps the placeholder");
    assert.equal(seen.body, `body=${placeholder}`, "the body keeps the placeholder");
    assert.equal(seen.headers["accept-encoding"], undefined);
    assert.ok(!r.out.includes(SECRET), "the real value never comes back");
    assert.match(r.out, /you sent: Bearer \*+/);
    // another host gets the placeholder (TLS passes through untouched there)
    up.log.https.length = 0;
    await sh(sandbox, 'curl -sk --max-time 10 https://other.example.test/echo-auth -H "Authorization: Bearer $API_KEY"');
    assert.equal(up.log.https.at(-1).headers.authorization, `Bearer ${placeholder}`);
    // plain HTTP to the secret's host: no substitution
    const rec = await record(sandbox, "api.example.test", 443);
    assert.equal(rec.tls_intercepted, true);
    // nothing in the sandbox holds the value or a private key
    const grep = await sh(sandbox, `sudo grep -rIl --exclude-dir=proc --exclude-dir=sys -e '${SECRET}' -e 'PRIVATE KEY' / 2>/dev/null | head -5; env | grep -c '${SECRET}'`);
    assert.equal(grep.out.trim(), "0");
  });
});

test("secrets: Python, Node and Deno trust the egress CA too; git reaches the host", async () => {
  const secrets = { TOKEN: { hosts: ["api.example.test"], value: SECRET } };
  await withSandbox({ allowNet: ["api.example.test"], secrets }, async (sandbox) => {
    up.log.https.length = 0;
    const py = await sh(sandbox, `python3 -c "import os, urllib.request as u; r = u.Request('https://api.example.test/echo-auth', headers={'Authorization': os.environ['TOKEN']}); print(u.urlopen(r, timeout=10).read().decode())"`);
    assert.match(py.out, /you sent: \*+/, py.err);
    const node = await sh(sandbox, `node -e "fetch('https://api.example.test/echo-auth', {headers: {authorization: process.env.TOKEN}}).then(r => r.text()).then(t => console.log(t))"`);
    assert.match(node.out, /you sent: \*+/, node.err);
    const deno = await sh(sandbox, `DENO_NO_UPDATE_CHECK=1 deno eval "const r = await fetch('https://api.example.test/echo-auth', {headers: {authorization: Deno.env.get('TOKEN')}}); console.log(await r.text())"`);
    assert.match(deno.out, /you sent: \*+/, deno.err);
    assert.deepEqual(up.log.https.map((x) => x.headers.authorization), [SECRET, SECRET, SECRET]);
    const git = await sh(sandbox, "git ls-remote https://api.example.test/repo.git 2>&1");
    assert.doesNotMatch(git.out, /SSL|certificate/i);
  });
});

test("secrets: an upstream whose certificate does not verify gets nothing", async () => {
  const secrets = { K: { hosts: ["selfsigned.example.test"], value: SECRET } };
  await withSandbox({ allowNet: ["selfsigned.example.test"], secrets }, async (sandbox) => {
    up.log.self.length = 0;
    // the sandbox trusting the upstream's certificate changes nothing: the proxy verifies
    await sandbox.fs.writeTextFile("/tmp/self.pem", readFileSync(path.join(pki.dir, "self.crt"), "utf8"));
    const r = await sh(sandbox, 'cat /etc/ssl/certs/ca-certificates.crt /tmp/self.pem > /tmp/all.pem; SSL_CERT_FILE=/tmp/all.pem curl -s --max-time 10 -w "\\n%{http_code}" https://selfsigned.example.test/ -H "Authorization: $K"');
    assert.match(r.out, /502$/, r.err);
    assert.match(r.out, /airlock: selfsigned\.example\.test:443 unreachable: .*(certificate|verify)/);
    assert.equal(up.log.self.length, 0, "no request reached the upstream");
    const rec = await record(sandbox, "selfsigned.example.test", 443);
    assert.equal(rec.decision, "deny");
    assert.match(rec.reason, /certificate|verify/);
  });
});

test("bad allowNet and secrets are refused at create with a clear error", async () => {
  await assert.rejects(Sandbox.create({ allowNet: ["exa mple.com"] }), /allow_net/);
  await assert.rejects(Sandbox.create({ allowNet: ["example.com:99999"] }), /allow_net/);
  await assert.rejects(Sandbox.create({ secrets: { K: { hosts: [], value: "v" } } }), /hosts/);
  await assert.rejects(Sandbox.create({ secrets: { "1BAD": { hosts: ["a.test"], value: "v" } } }), /environment variable/);
});

test("airlock netlog prints the egress log", async () => {
  await withSandbox({ allowNet: ["api.example.test"] }, async (sandbox) => {
    await sh(sandbox, "curl -sk --max-time 5 https://api.example.test/ >/dev/null; curl -sk --max-time 5 https://other.example.test/");
    await record(sandbox, "other.example.test", 443);
    const r = spawnSync(path.join(BUILD, "airlock"), ["netlog", sandbox.id], { env: process.env });
    const out = r.stdout.toString();
    assert.equal(r.status, 0, r.stderr.toString());
    assert.match(out, /api\.example\.test\s+\S+\s+443\s+allow/);
    assert.match(out, /other\.example\.test\s+\S+\s+443\s+deny\s+.*allowNet/);
    const json = spawnSync(path.join(BUILD, "airlock"), ["netlog", "--json", sandbox.id], { env: process.env });
    assert.ok(JSON.parse(json.stdout.toString()).records.length >= 2);
  });
});

test("SEC-29: a sibling sandbox is out of reach", async () => {
  await withSandbox({}, async (b) => {
    const listen = await b.spawn("python3", { args: ["-c", "import socket; s=socket.socket(); s.bind(('0.0.0.0', 8765)); s.listen(); s.settimeout(8); c, _ = s.accept(); print('reached', flush=True)"], stdout: "piped", stderr: "piped" });
    await withSandbox({}, async (a) => {
      // A has no address of B's: its own loopback, a synthetic name, B's host name; ARP has no one to ask
      const r = await sh(a, `for h in 127.0.0.1 ${b.id} 10.0.0.1; do timeout 5 bash -c "exec 3<>/dev/tcp/$h/8765; echo hi >&3; cat <&3" 2>/dev/null; done; ip neigh | wc -l`);
      assert.equal(r.out.trim(), "0");
    });
    const out = await listen.output();
    assert.doesNotMatch(out.stdoutText, /reached/, "B's listener saw no connection");
  });
});

test("SEC-36 and SEC-38: no opaque tunnel to a secret's host, no secret's host by address", async () => {
  const secrets = { K: { hosts: ["api.example.test"], value: SECRET } };
  await withSandbox({ allowNet: ["api.example.test", "203.0.113.5:9000"], secrets }, async (sandbox) => {
    const plain = await sh(sandbox, `python3 - <<'EOF'
import os, socket
s = socket.create_connection(("api.example.test", 443), timeout=5)
s.sendall(b"GET / HTTP/1.0\\r\\nAuthorization: " + os.environ["K"].encode() + b"\\r\\n\\r\\n")
print(s.recv(4096).decode(errors="replace"))
EOF`);
    assert.match(plain.out, /403/);
    assert.match((await record(sandbox, "api.example.test", 443)).reason, /not TLS on port 443/);
    up.log.tcp.length = 0;
    const py = await sh(sandbox, `python3 - <<'EOF'
import socket, ssl
s = socket.create_connection(("203.0.113.5", 9000), timeout=5)
try:
    ssl._create_unverified_context().wrap_socket(s, server_hostname="api.example.test")
    print("handshake")
except (OSError, ssl.SSLError) as e:
    print("refused")
EOF`);
    assert.match(py.out, /refused/);
    const rec = await record(sandbox, "203.0.113.5", 9000);
    assert.equal(rec.decision, "deny");
    assert.match(rec.reason, /secret's host, dialled by address/);
  });
});

test("SEC-47: the egress CA key is the proxy user's alone and never inside", async () => {
  const st = statSync(path.join(STATE_DIR, "egress-ca", "ca.key"));
  assert.equal(st.mode & 0o777, 0o400);
  const pw = spawnSync("id", ["-u", "airlock-proxy"], { encoding: "utf8" });
  assert.equal(st.uid, Number(pw.stdout.trim()));
  assert.equal(statSync(path.join(STATE_DIR, "egress-ca")).mode & 0o777, 0o700);
  await withSandbox({}, async (sandbox) => {
    const r = await sh(sandbox, "sudo find / -xdev \\( -name 'ca.key' -o -name '*.key' \\) 2>/dev/null | head; sudo grep -rlI 'PRIVATE KEY' /etc /usr/local /home /tmp 2>/dev/null | head; echo end");
    assert.equal(r.out.trim(), "end");
  });
});

test("airlock create --allow-net --secret --port", async () => {
  // asynchronous: the upstreams live in this process and must keep answering
  const cli = (args, env = {}) => new Promise((resolve) => execFile(path.join(BUILD, "airlock"), args,
    { env: { ...process.env, ...env }, encoding: "utf8" },
    (e, stdout, stderr) => resolve({ status: e ? e.code : 0, stdout, stderr })));
  const c = await cli(["create", "--timeout", "5m", "--allow-net", "api.example.test:443", "--secret", "TOKEN@api.example.test", "--port", "8000"],
    { TOKEN: SECRET });
  assert.equal(c.status, 0, c.stderr);
  const id = c.stdout.trim();
  assert.match(id, /^sbx_/);
  assert.match(c.stderr, /port 8000 is at https:\/\/[a-z0-9-]+\.sandbox\.localhost:\d+/);
  try {
    up.log.https.length = 0;
    const ok = await cli(["exec", id, "--", "sh", "-c", 'curl -s --max-time 10 https://api.example.test/echo-auth -H "Authorization: $TOKEN"']);
    assert.match(ok.stdout, /you sent: \*+/, ok.stderr);
    assert.equal(up.log.https.at(-1).headers.authorization, SECRET);
    const bad = await cli(["exec", id, "--", "sh", "-c", "curl -sk --max-time 10 https://other.example.test/; echo rc=$?"]);
    assert.doesNotMatch(bad.stdout, /rc=0/);
    assert.equal((await cli(["create", "--secret", "NOPE"])).status, 2);
  } finally {
    await cli(["rm", id]);
  }
});

test("SEC-40: a sandbox that floods the door is capped; a neighbour's requests go on", async () => {
  const rss = () => {
    const pid = spawnSync("pgrep", ["-n", "-f", `airlock-proxy.*${up.ports.tcp}`], { encoding: "utf8" }).stdout.trim();
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
  };
  const timeB = async (b, n) => {
    const r = await sh(b, `python3 - <<'EOF'
import socket, time
out = []
for _ in range(${n}):
    t = time.perf_counter()
    s = socket.create_connection(("tcp.example.test", 7000), timeout=10); s.sendall(b"x"); s.recv(1); s.close()
    out.append((time.perf_counter() - t) * 1000)
out.sort(); print(out[len(out) // 2], out[int(len(out) * 0.99) - 1])
EOF`);
    const [median, p99] = r.out.trim().split(" ").map(Number);
    return { median, p99 };
  };
  await withSandbox({ allowNet: ["tcp.example.test:7000"] }, async (b) => {
    const idle = await timeB(b, 100);
    const rssBefore = rss();
    await withSandbox({ allowNet: ["tcp.example.test:7000"] }, async (a) => {
      // A: 1500 connections held open (the cap is 1024), plus slowloris-style silence
      const flood = await a.spawn("python3", { args: ["-c", `
import socket, time
held, refused = [], 0
for _ in range(1500):
    try:
        s = socket.create_connection(("tcp.example.test", 7000), timeout=5); s.sendall(b"x")
        if s.recv(1) == b"x": held.append(s)
        else: refused += 1
    except OSError:
        refused += 1
print(len(held), refused, flush=True)
time.sleep(20)
`], stdout: "piped", stderr: "piped" });
      // wait until A holds what it can (its first line), then measure B meanwhile
      const reader = flood.stdout.getReader();
      let line = "";
      while (!line.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        line += new TextDecoder().decode(value);
      }
      const busy = await timeB(b, 100);
      const rssDuring = rss();
      reader.releaseLock();
      await flood.kill("SIGKILL").catch(() => {});
      console.log(`SEC-40: B idle median ${idle.median.toFixed(2)} ms p99 ${idle.p99.toFixed(2)} ms; ` +
        `during A's flood median ${busy.median.toFixed(2)} ms p99 ${busy.p99.toFixed(2)} ms; ` +
        `proxy RSS ${rssBefore} -> ${rssDuring} KiB; A held/refused: ${line.trim()}`);
      const [held, refused] = line.trim().split(" ").map(Number);
      assert.ok(held <= 1024, `A held ${held} connections, over the cap`);
      assert.ok(refused >= 1500 - 1024, `A was refused only ${refused} times`);
      assert.ok(busy.p99 < Math.max(idle.p99 * 3, idle.p99 + 100), "B's p99 stays within bound");
      assert.ok(rssDuring - rssBefore < 128 * 1024, "the proxy's memory stays bounded");
    });
  });
});

test("airlock-proxy confines itself: no_new_privs, a seccomp filter, its own user, not root", async () => {
  // the proxy is started on the first sandbox; make sure one ran
  await withSandbox({}, async (sb) => { await sb.sh`true`; });
  const pids = spawnSync("pgrep", ["-P", String(server.pid), "-x", "airlock-proxy"]).stdout.toString().trim().split("\n");
  assert.equal(pids.length, 1, `one airlock-proxy under airlockd ${server.pid}`);
  const status = readFileSync(`/proc/${pids[0]}/status`, "utf8");
  const field = (k) => new RegExp(`^${k}:\\s*(.*)$`, "m").exec(status)?.[1];
  assert.equal(field("NoNewPrivs"), "1");
  assert.equal(field("Seccomp"), "2", "a seccomp filter is loaded");
  assert.ok(Number(field("Seccomp_filters")) >= 1);
  assert.equal(field("CapEff"), "0000000000000000");
  const uid = field("Uid").split(/\s+/)[0];
  assert.notEqual(uid, "0");
  assert.equal(spawnSync("id", ["-un", uid]).stdout.toString().trim(), "airlock-proxy");
  // negative control: this test process itself carries no filter
  assert.equal(new RegExp("^Seccomp:\\s*(.*)$", "m").exec(readFileSync("/proc/self/status", "utf8"))[1], "0");
});
