/* The virtio-mmio transport, version 2 (virtio 1.2 §4.2.2), shared by every virtio device of
 * motevm: registers, feature negotiation, status and reset, queue set-up, notifications,
 * interrupts, the device's config space at 0x100, and the device-needs-reset state a hostile
 * guest ends in. A device type (blk, net, rng) supplies a virtio_device_ops and its config
 * bytes.
 *
 * Threads: register accesses come from vCPU threads. Queues are drained either inline, on the
 * vCPU thread that wrote QueueNotify, or (threaded) by one thread per device that sleeps on a
 * per-queue eventfd; with KVM that eventfd is also registered as an ioeventfd on QueueNotify,
 * and the interrupt may go through an irqfd. One mutex per device serialises draining with the
 * registers that change queue or device state; InterruptStatus/ACK and QueueNotify take none. */
#ifndef VMM_DEVICES_VIRTIO_MMIO_H
#define VMM_DEVICES_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/devices/device.h"
#include "vmm/devices/virtq.h"

#define VIRTIO_MMIO_QUEUES_MAX 2
#define VIRTIO_MMIO_VERSION_MODERN 2
#define VIRTIO_MMIO_VENDOR 0 /* Firecracker's vendor ID */

struct virtio_mmio;

struct virtio_device_ops {
    const char *name;           /* "virtio-blk": log lines and the bus */
    uint32_t device_id;         /* VIRTIO_ID_* */
    /* One chain taken from queue qi (required unless drain is given). Returns 0 with
     * *written = bytes the device wrote into the chain's writable buffers (the used length),
     * or a negative errno (with virtq_set_fault on the queue) when the chain breaks the
     * device's rules: the device then needs a reset. Called with the device's lock held. */
    int (*request)(struct virtio_mmio *v, unsigned qi, struct virtq_chain *c, uint32_t *written);
    void (*reset)(struct virtio_mmio *v); /* optional: device state back to power-on */
    /* Optional, replaces the chain-at-a-time loop of virtio_mmio_process for a device that
     * pops and pushes itself (net: one frame over several RX chains, RX driven by the tap).
     * Called with the lock held, DRIVER_OK set, not broken, queue qi ready. Sets *pushed when
     * it put anything in the used ring (the transport then interrupts if the driver wants).
     * Returns 0, or a negative errno with virtq_set_fault on the queue: needs reset. */
    int (*drain)(struct virtio_mmio *v, unsigned qi, bool *pushed);
};

struct virtio_mmio_params {
    uint64_t base;              /* guest-physical address of the 4 KiB slot */
    unsigned irq;               /* GSI */
    uint64_t features;          /* offered; VIRTIO_F_VERSION_1 is added */
    const void *config;         /* device config space (read-only to the driver) */
    uint32_t config_len;
    unsigned nqueues;           /* 1..VIRTIO_MMIO_QUEUES_MAX */
    uint16_t queue_size;        /* QueueNumMax, a power of two */
    uint64_t max_chain_bytes;   /* 0: UINT32_MAX */
    bool threaded;              /* drain queues on a device thread (else on the vCPU thread) */
    bool own_loop;              /* threaded, but the device runs its own loop over notify_fd[]
                                 * (net: also the tap): virtio_mmio_start starts no thread */
};

struct virtio_mmio {
    pthread_mutex_t lock;
    const struct dev_env *env;
    const struct virtio_device_ops *ops;
    void *dev;                  /* the device type's state */
    char name[64];              /* "virtio-blk@0xd0000000" */
    uint64_t base;
    unsigned irq;
    uint64_t device_features;
    const uint8_t *config;
    uint32_t config_len;
    unsigned nqueues;
    struct virtq queues[VIRTIO_MMIO_QUEUES_MAX];

    /* Driver-visible state (§4.2.2), under lock. */
    uint32_t device_features_sel, driver_features_sel, queue_sel;
    uint64_t driver_features;
    uint32_t status;
    uint32_t config_generation;
    bool broken;                /* a fault happened: no queue work until reset */
    atomic_uint interrupt_status;

    /* Counters (tests, debug log). */
    atomic_ulong bad_accesses;  /* wrong width, unknown or read-only register, bad value */
    atomic_ulong notifies, interrupts;
    unsigned long faults, requests;

    /* Notify and interrupt paths. */
    bool threaded;
    bool own_loop;
    int notify_fd[VIRTIO_MMIO_QUEUES_MAX]; /* eventfds, -1 when inline */
    int irq_fd;                 /* KVM irqfd, -1: env->set_irq pulses */
    bool thread_started;
    atomic_bool stopping;
    pthread_t thread;
};

extern const struct dev_ops virtio_mmio_ops;

/* Sets up the transport for device ops/dev with the given slot and features. Creates the
 * notify eventfds (threaded) but starts nothing. Returns 0 or a negative errno. */
int virtio_mmio_init(struct virtio_mmio *v, const struct dev_env *env,
                     const struct virtio_device_ops *ops, void *dev,
                     const struct virtio_mmio_params *p);

/* Threaded mode: registers the ioeventfd/irqfd when env offers them (falling back to the MMIO
 * exit and set_irq when they fail), then starts the device thread (not with own_loop: the
 * device reads notify_fd[] itself). Inline: nothing. */
int virtio_mmio_start(struct virtio_mmio *v);

/* Stops the thread (if any), closes the eventfds, frees the queues. */
void virtio_mmio_destroy(struct virtio_mmio *v);

/* Drains queue qi: every available chain to ops->request, used ring, interrupt if wanted. */
void virtio_mmio_process(struct virtio_mmio *v, unsigned qi);

/* The device changed its config space (e.g. a new medium): bumps ConfigGeneration and raises
 * the configuration-change interrupt (virtio 1.2 §4.2.2, §2.5.1). Any thread. */
void virtio_mmio_config_changed(struct virtio_mmio *v);

/* True once the device has set DEVICE_NEEDS_RESET. */
bool virtio_mmio_needs_reset(struct virtio_mmio *v);

#endif
