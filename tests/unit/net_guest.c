/* The net guest of the virtio-net unit tests; see net_guest.h. */
#include "tests/unit/net_guest.h"

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#define QN NG_QN
#define W VIRTQ_DESC_F_WRITE
#define NX VIRTQ_DESC_F_NEXT
#define HDR VIRTIO_NET_HDR_SIZE
#define RXQ VIRTIO_NET_RXQ
#define TXQ VIRTIO_NET_TXQ

struct virtio_net net;
struct fake_vq rxq, txq;
uint16_t rx_next, tx_next;
int sv[2];
const uint8_t NG_MAC[6] = { 0x06, 0x00, 0xac, 0x10, 0x00, 0x02 };

void ng_open_fd(int fd, bool threaded, bool has_mac, const uint8_t mac[6], uint64_t accept)
{
    struct virtio_net_params p = { fd, "eth0", has_mac, { 0 }, NG_BASE, NG_IRQ, threaded };
    memcpy(p.mac, mac, 6);
    assert_int_equal(virtio_net_init(&net, &fg.env, &p), 0);
    fvq_init(&rxq, RXQ, QN);
    fvq_init(&txq, TXQ, QN);
    rx_next = tx_next = 0;
    drv_negotiate(&net.mmio, accept);
    assert_true(mmio_rd(&net.mmio, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
    drv_queue(&net.mmio, RXQ, &rxq);
    drv_queue(&net.mmio, TXQ, &txq);
    mmio_wr(&net.mmio, VIRTIO_MMIO_STATUS,
            mmio_rd(&net.mmio, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
}

void ng_open(bool threaded, bool has_mac, uint64_t accept)
{
    ng_open_fd(sv[0], threaded, has_mac, NG_MAC, accept);
}

int ng_socketpair(void)
{
    return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv);
}

int ng_setup(void **state)
{
    if (fg_setup(state) || ng_socketpair())
        return -1;
    ng_open(false, true, ~0ull);
    return 0;
}

int ng_setup_threaded(void **state)
{
    if (fg_setup(state) || ng_socketpair())
        return -1;
    ng_open(true, true, ~0ull);
    return 0;
}

int ng_teardown(void **state)
{
    virtio_net_destroy(&net);
    close(sv[0]);
    close(sv[1]);
    return fg_teardown(state);
}

/* ---- the guest's side ---- */

/* Posts one RX chain of n writable buffers of len bytes each; returns its first buffer. */
gpa_t ng_rx_post(uint32_t len, unsigned n)
{
    gpa_t a = fg_alloc((uint64_t)len * n);
    uint16_t head = rx_next;
    for (unsigned i = 0; i < n; i++) {
        uint16_t d = (uint16_t)((rx_next + i) % QN);
        fvq_desc(&rxq, d, a + (uint64_t)i * len, len, (uint16_t)(W | (i + 1 < n ? NX : 0)),
                 (uint16_t)((d + 1) % QN));
    }
    rx_next = (uint16_t)((rx_next + n) % QN);
    fvq_publish(&rxq, head);
    return a;
}

/* Puts header + frame into guest RAM as a TX chain of nseg buffers (the header alone first
 * when nseg > 1), publishes it and notifies. */
void ng_tx_send(const struct virtio_net_hdr *h, const void *frame, uint32_t len, unsigned nseg)
{
    uint32_t total = HDR + len;
    gpa_t a = fg_alloc(total);
    uint8_t *p = fg_ptr(a, total);
    memcpy(p, h, HDR);
    memcpy(p + HDR, frame, len);
    uint16_t head = tx_next;
    uint32_t at = 0;
    for (unsigned i = 0; i < nseg; i++) {
        uint32_t seg = nseg == 1 ? total : i == 0 ? HDR : (i + 1 < nseg ? len / (nseg - 1) : total - at);
        uint16_t d = (uint16_t)((tx_next + i) % QN);
        fvq_desc(&txq, d, a + at, seg, (uint16_t)(i + 1 < nseg ? NX : 0), (uint16_t)((d + 1) % QN));
        at += seg;
    }
    tx_next = (uint16_t)((tx_next + nseg) % QN);
    fvq_publish(&txq, head);
    drv_notify(&net.mmio, TXQ);
}

void ng_fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 31 + seed);
}

/* ---- the host's side ---- */

ssize_t ng_host_recv(void *buf, size_t len, int timeout_ms)
{
    struct pollfd pfd = { sv[1], POLLIN, 0 };
    if (poll(&pfd, 1, timeout_ms) <= 0)
        return -1;
    return recv(sv[1], buf, len, 0);
}

void ng_host_send(uint8_t flags, const void *frame, size_t len)
{
    static uint8_t buf[HDR + 70000];
    struct virtio_net_hdr h = { .flags = flags, .num_buffers = 0xeeee };
    memcpy(buf, &h, HDR - 2); /* a tap writes 10 bytes and skips num_buffers */
    memset(buf + HDR - 2, 0xee, 2);
    memcpy(buf + HDR, frame, len);
    assert_int_equal(send(sv[1], buf, HDR + len, 0), (ssize_t)(HDR + len));
}

void ng_wait_used(struct fake_vq *q, uint16_t idx)
{
    for (int i = 0; i < 5000 && fvq_used_idx(q) != idx; i++)
        usleep(1000);
    assert_int_equal(fvq_used_idx(q), idx);
}


struct virtio_net_hdr ng_rx_hdr(gpa_t a)
{
    struct virtio_net_hdr h;
    memcpy(&h, fg_ptr(a, HDR), HDR);
    return h;
}

