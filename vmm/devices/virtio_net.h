/* virtio-net (virtio 1.2 §5.1) over a host tap, on virtio-mmio: queue 0 receives (tap →
 * guest), queue 1 transmits (guest → tap). Frames move with readv/writev straight between the
 * tap and guest memory; only the 12-byte virtio_net_hdr of a transmitted frame is built on the
 * host. With MRG_RXBUF one received frame may fill several RX chains (num_buffers).
 *
 * The device takes any fd that keeps frame boundaries: a tap opened by tap_open (vmm/net), or
 * in the unit tests one end of an AF_UNIX SOCK_SEQPACKET socketpair carrying the same
 * "virtio_net_hdr + frame" datagrams. The caller owns the fd (the device never closes it).
 *
 * Threads: threaded devices run one event loop thread (epoll) over the tap, both queues'
 * notify eventfds (ioeventfd with KVM) and a stop eventfd. When the guest has no RX buffers the
 * tap is not polled until the guest adds some (RX notify): a guest that never refills RX only
 * stops its own receive path. Inline devices (unit tests) drain TX on QueueNotify, and RX when
 * virtio_net_poll_rx is called. */
#ifndef VMM_DEVICES_VIRTIO_NET_H
#define VMM_DEVICES_VIRTIO_NET_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/devices/virtio_mmio.h"

#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1
#define VIRTIO_NET_HDR_SIZE 12          /* VERSION_1: num_buffers always present */
#define VIRTIO_NET_FRAME_MAX 65550      /* Ethernet header + 64 KiB, without virtio_net_hdr */
#define VIRTIO_NET_BUF_MAX (VIRTIO_NET_HDR_SIZE + VIRTIO_NET_FRAME_MAX)
#define VIRTIO_NET_RX_IOV_MAX 1024      /* UIO_MAXIOV: iovecs of the RX chains held at once */
#define VIRTIO_NET_BUDGET 64            /* frames per queue per loop pass (threaded) */

struct virtio_net_params {
    int fd;                     /* tap (or a SOCK_SEQPACKET end in tests); not closed */
    const char *id;             /* iface_id, for log lines */
    bool has_mac;
    uint8_t mac[6];             /* guest_mac; without one a random locally administered MAC */
    uint64_t base;              /* MMIO slot */
    unsigned irq;
    bool threaded;
};

/* An RX chain taken from the ring and not yet used: its writable iovecs are
 * rx_iov[first, first + n). */
struct virtio_net_rx_chain {
    uint16_t head;
    uint16_t n;
    size_t cap;
};

struct virtio_net {
    struct virtio_mmio mmio;    /* first: what the bus is handed */
    int fd;
    bool fd_is_socket;          /* recvmsg(MSG_TRUNC) to see a frame's real length */
    char id[32];
    struct virtio_net_config config;

    /* RX, under mmio.lock: the chains held for the next frames, their buffers in order. */
    struct virtio_net_rx_chain held[VIRTIO_NET_QUEUE_SIZE];
    unsigned nheld, rx_niov;
    size_t rx_cap;
    struct iovec rx_iov[VIRTIO_NET_RX_IOV_MAX];
    /* Written only by the thread that drains (the device thread, or the caller inline). */
    bool rx_poll_tap;           /* after an RX drain: false when out of buffers (backpressure) */
    bool tx_more;               /* a TX drain stopped at its budget */
    unsigned offloads;          /* TUN_F_* set on the tap (under mmio.lock) */
    struct iovec tx_iov[1 + VIRTIO_NET_QUEUE_SIZE];

    /* Event loop (threaded). */
    int epoll_fd, stop_fd;
    bool tap_polled;
    bool thread_started;
    pthread_t thread;

    /* Counters, under mmio.lock. */
    unsigned long rx_frames, rx_bytes, rx_dropped, rx_errors;
    unsigned long tx_frames, tx_bytes, tx_dropped, tx_errors;
};

/* Sets the device up on fd and starts its thread when threaded. Returns 0 or -errno. */
int virtio_net_init(struct virtio_net *n, const struct dev_env *env,
                    const struct virtio_net_params *p);

/* Stops the thread and frees the device; the fd stays open. */
void virtio_net_destroy(struct virtio_net *n);

/* Inline mode: delivers what the fd holds into the RX queue (what the thread does on EPOLLIN). */
void virtio_net_poll_rx(struct virtio_net *n);

#endif
