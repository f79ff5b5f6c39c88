// SPDX-License-Identifier: Apache-2.0
// A hostile tenant for abuse.test.mjs and bench/abuse.mjs, in a process of its
// own (another client, as a real neighbour would be): one sandbox running an
// output flood (drained as fast as this client can), a disk filler, a memory
// bomb and a fork bomb, all at once, each a background process started
// through the SDK. The fork bomb comes last, once the memory bomb has met its
// limit: when it holds every pid the sandbox may have, nothing new can start
// there, so the other three are single processes that never need to fork.
// Prints "abusing ID" once all four run, then "flood BYTES" every second.
// The caller ends it with SIGKILL: its session sandbox ends with it.
//   node abuser.mjs [flood,disk,memory,fork]   (a subset, to tell their effects apart)
import { Sandbox } from "../e2e/node_modules/@deno/sandbox/esm/mod.js";

const bombs = new Set((process.argv[2] ?? "flood,disk,memory,fork").split(","));
const sandbox = await Sandbox.create();
const quiet = { stdout: "null", stderr: "null" };
const py = (code) => sandbox.spawn("python3", { args: ["-c", code], ...quiet });

let bytes = 0;
if (bombs.has("flood")) {
  const flood = await sandbox.spawn("yes", { args: ["an output flood"], stdout: "piped", stderr: "null" });
  (async () => { for await (const c of flood.stdout) bytes += c.length; })().catch(() => {});
}

// fills the sandbox's disk to its cap (ENOSPC), empties it, again and again
if (bombs.has("disk")) await py(`
import os
while True:
    try:
        with open("/tmp/fill", "wb") as f:
            while True:
                f.write(b"\\1" * (1 << 20))
    except OSError:
        pass
    os.unlink("/tmp/fill")
`);

// touches memory past the sandbox's limit: the OOM killer ends it; a shell
// loop starts it again for as long as it can still fork
if (bombs.has("memory")) await sandbox.spawn("bash", { args: ["-c",
  "while :; do python3 -c 'a = []\nwhile True: a.append(b\"\\1\" * (16 << 20))'; done"], ...quiet });
for (let i = 0; bombs.has("memory") && i < 100; i++) {
  const oom = await sandbox.sh`cat /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events 2>/dev/null | grep "^oom_kill "`.noThrow().text();
  if (/oom_kill [1-9]/.test(oom)) break;
  await new Promise((r) => setTimeout(r, 100));
}

// every process forks forever; at the pid limit each keeps trying
if (bombs.has("fork")) await py("import os\nwhile True:\n    try: os.fork()\n    except OSError: pass");
process.stdout.write(`abusing ${sandbox.id}\n`);
setInterval(() => process.stdout.write(`flood ${bytes}\n`), 1000);
