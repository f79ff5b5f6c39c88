// SPDX-License-Identifier: Apache-2.0
// SEC-34 end to end: other spellings of the host's loopback and of the
// metadata address, asked of the door's DNS (so the proxy resolves the name
// itself) or dialled directly as IPv6 forms, never reach a canary on the
// host. The unit half is test_ssrf_spellings (tests/unit/test_net_policy.c).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startServer, withSandbox } from "../e2e/server.mjs";

let server, canary, port, hits = 0;

before(async () => {
  canary = net.createServer((c) => { hits++; c.destroy(); });
  await new Promise((res) => canary.listen(0, "127.0.0.1", res));
  port = canary.address().port;
  server = await startServer();
});
after(async () => {
  await server?.stop();
  canary?.close();
});

async function sh(sandbox, script) {
  const child = await sandbox.spawn("bash", { args: ["-c", script], stdout: "piped", stderr: "piped" });
  const r = await child.output();
  return { code: r.status.code, out: r.stdoutText, err: r.stderrText };
}

test("SEC-34: decimal, octal, hex, short, IPv4-mapped and NAT64 spellings of loopback are refused", async () => {
  const names = ["2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "127.1", "0177.1",
    "127.000.000.001", "0.0.0.0", "2852039166", "0xa9fea9fe"];
  const direct = ["::ffff:127.0.0.1", "::ffff:7f00:1", "64:ff9b::7f00:1", "::127.0.0.1"];
  await withSandbox({}, async (sandbox) => {
    const r = await sh(sandbox, `python3 - <<'EOF'
import socket, struct
def ask(name):
    q = struct.pack(">HHHHHH", 7, 0x100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\\x00" + struct.pack(">HH", 1, 1)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(3)
    u.sendto(q, ("127.0.0.1", 53)); a = u.recv(512)
    return socket.inet_ntoa(a[-4:]) if len(a) >= 16 and a[3] & 0xf == 0 else None
def dial(family, ip):
    s = socket.socket(family, socket.SOCK_STREAM); s.settimeout(5)
    try:
        s.connect((ip, ${port})); s.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n"); d = s.recv(64)
        return "data %r" % d if d else "closed"
    except OSError as e:
        return "refused %s" % e.errno
for n in ${JSON.stringify(names)}:
    ip = ask(n)
    print(n, ip, dial(socket.AF_INET, ip) if ip else "no-answer")
for ip in ${JSON.stringify(direct)}:
    print(ip, dial(socket.AF_INET6, ip))
EOF`);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split("\n");
    assert.equal(lines.length, names.length + direct.length, r.out);
    console.log(r.out);
    // nothing answers but the proxy: a refusal, a reset, or a closed connection
    for (const l of lines) assert.match(l, / (refused \d+|closed|data b.HTTP\/1\.[01] 403.*)$/, `reached something: ${l}`);
    // the DNS answers are synthetic: the proxy saw the names and decided
    assert.ok(lines.slice(0, names.length).some((l) => /^\S+ 198\.1[89]\./.test(l)), r.out);
  });
  assert.equal(hits, 0, "the host loopback canary saw a connection");
});
