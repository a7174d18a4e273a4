/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The child lock's life outside the control step (design C3): where the PIN
 * comes from, and the lock kept across restarts in the state directory
 * ("lock.json", written atomically like the other state files).
 *
 * The lock itself (lock/unlock commands, PIN check, wrong-PIN back-off) is
 * the control step's (lib/control.c); this file only feeds it and remembers it.
 * Main thread only.
 */

#include <stdbool.h>

struct chair_config;
struct chair_ctl;
struct chaird;
struct chaird_lock;

/*
 * Without owner.pin in the config, take the PIN from the systemd credential
 * owner-pin ($CREDENTIALS_DIRECTORY/owner-pin; one line, 4 to 8 digits) into
 * cfg->owner.pin.  Returns 0 (also when there is no PIN anywhere: the chair then
 * cannot be locked), or a negative errno for a credential that is present but
 * unreadable or not 4 to 8 digits (logged).
 */
int chaird_owner_pin_load(struct chair_config *cfg);

/* Read the persisted lock and hand it to ctl before the control thread runs.
 * A locked chair without a PIN stays unlocked (warned): it could never be
 * unlocked again. */
void chaird_lock_restore(const struct chair_config *cfg, struct chair_ctl *ctl);

/* Listen for locked/unlocked events and persist them.  Returns 0 or negative errno. */
int chaird_lock_new(struct chaird *d, struct chaird_lock **ret);
struct chaird_lock *chaird_lock_free(struct chaird_lock *l);
