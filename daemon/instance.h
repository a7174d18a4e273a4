/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * One chaird per chair.  Two daemons driving one chair would fight over its
 * lines, flap its availability on the broker and interleave writes to the same
 * state files.  chaird takes two advisory locks (flock, released by the kernel
 * when the process dies, so a crash never leaves a stale lock):
 *   - <state dir>/chaird.lock: one daemon per state directory;
 *   - <runtime dir>/chair-<id>@<host>:<port>.lock: one daemon per chair id on
 *     one broker (RUNTIME_DIRECTORY, else /run/chaird; created if missing).
 * Each lock file holds the holder's PID and config path, so the refusal names
 * the running daemon.
 */

#include <stddef.h>

struct chair_config;
struct chaird_instance;

/*
 * Take both locks.  Returns 0; -EBUSY when another daemon holds one, with a
 * one-line description of it (lock file, PID, config) in why; other negative
 * errno when a lock file cannot be created (why says which).
 */
int chaird_instance_lock(const struct chair_config *cfg, const char *config_path,
                         struct chaird_instance **ret, char *why, size_t why_len);
/* Releases the locks (the files stay).  Accepts NULL, returns NULL. */
struct chaird_instance *chaird_instance_unlock(struct chaird_instance *i);
