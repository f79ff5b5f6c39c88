/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: method parameters that clients control and airlock-init parses:
 * ISO dates (utime), bytes decoded as text (readTextFile), and JavaScript
 * regexes (walk's match and skip). The first byte picks the parser. Every
 * method's params, through airlock-init's own dispatch, are fuzz_init's. */
#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        uint8_t which = data[0] % 3;
        data++;
        size--;
        char *s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        if (which == 0) {
                struct timespec ts;
                (void)init_parse_iso(s, &ts);
        } else if (which == 1) {
                json_t *t = init_utf8_lossy(data, size);
                /* whatever came in, what goes out is valid JSON text */
                char *dump = json_dumps(t, JSON_ENCODE_ANY);
                if (t && !dump)
                        __builtin_trap();
                free(dump);
                json_decref(t);
        } else {
                json_t *re = json_pack("{s:s?,s:s}", "source", s, "flags", size & 1 ? "i" : "g");
                regex_t r;
                if (re && init_js_regex(re, &r) == 0) {
                        (void)regexec(&r, "/home/app/node_modules/x.ts", 0, NULL, 0);
                        regfree(&r);
                }
                json_decref(re);
        }
        free(s);
        return 0;
}
