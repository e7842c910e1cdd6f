/* ACPI tables the monitor writes and the kernel reads: RSDP, the common table header, MADT
 * entries (including ACPI 6.4's Multiprocessor Wakeup structure) and the FADT fields Mote uses.
 * Spec: ACPI 6.5, §5.2.5 (RSDP), §5.2.6 (header), §5.2.9 (FADT), §5.2.12 (MADT), §5.2.3.2 (GAS). */
#ifndef ABI_ACPI_H
#define ABI_ACPI_H

#include <stdint.h>

#define ACPI_RSDP_SIGNATURE "RSD PTR "

struct acpi_rsdp {
    char signature[8];
    uint8_t checksum;       /* first 20 bytes sum to 0 */
    char oem_id[6];
    uint8_t revision;       /* 2 for ACPI 2.0+ (XSDT) */
    uint32_t rsdt_address;
    uint32_t length;        /* 36 */
    uint64_t xsdt_address;
    uint8_t extended_checksum; /* all 36 bytes sum to 0 */
    uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");

struct acpi_header {
    char signature[4];
    uint32_t length;        /* whole table, header included */
    uint8_t revision;
    uint8_t checksum;       /* whole table sums to 0 */
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    char creator_id[4];
    uint32_t creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_header) == 36, "SDT header");

/* §5.2.3.2 Generic Address Structure */
struct acpi_gas {
    uint8_t space_id;       /* 0 system memory, 1 system I/O */
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size;    /* 1 byte, 2 word, 3 dword, 4 qword */
    uint64_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS");
#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO 1

/* §5.2.12 MADT: header, then these two fields, then entries {type, length, ...} */
struct acpi_madt {
    struct acpi_header hdr;
    uint32_t lapic_address;
    uint32_t flags;         /* bit 0: PC-AT dual 8259 present */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT");

enum acpi_madt_type {
    ACPI_MADT_LAPIC = 0,
    ACPI_MADT_IOAPIC = 1,
    ACPI_MADT_ISO = 2,
    ACPI_MADT_LAPIC_NMI = 4,
    ACPI_MADT_X2APIC = 9,
    ACPI_MADT_MP_WAKEUP = 0x10,
};
#define ACPI_MADT_ENABLED 1
#define ACPI_MADT_ONLINE_CAPABLE 2

struct acpi_madt_lapic {
    uint8_t type, length;   /* 0, 8 */
    uint8_t processor_uid;
    uint8_t apic_id;
    uint32_t flags;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT LAPIC");

struct acpi_madt_ioapic {
    uint8_t type, length;   /* 1, 12 */
    uint8_t id;
    uint8_t reserved;
    uint32_t address;
    uint32_t gsi_base;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT IOAPIC");

struct acpi_madt_iso {
    uint8_t type, length;   /* 2, 10 */
    uint8_t bus;            /* 0: ISA */
    uint8_t source;         /* ISA IRQ */
    uint32_t gsi;
    uint16_t flags;         /* MPS INTI flags: polarity bits 0-1, trigger bits 2-3 */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_iso) == 10, "MADT ISO");
#define ACPI_MPS_POLARITY_MASK 3
#define ACPI_MPS_POLARITY_LOW 3
#define ACPI_MPS_TRIGGER_MASK 0xc
#define ACPI_MPS_TRIGGER_LEVEL 0xc

struct acpi_madt_x2apic {
    uint8_t type, length;   /* 9, 16 */
    uint16_t reserved;
    uint32_t x2apic_id;
    uint32_t flags;
    uint32_t processor_uid;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_x2apic) == 16, "MADT x2APIC");

/* ACPI 6.4 §5.2.12.19 Multiprocessor Wakeup structure and its mailbox */
struct acpi_madt_mp_wakeup {
    uint8_t type, length;   /* 0x10, 16 */
    uint16_t mailbox_version; /* 0 */
    uint32_t reserved;
    uint64_t mailbox_address; /* 4 KiB aligned */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_mp_wakeup) == 16, "MADT MP wakeup");

struct acpi_mp_wakeup_mailbox {
    uint16_t command;       /* 0 noop, 1 wakeup; the firmware sets it back to 0 when taken */
    uint16_t reserved;
    uint32_t apic_id;
    uint64_t wakeup_vector; /* 64-bit entry address */
    uint8_t os_reserved[2032];
    uint8_t firmware_reserved[2048];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_mp_wakeup_mailbox) == 4096, "MP wakeup mailbox");
#define ACPI_MP_WAKEUP_COMMAND_NOOP 0
#define ACPI_MP_WAKEUP_COMMAND_WAKEUP 1

/* §5.2.9 FADT: the offsets Mote reads (the table is at least 116 bytes; 276 in ACPI 6.x) */
#define ACPI_FADT_DSDT 40
#define ACPI_FADT_PM1A_CNT_BLK 64
#define ACPI_FADT_PM1B_CNT_BLK 68
#define ACPI_FADT_FLAGS 112
#define ACPI_FADT_X_DSDT 140
#define ACPI_FADT_SLEEP_CONTROL_REG 244
#define ACPI_FADT_SLEEP_STATUS_REG 256
#define ACPI_FADT_LENGTH_6 276
#define ACPI_FADT_HW_REDUCED (1u << 20)

/* §4.8.3.2 PM1 control: SLP_TYP in bits 10-12, SLP_EN bit 13.
 * §4.8.3.7 hardware-reduced sleep control register: SLP_TYP bits 2-4, SLP_EN bit 5. */
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_EN (1u << 13)
#define ACPI_SLEEP_CTL_SLP_TYP_SHIFT 2
#define ACPI_SLEEP_CTL_SLP_EN (1u << 5)

#endif
