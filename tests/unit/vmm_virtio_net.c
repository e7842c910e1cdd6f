/* virtio-net (vmm/devices/virtio_net.c) driven by a fake guest, with one end of an AF_UNIX
 * SOCK_SEQPACKET socketpair standing in for the tap (same "virtio_net_hdr + frame" datagrams):
 * frames sent through TX arrive on the other end byte for byte; frames injected there land in
 * RX buffers with the right header, num_buffers over merged chains, used lengths, interrupts;
 * oversized and undersized frames, no RX buffers (backpressure), bad RX chains, reset; the
 * device thread with its epoll loop. Virtio 1.2 §5.1. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/virtio_guest.h"
#include "vmm/devices/virtio_net.h"
#include "vmm/net/tap.h"

#define BASE 0xd0002000ull
#define IRQ 7
#define QN 256
#define W VIRTQ_DESC_F_WRITE
#define NX VIRTQ_DESC_F_NEXT
#define F(bit) (1ull << (bit))
#define HDR VIRTIO_NET_HDR_SIZE
#define RXQ VIRTIO_NET_RXQ
#define TXQ VIRTIO_NET_TXQ
#define DATA_VALID 2 /* VIRTIO_NET_HDR_F_DATA_VALID (§5.1.6), not in abi/virtio.h */

static struct virtio_net net;
static struct fake_vq rxq, txq;
static uint16_t rx_next, tx_next; /* next free descriptor per queue */
static int sv[2];                 /* sv[0]: the device's "tap", sv[1]: the host side */
static const uint8_t MAC[6] = { 0x06, 0x00, 0xac, 0x10, 0x00, 0x02 };

static void open_net(bool threaded, bool has_mac, uint64_t accept)
{
    struct virtio_net_params p = { sv[0], "eth0", has_mac, { 0 }, BASE, IRQ, threaded };
    memcpy(p.mac, MAC, 6);
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

static int setup_fds(void)
{
    return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv);
}

static int setup(void **state)
{
    if (fg_setup(state) || setup_fds())
        return -1;
    open_net(false, true, ~0ull);
    return 0;
}

static int setup_threaded(void **state)
{
    if (fg_setup(state) || setup_fds())
        return -1;
    open_net(true, true, ~0ull);
    return 0;
}

static int teardown(void **state)
{
    virtio_net_destroy(&net);
    close(sv[0]);
    close(sv[1]);
    return fg_teardown(state);
}

/* ---- the guest's side ---- */

/* Posts one RX chain of n writable buffers of len bytes each; returns its first buffer. */
static gpa_t rx_post(uint32_t len, unsigned n)
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
static void tx_send(const struct virtio_net_hdr *h, const void *frame, uint32_t len, unsigned nseg)
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

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 31 + seed);
}

/* ---- the host's side ---- */

static ssize_t host_recv(void *buf, size_t len, int timeout_ms)
{
    struct pollfd pfd = { sv[1], POLLIN, 0 };
    if (poll(&pfd, 1, timeout_ms) <= 0)
        return -1;
    return recv(sv[1], buf, len, 0);
}

static void host_send(uint8_t flags, const void *frame, size_t len)
{
    static uint8_t buf[HDR + 70000];
    struct virtio_net_hdr h = { .flags = flags, .num_buffers = 0xeeee };
    memcpy(buf, &h, HDR - 2); /* a tap writes 10 bytes and skips num_buffers */
    memset(buf + HDR - 2, 0xee, 2);
    memcpy(buf + HDR, frame, len);
    assert_int_equal(send(sv[1], buf, HDR + len, 0), (ssize_t)(HDR + len));
}

static void wait_used(struct fake_vq *q, uint16_t idx)
{
    for (int i = 0; i < 5000 && fvq_used_idx(q) != idx; i++)
        usleep(1000);
    assert_int_equal(fvq_used_idx(q), idx);
}

/* ---- tests ---- */

static void test_config_and_features(void **state)
{
    struct virtio_mmio *v = &net.mmio;
    assert_int_equal(mmio_rd(v, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
    assert_int_equal(v->device_features,
                     F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) |
                         F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) |
                         F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_F_EVENT_IDX) |
                         F(VIRTIO_F_INDIRECT_DESC));
    for (int i = 0; i < 6; i++)
        assert_int_equal(mmio_rd_n(v, VIRTIO_MMIO_CONFIG + i, 1), MAC[i]);
    assert_int_equal(mmio_rd_n(v, VIRTIO_MMIO_CONFIG + 6, 2), VIRTIO_NET_S_LINK_UP);
    for (unsigned q = 0; q < 2; q++) {
        mmio_wr(v, VIRTIO_MMIO_QUEUE_SEL, q);
        assert_int_equal(mmio_rd(v, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_NET_QUEUE_SIZE);
        assert_int_equal(mmio_rd(v, VIRTIO_MMIO_QUEUE_READY), 1);
    }
    mmio_wr(v, VIRTIO_MMIO_QUEUE_SEL, 2); /* no third queue (no CTRL_VQ) */
    assert_int_equal(mmio_rd(v, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
}

static void test_generated_mac(void **state)
{
    virtio_net_destroy(&net);
    open_net(false, false, ~0ull);
    uint8_t m[6];
    for (int i = 0; i < 6; i++)
        m[i] = (uint8_t)mmio_rd_n(&net.mmio, VIRTIO_MMIO_CONFIG + i, 1);
    assert_int_equal(m[0] & 3, 2); /* unicast, locally administered */
    assert_true(net.mmio.device_features & F(VIRTIO_NET_F_MAC));
}

static void test_tx_frames(void **state)
{
    uint8_t frame[1500], back[2000];
    struct virtio_net_hdr h = { 0 };
    fill(frame, sizeof(frame), 1);
    tx_send(&h, frame, sizeof(frame), 1);
    assert_int_equal(fvq_used_idx(&txq), 1);
    assert_int_equal(fvq_used_elem(&txq, 0).len, 0);
    assert_int_equal(fvq_used_elem(&txq, 0).id, 0);
    assert_int_equal(fg_irq_edges(IRQ), 1);
    assert_int_equal(host_recv(back, sizeof(back), 0), HDR + 1500);
    assert_memory_equal(back + HDR, frame, 1500);

    /* header alone, then the frame over three buffers; of the guest's header the tap gets
     * the partial checksum (CSUM negotiated), not GSO (HOST_TSO* not offered) */
    h = (struct virtio_net_hdr){ .flags = 1, .gso_type = 3, .hdr_len = 54, .gso_size = 1400,
                                 .csum_start = 34, .csum_offset = 16, .num_buffers = 7 };
    fill(frame, 999, 2);
    tx_send(&h, frame, 999, 4);
    assert_int_equal(host_recv(back, sizeof(back), 0), HDR + 999);
    struct virtio_net_hdr want = { .flags = 1, .csum_start = 34, .csum_offset = 16 };
    assert_memory_equal(back, &want, HDR);
    assert_memory_equal(back + HDR, frame, 999);
    assert_int_equal(net.tx_frames, 2);
    assert_int_equal(net.tx_bytes, 2499);
}

/* Without CSUM the tap gets a zeroed header whatever the guest wrote. */
static void test_tx_header_without_csum(void **state)
{
    virtio_net_destroy(&net);
    open_net(false, true, ~F(VIRTIO_NET_F_CSUM));
    uint8_t frame[100] = { 1, 2, 3 }, back[200];
    struct virtio_net_hdr h = { .flags = 1, .gso_type = 1, .hdr_len = 54, .gso_size = 1400,
                                .csum_start = 34, .csum_offset = 16, .num_buffers = 7 };
    tx_send(&h, frame, sizeof(frame), 2);
    assert_int_equal(host_recv(back, sizeof(back), 0), HDR + 100);
    static const uint8_t zero[HDR];
    assert_memory_equal(back, zero, HDR);
}

static void test_tx_indirect(void **state)
{
    uint8_t frame[600], back[700];
    fill(frame, sizeof(frame), 3);
    gpa_t hdr = fg_alloc(HDR), data = fg_alloc(600), t = fg_alloc(32);
    memset(fg_ptr(hdr, HDR), 0, HDR);
    memcpy(fg_ptr(data, 600), frame, 600);
    struct virtq_desc table[2] = { { hdr, HDR, NX, 1 }, { data, 600, 0, 0 } };
    memcpy(fg_ptr(t, 32), table, 32);
    fvq_desc(&txq, 0, t, 32, VIRTQ_DESC_F_INDIRECT, 0);
    fvq_publish(&txq, 0);
    drv_notify(&net.mmio, TXQ);
    assert_int_equal(host_recv(back, sizeof(back), 0), HDR + 600);
    assert_memory_equal(back + HDR, frame, 600);
}

/* Too small, too big, writable buffers: completed with length 0, counted, never sent, and the
 * device carries on. */
static void test_tx_bad_frames(void **state)
{
    static uint8_t big[VIRTIO_NET_FRAME_MAX + 1];
    uint8_t back[100];
    struct virtio_net_hdr h = { 0 };

    gpa_t a = fg_alloc(8);
    fvq_desc(&txq, 0, a, 8, 0, 0); /* shorter than the header */
    fvq_publish(&txq, 0);
    drv_notify(&net.mmio, TXQ);
    tx_next = 1;
    tx_send(&h, big, VIRTIO_NET_FRAME_MAX + 1, 3); /* one byte over */
    tx_send(&h, big, 10, 1);                       /* shorter than an Ethernet header */
    gpa_t b = fg_alloc(100);
    fvq_desc(&txq, 10, b, 100, W, 0); /* device-writable */
    fvq_publish(&txq, 10);
    drv_notify(&net.mmio, TXQ);
    assert_int_equal(fvq_used_idx(&txq), 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(fvq_used_elem(&txq, (uint16_t)i).len, 0);
    assert_int_equal(net.tx_dropped, 4);
    assert_int_equal(host_recv(back, sizeof(back), 0), -1);
    assert_false(virtio_mmio_needs_reset(&net.mmio));

    /* the largest frame passes */
    tx_send(&h, big, VIRTIO_NET_FRAME_MAX, 2);
    static uint8_t back_big[VIRTIO_NET_BUF_MAX + 16];
    assert_int_equal(host_recv(back_big, sizeof(back_big), 0), VIRTIO_NET_BUF_MAX);
    assert_int_equal(net.tx_frames, 1);
}

static struct virtio_net_hdr rx_hdr(gpa_t a)
{
    struct virtio_net_hdr h;
    memcpy(&h, fg_ptr(a, HDR), HDR);
    return h;
}

static void test_rx_frame(void **state)
{
    uint8_t frame[1514];
    fill(frame, sizeof(frame), 4);
    gpa_t a = rx_post(2048, 1);
    gpa_t b = rx_post(2048, 1);
    host_send(DATA_VALID, frame, sizeof(frame));
    virtio_net_poll_rx(&net);
    assert_int_equal(fvq_used_idx(&rxq), 1);
    assert_int_equal(fvq_used_elem(&rxq, 0).id, 0);
    assert_int_equal(fvq_used_elem(&rxq, 0).len, HDR + 1514);
    struct virtio_net_hdr h = rx_hdr(a);
    assert_int_equal(h.num_buffers, 1);
    assert_int_equal(h.flags, DATA_VALID); /* GUEST_CSUM: passed on */
    assert_int_equal(h.gso_type, 0);
    assert_memory_equal(fg_ptr(a + HDR, 1514), frame, 1514);
    assert_int_equal(fg_irq_edges(IRQ), 1);

    /* nothing more in the "tap": nothing happens */
    virtio_net_poll_rx(&net);
    assert_int_equal(fvq_used_idx(&rxq), 1);

    /* the next frame goes into the chain held from before */
    host_send(0, frame, 60);
    virtio_net_poll_rx(&net);
    assert_int_equal(fvq_used_idx(&rxq), 2);
    assert_int_equal(fvq_used_elem(&rxq, 1).id, 1);
    assert_int_equal(fvq_used_elem(&rxq, 1).len, HDR + 60);
    assert_memory_equal(fg_ptr(b + HDR, 60), frame, 60);
    assert_int_equal(net.rx_frames, 2);
    assert_int_equal(net.rx_bytes, 1574);
}

/* Without GUEST_CSUM: DATA_VALID is cleared (§5.1.6.4.1), a partially checksummed frame
 * (left in the tap from an earlier driver's offloads) is dropped. */
static void test_rx_flags_without_guest_csum(void **state)
{
    virtio_net_destroy(&net);
    open_net(false, true, ~F(VIRTIO_NET_F_GUEST_CSUM));
    uint8_t frame[100] = { 0 };
    gpa_t a = rx_post(2048, 1);
    host_send(VIRTIO_NET_HDR_F_NEEDS_CSUM, frame, sizeof(frame));
    host_send(DATA_VALID, frame, sizeof(frame));
    virtio_net_poll_rx(&net);
    assert_int_equal(fvq_used_idx(&rxq), 1);
    assert_int_equal(rx_hdr(a).flags, 0);
    assert_int_equal(net.rx_dropped, 1);
}

/* MRG_RXBUF: one frame over several chains, num_buffers in the first; chains split in two
 * descriptors are filled in order. */
static void test_rx_mergeable(void **state)
{
    static uint8_t frame[9000];
    gpa_t buf[80];
    fill(frame, sizeof(frame), 5);
    for (int i = 0; i < 80; i++)
        buf[i] = rx_post(512, 2); /* 1 KiB chains of two 512-byte buffers */
    host_send(0, frame, 3000);
    host_send(0, frame + 3000, 6000);
    virtio_net_poll_rx(&net);
    /* 3012 bytes: 1024 + 1024 + 964; then 6012 bytes: 5 * 1024 + 892 */
    assert_int_equal(fvq_used_idx(&rxq), 9);
    static const uint32_t lens[9] = { 1024, 1024, 964, 1024, 1024, 1024, 1024, 1024, 892 };
    for (int i = 0; i < 9; i++) {
        assert_int_equal(fvq_used_elem(&rxq, (uint16_t)i).id, 2 * i);
        assert_int_equal(fvq_used_elem(&rxq, (uint16_t)i).len, lens[i]);
    }
    assert_int_equal(rx_hdr(buf[0]).num_buffers, 3);
    assert_int_equal(rx_hdr(buf[3]).num_buffers, 6);
    uint8_t *got = malloc(9000 + 2 * HDR), *at = got;
    for (int i = 0; i < 9; i++) {
        memcpy(at, fg_ptr(buf[i], lens[i]), lens[i]);
        at += lens[i];
    }
    assert_memory_equal(got + HDR, frame, 3000);
    assert_memory_equal(got + 3012 + HDR, frame + 3000, 6000);
    free(got);
    assert_int_equal(fg_irq_edges(IRQ), 1); /* one interrupt for the batch */
}

/* Without MRG_RXBUF one chain takes one frame; a frame that does not fit is dropped and the
 * chain kept for the next one. */
static void test_rx_one_chain_per_frame(void **state)
{
    virtio_net_destroy(&net);
    open_net(false, true, ~F(VIRTIO_NET_F_MRG_RXBUF));
    uint8_t frame[2000];
    fill(frame, sizeof(frame), 6);
    gpa_t a = rx_post(HDR + 1514, 1);
    rx_post(HDR + 1514, 1);
    host_send(0, frame, 1515);
    host_send(0, frame, 1514);
    virtio_net_poll_rx(&net);
    assert_int_equal(fvq_used_idx(&rxq), 1);
    assert_int_equal(fvq_used_elem(&rxq, 0).id, 0);
    assert_int_equal(fvq_used_elem(&rxq, 0).len, HDR + 1514);
    assert_int_equal(rx_hdr(a).num_buffers, 1); /* VERSION_1: the field exists, and is 1 */
    assert_memory_equal(fg_ptr(a + HDR, 1514), frame, 1514);
    assert_int_equal(net.rx_dropped, 1);
    assert_int_equal(net.nheld, 1);
}

/* Oversized for what the guest gave, and undersized frames: dropped, counted. */
static void test_rx_bad_frames(void **state)
{
    static uint8_t frame[4000];
    rx_post(1024, 1);
    rx_post(1024, 1); /* 2 KiB in all */
    host_send(0, frame, 3000);
    assert_int_equal(send(sv[1], frame, 5, 0), 5);
    host_send(0, frame, 100);
    virtio_net_poll_rx(&net);
    assert_int_equal(net.rx_dropped, 2);
    assert_int_equal(fvq_used_idx(&rxq), 1);
    assert_int_equal(fvq_used_elem(&rxq, 0).len, HDR + 100);
    assert_false(virtio_mmio_needs_reset(&net.mmio));
}

/* No RX buffers: the frame waits in the "tap", notifications are turned on, and a QueueNotify
 * after the guest adds a buffer delivers it. */
static void test_rx_no_buffers(void **state)
{
    uint8_t frame[100];
    fill(frame, sizeof(frame), 7);
    host_send(0, frame, 100);
    virtio_net_poll_rx(&net);
    assert_int_equal(fvq_used_idx(&rxq), 0);
    assert_false(net.rx_poll_tap);
    assert_int_equal(fvq_avail_event(&rxq), 0); /* EVENT_IDX: notify me at the next buffer */
    gpa_t a = rx_post(2048, 1);
    drv_notify(&net.mmio, RXQ);
    assert_int_equal(fvq_used_idx(&rxq), 1);
    assert_memory_equal(fg_ptr(a + HDR, 100), frame, 100);
    assert_false(net.rx_poll_tap); /* that was the only buffer */

    /* TX is served meanwhile */
    struct virtio_net_hdr h = { 0 };
    uint8_t back[200];
    host_send(0, frame, 100); /* waits: no buffer */
    virtio_net_poll_rx(&net);
    tx_send(&h, frame, 100, 1);
    assert_int_equal(host_recv(back, sizeof(back), 0), HDR + 100);
}

/* RX chains that break §5.1.6.3.1: the device needs a reset, as blk does. */
static void test_rx_bad_chains_need_reset(void **state)
{
    uint8_t frame[100] = { 0 };
    rx_post(HDR - 1, 1); /* no room for the header */
    host_send(0, frame, 100);
    virtio_net_poll_rx(&net);
    assert_true(virtio_mmio_needs_reset(&net.mmio));
    assert_non_null(strstr(net.mmio.queues[RXQ].fault, "virtio_net_hdr"));
    assert_int_equal(mmio_rd(&net.mmio, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);

    /* a device-readable RX buffer */
    virtio_net_destroy(&net);
    open_net(false, true, ~0ull);
    gpa_t a = fg_alloc(2048);
    fvq_desc(&rxq, 0, a, 2048, 0, 0);
    fvq_publish(&rxq, 0);
    virtio_net_poll_rx(&net);
    assert_true(virtio_mmio_needs_reset(&net.mmio));

    /* outside RAM (the walker) */
    virtio_net_destroy(&net);
    open_net(false, true, ~0ull);
    fvq_desc(&rxq, 0, FG_RAM_SIZE - 100, 2048, W, 0);
    fvq_publish(&rxq, 0);
    virtio_net_poll_rx(&net);
    assert_true(virtio_mmio_needs_reset(&net.mmio));
}

/* Reset drops the chains held; after the driver sets the device up again, frames flow. */
static void test_reset(void **state)
{
    uint8_t frame[100];
    fill(frame, sizeof(frame), 8);
    for (int i = 0; i < 4; i++)
        rx_post(1024, 1);
    virtio_net_poll_rx(&net); /* takes the chains (nothing to read) */
    assert_int_equal(net.nheld, 4);
    mmio_wr(&net.mmio, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(net.nheld, 0);
    fvq_init(&rxq, RXQ, QN);
    fvq_init(&txq, TXQ, QN);
    rx_next = tx_next = 0;
    drv_negotiate(&net.mmio, ~0ull);
    drv_queue(&net.mmio, RXQ, &rxq);
    drv_queue(&net.mmio, TXQ, &txq);
    mmio_wr(&net.mmio, VIRTIO_MMIO_STATUS,
            mmio_rd(&net.mmio, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
    gpa_t a = rx_post(1024, 1);
    host_send(0, frame, 100);
    virtio_net_poll_rx(&net);
    assert_int_equal(fvq_used_idx(&rxq), 1);
    assert_memory_equal(fg_ptr(a + HDR, 100), frame, 100);
}

/* The event loop thread: TX by notify, RX by the fd becoming readable, backpressure. */
static void test_threaded(void **state)
{
    uint8_t frame[1514], back[2000];
    struct virtio_net_hdr h = { 0 };
    fill(frame, sizeof(frame), 9);
    for (int i = 0; i < 32; i++)
        tx_send(&h, frame, (uint32_t)(60 + i), 1);
    for (int i = 0; i < 32; i++) {
        assert_int_equal(host_recv(back, sizeof(back), 2000), HDR + 60 + i);
        assert_memory_equal(back + HDR, frame, (size_t)(60 + i));
    }
    wait_used(&txq, 32);

    /* no RX buffers yet: the frames wait, and TX still works */
    for (int i = 0; i < 40; i++) /* what the socket buffer takes */
        host_send(0, frame, 1000);
    usleep(20000);
    assert_int_equal(fvq_used_idx(&rxq), 0);
    tx_send(&h, frame, 1514, 1);
    assert_int_equal(host_recv(back, sizeof(back), 2000), HDR + 1514);

    /* buffers and a notify: all 40 arrive */
    gpa_t first = 0;
    for (int i = 0; i < 200; i++) {
        gpa_t a = rx_post(2048, 1);
        first = i ? first : a;
    }
    drv_notify(&net.mmio, RXQ);
    wait_used(&rxq, 40);
    assert_int_equal(rx_hdr(first).num_buffers, 1);
    assert_memory_equal(fg_ptr(first + HDR, 1000), frame, 1000);

    /* later frames come by EPOLLIN alone */
    host_send(0, frame, 200);
    wait_used(&rxq, 41);
    assert_true(fg_irq_edges(IRQ) >= 2);
    assert_int_equal(net.rx_frames, 41);
}

static void test_tap_open_errors(void **state)
{
    char err[256];
    assert_int_equal(tap_open("mote-notap", err, sizeof(err)), -ENODEV);
    assert_non_null(strstr(err, "ip tuntap add dev mote-notap mode tap"));
    assert_int_equal(tap_open("a-name-longer-than-15", err, sizeof(err)), -ENAMETOOLONG);
    assert_int_equal(tap_open("lo", err, sizeof(err)) < 0, 1); /* not a tap (or no tun) */
}

/* Garbage on both queues: answered, dropped or needs reset; never a crash (valgrind). */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static void test_random_chains(void **state)
{
    static uint8_t frame[VIRTIO_NET_FRAME_MAX];
    unsigned resets = 0;
    for (unsigned iter = 0; iter < 2000; iter++) {
        fg.heap = FG_HEAP;
        struct fake_vq *q = rnd() % 2 ? &rxq : &txq;
        uint16_t *next = q == &rxq ? &rx_next : &tx_next;
        unsigned n = 1 + (unsigned)(rnd() % 4);
        uint16_t head = *next;
        for (unsigned i = 0; i < n; i++) {
            uint32_t len = (uint32_t)(rnd() % 3 ? rnd() % 3000 : rnd() % 70000);
            gpa_t a = rnd() % 10 ? fg_alloc(len + 1) : FG_RAM_SIZE - rnd() % 4096;
            uint16_t f = (uint16_t)((rnd() % 4 ? (q == &rxq ? W : 0) : (rnd() & W)) |
                                    (i + 1 < n ? NX : 0));
            uint16_t d = (uint16_t)((*next + i) % QN);
            fvq_desc(q, d, a, len, f, (uint16_t)((d + 1) % QN));
        }
        *next = (uint16_t)((*next + n) % QN);
        fvq_publish(q, head);
        if (rnd() % 2)
            host_send(0, frame, (size_t)(rnd() % 3 ? rnd() % 1600 : rnd() % 66000));
        drv_notify(&net.mmio, q == &rxq ? RXQ : TXQ);
        virtio_net_poll_rx(&net);
        char drain[70000];
        while (recv(sv[1], drain, sizeof(drain), MSG_DONTWAIT) > 0)
            ;
        if (virtio_mmio_needs_reset(&net.mmio)) {
            resets++;
            virtio_net_destroy(&net);
            while (recv(sv[0], drain, sizeof(drain), MSG_DONTWAIT) > 0)
                ;
            open_net(false, true, rnd() % 2 ? ~0ull : ~F(VIRTIO_NET_F_MRG_RXBUF));
        }
    }
    print_message("random chains: %u resets, rx %lu frames, tx %lu frames\n", resets,
                  net.rx_frames, net.tx_frames);
}


/* ---- microbenchmark (printed, not asserted) ---- */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *host_drain(void *arg)
{
    _Atomic unsigned *left = arg;
    static uint8_t buf[4096];
    while (*left) {
        struct pollfd pfd = { sv[1], POLLIN, 0 };
        if (poll(&pfd, 1, 2000) <= 0)
            break;
        while (*left && recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) > 0)
            (*left)--;
    }
    return NULL;
}

/* 1514-byte frames through the device thread: TX (the guest posts depth frames per notify, a
 * host thread reads the socket) and RX (the host writes depth frames, the guest recycles the
 * buffers and notifies). */
static void test_microbenchmark(void **state)
{
    const char *env = getenv("VIRTIO_BENCH_FRAMES");
    unsigned total = env ? (unsigned)atoi(env) : 6400, depth = 32;
    static uint8_t frame[1514];
    int big = 4 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));

    _Atomic unsigned left = total;
    pthread_t t;
    pthread_create(&t, NULL, host_drain, &left);
    double t0 = now_s();
    for (unsigned n = 0; n < total; n += depth) {
        fg.heap = FG_HEAP;
        for (unsigned i = 0; i < depth; i++) {
            gpa_t a = fg_alloc(HDR + sizeof(frame));
            uint16_t d = tx_next;
            fvq_desc(&txq, d, a, HDR + sizeof(frame), 0, 0);
            tx_next = (uint16_t)((tx_next + 1) % QN);
            fvq_publish(&txq, d);
        }
        drv_notify(&net.mmio, TXQ);
        while (fvq_used_idx(&txq) != (uint16_t)(n + depth))
            ;
        while (left > total - n - depth && net.tx_errors == 0) /* at most depth in flight */
            ;
    }
    pthread_join(t, NULL);
    double tx = total / (now_s() - t0);

    gpa_t bufs[QN];
    for (unsigned i = 0; i < QN; i++)
        bufs[i] = rx_post(2048, 1);
    drv_notify(&net.mmio, RXQ);
    uint16_t used = 0;
    t0 = now_s();
    for (unsigned n = 0; n < total; n += depth) {
        for (unsigned i = 0; i < depth; i++)
            host_send(0, frame, sizeof(frame));
        while (fvq_used_idx(&rxq) != (uint16_t)(used + depth))
            ;
        for (unsigned i = 0; i < depth; i++, used++)
            fvq_publish(&rxq, (uint16_t)fvq_used_elem(&rxq, used).id);
        drv_notify(&net.mmio, RXQ);
    }
    double rx = total / (now_s() - t0);
    (void)bufs;
    printf("virtio-net 1514-byte frames/s through the device thread and a socketpair "
           "(%u frames, %u per batch): TX %.0f (%.2f Gb/s), RX %.0f (%.2f Gb/s)\n", total, depth,
           tx, tx * 1514 * 8 / 1e9, rx, rx * 1514 * 8 / 1e9);
    assert_int_equal(net.tx_errors, 0);
}

/* ---- a real tap (root): the host kernel on the other side ---- */

#define TAP_NAME "motetest0"
static const uint8_t GUEST_MAC[6] = { 0x06, 0x00, 0x0a, 0x63, 0x00, 0x02 };
static int tap_fd = -1;

static int ifreq_ioctl(int s, unsigned long req, struct ifreq *r)
{
    return ioctl(s, req, r) < 0 ? -errno : 0;
}

/* In a private network namespace: a persistent tap with 10.99.0.1/24, up, no IPv6. */
static int make_tap(void)
{
    struct ifreq r = { 0 };
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    strcpy(r.ifr_name, TAP_NAME);
    r.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ifreq_ioctl(fd, TUNSETIFF, &r) || ioctl(fd, TUNSETPERSIST, 1) < 0) {
        close(fd);
        return -EIO;
    }
    close(fd);
    int ipv6 = open("/proc/sys/net/ipv6/conf/" TAP_NAME "/disable_ipv6", O_WRONLY);
    if (ipv6 >= 0) {
        (void)!write(ipv6, "1", 1);
        close(ipv6);
    }
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in *a = (struct sockaddr_in *)&r.ifr_addr;
    memset(&r, 0, sizeof(r));
    strcpy(r.ifr_name, TAP_NAME);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(0x0a630001);
    int rc = ifreq_ioctl(s, SIOCSIFADDR, &r);
    a->sin_addr.s_addr = htonl(0xffffff00);
    rc = rc ? rc : ifreq_ioctl(s, SIOCSIFNETMASK, &r);
    r.ifr_mtu = 9000;
    rc = rc ? rc : ifreq_ioctl(s, SIOCSIFMTU, &r);
    rc = rc ? rc : ifreq_ioctl(s, SIOCGIFFLAGS, &r);
    r.ifr_flags |= IFF_UP;
    rc = rc ? rc : ifreq_ioctl(s, SIOCSIFFLAGS, &r);
    close(s);
    return rc;
}

static int setup_tap(void **state)
{
    char err[256];
    if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0 || make_tap() < 0)
        return 0; /* the test skips */
    if ((tap_fd = tap_open(TAP_NAME, err, sizeof(err))) < 0)
        return -1;
    if (fg_setup(state))
        return -1;
    struct virtio_net_params p = { tap_fd, "eth0", true, { 0 }, BASE, IRQ, false };
    memcpy(p.mac, GUEST_MAC, 6);
    assert_int_equal(virtio_net_init(&net, &fg.env, &p), 0);
    fvq_init(&rxq, RXQ, QN);
    fvq_init(&txq, TXQ, QN);
    rx_next = tx_next = 0;
    drv_negotiate(&net.mmio, ~0ull);
    drv_queue(&net.mmio, RXQ, &rxq);
    drv_queue(&net.mmio, TXQ, &txq);
    mmio_wr(&net.mmio, VIRTIO_MMIO_STATUS,
            mmio_rd(&net.mmio, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
    return 0;
}

static int teardown_tap(void **state)
{
    if (tap_fd < 0)
        return 0;
    virtio_net_destroy(&net);
    close(tap_fd);
    tap_fd = -1;
    return fg_teardown(state);
}

static uint16_t ip_csum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Ethernet + IPv4 + UDP (checksum 0) from 10.99.0.2:4000 to 10.99.0.1:port. */
static size_t udp_frame(uint8_t *f, const uint8_t dst[6], uint16_t port, const void *data,
                        size_t len)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, GUEST_MAC, 6);
    f[12] = 0x08, f[13] = 0x00;
    uint8_t *ip = f + 14;
    memset(ip, 0, 28);
    ip[0] = 0x45;
    ip[2] = (uint8_t)((28 + len) >> 8), ip[3] = (uint8_t)(28 + len);
    ip[8] = 64, ip[9] = 17;
    memcpy(ip + 12, (uint8_t[]){ 10, 99, 0, 2, 10, 99, 0, 1 }, 8);
    uint16_t c = ip_csum(ip, 20);
    ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
    ip[20] = 4000 >> 8, ip[21] = 4000 & 0xff, ip[22] = (uint8_t)(port >> 8), ip[23] = (uint8_t)port;
    ip[24] = (uint8_t)((8 + len) >> 8), ip[25] = (uint8_t)(8 + len);
    memcpy(ip + 28, data, len);
    return 14 + 28 + len;
}

/* Waits for RX frames from the host kernel; returns the first used index whose frame has this
 * ethertype (and IP protocol when proto != 0), or -1. */
static int rx_find(const gpa_t *bufs, uint16_t *seen, uint16_t ethertype, uint8_t proto,
                   int tries)
{
    while (tries-- > 0) {
        struct pollfd pfd = { tap_fd, POLLIN, 0 };
        poll(&pfd, 1, 50);
        virtio_net_poll_rx(&net);
        for (; *seen != fvq_used_idx(&rxq); (*seen)++) {
            struct virtq_used_elem e = fvq_used_elem(&rxq, *seen);
            const uint8_t *f = fg_ptr(bufs[e.id] + HDR, 64);
            if ((f[12] << 8 | f[13]) == ethertype && (!proto || f[14 + 9] == proto))
                return (*seen)++;
        }
    }
    return -1;
}

/* The whole path with the host kernel at the other end: an ARP request from the "guest" is
 * answered; a UDP datagram from the guest reaches a host socket; an 8000-byte UDP datagram
 * from the host lands over several 2 KiB RX chains (MRG_RXBUF, num_buffers). */
static void test_real_tap(void **state)
{
    if (tap_fd < 0)
        skip(); /* needs root and network namespaces */
    gpa_t bufs[64];
    uint16_t seen = 0;
    for (int i = 0; i < 64; i++)
        bufs[i] = rx_post(2048, 1);

    uint8_t arp[42] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    memcpy(arp + 6, GUEST_MAC, 6);
    memcpy(arp + 12, (uint8_t[]){ 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1 }, 10);
    memcpy(arp + 22, GUEST_MAC, 6);
    memcpy(arp + 28, (uint8_t[]){ 10, 99, 0, 2, 0, 0, 0, 0, 0, 0, 10, 99, 0, 1 }, 14);
    struct virtio_net_hdr h = { 0 };
    /* The tap's carrier comes up (asynchronously) once tap_open attached it; until then the
     * host drops what it sends, so ask again. */
    int u = -1;
    for (int i = 0; i < 20 && u < 0; i++) {
        tx_send(&h, arp, sizeof(arp), 2);
        u = rx_find(bufs, &seen, 0x0806, 0, 5);
    }
    assert_true(u >= 0);
    struct virtq_used_elem e = fvq_used_elem(&rxq, (uint16_t)u);
    const uint8_t *reply = fg_ptr(bufs[e.id], e.len);
    assert_int_equal(rx_hdr(bufs[e.id]).num_buffers, 1);
    assert_int_equal(e.len, HDR + 42);
    assert_int_equal(reply[HDR + 21], 2); /* ARP reply */
    assert_memory_equal(reply + HDR, GUEST_MAC, 6);
    assert_memory_equal(reply + HDR + 32, GUEST_MAC, 6); /* target hardware address */
    uint8_t host_mac[6];
    memcpy(host_mac, reply + HDR + 6, 6);

    /* guest → host UDP */
    int us = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(5555),
                              .sin_addr.s_addr = htonl(0x0a630001) };
    assert_int_equal(bind(us, (struct sockaddr *)&sa, sizeof(sa)), 0);
    uint8_t frame[200], got[200];
    size_t flen = udp_frame(frame, host_mac, 5555, "hello from the guest", 20);
    tx_send(&h, frame, (uint32_t)flen, 3);
    struct pollfd pfd = { us, POLLIN, 0 };
    assert_int_equal(poll(&pfd, 1, 2000), 1);
    assert_int_equal(recv(us, got, sizeof(got), 0), 20);
    assert_memory_equal(got, "hello from the guest", 20);

    /* host → guest: 8000 bytes of UDP, one 8042-byte frame over 4 chains of 2 KiB */
    static uint8_t big[8000];
    fill(big, sizeof(big), 11);
    sa.sin_addr.s_addr = htonl(0x0a630002);
    sa.sin_port = htons(4000);
    assert_int_equal(sendto(us, big, sizeof(big), 0, (struct sockaddr *)&sa, sizeof(sa)), 8000);
    u = rx_find(bufs, &seen, 0x0800, 17, 40);
    assert_true(u >= 0);
    e = fvq_used_elem(&rxq, (uint16_t)u);
    struct virtio_net_hdr rh = rx_hdr(bufs[e.id]);
    assert_int_equal(rh.num_buffers, 4);
    assert_int_equal(rh.gso_type, 0);
    /* GUEST_CSUM took TUN_F_CSUM: the host leaves the UDP checksum to the guest */
    assert_int_equal(rh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
    assert_int_equal(rh.csum_start, 14 + 20);
    assert_int_equal(rh.csum_offset, 6);
    uint8_t *all = malloc(4 * 2048), *at = all;
    size_t total = 0;
    for (int i = 0; i < 4; i++) {
        struct virtq_used_elem ei = fvq_used_elem(&rxq, (uint16_t)(u + i));
        memcpy(at, fg_ptr(bufs[ei.id], ei.len), ei.len);
        at += ei.len;
        total += ei.len;
    }
    assert_int_equal(total, HDR + 14 + 28 + 8000);
    assert_memory_equal(all + HDR + 14 + 28, big, 8000);
    free(all);

    /* CSUM: the guest's partial checksum reaches the host kernel, which checks it against
     * the frame (csum_start past the end: refused, counted) */
    struct virtio_net_hdr ph = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34,
                                 .csum_offset = 6 };
    flen = udp_frame(frame, host_mac, 5555, "partial checksum", 16);
    tx_send(&ph, frame, (uint32_t)flen, 1);
    assert_int_equal(poll(&pfd, 1, 2000), 1);
    assert_int_equal(recv(us, got, sizeof(got), 0), 16);
    assert_memory_equal(got, "partial checksum", 16);
    ph.csum_start = 1000;
    tx_send(&ph, frame, (uint32_t)flen, 1);
    assert_int_equal(net.tx_errors, 1);
    close(us);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_config_and_features),
        T(test_generated_mac),
        T(test_tx_frames),
        T(test_tx_header_without_csum),
        T(test_tx_indirect),
        T(test_tx_bad_frames),
        T(test_rx_frame),
        T(test_rx_flags_without_guest_csum),
        T(test_rx_mergeable),
        T(test_rx_one_chain_per_frame),
        T(test_rx_bad_frames),
        T(test_rx_no_buffers),
        T(test_rx_bad_chains_need_reset),
        T(test_reset),
        cmocka_unit_test_setup_teardown(test_threaded, setup_threaded, teardown),
        cmocka_unit_test_setup_teardown(test_microbenchmark, setup_threaded, teardown),
        T(test_tap_open_errors),
        T(test_random_chains),
        cmocka_unit_test_setup_teardown(test_real_tap, setup_tap, teardown_tap), /* last: */
    };
    return cmocka_run_group_tests_name("vmm_virtio_net", tests, NULL, NULL);
}
