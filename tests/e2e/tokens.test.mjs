// SPDX-License-Identifier: Apache-2.0
// Named tokens against a real airlockd: made through the CLI and through
// REST, each one seeing only its own sandboxes and volumes. This is the API
// side of SEC-55 (another tenant's files) and SEC-56 (signals across
// tenants): token A's sandbox keeps a canary file and a live process; token
// B tries every door to them (list, connect, kill, expose, netlog) and must
// find none, while the same calls made with A's token work (the negative
// control: a suite whose calls fail for every token would prove nothing).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { Client, Sandbox } from "@deno/sandbox";
import { BUILD } from "./helpers.mjs";
import { startServer } from "./server.mjs";

const AIRLOCK = path.join(BUILD, "airlock");
const RUN = `${process.pid}-${Date.now() % 100000}`;
let server, adminToken;

before(async () => {
  server = await startServer();
  adminToken = server.token;
});
after(async () => { await server?.stop(); });

function airlock(args, token) {
  const r = spawnSync(AIRLOCK, args, { timeout: 60000, env: { ...process.env, DENO_DEPLOY_TOKEN: token } });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

async function rest(method, urlPath, token, body) {
  const res = await fetch(new URL(urlPath, server.endpoint), {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* a non-JSON body stays null */ }
  return { status: res.status, json, text };
}

const TOKENS = "/api/airlock/v1/tokens";

// A token made by the admin through REST; returns {id, name, token}.
async function restToken(name, admin = false) {
  const r = await rest("POST", TOKENS, adminToken, { name, admin });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.name, name);
  assert.equal(r.json.admin, admin);
  assert.match(r.json.token, /^ddo_[0-9a-z]{40}$/);
  assert.match(r.json.id, /^tok_[0-9a-hjkmnp-z]{20}$/);
  assert.match(r.json.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  return r.json;
}

test("tokens: the CLI makes, lists and revokes them; the secret is shown once", async () => {
  const name = `cli-${RUN}`;
  const made = airlock(["token", "create", name], adminToken);
  assert.equal(made.code, 0, made.stderr);
  const secret = made.stdout.trim();
  assert.match(secret, /^ddo_[0-9a-z]{40}$/);
  assert.match(made.stderr, /shown only this once/);
  // it works at once, as a non-admin
  assert.equal((await rest("GET", "/api/v2/sandboxes", secret)).status, 200);
  const ls = airlock(["token", "ls", "--json"], adminToken);
  assert.equal(ls.code, 0, ls.stderr);
  const list = JSON.parse(ls.stdout);
  const mine = list.find((t) => t.name === name);
  assert.ok(mine, `${name} in ${ls.stdout}`);
  assert.equal(mine.admin, false);
  assert.ok(!ls.stdout.includes(secret), "the list never shows a secret");
  assert.match(airlock(["token", "ls"], adminToken).stdout, new RegExp(`${mine.id}\\s+${name}\\s+no`));
  // the same name twice is refused, with the reason
  const again = airlock(["token", "create", name], adminToken);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /exists already/);
  // revoke by id
  assert.equal(airlock(["token", "revoke", mine.id], adminToken).code, 0);
  assert.equal((await rest("GET", "/api/v2/sandboxes", secret)).status, 401);
  assert.ok(!JSON.parse(airlock(["token", "ls", "--json"], adminToken).stdout).some((t) => t.name === name));
});

test("tokens: a revoked token gets 401 at once, on REST and on the WebSocket", async () => {
  const t = await restToken(`rev-${RUN}`);
  assert.equal((await rest("GET", "/api/v2/sandboxes", t.token)).status, 200); // control: it worked
  const r = airlock(["token", "revoke", t.name], adminToken);
  assert.equal(r.code, 0, r.stderr);
  const after = await rest("GET", "/api/v2/sandboxes", t.token);
  assert.equal(after.status, 401);
  assert.equal(after.json?.code, "INVALID_TOKEN");
  await assert.rejects(Sandbox.create({ token: t.token }));
  assert.equal((await rest("DELETE", `${TOKENS}/${t.name}`, adminToken)).status, 404); // gone already
});

test("tokens: only an admin token manages tokens; the last admin stays", async () => {
  const user = await restToken(`user-${RUN}`);
  for (const [method, p, body] of [["GET", TOKENS], ["POST", TOKENS, { name: `x-${RUN}`, admin: true }],
    ["DELETE", `${TOKENS}/${user.name}`], ["DELETE", `${TOKENS}/admin`]]) {
    const r = await rest(method, p, user.token, body);
    assert.equal(r.status, 403, `${method} ${p}: ${r.text}`);
    assert.equal(r.json.code, "FORBIDDEN");
  }
  const cli = airlock(["token", "create", `y-${RUN}`, "--admin"], user.token);
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /HTTP 403/);
  assert.equal(airlock(["token", "ls"], user.token).code, 1);
  // nothing changed: the user is still there, no admin was made
  const list = (await rest("GET", TOKENS, adminToken)).json;
  assert.ok(list.some((t) => t.name === user.name));
  assert.ok(!list.some((t) => t.name === `x-${RUN}` || t.name === `y-${RUN}`));
  // names are checked
  assert.equal((await rest("POST", TOKENS, adminToken, { name: "has space" })).status, 400);
  assert.equal((await rest("POST", TOKENS, adminToken, { name: "n".repeat(65) })).status, 400);
  // the last admin token cannot be revoked: no one could manage tokens after
  const admins = list.filter((t) => t.admin);
  if (admins.length === 1) {
    const r = await rest("DELETE", `${TOKENS}/${admins[0].id}`, adminToken);
    assert.equal(r.status, 409, r.text);
    assert.equal((await rest("GET", TOKENS, adminToken)).status, 200);
  } else {
    console.log(`# skipped the last-admin check: ${admins.length} admin tokens exist in this state directory`);
  }
  assert.equal((await rest("DELETE", `${TOKENS}/${user.id}`, adminToken)).status, 200);
});

test("SEC-55/56 via the API: token B cannot see, connect to, kill, expose or read the log of A's sandbox", async () => {
  const b = await restToken(`b-${RUN}`);
  const canary = randomBytes(16).toString("hex");
  const a = await Sandbox.create({ token: adminToken, labels: { run: RUN } });
  let aKilled = false;
  try {
    await a.fs.writeTextFile("/tmp/canary", canary);
    const sleeper = await a.spawn("sleep", { args: ["600"] });
    const pid = sleeper.pid;
    const alive = async () => (await a.sh`kill -0 ${String(pid)}`.noThrow()).status.code === 0;
    assert.ok(await alive());

    // list: A sees it, B does not; B's own sandbox shows in B's list only
    const listA = await new Client({ token: adminToken }).sandboxes.list({ labels: { run: RUN } });
    assert.ok(listA.some((s) => s.id === a.id));
    const bSbx = await Sandbox.create({ token: b.token, labels: { run: RUN } });
    try {
      const listB = await new Client({ token: b.token }).sandboxes.list();
      assert.ok(!listB.some((s) => s.id === a.id), "B lists A's sandbox");
      assert.ok(listB.some((s) => s.id === bSbx.id), "control: B lists its own");
      assert.ok(!(await new Client({ token: adminToken }).sandboxes.list()).some((s) => s.id === bSbx.id));
    } finally {
      await bSbx.close();
    }

    // connect: refused for B; the owner gets in and reads the canary
    await assert.rejects(Sandbox.connect({ id: a.id, token: b.token }));
    const again = await Sandbox.connect({ id: a.id, token: adminToken });
    try {
      assert.equal(await again.fs.readTextFile("/tmp/canary"), canary);
    } finally {
      await again.close().catch(() => {});
    }

    // expose and netlog: 404 for B, 200 for A
    const exB = await rest("POST", `/api/v3/sandbox/${a.id}/expose/http`, b.token, {});
    assert.equal(exB.status, 404, exB.text);
    assert.ok(!exB.text.includes(canary));
    const logB = await rest("GET", `/api/v3/sandbox/${a.id}/netlog`, b.token);
    assert.equal(logB.status, 404, logB.text);
    assert.equal((await rest("GET", `/api/v3/sandbox/${a.id}/netlog`, adminToken)).status, 200);
    const exA = await rest("POST", `/api/v3/sandbox/${a.id}/expose/http`, adminToken, {});
    assert.equal(exA.status, 200, exA.text);

    // kill: B's DELETE is a 404 and A's process lives on (the SEC-56 oracle)
    const killB = await rest("DELETE", `/api/v3/sandbox/${a.id}`, b.token);
    assert.equal(killB.status, 404, killB.text);
    assert.ok(await alive(), "A's process survived B's kill");
    assert.equal(await a.fs.readTextFile("/tmp/canary"), canary);
    // control: the owner's DELETE does kill it
    const killA = await rest("DELETE", `/api/v3/sandbox/${a.id}`, adminToken);
    assert.equal(killA.status, 200, killA.text);
    aKilled = true;
    const listed = (await new Client({ token: adminToken }).sandboxes.list({ labels: { run: RUN } }))
      .find((s) => s.id === a.id);
    assert.ok(!listed || listed.status === "stopped", JSON.stringify(listed));
  } finally {
    await a.close().catch(() => {});
    if (!aKilled) await rest("DELETE", `/api/v3/sandbox/${a.id}`, adminToken);
    await rest("DELETE", `${TOKENS}/${b.id}`, adminToken);
  }
});

test("SEC-55 via the API: token B cannot see or delete A's volumes", async (t) => {
  const b = await restToken(`vb-${RUN}`);
  const slug = `tokvol-${RUN}`;
  const clientA = new Client({ token: adminToken }), clientB = new Client({ token: b.token });
  let vol;
  try {
    vol = await clientA.volumes.create({ slug, region: "ord", capacity: "64MiB" });
  } catch (e) {
    await rest("DELETE", `${TOKENS}/${b.id}`, adminToken);
    t.skip(`volumes cannot be created here: ${e.message}`);
    return;
  }
  try {
    assert.equal((await clientA.volumes.get(vol.id))?.id, vol.id); // control
    assert.equal(await clientB.volumes.get(vol.id), null);
    assert.equal(await clientB.volumes.get(slug), null);
    const listB = [];
    for await (const v of await clientB.volumes.list()) listB.push(v.id);
    assert.ok(!listB.includes(vol.id));
    for (const ref of [vol.id, slug]) {
      const del = await rest("DELETE", `/api/v2/volumes/${ref}`, b.token);
      assert.equal(del.status, 404, del.text);
    }
    const snapB = await rest("POST", `/api/v2/volumes/${vol.id}/snapshot`, b.token, { slug: `s-${RUN}` });
    assert.equal(snapB.status, 404, snapB.text);
    assert.equal((await clientA.volumes.get(vol.id))?.id, vol.id, "A's volume survived B's delete");
    // slugs are per token: B may use the same one, and gets its own volume
    const mineB = await clientB.volumes.create({ slug, region: "ord", capacity: "64MiB" });
    assert.notEqual(mineB.id, vol.id);
    assert.equal((await clientA.volumes.get(slug))?.id, vol.id);
    await clientB.volumes.delete(mineB.id);
  } finally {
    await clientA.volumes.delete(vol.id).catch(() => {});
    await rest("DELETE", `${TOKENS}/${b.id}`, adminToken);
  }
  assert.equal(await clientA.volumes.get(vol.id), null); // control: the owner's delete works
});
