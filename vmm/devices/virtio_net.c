/* virtio-net over a tap; see virtio_net.h. Virtio 1.2 §5.1.4 (config), §5.1.6 (the header,
 * §5.1.6.2 transmit, §5.1.6.3 receive and §5.1.6.3.2 merged RX buffers), §2.7 (rings).
 * Linux drivers/net/tun.c: a read hands over virtio_net_hdr + frame and returns the frame's
 * full length even when the buffers were shorter (the rest is cut off). */
#include "vmm/devices/virtio_net.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/log.h"
#include "vmm/net/tap.h"

#define F(bit) (1ull << (bit))
#define HDR VIRTIO_NET_HDR_SIZE
#define ETH_HDR 14
#define OFFERED                                                                               \
    (F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_MAC) |                  \
     F(VIRTIO_NET_F_STATUS) | F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_F_EVENT_IDX) |               \
     F(VIRTIO_F_INDIRECT_DESC))

enum { EV_RXQ, EV_TXQ, EV_TAP, EV_STOP };

/* Guest-caused trouble is counted; the first of each kind is a warning, the rest debug lines. */
static void note(const struct virtio_net *n, unsigned long count, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(const struct virtio_net *n, unsigned long count, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_msg(count == 1 ? LOG_WARN : LOG_DEBUG, "%s (%s): %s%s", n->mmio.name, n->id, msg,
            count == 1 ? " (logged once; counted)" : "");
}

static bool negotiated(const struct virtio_net *n, unsigned bit)
{
    return n->mmio.driver_features & F(bit);
}

/* ---- receive: tap → RX queue ---- */

static void rx_forget(struct virtio_net *n)
{
    n->nheld = n->rx_niov = 0;
    n->rx_cap = 0;
}

/* Takes RX chains until the held ones can take a largest frame (MRG_RXBUF) or one chain is
 * held (without). Stops early when the ring is empty or rx_iov could not take a whole chain. */
static int rx_take(struct virtio_net *n, struct virtq *q, bool mrg)
{
    struct virtq_chain c;

    while ((mrg ? n->rx_cap < VIRTIO_NET_BUF_MAX : n->nheld == 0) &&
           n->nheld < VIRTIO_NET_QUEUE_SIZE && n->rx_niov + q->num <= VIRTIO_NET_RX_IOV_MAX) {
        int rc = virtq_pop(q, &c);
        if (rc <= 0)
            return rc;
        /* §5.1.6.3.1: receive buffers are device-writable, and hold at least the header. */
        if (c.nread)
            return virtq_set_fault(q, -EINVAL, "RX chain at head %u has device-readable buffers",
                                   c.head);
        if (c.write_len < HDR)
            return virtq_set_fault(q, -EINVAL,
                                   "RX chain at head %u: %llu writable bytes, less than the "
                                   "12-byte virtio_net_hdr",
                                   c.head, (unsigned long long)c.write_len);
        memcpy(&n->rx_iov[n->rx_niov], c.iov, c.nwrite * sizeof(*c.iov));
        n->held[n->nheld++] = (struct virtio_net_rx_chain){ c.head, (uint16_t)c.nwrite,
                                                            (size_t)c.write_len };
        n->rx_niov += c.nwrite;
        n->rx_cap += c.write_len;
    }
    return 0;
}

/* One frame from the fd into the held buffers: its full length, or -errno (-EAGAIN: none). */
static ssize_t rx_read(struct virtio_net *n)
{
    for (;;) {
        ssize_t r;
        if (n->fd_is_socket) {
            /* MSG_TRUNC: the datagram's real length, as a tap's read returns it. */
            struct msghdr m = { .msg_iov = n->rx_iov, .msg_iovlen = n->rx_niov };
            r = recvmsg(n->fd, &m, MSG_TRUNC | MSG_DONTWAIT);
        } else {
            r = readv(n->fd, n->rx_iov, (int)n->rx_niov);
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            return -EPIPE; /* a socket whose peer is gone; a tap never reads 0 */
        return r < 0 ? -errno : r;
    }
}

/* The frame of len bytes sits in the first held chains: fix its header, use the chains. */
static void rx_deliver(struct virtio_net *n, struct virtq *q, size_t len, bool *pushed)
{
    struct virtio_net_hdr h;
    unsigned k = 0, iovs = 0;
    size_t left = len, cap = 0;

    virtq_iov_to_buf(n->rx_iov, n->held[0].n, 0, &h, sizeof(h));
    /* Offloads follow the driver's features (tap_offloads), but frames queued in the tap
     * under an earlier driver's settings may still carry them. */
    if (h.gso_type != VIRTIO_NET_HDR_GSO_NONE ||
        ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !negotiated(n, VIRTIO_NET_F_GUEST_CSUM))) {
        note(n, ++n->rx_dropped, "tap handed over a frame with offloads the driver did not "
             "take (flags 0x%x, GSO type %u); dropped", h.flags, h.gso_type);
        return;
    }
    for (; left; k++) {
        size_t take = left < n->held[k].cap ? left : n->held[k].cap;
        left -= take;
    }
    if (!negotiated(n, VIRTIO_NET_F_GUEST_CSUM))
        h.flags = 0; /* §5.1.6.4.1: no DATA_VALID without GUEST_CSUM */
    h.num_buffers = (uint16_t)k;
    virtq_buf_to_iov(n->rx_iov, n->held[0].n, 0, &h, sizeof(h));
    left = len;
    for (unsigned i = 0; i < k; i++) {
        size_t take = left < n->held[i].cap ? left : n->held[i].cap;
        virtq_push(q, n->held[i].head, (uint32_t)take);
        left -= take;
        iovs += n->held[i].n;
        cap += n->held[i].cap;
    }
    memmove(n->held, n->held + k, (n->nheld - k) * sizeof(n->held[0]));
    memmove(n->rx_iov, n->rx_iov + iovs, (n->rx_niov - iovs) * sizeof(n->rx_iov[0]));
    n->nheld -= k;
    n->rx_niov -= iovs;
    n->rx_cap -= cap;
    n->rx_frames++;
    n->rx_bytes += len - HDR;
    *pushed = true;
}

/* What the tap may hand over (TUNSETOFFLOAD): partially checksummed frames when the driver
 * took GUEST_CSUM. Set on the first RX drain after negotiation (DRIVER_OK kicks RX). */
static void tap_offloads(struct virtio_net *n)
{
    unsigned want = negotiated(n, VIRTIO_NET_F_GUEST_CSUM) ? TUN_F_CSUM : 0;
    if (n->fd_is_socket || want == n->offloads)
        return;
    int rc = tap_set_offload(n->fd, want);
    if (rc)
        log_msg(LOG_WARN, "%s (%s): TUNSETOFFLOAD 0x%x: %s", n->mmio.name, n->id, want,
                strerror(-rc));
    else
        n->offloads = want;
}

static int rx_drain(struct virtio_net *n, struct virtq *q, bool *pushed)
{
    bool mrg = negotiated(n, VIRTIO_NET_F_MRG_RXBUF);
    unsigned budget = n->mmio.threaded ? VIRTIO_NET_BUDGET : UINT_MAX;
    int rc;

    tap_offloads(n);
    n->rx_poll_tap = true;
    virtq_notify_disable(q);
    for (unsigned frames = 0; frames < budget;) {
        if ((rc = rx_take(n, q, mrg)))
            return rc;
        if (!n->nheld) {
            /* No buffers: leave frames in the tap and ask for a notify when some come. */
            if (virtq_notify_enable(q)) {
                virtq_notify_disable(q);
                continue;
            }
            n->rx_poll_tap = false;
            return 0;
        }
        ssize_t r = rx_read(n);
        if (r == -EAGAIN || r == -EWOULDBLOCK)
            return 0;
        if (r < 0) {
            note(n, ++n->rx_errors, "reading the tap: %s; not polled until the next RX notify",
                 strerror((int)-r));
            n->rx_poll_tap = false;
            return 0;
        }
        frames++;
        if (r < HDR + ETH_HDR) {
            note(n, ++n->rx_dropped, "received %zd bytes, less than the headers; dropped", r);
            continue;
        }
        if ((size_t)r > n->rx_cap) {
            note(n, ++n->rx_dropped, "received frame of %zd bytes (header included) does not "
                 "fit the %zu bytes of RX buffers held (%s); dropped", r, n->rx_cap,
                 mrg ? "MRG_RXBUF" : "one chain per frame without MRG_RXBUF");
            continue;
        }
        rx_deliver(n, q, (size_t)r, pushed);
    }
    return 0;
}

/* ---- transmit: TX queue → tap ---- */

static void tx_frame(struct virtio_net *n, const struct virtq_chain *c)
{
    /* The tap gets a header of its own with only what the driver negotiated (CSUM: a
     * partial checksum to finish; the kernel checks csum_start/csum_offset against the
     * frame), and the frame straight from guest memory. */
    struct virtio_net_hdr h = { .gso_type = VIRTIO_NET_HDR_GSO_NONE }, g;

    if (c->nwrite) {
        note(n, ++n->tx_dropped, "TX chain at head %u has device-writable buffers; dropped",
             c->head);
        return;
    }
    if (c->read_len < HDR + ETH_HDR || c->read_len > VIRTIO_NET_BUF_MAX) {
        note(n, ++n->tx_dropped, "TX chain at head %u: %llu bytes, not a frame of 14..%u bytes "
             "after the 12-byte header; dropped", c->head, (unsigned long long)c->read_len,
             VIRTIO_NET_FRAME_MAX);
        return;
    }
    if (negotiated(n, VIRTIO_NET_F_CSUM)) {
        virtq_iov_to_buf(c->iov, c->nread, 0, &g, sizeof(g));
        if (g.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
            h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
            h.csum_start = g.csum_start;
            h.csum_offset = g.csum_offset;
        }
    }
    n->tx_iov[0] = (struct iovec){ &h, HDR };
    int k = virtq_iov_slice(c->iov, c->nread, HDR, c->read_len - HDR, n->tx_iov + 1,
                            VIRTIO_NET_QUEUE_SIZE);
    if (k < 0) { /* cannot happen: the chain has read_len bytes in at most 256 buffers */
        n->tx_dropped++;
        return;
    }
    ssize_t r;
    do
        r = writev(n->fd, n->tx_iov, k + 1);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        note(n, ++n->tx_errors, "writing a frame of %llu bytes to the tap: %s",
             (unsigned long long)(c->read_len - HDR), strerror(errno));
        return;
    }
    n->tx_frames++;
    n->tx_bytes += c->read_len - HDR;
}

static int tx_drain(struct virtio_net *n, struct virtq *q, bool *pushed)
{
    unsigned budget = n->mmio.threaded ? VIRTIO_NET_QUEUE_SIZE : UINT_MAX;
    struct virtq_chain c;
    int rc;

    for (;;) {
        virtq_notify_disable(q);
        while ((rc = virtq_pop(q, &c)) > 0) {
            tx_frame(n, &c);
            virtq_push(q, c.head, 0); /* the device writes nothing into a TX chain */
            *pushed = true;
            if (--budget == 0) {
                n->tx_more = true; /* the loop comes back before sleeping */
                return 0;
            }
        }
        if (rc < 0 || !virtq_notify_enable(q))
            return rc;
    }
}

static int net_drain(struct virtio_mmio *v, unsigned qi, bool *pushed)
{
    struct virtio_net *n = v->dev;
    return qi == VIRTIO_NET_RXQ ? rx_drain(n, &v->queues[qi], pushed)
                                : tx_drain(n, &v->queues[qi], pushed);
}

static void net_reset(struct virtio_mmio *v)
{
    struct virtio_net *n = v->dev;
    rx_forget(n); /* the chains belonged to the rings the driver just dropped */
}

static const struct virtio_device_ops net_ops = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .drain = net_drain,
    .reset = net_reset,
};

/* ---- the event loop ---- */

void virtio_net_poll_rx(struct virtio_net *n)
{
    n->rx_poll_tap = false; /* stays false when the device is not ready to receive */
    virtio_mmio_process(&n->mmio, VIRTIO_NET_RXQ);
}

/* Backpressure: the tap is in the epoll set only while there are RX buffers (EPOLL_CTL_DEL,
 * not an empty mask: a detached tap would keep reporting EPOLLERR). */
static void poll_tap(struct virtio_net *n, bool on)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EV_TAP };
    if (on == n->tap_polled)
        return;
    if (epoll_ctl(n->epoll_fd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, n->fd, &ev) == 0)
        n->tap_polled = on;
}

static void *net_thread(void *arg)
{
    struct virtio_net *n = arg;
    struct epoll_event ev[4];
    uint64_t count;

    if (n->mmio.env->thread_init)
        n->mmio.env->thread_init();
    for (;;) {
        int k = epoll_wait(n->epoll_fd, ev, 4, n->tx_more ? 0 : -1);
        bool rx = false, tx = n->tx_more;
        for (int i = 0; i < k; i++) {
            switch (ev[i].data.u32) {
            case EV_STOP:
                return NULL;
            case EV_RXQ:
                rx = read(n->mmio.notify_fd[VIRTIO_NET_RXQ], &count, sizeof(count)) > 0 || rx;
                break;
            case EV_TXQ:
                tx = read(n->mmio.notify_fd[VIRTIO_NET_TXQ], &count, sizeof(count)) > 0 || tx;
                break;
            default:
                rx = true;
            }
        }
        if (tx) {
            n->tx_more = false; /* a drain that stops at its budget sets it again */
            virtio_mmio_process(&n->mmio, VIRTIO_NET_TXQ);
        }
        if (rx) {
            virtio_net_poll_rx(n);
            poll_tap(n, n->rx_poll_tap);
        }
    }
}

static int loop_start(struct virtio_net *n)
{
    struct { int fd; uint32_t tag; } fds[3] = {
        { n->mmio.notify_fd[VIRTIO_NET_RXQ], EV_RXQ },
        { n->mmio.notify_fd[VIRTIO_NET_TXQ], EV_TXQ },
        { -1, EV_STOP },
    };

    if ((n->epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
        (n->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
        return -errno;
    fds[2].fd = n->stop_fd;
    for (int i = 0; i < 3; i++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = fds[i].tag };
        if (epoll_ctl(n->epoll_fd, EPOLL_CTL_ADD, fds[i].fd, &ev) < 0)
            return -errno;
    }
    /* The tap joins the set after the first RX drain (DRIVER_OK kicks every queue): frames
     * that come before the driver is ready wait in the tap. */
    int rc = pthread_create(&n->thread, NULL, net_thread, n);
    if (rc)
        return -rc;
    n->thread_started = true;
    return 0;
}

int virtio_net_init(struct virtio_net *n, const struct dev_env *env,
                    const struct virtio_net_params *p)
{
    struct stat st;
    int rc;

    memset(n, 0, sizeof(*n));
    n->fd = p->fd;
    n->epoll_fd = n->stop_fd = -1;
    if (fstat(p->fd, &st) < 0)
        return -errno;
    n->fd_is_socket = S_ISSOCK(st.st_mode);
    snprintf(n->id, sizeof(n->id), "%s", p->id);
    if (p->has_mac) {
        memcpy(n->config.mac, p->mac, 6);
    } else {
        /* A random unicast, locally administered address (bit 1 of the first octet set). */
        if (getrandom(n->config.mac, 6, 0) != 6)
            return -EIO;
        n->config.mac[0] = (uint8_t)((n->config.mac[0] & 0xfc) | 0x02);
        const uint8_t *m = n->config.mac;
        log_msg(LOG_INFO, "network interface %s: no guest_mac given; the guest gets "
                "%02x:%02x:%02x:%02x:%02x:%02x", p->id, m[0], m[1], m[2], m[3], m[4], m[5]);
    }
    n->config.status = VIRTIO_NET_S_LINK_UP;
    n->config.max_virtqueue_pairs = 1;
    struct virtio_mmio_params mp = {
        .base = p->base,
        .irq = p->irq,
        .features = OFFERED,
        .config = &n->config,
        .config_len = sizeof(n->config),
        .nqueues = 2,
        .queue_size = VIRTIO_NET_QUEUE_SIZE,
        .threaded = p->threaded,
        .own_loop = true,
    };
    if ((rc = virtio_mmio_init(&n->mmio, env, &net_ops, n, &mp)))
        return rc;
    if (p->threaded &&
        ((rc = virtio_mmio_start(&n->mmio)) || (rc = loop_start(n)))) {
        virtio_net_destroy(n);
        return rc;
    }
    return 0;
}

void virtio_net_destroy(struct virtio_net *n)
{
    if (n->thread_started) {
        uint64_t one = 1;
        (void)!write(n->stop_fd, &one, sizeof(one));
        pthread_join(n->thread, NULL);
        n->thread_started = false;
    }
    if (n->mmio.ops)
        log_msg(LOG_DEBUG, "%s (%s): rx frames=%lu bytes=%lu dropped=%lu errors=%lu, tx "
                "frames=%lu bytes=%lu dropped=%lu errors=%lu", n->mmio.name, n->id,
                n->rx_frames, n->rx_bytes, n->rx_dropped, n->rx_errors, n->tx_frames,
                n->tx_bytes, n->tx_dropped, n->tx_errors);
    virtio_mmio_destroy(&n->mmio);
    if (n->epoll_fd >= 0)
        close(n->epoll_fd);
    if (n->stop_fd >= 0)
        close(n->stop_fd);
    n->epoll_fd = n->stop_fd = -1;
}
