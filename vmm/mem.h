/* Guest RAM as the monitor sees it: one host mapping split into at most two guest-physical
 * regions around the 32-bit MMIO gap (layout.h). Guest memory is reached only through
 * guest_ptr(), which checks address + length without overflow. */
#ifndef VMM_MEM_H
#define VMM_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/boot/layout.h"

struct guest_mem {
    uint8_t *host;      /* ram_size bytes; low region first, then the high one */
    uint64_t ram_size;
};

/* RAM below the MMIO gap, and the RAM moved to 4 GiB (0 when the gap is not reached). */
uint64_t mem_low_size(uint64_t ram_size);
uint64_t mem_high_size(uint64_t ram_size);

/* True when [gpa, gpa + len) lies inside one RAM region. */
bool mem_range_is_ram(uint64_t ram_size, gpa_t gpa, uint64_t len);

/* Host address of [gpa, gpa + len), or NULL when that range is not entirely RAM. */
void *guest_ptr(const struct guest_mem *m, gpa_t gpa, uint64_t len);

#endif
