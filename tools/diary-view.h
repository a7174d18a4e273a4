/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * chairctl's views of the pain diary (design C4, docs/pain-diary.md): the
 * "history" reply as a table with a small terminal chart, or as CSV a
 * physiotherapist can open in a spreadsheet; the "suggest" reply in words.
 * Each takes the daemon's reply object (not owned) and returns 0, or -EINVAL
 * when the reply lacks what it needs.
 */

#include <stdio.h>

struct json_object;

int diary_view_table(FILE *f, struct json_object *reply);
int diary_view_csv(FILE *f, struct json_object *reply);
int diary_view_suggestion(FILE *f, struct json_object *reply);
