/* The guest and the host around a virtio-net device in the unit tests (vmm_virtio_net.c,
 * vmm_virtio_net_tap.c): the device on one end of an AF_UNIX SOCK_SEQPACKET socketpair that
 * stands in for the tap, both queues in fake guest RAM (virtio_guest.h), a driver that posts RX
 * buffers and sends frames, and a host that sends and reads "virtio_net_hdr + frame" datagrams
 * as a tap would. */
#ifndef TESTS_UNIT_NET_GUEST_H
#define TESTS_UNIT_NET_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tests/unit/virtio_guest.h"
#include "vmm/devices/virtio_net.h"

#define NG_BASE 0xd0002000ull
#define NG_IRQ 7
#define NG_QN 256
#define DATA_VALID VIRTIO_NET_HDR_F_DATA_VALID

extern struct virtio_net net;
extern struct fake_vq rxq, txq;
extern uint16_t rx_next, tx_next; /* the driver's next free descriptor per queue */
extern int sv[2];                 /* sv[0]: the device's "tap", sv[1]: the host's end */
extern const uint8_t NG_MAC[6];   /* guest_mac of ng_open(has_mac) */

/* The device on fd (sv[0] unless a test passes a tap), both queues set up, DRIVER_OK, with the
 * features in accept. */
void ng_open_fd(int fd, bool threaded, bool has_mac, const uint8_t mac[6], uint64_t accept);
void ng_open(bool threaded, bool has_mac, uint64_t accept);
int ng_socketpair(void);

/* cmocka set-up: fake guest, socketpair, inline or threaded device. */
int ng_setup(void **state);
int ng_setup_threaded(void **state);
int ng_teardown(void **state);

/* Driver: one RX chain of n writable buffers of len bytes (returns the first's address);
 * header + frame as a TX chain of nseg buffers (the header alone first when nseg > 1),
 * published and notified; the header a received frame got. */
gpa_t ng_rx_post(uint32_t len, unsigned n);
void ng_tx_send(const struct virtio_net_hdr *h, const void *frame, uint32_t len, unsigned nseg);
struct virtio_net_hdr ng_rx_hdr(gpa_t a);
void ng_wait_used(struct fake_vq *q, uint16_t idx);

/* Host: one datagram from sv[1] (-1 after timeout_ms), one sent as a tap would write it. */
ssize_t ng_host_recv(void *buf, size_t len, int timeout_ms);
void ng_host_send(uint8_t flags, const void *frame, size_t len);

void ng_fill(uint8_t *p, size_t n, unsigned seed);

#endif
