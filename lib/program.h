/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Massage programs: one YAML file per program (see docs/programs.md and
 * docs/config.md for the schema).  A loaded set is immutable; a SIGHUP reload
 * builds a new set and hands it over whole.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hal.h"

struct chair_config;
struct chair_errors;

enum chair_technique {
        CHAIR_TECH_ROLLING,        /* effleurage: long strokes along the zone */
        CHAIR_TECH_KNEADING,       /* petrissage */
        CHAIR_TECH_TAPPING,        /* percussion */
        CHAIR_TECH_SHIATSU,        /* trigger-point press and hold */
        CHAIR_TECH_DEEP_TISSUE,    /* slow kneading at depth */
        CHAIR_TECH_MYOFASCIAL,     /* slow rolling under sustained pressure */
        CHAIR_TECH_STRETCH,        /* airbags hold, recline opens */
        CHAIR_TECH_ROCKING,        /* slow recline oscillation */
        CHAIR_TECH_COMPRESSION,    /* airbag compression waves */
        CHAIR_TECH_HEAT,           /* rollers rest, heat only */
        _CHAIR_TECH_COUNT,
};

const char *chair_technique_name(enum chair_technique t);   /* "deep-tissue", ... */
int chair_technique_from_name(const char *s);

enum chair_landmark {
        CHAIR_LM_C7, CHAIR_LM_T10, CHAIR_LM_T12,
        CHAIR_LM_L1, CHAIR_LM_L2, CHAIR_LM_L3, CHAIR_LM_L4, CHAIR_LM_L5,
        CHAIR_LM_S1,
        _CHAIR_LM_COUNT,
};

const char *chair_landmark_name(enum chair_landmark l);     /* "C7", "L4", ... */
int chair_landmark_from_name(const char *s);

enum chair_recline {
        CHAIR_RECLINE_KEEP = -1,   /* step leaves recline where it is */
        CHAIR_RECLINE_UPRIGHT,
        CHAIR_RECLINE_RELAX,
        CHAIR_RECLINE_ZERO_GRAVITY,
        _CHAIR_RECLINE_COUNT,
};

const char *chair_recline_name(enum chair_recline r);       /* "upright", "relax", "zero-gravity" */
int chair_recline_from_name(const char *s);

struct chair_step {
        enum chair_technique technique;
        enum chair_landmark zone_from, zone_to;   /* zone_from <= zone_to in spine order */
        uint32_t duration_s;       /* at the program's default_minutes; scaled to the session */
        uint8_t intensity;         /* 1..5 */
        uint8_t speed;             /* 1..5 */
        bool heat;                 /* heater on during this step (if the owner allows heat) */
        uint8_t airbags;           /* bit mask of enum chair_airbag */
        enum chair_recline recline;
};

#define CHAIR_PROGRAM_ID_MAX 48
#define CHAIR_PROGRAM_MAX_STEPS 64
/* Programs in a loaded set (after overrides): command indexes are int16_t and
 * the retained <base>/programs list must stay a modest MQTT message. */
#define CHAIR_PROGRAMS_MAX 256

struct chair_program {
        char id[CHAIR_PROGRAM_ID_MAX];
        char *name;
        char *description;
        uint32_t default_minutes;
        struct chair_step *steps;
        size_t n_steps;
        uint32_t total_s;          /* sum of step durations */
        char *file;                /* where it was loaded from */
};

struct chair_programs {
        struct chair_program *v;
        size_t n;
        /* Programs skipped because they need a part this chair lacks (graceful fit). */
        char (*skipped)[CHAIR_PROGRAM_ID_MAX];
        size_t n_skipped;
};

void chair_program_clear(struct chair_program *p);

struct chair_programs *chair_programs_free(struct chair_programs *p);
/* Index of the program with this id, or -ENOENT. */
int chair_programs_find(const struct chair_programs *p, const char *id);

