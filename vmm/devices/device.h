/* What a device sees of the machine, and what the machine sees of a device. Devices are plain C
 * over a small state struct: the KVM run loop (or a unit test) calls their ops, and they reach
 * back only through struct dev_env's callbacks, so they are testable without /dev/kvm. */
#ifndef VMM_DEVICES_DEVICE_H
#define VMM_DEVICES_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "vmm/mem.h"

/* Exit statuses a device may ask for (docs/motevm.md, "Exit statuses"). */
#define EXIT_GUEST_PANIC 122

struct dev_env {
    void *ctx;
    /* Drive an interrupt line (GSI) to a level. */
    void (*set_irq)(void *ctx, unsigned irq, bool level);
    /* Stop the VM; motevm exits with status. The first request wins. */
    void (*stop)(void *ctx, int status);
    /* Start the vCPU with this APIC id in 64-bit mode at entry (ACPI MP wakeup; the register
     * state is boot_ap_regs/boot_ap_sregs). Returns once it is set up: 0, -ENOENT (no such
     * vCPU), -EBUSY (the BSP, or already started), or another -errno. */
    int (*wake_cpu)(void *ctx, uint32_t apic_id, uint64_t entry);
    int in_fd;                  /* serial console input (-1: none) */
    int out_fd;                 /* serial console output */
    struct timespec start_wall; /* CLOCK_MONOTONIC at process start (boot timer) */
    struct timespec start_cpu;  /* CLOCK_PROCESS_CPUTIME_ID at process start */
    const struct guest_mem *mem;/* guest RAM, for devices that do DMA (virtio) */
    /* Optional, NULL when absent (unit tests): KVM's ioeventfd (a guest write of datamatch,
     * len bytes at mmio_addr, signals fd without an exit to motevm) and irqfd (a write to fd
     * pulses GSI irq). Return 0 or a negative errno; devices then use the bus and set_irq. */
    int (*ioeventfd)(void *ctx, uint64_t mmio_addr, unsigned len, uint64_t datamatch, int fd);
    int (*irqfd)(void *ctx, unsigned irq, int fd);
    /* Optional: runs first on every device thread (motevm's seccomp filter for them). */
    void (*thread_init)(void);
};

struct dev_ops {
    /* off is relative to the device's base; size is 1, 2, 4 or 8. */
    void (*read)(void *dev, uint64_t off, uint8_t *data, unsigned size);
    void (*write)(void *dev, uint64_t off, const uint8_t *data, unsigned size);
    /* Optional: count back-to-back writes of size bytes each (x86 string I/O, "rep outsb"). */
    void (*write_rep)(void *dev, uint64_t off, const uint8_t *data, unsigned size,
                      unsigned count);
    /* Optional: its counters as one line, logged at debug level when the VM stops. */
    void (*report)(void *dev, char *buf, size_t len);
};

#endif
