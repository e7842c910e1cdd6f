/* Putting a kernel into the guest: boot_prepare checks everything it can without KVM (kernel
 * ELF, segments, PVH note, initrd placement); boot_load then writes the kernel, initrd, command
 * line, page tables, GDT/IDT, MP table, ACPI tables (unless --no-acpi) and zero page (or PVH
 * start_info) into fresh RAM. */
#ifndef VMM_BOOT_BOOT_H
#define VMM_BOOT_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/acpi/acpi.h"
#include "vmm/boot/kernel.h"
#include "vmm/config.h"
#include "vmm/mem.h"

struct boot_plan {
    enum boot_protocol proto;
    uint64_t ram_size;
    unsigned vcpus;
    uint64_t entry;             /* RIP (Linux 64-bit) or EIP (PVH) */
    struct kernel_image kernel;
    const char *kernel_path;
    const char *cmdline;
    const char *initrd_path;    /* NULL: none */
    gpa_t initrd_addr;
    uint64_t initrd_size;
    bool acpi;                  /* write the ACPI tables (not --no-acpi) */
    /* The virtio-mmio devices the DSDT lists; the device layer fills this before boot_load. */
    struct acpi_mmio_dev mmio_devs[ACPI_MMIO_DEVS_MAX];
    unsigned n_mmio_devs;
};

/* Page-aligned address for an initrd of size bytes at the top of the RAM below the MMIO gap,
 * above 1 MiB and clear of the kernel [kstart, kend). Returns 0 or -ENOSPC. */
int initrd_place(uint64_t ram_size, gpa_t kstart, gpa_t kend, uint64_t size, gpa_t *addr);

/* Validates c against the files. Returns 0, or -errno with err = "<what>: <why>". */
int boot_prepare(struct boot_plan *p, const struct vm_config *c, char *err, size_t errlen);

/* Writes the boot image into m (fresh, zeroed RAM of p->ram_size bytes). */
int boot_load(const struct boot_plan *p, const struct guest_mem *m, char *err, size_t errlen);

#endif
