/* fcimage: writes the guest memory motevm would build (kernel segments, zero page, command line,
 * e820, GDT, identity page tables, MP table, initrd) into a file, using motevm's own boot code,
 * so that tools/fcshim.S can start the kernel through the Linux 64-bit entry on QEMU (TCG).
 * This is how the Firecracker-style boot path is tested on a machine without /dev/kvm.
 *   usage: fcimage -o OUT [motevm flags: --kernel K --cmdline S --mem MIB --initrd I ...]
 * OUT: a 4 KiB header (struct fcimage_header) followed by guest RAM [0, ram_size). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/fcimage.h"
#include "vmm/boot/boot.h"
#include "vmm/config.h"
#include "vmm/flags.h"

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
    static struct fcimage_header h;
    memcpy(h.magic, FCIMAGE_MAGIC, 8);
    h.entry = plan.entry;
    h.ram_size = plan.ram_size;
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(&h, sizeof(h), 1, f) != 1 ||
        fwrite(mem.host, 1, plan.ram_size, f) != plan.ram_size || fclose(f)) {
        fprintf(stderr, "fcimage: %s: cannot write\n", out);
        return 1;
    }
    return 0;
}
