/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "childlock.h"
#include "config.h"

/* Constant-time compare: how long a wrong PIN takes must not tell which digit
 * was wrong. */
static bool pin_equal(const char *want, const char *given) {
        size_t nw = strnlen(want, CHAIR_PIN_MAX + 1), ng = strnlen(given, CHAIR_PIN_MAX + 1);
        unsigned diff = (unsigned) (nw ^ ng);

        for (size_t i = 0; i < CHAIR_PIN_MAX; i++) {
                char a = i < nw ? want[i] : 0, g = i < ng ? given[i] : 0;
                diff |= (unsigned) (unsigned char) (a ^ g);
        }
        return diff == 0;
}

enum chair_err chair_lock_on(struct chair_lock *l, const char *pin, bool *changed) {
        *changed = false;
        if (!chair_pin_valid(pin))
                return CHAIR_ERR_INVALID_VALUE;
        *changed = !l->locked;
        l->locked = true;
        return CHAIR_OK;
}

enum chair_err chair_lock_off(struct chair_lock *l, const char *pin, const char *given, uint64_t now_ns,
                              bool *changed, int32_t *retry_s) {
        *changed = false;
        if (l->blocked_until_ns > now_ns) {
                *retry_s = (int32_t) ((l->blocked_until_ns - now_ns + 999999999ull) / 1000000000ull);
                return CHAIR_ERR_RATE_LIMITED;
        }
        if (!chair_pin_valid(pin) || !given || !pin_equal(pin, given)) {
                if (++l->failures >= CHAIR_LOCK_MAX_FAILURES) {
                        l->failures = 0;
                        l->blocked_until_ns = now_ns + CHAIR_LOCK_BLOCK_NS;
                }
                return CHAIR_ERR_INVALID_VALUE;
        }
        l->failures = 0;
        *changed = l->locked;
        l->locked = false;
        return CHAIR_OK;
}

bool chair_pin_valid(const char *pin) {
        size_t n = pin ? strlen(pin) : 0;
        if (n < 4 || n > 8)
                return false;
        for (size_t i = 0; i < n; i++)
                if (pin[i] < '0' || pin[i] > '9')
                        return false;
        return true;
}
