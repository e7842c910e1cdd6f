/* The DSDT (ACPI 6.5 §5.2.11.1): in ASL,
 *
 *   DefinitionBlock ("", "DSDT", 2, "FIRECK", "FCVMDSDT", 0) {
 *     Name (_S5, Package (4) { 5, 5, 0, 0 })       // first, at DSDT + 36
 *     Scope (\_SB) {
 *       Device (COM1) { _HID EisaId("PNP0501"), _UID 0, _DDN "COM1",
 *                       _CRS { Interrupt (Consumer, Edge, ActiveHigh, Exclusive) {4},
 *                              IO (Decode16, 0x3F8, 0x3F8, 1, 8) } }
 *       Device (PS2_) { _HID EisaId("PNP0303"), Method (_STA) { Return (0x0F) },
 *                       _CRS { IO (Decode16, 0x60, 0x60, 1, 1), IO (Decode16, 0x64, 0x64, 1, 1),
 *                              Interrupt (Consumer, Edge, ActiveHigh, Exclusive) {1} } }
 *       Device (V000) { _HID "LNRO0005", _UID 0, _CCA 1,            // one per virtio-mmio
 *                       _CRS { Memory32Fixed (ReadWrite, addr, size),   // device
 *                              Interrupt (Consumer, Edge, ActiveHigh, Exclusive) {gsi} } }
 *     }
 *   }
 *
 * COM1, PS2_ and the V### nodes are what Firecracker writes (its legacy and MMIO device
 * managers); \_S5_ tells a guest the SLP_TYP for the FADT's sleep control register. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "abi/ports.h"
#include "vmm/acpi/acpi.h"
#include "vmm/acpi/aml.h"

#define DSDT_REVISION 2
#define COM1_GSI 4
#define I8042_GSI 1

static void s5_package(struct aml_buf *b)
{
    aml_name(b, "_S5_");
    size_t pkg = aml_package_open(b, 4);
    aml_integer(b, ACPI_S5_SLP_TYP);    /* SLP_TYPa: the sleep control register's SLP_TYP */
    aml_integer(b, ACPI_S5_SLP_TYP);    /* SLP_TYPb */
    aml_integer(b, 0);
    aml_integer(b, 0);
    aml_close(b, pkg);
}

static void com1(struct aml_buf *b)
{
    size_t dev = aml_device_open(b, "COM1");
    aml_name(b, "_HID");
    aml_eisaid(b, "PNP0501");
    aml_name(b, "_UID");
    aml_integer(b, 0);
    aml_name(b, "_DDN");
    aml_string(b, "COM1");
    aml_name(b, "_CRS");
    size_t crs = aml_resources_open(b);
    aml_interrupt(b, COM1_GSI, 1, 0);
    aml_io(b, PORT_COM1, PORT_COM1, 1, 8);
    aml_resources_close(b, crs);
    aml_close(b, dev);
}

static void ps2(struct aml_buf *b)
{
    size_t dev = aml_device_open(b, "PS2_");
    aml_name(b, "_HID");
    aml_eisaid(b, "PNP0303");
    size_t sta = aml_method_open(b, "_STA", 0, 0);
    aml_byte(b, AML_RETURN);
    aml_integer(b, 0x0f);               /* present, enabled, shown, functioning */
    aml_close(b, sta);
    aml_name(b, "_CRS");
    size_t crs = aml_resources_open(b);
    aml_io(b, PORT_I8042_DATA, PORT_I8042_DATA, 1, 1);
    aml_io(b, PORT_I8042_CMD, PORT_I8042_CMD, 1, 1);
    aml_interrupt(b, I8042_GSI, 1, 0);
    aml_resources_close(b, crs);
    aml_close(b, dev);
}

static void virtio_mmio(struct aml_buf *b, unsigned n, const struct acpi_mmio_dev *d)
{
    char name[8];
    snprintf(name, sizeof(name), "V%03u", n);
    size_t dev = aml_device_open(b, name);
    aml_name(b, "_HID");
    aml_string(b, "LNRO0005");
    aml_name(b, "_UID");
    aml_integer(b, n);
    aml_name(b, "_CCA");
    aml_integer(b, 1);                  /* cache-coherent DMA */
    aml_name(b, "_CRS");
    size_t crs = aml_resources_open(b);
    aml_memory32_fixed(b, (uint32_t)d->addr, (uint32_t)d->size);
    aml_interrupt(b, d->gsi, 1, 0);
    aml_resources_close(b, crs);
    aml_close(b, dev);
}

static int check_devs(const struct acpi_mmio_dev *devs, unsigned n)
{
    if (n > ACPI_MMIO_DEVS_MAX || (n && !devs))
        return -EINVAL;
    for (unsigned i = 0; i < n; i++) {
        const struct acpi_mmio_dev *d = &devs[i];
        if (!d->size || d->addr > UINT32_MAX || d->size > UINT32_MAX - d->addr + 1)
            return -EINVAL; /* Memory32Fixed holds a 32-bit range */
    }
    return 0;
}

int acpi_dsdt_build(void *buf, size_t len, const struct acpi_mmio_dev *devs, unsigned n)
{
    struct aml_buf b;
    struct acpi_header h;
    int rc;

    if ((rc = check_devs(devs, n)))
        return rc;
    if (len < sizeof(h))
        return -ENOSPC;
    aml_init(&b, (uint8_t *)buf + sizeof(h), len - sizeof(h));
    memset(b.p, 0, b.cap);
    s5_package(&b);
    size_t sb = aml_scope_open(&b, "\\_SB_");
    com1(&b);
    ps2(&b);
    for (unsigned i = 0; i < n; i++)
        virtio_mmio(&b, i, &devs[i]);
    aml_close(&b, sb);
    if (b.err)
        return b.err;

    size_t size = sizeof(h) + b.len;
    memset(buf, 0, sizeof(h));
    acpi_header_fill(buf, "DSDT", (uint32_t)size, DSDT_REVISION, "FCVMDSDT");
    return (int)size;
}
