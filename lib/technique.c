/* SPDX-License-Identifier: MIT */
#include <math.h>

#include "technique.h"

/*
 * How the figures below were chosen
 * ---------------------------------
 * Every technique follows the same two rules so that the owner's knobs mean the
 * same thing everywhere:
 *   - intensity (1..5) scales only *magnitudes*: roller depth, tapping duty,
 *     airbag pressure, recline amplitude;
 *   - speed (1..5) scales only *time*: stroke rates, dwell and hold times,
 *     wave periods.
 * Keeping the two apart is what makes "more intensity never changes the
 * rhythm" true, and lets the tests check monotonic effects independently.
 *
 * Speed 3 is the nominal figure quoted in each comment; each speed step changes
 * rates by 20 % of nominal (speed 1 = 0.6x, speed 5 = 1.4x).  That is a range
 * a user can clearly feel without the slow end turning into a standstill or
 * the fast end outrunning the carriage motor (120 mm/s at full duty on the
 * reference chair).
 *
 * Every move of the carriage and every press or release of the rollers uses a
 * smoothstep profile: zero velocity at both ends, so the output shaping stage
 * (which limits slew) never has to absorb a step in speed and the rollers never
 * jolt.  Airbag targets are the one place with steps: a valve is open or shut,
 * and the pump's fill rate does the smoothing.
 *
 * A setpoint is a pure function of the arguments.  When the owner changes speed
 * in the middle of a step, the phase of a periodic motion jumps; the shaping
 * stage then moves the carriage to the new setpoint at its limited speed, which
 * is felt as a short glide, not a jerk.
 */

/* Longest time into a step we compute with.  A session is at most 30 min, so
 * any larger t_s is already nonsense; clamping keeps float phases exact enough
 * (at 1e5 s a float still resolves 8 ms) and avoids inf - inf = NaN. */
#define T_MAX_S 100000.0f

/* Not chair_clampf(): a setpoint generator maps NaN to the gentle end. */
static float clamp_nan_lo(float v, float lo, float hi) {
        /* Written so that NaN maps to lo. */
        if (!(v > lo))
                return lo;
        return v > hi ? hi : v;
}

/* 0..1 from a 1..5 knob; fractional values (intensity ramps) interpolate. */
static float knob01(float v) {
        return (clamp_nan_lo(v, 1.0f, 5.0f) - 1.0f) * 0.25f;
}

static float lerpf(float a, float b, float u) {
        return a + (b - a) * u;
}

/* Smoothstep 0..1: zero slope at both ends, peak slope 1.5.  Cheaper than a
 * raised cosine and just as gentle for the motors. */
static float ease(float u) {
        u = clamp_nan_lo(u, 0.0f, 1.0f);
        return u * u * (3.0f - 2.0f * u);
}

/* Fractional part of a non-negative x. */
static float fracf(float x) {
        return x - floorf(x);
}

/*
 * A smooth reversing sweep over the whole zone at an average speed of
 * v_mm_s: a triangle wave shaped by smoothstep, so the carriage slows into
 * each end instead of bouncing off it.  Peak speed is 1.5x the average.
 */
static float sweep(const struct chair_zone *z, float v_mm_s, float t) {
        float span = z->to_mm - z->from_mm;

        if (span < 1.0f)
                return z->from_mm + span * 0.5f;

        float period = 2.0f * span / v_mm_s;
        float ph = fracf(t / period);
        float tri = ph < 0.5f ? 2.0f * ph : 2.0f - 2.0f * ph;

        return z->from_mm + span * ease(tri);
}

/*
 * Visit points spaced about pitch_mm apart through the zone, back and forth
 * (0, 1, ..., n-1, n-2, ..., 1, 0, ...).  Each visit lasts cycle_s: the first
 * move_s glide from the previous point, the rest dwells.  Returns the carriage
 * position; *tau gets the time since this visit began (for press/hold
 * profiles).
 */
static float walk_points(const struct chair_zone *z, float pitch_mm, float cycle_s, float move_s,
                         float t, float *tau) {
        float span = z->to_mm - z->from_mm;
        long idx = (long) (t / cycle_s);

        *tau = t - (float) idx * cycle_s;
        if (span < pitch_mm * 0.5f)
                return z->from_mm + span * 0.5f;

        /* Round so the real spacing is as close to pitch_mm as the zone allows;
         * the points always include both ends of the zone. */
        long n = (long) (span / pitch_mm + 0.5f) + 1;
        long m = 2 * (n - 1);
        long cur = idx % m, prev = idx == 0 ? cur : (idx - 1) % m;

        if (cur >= n)
                cur = m - cur;
        if (prev >= n)
                prev = m - prev;

        float step = span / (float) (n - 1);
        float a = z->from_mm + step * (float) prev;
        float b = z->from_mm + step * (float) cur;

        return lerpf(a, b, ease(*tau / move_s));
}

/*
 * Kneading motor command that alternates direction every half period, with a
 * smooth pass through zero: a sine clipped at 40 % of its amplitude gives a
 * near-square wave whose reversals take about a tenth of the period.  Reversing
 * the rotation works the tissue from both sides, as a therapist's alternating
 * hands do, and spares the motor hard reversals.
 */
static float alternate(float magnitude, float period_s, float t) {
        float s = 2.5f * sinf(6.2831853f * fracf(t / period_s));

        return magnitude * clamp_nan_lo(s, -1.0f, 1.0f);
}

void chair_technique_eval(enum chair_technique tech, const struct chair_zone *zone,
                          float intensity, float speed, float t_s, float max_kpa,
                          struct chair_setpoint *sp) {
        struct chair_zone z = *zone;
        float k, rate, t, cap, tau, u;

        /* The contract says from < to; tolerate a swapped or NaN zone rather
         * than send the carriage outside it. */
        if (isnan(z.from_mm))
                z.from_mm = isnan(z.to_mm) ? 0.0f : z.to_mm;
        if (isnan(z.to_mm))
                z.to_mm = z.from_mm;
        if (z.from_mm > z.to_mm) {
                float x = z.from_mm;
                z.from_mm = z.to_mm;
                z.to_mm = x;
        }

        k = knob01(intensity);
        rate = 0.6f + 0.8f * knob01(speed);
        t = clamp_nan_lo(t_s, 0.0f, T_MAX_S);
        cap = clamp_nan_lo(max_kpa, 0.0f, INFINITY);

        *sp = (struct chair_setpoint) {
                .carriage_mm = z.from_mm + (z.to_mm - z.from_mm) * 0.5f,
        };

        switch (tech) {
        case CHAIR_TECH_ROLLING:
                /* Effleurage: long, even strokes over the whole zone.  45 mm/s
                 * average is an unhurried glide: a 300 mm lumbar-to-mid-back stroke
                 * takes about 7 s each way, slow enough to relax rather than rub.
                 * Depth stays light (0.10..0.30): these strokes warm the tissue
                 * and spread blood flow before any deeper work. */
                sp->carriage_mm = sweep(&z, 45.0f * rate, t);
                sp->depth = lerpf(0.10f, 0.30f, k);
                break;

        case CHAIR_TECH_KNEADING:
                /* Petrissage: the rollers knead in place, then shift 40 mm (about
                 * one vertebra and a half) to the next spot.  8 s per spot gives
                 * two reversals of the knead motor per spot, enough for the muscle
                 * under the rollers to be lifted and worked from both sides.
                 * Moderate depth (0.35..0.60): kneading is felt through the
                 * roller's rotation, not through pressing. */
                sp->carriage_mm = walk_points(&z, 40.0f, 8.0f / rate, 1.5f / rate, t, &tau);
                sp->knead = alternate(0.5f * rate, 8.0f / rate, t);
                sp->depth = lerpf(0.35f, 0.60f, k);
                break;

        case CHAIR_TECH_TAPPING:
                /* Percussion: the tap motor's duty sets the force and frequency of
                 * the blows, so it follows intensity (0.25..0.85: level 1 must
                 * still be felt as tapping, and the top is kept off full duty,
                 * where blows on the lower back turn from brisk to harsh).
                 * The carriage steps 30 mm every 4 s so each spot gets a short,
                 * rhythmic burst and the whole zone is covered.  Depth just keeps
                 * the rollers in contact so the taps land (0.20..0.30). */
                sp->carriage_mm = walk_points(&z, 30.0f, 4.0f / rate, 1.0f / rate, t, &tau);
                sp->tap = lerpf(0.25f, 0.85f, k);
                sp->depth = lerpf(0.20f, 0.30f, k);
                break;

        case CHAIR_TECH_SHIATSU: {
                /* Trigger-point press and hold.  Points 25 mm apart, about the
                 * spacing of the paraspinal points a therapist's thumbs work
                 * down the back, so no spot in the zone is skipped.  Each point:
                 * glide there (1.5 s), press in over 1 s, hold, release over
                 * 1 s.  The hold (6 s nominal, 10 s at speed 1, ~4 s at speed 5)
                 * is long enough for the tissue under steady pressure to yield
                 * and for the first sting of pressure on a knot to fade, and
                 * short enough that one spot is never pressed so long it goes
                 * numb.  The press depth (0.55..0.90) is the deepest of the
                 * moving techniques because it lasts seconds, not minutes.
                 * Between points the rollers stay in light contact (0.15) so
                 * the travel is felt as part of the stroke, not a gap. */
                const float move = 1.5f / rate, press = 1.0f / rate, hold = 6.0f / rate,
                            release = 1.0f / rate;
                const float base = 0.15f, deep = lerpf(0.55f, 0.90f, k);

                sp->carriage_mm = walk_points(&z, 25.0f, move + press + hold + release, move, t, &tau);
                if (tau < move)
                        sp->depth = base;
                else if (tau < move + press)
                        sp->depth = lerpf(base, deep, ease((tau - move) / press));
                else if (tau < move + press + hold)
                        sp->depth = deep;
                else
                        sp->depth = lerpf(deep, base, ease((tau - move - press - hold) / release));
                break;
        }

        case CHAIR_TECH_DEEP_TISSUE:
                /* Slow kneading at depth (0.60..0.90).  The carriage creeps at
                 * 6 mm/s so deep pressure has time to reach the deeper muscle
                 * layers instead of skidding over them; the knead motor runs at
                 * half the kneading technique's speed and reverses every 6 s
                 * for the same reason. */
                sp->carriage_mm = sweep(&z, 6.0f * rate, t);
                sp->knead = alternate(0.25f * rate, 12.0f / rate, t);
                sp->depth = lerpf(0.60f, 0.90f, k);
                break;

        case CHAIR_TECH_MYOFASCIAL:
                /* Myofascial release: sustained, even pressure (0.45..0.75)
                 * dragged very slowly, 4 mm/s, so the fascia is stretched and
                 * given time to release rather than rolled over.  No kneading or
                 * tapping: the steadiness is the point. */
                sp->carriage_mm = sweep(&z, 4.0f * rate, t);
                sp->depth = lerpf(0.45f, 0.75f, k);
                break;

        case CHAIR_TECH_STRETCH: {
                /* Lumbar stretch: the lumbar bags grip the hips, then the
                 * backrest opens slowly to lengthen the lower back, holds, and
                 * returns; the bags let go briefly so the hips can settle before
                 * the next grip.  36 s per cycle nominal: 4.3 s for the bags to
                 * take hold before anything moves (they keep filling while the
                 * backrest starts to open), 12 s to open
                 * (slow, so the muscles do not guard against the stretch),
                 * 9 s held (passive stretches are held for several seconds to
                 * let the muscle lengthen), 9 s to close, 1.8 s vented.  Opening
                 * and closing stay under 0.05 of the stroke per second, what the
                 * reference backrest (20 s full stroke) can follow at any speed.
                 * Bags at 35..75 % of the pressure cap: firm enough to hold the
                 * pelvis, with headroom under the cap.  Recline opens by
                 * 0.06..0.18 of its stroke, well inside the +-0.2 offset range. */
                const float cycle = 36.0f / rate;
                const float kpa = fminf(lerpf(0.35f, 0.75f, k) * cap, cap);
                const float amp = lerpf(0.06f, 0.18f, k);

                u = fracf(t / cycle);
                if (u < 0.12f)
                        sp->recline_offset = 0.0f;
                else if (u < 0.45f)
                        sp->recline_offset = amp * ease((u - 0.12f) / 0.33f);
                else if (u < 0.70f)
                        sp->recline_offset = amp;
                else
                        sp->recline_offset = amp * (1.0f - ease((u - 0.70f) / 0.25f));
                if (u < 0.95f) {
                        sp->bag_kpa[CHAIR_BAG_LUMBAR_LEFT] = kpa;
                        sp->bag_kpa[CHAIR_BAG_LUMBAR_RIGHT] = kpa;
                }
                sp->depth = 0.10f;
                break;
        }

        case CHAIR_TECH_ROCKING: {
                /* Slow recline oscillation, 12 s per swing at speed 1 down to 8 s
                 * at speed 5: about the rhythm of slow, relaxed breathing, which
                 * is felt as lulling rather than as motion, and slow enough for
                 * the recline motor to reverse gently.  The amplitude is small
                 * (0.03..0.06 of the recline stroke; at 0.06 and 8 s the backrest
                 * moves at most 0.047 of its stroke per second, within what the
                 * reference motor follows): rocking soothes, it does not move
                 * the body.  Starts at zero offset (sine), so entering
                 * the step does not jerk the backrest.  Rollers rest in light
                 * contact. */
                const float period = 12.0f - 4.0f * knob01(speed);

                sp->recline_offset = lerpf(0.03f, 0.06f, k) * sinf(6.2831853f * fracf(t / period));
                sp->depth = lerpf(0.10f, 0.20f, k);
                break;
        }

        case CHAIR_TECH_COMPRESSION: {
                /* Airbag waves lumbar-left -> lumbar-right -> seat -> calves.  Each
                 * bag holds for 1.5 slots, so it is still full while the next one
                 * fills and the squeeze travels instead of blinking.  5 s slots
                 * (20 s per wave) leave the reference pump time to fill a bag and
                 * the tissue time to refill with blood between squeezes, which is
                 * what the rhythmic compression is for.  Pressure 35..75 % of the
                 * cap.  Rollers retract so the bags do the work. */
                const float slot = 5.0f / rate, wave = 4.0f * slot;
                const float kpa = fminf(lerpf(0.35f, 0.75f, k) * cap, cap);
                static const enum chair_airbag order[] = {
                        CHAIR_BAG_LUMBAR_LEFT, CHAIR_BAG_LUMBAR_RIGHT, CHAIR_BAG_SEAT, CHAIR_BAG_CALVES,
                };

                for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
                        float since = t - slot * (float) i;

                        /* Before its first turn a bag stays vented; after that it
                         * repeats every wave. */
                        if (since >= 0.0f && since - wave * floorf(since / wave) < 1.5f * slot)
                                sp->bag_kpa[order[i]] = kpa;
                }
                sp->depth = 0.0f;
                break;
        }

        case CHAIR_TECH_HEAT:
                /* Heat only: rollers parked mid-zone in light contact
                 * (0.10..0.20), so the heated roller area rests on the muscles
                 * it is warming; nothing moves. */
                sp->depth = lerpf(0.10f, 0.20f, k);
                break;

        case _CHAIR_TECH_COUNT:
        default:
                /* Unknown technique: rollers rest at the zone's middle, retracted. */
                break;
        }

        /* Final guard for the documented ranges.  Cheap, and it makes the range
         * contract hold even for inputs the callers are not supposed to pass. */
        sp->carriage_mm = clamp_nan_lo(sp->carriage_mm, z.from_mm, z.to_mm);
        sp->depth = clamp_nan_lo(sp->depth, 0.0f, 1.0f);
        sp->knead = clamp_nan_lo(sp->knead, -1.0f, 1.0f);
        sp->tap = clamp_nan_lo(sp->tap, 0.0f, 1.0f);
        sp->recline_offset = clamp_nan_lo(sp->recline_offset, -0.2f, 0.2f);
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                sp->bag_kpa[b] = clamp_nan_lo(sp->bag_kpa[b], 0.0f, cap);
}
