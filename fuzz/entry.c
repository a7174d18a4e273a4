/* SPDX-License-Identifier: MIT */
/* libFuzzer entry point: FUZZ_ENTRY (set by fuzz/meson.build) names the target. */
#include <stddef.h>
#include <stdint.h>

#include "fuzzkit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        (void) FUZZ_ENTRY(data, size);
        return 0;
}
