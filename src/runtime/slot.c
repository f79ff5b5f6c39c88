/* SPDX-License-Identifier: Apache-2.0 */
/* Host uid ranges. Slot N owns AL_UID_RANGE ids from AL_UID_BASE + N *
 * AL_UID_RANGE; a slot is taken while its lock file is flock()ed, so a crashed
 * holder releases it with its last fd and two live sandboxes never share one.
 * A sandbox that outlives airlockd holds a copy itself (airlock-init's fd 6,
 * read-only: it gives no way to write a host file). */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime_internal.h"

/* The slots directory as a detached mount: a lock file opened through it
 * reads back (readlink of /proc/PID/fd/N) as "/N", naming nothing of the
 * host, and airlock-init holds one such descriptor for its sandbox's life. */
static int slots_tree(const char *dir, struct al_error *err)
{
        static int tree = -1;

        if (tree < 0)
                tree = (int)syscall(SYS_open_tree, AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (tree < 0)
                return al_error_set(err, errno, "open %s", dir);
        return tree;
}

int rt_slot_acquire(const char *state_dir, unsigned *ret_slot, int *ret_lock_fd, struct al_error *err)
{
        char dir[PATH_MAX], path[PATH_MAX + 32];
        unsigned start = 0;
        int tree;

        snprintf(dir, sizeof(dir), "%s/slots", state_dir);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return al_error_set(err, errno, "create %s", dir);
        tree = slots_tree(dir, err);
        if (tree < 0)
                return tree;
        /* Start at a random slot so concurrent starts rarely collide. */
        if (getrandom(&start, sizeof(start), 0) != sizeof(start))
                start = (unsigned)getpid();
        for (unsigned i = 0; i < AL_MAX_SLOTS; i++) {
                unsigned slot = (start + i) % AL_MAX_SLOTS;
                int fd;

                snprintf(path, sizeof(path), "%u", slot);
                fd = openat(tree, path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd < 0)
                        return al_error_set(err, errno, "open slot lock %s/%s", dir, path);
                if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
                        *ret_slot = slot;
                        *ret_lock_fd = fd;
                        return 0;
                }
                close(fd);
        }
        return al_error_setx(err, EAGAIN, "all %u sandbox uid ranges are in use", AL_MAX_SLOTS);
}
