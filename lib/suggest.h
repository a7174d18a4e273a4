/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * "did you mean ...?" for names an owner typed (design C3): program ids and
 * names, landmarks, recline positions.  A name is close when it differs only in
 * case, or in at most a third of its letters (at most 3).  No allocation.
 */

#include <stddef.h>

struct chair_programs;

/* Names longer than this are never close. */
#define CHAIR_SUGGEST_MAX_LEN 64

/* "; did you mean \"x\"?" in buf for the closest of cands, returned; "" when none is close. */
const char *chair_suggest(const char *typed, const char *const *cands, size_t n, char *buf, size_t size);

/* The same over the programs' ids and names; suggests the id. */
const char *chair_suggest_program(const char *typed, const struct chair_programs *progs, char *buf, size_t size);
