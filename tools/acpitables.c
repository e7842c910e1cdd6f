/* acpitables: writes the ACPI area motevm would put at 0xe0000 (vmm/acpi) to a file, for a
 * vCPU count and a list of virtio-mmio devices, so that tests can disassemble the tables with
 * `iasl -d` without a kernel or /dev/kvm (tests/integration/test_acpi_tables.py).
 *   usage: acpitables -o OUT [--vcpus N] [--mmio ADDR:SIZE:GSI]...
 * OUT holds guest-physical [0xe0000, 0x100000). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/acpi/acpi.h"
#include "vmm/config.h"

static int usage(void)
{
    fprintf(stderr, "usage: acpitables -o OUT [--vcpus N] [--mmio ADDR:SIZE:GSI]...\n");
    return 2;
}

int main(int argc, char **argv)
{
    static uint8_t area[ACPI_AREA_END - ACPI_RSDP_ADDR];
    struct acpi_mmio_dev devs[ACPI_MMIO_DEVS_MAX];
    struct acpi_config c = { 1, devs, 0 };
    const char *out = NULL;

    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            return usage();
        if (!strcmp(argv[i], "-o")) {
            out = argv[++i];
        } else if (!strcmp(argv[i], "--vcpus")) {
            c.vcpus = (unsigned)strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--mmio") && c.n_mmio_devs < ACPI_MMIO_DEVS_MAX) {
            struct acpi_mmio_dev *d = &devs[c.n_mmio_devs++];
            unsigned long long addr, size;
            unsigned gsi;
            if (sscanf(argv[++i], "%llx:%llx:%u", &addr, &size, &gsi) != 3)
                return usage();
            *d = (struct acpi_mmio_dev){ addr, size, gsi };
        } else {
            return usage();
        }
    }
    if (!out)
        return usage();
    int rc = acpi_build(area, sizeof(area), &c);
    if (rc) {
        fprintf(stderr, "acpitables: %s\n", strerror(-rc));
        return 1;
    }
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(area, sizeof(area), 1, f) != 1 || fclose(f)) {
        fprintf(stderr, "acpitables: %s: cannot write\n", out);
        return 1;
    }
    return 0;
}
