/* SPDX-License-Identifier: MIT */
/* libFuzzer entry point: FUZZ_ENTRY (set by fuzz/meson.build) names the target. */
#include <stddef.h>
#include <stdint.h>

#include <json-c/linkhash.h>

#include "fuzzkit.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        /* json-c seeds its string hash at random (against hash flooding), and the
         * comparisons libFuzzer traces inside it would make every run differ: a
         * fixed hash lets -seed alone repeat a run (fuzz/run.sh relies on that). */
        json_global_set_string_hash(JSON_C_STR_HASH_PERLLIKE);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        (void) FUZZ_ENTRY(data, size);
        return 0;
}
