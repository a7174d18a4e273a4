/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Building JSON documents with json-c where every allocation can fail and
 * nothing may leak: the state files (persist.c) and the counters' JSON
 * (counters.c).  Both helpers take ownership of v in every case, so a caller
 * can chain `r |= chair_json_add(o, "k", json_object_new_int(1));` and check
 * r once.  NULL as v means the allocation that made it failed.
 */

#include <json-c/json.h>

/* o[key] = v.  0, or -ENOMEM (v was NULL or could not be added; v is freed). */
int chair_json_add(struct json_object *o, const char *key, struct json_object *v);

/* Append v to the array a.  0, or -ENOMEM (v is freed). */
int chair_json_append(struct json_object *a, struct json_object *v);
