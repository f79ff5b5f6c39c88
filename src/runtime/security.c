/* SPDX-License-Identifier: Apache-2.0 */
/* Capabilities and Landlock: small steps of the child. */
#include <errno.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <fcntl.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime_internal.h"
#include "selfconfine.h"

/* Docker's default set minus NET_RAW, MKNOD and SYS_CHROOT. These act only on
 * the sandbox's own user namespace; every other namespace is owned by the host. */
static const cap_value_t default_caps[] = {
        CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_FOWNER,           CAP_FSETID,      CAP_KILL,    CAP_SETGID,
        CAP_SETUID, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE, CAP_SETFCAP,
};

static bool cap_kept(cap_value_t c, enum rt_profile profile)
{
        if (profile == RT_PROFILE_STRICT)
                return false;
        for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
                if (default_caps[i] == c)
                        return true;
        return false;
}

int rt_caps_drop_child(enum rt_profile profile, struct al_error *err)
{
        cap_t caps;
        int last = (int)cap_max_bits() - 1;

        for (int c = 0; c <= last; c++) {
                if (cap_kept(c, profile))
                        continue;
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        return al_error_set(err, errno, "drop capability %d from the bounding set", c);
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
                return al_error_set(err, errno, "clear ambient capabilities");
        /* Strict: become the app user while CAP_SETUID is still held; the
         * kernel clears every capability set on the way. */
        if (profile == RT_PROFILE_STRICT &&
            (setresgid(RT_APP_UID, RT_APP_UID, RT_APP_UID) < 0 || setresuid(RT_APP_UID, RT_APP_UID, RT_APP_UID) < 0))
                return al_error_set(err, errno, "become the app user");
        caps = cap_init();
        if (!caps)
                return al_error_set(err, errno, "cap_init");
        if (profile != RT_PROFILE_STRICT) {
                cap_set_flag(caps, CAP_PERMITTED, ARRAY_SIZE(default_caps), default_caps, CAP_SET);
                cap_set_flag(caps, CAP_EFFECTIVE, ARRAY_SIZE(default_caps), default_caps, CAP_SET);
        }
        int r = cap_set_proc(caps);
        cap_free(caps);
        if (r < 0)
                return al_error_set(err, errno, "set capabilities");
        return 0;
}

/* Defence in depth for airlock-init and everything it starts: no device
 * nodes can be made anywhere, no abstract unix socket outside the sandbox can
 * be reached, and no process outside it can be signalled. Where the kernel
 * lacks Landlock this is skipped; the other layers stand on their own. */
int rt_landlock_child(struct al_error *err)
{
        struct rt_ll_attr attr = {
                .handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK,
        };
        int abi = rt_landlock_abi();
        size_t size;
        _cleanup_fd_ int fd = -1;

        if (abi < 1)
                return 0;
        size = rt_ll_attr_scope(abi, &attr);
        /* A ruleset that handles any file access forbids renames and links
         * across directories (EXDEV) unless it also handles REFER and grants
         * it: grant it on the whole tree. */
        if (abi >= 2)
                attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
        fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
        if (fd < 0)
                return al_error_set(err, errno, "create Landlock ruleset (ABI %d)", abi);
        if (abi >= 2) {
                struct landlock_path_beneath_attr pb = { .allowed_access = LANDLOCK_ACCESS_FS_REFER };
                _cleanup_fd_ int root = open("/", O_PATH | O_CLOEXEC | O_DIRECTORY);
                pb.parent_fd = root;
                if (root < 0 || syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
                        return al_error_set(err, errno, "grant renames in the Landlock ruleset");
        }
        if (syscall(SYS_landlock_restrict_self, fd, 0) < 0)
                return al_error_set(err, errno, "enforce Landlock ruleset");
        return 0;
}
