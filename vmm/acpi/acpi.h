/* The ACPI tables motevm writes, as current Firecracker does (src/vmm/src/acpi, acpi-tables):
 * RSDP (revision 2) -> XSDT -> {FADT (hardware-reduced) -> DSDT, MADT}. motevm adds to
 * Firecracker's set the FADT sleep control/status register, a \_S5_ package in the DSDT and the
 * MADT's ACPI 6.4 Multiprocessor Wakeup structure. Addresses: vmm/boot/layout.h; what a guest
 * sees: docs/motevm.md, "ACPI and SMP". Table layouts shared with the kernel: abi/acpi.h. */
#ifndef VMM_ACPI_ACPI_H
#define VMM_ACPI_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "abi/acpi.h"
#include "vmm/boot/layout.h"

#define ACPI_OEM_ID "FIRECK"        /* Firecracker's, so guests see the same machine */
#define ACPI_HYPERVISOR_ID "FIRECKVM"
#define ACPI_CREATOR_ID "MOTE"
#define ACPI_CREATOR_REVISION 1
#define ACPI_MMIO_DEVS_MAX 32

/* One virtio-mmio device for the DSDT: a `LNRO0005` node with its registers and interrupt.
 * The device layer fills the list (struct boot_plan) before boot_load writes the tables. */
struct acpi_mmio_dev {
    uint64_t addr, size;
    uint32_t gsi;
};

struct acpi_config {
    unsigned vcpus;                         /* 1..VCPUS_MAX; APIC ids 0..vcpus-1 */
    const struct acpi_mmio_dev *mmio_devs;
    unsigned n_mmio_devs;
};

/* FADT, revision 6 (ACPI 6.5 §5.2.9, table 5.9): 276 bytes. */
struct acpi_fadt {
    struct acpi_header hdr;
    uint32_t firmware_ctrl;
    uint32_t dsdt;
    uint8_t reserved0;
    uint8_t preferred_pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
    uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
    uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
    uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
    uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
    uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
    uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
    uint16_t iapc_boot_arch;
    uint8_t reserved1;
    uint32_t flags;
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t minor_version;
    uint64_t x_firmware_ctrl;
    uint64_t x_dsdt;
    struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
    struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
    struct acpi_gas sleep_control_reg;
    struct acpi_gas sleep_status_reg;
    char hypervisor_vendor_id[8];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_fadt) == ACPI_FADT_LENGTH_6, "FADT 6");
_Static_assert(offsetof(struct acpi_fadt, dsdt) == ACPI_FADT_DSDT, "FADT DSDT");
_Static_assert(offsetof(struct acpi_fadt, pm1a_cnt_blk) == ACPI_FADT_PM1A_CNT_BLK, "PM1a");
_Static_assert(offsetof(struct acpi_fadt, flags) == ACPI_FADT_FLAGS, "FADT flags");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "IAPC_BOOT_ARCH");
_Static_assert(offsetof(struct acpi_fadt, minor_version) == 131, "FADT minor version");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == ACPI_FADT_X_DSDT, "X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == ACPI_FADT_SLEEP_CONTROL_REG,
               "SLEEP_CONTROL_REG");
_Static_assert(offsetof(struct acpi_fadt, sleep_status_reg) == ACPI_FADT_SLEEP_STATUS_REG,
               "SLEEP_STATUS_REG");
_Static_assert(offsetof(struct acpi_fadt, hypervisor_vendor_id) == 268, "hypervisor id");

/* FADT flags and IA-PC boot architecture flags Firecracker sets (§5.2.9.3, §5.2.9.4) */
#define ACPI_FADT_PWR_BUTTON (1u << 4)
#define ACPI_FADT_SLP_BUTTON (1u << 5)
#define ACPI_IAPC_VGA_NOT_PRESENT (1u << 2)
#define ACPI_IAPC_MSI_NOT_PRESENT (1u << 3)
#define ACPI_IAPC_PCIE_ASPM_CONTROLS (1u << 4)

/* The S5 (soft-off) sleep type the DSDT's \_S5_ package announces, and the byte a guest
 * writes to the sleep control register to power off: SLP_TYP=5 << 2 | SLP_EN = 0x34. */
#define ACPI_S5_SLP_TYP 5
#define ACPI_S5_SLEEP_CTL_VALUE \
    ((ACPI_S5_SLP_TYP << ACPI_SLEEP_CTL_SLP_TYP_SHIFT) | ACPI_SLEEP_CTL_SLP_EN)

/* Sum of len bytes; a table is valid when its bytes sum to 0 (mod 256). */
uint8_t acpi_checksum(const void *p, size_t len);

/* Each builder writes one table into buf (zeroed first) and returns its length, or -ENOSPC
 * when len is too small. Addresses are guest-physical. */
int acpi_rsdp_build(void *buf, size_t len, gpa_t xsdt);
int acpi_xsdt_build(void *buf, size_t len, const gpa_t *tables, unsigned n);
int acpi_fadt_build(void *buf, size_t len, gpa_t dsdt);
int acpi_madt_build(void *buf, size_t len, unsigned vcpus);
int acpi_dsdt_build(void *buf, size_t len, const struct acpi_mmio_dev *devs, unsigned n);

/* Fills the table header and its checksum (over length bytes, header included). */
void acpi_header_fill(struct acpi_header *h, const char sig[4], uint32_t length,
                      uint8_t revision, const char oem_table_id[8]);

/* Writes every table into area, which the guest sees at ACPI_RSDP_ADDR and which spans
 * [ACPI_RSDP_ADDR, ACPI_AREA_END). Returns 0, -EINVAL for a bad configuration (vCPU count,
 * device list) or -ENOSPC. */
int acpi_build(void *area, size_t len, const struct acpi_config *c);

#endif
