// SPDX-License-Identifier: Apache-2.0
// Teardown leaves nothing: 200 sandboxes back to back, the host compared
// before and after (mounts, cgroups, loop devices, disk files, processes of
// sandbox uids, network namespaces).
import { test } from "node:test";
import assert from "node:assert/strict";
import { sh, hostTraces, sleep } from "./helpers.mjs";

const COUNT = Number(process.env.AIRLOCK_TEARDOWN_COUNT ?? 200);

test(`${COUNT} sandboxes back to back leave no trace on the host`, async () => {
  // Earlier tests' sandboxes finish their teardown in the background: start
  // from a quiet host (two equal snapshots, no sandbox process), or fail.
  let before = hostTraces();
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    const now = hostTraces();
    const quiet = now.sandboxProcs.length === 0 && JSON.stringify(now) === JSON.stringify(before);
    before = now;
    if (quiet) break;
  }
  for (let i = 0; i < COUNT; i++) {
    // each writes to its disk, starts a background process and uses /dev/shm
    const r = sh("echo x > /tmp/f; echo y > /dev/shm/g; sleep 100 & echo ok");
    assert.equal(r.stdout, "ok\n", `sandbox ${i}: ${r.stderr}`);
  }
  // Loop devices detach and namespaces die asynchronously: give them a moment.
  let after;
  for (let i = 0; i < 50; i++) {
    after = hostTraces();
    if (after.loops.length <= before.loops.length && after.netns <= before.netns &&
        after.cgroups.length <= before.cgroups.length && after.mounts <= before.mounts) break;
    await sleep(100);
  }
  assert.equal(after.mounts, before.mounts, "host mount count");
  assert.deepEqual(after.cgroups, before.cgroups, "cgroups under airlock/");
  assert.deepEqual(after.loops, before.loops, "loop devices");
  assert.deepEqual(after.disks, before.disks, "disk files in the state directory");
  assert.deepEqual(after.sandboxProcs, [], "processes with sandbox uids");
  assert.ok(after.netns <= before.netns, `network namespaces: ${before.netns} -> ${after.netns}`);
});
