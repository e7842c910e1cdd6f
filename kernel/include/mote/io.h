/* Device register access for drivers: memory-mapped registers (through ioremap) and I/O ports.
 * Every access is one exit to the monitor under KVM (~60 us on PVM): drivers count them. x86
 * orders uncached accesses with each other and with ordinary stores, so no fences are needed
 * around MMIO; dma_wmb/dma_rmb order ring memory against the device (compiler barriers on x86),
 * dma_mb orders a store before a later load (published index, then the device's event index). */
#ifndef MOTE_IO_H
#define MOTE_IO_H

#include "mote/types.h"
#include "mote/x86.h"

static inline uint8_t mmio_read8(const volatile void *a)
{
    return *(const volatile uint8_t *)a;
}
static inline uint16_t mmio_read16(const volatile void *a)
{
    return *(const volatile uint16_t *)a;
}
static inline uint32_t mmio_read32(const volatile void *a)
{
    return *(const volatile uint32_t *)a;
}
static inline void mmio_write8(volatile void *a, uint8_t v)
{
    *(volatile uint8_t *)a = v;
}
static inline void mmio_write16(volatile void *a, uint16_t v)
{
    *(volatile uint16_t *)a = v;
}
static inline void mmio_write32(volatile void *a, uint32_t v)
{
    *(volatile uint32_t *)a = v;
}

#define barrier() __asm__ volatile("" : : : "memory")
#define dma_wmb() barrier()
#define dma_rmb() barrier()
#define dma_mb() cpu_mb()

#endif
