/* What the firmware tables say about the machine: CPUs, interrupt controllers, ISA interrupt
 * overrides, the ACPI wakeup mailbox and the power-off registers. Filled from the ACPI MADT/FADT
 * when an RSDP is found (unless --noacpi), else from the Intel MP table, else one CPU and the
 * standard IOAPIC (drivers/acpi.c, drivers/mptable.c, drivers/platform.c). */
#ifndef MOTE_PLATFORM_H
#define MOTE_PLATFORM_H

#include "abi/acpi.h"
#include "boot/bootinfo.h"
#include "mote/types.h"

#define MAX_CPUS 32
#define MAX_IOAPICS 4
#define ISA_IRQS 16

struct ioapic_desc {
    uint64_t addr;
    uint32_t id, gsi_base;
};

struct isa_route {
    uint32_t gsi;
    bool level, active_low;
};

struct platform {
    const char *source;              /* "ACPI", "MP table" or "default" */
    unsigned ncpus;
    uint32_t apic_id[MAX_CPUS];      /* enabled CPUs, in table order */
    uint64_t lapic_addr;
    unsigned nioapics;
    struct ioapic_desc ioapic[MAX_IOAPICS];
    struct isa_route isa[ISA_IRQS];  /* ISA IRQ -> GSI after overrides */
    uint64_t mp_wakeup_mailbox;      /* ACPI 6.4 MP wakeup mailbox, 0 when absent */
    /* ACPI power-off (S5): PM1 control ports, or the hardware-reduced sleep control register,
     * read from the FADT only when powering off. */
    uint64_t fadt, dsdt;
    uint16_t pm1a_cnt, pm1b_cnt;
    struct acpi_gas sleep_ctl;
    bool hw_reduced;
};

/* Resets *p to "one CPU, nothing known", with identity ISA routing. */
void platform_defaults(struct platform *p);
/* Parses ACPI from the RSDP at rsdp (0: probe the usual places; scan the BIOS area only when
 * scan_bios is set). Returns 0 with *p filled, -ENOENT without ACPI, -EINVAL on bad tables. */
int acpi_parse(struct platform *p, uint64_t rsdp, bool scan_bios, phys_reader rd);
/* Parses the Intel MP table (MP spec 1.4 §4). Returns 0, -ENOENT or -EINVAL. */
int mptable_parse(struct platform *p, phys_reader rd);
/* Reads the FADT found by acpi_parse (p->fadt): DSDT and power-off registers. 0 or -ENOENT. */
int acpi_read_fadt(struct platform *p, phys_reader rd);
struct virtio_mmio_param;
/* The virtio-mmio devices of the DSDT found through p->fadt (drivers/acpi_dsdt.c) whose window is
 * not among the nknown bases in known (the command line's): up to max in out. Returns how many,
 * or -EINVAL when there are some but the DSDT or FADT checksum fails (summed only then: a monitor
 * that names its devices on the command line too pays no checksum). */
int acpi_virtio_mmio(const struct platform *p, phys_reader rd, const uint64_t *known,
                     unsigned nknown, struct virtio_mmio_param *out, unsigned max);
/* The SLP_TYPa value of \_S5_ from a DSDT's AML, or -ENOENT. */
int acpi_s5_type(uint64_t dsdt, phys_reader rd);

/* The machine as found at boot (drivers/platform.c). */
extern struct platform platform;
void platform_init(const struct boot_info *bi, bool noacpi);
/* Powers off through ACPI S5 when the machine has ACPI; returns if it could not. */
void platform_acpi_poweroff(void);

#endif
