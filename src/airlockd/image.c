/* SPDX-License-Identifier: Apache-2.0 */
/* "airlockd image build": runs the image recipe's builder script, which shows
 * progress, reuses an image whose recipe is unchanged, and swaps a new one in
 * atomically. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "airlockd.h"

#ifndef AIRLOCK_IMAGES_DIR
#define AIRLOCK_IMAGES_DIR "/usr/share/airlock/images"
#endif

int airlockd_image(int argc, char **argv, const char *state_dir)
{
        char script[4096];
        const char *name = argc > 2 ? argv[2] : "default";

        if (argc < 2 || strcmp(argv[1], "build") != 0) {
                fprintf(stderr, "usage: airlockd image build [NAME]\n");
                return 2;
        }
        if (strchr(name, '/') || name[0] == '.' || strlen(name) > 64) {
                fprintf(stderr, "airlockd: bad image name '%s'\n", name);
                return 2;
        }
        snprintf(script, sizeof(script), "%s/build-image.sh", AIRLOCK_IMAGES_DIR);
        execl("/bin/bash", "bash", script, state_dir, name, (char *)NULL);
        fprintf(stderr, "airlockd: cannot run %s: %s\n", script, strerror(errno));
        return 1;
}
