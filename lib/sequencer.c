/* SPDX-License-Identifier: MIT */
/* placeholder: being written */
#include <stddef.h>
extern int chair_placeholder_sequencer;
