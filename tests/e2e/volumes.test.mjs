// SPDX-License-Identifier: Apache-2.0
// Volumes and snapshots through the official SDK: the console clients
// (create, get, list with pagination, delete, snapshot), volumes mounted in
// sandboxes (size-capped, persistent across sandboxes and daemon restarts,
// one sandbox at a time) and sandboxes booted from a snapshot or a volume.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { statSync, statfsSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { Client, Sandbox } from "@deno/sandbox";
import { startServer, withSandbox } from "./server.mjs";
import { STATE_DIR } from "./helpers.mjs";

let server, client;
const tag = `t${Date.now().toString(36)}`; // slugs of this run
const made = { volumes: new Set(), snapshots: new Set() };

async function newVolume(slug, capacity, extra = {}) {
  const v = await client.volumes.create({ slug: `${tag}-${slug}`, region: "ord", capacity, ...extra });
  made.volumes.add(v.id);
  return v;
}

async function newSnapshot(volume, slug) {
  const s = await client.volumes.snapshot(volume, { slug: `${tag}-${slug}` });
  made.snapshots.add(s.id);
  return s;
}

// Loop devices backed by the images of these volumes or snapshots.
function loopsOf(ids) {
  return readdirSync("/sys/block").filter((d) => {
    try {
      const backing = readFileSync(`/sys/block/${d}/loop/backing_file`, "utf8");
      return ids.some((id) => backing.includes(`/${id}.img`));
    } catch { return false; }
  });
}

async function rejects(promise, status, pattern) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.status, status, `${e.name}: ${e.message}`);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

before(async () => {
  server = await startServer();
  client = new Client();
});

after(async () => {
  for (const id of made.snapshots) await client.snapshots.delete(id).catch(() => {});
  for (const id of made.volumes) await client.volumes.delete(id).catch(() => {});
  await server?.stop();
});

test("volumes: create, get by id and slug, unknown is null, delete", async () => {
  const v = await newVolume("basic", 64 * 1024 * 1024);
  assert.match(v.id, /^vol_[0-9a-hjkmnp-z]{20}$/);
  assert.equal(v.slug, `${tag}-basic`);
  assert.equal(v.region, "ord");
  assert.equal(v.capacity, 64 * 1024 * 1024);
  assert.equal(v.isBootable, false);
  assert.equal(v.baseSnapshot, null);
  assert.ok(v.estimatedAllocatedSize > 0 && v.estimatedAllocatedSize < v.capacity, "the image is sparse");
  assert.equal((await client.volumes.get(v.id)).slug, v.slug);
  assert.equal((await client.volumes.get(v.slug)).id, v.id);
  assert.equal(await client.volumes.get(`${tag}-nope`), null);
  // capacities as the SDK's types allow them
  assert.equal((await newVolume("gb", "1GB")).capacity, 1e9);
  assert.equal((await newVolume("mib", "20MiB")).capacity, 20 * 1024 * 1024);
  await client.volumes.delete(v.slug);
  made.volumes.delete(v.id);
  assert.equal(await client.volumes.get(v.id), null);
  assert.equal(existsSync(`${STATE_DIR}/volumes/${v.id}.img`), false, "its image is gone");
});

test("volumes: bad input gives clear errors", async () => {
  await rejects(newVolume("huge", "2TiB"), 400, /capacity .* out of range/);
  await rejects(newVolume("tiny", "1MB"), 400, /out of range/);
  const free = statfsSync(STATE_DIR);
  if (free.bavail * free.bsize < 2 ** 40) // images are sparse: a volume the host could never hold is refused
    await rejects(newVolume("host", "1TiB"), 507, /the host has \d+ MiB free/);
  await rejects(newVolume("unit", "10XB"), 400, /capacity must be/);
  await rejects(client.volumes.create({ slug: "no spaces", region: "ord", capacity: "20MiB" }), 400, /slug/);
  await rejects(newVolume("from", "1GiB", { from: `${tag}-no-such-snapshot` }), 404, /no snapshot/);
  await newVolume("dup", "20MiB");
  await rejects(newVolume("dup", "20MiB"), 409, /exists already/);
});

test("volumes and snapshots: list pages through the Link header, search filters", async () => {
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await newVolume(`page-${i}`, "16MiB")).id);
  const first = await client.volumes.list({ limit: 2, search: `${tag}-page-` });
  assert.equal(first.items.length, 2);
  assert.ok(first.hasMore);
  const seen = [];
  for await (const v of first) seen.push(v.id);
  assert.deepEqual([...seen].sort(), [...ids].sort(), "every volume once, over three pages");
  const none = await client.volumes.list({ search: `${tag}-nothing` });
  assert.equal(none.items.length, 0);
  assert.equal(none.hasMore, false);

  const snaps = [];
  for (let i = 0; i < 3; i++) snaps.push((await newSnapshot(ids[i], `page-s${i}`)).id);
  const sfirst = await client.snapshots.list({ limit: 2, search: `${tag}-page-s` });
  assert.equal(sfirst.items.length, 2);
  const sseen = [];
  for await (const s of sfirst) sseen.push(s.id);
  assert.deepEqual([...sseen].sort(), [...snaps].sort());
  const s0 = await client.snapshots.get(`${tag}-page-s0`);
  assert.equal(s0.id, snaps[0]);
  assert.deepEqual(s0.volume, { id: ids[0], slug: `${tag}-page-0` });
  assert.equal(s0.isBootable, false);
  await client.snapshots.delete(s0.id);
  made.snapshots.delete(s0.id);
  assert.equal(await client.snapshots.get(s0.id), null);
});

test("a volume mounted in a sandbox: writable by the app user, data survives the sandbox and a daemon restart", async () => {
  const v = await newVolume("data", "64MiB");
  await withSandbox({ volumes: { "/data": v.slug, "/home/app/work": (await newVolume("work", "16MiB")).id } }, async (sb) => {
    assert.equal(await sb.sh`stat -c '%u %U' /data`.text(), "1000 app\n");
    await sb.sh`echo kept > /data/note && mkdir -p /data/dir && echo deep > /data/dir/f`;
    await sb.fs.writeTextFile("/home/app/work/w.txt", "w");
    assert.match(await sb.sh`findmnt -no OPTIONS /data`.text(), /nosuid,nodev/);
  });
  // the next sandbox, with the volume somewhere else
  await withSandbox({ volumes: { "/mnt/v": v.id } }, async (sb) => {
    assert.equal(await sb.sh`cat /mnt/v/note /mnt/v/dir/f`.text(), "kept\ndeep\n");
    assert.equal(await sb.sh`stat -c '%U' /mnt/v/note`.text(), "app\n", "files keep the sandbox's uids");
  });
  await server.stop();
  server = await startServer();
  client = new Client();
  assert.equal((await client.volumes.get(v.id)).slug, v.slug, "the store kept it");
  await withSandbox({ volumes: { "/data": v.slug } }, async (sb) => {
    assert.equal(await sb.sh`cat /data/note`.text(), "kept\n");
  });
});

test("a sandbox that outlives a killed airlockd keeps its volume; its end frees it", async () => {
  const v = await newVolume("adopt", "32MiB");
  const sb = await Sandbox.create({ timeout: "5m", volumes: { "/data": v.slug } });
  let again;
  try {
    await sb.sh`echo before > /data/f`;
    await sb.close();
    server.child.kill("SIGKILL");
    await new Promise((r) => server.child.once("exit", r));
    server = await startServer();
    client = new Client();
    again = await Sandbox.connect(sb.id);
    assert.equal(await again.sh`cat /data/f; echo after >> /data/f`.text(), "before\n", "still mounted");
    await rejects(client.volumes.delete(v.id), 409, new RegExp(`in use by sandbox ${sb.id}`));
  } finally {
    await (again ?? sb).kill().catch(() => {});
  }
  // released through the store (this airlockd did not create that sandbox)
  await withSandbox({ volumes: { "/data": v.id } }, async (sb2) => {
    assert.equal(await sb2.sh`cat /data/f`.text(), "before\nafter\n");
  });
});

test("a full volume is ENOSPC inside and nothing outside", async () => {
  const v = await newVolume("full", "16MiB");
  const img = `${STATE_DIR}/volumes/${v.id}.img`;
  await withSandbox({ volumes: { "/data": v.slug } }, async (sb) => {
    const r = await sb.sh`dd if=/dev/zero of=/data/big bs=1M count=64 2>&1`.noThrow();
    assert.notEqual(r.status.code, 0);
    assert.match(await sb.sh`dd if=/dev/zero of=/data/big2 bs=1M count=1 2>&1; echo rc=$?`.text(),
      /No space left on device[^]*rc=1/);
    const used = Number((await sb.sh`du -sk /data/big`.text()).split(/\s/)[0]);
    assert.ok(used > 10 * 1024 && used <= 16 * 1024, `the file filled the volume (${used} KiB)`);
    // the rest of the sandbox still works
    assert.equal(await sb.sh`echo ok > /tmp/ok && cat /tmp/ok`.text(), "ok\n");
  });
  const st = statSync(img);
  assert.equal(st.size, 16 * 1024 * 1024, "the image never grew past its capacity");
  assert.ok(st.blocks * 512 <= 16 * 1024 * 1024);
});

test("a volume is used by one sandbox at a time; in use it cannot be deleted or snapshotted", async () => {
  const v = await newVolume("busy", "16MiB");
  await withSandbox({ volumes: { "/data": v.slug } }, async (sb) => {
    await rejects(client.volumes.delete(v.id), 409, new RegExp(`in use by sandbox ${sb.id}`));
    await rejects(newSnapshot(v.id, "busy-snap"), 409, /stop that sandbox first/);
    await rejects(Sandbox.create({ volumes: { "/data": v.slug } }), 409, new RegExp(`in use by sandbox ${sb.id}`));
    assert.ok(await client.volumes.get(v.id), "still there");
  });
  // once the sandbox is gone, it is free again (straight away)
  await withSandbox({ volumes: { "/data": v.slug } }, async (sb) => {
    assert.equal(await sb.sh`echo $((1+1))`.text(), "2\n");
  });
});

test("sandbox create: unknown volume, bad paths and too many volumes are refused", async () => {
  const v = await newVolume("paths", "16MiB");
  await rejects(Sandbox.create({ volumes: { "/data": `${tag}-unknown` } }), 404, /no volume/);
  for (const bad of ["data", "/proc/x", "/dev", "/sys/fs", "/a/../etc", "/a//b", "/", "/etc", "/a/./b"])
    await rejects(Sandbox.create({ volumes: { [bad]: v.slug } }), 400, /volume path/);
  await rejects(Sandbox.create({ root: `${tag}-unknown` }), 404, /no volume or snapshot/);
  await rejects(Sandbox.create({ root: v.slug }), 400, /no root filesystem/);
  const many = {};
  for (let i = 0; i < 9; i++) many[`/v${i}`] = v.slug;
  await rejects(Sandbox.create({ volumes: many }), 400, /at most 8/);
  // nothing was left attached by the refusals
  await withSandbox({ volumes: { "/data": v.slug } }, async () => {});
});

test("a volume from a snapshot has the snapshot's data and grows to its capacity", async () => {
  const v = await newVolume("origin", "32MiB");
  await withSandbox({ volumes: { "/data": v.slug } }, async (sb) => {
    await sb.sh`echo original > /data/o`;
  });
  const snap = await newSnapshot(v.slug, "origin-snap");
  assert.equal(snap.flattenedSize, 32 * 1024 * 1024);
  assert.ok(snap.allocatedSize > 0);
  await rejects(newVolume("copy-small", "16MiB", { from: snap.slug }), 400, /smaller than snapshot/);
  const copy = await newVolume("copy", "128MiB", { from: snap.slug });
  assert.deepEqual(copy.baseSnapshot, { id: snap.id, slug: snap.slug });
  await withSandbox({ volumes: { "/data": copy.slug } }, async (sb) => {
    assert.equal(await sb.sh`cat /data/o`.text(), "original\n");
    const kb = Number((await sb.sh`df -k --output=size /data | tail -1`.text()).trim());
    assert.ok(kb > 100 * 1024, `grown to the new capacity (${kb} KiB)`);
    await sb.sh`echo changed > /data/o`;
  });
  await withSandbox({ volumes: { "/data": v.slug } }, async (sb) => {
    assert.equal(await sb.sh`cat /data/o`.text(), "original\n", "the copy is independent");
  });
});

test("boot from a bootable volume (read-write root) and from its snapshot (read-only below, writable above)", async () => {
  const boot = await newVolume("boot", "2GiB", { from: "builtin:debian-13" });
  assert.equal(boot.isBootable, true);
  await withSandbox({ root: boot.slug }, async (sb) => {
    assert.equal((await sb.sh`id -u; pwd`.text()).trim(), "1000\n/home/app");
    await sb.sh`echo in-root | sudo tee /etc/marker >/dev/null; echo mine > /home/app/mine; ln -s /etc /home/app/link`;
  });
  // A symlink in the sandbox's own root never redirects a volume's mount
  // (before pivot_root it would point into the host).
  const sym = await newVolume("sym", "16MiB");
  await rejects(Sandbox.create({ root: boot.id, volumes: { "/home/app/link/x": sym.slug } }), 500,
    /volume path \/home\/app\/link\/x: 'link' is not a directory/);
  await withSandbox({ root: boot.id }, async (sb) => {
    assert.equal(await sb.sh`cat /etc/marker /home/app/mine`.text(), "in-root\nmine\n", "the root itself persisted");
  });
  const snap = await newSnapshot(boot.slug, "boot-snap");
  assert.equal(snap.isBootable, true);
  await withSandbox({ root: snap.slug }, async (sb) => {
    assert.equal(await sb.sh`cat /etc/marker`.text(), "in-root\n");
    await sb.sh`echo upper | sudo tee /etc/marker >/dev/null; echo new > /home/app/new`;
    assert.equal(await sb.sh`cat /etc/marker /home/app/new`.text(), "upper\nnew\n");
  });
  await withSandbox({ root: snap.id }, async (sb) => {
    assert.equal(await sb.sh`cat /etc/marker`.text(), "in-root\n", "the snapshot did not change");
    assert.equal((await sb.sh`test -e /home/app/new`.noThrow()).status.code, 1);
  });
  // a snapshot may be deleted while nothing uses it; the volume stays
  await client.snapshots.delete(snap.id);
  made.snapshots.delete(snap.id);
  assert.ok(await client.volumes.get(boot.id));
  // their loop devices went with the sandboxes
  for (let i = 0; i < 50 && loopsOf([boot.id, snap.id]).length; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(loopsOf([boot.id, snap.id]), [], "no loop device left behind");
});
