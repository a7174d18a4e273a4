/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The child lock (design C3): on, off with the PIN, and the back-off after
 * wrong PINs.  A small POD the control step embeds and drives from its tick
 * (no allocation, no clock of its own: times are the tick's now_ns).  The PIN
 * itself is the config's (owner.pin); persistence is the daemon's
 * (daemon/owner-lock.c).
 */

#include <stdbool.h>
#include <stdint.h>

#include "command.h"

/* This many wrong PINs in a row refuse unlock for CHAIR_LOCK_BLOCK_NS. */
#define CHAIR_LOCK_MAX_FAILURES 5
#define CHAIR_LOCK_BLOCK_NS (60ull * 1000000000ull)

struct chair_lock {
        bool locked;
        uint8_t failures;
        uint64_t blocked_until_ns;
};

/* A child-lock PIN: 4 to 8 ASCII digits (config's owner.pin, the owner-pin
 * credential, an unlock's pin). */
bool chair_pin_valid(const char *pin);

/* While locked, only stop, pause, diag and unlock pass. */
static inline bool chair_lock_allows(const struct chair_lock *l, enum chair_action a) {
        return !l->locked || chair_action_allowed_locked(a);
}

/* Lock; invalid_value when pin (the configured one, may be NULL) is not a PIN.
 * *changed: it was unlocked. */
enum chair_err chair_lock_on(struct chair_lock *l, const char *pin, bool *changed);

/* Unlock with given at now_ns.  ok (and *changed when it was locked),
 * invalid_value for a wrong PIN (or none configured), rate_limited while the
 * back-off runs (*retry_s: whole seconds left). */
enum chair_err chair_lock_off(struct chair_lock *l, const char *pin, const char *given, uint64_t now_ns,
                              bool *changed, int32_t *retry_s);
