/* SPDX-License-Identifier: MIT */
/* What the daemon tells the journal and systemd about the chair (daemon/event-log.h). */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>

#include "control.h"
#include "daemon.h"
#include "errors.h"
#include "event-log.h"
#include "history.h"
#include "log.h"
#include "program.h"
#include "rtloop.h"
#include "selftest.h"

static const char *program_id(const struct chair_programs *p, int idx) {
        if (!p || idx < 0 || (size_t) idx >= p->n)
                return "?";
        return p->v[idx].id;
}

/* CHAIR_PROGRAM for a log line: the running program, else the one the session's own
 * events named; NULL (no field rather than "?") when there is none. */
static const char *log_program_id(const struct chaird_event_log *el, const struct chair_programs *progs,
                                  const struct chair_status *st) {
        int idx = st->program >= 0 ? st->program : el->program;
        return idx >= 0 ? program_id(progs, idx) : NULL;
}

static void format_faults(uint32_t mask, char *buf, size_t size) {
        size_t len = 0;
        buf[0] = '\0';
        for (int f = 0; f < _CHAIR_FAULT_COUNT && len < size; f++)
                if (mask & (1u << f))
                        len += (size_t) snprintf(buf + len, size - len, "%s%s",
                                                 len ? ", " : "", chair_fault_code(f));
}

/* The one-line STATUS= an operator sees in `systemctl status chaird`. */
void chaird_format_status_line(const struct chair_programs *progs, const struct chair_status *st,
                               char *buf, size_t size) {
        const char *prog = program_id(progs, st->program);
        unsigned left = st->remaining_s > 0 ? (unsigned) lroundf(st->remaining_s) : 0;
        char faults[96];

        format_faults(st->faults | st->faults_latched, faults, sizeof(faults));

        switch (st->state) {
        case CHAIR_STATE_RUNNING:
        case CHAIR_STATE_PAUSED:
                snprintf(buf, size, "%s %s, step %u/%u, %u:%02u left%s%s",
                         st->state == CHAIR_STATE_RUNNING ? "running" : "paused",
                         prog, st->step, st->steps, left / 60, left % 60,
                         faults[0] ? ", fault: " : "", faults);
                break;
        case CHAIR_STATE_SCANNING:
                snprintf(buf, size, "scanning body for %s", prog);
                break;
        case CHAIR_STATE_ENDING:
                snprintf(buf, size, "ending %s", prog);
                break;
        case CHAIR_STATE_FAULT:
                snprintf(buf, size, "fault: %s", faults[0] ? faults : "unknown");
                break;
        case CHAIR_STATE_IDLE:
        default:
                if (faults[0])
                        snprintf(buf, size, "idle, fault: %s", faults);
                else
                        snprintf(buf, size, "idle");
                break;
        }
}

void chaird_log_errors(const struct chair_errors *errs) {
        for (size_t i = 0; i < errs->n; i++) {
                const struct chair_error *e = &errs->v[i];
                /* Warnings (a program skipped for a part the chair lacks, ...) and
                 * notes (an override by id) are logged once, when the set loads. */
                log_full(e->warning ? LOG_WARNING : e->note ? LOG_NOTICE : LOG_ERR, 0, NULL,
                         "%s:%u:%u: %s: %s", e->file ? e->file : "?", e->line, e->column,
                         e->path ? e->path : "", e->message ? e->message : "");
        }
}

static const char *strna(const char *s) {
        return s ? s : "?";
}

void chaird_log_event(struct chaird_event_log *el, const struct chair_programs *progs,
                      const struct chair_status *st, uint32_t run_token, const struct chair_event *ev) {
        struct log_fields f = { 0 };

        switch (ev->kind) {
        case CHAIR_EVENT_RESULT:
                if (ev->result.err == CHAIR_OK)
                        log_debug("command %s (token %u) accepted",
                                  chair_action_name(ev->result.action), ev->result.token);
                else
                        log_full(ev->result.token == run_token ? LOG_ERR : LOG_INFO, 0, NULL,
                                 "command %s refused: %s", chair_action_name(ev->result.action),
                                 chair_err_message(ev->result.err));
                break;
        case CHAIR_EVENT_SESSION_STARTED:
                el->program = ev->started.program;
                f.program = program_id(progs, ev->started.program);
                log_full(LOG_INFO, 0, &f, "session started: %s, %u:%02u planned", f.program,
                         ev->started.planned_s / 60, ev->started.planned_s % 60);
                break;
        case CHAIR_EVENT_SCAN_DONE:
                log_info("body scan done: shoulder line at %.0f mm", ev->scan.shoulder_mm);
                break;
        case CHAIR_EVENT_STEP:
                f.program = log_program_id(el, progs, st);
                f.step = ev->step.index;
                log_full(LOG_INFO, 0, &f, "step %u: %s", (unsigned) ev->step.index,
                         chair_technique_name(ev->step.technique));
                break;
        case CHAIR_EVENT_SESSION_ENDED:
                f.program = log_program_id(el, progs, st);
                log_full(LOG_INFO, 0, &f, "session ended (%s) after %.0f s",
                         chair_end_reason_name(ev->ended.reason), ev->ended.elapsed_s);
                el->program = -1;
                break;
        case CHAIR_EVENT_FAULT: {
                char ctx[160];
                chaird_fault_context(st, &ev->fault.where, progs, ctx, sizeof(ctx));
                f.fault = chair_fault_code(ev->fault.code);
                f.program = ev->fault.where.program >= 0 ? program_id(progs, ev->fault.where.program) : NULL;
                f.step = ev->fault.where.step;
                f.context = ctx;
                log_full(LOG_WARNING, 0, &f, "fault: %s: %s (%s)", f.fault, chair_fault_message(ev->fault.code), ctx);
                break;
        }
        case CHAIR_EVENT_SELF_TEST: {
                char sum[512];
                chair_st_report_summary(&ev->self_test, sum, sizeof(sum));
                log_full(ev->self_test.passed ? LOG_NOTICE : LOG_WARNING, 0, NULL, "self-test %s: %s",
                         ev->self_test.passed ? "passed" : ev->self_test.aborted ? "aborted" : "failed", sum);
                break;
        }
        case CHAIR_EVENT_FAULT_CLEARED:
                f.fault = chair_fault_code(ev->fault.code);
                log_full(LOG_NOTICE, 0, &f, "fault cleared: %s", f.fault);
                break;
        /* owner API (design C3) */
        case CHAIR_EVENT_PAUSED:
                log_info("session paused (%s)", chair_pause_reason_name(ev->paused.reason));
                break;
        case CHAIR_EVENT_RESUMED:
                log_info("session resumed");
                break;
        case CHAIR_EVENT_OCCUPANT_LEFT:
                log_info("occupant left the seat");
                break;
        case CHAIR_EVENT_OCCUPANT_RETURNED:
                log_info("occupant back in the seat");
                break;
        case CHAIR_EVENT_PROGRAM_SWITCHED:
                log_info("program switched: %s -> %s", strna(program_id(progs, ev->switched.from)),
                         strna(program_id(progs, ev->switched.to)));
                break;
        case CHAIR_EVENT_LOCKED:
                log_notice("child lock on");
                break;
        case CHAIR_EVENT_UNLOCKED:
                log_notice("child lock off");
                break;
        }
}

const char *chaird_policy_name(int policy) {
        return policy == SCHED_FIFO ? "SCHED_FIFO" : policy == SCHED_RR ? "SCHED_RR" : "SCHED_OTHER";
}

void chaird_log_rt_info(const struct chair_rt_info *i, uint32_t rate_hz) {
        if (i->sched_error)
                /* the one warning the issue asks for when real-time scheduling is refused */
                log_warning_errno(i->sched_error,
                                  "real-time scheduling refused (SCHED_FIFO priority %d, RLIMIT_RTPRIO %ld), "
                                  "control loop runs as SCHED_OTHER, expect jitter",
                                  i->requested_priority, i->rtprio_limit);
        else if (i->priority_clamped)
                log_notice("control priority %d lowered to RLIMIT_RTPRIO %ld",
                           i->requested_priority, i->rtprio_limit);
        if (i->cpu_error)
                log_warning_errno(i->cpu_error, "cannot pin the control thread to CPU %d, ignoring",
                                  i->cpu);
        if (i->mlock_error == -EOPNOTSUPP)
                log_debug("memory not locked (sanitizer build or small RLIMIT_MEMLOCK)");
        else if (i->mlock_error)
                log_warning_errno(i->mlock_error, "mlockall() failed, page faults may delay ticks, ignoring");
        log_info("control loop: %u Hz, %s priority %d%s%s", rate_hz, chaird_policy_name(i->policy), i->priority,
                 i->cpu >= 0 ? ", pinned" : "", i->memory_locked ? ", memory locked" : "");
}
