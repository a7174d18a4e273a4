/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "config.h"
#include "mqtt.h"

/* Packets read per wake-up at most (see on_io()). */
#define CHAIR_MQTT_READ_BURST 256

struct chair_mqtt {
        sd_event *event;
        struct mosquitto *mosq;
        sd_event_source *io;       /* the broker socket; NULL while disconnected */
        int io_fd;
        uint32_t io_events;
        sd_event_source *misc;     /* 1 s: keepalive pings, retries */
        sd_event_source *retry;    /* one-shot reconnect timer */
        struct chair_mqtt_callbacks cb;

        char *host, *client_id, *username, *password;
        char *cafile, *certfile, *keyfile, *will_topic, *will_payload;
        uint16_t port, keepalive;
        int protocol;
        unsigned backoff_min_ms, backoff_max_ms, backoff, seed;
        /* Messages handed to libmosquitto and not yet done with (written for QoS 0,
         * acknowledged for QoS 1): libmosquitto's outgoing queue has no limit of its
         * own, so the caller reads this and drops what it can (chair_mqtt_queued()). */
        unsigned queued;
        /* Inside a libmosquitto callback: it holds its callback mutex there, and
         * writing a QoS 0 PUBLISH takes that mutex again (for on_publish), so
         * publish() must leave the write to on_io(). */
        bool in_callback;
        bool started, connecting, connected, ever_connected;
};

int chair_mqtt_errno(int rc) {
        switch (rc) {
        case MOSQ_ERR_SUCCESS: return 0;
        case MOSQ_ERR_CONN_PENDING: return -EINPROGRESS;
        case MOSQ_ERR_NOMEM: return -ENOMEM;
        case MOSQ_ERR_PROTOCOL: return -EPROTO;
        case MOSQ_ERR_INVAL: return -EINVAL;
        case MOSQ_ERR_NO_CONN: return -ENOTCONN;
        case MOSQ_ERR_CONN_REFUSED: return -ECONNREFUSED;
        case MOSQ_ERR_NOT_FOUND: return -ENOENT;
        case MOSQ_ERR_CONN_LOST: return -ECONNRESET;
        case MOSQ_ERR_TLS: return -EPROTO;
        case MOSQ_ERR_PAYLOAD_SIZE: return -EMSGSIZE;
        case MOSQ_ERR_NOT_SUPPORTED: return -EOPNOTSUPP;
        case MOSQ_ERR_AUTH: return -EACCES;
        case MOSQ_ERR_ACL_DENIED: return -EACCES;
        case MOSQ_ERR_ERRNO: return errno > 0 ? -errno : -EIO;
        case MOSQ_ERR_EAI: return -EHOSTUNREACH;
        case MOSQ_ERR_MALFORMED_UTF8: return -EILSEQ;
        case MOSQ_ERR_KEEPALIVE: return -ETIMEDOUT;
        case MOSQ_ERR_LOOKUP: return -EHOSTUNREACH;
        case MOSQ_ERR_MALFORMED_PACKET: return -EBADMSG;
        case MOSQ_ERR_DUPLICATE_PROPERTY: return -EINVAL;
        case MOSQ_ERR_TLS_HANDSHAKE: return -EPROTO;
        case MOSQ_ERR_QOS_NOT_SUPPORTED: return -EOPNOTSUPP;
        case MOSQ_ERR_OVERSIZE_PACKET: return -EMSGSIZE;
        case MOSQ_ERR_TIMEOUT: return -ETIMEDOUT;
        case MOSQ_ERR_RETAIN_NOT_SUPPORTED: return -EOPNOTSUPP;
        case MOSQ_ERR_ADMINISTRATIVE_ACTION: return -ECONNRESET;
        case MOSQ_ERR_ALREADY_EXISTS: return -EEXIST;
        default: return -EIO;
        }
}

unsigned chair_mqtt_backoff_next(unsigned *state, unsigned min_ms, unsigned max_ms,
                                 unsigned *seed) {
        unsigned base = *state == 0 ? min_ms : *state;
        /* full range [base/2, base]: many chairs restarting with one broker spread out */
        unsigned half = base / 2;
        unsigned delay = half + (half ? (unsigned) rand_r(seed) % (half + 1) : 0);
        *state = base >= max_ms / 2 ? max_ms : base * 2;
        return delay ? delay : 1;
}

static int read_first_line(const char *path, char **ret) {
        FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        char *line = NULL;
        size_t n = 0;
        ssize_t l = getline(&line, &n, f);
        int r = l < 0 ? (ferror(f) ? -EIO : 0) : 0;
        fclose(f);
        if (l < 0) {
                free(line);
                line = strdup("");
                if (!line)
                        return -ENOMEM;
        }
        while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r'))
                line[--l] = 0;
        if (r < 0) {
                free(line);
                return r;
        }
        *ret = line;
        return 0;
}

/* The first line of $CREDENTIALS_DIRECTORY/<name>, or *ret = NULL when there is none. */
static int read_credential(const char *name, char **ret) {
        *ret = NULL;
        const char *dir = getenv("CREDENTIALS_DIRECTORY");
        if (!dir || !*dir)
                return 0;
        char *p = NULL;
        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        int r = access(p, R_OK) == 0 ? read_first_line(p, ret) : 0;
        free(p);
        return r;
}

int chair_mqtt_read_username(const struct chair_mqtt_config *cfg, char **ret) {
        *ret = NULL;
        if (cfg && cfg->username && *cfg->username) {
                *ret = strdup(cfg->username);
                return *ret ? 0 : -ENOMEM;
        }
        int r = read_credential("mqtt-username", ret);
        if (r >= 0 && *ret && !**ret) {
                free(*ret);
                *ret = NULL;
        }
        return r;
}

int chair_mqtt_read_password(const struct chair_mqtt_config *cfg, char **ret) {
        *ret = NULL;
        if (cfg && cfg->password_file && *cfg->password_file)
                return read_first_line(cfg->password_file, ret);
        return read_credential("mqtt-password", ret);
}

static uint64_t now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static void schedule_retry(struct chair_mqtt *m);
static int update_io(struct chair_mqtt *m);

static void drop_io(struct chair_mqtt *m) {
        m->io = sd_event_source_disable_unref(m->io);
        m->io_fd = -1;
}

/* The connection is gone (read/write error, refused CONNACK, keepalive). */
static void lost(struct chair_mqtt *m, int reason) {
        bool was_connected = m->connected;
        bool was_connecting = m->connecting;
        drop_io(m);
        m->connected = m->connecting = false;
        if (!was_connected && !was_connecting)
                return;
        /* No DISCONNECT here: on a half-dead link it would make the broker drop our
         * will, and "offline" must reach the subscribers.  The library closed the
         * socket already or closes it on the next reconnect. */
        if (m->cb.disconnected)
                m->cb.disconnected(m->cb.userdata, reason);
        schedule_retry(m);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct chair_mqtt *m = userdata;
        int rc = MOSQ_ERR_SUCCESS;
        /* Reads also drive the TLS handshake (mosquitto_loop_read() continues it while
         * the connection is being set up), so call it on writability as well. */
        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLOUT)) {
                /* mosquitto_loop_read() takes one packet per call.  Under a flood one
                 * packet per loop turn lets the socket buffer fill with junk ahead of
                 * the owner's stop: read everything the kernel holds now (bounded, so
                 * the control thread's events still get their turn). */
                for (unsigned i = 0; i < CHAIR_MQTT_READ_BURST && rc == MOSQ_ERR_SUCCESS && m->io; i++) {
                        rc = mosquitto_loop_read(m->mosq, 1);
                        int avail = 0;
                        if (rc != MOSQ_ERR_SUCCESS || fd < 0 ||
                            ioctl(fd, FIONREAD, &avail) < 0 || avail <= 0)
                                break;
                }
                /* ACK what we read now, not after the delayed-ACK timer: a broker
                 * running Nagle (mosquitto's default) holds its next small segment
                 * to us, say the owner's stop behind a flood, until that ACK comes.
                 * Linux leaves quick-ACK mode by itself, so it is set after every
                 * read. */
                if (rc == MOSQ_ERR_SUCCESS && m->io)
                        (void) setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &(int) { 1 }, sizeof(int));
        }
        /* what the callbacks published above waits for this write */
        if (rc == MOSQ_ERR_SUCCESS && m->io && ((revents & EPOLLOUT) || mosquitto_want_write(m->mosq)))
                rc = mosquitto_loop_write(m->mosq, 1);
        if (rc != MOSQ_ERR_SUCCESS) {
                lost(m, chair_mqtt_errno(rc));
                return 0;
        }
        update_io(m);
        return 0;
}

/* (Re)register the socket and the write interest after anything that may queue. */
static int update_io(struct chair_mqtt *m) {
        if (!m->connecting && !m->connected)
                return 0;
        int fd = mosquitto_socket(m->mosq);
        if (fd < 0) {
                lost(m, -ENOTCONN);
                return -ENOTCONN;
        }
        uint32_t ev = EPOLLIN | (mosquitto_want_write(m->mosq) ? EPOLLOUT : 0);
        if (m->io && m->io_fd != fd)
                drop_io(m);
        if (!m->io) {
                int r = sd_event_add_io(m->event, &m->io, fd, ev, on_io, m);
                if (r < 0)
                        return r;
                m->io_fd = fd;
                m->io_events = ev;
                return 0;
        }
        if (ev != m->io_events) {
                int r = sd_event_source_set_io_events(m->io, ev);
                if (r < 0)
                        return r;
                m->io_events = ev;
        }
        return 0;
}

static int connect_now(struct chair_mqtt *m) {
        int rc = m->ever_connected || m->connecting
                         ? mosquitto_reconnect_async(m->mosq)
                         : mosquitto_connect_bind_async(m->mosq, m->host, m->port, m->keepalive, NULL);
        if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_CONN_PENDING)
                return chair_mqtt_errno(rc);
        m->ever_connected = true;   /* from now on mosquitto_reconnect_async() reuses host/port */
        m->connecting = true;
        return update_io(m);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        struct chair_mqtt *m = userdata;
        m->retry = sd_event_source_disable_unref(m->retry);
        int r = connect_now(m);
        if (r < 0) {
                m->connecting = false;
                drop_io(m);
                if (m->cb.disconnected)
                        m->cb.disconnected(m->cb.userdata, r);
                schedule_retry(m);
        }
        return 0;
}

static void schedule_retry(struct chair_mqtt *m) {
        if (m->retry || !m->started)
                return;
        unsigned ms = chair_mqtt_backoff_next(&m->backoff, m->backoff_min_ms, m->backoff_max_ms,
                                              &m->seed);
        (void) sd_event_add_time_relative(m->event, &m->retry, CLOCK_MONOTONIC,
                                          (uint64_t) ms * 1000u, 10000, on_retry, m);
}

static int on_misc(sd_event_source *s, uint64_t usec, void *userdata) {
        struct chair_mqtt *m = userdata;
        if (m->connected || m->connecting) {
                int rc = mosquitto_loop_misc(m->mosq);
                if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN)
                        lost(m, chair_mqtt_errno(rc));
                else
                        update_io(m);
        }
        sd_event_source_set_time(s, usec + 1000000u);
        return 0;
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props) {
        struct chair_mqtt *m = obj;
        if (rc != 0) {
                /* refused (bad credentials, not authorised): the library closes the link */
                lost(m, rc == MQTT_RC_NOT_AUTHORIZED || rc == MQTT_RC_BAD_USERNAME_OR_PASSWORD ||
                                        rc == CONNACK_REFUSED_NOT_AUTHORIZED ||
                                        rc == CONNACK_REFUSED_BAD_USERNAME_PASSWORD
                                ? -EACCES
                                : -ECONNREFUSED);
                return;
        }
        m->connecting = false;
        m->connected = true;
        m->backoff = 0;
        /* a clean session: whatever was queued on the old link is gone or resent
         * (then on_publish() counts it down, clamped at 0) */
        m->queued = 0;
        m->in_callback = true;
        if (m->cb.connected)
                m->cb.connected(m->cb.userdata);
        m->in_callback = false;
        update_io(m);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc,
                          const mosquitto_property *props) {
        struct chair_mqtt *m = obj;
        lost(m, rc == 0 ? -ECONNRESET : chair_mqtt_errno(rc));
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid, int reason,
                       const mosquitto_property *props) {
        struct chair_mqtt *m = obj;
        if (m->queued > 0)
                m->queued--;
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props) {
        struct chair_mqtt *m = obj;
        struct chair_mqtt_message x = {
                .topic = msg->topic,
                .payload = msg->payload,
                .len = msg->payloadlen > 0 ? (size_t) msg->payloadlen : 0,
                .qos = msg->qos,
                .retain = msg->retain,
        };
        char *rt = NULL;
        void *corr = NULL;
        uint16_t corr_len = 0;
        uint32_t expiry = 0;
        if (props) {
                if (mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC, &rt, false))
                        x.response_topic = rt;
                if (mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr,
                                                   &corr_len, false)) {
                        x.correlation = corr;
                        x.correlation_len = corr_len;
                }
                if (mosquitto_property_read_int32(props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, &expiry,
                                                  false)) {
                        x.has_expiry = true;
                        x.expiry_s = expiry;
                }
        }
        m->in_callback = true;
        if (m->cb.message)
                m->cb.message(m->cb.userdata, &x);
        m->in_callback = false;
        free(rt);
        free(corr);
}

static int dup_opt(char **dst, const char *src) {
        if (!src || !*src)
                return 0;
        *dst = strdup(src);
        return *dst ? 0 : -ENOMEM;
}

int chair_mqtt_new(sd_event *e, const struct chair_mqtt_options *o,
                   const struct chair_mqtt_callbacks *cb, struct chair_mqtt **ret) {
        if (!e || !o || !o->host || !ret)
                return -EINVAL;
        struct chair_mqtt *m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(e);
        m->io_fd = -1;
        if (cb)
                m->cb = *cb;
        m->port = o->port ? o->port : (o->tls ? 8883 : 1883);
        m->keepalive = o->keepalive ? o->keepalive : 30;
        m->protocol = o->protocol == 311 ? 311 : 5;
        m->backoff_min_ms = o->backoff_min_ms ? o->backoff_min_ms : 1000;
        m->backoff_max_ms = o->backoff_max_ms ? o->backoff_max_ms : 30000;
        m->seed = (unsigned) (now_us() ^ ((uint64_t) getpid() << 16));

        int r = 0;
        if (dup_opt(&m->host, o->host) < 0 || dup_opt(&m->client_id, o->client_id) < 0 ||
            dup_opt(&m->username, o->username) < 0 || dup_opt(&m->password, o->password) < 0 ||
            dup_opt(&m->will_topic, o->will_topic) < 0 || dup_opt(&m->will_payload, o->will_payload) < 0) {
                r = -ENOMEM;
                goto fail;
        }

        mosquitto_lib_init();
        m->mosq = mosquitto_new(m->client_id, true, m);
        if (!m->mosq) {
                r = errno == EINVAL ? -EINVAL : -ENOMEM;
                goto fail;
        }
        r = chair_mqtt_errno(mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION,
                                                  m->protocol == 5 ? MQTT_PROTOCOL_V5
                                                                   : MQTT_PROTOCOL_V311));
        if (r < 0)
                goto fail;
        /* Commands and replies are single small packets: Nagle would hold each one
         * behind the ACK of the previous (docs/performance.md, MQTT latency). */
        r = chair_mqtt_errno(mosquitto_int_option(m->mosq, MOSQ_OPT_TCP_NODELAY, 1));
        if (r < 0)
                goto fail;
        /* At most this many QoS > 0 messages in flight; the rest wait in
         * libmosquitto's queue, which chair_mqtt_queued() lets the caller bound. */
        r = chair_mqtt_errno(mosquitto_int_option(m->mosq, MOSQ_OPT_SEND_MAXIMUM, CHAIR_MQTT_SEND_MAXIMUM));
        if (r < 0)
                goto fail;
        if (m->will_topic) {
                const char *p = m->will_payload ? m->will_payload : "";
                r = chair_mqtt_errno(mosquitto_will_set_v5(m->mosq, m->will_topic, (int) strlen(p), p,
                                                           1, o->will_retain, NULL));
                if (r < 0)
                        goto fail;
        }
        if (m->username) {
                r = chair_mqtt_errno(mosquitto_username_pw_set(m->mosq, m->username, m->password));
                if (r < 0)
                        goto fail;
        }
        if (o->tls) {
                if (o->cafile && *o->cafile)
                        r = chair_mqtt_errno(mosquitto_tls_set(m->mosq, o->cafile, NULL,
                                                               o->certfile && *o->certfile ? o->certfile : NULL,
                                                               o->keyfile && *o->keyfile ? o->keyfile : NULL,
                                                               NULL));
                else {
                        r = chair_mqtt_errno(mosquitto_int_option(m->mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1));
                        if (r >= 0 && o->certfile && *o->certfile)
                                r = chair_mqtt_errno(mosquitto_tls_set(m->mosq, NULL, "/etc/ssl/certs",
                                                                       o->certfile, o->keyfile, NULL));
                }
                if (r < 0)
                        goto fail;
                /* verify the peer (1) unless told otherwise */
                r = chair_mqtt_errno(mosquitto_tls_opts_set(m->mosq, o->tls_insecure ? 0 : 1, NULL, NULL));
                if (r >= 0 && o->tls_insecure)
                        r = chair_mqtt_errno(mosquitto_tls_insecure_set(m->mosq, true));
                if (r < 0)
                        goto fail;
        }
        mosquitto_connect_v5_callback_set(m->mosq, on_connect);
        mosquitto_disconnect_v5_callback_set(m->mosq, on_disconnect);
        mosquitto_message_v5_callback_set(m->mosq, on_message);
        mosquitto_publish_v5_callback_set(m->mosq, on_publish);

        r = sd_event_add_time_relative(e, &m->misc, CLOCK_MONOTONIC, 1000000u, 100000, on_misc, m);
        if (r < 0)
                goto fail;
        r = sd_event_source_set_enabled(m->misc, SD_EVENT_ON);
        if (r < 0)
                goto fail;
        *ret = m;
        return 0;
fail:
        chair_mqtt_free(m);
        return r;
}

struct chair_mqtt *chair_mqtt_free(struct chair_mqtt *m) {
        if (!m)
                return NULL;
        m->started = false;
        drop_io(m);
        m->misc = sd_event_source_disable_unref(m->misc);
        m->retry = sd_event_source_disable_unref(m->retry);
        if (m->mosq) {
                mosquitto_destroy(m->mosq);
                mosquitto_lib_cleanup();
        }
        sd_event_unref(m->event);
        if (m->password)
                explicit_bzero(m->password, strlen(m->password));
        free(m->host), free(m->client_id), free(m->username), free(m->password);
        free(m->will_topic), free(m->will_payload);
        free(m);
        return NULL;
}

int chair_mqtt_start(struct chair_mqtt *m) {
        if (m->started)
                return 0;
        m->started = true;
        int r = connect_now(m);
        if (r < 0) {
                m->connecting = false;
                drop_io(m);
                schedule_retry(m);
        }
        return r;
}

bool chair_mqtt_is_connected(const struct chair_mqtt *m) {
        return m && m->connected;
}

int chair_mqtt_subscribe(struct chair_mqtt *m, const char *topic, int qos) {
        return chair_mqtt_subscribe_opts(m, topic, qos, false);
}

int chair_mqtt_subscribe_opts(struct chair_mqtt *m, const char *topic, int qos,
                              bool retain_as_published) {
        if (!m->connected)
                return -ENOTCONN;
        int opts = 0;
        if (retain_as_published && m->protocol == 5)
                opts |= MQTT_SUB_OPT_RETAIN_AS_PUBLISHED;
        int r = chair_mqtt_errno(mosquitto_subscribe_v5(m->mosq, NULL, topic, qos, opts, NULL));
        update_io(m);
        return r;
}

unsigned chair_mqtt_queued(const struct chair_mqtt *m) {
        return m ? m->queued : 0;
}

static int publish(struct chair_mqtt *m, const char *topic, const void *payload, size_t len,
                   int qos, bool retain, mosquitto_property *props) {
        if (!m->connected) {
                mosquitto_property_free_all(&props);
                return -ENOTCONN;
        }
        if (len > INT32_MAX) {
                mosquitto_property_free_all(&props);
                return -EMSGSIZE;
        }
        int rc = mosquitto_publish_v5(m->mosq, NULL, topic, (int) len, payload, qos, retain, props);
        mosquitto_property_free_all(&props);
        if (rc == MOSQ_ERR_SUCCESS)
                m->queued++;
        /* try to send right away; epoll picks up whatever does not fit */
        if (rc == MOSQ_ERR_SUCCESS && !m->in_callback) {
                int wr = mosquitto_loop_write(m->mosq, 1);
                if (wr != MOSQ_ERR_SUCCESS) {
                        lost(m, chair_mqtt_errno(wr));
                        return chair_mqtt_errno(wr);
                }
        }
        update_io(m);
        return chair_mqtt_errno(rc);
}

int chair_mqtt_publish(struct chair_mqtt *m, const char *topic, const void *payload, size_t len,
                       int qos, bool retain) {
        return publish(m, topic, payload, len, qos, retain, NULL);
}

int chair_mqtt_publish_correlated(struct chair_mqtt *m, const char *topic, const void *payload,
                                  size_t len, int qos, const void *correlation, size_t correlation_len) {
        mosquitto_property *props = NULL;
        if (m->protocol == 5 && correlation && correlation_len > 0 && correlation_len <= UINT16_MAX) {
                int rc = mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, correlation,
                                                       (uint16_t) correlation_len);
                if (rc != MOSQ_ERR_SUCCESS)
                        return chair_mqtt_errno(rc);
        }
        return publish(m, topic, payload, len, qos, false, props);
}

static void flush(struct chair_mqtt *m, uint64_t deadline) {
        while (mosquitto_want_write(m->mosq)) {
                uint64_t t = now_us();
                if (t >= deadline)
                        return;
                struct pollfd p = { .fd = mosquitto_socket(m->mosq), .events = POLLOUT };
                if (p.fd < 0)
                        return;
                int n = poll(&p, 1, (int) ((deadline - t) / 1000u) + 1);
                if (n < 0 && errno != EINTR)
                        return;
                if (n > 0 && mosquitto_loop_write(m->mosq, 1) != MOSQ_ERR_SUCCESS)
                        return;
        }
}

int chair_mqtt_shutdown(struct chair_mqtt *m, unsigned timeout_ms) {
        if (!m)
                return 0;
        m->started = false;
        m->retry = sd_event_source_disable_unref(m->retry);
        if (!m->connected)
                return -ENOTCONN;
        uint64_t deadline = now_us() + (uint64_t) timeout_ms * 1000u;
        flush(m, deadline);
        /* a clean DISCONNECT: the broker drops the will */
        m->connected = false;
        int r = chair_mqtt_errno(mosquitto_disconnect(m->mosq));
        flush(m, deadline);
        drop_io(m);
        return r;
}
