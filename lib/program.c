/* SPDX-License-Identifier: MIT */
/*
 * The program model: names of techniques, landmarks and recline presets, and
 * the program set's lifetime and lookup.  Part of the pure core (no file I/O);
 * loading and validating program files is lib/program-load.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "program.h"
#include "strtab.h"

static const char *const technique_names[_CHAIR_TECH_COUNT] = {
        [CHAIR_TECH_ROLLING] = "rolling",
        [CHAIR_TECH_KNEADING] = "kneading",
        [CHAIR_TECH_TAPPING] = "tapping",
        [CHAIR_TECH_SHIATSU] = "shiatsu",
        [CHAIR_TECH_DEEP_TISSUE] = "deep-tissue",
        [CHAIR_TECH_MYOFASCIAL] = "myofascial",
        [CHAIR_TECH_STRETCH] = "stretch",
        [CHAIR_TECH_ROCKING] = "rocking",
        [CHAIR_TECH_COMPRESSION] = "compression",
        [CHAIR_TECH_HEAT] = "heat",
};

/* Spine order, head first: zone ranges must run from the head toward the seat. */
static const char *const landmark_names[_CHAIR_LM_COUNT] = {
        [CHAIR_LM_C7] = "C7", [CHAIR_LM_T10] = "T10", [CHAIR_LM_T12] = "T12",
        [CHAIR_LM_L1] = "L1", [CHAIR_LM_L2] = "L2", [CHAIR_LM_L3] = "L3",
        [CHAIR_LM_L4] = "L4", [CHAIR_LM_L5] = "L5", [CHAIR_LM_S1] = "S1",
};

static const char *const recline_names[_CHAIR_RECLINE_COUNT] = {
        [CHAIR_RECLINE_UPRIGHT] = "upright",
        [CHAIR_RECLINE_RELAX] = "relax",
        [CHAIR_RECLINE_ZERO_GRAVITY] = "zero-gravity",
};

CHAIR_DEFINE_NAME_LOOKUP(chair_technique_name, chair_technique_from_name, enum chair_technique, technique_names, NULL)
CHAIR_DEFINE_NAME_LOOKUP(chair_landmark_name, chair_landmark_from_name, enum chair_landmark, landmark_names, NULL)
CHAIR_DEFINE_NAME_LOOKUP(chair_recline_name, chair_recline_from_name, enum chair_recline, recline_names, NULL)

void chair_program_clear(struct chair_program *p) {
        if (!p)
                return;
        free(p->name);
        free(p->description);
        free(p->steps);
        free(p->file);
        *p = (struct chair_program) { 0 };
}

struct chair_programs *chair_programs_free(struct chair_programs *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n; i++)
                chair_program_clear(&p->v[i]);
        free(p->v);
        free(p->skipped);
        free(p);
        return NULL;
}

int chair_programs_find(const struct chair_programs *p, const char *id) {
        for (size_t i = 0; p && id && i < p->n; i++)
                if (strcmp(p->v[i].id, id) == 0)
                        return (int) i;
        return -ENOENT;
}
