/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * An MQTT client (libmosquitto 2.0) driven by an sd-event loop: no
 * mosquitto_loop_start() thread.  The broker socket is watched with an sd-event
 * I/O source (re-registered on every reconnect, because every connect makes a
 * new socket), keepalive runs from a 1 s timer, and a lost or refused
 * connection is retried with jittered exponential backoff, 1 s doubling up to
 * 30 s.
 *
 * TCP_NODELAY is set on the socket.  Each wake-up reads every packet the kernel
 * holds (up to a bound), so a flood cannot park a command behind one packet per
 * loop turn.
 *
 * Every function is called on the thread that runs the sd-event loop.  Errors
 * are negative errno; chair_mqtt_errno() is the one place MOSQ_ERR_* codes are
 * converted.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

struct chair_mqtt;
struct chair_mqtt_config;

struct chair_mqtt_options {
        const char *host;
        uint16_t port;
        const char *client_id;
        const char *username;      /* NULL: anonymous */
        const char *password;
        bool tls;
        const char *cafile, *certfile, *keyfile;   /* cafile NULL with tls: system CAs */
        bool tls_insecure;         /* do not verify the server certificate */
        uint16_t keepalive;        /* seconds */
        int protocol;              /* 5 or 311 */
        /* Last will, published by the broker when the connection dies. */
        const char *will_topic;
        const char *will_payload;
        bool will_retain;
        /* Reconnect backoff, ms (0 = defaults 1000 and 30000). */
        unsigned backoff_min_ms, backoff_max_ms;
};

/* An incoming message; every pointer is valid during the callback only. */
struct chair_mqtt_message {
        const char *topic;
        const void *payload;
        size_t len;
        int qos;
        bool retain;
        const char *response_topic;        /* MQTT v5, or NULL */
        const void *correlation;           /* MQTT v5, or NULL */
        size_t correlation_len;
        bool has_expiry;                   /* MQTT v5 message expiry interval present */
        uint32_t expiry_s;                 /* remaining seconds as the broker delivered it */
};

struct chair_mqtt_callbacks {
        /* CONNACK accepted: (re)subscribe and republish retained state here. */
        void (*connected)(void *userdata);
        /* The connection is gone (reason: negative errno); a reconnect is scheduled. */
        void (*disconnected)(void *userdata, int reason);
        void (*message)(void *userdata, const struct chair_mqtt_message *m);
        void *userdata;
};

/* Creates the client; nothing connects until chair_mqtt_start().  Strings in o
 * are copied.  Returns -EINVAL for inconsistent options (TLS files unreadable...). */
int chair_mqtt_new(sd_event *e, const struct chair_mqtt_options *o,
                   const struct chair_mqtt_callbacks *cb, struct chair_mqtt **ret);
/* Drops the connection without a DISCONNECT (the broker publishes the will). */
struct chair_mqtt *chair_mqtt_free(struct chair_mqtt *m);

/* Start connecting (asynchronously); failures are retried with backoff. */
int chair_mqtt_start(struct chair_mqtt *m);
bool chair_mqtt_is_connected(const struct chair_mqtt *m);

int chair_mqtt_subscribe(struct chair_mqtt *m, const char *topic, int qos);
/* With retain_as_published (MQTT v5 only; ignored with 3.1.1) the broker keeps
 * the retain flag of a live publish, so a retained command sent while we are
 * subscribed is recognised as retained too, not only the stored one. */
int chair_mqtt_subscribe_opts(struct chair_mqtt *m, const char *topic, int qos,
                              bool retain_as_published);

/* QoS > 0 messages in flight at once (MOSQ_OPT_SEND_MAXIMUM). */
#define CHAIR_MQTT_SEND_MAXIMUM 16
/* Messages given to chair_mqtt_publish*() that libmosquitto has not finished
 * with yet (QoS 0: not yet written to the socket; QoS 1: not yet acknowledged).
 * libmosquitto queues without a limit; callers drop what they can when this
 * grows (a broker that stops reading must not grow our locked memory). */
unsigned chair_mqtt_queued(const struct chair_mqtt *m);
/* -ENOTCONN when not connected (nothing is queued while offline). */
int chair_mqtt_publish(struct chair_mqtt *m, const char *topic, const void *payload, size_t len,
                       int qos, bool retain);
/* Publish (not retained) with MQTT v5 Correlation Data (ignored with MQTT 3.1.1). */
int chair_mqtt_publish_correlated(struct chair_mqtt *m, const char *topic, const void *payload,
                                  size_t len, int qos, const void *correlation, size_t correlation_len);

/*
 * Orderly shutdown: send what is queued, then DISCONNECT (so the broker does
 * not publish the will), waiting up to timeout_ms in total.  Blocks: only for
 * the exit path.
 */
int chair_mqtt_shutdown(struct chair_mqtt *m, unsigned timeout_ms);

/* MOSQ_ERR_* → 0 or negative errno. */
int chair_mqtt_errno(int mosq_err);

/*
 * The password for cfg: the first line of cfg->password_file, else of
 * $CREDENTIALS_DIRECTORY/mqtt-password when that exists, else *ret = NULL.
 * Returns 0 or negative errno (file named but unreadable).  Caller frees.
 */
int chair_mqtt_read_password(const struct chair_mqtt_config *cfg, char **ret);

/*
 * The user name for cfg: cfg->username when set, else the first line of
 * $CREDENTIALS_DIRECTORY/mqtt-username (written by chaird-broker-setup), else
 * *ret = NULL (anonymous).  Caller frees.
 */
int chair_mqtt_read_username(const struct chair_mqtt_config *cfg, char **ret);

/* Next backoff: base doubled up to max, with the delay drawn in [base/2, base].
 * *state holds the current base (0 = start); seed is a rand_r() state. */
unsigned chair_mqtt_backoff_next(unsigned *state, unsigned min_ms, unsigned max_ms,
                                 unsigned *seed);
