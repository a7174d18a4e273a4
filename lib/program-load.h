/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Loading program files (YAML, libcyaml) and checking a whole configuration.
 * The I/O half of the programs; the model they load into is lib/program.h.
 */

#include <stdio.h>

#include "program.h"

struct chair_config;
struct chair_errors;

/*
 * Load one program file, validating against the chair.  Returns 0, -EINVAL
 * with errors appended, -ENOMEM, or -ENODEV when the program is valid but needs
 * a part the chair lacks: then one warning naming the parts is appended and
 * only ret->id is set.  Warnings (docs/programs.md "Checks") may be appended on
 * success too.  With cfg NULL the chair is not considered.
 */
int chair_program_load(const char *path, const struct chair_config *cfg,
                       struct chair_errors *errs, struct chair_program *ret);
/*
 * Load every *.yaml in cfg->program_dirs (later directories override earlier
 * ones with the same id; each override is a note in errs).  Duplicate ids
 * inside one directory are errors.  A program that needs a part the chair
 * lacks is skipped with one warning (listed in ->skipped); when programs were
 * skipped and none remains, that is an error.  Returns 0 (errs may hold
 * warnings and notes), or negative errno with located errors appended to errs.
 */
int chair_programs_load(const struct chair_config *cfg, struct chair_errors *errs,
                        struct chair_programs **ret);
/*
 * --check-config: load the config at CONFIG_PATH and every program it names,
 * then print "configuration OK" to OUT, or every error found in the config and
 * in all programs (FILE:LINE:COL: PATH: MESSAGE, one per line).
 * Returns 0, -EINVAL when errors were printed, or -ENOMEM.
 */
int chair_check_config(const char *config_path, FILE *out);
