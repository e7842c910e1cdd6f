/* fcimage: writes the guest memory motevm would build (kernel segments, zero page, command line,
 * e820, GDT, identity page tables, MP table, initrd) into a file, using motevm's own boot code,
 * so that tools/fcshim.S can start the kernel through the Linux 64-bit entry on QEMU (TCG).
 * This is how the Firecracker-style boot path is tested on a machine without /dev/kvm.
 *   usage: fcimage -o OUT [--mailbox-ram ADDR] [motevm flags: --kernel K --cmdline S ...]
 * OUT: a 4 KiB header (struct fcimage_header) followed by guest RAM [0, ram_size).
 * --mailbox-ram moves the MADT's multiprocessor wakeup mailbox to RAM at ADDR, where fcshim's
 * application processors poll it as firmware does (QEMU cannot trap motevm's MMIO mailbox). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/acpi.h"
#include "common/mptable.h"
#include "tools/fcimage.h"
#include "vmm/boot/boot.h"
#include "vmm/config.h"
#include "vmm/flags.h"

/* Points the MADT's wakeup structure at addr; returns 0, or -1 when the image has none. */
static int move_mailbox(uint8_t *ram, uint64_t ram_size, uint64_t addr)
{
    const uint64_t rsdp_at = 0xe0000;
    if (ram_size < 0x100000)
        return -1;
    struct acpi_rsdp *r = (struct acpi_rsdp *)(ram + rsdp_at);
    if (memcmp(r->signature, ACPI_RSDP_SIGNATURE, 8) || r->xsdt_address >= 0x100000)
        return -1;
    struct acpi_header *x = (struct acpi_header *)(ram + r->xsdt_address);
    unsigned n = (x->length - sizeof(*x)) / 8;
    for (unsigned i = 0; i < n; i++) {
        uint64_t t;
        memcpy(&t, (uint8_t *)(x + 1) + 8 * i, 8);
        if (t >= 0x100000)
            continue;
        struct acpi_header *h = (struct acpi_header *)(ram + t);
        if (memcmp(h->signature, "APIC", 4))
            continue;
        for (uint8_t *e = (uint8_t *)h + sizeof(struct acpi_madt); e < (uint8_t *)h + h->length;
             e += e[1]) {
            if (e[1] < 2)
                return -1;
            if (e[0] == ACPI_MADT_MP_WAKEUP) {
                struct acpi_madt_mp_wakeup w;
                memcpy(&w, e, sizeof(w));
                w.mailbox_address = addr;
                memcpy(e, &w, sizeof(w));
                h->checksum = 0;
                h->checksum = (uint8_t)(0 - mp_checksum(h, h->length));
                return 0;
            }
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    static struct vm_config cfg;
    static struct boot_plan plan;
    char err[CONFIG_ERR_MAX];
    enum flags_action action;

    if (argc < 3 || strcmp(argv[1], "-o") != 0) {
        fprintf(stderr, "usage: fcimage -o OUT --kernel K [--cmdline S] [--mem MIB] ...\n");
        return 2;
    }
    const char *out = argv[2];
    uint64_t mailbox = 0;
    if (argc >= 5 && strcmp(argv[3], "--mailbox-ram") == 0) {
        mailbox = strtoull(argv[4], NULL, 0);
        argv += 2;
        argc -= 2;
    }
    argv[2] = argv[0];
    config_init(&cfg);
    if (flags_parse(argc - 2, argv + 2, &cfg, &action, err, sizeof(err)) ||
        config_validate(&cfg, err, sizeof(err)) || boot_prepare(&plan, &cfg, err, sizeof(err))) {
        fprintf(stderr, "fcimage: %s\n", err);
        return 1;
    }
    if (plan.proto != BOOT_LINUX64 || plan.ram_size > FCIMAGE_MAX_RAM) {
        fprintf(stderr, "fcimage: only the Linux 64-bit entry and at most %u MiB\n",
                (unsigned)(FCIMAGE_MAX_RAM >> 20));
        return 1;
    }
    struct guest_mem mem = {calloc(1, plan.ram_size), plan.ram_size};
    if (!mem.host || boot_load(&plan, &mem, err, sizeof(err))) {
        fprintf(stderr, "fcimage: %s\n", mem.host ? err : "out of memory");
        return 1;
    }
    if (mailbox && move_mailbox(mem.host, plan.ram_size, mailbox)) {
        fprintf(stderr, "fcimage: --mailbox-ram: the image has no ACPI wakeup mailbox\n");
        return 1;
    }
    static struct fcimage_header h;
    memcpy(h.magic, FCIMAGE_MAGIC, 8);
    h.entry = plan.entry;
    h.ram_size = plan.ram_size;
    h.mailbox = mailbox;
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(&h, sizeof(h), 1, f) != 1 ||
        fwrite(mem.host, 1, plan.ram_size, f) != plan.ram_size || fclose(f)) {
        fprintf(stderr, "fcimage: %s: cannot write\n", out);
        return 1;
    }
    return 0;
}
