/* virtio-rng, the entropy device (virtio 1.2 §5.4), on virtio-mmio: one request queue of
 * device-writable buffers, filled from getrandom(2). Firecracker's /entropy resource. */
#ifndef VMM_DEVICES_VIRTIO_RNG_H
#define VMM_DEVICES_VIRTIO_RNG_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/devices/virtio_mmio.h"

#define VIRTIO_RNG_QUEUE_SIZE 256
#define VIRTIO_RNG_REQUEST_MAX 65536 /* bytes filled per request; the used length says how many */

struct virtio_rng {
    struct virtio_mmio mmio;    /* first: what the bus is handed */
    unsigned long bytes;        /* entropy handed out */
};

/* Sets the device up at base/irq; starts its thread when threaded. Returns 0 or -errno. */
int virtio_rng_init(struct virtio_rng *r, const struct dev_env *env, uint64_t base,
                    unsigned irq, bool threaded);
void virtio_rng_destroy(struct virtio_rng *r);

#endif
