/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Program reloads off the main loop.  Loading a program directory reads and
 * validates files a maker (or anyone with write access) put there; however
 * slow that is, the main loop must go on answering stop commands and feeding
 * the watchdog, and SIGTERM must be honoured at once.  A worker thread loads;
 * the main loop hears of the result through an eventfd in its sd-event loop
 * and takes the new set from there (same thread as before: the hand-over to
 * the control thread does not change).
 *
 * Main thread only.  The worker touches nothing but the config (read-only)
 * and its own result.
 */

#include <stdbool.h>

#include <systemd/sd-event.h>

struct chair_config;
struct chair_programs;
struct chair_errors;
struct chaird_reload;

/* Called on the main loop when a load ended: r and errs as chair_programs_load()
 * left them; the callee takes p (NULL on failure) and must clear errs. */
typedef void (*chaird_reload_done_t)(void *userdata, int r, struct chair_programs *p, struct chair_errors *errs);

int chaird_reload_new(sd_event *e, const struct chair_config *cfg, chaird_reload_done_t done, void *userdata,
                      struct chaird_reload **ret);
/* Start a load.  When one runs already, another follows it (the newest files
 * win); returns 1 when a load started now, 0 when it was queued, or a negative
 * errno when no thread could be started. */
int chaird_reload_request(struct chaird_reload *rl);
bool chaird_reload_busy(const struct chaird_reload *rl);
/*
 * Free; a load still running is not waited for (a file may block for ever).
 * Returns true when the worker was left running: it still reads the config,
 * so the caller must not free that (the process is about to exit anyway).
 */
bool chaird_reload_free(struct chaird_reload *rl);
