/* virtio-net (vmm/devices/virtio_net.c) driven by a fake guest, with one end of an AF_UNIX
 * SOCK_SEQPACKET socketpair standing in for the tap (same "virtio_net_hdr + frame" datagrams):
 * frames sent through TX arrive on the other end byte for byte; frames injected there land in
 * RX buffers with the right header, num_buffers over merged chains, used lengths, interrupts;
 * oversized and undersized frames, no RX buffers (backpressure), bad RX chains, reset; the
 * device thread with its epoll loop. The real tap and the microbenchmark are in
 * vmm_virtio_net_tap.c, the fake guest and host in net_guest.c. Virtio 1.2 §5.1. */
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

#include "tests/unit/net_guest.h"
#include "vmm/net/tap.h"

#define BASE NG_BASE
#define IRQ NG_IRQ
#define QN NG_QN
#define W VIRTQ_DESC_F_WRITE
#define NX VIRTQ_DESC_F_NEXT
#define F(bit) (1ull << (bit))
#define HDR VIRTIO_NET_HDR_SIZE
#define RXQ VIRTIO_NET_RXQ
#define TXQ VIRTIO_NET_TXQ

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
        assert_int_equal(mmio_rd_n(v, VIRTIO_MMIO_CONFIG + i, 1), NG_MAC[i]);
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
    ng_open(false, false, ~0ull);
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
    ng_fill(frame, sizeof(frame), 1);
    ng_tx_send(&h, frame, sizeof(frame), 1);
    assert_int_equal(fvq_used_idx(&txq), 1);
    assert_int_equal(fvq_used_elem(&txq, 0).len, 0);
    assert_int_equal(fvq_used_elem(&txq, 0).id, 0);
    assert_int_equal(fg_irq_edges(IRQ), 1);
    assert_int_equal(ng_host_recv(back, sizeof(back), 0), HDR + 1500);
    assert_memory_equal(back + HDR, frame, 1500);

    /* header alone, then the frame over three buffers; of the guest's header the tap gets
     * the partial checksum (CSUM negotiated), not GSO (HOST_TSO* not offered) */
    h = (struct virtio_net_hdr){ .flags = 1, .gso_type = 3, .hdr_len = 54, .gso_size = 1400,
                                 .csum_start = 34, .csum_offset = 16, .num_buffers = 7 };
    ng_fill(frame, 999, 2);
    ng_tx_send(&h, frame, 999, 4);
    assert_int_equal(ng_host_recv(back, sizeof(back), 0), HDR + 999);
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
    ng_open(false, true, ~F(VIRTIO_NET_F_CSUM));
    uint8_t frame[100] = { 1, 2, 3 }, back[200];
    struct virtio_net_hdr h = { .flags = 1, .gso_type = 1, .hdr_len = 54, .gso_size = 1400,
                                .csum_start = 34, .csum_offset = 16, .num_buffers = 7 };
    ng_tx_send(&h, frame, sizeof(frame), 2);
    assert_int_equal(ng_host_recv(back, sizeof(back), 0), HDR + 100);
    static const uint8_t zero[HDR];
    assert_memory_equal(back, zero, HDR);
}

static void test_tx_indirect(void **state)
{
    uint8_t frame[600], back[700];
    ng_fill(frame, sizeof(frame), 3);
    gpa_t hdr = fg_alloc(HDR), data = fg_alloc(600), t = fg_alloc(32);
    memset(fg_ptr(hdr, HDR), 0, HDR);
    memcpy(fg_ptr(data, 600), frame, 600);
    struct virtq_desc table[2] = { { hdr, HDR, NX, 1 }, { data, 600, 0, 0 } };
    memcpy(fg_ptr(t, 32), table, 32);
    fvq_desc(&txq, 0, t, 32, VIRTQ_DESC_F_INDIRECT, 0);
    fvq_publish(&txq, 0);
    drv_notify(&net.mmio, TXQ);
    assert_int_equal(ng_host_recv(back, sizeof(back), 0), HDR + 600);
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
    ng_tx_send(&h, big, VIRTIO_NET_FRAME_MAX + 1, 3); /* one byte over */
    ng_tx_send(&h, big, 10, 1);                       /* shorter than an Ethernet header */
    gpa_t b = fg_alloc(100);
    fvq_desc(&txq, 10, b, 100, W, 0); /* device-writable */
    fvq_publish(&txq, 10);
    drv_notify(&net.mmio, TXQ);
    assert_int_equal(fvq_used_idx(&txq), 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(fvq_used_elem(&txq, (uint16_t)i).len, 0);
    assert_int_equal(net.tx_dropped, 4);
    assert_int_equal(ng_host_recv(back, sizeof(back), 0), -1);
    assert_false(virtio_mmio_needs_reset(&net.mmio));

    /* the largest frame passes */
    ng_tx_send(&h, big, VIRTIO_NET_FRAME_MAX, 2);
    static uint8_t back_big[VIRTIO_NET_BUF_MAX + 16];
    assert_int_equal(ng_host_recv(back_big, sizeof(back_big), 0), VIRTIO_NET_BUF_MAX);
    assert_int_equal(net.tx_frames, 1);
}

static void test_rx_frame(void **state)
{
    uint8_t frame[1514];
    ng_fill(frame, sizeof(frame), 4);
    gpa_t a = ng_rx_post(2048, 1);
    gpa_t b = ng_rx_post(2048, 1);
    ng_host_send(DATA_VALID, frame, sizeof(frame));
    virtio_net_poll_rx(&net);
    assert_int_equal(fvq_used_idx(&rxq), 1);
    assert_int_equal(fvq_used_elem(&rxq, 0).id, 0);
    assert_int_equal(fvq_used_elem(&rxq, 0).len, HDR + 1514);
    struct virtio_net_hdr h = ng_rx_hdr(a);
    assert_int_equal(h.num_buffers, 1);
    assert_int_equal(h.flags, DATA_VALID); /* GUEST_CSUM: passed on */
    assert_int_equal(h.gso_type, 0);
    assert_memory_equal(fg_ptr(a + HDR, 1514), frame, 1514);
    assert_int_equal(fg_irq_edges(IRQ), 1);

    /* nothing more in the "tap": nothing happens */
    virtio_net_poll_rx(&net);
    assert_int_equal(fvq_used_idx(&rxq), 1);

    /* the next frame goes into the chain held from before */
    ng_host_send(0, frame, 60);
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
    ng_open(false, true, ~F(VIRTIO_NET_F_GUEST_CSUM));
    uint8_t frame[100] = { 0 };
    gpa_t a = ng_rx_post(2048, 1);
    ng_host_send(VIRTIO_NET_HDR_F_NEEDS_CSUM, frame, sizeof(frame));
    ng_host_send(DATA_VALID, frame, sizeof(frame));
    virtio_net_poll_rx(&net);
    assert_int_equal(fvq_used_idx(&rxq), 1);
    assert_int_equal(ng_rx_hdr(a).flags, 0);
    assert_int_equal(net.rx_dropped, 1);
}

/* MRG_RXBUF: one frame over several chains, num_buffers in the first; chains split in two
 * descriptors are filled in order. */
static void test_rx_mergeable(void **state)
{
    static uint8_t frame[9000];
    gpa_t buf[80];
    ng_fill(frame, sizeof(frame), 5);
    for (int i = 0; i < 80; i++)
        buf[i] = ng_rx_post(512, 2); /* 1 KiB chains of two 512-byte buffers */
    ng_host_send(0, frame, 3000);
    ng_host_send(0, frame + 3000, 6000);
    virtio_net_poll_rx(&net);
    /* 3012 bytes: 1024 + 1024 + 964; then 6012 bytes: 5 * 1024 + 892 */
    assert_int_equal(fvq_used_idx(&rxq), 9);
    static const uint32_t lens[9] = { 1024, 1024, 964, 1024, 1024, 1024, 1024, 1024, 892 };
    for (int i = 0; i < 9; i++) {
        assert_int_equal(fvq_used_elem(&rxq, (uint16_t)i).id, 2 * i);
        assert_int_equal(fvq_used_elem(&rxq, (uint16_t)i).len, lens[i]);
    }
    assert_int_equal(ng_rx_hdr(buf[0]).num_buffers, 3);
    assert_int_equal(ng_rx_hdr(buf[3]).num_buffers, 6);
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
    ng_open(false, true, ~F(VIRTIO_NET_F_MRG_RXBUF));
    uint8_t frame[2000];
    ng_fill(frame, sizeof(frame), 6);
    gpa_t a = ng_rx_post(HDR + 1514, 1);
    ng_rx_post(HDR + 1514, 1);
    ng_host_send(0, frame, 1515);
    ng_host_send(0, frame, 1514);
    virtio_net_poll_rx(&net);
    assert_int_equal(fvq_used_idx(&rxq), 1);
    assert_int_equal(fvq_used_elem(&rxq, 0).id, 0);
    assert_int_equal(fvq_used_elem(&rxq, 0).len, HDR + 1514);
    assert_int_equal(ng_rx_hdr(a).num_buffers, 1); /* VERSION_1: the field exists, and is 1 */
    assert_memory_equal(fg_ptr(a + HDR, 1514), frame, 1514);
    assert_int_equal(net.rx_dropped, 1);
    assert_int_equal(net.nheld, 1);
}

/* Oversized for what the guest gave, and undersized frames: dropped, counted. */
static void test_rx_bad_frames(void **state)
{
    static uint8_t frame[4000];
    ng_rx_post(1024, 1);
    ng_rx_post(1024, 1); /* 2 KiB in all */
    ng_host_send(0, frame, 3000);
    assert_int_equal(send(sv[1], frame, 5, 0), 5);
    ng_host_send(0, frame, 100);
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
    ng_fill(frame, sizeof(frame), 7);
    ng_host_send(0, frame, 100);
    virtio_net_poll_rx(&net);
    assert_int_equal(fvq_used_idx(&rxq), 0);
    assert_false(net.rx_poll_tap);
    assert_int_equal(fvq_avail_event(&rxq), 0); /* EVENT_IDX: notify me at the next buffer */
    gpa_t a = ng_rx_post(2048, 1);
    drv_notify(&net.mmio, RXQ);
    assert_int_equal(fvq_used_idx(&rxq), 1);
    assert_memory_equal(fg_ptr(a + HDR, 100), frame, 100);
    assert_false(net.rx_poll_tap); /* that was the only buffer */

    /* TX is served meanwhile */
    struct virtio_net_hdr h = { 0 };
    uint8_t back[200];
    ng_host_send(0, frame, 100); /* waits: no buffer */
    virtio_net_poll_rx(&net);
    ng_tx_send(&h, frame, 100, 1);
    assert_int_equal(ng_host_recv(back, sizeof(back), 0), HDR + 100);
}

/* RX chains that break §5.1.6.3.1: the device needs a reset, as blk does. */
static void test_rx_bad_chains_need_reset(void **state)
{
    uint8_t frame[100] = { 0 };
    ng_rx_post(HDR - 1, 1); /* no room for the header */
    ng_host_send(0, frame, 100);
    virtio_net_poll_rx(&net);
    assert_true(virtio_mmio_needs_reset(&net.mmio));
    assert_non_null(strstr(net.mmio.queues[RXQ].fault, "virtio_net_hdr"));
    assert_int_equal(mmio_rd(&net.mmio, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);

    /* a device-readable RX buffer */
    virtio_net_destroy(&net);
    ng_open(false, true, ~0ull);
    gpa_t a = fg_alloc(2048);
    fvq_desc(&rxq, 0, a, 2048, 0, 0);
    fvq_publish(&rxq, 0);
    virtio_net_poll_rx(&net);
    assert_true(virtio_mmio_needs_reset(&net.mmio));

    /* outside RAM (the walker) */
    virtio_net_destroy(&net);
    ng_open(false, true, ~0ull);
    fvq_desc(&rxq, 0, FG_RAM_SIZE - 100, 2048, W, 0);
    fvq_publish(&rxq, 0);
    virtio_net_poll_rx(&net);
    assert_true(virtio_mmio_needs_reset(&net.mmio));
}

/* Reset drops the chains held; after the driver sets the device up again, frames flow. */
static void test_reset(void **state)
{
    uint8_t frame[100];
    ng_fill(frame, sizeof(frame), 8);
    for (int i = 0; i < 4; i++)
        ng_rx_post(1024, 1);
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
    gpa_t a = ng_rx_post(1024, 1);
    ng_host_send(0, frame, 100);
    virtio_net_poll_rx(&net);
    assert_int_equal(fvq_used_idx(&rxq), 1);
    assert_memory_equal(fg_ptr(a + HDR, 100), frame, 100);
}

/* The event loop thread: TX by notify, RX by the fd becoming readable, backpressure. */
static void test_threaded(void **state)
{
    uint8_t frame[1514], back[2000];
    struct virtio_net_hdr h = { 0 };
    ng_fill(frame, sizeof(frame), 9);
    for (int i = 0; i < 32; i++)
        ng_tx_send(&h, frame, (uint32_t)(60 + i), 1);
    for (int i = 0; i < 32; i++) {
        assert_int_equal(ng_host_recv(back, sizeof(back), 2000), HDR + 60 + i);
        assert_memory_equal(back + HDR, frame, (size_t)(60 + i));
    }
    ng_wait_used(&txq, 32);

    /* no RX buffers yet: the frames wait, and TX still works */
    for (int i = 0; i < 40; i++) /* what the socket buffer takes */
        ng_host_send(0, frame, 1000);
    usleep(20000);
    assert_int_equal(fvq_used_idx(&rxq), 0);
    ng_tx_send(&h, frame, 1514, 1);
    assert_int_equal(ng_host_recv(back, sizeof(back), 2000), HDR + 1514);

    /* buffers and a notify: all 40 arrive */
    gpa_t first = 0;
    for (int i = 0; i < 200; i++) {
        gpa_t a = ng_rx_post(2048, 1);
        first = i ? first : a;
    }
    drv_notify(&net.mmio, RXQ);
    ng_wait_used(&rxq, 40);
    assert_int_equal(ng_rx_hdr(first).num_buffers, 1);
    assert_memory_equal(fg_ptr(first + HDR, 1000), frame, 1000);

    /* later frames come by EPOLLIN alone */
    ng_host_send(0, frame, 200);
    ng_wait_used(&rxq, 41);
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
            ng_host_send(0, frame, (size_t)(rnd() % 3 ? rnd() % 1600 : rnd() % 66000));
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
            ng_open(false, true, rnd() % 2 ? ~0ull : ~F(VIRTIO_NET_F_MRG_RXBUF));
        }
    }
    print_message("random chains: %u resets, rx %lu frames, tx %lu frames\n", resets,
                  net.rx_frames, net.tx_frames);
}



int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, ng_setup, ng_teardown)
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
        cmocka_unit_test_setup_teardown(test_threaded, ng_setup_threaded, ng_teardown),
        T(test_tap_open_errors),
        T(test_random_chains),
    };
    return cmocka_run_group_tests_name("vmm_virtio_net", tests, NULL, NULL);
}

