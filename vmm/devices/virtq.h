/* The device side of a split virtqueue (virtio 1.2 §2.7): the ring addresses the driver gave,
 * the descriptor-chain walker, the used ring and notification suppression. Every guest value
 * is untrusted: ring parts are checked once when the queue is enabled, every buffer through
 * guest_ptr, indices, loops, flags and lengths on every chain. Not thread-safe: one thread at
 * a time per queue (the transport's lock). */
#ifndef VMM_DEVICES_VIRTQ_H
#define VMM_DEVICES_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "abi/virtio.h"
#include "vmm/mem.h"

#define VIRTQ_FAULT_MAX 160
#define VIRTQ_ADDR_DESC 1
#define VIRTQ_ADDR_DRIVER 2
#define VIRTQ_ADDR_DEVICE 4

struct virtq {
    /* Written by the transport from the driver's registers (§4.2.2). */
    uint32_t num;               /* QueueNum as written: checked by virtq_enable */
    uint16_t num_max;           /* QueueNumMax: the device's limit, at most VIRTQ_MAX_SIZE */
    gpa_t desc_gpa, avail_gpa, used_gpa;
    uint8_t addr_set;           /* VIRTQ_ADDR_*: which of the three the driver has written */
    bool ready;
    uint64_t max_bytes;         /* cap on a chain's readable and on its writable bytes */

    /* Set by virtq_enable from the checked addresses. */
    const struct guest_mem *mem;
    volatile struct virtq_desc *desc;
    volatile struct virtq_avail *avail;
    volatile struct virtq_used *used;
    bool event_idx;             /* VIRTIO_F_EVENT_IDX negotiated */
    bool indirect;              /* VIRTIO_F_INDIRECT_DESC negotiated */
    uint16_t last_avail;        /* next avail ring entry the device takes */
    uint16_t used_idx;          /* the device's copy of used->idx */
    uint16_t signalled_used;    /* used_idx at the last interrupt (event idx) */
    bool signalled_valid;

    struct iovec *iov;          /* num_max entries: the chain being handed out */
    char fault[VIRTQ_FAULT_MAX];/* what the last error was, for the device's one log line */
};

/* One descriptor chain: iov[0, nread) are device-readable buffers, then nwrite writable ones. */
struct virtq_chain {
    uint16_t head;
    unsigned nread, nwrite;
    struct iovec *iov;
    uint64_t read_len, write_len;
};

/* Allocates the chain buffer for queues of up to num_max (a power of two, at most 32768)
 * entries and resets the queue. Returns 0 or -ENOMEM / -EINVAL. */
int virtq_init(struct virtq *q, uint16_t num_max);
void virtq_free(struct virtq *q);

/* Back to the state after a device reset: not ready, no addresses, num = num_max. */
void virtq_reset(struct virtq *q);

/* QueueReady = 1: checks num (a power of two, 1..num_max), that the three addresses were
 * written, and that the ring parts are aligned (§2.7: 16, 2, 4) and inside RAM, then starts
 * at index 0. event_idx / indirect: the negotiated features. Returns 0, or -EINVAL / -EFAULT
 * with q->fault set; the queue then stays not ready. */
int virtq_enable(struct virtq *q, const struct guest_mem *m, bool event_idx, bool indirect);

/* Takes the next available chain. Returns 1 with c filled, 0 when the ring is empty, or a
 * negative errno with q->fault naming the violation (the device then needs a reset):
 * -EFAULT buffer or table outside RAM or length wrapping, -ERANGE index >= size,
 * -ELOOP chain longer than the queue (a loop), -EINVAL bad flags/order/indirect table,
 * -E2BIG more than max_bytes, -EOVERFLOW avail idx moved by more than the queue size. */
int virtq_pop(struct virtq *q, struct virtq_chain *c);

/* Returns a chain to the driver: used element (head, len), then used->idx (release). */
void virtq_push(struct virtq *q, uint16_t head, uint32_t len);

/* Notification suppression while the device drains the ring (§2.7.7, §2.7.10):
 * disable sets VIRTQ_USED_F_NO_NOTIFY (nothing with event idx); enable clears it or
 * publishes avail_event = last_avail, then (full fence) returns true when buffers arrived in
 * between, so the caller drains again instead of sleeping. */
void virtq_notify_disable(struct virtq *q);
bool virtq_notify_enable(struct virtq *q);

/* After pushing: does the driver want an interrupt (used_event or VIRTQ_AVAIL_F_NO_INTERRUPT)? */
bool virtq_need_interrupt(struct virtq *q);

/* Records why a chain or set-up is refused (for the device's log line); returns err. */
int virtq_set_fault(struct virtq *q, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies len bytes at offset off of the buffers iov[0, n) to/from buf. Returns the number of
 * bytes copied (less than len when the buffers end first). */
size_t virtq_iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len);
size_t virtq_buf_to_iov(const struct iovec *iov, unsigned n, size_t off, const void *buf,
                        size_t len);

/* Fills dst[0, max) with the part [off, off + len) of iov[0, n). Returns how many entries,
 * or -EINVAL when the range does not fit in the buffers or in max entries. */
int virtq_iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len,
                    struct iovec *dst, unsigned max);

#endif
