/* Guest-physical to host translation; see mem.h. */
#include "vmm/mem.h"

uint64_t mem_low_size(uint64_t ram_size)
{
    return ram_size < MMIO_GAP_START ? ram_size : MMIO_GAP_START;
}

uint64_t mem_high_size(uint64_t ram_size)
{
    return ram_size - mem_low_size(ram_size);
}

static bool inside(gpa_t base, uint64_t size, gpa_t gpa, uint64_t len)
{
    return gpa >= base && gpa - base <= size && len <= size - (gpa - base);
}

bool mem_range_is_ram(uint64_t ram_size, gpa_t gpa, uint64_t len)
{
    return inside(0, mem_low_size(ram_size), gpa, len) ||
           inside(MMIO_GAP_END, mem_high_size(ram_size), gpa, len);
}

void *guest_ptr(const struct guest_mem *m, gpa_t gpa, uint64_t len)
{
    uint64_t low = mem_low_size(m->ram_size);

    if (inside(0, low, gpa, len))
        return m->host + gpa;
    if (inside(MMIO_GAP_END, mem_high_size(m->ram_size), gpa, len))
        return m->host + low + (gpa - MMIO_GAP_END);
    return NULL;
}
