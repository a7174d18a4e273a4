/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * One sysfs PWM channel (<root>/pwmchipN/pwmM, root normally /sys/class/pwm).
 *
 * chair_pwm_open() exports the channel when its directory is missing, waits
 * (bounded, start-up only) for udev to create it and make its files writable,
 * then programs it: disable, period, polarity, duty 0, enable.  The period is
 * always written before any duty cycle (the kernel refuses duty > period).
 * The files stay open; chair_pwm_set() writes the duty cycle with one pwrite()
 * on a kept-open descriptor, and only when it changed.
 *
 * Thread rules: open/free/safe_off on the main thread; set/off on the linux
 * backend's output thread (no allocation, no open(); one sysfs write, which may
 * sleep on an I²C PWM expander: never on the control tick, design C2).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct chair_pwm;

/* Start-up wait for udev after export, in milliseconds, used by the HAL. */
#define CHAIR_PWM_EXPORT_WAIT_MS 2000

/*
 * Returns 0 and *ret, or a negative errno with a one-line reason in why
 * (naming the path tried): -ENODEV missing chip or channel, -EACCES/-EPERM
 * not writable (after waiting up to wait_ms), -EBUSY export refused (the
 * channel is claimed by a kernel driver), others as the kernel says.
 */
int chair_pwm_open(const char *root, int chip, int channel, uint32_t period_ns, bool inverted,
                   unsigned wait_ms, struct chair_pwm **ret, char *why, size_t why_len);
/* Disables the channel, closes its files and unexports it.  Accepts NULL, returns NULL. */
struct chair_pwm *chair_pwm_free(struct chair_pwm *p);

/*
 * Set the duty cycle as a fraction 0..1 of the period (clamped), enabling the
 * channel if it was disabled by chair_pwm_off().  Writes only on change.
 * Returns 0 or a negative errno (the cached value then stays, so the next call
 * retries).
 */
int chair_pwm_set(struct chair_pwm *p, float duty);
/* Duty 0 and disable.  force: write even if the cache says it is already so.
 * Tries both writes; returns 0 or the first negative errno. */
int chair_pwm_off(struct chair_pwm *p, bool force);

/* Number of successful sysfs writes so far (diagnostics). */
uint64_t chair_pwm_writes(const struct chair_pwm *p);
uint32_t chair_pwm_period_ns(const struct chair_pwm *p);

/*
 * After a crash: export if needed, then write enable 0 and duty_cycle 0
 * without keeping anything.  Returns 0 or a negative errno with why filled.
 */
int chair_pwm_safe_off(const char *root, int chip, int channel, unsigned wait_ms, char *why, size_t why_len);
