// SPDX-License-Identifier: Apache-2.0
// Fake upstreams on the host's loopback for the network-door tests: an HTTPS
// server with its own test CA (made with the openssl CLI), a plain HTTP
// server and a raw TCP echo server. Each records what it received.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import http from "node:http";
import https from "node:https";
import net from "node:net";

function openssl(args, cwd) {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

// A CA and one leaf for `names`; `opts.selfSigned` makes a leaf with no CA,
// `opts.expired` one whose validity ended.
export function makeTestPki(names, dir = mkdtempSync(path.join(tmpdir(), "airlock-pki-"))) {
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
    "-subj", "/CN=Airlock test upstream CA", "-keyout", "ca.key", "-out", "ca.crt",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"], dir);
  const leaf = (name, extra = []) => {
    const san = names.map((n) => `DNS:${n}`).join(",");
    writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
    openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${names[0]}`,
      "-keyout", `${name}.key`, "-out", `${name}.csr`], dir);
    openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
      "-extfile", `${name}.ext`, "-out", `${name}.crt`, ...extra], dir);
    return { key: readFileSync(path.join(dir, `${name}.key`)), cert: readFileSync(path.join(dir, `${name}.crt`)) };
  };
  const good = leaf("good", ["-days", "2"]);
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
    "-subj", `/CN=${names[0]}`, "-addext", `subjectAltName=DNS:${names[0]}`, "-keyout", "self.key", "-out", "self.crt"], dir);
  return {
    dir,
    caFile: path.join(dir, "ca.crt"),
    good,
    self: { key: readFileSync(path.join(dir, "self.key")), cert: readFileSync(path.join(dir, "self.crt")) },
  };
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
}

// Records every request: method, url, headers, body. /echo-auth echoes the
// Authorization header back in the body and in a response header; /stream
// sends a slow chunked body.
function handler(log) {
  return (req, res) => {
    const chunks = [];
    req.on("data", (d) => chunks.push(d));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      log.push({ method: req.method, url: req.url, headers: req.headers, body });
      if (req.url.startsWith("/echo-auth")) {
        const auth = req.headers.authorization ?? "";
        res.writeHead(200, { "content-type": "text/plain", "x-echo": auth });
        res.end(`you sent: ${auth}\n`);
        return;
      }
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`hello from ${req.headers.host} ${req.method} ${req.url} ${body.length}\n`);
    });
  };
}

export async function startUpstreams(pki) {
  const log = { https: [], http: [], tcp: [] , self: []};
  const tls = https.createServer({ key: pki.good.key, cert: pki.good.cert }, handler(log.https));
  const self = https.createServer({ key: pki.self.key, cert: pki.self.cert }, handler(log.self));
  const plain = http.createServer(handler(log.http));
  const tcp = net.createServer((s) => {
    log.tcp.push(Date.now());
    s.on("data", (d) => s.write(d));
    s.on("end", () => s.end());
    s.on("error", () => {});
  });
  const ports = { https: await listen(tls), self: await listen(self), http: await listen(plain), tcp: await listen(tcp) };
  return {
    ports,
    log,
    close: () => Promise.all([tls, self, plain, tcp].map((s) => new Promise((r) => { s.closeAllConnections?.(); s.close(r); }))),
  };
}
