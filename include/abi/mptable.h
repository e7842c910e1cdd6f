/* Intel MultiProcessor Specification 1.4 tables, as the monitor writes them and the kernel
 * parses them. Spec: MP spec 1.4, chapter 4 (floating pointer §4.1, configuration table §4.2,
 * base entries §4.3). All multi-byte fields little-endian, structures packed. */
#ifndef ABI_MPTABLE_H
#define ABI_MPTABLE_H

#include <stdint.h>

#define MPF_SIGNATURE "_MP_"
#define MPC_SIGNATURE "PCMP"
#define MP_SPEC_REV_1_4 4

/* §4.1 MP floating pointer structure, 16 bytes, 16-byte aligned. */
struct mpf_intel {
    char signature[4];      /* "_MP_" */
    uint32_t physptr;       /* address of the configuration table */
    uint8_t length;         /* in 16-byte units: 1 */
    uint8_t specification;  /* 1 = 1.1, 4 = 1.4 */
    uint8_t checksum;       /* all bytes sum to 0 */
    uint8_t feature1;       /* 0: a configuration table is present */
    uint8_t feature2;       /* bit 7: IMCR present */
    uint8_t feature3, feature4, feature5;
} __attribute__((packed));
_Static_assert(sizeof(struct mpf_intel) == 16, "mpf_intel");

/* §4.2 configuration table header. */
struct mpc_table {
    char signature[4];      /* "PCMP" */
    uint16_t length;        /* base table length, header included */
    uint8_t spec;
    uint8_t checksum;
    char oem[8];
    char productid[12];
    uint32_t oemptr;
    uint16_t oemsize;
    uint16_t oemcount;      /* number of entries */
    uint32_t lapic;         /* LAPIC physical address */
    uint16_t reserved_ext_len;
    uint8_t ext_checksum;
    uint8_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct mpc_table) == 44, "mpc_table");

enum mp_entry_type {
    MP_PROCESSOR = 0,
    MP_BUS = 1,
    MP_IOAPIC = 2,
    MP_INTSRC = 3,
    MP_LINTSRC = 4,
};

#define CPU_ENABLED 1
#define CPU_BOOTPROCESSOR 2

/* §4.3.1, 20 bytes */
struct mpc_cpu {
    uint8_t type;
    uint8_t apicid;
    uint8_t apicver;
    uint8_t cpuflag;
    uint32_t cpufeature;
    uint32_t featureflag;
    uint32_t reserved[2];
} __attribute__((packed));
_Static_assert(sizeof(struct mpc_cpu) == 20, "mpc_cpu");

/* §4.3.2, 8 bytes */
struct mpc_bus {
    uint8_t type;
    uint8_t busid;
    char bustype[6];        /* "ISA   " */
} __attribute__((packed));
_Static_assert(sizeof(struct mpc_bus) == 8, "mpc_bus");

#define MPC_APIC_USABLE 1

/* §4.3.3, 8 bytes */
struct mpc_ioapic {
    uint8_t type;
    uint8_t apicid;
    uint8_t apicver;
    uint8_t flags;
    uint32_t apicaddr;
} __attribute__((packed));
_Static_assert(sizeof(struct mpc_ioapic) == 8, "mpc_ioapic");

enum mp_irq_type { MP_INT = 0, MP_NMI = 1, MP_SMI = 2, MP_EXTINT = 3 };

/* §4.3.4 I/O interrupt assignment and §4.3.5 local interrupt assignment, 8 bytes each */
struct mpc_intsrc {
    uint8_t type;
    uint8_t irqtype;
    uint16_t irqflag;
    uint8_t srcbus;
    uint8_t srcbusirq;
    uint8_t dstapic;        /* for MP_LINTSRC: 0xff = all local APICs */
    uint8_t dstirq;         /* IOAPIC pin, or LINTIN# */
} __attribute__((packed));
_Static_assert(sizeof(struct mpc_intsrc) == 8, "mpc_intsrc");

#define MP_APIC_ALL 0xff

#endif
