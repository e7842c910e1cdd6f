/* virtio-net (vmm/devices/virtio_net.c) against the host kernel through a real tap, as root in
 * a private network namespace (skipped otherwise): ARP, UDP both ways, merged RX buffers with
 * TUN_F_CSUM, the guest's partial checksums. Also a microbenchmark of frames/s through the
 * device thread and a socketpair (printed, not asserted). Virtio 1.2 §5.1. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
        bufs[i] = ng_rx_post(2048, 1);
    drv_notify(&net.mmio, RXQ);
    uint16_t used = 0;
    t0 = now_s();
    for (unsigned n = 0; n < total; n += depth) {
        for (unsigned i = 0; i < depth; i++)
            ng_host_send(0, frame, sizeof(frame));
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
    ng_open_fd(tap_fd, false, true, GUEST_MAC, ~0ull);
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
        bufs[i] = ng_rx_post(2048, 1);

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
        ng_tx_send(&h, arp, sizeof(arp), 2);
        u = rx_find(bufs, &seen, 0x0806, 0, 5);
    }
    assert_true(u >= 0);
    struct virtq_used_elem e = fvq_used_elem(&rxq, (uint16_t)u);
    const uint8_t *reply = fg_ptr(bufs[e.id], e.len);
    assert_int_equal(ng_rx_hdr(bufs[e.id]).num_buffers, 1);
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
    ng_tx_send(&h, frame, (uint32_t)flen, 3);
    struct pollfd pfd = { us, POLLIN, 0 };
    assert_int_equal(poll(&pfd, 1, 2000), 1);
    assert_int_equal(recv(us, got, sizeof(got), 0), 20);
    assert_memory_equal(got, "hello from the guest", 20);

    /* host → guest: 8000 bytes of UDP, one 8042-byte frame over 4 chains of 2 KiB */
    static uint8_t big[8000];
    ng_fill(big, sizeof(big), 11);
    sa.sin_addr.s_addr = htonl(0x0a630002);
    sa.sin_port = htons(4000);
    assert_int_equal(sendto(us, big, sizeof(big), 0, (struct sockaddr *)&sa, sizeof(sa)), 8000);
    u = rx_find(bufs, &seen, 0x0800, 17, 40);
    assert_true(u >= 0);
    e = fvq_used_elem(&rxq, (uint16_t)u);
    struct virtio_net_hdr rh = ng_rx_hdr(bufs[e.id]);
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
    ng_tx_send(&ph, frame, (uint32_t)flen, 1);
    assert_int_equal(poll(&pfd, 1, 2000), 1);
    assert_int_equal(recv(us, got, sizeof(got), 0), 16);
    assert_memory_equal(got, "partial checksum", 16);
    ph.csum_start = 1000;
    ng_tx_send(&ph, frame, (uint32_t)flen, 1);
    assert_int_equal(net.tx_errors, 1);
    close(us);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_microbenchmark, ng_setup_threaded, ng_teardown),
        /* last: it moves the process into a new network namespace */
        cmocka_unit_test_setup_teardown(test_real_tap, setup_tap, teardown_tap),
    };
    return cmocka_run_group_tests_name("vmm_virtio_net_tap", tests, NULL, NULL);
}
