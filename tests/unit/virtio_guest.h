/* A fake guest for the virtio unit tests: RAM (struct guest_mem), a driver's split virtqueue
 * written into it byte for byte, the MMIO register protocol through the device's bus ops, and
 * an env that records interrupt edges. The tests play the guest, hostile or not. */
#ifndef TESTS_UNIT_VIRTIO_GUEST_H
#define TESTS_UNIT_VIRTIO_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/virtio.h"
#include "vmm/devices/device.h"
#include "vmm/devices/virtio_mmio.h"
#include "vmm/mem.h"

#define FG_RAM_SIZE (8u << 20)
#define FG_DESC 0x10000ull  /* ring parts of queue q at these + q * 0x4000 */
#define FG_AVAIL 0x20000ull
#define FG_USED 0x30000ull
#define FG_HEAP 0x100000ull /* buffers from here up */

struct fake_guest {
    struct guest_mem mem;
    struct dev_env env;
    gpa_t heap;
    unsigned edges[32];     /* rising edges per GSI */
    bool level[32];
};

/* The driver's view of one queue. */
struct fake_vq {
    uint16_t num;
    gpa_t desc, avail, used;
    uint16_t avail_idx;     /* driver's next avail idx */
    uint16_t last_used;     /* driver's last seen used idx */
};

extern struct fake_guest fg;

/* Fresh zeroed RAM and env (log off); call from cmocka setup. */
int fg_setup(void **state);
int fg_teardown(void **state);

void *fg_ptr(gpa_t gpa, uint64_t len);
gpa_t fg_alloc(uint64_t len);           /* 16-byte aligned buffer in RAM */
unsigned fg_irq_edges(unsigned irq);

/* Queue q's rings at the FG_* addresses, zeroed. */
void fvq_init(struct fake_vq *q, unsigned index, uint16_t num);
void fvq_desc(struct fake_vq *q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
              uint16_t next);
/* Puts head in the avail ring and bumps avail->idx (by 1). */
void fvq_publish(struct fake_vq *q, uint16_t head);
void fvq_set_avail_idx(struct fake_vq *q, uint16_t idx);
uint16_t fvq_used_idx(struct fake_vq *q);
struct virtq_used_elem fvq_used_elem(struct fake_vq *q, uint16_t i);
void fvq_set_used_event(struct fake_vq *q, uint16_t v);
void fvq_set_avail_flags(struct fake_vq *q, uint16_t f);
uint16_t fvq_avail_event(struct fake_vq *q);

/* 32-bit register access through the bus ops; any width with the _n forms. */
uint32_t mmio_rd(struct virtio_mmio *v, uint64_t off);
void mmio_wr(struct virtio_mmio *v, uint64_t off, uint32_t val);
uint64_t mmio_rd_n(struct virtio_mmio *v, uint64_t off, unsigned size);
void mmio_wr_n(struct virtio_mmio *v, uint64_t off, uint64_t val, unsigned size);

/* The driver's initialisation (§3.1.1) up to FEATURES_OK: returns the device features. */
uint64_t drv_negotiate(struct virtio_mmio *v, uint64_t accept);
/* Queue set-up (§4.2.3.2) for fq as queue index. */
void drv_queue(struct virtio_mmio *v, unsigned index, struct fake_vq *fq);
/* Whole initialisation with one queue, then DRIVER_OK. */
void drv_init(struct virtio_mmio *v, uint64_t accept, struct fake_vq *fq);
/* QueueNotify for queue index. */
void drv_notify(struct virtio_mmio *v, unsigned index);

#endif
